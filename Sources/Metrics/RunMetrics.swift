// What `run --metrics-listen` exposes: the scenarios done, passed and failed, the checks made,
// and the connections, bytes and round-trip latency of the runs so far: the finished runs' added
// to the running one's, which a timer on its loop publishes four times a second under a lock.

import ClientEngine
import Histogram
import Results
import ScenarioRunner
import Synchronization

public final class RunMetrics: Sendable {
    private struct State: Sendable {
        var running = true
        var planned: Int
        var passed = 0
        var failed = 0
        /// Skipped, errored or interrupted runs.
        var other = 0
        /// The finished runs' checks and figures, added up.
        var checks = CheckCounts()
        var figures = GroupStats()
        /// The running scenario's, as last published.
        var currentChecks = CheckCounts()
        var current = GroupStats()
    }

    private let state: Mutex<State>
    private let segment: String

    public init(planned: Int, segment: String) {
        state = Mutex(State(planned: planned))
        self.segment = segment
    }

    /// On the run's thread, from its loop's timer (and once at its end): the running scenario's
    /// figures and checks so far (they replace the last ones published, not add to them).
    public func publish(totals: GroupStats, checks: CheckCounts) {
        state.withLock {
            $0.current = totals
            $0.currentChecks = checks
        }
    }

    /// A scenario run is over: its figures join the finished ones'.
    public func finished(_ result: ScenarioResult) {
        state.withLock {
            switch result.status {
            case .passed: $0.passed += 1
            case .failed: $0.failed += 1
            case .skipped, .errored, .interrupted: $0.other += 1
            }
            $0.checks.add($0.currentChecks)
            $0.figures.merge($0.current)
            $0.currentChecks = CheckCounts()
            $0.current = GroupStats()
        }
    }

    /// Every run is over (or interrupted): the figures are final.
    public func stop() { state.withLock { $0.running = false } }

    public func render() -> String {
        let now = state.withLock { $0 }
        var checks = now.checks
        checks.add(now.currentChecks)
        var figures = now.figures
        figures.merge(now.current)
        typealias F = PrometheusText.Family
        typealias S = PrometheusText.Sample
        let done = now.passed + now.failed + now.other
        return PrometheusText.render([
            F("sockfuzz_run_info", .gauge, "The share this process runs (always 1).", [S(labels: [("segment", segment)], 1)]),
            F("sockfuzz_run_running", .gauge, "1 while scenarios run, 0 once every run is over.", [S(now.running ? 1 : 0)]),
            F("sockfuzz_run_scenarios_planned", .gauge, "Scenario runs planned (files times modes).", [S(Double(now.planned))]),
            F("sockfuzz_run_scenarios_done_total", .counter, "Scenario runs over: passed, failed, or skipped, errored or interrupted.",
              [S(Double(done))]),
            F("sockfuzz_run_scenarios_passed_total", .counter, "Scenario runs that passed.", [S(Double(now.passed))]),
            F("sockfuzz_run_scenarios_failed_total", .counter, "Scenario runs that failed.", [S(Double(now.failed))]),
            F("sockfuzz_run_checks_total", .counter, "Checks made (expectations, load and fuzz statements), by result; a skipped one checked nothing.",
              [S(labels: [("result", "passed")], Double(checks.passed)), S(labels: [("result", "failed")], Double(checks.failed)),
               S(labels: [("result", "skipped")], Double(checks.skipped))]),
            F("sockfuzz_run_connections_total", .counter, "Connections established (TLS: handshake done).", [S(Double(figures.connected))]),
            F("sockfuzz_run_connect_failures_total", .counter, "Connects refused, timed out or failed.",
              [S(Double(figures.refused + figures.timedOut + figures.connectFailed))]),
            F("sockfuzz_run_bytes_sent_total", .counter, "Payload bytes sent.", [S(Double(figures.bytesSent))]),
            F("sockfuzz_run_bytes_received_total", .counter, "Payload bytes received.", [S(Double(figures.bytesReceived))]),
            PrometheusText.latencySummary("sockfuzz_run_latency_seconds",
                                          help: "Round trips (echoes, or request to reply) of the runs so far, from their HDR histograms.",
                                          figures.latency),
        ])
    }
}
