// The echo server's loop-side half: accepts, echoes every byte in order, queues what a short
// send leaves, stops reading a connection whose queue is full, flushes before closing on the
// peer's EOF. Runs on one thread; generic over the backend so the hot path is specialised.

import Glibc
import Reactor
import Syscalls

final class EchoServerCore<Backend: PollerBackend>: EventHandler {

    typealias Connection = EchoConnection

    /// The stream offset the corrupt-echo fault damages.
    static var corruptedOffset: UInt64 { 100 }

    static var readBufferSize: Int { 64 * 1024 }

    let loop: EventLoop<Backend>
    let configuration: ServerConfiguration
    let stats: ServerStats
    let listener: Int32
    var counters = ServerStatsSnapshot()
    var connections: [Connection] = []
    /// TLS state by descriptor, beside `connections`; empty when the server speaks clear text.
    var tlsConnections: [TLSConnection] = []
    /// The TLS context, or nil for clear text (checked once per event, never per byte).
    let tls: TLSServerContext?
    /// One buffer for every read: no allocation per message.
    let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    /// Freed to accept-and-close a connection when the process is out of descriptors.
    private var reserveDescriptor: Int32 = -1
    private var acceptPaused = false
    private var leaked: [Int32] = []
    let drainUntilWouldBlock: Bool
    /// Bytes asked for per read: 64 KiB, or the seed's 1024 under the edge-single-read fault
    /// (the seed's epoll server reads 1024 bytes once per event and strands the rest).
    let readSize: Int

    init(configuration: ServerConfiguration, stats: ServerStats) throws {
        self.configuration = configuration
        self.stats = stats
        tls = try configuration.tls.map { settings throws(TLSSetupError) in try TLSServerContext(settings) }
        loop = try EventLoop<Backend>(options: BackendOptions(edgeTriggered: configuration.edgeTriggered))
        drainUntilWouldBlock = configuration.edgeTriggered && configuration.fault != .edgeSingleRead
        readSize = configuration.fault == .edgeSingleRead ? 1024 : Self.readBufferSize
        let listening: ServerListener
        do { listening = try ServerListener(configuration) } catch {
            loop.close()
            throw error
        }
        listener = listening.listener
        reserveDescriptor = listening.reserve
        do { try loop.setInterest(listener, .readable) } catch {
            listening.close()
            loop.close()
            throw error
        }
    }

    var boundAddress: SocketAddress? { try? Sys.localAddress(listener) }

    /// Runs until stopped, publishing the counters after every iteration.
    func run() {
        while !loop.waker.isStopRequested {
            do {
                if stats.loopFailureInjected { throw SystemError(call: "runOnce (injected for a test)", errno: EBADF) }
                try loop.runOnce(self, maxWaitNanos: nil)
            } catch {
                // A failing wait (EBADF, EFAULT) cannot be retried: stop rather than spin, and
                // say why, so the run that uses this server fails naming it.
                stats.recordLoopFailure("the embedded server's event loop failed: \(error)")
                break
            }
            publish()
        }
        shutdown()
        publish()
    }

    private func publish() {
        counters.iterations = loop.iterations
        counters.idleIterations = loop.idleIterations
        stats.publish(counters)
    }

    // MARK: dispatch

    func handle(fd: Int32, events: IOEvents) -> Bool {
        if fd == listener { return acceptPending() }
        if tls != nil { return handleTLS(fd, events) }
        var worked = false
        if events.contains(.writable) { worked = flush(fd) || worked }
        if events.contains(.readable) && Int(fd) < connections.count && connections[Int(fd)].open {
            worked = readAndEcho(fd) || worked
        }
        return worked
    }

    // MARK: accept

    private func acceptPending() -> Bool {
        var worked = false
        // Level-triggered backends come back for the rest; edge-triggered must drain the backlog.
        var budget = drainUntilWouldBlock ? Int.max : 256
        while budget > 0 {
            budget -= 1
            let fd: Int32
            do {
                switch try Sys.accept(listener) {
                case .wouldBlock: return worked
                case .processed(let accepted): fd = accepted
                }
            } catch {
                // Edge-triggered: no new edge comes for connections already waiting, so keep
                // shedding until the backlog is empty (level-triggered backends come back).
                if error.isDescriptorExhaustion && shedOneConnection() {
                    worked = true
                    if drainUntilWouldBlock && !acceptPaused { continue }
                }
                return worked
            }
            worked = true
            register(fd)
        }
        return worked
    }

