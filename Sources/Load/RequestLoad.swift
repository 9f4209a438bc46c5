// Request/response load, the load runner's second work: each connection sends requests from a
// mix and every reply is framed (Sources/Framing) and checked against `--expect`. Replies are
// framed where they lie in the read buffer (FrameScan); only the bytes of a partial reply are
// carried to the next read, so a run of small replies allocates nothing per reply. `http1`
// frames go through FrameDecoder.

import Framing
import Glibc
import Syscalls
import TLSClient
import Vocabulary

public struct RequestLoadPlan: Sendable {
    public var mix: RequestMix
    public var framing: Framing
    /// A regex every reply must match; nil accepts any well-framed reply.
    public var expect: String?
    public var window: LoadWindow

    public init(mix: RequestMix, framing: Framing, expect: String?, pacing: LoadPacing, durationNanos: UInt64,
                warmupNanos: UInt64 = 0, drainNanos: UInt64 = 2_000_000_000) {
        precondition(framing != .raw, "raw framing cannot tell replies apart")
        self.mix = mix
        self.framing = framing
        self.expect = expect
        window = LoadWindow(pacing: pacing, durationNanos: durationNanos, warmupNanos: warmupNanos, drainNanos: drainNanos)
    }
}

final class RequestLoad: LoadWork {
    struct State {
        /// Requests written whole, and bytes written of the next one.
        var sent: UInt64 = 0
        var sentOffset = 0
        /// Reply bytes received, for the stream offsets of framing errors (on this socket).
        var receivedBytes: UInt64 = 0
        /// Bytes written and received over the whole run, reconnects included.
        var bytesOut: UInt64 = 0
        var bytesIn: UInt64 = 0
    }

    let plan: RequestLoadPlan
    /// The requests, back to back; request k is `requestStart[k] ..< requestStart[k] + requestLength[k]`.
    private let requestBytes: UnsafeMutableRawPointer
    private let requestStart: [Int]
    private let requestLength: [Int]
    private let schedule: [Int]
    /// Per connection, the bytes of a reply not yet complete (capacity kept between reads).
    private var partial: [[UInt8]]
    /// `http1` only (it needs state across frames): one decoder per connection.
    private var decoders: [FrameDecoder]
    private let scans: Bool
    /// http1 with a HEAD among the requests: per request of the mix, whether it is HEAD, which
    /// the decoder is told of each request sent (decided once here, not per request on the hot
    /// path). nil: no decoder needs telling.
    private let headRequests: [Bool]?
    private let check: ReplyCheck
    /// Whether a reply saying the server closes is looked for (only when connections are opened again).
    private let watchesClose: Bool
    private(set) var mismatched: UInt64 = 0
    private(set) var firstMismatch: String?
    private(set) var framingErrors: UInt64 = 0

