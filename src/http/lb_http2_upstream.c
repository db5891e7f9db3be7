/* weir: HTTP/2 towards targets (SPEC 13); the interface is described in
 * lb_http2_upstream.h.
 *
 * Connections. Each target of an h2 group has a list of connections in
 * this worker (lb_http_peer_t.h2_conns). A request takes the newest one
 * with a free stream (at most LB_HTTP2_UP_STREAMS, and never more than
 * the target's SETTINGS_MAX_CONCURRENT_STREAMS) opened for the same TLS
 * server name, else opens another. A connection is closed when the
 * target closes it or says GOAWAY and its last stream ended, when it
 * waited LB_HTTP_IDLE_TIMEOUT without a stream, or when its group is of
 * an older generation (reload, live change) or the worker stops and its
 * last stream ended. A TLS connection whose target does not choose "h2"
 * by ALPN fails as a connect() would: the request is retried on another
 * target, and the failure is logged as such.
 *
 * Flow control. Each stream's receive window (LB_HTTP2_UP_WINDOW) is the
 * size of its own data buffer, and automatic WINDOW_UPDATEs are off: a
 * window opens again only as bytes move on towards the client. A slow
 * client thus slows its own stream only; the connection's window is
 * large enough for every stream's. The request body goes as the target's
 * window allows, from s->cin, which fills up and stops reading the
 * client when the target does not take it.
 *
 * Events. nghttp2's callbacks only record what arrived on the stream and
 * queue the stream's session (notify); after the connection's input is
 * taken, the queued sessions run (lb_http_run()). A connection that
 * fails outside its own event handler posts an event to tell its
 * sessions, so that no session runs inside another's call.
 *
 * Retries: as lb_http_upstream.c. A stream the target never processed
 * (REFUSED_STREAM, above a GOAWAY's last stream id, or on a connection
 * that never became ready) counts as nothing sent: it is retried,
 * whatever the method, while none of its body was taken from the
 * client. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_http2_upstream.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_time.h"

static lb_int_t lb_http2_up_init(void);
static lb_http2_up_stream_t *lb_http2_up_stream_get(void);
static void lb_http2_up_stream_put(lb_http2_up_stream_t *st);
static lb_http2_up_conn_t *lb_http2_up_find(lb_http_session_t *s);
static lb_http2_up_conn_t *lb_http2_up_open(lb_http_session_t *s, int *err,
    lb_int_t *rc);
static void lb_http2_up_handler(lb_event_t *ev);
static void lb_http2_up_connected(lb_http2_up_conn_t *hc);
static void lb_http2_up_tls_done(lb_connection_t *u, lb_int_t rc);
static void lb_http2_up_ready(lb_http2_up_conn_t *hc);
static void lb_http2_up_io(lb_http2_up_conn_t *hc);
static lb_int_t lb_http2_up_flush(lb_http2_up_conn_t *hc, int *err);
static void lb_http2_up_flush_later(lb_http2_up_conn_t *hc);
static void lb_http2_up_fail(lb_http2_up_conn_t *hc, int err,
    const char *why);
static void lb_http2_up_posted(lb_event_t *ev);
static void lb_http2_up_tail(lb_http2_up_conn_t *hc);
static void lb_http2_up_free(lb_http2_up_conn_t *hc);
static lb_int_t lb_http2_up_submit(lb_http2_up_stream_t *st);
static lb_int_t lb_http2_up_client(lb_http_session_t *s, bool *progress);
static void lb_http2_up_timers(lb_http_session_t *s);
static void lb_http2_up_timeout(lb_event_t *ev);



/* the worker's state */
static nghttp2_session_callbacks  *lb_http2_up_callbacks;
static nghttp2_option             *lb_http2_up_option;
static lb_http_link_t              lb_http2_up_conns;
static lb_http_link_t              lb_http2_up_free_streams;
static uint32_t                    lb_http2_up_nfree;
static u_char                      lb_http2_up_rbuf[LB_HTTP2_UP_RBUF];


