// Opening connections: a burst (all at once, at most `maxConnectsInFlight` handshakes pending)
// or at a rate; with TLS, a connect is in flight until its TLS handshake ends too. Refused,
// timed-out and failed connects (and failed handshakes) are counted, never fatal.

import Framing
import Glibc
import Reactor
import Syscalls
import TLSClient

extension ClientEngine {
    /// Adds `count` connections to `group` (created if new) and starts connecting them to
    /// `address`, all at once or `ratePerSecond` apart. Returns their ids. `firstIndex` numbers
    /// them from there instead of after the group's last member (a share of a segmented run
    /// names its connections by their index in the whole run, so they draw the same payloads).
    /// `tlsHost`: the target's host as the user wrote it (a name), which TLS sends and checks;
    /// nil: the address's (no SNI for an IP address).
    @discardableResult
    public func connect(group: String, count: Int, to address: SocketAddress,
                        ratePerSecond: Double? = nil, timeoutNanos: UInt64 = 5_000_000_000,
                        framing: Framing? = nil, firstIndex: Int? = nil, tls: TLSClientContext? = nil, tlsHost: String? = nil) -> [Int] {
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
            if let tls { c.tls = TLSClientSession(context: tls, host: tlsHost ?? address.host) }
            connections.append(c)
            groupMembers[group]!.append(c.id)
            ids.append(c.id)
            if let rate = ratePerSecond, rate > 0, i > 0 {
                // Saturating: a rate of one per thousands of hours must not trap the conversion.
                let offset = Double(i) / rate * 1e9
                let sum = offset.isFinite && offset < 1.8e19 ? start.addingReportingOverflow(UInt64(offset)) : (partialValue: 0, overflow: true)
                let at = sum.overflow ? UInt64.max : sum.partialValue
                loop.schedule(atNanos: at) { [unowned self] in self.requestConnect(c, address, timeoutNanos) }
            } else {
                requestConnect(c, address, timeoutNanos)
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
        if connectsInFlight >= maxConnectsInFlight {
            connectBacklog.append((c.id, address, timeout))
            return
        }
        startConnect(c, address, timeout)
    }

    func startConnect(_ c: ClientConnection, _ address: SocketAddress, _ timeout: UInt64) {
        stats[c.group]!.connectsStarted += 1
        c.connectStarted = Sys.monotonicNanos()
        var fd: Int32
        do {
            fd = try Sys.socket(family: address.family)
        } catch {
            fail(c, error.errno)
            return
        }
        if let floor = descriptorFloor, fd < floor, Sys.openFileLimit() >= Int(floor) * 2 {
            fd = Sys.move(fd, atOrAbove: floor)
        }
        adopt(fd, c)
        if let size = receiveBufferSize { try? Sys.setReceiveBuffer(fd, bytes: size) }
        do {
            switch try Sys.connect(fd, address) {
            case .processed:
                if let tls = c.tls {
                    awaitConnect(c, timeout)
                    beginHandshake(c, tls)
                } else {
                    established(c)
                }
            case .wouldBlock:
                awaitConnect(c, timeout)
                updateInterest(c)
            }
        } catch {
            fail(c, error.errno)
        }
    }

    /// In flight until the TCP (and TLS) handshake ends or `timeout` passes.
    private func awaitConnect(_ c: ClientConnection, _ timeout: UInt64) {
        c.phase = .connecting
        connectsInFlight += 1
        c.connectTimer = loop.schedule(afterNanos: timeout) { [unowned self] in
            c.connectTimer = nil
            guard c.phase == .connecting else { return }
            stats[c.group]!.timedOut += 1
            c.connectError = ETIMEDOUT
            release(c, phase: .timedOut)
        }
    }

    private func adopt(_ fd: Int32, _ c: ClientConnection) {
        if Int(fd) >= idByFD.count {
            idByFD.append(contentsOf: repeatElement(-1, count: max(Int(fd) + 1, idByFD.count * 2, 64) - idByFD.count))
        }
        idByFD[Int(fd)] = c.id
        c.fd = fd
    }

    /// The socket became writable: the handshake ended one way or the other.
    func finishConnect(_ c: ClientConnection) {
        let error = (try? Sys.pendingError(c.fd)) ?? EBADF
        if error == 0, let tls = c.tls {
            beginHandshake(c, tls)
            return
        }
        if let timer = c.connectTimer { loop.cancel(timer); c.connectTimer = nil }
        connectFinished()
        c.phase = .pending // leaves .connecting before established/fail adjust the books
        if error == 0 { established(c) } else { fail(c, error) }
    }

    private func fail(_ c: ClientConnection, _ error: Int32) {
        c.connectError = error
        if error == ECONNREFUSED {
            stats[c.group]!.refused += 1
            release(c, phase: .refused)
        } else {
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

    /// One handshake is no longer in flight: start a backlogged one.
    func connectFinished() {
        connectsInFlight -= 1
        while connectsInFlight < maxConnectsInFlight, let next = connectBacklog.popFirst() {
            let c = connections[next.id]
            if c.phase == .pending { startConnect(c, next.address, next.timeout) }
        }
    }
}
