// What `sockfuzz merge` believes of a share: its figures, never its word. Each verdict (load,
// run, fuzz) is worked out again from the counts the share carries, by the rules its command
// used, and a share whose figures contradict each other (a pass with corrupted echoes, per-second
// intervals that do not add up to the total, a fuzz report that passed with a finding) is
// refused: a file edited by hand, or written by a broken sockfuzz, would otherwise merge to a
// pass nobody saw.

import Fuzzing
import Histogram
import Load
import Results
import ScenarioRunner

enum ShareVerdicts {
    /// A load share's problems, from its figures (what `sockfuzz load` fails on, and "interrupted");
    /// throws when the share's figures or its verdict contradict each other.
    static func load(_ record: LoadRecord, file: String) throws -> [String] {
        func refuse(_ contradiction: String) -> MergeError { refusal(file, contradiction) }
        let c = record.connect
        guard c.connected <= c.requested, c.echoed <= c.connected else {
            throw refuse("\(c.echoed) connections echoed and \(c.connected) connected of \(c.requested) requested")
        }
        var problems = LoadVerdict.problems(c)
        var interrupted = record.interrupted || c.interrupted
        if let load = record.load {
            try requireConsistent(load, refuse)
            problems += LoadVerdict.problems(load, whole: false)
            interrupted = interrupted || load.interrupted
        }
        if record.passed {
            if interrupted { throw refuse("it says passed, but it was interrupted") }
            if !problems.isEmpty { throw refuse("it says passed, but its figures say: " + problems.joined(separator: "; ")) }
        } else if !interrupted && problems.isEmpty {
            throw refuse("it says failed" + (record.problems.isEmpty ? "" : " (" + record.problems.joined(separator: "; ") + ")")
                         + ", but its figures show no failure")
        }
        return problems + (interrupted ? ["interrupted"] : [])
    }

    /// A load's counts agree with each other: every counted message verified, the per-second
    /// intervals adding up to the total (messages, histograms, seconds), the rate the total over
    /// the window.
    private static func requireConsistent(_ load: LoadResult, _ refuse: (String) -> MergeError) throws {
        guard load.verified == load.messages else {
            throw refuse("\(load.verified) messages verified of \(load.messages) counted (every counted message is verified)")
        }
        if let intervals = load.intervals {
            let sum = intervals.reduce(UInt64(0)) { $0 + $1.messages }
            guard sum == load.messages else {
                throw refuse("its per-second intervals add up to \(sum) messages, not the \(load.messages) of its total")
            }
            for interval in intervals {
                let h: Histogram<UInt64>
                do { h = try HistogramEncoding.decode(base64: interval.histogram) } catch {
                    throw refuse("the histogram of its interval at \(interval.startSeconds) s does not decode: \(error)")
                }
                guard h.totalCount == interval.messages else {
                    throw refuse("its interval at \(interval.startSeconds) s counts \(interval.messages) messages, "
                                 + "but its histogram holds \(h.totalCount) round trips")
                }
            }
            let seconds = intervals.reduce(0.0) { $0 + $1.seconds }
            // The intervals tile the measured window; a millisecond covers the rounding of the sums.
            if !intervals.isEmpty, abs(seconds - load.seconds) > 0.001 {
                throw refuse("its per-second intervals last \(seconds) s, not the \(load.seconds) s of its window")
            }
        }
        let expectedRate = load.seconds > 0 ? Double(load.messages) / load.seconds : 0
        guard abs(load.messagesPerSecond - expectedRate) <= max(1e-6 * expectedRate, 1e-6) else {
            throw refuse("it says \(load.messagesPerSecond) messages/s, but \(load.messages) messages in \(load.seconds) s are \(expectedRate)/s")
        }
    }

