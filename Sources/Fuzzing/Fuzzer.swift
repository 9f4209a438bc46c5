// The fuzzer: draws programs from one seed, runs each against a fresh server (or the target)
// with the model's checks, and on the first failure shrinks the program and writes the minimal
// one as a scenario file that `sockfuzz run` replays to the same failure.

import EmbeddedServer
import Foundation
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import Vocabulary

public struct FuzzConfiguration: Sendable {
    public var seed: UInt64 = 1
    /// Stop after this many runs (nil: only the duration bounds it).
    public var runs: Int? = 100
    /// This process runs only its share of the runs (every n-th, from run i): the n shares of
    /// `--segment` together run exactly the runs of the whole campaign, seeds and all.
    public var segment: ExecutionSegment = .whole
    /// Stop after this long (nil: only the run count bounds it).
    public var durationNanos: UInt64?
    public var generator = GeneratorSettings()
    /// The embedded server's mode (ignored with a target).
    public var mode: BackendKind = .epoll
    public var fault: ServerFault?
    /// Edge-triggered epoll for the embedded server (mode epoll only), as the scenario's server
    /// was started: a `fuzz` statement fuzzes the server it follows.
    public var edgeTriggered = false
    /// A third-party server, with its host as written (a name): what TLS sends and checks, and
    /// what the written findings' `target` line says, so a replay goes to the same name.
    public var target: Target?
    public var oracle: FuzzOracle = .echo
    /// Every generated connect speaks TLS with these settings, and the embedded server serves
    /// TLS (nil: clear). The written scenarios carry `tls` on their connects and server start.
    public var tls: ClientTLS?
    /// SO_RCVBUF of the fuzzer's connections: small, so a paused reader backs the server up
    /// after kilobytes (nil: the kernel's autotuning, tens of megabytes on loopback). A
    /// finding is also shrunk with 8 KiB (FindingRecorder): some timing failures show every
    /// time only with that.
    public var receiveBufferSize: Int? = 64 * 1024
    /// A check fails once nothing has moved on any connection for this long (`set stall-timeout`),
    /// so a stranded read or a stalled server fails in 2 s instead of the whole deadline: the
    /// runs, the shrinking and the replays of a finding all go faster. Only written when
    /// shorter than the deadline.
    public var stallNanos: UInt64 = 2_000_000_000
    /// Deadline of every check in the generated programs and the written file.
    /// Generous: a passing check returns as soon as it holds, so only failures wait this long,
    /// and a loaded machine must not turn a slow echo of megabytes into a false alarm.
    /// Shrinking runs its candidates with a deadline learned from the round trips instead.
    public var timeoutNanos: UInt64 = 5_000_000_000
    /// The shortest pause between two pieces of one request. The search runs send the pieces as
    /// drawn, back to back too (a server must answer the same whether they arrive in one read or
    /// two); what judges a finding runs them apart (FindingRecorder): the file says the server
    /// reads them apart, and two writes back to back may reach it as one read.
    public var pieceGapFloorMillis = 0
    /// The floor while a finding is confirmed and shrunk: cheap, and no piece back to back.
    public var confirmingPieceGapFloorMillis = 1
    /// The floor in the written file and its replays: a finding is replayed later, in a fresh
    /// process, maybe on a loaded machine where a server not scheduled within a short pause reads
    /// both pieces at once; a shrunk program has only a few pauses to pay for (docs/fuzzing.md, Limits).
    public var writtenPieceGapFloorMillis = 50
    /// Where minimal failing programs are written (nil: not written).
    public var outDirectory: String? = "fuzz-failures"
    public var shrinkAttempts = 300
    /// Runs of one shrink candidate (and of the original, first): a candidate counts as
    /// reproducing when it fails the same way at least as often as the original did.
    public var reproductionTries = 3
    /// Replays of the written file, at its own deadline, counted in its header.
    public var replays = 5
    public var shrinkSeconds: Double = 120
    /// After a failure that its own program does not show again (a majority of reruns pass),
    /// the search goes on for up to this many runs for one that does; only if none turns up is
    /// the unconfirmed one written, unshrunk. So which finding a session reports, and how far it
    /// shrinks, does not depend on the machine's load at one moment.
    public var unconfirmedSearchRuns = 40

    public init() {}

