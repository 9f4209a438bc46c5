// The check deadline shrinking uses, learned from how long the checks that held took: a failing
// candidate then fails in a fraction of a second instead of waiting out the generous deadline
// the written file keeps (5 s by default), which is where shrinking spent its minutes.

struct LearnedDeadline {
    /// A check that held, timed from the previous statement's end to its own: it includes the
    /// send before it, so it overstates the round trip, never understates it.
    private(set) var samples: [UInt64] = []
    /// Bounds the memory of a long fuzz session; the newest samples win.
    static let keep = 4096
    /// Never shorter than this: scheduling noise on a loaded machine.
    static let floorNanos: UInt64 = 250_000_000
    /// Headroom over the slowest round trip seen (p99): load varies while shrinking runs.
    static let factor: UInt64 = 4

    mutating func record(_ nanos: [UInt64]) {
        samples += nanos
        if samples.count > Self.keep { samples.removeFirst(samples.count - Self.keep) }
    }

    /// The 99th percentile of the samples, nil before any check held.
    var p99: UInt64? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
    }

    /// max(floor, factor × p99) rounded up to a millisecond, never above `ceiling` (the
    /// configured deadline); the ceiling itself when nothing was learned.
    func deadline(ceiling: UInt64) -> UInt64 {
        guard let p99 else { return ceiling }
        let (scaled, overflow) = p99.multipliedReportingOverflow(by: Self.factor)
        let learned = max(Self.floorNanos, overflow ? .max : scaled)
        guard learned < ceiling else { return ceiling }
        // Whole milliseconds: it is printed and written into the file's header.
        return min(ceiling, (learned + 999_999) / 1_000_000 * 1_000_000)
    }
}
