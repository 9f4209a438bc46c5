// The server's OpenSSL context: TLS 1.2 and 1.3 (no client renegotiation), partial writes from a moving buffer (the echo
// queue), read-ahead (fewer recv calls, and why SSL_pending matters), and a certificate from PEM
// files or self-signed in memory once per process (key generation is not paid per server).

import COpenSSL
import Synchronization
import Vocabulary

/// An OpenSSL failure at set-up, with OpenSSL's own reasons.
public struct TLSSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ what: String) {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        description = reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))"
    }
}

/// An SSL_CTX for accepting connections; SSL objects made from it outlive nothing of it but
/// the context itself, which this class frees last.
final class TLSServerContext: @unchecked Sendable {
    let context: OpaquePointer

    init(_ settings: ServerTLS) throws(TLSSetupError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSSetupError("SSL_CTX_new failed") }
        self.context = context
        _ = sockfuzz_ssl_ctx_set_min_version(context, TLS1_2_VERSION)
        _ = sockfuzz_ssl_ctx_set_mode(context, sockfuzz_ssl_mode_partial_moving())
        sockfuzz_ssl_ctx_set_read_ahead(context, 1)
        // Client-initiated renegotiation stays refused (OpenSSL 3's default, as in nginx): with a
        // record of ours blocked in OpenSSL's write buffer, the new handshake's writes fail
        // ("bad length", found by the back-pressure test). TLS 1.3 key updates are served.
        if let certificate = settings.certificatePath, let key = settings.keyPath {
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw TLSSetupError("cannot use the certificate \(certificate)")
            }
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSSetupError("cannot use the key \(key)")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSSetupError("the key \(key) does not match the certificate \(certificate)")
            }
        } else {
            let identity = try SelfSignedIdentity.shared()
            guard SSL_CTX_use_certificate(context, identity.certificate) == 1,
                  SSL_CTX_use_PrivateKey(context, identity.key) == 1 else {
                throw TLSSetupError("cannot use the self-signed certificate")
            }
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// One EC P-256 key and its self-signed certificate (CN=localhost), made on first use and kept
/// for the life of the process; SSL_CTX_use_* take their own references.
final class SelfSignedIdentity: @unchecked Sendable {
    let key: OpaquePointer
    let certificate: OpaquePointer

    private init(key: OpaquePointer, certificate: OpaquePointer) {
        self.key = key
        self.certificate = certificate
    }

    private static let cache = Mutex<SelfSignedIdentity?>(nil)

    static func shared() throws(TLSSetupError) -> SelfSignedIdentity {
        let made = cache.withLock { cached -> SelfSignedIdentity? in
            if let cached { return cached }
            var key: OpaquePointer?
            var certificate: OpaquePointer?
            guard sockfuzz_self_signed(&key, &certificate) == 1, let key, let certificate else { return nil }
            cached = SelfSignedIdentity(key: key, certificate: certificate)
            return cached
        }
        guard let made else { throw TLSSetupError("cannot generate a self-signed certificate") }
        return made
    }
}
