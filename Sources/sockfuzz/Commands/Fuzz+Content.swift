// `sockfuzz fuzz` with --oracle content (the default for given requests): the seeds and the
// server (spawned, a target, or the embedded echo server), checked before any run (the probe must
// be answered on a fresh connection), then the campaign, its summary and reports.
// Exit status: 0 nothing found, 1 a finding, 2 a usage error, 3 the server stopped serving and
// nothing could start a fresh one (the finding is unconfirmed), 130 interrupted.

import Merging
import Metrics
import ArgumentParser
import EmbeddedServer
import Foundation
import Framing
import Fuzzing
import ProcessMonitor
import RequestMutation
import ScenarioLanguage
import ScenarioRunner
import Syscalls

extension Fuzz {
    func validateContent() throws {
        if tls.tls { throw ValidationError("content fuzzing speaks clear text: drop --tls, or fuzz the cuts with --oracle replies") }
        if fault != nil { throw ValidationError("--fault goes with the echo and replies oracles, not content fuzzing") }
        let shaping = [("--connections", connections != nil), ("--weights", weights != nil), ("--timeout", timeout != nil),
                       ("--max-send", maxSend != nil)].filter(\.1).map(\.0)
        if let first = shaping.first {
            // Taken and ignored, they would promise a campaign that did not run.
            throw ValidationError("\(first) shapes the echo and replies fuzzers' programs; content fuzzing sends each input on a connection of its own (its deadline is --hang-timeout)")
        }
        guard requests.given || content.seedScenario != nil || content.corpus != nil else {
            throw ValidationError("content fuzzing needs seed requests: --request, --request-file, --seed-scenario or --corpus")
        }
        if requests.request != nil && requests.requestFile != nil { throw ValidationError("give --request or --request-file, not both") }
        let framing = try requests.parsedFraming()
        if framing == .raw { throw ValidationError("--framing raw cannot tell one reply from the next: pick line, resp, http1, delimiter: or length:") }
        if requests.given { _ = try requests.mix() }
        if expectPattern != nil && probe == nil { throw ValidationError("--expect goes with --probe") }
        if server.mode == .all {
            // One campaign against one server: `all` would fuzz the first design and name none.
            throw ValidationError("content fuzzing runs one server: give --mode busy, select, epoll or uring, not all")
        }
        if !masks.isEmpty && content.reference == nil {
            throw ValidationError("--mask hides what may differ from a reference's replies: in content fuzzing it goes with --reference")
        }
    }

