/* weir: the client side of the L7 proxy: a session per client connection,
 * reading each request head, routing it, keep-alive between requests and
 * the timeouts of the client. Errors are answered by lb_http_error.c.
 *
 * Timeouts: the whole request head must arrive within the listener's
 * timeout_client_header, counted from the connection (first request) or
 * from the head's first byte (later ones), never moved by each byte that
 * arrives, so a client sending a byte at a time is cut off too
 * (slowloris); a request body, a client that does not read the response,
 * and a connection idle between requests get timeout_client_data.
 *
 * A head that breaks a rule of lb_http_parse.h is answered with the
 * parser's status (400, 414, 431, 501, 505) and the connection closed;
 * nothing of it reaches a target. A CONNECT request is answered 405: a
 * reverse proxy does not open tunnels to arbitrary places.
 *
 * Memory: a connection waiting for a request (before its first byte or
 * between requests) holds only an lb_http_conn_t in its small pool. Its
 * session, with the three buffers, is taken from the worker's free list
 * when bytes come (lb_http_idle_handler() reads into it, and gives it back
 * when the read finds nothing) and given back when the response is out
 * and no pipelined bytes wait (lb_http_keepalive()). Taking and giving
 * never map or unmap: with many keep-alive clients each between two
 * requests for a moment, a list trimmed on every give would map and unmap
 * a session every few requests. The worker's tick trims it instead
 * (lb_http_sessions_trim()): what a burst leaves over goes back to the
 * system within seconds, at a bounded rate.
 *
 * Routing, lb_http_route(): the listener's L7 policies first
 * (lb_http_l7.c: a group, a redirect or a 403), then its default target
 * group (none: 503, SPEC 1). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_limit.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_hash.h"
#include "lb_http2_upstream.h"
#include "lb_http2.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"
#include "lb_zone_gauge.h"

/* a session and its three buffers in one mapping */
#define LB_HTTP_SESSION_SIZE                                              \
    lb_align(sizeof(lb_http_session_t), 64)
#define LB_HTTP_SESSION_MAP                                               \
    (LB_HTTP_SESSION_SIZE + 2 * LB_HTTP_BUFFER_SIZE + LB_HTTP_OUT_SIZE)

static void lb_http_ssl_handshaked(lb_connection_t *c, lb_int_t rc);
static void lb_http_idle_handler(lb_event_t *ev);
static lb_http_session_t *lb_http_session_take(lb_http_conn_t *hc);
static void lb_http_session_give(lb_http_session_t *s);
static void lb_http_conn_log(lb_http_conn_t *hc, unsigned level, int err,
    const char *what);
static void lb_http_client_handler(lb_event_t *ev);
static void lb_http_client_timeout(lb_http_session_t *s, lb_event_t *ev);
static void lb_http_request_init(lb_http_session_t *s);
static void lb_http_read_head(lb_http_session_t *s);
static void lb_http_request_start(lb_http_session_t *s);
static lb_int_t lb_http_tried_init(lb_http_session_t *s);
static lb_target_group_t *lb_http_route(lb_http_session_t *s,
    bool *answered);
static void lb_http_route_redirect(lb_http_session_t *s,
    const lb_l7_policy_t *p) __attribute__((noinline));
static lb_int_t lb_http_request_head_out(lb_http_session_t *s);
static void lb_http_finish(lb_http_session_t *s);
static void lb_http_linger(lb_http_session_t *s);
static void lb_http_keepalive(lb_http_session_t *s);


void
lb_http_init_connection(lb_connection_t *c)
{
    SSL_CTX            *ctx;
    lb_listener_t      *l;
    lb_http_conn_t     *hc;
    bool                refused;

    l = c->listening->listener;

    hc = lb_pcalloc(c->pool, sizeof(lb_http_conn_t));
    if (hc == NULL) {
        lb_log_error(LB_LOG_CRIT, &lb_log, 0,
                     "*%lu out of memory for an HTTP connection, client "
                     "closed", (unsigned long) c->number);
        lb_close_connection(c);
        return;
    }

    hc->client = c;
    hc->listener = l;

    /* the first head's time runs from the connection on, TLS handshake
     * included */
    hc->start = lb_current_msec;

    c->data = hc;
    c->read->handler = lb_http_idle_handler;
    c->write->handler = lb_http_idle_handler;

    /* the listener's connection_limit, counted with its TCP and TLS
     * siblings' in the shared zone (lb_event_limit.h) */
    hc->limit = lb_event_limit_enter(c->listening, &refused);

    if (refused) {
        lb_http_conn_log(hc, LB_LOG_INFO, 0,
                         "connection_limit reached, client closed");
        lb_http_conn_close(hc);
        return;
    }

    if (l->protocol != LB_LISTENER_HTTPS) {
        lb_event_add_timer(c->read, l->timeout_client_header);
        return;
    }

    ctx = lb_ssl_listener_ctx(l);

    if (ctx == NULL
        || lb_ssl_create_connection(ctx, c, LB_SSL_SERVER) != LB_OK)
    {
        lb_http_conn_close(hc);
        return;
    }

    lb_ssl_handshake_run(c, l->timeout_client_header,
                         lb_http_ssl_handshaked);
}


