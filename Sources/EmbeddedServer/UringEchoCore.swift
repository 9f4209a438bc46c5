// The echo server's fourth design, completion-based: io_uring accepts, receives into a ring of
// provided buffers, and sends what it received, often straight from the buffer it arrived in;
// the loop only reaps completions and submits the next operations, a batch per wait (no
// syscall per message). Accepts and receives are one-shot, re-armed per completion, not
// multishot: a multishot receive reads ahead of the loop without bound (it filled 16 MiB of
// buffers for a client that never reads, past a 256 KiB queue limit, and starves the other
// connections of buffers), and a multishot accept keeps the descriptor limit it was submitted
// under (a lowered RLIMIT_NOFILE went unseen, and nothing was ever shed). It behaves as the other three do to a client: every byte echoed in order,
// a bounded queue for a client that does not read, a flush before the close on the peer's EOF,
// EMFILE shed, the same counters and the same injectable faults (TLS is not served: refused).

import CUring
import Glibc
import Reactor
import Syscalls

final class UringEchoCore {
    enum Op: UInt64 { case accept = 1, receive, send, wake, cancel, acceptRetry }

    static let entries: UInt32 = 4096
    static let bufferCount: UInt32 = 4096
    static let bufferSize: UInt32 = 4096

    let configuration: ServerConfiguration
    let stats: ServerStats
    let listener: Int32
    let waker: LoopWaker
    /// Made on the loop's thread, in run(): the ring is single-issuer.
    private var ring: OpaquePointer!
    private var counters = ServerStatsSnapshot()
    private var connections: [UringConnection] = []
    private var completions = [csf_cqe](repeating: csf_cqe(), count: 1024)
    private let wakeBuffer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    private var reserveDescriptor: Int32 = -1
    private var leaked: [Int32] = []
    /// Provided buffers still held by a send in flight when its connection was dropped, by the
    /// send's (descriptor, generation): they go back when that send completes.
    private var orphanedBuffers: [UInt64: UInt32] = [:]
    /// Receives that ended for want of buffers, re-armed once buffers come back.
    private var starved: [Int32] = []
    private var queueLimit: Int { configuration.fault == .unboundedQueue ? Int.max : configuration.queueLimit }

    init(configuration: ServerConfiguration, stats: ServerStats) throws {
        self.configuration = configuration
        self.stats = stats
        if let reason = UringSupport.unavailable { throw UringUnavailable(reason: reason) }
        let listening = try ServerListener(configuration)
        listener = listening.listener
        reserveDescriptor = listening.reserve
        do { waker = try LoopWaker() } catch {
            listening.close()
            throw error
        }
    }

    var boundAddress: SocketAddress? { try? Sys.localAddress(listener) }

    private static func data(_ op: Op, _ fd: Int32 = 0, _ generation: UInt32 = 0) -> UInt64 {
        op.rawValue << 56 | UInt64(generation) << 24 | UInt64(UInt32(bitPattern: fd) & 0xFF_FFFF)
    }

    // MARK: running

    func run() {
        var failure: Int32 = 0
        guard let made = csf_uring_create(Self.entries, Self.bufferCount, Self.bufferSize, &failure) else {
            stats.recordLoopFailure("the embedded server's event loop failed: \(UringUnavailable(reason: UringSupport.reason(-failure)))")
            Sys.close(listener)
            if reserveDescriptor >= 0 { Sys.close(reserveDescriptor) }
            wakeBuffer.deallocate()
            return
        }
        ring = made
        armAccept()
        armWake()
        while !waker.isStopRequested {
            if stats.loopFailureInjected {
                stats.recordLoopFailure("the embedded server's event loop failed: runOnce (injected for a test): EBADF")
                break
            }
            let rc = csf_uring_submit_and_wait(ring, 1)
            if rc < 0 {
                stats.recordLoopFailure("the embedded server's event loop failed: io_uring_enter: \(SystemError.describe(-rc))")
                break
            }
            counters.iterations &+= 1
            var handled = 0
            while true {
                let n = Int(completions.withUnsafeMutableBufferPointer { csf_uring_reap(ring, $0.baseAddress, UInt32($0.count)) })
                if n == 0 { break }
                handled += n
                for i in 0..<n { complete(completions[i]) }
            }
            if handled == 0 { counters.idleIterations &+= 1 }
            rearmStarved()
            publish()
        }
        shutdown()
        publish()
    }