    /// The server the runs go to, as reports name it.
    public var against: String {
        if let target { return "target \(target)" }
        var text = mode.rawValue
        if edgeTriggered && mode == .epoll { text += " edge" }
        if tls != nil { text += " tls" }
        if let fault { text += " fault=\(fault.rawValue)" }
        return text
    }
}

public struct FuzzFinding: Sendable, Codable {
    public var run: Int
    public var runSeed: UInt64
    /// The kind of failure, as the shrinking and replays compared it (`signature` is its text).
    public var kind: FailureKind
    public var signature: String
    public var failure: RunFailure
    public var originalOperations: Int
    public var shrunkOperations: Int
    /// Commands in the written scenario's body (after its four-line prologue).
    public var shrunkCommands: Int
    public var shrinkSteps: Int
    public var shrinkAttempts: Int
    /// The check deadline shrink candidates ran with (learned from the round trips).
    public var shrinkDeadlineNanos: UInt64
    /// False when the file holds the original failing program: the shrunk one did not reproduce.
    public var shrunk: Bool
    /// Replays of the written scenario that failed the same way, of `replays`.
    public var reproduced: Int
    public var replays: Int
    /// The scenario, as written.
    public var scenario: String
    public var scenarioPath: String?
    /// Why it could not be written (nil when it was, or when no directory was asked for).
    public var notWritten: String?
    /// What a fresh replay of the file will do, in words (the header's last line).
    public var replayVerdict: String?
    /// A content finding: the request the failure follows, escaped.
    public var trigger: String?
    /// A content finding: whether it failed again on a fresh instance before it was shrunk
    /// (false: written as it was sent, e.g. a crash with no --spawn to restart the server).
    public var confirmed: Bool?
}

public struct FuzzSummary: Sendable, Codable {
    public var against: String
    public var seed: UInt64
    public var runs: Int
    public var operations: Int
    public var connections: Int
    public var seconds: Double
    public var interrupted: Bool
    public var finding: FuzzFinding?
    /// A bug in the fuzzer itself (a generated program that does not parse): the session
    /// stopped and proved nothing.
    public var internalError: String?
    /// The share of the campaign this was (`--segment`), nil for the whole.
    public var segment: ExecutionSegment?
    /// What makes two summaries shares of one campaign (`sockfuzz fuzz` sets it): every option
    /// but which share it is and where its output goes. Nil in reports written before it was.
    public var campaign: String? = nil
    /// A content campaign's behaviour map, corpus and server restarts (nil for the others).
    public var content: ContentFigures? = nil

    /// A whole campaign that ended before its first run (a duration shorter than one): it
    /// found nothing because it looked at nothing, which is no pass. A share may get no run of
    /// a short campaign: merge judges the whole.
    public var checkedNothing: Bool {
        runs == 0 && finding == nil && internalError == nil && !interrupted && (segment?.isWhole ?? true)
    }
}

public enum FuzzEvent: Sendable {
    case progress(runs: Int, operations: Int, operationsPerSecond: Double, connections: Int, failures: Int)
    case found(run: Int, failure: RunFailure, signature: String, operations: Int)
    /// The failure of `run` failed again in only `failed` of `of` reruns: the search goes on
    /// for up to `searching` runs for one that reproduces.
    case unconfirmed(run: Int, failed: Int, of: Int, searching: Int)
    case shrunk(from: Int, to: Int, steps: Int, attempts: Int, deadlineNanos: UInt64, seconds: Double)
    case replayed(reproduced: Int, of: Int, shrunk: Bool)
    case wrote(path: String)
    case notWritten(reason: String)
    /// A content campaign's progress: inputs run, reply classes and transitions seen so far.
    case contentProgress(runs: Int, perSecond: Double, classes: Int, transitions: Int, corpus: Int, restarts: Int)
    /// A content campaign's run failed: confirming it on a fresh instance comes next.
    case suspected(run: Int, kind: FailureKind, seen: String, requests: Int)
}

/// A program the fuzzer rendered does not parse back: its own bug, never a pass.
struct UnparsableProgram: Error {
    var error: ScenarioError
    var text: String

    var description: String {
        "internal error: a generated program does not parse (\(error.description)); the fuzz run stopped:\n" + text
    }
}

