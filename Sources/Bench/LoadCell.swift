// One measured cell driven by sockfuzz's own load generator: open the connections with
// ConnectBurst, warm up with one load run, then measure with a second one while reading
// the server's CPU time from /proc before and after, so CPU per message covers that window only.

import Glibc
import Load
import Syscalls
import TLSClient

struct LoadMeasurement {
    var result: LoadResult
    /// Server CPU seconds over the measured run (nil without a server pid or /proc reading).
    var serverCPUSeconds: Double?
    var clientCPUSeconds: Double
    /// Wall time of the measured run, drain included.
    var wallSeconds: Double

    var serverCPUMicrosPerMessage: Double? {
        guard let s = serverCPUSeconds, result.messages > 0 else { return nil }
        return s / Double(result.messages) * 1e6
    }
    var serverCPUPercent: Double? { serverCPUSeconds.map { wallSeconds > 0 ? $0 / wallSeconds * 100 : 0 } }
    var clientCPUPercent: Double { wallSeconds > 0 ? clientCPUSeconds / wallSeconds * 100 : 0 }
    var latency: Latency? { result.latencyMicros.map(Latency.init) }
}

enum LoadCell {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Opens `count` connections (one echoed byte each); throws if none could be opened.
    static func connect(_ count: Int, to address: SocketAddress, inFlight: Int = 1000,
                        interrupted: () -> Bool) throws(Failure) -> (ConnectBurstResult, [Int32]) {
        let burst: ConnectBurst
        do { burst = try ConnectBurst() } catch { throw Failure(description: "epoll: \(error)") }
        let (result, fds) = burst.run(count: count, to: Target(address), inFlight: inFlight, timeoutNanos: 30_000_000_000,
                                      interrupted: interrupted)
        if fds.isEmpty {
            throw Failure(description: "no connection to \(address) echoed" + (result.firstError.map { ": \($0)" } ?? ""))
        }
        return (result, fds)
    }

    /// Closes with RST (SO_LINGER 0), as loadc does: no TIME_WAIT piles up over thousands of
    /// connections, and the server sees the close at once.
    static func closeAll(_ fds: [Int32], _ transports: [Transport] = []) {
        // The TLS sessions are freed (no close_notify) before their sockets close.
        for transport in transports { transport.free() }
        for fd in fds {
            try? Sys.setLingerZero(fd)
            Sys.close(fd)
        }
    }

    /// Warmup run (not counted), then the measured run with the server's CPU read around it.
    static func measure(fds: [Int32], messageSize: Int, depth: Int, warmupSeconds: Double, measuredSeconds: Double,
                        serverPID: pid_t?, tls: [Transport]? = nil, interrupted: () -> Bool) throws(Failure) -> LoadMeasurement {
        if warmupSeconds > 0 {
            let warm = LoadPlan(messageSize: messageSize, pacing: .depth(depth),
                                durationNanos: UInt64(warmupSeconds * 1e9), warmupNanos: 0)
            let result: LoadResult
            do { result = try LoadJob.echo(warm).run(fds: fds, transports: tls, interrupted: interrupted).result } catch {
                throw Failure(description: "epoll: \(error)")
            }
            // A message still unanswered would arrive during the measured run as a stray byte.
            if result.errors > 0 || result.unanswered > 0 {
                throw Failure(description: "warmup: \(result.errors) error(s), \(result.unanswered) unanswered"
                              + (result.firstError.map { ": \($0)" } ?? ""))
            }
        }
        let plan = LoadPlan(messageSize: messageSize, pacing: .depth(depth),
                            durationNanos: UInt64(measuredSeconds * 1e9), warmupNanos: 0)
        let server0 = serverPID.flatMap(ProcessProbe.cpuSeconds)
        let own0 = ProcessProbe.ownCPUSeconds()
        let t0 = Sys.monotonicNanos()
        let result: LoadResult
        do { result = try LoadJob.echo(plan).run(fds: fds, transports: tls, interrupted: interrupted).result } catch {
            throw Failure(description: "epoll: \(error)")
        }
        let t1 = Sys.monotonicNanos()
        let own1 = ProcessProbe.ownCPUSeconds()
        let server1 = serverPID.flatMap(ProcessProbe.cpuSeconds)
        var serverCPU: Double?
        if let server0, let server1 { serverCPU = server1 - server0 }
        return LoadMeasurement(result: result, serverCPUSeconds: serverCPU, clientCPUSeconds: own1 - own0,
                               wallSeconds: Double(t1 - t0) / 1e9)
    }

    /// The median of `values` by `key` (the lower middle for an even count): one real run, so its
    /// latency and CPU figures belong with its rate.
    static func median<T>(_ values: [T], by key: (T) -> Double) -> T? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted { key($0) < key($1) }
        return sorted[(sorted.count - 1) / 2]
    }
}
