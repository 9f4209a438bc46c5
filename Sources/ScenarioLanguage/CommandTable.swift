// The single table of every command form: syntax, summary, example, keywords and options, and
// what each form is to the code that runs it (see `CommandSpec`). The parser takes each
// command's options from it, as the REPL's help and tab completion do; a test keeps
// docs/scenario-language.md in sync with it.

import Framing
import Vocabulary

public enum CommandTable {
    static let comparisons = Comparison.allCases.map(\.rawValue)

    public static let all: [CommandSpec] = [
        spec("seed", "seed", "seed N",
             "Seeds the random generator behind random payloads and fuzzing, for reproducible runs.",
             "seed 42"),
        spec("segment", "segment", "segment I/N",
             "Runs share I of N of this scenario (I from 0 to N-1): its part of every group's connections and rates; once, before any connect.",
             "segment 1/4"),
        spec("set timeout", "set timeout", "set timeout DURATION",
             "Sets the default deadline of expects written without `within`.",
             "set timeout 2s"),
        spec("set connect-timeout", "set connect-timeout", "set connect-timeout DURATION",
             "Sets the default deadline of connects written without `timeout=`.",
             "set connect-timeout 500ms"),
        spec("set stall-timeout", "set stall-timeout", "set stall-timeout DURATION|off",
             "Makes a waiting check fail early once nothing has moved on any connection or in the embedded server (accepts, bytes, closes) for DURATION, instead of waiting out its deadline.",
             "set stall-timeout 500ms"),
        spec("set rcvbuf", "set rcvbuf", "set rcvbuf SIZE",
             "Sets the receive buffer (SO_RCVBUF) of connections opened from now on, so a paused reader pushes back on the server soon.",
             "set rcvbuf 64KiB"),
        spec("set framing", "set framing", "set framing FRAMING",
             "Sets the framing of groups connected from now on without `framing=`; `none` clears it.",
             "set framing resp",
             keywords: Framing.typedNames + ["none"]),
        spec("set show", "set show", "set show text|hex|off",
             "Sets how replies are shown as they arrive: text with escapes (a hex dump when binary), always hex, or not at all.",
             "set show hex",
             keywords: ReplyDisplay.allCases.map(\.rawValue)),
        spec("print", "print", "print \"text\"",
             "Writes a line to the run log.",
             "print \"phase 2: slow readers\""),
        spec("sleep", "sleep", "sleep DURATION",
             "Waits; connections keep being served while the script sleeps.",
             "sleep 250ms"),
        spec("include", "include", "include PATH",
             "Inlines another scenario file; a relative PATH is relative to the including file's directory.",
             "include common/setup.scn", kind: .block),
        spec("repeat", "repeat", "repeat N {",
             "Runs the lines up to the matching `}` (alone on its line) N times; blocks nest, up to 100 deep.",
             "repeat 3 {\n    send web \"ping\\n\"\n    expect web echo\n}", kind: .block),
        spec("server start", "server start",
             "server start MODE [tls [cert=FILE key=FILE]] [port=N] [host=ADDR] [edge] [fault=NAME] [limit=N] [queue=SIZE]",
             "Starts the embedded echo server with the busy, select, epoll or uring (io_uring) backend; `tls` serves TLS 1.2/1.3 (not uring) "
                + "with a self-signed certificate for localhost made in memory, or the PEM files `cert=` and `key=` "
                + "(relative to the scenario file).",
             "server start epoll port=7000 edge limit=1000",
             keywords: ServerMode.allCases.map(\.rawValue),
             options: ["port=", "host=", "edge", "fault=", "limit=", "queue=", "tls", "cert=", "key="], isServerCommand: true),
        spec("server stop", "server stop", "server stop",
             "Stops the embedded server, closing its connections.",
             "server stop", isServerCommand: true),
        spec("server stats", "server stats", "server stats",
             "Writes the embedded server's counters to the run log.",
             "server stats", isServerCommand: true),
        spec("server mode", "server mode", "server mode MODE",
             "Restarts the embedded server with another backend (busy, select, epoll or uring).",
             "server mode select",
             keywords: ServerMode.allCases.map(\.rawValue), isServerCommand: true),
        spec("target", "target", "target HOST:PORT",
             "Points later connects at a third-party server instead of the embedded one.",
             "target [::1]:8080", isServerCommand: true),
        spec("spawn", "spawn", "spawn \"COMMAND {port}\"",
             "Starts the server under test as a process (its own process group, `{port}` a free loopback port) and points later connects at it; it is ended with the run, and `expect target alive` names how it died.",
             "spawn \"./myserver --port {port}\""),
        spec("connect", "connect", "connect GROUP N [rate=R/s] [timeout=DURATION] [framing=FRAMING]",
             "Opens N connections and adds them to GROUP (created on first use), optionally paced.",
             "connect web 100 rate=500/s timeout=1s framing=http1",
             options: ["rate=", "timeout=", "framing="], failsAs: .connect),
        spec("connect tls", "connect",
             "connect GROUP N tls [sni=NAME] [alpn=P,Q] [verify=on|off] [ca=FILE] [version=1.2|1.3] [rate=R/s] [timeout=DURATION] [framing=FRAMING]",
             "Opens N TLS connections (TLS 1.2 or 1.3); the handshake counts as part of the connect (its timeout, its bound on connects in flight). "
                + "The certificate is not verified unless `verify=on` (the system's roots) or `ca=FILE` (a PEM file, relative to the scenario file); "
                + "the name sent (SNI) and checked is `sni=`, else the target's host as written (`target localhost:8443`: `localhost`); "
                + "an IP address sends no SNI and is checked against the certificate's IP entries.",
             "connect web 10 tls sni=localhost alpn=h2,http/1.1 version=1.3",
             options: ["tls", "sni=", "alpn=", "verify=", "ca=", "version=", "rate=", "timeout=", "framing="], failsAs: .connect),
        spec("send", "send", "send SEL \"text\" [chunks=COUNT-RANGE] [gap=DURATION-RANGE]",
             "Sends the bytes of a string to every selected connection; chunks= writes them in that many pieces, gap= apart (still one send: one request, timed from its last piece).",
             "send web[0] \"GET / HTTP/1.0\\r\\n\\r\\n\"",
             options: ["chunks=", "gap="], failsAs: .send),
        spec("send hex", "send", "send SEL hex \"HEX\" [chunks=COUNT-RANGE] [gap=DURATION-RANGE]",
             "Sends bytes written as hex digits; blanks between digits are ignored.",
             "send web hex \"48 65 6c 6c 6f\"",
             keywords: ["hex"], options: ["chunks=", "gap="], failsAs: .send),
        spec("send file", "send", "send SEL file PATH [chunks=COUNT-RANGE] [gap=DURATION-RANGE]",
             "Sends a file's contents; a relative PATH is relative to the scenario file's directory.",
             "send web file payloads/request.bin",
             keywords: ["file"], options: ["chunks=", "gap="], failsAs: .send),
        spec("send random", "send", "send SEL random SIZE-RANGE [chunks=COUNT-RANGE] [gap=DURATION-RANGE]",
             "Sends random bytes of a size drawn from the range, split into chunks with gaps between them.",
             "send web random 1..8KiB chunks=1..4 gap=0..10ms",
             keywords: ["random"], options: ["chunks=", "gap="], failsAs: .send),
        spec("halfclose", "halfclose", "halfclose SEL",
             "Shuts down the sending side (FIN; over TLS, close_notify first) and keeps reading.",
             "halfclose web[0..9]"),
        spec("reset", "reset", "reset SEL",
             "Closes abruptly with a reset (RST; over TLS, without close_notify).",
             "reset web[3]"),
        spec("close", "close", "close SEL",
             "Closes in an orderly way (FIN, then close; over TLS, close_notify first).",
             "close *"),
        spec("pause", "pause", "pause SEL",
             "Stops reading, to play a slow reader and let buffers fill.",
             "pause web[0]"),
        spec("resume", "resume", "resume SEL",
             "Starts reading again after `pause`.",
             "resume web[0]"),
        check("expect echo", "expect SEL echo [within DURATION]",
              "Waits until each connection got back everything it has sent.",
              "expect web echo within 1s",
              keywords: ["echo", "within"], failsAs: .echo, reads: .echo),
        check("expect recv", "expect SEL recv \"bytes\" [within DURATION]",
              "Waits until exactly these bytes arrive next on each connection.",
              "expect web[0] recv \"HTTP/1.0 200\" within 2s",
              keywords: ["recv", "within"], failsAs: .recv, reads: .inbox),
        check("expect match", "expect SEL match \"regex\" [within DURATION]",
              "Waits until what arrives next matches the regular expression (taken verbatim).",
              "expect web[0] match \"^HTTP/1\\.[01] 200\" within 2s",
              keywords: ["match", "within"], failsAs: .match, reads: .inbox),
        check("expect state", "expect SEL eof|reset|open|refused|closed|truncated [within DURATION]",
              "Waits until each connection is in the given state. Over TLS, `eof` needs the peer's close_notify; "
                 + "`truncated` is the peer closing without it.",
              "expect web[3] reset within 500ms",
              keywords: ConnectionState.allCases.map(\.rawValue) + ["within"], failsAs: .state),
        check("expect server", "expect server STAT OP NUMBER [within DURATION]",
              "Waits until an embedded-server counter compares as given.",
              "expect server accepted == 100 within 2s",
              keywords: ["server"] + ServerStat.allCases.map(\.rawValue) + comparisons + ["within"], failsAs: .server, isServerCommand: true),
        check("expect latency", "expect SEL PCTL OP DURATION",
              "Checks a latency percentile of the selected connections' round trips (OP is < or <=).",
              "expect web p99 < 5ms",
              keywords: Percentile.allCases.map(\.rawValue) + LatencyBound.allCases.map(\.rawValue), failsAs: .latency),
        check("expect connected", "expect SEL connected OP N [within DURATION]",
              "Waits until the number of open connections among the selected ones compares as given.",
              "expect web connected == 100",
              keywords: ["connected"] + comparisons + ["within"], failsAs: .connected),
        check("expect skip", "expect SEL skip SIZE [within DURATION]",
              "Waits until SIZE more bytes arrived on each connection and moves its read cursor past them, unchecked.",
              "expect web[0] skip 12 within 1s",
              keywords: ["skip", "within"], failsAs: .skip, reads: .inbox),
        check("expect drain", "expect SEL drain",
              "Moves each connection's read cursor past everything received so far, without waiting; holds unless what came cannot be framed.",
              "expect web drain",
              keywords: ["drain"], failsAs: .skip, reads: .inbox),
        check("expect reply", "expect SEL reply \"bytes\" [within DURATION]",
              "Waits for the next whole reply (frame) on each connection and checks it equals these bytes.",
              "expect web[0] reply \"+PONG\\r\\n\" within 2s",
              keywords: ["reply", "within"], failsAs: .reply, reads: .replies(consumes: true)),
        check("expect reply match", "expect SEL reply match \"regex\" [capture=NAME] [within DURATION]",
              "Waits for the next whole reply on each connection and checks the regular expression matches it.",
              "expect web[0] reply match \"Location: (\\S+)\" capture=loc within 2s",
              keywords: ["reply", "match", "within"], options: ["capture="], failsAs: .reply, reads: .replies(consumes: true)),
        check("expect replies", "expect SEL replies N [within DURATION]",
              "Waits until N more whole replies arrived on each connection, and consumes them unchecked.",
              "expect web replies 3 within 2s",
              keywords: ["replies", "within"], failsAs: .reply, reads: .replies(consumes: true)),
        check("expect no-reply", "expect SEL no-reply [within DURATION]",
              "Checks that nothing more arrived on each connection after the replies read: no whole reply, no byte of one; with within, all through DURATION.",
              "expect web no-reply within 100ms",
              keywords: ["no-reply", "within"], failsAs: .reply, reads: .replies(consumes: false)),
        check("expect tls", "expect SEL tls ok|failed [within DURATION]",
              "Waits until each connection's TLS handshake completed (ok) or failed; a failure says OpenSSL's reason.",
              "expect web tls ok within 2s",
              keywords: ["tls", "ok", "failed", "within"], failsAs: .tls),
        check("expect tls-version", "expect SEL tls-version OP 1.2|1.3 [within DURATION]",
              "Waits for each connection's handshake and checks the negotiated TLS version.",
              "expect web tls-version == 1.3",
              keywords: ["tls-version"] + comparisons + ClientTLS.Version.allCases.map(\.rawValue) + ["within"], failsAs: .tls),
        check("expect alpn", "expect SEL alpn \"NAME\" [within DURATION]",
              "Waits for each connection's handshake and checks the protocol the server picked by ALPN.",
              "expect web alpn \"h2\"",
              keywords: ["alpn", "within"], failsAs: .tls),
        check("expect target alive", "expect target alive [probe=\"bytes\"] [match=\"regex\"] [within DURATION]",
              "Checks the server still serves: a fresh connection is accepted and, with `probe=`, gets one whole reply (in the `set framing` framing) matching `match=`; a spawned server must still run. Fails as a crash (it ended, or refuses or drops the connection) or a hang (no answer in time).",
              "expect target alive probe=\"PING\\r\\n\" within 1s",
              keywords: ["target", "alive", "within"], options: ["probe=", "match="], failsAs: .liveness),
        spec("load", "load", "load SEL size=SIZE (depth=N | rate=R/s) duration=DURATION [warmup=DURATION]",
             "Runs echo round trips of SIZE bytes, closed-loop (depth) or open-loop (rate), recording latency.",
             "load web size=64 depth=4 duration=10s warmup=1s",
             options: ["size=", "depth=", "rate=", "duration=", "warmup="], failsAs: .load),
        spec("load request", "load", "load SEL request=\"...\" [framing=F] [expect=\"REGEX\"] (depth=N | rate=R/s) duration=DURATION [warmup=DURATION]",
             "Sends the request over and over to any request/response server; every reply is framed (line, resp, http1, delimiter:, length:) and must match REGEX; fails on any wrong or missing reply.",
             "load web request=\"PING\\r\\n\" framing=resp expect=\"^\\+PONG\" depth=16 duration=10s",
             options: ["request=", "framing=", "expect=", "depth=", "rate=", "duration=", "warmup="], failsAs: .load),
        campaign("fuzz", "fuzz [runs=N] [connections=N] [duration=DURATION] [seed=N]",
                 "Runs generated scenarios against the server, shrinking any failure to a minimal script.",
                 "fuzz runs=100 connections=8 duration=30s seed=7",
                 options: ["runs=", "connections=", "duration=", "seed="]),
        campaign("fuzz request",
                 "fuzz [runs=N] [connections=N] [duration=DURATION] [seed=N] (request=\"...\" | request-file=FILE) framing=F [mask=\"REGEX\"]",
                 "Fuzzes a request/response server: every reply must be the reply its request got alone on a fresh connection, however the requests were cut, paced, pipelined or interleaved.",
                 "fuzz runs=20 request=\"GET k\\n\" framing=line seed=1",
                 options: ["runs=", "connections=", "duration=", "seed=", "request=", "request-file=", "framing=", "mask=", "oracle="]),
        campaign("fuzz content",
                 "fuzz [runs=N] [duration=DURATION] [seed=N] (request=\"...\" | request-file=FILE) framing=F oracle=content [spawn=\"CMD {port}\"] [hang-timeout=DURATION]",
                 "Mutates what the requests say and finds the one that crashes, hangs or desynchronises the server.",
                 "fuzz request-file=reqs.txt framing=resp oracle=content spawn=\"./myserver --port {port}\" duration=1m",
                 options: ["runs=", "duration=", "seed=", "request=", "request-file=", "framing=", "oracle=", "spawn=", "hang-timeout="]),
        spec("proxy", "proxy", "proxy NAME [listen=HOST:PORT] [upstream=HOST:PORT] [mode=MODE] [framing=FRAMING]",
             "Starts the impairment proxy NAME in front of `upstream=` (default: where connects go now), listening on `listen=` "
                + "(default: a free loopback port); later connects go through it. See docs/proxy.md.",
             "proxy db upstream=127.0.0.1:6379 framing=resp",
             options: ["listen=", "upstream=", "mode=", "framing="]),
        spec("proxy off", "proxy", "proxy NAME off|on|stop|stats",
             "`off` drops the proxy's connections and refuses new ones, `on` accepts again, `stop` ends it, `stats` writes its counters.",
             "proxy db off",
             keywords: ["off", "on", "stop", "stats"]),
        spec("toxic", "toxic", "toxic NAME KIND [ATTRIBUTE=VALUE ...] [upstream|downstream] [toxicity=P] [name=TOXIC]",
             "Adds a toxic to the proxy NAME (toxiproxy's kinds and attribute names, values with units): "
                + ToxicType.allCases.map(\.rawValue).joined(separator: ", ") + ".",
             "toxic db latency latency=100ms jitter=10ms",
             keywords: ToxicType.allCases.map(\.rawValue) + ToxicStream.allCases.map(\.rawValue),
             options: ["toxicity=", "name=", "match=", "reply="]),
        spec("toxic remove", "toxic", "toxic NAME remove TOXIC",
             "Removes the toxic named TOXIC (by default KIND_STREAM, like latency_downstream) from the proxy NAME.",
             "toxic db remove latency_downstream",
             keywords: ["remove"]),
    ]

