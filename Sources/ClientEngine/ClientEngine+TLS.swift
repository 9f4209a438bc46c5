// TLS on a client connection, on the same loop, once the Connector's handshake opened it:
// SSL_read from the socket (draining what OpenSSL read ahead), records written to memory and
// sent coalesced with back-pressure, and close_notify versus a truncation.

import COpenSSL
import Glibc
import Reactor
import Syscalls
import TLSClient

extension ClientEngine {
    /// A context for `settings`, made once per distinct settings and kept for the engine's life.
    public func tlsContext(_ settings: ClientTLS) throws(TLSClientError) -> TLSClientContext {
        if let made = tlsContexts[settings] { return made }
        let made = try TLSClientContext(settings)
        tlsContexts[settings] = made
        return made
    }

    /// Records written but not sent past this wait for the socket (SSL_write is not called).
    static let tlsBacklogLimit = 256 * 1024

    /// The handshake ended well: the session is the connection's, its records written to memory
    /// from here (sent coalesced by `flushRecords`), read from the socket as before. False when
    /// it cannot go on (the connection then failed).
    func tlsOpened(_ c: ClientConnection, _ tls: TLSClientSession, _ ssl: OpaquePointer) -> Bool {
        tls.ssl = ssl
        guard let output = BIO_new(BIO_s_mem()) else {
            c.connectError = EPROTO
            tls.failure = "BIO_new failed"
            stats[c.group]!.connectFailed += 1
            release(c, phase: .failed)
            return false
        }
        SSL_set0_wbio(ssl, output) // the socket BIO stays the read BIO
        tls.output = output
        tls.handshakeDone = true
        tls.readWaitsFor = .readable
        let negotiated = TLSClientContext.negotiated(ssl)
        tls.version = negotiated.version
        tls.alpn = negotiated.alpn
        return true
    }

    // MARK: reading

    /// Reads records while there are some: at most 4 socket reads per event (fairness, as in
    /// clear), but never leaving bytes OpenSSL already holds, which no readiness would announce.
    func readTLS(_ c: ClientConnection, _ tls: TLSClientSession) -> Bool {
        guard let ssl = tls.ssl else { return false }
        var worked = false
        var reads = 0
        while c.phase == .open && !c.peerEOF {
            if reads >= 4 && SSL_has_pending(ssl) == 0 { break }
            reads += 1
            ERR_clear_error()
            let n = Int(SSL_read(ssl, readBuffer, 64 * 1024))
            if n > 0 {
                worked = true
                tls.readWaitsFor = .readable
                received(c, UnsafeRawBufferPointer(start: readBuffer, count: n))
                continue
            }
            let error = SSL_get_error(ssl, Int32(n))
            let savedErrno = errno
            switch error {
            case SSL_ERROR_WANT_READ:
                tls.readWaitsFor = .readable
                // Nothing more to read: no record buffer stays with the idle connection.
                TLSIO.releaseBuffers(ssl)
            case SSL_ERROR_WANT_WRITE:
                tls.readWaitsFor = .writable
            case SSL_ERROR_ZERO_RETURN:
                tls.peerCloseNotify = true
                peerClosed(c)
                return true
            case SSL_ERROR_SSL where sockfuzz_ssl_is_unexpected_eof(ERR_peek_error()) != 0:
                ERR_clear_error()
                tls.truncated = true
                peerClosed(c)
                return true
            default:
                streamFailed(c, tls, error, savedErrno, call: "SSL_read", reason: TLSClientContext.failure(ssl, Int32(n)))
                return true
            }
            break
        }
        // Reading may have written (a key update's answer, an alert).
        if c.phase == .open, flushRecords(c, tls) == nil { return true }
        updateInterest(c)
        return worked
    }

    /// Reads what OpenSSL already holds (no socket readiness will announce it), if reading.
    func readBuffered(_ c: ClientConnection, _ tls: TLSClientSession) {
        guard c.phase == .open, !c.readingPaused, let ssl = tls.ssl, SSL_has_pending(ssl) != 0 else { return }
        _ = readTLS(c, tls)
    }

    // MARK: writing

    /// One SSL_write of the staged bytes into memory: how many it took (0: it waits, for the
    /// socket to take the backlog or, renegotiating, for the peer), nil when the connection ended.
    func writeTLS(_ c: ClientConnection, _ tls: TLSClientSession, _ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let ssl = tls.ssl, let output = tls.output else { return 0 }
        if tls.backlog.count + Int(BIO_ctrl_pending(output)) >= Self.tlsBacklogLimit {
            guard let flushed = flushRecords(c, tls) else { return nil }
            if !flushed { return 0 }
        }
        ERR_clear_error()
        let k = Int(SSL_write(ssl, bytes.baseAddress!, Int32(min(bytes.count, Int(Int32.max)))))
        if k > 0 {
            tls.writeWaitsFor = .writable
            return k
        }
        let error = SSL_get_error(ssl, Int32(k))
        let savedErrno = errno
        switch error {
        case SSL_ERROR_WANT_WRITE: tls.writeWaitsFor = .writable
        case SSL_ERROR_WANT_READ: tls.writeWaitsFor = .readable
        default:
            streamFailed(c, tls, error, savedErrno, call: "SSL_write", reason: TLSClientContext.failure(ssl, Int32(k)))
            return nil
        }
        return 0
    }

