// Parses the tokens of one line into a command (or a block opener/closer), checking selectors
// against the group table as it goes so semantic errors point at the offending token.

import Foundation
import Framing

/// What one non-blank line is. Blocks and includes need the driver (`SourceParser`), which
/// owns the block stack and the loader.
enum LineItem {
    case command(Command)
    case include(path: String, pathToken: Token)
    case openRepeat(count: Int)
    case closeBlock
}

struct CommandParser {
    var cursor: TokenCursor
    var state: CheckState
    var groups: GroupTable {
        get { state.groups }
        set { state.groups = newValue }
    }

    /// Parses a non-empty token list. `state` is only updated when the whole line is valid.
    static func parse(_ tokens: [Token], state: inout CheckState) throws(ScenarioError) -> LineItem {
        var parser = CommandParser(cursor: TokenCursor(tokens), state: state)
        let item = try parser.parseLine()
        state = parser.state
        return item
    }

    mutating func parseLine() throws(ScenarioError) -> LineItem {
        let head = try cursor.take("a command")
        guard head.kind == .word else {
            throw ScenarioError("expected a command, got \(head.display)", at: head.location)
        }
        let item: LineItem
        switch head.text {
        case "seed":
            let token = try cursor.word("a seed after 'seed'")
            item = .command(.seed(try NumberParsing.seed(Substring(token.text), at: token.location)))
        case "segment": item = .command(try parseSegment(head))
        case "set": item = .command(try parseSet())
        case "print":
            let token = try cursor.take("a quoted string after 'print'")
            guard token.kind == .string else {
                throw ScenarioError("expected a quoted string after 'print', got '\(token.text)'", at: token.location)
            }
            _ = try StringLiteral.text(of: token)  // valid UTF-8
            item = .command(.print(try StringLiteral.template(of: token, state: state)))
        case "sleep": item = .command(.sleep(try duration("a duration after 'sleep'")))
        case "include":
            let token = try cursor.take("a file path after 'include'")
            item = .include(path: try path(token), pathToken: token)
        case "repeat":
            let token = try cursor.word("a repeat count after 'repeat'")
            let count = try NumberParsing.count(Substring(token.text), at: token.location)
            let brace = try cursor.take("'{' after the repeat count")
            guard brace.isWord("{") else {
                throw ScenarioError("expected '{' after the repeat count, got '\(brace.display)'", at: brace.location)
            }
            item = .openRepeat(count: count)
        case "}": item = .closeBlock
        case "server": item = .command(try parseServer())
        case "target":
            let address = try cursor.take("HOST:PORT after 'target'")
            state.targetAt = head.location
            if state.limits.targetsReplaced, !References.find(in: address.text).allSatisfy({ getenv($0.name) != nil }) {
                // Replaced by --target or --spawn: kept as written, never resolved (port 0).
                item = .command(.target(host: address.text, port: 0))
            } else {
                let (host, port) = try SelectorParsing.hostPort(try Self.environmentExpanded(address))
                item = .command(.target(host: host, port: port))
            }
        case "spawn":
            let token = try cursor.take("a quoted command after 'spawn'")
            guard token.kind == .string else {
                throw ScenarioError("expected a quoted command after 'spawn', like spawn \"./server --port {port}\"", at: token.location)
            }
            let command = try StringLiteral.text(of: token)
            guard !command.allSatisfy({ $0 == " " || $0 == "\t" }) else { throw ScenarioError("an empty command after 'spawn'", at: token.location) }
            state.targetAt = head.location
            item = .command(.spawn(command: command))
        case "connect": item = .command(try parseConnect())
        case "send": item = .command(try parseSend())
        case "halfclose": item = .command(.halfclose(try selector(after: "halfclose")))
        case "reset": item = .command(.reset(try selector(after: "reset")))
        case "close": item = .command(.close(try selector(after: "close")))
        case "pause": item = .command(.pause(try selector(after: "pause")))
        case "resume": item = .command(.resume(try selector(after: "resume")))
        case "expect": item = .command(try parseExpect())
        case "load": item = .command(try parseLoad(head))
        case "fuzz": item = .command(try parseFuzz(head))
        case "proxy": item = .command(try parseProxy())
        case "toxic": item = .command(try parseToxic())
        default:
            throw ScenarioError("unknown command '\(head.text)'", at: head.location)
        }
        // Option-taking commands consumed everything already; this catches the rest.
        try cursor.finish()
        return item
    }

