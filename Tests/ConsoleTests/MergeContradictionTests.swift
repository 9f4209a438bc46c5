// `sockfuzz merge` never takes a share's word for its verdict: real shares of a load, a scenario
// run and a fuzz campaign, each edited to lie (a pass with corrupted echoes or failed checks,
// intervals that do not add up, a fuzz report that passed with a finding or failed without
// one), are refused with exit 2, naming the file and the contradiction. The honest shares merge.

import Foundation
import Testing

@Suite("merge: a share's verdict from its figures", .childSlot)
struct MergeContradictionTests {
    private func json(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) was not written")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// `share` edited by `edit`, written beside it as NAME; its path.
    private func lie(_ share: String, _ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        var document = try json(share)
        edit(&document)
        let path = (share as NSString).deletingLastPathComponent + "/" + name
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `sockfuzz ARGUMENTS --segment i/2 --json share-i.json` for both shares; their paths.
    private func shares(_ arguments: [String], _ scratch: Scratch, expecting status: Int32 = 0) async throws -> [String] {
        var paths: [String] = []
        for i in 0..<2 {
            let path = scratch.path + "/share-\(i).json"
            let run = try await Piped.run(arguments + ["--segment", "\(i)/2", "--json", path], input: "", scratch: scratch)
            #expect(run.status == status, "share \(i): \(run.output)")
            paths.append(path)
        }
        return paths
    }

    private func refused(_ paths: [String], _ scratch: Scratch, naming file: String, _ contradiction: String) async throws {
        let merged = try await Piped.run(["merge"] + paths, input: "", scratch: scratch)
        #expect(merged.status == 2, "\(merged.output)")
        #expect(merged.output.contains("sockfuzz merge: \(file): the share contradicts itself: "), "\(merged.output)")
        #expect(merged.output.contains(contradiction), "\(merged.output)")
        #expect(!merged.output.contains("PASSED"), "\(merged.output)")
    }

    @Test("load: a pass with corrupted echoes, a failure with none, and intervals that do not add up are refused")
    func loadShares() async throws {
        let scratch = Scratch()
        let paths = try await shares(["load", "--connections", "2", "--rate", "100", "--duration", "200ms"], scratch)
        let honest = try await Piped.run(["merge"] + paths, input: "", scratch: scratch)
        #expect(honest.status == 0 && honest.output.contains("merge: PASSED"), "\(honest.output)")

        func edited(_ name: String, _ edit: @escaping (inout [String: Any]) -> Void) throws -> String {
            try lie(paths[0], name) { record in
                var load = record["load"] as? [String: Any] ?? [:]
                edit(&load)
                record["load"] = load
            }
        }
        let corrupted = try edited("corrupted.json") { $0["corrupted"] = 3 }
        try await refused([corrupted, paths[1]], scratch, naming: corrupted, "it says passed, but its figures say: corrupted 3")

        let failed = try lie(paths[0], "failed.json") { $0["passed"] = false }
        try await refused([failed, paths[1]], scratch, naming: failed, "it says failed, but its figures show no failure")

        // 7 more messages than its seconds counted, verified and at the rate they would make: only
        // the intervals tell.
        let inflated = try edited("inflated.json") { load in
            let messages = (load["messages"] as? Int ?? 0) + 7
            load["messages"] = messages
            load["verified"] = messages
            load["messagesPerSecond"] = Double(messages) / (load["seconds"] as? Double ?? 1)
        }
        try await refused([inflated, paths[1]], scratch, naming: inflated, "its per-second intervals add up to")
    }

    @Test("run: a pass with failed checks, totals that are not the sum of the groups, and a report whose verdict its runs deny are refused")
    func runShares() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/echo.scn"
        try "connect a 4\nsend a \"hi\"\nexpect a echo\n".write(toFile: file, atomically: true, encoding: .utf8)
        let paths = try await shares(["run", file], scratch)
        let honest = try await Piped.run(["merge"] + paths, input: "", scratch: scratch)
        #expect(honest.status == 0 && honest.output.contains("merge: PASSED"), "\(honest.output)")

        func editedRun(_ name: String, _ edit: @escaping (inout [String: Any]) -> Void) throws -> String {
            try lie(paths[1], name) { document in
                var runs = document["runs"] as? [[String: Any]] ?? []
                edit(&runs[0])
                document["runs"] = runs
            }
        }
        let failedChecks = try editedRun("checks.json") { run in
            var checks = run["checks"] as? [String: Any] ?? [:]
            checks["failed"] = 2
            run["checks"] = checks
        }
        try await refused([paths[0], failedChecks], scratch, naming: failedChecks, "its status is passed, but 2 of its checks failed")

        let bytes = try editedRun("bytes.json") { run in
            var totals = run["totals"] as? [String: Any] ?? [:]
            totals["bytesSent"] = (totals["bytesSent"] as? Int ?? 0) + 1000
            run["totals"] = totals
        }
        try await refused([paths[0], bytes], scratch, naming: bytes, "bytes sent 1004 in its totals, 4 in its groups added up")

        let failedRun = try editedRun("status.json") { $0["status"] = "failed" }
        try await refused([paths[0], failedRun], scratch, naming: failedRun, "it says passed, but a run in it has status failed")
    }

