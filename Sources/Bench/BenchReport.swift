// What `sockfuzz bench` measured, as one Codable value: the JSON file is this type encoded, and
// the terminal table and the HTML page are rendered from it. Ratios and target verdicts are
// derived by `BenchTargets.evaluate` and stored too, so a reader of the JSON needs no code.

import Results

/// A server under test: sockfuzz's embedded server or the C reference, in one I/O design.
public struct ServerID: Codable, Sendable, Hashable, CustomStringConvertible {
    public enum Implementation: String, Codable, Sendable, CaseIterable { case sockfuzz, echoRef = "echo_ref" }
    public var implementation: Implementation
    /// busy, select, epoll or uring (echo_ref has select and epoll only).
    public var mode: String

    public init(_ implementation: Implementation, _ mode: String) {
        self.implementation = implementation
        self.mode = mode
    }

    public static let sockfuzzBusy = ServerID(.sockfuzz, "busy")
    public static let sockfuzzSelect = ServerID(.sockfuzz, "select")
    public static let sockfuzzEpoll = ServerID(.sockfuzz, "epoll")
    public static let sockfuzzUring = ServerID(.sockfuzz, "uring")
    public static let refSelect = ServerID(.echoRef, "select")
    public static let refEpoll = ServerID(.echoRef, "epoll")

    /// The order servers appear in tables and charts.
    public static let all: [ServerID] = [.sockfuzzEpoll, .refEpoll, .sockfuzzUring, .sockfuzzSelect, .refSelect, .sockfuzzBusy]

    public var description: String { "\(implementation.rawValue) \(mode)" }

    /// The echo_ref server a sockfuzz mode is compared with: same design where there is one.
    public var reference: ServerID? {
        guard implementation == .sockfuzz else { return nil }
        return mode == "select" ? .refSelect : .refEpoll
    }
}

public struct BenchReport: Codable, Sendable, Equatable {
    public static let currentSchema = "sockfuzz-bench/1"

    public var schema: String
    /// ISO 8601, UTC, when the run started.
    public var date: String
    /// The command line as run.
    public var command: String
    public var quick: Bool
    public var machine: Machine
    public var settings: Settings
    /// Section 1: every server under the same load.
    public var servers: [ServerCell]
    /// Section 2: one ping-pong connection beside N idle ones.
    public var costCurve: [CostPoint]
    /// Section 3: the load client against loadc, both driving echo_ref epoll.
    public var clients: [ClientCell]
    /// Section 3: connects/s of both clients.
    public var connects: [ConnectCell]
    /// Section 4: RSS per idle connection of a fresh `sockfuzz serve --mode epoll`.
    public var idleMemory: IdleMemory?
    /// Section 5: `sockfuzz load --request` beside redis-benchmark on one redis-server (absent
    /// from reports made before it existed).
    public var requestLoad: [RequestLoadCell]? = nil
    /// Section 6: TLS handshakes/s and echo beside tls_echo_ref (nil when not run).
    public var tls: TLSBenchSection? = nil
    /// Section 7: pass-through throughput and latency of `sockfuzz proxy` beside relay_ref and
    /// socat, in front of the same echo server (nil when not run).
    public var proxy: ProxyBenchSection? = nil
    public var targets: [TargetResult]
    /// Cells or sections not run, with the reason.
    public var skipped: [Skip]
    public var notes: [String]
    /// Seconds the whole run took.
    public var elapsedSeconds: Double

    public init(date: String, command: String, quick: Bool, machine: Machine, settings: Settings,
                servers: [ServerCell] = [], costCurve: [CostPoint] = [], clients: [ClientCell] = [],
                connects: [ConnectCell] = [], idleMemory: IdleMemory? = nil, targets: [TargetResult] = [],
                skipped: [Skip] = [], notes: [String] = [], elapsedSeconds: Double = 0) {
        schema = Self.currentSchema
        self.date = date
        self.command = command
        self.quick = quick
        self.machine = machine
        self.settings = settings
        self.servers = servers
        self.costCurve = costCurve
        self.clients = clients
        self.connects = connects
        self.idleMemory = idleMemory
        self.targets = targets
        self.skipped = skipped
        self.notes = notes
        self.elapsedSeconds = elapsedSeconds
    }

    public struct Machine: Codable, Sendable, Equatable {
        public var cpus: Int
        public var kernel: String
        public var cpuModel: String?
        /// Whether servers ran on CPU 0 and clients on CPU 1.
        public var pinned: Bool
        public var pinning: String
        public var loadAverageAtStart: Double?
        /// The 1-minute load average when the run ended: other work on the machine shows here.
        public var loadAverageAtEnd: Double?

