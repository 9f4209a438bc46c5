// Waiting for one descriptor with poll(2) until a monotonic deadline: how the connections that
// live outside any event loop (probes, references, content fuzz executions) wait.

import Glibc

extension Sys {
    /// Waits for `events` on `fd` until the monotonic `deadline`: the events that came (POLLHUP
    /// and POLLERR among them), nil when the deadline passed first or poll failed.
    public static func wait(_ fd: Int32, for events: Int16, until deadline: UInt64) -> Int16? {
        while true {
            let now = monotonicNanos()
            guard now < deadline else { return nil }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let millis = Int32(min(1000, (deadline - now + 999_999) / 1_000_000))
            let n = Glibc.poll(&p, 1, millis)
            if n > 0 { return p.revents }
            if n < 0 && errno != EINTR { return nil }
        }
    }

    /// Waits for `events` on `fd` until the monotonic `deadline`; false when it passed first.
    public static func poll(_ fd: Int32, for events: Int16, until deadline: UInt64) -> Bool {
        wait(fd, for: events, until: deadline) != nil
    }
}
