/* weir bench: a closed-loop UDP request/reply load generator.
 *
 *   udpload -p port [-a addr] [-s sockets] [-w window] [-d seconds]
 *           [-n max] [-z size] [-T timeout_ms]
 *
 * Opens `sockets` UDP sockets connected to addr:port (default 127.0.0.1;
 * another address for the DSR benchmark in namespaces; each one is a
 * distinct client address to the proxy) and keeps `window` requests in
 * flight on each: a reply sends the next request at once. A request not
 * answered within timeout_ms counts as lost and is replaced. Every
 * request carries a unique sequence number, so a late or duplicated
 * reply is told apart from a fresh one. Stops after `seconds` or after
 * `max` requests, whichever comes first, then waits one timeout for
 * stragglers. Prints one line:
 *
 *   sent=N received=N lost=N late=N seconds=S pps=R loss_pct=P
 *
 * pps counts answered requests per second of the sending period. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXSOCKS   1024
#define MAXWINDOW  64
#define MAXSIZE    1400

typedef struct {
    uint64_t  seq;
    double    sent;                 /* 0: slot free */
} slot_t;

typedef struct {
    int       fd;
    uint32_t  next;                 /* per-socket sequence */
    slot_t    slots[MAXWINDOW];
} client_t;

static double now(void);
static int send_one(client_t *c, int idx, int slot, double t);


static client_t       clients[MAXSOCKS];
static struct pollfd  pfds[MAXSOCKS];
static int            size = 64;
static uint64_t       nsent, nrecv, nlost, nlate, limit = 100000000;


int
main(int argc, char **argv)
{
    int                 i, j, k, n, opt, port, nsocks, window, sending;
    double              seconds, timeout, start, stop_at, t, elapsed;
    uint64_t            seq;
    ssize_t             r;
    struct sockaddr_in  sin;
    unsigned char       buf[2048];
    const char         *addr = "127.0.0.1";

    port = 0;
    nsocks = 32;
    window = 1;
    seconds = 2;
    timeout = 0.2;
    while ((opt = getopt(argc, argv, "p:a:s:w:d:n:z:T:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 's': nsocks = atoi(optarg); break;
        case 'w': window = atoi(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'n': limit = strtoull(optarg, NULL, 10); break;
        case 'z': size = atoi(optarg); break;
        case 'T': timeout = atof(optarg) / 1000; break;
        default:
            fprintf(stderr, "usage: udpload -p port [-s sockets] [-w window]"
                    " [-d seconds] [-n max] [-z size] [-T timeout_ms]\n");
            return 2;
        }
    }
    if (port <= 0 || nsocks < 1 || nsocks > MAXSOCKS || window < 1
        || window > MAXWINDOW || size < 16 || size > MAXSIZE
        || seconds <= 0 || seconds > 600 || timeout <= 0)
    {
        fprintf(stderr, "udpload: bad arguments\n");
        return 2;
    }

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        fprintf(stderr, "udpload: bad address %s\n", addr);
        return 2;
    }

    for (i = 0; i < nsocks; i++) {
        clients[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (clients[i].fd == -1) {
            perror("socket() failed");
            return 1;
        }
        if (connect(clients[i].fd, (struct sockaddr *) &sin, sizeof(sin))
            == -1)
        {
            perror("connect() failed");
            return 1;
        }
        pfds[i].fd = clients[i].fd;
        pfds[i].events = POLLIN;
    }

    start = now();
    stop_at = start + seconds;
    sending = 1;

    for (i = 0; i < nsocks; i++) {
        for (k = 0; k < window; k++) {
            send_one(&clients[i], i, k, start);
        }
    }

    for ( ;; ) {
        t = now();
        if (sending && (t >= stop_at || nsent >= limit)) {
            sending = 0;
            stop_at = t;
        }
        if (!sending && t >= stop_at + timeout) {
            break;
        }

        n = poll(pfds, nsocks, 10);
        if (n == -1 && errno != EINTR) {
            perror("poll() failed");
            return 1;
        }
        t = now();

        for (i = 0; n > 0 && i < nsocks; i++) {
            if (!(pfds[i].revents & POLLIN)) {
                continue;
            }
            for (j = 0; j < 64; j++) {
                r = recv(clients[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (r == -1) {
                    if (errno != EAGAIN && errno != ECONNREFUSED) {
                        perror("recv() failed");
                    }
                    break;
                }
                if (r < 8) {
                    continue;
                }
                memcpy(&seq, buf, 8);
                for (k = 0; k < window; k++) {
                    if (clients[i].slots[k].sent != 0
                        && clients[i].slots[k].seq == seq)
                    {
                        break;
                    }
                }
                if (k == window) {
                    nlate++;
                    continue;
                }
                nrecv++;
                clients[i].slots[k].sent = 0;
                if (sending && nsent < limit) {
                    send_one(&clients[i], i, k, t);
                }
            }
        }

        /* the lost: replaced by a fresh request while sending */
        for (i = 0; i < nsocks; i++) {
            for (k = 0; k < window; k++) {
                if (clients[i].slots[k].sent != 0
                    && t - clients[i].slots[k].sent > timeout)
                {
                    nlost++;
                    clients[i].slots[k].sent = 0;
                    if (sending && nsent < limit) {
                        send_one(&clients[i], i, k, t);
                    }
                }
            }
        }
    }

    /* still outstanding after the final wait: lost too */
    for (i = 0; i < nsocks; i++) {
        for (k = 0; k < window; k++) {
            if (clients[i].slots[k].sent != 0) {
                nlost++;
            }
        }
    }

    elapsed = stop_at - start;
    printf("sent=%llu received=%llu lost=%llu late=%llu seconds=%.3f"
           " pps=%.0f loss_pct=%.4f\n",
           (unsigned long long) nsent, (unsigned long long) nrecv,
           (unsigned long long) nlost, (unsigned long long) nlate, elapsed,
           elapsed > 0 ? nrecv / elapsed : 0.0,
           nsent ? 100.0 * nlost / nsent : 0.0);
    return 0;
}


static int
send_one(client_t *c, int idx, int slot, double t)
{
    uint64_t       seq;
    unsigned char  buf[MAXSIZE];

    seq = ((uint64_t) idx << 32) | c->next++;
    memset(buf, 'u', size);
    memcpy(buf, &seq, 8);

    c->slots[slot].seq = seq;
    c->slots[slot].sent = t;
    nsent++;

    /* a failed send is a lost request: the slot times out and is
     * replaced like any other loss */
    if (send(c->fd, buf, size, MSG_DONTWAIT) == -1 && errno != EAGAIN
        && errno != ECONNREFUSED)
    {
        perror("send() failed");
        return -1;
    }
    return 0;
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
