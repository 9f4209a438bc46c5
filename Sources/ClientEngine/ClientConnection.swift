// One client connection's books: where it stands, what it still has to send, what it sent and
// expects back (only the bytes in flight are kept), what it received for pattern checks.

import DequeModule
import Framing
import Reactor
import TLSClient

public enum ConnectionPhase: String, Sendable, Equatable {
    case pending      // scheduled by a rate-limited connect, no socket yet
    case connecting   // non-blocking connect in progress
    case open
    case refused      // ECONNREFUSED
    case timedOut     // no answer within the connect timeout
    case failed       // any other connect error (EMFILE, EHOSTUNREACH, ...)
    case closed       // closed by us (orderly or abort)
    case reset        // the peer reset it (ECONNRESET/EPIPE)
}

/// The first point where what came back differs from what was sent.
public struct EchoMismatch: Sendable, Equatable, CustomStringConvertible {
    /// Offset in the connection's byte stream (from its first byte).
    public var offset: UInt64
    public var expected: [UInt8]
    public var seen: [UInt8]

    public var description: String {
        if expected.isEmpty {
            return "unexpected extra bytes at offset \(offset): seen \(Excerpt.render(seen))"
        }
        return "first differing byte at offset \(offset): expected \(Excerpt.render(expected)), seen \(Excerpt.render(seen))"
    }
}

final class ClientConnection {
    let id: Int
    let group: String
    let index: Int
    var fd: Int32 = -1
    var phase: ConnectionPhase = .pending
    var connectError: Int32 = 0
    var connectStarted: UInt64 = 0
    var connectTimer: TimerID?
    /// While `.connecting`: the connect (and TLS handshake) under way, and what it waits for.
    var attempt: Connector.Attempt?
    var connectWaitsFor = IOEvents.writable
    /// When the handshake completed; 0: never.
    var connectedAt: UInt64 = 0

    // Sending.
    var outgoing = Deque<OutgoingSegment>()
    /// When the head segment may start (set when it reaches the head), 0 = not yet reached.
    var headNotBefore: UInt64 = 0
    /// Generated or copied bytes the kernel has not taken yet.
    var staged = ByteQueue()
    var writeTimer: TimerID?
    var writeShut = false
    /// A half-close or close is queued: nothing queued after it would ever be sent.
    var sendingEnded = false
    var bytesSent: UInt64 = 0
    /// Bytes queued that never went out because the connection ended first.
    var unsentAtEnd = 0

    // Receiving.
    var readingPaused = false
    var peerEOF = false
    var bytesReceived: UInt64 = 0
    /// Sent and not yet echoed: the whole echo check needs only these bytes (random ones as
    /// their stream, see EchoBacklog).
    var inFlight = EchoBacklog()
    /// With echo tracking: what the staged bytes are, in order (literal, or a random stream's),
    /// so those sent move to `inFlight` as the same kind.
    var stagedRuns = Deque<(random: RandomByteStream?, count: Int)>()
    var echoMismatch: EchoMismatch?
    /// Bytes still unechoed when the connection ended (its buffers are freed then; the count
    /// must survive, or a server that closes early would look like a complete echo).
    var unechoedAtEnd = 0
    /// Received bytes not yet consumed by a `recv` or `match` check (capped).
    var inbox: [UInt8] = []
    var inboxDropped: UInt64 = 0
    /// Stream offset of `inbox`'s first byte (what the read cursor has moved past).
    var inboxStart: UInt64 = 0
    /// (stream offset of a fragment's last byte, time it was sent): for round-trip latency.
    var latencyMarks = Deque<(offset: UInt64, sentAt: UInt64)>()

    // Replies, only when the group has a framing (nil: the byte path runs as before).
    var decoder: FrameDecoder?
    /// Whole frames received and not yet consumed by a reply check (at most `maxKeptReplies`).
    var replies = Deque<Frame>()
    var repliesReceived: UInt64 = 0
    /// Requests queued so far (framed groups): one a send, or the whole requests parsed from
    /// a send of several (see `countingRequests`).
    var requestsQueued: UInt64 = 0
    /// The first framing error; the stream cannot be framed past it.
    var framingError: FramingError?
    /// When each request still waiting for its reply was sent, oldest first.
    var requestsSentAt = Deque<UInt64>()

    /// TLS, for groups connected with it (nil: clear; the byte path runs as before).
    var tls: TLSClientSession?

    init(id: Int, group: String, index: Int) {
        self.id = id
        self.group = group
        self.index = index
    }

    var isEstablished: Bool { phase == .open }
    var hasPendingOutput: Bool { !outgoing.isEmpty || !staged.isEmpty }

    func releaseBuffers() {
        unechoedAtEnd += inFlight.count
        unsentAtEnd += staged.count + outgoing.reduce(0) { $0 + $1.byteCount }
        staged.release()
        stagedRuns.removeAll()
        inFlight.release()
        outgoing.removeAll()
        latencyMarks.removeAll()
        requestsSentAt.removeAll()
        tls?.free()
    }
}
