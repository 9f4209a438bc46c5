// The quantities every layer reads and writes: durations, byte sizes and rates, exact (whole
// nanoseconds and bytes, a rate as written) and rendered in a form that parses back unchanged.

/// A non-negative span of time in whole nanoseconds (`250ms`, `1.5s`, `10us`, `1m`).
public struct ScenarioDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    /// Truncates below a nanosecond and saturates beyond Int64 nanoseconds (about 292 years).
    public init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        nanoseconds = overflow || overflow2 ? (seconds < 0 ? .min : .max) : total
    }

    public static let zero = ScenarioDuration(nanoseconds: 0)
    public static func microseconds(_ n: Int64) -> Self { Self(nanoseconds: n * 1_000) }
    public static func milliseconds(_ n: Int64) -> Self { Self(nanoseconds: n * 1_000_000) }
    public static func seconds(_ n: Int64) -> Self { Self(nanoseconds: n * 1_000_000_000) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var duration: Duration { .nanoseconds(nanoseconds) }

    public static func < (a: Self, b: Self) -> Bool { a.nanoseconds < b.nanoseconds }
    /// Canonical source form, e.g. `1500ms`; parses back to the same value.
    public var description: String { ValueText.duration(self) }
}

/// A number of bytes (`64`, `4KiB`, `10KB`).
public struct ByteSize: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }
    public init(integerLiteral value: Int) { bytes = value }

    public static func < (a: Self, b: Self) -> Bool { a.bytes < b.bytes }
    public var description: String { ValueText.size(self) }
}

/// `count` events every `per` (`5000/s` is 5000 per second, `10/ms` is 10 per millisecond).
/// Kept as written rather than as a Double so rendering reproduces it exactly.
public struct Rate: Sendable, Hashable, CustomStringConvertible {
    public var count: Int
    public var per: ScenarioDuration

    public init(count: Int, per: ScenarioDuration) {
        self.count = count
        self.per = per
    }

    public static func perSecond(_ count: Int) -> Rate { Rate(count: count, per: .seconds(1)) }

    public var perSecond: Double { Double(count) / per.seconds }
    /// Time between two events at this rate.
    public var interval: ScenarioDuration { ScenarioDuration(nanoseconds: per.nanoseconds / Int64(max(count, 1))) }
    public var description: String { ValueText.rate(self) }
}
