/* weir: the response head of the L7 proxy, once parsed at the start of
 * uin: an interim (1xx) head goes on to HTTP/1.1 clients, a 101 opens the
 * tunnel (lb_http_tunnel.c), a final head sets the body's framing and
 * whether either connection is kept, and is rewritten into out for the
 * client (lb_http_headers.c). */
#include <string.h>

#include "lb_http2.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_time.h"


/* A response head was parsed at the start of uin: an interim one goes
 * to HTTP/1.1 clients and makes way for the next, a 101 opens the tunnel,
 * a final one starts the response. */
lb_int_t
lb_http_response_head_done(lb_http_session_t *s)
{
    size_t                  len, rest;
    const char             *reason;
    lb_http_resp_rewrite_t  rw;

    len = s->resp.head_len;

    if (s->responded == 0) {
        s->responded = lb_current_msec;
    }

    memset(&rw, 0, sizeof(rw));
    rw.client_version = s->req.version;

    /* the request head in out went out whole before any response byte
     * was looked at, and a retry is no longer possible: out is free */
    s->out.pos = s->out.start;
    s->out.last = s->out.start;

    if (s->resp.code < 200 && s->resp.code != 101) {
        s->got_interim = 1;

        if (s->req.version == 11
            && lb_http_response_head(&s->resp, s->uin.start, &rw, &s->out)
               != LB_OK)
        {
            s->upstream_bad = 1;
            lb_http_error(s, 502, false);
            return LB_DONE;
        }

        rest = (size_t) (s->uin.last - (s->uin.start + len));
        memmove(s->uin.start, s->uin.start + len, rest);
        s->uin.last = s->uin.start + rest;

        lb_http_msg_init(&s->resp, s->resp_headers, LB_HTTP_HEADERS,
                         &s->limits);
        return LB_OK;
    }

    if (s->resp.code == 101 && !s->req.upgrade) {
        lb_http_log_error(s, LB_LOG_ERR, 0,
                          "the target switched protocols unasked");
        s->upstream_bad = 1;
        lb_http_error(s, 502, false);
        return LB_DONE;
    }

    s->status = s->resp.code;
    s->resp_head_done = 1;

    if (s->peer != NULL && s->peer->bp->zone != NULL) {
        lb_zone_target_response(s->peer->bp->zone, s->resp.code);
    }

    lb_http_sticky_learn(s);

    if (s->resp.code == 101) {
        rw.keep_alive = false;

        if (lb_http_response_head(&s->resp, s->uin.start, &rw, &s->out)
            != LB_OK)
        {
            s->upstream_bad = 1;
            lb_http_error(s, 502, false);
            return LB_DONE;
        }

        s->uin.pos = s->uin.start + len;
        s->resp_body.ready = s->uin.pos;
        s->phase = LB_HTTP_PH_TUNNEL;
        s->upstream_bad = 1;
        s->keep_client = 0;
        s->tunnel_at = lb_current_msec;

        /* bytes the client sent after its request head are the tunnel's
         * first: cin.pos was left at them */
        s->req_body.ready = s->cin.last;
        return LB_OK;
    }

    lb_http_body_init(&s->resp_body, &s->resp, &s->uin);
    s->uin.pos = s->uin.start + len;
    s->resp_body.ready = s->uin.pos;

    /* an HTTP/2 client gets the data in DATA frames, the end as
     * END_STREAM (lb_http2.c): no chunked framing */
    if (s->resp.chunked && (s->req.version == 10 || s->client_h2)) {
        s->resp_body.dechunk = 1;

        if (s->client_h2) {
            /* its trailers go as a trailing HEADERS frame (gRPC's
             * grpc-status) */
            s->resp_body.trailer = lb_http2_stream_trailer(s->client);
        }
    }

    /* the client may send another request after this one when it asked
     * to, its request is read to the end, and the response ends by its
     * framing, not by a close */
    s->keep_client = s->req.keep_alive && !s->client_eof
                     && !lb_http_worker.quitting && s->req_body.done
                     && s->resp_body.type != LB_HTTP_BODY_CLOSE
                     && !s->resp_body.dechunk;

    if (s->resp_body.type == LB_HTTP_BODY_CLOSE || !s->resp.keep_alive) {
        s->upstream_bad = 1;
    }

    rw.keep_alive = s->keep_client;
    rw.dechunk = s->resp_body.dechunk;

    if (s->set_cookie_len) {
        rw.set_cookie = s->set_cookie;
        rw.set_cookie_len = s->set_cookie_len;
    }

    if (lb_http_response_head(&s->resp, s->uin.start, &rw, &s->out)
        != LB_OK)
    {
        lb_http_log_error(s, LB_LOG_ERR, 0,
                          "the response head does not fit with weir's "
                          "fields");
        s->upstream_bad = 1;
        lb_http_error(s, 502, false);
        return LB_DONE;
    }

    if (lb_http_body_parse(&s->resp_body, &s->uin, &reason) != LB_OK) {
        lb_http_log_error(s, LB_LOG_ERR, 0, reason);
        s->upstream_bad = 1;
        lb_http_error(s, 502, false);
        return LB_DONE;
    }

    if (s->resp_body.done && s->uin.last > s->resp_body.ready) {
        s->upstream_bad = 1;
        s->uin.last = s->resp_body.ready;
    }

    return LB_OK;
}
