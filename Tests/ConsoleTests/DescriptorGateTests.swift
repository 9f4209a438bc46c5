// The one descriptor gate: who may hold it together, who waits, and who may pass a waiter.

import Foundation
import Testing
import TestSupport

@Suite("descriptor gate")
struct DescriptorGateTests {
    typealias Access = DescriptorGate.Access

    /// The holders (in a fixed order) and the waiters (in their order).
    func state(_ gate: DescriptorGate) async -> (holding: [Access], waiting: [Access]) {
        let rank: [Access: Int] = [.children: 0, .sockets: 1, .ownSockets: 2, .quiet: 3]
        return (await gate.holding.sorted { rank[$0]! < rank[$1]! }, await gate.waiting)
    }

    /// Starts an acquire of `access` in a task; returns once the gate lists it as holding or waiting.
    func start(_ gate: DescriptorGate, _ access: Access) async {
        let before = await gate.holding.count + gate.waiting.count
        _ = Task { await gate.acquire(access) }
        for _ in 0..<1000 where await gate.holding.count + gate.waiting.count == before {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    @Test("socket tests hold it together; a test that owns the sockets waits for them, and console tests pass it while it waits")
    func ownSocketsWaitsAndChildrenPass() async {
        let gate = DescriptorGate()
        await gate.acquire(.sockets)
        await gate.acquire(.sockets)
        await start(gate, .ownSockets)
        var now = await state(gate)
        #expect(now.holding == [.sockets, .sockets] && now.waiting == [.ownSockets])
        await start(gate, .children)
        now = await state(gate)
        #expect(now.holding == [.children, .sockets, .sockets], "a console test passes a waiting owner")
        await start(gate, .sockets)
        now = await state(gate)
        #expect(now.waiting == [.ownSockets, .sockets], "a socket test does not pass a waiting owner")
        await gate.release(.sockets)
        now = await state(gate)
        #expect(now.holding == [.children, .sockets] && now.waiting == [.ownSockets, .sockets])
        await gate.release(.sockets)
        now = await state(gate)
        #expect(now.holding == [.children, .ownSockets] && now.waiting == [.sockets])
        await gate.release(.ownSockets)
        now = await state(gate)
        #expect(now.holding == [.children, .sockets] && now.waiting.isEmpty)
    }

    @Test("a quiet test waits until nothing holds the gate, everyone passes it meanwhile, and nothing enters while it holds")
    func quietWaitsForEmpty() async {
        let gate = DescriptorGate()
        await gate.acquire(.children)
        await start(gate, .quiet)
        await start(gate, .sockets)
        await start(gate, .ownSockets)
        var now = await state(gate)
        #expect(now.holding == [.children, .sockets] && now.waiting == [.quiet, .ownSockets], "others pass the waiting quiet test, as the holders allow")
        await gate.release(.sockets)
        now = await state(gate)
        #expect(now.holding == [.children, .ownSockets] && now.waiting == [.quiet])
        await gate.release(.ownSockets)
        now = await state(gate)
        #expect(now.holding == [.children] && now.waiting == [.quiet], "still held by a console test")
        await gate.release(.children)
        now = await state(gate)
        #expect(now.holding == [.quiet] && now.waiting.isEmpty)
        await start(gate, .children)
        now = await state(gate)
        #expect(now.holding == [.quiet] && now.waiting == [.children], "nothing enters beside a quiet test")
        await gate.release(.quiet)
        now = await state(gate)
        #expect(now.holding == [.children] && now.waiting.isEmpty)
    }
}
