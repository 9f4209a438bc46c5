// Section 7: proxy pass-through. One echo server (echo_ref epoll, else `sockfuzz serve --mode
// epoll`) on the server CPU; in front of it in turn, also on the server CPU: nothing (the
// baseline), `sockfuzz proxy` with no toxic, relay_ref and socat. loadc on the client CPU drives
// each at every connections x depth cell, so the three relays are measured alike.

import Foundation
import Glibc
import Syscalls

/// One loadc run through a relay: msgs/s, latency, the relay's CPU percent, loadc's errors.
struct ProxySample {
    var rate: Double
    var latency: Latency?
    var cpu: Double?
    var errors: UInt64
}

extension BenchRunner {
    /// A relay in front of the upstream: its process (nil for direct) and where loadc connects.
    private struct Front {
        var process: ChildProcess?
        var address: SocketAddress
        /// Whether the process does the relaying (socat's forked children do, not socat).
        var cpuIsRelays = true
    }

    func runProxy() -> ProxyBenchSection? {
        guard let loadc = tools.loadc else {
            skip(7, "proxy pass-through", tools.loadcProblem ?? "loadc not built")
            return nil
        }
        let upstreamID: ServerID = tools.echoRef != nil ? .refEpoll : .sockfuzzEpoll
        let upstream: ServerUnderTest
        do { upstream = try startServer(upstreamID) } catch {
            skip(7, "proxy pass-through", "the upstream \(upstreamID): \(error.description)")
            return nil
        }
        defer { stop(upstream) }

        var relays: [ProxyBenchCell.Relay] = [.direct, .sockfuzz]
        if tools.relayRef != nil { relays.append(.relayRef) } else {
            skip(7, "relay_ref cells", tools.relayRefProblem ?? "relay_ref not built")
        }
        let socat = ReferenceTools.findExecutable("socat")
        if socat != nil { relays.append(.socat) } else { skip(7, "socat cells", "socat is not installed (no socat on PATH)") }
        if let problem = descriptorShortage(2 * (plan.proxyConnections.max() ?? 0)) {
            notes.append("(7) \(problem)")
        }

        struct Key: Hashable { var relay: ProxyBenchCell.Relay; var connections: Int; var depth: Int }
        var samples: [Key: [ProxySample]] = [:]
        var problems: [Key: String] = [:]
        var failed: Set<ProxyBenchCell.Relay> = []
        for run in 0..<plan.runs {
            // Alternate the order between runs, so a slow drift hits every relay.
            for relay in run % 2 == 0 ? relays : relays.reversed() where !failed.contains(relay) && !interrupted() {
                let front: Front
                do { front = try startFront(relay, upstream: upstream.address, socat: socat) } catch {
                    failed.insert(relay)
                    skip(7, relay.rawValue, error.description)
                    continue
                }
                defer { front.process?.stop() }
                // The readiness probe's connection through the relay is gone before the first cell.
                upstream.waitForConnections(0)
                for connections in plan.proxyConnections where !interrupted() {
                    for depth in plan.proxyDepths where !interrupted() {
                        let key = Key(relay: relay, connections: connections, depth: depth)
                        switch measureThrough(front, loadc: loadc, connections: connections, depth: depth) {
                        case .success(let s):
                            samples[key, default: []].append(s)
                            progress("(7) \(relay.rawValue.padded(14)) \(String(connections).leftPadded(5)) conns depth \(String(depth).leftPadded(2)): "
                                     + "\(BenchFormat.count(s.rate).leftPadded(9)) msgs/s  p50 \(BenchFormat.micros(s.latency?.p50, micro: "us"))"
                                     + (s.errors > 0 ? "  \(s.errors) errors" : "")
                                     + (plan.runs > 1 ? "  [run \(run + 1)/\(plan.runs)]" : ""))
                        case .failure(let problem):
                            problems[key] = problem.description
                            skip(7, "\(relay.rawValue), \(connections) connections, depth \(depth)", problem.description)
                        }
                        // Every relayed connection is closed at the far end before the next cell.
                        if !upstream.waitForConnections(0, timeoutNanos: 10_000_000_000) {
                            notes.append("(7) \(relay.rawValue): the upstream still held connections 10 s after the \(connections)-connection cell")
                        }
                    }
                }
            }
        }
        var cells: [ProxyBenchCell] = []
        for connections in plan.proxyConnections {
            for depth in plan.proxyDepths {
                for relay in relays {
                    let key = Key(relay: relay, connections: connections, depth: depth)
                    let runs = samples[key] ?? []
                    if let m = LoadCell.median(runs, by: { $0.rate }) {
                        cells.append(ProxyBenchCell(relay: relay, connections: connections, depth: depth, messagesPerSecond: m.rate,
                                                    latencyMicros: m.latency, relayCPUPercent: m.cpu, runs: runs.map(\.rate),
                                                    errors: runs.reduce(0) { $0 + $1.errors }))
                    } else if let problem = problems[key] {
                        cells.append(ProxyBenchCell(relay: relay, connections: connections, depth: depth, messagesPerSecond: 0,
                                                    latencyMicros: nil, runs: [], problem: problem))
                    }
                }
            }
        }
        return ProxyBenchSection(upstream: upstreamID.description, cells: cells)
    }

