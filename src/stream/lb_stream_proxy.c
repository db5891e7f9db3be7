/* weir: the TCP proxy. A client connection is paired with a connection to
 * a target chosen by the target group's balancer; bytes are copied both
 * ways through one fixed ring buffer per direction. A side is not read
 * while the buffer towards the other side is full (backpressure), a FIN is
 * passed on once its direction is flushed (half-close), and the session
 * ends when both directions are finished, on an error, or when it was idle
 * for the listener's timeout_client_data.
 *
 * A connect that fails or times out is retried on the next usable
 * target; each target is tried at most once per client (the request's
 * tried set), so a client waits at most the listener's
 * timeout_member_connect per target, and is closed at once when no
 * target is left. A listener's connection_limit counts its open client
 * connections across every worker and generation (a gauge in the shared
 * zone); a client over the limit is closed at once. PROXY target groups
 * get a PROXY protocol header (v1, or v2 with proxy_protocol_version: 2)
 * with the client's and the listener's addresses, ahead of the client's
 * bytes. Traffic is
 * counted in the target's zone record: connections (by the balancer),
 * bytes each way and failed connects. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_limit.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_proxy_protocol.h"
#include "lb_stream.h"
#include "lb_zone.h"
#include "lb_zone_gauge.h"

/* a ring buffer: len bytes of data start at pos and may wrap around */
typedef struct {
    char       *start;
    size_t      size;
    size_t      pos;
    size_t      len;
} lb_stream_buf_t;

/* one direction: from src to dst */
typedef struct {
    lb_stream_buf_t   buf;
    uint64_t          bytes;      /* read from src */
    const char       *src_name;   /* for logs */
    const char       *dst_name;
    unsigned          eof:1;      /* src sent its FIN */
    unsigned          shut:1;     /* the FIN was passed on to dst */
} lb_stream_pipe_t;

typedef struct {
    lb_connection_t        *client;
    lb_connection_t        *upstream;
    lb_listener_t          *listener;
    lb_balancer_group_t    *group;
    lb_balancer_peer_t     *peer;
    lb_balancer_tried_t     tried;
    lb_balancer_request_t   request;
    lb_listening_limit_t   *limit;      /* counted in; NULL: not */
    lb_stream_pipe_t        up;         /* client -> target */
    lb_stream_pipe_t        down;       /* target -> client */
    lb_msec_t               timeout;    /* idle limit, 0: none */
    unsigned                connected:1;
} lb_stream_session_t;

static lb_int_t lb_stream_proxy_header(lb_stream_session_t *s);
static bool lb_stream_proxy_wildcard(const struct sockaddr *sa);
static void lb_stream_proxy_connect(lb_stream_session_t *s);
static void lb_stream_proxy_next(lb_stream_session_t *s, int err,
    const char *what);
static void lb_stream_proxy_connected(lb_stream_session_t *s);
static void lb_stream_proxy_client_handler(lb_event_t *ev);
static void lb_stream_proxy_upstream_handler(lb_event_t *ev);
static void lb_stream_proxy_process(lb_stream_session_t *s);
static lb_int_t lb_stream_proxy_pump(lb_stream_session_t *s,
    lb_stream_pipe_t *p, lb_connection_t *src, lb_connection_t *dst);
static ssize_t lb_stream_recv(lb_connection_t *c, lb_stream_buf_t *b,
    int *err);
static ssize_t lb_stream_send(lb_connection_t *c, lb_stream_buf_t *b,
    int *err);
static void lb_stream_proxy_finalize(lb_stream_session_t *s);
static void lb_stream_proxy_log(lb_stream_session_t *s, unsigned level,
    int err, const char *what);


void
lb_stream_proxy_init_connection(lb_connection_t *c)
{
    lb_listening_limit_t  *limit;

    if (lb_stream_proxy_admit(c, &limit) != LB_OK) {
        return;
    }

    lb_stream_proxy_start(c, limit);
}


