// `sockfuzz load --tls` through the built executable: echo load against the embedded TLS server
// in each mode, --connect-only's handshakes/s and percentiles (text, JSON, merged shares), and
// each TLS verdict beside its twin: a clear, silent or HTTP server fails the handshake (exit 1,
// OpenSSL's reason, within the deadline) where serve --tls passes; an untrusted or misnamed
// certificate fails verification where --ca passes.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("load --tls through the executable", .childSlot, .serialized, .timeLimit(.minutes(10)))
struct TLSLoadTests {

    @Test("TLS echo load against the embedded TLS server passes in every mode, every byte of 20 KiB messages verified",
          arguments: ["busy", "select", "epoll"])
    func echoLoadInEachMode(_ mode: String) async throws {
        let scratch = Scratch()
        let json = scratch.path + "/load.json"
        // 20 KiB messages span two TLS records: partial writes and several records per read.
        let run = try await Piped.run(["load", "--mode", mode, "--tls", "--connections", "4", "--depth", "4", "--size", "20KiB",
                                 "--duration", "0.5s", "--json", json], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("embedded \(mode) TLS server"), "\(run.output)")
        let record = try loadRecord(json)
        let load = try #require(record["load"] as? [String: Any])
        let verified = try #require(load["verified"] as? Int)
        #expect(verified > 0 && load["messages"] as? Int == verified, "\(load)")
        #expect(load["corrupted"] as? Int == 0 && load["unanswered"] as? Int == 0, "\(load)")
        let tls = try #require((record["connect"] as? [String: Any])?["tls"] as? [String: Any])
        #expect(tls["completed"] as? Int == 4, "\(tls)")
    }

    @Test("--connect-only --tls reports handshakes/s at the rate asked and the handshake latency percentiles, in text and JSON")
    func connectOnlyReportsHandshakes() async throws {
        let scratch = Scratch()
        let json = scratch.path + "/hs.json"
        let run = try await Piped.run(["load", "--mode", "epoll", "--tls", "--connect-only", "--connections", "40", "--rate", "400/s",
                                 "--inflight", "8", "--json", json], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("tls: 40/40 handshakes (TLSv1.3)"), "\(run.output)")
        #expect(run.output.contains("handshakes/s, latency p50 "), "\(run.output)")
        let tls = try #require((try loadRecord(json)["connect"] as? [String: Any])?["tls"] as? [String: Any])
        #expect(tls["completed"] as? Int == 40 && tls["failed"] as? Int == 0, "\(tls)")
        let perSecond = try #require(tls["perSecond"] as? Double)
        // 40 connections at 400/s: the last starts 97.5 ms in, so no more than about 410/s.
        #expect(perSecond > 0 && perSecond < 420, "handshakes/s \(perSecond) at --rate 400/s")
        let latency = try #require(tls["latencyMicros"] as? [String: Double])
        #expect((latency["p50"] ?? 0) > 0 && (latency["p99"] ?? 0) >= (latency["p50"] ?? 0), "\(latency)")
    }

    @Test("merge adds up the handshakes of --tls shares: counts summed, percentiles from the merged histograms")
    func mergedShares() async throws {
        let scratch = Scratch()
        for share in 0..<2 {
            let run = try await Piped.run(["load", "--mode", "epoll", "--tls", "--connect-only", "--connections", "10", "--segment", "\(share)/2",
                                     "--json", scratch.path + "/share-\(share).json"], input: "", scratch: scratch)
            #expect(run.status == 0, "\(run.output)")
        }
        let merged = try await Piped.run(["merge", scratch.path + "/share-0.json", scratch.path + "/share-1.json", "--json", scratch.path + "/merged.json"],
                                   input: "", scratch: scratch)
        #expect(merged.status == 0, "\(merged.output)")
        #expect(merged.output.contains("tls: 10 handshakes, "), "\(merged.output)")
        let handshakes = try #require(try loadRecord(scratch.path + "/merged.json")["handshakes"] as? [String: Any])
        #expect(handshakes["completed"] as? Int == 10, "\(handshakes)")
        let latency = try #require(handshakes["latencyMicros"] as? [String: Double])
        #expect((latency["p50"] ?? 0) > 0, "\(latency)")
    }

