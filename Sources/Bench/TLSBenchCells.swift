// Section 6 of the report: TLS side by side. Handshakes/s and TLS echo msgs/s of the embedded
// server (epoll) and of tls_echo_ref under the same client, the client's one-at-a-time
// handshakes/s beside `openssl s_time -new`, and memory per idle TLS connection on both sides.

public struct TLSBenchSection: Codable, Sendable, Equatable {
    public var cells: [TLSBenchCell]
    public var idleMemory: TLSIdleMemory?

    public init(cells: [TLSBenchCell], idleMemory: TLSIdleMemory?) {
        self.cells = cells
        self.idleMemory = idleMemory
    }
}

public struct TLSBenchCell: Codable, Sendable, Equatable {
    /// "sockfuzz epoll tls" or "tls_echo_ref epoll".
    public var server: String
    /// Full handshakes per run (no resumption), and how many the client keeps in flight.
    public var handshakes: Int
    public var inFlight: Int
    public var handshakesPerSecond: Double
    /// From connect() to the handshake's end.
    public var handshakeLatencyMicros: Latency?
    public var serverCPUMicrosPerHandshake: Double?
    public var clientCPUMicrosPerHandshake: Double?
    /// The same client, one handshake at a time (what s_time does).
    public var sequentialHandshakesPerSecond: Double?
    /// `openssl s_time -new`: one full handshake at a time, C client.
    public var sTimeHandshakesPerSecond: Double?
    public var echoConnections: Int
    public var echoDepth: Int
    public var echoMessagesPerSecond: Double?
    public var echoLatencyMicros: Latency?
    /// Handshakes/s and echo msgs/s over tls_echo_ref's (nil for the reference itself).
    public var ratioToReference: Double?
    public var echoRatioToReference: Double?
    public var runs: [Double]
    public var errors: UInt64
    public var firstError: String?

    public init(server: String, handshakes: Int, inFlight: Int, handshakesPerSecond: Double, handshakeLatencyMicros: Latency?,
                serverCPUMicrosPerHandshake: Double?, clientCPUMicrosPerHandshake: Double?, sequentialHandshakesPerSecond: Double?,
                sTimeHandshakesPerSecond: Double?, echoConnections: Int, echoDepth: Int, echoMessagesPerSecond: Double?,
                echoLatencyMicros: Latency?, ratioToReference: Double?, echoRatioToReference: Double?, runs: [Double],
                errors: UInt64, firstError: String?) {
        self.server = server
        self.handshakes = handshakes
        self.inFlight = inFlight
        self.handshakesPerSecond = handshakesPerSecond
        self.handshakeLatencyMicros = handshakeLatencyMicros
        self.serverCPUMicrosPerHandshake = serverCPUMicrosPerHandshake
        self.clientCPUMicrosPerHandshake = clientCPUMicrosPerHandshake
        self.sequentialHandshakesPerSecond = sequentialHandshakesPerSecond
        self.sTimeHandshakesPerSecond = sTimeHandshakesPerSecond
        self.echoConnections = echoConnections
        self.echoDepth = echoDepth
        self.echoMessagesPerSecond = echoMessagesPerSecond
        self.echoLatencyMicros = echoLatencyMicros
        self.ratioToReference = ratioToReference
        self.echoRatioToReference = echoRatioToReference
        self.runs = runs
        self.errors = errors
        self.firstError = firstError
    }
}

/// RSS growth per idle TLS connection (handshake done, one byte echoed), both ends, after a
/// warm-up connection (what OpenSSL sets up once per process is not counted).
public struct TLSIdleMemory: Codable, Sendable, Equatable {
    public var connections: Int
    /// `sockfuzz serve --mode epoll --tls`.
    public var serverBytesPerConnection: Double
    /// This process holding the client ends (socket + SSL object each).
    public var clientBytesPerConnection: Double
    /// tls_echo_ref under the same client: one SSL object per connection and nothing else, the
    /// floor for a server on this OpenSSL (nil when not measured; absent from older reports).
    public var referenceServerBytesPerConnection: Double?

    public init(connections: Int, serverBytesPerConnection: Double, clientBytesPerConnection: Double,
                referenceServerBytesPerConnection: Double? = nil) {
        self.connections = connections
        self.serverBytesPerConnection = serverBytesPerConnection
        self.clientBytesPerConnection = clientBytesPerConnection
        self.referenceServerBytesPerConnection = referenceServerBytesPerConnection
    }
}

extension TLSBenchSection {
    static let title = "(6) TLS: the embedded server (epoll) vs tls_echo_ref, same client (sockfuzz load --connect-only --tls); "
        + "one handshake at a time vs openssl s_time -new"
    static let headers = ["server", "handshakes/s", "runs", "p50", "p99", "srv CPU/hs", "cli CPU/hs", "ratio",
                          "1 at a time", "s_time -new", "echo msgs/s", "echo p99", "echo ratio"]

    /// One row per server, in the headers' order, plain text (the HTML page escapes it).
    var rows: [[String]] {
        cells.map { c in
            [c.server, BenchFormat.count(c.handshakesPerSecond), BenchFormat.spread(c.runs, around: c.handshakesPerSecond),
             BenchFormat.micros(c.handshakeLatencyMicros?.p50), BenchFormat.micros(c.handshakeLatencyMicros?.p99),
             BenchFormat.micros(c.serverCPUMicrosPerHandshake), BenchFormat.micros(c.clientCPUMicrosPerHandshake),
             BenchFormat.ratio(c.ratioToReference), c.sequentialHandshakesPerSecond.map(BenchFormat.count) ?? "-",
             c.sTimeHandshakesPerSecond.map(BenchFormat.count) ?? "-", c.echoMessagesPerSecond.map(BenchFormat.count) ?? "-",
             BenchFormat.micros(c.echoLatencyMicros?.p99), BenchFormat.ratio(c.echoRatioToReference)]
        }
    }

    /// "1000 idle TLS connections (RSS growth): sockfuzz serve --tls 14.6 KiB each, client
    /// (sockfuzz load --tls) 16.9 KiB each, tls_echo_ref 14.5 KiB each", or nil.
    var memoryLine: String? {
        idleMemory.map { m in
            "\(m.connections) idle TLS connections (RSS growth): sockfuzz serve --tls \(BenchFormat.bytes(Int(m.serverBytesPerConnection))) each, "
                + "client (sockfuzz load --tls) \(BenchFormat.bytes(Int(m.clientBytesPerConnection))) each"
                + (m.referenceServerBytesPerConnection.map { ", tls_echo_ref \(BenchFormat.bytes(Int($0))) each" } ?? "")
        }
    }
}
