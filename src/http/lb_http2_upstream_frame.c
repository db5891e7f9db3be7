/* weir: HTTP/2 towards targets, the messages (see lb_http2_upstream.h):
 * the request head of s->out as HTTP/2 fields (RFC 9113 8.2 and 8.3), its
 * body from s->cin for nghttp2 (chunked framing off, trailers as HTTP/2
 * trailers), and nghttp2's callbacks, which keep the response as the
 * HTTP/1.1 text it becomes in s->uin: status-line and fields, then the
 * body with the target's content-length, else chunked, its trailers as
 * chunked trailers (lb_http2_upstream_recv()). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* memmem(), memrchr() */
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "lb_connection.h"
#include "lb_http2_upstream.h"
#include "lb_http_chunked.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_time.h"

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



size_t
lb_http2_request_fields(u_char *head, size_t len, bool https,
    bool te_trailers, nghttp2_nv *nv, size_t max)
{
    size_t   n, k;
    u_char  *p, *end, *eol, *sp1, *sp2, *colon, *v, *ve, *semi;

    p = head;
    end = head + len;

    if (max < 6) {
        return 0;
    }

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
    LB_NV(1, ":scheme", 7, https ? "https" : "http", https ? 5 : 4);
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
                    if (n >= max - 1) {
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

        if (n >= max - 1) {
            return 0;
        }

        LB_NV(n, p, k, v, (size_t) (ve - v));
        n++;
    }

    if (nv[2].valuelen == 0) {
        return 0;
    }

    /* RFC 9113 8.2.2: TE only as "trailers" (gRPC asks for it) */
    if (te_trailers) {
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


ssize_t
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

        n = lb_http2_trailer_nv(st->req_trailer, st->req_trailer_len,
                                st->nv, LB_HTTP2_UP_NV);

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


size_t
lb_http2_trailer_nv(u_char *text, size_t len, nghttp2_nv *nv, size_t max)
{
    size_t   n, k;
    u_char  *p, *end, *eol, *colon, *v, *ve;

    n = 0;
    p = text;
    end = text + len;

    for ( /* void */ ; p < end; p = eol + 2) {
        eol = memmem(p, (size_t) (end - p), "\r\n", 2);
        if (eol == NULL || eol == p || n == max) {
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

        nv[n].name = p;
        nv[n].namelen = k;
        nv[n].value = v;
        nv[n].valuelen = (size_t) (ve - v);
        nv[n].flags = NGHTTP2_NV_FLAG_NONE;
        n++;
    }

    return n;
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

void
lb_http2_up_callbacks_set(nghttp2_session_callbacks *cb)
{
    nghttp2_session_callbacks_set_on_header_callback(cb,
        lb_http2_up_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb,
        lb_http2_up_on_frame);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
        lb_http2_up_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb,
        lb_http2_up_on_close);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cb,
        lb_http2_up_on_not_sent);
}


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

        for (i = 0; i < valuelen; i++) {
            if (value[i] < '0' || value[i] > '9') {
                break;
            }
            status = status * 10 + (unsigned) (value[i] - '0');
        }

        /* RFC 9110 15: three digits, 1xx to 5xx */
        if (valuelen != 3 || i != 3 || status < 100 || status > 599) {
            st->why = "the target's :status is not a status code";
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }

        st->status = status;
        st->has_length = 0;
        st->trailer_fields = 0;
        st->trailer_bytes = 0;

        n = snprintf(line, sizeof(line), "HTTP/1.1 %03u%s%s\r\n", status,
                     lb_http2_up_reason(status)[0] ? " " : "",
                     lb_http2_up_reason(status));

        if (lb_http2_up_text(st, line, (size_t) n) != LB_OK) {
            goto too_large;
        }

        return 0;
    }

    /* trailers go to the client as chunked trailers: no more of them
     * than weir's own chunked decoder takes (lb_http_chunked.h), or the
     * session would refuse what it wrote (found by fuzz_http2_response) */
    if (frame->headers.cat == NGHTTP2_HCAT_HEADERS) {
        st->trailer_bytes += namelen + 2 + valuelen + 2;

        if (++st->trailer_fields > LB_HTTP_CHUNK_MAX_TRAILERS
            || st->trailer_bytes + 2 > LB_HTTP_CHUNK_MAX_TRAILER)
        {
            goto too_large;
        }
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

        } else if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            /* the head ended the stream: no body, and no trailers can
             * follow (gRPC's "trailers-only" error responses: an h2
             * client gets one HEADERS frame ending the stream again) */
            st->body = LB_HTTP2_BODY_LENGTH;

            if (lb_http2_up_text(st, "content-length: 0\r\n", 19) != LB_OK)
            {
                goto too_large;
            }

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

