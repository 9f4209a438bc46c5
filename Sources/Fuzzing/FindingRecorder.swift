// What happens to a failure the fuzzer finds: it is confirmed (rerun at the learned deadline),
// shrunk (candidates count only when they fail the same way as often as the original did),
// replayed at the file's own generous deadline and pauses between a request's pieces, and
// written with a header saying how often it reproduced. Every finding is written: when the
// shrunk program does not reproduce, the original failing program is.

import ScenarioLanguage
import ScenarioRunner
import Syscalls

final class FindingRecorder {
    /// The session's configuration, with a request's pieces kept apart (confirmingPieceGapFloorMillis,
    /// then writtenPieceGapFloorMillis for the file); shrinking may change its receive buffer.
    private(set) var config: FuzzConfiguration
    let run: Int
    let runSeed: UInt64
    let signature: FailureSignature
    let interrupt: InterruptFlag
    let onEvent: (FuzzEvent) -> Void
    /// Set when a candidate did not parse (the fuzzer's own bug); the finding is still written.
    private(set) var internalError: String?

    init(config: FuzzConfiguration, run: Int, runSeed: UInt64, signature: FailureSignature,
         interrupt: InterruptFlag, onEvent: @escaping (FuzzEvent) -> Void) {
        self.config = config
        self.config.pieceGapFloorMillis = max(config.pieceGapFloorMillis, config.confirmingPieceGapFloorMillis)
        self.run = run
        self.runSeed = runSeed
        self.signature = signature
        self.interrupt = interrupt
        self.onEvent = onEvent
    }

    var fileName: String {
        "fuzz-\(config.target == nil ? config.mode.rawValue : "target")-seed\(config.seed)-run\(run).scn"
    }

    /// The settings a failure reproduces under, each with how many of `reproductionTries` runs
    /// failed the same way: only those where that is a majority. Empty means the failure was
    /// luck of timing that the same program does not show again (see `Fuzzer.run`).
    struct Confirmation {
        var settings: [(config: FuzzConfiguration, failed: Int)]
        var learnedNanos: UInt64
        /// The most reruns that failed the same way under any setting, of `tries`.
        var mostFailed: Int
        var tries: Int
        var isConfirmed: Bool { !settings.isEmpty }
    }

    /// Reruns the failing program at the learned deadline. A timing failure that showed by luck
    /// with the session's receive buffer may show every time with a smaller one (close-before-
    /// flush does: the client then drains an echo slower than the server reads it), and another
    /// (stall-slow-reader) shrinks to a more reliable program with the larger one. So it is tried
    /// with each; the more reliable setting comes first.
    func confirm(_ ops: [FuzzOp], deadline learnedNanos: UInt64) -> Confirmation {
        var fast = config
        fast.timeoutNanos = learnedNanos
        let majority = max(1, config.reproductionTries) / 2 + 1
        var tried = [(config: fast, failed: failures(ops, fast))]
        if let current = config.receiveBufferSize, current != Self.smallReceiveBuffer, !interrupt.isSet {
            var small = fast
            small.receiveBufferSize = Self.smallReceiveBuffer
            let failed = failures(ops, small)
            if failed > tried[0].failed { tried.insert((small, failed), at: 0) } else { tried.append((small, failed)) }
        }
        return Confirmation(settings: tried.filter { $0.failed >= majority }, learnedNanos: learnedNanos,
                            mostFailed: tried.map(\.failed).max() ?? 0, tries: max(1, config.reproductionTries))
    }

