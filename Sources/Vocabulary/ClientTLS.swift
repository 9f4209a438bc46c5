// What a TLS client connection asks for: server name (SNI), ALPN protocols, how the server's
// certificate is verified, and a pinned protocol version. The language's `connect ... tls` and
// the command line's `--tls` options both read their values with the parsers here.

public enum TLSVersion: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case v1_2 = "1.2"
    case v1_3 = "1.3"

    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.rawValue < b.rawValue }

    public static func parse(_ text: Substring) throws(ValueError) -> TLSVersion {
        guard let version = TLSVersion(rawValue: String(text)) else {
            throw ValueError("expected a TLS version 1.2 or 1.3, got \(ValueParser.got(text))")
        }
        return version
    }
}

/// How the server's certificate is checked. `off` by default: sockfuzz tests servers, most of
/// them (the embedded one included) with self-signed certificates; the handshake still
/// happens in full, only the chain is not judged.
public enum TLSVerification: Sendable, Hashable {
    case off
    /// The system's trusted roots; the name checked is the SNI name, else the target host.
    case system
    /// Only the PEM CA file at this path (as written; resolved by whoever reads the file).
    case caFile(String)
}

public struct ClientTLS: Sendable, Hashable {
    /// The server name sent (SNI) and checked when verifying; nil: none sent.
    public var serverName: String?
    /// ALPN protocols offered, in preference order; empty: no ALPN extension.
    public var alpn: [String]
    public var verification: TLSVerification
    /// Pins the protocol version; nil: 1.2 or 1.3, whichever the server picks.
    public var version: TLSVersion?

    public init(serverName: String? = nil, alpn: [String] = [], verification: TLSVerification = .off, version: TLSVersion? = nil) {
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

    /// `on` or `off` for `verify=`.
    public static func parseVerify(_ text: Substring) throws(ValueError) -> TLSVerification {
        switch text {
        case "on": return .system
        case "off": return .off
        default: throw ValueError("expected verify=on or verify=off (or ca=FILE), got \(ValueParser.got(text))")
        }
    }
}
