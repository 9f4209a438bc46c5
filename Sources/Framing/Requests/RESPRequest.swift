// A Redis request: an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`), what clients
// send, or an inline command (`PING\r\n`), space-separated words on one line.

enum RESPRequest {
    /// Arguments past this are not a request a client sends; the parse gives up early.
    static let maxArguments = 1 << 20

    static func parse(_ r: inout RequestReader) -> Bool {
        guard let first = r.peek() else { return false }
        return first == UInt8(ascii: "*") ? array(&r) : LineRequest.parse(&r, delimiter: nil)
    }

    private static func array(_ r: inout RequestReader) -> Bool {
        guard let countLength = r.lineLength(crlfOnly: true), let count = r.decimal(countLength - 1, at: 1),
              count >= 0, count <= maxArguments else { return false }
        r.take(.syntax, "array marker", 1)
        r.take(.decimal, "array count", countLength - 1, countsGroups: true)
        r.take(.syntax, "array count end", 2)
        guard count > 0 else { return true }
        for n in 1...count {
            guard r.peek() == UInt8(ascii: "$"), let lengthLength = r.lineLength(crlfOnly: true),
                  let length = r.decimal(lengthLength - 1, at: 1), length >= 0,
                  length <= r.remaining - lengthLength - 4 else { return false }
            let group = r.newGroup()
            r.take(.syntax, "bulk \(n) marker", 1, group: group)
            let lengthField = r.take(.decimal, "bulk \(n) length", lengthLength - 1, group: group)
            r.take(.syntax, "bulk \(n) length end", 2, group: group)
            let payload = r.take(n == 1 ? .token : .value, "bulk \(n)", length, group: group)
            r.link(lengthField, to: payload)
            guard r.peek() == 0x0d && r.peek(1) == 0x0a else { return false }
            r.take(.syntax, "bulk \(n) end", 2, group: group)
        }
        return true
    }
}
