// A TLS target given by name (`--target localhost:PORT`, `target localhost:PORT`) keeps its name
// on every path, as openssl s_client and curl do: it is the SNI the server sees and the name the
// certificate is checked against, a fuzz finding's `target` line names it, and its replay sends
// it again. An IP literal sends no SNI and is checked as an IP; `sni=` overrides.

import Foundation
import Testing
import TestSupport

@Suite("a named TLS target keeps its name through the executable", .childSlot, .serialized, .timeLimit(.minutes(10)), .needs(.openssl))
struct NamedTLSTargetTests {
    @Test("fuzz --target localhost:PORT --tls sends localhost as SNI, verifies it, writes its finding with target localhost:PORT and the CA's whole path, and the replay does the same",
          arguments: [false, true])
    func fuzzFindingKeepsTheName(verifies: Bool) async throws {
        let scratch = Scratch()
        let (cert, key) = try makeLocalhostCertificate(in: scratch.path)
        let server = try NameRecordingTLSServer(certificate: cert, key: key, garbles: true)
        defer { server.stop() }
        // Verified with a CA path relative to the working directory, as a user types it.
        let verification = verifies ? ["--ca", "cert.pem"] : ["--verify", "off"]
        let fuzz = try await Piped.run(["fuzz", "--target", "localhost:\(server.port)", "--tls"] + verification
                                 + ["--seed", "1", "--runs", "5", "--connections", "1", "--timeout", "1s", "--out", "out"], in: scratch.path)
        #expect(fuzz.status == 1 && fuzz.output.contains("echo (wrong byte)"), "\(fuzz.output)")
        #expect(fuzz.output.contains("fuzz target localhost:\(server.port)"), "\(fuzz.output)")
        let fuzzed = server.settledServerNames()
        #expect(!fuzzed.isEmpty && fuzzed.allSatisfy { $0 == "localhost" }, "SNI seen: \(fuzzed)")
        let out = scratch.path + "/out"
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".scn") }, "\(fuzz.output)")
        let scenario = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
        #expect(scenario.contains("\ntarget localhost:\(server.port)\n"), "\(scenario)")
        // The language's default is verify off: a bare `tls` says it.
        #expect(scenario.contains(verifies ? " tls ca=\(cert)\n" : " tls\n"), "\(scenario)")
        let replay = try await Piped.run(["run", out + "/" + file], input: "", scratch: scratch)
        #expect(replay.status == 1 && replay.output.contains("echo") && !replay.output.contains("TLS"), "\(replay.output)")
        let replayed = server.settledServerNames().dropFirst(fuzzed.count)
        #expect(!replayed.isEmpty && replayed.allSatisfy { $0 == "localhost" }, "SNI seen on replay: \(Array(replayed))")
    }

    @Test("run, a target line, the console, load and fuzz --request send the name typed and verify the certificate against it; an IP literal sends no SNI and is verified as an IP; sni= overrides")
    func everyPathSendsAndChecksTheName() async throws {
        let scratch = Scratch()
        let (cert, key) = try makeLocalhostCertificate(in: scratch.path)
        let server = try NameRecordingTLSServer(certificate: cert, key: key)
        defer { server.stop() }
        let named = "localhost:\(server.port)"
        var seen = 0
        /// The names the server saw since the last call.
        func newNames() -> [String?] {
            let all = server.settledServerNames()
            defer { seen = all.count }
            return Array(all.dropFirst(seen))
        }

        let echo = scratch.path + "/echo.scn"
        try "connect web 2\nsend web \"hi\\n\"\nexpect web echo\nfuzz runs=2 connections=1 seed=1\n".write(toFile: echo, atomically: true, encoding: .utf8)
        // From the scratch folder: a fuzz statement writes a finding to ./fuzz-failures.
        let run = try await Piped.run(["run", "--target", named, "--tls", "--ca", cert, echo], in: scratch.path)
        #expect(run.status == 0, "\(run.output)")
        let ran = newNames()
        #expect(ran.count > 2 && ran.allSatisfy { $0 == "localhost" }, "the connects' and the fuzz statement's: \(ran)")

        // The certificate names localhost only: verified against 127.0.0.1 it fails, as it must.
        let lines = scratch.path + "/target-lines.scn"
        try """
            target \(named)
            connect byname 1 tls ca=\(cert)
            expect byname tls ok
            target 127.0.0.1:\(server.port)
            connect byip 1 tls verify=off
            expect byip tls ok
            connect overridden 1 tls verify=off sni=other.example
            expect overridden tls ok
            connect ipchecked 1 tls ca=\(cert)
            expect ipchecked tls failed
            """.write(toFile: lines, atomically: true, encoding: .utf8)
        let targetLines = try await Piped.run(["run", "-v", lines], input: "", scratch: scratch)
        #expect(targetLines.status == 0, "\(targetLines.output)")
        #expect(targetLines.output.contains("target \(named) (127.0.0.1:\(server.port))"), "\(targetLines.output)")
        #expect(newNames() == ["localhost", nil, "other.example"])

        let console = try await Piped.run(["--target", named], input: "connect c 1 tls ca=\(cert)\nexpect c tls ok\n", scratch: scratch)
        #expect(console.status == 0 && !console.output.contains("failed"), "\(console.output)")
        #expect(newNames() == ["localhost"])

        let load = try await Piped.run(["load", "--target", named, "--tls", "--ca", cert, "--connections", "2", "--size", "64", "--depth", "1",
                                  "--duration", "200ms"], input: "", scratch: scratch)
        #expect(load.status == 0, "\(load.output)")
        #expect(newNames() == ["localhost", "localhost"])

        let requests = try await Piped.run(["fuzz", "--target", named, "--tls", "--ca", cert, "--request", "hello\\n", "--framing", "line",
                                      "--runs", "3", "--connections", "2", "--out", scratch.path + "/none"], input: "", scratch: scratch, timeout: 120)
        #expect(requests.status == 0, "\(requests.output)")
        let fuzzed = newNames()
        #expect(!fuzzed.isEmpty && fuzzed.allSatisfy { $0 == "localhost" }, "SNI seen: \(fuzzed)")
    }
}

/// cert.pem and key.pem in `folder`, for the name localhost only (no IP address), so a client
/// that checks 127.0.0.1 instead of the name fails verification.
private func makeLocalhostCertificate(in folder: String) throws -> (cert: String, key: String) {
    try makeCertificate(try RequiredTool.openssl.requirePath(), in: folder, altNames: "DNS:localhost")
    return (folder + "/cert.pem", folder + "/key.pem")
}
