/* weir bench: many idle keep-alive HTTP clients.
 *
 *   idleconn -p port -n count [-c concurrent] [-t seconds]
 *
 * Opens `count` TCP connections to 127.0.0.1:port, at most `concurrent`
 * of them being set up at a time, sends one HTTP/1.1 keep-alive request
 * on each and reads its whole response (Content-Length framed), then
 * keeps every connection open and idle. Prints "ready ok=N failed=M"
 * once all are done, then waits until its stdin closes (the driver has
 * measured) or `seconds` pass, watching for connections the server
 * closes meanwhile, and prints "closed_while_idle=N" before exiting.
 * Needs an open-file limit above count. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ  2048

enum { CONNECTING, READING, IDLE, DONE };

typedef struct {
    int     fd;
    int     state;
    size_t  len;
    char    buf[BUFSZ];
} conn_t;

static const char  request[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: idleconn\r\n\r\n";

static int start_conn(conn_t *c, struct sockaddr_in *sin, int idx);
static int on_event(conn_t *c, uint32_t ev, int idx);
static int response_complete(conn_t *c);
static double now(void);


static int  ep;


int
main(int argc, char **argv)
{
    int                  i, n, opt, port, count, concurrent, next;
    int                  active, ok, failed, closed, r;
    double               seconds, deadline;
    conn_t              *conns;
    char                 tmp[64];
    struct sockaddr_in   sin;
    struct epoll_event   ev, events[256];

    port = 0;
    count = 100;
    concurrent = 200;
    seconds = 60;
    while ((opt = getopt(argc, argv, "p:n:c:t:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'n': count = atoi(optarg); break;
        case 'c': concurrent = atoi(optarg); break;
        case 't': seconds = atof(optarg); break;
        default:
            fprintf(stderr, "usage: idleconn -p port -n count"
                    " [-c concurrent] [-t seconds]\n");
            return 2;
        }
    }
    if (port <= 0 || count < 1 || count > 200000 || concurrent < 1) {
        fprintf(stderr, "idleconn: bad arguments\n");
        return 2;
    }

    conns = calloc(count, sizeof(conn_t));
    if (conns == NULL) {
        perror("calloc() failed");
        return 1;
    }
    ep = epoll_create1(0);
    if (ep == -1) {
        perror("epoll_create1() failed");
        return 1;
    }

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    deadline = now() + seconds;
    next = 0;
    active = 0;
    ok = 0;
    failed = 0;

    while (ok + failed < count && now() < deadline) {
        while (active < concurrent && next < count) {
            if (start_conn(&conns[next], &sin, next) == 0) {
                active++;
            } else {
                failed++;
            }
            next++;
        }
        n = epoll_wait(ep, events, 256, 100);
        if (n == -1 && errno != EINTR) {
            perror("epoll_wait() failed");
            return 1;
        }
        for (i = 0; i < n; i++) {
            conn_t  *c = &conns[events[i].data.u32];

            r = on_event(c, events[i].events, (int) events[i].data.u32);
            if (r == 1) {
                ok++;
                active--;
            } else if (r == -1) {
                failed++;
                active--;
            }
        }
    }
    failed += count - ok - failed;

    printf("ready ok=%d failed=%d\n", ok, failed);
    fflush(stdout);

    /* idle: watch stdin and every open connection */
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t) count;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == -1) {
        perror("epoll_ctl(stdin) failed");
    }
    closed = 0;
    while (now() < deadline) {
        n = epoll_wait(ep, events, 256, 500);
        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }
            perror("epoll_wait() failed");
            break;
        }
        for (i = 0; i < n; i++) {
            if (events[i].data.u32 == (uint32_t) count) {
                if (read(0, tmp, sizeof(tmp)) <= 0) {
                    goto out;
                }
                continue;
            }
            conn_t  *c = &conns[events[i].data.u32];

            if (c->state == IDLE) {
                closed++;
                c->state = DONE;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
            }
        }
    }

out:
    printf("closed_while_idle=%d\n", closed);
    fflush(stdout);
    return 0;
}


static int
start_conn(conn_t *c, struct sockaddr_in *sin, int idx)
{
    struct epoll_event  ev;

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd == -1) {
        perror("socket() failed");
        c->state = DONE;
        return -1;
    }
    if (connect(c->fd, (struct sockaddr *) sin, sizeof(*sin)) == -1
        && errno != EINPROGRESS)
    {
        perror("connect() failed");
        close(c->fd);
        c->state = DONE;
        return -1;
    }
    c->state = CONNECTING;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = (uint32_t) idx;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
        perror("epoll_ctl() failed");
        close(c->fd);
        c->state = DONE;
        return -1;
    }
    return 0;
}


/* 1: response complete, now idle; -1: failed; 0: more to come */
static int
on_event(conn_t *c, uint32_t ev, int idx)
{
    int                 r;
    ssize_t             n;
    struct epoll_event  mod;

    if (c->state == CONNECTING) {
        if (!(ev & EPOLLOUT) || (ev & (EPOLLERR | EPOLLHUP))) {
            goto failed;
        }
        /* the request is tiny: one send fits in an empty socket buffer */
        n = send(c->fd, request, sizeof(request) - 1, MSG_NOSIGNAL);
        if (n != (ssize_t) sizeof(request) - 1) {
            goto failed;
        }
        c->state = READING;
        memset(&mod, 0, sizeof(mod));
        mod.events = EPOLLIN | EPOLLRDHUP;
        mod.data.u32 = (uint32_t) idx;
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &mod) == -1) {
            perror("epoll_ctl() failed");
            goto failed;
        }
        return 0;
    }

    if (c->state != READING) {
        return 0;
    }
    if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        return 0;
    }
    for ( ;; ) {
        n = recv(c->fd, c->buf + c->len, BUFSZ - 1 - c->len, 0);
        if (n == -1) {
            if (errno == EAGAIN) {
                return 0;
            }
            goto failed;
        }
        if (n == 0) {
            goto failed;
        }
        c->len += n;
        c->buf[c->len] = '\0';
        r = response_complete(c);
        if (r == 1) {
            c->state = IDLE;
            return 1;
        }
        if (r == -1) {
            goto failed;
        }
        if (c->len >= BUFSZ - 1) {
            goto failed;
        }
    }

failed:
    close(c->fd);
    c->state = DONE;
    return -1;
}


/* 1: a whole 200 response; 0: not yet; -1: another status */
static int
response_complete(conn_t *c)
{
    char    *end, *p;
    size_t   body;

    end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL) {
        return 0;
    }
    if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0) {
        return -1;
    }
    body = 0;
    for (p = c->buf; p && p < end; p = strstr(p, "\r\n")) {
        if (*p == '\r') {
            p += 2;
        }
        if (strncasecmp(p, "content-length:", 15) == 0) {
            body = strtoul(p + 15, NULL, 10);
            break;
        }
    }
    return c->len >= (size_t) (end + 4 - c->buf) + body;
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
