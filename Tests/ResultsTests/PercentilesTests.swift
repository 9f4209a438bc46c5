// The one percentile type: microseconds from a histogram of nanoseconds, nothing from nothing.

import Histogram
import Results
import Testing

@Suite("Percentiles")
struct PercentilesTests {
    @Test("1 to 999 µs once each and one 50 ms outlier: the median, the tail and the maximum in microseconds")
    func fromNanoseconds() throws {
        var h = LatencyHistogram.empty()
        for micros in 1...999 { h.record(UInt64(micros) * 1000) }
        h.record(50_000_000)
        let p = try #require(Percentiles(nanoseconds: h))
        // Three significant digits: each figure within 0.1% of the exact one.
        #expect(abs(p.p50 - 500) <= 0.5 && abs(p.p90 - 900) <= 0.9 && abs(p.p99 - 990) <= 1)
        #expect(abs(p.p999 - 999) <= 1 && abs(p.max - 50_000) <= 50)
    }

    @Test("an empty histogram has no percentiles (not zeros a report would print)")
    func emptyIsNil() {
        #expect(Percentiles(nanoseconds: LatencyHistogram.empty()) == nil)
    }

    @Test("the shared shape holds an hour of nanoseconds, and never grows to hold ten")
    func anHourFits() {
        var h = LatencyHistogram.empty()
        let anHour = h.record(3_600_000_000_000)
        let tenHours = h.record(36_000_000_000_000)
        #expect(anHour && !tenHours)
    }
}
