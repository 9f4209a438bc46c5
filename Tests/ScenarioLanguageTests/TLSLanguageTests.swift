// The TLS words of the language: `connect ... tls` with its options, parsed and rendered back
// unchanged; the TLS expectations; and the mistakes each option can carry, located.

import Testing
@testable import ScenarioLanguage

@Suite("TLS in the language")
struct TLSLanguageTests {
    @Test("connect tls options parse to client settings and render back as written", arguments: [
        "connect api 2 tls",
        "connect api 2 tls sni=example.test alpn=h2,http/1.1 verify=on version=1.3",
        "connect api 1 tls ca=certs/ca.pem version=1.2 timeout=1s framing=http1",
    ])
    func connectRoundTrip(line: String) throws {
        let program = try parse(line)
        #expect(program.rendered == line + "\n")
    }

    @Test("connect tls settings: SNI, ALPN in order, verification and version")
    func connectSettings() throws {
        let program = try parse("connect api 2 rate=10/s tls alpn=h2,http/1.1 ca=ca.pem sni=localhost version=1.3")
        guard case .connect(_, _, _, _, _, let tls?) = program.statements[0].command else {
            Issue.record("not a TLS connect: \(program.statements[0].command)")
            return
        }
        #expect(tls == ClientTLS(serverName: "localhost", alpn: ["h2", "http/1.1"], verification: .authorities(file: "ca.pem"), version: .tls13))
        #expect(program.statements[0].command.specName == "connect tls")
        #expect(try parse("connect api 2").statements[0].command.specName == "connect")
    }

    @Test("the TLS expectations parse to their checks and render back", arguments: [
        ("expect web tls ok", TLSCheck.handshake(ok: true)),
        ("expect web tls failed within 2s", .handshake(ok: false)),
        ("expect web tls-version >= 1.2", .version(.greaterOrEqual, .tls12)),
        ("expect web alpn \"http/1.1\"", .alpn("http/1.1")),
    ])
    func expectations(line: String, check: TLSCheck) {
        guard case .expectTLS(_, let parsed, _)? = command(line) else {
            Issue.record("not a TLS expectation: \(line)")
            return
        }
        #expect(parsed == check)
        #expect(command(line)?.rendered == line)
    }

    @Test("expect truncated is a connection state")
    func truncatedState() {
        #expect(command("expect web truncated within 1s") == .expectState(.group("web"), .truncated, within: .seconds(1)))
    }

    @Test("TLS option mistakes are located", arguments: [
        ("connect api 1 sni=x", "1:15: 'sni=' needs 'tls' (connect GROUP N tls sni=...)"),
        ("connect api 1 tls version=1.1", "1:27: expected a TLS version 1.2 or 1.3, got '1.1'"),
        ("connect api 1 tls verify=off ca=ca.pem", "1:30: 'ca=' verifies the certificate: it cannot go with verify=off"),
        ("connect api 1 tls verify=maybe", "1:26: expected verify=on or verify=off (or ca=FILE), got 'maybe'"),
        ("connect api 1 tls alpn=h2,,x", "1:24: expected ALPN protocol names separated by commas (like h2,http/1.1), got 'h2,,x'"),
        ("connect api 1\nexpect api tls maybe", "2:16: expected 'ok' or 'failed' after 'tls', got 'maybe'"),
        ("connect api 1\nexpect api tls-version == 2", "2:27: expected a TLS version 1.2 or 1.3, got '2'"),
    ])
    func mistakes(source: String, expected: String) {
        #expect(failure(source) == expected)
    }
}
