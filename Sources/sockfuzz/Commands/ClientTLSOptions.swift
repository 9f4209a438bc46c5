// `--tls [--sni NAME] [--alpn P,Q] [--verify | --ca FILE] [--tls-version 1.2|1.3]`: every connect
// speaks TLS (connects with their own `tls` options keep them) and every embedded server
// serves TLS. The certificate is not verified unless --verify or --ca asks.

import ArgumentParser
import ScenarioLanguage

struct ClientTLSOptions: ParsableArguments {
    @Flag(help: "Every connect speaks TLS, and the embedded server serves TLS (self-signed; not verified unless --verify or --ca).")
    var tls = false

    @Option(help: "With --tls: the server name sent (SNI) and checked by --verify/--ca.")
    var sni: String?

    @Option(help: "With --tls: ALPN protocols to offer, e.g. h2,http/1.1.")
    var alpn: String?

    @Flag(help: "With --tls: verify the server's certificate against the system's trusted roots.")
    var verify = false

    @Option(help: "With --tls: verify the server's certificate against this PEM CA file.", completion: .file())
    var ca: String?

    @Option(name: .customLong("tls-version"), help: "With --tls: only this TLS version (1.2 or 1.3).")
    var tlsVersion: String?

    func validate() throws {
        if !tls, let given = [("--sni", sni != nil), ("--alpn", alpn != nil), ("--verify", verify), ("--ca", ca != nil),
                                ("--tls-version", tlsVersion != nil)].first(where: \.1) {
            throw ValidationError("\(given.0) needs --tls")
        }
        if verify && ca != nil { throw ValidationError("--verify and --ca exclude each other: --ca verifies against that file only") }
        _ = try settings
    }

    /// The client's TLS settings, nil without --tls.
    var settings: ClientTLS? {
        get throws {
            guard tls else { return nil }
            do throws(ValueError) {
                let protocols = try alpn.map { (text) throws(ValueError) in try ClientTLS.parseALPN(Substring(text)) } ?? []
                let version = try tlsVersion.map { (text) throws(ValueError) in try TLSVersion.parse(Substring(text)) }
                return ClientTLS(serverName: sni, alpn: protocols, verification: ca.map { .caFile($0) } ?? (verify ? .system : .off),
                                 version: version)
            } catch {
                throw ValidationError(error.message)
            }
        }
    }
}
