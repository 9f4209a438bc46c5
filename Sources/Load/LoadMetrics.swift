// What `load --metrics-listen` exposes: the counters the progress line publishes (4 times a
// second, under a lock: nothing per message), and the latency of the measured seconds closed so
// far, merged on the endpoint's thread when scraped; after the run, the final result. The
// progress carries only the last seconds closed: those not merged yet are kept here until a
// scrape merges them, so a scrape that comes late loses none. (Here beside the load, not in the
// executable, so that its bookkeeping is tested: LoadMetricsTests.)

import Histogram
import Results
import Synchronization

public final class LoadMetrics: Sendable {
    struct State: Sendable {
        var running = true
        var connections = 0
        var opened = 0
        var messages: UInt64 = 0
        var errors: UInt64 = 0
        /// Closed seconds' histograms not merged yet, in order, from second `firstSecond`.
        var seconds: [Histogram<UInt64>] = []
        var firstSecond = 0
    }

    private let state = Mutex(State())
    /// The closed seconds' histograms added up so far (the endpoint's thread only).
    private let latency = Mutex<(seconds: Int, histogram: Histogram<UInt64>)>((0, LatencyHistogram.empty()))
    /// Echo load: each message's size; nil for request load, whose requests vary.
    private let messageSize: Int?
    private let labels: [(String, String)]

    /// Closed seconds held unmerged now (at most 16, scraped or not).
    var unmergedSeconds: Int { state.withLock { $0.seconds.count } }

    public init(messageSize: Int?, test: String, segment: String) {
        self.messageSize = messageSize
        labels = [("test", test), ("segment", segment)]
    }

    public func connected(_ n: Int) {
        state.withLock { $0.opened = n; $0.connections = n }
    }

    public func publish(_ p: LoadProgress) {
        state.withLock {
            $0.connections = p.connections
            $0.messages = p.messages
            $0.errors = p.errors
            // Keep what is new since the last progress, beside what no scrape merged yet.
            let known = $0.firstSecond + $0.seconds.count
            for (i, second) in p.seconds.enumerated() where p.secondsBefore + i >= known {
                $0.seconds.append(second.histogram)
            }
            // Nobody scraping: merge the oldest here rather than keep every second.
            while $0.seconds.count > 16 {
                let oldest = $0.seconds.removeFirst()
                $0.firstSecond += 1
                latency.withLock { $0.histogram.add(oldest); $0.seconds += 1 }
            }
        }
    }

    /// The run is over: its result, so a scrape now agrees with it exactly.
    public func finish(_ result: LoadResult?) {
        state.withLock {
            $0.running = false
            guard let result else { return }
            $0.messages = result.messages
            $0.errors = result.errors
            if let intervals = result.intervals {
                // The result's last second may be one the progress never saw.
                let known = $0.firstSecond + $0.seconds.count
                for interval in intervals.dropFirst(known) {
                    if let h = try? HistogramEncoding.decode(base64: interval.histogram) { $0.seconds.append(h) }
                }
            }
        }
    }

    public func render() -> String {
        // Take the seconds not merged yet (the progress no longer holds them: only here).
        let now = state.withLock { state -> State in
            let taken = state
            state.firstSecond += state.seconds.count
            state.seconds = []
            return taken
        }
        let h = latency.withLock { merged -> Histogram<UInt64> in
            for second in now.seconds { merged.histogram.add(second) }
            merged.seconds += now.seconds.count
            return merged.histogram
        }
        typealias F = PrometheusText.Family
        typealias S = PrometheusText.Sample
        var families = [
            F("sockfuzz_load_info", .gauge, "The test and share this process runs (always 1).", [S(labels: labels, 1)]),
            F("sockfuzz_load_running", .gauge, "1 while the load runs, 0 once its result is final.", [S(now.running ? 1 : 0)]),
            F("sockfuzz_load_connections", .gauge, "Connections alive now.", [S(Double(now.connections))]),
            F("sockfuzz_load_connections_opened_total", .counter, "Connections opened and ready for load.", [S(suffix: "", Double(now.opened))]),
            F("sockfuzz_load_messages_total", .counter, "Round trips completed in the measured window (replies, for request load).",
              [S(Double(now.messages))]),
            F("sockfuzz_load_errors_total", .counter, "Errors: corrupted echoes, wrong or unframeable replies, connection errors.",
              [S(Double(now.errors))]),
        ]
        if let messageSize {
            families.append(F("sockfuzz_load_bytes_total", .counter, "Payload bytes echoed and verified in the measured window, one direction.",
                              [S(Double(now.messages) * Double(messageSize))]))
        }
        families.append(PrometheusText.latencySummary("sockfuzz_load_latency_seconds",
                                                      help: "Round-trip latency over the measured seconds closed so far (from their HDR histograms).", h))
        return PrometheusText.render(families)
    }
}
