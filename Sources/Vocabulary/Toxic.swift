// A toxic: one impairment on one direction of a proxy's connections, named, with a probability
// of applying to each connection (toxicity). Its attributes are kept in toxiproxy's own names and
// units (milliseconds, microseconds, bytes, KB/s), so the HTTP API round-trips them exactly and
// a toxiproxy client reads back what it wrote.

/// Which way the bytes go: `upstream` is client to server, `downstream` server to client
/// (toxiproxy's words).
public enum ToxicStream: String, Sendable, CaseIterable {
    case upstream, downstream
}

public enum ToxicType: String, Sendable, CaseIterable {
    // toxiproxy's seven, with its attribute names and units.
    case latency, bandwidth, slicer, timeout
    case slowClose = "slow_close"
    case resetPeer = "reset_peer"
    case limitData = "limit_data"
    /// toxiproxy's placeholder, which does nothing (clients and tests create it).
    case noop
    // sockfuzz's own.
    case halfClose = "half_close"
    case stall
    // Frame-aware (the proxy needs a framing): act on whole requests (upstream) or replies (downstream).
    case drop, delay, duplicate, corrupt, answer, reorder

    /// An attribute: its name in toxiproxy's JSON, its unit there, its default.
    public struct Attribute: Sendable {
        public let name: String
        public let unit: AttributeUnit
        public let defaultValue: Int64
    }

    public enum AttributeUnit: Sendable {
        case milliseconds, microseconds, bytes, kilobytesPerSecond, count

        /// The largest value taken: a year of time, a petabyte, a billion KB/s. Past these the
        /// proxy's nanosecond arithmetic would overflow, and no test means them.
        public var maximum: Int64 {
            switch self {
            case .milliseconds: 365 * 86_400_000
            case .microseconds: 365 * 86_400_000_000
            case .bytes, .count: 1 << 50
            case .kilobytesPerSecond: 1_000_000_000
            }
        }

        public var name: String {
            switch self {
            case .milliseconds: "ms"
            case .microseconds: "us"
            case .bytes: "bytes"
            case .kilobytesPerSecond: "KB/s"
            case .count: ""
            }
        }
    }

    /// Acts on whole frames (requests or replies) rather than on bytes.
    public var isFrameAware: Bool {
        switch self {
        case .drop, .delay, .duplicate, .corrupt, .answer, .reorder: true
        default: false
        }
    }

    /// Which frames a frame-aware toxic acts on: from the `nth` it sees (1-based, counted from
    /// when it was added, across the proxy's connections), `count` of them (0: every one after).
    static let frameSelection: [Attribute] = [.init(name: "nth", unit: .count, defaultValue: 1),
                                              .init(name: "count", unit: .count, defaultValue: 1)]

    public var attributes: [Attribute] {
        switch self {
        case .latency: [.init(name: "latency", unit: .milliseconds, defaultValue: 0),
                        .init(name: "jitter", unit: .milliseconds, defaultValue: 0)]
        case .bandwidth: [.init(name: "rate", unit: .kilobytesPerSecond, defaultValue: 0)]
        case .slicer: [.init(name: "average_size", unit: .bytes, defaultValue: 0),
                       .init(name: "size_variation", unit: .bytes, defaultValue: 0),
                       .init(name: "delay", unit: .microseconds, defaultValue: 0)]
        case .timeout: [.init(name: "timeout", unit: .milliseconds, defaultValue: 0)]
        case .slowClose: [.init(name: "delay", unit: .milliseconds, defaultValue: 0)]
        case .resetPeer: [.init(name: "timeout", unit: .milliseconds, defaultValue: 0),
                          .init(name: "bytes", unit: .bytes, defaultValue: 0)]
        case .limitData: [.init(name: "bytes", unit: .bytes, defaultValue: 0)]
        case .halfClose: [.init(name: "timeout", unit: .milliseconds, defaultValue: 0)]
        case .noop: []
        case .stall: [.init(name: "good", unit: .milliseconds, defaultValue: 1000),
                      .init(name: "bad", unit: .milliseconds, defaultValue: 100)]
        case .delay: Self.frameSelection + [.init(name: "delay", unit: .milliseconds, defaultValue: 0)]
        case .drop, .duplicate, .corrupt, .answer: Self.frameSelection
        // Every frame by default: reordering one frame alone reorders nothing.
        case .reorder: [.init(name: "nth", unit: .count, defaultValue: 1), .init(name: "count", unit: .count, defaultValue: 0),
                        .init(name: "window", unit: .count, defaultValue: 2),
                                              .init(name: "delay", unit: .milliseconds, defaultValue: 1000)]
        }
    }

