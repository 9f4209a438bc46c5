// Waiting for `--start-at`: sleeps in short slices (Ctrl-C still stops it) until the wall clock
// reaches the start time, and says how late a share began when it could not be on time.

import Glibc
import Syscalls
import Vocabulary

enum StartClock {
    /// Later than this after the start time, a share reports that it started late.
    static let toleranceNanos: Int64 = 100_000_000

    /// Waits until `start`; returns how many seconds late it is, or nil when on time.
    static func wait(until start: StartTime, interrupted: () -> Bool) -> Double? {
        while !interrupted() {
            let remaining = start.epochNanos - Sys.wallClockNanos()
            if remaining <= 0 { break }
            var slice = timespec(tv_sec: 0, tv_nsec: Int(min(remaining, 100_000_000)))
            nanosleep(&slice, nil)
        }
        let late = Sys.wallClockNanos() - start.epochNanos
        return late > toleranceNanos ? Double(late) / 1e9 : nil
    }
}
