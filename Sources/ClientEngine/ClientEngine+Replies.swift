// Replies of groups with a framing: each connection's decoder cuts what it receives into whole
// frames, which reply checks consume in order; each frame answers the oldest request still
// waiting (pipelining in order), and that round trip goes into the group's latency histogram.

import Framing

extension ClientEngine {
    /// Replies kept per connection before the oldest are dropped (a server streaming unasked).
    static let maxKeptReplies = 65_536

    /// The next reply at or after the read cursor (frames the byte checks moved past are
    /// dropped), nil when none has arrived.
    public func nextReply(_ id: Int) -> Frame? {
        let c = connections[id]
        while let first = c.replies.first, first.streamOffset < c.inboxStart { c.replies.removeFirst() }
        return c.replies.first
    }

    /// Whole replies waiting at or after the read cursor.
    public func replyCount(_ id: Int) -> Int {
        _ = nextReply(id)
        return connections[id].replies.count
    }

    /// Consumes the next reply and moves the read cursor past its bytes.
    public func consumeReply(_ id: Int) {
        guard let frame = nextReply(id) else { return }
        let c = connections[id]
        c.replies.removeFirst()
        let end = frame.streamOffset &+ UInt64(frame.bytes.count)
        if end > c.inboxStart { consumeInbox(id, count: Int(end - c.inboxStart)) }
        c.inboxStart = max(c.inboxStart, end)
    }

    /// Feeds the decoder; called from the read path only for framed connections.
    func framesArrived(_ c: ClientConnection, _ bytes: UnsafeRawBufferPointer, now: UInt64) {
        do throws(FramingError) {
            deliver(c, try c.decoder!.feed(bytes), now: now)
        } catch {
            framingFailed(c, error)
        }
    }

    /// The peer closed: a body delimited by the close completes, a partial frame is an error.
    func streamEnded(_ c: ClientConnection, now: UInt64) {
        do throws(FramingError) {
            deliver(c, try c.decoder!.finish(), now: now)
        } catch {
            framingFailed(c, error)
        }
    }

    private func deliver(_ c: ClientConnection, _ frames: [Frame], now: UInt64) {
        for frame in frames {
            c.repliesReceived &+= 1
            stats[c.group]!.replies += 1
            if let sentAt = c.requestsSentAt.popFirst() { stats[c.group]!.latency.record(now &- sentAt) }
            if c.replies.count >= Self.maxKeptReplies { c.replies.removeFirst() }
            c.replies.append(frame)
            replyObserver?(c.id, frame)
        }
    }

    private func framingFailed(_ c: ClientConnection, _ error: FramingError) {
        guard c.framingError == nil else { return }
        c.framingError = error
        stats[c.group]!.framingErrors += 1
    }
}