void
lb_http_init_stream(lb_http_conn_t *hc)
{
    lb_connection_t  *c;

    c = hc->client;

    hc->start = lb_current_msec;
    c->data = hc;
    c->read->handler = lb_http_idle_handler;
    c->write->handler = lb_http_idle_handler;
}


static void
lb_http_ssl_handshaked(lb_connection_t *c, lb_int_t rc)
{
    lb_msec_t        spent;
    lb_http_conn_t  *hc;

    hc = c->data;

    if (rc != LB_OK) {
        lb_http_conn_close(hc);
        return;
    }

    c->read->handler = lb_http_idle_handler;
    c->write->handler = lb_http_idle_handler;

    spent = lb_current_msec - hc->start;

    if (spent >= hc->listener->timeout_client_header) {
        lb_http_conn_close(hc);
        return;
    }

    if (lb_ssl_alpn_h2(c)) {
        /* its own timers from here on */
        lb_http2_init_connection(hc);
        return;
    }

    lb_event_add_timer(c->read, hc->listener->timeout_client_header - spent);

    /* bytes may already wait in OpenSSL's buffers: no edge will tell */
    lb_event_post(c->read);
}


/* A connection without a session: before its first request or between
 * two. Buffers are taken only when bytes come: the session is taken and
 * read into, and given back when the read finds nothing after all. */
static void
lb_http_idle_handler(lb_event_t *ev)
{
    int                 err;
    ssize_t             n;
    lb_connection_t    *c;
    lb_http_conn_t     *hc;
    lb_http_session_t  *s;

    c = ev->data;
    hc = c->data;

    if (c->close) {
        lb_http_conn_close(hc);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;

        if (hc->served) {
            lb_log_debug(&lb_log, "*%lu keep-alive timeout",
                         (unsigned long) c->number);

        } else {
            lb_http_conn_log(hc, LB_LOG_INFO, ETIMEDOUT,
                             "the request head did not arrive in time "
                             "(timeout_client_header)");
        }

        lb_http_conn_close(hc);
        return;
    }

    if (ev->write || !c->read->ready) {
        return;
    }

    s = lb_http_session_take(hc);
    if (s == NULL) {
        lb_http_conn_close(hc);
        return;
    }

    n = lb_http_recv(c, &s->cin, &err);

    if (n == LB_AGAIN) {
        lb_http_session_give(s);
        return;
    }

    if (n == 0 || n == LB_ERROR) {
        /* nothing of a request came: no log */
        lb_http_close(s);
        return;
    }

    if (hc->in_idle_list) {
        lb_http_list_remove(&hc->idle_link);
        hc->in_idle_list = 0;
    }

    s->head_started = 1;

    if (hc->served) {
        /* a later request: its head's time runs from its first byte */
        s->start = lb_current_msec;
        lb_event_add_timer(c->read, hc->listener->timeout_client_header);

    } else {
        /* the first one's from the connection: its timer runs already */
        s->start = hc->start;
    }

    lb_http_read_head(s);
}


/* A session for hc, from the free list (or allocated, when every one is
 * in use: the list grows to the peak and is reused), with empty buffers;
 * c->data is the session then. NULL when out of memory (logged). */