    @Test("fuzz: a report that failed without a finding, or passed with one, is refused")
    func fuzzShares() async throws {
        let scratch = Scratch()
        let paths = try await shares(["fuzz", "--runs", "2", "--connections", "2"], scratch)
        let honest = try await Piped.run(["merge"] + paths, input: "", scratch: scratch)
        #expect(honest.status == 0 && honest.output.contains("merge: PASSED"), "\(honest.output)")

        let failed = try lie(paths[0], "failed.json") { $0["passed"] = false }
        try await refused([failed, paths[1]], scratch, naming: failed, "it says failed, but no campaign in it has a finding")

        // A finding as a real campaign against a faulty server wrote it, kept under "passed": true.
        let finding = try JSONSerialization.jsonObject(with: Data(Self.finding.utf8))
        let found = try lie(paths[1], "found.json") { document in
            var campaigns = document["fuzz"] as? [[String: Any]] ?? []
            campaigns[0]["finding"] = finding
            document["fuzz"] = campaigns
        }
        try await refused([paths[0], found], scratch, naming: found, "it says passed, but its campaign against epoll has a finding (run 1: echo (timed out))")
    }

    @Test("shares that checked nothing merge to no pass: a run with no check, a fuzz campaign with no run, a load with no message")
    func nothingCheckedIsNoPass() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/no-checks.scn"
        try "connect web 2\nsend web \"x\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        for (arguments, said) in [(["run", file], "no share checked anything"),
                                  (["fuzz", "--runs", "5", "--duration", "1ns", "--out", scratch.path + "/out"], "no share made a run"),
                                  (["load", "--mode", "epoll", "--connections", "2", "--depth", "1", "--duration", "1ns"], "no message was measured")] {
            // A share alone may check nothing (merge judges the whole): each passes.
            let paths = try await shares(arguments, scratch)
            let merged = try await Piped.run(["merge"] + paths, input: "", scratch: scratch)
            #expect(merged.status == 1 && merged.output.contains(said) && !merged.output.contains("PASSED"), "\(arguments[0]): \(merged.output)")
        }
    }

    static let finding = #"""
        {"failure": {"column": 1, "expected": "every byte sent on c[1] echoed back", "file": "fuzz-epoll-seed1-run1.scn",
                     "kind": {"check": "echo", "how": "timed out"}, "line": 17, "seed": 7, "seen": "c[1]: 1636 of 3290 bytes back",
                     "statement": "expect c[1] echo"},
         "kind": {"check": "echo", "how": "timed out"}, "originalOperations": 20, "replays": 1, "reproduced": 1, "run": 1,
         "runSeed": 7, "scenario": "seed 7\n", "shrinkAttempts": 4, "shrinkDeadlineNanos": 250000000, "shrinkSteps": 2,
         "shrunk": true, "shrunkCommands": 15, "shrunkOperations": 8, "signature": "echo (timed out)"}
        """#
}
