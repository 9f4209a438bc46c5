// `sockfuzz run FILE...`: replay scenario files against the embedded server in one mode or all
// three, or against a third-party target; print a summary, write JUnit XML and JSON reports.
// Exit status: 0 every expectation held, 1 one failed, 2 usage or syntax error.

import Metrics
import ArgumentParser
import EmbeddedServer
import Fuzzing
import Foundation
import Reactor
import ScenarioLanguage
import ProcessMonitor
import ScenarioRunner
import Syscalls

enum ModeChoice: String, ExpressibleByArgument, CaseIterable {
    case busy, select, epoll, uring, all

    var modes: [BackendKind?] {
        switch self {
        case .busy: return [.busy]
        case .select: return [.select]
        case .epoll: return [.epoll]
        case .uring: return [.uring]
        // uring where this machine allows it (see `allNote`).
        case .all: return [.busy, .select, .epoll] + (UringSupport.unavailable == nil ? [.uring] : [])
        }
    }

    /// What `all` leaves out here, said before a run.
    var allNote: String? {
        guard self == .all, let reason = UringSupport.unavailable else { return nil }
        return "note: --mode all runs busy, select and epoll; uring is left out: \(reason)"
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay scenario files and report.",
        discussion: """
        Each scenario runs against a fresh embedded echo server (in the mode its `server start` \
        names, or --mode), or against --target. Exit status: 0 all expectations held, 1 one \
        failed, 2 a usage or syntax error (or every run skipped under these options: nothing \
        was checked).
        """
    )

    @Argument(help: "Scenario files (.scn).", completion: .file(extensions: ["scn"]))
    var files: [String]

    @OptionGroup var server: ServerChoiceOptions

    @Option(help: "Start the server under test as this shell command, {port} standing for a free port: a fresh instance for each scenario, the target of its connects (the files' spawn, target and server lines give way). How a fuzz finding is replayed against a fresh server.")
    var spawn: String?

    @Option(help: "Replay with this seed instead of the files' own (e.g. 42 or 0x2a).", transform: ValueArguments.seed)
    var seed: UInt64?

    @Option(help: "Inject a server fault into every embedded server (to see a check catch it).")
    var fault: ServerFault?

    @OptionGroup var tls: TLSClientOptions

    @Option(help: "Run share i of n of every scenario (0 <= i < n; overrides a file's `segment`): its part of every group's connections and rates; `sockfuzz merge` adds the shares' --json up.",
            transform: ValueArguments.segment)
    var segment: ExecutionSegment?

    @Option(help: "Start at this wall-clock time (2026-12-01T12:00:00Z or @EPOCH_SECONDS), so the shares of a run start together.",
            transform: ValueArguments.startTime)
    var startAt: StartTime?

    @OptionGroup var reports: ReportOptions

    @Option(help: "Serve live counters (scenarios, checks, connections, bytes, latency) for Prometheus at http://ADDR/metrics (127.0.0.1:9464; port 0 picks one and prints it).")
    var metricsListen: String?

    @Flag(name: .shortAndLong, help: "Print every command's result, not only failures and summaries.")
    var verbose = false

    func validate() throws {
        if fault != nil && server.target != nil {
            throw ValidationError("--fault applies to the embedded server, not --target")
        }
        try tls.validate(fault: fault)
        try MetricsEndpoint.validate(metricsListen)
        if let spawn {
            let command: SpawnCommand
            do { command = try SpawnCommand(spawn) } catch { throw ValidationError("--spawn: \(error.description)") }
            if !command.choosesPort { throw ValidationError("--spawn: the command must say where to listen with {port} (a free port is picked for each start)") }
            if server.target != nil { throw ValidationError("--spawn starts the server under test: give it or --target, not both") }
            if server.mode != nil { throw ValidationError("--spawn starts the server under test: it replaces the embedded one (--mode)") }
            if fault != nil { throw ValidationError("--fault applies to the embedded server, not --spawn") }
        }
    }

