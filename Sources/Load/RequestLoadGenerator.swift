// Sustained request/response load against any server: each connection sends requests from a
// mix and every reply is framed (Sources/Framing) and checked against `--expect`. Closed loop
// (depth requests in flight per connection) or open loop (a total rate, latency from each
// request's intended send time), bounded like the echo load. Replies are framed where they lie
// in the read buffer (FrameScan); only the bytes of a partial reply are carried to the next read,
// so a run of small replies allocates nothing per reply. `http1` frames go through FrameDecoder.

import Framing
import Glibc
import Histogram
import Reactor
import Syscalls
import TLSClient

public struct RequestLoadPlan: Sendable {
    public var mix: RequestMix
    public var framing: Framing
    /// A regex every reply must match; nil accepts any well-framed reply.
    public var expect: String?
    public var pacing: LoadPacing
    public var durationNanos: UInt64
    public var warmupNanos: UInt64
    public var drainNanos: UInt64

    public init(mix: RequestMix, framing: Framing, expect: String?, pacing: LoadPacing, durationNanos: UInt64,
                warmupNanos: UInt64 = 0, drainNanos: UInt64 = 2_000_000_000) {
        precondition(framing != .raw, "raw framing cannot tell replies apart")
        self.mix = mix
        self.framing = framing
        self.expect = expect
        self.pacing = pacing
        self.durationNanos = durationNanos
        self.warmupNanos = warmupNanos
        self.drainNanos = drainNanos
    }
}

public final class RequestLoadGenerator: PacedLoad {
    struct Connection {
        var fd: Int32 = -1
        var alive = false
        /// Requests handed to this connection so far.
        var queued: UInt64 = 0
        /// Requests written whole, and bytes written of the next one.
        var sent: UInt64 = 0
        var sentOffset = 0
        /// Replies received (each answers the oldest unanswered request).
        var answered: UInt64 = 0
        /// Reply bytes received, for the stream offsets of framing errors (on this socket).
        var receivedBytes: UInt64 = 0
        /// Bytes written and received over the whole run, reconnects included.
        var bytesOut: UInt64 = 0
        var bytesIn: UInt64 = 0
        var wantsWrite = false
        var ring = 0
        /// A reply said the server closes after it: nothing more is written until the connection
        /// is opened again (with `reconnect`).
        var closing = false
    }

    /// Where to open a connection again when the server closes one between requests.
    public struct Reconnect {
        public let address: SocketAddress
        public let tls: Connector.TLSTarget?
        public init(to address: SocketAddress, tls: Connector.TLSTarget?) {
            self.address = address
            self.tls = tls
        }
    }

    let plan: RequestLoadPlan
    let loop: EventLoop<EpollBackend>
    private var conns: UnsafeMutableBufferPointer<Connection>
    private var stamps: UnsafeMutableBufferPointer<UInt64>
    private let ringSize: Int
    private var connIndexByFD: [Int32]
    private var transport: LoadTransport
    /// The requests, back to back; request k is `requestStart[k] ..< requestStart[k] + requestLength[k]`.
    private let requestBytes: UnsafeMutableRawPointer
    private let requestStart: [Int]
    private let requestLength: [Int]
    private let schedule: [Int]
    private let writeBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    /// Reads land here after the bytes of the connection's partial reply; grows for large replies.
    private var readBuffer: UnsafeMutableRawPointer
    private var readCapacity = 64 * 1024
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

    var meter: LoadMeter
    /// Closed loop: each answered message is replaced (decided once, not per message).
    private let refills: Bool
    private var mismatched: UInt64 = 0
    private var firstMismatch: String?
    private var framingErrors: UInt64 = 0
    private var connectionErrors: UInt64 = 0
    private let reconnect: Reconnect?
    private var reconnects: UInt64 = 0
    /// Per connection, the connect under way when it is being opened again.
    private var attempts: [Connector.Attempt?]
    /// Per connection, whether its socket (and TLS session) is one this generator opened, to
    /// close at the end; the ones given stay the caller's.
    private var ownsSocket: [Bool]
    private var ownedSessions: [OpaquePointer?]

    /// Round-trip latencies (request sent, or due, to reply) of the measured window, in nanoseconds.
    public var histogram: Histogram<UInt64> { meter.histogram }

