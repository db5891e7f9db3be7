/* weir: HTTP/2 clients (RFC 9113) of HTTPS listeners that chose "h2" by
 * ALPN. libnghttp2 does the framing, HPACK, flow control and the message
 * rules of RFC 9113 section 8.1-8.3 (pseudo-headers, connection-specific
 * fields, "te: trailers" only, content-length against DATA: a request
 * that breaks one gets RST_STREAM PROTOCOL_ERROR from it and never comes
 * here). weir does the rest: one nghttp2 server session per connection,
 * fed the decrypted bytes and drained into one output buffer, and for
 * each request stream a "stream connection" (lb_http2.h) that the very
 * HTTP/1.1 session code serves:
 *
 *   - in: the request head is written as HTTP/1.1 (method, :path,
 *     :authority as Host, the fields with cookies joined by "; ",
 *     Transfer-Encoding: chunked when a body comes without
 *     content-length), then the DATA bytes (chunked as needed). The
 *     session reads them with lb_http_recv(); what it read is given back
 *     to the client's flow-control windows (no automatic WINDOW_UPDATE),
 *     so a stream holds at most LB_HTTP2_WINDOW body bytes.
 *   - out: the HTTP/1.1 response head weir writes is parsed again and
 *     submitted as HEADERS (:status, fields lowercased, hop-by-hop ones
 *     dropped); the body bytes (never chunked: the session drops the
 *     framing for h2 as for HTTP/1.0) go through the stream's buffer to
 *     a data provider that defers when it is empty; the session's end
 *     is END_STREAM.
 *
 * Limits (the known attacks): at most LB_HTTP2_MAX_STREAMS streams at a
 * time (SETTINGS_MAX_CONCURRENT_STREAMS, and REFUSED_STREAM past it even
 * before the client acknowledged it); resets by the client, SETTINGS,
 * PING, PRIORITY and empty frames counted per second and connection, the
 * connection gets GOAWAY ENHANCE_YOUR_CALM past LB_HTTP2_RESETS_PER_SEC or
 * LB_HTTP2_CONTROL_PER_SEC; at most LB_HTTP2_MAX_CONTINUATIONS
 * CONTINUATION frames per header block (nghttp2 closes the connection
 * past them) and a header list that written as HTTP/1.1 fits one buffer
 * (else the request is answered 431, as an HTTP/1.1 one); nghttp2's own
 * memory is capped per connection at LB_HTTP2_MEM_MAX (a counting
 * allocator); a stream's memory is fixed (LB_HTTP2_STREAM_IN +
 * LB_HTTP2_STREAM_OUT), reused through the connection's free list.
 * Timeouts: timeout_client_header for the first request (from the
 * connection) and for a header block begun and not ended;
 * timeout_client_data while no stream is open, and for a client that
 * does not read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "lb_balancer.h"
#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_limit.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_http2.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"
#include "lb_zone_gauge.h"

#define LB_HTTP2_MAX_STREAMS        128
/* a stream's receive window: the request body bytes it may hold. The
 * default of RFC 9113 (6.9.2): a client may send that much before it
 * read weir's SETTINGS, so a smaller one would not bound anything */
#define LB_HTTP2_WINDOW             65535
/* the connection's receive window */
#define LB_HTTP2_CONN_WINDOW        (1024 * 1024)
/* the request head as HTTP/1.1 (the limit of an HTTP/1.1 head), then the
 * window's bytes with their chunk framing */
#define LB_HTTP2_STREAM_IN          (LB_HTTP_BUFFER_SIZE + LB_HTTP2_WINDOW)
/* response body bytes waiting for DATA frames */
#define LB_HTTP2_STREAM_OUT         16384
/* what the connection reads and writes at a time */
#define LB_HTTP2_READ               16384
#define LB_HTTP2_OBUF               (64 * 1024)
#define LB_HTTP2_OBUF_FILL          16384
/* per connection and second */
#define LB_HTTP2_RESETS_PER_SEC     200
#define LB_HTTP2_CONTROL_PER_SEC    200
#define LB_HTTP2_MAX_CONTINUATIONS  8
/* nghttp2's memory of one connection (HPACK tables, frames queued) */
#define LB_HTTP2_MEM_MAX            (4 * 1024 * 1024)
/* reads of one handler call before the others get their turn */
#define LB_HTTP2_READS              8

typedef struct lb_http2_conn_s  lb_http2_conn_t;

/* A listener's counters in the shared zone (lb_zone_gauge.h, read by the
 * admin process for /metrics): h2 connections (entered: ever, total:
 * open), streams (the same), streams reset by the client, GOAWAYs sent.
 * Each worker finds them once per listening socket (ls->data). */
typedef enum {
    LB_HTTP2_M_CONNS = 0,
    LB_HTTP2_M_STREAMS,
    LB_HTTP2_M_RESETS,
    LB_HTTP2_M_GOAWAYS,
    LB_HTTP2_M_N
} lb_http2_metric_e;

static const char *const  lb_http2_metric_kinds[LB_HTTP2_M_N] = {
    "h2c", "h2s", "h2r", "h2g"
};

typedef struct {
    lb_zone_gauge_t        *gauge[LB_HTTP2_M_N];   /* NULL: not counted */
    uint32_t                slot[LB_HTTP2_M_N];
} lb_http2_stats_t;

struct lb_http2_stream_s {
    lb_connection_t         c;            /* the stream connection */
    lb_event_t              rev;
    lb_event_t              wev;
    lb_http_conn_t          hc;           /* as a client connection's */
    lb_http2_conn_t        *h2;
    int32_t                 id;

    /* the request as HTTP/1.1: [in_pos, in_last) waits, the first
     * in_head bytes of it the head */
    u_char                 *in_pos;
    u_char                 *in_last;
    size_t                  in_head;

    /* response body bytes for DATA frames: [out_pos, out_last) */
    u_char                 *out_pos;
    u_char                 *out_last;

    lb_http_link_t          link;         /* in h2->streams */
    lb_http2_stream_t      *next_free;

    unsigned                head_req:1;   /* the method is HEAD */
    unsigned                started:1;    /* the session was started */
    unsigned                chunked:1;    /* the body goes chunked */
    unsigned                req_end:1;    /* END_STREAM came */
    unsigned                last_chunk:1; /* "0\r\n\r\n" was read */
    unsigned                too_large:1;  /* the head does not fit */
    unsigned                resp_head:1;  /* HEADERS submitted */
    unsigned                resp_end:1;   /* the session's response is
                                             whole */
    unsigned                no_body:1;    /* HEADERS ended the stream */
    unsigned                deferred:1;   /* the data provider waits */
    unsigned                rst_after:1;  /* RST_STREAM NO_ERROR after the
                                             response (the request did
                                             not end) */
    unsigned                ng_closed:1;  /* nghttp2 closed the stream */
    unsigned                gone:1;       /* the session is over */

    u_char                  in[LB_HTTP2_STREAM_IN];
    u_char                  out[LB_HTTP2_STREAM_OUT];
};

struct lb_http2_conn_s {
    lb_http_link_t          link;         /* in lb_http2_conns */
    lb_http_conn_t         *hc;           /* the client connection's */
    lb_http2_stats_t       *stats;        /* NULL: none */
    lb_connection_t        *c;
    lb_listener_t          *listener;
    nghttp2_session        *ng;
    size_t                  mem;          /* nghttp2's, in bytes */

    lb_http_link_t          streams;      /* lb_http2_stream_t, open */
    lb_http2_stream_t      *free;
    uint32_t                nstreams;

