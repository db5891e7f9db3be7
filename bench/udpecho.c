/* weir bench: a UDP echo origin. One process, one thread, one socket per
 * port given on the command line (127.0.0.1 only); every datagram goes
 * back to its sender unchanged, read and written in batches of 64 with
 * recvmmsg()/sendmmsg() so the origin is never the bottleneck. It exits
 * on SIGTERM/SIGINT, on its stdin closing (so a dead driver never leaves
 * it behind), or after the time limit given with -t (seconds). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH     64
#define MAXPORTS  8
#define DGRAM     2048

static volatile sig_atomic_t  stop;

static void on_signal(int signo);
static int open_port(int port);
static void echo_batch(int fd);
static double now(void);


static unsigned char       bufs[BATCH][DGRAM];
static struct iovec        iov[BATCH];
static struct mmsghdr      msgs[BATCH];
static struct sockaddr_in  peers[BATCH];
static const char         *bind_addr = "127.0.0.1";


int
main(int argc, char **argv)
{
    int            i, n, nfds, opt;
    double         deadline;
    struct pollfd  pfd[MAXPORTS + 1];

    deadline = now() + 3600;
    while ((opt = getopt(argc, argv, "t:a:")) != -1) {
        if (opt == 't') {
            deadline = now() + atof(optarg);
        } else if (opt == 'a') {
            /* the DSR benchmark binds the VIP (the manual's first UDP
             * option), or 0.0.0.0 behind the UDP proxy */
            bind_addr = optarg;
        } else {
            fprintf(stderr, "usage: udpecho [-t seconds] [-a addr] "
                    "port...\n");
            return 2;
        }
    }
    if (optind >= argc || argc - optind > MAXPORTS) {
        fprintf(stderr, "usage: udpecho [-t seconds] port... (1..%d)\n",
                MAXPORTS);
        return 2;
    }

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    nfds = 0;
    for (i = optind; i < argc; i++) {
        pfd[nfds].fd = open_port(atoi(argv[i]));
        if (pfd[nfds].fd == -1) {
            return 1;
        }
        pfd[nfds].events = POLLIN;
        nfds++;
    }
    pfd[nfds].fd = 0;
    pfd[nfds].events = POLLIN;

    printf("ready\n");
    fflush(stdout);

    while (!stop && now() < deadline) {
        n = poll(pfd, nfds + 1, 1000);
        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }
            perror("poll() failed");
            return 1;
        }
        if (pfd[nfds].revents) {
            break;                          /* stdin closed: driver gone */
        }
        for (i = 0; i < nfds; i++) {
            if (pfd[i].revents & POLLIN) {
                echo_batch(pfd[i].fd);
            }
        }
    }

    return 0;
}


static void
on_signal(int signo)
{
    (void) signo;
    stop = 1;
}


static int
open_port(int port)
{
    int                 fd, size;
    struct sockaddr_in  sin;

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd == -1) {
        perror("socket() failed");
        return -1;
    }
    size = 4 << 20;
    (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    if (inet_pton(AF_INET, bind_addr, &sin.sin_addr) != 1
        || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) == -1)
    {
        fprintf(stderr, "bind() to %s:%d failed: %s\n", bind_addr, port,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}


/* Read up to BATCH datagrams and send each back to where it came from;
 * repeat while the socket has more (bounded, so other ports get a turn). */
static void
echo_batch(int fd)
{
    int  i, n, r, sent, rounds;

    for (rounds = 0; rounds < 16; rounds++) {
        for (i = 0; i < BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = DGRAM;
            memset(&msgs[i].msg_hdr, 0, sizeof(struct msghdr));
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &peers[i];
            msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
        }
        n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n == -1) {
            if (errno != EAGAIN && errno != EINTR) {
                perror("recvmmsg() failed");
            }
            return;
        }
        for (i = 0; i < n; i++) {
            iov[i].iov_len = msgs[i].msg_len;
        }
        for (sent = 0; sent < n; sent += r) {
            r = sendmmsg(fd, msgs + sent, n - sent, MSG_DONTWAIT);
            if (r == -1) {
                if (errno == EINTR) {
                    r = 0;
                    continue;
                }
                if (errno != EAGAIN) {
                    perror("sendmmsg() failed");
                }
                break;
            }
        }
        if (n < BATCH) {
            return;
        }
    }
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
