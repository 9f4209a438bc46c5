// The one load runner: sustained load over already-connected sockets, on its own epoll loop.
// It owns the connections (and, for request load, opening one again when the server closes it
// between requests), the send-time ring of each, the meter, the transport and the buffers; what
// the bytes are is its work, a small strategy: `EchoLoad` (keyed patterns, every echoed byte
// checked) or `RequestLoad` (requests from a mix, every reply framed and checked). The runner is
// generic over its work, so each gets its own specialised copy: no existential or closure call,
// no allocation, per message. Closed loop: each connection keeps `depth` messages in flight.
// Open loop: messages are due at a fixed total rate and latency counts from each one's intended
// send time (coordinated omission corrected as wrk2 does). The run ends at its deadline plus a
// bounded drain; a failing event loop ends it with an error in the result.
//
// `LoadJob.run` is the one entry point: `sockfuzz load`, the scenario `load` statement and the
// bench all start a run through it.

import Glibc
import Histogram
import Reactor
import Results
import Syscalls
import TLSClient

/// A connection of a run: what the runner keeps, and the work's own state beside it.
struct LoadConnection<State> {
    var fd: Int32
    var alive = true
    /// Messages (requests) handed to this connection so far: sequence numbers 0..<queued.
    var queued: UInt64 = 0
    /// Of those, the ones answered (echoed whole, or replied to), in order.
    var answered: UInt64 = 0
    /// A reply said the server closes after it: nothing more is written until the connection
    /// is opened again.
    var closing = false
    /// Start of this connection's timestamp ring in `stamps`.
    var ring: Int
    var state: State
}

/// What a run's connections carry. A final class, called only from its own specialisation of
/// the runner.
protocol LoadWork: AnyObject {
    associatedtype State
    /// A fresh connection's state (also after it was opened again).
    func initialState() -> State
    /// Connection `i`'s message number `seq` was queued.
    func queued(_ i: Int, seq: UInt64)
    /// Whether connection `i` has queued bytes not yet written.
    func hasUnwritten(_ c: LoadConnection<State>) -> Bool
    /// Fills `buffer` with up to `capacity` of connection `i`'s unwritten bytes; returns how many.
    func fill(_ i: Int, _ c: LoadConnection<State>, _ buffer: UnsafeMutableRawPointer, _ capacity: Int) -> Int
    /// `sent` of the `filled` bytes just filled were written.
    func wrote(_ i: Int, _ c: inout LoadConnection<State>, sent: Int, filled: Int)
    /// Bytes of a partial reply to put back at the front of the read buffer before a read.
    func carried(_ i: Int) -> Int
    func restoreCarried(_ i: Int, into buffer: UnsafeMutableRawPointer)
    /// `received` new bytes (after `carried` ones) arrived on connection `i`: complete what
    /// they finish, through the runner (`answer`, `fail`).
    func consume(_ i: Int, _ buffer: UnsafeMutableRawPointer, carried: Int, received: Int, runner: LoadRunner<Self>)
    /// Connection `i` is opened again: what it had written but not had answered goes again.
    func reopened(_ i: Int, runner: LoadRunner<Self>)
    /// Whether connection `i` wrote bytes its server has not answered.
    func wroteUnanswered(_ c: LoadConnection<State>) -> Bool
    /// What a close by the server adds to its error.
    func closeNote(_ c: LoadConnection<State>) -> String
    /// What is said of the first unanswered message.
    func unanswered(_ i: Int, _ c: LoadConnection<State>) -> String
    /// Errors of the work's own kind so far (corrupt echoes, wrong or unframeable replies).
    var errors: UInt64 { get }
}

final class LoadRunner<Work: LoadWork>: EventHandler {
    let work: Work
    let window: LoadWindow
    let loop: EventLoop<EpollBackend>
    var conns: UnsafeMutableBufferPointer<LoadConnection<Work.State>>
    /// Per connection, a ring of send (or intended send) times of its outstanding messages.
    private var stamps: UnsafeMutableBufferPointer<UInt64>
    /// A power of two: a message's slot is its sequence number masked, not divided.
    private let ringSize: Int
    private let ringMask: UInt64
    private var connIndexByFD: [Int32]
    private(set) var transport: LoadTransport
    let writeBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    /// Reads land here (after the bytes of a partial reply carried over); grows for large replies.
    private(set) var readBuffer: UnsafeMutableRawPointer
    private(set) var readCapacity = 64 * 1024
    var meter: LoadMeter
    /// Closed loop: each answered message is replaced (decided once, not per message).
    private let refills: Bool
    private(set) var connectionErrors: UInt64 = 0
    private let reconnect: LoadReconnect?
    /// Whether connections are opened again at all (never for echo load): decided once, so the
    /// echo path looks at no reconnect state.
    let canReopen: Bool
    private(set) var reconnects: UInt64 = 0
    /// Per connection, the connect under way when it is being opened again.
    private var attempts: [Connector.Attempt?]
    /// Per connection opened again by this runner, its transport (`.clear` until it opens): the
    /// socket and TLS session to end at the end. Nil for the ones given, which stay the caller's.
    private var owned: [Transport?]

