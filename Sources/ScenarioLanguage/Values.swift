// The small value types commands carry: durations, sizes, rates, selectors and the closed
// vocabularies (server modes, stats, comparisons, percentiles, connection states).

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
    public var description: String { Render.duration(self) }
}

/// A number of bytes (`64`, `4KiB`, `10KB`).
public struct ByteSize: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }
    public init(integerLiteral value: Int) { bytes = value }

    public static func < (a: Self, b: Self) -> Bool { a.bytes < b.bytes }
    public var description: String { Render.size(self) }
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
    public var description: String { Render.rate(self) }
}

/// Which connections a command acts on.
public enum Selector: Sendable, Hashable, CustomStringConvertible {
    /// Every member of a group: `web`.
    case group(String)
    /// One member by 0-based index: `web[3]`.
    case member(String, index: Int)
    /// A closed range of members: `web[0..99]`.
    case range(String, indices: ClosedRange<Int>)
    /// Every open connection of every group: `*`.
    case all

    /// The group named, or nil for `*`.
    public var groupName: String? {
        switch self {
        case .group(let name), .member(let name, _), .range(let name, _): return name
        case .all: return nil
        }
    }

    public var description: String { Render.selector(self) }
}

/// The embedded server's event-loop backend.
public enum ServerMode: String, Sendable, Hashable, CaseIterable {
    case busy, select, epoll
}

/// A counter the embedded server reports; raw values are the names used in scenarios.
public enum ServerStat: String, Sendable, Hashable, CaseIterable {
    case accepted, active
    case peerEOFs = "peer_eofs"
    case resets
    case refusedOverLimit = "refused_over_limit"
    case shedEMFILE = "shed_emfile"
    case bytesIn = "bytes_in"
    case bytesOut = "bytes_out"
    case iterations
    case idleIterations = "idle_iterations"
    case queueHighWater = "queue_high_water"
    case otherErrors = "other_errors"
    /// Connection descriptors the server process holds, counted from outside the server's books.
    case descriptors
}

public enum Comparison: String, Sendable, Hashable, CaseIterable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    /// Whether `actual OP expected` holds.
    public func holds<T: Comparable>(_ actual: T, _ expected: T) -> Bool {
        switch self {
        case .equal: return actual == expected
        case .notEqual: return actual != expected
        case .less: return actual < expected
        case .lessOrEqual: return actual <= expected
        case .greater: return actual > expected
        case .greaterOrEqual: return actual >= expected
        }
    }
}

/// A latency bound is only ever an upper bound, so only `<` and `<=` exist (type-enforced).
public enum LatencyBound: String, Sendable, Hashable, CaseIterable {
    case less = "<"
    case lessOrEqual = "<="

    public var comparison: Comparison { self == .less ? .less : .lessOrEqual }
}

public enum Percentile: String, Sendable, Hashable, CaseIterable {
    case p50, p90, p99, p999, max

    /// The quantile in 0...1 (`max` is 1.0), as histogram libraries take it.
    public var quantile: Double {
        switch self {
        case .p50: return 0.5
        case .p90: return 0.9
        case .p99: return 0.99
        case .p999: return 0.999
        case .max: return 1.0
        }
    }
}

/// What `expect SEL eof|reset|open|refused|closed` waits for on each selected connection.
public enum ConnectionState: String, Sendable, Hashable, CaseIterable {
    /// The peer closed its sending side (read returned 0).
    case eof
    /// The peer reset the connection (ECONNRESET / RST).
    case reset
    /// The connection is established and not closed by either side.
    case open
    /// The connect attempt was refused (ECONNREFUSED).
    case refused
    /// The connection is fully closed, for whatever reason.
    case closed
}
