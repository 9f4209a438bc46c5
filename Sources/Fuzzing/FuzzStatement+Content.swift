// The `fuzz` statement's content fuzzing: `oracle=content` with requests as seeds, against a
// server the statement spawns (`spawn="CMD {port}"`), the session's third-party target, or a
// fresh embedded server in the session's mode, as `sockfuzz fuzz` does given requests.

import EmbeddedServer
import Framing
import ProcessMonitor
import RequestMutation
import ScenarioLanguage
import ScenarioRunner
import Syscalls

extension Fuzzer {
    static func contentStatement(_ spec: FuzzSpec, _ requests: FuzzRequests, _ content: FuzzContent, _ session: ScenarioSession,
                                 _ statement: Statement) throws(RunStop) {
        let mix = try requestMix(requests, session, statement)
        var config = ContentConfiguration(seeds: mix.requests, framing: requests.framing)
        config.seed = campaignSeed(spec, session)
        config.runs = spec.runs ?? (spec.duration == nil ? 500 : nil)
        config.durationNanos = spec.duration.map { UInt64($0.nanoseconds) }
        config.outDirectory = "fuzz-failures"
        if let hang = content.hangTimeout { config.hangTimeoutNanos = UInt64(hang.nanoseconds) }
        config.countsReplies = mix.requests.allSatisfy { requests.framing.countableRequests($0) == 1 }

        // Content fuzzing speaks clear text to a server without an injected fault (as the command
        // line refuses --tls and --fault with it): under either, it would fuzz something else
        // than the run says, so it is skipped, saying why.
        let running = session.server?.configuration
        // The command line wins over the file's servers, spawn= included, as over spawn and target lines.
        let given = session.configuration.target.map { "--target \($0)" } ?? session.configuration.spawn.map { "--spawn '\($0)'" }
        // Its own spawn= server is neither TLS nor faulted (a command line's --target or --spawn
        // is the third party by now, started before the first statement).
        let fuzzesEmbedded = session.thirdParty == nil && content.spawn == nil
        let unfit: String? = session.configuration.tls != nil ? "--tls"
            : !fuzzesEmbedded ? nil
            : running?.tls != nil ? "a TLS server"
            : (running?.fault ?? session.configuration.fault).map { "fault \($0.rawValue)" }
        if let unfit {
            session.emitSkipped("\(statement.location): \(statement.command.rendered): skipped under \(unfit): content fuzzing speaks clear text to a server without an injected fault")
            return
        }

        var monitor: ProcessMonitor?
        var embedded: EchoServer?
        defer { monitor?.stop(); embedded?.stop() }
        if let spawn = content.spawn, given == nil {
            do {
                let command = try SpawnCommand(spawn)
                config.spawn = command
                monitor = try ProcessMonitor(command)
            } catch {
                throw session.fail(statement, expected: "the spawned server to accept connections", seen: "\(error)", how: .other)
            }
        } else if let target = session.thirdParty {
            if content.spawn != nil, let given { session.emit(.info("\(statement.location): spawn= ignored: \(given) wins")) }
            config.target = target
        } else {
            // A fresh server built like the scenario's (edge, limits), on a port of its own: a
            // campaign's thousands of connections stay off the scenario's server and its counters.
            var configuration = running ?? ServerConfiguration(mode: session.configuration.mode ?? .epoll)
            configuration.port = 0
            let server = EchoServer(configuration: configuration)
            do { config.target = Target(try server.start()) } catch {
                throw session.fail(statement, expected: "an embedded server to fuzz", seen: "\(error)", how: .other)
            }
            embedded = server
        }
        let address = monitor?.address ?? config.target!.address
        if let verdict = config.probe.check(address, withinNanos: max(config.hangTimeoutNanos, 2_000_000_000), process: monitor?.current) {
            throw session.fail(statement, expected: "an answer to the first request on a fresh connection (the liveness probe)",
                               seen: verdict.seen, how: .other)
        }
        let mutator = ContentMutator(framing: requests.framing, seeds: config.seeds)
        let summary = ContentCampaign.run(config, monitor: monitor, mutator: mutator, interrupt: session.interrupt,
                                          onEvent: events(session, config.against))
        if summary.interrupted { throw .interrupted }
        if let finding = summary.finding {
            let died = summary.content?.serverDied == true ? " (the server stopped serving and nothing could restart it: unconfirmed)" : ""
            throw session.fail(statement, expected: "no failure in \(summary.runs) content fuzz runs (seed \(config.seed))",
                               seen: "run \(finding.run): \(finding.signature)\(died): \(finding.failure.seen); scenario: \(finding.scenarioPath ?? "not written: \(finding.notWritten ?? "no --out")")",
                               kind: finding.kind)
        }
        try failIfNoRun(summary, session, statement)
        session.emit(.passed("fuzz \(config.against): \(summary.runs) content runs, \(summary.content?.classes ?? 0) reply classes, no failure"))
    }
}
