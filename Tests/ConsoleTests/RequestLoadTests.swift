// `sockfuzz load --request` as a user meets it, through the built executable: against
// redis-server started by the test (a correct server passes; a wrong --expect fails and shows
// the reply), against servers that answer garbage or nothing (exit 1, a clear verdict, bounded
// time), and against small line servers with a planted bug each, beside their correct twin.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("sockfuzz load --request", .childSlot, .serialized)
struct RequestLoadTests {
    private func load(_ arguments: [String], scratch: Scratch = Scratch(), timeout: Double = 60) async throws -> PipedRun {
        try await Piped.run(["load"] + arguments, input: "", scratch: scratch, timeout: timeout)
    }

    private func redis() throws -> SpawnedServer {
        let path = try RequiredTool.redisServer.requirePath()
        return try SpawnedServer.start(path, ["--port", "{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                              "--protected-mode", "no"])
    }

    // MARK: redis-server

    @Test("redis answers PING with +PONG on every request: exit 0, closed and open loop", .needs(.redisServer),
          arguments: [["--depth", "16"], ["--rate", "5k/s"]])
    func redisPasses(_ pacing: [String]) async throws {
        let server = try redis()
        defer { server.stop() }
        let run = try await load(["--target", "127.0.0.1:\(server.address.port)", "--request", "PING\\r\\n", "--framing", "resp",
                            "--expect", "^\\+PONG\\r\\n$", "--connections", "8", "--duration", "1s"] + pacing)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("load: PASSED: 8 connection(s), every request answered by a reply matching ^\\+PONG"), "\(run.output)")
        #expect(run.output.contains("resp replies"), "\(run.output)")
    }

    @Test("a wrong --expect fails every reply: exit 1, the first mismatching reply shown", .needs(.redisServer))
    func redisWrongExpect() async throws {
        let server = try redis()
        defer { server.stop() }
        let run = try await load(["--target", "127.0.0.1:\(server.address.port)", "--request", "PING\\r\\n", "--framing", "resp",
                            "--expect", "^\\+PANG", "--connections", "2", "--depth", "2", "--duration", "500ms"])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("load: FAILED: mismatched replies"), "\(run.output)")
        #expect(run.output.contains("request 0 \"PING\\r\\n\" got \"+PONG\\r\\n\" (not matching ^\\+PANG)"), "\(run.output)")
    }

    @Test("a weighted request file mixes SET and GET; the JSON records the check", .needs(.redisServer))
    func redisRequestFile() async throws {
        let server = try redis()
        defer { server.stop() }
        let scratch = Scratch()
        let requests = scratch.path + "/requests.txt"
        let json = scratch.path + "/load.json"
        try "# set once in four, get otherwise\nSET k v\\r\\n\n3*GET k\\r\\n\n".write(toFile: requests, atomically: true, encoding: .utf8)
        let run = try await load(["--target", "127.0.0.1:\(server.address.port)", "--request-file", requests, "--framing", "resp",
                            "--expect", "^(\\+OK|\\$1\\r\\nv|\\$-1)\\r\\n$", "--connections", "4", "--depth", "4", "--duration", "1s",
                            "--json", json], scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("2 requests of"), "\(run.output)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let replies = try #require((record["load"] as? [String: Any])?["replies"] as? [String: Any])
        #expect(replies["framing"] as? String == "resp")
        #expect(replies["mismatched"] as? Int == 0)
        #expect(record["passed"] as? Bool == true)
    }

    /// The `sockfuzz load` command lines of the guide's "## Load" section, split into words
    /// (single quotes group), and its request file.
    static func guideCommands() throws -> (commands: [[String]], requestFile: String, scenario: String) {
        let doc = try String(contentsOfFile: Binary.packageRoot + "/docs/testing-your-own-server.md", encoding: .utf8)
        let section = try #require(doc.components(separatedBy: "\n## Load\n").dropFirst().first).components(separatedBy: "\n## ")[0]
        let commands = section.components(separatedBy: "\n").filter { $0.hasPrefix("sockfuzz load ") }.map { line in
            var words: [String] = []
            var word = ""
            var quoted = false
            for c in line {
                if c == "'" { quoted.toggle() } else if c == " " && !quoted { words.append(word); word = "" } else { word.append(c) }
            }
            return Array((words + [word]).dropFirst(2))
        }
        let requestFile = try #require(section.components(separatedBy: "```text\n").dropFirst().first).components(separatedBy: "```")[0]
        let scenario = try #require(section.components(separatedBy: "when `framing=` is left out:\n\n```\n").dropFirst().first)
            .components(separatedBy: "```")[0]
        return (commands, requestFile, scenario)
    }

    @Test("the guide's load commands pass against redis-server as written", .needs(.redisServer))
    func guide() async throws {
        let server = try redis()
        defer { server.stop() }
        let scratch = Scratch()
        let (commands, requestFile, scenario) = try Self.guideCommands()
        #expect(commands.count == 2)
        try requestFile.write(toFile: scratch.path + "/requests.txt", atomically: true, encoding: .utf8)
        for command in commands {
            let words = command.map { $0 == "$REDIS_ADDR" ? "127.0.0.1:\(server.address.port)" : $0 == "requests.txt" ? scratch.path + "/requests.txt" : $0 }
            let run = try await load(words, scratch: scratch)
            #expect(run.status == 0, "\(words)\n\(run.output)")
        }
        let file = scratch.path + "/load.scn"
        try ("target 127.0.0.1:\(server.address.port)\n" + scenario).write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await Piped.run(["run", file], input: "", scratch: scratch, timeout: 60)
        #expect(run.status == 0, "\(scenario)\n\(run.output)")
    }

    // MARK: servers that misbehave

    /// `PING\r\n` framed as RESP against `behaviour`, which must end in exit 1 within 20 s.
    private func pingFails(_ behaviour: Misbehaviour, connections: Int = 3, duration: String = "1s") async throws -> String {
        let server = try MisbehavingServer(behaviour)
        defer { server.stop() }
        let started = nowNanos()
        let run = try await load(["--target", server.address, "--request", "PING\\r\\n", "--framing", "resp",
                            "--connections", String(connections), "--duration", duration])
        #expect(elapsedSeconds(since: started) < 20, "ran \(elapsedSeconds(since: started)) s for a \(duration) load")
        #expect(run.status == 1, "\(run.output)")
        return run.output
    }

    @Test("a server answering garbage that never ends a frame: exit 1, unanswered, the bytes shown, bounded")
    func garbage() async throws {
        let output = try await pingFails(.garbage)
        #expect(output.contains("unanswered 3"), "\(output)")
        #expect(output.contains("6 byte(s) of an incomplete resp reply received: \"######\""), "\(output)")
    }

    @Test("a server answering in another protocol: exit 1 on a located framing error, at once, not after 30 s")
    func wrongProtocol() async throws {
        let output = try await pingFails(.httpError, duration: "30s")
        #expect(output.contains("framing errors 3"), "\(output)")
        #expect(output.contains("cannot be framed as resp: at stream offset 0: unknown RESP type byte H"), "\(output)")
    }

    @Test("a server answering nothing: exit 1, unanswered, within the duration and the bounded drain")
    func silent() async throws {
        let output = try await pingFails(.silent)
        #expect(output.contains("unanswered 3 (no reply at the end of the drain; first: connection 0: request 0 \"PING\\r\\n\" (sent): no reply)"),
                "\(output)")
    }