    private func publish() { stats.publish(counters) }

    private func complete(_ cqe: csf_cqe) {
        let op = Op(rawValue: cqe.user_data >> 56)
        let fd = Int32(bitPattern: UInt32(cqe.user_data & 0xFF_FFFF))
        let generation = UInt32((cqe.user_data >> 24) & 0xFFFF_FFFF)
        switch op {
        case .accept?: accepted(cqe)
        case .acceptRetry?: armAccept()
        case .wake?: if !waker.isStopRequested { armWake() }
        case .receive?: received(fd, generation, cqe)
        case .send?: sent(fd, generation, cqe)
        case .cancel?, nil: break
        }
    }

    private func current(_ fd: Int32, _ generation: UInt32) -> Bool {
        Int(fd) < connections.count && connections[Int(fd)].open && connections[Int(fd)].generation == generation
    }

    // MARK: accept

    private func armAccept() { _ = csf_uring_accept(ring, listener, Self.data(.accept)) }

    private func armWake() { _ = csf_uring_read(ring, waker.fd, wakeBuffer, 8, Self.data(.wake)) }

    private func accepted(_ cqe: csf_cqe) {
        if cqe.res >= 0 {
            register(cqe.res)
            armAccept()
        } else if -cqe.res == EMFILE || -cqe.res == ENFILE {
            shedOneConnection()
            // io_uring takes the descriptor before it looks for a connection, so at the limit
            // an accept fails at once even with none pending: wait until one is (a readiness
            // poll), or 50 ms when even the reserve descriptor is gone, rather than spin.
            if reserveDescriptor < 0 {
                _ = csf_uring_timeout(ring, 50_000_000, Self.data(.acceptRetry))
            } else {
                _ = csf_uring_poll_readable(ring, listener, Self.data(.acceptRetry))
            }
        } else {
            armAccept()
        }
    }

    private func register(_ fd: Int32) {
        if let cap = configuration.maxConnections, counters.active >= UInt64(cap) {
            Sys.close(fd)
            counters.refusedOverLimit += 1
            return
        }
        guard fd <= 0xFF_FFFF else {
            Sys.close(fd)
            counters.refusedOverLimit += 1
            return
        }
        try? Sys.setNoDelay(fd)
        connections.growToHold(descriptor: fd, empty: UringConnection())
        let generation = connections[Int(fd)].generation
        connections[Int(fd)] = UringConnection()
        connections[Int(fd)].generation = generation
        connections[Int(fd)].open = true
        counters.accepted += 1
        counters.active += 1
        armReceive(fd)
    }

    /// EMFILE/ENFILE: free the reserve descriptor, accept one pending connection and close it,
    /// so a client waiting in the backlog hears something instead of hanging (nginx, libev).
    private func shedOneConnection() {
        guard reserveDescriptor >= 0 else { return }
        Sys.close(reserveDescriptor)
        reserveDescriptor = -1
        if case .processed(let fd)? = try? Sys.accept(listener) {
            Sys.close(fd)
            counters.shedOnEMFILE += 1
        }
        reserveDescriptor = (try? Sys.openDevNull()) ?? -1
    }

    // MARK: receive

    private func armReceive(_ fd: Int32) {
        connections[Int(fd)].receiving = true
        _ = csf_uring_recv(ring, fd, Self.data(.receive, fd, connections[Int(fd)].generation))
    }

    private func received(_ fd: Int32, _ generation: UInt32, _ cqe: csf_cqe) {
        let buffer: Int32 = csf_uring_cqe_has_buffer(cqe.flags) != 0 ? Int32(csf_uring_cqe_buffer_id(cqe.flags)) : -1
        guard current(fd, generation) else {
            if buffer >= 0 { csf_uring_recycle(ring, UInt32(buffer)) }
            return
        }
        connections[Int(fd)].receiving = false
        if cqe.res > 0, buffer >= 0 {
            echo(fd, buffer, Int(cqe.res))
        } else if cqe.res == 0 {
            if buffer >= 0 { csf_uring_recycle(ring, UInt32(buffer)) }
            peerClosedWrite(fd)
            return
        } else if cqe.res < 0 {
            if buffer >= 0 { csf_uring_recycle(ring, UInt32(buffer)) }
            switch -cqe.res {
            case ENOBUFS: starved.append(fd)  // every buffer is queued somewhere: again once some come back
            default:
                closeAfterError(fd, SystemError(call: "recv (io_uring)", errno: -cqe.res, fd: fd))
                return
            }
        }
        guard current(fd, generation) else { return }
        let c = connections[Int(fd)]
        if !c.receiving && !c.paused && !c.closing && -cqe.res != ENOBUFS { armReceive(fd) }
    }

