// Adding up the shares of one segmented load test: exact totals (counts are summed, never
// estimated), latency percentiles from the merged HDR histograms (never averaged percentiles),
// and the per-second intervals aligned on the wall clock, each share's verdict from its figures
// (ShareVerdicts). Refuses shares of different tests, a share given twice, and missing shares.

import Foundation
import Histogram
import Load
import Results
import ScenarioRunner
import Vocabulary

public struct MergeError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

public struct MergedLoad: Codable {
    public var tool = "sockfuzz merge"
    public var test: String
    public var shares: Int
    public var files: [String]
    public var passed: Bool
    /// Each share's problems, prefixed with its segment.
    public var problems: [String]
    public var connectionsRequested: Int
    public var connected: Int
    public var echoed: Int
    public var messages: UInt64
    public var corrupted: UInt64
    public var connectionErrors: UInt64
    public var unanswered: UInt64
    public var notSent: UInt64
    /// The shares' rates added up (they ran at the same time).
    public var messagesPerSecond: Double
    public var latencyMicros: Percentiles?
    /// Request/response load (`load --request`): the shares' reply checks added up; `messages`
    /// then counts the measured replies, `latencyMicros` each request's round trip.
    public var replies: ReplyCheckResult?
    /// The merged histogram, in HdrHistogram's compressed encoding.
    public var histogram: String?
    public var intervals: [LoadInterval]
    /// Shares that began late after --start-at, and by how much (seconds).
    public var late: [String: Double]
    /// With --tls: the shares' handshakes added up, percentiles from their merged histograms.
    public var handshakes: MergedHandshakes? = nil
}

public struct MergedHandshakes: Codable {
    public var completed = 0
    public var failed = 0
    /// The shares' handshakes/s added up (they ran at the same time).
    public var perSecond = 0.0
    public var latencyMicros: Percentiles?
}

public enum LoadMerge {
    public static func merge(_ records: [(file: String, record: LoadRecord)]) throws -> MergedLoad {
        guard let first = records.first else { throw MergeError("no results to merge") }
        guard let test = first.record.test, let n = first.record.segment?.count else {
            throw MergeError("\(first.file): not a result of `sockfuzz load` with --json (no test or segment recorded)")
        }
        try MergeShares.requireSameOptions(records.map { ($0.file, $0.record.test) }, of: "test")
        try MergeShares.requireComplete(records.map { ($0.file, $0.record.segment ?? .whole) }, of: "the test")

        var merged = MergedLoad(test: test, shares: n, files: records.map(\.file), passed: true, problems: [],
                                connectionsRequested: 0, connected: 0, echoed: 0, messages: 0, corrupted: 0,
                                connectionErrors: 0, unanswered: 0, notSent: 0, messagesPerSecond: 0, latencyMicros: nil,
                                replies: nil, histogram: nil, intervals: [], late: [:])
        var total = LatencyHistogram.empty()
        /// The first share's histogram, then the others added (all have ConnectBurst's layout).
        var handshakeTotal: Histogram<UInt64>?
        let starts = records.compactMap { $0.record.load?.measuredSinceEpochNanos }
        let origin = starts.min() ?? 0
        var seconds: [Int: (messages: UInt64, histogram: Histogram<UInt64>)] = [:]
        for (file, record) in records.sorted(by: { $0.record.segment!.index < $1.record.segment!.index }) {
            let share = record.segment!.description
            // The share's problems from its figures, not its own verdict or words.
            merged.problems += try ShareVerdicts.load(record, file: file).map { "share \(share): \($0)" }
            if let late = record.startedLateSeconds { merged.late[share] = late }
            merged.connectionsRequested += record.connect.requested
            merged.connected += record.connect.connected
            merged.echoed += record.connect.echoed
            if let tls = record.connect.tls {
                var sum = merged.handshakes ?? MergedHandshakes()
                sum.completed += tls.completed
                sum.failed += tls.failed + tls.timeouts
                sum.perSecond += tls.perSecond
                merged.handshakes = sum
                if let encoded = tls.histogram {
                    let h = try MergeShares.histogram(encoded, share: share, what: "the handshake histogram")
                    if handshakeTotal == nil { handshakeTotal = h } else { handshakeTotal!.add(h) }
                }
            }
            guard let load = record.load else { continue }
            merged.messages += load.messages
            merged.corrupted += load.corrupted
            merged.connectionErrors += load.connectionErrors
            merged.unanswered += load.unanswered
            merged.notSent += load.notSent
            merged.messagesPerSecond += load.messagesPerSecond
            if let replies = load.replies { merged.replies = adding(replies, share: share, to: merged.replies) }
            let offset = Double((load.measuredSinceEpochNanos ?? origin) - origin) / 1e9
            for interval in load.intervals ?? [] {
                let h = try MergeShares.histogram(interval.histogram, share: share, what: "a histogram")
                total.add(h)
                let k = Int((offset + interval.startSeconds).rounded(.down))
                var slot = seconds[k] ?? (0, LatencyHistogram.empty())
                slot.messages += interval.messages
                slot.histogram.add(h)
                seconds[k] = slot
            }
        }
        // A share may measure no message (a slow rate split n ways); the whole measuring none
        // verified nothing: no pass.
        if merged.problems.isEmpty && merged.messages == 0 && records.contains(where: { $0.record.load != nil }) {
            merged.problems.append("no message was measured in any share")
        }
        merged.passed = merged.problems.isEmpty
        merged.latencyMicros = Percentiles(nanoseconds: total)
        if let handshakeTotal { merged.handshakes?.latencyMicros = Percentiles(nanoseconds: handshakeTotal) }
        if total.totalCount > 0 { merged.histogram = HistogramEncoding.base64(total) }
        merged.intervals = seconds.keys.sorted().map { k in
            LoadInterval(startSeconds: Double(k), seconds: 1, messages: seconds[k]!.messages, histogram: seconds[k]!.histogram)
        }
        return merged
    }

    /// One share's reply checks added to the sum so far: the counts summed, the first mismatch
    /// kept with the share that saw it. The framing, regex and request count are the test's
    /// own (the shares of one test have the same).
    private static func adding(_ r: ReplyCheckResult, share: String, to sum: ReplyCheckResult?) -> ReplyCheckResult {
        guard var sum else {
            var first = r
            first.firstMismatch = r.firstMismatch.map { "share \(share): \($0)" }
            return first
        }
        sum.mismatched += r.mismatched
        sum.framingErrors += r.framingErrors
        if let k = r.reconnects { sum.reconnects = (sum.reconnects ?? 0) + k }
        if sum.firstMismatch == nil { sum.firstMismatch = r.firstMismatch.map { "share \(share): \($0)" } }
        return sum
    }
}
