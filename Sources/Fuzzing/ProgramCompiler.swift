// Turns fuzz operations into scenario commands with the model's checks woven in: what a
// correct echo server must have done by then (echo, echo-then-EOF after a half-close, still
// open, zero active connections and no held descriptor at the end, and a fresh connection
// still served after every abuse). Operations that no longer apply after shrinking are dropped.

import ScenarioLanguage

public enum FuzzOracle: Sendable, Equatable {
    /// The target is an echo server: the full model applies.
    case echo
    /// Any server: it must keep answering `probe` with bytes matching `expect` on a fresh
    /// connection, and keep accepting, whatever the other connections do.
    case liveness(probe: [UInt8], expect: String)
    /// A request/response server: every reply must be its request's reference reply, however
    /// the requests were cut, paced, pipelined or interleaved (see RequestOracle).
    case requests(RequestOracle)
}

public struct CompileSettings: Sendable {
    public var oracle: FuzzOracle
    /// The embedded server is in use: its counters and descriptors can be checked.
    public var embedded: Bool
    public var maxConnections: Int
    /// Every connect speaks TLS with these settings (nil: clear).
    public var tls: ClientTLS?
    /// The shortest pause a `.pieceGap` renders as (see FuzzConfiguration.pieceGapFloorMillis).
    public var pieceGapFloorMillis: Int

    public init(oracle: FuzzOracle = .echo, embedded: Bool = true, maxConnections: Int = 8, tls: ClientTLS? = nil,
                pieceGapFloorMillis: Int = 0) {
        self.oracle = oracle
        self.embedded = embedded
        self.maxConnections = maxConnections
        self.tls = tls
        self.pieceGapFloorMillis = pieceGapFloorMillis
    }
}

/// One step of a compiled program: a command, a liveness probe (four commands whose probe
/// connection is numbered when rendered, so probes can be dropped without renumbering by hand),
/// or the pause between two pieces of one request (a `sleep`, never shorter than the settings'
/// floor when rendered, none when that is 0: a finding's pieces must reach the server in
/// separate reads, and two writes back to back may arrive as one).
public enum CompiledItem: Sendable, Equatable {
    case command(Command)
    case probe
    case pieceGap(millis: Int)

    /// A check the finding's trimming may drop: a probe, or an `expect` that reads no reply (a
    /// reply check consumes its reply, which the next check on that connection counts on).
    var isDroppableCheck: Bool {
        switch self {
        case .command(let command): return command.isExpectation && !command.consumesReply
        case .probe: return true
        case .pieceGap: return false
        }
    }
}

public enum ProgramCompiler {
    static let group = "c"
    static let probes = "live"

    /// The commands of `items`, probes expanded and numbered in order.
    public static func render(_ items: [CompiledItem], _ settings: CompileSettings) -> [Command] {
        var out: [Command] = []
        var probeCount = 0
        for item in items {
            switch item {
            case .command(let command):
                out.append(command)
            case .pieceGap(let millis):
                let pause = max(millis, settings.pieceGapFloorMillis)
                if pause > 0 { out.append(.sleep(.milliseconds(Int64(pause)))) }
            case .probe:
                out.append(.connect(group: probes, count: 1, rate: nil, timeout: nil, tls: settings.tls))
                let sel = Selector.member(probes, index: probeCount)
                switch settings.oracle {
                case .echo:
                    out.append(.send(sel, .text(Array("alive?\n".utf8))))
                    out.append(.expectEcho(sel, within: nil))
                case .liveness(let request, let pattern):
                    out.append(.send(sel, .text(request)))
                    out.append(.expectMatch(sel, pattern: pattern, within: nil))
                case .requests(let oracle):
                    let k = oracle.request(conn: 0, index: 0)
                    out.append(.send(sel, .text(oracle.requests[k])))
                    out.append(.expectReply(sel, oracle.replyCheck(k), within: nil))
                }
                out.append(.close(sel))
                probeCount += 1
            }
        }
        return out
    }

