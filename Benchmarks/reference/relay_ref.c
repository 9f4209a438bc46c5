/* relay_ref.c - the reference TCP relay `sockfuzz bench` measures `sockfuzz proxy` against: one
 * thread, non-blocking sockets, level-triggered epoll. Each accepted connection gets its own
 * non-blocking connect to the upstream; bytes move both ways through a fixed buffer, at most
 * 64 KiB unsent per direction; a half-close is passed on with shutdown(SHUT_WR); both sockets
 * close when both directions have ended, or at once on an error or reset.
 * usage: relay_ref LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT  (listens on 127.0.0.1; LISTEN_PORT 0
 * picks one; prints it). */
#define _GNU_SOURCE
#include "ref_server.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (64 * 1024) /* bytes per read, and the most one direction ever holds unsent */

/* One socket of a relayed pair, indexed by descriptor. `pending` holds bytes read from the peer
 * that this socket did not take yet; while it holds any, the peer is not read (backpressure),
 * which bounds a direction to one CHUNK. */
struct side {
    int open, peer;
    int connecting;  /* the upstream side until its connect completes */
    int got_eof;     /* read() returned 0: the peer is to be shut for writing once drained */
    int shut;        /* shutdown(SHUT_WR) done on this socket */
    uint32_t events; /* what epoll watches now; 0: not registered */
    char *pending;   /* CHUNK bytes, allocated the first time a write falls short */
    size_t start, len;
};

static struct side *sides;
static int slots;
static char chunk[CHUNK];
static int ep = -1, listener, spare_fd = -1;
static struct sockaddr_storage upstream;
static socklen_t upstream_len;
static unsigned long accepted, refused, failed_connects;

/* What fd waits for, from the pair's state: its connect; writing while it holds pending bytes;
 * reading while its peer can take more (connected, nothing pending) and no EOF came yet. An fd
 * with nothing to wait for is taken out of epoll, so a hang-up it cannot act on (epoll reports
 * EPOLLHUP whatever it was asked) does not wake the loop again and again. */
static void watch(int fd) {
    struct side *s = &sides[fd], *p = &sides[s->peer];
    uint32_t want = 0;
    if (s->connecting || s->len > 0) want |= EPOLLOUT;
    if (!s->connecting && !s->got_eof && !p->connecting && p->len == 0) want |= EPOLLIN;
    if (want == s->events) return;
    struct epoll_event ev = { .events = want, .data.fd = fd };
    epoll_ctl(ep, !s->events ? EPOLL_CTL_ADD : want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, &ev);
    s->events = want;
}

static void close_side(int fd) {
    free(sides[fd].pending);
    sides[fd] = (struct side){ 0 };
    close(fd); /* epoll forgets a descriptor by itself when it is closed */
}

static void close_pair(int fd) {
    int peer = sides[fd].peer;
    close_side(fd);
    close_side(peer);
}

/* A direction has ended once its source sent EOF and its destination was shut after the last
 * byte; the pair is closed when both have. */
static void close_if_done(int fd) {
    struct side *s = &sides[fd], *p = &sides[s->peer];
    if (s->got_eof && p->shut && p->got_eof && s->shut) close_pair(fd);
}

/* Passes the EOF read from fd's peer on, once fd holds nothing unsent. */
static int pass_half_close(int fd) {
    struct side *s = &sides[fd];
    if (!sides[s->peer].got_eof || s->len > 0 || s->shut) return 0;
    s->shut = 1;
    return shutdown(fd, SHUT_WR) != 0 && errno != ENOTCONN ? -1 : 0;
}

/* Keeps what write() did not take; fd is then watched for writing and its peer not read. */
static int hold(int fd, const char *bytes, size_t n) {
    struct side *s = &sides[fd];
    if (!s->pending && !(s->pending = malloc(CHUNK))) return -1;
    memcpy(s->pending, bytes, n);
    s->start = 0;
    s->len = n;
    return 0;
}

/* Reads from fd and writes to its peer until fd is drained, the peer falls behind, or fd
 * sent EOF. A read shorter than CHUNK drained it as surely as EAGAIN does; at most 16 reads
 * (1 MiB) per wake-up so one fast sender cannot starve the others (as echo_ref). -1: error. */