lb_int_t
lb_stream_proxy_admit(lb_connection_t *c, lb_listening_limit_t **limit)
{
    bool                  refused;
    lb_stream_session_t   s;
    char                  what[80];

    *limit = lb_event_limit_enter(c->listening, &refused);

    if (!refused) {
        return LB_OK;
    }

    if (lb_log.level >= LB_LOG_INFO) {
        /* the log names the client and the listener the way a session
         * does; no session is made for a client that is not served */
        memset(&s, 0, sizeof(lb_stream_session_t));
        s.client = c;
        s.listener = c->listening->listener;
        snprintf(what, sizeof(what), "connection_limit (%lld) reached, "
                 "client closed", (long long) s.listener->connection_limit);
        lb_stream_proxy_log(&s, LB_LOG_INFO, 0, what);
    }

    lb_close_connection(c);

    return LB_DECLINED;
}


void
lb_stream_proxy_start(lb_connection_t *c, lb_listening_limit_t *limit)
{
    lb_listener_t        *lst;
    lb_stream_session_t  *s;

    lst = c->listening->listener;

    s = lb_pcalloc(c->pool, sizeof(lb_stream_session_t));
    if (s == NULL) {
        if (limit != NULL) {
            lb_event_limit_leave(limit);
        }
        goto nomem;
    }

    s->client = c;
    s->listener = lst;
    s->limit = limit;
    c->data = s;
    c->read->handler = lb_stream_proxy_client_handler;
    c->write->handler = lb_stream_proxy_client_handler;

    if (lst->target_group == NULL) {
        lb_stream_proxy_log(s, LB_LOG_INFO, 0,
                            "listener has no target group, client closed");
        lb_stream_proxy_finalize(s);
        return;
    }

    s->up.buf.start = lb_palloc(c->pool, LB_STREAM_BUFFER_SIZE);
    s->down.buf.start = lb_palloc(c->pool, LB_STREAM_BUFFER_SIZE);
    if (s->up.buf.start == NULL || s->down.buf.start == NULL) {
        goto nomem;
    }

    s->up.buf.size = LB_STREAM_BUFFER_SIZE;
    s->down.buf.size = LB_STREAM_BUFFER_SIZE;
    s->up.src_name = "client";
    s->up.dst_name = "target";
    s->down.src_name = "target";
    s->down.dst_name = "client";

    if (lst->target_group->protocol == LB_TG_PROXY
        && lb_stream_proxy_header(s) != LB_OK)
    {
        lb_stream_proxy_finalize(s);
        return;
    }

    s->group = lb_balancer_group(lst->target_group);

    if (lb_balancer_tried_init(&s->tried, c->pool, s->group->npeers)
        != LB_OK)
    {
        goto nomem;
    }

    s->request.tried = &s->tried;
    s->request.client = (struct sockaddr *) &c->sockaddr;
    s->request.client_len = c->socklen;

    s->timeout = lst->timeout_client_data;

    if (s->timeout) {
        lb_event_idle_touch(c->read, s->timeout);
    }

    lb_stream_proxy_connect(s);

    return;

nomem:

    lb_log_error(LB_LOG_CRIT, &lb_log, 0,
                 "*%lu out of memory for a TCP session, client closed",
                 (unsigned long) c->number);

    if (s != NULL) {
        /* counted in the listener's connection_limit already */
        lb_stream_proxy_finalize(s);
        return;
    }

    lb_close_connection(c);
}


/* Put the PROXY protocol header at the start of the (empty) buffer
 * towards the target: it goes out first once a target is connected, and
 * stays in place if a connect fails and the next target is tried. The
 * listener's own address is used unless it is a wildcard, which only the
 * socket can resolve. LB_OK or LB_ERROR (logged). */
static lb_int_t
lb_stream_proxy_header(lb_stream_session_t *s)
{
    size_t                    n;
    unsigned                  version;
    socklen_t                 len;
    lb_listener_t            *lst;
    const struct sockaddr    *local;
    struct sockaddr_storage   ss;

    lst = s->listener;
    local = (const struct sockaddr *) &lst->addr.sa;

    if (lb_stream_proxy_wildcard(local)) {
        len = sizeof(ss);

        if (getsockname(s->client->fd, (struct sockaddr *) &ss, &len)
            == -1)
        {
            lb_stream_proxy_log(s, LB_LOG_ERR, errno,
                                "getsockname() failed, client closed");
            return LB_ERROR;
        }

        local = (const struct sockaddr *) &ss;
    }

    version = lst->target_group->proxy_protocol_version == 2 ? 2 : 1;

    n = lb_proxy_protocol_write((uint8_t *) s->up.buf.start,
                                s->up.buf.size, version, SOCK_STREAM,
                                (const struct sockaddr *) &s->client->sockaddr,
                                local);
    if (n == 0) {
        lb_stream_proxy_log(s, LB_LOG_ALERT, 0,
                            "cannot build the PROXY protocol header, "
                            "client closed");
        return LB_ERROR;
    }

    s->up.buf.pos = 0;
    s->up.buf.len = n;

    return LB_OK;
}