    /// The form with this unique name.
    public static func spec(named name: String) -> CommandSpec? { byName[name] }

    static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The distinct first words of all commands, for completing the start of a line.
    public static var commandWords: [String] {
        var seen: Set<String> = []
        return all.compactMap { spec in
            let word = String(spec.command.split(separator: " ")[0])
            return seen.insert(word).inserted ? word : nil
        }
    }

    private static func spec(_ name: String, _ command: String, _ syntax: String, _ summary: String, _ example: String,
                             keywords: [String] = [], options: [String] = [], kind: CommandSpec.Kind = .action,
                             failsAs: CommandSpec.CheckFamily = .command, reads: CommandSpec.Reading = .nothing,
                             isServerCommand: Bool = false) -> CommandSpec {
        CommandSpec(name: name, command: command, syntax: syntax, summary: summary, example: example, keywords: keywords,
                    options: options, kind: kind, failsAs: failsAs, reads: reads, isServerCommand: isServerCommand)
    }

    /// A `fuzz` form: one check, a campaign of many runs, whose echo oracle reads the echo books.
    private static func campaign(_ name: String, _ syntax: String, _ summary: String, _ example: String,
                                 options: [String]) -> CommandSpec {
        spec(name, "fuzz", syntax, summary, example, options: options, kind: .campaign, failsAs: .fuzz, reads: .echo)
    }

