// What happens to a failure a content campaign sees: confirmed on fresh instances (the input
// alone, then with the inputs that came before it), shrunk while it fails the same way, replayed
// as the file it becomes (each replay on a fresh instance when spawned) and written with a header
// that names the kind, the trigger request (escaped and in hex), the spawn command, and what a
// fresh replay will do. Without a process to restart, a crash or hang cannot be confirmed: the
// inputs sent last are written as they were, unconfirmed.

import Foundation
import Framing
import ScenarioLanguage
import ScenarioRunner
import Syscalls

final class ContentRecorder {
    let config: ContentConfiguration
    let server: ContentServer
    let judge: ContentJudge
    let simplifications: ([UInt8]) -> [[UInt8]]
    let interrupt: InterruptFlag
    let onEvent: (FuzzEvent) -> Void

    init(config: ContentConfiguration, server: ContentServer, simplifications: @escaping ([UInt8]) -> [[UInt8]],
         interrupt: InterruptFlag, onEvent: @escaping (FuzzEvent) -> Void) {
        self.config = config
        self.server = server
        judge = ContentJudge(config: config, server: server)
        self.simplifications = simplifications
        self.interrupt = interrupt
        self.onEvent = onEvent
    }

    /// A failure seen in a run: what it was given, what it found.
    struct Suspect {
        var run: Int
        var input: ContentCase
        /// The inputs before it, oldest first.
        var history: [ContentCase]
        var judgement: ContentJudgement
        var operations: [String]
    }

    /// The inputs that reproduce `suspect`'s kind on fresh instances (a majority of tries), with
    /// the judgement of one that did and how many of the tries failed; nil inputs when neither
    /// the input alone nor with its history does.
    func confirm(_ suspect: Suspect) -> (inputs: [ContentCase], judgement: ContentJudgement, failed: Int, of: Int)? {
        let tries = max(1, config.confirmationTries)
        var mostFailed = 0
        for inputs in [[suspect.input], suspect.history + [suspect.input]] where !interrupt.isSet {
            if inputs.count == 1 && inputs != [suspect.input] { continue }
            var failed = 0
            var last: ContentJudgement?
            for _ in 0..<tries where !interrupt.isSet {
                guard server.fresh() else { break }
                if let j = judge.judge(inputs), j.kind == suspect.judgement.kind {
                    failed += 1
                    last = j
                }
            }
            mostFailed = max(mostFailed, failed)
            if failed * 2 > tries, let last { return (inputs, last, failed, tries) }
            if suspect.history.isEmpty { break }
        }
        return nil
    }