    /// Round-trip latencies of the measured window, in nanoseconds.
    public var histogram: Histogram<UInt64> { meter.histogram }

    /// Takes over `fds` (connected, non-blocking) for the run; they stay open afterwards. With
    /// `transports`, theirs in the same order (still the caller's; nil: all clear). With
    /// `reconnect`, a connection the server closes between requests is opened again.
    init(work: Work, fds: [Int32], window: LoadWindow, transports: [Transport]?, reconnect: LoadReconnect?) throws(SystemError) {
        precondition(transports == nil || transports!.count == fds.count)
        self.work = work
        self.window = window
        self.reconnect = reconnect
        canReopen = reconnect != nil
        attempts = Array(repeating: nil, count: fds.count)
        owned = Array(repeating: nil, count: fds.count)
        transport = LoadTransport(transports, count: fds.count)
        loop = try EventLoop<EpollBackend>()
        switch window.pacing {
        case .depth(let d):
            ringSize = 1 << (Int.bitWidth - (max(1, d) - 1).leadingZeroBitCount)
            refills = true
        case .rate:
            ringSize = 4096
            refills = false
        }
        ringMask = UInt64(ringSize - 1)
        conns = .allocate(capacity: fds.count)
        stamps = .allocate(capacity: max(1, fds.count * ringSize))
        connIndexByFD = Array(repeating: -1, count: Int(fds.max() ?? 0) + 1)
        meter = LoadMeter(alive: fds.count)
        readBuffer = .allocate(byteCount: readCapacity, alignment: 64)
        for (i, fd) in fds.enumerated() {
            conns.initializeElement(at: i, to: LoadConnection(fd: fd, ring: i * ringSize, state: work.initialState()))
            connIndexByFD[Int(fd)] = Int32(i)
        }
    }

    deinit {
        for i in conns.indices where conns[i].fd >= 0 { loop.forget(conns[i].fd) }
        for i in conns.indices {
            guard let transport = owned[i] else { continue }
            attempts[i]?.abandon()
            transport.end()
            if conns[i].fd >= 0 { Sys.close(conns[i].fd) }
        }
        loop.close()
        _ = conns.deinitialize()
        conns.deallocate()
        stamps.deallocate()
        writeBuffer.deallocate()
        readBuffer.deallocate()
    }

    /// Runs the plan; `progress` is called a few times a second, `interrupted` polled as often.
    /// The result's work-specific figures are the caller's (`LoadJob.run`) to add.
    func drive(progress: (LoadProgress) -> Void, interrupted: () -> Bool) -> LoadRun {
        drive(window, progress: progress, interrupted: interrupted)
    }

    /// The figures every run reports, whatever its work: `messageSize` and `megabytes` are the
    /// work's (a message's size, or the requests' mean).
    func result(_ run: LoadRun, messageSize: Int, bytesPerMessage: Double, corrupted: UInt64,
                replies: ReplyCheckResult?) -> LoadResult {
        var depth: Int?
        var rate: Double?
        switch window.pacing {
        case .depth(let d): depth = d
        case .rate(let r): rate = r.perSecond
        }
        let counted = run.messages
        let seconds = run.seconds
        return LoadResult(connections: conns.count, messageSize: messageSize, depth: depth, targetRate: rate,
                          seconds: seconds, messages: counted, verified: counted,
                          messagesPerSecond: seconds > 0 ? Double(counted) / seconds : 0,
                          megabytesPerSecond: seconds > 0 ? Double(counted) * bytesPerMessage / seconds / 1e6 : 0,
                          latencyMicros: Percentiles(nanoseconds: meter.histogram), corrupted: corrupted,
                          connectionErrors: connectionErrors, firstError: meter.firstError, unanswered: meter.outstanding,
                          firstUnanswered: meter.outstanding > 0 ? firstUnanswered() : nil, notSent: meter.notSent,
                          clientError: meter.clientError, interrupted: run.interrupted,
                          measuredSinceEpochNanos: run.measuredSinceEpochNanos, intervals: meter.intervals, replies: replies)
    }

    /// Where the first message still waiting for its answer stands.
    private func firstUnanswered() -> String? {
        guard let i = conns.indices.first(where: { conns[$0].alive && conns[$0].queued > conns[$0].answered }) else { return nil }
        return work.unanswered(i, conns[i])
    }

    /// Positions (in the `fds` given) of the connections that failed under load.
    public var failedConnections: [Int] { conns.indices.filter { !conns[$0].alive } }

    /// Positions of the live connections that did not write all their queued messages (the run
    /// then failed, unanswered): over TLS a record may be left half-sent inside OpenSSL.
    public var unfinishedConnections: [Int] { conns.indices.filter { conns[$0].alive && work.hasUnwritten(conns[$0]) } }

    // MARK: sending

    @inline(__always)
    func enqueue(_ i: Int, stamp: UInt64) {
        let c = conns[i]
        // Open loop against a stalled server: the ring is full, so the message is not sent, and
        // counted as such: a run that sent less than it was asked to cannot pass quietly.
        guard Int(c.queued &- c.answered) < ringSize else { meter.notSent += 1; return }
        stamps[c.ring &+ Int(c.queued & ringMask)] = stamp
        work.queued(i, seq: c.queued)
        conns[i].queued = c.queued &+ 1
        meter.outstanding += 1
    }

