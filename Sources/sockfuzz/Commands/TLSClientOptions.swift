// `--tls` and its settings for the commands that connect (run, fuzz, load): SNI, ALPN, how the server's
// certificate is verified, and the one protocol version to insist on; read into a ClientTLS.

import ArgumentParser
import Glibc
import TLSClient

extension ClientTLS.Version: ExpressibleByArgument {}

struct TLSClientOptions: ParsableArguments {
    @Flag(help: "Speak TLS (1.2 or 1.3). With --mode, the embedded server serves TLS too (self-signed, not verified).")
    var tls = false

    @Option(help: ArgumentHelp("With --tls: the server name to send (SNI) and check the certificate against (default: the --target host as written; none for an IP address).", valueName: "name"))
    var sni: String?

    @Option(help: ArgumentHelp("With --tls: ALPN protocols to offer, in order, e.g. h2,http/1.1.", valueName: "list"))
    var alpn: String?

    @Option(help: ArgumentHelp("With --tls: 'off' takes any certificate (default: verified against the system's authorities, or --ca).", valueName: "off"))
    var verify: String?

    @Option(help: ArgumentHelp("With --tls: verify the certificate against the authorities (or self-signed certificate) in this PEM file.", valueName: "file"))
    var ca: String?

    @Option(help: ArgumentHelp("With --tls: only this TLS version.", valueName: "1.2|1.3"))
    var tlsVersion: ClientTLS.Version?

    func validate() throws {
        if !tls && (sni != nil || alpn != nil || verify != nil || ca != nil || tlsVersion != nil) {
            throw ValidationError("--sni, --alpn, --verify, --ca and --tls-version go with --tls")
        }
        if let verify, verify != "off" { throw ValidationError("--verify \(verify): the one value is 'off' (verification is on unless said so)") }
        if verify != nil && ca != nil { throw ValidationError("--verify off and --ca exclude each other") }
        if let ca, access(ca, R_OK) != 0 { throw ValidationError("--ca \(ca): cannot read it (\(String(cString: strerror(errno))))") }
        if let alpn {
            do { _ = try ClientTLS.parseALPN(Substring(alpn)) } catch { throw ValidationError("--alpn: \(error.message)") }
        }
    }

    /// For the commands that inject --fault into the embedded server: a fault a TLS server
    /// would not have is a usage error with --tls.
    func validate(fault: ServerFault?) throws {
        if tls, let fault, !fault.injectedOverTLS { throw ValidationError("--fault \(fault.rawValue) is not injected into a TLS server (--tls)") }
    }

    /// The client's settings; nil without --tls. Against the embedded server (`embedded`), the
    /// certificate is self-signed: not verified unless --ca names it. The CA path is made
    /// absolute: a fuzz finding writes it into its connects as `ca=`, which a replay would
    /// otherwise look for beside the finding instead of where the user named it.
    func settings(embedded: Bool) -> ClientTLS? {
        guard tls else { return nil }
        let verification: ClientTLS.Verification = ca.map { .authorities(file: Terminal.absolute($0, expandingTilde: false)) }
            ?? (verify != nil || embedded ? .off : .system)
        return ClientTLS(serverName: sni, alpn: alpn.flatMap { try? ClientTLS.parseALPN(Substring($0)) } ?? [],
                         verification: verification, version: tlsVersion)
    }

    /// `settings(embedded:)`, or, without --tls, what the embedded server's `fault` needs: a TLS
    /// fault makes it speak TLS, and a clear-text client would fail every handshake for a reason
    /// that is not the fault.
    func settings(embedded: Bool, fault: ServerFault?) -> ClientTLS? {
        settings(embedded: embedded) ?? (fault?.impliesTLS == true ? ClientTLS(verification: .off) : nil)
    }

    /// What makes two load results runs of the same test, or two fuzz reports shares of one campaign.
    var identity: [String] {
        guard tls else { return [] }
        var words = ["--tls"]
        if let sni { words.append("--sni \(sni)") }
        if let alpn { words.append("--alpn \(alpn)") }
        if let verify { words.append("--verify \(verify)") }
        if let ca { words.append("--ca \(ca)") }
        if let tlsVersion { words.append("--tls-version \(tlsVersion.rawValue)") }
        return words
    }
}
