// Process-wide serialisation of tests that touch the descriptor table.
//
// `swift test` links every test target into one process and Swift Testing runs suites in
// parallel, so `.serialized` on one suite does not stop a test in another target from opening
// sockets while a server test counts descriptors or lowers RLIMIT_NOFILE. Tests that merely
// open and close descriptors take the gate shared; tests that count descriptors, rely on
// which number the kernel hands out next, or change the open-file limit take it exclusively.
// Waiting suspends (an actor), it never blocks a cooperative thread.

import Testing

public actor DescriptorGate {
    public static let process = DescriptorGate()
    /// The second gate, between the tests that drive `sockfuzz` children (ConsoleTests, shared,
    /// each for its whole run) and the few in-process tests that count descriptors or lower
    /// RLIMIT_NOFILE (exclusive, each for one test). Console tests open only a few descriptors
    /// (their children's pipes, a helper server's sockets), so the suites that hold `process`
    /// exclusively for their descriptor numbers or their many sockets run beside them; a test
    /// that counts or limits descriptors does not.
    public static let quiet = DescriptorGate()

    private var readers = 0
    private var writer = false
    private var waiters: [(exclusive: Bool, resume: CheckedContinuation<Void, Never>)] = []

    public func acquire(exclusive: Bool) async {
        if waiters.isEmpty && canEnter(exclusive: exclusive) {
            enter(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { waiters.append((exclusive, $0)) }
    }

    public func release(exclusive: Bool) {
        if exclusive { writer = false } else { readers -= 1 }
        // First come, first served: wake from the front while the next waiter fits.
        while let next = waiters.first, canEnter(exclusive: next.exclusive) {
            waiters.removeFirst()
            enter(exclusive: next.exclusive)
            next.resume.resume()
        }
    }

    private func canEnter(exclusive: Bool) -> Bool {
        exclusive ? (!writer && readers == 0) : !writer
    }

    private func enter(exclusive: Bool) {
        if exclusive { writer = true } else { readers += 1 }
    }

    /// Runs `body` holding the gate (`process` unless another is given).
    public static func with<R: Sendable>(_ gate: DescriptorGate = process, exclusive: Bool,
                                         _ body: @Sendable () async throws -> R) async rethrows -> R {
        await gate.acquire(exclusive: exclusive)
        do {
            let result = try await body()
            await gate.release(exclusive: exclusive)
            return result
        } catch {
            await gate.release(exclusive: exclusive)
            throw error
        }
    }
}

/// A trait that holds the descriptor gate around a suite (once, for all its tests) or around
/// each case of a test function.
public struct DescriptorGateTrait: TestTrait, SuiteTrait, TestScoping {
    public let exclusive: Bool
    public var gate = DescriptorGate.process

    public var isRecursive: Bool { false }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        // A suite: one scope around all of it. A test function: one per case.
        test.isSuite ? self : (testCase == nil ? nil : self)
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await DescriptorGate.with(gate, exclusive: exclusive, function)
    }
}

extension Trait where Self == DescriptorGateTrait {
    /// Opens and closes descriptors; may run beside other such tests.
    public static var sharesDescriptorTable: Self { DescriptorGateTrait(exclusive: false) }
    /// Counts descriptors, depends on descriptor numbers, or changes RLIMIT_NOFILE: runs alone.
    public static var ownsDescriptorTable: Self { DescriptorGateTrait(exclusive: true) }
    /// Counts descriptors or lowers RLIMIT_NOFILE: no test driving `sockfuzz` children runs
    /// beside it (they hold `DescriptorGate.quiet` shared).
    public static var needsQuietDescriptorTable: Self { DescriptorGateTrait(exclusive: true, gate: .quiet) }
}
