// C shim implementation: thin pass-throughs, no state, no policy.
#define _GNU_SOURCE
#include <malloc.h>
#include "csockfuzz.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

const uint32_t csf_EPOLLIN = EPOLLIN, csf_EPOLLOUT = EPOLLOUT, csf_EPOLLERR = EPOLLERR,
               csf_EPOLLHUP = EPOLLHUP, csf_EPOLLRDHUP = EPOLLRDHUP, csf_EPOLLET = EPOLLET;
const int csf_MSG_NOSIGNAL = MSG_NOSIGNAL, csf_MSG_DONTWAIT = MSG_DONTWAIT, csf_SHUT_WR = SHUT_WR,
          csf_SOCK_STREAM = SOCK_STREAM;

int csf_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
int csf_epoll_ctl_add(void) { return EPOLL_CTL_ADD; }
int csf_epoll_ctl_mod(void) { return EPOLL_CTL_MOD; }
int csf_epoll_ctl_del(void) { return EPOLL_CTL_DEL; }

int csf_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int csf_epoll_wait(int epfd, csf_epoll_event *out, int max, int timeout_ms) {
    // The kernel's struct is packed on x86_64; copy into our plain layout in batches.
    struct epoll_event kev[1024];
    if (max > 1024) max = 1024;
    int n = epoll_wait(epfd, kev, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        out[i].events = kev[i].events;
        out[i].data = kev[i].data.u64;
    }
    return n;
}

int csf_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int csf_accept_nonblocking(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int csf_fd_setsize(void) { return FD_SETSIZE; }
void csf_fd_zero(fd_set *set) { FD_ZERO(set); }
void csf_fd_set(int fd, fd_set *set) { FD_SET(fd, set); }
void csf_fd_clr(int fd, fd_set *set) { FD_CLR(fd, set); }
int csf_fd_isset(int fd, const fd_set *set) { return FD_ISSET(fd, set) ? 1 : 0; }

int csf_select(int nfds, fd_set *r, fd_set *w, int timeout_ms) {
    struct timeval tv, *tvp = NULL;
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    return select(nfds, r, w, NULL, tvp);
}

int csf_set_linger_zero(int fd) {
    struct linger l = { .l_onoff = 1, .l_linger = 0 };
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}
int csf_set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
int csf_set_rcvbuf(int fd, int bytes) {
    return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}
int csf_set_reuseaddr(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}
int csf_get_so_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -1;
    return err;
}
int csf_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int csf_pin_to_cpu(int tid, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof set, &set);
}
uint64_t csf_affinity_mask(int tid) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(tid, sizeof set, &set) < 0) return 0;
    uint64_t mask = 0;
    for (int i = 0; i < 64; i++) if (CPU_ISSET(i, &set)) mask |= 1ull << i;
    return mask;
}

int csf_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int csf_malloc_trim(void) { return malloc_trim(0); }
