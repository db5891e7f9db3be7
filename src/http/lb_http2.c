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
#include "lb_http2_session.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"
#include "lb_zone_gauge.h"

static void lb_http2_handler(lb_event_t *ev);
static void lb_http2_read(lb_http2_conn_t *h2);
static lb_int_t lb_http2_flush(lb_http2_conn_t *h2);
static void lb_http2_timers(lb_http2_conn_t *h2);
static void lb_http2_close(lb_http2_conn_t *h2);
static void lb_http2_streams_close(lb_http2_conn_t *h2);
static void lb_http2_linger(lb_http2_conn_t *h2);
static void lb_http2_linger_handler(lb_event_t *ev);
static lb_http2_stats_t *lb_http2_stats(lb_listening_t *ls);

static void *lb_http2_malloc(size_t size, void *data);
static void lb_http2_free_mem(void *ptr, void *data);
static void *lb_http2_calloc(size_t n, size_t size, void *data);
static void *lb_http2_realloc(void *ptr, size_t size, void *data);

static const char *const  lb_http2_metric_kinds[LB_HTTP2_M_N] = {
    "h2c", "h2s", "h2r", "h2g"
};

/* the worker's h2 connections, for a graceful stop */
static lb_http_link_t  lb_http2_conns = { &lb_http2_conns, &lb_http2_conns };

/* the callbacks are the same for every connection: made once */
static nghttp2_session_callbacks  *lb_http2_callbacks;
static nghttp2_option             *lb_http2_options;

/* what one read takes (a call at a time) */
static u_char            lb_http2_rbuf[LB_HTTP2_READ];



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
void
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
bool
lb_http2_count(lb_http2_conn_t *h2, uint32_t *counter, uint32_t max)
{
    if (h2->sec != lb_current_sec) {
        h2->sec = lb_current_sec;
        h2->resets = 0;
        h2->control = 0;
    }

    return ++*counter > max;
}


void
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



/* the connection writes what the streams gave it on the next loop
 * iteration, all of it in one go */
void
lb_http2_post(lb_http2_conn_t *h2)
{
    if (!h2->closing) {
        lb_event_post(h2->c->write);
    }
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
void
lb_http2_count_in(lb_http2_conn_t *h2, lb_http2_metric_e m)
{
    if (h2->stats != NULL && h2->stats->gauge[m] != NULL) {
        (void) lb_zone_gauge_enter(h2->stats->gauge[m], h2->stats->slot[m],
                                   -1);
    }
}


void
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