    /* the header block being read (one at a time on a connection):
     * pseudo-header values and the fields as HTTP/1.1 lines */
    lb_http2_stream_t      *hb;
    lb_msec_t               hb_start;
    u_char                  hb_method[32];
    uint32_t                hb_method_len;
    u_char                  hb_authority[256];
    uint32_t                hb_authority_len;
    uint32_t                hb_path_off;  /* in hb_buf */
    uint32_t                hb_path_len;
    uint32_t                hb_cookie_off;
    uint32_t                hb_cookie_len;
    uint32_t                hb_len;
    unsigned                hb_has_path:1;
    unsigned                hb_has_cl:1;
    unsigned                hb_has_cookie:1;
    u_char                  hb_buf[LB_HTTP_BUFFER_SIZE];
    u_char                  hb_cookie[LB_HTTP_MAX_FIELD];

    /* output: [opos, olen) of obuf, and a chunk of nghttp2's not taken */
    u_char                 *obuf;
    size_t                  opos;
    size_t                  olen;

    /* per-second accounting */
    time_t                  sec;
    uint32_t                resets;
    uint32_t                control;
    uint32_t                continuations;  /* of the header block */

    lb_msec_t               idle_since;   /* no stream open since */
    unsigned                served:1;     /* a request came */
    unsigned                closing:1;
    unsigned                goaway:1;     /* GOAWAY sent */
};

static void lb_http2_handler(lb_event_t *ev);
static void lb_http2_read(lb_http2_conn_t *h2);
static lb_int_t lb_http2_flush(lb_http2_conn_t *h2);
static void lb_http2_timers(lb_http2_conn_t *h2);
static void lb_http2_close(lb_http2_conn_t *h2);
static void lb_http2_streams_close(lb_http2_conn_t *h2);
static void lb_http2_linger(lb_http2_conn_t *h2);
static void lb_http2_linger_handler(lb_event_t *ev);
static void lb_http2_calm(lb_http2_conn_t *h2, const char *what);
static bool lb_http2_count(lb_http2_conn_t *h2, uint32_t *counter,
    uint32_t max);
static void lb_http2_log(lb_http2_conn_t *h2, unsigned level,
    const char *what);
static lb_http2_stream_t *lb_http2_stream_new(lb_http2_conn_t *h2,
    int32_t id);
static void lb_http2_stream_free(lb_http2_stream_t *st);
static void lb_http2_stream_request(lb_http2_stream_t *st, bool end);
static lb_int_t lb_http2_submit_head(lb_http2_stream_t *st,
    const u_char *p, size_t len, size_t *used);
static void lb_http2_reply(lb_http2_stream_t *st, unsigned status);
static void lb_http2_post(lb_http2_conn_t *h2);
static lb_http2_stats_t *lb_http2_stats(lb_listening_t *ls);
static void lb_http2_count_in(lb_http2_conn_t *h2, lb_http2_metric_e m);
static void lb_http2_count_out(lb_http2_conn_t *h2, lb_http2_metric_e m);

static int lb_http2_on_begin_frame(nghttp2_session *ng,
    const nghttp2_frame_hd *hd, void *data);
static int lb_http2_on_begin_headers(nghttp2_session *ng,
    const nghttp2_frame *frame, void *data);
static int lb_http2_on_header(nghttp2_session *ng,
    const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
    const uint8_t *value, size_t valuelen, uint8_t flags, void *data);
static int lb_http2_on_frame_recv(nghttp2_session *ng,
    const nghttp2_frame *frame, void *data);
static int lb_http2_on_data_chunk(nghttp2_session *ng, uint8_t flags,
    int32_t id, const uint8_t *p, size_t len, void *data);
static int lb_http2_on_stream_close(nghttp2_session *ng, int32_t id,
    uint32_t code, void *data);
static int lb_http2_on_frame_send(nghttp2_session *ng,
    const nghttp2_frame *frame, void *data);
static ssize_t lb_http2_data_read(nghttp2_session *ng, int32_t id,
    uint8_t *buf, size_t length, uint32_t *flags,
    nghttp2_data_source *source, void *data);

static void *lb_http2_malloc(size_t size, void *data);
static void lb_http2_free_mem(void *ptr, void *data);
static void *lb_http2_calloc(size_t n, size_t size, void *data);
static void *lb_http2_realloc(void *ptr, size_t size, void *data);

/* the worker's h2 connections, for a graceful stop */
static lb_http_link_t  lb_http2_conns = { &lb_http2_conns, &lb_http2_conns };

/* the callbacks are the same for every connection: made once */
static nghttp2_session_callbacks  *lb_http2_callbacks;
static nghttp2_option             *lb_http2_options;

/* what one read takes, and the response head parsed again: used by one
 * call at a time */
static u_char            lb_http2_rbuf[LB_HTTP2_READ];
static lb_http_msg_t     lb_http2_resp;
static lb_http_header_t  lb_http2_resp_headers[LB_HTTP_HEADERS];
static u_char            lb_http2_names[LB_HTTP_BUFFER_SIZE];
static nghttp2_nv        lb_http2_nva[LB_HTTP_HEADERS + 1];


