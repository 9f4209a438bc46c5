// Runs a whole scenario file once: a fresh session (fresh embedded server unless a target is
// given), every statement in order until the first failure, then the figures.

import ClientEngine
import Glibc
import EmbeddedServer
import Reactor
import ScenarioLanguage
import Syscalls

public enum ScenarioRunner {
    /// Runs `program` (parsed from `name`) once under `configuration`.
    public static func run(_ program: Program, name: String, configuration: RunConfiguration,
                           interrupt: InterruptFlag = InterruptFlag(),
                           fuzzHandler: ((FuzzSpec, ScenarioSession, Statement) throws(RunStop) -> Void)? = nil,
                           onEvent: @escaping (RunEvent) -> Void = { _ in }) -> ScenarioResult {
        let started = Sys.monotonicNanos()
        let against = configuration.target.map { "target \($0)" } ?? (configuration.mode ?? .epoll).rawValue
        var result = ScenarioResult(scenario: name, against: against, status: .passed,
                                    seed: configuration.seed ?? 1, durationSeconds: 0, failures: [],
                                    note: nil, groups: [], totals: nil, server: nil)
        let session: ScenarioSession
        do {
            session = try ScenarioSession(configuration: configuration, interrupt: interrupt, onEvent: onEvent)
            session.fuzzHandler = fuzzHandler
            // Received bytes are copied aside only for `recv`/`match`; an echo check needs none.
            session.engine.keepsInbox = needsInbox(program.statements)
        } catch {
            result.status = .failed
            result.note = "cannot start the client engine: \(error)"
            return result
        }
        do {
            try session.execute(program.statements)
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
        if let mode = session.serverMode, configuration.target == nil { result.against = mode.rawValue }
        var totals = GroupStats()
        for group in session.engine.groupOrder {
            let stats = session.engine.groupStats(group)
            totals.merge(stats)
            result.groups.append(GroupFigures(name: group, stats))
        }
        result.totals = GroupFigures(name: "*", totals)
        result.loads = session.loadResults
        session.close()
        result.server = session.serverStats
        result.durationSeconds = Double(Sys.monotonicNanos() - started) / 1e9
        return result
    }

    /// Whether any statement, in blocks and included files too, matches received bytes.
    static func needsInbox(_ statements: [Statement]) -> Bool {
        statements.contains { statement in
            switch statement.command {
            case .expectRecv, .expectMatch: return true
            case .repeat(_, let body), .include(_, let body): return needsInbox(body)
            case .seed, .setTimeout, .setConnectTimeout, .setReceiveBuffer, .print, .sleep, .serverStart,
                 .serverStop, .serverStats, .serverMode, .target, .connect, .send, .halfclose, .reset, .close,
                 .pause, .resume, .expectEcho, .expectState, .expectServer, .expectLatency, .expectConnected,
                 .load, .fuzz:
                return false
            }
        }
    }

    /// Whether a third-party target accepts a connection: 0, or the errno of the failure.
    public static func probe(_ address: SocketAddress, timeoutNanos: UInt64 = 3_000_000_000) -> Int32 {
        guard let engine = try? ClientEngine() else { return EMFILE }
        let ids = engine.connect(group: "probe", count: 1, to: address, timeoutNanos: timeoutNanos)
        _ = engine.drive(until: Sys.monotonicNanos() &+ timeoutNanos &+ 500_000_000) { !engine.stillConnecting(ids) }
        let view = engine.view(ids[0])
        engine.closeAll()
        return view.phase == .open ? 0 : (view.lastError == 0 ? ETIMEDOUT : view.lastError)
    }
}
