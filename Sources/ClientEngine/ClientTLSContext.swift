// The client's OpenSSL context for one set of TLS settings: versions, ALPN, verification, and
// the same I/O modes as the server (partial writes from a moving buffer: the staging queue;
// read-ahead: fewer recv calls, which is why the reader drains SSL_has_pending).

import COpenSSL
import TLSSupport
import Vocabulary

public final class ClientTLSContext: @unchecked Sendable {
    let context: OpaquePointer
    public let settings: ClientTLS

    /// `settings.verification`'s CA path must already be resolved (absolute or relative to the
    /// working directory).
    public init(_ settings: ClientTLS) throws(TLSSetupError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSSetupError("SSL_CTX_new failed") }
        self.context = context
        self.settings = settings
        let lowest = settings.version == .v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION
        let highest = settings.version == .v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION
        _ = sockfuzz_ssl_ctx_set_min_version(context, lowest)
        _ = sockfuzz_ssl_ctx_set_max_version(context, highest)
        _ = sockfuzz_ssl_ctx_set_mode(context, sockfuzz_ssl_mode_partial_moving())
        sockfuzz_ssl_ctx_set_read_ahead(context, 1)
        if !settings.alpn.isEmpty {
            var wire: [UInt8] = []
            for name in settings.alpn { wire.append(UInt8(name.utf8.count)); wire += Array(name.utf8) }
            // Returns 0 on success, unlike most of OpenSSL.
            guard SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) == 0 else {
                throw TLSSetupError("cannot offer ALPN \(settings.alpn.joined(separator: ","))")
            }
        }
        switch settings.verification {
        case .off:
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        case .system:
            guard SSL_CTX_set_default_verify_paths(context) == 1 else { throw TLSSetupError("cannot load the system's trusted certificates") }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        case .caFile(let path):
            guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else { throw TLSSetupError("cannot use the CA file \(path)") }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        }
    }

    deinit { SSL_CTX_free(context) }
}
