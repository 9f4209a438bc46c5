// How a load generator's connections move bytes: through their sockets, or each through its TLS
// session. One branch per call, none per byte; both generators read and write through it.

import Syscalls
import TLSClient

struct LoadTransport {
    /// Connection i's SSL (still the caller's), or empty in clear.
    let sessions: [OpaquePointer]
    let usesTLS: Bool

    init(_ tls: [OpaquePointer]?) {
        sessions = tls ?? []
        usesTLS = tls != nil
    }

    @inline(__always)
    func send(_ i: Int, _ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) throws -> IOResult<Int> {
        usesTLS ? try TLSIO.write(sessions[i], bytes, count) : try Sys.send(fd, bytes, count)
    }

    @inline(__always)
    func receive(_ i: Int, _ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws -> IOResult<Int> {
        usesTLS ? try TLSIO.read(sessions[i], buffer, count) : try Sys.recv(fd, buffer, count)
    }

    /// OpenSSL holds records for connection i that no readiness will announce.
    @inline(__always)
    func hasPending(_ i: Int) -> Bool { usesTLS && TLSIO.hasPending(sessions[i]) }

    /// What the server's orderly close is called.
    var orderlyClose: String { usesTLS ? "close_notify" : "EOF" }
}
