// `sockfuzz load`: sustained echo load with verified bytes and honest latency, against the
// embedded server (in the mode asked) or a target; with --request, request/response load where
// every reply is framed and checked; or, with --connect-only, a connect burst.
// Exit 0 only when every connection echoed (or connected, for requests) and every message came
// back verified (and, with --tls, every handshake completed); 1 with the reasons (a TLS failure
// in OpenSSL's words); 2 for usage; 130 on SIGINT/SIGTERM, after the partial result.

import Metrics
import ArgumentParser
import EmbeddedServer
import Foundation
import Load
import Reactor
import ScenarioLanguage
import ScenarioRunner
import Syscalls
import TLSClient

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Sustained load: messages/s, MB/s and round-trip latency percentiles.",
        discussion: """
        Closed loop (--depth K: each connection keeps K messages in flight) or open loop \
        (--rate R: R messages per second in all, latency measured from each message's \
        intended send time). Every echoed byte is verified. --connect-only opens the \
        connections, echoes one byte on each, and reports connects/s (with --rate: at most that \
        many new connections a second). --tls speaks TLS: every connection handshakes first, \
        reported as handshakes/s and handshake latency percentiles. Exit status: 0 when \
        every connection echoed and every message came back verified, 1 when not (the \
        verdict says why), 2 for a usage error, 130 when interrupted (partial result printed).
        """
    )

    @OptionGroup var server: OneServerOptions

    @Option(help: "Connections (e.g. 100, 10k).", transform: ValueArguments.count)
    var connections: Int = 100

    @Option(name: .customLong("size"), help: "Message size (e.g. 64, 4KiB; default 64).", transform: ValueArguments.size)
    var sizeOption: ByteSize?
    var size: ByteSize { sizeOption ?? 64 }

    @OptionGroup var requests: RequestOptions

    @OptionGroup var tlsOptions: TLSClientOptions

    @Option(help: "Closed loop: messages in flight per connection (default 1).", transform: ValueArguments.count)
    var depth: Int?

    @Option(help: "Open loop: total messages per second (e.g. 50000, 50000/s or 10k/s).", transform: ValueArguments.rate)
    var rate: Rate?

    @Option(name: .customLong("duration"), help: "Measured time (e.g. 10s; default 5s).", transform: ValueArguments.positiveDuration)
    var durationOption: ScenarioDuration?
    var duration: ScenarioDuration { durationOption ?? .seconds(5) }

    @Option(name: .customLong("warmup"), help: "Unmeasured time before it (e.g. 1s; default 0).", transform: ValueArguments.duration)
    var warmupOption: ScenarioDuration?
    var warmup: ScenarioDuration { warmupOption ?? .zero }

    @Option(name: .customLong("echo-timeout"), help: "How long each connection may take to echo its first byte before it counts as not answered (e.g. 500ms; default 5s; at most 60s).",
            transform: ValueArguments.positiveDuration)
    var echoTimeoutOption: ScenarioDuration?
    var echoTimeout: ScenarioDuration { echoTimeoutOption ?? .seconds(5) }

    @Option(name: .customLong("inflight"), help: "Most handshakes (TCP, and TLS with --tls) in flight while connecting (default 1000; 100 with --tls).",
            transform: ValueArguments.count)
    var inflightOption: Int?
    var inflight: Int { inflightOption ?? (tlsOptions.tls ? 100 : 1000) }

    @Flag(help: "Only open the connections (one echoed byte each) and report connects/s (and handshakes/s with --tls).")
    var connectOnly = false

    @Option(help: "Write a JSON record here.")
    var json: String?

    @Option(help: "Run share i of n of this test (0 <= i < n): its part of the connections and of the rate; `sockfuzz merge` adds the shares up.",
            transform: ValueArguments.segment)
    var segment: ExecutionSegment = .whole

    @Option(help: "Start at this wall-clock time (2026-12-01T12:00:00Z or @EPOCH_SECONDS), so the shares of a test start together.",
            transform: ValueArguments.startTime)
    var startAt: StartTime?

    @Option(help: "Write the latency of each second in HdrHistogram's interval log format here.")
    var hdrLog: String?

    @Option(help: "Local source addresses to spread the connections over (127.0.0.2-127.0.0.9, or a list a,b,c).",
            transform: ValueArguments.sources)
    var source: SourceAddresses?

    @Option(help: "Serve live counters and latency for Prometheus at http://ADDR/metrics (127.0.0.1:9464; port 0 picks one and prints it).")
    var metricsListen: String?

    /// The one embedded design this run measures (`all` makes no sense for one measurement).
    var mode: BackendKind { server.mode ?? .epoll }
    var target: String? { server.target }

    func validate() throws {
        if depth != nil && rate != nil { throw ValidationError("give --depth or --rate, not both") }
        if connectOnly {
            // Taken and ignored, they would describe a run that did not happen.
            let unread = [("--depth", depth != nil), ("--duration", durationOption != nil), ("--warmup", warmupOption != nil),
                          ("--size", sizeOption != nil), ("--hdr-log", hdrLog != nil)].filter(\.1).map(\.0)
            if let first = unread.first {
                throw ValidationError("\(first) is for sustained load: --connect-only opens the connections, echoes one byte on each, and stops")
            }
        }
        if echoTimeoutOption != nil && requests.isRequestLoad {
            throw ValidationError("--echo-timeout is the echo load's deadline for each connection's first echoed byte: --request load sends none")
        }
        if echoTimeout > Self.connectPhaseLimit {
            throw ValidationError("--echo-timeout may be at most 60s (the connect phase's own deadline), not \(echoTimeout)")
        }
        if requests.isRequestLoad {
            if target == nil { throw ValidationError("--request needs --target HOST:PORT (the embedded server is an echo server)") }
            if connectOnly { throw ValidationError("--connect-only sends no requests: drop --request") }
            if sizeOption != nil { throw ValidationError("--size is the echo load's: with --request the requests set the sizes") }
        }
        do { _ = try pacing.validated() } catch { throw ValidationError("\(rate != nil ? "--rate" : "--depth"): \(error.message)") }
        if let json, let problem = Reports.unwritable(json) { throw ValidationError("--json \(json): \(problem)") }
        if let hdrLog, let problem = Reports.unwritable(hdrLog) { throw ValidationError("--hdr-log \(hdrLog): \(problem)") }
        try MetricsEndpoint.validate(metricsListen)
        if let source {
            // A typo'd address fails every connect: say so once, before any traffic.
            for address in Set([source.addresses.first!, source.addresses.last!]) {
                if let problem = Sys.cannotBind(address) { throw ValidationError("--source \(address): \(problem)") }
            }
        }
        guard size.bytes >= 1 && size.bytes <= 1 << 20 else { throw ValidationError("--size must be 1 byte to 1 MiB") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard inflight >= 1 else { throw ValidationError("--inflight must be at least 1") }
        // The embedded server holds the other end of every connection in this same process.
        // A share holds only its own part of the connections.
        let descriptors = shareConnections.multipliedReportingOverflow(by: target == nil ? 2 : 1)
        let limit = Sys.raiseOpenFileLimit()
        if descriptors.overflow || descriptors.partialValue > limit - 32 {
            throw ValidationError("--connections \(connections)\(segment.isWhole ? "" : " (\(shareConnections) in share \(segment))"): more than this process can hold open "
                                  + "(\(target == nil ? "2 descriptors per connection with the embedded server, " : "")the open-file limit is \(limit))")
        }
        if case .depth(let d) = pacing, shareConnections.multipliedReportingOverflow(by: d).partialValue > Self.maxMessagesInFlight {
            throw ValidationError("--depth \(d) × --connections \(connections): more than \(Self.maxMessagesInFlight) messages in flight in all")
        }
    }

    /// How long opening the connections may take in all (ConnectBurst's deadline): no single
    /// connection's echo can be waited for longer.
    static let connectPhaseLimit: ScenarioDuration = .seconds(60)

    /// Each message in flight holds a timestamp: 128 MiB of them at most.
    static let maxMessagesInFlight = 1 << 24

    var pacing: LoadPacing { rate.map { .rate($0) } ?? .depth(depth ?? 1) }

    /// This share's connections, and its part of the rate (nil: it sends no messages).
    var shareConnections: Int { segment.count(of: connections) }
    var sharePacing: LoadPacing? {
        switch pacing {
        case .depth: return pacing
        case .rate(let r): return segment.share(of: r).map { .rate($0) }
        }
    }

    /// What makes two results shares of the same test: everything but where the share's
    /// output goes and which share it is.
    var testIdentity: String {
        var words = ["load", target.map { "--target \($0)" } ?? "--mode \(mode.rawValue)", "--connections \(connections)",
                     "--size \(size)", rate.map { "--rate \($0)" } ?? "--depth \(depth ?? 1)", "--duration \(duration)",
                     "--warmup \(warmup)", "--segment i/\(segment.count)"]
        if connectOnly { words.append("--connect-only") }
        words += requests.identity
        words += tlsOptions.identity
        if let startAt { words.append("--start-at \(startAt)") }
        return words.joined(separator: " ")
    }

    func run() throws {
        // First, before any other thread: threads inherit the blocked signals, and a thread
        // started earlier (the embedded server's) would die of a Ctrl-C instead of passing it on.
        let interrupt = InterruptFlag()
        let watcher = InterruptWatcher(interrupt)
        defer { watcher.stop() }

        let messageSize = size.bytes
        let measured = UInt64(duration.nanoseconds)
        let warm = UInt64(warmup.nanoseconds)

        var server: EchoServer?
        let destination: Target
        if let target {
            destination = try Targets.reachableTarget(target, option: "--target")
        } else {
            let embedded = EchoServer(configuration: ServerConfiguration(mode: mode, tls: tlsOptions.tls ? ServerTLS() : nil))
            destination = Target(try embedded.start())
            server = embedded
        }
        defer { server?.stop() }
        let against = target.map { "target \($0)" } ?? "embedded \(mode.rawValue)\(tlsOptions.tls ? " TLS" : "") server on \(destination.address)"
        let tls: TLSClientContext?
        do { tls = try tlsOptions.settings(embedded: target == nil).map(TLSClientContext.init) } catch {
            throw ValidationError("--tls: \(error)")
        }

        let metrics = LoadMetrics(messageSize: requests.isRequestLoad ? nil : size.bytes, test: testIdentity, segment: segment.description)
        let endpoint = try MetricsEndpoint.start(metricsListen, for: "sockfuzz load", render: metrics.render)
        defer { endpoint?.stop() }

        var lateSeconds: Double?
        if let startAt {
            lateSeconds = StartClock.wait(until: startAt, interrupted: { interrupt.isSet })
            if let late = lateSeconds { Output.line("load: started \(Format.seconds(late)) after --start-at \(startAt)") }
        }
        var sources: [SocketAddress] = []
        for text in source?.addresses ?? [] { sources.append(try SocketAddress.resolve(host: text, port: 0)) }
        let burst = try ConnectBurst()
        let requestLoad = requests.isRequestLoad
        let connectRate: Double? = connectOnly ? sharePacing.flatMap { if case .rate(let r) = $0 { r.perSecond } else { nil } } : nil
        let (connect, fds) = burst.run(count: shareConnections, to: destination, inFlight: inflight,
                                       timeoutNanos: UInt64(Self.connectPhaseLimit.nanoseconds),
                                       echoTimeoutNanos: UInt64(echoTimeout.nanoseconds), sources: sources,
                                       probeEcho: !requestLoad, tls: tls,
                                       perSecond: connectRate, interrupted: { interrupt.isSet })
        let transports = burst.keptTransports
        defer {
            for transport in transports { transport.end() }
            for fd in fds { Sys.close(fd) }
        }
        if !segment.isWhole { Output.line("load: share \(segment) of the test: \(shareConnections) of \(connections) connections") }
        Output.line("connect: \(connect.echoed)/\(shareConnections) connections to \(against) in \(Format.seconds(connect.connectSeconds)) "
                    + "(\(Int(connect.connectsPerSecond)) connects/s)"
                    + (requestLoad ? "" : ", first echoed byte p50 \(micros(connect.firstByteMicros?.p50)) p99 \(micros(connect.firstByteMicros?.p99))")
                    + (connect.firstError.map { "; first error: \($0)" } ?? ""))
        if let handshakes = connect.tls { Output.line(Self.handshakeLine(handshakes, of: shareConnections, verification: tls?.settings.verification)) }
        if endpoint != nil { metrics.connected(connect.echoed) }
        var problems = LoadVerdict.problems(connect)
        var record = LoadRecord(against: against, connect: connect)
        record.test = testIdentity
        record.segment = segment
        record.startedLateSeconds = lateSeconds
        if !connectOnly && !fds.isEmpty && !interrupt.isSet, let sharePacing {
            Output.line("load: \(fds.count) connections for \(duration)" + (warm > 0 ? " after \(warmup) of warmup" : "")
                        + "; Ctrl-C stops it and prints the result so far")
            let progress = ProgressLine()
            let unit = requestLoad ? "req/s" : "msg/s"
            let published = endpoint == nil ? nil : metrics
            let report = { (p: LoadProgress) in
                published?.publish(p)
                progress.update("load: \(Int(p.elapsedSeconds))s  \(Int(p.messagesPerSecond)) \(unit)  errors \(p.errors)  connections \(p.connections)")
            }
            let job: LoadJob
            if requestLoad {
                let plan = RequestLoadPlan(mix: try requests.mix(), framing: try requests.parsedFraming(), expect: requests.expect,
                                           pacing: sharePacing, durationNanos: measured, warmupNanos: warm)
                // A server that closes between requests (nginx after keepalive_requests) gets a new
                // connection, as wrk does; the shares of a test reconnect to the same place.
                let reconnect = LoadReconnect(to: destination, tls: tls)
                job = .requests(plan, reconnect: reconnect)
            } else {
                job = .echo(LoadPlan(messageSize: messageSize, pacing: sharePacing, durationNanos: measured, warmupNanos: warm))
            }
            let result = try job.run(fds: fds, transports: transports, progress: report, interrupted: { interrupt.isSet }).result
            progress.finish()
            Output.line(LoadSummary.line(result))
            record.load = result
            problems += LoadVerdict.problems(result, whole: segment.isWhole)
        }
        metrics.finish(record.load)
        record.interrupted = interrupt.isSet
        record.problems = problems
        record.passed = !record.interrupted && problems.isEmpty
        if record.interrupted {
            Output.line("load: INTERRUPTED: partial result above" + (problems.isEmpty ? "" : "; so far: " + problems.joined(separator: "; ")))
        } else if problems.isEmpty && requestLoad {
            Output.line("load: PASSED: \(connect.echoed) connection(s), every request answered"
                        + (requests.expect.map { " by a reply matching \($0)" } ?? " by a well-framed reply")
                        + (record.load.map { " (\($0.verified) measured)" } ?? ""))
        } else if problems.isEmpty {
            Output.line("load: PASSED: \(connect.echoed) connection(s) echoed"
                        + (record.load.map { ", \($0.verified) message(s) verified, none unanswered" } ?? ""))
        } else {
            Output.line("load: FAILED: " + problems.joined(separator: "; "))
        }
        if let hdrLog, let load = record.load {
            try Reports.write(load.intervalLog(comment: "sockfuzz \(testIdentity), share \(segment)"), to: hdrLog, option: "--hdr-log")
        }
        if let json { try Reports.writeJSON(record, to: json) }
        if record.interrupted { throw ExitCode(130) }
        if !record.passed { throw ExitCode(1) }
    }
}

extension LoadCommand {
    /// "tls: 100/100 handshakes (TLSv1.3) in 0.20 s: 500 handshakes/s, latency p50 ... p99 ..."
    static func handshakeLine(_ h: TLSHandshakes, of requested: Int, verification: ClientTLS.Verification?) -> String {
        var line = "tls: \(h.completed)/\(requested) handshakes" + (h.version.map { " (\($0.openSSLName)" + (h.alpn.map { ", ALPN \($0)" } ?? "") + ")" } ?? "")
            + " in \(Format.seconds(h.seconds)): \(Int(h.perSecond)) handshakes/s"
        if let l = h.latencyMicros {
            line += ", latency p50 \(micros(l.p50)) p90 \(micros(l.p90)) p99 \(micros(l.p99)) p99.9 \(micros(l.p999)) max \(micros(l.max))"
        }
        if verification == .off { line += "; certificate not verified" }
        if let failure = h.firstFailure { line += "; failed \(h.failed) (first: \(failure))" }
        if h.timeouts > 0 { line += "; timed out \(h.timeouts)" }
        return line
    }
}

func micros(_ value: Double?) -> String {
    guard let value else { return "-" }
    return Format.seconds(value / 1e6)
}
