// `sockfuzz merge SHARE.json...`: the results of a test run as n segments (`load`, `fuzz`, `run --segment i/n`)
// added up into one: exact totals, merged percentiles, per-second figures. Exit 0 when every
// share passed, 1 when one did not, 2 when the files are not n shares of one test.

import ArgumentParser
import Foundation
import Fuzzing
import Load
import Merging
import ScenarioRunner

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add up the results of a test's segments (load, fuzz or run --segment i/n --json ...).",
        discussion: "Refuses results of different tests, a share given twice, missing shares, and a share whose figures contradict its verdict (exit 2): every verdict is worked out again from the figures."
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
        var files: [(file: String, data: Data)] = []
        for file in self.files {
            guard let data = FileManager.default.contents(atPath: file) else {
                Output.error("sockfuzz merge: cannot read \(file)")
                throw ExitCode(2)
            }
            files.append((file, data))
        }
        switch try refusing({ try ShareDocuments.decode(files) }) {
        case .fuzz(let reports): try mergeFuzz(reports)
        case .run(let reports): try mergeRuns(reports)
        case .load(let records): try mergeLoad(records)
        }
    }

    /// What `merge` throws, as a refusal: the reason on stderr, exit 2.
    private func refusing<T>(_ merge: () throws -> T) throws -> T {
        do { return try merge() } catch {
            Output.error("sockfuzz merge: \(error)")
            throw ExitCode(2)
        }
    }

    private func mergeLoad(_ records: [(file: String, record: LoadRecord)]) throws {
        let merged = try refusing { try LoadMerge.merge(records) }
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
        if let r = merged.replies {
            Output.line("requests: \(r.requests) in the mix, \(r.framing) replies\(r.expect.map { " matching \($0)" } ?? ""): "
                        + "\(merged.messages) replies counted, \(r.mismatched) mismatched, \(r.framingErrors) framing errors"
                        + (r.firstMismatch.map { "; first mismatch: \($0)" } ?? ""))
        }
        for (share, late) in merged.late.sorted(by: { $0.key < $1.key }) { Output.line("share \(share) started \(Format.seconds(late)) late") }
        Output.line(merged.passed ? "merge: PASSED: every share passed" : "merge: FAILED: " + merged.problems.joined(separator: "; "))
        try writeJSON(merged)
        if let html { try Reports.write(MergePage.render(merged), to: html, option: "--html") }
        if !merged.passed { throw ExitCode(1) }
    }

    private func mergeRuns(_ reports: [(file: String, document: JSONReport.Document)]) throws {
        let merged = try refusing { try RunMerge.merge(reports) }
        for run in merged.runs {
            Output.line("run \(run.scenario) against \(run.against), seed \(run.seed): \(run.shares) shares, \(run.passed ? "PASSED" : "FAILED")")
            for g in run.groups + [run.totals] {
                var line = "  \(g.name == "*" ? "all groups" : g.name): \(g.connected)/\(g.connectsStarted) connected, "
                    + "sent \(g.bytesSent) B, received \(g.bytesReceived) B"
                if g.refused + g.timedOut + g.connectFailed + g.resets + g.echoMismatches > 0 {
                    line += ", refused \(g.refused), timed out \(g.timedOut), failed \(g.connectFailed), resets \(g.resets), echo mismatches \(g.echoMismatches)"
                }
                if let l = g.latencyMicros {
                    line += "; latency p50 \(Format.seconds(l.p50 / 1e6)) p99 \(Format.seconds(l.p99 / 1e6)) max \(Format.seconds(l.max / 1e6))"
                }
                Output.line(line)
            }
            for (share, late) in run.late.sorted(by: { $0.key < $1.key }) { Output.line("  share \(share) started \(Format.seconds(late)) late") }
            if let c = run.checks { Output.line("  checks: \(c.passed) passed, \(c.failed) failed, \(c.skipped) skipped") }
            for p in run.problems { Output.line("  problem: \(p)") }
        }
        Output.line(merged.passed ? "merge: PASSED: every share of every run passed" : "merge: FAILED: a share failed (problems above)")
        try writeJSON(merged)
        if let html { try Reports.write(MergePage.render(merged), to: html, option: "--html") }
        if !merged.passed { throw ExitCode(1) }
    }

    private func writeJSON(_ value: some Encodable) throws {
        if let json { try Reports.writeJSON(value, to: json) }
    }

    private func mergeFuzz(_ reports: [(file: String, passed: Bool, summaries: [FuzzSummary])]) throws {
        // Asked for a page it would not write, merge would leave the path empty while saying nothing.
        if html != nil {
            Output.error("sockfuzz merge: --html draws merged load and run results; for fuzz reports use --json")
            throw ExitCode(2)
        }
        let merged = try refusing { try FuzzMerge.merge(reports) }
        for c in merged.campaigns {
            Output.line("fuzz \(c.against), seed \(c.seed): \(c.shares) shares, \(c.runs) runs, \(c.operations) operations, \(c.connections) connections")
            for f in c.findings { Output.line("  finding: \(f)") }
            for p in c.problems { Output.line("  problem: \(p)") }
        }
        Output.line(merged.passed ? "merge: PASSED: no share found anything" : "merge: FAILED: findings or problems above")
        try writeJSON(merged)
        if !merged.passed { throw ExitCode(1) }
    }
}
