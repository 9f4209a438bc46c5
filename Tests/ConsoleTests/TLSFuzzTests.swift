// `sockfuzz fuzz` over TLS through the executable: both TLS faults found, shrunk to at most 10
// commands and replayed by `sockfuzz run FILE` (tls on connects and server start); the correct
// TLS server passes runs in every design; the request oracle over TLS finds a corrupted reply.

import Foundation
import Testing
import TestSupport

@Suite("sockfuzz fuzz over TLS through the executable", .childSlot, .serialized, .timeLimit(.minutes(10)))
struct TLSFuzzTests {
    /// Seeds tried in order, 20 runs each, with at most 2 connections per program (smaller
    /// programs shrink faster; both faults need only one): the detection budget in docs/fuzzing.md.
    static let seeds = [1, 4, 3]
    /// The documented budget in the long run (SOCKFUZZ_LONG=1); a few seconds of shrinking here.
    static let shrinkBudget = LongRun.pick(["--shrink-time", "5s"], long: [])

    @Test("each TLS fault is found, shrunk (to at most 10 commands in the long run), and the file replays it",
          arguments: [("tls-ignore-pending", "expect c[0] echo"), ("tls-no-close-notify", "without close_notify")])
    func findsAndShrinks(fault: String, failureText: String) async throws {
        let scratch = Scratch()
        var finding: [String: Any]?
        var tried: [String] = []
        for seed in Self.seeds where finding == nil {
            let out = scratch.path + "/out-\(seed)", json = scratch.path + "/report-\(seed).json"
            let fuzz = try await Piped.run(["fuzz", "--fault", fault, "--seed", "\(seed)", "--runs", "20", "--connections", "2",
                                      "--timeout", "1s", "--replays", "2", "--out", out, "--json", json] + Self.shrinkBudget,
                                     input: "", scratch: scratch, timeout: 240)
            tried.append("seed \(seed): exit \(fuzz.status)")
            guard fuzz.status == 1 else { continue }
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            let found = ((report?["fuzz"] as? [[String: Any]])?.first)?["finding"] as? [String: Any]
            // A timing failure that reproduced too rarely to shrink is written unshrunk (and
            // says so); the next seed must then give one that shrinks.
            if found?["shrunk"] as? Bool == true { finding = found } else { tried[tried.count - 1] += " (found, not shrunk)" }
        }
        let found = try #require(finding, "\(fault) not found: \(tried)")
        let scenario = try #require(found["scenario"] as? String)
        // How far it shrinks is the long run's to prove; here, that it is found, written and replays.
        if LongRun.enabled { #expect((found["shrunkCommands"] as? Int ?? 99) <= 10, "\(scenario)") }
        #expect(scenario.contains("server start epoll tls fault=\(fault)"), "\(scenario)")
        #expect(scenario.contains(" tls\n"), "the connects carry tls: \(scenario)")
        let path = try #require(found["scenarioPath"] as? String)
        // A timing bug may need a few tries: the shrinker kept only candidates failing 2 runs of 3,
        // but whether two TLS records reach the server in one read depends on the load beside it
        // (a finding of a few small sends on 3 connections reproduced in the campaign and missed 3
        // replays in a test run with other suites beside it).
        var replays: [PipedRun] = []
        for _ in 0..<5 where !(replays.last.map { $0.status == 1 && $0.output.contains(failureText) } ?? false) {
            replays.append(try await Piped.run(["run", path], input: "", scratch: scratch))
        }
        #expect(replays.last?.status == 1 && replays.last?.output.contains(failureText) == true, "\(replays.map(\.output))")
    }

    @Test("a fault the TLS server does not have is a usage error with --tls, not a clean pass", arguments: ["fuzz", "run"])
    func faultAbsentOverTLS(command: String) async throws {
        let scratch = Scratch()
        let args = command == "fuzz" ? ["fuzz", "--runs", "1", "--out", scratch.path + "/out"] : ["run", Binary.packageRoot + "/scenarios/half-close.scn"]
        let run = try await Piped.run(args + ["--tls", "--fault", "stall-slow-reader"], input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("--fault stall-slow-reader is not injected into a TLS server"), "\(run.output)")
    }

    @Test("a fuzz statement fuzzes the TLS server it follows over TLS: the correct one passes, the one without close_notify fails")
    func fuzzStatementOverTLS() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/fuzz-tls.scn"
        try "server start epoll tls\nfuzz runs=5 connections=2 seed=1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let correct = try await Piped.run(["run", "-v", file], input: "", scratch: scratch)
        #expect(correct.status == 0 && correct.output.contains("fuzz epoll tls: 5 runs"), "\(correct.output)")
        // The statement writes its finding to ./fuzz-failures: run it from the scratch folder.
        try "server start epoll fault=tls-no-close-notify\nfuzz runs=20 connections=2 seed=1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let faulty = try await Piped.run(["run", file], in: scratch.path)
        #expect(faulty.status == 1 && faulty.output.contains("without close_notify"), "\(faulty.output)")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/fuzz-failures/fuzz-epoll-seed1-run2.scn"), "\(faulty.output)")
    }

    /// The corrupted byte is byte 100 of each connection's stream: the request is longer than that.
    static let longLine = "GET /" + String(repeating: "a", count: 110) + "\\n"

    @Test("fuzz --request over TLS: references and programs speak TLS; a corrupted reply is found and written with tls, the correct server passes")
    func requestOracleOverTLS() async throws {
        let scratch = Scratch()
        let clean = try await Piped.run(["fuzz", "--request", "GET k\\n", "--framing", "line", "--tls", "--runs", "10", "--out", scratch.path + "/none"],
                                  input: "", scratch: scratch, timeout: 120)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("fuzz epoll tls: 10 runs") && clean.output.contains("no failure"), "\(clean.output)")
        let out = scratch.path + "/found"
        let found = try await Piped.run(["fuzz", "--request", Self.longLine, "--framing", "line", "--tls", "--fault", "corrupt-echo",
                                   "--runs", "10", "--out", out], input: "", scratch: scratch, timeout: 120)
        #expect(found.status == 1, "\(found.output)")
        #expect(found.output.contains("reply (wrong reply)"), "\(found.output)")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".scn") })
        let scenario = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
        #expect(scenario.contains("server start epoll tls fault=corrupt-echo") && scenario.contains(" tls\n"), "\(scenario)")
    }

    @Test("the correct TLS server passes fuzz runs in every design, no false alarm")
    func noFalseAlarms() async throws {
        let scratch = Scratch()
        let fuzz = try await Piped.run(["fuzz", "--tls", "--mode", "all", "--seed", "1", "--runs", "8", "--out", scratch.path + "/out"],
                                 input: "", scratch: scratch, timeout: 240)
        #expect(fuzz.status == 0, "\(fuzz.output)")
        for mode in ["busy", "select", "epoll"] {
            #expect(fuzz.output.contains("fuzz \(mode) tls: 8 runs"), "\(fuzz.output)")
        }
    }
}
