// Opening connections: a burst (all at once, at most `maxConnectsInFlight` handshakes pending)
// or at a rate, each through the Connector; with TLS, a connect is in flight until its TLS
// handshake ends too. Refused, timed-out and failed connects (and failed handshakes) are
// counted, never fatal.

import Framing
import Glibc
import Reactor
import Syscalls
import TLSClient

extension ClientEngine {
    /// Adds `count` connections to `group` (created if new) and starts connecting them to
    /// `target`, all at once or `ratePerSecond` apart. Returns their ids. `firstIndex` numbers
    /// them from there instead of after the group's last member (a share of a segmented run
    /// names its connections by their index in the whole run, so they draw the same payloads).
    /// With `tls`, the handshake sends and checks the target's `tlsName`.
    @discardableResult
    public func connect(group: String, count: Int, to target: Target,
                        ratePerSecond: Double? = nil, timeoutNanos: UInt64 = 5_000_000_000,
                        framing: Framing? = nil, firstIndex: Int? = nil, tls: TLSClientContext? = nil) -> [Int] {
        if groupMembers[group] == nil {
            groupMembers[group] = []
            groupOrder.append(group)
            stats[group] = GroupStats()
        }
        var ids: [Int] = []
        ids.reserveCapacity(count)
        let start = Sys.monotonicNanos()
        for i in 0..<count {
            let c = ClientConnection(id: connections.count, group: group, index: firstIndex.map { $0 + i } ?? groupMembers[group]!.count)
            if let framing { c.decoder = FrameDecoder(framing) }
            if let tls { c.tls = TLSClientSession(context: tls, host: target.tlsName) }
            connections.append(c)
            groupMembers[group]!.append(c.id)
            ids.append(c.id)
            if let rate = ratePerSecond, rate > 0, i > 0 {
                // Saturating: a rate of one per thousands of hours must not trap the conversion.
                let offset = Double(i) / rate * 1e9
                let sum = offset.isFinite && offset < 1.8e19 ? start.addingReportingOverflow(UInt64(offset)) : (partialValue: 0, overflow: true)
                let at = sum.overflow ? UInt64.max : sum.partialValue
                loop.schedule(atNanos: at) { [unowned self] in self.requestConnect(c, target.address, timeoutNanos) }
            } else {
                requestConnect(c, target.address, timeoutNanos)
            }
        }
        return ids
    }

    /// Whether any of `ids` is still waiting to connect.
    public func stillConnecting(_ ids: [Int]) -> Bool {
        ids.contains { connections[$0].phase == .pending || connections[$0].phase == .connecting }
    }

    private func requestConnect(_ c: ClientConnection, _ address: SocketAddress, _ timeout: UInt64) {
        guard c.phase == .pending else { return }
        if connectSlots.take(orQueue: (c.id, address, timeout)) { startConnect(c, address, timeout) }
    }

    /// Starts `c`'s connect (it holds a slot): in flight until it opens, fails or times out.
    private func startConnect(_ c: ClientConnection, _ address: SocketAddress, _ timeout: UInt64) {
        stats[c.group]!.connectsStarted += 1
        c.connectStarted = Sys.monotonicNanos()
        c.phase = .connecting
        c.connectTimer = loop.schedule(afterNanos: timeout) { [unowned self] in
            c.connectTimer = nil
            guard c.phase == .connecting else { return }
            stats[c.group]!.timedOut += 1
            c.connectError = ETIMEDOUT
            release(c, phase: .timedOut)
        }
        let tls = c.tls.map { Connector.TLSTarget($0.context, host: $0.host) }
        let (attempt, step) = Connector.Attempt.start(to: address, tls: tls) { [descriptorFloor, receiveBufferSize] fd in
            var fd = fd
            if let floor = descriptorFloor, fd < floor, Sys.openFileLimit() >= Int(floor) * 2 {
                fd = Sys.move(fd, atOrAbove: floor)
            }
            if let size = receiveBufferSize { try? Sys.setReceiveBuffer(fd, bytes: size) }
            return .success(fd)
        }
        if let attempt {
            adopt(attempt.fd, c)
            c.attempt = attempt
        }
        proceed(c, step)
    }

    /// The socket is ready for what the connect (or handshake) waited for: its next step.
    func advanceConnect(_ c: ClientConnection) {
        guard c.attempt != nil else { return }
        proceed(c, c.attempt!.advance())
    }

    private func proceed(_ c: ClientConnection, _ step: Connector.Step) {
        switch step {
        case .waits(let wait):
            c.connectWaitsFor = wait == .readable ? .readable : .writable
            updateInterest(c)
        case .failed(let failure):
            fail(c, failure)
        case .open(let transport):
            c.attempt = nil
            if let timer = c.connectTimer { loop.cancel(timer); c.connectTimer = nil }
            if let tls = c.tls, let ssl = transport.ssl {
                guard tlsOpened(c, tls, ssl) else { return }
            }
            c.phase = .pending // leaves .connecting before the slot's release and `established` adjust the books
            connectFinished()
            established(c)
            // With TLS, the server may have spoken right after its Finished: those records sit
            // in OpenSSL's read-ahead buffer already, and no readiness will say so.
            if let tls = c.tls { readBuffered(c, tls) }
        }
    }

    private func adopt(_ fd: Int32, _ c: ClientConnection) {
        idByFD.growToHold(descriptor: fd, empty: -1)
        idByFD[Int(fd)] = c.id
        c.fd = fd
    }

    private func fail(_ c: ClientConnection, _ failure: Connector.Failure) {
        c.connectError = failure.errno
        switch failure {
        case .refused:
            stats[c.group]!.refused += 1
            release(c, phase: .refused)
        case .handshake(let why):
            c.tls?.failure = why
            stats[c.group]!.connectFailed += 1
            stats[c.group]!.tlsHandshakeFailures += 1
            release(c, phase: .failed)
        case .system, .setup, .timedOut:
            stats[c.group]!.connectFailed += 1
            release(c, phase: .failed)
        }
    }

    func established(_ c: ClientConnection) {
        progress &+= 1
        c.phase = .open
        c.connectedAt = Sys.monotonicNanos()
        stats[c.group]!.connected += 1
        stats[c.group]!.connectTime.record(c.connectedAt &- c.connectStarted)
        try? Sys.setNoDelay(c.fd)
        updateInterest(c)
        _ = pump(c)
    }

    /// One connect is no longer in flight: start the next that waits for its slot.
    func connectFinished() {
        if let next = connectSlots.release(to: { connections[$0.id].phase == .pending }) {
            startConnect(connections[next.id], next.address, next.timeout)
        }
    }
}
