// The targets, judged from a report: fills in every ratio (sockfuzz / echo_ref per cell,
// sockfuzz / loadc per cell) and one verdict per target. Pure: the tests feed it synthetic data.

public enum BenchTargets {
    public static let memoryLimitBytes = 1024.0

    /// The ratio to its reference a section (1) row must reach, the same as its target's: 1.2x
    /// for uring where load is (100 connections and more), 1.0x otherwise; nil for rows judged by
    /// no target (busy-poll, the references themselves).
    public static func serverThreshold(_ cell: ServerCell) -> Double? {
        guard cell.server.reference != nil, cell.server.mode != "busy" else { return nil }
        return cell.server == .sockfuzzUring && cell.connections >= uringLoadedConnections ? uringLoadedThreshold : 1.0
    }

    /// Issue 18: uring past C epoll by this much from this many connections on.
    static let uringLoadedThreshold = 1.2
    static let uringLoadedConnections = 100

    /// Returns `report` with ratios and `targets` filled in.
    public static func evaluate(_ report: BenchReport) -> BenchReport {
        var r = report
        for i in r.servers.indices {
            guard let ref = r.servers[i].server.reference,
                  let other = r.servers.first(where: { $0.server == ref && $0.connections == r.servers[i].connections && $0.depth == r.servers[i].depth }),
                  other.messagesPerSecond > 0 else { r.servers[i].ratioToReference = nil; continue }
            r.servers[i].ratioToReference = r.servers[i].messagesPerSecond / other.messagesPerSecond
        }
        for i in r.clients.indices where r.clients[i].client == .sockfuzz {
            if let l = r.clients.first(where: { $0.client == .loadc && $0.connections == r.clients[i].connections && $0.depth == r.clients[i].depth }),
               l.messagesPerSecond > 0 {
                r.clients[i].ratioToLoadc = r.clients[i].messagesPerSecond / l.messagesPerSecond
            }
        }
        for i in r.connects.indices where r.connects[i].client == .sockfuzz {
            if let l = r.connects.first(where: { $0.client == .loadc && $0.count == r.connects[i].count }), l.connectsPerSecond > 0 {
                r.connects[i].ratioToLoadc = r.connects[i].connectsPerSecond / l.connectsPerSecond
            }
        }
        var requests = r.requestLoad ?? []
        for i in requests.indices where requests[i].client == .sockfuzz {
            if let b = requests.first(where: { $0.client == .redisBenchmark && $0.pipeline == requests[i].pipeline }), b.requestsPerSecond > 0 {
                requests[i].ratioToRedisBenchmark = requests[i].requestsPerSecond / b.requestsPerSecond
            }
        }
        if r.requestLoad != nil { r.requestLoad = requests }
        r.proxy = r.proxy?.withRatios()

        var targets: [TargetResult] = []
        targets.append(ratioTarget(id: "server-epoll", goal: "sockfuzz serve --mode epoll >= 1.0x echo_ref epoll msgs/s, every cell of (1)",
                                   cells: r.servers.filter { $0.server == .sockfuzzEpoll }.map {
                                       ($0.ratioToReference, "\($0.connections) conns, depth \($0.depth)")
                                   }, section: 1))
        targets.append(ratioTarget(id: "server-select", goal: "sockfuzz serve --mode select >= 1.0x echo_ref select msgs/s, every cell of (1)",
                                   cells: r.servers.filter { $0.server == .sockfuzzSelect }.map {
                                       ($0.ratioToReference, "\($0.connections) conns, depth \($0.depth)")
                                   }, section: 1))
        // Issue 18: the completion-based design past C epoll where load is, and no worse alone.
        targets.append(ratioTarget(id: "server-uring", goal: "sockfuzz serve --mode uring >= 1.2x echo_ref epoll msgs/s at 100 and 1000 connections (1)",
                                   cells: r.servers.filter { $0.server == .sockfuzzUring && $0.connections >= uringLoadedConnections }.map {
                                       ($0.ratioToReference, "\($0.connections) conns, depth \($0.depth)")
                                   }, section: 1, threshold: uringLoadedThreshold))
        targets.append(ratioTarget(id: "server-uring-single", goal: "sockfuzz serve --mode uring >= 1.0x echo_ref epoll msgs/s at 1 connection (1)",
                                   cells: r.servers.filter { $0.server == .sockfuzzUring && $0.connections < uringLoadedConnections }.map {
                                       ($0.ratioToReference, "\($0.connections) conns, depth \($0.depth)")
                                   }, section: 1))
        targets.append(ratioTarget(id: "client-load", goal: "sockfuzz load client >= 1.0x loadc msgs/s against echo_ref epoll",
                                   cells: r.clients.filter { $0.client == .sockfuzz }.map {
                                       ($0.ratioToLoadc, "\($0.connections) conns, depth \($0.depth)")
                                   }, section: 3))
        targets.append(ratioTarget(id: "client-connect", goal: "sockfuzz connects/s >= 1.0x loadc",
                                   cells: r.connects.filter { $0.client == .sockfuzz }.map {
                                       ($0.ratioToLoadc, "\($0.count) connections, \($0.inFlight) in flight")
                                   }, section: 3))
        if r.settings.sections.contains(5) {
            var target = ratioTarget(id: "client-redis", goal: "sockfuzz load --request >= 1.0x redis-benchmark req/s (PING_INLINE, same redis-server)",
                                     cells: requests.filter { $0.client == .sockfuzz }.map {
                                         ($0.ratioToRedisBenchmark, "\($0.connections) conns, pipeline \($0.pipeline)")
                                     }, section: 5)
            if target.verdict == .skipped { target.detail = skipReason(r, section: 5) }
            targets.append(target)
        }
        if r.settings.sections.contains(6) { targets += tlsTargets(r) }
        if r.settings.sections.contains(7) { targets += proxyTargets(r) }
        if let m = r.idleMemory {
            targets.append(TargetResult(id: "idle-memory", goal: "<= 1 KiB RSS per idle connection, sockfuzz serve --mode epoll",
                                        measured: m.bytesPerConnection, threshold: memoryLimitBytes, unit: "bytes",
                                        verdict: m.bytesPerConnection <= memoryLimitBytes ? .pass : .miss,
                                        detail: "\(m.connections) connections, RSS \(m.rssBeforeBytes) -> \(m.rssAfterBytes) bytes"))
        } else {
            targets.append(TargetResult(id: "idle-memory", goal: "<= 1 KiB RSS per idle connection, sockfuzz serve --mode epoll",
                                        measured: nil, threshold: memoryLimitBytes, unit: "bytes", verdict: .skipped,
                                        detail: skipReason(r, section: 4)))
        }
        r.targets = targets
        return r
    }