static bool
lb_stream_proxy_wildcard(const struct sockaddr *sa)
{
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    if (sa->sa_family == AF_INET) {
        sin = (const struct sockaddr_in *) sa;
        return sin->sin_addr.s_addr == htonl(INADDR_ANY);
    }

    if (sa->sa_family == AF_INET6) {
        sin6 = (const struct sockaddr_in6 *) sa;
        return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
    }

    return true;
}


/* Connect to the next usable target; when none is left, close the
 * client. Bounded: every pick adds its target to the tried set, so the
 * loop ends after each target was tried once. */
static void
lb_stream_proxy_connect(lb_stream_session_t *s)
{
    int               err;
    lb_int_t          rc;
    lb_target_t      *t;
    lb_connection_t  *u;

    for ( ;; ) {
        s->peer = lb_balancer_pick(s->group, &s->request);

        if (s->peer == NULL) {
            lb_stream_proxy_log(s, LB_LOG_ERR, 0, s->tried.ntried
                                ? "no other usable target to try, "
                                  "client closed"
                                : "no usable target, client closed");
            lb_stream_proxy_finalize(s);
            return;
        }

        t = s->peer->target;

        rc = lb_event_connect((struct sockaddr *) &t->addr.sa,
                              t->addr.socklen, &u, &err);

        if (rc == LB_DECLINED) {
            lb_stream_proxy_log(s, LB_LOG_ERR, err, "connect() failed");
            lb_balancer_release(s->group, s->peer, LB_BALANCER_FAILED);
            s->peer = NULL;
            continue;
        }

        if (rc == LB_ERROR) {
            lb_stream_proxy_log(s, LB_LOG_ERR, err,
                                "cannot connect to target, client closed");
            lb_stream_proxy_finalize(s);
            return;
        }

        s->upstream = u;
        u->data = s;
        u->read->handler = lb_stream_proxy_upstream_handler;
        u->write->handler = lb_stream_proxy_upstream_handler;

        if (rc == LB_OK) {
            u->write->ready = 1;
            lb_stream_proxy_connected(s);
            return;
        }

        lb_event_add_timer(u->write, s->listener->timeout_member_connect);
        return;
    }
}


/* The connect to the current target failed: log it, count it against the
 * target and try the next one. */
static void
lb_stream_proxy_next(lb_stream_session_t *s, int err, const char *what)
{
    lb_stream_proxy_log(s, LB_LOG_ERR, err, what);

    lb_close_connection(s->upstream);
    s->upstream = NULL;

    lb_balancer_release(s->group, s->peer, LB_BALANCER_FAILED);
    s->peer = NULL;

    lb_stream_proxy_connect(s);
}


static void
lb_stream_proxy_connected(lb_stream_session_t *s)
{
    lb_event_del_timer(s->upstream->write);

    s->connected = 1;

    if (s->timeout) {
        lb_event_idle_touch(s->client->read, s->timeout);
    }

    if (lb_log.level >= LB_LOG_DEBUG) {
        lb_stream_proxy_log(s, LB_LOG_DEBUG, 0, "connected to target");
    }

    lb_stream_proxy_process(s);
}


static void
lb_stream_proxy_client_handler(lb_event_t *ev)
{
    lb_connection_t      *c;
    lb_stream_session_t  *s;

    c = ev->data;
    s = c->data;

    if (c->close) {
        lb_stream_proxy_finalize(s);
        return;
    }

    if (ev->timedout) {
        /* the idle timer: transfers touch it, so it fires only after
         * s->timeout without one */
        ev->timedout = 0;

        if (!s->connected) {
            /* connecting has its own timeout per target */
            lb_event_idle_touch(ev, s->timeout);
            return;
        }

        lb_stream_proxy_log(s, LB_LOG_INFO, ETIMEDOUT,
                            "idle timeout (timeout_client_data)");
        lb_stream_proxy_finalize(s);
        return;
    }

    lb_stream_proxy_process(s);
}


