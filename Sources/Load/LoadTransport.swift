// How the load runner's connections move bytes: each connection's `Transport` (its socket, or
// its TLS session), decided when it opened. One branch per call, none per byte; echo and request
// work both read and write through it.

import Syscalls
import TLSClient

struct LoadTransport {
    /// Connection i's transport (a TLS session stays the caller's).
    private var transports: [Transport]
    let usesTLS: Bool

    /// `transports`: the connections', in order; nil when all are clear.
    init(_ transports: [Transport]?, count: Int) {
        self.transports = transports ?? Array(repeating: .clear, count: count)
        usesTLS = self.transports.contains { $0.ssl != nil }
    }

    // Clear text goes straight to the socket: no per-connection transport is loaded and switched on.
    @inline(__always)
    func send(_ i: Int, _ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) throws -> IOResult<Int> {
        usesTLS ? try transports[i].send(fd, bytes, count) : try Sys.send(fd, bytes, count)
    }

    @inline(__always)
    func receive(_ i: Int, _ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws -> IOResult<Int> {
        usesTLS ? try transports[i].receive(fd, buffer, count) : try Sys.recv(fd, buffer, count)
    }

    /// OpenSSL holds records for connection i that no readiness will announce.
    @inline(__always)
    func hasPending(_ i: Int) -> Bool { usesTLS && transports[i].hasPending }

    /// Connection i was opened again: its bytes move through `transport` from now on.
    mutating func replace(_ i: Int, with transport: Transport) { transports[i] = transport }

    /// What the server's orderly close is called.
    var orderlyClose: String { usesTLS ? "close_notify" : "EOF" }
}
