// A client SSL_CTX made from ClientTLS, and SSL objects on connected non-blocking sockets. Every
// SSL gets a full handshake (no session resumption: each one costs what `openssl s_time -new`
// measures). Read-ahead is on (one recv per burst of records), so callers must drain
// SSL_has_pending: those bytes never show as socket readiness.

import COpenSSL
import Glibc

/// A TLS failure in OpenSSL's own words, e.g. "certificate verify failed (self-signed certificate)".
public struct TLSClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class TLSClientContext: @unchecked Sendable {
    public let settings: ClientTLS
    let context: OpaquePointer
    /// The ALPN list in its wire format (length-prefixed names).
    private let alpnWire: [UInt8]

    public init(_ settings: ClientTLS) throws(TLSClientError) {
        self.settings = settings
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSClientError("SSL_CTX_new failed: \(Self.queuedReasons())") }
        self.context = context
        let version: Int32? = settings.version.map { $0 == .tls12 ? TLS1_2_VERSION : TLS1_3_VERSION }
        _ = sockfuzz_ssl_ctx_set_min_version(context, version ?? TLS1_2_VERSION)
        if let version { _ = sockfuzz_ssl_ctx_set_max_version(context, version) }
        _ = sockfuzz_ssl_ctx_set_mode(context, sockfuzz_ssl_mode_partial_moving())
        sockfuzz_ssl_ctx_set_read_ahead(context, 1)
        switch settings.verification {
        case .off:
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        case .system:
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            _ = SSL_CTX_set_default_verify_paths(context)
        case .authorities(let file):
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
                let reasons = Self.queuedReasons()
                SSL_CTX_free(context)
                throw TLSClientError("cannot read the CA file \(file): \(reasons)")
            }
        }
        var wire: [UInt8] = []
        for name in settings.alpn {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                SSL_CTX_free(context)
                throw TLSClientError("ALPN protocol '\(name)' must be 1 to 255 bytes")
            }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        alpnWire = wire
        // Unlike most of OpenSSL, 0 is success here.
        if !wire.isEmpty && SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) != 0 {
            SSL_CTX_free(context)
            throw TLSClientError("cannot set ALPN \(settings.alpn.joined(separator: ","))")
        }
    }

    deinit { SSL_CTX_free(context) }

    /// A client SSL on `fd` (connected, non-blocking), ready for SSL_do_handshake. `host` is the
    /// target's host as the user wrote it: the name checked and sent unless the settings name
    /// another (an IP address is checked as one and sends no SNI).
    public func session(fd: Int32, host: String) throws(TLSClientError) -> OpaquePointer {
        guard let ssl = SSL_new(context) else { throw TLSClientError("SSL_new failed: \(Self.queuedReasons())") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw TLSClientError("SSL_set_fd failed: \(Self.queuedReasons())")
        }
        SSL_set_connect_state(ssl)
        let name = settings.serverName ?? host
        let isAddress = name.contains(":") || name.allSatisfy { $0.isNumber || $0 == "." }
        if !isAddress {
            // SSL_set_tlsext_host_name is a macro over SSL_ctrl.
            _ = name.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
        }
        if settings.verification != .off {
            let ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) : SSL_set1_host(ssl, name)
            if ok != 1 {
                SSL_free(ssl)
                throw TLSClientError("cannot check the certificate against '\(name)'")
            }
        }
        return ssl
    }

    /// Why a handshake step, SSL_read or SSL_write that returned `result` failed; nil when it
    /// only waits (WANT_READ / WANT_WRITE). Clears OpenSSL's error queue.
    public static func failure(_ ssl: OpaquePointer, _ result: Int32) -> String? {
        let savedErrno = errno
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return nil
        case SSL_ERROR_ZERO_RETURN:
            return "the server closed TLS (close_notify)"
        case SSL_ERROR_SYSCALL:
            let reasons = queuedReasons()
            if !reasons.isEmpty { return reasons }
            return savedErrno != 0 ? String(cString: strerror(savedErrno)) : "the server closed the connection (EOF without close_notify)"
        default:
            var reasons = queuedReasons()
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK, reasons.contains("certificate verify failed") {
                reasons += " (\(String(cString: X509_verify_cert_error_string(verify))))"
            }
            return reasons.isEmpty ? "SSL error \(code)" : reasons
        }
    }

    /// OpenSSL's queued reasons, e.g. "wrong version number", joined; the queue is emptied.
    static func queuedReasons() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            if let reason = ERR_reason_error_string(code) { reasons.append(String(cString: reason)) } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return reasons.joined(separator: "; ")
    }

    /// The negotiated version and ALPN protocol (nil when none) of a finished handshake. The
    /// version is never nil in practice: the context offers nothing older than 1.2.
    public static func negotiated(_ ssl: OpaquePointer) -> (version: ClientTLS.Version?, alpn: String?) {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        let alpn = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self) }
        let version: ClientTLS.Version? = switch SSL_version(ssl) {
        case TLS1_3_VERSION: .tls13
        case TLS1_2_VERSION: .tls12
        default: nil
        }
        return (version, alpn)
    }
}

extension ClientTLS.Version {
    /// As OpenSSL names it (`TLSv1.3`): how reports print it and the JSON record writes it.
    public var openSSLName: String { "TLSv\(rawValue)" }

    public init?(openSSLName: String) {
        guard openSSLName.hasPrefix("TLSv") else { return nil }
        self.init(rawValue: String(openSSLName.dropFirst(4)))
    }
}