    /// Sends the records OpenSSL wrote: true when all went out, false when the socket is full
    /// (the rest waits in `backlog`), nil when the connection ended. Records go out straight
    /// from the scratch buffer; only what the socket does not take is copied to the backlog.
    func flushRecords(_ c: ClientConnection, _ tls: TLSClientSession) -> Bool? {
        guard let output = tls.output else { return true }
        do {
            while true {
                while !tls.backlog.isEmpty {
                    let pending = tls.backlog.readable
                    guard case .processed(let k) = try Sys.send(c.fd, pending.baseAddress!, pending.count) else {
                        tls.writeWaitsFor = .writable
                        return false
                    }
                    tls.backlog.consume(k)
                }
                let n = Int(BIO_read(output, scratch, 64 * 1024))
                guard n > 0 else { break }
                switch try Sys.send(c.fd, scratch, n) {
                case .wouldBlock:
                    tls.backlog.append(scratch, n)
                    tls.writeWaitsFor = .writable
                    return false
                case .processed(let k):
                    if k < n { tls.backlog.append(scratch + k, n - k) } // tried again at once, as before
                }
            }
        } catch {
            ended(c, by: error)
            return nil
        }
        tls.outputDrained()
        return true
    }

    /// Whether records wait for the socket (the interest then includes writable).
    func hasUnsentRecords(_ tls: TLSClientSession) -> Bool {
        !tls.backlog.isEmpty || (tls.output.map { BIO_ctrl_pending($0) > 0 } ?? false)
    }

    /// Sends close_notify before a half-close or close: true once it (and every record before
    /// it) went out, or cannot go out (the session failed, or the peer truncated it); false
    /// while the socket is full; nil when the connection ended.
    func sendCloseNotify(_ c: ClientConnection, _ tls: TLSClientSession) -> Bool? {
        guard let ssl = tls.ssl, !tls.truncated else { return true }
        if !tls.sentCloseNotify {
            ERR_clear_error()
            // Into memory: it cannot block. An error means the session can send nothing more.
            if SSL_shutdown(ssl) < 0 { ERR_clear_error() }
            tls.sentCloseNotify = true
        }
        return flushRecords(c, tls)
    }

    /// A failed read or write after the handshake: a reset, another socket error, or a TLS
    /// protocol error (a bad record, an alert), which ends the connection as failed.
    private func streamFailed(_ c: ClientConnection, _ tls: TLSClientSession, _ error: Int32, _ savedErrno: Int32, call: String,
                              reason: String?) {
        if error == SSL_ERROR_SYSCALL && savedErrno != 0 {
            ended(c, by: SystemError(call: call, errno: savedErrno, fd: c.fd))
        } else if error == SSL_ERROR_SYSCALL {
            // OpenSSL 1.1's way of saying EOF without close_notify.
            tls.truncated = true
            peerClosed(c)
        } else {
            tls.failure = reason ?? "\(call) failed (SSL error \(error))"
            c.connectError = EPROTO
            release(c, phase: .failed)
        }
    }
}

extension ClientEngine {
    // MARK: lending to another loop

    /// Hands out an idle connection's SSL (a finished handshake, no record unsent): the borrower
    /// calls SSL_write itself, so the records must reach the socket, not the engine's memory
    /// buffer. The socket BIO the SSL reads from becomes its write BIO too (one more reference,
    /// dropped by `reclaimTLS` or SSL_free); the empty memory BIO is freed. The SSL stays the
    /// session's: `free` frees it, whoever borrowed it.
    func lendTLS(_ tls: TLSClientSession) -> OpaquePointer {
        let ssl = tls.ssl!
        let socketBIO = SSL_get_rbio(ssl)
        _ = BIO_up_ref(socketBIO)
        SSL_set0_wbio(ssl, socketBIO)
        tls.output = nil
        return ssl
    }

    /// The lent SSL writes to memory again, for the engine's own coalesced sends; nil when done,
    /// else why the connection cannot go on (it is then ended as failed).
    func reclaimTLS(_ tls: TLSClientSession) -> String? {
        guard let ssl = tls.ssl else { return "the TLS session was freed under load" }
        guard let output = BIO_new(BIO_s_mem()) else { return "BIO_new failed taking the connection back from load" }
        SSL_set0_wbio(ssl, output) // drops the socket BIO's extra reference
        tls.output = output
        tls.readWaitsFor = .readable
        tls.writeWaitsFor = .writable
        return nil
    }
}