    @Test("a clear-text server fails the TLS handshake: exit 1 in OpenSSL's words, within the deadline; serve --tls passes echo and request load")
    func clearServerFailsTheHandshake() async throws {
        let scratch = Scratch()
        let clear = try RunningSockfuzz(["serve", "--mode", "epoll"], scratch: scratch)
        defer { clear.signal(SIGTERM); _ = clear.finishBlocking() }
        let tls = try RunningSockfuzz(["serve", "--mode", "epoll", "--tls"], scratch: scratch)
        defer { tls.signal(SIGTERM); _ = tls.finishBlocking() }
        let clearPort = try #require(await listeningPort(clear)), tlsPort = try #require(await listeningPort(tls))
        let options = ["--tls", "--verify", "off", "--connections", "3", "--duration", "0.3s"]

        let started = Date()
        let fault = try await Piped.run(["load", "--target", "127.0.0.1:\(clearPort)"] + options, input: "", scratch: scratch)
        #expect(fault.status == 1, "\(fault.output)")
        #expect(fault.output.contains("load: FAILED: TLS handshake failed on 3 connection(s): "), "\(fault.output)")
        #expect(Date().timeIntervalSince(started) < 20, "the failure took over 20 s: \(fault.output)")

        let twin = try await Piped.run(["load", "--target", "127.0.0.1:\(tlsPort)"] + options, input: "", scratch: scratch)
        #expect(twin.status == 0, "\(twin.output)")
        #expect(twin.output.contains("load: PASSED: 3 connection(s) echoed"), "\(twin.output)")

        let requests = try await Piped.run(["load", "--target", "127.0.0.1:\(tlsPort)", "--request", "hello\\n", "--framing", "line",
                                      "--expect", "^hello\\n$"] + options, input: "", scratch: scratch)
        #expect(requests.status == 0, "\(requests.output)")
        #expect(requests.output.contains("every request answered by a reply matching"), "\(requests.output)")
    }

    @Test("servers that do not speak TLS end the handshake with a verdict, never a hang: silent (the deadline), an HTTP error page",
          arguments: [(Misbehaviour.silent, "TLS handshake did not complete in time on 2 connection(s)"),
                      (.httpError, "TLS handshake failed on 2 connection(s): ")])
    func nonTLSServers(_ behaviour: Misbehaviour, _ verdict: String) async throws {
        let server = try MisbehavingServer(behaviour)
        defer { server.stop() }
        let started = Date()
        let run = try await Piped.run(["load", "--target", server.address, "--tls", "--verify", "off", "--connect-only", "--connections", "2"],
                                input: "", scratch: Scratch())
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("load: FAILED: " + verdict), "\(run.output)")
        // The handshake's deadline is the first echo's, 5 s.
        #expect(Date().timeIntervalSince(started) < 20, "took over 20 s: \(run.output)")
    }

    @Test("verification: an untrusted or misnamed certificate fails with OpenSSL's reason; --ca with the right name passes, at the version asked",
          .needs(.openssl))
    func verification() async throws {
        let openssl = try RequiredTool.openssl.requirePath()
        let scratch = Scratch()
        let (cert, key) = try localhostCertificate(openssl, in: scratch.path)
        let serve = try RunningSockfuzz(["serve", "--mode", "epoll", "--tls", "--cert", cert, "--key", key], scratch: scratch)
        defer { serve.signal(SIGTERM); _ = serve.finishBlocking() }
        let target = "127.0.0.1:\(try #require(await listeningPort(serve)))"
        let base = ["load", "--target", target, "--tls", "--connect-only", "--connections", "2"]

        let untrusted = try await Piped.run(base, input: "", scratch: scratch)
        #expect(untrusted.status == 1, "\(untrusted.output)")
        #expect(untrusted.output.contains("certificate verify failed (self-signed certificate)"), "\(untrusted.output)")

        let misnamed = try await Piped.run(base + ["--ca", cert, "--sni", "elsewhere.example"], input: "", scratch: scratch)
        #expect(misnamed.status == 1, "\(misnamed.output)")
        #expect(misnamed.output.contains("certificate verify failed (hostname mismatch)"), "\(misnamed.output)")

        let trusted = try await Piped.run(base + ["--ca", cert, "--sni", "localhost", "--tls-version", "1.2"], input: "", scratch: scratch)
        #expect(trusted.status == 0, "\(trusted.output)")
        #expect(trusted.output.contains("tls: 2/2 handshakes (TLSv1.2)"), "\(trusted.output)")
    }

    @Test("--tls option mistakes are usage errors (exit 2)", arguments: [
        (["load", "--sni", "x"], "go with --tls"),
        (["load", "--tls", "--verify", "on"], "the one value is 'off'"),
        (["load", "--tls", "--verify", "off", "--ca", "c.pem"], "exclude each other"),
        (["load", "--tls", "--tls-version", "1.1"], "1.1"),
        (["load", "--tls", "--ca", "/nonexistent/ca.pem"], "--ca /nonexistent/ca.pem: cannot read it"),
        (["load", "--tls", "--alpn", "h2,,http/1.1"], "--alpn: expected ALPN protocol names separated by commas"),
    ])
    func usageErrors(arguments: [String], message: String) async throws {
        let run = try await Piped.run(arguments, input: "", scratch: Scratch())
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains(message), "\(run.output)")
    }
}

/// The JSON record `load --json` wrote.
private func loadRecord(_ path: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
}
