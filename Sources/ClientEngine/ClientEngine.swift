// The client engine: named groups of connections driven on one epoll loop on the caller's
// thread (no thread per connection). It reads whenever a socket is readable, also while it is
// still sending, so a large echo cannot deadlock. Callers queue work, then drive the loop until
// a condition holds or a deadline passes.

import DequeModule
import Framing
import Glibc
import Reactor
import Syscalls
import Vocabulary
import TLSClient

public final class ClientEngine: EventHandler {
    let loop: EventLoop<EpollBackend>
    var connections: [ClientConnection] = []
    /// Connection id by descriptor, -1 where none.
    var idByFD: [Int] = []
    var groupMembers: [String: [Int]] = [:]
    public internal(set) var groupOrder: [String] = []
    public internal(set) var stats: [String: GroupStats] = [:]
    let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)

    /// Keep received bytes for `recv`/`match` checks (at most `inboxLimit` per connection).
    public var keepsInbox = true
    public var inboxLimit = InboxLimit.bytesPerConnection
    /// Keep sent bytes until they come back, for the echo check. Turn it off when no echo check
    /// can run (a non-echo server's replies would never drain it: memory grows with every send).
    public var tracksEcho = true
    /// Why the loop stopped working (epoll_wait failed), nil while it works. Once set, `drive`
    /// and `poll` return at once; the caller ends its statement with this as the failure.
    public private(set) var loopFailure: SystemError?
    /// Counts every event that moves a connection along (bytes sent or received, an EOF, a
    /// connect or close): a check that sees it unchanged for a while knows nothing is moving.
    public internal(set) var progress: UInt64 = 0
    /// Client sockets are moved to descriptor numbers at or above this (when the open-file limit
    /// leaves room), so an embedded select() server in the same process keeps the numbers below
    /// FD_SETSIZE for its own connections. nil: leave them where the kernel put them.
    public var descriptorFloor: Int32? = 2048
    /// SO_RCVBUF of sockets connected from now on (nil: the kernel's default and autotuning).
    public var receiveBufferSize: Int?
    /// The bound on connects (TCP and TLS handshakes) in flight, and those waiting for a slot.
    var connectSlots = ConnectSlots<(id: Int, address: SocketAddress, timeout: UInt64)>(limit: 2048)
    /// Connects started but not yet answered, at most (a bound on handshakes in flight).
    public var maxConnectsInFlight: Int { connectSlots.limit }

    /// One OpenSSL context per distinct TLS settings (see `tlsContext`).
    var tlsContexts: [ClientTLS: TLSClientContext] = [:]

    /// Told of every reply as it arrives (connection id, frame), for a console that shows them.
    public var replyObserver: ((Int, Frame) -> Void)?

    public init() throws(SystemError) {
        loop = try EventLoop<EpollBackend>()
    }

    deinit {
        closeAll()
        loop.close()
        readBuffer.deallocate()
        scratch.deallocate()
    }

    // MARK: groups and selections

    public func groupExists(_ name: String) -> Bool { groupMembers[name] != nil }

    /// Connection ids of a group, in the order they were created.
    public func members(of group: String) -> [Int] { groupMembers[group] ?? [] }

    /// Every established connection that we have not closed and the peer has not reset.
    public func openConnections() -> [Int] {
        connections.filter { $0.phase == .open }.map(\.id)
    }

    public var connectionCount: Int { connections.count }

    public func view(_ id: Int) -> ConnectionView { ConnectionView(connections[id]) }

    /// Counts of connections in each phase, over the given ids.
    public func phaseCounts(_ ids: [Int]) -> [ConnectionPhase: Int] {
        var counts: [ConnectionPhase: Int] = [:]
        for id in ids { counts[connections[id].phase, default: 0] += 1 }
        return counts
    }

    public func groupStats(_ group: String) -> GroupStats { stats[group] ?? GroupStats() }

    // MARK: driving

    /// One loop iteration, waiting at most `maxWaitNanos`. Returns the events dispatched; a
    /// failing wait is recorded in `loopFailure` (never a trap, never silently skipped).
    @discardableResult
    public func runOnce(maxWaitNanos: UInt64) -> Int {
        guard loopFailure == nil else { return 0 }
        do {
            return try loop.runOnce(self, maxWaitNanos: maxWaitNanos)
        } catch {
            loopFailure = error
            return 0
        }
    }

    /// Closes the loop's poller under it, so the next wait fails (EBADF) as a broken kernel
    /// object would: tests prove the failure policy with it.
    public func breakLoopForTesting() {
        loop.close()
    }

    /// Drives the loop until `condition` holds (true) or `deadline` passes (false). The condition
    /// is checked before the first wait and after every iteration. `interrupted` lets a caller
    /// (Ctrl-C) cut the wait short.
    public func drive(until deadline: UInt64, interrupted: () -> Bool = { false }, _ condition: () -> Bool) -> Bool {
        while true {
            if condition() { return true }
            let now = Sys.monotonicNanos()
            if now >= deadline || interrupted() || loopFailure != nil { return condition() }
            runOnce(maxWaitNanos: min(deadline - now, 20_000_000))
        }
    }

    /// Drives the loop for `nanos` (a scenario's `sleep`: traffic goes on meanwhile).
    public func drive(forNanos nanos: UInt64, interrupted: () -> Bool = { false }) {
        _ = drive(until: Sys.monotonicNanos() &+ nanos, interrupted: interrupted) { false }
    }

    /// Readable when a connection has something to handle: what a caller waiting on something
    /// else (the console's prompt) also waits on, to keep the connections moving.
    public var readinessDescriptor: Int32? { loop.readinessDescriptor }

    /// Handles whatever is ready now without waiting.
    public func poll() {
        for _ in 0..<8 {
            if runOnce(maxWaitNanos: 0) == 0 { break }
        }
    }

    // MARK: dispatch

    public func handle(fd: Int32, events: IOEvents) -> Bool {
        guard Int(fd) < idByFD.count, idByFD[Int(fd)] >= 0 else { return false }
        let c = connections[idByFD[Int(fd)]]
        switch c.phase {
        case .connecting:
            advanceConnect(c)
            return true
        case .open:
            var worked = false
            if let tls = c.tls {
                // Either direction may wait on either readiness (WANT_READ on a write, ...).
                if !events.isDisjoint(with: tls.readWaitsFor) { worked = readTLS(c, tls) }
                if c.phase == .open && !events.isDisjoint(with: tls.writeWaitsFor) { worked = pump(c) || worked }
                return worked
            }
            if events.contains(.readable) { worked = readAvailable(c) || worked }
            if c.phase == .open && events.contains(.writable) { worked = pump(c) || worked }
            return worked
        case .pending, .refused, .timedOut, .failed, .closed, .reset:
            return false
        }
    }

    // MARK: closing

    /// Closes every connection's descriptor (orderly: TLS ones try to send close_notify first)
    /// and forgets pending work.
    public func closeAll() {
        for c in connections where c.fd >= 0 {
            if c.phase == .open, let tls = c.tls { _ = sendCloseNotify(c, tls) }
            release(c, phase: c.phase == .open ? .closed : c.phase)
        }
        connectSlots.dropWaiting()
    }

    /// Frees the descriptor and buffers of `c` and leaves it in `phase`.
    func release(_ c: ClientConnection, phase: ConnectionPhase) {
        progress &+= 1
        if let timer = c.connectTimer { loop.cancel(timer); c.connectTimer = nil }
        if let timer = c.writeTimer { loop.cancel(timer); c.writeTimer = nil }
        c.attempt?.abandon()
        c.attempt = nil
        if c.fd >= 0 {
            loop.forget(c.fd)
            idByFD[Int(c.fd)] = -1
            Sys.close(c.fd)
            c.fd = -1
        }
        if c.phase == .connecting { connectFinished() }
        c.phase = phase
        c.releaseBuffers()
    }

    func updateInterest(_ c: ClientConnection) {
        guard c.fd >= 0 else { return }
        var want = IOEvents.none
        switch c.phase {
        case .connecting:
            want = c.attempt == nil ? .none : c.connectWaitsFor
        case .open:
            if let tls = c.tls {
                if !c.readingPaused && !c.peerEOF { want.insert(tls.readWaitsFor) }
                if !c.staged.isEmpty || hasUnsentRecords(tls) { want.insert(tls.writeWaitsFor) }
            } else {
                if !c.readingPaused && !c.peerEOF { want.insert(.readable) }
                if !c.staged.isEmpty { want.insert(.writable) }
            }
        case .pending, .refused, .timedOut, .failed, .closed, .reset:
            want = .none
        }
        // epoll accepts any descriptor: this cannot fail for a socket we own.
        try? loop.setInterest(c.fd, want)
    }
}

