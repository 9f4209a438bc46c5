// `load --metrics-listen` (and `fuzz`'s and `run`'s), scraped with a plain socket while it runs: Prometheus
// text 0.0.4 (prometheus_client's own parser reads it) whose values agree with the final result:
// latency exactly the result's first k seconds, counters that only grow up to its totals.

import Foundation
import Glibc
import Histogram
import Results
import Syscalls
import Testing
import TestSupport

private let prometheusParser = PythonModule.available("prometheus_client.parser")

@Suite("Prometheus metrics endpoint", .childSlot, .serialized)
struct MetricsListenTests {
    /// One HTTP/1.0 request; nil when nothing listens any more.
    private static func get(_ path: String, from address: SocketAddress) -> String? {
        guard let client = try? LoopbackClient(connectingTo: address, timeout: 5) else { return nil }
        defer { client.close() }
        guard (try? client.send(Array("GET \(path) HTTP/1.0\r\nHost: sockfuzz\r\n\r\n".utf8))) != nil else { return nil }
        let reply = client.receiveToEnd(timeout: 10)
        return reply.bytes.isEmpty ? nil : String(decoding: reply.bytes, as: UTF8.self)
    }

    /// The replies (head and body) to a GET of `path` every `interval` ms of the endpoint `process`
    /// prints, until it answers no more or `limit` seconds pass. Waiting for the address and
    /// scraping run on one thread of their own: a `run` of two scenarios lasts about 2 s, and on a
    /// loaded machine a test's continuation once waited longer than that for one of Swift Testing's
    /// threads, so that it scraped nothing (the run had ended).
    private func repliesUntilGone(_ process: RunningSockfuzz, path: String = "/metrics", every interval: Int = 100,
                                  forSeconds limit: Double) async throws -> [String] {
        let prefix = "metrics: serving http://"
        let scraped = await OffThread.run { () -> (started: Bool, address: String, replies: [String]) in
            guard process.waitForOutputBlocking(containing: prefix, timeout: 60) else { return (false, "", []) }
            let url = process.output.split(separator: "\n").first { $0.hasPrefix(prefix) } ?? ""
            let text = String(url.dropFirst(prefix.count).prefix { $0 != "/" })
            guard let address = try? SocketAddress.parse(text) else { return (true, text, []) }
            var replies: [String] = []
            let deadline = nowNanos() + seconds(limit)
            while nowNanos() < deadline, let reply = Self.get(path, from: address) {
                replies.append(reply)
                sleepMillis(interval)
            }
            return (true, text, replies)
        }
        #expect(scraped.started, "\(process.output)")
        _ = try SocketAddress.parse(scraped.address)
        return scraped.replies
    }

    /// The bodies of `repliesUntilGone`.
    private func scrapeUntilGone(_ process: RunningSockfuzz, forSeconds limit: Double) async throws -> [String] {
        try await repliesUntilGone(process, forSeconds: limit).map {
            $0.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        }
    }

