// Moving bytes: the send pump (fragments, pauses, orderly closing steps queued behind data),
// the reader (echo check against the bytes in flight, inbox for pattern checks, latency), and
// the abrupt operations (reset, pause/resume reading).

import Framing
import Glibc
import Histogram
import Reactor
import Syscalls
import TLSClient

extension ClientEngine {
    // MARK: queueing work

    /// Whether bytes queued on `id` now can still go out: connected or connecting, and no
    /// half-close or close queued or done.
    public func canSend(_ id: Int) -> Bool {
        let c = connections[id]
        return (c.phase == .open || c.phase == .pending || c.phase == .connecting) && !c.writeShut && !c.sendingEnded
    }

    /// Queues `segments` on connection `id`; they go out as the socket takes them. Returns false
    /// when nothing can be sent there any more (see `canSend`): the bytes then count as never
    /// sent, so an echo check on the connection cannot pass.
    @discardableResult
    public func send(_ id: Int, _ segments: [OutgoingSegment]) -> Bool {
        let c = connections[id]
        guard canSend(id) else {
            c.unsentAtEnd += segments.reduce(0) { $0 + $1.byteCount }
            return false
        }
        if c.decoder != nil, segments.contains(where: { $0.byteCount > 0 }) {
            // Framed: each request sent is a reply awaited (`requestsQueued` beside `repliesReceived`).
            c.outgoing.append(contentsOf: countingRequests(c, segments))
        } else {
            c.outgoing.append(contentsOf: segments)
        }
        if c.phase == .open { _ = pump(c) }
        return true
    }

    /// `segments` marked with the requests that end in each: one per send, as the language
    /// reads a send, unless the send's bytes are several whole requests of a protocol whose
    /// requests the framing also cuts (RESP, HTTP/1.1), each one no two servers would cut
    /// differently (`Framing.countableRequests`): `send r "PING\r\nPING\r\n"` awaits two replies.
    /// A line, delimiter or length framing describes the replies only (memcached's `set` is two
    /// lines and one reply), so there a send stays one request.
    func countingRequests(_ c: ClientConnection, _ segments: [OutgoingSegment]) -> [OutgoingSegment] {
        var marked = segments
        let framing = c.decoder!.framing
        let last = segments.lastIndex(where: { $0.byteCount > 0 })!
        var literal: [UInt8] = []
        var owner: [Int] = []  // per byte of `literal`, the index of its segment
        var allLiteral = true
        for (i, segment) in segments.enumerated() {
            switch segment.content {
            case .bytes(let b):
                literal += b
                owner += repeatElement(i, count: b.count)
            default:
                if segment.byteCount > 0 { allLiteral = false }
            }
        }
        let symmetric: Bool
        switch framing {
        case .resp, .http1: symmetric = true
        default: symmetric = false
        }
        let split: (requests: [[UInt8]], rest: [UInt8]) = symmetric && allLiteral ? framing.splitRequests(literal) : ([], literal)
        guard split.requests.count > 1, framing.countableRequests(split) != nil else {
            marked[last].requestsEnding += 1
            c.requestsQueued &+= 1
            if case .http1 = framing {
                // The method may be cut across fragments: read it through the literal ones.
                let head = segments.lazy.prefix { if case .bytes = $0.content { true } else { false } }
                    .flatMap { (s: OutgoingSegment) -> [UInt8] in if case .bytes(let b) = s.content { b } else { [] } }
                c.decoder!.noteRequest(isHEAD: HTTP1Request.isHEAD(head))
            }
            return marked
        }
        var end = 0
        for request in split.requests {
            end += request.count
            marked[owner[end - 1]].requestsEnding += 1
            if case .http1 = framing { c.decoder!.noteRequest(isHEAD: HTTP1Request.isHEAD(request)) }
        }
        c.requestsQueued &+= UInt64(split.requests.count)
        return marked
    }

    /// shutdown(SHUT_WR) once everything queued before it is sent.
    public func halfClose(_ id: Int) {
        if send(id, [OutgoingSegment(.halfClose)]) { connections[id].sendingEnded = true }
    }

    /// Orderly close once everything queued before it is sent.
    public func close(_ id: Int) {
        let c = connections[id]
        switch c.phase {
        case .open, .connecting, .pending:
            if c.phase == .open && c.writeShut && !c.hasPendingOutput {
                release(c, phase: .closed)
            } else if c.phase == .open {
                c.sendingEnded = true
                c.outgoing.append(OutgoingSegment(.close))
                _ = pump(c)
            } else {
                release(c, phase: .closed)
            }
        case .refused, .timedOut, .failed, .closed, .reset:
            break
        }
    }

