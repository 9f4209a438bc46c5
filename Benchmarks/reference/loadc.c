/* loadc.c - the reference load client `sockfuzz bench` measures its own against: one thread,
 * level-triggered epoll, closed loop; always 127.0.0.1. Echoes are counted; with -V every
 * message is also made from a keyed pattern and every echoed byte compared with it, the work
 * sockfuzz's load client does (the same pattern: a hash of connection and sequence number per
 * message, then one multiply-add per 8-byte word), so that the two are compared doing the same.
 *   loadc -p PORT -c CONNS -d DEPTH -s SIZE -t SECS [-w WARMUP_SECS] [-V]   prints one ECHO line
 *   loadc -p PORT -C COUNT [-q IN_FLIGHT] [-H HOLD_SECS]               prints one CONNECT line */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_BYTES (64 * 1024)
#define MAX_EVENTS 1024
#define MAX_SECONDS 120.0 /* every phase ends by itself within this */

static struct sockaddr_in server;
static int ep;
static char out_buf[IO_BYTES], in_buf[IO_BYTES];

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void set_events(int fd, uint32_t events, uint32_t index, int op) {
    struct epoll_event ev = { .events = events, .data.u32 = index };
    epoll_ctl(ep, op, fd, &ev);
}

/* A non-blocking connect under way. Closing resets (SO_LINGER 0): thousands of connections
 * leave no TIME_WAIT behind, and the server sees the close at once. */
static int start_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static int connect_succeeded(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
}

/* Round-trip times, log-linear: 64 buckets per power of two of nanoseconds (error < 1.6%). */
#define BUCKETS (59 * 64) /* up to 2^64 ns */
static uint64_t histogram[BUCKETS], recorded;

static int bucket_of(uint64_t ns) {
    if (ns < 128) return (int)ns;
    int e = 63 - __builtin_clzll(ns); /* ns is in [2^e, 2^(e+1)) */
    return (e - 5) * 64 + (int)((ns >> (e - 6)) - 64);
}

static double bucket_micros(int b) {
    if (b < 128) return b / 1000.0;
    int e = b / 64 + 5;
    uint64_t low = (uint64_t)(b % 64 + 64) << (e - 6), width = (uint64_t)1 << (e - 6);
    return (low + width / 2) / 1000.0;
}

static double percentile_micros(double p) {
    uint64_t rank = (uint64_t)(p * recorded + 0.999999), seen = 0;
    if (rank == 0) rank = 1;
    for (int b = 0; b < BUCKETS; b++)
        if ((seen += histogram[b]) >= rank) return bucket_micros(b);
    return 0;
}

/* Echo mode: each connection keeps `depth` messages of `size` bytes in flight. Echoed bytes
 * complete messages in stream order; each completion is timed and the message sent again. */
struct flow {
    int fd;
    uint64_t send_seq, recv_seq; /* -V: the message the next byte written / read belongs to */
    size_t send_off;             /* -V: offset of the next byte written in message send_seq */
    uint64_t *sent_at; /* ring of `depth` send times; `oldest` is the next to complete */
    int oldest;
    size_t owed;     /* bytes due but not yet written */
    size_t received; /* echoed bytes of the oldest message so far */
    int wants_out;
};

static struct flow *flows;
static int conns = 1, depth = 1, size = 64, verify = 0;
static unsigned long errors, mismatches;

/* -V: the keyed pattern (as sockfuzz's MessagePattern.swift makes it). */
static inline uint64_t message_key(uint64_t conn, uint64_t seq) {
    uint64_t z = (seq * 0x9E3779B97F4A7C15u) ^ (conn * 0xD6E8FEB86659FD93u);
    z = (z ^ (z >> 31)) * 0x94D049BB133111EBu;
    return z ^ (z >> 29);
}

static inline uint64_t pattern_word(uint64_t key, uint64_t word) { return key + (word + 1) * 0xBF58476D1CE4E5B9u; }

