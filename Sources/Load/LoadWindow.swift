// When a load run sends and for how long, whatever it sends: echo and request plans carry one,
// and the runner drives by it.

import Vocabulary

/// A load run's pacing, the warmup before measuring, the measured window, and how long to wait
/// afterwards for answers still outstanding.
public struct LoadWindow: Sendable {
    public var pacing: LoadPacing
    public var durationNanos: UInt64
    public var warmupNanos: UInt64
    /// After the window, how long to wait for outstanding answers before giving up on them.
    public var drainNanos: UInt64

    public init(pacing: LoadPacing, durationNanos: UInt64, warmupNanos: UInt64 = 0, drainNanos: UInt64 = 2_000_000_000) {
        self.pacing = pacing
        self.durationNanos = durationNanos
        self.warmupNanos = warmupNanos
        self.drainNanos = drainNanos
    }
}
