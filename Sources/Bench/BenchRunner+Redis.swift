// (5) Request/response load beside redis-benchmark: one redis-server on the server CPU, and in
// turn on the client CPU redis-benchmark (PING_INLINE) and sockfuzz's request load sending the
// same inline `PING\r\n`, every `+PONG` framed and checked. Same connections, same pipeline
// depth, same server, alternating who goes first. Skipped, with the reason, without redis.

import Framing
import Glibc
import Load
import Syscalls

extension BenchRunner {
    func runRequestLoad() -> [RequestLoadCell] {
        guard let redis = ReferenceTools.findExecutable("redis-server") else {
            skip(5, "request load vs redis-benchmark", "redis-server not on PATH (apt-get install redis-server)")
            return []
        }
        guard let benchmark = ReferenceTools.findExecutable("redis-benchmark") else {
            skip(5, "request load vs redis-benchmark", "redis-benchmark not on PATH (apt-get install redis-tools)")
            return []
        }
        guard let port = try? Sys.freeLoopbackPort() else {
            skip(5, "request load vs redis-benchmark", "no free port on 127.0.0.1")
            return []
        }
        let child: ChildProcess
        do {
            child = try pinning.onServerCPU {
                try ChildProcess([redis, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                  "--protected-mode", "no"], logPath: "\(plan.scratchDir)/redis-server.log")
            }
        } catch {
            skip(5, "request load vs redis-benchmark", "\(error)")
            return []
        }
        defer { child.stop() }
        let address = SocketAddress.loopback(port: port)
        guard ServerUnderTest.waitUntilAccepting(address, child: child, timeoutNanos: 10_000_000_000) else {
            skip(5, "request load vs redis-benchmark", "redis-server never accepted on \(port): \(child.logTail())")
            return []
        }
        var samples: [String: [(Double, Latency?)]] = [:]
        let connections = plan.redisConnections
        for run in 0..<plan.runs where !interrupted() {
            for pipeline in plan.redisPipelines where !interrupted() {
                for client in run % 2 == 0 ? [RequestLoadCell.Client.redisBenchmark, .sockfuzz] : [.sockfuzz, .redisBenchmark]
                where !interrupted() {
                    let key = "\(client.rawValue) \(pipeline)"
                    switch client {
                    case .redisBenchmark:
                        switch runRedisBenchmark(benchmark, port: port, connections: connections, pipeline: pipeline) {
                        case .success(let m):
                            samples[key, default: []].append(m)
                            progress("(5) redis-benchmark \(connections) conns pipeline \(pipeline): "
                                     + "\(BenchFormat.count(m.0).leftPadded(9)) req/s  p99 \(BenchFormat.micros(m.1?.p99, micro: "us"))")
                        case .failure(let problem):
                            skip(5, "redis-benchmark, pipeline \(pipeline)", problem.description)
                        }
                    case .sockfuzz:
                        do {
                            let m = try measureRequests(address, connections: connections, pipeline: pipeline)
                            samples[key, default: []].append(m)
                            progress("(5) sockfuzz load    \(connections) conns pipeline \(pipeline): "
                                     + "\(BenchFormat.count(m.0).leftPadded(9)) req/s  p99 \(BenchFormat.micros(m.1?.p99, micro: "us"))")
                        } catch {
                            skip(5, "sockfuzz load --request, pipeline \(pipeline)", error.description)
                        }
                    }
                }
            }
        }
        var cells: [RequestLoadCell] = []
        for pipeline in plan.redisPipelines {
            for client in [RequestLoadCell.Client.sockfuzz, .redisBenchmark] {
                let runs = samples["\(client.rawValue) \(pipeline)"] ?? []
                guard let m = LoadCell.median(runs, by: { $0.0 }) else { continue }
                cells.append(RequestLoadCell(client: client, connections: connections, pipeline: pipeline,
                                             requestsPerSecond: m.0, latencyMicros: m.1, runs: runs.map(\.0)))
            }
        }
        return cells
    }

