// What `load --metrics-listen` exposes: the counters the progress line publishes (4 times a
// second, under a lock: nothing per message), and the latency of the measured seconds closed so
// far, merged on the endpoint's thread when scraped; after the run, the final result.

import Histogram
import Load
import Results
import Synchronization

final class LoadMetrics: Sendable {
    struct State: Sendable {
        var running = true
        var connections = 0
        var opened = 0
        var messages: UInt64 = 0
        var errors: UInt64 = 0
        /// The closed seconds' histograms, in order.
        var seconds: [Histogram<UInt64>] = []
    }

    private let state = Mutex(State())
    /// The closed seconds' histograms added up so far (the endpoint's thread only).
    private let latency = Mutex<(seconds: Int, histogram: Histogram<UInt64>)>((0, LoadResult.emptyHistogram()))
    /// Echo load: each message's size; nil for request load, whose requests vary.
    private let messageSize: Int?
    private let labels: [(String, String)]

    init(messageSize: Int?, test: String, segment: String) {
        self.messageSize = messageSize
        labels = [("test", test), ("segment", segment)]
    }

    func connected(_ n: Int) {
        state.withLock { $0.opened = n; $0.connections = n }
    }

    func publish(_ p: LoadProgress) {
        state.withLock {
            $0.connections = p.connections
            $0.messages = p.messages
            $0.errors = p.errors
            $0.seconds = p.seconds.map(\.histogram)
        }
    }

    /// The run is over: its result, so a scrape now agrees with it exactly.
    func finish(_ result: LoadResult?) {
        state.withLock {
            $0.running = false
            guard let result else { return }
            $0.messages = result.messages
            $0.errors = result.errors
            if let intervals = result.intervals {
                // The result's last second may be one the progress never saw.
                $0.seconds = intervals.compactMap { try? HistogramEncoding.decode(base64: $0.histogram) }
            }
        }
    }

    func render() -> String {
        let now = state.withLock { $0 }
        let h = latency.withLock { merged -> Histogram<UInt64> in
            for second in now.seconds.dropFirst(merged.seconds) { merged.histogram.add(second) }
            merged.seconds = max(merged.seconds, now.seconds.count)
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
