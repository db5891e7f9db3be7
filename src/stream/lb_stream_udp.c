/* weir: the UDP data path (see lb_stream_udp.h for the behaviour). One
 * pass over a ready socket reads up to LB_STREAM_UDP_BATCH datagrams with
 * recvmmsg() into this worker's fixed buffers; client datagrams go out one
 * send() each on their session's connected socket, and a batch of replies
 * from one target goes back to its client in one sendmmsg() on the
 * listening socket. Nothing is allocated per datagram or per session: the
 * sessions come from one array taken when the worker starts.
 *
 * The idle timer of a session is an idle timer of the event layer
 * (lb_event_idle_touch()): each datagram touches it, which costs no tree
 * operation, and it fires only after the whole idle time without one. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* recvmmsg(), sendmmsg() */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_limit.h"
#include "lb_event_timer.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_stream_udp.h"
#include "lb_stream_udp_table.h"
#include "lb_time.h"
#include "lb_zone.h"

/* room for one datagram in the receive buffers */
#define LB_STREAM_UDP_BUF_SIZE     65536

/* the tried bits a session has inline */
#define LB_STREAM_UDP_INLINE_WORDS                                        \
    (sizeof(((lb_balancer_tried_t *) NULL)->inline_bits) / sizeof(uintptr_t))

/* the idle timeout when a listener has none (the config default) */
#define LB_STREAM_UDP_TIMEOUT      50000

/* a reason to drop is logged at most once per this many ms */
#define LB_STREAM_UDP_LOG_EVERY    1000

static lb_int_t lb_stream_udp_init_worker(uint32_t capacity, size_t extra);
static size_t lb_stream_udp_tried_extra(const lb_conf_t *conf);
static void lb_stream_udp_read_client(lb_event_t *ev);
static void lb_stream_udp_forward(lb_stream_udp_listen_t *lu,
    struct mmsghdr *m);
static lb_stream_udp_session_t *lb_stream_udp_session_get(
    lb_stream_udp_listen_t *lu, const lb_stream_udp_addr_t *sa,
    socklen_t len);
static void lb_stream_udp_evict(lb_stream_udp_table_t *t,
    lb_stream_udp_session_t *old, const char *why);
static void lb_stream_udp_tried_reset(lb_stream_udp_session_t *s);
static lb_int_t lb_stream_udp_session_connect(lb_stream_udp_session_t *s,
    int *err);
static lb_balancer_peer_t *lb_stream_udp_choose(lb_stream_udp_session_t *s);
static lb_int_t lb_stream_udp_upstream_open(lb_stream_udp_session_t *s,
    int *err);
static void lb_stream_udp_read_target(lb_event_t *ev);
static void lb_stream_udp_send_client(lb_stream_udp_session_t *s,
    int nout);
static void lb_stream_udp_write_nothing(lb_event_t *ev);
static void lb_stream_udp_session_idle(lb_event_t *ev);
static void lb_stream_udp_session_fail(lb_stream_udp_session_t *s, int err,
    const char *what);
static void lb_stream_udp_session_release(lb_stream_udp_session_t *s,
    lb_uint_t state);
static void lb_stream_udp_session_close(lb_stream_udp_session_t *s);
static bool lb_stream_udp_target_error(int err);
static bool lb_stream_udp_from_target(const struct sockaddr *from,
    socklen_t len, const lb_sockaddr_t *target);
static void lb_stream_udp_prepare(int n);
static void lb_stream_udp_drop(lb_stream_udp_listen_t *lu,
    lb_stream_udp_drop_e why, const struct sockaddr *peer, int err,
    uint64_t n);

#define LB_UDP_DROP_NAME(n, s, l)   s,
#define LB_UDP_DROP_LEVEL(n, s, l)  LB_LOG_##l,

const char *const  lb_stream_udp_drop_names[] = {
    LB_STREAM_UDP_DROPS(LB_UDP_DROP_NAME)
    NULL
};

static const unsigned  lb_stream_udp_drop_level[] = {
    LB_STREAM_UDP_DROPS(LB_UDP_DROP_LEVEL)
};

#undef LB_UDP_DROP_NAME
#undef LB_UDP_DROP_LEVEL

/* this worker's state */
static bool                    lb_stream_udp_ready;
static lb_stream_udp_listen_t *lb_stream_udp_listens;
static uint32_t                lb_stream_udp_most;   /* targets sessions
                                                        have room for */
