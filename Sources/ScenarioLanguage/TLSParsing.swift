// The language's TLS words: `connect ... tls [sni=NAME] [alpn=P,Q] [verify=on|off] [ca=FILE]
// [version=1.2|1.3]` and the checks `expect SEL tls ok|failed`, `expect SEL tls-version OP V`,
// `expect SEL alpn "NAME"`, with their canonical renderings.

/// What `expect SEL tls ...`, `tls-version` and `alpn` check on each connection.
public enum TLSCheck: Sendable, Equatable, CustomStringConvertible {
    /// `tls ok` (true) or `tls failed` (false): how the handshake ended.
    case handshake(ok: Bool)
    /// `tls-version OP 1.2|1.3`: the negotiated version.
    case version(Comparison, ClientTLS.Version)
    /// `alpn "NAME"`: the protocol the server picked.
    case alpn(String)

    /// As written after the selector: `tls ok`, `tls-version == 1.3`, `alpn "h2"`.
    public var description: String { Render.tlsCheck(self) }
}

extension CommandParser {
    /// The `key=` options only a TLS connect takes: each needs the `tls` flag.
    static let tlsConnectKeys = CommandTable.spec(named: "connect tls")!.keys.filter { !CommandTable.spec(named: "connect")!.keys.contains($0) }

    /// The TLS settings of `connect`'s options: nil without the `tls` flag (then no TLS key may appear).
    static func clientTLS(_ options: Options, at location: SourceLocation) throws(ScenarioError) -> ClientTLS? {
        guard options.flags["tls"] != nil else {
            if let key = tlsConnectKeys.first(where: options.has) {
                throw ScenarioError("'\(key)=' needs 'tls' (connect GROUP N tls \(key)=...)", at: options.keyLocation(of: key)!)
            }
            return nil
        }
        var tls = ClientTLS()
        tls.serverName = try options.value("sni") { (t, l) throws(ScenarioError) in try Self.nonEmpty(t, "a server name after 'sni='", at: l) }
        tls.alpn = try options.value("alpn") { (t, l) throws(ScenarioError) in try located(l) { () throws(ValueError) in try ClientTLS.parseALPN(t) } } ?? []
        tls.version = try options.value("version") { (t, l) throws(ScenarioError) in try located(l) { () throws(ValueError) in try ClientTLS.Version.parse(t) } }
        let verify = try options.value("verify") { (t, l) throws(ScenarioError) in try located(l) { () throws(ValueError) in try ClientTLS.parseVerify(t) } }
        if let ca = try options.value("ca", { (t, l) throws(ScenarioError) in try Self.nonEmpty(t, "a PEM file after 'ca='", at: l) }) {
            if verify == .off { throw ScenarioError("'ca=' verifies the certificate: it cannot go with verify=off", at: options.keyLocation(of: "ca")!) }
            tls.verification = .authorities(file: ca)
        } else {
            tls.verification = verify ?? .off
        }
        return tls
    }

    private static func located<T>(_ location: SourceLocation, _ parse: () throws(ValueError) -> T) throws(ScenarioError) -> T {
        do { return try parse() } catch { throw ScenarioError(error.message, at: location.advanced(by: error.offset)) }
    }

    /// After `expect SEL`: `tls ok|failed`, `tls-version OP V` or `alpn "NAME"`; nil for other words.
    mutating func parseTLSCheck(_ kind: Token) throws(ScenarioError) -> TLSCheck? {
        switch kind.text {
        case "tls":
            let outcome = try cursor.word("'ok' or 'failed' after 'tls'")
            switch outcome.text {
            case "ok": return .handshake(ok: true)
            case "failed": return .handshake(ok: false)
            default: throw ScenarioError("expected 'ok' or 'failed' after 'tls', got '\(outcome.text)'", at: outcome.location)
            }
        case "tls-version":
            let op = try comparison()
            let value = try cursor.word("a TLS version (1.2 or 1.3)")
            return .version(op, try Self.located(value.location) { () throws(ValueError) in try ClientTLS.Version.parse(Substring(value.text)) })
        case "alpn":
            let name = try quoted(after: "alpn")
            return .alpn(try StringLiteral.text(of: name))
        default:
            return nil
        }
    }
}

extension Render {
    static func tls(_ tls: ClientTLS?) -> String {
        guard let tls else { return "" }
        let verify: (String?, String?)
        switch tls.verification {
        case .off: verify = (nil, nil)
        case .system: verify = ("on", nil)
        case .authorities(file: let path): verify = (nil, path)
        }
        return " tls" + options([("sni", tls.serverName), ("alpn", tls.alpn.isEmpty ? nil : tls.alpn.joined(separator: ",")),
                                 ("verify", verify.0), ("ca", verify.1), ("version", tls.version?.rawValue)])
    }

    static func tlsCheck(_ check: TLSCheck) -> String {
        switch check {
        case .handshake(let ok): return "tls " + (ok ? "ok" : "failed")
        case .version(let op, let version): return "tls-version \(op.rawValue) \(version.rawValue)"
        case .alpn(let name): return "alpn " + StringLiteral.quote(name)
        }
    }
}