    /// Shrinks (when `confirmed`), replays and writes the finding.
    func record(_ suspect: Suspect, confirmed: (inputs: [ContentCase], judgement: ContentJudgement)?,
                unconfirmedReason: String?) -> FuzzFinding {
        let started = Sys.monotonicNanos()
        let original = confirmed ?? (suspect.history.suffix(config.historyLength) + [suspect.input], suspect.judgement)
        var best = original
        var steps = 0
        var attempts = 0
        if confirmed != nil && !interrupt.isSet {
            let kind = suspect.judgement.kind
            let shrinker = ContentShrinker(
                maxAttempts: config.shrinkAttempts,
                deadlineNanos: started &+ UInt64(config.shrinkSeconds * 1e9),
                reproduces: { candidate in
                    guard self.server.fresh(), let j = self.judge.judge(candidate), j.kind == kind else { return nil }
                    return j
                },
                simplifications: simplifications,
                interrupted: { self.interrupt.isSet })
            let outcome = shrinker.shrink(original.inputs, original.judgement)
            best = (outcome.inputs, outcome.judgement)
            steps = outcome.steps
            attempts = outcome.attempts
        }
        let requestsBefore = original.inputs.reduce(0) { $0 + $1.requests.count }
        let requestsAfter = best.inputs.reduce(0) { $0 + $1.requests.count }
        let seconds = Double(Sys.monotonicNanos() - started) / 1e9
        onEvent(.shrunk(from: requestsBefore, to: requestsAfter, steps: steps, attempts: attempts, deadlineNanos: config.hangTimeoutNanos,
                        seconds: seconds))

        let shrinkLine: String
        // Cut off by Ctrl-C or SIGTERM: what shrinking reached so far, said so.
        let shrinkInterrupted = confirmed != nil && interrupt.isSet
        if let unconfirmedReason {
            shrinkLine = "NOT confirmed, NOT shrunk: \(unconfirmedReason)"
        } else if shrinkInterrupted {
            shrinkLine = "NOT shrunk to the end: interrupted after \(steps) steps (\(attempts) candidate runs), from \(requestsBefore) request\(requestsBefore == 1 ? "" : "s") to \(requestsAfter)"
        } else {
            shrinkLine = "shrunk from \(requestsBefore) request\(requestsBefore == 1 ? "" : "s") on \(original.inputs.count) connection\(original.inputs.count == 1 ? "" : "s") "
                + "to \(requestsAfter) on \(best.inputs.count) in \(steps) steps (\(attempts) candidate runs, \(String(format: "%.1f", seconds)) s)"
        }
        var written = (inputs: best.inputs, judgement: best.judgement, shrunk: confirmed != nil && !shrinkInterrupted, summary: shrinkLine)
        var replay = replays(written.inputs, written.judgement, suspect, summary: written.summary, shrunk: written.shrunk)
        onEvent(.replayed(reproduced: replay.count, of: replay.of, shrunk: written.shrunk))
        if confirmed != nil && replay.count == 0 && best.inputs != original.inputs && !interrupt.isSet {
            // The shrunk input does not fail as a file: the original one is written instead.
            written = (original.inputs, original.judgement, false,
                       "NOT shrunk: the input shrinking ended with (\(requestsAfter) requests) reproduced 0 of \(config.replays) replays of its file")
            replay = replays(written.inputs, written.judgement, suspect, summary: written.summary, shrunk: false)
            onEvent(.replayed(reproduced: replay.count, of: replay.of, shrunk: false))
        }
        let commands = ContentScenario.commands(written.inputs, written.judgement, config)
        let header = header(suspect, written.inputs, written.judgement, summary: written.summary, shrunk: written.shrunk,
                            verdict: ReplayVerdict(reproduced: replay.count, of: replay.of, interrupted: interrupt.isSet,
                                                   canReplay: canReplay(written.judgement.kind)))
        let text = ContentScenario.text(commands, header: header)
        let name = fileName(suspect.run)
        var failure = replay.first ?? RunFailure(at: SourceLocation(file: name, line: header.count + commands.count, column: 1),
                                                 statement: commands.last?.rendered ?? "", expected: "the server to keep serving",
                                                 seen: written.judgement.seen, seed: config.seed, kind: written.judgement.kind)
        failure.file = name
        let saved = FindingFile.record(text, directory: config.outDirectory, name: name, onEvent: onEvent)
        let verdict = ReplayVerdict(reproduced: replay.count, of: replay.of, interrupted: interrupt.isSet, canReplay: canReplay(written.judgement.kind))
        var finding = FuzzFinding(run: suspect.run, runSeed: config.seed, kind: suspect.judgement.kind,
                                  signature: suspect.judgement.kind.description, failure: failure,
                                  originalOperations: requestsBefore, shrunkOperations: written.inputs.reduce(0) { $0 + $1.requests.count },
                                  shrunkCommands: commands.count, shrinkSteps: steps, shrinkAttempts: attempts,
                                  shrinkDeadlineNanos: config.hangTimeoutNanos, shrunk: written.shrunk, reproduced: replay.count,
                                  replays: replay.of, scenario: text, scenarioPath: saved.path, notWritten: saved.notWritten)
        finding.replayVerdict = verdict.sentence
        finding.trigger = written.inputs.last?.requests.last.map { FrameText.render($0) }
        finding.confirmed = confirmed != nil
        return finding
    }

    /// A crash or hang of a server nothing can restart cannot be replayed here.
    func canReplay(_ kind: FailureKind) -> Bool {
        server.canRestart || !(kind.check == .crash || kind.check == .hang)
    }

