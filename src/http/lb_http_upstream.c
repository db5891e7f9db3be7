/* weir: the target side of the L7 proxy: choosing a target, connections
 * from the worker's keep-alive pool or new ones, retries, and the pool.
 *
 * The pool keeps idle connections per target (newest first, at most
 * LB_HTTP_IDLE_PER_TARGET each and LB_HTTP_IDLE_MAX in all: the oldest
 * idle connection of the worker makes room). An idle connection is closed
 * when the target closes it or sends anything, after LB_HTTP_IDLE_TIMEOUT
 * ms, or when the worker stops.
 *
 * Retries (bounded by LB_HTTP_MAX_TRIES targets): a connect that fails or
 * times out is always retried on another target, since nothing was sent.
 * A connection that fails before any response byte is retried on another
 * target when the request is idempotent (GET, HEAD, OPTIONS, PUT, DELETE,
 * TRACE) and none of its body was sent. A pooled connection that turns
 * out closed before any response byte is replaced by a new connection to
 * the same target under the same rule: a POST or PATCH already written
 * is never sent twice, body or not (the target may have acted on it).
 * When no try is left: 504 if the last failure was a
 * timeout, else 502; 503 when the group has no usable target at all. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_http2_upstream.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_proxy_protocol.h"
#include "lb_time.h"

static void lb_http_upstream_connect(lb_http_session_t *s);
static lb_int_t lb_http_upstream_pp(lb_http_session_t *s);
static void lb_http_upstream_tls(lb_http_session_t *s);
static void lb_http_upstream_tls_done(lb_connection_t *u, lb_int_t rc);
static void lb_http_upstream_connected(lb_http_session_t *s);
static void lb_http_upstream_handler(lb_event_t *ev);
static void lb_http_upstream_timeout(lb_http_session_t *s, lb_event_t *ev);
static lb_connection_t *lb_http_idle_get(lb_http_peer_t *p,
    lb_http_session_t *s);
static lb_connection_t *lb_http_idle_take(lb_http_idle_t *idle,
    lb_http_session_t *s);
static void lb_http_idle_put(lb_http_peer_t *p, lb_connection_t *u,
    lb_http_session_t *s);
static void lb_http_idle_handler(lb_event_t *ev);
static void lb_http_idle_close(lb_http_idle_t *idle);
static bool lb_http_idempotent(lb_http_method_e m);


lb_int_t
lb_http_upstream_init(lb_pool_t *pool)
{
    uint32_t  i;

    lb_http_list_init(&lb_http_worker.idle_lru);
    lb_http_list_init(&lb_http_worker.idle_free);

    lb_http_worker.idle = lb_pcalloc(pool,
                                     LB_HTTP_IDLE_MAX * sizeof(lb_http_idle_t));
    if (lb_http_worker.idle == NULL) {
        return LB_ERROR;
    }

    for (i = 0; i < LB_HTTP_IDLE_MAX; i++) {
        lb_http_list_push(&lb_http_worker.idle_free,
                          &lb_http_worker.idle[i].lru_link);
    }

    lb_http_worker.nidle = 0;

    return LB_OK;
}


void
lb_http_upstream_start(lb_http_session_t *s)
{
    lb_http_peer_t      *p;
    lb_balancer_peer_t  *bp;

    s->tries++;

    p = lb_http_sticky_pick(s);

    if (p == NULL) {
        bp = lb_balancer_pick(s->group->bg, &s->breq);

        if (bp == NULL) {
            if (s->tries == 1) {
                lb_http_log_error(s, LB_LOG_ERR, 0, "no usable target");
                lb_http_error(s, 503, false);

            } else {
                lb_http_log_error(s, LB_LOG_ERR, 0,
                                  "no other usable target to try");
                lb_http_error(s, s->last_err == ETIMEDOUT ? 504 : 502,
                              false);
            }
            return;
        }

        p = &s->group->peers[bp->index];
        lb_http_sticky_chosen(s, p);
    }

    s->peer = p;
    s->target_text = p->bp->target->addr.text;

    if (p->bp->zone != NULL) {
        lb_zone_target_request(p->bp->zone);
    }

    if (s->group->h2) {
        /* streams on multiplexed connections (lb_http2_upstream.c) */
        lb_http2_upstream_attach(s);
        return;
    }

    s->upstream = lb_http_idle_get(p, s);

    if (s->upstream != NULL) {
        /* a PROXY group's connection said who the client is when it
         * was opened (for this very client) */
        s->pp_pos = 0;
        s->pp_len = 0;
        s->reused = 1;
        s->connected = lb_current_msec;
        lb_http_upstream_connected(s);
        return;
    }

    lb_http_upstream_connect(s);
}


