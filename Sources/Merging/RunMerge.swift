// Adding up the shares of `run --segment i/n --json`: per scenario run (file, server, seed) the
// groups' counts summed, percentiles from merged histograms, a verdict that passes only when every
// share passed by its checks and failures (ShareVerdicts). Refuses unsegmented runs, other runs' shares, duplicates and missing shares.

import Foundation
import Histogram
import Load
import Results
import ScenarioRunner
import Vocabulary

public struct MergedGroup: Codable {
    public var name: String
    public var connectsStarted = 0
    public var connected = 0
    public var refused = 0
    public var timedOut = 0
    public var connectFailed = 0
    public var resets = 0
    public var peerEOFs = 0
    public var echoMismatches = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var latencySamples: UInt64 = 0
    /// From the shares' merged histograms (never averaged percentiles), in microseconds.
    public var latencyMicros: Percentiles?

    init(name: String) { self.name = name }

    public mutating func add(_ g: GroupFigures) {
        connectsStarted += g.connectsStarted
        connected += g.connected
        refused += g.refused
        timedOut += g.timedOut
        connectFailed += g.connectFailed
        resets += g.resets
        peerEOFs += g.peerEOFs
        echoMismatches += g.echoMismatches
        bytesSent += g.bytesSent
        bytesReceived += g.bytesReceived
        latencySamples += g.latencySamples
    }
}

public struct MergedRun: Codable {
    public var scenario: String
    public var against: String
    public var seed: UInt64
    public var shares: Int
    public var passed: Bool
    /// Each share's status, by segment ("0/4": "passed").
    public var statuses: [String: String]
    /// What merge prints: `failures`, then `notes`, each prefixed with its share (kept in the
    /// JSON for readers of the earlier reports; made from the two at the end of the merge).
    public var problems: [String]
    /// Each share's failed checks, located in the scenario (what `problems` says of them).
    public var failures: [ShareFailure] = []
    /// What `problems` says of shares that failed without a failed check (a note, an interrupt).
    public var notes: [String] = []
    /// The shares' checks added up; nil when a share's report does not count them.
    public var checks: CheckCounts?
    public var groups: [MergedGroup]
    public var totals: MergedGroup
    /// Shares that began late after --start-at, and by how much (seconds).
    public var late: [String: Double]
}

/// A failed check of one share.
public struct ShareFailure: Codable {
    public var share: String
    public var failure: RunFailure
}

public struct MergedRuns: Codable {
    public var tool = "sockfuzz merge"
    public var files: [String]
    public var passed: Bool
    public var runs: [MergedRun]
}

public enum RunMerge {
    public static func merge(_ documents: [(file: String, document: JSONReport.Document)]) throws -> MergedRuns {
        var shares: [String: [(file: String, run: ScenarioResult)]] = [:]
        var order: [String] = []
        var n: Int?
        for (file, document) in documents {
            try ShareVerdicts.runReport(document, file: file)
            for run in document.runs {
                guard let segment = run.segment else {
                    throw MergeError("\(file): \(run.scenario) against \(run.against) is not a share (run --segment i/n), status \(run.status.rawValue)"
                                     + (run.note.map { ": \($0)" } ?? ""))
                }
                if let n, segment.count != n {
                    throw MergeError("\(file): share \(segment) does not split the run in \(n) like \(documents[0].file)")
                }
                n = segment.count
                let key = "\(run.scenario) against \(run.against)"
                if shares[key] == nil { order.append(key) }
                shares[key, default: []].append((file, run))
            }
        }
        guard let n else { throw MergeError("no runs to merge") }
        var merged = MergedRuns(files: documents.map(\.file), passed: true, runs: [])
        for key in order {
            let run = try mergeOne(key, shares[key]!, n, elsewhere: shares.filter { $0.key != key }.values.flatMap { $0 })
            merged.passed = merged.passed && run.passed
            merged.runs.append(run)
        }
        return merged
    }

