// Synthetic bench reports: every section filled with made-up but plausible figures, so the
// renderers and the schema are tested without running a benchmark.

import Bench

enum Fixtures {
    /// A full report; `epollRatio` scales sockfuzz epoll against echo_ref epoll in every cell;
    /// in section 7 sockfuzz proxy has `proxyRatio` times relay_ref's msgs/s and a p50 `proxyAddedMicros`
    /// above it, socat half relay_ref's rate, and socat's 1000-connection depth-16 cell failed.
    static func report(epollRatio: Double = 1.05, selectRatio: Double = 0.97, uringRatio: Double = 1.3, proxyRatio: Double = 1.02, proxyAddedMicros: Double = 4,
                       command: String = "sockfuzz bench --quick") -> BenchReport {
        var servers: [ServerCell] = []
        for connections in [1, 100, 1000] {
            for depth in [1, 16] {
                let base = Double(connections == 1 ? 30_000 : 150_000) * (depth == 16 ? 3 : 1)
                func cell(_ id: ServerID, _ factor: Double) -> ServerCell {
                    ServerCell(server: id, connections: connections, depth: depth, messagesPerSecond: base * factor,
                               latencyMicros: Latency(p50: 30 / factor, p99: 90 / factor),
                               serverCPUMicrosPerMessage: 5 / factor, serverCPUPercent: 80, clientCPUPercent: 99,
                               runs: [base * factor])
                }
                // uring: `uringRatio` where there is load, 1.05 alone on one connection.
                servers += [cell(.refEpoll, 1), cell(.sockfuzzEpoll, epollRatio), cell(.sockfuzzUring, connections == 1 ? 1.05 : uringRatio), cell(.refSelect, 0.9),
                            cell(.sockfuzzSelect, 0.9 * selectRatio), cell(.sockfuzzBusy, 0.5)]
            }
        }
        var cost: [CostPoint] = []
        for (mode, slope) in [("epoll", 0.0), ("select", 0.0004), ("busy", 0.004)] {
            for idle in [0, 100, 1000, 5000] where !(mode == "select" && idle == 5000) {
                let rate = 30_000 / (1 + slope * Double(idle))
                cost.append(CostPoint(mode: mode, idleConnections: idle, roundTripsPerSecond: rate,
                                      latencyMicros: Latency(p50: 1e6 / rate, p99: 2e6 / rate),
                                      serverCPUMicrosPerMessage: 1e6 / rate * 0.5, serverCPUPercent: 50, runs: [rate]))
            }
        }
        let clients = [
            ClientCell(client: .sockfuzz, connections: 100, depth: 16, messagesPerSecond: 400_000, latencyMicros: Latency(p50: 3000, p99: 5000), runs: [400_000]),
            ClientCell(client: .loadc, connections: 100, depth: 16, messagesPerSecond: 420_000, latencyMicros: Latency(p50: 2900, p99: 4800), runs: [420_000]),
            ClientCell(client: .sockfuzz, connections: 1000, depth: 16, messagesPerSecond: 380_000, latencyMicros: Latency(p50: 30000, p99: 50000), runs: [380_000]),
            ClientCell(client: .loadc, connections: 1000, depth: 16, messagesPerSecond: 370_000, latencyMicros: Latency(p50: 31000, p99: 52000), runs: [370_000]),
        ]
        let connects = [
            ConnectCell(client: .sockfuzz, count: 10_000, inFlight: 1000, connected: 10_000, connectsPerSecond: 60_000, runs: [60_000]),
            ConnectCell(client: .loadc, count: 10_000, inFlight: 1000, connected: 10_000, connectsPerSecond: 55_000, runs: [55_000]),
        ]
        let report = BenchReport(
            date: "2025-01-01T00:00:00Z", command: command, quick: true,
            machine: .init(cpus: 2, kernel: "Linux 6.0 x86_64", cpuModel: "Test CPU <2 GHz> & more", pinned: true,
                           pinning: "servers pinned to CPU 0, clients to CPU 1", loadAverageAtStart: 0.12),
            settings: .init(messageSize: 64, measuredSeconds: 1, warmupSeconds: 0.3, runs: 1, sections: [1, 2, 3, 4, 7]),
            servers: servers, costCurve: cost, clients: clients, connects: connects,
            idleMemory: IdleMemory(mode: "epoll", connections: 10_000, rssBeforeBytes: 8_000_000, rssAfterBytes: 9_000_000),
            skipped: [Skip(section: 2, what: "select with 5000 idle connections", reason: "select(2) watches descriptors below FD_SETSIZE (1024) only", byDesign: true)],
            notes: ["a note with a \u{1} control character and \"quotes\""], elapsedSeconds: 95)
        var withTLS = report
        withTLS.tls = TLSBenchSection(cells: [
            TLSBenchCell(server: "sockfuzz epoll tls", handshakes: 300, inFlight: 32, handshakesPerSecond: 1200,
                         handshakeLatencyMicros: Latency(p50: 20_000, p99: 60_000), serverCPUMicrosPerHandshake: 360,
                         clientCPUMicrosPerHandshake: 500, sequentialHandshakesPerSecond: 550, sTimeHandshakesPerSecond: 600,
                         echoConnections: 100, echoDepth: 16, echoMessagesPerSecond: 500_000, echoLatencyMicros: Latency(p50: 3000, p99: 14_000),
                         ratioToReference: 1.5, echoRatioToReference: 1.25, runs: [1200], errors: 0, firstError: nil),
            TLSBenchCell(server: "tls_echo_ref epoll", handshakes: 300, inFlight: 32, handshakesPerSecond: 800,
                         handshakeLatencyMicros: Latency(p50: 30_000, p99: 80_000), serverCPUMicrosPerHandshake: 320,
                         clientCPUMicrosPerHandshake: 480, sequentialHandshakesPerSecond: 480, sTimeHandshakesPerSecond: 490,
                         echoConnections: 100, echoDepth: 16, echoMessagesPerSecond: 400_000, echoLatencyMicros: nil,
                         ratioToReference: nil, echoRatioToReference: nil, runs: [800], errors: 0, firstError: "a <first> & error"),
        ], idleMemory: TLSIdleMemory(connections: 1000, serverBytesPerConnection: 15_000, clientBytesPerConnection: 30_000,
                                      referenceServerBytesPerConnection: 14_500))
        withTLS.proxy = proxySection(ratio: proxyRatio, addedMicros: proxyAddedMicros)
        return BenchTargets.evaluate(withTLS)
    }

