// SSL_read and SSL_write on a non-blocking socket, in the shape of Sys.recv / Sys.send: bytes
// moved, "would block", or an error in OpenSSL's words. A read takes every record OpenSSL
// already holds (read-ahead) up to the buffer's size; what stays is in `hasPending`.

import COpenSSL
import Syscalls

public enum TLSIO {
    public enum HandshakeStep: Sendable { case done, wantsReadable, wantsWritable }

    /// One non-blocking step of the client handshake.
    public static func handshake(_ ssl: OpaquePointer) throws(TLSClientError) -> HandshakeStep {
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done }
        if SSL_get_error(ssl, result) == SSL_ERROR_WANT_WRITE { return .wantsWritable }
        guard let failure = TLSClientContext.failure(ssl, result) else { return .wantsReadable }
        throw TLSClientError(failure)
    }

    /// Up to `count` bytes of plaintext; `.processed(0)` is the peer's close_notify.
    @inline(__always)
    public static func read(_ ssl: OpaquePointer, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws(TLSClientError) -> IOResult<Int> {
        var got = 0
        while got < count {
            let n = SSL_read(ssl, buffer + got, Int32(min(count - got, Int(Int32.max))))
            if n > 0 {
                got += Int(n)
                // Only what OpenSSL already holds: another recv would mostly meet EAGAIN.
                if SSL_has_pending(ssl) == 0 { break }
                continue
            }
            // What failed after some bytes came is met again by the next read.
            if got > 0 { break }
            let code = SSL_get_error(ssl, n)
            if code == SSL_ERROR_ZERO_RETURN { return .processed(0) }
            if code == SSL_ERROR_WANT_READ {
                releaseBuffers(ssl)
                return .wouldBlock
            }
            guard let failure = TLSClientContext.failure(ssl, n) else { return .wouldBlock }
            throw TLSClientError(failure)
        }
        return .processed(got)
    }

    /// Frees the record buffers of a connection that has nothing to read (SSL_read said
    /// WANT_READ, or the caller took every byte and leaves it idle). SSL_MODE_RELEASE_BUFFERS
    /// frees them after application data, but not after post-handshake messages: a TLS 1.3
    /// client that read the server's session tickets otherwise keeps a 16 KiB write buffer
    /// for as long as the connection stays idle. WANT_READ may also mean a record's header came
    /// and its body did not: OpenSSL from 3.0.14 (3.1.6, 3.2.2, 3.3.1) then keeps the buffer
    /// (it returns 0); older ones freed it under the reader (CVE-2024-4741), so there nothing is
    /// released and an idle connection keeps its buffers.
    public static let canReleaseBuffers = sockfuzz_ssl_free_buffers_is_safe() != 0

    @inline(__always)
    public static func releaseBuffers(_ ssl: OpaquePointer) {
        if canReleaseBuffers { _ = SSL_free_buffers(ssl) }
    }

    /// Up to `count` bytes (partial writes are on: one record or more). After `.wouldBlock`
    /// the next call must offer at least the same bytes again, from the same start.
    @inline(__always)
    public static func write(_ ssl: OpaquePointer, _ buffer: UnsafeRawPointer, _ count: Int) throws(TLSClientError) -> IOResult<Int> {
        let n = SSL_write(ssl, buffer, Int32(min(count, Int(Int32.max))))
        if n > 0 { return .processed(Int(n)) }
        guard let failure = TLSClientContext.failure(ssl, n) else { return .wouldBlock }
        throw TLSClientError(failure)
    }

    /// OpenSSL holds bytes (decrypted or not) that no socket readiness will announce.
    @inline(__always)
    public static func hasPending(_ ssl: OpaquePointer) -> Bool { SSL_has_pending(ssl) != 0 }

    /// Frees the SSL of a failed connection (nothing sent).
    public static func free(_ ssl: OpaquePointer) {
        ERR_clear_error()
        SSL_free(ssl)
    }

    /// Sends close_notify (one non-blocking attempt) and frees the SSL; the socket stays open.
    public static func end(_ ssl: OpaquePointer) {
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
        SSL_free(ssl)
    }
}
