// The shrinker on synthetic failures (no network): it keeps only what the failure needs and
// makes each remaining operation as small as it can.

import Testing
@testable import Fuzzing

@Suite("shrinking")
struct ShrinkerTests {
    /// A stand-in bug: the "server" fails when a paused connection is sent at least 1000 bytes.
    static func failsLikeAStall(_ ops: [FuzzOp]) -> Bool {
        var model = ProgramModel()
        var paused = Set<Int>()
        for op in ops where model.applies(op, maxConnections: 64) {
            model.apply(op)
            switch op {
            case .pause(let c): paused.insert(c)
            case .resume(let c): paused.remove(c)
            case .send(let c, let size, _, _) where paused.contains(c) && size >= 1000: return true
            default: break
            }
        }
        return false
    }

    @Test("a long failing program shrinks to the three operations the failure needs")
    func shrinksToTheEssentials() {
        let ops: [FuzzOp] = [
            .connect(count: 4), .send(conn: 0, size: 300, chunks: 3, gapMillis: 2), .sleep(millis: 7),
            .check(conn: 0), .pause(conn: 2), .send(conn: 1, size: 50, chunks: 1, gapMillis: 0),
            .halfClose(conn: 3), .send(conn: 2, size: 70_000, chunks: 5, gapMillis: 3), .reset(conn: 1),
            .resume(conn: 2), .close(conn: 0),
        ]
        #expect(Self.failsLikeAStall(ops))
        let shrinker = Shrinker(deadlineNanos: .max, reproduces: Self.failsLikeAStall)
        let outcome = shrinker.shrink(ops, now: { 0 })
        #expect(Self.failsLikeAStall(outcome.ops))
        // Sizes shrink by halving while the failure holds: 70000 -> ... -> 1093 (546 would pass).
        #expect(outcome.ops == [.connect(count: 1), .pause(conn: 0), .send(conn: 0, size: 1093, chunks: 1, gapMillis: 0)],
                "got \(outcome.ops)")
        #expect(outcome.steps > 0)
        #expect(!outcome.exhaustedBudget)
    }

    @Test("the budget of attempts bounds the search")
    func budgetIsRespected() {
        var calls = 0
        let ops: [FuzzOp] = (0..<40).map { _ in .sleep(millis: 1) } + [.connect(count: 1)]
        let shrinker = Shrinker(maxAttempts: 5, deadlineNanos: .max, reproduces: { _ in calls += 1; return false })
        let outcome = shrinker.shrink(ops, now: { 0 })
        #expect(calls == 5)
        #expect(outcome.attempts == 5)
        #expect(outcome.exhaustedBudget)
        #expect(outcome.ops == ops)
    }

    @Test("connections nothing refers to are dropped and the rest renumbered")
    func compaction() {
        let ops: [FuzzOp] = [.connect(count: 3), .connect(count: 2), .reset(conn: 4), .send(conn: 1, size: 5, chunks: 1, gapMillis: 0)]
        #expect(Shrinker.compacted(ops) == [.connect(count: 1), .connect(count: 1), .reset(conn: 1),
                                             .send(conn: 0, size: 5, chunks: 1, gapMillis: 0)])
        #expect(Shrinker.compacted([.connect(count: 1), .check(conn: 0)]) == nil)
    }
}
