// Property, in process: 10,000 seeded mutants of the example scenarios and command examples
// (ScenarioMutations) each parse to a program that survives render -> parse, or fail with an
// error located inside the file; none traps (a trap would end this test process).
// The same files, run through the built binary, are sampled in ConsoleTests/MutatedScenarioRunTests.

import Testing
@testable import ScenarioLanguage
import ScenarioMutations

@Suite("Mutated scenario files")
struct MutatedScenarioTests {
    /// Fixed so a failure replays; the executable layer uses the same seed and so the same files.
    static let seed: UInt64 = 0x5CE7_A210

    @Test("10,000 mutated example files give a program or a located error")
    func parseOrLocatedError() {
        let mutator = ScenarioMutator(seed: Self.seed)
        var failures = 0
        var parsed = 0
        for index in 0..<10_000 {
            let file = mutator.file(index)
            // Invalid UTF-8 never reaches the parser from a file (the reader rejects it); parsing
            // its lossy decoding still puts U+FFFD and friends in front of the lexer.
            let problem = violation(for: file.text)
            if problem == nil, (try? parse(file.text)) != nil { parsed += 1 }
            guard let problem else { continue }
            failures += 1
            if failures <= 5 {
                Issue.record("""
                    seed \(Self.seed), file #\(index) (corpus entry \(file.base); \(file.mutations.joined(separator: "; "))): \(problem)
                    \(file.literal)
                    """)
            }
        }
        print("MutatedScenarioTests: seed \(Self.seed), \(parsed) of 10,000 mutated files parse, \(failures) failed the property")
        #expect(failures == 0, "seed \(Self.seed): \(failures) of 10,000 mutated files failed")
        // The mix must keep both outcomes common, or the property says little about one of them.
        #expect((1_000...9_000).contains(parsed), "\(parsed) of 10,000 mutated files parse")
    }

    @Test("the number mutations reach inside units, ranges and rates")
    func digitRuns() {
        let words = ["5s", "4KiB", "200", "5000/s", "0..99", "1.5s", "web[0..9]", "rate=3/10s"]
        let runs = words.map { word in ScenarioMutator.digitRuns(word).map { String(word[$0]) } }
        #expect(runs == [["5"], ["4"], ["200"], ["5000"], ["0", "99"], ["1.5"], ["0", "9"], ["3", "10"]])
    }
}