    // MARK: - Shared pieces

    /// The next word as a selector, checked against the groups known so far.
    mutating func selector(after command: String) throws(ScenarioError) -> Selector {
        let site = try SelectorParsing.selector(try cursor.take("a selector after '\(command)'"))
        try groups.check(site)
        return site.selector
    }

    mutating func duration(_ what: String) throws(ScenarioError) -> ScenarioDuration {
        let token = try cursor.word(what)
        return try NumberParsing.duration(Substring(token.text), at: token.location)
    }

    /// A bare or quoted path; never empty.
    func path(_ token: Token) throws(ScenarioError) -> String {
        let text = token.kind == .string ? try StringLiteral.text(of: token) : token.text
        guard !text.isEmpty else { throw ScenarioError("expected a file path, got \"\"", at: token.location) }
        return text
    }

    /// Timeouts and run lengths of zero would mean "fail at once" or "do nothing": reject them.
    static func positive(_ d: ScenarioDuration, _ what: String, at location: SourceLocation) throws(ScenarioError) -> ScenarioDuration {
        guard d > .zero else { throw ScenarioError("\(what) must be above zero", at: location) }
        return d
    }

    static func atLeast(_ value: Int, _ minimum: Int, _ what: String, at location: SourceLocation) throws(ScenarioError) -> Int {
        guard value >= minimum else { throw ScenarioError("\(what) must be at least \(minimum), got \(value)", at: location) }
        return value
    }

    // MARK: - Commands

    mutating func parseSet() throws(ScenarioError) -> Command {
        let settings = CommandTable.subcommands(of: "set")
        let key = try cursor.word(TokenCursor.list(settings.map { "'\($0)'" }) + " after 'set'")
        switch key.text {
        case "timeout", "connect-timeout":
            let token = try cursor.word("a duration after 'set \(key.text)'")
            let value = try Self.positive(try NumberParsing.duration(Substring(token.text), at: token.location),
                                          key.text, at: token.location)
            return key.text == "timeout" ? .setTimeout(value) : .setConnectTimeout(value)
        case "stall-timeout":
            let token = try cursor.word("a duration or off after 'set stall-timeout'")
            if token.text == "off" { return .setStallTimeout(nil) }
            return .setStallTimeout(try Self.positive(try NumberParsing.duration(Substring(token.text), at: token.location),
                                                      "stall-timeout", at: token.location))
        case "rcvbuf":
            let token = try cursor.word("a size after 'set rcvbuf'")
            let size = try NumberParsing.size(Substring(token.text), at: token.location)
            guard size.bytes >= 1024 else {
                throw ScenarioError("rcvbuf must be at least 1KiB, got '\(token.text)'", at: token.location)
            }
            return .setReceiveBuffer(size)
        case "framing":
            let token = try cursor.word("a framing after 'set framing' (\(Framing.names.joined(separator: ", ")) or none)")
            return .setFraming(token.text == "none" ? nil : try Self.framing(Substring(token.text), at: token.location))
        case "show":
            let token = try cursor.word("text, hex or off after 'set show'")
            guard let display = ReplyDisplay(rawValue: token.text) else {
                throw ScenarioError("unknown display '\(token.text)': expected text, hex or off", at: token.location)
            }
            return .setShow(display)
        default:
            throw ScenarioError("unknown setting '\(key.text)': expected \(TokenCursor.list(settings))", at: key.location)
        }
    }

