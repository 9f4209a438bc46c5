// A scenario in 4 shares as 4 processes merges to the whole run: the same connections and bytes
// (payloads drawn by whole-run name). Checks on a share compare with its part and still catch
// their fault; what a share cannot check is an error; bad segments are usage errors (exit 2).

import Foundation
import Glibc
import Testing

@Suite("Segmented scenario runs and merge", .childSlot, .serialized)
struct SegmentedRunTests {
    /// 40 connections in two groups, random payloads of different sizes per connection, a
    /// member range, and count checks that a share scales to its part.
    static let scenario = """
        # 40 connections, random payloads per connection: a share's part adds up
        seed 11
        connect web 30 rate=600/s
        connect api 10
        send web random 1..3000 chunks=1..3
        send api[2..7] "ping"
        expect web echo
        expect api[2..7] echo
        expect web connected == 30
        expect * connected >= 38
        expect server accepted == 40 within 2s

        """

    private func write(_ text: String, _ name: String, _ scratch: Scratch) throws -> String {
        let path = scratch.path + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func json(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) was not written")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The figures of each group (and "*" for the totals) of the first run in a report.
    private func groups(_ report: [String: Any]) -> [String: [String: Any]] {
        let run = (report["runs"] as? [[String: Any]])?.first ?? [:]
        var byName: [String: [String: Any]] = [:]
        for g in (run["groups"] as? [[String: Any]]) ?? [] { byName[g["name"] as? String ?? "?"] = g }
        byName["*"] = run["totals"] as? [String: Any]
        return byName
    }

    @Test("4 shares as 4 processes merge to the whole run's connections and bytes; a share against another server is refused")
    func fourSharesAddUp() async throws {
        let scratch = Scratch()
        let file = try write(Self.scenario, "split.scn", scratch)
        let whole = try await Piped.run(["run", file, "--json", scratch.path + "/whole.json"], input: "", scratch: scratch)
        #expect(whole.status == 0, "\(whole.output)")

        let paths = (0..<4).map { scratch.path + "/share-\($0).json" }
        let start = "@\(Int(Date().timeIntervalSince1970) + 1)"
        let shares = try (0..<4).map { i in
            try RunningSockfuzz(["run", file, "--segment", "\(i)/4", "--start-at", start, "--json", paths[i], "-v"], scratch: scratch)
        }
        for (i, share) in shares.enumerated() {
            let run = await share.finish(timeout: 60)
            #expect(run.status == 0, "share \(i): \(run.output)")
            if i == 1 { #expect(run.output.contains("share 1/4 of 30: web[8..14]"), "\(run.output)") }
        }
        let merged = try await Piped.run(["merge"] + paths + ["--json", scratch.path + "/merged.json"], input: "", scratch: scratch)
        #expect(merged.status == 0, "\(merged.output)")
        #expect(merged.output.contains("merge: PASSED"), "\(merged.output)")

        // The same connections and the same bytes as the whole run, group by group.
        let wholeGroups = groups(try json(scratch.path + "/whole.json"))
        let mergedGroups = groups(try json(scratch.path + "/merged.json"))
        for name in ["web", "api", "*"] {
            for figure in ["connectsStarted", "connected", "bytesSent", "bytesReceived", "latencySamples"] {
                let w = wholeGroups[name]?[figure] as? Int
                #expect(w != nil && mergedGroups[name]?[figure] as? Int == w, "\(name).\(figure): whole \(w ?? -1), merged \(mergedGroups[name]?[figure] ?? "-")")
            }
        }
        #expect(mergedGroups["web"]?["connected"] as? Int == 30 && mergedGroups["*"]?["latencyMicros"] != nil)

        // `segment 1/4` in the file runs the same share as --segment 1/4: the same bytes. Started
        // after its --start-at, it says so, in its output and its result.
        let inline = try write(Self.scenario.replacingOccurrences(of: "seed 11\n", with: "seed 11\nsegment 1/4\n"), "inline.scn", scratch)
        let past = "@\(Int(Date().timeIntervalSince1970) - 10)"
        let one = try await Piped.run(["run", inline, "--start-at", past, "--json", scratch.path + "/inline.json"], input: "", scratch: scratch)
        #expect(one.output.contains("run: started") && one.output.contains("after --start-at \(past)"), "\(one.output)")
        #expect(one.status == 0, "\(one.output)")
        let inlineRun = (try json(scratch.path + "/inline.json")["runs"] as? [[String: Any]])?.first
        #expect((inlineRun?["segment"] as? [String: Int]) == ["index": 1, "count": 4], "\(inlineRun ?? [:])")
        #expect((inlineRun?["startedLateSeconds"] as? Double ?? 0) >= 10, "\(inlineRun ?? [:])")
        let shareOne = groups(try json(paths[1]))
        #expect(groups(try json(scratch.path + "/inline.json"))["*"]?["bytesSent"] as? Int == shareOne["*"]?["bytesSent"] as? Int)

        // A share against another server is not a share of this run.
        let faulty = scratch.path + "/faulty.json"
        let bad = try await Piped.run(["run", file, "--segment", "2/4", "--fault", "corrupt-echo", "--json", faulty], input: "", scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
        let mixed = try await Piped.run(["merge", paths[0], paths[1], faulty, paths[3]], input: "", scratch: scratch)
        #expect(mixed.status == 2 && mixed.output.contains("share 2/4 ran against epoll fault=corrupt-echo"), "\(mixed.output)")
    }

    @Test("a check that fails on the one share owning its connection fails the merge, as it fails the whole run")
    func failingShare() async throws {
        let scratch = Scratch()
        let file = try write(Self.scenario + "expect web[9] recv \"not an echo\" within 300ms\n", "failing.scn", scratch)
        let whole = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(whole.status == 1, "\(whole.output)")
        var paths: [String] = []
        for i in 0..<4 {
            paths.append(scratch.path + "/share-\(i).json")
            let run = try await Piped.run(["run", file, "--segment", "\(i)/4", "--json", paths[i]], input: "", scratch: scratch)
            // web[9] is share 1's (web[8..14]); the others say they leave it to its owner.
            #expect(run.status == (i == 1 ? 1 : 0), "share \(i): \(run.output)")
        }
        let merged = try await Piped.run(["merge"] + paths, input: "", scratch: scratch)
        #expect(merged.status == 1 && merged.output.contains("merge: FAILED") && merged.output.contains("share 1/4: "), "\(merged.output)")
    }

    @Test("a share's count checks catch their fault and pass on a correct server; != and loop figures are check errors")
    func shareChecks() async throws {
        let scratch = Scratch()
        let checks = "connect web 8\nexpect web connected == 8 within 2s\nexpect server active == 8 within 2s\nreset web\nexpect server descriptors == 0 within 1s\n"
        let good = try write("server start epoll\n" + checks, "good.scn", scratch)
        let passed = try await Piped.run(["run", good, "--segment", "0/4", "-v"], input: "", scratch: scratch)
        #expect(passed.status == 0, "\(passed.output)")
        #expect(passed.output.contains("2 connected on web (share 0/4: its part of 8 is 8 × 2/8 = 2)"), "\(passed.output)")
        // A server that keeps one connection of the share's two fails the scaled connected check.
        let limited = try write("server start epoll limit=1\n" + checks, "limited.scn", scratch)
        let refused = try await Piped.run(["run", limited, "--segment", "0/4"], input: "", scratch: scratch)
        #expect(refused.status == 1 && refused.output.contains("its part of 8 is 8 × 2/8 = 2"), "\(refused.output)")
        // A server leaking descriptors after a reset fails the share's server check.
        let leaked = try await Piped.run(["run", good, "--segment", "0/4", "--fault", "leak-on-reset"], input: "", scratch: scratch)
        #expect(leaked.status == 1 && leaked.output.contains("descriptors"), "\(leaked.output)")

        // A load's open-loop rate is split like its connections: 3 of 10 send 300 of 1000/s.
        let load = try write("connect web 10\nload web size=64 rate=1000/s duration=300ms\n", "load.scn", scratch)
        let loaded = try await Piped.run(["run", load, "--segment", "1/3", "-v"], input: "", scratch: scratch)
        #expect(loaded.status == 0 && loaded.output.contains("load: 3 connections, 64 B messages, rate 300/s"), "\(loaded.output)")

        let notEqual = try write("connect web 8\nexpect web connected != 3\n", "ne.scn", scratch)
        let ne = try await Piped.run(["run", notEqual, "--segment", "1/4"], input: "", scratch: scratch)
        #expect(ne.status == 1 && ne.output.contains("!= on a part says nothing about the whole"), "\(ne.output)")
        let loop = try write("connect web 8\nexpect server iterations >= 1\n", "loop.scn", scratch)
        let it = try await Piped.run(["run", loop, "--segment", "1/4"], input: "", scratch: scratch)
        #expect(it.status == 1 && it.output.contains("iterations is a figure of the server loop"), "\(it.output)")
    }

    @Test("bad segments are usage errors naming the argument or file:line:column; merge refuses unsplit and incomplete runs")
    func badSegments() async throws {
        let scratch = Scratch()
        let file = try write("connect web 4\nsend web \"x\"\nexpect web echo\n", "ok.scn", scratch)
        for bad in ["5/4", "0/0"] {
            let run = try await Piped.run(["run", file, "--segment", bad], input: "", scratch: scratch)
            #expect(run.status == 2 && run.output.contains("--segment"), "\(bad): \(run.output)")
        }
        let twice = try write("segment 0/2\nsegment 1/2\nconnect web 4\n", "twice.scn", scratch)
        let t = try await Piped.run(["run", twice], input: "", scratch: scratch)
        #expect(t.status == 2 && t.output.contains("twice.scn:2:1: segment is given twice"), "\(t.output)")
        let late = try write("connect web 4\nsegment 0/2\n", "late.scn", scratch)
        let l = try await Piped.run(["run", late], input: "", scratch: scratch)
        #expect(l.status == 2 && l.output.contains("late.scn:2:1: segment must come before any connect"), "\(l.output)")
        let range = try write("segment 4/4\n", "range.scn", scratch)
        let r = try await Piped.run(["run", range], input: "", scratch: scratch)
        #expect(r.status == 2 && r.output.contains("range.scn:1:9: segment 4/4 does not exist"), "\(r.output)")

        let p = { (name: String) in scratch.path + "/\(name).json" }
        for (name, extra) in [("whole", [String]()), ("s0", ["--segment", "0/2"]), ("s1", ["--segment", "1/2"]), ("other", ["--segment", "1/2", "--seed", "5"])] {
            let run = try await Piped.run(["run", file, "--json", p(name)] + extra, input: "", scratch: scratch)
            #expect(run.status == 0, "\(name): \(run.output)")
        }
        let unsplit = try await Piped.run(["merge", p("whole"), p("s0")], input: "", scratch: scratch)
        #expect(unsplit.status == 2 && unsplit.output.contains("is not a share"), "\(unsplit.output)")
        let missing = try await Piped.run(["merge", p("s0")], input: "", scratch: scratch)
        #expect(missing.status == 2 && missing.output.contains("missing share 1/2"), "\(missing.output)")
        let other = try await Piped.run(["merge", p("s0"), p("other")], input: "", scratch: scratch)
        #expect(other.status == 2 && other.output.contains("share of another run"), "\(other.output)")
        let good = try await Piped.run(["merge", p("s1"), p("s0")], input: "", scratch: scratch)
        #expect(good.status == 0, "\(good.output)")
    }
}
