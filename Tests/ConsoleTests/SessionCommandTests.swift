// The scenario session's semantics through the built `sockfuzz`: `target` while a server runs,
// the server lifecycle, sends on ended connections, extra bytes after an echo, the read
// cursor, and check-time limits on `connect` — each with its exit status and message.

import Foundation
import Testing
import TestSupport

@Suite("Session semantics through the binary", .childSlot, .serialized)
struct SessionCommandTests {
    /// Writes `text` as a scenario in `scratch` and runs `sockfuzz run FILE ARGS...`.
    private func run(_ text: String, _ arguments: [String] = [], scratch: Scratch, timeout: Double = 60) async throws -> (PipedRun, String) {
        let file = scratch.path + "/s-\(UInt32.random(in: 0...UInt32.max)).scn"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return (try await Piped.run(["run", file] + arguments, input: "", scratch: scratch, timeout: timeout), file)
    }

    // MARK: item 1, target while the embedded server runs

    @Test("target at the console (which always starts a server) points later connects at it")
    func targetAtTheConsole() async throws {
        let server = try MisbehavingServer(.echo)
        defer { server.stop() }
        let scratch = Scratch()
        let run = try await Piped.run([], input: "target \(server.address)\nconnect r 2\nsend r \"hi\"\nexpect r echo within 2s\nquit\n",
                                scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("Fatal error"), "\(run.output)")
    }

    @Test("target after server start in a file sends later connects to the target, and says what it dropped")
    func targetAfterServerStart() async throws {
        let scratch = Scratch()
        let body = { (address: String) in
            "server start epoll\nconnect a 1\ntarget \(address)\nconnect r 2\nsend r \"hi\"\nexpect r echo within 1s\n"
        }
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let (ok, _) = try await run(body(echo.address), ["-v"], scratch: scratch)
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("the embedded epoll server stopped (1 open connection dropped)"), "\(ok.output)")
        // The twin: a silent target fails the echo, so the connects really went there.
        let silent = try MisbehavingServer(.silent)
        defer { silent.stop() }
        let (bad, _) = try await run(body(silent.address), scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
    }

    // MARK: item 4 and 5, connect counts and rates checked before anything runs

