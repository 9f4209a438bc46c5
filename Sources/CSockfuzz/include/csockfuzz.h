// C shim: what Glibc does not import into Swift on this toolchain (epoll, eventfd, accept4,
// the FD_* macros, SO_LINGER, posix_spawn closefrom) as plain functions. Nothing here keeps state.
#ifndef CSOCKFUZZ_H
#define CSOCKFUZZ_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <sys/time.h>

// epoll(7). Event bits are re-exported as constants so Swift never hard-codes them.
extern const uint32_t csf_EPOLLIN, csf_EPOLLOUT, csf_EPOLLERR, csf_EPOLLHUP, csf_EPOLLRDHUP, csf_EPOLLET;

typedef struct {
    uint32_t events;
    uint64_t data;
} csf_epoll_event;

int csf_epoll_create(void);
int csf_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int csf_epoll_ctl_add(void);
int csf_epoll_ctl_mod(void);
int csf_epoll_ctl_del(void);
// Waits and copies at most `max` events into `out` (our packed layout, not the kernel's).
int csf_epoll_wait(int epfd, csf_epoll_event *out, int max, int timeout_ms);

// eventfd(2): the loop's cross-thread wake-up.
int csf_eventfd(void);

// posix_spawn: close every descriptor from `lowest` up in the child (glibc's
// posix_spawn_file_actions_addclosefrom_np, a GNU extension Swift does not see).
#include <spawn.h>
int csf_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC.
int csf_accept_nonblocking(int fd);

// fd_set helpers. Callers must keep fd < FD_SETSIZE: the macros write past the set otherwise.
int csf_fd_setsize(void);
void csf_fd_zero(fd_set *set);
void csf_fd_set(int fd, fd_set *set);
void csf_fd_clr(int fd, fd_set *set);
int csf_fd_isset(int fd, const fd_set *set);
int csf_select(int nfds, fd_set *r, fd_set *w, int timeout_ms);

// Socket options used by the client and server.
int csf_set_linger_zero(int fd);
int csf_set_nodelay(int fd);
int csf_set_rcvbuf(int fd, int bytes);
int csf_set_reuseaddr(int fd);
int csf_get_so_error(int fd);
int csf_set_nonblocking(int fd);

// Flags and error numbers that differ by libc or are macros.
extern const int csf_MSG_NOSIGNAL, csf_MSG_DONTWAIT, csf_SHUT_WR, csf_SOCK_STREAM;

// sched_setaffinity(2) / sched_getaffinity(2) for the benchmark harness: pin thread or process
// `tid` (0: the calling thread) to one CPU; read the first 64 CPUs of its mask (0 on error).
int csf_pin_to_cpu(int tid, int cpu);
uint64_t csf_affinity_mask(int tid);

// malloc_trim(3): hands the heap's free memory back to the kernel (malloc.h is not in Glibc's
// Swift module), so an RSS reading counts what is held, not what was once allocated.
int csf_malloc_trim(void);

#endif
