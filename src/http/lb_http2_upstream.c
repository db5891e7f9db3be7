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
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* memmem(), memrchr() */
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* streams weir opens on one connection at most */
#define LB_HTTP2_UP_STREAMS     100
/* a stream's receive window: the size of its data buffer */
#define LB_HTTP2_UP_WINDOW      65535
/* the connection's: every stream's window at once */
#define LB_HTTP2_UP_CONN_WINDOW (LB_HTTP2_UP_STREAMS * LB_HTTP2_UP_WINDOW)
/* the response heads and trailers as HTTP/1.1 text */
#define LB_HTTP2_UP_TEXT        (LB_HTTP_BUFFER_SIZE                      \
                                 + LB_HTTP_CHUNK_MAX_TRAILER)
/* header fields the target may send (SETTINGS_MAX_HEADER_LIST_SIZE) */
#define LB_HTTP2_UP_HEADER_LIST (2 * LB_HTTP_BUFFER_SIZE)
#define LB_HTTP2_UP_NV          (2 * LB_HTTP_HEADERS + 8)
#define LB_HTTP2_UP_OBUF        16384
#define LB_HTTP2_UP_RBUF        16384
/* free stream records kept by a worker */
#define LB_HTTP2_UP_KEEP        32

/* how the response body goes into uin */
typedef enum {
    LB_HTTP2_BODY_NONE = 0,     /* HEAD, 204, 304 */
    LB_HTTP2_BODY_LENGTH,       /* the target's content-length */
    LB_HTTP2_BODY_CHUNKED       /* chunked, trailers as chunked trailers */
} lb_http2_body_e;

struct lb_http2_up_conn_s {
    lb_http_link_t          peer_link;    /* in peer->h2_conns */
    lb_http_link_t          all_link;     /* in the worker's list */
    lb_http_peer_t         *peer;
    lb_connection_t        *c;            /* NULL once failed */
    nghttp2_session        *ng;           /* NULL until ready */
    lb_http_link_t          streams;      /* attached */
    lb_http_link_t          notify;       /* streams with news */
    uint32_t                nstreams;
    int32_t                 last_stream_id;   /* of a GOAWAY */
    lb_msec_t               connect_timeout;
    lb_event_t              post;         /* tell the sessions, later */
    unsigned                busy;         /* in its own handler */
    char                    sni[256];     /* TLS server name; "": none */
    uint32_t                sni_len;

    /* output: nghttp2's frames gathered, then written */
    u_char                 *obuf;
    size_t                  opos;
    size_t                  olast;
    const uint8_t          *pend;         /* nghttp2's, valid until its
                                             next mem_send */
    size_t                  pend_len;

    unsigned                ready:1;      /* connected (TLS, ALPN done) */
    unsigned                goaway:1;
    unsigned                failed:1;
    unsigned                flush_pending:1;
    unsigned                idle_closing:1;
};

struct lb_http2_up_stream_s {
    lb_http_link_t          link;         /* conn->streams; free list */
    lb_http_link_t          notify_link;
    lb_http2_up_conn_t     *conn;
    lb_http_session_t      *s;
    int32_t                 id;           /* 0: not submitted */
    uint32_t                error_code;   /* of RST_STREAM / close */
    int                     conn_err;     /* errno of a failed conn */
    const char             *why;          /* what failed, for the log */
    lb_event_t              timer;        /* timeout_member_data */
    unsigned                status;       /* of the head being read */

    /* text: [text_pos, head_end) complete heads to copy, [head_end,
     * text_len) the head being read or, after the final head, the
     * trailers */
    size_t                  text_pos;
    size_t                  head_end;
    size_t                  text_len;
    size_t                  data_pos;
    size_t                  data_len;

    lb_http_chunked_t       req_chunked;  /* the request body's framing,
                                             taken off */
    size_t                  req_trailer_len;

    lb_http2_body_e         body;
    unsigned                final_head:1;
    unsigned                has_length:1;
    unsigned                eos:1;        /* END_STREAM from the target */
    unsigned                closed:1;
    unsigned                refused:1;    /* never processed */
    unsigned                tail_done:1;  /* the body's end is in uin */
    unsigned                deferred:1;   /* the body waits for bytes */
    unsigned                req_eof:1;
    unsigned                notified:1;
    unsigned                bad_head:1;   /* cannot be put into h2 */

