// What a share's own figures say, whatever its `passed` says. `merge` adds shares up from their
// figures and recomputes every verdict from the totals; a share whose verdict contradicts its
// figures (edited, or written by a broken tool) is refused rather than trusted either way.

import Fuzzing
import ScenarioRunner

enum ShareVerdicts {
    /// The failures a load share's counts show (none: its figures are a pass).
    static func loadFailures(_ record: LoadRecord) -> [String] {
        guard let load = record.load else { return [] }
        var out: [String] = []
        if load.corrupted > 0 { out.append("\(load.corrupted) corrupted") }
        if load.unanswered > 0 { out.append("\(load.unanswered) unanswered") }
        if load.connectionErrors > 0 { out.append("\(load.connectionErrors) connection errors") }
        if load.notSent > 0 { out.append("\(load.notSent) not sent") }
        if let r = load.replies, r.mismatched + r.framingErrors > 0 {
            out.append("\(r.mismatched) mismatched replies, \(r.framingErrors) framing errors")
        }
        return out
    }

    static func loadContradiction(_ record: LoadRecord) -> String? {
        let failures = loadFailures(record)
        if record.passed && !failures.isEmpty {
            return "it says passed, yet its figures show " + failures.joined(separator: ", ")
        }
        if let load = record.load, let intervals = load.intervals, !intervals.isEmpty {
            let sum = intervals.reduce(0) { $0 + $1.messages }
            if sum != load.messages {
                return "its per-second intervals add up to \(sum) messages, its total says \(load.messages)"
            }
        }
        return nil
    }

    /// A fuzz campaign passed when it found nothing, broke nowhere, and ran to its end.
    static func fuzzPassed(_ summary: FuzzSummary) -> Bool {
        summary.finding == nil && summary.internalError == nil && !summary.interrupted
    }

    static func fuzzContradiction(_ report: FuzzReportDocument) -> String? {
        let figures = report.fuzz.allSatisfy(fuzzPassed)
        guard report.passed != figures else { return nil }
        return report.passed ? "it says passed, yet it holds a finding, an error or an interrupted campaign"
                             : "it says failed, yet it holds no finding, no error and no interrupted campaign"
    }

    static func runContradiction(_ document: JSONReport.Document) -> String? {
        for run in document.runs where run.passed {
            if !run.failures.isEmpty || (run.checks?.failed ?? 0) > 0 {
                return "\(run.scenario) says \(run.status.rawValue), yet it counts \(max(run.failures.count, run.checks?.failed ?? 0)) failed check(s)"
            }
        }
        if document.passed && !document.runs.allSatisfy(\.passed) { return "it says passed, yet a run in it did not" }
        return nil
    }
}