    /// Writes as much of the queued messages as the socket takes, 64 KiB per call.
    func flush(_ i: Int) {
        // Closing, or being opened again: the requests wait for the new connection.
        if canReopen && (conns[i].closing || attempts[i] != nil) { return }
        while conns[i].alive && work.hasUnwritten(conns[i]) {
            let filled = work.fill(i, conns[i], writeBuffer, 64 * 1024)
            let sent: Int
            do {
                switch try transport.send(i, conns[i].fd, writeBuffer, filled) {
                case .wouldBlock: sent = 0
                case .processed(let k): sent = k
                }
            } catch {
                fail(i, "connection \(i): \(error)")
                return
            }
            work.wrote(i, &conns[i], sent: sent, filled: filled)
            if sent < filled {
                awaitWritable(i)
                return
            }
        }
        settleReadable(i)
    }

    // MARK: receiving

    public func handle(fd: Int32, events: IOEvents) -> Bool {
        let i = Int(connIndexByFD[Int(fd)])
        guard i >= 0, conns[i].alive else { return false }
        if canReopen && attempts[i] != nil {
            reopened(i, attempts[i]!.advance())
            return true
        }
        if events.contains(.writable) { flush(i) }
        guard events.contains(.readable) else { return true }
        let carried = work.carried(i)
        if carried > 0 {
            if carried >= readCapacity / 2 { growReadBuffer(to: carried * 2) }
            work.restoreCarried(i, into: readBuffer)
        }
        let n: Int
        do {
            switch try transport.receive(i, fd, readBuffer + carried, readCapacity - carried) {
            case .wouldBlock: return false
            case .processed(let got): n = got
            }
        } catch {
            if conns[i].closing && canReopen { reopen(i) } else { fail(i, "connection \(i): \(error)") }
            return true
        }
        guard n > 0 else {
            closedByServer(i)
            return true
        }
        work.consume(i, readBuffer, carried: carried, received: n, runner: self)
        // The server closes after the reply that said so: do not wait for its FIN.
        if canReopen && conns[i].alive && conns[i].closing {
            reopen(i)
            return true
        }
        if conns[i].alive { flush(i) }
        // OpenSSL may hold more records than the buffer took: no readiness will announce them.
        if conns[i].alive && transport.hasPending(i) { return handle(fd: fd, events: .readable) }
        return true
    }

    /// The server closed connection `i`. Between requests (after a reply that said so, or with
    /// nothing written unanswered) that is its right, and with `reconnect` another is opened;
    /// otherwise it is an error.
    private func closedByServer(_ i: Int) {
        if canReopen && (conns[i].closing || !work.wroteUnanswered(conns[i])) {
            reopen(i)
        } else {
            fail(i, "connection \(i): closed by the server (\(transport.orderlyClose)) under load" + work.closeNote(conns[i]))
        }
    }

    /// One whole answer on connection `i` (its oldest unanswered message), completed at `now`;
    /// `counted`: its latency is recorded (a mismatched reply still answers, but is not timed).
    @inline(__always)
    func answer(_ i: Int, now: UInt64, counted: Bool = true) {
        let seq = conns[i].answered
        if counted {
            let stamp = stamps[conns[i].ring &+ Int(seq & ringMask)]
            meter.record(now > stamp ? now &- stamp : 0)
        }
        conns[i].answered = seq &+ 1
        meter.outstanding -= 1
        if refills && meter.accepting { enqueue(i, stamp: now) }
    }

    private func growReadBuffer(to bytes: Int) {
        let capacity = max(readCapacity * 2, bytes)
        readBuffer.deallocate()
        readBuffer = .allocate(byteCount: capacity, alignment: 64)
        readCapacity = capacity
    }

    // MARK: opening a connection again

    /// The server closed connection `i` between requests: the requests it had not answered are
    /// sent again on a new connection (their latency still counts from when they were first due).
    private func reopen(_ i: Int) {
        guard let reconnect else { return }
        let old = conns[i].fd
        loop.forget(old)
        connIndexByFD[Int(old)] = -1
        if let transport = owned[i] {
            transport.free()
            Sys.close(old)
        }
        reconnects += 1
        conns[i].closing = false
        work.reopened(i, runner: self)
        let (attempt, step) = Connector.Attempt.start(to: reconnect.address, tls: reconnect.tls) { fd in
            try? Sys.setNoDelay(fd)
            return .success(fd)
        }
        owned[i] = .clear
        conns[i].fd = -1
        if let attempt {
            let fd = attempt.fd
            connIndexByFD.growToHold(descriptor: fd, empty: -1)
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
            owned[i] = opened
            transport.replace(i, with: opened)
            try? loop.setInterest(conns[i].fd, .readable)
            flush(i)
        }
    }

    /// Connection `i` is given up: `counted` as a connection error (corrupt echoes and framing
    /// errors are counted by the work).
    func fail(_ i: Int, _ message: String, counted: Bool = true) {
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
