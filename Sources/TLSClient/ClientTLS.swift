// What a TLS client asks for: the name it sends (SNI) and checks, the ALPN protocols it offers,
// how it verifies the server's certificate, and the protocol version it insists on.

public struct ClientTLS: Sendable, Equatable {
    public enum Verification: Sendable, Equatable {
        /// Against the system's trusted authorities.
        case system
        /// Against the authorities (or self-signed certificates) in this PEM file.
        case authorities(file: String)
        /// Not at all: any certificate is taken (load against a self-signed test server).
        case off
    }

    public enum Version: String, Sendable, Equatable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// SNI, and the name the certificate must be for; nil: the target's host (no SNI for an IP address).
    public var serverName: String?
    /// Offered in this order; empty: no ALPN extension.
    public var alpn: [String]
    public var verification: Verification
    /// Only this version; nil: 1.2 or 1.3, as the server picks.
    public var version: Version?

    public init(serverName: String? = nil, alpn: [String] = [], verification: Verification = .system, version: Version? = nil) {
        self.serverName = serverName
        self.alpn = alpn
        self.verification = verification
        self.version = version
    }
}