    /// Shrinks under each confirmed setting (none: the original program is written, unshrunk),
    /// replays and writes the finding.
    func record(_ ops: [FuzzOp], original: Fuzzer.Execution, confirmation: Confirmation) -> FuzzFinding {
        let started = Sys.monotonicNanos()
        let stopAt = started &+ UInt64(config.shrinkSeconds * 1e9)
        let learnedNanos = confirmation.learnedNanos
        let tried = confirmation.settings
        var best: Shrunk?
        var attempts = 0
        for (index, setting) in tried.enumerated() where !interrupt.isSet {
            let now = Sys.monotonicNanos()
            let until = index == tried.count - 1 || now >= stopAt ? stopAt : now + (stopAt - now) / 2
            let result = shrink(ops, setting.config, needed: setting.failed, until: until)
            attempts += result.attempts
            if best == nil || result.commands < best!.commands {
                best = result
                config.receiveBufferSize = setting.config.receiveBufferSize
            }
        }
        let items = best?.items ?? original.items
        let steps = best?.steps ?? 0
        let settings = Fuzzer.compileSettings(config)
        let body = ProgramCompiler.render(items, settings)
        // What is left to do (not to check): the operations of the minimal program.
        let applied = body.filter { !$0.isExpectation }.count
        let originalApplied = original.applied
        onEvent(.shrunk(from: originalApplied, to: applied, steps: steps, attempts: attempts, deadlineNanos: learnedNanos,
                        seconds: Double(Sys.monotonicNanos() - started) / 1e9))

        // 3. Replays at the file's own deadline and pauses, under its name and with a header of
        // the same length, so a reported line is the file's line.
        config.pieceGapFloorMillis = max(config.pieceGapFloorMillis, config.writtenPieceGapFloorMillis)
        let shrinkLine = "shrunk from \(originalApplied) operations to \(applied) (\(body.count) commands with the checks) in \(steps) steps (\(attempts) candidate runs, deadline \(ScenarioDuration(nanoseconds: Int64(learnedNanos))))"
        // Cut off by Ctrl-C or SIGTERM while shrinking: what it reached so far, said so.
        let shrinkInterrupted = interrupt.isSet
        var written = shrinkInterrupted
            ? Written(items: items, shrunk: false, commands: body.count, operations: applied,
                      summary: "NOT shrunk to the end: interrupted after \(steps) steps (\(attempts) candidate runs), from \(originalApplied) operations to \(applied)")
            : best != nil
            ? Written(items: items, shrunk: true, commands: body.count, operations: applied, summary: shrinkLine)
            : Written(items: items, shrunk: false, commands: body.count, operations: applied,
                      summary: "not shrunk: it failed the same way in fewer than \(config.reproductionTries / 2 + 1) of \(config.reproductionTries) runs at the shrinking deadline")
        var replay = replays(items, header: header(written, original.result.failures[0], reproduced: 0))
        onEvent(.replayed(reproduced: replay.count, of: replay.ran, shrunk: written.shrunk))
        if replay.count == 0 && items != original.items && !interrupt.isSet {
            // The shrunk program does not fail at the file's deadline: the original one is
            // written instead, and the header says why.
            let originalBody = ProgramCompiler.render(original.items, settings)
            written = Written(items: original.items, shrunk: false, commands: originalBody.count, operations: original.applied,
                              summary: "not shrunk: the program shrinking ended with (\(applied) operations) reproduced 0 of \(config.replays) replays at the file's deadline")
            replay = replays(original.items, header: header(written, original.result.failures[0], reproduced: 0))
            onEvent(.replayed(reproduced: replay.count, of: replay.ran, shrunk: false))
        }
        // The failure the finding reports: a replay's, else the fuzz run's, moved below the header.
        let headerLines = header(written, original.result.failures[0], reproduced: 0).count
        var failure = replay.first?.result.failures.first ?? original.result.failures[0]
        if replay.first == nil {
            failure.line += headerLines
            failure.file = fileName
        }
        let headerText = header(written, failure, reproduced: replay.count, ran: replay.ran)
        let text = Fuzzer.scenarioText(written.items, runSeed: runSeed, config, header: headerText)

        let saved = FindingFile.record(text, directory: config.outDirectory, name: fileName, onEvent: onEvent)
        return FuzzFinding(run: run, runSeed: runSeed, kind: signature.kind, signature: signature.description, failure: failure,
                           originalOperations: originalApplied, shrunkOperations: written.operations,
                           shrunkCommands: written.commands, shrinkSteps: steps, shrinkAttempts: attempts,
                           shrinkDeadlineNanos: learnedNanos, shrunk: written.shrunk, reproduced: replay.count,
                           replays: replay.ran, scenario: text, scenarioPath: saved.path, notWritten: saved.notWritten)
    }

    /// The result of shrinking under one setting.
    struct Shrunk {
        var items: [CompiledItem]
        var steps: Int
        var attempts: Int
        var commands: Int
    }

    /// Shrinks `ops` with candidates run under `settings`. A candidate must fail the same way
    /// in `needed` tries: as often as the original did, and only settings where that is a
    /// majority are shrunk in (a bar of one in three lets shrinking drift to programs that
    /// rarely fail).
    func shrink(_ ops: [FuzzOp], _ settings: FuzzConfiguration, needed: Int, until stopAt: UInt64) -> Shrunk {
        // 1. Fewer and smaller operations. A second pass retries what the first could not
        // remove: a timing failure that hid in one try of a candidate gets another chance.
        var shrunkOps = ops
        var steps = 0
        var attempts = 0
        for _ in 0..<2 where !interrupt.isSet {
            let shrinker = Shrinker(maxAttempts: config.shrinkAttempts - attempts, deadlineNanos: stopAt, reproduces: { candidate in
                self.reproduces(needed: needed) { () throws(UnparsableProgram) in
                    try Fuzzer.execute(candidate, runSeed: self.runSeed, settings, interrupt: self.interrupt, name: "shrink.scn")
                } != nil
            }, interrupted: { self.interrupt.isSet })
            let outcome = shrinker.shrink(shrunkOps, now: Sys.monotonicNanos)
            steps += outcome.steps
            attempts += outcome.attempts
            let changed = outcome.ops != shrunkOps
            shrunkOps = outcome.ops
            if !changed || outcome.exhaustedBudget { break }
        }
        var (items, applied) = ProgramCompiler.compile(shrunkOps, Fuzzer.compileSettings(settings))

        // 2. Fewer checks: the model's checks that this failure does not need. Only checks and
        // probes go: dropping an operation here (a close, a resume) could turn a genuine failure
        // into one the program itself causes, with the same signature.
        var i = 0
        while i < items.count && attempts < config.shrinkAttempts * 2 && Sys.monotonicNanos() < stopAt && !interrupt.isSet {
            // Without a reply check the next check on that connection would read the wrong reply,
            // a failure of the program's own making with the same signature.
            if !items[i].isDroppableCheck {
                i += 1
                continue
            }
            var candidate = items
            candidate.remove(at: i)
            attempts += 1
            let reproduced = reproduces(needed: needed) { () throws(UnparsableProgram) in
                try Fuzzer.execute(items: candidate, applied: applied, runSeed: self.runSeed, settings,
                                   interrupt: self.interrupt, name: "trim.scn")
            }
            if reproduced != nil {
                items = candidate
                steps += 1
            } else {
                i += 1
            }
        }
        return Shrunk(items: items, steps: steps, attempts: attempts,
                      commands: ProgramCompiler.render(items, Fuzzer.compileSettings(settings)).count)
    }

