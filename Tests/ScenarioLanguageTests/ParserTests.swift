// Parser tests, one or more per command: each source line parses to the expected Command.
// Group `web` (10 connections) is connected first by the `command(_:)` helper.

import Testing
@testable import ScenarioLanguage

@Suite("Parser: every command")
struct ParserTests {
    @Test("seed takes decimal or 0x hex up to 2^64-1")
    func seed() {
        #expect(command("seed 42") == .seed(42))
        #expect(command("seed 0xff") == .seed(255))
        #expect(command("seed 18446744073709551615") == .seed(.max))
    }

    @Test("set timeout and set connect-timeout take durations")
    func settings() {
        #expect(command("set timeout 2s") == .setTimeout(.seconds(2)))
        #expect(command("set connect-timeout 1.5s") == .setConnectTimeout(.milliseconds(1500)))
        #expect(command("set rcvbuf 64KiB") == .setReceiveBuffer(ByteSize(bytes: 65536)))
    }

    @Test("print decodes its string")
    func print() {
        #expect(command(#"print "hello\tworld""#) == .print("hello\tworld"))
        #expect(command(#"print "héllo""#) == .print("héllo"))
    }

    @Test("sleep takes every duration unit")
    func sleep() {
        #expect(command("sleep 250ms") == .sleep(.milliseconds(250)))
        #expect(command("sleep 10us") == .sleep(.microseconds(10)))
        #expect(command("sleep 7ns") == .sleep(ScenarioDuration(nanoseconds: 7)))
        #expect(command("sleep 1m") == .sleep(.seconds(60)))
        #expect(command("sleep 1h") == .sleep(.seconds(3600)))
        #expect(command("sleep 0") == .sleep(.zero))
    }

