// Property, through the binary: a sample of the mutated scenario files that
// ScenarioLanguageTests/MutatedScenarioTests parses in process (same seed, same files) is run
// with `sockfuzz run FILE`. Each run ends within a wall-clock bound with status 0, 1 or 2 (2, a
// located syntax error, for the files that do not parse) and never with a signal or a Swift
// runtime trap. Runs are sequential: a busy-polling server spins a core.

import Foundation
import TestSupport
import ScenarioLanguage
import ScenarioMutations
import Testing

/// What a parsed mutant could cost to run, worst case: every expectation waiting its full
/// deadline. The executed sample keeps to small files (no duration above 3 s, at most 2000
/// connections, a few MiB of traffic) so it finishes in seconds even before the known unbounded
/// cases (years-long `within`/`sleep`, `connect a 20M`, `rate=1/10000h`) are fixed; those are
/// pinned by dedicated tests and still reach the parser in the in-process layer.
private struct RunCost {
    static let longestDuration = ScenarioDuration.seconds(3)
    static let maxConnections = 2_000
    static let maxWaitNanos = 10_000_000_000
    static let maxBytes = 16 << 20

    var connections = 0
    var waitNanos = 0
    var bytes = 0
    /// The deadline of an expect without `within` (the runner's default until `set timeout`).
    var timeout = ScenarioDuration.seconds(5)

    /// Why `program` may run long or touch more than the embedded server, or nil.
    static func excess(of program: Program) -> String? {
        var cost = RunCost()
        if let reason = cost.add(program.statements, times: 1) { return reason }
        if cost.connections > maxConnections { return "\(cost.connections) connections" }
        if cost.waitNanos > maxWaitNanos { return "waits up to \(cost.waitNanos / 1_000_000) ms" }
        if cost.bytes > maxBytes { return "sends up to \(cost.bytes) bytes" }
        return nil
    }

    private mutating func add(_ statements: [Statement], times: Int) -> String? {
        for statement in statements {
            if let reason = add(statement.command, times: times) { return reason }
            guard connections <= Self.maxConnections, waitNanos <= Self.maxWaitNanos, bytes <= Self.maxBytes else { return "too much" }
        }
        return nil
    }

    private mutating func wait(_ duration: ScenarioDuration?, times: Int) -> String? {
        let d = duration ?? timeout
        guard d <= Self.longestDuration else { return "a wait of \(d)" }
        waitNanos = Self.sum(waitNanos, Self.product(Int(d.nanoseconds), times))
        return nil
    }

