// Canonical source text for commands and values: what a REPL session or the fuzzer's shrinker
// writes to a scenario file. Every rendering parses back to an equal command.

enum Render {
    static func duration(_ d: ScenarioDuration) -> String { ValueText.duration(d) }
    static func size(_ s: ByteSize) -> String { ValueText.size(s) }
    static func rate(_ r: Rate) -> String { ValueText.rate(r) }

    static func range<T>(_ r: ClosedRange<T>, _ element: (T) -> String) -> String {
        r.lowerBound == r.upperBound ? element(r.lowerBound) : "\(element(r.lowerBound))..\(element(r.upperBound))"
    }

    static func selector(_ s: Selector) -> String {
        switch s {
        case .group(let name): return name
        case .member(let name, let index): return "\(name)[\(index)]"
        case .range(let name, let indices): return "\(name)[\(indices.lowerBound)..\(indices.upperBound)]"
        case .all: return "*"
        }
    }

    /// Bare when the lexer would read it back as the same single word, quoted otherwise.
    static func path(_ p: String) -> String {
        let bare = !p.isEmpty && p.unicodeScalars.allSatisfy { c in
            c.value > 0x20 && c.value < 0x7F && c != "\"" && c != "#" && c != "\\"
        }
        return bare ? p : StringLiteral.quote(p)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return "\"" + String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }) + "\""
    }

    static func within(_ d: ScenarioDuration?) -> String {
        d.map { " within \(duration($0))" } ?? ""
    }

    /// `key=value` for each option that was given, in canonical order.
    static func options(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { key, value in value.map { " \(key)=\($0)" } }.joined()
    }

    /// The `fuzz` statement's request options, in the syntax line's order.
    static func fuzzRequests(_ r: FuzzRequests?) -> [(String, String?)] {
        guard let r else { return [] }
        let source: (String, String)
        switch r.source {
        case .bytes(let bytes): source = ("request", StringLiteral.quote(bytes))
        case .file(let path): source = ("request-file", path)
        }
        return [(source.0, source.1), ("framing", r.framing.description), ("mask", r.mask.map(StringLiteral.quoteRegex))]
    }
}

extension Command {
    /// Canonical source text. One line, except `repeat`, which renders as a block with its body
    /// indented four spaces per level and `}` on its own line.
    public var rendered: String { rendered(indent: "") }