    nghttp2_nv              nv[LB_HTTP2_UP_NV];
    u_char                  req_trailer[LB_HTTP_CHUNK_MAX_TRAILER];
    u_char                  text[LB_HTTP2_UP_TEXT];
    u_char                  data[LB_HTTP2_UP_WINDOW];
};

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
static void lb_http2_up_notify(lb_http2_up_stream_t *st);
static lb_int_t lb_http2_up_submit(lb_http2_up_stream_t *st);
static size_t lb_http2_up_request_nv(lb_http2_up_stream_t *st);
static size_t lb_http2_up_trailer_nv(lb_http2_up_stream_t *st);
static ssize_t lb_http2_up_read_body(nghttp2_session *ng, int32_t id,
    uint8_t *buf, size_t length, uint32_t *flags,
    nghttp2_data_source *source, void *user_data);
static lb_int_t lb_http2_up_client(lb_http_session_t *s, bool *progress);
static void lb_http2_up_timers(lb_http_session_t *s);
static void lb_http2_up_timeout(lb_event_t *ev);
static lb_http2_up_stream_t *lb_http2_up_stream(lb_http2_up_conn_t *hc,
    int32_t id);
static lb_int_t lb_http2_up_text(lb_http2_up_stream_t *st, const void *p,
    size_t len);
static int lb_http2_up_on_header(nghttp2_session *ng,
    const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
    const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data);
static int lb_http2_up_on_frame(nghttp2_session *ng,
    const nghttp2_frame *frame, void *user_data);
static int lb_http2_up_on_data(nghttp2_session *ng, uint8_t flags,
    int32_t id, const uint8_t *data, size_t len, void *user_data);
static int lb_http2_up_on_close(nghttp2_session *ng, int32_t id,
    uint32_t error_code, void *user_data);
static int lb_http2_up_on_not_sent(nghttp2_session *ng,
    const nghttp2_frame *frame, int lib_error_code, void *user_data);
static const char *lb_http2_up_reason(unsigned status);
static bool lb_http2_up_skip(const u_char *name, size_t len);


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

    nghttp2_session_callbacks_set_on_header_callback(lb_http2_up_callbacks,
        lb_http2_up_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        lb_http2_up_callbacks, lb_http2_up_on_frame);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        lb_http2_up_callbacks, lb_http2_up_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(
        lb_http2_up_callbacks, lb_http2_up_on_close);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(
        lb_http2_up_callbacks, lb_http2_up_on_not_sent);

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

    if (nghttp2_session_client_new2(&hc->ng, lb_http2_up_callbacks, hc,
                                    lb_http2_up_option) != 0)
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
    lb_connection_t  *u;

    u = hc->c;

    while (u->read->ready) {
        n = lb_conn_recv(u, lb_http2_up_rbuf, sizeof(lb_http2_up_rbuf));

        if (n == LB_AGAIN) {
            break;
        }

        if (n == 0 || n == LB_ERROR) {
            lb_http2_up_fail(hc, n == 0 ? 0 : (u->ssl ? u->ssl->err : errno),
                             n == 0 ? "the target closed the HTTP/2 "
                                      "connection"
                                    : "reading from the target failed");
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


static void
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

    n = lb_http2_up_request_nv(st);
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
        return LB_ERROR;
    }

    st->id = id;

    /* out keeps the head, for a retry; it went */
    s->req_head_sent = 1;
    s->out.pos = s->out.last;
    s->connected = lb_current_msec;

    return LB_OK;
}


/* The HTTP/2 fields of the head in s->out (written by
 * lb_http_request_head(), so well-formed: a request-line, field lines,
 * an empty line). Names are lowered in place; values point into out
 * (nghttp2 copies them). Returns the count, 0 when they do not fit. */
