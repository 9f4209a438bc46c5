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
    /// The first unanswered message and how much of it came back, e.g. "connection 0: message
    /// 0: 1023 of 4096 bytes echoed (4096 sent)".
    public var firstUnanswered: String?
    /// Open loop: messages that fell due but were never sent, because the connection already
    /// had a full ring of messages in flight or the client could not keep up with the rate.
    public var notSent: UInt64
    /// The client's own event loop failed (e.g. epoll_wait) and ended the run early.
    public var clientError: String?
    /// Stopped by SIGINT or SIGTERM before its duration was over.
    public var interrupted: Bool

    public struct Percentiles: Sendable, Codable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
    }

    /// Every error: corrupted echoes, connection errors, and a failed client loop.
    public var errors: UInt64 { corrupted + connectionErrors + (clientError != nil ? 1 : 0) }
}