    func rendered(indent: String) -> String {
        switch self {
        case .seed(let n): return indent + "seed \(n)"
        case .segment(let segment): return indent + "segment \(segment)"
        case .setTimeout(let d): return indent + "set timeout \(Render.duration(d))"
        case .setConnectTimeout(let d): return indent + "set connect-timeout \(Render.duration(d))"
        case .setStallTimeout(let d): return indent + "set stall-timeout \(d.map(Render.duration) ?? "off")"
        case .setReceiveBuffer(let size): return indent + "set rcvbuf \(Render.size(size))"
        case .setFraming(let framing): return indent + "set framing \(framing.map { "\($0)" } ?? "none")"
        case .setShow(let display): return indent + "set show \(display.rawValue)"
        case .print(let text): return indent + "print \(text.quoted)"
        case .sleep(let d): return indent + "sleep \(Render.duration(d))"
        case .include(let path, _): return indent + "include \(Render.path(path))"
        case .repeat(let count, let body):
            let inner = body.map { $0.command.rendered(indent: indent + "    ") + "\n" }.joined()
            return indent + "repeat \(count) {\n" + inner + indent + "}"
        case .serverStart(let o):
            return indent + "server start \(o.mode.rawValue)"
                + (o.tls == nil ? "" : " tls") + Render.options([("cert", o.tls?.certificatePath), ("key", o.tls?.keyPath)])
                + Render.options([("port", o.port.map(String.init)), ("host", o.host)])
                + (o.edgeTriggered ? " edge" : "")
                + Render.options([("fault", o.fault?.rawValue), ("limit", o.limit.map(String.init)), ("queue", o.queue.map(Render.size))])
        case .serverStop: return indent + "server stop"
        case .serverStats: return indent + "server stats"
        case .serverMode(let mode): return indent + "server mode \(mode.rawValue)"
        case .spawn(let command):
            return indent + "spawn " + StringLiteral.quote(command)
        case .target(let host, let port):
            return indent + "target " + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        case .connect(let group, let count, let rate, let timeout, let framing, let tls):
            return indent + "connect \(group) \(count)" + Render.tls(tls)
                + Render.options([("rate", rate.map(Render.rate)), ("timeout", timeout.map(Render.duration)),
                                  ("framing", framing.map { "\($0)" })])
        case .send(let s, let payload): return indent + "send \(Render.selector(s)) \(Render.payload(payload))"
        case .halfclose(let s): return indent + "halfclose \(Render.selector(s))"
        case .reset(let s): return indent + "reset \(Render.selector(s))"
        case .close(let s): return indent + "close \(Render.selector(s))"
        case .pause(let s): return indent + "pause \(Render.selector(s))"
        case .resume(let s): return indent + "resume \(Render.selector(s))"
        case .expectEcho(let s, let within):
            return indent + "expect \(Render.selector(s)) echo" + Render.within(within)
        case .expectRecv(let s, let bytes, let within):
            return indent + "expect \(Render.selector(s)) recv \(bytes.quoted)" + Render.within(within)
        case .expectMatch(let s, let pattern, let within):
            return indent + "expect \(Render.selector(s)) match \(StringLiteral.quoteRegex(pattern))" + Render.within(within)
        case .expectState(let s, let state, let within):
            return indent + "expect \(Render.selector(s)) \(state.rawValue)" + Render.within(within)
        case .expectServer(let stat, let op, let value, let within):
            return indent + "expect server \(stat.rawValue) \(op.rawValue) \(value)" + Render.within(within)
        case .expectLatency(let s, let p, let bound, let limit):
            return indent + "expect \(Render.selector(s)) \(p.rawValue) \(bound.rawValue) \(Render.duration(limit))"
        case .expectConnected(let s, let op, let count, let within):
            return indent + "expect \(Render.selector(s)) connected \(op.rawValue) \(count)" + Render.within(within)
        case .expectSkip(let s, let size, let within):
            return indent + "expect \(Render.selector(s)) skip \(Render.size(size))" + Render.within(within)
        case .expectDrain(let s):
            return indent + "expect \(Render.selector(s)) drain"
        case .expectReply(let s, .bytes(let template), let within):
            return indent + "expect \(Render.selector(s)) reply \(template.quoted)" + Render.within(within)
        case .expectReply(let s, .match(let pattern, let capture), let within):
            return indent + "expect \(Render.selector(s)) reply match \(StringLiteral.quoteRegex(pattern))"
                + (capture.map { " capture=\($0)" } ?? "") + Render.within(within)
        case .expectReplies(let s, let count, let within):
            return indent + "expect \(Render.selector(s)) replies \(count)" + Render.within(within)
        case .expectNoReply(let s, let within):
            return indent + "expect \(Render.selector(s)) no-reply" + Render.within(within)
        case .expectTLS(let s, let check, let within):
            return indent + "expect \(Render.selector(s)) \(Render.tlsCheck(check))" + Render.within(within)
        case .expectAlive(let probe, let match, let within):
            return indent + "expect target alive"
                + Render.options([("probe", probe.map(StringLiteral.quote)), ("match", match.map(StringLiteral.quoteRegex))])
                + Render.within(within)
        case .load(let s, let spec):
            let pacing: (String, String)
            switch spec.pacing {
            case .depth(let n): pacing = ("depth", "\(n)")
            case .rate(let r): pacing = ("rate", Render.rate(r))
            }
            let what: [(String, String?)] = spec.requests.map { r in
                [("request", StringLiteral.quote(r.request)), ("framing", r.framing?.description),
                 ("expect", r.expect.map(StringLiteral.quoteRegex))]
            } ?? [("size", Render.size(spec.size))]
            return indent + "load \(Render.selector(s))"
                + Render.options(what + [(pacing.0, pacing.1),
                                         ("duration", Render.duration(spec.duration)), ("warmup", spec.warmup.map(Render.duration))])
        case .proxy(let name, let action):
            switch action {
            case .start(let listen, let upstream, let mode, let framing):
                return indent + "proxy \(name)" + Render.options([("listen", listen), ("upstream", upstream), ("mode", mode?.rawValue),
                                                                  ("framing", framing.map { "\($0)" })])
            case .off: return indent + "proxy \(name) off"
            case .on: return indent + "proxy \(name) on"
            case .stop: return indent + "proxy \(name) stop"
            case .stats: return indent + "proxy \(name) stats"
            }
        case .toxic(let proxy, .add(let toxic)): return indent + "toxic \(proxy) " + ToxicText.render(toxic)
        case .toxic(let proxy, .remove(let name)): return indent + "toxic \(proxy) remove \(name)"
        case .fuzz(let spec):
            return indent + "fuzz"
                + Render.options([("runs", spec.runs.map(String.init)), ("connections", spec.connections.map(String.init)),
                                  ("duration", spec.duration.map(Render.duration)), ("seed", spec.seed.map(String.init))]
                                 + Render.fuzzRequests(spec.requests)
                                 + (spec.content.map { c in
                                     [("oracle", "content"), ("spawn", c.spawn.map { StringLiteral.quote(Array($0.utf8)) }),
                                      ("hang-timeout", c.hangTimeout.map(Render.duration))]
                                 } ?? []))
        }
    }
}

extension Render {
    static func payload(_ p: SendPayload) -> String {
        switch p {
        case .text(let bytes): return StringLiteral.quote(bytes)
        case .template(let template): return template.quoted
        case .hex(let bytes): return "hex " + hex(bytes)
        case .file(let path): return "file " + self.path(path)
        case .random(let sizes, let chunks, let gaps):
            return "random " + range(sizes, size)
                + options([("chunks", chunks.map { range($0) { "\($0)" } }), ("gap", gaps.map { range($0, duration) })])
        case .pieces(let literal, let chunks, let gaps):
            return payload(literal) + options([("chunks", range(chunks) { "\($0)" }), ("gap", gaps.map { range($0, duration) })])
        }
    }
}

extension Statement {
    /// The command's canonical text (see `Command.rendered`).
    public var rendered: String { command.rendered }
}

extension Program {
    /// The whole program as a scenario file, one command per line, ending in a newline.
    public var rendered: String { statements.map { $0.rendered + "\n" }.joined() }
}
