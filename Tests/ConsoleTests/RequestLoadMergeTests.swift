// `sockfuzz merge` adds up the shares of a request load (`load --request ... --segment i/n`)
// exactly: the replies counted, the mismatches and framing errors summed, latency from the
// merged histograms; a share whose replies did not match fails the merge, naming the share, even
// when its own verdict says it passed.

import Foundation
import Glibc
import Histogram
import Results
import Testing

@Suite("Merging request-load shares", .childSlot, .serialized)
struct RequestLoadMergeTests {
    private func json(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) was not written")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Three shares of a line-framed request load against an echo server (each reply is the
    /// request line), checked against `expect`; their JSON paths and exit statuses.
    private func shares(_ address: String, expect: String, _ scratch: Scratch, name: String) async throws -> [(path: String, status: Int32)] {
        let paths = (0..<3).map { scratch.path + "/\(name)-\($0).json" }
        // Run together, as shares do.
        let running = try (0..<3).map { i in
            try RunningSockfuzz(["load", "--target", address, "--connections", "6", "--rate", "600", "--duration", "1s",
                                 "--request", "PING\\n", "--framing", "line", "--expect", expect,
                                 "--segment", "\(i)/3", "--json", paths[i]], scratch: scratch)
        }
        var out: [(path: String, status: Int32)] = []
        for (path, run) in zip(paths, running) { out.append((path, await run.finish(timeout: 60).status)) }
        return out
    }

    @Test("3 shares of a line request load merge exactly; mismatched replies in the shares fail the merge")
    func threeShares() async throws {
        let scratch = Scratch()
        let server = try RunningSockfuzz(["serve", "--mode", "epoll"], scratch: scratch)
        defer { server.signal(SIGTERM); _ = server.finishBlocking() }
        #expect(await server.waitForOutput(containing: "listening on"), "\(server.output)")
        let words = server.output.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" })
        let address = words.firstIndex(of: "on").map { String(words[$0 + 1]) } ?? "?"

        let good = try await shares(address, expect: "^PING\\n$", scratch, name: "good")
        #expect(good.map(\.status) == [0, 0, 0])
        let merged = try await Piped.run(["merge"] + good.map(\.path) + ["--json", scratch.path + "/merged.json"], input: "", scratch: scratch)
        #expect(merged.status == 0 && merged.output.contains("0 mismatched, 0 framing errors"), "\(merged.output)")
        let m = try json(scratch.path + "/merged.json")
        let replies = try #require(m["replies"] as? [String: Any], "\(m)")
        #expect(replies["framing"] as? String == "line" && replies["requests"] as? Int == 1 && replies["mismatched"] as? Int == 0)
        let loads = try good.map { try #require(try json($0.path)["load"] as? [String: Any]) }
        let counted = loads.map { $0["messages"] as? Int ?? 0 }
        #expect(m["messages"] as? Int == counted.reduce(0, +) && counted.allSatisfy { $0 > 0 }, "\(counted)")
        var added = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        for load in loads {
            for interval in (load["intervals"] as? [[String: Any]]) ?? [] {
                added.add(try HistogramEncoding.decode(base64: try #require(interval["histogram"] as? String)))
            }
        }
        #expect((m["latencyMicros"] as? [String: Double])?["p99"] == Double(added.valueAtPercentile(99)) / 1000)

        // The twin: replies that do not match in every share; the merge sums them and fails.
        let bad = try await shares(address, expect: "^PONG", scratch, name: "bad")
        #expect(bad.map(\.status) == [1, 1, 1])
        let failed = try await Piped.run(["merge"] + bad.map(\.path) + ["--json", scratch.path + "/failed.json"], input: "", scratch: scratch)
        #expect(failed.status == 1 && failed.output.contains("merge: FAILED") && failed.output.contains("first mismatch: share 0/3"), "\(failed.output)")
        let mismatched = try bad.map { ((try json($0.path)["load"] as? [String: Any])?["replies"] as? [String: Any])?["mismatched"] as? Int ?? 0 }
        let f = try json(scratch.path + "/failed.json")
        #expect((f["replies"] as? [String: Any])?["mismatched"] as? Int == mismatched.reduce(0, +) && mismatched.allSatisfy { $0 > 0 }, "\(mismatched)")

        // The same shares with their problems lost: the counted mismatches alone still fail the
        // merge; and a share that says it passed with mismatches counted is refused, naming it.
        var lost: [String] = []
        for share in bad {
            var record = try json(share.path)
            record["problems"] = [String]()
            lost.append(share.path + ".lost.json")
            try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: lost.last!))
        }
        let unverdicted = try await Piped.run(["merge"] + lost, input: "", scratch: scratch)
        #expect(unverdicted.status == 1 && unverdicted.output.contains("merge: FAILED: share 0/3: mismatched replies \(mismatched[0])"),
                "\(unverdicted.output)")
        var lying = try json(lost[1])
        lying["passed"] = true
        try JSONSerialization.data(withJSONObject: lying).write(to: URL(fileURLWithPath: lost[1]))
        let refused = try await Piped.run(["merge"] + lost, input: "", scratch: scratch)
        #expect(refused.status == 2 && refused.output.contains("\(lost[1]): the share contradicts itself: it says passed, but its figures say: mismatched replies"),
                "\(refused.output)")
    }
}
