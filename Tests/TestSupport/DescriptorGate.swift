// Process-wide serialisation of tests that touch the descriptor table.
//
// `swift test` links every test target into one process and Swift Testing runs suites in
// parallel, so `.serialized` on one suite does not stop a test in another target from opening
// sockets while a server test counts descriptors or lowers RLIMIT_NOFILE. Tests that merely
// open and close descriptors take the gate shared; tests that count descriptors, rely on
// which number the kernel hands out next, or change the open-file limit take it exclusively.
// Waiting suspends (an actor), it never blocks a cooperative thread.

import Foundation
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
/// each case of a test function; with `quiet`, the quiet gate too, taken first (the order every
/// holder of both keeps, so none waits for the other: the quiet gate waits out the console tests
/// running now while the in-process tests go on, and the process gate is held only after).
public struct DescriptorGateTrait: TestTrait, SuiteTrait, TestScoping {
    public let exclusive: Bool
    public var quiet = false

    public var isRecursive: Bool { false }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        // A suite: one scope around all of it. A test function: one per case.
        test.isSuite ? self : (testCase == nil ? nil : self)
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        let asked = GateLog.now()
        if quiet {
            try await DescriptorGate.with(.quiet, exclusive: true) {
                try await holdingProcessGate(test, asked: asked, function)
            }
        } else {
            try await holdingProcessGate(test, asked: asked, function)
        }
    }

    private func holdingProcessGate(_ test: Test, asked: Double, _ function: @Sendable () async throws -> Void) async throws {
        try await DescriptorGate.with(.process, exclusive: exclusive) {
            let entered = GateLog.now()
            defer { GateLog.record(test.name, gates: quiet ? "quiet+process" : "process", exclusive: exclusive, asked: asked, entered: entered) }
            try await function()
        }
    }
}

extension Trait where Self == DescriptorGateTrait {
    /// Opens and closes descriptors; may run beside other such tests.
    public static var sharesDescriptorTable: Self { DescriptorGateTrait(exclusive: false) }
    /// Depends on descriptor numbers or opens very many: runs alone among in-process tests.
    public static var ownsDescriptorTable: Self { DescriptorGateTrait(exclusive: true) }
    /// Counts descriptors or lowers RLIMIT_NOFILE: runs alone, and no test driving `sockfuzz`
    /// children runs beside it (they hold `DescriptorGate.quiet` shared).
    public static var needsQuietDescriptorTable: Self { DescriptorGateTrait(exclusive: true, quiet: true) }
}

/// With SOCKFUZZ_GATE_LOG set, each hold of a gate is written to standard error (when it was
/// asked for, entered and left, in seconds since the first): the serial chain of a test run.
public enum GateLog {
    static let enabled = getenv("SOCKFUZZ_GATE_LOG") != nil
    static let start = now()

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func record(_ name: String, gates: String, exclusive: Bool, asked: Double, entered: Double) {
        guard enabled else { return }
        let line = String(format: "gate %@ %@ asked %.1f entered %.1f left %.1f: %@\n", gates, exclusive ? "exclusive" : "shared",
                          asked - start, entered - start, now() - start, name)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