static lb_http_session_t *
lb_http_session_take(lb_http_conn_t *hc)
{
    u_char             *p;
    lb_connection_t    *c;
    lb_http_session_t  *s;

    c = hc->client;
    s = lb_http_worker.free_sessions;

    if (s != NULL) {
        lb_http_worker.free_sessions = s->next_free;
        p = s->cin.start;

        lb_http_worker.nfree--;

        if (lb_http_worker.nfree < lb_http_worker.nfree_low) {
            lb_http_worker.nfree_low = lb_http_worker.nfree;
        }

    } else {
        /* mapped, not malloc()ed: a session trimmed after a burst goes
         * back to the system at once, wherever it lies */
        p = mmap(NULL, LB_HTTP_SESSION_MAP, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            lb_log_error(LB_LOG_CRIT, &lb_log, errno,
                         "*%lu mmap() of an HTTP session failed, client "
                         "closed", (unsigned long) c->number);
            return NULL;
        }

        lb_http_worker.nsessions++;
        s = (lb_http_session_t *) p;
        p += LB_HTTP_SESSION_SIZE;
    }

    memset(s, 0, sizeof(lb_http_session_t));

    s->cin.start = s->cin.pos = s->cin.last = p;
    s->cin.end = p + LB_HTTP_BUFFER_SIZE;
    p += LB_HTTP_BUFFER_SIZE;
    s->uin.start = s->uin.pos = s->uin.last = p;
    s->uin.end = p + LB_HTTP_BUFFER_SIZE;
    p += LB_HTTP_BUFFER_SIZE;
    s->out.start = s->out.pos = s->out.last = p;
    s->out.end = p + LB_HTTP_OUT_SIZE;

    /* a head fills at most one buffer */
    s->limits.max_line = LB_HTTP_MAX_LINE;
    s->limits.max_field = LB_HTTP_MAX_FIELD;
    s->limits.max_head = LB_HTTP_BUFFER_SIZE;

    s->client = c;
    s->listener = hc->listener;
    s->conn = hc;
    s->client_h2 = (hc->stream != NULL);
    s->requests = hc->requests;
    s->tried_bits = hc->tried_bits;
    s->tried_cap = hc->tried_cap;

    lb_http_request_init(s);
    s->phase = LB_HTTP_PH_HEAD;

    hc->session = s;
    c->data = s;
    c->read->handler = lb_http_client_handler;
    c->write->handler = lb_http_client_handler;

    return s;
}


/* The connection waits with no session: s goes back to the free list
 * (its memory stays readable until the tick trims the list). */
static void
lb_http_session_give(lb_http_session_t *s)
{
    lb_http_conn_t  *hc;

    hc = s->conn;

    if (hc != NULL) {
        hc->requests = s->requests;
        hc->tried_bits = s->tried_bits;
        hc->tried_cap = s->tried_cap;
        hc->session = NULL;

        if (s->client != NULL) {
            s->client->data = hc;
            s->client->read->handler = lb_http_idle_handler;
            s->client->write->handler = lb_http_idle_handler;
        }
    }

    s->conn = NULL;
    s->next_free = lb_http_worker.free_sessions;
    lb_http_worker.free_sessions = s;
    lb_http_worker.nfree++;
}


/* The free list is LIFO, so the sessions that no request took during a
 * tick are its last nfree_low ones (the list's low watermark). Those that
 * stayed untouched through this tick and the one before, beyond
 * LB_HTTP_SESSIONS_KEEP, are unmapped: two ticks, so that a number in use
 * that swings from one second to the next does not map again what the
 * last trim took. At most LB_HTTP_TRIM_MAX a tick, so that a large
 * burst's end costs the loop little at a time. Runs from the tick,
 * between loop iterations: no handler is using a free session then. */
void
lb_http_sessions_trim(void)
{
    uint32_t            n, keep, i, untouched;
    lb_http_session_t  *s, *victim;

    n = 0;
    untouched = lb_min(lb_http_worker.nfree_low,
                       lb_http_worker.nfree_low_prev);

    if (untouched > LB_HTTP_SESSIONS_KEEP) {
        n = lb_min(untouched - LB_HTTP_SESSIONS_KEEP, LB_HTTP_TRIM_MAX);
    }

    if (n != 0) {
        /* the newest stay: their pages are warm (keep >= KEEP >= 1) */
        keep = lb_http_worker.nfree - n;
        s = lb_http_worker.free_sessions;

        for (i = 1; i < keep; i++) {
            s = s->next_free;
        }

        victim = s->next_free;
        s->next_free = NULL;

        lb_http_worker.nfree -= n;
        lb_http_worker.nsessions -= n;

        while (victim != NULL) {
            s = victim;
            victim = victim->next_free;

            if (munmap(s, LB_HTTP_SESSION_MAP) == -1) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "munmap() failed");
            }
        }
    }

    /* this tick's untouched ones that stay, for the next call */
    lb_http_worker.nfree_low_prev = lb_http_worker.nfree_low - n;
    lb_http_worker.nfree_low = lb_http_worker.nfree;
}


/* Clean request state; cin keeps what the client sent after the last
 * request. */
