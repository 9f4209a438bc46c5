// Per-group figures: connects, bytes, errors by kind, and round-trip latency in an HDR histogram.

import Histogram

public struct GroupStats: Sendable {
    public var connectsStarted = 0
    public var connected = 0
    public var refused = 0
    public var timedOut = 0
    public var connectFailed = 0
    /// Of `connectFailed`: TLS handshakes that failed after TCP connected.
    public var tlsHandshakeFailures = 0
    public var resets = 0
    public var peerEOFs = 0
    public var echoMismatches = 0
    /// Whole frames received (groups with a framing) and framing errors.
    public var replies = 0
    public var framingErrors = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Nanoseconds from a fragment's send to its last byte's return; with a framing, from a
    /// request's send to its reply (requests answered in order).
    public var latency = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    /// Nanoseconds from connect() to an established connection (TLS: handshake included).
    public var connectTime = Histogram<UInt64>(numberOfSignificantValueDigits: .two)

    public init() {}

    public mutating func merge(_ other: GroupStats) {
        connectsStarted += other.connectsStarted
        connected += other.connected
        refused += other.refused
        timedOut += other.timedOut
        connectFailed += other.connectFailed
        tlsHandshakeFailures += other.tlsHandshakeFailures
        resets += other.resets
        peerEOFs += other.peerEOFs
        echoMismatches += other.echoMismatches
        replies += other.replies
        framingErrors += other.framingErrors
        bytesSent += other.bytesSent
        bytesReceived += other.bytesReceived
        latency.add(other.latency)
        connectTime.add(other.connectTime)
    }

    /// Latency at a percentile (0-100) in nanoseconds; nil when nothing was measured.
    public func latencyNanos(atPercentile p: Double) -> UInt64? {
        guard latency.totalCount > 0 else { return nil }
        return p >= 100 ? latency.max : latency.valueAtPercentile(p)
    }
}