    /// The worst of `cells` against 1.0: a MISS names the cell, a missing ratio makes it SKIP.
    private static func ratioTarget(id: String, goal: String, cells: [(Double?, String)], section: Int,
                                    threshold: Double = 1.0) -> TargetResult {
        let measured = cells.compactMap { ratio, label in ratio.map { ($0, label) } }
        guard !measured.isEmpty else {
            return TargetResult(id: id, goal: goal, measured: nil, threshold: threshold, unit: "ratio", verdict: .skipped,
                                detail: "not measured")
        }
        let worst = measured.min { $0.0 < $1.0 }!
        let missing = cells.count - measured.count
        var detail = "worst \(BenchFormat.ratio(worst.0, threshold: threshold)) at \(worst.1)"
        if measured.count > 1 { detail += "; best \(BenchFormat.ratio(measured.map(\.0).max()!, threshold: threshold))" }
        if missing > 0 { detail += "; \(missing) cell(s) without a reference figure" }
        return TargetResult(id: id, goal: goal, measured: worst.0, threshold: threshold, unit: "ratio",
                            verdict: worst.0 >= threshold ? .pass : .miss, detail: detail)
    }

    /// Per idle TLS connection, both ends, at most this (issue 18).
    public static let tlsMemoryLimitBytes = 4096.0

