// One direction of a proxied connection cut into whole frames, for the frame-aware toxics:
// requests (upstream) by the framing's request side, replies (downstream) by its decoder. Bytes
// that will not frame (a malformed stream, a request past 64 KiB) break the cutter, and the
// direction goes on as plain bytes: a proxy must not hold a stream hostage to its parser.

import Framing

struct FrameCutter {
    enum Side { case requests, replies }

    let framing: Framing
    let side: Side
    private var decoder: FrameDecoder
    /// Requests side: bytes not yet a whole request, from stream offset `pendingOffset`.
    private var pending: [UInt8] = []
    private var pendingOffset: UInt64 = 0
    /// Bytes fed so far: the stream offset of the next byte.
    private(set) var fed: UInt64 = 0
    private(set) var broken = false

    static let maxPendingRequest = 64 * 1024

    init(framing: Framing, side: Side) {
        self.framing = framing
        self.side = side
        decoder = FrameDecoder(framing)
    }

    /// The frames `bytes` complete, each with its stream offset.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [(offset: UInt64, bytes: [UInt8])] {
        fed &+= UInt64(bytes.count)
        guard !broken else { return [] }
        switch side {
        case .replies:
            do {
                return try decoder.feed(bytes).map { ($0.streamOffset, $0.bytes) }
            } catch {
                broken = true
                return []
            }
        case .requests:
            pending.append(contentsOf: bytes)
            var frames: [(offset: UInt64, bytes: [UInt8])] = []
            var start = 0
            while start < pending.count, let (_, length) = framing.parseRequest(pending[start...]) {
                frames.append((pendingOffset &+ UInt64(start), Array(pending[start..<(start + length)])))
                start += length
            }
            pending.removeFirst(start)
            pendingOffset &+= UInt64(start)
            if pending.count > Self.maxPendingRequest {
                broken = true
                pending = []
            }
            return frames
        }
    }

    /// HTTP/1: a request went upstream, so the reply to it is framed as a HEAD's or not.
    mutating func noteRequest(_ request: [UInt8]) {
        if case .http1 = framing { decoder.noteRequest(isHEAD: HTTP1Request.isHEAD(request)) }
    }
}
