// The plain syntax tree the parser produces and the runner executes: a program is a list of
// located statements, one per command; `repeat` and `include` nest statements.

import Framing

public struct Program: Sendable, Equatable {
    public var statements: [Statement]

    public init(statements: [Statement]) { self.statements = statements }
}

public struct Statement: Sendable, Equatable {
    public var command: Command
    /// Where the command's first word is (for `include`d statements, in the included file).
    public var location: SourceLocation

    public init(command: Command, location: SourceLocation) {
        self.command = command
        self.location = location
    }
}

/// One case per command of the language (see docs/scenario-language.md and `CommandTable`).
public indirect enum Command: Sendable, Equatable {
    case seed(UInt64)
    /// `segment i/n`: this run is share i of n of the scenario (see docs/distributed.md).
    case segment(ExecutionSegment)
    case setTimeout(ScenarioDuration)
    case setConnectTimeout(ScenarioDuration)
    /// A check that waits fails early once nothing has moved on any connection for this long
    /// (nil: checks wait out their whole deadline).
    case setStallTimeout(ScenarioDuration?)
    /// SO_RCVBUF of sockets connected from now on: a small window makes slow readers push back.
    case setReceiveBuffer(ByteSize)
    /// The framing of groups connected from now on without `framing=` (nil: none, bytes only).
    case setFraming(Framing?)
    /// How replies are shown as they arrive (the console; `sockfuzz run -v`).
    case setShow(ReplyDisplay)
    /// The text, with `${name}` references filled in when it runs.
    case print(ByteTemplate)
    case sleep(ScenarioDuration)
    /// `path` as written; `body` is the included file, parsed, its statements located in that file.
    case include(path: String, body: [Statement])
    case `repeat`(count: Int, body: [Statement])

    case serverStart(ServerOptions)
    case serverStop
    case serverStats
    case serverMode(ServerMode)
    /// A third-party server instead of the embedded one. `host` has no brackets (`::1`).
    case target(host: String, port: Int)
    /// The server under test as a process: the shell command, `{port}` standing for a free
    /// loopback port; later connects go to it (as after `target`), and it is ended with the run.
    case spawn(command: String)

    /// `framing` nil: the `set framing` default, if any, applies when the command runs.
    /// `tls` nil: clear (unless the run says `--tls`).
    case connect(group: String, count: Int, rate: Rate?, timeout: ScenarioDuration?, framing: Framing? = nil, tls: ClientTLS? = nil)
    case send(Selector, SendPayload)
    case halfclose(Selector)
    case reset(Selector)
    case close(Selector)
    case pause(Selector)
    case resume(Selector)

    case expectEcho(Selector, within: ScenarioDuration?)
    /// `bytes` may hold `${name}` references, filled in when it runs.
    case expectRecv(Selector, bytes: ByteTemplate, within: ScenarioDuration?)
    /// `pattern` is the regex source, already validated with NSRegularExpression; a `${name}` in
    /// it matches the value literally, filled in when it runs.
    case expectMatch(Selector, pattern: String, within: ScenarioDuration?)
    case expectState(Selector, ConnectionState, within: ScenarioDuration?)
    case expectServer(ServerStat, Comparison, Int, within: ScenarioDuration?)
    case expectLatency(Selector, Percentile, LatencyBound, ScenarioDuration)
    case expectConnected(Selector, Comparison, Int, within: ScenarioDuration?)
    /// Waits until SIZE more bytes arrived after the read cursor and moves it past them.
    case expectSkip(Selector, ByteSize, within: ScenarioDuration?)
    /// Moves the read cursor past everything received so far (no wait; always holds).
    case expectDrain(Selector)
    /// The next whole frame on each connection equals, or matches, what is given; consumes it.
    case expectReply(Selector, ReplyCheck, within: ScenarioDuration?)
    /// N more whole frames arrived on each connection; consumes them.
    case expectReplies(Selector, Int, within: ScenarioDuration?)
    /// Nothing arrived after the read cursor on each connection (no whole reply, no byte of
    /// one): at once, or all through `within`.
    case expectNoReply(Selector, within: ScenarioDuration?)
    /// How each connection's TLS handshake ended, its version or its ALPN protocol.
    case expectTLS(Selector, TLSCheck, within: ScenarioDuration?)
    /// A fresh connection to the target gets an answer to `probe` (one whole reply in the
    /// session's framing, matching `match` when given; without a probe, being accepted is
    /// enough); a spawned server must still run.
    case expectAlive(probe: [UInt8]?, match: String?, within: ScenarioDuration?)

    case load(Selector, LoadSpec)
    case fuzz(FuzzSpec)

    /// The impairment proxy NAME: started (later connects go through it), off, on, stopped, its counters.
    case proxy(name: String, ProxyAction)
    /// A toxic added to, or removed from, the proxy NAME.
    case toxic(proxy: String, ToxicAction)
}

