// A deterministic share of one test, for running it as n processes on n hosts with no traffic
// between them (k6's execution segments): segment i of n takes the items (connections, runs,
// messages) whose index falls in [i/n, (i+1)/n) of the whole, so the n shares are disjoint and
// their union is exactly the unsegmented test, also when n does not divide the count.

public struct ExecutionSegment: Sendable, Hashable, CustomStringConvertible, Codable {
    /// This share's position, 0-based (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX).
    public var index: Int
    /// How many shares the test is split into.
    public var count: Int

    public static let whole = ExecutionSegment(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "segment \(index)/\(count) does not exist")
        self.index = index
        self.count = count
    }

    /// `i/n` with 0 <= i < n (`0/4` ... `3/4`).
    public init(parsing text: Substring) throws(ValueError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = ValueParser.plainInteger(parts[0]), let n = ValueParser.plainInteger(parts[1]) else {
            throw ValueError("expected a segment like 0/4 (share i of n, i from 0 to n-1), got \(ValueParser.got(text))")
        }
        guard n >= 1 && n <= 1_000_000 else { throw ValueError("segment count \(n) must be 1 to 1000000") }
        guard i < n else { throw ValueError("segment \(i)/\(n) does not exist: i goes from 0 to \(n - 1)") }
        self.init(index: i, count: n)
    }

    public var isWhole: Bool { count == 1 }

    public var description: String { "\(index)/\(count)" }

    /// The indices of `total` items (0..<total) that belong to this share: a contiguous range,
    /// sizes differing by at most one between shares.
    public func share(of total: Int) -> Range<Int> {
        boundary(index, total)..<boundary(index + 1, total)
    }

    /// How many of `total` items this share takes.
    public func count(of total: Int) -> Int { share(of: total).count }

    /// Whether item `k` (of an unbounded sequence, like fuzz runs) is this share's: every n-th,
    /// so a share of a run count or a duration-bounded campaign interleaves evenly.
    public func owns(_ k: Int) -> Bool { k % count == index }

    /// This share of a rate: the share of its event count over the same period, so the shares'
    /// rates add up exactly to the whole (5000/s in 3 shares: 1667, 1667, 1666 per second).
    public func share(of rate: Rate) -> Rate? {
        let n = count(of: rate.count)
        return n > 0 ? Rate(count: n, per: rate.per) : nil
    }

    /// ceil(i * total / n), without overflow for any Int total.
    private func boundary(_ i: Int, _ total: Int) -> Int {
        let (q, r) = total.quotientAndRemainder(dividingBy: count)
        return q * i + (r * i + count - 1) / count
    }
}
