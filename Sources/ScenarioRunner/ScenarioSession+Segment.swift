// A session running share i of n of a scenario: which connections are its own (by whole-run
// index, so they draw the same payloads), what a selector selects of them, and the share's part
// of the counts that checks compare against (docs/distributed.md: what each check means).

import ScenarioLanguage

/// How a count check (`expect SEL connected`, `expect server`) is evaluated on a share.
enum ShareScale {
    /// As written: the run is whole, or this share owns all that the check counts.
    case asWritten
    /// `count × whole OP value × own`: the share's count against its proportional part of
    /// the value, in exact integers. Summed over the shares, every inequality and `==` give
    /// the whole run's check, so shares that all pass never hide a whole that fails.
    case scaled(own: Int, whole: Int)
    /// This share owns nothing the check counts: the shares that do check it.
    case notThisShare

    func holds(_ comparison: Comparison, _ count: Int, _ value: Int) -> Bool {
        switch self {
        case .asWritten, .notThisShare: return comparison.holds(count, value)
        case .scaled(let own, let whole):
            return comparison.holds(count.multipliedReportingOverflow(by: whole).partialValue,
                                    value.multipliedReportingOverflow(by: own).partialValue)
        }
    }

    /// " (share 1/4: its part of 100 is 100 × 25/100 = 25)" for the check's messages.
    func phrase(_ segment: ExecutionSegment, _ value: Int) -> String {
        guard case .scaled(let own, let whole) = self else { return "" }
        let part = Double(value) * Double(own) / Double(whole)
        let shown = part == part.rounded() ? "\(Int(part))" : String(format: "%.2f", part)
        return " (share \(segment): its part of \(value) is \(value) × \(own)/\(whole) = \(shown))"
    }
}

extension ScenarioSession {
    func applySegment(_ statement: Statement, _ share: ExecutionSegment) throws(RunStop) {
        if let forced = configuration.segment {
            emitSkipped("\(statement.location): segment \(share) ignored: --segment \(forced) wins")
            return
        }
        guard engine.groupOrder.isEmpty else {
            throw fail(statement, expected: "segment before any connect", seen: "groups are connected already: \(engine.groupOrder.joined(separator: ", "))", how: .other)
        }
        segment = share
        emit(.info("share \(share) of the scenario: its part of every group's connections and rates"))
    }

    /// The part of `connect group count [rate=R]` that is this share's: the whole-run index of
    /// its first connection, how many, and the connect rate that spreads them over the same
    /// time as the whole connect takes.
    func connectShare(group: String, count: Int, rate: Rate?) -> (firstIndex: Int?, count: Int, ratePerSecond: Double?) {
        let before = wholeGroupSizes[group, default: 0]
        wholeGroupSizes[group] = before.addingReportingOverflow(count).overflow ? Int.max : before + count
        guard !segment.isWhole else { return (nil, count, rate?.perSecond) }
        let own = segment.share(of: count)
        return (before + own.lowerBound, own.count, rate.map { $0.perSecond * Double(own.count) / Double(count) })
    }

    /// This share's members of `name` whose whole-run index is in `indices`; an index past the
    /// whole group's end fails as it would unsegmented.
    func ownedMembers(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ name: String,
                      _ indices: ClosedRange<Int>) throws(RunStop) -> [Int] {
        let size = wholeGroupSizes[name, default: 0]
        guard indices.upperBound < size else {
            throw fail(statement, expected: "\(selector) to exist", seen: "group \(name) has \(size) connections", how: .other)
        }
        return engine.members(of: name).filter { indices.contains(engine.view($0).index) }
    }

    /// Says so when a selector picks none of this share's connections: the statement acts on none
    /// here, and the shares that own them act on them.
    func noteNoneOwned(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ ids: [Int]) {
        guard !segment.isWhole && ids.isEmpty else { return }
        emitSkipped("\(statement.location): \(statement.command.rendered): none of \(selector) is share \(segment)'s; the shares that own them run it")
    }

