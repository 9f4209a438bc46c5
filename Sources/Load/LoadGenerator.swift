// Sustained echo load over already-connected sockets, on its own epoll loop. Closed loop: each
// connection keeps `depth` messages in flight. Open loop: messages are due at a fixed total
// rate and latency counts from each one's intended send time, so a stalled server shows in the
// percentiles instead of hiding behind a client that stopped sending (coordinated omission,
// corrected as wrk2 does). Every echoed byte is checked. Batches writes and reads; the hot path
// allocates nothing per message. The run ends at its deadline plus a bounded drain, however fast
// the rate; a failing event loop ends it with an error in the result, never a quiet partial pass.

import Glibc
import Histogram
import Reactor
import Syscalls

public struct LoadPlan: Sendable {
    public var messageSize: Int
    public var pacing: LoadPacing
    public var durationNanos: UInt64
    public var warmupNanos: UInt64
    /// After the window, how long to wait for outstanding echoes before giving up on them.
    public var drainNanos: UInt64

    public init(messageSize: Int, pacing: LoadPacing, durationNanos: UInt64, warmupNanos: UInt64 = 0,
                drainNanos: UInt64 = 2_000_000_000) {
        self.messageSize = messageSize
        self.pacing = pacing
        self.durationNanos = durationNanos
        self.warmupNanos = warmupNanos
        self.drainNanos = drainNanos
    }
}

/// Live figures for a progress line.
public struct LoadProgress: Sendable {
    public var elapsedSeconds: Double
    public var messages: UInt64
    public var messagesPerSecond: Double
    public var errors: UInt64
    public var connections: Int
    /// The measured window's seconds closed so far, each with its histogram (shared, not
    /// copied), for a live exporter (`--metrics-listen`).
    public var seconds: [LoadSecond] = []
}

public final class LoadGenerator: PacedLoad {
    struct Connection {
        var fd: Int32 = -1
        var alive = false
        /// Messages handed to this connection so far (their sequence numbers are 0..<queued).
        var queued: UInt64 = 0
        /// Bytes of the queued messages already written.
        var writtenBytes: UInt64 = 0
        /// Bytes echoed back and verified.
        var receivedBytes: UInt64 = 0
        /// Of those, whole messages, and the bytes of the next one: kept beside the byte count
        /// so that the hot path never divides by the message size (a division costs more than
        /// the rest of a message's bookkeeping).
        var receivedMessages: UInt64 = 0
        var receivedPartial = 0
        var wantsWrite = false
        /// Start of this connection's timestamp ring in `stamps`.
        var ring = 0
    }

