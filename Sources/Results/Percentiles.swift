// Round-trip percentiles in microseconds, as every report writes them (load, connect bursts,
// scenario groups, merged shares), worked out from a histogram of nanoseconds.

import Histogram

public struct Percentiles: Sendable, Codable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    /// The percentiles of a histogram of nanoseconds, in microseconds; nil when it is empty.
    public init?(nanoseconds h: Histogram<UInt64>) {
        guard h.totalCount > 0 else { return nil }
        func micros(_ p: Double) -> Double { Double(h.valueAtPercentile(p)) / 1000 }
        self.init(p50: micros(50), p90: micros(90), p99: micros(99), p999: micros(99.9), max: Double(h.max) / 1000)
    }

    public init(p50: Double, p90: Double, p99: Double, p999: Double, max: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }
}

/// The one shape of a latency histogram that is written, read back and merged: nanoseconds up
/// to an hour, three significant digits. Sized up front: a histogram that resizes itself does so
/// on the hot path, and encodings in one range merge without a header saying which.
public enum LatencyHistogram {
    public static func empty() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    }
}