static lb_int_t
lb_http2_up_init(void)
{
    if (lb_http2_up_callbacks != NULL) {
        return LB_OK;
    }

    if (nghttp2_session_callbacks_new(&lb_http2_up_callbacks) != 0) {
        return LB_ERROR;
    }

    if (nghttp2_option_new(&lb_http2_up_option) != 0) {
        nghttp2_session_callbacks_del(lb_http2_up_callbacks);
        lb_http2_up_callbacks = NULL;
        return LB_ERROR;
    }

    /* windows open as bytes move on to clients, not as they arrive */
    nghttp2_option_set_no_auto_window_update(lb_http2_up_option, 1);

    lb_http2_up_callbacks_set(lb_http2_up_callbacks);

    lb_http_list_init(&lb_http2_up_conns);
    lb_http_list_init(&lb_http2_up_free_streams);

    return LB_OK;
}


/* --- attaching a request --- */

void
lb_http2_upstream_attach(lb_http_session_t *s)
{
    int                    err;
    lb_int_t               rc;
    lb_http2_up_conn_t    *hc;
    lb_http2_up_stream_t  *st;

    st = NULL;

    if (lb_http2_up_init() != LB_OK
        || (st = lb_http2_up_stream_get()) == NULL)
    {
        lb_http_log_error(s, LB_LOG_ALERT, ENOMEM,
                          "no memory for an HTTP/2 stream");
        goto failed;
    }

    /* after a failure on a connection in use: a new one, as HTTP/1.1 */
    hc = s->h2_fresh ? NULL : lb_http2_up_find(s);
    s->h2_fresh = 0;

    if (hc == NULL) {
        hc = lb_http2_up_open(s, &err, &rc);

        if (hc == NULL) {
            lb_http2_up_stream_put(st);

            if (rc == LB_DECLINED) {
                lb_http_upstream_failed(s, err, "connect() failed");
                return;
            }

            goto failed_no_stream;
        }
    }

    /* a stream on a connection already in use: like a pooled HTTP/1.1
     * connection, one failure before a response byte may be retried on
     * the same target (lb_http_upstream_failed()) */
    s->reused = hc->ready;

    st->conn = hc;
    st->s = s;
    lb_http_list_push(&hc->streams, &st->link);
    hc->nstreams++;
    s->h2 = st;

    if (hc->c != NULL && hc->c->read->timer_set && hc->ready) {
        /* the idle timer */
        lb_event_del_timer(hc->c->read);
    }

    s->phase = LB_HTTP_PH_PROXY;
    s->up_write_at = lb_current_msec;
    s->up_read_at = lb_current_msec;
    s->client_read_at = lb_current_msec;

    if (hc->ready && lb_http2_up_submit(st) != LB_OK) {
        st->closed = 1;
    }

    if (lb_log.level >= LB_LOG_DEBUG) {
        lb_http_log_error(s, LB_LOG_DEBUG, 0, s->reused
                          ? "a stream on an HTTP/2 connection to the target"
                          : "a stream on a new HTTP/2 connection to the "
                            "target");
    }

    (void) lb_http2_upstream_proxy(s);
    return;

failed:

    if (st != NULL) {
        lb_http2_up_stream_put(st);
    }

failed_no_stream:

    lb_balancer_release(s->group->bg, s->peer->bp, LB_BALANCER_DONE);
    s->peer = NULL;
    lb_http_error(s, 502, false);
}


/* a stream record: from the free list, or new (then kept: no allocation
 * per request once the worker has as many as it serves at once) */
static lb_http2_up_stream_t *
lb_http2_up_stream_get(void)
{
    lb_http_link_t        *l;
    lb_http2_up_stream_t  *st;

    if (!lb_http_list_empty(&lb_http2_up_free_streams)) {
        l = lb_http2_up_free_streams.next;
        lb_http_list_remove(l);
        lb_http2_up_nfree--;
        st = lb_http_list_data(l, lb_http2_up_stream_t, link);

    } else {
        st = malloc(sizeof(lb_http2_up_stream_t));
        if (st == NULL) {
            return NULL;
        }
    }

    /* everything before the arrays */
    memset(st, 0, offsetof(lb_http2_up_stream_t, nv));
    st->timer.data = st;
    st->timer.handler = lb_http2_up_timeout;

    return st;
}


