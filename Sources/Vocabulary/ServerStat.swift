// The embedded server's counters by the names scenarios use (`expect server accepted == 10`).
// One typed key per counter: a renamed counter is a compile error, never a silent 0.

/// A counter the embedded server reports; raw values are the names used in scenarios.
public enum ServerStat: String, Sendable, Hashable, CaseIterable, Codable {
    case accepted, active
    case peerEOFs = "peer_eofs"
    case resets
    case refusedOverLimit = "refused_over_limit"
    case shedEMFILE = "shed_emfile"
    case bytesIn = "bytes_in"
    case bytesOut = "bytes_out"
    case iterations
    case idleIterations = "idle_iterations"
    case queueHighWater = "queue_high_water"
    case otherErrors = "other_errors"
    /// TLS handshakes completed, and failed (a clear-text client counts as a failure).
    case tlsHandshakes = "tls_handshakes"
    case tlsHandshakeFailures = "tls_handshake_failures"
    /// TLS peers whose stream ended without close_notify (a truncation an attacker could cause).
    case tlsTruncations = "tls_truncations"
    /// Connection descriptors the server process holds, counted from outside the server's books.
    case descriptors
}
