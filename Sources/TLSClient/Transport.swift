// How an open client connection moves its bytes: straight through its socket, or through its
// TLS session (whose SSL reads and writes the socket itself). Every client side decides this
// once, when the connection opens, and then calls through the value: one branch per call, none
// per byte. `.clear` costs nothing to hold (the SSL pointer's null stands for it).

import COpenSSL
import Syscalls

public enum Transport {
    case clear
    /// The connection's SSL, its handshake done.
    case tls(OpaquePointer)

    @inline(__always)
    public func send(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) throws -> IOResult<Int> {
        switch self {
        case .clear: try Sys.send(fd, bytes, count)
        case .tls(let ssl): try TLSIO.write(ssl, bytes, count)
        }
    }

    /// Up to `count` bytes; `.processed(0)` is the peer's orderly close (EOF, or close_notify).
    @inline(__always)
    public func receive(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws -> IOResult<Int> {
        switch self {
        case .clear: try Sys.recv(fd, buffer, count)
        case .tls(let ssl): try TLSIO.read(ssl, buffer, count)
        }
    }

    /// Bytes OpenSSL already holds, which no socket readiness will announce.
    @inline(__always)
    public var hasPending: Bool {
        if case .tls(let ssl) = self { return TLSIO.hasPending(ssl) }
        return false
    }

    public var ssl: OpaquePointer? {
        if case .tls(let ssl) = self { return ssl }
        return nil
    }

    /// What the server's orderly close is called.
    public var orderlyClose: String { ssl == nil ? "EOF" : "close_notify" }

    /// A connection going idle: OpenSSL's record buffers are freed (`TLSIO.releaseBuffers`).
    @inline(__always)
    public func releaseBuffers() {
        if case .tls(let ssl) = self { TLSIO.releaseBuffers(ssl) }
    }

    /// Frees the TLS session of a connection that failed (nothing more is sent); the socket stays.
    public func free() {
        if case .tls(let ssl) = self { TLSIO.free(ssl) }
    }

    /// Sends close_notify (one non-blocking attempt) and frees the TLS session; the socket stays.
    public func end() {
        if case .tls(let ssl) = self { TLSIO.end(ssl) }
    }
}