    static let socatProblem = "loadc printed no ECHO line (exit status 1): loadc: 412 connections still connecting after 10 s"

    static func proxySection(ratio: Double, addedMicros: Double) -> ProxyBenchSection {
        var cells: [ProxyBenchCell] = []
        for connections in [1, 100, 1000] {
            for depth in [1, 16] {
                let relay = Double(connections == 1 ? 25_000 : 80_000) * (depth == 16 ? 15 : 1)
                let p50 = connections == 1 ? 27.0 : Double(connections) * 10
                func cell(_ r: ProxyBenchCell.Relay, _ rate: Double, _ p50: Double) -> ProxyBenchCell {
                    ProxyBenchCell(relay: r, connections: connections, depth: depth, messagesPerSecond: rate,
                                   latencyMicros: Latency(p50: p50, p99: p50 * 3), relayCPUPercent: r == .direct || r == .socat ? nil : 50,
                                   runs: [rate])
                }
                cells += [cell(.direct, relay * 1.2, p50 * 0.8), cell(.sockfuzz, relay * ratio, p50 + addedMicros), cell(.relayRef, relay, p50)]
                if connections == 1000 && depth == 16 {
                    cells.append(ProxyBenchCell(relay: .socat, connections: connections, depth: depth, messagesPerSecond: 0,
                                                latencyMicros: nil, runs: [], problem: socatProblem))
                } else {
                    cells.append(cell(.socat, relay * 0.5, p50 * 4))
                }
            }
        }
        return ProxyBenchSection(upstream: "echo_ref epoll", cells: cells)
    }

    /// A report with no section run at all.
    static func empty() -> BenchReport {
        BenchTargets.evaluate(BenchReport(
            date: "2025-01-01T00:00:00Z", command: "sockfuzz bench --only 4", quick: true,
            machine: .init(cpus: 1, kernel: "Linux", cpuModel: nil, pinned: false, pinning: "not pinned: 1 CPU online", loadAverageAtStart: nil),
            settings: .init(messageSize: 64, measuredSeconds: 1, warmupSeconds: 0.3, runs: 1, sections: [4]),
            skipped: [Skip(section: 4, what: "idle memory", reason: "interrupted")]))
    }
}
