// (3) The load client against loadc, both on the client CPU driving the same echo_ref epoll
// process, both making every message from the keyed pattern and checking every echoed byte
// (loadc -V: a yardstick does the work of what it measures); and connects/s of both. (4) RSS per idle connection of a fresh `sockfuzz serve`.

import Glibc
import Load
import Syscalls

extension BenchRunner {
    // MARK: (3) clients

    func runClients() -> ([ClientCell], [ConnectCell]) {
        guard tools.echoRef != nil, let loadc = tools.loadc else {
            skip(3, "client comparison", tools.echoRefProblem ?? tools.loadcProblem ?? "reference tools not built")
            return ([], [])
        }
        let seconds = plan.loadcSeconds
        let warmup = plan.loadcWarmupSeconds
        var echo: [String: [(Double, Latency?)]] = [:]
        for run in 0..<plan.runs where !interrupted() {
            let server: ServerUnderTest
            do { server = try startServer(.refEpoll) } catch {
                skip(3, "client comparison", error.description)
                return ([], [])
            }
            defer { stop(server) }
            for connections in plan.clientConnections where !interrupted() {
                // Alternate who goes first between runs.
                for client in run % 2 == 0 ? [ClientCell.Client.loadc, .sockfuzz] : [.sockfuzz, .loadc] where !interrupted() {
                    let key = "\(client.rawValue) \(connections)"
                    switch client {
                    case .loadc:
                        let args = [loadc, "-p", String(server.address.port), "-c", String(connections),
                                    "-d", String(plan.clientDepth), "-s", String(plan.messageSize),
                                    "-t", String(seconds), "-w", String(warmup), "-V"]
                        switch runLoadc(args, expect: "ECHO", timeoutSeconds: seconds + warmup + 60) {
                        case .success(let fields) where (fields["mismatches"] ?? 0) > 0:
                            skip(3, "loadc, \(connections) connections", "echoes differed from what was sent: \(fields)")
                        case .success(let fields):
                            let rate = fields["msgs/s"] ?? 0
                            let latency = Latency(fields: fields)
                            echo[key, default: []].append((rate, latency))
                            progress("(3) loadc    \(String(connections).leftPadded(5)) conns depth \(plan.clientDepth): "
                                     + "\(BenchFormat.count(rate).leftPadded(9)) msgs/s  p99 \(BenchFormat.micros(latency?.p99, micro: "us"))")
                        case .failure(let problem):
                            skip(3, "loadc, \(connections) connections", problem.description)
                        }
                    case .sockfuzz:
                        do {
                            let (_, fds) = try LoadCell.connect(connections, to: server.address, interrupted: interrupted)
                            defer { LoadCell.closeAll(fds) }
                            let m = try LoadCell.measure(fds: fds, messageSize: plan.messageSize, depth: plan.clientDepth,
                                                         warmupSeconds: Double(warmup), measuredSeconds: Double(seconds),
                                                         serverPID: server.process.pid, interrupted: interrupted)
                            echo[key, default: []].append((m.result.messagesPerSecond, m.latency))
                            progress("(3) sockfuzz \(String(connections).leftPadded(5)) conns depth \(plan.clientDepth): "
                                     + "\(BenchFormat.count(m.result.messagesPerSecond).leftPadded(9)) msgs/s  p99 \(BenchFormat.micros(m.latency?.p99, micro: "us"))")
                        } catch {
                            skip(3, "sockfuzz load client, \(connections) connections", error.description)
                        }
                    }
                    server.waitForConnections(0)
                }
            }
        }
        var cells: [ClientCell] = []
        for connections in plan.clientConnections {
            for client in [ClientCell.Client.sockfuzz, .loadc] {
                let runs = echo["\(client.rawValue) \(connections)"] ?? []
                guard let m = LoadCell.median(runs, by: { $0.0 }) else { continue }
                cells.append(ClientCell(client: client, connections: connections, depth: plan.clientDepth,
                                        messagesPerSecond: m.0, latencyMicros: m.1, runs: runs.map(\.0)))
            }
        }
        return (cells, runConnects(loadc: loadc))
    }

    private func runConnects(loadc: String) -> [ConnectCell] {
        let n = plan.connectCount
        let q = plan.connectInFlight
        if let problem = descriptorShortage(n) {
            skip(3, "connects/s", problem)
            return []
        }
        var rates: [ClientCell.Client: [(rate: Double, connected: Int)]] = [:]
        for run in 0..<plan.runs where !interrupted() {
            for client in run % 2 == 0 ? [ClientCell.Client.loadc, .sockfuzz] : [.sockfuzz, .loadc] where !interrupted() {
                // A fresh echo_ref for each burst: nothing left over from the one before.
                let server: ServerUnderTest
                do { server = try startServer(.refEpoll) } catch {
                    skip(3, "connects/s", error.description)
                    return []
                }
                defer { stop(server) }
                switch client {
                case .loadc:
                    switch runLoadc([loadc, "-p", String(server.address.port), "-C", String(n), "-q", String(q)],
                                    expect: "CONNECT", timeoutSeconds: 90) {
                    case .success(let fields):
                        let rate = fields["connects/s"] ?? 0
                        rates[.loadc, default: []].append((rate, Int(fields["connected"] ?? 0)))
                        progress("(3) loadc    connect \(n), \(q) in flight: \(BenchFormat.count(rate)) connects/s")
                    case .failure(let problem):
                        skip(3, "loadc connects", problem.description)
                    }
                case .sockfuzz:
                    do {
                        let burst = try ConnectBurst()
                        let (result, fds) = burst.run(count: n, to: Target(server.address), inFlight: q, interrupted: interrupted)
                        LoadCell.closeAll(fds)
                        if result.connected < n {
                            notes.append("(3) sockfuzz connect burst: \(result.connected)/\(n) connected"
                                         + (result.firstError.map { ", first error: \($0)" } ?? ""))
                        }
                        rates[.sockfuzz, default: []].append((result.connectsPerSecond, result.connected))
                        progress("(3) sockfuzz connect \(n), \(q) in flight: \(BenchFormat.count(result.connectsPerSecond)) connects/s")
                    } catch {
                        skip(3, "sockfuzz connects", "\(error)")
                    }
                }
            }
        }
        var cells: [ConnectCell] = []
        for client in [ClientCell.Client.sockfuzz, .loadc] {
            let runs = rates[client] ?? []
            guard let m = LoadCell.median(runs, by: { $0.rate }) else { continue }
            cells.append(ConnectCell(client: client, count: n, inFlight: q, connected: m.connected,
                                     connectsPerSecond: m.rate, runs: runs.map(\.rate)))
        }
        return cells
    }