static void
lb_http2_up_stream_put(lb_http2_up_stream_t *st)
{
    if (st->timer.timer_set) {
        lb_event_del_timer(&st->timer);
    }

    st->s = NULL;
    st->conn = NULL;
    st->id = 0;

    if (lb_http2_up_nfree >= LB_HTTP2_UP_KEEP) {
        free(st);
        return;
    }

    lb_http_list_push(&lb_http2_up_free_streams, &st->link);
    lb_http2_up_nfree++;
}


/* the newest usable connection to s->peer with a free stream, opened for
 * the server name s needs */
static lb_http2_up_conn_t *
lb_http2_up_find(lb_http_session_t *s)
{
    uint32_t             max;
    lb_http_link_t      *l;
    lb_http2_up_conn_t  *hc;

    for (l = s->peer->h2_conns.next; l != &s->peer->h2_conns; l = l->next) {
        hc = lb_http_list_data(l, lb_http2_up_conn_t, peer_link);

        if (hc->failed || hc->goaway || hc->idle_closing
            || hc->sni_len != s->sni_len
            || (s->sni_len != 0 && memcmp(hc->sni, s->sni, s->sni_len) != 0))
        {
            continue;
        }

        max = LB_HTTP2_UP_STREAMS;

        if (hc->ng != NULL) {
            max = lb_min(max, nghttp2_session_get_remote_settings(hc->ng,
                              NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
        }

        if (hc->nstreams < max) {
            return hc;
        }
    }

    return NULL;
}


/* a new connection to s->peer; NULL with *rc LB_DECLINED (connect()
 * failed: *err) or LB_ERROR (no socket, slot or memory) */
static lb_http2_up_conn_t *
lb_http2_up_open(lb_http_session_t *s, int *err, lb_int_t *rc)
{
    lb_target_t         *t;
    lb_connection_t     *u;
    lb_http2_up_conn_t  *hc;

    t = s->peer->bp->target;

    hc = calloc(1, sizeof(lb_http2_up_conn_t));
    if (hc == NULL) {
        *rc = LB_ERROR;
        return NULL;
    }

    hc->obuf = malloc(LB_HTTP2_UP_OBUF);
    if (hc->obuf == NULL) {
        free(hc);
        *rc = LB_ERROR;
        return NULL;
    }

    *rc = lb_event_connect((struct sockaddr *) &t->addr.sa, t->addr.socklen,
                           &u, err);

    if (*rc == LB_DECLINED || *rc == LB_ERROR) {
        free(hc->obuf);
        free(hc);
        return NULL;
    }

    hc->c = u;
    hc->peer = s->peer;
    hc->last_stream_id = -1;
    hc->connect_timeout = s->listener->timeout_member_connect;
    hc->post.data = hc;
    hc->post.handler = lb_http2_up_posted;
    lb_http_list_init(&hc->streams);
    lb_http_list_init(&hc->notify);
    lb_http_list_push(&s->peer->h2_conns, &hc->peer_link);
    lb_http_list_push(&lb_http2_up_conns, &hc->all_link);

    if (s->sni_len != 0) {
        memcpy(hc->sni, s->sni, s->sni_len + 1);
        hc->sni_len = s->sni_len;
    }

    u->data = hc;
    u->read->handler = lb_http2_up_handler;
    u->write->handler = lb_http2_up_handler;

    if (*rc == LB_OK) {
        /* connected at once: carried on from the event loop, so that
         * a failure never frees the connection under its first stream */
        u->write->ready = 1;
        lb_event_post(u->write);

    } else {
        lb_event_add_timer(u->write, hc->connect_timeout);
    }

    *rc = LB_OK;

    return hc;
}


/* --- the connection's events --- */

static void
lb_http2_up_handler(lb_event_t *ev)
{
    int                  err;
    lb_connection_t     *u;
    lb_http2_up_conn_t  *hc;

    u = ev->data;
    hc = u->data;

    hc->busy++;

    if (u->close) {
        lb_http2_up_fail(hc, 0, "the worker stops");
        goto done;
    }

    if (!hc->ready) {
        /* connecting: only the write event (or its timer) tells */
        if (!ev->write) {
            goto done;
        }

        if (ev->timedout) {
            ev->timedout = 0;
            lb_http2_up_fail(hc, ETIMEDOUT, "connect() timed out");
            goto done;
        }

        err = lb_event_connect_result(u);
        if (err) {
            lb_http2_up_fail(hc, err, "connect() failed");
            goto done;
        }

        if (u->write->timer_set) {
            lb_event_del_timer(u->write);
        }

        lb_http2_up_connected(hc);
        goto done;
    }

    if (ev->timedout) {
        /* the idle timer */
        ev->timedout = 0;

        if (hc->nstreams == 0) {
            lb_log_debug(&lb_log, "*%lu an idle HTTP/2 target connection "
                         "timed out", (unsigned long) u->number);
            hc->idle_closing = 1;
        }
        goto done;
    }

    lb_http2_up_io(hc);

done:

    hc->busy--;
    lb_http2_up_tail(hc);
}


/* TCP is up: TLS with ALPN h2 for HTTPS groups, else h2c at once */
static void
lb_http2_up_connected(lb_http2_up_conn_t *hc)
{
    SSL_CTX            *ctx;
    lb_target_t        *t;
    lb_connection_t    *u;
    lb_target_group_t  *tg;

    static const u_char  alpn[] = { 2, 'h', '2' };

    u = hc->c;

    if (!hc->peer->group->tls) {
        lb_http2_up_ready(hc);
        return;
    }

    tg = hc->peer->group->tg;
    t = hc->peer->bp->target;
    ctx = lb_ssl_group_ctx(lb_http_worker.cycle, tg);

    if (ctx == NULL
        || lb_ssl_client_prepare(ctx, u, hc->sni_len ? hc->sni : NULL,
                                 tg->tls_verify_name != NULL
                                 ? tg->tls_verify_name : t->address)
           != LB_OK
        || SSL_set_alpn_protos(u->ssl->ssl, alpn, sizeof(alpn)) != 0)
    {
        lb_http2_up_fail(hc, EPROTO, "TLS with the target cannot start");
        return;
    }

    lb_ssl_handshake_run(u, hc->connect_timeout, lb_http2_up_tls_done);
}


static void
lb_http2_up_tls_done(lb_connection_t *u, lb_int_t rc)
{
    unsigned             len;
    const u_char        *proto;
    lb_http2_up_conn_t  *hc;

    hc = u->data;
    hc->busy++;

    u->read->handler = lb_http2_up_handler;
    u->write->handler = lb_http2_up_handler;

    if (u->close) {
        lb_http2_up_fail(hc, 0, "the worker stops");
        goto done;
    }

    if (rc != LB_OK) {
        lb_http2_up_fail(hc, u->read->timedout ? ETIMEDOUT : EPROTO,
                         "the TLS handshake with the target failed");
        goto done;
    }

    proto = NULL;
    len = 0;
    SSL_get0_alpn_selected(u->ssl->ssl, &proto, &len);

    if (len != 2 || memcmp(proto, "h2", 2) != 0) {
        /* alpn_protocols: [h2] says what the targets speak: one that
         * chose otherwise (or nothing) is not one of them */
        lb_http2_up_fail(hc, EPROTO, "the target did not choose h2 by ALPN "
                         "(alpn_protocols: [h2])");
        goto done;
    }

    lb_http2_up_ready(hc);

done:

    hc->busy--;
    lb_http2_up_tail(hc);
}


/* the connection speaks h2 now: our SETTINGS, then the waiting streams */
static void
lb_http2_up_ready(lb_http2_up_conn_t *hc)
{
    lb_http_link_t        *l;
    lb_http2_up_stream_t  *st;

    nghttp2_settings_entry  iv[] = {
        { NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, LB_HTTP2_UP_WINDOW },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, LB_HTTP2_UP_HEADER_LIST },
    };

    if (nghttp2_session_client_new3(&hc->ng, lb_http2_up_callbacks, hc,
                                    lb_http2_up_option, lb_http2_mem())
        != 0)
    {
        hc->ng = NULL;
        lb_http2_up_fail(hc, ENOMEM, "no memory for an HTTP/2 session");
        return;
    }

    if (nghttp2_submit_settings(hc->ng, NGHTTP2_FLAG_NONE, iv,
                                lb_nelems(iv)) != 0
        || nghttp2_session_set_local_window_size(hc->ng, NGHTTP2_FLAG_NONE,
                                                 0, LB_HTTP2_UP_CONN_WINDOW)
           != 0)
    {
        lb_http2_up_fail(hc, ENOMEM, "the HTTP/2 settings cannot be sent");
        return;
    }

    hc->ready = 1;

    for (l = hc->streams.next; l != &hc->streams; l = l->next) {
        st = lb_http_list_data(l, lb_http2_up_stream_t, link);

        if (st->id == 0 && !st->closed) {
            if (lb_http2_up_submit(st) != LB_OK) {
                st->closed = 1;
            }
            lb_http2_up_notify(st);
        }
    }

    lb_http2_up_io(hc);
}


/* read what the target sent into nghttp2 (its callbacks note what each
 * stream got), then write what nghttp2 has to say */
static void
lb_http2_up_io(lb_http2_up_conn_t *hc)
{
    int               err;
    ssize_t           n;
    lb_http_buf_t     b;
    lb_connection_t  *u;

    u = hc->c;

    while (u->read->ready) {
        b.start = b.pos = b.last = lb_http2_up_rbuf;
        b.end = lb_http2_up_rbuf + sizeof(lb_http2_up_rbuf);

        n = lb_http_recv(u, &b, &err);

        if (n == LB_AGAIN) {
            break;
        }

        if (n == 0 || n == LB_ERROR) {
            lb_http2_up_fail(hc, err, n == 0 ? "the target closed the HTTP/2 "
                                               "connection"
                                             : "reading from the target "
                                               "failed");
            return;
        }

        n = nghttp2_session_mem_recv(hc->ng, lb_http2_up_rbuf, (size_t) n);

        if (n < 0) {
            lb_http2_up_fail(hc, EPROTO, nghttp2_strerror((int) n));
            return;
        }
    }

    if (lb_http2_up_flush(hc, &err) == LB_ERROR) {
        lb_http2_up_fail(hc, err, "writing to the target failed");
        return;
    }

    if (!nghttp2_session_want_read(hc->ng)
        && !nghttp2_session_want_write(hc->ng))
    {
        /* both sides said GOAWAY and nothing is left */
        hc->goaway = 1;
    }
}


/* Write what nghttp2 has: its frames gathered into obuf (a larger one
 * goes from nghttp2's memory), one writev at a time, until all is out or
 * the socket is full (then the write event calls back). LB_OK, LB_AGAIN
 * or LB_ERROR (*err). */
static lb_int_t
lb_http2_up_flush(lb_http2_up_conn_t *hc, int *err)
{
    int               niov;
    size_t            m;
    ssize_t           n;
    struct iovec      iov[2];
    const uint8_t    *data;

    *err = 0;

    if (hc->failed || !hc->ready) {
        return LB_OK;
    }

    for ( ;; ) {
        if (hc->opos == hc->olast) {
            hc->opos = 0;
            hc->olast = 0;
        }

        while (hc->pend_len == 0 && hc->olast < LB_HTTP2_UP_OBUF) {
            n = nghttp2_session_mem_send(hc->ng, &data);

            if (n < 0) {
                *err = EPROTO;
                return LB_ERROR;
            }

            if (n == 0) {
                break;
            }

            if ((size_t) n <= LB_HTTP2_UP_OBUF - hc->olast) {
                memcpy(hc->obuf + hc->olast, data, (size_t) n);
                hc->olast += (size_t) n;

            } else {
                hc->pend = data;
                hc->pend_len = (size_t) n;
            }
        }

        if (hc->opos == hc->olast && hc->pend_len == 0) {
            return LB_OK;
        }

        if (!hc->c->write->ready) {
            return LB_AGAIN;
        }

        niov = 0;

        if (hc->olast > hc->opos) {
            iov[niov].iov_base = hc->obuf + hc->opos;
            iov[niov++].iov_len = hc->olast - hc->opos;
        }

        if (hc->pend_len) {
            iov[niov].iov_base = (void *) hc->pend;
            iov[niov++].iov_len = hc->pend_len;
        }

        n = lb_http_send(hc->c, iov, niov, err);

        if (n == LB_AGAIN) {
            return LB_AGAIN;
        }

        if (n == LB_ERROR) {
            return LB_ERROR;
        }

        m = lb_min((size_t) n, hc->olast - hc->opos);
        hc->opos += m;
        n -= (ssize_t) m;
        hc->pend += n;
        hc->pend_len -= (size_t) n;
    }
}


/* a session has something for the target (a reset, a window, body
 * bytes): at the end of the connection's handler when inside it, else
 * now */
static void
lb_http2_up_flush_later(lb_http2_up_conn_t *hc)
{
    int  err;

    if (hc->failed || !hc->ready) {
        return;
    }

    if (hc->busy) {
        hc->flush_pending = 1;
        return;
    }

    if (lb_http2_up_flush(hc, &err) == LB_ERROR) {
        lb_http2_up_fail(hc, err, "writing to the target failed");
        return;
    }

    /* nghttp2 took body bytes from sessions that may read more now */
    if (!lb_http_list_empty(&hc->notify)) {
        lb_event_post(&hc->post);
    }
}


/* The connection is unusable: closed at once; each stream still open
 * fails (one that never went out was refused: retryable), its session
 * told in the connection's handler or from a posted event. The record
 * goes once no stream is left. */
static void
lb_http2_up_fail(lb_http2_up_conn_t *hc, int err, const char *why)
{
    lb_http_link_t        *l;
    lb_http2_up_stream_t  *st;

    if (hc->failed) {
        return;
    }

    hc->failed = 1;

    if (hc->nstreams != 0 || err != 0) {
        lb_log_error(err == 0 || err == ECONNRESET ? LB_LOG_INFO
                                                   : LB_LOG_ERR,
                     &lb_log, err, "*%lu HTTP/2 connection to the target "
                     "%s: %s", (unsigned long) hc->c->number,
                     hc->peer->bp->target->addr.text, why);
    }

    lb_close_connection(hc->c);
    hc->c = NULL;

    for (l = hc->streams.next; l != &hc->streams; l = l->next) {
        st = lb_http_list_data(l, lb_http2_up_stream_t, link);

        if (st->closed) {
            continue;
        }

        st->closed = 1;
        st->conn_err = err ? err : ECONNRESET;
        st->why = why;

        if (st->id == 0 || (hc->goaway && st->id > hc->last_stream_id)) {
            st->refused = 1;
        }

        lb_http2_up_notify(st);
    }

    if (!hc->busy && !lb_http_list_empty(&hc->notify)) {
        lb_event_post(&hc->post);
    }
}


static void
lb_http2_up_posted(lb_event_t *ev)
{
    lb_http2_up_tail(ev->data);
}


/* After the connection's own work: run the sessions with news, write
 * what they left for the target, and close the connection when it has
 * no stream and is done (failed, GOAWAY, idle too long, of an older
 * generation, the worker stopping), else time its idleness. hc must not
 * be used after. */
static void
lb_http2_up_tail(lb_http2_up_conn_t *hc)
{
    int                    err;
    lb_http_link_t        *l;
    lb_http2_up_stream_t  *st;

    if (hc->busy) {
        return;
    }

    hc->busy++;

    for ( ;; ) {
        if (!lb_http_list_empty(&hc->notify)) {
            l = hc->notify.next;
            lb_http_list_remove(l);
            st = lb_http_list_data(l, lb_http2_up_stream_t, notify_link);
            st->notified = 0;
            lb_http_run(st->s);
            continue;
        }

        if (hc->flush_pending) {
            hc->flush_pending = 0;

            if (lb_http2_up_flush(hc, &err) == LB_ERROR) {
                lb_http2_up_fail(hc, err, "writing to the target failed");
            }
            continue;
        }

        break;
    }

    hc->busy--;

    if (hc->nstreams != 0) {
        return;
    }

    if (hc->failed || hc->goaway || hc->idle_closing
        || lb_http_worker.quitting
        || hc->peer->group->generation != lb_http_worker.generation)
    {
        lb_http2_up_free(hc);
        return;
    }

    if (hc->ready && !hc->c->read->timer_set) {
        lb_event_add_timer(hc->c->read, LB_HTTP_IDLE_TIMEOUT);
    }
}


static void
lb_http2_up_free(lb_http2_up_conn_t *hc)
{
    lb_http_list_remove(&hc->peer_link);
    lb_http_list_remove(&hc->all_link);
    lb_event_delete_posted(&hc->post);

    if (hc->c != NULL) {
        lb_close_connection(hc->c);
    }

    if (hc->ng != NULL) {
        nghttp2_session_del(hc->ng);
    }

    free(hc->obuf);
    free(hc);
}


void
lb_http2_upstream_close_idle(void)
{
    lb_http_link_t      *l, *next;
    lb_http2_up_conn_t  *hc;

    if (lb_http2_up_callbacks == NULL) {
        return;
    }

    for (l = lb_http2_up_conns.next; l != &lb_http2_up_conns; l = next) {
        next = l->next;
        hc = lb_http_list_data(l, lb_http2_up_conn_t, all_link);

        if (hc->nstreams == 0 && !hc->busy) {
            lb_http2_up_free(hc);
        }
    }
}


void
lb_http2_up_notify(lb_http2_up_stream_t *st)
{
    if (st->notified || st->s == NULL) {
        return;
    }

    st->notified = 1;
    lb_http_list_push(&st->conn->notify, &st->notify_link);
}


/* --- the request --- */

static lb_int_t
lb_http2_up_submit(lb_http2_up_stream_t *st)
{
    size_t                  n;
    int32_t                 id;
    lb_http_session_t      *s;
    nghttp2_data_provider   prd, *body;

    s = st->s;

    n = lb_http2_request_fields(s->out.start,
                                (size_t) (s->out.last - s->out.start),
                                s->group->tls, s->te_trailers, st->nv,
                                LB_HTTP2_UP_NV);
    if (n == 0) {
        st->why = "the request head cannot be put into HTTP/2 fields";
        st->bad_head = 1;
        return LB_ERROR;
    }

    body = NULL;

    if (s->req_body.type == LB_HTTP_BODY_CHUNKED
        || (s->req_body.type == LB_HTTP_BODY_LENGTH
            && s->req.content_length != 0))
    {
        prd.source.ptr = st;
        prd.read_callback = lb_http2_up_read_body;
        body = &prd;

        if (s->req_body.type == LB_HTTP_BODY_CHUNKED) {
            lb_http_chunked_init(&st->req_chunked);
        }
    }

    id = nghttp2_submit_request(st->conn->ng, NULL, st->nv, n, body, st);

    if (id < 0) {
        st->why = nghttp2_strerror(id);

        if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
            /* its stream ids are spent: no more streams on it */
            st->conn->goaway = 1;
        }

        return LB_ERROR;
    }

    st->id = id;

    /* out keeps the head, for a retry; it went */
    s->req_head_sent = 1;
    s->out.pos = s->out.last;
    s->connected = lb_current_msec;

    return LB_OK;
}


