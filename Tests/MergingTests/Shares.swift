// Synthetic shares as `load`, `run` and `fuzz --segment i/n --json` write them: honest ones by
// default, for each test to make lie in one way.

import Foundation
import Histogram
@testable import Fuzzing
@testable import Load
import Results
import ScenarioLanguage
import ScenarioRunner
import Vocabulary

enum Shares {
    /// A histogram of round trips, in the load's range.
    static func histogram(_ nanos: [UInt64]) -> Histogram<UInt64> {
        var h = LatencyHistogram.empty()
        for n in nanos { h.record(n) }
        return h
    }

    /// Share `index` of `count` of one load test: one interval a second, each holding the round
    /// trips given (nanoseconds); passed, as the figures say.
    static func load(_ index: Int, of count: Int, seconds: [[UInt64]], startNanos: Int64 = 1_000_000_000_000) -> LoadRecord {
        let connect = ConnectBurstResult(requested: 2, connected: 2, echoed: 2, failed: 0, connectTimeouts: 0, echoTimeouts: 0,
                                         wrongEchoes: 0, echoTimeoutSeconds: 5, interrupted: false, connectSeconds: 0.01,
                                         echoSeconds: 0.01, connectsPerSecond: 200, echoedPerSecond: 200)
        let intervals = seconds.enumerated().map { LoadInterval(startSeconds: Double($0.offset), seconds: 1, messages: UInt64($0.element.count),
                                                                histogram: histogram($0.element)) }
        let messages = UInt64(seconds.joined().count)
        var all = LatencyHistogram.empty()
        for s in seconds { all.add(histogram(s)) }
        var load = LoadResult(connections: 2, messageSize: 64, seconds: Double(seconds.count), messages: messages, verified: messages,
                              messagesPerSecond: Double(messages) / Double(seconds.count), megabytesPerSecond: 0,
                              latencyMicros: Percentiles(nanoseconds: all), corrupted: 0, connectionErrors: 0, unanswered: 0,
                              notSent: 0, interrupted: false)
        load.measuredSinceEpochNanos = startNanos
        load.intervals = intervals
        var record = LoadRecord(against: "target 127.0.0.1:1", connect: connect)
        record.test = "load --target 127.0.0.1:1 --connections 4"
        record.segment = ExecutionSegment(index: index, count: count)
        record.load = load
        record.passed = true
        return record
    }

    /// A group's figures as a run report holds them: `connects` connected, `latencies` round trips.
    static func group(_ name: String, connects: Int, bytes: UInt64, latencies: [UInt64]) throws -> GroupFigures {
        var figures: [String: Any] = [
            "name": name, "connectsStarted": connects, "connected": connects, "refused": 0, "timedOut": 0, "connectFailed": 0,
            "resets": 0, "peerEOFs": 0, "echoMismatches": 0, "bytesSent": bytes, "bytesReceived": bytes, "latencySamples": latencies.count,
        ]
        if !latencies.isEmpty { figures["latencyHistogram"] = HistogramEncoding.base64(histogram(latencies)) }
        return try JSONDecoder().decode(GroupFigures.self, from: JSONSerialization.data(withJSONObject: figures))
    }

    /// Share `index` of `count` of a scenario run: one group "a" of `connects` connections and
    /// its totals; passed, one check held.
    static func run(_ index: Int, of count: Int, connects: Int = 2, latencies: [UInt64] = [1_000, 2_000]) throws -> ScenarioResult {
        let a = try group("a", connects: connects, bytes: 10, latencies: latencies)
        var totals = a
        totals.name = "*"
        var run = ScenarioResult(scenario: "s.scn", against: "epoll", status: .passed, seed: 1, durationSeconds: 0.1, failures: [],
                                 note: nil, groups: [a], totals: totals, server: nil)
        run.segment = ExecutionSegment(index: index, count: count)
        run.checks = CheckCounts(passed: 1)
        return run
    }

    /// A run report of `runs`, its verdict what they say.
    static func report(_ runs: [ScenarioResult]) throws -> JSONReport.Document {
        try JSONDecoder().decode(JSONReport.Document.self, from: JSONReport.render(runs, version: "test"))
    }

    static let failure = RunFailure(at: SourceLocation(file: "s.scn", line: 3, column: 1), statement: "expect a echo",
                                    expected: "every byte echoed", seen: "2 of 4 bytes", seed: 1,
                                    kind: FailureKind(check: .echo, how: .timedOut))

    /// Share `index` of `count` of a fuzz campaign of 2 runs a share, with no finding.
    static func fuzz(_ index: Int, of count: Int) -> FuzzSummary {
        var s = FuzzSummary(against: "epoll", seed: 1, runs: 2, operations: 20, connections: 4, seconds: 0.1, interrupted: false)
        s.segment = ExecutionSegment(index: index, count: count)
        s.campaign = "fuzz --runs 4 --segment i/\(count)"
        return s
    }

    /// A finding as a campaign writes it.
    static func finding(run: Int) throws -> FuzzFinding {
        let json = #"""
            {"failure": {"column": 1, "expected": "every byte echoed", "file": "f.scn", "kind": {"check": "echo", "how": "timed out"},
                         "line": 17, "seed": 7, "seen": "half back", "statement": "expect c[1] echo"},
             "kind": {"check": "echo", "how": "timed out"}, "originalOperations": 20, "replays": 1, "reproduced": 1, "run": \#(run),
             "runSeed": 7, "scenario": "seed 7\n", "shrinkAttempts": 4, "shrinkDeadlineNanos": 250000000, "shrinkSteps": 2,
             "shrunk": true, "shrunkCommands": 15, "shrunkOperations": 8, "signature": "echo (timed out)"}
            """#
        return try JSONDecoder().decode(FuzzFinding.self, from: Data(json.utf8))
    }
}
