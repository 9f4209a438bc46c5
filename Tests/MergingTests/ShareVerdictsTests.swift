// Merge works out every share's verdict from its figures: honest shares add up exactly; a share
// that lies about its verdict, or whose figures disagree with each other, is refused by name.

import Foundation
import Histogram
import Fuzzing
@testable import Load
@testable import Merging
import Results
import ScenarioRunner
import Testing

@Suite("Merging: verdicts from the figures")
struct ShareVerdictsTests {
    /// The refusal `merge` throws, or nil when it merges.
    static func refusal(_ merge: () throws -> Void) -> String? {
        do { try merge() } catch { return "\(error)" }
        return nil
    }

    static func loadRefusal(_ records: [LoadRecord]) -> String? {
        refusal { _ = try LoadMerge.merge(records.enumerated().map { ("share\($0.offset).json", $0.element) }) }
    }

    @Test("two honest load shares add up: messages summed, percentiles from the merged histograms, seconds aligned")
    func loadSharesAddUp() throws {
        let a = Shares.load(0, of: 2, seconds: [[1_000, 2_000], [3_000]])
        let b = Shares.load(1, of: 2, seconds: [[4_000_000]], startNanos: 1_000_500_000_000)
        let merged = try LoadMerge.merge([("a.json", a), ("b.json", b)])
        #expect(merged.passed && merged.problems.isEmpty)
        #expect(merged.messages == 4 && merged.connectionsRequested == 4)
        var added = LatencyHistogram.empty()
        for interval in (a.load!.intervals! + b.load!.intervals!) { added.add(try HistogramEncoding.decode(base64: interval.histogram)) }
        #expect(added.totalCount == 4 && merged.latencyMicros == Percentiles(nanoseconds: added))
        // b began 0.5 s after a: its first second lands in a's first.
        #expect(merged.intervals.map(\.messages) == [3, 1])
    }

