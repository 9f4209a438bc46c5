// A counting semaphore for async tests: at most `limit` holders at once, first come, first
// served, waiting suspended (never blocking one of Swift Testing's few threads).

import Foundation

public final class Slots: @unchecked Sendable {
    private let lock = NSLock()
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { free = limit }

    /// Waits (suspended) until a slot is free, and takes it. First come, first served.
    public func acquire() async {
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
    public var waitingCount: Int { lock.withLock { waiting.count } }

    /// Gives a slot back: to the longest waiting, else to the pool.
    public func release() {
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

    /// Runs `body` holding a slot.
    public func with<R: Sendable>(_ body: @Sendable () async throws -> R) async rethrows -> R {
        await acquire()
        defer { release() }
        return try await body()
    }
}
