// Section 6's goals (issue 18) on synthetic data: at most 4 KiB per idle TLS connection on
// each end and handshakes/s at least tls_echo_ref's are judged when the section ran, skipped
// with the reason when it measured nothing, and absent when it did not run; tls_echo_ref's
// own idle figure is carried beside ours and older reports without it still decode.

@testable import Bench
import Foundation
import Testing

@Suite struct TLSReportTests {
    func withSection6(memory: TLSIdleMemory?, ratio: Double?) -> BenchReport {
        var r = Fixtures.report()
        r.settings.sections.append(6)
        r.tls?.idleMemory = memory
        if let i = r.tls?.cells.firstIndex(where: { $0.server == "sockfuzz epoll tls" }) { r.tls?.cells[i].ratioToReference = ratio }
        return BenchTargets.evaluate(r)
    }

    func target(_ report: BenchReport, _ id: String) throws -> TargetResult {
        try #require(report.targets.first { $0.id == id }, "no target \(id) in \(report.targets.map(\.id))")
    }

    @Test func theGoalsPassWhenMet() throws {
        let r = withSection6(memory: TLSIdleMemory(connections: 1000, serverBytesPerConnection: 3900, clientBytesPerConnection: 4096,
                                                   referenceServerBytesPerConnection: 3800), ratio: 1.0)
        #expect(try target(r, "tls-idle-memory-server").verdict == .pass)
        #expect(try target(r, "tls-idle-memory-client").verdict == .pass, "4096 B is at the limit, not past it")
        #expect(try target(r, "tls-handshakes").verdict == .pass)
        #expect(try target(r, "tls-idle-memory-server").detail == "1000 connections; tls_echo_ref 3800 B/conn")
    }

    @Test func moreMemoryOrFewerHandshakesMiss() throws {
        let r = withSection6(memory: TLSIdleMemory(connections: 1000, serverBytesPerConnection: 4097, clientBytesPerConnection: 19_000),
                             ratio: 0.93)
        #expect(try target(r, "tls-idle-memory-server").verdict == .miss)
        #expect(try target(r, "tls-idle-memory-client").verdict == .miss)
        #expect(try target(r, "tls-idle-memory-client").measured == 19_000)
        let handshakes = try target(r, "tls-handshakes")
        #expect(handshakes.verdict == .miss && handshakes.measured == 0.93 && handshakes.detail.contains("32 in flight"))
        #expect(TerminalReport.render(r).contains("MISS  <= 4 KiB RSS per idle TLS connection, the load client (6)"))
    }

    @Test func aSectionThatMeasuredNothingIsSkippedWithTheReason() throws {
        var r = withSection6(memory: nil, ratio: nil)
        r.skipped.append(Skip(section: 6, what: "TLS idle memory of sockfuzz epoll tls", reason: "no TLS connection opened"))
        r = BenchTargets.evaluate(r)
        for id in ["tls-idle-memory-server", "tls-idle-memory-client"] {
            #expect(try target(r, id).verdict == .skipped)
            #expect(try target(r, id).detail == "no TLS connection opened")
        }
        #expect(try target(r, "tls-handshakes").verdict == .skipped)
        // Not run at all: no TLS goal in the table (the fixture's sections leave 6 out).
        #expect(!Fixtures.report().targets.contains { $0.id.hasPrefix("tls-") })
    }

    @Test func olderReportsWithoutTheReferenceFigureDecode() throws {
        let old = #"{"connections": 1000, "serverBytesPerConnection": 15000, "clientBytesPerConnection": 30000}"#
        let memory = try JSONDecoder().decode(TLSIdleMemory.self, from: Data(old.utf8))
        #expect(memory.referenceServerBytesPerConnection == nil)
        let line = try #require(TLSBenchSection(cells: [], idleMemory: memory).memoryLine)
        #expect(!line.contains("tls_echo_ref"), "\(line)")
    }
}
