// A wait stalls once nothing moved for the limit: any movement, on a connection or in the
// embedded server, starts the count again.

import Testing
@testable import ScenarioRunner

@Suite("stall watch")
struct StallWatchTests {
    static let second: UInt64 = 1_000_000_000

    /// A watch with a 2 s limit, started at 0 from progress 5 and server movement 0 (a count of
    /// accepts stands for the server's counters); the closure asks it at a time.
    static func watch() -> (UInt64, Int, UInt64) -> Bool {
        var watch = StallWatch(limitNanos: 2 * second, progress: 5, server: 0, now: 0)
        return { progress, server, now in watch.stalled(progress: progress, server: server, now: now) }
    }

    @Test("nothing moving for the limit is a stall; a moment less is not")
    func stillForTheLimit() {
        let look = Self.watch()
        #expect(!look(5, 0, 2 * Self.second - 1))
        #expect(look(5, 0, 2 * Self.second))
    }

    @Test("a connection's progress starts the count again")
    func connectionProgressRestarts() {
        let look = Self.watch()
        #expect(!look(6, 0, Self.second))
        #expect(!look(6, 0, 2 * Self.second))
        #expect(look(6, 0, 3 * Self.second))
    }

    @Test("the embedded server's counters moving start the count again")
    func serverMovementRestarts() {
        let look = Self.watch()
        #expect(!look(5, 1, Self.second))
        #expect(!look(5, 1, 2 * Self.second))
        #expect(look(5, 1, 3 * Self.second))
    }
}
