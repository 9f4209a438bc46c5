// How a load run keeps messages in flight, and the bounds that keep a typo (`depth=1G`,
// `rate=1e300`) from turning into gigabytes of bookkeeping or a run that cannot end on time.

public enum LoadPacing: Sendable, Equatable {
    /// Closed loop: each connection keeps this many messages outstanding.
    case depth(Int)
    /// Open loop: messages start at this total rate regardless of replies.
    case rate(Rate)

    /// Most messages one connection keeps in flight: each holds a timestamp slot, allocated up front.
    public static let maxDepth = 65_536
    /// The fastest open-loop rate, per second: far beyond what one client core can send.
    public static let maxRatePerSecond: Double = 100_000_000

    /// Throws unless the pacing is within bounds; the message names what to change.
    public func validated() throws(ValueError) -> LoadPacing {
        switch self {
        case .depth(let d):
            guard d >= 1 else { throw ValueError("depth must be at least 1, got \(d)") }
            guard d <= Self.maxDepth else { throw ValueError("depth \(d) is too large (at most \(Self.maxDepth) messages in flight per connection)") }
        case .rate(let r):
            guard r.perSecond <= Self.maxRatePerSecond else {
                throw ValueError("rate \(r) is too fast (at most \(Int(Self.maxRatePerSecond))/s)")
            }
            // Slower than one message per hour, a run of any sane length would send nothing.
            guard r.perSecond >= 1.0 / 3600 else { throw ValueError("rate \(r) is too slow (at least 1/h)") }
        }
        return self
    }
}