static lb_int_t
lb_http2_global_init(void)
{
    if (lb_http2_callbacks != NULL) {
        return LB_OK;
    }

    if (nghttp2_session_callbacks_new(&lb_http2_callbacks) != 0) {
        return LB_ERROR;
    }

    nghttp2_session_callbacks_set_on_begin_frame_callback(lb_http2_callbacks,
        lb_http2_on_begin_frame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(
        lb_http2_callbacks, lb_http2_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(lb_http2_callbacks,
                                                     lb_http2_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(lb_http2_callbacks,
        lb_http2_on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        lb_http2_callbacks, lb_http2_on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(
        lb_http2_callbacks, lb_http2_on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(lb_http2_callbacks,
        lb_http2_on_frame_send);

    if (nghttp2_option_new(&lb_http2_options) != 0) {
        nghttp2_session_callbacks_del(lb_http2_callbacks);
        lb_http2_callbacks = NULL;
        return LB_ERROR;
    }

    /* the windows are given back as the sessions read (bounded memory) */
    nghttp2_option_set_no_auto_window_update(lb_http2_options, 1);
    /* weir's count says it first, with a GOAWAY ENHANCE_YOUR_CALM */
    nghttp2_option_set_max_continuations(lb_http2_options,
                                         LB_HTTP2_MAX_CONTINUATIONS * 2);
    /* SETTINGS with many entries, and ACKs piling up unread */
    nghttp2_option_set_max_settings(lb_http2_options, 32);
    nghttp2_option_set_max_outbound_ack(lb_http2_options, 1000);
    nghttp2_option_set_max_deflate_dynamic_table_size(lb_http2_options,
                                                      4096);
    nghttp2_option_set_max_send_header_block_length(lb_http2_options,
                                                    LB_HTTP_OUT_SIZE * 2);
    /* nghttp2's own token bucket behind weir's per-second count */
    nghttp2_option_set_stream_reset_rate_limit(lb_http2_options,
        LB_HTTP2_RESETS_PER_SEC * 2, LB_HTTP2_RESETS_PER_SEC);
    nghttp2_option_set_no_closed_streams(lb_http2_options, 1);

    return LB_OK;
}


void
lb_http2_init_connection(lb_http_conn_t *hc)
{
    int                      rv;
    lb_connection_t         *c;
    lb_http2_conn_t         *h2;
    nghttp2_mem              mem;
    nghttp2_settings_entry   iv[4];

    c = hc->client;

    h2 = lb_pcalloc(c->pool, sizeof(lb_http2_conn_t));
    if (h2 == NULL || lb_http2_global_init() != LB_OK) {
        lb_log_error(LB_LOG_CRIT, &lb_log, 0, "*%lu out of memory for an "
                     "HTTP/2 connection, client closed",
                     (unsigned long) c->number);
        lb_http_conn_close(hc);
        return;
    }

    h2->obuf = lb_palloc(c->pool, LB_HTTP2_OBUF);
    if (h2->obuf == NULL) {
        lb_http_conn_close(hc);
        return;
    }

    h2->hc = hc;
    h2->c = c;
    h2->listener = hc->listener;
    h2->stats = lb_http2_stats(c->listening);
    h2->idle_since = hc->start;
    lb_http_list_init(&h2->streams);

    mem.mem_user_data = h2;
    mem.malloc = lb_http2_malloc;
    mem.free = lb_http2_free_mem;
    mem.calloc = lb_http2_calloc;
    mem.realloc = lb_http2_realloc;

    rv = nghttp2_session_server_new3(&h2->ng, lb_http2_callbacks, h2,
                                     lb_http2_options, &mem);
    if (rv != 0) {
        lb_http2_log(h2, LB_LOG_CRIT, "nghttp2_session_server_new3() "
                     "failed, client closed");
        lb_http_conn_close(hc);
        return;
    }

    iv[0].settings_id = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS;
    iv[0].value = LB_HTTP2_MAX_STREAMS;
    iv[1].settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
    iv[1].value = LB_HTTP2_WINDOW;
    iv[2].settings_id = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
    iv[2].value = LB_HTTP_BUFFER_SIZE;
    iv[3].settings_id = NGHTTP2_SETTINGS_ENABLE_PUSH;
    iv[3].value = 0;

    if (nghttp2_submit_settings(h2->ng, NGHTTP2_FLAG_NONE, iv, 4) != 0
        || nghttp2_session_set_local_window_size(h2->ng, NGHTTP2_FLAG_NONE,
                                                 0, LB_HTTP2_CONN_WINDOW)
           != 0)
    {
        lb_http2_close(h2);
        return;
    }

    c->data = h2;
    c->read->handler = lb_http2_handler;
    c->write->handler = lb_http2_handler;

    lb_http2_count_in(h2, LB_HTTP2_M_CONNS);
    lb_http_list_push(&lb_http2_conns, &h2->link);

    if (lb_http_worker.quitting) {
        lb_http2_drain();
    }

    /* the SETTINGS go now; bytes may wait in OpenSSL already */
    lb_event_post(c->read);
}


static void
lb_http2_handler(lb_event_t *ev)
{
    lb_connection_t  *c;
    lb_http2_conn_t  *h2;

    c = ev->data;
    h2 = c->data;

    if (c->close) {
        lb_http2_close(h2);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;

        if (ev->write) {
            lb_http2_log(h2, LB_LOG_INFO, "the client did not read "
                         "(timeout_client_data)");

        } else if (h2->hb != NULL || !h2->served) {
            lb_http2_log(h2, LB_LOG_INFO, "the request head did not "
                         "arrive in time (timeout_client_header)");

        } else {
            lb_log_debug(&lb_log, "*%lu HTTP/2 idle timeout",
                         (unsigned long) c->number);
        }

        if (!ev->write && !h2->goaway) {
            /* a polite end: the client sees no stream lost */
            (void) nghttp2_session_terminate_session(h2->ng,
                                                     NGHTTP2_NO_ERROR);
            h2->goaway = 1;

            if (lb_http2_flush(h2) == LB_OK) {
                lb_http2_linger(h2);
                return;
            }
        }

        lb_http2_close(h2);
        return;
    }

    if (!h2->closing) {
        lb_http2_read(h2);
    }
}


/* Read what the client sent into nghttp2, write what it has to send,
 * then close when neither side has more to say. */
static void
lb_http2_read(lb_http2_conn_t *h2)
{
    ssize_t           n, rv;
    lb_uint_t         i;
    lb_connection_t  *c;

    c = h2->c;

    for (i = 0; i < LB_HTTP2_READS && c->read->ready; i++) {
        if (!nghttp2_session_want_read(h2->ng)) {
            break;
        }

        n = lb_conn_recv(c, lb_http2_rbuf, sizeof(lb_http2_rbuf));

        if (n == LB_AGAIN) {
            break;
        }

        if (n == 0 || n == LB_ERROR) {
            lb_log_debug(&lb_log, "*%lu HTTP/2 client closed",
                         (unsigned long) c->number);
            lb_http2_close(h2);
            return;
        }

        rv = nghttp2_session_mem_recv(h2->ng, lb_http2_rbuf, (size_t) n);

        if (rv < 0) {
            lb_log_error(LB_LOG_INFO, &lb_log, 0, "*%lu HTTP/2 client "
                         "error: %s, client closed",
                         (unsigned long) c->number,
                         nghttp2_strerror((int) rv));
            if (rv != NGHTTP2_ERR_NOMEM) {
                /* the GOAWAY nghttp2 queued, if it can go */
                h2->goaway = 1;
                if (lb_http2_flush(h2) == LB_OK) {
                    lb_http2_linger(h2);
                    return;
                }
            }
            lb_http2_close(h2);
            return;
        }

        if (h2->closing) {
            return;
        }
    }

    if (i == LB_HTTP2_READS && c->read->ready) {
        /* more waits: the other connections first */
        lb_event_post(c->read);
    }

    if (lb_http2_flush(h2) == LB_ERROR) {
        lb_http2_close(h2);
        return;
    }

    if (!nghttp2_session_want_read(h2->ng)
        && !nghttp2_session_want_write(h2->ng) && h2->opos == h2->olen)
    {
        lb_log_debug(&lb_log, "*%lu HTTP/2 session over",
                     (unsigned long) c->number);
        lb_http2_linger(h2);
        return;
    }

    lb_http2_timers(h2);
}


/* Write what nghttp2 has to send, gathered into obuf so that small frames
 * share TLS records. LB_OK (all out), LB_AGAIN (the socket is full: its
 * write event comes back here), LB_ERROR (the connection failed). */
static lb_int_t
lb_http2_flush(lb_http2_conn_t *h2)
{
    ssize_t           n;
    const uint8_t    *data;
    lb_connection_t  *c;

    c = h2->c;

    for ( ;; ) {
        if (h2->opos == h2->olen) {
            h2->opos = 0;
            h2->olen = 0;

            /* a chunk of nghttp2 is at most a frame (16 KiB + 9 bytes
             * of DATA, a HEADERS of weir's head): it fits after
             * LB_HTTP2_OBUF_FILL bytes */
            while (h2->olen < LB_HTTP2_OBUF_FILL) {
                n = nghttp2_session_mem_send(h2->ng, &data);

                if (n < 0) {
                    lb_log_error(LB_LOG_INFO, &lb_log, 0, "*%lu HTTP/2: "
                                 "%s", (unsigned long) c->number,
                                 nghttp2_strerror((int) n));
                    return LB_ERROR;
                }

                if (n == 0) {
                    break;
                }

                if ((size_t) n > LB_HTTP2_OBUF - h2->olen) {
                    lb_log_error(LB_LOG_ALERT, &lb_log, 0, "*%lu HTTP/2 "
                                 "frame of %zd bytes does not fit",
                                 (unsigned long) c->number, n);
                    return LB_ERROR;
                }

                memcpy(h2->obuf + h2->olen, data, (size_t) n);
                h2->olen += (size_t) n;
            }

            if (h2->olen == 0) {
                return LB_OK;
            }
        }

        if (!c->write->ready) {
            return LB_AGAIN;
        }

        n = lb_conn_send(c, h2->obuf + h2->opos, h2->olen - h2->opos);

        if (n == LB_AGAIN) {
            return LB_AGAIN;
        }

        if (n == LB_ERROR) {
            return LB_ERROR;
        }

        h2->opos += (size_t) n;
    }
}


/* the connection's own timers: the header timeout while no request came
 * or a header block is open, the idle one while no stream is, the
 * client's data timeout while it does not read */
static void
lb_http2_timers(lb_http2_conn_t *h2)
{
    lb_msec_t         since, timeout;
    lb_connection_t  *c;
    lb_listener_t    *l;

    c = h2->c;
    l = h2->listener;

    if (h2->hb != NULL) {
        since = h2->hb_start;
        timeout = l->timeout_client_header;

    } else if (h2->nstreams != 0) {
        since = 0;
        timeout = 0;

    } else if (!h2->served) {
        since = h2->hc->start;
        timeout = l->timeout_client_header;

    } else {
        since = h2->idle_since;
        timeout = l->timeout_client_data;
    }

    if (timeout == 0) {
        if (c->read->timer_set) {
            lb_event_del_timer(c->read);
        }

    } else {
        lb_event_idle_touch(c->read, since + timeout > lb_current_msec
                                     ? since + timeout - lb_current_msec
                                     : 1);
    }

    if (h2->opos < h2->olen && !c->write->ready) {
        if (!c->write->timer_set) {
            lb_event_add_timer(c->write, l->timeout_client_data);
        }

    } else if (c->write->timer_set) {
        lb_event_del_timer(c->write);
    }
}


/* Close the connection and every stream on it (their sessions release
 * their targets and log their requests). */
static void
lb_http2_close(lb_http2_conn_t *h2)
{
    if (h2->closing) {
        return;
    }

    lb_http2_streams_close(h2);

    h2->c->data = h2->hc;
    lb_http_conn_close(h2->hc);
}


/* Close every stream (their sessions release their targets and log their
 * requests) and nghttp2's session. */
static void
lb_http2_streams_close(lb_http2_conn_t *h2)
{
    lb_http_link_t     *l;
    lb_http2_stream_t  *st;
    lb_http_session_t  *s;

    if (h2->ng != NULL) {
        /* counted in when the session was made */
        lb_http2_count_out(h2, LB_HTTP2_M_CONNS);
    }

    if (h2->link.next != NULL) {
        lb_http_list_remove(&h2->link);
    }

    h2->closing = 1;

    while (!lb_http_list_empty(&h2->streams)) {
        l = h2->streams.next;
        st = lb_http_list_data(l, lb_http2_stream_t, link);
        st->ng_closed = 1;

        if (st->hc.session != NULL) {
            s = st->hc.session;
            lb_http_close(s);

        } else {
            lb_http2_stream_close(&st->hc);
        }
    }

    if (h2->ng != NULL) {
        nghttp2_session_del(h2->ng);
        h2->ng = NULL;
    }
}


/* The session is over (a GOAWAY went, or the client's): close_notify,
 * then read and drop what the client still sends until it closes or
 * LB_HTTP_LINGER_TIMEOUT passes. A close with unread bytes would reset
 * the connection, and the client could lose the GOAWAY that says why. */
static void
lb_http2_linger(lb_http2_conn_t *h2)
{
    lb_connection_t  *c;

    c = h2->c;

    lb_http2_streams_close(h2);

    c->data = h2->hc;
    h2->hc->shut = 1;

    if (lb_ssl_shutdown(c) == LB_ERROR) {
        lb_http_conn_close(h2->hc);
        return;
    }

    if (c->write->timer_set) {
        lb_event_del_timer(c->write);
    }

    lb_event_add_timer(c->read, LB_HTTP_LINGER_TIMEOUT);
    c->read->handler = lb_http2_linger_handler;
    c->write->handler = lb_http2_linger_handler;

    lb_http2_linger_handler(c->read);
}


static void
lb_http2_linger_handler(lb_event_t *ev)
{
    ssize_t          n;
    lb_connection_t  *c;
    lb_http_conn_t   *hc;

    c = ev->data;
    hc = c->data;

    if (c->close || ev->timedout) {
        ev->timedout = 0;
        lb_http_conn_close(hc);
        return;
    }

    while (c->read->ready) {
        n = lb_conn_recv(c, lb_http2_rbuf, sizeof(lb_http2_rbuf));

        if (n == LB_AGAIN) {
            return;
        }

        if (n <= 0) {
            lb_http_conn_close(hc);
            return;
        }
    }
}


/* GOAWAY ENHANCE_YOUR_CALM: the client abuses the protocol; nghttp2
 * stops reading and the connection closes once the frame is out */
static void
lb_http2_calm(lb_http2_conn_t *h2, const char *what)
{
    if (h2->goaway) {
        return;
    }

    lb_http2_log(h2, LB_LOG_INFO, what);
    (void) nghttp2_session_terminate_session(h2->ng,
                                             NGHTTP2_ENHANCE_YOUR_CALM);
    h2->goaway = 1;
}


/* Count one event of this second; true when *counter passed max. */
static bool
lb_http2_count(lb_http2_conn_t *h2, uint32_t *counter, uint32_t max)
{
    if (h2->sec != lb_current_sec) {
        h2->sec = lb_current_sec;
        h2->resets = 0;
        h2->control = 0;
    }

    return ++*counter > max;
}


static void
lb_http2_log(lb_http2_conn_t *h2, unsigned level, const char *what)
{
    char  client[80];

    if (level > lb_log.level) {
        return;
    }

    lb_connection_addr_text((struct sockaddr *) &h2->c->sockaddr, client,
                            sizeof(client));

    lb_log_error(level, &lb_log, 0, "*%lu HTTP/2: %s, client: %s, "
                 "listener: %s", (unsigned long) h2->c->number, what,
                 client, h2->listener->addr.text);
}


/* A graceful stop: every h2 connection of the worker gets a GOAWAY
 * NO_ERROR naming the last stream it began, so that the client sends its
 * next requests elsewhere; the streams begun are served to their end,
 * then the connection closes (nghttp2 wants no more reading then). */
void
lb_http2_drain(void)
{
    lb_http_link_t   *l;
    lb_http2_conn_t  *h2;

    for (l = lb_http2_conns.next; l != &lb_http2_conns; l = l->next) {
        h2 = lb_http_list_data(l, lb_http2_conn_t, link);

        if (h2->goaway || h2->closing) {
            continue;
        }

        h2->goaway = 1;

        if (nghttp2_submit_goaway(h2->ng, NGHTTP2_FLAG_NONE,
                nghttp2_session_get_last_proc_stream_id(h2->ng),
                NGHTTP2_NO_ERROR, NULL, 0)
            != 0)
        {
            continue;
        }

        lb_http2_post(h2);
    }
}


/* --- streams --- */

static lb_http2_stream_t *
lb_http2_stream_new(lb_http2_conn_t *h2, int32_t id)
{
    lb_connection_t    *c;
    lb_http2_stream_t  *st;

    st = h2->free;

    if (st != NULL) {
        h2->free = st->next_free;

    } else {
        st = lb_palloc(h2->c->pool, sizeof(lb_http2_stream_t));
        if (st == NULL) {
            return NULL;
        }
    }

    /* all but the buffers */
    memset(st, 0, offsetof(lb_http2_stream_t, in));

    st->h2 = h2;
    st->id = id;
    st->in_pos = st->in_last = st->in;
    st->out_pos = st->out_last = st->out;

    c = &st->c;
    c->read = &st->rev;
    c->write = &st->wev;
    c->fd = -1;
    c->stream = 1;
    c->listening = h2->c->listening;
    c->pool = h2->c->pool;
    c->sockaddr = h2->c->sockaddr;
    c->socklen = h2->c->socklen;
    c->number = h2->c->number;
    c->epoch = NULL;
    st->rev.data = c;
    st->wev.data = c;
    st->wev.write = 1;
    st->wev.ready = 1;

    st->hc.client = c;
    st->hc.listener = h2->listener;
    st->hc.stream = st;

    lb_http_list_push(&h2->streams, &st->link);
    h2->nstreams++;
    h2->served = 1;

    lb_http2_count_in(h2, LB_HTTP2_M_STREAMS);

    return st;
}


static void
lb_http2_stream_free(lb_http2_stream_t *st)
{
    lb_http2_conn_t  *h2;

    h2 = st->h2;

    lb_http_list_remove(&st->link);
    h2->nstreams--;

    lb_http2_count_out(h2, LB_HTTP2_M_STREAMS);

    if (h2->nstreams == 0) {
        h2->idle_since = lb_current_msec;
    }

    if (h2->hb == st) {
        h2->hb = NULL;
    }

    st->next_free = h2->free;
    h2->free = st;
}


/* The header block of st ended: write the request head as HTTP/1.1 into
 * st->in and start its session. */
static void
lb_http2_stream_request(lb_http2_stream_t *st, bool end)
{
    int               n;
    size_t            room;
    u_char           *p;
    lb_http2_conn_t  *h2;

    h2 = st->h2;
    h2->hb = NULL;

    if (st->too_large) {
        lb_http2_log(h2, LB_LOG_INFO, "the request header list is too "
                     "large");
        lb_http2_reply(st, 431);
        return;
    }

    st->head_req = (h2->hb_method_len == 4
                    && memcmp(h2->hb_method, "HEAD", 4) == 0);
    st->req_end = end;
    /* a body without content-length goes chunked to the target */
    st->chunked = !end && !h2->hb_has_cl;

    p = st->in;
    room = LB_HTTP_BUFFER_SIZE;

    /* CONNECT has no :path: authority-form, which weir answers 405 */
    n = snprintf((char *) p, room, "%.*s %.*s HTTP/1.1\r\n",
                 (int) h2->hb_method_len, h2->hb_method,
                 (int) (h2->hb_has_path ? h2->hb_path_len
                                        : h2->hb_authority_len),
                 h2->hb_has_path ? h2->hb_buf + h2->hb_path_off
                                 : h2->hb_authority);
    if (n < 0 || (size_t) n >= room) {
        goto large;
    }
    p += n;
    room -= (size_t) n;

    if (h2->hb_authority_len) {
        n = snprintf((char *) p, room, "host: %.*s\r\n",
                     (int) h2->hb_authority_len, h2->hb_authority);
        if (n < 0 || (size_t) n >= room) {
            goto large;
        }
        p += n;
        room -= (size_t) n;
    }

    /* the fields (the path's bytes lie before them in hb_buf) */
    if (h2->hb_len - h2->hb_path_len > room) {
        goto large;
    }

    if (h2->hb_path_off != 0) {
        memcpy(p, h2->hb_buf, h2->hb_path_off);
        p += h2->hb_path_off;
        room -= h2->hb_path_off;
    }

    n = (int) (h2->hb_len - h2->hb_path_off - h2->hb_path_len);
    memcpy(p, h2->hb_buf + h2->hb_path_off + h2->hb_path_len, (size_t) n);
    p += n;
    room -= (size_t) n;

    if (h2->hb_has_cookie) {
        /* RFC 9113 8.2.3: the crumbs joined again */
        n = snprintf((char *) p, room, "cookie: %.*s\r\n",
                     (int) h2->hb_cookie_len, h2->hb_cookie);
        if (n < 0 || (size_t) n >= room) {
            goto large;
        }
        p += n;
        room -= (size_t) n;
    }

    if (st->chunked) {
        if (room < sizeof("transfer-encoding: chunked\r\n")) {
            goto large;
        }
        p = (u_char *) memcpy(p, "transfer-encoding: chunked\r\n", 28) + 28;
        room -= 28;
    }

    if (room < 3) {
        goto large;
    }

    *p++ = '\r';
    *p++ = '\n';

    st->in_last = p;
    st->in_head = (size_t) (p - st->in);

    st->started = 1;
    lb_http_init_stream(&st->hc);
    st->rev.ready = 1;
    lb_event_post(&st->rev);
    return;

large:

    lb_http2_log(h2, LB_LOG_INFO, "the request head is too large");
    lb_http2_reply(st, 431);
}


/* Answer st with a bodiless status of weir's own (no session). */
static void
lb_http2_reply(lb_http2_stream_t *st, unsigned status)
{
    char        code[4];
    nghttp2_nv  nv;

    snprintf(code, sizeof(code), "%u", status);

    nv.name = (uint8_t *) ":status";
    nv.namelen = 7;
    nv.value = (uint8_t *) code;
    nv.valuelen = 3;
    nv.flags = NGHTTP2_NV_FLAG_NONE;

    st->resp_head = 1;
    st->resp_end = 1;
    st->no_body = 1;
    st->gone = 1;
    st->rst_after = !st->req_end;

    if (nghttp2_submit_response(st->h2->ng, st->id, &nv, 1, NULL) != 0) {
        (void) nghttp2_submit_rst_stream(st->h2->ng, NGHTTP2_FLAG_NONE,
                                         st->id, NGHTTP2_INTERNAL_ERROR);
    }
}


ssize_t
lb_http2_stream_recv(lb_connection_t *c, lb_http_buf_t *b)
{
    int                 n;
    size_t              room, avail, take, body;
    lb_http2_stream_t  *st;

    st = (lb_http2_stream_t *) c;
    room = (size_t) (b->end - b->last);
    avail = (size_t) (st->in_last - st->in_pos);
    body = 0;
    take = 0;

    if (st->in_head) {
        take = lb_min(room, st->in_head);
        memcpy(b->last, st->in_pos, take);
        st->in_pos += take;
        st->in_head -= take;
        b->last += take;
        room -= take;
        avail -= take;
    }

    if (st->in_head == 0 && avail && room) {
        if (!st->chunked) {
            body = lb_min(room, avail);
            memcpy(b->last, st->in_pos, body);
            b->last += body;

        } else if (room > 16 + 2) {
            /* one chunk of what fits */
            body = lb_min(room - 16 - 2, avail);
            n = snprintf((char *) b->last, 17, "%zx\r\n", body);
            b->last += n;
            memcpy(b->last, st->in_pos, body);
            b->last += body;
            *b->last++ = '\r';
            *b->last++ = '\n';
            take += (size_t) n + 2;
        }

        st->in_pos += body;
        take += body;
        avail -= body;
        room = (size_t) (b->end - b->last);
    }

    if (st->in_pos == st->in_last) {
        st->in_pos = st->in_last = st->in;
    }

    if (st->chunked && st->req_end && avail == 0 && st->in_head == 0
        && !st->last_chunk && room >= 5)
    {
        memcpy(b->last, "0\r\n\r\n", 5);
        b->last += 5;
        take += 5;
        st->last_chunk = 1;
    }

    if (body && !st->ng_closed && st->h2->ng != NULL) {
        /* the client may send as much again */
        (void) nghttp2_session_consume(st->h2->ng, st->id, body);
        lb_http2_post(st->h2);
    }

    if (take == 0) {
        c->read->ready = 0;
        return LB_AGAIN;
    }

    c->read->ready = (st->in_pos < st->in_last)
                     || (st->chunked && st->req_end && !st->last_chunk);

    return (ssize_t) take;
}


ssize_t
lb_http2_stream_send(lb_connection_t *c, const struct iovec *iov, int niov)
{
    int                 i;
    size_t              used, taken, room, n, off;
    lb_http2_stream_t  *st;

    st = (lb_http2_stream_t *) c;

    if (st->ng_closed || st->h2->closing) {
        /* the client reset the stream, or the connection is going */
        c->write->ready = 0;
        errno = ECONNRESET;
        return LB_ERROR;
    }

    taken = 0;
    i = 0;
    off = 0;

    if (!st->resp_head) {
        /* the head comes first and whole in iov[0] (out holds it) */
        if (lb_http2_submit_head(st, iov[0].iov_base, iov[0].iov_len, &used)
            != LB_OK)
        {
            c->write->ready = 0;
            errno = EPROTO;
            return LB_ERROR;
        }

        taken = used;
        off = used;

        if (!st->resp_head) {
            /* an interim head, dropped */
            lb_http2_post(st->h2);
            return (ssize_t) taken;
        }
    }

    for ( /* void */ ; i < niov; i++, off = 0) {
        n = iov[i].iov_len - off;

        if (n == 0) {
            continue;
        }

        if (st->no_body) {
            /* HEADERS ended the stream: nothing more goes */
            taken += n;
            continue;
        }

        if (st->out_pos != st->out && st->out_last == st->out + sizeof(st->out))
        {
            memmove(st->out, st->out_pos, (size_t) (st->out_last
                                                    - st->out_pos));
            st->out_last -= st->out_pos - st->out;
            st->out_pos = st->out;
        }

        room = (size_t) (st->out + sizeof(st->out) - st->out_last);
        n = lb_min(n, room);

        if (n == 0) {
            break;
        }

        memcpy(st->out_last, (u_char *) iov[i].iov_base + off, n);
        st->out_last += n;
        taken += n;

        if (n < iov[i].iov_len - off) {
            break;
        }
    }

    if (st->deferred && st->out_last > st->out_pos) {
        st->deferred = 0;
        (void) nghttp2_session_resume_data(st->h2->ng, st->id);
    }

    lb_http2_post(st->h2);

    for (n = 0, i = 0; i < niov; i++) {
        n += iov[i].iov_len;
    }

    if (taken < n) {
        c->write->ready = 0;
    }

    if (taken == 0) {
        return LB_AGAIN;
    }

    return (ssize_t) taken;
}


/* Parse the HTTP/1.1 response head at p and submit it as HEADERS; *used:
 * its length. An interim head is taken and dropped (st->resp_head stays
 * 0). LB_OK, or LB_ERROR (not a head weir wrote: logged). */
static lb_int_t
lb_http2_submit_head(lb_http2_stream_t *st, const u_char *p, size_t len,
    size_t *used)
{
    int                  rv;
    char                 code[4];
    u_char              *name;
    size_t               nv, i, j;
    lb_int_t             rc;
    lb_http_header_t    *h;
    lb_http_limits_t     limits;
    nghttp2_data_provider  prd;

    limits.max_line = LB_HTTP_MAX_LINE;
    limits.max_field = LB_HTTP_MAX_FIELD;
    limits.max_head = LB_HTTP_OUT_SIZE;

    lb_http_msg_init(&lb_http2_resp, lb_http2_resp_headers, LB_HTTP_HEADERS,
                     &limits);

    rc = lb_http_parse_response(&lb_http2_resp,
                                st->head_req ? LB_HTTP_METHOD_HEAD
                                             : LB_HTTP_METHOD_GET,
                                p, p + len);
    if (rc != LB_OK) {
        lb_http2_log(st->h2, LB_LOG_ALERT, "a response head weir wrote "
                     "does not parse");
        return LB_ERROR;
    }

    *used = lb_http2_resp.head_len;

    if (lb_http2_resp.code < 200) {
        return LB_OK;
    }

    snprintf(code, sizeof(code), "%03u", lb_http2_resp.code % 1000);

    lb_http2_nva[0].name = (uint8_t *) ":status";
    lb_http2_nva[0].namelen = 7;
    lb_http2_nva[0].value = (uint8_t *) code;
    lb_http2_nva[0].valuelen = 3;
    lb_http2_nva[0].flags = NGHTTP2_NV_FLAG_NONE;
    nv = 1;

    name = lb_http2_names;

    for (i = 0; i < lb_http2_resp.nheaders; i++) {
        h = &lb_http2_resp.headers[i];

        /* RFC 9113 8.2.2: no connection-specific field */
        switch (h->id) {
        case LB_HTTP_HDR_CONNECTION:
        case LB_HTTP_HDR_KEEP_ALIVE:
        case LB_HTTP_HDR_PROXY_CONNECTION:
        case LB_HTTP_HDR_TRANSFER_ENCODING:
        case LB_HTTP_HDR_UPGRADE:
            continue;
        default:
            break;
        }

        if (lb_http_ieq(p + h->name.off, "TE", h->name.len)
            && h->name.len == 2)
        {
            continue;
        }

        /* names go lowercase in HTTP/2 (8.2.1) */
        for (j = 0; j < h->name.len; j++) {
            u_char  ch = p[h->name.off + j];
            name[j] = (ch >= 'A' && ch <= 'Z') ? (u_char) (ch | 0x20) : ch;
        }

        lb_http2_nva[nv].name = name;
        lb_http2_nva[nv].namelen = h->name.len;
        lb_http2_nva[nv].value = (uint8_t *) p + h->value.off;
        lb_http2_nva[nv].valuelen = h->value.len;
        lb_http2_nva[nv].flags = NGHTTP2_NV_FLAG_NONE;
        nv++;
        name += h->name.len;
    }

    /* no body: HEADERS ends the stream */
    st->no_body = st->head_req || lb_http2_resp.code == 204
                  || lb_http2_resp.code == 304
                  || (lb_http2_resp.body == LB_HTTP_BODY_LENGTH
                      && lb_http2_resp.content_length == 0)
                  || lb_http2_resp.body == LB_HTTP_BODY_NONE;

    st->resp_head = 1;

    if (st->no_body) {
        st->rst_after = !st->req_end;
        rv = nghttp2_submit_response(st->h2->ng, st->id, lb_http2_nva, nv,
                                     NULL);

    } else {
        prd.source.ptr = st;
        prd.read_callback = lb_http2_data_read;
        rv = nghttp2_submit_response(st->h2->ng, st->id, lb_http2_nva, nv,
                                     &prd);
    }

    if (rv != 0) {
        lb_http2_log(st->h2, LB_LOG_ERR, "nghttp2_submit_response() "
                     "failed");
        return LB_ERROR;
    }

    return LB_OK;
}


void
lb_http2_stream_end(lb_connection_t *c)
{
    lb_http2_stream_t  *st;

    st = (lb_http2_stream_t *) c;

    st->resp_end = 1;

    if (st->deferred && !st->ng_closed && !st->h2->closing) {
        st->deferred = 0;
        (void) nghttp2_session_resume_data(st->h2->ng, st->id);
    }

    lb_http2_post(st->h2);
}


void
lb_http2_stream_close(lb_http_conn_t *hc)
{
    lb_http2_stream_t  *st;
    lb_http2_conn_t    *h2;

    st = hc->stream;
    h2 = st->h2;

    if (st->rev.timer_set) {
        lb_event_del_timer(&st->rev);
    }

    if (st->wev.timer_set) {
        lb_event_del_timer(&st->wev);
    }

    if (st->rev.posted) {
        lb_event_delete_posted(&st->rev);
    }

    if (st->wev.posted) {
        lb_event_delete_posted(&st->wev);
    }

    st->gone = 1;
    hc->session = NULL;

    if (!st->ng_closed && !h2->closing) {
        if (!st->resp_head || !st->resp_end) {
            /* no whole response: the client must not take a part of one
             * for all of it */
            (void) nghttp2_submit_rst_stream(h2->ng, NGHTTP2_FLAG_NONE,
                                             st->id, NGHTTP2_INTERNAL_ERROR);
            st->resp_end = 1;

        } else if (!st->req_end) {
            st->rst_after = 1;
        }

        lb_http2_post(h2);
        return;
    }

    lb_http2_stream_free(st);
}


/* the connection writes what the streams gave it on the next loop
 * iteration, all of it in one go */
static void
lb_http2_post(lb_http2_conn_t *h2)
{
    if (!h2->closing) {
        lb_event_post(h2->c->write);
    }
}


/* --- nghttp2's callbacks: they only change state and post events, never
 * call into a session (which may be the caller) --- */

/* CONTINUATION frames are counted as they begin: a flood of them is cut
 * off before nghttp2 decodes what they carry */
static int
lb_http2_on_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd,
    void *data)
{
    lb_http2_conn_t  *h2;

    lb_unused(ng);

    h2 = data;

    if (hd->type == NGHTTP2_HEADERS) {
        h2->continuations = 0;

    } else if (hd->type == NGHTTP2_CONTINUATION
               && ++h2->continuations > LB_HTTP2_MAX_CONTINUATIONS)
    {
        lb_http2_calm(h2, "too many CONTINUATION frames");
    }

    return 0;
}

static int
lb_http2_on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame,
    void *data)
{
    lb_http2_conn_t    *h2;
    lb_http2_stream_t  *st;

    h2 = data;

    if (frame->hd.type != NGHTTP2_HEADERS
        || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    {
        return 0;
    }

    if (h2->goaway || h2->nstreams >= LB_HTTP2_MAX_STREAMS) {
        /* the settings may not be acknowledged yet: weir's own count */
        (void) nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE,
                                         frame->hd.stream_id,
                                         NGHTTP2_REFUSED_STREAM);
        return 0;
    }

    st = lb_http2_stream_new(h2, frame->hd.stream_id);
    if (st == NULL) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }

    nghttp2_session_set_stream_user_data(ng, frame->hd.stream_id, st);

    h2->hb = st;
    h2->hb_start = lb_current_msec;
    h2->hb_method_len = 0;
    h2->hb_authority_len = 0;
    h2->hb_path_off = 0;
    h2->hb_path_len = 0;
    h2->hb_cookie_len = 0;
    h2->hb_len = 0;
    h2->hb_has_path = 0;
    h2->hb_has_cl = 0;
    h2->hb_has_cookie = 0;

    return 0;
}


static int
lb_http2_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *data)
{
    size_t              need;
    lb_http2_conn_t    *h2;
    lb_http2_stream_t  *st;

    lb_unused(flags);

    h2 = data;

    if (frame->hd.type != NGHTTP2_HEADERS
        || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    {
        /* trailers of a request body: not passed on */
        return 0;
    }

    st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
    if (st == NULL || st != h2->hb || st->too_large) {
        return 0;
    }

    /* nghttp2 checked the rules of RFC 9113 8.2 and 8.3 (lowercase
     * names, no connection-specific field, "te: trailers", pseudo-headers
     * first, once, the ones a request needs) */
    if (namelen && name[0] == ':') {
        if (namelen == 7 && memcmp(name, ":method", 7) == 0) {
            if (valuelen > sizeof(h2->hb_method)) {
                st->too_large = 1;
                return 0;
            }
            memcpy(h2->hb_method, value, valuelen);
            h2->hb_method_len = (uint32_t) valuelen;

        } else if (namelen == 10 && memcmp(name, ":authority", 10) == 0) {
            if (valuelen > sizeof(h2->hb_authority)) {
                st->too_large = 1;
                return 0;
            }
            memcpy(h2->hb_authority, value, valuelen);
            h2->hb_authority_len = (uint32_t) valuelen;

        } else if (namelen == 5 && memcmp(name, ":path", 5) == 0) {
            if (valuelen > LB_HTTP_MAX_LINE
                || h2->hb_len + valuelen > sizeof(h2->hb_buf))
            {
                st->too_large = 1;
                return 0;
            }
            /* the path goes after the fields read so far; the request
             * line takes it from there */
            h2->hb_path_off = h2->hb_len;
            h2->hb_path_len = (uint32_t) valuelen;
            memcpy(h2->hb_buf + h2->hb_len, value, valuelen);
            h2->hb_len += (uint32_t) valuelen;
            h2->hb_has_path = 1;
        }

        /* :scheme: the listener's is https */
        return 0;
    }

    if (namelen == 6 && memcmp(name, "cookie", 6) == 0) {
        /* 8.2.3: crumbs, joined with "; " into one field */
        need = valuelen + (h2->hb_has_cookie ? 2 : 0);

        if (h2->hb_cookie_len + need > sizeof(h2->hb_cookie)) {
            st->too_large = 1;
            return 0;
        }

        if (h2->hb_has_cookie) {
            h2->hb_cookie[h2->hb_cookie_len++] = ';';
            h2->hb_cookie[h2->hb_cookie_len++] = ' ';
        }

        memcpy(h2->hb_cookie + h2->hb_cookie_len, value, valuelen);
        h2->hb_cookie_len += (uint32_t) valuelen;
        h2->hb_has_cookie = 1;
        return 0;
    }

    if ((namelen == 4 && memcmp(name, "host", 4) == 0)
        && h2->hb_authority_len)
    {
        /* :authority is the Host (8.3.1) */
        return 0;
    }

    if (namelen == 4 && memcmp(name, "host", 4) == 0) {
        if (valuelen > sizeof(h2->hb_authority)) {
            st->too_large = 1;
            return 0;
        }
        memcpy(h2->hb_authority, value, valuelen);
        h2->hb_authority_len = (uint32_t) valuelen;
        return 0;
    }

    if (namelen == 6 && memcmp(name, "expect", 6) == 0) {
        /* an h2 client sends its body unasked; an interim answer would
         * be dropped anyway */
        return 0;
    }

    if (namelen == 2 && memcmp(name, "te", 2) == 0) {
        /* "trailers" only (nghttp2 checked): hop-by-hop to a target */
        return 0;
    }

    if (namelen == 14 && memcmp(name, "content-length", 14) == 0) {
        h2->hb_has_cl = 1;
    }

    need = namelen + 2 + valuelen + 2;

    if (h2->hb_len + need > sizeof(h2->hb_buf)) {
        st->too_large = 1;
        return 0;
    }

    memcpy(h2->hb_buf + h2->hb_len, name, namelen);
    h2->hb_len += (uint32_t) namelen;
    h2->hb_buf[h2->hb_len++] = ':';
    h2->hb_buf[h2->hb_len++] = ' ';
    memcpy(h2->hb_buf + h2->hb_len, value, valuelen);
    h2->hb_len += (uint32_t) valuelen;
    h2->hb_buf[h2->hb_len++] = '\r';
    h2->hb_buf[h2->hb_len++] = '\n';

    return 0;
}


static int
lb_http2_on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame,
    void *data)
{
    bool                end;
    lb_http2_conn_t    *h2;
    lb_http2_stream_t  *st;

    h2 = data;
    end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;

    switch (frame->hd.type) {

    case NGHTTP2_HEADERS:
        st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
        if (st == NULL) {
            return 0;
        }

        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            if (st == h2->hb) {
                lb_http2_stream_request(st, end);
            }
            return 0;
        }

        /* trailers: the body ends */
        if (end && !st->req_end) {
            st->req_end = 1;
            if (st->started && !st->gone) {
                st->rev.ready = 1;
                lb_event_post(&st->rev);
            }
        }
        return 0;

    case NGHTTP2_DATA:
        if (frame->hd.length == 0 && !end
            && lb_http2_count(h2, &h2->control, LB_HTTP2_CONTROL_PER_SEC))
        {
            lb_http2_calm(h2, "empty DATA frame flood");
            return 0;
        }

        st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
        if (st == NULL || !end) {
            return 0;
        }

        st->req_end = 1;

        if (st->started && !st->gone) {
            st->rev.ready = 1;
            lb_event_post(&st->rev);
        }
        return 0;

    case NGHTTP2_RST_STREAM:
        lb_http2_count_in(h2, LB_HTTP2_M_RESETS);
        lb_http2_count_out(h2, LB_HTTP2_M_RESETS);

        if (lb_http2_count(h2, &h2->resets, LB_HTTP2_RESETS_PER_SEC)) {
            lb_http2_calm(h2, "streams reset too fast (rapid reset)");
        }
        return 0;

    case NGHTTP2_SETTINGS:
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)
            && lb_http2_count(h2, &h2->control, LB_HTTP2_CONTROL_PER_SEC))
        {
            lb_http2_calm(h2, "SETTINGS flood");
        }
        return 0;

    case NGHTTP2_PING:
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)
            && lb_http2_count(h2, &h2->control, LB_HTTP2_CONTROL_PER_SEC))
        {
            lb_http2_calm(h2, "PING flood");
        }
        return 0;

    case NGHTTP2_PRIORITY:
        if (lb_http2_count(h2, &h2->control, LB_HTTP2_CONTROL_PER_SEC)) {
            lb_http2_calm(h2, "PRIORITY flood");
        }
        return 0;

    case NGHTTP2_GOAWAY:
        /* the client goes: the streams it opened are answered */
        return 0;

    default:
        return 0;
    }
}


