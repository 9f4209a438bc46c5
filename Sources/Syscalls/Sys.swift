// Every syscall sockfuzz makes, wrapped once: EINTR is retried (except for timed waits, which
// the event loop re-arms with a recomputed timeout), EAGAIN becomes `.wouldBlock`, any other
// failure throws a SystemError naming the call, errno and descriptor.
import CSockfuzz
import Glibc

public enum Sys {
    @inline(__always)
    static func retrying(_ call: StaticString, fd: Int32?, _ body: () -> Int) throws(SystemError) -> Int {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = Glibc.errno
            if e == EINTR { continue }
            throw SystemError(call: "\(call)", errno: e, fd: fd)
        }
    }

    @inline(__always)
    static func nonBlocking(_ call: StaticString, fd: Int32?, _ body: () -> Int) throws(SystemError) -> IOResult<Int> {
        while true {
            let r = body()
            if r >= 0 { return .processed(r) }
            let e = Glibc.errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(call: "\(call)", errno: e, fd: fd)
        }
    }

    // MARK: descriptors

    public static func close(_ fd: Int32) {
        // close(2) must not be retried on EINTR on Linux: the descriptor is already gone.
        _ = Glibc.close(fd)
    }

    /// Reads into `buffer`; `.processed(0)` is end of file.
    @inline(__always)
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws(SystemError) -> IOResult<Int> {
        try nonBlocking("read", fd: fd) { Glibc.read(fd, buffer, count) }
    }

    /// recv(2) on a socket; `.processed(0)` is the peer's EOF.
    @inline(__always)
    public static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws(SystemError) -> IOResult<Int> {
        try nonBlocking("recv", fd: fd) { Glibc.recv(fd, buffer, count, 0) }
    }

    /// send(2) with MSG_NOSIGNAL, so a closed peer is EPIPE and never SIGPIPE.
    @inline(__always)
    public static func send(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) throws(SystemError) -> IOResult<Int> {
        try nonBlocking("send", fd: fd) { Glibc.send(fd, buffer, count, csf_MSG_NOSIGNAL) }
    }

    public static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) throws(SystemError) -> IOResult<Int> {
        try nonBlocking("write", fd: fd) { Glibc.write(fd, buffer, count) }
    }

    public static func eventFD() throws(SystemError) -> Int32 {
        Int32(try retrying("eventfd", fd: nil) { Int(csf_eventfd()) })
    }

    /// Moves `fd` to the lowest free number at or above `floor` (F_DUPFD_CLOEXEC) and closes the
    /// original; returns the new number, or `fd` unchanged when that is not possible.
    public static func move(_ fd: Int32, atOrAbove floor: Int32) -> Int32 {
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, floor)
        guard moved >= 0 else { return fd }
        Glibc.close(fd)
        return moved
    }

    /// Opens /dev/null: the reserve descriptor the server frees to shed a connection on EMFILE.
    public static func openDevNull() throws(SystemError) -> Int32 {
        Int32(try retrying("open", fd: nil) { Int(Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)) })
    }

    // MARK: sockets

    public static func socket(family: Int32) throws(SystemError) -> Int32 {
        let type = Int32(csf_SOCK_STREAM) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        return Int32(try retrying("socket", fd: nil) { Int(Glibc.socket(family, type, 0)) })
    }

    public static func listen(_ fd: Int32, backlog: Int32) throws(SystemError) {
        _ = try retrying("listen", fd: fd) { Int(Glibc.listen(fd, backlog)) }
    }

    /// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC.
    @inline(__always)
    public static func accept(_ fd: Int32) throws(SystemError) -> IOResult<Int32> {
        while true {
            let r = csf_accept_nonblocking(fd)
            if r >= 0 { return .processed(r) }
            let e = Glibc.errno
            // A connection that died in the backlog is not the listener's error.
            if e == EINTR || e == ECONNABORTED || e == EPROTO { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(call: "accept4", errno: e, fd: fd)
        }
    }

    public static func shutdownWrite(_ fd: Int32) throws(SystemError) {
        _ = try retrying("shutdown", fd: fd) { Int(Glibc.shutdown(fd, Int32(csf_SHUT_WR))) }
    }

    /// SO_LINGER {on, 0}: the next close sends RST instead of FIN.
    public static func setLingerZero(_ fd: Int32) throws(SystemError) {
        _ = try retrying("setsockopt(SO_LINGER)", fd: fd) { Int(csf_set_linger_zero(fd)) }
    }

    /// Binds a client socket to a local source address before connect. IP_BIND_ADDRESS_NO_PORT
    /// leaves the port to connect(), which can then reuse one port for different destinations:
    /// without it every bind reserves a port for good and the ephemeral range runs out early.
    public static func bindSource(_ fd: Int32, _ address: SocketAddress) throws(SystemError) {
        if address.family == AF_INET {
            var one: Int32 = 1
            // IP_BIND_ADDRESS_NO_PORT (24, Linux 4.2+): not in the Glibc module on this toolchain.
            _ = setsockopt(fd, Int32(IPPROTO_IP), 24, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        try bind(fd, address.withPort(0))
    }

    /// Why a client socket cannot take `host` as its source address, or nil when it can.
    public static func cannotBind(_ host: String) -> String? {
        let address: SocketAddress
        do { address = try SocketAddress.resolve(host: host, port: 0) } catch { return error.description }
        let fd: Int32
        do { fd = try socket(family: address.family) } catch { return error.description }
        defer { close(fd) }
        do { try bindSource(fd, address) } catch {
            return "cannot bind: \(SystemError.describe(error.errno))"
                + (error.errno == EADDRNOTAVAIL ? " (not an address of this host; on loopback any 127.x.y.z works)" : "")
        }
        return nil
    }

    public static func setNoDelay(_ fd: Int32) throws(SystemError) {
        _ = try retrying("setsockopt(TCP_NODELAY)", fd: fd) { Int(csf_set_nodelay(fd)) }
    }

    /// SO_RCVBUF before connect: a small receive window makes a slow reader push back on the
    /// server after kilobytes instead of the tens of megabytes loopback autotuning allows.
    public static func setReceiveBuffer(_ fd: Int32, bytes: Int) throws(SystemError) {
        _ = try retrying("setsockopt(SO_RCVBUF)", fd: fd) { Int(csf_set_rcvbuf(fd, Int32(clamping: bytes))) }
    }

    public static func setReuseAddress(_ fd: Int32) throws(SystemError) {
        _ = try retrying("setsockopt(SO_REUSEADDR)", fd: fd) { Int(csf_set_reuseaddr(fd)) }
    }

    /// SO_REUSEPORT: several processes listen on one port and the kernel spreads the
    /// connections between them (past one process's open-file limit).
    public static func setReusePort(_ fd: Int32) throws(SystemError) {
        var one: Int32 = 1
        _ = try retrying("setsockopt(SO_REUSEPORT)", fd: fd) {
            Int(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)))
        }
    }

    /// The pending error of a socket (SO_ERROR), 0 when none: how a non-blocking connect ends.
    public static func pendingError(_ fd: Int32) throws(SystemError) -> Int32 {
        Int32(try retrying("getsockopt(SO_ERROR)", fd: fd) { Int(csf_get_so_error(fd)) })
    }

    public static func setNonBlocking(_ fd: Int32) throws(SystemError) {
        _ = try retrying("fcntl(O_NONBLOCK)", fd: fd) { Int(csf_set_nonblocking(fd)) }
    }
}

extension Sys {
    /// A non-blocking socket listening on `address` (SO_REUSEADDR), closed again when a step fails.
    public static func listeningSocket(_ address: SocketAddress, backlog: Int32) throws(SystemError) -> Int32 {
        let fd = try socket(family: address.family)
        do {
            try setReuseAddress(fd)
            try bind(fd, address)
            try listen(fd, backlog: backlog)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }
}
