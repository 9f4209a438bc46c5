// The small value types commands carry: selectors and the closed vocabularies of the language
// (comparisons, percentiles, connection states). Quantities and server names are in Vocabulary.

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

/// The embedded server's event-loop backend, as scenarios name it.
public typealias ServerMode = BackendKind

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

/// What `expect SEL eof|reset|open|refused|closed|truncated` waits for on each selected connection.
public enum ConnectionState: String, Sendable, Hashable, CaseIterable, Codable {
    /// The peer closed its sending side (read returned 0); over TLS, with close_notify.
    case eof
    /// The peer reset the connection (ECONNRESET / RST).
    case reset
    /// The connection is established and not closed by either side.
    case open
    /// The connect attempt was refused (ECONNREFUSED).
    case refused
    /// The connection is fully closed, for whatever reason.
    case closed
    /// TLS: the peer closed without close_notify (a truncation the data cannot be told from).
    case truncated
}
