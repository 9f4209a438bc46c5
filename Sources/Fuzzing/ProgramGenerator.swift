// Draws random fuzz programs. One seed gives one program: the choice of operation and of
// connection comes from the run's stream, each operation's parameters from its connection's
// own stream, so connections do not shift each other's choices.

import Vocabulary

public struct GeneratorSettings: Sendable {
    public var maxConnections: Int
    public var operations: ClosedRange<Int>
    public var weights: FuzzWeights
    /// Largest payload of one send. Big sends are what back queues up and expose flush bugs.
    public var maxSendSize: Int
    /// Set for the request/response oracle: sends become `.request`s (the next requests of the
    /// connection's stream, cut at random offsets), and this is the longest request, which
    /// bounds the cut offsets drawn. nil: sends of random bytes.
    public var requestBytes: Int?

    public init(maxConnections: Int = 8, operations: ClosedRange<Int> = 8...40,
                weights: FuzzWeights = FuzzWeights(), maxSendSize: Int = 8 << 20) {
        self.maxConnections = maxConnections
        self.operations = operations
        self.weights = weights
        self.maxSendSize = maxSendSize
    }
}

public enum ProgramGenerator {
    public static func generate(seed: UInt64, run: Int, settings: GeneratorSettings) -> [FuzzOp] {
        var master = SeededRandom(seed: seed).derived(UInt64(run))
        var streams: [SeededRandom] = []
        var model = ProgramModel()
        var ops: [FuzzOp] = []
        let count = master.int(in: settings.operations)
        var attempts = 0
        while ops.count < count && attempts < count * 10 {
            attempts += 1
            guard let op = draw(&master, &streams, model, settings) else { continue }
            guard model.applies(op, maxConnections: settings.maxConnections) else { continue }
            model.apply(op)
            ops.append(op)
        }
        return ops
    }

    private static func draw(_ master: inout SeededRandom, _ streams: inout [SeededRandom],
                             _ model: ProgramModel, _ settings: GeneratorSettings) -> FuzzOp? {
        let w = settings.weights
        let open = model.openIndices
        let room = settings.maxConnections - model.connections.count
        // A program with no open connection can only connect (or wait).
        let kinds: [(Int, Kind)] = [
            (room > 0 ? (open.isEmpty ? max(w.connect, 1) * 4 : w.connect) : 0, .connect),
            (room > 1 ? w.burst : 0, .burst),
            (open.isEmpty ? 0 : w.send, .send), (open.isEmpty ? 0 : w.halfClose, .halfClose),
            (open.isEmpty ? 0 : w.reset, .reset), (open.isEmpty ? 0 : w.close, .close),
            (open.isEmpty ? 0 : w.pause, .pause), (open.isEmpty ? 0 : w.resume, .resume),
            (w.sleep, .sleep), (open.isEmpty ? 0 : w.check, .check),
        ]
        let total = kinds.reduce(0) { $0 + $1.0 }
        guard total > 0 else { return nil }
        var pick = master.int(in: 0...(total - 1))
        var kind = Kind.sleep
        for (weight, k) in kinds {
            if pick < weight { kind = k; break }
            pick -= weight
        }
        switch kind {
        case .connect: return .connect(count: 1)
        case .burst: return .connect(count: master.int(in: 2...max(2, min(room, 8))))
        case .sleep: return .sleep(millis: master.int(in: 0...20))
        default: break
        }
        let conn = open[master.int(in: 0...(open.count - 1))]
        while streams.count <= conn { streams.append(SeededRandom(seed: master.next()).derived("conn \(streams.count)")) }
        switch kind {
        case .send:
            if let longest = settings.requestBytes { return request(&streams[conn], conn: conn, longest: longest) }
            // A paused reader is where queues back up: send it more.
            let size = sendSize(&streams[conn], max: settings.maxSendSize, large: model.connections[conn].paused)
            let chunks = streams[conn].int(in: 0...3) == 0 ? streams[conn].int(in: 2...min(8, max(2, size))) : 1
            let gap = chunks > 1 && streams[conn].int(in: 0...1) == 0 ? streams[conn].int(in: 0...5) : 0
            return .send(conn: conn, size: size, chunks: min(chunks, size), gapMillis: gap)
        case .halfClose: return .halfClose(conn: conn)
        case .reset: return .reset(conn: conn)
        case .close: return .close(conn: conn)
        case .pause: return .pause(conn: conn)
        case .resume:
            // Resume the connection that is paused, if any, rather than a random one.
            let paused = open.filter { model.connections[$0].paused }
            return paused.isEmpty ? nil : .resume(conn: paused[master.int(in: 0...(paused.count - 1))])
        case .check: return .check(conn: conn)
        case .connect, .burst, .sleep: return nil
        }
    }

    /// A pipelined batch of 1 to 4 requests (mostly one), cut at up to 3 offsets (three times in
    /// four) with a pause of up to 5 ms between the pieces (half the time). Offsets past the
    /// batch's actual length are dropped when it is compiled.
    private static func request(_ r: inout SeededRandom, conn: Int, longest: Int) -> FuzzOp {
        let count = r.int(in: 0...2) == 0 ? r.int(in: 2...4) : 1
        let span = max(2, count * longest)
        var cuts: [Int] = []
        if r.int(in: 0...3) != 0 {
            cuts = Array(Set((0..<r.int(in: 1...3)).map { _ in r.int(in: 1...(span - 1)) })).sorted()
        }
        let gap = !cuts.isEmpty && r.int(in: 0...1) == 0 ? r.int(in: 0...5) : 0
        return .request(conn: conn, count: count, cuts: cuts, gapMillis: gap)
    }

    /// Mostly small payloads, sometimes a few hundred KiB, now and then megabytes.
    private static func sendSize(_ r: inout SeededRandom, max: Int, large: Bool) -> Int {
        if large && r.int(in: 0...1) == 0 { return r.int(in: Swift.max(1, max / 4)...max) }
        switch r.int(in: 0...9) {
        case 0...6: return r.int(in: 1...Swift.min(4096, max))
        case 7...8: return r.int(in: 1...Swift.min(256 * 1024, max))
        default: return r.int(in: 1...max)
        }
    }

    private enum Kind { case connect, burst, send, halfClose, reset, close, pause, resume, sleep, check }
}