static inline uint8_t pattern_byte(uint64_t key, size_t offset) {
    return (uint8_t)(pattern_word(key, offset >> 3) >> ((offset & 7) * 8));
}

/* Bytes [from, from + count) of message `seq` of connection `conn` into out. */
static void write_pattern(uint64_t conn, uint64_t seq, size_t from, size_t count, uint8_t *out) {
    uint64_t key = message_key(conn, seq);
    size_t i = 0;
    for (; i < count && ((from + i) & 7) != 0; i++) out[i] = pattern_byte(key, from + i);
    for (; i + 8 <= count; i += 8) {
        uint64_t word = pattern_word(key, (from + i) >> 3); /* little-endian, as on x86 and arm64 Linux */
        memcpy(out + i, &word, 8);
    }
    for (; i < count; i++) out[i] = pattern_byte(key, from + i);
}

/* Whether bytes hold [from, from + count) of message `seq`: compared word by word as computed. */
static int matches_pattern(uint64_t conn, uint64_t seq, size_t from, size_t count, const uint8_t *bytes) {
    uint64_t key = message_key(conn, seq), differs = 0;
    size_t i = 0;
    for (; i < count && ((from + i) & 7) != 0; i++) differs |= bytes[i] ^ pattern_byte(key, from + i);
    for (; i + 8 <= count; i += 8) {
        uint64_t got;
        memcpy(&got, bytes + i, 8);
        differs |= got ^ pattern_word(key, (from + i) >> 3);
    }
    for (; i < count; i++) differs |= bytes[i] ^ pattern_byte(key, from + i);
    return differs == 0;
}

/* -V: fills out_buf with the next `count` bytes this flow sends (without advancing). */
static void fill_pattern(struct flow *f, uint32_t index, size_t count) {
    uint64_t seq = f->send_seq;
    size_t off = f->send_off, at = 0;
    while (at < count) {
        size_t chunk = (size_t)size - off < count - at ? (size_t)size - off : count - at;
        write_pattern(index, seq, off, chunk, (uint8_t *)out_buf + at);
        at += chunk;
        off += chunk;
        if (off == (size_t)size) { off = 0; seq++; }
    }
}

static void drop(struct flow *f) {
    close(f->fd);
    f->fd = -1;
    errors++;
}

static void write_owed(struct flow *f, uint32_t index) {
    while (f->owed > 0) {
        size_t count = f->owed < IO_BYTES ? f->owed : IO_BYTES;
        if (verify) fill_pattern(f, index, count);
        ssize_t w = write(f->fd, out_buf, count);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        if (w < 0) { drop(f); return; }
        f->owed -= w;
        if (verify) {
            f->send_off += (size_t)w;
            f->send_seq += f->send_off / size;
            f->send_off %= size;
        }
    }
    int wants_out = f->owed > 0;
    if (wants_out != f->wants_out) set_events(f->fd, wants_out ? EPOLLIN | EPOLLOUT : EPOLLIN, index, EPOLL_CTL_MOD);
    f->wants_out = wants_out;
}

/* Reads once (level-triggered epoll comes back for the rest); returns messages completed. */
static uint64_t read_echoes(struct flow *f, uint32_t index, uint64_t now, int measuring, uint64_t *bytes) {
    ssize_t n = read(f->fd, in_buf, IO_BYTES);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) { drop(f); return 0; }
    uint64_t completed = 0;
    *bytes += n;
    if (verify) {
        /* Every echoed byte against the message it belongs to, in stream order. */
        size_t at = 0, off = f->received;
        uint64_t seq = f->recv_seq;
        while (at < (size_t)n) {
            size_t chunk = (size_t)size - off < (size_t)n - at ? (size_t)size - off : (size_t)n - at;
            if (!matches_pattern(index, seq, off, chunk, (const uint8_t *)in_buf + at)) {
                mismatches++;
                drop(f);
                return 0;
            }
            at += chunk;
            off += chunk;
            if (off == (size_t)size) { off = 0; seq++; }
        }
        f->recv_seq = seq;
    }
    for (f->received += n; f->received >= (size_t)size; f->received -= size) {
        if (measuring) {
            histogram[bucket_of(now - f->sent_at[f->oldest])]++;
            recorded++;
        }
        f->sent_at[f->oldest] = now;
        f->oldest = (f->oldest + 1) % depth;
        f->owed += size;
        completed++;
    }
    if (completed) write_owed(f, index);
    return completed;
}