/// A read-only picture of one connection, for checks and status displays.
public struct ConnectionView: Sendable, Equatable {
    public let id: Int
    public let group: String
    public let index: Int
    public let phase: ConnectionPhase
    public let peerEOF: Bool
    public let writeShut: Bool
    public let readingPaused: Bool
    public let bytesSent: UInt64
    public let bytesReceived: UInt64
    /// Sent bytes not yet echoed back.
    public let bytesInFlight: Int
    public let hasPendingOutput: Bool
    /// Bytes queued to send that never went out (the connection ended first, or had ended).
    public let bytesNeverSent: Int
    /// Whether the handshake ever completed (false for refused, timed-out, failed connects).
    public let everConnected: Bool
    public let echoMismatch: EchoMismatch?
    /// errno of a failed connect or of the error that ended the connection.
    public let lastError: Int32
    public let inboxCount: Int
    /// The framing its group speaks, nil for bytes only.
    public let framing: Framing?
    public let repliesReceived: UInt64
    /// Requests sent (framed sends) with no reply yet, pipelining in order.
    public let repliesAwaited: UInt64
    /// Replies past the requests sent: a server answering more than was asked (or bytes the
    /// client could not count as requests).
    public let repliesUnasked: UInt64
    public let framingError: FramingError?
    /// Bytes received past the last whole reply: the start of an incomplete frame.
    public let partialReplyBytes: Int
    /// The connection's TLS, nil for clear.
    public let tls: TLSConnectionView?

    init(_ c: ClientConnection) {
        id = c.id
        group = c.group
        index = c.index
        phase = c.phase
        peerEOF = c.peerEOF
        writeShut = c.writeShut
        readingPaused = c.readingPaused
        bytesSent = c.bytesSent
        bytesReceived = c.bytesReceived
        bytesInFlight = c.inFlight.count + c.unechoedAtEnd
        hasPendingOutput = c.hasPendingOutput
        bytesNeverSent = c.unsentAtEnd
        everConnected = c.connectedAt != 0
        echoMismatch = c.echoMismatch
        lastError = c.connectError
        inboxCount = c.inbox.count
        framing = c.decoder?.framing
        repliesReceived = c.repliesReceived
        repliesAwaited = c.requestsQueued > c.repliesReceived ? c.requestsQueued - c.repliesReceived : 0
        repliesUnasked = c.repliesReceived > c.requestsQueued ? c.repliesReceived - c.requestsQueued : 0
        framingError = c.framingError
        partialReplyBytes = c.decoder?.pendingByteCount ?? 0
        tls = c.tls?.view
    }

    public var name: String { "\(group)[\(index)]" }
}