    private mutating func add(_ command: Command, times: Int) -> String? {
        switch command {
        case .seed, .segment, .print, .serverStop, .serverStats, .serverMode, .halfclose, .reset, .close, .pause, .resume, .setStallTimeout,
             .setReceiveBuffer, .setFraming, .setShow:
            return nil
        case .setTimeout(let d):
            timeout = d
            return d <= Self.longestDuration ? nil : "set timeout \(d)"
        case .setConnectTimeout(let d):
            return d <= Self.longestDuration ? nil : "set connect-timeout \(d)"
        case .sleep(let d):
            return wait(d, times: times)
        case .include(_, let body):
            return add(body, times: times)
        case .repeat(let count, let body):
            guard count <= Self.maxConnections else { return "repeat \(count)" }
            return add(body, times: Self.product(times, count))
        case .serverStart(let options):
            // Bind port 0 on loopback only.
            guard options.port ?? 0 == 0, options.host ?? "127.0.0.1" == "127.0.0.1" else { return "server on a fixed port or host" }
            return nil
        case .target:
            return "a third-party target"
        case .proxy(_, .start(let listen, let upstream, _, _)):
            return listen == nil && upstream == nil ? nil : "a proxy on a fixed address"
        case .proxy, .toxic:
            return nil
        case .spawn:
            return "a spawned process"
        case .connect(_, let count, let rate, let timeout, _, _):
            guard count <= Self.maxConnections else { return "connect \(count)" }
            connections = Self.sum(connections, Self.product(count, times))
            if let timeout, timeout > Self.longestDuration { return "connect timeout \(timeout)" }
            guard let rate else { return nil }
            guard rate.count > 0, rate.per <= Self.longestDuration else { return "rate \(rate)" }
            let (span, overflow) = (rate.per.nanoseconds / Int64(rate.count)).multipliedReportingOverflow(by: Int64(count))
            return overflow ? "rate \(rate)" : wait(ScenarioDuration(nanoseconds: span), times: times)
        case .send(_, let payload):
            switch payload {
            case .text(let b), .hex(let b): bytes = Self.sum(bytes, Self.product(b.count, max(connections, 1), times))
            case .template(let t): bytes = Self.sum(bytes, Self.product(t.literalBytes?.count ?? 4096, max(connections, 1), times))
            case .file: break
            case .pieces(_, let chunks, let gaps):
                let pause = Self.product(Int(gaps?.upperBound.nanoseconds ?? 0), chunks.upperBound)
                return wait(ScenarioDuration(nanoseconds: Int64(pause)), times: times)
            case .random(let sizes, let chunks, let gaps):
                bytes = Self.sum(bytes, Self.product(sizes.upperBound.bytes, max(connections, 1), times))
                let pause = Self.product(Int(gaps?.upperBound.nanoseconds ?? 0), chunks?.upperBound ?? 1)
                return wait(ScenarioDuration(nanoseconds: Int64(pause)), times: times)
            }
            return nil
        case .expectEcho(_, let within), .expectRecv(_, _, let within), .expectMatch(_, _, let within),
             .expectState(_, _, let within), .expectServer(_, _, _, let within), .expectConnected(_, _, _, let within),
             .expectSkip(_, _, let within), .expectReply(_, _, let within), .expectReplies(_, _, let within), .expectNoReply(_, let within),
             .expectTLS(_, _, let within), .expectAlive(_, _, let within):
            return wait(within, times: times)
        case .expectLatency, .expectDrain:
            return nil
        case .load(_, let spec):
            // The parser bounds depth (65536) and rate (10^8/s), but 1000 connections at depth
            // 65536 still run 28 s for `duration=1s` (reported with this test): kept to counts.
            switch spec.pacing {
            case .depth(let d) where d > Self.maxConnections: return "load depth \(d)"
            case .rate(let r) where r.perSecond > 100_000: return "load rate \(r)"
            default: break
            }
            guard spec.size.bytes <= 64 << 10 else { return "load size \(spec.size)" }
            return wait(spec.duration, times: times) ?? wait(spec.warmup ?? .zero, times: times)
        case .fuzz(let spec):
            // The runner's defaults are not small; only explicit, tiny fuzz runs are executed.
            guard let runs = spec.runs, let duration = spec.duration, runs <= 3, (spec.connections ?? .max) <= 16
            else { return "fuzz with default or large settings" }
            return wait(ScenarioDuration(nanoseconds: Int64(Self.product(Int(duration.nanoseconds), runs))), times: times)
        }
    }