    @Test("repeat holds its body; blocks nest")
    func repeatBlocks() throws {
        let program = try parse("""
            connect web 2
            repeat 3 {
                send web "x"
                repeat 2 {
                    sleep 1ms
                }
            }
            """)
        #expect(program.statements.count == 2)
        guard case .repeat(let count, let body) = program.statements[1].command else {
            Issue.record("not a repeat")
            return
        }
        #expect(count == 3)
        #expect(body.map(\.location.line) == [3, 4])
        #expect(body[1].command == .repeat(count: 2, body: [Statement(command: .sleep(.milliseconds(1)),
                                                                      location: .init(file: "test.scn", line: 5, column: 9))]))
        #expect(program.statements[1].location == .init(file: "test.scn", line: 2, column: 1))
    }

    @Test("server start takes a mode and options in any order")
    func serverStart() {
        #expect(command("server start busy") == .serverStart(ServerOptions(mode: .busy)))
        #expect(command("server start epoll limit=10k fault=stall-slow-reader edge host=::1 port=7000") ==
            .serverStart(ServerOptions(mode: .epoll, port: 7000, host: "::1", edgeTriggered: true,
                                       fault: .stallSlowReader, limit: 10_000)))
        #expect(command("server start select port=0") == .serverStart(ServerOptions(mode: .select, port: 0)))
        #expect(command("server start epoll queue=16MiB") == .serverStart(ServerOptions(mode: .epoll, queue: ByteSize(bytes: 16 << 20))))
    }

    @Test("server start tls: self-signed, or cert= and key= files as written")
    func serverStartTLS() {
        #expect(command("server start select tls") == .serverStart(ServerOptions(mode: .select, tls: ServerTLS())))
        let files = ServerOptions(mode: .epoll, edgeTriggered: true, tls: ServerTLS(certificatePath: "certs/server.pem", keyPath: "/etc/key.pem"))
        #expect(command("server start epoll key=/etc/key.pem edge tls cert=certs/server.pem") == .serverStart(files))
        #expect(files.configuration().tls == ServerTLS(certificatePath: "certs/server.pem", keyPath: "/etc/key.pem"))
        #expect(ServerOptions(mode: .epoll).configuration().tls == nil)
    }

    @Test("server stop, stats and mode")
    func serverOthers() {
        #expect(command("server stop") == .serverStop)
        #expect(command("server stats") == .serverStats)
        #expect(command("server mode select") == .serverMode(.select))
    }

    @Test("target takes HOST:PORT, with brackets for IPv6")
    func target() {
        #expect(command("target 127.0.0.1:8080") == .target(host: "127.0.0.1", port: 8080))
        #expect(command("target example.test:80") == .target(host: "example.test", port: 80))
        #expect(command("target [::1]:9") == .target(host: "::1", port: 9))
    }

    @Test("connect takes a group, a count with suffixes, rate and timeout")
    func connect() {
        #expect(command("connect db 2") == .connect(group: "db", count: 2, rate: nil, timeout: nil))
        #expect(command("connect db-2_x 10k rate=5000/s timeout=1s") ==
            .connect(group: "db-2_x", count: 10_000, rate: .perSecond(5000), timeout: .seconds(1)))
        #expect(command("connect db 2M rate=10/ms") ==
            .connect(group: "db", count: 2_000_000, rate: Rate(count: 10, per: .milliseconds(1)), timeout: nil))
        #expect(command("connect db 1 rate=3/10s") ==
            .connect(group: "db", count: 1, rate: Rate(count: 3, per: .seconds(10)), timeout: nil))
    }

    @Test("send text, hex, file and random payloads")
    func send() {
        #expect(command(#"send web "hi\r\n""#) == .send(.group("web"), .text(Array("hi\r\n".utf8))))
        #expect(command(#"send web[3] hex "48 65 6C""#) == .send(.member("web", index: 3), .hex([0x48, 0x65, 0x6C])))
        #expect(command("send web[0..9] file data/req.bin") == .send(.range("web", indices: 0...9), .file("data/req.bin")))
        #expect(command(#"send * file "my file.bin""#) == .send(.all, .file("my file.bin")))
        #expect(command("send web random 1..8KiB chunks=1..4 gap=0..10ms") ==
            .send(.group("web"), .random(sizes: ByteSize(bytes: 1)...ByteSize(bytes: 8192), chunks: 1...4,
                                         gaps: ScenarioDuration.zero...ScenarioDuration.milliseconds(10))))
        #expect(command("send web random 64") ==
            .send(.group("web"), .random(sizes: ByteSize(bytes: 64)...ByteSize(bytes: 64), chunks: nil, gaps: nil)))
        #expect(command("send web random 10KB..1MiB chunks=3") ==
            .send(.group("web"), .random(sizes: ByteSize(bytes: 10_000)...ByteSize(bytes: 1 << 20), chunks: 3...3, gaps: nil)))
    }

    @Test("connection commands take a selector", arguments: ["halfclose", "reset", "close", "pause", "resume"])
    func selectorCommands(name: String) {
        let expected: [Selector] = [.group("web"), .member("web", index: 9), .range("web", indices: 2...5), .all]
        for (text, selector) in zip(["web", "web[9]", "web[2..5]", "*"], expected) {
            let parsed = command("\(name) \(text)")
            let wanted: Command
            switch name {
            case "halfclose": wanted = .halfclose(selector)
            case "reset": wanted = .reset(selector)
            case "close": wanted = .close(selector)
            case "pause": wanted = .pause(selector)
            default: wanted = .resume(selector)
            }
            #expect(parsed == wanted)
        }
    }

    @Test("expect echo, recv and match with optional within")
    func expectData() {
        #expect(command("expect web echo") == .expectEcho(.group("web"), within: nil))
        #expect(command("expect web echo within 1s") == .expectEcho(.group("web"), within: .seconds(1)))
        #expect(command(#"expect web[1] recv "ok\n" within 2s"#) ==
            .expectRecv(.member("web", index: 1), bytes: "ok\n", within: .seconds(2)))
        #expect(command(#"expect web match "^HTTP/1\.[01] \d+\r\n""#) ==
            .expectMatch(.group("web"), pattern: #"^HTTP/1\.[01] \d+\r\n"#, within: nil))
        #expect(command(#"expect web match "say \"hi\"" within 5ms"#) ==
            .expectMatch(.group("web"), pattern: #"say \"hi\""#, within: .milliseconds(5)))
    }

    @Test("expect connection states", arguments: ConnectionState.allCases)
    func expectState(state: ConnectionState) {
        #expect(command("expect web \(state.rawValue)") == .expectState(.group("web"), state, within: nil))
        #expect(command("expect * \(state.rawValue) within 3s") == .expectState(.all, state, within: .seconds(3)))
    }

    @Test("expect server takes every stat and comparison")
    func expectServer() {
        for stat in ServerStat.allCases {
            for op in Comparison.allCases {
                #expect(command("expect server \(stat.rawValue) \(op.rawValue) 5") == .expectServer(stat, op, 5, within: nil))
            }
        }
        #expect(command("expect server bytes_in >= 1MiB within 2s") ==
            .expectServer(.bytesIn, .greaterOrEqual, 1 << 20, within: .seconds(2)))
        #expect(command("expect server accepted == 10k") == .expectServer(.accepted, .equal, 10_000, within: nil))
    }

    @Test("expect latency takes a percentile, < or <=, and a duration")
    func expectLatency() {
        for p in Percentile.allCases {
            #expect(command("expect web \(p.rawValue) < 5ms") == .expectLatency(.group("web"), p, .less, .milliseconds(5)))
        }
        #expect(command("expect web[0..4] p999 <= 1.5ms") ==
            .expectLatency(.range("web", indices: 0...4), .p999, .lessOrEqual, .microseconds(1500)))
    }

    @Test("expect connected compares a count")
    func expectConnected() {
        #expect(command("expect web connected == 10") == .expectConnected(.group("web"), .equal, 10, within: nil))
        #expect(command("expect * connected > 0 within 1s") == .expectConnected(.all, .greater, 0, within: .seconds(1)))
    }

    @Test("load takes size, depth or rate, duration and warmup in any order")
    func load() {
        #expect(command("load web size=64 depth=4 duration=10s warmup=1s") ==
            .load(.group("web"), LoadSpec(size: 64, pacing: .depth(4), duration: .seconds(10), warmup: .seconds(1))))
        #expect(command("load web[0] duration=2s rate=1k/s size=4KiB") ==
            .load(.member("web", index: 0), LoadSpec(size: 4096, pacing: .rate(.perSecond(1000)), duration: .seconds(2))))
    }

    @Test("fuzz options are all optional")
    func fuzz() {
        #expect(command("fuzz") == .fuzz(FuzzSpec()))
        #expect(command("fuzz runs=100 connections=8 duration=30s seed=7") ==
            .fuzz(FuzzSpec(runs: 100, connections: 8, duration: .seconds(30), seed: 7)))
    }

    @Test("comments, blank lines and indentation are ignored; locations point at the command")
    func layout() throws {
        let program = try parse("""
            # a scenario

              connect web 1   # trailing comment
            \tsend web "x"
            """)
        #expect(program.statements.map(\.location.line) == [3, 4])
        #expect(program.statements.map(\.location.column) == [3, 2])
    }

    @Test("CRLF sources parse like LF sources")
    func crlf() throws {
        #expect(try parse("connect web 1\r\nsend web \"x\"\r\n") == parse("connect web 1\nsend web \"x\"\n"))
    }
}