    /// Throws when `plan.expect` is not a valid regex.
    init(plan: RequestLoadPlan, connections: Int, watchesClose: Bool) throws {
        self.plan = plan
        self.watchesClose = watchesClose
        check = try ReplyCheck(pattern: plan.expect, requests: plan.mix.requests.count)
        let requests = plan.mix.requests
        let lengths = requests.map(\.count)
        let starts = requests.indices.map { k in lengths[..<k].reduce(0, +) }
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(1, lengths.reduce(0, +)), alignment: 16)
        for k in requests.indices { requests[k].withUnsafeBytes { (block + starts[k]).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        requestLength = lengths
        requestStart = starts
        requestBytes = block
        schedule = plan.mix.schedule
        partial = Array(repeating: [], count: connections)
        scans = FrameScan.supports(plan.framing)
        headRequests = !scans && plan.mix.hasHEAD ? plan.mix.headRequests : nil
        decoders = scans ? [] : Array(repeating: FrameDecoder(plan.framing), count: connections)
    }

    deinit { requestBytes.deallocate() }

    var errors: UInt64 { mismatched + framingErrors }

    func initialState() -> State { State() }

    /// Which request of the mix is connection `i`'s request number `seq`.
    @inline(__always)
    private func request(_ i: Int, _ seq: UInt64) -> Int {
        schedule[Int((seq &+ UInt64(i)) % UInt64(schedule.count))]
    }

    @inline(__always)
    func queued(_ i: Int, seq: UInt64) {
        if let headRequests { decoders[i].noteRequest(isHEAD: headRequests[request(i, seq)]) }
    }

    @inline(__always)
    func hasUnwritten(_ c: LoadConnection<State>) -> Bool { c.state.sent < c.queued }

    @inline(__always)
    func wroteUnanswered(_ c: LoadConnection<State>) -> Bool { c.state.sent > c.answered || c.state.sentOffset > 0 }

    func closeNote(_ c: LoadConnection<State>) -> String {
        c.queued > c.answered ? " with \(c.queued - c.answered) request(s) unanswered" : ""
    }

    func fill(_ i: Int, _ c: LoadConnection<State>, _ buffer: UnsafeMutableRawPointer, _ capacity: Int) -> Int {
        var filled = 0
        var seq = c.state.sent
        var offset = c.state.sentOffset
        while filled < capacity && seq < c.queued {
            let k = request(i, seq)
            let n = min(requestLength[k] - offset, capacity - filled)
            (buffer + filled).copyMemory(from: requestBytes + requestStart[k] + offset, byteCount: n)
            filled += n
            offset += n
            if offset == requestLength[k] { seq += 1; offset = 0 }
        }
        filledTo = (seq, offset)
        return filled
    }

    /// Where the last `fill` ended: a write of all it filled ends there.
    private var filledTo: (seq: UInt64, offset: Int) = (0, 0)

    /// Advances past what went out: to where the fill ended when all of it went (the usual
    /// case), else whole requests, then the bytes of the next.
    func wrote(_ i: Int, _ c: inout LoadConnection<State>, sent: Int, filled: Int) {
        c.state.bytesOut &+= UInt64(sent)
        if sent == filled {
            (c.state.sent, c.state.sentOffset) = filledTo
            return
        }
        var left = sent
        while left > 0 {
            let k = request(i, c.state.sent)
            let n = min(requestLength[k] - c.state.sentOffset, left)
            left -= n
            c.state.sentOffset += n
            if c.state.sentOffset == requestLength[k] { c.state.sent += 1; c.state.sentOffset = 0 }
        }
    }

    @inline(__always)
    func carried(_ i: Int) -> Int { scans ? partial[i].count : 0 }

    func restoreCarried(_ i: Int, into buffer: UnsafeMutableRawPointer) {
        partial[i].withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    func consume(_ i: Int, _ buffer: UnsafeMutableRawPointer, carried: Int, received n: Int, runner r: LoadRunner<RequestLoad>) {
        r.conns[i].state.receivedBytes &+= UInt64(n)
        r.conns[i].state.bytesIn &+= UInt64(n)
        if scans { frameInPlace(i, buffer, carried + n, r) } else { frameWithDecoder(i, buffer, n, r) }
    }

    /// Frames the `total` bytes at the front of the read buffer, completing each whole reply,
    /// and keeps what is left of a partial one for the next read.
    private func frameInPlace(_ i: Int, _ buffer: UnsafeMutableRawPointer, _ total: Int, _ r: LoadRunner<RequestLoad>) {
        let now = Sys.monotonicNanos()
        var at = 0
        let bufferStart = r.conns[i].state.receivedBytes &- UInt64(total)
        while at < total {
            let length: Int?
            do {
                length = try FrameScan.frameLength(plan.framing, in: UnsafeRawBufferPointer(start: buffer + at, count: total - at),
                                                   streamOffset: bufferStart &+ UInt64(at))
            } catch {
                framingFailed(i, error, r)
                return
            }
            guard let length else { break }
            complete(i, UnsafeRawBufferPointer(start: buffer + at, count: length), now: now, r)
            guard r.conns[i].alive else { return }
            at += length
        }
        if at == total {
            if !partial[i].isEmpty { partial[i].removeAll(keepingCapacity: true) }
        } else {
            partial[i].removeAll(keepingCapacity: true)
            partial[i].append(contentsOf: UnsafeRawBufferPointer(start: buffer + at, count: total - at))
        }
    }

    private func frameWithDecoder(_ i: Int, _ buffer: UnsafeMutableRawPointer, _ n: Int, _ r: LoadRunner<RequestLoad>) {
        let now = Sys.monotonicNanos()
        let frames: [Frame]
        do { frames = try decoders[i].feed(UnsafeRawBufferPointer(start: buffer, count: n)) } catch {
            framingFailed(i, error, r)
            return
        }
        for frame in frames {
            frame.bytes.withUnsafeBytes { complete(i, $0, now: now, r) }
            guard r.conns[i].alive else { return }
        }
    }

    /// One whole reply: it answers the connection's oldest unanswered request.
    @inline(__always)
    private func complete(_ i: Int, _ reply: UnsafeRawBufferPointer, now: UInt64, _ r: LoadRunner<RequestLoad>) {
        let seq = r.conns[i].answered
        guard seq < r.conns[i].queued else {
            r.fail(i, "connection \(i): a reply with no request outstanding (\(seq) request(s) sent, all answered): "
                   + FrameText.render(Array(reply), limit: 64))
            return
        }
        let k = request(i, seq)
        let right = check.accepts(reply, request: k)
        if !right {
            mismatched += 1
            if firstMismatch == nil {
                firstMismatch = "connection \(i): request \(seq) \(requestText(k)) got \(FrameText.render(Array(reply), limit: 200))"
                    + " (not matching \(plan.expect ?? ""))"
            }
        }
        if watchesClose, case .http1 = plan.framing, HTTP1Reply.closesConnection(reply) { r.conns[i].closing = true }
        r.answer(i, now: now, counted: right)
    }

    private func framingFailed(_ i: Int, _ error: FramingError, _ r: LoadRunner<RequestLoad>) {
        framingErrors += 1
        r.fail(i, "connection \(i): the replies cannot be framed as \(plan.framing): \(error)", counted: false)
    }

    /// The requests the old connection had not had answered go again on the new one.
    func reopened(_ i: Int, runner r: LoadRunner<RequestLoad>) {
        r.conns[i].state.sent = r.conns[i].answered
        r.conns[i].state.sentOffset = 0
        partial[i].removeAll(keepingCapacity: true)
        if !scans {
            decoders[i] = FrameDecoder(plan.framing)
            if let headRequests {
                for seq in r.conns[i].answered..<r.conns[i].queued { decoders[i].noteRequest(isHEAD: headRequests[request(i, seq)]) }
            }
        }
    }

    func unanswered(_ i: Int, _ c: LoadConnection<State>) -> String {
        let k = request(i, c.answered)
        let written = c.state.sent > c.answered ? "sent"
            : c.state.sent == c.answered && c.state.sentOffset > 0 ? "\(c.state.sentOffset) of \(requestLength[k]) bytes sent" : "not sent"
        let pending = scans ? partial[i].count : decoders[i].pendingByteCount
        return "connection \(i): request \(c.answered) \(requestText(k)) (\(written)): no reply"
            + (pending > 0 ? "; \(pending) byte(s) of an incomplete \(plan.framing) reply received"
               + (scans ? ": \(FrameText.render(partial[i], limit: 64))" : "") : "")
    }

    private func requestText(_ k: Int) -> String {
        FrameText.render(Array(UnsafeRawBufferPointer(start: requestBytes + requestStart[k], count: requestLength[k])), limit: 64)
    }
}

extension LoadRunner where Work == RequestLoad {
    /// Takes over `fds` (connected, non-blocking) for the run; they stay open afterwards. With
    /// `transports`, each connection's Transport in the same order (still the caller's).
    /// Throws when `plan.expect` is not a valid regex. With `reconnect`, a connection the server
    /// closes between requests is opened again (counted in `reconnects`); without, it fails.
    convenience init(fds: [Int32], plan: RequestLoadPlan, transports: [Transport]? = nil, reconnect: LoadReconnect? = nil) throws {
        try self.init(work: RequestLoad(plan: plan, connections: fds.count, watchesClose: reconnect != nil), fds: fds,
                      window: plan.window, transports: transports, reconnect: reconnect)
    }

    func run(progress: (LoadProgress) -> Void = { _ in }, interrupted: () -> Bool = { false }) -> LoadResult {
        let run = drive(progress: progress, interrupted: interrupted)
        let plan = work.plan
        let replies = ReplyCheckResult(framing: plan.framing.description, expect: plan.expect,
                                       requests: plan.mix.requests.count, mismatched: work.mismatched,
                                       firstMismatch: work.firstMismatch, framingErrors: work.framingErrors,
                                       reconnects: canReopen ? reconnects : nil)
        let mean = plan.mix.meanSize
        return result(run, messageSize: Int(mean.rounded()), bytesPerMessage: mean, corrupted: 0, replies: replies)
    }

    /// Bytes each connection wrote and received, in the order of the `fds` given.
    var traffic: [(sent: UInt64, received: UInt64)] { conns.map { ($0.state.bytesOut, $0.state.bytesIn) } }
}
