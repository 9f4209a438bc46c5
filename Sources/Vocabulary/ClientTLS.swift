// What a TLS client asks for: the name it sends (SNI) and checks, the ALPN protocols it offers,
// how it verifies the server's certificate, and the protocol version it insists on. Plain values:
// the language's `connect ... tls` and the command line's `--tls` options both produce them.

public struct ClientTLS: Sendable, Hashable {
    public enum Verification: Sendable, Hashable {
        /// Against the system's trusted authorities.
        case system
        /// Against the authorities (or self-signed certificates) in this PEM file.
        case authorities(file: String)
        /// Not at all: any certificate is taken (a self-signed test server); the handshake still runs in full.
        case off
    }

    public enum Version: String, Sendable, Hashable, CaseIterable, Comparable {
        case tls12 = "1.2"
        case tls13 = "1.3"

        public static func < (a: Version, b: Version) -> Bool { a.rawValue < b.rawValue }

        public static func parse(_ text: Substring) throws(ValueError) -> Version {
            guard let version = Version(rawValue: String(text)) else {
                throw ValueError("expected a TLS version 1.2 or 1.3, got \(ValueParser.got(text))")
            }
            return version
        }
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

    /// `h2,http/1.1`: comma-separated, each 1-255 bytes.
    public static func parseALPN(_ text: Substring) throws(ValueError) -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for name in names where name.isEmpty || name.utf8.count > 255 {
            throw ValueError("expected ALPN protocol names separated by commas (like h2,http/1.1), got \(ValueParser.got(text))")
        }
        return names
    }

    /// The language's `verify=on|off`.
    public static func parseVerify(_ text: Substring) throws(ValueError) -> Verification {
        switch text {
        case "on": return .system
        case "off": return .off
        default: throw ValueError("expected verify=on or verify=off (or ca=FILE), got \(ValueParser.got(text))")
        }
    }
}
