// What the HTTP/1 response decoder needs to know of a request: whether it is HEAD, whose
// response has no body whatever its Content-Length says. Read from the request's own bytes, the
// one place the method is cut out of them.

public enum HTTP1Request {
    /// Whether `request` is a HEAD request: its first word, after any empty lines before the
    /// request line (RFC 9112 section 2.2 lets a server skip them), is exactly `HEAD`. Methods
    /// are case-sensitive, so `head` is another (unknown) method. The word ends at a space, a tab
    /// or the end of the bytes; bytes that end inside it (`HEA`) are not HEAD.
    public static func isHEAD(_ request: some Sequence<UInt8>) -> Bool {
        let head: [UInt8] = [0x48, 0x45, 0x41, 0x44]  // "HEAD"
        var matched = 0
        var inLeadingLines = true
        for b in request {
            if inLeadingLines && (b == 0x0d || b == 0x0a) { continue }
            inLeadingLines = false
            if matched == head.count { return b == 0x20 || b == 0x09 }
            guard b == head[matched] else { return false }
            matched += 1
        }
        return matched == head.count
    }
}