    mutating func parseServer() throws(ScenarioError) -> Command {
        let subcommands = TokenCursor.list(CommandTable.subcommands(of: "server"))
        let sub = try cursor.word("\(subcommands) after 'server'")
        switch sub.text {
        case "start", "mode": state.targetAt = nil
        case "stats": try noEmbeddedServerAfterTarget("server stats", at: sub.location)
        default: break
        }
        switch sub.text {
        case "start":
            let mode = try serverMode()
            let options = try cursor.options(for: "server start")
            if let edge = options.flags["edge"], mode != ServerConfiguration.edgeTriggeredMode {
                throw ScenarioError("'edge' needs mode \(ServerConfiguration.edgeTriggeredMode.rawValue), not \(mode.rawValue)", at: edge)
            }
            let port = try options.value("port") { (t, l) throws(ScenarioError) in try NumberParsing.port(t, at: l, range: 0...65535) }
            let host = try options.value("host") { (t, l) throws(ScenarioError) in try Self.nonEmpty(t, "an address after 'host='", at: l) }
            let fault = try options.value("fault") { (t, l) throws(ScenarioError) -> ServerFault in
                guard let fault = ServerFault(rawValue: String(t)) else {
                    throw ScenarioError("unknown fault \(ValueParser.got(t)): expected one of \(ServerFault.names)", at: l)
                }
                if let needed = fault.requiredMode, needed != mode {
                    throw ScenarioError("fault \(fault.rawValue) needs mode \(needed.rawValue), not \(mode.rawValue)", at: l)
                }
                return fault
            }
            let limit = try options.value("limit") { (t, l) throws(ScenarioError) in
                try Self.atLeast(try NumberParsing.count(t, at: l), 1, "limit", at: l)
            }
            let queue = try options.value("queue") { (t, l) throws(ScenarioError) -> ByteSize in
                let size = try NumberParsing.size(t, at: l)
                guard size.bytes >= 1 else { throw ScenarioError("queue must be at least 1 byte, got '\(t)'", at: l) }
                return size
            }
            return .serverStart(ServerOptions(mode: mode, port: port, host: host, edgeTriggered: options.flags["edge"] != nil,
                                              fault: fault, limit: limit, queue: queue, tls: try Self.serverTLS(options, at: sub.location)))
        case "stop": return .serverStop
        case "stats": return .serverStats
        case "mode": return .serverMode(try serverMode())
        default:
            throw ScenarioError("unknown server command '\(sub.text)': expected \(subcommands)", at: sub.location)
        }
    }

    /// `tls [cert=FILE key=FILE]`: a certificate needs its key, and both need `tls`.
    static func serverTLS(_ options: Options, at location: SourceLocation) throws(ScenarioError) -> ServerTLS? {
        let certificate = try options.value("cert") { (t, l) throws(ScenarioError) in try Self.nonEmpty(t, "a PEM file after 'cert='", at: l) }
        let key = try options.value("key") { (t, l) throws(ScenarioError) in try Self.nonEmpty(t, "a PEM file after 'key='", at: l) }
        if certificate != nil || key != nil {
            guard options.flags["tls"] != nil else {
                throw ScenarioError("'cert=' and 'key=' need 'tls' (server start MODE tls cert=FILE key=FILE)", at: location)
            }
            guard certificate != nil, key != nil else {
                throw ScenarioError("a TLS certificate needs its key: give both 'cert=' and 'key=', or neither", at: location)
            }
        }
        return options.flags["tls"] == nil ? nil : ServerTLS(certificatePath: certificate, keyPath: key)
    }

    /// A command that reads the embedded server's counters cannot follow a `target` (until a
    /// `server start`): no embedded server runs then, so it could only fail at run time.
    func noEmbeddedServerAfterTarget(_ what: String, at location: SourceLocation) throws(ScenarioError) {
        guard let at = state.targetAt else { return }
        throw ScenarioError("'\(what)' reads the embedded server, but 'target' at line \(at.line) points connects at a "
                            + "third-party server and stopped it; put it before the 'target' or start a server first",
                            at: location)
    }

    mutating func serverMode() throws(ScenarioError) -> ServerMode {
        let token = try cursor.word("a server mode (busy, select, epoll or uring)")
        guard let mode = ServerMode(rawValue: token.text) else {
            throw ScenarioError("unknown server mode '\(token.text)': expected busy, select, epoll or uring", at: token.location)
        }
        return mode
    }

    /// The token with each `${NAME}` replaced by that environment variable, read when the scenario
    /// is checked (a target is needed before anything runs, and captures cannot name one).
    static func environmentExpanded(_ token: Token) throws(ScenarioError) -> Token {
        var expanded = token
        for (name, range) in References.find(in: token.text).reversed() {
            guard let value = getenv(name) else {
                let column = token.text.unicodeScalars.distance(from: token.text.startIndex, to: range.lowerBound)
                throw ScenarioError("unknown environment variable '${\(name)}' in the target", at: token.location.advanced(by: column))
            }
            expanded.text.replaceSubrange(range, with: String(cString: value))
        }
        return expanded
    }

    /// A framing's text form (`http1`, `length:4be`, `delimiter:\r\n`), located on error.
    static func framing(_ text: Substring, at location: SourceLocation) throws(ScenarioError) -> Framing {
        do {
            return try Framing(parsing: String(text))
        } catch {
            throw ScenarioError(error.description, at: location)
        }
    }