    /// How many connections `selector` spans in the whole run.
    func wholeSize(of selector: ScenarioLanguage.Selector) -> Int {
        switch selector {
        case .all: return wholeGroupSizes.values.reduce(0, +)
        case .group(let name): return wholeGroupSizes[name, default: 0]
        case .member: return 1
        case .range(_, let indices): return indices.count
        }
    }

    /// How a count check over `own` of this share's connections, of `whole` in the whole run, is
    /// evaluated; `!=` does not add up over shares, so it is a check error unless this share owns all.
    func shareScale(_ statement: Statement, _ comparison: Comparison, _ value: Int, own: Int, whole: Int) throws(RunStop) -> ShareScale {
        guard !segment.isWhole && whole > 0 && own != whole else { return .asWritten }
        guard own > 0 else {
            emitSkipped("\(statement.location): \(statement.command.rendered): share \(segment) has none of the connections it counts; the shares that do check it")
            return .notThisShare
        }
        guard comparison != .notEqual else {
            throw fail(statement, expected: "a check that adds up over the shares",
                       seen: "share \(segment) holds \(own) of \(whole) connections, and != on a part says nothing about the whole: run it unsegmented, or use < or >", how: .other)
        }
        let scale = ShareScale.scaled(own: own, whole: whole)
        // `==` a fraction can never hold: say so now instead of waiting out the deadline.
        if comparison == .equal, value.multipliedReportingOverflow(by: own).partialValue % whole != 0 {
            throw fail(statement, expected: "a count whose share is a whole number",
                       seen: "\(scale.phrase(segment, value).dropFirst(2).dropLast()), so == cannot hold on this share: use >= and <=, or run it unsegmented", how: .other)
        }
        return scale
    }

    /// This share's connections, over every group.
    var ownedConnectionCount: Int { engine.groupOrder.reduce(0) { $0 + engine.members(of: $1).count } }
}

extension ScenarioSession {
    /// A `load`'s pacing on this share: an open-loop rate in proportion to the connections it
    /// loads here (`own` of the `whole` selected), so the shares' rates add up to the whole's;
    /// a depth is per connection and stays.
    func sharePacing(_ pacing: LoadPacing, own: Int, whole: Int) -> LoadPacing {
        guard !segment.isWhole, whole > 0, own != whole, case .rate(let r) = pacing else { return pacing }
        return .rate(Rate(count: r.count * own, per: ScenarioDuration(nanoseconds: r.per.nanoseconds * Int64(whole))))
    }
}

extension ScenarioSession {
    /// `expect server STAT` on a share, whose embedded server sees only the share's connections:
    /// a counter that adds up over connections is compared with the share's part of the value; a
    /// figure of the server loop itself (iterations, a queue's high water) has no share, so
    /// checking it on a share is a check error, never a pass.
    func serverShareScale(_ statement: Statement, _ stat: ServerStat, _ comparison: Comparison, _ value: Int) throws(RunStop) -> ShareScale {
        guard !segment.isWhole else { return .asWritten }
        switch stat {
        case .iterations, .idleIterations:
            throw fail(statement, expected: "a server counter that adds up over the shares' connections",
                       seen: "\(stat.rawValue) is a figure of the server loop, not of connections: share \(segment) cannot check it; run it unsegmented", how: .other)
        case .queueHighWater:
            // The largest queue of any one connection: under a bound on every share is under it
            // in the whole; reaching a value happens on one share only.
            guard comparison == .less || comparison == .lessOrEqual else {
                throw fail(statement, expected: "an upper bound (< or <=) on the largest queue of one connection",
                           seen: "\(stat.rawValue) \(comparison.rawValue) is reached on the share that owns that connection only: share \(segment) cannot check it; run it unsegmented", how: .other)
            }
            return .asWritten
        case .accepted, .active, .peerEOFs, .resets, .refusedOverLimit, .shedEMFILE, .bytesIn, .bytesOut, .otherErrors,
             .tlsHandshakes, .tlsHandshakeFailures, .tlsTruncations, .descriptors:
            return try shareScale(statement, comparison, value, own: ownedConnectionCount, whole: wholeGroupSizes.values.reduce(0, +))
        }
    }
}
