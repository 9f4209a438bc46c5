// How the embedded echo server is started: backend, address, limits, and an optional injected fault.

import Reactor

public struct ServerConfiguration: Sendable, Equatable {
    public var mode: BackendKind
    /// Loopback unless the user asks otherwise: a test tool must not listen on every interface.
    public var host: String
    /// 0 asks the kernel for an ephemeral port; `EchoServer.address` reports the one it got.
    public var port: Int
    /// epoll only: edge-triggered, draining every socket until EAGAIN.
    public var edgeTriggered: Bool
    /// A connection whose unsent queue reaches this many bytes is not read until it drains.
    public var queueLimit: Int
    public var backlog: Int32
    /// At most this many connections at once; more are accepted and closed at once, counted as
    /// refused-over-limit (like select's FD_SETSIZE refusals). nil: no limit but the descriptors.
    public var maxConnections: Int?
    public var fault: ServerFault?

    public init(mode: BackendKind = .epoll, host: String = "127.0.0.1", port: Int = 0,
                edgeTriggered: Bool = false, queueLimit: Int = 1 << 20, backlog: Int32 = 4096,
                maxConnections: Int? = nil, fault: ServerFault? = nil) {
        self.mode = mode
        self.host = host
        self.port = port
        self.edgeTriggered = edgeTriggered
        self.queueLimit = queueLimit
        self.backlog = backlog
        self.maxConnections = maxConnections
        self.fault = fault
    }
}

/// Bugs seen in hand-written servers, injected on purpose to prove that checks catch them.
public enum ServerFault: String, CaseIterable, Sendable, Codable {
    /// Edge-triggered epoll that reads 1024 bytes once per event, as the seed does: data is stranded until the next event.
    case edgeSingleRead = "edge-single-read"
    /// On the peer's EOF, closes without sending what is still queued.
    case closeBeforeFlush = "close-before-flush"
    /// Forgets the unsent rest when a send is short.
    case dropOnPartialWrite = "drop-on-partial-write"
    /// Never closes a descriptor after ECONNRESET.
    case leakOnReset = "leak-on-reset"
    /// Blocks the whole loop on a client that does not read.
    case stallSlowReader = "stall-slow-reader"
    /// Ignores the queue limit: a client that never reads makes the server grow without bound.
    case unboundedQueue = "unbounded-queue"
    /// Flips one bit of the byte at offset 100 of every connection's stream.
    case corruptEcho = "corrupt-echo"

    public var summary: String {
        switch self {
        case .edgeSingleRead: return "edge-triggered epoll that reads 1024 bytes once per event, as the seed does"
        case .closeBeforeFlush: return "closes on the peer's EOF without flushing the queue"
        case .dropOnPartialWrite: return "drops the unsent rest of a short send"
        case .leakOnReset: return "never closes a descriptor after ECONNRESET"
        case .stallSlowReader: return "blocks the whole loop on a client that does not read"
        case .unboundedQueue: return "ignores the per-connection queue limit"
        case .corruptEcho: return "flips a bit of byte 100 of every connection's echo"
        }
    }
}

public struct ServerConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension ServerConfiguration {
    /// Rejects combinations that cannot run, before anything is opened.
    public func validated() throws(ServerConfigurationError) -> ServerConfiguration {
        var copy = self
        if edgeTriggered && mode != .epoll {
            throw ServerConfigurationError(description: "edge-triggered mode needs --mode epoll, not \(mode.rawValue)")
        }
        if fault == .edgeSingleRead {
            guard mode == .epoll else {
                throw ServerConfigurationError(description: "fault edge-single-read needs mode epoll, not \(mode.rawValue)")
            }
            copy.edgeTriggered = true
        }
        guard (0...65535).contains(port) else {
            throw ServerConfigurationError(description: "port \(port) is out of range (0-65535)")
        }
        guard queueLimit > 0 else {
            throw ServerConfigurationError(description: "queue limit must be positive")
        }
        return copy
    }
}
