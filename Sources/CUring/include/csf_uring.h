// A small C face on liburing for the io_uring echo server: the ring, a ring of provided receive
// buffers, the few operations the server submits, and completions copied out as plain structs
// (liburing's inline helpers and unions are C's business, not Swift's).
#ifndef CSF_URING_H
#define CSF_URING_H

#include <stdint.h>

typedef struct csf_uring csf_uring;

typedef struct {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
} csf_cqe;

/// A ring of `entries` submissions and `buffers` provided receive buffers of `buffer_size`
/// bytes each (a power of two count). NULL on failure, with -errno in *error.
csf_uring *csf_uring_create(unsigned entries, unsigned buffers, unsigned buffer_size, int *error);
void csf_uring_destroy(csf_uring *u);
/// Whether this process may use io_uring with provided buffer rings: 0, or -errno.
int csf_uring_probe(void);

/// Each queues one submission (submitting first when the queue is full); 0 or -errno.
/// One accept (non-blocking, close-on-exec descriptors).
int csf_uring_accept(csf_uring *u, int fd, uint64_t user_data);
/// Completes once `fd` is readable.
int csf_uring_poll_readable(csf_uring *u, int fd, uint64_t user_data);
/// One receive into a provided buffer.
int csf_uring_recv(csf_uring *u, int fd, uint64_t user_data);
int csf_uring_send(csf_uring *u, int fd, const void *buf, unsigned len, uint64_t user_data);
int csf_uring_read(csf_uring *u, int fd, void *buf, unsigned len, uint64_t user_data);
int csf_uring_cancel(csf_uring *u, uint64_t target, uint64_t user_data);
int csf_uring_timeout(csf_uring *u, uint64_t nanos, uint64_t user_data);

/// Submits what is queued and waits for at least `wait_nr` completions; >= 0 or -errno.
int csf_uring_submit_and_wait(csf_uring *u, unsigned wait_nr);
/// Copies up to `max` completions out and marks them seen; returns how many.
unsigned csf_uring_reap(csf_uring *u, csf_cqe *out, unsigned max);

/// A provided buffer, by the id a receive completion names.
void *csf_uring_buffer(csf_uring *u, unsigned bid);
/// Gives a provided buffer back to the kernel.
void csf_uring_recycle(csf_uring *u, unsigned bid);

int csf_uring_cqe_has_buffer(uint32_t flags);
unsigned csf_uring_cqe_buffer_id(uint32_t flags);

#endif
