// Where the frame at the front of some bytes ends, without copying them: the fast path for a
// caller that keeps replies in its own read buffer (the request/response load generator). Only
// for framings that need no state across frames; `raw` and `http1` go through `FrameDecoder`.

public enum FrameScan {
    /// Whether `frameLength` can frame `framing` (everything but `raw` and `http1`).
    public static func supports(_ framing: Framing) -> Bool {
        switch framing {
        case .line, .delimiter, .length, .resp: return true
        case .raw, .http1: return false
        }
    }

    /// The length of the complete frame at the front of `bytes` (which start at `streamOffset`
    /// in the stream), nil when more bytes are needed. Throws what `FrameDecoder` would.
    public static func frameLength(_ framing: Framing, in bytes: UnsafeRawBufferPointer,
                                   streamOffset: UInt64 = 0) throws(FramingError) -> Int? {
        let b = BorrowedBytes(base: bytes, streamOffset: streamOffset)
        guard b.count > 0 else { return nil }
        switch framing {
        case .line(let max): return try delimitedEnd(b, by: [0x0a], max: max, stripCR: true)?.end
        case .delimiter(let d, let max): return try delimitedEnd(b, by: d, max: max, stripCR: false)?.end
        case .length(let prefix): return try lengthPrefixedEnd(b, prefix)
        case .resp(let max): return try RESPFraming.end(of: b, max: max)
        case .raw, .http1: preconditionFailure("FrameScan does not frame \(framing): use FrameDecoder")
        }
    }

    /// End of the delimited frame at the front, and where its payload ends.
    static func delimitedEnd<B: FrameBytes>(_ b: B, by delimiter: [UInt8], max: Int,
                                            stripCR: Bool) throws(FramingError) -> (end: Int, payloadEnd: Int)? {
        guard let at = delimiter.count == 1 ? b.firstIndex(ofByte: delimiter[0]) : b.firstIndex(of: delimiter) else {
            if b.count > max + delimiter.count {
                throw FramingError("no \(stripCR ? "line end" : "delimiter") within \(max) bytes", at: b.offset(max))
            }
            return nil
        }
        guard at <= max else { throw FramingError("frame of \(at) bytes is longer than the limit of \(max)", at: b.offset(0)) }
        let payloadEnd = stripCR && at > 0 && b[at - 1] == 0x0d ? at - 1 : at
        return (at + delimiter.count, payloadEnd)
    }

    /// End of the length-prefixed frame at the front (its payload starts after the prefix).
    static func lengthPrefixedEnd<B: FrameBytes>(_ b: B, _ prefix: LengthPrefix) throws(FramingError) -> Int? {
        guard b.count >= prefix.width else { return nil }
        var value: UInt64 = 0
        for i in 0..<prefix.width {
            let byte = UInt64(b[prefix.bigEndian ? i : prefix.width - 1 - i])
            value = value << 8 | byte
        }
        let total: UInt64
        if prefix.includesPrefix {
            guard value >= UInt64(prefix.width) else {
                throw FramingError("length \(value) is shorter than its own \(prefix.width)-byte prefix", at: b.offset(0))
            }
            total = value
        } else {
            total = value &+ UInt64(prefix.width)
        }
        guard total - UInt64(prefix.width) <= UInt64(prefix.maxLength), total >= value else {
            throw FramingError("length \(value) is over the limit of \(prefix.maxLength)", at: b.offset(0))
        }
        guard UInt64(b.count) >= total else { return nil }
        return Int(total)
    }
}