static size_t
lb_http2_up_request_nv(lb_http2_up_stream_t *st)
{
    size_t              n, k;
    u_char             *p, *end, *eol, *sp1, *sp2, *colon, *v, *ve, *semi;
    nghttp2_nv         *nv;
    lb_http_session_t  *s;

    s = st->s;
    nv = st->nv;
    p = s->out.start;
    end = s->out.last;

    eol = memmem(p, (size_t) (end - p), "\r\n", 2);
    if (eol == NULL) {
        return 0;
    }

    sp1 = memchr(p, ' ', (size_t) (eol - p));
    sp2 = (sp1 != NULL) ? memrchr(sp1 + 1, ' ', (size_t) (eol - sp1 - 1))
                        : NULL;
    if (sp2 == NULL) {
        return 0;
    }

#define LB_NV(i, nm, nl, vl, vll)                                          \
    do {                                                                   \
        nv[i].name = (uint8_t *) (nm);                                     \
        nv[i].namelen = (nl);                                              \
        nv[i].value = (uint8_t *) (vl);                                    \
        nv[i].valuelen = (vll);                                            \
        nv[i].flags = NGHTTP2_NV_FLAG_NONE;                                \
    } while (0)

    LB_NV(0, ":method", 7, p, (size_t) (sp1 - p));
    LB_NV(1, ":scheme", 7, s->group->tls ? "https" : "http",
          s->group->tls ? 5 : 4);
    LB_NV(2, ":authority", 10, "", 0);
    LB_NV(3, ":path", 5, sp1 + 1, (size_t) (sp2 - sp1 - 1));
    n = 4;

    for (p = eol + 2; p < end; p = eol + 2) {
        eol = memmem(p, (size_t) (end - p), "\r\n", 2);
        if (eol == NULL || eol == p) {
            break;
        }

        colon = memchr(p, ':', (size_t) (eol - p));
        if (colon == NULL) {
            return 0;
        }

        for (k = 0; p + k < colon; k++) {
            if (p[k] >= 'A' && p[k] <= 'Z') {
                p[k] |= 0x20;
            }
        }

        for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++) {
            /* void */
        }

        for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--) {
            /* void */
        }

        k = (size_t) (colon - p);

        if (k == 4 && memcmp(p, "host", 4) == 0) {
            nv[2].value = v;
            nv[2].valuelen = (size_t) (ve - v);
            continue;
        }

        if (lb_http2_up_skip(p, k)) {
            continue;
        }

        if (k == 6 && memcmp(p, "cookie", 6) == 0) {
            /* RFC 9113 8.2.3: crumbs compress better */
            while (v < ve) {
                semi = memchr(v, ';', (size_t) (ve - v));
                if (semi == NULL) {
                    semi = ve;
                }

                if (semi > v) {
                    if (n >= LB_HTTP2_UP_NV - 2) {
                        return 0;
                    }
                    LB_NV(n, p, k, v, (size_t) (semi - v));
                    n++;
                }

                for (v = semi + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
                {
                    /* void */
                }
            }
            continue;
        }

        if (n >= LB_HTTP2_UP_NV - 2) {
            return 0;
        }

        LB_NV(n, p, k, v, (size_t) (ve - v));
        n++;
    }

    if (nv[2].valuelen == 0) {
        return 0;
    }

    /* RFC 9113 8.2.2: TE only as "trailers" (gRPC asks for it) */
    if (s->te_trailers) {
        LB_NV(n, "te", 2, "trailers", 8);
        n++;
    }

#undef LB_NV

    return n;
}


/* connection-specific fields (RFC 9113 8.2.2), lowercase name */
static bool
lb_http2_up_skip(const u_char *name, size_t len)
{
    static const struct {
        const char  *name;
        size_t       len;
    } skip[] = {
        { "connection", 10 }, { "keep-alive", 10 },
        { "proxy-connection", 16 }, { "transfer-encoding", 17 },
        { "upgrade", 7 }, { "te", 2 }, { "http2-settings", 14 },
    };

    size_t  i;

    for (i = 0; i < lb_nelems(skip); i++) {
        if (len == skip[i].len && memcmp(name, skip[i].name, len) == 0) {
            return true;
        }
    }

    return false;
}


bool
lb_http2_upstream_te_trailers(const lb_http_session_t *s)
{
    uint32_t       i;
    const u_char  *p, *end, *t;

    for (i = 0; i < s->req.nheaders; i++) {
        if (s->req_headers[i].id != LB_HTTP_HDR_TE) {
            continue;
        }

        p = s->cin.start + s->req_headers[i].value.off;
        end = p + s->req_headers[i].value.len;

        /* a list of t-codings: "trailers" is one with no parameter */
        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
                p++;
            }

            t = p;

            while (p < end && *p != ',' && *p != ';' && *p != ' '
                   && *p != '\t')
            {
                p++;
            }

            if (p - t == 8 && strncasecmp((const char *) t, "trailers", 8)
                              == 0)
            {
                return true;
            }

            while (p < end && *p != ',') {
                p++;
            }
        }
    }

    return false;
}


