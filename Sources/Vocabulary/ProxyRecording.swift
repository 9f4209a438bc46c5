// What went through a proxy, as it went: each connection opening, each chunk either side sent
// (before any toxic touched it: the server's own words), and how each side ended, in time
// order. A value the scenario language turns into a replayable scenario.

public struct ProxyRecording: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        case opened(connection: UInt64)
        case clientSent(connection: UInt64, bytes: [UInt8])
        case serverSent(connection: UInt64, bytes: [UInt8])
        /// The client half-closed (FIN) / the server did.
        case clientEnded(connection: UInt64)
        case serverEnded(connection: UInt64)
        case clientReset(connection: UInt64)
        case serverReset(connection: UInt64)
    }

    public struct Entry: Sendable, Equatable {
        /// Monotonic nanoseconds.
        public var at: UInt64
        public var event: Event

        public init(at: UInt64, event: Event) {
            self.at = at
            self.event = event
        }
    }

    public var entries: [Entry] = []
    /// Bytes recorded so far, against `limit`.
    public var bytes = 0
    /// Recording stopped at `limit` bytes: the rest went through unrecorded.
    public var truncated = false
    public let limit: Int

    public init(limit: Int = 64 << 20) { self.limit = limit }

    /// Appends an event; a chunk past the byte limit ends the recording (marked truncated).
    public mutating func record(_ event: Event, at time: UInt64) {
        guard !truncated else { return }
        switch event {
        case .clientSent(_, let b), .serverSent(_, let b):
            guard bytes + b.count <= limit else {
                truncated = true
                return
            }
            bytes += b.count
        default: break
        }
        entries.append(Entry(at: time, event: event))
    }
}