@Suite("Values")
struct ValueTests {
    let here = ScenarioLanguage.SourceLocation(file: "t", line: 1, column: 1)

    @Test("durations are exact nanoseconds", arguments: [
        ("250ms", 250_000_000), ("2s", 2_000_000_000), ("1.5s", 1_500_000_000), ("10us", 10_000),
        ("1m", 60_000_000_000), ("0.001ms", 1_000), ("1.25h", 4_500_000_000_000), ("0", 0), ("0.0s", 0),
    ] as [(String, Int64)])
    func durations(text: String, nanoseconds: Int64) throws {
        #expect(try NumberParsing.duration(Substring(text), at: here).nanoseconds == nanoseconds)
    }

    @Test("sizes use binary and decimal units", arguments: [
        ("64", 64), ("4KiB", 4096), ("1MiB", 1 << 20), ("10KB", 10_000), ("1GiB", 1 << 30), ("2MB", 2_000_000),
        ("1.5KiB", 1536), ("7B", 7),
    ])
    func sizes(text: String, bytes: Int) throws {
        #expect(try NumberParsing.size(Substring(text), at: here).bytes == bytes)
    }

    @Test("counts take k, M and G", arguments: [("200", 200), ("10k", 10_000), ("2M", 2_000_000), ("1.5k", 1500), ("3G", 3_000_000_000)])
    func counts(text: String, value: Int) throws {
        #expect(try NumberParsing.count(Substring(text), at: here) == value)
    }

