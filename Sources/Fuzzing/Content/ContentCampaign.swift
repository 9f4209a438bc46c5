// A content campaign: mutates what requests say (not how they are cut) and judges each input by
// the oracles that need no specification (ContentJudge). Each run picks an input from the corpus
// (the seeds first, then what showed new behaviour, favoured while it is fresh), varies it (a
// request mutated by the framing-aware mutator, several stacked now and then, a seed request
// inserted, one dropped, requests spliced from another input), sends it on a fresh connection,
// and records the classes of its replies and their transitions. Every choice comes from the
// campaign's seed. The first failure that reproduces on a fresh instance ends the campaign,
// shrunk and written; one that does not is kept while the search goes on.

import Framing
import ProcessMonitor
import ScenarioRunner
import Syscalls
import Vocabulary

/// What a content campaign adds to its summary.
public struct ContentFigures: Sendable, Codable, Equatable {
    public var classes: Int
    public var transitions: Int
    public var corpus: Int
    /// Inputs added to `--corpus` this campaign.
    public var corpusAdded: Int
    /// Instances of the spawned server started after the first (after crashes, hangs, and to
    /// confirm and shrink findings on fresh ones).
    public var restarts: Int
    public var curve: [BehaviourMap.CurvePoint]
    /// The server stopped serving and could not be restarted (no --spawn): the campaign ended
    /// there, and its finding is unconfirmed.
    public var serverDied: Bool
    /// Failures seen once that rest on timing (a reply too many or too few within a wait, a
    /// differing reply count, a probe's timeout) and did not come back on fresh instances: not
    /// findings, counted so the user knows.
    public var dismissed: Int = 0
}