static lb_stream_udp_table_t   lb_stream_udp_table;
static lb_stream_udp_stats_t   lb_stream_udp_stat;
static lb_msec_t               lb_stream_udp_drop_logged[LB_STREAM_UDP_DROP_N];

/* one batch in, one batch out; the out side points into the in buffers */
static char                   *lb_stream_udp_buf;
static struct mmsghdr          lb_stream_udp_in[LB_STREAM_UDP_BATCH];
static struct iovec            lb_stream_udp_in_iov[LB_STREAM_UDP_BATCH];
static lb_stream_udp_addr_t    lb_stream_udp_names[LB_STREAM_UDP_BATCH];
static struct mmsghdr          lb_stream_udp_out[LB_STREAM_UDP_BATCH];
static struct iovec            lb_stream_udp_out_iov[LB_STREAM_UDP_BATCH];


lb_int_t
lb_stream_udp_init_listening(lb_cycle_t *cycle, lb_listening_t *ls)
{
    lb_listener_t           *lst;
    lb_target_group_t       *tg;
    lb_connection_t         *c;
    lb_stream_udp_listen_t  *lu;

    if (!lb_stream_udp_ready
        && lb_stream_udp_init_worker(LB_STREAM_UDP_MAX_SESSIONS,
                                     lb_stream_udp_tried_extra(cycle->conf))
           != LB_OK)
    {
        return LB_ERROR;
    }

    lst = ls->listener;

    lu = lb_pcalloc(cycle->pool, sizeof(lb_stream_udp_listen_t));
    if (lu == NULL) {
        goto nomem;
    }

    lu->listening = ls;
    lu->listener = lst;
    lu->timeout = lst->timeout_client_data ? lst->timeout_client_data
                                           : LB_STREAM_UDP_TIMEOUT;

    tg = lst->target_group;

    if (tg != NULL) {
        /* the target choice (and SOURCE_IP stickiness, shared with the
         * other workers through the zone) is the balancer group's */
        lu->group = lb_balancer_group(tg);
    }

    lu->fd = fcntl(ls->fd, F_DUPFD_CLOEXEC, 0);
    if (lu->fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "fcntl(F_DUPFD_CLOEXEC) of udp listener \"%s\" %s "
                     "failed", lst->name, ls->addr.text);
        return LB_ERROR;
    }

    ls->data = lu;
    lu->next = lb_stream_udp_listens;
    lb_stream_udp_listens = lu;

    /* added like any listening socket (EPOLLIN only, closed by
     * lb_event_close_listening()); what is ready is datagrams, not
     * connections, so the read handler is ours */
    if (lb_event_add_listening(ls, NULL, 0) != LB_OK) {
        return LB_ERROR;
    }

    c = ls->connection;
    c->data = lu;
    c->read->accept = 0;
    c->read->handler = lb_stream_udp_read_client;

    lb_log_debug(&lb_log, "udp listener \"%s\" on %s: %s", lst->name,
                 ls->addr.text, tg != NULL ? tg->name : "no target group");

    return LB_OK;

nomem:

    lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                 "out of memory for udp listener \"%s\"", lst->name);
    return LB_ERROR;
}


void
lb_stream_udp_stats(lb_stream_udp_stats_t *st)
{
    *st = lb_stream_udp_stat;
    st->active = lb_stream_udp_table.nsessions;
}


/* The session table and the batch buffers of this worker. */
static lb_int_t
lb_stream_udp_init_worker(uint32_t capacity, size_t extra)
{
    if (lb_stream_udp_table_init(&lb_stream_udp_table, capacity, extra)
        != LB_OK)
    {
        return LB_ERROR;
    }

    lb_stream_udp_buf = malloc((size_t) LB_STREAM_UDP_BATCH
                               * LB_STREAM_UDP_BUF_SIZE);
    if (lb_stream_udp_buf == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "malloc() of the udp buffers failed");
        lb_stream_udp_table_free(&lb_stream_udp_table);
        return LB_ERROR;
    }

    memset(&lb_stream_udp_stat, 0, sizeof(lb_stream_udp_stat));
    memset(lb_stream_udp_drop_logged, 0, sizeof(lb_stream_udp_drop_logged));
    lb_stream_udp_ready = true;

    return LB_OK;
}


