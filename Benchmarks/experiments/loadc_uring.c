/* loadc_uring.c - an experiment, not a yardstick: loadc's echo mode (no -V) on io_uring, to
 * learn whether a completion-based load client would beat loadc's epoll loop before building
 * one into sockfuzz (`load --engine uring`, which issue 18 left to measurement).
 *
 * Each connection keeps one receive armed (one-shot, re-armed per completion) into a ring of
 * provided buffers; a completed receive counts the messages it finishes and queues one send of
 * that many new ones (MSG_WAITALL, so a short send is finished by the kernel, and its completion
 * skipped when it succeeds) and the next receive; everything queued goes to the kernel in the
 * one io_uring_enter that also waits for the next completions. One thread, 127.0.0.1 only, at
 * most BUFFERS connections, bounded in time (a silent server ends it at the deadline).
 *
 *   cc -O2 -o loadc_uring loadc_uring.c -luring
 *   ./loadc_uring -p PORT -c CONNS -d DEPTH -s SIZE -t SECONDS [-F]   (-F: registered descriptors)
 *
 * What it found is in docs/benchmarks.md ("A completion-based load client?").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_GROUP 1
#define BUFFERS 4096
#define BUFFER_BYTES 4096
#define SEND_FLAG (1ull << 62)

static struct io_uring ring;
static struct io_uring_buf_ring *buffers;
static unsigned char *buffer_memory;
static char out_buf[64 * 1024];
static int *fds, registered;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static struct io_uring_sqe *next_sqe(void) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    if (!sqe) {
        fprintf(stderr, "loadc_uring: no submission entry free after a submit\n");
        exit(1);
    }
    return sqe;
}

static void arm_receive(int i) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_recv(sqe, registered ? i : fds[i], NULL, BUFFER_BYTES, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT | (registered ? IOSQE_FIXED_FILE : 0);
    sqe->buf_group = BUFFER_GROUP;
    io_uring_sqe_set_data64(sqe, (uint64_t)i);
}

static void queue_send(int i, size_t bytes) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_send(sqe, registered ? i : fds[i], out_buf, bytes, MSG_NOSIGNAL | MSG_WAITALL);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS | (registered ? IOSQE_FIXED_FILE : 0);
    io_uring_sqe_set_data64(sqe, (uint64_t)i | SEND_FLAG);
}

static int setup_buffers(void) {
    buffers = mmap(NULL, BUFFERS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    buffer_memory = malloc((size_t)BUFFERS * BUFFER_BYTES);
    if (buffers == MAP_FAILED || !buffer_memory) return -1;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (unsigned long)buffers;
    reg.ring_entries = BUFFERS;
    reg.bgid = BUFFER_GROUP;
    if (io_uring_register_buf_ring(&ring, &reg, 0) < 0) return -1;
    io_uring_buf_ring_init(buffers);
    for (int b = 0; b < BUFFERS; b++)
        io_uring_buf_ring_add(buffers, buffer_memory + (size_t)b * BUFFER_BYTES, BUFFER_BYTES, b, io_uring_buf_ring_mask(BUFFERS), b);
    io_uring_buf_ring_advance(buffers, BUFFERS);
    return 0;
}

int main(int argc, char **argv) {
    int port = 0, conns = 1, depth = 1, size = 64, opt;
    double seconds = 3;
    while ((opt = getopt(argc, argv, "p:c:d:s:t:F")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'c': conns = atoi(optarg); break;
        case 'd': depth = atoi(optarg); break;
        case 's': size = atoi(optarg); break;
        case 't': seconds = atof(optarg); break;
        case 'F': registered = 1; break;
        default: fprintf(stderr, "usage: loadc_uring -p PORT [-c CONNS] [-d DEPTH] [-s SIZE] [-t SECONDS] [-F]\n"); return 2;
        }
    }
    if (port <= 0 || conns < 1 || conns > BUFFERS || depth < 1 || size < 1 || (size_t)size * depth > sizeof out_buf || seconds <= 0 || seconds > 120) {
        fprintf(stderr, "loadc_uring: bad arguments\n");
        return 2;
    }
    struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    fds = calloc(conns, sizeof *fds);
    size_t *received = calloc(conns, sizeof *received);
    if (!fds || !received) return 1;
    for (int i = 0; i < conns; i++) {
        int one = 1;
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 || setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0
            || connect(fds[i], (struct sockaddr *)&server, sizeof server) != 0) { perror("loadc_uring: connect"); return 1; }
    }
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(4096, &ring, &params) < 0) { perror("loadc_uring: io_uring"); return 1; }
    if (registered && io_uring_register_files(&ring, fds, conns) < 0) { perror("loadc_uring: register files"); return 1; }
    if (setup_buffers() != 0) { perror("loadc_uring: provided buffers"); return 1; }
    memset(out_buf, 'x', sizeof out_buf);

    for (int i = 0; i < conns; i++) {
        queue_send(i, (size_t)size * depth);
        arm_receive(i);
    }
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9), messages = 0, enters = 0;
    for (uint64_t now = start; now < end; now = now_ns()) {
        struct __kernel_timespec left = { .tv_sec = (long long)((end - now) / 1000000000u),
                                          .tv_nsec = (long long)((end - now) % 1000000000u) };
        struct io_uring_cqe *first;
        int rc = io_uring_submit_and_wait_timeout(&ring, &first, 1, &left, NULL);
        enters++;
        if (rc < 0 && rc != -ETIME && rc != -EINTR) {
            fprintf(stderr, "loadc_uring: io_uring_enter: %s\n", strerror(-rc));
            return 1;
        }
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            if (cqe->user_data & SEND_FLAG) {
                fprintf(stderr, "loadc_uring: send failed: %s\n", strerror(-cqe->res));
                return 1;
            }
            int i = (int)cqe->user_data;
            if (cqe->res <= 0) {
                fprintf(stderr, "loadc_uring: connection %d: %s\n", i, cqe->res == 0 ? "closed by the server" : strerror(-cqe->res));
                return 1;
            }
            unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
            received[i] += (size_t)cqe->res;
            size_t completed = received[i] / size;
            received[i] %= size;
            messages += completed;
            io_uring_buf_ring_add(buffers, buffer_memory + (size_t)id * BUFFER_BYTES, BUFFER_BYTES, id, io_uring_buf_ring_mask(BUFFERS), 0);
            io_uring_buf_ring_advance(buffers, 1);
            if (completed) queue_send(i, completed * size);
            arm_receive(i);
        }
        io_uring_cq_advance(&ring, seen);
    }
    double secs = (now_ns() - start) / 1e9;
    printf("URING conns=%d depth=%d size=%d secs=%.2f msgs/s=%.0f enters/s=%.0f registered=%d\n", conns, depth, size, secs,
           messages / secs, enters / secs, registered);
    return 0;
}
