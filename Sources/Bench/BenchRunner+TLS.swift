// Section 6: TLS side by side in one run. `sockfuzz serve --mode epoll --tls` and tls_echo_ref,
// each driven by the client of `sockfuzz load --connect-only --tls` (ConnectBurst with TLS):
// full handshakes/s with a bound in flight, then one at a time beside `openssl s_time -new`
// (also one at a time, a C client: the yardstick for the client's own cost), then TLS echo
// msgs/s; and RSS per idle TLS connection on both ends.

import CSockfuzz
import Glibc
import Load
import Syscalls
import TLSClient

extension BenchRunner {
    private struct TLSServer {
        var name: String
        var process: ChildProcess
        var address: SocketAddress
    }

    private struct TLSRun {
        var handshakesPerSecond: Double
        var latency: Latency?
        var serverCPUMicros: Double?
        var clientCPUMicros: Double
        var sequential: Double?
        var sTime: Double?
        var echo: LoadMeasurement?
        var errors: UInt64
        var firstError: String?
    }

    func runTLS() -> TLSBenchSection? {
        let context: TLSClientContext
        do { context = try TLSClientContext(ClientTLS(verification: .off)) } catch {
            skip(6, "TLS", error.description)
            return nil
        }
        var servers: [(String, [String])] = [("sockfuzz epoll tls", [plan.selfExecutable, "serve", "--mode", "epoll", "--tls", "--port", "0"])]
        if let ref = tools.tlsEchoRef { servers.append(("tls_echo_ref epoll", [ref, "0"])) } else {
            skip(6, "tls_echo_ref cells", tools.tlsEchoRefProblem ?? "tls_echo_ref not built")
        }
        // First, before the section's own cells allocate (what earlier sections freed is handed
        // back before the reading): this process's RSS growth is then the client's.
        let memory = interrupted() ? nil : tlsIdleMemory(context, reference: servers.count > 1 ? servers[1] : nil)
        let sTime = ReferenceTools.findExecutable("openssl")
        if sTime == nil { skip(6, "openssl s_time", "no openssl on PATH") }
        var samples: [String: [TLSRun]] = [:]
        for run in 0..<plan.runs {
            for (name, arguments) in run % 2 == 0 ? servers : servers.reversed() where !interrupted() {
                let server: TLSServer
                do { server = try startTLSServer(name, arguments) } catch {
                    skip(6, name, error.description)
                    continue
                }
                defer { server.process.stop() }
                let measured = measureTLS(server, context, sTime: sTime)
                samples[name, default: []].append(measured)
                progress("(6) \(name.padded(19)) \(BenchFormat.count(measured.handshakesPerSecond).leftPadded(7)) handshakes/s"
                         + " (\(plan.tlsInFlight) in flight), one at a time \(BenchFormat.count(measured.sequential ?? 0)), "
                         + "s_time -new \(measured.sTime.map(BenchFormat.count) ?? "-"), echo "
                         + "\(measured.echo.map { BenchFormat.count($0.result.messagesPerSecond) } ?? "-") msgs/s"
                         + (plan.runs > 1 ? "  [run \(run + 1)/\(plan.runs)]" : ""))
            }
        }
        var cells: [TLSBenchCell] = []
        for (name, _) in servers {
            let runs = samples[name] ?? []
            guard let m = LoadCell.median(runs, by: { $0.handshakesPerSecond }) else { continue }
            let echo = LoadCell.median(runs.compactMap(\.echo), by: { $0.result.messagesPerSecond })
            cells.append(TLSBenchCell(server: name, handshakes: plan.tlsHandshakes, inFlight: plan.tlsInFlight,
                                      handshakesPerSecond: m.handshakesPerSecond, handshakeLatencyMicros: m.latency,
                                      serverCPUMicrosPerHandshake: m.serverCPUMicros, clientCPUMicrosPerHandshake: m.clientCPUMicros,
                                      sequentialHandshakesPerSecond: LoadCell.median(runs.compactMap(\.sequential), by: { $0 }),
                                      sTimeHandshakesPerSecond: LoadCell.median(runs.compactMap(\.sTime), by: { $0 }),
                                      echoConnections: plan.tlsEchoConnections, echoDepth: plan.clientDepth,
                                      echoMessagesPerSecond: echo?.result.messagesPerSecond, echoLatencyMicros: echo?.latency,
                                      ratioToReference: nil, echoRatioToReference: nil,
                                      runs: runs.map(\.handshakesPerSecond), errors: runs.reduce(0) { $0 + $1.errors },
                                      firstError: runs.compactMap(\.firstError).first))
        }
        if let reference = cells.first(where: { $0.server.hasPrefix("tls_echo_ref") }) {
            for k in cells.indices where !cells[k].server.hasPrefix("tls_echo_ref") {
                cells[k].ratioToReference = reference.handshakesPerSecond > 0 ? cells[k].handshakesPerSecond / reference.handshakesPerSecond : nil
                if let mine = cells[k].echoMessagesPerSecond, let theirs = reference.echoMessagesPerSecond, theirs > 0 {
                    cells[k].echoRatioToReference = mine / theirs
                }
            }
        }
        return TLSBenchSection(cells: cells, idleMemory: memory)
    }