    /// Whether a share's run passed, from its checks and failures; throws when its status,
    /// checks, failures or figures contradict each other.
    static func run(_ run: ScenarioResult, file: String) throws -> Bool {
        func refuse(_ contradiction: String) -> MergeError {
            refusal(file, "\(run.scenario) against \(run.against) (share \(run.segment?.description ?? "whole")): " + contradiction)
        }
        let failed = run.checks?.failed ?? 0
        if run.passed {
            if failed > 0 { throw refuse("its status is \(run.status.rawValue), but \(failed) of its checks failed") }
            if !run.failures.isEmpty {
                throw refuse("its status is \(run.status.rawValue), but it lists \(run.failures.count) failure(s), the first at "
                             + run.failures[0].location)
            }
        }
        if let totals = run.totals {
            var sum = GroupCounts()
            for g in run.groups { sum.add(g) }
            if let difference = GroupCounts(totals).firstDifference(from: sum) { throw refuse(difference) }
        }
        for g in run.groups + (run.totals.map { [$0] } ?? []) {
            guard let encoded = g.latencyHistogram else { continue }
            let h: Histogram<UInt64>
            do { h = try HistogramEncoding.decode(base64: encoded) } catch {
                throw refuse("the latency histogram of \(g.name == "*" ? "its totals" : "group \(g.name)") does not decode: \(error)")
            }
            if h.totalCount != g.latencySamples {
                throw refuse("\(g.name == "*" ? "its totals" : "group \(g.name)") counts \(g.latencySamples) latency samples, "
                             + "but its histogram holds \(h.totalCount)")
            }
        }
        return run.passed && failed == 0 && run.failures.isEmpty
    }

    /// A run report's own verdict agrees with its runs' statuses (what `run --json` writes).
    static func runReport(_ document: JSONReport.Document, file: String) throws {
        let passed = JSONReport.passed(document.runs)
        if document.passed != passed {
            throw refusal(file, document.passed ? "it says passed, but "
                              + (document.runs.first { !$0.passed }.map { "a run in it has status \($0.status.rawValue)" } ?? "every run in it was skipped")
                              : "it says failed, but every run in it passed")
        }
    }

    /// A fuzz report's verdict agrees with its campaigns: passed means no finding and no internal
    /// error; failed needs one of them, or an interrupt (whose report may say either).
    static func fuzzReport(passed: Bool, _ summaries: [FuzzSummary], file: String) throws {
        if passed, let s = summaries.first(where: { $0.finding != nil || $0.internalError != nil }) {
            let what = s.finding.map { "a finding (run \($0.run): \($0.signature))" } ?? "an internal error"
            throw refusal(file, "it says passed, but its campaign against \(s.against) has \(what)")
        }
        if !passed, !summaries.contains(where: { $0.finding != nil || $0.internalError != nil || $0.interrupted }) {
            throw refusal(file, "it says failed, but no campaign in it has a finding, an internal error or an interrupt")
        }
        for s in summaries where s.runs < 0 || s.operations < 0 || s.connections < 0 {
            throw refusal(file, "its campaign against \(s.against) counts \(s.runs) runs, \(s.operations) operations, \(s.connections) connections")
        }
    }

    private static func refusal(_ file: String, _ contradiction: String) -> MergeError {
        MergeError("\(file): the share contradicts itself: \(contradiction); not merged (a file edited by hand, or written by a broken sockfuzz?)")
    }
}

/// A group's counts by name, to compare a run's totals with the sum of its groups.
private struct GroupCounts: Equatable {
    var values: [Int] = Array(repeating: 0, count: 11)
    static let names = ["connects started", "connected", "refused", "timed out", "connect failed", "resets", "peer EOFs",
                        "echo mismatches", "bytes sent", "bytes received", "latency samples"]

    init() {}
    init(_ g: GroupFigures) { add(g) }

    mutating func add(_ g: GroupFigures) {
        let figures = [g.connectsStarted, g.connected, g.refused, g.timedOut, g.connectFailed, g.resets, g.peerEOFs,
                       g.echoMismatches, Int(clamping: g.bytesSent), Int(clamping: g.bytesReceived), Int(clamping: g.latencySamples)]
        for (i, v) in figures.enumerated() { values[i] = values[i].addingReportingOverflow(v).partialValue }
    }

    /// The first figure that differs, e.g. "bytes sent 90 in its totals, 80 in its groups added up".
    func firstDifference(from groups: GroupCounts) -> String? {
        zip(Self.names, zip(values, groups.values)).first { $0.1.0 != $0.1.1 }
            .map { "\($0.0) \($0.1.0) in its totals, \($0.1.1) in its groups added up" }
    }
}
