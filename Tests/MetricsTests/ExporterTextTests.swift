// What each exporter's Prometheus text says, from figures set by hand: a running scenario's
// figures are shown beside the finished ones' and counted once when it ends; a fuzz event lands on
// the campaign running now; a proxy's counters and each toxic appear under their labels.

import ClientEngine
@testable import Fuzzing
import Metrics
import Proxy
import ScenarioRunner
import Testing
import Vocabulary

/// The value of the sample `name{labels}` (labels as rendered, e.g. `result="passed"`), if shown.
func sample(_ text: String, _ name: String, _ labels: String? = nil) -> Double? {
    let key = labels.map { "\(name){\($0)}" } ?? name
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        if parts.count == 2, parts[0] == key { return Double(parts[1]) }
    }
    return nil
}

@Suite("Metrics exporters' text")
struct ExporterTextTests {
    private func figures(connected: Int, sent: UInt64, latencies: [UInt64]) -> GroupStats {
        var stats = GroupStats()
        stats.connected = connected
        stats.bytesSent = sent
        for nanos in latencies { stats.latency.record(nanos) }
        return stats
    }

    private func result(_ status: RunStatus) -> ScenarioResult {
        ScenarioResult(scenario: "s.scn", against: "epoll", status: status, seed: 1, durationSeconds: 0.1,
                       failures: [], note: nil, groups: [], totals: nil, server: nil)
    }

    @Test("run: the running scenario's figures are added to the finished ones', and counted once when it ends")
    func runFiguresCountedOnce() {
        let metrics = RunMetrics(planned: 3, segment: "1/2")
        metrics.publish(totals: figures(connected: 2, sent: 100, latencies: [1_000_000]), checks: CheckCounts(passed: 1))
        var text = metrics.render()
        #expect(sample(text, "sockfuzz_run_info", "segment=\"1/2\"") == 1)
        #expect(sample(text, "sockfuzz_run_scenarios_planned") == 3)
        #expect(sample(text, "sockfuzz_run_scenarios_done_total") == 0)
        #expect(sample(text, "sockfuzz_run_connections_total") == 2)
        #expect(sample(text, "sockfuzz_run_checks_total", "result=\"passed\"") == 1)

        // A later publication replaces the running scenario's figures; it does not add to them.
        metrics.publish(totals: figures(connected: 3, sent: 150, latencies: [1_000_000, 2_000_000]), checks: CheckCounts(passed: 2))
        metrics.finished(result(.passed))
        text = metrics.render()
        #expect(sample(text, "sockfuzz_run_connections_total") == 3)
        #expect(sample(text, "sockfuzz_run_bytes_sent_total") == 150)
        #expect(sample(text, "sockfuzz_run_checks_total", "result=\"passed\"") == 2)
        #expect(sample(text, "sockfuzz_run_latency_seconds_count") == 2)

        // The next scenario starts from nothing: the first one's figures are not shown twice.
        metrics.publish(totals: figures(connected: 1, sent: 10, latencies: []), checks: CheckCounts(failed: 1))
        metrics.finished(result(.failed))
        metrics.finished(result(.skipped))
        metrics.stop()
        text = metrics.render()
        #expect(sample(text, "sockfuzz_run_connections_total") == 4)
        #expect(sample(text, "sockfuzz_run_bytes_sent_total") == 160)
        #expect(sample(text, "sockfuzz_run_checks_total", "result=\"failed\"") == 1)
        #expect(sample(text, "sockfuzz_run_scenarios_done_total") == 3)
        #expect(sample(text, "sockfuzz_run_scenarios_passed_total") == 1)
        #expect(sample(text, "sockfuzz_run_scenarios_failed_total") == 1)
        #expect(sample(text, "sockfuzz_run_running") == 0)
    }

    @Test("fuzz: progress and findings land on the campaign running now; its summary is the final word")
    func fuzzEventsPerCampaign() {
        let metrics = FuzzMetrics(segment: "whole")
        metrics.start("epoll")
        metrics.observe(.progress(runs: 5, operations: 50, operationsPerSecond: 10, connections: 7, failures: 0))
        metrics.finish(FuzzSummary(against: "epoll", seed: 1, runs: 6, operations: 60, connections: 8, seconds: 1, interrupted: false))
        metrics.start("select")
        metrics.observe(.progress(runs: 2, operations: 20, operationsPerSecond: 10, connections: 3, failures: 0))
        let text = metrics.render()
        let epoll = "against=\"epoll\",segment=\"whole\"", select = "against=\"select\",segment=\"whole\""
        #expect(sample(text, "sockfuzz_fuzz_runs_total", epoll) == 6)
        #expect(sample(text, "sockfuzz_fuzz_connections_total", epoll) == 8)
        #expect(sample(text, "sockfuzz_fuzz_running", epoll) == 0)
        #expect(sample(text, "sockfuzz_fuzz_runs_total", select) == 2)
        #expect(sample(text, "sockfuzz_fuzz_operations_total", select) == 20)
        #expect(sample(text, "sockfuzz_fuzz_running", select) == 1)
        #expect(sample(text, "sockfuzz_fuzz_findings_total", select) == 0)
    }

    @Test("proxy: counters per proxy, and per toxic under its name and type", .sharesDescriptorTable)
    func proxyCountersAndToxics() throws {
        let proxies = try ProxyServer()
        defer { proxies.stop() }
        _ = try proxies.create(name: "front", listen: "127.0.0.1:0", upstream: "127.0.0.1:9", enabled: false)
        _ = try proxies.addToxic(proxy: "front", try ToxicText.parse(["latency", "latency=100ms"]))
        let text = ProxyMetrics.render(proxies.list())
        #expect(sample(text, "sockfuzz_proxy_enabled", "proxy=\"front\"") == 0)
        #expect(sample(text, "sockfuzz_proxy_connections_total", "proxy=\"front\"") == 0)
        #expect(sample(text, "sockfuzz_proxy_toxic_connections_total",
                       "proxy=\"front\",toxic=\"latency_downstream\",type=\"latency\"") == 0)
        // Only frame-aware toxics have a frames counter.
        #expect(!text.contains("sockfuzz_proxy_toxic_frames_total{"))
    }
}