    private func register(_ fd: Int32) {
        if let cap = configuration.maxConnections, counters.active >= UInt64(cap) {
            Sys.close(fd)
            counters.refusedOverLimit += 1
            return
        }
        do {
            try loop.setInterest(fd, .readable)
        } catch {
            // select cannot watch fd >= FD_SETSIZE: refuse this one, keep serving the rest.
            Sys.close(fd)
            counters.refusedOverLimit += 1
            return
        }
        try? Sys.setNoDelay(fd)
        connections.growToHold(descriptor: fd, empty: Connection())
        connections[Int(fd)] = Connection(open: true)
        counters.accepted += 1
        counters.active += 1
        if let tls { startTLS(fd, tls) }
    }

    /// EMFILE/ENFILE: free the reserve descriptor, accept the pending connection and close it at
    /// once, so the listener stops being readable instead of spinning the loop (nginx, libev).
    /// Returns whether a pending connection was shed.
    private func shedOneConnection() -> Bool {
        var shed = false
        if reserveDescriptor >= 0 {
            Sys.close(reserveDescriptor)
            reserveDescriptor = -1
            if case .processed(let fd)? = try? Sys.accept(listener) {
                Sys.close(fd)
                counters.shedOnEMFILE += 1
                shed = true
            }
            reserveDescriptor = (try? Sys.openDevNull()) ?? -1
        }
        if reserveDescriptor < 0 {
            // Someone else holds every descriptor: stop accepting for a while rather than spin.
            pauseAccepting(forNanos: 50_000_000)
        }
        return shed
    }

    private func pauseAccepting(forNanos delay: UInt64) {
        guard !acceptPaused else { return }
        acceptPaused = true
        loop.forget(listener)
        loop.schedule(afterNanos: delay) { [unowned self] in
            acceptPaused = false
            if reserveDescriptor < 0 { reserveDescriptor = (try? Sys.openDevNull()) ?? -1 }
            try? loop.setInterest(listener, .readable)
        }
    }

    // MARK: echo

    private func readAndEcho(_ fd: Int32) -> Bool {
        var worked = false
        let limit = configuration.fault == .unboundedQueue ? Int.max : configuration.queueLimit
        while true {
            let queued = connections[Int(fd)].queue.count
            if queued >= limit { break }
            let n: Int
            do {
                switch try Sys.recv(fd, readBuffer, readSize) {
                case .wouldBlock:
                    // Edge-triggered reads end here: bytes queued on the way need write interest.
                    updateInterest(fd)
                    return worked
                case .processed(let got): n = got
                }
            } catch {
                closeAfterError(fd, error)
                return true
            }
            worked = true
            if n == 0 {
                peerClosedWrite(fd)
                return true
            }
            counters.bytesIn &+= UInt64(n)
            if configuration.fault == .corruptEcho { corrupt(fd, n) }
            if !echo(fd, readBuffer, n) { return true }
            if !drainUntilWouldBlock { break }
        }
        updateInterest(fd)
        return worked
    }

    func corrupt(_ fd: Int32, _ n: Int) {
        let start = connections[Int(fd)].bytesRead
        connections[Int(fd)].bytesRead += UInt64(n)
        let target = Self.corruptedOffset
        if start <= target && target < start + UInt64(n) {
            readBuffer.storeBytes(of: readBuffer.load(fromByteOffset: Int(target - start), as: UInt8.self) ^ 0x20,
                                  toByteOffset: Int(target - start), as: UInt8.self)
        }
    }

    /// Sends what was read, queueing whatever the socket does not take. False if it closed.
    private func echo(_ fd: Int32, _ bytes: UnsafeRawPointer, _ n: Int) -> Bool {
        var sent = 0
        if connections[Int(fd)].queue.isEmpty {
            do {
                switch try Sys.send(fd, bytes, n) {
                case .wouldBlock: sent = 0
                case .processed(let k): sent = k
                }
            } catch {
                closeAfterError(fd, error)
                return false
            }
            counters.bytesOut &+= UInt64(sent)
        }
        guard sent < n else { return true }
        switch configuration.fault {
        case .dropOnPartialWrite? where sent > 0:
            return true
        case .stallSlowReader?:
            return sendBlocking(fd, bytes + sent, n - sent)
        default:
            connections[Int(fd)].queue.append(bytes + sent, n - sent)
            let queued = UInt64(connections[Int(fd)].queue.count)
            if queued > counters.queueHighWater { counters.queueHighWater = queued }
            return true
        }
    }

