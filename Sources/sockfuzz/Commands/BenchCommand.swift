// `sockfuzz bench`: the benchmark harness of issue 6. Runs the servers under test as processes
// on CPU 0 and the clients on CPU 1, prints a table with ratios and target verdicts, and writes
// the report as JSON and as an HTML page with SVG charts. The work is in the Bench library.

import ArgumentParser
import Bench
import Foundation
import Glibc
import ScenarioRunner
import Syscalls
import Vocabulary

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the embedded server, the load client and idle memory against C references, and request load beside redis-benchmark.",
        discussion: """
        Sections: (1) the embedded server in each mode beside echo_ref epoll and select under the \
        same load (64-byte messages; 1, 100, 1000 connections; depth 1 and 16); (2) the cost curve: \
        one ping-pong connection beside 0, 100, 1000, 5000 idle ones; (3) the load client against \
        loadc, and connects/s for 10k connections; (4) RSS per idle connection of sockfuzz serve \
        --mode epoll at 10k connections; (5) sockfuzz load --request beside redis-benchmark \
        (PING_INLINE, 50 connections, pipeline 1 and 16) on one redis-server, skipped without \
        redis-server and redis-benchmark; (6, or `tls`) \
        TLS: full handshakes/s and TLS echo msgs/s of serve --mode epoll --tls beside tls_echo_ref, \
        one handshake at a time beside openssl s_time -new, and RSS per idle TLS connection on both \
        ends; (7, or `proxy`) proxy pass-through: loadc through sockfuzz proxy (no toxic), relay_ref \
        and socat in front of the same echo server at 1, 100 and 1000 connections, depth 1 and 16. \
        echo_ref.c, loadc.c, relay_ref.c and tls_echo_ref.c (the servers include ref_server.h) are compiled with cc -O2 from \
        --ref-dir into a scratch folder; cells that need them are skipped when they are missing.
        """
    )

    @Flag(help: "Short cells (1 s measured after 0.3 s warmup, one run each): under two minutes.")
    var quick = false

    @Option(help: "Sections to run, e.g. 1,3, tls or proxy (default: all of 1-7).")
    var only: String?

    @Option(name: .customLong("json"), help: "Write the JSON report here (default bench-results/bench.json).")
    var jsonOption: String?
    var json: String { jsonOption ?? "bench-results/bench.json" }

    @Option(help: "Write the HTML page here.")
    var html: String = "bench-results/bench.html"

    @Option(name: .customLong("ref-dir"), help: "Folder holding echo_ref.c and loadc.c (relative: to the working folder, else to the package root; default Benchmarks/reference).")
    var refDirOption: String?
    var refDir: String { refDirOption ?? "Benchmarks/reference" }

    @Option(help: "Runs per cell, the median reported (default: 1 with --quick, else 3).", transform: ValueArguments.positiveCount)
    var runs: Int?

    @Option(help: "Measured time per cell (e.g. 2s; default: 1s with --quick, else 3s).", transform: ValueArguments.positiveDuration)
    var duration: ScenarioDuration?

    @Option(help: "Warmup per cell (e.g. 500ms; default: 300ms with --quick, else 500ms).", transform: ValueArguments.duration)
    var warmup: ScenarioDuration?

    @Option(help: "Measure nothing: print the table of an earlier JSON report and write its --html page.")
    var from: String?

    func validate() throws {
        _ = try sections()
        if from != nil {
            // --from measures nothing: an option of a measurement would be taken and ignored.
            let measuring = [("--quick", quick), ("--only", only != nil), ("--runs", runs != nil), ("--duration", duration != nil),
                             ("--warmup", warmup != nil), ("--ref-dir", refDirOption != nil), ("--json", jsonOption != nil)]
            if let given = measuring.first(where: \.1) {
                throw ValidationError("\(given.0) is for a new measurement: --from prints an earlier report and writes its --html page, nothing else")
            }
        }
    }

    private func sections() throws -> Set<Int> {
        guard let only else { return [1, 2, 3, 4, 5, 6, 7] }
        var set: Set<Int> = []
        for part in only.split(separator: ",") {
            let word = part.trimmingCharacters(in: .whitespaces)
            guard let n = ["tls": 6, "proxy": 7][word] ?? Int(word), (1...7).contains(n) else {
                throw ValidationError("--only \(only): expected section numbers 1-7 (or tls, proxy) separated by commas")
            }
            set.insert(n)
        }
        guard !set.isEmpty else { throw ValidationError("--only: no section given") }
        return set
    }

    func run() throws {
        if let from {
            try render(from)
            return
        }
        let selfExe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sockfuzz-bench-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let plan = BenchPlan(quick: quick, sections: try sections(), refDir: Self.resolveRefDir(refDir),
                             scratchDir: scratch, selfExecutable: selfExe,
                             measuredSeconds: duration?.seconds, warmupSeconds: warmup?.seconds, runs: runs)

        let interrupt = InterruptFlag()
        let watcher = InterruptWatcher(interrupt)
        defer { watcher.stop() }
        let runner = BenchRunner(plan: plan, progress: { Output.error($0) }, interrupted: { interrupt.isSet })
        let report = runner.run(command: CommandLine.arguments.map(Self.shellQuoted).joined(separator: " "))

        Output.line()
        Output.line(TerminalReport.render(report))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.write(String(decoding: try encoder.encode(report), as: UTF8.self), to: json, option: "--json")
        try Self.write(HTMLReport.render(report), to: html, option: "--html")
        Output.line("wrote \(json) and \(html)")
        // Keep the servers' and builds' logs only when something failed.
        if report.skipped.allSatisfy(\.byDesign) { try? FileManager.default.removeItem(atPath: scratch) } else {
            Output.line("logs of the servers and builds: \(scratch)")
        }
        if interrupt.isSet { throw ExitCode(130) }
    }

    /// Re-renders a saved report (its ratios and verdicts recomputed) without measuring.
    private func render(_ path: String) throws {
        let report: BenchReport
        do {
            report = BenchTargets.evaluate(try JSONDecoder().decode(BenchReport.self, from: Data(contentsOf: URL(fileURLWithPath: path))))
        } catch {
            Output.error("sockfuzz: --from \(path): \(error.localizedDescription)")
            throw ExitCode(2)
        }
        Output.line(TerminalReport.render(report))
        try Self.write(HTMLReport.render(report), to: html, option: "--html")
        Output.line("wrote \(html)")
    }

    /// A relative --ref-dir is looked up from the working folder, then from the package root
    /// (the nearest folder above holding Package.swift), so `swift run` works from anywhere in it.
    static func resolveRefDir(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let cwd = FileManager.default.currentDirectoryPath
        if FileManager.default.fileExists(atPath: "\(cwd)/\(path)") { return "\(cwd)/\(path)" }
        var dir = URL(fileURLWithPath: cwd)
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.appendingPathComponent(path).standardized.path
            }
            dir.deleteLastPathComponent()
        }
        return "\(cwd)/\(path)"
    }

    static func write(_ text: String, to path: String, option: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try Reports.write(text, to: path, option: option)
    }

    static func shellQuoted(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
