/* relay_sockmap.c - an experiment, not a yardstick: a TCP relay whose bytes never reach user
 * space. Each relayed pair's two sockets go into a BPF sockhash, each under the other's socket
 * cookie; an sk_skb verdict program (a dozen instructions, assembled by hand below: no clang or
 * libbpf here) redirects every segment a socket receives to its peer's send path, and counts
 * the bytes per socket. User space only accepts, connects and closes. It asks whether the
 * kernel's sockmap could give `sockfuzz proxy` a lead over relay_ref for pass-through (issue
 * 19's >= 1.0x in every cell), where user-space relays are at parity.
 *
 * Not a relay to use: a blocking connect per accepted client, 127.0.0.1 only, no half-close,
 * and bytes that arrive before the sockets join the map are passed on by hand once (a client
 * that pipelines before then could be reordered). Needs root (CAP_BPF and CAP_NET_ADMIN) and
 * a kernel with CONFIG_BPF_STREAM_PARSER and CONFIG_NET_SOCK_MSG.
 *
 *   cc -O2 -o relay_sockmap relay_sockmap.c
 *   ./relay_sockmap LISTEN_PORT UPSTREAM_PORT
 *
 * What it found is in docs/benchmarks.md ("Bypassing user space: a sockmap relay").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stddef.h>

static long bpf(int cmd, union bpf_attr *a) { return syscall(SYS_bpf, cmd, a, sizeof *a); }

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int map_create(int type, int key, int val, int max) {
    union bpf_attr a; memset(&a, 0, sizeof a);
    a.map_type = type; a.key_size = key; a.value_size = val; a.max_entries = max;
    return bpf(BPF_MAP_CREATE, &a);
}
static int map_update(int fd, void *k, void *v) {
    union bpf_attr a; memset(&a, 0, sizeof a);
    a.map_fd = fd; a.key = (uint64_t)k; a.value = (uint64_t)v; a.flags = BPF_ANY;
    return bpf(BPF_MAP_UPDATE_ELEM, &a);
}
static int sockhash, counters;
static int peer_of[65536];

int main(int argc, char **argv) {
    int lport = atoi(argv[1]), uport = atoi(argv[2]);
    sockhash = map_create(BPF_MAP_TYPE_SOCKHASH, 8, 4, 65536);
    counters = map_create(BPF_MAP_TYPE_HASH, 8, 8, 65536);
    if (sockhash < 0 || counters < 0) { perror("map"); return 1; }
    struct bpf_insn prog[] = {
        INSN(BPF_ALU64|BPF_MOV|BPF_X, 6, 1, 0, 0),            /* r6 = skb */
        INSN(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_get_socket_cookie),
        INSN(BPF_STX|BPF_MEM|BPF_DW, 10, 0, -8, 0),           /* *(r10-8) = cookie */
        INSN(BPF_ALU64|BPF_MOV|BPF_X, 1, 6, 0, 0),
        INSN(BPF_LD|BPF_DW|BPF_IMM, 2, BPF_PSEUDO_MAP_FD, 0, sockhash), INSN(0,0,0,0,0),
        INSN(BPF_ALU64|BPF_MOV|BPF_X, 3, 10, 0, 0),
        INSN(BPF_ALU64|BPF_ADD|BPF_K, 3, 0, 0, -8),
        INSN(BPF_ALU64|BPF_MOV|BPF_K, 4, 0, 0, 0),
        INSN(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_sk_redirect_hash),
        INSN(BPF_JMP|BPF_JNE|BPF_K, 0, 0, 2, 0),              /* redirected: count */
        INSN(BPF_ALU64|BPF_MOV|BPF_K, 0, 0, 0, 1),            /* no peer: SK_PASS to self */
        INSN(BPF_JMP|BPF_EXIT, 0, 0, 0, 0),
        INSN(BPF_LD|BPF_DW|BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, counters), INSN(0,0,0,0,0),
        INSN(BPF_ALU64|BPF_MOV|BPF_X, 2, 10, 0, 0),
        INSN(BPF_ALU64|BPF_ADD|BPF_K, 2, 0, 0, -8),
        INSN(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
        INSN(BPF_JMP|BPF_JEQ|BPF_K, 0, 0, 2, 0),
        INSN(BPF_LDX|BPF_MEM|BPF_W, 1, 6, 0, offsetof(struct __sk_buff, len)),
        INSN(BPF_STX|BPF_ATOMIC|BPF_DW, 0, 1, 0, BPF_ADD),
        INSN(BPF_ALU64|BPF_MOV|BPF_K, 0, 0, 0, 1),
        INSN(BPF_JMP|BPF_EXIT, 0, 0, 0, 0),
    };
    static char log[65536];
    union bpf_attr a; memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SK_SKB; a.insns = (uint64_t)prog; a.insn_cnt = sizeof prog / sizeof prog[0];
    a.license = (uint64_t)"GPL"; a.log_buf = (uint64_t)log; a.log_size = sizeof log; a.log_level = 1;
    int pfd = bpf(BPF_PROG_LOAD, &a);
    if (pfd < 0) { perror("prog load"); fprintf(stderr, "%s\n", log); return 1; }
    memset(&a, 0, sizeof a);
    a.target_fd = sockhash; a.attach_bpf_fd = pfd; a.attach_type = BPF_SK_SKB_VERDICT;
    if (bpf(BPF_PROG_ATTACH, &a) < 0) { perror("attach"); return 1; }

    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(lport), .sin_addr.s_addr = htonl(0x7f000001) };
    if (bind(l, (void *)&sa, sizeof sa) || listen(l, 4096)) { perror("listen"); return 1; }
    printf("listening %d\n", lport); fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                int c = accept(l, NULL, NULL);
                int u = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in ua = { .sin_family = AF_INET, .sin_port = htons(uport), .sin_addr.s_addr = htonl(0x7f000001) };
                if (connect(u, (void *)&ua, sizeof ua)) { perror("connect"); close(c); close(u); continue; }
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                uint64_t cc, uc; socklen_t len = 8;
                getsockopt(c, SOL_SOCKET, SO_COOKIE, &cc, &len);
                getsockopt(u, SOL_SOCKET, SO_COOKIE, &uc, &len);
                uint64_t zero = 0;
                map_update(counters, &cc, &zero); map_update(counters, &uc, &zero);
                uint32_t ufd = u, cfd = c;
                if (map_update(sockhash, &cc, &ufd) || map_update(sockhash, &uc, &cfd)) { perror("sockhash"); }
                peer_of[c] = u; peer_of[u] = c;
                /* Bytes that arrived before the sockets joined the map sit in the receive queue:
                 * pass them on by hand (later ones are redirected by the verdict program). */
                for (int fd2 = c, n2 = 0; n2 < 2; n2++, fd2 = u) {
                    char early[65536];
                    ssize_t r;
                    while ((r = recv(fd2, early, sizeof early, MSG_DONTWAIT)) > 0) send(peer_of[fd2], early, r, 0);
                }
                ev.events = EPOLLRDHUP; ev.data.fd = c; epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                ev.data.fd = u; epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
            } else {
                char buf[4096];
                ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r > 0) { fprintf(stderr, "user-space data %zd on %d (!)\n", r, fd); send(peer_of[fd], buf, r, 0); continue; }
                if (r < 0 && errno == EAGAIN) continue;
                int p = peer_of[fd];
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); epoll_ctl(ep, EPOLL_CTL_DEL, p, NULL);
                close(fd); close(p);
            }
        }
    }
}
