// The TLS client through the built executable: the example scenarios over TLS in the three
// designs, each TLS check against a server that gets it wrong and its twin, `load` over TLS
// connections (every byte checked inside their own sessions, which go on afterwards), verification with a
// CA file, and `openssl s_server` and nginx over TLS with certificates the tests make.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("the TLS client through the executable", .childSlot, .serialized, .timeLimit(.minutes(10)))
struct TLSClientTests {
    /// Examples whose meaning does not carry over to TLS, with why (see docs/testing-your-own-server.md).
    static let notOverTLS = [
        "proxy-toxics.scn": "its limit_data toxic counts the raw bytes through the proxy, TLS handshake included: 10 bytes cut the handshake (ProxyCommandTests.tlsThroughTheProxy runs TLS through a proxy)",
        "select-limit.scn": "the connections over select's limit are accepted and closed before any handshake: over TLS a failed handshake, not the EOF the file expects",
    ]

    static func examples(_ names: [String]? = nil) throws -> [String] {
        let folder = Binary.packageRoot + "/scenarios"
        let all = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".scn") }.sorted()
        return all.filter { Self.notOverTLS[$0] == nil && (names?.contains($0) ?? true) }.map { folder + "/" + $0 }
    }

    @Test("every example scenario (but the one that cannot apply) passes over TLS against the epoll server")
    func examplesOverTLSEpoll() async throws {
        let scratch = Scratch()
        let files = try Self.examples()
        #expect(files.count >= 13)
        let run = try await Piped.run(["run", "--tls", "--mode", "epoll"] + files, input: "", scratch: scratch, timeout: 240)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(files.count) passed, 0 failed"), "\(run.output)")
    }

    /// The quick examples in busy and select (the 1000-connection ones run in epoll above: in
    /// busy and select they only add handshakes, at seconds each in a debug build).
    @Test("the quick example scenarios pass over TLS against the busy and select servers", arguments: ["busy", "select"])
    func examplesOverTLSOtherModes(mode: String) async throws {
        let scratch = Scratch()
        let files = try Self.examples(["half-close-backlog.scn", "line-replies.scn", "random-fragmented.scn", "slow-reader.scn",
                                       "reset-mid-transfer.scn"])
        let run = try await Piped.run(["run", "--tls", "--mode", mode] + files, input: "", scratch: scratch, timeout: 240)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(files.count) passed, 0 failed"), "\(run.output)")
        #expect(run.output.contains("[\(mode) TLS]"), "\(run.output)")
    }

    @Test("over TLS, eof needs the server's close_notify and truncated its absence: each fails on the server that gets it wrong, passes on its twin",
          arguments: [("eof", "closed without close_notify (truncation) instead of EOF"),
                      ("truncated", "the peer sent close_notify: an orderly end, not a truncation")])
    func closeNotifyDecides(check: String, failure: String) async throws {
        let scratch = Scratch()
        let scenario = "server start epoll tls\nconnect web 2 tls\nsend web \"ping\\n\"\nhalfclose web\nexpect web echo\nexpect web \(check)\n"
        let withFault = try await runScenario(scenario, in: scratch, ["--fault", "tls-no-close-notify"])
        let correct = try await runScenario(scenario, in: scratch)
        let (failing, passing) = check == "eof" ? (withFault, correct) : (correct, withFault)
        #expect(failing.status == 1 && failing.output.contains(failure), "\(failing.output)")
        #expect(passing.status == 0, "\(passing.output)")
    }

    @Test("load over TLS connections checks every byte inside their sessions, which go on afterwards: a corrupted byte fails it, the correct server passes")
    func loadOverTLSConnections() async throws {
        let scratch = Scratch()
        let echoLoad = "load web size=1KiB depth=4 duration=300ms\n"
        let requestLoad = "load web request=\"GET k\\n\" framing=line expect=\"^GET k\\n$\" depth=8 duration=300ms\n"
        let after = "expect web open\nexpect web tls ok\nsend web \"after\\n\"\nexpect web echo\nclose web\nexpect web closed\n"
        let correct = try await runScenario("server start epoll tls\nconnect web 20 tls\n" + echoLoad + requestLoad + after, in: scratch)
        #expect(correct.status == 0, "\(correct.output)")
        #expect(correct.output.contains("PASSED"), "\(correct.output)")
        let corrupted = try await runScenario("server start epoll fault=corrupt-echo tls\nconnect web 20 tls\n" + echoLoad, in: scratch)
        #expect(corrupted.status == 1, "\(corrupted.output)")
        #expect(corrupted.output.contains("byte 100 differs (stream offset 100)"), "\(corrupted.output)")
        let corruptedReplies = try await runScenario("server start epoll fault=corrupt-echo tls\nconnect web 20 tls\n" + requestLoad, in: scratch)
        #expect(corruptedReplies.status == 1, "\(corruptedReplies.output)")
        #expect(corruptedReplies.output.contains("got \"GET K\\n\" (not matching"), "\(corruptedReplies.output)")
    }

    @Test("load refuses a selection that mixes TLS and clear connections, saying which")
    func loadRefusesMixedSelection() async throws {
        let scratch = Scratch()
        let mixed = try await runScenario("server start epoll tls\nconnect plain 1\nconnect web 1 tls\nexpect * open\n"
                                    + "load * size=64 depth=1 duration=100ms\n", in: scratch)
        #expect(mixed.status == 1, "\(mixed.output)")
        #expect(mixed.output.contains("all speak TLS or all clear text"), "\(mixed.output)")
    }

    @Test("expect tls ok fails against a server that does not speak TLS, with OpenSSL's reason; tls failed holds there")
    func handshakeOutcome() async throws {
        let scratch = Scratch()
        let clear = try await runScenario("server start epoll\nconnect web 2 tls timeout=2s\nexpect web tls ok\n", in: scratch)
        #expect(clear.status == 1 && clear.output.contains("TLS handshake failed:"), "\(clear.output)")
        #expect(try await runScenario("server start epoll\nconnect web 2 tls timeout=2s\nexpect web tls failed\n", in: scratch).status == 0)
        #expect(try await runScenario("server start epoll tls\nconnect web 2 tls timeout=2s\nexpect web tls ok\n", in: scratch).status == 0)
    }

    @Test("ca=FILE verifies: the server with that certificate passes, the self-signed one fails the handshake", .needs(.openssl))
    func verification() async throws {
        let openssl = try RequiredTool.openssl.requirePath()
        let scratch = Scratch()
        try makeCertificate(openssl, in: scratch.path)
        let run = try await runScenario("""
            server start epoll tls cert=cert.pem key=key.pem
            connect good 1 tls ca=cert.pem sni=localhost
            expect good tls ok
            server start epoll tls
            connect bad 1 tls ca=cert.pem sni=localhost
            expect bad tls failed
            connect lax 1 tls
            expect lax tls ok
            expect bad tls ok
            """, in: scratch)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains(":9:1: expect bad tls ok failed"), "only the last line fails: \(run.output)")
        #expect(run.output.contains("certificate verify failed"), "\(run.output)")
    }

    @Test("run --tls --spawn verifies the spawned server's certificate, as a --target's: the self-signed one fails, --verify off passes")
    func spawnedServerVerified() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/hello.scn"
        try "connect c 1\nsend c \"hi\"\nexpect c echo within 5s\n".write(toFile: file, atomically: true, encoding: .utf8)
        let spawn = "\(Binary.path) serve --mode epoll --port {port} --tls"
        let verified = try await Piped.run(["run", "--tls", "--spawn", spawn, file], input: "", scratch: scratch, timeout: 60)
        #expect(verified.status == 1 && verified.output.contains("certificate verify failed"), "\(verified.output)")
        let unverified = try await Piped.run(["run", "--tls", "--verify", "off", "--spawn", spawn, file], input: "", scratch: scratch, timeout: 60)
        #expect(unverified.status == 0, "\(unverified.output)")
    }

    @Test("a send after a failed handshake names OpenSSL's reason, not a bare protocol error (issue 20 item 9)")
    func sendAfterFailedHandshake() async throws {
        let scratch = Scratch()
        // The embedded TLS server's self-signed certificate does not verify against the system's CAs.
        let run = try await runScenario("""
            server start epoll tls
            connect c 1 tls verify=on
            send c "hi"
            """, in: scratch)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("TLS handshake failed: certificate verify failed"), "\(run.output)")
        #expect(!run.output.contains("Protocol error (errno 71)"), "\(run.output)")
    }

    @Test("against openssl s_server -www: TLS 1.3, ALPN, and an HTTP reply over an http1-framed connection", .needs(.openssl))
    func openSSLServer() async throws {
        let openssl = try RequiredTool.openssl.requirePath()
        let scratch = Scratch()
        try makeCertificate(openssl, in: scratch.path)
        let server = try SpawnedServer.start(openssl, ["s_server", "-accept", "127.0.0.1:{port}", "-cert", scratch.path + "/cert.pem",
                                                        "-key", scratch.path + "/key.pem", "-www", "-alpn", "http/1.1", "-quiet"])
        defer { server.stop() }
        // s_server serves one connection at a time: `close web` lets it accept the next.
        let run = try await runScenario("""
            target 127.0.0.1:\(server.address.port)
            connect web 1 tls alpn=h2,http/1.1 ca=cert.pem sni=localhost framing=http1
            expect web tls-version == 1.3
            expect web alpn "http/1.1"
            send web "GET / HTTP/1.0\\r\\n\\r\\n"
            expect web reply match "^HTTP/1.0 200"
            close web
            connect old 1 tls version=1.2
            expect old tls-version == 1.2
            expect old alpn "h2"
            """, in: scratch)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains(":10:1: expect old alpn \"h2\" failed"), "only the last line fails: \(run.output)")
        #expect(run.output.contains("no ALPN protocol negotiated"), "\(run.output)")
    }

    @Test("the guide's nginx-over-TLS scenario passes against nginx with TLS: HTTP/1.1 200, TLS 1.3, ALPN http/1.1 of h2,http/1.1",
          .needs(.nginx), .needs(.openssl))
    func nginxOverTLS() async throws {
        let scratch = Scratch()
        try makeCertificate(try RequiredTool.openssl.requirePath(), in: scratch.path)
        let nginx = try NginxServer(executable: try RequiredTool.nginx.requirePath(), files: ["index.html": "hello over tls\n"],
                                    tls: (scratch.path + "/cert.pem", scratch.path + "/key.pem"))
        defer { nginx.stop() }
        // docs/testing-your-own-server.md's TLS scenario, beside the cert.pem its ca= names.
        let scenario = try ServerGuideTests.scenario(for: "NGINX_TLS_ADDR")
        let file = scratch.path + "/nginx-tls.scn"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        setenv("NGINX_TLS_ADDR", nginx.address, 1)
        defer { unsetenv("NGINX_TLS_ADDR") }
        let run = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
    }
}

/// `sockfuzz run` on `scenario`, written into `scratch` (beside any certificate made there).
private func runScenario(_ scenario: String, in scratch: Scratch, _ options: [String] = []) async throws -> PipedRun {
    let file = scratch.path + "/scenario-\(UInt32.random(in: 0...UInt32.max)).scn"
    try scenario.write(toFile: file, atomically: true, encoding: .utf8)
    return try await Piped.run(["run", file] + options, input: "", scratch: scratch)
}

/// cert.pem and key.pem in `folder`: EC P-256, self-signed for `altNames` (localhost and 127.0.0.1).
func makeCertificate(_ openssl: String, in folder: String, altNames: String = "DNS:localhost,IP:127.0.0.1") throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: openssl)
    process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem", "-days", "1", "-subj", "/CN=localhost",
                         "-addext", "subjectAltName=" + altNames]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw SpawnError("openssl req exited \(process.terminationStatus)") }
}