/* --- the session's step --- */

lb_int_t
lb_http2_upstream_proxy(lb_http_session_t *s)
{
    bool                   progress;
    lb_http2_up_stream_t  *st;

    for ( ;; ) {
        progress = false;
        st = s->h2;

        if (st->closed && st->id == 0) {
            /* it never went out: its connection failed, or it could
             * not be made */
            if (st->bad_head) {
                lb_http_log_error(s, LB_LOG_ERR, 0, st->why);
                lb_http_error(s, 502, false);
                return LB_DONE;
            }

            lb_http_upstream_failed(s, st->conn_err ? st->conn_err : EPROTO,
                                    st->why != NULL
                                    ? st->why
                                    : "the HTTP/2 connection to the target "
                                      "failed");
            return LB_DONE;
        }

        if (lb_http2_up_client(s, &progress) == LB_DONE) {
            return LB_DONE;
        }

        lb_http2_up_flush_later(st->conn);

        if (lb_http_proxy_down(s, &progress) == LB_DONE) {
            return LB_DONE;
        }

        if (s->resp_head_sent && s->resp_body.done
            && s->uin.pos == s->resp_body.ready)
        {
            /* the whole response reached the client; a request body
             * still coming is not read (its stream is reset) */
            if (!s->req_body.done) {
                s->keep_client = 0;
            }

            lb_http_upstream_finish(s, true);
            lb_http_request_done(s);
            return LB_DONE;
        }

        if (!progress) {
            break;
        }
    }

    /* windows opened by what moved on */
    lb_http2_up_flush_later(s->h2->conn);
    lb_http2_up_timers(s);

    return LB_OK;
}