/* lb_event_reclaim for HTTP, as nginx's "reusing connections": out of
 * descriptors, close the oldest pooled target connection, else the
 * oldest clients waiting between requests (keep-alive lets a server close
 * those), so that a request in hand gets its target and a new client its
 * socket. true when something was closed. */
bool
lb_http_free_descriptor(void)
{
    lb_uint_t        n;
    lb_http_link_t  *list;
    lb_http_conn_t  *hc;

    if (!lb_http_list_empty(&lb_http_worker.idle_lru)) {
        lb_http_idle_close(lb_http_list_data(lb_http_worker.idle_lru.prev,
                                             lb_http_idle_t, lru_link));
        return true;
    }

    for (n = 0; n < LB_HTTP_REUSE_CLIENTS; n++) {
        list = lb_http_list_empty(&lb_http_worker.idle_settled)
               ? &lb_http_worker.idle_clients : &lb_http_worker.idle_settled;

        if (lb_http_list_empty(list)) {
            break;
        }

        hc = lb_http_list_data(list->prev, lb_http_conn_t, idle_link);
        lb_http_conn_close(hc);
    }

    return n != 0;
}


/* a new connection to s->peer */
static void
lb_http_upstream_connect(lb_http_session_t *s)
{
    int                err;
    lb_int_t           rc;
    lb_target_t       *t;
    lb_connection_t   *u;

    t = s->peer->bp->target;
    s->reused = 0;
    s->up_sni = NULL;
    s->up_sni_len = 0;
    s->pp_pos = 0;
    s->pp_len = 0;

    if (s->group->proxy_protocol && lb_http_upstream_pp(s) != LB_OK) {
        lb_balancer_release(s->group->bg, s->peer->bp, LB_BALANCER_DONE);
        s->peer = NULL;
        lb_http_error(s, 500, false);
        return;
    }

    rc = lb_event_connect((struct sockaddr *) &t->addr.sa, t->addr.socklen,
                          &u, &err);

    if (rc == LB_DECLINED) {
        lb_http_upstream_failed(s, err, "connect() failed");
        return;
    }

    if (rc == LB_ERROR) {
        /* no socket or slot left in this worker: no target would do */
        lb_balancer_release(s->group->bg, s->peer->bp, LB_BALANCER_DONE);
        s->peer = NULL;
        lb_http_error(s, 502, false);
        return;
    }

    s->upstream = u;
    u->data = s;
    u->read->handler = lb_http_upstream_handler;
    u->write->handler = lb_http_upstream_handler;

    s->phase = LB_HTTP_PH_CONNECT;

    if (rc == LB_OK) {
        u->write->ready = 1;
        lb_http_upstream_tls(s);
        return;
    }

    lb_event_add_timer(u->write, s->listener->timeout_member_connect);
}


/* The PROXY protocol header for a new connection of s to its target
 * (SPEC 2): the client and the address it reached, from the listener or,
 * when that is a wildcard, from the socket (one getsockname() per new
 * connection of a PROXY group only). */
static lb_int_t
lb_http_upstream_pp(lb_http_session_t *s)
{
    size_t                    n;
    socklen_t                 len;
    lb_connection_t          *c;
    struct sockaddr_storage   ss;
    const struct sockaddr    *local;

    c = s->client;
    local = (const struct sockaddr *) &s->listener->addr.sa;

    if ((local->sa_family == AF_INET
         && ((const struct sockaddr_in *) local)->sin_addr.s_addr
            == htonl(INADDR_ANY))
        || (local->sa_family == AF_INET6
            && IN6_IS_ADDR_UNSPECIFIED(
                   &((const struct sockaddr_in6 *) local)->sin6_addr)))
    {
        len = sizeof(ss);

        if (getsockname(c->fd, (struct sockaddr *) &ss, &len) == -1) {
            lb_http_log_error(s, LB_LOG_ERR, errno, "getsockname() failed");
            return LB_ERROR;
        }

        local = (const struct sockaddr *) &ss;
    }

    n = lb_proxy_protocol_write(s->pp, sizeof(s->pp),
                                s->group->proxy_protocol, SOCK_STREAM,
                                (const struct sockaddr *) &c->sockaddr,
                                local);
    if (n == 0) {
        lb_http_log_error(s, LB_LOG_ALERT, 0,
                          "cannot build the PROXY protocol header");
        return LB_ERROR;
    }

    s->pp_pos = 0;
    s->pp_len = (uint32_t) n;

    return LB_OK;
}


