// The echo server's TLS path, entered once per event when the server speaks TLS: the handshake
// as a connection state, SSL_read/SSL_write with their WANT_READ/WANT_WRITE flipping the
// interest, draining what OpenSSL already holds (it never shows as socket readiness), and
// close_notify versus a plain EOF. Same echo semantics as the clear path: bounded queue,
// half-close flush (after the peer's close_notify), reset counting, stats.

import COpenSSL
import Glibc
import Reactor
import Syscalls

extension EchoServerCore {

    /// A new connection: an SSL object on the socket, waiting for the ClientHello.
    func startTLS(_ fd: Int32, _ tls: TLSServerContext) {
        if Int(fd) >= tlsConnections.count {
            tlsConnections.append(contentsOf: repeatElement(TLSConnection(), count: connections.count - tlsConnections.count))
        }
        guard let ssl = SSL_new(tls.context), SSL_set_fd(ssl, fd) == 1 else {
            ERR_clear_error()
            counters.otherErrors += 1
            close(fd)
            return
        }
        SSL_set_accept_state(ssl)
        tlsConnections[Int(fd)] = TLSConnection(ssl: ssl)
    }

    /// Frees the SSL object, first sending close_notify when the close is orderly (unless the
    /// tls-no-close-notify fault is injected). One non-blocking attempt: the alert is a few
    /// dozen bytes and the queue is empty by then, so the socket has room for it.
    func endTLS(_ fd: Int32) {
        guard Int(fd) < tlsConnections.count, let ssl = tlsConnections[Int(fd)].ssl else { return }
        if tlsConnections[Int(fd)].sendCloseNotify && configuration.fault != .tlsNoCloseNotify {
            _ = SSL_shutdown(ssl)
        }
        ERR_clear_error()
        SSL_free(ssl)
        tlsConnections[Int(fd)] = TLSConnection()
    }

    func handleTLS(_ fd: Int32, _ events: IOEvents) -> Bool {
        let i = Int(fd)
        guard i < connections.count, connections[i].open, let ssl = tlsConnections[i].ssl else { return false }
        if tlsConnections[i].handshaking {
            guard continueHandshake(fd, ssl) else { return true }
        }
        // Either direction may be waiting on either readiness (renegotiation, key update), and
        // over-reporting is legal: try both, each records what it waits for.
        var worked = false
        if !connections[i].queue.isEmpty { worked = flushTLS(fd, ssl) }
        guard connections[i].open else { return true }
        if connections[i].closing {
            updateTLSInterest(fd)
            return worked
        }
        return readAndEchoTLS(fd, ssl) || worked
    }

