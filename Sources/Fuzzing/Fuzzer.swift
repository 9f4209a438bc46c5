// The fuzzer: draws programs from one seed, runs each against a fresh server (or the target)
// with the model's checks, and on the first failure shrinks the program and writes the minimal
// one as a scenario file that `sockfuzz run` replays to the same failure.

import ClientEngine
import EmbeddedServer
import Foundation
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls

public struct FuzzConfiguration: Sendable {
    public var seed: UInt64 = 1
    /// Stop after this many runs (nil: only the duration bounds it).
    public var runs: Int? = 100
    /// Stop after this long (nil: only the run count bounds it).
    public var durationNanos: UInt64?
    public var generator = GeneratorSettings()
    /// The embedded server's mode (ignored with a target).
    public var mode: BackendKind = .epoll
    public var fault: ServerFault?
    public var target: SocketAddress?
    public var oracle: FuzzOracle = .echo
    /// SO_RCVBUF of the fuzzer's connections: small, so a paused reader backs the server up
    /// after kilobytes (nil: the kernel's autotuning, tens of megabytes on loopback).
    public var receiveBufferSize: Int? = 64 * 1024
    /// Deadline of every check in the generated programs.
    /// Generous: a passing check returns as soon as it holds, so only failures wait this long,
    /// and a loaded machine must not turn a slow echo of megabytes into a false alarm.
    public var timeoutNanos: UInt64 = 5_000_000_000
    /// Where minimal failing programs are written (nil: not written).
    public var outDirectory: String? = "fuzz-failures"
    public var shrinkAttempts = 300
    /// Runs of one shrink candidate before it counts as not reproducing the failure.
    public var reproductionTries = 3
    public var shrinkSeconds: Double = 120

    public init() {}

    /// The server the runs go to, as reports name it.
    public var against: String {
        if let target { return "target \(target)" }
        var text = mode.rawValue
        if let fault { text += " fault=\(fault.rawValue)" }
        return text
    }
}

public struct FuzzFinding: Sendable, Codable {
    public var run: Int
    public var runSeed: UInt64
    public var signature: String
    public var failure: RunFailure
    public var originalOperations: Int
    public var shrunkOperations: Int
    /// Commands in the minimal scenario's body (after its four-line prologue).
    public var shrunkCommands: Int
    public var shrinkSteps: Int
    public var shrinkAttempts: Int
    /// The minimal scenario, as written.
    public var scenario: String
    public var scenarioPath: String?
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
}

public enum FuzzEvent: Sendable {
    case progress(runs: Int, operations: Int, operationsPerSecond: Double, connections: Int, failures: Int)
    case found(run: Int, failure: RunFailure, signature: String, operations: Int)
    case shrunk(from: Int, to: Int, steps: Int, attempts: Int)
    case wrote(path: String)
}

public enum Fuzzer {
    public static func run(_ config: FuzzConfiguration, interrupt: InterruptFlag = InterruptFlag(),
                           onEvent: @escaping (FuzzEvent) -> Void = { _ in }) -> FuzzSummary {
        let started = Sys.monotonicNanos()
        var summary = FuzzSummary(against: config.against, seed: config.seed, runs: 0, operations: 0,
                                  connections: 0, seconds: 0, interrupted: false, finding: nil)
        var run = 0
        while !interrupt.isSet {
            if let runs = config.runs, run >= runs { break }
            if let d = config.durationNanos, Sys.monotonicNanos() - started >= d { break }
            let ops = ProgramGenerator.generate(seed: config.seed, run: run, settings: config.generator)
            var payloadStream = SeededRandom(seed: config.seed).derived(UInt64(run)).derived("payloads")
            let runSeed = payloadStream.next()
            let outcome = execute(ops, runSeed: runSeed, config, interrupt: interrupt, name: "fuzz-run-\(run).scn")
            summary.runs += 1
            summary.operations += outcome.applied
            summary.connections += outcome.result.totals?.connectsStarted ?? 0
            if outcome.result.status == .interrupted { break }
            if let failure = outcome.result.failures.first, let signature = outcome.signature {
                onEvent(.found(run: run, failure: failure, signature: signature.description, operations: outcome.applied))
                summary.finding = shrinkAndWrite(ops, runSeed: runSeed, run: run, signature: signature,
                                                 config, interrupt: interrupt, onEvent: onEvent) ?? FuzzFinding(
                    run: run, runSeed: runSeed, signature: signature.description, failure: failure,
                    originalOperations: outcome.applied, shrunkOperations: outcome.applied,
                    shrunkCommands: outcome.items.count, shrinkSteps: 0,
                    shrinkAttempts: 0, scenario: outcome.text, scenarioPath: nil)
                break
            }
            let elapsed = Double(Sys.monotonicNanos() - started) / 1e9
            onEvent(.progress(runs: summary.runs, operations: summary.operations,
                              operationsPerSecond: elapsed > 0 ? Double(summary.operations) / elapsed : 0,
                              connections: summary.connections, failures: 0))
            run += 1
        }
        summary.interrupted = interrupt.isSet
        summary.seconds = Double(Sys.monotonicNanos() - started) / 1e9
        return summary
    }

