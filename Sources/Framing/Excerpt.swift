// Byte runs in failure messages: the first few as hex and as text, so a person sees both what
// the bytes are and what they say.

public enum Excerpt {
    public static func render(_ bytes: [UInt8], limit: Int = 16) -> String {
        let shown = bytes.prefix(limit)
        let hex = shown.map { String($0, radix: 16).leftPaddedHex }.joined(separator: " ")
        let text = String(shown.map { (0x20...0x7e).contains($0) ? Character(UnicodeScalar($0)) : "." })
        let more = bytes.count > limit ? " …" : ""
        return "[\(hex)\(more)] \"\(text)\(more)\""
    }
}

private extension String {
    var leftPaddedHex: String { count == 1 ? "0" + self : self }
}