    /// Takes over `fds` (connected, non-blocking) for the run; they stay open afterwards. With
    /// `tls`, the connections' SSL objects in the same order (still the caller's).
    /// Throws when `plan.expect` is not a valid regex. With `reconnect`, a connection the server
    /// closes between requests is opened again (counted in `reconnects`); without, it fails.
    public init(fds: [Int32], plan: RequestLoadPlan, tls: [OpaquePointer]? = nil, reconnect: Reconnect? = nil) throws {
        precondition(tls == nil || tls!.count == fds.count)
        self.plan = plan
        self.reconnect = reconnect
        attempts = Array(repeating: nil, count: fds.count)
        ownsSocket = Array(repeating: false, count: fds.count)
        ownedSessions = Array(repeating: nil, count: fds.count)
        transport = LoadTransport(tls, count: fds.count)
        check = try ReplyCheck(pattern: plan.expect, requests: plan.mix.requests.count)
        loop = try EventLoop<EpollBackend>()
        if case .depth = plan.pacing { refills = true } else { refills = false }
        switch plan.pacing {
        case .depth(let d): ringSize = max(1, d)
        case .rate: ringSize = 4096
        }
        conns = .allocate(capacity: fds.count)
        stamps = .allocate(capacity: max(1, fds.count * ringSize))
        connIndexByFD = Array(repeating: -1, count: Int(fds.max() ?? 0) + 1)
        meter = LoadMeter(alive: fds.count)
        for (i, fd) in fds.enumerated() {
            conns.initializeElement(at: i, to: Connection(fd: fd, alive: true, ring: i * ringSize))
            connIndexByFD[Int(fd)] = Int32(i)
        }
        let requests = plan.mix.requests
        let lengths = requests.map(\.count)
        let starts = requests.indices.map { k in lengths[..<k].reduce(0, +) }
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(1, lengths.reduce(0, +)), alignment: 16)
        for k in requests.indices { requests[k].withUnsafeBytes { (block + starts[k]).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        requestLength = lengths
        requestStart = starts
        requestBytes = block
        schedule = plan.mix.schedule
        readBuffer = .allocate(byteCount: readCapacity, alignment: 64)
        partial = Array(repeating: [], count: fds.count)
        scans = FrameScan.supports(plan.framing)
        headRequests = !scans && plan.mix.hasHEAD ? plan.mix.headRequests : nil
        decoders = scans ? [] : Array(repeating: FrameDecoder(plan.framing), count: fds.count)
    }

    deinit {
        for i in conns.indices where conns[i].fd >= 0 { loop.forget(conns[i].fd) }
        for i in conns.indices where ownsSocket[i] {
            attempts[i]?.abandon()
            if let ssl = ownedSessions[i] { TLSIO.end(ssl) }
            if conns[i].fd >= 0 { Sys.close(conns[i].fd) }
        }
        loop.close()
        conns.deallocate()
        stamps.deallocate()
        requestBytes.deallocate()
        writeBuffer.deallocate()
        readBuffer.deallocate()
    }

    /// Runs the plan; `progress` is called a few times a second, `interrupted` polled as often.
    public func run(progress: (LoadProgress) -> Void = { _ in }, interrupted: () -> Bool = { false }) -> LoadResult {
        let run = drive(pacing: plan.pacing, durationNanos: plan.durationNanos, warmupNanos: plan.warmupNanos,
                        drainNanos: plan.drainNanos, progress: progress, interrupted: interrupted)
        var depth: Int?
        var rate: Double?
        switch plan.pacing {
        case .depth(let d): depth = d
        case .rate(let r): rate = r.perSecond
        }
        let mean = plan.mix.meanSize
        let counted = run.messages
        let seconds = run.seconds
        let replies = ReplyCheckResult(framing: plan.framing.description, expect: plan.expect,
                                       requests: plan.mix.requests.count, mismatched: mismatched,
                                       firstMismatch: firstMismatch, framingErrors: framingErrors,
                                       reconnects: reconnect == nil ? nil : reconnects)
        return LoadResult(connections: conns.count, messageSize: Int(mean.rounded()), depth: depth, targetRate: rate,
                          seconds: seconds, messages: counted, verified: counted,
                          messagesPerSecond: seconds > 0 ? Double(counted) / seconds : 0,
                          megabytesPerSecond: seconds > 0 ? Double(counted) * mean / seconds / 1e6 : 0,
                          latencyMicros: LoadResult.Percentiles(nanoseconds: meter.histogram), corrupted: 0,
                          connectionErrors: connectionErrors, firstError: meter.firstError, unanswered: meter.outstanding,
                          firstUnanswered: meter.outstanding > 0 ? firstUnanswered() : nil, notSent: meter.notSent,
                          clientError: meter.clientError, interrupted: run.interrupted,
                          measuredSinceEpochNanos: run.measuredSinceEpochNanos, intervals: meter.intervals, replies: replies)
    }

    // MARK: what the shared run loop needs

    var connectionCount: Int { conns.count }
    func descriptor(_ i: Int) -> Int32 { conns[i].fd }
    var errorsSoFar: UInt64 { mismatched + framingErrors + connectionErrors }

    func isAlive(_ i: Int) -> Bool { conns[i].alive }
    func wantsWrite(_ i: Int) -> Bool { conns[i].wantsWrite }
    func setWantsWrite(_ i: Int) { conns[i].wantsWrite = true }
    func clearWantsWrite(_ i: Int) { conns[i].wantsWrite = false }

    private func firstUnanswered() -> String? {
        guard let i = conns.indices.first(where: { conns[$0].alive && conns[$0].queued > conns[$0].answered }) else { return nil }
        let c = conns[i]
        let k = request(i, c.answered)
        let written = c.sent > c.answered ? "sent" : c.sent == c.answered && c.sentOffset > 0 ? "\(c.sentOffset) of \(requestLength[k]) bytes sent" : "not sent"
        return "connection \(i): request \(c.answered) \(requestText(k)) (\(written)): no reply"
            + (partialCount(i) > 0 ? "; \(partialCount(i)) byte(s) of an incomplete \(plan.framing) reply received"
               + (scans ? ": \(FrameText.render(partial[i], limit: 64))" : "") : "")
    }

    private func partialCount(_ i: Int) -> Int { scans ? partial[i].count : decoders[i].pendingByteCount }

    private func requestText(_ k: Int) -> String {
        FrameText.render(Array(UnsafeRawBufferPointer(start: requestBytes + requestStart[k], count: requestLength[k])), limit: 64)
    }

    public var failedConnections: [Int] { conns.indices.filter { !conns[$0].alive } }

    /// Bytes each connection wrote and received, in the order of the `fds` given.
    public var traffic: [(sent: UInt64, received: UInt64)] { conns.map { ($0.bytesOut, $0.bytesIn) } }

    /// Positions of the live connections that did not write all their queued requests (the run
    /// then failed, unanswered): over TLS a record may be left half-sent inside OpenSSL.
    public var unfinishedConnections: [Int] { conns.indices.filter { conns[$0].alive && conns[$0].sent < conns[$0].queued } }

    // MARK: sending

    /// Which request of the mix is connection `i`'s request number `seq`.
    @inline(__always)
    private func request(_ i: Int, _ seq: UInt64) -> Int {
        schedule[Int((seq &+ UInt64(i)) % UInt64(schedule.count))]
    }

    @inline(__always)
    func enqueue(_ i: Int, stamp: UInt64) {
        let c = conns[i]
        guard Int(c.queued - c.answered) < ringSize else { meter.notSent += 1; return }
        stamps[c.ring + Int(c.queued % UInt64(ringSize))] = stamp
        if let headRequests { decoders[i].noteRequest(isHEAD: headRequests[request(i, c.queued)]) }
        conns[i].queued += 1
        meter.outstanding += 1
    }

    /// Writes as much of the queued requests as the socket takes, 64 KiB per call.
    func flush(_ i: Int) {
        // Closing, or being opened again: the requests wait for the new connection.
        if conns[i].closing || attempts[i] != nil { return }
        while conns[i].alive && conns[i].sent < conns[i].queued {
            var filled = 0
            var seq = conns[i].sent
            var offset = conns[i].sentOffset
            while filled < 64 * 1024 && seq < conns[i].queued {
                let k = request(i, seq)
                let n = min(requestLength[k] - offset, 64 * 1024 - filled)
                (writeBuffer + filled).copyMemory(from: requestBytes + requestStart[k] + offset, byteCount: n)
                filled += n
                offset += n
                if offset == requestLength[k] { seq += 1; offset = 0 }
            }
            var sent: Int
            do {
                switch try transport.send(i, conns[i].fd, writeBuffer, filled) {
                case .wouldBlock: sent = 0
                case .processed(let k): sent = k
                }
            } catch {
                fail(i, "connection \(i): \(error)")
                return
            }
            conns[i].bytesOut &+= UInt64(sent)
            if sent == filled {
                conns[i].sent = seq
                conns[i].sentOffset = offset
                continue
            }
            // Partial write: advance by what went out.
            while sent > 0 {
                let k = request(i, conns[i].sent)
                let n = min(requestLength[k] - conns[i].sentOffset, sent)
                sent -= n
                conns[i].sentOffset += n
                if conns[i].sentOffset == requestLength[k] { conns[i].sent += 1; conns[i].sentOffset = 0 }
            }
            awaitWritable(i)
            return
        }
        settleReadable(i)
    }

    // MARK: receiving

    public func handle(fd: Int32, events: IOEvents) -> Bool {
        let i = Int(connIndexByFD[Int(fd)])
        guard i >= 0, conns[i].alive else { return false }
        if attempts[i] != nil {
            reopened(i, attempts[i]!.advance())
            return true
        }
        if events.contains(.writable) { flush(i) }
        guard events.contains(.readable) else { return true }
        let carried = scans ? partial[i].count : 0
        if carried > 0 {
            if carried >= readCapacity / 2 { growReadBuffer(to: carried * 2) }
            partial[i].withUnsafeBytes { readBuffer.copyMemory(from: $0.baseAddress!, byteCount: carried) }
        }
        let n: Int
        do {
            switch try transport.receive(i, fd, readBuffer + carried, readCapacity - carried) {
            case .wouldBlock: return false
            case .processed(let got): n = got
            }
        } catch {
            if conns[i].closing && reconnect != nil { reopen(i) } else { fail(i, "connection \(i): \(error)") }
            return true
        }
        guard n > 0 else {
            // Between requests (after a reply that said so, or with nothing sent unanswered) a
            // close is the server's right: open another. With requests unanswered it is an error.
            let unanswered = conns[i].sent > conns[i].answered || conns[i].sentOffset > 0
            if reconnect != nil && (conns[i].closing || !unanswered) {
                reopen(i)
            } else {
                fail(i, "connection \(i): closed by the server (\(transport.orderlyClose)) under load"
                     + (conns[i].queued > conns[i].answered ? " with \(conns[i].queued - conns[i].answered) request(s) unanswered" : ""))
            }
            return true
        }
        conns[i].receivedBytes &+= UInt64(n)
        conns[i].bytesIn &+= UInt64(n)
        if scans { frameInPlace(i, carried + n) } else { frameWithDecoder(i, n) }
        // The server closes after the reply that said so: do not wait for its FIN.
        if conns[i].alive && conns[i].closing {
            reopen(i)
            return true
        }
        if conns[i].alive { flush(i) }
        // OpenSSL may hold more records than the buffer took: no readiness will announce them.
        if conns[i].alive && transport.hasPending(i) { return handle(fd: fd, events: .readable) }
        return true
    }

    /// Frames the `total` bytes at the front of the read buffer, completing each whole reply,
    /// and keeps what is left of a partial one for the next read.
    private func frameInPlace(_ i: Int, _ total: Int) {
        let now = Sys.monotonicNanos()
        var at = 0
        let bufferStart = conns[i].receivedBytes &- UInt64(total)
        while at < total {
            let length: Int?
            do {
                length = try FrameScan.frameLength(plan.framing, in: UnsafeRawBufferPointer(start: readBuffer + at, count: total - at),
                                                   streamOffset: bufferStart &+ UInt64(at))
            } catch {
                framingFailed(i, error)
                return
            }
            guard let length else { break }
            complete(i, UnsafeRawBufferPointer(start: readBuffer + at, count: length), now: now)
            guard conns[i].alive else { return }
            at += length
        }
        if at == total {
            if !partial[i].isEmpty { partial[i].removeAll(keepingCapacity: true) }
        } else {
            partial[i].removeAll(keepingCapacity: true)
            partial[i].append(contentsOf: UnsafeRawBufferPointer(start: readBuffer + at, count: total - at))
        }
    }

    private func frameWithDecoder(_ i: Int, _ n: Int) {
        let now = Sys.monotonicNanos()
        let frames: [Frame]
        do { frames = try decoders[i].feed(UnsafeRawBufferPointer(start: readBuffer, count: n)) } catch {
            framingFailed(i, error)
            return
        }
        for frame in frames {
            frame.bytes.withUnsafeBytes { complete(i, $0, now: now) }
            guard conns[i].alive else { return }
        }
    }

    private func growReadBuffer(to bytes: Int) {
        let capacity = max(readCapacity * 2, bytes)
        readBuffer.deallocate()
        readBuffer = .allocate(byteCount: capacity, alignment: 64)
        readCapacity = capacity
    }

    /// One whole reply: it answers the connection's oldest unanswered request.
    @inline(__always)
    private func complete(_ i: Int, _ reply: UnsafeRawBufferPointer, now: UInt64) {
        let seq = conns[i].answered
        guard seq < conns[i].queued else {
            fail(i, "connection \(i): a reply with no request outstanding (\(seq) request(s) sent, all answered): "
                 + FrameText.render(Array(reply), limit: 64))
            return
        }
        let k = request(i, seq)
        if !check.accepts(reply, request: k) {
            mismatched += 1
            if firstMismatch == nil {
                firstMismatch = "connection \(i): request \(seq) \(requestText(k)) got \(FrameText.render(Array(reply), limit: 200))"
                    + " (not matching \(plan.expect ?? ""))"
            }
        } else {
            let stamp = stamps[conns[i].ring + Int(seq % UInt64(ringSize))]
            meter.record(now > stamp ? now - stamp : 0)
        }
        conns[i].answered = seq + 1
        meter.outstanding -= 1
        if reconnect != nil, case .http1 = plan.framing, HTTP1Reply.closesConnection(reply) { conns[i].closing = true }
        if refills && meter.accepting { enqueue(i, stamp: now) }
    }

    // MARK: opening a connection again

    /// The server closed connection `i` between requests: the requests it had not answered are
    /// sent again on a new connection (their latency still counts from when they were first due).
    private func reopen(_ i: Int) {
        guard let reconnect else { return }
        let old = conns[i].fd
        loop.forget(old)
        connIndexByFD[Int(old)] = -1
        if ownsSocket[i] {
            if let ssl = ownedSessions[i] { TLSIO.free(ssl) }
            ownedSessions[i] = nil
            Sys.close(old)
        }
        reconnects += 1
        conns[i].closing = false
        conns[i].sent = conns[i].answered
        conns[i].sentOffset = 0
        partial[i].removeAll(keepingCapacity: true)
        if !scans {
            decoders[i] = FrameDecoder(plan.framing)
            if let headRequests {
                for seq in conns[i].answered..<conns[i].queued { decoders[i].noteRequest(isHEAD: headRequests[request(i, seq)]) }
            }
        }
        let (attempt, step) = Connector.Attempt.start(to: reconnect.address, tls: reconnect.tls) { fd in
            try? Sys.setNoDelay(fd)
            return .success(fd)
        }
        ownsSocket[i] = true
        conns[i].fd = -1
        if let attempt {
            let fd = attempt.fd
            if Int(fd) >= connIndexByFD.count {
                connIndexByFD.append(contentsOf: repeatElement(-1, count: Int(fd) + 1 - connIndexByFD.count))
            }
            connIndexByFD[Int(fd)] = Int32(i)
            conns[i].fd = fd
            attempts[i] = attempt
        }
        reopened(i, step)
    }

    private func reopened(_ i: Int, _ step: Connector.Step) {
        switch step {
        case .waits(let wait):
            try? loop.setInterest(conns[i].fd, wait == .readable ? .readable : .writable)
        case .failed(let failure):
            attempts[i] = nil
            fail(i, "connection \(i): opening it again after the server closed it: \(failure)")
        case .open(let opened):
            attempts[i] = nil
            ownedSessions[i] = opened.ssl
            transport.replace(i, with: opened)
            try? loop.setInterest(conns[i].fd, .readable)
            flush(i)
        }
    }

    private func framingFailed(_ i: Int, _ error: FramingError) {
        framingErrors += 1
        fail(i, "connection \(i): the replies cannot be framed as \(plan.framing): \(error)", counted: false)
    }

    private func fail(_ i: Int, _ message: String, counted: Bool = true) {
        guard conns[i].alive else { return }
        meter.alive -= 1
        if counted { connectionErrors += 1 }
        if meter.firstError == nil { meter.firstError = message }
        conns[i].alive = false
        meter.outstanding -= min(meter.outstanding, conns[i].queued - conns[i].answered)
        attempts[i]?.abandon()
        attempts[i] = nil
        if conns[i].fd >= 0 { loop.forget(conns[i].fd) }
    }
}