/* connected: HTTPS target groups speak TLS first */
static void
lb_http_upstream_tls(lb_http_session_t *s)
{
    SSL_CTX            *ctx;
    lb_connection_t    *u;
    lb_target_group_t  *tg;

    u = s->upstream;

    if (u->write->timer_set) {
        lb_event_del_timer(u->write);
    }

    if (!s->group->tls) {
        s->connected = lb_current_msec;
        lb_http_upstream_connected(s);
        return;
    }

    tg = s->group->tg;
    ctx = lb_ssl_group_ctx(lb_http_worker.cycle, tg);

    /* tls_verify: the certificate names tls_verify_name, or the
     * target's address */
    if (ctx == NULL
        || lb_ssl_client_start(ctx, u, s->sni[0] ? s->sni : NULL,
                               tg->tls_verify_name != NULL
                               ? tg->tls_verify_name
                               : s->peer->bp->target->address,
                               s->listener->timeout_member_connect,
                               lb_http_upstream_tls_done)
           != LB_OK)
    {
        lb_http_upstream_failed(s, 0, "TLS with the target cannot start");
        return;
    }

    /* The name goes with the connection, in the pool of its slot (made
     * by the TLS start, reused by the slot's next connections): the pool
     * hands the connection only to requests for the same name. Once per
     * new connection, not per request. No copy: not pooled. */
    s->up_sni_len = s->sni_len;

    if (s->sni_len != 0 && u->pool != NULL) {
        s->up_sni = lb_palloc(u->pool, s->sni_len);
        if (s->up_sni != NULL) {
            memcpy((u_char *) s->up_sni, s->sni, s->sni_len);
        }
    }
}


static void
lb_http_upstream_tls_done(lb_connection_t *u, lb_int_t rc)
{
    lb_http_session_t  *s;

    s = u->data;

    if (u->close) {
        lb_http_close(s);
        return;
    }

    if (rc != LB_OK) {
        lb_http_upstream_failed(s, u->read->timedout ? ETIMEDOUT : EPROTO,
                                "the TLS handshake with the target failed");
        return;
    }

    s->connected = lb_current_msec;
    lb_http_upstream_connected(s);
}


static void
lb_http_upstream_connected(lb_http_session_t *s)
{
    lb_connection_t  *u;

    u = s->upstream;
    u->data = s;
    u->read->handler = lb_http_upstream_handler;
    u->write->handler = lb_http_upstream_handler;

    if (u->write->timer_set) {
        lb_event_del_timer(u->write);
    }

    s->phase = LB_HTTP_PH_PROXY;
    s->up_write_at = lb_current_msec;
    s->up_read_at = lb_current_msec;
    s->client_read_at = lb_current_msec;

    if (lb_log.level >= LB_LOG_DEBUG) {
        lb_http_log_error(s, LB_LOG_DEBUG, 0, s->reused
                          ? "reusing a connection to the target"
                          : "connected to the target");
    }

    (void) lb_http_proxy(s);
}


static void
lb_http_upstream_handler(lb_event_t *ev)
{
    int                 err;
    lb_connection_t    *u;
    lb_http_session_t  *s;

    u = ev->data;
    s = u->data;

    if (u->close) {
        lb_http_close(s);
        return;
    }

    if (s->phase == LB_HTTP_PH_CONNECT) {
        /* only the write event (or its timer) tells the outcome */
        if (!ev->write) {
            return;
        }

        if (ev->timedout) {
            ev->timedout = 0;
            lb_http_upstream_failed(s, ETIMEDOUT, "connect() timed out");
            return;
        }

        err = lb_event_connect_result(u);
        if (err) {
            lb_http_upstream_failed(s, err, "connect() failed");
            return;
        }

        lb_http_upstream_tls(s);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        lb_http_upstream_timeout(s, ev);
        return;
    }

    lb_http_run(s);
}


