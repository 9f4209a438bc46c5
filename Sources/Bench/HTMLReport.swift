// The report as one self-contained page: inline CSS, inline SVG charts, the tables, the date,
// the machine and the exact command. Written as XHTML-compatible HTML (every element closed,
// every text escaped) so an XML parser accepts it, which the tests check.

import Foundation

public enum HTMLReport {
    static let colors: [ServerID: String] = [
        .sockfuzzEpoll: "#1f77b4", .refEpoll: "#9ecae1",
        .sockfuzzSelect: "#e6550d", .refSelect: "#fdae6b",
        .sockfuzzBusy: "#a50f15",
    ]
    static let modeColors = ["epoll": "#1f77b4", "uring": "#2ca02c", "select": "#e6550d", "busy": "#a50f15"]
    static let relayColors: [ProxyBenchCell.Relay: String] = [.direct: "#9a9a9a", .sockfuzz: "#1f77b4", .relayRef: "#9ecae1", .socat: "#fdae6b"]
    static let clientColors: [ClientCell.Client: String] = [.sockfuzz: "#1f77b4", .loadc: "#9a9a9a"]

    /// Every chart the page shows for `report` (sections with no data have none).
    public static func charts(for r: BenchReport) -> [Chart] {
        var charts: [Chart] = []
        let servers = ServerID.all.filter { id in r.servers.contains { $0.server == id } }
        let conns = Array(Set(r.servers.map(\.connections))).sorted()
        let connLabels = conns.map { $0 == 1 ? "1 conn" : "\($0) conns" }
        for depth in Array(Set(r.servers.map(\.depth))).sorted() {
            func series(_ value: @escaping (ServerCell) -> Double?) -> [ChartSeries] {
                servers.map { id in
                    ChartSeries(id.description, color: colors[id] ?? "#555555", values: conns.map { c in
                        r.servers.first { $0.server == id && $0.connections == c && $0.depth == depth }.flatMap(value)
                    })
                }
            }
            charts.append(Chart(id: "servers-throughput-depth-\(depth)", kind: .bars,
                                title: "Throughput, depth \(depth) (higher is better)", xLabel: "connections",
                                yLabel: "messages/s", categories: connLabels,
                                series: series { $0.messagesPerSecond }, unit: "msgs/s"))
            charts.append(Chart(id: "servers-p99-depth-\(depth)", kind: .bars,
                                title: "p99 round trip, depth \(depth) (lower is better)", xLabel: "connections",
                                yLabel: "p99 latency, us", categories: connLabels,
                                series: series { $0.latencyMicros?.p99 }, logScale: true, unit: "us"))
        }
        if !r.costCurve.isEmpty {
            let idle = Array(Set(r.costCurve.map(\.idleConnections))).sorted()
            let modes = ["epoll", "uring", "select", "busy"].filter { m in r.costCurve.contains { $0.mode == m } }
            func series(_ value: @escaping (CostPoint) -> Double?) -> [ChartSeries] {
                modes.map { m in
                    ChartSeries("sockfuzz \(m)", color: modeColors[m] ?? "#555555", values: idle.map { n in
                        r.costCurve.first { $0.mode == m && $0.idleConnections == n }.flatMap(value)
                    })
                }
            }
            charts.append(Chart(id: "cost-round-trips", kind: .lines,
                                title: "One ping-pong connection beside N idle ones", xLabel: "idle connections",
                                yLabel: "round trips/s", categories: idle.map(String.init),
                                series: series { $0.roundTripsPerSecond }, logScale: true, unit: "round trips/s"))
            charts.append(Chart(id: "cost-cpu-per-message", kind: .lines,
                                title: "Server CPU per message beside N idle connections", xLabel: "idle connections",
                                yLabel: "CPU us per message", categories: idle.map(String.init),
                                series: series { $0.serverCPUMicrosPerMessage }, logScale: true, unit: "us"))
        }
        if !r.clients.isEmpty {
            let cs = Array(Set(r.clients.map(\.connections))).sorted()
            charts.append(Chart(id: "clients-throughput", kind: .bars,
                                title: "Load client vs loadc, driving echo_ref epoll", xLabel: "connections, depth \(r.clients[0].depth)",
                                yLabel: "messages/s", categories: cs.map { "\($0) conns" },
                                series: [ClientCell.Client.sockfuzz, .loadc].map { client in
                                    ChartSeries(client.rawValue, color: clientColors[client]!, values: cs.map { c in
                                        r.clients.first { $0.client == client && $0.connections == c }?.messagesPerSecond
                                    })
                                }, unit: "msgs/s"))
        }
        if !r.connects.isEmpty {
            charts.append(Chart(id: "clients-connects", kind: .bars,
                                title: "Connects/s, \(r.connects[0].count) connections to echo_ref epoll", xLabel: "client",
                                yLabel: "connects/s", categories: ["\(r.connects[0].inFlight) handshakes in flight"],
                                series: [ClientCell.Client.sockfuzz, .loadc].map { client in
                                    ChartSeries(client.rawValue, color: clientColors[client]!,
                                                values: [r.connects.first { $0.client == client }?.connectsPerSecond])
                                }, unit: "connects/s"))
        }
        if let proxy = r.proxy {
            let relays = ProxyBenchCell.Relay.allCases.filter { relay in proxy.cells.contains { $0.relay == relay && $0.measured } }
            let conns = Array(Set(proxy.cells.map(\.connections))).sorted()
            for depth in Array(Set(proxy.cells.map(\.depth))).sorted() {
                charts.append(Chart(id: "proxy-throughput-depth-\(depth)", kind: .bars,
                                    title: "Through each relay, depth \(depth) (higher is better)", xLabel: "connections",
                                    yLabel: "messages/s", categories: conns.map { $0 == 1 ? "1 conn" : "\($0) conns" },
                                    series: relays.map { relay in
                                        ChartSeries(relay.rawValue, color: relayColors[relay] ?? "#555555", values: conns.map { c in
                                            proxy.measured(relay, c, depth)?.messagesPerSecond
                                        })
                                    }, unit: "msgs/s"))
            }
        }
        return charts
    }

