// Runs a whole scenario file once: a fresh session (fresh embedded server unless a target is
// given), every statement in order until the first failure, then the figures.

import ClientEngine
import Glibc
import EmbeddedServer
import Reactor
import ScenarioLanguage
import Syscalls

public enum ScenarioRunner {
    /// Runs `program` (parsed from `name`) once under `configuration`. `onTick`, when given, is
    /// shown the session four times a second while its loop runs, and once more at the end, on
    /// this thread (live metrics read its `totals` and `checks`).
    public static func run(_ program: Program, name: String, configuration: RunConfiguration,
                           interrupt: InterruptFlag = InterruptFlag(),
                           fuzzHandler: ((FuzzSpec, ScenarioSession, Statement) throws(RunStop) -> Void)? = nil,
                           onTick: ((ScenarioSession) -> Void)? = nil,
                           onEvent: @escaping (RunEvent) -> Void = { _ in }) -> ScenarioResult {
        let started = Sys.monotonicNanos()
        let against = configuration.spawn.map { "spawn \($0)" }
            ?? configuration.target.map { "target \($0)" }
            ?? (configuration.mode ?? .epoll).rawValue
        var result = ScenarioResult(scenario: name, against: against, status: .passed,
                                    seed: configuration.seed ?? 1, durationSeconds: 0, failures: [],
                                    note: nil, groups: [], totals: nil, server: nil)
        let session: ScenarioSession
        do {
            session = try ScenarioSession(configuration: configuration, interrupt: interrupt, onEvent: onEvent)
            session.fuzzHandler = fuzzHandler
            prepare(session.engine, for: program.statements)
            if let onTick { session.tick(every: 250_000_000, onTick) }
        } catch {
            result.status = .failed
            result.note = "cannot start the client engine: \(error)"
            return result
        }
        do {
            try session.execute(program.statements)
            try session.checkExtraBytesAtEnd()
        } catch {
            switch error {
            case .failed(let failure):
                result.status = .failed
                result.failures.append(failure)
                onEvent(.failed(failure))
            case .interrupted:
                result.status = .interrupted
                result.note = "interrupted"
            case .skipped(let why):
                result.status = .skipped
                result.note = why
            }
        }
        result.seed = session.seed
        if configuration.target == nil { result.against = ranAgainst(session) }
        var totals = GroupStats()
        for group in session.engine.groupOrder {
            let stats = session.engine.groupStats(group)
            totals.merge(stats)
            result.groups.append(GroupFigures(name: group, stats, keepingHistogram: !session.segment.isWhole))
        }
        result.totals = GroupFigures(name: "*", totals, keepingHistogram: !session.segment.isWhole)
        result.checks = session.checks
        // A whole run that made no check, or skipped every one, checked nothing: no pass, in the
        // text, JUnit and JSON alike. A share may: merge judges the whole.
        if result.status == .passed && session.segment.isWhole, let why = session.checks.nothingChecked {
            result.status = .skipped
            result.note = why
        }
        onTick?(session)
        if !session.segment.isWhole { result.segment = session.segment }
        result.loads = session.loadResults
        session.close()
        result.server = session.serverStats
        result.durationSeconds = Double(Sys.monotonicNanos() - started) / 1e9
        return result
    }

    /// What the run was against: the last embedded server that really ran, with its fault (a
    /// stopped `select` server stays `select`), else the file's own `target`.
    static func ranAgainst(_ session: ScenarioSession) -> String {
        if let spawned = session.spawned { return "spawn \(spawned.command)" }
        if let ran = session.lastServerConfiguration {
            return ran.mode.rawValue + (ran.tls == nil ? "" : " TLS") + (ran.fault.map { " fault=\($0.rawValue)" } ?? "")
        }
        return session.target.map { "target \($0)" } ?? (session.configuration.mode ?? .epoll).rawValue
    }

    /// Keeps in the engine only what the program can check. Received bytes are copied aside
    /// only for `recv`/`match`/`skip`/`drain`; sent bytes are kept until echoed only when an echo
    /// check can run (a liveness or request/response program would otherwise keep them all).
    static func prepare(_ engine: ClientEngine, for statements: [Statement]) {
        engine.keepsInbox = needsInbox(statements)
        engine.tracksEcho = needsEchoTracking(statements)
    }

    /// Whether any statement, in blocks and included files too, reads received bytes through
    /// the cursor (`recv`, `match`, `skip`, `drain`).
    static func needsInbox(_ statements: [Statement]) -> Bool { reads(statements).inbox }

    /// Whether an echo check can run: an `expect echo` anywhere, or a `fuzz` (its echo oracle).
    static func needsEchoTracking(_ statements: [Statement]) -> Bool { reads(statements).echo }

    /// Both at once, in one walk: asking each of a block's two questions of its body separately
    /// doubled the work at every level of nesting (26 nested blocks took seconds).
    static func reads(_ statements: [Statement]) -> (inbox: Bool, echo: Bool) {
        var both = (inbox: false, echo: false)
        for statement in statements {
            let one = reads(statement.command)
            both = (both.inbox || one.inbox, both.echo || one.echo)
            if both.inbox && both.echo { break }
        }
        return both
    }

    /// What a command reads of the received bytes: the inbox (copied bytes) or the echo books,
    /// as its form in the command table says; a block reads what its body reads. Replies are
    /// cut from the bytes by each connection's decoder, not read from the inbox.
    static func reads(_ command: Command) -> (inbox: Bool, echo: Bool) {
        switch command {
        case .repeat(_, let body), .include(_, let body): return reads(body)
        default:
            let reading = command.spec.reads
            return (reading == .inbox, reading == .echo)
        }
    }

    /// Whether a third-party target accepts a connection: 0, or the errno of the failure. A
    /// server that accepts and at once resets is reachable: resetting is its behaviour, which
    /// the run judges (exit 1), not a usage error.
    public static func probe(_ address: SocketAddress, timeoutNanos: UInt64 = 3_000_000_000) -> Int32 {
        switch TCPConnect.tryOnce(address, within: timeoutNanos) {
        case .success:
            return 0
        case .failure(let failure):
            return failure.errno == ECONNRESET ? 0 : failure.errno
        }
    }
}