/* the target did not read or did not answer for timeout_member_data */
static void
lb_http_upstream_timeout(lb_http_session_t *s, lb_event_t *ev)
{
    lb_http_log_error(s, LB_LOG_ERR, ETIMEDOUT, ev->write
                      ? "the target did not read the request in time "
                        "(timeout_member_data)"
                      : "the target did not answer in time "
                        "(timeout_member_data)");

    s->upstream_bad = 1;

    if (s->peer != NULL && s->peer->bp->zone != NULL) {
        lb_zone_target_failure(s->peer->bp->zone);
    }

    if (!s->resp_head_sent) {
        lb_http_error(s, 504, false);
        return;
    }

    lb_http_close(s);
}


void
lb_http_upstream_failed(lb_http_session_t *s, int err, const char *what)
{
    bool  retry;

    lb_http_log_error(s, err == ETIMEDOUT || err == ECONNREFUSED
                         ? LB_LOG_ERR : LB_LOG_WARN, err, what);

    s->last_err = err;

    if (s->upstream != NULL) {
        lb_close_connection(s->upstream);
        s->upstream = NULL;
    }

    lb_http2_upstream_detach(s);

    /* nothing reached the target (the head goes first), or nothing
     * that cannot be sent twice. A pooled connection that ends before a
     * response byte does not prove that the target never saw the
     * request: it may have acted on it and died, or closed the idle
     * connection as the request crossed. So a POST or PATCH (even
     * without a body) once written goes nowhere again, as with nginx */
    retry = (!s->req_head_sent && s->out.pos == s->out.start)
            || (s->req_body.sent == 0 && lb_http_idempotent(s->req.method));

    /* most likely a pooled connection the target had closed: a new
     * connection to the same target is not counted as a try */
    if (s->reused && retry) {
        s->reused = 0;
        s->req_head_sent = 0;
        s->out.pos = s->out.start;

        if (s->group->h2) {
            s->h2_fresh = 1;
            lb_http2_upstream_attach(s);
            return;
        }

        lb_http_upstream_connect(s);
        return;
    }

    lb_balancer_release(s->group->bg, s->peer->bp, LB_BALANCER_FAILED);
    s->peer = NULL;

    if (!retry || s->tries >= LB_HTTP_MAX_TRIES) {
        lb_http_error(s, err == ETIMEDOUT ? 504 : 502, false);
        return;
    }

    /* the head in out goes again, to another target */
    s->req_head_sent = 0;
    s->out.pos = s->out.start;
    s->uin.pos = s->uin.start;
    s->uin.last = s->uin.start;
    s->connected = 0;
    s->responded = 0;
    s->got_interim = 0;
    lb_http_msg_init(&s->resp, s->resp_headers, LB_HTTP_HEADERS, &s->limits);

    lb_http_upstream_start(s);
}


void
lb_http_upstream_finish(lb_http_session_t *s, bool keep)
{
    lb_connection_t  *u;

    u = s->upstream;
    s->upstream = NULL;

    lb_http2_upstream_detach(s);

    if (s->peer != NULL) {
        if (s->peer->bp->zone != NULL) {
            lb_zone_target_bytes(s->peer->bp->zone, s->target_in,
                                 s->target_out);
        }

        lb_balancer_release(s->group->bg, s->peer->bp, LB_BALANCER_DONE);
    }

    if (u == NULL) {
        return;
    }

    /* a target of a group of an older generation keeps nothing: its
     * peer goes with that generation */
    if (keep && s->peer != NULL && !lb_http_worker.quitting
        && s->group->generation == lb_http_worker.generation
        && !u->read->pending_eof && !u->read->error
        && (s->up_sni_len == 0 || s->up_sni != NULL))
    {
        lb_http_idle_put(s->peer, u, s);
        return;
    }

    lb_close_connection(u);
}


