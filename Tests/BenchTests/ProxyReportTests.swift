// Section 7 of the bench report on synthetic data: the proxy's ratios to relay_ref and socat and
// its p50 above relay_ref's are computed per cell against the same cell, the three goals of
// issue 19 are judged (>= 1.0x, <= 10 us), a cell that could not be measured says why, and the
// table, the JSON and the page carry all of it.

@testable import Bench
import Foundation
import Testing

@Suite struct ProxyReportTests {
    func target(_ report: BenchReport, _ id: String) throws -> TargetResult {
        try #require(report.targets.first { $0.id == id }, "no target \(id) in \(report.targets.map(\.id))")
    }

    @Test func ratiosAndAddedLatencyAreAgainstTheSameCell() throws {
        let proxy = try #require(Fixtures.report(proxyRatio: 1.02, proxyAddedMicros: 4).proxy)
        let mine = proxy.cells.filter { $0.relay == .sockfuzz }
        #expect(mine.count == 6)
        for c in mine {
            #expect(abs((c.ratioToRelayRef ?? 0) - 1.02) < 1e-9, "\(c.connections)/\(c.depth)")
            #expect(abs((c.p50AboveRelayRefMicros ?? 0) - 4) < 1e-9, "\(c.connections)/\(c.depth)")
            if c.connections == 1000 && c.depth == 16 {
                #expect(c.ratioToSocat == nil, "socat's cell there has no figure")
            } else {
                #expect(abs((c.ratioToSocat ?? 0) - 2.04) < 1e-9, "\(c.connections)/\(c.depth)")
            }
        }
        // The yardsticks and the baseline carry no ratio of their own.
        for c in proxy.cells where c.relay != .sockfuzz {
            #expect(c.ratioToRelayRef == nil && c.ratioToSocat == nil && c.p50AboveRelayRefMicros == nil)
        }
    }

    @Test func theThreeGoalsPassWhenMet() throws {
        let report = Fixtures.report(proxyRatio: 1.02, proxyAddedMicros: 4)
        let relay = try target(report, "proxy-vs-relay")
        #expect(relay.verdict == .pass)
        #expect(abs((relay.measured ?? 0) - 1.02) < 1e-9)
        let socat = try target(report, "proxy-vs-socat")
        #expect(socat.verdict == .pass)
        #expect(socat.detail.contains("1 cell(s) without a reference figure"), "\(socat.detail)")
        let latency = try target(report, "proxy-latency")
        #expect(latency.verdict == .pass)
        #expect(latency.unit == "us" && latency.threshold == 10)
        #expect(abs((latency.measured ?? 0) - 4) < 1e-9)
    }

    @Test func slowerOrLaterThanTheRelayMisses() throws {
        let report = Fixtures.report(proxyRatio: 0.95, proxyAddedMicros: 12)
        #expect(try target(report, "proxy-vs-relay").verdict == .miss)
        #expect(try target(report, "proxy-vs-socat").verdict == .pass, "0.95x relay_ref is still 1.9x socat")
        let latency = try target(report, "proxy-latency")
        #expect(latency.verdict == .miss)
        #expect(abs((latency.measured ?? 0) - 12) < 1e-9)
        #expect(latency.detail.contains("+12.0 us"), "\(latency.detail)")
        // Exactly at the limits passes.
        let edge = Fixtures.report(proxyRatio: 1.0, proxyAddedMicros: 10)
        #expect(try target(edge, "proxy-vs-relay").verdict == .pass)
        #expect(try target(edge, "proxy-latency").verdict == .pass)
    }

    @Test func aSectionRunWithoutFiguresIsSkippedWithTheReason() throws {
        var report = Fixtures.report()
        report.proxy = nil
        report.skipped.append(Skip(section: 7, what: "socat cells", reason: "socat is not installed (no socat on PATH)"))
        report.skipped.append(Skip(section: 7, what: "proxy pass-through", reason: "loadc not built"))
        let evaluated = BenchTargets.evaluate(report)
        #expect(try target(evaluated, "proxy-vs-relay").verdict == .skipped)
        #expect(try target(evaluated, "proxy-vs-socat").detail == "socat is not installed (no socat on PATH)")
        #expect(try target(evaluated, "proxy-latency").verdict == .skipped)
        // Not run at all: no proxy targets.
        #expect(!Fixtures.empty().targets.contains { $0.id.hasPrefix("proxy") })
    }

    @Test func theTableShowsRatiosVerdictsAndTheUnmeasuredCell() throws {
        let text = TerminalReport.render(Fixtures.report(proxyRatio: 1.02, proxyAddedMicros: 4))
        #expect(text.contains("(7) Proxy pass-through: echo_ref epoll"))
        let rows = text.split(separator: "\n").filter { $0.contains("sockfuzz proxy  ") }
        #expect(rows.count == 6, "\(text)")
        let first = try #require(rows.first)
        #expect(first.contains("1.02x") && first.contains("2.04x") && first.contains("+4.0 us"), "\(first)")
        #expect(first.contains("relay_ref PASS, socat PASS, p50 PASS"), "\(first)")
        #expect(text.contains("not measured: \(Fixtures.socatProblem)"))
        let missed = TerminalReport.render(Fixtures.report(proxyRatio: 0.9, proxyAddedMicros: 15))
        #expect(missed.contains("relay_ref MISS, socat PASS, p50 MISS"))
        #expect(missed.contains("MISS  sockfuzz proxy (no toxic) >= 1.0x relay_ref msgs/s"), "\(missed)")
    }

    @Test func theJSONCarriesTheSectionAndOldReportsStillDecode() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Fixtures.report())
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let proxy = try #require(object["proxy"] as? [String: Any])
        #expect(proxy["upstream"] as? String == "echo_ref epoll")
        let cells = try #require(proxy["cells"] as? [[String: Any]])
        let mine = try #require(cells.first { $0["relay"] as? String == "sockfuzz proxy" })
        #expect(Set(mine.keys).isSuperset(of: ["relay", "connections", "depth", "messagesPerSecond", "latencyMicros", "relayCPUPercent",
                                               "runs", "errors", "ratioToRelayRef", "ratioToSocat", "p50AboveRelayRefMicros"]))
        #expect(Set(cells.compactMap { $0["relay"] as? String }) == ["direct", "sockfuzz proxy", "relay_ref", "socat"])
        // A report written before section 7 existed has no "proxy" key.
        var old = object
        old.removeValue(forKey: "proxy")
        let decoded = try JSONDecoder().decode(BenchReport.self, from: try JSONSerialization.data(withJSONObject: old))
        #expect(decoded.proxy == nil)
    }

    @Test func thePageHasTheSectionAndOneChartPerDepth() throws {
        let report = Fixtures.report()
        let html = HTMLReport.render(report)
        #expect(html.contains("(7) Proxy pass-through"))
        #expect(html.contains("relay_ref PASS, socat PASS, p50 PASS"))
        let ids = HTMLReport.charts(for: report).map(\.id).filter { $0.hasPrefix("proxy-") }
        #expect(ids.sorted() == ["proxy-throughput-depth-1", "proxy-throughput-depth-16"])
    }
}