    /// Abrupt close now: SO_LINGER 0, so the peer sees RST; unsent data is dropped.
    public func reset(_ id: Int) {
        let c = connections[id]
        guard c.fd >= 0 else { return }
        if c.phase == .open { try? Sys.setLingerZero(c.fd) }
        release(c, phase: .closed)
    }

    /// Stops reading (a slow reader): the peer's sends back up into its own buffers.
    public func pauseReading(_ id: Int) {
        let c = connections[id]
        c.readingPaused = true
        updateInterest(c)
    }

    public func resumeReading(_ id: Int) {
        let c = connections[id]
        c.readingPaused = false
        updateInterest(c)
        // TLS: records read ahead before the pause wait inside OpenSSL, not on the socket.
        if let tls = c.tls { readBuffered(c, tls) }
    }

    // MARK: lending to another loop

    /// Whether `id` is established with nothing queued, in flight or paused (with TLS, no record
    /// waiting for the socket either): a clean stream that another loop (a load run) may take over.
    public func isIdle(_ id: Int) -> Bool {
        let c = connections[id]
        return c.phase == .open && !c.peerEOF && !c.writeShut && !c.readingPaused && !c.hasPendingOutput && c.inFlight.isEmpty
            && (c.tls.map { $0.ssl != nil && !hasUnsentRecords($0) } ?? true)
    }

    /// Stops watching the descriptors of `ids` (all idle, all clear or all TLS) and hands them
    /// out; `reclaim` takes them back. Nothing of the engine runs meanwhile, so nobody else
    /// touches them. TLS connections lend their SSL objects too (see `lendTLS` for who owns what).
    public func lend(_ ids: [Int]) -> LentConnections {
        precondition(Set(ids.map { connections[$0].tls == nil }).count <= 1, "lend: clear and TLS connections mixed")
        var transports: [Transport] = []
        let fds = ids.map { id in
            let c = connections[id]
            loop.forget(c.fd)
            transports.append(c.tls.map { .tls(lendTLS($0)) } ?? .clear)
            return c.fd
        }
        return LentConnections(fds: fds, transports: transports)
    }

    /// Takes lent connections back: `exchanged[i]` bytes went each way on `ids[i]` (sent and
    /// echoed back verified); the ones in `failed` (positions in `ids`) ended under the borrower.
    public func reclaim(_ ids: [Int], exchanged: [UInt64], failed: Set<Int>) {
        for (i, id) in ids.enumerated() {
            let c = connections[id]
            c.bytesSent &+= exchanged[i]
            c.bytesReceived &+= exchanged[i]
            stats[c.group]!.bytesSent &+= exchanged[i]
            stats[c.group]!.bytesReceived &+= exchanged[i]
            if failed.contains(i) {
                c.connectError = ECONNRESET
                release(c, phase: .failed)
            } else if let tls = c.tls, let reason = reclaimTLS(tls) {
                tls.failure = reason
                c.connectError = EPROTO
                release(c, phase: .failed)
            } else {
                updateInterest(c)
                // Records the borrower's last read took in ahead wait inside OpenSSL.
                if let tls = c.tls { readBuffered(c, tls) }
            }
        }
    }

    /// Adds round trips measured elsewhere (a load run) to a group's latency histogram.
    /// Adds bytes a load moved outside the echo model (requests and replies) to a group's figures,
    /// not to its connections' echo books.
    public func countTraffic(_ group: String, sent: UInt64, received: UInt64) {
        stats[group]?.bytesSent &+= sent
        stats[group]?.bytesReceived &+= received
    }

    public func recordLatencies(_ group: String, _ histogram: Histogram<UInt64>) {
        stats[group]?.latency.add(histogram)
    }

    // MARK: inbox

    public func inbox(_ id: Int) -> ArraySlice<UInt8> { connections[id].inbox[...] }

    public func inboxDropped(_ id: Int) -> UInt64 { connections[id].inboxDropped }

    public func consumeInbox(_ id: Int, count: Int) {
        let c = connections[id]
        let n = min(count, c.inbox.count)
        c.inbox.removeFirst(n)
        c.inboxStart &+= UInt64(n)
    }