public enum ProxyAction: Sendable, Equatable {
    /// `listen` nil: a free loopback port; `upstream` nil: where connects go now; `framing`:
    /// what the frame-aware toxics cut the streams into.
    case start(listen: String?, upstream: String?, mode: ServerMode?, framing: Framing? = nil)
    case off, on, stop, stats
}

public enum ToxicAction: Sendable, Equatable {
    case add(Toxic)
    case remove(name: String)
}

/// What `send` writes.
public enum SendPayload: Sendable, Equatable {
    /// `send web "text"`: the decoded bytes of the string.
    case text([UInt8])
    /// `send web "GET ${path} ..."`: a string with `${name}` references, filled in when it runs.
    case template(ByteTemplate)
    /// `send web hex "48 65"`: kept apart from `.text` so rendering keeps the author's form.
    case hex([UInt8])
    /// `send web file PATH`: the path as written; resolve it with `ScenarioPaths.resolve(_:relativeTo:)`
    /// against the statement's `location.file`, like `include` does.
    case file(String)
    /// Random bytes: a total size drawn from `sizes`, written in a number of chunks drawn from
    /// `chunks` with a pause drawn from `gaps` between chunks (nil = option not given).
    case random(sizes: ClosedRange<ByteSize>, chunks: ClosedRange<Int>?, gaps: ClosedRange<ScenarioDuration>?)
    /// `send web "..." chunks=3 gap=10ms`: literal bytes (text, hex or a file) written in a
    /// number of pieces drawn from `chunks`, with a pause drawn from `gaps` between them. Still
    /// one send: with a framing, one request, timed from when its last piece went out.
    indirect case pieces(SendPayload, chunks: ClosedRange<Int>, gaps: ClosedRange<ScenarioDuration>?)
}

/// What `expect SEL reply` checks the next frame against.
public enum ReplyCheck: Sendable, Equatable {
    /// Exactly these bytes (the whole frame, terminator and headers included).
    case bytes(ByteTemplate)
    /// A regex (verbatim source) found in the frame; `capture` names its first group (or the
    /// whole match when it has none) for `${name}` in later strings.
    case match(pattern: String, capture: String?)
}

/// `set show text|hex|off`: replies shown as text with escapes (hex dump when binary), always
/// as a hex dump, or not at all.
public enum ReplyDisplay: String, Sendable, Equatable, CaseIterable {
    case text, hex, off
}

/// `server start MODE [tls [cert=FILE key=FILE]] [port=N] [host=ADDR] [edge] [fault=NAME] [limit=N] [queue=SIZE]`; nil = not given.
public struct ServerOptions: Sendable, Equatable {
    public var mode: ServerMode
    /// 0...65535; 0 asks for an ephemeral port.
    public var port: Int?
    public var host: String?
    /// Edge-triggered epoll; the parser only accepts it with mode epoll.
    public var edgeTriggered: Bool
    /// A known fault; the parser rejects unknown names and faults the mode cannot have.
    public var fault: ServerFault?
    /// Maximum simultaneous connections; over it the server refuses (`refused_over_limit`).
    public var limit: Int?
    /// Per-connection queue limit: past it the server stops reading that connection.
    public var queue: ByteSize?
    /// Serve TLS (nil: clear text), from the PEM files `cert=` and `key=` (paths as written,
    /// relative to the scenario file) or, without them, a self-signed certificate made in memory.
    public var tls: ServerTLS?

