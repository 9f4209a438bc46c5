// What a bench run does: which sections, how long each cell is measured, how many runs per cell,
// and the matrix of each section. `quick` keeps the whole run under two minutes on two cores.

public struct BenchPlan: Sendable {
    public var quick: Bool
    public var sections: Set<Int>
    public var messageSize = 64
    public var measuredSeconds: Double
    public var warmupSeconds: Double
    /// Runs per cell (servers interleaved between runs); the median run is reported.
    public var runs: Int

    /// Section 1: connections x depth for every server.
    public var loadConnections = [1, 100, 1000]
    public var loadDepths = [1, 16]
    /// Section 2: idle connections beside the one ping-pong connection.
    public var idleCounts = [0, 100, 1000, 5000]
    public var costModes = ["epoll", "uring", "select", "busy"]
    /// Section 3.
    public var clientConnections = [100, 1000]
    public var clientDepth = 16
    public var connectCount = 10_000
    public var connectInFlight = 1000
    /// Section 4.
    public var memoryConnections = 10_000
    /// Section 5: redis-benchmark's PING_INLINE beside `sockfuzz load --request`.
    public var redisConnections = 50
    public var redisPipelines = [1, 16]
    /// Section 6: full handshakes per run (this many in flight), one-at-a-time handshakes, TLS
    /// echo connections (at `clientDepth`), idle TLS connections for the memory figure.
    public var tlsHandshakes: Int { quick ? 300 : 3000 }
    public var tlsInFlight = 32
    public var tlsSequentialHandshakes: Int { quick ? 100 : 1000 }
    public var tlsEchoConnections = 100
    public var tlsMemoryConnections = 1000

    /// Section 7: loadc through each relay at connections x depth; a cell is given this long
    /// beyond its own warmup and measured time (loadc's connects are bounded to 10 s by itself).
    public var proxyConnections = [1, 100, 1000]
    public var proxyDepths = [1, 16]
    public var proxyCellSlackSeconds = 30

    /// Where echo_ref.c and loadc.c are.
    public var refDir: String
    /// Where they are built and the servers' logs go.
    public var scratchDir: String
    /// This executable, run as `serve`.
    public var selfExecutable: String

    public init(quick: Bool, sections: Set<Int> = [1, 2, 3, 4, 5, 6, 7], refDir: String, scratchDir: String, selfExecutable: String,
                measuredSeconds: Double? = nil, warmupSeconds: Double? = nil, runs: Int? = nil) {
        self.quick = quick
        self.sections = sections
        self.refDir = refDir
        self.scratchDir = scratchDir
        self.selfExecutable = selfExecutable
        self.measuredSeconds = measuredSeconds ?? (quick ? 1.0 : 3.0)
        self.warmupSeconds = warmupSeconds ?? (quick ? 0.3 : 0.5)
        self.runs = max(1, runs ?? (quick ? 1 : 3))
    }

    /// loadc takes whole seconds: the measured time and warmup it is given in section 3, which
    /// the sockfuzz client then uses too, so both are measured alike.
    public var loadcSeconds: Int { max(1, Int(measuredSeconds.rounded())) }
    public var loadcWarmupSeconds: Int { max(1, Int(warmupSeconds.rounded(.up))) }
}