    /// Echo verified up to here: what arrived so far needs no pattern check either.
    public func clearInbox(_ id: Int) {
        let c = connections[id]
        c.inboxStart &+= UInt64(c.inbox.count)
        c.inbox.removeAll(keepingCapacity: false)
    }

    // MARK: sending

    /// Hands queued bytes to the kernel until it would block, a pause is due, or the queue
    /// ends. Returns whether any byte moved or a step ran.
    func pump(_ c: ClientConnection) -> Bool {
        guard c.phase == .open else { return false }
        var worked = false
        let now = Sys.monotonicNanos()
        while c.phase == .open {
            if c.staged.isEmpty {
                guard let head = c.outgoing.first else { break }
                if c.headNotBefore == 0 { c.headNotBefore = now &+ head.delayNanos }
                if c.headNotBefore > now {
                    scheduleWrite(c, at: c.headNotBefore)
                    break
                }
                // TLS: close_notify goes out before the half-close or close (it may have to wait).
                if let tls = c.tls, head.isClosingStep {
                    guard let sent = sendCloseNotify(c, tls) else { return true }
                    if !sent { break }
                }
                worked = true
                if !stage(c, head, now: now) { return true }
                continue
            }
            let pending = c.staged.readable
            let sent: Int
            if let tls = c.tls {
                guard let k = writeTLS(c, tls, UnsafeRawBufferPointer(pending)) else { return true }
                sent = k
            } else {
                do {
                    switch try Sys.send(c.fd, pending.baseAddress!, pending.count) {
                    case .wouldBlock: sent = 0
                    case .processed(let k): sent = k
                    }
                } catch {
                    ended(c, by: error)
                    return true
                }
            }
            guard sent > 0 else { break }
            worked = true
            if tracksEcho { moveToBacklog(c, pending.baseAddress!, sent) }
            c.staged.consume(sent)
            c.bytesSent &+= UInt64(sent)
            progress &+= 1
            stats[c.group]!.bytesSent &+= UInt64(sent)
        }
        // TLS: what this pump wrote leaves in as few writes as the socket takes.
        if c.phase == .open, let tls = c.tls, flushRecords(c, tls) == nil { return true }
        updateInterest(c)
        return worked
    }

    /// Moves the head segment (or its next 64 KiB) into the staging buffer, or runs a closing
    /// step. Returns false when the connection is gone.
    private func stage(_ c: ClientConnection, _ head: OutgoingSegment, now: UInt64) -> Bool {
        switch head.content {
        case .bytes(let bytes):
            bytes.withUnsafeBytes { c.staged.append($0.baseAddress!, $0.count) }
            if tracksEcho && !bytes.isEmpty { c.stagedRuns.append((nil, bytes.count)) }
            finishSegment(c, now: now)
        case .random(let count, var generator):
            let chunk = min(count, 64 * 1024)
            if tracksEcho && chunk > 0 { c.stagedRuns.append((RandomByteStream(generator), chunk)) }
            generator.fill(UnsafeMutableRawBufferPointer(start: scratch, count: chunk))
            c.staged.append(scratch, chunk)
            if chunk == count {
                finishSegment(c, now: now)
            } else {
                c.outgoing[c.outgoing.startIndex].content = .random(count: count - chunk, generator: generator)
            }
        case .halfClose:
            c.outgoing.removeFirst()
            c.headNotBefore = 0
            if !c.writeShut {
                c.writeShut = true
                do { try Sys.shutdownWrite(c.fd) } catch { ended(c, by: error); return false }
            }
            // Nothing queued after a half-close can be sent.
            c.outgoing.removeAll()
            if c.peerEOF { release(c, phase: .closed); return false }
        case .close:
            release(c, phase: .closed)
            return false
        }
        return true
    }

    private func finishSegment(_ c: ClientConnection, now: UInt64) {
        let finished = c.outgoing.removeFirst()
        c.headNotBefore = 0
        if c.decoder == nil {
            c.latencyMarks.append((c.bytesSent &+ UInt64(c.staged.count), now))
        } else {
            for _ in 0..<finished.requestsEnding { c.requestsSentAt.append(now) }
        }
    }

    private func scheduleWrite(_ c: ClientConnection, at deadline: UInt64) {
        guard c.writeTimer == nil else { return }
        c.writeTimer = loop.schedule(atNanos: deadline) { [unowned self] in
            c.writeTimer = nil
            _ = pump(c)
        }
    }

    // MARK: receiving