    @Test("durations convert to seconds and Swift.Duration")
    func durationConversions() {
        let d = ScenarioDuration(nanoseconds: 1_500_000_000)
        #expect(d.seconds == 1.5)
        #expect(d.duration == .milliseconds(1500))
        #expect(ScenarioDuration(.milliseconds(1500)) == d)
        #expect(Rate.perSecond(5000).perSecond == 5000)
        #expect(Rate(count: 10, per: .milliseconds(1)).perSecond == 10_000)
        #expect(Rate.perSecond(4).interval == .milliseconds(250))
    }

    @Test("rendering picks the largest exact unit")
    func renderUnits() {
        #expect(ScenarioDuration.milliseconds(1500).description == "1500ms")
        #expect(ScenarioDuration.seconds(120).description == "2m")
        #expect(ScenarioDuration(nanoseconds: 1001).description == "1001ns")
        #expect(ByteSize(bytes: 8192).description == "8KiB")
        #expect(ByteSize(bytes: 10_000).description == "10000")
        #expect(Rate(count: 3, per: .seconds(10)).description == "3/10s")
        #expect(Selector.range("web", indices: 0...9).description == "web[0..9]")
    }

    @Test("paths resolve against the including file's directory")
    func paths() {
        #expect(ScenarioPaths.resolve("b.scn", relativeTo: "dir/a.scn") == "dir/b.scn")
        #expect(ScenarioPaths.resolve("../b.scn", relativeTo: "dir/sub/a.scn") == "dir/b.scn")
        #expect(ScenarioPaths.resolve("/abs/b.scn", relativeTo: "dir/a.scn") == "/abs/b.scn")
        #expect(ScenarioPaths.resolve("b.scn", relativeTo: "<repl>") == "b.scn")
        #expect(ScenarioPaths.resolve("./x/../b.scn", relativeTo: "/r/a.scn") == "/r/b.scn")
        #expect(ScenarioPaths.normalize("../../a") == "../../a")
        #expect(ScenarioPaths.normalize("/../a") == "/a")
    }
}

@Suite("set stall-timeout")
struct StallTimeoutParsingTests {
    @Test("a duration or off; zero is an error")
    func parses() throws {
        #expect(try ScenarioParser.parse(source: "set stall-timeout 500ms", file: "t.scn").statements.first?.command
                == .setStallTimeout(.milliseconds(500)))
        #expect(try ScenarioParser.parse(source: "set stall-timeout off", file: "t.scn").statements.first?.command
                == .setStallTimeout(nil))
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse(source: "set stall-timeout 0", file: "t.scn") }
        #expect(Command.setStallTimeout(.milliseconds(500)).rendered == "set stall-timeout 500ms")
    }
}
