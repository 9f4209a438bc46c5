// Time and waiting: a monotonic clock, deadlines, and a condition poller. Tests wait on
// conditions with generous deadlines and never sleep a fixed time for correctness.

import Glibc
import Syscalls

public func nowNanos() -> UInt64 { Sys.monotonicNanos() }

public func seconds(_ s: Double) -> UInt64 { UInt64(s * 1_000_000_000) }

public func millis(_ ms: Int) -> UInt64 { UInt64(ms) * 1_000_000 }

/// Seconds elapsed since `start` (monotonic nanoseconds).
public func elapsedSeconds(since start: UInt64) -> Double {
    Double(Sys.monotonicNanos() &- start) / 1e9
}

/// Sleeps the calling thread (for pacing, never for correctness).
public func sleepMillis(_ ms: Int) {
    var request = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// Polls `condition` every millisecond or so until it holds or `timeout` seconds pass.
/// Returns whether it held. The condition is checked once more at the deadline.
@discardableResult
public func waitUntil(timeout: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Sys.monotonicNanos() + seconds(timeout)
    var pause = 1
    while true {
        if try condition() { return true }
        if Sys.monotonicNanos() >= deadline { return try condition() }
        sleepMillis(pause)
        pause = min(pause * 2, 10)
    }
}

/// A deadline on the monotonic clock.
public struct Deadline: Sendable {
    public let nanos: UInt64
    public init(secondsFromNow s: Double) { nanos = Sys.monotonicNanos() + seconds(s) }
    public var hasPassed: Bool { Sys.monotonicNanos() >= nanos }
    /// Milliseconds left, at least 0, for poll(2).
    public var remainingMillis: Int32 {
        let now = Sys.monotonicNanos()
        guard nanos > now else { return 0 }
        return Int32(min((nanos - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }
}

/// Milliseconds from `start` to `end` on the monotonic clock, negative when `end` is earlier
/// (never traps, unlike UInt64 subtraction).
public func millisBetween(_ start: UInt64, _ end: UInt64) -> Double {
    (Double(end) - Double(start)) / 1e6
}