    /// Reads what is there (a bounded number of times, to stay fair to other connections).
    /// Clear connections only: TLS ones read with `readTLS`.
    func readAvailable(_ c: ClientConnection) -> Bool {
        var worked = false
        for _ in 0..<4 {
            let n: Int
            do {
                switch try Sys.recv(c.fd, readBuffer, 64 * 1024) {
                case .wouldBlock: return worked
                case .processed(let got): n = got
                }
            } catch {
                ended(c, by: error)
                return true
            }
            worked = true
            if n == 0 {
                peerClosed(c)
                return true
            }
            received(c, UnsafeRawBufferPointer(start: readBuffer, count: n))
        }
        return worked
    }

    /// The peer's end of stream (EOF; with TLS, close_notify or a truncation).
    func peerClosed(_ c: ClientConnection) {
        if c.decoder != nil { streamEnded(c, now: Sys.monotonicNanos()) }
        c.peerEOF = true
        progress &+= 1
        stats[c.group]!.peerEOFs += 1
        if c.writeShut && !c.hasPendingOutput {
            release(c, phase: .closed)
        } else {
            updateInterest(c)
        }
    }

    func received(_ c: ClientConnection, _ bytes: UnsafeRawBufferPointer) {
        let now = Sys.monotonicNanos()
        if tracksEcho { checkEcho(c, bytes) }
        c.bytesReceived &+= UInt64(bytes.count)
        progress &+= 1
        stats[c.group]!.bytesReceived &+= UInt64(bytes.count)
        if c.decoder != nil {
            framesArrived(c, bytes, now: now)
        } else {
            while let mark = c.latencyMarks.first, mark.offset <= c.bytesReceived {
                c.latencyMarks.removeFirst()
                stats[c.group]!.latency.record(now &- mark.sentAt)
            }
        }
        if keepsInbox {
            let room = max(0, inboxLimit - c.inbox.count)
            c.inbox.append(contentsOf: bytes.prefix(room))
            if bytes.count > room { c.inboxDropped &+= UInt64(bytes.count - room) }
        }
    }

    /// The first `sent` staged bytes (at `base`) went out: they wait for their echo, random ones
    /// as their stream.
    private func moveToBacklog(_ c: ClientConnection, _ base: UnsafeRawPointer, _ sent: Int) {
        var offset = 0
        while offset < sent, let head = c.stagedRuns.first {
            let k = min(head.count, sent - offset)
            if var stream = head.random {
                c.inFlight.appendRandom(stream, k)
                stream.skip(k)
                if k == head.count { c.stagedRuns.removeFirst() } else { c.stagedRuns[c.stagedRuns.startIndex] = (stream, head.count - k) }
            } else {
                c.inFlight.appendLiteral(base + offset, k)
                if k == head.count { c.stagedRuns.removeFirst() } else { c.stagedRuns[c.stagedRuns.startIndex] = (nil, head.count - k) }
            }
            offset += k
        }
    }

    /// Compares arriving bytes with the oldest bytes in flight, consuming them.
    private func checkEcho(_ c: ClientConnection, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count && !c.inFlight.isEmpty {
            let expected = c.inFlight.peek(bytes.count - offset, scratch: scratch)
            let n = expected.count
            if c.echoMismatch == nil && memcmp(expected.baseAddress!, bytes.baseAddress! + offset, n) != 0 {
                var i = 0
                while expected[i] == bytes[offset + i] { i += 1 }
                c.echoMismatch = EchoMismatch(
                    offset: c.bytesReceived &+ UInt64(offset + i),
                    expected: Array(expected[i..<min(n, i + 16)]),
                    seen: Array(bytes[(offset + i)..<min(bytes.count, offset + i + 16)]))
                stats[c.group]!.echoMismatches += 1
            }
            c.inFlight.consume(n)
            offset += n
        }
        if offset < bytes.count && c.echoMismatch == nil {
            c.echoMismatch = EchoMismatch(offset: c.bytesReceived &+ UInt64(offset), expected: [],
                                          seen: Array(bytes[offset..<min(bytes.count, offset + 16)]))
            stats[c.group]!.echoMismatches += 1
        }
    }

    /// The connection ended under us: RST/EPIPE is a reset; anything else a failure.
    func ended(_ c: ClientConnection, by error: SystemError) {
        c.connectError = error.errno
        if error.isConnectionReset {
            stats[c.group]!.resets += 1
            release(c, phase: .reset)
        } else {
            release(c, phase: .failed)
        }
    }
}
