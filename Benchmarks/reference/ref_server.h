/* ref_server.h - what the reference servers (echo_ref.c, tls_echo_ref.c, relay_ref.c) share:
 * stopping on SIGINT or SIGTERM without a race, and a non-blocking listener on 127.0.0.1.
 * Header-only (static functions), so each reference stays one `cc -O2 NAME.c` away. */
#ifndef REF_SERVER_H
#define REF_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static sigset_t wait_mask; /* the signal mask while waiting: SIGINT and SIGTERM let through */
static volatile sig_atomic_t stopping;

static void on_stop(int sig) { (void)sig; stopping = 1; }

/* SIGPIPE ignored; SIGINT and SIGTERM blocked except inside the wait (epoll_pwait or pselect
 * with wait_mask), so a stop request cannot land between the check of `stopping` and a wait
 * with no timeout. */
static void ref_catch_stop_signals(void) {
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    struct sigaction stop = { .sa_handler = on_stop };
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGTERM, &stop, NULL);
}

/* A non-blocking listener on 127.0.0.1:port (0 picks one), backlog 4096; its port in *bound.
 * -1 after printing why, as `name: bind/listen: ...`. */
static int ref_listen_loopback(const char *port, const char *name, int *bound) {
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    socklen_t length = sizeof address;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 4096) != 0
        || getsockname(fd, (struct sockaddr *)&address, &length) != 0) {
        fprintf(stderr, "%s: bind/listen: ", name);
        perror(NULL);
        return -1;
    }
    *bound = ntohs(address.sin_port);
    return fd;
}

#endif
