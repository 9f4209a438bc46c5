// `sockfuzz proxy`: the impairment proxy in the foreground, between clients and a server, with
// toxics from the command line and, with --api, toxiproxy's HTTP API for changing them live.
// Exit status: 0 stopped by a signal, 2 bad options or an address it cannot listen on.

import Metrics
import ArgumentParser
import Foundation
import Framing
import Glibc
import Proxy
import Reactor
import ScenarioLanguage

struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the impairment proxy: forward a port to a server through toxics (latency, resets, slicing, ...).",
        discussion: """
        Toxics: KIND [ATTRIBUTE=VALUE ...] [upstream|downstream] [toxicity=P] [name=NAME], in toxiproxy's \
        names with units, for example "latency latency=100ms jitter=10ms", "bandwidth rate=64KB/s upstream", \
        "reset_peer bytes=10KiB", "slicer average_size=1 delay=1ms". Kinds: \
        \(ToxicType.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")). \
        upstream is client to server, downstream (the default) server to client. \
        With --api HOST:PORT it serves toxiproxy's HTTP API there (8474 is toxiproxy's port), so toxiproxy \
        clients create proxies and toxics in it unchanged. Prints the counters on Ctrl-C or SIGTERM.
        """
    )

    @Option(name: .long, help: ArgumentHelp("Where clients connect (port 0 picks a free one).", valueName: "host:port"))
    var listen: String?

    @Option(name: .long, help: ArgumentHelp("The server the proxy forwards to.", valueName: "host:port"))
    var upstream: String?

    @Option(name: .long, help: "The --listen proxy's name (in the API and the counters; default proxy).")
    var name: String = defaultName
    static let defaultName = "proxy"

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("A toxic to start with (repeatable).", valueName: "toxic"))
    var toxic: [String] = []

    @Option(name: .long, help: ArgumentHelp("Cut the streams into requests and replies for the frame-aware toxics (\(ToxicType.allCases.filter(\.isFrameAware).map(\.rawValue).joined(separator: ", "))).",
                                            valueName: "line|resp|http1|length:N|delimiter:D"), transform: ValueArguments.framing)
    var framing: Framing?

    @Option(name: .long, help: ArgumentHelp("When stopped, write what went through as a scenario that replays the clients against the upstream.",
                                            valueName: "file.scn"))
    var record: String?

    @Flag(name: .long, help: "With --record: keep the pauses between events (as sleep).")
    var recordTiming = false

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("With --record: a part of replies that differs run to run (a date, an id), checked as this regular expression (repeatable).",
                                                                   valueName: "regex"))
    var mask: [String] = []

    @Option(name: .long, help: ArgumentHelp("Serve the proxies' counters for Prometheus at /metrics here (port 0 picks one).",
                                            valueName: "host:port"))
    var metricsListen: String?

    @Option(name: .long, help: ArgumentHelp("Serve toxiproxy's HTTP API here.", valueName: "host:port"))
    var api: String?

    @Option(name: .long, help: "I/O design of the proxy's loop: busy, select or epoll (default epoll).")
    var mode: BackendKind = .epoll

    @Option(name: .long, help: "Seed for toxicity draws, jitter and slicing (printed; random when not given).",
            transform: ValueArguments.seed)
    var seed: UInt64?

    @Flag(name: .long, help: "Print the counters as JSON when stopped.")
    var json = false

    func validate() throws {
        if (listen == nil) != (upstream == nil) {
            throw ValidationError(listen == nil ? "--upstream needs --listen (where clients connect)"
                                                : "--listen needs --upstream (the server to forward to)")
        }
        if listen == nil && api == nil {
            throw ValidationError("nothing to do: give --listen and --upstream, or --api to create proxies over HTTP")
        }
        if listen == nil && !toxic.isEmpty { throw ValidationError("--toxic needs --listen and --upstream") }
        if listen == nil && framing != nil { throw ValidationError("--framing needs --listen and --upstream") }
        if listen == nil && record != nil { throw ValidationError("--record needs --listen and --upstream") }
        if record == nil && recordTiming { throw ValidationError("--record-timing needs --record FILE") }
        if record == nil && !mask.isEmpty { throw ValidationError("--mask needs --record FILE (it marks what may differ in recorded replies)") }
        if mode == .uring { throw ValidationError("--mode uring: the proxy runs on busy, select or epoll (uring is the embedded server's design only)") }
        if listen == nil && name != Self.defaultName { throw ValidationError("--name names the --listen proxy: create others with --api") }
        try MetricsEndpoint.validate(metricsListen)
        for pattern in mask where (try? NSRegularExpression(pattern: pattern)) == nil {
            throw ValidationError("--mask '\(pattern)': not a regular expression")
        }
        var names: Set<String> = []
        for (index, text) in toxic.enumerated() {
            let parsed: Toxic
            do { parsed = try ToxicText.parse(text.split(separator: " ")) } catch {
                throw ValidationError("--toxic #\(index + 1) '\(text)': \(error.message)")
            }
            guard names.insert(parsed.name).inserted else {
                throw ValidationError("--toxic #\(index + 1) '\(text)': a toxic named \(parsed.name) is given already (name= tells two of a kind apart)")
            }
            if let match = parsed.match, (try? ByteRegex(match)) == nil {
                throw ValidationError("--toxic #\(index + 1) '\(text)': match=\"\(match)\" is not a regular expression")
            }
            if parsed.type.isFrameAware && framing == nil {
                throw ValidationError("--toxic #\(index + 1) '\(text)': \(parsed.type.rawValue) acts on whole requests or replies: give --framing")
            }
        }
    }

    /// Whether `path` can be written: the file if it exists, else the folder it would be made in.
    static func mayWrite(_ path: String) -> Bool {
        let files = FileManager.default
        if files.fileExists(atPath: path) { return files.isWritableFile(atPath: path) }
        let folder = (path as NSString).deletingLastPathComponent
        return files.isWritableFile(atPath: folder.isEmpty ? "." : folder)
    }

    /// Says that --record's file cannot be written, stops the proxy, and gives exit status 2.
    private func recordUnwritable(_ path: String, _ server: ProxyServer) -> ExitCode {
        Output.error("sockfuzz proxy: --record \(path): cannot write there (\(String(cString: strerror(errno))))")
        server.stop()
        return ExitCode(2)
    }

    func run() throws {
        let signals = ForegroundSignals()

        let seed = seed ?? UInt64.random(in: 0...UInt64.max)
        let server = try ProxyServer(mode: mode, seed: seed)
        var apiServer: ToxiproxyAPI?
        do {
            // The API first: when its address is taken, nothing has said "listening" yet.
            if let api {
                do { apiServer = try ToxiproxyAPI(server: server, listen: api) } catch {
                    throw ProxyError(error.kind, error.kind == .listenFailed ? "--api \(api): \(error.message)" : error.message)
                }
            }
            if let listen, let upstream {
                // Toxics and the recording are in place before the first connection can arrive:
                // the proxy listens only once they are (a client that connected on seeing
                // "listening on" once got through without the latency it asked for).
                _ = try server.create(name: name, listen: listen, upstream: upstream, enabled: false, framing: framing)
                if let record {
                    // Said now, not after a long session: the file must be writable. Checked
                    // without touching it, since listening may still fail; emptied once listening.
                    guard Self.mayWrite(record) else { throw recordUnwritable(record, server) }
                    try server.startRecording(name)
                }
                let added = try toxic.map { text in try server.addToxic(proxy: name, try ToxicText.parse(text.split(separator: " "))) }
                let proxy: ProxyInfo
                do { proxy = try server.update(name: name, enabled: true) } catch {
                    throw ProxyError(error.kind, error.kind == .listenFailed ? "--listen \(listen): \(error.message)" : error.message)
                }
                if let record, !FileManager.default.createFile(atPath: record, contents: Data()) { throw recordUnwritable(record, server) }
                Output.line("sockfuzz proxy: \(proxy.name) listening on \(proxy.listen), forwarding to \(proxy.upstream) (mode \(mode.rawValue)"
                            + (proxy.framing.map { ", framing \($0)" } ?? "") + ", seed \(seed))")
                if record != nil { Output.line("  recording to \(record!) (written when stopped)") }
                for toxic in added { Output.line("  toxic \(toxic.name): \(ToxicText.render(toxic))") }
            }
            if let apiServer { Output.line("toxiproxy API on http://\(apiServer.address)") }
        } catch let error as ProxyError {
            Output.error("sockfuzz proxy: \(error.message)")
            apiServer?.stop()
            server.stop()
            throw ExitCode(2)
        } catch let error as ToxicError {
            Output.error("sockfuzz proxy: \(error.message)")
            apiServer?.stop()
            server.stop()
            throw ExitCode(2)
        }
        let metrics = try MetricsEndpoint.start(metricsListen, for: "sockfuzz proxy") { ProxyMetrics.render(server.list()) }
        Output.line("Ctrl-C or SIGTERM stops it and prints its counters.")

        let received = signals.wait()
        metrics?.stop()
        apiServer?.stop()
        let proxies = server.list()
        let recording = record == nil ? nil : try? server.recording(of: name)
        server.stop()
        if let record, let recording, let proxy = proxies.first(where: { $0.name == name }) {
            try writeRecording(recording, of: proxy, to: record)
        }
        if json {
            Output.line(Self.json(proxies, seed: seed))
            return
        }
        Output.line()
        Output.line("stopped by \(received == SIGINT ? "SIGINT" : "SIGTERM"); counters:")
        for proxy in proxies {
            Output.line("  \(proxy.name) (\(proxy.listen) -> \(proxy.upstream))")
            for (field, value) in proxy.counters.fields { Output.line("    \(field.padded(to: 20)) \(value)") }
            for toxic in proxy.toxics {
                var line = "    toxic \(toxic.name): \(ToxicText.render(toxic)), applied to \(proxy.counters.toxicConnections[toxic.name] ?? 0) connections"
                if toxic.type.isFrameAware { line += ", acted on \(proxy.counters.framesActedOn[toxic.name] ?? 0) frames" }
                Output.line(line)
            }
        }
    }

    private func writeRecording(_ recording: ProxyRecording, of proxy: ProxyInfo, to path: String) throws {
        let header = ["Recorded by sockfuzz proxy (\(proxy.name): \(proxy.listen) -> \(proxy.upstream)) on \(Date())",
                      "Replay: sockfuzz run \(path)"]
        let options = RecordedScript.Options(framing: framing, masks: mask, keepTiming: recordTiming)
        let text = try RecordedScript.render(recording, upstream: proxy.upstream, header: header, options: options)
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            Output.error("sockfuzz proxy: --record \(path): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        let connections = recording.entries.filter { if case .opened = $0.event { true } else { false } }.count
        Output.line("recorded \(connections) connection\(connections == 1 ? "" : "s") to \(path)\(recording.truncated ? " (truncated at its byte limit)" : ""); replay: sockfuzz run \(path)")
    }

    static func json(_ proxies: [ProxyInfo], seed: UInt64) -> String {
        let list: [[String: Any]] = proxies.map { proxy in
            var counters: [String: Any] = [:]
            for (field, value) in proxy.counters.fields { counters[field] = value }
            counters["toxic_connections"] = proxy.counters.toxicConnections
            counters["frames_acted_on"] = proxy.counters.framesActedOn
            return ["name": proxy.name, "listen": proxy.listen, "upstream": proxy.upstream, "enabled": proxy.enabled,
                    "toxics": proxy.toxics.map { ["name": $0.name, "type": $0.type.rawValue, "stream": $0.stream.rawValue,
                                                   "toxicity": $0.toxicity, "attributes": $0.attributes] as [String: Any] },
                    "counters": counters]
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["seed": "\(seed)", "proxies": list] as [String: Any],
                                                options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