public enum ContentCampaign {
    public static func run(_ config: ContentConfiguration, monitor: ProcessMonitor?, referenceMonitor: ProcessMonitor? = nil,
                           mutator start: some ContentMutating,
                           interrupt: InterruptFlag = InterruptFlag(), onEvent: @escaping (FuzzEvent) -> Void = { _ in }) -> FuzzSummary {
        let started = Sys.monotonicNanos()
        func seconds() -> Double { Double(Sys.monotonicNanos() - started) / 1e9 }
        var summary = FuzzSummary(against: config.against, seed: config.seed, runs: 0, operations: 0, connections: 0,
                                  seconds: 0, interrupted: false, finding: nil)
        if !config.segment.isWhole { summary.segment = config.segment }
        let server = ContentServer(monitor: monitor, target: config.target?.address, referenceMonitor: referenceMonitor, reference: config.reference?.address)
        var mutator = start
        var timing = config.timing
        var settings = config
        let recorder = ContentRecorder(config: config, server: server, simplifications: { mutator.simplifications(of: $0) },
                                       interrupt: interrupt, onEvent: onEvent)
        var random = SeededRandom(seed: config.seed).derived("content").derived(UInt64(config.segment.index))
        var corpus = ContentCorpus()
        var map = BehaviourMap()
        var pending = initialInputs(config)
        var history: [ContentCase] = []
        var latencies = LearnedDeadline()
        var corpusAdded = 0
        var serverDied = false
        var dismissed = 0
        var unconfirmed: (suspect: ContentRecorder.Suspect, failed: Int, of: Int)?
        var run = config.segment.index
        var lastProgress: UInt64 = 0

        while !interrupt.isSet {
            if let runs = config.runs, run >= runs { break }
            if let d = config.durationNanos, Sys.monotonicNanos() - started >= d { break }
            if let first = unconfirmed, run >= first.suspect.run + 40 * config.segment.count { break }
            let given = !pending.isEmpty
            let (input, operations) = given ? (pending.removeFirst(), []) : mutant(&corpus, &mutator, &random, config)
            settings.timing = timing
            let judge = ContentJudge(config: settings, server: server)
            let outcome = ContentExecutor.run(input, at: server.address, framing: config.framing, timing: timing)
            summary.runs += 1
            summary.operations += input.requests.count
            summary.connections += 1
            latencies.record(outcome.latencies)
            var suspicion = judge.immediate(outcome, input, connection: 0, outcomes: [outcome])
            if suspicion == nil && (outcome.isSuspicious || summary.runs % config.probeEvery == 0 || server.process?.isRunning == false) {
                summary.connections += 1
                suspicion = judge.probe([outcome])
            }
            let new = map.record(outcome.classes(config.framing), seconds: seconds(), runs: summary.runs)
            // The user's seeds and the corpus folder's inputs are mutated whatever they showed (a
            // chunked POST answers like a GET, yet only it reaches the chunk parser); mutants
            // join only when they showed something new.
            if (new > 0 || given) && suspicion == nil {
                if corpus.add(input, found: max(new, 1)) {
                    for request in input.requests { mutator.addToPool(request) }
                    if new > 0, let directory = config.corpusDirectory, ContentCorpus.save(input, to: directory) != nil { corpusAdded += 1 }
                }
                for reply in outcome.replies { mutator.learnTokens(fromReply: reply) }
            }
            if let judgement = suspicion {
                let suspect = ContentRecorder.Suspect(run: run, input: input, history: history, judgement: judgement, operations: operations)
                onEvent(.suspected(run: run, kind: judgement.kind, seen: judgement.seen, requests: input.requests.count))
                if !server.canRestart && (judgement.kind.check == .crash || judgement.kind.check == .hang) {
                    // Nothing can start a fresh server: the inputs sent last are the finding, unconfirmed.
                    serverDied = true
                    summary.finding = recorder.record(suspect, confirmed: nil,
                                                      unconfirmedReason: "the server stopped serving and no --spawn was given to start a fresh one; these are the last inputs sent")
                    break
                }
                if let confirmed = recorder.confirm(suspect) {
                    summary.finding = recorder.record(suspect, confirmed: (confirmed.inputs, confirmed.judgement), unconfirmedReason: nil)
                    break
                }
                if judgement.kind.restsOnTiming {
                    // What timing may have decided and a fresh instance did not repeat: noise.
                    dismissed += 1
                    onEvent(.unconfirmed(run: run, failed: 0, of: config.confirmationTries, searching: 0))
                } else {
                    // The server did something no timing explains (exited, sent bytes that
                    // cannot be framed), once: kept, and written if nothing reproducible turns up.
                    onEvent(.unconfirmed(run: run, failed: 0, of: config.confirmationTries, searching: 40))
                    if unconfirmed == nil { unconfirmed = (suspect, 0, config.confirmationTries) }
                }
                if server.canRestart { _ = server.fresh() }
                history.removeAll()
            } else {
                history.append(input)
                if history.count > config.historyLength { history.removeFirst() }
            }
            if server.process?.isRunning == false { _ = server.fresh() }
            if summary.runs % (summary.runs < 256 ? 16 : 64) == 0 {
                timing.replyWaitNanos = replyWait(latencies, config)
                timing.graceNanos = grace(latencies, config)
            }
            let now = Sys.monotonicNanos()
            if now - lastProgress >= 250_000_000 {
                lastProgress = now
                let elapsed = seconds()
                onEvent(.contentProgress(runs: summary.runs, perSecond: elapsed > 0 ? Double(summary.runs) / elapsed : 0,
                                         classes: map.classes.count, transitions: map.transitions.count, corpus: corpus.count,
                                         restarts: monitor?.restarts ?? 0))
            }
            run += config.segment.count
        }
        if summary.finding == nil, let kept = unconfirmed, !interrupt.isSet {
            // No failure that reproduces turned up: the first one is still something the server
            // did, written as it happened with its replay count.
            summary.finding = recorder.record(kept.suspect, confirmed: nil,
                                              unconfirmedReason: "it did not fail again on a fresh instance, alone or after the inputs before it")
        }
        summary.interrupted = interrupt.isSet
        summary.seconds = seconds()
        summary.content = ContentFigures(classes: map.classes.count, transitions: map.transitions.count, corpus: corpus.count,
                                         corpusAdded: corpusAdded, restarts: monitor?.restarts ?? 0, curve: map.curve,
                                         serverDied: serverDied, dismissed: dismissed)
        return summary
    }

    /// The corpus folder's inputs, each seed alone, and all seeds in order.
    static func initialInputs(_ config: ContentConfiguration) -> [ContentCase] {
        var inputs: [ContentCase] = []
        if let directory = config.corpusDirectory, let loaded = try? ContentCorpus.load(directory, framing: config.framing) {
            inputs += loaded
        }
        inputs += config.seeds.map { ContentCase([$0]) }
        if config.seeds.count > 1 { inputs.append(ContentCase(Array(config.seeds.prefix(config.maxRequests)))) }
        return inputs
    }

