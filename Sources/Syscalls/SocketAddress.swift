// An IPv4 or IPv6 socket address, parsed from "host:port" / "[v6]:port", and the calls that
// take one (bind, connect, getsockname). Host names resolve through getaddrinfo.
import Glibc

public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Storage: Sendable, Equatable {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }
    public var storage: Storage

    public var family: Int32 {
        switch storage {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        }
    }

    public var port: Int {
        switch storage {
        case .v4(let a): return Int(UInt16(bigEndian: a.sin_port))
        case .v6(let a): return Int(UInt16(bigEndian: a.sin6_port))
        }
    }

    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch storage {
        case .v4(var a):
            _ = inet_ntop(AF_INET, &a.sin_addr, &buffer, socklen_t(buffer.count))
        case .v6(var a):
            _ = inet_ntop(AF_INET6, &a.sin6_addr, &buffer, socklen_t(buffer.count))
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String {
        switch storage {
        case .v4: return "\(host):\(port)"
        case .v6: return "[\(host)]:\(port)"
        }
    }

    public func withPort(_ port: Int) -> SocketAddress {
        var copy = self
        switch copy.storage {
        case .v4(var a): a.sin_port = UInt16(port).bigEndian; copy.storage = .v4(a)
        case .v6(var a): a.sin6_port = UInt16(port).bigEndian; copy.storage = .v6(a)
        }
        return copy
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Parses "HOST:PORT" or "[V6]:PORT"; resolves a name with getaddrinfo.
    public static func parse(_ text: String) throws(ParseError) -> SocketAddress {
        let (host, port) = try split(text)
        return try resolve(host: host, port: port)
    }

    /// The host (as written, brackets off; empty means 127.0.0.1) and port of "HOST:PORT" or
    /// "[V6]:PORT", unresolved: the name TLS sends and checks.
    public static func split(_ text: String) throws(ParseError) -> (host: String, port: Int) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw ParseError(description: "missing ']' in '\(text)'") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ParseError(description: "expected ':PORT' after ']' in '\(text)'") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ParseError(description: "expected HOST:PORT, got '\(text)'") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ParseError(description: "bad port '\(portText)' in '\(text)' (0-65535)")
        }
        if host.isEmpty { host = "127.0.0.1" }
        return (String(host), port)
    }

    public static func resolve(host: String, port: Int) throws(ParseError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw ParseError(description: "cannot resolve host '\(host)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(result) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let e = entry {
            if let address = SocketAddress(e.pointee.ai_addr) { return address }
            entry = e.pointee.ai_next
        }
        throw ParseError(description: "no IPv4 or IPv6 address for '\(host)'")
    }

    public static func loopback(port: Int) -> SocketAddress {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return SocketAddress(storage: .v4(a))
    }

    public init(storage: Storage) { self.storage = storage }

    init?(_ raw: UnsafePointer<sockaddr>?) {
        guard let raw else { return nil }
        switch Int32(raw.pointee.sa_family) {
        case AF_INET:
            storage = .v4(UnsafeRawPointer(raw).load(as: sockaddr_in.self))
        case AF_INET6:
            storage = .v6(UnsafeRawPointer(raw).load(as: sockaddr_in6.self))
        default:
            return nil
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch storage {
        case .v4(var a):
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6(var a):
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
    }
}

extension SocketAddress {
    /// Whether a socket whose local address is `local` can be one this listening address
    /// accepted: the same address, or any address of the family on this port when the
    /// listener is a wildcard (0.0.0.0 or ::, which no other socket can share a port with).
    func accepts(on local: SocketAddress) -> Bool {
        guard local.port == port && local.family == family else { return false }
        return local == self || isWildcard
    }

    /// Whether this is 0.0.0.0 or :: (any port): a listener there takes every address of its family.
    var isWildcard: Bool {
        switch storage {
        case .v4(let a): return a.sin_addr.s_addr == INADDR_ANY
        case .v6(let a):
            var any = a
            any.sin6_addr = in6addr_any
            return a == any
        }
    }
}

extension sockaddr_in: @retroactive Equatable {
    public static func == (l: sockaddr_in, r: sockaddr_in) -> Bool {
        l.sin_port == r.sin_port && l.sin_addr.s_addr == r.sin_addr.s_addr
    }
}

extension sockaddr_in6: @retroactive Equatable {
    public static func == (l: sockaddr_in6, r: sockaddr_in6) -> Bool {
        var a = l.sin6_addr, b = r.sin6_addr
        return l.sin6_port == r.sin6_port && memcmp(&a, &b, MemoryLayout<in6_addr>.size) == 0
    }
}

extension Sys {
    public static func bind(_ fd: Int32, _ address: SocketAddress) throws(SystemError) {
        _ = try retrying("bind", fd: fd) { address.withSockaddr { Int(Glibc.bind(fd, $0, $1)) } }
    }

    /// Starts a non-blocking connect. `.processed` when it completed at once, `.wouldBlock` when
    /// it is in progress (wait for writability, then read `pendingError`).
    public static func connect(_ fd: Int32, _ address: SocketAddress) throws(SystemError) -> IOResult<Void> {
        let rc = address.withSockaddr { Int(Glibc.connect(fd, $0, $1)) }
        if rc == 0 { return .processed(()) }
        let e = Glibc.errno
        // EINTR on a non-blocking connect: the connect goes on asynchronously, like EINPROGRESS.
        if e == EINPROGRESS || e == EINTR || e == EAGAIN { return .wouldBlock }
        throw SystemError(call: "connect", errno: e, fd: fd)
    }

    /// A port nothing listened on a moment ago: 127.0.0.1:0 bound, read back, closed. Another
    /// process may take it before the caller does; the caller's bind says so.
    public static func freeLoopbackPort() throws(SystemError) -> Int {
        let fd = try socket(family: AF_INET)
        defer { close(fd) }
        try bind(fd, SocketAddress.loopback(port: 0))
        return try localAddress(fd).port
    }

    public static func localAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try retrying("getsockname", fd: fd) {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Int(getsockname(fd, $0, &length)) }
            }
        }
        let address = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        }
        // A Unix-domain socket or another family: not an address this tool speaks.
        guard let address else { throw SystemError(call: "getsockname", errno: EAFNOSUPPORT, fd: fd) }
        return address
    }
}