lb_int_t
lb_stream_udp_init_groups(lb_conf_t *conf, lb_shm_zone_t *zone,
    lb_pool_t *pool)
{
    lb_target_group_t       *tg;
    lb_stream_udp_listen_t  *lu;

    for (lu = lb_stream_udp_listens; lu != NULL; lu = lu->next) {
        tg = lu->listener->target_group;

        if (tg != NULL && tg->ntargets > lb_stream_udp_most) {
            lb_log_error(LB_LOG_ERR, &lb_log, 0,
                         "udp listener \"%s\": target group \"%s\" has %u "
                         "targets, more than the %u this worker's sessions "
                         "have room for: it needs a reload", lu->listener->name,
                         tg->name, tg->ntargets, lb_stream_udp_most);
            return LB_ERROR;
        }
    }

    for (lu = lb_stream_udp_listens; lu != NULL; lu = lu->next) {
        tg = lu->listener->target_group;
        lu->group = tg != NULL ? lb_balancer_group(tg) : NULL;
    }

    return LB_OK;
}


/* Bytes of tried bits a session needs beyond its inline ones: groups of
 * more than 256 targets served by UDP listeners, at least as many as
 * LB_STREAM_UDP_LIVE_TARGETS need (a group may grow while the worker
 * runs). */
static size_t
lb_stream_udp_tried_extra(const lb_conf_t *conf)
{
    uint32_t            b, l, most;
    size_t              words;
    lb_load_balancer_t *bal;
    lb_listener_t      *lst;

    most = 0;

    for (b = 0; b < conf->nbalancers; b++) {
        bal = &conf->balancers[b];
        for (l = 0; l < bal->nlisteners; l++) {
            lst = &bal->listeners[l];
            if (lst->protocol == LB_LISTENER_UDP
                && lst->target_group != NULL)
            {
                most = lb_max(most, lst->target_group->ntargets);
            }
        }
    }

    most = lb_max(most, (uint32_t) LB_STREAM_UDP_LIVE_TARGETS);
    lb_stream_udp_most = most;

    words = (most + LB_BALANCER_BITS - 1) / LB_BALANCER_BITS;

    if (words <= LB_STREAM_UDP_INLINE_WORDS) {
        return 0;
    }

    return words * sizeof(uintptr_t);
}


/* --- client side --- */

/* The read handler of a UDP listening socket. */
static void
lb_stream_udp_read_client(lb_event_t *ev)
{
    int                      n, i, b;
    lb_connection_t         *c;
    lb_stream_udp_listen_t  *lu;

    c = ev->data;
    lu = c->data;

    for (b = 0; b < LB_STREAM_UDP_READ_BATCHES; b++) {
        lb_stream_udp_prepare(LB_STREAM_UDP_BATCH);

        n = recvmmsg(c->fd, lb_stream_udp_in, LB_STREAM_UDP_BATCH, 0, NULL);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            ev->ready = 0;

            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "recvmmsg() on udp listener \"%s\" %s failed",
                             lu->listener->name, lu->listening->addr.text);
            }
            return;
        }

        for (i = 0; i < n; i++) {
            lb_stream_udp_forward(lu, &lb_stream_udp_in[i]);
        }

        if (n < LB_STREAM_UDP_BATCH) {
            /* drained: the next datagram is a new edge */
            ev->ready = 0;
            return;
        }
    }

    /* more may be queued: let other sockets have their turn first */
    lb_event_post(ev);
}