    private func rearmStarved() {
        guard !starved.isEmpty else { return }
        let waiting = starved
        starved.removeAll(keepingCapacity: true)
        for fd in waiting where Int(fd) < connections.count {
            let c = connections[Int(fd)]
            if c.open && !c.receiving && !c.paused && !c.closing { armReceive(fd) }
        }
    }

    /// Stops receiving until the queue drains: a client that does not read must not make the
    /// server hold more than the limit.
    /// Stops receiving until the queue drains (the receive is not re-armed meanwhile): a client
    /// that does not read must not make the server hold more than the limit.
    private func pauseIfFull(_ fd: Int32) {
        if connections[Int(fd)].queued >= queueLimit { connections[Int(fd)].paused = true }
    }

    // MARK: echo

    private func echo(_ fd: Int32, _ buffer: Int32, _ n: Int) {
        counters.bytesIn &+= UInt64(n)
        let bytes = csf_uring_buffer(ring, UInt32(buffer))!
        if configuration.fault == .corruptEcho { corrupt(fd, bytes, n) }
        if configuration.fault == .stallSlowReader && connections[Int(fd)].sendInFlight {
            // The bug: a client that does not read holds the whole loop in a blocking send.
            sendBlocking(fd, bytes, n)
            csf_uring_recycle(ring, UInt32(buffer))
            return
        }
        if connections[Int(fd)].idle {
            // Straight from the buffer it came in: no copy; the buffer goes back when sent.
            connections[Int(fd)].sendInFlight = true
            connections[Int(fd)].sendBuffer = buffer
            connections[Int(fd)].sendLength = n
            _ = csf_uring_send(ring, fd, bytes, UInt32(n), Self.data(.send, fd, connections[Int(fd)].generation))
        } else {
            connections[Int(fd)].waiting.append(bytes, n)
            csf_uring_recycle(ring, UInt32(buffer))
        }
        let queued = UInt64(connections[Int(fd)].queued)
        if queued > counters.queueHighWater { counters.queueHighWater = queued }
        pauseIfFull(fd)
    }

    private func corrupt(_ fd: Int32, _ bytes: UnsafeMutableRawPointer, _ n: Int) {
        let start = connections[Int(fd)].bytesRead
        connections[Int(fd)].bytesRead += UInt64(n)
        let target = EchoServerCore<EpollBackend>.corruptedOffset
        if start <= target && target < start + UInt64(n) {
            let at = Int(target - start)
            bytes.storeBytes(of: bytes.load(fromByteOffset: at, as: UInt8.self) ^ 0x20, toByteOffset: at, as: UInt8.self)
        }
    }