    /// Issue 18's TLS goals, section (6): idle memory on both ends, and handshakes/s beside
    /// tls_echo_ref under the same client.
    private static func tlsTargets(_ r: BenchReport) -> [TargetResult] {
        let limit = tlsMemoryLimitBytes
        func memory(_ id: String, _ goal: String, _ measured: Double?, _ detail: String) -> TargetResult {
            guard let measured else {
                return TargetResult(id: id, goal: goal, measured: nil, threshold: limit, unit: "bytes", verdict: .skipped,
                                    detail: r.skipped.first { $0.section == 6 && $0.what.hasPrefix("TLS idle memory") }?.reason
                                        ?? skipReason(r, section: 6))
            }
            return TargetResult(id: id, goal: goal, measured: measured, threshold: limit, unit: "bytes",
                                verdict: measured <= limit ? .pass : .miss, detail: detail)
        }
        let m = r.tls?.idleMemory
        let floor = m?.referenceServerBytesPerConnection.map { "; tls_echo_ref \(Int($0.rounded())) B/conn" } ?? ""
        let count = m.map { "\($0.connections) connections" } ?? ""
        let cells = (r.tls?.cells ?? []).filter { !$0.server.hasPrefix("tls_echo_ref") }
        return [
            memory("tls-idle-memory-server", "<= 4 KiB RSS per idle TLS connection, sockfuzz serve --mode epoll --tls (6)",
                   m?.serverBytesPerConnection, count + floor),
            memory("tls-idle-memory-client", "<= 4 KiB RSS per idle TLS connection, the load client (6)",
                   m?.clientBytesPerConnection, count),
            ratioTarget(id: "tls-handshakes", goal: "sockfuzz serve --tls >= 1.0x tls_echo_ref handshakes/s, same client (6)",
                        cells: cells.map { ($0.ratioToReference, "\($0.inFlight) in flight") }, section: 6),
        ]
    }

    /// Issue 19's speed goals for `sockfuzz proxy` with no toxic, every cell of (7).
    private static func proxyTargets(_ r: BenchReport) -> [TargetResult] {
        let cells = (r.proxy?.cells ?? []).filter { $0.relay == .sockfuzz }
        func label(_ c: ProxyBenchCell) -> String { "\(c.connections) conns, depth \(c.depth)" }
        var targets = [
            ratioTarget(id: "proxy-vs-relay", goal: "sockfuzz proxy (no toxic) >= 1.0x relay_ref msgs/s, every cell of (7)",
                        cells: cells.map { ($0.ratioToRelayRef, label($0)) }, section: 7),
            ratioTarget(id: "proxy-vs-socat", goal: "sockfuzz proxy (no toxic) >= 1.0x socat msgs/s, every cell of (7)",
                        cells: cells.map { ($0.ratioToSocat, label($0)) }, section: 7),
        ]
        let limit = ProxyBenchSection.addedLatencyLimitMicros
        let goal = "sockfuzz proxy p50 <= relay_ref p50 + 10 us, every cell of (7)"
        let added = cells.compactMap { c in c.p50AboveRelayRefMicros.map { ($0, label(c)) } }
        if let worst = added.max(by: { $0.0 < $1.0 }) {
            var detail = "worst \(ProxyBenchSection.signedMicros(worst.0)) at \(worst.1)"
            if added.count > 1 { detail += "; best \(ProxyBenchSection.signedMicros(added.map(\.0).min()!))" }
            if added.count < cells.count { detail += "; \(cells.count - added.count) cell(s) without a relay_ref figure" }
            targets.append(TargetResult(id: "proxy-latency", goal: goal, measured: worst.0, threshold: limit, unit: "us",
                                        verdict: worst.0 <= limit ? .pass : .miss, detail: detail))
        } else {
            targets.append(TargetResult(id: "proxy-latency", goal: goal, measured: nil, threshold: limit, unit: "us",
                                        verdict: .skipped, detail: "not measured"))
        }
        // A yardstick's own skip (socat not installed) explains its target best.
        for (i, yardstick) in zip(targets.indices, ["relay_ref", "socat", "relay_ref"]) where targets[i].verdict == .skipped {
            targets[i].detail = r.skipped.first { $0.section == 7 && $0.what.contains(yardstick) }?.reason ?? skipReason(r, section: 7)
        }
        return targets
    }

    private static func skipReason(_ r: BenchReport, section: Int) -> String {
        r.skipped.first { $0.section == section }?.reason ?? "section \(section) not run"
    }
}
