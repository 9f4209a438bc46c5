// Runs one content case: a fresh connection, every request written whole, back to back, then
// the replies read and framed until the ones owed have come and a short grace has passed with no
// more (or the connection ends, or a reply cannot be framed, or the wait for an owed reply runs
// out). How many replies are owed is the framing's count of the requests in what was sent (and
// one more for a trailing part of one). A written finding sends the same way: consecutive sends.

import Framing
import ScenarioRunner
import Syscalls

public struct ContentTiming: Sendable, Equatable {
    /// How long an owed reply is waited for after the last byte moved.
    public var replyWaitNanos: UInt64 = 200_000_000
    /// How long to wait for one more reply once the owed ones came.
    public var graceNanos: UInt64 = 20_000_000
    public var connectNanos: UInt64 = 2_000_000_000

    public init() {}
}

public struct ContentOutcome: Sendable, Equatable {
    public var replies: [[UInt8]] = []
    /// The bytes that could not be framed (after `replies`), if any.
    public var malformed: String?
    public var end: End = .open
    /// Replies the requests may get: one per whole request when everything sent is whole
    /// requests that every server cuts the same way (Framing.countableRequests); nil when it is
    /// not (bytes no request can be, a request cut short, or one servers may cut differently),
    /// since a server may then answer as it likes (an error per line, say).
    public var allowed: Int?
    /// Whole requests in what was sent.
    public var wholeRequests = 0
    /// Nanoseconds from the last byte sent to each reply (for the reply wait).
    public var latencies: [UInt64] = []

    public enum End: Sendable, Equatable {
        /// Still open when the reading stopped (we closed it).
        case open
        case eof
        case reset
        /// No connection: the server refused it, or did not accept it in time.
        case notConnected(String)
    }

    /// One reply too many: a protocol violation.
    public var hasExtraReply: Bool { allowed.map { replies.count > $0 } ?? false }

    /// Whether anything about it calls for a liveness probe: a reply owed and not given, or a
    /// connection that ended or never began.
    public var isSuspicious: Bool {
        if case .open = end { return replies.count < wholeRequests }
        return true
    }

    /// The connection's sequence of reply classes and how it ended, for the behaviour map.
    public func classes(_ framing: Framing) -> [String] {
        var out = replies.map { ReplyClass.of($0, framing: framing) }
        if malformed != nil { out.append(ReplyClass.malformed) }
        switch end {
        case .eof: out.append(ReplyClass.eof)
        case .reset: out.append(ReplyClass.reset)
        case .notConnected: out.append(ReplyClass.reset)
        case .open: if replies.count < wholeRequests { out.append(ReplyClass.noReply) }
        }
        return out
    }
}

public enum ContentExecutor {
    public static func run(_ input: ContentCase, at address: SocketAddress, framing: Framing, timing: ContentTiming) -> ContentOutcome {
        var outcome = ContentOutcome()
        let split = framing.splitRequests(input.bytes)
        outcome.wholeRequests = split.requests.count
        outcome.allowed = framing.countableRequests(split)
        let connection: BlockingConnection
        switch BlockingConnection.connect(address, until: Sys.monotonicNanos() &+ timing.connectNanos) {
        case .success(let c): connection = c
        case .failure(let problem):
            outcome.end = .notConnected(problem.description)
            return outcome
        }
        var decoder = FrameDecoder(framing)
        if case .http1 = framing {
            for request in split.requests { decoder.noteRequest(isHEAD: HTTP1Request.isHEAD(request)) }
        }
        var lastMoved = Sys.monotonicNanos()
        for request in input.requests {
            guard connection.send(request, until: lastMoved &+ timing.replyWaitNanos) else { break }
            lastMoved = Sys.monotonicNanos()
        }
        let sentAt = lastMoved
        while true {
            let owedAll = outcome.replies.count >= outcome.wholeRequests
            let deadline = owedAll ? lastMoved &+ timing.graceNanos : lastMoved &+ timing.replyWaitNanos
            var chunk: [UInt8] = []
            guard connection.receive(into: &chunk, until: deadline) else { break }
            lastMoved = Sys.monotonicNanos()
            let fed = decoder.feedKeepingFrames(chunk)
            for frame in fed.frames where Self.counts(frame, framing) {
                outcome.replies.append(frame.bytes)
                outcome.latencies.append(lastMoved &- sentAt)
            }
            if let error = fed.error {
                outcome.malformed = "\(error)"
                break
            }
        }
        switch connection.ending {
        case .eof?:
            outcome.end = .eof
            if outcome.malformed == nil, let frames = try? decoder.finish() {
                outcome.replies += frames.filter { Self.counts($0, framing) }.map(\.bytes)
            }
        case .reset?, .error?: outcome.end = .reset
        case nil: break
        }
        return outcome
    }

    /// An HTTP interim response (1xx but 101) is not an answer of its own.
    static func counts(_ frame: Frame, _ framing: Framing) -> Bool {
        guard case .http1 = framing, frame.bytes.count > 12 else { return true }
        let code = frame.bytes[9..<12]
        return !(code.first == UInt8(ascii: "1") && Array(code) != Array("101".utf8))
    }
}
