// What a load client must know of an HTTP/1.x response beyond its framing: whether the server
// will close the connection after it (`Connection: close`, or HTTP/1.0 without keep-alive), so
// the client opens another instead of counting the close as an error (as wrk does). Read once
// per reply on the load's hot path: it compares bytes in place and allocates nothing.

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
                // Comma-separated tokens, blanks around them.
                var start = 11
                while start < line.count {
                    var end = start
                    while end < line.count && line[end] != UInt8(ascii: ",") { end += 1 }
                    var a = start, b = end
                    while a < b && (line[a] == 0x20 || line[a] == 0x09) { a += 1 }
                    while b > a && (line[b - 1] == 0x20 || line[b - 1] == 0x09) { b -= 1 }
                    let token = UnsafeRawBufferPointer(rebasing: line[a..<b])
                    if equals(token, "close") { close = true }
                    if equals(token, "keep-alive") { keepAlive = true }
                    start = end + 1
                }
            }
            i += 2
            lineStart = i
        }
        return close || (http10 && !keepAlive)
    }

    private static func startsWith(_ line: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        guard line.count >= prefix.utf8CodeUnitCount else { return false }
        let p = prefix.utf8Start
        for k in 0..<prefix.utf8CodeUnitCount where lower(line[k]) != p[k] { return false }
        return true
    }

    private static func equals(_ token: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        token.count == word.utf8CodeUnitCount && startsWith(token, word)
    }

    private static func lower(_ b: UInt8) -> UInt8 { (0x41...0x5a).contains(b) ? b | 0x20 : b }
}