    private func startTLSServer(_ name: String, _ arguments: [String]) throws(LoadCell.Failure) -> TLSServer {
        let log = "\(plan.scratchDir)/\(name.replacingOccurrences(of: " ", with: "-")).log"
        do {
            let (child, address) = try ServerUnderTest.spawnReportingPort(arguments, name: name, log: log, pinning: pinning)
            try ServerUnderTest.waitAccepting(child, address, name: name, pinning: pinning)
            return TLSServer(name: name, process: child, address: address)
        } catch { throw LoadCell.Failure(description: error.description) }
    }

    /// Handshakes (bounded in flight, then one at a time), s_time, and echo, against one server.
    private func measureTLS(_ server: TLSServer, _ context: TLSClientContext, sTime: String?) -> TLSRun {
        var errors: UInt64 = 0
        var firstError: String?
        func handshakes(_ count: Int, inFlight: Int, probeEcho: Bool) -> (ConnectBurstResult, [Int32], [Transport])? {
            guard let burst = try? ConnectBurst() else { return nil }
            let (result, fds) = burst.run(count: count, to: Target(server.address, host: "127.0.0.1"), inFlight: inFlight, timeoutNanos: 60_000_000_000,
                                          probeEcho: probeEcho, tls: context, interrupted: interrupted)
            errors += UInt64(result.failed)
            if firstError == nil { firstError = result.firstError }
            return (result, fds, burst.keptTransports)
        }
        // Warm the server (page faults, allocator) before the measured burst.
        if let (_, fds, sessions) = handshakes(min(100, plan.tlsHandshakes), inFlight: plan.tlsInFlight, probeEcho: false) { LoadCell.closeAll(fds, sessions) }
        let server0 = ProcessProbe.cpuSeconds(server.process.pid)
        let own0 = ProcessProbe.ownCPUSeconds()
        var run = TLSRun(handshakesPerSecond: 0, clientCPUMicros: 0, errors: 0)
        if let (result, fds, sessions) = handshakes(plan.tlsHandshakes, inFlight: plan.tlsInFlight, probeEcho: false), let tls = result.tls {
            let own1 = ProcessProbe.ownCPUSeconds()
            let server1 = ProcessProbe.cpuSeconds(server.process.pid)
            LoadCell.closeAll(fds, sessions)
            run.handshakesPerSecond = tls.perSecond
            run.latency = tls.latencyMicros.map(Latency.init)
            if tls.completed > 0 {
                run.clientCPUMicros = (own1 - own0) / Double(tls.completed) * 1e6
                if let server0, let server1 { run.serverCPUMicros = (server1 - server0) / Double(tls.completed) * 1e6 }
            }
        }
        if !interrupted(), let (result, fds, sessions) = handshakes(plan.tlsSequentialHandshakes, inFlight: 1, probeEcho: false) {
            LoadCell.closeAll(fds, sessions)
            run.sequential = result.tls?.perSecond
        }
        if !interrupted(), let sTime { run.sTime = sTimeHandshakes(sTime, server) }
        if !interrupted(), let (_, fds, sessions) = handshakes(plan.tlsEchoConnections, inFlight: plan.tlsInFlight, probeEcho: true), !fds.isEmpty {
            do {
                run.echo = try LoadCell.measure(fds: fds, messageSize: plan.messageSize, depth: plan.clientDepth,
                                                warmupSeconds: plan.warmupSeconds, measuredSeconds: plan.measuredSeconds,
                                                serverPID: server.process.pid, tls: sessions, interrupted: interrupted)
                errors += run.echo?.result.errors ?? 0
                if firstError == nil { firstError = run.echo?.result.firstError }
            } catch {
                errors += 1
                if firstError == nil { firstError = "echo: \(error)" }
            }
            LoadCell.closeAll(fds, sessions)
        }
        run.errors = errors
        run.firstError = firstError
        return run
    }