        public init(cpus: Int, kernel: String, cpuModel: String?, pinned: Bool, pinning: String, loadAverageAtStart: Double?,
                    loadAverageAtEnd: Double? = nil) {
            self.cpus = cpus
            self.kernel = kernel
            self.cpuModel = cpuModel
            self.pinned = pinned
            self.pinning = pinning
            self.loadAverageAtStart = loadAverageAtStart
            self.loadAverageAtEnd = loadAverageAtEnd
        }
    }

    public struct Settings: Codable, Sendable, Equatable {
        public var messageSize: Int
        public var measuredSeconds: Double
        public var warmupSeconds: Double
        /// Runs per cell; figures are the median run's.
        public var runs: Int
        public var sections: [Int]

        public init(messageSize: Int, measuredSeconds: Double, warmupSeconds: Double, runs: Int, sections: [Int]) {
            self.messageSize = messageSize
            self.measuredSeconds = measuredSeconds
            self.warmupSeconds = warmupSeconds
            self.runs = runs
            self.sections = sections
        }
    }
}

/// Latency of one cell, in microseconds: the median and the 99th percentile only, because they
/// are all the yardsticks report (loadc, redis-benchmark's CSV, the relay probe), and a cell
/// compares like with like. Our own side's full `Percentiles` are cut down to these.
public struct Latency: Codable, Sendable, Equatable {
    public var p50: Double
    public var p99: Double

    public init(p50: Double, p99: Double) {
        self.p50 = p50
        self.p99 = p99
    }

    public init(_ full: Percentiles) {
        self.init(p50: full.p50, p99: full.p99)
    }

    /// From a C yardstick's `key=value` line (`p50_us=`, `p99_us=`); nil unless it gave both.
    init?(fields: [String: Double]) {
        guard let p50 = fields["p50_us"], let p99 = fields["p99_us"] else { return nil }
        self.init(p50: p50, p99: p99)
    }
}

public struct ServerCell: Codable, Sendable, Equatable {
    public var server: ServerID
    public var connections: Int
    public var depth: Int
    /// Median over the runs.
    public var messagesPerSecond: Double
    public var latencyMicros: Latency?
    /// Server CPU (user + system) per echoed message, microseconds.
    public var serverCPUMicrosPerMessage: Double?
    /// Server CPU over the measured window, percent of one core.
    public var serverCPUPercent: Double?
    /// This process (the load generator) over the window, percent of one core.
    public var clientCPUPercent: Double?
    /// messages/s of every run, in run order.
    public var runs: [Double]
    public var errors: UInt64
    public var firstError: String?
    /// messages/s divided by the reference server's in the same cell (sockfuzz rows only).
    public var ratioToReference: Double?

    public init(server: ServerID, connections: Int, depth: Int, messagesPerSecond: Double, latencyMicros: Latency?,
                serverCPUMicrosPerMessage: Double?, serverCPUPercent: Double?, clientCPUPercent: Double?,
                runs: [Double], errors: UInt64 = 0, firstError: String? = nil, ratioToReference: Double? = nil) {
        self.server = server
        self.connections = connections
        self.depth = depth
        self.messagesPerSecond = messagesPerSecond
        self.latencyMicros = latencyMicros
        self.serverCPUMicrosPerMessage = serverCPUMicrosPerMessage
        self.serverCPUPercent = serverCPUPercent
        self.clientCPUPercent = clientCPUPercent
        self.runs = runs
        self.errors = errors
        self.firstError = firstError
        self.ratioToReference = ratioToReference
    }
}

public struct CostPoint: Codable, Sendable, Equatable {
    /// busy, select or epoll (the sockfuzz server).
    public var mode: String
    public var idleConnections: Int
    public var roundTripsPerSecond: Double
    public var latencyMicros: Latency?
    public var serverCPUMicrosPerMessage: Double?
    public var serverCPUPercent: Double?
    public var runs: [Double]
    public var errors: UInt64

    public init(mode: String, idleConnections: Int, roundTripsPerSecond: Double, latencyMicros: Latency?,
                serverCPUMicrosPerMessage: Double?, serverCPUPercent: Double?, runs: [Double], errors: UInt64 = 0) {
        self.mode = mode
        self.idleConnections = idleConnections
        self.roundTripsPerSecond = roundTripsPerSecond
        self.latencyMicros = latencyMicros
        self.serverCPUMicrosPerMessage = serverCPUMicrosPerMessage
        self.serverCPUPercent = serverCPUPercent
        self.runs = runs
        self.errors = errors
    }
}

