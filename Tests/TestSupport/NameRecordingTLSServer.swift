// A loopback TLS echo server (system OpenSSL, PEM files) that records the server name (SNI)
// each handshake carried, so a test can see what a client sent; `garbles` answers every byte
// with `#` instead, a fault for a fuzzer to find. Blocking, one thread per connection.

import COpenSSL
import CSockfuzz
import Glibc
import Synchronization
import Testing

public final class NameRecordingTLSServer: @unchecked Sendable {
    /// The port it listens on, at 127.0.0.1.
    public let port: Int
    /// 127.0.0.1 and, where the machine has it, ::1 at the same port: `localhost` may resolve to either.
    private let listeners: [Int32]
    private let context: OpaquePointer
    private let garbles: Bool
    private let stopping = Atomic<Bool>(false)
    /// Each completed handshake's name, with the order its connection was accepted in: handshakes
    /// finish on threads of their own, and the next connection's may finish first.
    private let names = Mutex<[(accepted: Int, name: String?)]>([])
    private var accepted = 0
    /// Connections accepted whose handshake has not ended yet (either way).
    private let handshaking = Mutex<Int>(0)
    private let open = Mutex<Set<Int32>>([])
    private let threads = Mutex<[TestThread]>([])
    private var acceptor: TestThread?

    /// The SNI of every finished handshake so far, in the order their connections were
    /// accepted; nil where the client sent none.
    private var serverNames: [String?] { names.withLock { $0.sorted { $0.accepted < $1.accepted }.map(\.name) } }

    /// Waits until every accepted connection's handshake has ended: a client may be done with its
    /// side (and its process gone) before this server's thread has recorded the name. A handshake
    /// still under way after `timeout` is recorded as the test's failure, not left to show as a
    /// missing name.
    public func settledServerNames(timeout: Double = 20) -> [String?] {
        if !waitUntil(timeout: timeout, { handshaking.withLock { $0 } == 0 }) {
            Issue.record("\(handshaking.withLock { $0 }) handshake(s) still under way after \(timeout) s")
        }
        return serverNames
    }

    public init(certificate: String, key: String, garbles: Bool = false) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw MisbehavingServerError("SSL_CTX_new failed") }
        guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1,
              SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
            SSL_CTX_free(context)
            throw MisbehavingServerError("cannot load \(certificate) / \(key)")
        }
        self.context = context
        self.garbles = garbles
        // SSL_write writes with write(2): a client that reset must not kill the test process.
        _ = signal(SIGPIPE, SIG_IGN)
        var bound: (fds: [Int32], port: Int)?
        for _ in 0..<5 where bound == nil { bound = Self.listenOnLoopback() }
        guard let bound else {
            SSL_CTX_free(context)
            throw MisbehavingServerError("cannot listen on 127.0.0.1 and ::1 at one port")
        }
        listeners = bound.fds
        port = bound.port
        acceptor = TestThread { [self] in acceptLoop() }
    }

    deinit {
        stop()
        SSL_CTX_free(context)
    }

    /// Stops accepting, ends every connection, and waits for the threads.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for fd in listeners { shutdown(fd, Int32(SHUT_RDWR)) }
        _ = acceptor?.join(timeout: 10)
        for fd in listeners { Glibc.close(fd) }
        open.withLock { fds in for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) } }
        for thread in threads.withLock({ $0 }) { _ = thread.join(timeout: 10) }
    }

    /// A listener on 127.0.0.1 (the kernel picks the port) and one on ::1 at that port; nil
    /// when ::1 has that port taken already (the caller tries again). No ::1 on the machine:
    /// 127.0.0.1 alone.
    private static func listenOnLoopback() -> (fds: [Int32], port: Int)? {
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_addr.s_addr = inet_addr("127.0.0.1")
        guard let first = listening(AF_INET, &v4) else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(first, $0, &length) } }
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = v4.sin_port
        v6.sin6_addr = in6addr_loopback
        let port = Int(UInt16(bigEndian: v4.sin_port))
        if let second = listening(AF_INET6, &v6) { return ([first, second], port) }
        let why = errno
        if why == EADDRNOTAVAIL || why == EAFNOSUPPORT { return ([first], port) }
        Glibc.close(first)
        return nil
    }

    /// A listening socket bound to `address`; nil (errno set) when it cannot be.
    private static func listening<Address>(_ family: Int32, _ address: inout Address) -> Int32? {
        let fd = socket(family, Int32(csf_SOCK_STREAM) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var one: Int32 = 1
        if family == AF_INET6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let size = socklen_t(MemoryLayout<Address>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        guard bound == 0, listen(fd, 1024) == 0 else {
            let why = errno
            Glibc.close(fd)
            errno = why
            return nil
        }
        return fd
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            var polled = listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&polled, nfds_t(polled.count), 100) > 0, let ready = polled.first(where: { $0.revents != 0 }) else { continue }
            let fd = accept(ready.fd, nil, nil)
            guard fd >= 0 else { continue }
            open.withLock { _ = $0.insert(fd) }
            accepted += 1
            handshaking.withLock { $0 += 1 }
            let order = accepted
            let thread = TestThread { [self] in
                serve(fd, order)
                open.withLock { _ = $0.remove(fd) }
                Glibc.close(fd)
            }
            threads.withLock { $0.append(thread) }
        }
    }

    /// Handshake, record the name, echo (or garble) until EOF, then close_notify. `stop` ends a
    /// blocked read by shutting the socket down.
    private func serve(_ fd: Int32, _ order: Int) {
        guard let ssl = SSL_new(context) else { return }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, fd)
        let handshake = SSL_accept(ssl)
        if handshake == 1 {
            let name = SSL_get_servername(ssl, Int32(TLSEXT_NAMETYPE_host_name)).map { String(cString: $0) }
            names.withLock { $0.append((order, name)) }
        }
        handshaking.withLock { $0 -= 1 }
        guard handshake == 1 else { return }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !stopping.load(ordering: .acquiring) {
            let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { break }
            if garbles { for i in 0..<Int(n) { buffer[i] = UInt8(ascii: "#") } }
            guard buffer.withUnsafeBytes({ SSL_write(ssl, $0.baseAddress, n) }) == n else { return }
        }
        SSL_shutdown(ssl)
    }
}
