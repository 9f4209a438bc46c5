// The command line as a user meets it: usage and syntax errors exit 2 with one line naming the
// argument or the file, line and column; `run` passes the examples and fails on a broken
// server. (`fuzz` finding a fault and `run` replaying it: FuzzCommandTests.)

import Foundation
import Testing

@Suite("The command line", .childSlot, .serialized)
struct CommandLineTests {
    @Test("a bad option exits 2 and names it")
    func badOption() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["run", "--mode", "nope", "x.scn"], input: "", scratch: scratch)
        #expect(run.status == 2)
        #expect(run.output.contains("'nope' is invalid for '--mode"), "\(run.output)")
        #expect(!run.output.contains("Fatal error"))
    }

    @Test("a missing scenario file exits 2 and names it")
    func missingFile() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["run", scratch.path + "/nothere.scn"], input: "", scratch: scratch)
        #expect(run.status == 2)
        #expect(run.output.contains("no such scenario file: \(scratch.path)/nothere.scn"), "\(run.output)")
    }

    @Test("a syntax error exits 2 with file:line:column before anything runs")
    func syntaxError() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/bad.scn"
        try "connect c 1\nsend c \"x\"\nexpect c[5] echo\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(run.status == 2)
        #expect(run.output.contains("\(file):3:"), "\(run.output)")
        #expect(!run.output.contains("connected"), "nothing ran")
    }

    @Test("an unreachable target exits 2 with one clear line")
    func unreachableTarget() async throws {
        let scratch = Scratch()
        let run = try await Piped.run(["run", Binary.packageRoot + "/scenarios/half-close.scn", "--target", "127.0.0.1:1"],
                                input: "", scratch: scratch)
        #expect(run.status == 2)
        #expect(run.output.contains("--target 127.0.0.1:1: cannot connect"), "\(run.output)")
        #expect(run.output.split(separator: "\n").count == 1, "\(run.output)")
    }

    @Test("run replays an example in every mode and writes JUnit; a broken echo fails at the line and byte")
    func runExample() async throws {
        let scratch = Scratch()
        let scenario = Binary.packageRoot + "/scenarios/random-fragmented.scn"
        let ok = try await Piped.run(["run", scenario, "--mode", "all", "--junit", scratch.path + "/out.xml"], input: "", scratch: scratch)
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("4 passed, 0 failed"), "\(ok.output)")
        #expect(ok.output.contains("[uring]"), "\(ok.output)")
        let xml = try String(contentsOfFile: scratch.path + "/out.xml", encoding: .utf8)
        #expect(xml.contains("tests=\"4\" failures=\"0\""))
        let broken = try await Piped.run(["run", scenario, "--fault", "corrupt-echo"], input: "", scratch: scratch)
        #expect(broken.status == 1)
        #expect(broken.output.contains("random-fragmented.scn:7:1: expect frag echo"), "\(broken.output)")
        #expect(broken.output.contains("first differing byte at offset 100"))
        #expect(broken.output.contains("seed 3"))
    }
}
