// The server statements: `server start|stop`, a `target` line, and the default embedded server
// the first connect starts. Under `--target` or `--spawn` they are skipped: the command line's
// server wins. What the slot holds, and where connects go, is ServerSlot's.

import EmbeddedServer
import ScenarioLanguage
import Syscalls

extension ScenarioSession {
    /// Starts the embedded server (a fresh one) unless a third-party target is in use.
    func startServer(_ options: ScenarioLanguage.ServerOptions, _ statement: Statement, forceMode: Bool = false) throws(RunStop) {
        if skipServerCommand(statement) { return }
        let override = forceMode ? nil : configuration.mode
        var config = options.configuration(mode: override)
        if let forced = configuration.fault { config.fault = forced }
        // `--tls`: the client speaks TLS to every server, so every embedded one serves it.
        if configuration.tls != nil && config.tls == nil { config.tls = ServerTLS() }
        // PEM paths as written are relative to the scenario file (as `send SEL file` is).
        if !forceMode, let tls = config.tls {
            config.tls = ServerTLS(certificatePath: tls.certificatePath.map { ScenarioPaths.resolve($0, relativeTo: statement.location.file) },
                                   keyPath: tls.keyPath.map { ScenarioPaths.resolve($0, relativeTo: statement.location.file) })
        }
        // A `--mode` override must not quietly drop what the file asked for (`edge`, an
        // epoll-only fault): the scenario does not apply to that mode, and says so.
        if let conflict = config.conflict(with: config.mode) {
            throw .skipped("\(statement.location): \(statement.command.rendered): \(conflict)")
        }
        let dropped = stopServer()
        let address: SocketAddress
        do {
            address = try serverSlot.startEmbedded(config)
        } catch {
            throw fail(statement, expected: "the embedded server to start", seen: "\(error)", how: .other)
        }
        var description = "server \(config.mode.rawValue) listening on \(address)"
        if config.isEdgeTriggered { description += " (edge-triggered)" }
        if config.tls != nil || config.fault?.impliesTLS == true { description += ", TLS" }
        if let fault = config.fault { description += ", fault \(fault.rawValue)" }
        if dropped != nil { description = "restarted" + (Self.dropped(dropped).map { ": \($0)" } ?? "") + "; " + description }
        emit(.info(description))
    }

    /// Starts the default embedded server if nothing was chosen yet.
    func ensureTarget(_ statement: Statement) throws(RunStop) {
        guard serverSlot.connectAddress == nil else { return }
        try startServer(ScenarioLanguage.ServerOptions(mode: configuration.mode ?? .epoll), statement)
    }

    /// `server stop`. The address stays where connects go: later connects are refused, which a
    /// scenario can expect.
    func serverStop(_ statement: Statement) throws(RunStop) {
        if skipServerCommand(statement) { return }
        // Before any server ran, the one connects would start is the one that stops: later
        // connects are refused, as after a stop anywhere else (and as at the console, whose
        // server starts at once). Else a server would start by itself after the stop.
        try ensureTarget(statement)
        guard server != nil, let address = serverSlot.connectAddress else {
            emit(.info("server stop: no embedded server is running"))
            return
        }
        let dropped = stopServer()
        emit(.info("server stopped" + (Self.dropped(dropped).map { "; \($0)" } ?? "")
                   + "; later connects to \(address) are refused"))
    }

    /// Stops the embedded server, if one runs; returns how many of our connections were open
    /// (and are dropped with it), nil when none ran.
    @discardableResult
    private func stopServer() -> Int? {
        guard server != nil else { return nil }
        let open = engine.openConnections().count
        serverSlot.stopEmbedded()
        return open
    }

    /// "12 open connections dropped" for result lines; nil when none were (or no server ran).
    static func dropped(_ open: Int?) -> String? {
        guard let open, open > 0 else { return nil }
        return "\(open) open connection\(open == 1 ? "" : "s") dropped"
    }

    /// A `target HOST:PORT` line: later connects go to that third-party server.
    func useTarget(_ statement: Statement, host: String, port: Int) throws(RunStop) {
        let at = statement.location
        // Port 0: a `${NAME}` the environment lacks, kept as written (see CheckLimits.targetsReplaced).
        let written = port == 0 ? host : "\(host):\(port)"
        if let given = configuration.spawn {
            emit(.info("\(at): target \(written) ignored: --spawn '\(given)' wins"))
            return
        }
        if let given = configuration.target {
            emitSkipped("\(at): target \(written) ignored: --target \(given) wins")
            return
        }
        let address: SocketAddress
        do {
            address = try SocketAddress.resolve(host: host, port: port)
        } catch {
            throw fail(statement, expected: "a resolvable target", seen: error.description, how: .other)
        }
        // A third-party server replaces the embedded one: stop it, so `expect server` cannot
        // read the counters of a server that no longer gets the traffic.
        let mode = serverMode
        let dropped = stopServer()
        let target = Target(address, host: host)
        serverSlot.useThirdParty(target)
        // A name says what it resolved to: TLS sends and checks the name, connects go to the address.
        var line = host == address.host ? "target \(address)" : "target \(target) (\(address))"
        if let mode { line += "; the embedded \(mode.rawValue) server stopped" }
        if let phrase = Self.dropped(dropped) { line += " (\(phrase))" }
        emit(.info(line))
    }

    /// Under `--spawn` or `--target` there is no embedded server to act on: a server command is
    /// skipped, saying why (and counted, so a check that skipped is not a pass).
    func skipServerCommand(_ statement: Statement) -> Bool {
        if let given = configuration.spawn {
            emitSkipped("\(statement.location): \(statement.command.rendered): skipped against the spawned server (--spawn '\(given)')")
            return true
        }
        guard let external = configuration.target else { return false }
        emitSkipped("\(statement.location): \(statement.command.rendered): skipped against third-party target \(external)")
        return true
    }
}