    func runContent() throws {
        let framing = try requests.parsedFraming()
        let seeds = (requests.given ? try requests.mix().requests : []) + (try content.scenarioSeeds(framing))
        var config = ContentConfiguration(seeds: seeds, framing: framing)
        config.seed = seed
        // Content fuzzing runs until it finds something: two minutes unless told.
        config.runs = runs
        config.durationNanos = duration.map { UInt64($0.nanoseconds) } ?? (runs == nil ? 120_000_000_000 : nil)
        config.segment = segment
        config.outDirectory = out
        budget.apply(attempts: &config.shrinkAttempts, seconds: &config.shrinkSeconds, replays: &config.replays)
        config.corpusDirectory = content.corpus
        config.masks = masks
        config.hangTimeoutNanos = UInt64(content.hangDeadline.nanoseconds)
        config.probePattern = expectPattern
        if let probe {
            do { config.probeRequest = try ArgumentValues.escapedBytes(probe) } catch { throw ValidationError("--probe: \(error.message)") }
        }
        if config.seeds.isEmpty {
            // The folder's well-formed requests (a grown corpus is mostly mutants that are not),
            // each once, in the folder's order, at most 64: the inputs themselves are all run
            // first anyway. The probe is the first of them a fresh server answers (below).
            var seen: Set<[UInt8]> = []
            let all = try ContentCorpus.load(content.corpus ?? "", framing: framing).flatMap(\.requests)
            let wellFormed = all.filter { framing.countableRequests($0) == 1 }
            config.seeds = Array((wellFormed.isEmpty ? all : wellFormed).filter { seen.insert($0).inserted }.prefix(64))
            guard !config.seeds.isEmpty else { throw ValidationError("--corpus \(content.corpus ?? ""): no input to start from") }
        }
        // One reply more than requests is only countable when the framing cuts the user's
        // requests into whole ones (memcached's `delimiter:END\r\n` frames replies, not requests).
        config.countsReplies = seeds.allSatisfy { seed in
            let split = framing.splitRequests(seed)
            return split.requests.count == 1 && split.rest.isEmpty
        }

        var monitor: ProcessMonitor?
        var embedded: EchoServer?
        defer { monitor?.stop(); embedded?.stop() }
        if let spawn = content.spawn {
            let command = try SpawnCommand(spawn)
            config.spawn = command
            if let target = server.target {
                config.target = try Target.parse(target)
            }
            do { monitor = try ProcessMonitor(command, target: config.target?.address) } catch {
                Output.error("sockfuzz: --spawn: \(error.description)")
                throw ExitCode(2)
            }
        } else if let target = server.target {
            config.target = try Targets.reachableTarget(target, option: "--target")
        } else {
            let echo = EchoServer(configuration: ServerConfiguration(mode: server.mode?.modes.first.flatMap { $0 } ?? .epoll))
            do { config.target = Target(try echo.start()) } catch {
                Output.error("sockfuzz: the embedded server did not start: \(error)")
                throw ExitCode(2)
            }
            embedded = echo
        }
        var referenceMonitor: ProcessMonitor?
        defer { referenceMonitor?.stop() }
        if let reference = content.reference {
            if ContentFuzzOptions.isCommand(reference) {
                let command = try SpawnCommand(reference)
                config.referenceSpawn = command
                do { referenceMonitor = try ProcessMonitor(command) } catch {
                    Output.error("sockfuzz: --reference: \(error.description)")
                    throw ExitCode(2)
                }
            } else {
                config.reference = try Targets.reachableTarget(reference, option: "--reference")
            }
        }
        let address = monitor?.address ?? config.target!.address
        // Without --probe, the first of the first few seeds that a fresh server answers.
        if probe == nil, let answered = config.seeds.prefix(8).first(where: { seed in
            LivenessProbe(request: seed, framing: framing, pattern: nil).check(address, withinNanos: 1_000_000_000, process: monitor?.current) == nil
        }) {
            config.probeRequest = answered
        }
        // A probe a fresh server does not answer would make every run a hang: said at once.
        if let verdict = config.probe.check(address, withinNanos: max(config.hangTimeoutNanos, 2_000_000_000), process: monitor?.current) {
            let what = probe.map { "--probe '\($0)'" } ?? "the first seed request \(FrameText.render(config.probe.request ?? []))"
            Output.error("sockfuzz: \(what) gets no good answer on a fresh connection to \(address), so every run would look like a failure: \(verdict.seen)"
                         + (probe == nil ? " (give --probe and --expect)" : ""))
            throw ExitCode(2)
        }

        let interrupt = InterruptFlag()
        let watcher = InterruptWatcher(interrupt)
        defer { watcher.stop() }
        let metrics = FuzzMetrics(segment: segment.description)
        let endpoint = try MetricsEndpoint.start(metricsListen, for: "sockfuzz fuzz", render: metrics.render)
        defer { endpoint?.stop() }
        let budget = config.runs.map { Format.count($0, "run") } ?? "for \(duration.map(\.description) ?? "2m")"
        Output.line("fuzz \(config.against): seed \(seed), \(budget), content mutation of \(config.seeds.count) seed request\(config.seeds.count == 1 ? "" : "s") (framing \(framing))"
                    + (segment.isWhole ? "" : "; share \(segment)"))
        var oracles = ["crash", "hang (no answer within \(content.hangDeadline))"]
        oracles.append(config.countsReplies ? "protocol violation" : "protocol violation (unframeable replies only: --framing does not cut these requests)")
        if let reference = content.reference { oracles.append("differential against \(reference)") }
        Output.line("oracles: " + oracles.joined(separator: ", "))
        let progress = ProgressLine()
        metrics.start(config.against)
        let published = endpoint == nil ? nil : metrics
        let mutator = ContentMutator(framing: framing, seeds: config.seeds, dictionary: try content.dictionary())
        var summary = ContentCampaign.run(config, monitor: monitor, referenceMonitor: referenceMonitor, mutator: mutator, interrupt: interrupt) { event in
            published?.observe(event)
            FuzzPrinter.print(event, progress)
        }
        summary.campaign = campaignIdentity
        metrics.finish(summary)
        progress.finish()
        FuzzPrinter.summary(summary)
        try writeReports([summary])
        if let html = content.html { try Reports.write(FuzzPage.render(summary), to: html, option: "--html") }
        try exitStatus([summary], interrupted: interrupt.isSet)
    }
}