/* nghttp2 asks for body bytes: those checked in cin, the chunked framing
 * taken off (its trailers kept for HTTP/2 trailers) */
static ssize_t
lb_http2_up_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf,
    size_t length, uint32_t *flags, nghttp2_data_source *source,
    void *user_data)
{
    size_t                   copied, n, tl;
    uint32_t                 i;
    lb_int_t                 rc;
    u_char                  *p, *ready, *end;
    lb_http_span_t           spans[16];
    lb_http_session_t       *s;
    lb_http2_up_stream_t    *st;
    lb_http_chunked_out_t    out;

    st = source->ptr;

    /* a record reused for another stream, or detached: not ours */
    if (st->conn != user_data || st->id != id || st->s == NULL) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }

    s = st->s;
    copied = 0;
    p = s->cin.pos;
    ready = s->req_body.ready;

    if (s->req_body.type == LB_HTTP_BODY_CHUNKED) {

        while (copied < length && p < ready && !st->req_eof) {
            /* no more framed input than room for data: data <= input */
            end = p + lb_min((size_t) (ready - p), length - copied);

            memset(&out, 0, sizeof(out));
            out.data = spans;
            out.max_data = lb_nelems(spans);

            rc = lb_http_chunked_parse(&st->req_chunked, p, end, &out);

            for (i = 0; i < out.ndata; i++) {
                memcpy(buf + copied, p + spans[i].off, spans[i].len);
                copied += spans[i].len;
            }

            tl = out.trailer.len;
            if (tl != 0
                && st->req_trailer_len + tl <= sizeof(st->req_trailer))
            {
                memcpy(st->req_trailer + st->req_trailer_len,
                       p + out.trailer.off, tl);
                st->req_trailer_len += tl;
            }

            p += out.consumed;

            if (rc == LB_DONE) {
                st->req_eof = 1;

            } else if (rc == LB_ERROR
                       || (out.consumed == 0 && out.ndata == 0))
            {
                /* checked already as it came: cannot happen */
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            }
        }

    } else {
        n = lb_min((size_t) (ready - p), length);
        memcpy(buf, p, n);
        copied = n;
        p += n;

        if (s->req_body.done && p == ready) {
            st->req_eof = 1;
        }
    }

    if (p != s->cin.pos) {
        s->up_write_at = lb_current_msec;
        /* room in cin: the client may be read again */
        lb_http2_up_notify(st);
    }

    s->req_body.sent += (uint64_t) (p - s->cin.pos);
    s->target_out += copied;
    s->cin.pos = p;

    if (s->cin.pos == s->cin.last) {
        /* everything went: start over at the front */
        s->cin.pos = s->cin.start;
        s->cin.last = s->cin.start;
        s->req_body.ready = s->cin.start;
    }

    if (st->req_eof) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;

        n = lb_http2_up_trailer_nv(st);

        if (n != 0 && nghttp2_submit_trailer(ng, id, st->nv, n) == 0) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }

        return (ssize_t) copied;
    }

    if (copied == 0) {
        st->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }

    return (ssize_t) copied;
}


/* the request's chunked trailers ("Name: value" lines, then an empty
 * one) as HTTP/2 fields, names lowered in place; connection-specific
 * ones dropped */