/* One datagram from a client: to its session's target. */
static void
lb_stream_udp_forward(lb_stream_udp_listen_t *lu, struct mmsghdr *m)
{
    int                       err;
    size_t                    len;
    uint32_t                  tries;
    ssize_t                   n;
    lb_int_t                  rc;
    struct msghdr            *h;
    lb_stream_udp_session_t  *s;

    h = &m->msg_hdr;
    len = m->msg_len;

    if ((h->msg_flags & MSG_TRUNC) || len > LB_STREAM_UDP_MAX_DATAGRAM) {
        lb_stream_udp_drop(lu, LB_STREAM_UDP_DROP_OVERSIZED, h->msg_name, 0,
                           1);
        return;
    }

    if (lu->group == NULL) {
        lb_stream_udp_drop(lu, LB_STREAM_UDP_DROP_NO_TARGET, h->msg_name, 0,
                           1);
        return;
    }

    s = lb_stream_udp_session_get(lu, h->msg_name, h->msg_namelen);
    if (s == NULL) {
        return;
    }

    /* each failure marks one more target tried: the loop ends */
    for (tries = 0; ; tries++) {

        if (s->upstream == NULL) {
            err = 0;
            rc = lb_stream_udp_session_connect(s, &err);

            if (rc != LB_OK) {
                lb_stream_udp_drop(lu, rc == LB_DECLINED
                                       ? LB_STREAM_UDP_DROP_NO_TARGET
                                       : LB_STREAM_UDP_DROP_RESOURCES,
                                   &s->client.sa, rc == LB_DECLINED ? 0 : err,
                                   1);
                lb_stream_udp_session_close(s);
                return;
            }
        }

        n = send(s->upstream->fd, h->msg_iov->iov_base, len, 0);

        if (n != -1) {
            lb_stream_udp_stat.datagrams_in++;
            lb_stream_udp_stat.bytes_in += len;
            if (s->peer->zone != NULL) {
                lb_zone_counter_add(&s->peer->zone->bytes_out, len);
            }
            return;
        }

        err = errno;

        if (err == EINTR) {
            continue;
        }

        /* a refusal queued by an earlier datagram shows up here: this
         * one can still go to another target */
        if (lb_stream_udp_target_error(err) && tries <= lu->group->npeers) {
            lb_stream_udp_session_fail(s, err, "send() to");
            continue;
        }

        lb_stream_udp_drop(lu, LB_STREAM_UDP_DROP_SEND, &s->client.sa, err,
                           1);
        return;
    }
}


/* The session of a client, found or made (evicting the session idle for
 * longest when the table is full); it is then the newest, active now.
 * NULL (counted) when the address cannot be a client's. */
static lb_stream_udp_session_t *
lb_stream_udp_session_get(lb_stream_udp_listen_t *lu,
    const lb_stream_udp_addr_t *sa, socklen_t len)
{
    bool                      refused;
    uint32_t                  hash;
    lb_stream_udp_key_t       key;
    lb_listening_limit_t     *limit;
    lb_stream_udp_table_t    *t;
    lb_stream_udp_session_t  *s, *old;

    t = &lb_stream_udp_table;

    if (sa == NULL
        || lb_stream_udp_table_key(t, lu->listening, &sa->sa, len, &key,
                                   &hash) != LB_OK)
    {
        lb_stream_udp_drop(lu, LB_STREAM_UDP_DROP_ADDRESS, NULL, 0, 1);
        return NULL;
    }

    s = lb_stream_udp_table_find(t, lu->listening, &key, hash);

    if (s != NULL) {
        s->active = lb_current_msec;
        s->again = 1;
        lb_stream_udp_table_touch(t, s);
        lb_event_idle_touch(&s->idle, lu->timeout);
        return s;
    }

    /* a client over its sessions_per_client gives up its own oldest
     * session, whoever else is in the table (0: a listener made by hand,
     * no cap) */
    if (lu->listener->sessions_per_client != 0
        && lb_stream_udp_table_client(t, lu->listening, &key, hash, &old)
           >= lu->listener->sessions_per_client
        && old != NULL)
    {
        lb_stream_udp_evict(t, old, "the client has sessions_per_client");
    }

    /* counted across workers like a TCP connection; over the limit the
     * sessions in place go on and the new client waits for room */
    limit = lb_event_limit_enter(lu->listening, &refused);

    if (refused) {
        lb_stream_udp_drop(lu, LB_STREAM_UDP_DROP_LIMIT, &sa->sa, 0, 1);
        return NULL;
    }

    s = lb_stream_udp_table_add(t, lu->listening, &key, hash);

    if (s == NULL) {
        lb_stream_udp_evict(t, lb_stream_udp_table_victim(t,
                                LB_STREAM_UDP_EVICT_SCAN),
                            "the table is full");

        s = lb_stream_udp_table_add(t, lu->listening, &key, hash);
        if (s == NULL) {
            /* cannot be: one was just freed */
            if (limit != NULL) {
                lb_event_limit_leave(limit);
            }
            return NULL;
        }
    }

    s->limit = limit;
    s->listen = lu;
    memcpy(&s->client, sa, lb_min((size_t) len, sizeof(s->client)));
    s->client_len = len;

    lb_stream_udp_tried_reset(s);

    s->request.tried = &s->tried;
    s->request.client = &s->client.sa;
    s->request.client_len = s->client_len;

    s->idle.data = s;
    s->idle.handler = lb_stream_udp_session_idle;
    s->active = lb_current_msec;
    lb_event_idle_touch(&s->idle, lu->timeout);

    lb_stream_udp_stat.sessions++;

    return s;
}