static void
lb_http_request_init(lb_http_session_t *s)
{
    lb_http_msg_init(&s->req, s->req_headers, LB_HTTP_HEADERS, &s->limits);
    lb_http_msg_init(&s->resp, s->resp_headers, LB_HTTP_HEADERS,
                     &s->limits);

    memset(&s->req_body, 0, sizeof(lb_http_body_t));
    memset(&s->resp_body, 0, sizeof(lb_http_body_t));

    s->page = NULL;
    s->page_len = 0;
    s->group = NULL;
    s->peer = NULL;
    s->tries = 0;
    s->last_err = 0;
    s->status = 0;
    s->set_cookie_len = 0;
    s->app_key_len = 0;
    s->start = 0;
    s->connected = 0;
    s->responded = 0;
    s->client_bytes = 0;
    s->target_in = 0;
    s->target_out = 0;
    s->line_len = 0;
    s->target_text = NULL;

    s->head_started = 0;
    s->req_head_sent = 0;
    s->resp_head_done = 0;
    s->resp_head_sent = 0;
    s->reused = 0;
    s->pp_pos = 0;
    s->pp_len = 0;
    s->keep_client = 0;
    s->upstream_bad = 0;
    s->req_aborted = 0;
    s->close_after = 0;
    s->got_interim = 0;
    s->h2_fresh = 0;

    s->uin.pos = s->uin.last = s->uin.start;
    s->out.pos = s->out.last = s->out.start;
}


static void
lb_http_client_handler(lb_event_t *ev)
{
    lb_connection_t    *c;
    lb_http_session_t  *s;

    c = ev->data;
    s = c->data;

    if (c->close) {
        lb_http_close(s);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        lb_http_client_timeout(s, ev);
        return;
    }

    lb_http_run(s);
}


void
lb_http_run(lb_http_session_t *s)
{
    switch (s->phase) {

    case LB_HTTP_PH_IDLE:
    case LB_HTTP_PH_HEAD:
        lb_http_read_head(s);
        return;

    case LB_HTTP_PH_CONNECT:
        /* the client waits; what it sends stays in the socket */
        return;

    case LB_HTTP_PH_PROXY:
        (void) lb_http_proxy(s);
        return;

    case LB_HTTP_PH_TUNNEL:
        (void) lb_http_tunnel(s);
        return;

    case LB_HTTP_PH_ERROR:
        lb_http_error_send(s);
        return;

    case LB_HTTP_PH_LINGER:
        lb_http_linger(s);
        return;
    }
}


static void
lb_http_client_timeout(lb_http_session_t *s, lb_event_t *ev)
{
    switch (s->phase) {

    case LB_HTTP_PH_IDLE:
        lb_log_debug(&lb_log, "*%lu keep-alive timeout",
                     (unsigned long) s->client->number);
        lb_http_close(s);
        return;

    case LB_HTTP_PH_HEAD:
        lb_http_log_error(s, LB_LOG_INFO, ETIMEDOUT,
                          "the request head did not arrive in time "
                          "(timeout_client_header)");

        if (s->head_started) {
            lb_http_error(s, 408, true);

        } else {
            lb_http_close(s);
        }
        return;

    case LB_HTTP_PH_TUNNEL:
        /* an idle timer: it fires only once the tunnel was quiet for
         * the whole timeout (lb_http_tunnel()) */
        lb_http_log_error(s, LB_LOG_INFO, ETIMEDOUT,
                          "the tunnel was idle (timeout_client_data)");
        lb_http_close(s);
        return;

    case LB_HTTP_PH_PROXY:
        if (!ev->write && !s->resp_head_sent) {
            lb_http_log_error(s, LB_LOG_INFO, ETIMEDOUT,
                              "the request body did not arrive in time "
                              "(timeout_client_data)");
            lb_http_error(s, 408, true);
            return;
        }

        lb_http_log_error(s, LB_LOG_INFO, ETIMEDOUT, ev->write
                          ? "the client did not read the response in time "
                            "(timeout_client_data)"
                          : "the request body did not arrive in time "
                            "(timeout_client_data)");
        lb_http_close(s);
        return;

    case LB_HTTP_PH_ERROR:
        lb_http_log_error(s, LB_LOG_INFO, ETIMEDOUT,
                          "the client did not read the error response in "
                          "time");
        lb_http_close(s);
        return;

    case LB_HTTP_PH_LINGER:
        lb_http_close(s);
        return;

    case LB_HTTP_PH_CONNECT:
        return;
    }
}