void
lb_http_upstream_close_private(lb_http_conn_t *hc)
{
    if (hc->private_idle != NULL) {
        lb_http_idle_close(hc->private_idle);
    }
}


void
lb_http_upstream_close_idle(void)
{
    lb_http_link_t  *l;

    while (!lb_http_list_empty(&lb_http_worker.idle_lru)) {
        l = lb_http_worker.idle_lru.next;
        lb_http_idle_close(lb_http_list_data(l, lb_http_idle_t, lru_link));
    }

    lb_http2_upstream_close_idle();
}


/* The pool is newest first: from its oldest end, the connections idle
 * for LB_HTTP_IDLE_TIMEOUT are closed (at most LB_HTTP_TRIM_MAX a tick),
 * and those idle through a whole tick give back their TLS buffers. */
void
lb_http_upstream_settle(void)
{
    lb_uint_t        closed;
    lb_http_link_t  *l, *prev;
    lb_http_idle_t  *idle;

    closed = 0;

    for (l = lb_http_worker.idle_lru.prev; l != &lb_http_worker.idle_lru;
         l = prev)
    {
        prev = l->prev;
        idle = lb_http_list_data(l, lb_http_idle_t, lru_link);

        if (lb_current_msec - idle->since < LB_HTTP_SETTLE) {
            break;
        }

        if (lb_current_msec - idle->since >= LB_HTTP_IDLE_TIMEOUT
            && closed < LB_HTTP_TRIM_MAX)
        {
            lb_log_debug(&lb_log, "*%lu an idle target connection timed out",
                         (unsigned long) idle->c->number);
            lb_http_idle_close(idle);
            closed++;
            continue;
        }

        if (!idle->settled) {
            idle->settled = 1;
            lb_ssl_free_buffers(idle->c);
        }
    }
}


/* the newest idle connection to p (opened with the same TLS server
 * name as s needs; for a PROXY group, the one kept for this client
 * connection) that still looks alive */
static lb_connection_t *
lb_http_idle_get(lb_http_peer_t *p, lb_http_session_t *s)
{
    lb_http_link_t   *l, *next;
    lb_connection_t  *u;
    lb_http_idle_t   *idle;

    if (s->group->proxy_protocol) {
        /* no other client's: no list to search */
        idle = s->conn->private_idle;

        if (idle == NULL || idle->peer != p) {
            return NULL;
        }

        if (idle->c->read->pending_eof || idle->c->read->error) {
            lb_http_idle_close(idle);
            return NULL;
        }

        return lb_http_idle_take(idle, s);
    }

    for (l = p->idle.next; l != &p->idle; l = next) {
        next = l->next;
        idle = lb_http_list_data(l, lb_http_idle_t, peer_link);
        u = idle->c;

        if (u->read->pending_eof || u->read->error) {
            lb_http_idle_close(idle);
            continue;
        }

        /* the hash is only a fast way to skip most other names: a
         * client picks the name, and may pick one whose hash collides */
        if (idle->sni_hash != s->sni_hash || idle->sni_len != s->sni_len
            || (s->sni_len != 0
                && memcmp(idle->sni, s->sni, s->sni_len) != 0))
        {
            continue;
        }

        return lb_http_idle_take(idle, s);
    }

    return NULL;
}


/* idle leaves the pool for s, which learns the connection's server
 * name */
static lb_connection_t *
lb_http_idle_take(lb_http_idle_t *idle, lb_http_session_t *s)
{
    lb_connection_t  *u;

    u = idle->c;
    s->up_sni = idle->sni;
    s->up_sni_len = idle->sni_len;

    if (idle->owner != NULL) {
        idle->owner->private_idle = NULL;
        idle->owner = NULL;
    }

    lb_http_list_remove(&idle->peer_link);
    lb_http_list_remove(&idle->lru_link);
    lb_http_list_push(&lb_http_worker.idle_free, &idle->lru_link);
    idle->peer->nidle--;
    lb_http_worker.nidle--;
    idle->c = NULL;

    if (u->read->timer_set) {
        lb_event_del_timer(u->read);
    }

    return u;
}