    /// The items for `ops`, and how many operations made it in (the rest did not apply).
    public static func compile(_ ops: [FuzzOp], _ settings: CompileSettings) -> (items: [CompiledItem], applied: Int) {
        if case .requests(let oracle) = settings.oracle { return RequestProgramCompiler.compile(ops, settings, oracle) }
        var model = ProgramModel()
        var items: [CompiledItem] = []
        var applied = 0
        let echo = settings.oracle == .echo

        func member(_ i: Int) -> Selector { .member(group, index: i) }
        func probe() { items.append(.probe) }
        func echoThenEOF(_ i: Int) {
            items.append(.command(.expectEcho(member(i), within: nil)))
            items.append(.command(.expectState(member(i), .eof, within: nil)))
        }

        for op in ops {
            guard model.applies(op, maxConnections: settings.maxConnections) else { continue }
            let before = model
            model.apply(op)
            applied += 1
            switch op {
            case .connect(let n):
                items += connecting(n, after: before.connections.count, tls: settings.tls)
            case .send(let c, let size, let chunks, let gap):
                let gaps: ClosedRange<ScenarioDuration>? = chunks > 1 && gap > 0
                    ? ScenarioDuration.milliseconds(Int64(gap))...ScenarioDuration.milliseconds(Int64(gap)) : nil
                items.append(.command(.send(member(c), .random(sizes: ByteSize(bytes: size)...ByteSize(bytes: size),
                                                    chunks: chunks > 1 ? chunks...chunks : nil, gaps: gaps))))
            case .request:
                break  // the request/response oracle's; compiled by RequestProgramCompiler
            case .halfClose(let c):
                items.append(.command(.halfclose(member(c))))
                if echo && !before.connections[c].paused { echoThenEOF(c) }
            case .reset(let c):
                items.append(.command(.reset(member(c))))
                probe()
            case .close(let c):
                items.append(.command(.close(member(c))))
            case .pause(let c):
                items.append(.command(.pause(member(c))))
            case .resume(let c):
                items.append(.command(.resume(member(c))))
                if echo && before.connections[c].eofCheckPending { echoThenEOF(c) }
            case .sleep(let ms):
                items.append(.command(.sleep(.milliseconds(Int64(ms)))))
            case .check(let c):
                if echo { items.append(.command(.expectEcho(member(c), within: nil))) }
            }
        }

        // The end: everything still open comes back and is still open; then all is closed and
        // the server holds nothing; and it still serves a fresh connection.
        for i in model.openIndices {
            let m = model.connections[i]
            if m.paused {
                items.append(.command(.resume(member(i))))
                if echo && m.eofCheckPending { echoThenEOF(i) }
            }
            if echo && !m.halfClosed {
                items.append(.command(.expectEcho(member(i), within: nil)))
                items.append(.command(.expectState(member(i), .open, within: nil)))
            }
        }
        items += ending(anyOpen: !model.openIndices.isEmpty, settings)
        return (items, applied)
    }

    /// `n` more connections of the group, checked open.
    static func connecting(_ n: Int, after first: Int, tls: ClientTLS?) -> [CompiledItem] {
        let sel: Selector = n == 1 ? .member(group, index: first) : .range(group, indices: first...(first + n - 1))
        return [.command(.connect(group: group, count: n, rate: nil, timeout: nil, tls: tls)), .command(.expectState(sel, .open, within: nil))]
    }

    /// A fresh connection still served, then everything closed and, on the embedded server, nothing held.
    static func ending(anyOpen: Bool, _ settings: CompileSettings) -> [CompiledItem] {
        var items: [CompiledItem] = [.probe]
        if anyOpen { items.append(.command(.close(.all))) }
        if settings.embedded {
            items.append(.command(.expectServer(.active, .equal, 0, within: nil)))
            items.append(.command(.expectServer(.descriptors, .equal, 0, within: nil)))
        }
        return items
    }
}