    private func sent(_ fd: Int32, _ generation: UInt32, _ cqe: csf_cqe) {
        guard current(fd, generation) else {
            // The connection is gone; a buffer its send held still goes back.
            if let buffer = orphanedBuffers.removeValue(forKey: UInt64(UInt32(bitPattern: fd)) << 32 | UInt64(generation)) {
                csf_uring_recycle(ring, buffer)
            }
            return
        }
        var conn = connections[Int(fd)]
        let fromBuffer = conn.sendBuffer >= 0
        if cqe.res < 0 {
            if fromBuffer { csf_uring_recycle(ring, UInt32(conn.sendBuffer)) }
            connections[Int(fd)].sendBuffer = -1
            connections[Int(fd)].sendInFlight = false
            closeAfterError(fd, SystemError(call: "send (io_uring)", errno: -cqe.res, fd: fd))
            return
        }
        let k = Int(cqe.res)
        counters.bytesOut &+= UInt64(k)
        conn.sendInFlight = false
        if fromBuffer {
            let rest = conn.sendLength - k
            if rest > 0 && configuration.fault != .dropOnPartialWrite {
                // Short: what is left of the buffer goes before what waited.
                let bytes = csf_uring_buffer(ring, UInt32(conn.sendBuffer))! + k
                conn.sending.append(bytes, rest)
            }
            csf_uring_recycle(ring, UInt32(conn.sendBuffer))
            conn.sendBuffer = -1
            conn.sendLength = 0
        } else if k < conn.sending.count && configuration.fault == .dropOnPartialWrite {
            conn.sending.consume(conn.sending.count)
        } else {
            conn.sending.consume(k)
        }
        if conn.sending.isEmpty && !conn.waiting.isEmpty {
            swap(&conn.sending, &conn.waiting)
        }
        connections[Int(fd)] = conn
        if !conn.sending.isEmpty {
            let pending = conn.sending.readable
            connections[Int(fd)].sendInFlight = true
            _ = csf_uring_send(ring, fd, pending.baseAddress!, UInt32(min(pending.count, Int(UInt32.max))), Self.data(.send, fd, generation))
        } else if conn.closing {
            close(fd)
            return
        }
        if connections[Int(fd)].paused && connections[Int(fd)].queued < queueLimit {
            connections[Int(fd)].paused = false
            if !connections[Int(fd)].receiving && !connections[Int(fd)].closing { armReceive(fd) }
        }
    }

    /// The stall-slow-reader fault: waits on this one socket, so every other client waits too.
    private func sendBlocking(_ fd: Int32, _ bytes: UnsafeRawPointer, _ n: Int) {
        var offset = 0
        while offset < n && !waker.isStopRequested {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = Glibc.poll(&p, 1, 50)
            guard let result = try? Sys.send(fd, bytes + offset, n - offset) else { return }
            if case .processed(let k) = result {
                offset += k
                counters.bytesOut &+= UInt64(k)
            }
        }
    }

    // MARK: closing

    private func peerClosedWrite(_ fd: Int32) {
        counters.peerEOFs += 1
        if connections[Int(fd)].idle || configuration.fault == .closeBeforeFlush {
            close(fd)
        } else {
            connections[Int(fd)].closing = true
        }
    }

    private func closeAfterError(_ fd: Int32, _ error: SystemError) {
        if error.isConnectionReset {
            counters.resets += 1
            if configuration.fault == .leakOnReset {
                // The bug: the server forgets the connection but never closes its descriptor.
                forget(fd)
                leaked.append(fd)
                return
            }
        } else {
            counters.otherErrors += 1
        }
        close(fd)
    }

    /// Drops the connection's state (late completions of its operations are ignored by generation).
    private func forget(_ fd: Int32) {
        var c = connections[Int(fd)]
        if c.receiving {
            _ = csf_uring_cancel(ring, Self.data(.receive, fd, c.generation), Self.data(.cancel))
        }
        if c.sendBuffer >= 0 {
            if c.sendInFlight {
                orphanedBuffers[UInt64(UInt32(bitPattern: fd)) << 32 | UInt64(c.generation)] = UInt32(c.sendBuffer)
            } else {
                csf_uring_recycle(ring, UInt32(c.sendBuffer))
            }
        }
        c.sending.release()
        c.waiting.release()
        let generation = c.generation &+ 1
        connections[Int(fd)] = UringConnection()
        connections[Int(fd)].generation = generation
        counters.active -= 1
    }

    private func close(_ fd: Int32) {
        forget(fd)
        // The cancel above is submitted with the next wait; io_uring's own reference to the
        // socket goes with it, so the FIN goes out then.
        Sys.close(fd)
    }

    private func shutdown() {
        for fd in connections.indices where connections[fd].open { close(Int32(fd)) }
        for fd in leaked { Sys.close(fd) }
        leaked.removeAll()
        _ = csf_uring_submit_and_wait(ring, 0)
        Sys.close(listener)
        if reserveDescriptor >= 0 { Sys.close(reserveDescriptor); reserveDescriptor = -1 }
        csf_uring_destroy(ring)
        wakeBuffer.deallocate()
    }
}

/// The uring design cannot start here, and why.
public struct UringUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "the uring design cannot run: \(reason)" }
}
