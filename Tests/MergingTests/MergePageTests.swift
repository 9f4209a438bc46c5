// The merge page says what the terminal says (issue 20, item 16): latencies in the terminal's
// units, not microseconds with decimals, and a per-second chart of rates, so a last interval cut
// short is drawn at its rate instead of as a drop.

import Histogram
import Load
@testable import Merging
import Results
import Testing

@Suite("merge page: units and rates")
struct MergePageTests {
    @Test("percentiles read as the terminal's: µs below a millisecond, ms below a second")
    func terminalUnits() throws {
        var h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for _ in 0..<98 { h.record(743_000) }
        h.record(2_100_000)
        h.record(1_500_000_000)
        let text = MergePage.percentiles(try #require(Percentiles(nanoseconds: h)))
        #expect(text.hasPrefix("p50 743 µs, p90 743 µs, p99 2.1 ms"), "\(text)")
        #expect(text.hasSuffix("max 1.50 s"), "\(text)")
    }

    @Test("a last second cut short is drawn at its rate, not as a drop")
    func partialLastSecond() {
        let h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        let whole = LoadInterval(startSeconds: 0, seconds: 1, messages: 1000, histogram: h)
        let cut = LoadInterval(startSeconds: 1, seconds: 0.25, messages: 250, histogram: h)
        #expect(MergePage.perSecond(whole) == 1000)
        #expect(MergePage.perSecond(cut) == 1000)
    }
}

@Suite("fuzz page")
struct FuzzPageTests {
    @Test("a campaign's page is titled as a fuzz page, with its verdict and seed; a merge page keeps its own title")
    func titledAsFuzz() {
        let page = FuzzPage.render(Shares.fuzz(0, of: 1))
        #expect(page.contains("<title>sockfuzz fuzz</title>") && !page.contains("sockfuzz merge"), "\(page.prefix(300))")
        #expect(page.contains("<th>verdict</th><td>PASSED</td>") && page.contains("<th>seed</th><td>1</td>"))
        #expect(MergePage.document(heading: "h", body: "").contains("<title>sockfuzz merge</title>"))
    }
}
