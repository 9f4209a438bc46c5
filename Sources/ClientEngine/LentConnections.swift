// Connections the engine lends to another loop (a `load` run), from `lend` until `reclaim`:
// their descriptors and, for TLS ones, their SSL objects. Ownership stays with the engine.

import TLSClient

/// What a borrower gets from `ClientEngine.lend`. The engine keeps owning every descriptor and
/// SSL object: the borrower reads and writes through them and must not close or free any. Until
/// `reclaim` a TLS connection's SSL writes straight to its socket (not through the engine's
/// memory buffer); `reclaim` puts the engine's buffer back, or ends the connection as failed
/// (the caller fails those the borrower left with a message half-written: over TLS, a record
/// half-sent inside OpenSSL, which the engine's next write could not continue).
public struct LentConnections {
    public let fds: [Int32]
    /// Per descriptor, in the same order, how it moves bytes: `.clear`, or its established TLS
    /// session (a lend never mixes the two).
    public let transports: [Transport]

    /// Whether the connections speak TLS: a record half-sent inside OpenSSL cannot be continued
    /// by the engine, so the caller fails the connections the borrower left mid-message.
    public var isTLS: Bool { transports.first?.ssl != nil }
}