    @Test("a connect that would take thousands of hours is a check error at its rate, not a trap",
          arguments: ["1/10000h", "1/2562047h"])
    func hugeSpread(rate: String) async throws {
        let scratch = Scratch()
        let (result, file) = try await run("connect b 2000 rate=\(rate)\n", scratch: scratch)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("\(file):1:21: 2000 connections at \(rate) would take"), "\(result.output)")
        #expect(result.output.contains("at most 24 h"), "\(result.output)")
    }

    @Test("a connect count the process can never hold is a check error naming the limit",
          arguments: ["connect a 20M", "connect pipe 1G"])
    func impossibleCount(line: String) async throws {
        let scratch = Scratch()
        let (result, file) = try await run(line + "\n", scratch: scratch, timeout: 30)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("\(file):1:"), "\(result.output)")
        #expect(result.output.contains("can never be open at once"), "\(result.output)")
        #expect(result.output.contains("RLIMIT_NOFILE"), "\(result.output)")
        #expect(result.output.contains("two descriptors"), "\(result.output)")
        #expect(!result.output.contains("connected"), "nothing ran: \(result.output)")
    }

    // MARK: item 7, sending on an ended connection

    @Test("send after close fails with the reason; the twin without close passes")
    func sendAfterClose() async throws {
        let scratch = Scratch()
        let (closed, file) = try await run("connect a 1\nclose a\nsend a \"hello\"\nexpect a echo\n", scratch: scratch)
        #expect(closed.status == 1, "\(closed.output)")
        #expect(closed.output.contains("\(file):3:1: send a \"hello\" failed"), "\(closed.output)")
        #expect(closed.output.contains("a[0] is closed (closed by us at line 2): nothing can be sent"), "\(closed.output)")
        #expect(!closed.output.contains("intact"), "\(closed.output)")
        let (open, _) = try await run("connect a 1\nsend a \"hello\"\nexpect a echo\n", scratch: scratch)
        #expect(open.status == 0, "\(open.output)")
    }

    @Test("send after halfclose fails: nothing queued after a FIN can go out")
    func sendAfterHalfClose() async throws {
        let scratch = Scratch()
        let (result, _) = try await run("connect a 1\nhalfclose a\nsend a \"hello\"\n", scratch: scratch)
        #expect(result.status == 1, "\(result.output)")
        // Closed or still half-closed, depending on how fast the peer answers the FIN.
        #expect(result.output.contains("(half-closed by us at line 2): nothing can be sent"), "\(result.output)")
    }

    // MARK: item 8, extra bytes after a completed echo

    /// The scenario waits (inside the run) long past the late byte's 300 ms, then ends.
    private let lateByteScenario = "connect a 1\nsend a \"hellohello\"\nexpect a echo within 5s\nsleep 2s\n"

    @Test("a byte that arrives after the echo completed fails the run at the end; the echo twin passes")
    func extraByteAtTheEnd() async throws {
        let scratch = Scratch()
        let late = try MisbehavingServer(.lateByte(delayMillis: 300))
        defer { late.stop() }
        let (bad, file) = try await run(lateByteScenario, ["--target", late.address], scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("\(file):3:1: expect a echo within 5s failed"), "\(bad.output)")
        #expect(bad.output.contains("a[0]: 1 unexpected byte after the echo completed: [21] \"!\""), "\(bad.output)")
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let (good, _) = try await run(lateByteScenario, ["--target", echo.address], scratch: scratch)
        #expect(good.status == 0, "\(good.output)")
    }

    @Test("extra bytes fail the next check on that connection")
    func extraByteAtTheNextCheck() async throws {
        let scratch = Scratch()
        let late = try MisbehavingServer(.lateByte(delayMillis: 300))
        defer { late.stop() }
        let (bad, file) = try await run(lateByteScenario + "expect a open\n", ["--target", late.address], scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("\(file):5:1: expect a open failed"), "\(bad.output)")
        #expect(bad.output.contains("1 unexpected byte after the echo completed"), "\(bad.output)")
    }

    // MARK: item 11, one server lifecycle

    @Test("after server stop connects are refused, and the report names the mode and fault that ran")
    func serverStopThenRefused() async throws {
        let scratch = Scratch()
        let text = "server start select fault=leak-on-reset\nconnect a 1\nsend a \"hi\"\nexpect a echo\n"
            + "server stop\nconnect b 1\nexpect b refused within 2s\n"
        let (result, _) = try await run(text, ["-v"], scratch: scratch)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("server stopped; 1 open connection dropped; later connects to 127.0.0.1:"), "\(result.output)")
        #expect(result.output.contains("[select fault=leak-on-reset]"), "\(result.output)")
        #expect(!result.output.contains("[epoll]"), "\(result.output)")
    }

    @Test("server mode that drops open connections says so")
    func serverModeSaysWhatItDropped() async throws {
        let scratch = Scratch()
        let (result, _) = try await run("server start epoll\nconnect a 2\nserver mode busy\nconnect b 1\nexpect b open within 2s\n",
                                  ["-v"], scratch: scratch)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("restarted: 2 open connections dropped; server busy listening on"), "\(result.output)")
        #expect(result.output.contains("[busy]"), "\(result.output)")
    }

    // MARK: item 12, a resetting target is the server's behaviour (exit 1), not usage (exit 2)

    @Test("a target that resets every connection fails the run with exit 1")
    func resettingTarget() async throws {
        let scratch = Scratch()
        let server = try MisbehavingServer(.resetsEveryConnection)
        defer { server.stop() }
        let (result, _) = try await run("connect a 2\nsend a \"hi\"\nexpect a echo within 2s\n", ["--target", server.address],
                                  scratch: scratch)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("reset"), "\(result.output)")
    }

    // MARK: item 14, one read cursor per connection

    @Test("expect echo moves the cursor: a recv of the same bytes then fails and says why")
    func echoConsumes() async throws {
        let scratch = Scratch()
        let (result, _) = try await run("connect a 1\nsend a \"hello\"\nexpect a echo\nexpect a recv \"hello\" within 200ms\n",
                                  scratch: scratch)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("expect echo at line 3 already consumed"), "\(result.output)")
    }

    @Test("skip and drain move the cursor past bytes no check wants")
    func skipAndDrain() async throws {
        let scratch = Scratch()
        let text = "connect a 1\nsend a \"hello world\"\nexpect a skip 6 within 2s\nexpect a recv \"world\" within 2s\n"
            + "send a \"again\"\nexpect a echo within 2s\nexpect a drain\n"
        let (ok, _) = try await run(text, scratch: scratch)
        #expect(ok.status == 0, "\(ok.output)")
        // The twin: without the skip, recv sees "hello" first and fails at the differing byte.
        let (bad, _) = try await run("connect a 1\nsend a \"hello world\"\nexpect a recv \"world\" within 2s\n", scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("first differing byte at offset 0"), "\(bad.output)")
    }

    // MARK: item 20, expect server after target

    @Test("expect server after target is a check error; against --target it is a stated skip")
    func expectServerAfterTarget() async throws {
        let scratch = Scratch()
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let (checked, file) = try await run("target \(echo.address)\nexpect server accepted == 0\n", scratch: scratch)
        #expect(checked.status == 2, "\(checked.output)")
        #expect(checked.output.contains("\(file):2:8: 'expect server' reads the embedded server, but 'target' at line 1"),
                "\(checked.output)")
        // The file checks something else too: a run whose every check is skipped checked nothing
        // (exit 2, RunCommandTests.everyCheckSkippedIsNoPass).
        let (skipped, _) = try await run("connect a 1\nexpect server accepted >= 1\nexpect a open\n", ["--target", echo.address, "-v"], scratch: scratch)
        #expect(skipped.status == 0, "\(skipped.output)")
        #expect(skipped.output.contains("skipped against third-party target"), "\(skipped.output)")
    }

    // MARK: echo tracking is kept for echo checks

    @Test("an echo check inside a repeat still catches a corrupt echo")
    func echoInRepeatCatchesCorruption() async throws {
        let scratch = Scratch()
        let text = "connect a 1\nrepeat 2 {\n    send a random 4KiB\n    expect a echo within 2s\n}\n"
        let (bad, _) = try await run(text, ["--fault", "corrupt-echo"], scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("first differing byte"), "\(bad.output)")
        let (good, _) = try await run(text, scratch: scratch)
        #expect(good.status == 0, "\(good.output)")
    }
}