static void
lb_http_read_head(lb_http_session_t *s)
{
    int               err;
    ssize_t           n;
    lb_int_t          rc;
    lb_connection_t  *c;

    c = s->client;

    for ( ;; ) {
        if (s->cin.last > s->cin.start) {
            rc = lb_http_parse_request(&s->req, s->cin.start, s->cin.last);

            if (rc == LB_OK) {
                lb_http_request_start(s);
                return;
            }

            if (rc == LB_ERROR) {
                lb_http_log_error(s, LB_LOG_INFO, 0, s->req.reason);
                lb_http_error(s, s->req.status, true);
                return;
            }

            if (s->cin.last == s->cin.end) {
                /* the parser's limit is the buffer: cannot happen */
                lb_http_error(s, 431, true);
                return;
            }
        }

        if (!c->read->ready) {
            return;
        }

        n = lb_http_recv(c, &s->cin, &err);

        if (n == LB_AGAIN) {
            return;
        }

        if (n == 0 || n == LB_ERROR) {
            if (s->cin.last > s->cin.start) {
                lb_http_log_error(s, LB_LOG_INFO, n == 0 ? 0 : err,
                                  "the client closed the connection in "
                                  "the request head");
            }

            lb_http_close(s);
            return;
        }

        s->head_started = 1;
    }
}


/* A complete request head is at the start of cin. */
static void
lb_http_request_start(lb_http_session_t *s)
{
    const char         *reason;
    bool                answered;
    lb_connection_t    *c;
    lb_target_group_t  *tg;

    c = s->client;

    s->head_started = 1;
    s->line_len = lb_min(s->req.start_line.len, LB_HTTP_LOG_LINE);
    memcpy(s->line, s->cin.start + s->req.start_line.off, s->line_len);

    if (s->client_h2 && s->line_len > 8 && s->line_len < LB_HTTP_LOG_LINE) {
        /* the line lb_http2.c wrote ends in HTTP/1.1: the log says what
         * the client spoke, as nginx's does */
        memcpy(s->line + s->line_len - 8, "HTTP/2.0", 8);
    }

    if (c->read->timer_set) {
        lb_event_del_timer(c->read);
    }

    s->cin.pos = s->cin.start + s->req.head_len;
    lb_http_body_init(&s->req_body, &s->req, &s->cin);

    if (s->req.method == LB_HTTP_METHOD_CONNECT) {
        lb_http_log_error(s, LB_LOG_INFO, 0, "CONNECT is not allowed");
        lb_http_error(s, 405, true);
        return;
    }

    if (lb_http_body_parse(&s->req_body, &s->cin, &reason) != LB_OK) {
        lb_http_log_error(s, LB_LOG_INFO, 0, reason);
        lb_http_error(s, 400, true);
        return;
    }

    /* Only WebSocket is tunnelled. Any other Upgrade (h2c above all)
     * would carry the connection past the parser, the forwarded headers
     * and the access log: the request goes on without it, as a plain
     * HTTP/1.1 request (as nginx passes no Upgrade unless told to), and
     * a 101 the target answers anyway is a 502 (lb_http_response.c) */
    if (s->req.upgrade && !lb_http_upgrade_allowed(&s->req, s->cin.start)) {
        lb_http_log_error(s, LB_LOG_INFO, 0,
                          "an Upgrade other than websocket, passed on "
                          "without it");
        s->req.upgrade = 0;
    }

    tg = lb_http_route(s, &answered);

    if (answered) {
        return;
    }

    if (tg == NULL) {
        lb_http_log_error(s, LB_LOG_INFO, 0,
                          "the listener has no target group");
        lb_http_error(s, 503, false);
        return;
    }

    s->group = lb_http_group(tg);
    s->te_trailers = s->group->h2 && lb_http2_upstream_te_trailers(s);

    /* HTTPS targets get the request's host as their server name (no
     * literal addresses: RFC 6066) */
    s->sni[0] = '\0';
    s->sni_len = 0;
    s->sni_hash = 0;

    if (s->group->tls && s->req.host.len != 0
        && s->req.host.len < sizeof(s->sni)
        && s->cin.start[s->req.host.off] != '[')
    {
        memcpy(s->sni, s->cin.start + s->req.host.off, s->req.host.len);
        s->sni[s->req.host.len] = '\0';
        s->sni_len = s->req.host.len;
        /* keyed: the client chooses the name */
        s->sni_hash = (uint32_t) lb_hash_keyed(lb_hash_process_key(),
                                               s->sni, s->req.host.len) | 1;
    }

    if (lb_http_tried_init(s) != LB_OK) {
        lb_http_error(s, 500, true);
        return;
    }

    s->breq.tried = &s->tried;
    s->breq.client = (struct sockaddr *) &c->sockaddr;
    s->breq.client_len = c->socklen;

    if (lb_http_request_head_out(s) != LB_OK) {
        lb_http_log_error(s, LB_LOG_INFO, 0,
                          "the request head does not fit with the "
                          "forwarded headers");
        lb_http_error(s, 431, true);
        return;
    }

    lb_http_upstream_start(s);
}


