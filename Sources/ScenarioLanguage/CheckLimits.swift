// Bounds the checker enforces that depend on the machine running the scenario. The language
// does no I/O: the executable fills them in (from RLIMIT_NOFILE); library callers get none.

import Foundation

public struct CheckLimits: Sendable, Equatable {
    /// Most connections one `connect` can ever hold open at once; nil: no limit known.
    public var maxConnections: Int?
    /// Why that is the limit, for the error message ("the open-file hard limit is 1024 ...").
    public var reason: String

    /// `--target` or `--spawn` replaces every `target` line, so a `${NAME}` in one that the
    /// environment does not define is no error (the line is ignored when it runs).
    public var targetsReplaced = false

    public init(maxConnections: Int?, reason: String, targetsReplaced: Bool = false) {
        self.maxConnections = maxConnections
        self.reason = reason
        self.targetsReplaced = targetsReplaced
    }

    public static let none = CheckLimits(maxConnections: nil, reason: "")

    /// The limits of share `segment` of a scenario, which opens about 1/n of each connect: a
    /// connect of up to n × the limit fits (its share is at most ceil(count / n)).
    public func forShare(_ segment: ExecutionSegment) -> CheckLimits {
        guard let most = maxConnections, !segment.isWhole else { return self }
        let scaled = most.multipliedReportingOverflow(by: segment.count)
        return CheckLimits(maxConnections: scaled.overflow ? Int.max : scaled.partialValue,
                           reason: reason + "; share \(segment) opens 1/\(segment.count) of each connect")
    }

    /// The longest a paced `connect` may take to start its connections (count / rate).
    public static let maxConnectSpreadSeconds: Double = 24 * 3600
}

/// What the checker knows at a line, carried across lines, blocks, includes and REPL entries.
struct CheckState: Sendable, Equatable {
    var groups: GroupTable
    /// Where a `target` pointed connects at a third-party server (nil: the embedded server, or
    /// none yet). `server start` and `server mode` clear it.
    var targetAt: SourceLocation?
    var limits: CheckLimits
    /// Names made by `capture=` on earlier lines, which `${name}` may refer to.
    var captures: Set<String> = []
    /// Where `segment i/n` was given (it may be given once, before any connect).
    var segmentAt: SourceLocation?

    /// Whether `${name}` can be filled in: an earlier capture or an environment variable now.
    func knows(_ name: String) -> Bool {
        captures.contains(name) || getenv(name) != nil
    }

    /// The groups known before the first line (a session's, for the REPL), so `segment` can
    /// tell whether this source connected any.
    let groupsAtStart: GroupTable

    init(groups: GroupTable, limits: CheckLimits = .none) {
        self.groups = groups
        groupsAtStart = groups
        self.limits = limits
    }
}
