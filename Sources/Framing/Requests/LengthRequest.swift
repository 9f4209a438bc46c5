// A length-prefixed request: a binary prefix, then the payload it counts.

enum LengthRequest {
    static func parse(_ r: inout RequestReader, prefix: LengthPrefix) -> Bool {
        guard r.remaining >= prefix.width else { return false }
        var value: UInt64 = 0
        for i in 0..<prefix.width {
            let b = UInt64(r.peek(prefix.bigEndian ? i : prefix.width - 1 - i)!)
            value = value << 8 | b
        }
        let counted = prefix.includesPrefix ? Int(clamping: value) - prefix.width : Int(clamping: value)
        guard counted >= 0, counted <= prefix.maxLength, r.remaining >= prefix.width + counted else { return false }
        let prefixField = r.take(.binary(width: prefix.width, bigEndian: prefix.bigEndian), "length prefix", prefix.width)
        let payload = r.take(.value, "payload", counted)
        // A prefix that counts itself states payload + width: not a plain link to the payload.
        if !prefix.includesPrefix { r.link(prefixField, to: payload) }
        return true
    }
}