    static func nonEmpty(_ text: Substring, _ what: String, at location: SourceLocation) throws(ScenarioError) -> String {
        guard !text.isEmpty else { throw ScenarioError("expected \(what), got nothing", at: location) }
        return String(text)
    }

    mutating func parseConnect() throws(ScenarioError) -> Command {
        let nameToken = try cursor.word("a group name after 'connect'")
        let name = try SelectorParsing.groupName(Substring(nameToken.text), at: nameToken.location)
        let countToken = try cursor.word("a connection count after 'connect \(name)'")
        let count = try Self.atLeast(try NumberParsing.count(Substring(countToken.text), at: countToken.location),
                                     1, "connection count", at: countToken.location)
        if let most = state.limits.maxConnections, count > most {
            throw ScenarioError("\(count) connections can never be open at once: this process can hold at most \(most) (\(state.limits.reason))",
                                at: countToken.location)
        }
        let options = try cursor.options(for: "connect")
        let rate = try options.value("rate") { (t, l) throws(ScenarioError) -> Rate in
            let rate = try NumberParsing.rate(t, at: l)
            // count / rate: how long the connect would take to start its connections.
            let seconds = Double(count) / rate.perSecond
            guard seconds.isFinite, seconds <= CheckLimits.maxConnectSpreadSeconds else {
                let hours = seconds.isFinite ? "\(Int(min(seconds / 3600, 9e15).rounded(.up))) h" : "forever"
                throw ScenarioError("\(count) connections at \(t) would take \(hours) to start; a connect may take at most 24 h",
                                    at: l)
            }
            return rate
        }
        let timeout = try options.value("timeout") { (t, l) throws(ScenarioError) in
            try Self.positive(try NumberParsing.duration(t, at: l), "timeout", at: l)
        }
        let framing = try options.value("framing", Self.framing)
        let tls = try Self.clientTLS(options, at: nameToken.location)
        groups.connect(name, count: count)
        return .connect(group: name, count: count, rate: rate, timeout: timeout, framing: framing, tls: tls)
    }

    mutating func parseSend() throws(ScenarioError) -> Command {
        let selector = try selector(after: "send")
        let what = "what to send: a \"string\", hex, file or random"
        let token = try cursor.take(what)
        if token.kind == .string {
            let template = try StringLiteral.template(of: token, state: state)
            return .send(selector, try inPieces(template.literalBytes.map { .text($0) } ?? .template(template)))
        }
        switch token.text {
        case "hex":
            let hex = try cursor.take("a quoted hex string after 'hex'")
            guard hex.kind == .string else {
                throw ScenarioError("expected a quoted hex string like \"48656c6c6f\" after 'hex', got '\(hex.text)'",
                                    at: hex.location)
            }
            return .send(selector, try inPieces(.hex(try Self.hexBytes(hex))))
        case "file":
            return .send(selector, try inPieces(.file(try path(try cursor.take("a file path after 'file'")))))
        case "random":
            let sizeToken = try cursor.word("a size or size range after 'random'")
            let sizes = try NumberParsing.range(Substring(sizeToken.text), at: sizeToken.location, element: NumberParsing.size)
            let (chunks, gaps, _) = try piecesOptions(for: "send random")
            return .send(selector, .random(sizes: sizes, chunks: chunks, gaps: gaps))
        default:
            throw ScenarioError("expected \(what), got '\(token.text)'", at: token.location)
        }
    }

    /// A literal payload, written in pieces when `chunks=` (and `gap=`) follow it.
    mutating func inPieces(_ payload: SendPayload) throws(ScenarioError) -> SendPayload {
        let (chunks, gaps, gapAt) = try piecesOptions(for: "send")
        guard let chunks else {
            if let gapAt { throw ScenarioError("gap= goes with chunks=: the pause between the pieces of a send", at: gapAt) }
            return payload
        }
        return .pieces(payload, chunks: chunks, gaps: gaps)
    }