    /// Runs the file `replays` times (a fresh instance each, from its `spawn` line): how many
    /// failed the finding's way, of how many ran, and the first such failure.
    func replays(_ inputs: [ContentCase], _ judgement: ContentJudgement, _ suspect: Suspect, summary: String,
                 shrunk: Bool) -> (count: Int, of: Int, first: RunFailure?) {
        guard canReplay(judgement.kind) else { return (0, 0, nil) }
        let commands = ContentScenario.commands(inputs, judgement, config)
        let header = header(suspect, inputs, judgement, summary: summary, shrunk: shrunk,
                            verdict: ReplayVerdict(reproduced: 0, of: config.replays, interrupted: false, canReplay: true))
        let text = ContentScenario.text(commands, header: header)
        let name = fileName(suspect.run)
        let program: Program
        do { program = try ScenarioParser.parse(source: text, file: name) } catch { return (0, 0, nil) }
        var count = 0
        var ran = 0
        var first: RunFailure?
        for _ in 0..<config.replays where !interrupt.isSet {
            let result = ScenarioRunner.run(program, name: name, configuration: RunConfiguration(), interrupt: interrupt)
            if result.status == .interrupted { break }
            ran += 1
            if let failure = result.failures.first, ContentScenario.replays(judgement.kind, as: failure.kind) {
                count += 1
                first = first ?? failure
            }
        }
        return (count, ran, first)
    }

    func fileName(_ run: Int) -> String {
        "fuzz-content-seed\(config.seed)-run\(run).scn"
    }

    /// The file's header: always the same number of lines, whatever it says.
    func header(_ suspect: Suspect, _ inputs: [ContentCase], _ judgement: ContentJudgement, summary: String, shrunk: Bool,
                verdict: ReplayVerdict) -> [String] {
        let trigger = inputs.last?.requests.last ?? []
        let where_ = "request \(inputs.last?.requests.count ?? 0) of c[\(max(0, inputs.count - 1))]"
        let server = config.spawn.map { "spawn: \($0)" } ?? "target: \(config.target.map(\.description) ?? "?")"
        return [
            shrunk ? "sockfuzz fuzz: a minimal input that fails; `sockfuzz run` on this file replays it."
                : "sockfuzz fuzz: a failing input, NOT shrunk; `sockfuzz run` on this file replays it.",
            "kind: \(judgement.kind)",
            "seen: \(judgement.seen)",
            "trigger: \(where_): \(FrameText.render(trigger, limit: 512))",
            "trigger hex: " + Self.hex(trigger),
            server,
            "seed \(config.seed), run \(suspect.run), framing \(config.framing); mutations: "
                + (suspect.operations.isEmpty ? "none (a seed as given)" : suspect.operations.joined(separator: "; ")),
            summary,
            verdict.sentence,
        ]
    }

    static func hex(_ bytes: [UInt8], limit: Int = 256) -> String {
        let digits = Array("0123456789abcdef")
        let shown = bytes.prefix(limit).map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xf)]]) }.joined(separator: " ")
        return shown + (bytes.count > limit ? " … (\(bytes.count) bytes)" : "")
    }
}

/// What a fresh replay of a finding's file will do, said plainly (every time, most times,
/// sometimes, not at all, or not known).
public struct ReplayVerdict: Sendable, Equatable {
    public var reproduced: Int
    public var of: Int
    public var interrupted: Bool
    public var canReplay: Bool

    public var sentence: String {
        guard canReplay else {
            return "not replayed: the server stopped serving and nothing can start a fresh one (give --spawn); a fresh replay's result is unknown"
        }
        if of == 0 { return "not replayed (interrupted): a fresh replay's result is unknown" }
        let counted = "reproduced \(reproduced) of \(of) replays" + (interrupted ? " before the interrupt" : "")
        switch (reproduced, of) {
        case let (r, n) where r == n: return counted + ": a fresh replay fails every time"
        case let (r, n) where r * 2 > n: return counted + ": a fresh replay fails most times, not always (timing)"
        case (0, _): return counted + ": a fresh replay does not fail; the file shows what failed once"
        default: return counted + ": a fresh replay fails only sometimes (timing)"
        }
    }
}