/* Make room: close old, one of t's sessions (counted). */
static void
lb_stream_udp_evict(lb_stream_udp_table_t *t, lb_stream_udp_session_t *old,
    const char *why)
{
    char  text[64];

    if (lb_log.level >= LB_LOG_DEBUG) {
        lb_connection_addr_text(&old->client.sa, text, sizeof(text));
        lb_log_debug(&lb_log, "udp session %s on listener \"%s\" "
                     "evicted after %llu ms idle%s: %s", text,
                     old->listen->listener->name,
                     (unsigned long long) (lb_current_msec - old->active),
                     lb_stream_udp_established(old) ? "" : ", not established",
                     why);
    }

    lb_stream_udp_stat.evicted++;
    lb_stream_udp_session_close(old);
}


/* Forget the targets a session tried. Groups of up to 256 targets use the
 * inline bits; larger ones the bytes after the session (the table's
 * stride has room for the largest UDP group). */
static void
lb_stream_udp_tried_reset(lb_stream_udp_session_t *s)
{
    size_t  words;

    s->group = s->listen->group;

    words = 0;
    if (s->group != NULL) {
        words = (s->group->npeers + LB_BALANCER_BITS - 1) / LB_BALANCER_BITS;
    }

    if (words <= LB_STREAM_UDP_INLINE_WORDS) {
        s->tried.bits = s->tried.inline_bits;
        words = LB_STREAM_UDP_INLINE_WORDS;

    } else {
        s->tried.bits = (uintptr_t *) (s + 1);
    }

    memset(s->tried.bits, 0, words * sizeof(uintptr_t));
    s->tried.ntried = 0;
}


/* Choose a target for s and open its socket. A target whose connect()
 * fails counts as failed and the next is tried; when all were tried (now
 * or earlier in this session) they are given one more round. LB_OK;
 * LB_DECLINED: no usable target; LB_ERROR: no socket or slot (*err is
 * the errno, or 0). */
static lb_int_t
lb_stream_udp_session_connect(lb_stream_udp_session_t *s, int *err)
{
    bool                 again;
    char                 text[64];
    lb_int_t             rc;
    lb_balancer_peer_t  *peer;

    again = false;

    for ( ;; ) {
        peer = lb_stream_udp_choose(s);

        if (peer == NULL) {
            if (s->tried.ntried != 0 && !again) {
                /* every target failed this client: start over rather
                 * than give up while some may be back */
                lb_stream_udp_tried_reset(s);
                again = true;
                continue;
            }
            return LB_DECLINED;
        }

        s->peer = peer;

        rc = lb_stream_udp_upstream_open(s, err);

        if (rc == LB_OK) {
            if (lb_log.level >= LB_LOG_DEBUG) {
                lb_connection_addr_text(&s->client.sa, text, sizeof(text));
                lb_log_debug(&lb_log, "udp session %s on listener \"%s\" "
                             "to target %s \"%s\"", text,
                             s->listen->listener->name,
                             peer->target->addr.text, peer->target->name);
            }
            return LB_OK;
        }

        if (rc == LB_DECLINED) {
            lb_stream_udp_session_fail(s, *err, "connect() to");
            continue;
        }

        /* our shortage, not the target's fault */
        lb_stream_udp_session_release(s, LB_BALANCER_DONE);
        return LB_ERROR;
    }
}


/* The target for s: the balancer's choice, or the target the client's
 * address is bound to (SOURCE_IP persistence, in lb_balancer_pick()),
 * skipping the targets that failed this session. Counted as open there
 * (and in the zone) until lb_stream_udp_session_release(). */