static int relay_from(int fd) {
    int to = sides[fd].peer;
    for (int reads = 0; reads < 16; reads++) {
        ssize_t n = read(fd, chunk, CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 0;
        if (n < 0) return -1; /* reset, or another error */
        if (n == 0) {
            sides[fd].got_eof = 1;
            return pass_half_close(to);
        }
        ssize_t w = write(to, chunk, n);
        if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
        if (w < 0) w = 0;
        if (w < n) return hold(to, chunk + w, n - w);
        if (n < CHUNK) return 0;
    }
    return 0;
}

/* Writes fd's pending bytes; once they are gone, passes a waiting half-close on. */
static int flush(int fd) {
    struct side *s = &sides[fd];
    ssize_t w = write(fd, s->pending + s->start, s->len);
    if (w < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    s->start += w;
    s->len -= w;
    return s->len == 0 ? pass_half_close(fd) : 0;
}

static void on_event(int fd, uint32_t events) {
    struct side *s = &sides[fd];
    if (!s->open) return; /* closed earlier in this batch of events */
    int peer = s->peer, failed = 0;
    if (s->connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
            failed_connects++;
            close_pair(fd);
            return;
        }
        s->connecting = 0;
    } else {
        /* An error or hang-up wakes both directions: the read() or write() then meets it. */
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && s->len > 0) failed = flush(fd);
        if (!failed && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && (s->events & EPOLLIN)) failed = relay_from(fd);
    }
    if (failed) { close_pair(fd); return; }
    watch(fd);
    watch(peer);
    close_if_done(fd);
}

/* A fresh pair: the accepted client and a non-blocking connect to the upstream. The client is
 * not read until that connect completes. */
static void start_pair(int client) {
    int up = socket(upstream.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (up < 0 || up >= slots) {
        if (up >= 0) close(up);
        close(client);
        refused++;
        return;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(up, (struct sockaddr *)&upstream, upstream_len) != 0 && errno != EINPROGRESS) {
        failed_connects++;
        close(up);
        close(client);
        return;
    }
    sides[client] = (struct side){ .open = 1, .peer = up };
    sides[up] = (struct side){ .open = 1, .peer = client, .connecting = 1 };
    accepted++;
    watch(up);
}

static void accept_all(void) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED)) continue;
        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
            /* Out of descriptors: the waiting connection would keep the level-triggered
             * listener readable forever. Give up the spare to take it and close it. */
            close(spare_fd);
            fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) close(fd);
            refused++;
            spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
        }
        if (fd < 0) return; /* EAGAIN: the backlog is empty */
        if (fd >= slots) {
            close(fd);
            refused++;
            continue;
        }
        start_pair(fd);
    }
}

static int resolve(const char *host, const char *port) {
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *found;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0) {
        fprintf(stderr, "relay_ref: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    memcpy(&upstream, found->ai_addr, found->ai_addrlen);
    upstream_len = found->ai_addrlen;
    freeaddrinfo(found);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT\n", argv[0]);
        return 2;
    }
    if (resolve(argv[2], argv[3]) != 0) return 2;
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    slots = limit.rlim_cur < (1 << 20) ? (int)limit.rlim_cur : (1 << 20);
    sides = calloc(slots, sizeof *sides);

    ref_catch_stop_signals();

    int port;
    listener = ref_listen_loopback(argv[1], "relay_ref", &port);
    if (listener < 0) return 1;
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    printf("relay_ref listening on 127.0.0.1:%d, forwarding to %s:%s\n", port, argv[2], argv[3]);
    fflush(stdout);

    struct epoll_event events[512];
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    while (!stopping) {
        int n = epoll_pwait(ep, events, 512, -1, &wait_mask);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) accept_all();
            else on_event(fd, events[i].events);
        }
    }
    fprintf(stderr, "relay_ref: accepted %lu, refused %lu, upstream connects failed %lu\n", accepted, refused,
            failed_connects);
    return 0;
}