static int
lb_http2_on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *p, size_t len, void *data)
{
    size_t              n;
    lb_http2_stream_t  *st;

    lb_unused(flags);
    lb_unused(data);

    st = nghttp2_session_get_stream_user_data(ng, id);

    if (st == NULL || st->gone) {
        /* a stream weir answered already: what comes is dropped, and
         * given back to the connection's window */
        (void) nghttp2_session_consume_connection(ng, len);
        return 0;
    }

    if (st->in_last + len > st->in + sizeof(st->in)) {
        n = (size_t) (st->in_last - st->in_pos);
        memmove(st->in, st->in_pos, n);
        st->in_pos = st->in;
        st->in_last = st->in + n;
    }

    if (st->in_last + len > st->in + sizeof(st->in)) {
        /* more than the window: nghttp2 lets no client do this */
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    memcpy(st->in_last, p, len);
    st->in_last += len;

    if (st->started) {
        st->rev.ready = 1;
        lb_event_post(&st->rev);
    }

    return 0;
}


static int
lb_http2_on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code,
    void *data)
{
    lb_http2_conn_t    *h2;
    lb_http2_stream_t  *st;

    lb_unused(code);

    h2 = data;

    if (h2->closing) {
        return 0;
    }

    st = nghttp2_session_get_stream_user_data(ng, id);
    if (st == NULL) {
        return 0;
    }

    st->ng_closed = 1;

    if (h2->hb == st) {
        h2->hb = NULL;
    }

    if (st->gone || !st->started) {
        /* no session (left, or never begun) */
        lb_http2_stream_free(st);
        return 0;
    }

    /* the session goes too: its handler sees the close */
    st->c.close = 1;
    lb_event_post(&st->rev);

    return 0;
}


