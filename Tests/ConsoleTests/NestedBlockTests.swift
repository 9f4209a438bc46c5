// Nested `repeat` blocks cost what they run, no more: deep nests of blocks that run once finish
// at once (asking each block's body two questions separately once doubled the work per level),
// a nest that would run 2^40 times stops on SIGTERM at once (no I/O to notice the signal in),
// and nesting past the limit is a located syntax error instead of a stack overflow.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Nested repeat blocks through the executable", .childSlot, .serialized)
struct NestedBlockTests {
    static func nest(_ levels: Int, count: Int, body: String) -> String {
        "server start epoll\nconnect a 1\n" + String(repeating: "repeat \(count) {\n", count: levels) + body + "\n"
            + String(repeating: "}\n", count: levels)
    }

    @Test("30 levels of blocks that run once take no longer than one level")
    func deepNestRunsOnce() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/nest.scn"
        try (Self.nest(30, count: 1, body: "send a \"x\"") + "expect a echo within 5s\n").write(toFile: file, atomically: true, encoding: .utf8)
        let started = nowNanos()
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 0, "\(run.output)")
        // 2^30 walks took minutes; one walk takes milliseconds. The bound is for a loaded machine.
        #expect(elapsedSeconds(since: started) < 20, "\(run.output)")
    }

    @Test("SIGTERM stops 40 levels of repeat 2 at once: exit 130")
    func deepNestIsInterruptible() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/forever.scn"
        try Self.nest(40, count: 2, body: "print \"x\"").write(toFile: file, atomically: true, encoding: .utf8)
        let running = try RunningSockfuzz(["run", file], scratch: scratch)
        #expect(await running.waitForOutput(containing: "x", timeout: 30), "\(running.output)")
        running.signal(SIGTERM)
        let run = await running.finish(timeout: 10)
        #expect(run.status == 130, "\(run.output)")
    }

    @Test("blocks nested more than 100 deep are a syntax error at the 101st, in a file and piped")
    func tooDeep() async throws {
        let scratch = Scratch()
        let text = Self.nest(5000, count: 1, body: "send a \"x\"")
        let file = scratch.path + "/deep.scn"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 2 && run.output.contains("deep.scn:103:1: 'repeat' blocks nested more than 100 deep"), "\(run.output)")
        let piped = try await Piped.run([], input: text, scratch: scratch, timeout: 60)
        #expect(piped.status == 2 && piped.output.contains("<stdin>:103:1: 'repeat' blocks nested more than 100 deep"), "\(piped.output)")
    }
}
