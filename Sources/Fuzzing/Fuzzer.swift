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
    /// Deadline of every check in the generated programs.
    public var timeoutNanos: UInt64 = 2_000_000_000
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
                    originalOperations: outcome.applied, shrunkOperations: outcome.applied, shrinkSteps: 0,
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
    }

    /// Compiles `ops` into scenario text, parses it back (so what runs is what a file replays)
    /// and runs it once.
    static func execute(_ ops: [FuzzOp], runSeed: UInt64, _ config: FuzzConfiguration,
                        interrupt: InterruptFlag, name: String, header: [String] = []) -> Execution {
        let (text, applied) = scenarioText(ops, runSeed: runSeed, config, header: header)
        let program: Program
        do {
            program = try ScenarioParser.parse(source: text, file: name)
        } catch {
            // The compiler only writes valid programs; reaching this is a sockfuzz bug.
            preconditionFailure("fuzz program does not parse: \(error)\n\(text)")
        }
        let result = ScenarioRunner.run(program, name: name, configuration: RunConfiguration(), interrupt: interrupt)
        var signature: FailureSignature?
        if let failure = result.failures.first {
            signature = FailureSignature(failure, command: command(at: failure.line, in: program.statements))
        }
        return Execution(result: result, signature: signature, applied: applied, text: text)
    }

    static func command(at line: Int, in statements: [Statement]) -> Command? {
        statements.first { $0.location.line == line }?.command
    }

    /// The scenario a fuzz program becomes: seed, deadline, server (or target), then the body.
    public static func scenarioText(_ ops: [FuzzOp], runSeed: UInt64, _ config: FuzzConfiguration,
                                    header: [String] = []) -> (text: String, applied: Int) {
        let settings = CompileSettings(oracle: config.oracle, embedded: config.target == nil,
                                       maxConnections: config.generator.maxConnections)
        let (body, applied) = ProgramCompiler.compile(ops, settings)
        var lines = header.map { "# " + $0 }
        var prologue: [Command] = [.seed(runSeed), .setTimeout(ScenarioDuration(nanoseconds: Int64(config.timeoutNanos)))]
        if let target = config.target {
            prologue.append(.target(host: target.host, port: target.port))
        } else {
            let mode = ScenarioLanguage.ServerMode(rawValue: config.mode.rawValue)!
            prologue.append(.serverStart(ScenarioLanguage.ServerOptions(mode: mode, fault: config.fault?.rawValue)))
        }
        lines += (prologue + body).map(\.rendered)
        return (lines.joined(separator: "\n") + "\n", applied)
    }

    private static func shrinkAndWrite(_ ops: [FuzzOp], runSeed: UInt64, run: Int, signature: FailureSignature,
                                       _ config: FuzzConfiguration, interrupt: InterruptFlag,
                                       onEvent: (FuzzEvent) -> Void) -> FuzzFinding? {
        let deadline = Sys.monotonicNanos() &+ UInt64(config.shrinkSeconds * 1e9)
        // Timing bugs (a stranded read, a stall) do not fail every time: a candidate counts as
        // reproducing if any of a few runs fails the same way.
        let shrinker = Shrinker(maxAttempts: config.shrinkAttempts, deadlineNanos: deadline, reproduces: { candidate in
            for _ in 0..<config.reproductionTries {
                let attempt = execute(candidate, runSeed: runSeed, config, interrupt: interrupt, name: "shrink.scn")
                if attempt.signature == signature { return true }
                if interrupt.isSet { return false }
            }
            return false
        }, interrupted: { interrupt.isSet })
        let outcome = shrinker.shrink(ops, now: Sys.monotonicNanos)
        let original = ProgramCompiler.compile(ops, CompileSettings(maxConnections: config.generator.maxConnections)).applied
        // One more run of the minimal program, for the failure text its file will carry.
        var final = execute(outcome.ops, runSeed: runSeed, config, interrupt: interrupt, name: "minimal.scn")
        for _ in 1..<max(1, config.reproductionTries) where final.signature != signature {
            final = execute(outcome.ops, runSeed: runSeed, config, interrupt: interrupt, name: "minimal.scn")
        }
        guard let failure = final.result.failures.first else { return nil }
        onEvent(.shrunk(from: original, to: final.applied, steps: outcome.steps, attempts: outcome.attempts))
        let fileName = "fuzz-\(config.target == nil ? config.mode.rawValue : "target")-seed\(config.seed)-run\(run).scn"
        var header = [
            "sockfuzz fuzz: a minimal program that fails; `sockfuzz run` on this file replays it.",
            "seed \(config.seed), run \(run), against \(config.against)",
            "failure: \(signature): \(failure.expected)",
            "seen: \(failure.seen)",
            "shrunk from \(original) to \(final.applied) operations in \(outcome.steps) steps (\(outcome.attempts) runs\(outcome.exhaustedBudget ? ", budget exhausted" : ""))",
        ]
        header = header.map { $0.replacingOccurrences(of: "\n", with: " ") }
        var path: String?
        // Parse the final text once more under its real file name so the reported line is the file's.
        var named = execute(outcome.ops, runSeed: runSeed, config, interrupt: interrupt, name: fileName, header: header)
        for _ in 1..<max(1, config.reproductionTries) where named.signature != signature {
            named = execute(outcome.ops, runSeed: runSeed, config, interrupt: interrupt, name: fileName, header: header)
        }
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
        let reported = named.result.failures.first ?? failure
        return FuzzFinding(run: run, runSeed: runSeed, signature: (named.signature ?? signature).description,
                           failure: reported, originalOperations: original, shrunkOperations: final.applied,
                           shrinkSteps: outcome.steps, shrinkAttempts: outcome.attempts, scenario: named.text,
                           scenarioPath: path)
    }
}
