// A server as the user named it (or as the tool chose it, an address), one value: the address
// connects go to, and the host as typed (`localhost`, not the address it resolved to), which TLS sends and checks and
// every report shows. Kept together so no caller carries one without the other.

public struct Target: Sendable, Equatable, CustomStringConvertible {
    public let address: SocketAddress
    /// The host as written, brackets off; nil when the target was given as an address.
    public let host: String?

    public init(_ address: SocketAddress, host: String? = nil) {
        self.address = address
        self.host = host
    }

    /// HOST:PORT as the user typed it (`localhost:6379`, `[::1]:8080`): resolved, with the host
    /// kept as written.
    public static func parse(_ text: String) throws(SocketAddress.ParseError) -> Target {
        let (host, port) = try SocketAddress.split(text)
        return Target(try SocketAddress.resolve(host: host, port: port), host: host)
    }

    /// `localhost:6379`, `[::1]:8080` or the address: as the user wrote it.
    public var description: String {
        guard let host else { return "\(address)" }
        return (host.contains(":") ? "[\(host)]" : host) + ":\(address.port)"
    }

    /// The name TLS sends (SNI) and checks: the host as written, else the address.
    public var tlsName: String { host ?? address.host }
}