static lb_balancer_peer_t *
lb_stream_udp_choose(lb_stream_udp_session_t *s)
{
    if (s->group != s->listen->group) {
        /* the listener took up a newer generation: its group's peers are
         * other ones, and may be more than the tried bits cover */
        lb_stream_udp_tried_reset(s);
    }

    return lb_balancer_pick(s->group, &s->request);
}


/* A non-blocking UDP socket connected to s->peer's target, in the loop.
 * LB_OK; LB_DECLINED when connect() failed (*err: another target may
 * do); LB_ERROR when no socket (*err) or slot (*err 0) is left. */
static lb_int_t
lb_stream_udp_upstream_open(lb_stream_udp_session_t *s, int *err)
{
    int               fd;
    lb_target_t      *t;
    lb_connection_t  *c;

    t = s->peer->target;

    fd = socket(t->addr.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK
                                      | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        /* out of descriptors: the caller's drop logs it, rate-limited */
        *err = errno;
        return LB_ERROR;
    }

    /* connected: the kernel passes on only the target's datagrams and
     * reports its ICMP errors on this socket */
    if (connect(fd, (struct sockaddr *) &t->addr.sa, t->addr.socklen)
        == -1)
    {
        *err = errno;
        close(fd);
        return LB_DECLINED;
    }

    c = lb_get_connection(fd);
    if (c == NULL) {
        *err = 0;
        close(fd);
        return LB_ERROR;
    }

    c->data = s;
    c->read->handler = lb_stream_udp_read_target;
    c->write->handler = lb_stream_udp_write_nothing;

    /* a session is a client: a stopping worker waits for it */
    c->client = 1;
    lb_connection_clients++;

    if (lb_event_add_connection(c) != LB_OK) {
        *err = 0;
        lb_close_connection(c);
        return LB_ERROR;
    }

    s->upstream = c;

    return LB_OK;
}


/* --- target side --- */

/* The read handler of a session's upstream socket: replies go back to
 * the client from the listening socket, a batch in one sendmmsg(). */
static void
lb_stream_udp_read_target(lb_event_t *ev)
{
    int                       n, i, b, nout;
    size_t                    len;
    uint64_t                  bytes;
    struct msghdr            *h;
    lb_connection_t          *u;
    lb_stream_udp_listen_t   *lu;
    lb_stream_udp_session_t  *s;

    u = ev->data;
    s = u->data;
    lu = s->listen;

    if (u->close) {
        lb_stream_udp_session_close(s);
        return;
    }

    for (b = 0; b < LB_STREAM_UDP_READ_BATCHES; b++) {
        lb_stream_udp_prepare(LB_STREAM_UDP_BATCH);

        n = recvmmsg(u->fd, lb_stream_udp_in, LB_STREAM_UDP_BATCH, 0, NULL);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                ev->ready = 0;
                return;
            }

            if (lb_stream_udp_target_error(errno)) {
                /* an ICMP error for a datagram sent there */
                lb_stream_udp_session_fail(s, errno, "recvmmsg() from");
                return;
            }

            ev->ready = 0;
            lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                         "recvmmsg() from udp target %s failed",
                         s->peer->target->addr.text);
            return;
        }

        nout = 0;
        bytes = 0;

        for (i = 0; i < n; i++) {
            h = &lb_stream_udp_in[i].msg_hdr;
            len = lb_stream_udp_in[i].msg_len;

            if ((h->msg_flags & MSG_TRUNC)
                || len > LB_STREAM_UDP_MAX_DATAGRAM)
            {
                lb_stream_udp_drop(lu, LB_STREAM_UDP_DROP_OVERSIZED,
                                   h->msg_name, 0, 1);
                continue;
            }

            /* the kernel filters a connected socket already; this keeps
             * a surprise from ever reaching a client */
            if (!lb_stream_udp_from_target(h->msg_name, h->msg_namelen,
                                           &s->peer->target->addr))
            {
                lb_stream_udp_drop(lu, LB_STREAM_UDP_DROP_FOREIGN,
                                   h->msg_name, 0, 1);
                continue;
            }

            lb_stream_udp_out_iov[nout].iov_base = h->msg_iov->iov_base;
            lb_stream_udp_out_iov[nout].iov_len = len;
            bytes += len;
            nout++;
        }

        if (nout != 0) {
            s->active = lb_current_msec;
            s->replied = 1;
            lb_stream_udp_table_touch(&lb_stream_udp_table, s);
            lb_event_idle_touch(&s->idle, s->listen->timeout);

            if (s->peer->zone != NULL) {
                lb_zone_counter_add(&s->peer->zone->bytes_in, bytes);
            }

            lb_stream_udp_send_client(s, nout);
        }

        if (n < LB_STREAM_UDP_BATCH) {
            ev->ready = 0;
            return;
        }
    }

    lb_event_post(ev);
}