    /// `chunks=COUNT-RANGE` (at least 1) and `gap=DURATION-RANGE`, each optional, and where
    /// `gap=` was written.
    mutating func piecesOptions(for command: String) throws(ScenarioError)
        -> (chunks: ClosedRange<Int>?, gaps: ClosedRange<ScenarioDuration>?, gapAt: SourceLocation?) {
        let options = try cursor.options(for: command)
        let chunks = try options.value("chunks") { (t, l) throws(ScenarioError) in
            let r = try NumberParsing.range(t, at: l, element: NumberParsing.count)
            _ = try Self.atLeast(r.lowerBound, 1, "chunk count", at: l)
            return r
        }
        let gaps = try options.value("gap") { (t, l) throws(ScenarioError) in
            try NumberParsing.range(t, at: l, element: NumberParsing.duration)
        }
        return (chunks, gaps, options.values["gap"]?.keyLocation)
    }

    /// Hex digits with optional blanks between them, read from the raw string so columns are exact.
    static func hexBytes(_ token: Token) throws(ScenarioError) -> [UInt8] {
        var bytes: [UInt8] = []
        var pending: UInt8?
        var digits = 0
        for (offset, c) in token.text.unicodeScalars.enumerated() {
            if c == " " || c == "\t" { continue }
            guard let value = StringLiteral.hexValue(c) else {
                throw ScenarioError("invalid hex digit '\(c)' in hex string", at: token.location.advanced(by: 1 + offset))
            }
            digits += 1
            if let high = pending {
                bytes.append(high << 4 | value)
                pending = nil
            } else {
                pending = value
            }
        }
        if pending != nil {
            throw ScenarioError("odd number of hex digits (\(digits)) in hex string", at: token.location)
        }
        return bytes
    }

    mutating func parseLoad(_ head: Token) throws(ScenarioError) -> Command {
        let selector = try selector(after: "load")
        let options = try cursor.options(for: "load")
        let requests = try LoadRequestParsing.requests(options, head: head)
        let size: ByteSize
        if let requests {
            size = ByteSize(bytes: requests.request.count)
        } else {
            guard let given = try options.value("size", NumberParsing.size) else {
                throw ScenarioError("'load' needs size=SIZE (echo load) or request=\"...\" framing=F (request/response load)", at: head.location)
            }
            size = given
        }
        _ = try Self.atLeast(size.bytes, 1, "load size", at: options.location(of: "size") ?? head.location)
        let pacing: LoadPacing
        switch (options.location(of: "depth"), options.location(of: "rate")) {
        case (.some, .some):
            throw ScenarioError("give depth= or rate=, not both", at: options.keyLocation(of: "rate")!)
        case (.some(let at), nil):
            pacing = .depth(try Self.atLeast(try options.value("depth", NumberParsing.count)!, 1, "depth", at: at))
        case (nil, .some):
            pacing = .rate(try options.value("rate", NumberParsing.rate)!)
        case (nil, nil):
            throw ScenarioError("'load' needs depth=N or rate=R/s", at: head.location)
        }
        do { _ = try pacing.validated() } catch {
            throw ScenarioError(error.message, at: (options.location(of: "depth") ?? options.location(of: "rate"))!)
        }
        guard let duration = try options.value("duration", NumberParsing.duration) else {
            throw ScenarioError("'load' needs duration=D", at: head.location)
        }
        _ = try Self.positive(duration, "load duration", at: options.location(of: "duration")!)
        let warmup = try options.value("warmup", NumberParsing.duration)
        return .load(selector, LoadSpec(size: size, pacing: pacing, duration: duration, warmup: warmup, requests: requests))
    }

    mutating func parseFuzz(_ head: Token) throws(ScenarioError) -> Command {
        let options = try cursor.options(for: "fuzz")
        let runs = try options.value("runs") { (t, l) throws(ScenarioError) in
            try Self.atLeast(try NumberParsing.count(t, at: l), 1, "runs", at: l)
        }
        let connections = try options.value("connections") { (t, l) throws(ScenarioError) in
            try Self.atLeast(try NumberParsing.count(t, at: l), 1, "connections", at: l)
        }
        let duration = try options.value("duration") { (t, l) throws(ScenarioError) in
            try Self.positive(try NumberParsing.duration(t, at: l), "fuzz duration", at: l)
        }
        let seed = try options.value("seed", NumberParsing.seed)
        let requests = try LoadRequestParsing.fuzzRequests(options, head: head)
        let content = try LoadRequestParsing.fuzzContent(options, requests: requests)
        return .fuzz(FuzzSpec(runs: runs, connections: connections, duration: duration, seed: seed, requests: requests, content: content))
    }
}
