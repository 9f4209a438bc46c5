// One client connection through a proxy: the client's socket, the socket to the upstream, and
// the two directions between them. Which toxics apply to it is drawn once per toxic (toxicity).

import Framing
import Reactor
import Syscalls
import Vocabulary

final class ProxyLink {
    enum State { case connecting, open }

    let id: UInt64
    let proxy: ProxyState
    let client: Int32
    let upstream: Int32
    var state = State.connecting
    /// Until `drop`: checked after every step that may end the connection (a flag, not a lookup).
    var alive = true
    /// The toxics generation the plans were compiled for.
    var planGeneration: UInt64 = .max
    /// [upstream (client to server), downstream (server to client)], held in the link itself: an
    /// array would be one more allocation to miss in the cache, and a uniqueness check, per chunk.
    var flows: InlineArray<2, Flow> = [Flow(), Flow()]
    /// Per toxic name: whether it applies to this connection (drawn against its toxicity).
    var applies: [String: Bool] = [:]
    /// Timers a toxic armed on this connection (timeout, half_close), by toxic name.
    var toxicTimers: [String: TimerID] = [:]
    /// Per toxic name: the direction's stream offset when the toxic began to apply here. A
    /// limit_data counts from there, as toxiproxy's counts from when it was added.
    var toxicStart: [String: UInt64] = [:]
    var random: SeededRandom

    init(id: UInt64, proxy: ProxyState, client: Int32, upstream: Int32, random: SeededRandom) {
        self.id = id
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.random = random
    }

    static func index(_ stream: ToxicStream) -> Int { stream == .upstream ? 0 : 1 }

    /// The direction whose bytes are read from `fd`.
    func direction(readingFrom fd: Int32) -> Int { fd == client ? 0 : 1 }
    /// The direction whose bytes are written to `fd`.
    func direction(writingTo fd: Int32) -> Int { fd == upstream ? 0 : 1 }
    func source(_ direction: Int) -> Int32 { direction == 0 ? client : upstream }
    func destination(_ direction: Int) -> Int32 { direction == 0 ? upstream : client }
}

/// A named proxy: where it listens, where it forwards, its toxics, its counters, its connections.
final class ProxyState {
    let name: String
    var listen: String
    var upstream: String
    var upstreamAddress: SocketAddress
    var enabled: Bool
    var listener: Int32 = -1
    var toxics: [Toxic] = []
    /// Bumped whenever the toxics change, so each connection recompiles its plans lazily.
    var toxicsGeneration: UInt64 = 0
    var counters = ProxyCounters()
    var links: Set<UInt64> = []
    /// What the frame-aware toxics cut the streams into; nil: bytes only.
    let framing: Framing?
    /// Per frame-aware toxic: the frames it has seen (matching its pattern), counted from when it was added.
    var frameSeen: [String: UInt64] = [:]
    /// Per toxic with `match=`: the compiled pattern.
    var patterns: [String: ByteRegex] = [:]
    /// Per reorder toxic: the frames it holds, by connection, in the order they came.
    var reorderHolds: [String: ReorderHold] = [:]
    /// What went through, when the proxy records (`--record`).
    var recording: ProxyRecording? { didSet { records = recording != nil } }
    /// `recording != nil`, kept with it: read on every chunk.
    private(set) var records = false

    init(name: String, listen: String, upstream: String, upstreamAddress: SocketAddress, enabled: Bool, framing: Framing?) {
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.upstreamAddress = upstreamAddress
        self.enabled = enabled
        self.framing = framing
    }

    var info: ProxyInfo {
        ProxyInfo(name: name, listen: listen, upstream: upstream, enabled: enabled, toxics: toxics, counters: counters,
                  framing: framing.map { "\($0)" })
    }
}

/// Frames a reorder toxic holds across connections: each connection's in order (a connection's
/// later frames wait behind its held one: TCP keeps order), the connections in the order they
/// were first held.
struct ReorderHold {
    var connections: [(link: UInt64, direction: Int, frames: [[UInt8]])] = []
    var timer: TimerID?

    func holds(_ link: UInt64, _ direction: Int) -> Bool {
        connections.contains { $0.link == link && $0.direction == direction }
    }

    mutating func add(_ frame: [UInt8], link: UInt64, direction: Int) {
        if let i = connections.firstIndex(where: { $0.link == link && $0.direction == direction }) {
            connections[i].frames.append(frame)
        } else {
            connections.append((link, direction, [frame]))
        }
    }
}