    /// The samples of a scrape body: `name{labels}` -> value.
    private func samples(_ body: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            values[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return values
    }

    /// Python's prometheus_client reads `body` and lists its families (name type), or says why not.
    private func pythonParse(_ body: String) throws -> (ok: Bool, output: String) {
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for f in text_string_to_metric_families(sys.stdin.read()):
                print(f.name, f.type, len(f.samples))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(body.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus == 0, text)
    }

    @Test("scraped during a load: valid Prometheus text, latency equal to the result's first seconds, counters within its totals",
          .enabled(if: prometheusParser || RequiredTool.underCI, "python3 -m pip install prometheus-client (CI installs it)"))
    func scrapeDuringLoad() async throws {
        try #require(prometheusParser, "the prometheus-client Python package is missing: .ci/run must install it")
        let scratch = Scratch()
        let json = scratch.path + "/load.json"
        let load = try RunningSockfuzz(["load", "--connections", "8", "--rate", "2000", "--duration", "4s",
                                        "--metrics-listen", "127.0.0.1:0", "--json", json], scratch: scratch)
        let scrapes = try await repliesUntilGone(load, every: 150, forSeconds: 15)
        let run = await load.finish(timeout: 30)
        #expect(run.status == 0, "\(run.output)")
        try #require(!scrapes.isEmpty, "no scrape answered: \(run.output)")
        let head = try #require(scrapes.first?.components(separatedBy: "\r\n\r\n").first)
        #expect(head.hasPrefix("HTTP/1.0 200 OK") && head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"), "\(head)")

        let result = try #require(try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let loadResult = try #require(result["load"] as? [String: Any])
        let finalMessages = try #require(loadResult["messages"] as? Double)
        let intervals = try #require(loadResult["intervals"] as? [[String: Any]])
        var prefix: [(count: UInt64, histogram: Histogram<UInt64>)] = []
        var running = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        prefix.append((0, running))
        for interval in intervals {
            running.add(try HistogramEncoding.decode(base64: try #require(interval["histogram"] as? String)))
            prefix.append((running.totalCount, running))
        }

        var lastMessages = 0.0
        var summariesSeen = 0
        for scrape in scrapes {
            let body = scrape.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            let s = samples(body)
            let messages = try #require(s["sockfuzz_load_messages_total"], "\(body)")
            #expect(messages >= lastMessages && messages <= finalMessages, "messages \(messages) after \(lastMessages), final \(finalMessages)")
            lastMessages = messages
            #expect(s["sockfuzz_load_bytes_total"] == messages * 64)
            // Scraped before the connects ended, there are no connections yet, nor messages.
            #expect(s["sockfuzz_load_errors_total"] == 0 && (s["sockfuzz_load_connections"] == 8 || messages == 0), "\(body)")
            // The summary is the result's first k seconds, merged: the same count and percentiles.
            let count = try #require(s["sockfuzz_load_latency_seconds_count"])
            let k = try #require(prefix.firstIndex { Double($0.count) == count }, "count \(count) is no prefix of the result's seconds \(prefix.map(\.count))")
            if k > 0 {
                summariesSeen += 1
                for (q, p) in [("0.5", 50.0), ("0.99", 99.0)] {
                    let expected = Double(prefix[k].histogram.valueAtPercentile(p)) / 1e9
                    #expect(s["sockfuzz_load_latency_seconds{quantile=\"\(q)\"}"] == expected, "quantile \(q) of \(k) s")
                }
            }
        }
        #expect(summariesSeen >= 1, "no scrape after the first measured second: \(scrapes.count) scrapes")
        let last = scrapes.last!.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        let parsed = try pythonParse(last)
        #expect(parsed.ok, "prometheus_client rejects the scrape:\n\(parsed.output)\n\(last)")
        for family in ["sockfuzz_load_messages counter", "sockfuzz_load_latency_seconds summary 6", "sockfuzz_load_connections gauge"] {
            #expect(parsed.output.contains(family), "\(parsed.output)")
        }
    }

    @Test("fuzz --metrics-listen: scraped during a campaign, valid text whose counters only grow up to the report's",
          .enabled(if: prometheusParser || RequiredTool.underCI, "python3 -m pip install prometheus-client (CI installs it)"))
    func scrapeDuringFuzz() async throws {
        try #require(prometheusParser, "the prometheus-client Python package is missing: .ci/run must install it")
        let scratch = Scratch()
        let json = scratch.path + "/fuzz.json"
        let fuzz = try RunningSockfuzz(["fuzz", "--runs", "12", "--connections", "2", "--out", scratch.path + "/findings",
                                        "--metrics-listen", "127.0.0.1:0", "--json", json], scratch: scratch)
        let bodies = try await scrapeUntilGone(fuzz, forSeconds: 60)
        let run = await fuzz.finish(timeout: 60)
        #expect(run.status == 0, "\(run.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let finalRuns = try #require(((report["fuzz"] as? [[String: Any]])?.first?["runs"]) as? Double)
        let key = "sockfuzz_fuzz_runs_total{against=\"epoll\",segment=\"0/1\"}"
        let runs = bodies.compactMap { samples($0)[key] }
        #expect(!runs.isEmpty && runs.contains { $0 > 0 }, "\(bodies.last ?? "no scrape")")
        #expect(runs == runs.sorted() && (runs.last ?? 0) <= finalRuns, "\(runs), final \(finalRuns)")
        let parsed = try pythonParse(try #require(bodies.last))
        #expect(parsed.ok && parsed.output.contains("sockfuzz_fuzz_runs counter") && parsed.output.contains("sockfuzz_fuzz_running gauge"),
                "\(parsed.output)")
    }

    @Test("run --metrics-listen: scraped during two scenarios, live figures of the running one that only grow up to the report's; usage errors exit 2",
          .enabled(if: prometheusParser || RequiredTool.underCI, "python3 -m pip install prometheus-client (CI installs it)"))
    func scrapeDuringRun() async throws {
        try #require(prometheusParser, "the prometheus-client Python package is missing: .ci/run must install it")
        let scratch = Scratch()
        // Each scenario sends, waits a while with its connections open, then sends again.
        let scenario = "connect web 4\nsend web random 1000\nexpect web echo\nsleep 700ms\nsend web random 1000\nexpect web echo\nsleep 300ms\n"
        let files = try ["a", "b"].map { name in
            let path = scratch.path + "/\(name).scn"
            try scenario.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let json = scratch.path + "/run.json"
        let run = try RunningSockfuzz(["run"] + files + ["--metrics-listen", "127.0.0.1:0", "--json", json], scratch: scratch)
        let bodies = try await scrapeUntilGone(run, forSeconds: 30)
        let finished = await run.finish(timeout: 30)
        #expect(finished.status == 0, "\(finished.output)")

        let report = try #require(try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let runs = try #require(report["runs"] as? [[String: Any]])
        let sent = runs.compactMap { ($0["totals"] as? [String: Any])?["bytesSent"] as? Double }.reduce(0, +)
        let checksPassed = runs.compactMap { ($0["checks"] as? [String: Any])?["passed"] as? Double }.reduce(0, +)
        #expect(sent == 16000 && checksPassed == 4, "report: sent \(sent), checks passed \(checksPassed)")

        let scrapes = bodies.map(samples)
        let sentSeen = scrapes.compactMap { $0["sockfuzz_run_bytes_sent_total"] }
        let checksSeen = scrapes.compactMap { $0["sockfuzz_run_checks_total{result=\"passed\"}"] }
        #expect(sentSeen.count == scrapes.count && sentSeen == sentSeen.sorted() && (sentSeen.last ?? 0) <= sent, "\(sentSeen), final \(sent)")
        #expect(checksSeen == checksSeen.sorted() && (checksSeen.last ?? 0) <= checksPassed, "\(checksSeen)")
        // Live: the first scenario's first send seen before it ended, and the second's while one was done.
        #expect(scrapes.contains { $0["sockfuzz_run_scenarios_done_total"] == 0 && $0["sockfuzz_run_bytes_sent_total"] == 4000 }, "\(bodies.last ?? "")")
        #expect(scrapes.contains { $0["sockfuzz_run_scenarios_done_total"] == 1 && ($0["sockfuzz_run_bytes_sent_total"] ?? 0) > 8000
                                   && $0["sockfuzz_run_connections_total"] == 8 && $0["sockfuzz_run_running"] == 1 }, "\(bodies.last ?? "")")
        #expect(scrapes.contains { ($0["sockfuzz_run_latency_seconds_count"] ?? 0) > 0 && ($0["sockfuzz_run_latency_seconds{quantile=\"0.99\"}"] ?? 0) > 0 })
        let parsed = try pythonParse(try #require(bodies.last))
        #expect(parsed.ok && parsed.output.contains("sockfuzz_run_checks counter 3") && parsed.output.contains("sockfuzz_run_latency_seconds summary 6"),
                "\(parsed.output)")

        let bad = try await Piped.run(["run", files[0], "--metrics-listen", "nowhere"], input: "", scratch: scratch)
        #expect(bad.status == 2 && bad.output.contains("--metrics-listen nowhere"), "\(bad.output)")
        let occupant = try MisbehavingServer(.echo)
        defer { occupant.stop() }
        let taken = try await Piped.run(["run", files[0], "--metrics-listen", occupant.address], input: "", scratch: scratch)
        #expect(taken.status == 2 && taken.output.contains("sockfuzz run: --metrics-listen \(occupant.address): cannot listen"), "\(taken.output)")
    }

    @Test("other paths are 404; an address that is no HOST:PORT is a usage error")
    func pathsAndUsage() async throws {
        let scratch = Scratch()
        let load = try RunningSockfuzz(["load", "--connections", "2", "--depth", "1", "--duration", "1s",
                                        "--metrics-listen", "127.0.0.1:0"], scratch: scratch)
        let other = try await repliesUntilGone(load, path: "/", forSeconds: 15).first
        #expect(other?.hasPrefix("HTTP/1.0 404") == true, "\(other ?? "no answer")")
        #expect(await load.finish(timeout: 30).status == 0)
        let bad = try await Piped.run(["load", "--metrics-listen", "nowhere"], input: "", scratch: scratch)
        #expect(bad.status == 2 && bad.output.contains("--metrics-listen nowhere"), "\(bad.output)")
    }
}
