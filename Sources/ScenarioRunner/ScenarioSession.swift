// A live scenario session: the client engine, the embedded server (or a third-party target),
// the seed and the default deadline. Executes statements one at a time, so a scenario file
// and the REPL share every rule. The first failed expectation stops a statement list.

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
    public private(set) var server: EchoServer?
    /// Where connects go: the embedded server's address (kept after `server stop`, so connects
    /// are refused), or a third-party server's.
    public internal(set) var target: SocketAddress?
    /// The third-party server in use (`--target`, or a `target` line since the last server
    /// start), with its host as written (the name TLS sends and checks, as a replayed finding
    /// must too); nil while connects go to an embedded server's address.
    public private(set) var thirdParty: Target?
    public private(set) var seed: UInt64
    var random: SeededRandom
    /// Counts executed statements, so each draws from its own random stream (repeats differ).
    var serial: UInt64 = 0
    public var timeoutNanos: UInt64
    public var connectTimeoutNanos: UInt64
    /// `set stall-timeout`: a waiting check fails once nothing moved for this long (nil: off).
    public var stallNanos: UInt64?
    /// The last check of this statement stopped early because nothing moved for this long.
    var stalledFor: UInt64?
    public let emit: (RunEvent) -> Void
    /// The checks this session made so far (each `expect`, and `fuzz`), for the reports and metrics.
    public internal(set) var checks = CheckCounts()
    /// How many times `emitSkipped` was called, so a check that skipped is told from one that held.
    private var skipCount = 0
    /// Runs `fuzz` statements (the fuzzer lives in a module that builds on this one).
    public var fuzzHandler: ((FuzzSpec, ScenarioSession, Statement) throws(RunStop) -> Void)?
    /// What every `load` statement measured, for the reports.
    public internal(set) var loadResults: [LoadResult] = []
    /// Every embedded server this session started, for the final report's counters.
    public private(set) var lastServerStats: ServerStatsSnapshot?
    /// The configuration of the last embedded server this session started (it may be stopped
    /// now): what the report names, mode and fault, instead of a default that never ran.
    public private(set) var lastServerConfiguration: ServerConfiguration?
    /// Where each connection we closed, reset or half-closed was told so (for `send` failures).
    var closedAt: [Int: (verb: String, at: SourceLocation)] = [:]
    /// The `expect echo` that last verified each connection: bytes arriving after it are extra.
    var echoVerifiedBy: [Int: Statement] = [:]
    /// The framing of connects written without `framing=` (`set framing`).
    public internal(set) var defaultFraming: Framing?
    /// How replies are shown as they arrive (`set show`); the console starts with `.text`.
    public var replyDisplay: ReplyDisplay = .off
    /// Values captured by `expect ... reply match ... capture=NAME`, for `${NAME}`.
    public internal(set) var captures: [String: [UInt8]] = [:]
    /// Connections whose framing error has failed a check already.
    var framingErrorReported: Set<Int> = []
    /// Which share of the scenario this session runs (`--segment`, or the file's `segment`).
    public internal(set) var segment: ExecutionSegment
    /// Each group's size in the whole (unsegmented) run: the global index of its next connection.
    var wholeGroupSizes: [String: Int] = [:]
    /// The server under test as a process (`spawn`, `--spawn`), ended with the session.
    public internal(set) var spawned: ServerProcess?
    /// `--spawn`'s server was started (or failed to): once per session.
    var spawnTried = false
    /// The impairment proxies this session started (`proxy NAME ...`), stopped with it.
    var proxies = ProxySlots()

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
        target = configuration.target?.address
        thirdParty = configuration.target
        segment = configuration.segment ?? .whole
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
        stopServer()
        spawned?.stop()
    }

    /// The mode the embedded server runs in now, if one runs.
    public var serverMode: BackendKind? { server?.configuration.mode }

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
    func emitSkipped(_ message: String) {
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
        let at = statement.location
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
            if skipServerCommand(statement) { break }
            guard server != nil, let address = target else {
                emit(.info("server stop: no embedded server is running"))
                break
            }
            let dropped = stopServer()
            // The address stays the target: later connects are refused, which a scenario can expect.
            emit(.info("server stopped" + (Self.dropped(dropped).map { "; \($0)" } ?? "")
                       + "; later connects to \(address) are refused"))
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
            // Port 0: a `${NAME}` the environment lacks, kept as written (see CheckLimits.targetsReplaced).
            let written = port == 0 ? host : "\(host):\(port)"
            if let given = configuration.spawn {
                emit(.info("\(at): target \(written) ignored: --spawn '\(given)' wins"))
                break
            }
            if configuration.target != nil {
                emitSkipped("\(at): target \(written) ignored: --target \(configuration.target!) wins")
                break
            }
            let address: SocketAddress
            do {
                address = try SocketAddress.resolve(host: host, port: port)
            } catch {
                throw fail(statement, expected: "a resolvable target", seen: error.description, how: .other)
            }
            // A third-party server replaces the embedded one: stop it, so `expect server` cannot
            // read the counters of a server that no longer gets the traffic.
            let mode = serverMode
            let dropped = stopServer()
            target = address
            thirdParty = Target(address, host: host)
            // A name says what it resolved to: TLS sends and checks the name, connects go to the address.
            var line = host == address.host ? "target \(address)" : "target \(thirdParty!) (\(address))"
            if let mode { line += "; the embedded \(mode.rawValue) server stopped" }
            if let phrase = Self.dropped(dropped) { line += " (\(phrase))" }
            emit(.info(line))
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
        var seenProgress = engine.progress
        var seenServer = serverMovement()
        var lastMove = Sys.monotonicNanos()
        var stalled = false
        let held = engine.drive(until: deadline(within), interrupted: { interrupt.isSet || stalled }) {
            if condition() { return true }
            let now = Sys.monotonicNanos()
            let server = serverMovement()
            if engine.progress != seenProgress || server != seenServer {
                seenProgress = engine.progress
                seenServer = server
                lastMove = now
            } else if now &- lastMove >= stall {
                stalled = true
            }
            return false
        }
        if !held && stalled { stalledFor = stall }
        return held
    }

    /// The embedded server's own movement (accepts, bytes, closes; not its loop's idle turns):
    /// a server still catching up on a busy machine, with nothing left to move on the client's
    /// side, is not a stall.
    private func serverMovement() -> ServerStatsSnapshot? {
        guard var stats = server?.stats.snapshot() else { return nil }
        stats.iterations = 0
        stats.idleIterations = 0
        return stats
    }

    func deadline(_ within: ScenarioDuration?) -> UInt64 {
        Sys.monotonicNanos() &+ (within.map { UInt64($0.nanoseconds) } ?? timeoutNanos)
    }

    // MARK: the server

    /// Starts the embedded server (a fresh one) unless a third-party target is in use.
    private func startServer(_ options: ScenarioLanguage.ServerOptions, _ statement: Statement, forceMode: Bool = false) throws(RunStop) {
        if skipServerCommand(statement) { return }
        let override = forceMode ? nil : configuration.mode
        var config = options.configuration(mode: override)
        if let forced = configuration.fault { config.fault = forced }
        // `--tls`: the client speaks TLS to every server, so every embedded one serves it.
        if configuration.tls != nil && config.tls == nil { config.tls = ServerTLS() }
        // PEM paths as written are relative to the scenario file (as `send SEL file` is).
        if !forceMode, let tls = config.tls {
            config.tls = ServerTLS(certificatePath: tls.certificatePath.map { ScenarioPaths.resolve($0, relativeTo: statement.location.file) },
                                   keyPath: tls.keyPath.map { ScenarioPaths.resolve($0, relativeTo: statement.location.file) })
        }
        // A `--mode` override must not quietly drop what the file asked for (`edge`, an
        // epoll-only fault): the scenario does not apply to that mode, and says so.
        if let conflict = config.conflict(with: config.mode) {
            throw .skipped("\(statement.location): \(statement.command.rendered): \(conflict)")
        }
        let dropped = stopServer()
        let fresh = EchoServer(configuration: config)
        let address: SocketAddress
        do {
            address = try fresh.start()
        } catch {
            throw fail(statement, expected: "the embedded server to start", seen: "\(error)", how: .other)
        }
        target = address
        thirdParty = nil
        server = fresh
        lastServerConfiguration = config
        var description = "server \(config.mode.rawValue) listening on \(address)"
        if config.isEdgeTriggered { description += " (edge-triggered)" }
        if config.tls != nil || config.fault?.impliesTLS == true { description += ", TLS" }
        if let fault = config.fault { description += ", fault \(fault.rawValue)" }
        if dropped != nil { description = "restarted" + (Self.dropped(dropped).map { ": \($0)" } ?? "") + "; " + description }
        emit(.info(description))
    }

    /// Starts the default embedded server if nothing was chosen yet.
    func ensureTarget(_ statement: Statement) throws(RunStop) {
        guard target == nil else { return }
        try startServer(ScenarioLanguage.ServerOptions(mode: configuration.mode ?? .epoll), statement)
    }

    /// Stops the embedded server, if one runs; returns how many of our connections were open
    /// (and are dropped with it), nil when none ran. The target address is kept: after
    /// `server stop`, connects go to the closed port and are refused.
    @discardableResult
    private func stopServer() -> Int? {
        guard let server else { return nil }
        let open = engine.openConnections().count
        lastServerStats = server.stats.snapshot()
        server.stop()
        self.server = nil
        return open
    }

    /// "12 open connections dropped" for result lines; nil when none were (or no server ran).
    static func dropped(_ open: Int?) -> String? {
        guard let open, open > 0 else { return nil }
        return "\(open) open connection\(open == 1 ? "" : "s") dropped"
    }

    /// Later connects go to a spawned server (the embedded one stops, as for `target`).
    func pointAtSpawned(_ process: ServerProcess) {
        stopServer()
        spawned = process
        target = process.address
        thirdParty = Target(process.address)
    }

    private func skipServerCommand(_ statement: Statement) -> Bool {
        if let given = configuration.spawn {
            emitSkipped("\(statement.location): \(statement.command.rendered): skipped against the spawned server (--spawn '\(given)')")
            return true
        }
        guard let external = configuration.target else { return false }
        emitSkipped("\(statement.location): \(statement.command.rendered): skipped against third-party target \(external)")
        return true
    }

    public var serverStats: ServerStatsSnapshot? { server?.stats.snapshot() ?? lastServerStats }
}
