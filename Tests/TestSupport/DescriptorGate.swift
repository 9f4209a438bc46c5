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

    /// Runs `body` holding the gate.
    public static func with<R: Sendable>(exclusive: Bool, _ body: @Sendable () async throws -> R) async rethrows -> R {
        await process.acquire(exclusive: exclusive)
        do {
            let result = try await body()
            await process.release(exclusive: exclusive)
            return result
        } catch {
            await process.release(exclusive: exclusive)
            throw error
        }
    }
}

/// A trait that holds the descriptor gate around a suite (once, for all its tests) or around
/// each case of a test function.
public struct DescriptorGateTrait: TestTrait, SuiteTrait, TestScoping {
    public let exclusive: Bool

    public var isRecursive: Bool { false }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        // A suite: one scope around all of it. A test function: one per case.
        test.isSuite ? self : (testCase == nil ? nil : self)
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await DescriptorGate.with(exclusive: exclusive, function)
    }
}

extension Trait where Self == DescriptorGateTrait {
    /// Opens and closes descriptors; may run beside other such tests.
    public static var sharesDescriptorTable: Self { DescriptorGateTrait(exclusive: false) }
    /// Counts descriptors, depends on descriptor numbers, or changes RLIMIT_NOFILE: runs alone.
    public static var ownsDescriptorTable: Self { DescriptorGateTrait(exclusive: true) }
}