/* Nothing tried yet. Groups of more than 256 targets need bits from the
 * pool: taken once per session at the largest size seen, so that a
 * keep-alive connection does not grow its pool with every request. */
static lb_int_t
lb_http_tried_init(lb_http_session_t *s)
{
    size_t    n;
    uint32_t  npeers;

    npeers = s->group->bg->npeers;
    n = (npeers + LB_BALANCER_BITS - 1) / LB_BALANCER_BITS;

    if (n <= lb_nelems(s->tried.inline_bits)) {
        return lb_balancer_tried_init(&s->tried, NULL, npeers);
    }

    if (n > s->tried_cap) {
        s->tried_bits = lb_palloc(s->client->pool, n * sizeof(uintptr_t));
        if (s->tried_bits == NULL) {
            s->tried_cap = 0;
            return LB_ERROR;
        }
        s->tried_cap = (uint32_t) n;
    }

    memset(s->tried_bits, 0, n * sizeof(uintptr_t));
    s->tried.bits = s->tried_bits;
    s->tried.ntried = 0;

    return LB_OK;
}


/* The target group of the request: its policy's, or the listener's
 * default. A policy that redirects or rejects answers the request here
 * (*answered: s must not be used then). */
static lb_target_group_t *
lb_http_route(lb_http_session_t *s, bool *answered)
{
    lb_listener_t        *l;
    const lb_l7_policy_t *p;
    lb_http_l7_policy_t  *hp;

    *answered = false;
    l = s->listener;

    if (l->balancer == NULL) {
        return l->target_group;
    }

    hp = lb_http_l7_match(&lb_http_worker.l7[l->balancer->index][l->index],
                          &s->req, s->cin.start);
    if (hp == NULL) {
        return l->target_group;
    }

    p = hp->conf;

    switch (p->action) {

    case LB_L7_REDIRECT_TO_POOL:
        return p->redirect_target_group;

    case LB_L7_REJECT:
        *answered = true;
        lb_http_error(s, 403, false);
        return NULL;

    default:
        *answered = true;
        lb_http_route_redirect(s, p);
        return NULL;
    }
}


/* a redirect policy acts: its Location is built on the stack here, not
 * inlined, so that the 10 KiB are no part of every request's frame */
static void
lb_http_route_redirect(lb_http_session_t *s, const lb_l7_policy_t *p)
{
    size_t  n;
    u_char  loc[LB_HTTP_L7_LOCATION];

    n = lb_http_l7_location(p, &s->req, s->cin.start, loc, sizeof(loc));

    if (n == 0) {
        lb_http_log_error(s, LB_LOG_INFO, 0, "the redirect's Location is "
                          "too long");
        lb_http_error(s, 500, false);
        return;
    }

    lb_http_redirect(s, p->redirect_http_code, loc, n);
}


/* the head that goes to the target, into out */
static lb_int_t
lb_http_request_head_out(lb_http_session_t *s)
{
    char                    ip[64], host[80];
    lb_listener_t          *l;
    lb_http_req_rewrite_t   rw;

    l = s->listener;

    memset(&rw, 0, sizeof(rw));
    rw.xff = l->x_forwarded_for;
    rw.xfp = l->x_forwarded_proto;
    rw.xfport = l->x_forwarded_port;
    rw.https = (l->protocol == LB_LISTENER_HTTPS);
    rw.port = l->protocol_port;

    lb_http_addr_ip((struct sockaddr *) &s->client->sockaddr, ip,
                    sizeof(ip));
    rw.client_ip = ip;

    if (s->req.first[LB_HTTP_HDR_HOST] == 0) {
        /* the address the client reached */
        lb_http_addr_ip((struct sockaddr *) &l->addr.sa, host,
                        sizeof(host) - 8);
        if (l->addr.sa.ss_family == AF_INET6) {
            memmove(host + 1, host, strlen(host) + 1);
            host[0] = '[';
            strcat(host, "]");
        }
        snprintf(host + strlen(host), 8, ":%u", l->protocol_port);
        rw.host = host;
    }

    if (s->group->sticky != NULL
        && s->group->sticky->type == LB_PERSIST_HTTP_COOKIE)
    {
        rw.strip_cookie = (const u_char *) LB_HTTP_STICKY_COOKIE;
        rw.strip_cookie_len = sizeof(LB_HTTP_STICKY_COOKIE) - 1;
    }

    s->out.pos = s->out.last = s->out.start;

    return lb_http_request_head(&s->req, s->cin.start, &rw, &s->out);
}


