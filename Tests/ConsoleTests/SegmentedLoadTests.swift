// A load test split into 4 segments run as 4 processes adds up, through `sockfuzz merge`, to the
// same test run whole: the same connections, rates that sum exactly, message totals that are the
// shares' sums, and percentiles from the merged histograms (never averaged percentiles). Merge
// refuses a missing share, a share of another test and a share given twice.

import Foundation
import Glibc
import Histogram
import Results
import Testing

@Suite("Segmented load and merge", .childSlot, .serialized)
struct SegmentedLoadTests {
    /// `sockfuzz serve` on a free loopback port, and its address.
    private func serve(_ scratch: Scratch) async throws -> (RunningSockfuzz, String) {
        let server = try RunningSockfuzz(["serve", "--mode", "epoll"], scratch: scratch)
        #expect(await server.waitForOutput(containing: "listening on"), "\(server.output)")
        let words = server.output.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" })
        let address = words.firstIndex(of: "on").map { String(words[$0 + 1]) } ?? "?"
        return (server, address)
    }

    private func json(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) was not written")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func loadArguments(_ address: String) -> [String] {
        ["load", "--target", address, "--connections", "42", "--rate", "2001", "--duration", "1s"]
    }

    @Test("4 segments as 4 processes add up to the test run whole")
    func fourShares() async throws {
        let scratch = Scratch()
        let (server, address) = try await serve(scratch)
        defer { server.signal(SIGTERM); _ = server.finishBlocking() }

        let whole = try await Piped.run(loadArguments(address) + ["--json", scratch.path + "/whole.json"], input: "", scratch: scratch)
        #expect(whole.status == 0, "\(whole.output)")
        let wholeRecord = try json(scratch.path + "/whole.json")

        let start = "@\(Int(Date().timeIntervalSince1970) + 2)"
        let paths = (0..<4).map { scratch.path + "/share-\($0).json" }
        let shares = try (0..<4).map { i in
            try RunningSockfuzz(loadArguments(address) + ["--segment", "\(i)/4", "--start-at", start, "--json", paths[i],
                                                          "--hdr-log", scratch.path + "/share-\(i).hlog"], scratch: scratch)
        }
        for (i, share) in shares.enumerated() {
            let run = await share.finish(timeout: 60)
            #expect(run.status == 0, "share \(i): \(run.output)")
        }
        let merged = try await Piped.run(["merge"] + paths + ["--json", scratch.path + "/merged.json", "--html", scratch.path + "/merged.html"],
                                   input: "", scratch: scratch)
        #expect(merged.status == 0, "\(merged.output)")
        #expect(merged.output.contains("merge: PASSED"), "\(merged.output)")
        let m = try json(scratch.path + "/merged.json")
        let records = try paths.map(json)

        // The same connections as the whole test, split without overlap.
        let wholeConnect = try #require(wholeRecord["connect"] as? [String: Any])
        #expect(m["connectionsRequested"] as? Int == wholeConnect["requested"] as? Int)
        #expect(m["echoed"] as? Int == 42)
        #expect(records.map { ($0["connect"] as? [String: Any])?["requested"] as? Int ?? -1 } == [11, 10, 11, 10])
        // Rates that add up exactly to the whole's.
        let rates = records.map { (($0["load"] as? [String: Any])?["targetRate"] as? Double) ?? -1 }
        #expect(rates == [501, 500, 500, 500])
        #expect(rates.reduce(0, +) == ((wholeRecord["load"] as? [String: Any])?["targetRate"] as? Double))
        // Totals are the shares' sums; percentiles come from the merged histograms.
        let messages = records.map { (($0["load"] as? [String: Any])?["messages"] as? Int) ?? 0 }
        #expect(m["messages"] as? Int == messages.reduce(0, +))
        var added = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        for record in records {
            for interval in ((record["load"] as? [String: Any])?["intervals"] as? [[String: Any]]) ?? [] {
                added.add(try HistogramEncoding.decode(base64: try #require(interval["histogram"] as? String)))
            }
        }
        #expect(added.totalCount == UInt64(messages.reduce(0, +)))
        let latency = try #require(m["latencyMicros"] as? [String: Double])
        #expect(latency["p99"] == Double(added.valueAtPercentile(99)) / 1000)
        #expect(latency["p50"] == Double(added.valueAtPercentile(50)) / 1000)
        let log = try String(contentsOfFile: scratch.path + "/share-0.hlog", encoding: .utf8)
        #expect(log.contains("#[Histogram log format version 1.3]") && log.contains("\"StartTimestamp\""))
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/merged.html"))
    }

    @Test("merge refuses a missing share, a share of another test, and a share given twice")
    func refusals() async throws {
        let scratch = Scratch()
        let (server, address) = try await serve(scratch)
        defer { server.signal(SIGTERM); _ = server.finishBlocking() }
        let base = ["load", "--target", address, "--connections", "4", "--depth", "1", "--duration", "300ms"]
        for (name, extra) in [("a0", ["--segment", "0/2"]), ("a1", ["--segment", "1/2"]), ("b1", ["--segment", "1/2", "--size", "128"])] {
            let run = try await Piped.run(base + extra + ["--json", scratch.path + "/\(name).json"], input: "", scratch: scratch)
            #expect(run.status == 0, "\(name): \(run.output)")
        }
        let p = { (name: String) in scratch.path + "/\(name).json" }
        let missing = try await Piped.run(["merge", p("a0")], input: "", scratch: scratch)
        #expect(missing.status == 2 && missing.output.contains("missing share 1/2"), "\(missing.output)")
        let other = try await Piped.run(["merge", p("a0"), p("b1")], input: "", scratch: scratch)
        #expect(other.status == 2 && other.output.contains("is a share of another test"), "\(other.output)")
        let twice = try await Piped.run(["merge", p("a0"), p("a0"), p("a1")], input: "", scratch: scratch)
        #expect(twice.status == 2 && twice.output.contains("given twice"), "\(twice.output)")
        let good = try await Piped.run(["merge", p("a1"), p("a0")], input: "", scratch: scratch)
        #expect(good.status == 0, "\(good.output)")
    }

    @Test("--source spreads connections over loopback addresses; an address not on this host is a usage error")
    func sources() async throws {
        let scratch = Scratch()
        let (server, address) = try await serve(scratch)
        defer { server.signal(SIGTERM); _ = server.finishBlocking() }
        let spread = try await Piped.run(["load", "--target", address, "--connections", "16", "--depth", "1", "--duration", "300ms",
                                    "--source", "127.0.0.2-127.0.0.5"], input: "", scratch: scratch)
        #expect(spread.status == 0, "\(spread.output)")
        let foreign = try await Piped.run(["load", "--target", address, "--connections", "4", "--source", "192.0.2.1"], input: "", scratch: scratch)
        #expect(foreign.status == 2, "\(foreign.output)")
        #expect(foreign.output.contains("--source 192.0.2.1: cannot bind"), "\(foreign.output)")
    }

    @Test("3 fuzz shares run exactly the whole campaign's runs, and merge to its totals; a share of other options is refused")
    func fuzzShares() async throws {
        let scratch = Scratch()
        let base = ["fuzz", "--runs", "6", "--connections", "2", "--max-send", "4KiB", "--out", scratch.path + "/findings"]
        let whole = try await Piped.run(base + ["--json", scratch.path + "/whole.json"], input: "", scratch: scratch, timeout: 120)
        #expect(whole.status == 0, "\(whole.output)")
        var paths: [String] = []
        for i in 0..<3 {
            paths.append(scratch.path + "/fuzz-\(i).json")
            let run = try await Piped.run(base + ["--segment", "\(i)/3", "--json", paths[i]], input: "", scratch: scratch, timeout: 120)
            #expect(run.status == 0, "share \(i): \(run.output)")
            #expect(run.output.contains("share \(i)/3: runs \(i), \(i + 3)"), "\(run.output)")
        }
        let merged = try await Piped.run(["merge"] + paths + ["--json", scratch.path + "/merged.json"], input: "", scratch: scratch)
        #expect(merged.status == 0, "\(merged.output)")
        let wholeRuns = (((try json(scratch.path + "/whole.json"))["fuzz"] as? [[String: Any]])?.first?["runs"] as? Int)
        let mergedRuns = (((try json(scratch.path + "/merged.json"))["campaigns"] as? [[String: Any]])?.first?["runs"] as? Int)
        #expect(wholeRuns == 6 && mergedRuns == wholeRuns, "\(merged.output)")
        let missing = try await Piped.run(["merge", paths[0], paths[2]], input: "", scratch: scratch)
        #expect(missing.status == 2 && missing.output.contains("missing share 1/3"), "\(missing.output)")
        // No page for fuzz reports: refused, never an empty file beside a pass.
        let page = try await Piped.run(["merge"] + paths + ["--html", scratch.path + "/fuzz.html"], input: "", scratch: scratch)
        #expect(page.status == 2 && page.output.contains("for fuzz reports use --json"), "\(page.output)")
        let twice = try await Piped.run(["merge", paths[0], paths[1], paths[1], paths[2]], input: "", scratch: scratch)
        #expect(twice.status == 2 && twice.output.contains("share 1/3 of") && twice.output.contains("is given twice"), "\(twice.output)")
        // Share 1 of a campaign with other options (same server, seed and split): its runs are
        // no part of this campaign, so the union would be a test nobody ran.
        let other = scratch.path + "/fuzz-1-other.json"
        let odd = try await Piped.run(["fuzz", "--runs", "6", "--connections", "3", "--max-send", "4KiB", "--out", scratch.path + "/findings",
                                 "--segment", "1/3", "--json", other], input: "", scratch: scratch, timeout: 120)
        #expect(odd.status == 0, "\(odd.output)")
        let mixed = try await Piped.run(["merge", paths[0], other, paths[2]], input: "", scratch: scratch)
        #expect(mixed.status == 2, "\(mixed.output)")
        #expect(mixed.output.contains("\(other) is a share of another campaign"), "\(mixed.output)")
        #expect(mixed.output.contains("--connections 3") && mixed.output.contains("--connections 2"), "\(mixed.output)")
    }
}