/* Send the first nout staged replies to s's client. A full socket buffer
 * drops the rest (UDP may lose datagrams; queueing them would only delay
 * the loss); a datagram the kernel refuses is dropped alone. */
static void
lb_stream_udp_send_client(lb_stream_udp_session_t *s, int nout)
{
    int             i, n, sent, fd;
    struct msghdr  *h;

    fd = s->listen->fd;

    for (i = 0; i < nout; i++) {
        h = &lb_stream_udp_out[i].msg_hdr;
        memset(h, 0, sizeof(struct msghdr));
        h->msg_name = &s->client;
        h->msg_namelen = s->client_len;
        h->msg_iov = &lb_stream_udp_out_iov[i];
        h->msg_iovlen = 1;
        lb_stream_udp_out[i].msg_len = 0;
    }

    sent = 0;

    while (sent < nout) {
        n = sendmmsg(fd, &lb_stream_udp_out[sent], nout - sent, 0);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            if (errno == EAGAIN || errno == EWOULDBLOCK
                || errno == ENOBUFS)
            {
                lb_stream_udp_drop(s->listen, LB_STREAM_UDP_DROP_SEND,
                                   &s->client.sa, errno, nout - sent);
                return;
            }

            lb_stream_udp_drop(s->listen, LB_STREAM_UDP_DROP_SEND,
                               &s->client.sa, errno, 1);
            sent++;
            continue;
        }

        for (i = sent; i < sent + n; i++) {
            lb_stream_udp_stat.datagrams_out++;
            lb_stream_udp_stat.bytes_out += lb_stream_udp_out[i].msg_len;
        }

        sent += n;
    }
}


/* Upstream sockets are always writable enough: a datagram that does not
 * fit is dropped, never queued, so there is nothing to resume. */
static void
lb_stream_udp_write_nothing(lb_event_t *ev)
{
    lb_connection_t  *u;

    u = ev->data;

    if (u->close) {
        lb_stream_udp_session_close(u->data);
    }
}


/* --- session life --- */

/* The idle timer: the session has been quiet for the whole timeout. */
static void
lb_stream_udp_session_idle(lb_event_t *ev)
{
    char                      text[64];
    lb_msec_t                 idle;
    lb_stream_udp_session_t  *s;

    s = ev->data;
    ev->timedout = 0;

    idle = lb_current_msec - s->active;

    if (lb_log.level >= LB_LOG_DEBUG) {
        lb_connection_addr_text(&s->client.sa, text, sizeof(text));
        lb_log_debug(&lb_log, "udp session %s on listener \"%s\" expired "
                     "after %llu ms idle", text, s->listen->listener->name,
                     (unsigned long long) idle);
    }

    lb_stream_udp_stat.expired++;
    lb_stream_udp_session_close(s);
}


/* The target of s failed (an ICMP error, or connect() or send() said
 * so): count it, and let the next datagram pick another target. */
static void
lb_stream_udp_session_fail(lb_stream_udp_session_t *s, int err,
    const char *what)
{
    char  text[64];

    lb_connection_addr_text(&s->client.sa, text, sizeof(text));

    lb_log_error(LB_LOG_ERR, &lb_log, err, "udp session %s on listener "
                 "\"%s\": %s target %s \"%s\" failed, another target "
                 "is picked", text, s->listen->listener->name, what,
                 s->peer->target->addr.text, s->peer->target->name);

    lb_stream_udp_stat.failures++;
    lb_stream_udp_session_release(s, LB_BALANCER_FAILED);
}


/* Give up s's target: close the socket, tell the balancer how it went.
 * The session itself stays. */
static void
lb_stream_udp_session_release(lb_stream_udp_session_t *s, lb_uint_t state)
{
    if (s->upstream != NULL) {
        lb_close_connection(s->upstream);
        s->upstream = NULL;
    }

    if (s->peer == NULL) {
        return;
    }

    /* the zone's active and failure counts follow */
    lb_balancer_release(s->group, s->peer, state);

    s->peer = NULL;
}