    struct Execution {
        var result: ScenarioResult
        var signature: FailureSignature?
        var applied: Int
        var text: String
        var items: [CompiledItem]
    }

    static func compileSettings(_ config: FuzzConfiguration) -> CompileSettings {
        CompileSettings(oracle: config.oracle, embedded: config.target == nil,
                        maxConnections: config.generator.maxConnections)
    }

    /// Compiles `ops` and runs them once.
    static func execute(_ ops: [FuzzOp], runSeed: UInt64, _ config: FuzzConfiguration,
                        interrupt: InterruptFlag, name: String, header: [String] = []) -> Execution {
        let (items, applied) = ProgramCompiler.compile(ops, compileSettings(config))
        return execute(items: items, applied: applied, runSeed: runSeed, config, interrupt: interrupt, name: name, header: header)
    }

    /// Renders `items` as scenario text, parses it back (so what runs is exactly what a file
    /// replays) and runs it once. Text that does not parse (a trimmed probe a later line still
    /// names) runs nothing and reproduces nothing.
    static func execute(items: [CompiledItem], applied: Int, runSeed: UInt64, _ config: FuzzConfiguration,
                        interrupt: InterruptFlag, name: String, header: [String] = []) -> Execution {
        let text = scenarioText(items, runSeed: runSeed, config, header: header)
        guard let program = try? ScenarioParser.parse(source: text, file: name) else {
            let result = ScenarioResult(scenario: name, against: config.against, status: .skipped, seed: runSeed,
                                        durationSeconds: 0, failures: [], note: "does not parse", groups: [],
                                        totals: nil, server: nil)
            return Execution(result: result, signature: nil, applied: applied, text: text, items: items)
        }
        let result = ScenarioRunner.run(program, name: name, configuration: RunConfiguration(), interrupt: interrupt)
        var signature: FailureSignature?
        if let failure = result.failures.first {
            signature = FailureSignature(failure, command: command(at: failure.line, in: program.statements))
        }
        return Execution(result: result, signature: signature, applied: applied, text: text, items: items)
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
        if let size = config.receiveBufferSize { prologue.append(.setReceiveBuffer(ByteSize(bytes: size))) }
        if let target = config.target {
            prologue.append(.target(host: target.host, port: target.port))
        } else {
            prologue.append(.serverStart(ScenarioLanguage.ServerOptions(mode: config.mode, fault: config.fault,
                                                                        queue: ByteSize(bytes: serverQueue(runSeed)))))
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

    /// Whether a candidate fails the same way in most of `tries` runs (two of three): timing
    /// bugs (a stranded read, a stall, a flush race) do not fail every time, and accepting a
    /// candidate that failed once by luck would shrink toward a program that rarely fails.
    /// Returns the last run that failed the same way.
    static func reproduces(_ run: () -> Execution, _ signature: FailureSignature, tries: Int,
                           interrupt: InterruptFlag) -> Execution? {
        let tries = max(1, tries)
        let needed = tries / 2 + 1
        var failures = 0
        var last: Execution?
        for attempt in 0..<tries {
            let execution = run()
            if execution.signature == signature {
                failures += 1
                last = execution
                if failures >= needed { return last }
            }
            if interrupt.isSet || execution.result.status == .skipped { return nil }
            // Stop once the majority is out of reach.
            if failures + (tries - attempt - 1) < needed { return nil }
        }
        return nil
    }

    private static func shrinkAndWrite(_ ops: [FuzzOp], runSeed: UInt64, run: Int, signature: FailureSignature,
                                       _ config: FuzzConfiguration, interrupt: InterruptFlag,
                                       onEvent: (FuzzEvent) -> Void) -> FuzzFinding? {
        let deadline = Sys.monotonicNanos() &+ UInt64(config.shrinkSeconds * 1e9)
        let tries = config.reproductionTries
        // 1. Fewer and smaller operations.
        // The last candidate accepted is the program shrinking ends with: its failing run stands
        // in for the final confirmation if a timing bug does not show again there.
        var lastAccepted: Execution?
        let shrinker = Shrinker(maxAttempts: config.shrinkAttempts, deadlineNanos: deadline, reproduces: { candidate in
            guard let run = reproduces({ execute(candidate, runSeed: runSeed, config, interrupt: interrupt, name: "shrink.scn") },
                                       signature, tries: tries, interrupt: interrupt) else { return false }
            lastAccepted = run
            return true
        }, interrupted: { interrupt.isSet })
        let outcome = shrinker.shrink(ops, now: Sys.monotonicNanos)
        let original = ProgramCompiler.compile(ops, compileSettings(config)).applied
        var (items, applied) = ProgramCompiler.compile(outcome.ops, compileSettings(config))
        _ = applied
        var steps = outcome.steps
        var attempts = outcome.attempts

        // 2. Fewer checks: the model's checks that this failure does not need. Only checks and
        // probes go: dropping an operation here (a close, a resume) could turn a genuine failure
        // into one the program itself causes, with the same signature.
        var i = 0
        while i < items.count && attempts < config.shrinkAttempts * 2 && Sys.monotonicNanos() < deadline && !interrupt.isSet {
            if case .command(let command) = items[i], !command.isExpectation {
                i += 1
                continue
            }
            var candidate = items
            candidate.remove(at: i)
            attempts += 1
            if let run = reproduces({ execute(items: candidate, applied: applied, runSeed: runSeed, config, interrupt: interrupt, name: "trim.scn") },
                                    signature, tries: tries, interrupt: interrupt) {
                lastAccepted = run
                items = candidate
                steps += 1
            } else {
                i += 1
            }
        }

        let fileName = "fuzz-\(config.target == nil ? config.mode.rawValue : "target")-seed\(config.seed)-run\(run).scn"
        // The final run under the file's own name, so the reported line is the file's.
        func finalRun(_ header: [String]) -> Execution? {
            reproduces({ execute(items: items, applied: applied, runSeed: runSeed, config, interrupt: interrupt,
                                 name: fileName, header: header) }, signature, tries: tries, interrupt: interrupt)
        }
        guard let probe = finalRun([]) ?? lastAccepted, let failure = probe.result.failures.first else { return nil }
        let body = ProgramCompiler.render(items, compileSettings(config))
        let commands = body.count
        // What is left to do (not to check): the operations of the minimal program.
        applied = body.filter { !$0.isExpectation }.count
        onEvent(.shrunk(from: original, to: applied, steps: steps, attempts: attempts))
        let header = [
            "sockfuzz fuzz: a minimal program that fails; `sockfuzz run` on this file replays it.",
            "seed \(config.seed), run \(run), against \(config.against)",
            "failure: \(signature): \(failure.expected)",
            "seen: \(failure.seen)",
            "shrunk from \(original) operations to \(applied) (\(commands) commands with the checks) in \(steps) steps (\(attempts) candidate runs)",
        ].map { $0.replacingOccurrences(of: "\n", with: " ") }
        // The file always carries the header; if the timing-dependent failure did not show in
        // this last run, report the probe's (its lines shift by the header's length).
        var named: Execution
        if let run = finalRun(header) {
            named = run
        } else {
            named = probe
            named.text = scenarioText(items, runSeed: runSeed, config, header: header)
            named.result.failures = probe.result.failures.map { failure in
                var shifted = failure
                shifted.line += header.count
                shifted.file = fileName
                return shifted
            }
        }
        var path: String?
        if let dir = config.outDirectory {
            let full = (dir as NSString).appendingPathComponent(fileName)
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try named.text.write(toFile: full, atomically: true, encoding: .utf8)
                path = full
                onEvent(.wrote(path: full))
            } catch {
                path = nil
            }
        }
        return FuzzFinding(run: run, runSeed: runSeed, signature: signature.description,
                           failure: named.result.failures.first ?? failure, originalOperations: original,
                           shrunkOperations: applied, shrunkCommands: commands, shrinkSteps: steps,
                           shrinkAttempts: attempts, scenario: named.text, scenarioPath: path)
    }
}

extension Command {
    /// An `expect` of any kind.
    var isExpectation: Bool {
        switch self {
        case .expectEcho, .expectRecv, .expectMatch, .expectState, .expectServer, .expectLatency, .expectConnected,
             .expectSkip, .expectDrain, .expectReply, .expectReplies:
            return true
        case .seed, .setTimeout, .setConnectTimeout, .setReceiveBuffer, .setFraming, .setShow, .print, .sleep, .include, .repeat,
             .serverStart, .serverStop, .serverStats, .serverMode, .target, .connect, .send, .halfclose,
             .reset, .close, .pause, .resume, .load, .fuzz:
            return false
        }
    }
}