static int
lb_http2_on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame,
    void *data)
{
    lb_http2_stream_t  *st;

    if (frame->hd.type == NGHTTP2_GOAWAY) {
        lb_http2_count_in(data, LB_HTTP2_M_GOAWAYS);
        lb_http2_count_out(data, LB_HTTP2_M_GOAWAYS);
        return 0;
    }

    if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS)
        || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
    {
        return 0;
    }

    st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);

    if (st != NULL && st->rst_after && !st->req_end) {
        /* the response is whole and the request body is not wanted
         * (8.1: the client stops sending) */
        st->rst_after = 0;
        (void) nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE,
                                         frame->hd.stream_id,
                                         NGHTTP2_NO_ERROR);
    }

    return 0;
}


static ssize_t
lb_http2_data_read(nghttp2_session *ng, int32_t id, uint8_t *buf,
    size_t length, uint32_t *flags, nghttp2_data_source *source, void *data)
{
    size_t              n;
    lb_http2_stream_t  *st;

    lb_unused(ng);
    lb_unused(id);
    lb_unused(data);

    st = source->ptr;
    n = lb_min(length, (size_t) (st->out_last - st->out_pos));

    if (n == 0 && !st->resp_end) {
        st->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }

    memcpy(buf, st->out_pos, n);
    st->out_pos += n;

    if (st->out_pos == st->out_last) {
        st->out_pos = st->out_last = st->out;

        if (st->resp_end) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;

            if (!st->req_end && st->gone) {
                st->rst_after = 1;
            }
        }
    }

    if (n && !st->gone && !st->wev.ready) {
        /* room again for the session's bytes */
        st->wev.ready = 1;
        lb_event_post(&st->wev);
    }

    return (ssize_t) n;
}