    public static func render(_ r: BenchReport) -> String {
        let charts = Dictionary(uniqueKeysWithValues: charts(for: r).map { ($0.id, $0) })
        func figures(_ prefix: String) -> String {
            let ids = charts.keys.filter { $0.hasPrefix(prefix) }.sorted { a, b in
                // depth 1 before depth 16; throughput before p99
                (a.contains("p99") ? 1 : 0, a.count, a) < (b.contains("p99") ? 1 : 0, b.count, b)
            }
            guard !ids.isEmpty else { return "" }
            return "<div class=\"charts\">\n" + ids.map { "<figure>\n\(charts[$0]!.svg())\n</figure>" }.joined(separator: "\n") + "\n</div>\n"
        }
        var h = """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <title>sockfuzz bench \(e(r.date))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222222; max-width: 1200px; }
        h1 { margin-bottom: 4px; }
        table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 13px; }
        th, td { border-bottom: 1px solid #dddddd; padding: 3px 10px; text-align: right; }
        th { background: #f3f3f3; }
        td.l, th.l { text-align: left; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; border: 1px solid #e5e5e5; }
        .pass { color: #ffffff; background: #2ca02c; padding: 1px 6px; border-radius: 3px; font-weight: bold; }
        .miss { color: #ffffff; background: #d62728; padding: 1px 6px; border-radius: 3px; font-weight: bold; }
        .skip { color: #ffffff; background: #888888; padding: 1px 6px; border-radius: 3px; font-weight: bold; }
        .meta { color: #555555; }
        code, pre { background: #f6f6f6; padding: 2px 4px; }
        </style>
        </head>
        <body>
        <h1>sockfuzz bench\(r.quick ? " (quick)" : "")</h1>

        """
        h += "<p class=\"meta\">\(e(r.date)) · \(r.machine.cpus) CPUs · \(e(r.machine.kernel))"
            + (r.machine.cpuModel.map { " · \(e($0))" } ?? "")
            + (r.machine.loadAverageAtStart.map { " · load average \(e(String(format: "%.2f", $0))) at start" } ?? "")
            + (r.machine.loadAverageAtEnd.map { ", \(e(String(format: "%.2f", $0))) at end" } ?? "") + "</p>\n"
        h += "<p class=\"meta\">\(e(r.machine.pinning)). \(r.settings.messageSize)-byte messages, "
            + "\(e(BenchFormat.seconds(r.settings.measuredSeconds))) measured after \(e(BenchFormat.seconds(r.settings.warmupSeconds))) warmup, "
            + "\(r.settings.runs) run\(r.settings.runs == 1 ? "" : "s") per cell (the median run is shown; spread: half the range of the runs, over the median). "
            + "The whole run took \(e(BenchFormat.seconds(r.elapsedSeconds))).</p>\n"
        h += "<p>Command:</p>\n<pre><code>\(e(r.command))</code></pre>\n"

        if !r.targets.isEmpty {
            h += "<h2>Targets</h2>\n"
            h += table(["", "target", "measured", "detail"], left: [0, 1, 3], rows: r.targets.map { t in
                [badge(t.verdict), e(t.goal), e(BenchFormat.measured(t)), e(t.detail)]
            })
        }

        if !r.servers.isEmpty {
            h += "<h2>(1) The embedded server in each mode vs echo_ref</h2>\n"
            h += "<p>Every server runs as its own process on the server CPU; the same load generator (sockfuzz's, closed loop, "
                + "every byte verified) drives each. Ratio: sockfuzz msgs/s over echo_ref's in the same design; uring, which "
                + "has no C counterpart here, is compared with echo_ref epoll (its target: 1.2x with 100 and 1000 connections), "
                + "and busy-poll with echo_ref epoll, with no target.</p>\n"
            h += figures("servers-")
            h += table(["connections", "depth", "server", "msgs/s", "spread", "p50", "p99", "server CPU/msg", "server CPU", "client CPU", "ratio", "target"],
                       left: [2, 11], rows: TerminalReport.sortedServers(r.servers).map { c in
                           var target = ""
                           if let threshold = BenchTargets.serverThreshold(c) {
                               target = c.ratioToReference.map { badge($0 >= threshold ? .pass : .miss) } ?? badge(.skipped)
                           }
                           return ["\(c.connections)", "\(c.depth)", e(c.server.description), BenchFormat.count(c.messagesPerSecond),
                                   e(BenchFormat.spread(c.runs, around: c.messagesPerSecond)),
                                   e(BenchFormat.micros(c.latencyMicros?.p50)), e(BenchFormat.micros(c.latencyMicros?.p99)),
                                   e(BenchFormat.micros(c.serverCPUMicrosPerMessage)), e(BenchFormat.percent(c.serverCPUPercent)),
                                   e(BenchFormat.percent(c.clientCPUPercent)), e(BenchFormat.ratio(c.ratioToReference, threshold: BenchTargets.serverThreshold(c) ?? 1.0)),
                                   target + (c.errors > 0 ? " errors: \(c.errors)" : "")]
                       })
        }

        if !r.costCurve.isEmpty {
            h += "<h2>(2) The cost curve: one active connection beside N idle ones</h2>\n"
            h += "<p>N connections are opened (each echoes one byte, then stays idle); one more connection plays ping-pong "
                + "(depth 1). Busy-poll and select pay for every idle connection on every iteration; epoll does not. "
                + "uring, the fourth design, does not either, and goes one step further than epoll: instead of hearing which "
                + "descriptors are ready and then reading and writing each with a system call of its own, it hands the kernel "
                + "the receives and sends and reaps what completed, one io_uring_enter per batch. On loopback the kernel's TCP "
                + "path is most of a message's cost, so that saving is small: compare uring's server CPU per message with "
                + "epoll's in section (1).</p>\n"
            h += figures("cost-")
            h += table(["mode", "idle connections", "round trips/s", "spread", "p50", "p99", "server CPU/msg", "server CPU"],
                       left: [0], rows: r.costCurve.map { p in
                           [e(p.mode), "\(p.idleConnections)", BenchFormat.count(p.roundTripsPerSecond),
                            e(BenchFormat.spread(p.runs, around: p.roundTripsPerSecond)),
                            e(BenchFormat.micros(p.latencyMicros?.p50)), e(BenchFormat.micros(p.latencyMicros?.p99)),
                            e(BenchFormat.micros(p.serverCPUMicrosPerMessage)), e(BenchFormat.percent(p.serverCPUPercent))]
                       })
        }

        if !r.clients.isEmpty || !r.connects.isEmpty {
            h += "<h2>(3) The load client vs loadc</h2>\n"
            h += "<p>Both clients run on the client CPU and drive the same echo_ref epoll process on the server CPU.</p>\n"
            h += figures("clients-")
            var rows = r.clients.map { c in
                ["\(c.connections)", "\(c.depth)", e(c.client.rawValue), BenchFormat.count(c.messagesPerSecond) + " msgs/s",
                 e(BenchFormat.spread(c.runs, around: c.messagesPerSecond)),
                 e(BenchFormat.micros(c.latencyMicros?.p50)), e(BenchFormat.micros(c.latencyMicros?.p99)),
                 e(BenchFormat.ratio(c.ratioToLoadc)), c.client == .sockfuzz ? (c.ratioToLoadc.map { badge($0 >= 1 ? .pass : .miss) } ?? badge(.skipped)) : ""]
            }
            rows += r.connects.map { c in
                ["\(c.count)", "-", e(c.client.rawValue) + " connect", BenchFormat.count(c.connectsPerSecond) + " connects/s",
                 e(BenchFormat.spread(c.runs, around: c.connectsPerSecond)), "", "",
                 e(BenchFormat.ratio(c.ratioToLoadc)), c.client == .sockfuzz ? (c.ratioToLoadc.map { badge($0 >= 1 ? .pass : .miss) } ?? badge(.skipped)) : ""]
            }
            h += table(["connections", "depth", "client", "rate", "spread", "p50", "p99", "ratio", "target"], left: [2, 8], rows: rows)
        }

        if let m = r.idleMemory {
            h += "<h2>(4) Idle memory</h2>\n"
            h += "<p>A fresh <code>sockfuzz serve --mode \(e(m.mode))</code>; resident set size (from /proc/PID/statm) before "
                + "and after \(m.connections) idle connections (each echoed one byte).</p>\n"
            h += table(["connections", "RSS before", "RSS after", "per connection", "target"], left: [4], rows: [[
                "\(m.connections)", e(BenchFormat.bytes(m.rssBeforeBytes)), e(BenchFormat.bytes(m.rssAfterBytes)),
                "\(Int(m.bytesPerConnection.rounded())) B", badge(m.bytesPerConnection <= BenchTargets.memoryLimitBytes ? .pass : .miss) + " at most 1024 B",
            ]])
        }

        if let cells = r.requestLoad, !cells.isEmpty {
            h += "<h2>(5) Request/response load vs redis-benchmark</h2>\n"
            h += "<p>One redis-server on the server CPU; on the client CPU, in turn, <code>redis-benchmark -t ping_inline</code> and "
                + "<code>sockfuzz load --request 'PING\\r\\n' --framing resp --expect '^\\+PONG'</code>, which checks every reply.</p>\n"
            h += table(["connections", "pipeline", "client", "rate", "spread", "p50", "p99", "ratio", "target"], left: [2, 8], rows: cells.map { c in
                ["\(c.connections)", "\(c.pipeline)", e(c.client.rawValue), BenchFormat.count(c.requestsPerSecond) + " req/s",
                 e(BenchFormat.spread(c.runs, around: c.requestsPerSecond)),
                 e(BenchFormat.micros(c.latencyMicros?.p50)), e(BenchFormat.micros(c.latencyMicros?.p99)),
                 e(BenchFormat.ratio(c.ratioToRedisBenchmark)),
                 c.client == .sockfuzz ? (c.ratioToRedisBenchmark.map { badge($0 >= 1 ? .pass : .miss) } ?? badge(.skipped)) : ""]
            })
        }

        if let tls = r.tls, !tls.cells.isEmpty || tls.idleMemory != nil {
            h += "<h2>\(e(TLSBenchSection.title))</h2>\n"
            h += table(TLSBenchSection.headers, left: [0], rows: tls.rows.map { $0.map(e) })
            if let memory = tls.memoryLine { h += "<p>\(e(memory))</p>\n" }
        }

        if let proxy = r.proxy, !proxy.cells.isEmpty {
            h += "<h2>\(e(ProxyBenchSection.title(upstream: proxy.upstream)))</h2>\n"
            h += "<p>The echo server and the relay in front of it share the server CPU; loadc runs on the client CPU. "
                + "direct is the echo server without a relay. Goals (issue 19): sockfuzz proxy with no toxic at least 1.0x "
                + "relay_ref's and socat's msgs/s, and its p50 at most 10 us above relay_ref's, in every cell.</p>\n"
            h += figures("proxy-")
            h += table(ProxyBenchSection.headers, left: [2, 11], rows: proxy.rows.map { $0.map(e) })
        }

        if !r.skipped.isEmpty {
            h += "<h2>Skipped</h2>\n<ul>\n" + r.skipped.map { "<li>(\($0.section)) \(e($0.what)): \(e($0.reason))</li>\n" }.joined() + "</ul>\n"
        }
        if !r.notes.isEmpty {
            h += "<h2>Notes</h2>\n<ul>\n" + r.notes.map { "<li>\(e($0))</li>\n" }.joined() + "</ul>\n"
        }
        h += "</body>\n</html>\n"
        return h
    }

    private static func e(_ s: String) -> String { xmlEscape(s) }

    private static func badge(_ v: TargetResult.Verdict) -> String {
        switch v {
        case .pass: return "<span class=\"pass\">PASS</span>"
        case .miss: return "<span class=\"miss\">MISS</span>"
        case .skipped: return "<span class=\"skip\">SKIP</span>"
        }
    }

    /// Cells are already escaped (or markup); columns in `left` are left-aligned.
    private static func table(_ headers: [String], left: Set<Int>, rows: [[String]]) -> String {
        func cls(_ i: Int) -> String { left.contains(i) ? " class=\"l\"" : "" }
        var t = "<table>\n<tr>" + headers.enumerated().map { "<th\(cls($0))>\(xmlEscape($1))</th>" }.joined() + "</tr>\n"
        for row in rows {
            t += "<tr>" + row.enumerated().map { "<td\(cls($0))>\($1)</td>" }.joined() + "</tr>\n"
        }
        return t + "</table>\n"
    }
}