    /// The program a finding's file holds.
    struct Written {
        var items: [CompiledItem]
        var shrunk: Bool
        var commands: Int
        var operations: Int
        var summary: String
    }

    /// The file's header: always the same number of lines, whatever it says.
    /// `ran`: the replays that ran (fewer than `config.replays` when interrupted); nil while the
    /// file is being replayed (the line is the same length whatever it says).
    func header(_ written: Written, _ failure: RunFailure, reproduced: Int, ran: Int? = nil) -> [String] {
        let verdict = ReplayVerdict(reproduced: reproduced, of: ran ?? config.replays, interrupted: interrupt.isSet, canReplay: true)
        return [
            written.shrunk
                ? "sockfuzz fuzz: a minimal program that fails; `sockfuzz run` on this file replays it."
                : "sockfuzz fuzz: a failing program, NOT shrunk; `sockfuzz run` on this file replays it.",
            "seed \(config.seed), run \(run), against \(config.against)",
            "failure: \(signature): \(failure.expected)",
            "seen: \(failure.seen)",
            written.summary,
            verdict.sentence + " (check deadline \(ScenarioDuration(nanoseconds: Int64(config.timeoutNanos))))",
        ].map { $0.replacingOccurrences(of: "\n", with: " ") }
    }

    /// Runs `items` as the file would `config.replays` times: how many failed the same way,
    /// and the first that did.
    func replays(_ items: [CompiledItem], header: [String]) -> (count: Int, first: Fuzzer.Execution?, ran: Int) {
        var count = 0
        var ran = 0
        var first: Fuzzer.Execution?
        for _ in 0..<config.replays where !interrupt.isSet {
            let execution: Fuzzer.Execution
            do {
                execution = try Fuzzer.execute(items: items, applied: 0, runSeed: runSeed, config, interrupt: interrupt,
                                               name: fileName, header: header)
            } catch {
                internalError = internalError ?? error.description
                break
            }
            // A replay the interrupt cut short neither failed nor passed: it did not run.
            if interrupt.isSet { break }
            ran += 1
            if execution.signature == signature {
                count += 1
                first = first ?? execution
            }
        }
        return (count, first, ran)
    }

    /// Runs a candidate up to `config.reproductionTries` times: its last failing run once
    /// `needed` of them failed the same way, else nil (as soon as that is out of reach).
    /// Timing bugs do not fail every time; requiring as many failures as the original program
    /// gave (see `confirm`) keeps shrinking from drifting toward programs that fail less
    /// reliably than it did, and the learned deadline keeps the tries cheap.
    func reproduces(needed: Int, _ candidate: () throws(UnparsableProgram) -> Fuzzer.Execution) -> Fuzzer.Execution? {
        let tries = max(1, config.reproductionTries)
        var failures = 0
        var last: Fuzzer.Execution?
        for attempt in 0..<tries {
            guard !interrupt.isSet, failures + (tries - attempt) >= needed else { return nil }
            do {
                let execution = try candidate()
                if execution.signature == signature {
                    failures += 1
                    last = execution
                    if failures >= needed { return last }
                }
            } catch {
                internalError = internalError ?? error.description
                return nil
            }
        }
        return nil
    }

    /// How many of `config.reproductionTries` runs of `ops` under `settings` fail the same way.
    func failures(_ ops: [FuzzOp], _ settings: FuzzConfiguration) -> Int {
        var failures = 0
        for _ in 0..<max(1, config.reproductionTries) where !interrupt.isSet {
            do {
                let run = try Fuzzer.execute(ops, runSeed: runSeed, settings, interrupt: interrupt, name: "shrink.scn")
                if run.signature == signature { failures += 1 }
            } catch {
                internalError = internalError ?? error.description
                break
            }
        }
        return failures
    }

    /// The receive buffer a flaky timing failure is retried with before shrinking.
    static let smallReceiveBuffer = 8 * 1024
}
