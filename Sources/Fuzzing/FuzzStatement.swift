// `fuzz [runs=N] [connections=N] [duration=D] [seed=N] [request=...]` inside a scenario or the
// console: the fuzzer against the session's server (fresh embedded servers in its mode, with its
// fault) or its third-party target, with the echo oracle or, given requests, the request oracle
// (FuzzStatement+Requests). A finding fails the statement with the minimal scenario's path.

import EmbeddedServer
import Reactor
import ScenarioLanguage
import ScenarioRunner

extension Fuzzer {
    /// The statement's `seed=`, else the session's (`run --seed`, else the file's). `seed=` wins
    /// over `run --seed`: replaying a reported failure passes the session's seed, which must
    /// not change the campaign the statement names (its failure says the campaign's seed).
    static func campaignSeed(_ spec: FuzzSpec, _ session: ScenarioSession) -> UInt64 {
        spec.seed ?? session.seed
    }

    /// A campaign that made no run looked at nothing: the statement fails, as a load that
    /// measured nothing does.
    static func failIfNoRun(_ summary: FuzzSummary, _ session: ScenarioSession, _ statement: Statement) throws(RunStop) {
        guard summary.checkedNothing else { return }
        throw session.fail(statement, expected: "at least one fuzz run", seen: "none was made: the campaign ended before its first (a longer duration=)", how: .other)
    }

    /// The handler a session runs `fuzz` statements with (`session.fuzzHandler = Fuzzer.statement`).
    public static func statement(_ spec: FuzzSpec, _ session: ScenarioSession, _ statement: Statement) throws(RunStop) {
        if let content = spec.content, let requests = spec.requests {
            return try contentStatement(spec, requests, content, session, statement)
        }
        var config = FuzzConfiguration()
        config.seed = campaignSeed(spec, session)
        config.runs = spec.runs ?? (spec.duration == nil ? 50 : nil)
        config.durationNanos = spec.duration.map { UInt64($0.nanoseconds) }
        if let n = spec.connections { config.generator.maxConnections = n }
        if let target = session.thirdParty {
            config.target = target
        } else {
            let server = session.server?.configuration
            config.mode = server?.mode ?? session.configuration.mode ?? .epoll
            config.fault = server?.fault ?? session.configuration.fault
            config.edgeTriggered = server?.edgeTriggered ?? false
        }
        // Over TLS when the run says --tls, or when the server fuzzed speaks it (a TLS fault
        // included): clear connects to a TLS server would each be a false finding.
        let serverSpeaksTLS = config.target == nil && (session.server?.configuration.tls != nil || config.fault?.impliesTLS == true)
        config.tls = session.configuration.tls ?? (serverSpeaksTLS ? ClientTLS(verification: .off) : nil)
        if let requests = spec.requests { try useRequests(requests, &config, session, statement) }
        config.outDirectory = "fuzz-failures"
        let summary = run(config, interrupt: session.interrupt, onEvent: events(session, config.against))
        if summary.interrupted { throw .interrupted }
        if let internalError = summary.internalError {
            throw session.fail(statement, expected: "fuzz programs that parse", seen: internalError, how: .other)
        }
        if let finding = summary.finding {
            throw session.fail(statement, expected: "no failure in \(summary.runs) fuzz runs (seed \(config.seed))",
                               seen: "run \(finding.run): \(finding.signature): \(finding.failure.seen); scenario: \(finding.scenarioPath ?? "not written: \(finding.notWritten ?? "no --out")")", kind: finding.kind)
        }
        try failIfNoRun(summary, session, statement)
        session.emit(.passed("fuzz \(config.against): \(summary.runs) runs, \(summary.operations) operations, no failure"))
    }

    /// What a campaign's events say in the session's output.
    static func events(_ session: ScenarioSession, _ against: String) -> (FuzzEvent) -> Void {
        { event in
            switch event {
            case .progress(let runs, let ops, let rate, let connections, _):
                session.emit(.progress("fuzz \(against): runs \(runs)  operations \(ops) (\(Int(rate))/s)  connections \(connections)"))
            case .found(let run, _, let signature, let operations):
                session.emit(.info("fuzz: run \(run) failed (\(signature)) after \(operations) operations; confirming and shrinking"))
            case .unconfirmed(let run, let failed, let tries, 0):
                session.emit(.info("fuzz: run \(run)'s failure came back in \(failed) of \(tries) fresh reruns: it rested on a wait's timing, no finding"))
            case .unconfirmed(let run, let failed, let tries, let searching):
                session.emit(.info("fuzz: run \(run)'s failure came back in only \(failed) of \(tries) reruns; searching up to \(searching) more runs for one that reproduces"))
            case .shrunk(let from, let to, let steps, let attempts, _, _):
                session.emit(.info("fuzz: shrunk from \(from) to \(to) operations in \(steps) steps (\(attempts) runs)"))
            case .replayed(let reproduced, let replays, let shrunk):
                session.emit(.info("fuzz: the \(shrunk ? "shrunk" : "original") program reproduced \(reproduced) of \(replays) replays"))
            case .wrote(let path):
                session.emit(.info("fuzz: scenario written to \(path)"))
            case .notWritten(let reason):
                session.emit(.info("fuzz: scenario NOT written: \(reason)"))
            case .contentProgress(let runs, let rate, let classes, let transitions, let corpus, _):
                session.emit(.progress("fuzz \(against): runs \(runs) (\(Int(rate))/s)  classes \(classes)  transitions \(transitions)  corpus \(corpus)"))
            case .suspected(let run, let kind, _, _):
                session.emit(.info("fuzz: run \(run) failed (\(kind)); confirming on a fresh instance"))
            }
        }
    }
}
