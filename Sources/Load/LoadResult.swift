// What a load run measured: throughput, round-trip latency percentiles, and every error.

import Histogram
import Results

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
    /// Wall-clock start of the measured window, in nanoseconds since the epoch.
    public var measuredSinceEpochNanos: Int64?
    /// The measured window second by second, each with its full-precision histogram.
    public var intervals: [LoadInterval]?
    /// Request/response load only: how replies were framed and checked, and what failed.
    public var replies: ReplyCheckResult? = nil

    /// Every error: corrupted echoes, wrong or unframeable replies, connection errors, and a failed client loop.
    public var errors: UInt64 {
        corrupted + connectionErrors + (clientError != nil ? 1 : 0) + (replies.map { $0.mismatched + $0.framingErrors } ?? 0)
    }
}

/// How a request/response load framed and checked its replies.
public struct ReplyCheckResult: Sendable, Codable, Equatable {
    /// The framing, in its text form (`resp`, `line`, `length:4be`...).
    public var framing: String
    /// The regex every reply had to match, if any.
    public var expect: String?
    /// Distinct requests in the mix.
    public var requests: Int
    /// Replies that did not match `expect` (each an error; none counted as a message).
    public var mismatched: UInt64
    /// The first of them: connection, request, and the reply as text or a hex dump.
    public var firstMismatch: String?
    /// Connections whose replies could not be framed (each one ended there).
    public var framingErrors: UInt64
    /// Times a connection was opened again because the server closed it between requests (after
    /// a `Connection: close` reply, or with every request sent answered), as wrk does: no error.
    public var reconnects: UInt64? = nil
}

/// One second (the last one may be shorter) of a load run's measured window.
public struct LoadInterval: Sendable, Codable, Equatable {
    /// Seconds from the start of the measured window.
    public var startSeconds: Double
    public var seconds: Double
    public var messages: UInt64
    /// Round-trip latencies in nanoseconds, in HdrHistogram's compressed encoding (base64), so
    /// the shares of a test merge exactly and `--hdr-log` writes them as they are.
    public var histogram: String
    /// The slowest round trip of the interval, in nanoseconds.
    public var maxNanos: UInt64

    public init(startSeconds: Double, seconds: Double, messages: UInt64, histogram: Histogram<UInt64>) {
        self.startSeconds = startSeconds
        self.seconds = seconds
        self.messages = messages
        self.histogram = HistogramEncoding.base64(histogram)
        maxNanos = histogram.totalCount > 0 ? histogram.max : 0
    }

    public init(_ second: LoadSecond) {
        self.init(startSeconds: second.startSeconds, seconds: second.seconds, messages: second.messages, histogram: second.histogram)
    }
}

/// One closed second of a running load, raw: what the run loop keeps (encoding it there was a
/// stall every second), and what a live exporter reads.
public struct LoadSecond: Sendable {
    public var startSeconds: Double
    public var seconds: Double
    public var messages: UInt64
    /// Its round trips in nanoseconds; never changed once the second is closed.
    public var histogram: Histogram<UInt64>
}
