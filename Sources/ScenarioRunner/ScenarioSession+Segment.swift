// A session running share i of n of a scenario: the `segment` line, which connections a
// selector selects of this share's own, and the count checks on a share, which skip or fail
// where a share cannot say anything about the whole (the arithmetic is ShareState's).

import ScenarioLanguage

extension ScenarioSession {
    func applySegment(_ statement: Statement, _ share: ExecutionSegment) throws(RunStop) {
        if let forced = configuration.segment {
            emitSkipped("\(statement.location): segment \(share) ignored: --segment \(forced) wins")
            return
        }
        guard engine.groupOrder.isEmpty else {
            throw fail(statement, expected: "segment before any connect", seen: "groups are connected already: \(engine.groupOrder.joined(separator: ", "))", how: .other)
        }
        shares.run(share)
        emit(.info("share \(share) of the scenario: its part of every group's connections and rates"))
    }

    /// This share's members of `name` whose whole-run index is in `indices`; an index past the
    /// whole group's end fails as it would unsegmented.
    func ownedMembers(_ statement: Statement, _ selector: ScenarioLanguage.Selector, _ name: String,
                      _ indices: ClosedRange<Int>) throws(RunStop) -> [Int] {
        let size = shares.wholeSize(ofGroup: name)
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

    /// How a count check over `own` of this share's connections, of `whole` in the whole run, is
    /// evaluated; `!=` does not add up over shares, so it is a check error unless this share owns all.
    func shareScale(_ statement: Statement, _ comparison: Comparison, _ value: Int, own: Int, whole: Int) throws(RunStop) -> ShareScale {
        let scale = shares.scale(own: own, whole: whole)
        switch scale {
        case .asWritten:
            return scale
        case .notThisShare:
            emitSkipped("\(statement.location): \(statement.command.rendered): share \(segment) has none of the connections it counts; the shares that do check it")
            return scale
        case .scaled:
            guard comparison != .notEqual else {
                throw fail(statement, expected: "a check that adds up over the shares",
                           seen: "share \(segment) holds \(own) of \(whole) connections, and != on a part says nothing about the whole: run it unsegmented, or use < or >", how: .other)
            }
            // `==` a fraction can never hold: say so now instead of waiting out the deadline.
            if comparison == .equal, !scale.canEqual(value) {
                throw fail(statement, expected: "a count whose share is a whole number",
                           seen: "\(scale.phrase(segment, value).dropFirst(2).dropLast()), so == cannot hold on this share: use >= and <=, or run it unsegmented", how: .other)
            }
            return scale
        }
    }

    /// This share's connections, over every group.
    var ownedConnectionCount: Int { engine.groupOrder.reduce(0) { $0 + engine.members(of: $1).count } }

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
            return try shareScale(statement, comparison, value, own: ownedConnectionCount, whole: shares.wholeConnectionCount)
        }
    }
}