/* --- metrics --- */

static lb_http2_stats_t *
lb_http2_stats(lb_listening_t *ls)
{
    lb_uint_t          m;
    lb_shm_zone_t     *zone;
    lb_http2_stats_t  *st;
    char               name[LB_ZONE_GAUGE_NAME_LEN + 1];

    if (ls == NULL) {
        return NULL;
    }

    if (ls->data != NULL) {
        return ls->data;
    }

    zone = lb_balancer_zone();
    if (zone == NULL || lb_http_worker.cycle == NULL) {
        return NULL;
    }

    st = lb_pcalloc(lb_http_worker.cycle->pool, sizeof(lb_http2_stats_t));
    if (st == NULL) {
        return NULL;
    }

    for (m = 0; m < LB_HTTP2_M_N; m++) {
        lb_event_listener_gauge_name(ls->listener, lb_http2_metric_kinds[m],
                                     name, sizeof(name));
        /* NULL (logged): that one is not counted */
        st->gauge[m] = lb_zone_gauge_get(zone, name, &st->slot[m]);
    }

    ls->data = st;

    return st;
}


/* one more of m (connections and streams stay counted in while open: the
 * total is how many are open, entered how many ever were) */
static void
lb_http2_count_in(lb_http2_conn_t *h2, lb_http2_metric_e m)
{
    if (h2->stats != NULL && h2->stats->gauge[m] != NULL) {
        (void) lb_zone_gauge_enter(h2->stats->gauge[m], h2->stats->slot[m],
                                   -1);
    }
}