static void
lb_stream_proxy_upstream_handler(lb_event_t *ev)
{
    int                   err;
    lb_connection_t      *u;
    lb_stream_session_t  *s;

    u = ev->data;
    s = u->data;

    if (u->close) {
        lb_stream_proxy_finalize(s);
        return;
    }

    if (s->connected) {
        lb_stream_proxy_process(s);
        return;
    }

    /* connecting: only the write event (or its timer) tells the outcome */
    if (!ev->write) {
        return;
    }

    if (ev->timedout) {
        lb_stream_proxy_next(s, ETIMEDOUT, "connect() timed out");
        return;
    }

    err = lb_event_connect_result(u);
    if (err) {
        lb_stream_proxy_next(s, err, "connect() failed");
        return;
    }

    lb_stream_proxy_connected(s);
}


/* Move what can be moved both ways; the two directions use different
 * buffers and different readiness, so one pass over each is enough. */
static void
lb_stream_proxy_process(lb_stream_session_t *s)
{
    if (lb_stream_proxy_pump(s, &s->up, s->client, s->upstream) != LB_OK) {
        lb_stream_proxy_finalize(s);
        return;
    }

    if (!s->connected) {
        return;
    }

    if (lb_stream_proxy_pump(s, &s->down, s->upstream, s->client) != LB_OK) {
        lb_stream_proxy_finalize(s);
        return;
    }

    if (s->up.shut && s->down.shut) {
        if (lb_log.level >= LB_LOG_DEBUG) {
            lb_stream_proxy_log(s, LB_LOG_DEBUG, 0,
                                "both directions finished");
        }
        lb_stream_proxy_finalize(s);
    }
}


/* Copy from src to dst until neither side can move without waiting.
 * Before the target is connected (up only) src is read into the buffer.
 * LB_OK, or LB_ERROR (logged) when the session must end. */
static lb_int_t
lb_stream_proxy_pump(lb_stream_session_t *s, lb_stream_pipe_t *p,
    lb_connection_t *src, lb_connection_t *dst)
{
    int               err;
    bool              progress, can_write;
    ssize_t           n;
    uint64_t          in, out;
    lb_stream_buf_t  *b;
    char              what[64];

    b = &p->buf;
    can_write = s->connected;
    in = 0;
    out = 0;

    do {
        progress = false;

        if (b->len > 0 && can_write && dst->write->ready) {
            n = lb_stream_send(dst, b, &err);

            if (n > 0) {
                progress = true;
                out += n;

            } else if (n == LB_ERROR) {
                snprintf(what, sizeof(what), "sendmsg() to the %s failed",
                         p->dst_name);
                lb_stream_proxy_log(s, lb_conn_error_level(err), err, what);
                return LB_ERROR;
            }
        }

        if (!p->eof && b->len < b->size && src->read->ready) {
            n = lb_stream_recv(src, b, &err);

            if (n > 0) {
                p->bytes += n;
                in += n;
                progress = true;

            } else if (n == 0) {
                p->eof = 1;

            } else if (n == LB_ERROR) {
                snprintf(what, sizeof(what), "readv() from the %s failed",
                         p->src_name);
                lb_stream_proxy_log(s, lb_conn_error_level(err), err, what);
                return LB_ERROR;
            }
        }

    } while (progress);

    if ((in | out) != 0 && s->timeout) {
        /* a transfer: the idle time starts again (lazily, no tree
         * operation per pass) */
        lb_event_idle_touch(s->client->read, s->timeout);
    }

    /* the target's counters: bytes to it (written on the up pipe) and
     * from it (read on the down pipe), one update per pass */
    if (s->peer != NULL && s->peer->zone != NULL) {
        if (dst == s->upstream && out != 0) {
            lb_zone_target_bytes(s->peer->zone, 0, out);

        } else if (src == s->upstream && in != 0) {
            lb_zone_target_bytes(s->peer->zone, in, 0);
        }
    }

    if (p->eof && b->len == 0 && !p->shut && can_write) {
        /* a TLS peer expects close_notify before the FIN; if the socket
         * is full it goes without it (never wait here) */
        if (dst->ssl != NULL && lb_ssl_shutdown(dst) == LB_ERROR) {
            lb_stream_proxy_log(s, LB_LOG_INFO, 0,
                                "close_notify towards the client failed");
        }
        if (shutdown(dst->fd, SHUT_WR) == -1) {
            err = errno;
            snprintf(what, sizeof(what), "shutdown() towards the %s failed",
                     p->dst_name);
            lb_stream_proxy_log(s, lb_conn_error_level(err), err, what);
            return LB_ERROR;
        }
        p->shut = 1;
    }

    return LB_OK;
}