    @Test("a server that closes at once: exit 1 with the connection errors")
    func closes() async throws {
        let output = try await pingFails(.closesAtOnce, connections: 2)
        #expect(output.contains("load: FAILED") && output.contains("connection errors 2"), "\(output)")
    }

    // MARK: planted bugs in a line server, beside the correct twin

    @Test("a line server that answers one request wrongly is caught; its twin passes",
          arguments: [Misbehaviour.lineReplies(plantedWrongReply: 500), .lineReplies(plantedWrongReply: nil)])
    func plantedWrongReply(_ behaviour: Misbehaviour) async throws {
        let server = try MisbehavingServer(behaviour)
        defer { server.stop() }
        let run = try await load(["--target", server.address, "--request", "GET x\\n", "--framing", "line", "--expect", "^OK\\r\\n$",
                            "--connections", "1", "--depth", "4", "--duration", "1s"])
        if behaviour == .lineReplies(plantedWrongReply: nil) {
            #expect(run.status == 0, "\(run.output)")
        } else {
            #expect(run.status == 1, "\(run.output)")
            #expect(run.output.contains("mismatched replies 1; first: connection 0: request 500 \"GET x\\n\" got \"ERR planted\\r\\n\""),
                    "\(run.output)")
        }
    }

    @Test("a line server taking one read as one request loses replies under pipelining; its twin passes",
          arguments: [Misbehaviour.oneReplyPerRead, .lineReplies(plantedWrongReply: nil)])
    func oneReplyPerRead(_ behaviour: Misbehaviour) async throws {
        let server = try MisbehavingServer(behaviour)
        defer { server.stop() }
        let run = try await load(["--target", server.address, "--request", "GET x\\n", "--framing", "line", "--expect", "^OK",
                            "--connections", "2", "--depth", "8", "--duration", "1s"])
        if behaviour == .oneReplyPerRead {
            #expect(run.status == 1, "\(run.output)")
            #expect(run.output.contains("load: FAILED: unanswered"), "\(run.output)")
        } else {
            #expect(run.status == 0, "\(run.output)")
        }
    }

    @Test("an HTTP/1.1 server that answers one pipelined request with 500 is caught through the http1 decoder; its twin passes",
          arguments: [Misbehaviour.httpPipeline(wrongAt: 300), .httpPipeline(wrongAt: nil)])
    func httpPipeline(_ behaviour: Misbehaviour) async throws {
        let server = try MisbehavingServer(behaviour)
        defer { server.stop() }
        let run = try await load(["--target", server.address, "--request", "GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", "--framing", "http1",
                            "--expect", "^HTTP/1\\.1 200 ", "--connections", "1", "--depth", "8", "--duration", "1s"])
        if behaviour == .httpPipeline(wrongAt: nil) {
            #expect(run.status == 0, "\(run.output)")
        } else {
            #expect(run.status == 1, "\(run.output)")
            #expect(run.output.contains("mismatched replies 1; first: connection 0: request 299 \"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\" got \"HTTP/1.1 500 Internal Server Error"),
                    "\(run.output)")
        }
    }

    // MARK: usage

    @Test("request options that cannot run are usage errors (exit 2)",
          arguments: [["--request", "PING\\r\\n"], ["--request", "PING\\r\\n", "--framing", "raw"],
                      ["--request", "PING\\r\\n", "--framing", "resp", "--expect", "(unclosed"],
                      ["--request", "PING\\r\\n", "--framing", "resp", "--size", "10"],
                      ["--request", "\\q", "--framing", "resp"], ["--framing", "resp"]])
    func usage(_ arguments: [String]) async throws {
        let run = try await load(["--target", "127.0.0.1:9"] + arguments)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("Usage: sockfuzz load"), "\(run.output)")
    }
}
