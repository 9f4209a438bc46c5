// The content shrinker on a synthetic failure (no network): a long request is made short before
// anything else, so that even a small budget leaves no request whose effect could depend on how
// the kernel cuts it into reads.

import ScenarioRunner
import Testing
@testable import Fuzzing

@Suite("shrinking a content finding")
struct ContentShrinkerTests {
    /// The stand-in bug: a connection that sends a request starting with "CRASH" fails.
    static func fails(_ inputs: [ContentCase]) -> ContentJudgement? {
        let crashes = inputs.contains { $0.requests.contains { $0.starts(with: Array("CRASH".utf8)) } }
        return crashes ? ContentJudgement(kind: FailureKind(check: .crash, how: .processExited), seen: "exited", outcomes: []) : nil
    }

    /// What the mutator offers for a line with one long argument: the argument cut to one
    /// byte, or to half.
    static func simpler(_ request: [UInt8]) -> [[UInt8]] {
        guard let space = request.firstIndex(of: UInt8(ascii: " ")) else { return [] }
        let head = Array(request[...space])
        let value = Array(request[(space + 1)...].dropLast(2))
        guard value.count > 1 else { return [] }
        return [1, value.count / 2].map { head + value.prefix($0) + Array("\r\n".utf8) }
    }

    static func shrink(_ inputs: [ContentCase], attempts: Int) -> ContentShrinker.Outcome {
        let shrinker = ContentShrinker(maxAttempts: attempts, deadlineNanos: .max, reproduces: fails, simplifications: simpler,
                                       interrupted: { false })
        return shrinker.shrink(inputs, fails(inputs)!)
    }

    /// Sixteen connections; the ninth sends the 64 KiB request that fails.
    static let longFinding = (0..<16).map { i in
        i == 8 ? ContentCase([Array("PING\r\n".utf8), Array(("CRASH " + String(repeating: "9", count: 65_537) + "\r\n").utf8),
                              Array("GET k\r\n".utf8)])
            : ContentCase([Array("PING\r\n".utf8), Array("SET k \(i)\r\n".utf8)])
    }

    @Test("a 64 KiB request is cut below 1 KiB first, within a budget of 4 candidates")
    func longRequestFirst() {
        let outcome = Self.shrink(Self.longFinding, attempts: 4)
        let longest = outcome.inputs.flatMap(\.requests).map(\.count).max() ?? 0
        #expect(longest <= ContentShrinker.longRequest, "longest request left: \(longest) bytes")
        #expect(Self.fails(outcome.inputs) != nil)
    }

    @Test("with a full budget the finding ends as the one request it needs, one byte of argument")
    func fullBudget() {
        let outcome = Self.shrink(Self.longFinding, attempts: 200)
        #expect(outcome.inputs == [ContentCase([Array("CRASH 9\r\n".utf8)])])
    }

    @Test("a long request the failure needs is kept as it is")
    func neededLength() {
        // Fails only while the argument is at least 60,000 bytes: no shorter variant reproduces.
        let long = Array(("CRASH " + String(repeating: "9", count: 65_537) + "\r\n").utf8)
        let shrinker = ContentShrinker(
            maxAttempts: 50, deadlineNanos: .max,
            reproduces: { inputs in
                inputs.contains { $0.requests.contains { $0.count > 60_000 } } ? Self.fails(inputs) : nil
            },
            simplifications: Self.simpler, interrupted: { false })
        let outcome = shrinker.shrink([ContentCase([long])], Self.fails([ContentCase([long])])!)
        #expect(outcome.inputs == [ContentCase([long])])
    }
}