static size_t
lb_http2_up_trailer_nv(lb_http2_up_stream_t *st)
{
    size_t   n, k;
    u_char  *p, *end, *eol, *colon, *v, *ve;

    n = 0;
    p = st->req_trailer;
    end = st->req_trailer + st->req_trailer_len;

    for ( /* void */ ; p < end; p = eol + 2) {
        eol = memmem(p, (size_t) (end - p), "\r\n", 2);
        if (eol == NULL || eol == p || n == LB_HTTP2_UP_NV) {
            break;
        }

        colon = memchr(p, ':', (size_t) (eol - p));
        if (colon == NULL) {
            continue;
        }

        for (k = 0; p + k < colon; k++) {
            if (p[k] >= 'A' && p[k] <= 'Z') {
                p[k] |= 0x20;
            }
        }

        for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++) {
            /* void */
        }

        for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--) {
            /* void */
        }

        k = (size_t) (colon - p);

        if (lb_http2_up_skip(p, k)) {
            continue;
        }

        st->nv[n].name = p;
        st->nv[n].namelen = k;
        st->nv[n].value = v;
        st->nv[n].valuelen = (size_t) (ve - v);
        st->nv[n].flags = NGHTTP2_NV_FLAG_NONE;
        n++;
    }

    return n;
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
    int                    err;
    ssize_t                n;
    const char            *reason;
    lb_connection_t       *c;
    lb_http2_up_stream_t  *st;

    c = s->client;
    st = s->h2;

    for ( ;; ) {
        if (st->deferred && st->id > 0 && !st->closed
            && s->req_body.ready > s->cin.pos && st->conn->ng != NULL)
        {
            st->deferred = 0;
            (void) nghttp2_session_resume_data(st->conn->ng, st->id);
        }

        if (s->req_body.done || !c->read->ready || s->client_eof) {
            return LB_OK;
        }

        if (s->cin.last == s->cin.end) {
            lb_http_buf_compact(&s->cin, &s->req_body);

            if (s->cin.last == s->cin.end) {
                /* full: the target takes it slower than it comes */
                return LB_OK;
            }
        }

        n = lb_http_recv(c, &s->cin, &err);

        if (n == LB_AGAIN) {
            return LB_OK;
        }

        if (n == 0 || n == LB_ERROR) {
            lb_http_log_error(s, n == 0 ? LB_LOG_INFO
                                        : lb_conn_error_level(err),
                              n == 0 ? 0 : err,
                              "the client closed the connection while "
                              "sending the request body");
            lb_http_close(s);
            return LB_DONE;
        }

        *progress = true;
        s->client_read_at = lb_current_msec;

        if (lb_http_body_parse(&s->req_body, &s->cin, &reason) != LB_OK) {
            lb_http_log_error(s, LB_LOG_INFO, 0, reason);

            if (!s->resp_head_sent) {
                lb_http_error(s, 400, true);

            } else {
                lb_http_close(s);
            }

            return LB_DONE;
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


/* --- the response --- */

ssize_t
lb_http2_upstream_recv(lb_http_session_t *s, lb_http_buf_t *b, int *err)
{
    int                    hl;
    size_t                 n, avail, room, tl;
    u_char                *p, *end;
    lb_http2_up_conn_t    *hc;
    lb_http2_up_stream_t  *st;

    st = s->h2;
    hc = st->conn;
    p = b->last;
    end = b->end;
    *err = 0;

    /* heads: interim ones, then the final one */
    if (st->text_pos < st->head_end) {
        n = lb_min((size_t) (end - p), st->head_end - st->text_pos);
        memcpy(p, st->text + st->text_pos, n);
        p += n;
        st->text_pos += n;
    }

    if (st->final_head && st->text_pos == st->head_end) {
        avail = st->data_len - st->data_pos;
        room = (size_t) (end - p);
        n = 0;

        switch (st->body) {

        case LB_HTTP2_BODY_LENGTH:
            n = lb_min(avail, room);
            memcpy(p, st->data + st->data_pos, n);
            p += n;
            break;

        case LB_HTTP2_BODY_CHUNKED:
            /* "size CRLF data CRLF": at most 8 hex digits of size */
            if (avail != 0 && room > 8 + 2 + 2) {
                n = lb_min(avail, room - (8 + 2 + 2));
                hl = snprintf((char *) p, 11, "%zx\r\n", n);
                p += hl;
                memcpy(p, st->data + st->data_pos, n);
                p += n;
                *p++ = '\r';
                *p++ = '\n';
            }
            break;

        default:
            /* no body may follow: dropped */
            n = avail;
            break;
        }

        if (n != 0) {
            st->data_pos += n;

            if (st->data_pos == st->data_len) {
                st->data_pos = 0;
                st->data_len = 0;
            }

            if (hc->ng != NULL && !hc->failed
                && nghttp2_session_consume(hc->ng, st->id, n) != 0)
            {
                (void) nghttp2_session_consume_connection(hc->ng, n);
            }

            hc->flush_pending = 1;
        }

        if (st->eos && st->data_len == 0 && !st->tail_done) {
            tl = st->text_len - st->head_end;

            if (st->body != LB_HTTP2_BODY_CHUNKED) {
                /* HTTP/1.1 has no trailers after a length */
                st->tail_done = 1;
                st->text_pos = st->text_len;

            } else if ((size_t) (end - p) >= 3 + tl + 2) {
                memcpy(p, "0\r\n", 3);
                p += 3;
                memcpy(p, st->text + st->head_end, tl);
                p += tl;
                *p++ = '\r';
                *p++ = '\n';
                st->tail_done = 1;
                st->text_pos = st->text_len;
            }
        }
    }

    if (st->text_pos == st->text_len && st->head_end == st->text_len) {
        st->text_pos = 0;
        st->head_end = 0;
        st->text_len = 0;
    }

    n = (size_t) (p - b->last);

    if (n != 0) {
        b->last = p;
        return (ssize_t) n;
    }

    if (st->closed && !st->eos) {
        if (st->refused && s->req_body.sent == 0) {
            /* RFC 9113 8.7: not processed, may go again */
            s->req_head_sent = 0;
            s->out.pos = s->out.start;
        }

        if (st->why != NULL || st->error_code != NGHTTP2_NO_ERROR) {
            lb_http_log_error(s, LB_LOG_INFO, st->conn_err,
                              st->why != NULL
                              ? st->why
                              : nghttp2_http2_strerror(st->error_code));
        }

        *err = st->conn_err ? st->conn_err : ECONNRESET;
        return LB_ERROR;
    }

    return LB_AGAIN;
}


/* --- nghttp2's callbacks --- */

static lb_http2_up_stream_t *
lb_http2_up_stream(lb_http2_up_conn_t *hc, int32_t id)
{
    lb_http2_up_stream_t  *st;

    st = nghttp2_session_get_stream_user_data(hc->ng, id);

    return (st != NULL && st->s != NULL && st->id == id) ? st : NULL;
}


/* append to the stream's text; LB_ERROR when it does not fit */
static lb_int_t
lb_http2_up_text(lb_http2_up_stream_t *st, const void *p, size_t len)
{
    if (len > sizeof(st->text) - st->text_len) {
        return LB_ERROR;
    }

    memcpy(st->text + st->text_len, p, len);
    st->text_len += len;

    return LB_OK;
}


static int
lb_http2_up_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *user_data)
{
    int                    n;
    char                   line[64];
    unsigned               status;
    size_t                 i;
    lb_http2_up_stream_t  *st;

    if (frame->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }

    st = lb_http2_up_stream(user_data, frame->hd.stream_id);
    if (st == NULL) {
        return 0;
    }

    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        status = 0;

        for (i = 0; i < valuelen && i < 3; i++) {
            status = status * 10 + (unsigned) (value[i] - '0');
        }

        st->status = status;
        st->has_length = 0;

        n = snprintf(line, sizeof(line), "HTTP/1.1 %03u%s%s\r\n", status,
                     lb_http2_up_reason(status)[0] ? " " : "",
                     lb_http2_up_reason(status));

        if (lb_http2_up_text(st, line, (size_t) n) != LB_OK) {
            goto too_large;
        }

        return 0;
    }

    if (namelen == 14 && memcmp(name, "content-length", 14) == 0) {
        st->has_length = 1;
    }

    if (lb_http2_up_text(st, name, namelen) != LB_OK
        || lb_http2_up_text(st, ": ", 2) != LB_OK
        || lb_http2_up_text(st, value, valuelen) != LB_OK
        || lb_http2_up_text(st, "\r\n", 2) != LB_OK)
    {
        goto too_large;
    }

    return 0;

too_large:

    st->why = "the target's response head or trailers are too large";
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}


