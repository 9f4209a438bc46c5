// Waiting off Swift Testing's threads.
//
// Swift Testing runs tests on a pool as wide as the machine has cores (two here). A test that
// blocks for long (a child process, a fuzz campaign paced by timeouts) holds one of them and
// keeps every other test waiting; run on a thread of its own, it leaves the pool free while the
// test is suspended.

import Foundation

public enum OffThread {
    /// Runs `body` on a thread of its own (8 MiB of stack, as a main thread has) and suspends
    /// the caller until it returns.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (done: CheckedContinuation<T, Never>) in
            let thread = Thread { done.resume(returning: body()) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// `run` for a body that throws: the error is rethrown to the caller.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await run { () -> Result<T, any Error> in Result { try body() } }.get()
    }
}
