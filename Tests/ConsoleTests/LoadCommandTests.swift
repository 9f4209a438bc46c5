// `sockfuzz load` as a user meets it, through the built executable: exit 0 only when every
// connection echoed and every message came back verified; 1, with the reason, against servers
// that misbehave in one way each (each beside its correct twin); 2 for values out of bounds;
// 130 on SIGTERM or Ctrl-C, with the partial result printed and the JSON marked interrupted.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("sockfuzz load", .childSlot, .serialized)
struct LoadCommandTests {
    private func load(_ arguments: [String], timeout: Double = 60) async throws -> PipedRun {
        try await Piped.run(["load"] + arguments, input: "", scratch: Scratch(), timeout: timeout)
    }

    private func against(_ behaviour: Misbehaviour, _ arguments: [String] = []) async throws -> PipedRun {
        let server = try MisbehavingServer(behaviour)
        defer { server.stop() }
        // --connect-only has no measured time: it stops once the connections are open.
        let duration = arguments.contains("--connect-only") ? [] : ["--duration", "1s"]
        return try await load(["--target", server.address, "--connections", "3"] + duration + arguments)
    }

    // MARK: the embedded server and signals

    @Test("load against the embedded server exits 0 with its verdict, not killed by its own stop signal (was exit 140)",
          arguments: ["busy", "select", "epoll"])
    func embeddedPasses(_ mode: String) async throws {
        let run = try await load(["--mode", mode, "--connections", "5", "--depth", "2", "--duration", "1s"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("load: PASSED: 5 connection(s) echoed"), "\(run.output)")
    }

    @Test("SIGTERM stops a long load promptly: exit 130, the partial summary, the JSON marked interrupted")
    func sigtermStops() async throws {
        let scratch = Scratch()
        let json = scratch.path + "/load.json"
        let child = try RunningSockfuzz(["load", "--mode", "epoll", "--connections", "20", "--depth", "64",
                                         "--duration", "60s", "--json", json], scratch: scratch)
        #expect(await child.waitForOutput(containing: "load: 20 connections for 1m"), "\(child.output)")
        let signalled = nowNanos()
        child.signal(SIGTERM)
        let run = await child.finish(timeout: 30)
        #expect(run.status == 130, "\(run.output)")
        #expect(elapsedSeconds(since: signalled) < 15, "stopped \(elapsedSeconds(since: signalled)) s after SIGTERM")
        #expect(run.output.contains("load: 20 connections, 64 B messages"), "the partial summary: \(run.output)")
        #expect(run.output.contains("; interrupted"), "\(run.output)")
        #expect(run.output.contains("load: INTERRUPTED"), "\(run.output)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(record["interrupted"] as? Bool == true)
        #expect(record["passed"] as? Bool == false)
        #expect((record["load"] as? [String: Any])?["interrupted"] as? Bool == true)
    }

    @Test("Ctrl-C during load against a target exits 130 with the partial result marked interrupted (was exit 0)")
    func sigintAgainstTarget() async throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let scratch = Scratch()
        let child = try RunningSockfuzz(["load", "--target", server.address, "--connections", "2", "--duration", "60s"],
                                        scratch: scratch)
        #expect(await child.waitForOutput(containing: "load: 2 connections for 1m"), "\(child.output)")
        child.signal(SIGINT)
        let run = await child.finish(timeout: 30)
        #expect(run.status == 130, "\(run.output)")
        #expect(run.output.contains("load: 2 connections, 64 B messages") && run.output.contains("load: INTERRUPTED"), "\(run.output)")
    }

    // MARK: values out of bounds

