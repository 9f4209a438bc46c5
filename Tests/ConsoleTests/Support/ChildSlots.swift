// How many tests that drive `sockfuzz` children run at once.
//
// Swift Testing runs tests on a pool as wide as the machine has cores (two here). A test that
// blocked its thread while its child ran kept every other test waiting; these tests await their
// children instead (the blocking read runs on a thread of its own), which frees the pool, and
// then nothing would bound how many start together. The `.childSlot` trait does: each test case
// of a suite that carries it holds one slot while it runs, enough to overlap the waiting, few
// enough that a campaign's time budget means on a loaded 2-core machine what it means alone.
// A test holds one slot however many children it starts, so no test waits for a second one
// while holding the first (no deadlock). SOCKFUZZ_TEST_CHILDREN sets the number (default 3).

import Foundation
import Testing
import TestSupport

extension Slots {
    /// The slots of the tests that drive `sockfuzz` children.
    static let children = Slots(limit: ProcessInfo.processInfo.environment["SOCKFUZZ_TEST_CHILDREN"].flatMap { Int($0) }.map { max(1, $0) } ?? 3)
}

/// Each test case holds one of `Slots.children` while it runs, and then the descriptor gate
/// with `.children` access: its children's pipes, its servers and clients are descriptors of this process,
/// which a test counting descriptors or lowering the open-file limit must not see come and go.
/// (Run beside them ungated, console tests failed with EMFILE and descriptor counts were off by
/// one; once, Foundation's process monitor then waited for ever and hung the whole run.)
struct ChildSlotTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func scopeProvider(for test: Test, testCase: Test.Case?) -> ChildSlotTrait? {
        testCase == nil ? nil : self
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        GateLog.begin()
        let asked = GateLog.now()
        await Slots.children.acquire()
        defer { Slots.children.release() }
        try await DescriptorGate.with(.children) {
            let entered = GateLog.now()
            defer { GateLog.record(test.name, access: .children, asked: asked, entered: entered) }
            try await function()
        }
    }
}

extension Trait where Self == ChildSlotTrait {
    /// The suite's tests drive `sockfuzz` children: at most a few such tests run at once.
    static var childSlot: Self { ChildSlotTrait() }
}