    /// `elsewhere`: the other runs' shares, to say where a missing share went (another server).
    private static func mergeOne(_ key: String, _ shares: [(file: String, run: ScenarioResult)], _ n: Int,
                                 elsewhere: [(file: String, run: ScenarioResult)]) throws -> MergedRun {
        let first = shares[0]
        for (file, run) in shares where run.seed != first.run.seed {
            throw MergeError("\(file) is a share of another run: \(key) with seed \(run.seed), not seed \(first.run.seed) (\(first.file))")
        }
        try MergeShares.requireComplete(shares.map { ($0.file, $0.run.segment!) }, of: key) { missing in
            elsewhere.filter { $0.run.scenario == first.run.scenario && missing.contains($0.run.segment!.index) }
                .map { "\n  \($0.file): share \($0.run.segment!) ran against \($0.run.against), another server" }.joined()
        }
        var result = MergedRun(scenario: first.run.scenario, against: first.run.against, seed: first.run.seed, shares: n, passed: true,
                               statuses: [:], problems: [], groups: [], totals: MergedGroup(name: "*"), late: [:])
        result.checks = CheckCounts()
        var groups: [String: (figures: MergedGroup, histogram: Histogram<UInt64>?)] = [:]
        var groupOrder: [String] = []
        var total: (figures: MergedGroup, histogram: Histogram<UInt64>?) = (MergedGroup(name: "*"), nil)
        for (file, run) in shares.sorted(by: { $0.run.segment!.index < $1.run.segment!.index }) {
            let share = run.segment!.description
            result.statuses[share] = run.status.rawValue
            if let late = run.startedLateSeconds { result.late[share] = late }
            // Whether the share passed, from its checks and failures, not its status alone.
            result.passed = try ShareVerdicts.run(run, file: file) && result.passed
            result.failures += run.failures.map { ShareFailure(share: share, failure: $0) }
            if let checks = run.checks { result.checks?.add(checks) } else { result.checks = nil }
            if !run.passed, run.failures.isEmpty { result.notes.append("share \(share): \(run.status.rawValue)" + (run.note.map { ": \($0)" } ?? "")) }
            for g in run.groups {
                if groups[g.name] == nil { groupOrder.append(g.name); groups[g.name] = (MergedGroup(name: g.name), nil) }
                groups[g.name]!.figures.add(g)
                try add(g.latencyHistogram, into: &groups[g.name]!.histogram, share)
            }
            if let t = run.totals {
                total.figures.add(t)
                try add(t.latencyHistogram, into: &total.histogram, share)
            }
        }
        result.groups = groupOrder.map { name in
            var g = groups[name]!.figures
            g.latencyMicros = groups[name]!.histogram.flatMap { Percentiles(nanoseconds: $0) }
            return g
        }
        // Each share may skip its checks (none of the connections are its); all of them skipping
        // every check, or making none, checked nothing: no pass.
        if let checks = result.checks, checks.passed == 0 && checks.failed == 0 {
            result.passed = false
            result.notes.append("no share checked anything" + (checks.skipped > 0 ? " (\(checks.skipped) check(s) skipped)" : ""))
        }
        // The printed lines: what `failures` and `notes` hold, one source for each.
        result.problems = result.failures.map {
            "share \($0.share): \($0.failure.location): \($0.failure.statement): expected \($0.failure.expected), seen \($0.failure.seen)"
        } + result.notes
        result.totals = total.figures
        result.totals.latencyMicros = total.histogram.flatMap { Percentiles(nanoseconds: $0) }
        return result
    }

    private static func add(_ encoded: String?, into histogram: inout Histogram<UInt64>?, _ share: String) throws {
        guard let encoded else { return }
        let h = try MergeShares.histogram(encoded, share: share, what: "a latency histogram")
        if histogram == nil { histogram = LatencyHistogram.empty() }
        histogram!.add(h)
    }
}