    /// A variant of a corpus input: mostly one request mutated; sometimes several stacked, a
    /// seed request inserted, one dropped, or another input's requests spliced in.
    static func mutant(_ corpus: inout ContentCorpus, _ mutator: inout some ContentMutating, _ random: inout SeededRandom,
                       _ config: ContentConfiguration) -> (ContentCase, [String]) {
        var operations: [String] = []
        var requests: [[UInt8]]
        // A quarter of the time a seed itself, whatever the corpus holds: the user's requests are
        // where the server's features are (a chunked POST among GETs), and a corpus grown with
        // new reply classes soon outnumbers them.
        if corpus.count == 0 || (!config.seeds.isEmpty && random.int(in: 0...3) == 0) {
            requests = [config.seeds[random.int(in: 0...(config.seeds.count - 1))]]
        } else {
            requests = corpus.entries[corpus.pick(using: &random)].input.requests
        }
        // Half the time one request of it alone: a bug one request triggers shows on its own,
        // and its replies can be counted (one odd request among four makes the four uncountable).
        if requests.count > 1 && random.int(in: 0...1) == 0 {
            let at = random.int(in: 0...(requests.count - 1))
            requests = [requests[at]]
            operations.append("request \(at + 1) alone")
        }
        let stacked = random.int(in: 0...3) == 0 ? random.int(in: 2...4) : 1
        for _ in 0..<stacked {
            switch random.int(in: 0...9) {
            case 0 where requests.count < config.maxRequests && !config.seeds.isEmpty:
                let seed = config.seeds[random.int(in: 0...(config.seeds.count - 1))]
                let at = random.int(in: 0...requests.count)
                requests.insert(seed, at: at)
                operations.append("seed request inserted as request \(at + 1)")
            case 1 where requests.count > 1:
                let at = random.int(in: 0...(requests.count - 1))
                requests.remove(at: at)
                operations.append("request \(at + 1) dropped")
            case 2 where requests.count < config.maxRequests && corpus.count > 1:
                let other = corpus.entries[random.int(in: 0...(corpus.count - 1))].input.requests
                let take = Array(other.prefix(config.maxRequests - requests.count))
                requests += take
                operations.append("\(take.count) request(s) of another input appended")
            default:
                let at = random.int(in: 0...(requests.count - 1))
                let mutated = mutator.mutated(requests[at], using: &random)
                requests[at] = mutated.bytes
                operations += mutated.operations.map { "request \(at + 1): \($0)" }
            }
        }
        return (ContentCase(requests), operations)
    }

    /// How long an owed reply is waited for: ten times the slowest reply seen (p99), at least
    /// 10 ms, at most half the hang timeout. (A reply that misses it costs a liveness probe,
    /// not a finding.)
    static func replyWait(_ latencies: LearnedDeadline, _ config: ContentConfiguration) -> UInt64 {
        guard let p99 = latencies.p99 else { return config.timing.replyWaitNanos }
        return min(max(10_000_000, p99 &* 10), config.hangTimeoutNanos / 2)
    }

    /// How long to wait for one reply too many once the owed ones came: four times the slowest
    /// reply seen (p99), between 3 ms and the configured grace. A server's extra reply leaves
    /// with the one before it; this wait is most of what a run costs, so it is what sets the
    /// campaign's pace. The written file's `no-reply` check waits far longer.
    static func grace(_ latencies: LearnedDeadline, _ config: ContentConfiguration) -> UInt64 {
        guard let p99 = latencies.p99 else { return config.timing.graceNanos }
        return min(max(3_000_000, p99 &* 4), config.timing.graceNanos)
    }
}

extension FailureKind {
    /// Whether it may rest on timing: a reply too many within the grace, a probe with no answer
    /// within the hang timeout, a reply unlike the reference's (a server may answer bytes that
    /// arrived in one read unlike the same bytes in two). Only a crash (the process exited) and
    /// bytes no reply can be are the server's whatever the timing: those are kept even when a
    /// fresh instance does not repeat them.
    var restsOnTiming: Bool {
        !(check == .crash || how == .processExited || how == .processKilled || how == .malformedReply)
    }
}
