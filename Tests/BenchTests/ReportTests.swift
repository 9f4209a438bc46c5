// The JSON schema of the bench report (round trip and key names), the target verdicts and
// ratios, the terminal table, and the parsers of loadc's and serve's output lines.

@testable import Bench
import Foundation
import Testing

@Suite struct JSONSchemaTests {
    func encoded(_ report: BenchReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }

    @Test func decodesBackIntoTheSameReport() throws {
        let report = Fixtures.report()
        let decoded = try JSONDecoder().decode(BenchReport.self, from: try encoded(report))
        #expect(decoded == report)
    }

    @Test func hasTheDocumentedKeys() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: try encoded(Fixtures.report())) as? [String: Any])
        #expect(Set(object.keys) == ["schema", "date", "command", "quick", "machine", "settings", "servers", "costCurve",
                                     "clients", "connects", "idleMemory", "targets", "skipped", "notes", "elapsedSeconds", "tls", "proxy"])
        #expect(object["schema"] as? String == "sockfuzz-bench/1")
        let server = try #require((object["servers"] as? [[String: Any]])?.first)
        #expect(Set(server.keys).isSuperset(of: ["server", "connections", "depth", "messagesPerSecond", "latencyMicros",
                                                 "serverCPUMicrosPerMessage", "serverCPUPercent", "runs", "errors"]))
        let id = try #require(server["server"] as? [String: Any])
        #expect(Set(id.keys) == ["implementation", "mode"])
        let cost = try #require((object["costCurve"] as? [[String: Any]])?.first)
        #expect(Set(cost.keys).isSuperset(of: ["mode", "idleConnections", "roundTripsPerSecond", "serverCPUMicrosPerMessage"]))
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        #expect(Set(target.keys) == ["id", "goal", "measured", "threshold", "unit", "verdict", "detail"])
        let memory = try #require(object["idleMemory"] as? [String: Any])
        #expect(Set(memory.keys) == ["mode", "connections", "rssBeforeBytes", "rssAfterBytes", "bytesPerConnection"])
        let tls = try #require(object["tls"] as? [String: Any])
        let cell = try #require((tls["cells"] as? [[String: Any]])?.first)
        #expect(Set(cell.keys).isSuperset(of: ["server", "handshakesPerSecond", "handshakeLatencyMicros", "serverCPUMicrosPerHandshake",
                                               "sequentialHandshakesPerSecond", "sTimeHandshakesPerSecond", "echoMessagesPerSecond",
                                               "ratioToReference", "echoRatioToReference", "runs"]))
        let tlsMemory = try #require(tls["idleMemory"] as? [String: Any])
        #expect(Set(tlsMemory.keys) == ["connections", "serverBytesPerConnection", "clientBytesPerConnection", "referenceServerBytesPerConnection"])
    }

    @Test func aReportWithNothingMeasuredRoundTrips() throws {
        let report = Fixtures.empty()
        #expect(try JSONDecoder().decode(BenchReport.self, from: try encoded(report)) == report)
    }
}

