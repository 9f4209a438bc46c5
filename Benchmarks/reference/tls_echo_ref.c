/* tls_echo_ref.c - the reference TLS echo server `sockfuzz bench` measures the embedded TLS
 * server against: one thread, non-blocking sockets, level-triggered epoll, OpenSSL with
 * read-ahead and partial writes (as the embedded server), TLS 1.2/1.3, an EC P-256 self-signed
 * certificate made in memory (or PEM files). At most 64 KiB unsent per connection.
 * usage: tls_echo_ref PORT [CERT.pem KEY.pem]  (127.0.0.1; PORT 0 picks one; prints it).
 * build: cc -O2 -o tls_echo_ref tls_echo_ref.c -lssl -lcrypto */
#define _GNU_SOURCE
#include "ref_server.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define CHUNK (64 * 1024)

/* Echoed plaintext OpenSSL did not take yet. A connection holding any is not read until they
 * are gone (bounded to one CHUNK); a blocked SSL_write is retried from the same bytes. */
struct conn {
    SSL *ssl;
    int handshaking;
    char *pending;
    size_t start, len;
};

static struct conn *conns; /* indexed by descriptor */
static int conn_slots, ep, listener;
static char chunk[CHUNK];
static SSL_CTX *ctx;
static unsigned long accepted, handshakes, failures;

static void set_interest(int fd, uint32_t events) {
    struct epoll_event ev = { .events = events, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void close_conn(int fd, int orderly) {
    struct conn *c = &conns[fd];
    if (orderly) SSL_shutdown(c->ssl);
    ERR_clear_error();
    SSL_free(c->ssl);
    free(c->pending);
    memset(c, 0, sizeof *c);
    close(fd);
}

/* Interest for an SSL call that returned `r`: 1 if it only waits, 0 if the connection failed. */
static int wait_for(int fd, int r) {
    switch (SSL_get_error(conns[fd].ssl, r)) {
    case SSL_ERROR_WANT_READ: set_interest(fd, EPOLLIN); return 1;
    case SSL_ERROR_WANT_WRITE: set_interest(fd, EPOLLOUT); return 1;
    default: return 0;
    }
}

/* Writes `len` bytes at `data`; keeps the rest. 0 if the connection failed. */
static int echo(int fd, const char *data, size_t len) {
    struct conn *c = &conns[fd];
    size_t off = 0;
    while (off < len) {
        int k = SSL_write(c->ssl, data + off, (int)(len - off));
        if (k <= 0) {
            if (!wait_for(fd, k)) return 0;
            if (!c->pending && !(c->pending = malloc(CHUNK))) return 0;
            memmove(c->pending, data + off, len - off);
            c->start = 0;
            c->len = len - off;
            return 1;
        }
        off += (size_t)k;
    }
    return 1;
}

static void on_event(int fd) {
    struct conn *c = &conns[fd];
    if (c->handshaking) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            if (!wait_for(fd, r)) { failures++; close_conn(fd, 0); }
            return;
        }
        c->handshaking = 0;
        handshakes++;
        set_interest(fd, EPOLLIN);
    }
    if (c->len) {
        size_t len = c->len;
        c->len = 0;
        if (!echo(fd, c->pending + c->start, len)) { close_conn(fd, 0); return; }
        if (c->len) return;
        set_interest(fd, EPOLLIN);
    }
    /* One read per event, unless OpenSSL holds more than the socket shows (read-ahead). */
    do {
        int n = SSL_read(c->ssl, chunk, CHUNK);
        if (n <= 0) {
            if (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN) close_conn(fd, 1);
            else if (!wait_for(fd, n)) close_conn(fd, 0);
            return;
        }
        if (!echo(fd, chunk, (size_t)n)) { close_conn(fd, 0); return; }
    } while (!c->len && SSL_has_pending(c->ssl));
}

static void accept_all(void) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        SSL *ssl = fd < conn_slots ? SSL_new(ctx) : NULL;
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        if (!ssl || SSL_set_fd(ssl, fd) != 1 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            SSL_free(ssl);
            close(fd);
            continue;
        }
        /* As echo_ref and the embedded server: without it Nagle holds an echo back behind an
         * unacknowledged one, which coalesces small records and delays a lone one ~40 ms. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        accepted++;
        SSL_set_accept_state(ssl);
        conns[fd] = (struct conn){ .ssl = ssl, .handshaking = 1 };
    }
}

/* An EC P-256 key and a self-signed certificate for localhost, as the embedded server makes. */
static int use_self_signed(void) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    if (!key || !cert) return 0;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    int ok = X509_sign(cert, key, EVP_sha256()) && SSL_CTX_use_certificate(ctx, cert) == 1
             && SSL_CTX_use_PrivateKey(ctx, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: %s PORT [CERT.pem KEY.pem]\n", argv[0]);
        return 2;
    }
    ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    int identity = argc == 4 ? SSL_CTX_use_certificate_chain_file(ctx, argv[2]) == 1
                               && SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) == 1
                             : use_self_signed();
    if (!identity) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    conn_slots = limit.rlim_cur < (1 << 20) ? (int)limit.rlim_cur : (1 << 20);
    conns = calloc(conn_slots, sizeof *conns);

    ref_catch_stop_signals();

    int port;
    listener = ref_listen_loopback(argv[1], "tls_echo_ref", &port);
    if (listener < 0) return 1;
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
    printf("tls_echo_ref listening on 127.0.0.1:%d\n", port);
    fflush(stdout);

    struct epoll_event events[256];
    while (!stopping) {
        int n = epoll_pwait(ep, events, 256, -1, &wait_mask);
        for (int i = 0; i < n; i++) {
            if (events[i].data.fd == listener) accept_all();
            else on_event(events[i].data.fd);
        }
    }
    fprintf(stderr, "tls_echo_ref: accepted %lu, handshakes %lu, failed %lu\n", accepted, handshakes, failures);
    return 0;
}
