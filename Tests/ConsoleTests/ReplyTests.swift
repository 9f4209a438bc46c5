// Replies through the executable, as a user meets them: the console piped at redis shows each
// reply and checks it; a scenario checks an nginx keep-alive pipeline reply by reply, and fails
// at the wrong reply of a server that answers one request wrongly (its twin passes); framing
// errors, captures and `${ENV}` in `target`.

import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Replies through the executable", .childSlot, .serialized)
struct ReplyTests {
    static let pipeline = """
        # Three GETs pipelined on one keep-alive connection, each reply's status line checked in order.
        connect web 1 framing=http1
        send web "GET /a.txt HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n"
        send web "GET /b.txt HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n"
        send web "GET /c.txt HTTP/1.1\\r\\nHost: test\\r\\n\\r\\n"
        expect web reply match "^HTTP/1\\.1 200 " within 5s
        expect web reply match "^HTTP/1\\.1 200 " within 5s
        expect web reply match "^HTTP/1\\.1 200 " within 5s
        expect web open
        expect web p99 < 5s

        """

    /// redis-server on a free loopback port, persisting nothing.
    static func startRedis() throws -> SpawnedServer {
        try SpawnedServer.start(try RequiredTool.redisServer.requirePath(),
                                ["--port", "{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
    }

    /// The console, piped, at a fresh redis-server with `connect r 1 framing=resp` done.
    private func consoleAtRedis(_ lines: String) async throws -> PipedRun {
        let redis = try Self.startRedis()
        defer { redis.stop() }
        return try await Piped.run([], input: "target \(redis.address)\nconnect r 1 framing=resp\n" + lines, scratch: Scratch())
    }

    private func scenario(_ text: String, in scratch: Scratch) throws -> String {
        let file = scratch.path + "/replies-\(UInt32.random(in: 0...UInt32.max)).scn"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("the console piped at redis shows each reply and checks it", .needs(.redisServer))
    func redisConsole() async throws {
        let run = try await consoleAtRedis("""
            send r "PING\\r\\n"
            expect r reply "+PONG\\r\\n"
            send r "SET greeting hello\\r\\n"
            expect r reply "+OK\\r\\n"
            send r "GET greeting\\r\\n"
            expect r reply match "^\\$5\\r\\n(\\w+)" capture=word
            send r "ECHO ${word}\\r\\n"
            expect r reply "$5\\r\\nhello\\r\\n"
            expect r p99 < 5s
            status

            """)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains(#"r[0] reply: "+PONG\r\n""#), "\(run.output)")
        #expect(run.output.contains(#"r[0] reply: "$5\r\nhello\r\n""#), "\(run.output)")
        #expect(run.output.contains("framing resp: 4 replies"), "\(run.output)")
    }

    @Test("a reply that differs fails with the frame seen, shown as text", .needs(.redisServer))
    func redisWrongReply() async throws {
        let run = try await consoleAtRedis("""
            send r "GET missing-key\\r\\n"
            expect r reply "+PONG\\r\\n"

            """)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains(#"expected: the next reply on r to be "+PONG\r\n""#), "\(run.output)")
        #expect(run.output.contains(#"r[0]: reply 1 at stream offset 0: "$-1\r\n""#), "\(run.output)")
    }

    @Test("a scenario checks an nginx keep-alive pipeline reply by reply", .needs(.nginx))
    func nginxPipeline() async throws {
        let nginx = try NginxServer(executable: try RequiredTool.nginx.requirePath(),
                                    files: ["a.txt": "first\n", "b.txt": "second\n", "c.txt": "third\n"])
        defer { nginx.stop() }
        let scratch = Scratch()
        let file = try scenario(Self.pipeline, in: scratch)
        let run = try await Piped.run(["run", file, "--target", nginx.address, "-v"], input: "", scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("PASSED"), "\(run.output)")
    }

    @Test("a server answering the second pipelined request wrongly fails at that reply; its twin passes")
    func wrongSecondReply() async throws {
        let scratch = Scratch()
        let file = try scenario(Self.pipeline, in: scratch)
        let twin = try MisbehavingServer(.httpPipeline(wrongAt: nil))
        defer { twin.stop() }
        let good = try await Piped.run(["run", file, "--target", twin.address], input: "", scratch: scratch)
        #expect(good.status == 0, "\(good.output)")

        let wrong = try MisbehavingServer(.httpPipeline(wrongAt: 2))
        defer { wrong.stop() }
        let bad = try await Piped.run(["run", file, "--target", wrong.address], input: "", scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("\(file):7:1: expect web reply match"), "\(bad.output)")
        #expect(bad.output.contains(#"web[0]: reply 2 at stream offset "#), "\(bad.output)")
        #expect(bad.output.contains(#""HTTP/1.1 500 Internal Server Error\r\nContent-Length: 11\r\n\r\nresponse 2\n""#), "\(bad.output)")
    }

    @Test("a framing error fails the next check with the error and its stream offset; a well-framed twin passes")
    func framingError() async throws {
        let scratch = Scratch()
        let text = """
            connect r 1 framing=resp
            send r "PING\\r\\n"
            expect r reply "PING\\r\\n" within 5s

            """
        let file = try scenario(text, in: scratch)
        // `H` (of `HTTP/1.1 400`) starts no RESP reply.
        let http = try MisbehavingServer(.httpError)
        defer { http.stop() }
        let bad = try await Piped.run(["run", file, "--target", http.address], input: "", scratch: scratch)
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("r[0]: resp framing error at stream offset 0:"), "\(bad.output)")

        // An echo server's reply to a RESP inline command is that command: well framed (a `+`-less
        // line is not RESP, so the twin speaks line framing instead).
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let twin = try await Piped.run(["run", try scenario(text.replacingOccurrences(of: "framing=resp", with: "framing=line"), in: scratch),
                                  "--target", echo.address], input: "", scratch: scratch)
        #expect(twin.status == 0, "\(twin.output)")
    }

    @Test("${NAME} in target and strings comes from the environment; an unknown name is an error at check time")
    func environment() async throws {
        let scratch = Scratch()
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        setenv("SOCKFUZZ_TEST_TARGET", echo.address, 1)
        setenv("SOCKFUZZ_TEST_WORD", "fromenv", 1)
        defer { unsetenv("SOCKFUZZ_TEST_TARGET"); unsetenv("SOCKFUZZ_TEST_WORD") }
        let ok = try await Piped.run(["run", try scenario("""
            target ${SOCKFUZZ_TEST_TARGET}
            connect c 1 framing=line
            send c "${SOCKFUZZ_TEST_WORD}\\n"
            expect c reply "fromenv\\n" within 5s

            """, in: scratch)], input: "", scratch: scratch)
        #expect(ok.status == 0, "\(ok.output)")

        let file = try scenario("connect c 1 framing=line\nsend c \"a ${SOCKFUZZ_TEST_UNSET}\\n\"\n", in: scratch)
        let unknown = try await Piped.run(["run", file], input: "", scratch: scratch)
        #expect(unknown.status == 2, "\(unknown.output)")
        #expect(unknown.output.contains("\(file):2:11: unknown name '${SOCKFUZZ_TEST_UNSET}'"), "\(unknown.output)")
    }

    @Test("each reply completes the oldest request: a late reply fails a latency bound it should, a generous bound holds")
    func requestReplyLatency() async throws {
        let scratch = Scratch()
        // The reply is the echo plus a `!` sent 300 ms later: a frame cut at `!` arrives late.
        let late = try MisbehavingServer(.lateByte(delayMillis: 300))
        defer { late.stop() }
        let base = """
            connect c 1 framing=delimiter:!
            send c "x"
            expect c reply "x!" within 5s

            """
        let slow = try await Piped.run(["run", try scenario(base + "expect c p99 < 100ms\n", in: scratch), "--target", late.address],
                                 input: "", scratch: scratch)
        #expect(slow.status == 1, "\(slow.output)")
        #expect(slow.output.contains("over 1 round trips"), "\(slow.output)")
        let generous = try await Piped.run(["run", try scenario(base + "expect c p99 < 5s\n", in: scratch), "--target", late.address],
                                     input: "", scratch: scratch)
        #expect(generous.status == 0, "\(generous.output)")

        // Three pipelined requests, three replies: three round trips, answered in order.
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let pipelined = try await Piped.run(["run", try scenario("""
            connect c 1 framing=line
            send c "one\\n"
            send c "two\\n"
            send c "three\\n"
            expect c replies 2 within 5s
            expect c reply "three\\n" within 5s
            expect c p99 < 100ms

            """, in: scratch), "--target", echo.address, "-v"], input: "", scratch: scratch)
        #expect(pipelined.status == 0, "\(pipelined.output)")
        #expect(pipelined.output.contains("over 3 round trips"), "\(pipelined.output)")
    }

    @Test("replies N fails when fewer whole replies come, naming how many did")
    func tooFewReplies() async throws {
        let scratch = Scratch()
        let server = try MisbehavingServer(.httpPipeline(wrongAt: nil))
        defer { server.stop() }
        let text = """
            connect web 1 framing=http1
            send web "GET / HTTP/1.1\\r\\n\\r\\n"
            send web "GET / HTTP/1.1\\r\\n\\r\\n"
            expect web replies N within 1s

            """
        let two = try await Piped.run(["run", try scenario(text.replacingOccurrences(of: "replies N", with: "replies 2"), in: scratch),
                                 "--target", server.address], input: "", scratch: scratch)
        #expect(two.status == 0, "\(two.output)")
        let three = try await Piped.run(["run", try scenario(text.replacingOccurrences(of: "replies N", with: "replies 3"), in: scratch),
                                   "--target", server.address], input: "", scratch: scratch)
        #expect(three.status == 1, "\(three.output)")
        #expect(three.output.contains("seen:     web[0]: 2 whole replies"), "\(three.output)")
    }

    @Test("set show hex prints replies as a hex dump; set show off prints none")
    func showModes() async throws {
        let scratch = Scratch()
        let echo = try MisbehavingServer(.echo)
        defer { echo.stop() }
        let run = try await Piped.run([], input: """
            target \(echo.address)
            connect c 1 framing=line
            set show hex
            send c "hex me\\n"
            expect c replies 1
            set show off
            send c "quiet\\n"
            expect c reply "quiet\\n"

            """, scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("c[0] reply (7 bytes):\n00000000  68 65 78 20 6d 65 0a"), "\(run.output)")
        #expect(!run.output.contains("quiet\\n\""), "\(run.output)")
    }
}
