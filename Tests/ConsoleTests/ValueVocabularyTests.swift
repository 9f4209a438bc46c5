// One vocabulary on every surface (issue 20 items 14-15): the command line reads durations,
// counts, rates and seeds with the language's parser, in the same forms (`2s`, `1k`, `5000`,
// `0x2a`), and every rejection says why; `load` offers only the designs it measures.

import Foundation
import Testing

@Suite("Values: the same forms on the command line and in the language", .childSlot)
struct ValueVocabularyTests {
    /// Runs `sockfuzz ARGUMENTS`; its status and output.
    private func sockfuzz(_ arguments: [String], _ scratch: Scratch) async throws -> PipedRun {
        try await Piped.run(arguments, input: "", scratch: scratch)
    }

    @Test("counts take k and M, durations need a unit everywhere, seeds take 0x: each option reads the language's forms")
    func commandLineForms() async throws {
        let scratch = Scratch()
        // Each command fails only on the option named last, so the values before it were read.
        let bench = try await sockfuzz(["bench", "--duration", "2s", "--warmup", "500ms", "--runs", "1k", "--only", "9"], scratch)
        #expect(bench.status == 2 && bench.output.contains("--only 9: expected section numbers"), "\(bench.output)")
        let load = try await sockfuzz(["load", "--connections", "1k", "--inflight", "2k", "--depth", "1", "--duration", "10ms", "--size", "2MiB"], scratch)
        #expect(load.status == 2 && load.output.contains("--size must be 1 byte to 1 MiB"), "\(load.output)")
        let fuzz = try await sockfuzz(["fuzz", "--runs", "1k", "--connections", "4", "--seed", "0x2a", "--replays", "1k"], scratch)
        #expect(fuzz.status == 2 && fuzz.output.contains("--replays must be"), "\(fuzz.output)")
    }

    @Test("every rejected value says why")
    func rejectionsSayWhy() async throws {
        let scratch = Scratch()
        let cases: [([String], String)] = [
            (["bench", "--duration", "2"], "duration '2' needs a unit, like 2ms or 2s"),
            (["load", "--duration", "1"], "duration '1' needs a unit, like 1ms or 1s"),
            (["load", "--connections", "many"], "expected a count like 200 or 10k, got 'many'"),
            (["fuzz", "--runs", "1q"], "expected a count like 200 or 10k, got '1q'"),
            (["load", "--rate", "fast"], "expected a rate like 5000, 5000/s or 10k/s (a bare count is per second), got 'fast'"),
            (["run", "--seed", "0xg", "x.scn"], "expected a seed like 42 or 0x2a (up to 2^64-1), got '0xg'"),
            (["serve", "--port", "70000"], "expected a port 0-65535, got '70000'"),
            (["bench", "--runs", "0"], "must be above zero"),
            // --from measures nothing: a measurement's option would be taken and ignored.
            (["bench", "--from", "docs/benchmarks.json", "--only", "3"], "--only is for a new measurement: --from prints an earlier report"),
            (["bench", "--from", "docs/benchmarks.json", "--json", "b.json"], "--json is for a new measurement"),
        ]
        for (arguments, why) in cases {
            let run = try await sockfuzz(arguments, scratch)
            #expect(run.status == 2 && run.output.contains(why), "\(arguments): \(run.output)")
        }
    }

    @Test("a scenario's rate takes a bare count per second, as --rate does")
    func bareRateInTheLanguage() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/rate.scn"
        try "connect a 2 rate=5000\nsend a \"x\"\nexpect a echo\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await sockfuzz(["run", file], scratch)
        #expect(run.status == 0, "\(run.output)")
    }

    @Test("load offers and takes one design: no --mode all in its help, and all is refused with the choices")
    func loadModes() async throws {
        let scratch = Scratch()
        let help = try await sockfuzz(["load", "--help"], scratch)
        let modeLines = help.output.split(separator: "\n").drop { !$0.contains("--mode <mode>") }.prefix(2).joined(separator: "\n")
        #expect(modeLines.contains("busy, select, epoll or uring") && !modeLines.contains("all"), "\(modeLines)")
        let all = try await sockfuzz(["load", "--mode", "all"], scratch)
        #expect(all.status == 2 && all.output.contains("'all' is invalid for '--mode <mode>'") && all.output.contains("'epoll'"), "\(all.output)")
    }
}
