// Merged scenario-run shares (`run --segment i/n --json`) as one HTML page: the verdict, then per
// run its checks, shares, every failed check with its share and file:line:column, and each group's
// figures. Every text is escaped: scenario strings and what servers sent hold arbitrary bytes.

import Bench
import Foundation
import Load
import Results
import ScenarioRunner
import Vocabulary

extension MergePage {
    public static func render(_ m: MergedRuns) -> String {
        let shares = m.runs.first?.shares ?? 0
        var body = "<p class=\"\(m.passed ? "passed" : "failed")\"><strong>"
            + (m.passed ? "PASSED: every share of every run passed" : "FAILED: a share failed (below)") + "</strong></p>\n"
        body += keyValueTable([("files", m.files.joined(separator: " ")), ("scenario runs", "\(m.runs.count)"), ("shares", "\(shares)")]) + "\n"
        for run in m.runs { body += section(run) }
        return document(heading: "sockfuzz merge: \(m.runs.count) scenario run\(m.runs.count == 1 ? "" : "s") in \(shares) shares", body: body)
    }

    private static func section(_ run: MergedRun) -> String {
        var html = "<h2>\(xmlEscape("\(run.scenario) against \(run.against)")) <span class=\"\(run.passed ? "passed" : "failed")\">"
            + (run.passed ? "PASSED" : "FAILED") + "</span></h2>\n"
        var summary = [("seed", "\(run.seed)"), ("shares", "\(run.shares)")]
        if let c = run.checks {
            summary.append(("checks", "\(c.passed) passed, \(c.failed) failed, \(c.skipped) skipped (a share without the connections, or against a target)"))
        } else {
            summary.append(("checks", "not counted by every share's report"))
        }
        let t = run.totals
        summary.append(("connections", "\(t.connected) of \(t.connectsStarted) connected; refused \(t.refused), timed out \(t.timedOut), failed \(t.connectFailed), resets \(t.resets)"))
        summary.append(("bytes", "sent \(t.bytesSent), received \(t.bytesReceived); echo mismatches \(t.echoMismatches)"))
        if let l = t.latencyMicros { summary.append(("latency", percentiles(l))) }
        html += keyValueTable(summary) + "\n"

        // Merge refused any incomplete set, so shares 0..<n are all there, in share order (10/12
        // after 9/12), named as the statuses key them.
        let shares = (0..<run.shares).map { ExecutionSegment(index: $0, count: run.shares).description }
        html += "<h3>Shares</h3>\n" + table(["share", "status", "started late"], shares.map { share in
            [share, run.statuses[share] ?? "", run.late[share].map { "\(Format.seconds($0))" } ?? ""]
        })
        if !run.failures.isEmpty {
            html += "<h3>Failed checks</h3>\n" + table(["share", "location", "statement", "expected", "seen"], run.failures.map {
                [$0.share, $0.failure.location, $0.failure.statement, $0.failure.expected, $0.failure.seen]
            }, unbroken: [1])
        }
        if !run.notes.isEmpty {
            html += "<h3>Other problems</h3>\n<ul>\n" + run.notes.map { "<li>\(xmlEscape($0))</li>\n" }.joined() + "</ul>\n"
        }
        html += "<h3>Groups</h3>\n" + table(["group", "connected", "sent (B)", "received (B)", "refused / timed out / failed", "resets", "echo mismatches", "latency"],
                                            (run.groups + [run.totals]).map { g in
            [g.name == "*" ? "all groups" : g.name, "\(g.connected) of \(g.connectsStarted)", "\(g.bytesSent)", "\(g.bytesReceived)",
             "\(g.refused) / \(g.timedOut) / \(g.connectFailed)", "\(g.resets)", "\(g.echoMismatches)", g.latencyMicros.map(percentiles) ?? "none"]
        })
        return html
    }

    /// Merged percentiles (given in microseconds) in the terminal's units: `743 µs`, `2.1 ms`.
    static func percentiles(_ l: Percentiles) -> String {
        [("p50", l.p50), ("p90", l.p90), ("p99", l.p99), ("p99.9", l.p999), ("max", l.max)]
            .map { "\($0.0) \(Format.seconds($0.1 / 1e6))" }.joined(separator: ", ")
    }

    /// `unbroken`: the columns (file:line:column, names) that must not wrap at their `-` and `/`.
    private static func table(_ headers: [String], _ rows: [[String]], unbroken: Set<Int> = []) -> String {
        "<table>\n<tr>" + headers.map { "<th>\(xmlEscape($0))</th>" }.joined() + "</tr>\n"
            + rows.map { row in
                "<tr>" + row.enumerated().map { k, cell in
                    unbroken.contains(k) ? "<td class=\"unbroken\">\(xmlEscape(cell))</td>" : "<td>\(xmlEscape(cell))</td>"
                }.joined() + "</tr>\n"
            }.joined() + "</table>\n"
    }
}
