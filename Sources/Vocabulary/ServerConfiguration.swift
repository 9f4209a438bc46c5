// How the embedded echo server is started: backend, address, limits, and an optional injected
// fault, validated once here for the command line, the language and the fuzzer alike.

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
    /// SO_REUSEPORT: other processes may listen on the same port (the kernel spreads connections).
    public var reusePort = false
    /// Serve TLS instead of clear text; nil: clear.
    public var tls: ServerTLS?

    public init(mode: BackendKind = .epoll, host: String = "127.0.0.1", port: Int = 0,
                edgeTriggered: Bool = false, queueLimit: Int = 1 << 20, backlog: Int32 = 4096,
                maxConnections: Int? = nil, fault: ServerFault? = nil, tls: ServerTLS? = nil) {
        self.mode = mode
        self.host = host
        self.port = port
        self.edgeTriggered = edgeTriggered
        self.queueLimit = queueLimit
        self.backlog = backlog
        self.maxConnections = maxConnections
        self.fault = fault
        self.tls = tls
    }
}

public struct ServerConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension ServerConfiguration {
    /// The one design that can be edge-triggered (`edge`, and the faults that imply it).
    public static let edgeTriggeredMode = BackendKind.epoll

    /// Why this configuration cannot run in `mode`, or nil when it can: edge-triggering and the
    /// seed's edge bug exist only in epoll. Lets `--mode` overrides skip such a server, saying
    /// why, instead of quietly dropping the `edge` or the fault the file asked for.
    public func conflict(with mode: BackendKind) -> String? {
        if edgeTriggered && mode != Self.edgeTriggeredMode {
            return "edge-triggered needs mode \(Self.edgeTriggeredMode.rawValue), not \(mode.rawValue)"
        }
        if let fault, let needed = fault.requiredMode, needed != mode {
            return "fault \(fault.rawValue) needs mode \(needed.rawValue), not \(mode.rawValue)"
        }
        if tls != nil, let fault, !fault.injectedOverTLS { return "fault \(fault.rawValue) is not injected into a TLS server" }
        if mode == .uring && (tls != nil || fault?.impliesTLS == true) { return "the uring design does not serve TLS (yet): use busy, select or epoll" }
        return nil
    }

    /// Edge-triggered as asked (`edge`), or by a fault that implies it.
    public var isEdgeTriggered: Bool { edgeTriggered || fault?.impliesEdgeTriggered == true }

    /// Rejects combinations that cannot run, before anything is opened.
    public func validated() throws(ServerConfigurationError) -> ServerConfiguration {
        var copy = self
        if let conflict = conflict(with: mode) { throw ServerConfigurationError(description: conflict) }
        if fault?.impliesEdgeTriggered == true { copy.edgeTriggered = true }
        if fault?.impliesTLS == true && copy.tls == nil { copy.tls = ServerTLS() }
        if let tls = copy.tls, (tls.certificatePath == nil) != (tls.keyPath == nil) {
            throw ServerConfigurationError(description: "a TLS certificate needs its key and a key its certificate (give both cert= and key=, or neither)")
        }
        guard (0...65535).contains(port) else {
            throw ServerConfigurationError(description: "port \(port) is out of range (0-65535)")
        }
        guard queueLimit > 0 else {
            throw ServerConfigurationError(description: "queue limit must be positive")
        }
        if let maxConnections, maxConnections < 1 {
            throw ServerConfigurationError(description: "connection limit must be at least 1")
        }
        return copy
    }
}

/// The embedded server's TLS identity: a certificate and key from PEM files, or (both nil) a
/// self-signed certificate for localhost, 127.0.0.1 and ::1 generated in memory.
public struct ServerTLS: Sendable, Equatable {
    public var certificatePath: String?
    public var keyPath: String?

    public init(certificatePath: String? = nil, keyPath: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}
