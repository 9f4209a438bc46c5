// The system OpenSSL (libssl-dev), plus tiny wrappers for what Swift cannot call: the
// SSL_CTX_ctrl macros, ERR_GET_REASON, and an in-memory self-signed certificate.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/ec.h>

static inline long sockfuzz_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline void sockfuzz_ssl_ctx_set_read_ahead(SSL_CTX *ctx, int yes) { SSL_CTX_set_read_ahead(ctx, yes); }
static inline int sockfuzz_ssl_ctx_set_min_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
static inline int sockfuzz_ssl_ctx_set_max_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
static inline long sockfuzz_ssl_set_sni(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
/* SSL_free_buffers on a connection with a partial record buffered (WANT_READ after a record
   header) freed the buffer OpenSSL still reads from before 3.0.14, 3.1.6, 3.2.2 and 3.3.1
   (CVE-2024-4741); from those on it refuses. Only there is it called. */
static inline int sockfuzz_ssl_free_buffers_is_safe_in(unsigned long v) {
    if (v < 0x300000e0UL) return 0;
    if (v >= 0x30100000UL && v < 0x30100060UL) return 0;
    if (v >= 0x30200000UL && v < 0x30200020UL) return 0;
    if (v >= 0x30300000UL && v < 0x30300010UL) return 0;
    return 1;
}
static inline int sockfuzz_ssl_free_buffers_is_safe(void) { return sockfuzz_ssl_free_buffers_is_safe_in(OpenSSL_version_num()); }
static inline int sockfuzz_err_reason(unsigned long e) { return ERR_GET_REASON(e); }
static inline int sockfuzz_ssl_is_unexpected_eof(unsigned long e) { return ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING; }
static inline long sockfuzz_ssl_mode_partial_moving(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS;
}

/// An EC P-256 key and a self-signed certificate for it (CN=localhost, SAN localhost,
/// 127.0.0.1 and ::1, valid from now for a year). Returns 1 on success; the caller owns both.
static inline int sockfuzz_self_signed(EVP_PKEY **key_out, X509 **cert_out) {
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0
        || EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx, NID_X9_62_prime256v1) <= 0
        || EVP_PKEY_keygen(kctx, &key) <= 0) goto fail;
    cert = X509_new();
    if (!cert || !X509_set_version(cert, 2)) goto fail;
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    if (!san) goto fail;
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    if (!X509_sign(cert, key, EVP_sha256())) goto fail;
    EVP_PKEY_CTX_free(kctx);
    *key_out = key;
    *cert_out = cert;
    return 1;
fail:
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_free(key);
    X509_free(cert);
    return 0;
}

/// A memory BIO that returns 0 (end of stream) when empty instead of "retry": the socket's EOF.
static inline void sockfuzz_bio_set_mem_eof_return(BIO *bio, int value) { BIO_set_mem_eof_return(bio, value); }

/// How many bytes a memory BIO has allocated: it keeps the most it ever held at once, read or not.
static inline size_t sockfuzz_bio_mem_capacity(BIO *bio) {
    BUF_MEM *memory = NULL;
    BIO_get_mem_ptr(bio, &memory);
    return memory ? memory->max : 0;
}
