// `sockfuzz merge SHARE.json...`: the results of a test run as n segments (`load --segment i/n`)
// added up into one: exact totals, merged percentiles, per-second figures. Exit 0 when every
// share passed, 1 when one did not, 2 when the files are not n shares of one test.

import ArgumentParser
import Foundation
import Fuzzing
import Load
import ScenarioRunner

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add up the results of a test's segments (load or fuzz --segment i/n --json ...).",
        discussion: "Refuses results of different tests, a share given twice and missing shares (exit 2)."
    )

    @Argument(help: "The shares' JSON results.")
    var files: [String]

    @Option(help: "Write the merged result as JSON here.")
    var json: String?

    @Option(help: "Write the merged result as an HTML page here.")
    var html: String?

    func validate() throws {
        if let json, let problem = Reports.unwritable(json) { throw ValidationError("--json \(json): \(problem)") }
        if let html, let problem = Reports.unwritable(html) { throw ValidationError("--html \(html): \(problem)") }
    }

    func run() throws {
        var records: [(file: String, record: LoadRecord)] = []
        var fuzzReports: [(file: String, summaries: [FuzzSummary])] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                Output.error("sockfuzz merge: cannot read \(file)")
                throw ExitCode(2)
            }
            if let record = try? JSONDecoder().decode(LoadRecord.self, from: data) {
                records.append((file, record))
            } else if let report = try? JSONDecoder().decode(FuzzReportDocument.self, from: data) {
                fuzzReports.append((file, report.fuzz))
            } else {
                Output.error("sockfuzz merge: \(file) is not a result of `sockfuzz load --json` or `sockfuzz fuzz --json`")
                throw ExitCode(2)
            }
        }
        if !fuzzReports.isEmpty {
            guard records.isEmpty else {
                Output.error("sockfuzz merge: load results and fuzz reports cannot be merged together")
                throw ExitCode(2)
            }
            try mergeFuzz(fuzzReports)
            return
        }
        let merged: MergedLoad
        do { merged = try LoadMerge.merge(records) } catch {
            Output.error("sockfuzz merge: \(error)")
            throw ExitCode(2)
        }
        Output.line("merge: \(merged.shares) shares of: \(merged.test)")
        Output.line("connect: \(merged.echoed)/\(merged.connectionsRequested) connections echoed (\(merged.connected) connected)")
        var line = "load: \(merged.messages) messages, \(Int(merged.messagesPerSecond)) msg/s in all"
        if let l = merged.latencyMicros {
            line += "; latency p50 \(Format.seconds(l.p50 / 1e6)) p90 \(Format.seconds(l.p90 / 1e6)) p99 \(Format.seconds(l.p99 / 1e6)) "
                + "p99.9 \(Format.seconds(l.p999 / 1e6)) max \(Format.seconds(l.max / 1e6))"
        }
        Output.line(line + "; corrupted \(merged.corrupted), connection errors \(merged.connectionErrors), unanswered \(merged.unanswered), not sent \(merged.notSent)")
        if let h = merged.handshakes {
            Output.line("tls: \(h.completed) handshakes, \(Int(h.perSecond)) handshakes/s in all"
                        + (h.latencyMicros.map { "; latency p50 \(micros($0.p50)) p99 \(micros($0.p99)) max \(micros($0.max))" } ?? "")
                        + (h.failed > 0 ? "; failed \(h.failed)" : ""))
        }
        for (share, late) in merged.late.sorted(by: { $0.key < $1.key }) { Output.line("share \(share) started \(Format.seconds(late)) late") }
        Output.line(merged.passed ? "merge: PASSED: every share passed" : "merge: FAILED: " + merged.problems.joined(separator: "; "))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try Reports.write(String(decoding: try encoder.encode(merged), as: UTF8.self), to: json, option: "--json")
        }
        if let html { try Reports.write(MergePage.render(merged), to: html, option: "--html") }
        if !merged.passed { throw ExitCode(1) }
    }

    private func mergeFuzz(_ reports: [(file: String, summaries: [FuzzSummary])]) throws {
        let merged: MergedFuzz
        do { merged = try FuzzMerge.merge(reports) } catch {
            Output.error("sockfuzz merge: \(error)")
            throw ExitCode(2)
        }
        for c in merged.campaigns {
            Output.line("fuzz \(c.against), seed \(c.seed): \(c.shares) shares, \(c.runs) runs, \(c.operations) operations, \(c.connections) connections")
            for f in c.findings { Output.line("  finding: \(f)") }
            for p in c.problems { Output.line("  problem: \(p)") }
        }
        Output.line(merged.passed ? "merge: PASSED: no share found anything" : "merge: FAILED: findings or problems above")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try Reports.write(String(decoding: try encoder.encode(merged), as: UTF8.self), to: json, option: "--json")
        }
        if !merged.passed { throw ExitCode(1) }
    }
}
