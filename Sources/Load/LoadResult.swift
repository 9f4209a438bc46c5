// What a load run measured: throughput, round-trip latency percentiles, and every error.

public struct LoadResult: Sendable, Codable, Equatable {
    public var connections: Int
    public var messageSize: Int
    /// Closed loop: messages each connection keeps in flight.
    public var depth: Int?
    /// Open loop: the total message rate asked for (messages per second).
    public var targetRate: Double?
    /// The measured window (after warmup), in seconds.
    public var seconds: Double
    /// Messages whose echo came back complete within the window.
    public var messages: UInt64
    /// Messages whose every echoed byte matched (all counted messages are verified; corrupted
    /// ones are errors, never counted).
    public var verified: UInt64
    public var messagesPerSecond: Double
    /// Payload bytes per second, one direction, in MB (10^6).
    public var megabytesPerSecond: Double
    public var latencyMicros: Percentiles?
    /// Corrupted echoes (a byte differs from what was sent).
    public var corrupted: UInt64
    /// Connections that closed or reset under load.
    public var connectionErrors: UInt64
    public var firstError: String?
    /// Messages still unanswered when the run (and its drain) ended.
    public var unanswered: UInt64

    public struct Percentiles: Sendable, Codable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
    }

    public var errors: UInt64 { corrupted + connectionErrors }
}