@Suite struct TargetTests {
    @Test func ratiosAreAgainstTheSameDesignInTheSameCell() throws {
        let report = Fixtures.report(epollRatio: 1.05, selectRatio: 0.97)
        let epoll = report.servers.filter { $0.server == .sockfuzzEpoll }
        #expect(epoll.count == 6)
        for cell in epoll { #expect(abs((cell.ratioToReference ?? 0) - 1.05) < 1e-9) }
        for cell in report.servers where cell.server == .sockfuzzSelect { #expect(abs((cell.ratioToReference ?? 0) - 0.97) < 1e-9) }
        // Busy-poll is set beside echo_ref epoll; the references have no ratio.
        for cell in report.servers where cell.server == .sockfuzzBusy { #expect(abs((cell.ratioToReference ?? 0) - 0.5) < 1e-9) }
        for cell in report.servers where cell.server.implementation == .echoRef { #expect(cell.ratioToReference == nil) }
    }

    @Test func verdicts() throws {
        let report = Fixtures.report(epollRatio: 1.05, selectRatio: 0.97)
        func verdict(_ id: String) -> TargetResult.Verdict? { report.targets.first { $0.id == id }?.verdict }
        #expect(verdict("server-epoll") == .pass)
        #expect(verdict("server-select") == .miss)
        // loadc is faster at 100 connections in the fixture: the worst cell decides.
        #expect(verdict("client-load") == .miss)
        #expect(verdict("client-connect") == .pass)
        #expect(verdict("idle-memory") == .pass)
        let load = try #require(report.targets.first { $0.id == "client-load" })
        #expect(load.detail.contains("100 conns"))
        #expect(abs((load.measured ?? 0) - 400.0 / 420.0) < 1e-9)
        #expect(report.idleMemory?.bytesPerConnection == 100)
    }

    @Test("uring is judged against echo_ref epoll: 1.2x where there is load, 1.0x on one connection")
    func uringTargets() throws {
        func verdict(_ report: BenchReport, _ id: String) -> TargetResult.Verdict? { report.targets.first { $0.id == id }?.verdict }
        let fast = BenchTargets.evaluate(Fixtures.report(uringRatio: 1.3))
        #expect(verdict(fast, "server-uring") == .pass)
        #expect(verdict(fast, "server-uring-single") == .pass)
        let short = BenchTargets.evaluate(Fixtures.report(uringRatio: 1.15))
        #expect(verdict(short, "server-uring") == .miss, "1.15x is short of 1.2x")
        let uring = try #require(short.servers.first { $0.server == .sockfuzzUring && $0.connections == 100 })
        #expect(abs((uring.ratioToReference ?? 0) - 1.15) < 1e-9, "uring is compared with echo_ref epoll")
    }

    @Test("a uring row is judged by its target's threshold, in the terminal and on the page (1.15x is a MISS with load)")
    func uringRowsUseTheirTargetsThreshold() throws {
        // The fixture: uring 1.15x echo_ref epoll with 100 and 1000 connections, 1.05x on one.
        let report = BenchTargets.evaluate(Fixtures.report(uringRatio: 1.15))
        let lines = TerminalReport.render(report).split(separator: "\n")
        let loaded = lines.filter { $0.contains("sockfuzz uring") && $0.contains("1.15x") }
        let single = lines.filter { $0.contains("sockfuzz uring") && $0.contains("1.05x") }
        #expect(loaded.count == 4 && single.count == 2, "\(lines)")
        #expect(loaded.allSatisfy { $0.contains("MISS (>= 1.2x echo_ref epoll)") }, "\(loaded)")
        #expect(single.allSatisfy { $0.contains("PASS (>= 1.0x echo_ref epoll)") }, "\(single)")
        #expect(!lines.contains { $0.contains("sockfuzz busy") && ($0.contains("PASS") || $0.contains("MISS")) })

        // Rows end at </tr>; the server's name is a cell of its own (the charts' tooltips name it too).
        let rows = HTMLReport.render(report).components(separatedBy: "</tr>").filter { $0.contains(">sockfuzz uring</td>") }
        let loadedRows = rows.filter { $0.contains("1.15x") }
        let singleRows = rows.filter { $0.contains("1.05x") }
        #expect(loadedRows.count == 4 && singleRows.count == 2, "\(rows)")
        #expect(loadedRows.allSatisfy { $0.contains("MISS") && !$0.contains("PASS") }, "\(loadedRows)")
        #expect(singleRows.allSatisfy { $0.contains("PASS") && !$0.contains("MISS") }, "\(singleRows)")
    }

    @Test func sectionsNotRunAreSkippedNotPassed() {
        let report = Fixtures.empty()
        #expect(report.targets.count == 7)
        #expect(report.targets.allSatisfy { $0.verdict == .skipped })
        #expect(report.targets.first { $0.id == "idle-memory" }?.detail == "interrupted")
    }

    @Test func theTerminalTableShowsRatiosAndVerdicts() throws {
        let text = TerminalReport.render(Fixtures.report(epollRatio: 1.05, selectRatio: 0.97))
        #expect(text.contains("1.05x"))
        #expect(text.contains("0.97x"))
        #expect(text.contains("PASS (>= 1.0x echo_ref epoll)"))
        #expect(text.contains("MISS (>= 1.0x echo_ref select)"))
        #expect(text.contains("100 B per connection"))
        #expect(text.contains("(2) The cost curve"))
        // Section 6: handshakes/s, the ratio to tls_echo_ref, s_time beside it, and idle TLS memory.
        let tls = try #require(text.split(separator: "\n").first { $0.contains("sockfuzz epoll tls") })
        #expect(tls.contains("1,200") && tls.contains("1.50x") && tls.contains("600") && tls.contains("1.25x"), "\(tls)")
        #expect(text.contains("1000 idle TLS connections (RSS growth): sockfuzz serve --tls 14.6 KiB each, client (sockfuzz load --tls) 29.3 KiB each, tls_echo_ref 14.2 KiB each"), "\(text)")
        // Columns line up: every row of the first table is as wide as its rule or narrower.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines.firstIndex { $0.contains("conns") && $0.contains("server") }!
        #expect(lines[header + 1].allSatisfy { $0 == "-" || $0 == " " })
    }
}

@Suite struct OutputParsingTests {
    @Test func loadcEchoLine() {
        let f = BenchRunner.fields("ECHO conns=100 depth=16 size=64 secs=1.00 msgs/s=412345 MB/s=26.39 p50_us=3801.2 p99_us=5012.9 p999_us=6000.0 errs=0")
        #expect(f["msgs/s"] == 412345)
        #expect(f["p50_us"] == 3801.2)
        #expect(f["p99_us"] == 5012.9)
        #expect(f["conns"] == 100)
    }

    @Test func loadcConnectLine() {
        let f = BenchRunner.fields("CONNECT N=10000 inflight=1000 connected=10000 echoed=10000 failed=0 t_connect=0.180s t_echo=0.190s connects/s=55556 echoed_conns/s=52632")
        #expect(f["connects/s"] == 55556)
        #expect(f["connected"] == 10000)
        #expect(f["t_connect"] == 0.18)
    }

    @Test func servePortLine() {
        #expect(ServerUnderTest.parsePort("sockfuzz echo server listening on 127.0.0.1:40123, mode epoll") == 40123)
        #expect(ServerUnderTest.parsePort("sockfuzz echo server listening on [::1]:8080, mode select") == 8080)
        #expect(ServerUnderTest.parsePort("nothing here") == nil)
    }

    @Test func medianIsARealRun() {
        #expect(LoadCell.median([3.0, 1, 2], by: { $0 }) == 2)
        #expect(LoadCell.median([4.0, 1], by: { $0 }) == 1)
        #expect(LoadCell.median([Double](), by: { $0 }) == nil)
    }

    @Test func compactNumbers() {
        #expect(compact(1234) == "1.2k")
        #expect(compact(123_456) == "123k")
        #expect(compact(2_500_000) == "2.5M")
        #expect(BenchFormat.count(1_234_567) == "1,234,567")
        #expect(BenchFormat.ratio(1.0349) == "1.03x")
        #expect(BenchFormat.ratio(0.998) == "0.998x")
        #expect(BenchFormat.ratio(1.0) == "1.00x")
        // Just under uring's 1.2x a miss keeps its third decimal too, and 1.2x itself does not.
        #expect(BenchFormat.ratio(1.196, threshold: 1.2) == "1.196x")
        #expect(BenchFormat.ratio(1.2, threshold: 1.2) == "1.20x")
        // The band is the threshold's own: against 1.0x, 1.196x is simply 1.20x.
        #expect(BenchFormat.ratio(1.196) == "1.20x")
        #expect(BenchFormat.spread([90, 100, 110], around: 100) == "±10%")
        #expect(BenchFormat.spread([100], around: 100) == "-")
    }
}
