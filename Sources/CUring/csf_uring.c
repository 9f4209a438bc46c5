#include "csf_uring.h"

#include <errno.h>
#include <poll.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

// The one buffer group the server receives into.
#define CSF_BGID 7

struct csf_uring {
    struct io_uring ring;
    struct io_uring_buf_ring *buf_ring;
    unsigned buffers;
    unsigned buffer_size;
    unsigned char *memory;
};

csf_uring *csf_uring_create(unsigned entries, unsigned buffers, unsigned buffer_size, int *error) {
    csf_uring *u = calloc(1, sizeof *u);
    if (!u) { *error = -ENOMEM; return NULL; }
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    // One thread makes, submits to and reaps the ring (the loop's): completions' work then runs
    // only when the loop asks for completions, not by interrupting it (DEFER_TASKRUN).
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int rc = io_uring_queue_init_params(entries, &u->ring, &params);
    if (rc < 0) {
        // Older kernels lack the flags: take a plain ring rather than none.
        memset(&params, 0, sizeof params);
        rc = io_uring_queue_init_params(entries, &u->ring, &params);
    }
    if (rc < 0) { free(u); *error = rc; return NULL; }
    size_t ring_bytes = buffers * sizeof(struct io_uring_buf);
    void *ring_mem = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (ring_mem == MAP_FAILED) { io_uring_queue_exit(&u->ring); free(u); *error = -errno; return NULL; }
    u->buf_ring = ring_mem;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (unsigned long)ring_mem;
    reg.ring_entries = buffers;
    reg.bgid = CSF_BGID;
    rc = io_uring_register_buf_ring(&u->ring, &reg, 0);
    if (rc < 0) { munmap(ring_mem, ring_bytes); io_uring_queue_exit(&u->ring); free(u); *error = rc; return NULL; }
    u->memory = malloc((size_t)buffers * buffer_size);
    if (!u->memory) { munmap(ring_mem, ring_bytes); io_uring_queue_exit(&u->ring); free(u); *error = -ENOMEM; return NULL; }
    u->buffers = buffers;
    u->buffer_size = buffer_size;
    io_uring_buf_ring_init(u->buf_ring);
    for (unsigned i = 0; i < buffers; i++) {
        io_uring_buf_ring_add(u->buf_ring, u->memory + (size_t)i * buffer_size, buffer_size, i,
                              io_uring_buf_ring_mask(buffers), i);
    }
    io_uring_buf_ring_advance(u->buf_ring, buffers);
    return u;
}

int csf_uring_probe(void) {
    int error = 0;
    csf_uring *u = csf_uring_create(8, 8, 64, &error);
    if (!u) return error;
    csf_uring_destroy(u);
    return 0;
}

void csf_uring_destroy(csf_uring *u) {
    if (!u) return;
    io_uring_queue_exit(&u->ring);
    munmap(u->buf_ring, u->buffers * sizeof(struct io_uring_buf));
    free(u->memory);
    free(u);
}

static struct io_uring_sqe *sqe_for(csf_uring *u) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) {
        io_uring_submit(&u->ring);
        sqe = io_uring_get_sqe(&u->ring);
    }
    return sqe;
}

int csf_uring_accept(csf_uring *u, int fd, uint64_t user_data) {
    struct io_uring_sqe *sqe = sqe_for(u);
    if (!sqe) return -EBUSY;
    io_uring_prep_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int csf_uring_poll_readable(csf_uring *u, int fd, uint64_t user_data) {
    struct io_uring_sqe *sqe = sqe_for(u);
    if (!sqe) return -EBUSY;
    io_uring_prep_poll_add(sqe, fd, POLLIN);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int csf_uring_recv(csf_uring *u, int fd, uint64_t user_data) {
    struct io_uring_sqe *sqe = sqe_for(u);
    if (!sqe) return -EBUSY;
    io_uring_prep_recv(sqe, fd, NULL, u->buffer_size, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = CSF_BGID;
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int csf_uring_send(csf_uring *u, int fd, const void *buf, unsigned len, uint64_t user_data) {
    struct io_uring_sqe *sqe = sqe_for(u);
    if (!sqe) return -EBUSY;
    io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int csf_uring_read(csf_uring *u, int fd, void *buf, unsigned len, uint64_t user_data) {
    struct io_uring_sqe *sqe = sqe_for(u);
    if (!sqe) return -EBUSY;
    io_uring_prep_read(sqe, fd, buf, len, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int csf_uring_cancel(csf_uring *u, uint64_t target, uint64_t user_data) {
    struct io_uring_sqe *sqe = sqe_for(u);
    if (!sqe) return -EBUSY;
    io_uring_prep_cancel64(sqe, target, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    return 0;
}

int csf_uring_timeout(csf_uring *u, uint64_t nanos, uint64_t user_data) {
    static __thread struct __kernel_timespec ts;  // read by the kernel at submission
    struct io_uring_sqe *sqe = sqe_for(u);
    if (!sqe) return -EBUSY;
    ts.tv_sec = (long long)(nanos / 1000000000ull);
    ts.tv_nsec = (long long)(nanos % 1000000000ull);
    io_uring_prep_timeout(sqe, &ts, 0, 0);
    io_uring_sqe_set_data64(sqe, user_data);
    io_uring_submit(&u->ring);
    return 0;
}

int csf_uring_submit_and_wait(csf_uring *u, unsigned wait_nr) {
    int rc;
    do { rc = io_uring_submit_and_wait(&u->ring, wait_nr); } while (rc == -EINTR);
    return rc;
}

unsigned csf_uring_reap(csf_uring *u, csf_cqe *out, unsigned max) {
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe) {
        if (n == max) break;
        out[n].user_data = cqe->user_data;
        out[n].res = cqe->res;
        out[n].flags = cqe->flags;
        n++;
    }
    io_uring_cq_advance(&u->ring, n);
    return n;
}

void *csf_uring_buffer(csf_uring *u, unsigned bid) { return u->memory + (size_t)bid * u->buffer_size; }

void csf_uring_recycle(csf_uring *u, unsigned bid) {
    io_uring_buf_ring_add(u->buf_ring, csf_uring_buffer(u, bid), u->buffer_size, bid, io_uring_buf_ring_mask(u->buffers), 0);
    io_uring_buf_ring_advance(u->buf_ring, 1);
}

int csf_uring_cqe_has_buffer(uint32_t flags) { return (flags & IORING_CQE_F_BUFFER) != 0; }
unsigned csf_uring_cqe_buffer_id(uint32_t flags) { return flags >> IORING_CQE_BUFFER_SHIFT; }
