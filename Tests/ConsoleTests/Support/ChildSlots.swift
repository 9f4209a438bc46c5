// How many tests that drive `sockfuzz` children run at once, and waiting off Swift Testing's
// threads.
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

final class ChildSlots: @unchecked Sendable {
    static let shared = ChildSlots(limit: ProcessInfo.processInfo.environment["SOCKFUZZ_TEST_CHILDREN"].flatMap { Int($0) }.map { max(1, $0) } ?? 3)

    private let lock = NSLock()
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { free = limit }

    /// Waits (suspended) until a slot is free, and takes it. First come, first served.
    func acquire() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            lock.lock()
            if waiting.isEmpty && free > 0 {
                free -= 1
                lock.unlock()
                waiter.resume()
            } else {
                waiting.append(waiter)
                lock.unlock()
            }
        }
    }

    /// How many are waiting for a slot now.
    var waitingCount: Int { lock.withLock { waiting.count } }

    /// Gives a slot back: to the longest waiting, else to the pool.
    func release() {
        lock.lock()
        if waiting.isEmpty {
            free += 1
            lock.unlock()
        } else {
            let next = waiting.removeFirst()
            lock.unlock()
            next.resume()
        }
    }
}

/// Each test case holds one of ChildSlots' slots while it runs, and then the quiet descriptor
/// gate shared: its children's pipes, its servers and clients are descriptors of this process,
/// which a test counting descriptors or lowering the open-file limit must not see come and go.
/// (Run beside them ungated, console tests failed with EMFILE and descriptor counts were off by
/// one; once, Foundation's process monitor then waited for ever and hung the whole run.)
struct ChildSlotTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func scopeProvider(for test: Test, testCase: Test.Case?) -> ChildSlotTrait? {
        testCase == nil ? nil : self
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await ChildSlots.shared.acquire()
        defer { ChildSlots.shared.release() }
        try await DescriptorGate.with(.quiet, exclusive: false, function)
    }
}

extension Trait where Self == ChildSlotTrait {
    /// The suite's tests drive `sockfuzz` children: at most a few such tests run at once.
    static var childSlot: Self { ChildSlotTrait() }
}

enum OffThread {
    /// Runs `body` on a thread of its own and suspends the caller until it returns.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (done: CheckedContinuation<T, Never>) in
            let thread = Thread { done.resume(returning: body()) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
