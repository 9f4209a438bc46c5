// A live scenario session: the client engine, the server under test, the seed and the default
// deadline. Executes statements one at a time, so a scenario file and the REPL share every rule.
// The first failed expectation stops a statement list. Its parts are types of their own: the
// server slot (ServerSlot), the share (ShareState), what it remembers of reads (ReadState) and
// its proxies (ProxySlots); each statement's work is in the ScenarioSession+*.swift extensions.

import ClientEngine
import EmbeddedServer
import Framing
import Load
import ProcessMonitor
import Reactor
import ScenarioLanguage
import Syscalls
import Vocabulary

/// Why a statement list stopped early.
public enum RunStop: Error, Sendable {
    case failed(RunFailure)
    case interrupted
    /// The scenario cannot run as asked (a `--mode` override its server does not support).
    case skipped(String)
}

public final class ScenarioSession {
    public let configuration: RunConfiguration
    public let engine: ClientEngine
    public let interrupt: InterruptFlag
    public let emit: (RunEvent) -> Void
    /// Runs `fuzz` statements (the fuzzer lives in a module that builds on this one).
    public var fuzzHandler: ((FuzzSpec, ScenarioSession, Statement) throws(RunStop) -> Void)?

    // MARK: parts, each a type of its own

    /// The server the traffic is for (embedded, third-party or spawned) and where connects go.
    var serverSlot: ServerSlot
    /// Which share of the scenario this session runs, and each group's size in the whole run.
    var shares: ShareState
    /// Who ended each connection, which echo check verified it, reported framing errors, captures.
    var reads = ReadState()
    /// The impairment proxies this session started (`proxy NAME ...`), stopped with it.
    var proxies = ProxySlots()

    // MARK: random streams

    public private(set) var seed: UInt64
    var random: SeededRandom
    /// Counts executed statements, so each draws from its own random stream (repeats differ).
    var serial: UInt64 = 0

    // MARK: what `set` statements change

    public var timeoutNanos: UInt64
    public var connectTimeoutNanos: UInt64
    /// `set stall-timeout`: a waiting check fails once nothing moved for this long (nil: off).
    public var stallNanos: UInt64?
    /// The framing of connects written without `framing=` (`set framing`).
    public internal(set) var defaultFraming: Framing?
    /// How replies are shown as they arrive (`set show`); the console starts with `.text`.
    public var replyDisplay: ReplyDisplay = .off

    // MARK: what the session checked and measured

    /// The checks this session made so far (each `expect`, and `fuzz`), for the reports and metrics.
    public internal(set) var checks = CheckCounts()
    /// How many times `emitSkipped` was called, so a check that skipped is told from one that held.
    private var skipCount = 0
    /// The last check of this statement stopped early because nothing moved for this long.
    var stalledFor: UInt64?
    /// What every `load` statement measured, for the reports.
    public internal(set) var loadResults: [LoadResult] = []

    public init(configuration: RunConfiguration, interrupt: InterruptFlag = InterruptFlag(),
                onEvent: @escaping (RunEvent) -> Void = { _ in }) throws(SystemError) {
        self.configuration = configuration
        replyDisplay = configuration.replyDisplay
        self.interrupt = interrupt
        engine = try ClientEngine()
        seed = configuration.seed ?? 1
        random = SeededRandom(seed: seed)
        timeoutNanos = configuration.defaultTimeoutNanos
        connectTimeoutNanos = configuration.connectTimeoutNanos
        serverSlot = ServerSlot(target: configuration.target)
        shares = ShareState(configuration.segment ?? .whole)
        emit = onEvent
        engine.replyObserver = { [unowned self] id, frame in
            emit(.reply(shownReply(id, frame)))
        }
    }

    deinit { close() }

    /// Closes every connection and stops the embedded server and a spawned one.
    public func close() {
        engine.closeAll()
        proxies.stopAll()
        serverSlot.close()
    }

    // MARK: the parts, as the runner, the fuzzer and the console read them

    /// Which share of the scenario this session runs (`--segment`, or the file's `segment`).
    public var segment: ExecutionSegment { shares.segment }
    /// Values captured by `expect ... reply match ... capture=NAME`, for `${NAME}`.
    public var captures: [String: [UInt8]] { reads.captures }

    /// The embedded server, while it runs.
    public var server: EchoServer? { serverSlot.running }
    /// The mode the embedded server runs in now, if one runs.
    public var serverMode: BackendKind? { server?.configuration.mode }
    /// Where connects go: the embedded server's address (kept after `server stop`, so connects
    /// are refused), a third-party or spawned server's, or a proxy's in front of either.
    public var target: SocketAddress? { serverSlot.connectAddress }
    /// The third-party server in use (`--target`, a `target` line or a spawned server, since the
    /// last server start), with its host as written; nil while traffic is for an embedded server.
    public var thirdParty: Target? { serverSlot.thirdParty }
    /// The server under test as a process (`spawn`, `--spawn`), ended with the session.
    public var spawned: ServerProcess? { serverSlot.spawned }
    /// The configuration of the last embedded server this session started (it may be stopped now).
    public var lastServerConfiguration: ServerConfiguration? { serverSlot.lastConfiguration }
    /// The running embedded server's counters, else the last one's as it stopped (the report's).
    public var serverStats: ServerStatsSnapshot? { serverSlot.stats }

