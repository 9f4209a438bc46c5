// What every merge (load, fuzz, run) refuses before adding anything up, each check met by the
// shares it exists to catch: a share decoded from a report that names no share of the whole
// (its JSON went around ExecutionSegment's precondition), a share split in another n, one given
// twice, one missing, one run with other options. And the run page's share rows in share order, 10/12 after 9/12.

import Foundation
@testable import Merging
import Testing
import Vocabulary

@Suite("merge: the shares checks")
struct MergeSharesTests {
    /// A segment as a report's JSON holds it, unchecked (Codable bypasses `init(index:count:)`).
    static func decoded(_ index: Int, of count: Int) throws -> ExecutionSegment {
        try JSONDecoder().decode(ExecutionSegment.self, from: Data(#"{"index":\#(index),"count":\#(count)}"#.utf8))
    }

    static func shares(_ segments: [ExecutionSegment]) -> [(file: String, segment: ExecutionSegment)] {
        segments.enumerated().map { ("share\($0.offset).json", $0.element) }
    }

    /// The message `requireComplete` throws, or nil when it accepts the shares.
    static func refusal(_ segments: [ExecutionSegment], whereMissing: @escaping ([Int]) -> String = { _ in "" }) -> String? {
        do { try MergeShares.requireComplete(shares(segments), of: "the test", whereMissing: whereMissing) } catch {
            return "\(error)"
        }
        return nil
    }

    @Test("shares 0..n-1, each once, in any order, are complete")
    func completeShares() {
        let three = (0..<3).map { ExecutionSegment(index: $0, count: 3) }
        #expect(Self.refusal(three) == nil)
        #expect(Self.refusal(three.reversed()) == nil)
    }

    @Test("a share numbered past n is refused, not counted beside shares 0..n-1")
    func shareOutsideTheWhole() throws {
        let three = (0..<3).map { ExecutionSegment(index: $0, count: 3) }
        let stray = try Self.decoded(3, of: 3)
        let problem = Self.refusal(three + [stray])
        #expect(problem?.contains("share3.json: share 3/3 does not split the test in 3 like share0.json") == true, "\(problem ?? "accepted")")
    }

    @Test("a share split in another n is refused")
    func shareOfAnotherSplit() {
        let problem = Self.refusal([ExecutionSegment(index: 0, count: 2), ExecutionSegment(index: 1, count: 3)])
        #expect(problem?.contains("share1.json: share 1/3 does not split the test in 2 like share0.json") == true, "\(problem ?? "accepted")")
    }

    @Test("a share given twice, and a missing share with where it went, are refused")
    func twiceAndMissing() {
        let twice = Self.refusal([0, 1, 1, 2].map { ExecutionSegment(index: $0, count: 3) })
        #expect(twice?.contains("share 1/3 of the test is given twice: share1.json and share2.json") == true, "\(twice ?? "accepted")")
        let missing = Self.refusal([0, 2].map { ExecutionSegment(index: $0, count: 3) }, whereMissing: { " (went: \($0))" })
        #expect(missing?.contains("missing share 1/3 of the test: the totals would be wrong (went: [1])") == true, "\(missing ?? "accepted")")
        #expect(Self.refusal([]) != nil)
    }

    @Test("a share run with other options is refused, naming both; shares that all predate recorded options are not")
    func shareOfOtherOptions() {
        func refusal(_ identities: [String?]) -> String? {
            let shares = identities.enumerated().map { (file: "share\($0.offset).json", identity: $0.element) }
            do { try MergeShares.requireSameOptions(shares, of: "campaign (epoll seed 1)") } catch { return "\(error)" }
            return nil
        }
        #expect(refusal(["fuzz --connections 2", "fuzz --connections 2", "fuzz --connections 2"]) == nil)
        let other = refusal(["fuzz --connections 2", "fuzz --connections 3", "fuzz --connections 2"])
        #expect(other == "share1.json is a share of another campaign (epoll seed 1):\n  fuzz --connections 3\nnot\n  fuzz --connections 2 (share0.json)",
                "\(other ?? "accepted")")
        let unrecorded = refusal(["fuzz --connections 2", nil])
        #expect(unrecorded?.contains("share1.json is a share of another campaign (epoll seed 1):\n  options not recorded") == true, "\(unrecorded ?? "accepted")")
        #expect(refusal([nil, nil]) == nil)
    }

    @Test("the run page lists shares in share order: 10/12 after 9/12, not after 1/12 as text sorts")
    func runPageShareOrder() throws {
        let statuses = Dictionary(uniqueKeysWithValues: (0..<12).map { ("\($0)/12", "passed") })
        let run = MergedRun(scenario: "s.scn", against: "epoll", seed: 1, shares: 12, passed: true, statuses: statuses,
                            problems: [], groups: [], totals: MergedGroup(name: "*"), late: [:])
        let page = MergePage.render(MergedRuns(files: ["a.json"], passed: true, runs: [run]))
        let rows = (0..<12).map { page.range(of: "<tr><td>\($0)/12</td>")?.lowerBound }
        let found = rows.compactMap { $0 }
        try #require(found.count == 12, "\(page)")
        #expect(found == found.sorted(), "\(page)")
    }
}
