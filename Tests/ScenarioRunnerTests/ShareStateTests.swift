// A share's arithmetic: its connections keep their whole-run indices across connects, its rates
// are its part of the whole's, and a count check compares as written only where the share owns
// everything it counts.

import ScenarioLanguage
import Testing
import Vocabulary
@testable import ScenarioRunner

@Suite("a session's share state")
struct ShareStateTests {
    @Test("a group connected twice continues its whole-run indices, and each connect's rate is the share's part")
    func connectsKeepWholeRunIndices() {
        var shares = ShareState(ExecutionSegment(index: 1, count: 4))
        // Share 1/4 of 10 is [3, 5); of the next 6 it is [2, 3), after the first 10.
        let first = shares.connect(group: "web", count: 10, rate: .perSecond(100))
        #expect(first.firstIndex == 3 && first.count == 2)
        #expect(first.ratePerSecond == 20)
        let second = shares.connect(group: "web", count: 6, rate: nil)
        #expect(second.firstIndex == 12 && second.count == 1)
        #expect(second.ratePerSecond == nil)
        #expect(shares.wholeSize(of: .group("web")) == 16)
        #expect(shares.wholeSize(of: .all) == 16)
    }

    @Test("a whole run connects everything at the rate written, with no whole-run index to carry")
    func wholeRunConnectsAsWritten() {
        var shares = ShareState(.whole)
        let connect = shares.connect(group: "web", count: 10, rate: .perSecond(100))
        #expect(connect.firstIndex == nil && connect.count == 10 && connect.ratePerSecond == 100)
    }

    @Test("a count compares as written where the share owns all it counts, is the share's part otherwise, and is skipped on none")
    func countScale() {
        let shares = ShareState(ExecutionSegment(index: 0, count: 4))
        guard case .asWritten = shares.scale(own: 3, whole: 3) else { Issue.record("owning all is as written"); return }
        guard case .notThisShare = shares.scale(own: 0, whole: 8) else { Issue.record("owning none is not this share's"); return }
        let scale = shares.scale(own: 2, whole: 8)
        guard case .scaled(own: 2, whole: 8) = scale else { Issue.record("\(scale)"); return }
        #expect(scale.holds(.greaterOrEqual, 1, 4), "1 of 2 is at least a quarter of 4")
        #expect(!scale.holds(.greaterOrEqual, 0, 4))
        #expect(scale.canEqual(4) && !scale.canEqual(5), "a quarter of 5 is a fraction")
        guard case .asWritten = ShareState(.whole).scale(own: 2, whole: 8) else { Issue.record("a whole run is as written"); return }
    }

    @Test("a load's open-loop rate is the share's part of the selection; a depth stays per connection")
    func loadPacing() {
        let shares = ShareState(ExecutionSegment(index: 0, count: 4))
        #expect(shares.pacing(.rate(.perSecond(100)), own: 1, whole: 4) == .rate(Rate(count: 100, per: .seconds(4))))
        #expect(shares.pacing(.depth(3), own: 1, whole: 4) == .depth(3))
        #expect(shares.pacing(.rate(.perSecond(100)), own: 4, whole: 4) == .rate(.perSecond(100)))
    }
}