    func run() throws {
        let programs = try parseAll()
        var address: Target?
        if let target = server.target {
            address = try Targets.reachableTarget(target, option: "--target")
        }
        let plan = RunPlan.runs(programs, modes: server.modes(default: nil), againstTarget: address != nil, fault: fault?.rawValue)
        if let fault, plan.allSatisfy(\.thirdPartyOnly) {
            // Nothing would run under the fault: a pass would say the checks caught nothing they met.
            Output.error("sockfuzz: --fault \(fault.rawValue) is injected into the embedded server, and no scenario given starts it: each sends all its traffic to a target or spawn line")
            throw ExitCode(2)
        }
        let metrics = RunMetrics(planned: plan.count, segment: (segment ?? .whole).description)
        let endpoint = try MetricsEndpoint.start(metricsListen, for: "sockfuzz run", render: metrics.render)
        defer { endpoint?.stop() }
        let interrupt = InterruptFlag()
        let watcher = InterruptWatcher(interrupt)
        defer { watcher.stop() }

        var lateSeconds: Double?
        if let startAt {
            lateSeconds = StartClock.wait(until: startAt, interrupted: { interrupt.isSet })
            if let late = lateSeconds { Output.line("run: started \(Format.seconds(late)) after --start-at \(startAt)") }
        }
        // A spawned server is the user's, like a --target: its certificate is verified unless --verify off says not.
        let client = tls.settings(embedded: address == nil && spawn == nil, fault: fault)
        let publish: ((ScenarioSession) -> Void)? = endpoint == nil ? nil : { metrics.publish(totals: $0.totals, checks: $0.checks) }
        var results: [ScenarioResult] = []
        for planned in plan {
            if interrupt.isSet { break }
            if let note = planned.note { Output.line(note) }
            var config = RunConfiguration(mode: planned.mode, target: address, seed: seed, fault: fault, segment: segment, tls: client)
            config.spawn = try spawn.map { text in try SpawnCommand(text) }
            // -v shows every result: the replies too, as the console does, unless the file says otherwise.
            config.replyDisplay = verbose ? .text : .off
            let result = ScenarioRunner.run(planned.program, name: planned.file, configuration: config, interrupt: interrupt,
                                            fuzzHandler: Fuzzer.statement, onTick: publish,
                                            onEvent: { event in RunPrinter.print(event, verbose: verbose) })
            metrics.finished(result)
            RunPrinter.summary(result)
            results.append(result)
            // The first run is the one --start-at timed.
            if results.count == 1 { results[0].startedLateSeconds = lateSeconds }
        }
        RunPrinter.total(results)
        metrics.stop()
        // The reports list every planned run: those an interrupt left out are marked, not dropped.
        let notRun = plan.dropFirst(results.count).map {
            ScenarioResult.notRun($0.file, against: label(address: address, mode: $0.mode), status: .skipped,
                                  note: "not run: interrupted")
        }
        try writeReports(results + notRun)
        if interrupt.isSet { throw ExitCode(130) }
        if !results.isEmpty && results.allSatisfy({ $0.status == .skipped }) {
            // Nothing was checked: that is no pass. The options asked for runs the files cannot
            // do, skipped every check (a server check against --target), or the files make none.
            var checks = CheckCounts()
            for result in results { if let counted = result.checks { checks.add(counted) } }
            // Skipped for having checked nothing (its note says so), or because it could not run.
            let checkedNothing = results.allSatisfy { $0.note != nil && $0.note == $0.checks?.nothingChecked }
            let why = checkedNothing ? checks.nothingChecked! : "nothing ran: every scenario was skipped under these options"
            Output.error("sockfuzz run: \(why) (the reasons are above)")
            throw ExitCode(2)
        }
        if !results.allSatisfy(\.passed) { throw ExitCode(1) }
    }

    /// Every file parsed and checked before anything runs: a syntax error costs no traffic. Each
    /// error is printed; the reports still get written, with each bad file as an errored test
    /// case and the others as not run, so CI shows why nothing ran instead of a missing file.
    private func parseAll() throws -> [(file: String, program: Program)] {
        var programs: [(file: String, program: Program)] = []
        var errors: [(file: String, message: String)] = []
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else {
                errors.append((file, "no such scenario file: \(file)"))
                Output.error("sockfuzz run: no such scenario file: \(file)")
                continue
            }
            do {
                var limits = CheckLimits.forThisProcess(embeddedServer: server.target == nil).forShare(segment ?? .whole)
                limits.targetsReplaced = server.target != nil || spawn != nil
                let program = try ScenarioParser.parseFile(file, limits: limits)
                if !limits.targetsReplaced, let unreachable = Self.unreachableTarget(in: program.statements) {
                    errors.append((file, unreachable))
                    Output.error(unreachable)
                    continue
                }
                programs.append((file, program))
            } catch {
                errors.append((file, error.description))
                Output.error(error.description)
            }
        }
        guard !errors.isEmpty else { return programs }
        let bad = errors.map(\.file)
        let why = "not run: \(bad.count == 1 ? "an error in \(bad[0]) stops" : "errors in \(bad.count) files stop") the whole run"
        let label = label(address: nil, mode: nil)
        let results = files.map { file in
            if let error = errors.first(where: { $0.file == file }) {
                return ScenarioResult.notRun(file, against: label, status: .errored, note: error.message)
            }
            return ScenarioResult.notRun(file, against: label, status: .skipped, note: why)
        }
        try writeReports(results)
        throw ExitCode(2)
    }

    /// A file's `target` line whose server cannot be reached, said as `--target` says it: the
    /// same usage error (exit 2), located at the line, before anything runs.
    static func unreachableTarget(in statements: [Statement]) -> String? {
        for statement in statements {
            switch statement.command {
            case .target(let host, let port):
                let at = statement.location
                let address: SocketAddress
                do { address = try SocketAddress.resolve(host: host, port: port) } catch {
                    return "\(at): target \(host):\(port): \(error.description)"
                }
                let errno = ScenarioRunner.probe(address)
                if errno != 0 { return "\(at): target \(host):\(port): cannot connect: \(Format.errno(errno))" }
            case .repeat(_, let body), .include(_, let body):
                if let found = unreachableTarget(in: body) { return found }
            default:
                continue
            }
        }
        return nil
    }

    /// What a run that never started would have run against, for its report entry.
    private func label(address: Target?, mode: BackendKind?) -> String {
        if let target = address.map({ "\($0)" }) ?? server.target { return "target \(target)" }
        return mode?.rawValue ?? "not run"
    }

    /// Both reports are attempted; a failure to write either is exit 2 after trying the other.
    private func writeReports(_ results: [ScenarioResult]) throws {
        var failed = false
        if let junit = reports.junit {
            failed = !Reports.tryWrite(JUnitReport.render(results), to: junit, option: "--junit") || failed
        }
        if let json = reports.json {
            let data = try JSONReport.render(results, version: Sockfuzz.version)
            failed = !Reports.tryWrite(String(decoding: data, as: UTF8.self), to: json, option: "--json") || failed
        }
        if failed { throw ExitCode(2) }
    }
}