    // MARK: executing

    /// Runs `statements` in order; throws at the first failure or on interrupt.
    public func execute(_ statements: [Statement]) throws(RunStop) {
        for statement in statements {
            if interrupt.isSet { throw .interrupted }
            try execute(statement)
        }
    }

    /// Emits `.skipped(message)`, counted: a check that skips checked nothing (never a pass).
    /// Every skip goes through here, not through `emit`, so the count cannot miss one.
    public func emitSkipped(_ message: String) {
        skipCount &+= 1
        emit(.skipped(message))
    }

    public func execute(_ statement: Statement) throws(RunStop) {
        let isCheck = CheckCounts.isCheck(statement.command)
        let skipsBefore = skipCount
        do throws(RunStop) {
            try dispatch(statement)
            // The loop failing under any statement ends that statement (see `EventLoop`'s policy).
            if let failure = engine.loopFailure {
                throw fail(statement, expected: "the client event loop to keep running", seen: failure.description, how: .other)
            }
        } catch {
            if isCheck, case .failed = error { checks.failed += 1 }
            throw error
        }
        if isCheck {
            if skipCount != skipsBefore { checks.skipped += 1 } else { checks.passed += 1 }
        }
    }

    private func dispatch(_ statement: Statement) throws(RunStop) {
        try startConfiguredSpawn(statement)
        serial &+= 1
        stalledFor = nil
        switch statement.command {
        case .seed(let value):
            // --seed replays a reported run: it wins over the file's own seed.
            seed = configuration.seed ?? value
            random = SeededRandom(seed: seed)
            serial = 0
        case .segment(let share):
            // Not traffic: the statements after it draw the random streams they draw without it
            // (or with --segment), so a share's payloads are the whole run's.
            serial &-= 1
            try applySegment(statement, share)
        case .setTimeout(let d):
            timeoutNanos = UInt64(d.nanoseconds)
        case .setStallTimeout(let d):
            stallNanos = d.map { UInt64($0.nanoseconds) }
        case .setConnectTimeout(let d):
            connectTimeoutNanos = UInt64(d.nanoseconds)
        case .setReceiveBuffer(let size):
            engine.receiveBufferSize = size.bytes
        case .setFraming(let framing):
            defaultFraming = framing
        case .setShow(let display):
            replyDisplay = display
        case .print(let text):
            emit(.message(String(decoding: try expand(text, statement), as: UTF8.self)))
        case .sleep(let d):
            engine.drive(forNanos: UInt64(d.nanoseconds), interrupted: { interrupt.isSet })
            if interrupt.isSet { throw .interrupted }
        case .include(_, let body):
            try execute(body)
        case .repeat(let count, let body):
            // Checked every pass: nested blocks of statements that never wait (no I/O to notice
            // a signal in) would otherwise run on through Ctrl-C and SIGTERM.
            for _ in 0..<count {
                if interrupt.isSet { throw .interrupted }
                try execute(body)
            }
        case .serverStart(let options):
            try startServer(options, statement)
        case .serverStop:
            try serverStop(statement)
        case .serverStats:
            if skipServerCommand(statement) { break }
            guard let server else { throw fail(statement, expected: "a running embedded server", seen: "none is running", how: .other) }
            emit(.serverStats(server.stats.snapshot()))
        case .serverMode(let mode):
            var options = ScenarioLanguage.ServerOptions(mode: mode)
            if let current = server?.configuration {
                options.port = current.port == 0 ? nil : current.port
                options.host = current.host
                options.tls = current.tls
            }
            try startServer(options, statement, forceMode: true)
        case .spawn(let command):
            try spawn(statement, command)
        case .target(let host, let port):
            try useTarget(statement, host: host, port: port)
        case .connect(let group, let count, let rate, let timeout, let framing, let tls):
            try connect(statement, group: group, count: count, rate: rate, timeout: timeout, framing: framing ?? defaultFraming,
                        tls: try tlsContext(statement, tls))
        case .send(let selector, let payload):
            try send(statement, selector, payload)
        case .halfclose(let selector):
            try closing(statement, selector, "half-closed by us") { engine.halfClose($0) }
        case .reset(let selector):
            try closing(statement, selector, "reset by us") { engine.reset($0) }
        case .close(let selector):
            try closing(statement, selector, "closed by us") { engine.close($0) }
        case .pause(let selector):
            try forEach(statement, selector) { engine.pauseReading($0) }
        case .resume(let selector):
            try forEach(statement, selector) { engine.resumeReading($0) }
        case .expectEcho(let selector, let within):
            try expectEcho(statement, selector, within)
        case .expectRecv(let selector, let bytes, let within):
            try expectRecv(statement, selector, try expand(bytes, statement), within)
        case .expectMatch(let selector, let pattern, let within):
            try expectMatch(statement, selector, try expandPattern(pattern, statement), within)
        case .expectState(let selector, let state, let within):
            try expectState(statement, selector, state, within)
        case .expectServer(let stat, let comparison, let value, let within):
            try expectServer(statement, stat, comparison, value, within)
        case .expectLatency(let selector, let percentile, let bound, let limit):
            try expectLatency(statement, selector, percentile, bound, limit)
        case .expectConnected(let selector, let comparison, let value, let within):
            try expectConnected(statement, selector, comparison, value, within)
        case .expectSkip(let selector, let size, let within):
            try skip(statement, selector, size.bytes, within)
        case .expectDrain(let selector):
            try drain(statement, selector)
        case .expectReply(let selector, let check, let within):
            try expectReply(statement, selector, check, within)
        case .expectReplies(let selector, let count, let within):
            try expectReplies(statement, selector, count, within)
        case .expectNoReply(let selector, let within):
            try expectNoReply(statement, selector, within)
        case .expectAlive(let probe, let match, let within):
            try expectAlive(statement, probe: probe, match: match, within: within)
        case .expectTLS(let selector, let check, let within):
            try expectTLS(statement, selector, check, within)
        case .load(let selector, let spec):
            try load(statement, selector, spec)
        case .fuzz(let spec):
            if !segment.isWhole {
                throw fail(statement, expected: "a fuzz campaign in an unsegmented run",
                           seen: "share \(segment): split a campaign with `sockfuzz fuzz --segment`, which shares its runs exactly", how: .other)
            }
            guard let fuzzHandler else {
                throw fail(statement, expected: "a fuzzer to run `fuzz`", seen: "this session was started without one", how: .other)
            }
            try fuzzHandler(spec, self, statement)
        case .proxy(let name, let action):
            try proxy(statement, name, action)
        case .toxic(let name, let action):
            try toxic(statement, name, action)
        }
        // The server's loop failing ends the statement that was running when it did.
        if let failure = server?.stats.loopFailure {
            throw fail(statement, expected: "the embedded server to keep serving", seen: failure, how: .other)
        }
    }