    struct LoadcProblem: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs loadc (inheriting this thread's CPU: the client CPU) and parses the `expect` line's
    /// key=value fields.
    func runLoadc(_ args: [String], expect: String, timeoutSeconds: Int) -> Result<[String: Double], LoadcProblem> {
        let child: ChildProcess
        do { child = try ChildProcess(args, logPath: "\(plan.scratchDir)/loadc.log") } catch {
            return .failure(LoadcProblem(description: error.description))
        }
        guard child.waitForExit(timeoutNanos: UInt64(timeoutSeconds) * 1_000_000_000) else {
            child.stop()
            return .failure(LoadcProblem(description: "loadc did not finish in \(timeoutSeconds) s"))
        }
        guard let fields = Self.loadcFields(in: child.standardOutput, expect: expect) else {
            return .failure(LoadcProblem(description: "loadc printed no \(expect) line (exit status \(child.exitStatus ?? -1)): \(child.logTail(3))"))
        }
        return .success(fields)
    }

    /// The fields of the first line of loadc's output that starts with `expect` ("ECHO" or
    /// "CONNECT"), or nil when it printed none.
    static func loadcFields(in output: String, expect: String) -> [String: Double]? {
        output.split(separator: "\n").first { $0.hasPrefix(expect) }.map { fields(String($0)) }
    }

    /// "ECHO conns=100 msgs/s=123 p50_us=4.5" -> ["conns": 100, "msgs/s": 123, "p50_us": 4.5].
    static func fields(_ line: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for token in line.split(separator: " ") {
            guard let eq = token.firstIndex(of: "=") else { continue }
            var value = token[token.index(after: eq)...]
            if value.hasSuffix("s") { value = value.dropLast() } // "secs=1.00" style values end in s
            if let v = Double(value) { out[String(token[..<eq])] = v }
        }
        return out
    }

    // MARK: (4) idle memory

    /// Why `count` connections cannot be opened here, if they cannot: this process needs a
    /// descriptor for each (the servers, which inherit the same limit, too).
    func descriptorShortage(_ count: Int) -> String? {
        let limit = Sys.openFileLimit()
        guard limit < count + 64 else { return nil }
        return "the open-file limit is \(limit), below the \(count + 64) descriptors \(count) connections need (raise the hard limit: ulimit -Hn)"
    }

    func runIdleMemory() -> IdleMemory? {
        let count = plan.memoryConnections
        if let problem = descriptorShortage(count) {
            skip(4, "idle memory", problem)
            return nil
        }
        let server: ServerUnderTest
        do { server = try startServer(.sockfuzzEpoll) } catch {
            skip(4, "idle memory", error.description)
            return nil
        }
        defer { stop(server) }
        guard let before = stableRSS(server.process.pid) else {
            skip(4, "idle memory", "cannot read /proc/\(server.process.pid)/statm")
            return nil
        }
        let fds: [Int32]
        do { (_, fds) = try LoadCell.connect(count, to: server.address, interrupted: interrupted) } catch {
            skip(4, "idle memory", error.description)
            return nil
        }
        defer { LoadCell.closeAll(fds) }
        // Each connection echoed its byte, so the server accepted it; wait until it holds them all.
        if !server.waitForConnections(fds.count, timeoutNanos: 10_000_000_000) {
            notes.append("(4) the server did not report holding all \(fds.count) connections in 10 s")
        }
        guard let after = stableRSS(server.process.pid) else {
            skip(4, "idle memory", "cannot read /proc/\(server.process.pid)/statm")
            return nil
        }
        let memory = IdleMemory(mode: "epoll", connections: fds.count, rssBeforeBytes: before, rssAfterBytes: after)
        progress("(4) sockfuzz serve --mode epoll: RSS \(BenchFormat.bytes(before)) -> \(BenchFormat.bytes(after)) "
                 + "with \(fds.count) idle connections: \(Int(memory.bytesPerConnection)) B per connection")
        return memory
    }

    /// RSS once three readings 100 ms apart agree (at most 3 s).
    func stableRSS(_ pid: pid_t) -> Int? {
        var last: [Int] = []
        let deadline = Sys.monotonicNanos() &+ 3_000_000_000
        while Sys.monotonicNanos() < deadline {
            guard let rss = ProcessProbe.residentBytes(pid) else { return nil }
            last.append(rss)
            if last.count >= 3 && Set(last.suffix(3)).count == 1 { return rss }
            usleep(100_000)
        }
        return last.last
    }
}