void
lb_http_request_done(lb_http_session_t *s)
{
    lb_http_finish(s);
}


/* the response is out: log it, then the next request or the end */
static void
lb_http_finish(lb_http_session_t *s)
{
    lb_connection_t  *c;

    c = s->client;

    if (s->line_len) {
        lb_http_log_request(s);
        s->line_len = 0;
    }

    s->requests++;

    if (c->write->timer_set) {
        lb_event_del_timer(c->write);
    }

    if (s->client_h2) {
        /* one request per stream: the stream ends with its response
         * (what the client sent beyond the request is dropped by h2) */
        lb_http2_stream_end(c);
        lb_http_close(s);
        return;
    }

    if (s->keep_client) {
        /* the response said keep-alive, if only because the worker began
         * to stop after its head went: the client may send its next
         * request now, so the connection waits for it even when stopping
         * (lb_http_drain_idle_clients() closes it once idle too long) */
        lb_http_keepalive(s);
        return;
    }

    if (!s->req_body.done || (s->status >= 400 && !s->resp_head_done)
        || (lb_http_worker.quitting && s->req.keep_alive))
    {
        /* the client may still be sending what weir did not read (a body
         * the target did not wait for, or a request weir refused), or,
         * told Connection: close by a stopping worker, a request it sent
         * before reading that: a close with unread bytes would reset the
         * connection and could destroy the response */
        lb_http_linger(s);
        return;
    }

    lb_http_close(s);
}


/* wait for the next request; bytes already there are its start */
static void
lb_http_keepalive(lb_http_session_t *s)
{
    size_t            rest;
    u_char           *from;
    lb_http_conn_t   *hc;
    lb_connection_t  *c;

    c = s->client;

    from = s->req_body.ready > s->cin.pos ? s->req_body.ready : s->cin.pos;

    if (from < s->cin.start || from > s->cin.last) {
        from = s->cin.last;
    }

    rest = (size_t) (s->cin.last - from);

    if (rest) {
        memmove(s->cin.start, from, rest);
    }

    s->cin.pos = s->cin.start;
    s->cin.last = s->cin.start + rest;

    hc = s->conn;
    hc->served = 1;

    if (rest || s->upstream != NULL) {
        /* pipelined bytes: the session keeps them */
        lb_http_request_init(s);
        s->phase = LB_HTTP_PH_HEAD;
        s->head_started = rest != 0;
        s->start = lb_current_msec;
        lb_event_add_timer(c->read, s->listener->timeout_client_header);

    } else {
        /* idle: no buffers until the next request's bytes come */
        lb_http_session_give(s);
        lb_event_add_timer(c->read, hc->listener->timeout_client_data);
        lb_http_list_push(&lb_http_worker.idle_clients, &hc->idle_link);
        hc->in_idle_list = 1;
        hc->idle_since = lb_current_msec;
    }

    if (rest || c->read->ready) {
        /* on the next loop iteration: a client pipelining many requests
         * must not recurse here */
        lb_event_post(c->read);
    }
}


/* Stop writing, then read and drop what the client still sends until it
 * closes or LB_HTTP_LINGER_TIMEOUT passes: a close with unread bytes
 * would reset the connection and could destroy the response in flight. */
static void
lb_http_linger(lb_http_session_t *s)
{
    int               err;
    ssize_t           n;
    lb_connection_t  *c;

    c = s->client;

    if (s->phase != LB_HTTP_PH_LINGER) {
        s->phase = LB_HTTP_PH_LINGER;

        if (c->ssl != NULL) {
            if (lb_ssl_shutdown(c) == LB_ERROR) {
                lb_http_close(s);
                return;
            }

        } else if (shutdown(c->fd, SHUT_WR) == -1) {
            lb_http_close(s);
            return;
        }

        if (c->read->timer_set) {
            lb_event_del_timer(c->read);
        }

        lb_event_add_timer(c->read, LB_HTTP_LINGER_TIMEOUT);
    }

    while (c->read->ready) {
        s->cin.pos = s->cin.last = s->cin.start;

        n = lb_http_recv(c, &s->cin, &err);

        if (n == LB_AGAIN) {
            return;
        }

        if (n <= 0) {
            lb_http_close(s);
            return;
        }
    }
}