    // Saturating: a mutant's numbers reach 2^63, and a cost only needs to be known as too large.
    private static func product(_ factors: Int...) -> Int {
        factors.reduce(1) { a, b in
            let (p, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? .max : p
        }
    }

    private static func sum(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : s
    }
}

private struct Sample {
    var parsing: [MutatedScenario] = []
    var failing: [MutatedScenario] = []
}

/// The first mutants (in index order) that parse and are cheap to run, at most 4 from any one
/// whole scenario and 1 from any one-command example (so most traffic comes from real scenarios),
/// and the first ones that do not parse, one per corpus entry.
private func sample(_ mutator: ScenarioMutator, parsing: Int, failing: Int) -> Sample {
    var sample = Sample()
    var taken: [Int: Int] = [:]
    var failed: Set<Int> = []
    for index in 0..<10_000 where sample.parsing.count < parsing || sample.failing.count < failing {
        let file = mutator.file(index)
        // As `sockfuzz run` reads it: strict UTF-8, includes resolved next to a file that has no neighbours.
        let program = try? ScenarioParser.parseFile("mutant.scn") { path in
            guard path == "mutant.scn", let text = String(validating: file.bytes, as: UTF8.self) else { throw CocoaError(.fileNoSuchFile) }
            return text
        }
        if let program {
            let perBase = (Lexer.lines(of: mutator.corpus[file.base]).count > 4 ? 4 : 1) * max(1, parsing / 50)
            guard sample.parsing.count < parsing, taken[file.base, default: 0] < perBase, RunCost.excess(of: program) == nil
            else { continue }
            taken[file.base, default: 0] += 1
            sample.parsing.append(file)
        } else if sample.failing.count < failing, failed.insert(file.base).inserted {
            sample.failing.append(file)
        }
    }
    return sample
}

/// Signs that the binary trapped or crashed instead of reporting.
private let trapMarkers = ["Fatal error", "Swift runtime failure", "Program crashed", "Illegal instruction", "Segmentation fault"]

@Suite("Mutated scenario files through the binary", .childSlot, .serialized)
struct MutatedScenarioRunTests {
    static let seed: UInt64 = 0x5CE7_A210  // MutatedScenarioTests.seed: the same 10,000 files
    static let perRunSeconds = 20.0

    @Test("a sample of mutated files runs to exit 0, 1 or 2 within the bound, never a trap or a hang")
    func sampleRuns() async throws {
        // SOCKFUZZ_MUTANT_SAMPLE=P,F runs P parsing and F failing files instead (a longer hunt).
        let sizes = ProcessInfo.processInfo.environment["SOCKFUZZ_MUTANT_SAMPLE"]?.split(separator: ",").compactMap { Int($0) }
        // The long run (SOCKFUZZ_LONG=1) takes 50 and 20.
        let wanted = (parsing: sizes?.first ?? LongRun.pick(20, long: 50), failing: sizes?.last ?? LongRun.pick(8, long: 20))
        let picked = sample(ScenarioMutator(seed: Self.seed), parsing: wanted.parsing, failing: wanted.failing)
        #expect(picked.parsing.count >= wanted.parsing * 4 / 5, "only \(picked.parsing.count) cheap mutants parse")
        #expect(picked.failing.count >= wanted.failing * 3 / 4, "only \(picked.failing.count) mutants fail to parse")
        let scratch = Scratch()
        let started = Date()
        for (file, parses) in picked.parsing.map({ ($0, true) }) + picked.failing.map({ ($0, false) }) {
            let path = scratch.path + "/mutant-\(file.index).scn"
            try Data(file.bytes).write(to: URL(fileURLWithPath: path))
            let began = Date()
            let run = try await Piped.run(["run", path], input: "", scratch: scratch, timeout: Self.perRunSeconds)
            let seconds = Date().timeIntervalSince(began)
            let what = """
                seed \(Self.seed), file #\(file.index) (corpus entry \(file.base); \(file.mutations.joined(separator: "; "))), \
                \(parses ? "parses" : "does not parse"), exit \(run.status) after \(String(format: "%.1f", seconds)) s
                --- file ---
                \(file.text)
                --- output (last 2000 characters) ---
                \(run.output.suffix(2000))
                """
            if seconds >= Self.perRunSeconds {
                Issue.record("hang: killed after \(Self.perRunSeconds) s; \(what)")
                continue
            }
            #expect(!trapMarkers.contains { run.output.contains($0) }, "trap: \(what)")
            if parses {
                #expect([0, 1, 2].contains(run.status), "\(what)")
            } else {
                // A file that does not parse is a syntax error, reported before any traffic.
                #expect(run.status == 2, "\(what)")
                #expect(run.output.contains(path + ":"), "no located error: \(what)")
            }
        }
        print("MutatedScenarioRunTests: \(picked.parsing.count) parsing and \(picked.failing.count) failing files "
              + "in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
