// Segments split a test exactly: the n shares of any count are disjoint, cover it, and differ
// in size by at most one; shares of a rate add up to the rate; bad segments are named.

import Testing
import Vocabulary

@Suite("Execution segments")
struct ExecutionSegmentTests {
    @Test("the shares of any count are disjoint, cover it, and are even")
    func exactSplit() {
        for n in 1...13 {
            for total in [0, 1, 2, 3, 7, 10, 99, 100, 1001, 20_000] {
                let shares = (0..<n).map { ExecutionSegment(index: $0, count: n).share(of: total) }
                #expect(shares.first?.lowerBound == 0 && shares.last?.upperBound == total, "n \(n) total \(total)")
                for (a, b) in zip(shares, shares.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
                let sizes = shares.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "n \(n) total \(total): \(sizes)")
            }
        }
    }

    @Test("striped ownership gives every item to exactly one share")
    func striped() {
        for k in 0..<100 {
            #expect((0..<7).filter { ExecutionSegment(index: $0, count: 7).owns(k) }.count == 1)
        }
    }

    @Test("shares of a rate add up to the rate")
    func rates() {
        let rate = Rate(count: 5000, per: .seconds(1))
        let shares = (0..<3).compactMap { ExecutionSegment(index: $0, count: 3).share(of: rate) }
        #expect(shares.map(\.count) == [1667, 1667, 1666])
        #expect(ExecutionSegment(index: 4, count: 5).share(of: Rate(count: 3, per: .seconds(1))) == nil)
    }

    @Test("parsing: i/n with i from 0 to n-1")
    func parsing() throws {
        #expect(try ExecutionSegment(parsing: "2/4") == ExecutionSegment(index: 2, count: 4))
        for bad in ["4/4", "1/0", "x/2", "1", "-1/3", "1/2/3", ""] {
            #expect(throws: ValueError.self, "\(bad)") { try ExecutionSegment(parsing: Substring(bad)) }
        }
    }
}