    /// The stall-slow-reader fault: waits on this one socket, so every other client waits too.
    private func sendBlocking(_ fd: Int32, _ bytes: UnsafeRawPointer, _ n: Int) -> Bool {
        var offset = 0
        while offset < n && !loop.waker.isStopRequested {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = Glibc.poll(&p, 1, 50)
            do {
                if case .processed(let k) = try Sys.send(fd, bytes + offset, n - offset) {
                    offset += k
                    counters.bytesOut &+= UInt64(k)
                }
            } catch {
                closeAfterError(fd, error)
                return false
            }
        }
        return true
    }

    /// Sends queued bytes; returns whether any were sent.
    private func flush(_ fd: Int32) -> Bool {
        guard Int(fd) < connections.count, connections[Int(fd)].open else { return false }
        var worked = false
        while !connections[Int(fd)].queue.isEmpty {
            let pending = connections[Int(fd)].queue.readable
            let sent: Int
            do {
                switch try Sys.send(fd, pending.baseAddress!, pending.count) {
                case .wouldBlock: sent = 0
                case .processed(let k): sent = k
                }
            } catch {
                closeAfterError(fd, error)
                return true
            }
            guard sent > 0 else { break }
            worked = true
            counters.bytesOut &+= UInt64(sent)
            if configuration.fault == .dropOnPartialWrite && sent < pending.count {
                connections[Int(fd)].queue.consume(pending.count)
            } else {
                connections[Int(fd)].queue.consume(sent)
            }
        }
        if connections[Int(fd)].closing && connections[Int(fd)].queue.isEmpty {
            close(fd)
            return true
        }
        updateInterest(fd)
        return worked
    }

    /// Read while there is room in the queue and the peer may still send; write while queued.
    private func updateInterest(_ fd: Int32) {
        let c = connections[Int(fd)]
        guard c.open else { return }
        var want = IOEvents.none
        let limit = configuration.fault == .unboundedQueue ? Int.max : configuration.queueLimit
        if !c.closing && c.queue.count < limit { want.insert(.readable) }
        if !c.queue.isEmpty { want.insert(.writable) }
        // Only fails for a descriptor select cannot hold, which was refused at accept.
        try? loop.setInterest(fd, want)
    }

    // MARK: closing

    private func peerClosedWrite(_ fd: Int32) {
        counters.peerEOFs += 1
        if connections[Int(fd)].queue.isEmpty || configuration.fault == .closeBeforeFlush {
            close(fd)
        } else {
            connections[Int(fd)].closing = true
            updateInterest(fd)
        }
    }

    func closeAfterError(_ fd: Int32, _ error: SystemError) {
        if error.isConnectionReset {
            counters.resets += 1
            if configuration.fault == .leakOnReset {
                // The bug: the server forgets the connection but never closes its descriptor.
                loop.forget(fd)
                if tls != nil { endTLS(fd) }
                connections[Int(fd)].queue.release()
                connections[Int(fd)] = Connection()
                counters.active -= 1
                leaked.append(fd)
                return
            }
        } else {
            counters.otherErrors += 1
        }
        close(fd)
    }

    func close(_ fd: Int32) {
        loop.forget(fd)
        if tls != nil { endTLS(fd) }
        Sys.close(fd)
        connections[Int(fd)].queue.release()
        connections[Int(fd)] = Connection()
        counters.active -= 1
    }

    /// Closes every descriptor the server opened, so the process count returns to where it was.
    /// (Leaked descriptors of the leak-on-reset fault are closed too: the leak is a run-time
    /// symptom, not a reason to poison the test process.)
    private func shutdown() {
        for fd in connections.indices where connections[fd].open {
            if tls != nil { tlsConnections[fd].sendCloseNotify = true }
            close(Int32(fd))
        }
        for fd in leaked { Sys.close(fd) }
        leaked.removeAll()
        loop.forget(listener)
        Sys.close(listener)
        if reserveDescriptor >= 0 { Sys.close(reserveDescriptor); reserveDescriptor = -1 }
        loop.close()
        readBuffer.deallocate()
    }
}