static void
lb_stream_udp_session_close(lb_stream_udp_session_t *s)
{
    lb_stream_udp_session_release(s, LB_BALANCER_DONE);
    lb_event_del_timer(&s->idle);

    if (s->limit != NULL) {
        lb_event_limit_leave(s->limit);
        s->limit = NULL;
    }

    lb_stream_udp_table_remove(&lb_stream_udp_table, s);
}


/* --- helpers --- */

/* errno values that mean the target (or the way to it) is not there */
static bool
lb_stream_udp_target_error(int err)
{
    switch (err) {
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
        return true;
    default:
        return false;
    }
}


static bool
lb_stream_udp_from_target(const struct sockaddr *from, socklen_t len,
    const lb_sockaddr_t *target)
{
    const struct sockaddr_in   *fin, *tin;
    const struct sockaddr_in6  *fin6, *tin6;

    if (from == NULL || len < (socklen_t) sizeof(from->sa_family)
        || from->sa_family != target->sa.ss_family)
    {
        return false;
    }

    if (from->sa_family == AF_INET) {
        if (len < (socklen_t) sizeof(struct sockaddr_in)) {
            return false;
        }
        fin = (const struct sockaddr_in *) from;
        tin = (const struct sockaddr_in *) &target->sa;
        return fin->sin_port == tin->sin_port
               && fin->sin_addr.s_addr == tin->sin_addr.s_addr;
    }

    if (from->sa_family == AF_INET6) {
        if (len < (socklen_t) sizeof(struct sockaddr_in6)) {
            return false;
        }
        fin6 = (const struct sockaddr_in6 *) from;
        tin6 = (const struct sockaddr_in6 *) &target->sa;
        return fin6->sin6_port == tin6->sin6_port
               && memcmp(&fin6->sin6_addr, &tin6->sin6_addr,
                         sizeof(struct in6_addr)) == 0;
    }

    return false;
}


/* Point the first n receive headers at their buffers and names. */
static void
lb_stream_udp_prepare(int n)
{
    int             i;
    struct msghdr  *h;

    for (i = 0; i < n; i++) {
        lb_stream_udp_in_iov[i].iov_base = lb_stream_udp_buf
                                           + (size_t) i
                                             * LB_STREAM_UDP_BUF_SIZE;
        /* one byte more than is ever forwarded: MSG_TRUNC then tells a
         * datagram that is too long */
        lb_stream_udp_in_iov[i].iov_len = LB_STREAM_UDP_MAX_DATAGRAM + 1;

        h = &lb_stream_udp_in[i].msg_hdr;
        h->msg_name = &lb_stream_udp_names[i];
        h->msg_namelen = sizeof(lb_stream_udp_addr_t);
        h->msg_iov = &lb_stream_udp_in_iov[i];
        h->msg_iovlen = 1;
        h->msg_control = NULL;
        h->msg_controllen = 0;
        h->msg_flags = 0;
        lb_stream_udp_in[i].msg_len = 0;
    }
}


/* Count n dropped datagrams; log the reason at most once a second. */
static void
lb_stream_udp_drop(lb_stream_udp_listen_t *lu, lb_stream_udp_drop_e why,
    const struct sockaddr *peer, int err, uint64_t n)
{
    char       text[64];
    lb_msec_t  last;

    lb_stream_udp_stat.drops[why] += n;

    last = lb_stream_udp_drop_logged[why];

    /* stored + 1 so that 0 means never */
    if (last != 0 && lb_current_msec + 1 - last < LB_STREAM_UDP_LOG_EVERY) {
        return;
    }

    lb_stream_udp_drop_logged[why] = lb_current_msec + 1;

    if (peer != NULL && (peer->sa_family == AF_INET
                         || peer->sa_family == AF_INET6))
    {
        lb_connection_addr_text(peer, text, sizeof(text));
    } else {
        snprintf(text, sizeof(text), "an unknown peer");
    }

    lb_log_error(lb_stream_udp_drop_level[why], &lb_log, err,
                 "udp listener \"%s\": %s (%s) dropped, %llu so far",
                 lu->listener->name, lb_stream_udp_drop_names[why], text,
                 (unsigned long long) lb_stream_udp_stat.drops[why]);
}