    /// One handshake step; true once it is complete (then read at once: the client's first
    /// records may already sit in OpenSSL's read-ahead buffer, and no edge will say so).
    private func continueHandshake(_ fd: Int32, _ ssl: OpaquePointer) -> Bool {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            tlsConnections[Int(fd)].handshaking = false
            tlsConnections[Int(fd)].readWaitsFor = .readable
            counters.tlsHandshakes += 1
            return true
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            tlsConnections[Int(fd)].readWaitsFor = .readable
            updateTLSInterest(fd)
        case SSL_ERROR_WANT_WRITE:
            tlsConnections[Int(fd)].readWaitsFor = .writable
            updateTLSInterest(fd)
        default:
            // A clear-text client, a port probe that connects and closes, a failed verification.
            ERR_clear_error()
            counters.tlsHandshakeFailures += 1
            close(fd)
        }
        return false
    }

    // MARK: echo

    private func readAndEchoTLS(_ fd: Int32, _ ssl: OpaquePointer) -> Bool {
        let i = Int(fd)
        var worked = false
        let limit = configuration.fault == .unboundedQueue ? Int.max : configuration.queueLimit
        while connections[i].queue.count < limit {
            let n = Int(SSL_read(ssl, readBuffer, Int32(readSize)))
            if n <= 0 {
                let error = SSL_get_error(ssl, Int32(n))
                switch error {
                case SSL_ERROR_WANT_READ:
                    tlsConnections[i].readWaitsFor = .readable
                case SSL_ERROR_WANT_WRITE:
                    tlsConnections[i].readWaitsFor = .writable
                case SSL_ERROR_ZERO_RETURN:
                    peerSentCloseNotify(fd)
                    return true
                default:
                    failTLS(fd, ssl, error, call: "SSL_read")
                    return true
                }
                updateTLSInterest(fd)
                return worked
            }
            worked = true
            tlsConnections[i].readWaitsFor = .readable
            counters.bytesIn &+= UInt64(n)
            if configuration.fault == .corruptEcho { corrupt(fd, n) }
            if !echoTLS(fd, ssl, n) { return true }
            // The bug: a short read taken to mean "drained", as it does for a clear socket
            // under edge triggering. Here the next records may sit in OpenSSL's buffer already.
            if configuration.fault == .tlsIgnorePending && n < readSize { break }
            // Level-triggered: one read per event, unless OpenSSL holds more than the socket
            // shows (read-ahead); those bytes would otherwise wait for the peer's next send.
            if !drainUntilWouldBlock && SSL_has_pending(ssl) == 0 { break }
        }
        updateTLSInterest(fd)
        return worked
    }

    /// Writes the n bytes just read (partial writes: one record per call); queues the rest.
    /// False if the connection closed.
    private func echoTLS(_ fd: Int32, _ ssl: OpaquePointer, _ n: Int) -> Bool {
        let i = Int(fd)
        var sent = 0
        if connections[i].queue.isEmpty {
            while sent < n {
                let k = Int(SSL_write(ssl, readBuffer + sent, Int32(n - sent)))
                if k <= 0 {
                    guard noteWriteBlocked(fd, ssl, k) else { return false }
                    break
                }
                sent += k
                counters.bytesOut &+= UInt64(k)
            }
        }
        guard sent < n else { return true }
        if configuration.fault == .dropOnPartialWrite && sent > 0 { return true }
        connections[i].queue.append(readBuffer + sent, n - sent)
        let queued = UInt64(connections[i].queue.count)
        if queued > counters.queueHighWater { counters.queueHighWater = queued }
        return true
    }

    /// Writes queued bytes. OpenSSL retries a blocked write from the same bytes, which the
    /// queue keeps at its head (ACCEPT_MOVING_WRITE_BUFFER lets their address change).
    private func flushTLS(_ fd: Int32, _ ssl: OpaquePointer) -> Bool {
        let i = Int(fd)
        var worked = false
        while !connections[i].queue.isEmpty {
            let pending = connections[i].queue.readable
            let k = Int(SSL_write(ssl, pending.baseAddress!, Int32(min(pending.count, Int(Int32.max)))))
            if k <= 0 {
                guard noteWriteBlocked(fd, ssl, k) else { return true }
                break
            }
            worked = true
            counters.bytesOut &+= UInt64(k)
            let dropRest = configuration.fault == .dropOnPartialWrite && k < pending.count
            connections[i].queue.consume(dropRest ? pending.count : k)
        }
        // Drained: OpenSSL holds nothing of it either (a write succeeds once its record is out),
        // so the idle connection keeps no queue storage, as it keeps no record buffer.
        if connections[i].queue.isEmpty { connections[i].queue.release() }
        if connections[i].closing && connections[i].queue.isEmpty {
            tlsConnections[i].sendCloseNotify = true
            close(fd)
            return true
        }
        updateTLSInterest(fd)
        return worked
    }

    /// Records what a failed SSL_write waits for; false (connection closed) when it failed.
    private func noteWriteBlocked(_ fd: Int32, _ ssl: OpaquePointer, _ result: Int) -> Bool {
        let error = SSL_get_error(ssl, Int32(result))
        switch error {
        case SSL_ERROR_WANT_WRITE: tlsConnections[Int(fd)].writeWaitsFor = .writable
        case SSL_ERROR_WANT_READ: tlsConnections[Int(fd)].writeWaitsFor = .readable
        default:
            failTLS(fd, ssl, error, call: "SSL_write")
            return false
        }
        return true
    }

    /// Read while there is room and the peer may still send; write while queued; each on the
    /// readiness its last attempt waits for.
    private func updateTLSInterest(_ fd: Int32) {
        let i = Int(fd)
        guard connections[i].open else { return }
        let t = tlsConnections[i]
        var want = IOEvents.none
        let limit = configuration.fault == .unboundedQueue ? Int.max : configuration.queueLimit
        if t.handshaking || (!connections[i].closing && connections[i].queue.count < limit) { want.insert(t.readWaitsFor) }
        if !connections[i].queue.isEmpty { want.insert(t.writeWaitsFor) }
        try? loop.setInterest(fd, want)
    }

    // MARK: closing

    /// The peer's close_notify: its half-close. Flush the queue, then answer with ours.
    private func peerSentCloseNotify(_ fd: Int32) {
        counters.peerEOFs += 1
        if connections[Int(fd)].queue.isEmpty || configuration.fault == .closeBeforeFlush {
            tlsConnections[Int(fd)].sendCloseNotify = true
            close(fd)
        } else {
            connections[Int(fd)].closing = true
            updateTLSInterest(fd)
        }
    }

    /// A failed SSL_read or SSL_write: a reset, an EOF without close_notify (a truncation; OpenSSL
    /// 3 refuses to write after it, so nothing more can be flushed), or a protocol error.
    private func failTLS(_ fd: Int32, _ ssl: OpaquePointer, _ error: Int32, call: String) {
        let savedErrno = errno
        let reason = ERR_peek_error()
        ERR_clear_error()
        if error == SSL_ERROR_SSL && sockfuzz_ssl_is_unexpected_eof(reason) != 0 {
            counters.peerEOFs += 1
            counters.tlsTruncations += 1
            close(fd)
        } else if error == SSL_ERROR_SYSCALL && savedErrno != 0 {
            closeAfterError(fd, SystemError(call: call, errno: savedErrno, fd: fd))
        } else {
            counters.otherErrors += 1
            close(fd)
        }
    }
}
