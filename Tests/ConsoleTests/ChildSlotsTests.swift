// The bound on console tests at once: past the limit a test waits, suspended, until one ends.

import Foundation
import Testing
import TestSupport

@Suite("child slots")
struct ChildSlotsTests {
    @Test("past the limit an acquire waits until a slot is given back, then gets it; first come, first served")
    func waitsPastTheLimit() async {
        let slots = Slots(limit: 1)
        await slots.acquire()
        let order = Order()
        let first = Task { await slots.acquire(); order.append(1) }
        #expect(await waitUntilAsync { slots.waitingCount == 1 }, "the second acquire did not wait")
        let second = Task { await slots.acquire(); order.append(2) }
        #expect(await waitUntilAsync { slots.waitingCount == 2 }, "the third acquire did not wait")
        #expect(order.items.isEmpty)
        slots.release()
        await first.value
        #expect(slots.waitingCount == 1 && order.items == [1])
        slots.release()
        await second.value
        #expect(slots.waitingCount == 0 && order.items == [1, 2])
    }

    final class Order: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Int] = []
        func append(_ n: Int) { lock.withLock { list.append(n) } }
        var items: [Int] { lock.withLock { list } }
    }

    /// Polls `condition` (suspending between tries) for up to 10 s.
    func waitUntilAsync(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return condition()
    }
}