    let plan: LoadPlan
    let loop: EventLoop<EpollBackend>
    private var conns: UnsafeMutableBufferPointer<Connection>
    /// Per connection, a ring of send (or intended send) times of its outstanding messages.
    private var stamps: UnsafeMutableBufferPointer<UInt64>
    /// A power of two: a message's slot is its sequence number masked, not divided.
    private let ringSize: Int
    private let ringMask: UInt64
    private var connIndexByFD: [Int32]
    private let transport: LoadTransport
    private let writeBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    private let expected = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)

    /// Sized for an hour up front: a histogram that resizes itself does so on the hot path.
    public static func emptyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    }
    var meter: LoadMeter
    /// Closed loop: each answered message is replaced (decided once, not per message).
    private let refills: Bool
    private var corrupted: UInt64 = 0
    private var connectionErrors: UInt64 = 0

    /// Round-trip latencies of the measured window, in nanoseconds.
    public var histogram: Histogram<UInt64> { meter.histogram }
    /// The measured window, second by second (`--hdr-log`, and merging shares of a test).
    public var intervals: [LoadInterval] { meter.intervals }

    /// Takes over `fds` (connected, non-blocking) for the run; they stay open afterwards. With
    /// `tls`, the connections' SSL objects in the same order (still the caller's).
    public init(fds: [Int32], plan: LoadPlan, tls: [OpaquePointer]? = nil) throws(SystemError) {
        precondition(plan.messageSize > 0)
        precondition(tls == nil || tls!.count == fds.count)
        self.plan = plan
        transport = LoadTransport(tls, count: fds.count)
        loop = try EventLoop<EpollBackend>()
        if case .depth = plan.pacing { refills = true } else { refills = false }
        switch plan.pacing {
        case .depth(let d): ringSize = 1 << (Int.bitWidth - (max(1, d) - 1).leadingZeroBitCount)
        case .rate: ringSize = 4096
        }
        ringMask = UInt64(ringSize - 1)
        conns = .allocate(capacity: fds.count)
        stamps = .allocate(capacity: max(1, fds.count * ringSize))
        connIndexByFD = Array(repeating: -1, count: Int(fds.max() ?? 0) + 1)
        meter = LoadMeter(alive: fds.count)
        for (i, fd) in fds.enumerated() {
            conns.initializeElement(at: i, to: Connection(fd: fd, alive: true, ring: i * ringSize))
            connIndexByFD[Int(fd)] = Int32(i)
        }
    }

    deinit {
        for i in conns.indices where conns[i].fd >= 0 { loop.forget(conns[i].fd) }
        loop.close()
        conns.deallocate()
        stamps.deallocate()
        writeBuffer.deallocate()
        readBuffer.deallocate()
        expected.deallocate()
    }

    /// Open loop: most due messages handed out per turn of the loop, so a rate the client cannot
    /// keep up with still lets the turn end and the deadline be looked at.
    static let maxDuePerTurn = 16_384

    /// Runs the plan; `progress` is called a few times a second, `interrupted` polled as often.
    public func run(progress: (LoadProgress) -> Void = { _ in }, interrupted: () -> Bool = { false }) -> LoadResult {
        let size = UInt64(plan.messageSize)
        let run = drive(pacing: plan.pacing, durationNanos: plan.durationNanos, warmupNanos: plan.warmupNanos,
                        drainNanos: plan.drainNanos, progress: progress, interrupted: interrupted)
        var depth: Int?
        var rate: Double?
        switch plan.pacing {
        case .depth(let d): depth = d
        case .rate(let r): rate = r.perSecond
        }
        let counted = run.messages
        let seconds = run.seconds
        return LoadResult(connections: conns.count, messageSize: plan.messageSize, depth: depth, targetRate: rate,
                          seconds: seconds, messages: counted, verified: counted,
                          messagesPerSecond: seconds > 0 ? Double(counted) / seconds : 0,
                          megabytesPerSecond: seconds > 0 ? Double(counted) * Double(size) / seconds / 1e6 : 0,
                          latencyMicros: LoadResult.Percentiles(nanoseconds: meter.histogram), corrupted: corrupted,
                          connectionErrors: connectionErrors, firstError: meter.firstError, unanswered: meter.outstanding,
                          firstUnanswered: meter.outstanding > 0 ? firstUnanswered() : nil, notSent: meter.notSent,
                          clientError: meter.clientError, interrupted: run.interrupted,
                          measuredSinceEpochNanos: run.measuredSinceEpochNanos, intervals: meter.intervals)
    }

    // MARK: what the shared run loop needs

    var connectionCount: Int { conns.count }
    func descriptor(_ i: Int) -> Int32 { conns[i].fd }
    var errorsSoFar: UInt64 { corrupted + connectionErrors }

    func isAlive(_ i: Int) -> Bool { conns[i].alive }
    func wantsWrite(_ i: Int) -> Bool { conns[i].wantsWrite }
    func setWantsWrite(_ i: Int) { conns[i].wantsWrite = true }
    func clearWantsWrite(_ i: Int) { conns[i].wantsWrite = false }

    /// Where the first message still waiting for its echo stands.
    private func firstUnanswered() -> String? {
        let size = UInt64(plan.messageSize)
        guard let i = conns.indices.first(where: { conns[$0].alive && conns[$0].queued > conns[$0].receivedBytes / size }) else { return nil }
        let seq = conns[i].receivedBytes / size
        let sent = min(size, conns[i].writtenBytes > seq * size ? conns[i].writtenBytes - seq * size : 0)
        return "connection \(i): message \(seq): \(conns[i].receivedBytes % size) of \(size) bytes echoed (\(sent) sent)"
    }

    /// Positions (in the `fds` given) of the connections that failed under load.
    public var failedConnections: [Int] { conns.indices.filter { !conns[$0].alive } }

    /// Positions of the live connections that did not write all their queued messages (the run
    /// then failed, unanswered): over TLS a record may be left half-sent inside OpenSSL.
    public var unfinishedConnections: [Int] {
        conns.indices.filter { conns[$0].alive && conns[$0].writtenBytes < conns[$0].queued &* UInt64(plan.messageSize) }
    }

    /// Bytes each connection sent and got back verified, in the order of the `fds` given.
    public var verifiedBytes: [UInt64] { conns.map(\.receivedBytes) }

    // MARK: sending

    @inline(__always)
    func enqueue(_ i: Int, stamp: UInt64) {
        let c = conns[i]
        let inFlight = Int(c.queued - c.receivedMessages)
        // Open loop against a stalled server: the ring is full, so the message is not sent, and
        // counted as such: a run that sent less than it was asked to cannot pass quietly.
        guard inFlight < ringSize else { meter.notSent += 1; return }
        stamps[c.ring + Int(c.queued & ringMask)] = stamp
        conns[i].queued += 1
        meter.outstanding += 1
    }

    /// Writes as much of the queued messages as the socket takes, 64 KiB per call.
    func flush(_ i: Int) {
        let size = plan.messageSize
        while conns[i].alive {
            let total = conns[i].queued &* UInt64(size)
            var written = conns[i].writtenBytes
            guard written < total else { break }
            var filled = 0
            let conn = UInt64(i)
            // One division a call, none a message.
            var seq = written / UInt64(size)
            var offset = Int(written - seq * UInt64(size))
            while filled < 64 * 1024 && written < total {
                let n = min(size - offset, 64 * 1024 - filled)
                writePattern(conn: conn, seq: seq, from: offset, count: n, into: writeBuffer + filled)
                filled += n
                written += UInt64(n)
                offset += n
                if offset == size {
                    seq += 1
                    offset = 0
                }
            }
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
            conns[i].writtenBytes += UInt64(sent)
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
        if events.contains(.writable) { flush(i) }
        guard events.contains(.readable) else { return true }
        let n: Int
        do {
            switch try transport.receive(i, fd, readBuffer, 64 * 1024) {
            case .wouldBlock: return false
            case .processed(let got): n = got
            }
        } catch {
            fail(i, "connection \(i): \(error)")
            return true
        }
        guard n > 0 else {
            fail(i, "connection \(i): closed by the server (\(transport.orderlyClose)) under load")
            return true
        }
        verify(i, n)
        if conns[i].alive { flush(i) }
        // OpenSSL may hold more records than the buffer took: no readiness will announce them.
        if conns[i].alive && transport.hasPending(i) { return handle(fd: fd, events: .readable) }
        return true
    }

    /// Checks `n` received bytes against the pattern and completes every message they finish.
    private func verify(_ i: Int, _ n: Int) {
        let size = plan.messageSize
        var consumed = 0
        let now = Sys.monotonicNanos()
        while consumed < n {
            let received = conns[i].receivedBytes
            let seq = conns[i].receivedMessages
            let offset = conns[i].receivedPartial
            let take = min(size - offset, n - consumed)
            if seq >= conns[i].queued {
                fail(i, "connection \(i): \(n - consumed) unexpected byte(s) after the echoes of all \(seq) message(s) sent", corrupt: true)
                return
            }
            if !matchesPattern(conn: UInt64(i), seq: seq, from: offset, count: take, in: readBuffer + consumed) {
                writePattern(conn: UInt64(i), seq: seq, from: offset, count: take, into: expected)
                var k = 0
                while expected.load(fromByteOffset: k, as: UInt8.self) == readBuffer.load(fromByteOffset: consumed + k, as: UInt8.self) { k += 1 }
                let sent = expected.load(fromByteOffset: k, as: UInt8.self)
                let got = readBuffer.load(fromByteOffset: consumed + k, as: UInt8.self)
                fail(i, "connection \(i): message \(seq) byte \(offset + k) differs (stream offset \(received + UInt64(k))): "
                     + "sent \(ByteText.quoted(sent)), got \(ByteText.quoted(got))", corrupt: true)
                return
            }
            consumed += take
            conns[i].receivedBytes += UInt64(take)
            conns[i].receivedPartial = offset + take
            if offset + take == size {
                conns[i].receivedMessages += 1
                conns[i].receivedPartial = 0
                let stamp = stamps[conns[i].ring + Int(seq & ringMask)]
                meter.outstanding -= 1
                meter.record(now > stamp ? now - stamp : 0)
                if refills && meter.accepting { enqueue(i, stamp: now) }
            }
        }
    }

    private func fail(_ i: Int, _ message: String, corrupt: Bool = false) {
        guard conns[i].alive else { return }
        meter.alive -= 1
        if corrupt { corrupted += 1 } else { connectionErrors += 1 }
        if meter.firstError == nil { meter.firstError = message }
        conns[i].alive = false
        let inFlight = conns[i].queued - conns[i].receivedBytes / UInt64(plan.messageSize)
        meter.outstanding -= min(meter.outstanding, inFlight)
        loop.forget(conns[i].fd)
    }
}
