// `sockfuzz proxy` as users run it: in front of redis-server, driven by toxiproxy's own Python
// client (toxiproxy-python, unchanged) through --api, and with toxics from the command line;
// its option errors are exit 2 naming the option.

import Foundation
import Glibc
import Syscalls
import Testing
import TestSupport

private let toxiproxyClient = PythonModule.available("toxiproxy")

@Suite("sockfuzz proxy", .childSlot)
struct ProxyCommandTests {
    /// The address after `prefix` in the first line of `process`'s output that has it.
    private func address(after prefix: String, in process: RunningSockfuzz) async throws -> String {
        #expect(await process.waitForOutput(containing: prefix), "\(process.output)")
        let line = try #require(process.output.split(separator: "\n").first { $0.contains(prefix) })
        let rest = line[line.range(of: prefix)!.upperBound...]
        return String(rest.prefix { !$0.isWhitespace && $0 != "," })
    }

    /// Runs python3 with `arguments`, output and errors in one pipe, for at most 90 seconds.
    private func python(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Deadline(secondsFromNow: 90)
        while process.isRunning && !deadline.hasPassed { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("toxiproxy-python drives --api in front of redis-server: create, latency seen by PING, remove, down, reset, populate, destroy",
          .needs(.redisServer), .enabled(if: toxiproxyClient || RequiredTool.underCI, "pip install toxiproxy-python (CI installs it)"))
    func toxiproxyClientDrivesTheAPI() async throws {
        try #require(toxiproxyClient, "toxiproxy-python missing: .ci/run must install it")
        let redis = try ReplyTests.startRedis()
        defer { redis.stop() }
        let scratch = Scratch()
        let proxy = try RunningSockfuzz(["proxy", "--api", "127.0.0.1:0"], scratch: scratch)
        let api = try await address(after: "toxiproxy API on http://", in: proxy)
        let script = Binary.packageRoot + "/Tests/Fixtures/proxy/toxiproxy_redis.py"
        let parts = api.split(separator: ":")
        let (status, output) = try python([script, String(parts[0]), String(parts[1]), "\(redis.address)"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL OK"), "\(output)")
        proxy.signal(SIGTERM)
        let stopped = await proxy.finish()
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(stopped.output.contains("stopped by SIGTERM; counters:"), "\(stopped.output)")
    }

    @Test("--toxic from the command line: redis PING through a latency toxic takes at least its time; --metrics-listen and --json count it",
          .needs(.redisServer))
    func commandLineToxic() async throws {
        let redis = try ReplyTests.startRedis()
        defer { redis.stop() }
        let scratch = Scratch()
        let proxy = try RunningSockfuzz(["proxy", "--listen", "127.0.0.1:0", "--upstream", "\(redis.address)", "--name", "redis",
                                         "--toxic", "latency latency=400ms", "--json", "--metrics-listen", "127.0.0.1:0"], scratch: scratch)
        let listen = try await SocketAddress.parse(try address(after: "listening on ", in: proxy))
        let client = try LoopbackClient(connectingTo: listen)
        let start = nowNanos()
        try client.send(Array("PING\r\n".utf8))
        #expect(try client.receive(exactly: 7, timeout: 20) == Array("+PONG\r\n".utf8))
        #expect(elapsedSeconds(since: start) >= 0.4)
        client.close()
        // The counters for Prometheus, while it runs, say what the final JSON will.
        let metrics = try await SocketAddress.parse(try address(after: "metrics: serving http://", in: proxy).replacingOccurrences(of: "/metrics", with: ""))
        let scrape = try LoopbackClient(connectingTo: metrics)
        try scrape.send(Array("GET /metrics HTTP/1.0\r\n\r\n".utf8))
        let body = String(decoding: scrape.receiveToEnd().bytes, as: UTF8.self)
        #expect(body.contains("sockfuzz_proxy_bytes_upstream_total{proxy=\"redis\"} 6\n"), "\(body)")
        #expect(body.contains("sockfuzz_proxy_toxic_connections_total{proxy=\"redis\",toxic=\"latency_downstream\",type=\"latency\"} 1\n"), "\(body)")
        proxy.signal(SIGINT)
        let stopped = await proxy.finish()
        #expect(stopped.status == 0, "\(stopped.output)")
        let json = try #require(stopped.output.range(of: "{").map { String(stopped.output[$0.lowerBound...]) })
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let first = try #require((document["proxies"] as? [[String: Any]])?.first)
        let counters = try #require(first["counters"] as? [String: Any])
        #expect(counters["connections"] as? Int == 1)
        #expect(counters["bytes_upstream"] as? Int == 6)
        #expect(counters["bytes_downstream"] as? Int == 7)
        #expect((counters["toxic_connections"] as? [String: Int])?["latency_downstream"] == 1)
    }

    @Test("a scenario's proxy passes TLS through, sliced into small pieces, to the embedded TLS server; a toxic error names its line and column")
    func tlsThroughTheProxy() async throws {
        let scratch = Scratch()
        let scenario = """
            server start epoll tls
            proxy p
            toxic p slicer average_size=50 size_variation=20 delay=100us
            connect web 2 tls
            send web random 1..32KiB
            expect web echo within 10s
            expect web tls ok
            proxy p stats

            """
        let file = scratch.path + "/tls-proxy.scn"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file, "-v"], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("toxic slicer_downstream: slicer average_size=50"), "\(run.output)")
        let bad = scratch.path + "/bad-toxic.scn"
        try "proxy p\ntoxic p latency latency=5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try await Piped.run(["run", bad], input: "", scratch: scratch, timeout: 60)
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.output.contains("bad-toxic.scn:2:17: latency=5: duration '5' needs a unit"), "\(refused.output)")
    }

    @Test("removing a toxic a proxy does not have, or adding one it has, says which toxic and what the proxy has")
    func toxicNotThere() async throws {
        let scratch = Scratch()
        let file = scratch.path + "/toxics.scn"
        try "proxy p\ntoxic p latency latency=5ms\ntoxic p remove nosuch\n".write(toFile: file, atomically: true, encoding: .utf8)
        let removed = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(removed.status == 1 && removed.output.contains("expected: toxic nosuch removed from proxy p")
                && removed.output.contains("no toxic named nosuch: it has latency_downstream"), "\(removed.output)")
        try "proxy p\ntoxic p latency latency=5ms\ntoxic p latency latency=9ms\n".write(toFile: file, atomically: true, encoding: .utf8)
        let twice = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(twice.status == 1 && twice.output.contains("a toxic named latency_downstream is on it already"), "\(twice.output)")
    }

    @Test("a RESP proxy drops the second SET's reply: the client sees no reply and its retry on a new connection succeeds", .needs(.redisServer))
    func respReplyDropped() async throws {
        let redis = try ReplyTests.startRedis()
        defer { redis.stop() }
        let scratch = Scratch()
        let scenario = #"""
            target \#(redis.address)
            proxy r framing=resp
            toxic r drop nth=2 match="^\+OK"
            connect c 1 framing=resp
            send c "SET a 1\r\n"
            expect c reply "+OK\r\n" within 5s
            send c "SET b 2\r\n"
            expect c no-reply within 300ms
            connect retry 1 framing=resp
            send retry "SET b 2\r\n"
            expect retry reply "+OK\r\n" within 5s
            send retry "GET b\r\n"
            expect retry reply "$1\r\n2\r\n" within 5s
            proxy r stats

            """#
        let file = scratch.path + "/retry.scn"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file, "-v"], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("acted on 1 frames"), "\(run.output)")
    }

    @Test("--record writes what went through as a scenario: it replays against redis-server, fails against an echo server, and seeds the content fuzzer",
          .needs(.redisServer))
    func recordAndReplay() async throws {
        let redis = try ReplyTests.startRedis()
        defer { redis.stop() }
        let redisPath = try RequiredTool.redisServer.requirePath()
        let scratch = Scratch()
        let file = scratch.path + "/session.scn"
        let proxy = try RunningSockfuzz(["proxy", "--listen", "127.0.0.1:0", "--upstream", "\(redis.address)", "--framing", "resp",
                                         "--record", file], scratch: scratch)
        let listen = try await SocketAddress.parse(try address(after: "listening on ", in: proxy))
        #expect(await proxy.waitForOutput(containing: "recording to"), "\(proxy.output)")
        let client = try LoopbackClient(connectingTo: listen)
        try client.send(Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8))
        #expect(try client.receive(exactly: 13, timeout: 20) == Array("+OK\r\n$2\r\nv1\r\n".utf8))
        try client.shutdownWrite()
        #expect(client.receiveToEnd().end == .eof)
        proxy.signal(SIGINT)
        let stopped = await proxy.finish()
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(stopped.output.contains("recorded 1 connection to \(file)"), "\(stopped.output)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains(#"send c1 "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n""#), "\(text)")
        #expect(text.contains(#"expect c1 reply "$2\r\nv1\r\n" within 5s"#), "\(text)")
        #expect(text.contains("halfclose c1"), "\(text)")

        let replay = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(replay.status == 0, "\(replay.output)")
        // Aimed elsewhere it fails: an echo server answers with the requests themselves.
        let echo = try RunningSockfuzz(["serve", "--port", "0"], scratch: scratch)
        let echoAddress = try await address(after: "listening on ", in: echo)
        let wrong = try await Piped.run(["run", file, "--target", echoAddress], input: "", scratch: scratch, timeout: 60)
        echo.signal(SIGTERM)
        _ = await echo.finish()
        #expect(wrong.status == 1, "\(wrong.output)")

        let fuzz = try await Piped.run(["fuzz", "--seed-scenario", file, "--framing", "resp", "--runs", "10", "--seed", "1",
                                  "--spawn", "\(redisPath) --port {port} --bind 127.0.0.1 --save '' --appendonly no",
                                  "--out", scratch.path + "/findings"], input: "", scratch: scratch, timeout: 120)
        #expect(fuzz.status == 0, "\(fuzz.output)")
        #expect(fuzz.output.contains("2 seed requests"), "\(fuzz.output)")
    }

    @Test("bad options are exit 2 naming the option", arguments: [
        (["proxy"], "nothing to do"),
        (["proxy", "--listen", "127.0.0.1:0"], "--listen needs --upstream"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--toxic", "latency latency=100"], "--toxic #1 'latency latency=100': latency=100: duration '100' needs a unit"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--toxic", "gremlins"], "unknown toxic 'gremlins'"),
        (["proxy", "--listen", "256.1.1.1:0", "--upstream", "127.0.0.1:9"], "listen '256.1.1.1:0'"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--toxic", "latency latency=20ms", "--toxic", "latency latency=30ms"],
         "--toxic #2 'latency latency=30ms': a toxic named latency_downstream is given already"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--toxic", "drop nth=2"], "drop acts on whole requests or replies: give --framing"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--mode", "uring"], "--mode uring: the proxy runs on busy, select or epoll"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--framing", "resp", "--toxic", "drop nth=0"],
         "--toxic #1 'drop nth=0': drop nth counts frames from 1"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--framing", "resp", "--toxic", "drop match=[unclosed"],
         "--toxic #1 'drop match=[unclosed': match=\"[unclosed\" is not a regular expression"),
        (["proxy", "--api", "127.0.0.1:0", "--name", "db"], "--name names the --listen proxy"),
        (["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--mask", "id"], "--mask needs --record FILE"),
    ])
    func badOptions(arguments: [String], message: String) async throws {
        let run = try await Piped.run(arguments, input: "", scratch: Scratch(), timeout: 30)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains(message), "\(run.output)")
    }

    @Test("an address in use is exit 2 naming the option, --listen or --api, and nothing says listening first", arguments: ["--listen", "--api"])
    func addressInUse(option: String) async throws {
        let taken = try Sys.socket(family: AF_INET)
        defer { Sys.close(taken) }
        try Sys.bind(taken, SocketAddress.loopback(port: 0))
        try Sys.listen(taken, backlog: 1)
        let address = try Sys.localAddress(taken).description
        let arguments = option == "--listen" ? ["proxy", "--listen", address, "--upstream", "127.0.0.1:9"]
            : ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--api", address]
        let run = try await Piped.run(arguments, input: "", scratch: Scratch(), timeout: 30)
        #expect(run.status == 2 && run.output.contains("\(option) \(address): cannot listen"), "\(run.output)")
        #expect(!run.output.contains("listening on"), "\(run.output)")
    }
}
