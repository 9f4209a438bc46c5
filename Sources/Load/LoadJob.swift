// The one way into a load run, for `sockfuzz load`, the scenario `load` statement and the bench:
// what the connections carry (echo messages, or requests) picks the runner's work, here and
// nowhere else.

import Histogram
import Syscalls
import TLSClient

public enum LoadJob {
    /// Echo load: keyed messages, every echoed byte checked.
    case echo(LoadPlan)
    /// Request/response load: every reply framed and checked. With `reconnect`, a connection
    /// the server closes between requests is opened again (counted); without, it fails.
    case requests(RequestLoadPlan, reconnect: LoadReconnect? = nil)

    /// Runs the job over `fds` (connected, non-blocking; they stay open and the caller's, as do
    /// their `transports`, one per descriptor in order; nil: all clear). Throws when the runner
    /// cannot start (no epoll; a request plan's `expect` is no valid regex).
    public func run(fds: [Int32], transports: [Transport]? = nil, progress: (LoadProgress) -> Void = { _ in },
                    interrupted: () -> Bool = { false }) throws -> LoadOutcome {
        switch self {
        case .echo(let plan):
            let runner = try LoadRunner(fds: fds, plan: plan, transports: transports)
            let result = runner.run(progress: progress, interrupted: interrupted)
            return LoadOutcome(result: result, histogram: runner.histogram, failedConnections: runner.failedConnections,
                               unfinishedConnections: runner.unfinishedConnections, verifiedBytes: runner.verifiedBytes, traffic: nil)
        case .requests(let plan, let reconnect):
            let runner = try LoadRunner(fds: fds, plan: plan, transports: transports, reconnect: reconnect)
            let result = runner.run(progress: progress, interrupted: interrupted)
            return LoadOutcome(result: result, histogram: runner.histogram, failedConnections: runner.failedConnections,
                               unfinishedConnections: runner.unfinishedConnections, verifiedBytes: nil, traffic: runner.traffic)
        }
    }
}

/// Where to open a connection again when the server closes one between requests.
public struct LoadReconnect {
    public let address: SocketAddress
    public let tls: Connector.TLSTarget?
    /// With `tls`, each new connection's handshake sends and checks the target's `tlsName`.
    public init(to target: Target, tls: TLSClientContext?) {
        address = target.address
        self.tls = tls.map { Connector.TLSTarget($0, host: target.tlsName) }
    }
}

/// What a load run leaves: its result, and what its callers take back per connection.
public struct LoadOutcome {
    public var result: LoadResult
    /// Round-trip latencies of the measured window, in nanoseconds.
    public var histogram: Histogram<UInt64>
    /// Positions (in the `fds` given) of the connections that failed under load.
    public var failedConnections: [Int]
    /// Positions of the live connections that did not write all their queued messages: over
    /// TLS a record may be left half-sent inside OpenSSL.
    public var unfinishedConnections: [Int]
    /// Echo load: bytes each connection sent and got back verified, in the order of the `fds`.
    public var verifiedBytes: [UInt64]?
    /// Request load: bytes each connection wrote and received.
    public var traffic: [(sent: UInt64, received: UInt64)]?
}

/// Live figures for a progress line.
public struct LoadProgress: Sendable {
    public var elapsedSeconds: Double
    public var messages: UInt64
    public var messagesPerSecond: Double
    public var errors: UInt64
    public var connections: Int
    /// The measured window's last seconds closed, each with its histogram (shared, not
    /// copied), for a live exporter (`--metrics-listen`): the last 16 at most.
    public var seconds: [LoadSecond] = []
    /// How many seconds closed before the first in `seconds`.
    public var secondsBefore = 0
}