void
lb_http_close(lb_http_session_t *s)
{
    lb_http_conn_t  *hc;

    if (s->client == NULL) {
        return;
    }

    if (s->upstream != NULL || s->peer != NULL) {
        s->upstream_bad = 1;
        lb_http_upstream_finish(s, false);
        s->peer = NULL;
    }

    if (s->line_len) {
        /* a request that ended without a whole response */
        lb_http_log_request(s);
        s->line_len = 0;
    }

    hc = s->conn;
    hc->requests = s->requests;

    if (s->phase == LB_HTTP_PH_LINGER) {
        /* close_notify went when lingering began */
        hc->shut = 1;
    }

    /* the session goes back to the free list; its memory stays readable
     * for the code finishing with it (s->client is NULL then) */
    s->client = NULL;
    lb_http_session_give(s);

    lb_http_conn_close(hc);
}


/* Close a client connection (its session, if any, is closed already). */
void
lb_http_conn_close(lb_http_conn_t *hc)
{
    lb_connection_t  *c;

    c = hc->client;

    if (hc->stream != NULL) {
        lb_http2_stream_close(hc);
        return;
    }

    if (hc->in_idle_list) {
        lb_http_list_remove(&hc->idle_link);
        hc->in_idle_list = 0;
    }

    if (hc->private_idle != NULL) {
        lb_http_upstream_close_private(hc);
    }

    lb_log_debug(&lb_log, "*%lu HTTP connection closed after %u requests",
                 (unsigned long) c->number, hc->requests);

    if (c->ssl != NULL && c->ssl->handshaked && !hc->shut) {
        /* close_notify, when the socket takes it now */
        (void) lb_ssl_shutdown(c);
    }

    if (hc->limit != NULL) {
        lb_event_limit_leave(hc->limit);
        hc->limit = NULL;
    }

    /* the pool (and hc with it) is reset when the slot is reclaimed,
     * after this loop iteration */
    lb_close_connection(c);
}


/* Both lists are newest first (idle_settled takes the oldest of
 * idle_clients, each in front): each is walked from its oldest end while
 * the connections there have waited out the grace. */
void
lb_http_drain_idle_clients(void)
{
    lb_uint_t        i;
    lb_msec_t        since;
    lb_http_conn_t  *hc;
    lb_http_link_t  *list;

    lb_http2_drain();

    for (i = 0; i < 2; i++) {
        list = (i == 0) ? &lb_http_worker.idle_settled
                        : &lb_http_worker.idle_clients;

        while (!lb_http_list_empty(list)) {
            hc = lb_http_list_data(list->prev, lb_http_conn_t, idle_link);

            since = lb_max(hc->idle_since, lb_http_worker.quit_at);

            if (lb_current_msec - since < LB_HTTP_DRAIN_GRACE) {
                break;
            }

            lb_http_conn_close(hc);
        }
    }
}


/* idle_clients is newest first: walk from its oldest end while they have
 * waited a whole tick, moving each to idle_settled (so that no later tick
 * walks it again) */
void
lb_http_idle_clients_settle(void)
{
    lb_http_link_t  *l;
    lb_http_conn_t  *hc;

    while (!lb_http_list_empty(&lb_http_worker.idle_clients)) {
        l = lb_http_worker.idle_clients.prev;
        hc = lb_http_list_data(l, lb_http_conn_t, idle_link);

        if (lb_current_msec - hc->idle_since < LB_HTTP_SETTLE) {
            break;
        }

        lb_http_list_remove(l);
        lb_http_list_push(&lb_http_worker.idle_settled, l);
        lb_ssl_free_buffers(hc->client);
    }
}


/* lb_http_log_error() for a connection without a request */
static void
lb_http_conn_log(lb_http_conn_t *hc, unsigned level, int err,
    const char *what)
{
    char  client[80];

    if (level > lb_log.level) {
        return;
    }

    lb_connection_addr_text((struct sockaddr *) &hc->client->sockaddr,
                            client, sizeof(client));

    lb_log_error(level, &lb_log, err,
                 "*%lu %s, client: %s, target: -, listener: %s, "
                 "request: \"\"", (unsigned long) hc->client->number, what,
                 client, hc->listener->addr.text);
}


void
lb_http_log_error(lb_http_session_t *s, unsigned level, int err,
    const char *what)
{
    char  client[80];

    if (level > lb_log.level) {
        return;
    }

    lb_connection_addr_text((struct sockaddr *) &s->client->sockaddr,
                            client, sizeof(client));

    lb_log_error(level, &lb_log, err,
                 "*%lu %s, client: %s, target: %s, listener: %s, "
                 "request: \"%.*s\"",
                 (unsigned long) s->client->number, what, client,
                 s->peer != NULL ? s->peer->bp->target->addr.text : "-",
                 s->listener->addr.text, (int) lb_min(s->line_len, 200),
                 s->line);
}
