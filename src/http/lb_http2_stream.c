/* weir: the streams of HTTP/2 client connections (lb_http2.c has the
 * connection): each request stream is a stream connection served by the
 * HTTP/1.1 session code (lb_http2.h). Its request head is written as
 * HTTP/1.1 from the header block (RFC 9113 8.3: :method, :path,
 * :authority as Host; 8.2.3: cookie crumbs joined with "; "; expect
 * dropped, "te: trailers" kept for h2 targets; Transfer-Encoding: chunked
 * for a body without content-length, the client's trailers as its
 * chunked trailers) and its DATA follow, read by the session through
 * lb_http2_stream_recv(), which gives the bytes back to the client's
 * windows. The response head the session writes is parsed again and
 * submitted as HEADERS (:status, names lowercased, connection-specific
 * fields dropped: 8.2.2), its body (dechunked by the session) goes
 * through the stream's buffer to a data provider that defers while it is
 * empty; its trailers follow the last DATA as a HEADERS frame. nghttp2's
 * callbacks only change state and post events: a session never runs
 * inside nghttp2. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_http2.h"
#include "lb_http2_session.h"
#include "lb_http2_upstream.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"

static lb_http2_stream_t *lb_http2_stream_new(lb_http2_conn_t *h2,
    int32_t id);
static void lb_http2_stream_free(lb_http2_stream_t *st);
static void lb_http2_stream_request(lb_http2_stream_t *st, bool end);
static lb_int_t lb_http2_submit_head(lb_http2_stream_t *st,
    const u_char *p, size_t len, size_t *used);
static void lb_http2_reply(lb_http2_stream_t *st, unsigned status);
static lb_int_t lb_http2_stream_trailers(lb_http2_stream_t *st);
static int lb_http2_on_trailer(lb_http2_conn_t *h2, lb_http2_stream_t *st,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen);
static size_t lb_http2_chunk_fit(size_t room, size_t avail);
static ssize_t lb_http2_data_read(nghttp2_session *ng, int32_t id,
    uint8_t *buf, size_t length, uint32_t *flags,
    nghttp2_data_source *source, void *data);

/* the response head parsed again, and its fields for nghttp2: used by
 * one call at a time */
static lb_http_msg_t     lb_http2_resp;
static lb_http_header_t  lb_http2_resp_headers[LB_HTTP_HEADERS];
static u_char            lb_http2_names[LB_HTTP_BUFFER_SIZE];
static nghttp2_nv        lb_http2_nva[LB_HTTP_HEADERS + 1];


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
    st->resp_trailer.len = 0;

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
    size_t            n;
    lb_http2_conn_t  *h2;

    h2 = st->h2;

    /* body bytes the session never read: the connection's window gets
     * them back (the stream's went with it) */
    n = (size_t) (st->in_last - st->in_pos);
    n = (n > st->in_head) ? n - st->in_head : 0;

    if (n && h2->ng != NULL && !h2->closing) {
        (void) nghttp2_session_consume_connection(h2->ng, n);
    }

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
    /* a body without content-length goes chunked to the target, its
     * end as the last chunk with the client's trailers */
    st->chunked = !end && !h2->hb_has_cl;

    if (st->chunked) {
        memcpy(st->tail, "0\r\n", 3);
        st->tail_len = 3;
    }

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

        } else {
            /* one chunk of what fits: "HEX\r\n" DATA "\r\n" */
            body = lb_http2_chunk_fit(room, avail);

            if (body) {
                n = snprintf((char *) b->last, 16, "%zx\r\n", body);
                b->last += n;
                memcpy(b->last, st->in_pos, body);
                b->last += body;
                *b->last++ = '\r';
                *b->last++ = '\n';
                take += (size_t) n + 2;
            }
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
        && !st->last_chunk && room != 0)
    {
        /* the last chunk, the trailers, the empty line: as far as there
         * is room */
        if (!st->tail_framed) {
            st->tail[st->tail_len++] = '\r';
            st->tail[st->tail_len++] = '\n';
            st->tail_framed = 1;
        }

        n = (int) lb_min(room, (size_t) (st->tail_len - st->tail_pos));
        memcpy(b->last, st->tail + st->tail_pos, (size_t) n);
        b->last += n;
        take += (size_t) n;
        st->tail_pos += (uint32_t) n;
        st->last_chunk = (st->tail_pos == st->tail_len);
    }

    if (body && !st->ng_closed && st->h2->ng != NULL) {
        /* the client may send as much again */
        (void) nghttp2_session_consume(st->h2->ng, st->id, body);
        lb_http2_post(st->h2);
    }

    /* more waits (what did not fit comes at the next call, when the
     * session has made room: the flag must not lose it) */
    c->read->ready = (st->in_pos < st->in_last)
                     || (st->chunked && st->req_end && !st->last_chunk);

    if (take == 0) {
        return LB_AGAIN;
    }

    return (ssize_t) take;
}