static void
lb_http_idle_put(lb_http_peer_t *p, lb_connection_t *u, lb_http_session_t *s)
{
    lb_http_idle_t  *idle;
    lb_http_conn_t  *owner;

    /* A connection to a PROXY group began with this client's addresses:
     * it may serve this client connection's next requests, never another
     * client's (HAProxy keeps such connections private too). One at a
     * time: the one kept before (to another target) goes. */
    owner = s->group->proxy_protocol ? s->conn : NULL;

    if (owner != NULL && owner->private_idle != NULL) {
        lb_http_idle_close(owner->private_idle);
    }

    if (p->nidle >= LB_HTTP_IDLE_PER_TARGET) {
        /* the oldest of this target makes room */
        lb_http_idle_close(lb_http_list_data(p->idle.prev, lb_http_idle_t,
                                             peer_link));
    }

    if (lb_http_list_empty(&lb_http_worker.idle_free)) {
        /* the oldest of the worker makes room */
        lb_http_idle_close(lb_http_list_data(lb_http_worker.idle_lru.prev,
                                             lb_http_idle_t, lru_link));
    }

    idle = lb_http_list_data(lb_http_worker.idle_free.next, lb_http_idle_t,
                             lru_link);
    lb_http_list_remove(&idle->lru_link);

    idle->c = u;
    idle->peer = p;
    idle->owner = owner;

    if (owner != NULL) {
        owner->private_idle = idle;
    }

    idle->sni = s->up_sni;
    idle->sni_len = s->up_sni_len;
    idle->sni_hash = s->sni_hash;
    idle->since = lb_current_msec;
    idle->settled = 0;
    lb_http_list_push(&p->idle, &idle->peer_link);
    lb_http_list_push(&lb_http_worker.idle_lru, &idle->lru_link);
    p->nidle++;
    lb_http_worker.nidle++;

    u->data = idle;
    u->read->handler = lb_http_idle_handler;
    u->write->handler = lb_http_idle_handler;

    /* the tick times it out (lb_http_upstream_settle()) */
    if (u->write->timer_set) {
        lb_event_del_timer(u->write);
    }

    if (u->read->timer_set) {
        lb_event_del_timer(u->read);
    }
}


/* anything on an idle connection ends it: the target closed it, sent
 * what nobody asked for, or it idled too long */
static void
lb_http_idle_handler(lb_event_t *ev)
{
    int               err;
    u_char            scratch[512];
    ssize_t           n;
    lb_connection_t  *u;
    lb_http_buf_t     b;
    lb_http_idle_t   *idle;

    u = ev->data;
    idle = u->data;

    if (ev->write && !ev->timedout && !u->close) {
        /* writable: nothing to say */
        return;
    }

    if (!u->close && !ev->timedout && u->ssl != NULL && !ev->error) {
        /* TLS 1.3 servers send session tickets after the handshake:
         * records without data leave the connection as it was */
        b.start = b.pos = b.last = scratch;
        b.end = scratch + sizeof(scratch);

        n = lb_http_recv(u, &b, &err);

        if (n == LB_AGAIN) {
            return;
        }
    }

    if (!u->close && !ev->timedout && !ev->pending_eof && !ev->error) {
        /* readable without a FIN: bytes no request asked for */
        lb_log_debug(&lb_log, "*%lu an idle target connection got data",
                     (unsigned long) u->number);
    }

    lb_http_idle_close(idle);
}


static void
lb_http_idle_close(lb_http_idle_t *idle)
{
    if (idle->owner != NULL) {
        idle->owner->private_idle = NULL;
        idle->owner = NULL;
    }

    lb_http_list_remove(&idle->peer_link);
    lb_http_list_remove(&idle->lru_link);
    lb_http_list_push(&lb_http_worker.idle_free, &idle->lru_link);
    idle->peer->nidle--;
    lb_http_worker.nidle--;

    lb_close_connection(idle->c);
    idle->c = NULL;
}


/* RFC 9110 9.2.2 */
static bool
lb_http_idempotent(lb_http_method_e m)
{
    switch (m) {
    case LB_HTTP_METHOD_GET:
    case LB_HTTP_METHOD_HEAD:
    case LB_HTTP_METHOD_OPTIONS:
    case LB_HTTP_METHOD_PUT:
    case LB_HTTP_METHOD_DELETE:
    case LB_HTTP_METHOD_TRACE:
        return true;
    default:
        return false;
    }
}
