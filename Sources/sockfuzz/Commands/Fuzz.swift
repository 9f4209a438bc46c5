// `sockfuzz fuzz`: random interleavings of connects, fragmented sends, half-closes, resets,
// closes and slow reads, checked against a model of an echo server, or (with --request) each
// reply against its request's reference reply, or a liveness probe; the first failure is shrunk
// and written as a replayable scenario.

import Metrics
import ArgumentParser
import EmbeddedServer
import Foundation
import Fuzzing
import ProcessMonitor
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls

enum OracleChoice: String, ExpressibleByArgument, CaseIterable {
    case echo, liveness, replies, content
}

struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz a server with random interleavings; shrink a failure to a scenario file.",
        discussion: """
        Every choice derives from --seed. On a failure, the program is shrunk while the same \
        failure reproduces, and written to --out as a scenario that `sockfuzz run` replays. \
        With --request (or --request-file, --seed-scenario) and --framing, the requests' \
        contents are mutated (--oracle content, the default): a crash, a hang, a reply the \
        framing cannot parse, one reply more than the requests, or (with --reference) a reply \
        unlike another implementation's is a finding. --spawn 'CMD {port}' starts the server, \
        restarts it after a crash or hang, and confirms and replays a finding on a fresh \
        instance. --oracle replies keeps the requests as given and varies how they are cut, \
        paced, pipelined and interleaved: each reply must equal the reply a clean run got for \
        its request alone (--mask for parts that may differ, like a Date header). \
        Exit status: 0 nothing found, 1 a failure found (or the fuzzer's internal error), \
        2 a usage error (including an --out that cannot be written, a liveness --expect that \
        a fresh connection's answer does not match, or a request without a clean reply), \
        3 the server stopped serving and no --spawn could start a fresh one (the finding \
        written is unconfirmed), 130 interrupted.
        """
    )

    @OptionGroup var server: ServerChoiceOptions

    @Option(help: "The seed every choice derives from (e.g. 42 or 0x2a).", transform: ValueArguments.seed)
    var seed: UInt64 = 1

    @Option(help: "Number of programs to run per mode (e.g. 100, 1k; default 100; with --duration, unlimited).", transform: ValueArguments.count)
    var runs: Int?

    @Option(help: "Stop after this long per mode (e.g. 30s, 2m).", transform: ValueArguments.positiveDuration)
    var duration: ScenarioDuration?

    @Option(help: "Most connections one program opens (default 8).", transform: ValueArguments.count)
    var connections: Int?

    @Option(help: "Directory for failing scenarios (made if missing; checked writable before any run).")
    var out: String = "fuzz-failures"

    @Option(help: "Inject a server fault, to see the fuzzer find it.")
    var fault: ServerFault?

    @OptionGroup var tls: TLSClientOptions

    @Option(help: "echo: the full echo model; liveness: only --probe must keep getting --expect; content (implied by --request, clear text): the requests' contents mutated, judged by crash, hang, protocol violation and --reference; replies (implied by --request --tls): the requests as given, every reply its request's reference reply however the requests were cut, paced, pipelined or interleaved.")
    var oracle: OracleChoice?

    @OptionGroup var requests: RequestStreamOptions

    @OptionGroup var content: ContentFuzzOptions

    @Option(name: .customLong("mask"), help: "With --request: a regular expression for parts of a reply that may differ from the reference (a Date header, an id); repeatable.")
    var masks: [String] = []

    @Option(help: "Liveness probe request, with escapes (e.g. 'PING\\r\\n').")
    var probe: String?

    @Option(name: .customLong("expect"), help: "Liveness probe's expected answer, a regular expression (e.g. '\\+PONG').")
    var expectPattern: String?

    @Option(help: "Operation weights, e.g. send=5,reset=2 (kinds: \(FuzzWeights.names.joined(separator: ", "))).")
    var weights: String?

    @Option(help: "Deadline of each check in the generated programs (default 5s).", transform: ValueArguments.positiveDuration)
    var timeout: ScenarioDuration?

    @Option(help: "Largest single send (default 8MiB).", transform: ValueArguments.size)
    var maxSend: ByteSize?

    @Option(help: "Run share i of n of this campaign: runs i, i+n, i+2n, ... of the same seed.", transform: ValueArguments.segment)
    var segment: ExecutionSegment = .whole

    @Option(help: "Serve live counters for Prometheus at http://ADDR/metrics (127.0.0.1:9464; port 0 picks one and prints it).")
    var metricsListen: String?

    @OptionGroup var budget: FindingBudgetOptions

    @OptionGroup var reports: ReportOptions

    /// The shape of the echo and replies fuzzers' programs, given or by default. Content fuzzing
    /// has none of them (each input goes on a connection of its own, its deadline --hang-timeout).
    var maxConnections: Int { connections ?? 8 }
    var checkTimeout: ScenarioDuration { timeout ?? .seconds(5) }
    var largestSend: ByteSize { maxSend ?? ByteSize(bytes: 8 << 20) }

    /// The runs per mode: --runs, or 100 unless --duration alone says when to stop.
    var runLimit: Int? { runs ?? (duration == nil ? 100 : nil) }

    /// --oracle, or what the other options imply: content fuzzing of given requests, except
    /// over TLS (content fuzzing speaks clear text), where the requests' cuts are fuzzed.
    var chosenOracle: OracleChoice {
        if let oracle { return oracle }
        guard requests.given || content.seedScenario != nil || content.corpus != nil else { return .echo }
        return tls.tls || fault != nil ? .replies : .content
    }

    func validate() throws {
        if server.target != nil && fault != nil { throw ValidationError("--fault applies to the embedded server, not --target") }
        try tls.validate(fault: fault)
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
        guard (1...10_000).contains(maxConnections) else { throw ValidationError("--connections must be 1...10000") }
        // A deadline shorter than a loopback round trip fails checks on a correct server: a
        // false finding, the worst verdict this tool can give.
        guard checkTimeout >= .milliseconds(10) else { throw ValidationError("--timeout must be at least 10ms (a correct server cannot answer faster), not \(checkTimeout)") }
        guard largestSend.bytes >= 1 else { throw ValidationError("--max-send must be at least 1 byte") }
        if content.spawn != nil {
            if server.mode != nil { throw ValidationError("--spawn starts the server under test: it replaces the embedded one (--mode)") }
            if fault != nil { throw ValidationError("--fault applies to the embedded server, not --spawn") }
            if server.target != nil, let spawn = content.spawn, spawn.contains(SpawnCommand.portPlaceholder) {
                throw ValidationError("--spawn with {port} picks a free port itself; --target goes with a command that listens where it says")
            }
        }
        if chosenOracle == .content {
            try validateContent()
        } else if content.given || content.html != nil {
            throw ValidationError("--seed-scenario, --corpus, --dict, --reference and --html go with content fuzzing (--oracle content)")
        } else if content.spawn != nil {
            // The echo, replies and liveness fuzzers run against the embedded server or --target.
            throw ValidationError("--spawn goes with content fuzzing (--oracle content); the \(chosenOracle.rawValue) fuzzer takes --mode or --target")
        } else if content.hangTimeout != nil {
            throw ValidationError("--hang-timeout goes with content fuzzing (--oracle content); the \(chosenOracle.rawValue) fuzzer's checks wait --timeout")
        } else if (probe != nil || expectPattern != nil) && chosenOracle != .liveness {
            throw ValidationError("\(probe != nil ? "--probe" : "--expect") goes with --oracle liveness or content, not --oracle \(chosenOracle.rawValue)")
        } else if requests.given {
            guard chosenOracle == .replies else { throw ValidationError("--request goes with --oracle content or replies, not --oracle \(chosenOracle.rawValue)") }
            try requests.validateRequests()
            if case .http1 = try requests.parsedFraming(), try requests.mix().hasHEAD {
                // A request is sent in pieces, each a `send`: the scenario would pair a HEAD's bodiless response with a piece.
                throw ValidationError("--request: HEAD requests cannot be fuzzed yet (their pieces are sent separately); use GET")
            }
        } else {
            if chosenOracle == .replies { throw ValidationError("--oracle replies needs --request or --request-file") }
            if requests.framing != nil { throw ValidationError("--framing goes with --request or --request-file") }
            if !masks.isEmpty { throw ValidationError("--mask goes with --request or --request-file") }
        }
        for mask in masks where (try? NSRegularExpression(pattern: mask)) == nil {
            throw ValidationError("--mask '\(mask)' is not a valid regular expression")
        }
        if chosenOracle == .liveness && (probe == nil || expectPattern == nil) {
            throw ValidationError("--oracle liveness needs --probe REQUEST and --expect PATTERN")
        }
        if let expectPattern, (try? NSRegularExpression(pattern: expectPattern)) == nil {
            throw ValidationError("--expect '\(expectPattern)' is not a valid regular expression")
        }
        if let problem = FindingFile.prepare(out) { throw ValidationError("--out \(out): \(problem)") }
        try MetricsEndpoint.validate(metricsListen)
    }

    /// What makes two reports shares of the same campaign, for `merge`: every option but the
    /// share, where output goes, and the seed and server (merge groups by those itself).
    var campaignIdentity: String {
        // Both limits when both are given: the first reached stops each share.
        var words = ["fuzz"] + (runLimit.map { ["--runs \($0)"] } ?? []) + (duration.map { ["--duration \($0)"] } ?? [])
        words += ["--connections \(maxConnections)", "--timeout \(checkTimeout)", "--max-send \(largestSend.bytes)",
                  "--oracle \(chosenOracle.rawValue)", "--segment i/\(segment.count)"]
        if let fault { words.append("--fault \(fault.rawValue)") }
        // As drawn, not as typed: the defaults written out and any order name the same weights.
        // (run() has refused weights that do not parse before any report is written.)
        words.append("--weights \(((weights.flatMap { try? FuzzWeights(parsing: $0) }) ?? FuzzWeights()).canonicalText)")
        words += requests.identity
        if chosenOracle == .content { words += content.identity }
        words += masks.map { "--mask \($0)" }
        if let probe { words.append("--probe \(probe)") }
        if let expectPattern { words.append("--expect \(expectPattern)") }
        words += tls.identity
        return words.joined(separator: " ")
    }

    func run() throws {
        if chosenOracle == .content { return try runContent() }
        var base = FuzzConfiguration()
        base.seed = seed
        base.runs = runLimit
        base.durationNanos = duration.map { UInt64($0.nanoseconds) }
        base.timeoutNanos = UInt64(checkTimeout.nanoseconds)
        base.generator.maxConnections = maxConnections
        base.generator.maxSendSize = largestSend.bytes
        if let weights {
            do { base.generator.weights = try FuzzWeights(parsing: weights) } catch {
                throw ValidationError("--weights: \(error.description)")
            }
        }
        base.fault = fault
        base.tls = tls.settings(embedded: server.target == nil, fault: fault)
        base.segment = segment
        base.outDirectory = out
        budget.apply(attempts: &base.shrinkAttempts, seconds: &base.shrinkSeconds, replays: &base.replays)
        if chosenOracle == .replies {
            let mix = try requests.mix()
            base.oracle = .requests(RequestOracle(mix, framing: try requests.parsedFraming(), masks: masks))
            base.generator.requestBytes = mix.requests.map(\.count).max()
        }
        if chosenOracle == .liveness, let probe, let expectPattern {
            do {
                base.oracle = .liveness(probe: try ArgumentValues.escapedBytes(probe), expect: expectPattern)
            } catch {
                throw ValidationError("--probe: \(error.message)")
            }
        }
        if let target = server.target {
            base.target = try Targets.reachableTarget(target, option: "--target")
        }
        if let problem = Fuzzer.fetchReferences(&base) {
            Output.error("sockfuzz: \(problem)")
            throw ExitCode(2)
        }
        if case .requests(let oracle) = base.oracle {
            if let problem = oracle.maskedWholly {
                Output.error("sockfuzz fuzz: --mask: \(problem)")
                throw ExitCode(2)
            }
            for mask in oracle.masksMatchingNothing {
                Output.error("sockfuzz fuzz: warning: --mask '\(mask)' matches nothing in any reference reply, so it masks nothing: "
                             + "a reply that differs there will be a finding (a mask reads the reply's bytes; ^ and $ match at each line's ends)")
            }
        }

        let interrupt = InterruptFlag()
        let watcher = InterruptWatcher(interrupt)
        defer { watcher.stop() }
        if let problem = Fuzzer.preflight(base, interrupt: interrupt) {
            if interrupt.isSet { throw ExitCode(130) }
            Output.error("sockfuzz: \(problem)")
            throw ExitCode(2)
        }
        let metrics = FuzzMetrics(segment: segment.description)
        let endpoint = try MetricsEndpoint.start(metricsListen, for: "sockfuzz fuzz", render: metrics.render)
        defer { endpoint?.stop() }
        let modes: [BackendKind] = server.target != nil ? [.epoll] : server.modes(default: .epoll).compactMap { $0 }
        var summaries: [FuzzSummary] = []
        for m in modes where !interrupt.isSet {
            var config = base
            config.mode = m
            if let fault = config.fault, let needed = fault.requiredMode, m != needed {
                Output.line("fuzz \(m.rawValue): skipped, fault \(fault.rawValue) needs \(needed.rawValue)")
                continue
            }
            Output.line("fuzz \(config.against): seed \(seed), \(config.runs.map { Format.count($0, "run") } ?? "until \(duration.map(\.description) ?? "")"), up to \(maxConnections) connections"
                        + (segment.isWhole ? "" : "; share \(segment): runs \(segment.index), \(segment.index + segment.count), \(segment.index + 2 * segment.count), ..."))
            let progress = ProgressLine()
            metrics.start(config.against)
            let published = endpoint == nil ? nil : metrics
            var summary = Fuzzer.run(config, interrupt: interrupt) { event in
                published?.observe(event)
                FuzzPrinter.print(event, progress)
            }
            summary.campaign = campaignIdentity
            metrics.finish(summary)
            progress.finish()
            FuzzPrinter.summary(summary)
            summaries.append(summary)
        }
        try writeReports(summaries)
        try exitStatus(summaries, interrupted: interrupt.isSet)
    }

    /// The campaigns' exit status, every kind of fuzzing alike: 130 interrupted, 3 a server that
    /// died and could not be restarted, 1 a finding or the fuzzer's own bug (never a pass, and
    /// nothing the command line can fix), 2 a campaign that made no run (it checked nothing).
    func exitStatus(_ summaries: [FuzzSummary], interrupted: Bool) throws {
        if interrupted { throw ExitCode(130) }
        if summaries.contains(where: { $0.content?.serverDied == true }) { throw ExitCode(3) }
        if summaries.contains(where: { $0.finding != nil || $0.internalError != nil }) { throw ExitCode(1) }
        if summaries.contains(where: \.checkedNothing) {
            Output.error("sockfuzz fuzz: nothing was checked: a campaign made no run (give a longer --duration)")
            throw ExitCode(2)
        }
    }

    func writeReports(_ summaries: [FuzzSummary]) throws {
        let results = summaries.map(\.asScenarioResult)
        if let junit = reports.junit { try Reports.write(JUnitReport.render(results, suiteName: "sockfuzz fuzz"), to: junit, option: "--junit") }
        if let json = reports.json {
            let passed = summaries.allSatisfy(FuzzReportDocument.passed)
            try Reports.writeJSON(FuzzReportDocument(version: Sockfuzz.version, passed: passed, fuzz: summaries), to: json)
        }
    }
}
