// The bugs the embedded server can be told to have, by the names users type (`--fault`,
// `fault=`). Injected on purpose, to prove that each checker catches the fault it exists for.

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
    /// TLS, edge-triggered epoll: stops reading after a short SSL_read, as if the socket were
    /// drained, ignoring the records OpenSSL already holds (SSL_pending): they wait for a next edge.
    case tlsIgnorePending = "tls-ignore-pending"
    /// TLS: closes without sending close_notify, so the peer cannot tell the end from a truncation.
    case tlsNoCloseNotify = "tls-no-close-notify"

    /// An edge-triggered bug: the server it is injected into is edge-triggered, whatever `edge` says.
    public var impliesEdgeTriggered: Bool { self == .edgeSingleRead || self == .tlsIgnorePending }

    /// The one backend this fault exists in (the one that can be edge-triggered), nil: any.
    public var requiredMode: BackendKind? { impliesEdgeTriggered ? ServerConfiguration.edgeTriggeredMode : nil }

    /// A TLS bug: the server it is injected into serves TLS.
    public var impliesTLS: Bool { self == .tlsIgnorePending || self == .tlsNoCloseNotify }

    /// Whether a TLS server has it too: the slow-reader stall is a blocking clear-text send only,
    /// so over TLS it would be asked for and silently absent.
    public var injectedOverTLS: Bool { self != .stallSlowReader }

    /// Every name, for error messages and help.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public var summary: String {
        switch self {
        case .edgeSingleRead: return "edge-triggered epoll that reads 1024 bytes once per event, as the seed does"
        case .closeBeforeFlush: return "closes on the peer's EOF without flushing the queue"
        case .dropOnPartialWrite: return "drops the unsent rest of a short send"
        case .leakOnReset: return "never closes a descriptor after ECONNRESET"
        case .stallSlowReader: return "blocks the whole loop on a client that does not read"
        case .unboundedQueue: return "ignores the per-connection queue limit"
        case .corruptEcho: return "flips a bit of byte 100 of every connection's echo"
        case .tlsIgnorePending: return "TLS over edge-triggered epoll that strands records OpenSSL already read (SSL_pending)"
        case .tlsNoCloseNotify: return "TLS that closes without sending close_notify"
        }
    }
}
