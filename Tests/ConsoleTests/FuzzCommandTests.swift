// `sockfuzz fuzz` as a user meets it, through the built executable: bad option values and an
// unwritable --out exit 2 before any traffic; a finding is always written, named and replayable;
// a target that resets or sends late bytes is a finding (exit 1) and a correct one is not; a
// liveness --expect that the server's answer never matches is said up front (exit 2).

import Foundation
import Testing
import TestSupport

@Suite("sockfuzz fuzz through the executable", .childSlot, .serialized)
struct FuzzCommandTests {
    @Test("--timeout 0, --timeout 1ns and --max-send 0 are usage errors naming the option",
          arguments: [["--timeout", "0"], ["--timeout", "1ns"], ["--max-send", "0"], ["--timeout", "soon"]])
    func badValuesExit2(_ option: [String]) async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["fuzz", "--runs", "1", "--out", scratch.path + "/out"] + option, input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains(option[0]), "\(run.output)")
        #expect(!run.output.contains("fuzz epoll: seed"), "nothing ran: \(run.output)")
    }

    /// Each fuzzer reads its own options; one given to a fuzzer that never reads it would promise
    /// a campaign that did not run, so it is refused, named, before any traffic.
    static let optionsOfAnotherFuzzer: [(given: [String], said: String)] = [
        (["--request", "PING\\n", "--framing", "line", "--connections", "4"], "--connections shapes the echo and replies fuzzers"),
        (["--request", "PING\\n", "--framing", "line", "--weights", "send=5"], "--weights shapes the echo and replies fuzzers"),
        (["--request", "PING\\n", "--framing", "line", "--timeout", "1s"], "--timeout shapes the echo and replies fuzzers"),
        (["--request", "PING\\n", "--framing", "line", "--max-send", "1KiB"], "--max-send shapes the echo and replies fuzzers"),
        (["--request", "PING\\n", "--framing", "line", "--mask", "zzz"], "in content fuzzing it goes with --reference"),
        (["--request", "PING\\n", "--framing", "line", "--mode", "all"], "content fuzzing runs one server"),
        (["--oracle", "echo", "--spawn", "sleep 100 {port}"], "--spawn goes with content fuzzing"),
        (["--oracle", "replies", "--request", "PING\\n", "--framing", "line", "--hang-timeout", "9s"], "--hang-timeout goes with content fuzzing"),
        (["--probe", "PING\\n", "--expect", "PONG"], "--probe goes with --oracle liveness or content, not --oracle echo"),
        (["--oracle", "replies", "--request", "PING\\n", "--framing", "line", "--expect", "PONG"], "--expect goes with --oracle liveness or content"),
    ]

    @Test("an option only another fuzzer reads is a usage error naming it, before any run",
          arguments: optionsOfAnotherFuzzer.indices)
    func anotherFuzzersOptionExits2(_ i: Int) async throws {
        let (given, said) = Self.optionsOfAnotherFuzzer[i]
        let scratch = Scratch()
        let run = try await Piped.run(["fuzz", "--runs", "3", "--out", scratch.path + "/out"] + given, input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 2 && run.output.contains(said), "\(given): \(run.output)")
        #expect(!run.output.contains(": seed "), "nothing ran: \(run.output)")
    }

    @Test("a fuzz statement's seed= decides its campaign whatever run --seed says (a replay passes the session's seed), and its failure names it")
    func statementSeedDecidesTheCampaign() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/seeded.scn"
        try "fuzz runs=3 connections=2 seed=7\n".write(toFile: file, atomically: true, encoding: .utf8)
        // The statement writes its finding to ./fuzz-failures: run it from the scratch folder.
        for seed in ["1", "99"] {
            let run = try await Piped.run(["run", "--seed", seed, "--fault", "corrupt-echo", file], in: scratch.path)
            #expect(run.status == 1 && run.output.contains("fuzz runs (seed 7)"), "\(run.output)")
        }
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/fuzz-failures/fuzz-epoll-seed7-run0.scn"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/fuzz-failures/fuzz-epoll-seed99-run0.scn"))
    }

    @Test("a fuzz statement fuzzes the edge-triggered server it follows: the report and the finding's server say edge")
    func statementKeepsEdge() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/edge.scn"
        try "server start epoll edge\nfuzz runs=3 connections=2 seed=1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", "--fault", "corrupt-echo", file], in: scratch.path)
        #expect(run.status == 1, "\(run.output)")
        let finding = try String(contentsOfFile: scratch.path + "/fuzz-failures/fuzz-epoll-seed1-run0.scn", encoding: .utf8)
        #expect(finding.contains("against epoll edge fault=corrupt-echo") && finding.contains("server start epoll edge fault=corrupt-echo"), "\(finding)")
    }

    @Test("a campaign that made no run checked nothing: exit 2, and the JSON does not say passed", arguments: [[], ["--request", "GET k\\n", "--framing", "line"]])
    func noRunIsNoPass(_ extra: [String]) async throws {
        let scratch = Scratch()
        let json = scratch.path + "/fuzz.json"
        let run = try await Piped.run(["fuzz", "--runs", "100", "--duration", "1ns", "--json", json, "--out", scratch.path + "/out"] + extra,
                                      input: "", scratch: scratch)
        #expect(run.status == 2 && run.output.contains("no run was made") && run.output.contains("nothing was checked"), "\(run.output)")
        let document = try String(contentsOfFile: json, encoding: .utf8)
        #expect(document.contains("\"passed\" : false"), "\(document)")
        // The statement in a scenario fails the same way.
        let file = scratch.path + "/short.scn"
        try "fuzz runs=100 duration=1ns\n".write(toFile: file, atomically: true, encoding: .utf8)
        let statement = try await Piped.run(["run", file], in: scratch.path)
        #expect(statement.status == 1 && statement.output.contains("expected: at least one fuzz run"), "\(statement.output)")
    }

    @Test("finding budgets outside their ranges are usage errors naming the option",
          arguments: [["--shrink-attempts", "0"], ["--replays", "0"], ["--replays", "101"], ["--shrink-time", "10ms"]])
    func badBudgetsExit2(_ option: [String]) async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["fuzz", "--runs", "1", "--out", scratch.path + "/out"] + option, input: "", scratch: scratch)
        #expect(run.status == 2 && run.output.contains(option[0]), "\(run.output)")
    }

    @Test("an --out that cannot be made exits 2 with the reason, before any run")
    func unwritableOutExits2() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["fuzz", "--runs", "1", "--out", "/proc/nope"], input: "", scratch: scratch)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("--out /proc/nope: cannot create the directory /proc/nope"), "\(run.output)")
        #expect(!run.output.contains("fuzz epoll: seed"), "nothing ran: \(run.output)")
    }

    @Test("a missing --out folder is made; a finding is written, named, and `run` replays the file to the same failure")
    func findingIsWrittenAndReplays() async throws {
        let scratch = Scratch()
        let out = scratch.path + "/deep/er/found"
        // The plumbing, with a small budget: how far a finding shrinks is FaultDetectionTests' proof.
        let fuzz = try await Piped.run(["fuzz", "--mode", "epoll", "--fault", "edge-single-read", "--seed", "1", "--runs", "1",
                                  "--timeout", "1s", "--shrink-time", "3s", "--replays", "2", "--out", out],
                                 input: "", scratch: scratch, timeout: 180)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        let file = out + "/fuzz-epoll-seed1-run0.scn"
        #expect(fuzz.output.contains("scenario written to \(file)"), "\(fuzz.output)")
        // The run's failure is not named as a file that was never written.
        #expect(fuzz.output.contains("<fuzz seed 1 run 0>:"), "\(fuzz.output)")
        #expect(!fuzz.output.contains("fuzz-run-"), "\(fuzz.output)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("# reproduced "), "\(text)")
        #expect(text.contains(" of 2 replays"), "--replays sets the count: \(text)")
        let replay = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(replay.status == 1, "parses and fails: \(replay.output)")
        #expect(replay.output.contains("\(file):"), "\(replay.output)")
        // Which connection strands the bytes depends on how far the small budget shrank it.
        #expect(replay.output.contains(#/expect c\[\d+\] echo/#), "\(replay.output)")
        #expect(replay.output.contains("incomplete at the deadline"), "the stranded bytes: \(replay.output)")
    }

    @Test("a target that resets every connection is a finding (exit 1), written")
    func resettingTargetIsAFinding() async throws {
        let server = try MisbehavingServer(.resetsEveryConnection)
        defer { server.stop() }
        let scratch = Scratch()
        let out = scratch.path + "/found"
        let fuzz = try await Piped.run(["fuzz", "--target", server.address, "--runs", "3", "--timeout", "1s", "--out", out],
                                 input: "", scratch: scratch, timeout: 180)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        #expect(fuzz.output.contains("FAILED"), "\(fuzz.output)")
        #expect(fuzz.output.contains("scenario written to \(out)/fuzz-target-seed1-run"), "\(fuzz.output)")
    }

    @Test("the twin: a correct echo target passes a few runs (exit 0)")
    func echoTargetPasses() async throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let scratch = Scratch()
        let fuzz = try await Piped.run(["fuzz", "--target", server.address, "--runs", "3", "--max-send", "64KiB",
                                  "--out", scratch.path + "/found"], input: "", scratch: scratch, timeout: 180)
        #expect(fuzz.status == 0, "\(fuzz.output)")
        #expect(fuzz.output.contains("3 runs"), "\(fuzz.output)")
        #expect(fuzz.output.contains("no failure"), "\(fuzz.output)")
    }

    /// Needs the session to count bytes that arrive after an echo completed as extra (issue 9,
    /// item 8, fixed in the runner): until then this fails, and says so.
    @Test("a target that sends a byte 300 ms after each echo is a finding (exit 1)")
    func lateByteTargetIsAFinding() async throws {
        let server = try MisbehavingServer(.lateByte(delayMillis: 300))
        defer { server.stop() }
        let scratch = Scratch()
        // A small shrink budget: every candidate waits out this server's 300 ms per echo.
        let fuzz = try await Piped.run(["fuzz", "--target", server.address, "--runs", "5", "--max-send", "64KiB",
                                  "--timeout", "2s", "--shrink-time", "1s", "--replays", "1", "--out", scratch.path + "/found"],
                                 input: "", scratch: scratch, timeout: 240)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        // Shown as extra bytes at a check, or (this server delays its next echo while it
        // waits to send the byte) as a wrong byte inside a later echo.
        #expect(fuzz.output.contains("(extra bytes)") || fuzz.output.contains("(wrong byte)"), "\(fuzz.output)")
    }

    @Test("a liveness --expect that the answer does not match exits 2 up front, showing the answer")
    func wrongLivenessPatternExits2() async throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let scratch = Scratch()
        let wrong = try await Piped.run(["fuzz", "--target", server.address, "--oracle", "liveness", "--probe", "PING\\r\\n",
                                   "--expect", "\\+PONG", "--timeout", "500ms", "--runs", "2", "--out", scratch.path + "/found"],
                                  input: "", scratch: scratch, timeout: 60)
        #expect(wrong.status == 2, "\(wrong.output)")
        #expect(wrong.output.contains("does not match --expect '\\+PONG'"), "\(wrong.output)")
        #expect(wrong.output.contains("\"PING.."), "the answer seen: \(wrong.output)")
        #expect(!wrong.output.contains("shrinking"), "\(wrong.output)")
        // The twin: a pattern the answer matches fuzzes and passes.
        let right = try await Piped.run(["fuzz", "--target", server.address, "--oracle", "liveness", "--probe", "PING\\r\\n",
                                   "--expect", "PING", "--runs", "2", "--max-send", "64KiB", "--out", scratch.path + "/found"],
                                  input: "", scratch: scratch, timeout: 120)
        #expect(right.status == 0, "\(right.output)")
    }

    @Test("a failure its own program does not show again is kept while the search goes on; the one that reproduces is shrunk")
    func unconfirmedFailureGivesWayToOneThatReproduces() async throws {
        // Connection 2 is garbled once (run 0 fails; its reruns open later connections and
        // pass), and every connection from 60 on is garbled (a later run fails every time).
        let server = try MisbehavingServer(.garblesConnections(once: 2, from: 60))
        defer { server.stop() }
        let scratch = Scratch()
        let fuzz = try await Piped.run(["fuzz", "--target", server.address, "--runs", "40", "--max-send", "16KiB",
                                  "--timeout", "1s", "--out", scratch.path + "/found"], input: "", scratch: scratch, timeout: 240)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        #expect(fuzz.output.contains("run 0's failure came back in only 0 of 3 reruns"), "\(fuzz.output)")
        #expect(fuzz.output.contains("minimal failing program"), "the later one was shrunk: \(fuzz.output)")
        #expect(!fuzz.output.contains("FAILED (seed 1, run 0)"), "\(fuzz.output)")
    }

    @Test("the twin: when nothing reproduces, the first failure is still written, unshrunk, saying so (exit 1)")
    func unconfirmedFailureIsStillWritten() async throws {
        let server = try MisbehavingServer(.garblesConnections(once: 2, from: nil))
        defer { server.stop() }
        let scratch = Scratch()
        let out = scratch.path + "/found"
        let fuzz = try await Piped.run(["fuzz", "--target", server.address, "--runs", "6", "--max-send", "16KiB",
                                  "--timeout", "1s", "--out", out], input: "", scratch: scratch, timeout: 240)
        #expect(fuzz.status == 1, "\(fuzz.output)")
        #expect(fuzz.output.contains("FAILED (seed 1, run 0)"), "\(fuzz.output)")
        #expect(fuzz.output.contains("failing program, not shrunk"), "\(fuzz.output)")
        let text = try String(contentsOfFile: out + "/fuzz-target-seed1-run0.scn", encoding: .utf8)
        #expect(text.contains("# reproduced 0 of 5 replays: a fresh replay does not fail"), "\(text)")
    }

    @Test("interrupted while shrinking: exit 130, the file says NOT shrunk to the end and not replayed, and the JSON says passed false")
    func interruptedWhileShrinking() async throws {
        let scratch = Scratch()
        let out = scratch.path + "/found"
        let fuzz = try RunningSockfuzz(["fuzz", "--mode", "epoll", "--fault", "edge-single-read", "--seed", "1", "--timeout", "1s",
                                        "--out", out, "--json", scratch.path + "/fuzz.json"], scratch: scratch)
        #expect(await fuzz.waitForOutput(containing: "then shrinking"), "\(fuzz.output)")
        fuzz.signal(SIGINT)
        let ended = await fuzz.finish(timeout: 60)
        #expect(ended.status == 130, "\(ended.output)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".scn") }, "\(ended.output)")
        let text = try String(contentsOfFile: out + "/" + name, encoding: .utf8)
        #expect(text.hasPrefix("# sockfuzz fuzz: a failing program, NOT shrunk"), "\(text)")
        #expect(text.contains("# NOT shrunk to the end: interrupted after"), "\(text)")
        #expect(text.contains("not replayed (interrupted): a fresh replay's result is unknown"), "\(text)")
        #expect(!text.contains("reproduced 0 of 5"), "\(text)")
        let json = try String(contentsOfFile: scratch.path + "/fuzz.json", encoding: .utf8)
        #expect(json.contains("\"passed\" : false") || json.contains("\"passed\":false"), "\(json.prefix(400))")
    }
}