/* the most data bytes (<= avail) of a chunk that fits in room with its
 * framing, hex size line and CRLF; 0 when not even one does */
static size_t
lb_http2_chunk_fit(size_t room, size_t avail)
{
    size_t  k, hex, v;

    if (room <= 4 + 1) {
        return 0;
    }

    k = lb_min(avail, room - 4 - 1);

    for ( ;; ) {
        for (hex = 1, v = k >> 4; v != 0; v >>= 4) {
            hex++;
        }

        if (k == 0 || hex + k + 4 <= room) {
            return k;
        }

        k -= hex + k + 4 - room;
    }
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


lb_http_trailer_t *
lb_http2_stream_trailer(lb_connection_t *c)
{
    lb_http2_stream_t  *st;

    st = (lb_http2_stream_t *) c;
    st->resp_trailer.len = 0;

    return &st->resp_trailer;
}


/* Submit the response's trailer section, if it has a field, as the
 * trailing HEADERS frame (from the data provider, once the last DATA is
 * taken): LB_OK, or LB_DECLINED (none: the DATA ends the stream). */
static lb_int_t
lb_http2_stream_trailers(lb_http2_stream_t *st)
{
    size_t  n;

    if (st->resp_trailer.len == 0) {
        return LB_DECLINED;
    }

    n = lb_http2_trailer_nv(st->resp_trailer.buf, st->resp_trailer.len,
                            lb_http2_nva, lb_nelems(lb_http2_nva));
    st->resp_trailer.len = 0;

    if (n == 0) {
        return LB_DECLINED;
    }

    if (nghttp2_submit_trailer(st->h2->ng, st->id, lb_http2_nva, n) != 0) {
        lb_http2_log(st->h2, LB_LOG_ERR, "nghttp2_submit_trailer() failed");
        return LB_DECLINED;
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

/* --- nghttp2's callbacks: they only change state and post events, never
 * call into a session (which may be the caller) --- */

/* CONTINUATION frames are counted as they begin: a flood of them is cut
 * off before nghttp2 decodes what they carry */
int
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

int
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


int
lb_http2_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *data)
{
    size_t              need;
    lb_http2_conn_t    *h2;
    lb_http2_stream_t  *st;

    lb_unused(flags);

    h2 = data;

    if (frame->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }

    st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);

    if (frame->headers.cat == NGHTTP2_HCAT_HEADERS) {
        /* trailers of a request body (nghttp2 checked: END_STREAM, no
         * pseudo-header) */
        return (st == NULL) ? 0 : lb_http2_on_trailer(h2, st, name,
                                                      namelen, value,
                                                      valuelen);
    }

    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST
        || st == NULL || st != h2->hb || st->too_large)
    {
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

    /* te: "trailers" only (nghttp2 checked): an HTTP/1.1 target does not
     * get it (hop-by-hop), an h2 target does (gRPC needs it) */

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


/* A field of the trailers of st's request: a line of the trailer section
 * of its chunked body. A body of a stated length has no room for them in
 * HTTP/1.1: they are dropped then (as by an HTTP/1.1 proxy that gets
 * them). More than the chunked decoder takes resets the stream. */
static int
lb_http2_on_trailer(lb_http2_conn_t *h2, lb_http2_stream_t *st,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen)
{
    size_t  need;

    if (!st->chunked || st->gone || st->tail_large) {
        return 0;
    }

    /* the field line, and the empty line to come */
    need = namelen + 2 + valuelen + 2;

    if (st->tail_len + need + 2 > sizeof(st->tail)) {
        st->tail_large = 1;
        lb_http2_log(h2, LB_LOG_INFO, "the request trailers are too large "
                     "(more than 8192 bytes): stream reset");
        (void) nghttp2_submit_rst_stream(h2->ng, NGHTTP2_FLAG_NONE, st->id,
                                         NGHTTP2_INTERNAL_ERROR);
        lb_http2_post(h2);
        return 0;
    }

    memcpy(st->tail + st->tail_len, name, namelen);
    st->tail_len += (uint32_t) namelen;
    st->tail[st->tail_len++] = ':';
    st->tail[st->tail_len++] = ' ';
    memcpy(st->tail + st->tail_len, value, valuelen);
    st->tail_len += (uint32_t) valuelen;
    st->tail[st->tail_len++] = '\r';
    st->tail[st->tail_len++] = '\n';

    return 0;
}


int
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


int
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


int
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


int
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

            if (lb_http2_stream_trailers(st) == LB_OK) {
                /* the trailers end the stream (gRPC's grpc-status) */
                *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            }

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