public enum Fuzzer {
    public static func run(_ config: FuzzConfiguration, interrupt: InterruptFlag = InterruptFlag(),
                           onEvent: @escaping (FuzzEvent) -> Void = { _ in }) -> FuzzSummary {
        let started = Sys.monotonicNanos()
        var summary = FuzzSummary(against: config.against, seed: config.seed, runs: 0, operations: 0,
                                  connections: 0, seconds: 0, interrupted: false, finding: nil)
        if !config.segment.isWhole { summary.segment = config.segment }
        var learned = LearnedDeadline()
        var run = config.segment.index
        var unconfirmed: Unconfirmed?
        while !interrupt.isSet {
            if let runs = config.runs, run >= runs { break }
            if let first = unconfirmed, run >= first.run + config.unconfirmedSearchRuns * config.segment.count { break }
            if let d = config.durationNanos, Sys.monotonicNanos() - started >= d { break }
            let ops = ProgramGenerator.generate(seed: config.seed, run: run, settings: config.generator)
            var payloadStream = SeededRandom(seed: config.seed).derived(UInt64(run)).derived("payloads")
            let runSeed = payloadStream.next()
            let outcome: Execution
            do {
                outcome = try execute(ops, runSeed: runSeed, config, interrupt: interrupt, name: runName(config, run))
            } catch {
                summary.internalError = error.description
                break
            }
            summary.runs += 1
            summary.operations += outcome.applied
            summary.connections += outcome.result.totals?.connectsStarted ?? 0
            learned.record(outcome.checkNanos)
            if outcome.result.status == .interrupted { break }
            if let failure = outcome.result.failures.first, let signature = outcome.signature {
                onEvent(.found(run: run, failure: failure, signature: signature.description, operations: outcome.applied))
                let recorder = FindingRecorder(config: config, run: run, runSeed: runSeed, signature: signature,
                                               interrupt: interrupt, onEvent: onEvent)
                let confirmation = recorder.confirm(ops, deadline: learned.deadline(ceiling: config.timeoutNanos))
                if confirmation.isConfirmed || interrupt.isSet {
                    summary.finding = recorder.record(ops, original: outcome, confirmation: confirmation)
                    summary.internalError = recorder.internalError
                    break
                }
                onEvent(.unconfirmed(run: run, failed: confirmation.mostFailed, of: confirmation.tries,
                                     searching: config.unconfirmedSearchRuns))
                if unconfirmed == nil {
                    unconfirmed = Unconfirmed(run: run, ops: ops, outcome: outcome, recorder: recorder, confirmation: confirmation)
                }
            }
            let elapsed = Double(Sys.monotonicNanos() - started) / 1e9
            onEvent(.progress(runs: summary.runs, operations: summary.operations,
                              operationsPerSecond: elapsed > 0 ? Double(summary.operations) / elapsed : 0,
                              connections: summary.connections, failures: unconfirmed == nil ? 0 : 1))
            run += config.segment.count
        }
        if summary.finding == nil, summary.internalError == nil, let first = unconfirmed {
            // No failure that reproduces turned up: the first one is still a failure the
            // server showed, written as it happened (unshrunk) with its replay count.
            summary.finding = first.recorder.record(first.ops, original: first.outcome, confirmation: first.confirmation)
            summary.internalError = first.recorder.internalError
        }
        summary.interrupted = interrupt.isSet
        summary.seconds = Double(Sys.monotonicNanos() - started) / 1e9
        return summary
    }

    /// What a run's failures name as their file: no file of that name exists (only a finding
    /// is written, under its own name).
    static func runName(_ config: FuzzConfiguration, _ run: Int) -> String {
        "<fuzz seed \(config.seed) run \(run)>"
    }

    /// A failure whose own program passed most reruns, kept while the search goes on.
    struct Unconfirmed {
        var run: Int
        var ops: [FuzzOp]
        var outcome: Execution
        var recorder: FindingRecorder
        var confirmation: FindingRecorder.Confirmation
    }

    struct Execution {
        var result: ScenarioResult
        var signature: FailureSignature?
        var applied: Int
        var text: String
        var items: [CompiledItem]
        /// How long each check that held took (see LearnedDeadline).
        var checkNanos: [UInt64]
    }

    static func compileSettings(_ config: FuzzConfiguration) -> CompileSettings {
        CompileSettings(oracle: config.oracle, embedded: config.target == nil,
                        maxConnections: config.generator.maxConnections, tls: config.tls,
                        pieceGapFloorMillis: config.pieceGapFloorMillis)
    }