    @Test("a load share that says passed with corrupted echoes, or failed with no failure, is refused by name")
    func loadVerdictLies() {
        var corrupted = Shares.load(1, of: 2, seconds: [[1_000]])
        corrupted.load!.corrupted = 3
        let lie = Self.loadRefusal([Shares.load(0, of: 2, seconds: [[1_000]]), corrupted])
        #expect(lie?.hasPrefix("share1.json: the share contradicts itself: it says passed, but its figures say: corrupted 3;") == true, "\(lie ?? "merged")")

        var failed = Shares.load(0, of: 2, seconds: [[1_000]])
        failed.passed = false
        let noReason = Self.loadRefusal([failed, Shares.load(1, of: 2, seconds: [[1_000]])])
        #expect(noReason?.contains("share0.json: the share contradicts itself: it says failed, but its figures show no failure") == true,
                "\(noReason ?? "merged")")
    }

    @Test("a failed load share fails the merge with the problems its figures show, not the words it wrote")
    func loadFailureFromFigures() throws {
        var failed = Shares.load(1, of: 2, seconds: [[1_000]])
        failed.load!.unanswered = 2
        failed.passed = false
        failed.problems = ["something else"]
        var interrupted = Shares.load(0, of: 2, seconds: [[1_000]])
        interrupted.interrupted = true
        interrupted.passed = false
        let merged = try LoadMerge.merge([("a.json", interrupted), ("b.json", failed)])
        #expect(!merged.passed)
        #expect(merged.problems == ["share 0/2: interrupted", "share 1/2: unanswered 2 (echo incomplete at the end of the drain)"], "\(merged.problems)")
    }

    @Test("a load share whose intervals, histograms, window or rate do not add up is refused")
    func loadFiguresDisagree() {
        func refusal(_ edit: (inout LoadResult) -> Void) -> String? {
            var share = Shares.load(1, of: 2, seconds: [[1_000, 2_000], [3_000]])
            edit(&share.load!)
            return Self.loadRefusal([Shares.load(0, of: 2, seconds: [[1_000]]), share])
        }
        #expect(refusal { _ in } == nil)
        let more = refusal { $0.messages += 7; $0.verified += 7; $0.messagesPerSecond = Double($0.messages) / $0.seconds }
        #expect(more?.contains("its per-second intervals add up to 3 messages, not the 10 of its total") == true, "\(more ?? "merged")")
        let histogram = refusal { $0.intervals![1].messages += 1; $0.intervals![0].messages -= 1 }
        #expect(histogram?.contains("its interval at 0.0 s counts 1 messages, but its histogram holds 2 round trips") == true, "\(histogram ?? "merged")")
        let window = refusal { $0.seconds = 5; $0.messagesPerSecond = 0.6 }
        #expect(window?.contains("its per-second intervals last 2.0 s, not the 5.0 s of its window") == true, "\(window ?? "merged")")
        let rate = refusal { $0.messagesPerSecond = 1_000_000 }
        #expect(rate?.contains("it says 1000000.0 messages/s, but 3 messages in 2.0 s are 1.5/s") == true, "\(rate ?? "merged")")
        let unverified = refusal { $0.verified = 1 }
        #expect(unverified?.contains("1 messages verified of 3 counted") == true, "\(unverified ?? "merged")")
    }

    static func runRefusal(_ documents: [JSONReport.Document]) -> String? {
        refusal { _ = try RunMerge.merge(documents.enumerated().map { ("run\($0.offset).json", $0.element) }) }
    }

    @Test("two honest run shares add up; a failed share fails the merge")
    func runSharesAddUp() throws {
        let merged = try RunMerge.merge([("a.json", Shares.report([Shares.run(0, of: 2)])), ("b.json", Shares.report([Shares.run(1, of: 2, connects: 3)]))])
        #expect(merged.passed && merged.runs.count == 1)
        #expect(merged.runs[0].totals.connected == 5 && merged.runs[0].checks == CheckCounts(passed: 2))

        var failed = try Shares.run(1, of: 2)
        failed.status = .failed
        failed.failures = [Shares.failure]
        failed.checks = CheckCounts(failed: 1)
        let failing = try RunMerge.merge([("a.json", Shares.report([Shares.run(0, of: 2)])), ("b.json", Shares.report([failed]))])
        #expect(!failing.passed && failing.runs[0].problems.first?.hasPrefix("share 1/2: s.scn:3:1: expect a echo") == true,
                "\(failing.runs[0].problems)")
    }

    @Test("a run share that passed with failed checks or a listed failure, or whose totals are not its groups', is refused")
    func runFiguresDisagree() throws {
        func refusal(_ edit: (inout ScenarioResult) -> Void) throws -> String? {
            var share = try Shares.run(1, of: 2)
            edit(&share)
            return Self.runRefusal([try Shares.report([Shares.run(0, of: 2)]), try Shares.report([share])])
        }
        let checks = try refusal { $0.checks?.failed = 2 }
        #expect(checks?.hasPrefix("run1.json: the share contradicts itself: s.scn against epoll (share 1/2): its status is passed, but 2 of its checks failed") == true,
                "\(checks ?? "merged")")
        let listed = try refusal { $0.failures = [Shares.failure] }
        #expect(listed?.contains("its status is passed, but it lists 1 failure(s), the first at s.scn:3:1") == true, "\(listed ?? "merged")")
        let totals = try refusal { $0.totals?.bytesSent += 5 }
        #expect(totals?.contains("bytes sent 15 in its totals, 10 in its groups added up") == true, "\(totals ?? "merged")")
        let samples = try refusal { $0.groups[0].latencySamples = 3; $0.totals?.latencySamples = 3 }
        #expect(samples?.contains("group a counts 3 latency samples, but its histogram holds 2") == true, "\(samples ?? "merged")")
    }

    @Test("a run report whose verdict its runs deny is refused")
    func runReportVerdict() throws {
        var lying = try Shares.report([Shares.run(1, of: 2)])
        lying.runs[0].status = .failed
        let passed = Self.runRefusal([try Shares.report([Shares.run(0, of: 2)]), lying])
        #expect(passed?.contains("run1.json: the share contradicts itself: it says passed, but a run in it has status failed") == true, "\(passed ?? "merged")")
        var denied = try Shares.report([Shares.run(1, of: 2)])
        denied.passed = false
        let failed = Self.runRefusal([try Shares.report([Shares.run(0, of: 2)]), denied])
        #expect(failed?.contains("run1.json: the share contradicts itself: it says failed, but every run in it passed") == true, "\(failed ?? "merged")")
        // A share whose every run was skipped (a --mode its file cannot run) says failed, as
        // `run` wrote it: no contradiction, whatever the merge then makes of it.
        var skipped = try Shares.run(1, of: 2)
        skipped.status = .skipped
        let honest = Self.runRefusal([try Shares.report([Shares.run(0, of: 2)]), try Shares.report([skipped])])
        #expect(honest?.contains("contradicts itself") != true, "\(honest ?? "merged")")
    }

    static func fuzzRefusal(_ reports: [(passed: Bool, summary: FuzzSummary)]) -> String? {
        refusal { _ = try FuzzMerge.merge(reports.enumerated().map { ("fuzz\($0.offset).json", $0.element.passed, [$0.element.summary]) }) }
    }

    @Test("fuzz reports: a pass with a finding and a failure without one are refused; an interrupted share fails the merge")
    func fuzzVerdicts() throws {
        #expect(Self.fuzzRefusal([(true, Shares.fuzz(0, of: 2)), (true, Shares.fuzz(1, of: 2))]) == nil)
        let failed = Self.fuzzRefusal([(true, Shares.fuzz(0, of: 2)), (false, Shares.fuzz(1, of: 2))])
        #expect(failed?.hasPrefix("fuzz1.json: the share contradicts itself: it says failed, but no campaign in it has a finding") == true, "\(failed ?? "merged")")
        var found = Shares.fuzz(0, of: 2)
        found.finding = try Shares.finding(run: 2)
        let passed = Self.fuzzRefusal([(true, found), (true, Shares.fuzz(1, of: 2))])
        #expect(passed?.contains("fuzz0.json: the share contradicts itself: it says passed, but its campaign against epoll has a finding (run 2: echo (timed out))") == true,
                "\(passed ?? "merged")")

        let withFinding = try FuzzMerge.merge([("a.json", false, [found]), ("b.json", true, [Shares.fuzz(1, of: 2)])])
        #expect(!withFinding.passed && withFinding.campaigns[0].findings == ["share 0/2, run 2: echo (timed out)"])
        var interrupted = Shares.fuzz(1, of: 2)
        interrupted.interrupted = true
        for passed in [true, false] {
            let merged = try FuzzMerge.merge([("a.json", true, [Shares.fuzz(0, of: 2)]), ("b.json", passed, [interrupted])])
            #expect(!merged.passed && merged.campaigns[0].problems == ["share 1/2: interrupted"])
        }
    }
}
