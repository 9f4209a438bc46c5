// Incremental decoding: bytes in, in any fragmentation, complete frames out. One decoder per
// connection and direction; the simple framings are cut here, RESP and HTTP/1 in their own files.

public struct FrameDecoder: Sendable {
    public let framing: Framing
    var buffer = FrameBuffer()
    var http = HTTP1State()
    /// After a framing error the stream cannot be resynchronised: every later feed fails too.
    private var broken: FramingError?

    public init(_ framing: Framing) {
        self.framing = framing
    }

    /// Bytes received but not yet part of a complete frame.
    public var pendingByteCount: Int { buffer.count }

    /// HTTP/1 only: a request was sent, HEAD or not (`HTTP1Request.isHEAD`), so its response is
    /// framed accordingly (a response to HEAD has no body). Responses pair with requests in order.
    public mutating func noteRequest(isHEAD: Bool) {
        http.pendingHEAD.append(isHEAD)
    }

    /// Appends `bytes` and returns the frames they complete, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(FramingError) -> [Frame] {
        if let broken { throw broken }
        if case .raw = framing {
            guard bytes.count > 0 else { return [] }
            buffer.append(bytes)
            return [buffer.take(buffer.count)]
        }
        buffer.append(bytes)
        let completed = completeFrames()
        if let error = completed.error { throw error }
        return completed.frames
    }

    /// Like `feed`, but the frames completed before bytes that cannot be framed are returned
    /// with the error, not lost with it (how many whole replies came before a malformed one
    /// must not depend on how the kernel cut the stream).
    public mutating func feedKeepingFrames(_ bytes: [UInt8]) -> (frames: [Frame], error: FramingError?) {
        if let broken { return ([], broken) }
        if case .raw = framing { return ((try? feed(bytes)) ?? [], nil) }
        buffer.append(bytes)
        return completeFrames()
    }

    /// Every frame the buffer now completes, and the error that stopped them, if one did (the
    /// decoder is broken from then on).
    @inline(__always)
    private mutating func completeFrames() -> (frames: [Frame], error: FramingError?) {
        var frames: [Frame] = []
        do throws(FramingError) {
            while let frame = try next(atEOF: false) { frames.append(frame) }
        } catch {
            broken = error
            return (frames, error)
        }
        return (frames, nil)
    }

    public mutating func feed(_ bytes: [UInt8]) throws(FramingError) -> [Frame] {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { raw in Result { () throws(FramingError) in try feed(raw) } }
        return try result.get()
    }

    /// The peer closed its side: returns what only the end completes (an HTTP body delimited by
    /// the close); throws if a partial frame is left over.
    public mutating func finish() throws(FramingError) -> [Frame] {
        if let broken { throw broken }
        var frames: [Frame] = []
        while let frame = try next(atEOF: true) { frames.append(frame) }
        guard buffer.isEmpty else {
            throw FramingError("the stream ended inside a frame (\(buffer.count) byte(s) of an incomplete \(framing))",
                               at: buffer.streamOffset)
        }
        return frames
    }

    /// The next complete frame at the front of the buffer, nil when more bytes are needed.
    mutating func next(atEOF: Bool) throws(FramingError) -> Frame? {
        guard !buffer.isEmpty else { return nil }
        switch framing {
        case .raw:
            return buffer.take(buffer.count)
        case .line(let max):
            return try delimited(by: [0x0a], max: max, stripCR: true)
        case .delimiter(let d, let max):
            return try delimited(by: d, max: max, stripCR: false)
        case .length(let prefix):
            return try lengthPrefixed(prefix)
        case .resp(let max):
            guard let end = try RESPFraming.end(of: buffer, max: max) else { return nil }
            return buffer.take(end)
        case .http1(let max):
            return try HTTP1Framing.next(&buffer, &http, max: max, atEOF: atEOF)
        }
    }

    private mutating func delimited(by delimiter: [UInt8], max: Int, stripCR: Bool) throws(FramingError) -> Frame? {
        guard let (end, payloadEnd) = try FrameScan.delimitedEnd(buffer, by: delimiter, max: max, stripCR: stripCR) else { return nil }
        return buffer.take(end, payload: 0..<payloadEnd)
    }

    private mutating func lengthPrefixed(_ prefix: LengthPrefix) throws(FramingError) -> Frame? {
        guard let total = try FrameScan.lengthPrefixedEnd(buffer, prefix) else { return nil }
        return buffer.take(total, payload: prefix.width..<total)
    }
}