    public init(mode: ServerMode, port: Int? = nil, host: String? = nil, edgeTriggered: Bool = false,
                fault: ServerFault? = nil, limit: Int? = nil, queue: ByteSize? = nil, tls: ServerTLS? = nil) {
        self.mode = mode
        self.port = port
        self.host = host
        self.edgeTriggered = edgeTriggered
        self.fault = fault
        self.limit = limit
        self.queue = queue
        self.tls = tls
    }
}

/// `load SEL size=SIZE (depth=N | rate=R/s) duration=D [warmup=D]`, or with
/// `request="..." framing=F [expect="regex"]` instead of `size=`: request/response load.
public struct LoadSpec: Sendable, Equatable {
    /// Echo load: the message size. Request load: the request's size.
    public var size: ByteSize
    public var pacing: LoadPacing
    public var duration: ScenarioDuration
    public var warmup: ScenarioDuration?
    public var requests: LoadRequests?

    public init(size: ByteSize, pacing: LoadPacing, duration: ScenarioDuration, warmup: ScenarioDuration? = nil,
                requests: LoadRequests? = nil) {
        self.size = size
        self.pacing = pacing
        self.duration = duration
        self.warmup = warmup
        self.requests = requests
    }
}

/// What a request/response `load` sends and how it checks each reply.
public struct LoadRequests: Sendable, Equatable {
    public var request: [UInt8]
    /// nil: the framing of the connections' group (`connect ... framing=`, `set framing`).
    public var framing: Framing?
    /// An NSRegularExpression every reply (the whole frame) must match; nil: any well-framed reply.
    public var expect: String?

    public init(request: [UInt8], framing: Framing?, expect: String?) {
        self.request = request
        self.framing = framing
        self.expect = expect
    }
}

/// `fuzz [runs=N] [connections=N] [duration=D] [seed=N] [request=... framing=F [mask=...]]`;
/// nil = runner's default.
public struct FuzzSpec: Sendable, Equatable {
    public var runs: Int?
    public var connections: Int?
    public var duration: ScenarioDuration?
    public var seed: UInt64?
    /// The request/response oracle's requests; nil: the echo (or liveness) oracle.
    public var requests: FuzzRequests?
    /// `oracle=content`: the requests are seeds whose content is mutated (`sockfuzz fuzz`'s
    /// default); nil: their cuts are (`oracle=replies`, the statement's default).
    public var content: FuzzContent?

    public init(runs: Int? = nil, connections: Int? = nil, duration: ScenarioDuration? = nil, seed: UInt64? = nil,
                requests: FuzzRequests? = nil, content: FuzzContent? = nil) {
        self.runs = runs
        self.connections = connections
        self.duration = duration
        self.seed = seed
        self.requests = requests
        self.content = content
    }
}

/// `oracle=content [spawn="CMD {port}"] [hang-timeout=D]`: content fuzzing of the requests.
public struct FuzzContent: Sendable, Equatable {
    /// The server under test as a process, started and restarted by the campaign.
    public var spawn: String?
    public var hangTimeout: ScenarioDuration?

    public init(spawn: String? = nil, hangTimeout: ScenarioDuration? = nil) {
        self.spawn = spawn
        self.hangTimeout = hangTimeout
    }
}

/// `request="..."` or `request-file=FILE` (read when the statement runs, relative to the
/// scenario's directory), `framing=F`, and `mask="regex"` for parts of a reply that may differ.
public struct FuzzRequests: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case bytes([UInt8])
        case file(String)
    }

    public var source: Source
    public var framing: Framing
    public var mask: String?

    public init(_ source: Source, framing: Framing, mask: String? = nil) {
        self.source = source
        self.framing = framing
        self.mask = mask
    }
}

extension ServerOptions {
    /// The server these options describe, in `mode` (the file's, or a `--mode` override).
    public func configuration(mode: ServerMode? = nil) -> ServerConfiguration {
        ServerConfiguration(mode: mode ?? self.mode, host: host ?? "127.0.0.1", port: port ?? 0,
                            edgeTriggered: edgeTriggered, queueLimit: queue?.bytes ?? 1 << 20,
                            maxConnections: limit, fault: fault, tls: tls)
    }
}
