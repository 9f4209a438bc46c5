// `sockfuzz merge` judges shares by their figures, not their word: real shares of load, run and
// fuzz, each edited to lie in one way (a verdict its counts contradict, intervals that do not
// add up to the total), are refused with exit 2 naming the file; the unedited shares merge.

import Foundation
import Testing
import TestSupport

@Suite("merge recomputes verdicts and refuses shares that contradict themselves", .serialized)
struct MergeVerdictTests {
    /// `path`'s JSON, changed by `edit`, written to `edited`.
    static func edit(_ path: String, to edited: String, _ change: (inout [String: Any]) throws -> Void) throws {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) was not written")
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        try change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: edited))
    }

    @Test("a load share that says passed with corrupted messages, or whose intervals do not add up, is refused")
    func load() throws {
        let scratch = Scratch()
        let p = { (name: String) in scratch.path + "/\(name).json" }
        for i in 0..<2 {
            let run = try Piped.run(["load", "--connections", "2", "--size", "64", "--depth", "1", "--duration", "500ms",
                                     "--segment", "\(i)/2", "--json", p("load\(i)")], input: "", scratch: scratch, timeout: 60)
            #expect(run.status == 0, "\(run.output)")
        }
        let good = try Piped.run(["merge", p("load0"), p("load1")], input: "", scratch: scratch)
        #expect(good.status == 0, "\(good.output)")

        try Self.edit(p("load0"), to: p("lying")) { record in
            var load = try #require(record["load"] as? [String: Any])
            load["corrupted"] = 3
            record["load"] = load
            #expect(record["passed"] as? Bool == true)
        }
        let lying = try Piped.run(["merge", p("lying"), p("load1")], input: "", scratch: scratch)
        #expect(lying.status == 2 && lying.output.contains("lying.json: it says passed, yet its figures show 3 corrupted"), "\(lying.output)")

        try Self.edit(p("load0"), to: p("padded")) { record in
            var load = try #require(record["load"] as? [String: Any])
            load["messages"] = ((load["messages"] as? Int) ?? 0) + 1000
            record["load"] = load
        }
        let padded = try Piped.run(["merge", p("padded"), p("load1")], input: "", scratch: scratch)
        #expect(padded.status == 2 && padded.output.contains("padded.json: its per-second intervals add up to"), "\(padded.output)")
    }

    @Test("a run share that says passed with failed checks is refused")
    func run() throws {
        let scratch = Scratch()
        let file = Binary.packageRoot + "/scenarios/connect-burst.scn"
        let p = { (name: String) in scratch.path + "/\(name).json" }
        for i in 0..<2 {
            let run = try Piped.run(["run", file, "--segment", "\(i)/2", "--json", p("run\(i)")], input: "", scratch: scratch)
            #expect(run.status == 0, "\(run.output)")
        }
        let good = try Piped.run(["merge", p("run0"), p("run1")], input: "", scratch: scratch)
        #expect(good.status == 0, "\(good.output)")
        try Self.edit(p("run0"), to: p("lying")) { document in
            var runs = try #require(document["runs"] as? [[String: Any]])
            var checks = try #require(runs[0]["checks"] as? [String: Any])
            checks["failed"] = 2
            runs[0]["checks"] = checks
            document["runs"] = runs
        }
        let lying = try Piped.run(["merge", p("lying"), p("run1")], input: "", scratch: scratch)
        #expect(lying.status == 2 && lying.output.contains("lying.json:") && lying.output.contains("2 failed check(s)"), "\(lying.output)")
    }

    @Test("a fuzz share whose verdict is not what its campaigns show is refused")
    func fuzz() throws {
        let scratch = Scratch()
        let p = { (name: String) in scratch.path + "/\(name).json" }
        for i in 0..<2 {
            let run = try Piped.run(["fuzz", "--runs", "4", "--connections", "2", "--max-send", "4KiB", "--segment", "\(i)/2",
                                     "--out", scratch.path + "/none", "--json", p("fuzz\(i)")], input: "", scratch: scratch, timeout: 120)
            #expect(run.status == 0, "\(run.output)")
        }
        let good = try Piped.run(["merge", p("fuzz0"), p("fuzz1")], input: "", scratch: scratch)
        #expect(good.status == 0, "\(good.output)")
        try Self.edit(p("fuzz0"), to: p("lying")) { document in document["passed"] = false }
        let lying = try Piped.run(["merge", p("lying"), p("fuzz1")], input: "", scratch: scratch)
        #expect(lying.status == 2 && lying.output.contains("lying.json: it says failed, yet it holds no finding"), "\(lying.output)")
    }
}