/* Opens every connection at once; all must connect within 10 s. */
static int connect_flows(void) {
    struct epoll_event events[MAX_EVENTS];
    for (int i = 0; i < conns; i++) {
        flows[i].fd = start_connect();
        flows[i].sent_at = calloc(depth, sizeof(uint64_t));
        if (flows[i].fd < 0 || !flows[i].sent_at) { perror("loadc: connect"); return -1; }
        set_events(flows[i].fd, EPOLLOUT, i, EPOLL_CTL_ADD);
    }
    uint64_t deadline = now_ns() + 10000000000u;
    for (int waiting = conns; waiting > 0;) {
        if (now_ns() >= deadline) { fprintf(stderr, "loadc: %d connections still connecting after 10 s\n", waiting); return -1; }
        int n = epoll_wait(ep, events, MAX_EVENTS, 100);
        for (int i = 0; i < n; i++) {
            uint32_t k = events[i].data.u32;
            if (!connect_succeeded(flows[k].fd)) { fprintf(stderr, "loadc: connection %u failed\n", k); return -1; }
            set_events(flows[k].fd, EPOLLIN, k, EPOLL_CTL_MOD);
            waiting--;
        }
    }
    return 0;
}

static int echo_mode(double seconds, double warmup) {
    struct epoll_event events[MAX_EVENTS];
    flows = calloc(conns, sizeof *flows);
    if (!flows || connect_flows() != 0) return 1;
    uint64_t start = now_ns(), measure_from = start + (uint64_t)(warmup * 1e9);
    uint64_t end = measure_from + (uint64_t)(seconds * 1e9), messages = 0, bytes = 0;
    for (int i = 0; i < conns; i++) {
        for (int k = 0; k < depth; k++) flows[i].sent_at[k] = start;
        flows[i].owed = (size_t)size * depth;
        write_owed(&flows[i], i);
    }
    int measuring = warmup <= 0;
    for (uint64_t now = start; now < end; now = now_ns()) {
        if (!measuring && now >= measure_from) {
            measuring = 1;
            measure_from = now;
            messages = bytes = 0;
        }
        uint64_t left_ms = (end - now) / 1000000 + 1;
        int n = epoll_wait(ep, events, MAX_EVENTS, left_ms < 100 ? (int)left_ms : 100);
        now = now_ns();
        for (int i = 0; i < n; i++) {
            uint32_t k = events[i].data.u32;
            struct flow *f = &flows[k];
            if (f->fd >= 0 && (events[i].events & EPOLLOUT)) write_owed(f, k);
            if (f->fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                messages += read_echoes(f, k, now, measuring, &bytes);
        }
    }
    double secs = (now_ns() - measure_from) / 1e9;
    printf("ECHO conns=%d depth=%d size=%d secs=%.2f msgs/s=%.0f MB/s=%.2f p50_us=%.1f p99_us=%.1f p999_us=%.1f errs=%lu "
           "verified=%d mismatches=%lu\n",
           conns, depth, size, secs, messages / secs, bytes / secs / 1e6, percentile_micros(0.5),
           percentile_micros(0.99), percentile_micros(0.999), errors, verify, mismatches);
    return 0;
}

/* Connect mode: `count` connections, at most `in_flight` of them connecting or awaiting the echo
 * of their one byte; the rest stay open (idle) until the end. */
enum { CONNECTING, AWAITING_ECHO, ECHOED, FAILED };

static int connect_mode(int count, int in_flight, double hold) {
    struct epoll_event events[MAX_EVENTS];
    int *fds = calloc(count, sizeof(int)), started = 0, busy = 0, connected = 0, echoed = 0, failed = 0;
    char *state = calloc(count, 1);
    if (!fds || !state) return 1;
    uint64_t start = now_ns(), last_connect = start, last_echo = start;
    uint64_t deadline = start + (uint64_t)(60 * 1e9);
    while (echoed + failed < count && now_ns() < deadline) {
        for (; started < count && busy < in_flight; started++) {
            fds[started] = start_connect();
            if (fds[started] < 0) { state[started] = FAILED; failed++; continue; }
            set_events(fds[started], EPOLLOUT, started, EPOLL_CTL_ADD);
            busy++;
        }
        int n = epoll_wait(ep, events, MAX_EVENTS, 100);
        for (int i = 0; i < n; i++) {
            uint32_t k = events[i].data.u32;
            int fd = fds[k], ok;
            if (state[k] == CONNECTING) {
                ok = connect_succeeded(fd) && write(fd, "x", 1) == 1;
                if (ok) {
                    state[k] = AWAITING_ECHO;
                    connected++;
                    last_connect = now_ns();
                    set_events(fd, EPOLLIN, k, EPOLL_CTL_MOD);
                }
            } else {
                ssize_t r = read(fd, in_buf, 1);
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                ok = r == 1;
                if (ok) {
                    state[k] = ECHOED;
                    echoed++;
                    last_echo = now_ns();
                    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                    busy--;
                }
            }
            if (!ok) {
                state[k] = FAILED;
                failed++;
                busy--;
                close(fd);
            }
        }
    }
    double t_connect = (last_connect - start) / 1e9, t_echo = (last_echo - start) / 1e9;
    printf("CONNECT N=%d inflight=%d connected=%d echoed=%d failed=%d t_connect=%.3fs t_echo=%.3fs "
           "connects/s=%.0f echoed_conns/s=%.0f\n",
           count, in_flight, connected, echoed, failed, t_connect, t_echo,
           t_connect > 0 ? connected / t_connect : 0, t_echo > 0 ? echoed / t_echo : 0);
    fflush(stdout);
    if (hold > 0) {
        struct timespec pause = { .tv_sec = (time_t)hold, .tv_nsec = (long)((hold - (time_t)hold) * 1e9) };
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {}
    }
    for (int i = 0; i < started; i++)
        if (state[i] != FAILED) close(fds[i]);
    return 0;
}

static double capped(double seconds) { return seconds > MAX_SECONDS ? MAX_SECONDS : seconds; }

int main(int argc, char **argv) {
    int port = 0, connect_count = 0, in_flight = 100, option;
    double seconds = 5, warmup = 1, hold = 0;
    while ((option = getopt(argc, argv, "p:c:d:s:t:w:C:q:H:V")) != -1) {
        switch (option) {
        case 'p': port = atoi(optarg); break;
        case 'c': conns = atoi(optarg); break;
        case 'd': depth = atoi(optarg); break;
        case 's': size = atoi(optarg); break;
        case 't': seconds = capped(atof(optarg)); break;
        case 'w': warmup = capped(atof(optarg)); break;
        case 'C': connect_count = atoi(optarg); break;
        case 'q': in_flight = atoi(optarg); break;
        case 'H': hold = capped(atof(optarg)); break;
        case 'V': verify = 1; break;
        default: return 2;
        }
    }
    if (port <= 0 || port > 65535 || conns < 1 || depth < 1 || size < 1 || !(seconds > 0) || warmup < 0
        || connect_count < 0 || in_flight < 1) {
        fprintf(stderr, "usage: %s -p PORT -c CONNS -d DEPTH -s SIZE -t SECS [-w WARMUP] [-V]\n"
                        "       %s -p PORT -C COUNT [-q IN_FLIGHT] [-H HOLD_SECS]\n", argv[0], argv[0]);
        return 2;
    }
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    memset(out_buf, 'x', sizeof out_buf);
    ep = epoll_create1(EPOLL_CLOEXEC);
    return connect_count > 0 ? connect_mode(connect_count, in_flight, hold) : echo_mode(seconds, warmup);
}
