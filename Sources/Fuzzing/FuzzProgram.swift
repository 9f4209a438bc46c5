// A fuzz program: the operations, across many connections of group `c`, that the generator
// draws and the shrinker removes or simplifies. The checks are not part of it: the compiler
// derives them from a model, so no shrink step can drop the oracle.

public enum FuzzOp: Sendable, Equatable, CustomStringConvertible {
    /// Adds `count` connections to group `c` (a single connect, or a burst).
    case connect(count: Int)
    /// Random bytes to connection `conn`, cut into `chunks` fragments `gapMillis` apart.
    case send(conn: Int, size: Int, chunks: Int, gapMillis: Int)
    /// The request/response oracle's send: the next `count` requests of connection `conn`'s
    /// request stream, written as one byte stream cut at the offsets `cuts`, `gapMillis` apart.
    case request(conn: Int, count: Int, cuts: [Int], gapMillis: Int)
    case halfClose(conn: Int)
    /// Abrupt close: RST.
    case reset(conn: Int)
    case close(conn: Int)
    /// Stop reading (a slow reader) / read again.
    case pause(conn: Int)
    case resume(conn: Int)
    case sleep(millis: Int)
    /// Check that everything sent on `conn` so far came back.
    case check(conn: Int)

    public var description: String {
        switch self {
        case .connect(let n): return "connect \(n)"
        case .send(let c, let size, let chunks, let gap): return "send c[\(c)] \(size)B/\(chunks)@\(gap)ms"
        case .request(let c, let count, let cuts, let gap): return "request c[\(c)] x\(count) cut \(cuts)@\(gap)ms"
        case .halfClose(let c): return "halfclose c[\(c)]"
        case .reset(let c): return "reset c[\(c)]"
        case .close(let c): return "close c[\(c)]"
        case .pause(let c): return "pause c[\(c)]"
        case .resume(let c): return "resume c[\(c)]"
        case .sleep(let ms): return "sleep \(ms)ms"
        case .check(let c): return "check c[\(c)]"
        }
    }
}

/// How often each kind of operation is drawn (relative weights; 0 disables a kind).
public struct FuzzWeights: Sendable, Equatable {
    public var connect = 2
    public var burst = 1
    public var send = 8
    public var halfClose = 2
    public var reset = 1
    public var close = 1
    public var pause = 2
    public var resume = 2
    public var sleep = 1
    public var check = 3

    public init() {}

    public static let names = ["connect", "burst", "send", "halfclose", "reset", "close", "pause", "resume", "sleep", "check"]

    /// Every weight, in `names` order, as `--weights` takes them: one text per set of weights,
    /// however they were written (`send=5,reset=2` and `reset=2,send=5` read the same).
    public var canonicalText: String {
        let values = [connect, burst, send, halfClose, reset, close, pause, resume, sleep, check]
        return zip(Self.names, values).map { "\($0)=\($1)" }.joined(separator: ",")
    }

    /// Parses `send=5,reset=2`: the kinds named take these weights, the others keep theirs.
    public init(parsing text: String) throws(FuzzError) {
        self.init()
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let value = Int(parts[1]), value >= 0 else {
                throw FuzzError("bad weight '\(item)': expected KIND=N with N >= 0")
            }
            switch parts[0] {
            case "connect": connect = value
            case "burst": burst = value
            case "send": send = value
            case "halfclose": halfClose = value
            case "reset": reset = value
            case "close": close = value
            case "pause": pause = value
            case "resume": resume = value
            case "sleep": sleep = value
            case "check": check = value
            default:
                throw FuzzError("unknown operation '\(parts[0])' in weights (known: \(Self.names.joined(separator: ", ")))")
            }
        }
    }
}

public struct FuzzError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

extension Set where Element == Character {
    static let whitespaces: Set<Character> = [" ", "\t"]
}
