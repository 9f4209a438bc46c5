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

// Shares the descriptor table: a fuzz run's server counts only the descriptors connected to its
// own address (`expect server descriptors`), so other tests' sockets do not disturb it. Its
// campaigns are paced by timeouts, not the CPU: they run a few at once (`campaigns`), each on a
// thread of its own, beside the rest of the test run. A case takes its campaign slot first and
// the gate only then, so that cases waiting for a slot do not hold the gate.
@Suite("fuzzer against injected faults and the correct server")
struct FaultDetectionTests {
    /// At most this many campaigns at once: enough to overlap their waiting, few enough that a
    /// 1 s check deadline still means on a loaded 2-core machine what it means alone.
    static let campaigns = Slots(limit: 3)

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
    func findsAndShrinks(_ fault: ServerFault) async throws {
        let campaign = await Self.campaigns.with { await DescriptorGate.with(.sockets) { await OffThread.run { Self.findAndReplay(fault) } } }
        let found = try #require(campaign.finding, "\(fault.rawValue) not found: \(campaign.tried.joined(separator: ", "))")
        print("\(fault.rawValue): found in run \(found.run) (\(campaign.tried.joined(separator: ", "))), shrunk to \(found.shrunkOperations) operations / "
              + "\(found.shrunkCommands) commands in \(found.shrinkAttempts) candidate runs, \(found.reproduced) of \(found.replays) replays, "
              + "\(campaign.seconds) s")
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
        let text = try #require(campaign.file, "no file written: \(String(describing: found.scenarioPath))")
        #expect(text.contains("fault=\(fault.rawValue)"))
        #expect(text.hasPrefix("# sockfuzz fuzz: a minimal program that fails"))
        #expect(text.contains("against epoll fault=\(fault.rawValue)"), "the mode and the fault are on top")
        #expect(text.contains("seed \(found.runSeed)\n"), "the file seeds its random payloads as the run did")
        #expect(campaign.replayed == found.signature, "replay of the file gave \(campaign.replayed ?? "no failure")\n\(text)")
    }

    /// What one fault's campaign found, the file it wrote, and what replaying that file gave.
    struct Campaign: Sendable {
        var finding: FuzzFinding?
        var tried: [String] = []
        var seconds = 0
        var file: String?
        var replayed: String?
    }

    /// Fuzzes the server with `fault` over the seeds until a finding, then replays its file as
    /// `sockfuzz run FILE` does (timing bugs: any of five runs; the shrinker only keeps
    /// candidates that fail in two runs of three). Blocking: run it off the test's thread.
    static func findAndReplay(_ fault: ServerFault) -> Campaign {
        _ = Sys.raiseOpenFileLimit()
        let out = NSTemporaryDirectory() + "sockfuzz-fuzz-\(fault.rawValue)-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var campaign = Campaign()
        let started = Date()
        for seed in Self.seeds where campaign.finding == nil {
            var config = Self.configuration(fault, out: out)
            config.seed = seed
            config.runs = Self.runsPerSeed
            let summary = Fuzzer.run(config)
            campaign.tried.append("seed \(seed): \(summary.runs) runs")
            campaign.finding = summary.finding
        }
        campaign.seconds = Int(Date().timeIntervalSince(started))
        guard let path = campaign.finding?.scenarioPath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return campaign }
        campaign.file = text
        let program: Program
        do { program = try ScenarioParser.parseFile(path) } catch {
            campaign.replayed = "the file does not parse: \(error)"
            return campaign
        }
        for _ in 0..<5 where campaign.replayed != campaign.finding?.signature {
            let result = ScenarioRunner.run(program, name: path, configuration: RunConfiguration())
            if let failure = result.failures.first {
                campaign.replayed = FailureSignature(failure, command: Fuzzer.command(at: failure.line, in: program.statements)).description
            }
        }
        return campaign
    }

    /// Runs per mode on the correct server: 100 in the long run (SOCKFUZZ_LONG=1), 25 here.
    static let correctRuns = LongRun.pick(25, long: 100)

    @Test("the correct server passes fuzz runs in every mode (no false alarms; hundreds in the long run)",
          arguments: ServerDesigns.all)
    func noFalseAlarms(_ mode: BackendKind) async {
        let summary = await Self.campaigns.with { await DescriptorGate.with(.sockets) { await OffThread.run { Self.correctServerCampaign(mode) } } }
        #expect(summary.runs == Self.correctRuns)
        #expect(summary.finding == nil, "\(mode): \(summary.finding?.scenario ?? "")")
    }

    static func correctServerCampaign(_ mode: BackendKind) -> FuzzSummary {
        _ = Sys.raiseOpenFileLimit()
        var config = Self.configuration(nil, mode: mode, out: nil)
        config.seed = 1
        config.runs = Self.correctRuns
        // Every check waits its whole 5 s deadline before failing: the 2 s stall cut-off is a
        // speed-up for finding faults, and with the suite's other half running beside this one
        // a correct server's close once waited longer than 2 s for the CPU (0 of 5 replays failed).
        config.stallNanos = config.timeoutNanos
        return Fuzzer.run(config)
    }
}