public struct ClientCell: Codable, Sendable, Equatable {
    public enum Client: String, Codable, Sendable { case sockfuzz, loadc }
    public var client: Client
    public var connections: Int
    public var depth: Int
    public var messagesPerSecond: Double
    public var latencyMicros: Latency?
    public var runs: [Double]
    /// sockfuzz / loadc messages/s in the same cell (sockfuzz rows only).
    public var ratioToLoadc: Double?

    public init(client: Client, connections: Int, depth: Int, messagesPerSecond: Double, latencyMicros: Latency?,
                runs: [Double], ratioToLoadc: Double? = nil) {
        self.client = client
        self.connections = connections
        self.depth = depth
        self.messagesPerSecond = messagesPerSecond
        self.latencyMicros = latencyMicros
        self.runs = runs
        self.ratioToLoadc = ratioToLoadc
    }
}

public struct ConnectCell: Codable, Sendable, Equatable {
    public var client: ClientCell.Client
    public var count: Int
    public var inFlight: Int
    public var connected: Int
    /// Median over the runs.
    public var connectsPerSecond: Double
    public var runs: [Double]
    public var ratioToLoadc: Double?

    public init(client: ClientCell.Client, count: Int, inFlight: Int, connected: Int, connectsPerSecond: Double,
                runs: [Double], ratioToLoadc: Double? = nil) {
        self.client = client
        self.count = count
        self.inFlight = inFlight
        self.connected = connected
        self.connectsPerSecond = connectsPerSecond
        self.runs = runs
        self.ratioToLoadc = ratioToLoadc
    }
}

public struct RequestLoadCell: Codable, Sendable, Equatable {
    public enum Client: String, Codable, Sendable { case sockfuzz, redisBenchmark = "redis-benchmark" }
    public var client: Client
    public var connections: Int
    /// Requests in flight per connection (redis-benchmark's -P).
    public var pipeline: Int
    /// Median over the runs.
    public var requestsPerSecond: Double
    public var latencyMicros: Latency?
    public var runs: [Double]
    /// sockfuzz / redis-benchmark requests/s in the same cell (sockfuzz rows only).
    public var ratioToRedisBenchmark: Double?

    public init(client: Client, connections: Int, pipeline: Int, requestsPerSecond: Double, latencyMicros: Latency?,
                runs: [Double], ratioToRedisBenchmark: Double? = nil) {
        self.client = client
        self.connections = connections
        self.pipeline = pipeline
        self.requestsPerSecond = requestsPerSecond
        self.latencyMicros = latencyMicros
        self.runs = runs
        self.ratioToRedisBenchmark = ratioToRedisBenchmark
    }
}

public struct IdleMemory: Codable, Sendable, Equatable {
    public var mode: String
    public var connections: Int
    public var rssBeforeBytes: Int
    public var rssAfterBytes: Int
    public var bytesPerConnection: Double

    public init(mode: String, connections: Int, rssBeforeBytes: Int, rssAfterBytes: Int) {
        self.mode = mode
        self.connections = connections
        self.rssBeforeBytes = rssBeforeBytes
        self.rssAfterBytes = rssAfterBytes
        bytesPerConnection = connections > 0 ? Double(rssAfterBytes - rssBeforeBytes) / Double(connections) : 0
    }
}

public struct TargetResult: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable { case pass = "PASS", miss = "MISS", skipped = "SKIP" }
    public var id: String
    /// What is asked, in words ("sockfuzz epoll >= 1.0x echo_ref epoll msgs/s in every cell").
    public var goal: String
    /// The figure judged: the worst ratio, or bytes per connection.
    public var measured: Double?
    public var threshold: Double
    /// "ratio" (higher is better), "bytes" or "us" (lower is better; "us": microseconds added).
    public var unit: String
    public var verdict: Verdict
    /// Where the worst figure was, or why it was skipped.
    public var detail: String

    public init(id: String, goal: String, measured: Double?, threshold: Double, unit: String, verdict: Verdict, detail: String) {
        self.id = id
        self.goal = goal
        self.measured = measured
        self.threshold = threshold
        self.unit = unit
        self.verdict = verdict
        self.detail = detail
    }
}

public struct Skip: Codable, Sendable, Equatable {
    public var section: Int
    public var what: String
    public var reason: String
    /// Left out by the plan (select past FD_SETSIZE), not because something failed.
    public var byDesign: Bool

    public init(section: Int, what: String, reason: String, byDesign: Bool = false) {
        self.section = section
        self.what = what
        self.reason = reason
        self.byDesign = byDesign
    }
}