    /// Compiles `ops` and runs them once.
    static func execute(_ ops: [FuzzOp], runSeed: UInt64, _ config: FuzzConfiguration, interrupt: InterruptFlag,
                        name: String, header: [String] = []) throws(UnparsableProgram) -> Execution {
        let (items, applied) = ProgramCompiler.compile(ops, compileSettings(config))
        return try execute(items: items, applied: applied, runSeed: runSeed, config, interrupt: interrupt, name: name, header: header)
    }

    /// Renders `items` as scenario text, parses it back (so what runs is exactly what a file
    /// replays) and runs it once. Text that does not parse is the fuzzer's own bug: it throws,
    /// and no caller may count it as a pass.
    static func execute(items: [CompiledItem], applied: Int, runSeed: UInt64, _ config: FuzzConfiguration,
                        interrupt: InterruptFlag, name: String, header: [String] = []) throws(UnparsableProgram) -> Execution {
        let text = scenarioText(items, runSeed: runSeed, config, header: header)
        let program: Program
        do {
            program = try ScenarioParser.parse(source: text, file: name)
        } catch {
            throw UnparsableProgram(error: error, text: text)
        }
        var checkNanos: [UInt64] = []
        var last = Sys.monotonicNanos()
        let result = ScenarioRunner.run(program, name: name, configuration: RunConfiguration(), interrupt: interrupt, onEvent: { event in
            // A reply arriving is not a statement's end: it comes in the middle of the check
            // that waits for it, and timing from it would understate that check.
            if case .reply = event { return }
            let now = Sys.monotonicNanos()
            if case .passed = event { checkNanos.append(now &- last) }
            last = now
        })
        var signature: FailureSignature?
        if let failure = result.failures.first {
            signature = FailureSignature(failure, command: command(at: failure.line, in: program.statements))
        }
        return Execution(result: result, signature: signature, applied: applied, text: text, items: items, checkNanos: checkNanos)
    }

    static func command(at line: Int, in statements: [Statement]) -> Command? {
        statements.first { $0.location.line == line }?.command
    }

    /// The scenario a fuzz program becomes: seed, deadline, receive buffer, server (or target),
    /// then the body.
    public static func scenarioText(_ items: [CompiledItem], runSeed: UInt64, _ config: FuzzConfiguration,
                                    header: [String] = []) -> String {
        var lines = header.map { "# " + $0 }
        var prologue: [Command] = [.seed(runSeed), .setTimeout(ScenarioDuration(nanoseconds: Int64(config.timeoutNanos)))]
        if config.stallNanos < config.timeoutNanos {
            prologue.append(.setStallTimeout(ScenarioDuration(nanoseconds: Int64(config.stallNanos))))
        }
        if let size = config.receiveBufferSize { prologue.append(.setReceiveBuffer(ByteSize(bytes: size))) }
        if case .requests(let oracle) = config.oracle { prologue.append(.setFraming(oracle.framing)) }
        if let target = config.target {
            prologue.append(.target(host: target.tlsName, port: target.address.port))
        } else {
            var server = ScenarioLanguage.ServerOptions(mode: config.mode, edgeTriggered: config.edgeTriggered && config.mode == .epoll,
                                                        fault: config.fault, queue: ByteSize(bytes: serverQueue(runSeed)))
            if config.tls != nil { server.tls = ServerTLS() }
            prologue.append(.serverStart(server))
        }
        lines += (prologue + ProgramCompiler.render(items, compileSettings(config))).map(\.rendered)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The embedded server's per-connection queue limit for a run, drawn from its seed: the
    /// server's configuration is fuzzed too. A large queue lets the server read a paused
    /// reader's data and EOF before flushing (where close-before-flush bites every time); a
    /// small one makes it push back early.
    static func serverQueue(_ runSeed: UInt64) -> Int {
        [256 << 10, 1 << 20, 16 << 20][Int(runSeed % 3)]
    }
}

extension Command {
    /// An `expect` that reads whole replies off its connections (later reply checks count on it).
    var consumesReply: Bool { spec.reads == .replies(consumes: true) }

    /// An `expect` of any kind.
    var isExpectation: Bool { spec.kind == .expectation }
}