    /// sockfuzz's request load: a warmup run, then the measured one; any error fails the cell.
    private func measureRequests(_ address: SocketAddress, connections: Int,
                                 pipeline: Int) throws(LoadCell.Failure) -> (Double, Latency?) {
        let burst: ConnectBurst
        do { burst = try ConnectBurst() } catch { throw LoadCell.Failure(description: "epoll: \(error)") }
        let (_, fds) = burst.run(count: connections, to: Target(address), timeoutNanos: 30_000_000_000, probeEcho: false,
                                 interrupted: interrupted)
        defer { LoadCell.closeAll(fds) }
        guard fds.count == connections else { throw LoadCell.Failure(description: "only \(fds.count) of \(connections) connected") }
        let plan = RequestLoadPlan(mix: RequestMix([Array("PING\r\n".utf8)]), framing: .resp(), expect: "^\\+PONG\\r\\n$",
                                   pacing: .depth(pipeline), durationNanos: UInt64(self.plan.measuredSeconds * 1e9),
                                   warmupNanos: UInt64(self.plan.warmupSeconds * 1e9))
        let result: LoadResult
        do { result = try LoadJob.requests(plan).run(fds: fds, interrupted: interrupted).result } catch {
            throw LoadCell.Failure(description: "\(error)")
        }
        let problems = LoadVerdict.problems(result)
        guard problems.isEmpty || result.interrupted else { throw LoadCell.Failure(description: problems.joined(separator: "; ")) }
        return (result.messagesPerSecond, result.latencyMicros.map(Latency.init))
    }

    struct RedisBenchmarkProblem: Error, CustomStringConvertible {
        let description: String
    }

    /// redis-benchmark PING_INLINE, sized to run about as long as a measured cell.
    private func runRedisBenchmark(_ path: String, port: Int, connections: Int,
                                   pipeline: Int) -> Result<(Double, Latency?), RedisBenchmarkProblem> {
        // It has no duration option: ask for about the measured time's worth at a rate it reaches here.
        let requests = max(20_000, Int(plan.measuredSeconds * (pipeline == 1 ? 60_000 : 500_000)))
        let args = [path, "-h", "127.0.0.1", "-p", String(port), "-c", String(connections), "-P", String(pipeline),
                    "-t", "ping_inline", "-n", String(requests), "--csv", "-q"]
        let child: ChildProcess
        do { child = try ChildProcess(args, logPath: "\(plan.scratchDir)/redis-benchmark.log") } catch {
            return .failure(RedisBenchmarkProblem(description: error.description))
        }
        guard child.waitForExit(timeoutNanos: 120_000_000_000) else {
            child.stop()
            return .failure(RedisBenchmarkProblem(description: "redis-benchmark did not finish in 120 s"))
        }
        guard let figures = Self.redisBenchmarkFigures(child.standardOutput) else {
            return .failure(RedisBenchmarkProblem(description: "no PING_INLINE line in its output (exit status \(child.exitStatus ?? -1)): "
                                                  + child.logTail(3)))
        }
        return .success(figures)
    }

    /// `"PING_INLINE","37509.38","0.968","0.080","0.335","4.327","6.471","28.575"` (rps, avg, min,
    /// p50, p95, p99, max; milliseconds) -> requests/s and p50/p99 in microseconds.
    static func redisBenchmarkFigures(_ csv: String) -> (Double, Latency?)? {
        guard let line = csv.split(separator: "\n").first(where: { $0.hasPrefix("\"PING_INLINE\"") }) else { return nil }
        let fields = line.split(separator: ",").map { Double($0.filter { $0 != "\"" }) }
        guard fields.count >= 2, let rps = fields[1] else { return nil }
        var latency: Latency?
        if fields.count >= 7, let p50 = fields[4], let p99 = fields[6] { latency = Latency(p50: p50 * 1000, p99: p99 * 1000) }
        return (rps, latency)
    }
}
