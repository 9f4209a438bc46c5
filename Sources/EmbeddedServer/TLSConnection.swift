// One TLS connection's state beside its EchoConnection (same descriptor index): the SSL object
// and what its last operations waited for. Kept apart so the clear-text table does not grow.

import Reactor

struct TLSConnection {
    /// The SSL object on this socket; nil for a free slot.
    var ssl: OpaquePointer?
    var handshaking = true
    /// The readiness the last SSL_read (or handshake step) waits for: usually readable, but
    /// writable when OpenSSL must send first (SSL_ERROR_WANT_WRITE on a read).
    var readWaitsFor = IOEvents.readable
    /// The readiness the last SSL_write waits for: usually writable, but readable when OpenSSL
    /// must receive first (SSL_ERROR_WANT_READ on a write, during a renegotiation).
    var writeWaitsFor = IOEvents.writable
    /// The close is orderly (the peer's close_notify was answered with a flushed queue, or the
    /// server is stopping): send our own close_notify before closing the socket.
    var sendCloseNotify = false

    init(ssl: OpaquePointer? = nil) { self.ssl = ssl }
}