    /// One loadc run through `front`, with the relay's CPU read around it.
    private func measureThrough(_ front: Front, loadc: String, connections: Int, depth: Int)
        -> Result<ProxySample, LoadcProblem> {
        let args = [loadc, "-p", String(front.address.port), "-c", String(connections), "-d", String(depth),
                    "-s", String(plan.messageSize), "-t", String(format: "%.3f", plan.measuredSeconds),
                    "-w", String(format: "%.3f", plan.warmupSeconds)]
        let timeout = Int(plan.measuredSeconds + plan.warmupSeconds) + plan.proxyCellSlackSeconds
        let pid = front.cpuIsRelays ? front.process?.pid : nil
        let cpu0 = pid.flatMap(ProcessProbe.cpuSeconds)
        let t0 = Sys.monotonicNanos()
        let outcome = runLoadc(args, expect: "ECHO", timeoutSeconds: timeout)
        let wall = Double(Sys.monotonicNanos() - t0) / 1e9
        let cpu1 = pid.flatMap(ProcessProbe.cpuSeconds)
        return outcome.map { fields in
            let latency = Latency(fields: fields)
            var cpu: Double?
            if let cpu0, let cpu1, wall > 0 { cpu = (cpu1 - cpu0) / wall * 100 }
            return ProxySample(rate: fields["msgs/s"] ?? 0, latency: latency, cpu: cpu, errors: UInt64(fields["errs"] ?? 0))
        }
    }

    /// Starts `relay` in front of `upstream` on the server CPU, ready once it accepts.
    private func startFront(_ relay: ProxyBenchCell.Relay, upstream: SocketAddress, socat: String?) throws(LoadCell.Failure) -> Front {
        let up = "127.0.0.1:\(upstream.port)"
        let log = "\(plan.scratchDir)/relay-\(relay.rawValue.replacingOccurrences(of: " ", with: "-")).log"
        switch relay {
        case .direct:
            return Front(process: nil, address: upstream)
        case .sockfuzz:
            return try reportingPort([plan.selfExecutable, "proxy", "--listen", "127.0.0.1:0", "--upstream", up], relay, log)
        case .relayRef:
            guard let relayRef = tools.relayRef else { throw LoadCell.Failure(description: "relay_ref is not built") }
            return try reportingPort([relayRef, "0", "127.0.0.1", String(upstream.port)], relay, log)
        case .socat:
            guard let socat else { throw LoadCell.Failure(description: "socat is not installed") }
            return try startSocat(socat, upstream: up, log: log)
        }
    }

    /// A relay that prints "listening on 127.0.0.1:PORT" (sockfuzz proxy, relay_ref).
    private func reportingPort(_ arguments: [String], _ relay: ProxyBenchCell.Relay, _ log: String) throws(LoadCell.Failure) -> Front {
        do {
            let (child, address) = try ServerUnderTest.spawnReportingPort(arguments, name: relay.rawValue, log: log, pinning: pinning)
            try ServerUnderTest.waitAccepting(child, address, name: relay.rawValue, pinning: pinning)
            return Front(process: child, address: address)
        } catch { throw LoadCell.Failure(description: error.description) }
    }

    /// `socat TCP-LISTEN:PORT,reuseaddr,fork TCP:UPSTREAM` as issue 19 names it, plus what a
    /// 1000-connection burst needs: a listen backlog above socat's default of 5 (else SYNs are
    /// dropped and retried after a second: that would measure retries, not relaying), and
    /// TCP_NODELAY on both sockets as every other program here sets it (else Nagle's delay
    /// would be measured). socat forks a process per connection, which inherit its CPU.
    private func startSocat(_ socat: String, upstream: String, log: String) throws(LoadCell.Failure) -> Front {
        var lastProblem = "no free port on 127.0.0.1"
        // A port found free may be taken before socat binds it: try a few.
        for _ in 0..<3 {
            guard let port = try? Sys.freeLoopbackPort() else { break }
            let child: ChildProcess
            do {
                child = try pinning.onServerCPU {
                    try ChildProcess([socat, "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,backlog=4096,nodelay",
                                      "TCP:\(upstream),nodelay"], logPath: log)
                }
            } catch { throw LoadCell.Failure(description: "\(error)") }
            let address = SocketAddress.loopback(port: port)
            do {
                try ServerUnderTest.waitAccepting(child, address, name: "socat", pinning: pinning)
                return Front(process: child, address: address, cpuIsRelays: false)
            } catch {
                lastProblem = error.description
            }
        }
        throw LoadCell.Failure(description: lastProblem)
    }
}