    /// One line for help and errors.
    public var summary: String {
        switch self {
        case .latency: "delay every chunk by latency ms, plus or minus up to jitter ms"
        case .bandwidth: "at most rate KB/s (0: no limit)"
        case .slicer: "re-cut the stream into pieces of average_size +- size_variation bytes, delay us apart"
        case .timeout: "forward nothing; close the connection after timeout ms (0: never)"
        case .slowClose: "hold the close (FIN) back for delay ms"
        case .resetPeer: "reset (RST) the connection timeout ms after the first data, or after bytes bytes"
        case .limitData: "close the connection once bytes bytes went through"
        case .noop: "nothing: the bytes pass as they are (toxiproxy's placeholder)"
        case .halfClose: "shut this direction (the receiver reads EOF) timeout ms after the connection opens"
        case .stall: "stall bursts (Gilbert-Elliott): flowing for about good ms, then stalled for about bad ms"
        case .drop: "discard the chosen requests or replies"
        case .delay: "hold the chosen requests or replies back delay ms (what follows waits behind them)"
        case .duplicate: "send the chosen requests or replies twice"
        case .corrupt: "flip one byte of each chosen request or reply"
        case .answer: "answer the chosen requests with reply= instead of forwarding them (upstream only)"
        case .reorder: "hold the chosen frames until window connections have one held (or delay ms passed), then release them in reverse order"
        }
    }
}

public struct Toxic: Sendable, Equatable {
    public var name: String
    public var type: ToxicType
    public var stream: ToxicStream
    /// The probability, 0...1, that the toxic applies to a given connection.
    public var toxicity: Double
    /// Every attribute of `type`, in toxiproxy's units.
    public private(set) var attributes: [String: Int64]
    /// Frame-aware toxics: only frames this regular expression finds something in (verbatim).
    public var match: String?
    /// `answer`: the reply sent instead of forwarding the request.
    public var reply: [UInt8]?

    public init(name: String? = nil, type: ToxicType, stream: ToxicStream = .downstream,
                toxicity: Double = 1, attributes: [String: Int64] = [:], match: String? = nil, reply: [UInt8]? = nil) throws(ToxicError) {
        self.name = name ?? "\(type.rawValue)_\(stream.rawValue)"
        self.type = type
        self.stream = stream
        self.toxicity = toxicity
        self.match = match
        self.reply = reply
        if (match != nil) && !type.isFrameAware {
            throw ToxicError("match= is for the frame-aware toxics (drop, delay, duplicate, corrupt, answer), not \(type.rawValue)")
        }
        if type == .answer {
            guard stream == .upstream else { throw ToxicError("answer acts on requests: it needs upstream") }
            guard reply != nil else { throw ToxicError("answer needs reply=\"...\", the reply to send instead") }
        } else if reply != nil {
            throw ToxicError("reply= is for answer, not \(type.rawValue)")
        }
        self.attributes = Dictionary(uniqueKeysWithValues: type.attributes.map { ($0.name, $0.defaultValue) })
        try update(attributes: attributes)
        guard toxicity >= 0 && toxicity <= 1 else {
            throw ToxicError("toxicity must be between 0 and 1, got \(toxicity)")
        }
        guard !self.name.isEmpty else { throw ToxicError("a toxic needs a name") }
    }

    /// Merges `changes` into the attributes (toxiproxy's update). Every name must be one of the
    /// type's and every value at least 0.
    public mutating func update(attributes changes: [String: Int64]) throws(ToxicError) {
        for (key, value) in changes {
            guard self.attributes[key] != nil else {
                let known = type.attributes.map(\.name).joined(separator: ", ")
                throw ToxicError("\(type.rawValue) has no attribute '\(key)' (it has: \(known))")
            }
            guard value >= 0 else { throw ToxicError("\(type.rawValue) \(key) must be 0 or more, got \(value)") }
            // Frames are counted from 1: nth=0 would name no frame (it acted on the first).
            if key == "nth" && value < 1 { throw ToxicError("\(type.rawValue) nth counts frames from 1 (the first), got \(value)") }
            if let unit = type.attributes.first(where: { $0.name == key })?.unit, value > unit.maximum {
                throw ToxicError("\(type.rawValue) \(key) must be at most \(unit.maximum)\(unit.name.isEmpty ? "" : " " + unit.name), got \(value)")
            }
        }
        self.attributes.merge(changes) { _, new in new }
        // bandwidth rate 0 is no limit, as toxiproxy takes it (its default).
    }

    public subscript(attribute: String) -> Int64 { attributes[attribute, default: 0] }
}

public struct ToxicError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
