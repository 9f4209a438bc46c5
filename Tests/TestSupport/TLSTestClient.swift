// A blocking TLS test client on the system OpenSSL, for the embedded server's TLS tests (the
// engine's TLS client is a later step). OpenSSL talks to memory BIOs and this class moves the
// bytes, so a test controls the wire: several records in one TCP write, a key update or a
// renegotiation mid-stream, close_notify or a bare EOF. Every wait has a deadline.

import COpenSSL
import Glibc
import Syscalls

/// How a TLS stream ended, as the client saw it.
public enum TLSStreamEnd: Equatable, Sendable, CustomStringConvertible {
    /// The peer sent close_notify: an orderly end.
    case closeNotify
    /// The TCP stream ended without close_notify: a truncation.
    case truncated
    case failed(String)
    case timedOut

    public var description: String {
        switch self {
        case .closeNotify: return "close_notify"
        case .truncated: return "EOF without close_notify"
        case .failed(let why): return "failed: \(why)"
        case .timedOut: return "timed out"
        }
    }
}

public final class TLSTestClient {
    public let socket: LoopbackClient
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    /// Ciphertext OpenSSL produced that the socket has not taken yet.
    private var outbox: [UInt8] = []
    private var outboxSent = 0
    /// Plaintext received and not yet taken by a receive call.
    public private(set) var inbox: [UInt8] = []
    public private(set) var end: TLSStreamEnd?
    public private(set) var handshakeDone = false