    @Test("--rate values that cannot run are usage errors naming --rate",
          arguments: ["1e-300", "inf", "0", "1e300", "200M/s", "1/2h"])
    func badRate(_ value: String) async throws {
        let run = try await load(["--mode", "epoll", "--rate", value])
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("--rate"), "\(run.output)")
        #expect(run.output.contains("Usage: sockfuzz load"), "\(run.output)")
    }

    @Test("--rate in the language's syntax (10k/s) is accepted and runs")
    func rateSyntax() async throws {
        let run = try await load(["--mode", "epoll", "--connections", "2", "--rate", "10k/s", "--duration", "1s"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("rate 10000/s"), "\(run.output)")
    }

    @Test("an option the run would not read is a usage error naming it: --connect-only's sustained-load options, --request's echo deadline, an echo deadline past the connect phase's",
          arguments: [["--connect-only", "--depth", "8"], ["--connect-only", "--duration", "2s"], ["--connect-only", "--warmup", "1s"],
                      ["--connect-only", "--size", "4KiB"], ["--connect-only", "--hdr-log", "h.log"], ["--echo-timeout", "61s"],
                      ["--target", "127.0.0.1:9", "--request", "PING\\r\\n", "--framing", "line", "--echo-timeout", "1s"]])
    func unreadOptions(_ arguments: [String]) async throws {
        let run = try await load(arguments)
        let named = arguments.dropFirst(arguments[0] == "--connect-only" ? 1 : arguments.count - 2).first!
        #expect(run.status == 2 && run.output.contains("sockfuzz: \(named) "), "\(run.output)")
        #expect(!run.output.contains("connections to"), "nothing ran: \(run.output)")
    }

    @Test("--depth and --connections that could never be held are usage errors",
          arguments: [["--depth", "1000000000"], ["--depth", "65536", "--connections", "1000"], ["--connections", "100000000"]])
    func tooMuch(_ arguments: [String]) async throws {
        let run = try await load(["--mode", "epoll"] + arguments)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains(arguments[0]), "\(run.output)")
    }

    @Test("a scenario's load with depth=1G is a check error (exit 2), not hundreds of MB/s of growth")
    func scenarioDepth() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/deep.scn"
        try "server start epoll\nconnect a 1\nload a size=1 depth=1G duration=1s\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 30)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("depth"), "\(run.output)")
    }

    @Test("a scenario's load fails with the verdict's reasons on a corrupting server, and passes on the correct one (the twin)",
          arguments: [nil, "corrupt-echo"])
    func scenarioVerdict(_ fault: String?) async throws {
        let scratch = Scratch()
        let file = scratch.path + "/load.scn"
        try "server start epoll\nconnect a 2\nload a size=64 depth=2 duration=500ms\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file] + (fault.map { ["--fault", $0] } ?? []), input: "", scratch: scratch, timeout: 60)
        if fault == nil {
            #expect(run.status == 0, "\(run.output)")
        } else {
            #expect(run.status == 1, "\(run.output)")
            #expect(run.output.contains("corrupted 2; first error: connection"), "\(run.output)")
        }
    }

    @Test("a rate beyond what the client can send ends at its duration and says how much was not sent")
    func saturatedRate() async throws {
        let started = nowNanos()
        let run = try await load(["--mode", "epoll", "--connections", "2", "--rate", "100M/s", "--duration", "1s"])
        #expect(elapsedSeconds(since: started) < 30, "ran \(elapsedSeconds(since: started)) s for a 1 s load")
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("not sent") && run.output.contains("client saturated"), "\(run.output)")
    }

    @Test("the largest depth ends within its duration and the bounded drain")
    func deepestDepth() async throws {
        let started = nowNanos()
        let run = try await load(["--mode", "epoll", "--connections", "2", "--depth", "65536", "--duration", "1s"])
        #expect(elapsedSeconds(since: started) < 30, "ran \(elapsedSeconds(since: started)) s for a 1 s load")
        #expect(run.status == 0 || run.status == 1, "\(run.output)")
        #expect(run.output.contains("load: PASSED") || run.output.contains("load: FAILED"), "\(run.output)")
    }

    // MARK: third-party servers, each beside its twin

    @Test("a correct echo server passes, with load and with --connect-only (the twin)", arguments: [[], ["--connect-only"]])
    func echoTwin(_ extra: [String]) async throws {
        let run = try await against(.echo, extra + (extra.isEmpty ? ["--size", "4KiB"] : []))
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("load: PASSED: 3 connection(s) echoed"), "\(run.output)")
    }

    @Test("a server that never answers ends in bounded time, exit 1: no echo within --echo-timeout, not an echo server?",
          arguments: [Misbehaviour.neverReads, .silent], [[], ["--connect-only"]])
    func neverAnswers(_ behaviour: Misbehaviour, _ extra: [String]) async throws {
        let started = nowNanos()
        let run = try await against(behaviour, extra + ["--echo-timeout", "700ms"])
        #expect(elapsedSeconds(since: started) < 30)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("no echo within 0.7 s on 3 connection(s): not an echo server?"), "\(run.output)")
    }

    @Test("--echo-timeout takes the durations the language takes and refuses others, naming the option",
          arguments: ["0", "soon", "-1s"])
    func badEchoTimeout(_ value: String) async throws {
        let run = try await against(.echo, ["--echo-timeout", value])
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("--echo-timeout"), "\(run.output)")
    }

    @Test("an HTTP error page is not an echo: sent 'x', got 'H', exit 1 (--connect-only too)", arguments: [[], ["--connect-only"]])
    func httpErrorIsNoEcho(_ extra: [String]) async throws {
        let run = try await against(.httpError, extra)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("sent 'x', got 'H': not an echo server"), "\(run.output)")
    }

    @Test("garbage of the right length is not an echo: exit 1")
    func garbage() async throws {
        let run = try await against(.garbage)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("sent 'x', got '#': not an echo server"), "\(run.output)")
    }

    @Test("a server that resets or closes every connection is a failure (exit 1), not a usage error",
          arguments: [Misbehaviour.resetsEveryConnection, .closesAtOnce])
    func resets(_ behaviour: Misbehaviour) async throws {
        let run = try await against(behaviour)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("load: FAILED: 3 connection(s) failed"), "\(run.output)")
    }

    @Test("an echo cut short after 1024 bytes of 4 KiB messages leaves them unanswered: exit 1 (was exit 0)")
    func truncatedEcho() async throws {
        let run = try await against(.echoesFirst(1024), ["--size", "4KiB"])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("load: FAILED: unanswered 3"), "\(run.output)")
        #expect(run.output.contains("1023 of 4096 bytes echoed"), "\(run.output)")
    }

    @Test("a byte nobody asked for, after an echo, fails the run (exit 1)")
    func lateByte() async throws {
        let run = try await against(.lateByte(delayMillis: 300))
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("got '!'") || run.output.contains("unexpected byte(s)"), "\(run.output)")
    }
}