/* the client's body bytes into cin, checked; the stream resumed */
static lb_int_t
lb_http2_up_client(lb_http_session_t *s, bool *progress)
{
    lb_int_t               rc;
    lb_http2_up_stream_t  *st;

    st = s->h2;

    for ( ;; ) {
        if (st->deferred && st->id > 0 && !st->closed
            && s->req_body.ready > s->cin.pos && st->conn->ng != NULL)
        {
            st->deferred = 0;
            (void) nghttp2_session_resume_data(st->conn->ng, st->id);
        }

        rc = lb_http_read_body(s, progress);

        if (rc != LB_AGAIN) {
            return rc;
        }
    }
}


/* which directions wait, and for how long: the client's two as
 * lb_http_proxy() has them, the target's on the stream's own timer */
static void
lb_http2_up_timers(lb_http_session_t *s)
{
    bool               to_client, to_target, from_client, from_target;
    lb_listener_t     *l;
    lb_connection_t   *c;

    l = s->listener;
    c = s->client;

    to_client = (s->out.last > s->out.pos && s->req_head_sent)
                || (s->resp_head_done && s->resp_body.ready > s->uin.pos);

    to_target = s->req_body.ready > s->cin.pos;

    from_client = !s->req_body.done && !to_target;

    from_target = !s->resp_body.done
                  && ((s->req_body.done && !to_target) || s->responded)
                  && s->uin.last < s->uin.end && !to_client;

    lb_http_wait(c->write, to_client && !c->write->ready,
                 &s->client_write_at, l->timeout_client_data);
    lb_http_wait(c->read, from_client, &s->client_read_at,
                 l->timeout_client_data);
    lb_http_wait(&s->h2->timer, to_target || from_target, &s->up_read_at,
                 l->timeout_member_data);
}