static void
lb_http2_count_out(lb_http2_conn_t *h2, lb_http2_metric_e m)
{
    if (h2->stats != NULL && h2->stats->gauge[m] != NULL) {
        lb_zone_gauge_leave(h2->stats->gauge[m], h2->stats->slot[m]);
    }
}


/* --- nghttp2's memory, counted against LB_HTTP2_MEM_MAX --- */

typedef struct {
    size_t   size;
    size_t   pad;           /* keeps the data 16-byte aligned */
} lb_http2_mem_t;


static void *
lb_http2_malloc(size_t size, void *data)
{
    lb_http2_conn_t  *h2;
    lb_http2_mem_t   *m;

    h2 = data;

    if (h2->mem + size > LB_HTTP2_MEM_MAX) {
        return NULL;
    }

    m = malloc(sizeof(lb_http2_mem_t) + size);
    if (m == NULL) {
        return NULL;
    }

    m->size = size;
    h2->mem += size;

    return m + 1;
}


static void
lb_http2_free_mem(void *ptr, void *data)
{
    lb_http2_conn_t  *h2;
    lb_http2_mem_t   *m;

    if (ptr == NULL) {
        return;
    }

    h2 = data;
    m = (lb_http2_mem_t *) ptr - 1;
    h2->mem -= m->size;
    free(m);
}


static void *
lb_http2_calloc(size_t n, size_t size, void *data)
{
    void  *p;

    if (size && n > SIZE_MAX / size) {
        return NULL;
    }

    p = lb_http2_malloc(n * size, data);

    if (p != NULL) {
        memset(p, 0, n * size);
    }

    return p;
}


static void *
lb_http2_realloc(void *ptr, size_t size, void *data)
{
    void             *p;
    lb_http2_mem_t   *m;

    if (ptr == NULL) {
        return lb_http2_malloc(size, data);
    }

    m = (lb_http2_mem_t *) ptr - 1;

    p = lb_http2_malloc(size, data);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, ptr, lb_min(m->size, size));
    lb_http2_free_mem(ptr, data);

    return p;
}