static int
lb_http2_up_on_frame(nghttp2_session *ng, const nghttp2_frame *frame,
    void *user_data)
{
    lb_http_session_t     *s;
    lb_http2_up_conn_t    *hc;
    lb_http2_up_stream_t  *st;

    hc = user_data;

    if (frame->hd.type == NGHTTP2_GOAWAY) {
        hc->goaway = 1;
        hc->last_stream_id = frame->goaway.last_stream_id;
        lb_log_debug(&lb_log, "*%lu GOAWAY from the target, last stream "
                     "%d", (unsigned long) hc->c->number,
                     (int) frame->goaway.last_stream_id);
        return 0;
    }

    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
    {
        return 0;
    }

    st = lb_http2_up_stream(hc, frame->hd.stream_id);
    if (st == NULL) {
        return 0;
    }

    s = st->s;

    if (frame->hd.type == NGHTTP2_HEADERS && !st->final_head) {

        if (st->status >= 100 && st->status < 200) {
            /* an interim head goes on as one (lb_http_response.c) */
            if (lb_http2_up_text(st, "\r\n", 2) != LB_OK) {
                goto too_large;
            }
            st->head_end = st->text_len;
            st->status = 0;
            goto notify;
        }

        if (s->req.method == LB_HTTP_METHOD_HEAD || st->status == 204
            || st->status == 304)
        {
            st->body = LB_HTTP2_BODY_NONE;

        } else if (st->has_length) {
            st->body = LB_HTTP2_BODY_LENGTH;

        } else {
            st->body = LB_HTTP2_BODY_CHUNKED;

            if (lb_http2_up_text(st, "transfer-encoding: chunked\r\n", 28)
                != LB_OK)
            {
                goto too_large;
            }
        }

        if (lb_http2_up_text(st, "\r\n", 2) != LB_OK) {
            goto too_large;
        }

        st->head_end = st->text_len;
        st->final_head = 1;
    }

    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        st->eos = 1;
    }

