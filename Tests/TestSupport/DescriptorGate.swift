// Process-wide serialisation of tests that touch the descriptor table.
//
// `swift test` links every test target into one process and Swift Testing runs suites in
// parallel, so `.serialized` on one suite does not stop a test in another target from opening
// sockets while a server test counts descriptors or lowers RLIMIT_NOFILE. One gate, taken with
// the access a test needs (`Access`): tests that open and close sockets share it, and tests that
// drive `sockfuzz` children share it with those and with the in-process tests that need the low
// descriptor numbers; a test that counts descriptors or lowers the limit has it alone. One gate,
// so a test never holds one while waiting for another. Waiting suspends (an actor), it never
// blocks a cooperative thread.

import Foundation
import Testing

public actor DescriptorGate {
    public static let process = DescriptorGate()

    /// What a holder does with the descriptor table.
    public enum Access: Sendable {
        /// A test driving `sockfuzz` children: a few descriptors of its own (pipes, a helper server).
        case children
        /// Opens and closes sockets in this process.
        case sockets
        /// Needs the low descriptor numbers or opens very many: no other in-process socket test.
        case ownSockets
        /// Counts descriptors or lowers RLIMIT_NOFILE: nothing else at all.
        case quiet

        func allows(_ other: Access) -> Bool {
            switch (self, other) {
            case (.quiet, _), (_, .quiet): false
            case (.children, _), (_, .children): true
            case (.sockets, .sockets): true
            default: false
            }
        }
    }

    private var holders: [Access] = []
    private var waiters: [(access: Access, resume: CheckedContinuation<Void, Never>)] = []

    public init() {}

    /// What holds the gate now, and what waits (for tests of the gate).
    public var holding: [Access] { holders }
    public var waiting: [Access] { waiters.map(\.access) }

    public func acquire(_ access: Access) async {
        if canEnter(access, behind: waiters.map(\.access).filter { $0 != .quiet }) {
            holders.append(access)
            return
        }
        await withCheckedContinuation { waiters.append((access, $0)) }
    }

    public func release(_ access: Access) {
        holders.remove(at: holders.firstIndex(of: access)!)
        // A waiter enters when the holders allow it and it gets ahead only of waiters it allows
        // (a console test passes a waiting in-process exclusive one), or quiet ones: a quiet test
        // waits for a moment when nothing holds the gate, and everyone passes it meanwhile, since
        // making the others wait for it would empty the machine for as long as the longest test
        // then running (tens of seconds, for a quiet test of a second or two). It runs when the
        // others are done, if not before.
        var ahead: [Access] = []
        var index = 0
        while index < waiters.count {
            let next = waiters[index]
            if canEnter(next.access, behind: ahead) {
                waiters.remove(at: index)
                holders.append(next.access)
                next.resume.resume()
            } else {
                if next.access != .quiet { ahead.append(next.access) }
                index += 1
            }
        }
    }

    private func canEnter(_ access: Access, behind ahead: [Access]) -> Bool {
        holders.allSatisfy { $0.allows(access) } && ahead.allSatisfy { $0.allows(access) }
    }

    /// Runs `body` holding the gate with `access`.
    public static func with<R: Sendable>(_ access: Access, _ body: @Sendable () async throws -> R) async rethrows -> R {
        await process.acquire(access)
        do {
            let result = try await body()
            await process.release(access)
            return result
        } catch {
            await process.release(access)
            throw error
        }
    }
}

/// A trait that holds the descriptor gate around each test case (or, for quiet access on a
/// suite, once around all of it).
public struct DescriptorGateTrait: TestTrait, SuiteTrait, TestScoping {
    public let access: DescriptorGate.Access

    /// (Swift Testing's experimental SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH must stay
    /// unset: it would let the cases waiting for the gate fill every slot while a quiet suite,
    /// holding the gate, waits for a slot for its own cases.)
    /// On a suite, quiet access is held once around all of it (one wait for a moment when nothing
    /// else runs); any other access is held around each test case, so that a suite does not hold
    /// the gate while its own tests wait their turn.
    public var isRecursive: Bool { access != .quiet }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        if access == .quiet { return test.isSuite ? self : (testCase == nil ? nil : self) }
        return testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        GateLog.begin()
        let asked = GateLog.now()
        try await DescriptorGate.with(access) {
            let entered = GateLog.now()
            defer { GateLog.record(test.name, access: access, asked: asked, entered: entered) }
            try await function()
        }
    }
}

extension Trait where Self == DescriptorGateTrait {
    /// Opens and closes descriptors; may run beside other such tests.
    public static var sharesDescriptorTable: Self { DescriptorGateTrait(access: .sockets) }
    /// Depends on descriptor numbers or opens very many: runs alone among in-process tests.
    public static var ownsDescriptorTable: Self { DescriptorGateTrait(access: .ownSockets) }
    /// Counts descriptors or lowers RLIMIT_NOFILE: runs alone, with no test driving `sockfuzz`
    /// children beside it either.
    public static var needsQuietDescriptorTable: Self { DescriptorGateTrait(access: .quiet) }
}

/// With SOCKFUZZ_GATE_LOG set, each hold of a gate is written to standard error (when it was
/// asked for, entered and left, in seconds since the first): the serial chain of a test run.
public enum GateLog {
    static let enabled = getenv("SOCKFUZZ_GATE_LOG") != nil
    static let start = now()

    /// Starts the log's clock (at the first hold asked for, so that no time is negative).
    public static func begin() { _ = start }

    public static func now() -> Double { Double(nowNanos()) / 1e9 }

    public static func record(_ name: String, access: DescriptorGate.Access, asked: Double, entered: Double) {
        guard enabled else { return }
        let line = String(format: "gate %@ asked %.1f entered %.1f left %.1f: %@\n", "\(access)",
                          asked - start, entered - start, now() - start, name)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