/* Read into the free part of b (both parts when it wraps) with
 * lb_conn_recv_iov(). Returns as it does; *err is errno after LB_ERROR
 * (EPROTO for a TLS error). */
static ssize_t
lb_stream_recv(lb_connection_t *c, lb_stream_buf_t *b, int *err)
{
    int           niov;
    size_t        tail;
    ssize_t       n;
    struct iovec  iov[2];

    if (b->len == 0) {
        b->pos = 0;
    }

    tail = b->pos + b->len;
    if (tail >= b->size) {
        tail -= b->size;
    }

    if (tail >= b->pos) {
        iov[0].iov_base = b->start + tail;
        iov[0].iov_len = b->size - tail;
        iov[1].iov_base = b->start;
        iov[1].iov_len = b->pos;
        niov = b->pos ? 2 : 1;

    } else {
        iov[0].iov_base = b->start + tail;
        iov[0].iov_len = b->pos - tail;
        niov = 1;
    }

    n = lb_conn_recv_iov(c, iov, niov);

    if (n > 0) {
        b->len += n;

    } else if (n == LB_ERROR) {
        *err = errno;
    }

    return n;
}


/* Write the data of b (both parts when it wraps) with
 * lb_conn_send_iov(). Returns as it does; *err as lb_stream_recv(). */
static ssize_t
lb_stream_send(lb_connection_t *c, lb_stream_buf_t *b, int *err)
{
    size_t        first;
    ssize_t       n;
    struct iovec  iov[2];

    first = lb_min(b->len, b->size - b->pos);

    iov[0].iov_base = b->start + b->pos;
    iov[0].iov_len = first;
    iov[1].iov_base = b->start;
    iov[1].iov_len = b->len - first;

    n = lb_conn_send_iov(c, iov, (b->len > first) ? 2 : 1);

    if (n > 0) {
        b->pos += n;
        if (b->pos >= b->size) {
            b->pos -= b->size;
        }
        b->len -= n;

    } else if (n == LB_ERROR) {
        *err = errno;
    }

    return n;
}


static void
lb_stream_proxy_finalize(lb_stream_session_t *s)
{
    if (s->limit != NULL) {
        lb_event_limit_leave(s->limit);
        s->limit = NULL;
    }

    if (s->peer != NULL) {
        lb_balancer_release(s->group, s->peer, LB_BALANCER_DONE);
        s->peer = NULL;
    }

    if (s->upstream != NULL) {
        lb_close_connection(s->upstream);
        s->upstream = NULL;
    }

    if (s->client != NULL) {
        lb_log_debug(&lb_log, "*%lu closed: %llu bytes from the client, "
                     "%llu from the target",
                     (unsigned long) s->client->number,
                     (unsigned long long) s->up.bytes,
                     (unsigned long long) s->down.bytes);

        /* the pool (and s with it) is reset when the slot is reclaimed,
         * after this loop iteration */
        lb_close_connection(s->client);
        s->client = NULL;
    }
}


static void
lb_stream_proxy_log(lb_stream_session_t *s, unsigned level, int err,
    const char *what)
{
    char  client[80];

    if (level > lb_log.level) {
        return;
    }

    lb_connection_addr_text((struct sockaddr *) &s->client->sockaddr,
                            client, sizeof(client));

    lb_log_error(level, &lb_log, err,
                 "*%lu %s, client: %s, target: %s, listener: %s",
                 (unsigned long) s->client->number, what, client,
                 s->peer ? s->peer->target->addr.text : "-",
                 s->listener->addr.text);
}