    // MARK: failures

    /// The failure of `statement`, of the kind its check decided (`how`).
    public func fail(_ statement: Statement, expected: String, seen: String, how: FailureKind.How) -> RunStop {
        fail(statement, expected: expected, seen: seen, kind: FailureKind(statement.command, how: how))
    }

    /// The failure of `statement` with a kind decided elsewhere (a `fuzz` statement's finding).
    public func fail(_ statement: Statement, expected: String, seen: String, kind: FailureKind) -> RunStop {
        var seen = seen
        if let stalledFor {
            seen += " (stopped early: nothing moved on any connection for \(Format.nanos(stalledFor)), set stall-timeout)"
        }
        if let shed = server?.stats.snapshot().shedOnEMFILE, shed > 0, !seen.contains("(errno 24)") {
            // This process's limit, not the server's behaviour: the peer's EOF a check saw may
            // be the embedded server shedding a connection it had no descriptor for.
            seen += " (out of descriptors: the embedded server shed \(shed) connection\(shed == 1 ? "" : "s") it could not accept, EMFILE (errno 24); the limit is \(Sys.openFileLimit()) open files)"
        }
        let failure = RunFailure(at: statement.location, statement: statement.command.rendered,
                                 expected: expected, seen: seen, seed: seed, kind: kind)
        return .failed(failure)
    }

    /// Drives the loop until `condition` holds or the check's deadline passes, or, with
    /// `set stall-timeout`, until nothing has moved on any connection or in the embedded server
    /// for that long (a stranded read or a stalled server fails then, instead of waiting out the
    /// whole deadline).
    func awaitCheck(_ within: ScenarioDuration?, _ condition: () -> Bool) -> Bool {
        guard let stall = stallNanos else {
            return engine.drive(until: deadline(within), interrupted: { interrupt.isSet }, condition)
        }
        var watch = StallWatch(limitNanos: stall, progress: engine.progress, server: serverSlot.movement(), now: Sys.monotonicNanos())
        var stalled = false
        let held = engine.drive(until: deadline(within), interrupted: { interrupt.isSet || stalled }) {
            if condition() { return true }
            if watch.stalled(progress: engine.progress, server: serverSlot.movement(), now: Sys.monotonicNanos()) { stalled = true }
            return false
        }
        if !held && stalled { stalledFor = stall }
        return held
    }

    func deadline(_ within: ScenarioDuration?) -> UInt64 {
        Sys.monotonicNanos() &+ (within.map { UInt64($0.nanoseconds) } ?? timeoutNanos)
    }
}
