// Which share of a scenario a session runs (`--segment`, or the file's `segment i/n`), and its
// arithmetic: each group's size in the whole run, so a share's connections keep their whole-run
// indices (and draw the same payloads), its part of a connect's rate and of a load's, and how a
// count check compares on it (docs/distributed.md: what each check means on a share).

import Foundation
import ScenarioLanguage
import Vocabulary

struct ShareState {
    /// Which share this is; `.whole` when the run is not split.
    private(set) var segment: ExecutionSegment
    /// Each group's size in the whole run: the whole-run index of its next connection.
    private var wholeGroupSizes: [String: Int] = [:]

    init(_ segment: ExecutionSegment) {
        self.segment = segment
    }

    var isWhole: Bool { segment.isWhole }

    /// The file's `segment` line; the caller checks that no group is connected yet.
    mutating func run(_ share: ExecutionSegment) {
        segment = share
    }

    /// The part of `connect group count [rate=R]` that is this share's: the whole-run index of
    /// its first connection (nil when the run is whole), how many, and the connect rate that
    /// spreads them over the same time as the whole connect takes.
    mutating func connect(group: String, count: Int, rate: Rate?) -> (firstIndex: Int?, count: Int, ratePerSecond: Double?) {
        let before = wholeGroupSizes[group, default: 0]
        wholeGroupSizes[group] = before.addingReportingOverflow(count).overflow ? Int.max : before + count
        guard !segment.isWhole else { return (nil, count, rate?.perSecond) }
        let own = segment.share(of: count)
        return (before + own.lowerBound, own.count, rate.map { $0.perSecond * Double(own.count) / Double(count) })
    }

    /// How many connections group `name` has in the whole run.
    func wholeSize(ofGroup name: String) -> Int { wholeGroupSizes[name, default: 0] }

    /// How many connections `selector` spans in the whole run.
    func wholeSize(of selector: ScenarioLanguage.Selector) -> Int {
        switch selector {
        case .all: return wholeConnectionCount
        case .group(let name): return wholeSize(ofGroup: name)
        case .member: return 1
        case .range(_, let indices): return indices.count
        }
    }

    /// Every group's connections in the whole run.
    var wholeConnectionCount: Int { wholeGroupSizes.values.reduce(0, +) }

    /// How a count check over `own` of this share's connections, of `whole` in the whole run,
    /// compares: as written when this share owns all of them (or the run is whole).
    func scale(own: Int, whole: Int) -> ShareScale {
        guard !segment.isWhole && whole > 0 && own != whole else { return .asWritten }
        return own > 0 ? .scaled(own: own, whole: whole) : .notThisShare
    }

    /// A `load`'s pacing on this share: an open-loop rate in proportion to the connections it
    /// loads here (`own` of the `whole` selected), so the shares' rates add up to the whole's;
    /// a depth is per connection and stays.
    func pacing(_ pacing: LoadPacing, own: Int, whole: Int) -> LoadPacing {
        guard !segment.isWhole, whole > 0, own != whole, case .rate(let r) = pacing else { return pacing }
        return .rate(Rate(count: r.count * own, per: ScenarioDuration(nanoseconds: r.per.nanoseconds * Int64(whole))))
    }
}

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

    /// Whether `== value` can hold on this share: not when the share's part of it is a fraction.
    func canEqual(_ value: Int) -> Bool {
        guard case .scaled(let own, let whole) = self else { return true }
        return value.multipliedReportingOverflow(by: own).partialValue % whole == 0
    }

    /// " (share 1/4: its part of 100 is 100 × 25/100 = 25)" for the check's messages.
    func phrase(_ segment: ExecutionSegment, _ value: Int) -> String {
        guard case .scaled(let own, let whole) = self else { return "" }
        let part = Double(value) * Double(own) / Double(whole)
        let shown = part == part.rounded() ? "\(Int(part))" : String(format: "%.2f", part)
        return " (share \(segment): its part of \(value) is \(value) × \(own)/\(whole) = \(shown))"
    }
}

