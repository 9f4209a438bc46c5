// The report as terminal text: one aligned table per section, a ratio column where there is a
// reference, and a PASS/MISS/SKIP line per target. Returns a string; the executable prints it.

import Foundation

public struct TextTable {
    public enum Align { case left, right }
    public var headers: [String]
    public var aligns: [Align]
    public var rows: [[String]] = []

    public init(_ columns: [(String, Align)]) {
        headers = columns.map(\.0)
        aligns = columns.map(\.1)
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The header, a rule, then the rows; columns two spaces apart, trailing blanks trimmed.
    public func render(indent: String = "  ") -> String {
        var widths = headers.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            var out = indent
            for (i, cell) in cells.enumerated() {
                let text = aligns[i] == .left ? cell.padded(widths[i]) : cell.leftPadded(widths[i])
                out += (i == 0 ? "" : "  ") + text
            }
            while out.last == " " { out.removeLast() }
            return out
        }
        var lines = [line(headers), indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }
}

public enum TerminalReport {
    public static func render(_ r: BenchReport) -> String {
        var out: [String] = []
        let s = r.settings
        out.append("sockfuzz bench\(r.quick ? " --quick" : ""): \(r.date)")
        out.append("machine: \(r.machine.cpus) CPUs, \(r.machine.kernel)\(r.machine.cpuModel.map { ", \($0)" } ?? ""); \(r.machine.pinning)")
        if let start = r.machine.loadAverageAtStart {
            out.append("load average \(String(format: "%.2f", start)) at start" + (r.machine.loadAverageAtEnd.map { String(format: ", %.2f at end", $0) } ?? ""))
        }
        out.append("\(s.messageSize) B messages, \(BenchFormat.seconds(s.measuredSeconds)) measured after \(BenchFormat.seconds(s.warmupSeconds)) warmup, "
                   + "\(s.runs) run\(s.runs == 1 ? "" : "s") per cell (the median run shown; runs: its spread, half the range)")

        if !r.servers.isEmpty {
            out.append("")
            out.append("(1) The embedded server in each mode vs echo_ref, same load generator (sockfuzz load, closed loop)")
            var t = TextTable([("conns", .right), ("depth", .right), ("server", .left), ("msgs/s", .right), ("runs", .right),
                               ("p50", .right), ("p99", .right), ("srv CPU/msg", .right), ("srv CPU", .right), ("ratio", .right),
                               ("target", .left)])
            var lastGroup = ""
            for c in sortedServers(r.servers) {
                let group = "\(c.connections)/\(c.depth)"
                let first = group != lastGroup
                lastGroup = group
                var target = ""
                if let ref = c.server.reference, let threshold = BenchTargets.serverThreshold(c) {
                    target = c.ratioToReference.map { $0 >= threshold ? "PASS" : "MISS" } ?? "SKIP"
                    target += " (>= \(String(format: "%.1fx", threshold)) \(ref))"
                } else if c.server.mode == "busy" {
                    target = "(vs echo_ref epoll, no target)"
                }
                t.add([first ? "\(c.connections)" : "", first ? "\(c.depth)" : "", c.server.description,
                       BenchFormat.count(c.messagesPerSecond), BenchFormat.spread(c.runs, around: c.messagesPerSecond),
                       BenchFormat.micros(c.latencyMicros?.p50),
                       BenchFormat.micros(c.latencyMicros?.p99), BenchFormat.micros(c.serverCPUMicrosPerMessage),
                       BenchFormat.percent(c.serverCPUPercent), BenchFormat.ratio(c.ratioToReference, threshold: BenchTargets.serverThreshold(c) ?? 1.0),
                       target + (c.errors > 0 ? " ERRORS \(c.errors)" : "")])
            }
            out.append(t.render())
        }

        if !r.costCurve.isEmpty {
            out.append("")
            out.append("(2) The cost curve: one ping-pong connection (depth 1) beside N idle ones")
            var t = TextTable([("mode", .left), ("idle", .right), ("round trips/s", .right), ("runs", .right), ("p50", .right), ("p99", .right),
                               ("srv CPU/msg", .right), ("srv CPU", .right), ("vs 0 idle", .right)])
            var lastMode = ""
            for p in r.costCurve {
                let base = r.costCurve.first { $0.mode == p.mode && $0.idleConnections == 0 }?.roundTripsPerSecond
                t.add([p.mode == lastMode ? "" : p.mode, "\(p.idleConnections)", BenchFormat.count(p.roundTripsPerSecond),
                       BenchFormat.spread(p.runs, around: p.roundTripsPerSecond),
                       BenchFormat.micros(p.latencyMicros?.p50), BenchFormat.micros(p.latencyMicros?.p99),
                       BenchFormat.micros(p.serverCPUMicrosPerMessage), BenchFormat.percent(p.serverCPUPercent),
                       base.map { BenchFormat.ratio(p.roundTripsPerSecond / $0) } ?? "-"])
                lastMode = p.mode
            }
            out.append(t.render())
        }

        if !r.clients.isEmpty || !r.connects.isEmpty {
            out.append("")
            out.append("(3) The load client vs loadc, both on the client CPU driving echo_ref epoll")
            var t = TextTable([("conns", .right), ("depth", .right), ("client", .left), ("msgs/s", .right), ("runs", .right),
                               ("p50", .right), ("p99", .right), ("ratio", .right), ("target", .left)])
            for c in r.clients {
                t.add(["\(c.connections)", "\(c.depth)", c.client.rawValue, BenchFormat.count(c.messagesPerSecond),
                       BenchFormat.spread(c.runs, around: c.messagesPerSecond),
                       BenchFormat.micros(c.latencyMicros?.p50), BenchFormat.micros(c.latencyMicros?.p99),
                       BenchFormat.ratio(c.ratioToLoadc),
                       c.client == .sockfuzz ? (c.ratioToLoadc.map { $0 >= 1.0 ? "PASS" : "MISS" } ?? "SKIP") + " (>= 1.0x loadc)" : ""])
            }
            for c in r.connects {
                t.add(["\(c.count)", "-", "\(c.client.rawValue) connect", BenchFormat.count(c.connectsPerSecond) + " conn/s",
                       BenchFormat.spread(c.runs, around: c.connectsPerSecond), "", "", BenchFormat.ratio(c.ratioToLoadc),
                       c.client == .sockfuzz ? (c.ratioToLoadc.map { $0 >= 1.0 ? "PASS" : "MISS" } ?? "SKIP") + " (>= 1.0x loadc)" : ""])
            }
            out.append(t.render())
        }

        if let m = r.idleMemory {
            out.append("")
            out.append("(4) Idle memory: fresh sockfuzz serve --mode \(m.mode), \(m.connections) idle connections")
            out.append("  RSS \(BenchFormat.bytes(m.rssBeforeBytes)) -> \(BenchFormat.bytes(m.rssAfterBytes)): "
                       + "\(Int(m.bytesPerConnection.rounded())) B per connection  "
                       + (m.bytesPerConnection <= BenchTargets.memoryLimitBytes ? "PASS" : "MISS") + " (<= 1024 B)")
        }

        if let cells = r.requestLoad, !cells.isEmpty {
            out.append("")
            out.append("(5) Request/response load vs redis-benchmark: PING_INLINE on one redis-server, every sockfuzz reply checked")
            var t = TextTable([("conns", .right), ("pipeline", .right), ("client", .left), ("req/s", .right), ("runs", .right),
                               ("p50", .right), ("p99", .right), ("ratio", .right), ("target", .left)])
            for c in cells {
                t.add(["\(c.connections)", "\(c.pipeline)", c.client.rawValue, BenchFormat.count(c.requestsPerSecond),
                       BenchFormat.spread(c.runs, around: c.requestsPerSecond),
                       BenchFormat.micros(c.latencyMicros?.p50), BenchFormat.micros(c.latencyMicros?.p99),
                       BenchFormat.ratio(c.ratioToRedisBenchmark),
                       c.client == .sockfuzz ? (c.ratioToRedisBenchmark.map { $0 >= 1.0 ? "PASS" : "MISS" } ?? "SKIP") + " (>= 1.0x redis-benchmark)" : ""])
            }
            out.append(t.render())
        }

        if let tls = r.tls, !tls.cells.isEmpty || tls.idleMemory != nil {
            out.append("")
            out.append(TLSBenchSection.title)
            var t = TextTable(TLSBenchSection.headers.enumerated().map { ($1, $0 == 0 ? .left : .right) })
            for row in tls.rows { t.add(row) }
            out.append(t.render())
            if let memory = tls.memoryLine { out.append("  " + memory) }
        }

        if let proxy = r.proxy, !proxy.cells.isEmpty {
            out.append("")
            out.append(ProxyBenchSection.title(upstream: proxy.upstream))
            var t = TextTable(ProxyBenchSection.headers.enumerated().map { ($1, [2, 11].contains($0) ? .left : .right) })
            for row in proxy.rows { t.add(row) }
            out.append(t.render())
        }

        if !r.targets.isEmpty {
            out.append("")
            out.append("Targets")
            var t = TextTable([("", .left), ("target", .left), ("measured", .right), ("detail", .left)])
            for target in r.targets {
                t.add([target.verdict.rawValue, target.goal, BenchFormat.measured(target), target.detail])
            }
            out.append(t.render())
        }
        if !r.skipped.isEmpty {
            out.append("")
            out.append("Skipped")
            for s in r.skipped { out.append("  (\(s.section)) \(s.what): \(s.reason)") }
        }
        if !r.notes.isEmpty {
            out.append("")
            out.append("Notes")
            for n in r.notes { out.append("  \(n)") }
        }
        out.append("")
        out.append("took \(BenchFormat.seconds(r.elapsedSeconds))")
        return out.joined(separator: "\n")
    }

    /// By connections, depth, then the order of `ServerID.all` (each sockfuzz mode beside its reference).
    static func sortedServers(_ cells: [ServerCell]) -> [ServerCell] {
        let order = Dictionary(uniqueKeysWithValues: ServerID.all.enumerated().map { ($1, $0) })
        return cells.sorted {
            ($0.connections, $0.depth, order[$0.server] ?? 99) < ($1.connections, $1.depth, order[$1.server] ?? 99)
        }
    }
}
