// The `--metrics-listen` exporter of a load: every closed second reaches the latency summary
// once, whether scrapes come every second, late or never, and what waits for a scrape is bounded.

import Histogram
import Results
import Testing
@testable import Load

@Suite("load metrics exporter")
struct LoadMetricsTests {
    /// Second k (from 0) of a run holds k + 1 round trips, so every second's share of a count shows.
    static func second(_ k: Int) -> LoadSecond {
        var h = LatencyHistogram.empty()
        for _ in 0...k { h.record(UInt64(1_000 * (k + 1))) }
        return LoadSecond(startSeconds: Double(k), seconds: 1, messages: UInt64(k + 1), histogram: h)
    }

    /// The progress after `closed` seconds: as the runner publishes it, the last 16 at most.
    static func progress(closed: Int) -> LoadProgress {
        let kept = (max(0, closed - 16)..<closed).map(second)
        return LoadProgress(elapsedSeconds: Double(closed), messages: UInt64(closed), messagesPerSecond: 1, errors: 0,
                            connections: 1, seconds: kept, secondsBefore: closed - kept.count)
    }

    static func latencyCount(_ text: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix("sockfuzz_load_latency_seconds_count ") }
            .flatMap { Int($0.split(separator: " ")[1]) }
    }

    /// 1 + 2 + ... + n round trips.
    static func total(_ n: Int) -> Int { n * (n + 1) / 2 }

    @Test("never scraped for 40 s: at most 16 seconds wait unmerged, and the first scrape counts all 40 once")
    func lateScrapeLosesNone() {
        let metrics = LoadMetrics(messageSize: 64, test: "t", segment: "0/1")
        for closed in 1...40 {
            metrics.publish(Self.progress(closed: closed))
            #expect(metrics.unmergedSeconds <= 16)
        }
        #expect(Self.latencyCount(metrics.render()) == Self.total(40))
    }

    @Test("scraped every few seconds, and the result's last second the progress never showed: each second counted once")
    func scrapesAsItGoes() {
        let metrics = LoadMetrics(messageSize: nil, test: "t", segment: "0/1")
        var counts: [Int] = []
        for closed in 1...30 {
            // Progress comes more often than seconds close: the same seconds shown twice.
            metrics.publish(Self.progress(closed: closed))
            metrics.publish(Self.progress(closed: closed))
            if closed % 7 == 0 { counts.append(Self.latencyCount(metrics.render()) ?? -1) }
        }
        #expect(counts == [7, 14, 21, 28].map(Self.total))
        let messages = UInt64(Self.total(31))
        var result = LoadResult(connections: 1, messageSize: 0, seconds: 31, messages: messages, verified: messages,
                                messagesPerSecond: Double(messages) / 31, megabytesPerSecond: 0, latencyMicros: nil, corrupted: 0,
                                connectionErrors: 0, unanswered: 0, notSent: 0, interrupted: false)
        result.intervals = (0..<31).map { LoadInterval(Self.second($0)) }
        metrics.finish(result)
        #expect(Self.latencyCount(metrics.render()) == Self.total(31))
    }
}