    /// Connects and completes the handshake. `maxVersion`: TLS1_2_VERSION to refuse 1.3.
    public init(connectingTo address: SocketAddress, maxVersion: Int32? = nil, receiveBuffer: Int? = nil,
                timeout: Double = 10) throws {
        socket = try LoopbackClient(connectingTo: address, receiveBuffer: receiveBuffer, timeout: timeout)
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TestSetupError("SSL_CTX_new failed") }
        self.context = context
        if let maxVersion { _ = sockfuzz_ssl_ctx_set_max_version(context, maxVersion) }
        ssl = SSL_new(context)
        incoming = BIO_new(BIO_s_mem())
        outgoing = BIO_new(BIO_s_mem())
        SSL_set_bio(ssl, incoming, outgoing)
        SSL_set_connect_state(ssl)
        advance()
        guard pump(timeout: timeout, until: { self.handshakeDone }) else {
            throw TestSetupError("TLS handshake did not complete: \(end?.description ?? "timed out")")
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// The negotiated protocol, "TLSv1.3" or "TLSv1.2".
    public var version: String { String(cString: SSL_get_version(ssl)) }

    // MARK: sending

    /// Encrypts `bytes` as records of at most `recordSize` bytes and sends them.
    public func send(_ bytes: [UInt8], recordSize: Int = 16 * 1024, timeout: Double = 30) throws {
        write(bytes, recordSize: recordSize)
        guard pump(timeout: timeout, until: { self.outboxSent == self.outbox.count }) else {
            throw TestSetupError("send timed out with \(outbox.count - outboxSent) bytes unsent")
        }
    }

    /// Each element one record, all of them handed to the kernel in one send(2): they arrive
    /// together, so the server sees one readiness edge for all of them.
    public func sendRecordsInOneWrite(_ records: [[UInt8]]) throws {
        for record in records { write(record, recordSize: record.count) }
        let wire = Array(outbox[outboxSent...])
        outbox.removeAll()
        outboxSent = 0
        try socket.send(wire)
    }

    /// Sends `payload` and then close_notify without reading anything meanwhile.
    public func sendThenCloseNotifyWithoutReading(_ payload: [UInt8], timeout: Double = 30) throws {
        write(payload, recordSize: 16 * 1024)
        _ = SSL_shutdown(ssl)
        try sendWithoutReading(timeout: timeout)
    }

    /// Sends `payload` without reading anything meanwhile (the server's writes back then block).
    public func sendWithoutReading(_ payload: [UInt8], timeout: Double = 30) throws {
        write(payload, recordSize: 16 * 1024)
        try sendWithoutReading(timeout: timeout)
    }

    private func sendWithoutReading(timeout: Double) throws {
        collectOutput()
        let wire = Array(outbox[outboxSent...])
        outbox.removeAll()
        outboxSent = 0
        try socket.send(wire, timeout: timeout)
    }

    /// Encrypts and sends pattern bytes without ever reading, as far as the path takes them:
    /// stops at `limit` plaintext bytes, or when nothing could be sent for `stallMillis` and
    /// `enough()` holds (see LoopbackClient.sendWithoutReading). Returns the plaintext bytes
    /// handed to OpenSSL.
    public func sendWithoutReading(upTo limit: Int, stallMillis: Int = 500, timeout: Double = 30,
                                   until enough: () -> Bool = { true }) throws -> Int {
        let chunk = patternBytes(count: 64 * 1024, seed: 7)
        let deadline = Deadline(secondsFromNow: timeout)
        var written = 0
        var lastProgress = nowNanos()
        while !deadline.hasPassed {
            if outboxSent == outbox.count {
                outbox.removeAll(keepingCapacity: true)
                outboxSent = 0
                guard written < limit else { return written }
                let n = min(chunk.count, limit - written)
                write(Array(chunk[..<n]), recordSize: 16 * 1024)
                written += n
            }
            let result = try outbox.withUnsafeBytes { raw throws(SystemError) in
                try Sys.send(socket.fd, raw.baseAddress! + outboxSent, raw.count - outboxSent)
            }
            switch result {
            case .processed(let n):
                outboxSent += n
                lastProgress = nowNanos()
            case .wouldBlock:
                if pollOne(socket.fd, events: Int16(POLLOUT), deadline: Deadline(secondsFromNow: 0.05)) == 0,
                   nowNanos() - lastProgress >= millis(stallMillis), enough() {
                    return written
                }
            }
        }
        return written
    }

    private func write(_ bytes: [UInt8], recordSize: Int) {
        var offset = 0
        while offset < bytes.count {
            let n = min(recordSize, bytes.count - offset)
            let written = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32(n)) }
            precondition(written == Int32(n), "SSL_write to a memory BIO wrote \(written) of \(n)")
            offset += n
        }
        collectOutput()
    }

    /// TLS 1.3: asks the server to update its keys too (its next write carries its KeyUpdate).
    public func requestKeyUpdate() {
        precondition(SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) == 1)
        _ = SSL_do_handshake(ssl)
        collectOutput()
    }

    /// TLS 1.2: renegotiates and waits until the new handshake is complete (OpenSSL refuses
    /// application data from this side meanwhile). False if it did not complete in time or the
    /// server refused it.
    public func renegotiate(timeout: Double = 10) -> Bool {
        precondition(SSL_renegotiate(ssl) == 1)
        _ = SSL_do_handshake(ssl)
        collectOutput()
        return pump(timeout: timeout, until: { SSL_renegotiate_pending(self.ssl) == 0 })
    }

    /// Sends close_notify (our half-close); the socket stays open for the server's answer.
    public func sendCloseNotify(timeout: Double = 10) throws {
        _ = SSL_shutdown(ssl)
        collectOutput()
        guard pump(timeout: timeout, until: { self.outboxSent == self.outbox.count }) else {
            throw TestSetupError("close_notify not sent")
        }
    }

    // MARK: receiving

    /// Exactly `count` plaintext bytes; throws if the stream ends or the deadline passes first.
    public func receive(exactly count: Int, timeout: Double = 30) throws -> [UInt8] {
        guard pump(timeout: timeout, until: { self.inbox.count >= count }) else {
            throw TestSetupError("received \(inbox.count) of \(count) bytes, then \(end?.description ?? "timed out")")
        }
        defer { inbox.removeFirst(count) }
        return Array(inbox[..<count])
    }

    /// What arrives within `timeout`, up to `count` bytes (fewer when the stream ends or the time is up).
    public func receive(upTo count: Int, timeout: Double) -> [UInt8] {
        _ = pump(timeout: timeout, until: { self.inbox.count >= count })
        let n = min(count, inbox.count)
        defer { inbox.removeFirst(n) }
        return Array(inbox[..<n])
    }

    /// Whether the server's certificate names `host` (a DNS name) or `ip`.
    public func peerCertificateMatches(host: String? = nil, ip: String? = nil) -> Bool {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return false }
        defer { X509_free(certificate) }
        if let host { return X509_check_host(certificate, host, host.utf8.count, 0, nil) == 1 }
        if let ip { return X509_check_ip_asc(certificate, ip, 0) == 1 }
        return false
    }

    /// Everything until the stream ends (or the deadline): the bytes and how it ended.
    public func receiveToEnd(timeout: Double = 20) -> (bytes: [UInt8], end: TLSStreamEnd) {
        _ = pump(timeout: timeout, until: { self.end != nil })
        defer { inbox.removeAll() }
        return (inbox, end ?? .timedOut)
    }

    /// Sends `payload` while reading the echo (so neither side's buffers fill); returns what
    /// came back within the deadline.
    public func roundTrip(_ payload: [UInt8], timeout: Double = 60) -> [UInt8] {
        write(payload, recordSize: 16 * 1024)
        _ = pump(timeout: timeout, until: { self.inbox.count >= payload.count })
        defer { inbox.removeAll() }
        return inbox
    }

    // MARK: moving bytes

    /// Socket I/O until `done()` holds, the stream ends, or the deadline passes.
    private func pump(timeout: Double, until done: () -> Bool) -> Bool {
        let deadline = Deadline(secondsFromNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !done() {
            let unsent = outbox.count - outboxSent
            if end != nil && unsent == 0 { return false }
            var events = Int16(POLLIN)
            if unsent > 0 { events |= Int16(POLLOUT) }
            let revents = pollOne(socket.fd, events: events, deadline: deadline)
            if revents == 0 { return done() }
            if revents & Int16(POLLOUT) != 0 && unsent > 0 {
                let result = outbox.withUnsafeBytes { try? Sys.send(socket.fd, $0.baseAddress! + outboxSent, unsent) }
                if case .processed(let n)? = result { outboxSent += n }
                if outboxSent == outbox.count { outbox.removeAll(keepingCapacity: true); outboxSent = 0 }
            }
            if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 && end == nil {
                do {
                    let result = try buffer.withUnsafeMutableBytes { raw throws(SystemError) in
                        try Sys.recv(socket.fd, raw.baseAddress!, raw.count)
                    }
                    switch result {
                    case .processed(0): sockfuzz_bio_set_mem_eof_return(incoming, 0)
                    case .processed(let n): _ = buffer.withUnsafeBytes { BIO_write(incoming, $0.baseAddress!, Int32(n)) }
                    case .wouldBlock: break
                    }
                } catch {
                    end = .failed("\(error)")
                }
                advance()
            }
        }
        return true
    }

    /// Lets OpenSSL take what arrived: the handshake, then plaintext into the inbox.
    private func advance() {
        defer { collectOutput() }
        if !handshakeDone {
            let result = SSL_do_handshake(ssl)
            if result == 1 {
                handshakeDone = true
            } else {
                let error = SSL_get_error(ssl, result)
                if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE { end = .failed(Self.reason(error)) }
                return
            }
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while end == nil {
            let n = SSL_read(ssl, &buffer, Int32(buffer.count))
            if n > 0 {
                inbox.append(contentsOf: buffer[..<Int(n)])
                continue
            }
            let error = SSL_get_error(ssl, n)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return
            case SSL_ERROR_ZERO_RETURN: end = .closeNotify
            case SSL_ERROR_SSL where sockfuzz_ssl_is_unexpected_eof(ERR_peek_error()) != 0:
                ERR_clear_error()
                end = .truncated
            default: end = .failed(Self.reason(error))
            }
        }
    }

    private func collectOutput() {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while BIO_ctrl_pending(outgoing) > 0 {
            let n = BIO_read(outgoing, &chunk, Int32(chunk.count))
            guard n > 0 else { break }
            outbox.append(contentsOf: chunk[..<Int(n)])
        }
    }

    private static func reason(_ error: Int32) -> String {
        var text = "SSL error \(error)"
        let code = ERR_get_error()
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            text += ": " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        ERR_clear_error()
        return text
    }
}