notify:

    s->up_read_at = lb_current_msec;
    lb_http2_up_notify(st);

    return 0;

too_large:

    st->why = "the target's response head is too large";
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}


static int
lb_http2_up_on_data(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *user_data)
{
    lb_http2_up_stream_t  *st;

    st = lb_http2_up_stream(user_data, id);

    if (st == NULL) {
        /* a stream given up: its bytes still count on the connection */
        (void) nghttp2_session_consume_connection(ng, len);
        return 0;
    }

    if (st->data_len + len > sizeof(st->data)) {
        memmove(st->data, st->data + st->data_pos,
                st->data_len - st->data_pos);
        st->data_len -= st->data_pos;
        st->data_pos = 0;
    }

    if (st->data_len + len > sizeof(st->data)) {
        /* nghttp2 holds the target to the window: cannot happen */
        st->why = "the target sent more than its stream's window";
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }

    memcpy(st->data + st->data_len, data, len);
    st->data_len += len;
    st->s->target_in += len;
    st->s->up_read_at = lb_current_msec;
    lb_http2_up_notify(st);

    return 0;
}


static int
lb_http2_up_on_close(nghttp2_session *ng, int32_t id, uint32_t error_code,
    void *user_data)
{
    lb_http2_up_stream_t  *st;

    st = lb_http2_up_stream(user_data, id);
    if (st == NULL) {
        return 0;
    }

    st->closed = 1;
    st->error_code = error_code;

    if (error_code == NGHTTP2_REFUSED_STREAM) {
        st->refused = 1;
    }

    lb_http2_up_notify(st);

    return 0;
}


/* a request that never went out (GOAWAY came first): refused */
static int
lb_http2_up_on_not_sent(nghttp2_session *ng, const nghttp2_frame *frame,
    int lib_error_code, void *user_data)
{
    lb_http_link_t        *l;
    lb_http2_up_conn_t    *hc;
    lb_http2_up_stream_t  *st;

    hc = user_data;

    if (frame->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }

    for (l = hc->streams.next; l != &hc->streams; l = l->next) {
        st = lb_http_list_data(l, lb_http2_up_stream_t, link);

        if (st->id == frame->hd.stream_id && !st->closed) {
            st->closed = 1;
            st->refused = 1;
            st->why = nghttp2_strerror(lib_error_code);
            lb_http2_up_notify(st);
            break;
        }
    }

    return 0;
}


/* the reason-phrase of the status-line given to HTTP/1.1 clients (HTTP/2
 * has none) */
static const char *
lb_http2_up_reason(unsigned status)
{
    switch (status) {
    case 100: return "Continue";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "";
    }
}
