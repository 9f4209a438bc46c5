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
    /// Per descriptor, in the same order, its Transport (an established TLS session); nil when
    /// the connections are clear.
    public let transports: [Transport]?
}
