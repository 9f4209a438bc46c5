/* echo_ref.c - the reference echo server `sockfuzz bench` measures the embedded one against:
 * one thread, non-blocking sockets, level-triggered epoll or select, at most 64 KiB unsent per
 * connection. usage: echo_ref PORT [epoll|select]  (127.0.0.1; PORT 0 picks one; prints it). */
#define _GNU_SOURCE
#include "ref_server.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (64 * 1024) /* bytes per read, and the most a connection ever holds unsent */

/* Echoed bytes the socket did not take yet. A connection holding any is not read until they
 * are gone: that bounds it to one CHUNK, and it is also the half-close flush, since the
 * client's EOF is only read after every byte sent before it was echoed. */
struct conn {
    char *pending; /* CHUNK bytes, allocated the first time a write falls short */
    size_t start, len;
};

static struct conn *conns; /* indexed by descriptor */
static int conn_slots;
static char chunk[CHUNK];
static int use_select, ep = -1, listener, spare_fd = -1;
static fd_set want_read, want_write; /* select: each connection is in exactly one */
static int top_fd;
static unsigned long accepted, refused;

/* Registers (op EPOLL_CTL_ADD) or updates what fd waits for: writing while bytes are pending,
 * else reading. */
static void watch(int fd, int op) {
    int out = conns[fd].len > 0;
    if (use_select) {
        FD_CLR(fd, out ? &want_read : &want_write);
        FD_SET(fd, out ? &want_write : &want_read);
        if (fd > top_fd) top_fd = fd;
    } else {
        struct epoll_event ev = { .events = out ? EPOLLOUT : EPOLLIN, .data.fd = fd };
        epoll_ctl(ep, op, fd, &ev);
    }
}

static void close_conn(int fd) {
    if (use_select) {
        FD_CLR(fd, &want_read);
        FD_CLR(fd, &want_write);
    } /* epoll forgets a descriptor by itself when it is closed */
    free(conns[fd].pending);
    conns[fd] = (struct conn){ 0 };
    close(fd);
}

/* Keeps what write() did not take and waits for the socket to become writable. */
static void hold(int fd, const char *bytes, size_t n) {
    struct conn *c = &conns[fd];
    if (!c->pending && !(c->pending = malloc(CHUNK))) { close_conn(fd); return; }
    memcpy(c->pending, bytes, n);
    c->start = 0;
    c->len = n;
    watch(fd, EPOLL_CTL_MOD);
}

/* Reads and echoes until the socket is drained. A read shorter than CHUNK drained it as surely
 * as EAGAIN does, without the extra syscall; bytes arriving after it wake level-triggered epoll
 * and select again. At most 16 reads (1 MiB) per wake-up, as libuv does, so one fast sender
 * cannot starve the other connections: level-triggering brings it back for the rest. */
static void on_readable(int fd) {
    for (int reads = 0; reads < 16; reads++) {
        ssize_t n = read(fd, chunk, CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) { close_conn(fd); return; } /* EOF (nothing is pending here) or reset */
        ssize_t w = write(fd, chunk, n);
        if (w < 0 && errno != EAGAIN && errno != EINTR) { close_conn(fd); return; }
        if (w < 0) w = 0;
        if (w < n) { hold(fd, chunk + w, n - w); return; }
        if (n < CHUNK) return;
    }
}

static void on_writable(int fd) {
    struct conn *c = &conns[fd];
    ssize_t w = write(fd, c->pending + c->start, c->len);
    if (w < 0) {
        if (errno != EAGAIN && errno != EINTR) close_conn(fd);
        return;
    }
    c->start += w;
    c->len -= w;
    if (c->len == 0) watch(fd, EPOLL_CTL_MOD);
}

/* The connection's state, not the event bits, says which side it waits on: an error or hang-up
 * is then met by that read() or write(). */
static void on_event(int fd) {
    if (conns[fd].len > 0) on_writable(fd);
    else on_readable(fd);
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
        if (fd >= conn_slots || (use_select && fd >= FD_SETSIZE)) {
            close(fd);
            refused++;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        accepted++;
        watch(fd, EPOLL_CTL_ADD);
    }
}

static void run_epoll(void) {
    struct epoll_event events[512];
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    while (!stopping) {
        int n = epoll_pwait(ep, events, 512, -1, &wait_mask);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) accept_all();
            else on_event(fd);
        }
    }
}

static void run_select(void) {
    FD_SET(listener, &want_read);
    top_fd = listener;
    while (!stopping) {
        fd_set r = want_read, w = want_write;
        int n = pselect(top_fd + 1, &r, &w, NULL, NULL, &wait_mask);
        /* O(highest descriptor) per wake-up, on purpose: that is the select design. */
        for (int fd = 0; fd <= top_fd && n > 0; fd++) {
            if (!FD_ISSET(fd, &r) && !FD_ISSET(fd, &w)) continue;
            n--;
            if (fd == listener) accept_all();
            else on_event(fd);
        }
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 2 ? argv[2] : "epoll";
    use_select = strcmp(mode, "select") == 0;
    if (argc < 2 || argc > 3 || (!use_select && strcmp(mode, "epoll") != 0)) {
        fprintf(stderr, "usage: %s PORT [epoll|select]\n", argv[0]);
        return 2;
    }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    conn_slots = limit.rlim_cur < (1 << 20) ? (int)limit.rlim_cur : (1 << 20);
    conns = calloc(conn_slots, sizeof *conns);

    ref_catch_stop_signals();

    int port;
    listener = ref_listen_loopback(argv[1], "echo_ref", &port);
    if (listener < 0) return 1;
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    printf("echo_ref %s listening on 127.0.0.1:%d\n", mode, port);
    fflush(stdout);

    if (use_select) run_select();
    else run_epoll();
    fprintf(stderr, "echo_ref: accepted %lu, refused %lu\n", accepted, refused);
    return 0;
}
