// One client connection's TLS state beside its ClientConnection: the SSL object (made once TCP
// is up; it reads the socket itself and writes into a memory BIO the engine sends from), what
// its last read and write wait for, and how the handshake and the stream ended.

import COpenSSL
import Reactor
import TLSClient

final class TLSClientSession {
    let context: TLSClientContext
    /// The target's host as written (else its address): the name sent and checked unless the settings name another.
    let host: String
    var ssl: OpaquePointer?
    /// Where OpenSSL writes its records (owned by `ssl`): the engine sends them, so the records
    /// of several sends leave in one write, as a real client's do (and as servers must handle).
    var output: OpaquePointer?
    /// Records taken from `output` that the socket has not taken yet.
    var backlog = ByteQueue()
    var handshakeDone = false
    /// Why the handshake (or a later record) failed, in OpenSSL's words.
    var failure: String?
    /// The readiness the last SSL_read (or handshake step) waits for. Writes go to memory, so
    /// OpenSSL never waits to write; a full socket shows as a `backlog` instead.
    var readWaitsFor = IOEvents.readable
    /// The readiness the last SSL_write waits for: readable when OpenSSL must receive first.
    var writeWaitsFor = IOEvents.writable
    var sentCloseNotify = false
    var peerCloseNotify = false
    /// The peer closed TCP without close_notify: the end of the data cannot be told from a cut.
    var truncated = false
    var version: ClientTLS.Version?
    var alpn: String?

    init(context: TLSClientContext, host: String) {
        self.context = context
        self.host = host
    }

    /// What the records' way out (`output` and `backlog`) may keep allocated while it is empty.
    static let idleOutputLimit = 4096

    /// Everything went out: the backlog's storage is freed, and so is a memory BIO that grew
    /// past `idleOutputLimit` (it keeps the most it ever held, e.g. 256 KiB of records after a
    /// large send), replaced by a fresh one. An idle connection then holds no output buffer.
    func outputDrained() {
        backlog.release()
        guard let ssl, let output, sockfuzz_bio_mem_capacity(output) > Self.idleOutputLimit,
              let fresh = BIO_new(BIO_s_mem()) else { return }
        SSL_set0_wbio(ssl, fresh) // frees the drained one
        self.output = fresh
    }

    /// Bytes the records' way out holds allocated.
    var outputCapacity: Int { backlog.capacity + (output.map { Int(sockfuzz_bio_mem_capacity($0)) } ?? 0) }

    func free() {
        if let ssl { SSL_free(ssl) }
        ssl = nil
        output = nil
        backlog.release()
    }

    deinit { free() }

    var view: TLSConnectionView {
        TLSConnectionView(handshakeDone: handshakeDone, failure: failure, version: version, alpn: alpn,
                          peerCloseNotify: peerCloseNotify, truncated: truncated, sentCloseNotify: sentCloseNotify)
    }
}

/// What checks see of a connection's TLS.
public struct TLSConnectionView: Sendable, Equatable {
    public let handshakeDone: Bool
    /// Why the handshake failed (nil while it runs or once it succeeded).
    public let failure: String?
    public let version: ClientTLS.Version?
    /// The protocol the server picked by ALPN, nil for none.
    public let alpn: String?
    public let peerCloseNotify: Bool
    public let truncated: Bool
    public let sentCloseNotify: Bool
}
