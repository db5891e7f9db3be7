/* weir: body framing of the L7 proxy. Bodies are checked as they pass:
 * Content-Length counts down, chunked bodies go through the strict decoder
 * (lb_http_chunked.h) and are passed on as received, except towards an
 * HTTP/1.0 or HTTP/2 client, which gets the data only (the framing is
 * taken out in place; an HTTP/2 client's stream gets the trailers).
 * What follows a request body in cin is the next request (pipelining): it
 * stays there. The loops that move the checked bytes are in
 * lb_http_proxy.c. */
#include <string.h>

#include "lb_http_session.h"


void
lb_http_body_init(lb_http_body_t *body, const lb_http_msg_t *m,
    lb_http_buf_t *b)
{
    body->type = m->body;
    body->left = m->content_length;
    body->ready = b->pos;
    body->sent = 0;
    body->dechunk = 0;
    body->trailer = NULL;
    body->done = (m->body == LB_HTTP_BODY_NONE
                  || (m->body == LB_HTTP_BODY_LENGTH
                      && m->content_length == 0));

    if (m->body == LB_HTTP_BODY_CHUNKED) {
        lb_http_chunked_init(&body->chunked);
    }
}


lb_int_t
lb_http_body_parse(lb_http_body_t *body, lb_http_buf_t *b,
    const char **reason)
{
    size_t                  n;
    uint32_t                i;
    lb_int_t                rc;
    u_char                 *raw;
    lb_http_span_t          spans[16];
    lb_http_chunked_out_t   out;

    if (body->done || body->ready >= b->last) {
        return LB_OK;
    }

    switch (body->type) {

    case LB_HTTP_BODY_LENGTH:
        n = (size_t) lb_min((uint64_t) (b->last - body->ready), body->left);
        body->ready += n;
        body->left -= n;
        body->done = (body->left == 0);
        return LB_OK;

    case LB_HTTP_BODY_CLOSE:
    case LB_HTTP_BODY_TUNNEL:
        body->ready = b->last;
        return LB_OK;

    case LB_HTTP_BODY_CHUNKED:
        break;

    default:
        body->done = 1;
        return LB_OK;
    }

    if (!body->dechunk) {
        memset(&out, 0, sizeof(out));

        rc = lb_http_chunked_parse(&body->chunked, body->ready, b->last,
                                   &out);
        body->ready += out.consumed;

        if (rc == LB_ERROR) {
            *reason = body->chunked.reason;
            return LB_ERROR;
        }

        body->done = (rc == LB_DONE);
        return LB_OK;
    }

    /* the data moves down over the framing it came in: [pos, ready)
     * stays a run of data bytes to send */
    raw = body->ready;

    while (raw < b->last) {
        memset(&out, 0, sizeof(out));
        out.data = spans;
        out.max_data = lb_nelems(spans);

        rc = lb_http_chunked_parse(&body->chunked, raw, b->last, &out);

        for (i = 0; i < out.ndata; i++) {
            memmove(body->ready, raw + spans[i].off, spans[i].len);
            body->ready += spans[i].len;
        }

        if (out.trailer.len != 0 && body->trailer != NULL
            && body->trailer->len + out.trailer.len
               <= sizeof(body->trailer->buf))
        {
            /* the data moved above lay before it; the decoder's limit
             * is the buffer's size */
            memcpy(body->trailer->buf + body->trailer->len,
                   raw + out.trailer.off, out.trailer.len);
            body->trailer->len += out.trailer.len;
        }

        raw += out.consumed;

        if (rc == LB_ERROR) {
            *reason = body->chunked.reason;
            return LB_ERROR;
        }

        if (rc == LB_DONE) {
            body->done = 1;
            break;
        }
    }

    /* what followed the last chunk is dropped (the caller sees extra
     * bytes only as a target that must not be reused) */
    b->last = body->ready;

    return LB_OK;
}


void
lb_http_buf_compact(lb_http_buf_t *b, lb_http_body_t *body)
{
    size_t  n, shift;

    if (b->pos == b->start) {
        return;
    }

    n = (size_t) (b->last - b->pos);
    shift = (size_t) (b->pos - b->start);

    if (n) {
        memmove(b->start, b->pos, n);
    }

    b->pos = b->start;
    b->last = b->start + n;

    if (body != NULL) {
        body->ready -= shift;
    }
}