/* the target did not read or answer for timeout_member_data */
static void
lb_http2_up_timeout(lb_event_t *ev)
{
    lb_http_session_t     *s;
    lb_http2_up_stream_t  *st;

    st = ev->data;
    s = st->s;
    ev->timedout = 0;

    lb_http_log_error(s, LB_LOG_ERR, ETIMEDOUT, "the target did not answer "
                      "in time on its HTTP/2 stream (timeout_member_data)");

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
lb_http2_upstream_detach(lb_http_session_t *s)
{
    lb_http2_up_conn_t    *hc;
    lb_http2_up_stream_t  *st;

    st = s->h2;
    if (st == NULL) {
        return;
    }

    hc = st->conn;
    s->h2 = NULL;

    if (st->notified) {
        lb_http_list_remove(&st->notify_link);
        st->notified = 0;
    }

    lb_http_list_remove(&st->link);
    hc->nstreams--;

    if (hc->ng != NULL && !hc->failed && st->id > 0) {
        (void) nghttp2_session_set_stream_user_data(hc->ng, st->id, NULL);

        if (!st->closed) {
            (void) nghttp2_submit_rst_stream(hc->ng, NGHTTP2_FLAG_NONE,
                                             st->id, NGHTTP2_CANCEL);
        }

        /* what the client will not get still counts against the
         * connection's window */
        if (st->data_len > st->data_pos) {
            (void) nghttp2_session_consume_connection(hc->ng,
                                              st->data_len - st->data_pos);
        }
    }

    lb_http2_up_stream_put(st);

    if (hc->busy) {
        hc->flush_pending = 1;
        return;
    }

    /* the reset goes now; a connection left without streams closes or
     * waits idle (from a posted event: the session calling is on the
     * stack) */
    lb_http2_up_flush_later(hc);

    if (hc->nstreams == 0 || !lb_http_list_empty(&hc->notify)) {
        lb_event_post(&hc->post);
    }
}