    /// `openssl s_time -new` for the cell's measured seconds (whole seconds, at least 1): N from
    /// its "N connections in T real seconds" line over the wall time it ran. Its own T is whole
    /// seconds of time(2), often one more than it ran: up to a third off for a 3 s run.
    private func sTimeHandshakes(_ openssl: String, _ server: TLSServer) -> Double? {
        let seconds = plan.loadcSeconds
        let log = "\(plan.scratchDir)/s_time-\(server.name.replacingOccurrences(of: " ", with: "-")).log"
        let started = Sys.monotonicNanos()
        guard let child = try? ChildProcess([openssl, "s_time", "-new", "-connect", "127.0.0.1:\(server.address.port)",
                                             "-time", String(seconds)], logPath: log) else { return nil }
        guard child.waitForExit(timeoutNanos: UInt64(seconds + 30) * 1_000_000_000) else {
            child.stop()
            notes.append("(6) openssl s_time did not finish in \(seconds + 30) s")
            return nil
        }
        let wall = Double(Sys.monotonicNanos() - started) / 1e9
        for line in child.standardOutput.split(separator: "\n") where line.contains("real seconds") {
            if let n = Double(line.split(separator: " ").first ?? ""), wall > 0 { return n / wall }
        }
        notes.append("(6) openssl s_time printed no 'N connections in T real seconds' line: \(child.logTail(3))")
        return nil
    }

    /// RSS growth per idle TLS connection of `sockfuzz serve --tls` and of this process (the
    /// client ends), then of tls_echo_ref (the same OpenSSL objects, in C: the floor a server
    /// keeping one SSL per connection can reach).
    private func tlsIdleMemory(_ context: TLSClientContext, reference: (String, [String])?) -> TLSIdleMemory? {
        let ours = [plan.selfExecutable, "serve", "--mode", "epoll", "--tls", "--port", "0"]
        guard let mine = idleTLSGrowth("sockfuzz epoll tls", ours, context) else { return nil }
        var memory = TLSIdleMemory(connections: mine.connections, serverBytesPerConnection: mine.server,
                                   clientBytesPerConnection: mine.client)
        if let (name, arguments) = reference, !interrupted(), let theirs = idleTLSGrowth(name, arguments, context) {
            memory.referenceServerBytesPerConnection = theirs.server
        }
        return memory
    }

    /// One server's RSS growth per connection, and this process's, with N idle TLS connections
    /// (handshake done, one byte echoed). Both are read after a warm-up of two connections
    /// (opened, then closed): what the first handshake sets up once per process (OpenSSL's
    /// algorithm fetches and caches) is not per connection. The client's figure includes the
    /// burst's own tables (about 0.2 KiB per connection at 1000).
    private func idleTLSGrowth(_ name: String, _ arguments: [String], _ context: TLSClientContext)
        -> (connections: Int, server: Double, client: Double)? {
        let count = plan.tlsMemoryConnections
        let server: TLSServer
        do { server = try startTLSServer(name, arguments) } catch {
            skip(6, "TLS idle memory of \(name)", error.description)
            return nil
        }
        defer { server.process.stop() }
        // A burst runs once (its counters add up); both are made before the figures are read.
        guard let warmBurst = try? ConnectBurst(), let burst = try? ConnectBurst() else {
            skip(6, "TLS idle memory of \(name)", "cannot make an event loop")
            return nil
        }
        var failures = ""
        func open(_ n: Int, with burst: ConnectBurst) -> ([Int32], [Transport]) {
            let (result, fds) = burst.run(count: n, to: Target(server.address, host: "127.0.0.1"), inFlight: plan.tlsInFlight, timeoutNanos: 60_000_000_000,
                                          tls: context, interrupted: interrupted)
            if result.failed > 0 { failures = ", \(result.failed) failed (\(result.firstError ?? "no reason given"))" }
            return (fds, burst.keptTransports)
        }
        let (warmFDs, warmSessions) = open(2, with: warmBurst)
        LoadCell.closeAll(warmFDs, warmSessions)
        // In a full run this process has run sections 1 to 5: memory they freed would be reused
        // by the connections and hide what they hold. Hand it back to the kernel first.
        _ = csf_malloc_trim()
        guard let before = stableRSS(server.process.pid), let ownBefore = ProcessProbe.residentBytes(getpid()) else {
            skip(6, "TLS idle memory of \(name)", "cannot read /proc/\(server.process.pid)/statm")
            return nil
        }
        let (fds, sessions) = open(count, with: burst)
        defer { LoadCell.closeAll(fds, sessions) }
        guard !fds.isEmpty, let after = stableRSS(server.process.pid), let ownAfter = ProcessProbe.residentBytes(getpid()) else {
            skip(6, "TLS idle memory of \(name)", "no TLS connection opened")
            return nil
        }
        let serverEach = Double(after - before) / Double(fds.count)
        let clientEach = Double(ownAfter - ownBefore) / Double(fds.count)
        progress("(6) idle TLS connections: \(fds.count) to \(name): server RSS \(BenchFormat.bytes(before)) -> \(BenchFormat.bytes(after)) "
                 + "(\(Int(serverEach)) B each), client \(Int(clientEach)) B each" + failures)
        return (fds.count, serverEach, clientEach)
    }
}