    /// An `expect` form: a check.
    private static func check(_ name: String, _ syntax: String, _ summary: String, _ example: String,
                              keywords: [String] = [], options: [String] = [], failsAs: CommandSpec.CheckFamily,
                              reads: CommandSpec.Reading = .nothing, isServerCommand: Bool = false) -> CommandSpec {
        spec(name, "expect", syntax, summary, example, keywords: keywords, options: options, kind: .expectation,
             failsAs: failsAs, reads: reads, isServerCommand: isServerCommand)
    }
}

extension Command {
    /// The `CommandTable` form this command is an instance of (for help on a parsed line).
    public var specName: String {
        switch self {
        case .seed: return "seed"
        case .segment: return "segment"
        case .setTimeout: return "set timeout"
        case .setConnectTimeout: return "set connect-timeout"
        case .setStallTimeout: return "set stall-timeout"
        case .setReceiveBuffer: return "set rcvbuf"
        case .setFraming: return "set framing"
        case .setShow: return "set show"
        case .print: return "print"
        case .sleep: return "sleep"
        case .include: return "include"
        case .repeat: return "repeat"
        case .serverStart: return "server start"
        case .serverStop: return "server stop"
        case .serverStats: return "server stats"
        case .serverMode: return "server mode"
        case .target: return "target"
        case .spawn: return "spawn"
        case .connect(_, _, _, _, _, let tls): return tls == nil ? "connect" : "connect tls"
        case .send(_, let payload):
            func form(_ payload: SendPayload) -> String {
                switch payload {
                case .text, .template: return "send"
                case .hex: return "send hex"
                case .file: return "send file"
                case .random: return "send random"
                case .pieces(let literal, _, _): return form(literal)
                }
            }
            return form(payload)
        case .halfclose: return "halfclose"
        case .reset: return "reset"
        case .close: return "close"
        case .pause: return "pause"
        case .resume: return "resume"
        case .expectEcho: return "expect echo"
        case .expectRecv: return "expect recv"
        case .expectMatch: return "expect match"
        case .expectState: return "expect state"
        case .expectServer: return "expect server"
        case .expectLatency: return "expect latency"
        case .expectConnected: return "expect connected"
        case .expectSkip: return "expect skip"
        case .expectDrain: return "expect drain"
        case .expectReply(_, .bytes, _): return "expect reply"
        case .expectReply(_, .match, _): return "expect reply match"
        case .expectReplies: return "expect replies"
        case .expectNoReply: return "expect no-reply"
        case .expectTLS(_, .handshake, _): return "expect tls"
        case .expectTLS(_, .version, _): return "expect tls-version"
        case .expectTLS(_, .alpn, _): return "expect alpn"
        case .expectAlive: return "expect target alive"
        case .load(_, let spec): return spec.requests == nil ? "load" : "load request"
        case .fuzz(let spec): return spec.content != nil ? "fuzz content" : spec.requests == nil ? "fuzz" : "fuzz request"
        case .proxy(_, .start): return "proxy"
        case .proxy: return "proxy off"
        case .toxic(_, .add): return "toxic"
        case .toxic(_, .remove): return "toxic remove"
        }
    }
}
