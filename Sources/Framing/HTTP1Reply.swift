// What a load client must know of an HTTP/1.x response beyond its framing: whether the server
// will close the connection after it (`Connection: close`, or HTTP/1.0 without keep-alive), so
// the client opens another instead of counting the close as an error (as wrk does).

public enum HTTP1Reply {
    /// Whether `response` (one whole framed response) ends its connection.
    public static func closesConnection(_ response: UnsafeRawBufferPointer) -> Bool {
        var keepAlive = false
        var close = false
        var lineStart = 0
        var first = true
        var http10 = false
        var i = 0
        while i + 1 < response.count {
            guard response[i] == 0x0d, response[i + 1] == 0x0a else { i += 1; continue }
            if i == lineStart { break } // the blank line: the head ended
            let line = UnsafeRawBufferPointer(rebasing: response[lineStart..<i])
            if first {
                http10 = startsWith(line, "http/1.0")
                first = false
            } else if startsWith(line, "connection:") {
                let value = lowercased(UnsafeRawBufferPointer(rebasing: line[11...]))
                for token in value.split(separator: ",") {
                    let t = token.trimmingCharacters(in: " \t")
                    if t == "close" { close = true }
                    if t == "keep-alive" { keepAlive = true }
                }
            }
            i += 2
            lineStart = i
        }
        return close || (http10 && !keepAlive)
    }

    private static func startsWith(_ line: UnsafeRawBufferPointer, _ prefix: String) -> Bool {
        let p = Array(prefix.utf8)
        guard line.count >= p.count else { return false }
        for k in p.indices where lower(line[k]) != p[k] { return false }
        return true
    }

    private static func lower(_ b: UInt8) -> UInt8 { (0x41...0x5a).contains(b) ? b | 0x20 : b }

    private static func lowercased(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.map(lower), as: UTF8.self)
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
