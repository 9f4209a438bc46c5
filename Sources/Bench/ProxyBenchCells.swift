// Section 7 of the report: proxy pass-through. The same echo server (echo_ref epoll) reached
// directly and through each relay in turn, `sockfuzz proxy` with no toxic, relay_ref and socat,
// all driven by loadc; issue 19 asks the proxy for >= 1.0x the throughput of relay_ref and of
// socat and a p50 within 10 us of relay_ref's, in every cell.

public struct ProxyBenchSection: Codable, Sendable, Equatable {
    /// The echo server behind every relay ("echo_ref epoll").
    public var upstream: String
    public var cells: [ProxyBenchCell]

    public init(upstream: String, cells: [ProxyBenchCell]) {
        self.upstream = upstream
        self.cells = cells
    }

    /// How much higher the proxy's p50 may be than relay_ref's in the same cell.
    public static let addedLatencyLimitMicros = 10.0
}

public struct ProxyBenchCell: Codable, Sendable, Equatable {
    /// What loadc's connections go through to reach the echo server.
    public enum Relay: String, Codable, Sendable, CaseIterable {
        case direct, sockfuzz = "sockfuzz proxy", relayRef = "relay_ref", socat
    }

    public var relay: Relay
    public var connections: Int
    public var depth: Int
    /// Median over the runs; 0 when the cell could not be measured (`problem` says why).
    public var messagesPerSecond: Double
    public var latencyMicros: Latency?
    /// CPU of the relay process over the loadc run (warmup included), percent of one core; nil
    /// for direct and for socat (whose work is in a forked process per connection).
    public var relayCPUPercent: Double?
    public var runs: [Double]
    public var errors: UInt64
    /// Why the cell has no figure (socat at 1000 connections may not keep up with the connects).
    public var problem: String?
    /// sockfuzz proxy rows only, filled by `BenchTargets.evaluate`: msgs/s over relay_ref's and
    /// socat's in the same cell, and p50 minus relay_ref's p50 (microseconds).
    public var ratioToRelayRef: Double?
    public var ratioToSocat: Double?
    public var p50AboveRelayRefMicros: Double?

    public init(relay: Relay, connections: Int, depth: Int, messagesPerSecond: Double, latencyMicros: Latency?,
                relayCPUPercent: Double? = nil, runs: [Double], errors: UInt64 = 0, problem: String? = nil) {
        self.relay = relay
        self.connections = connections
        self.depth = depth
        self.messagesPerSecond = messagesPerSecond
        self.latencyMicros = latencyMicros
        self.relayCPUPercent = relayCPUPercent
        self.runs = runs
        self.errors = errors
        self.problem = problem
    }

    var measured: Bool { problem == nil && messagesPerSecond > 0 }
}

extension ProxyBenchSection {
    /// The cell of `relay` at `connections` x `depth` that has a figure.
    func measured(_ relay: ProxyBenchCell.Relay, _ connections: Int, _ depth: Int) -> ProxyBenchCell? {
        cells.first { $0.relay == relay && $0.connections == connections && $0.depth == depth && $0.measured }
    }

    /// The section with every sockfuzz proxy row's ratios and added latency computed.
    func withRatios() -> ProxyBenchSection {
        var s = self
        for i in s.cells.indices where s.cells[i].relay == .sockfuzz {
            let c = s.cells[i]
            let relay = c.measured ? measured(.relayRef, c.connections, c.depth) : nil
            let socat = c.measured ? measured(.socat, c.connections, c.depth) : nil
            s.cells[i].ratioToRelayRef = relay.map { c.messagesPerSecond / $0.messagesPerSecond }
            s.cells[i].ratioToSocat = socat.map { c.messagesPerSecond / $0.messagesPerSecond }
            if let mine = c.latencyMicros?.p50, let theirs = relay?.latencyMicros?.p50 {
                s.cells[i].p50AboveRelayRefMicros = mine - theirs
            } else {
                s.cells[i].p50AboveRelayRefMicros = nil
            }
        }
        return s
    }

    static func title(upstream: String) -> String {
        "(7) Proxy pass-through: \(upstream) reached directly and through sockfuzz proxy (no toxic), relay_ref and socat; loadc drives each"
    }

    static let headers = ["conns", "depth", "relay", "msgs/s", "runs", "p50", "p99", "relay CPU", "vs relay_ref", "vs socat",
                          "p50 - relay_ref", "target"]

    /// One row per cell, in the headers' order, plain text (the HTML page escapes it).
    var rows: [[String]] {
        let order = Dictionary(uniqueKeysWithValues: ProxyBenchCell.Relay.allCases.enumerated().map { ($1, $0) })
        let sorted = cells.sorted { ($0.connections, $0.depth, order[$0.relay]!) < ($1.connections, $1.depth, order[$1.relay]!) }
        var last = ""
        return sorted.map { c in
            let group = "\(c.connections)/\(c.depth)"
            defer { last = group }
            let first = group != last
            guard c.problem == nil else {
                return [first ? "\(c.connections)" : "", first ? "\(c.depth)" : "", c.relay.rawValue, "-", "-", "-", "-", "-", "-", "-", "-",
                        "not measured: \(c.problem!)"]
            }
            return [first ? "\(c.connections)" : "", first ? "\(c.depth)" : "", c.relay.rawValue, BenchFormat.count(c.messagesPerSecond),
                    BenchFormat.spread(c.runs, around: c.messagesPerSecond), BenchFormat.micros(c.latencyMicros?.p50, micro: "us"),
                    BenchFormat.micros(c.latencyMicros?.p99, micro: "us"), BenchFormat.percent(c.relayCPUPercent),
                    BenchFormat.ratio(c.ratioToRelayRef), BenchFormat.ratio(c.ratioToSocat),
                    Self.signedMicros(c.p50AboveRelayRefMicros), Self.verdicts(c) + (c.errors > 0 ? " ERRORS \(c.errors)" : "")]
        }
    }

    /// "+3.2 us" / "-1.0 us" / "-".
    static func signedMicros(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return (value >= 0 ? "+" : "-") + BenchFormat.micros(abs(value), micro: "us")
    }

    /// The three goals for a sockfuzz proxy row: "relay_ref PASS, socat MISS, p50 PASS".
    static func verdicts(_ c: ProxyBenchCell) -> String {
        guard c.relay == .sockfuzz else { return "" }
        func word(_ ok: Bool?) -> String { ok.map { $0 ? "PASS" : "MISS" } ?? "SKIP" }
        return "relay_ref \(word(c.ratioToRelayRef.map { $0 >= 1.0 })), socat \(word(c.ratioToSocat.map { $0 >= 1.0 })), "
            + "p50 \(word(c.p50AboveRelayRefMicros.map { $0 <= addedLatencyLimitMicros }))"
    }
}
