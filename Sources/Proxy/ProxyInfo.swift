// What the outside sees of a proxy: its definition, its toxics and its counters, as a value.

import Vocabulary

public struct ProxyCounters: Sendable, Equatable {
    public var accepted: UInt64 = 0
    public var active: UInt64 = 0
    /// Connections whose upstream could not be reached (the client's connection is closed).
    public var upstreamFailures: UInt64 = 0
    /// Connections refused while the proxy was off, or over the descriptor limit.
    public var refused: UInt64 = 0
    /// Bytes read from clients and from the upstream.
    public var bytesUpstream: UInt64 = 0
    public var bytesDownstream: UInt64 = 0
    /// Bytes a toxic discarded (timeout, reset_peer, half_close, limit_data).
    public var bytesDropped: UInt64 = 0
    /// Connections ended with RST by a toxic or by a peer's reset passed on.
    public var resets: UInt64 = 0
    /// Per toxic name: connections it applied to.
    public var toxicConnections: [String: UInt64] = [:]
    /// Per frame-aware toxic: the requests or replies it acted on.
    public var framesActedOn: [String: UInt64] = [:]

    public init() {}

    public var fields: [(String, UInt64)] {
        [("connections", accepted), ("active", active), ("upstream_failures", upstreamFailures),
         ("refused", refused), ("bytes_upstream", bytesUpstream), ("bytes_downstream", bytesDownstream),
         ("bytes_dropped", bytesDropped), ("resets", resets)]
    }
}

public struct ProxyInfo: Sendable, Equatable {
    public var name: String
    public var listen: String
    public var upstream: String
    public var enabled: Bool
    public var toxics: [Toxic]
    public var counters: ProxyCounters
    /// The framing frame-aware toxics cut by (`resp`, `line`, ...), if the proxy has one.
    public var framing: String?
}

/// Why a proxy operation was refused; `kind` is what the HTTP API turns into a status.
public struct ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable { case notFound, exists, invalid, listenFailed }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}
