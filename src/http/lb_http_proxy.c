/* weir: moving a request and its response through the proxy. Both
 * directions stream through fixed buffers: the client's bytes through
 * cin, the target's through uin, the heads weir writes through out.
 * Bytes are read from a side only while the buffer towards the other side
 * has room, so a slow reader slows the writer down (backpressure) and no
 * body is ever held whole.
 *
 * Bodies are checked as they pass (lb_http_body.c); a response head is
 * dealt with by lb_http_response.c. What follows a request body in cin is
 * the next request (pipelining): the client is not read again before the
 * response is over.
 *
 * A head and the first body bytes go out in one writev(). */
#include <sys/uio.h>

#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_http2_upstream.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_time.h"

static lb_int_t lb_http_proxy_up(lb_http_session_t *s, bool *progress);
static lb_int_t lb_http_proxy_finish(lb_http_session_t *s);
static void lb_http_proxy_timers(lb_http_session_t *s);


lb_int_t
lb_http_proxy(lb_http_session_t *s)
{
    bool      progress;
    lb_int_t  rc;

    if (s->h2 != NULL) {
        return lb_http2_upstream_proxy(s);
    }

    for ( ;; ) {
        progress = false;

        rc = lb_http_proxy_up(s, &progress);
        if (rc == LB_DONE) {
            return LB_DONE;
        }

        rc = lb_http_proxy_down(s, &progress);
        if (rc == LB_DONE) {
            return LB_DONE;
        }

        if (s->phase == LB_HTTP_PH_TUNNEL) {
            return lb_http_tunnel(s);
        }

        if (s->resp_head_sent && s->resp_body.done
            && s->uin.pos == s->resp_body.ready)
        {
            return lb_http_proxy_finish(s);
        }

        if (!progress) {
            break;
        }
    }

    lb_http_proxy_timers(s);

    return LB_OK;
}


/* the request head, then its body, from the client to the target */
static lb_int_t
lb_http_proxy_up(lb_http_session_t *s, bool *progress)
{
    int               err, niov;
    size_t            head, pp, m;
    ssize_t           n;
    lb_int_t          rc;
    struct iovec      iov[3];
    lb_connection_t  *u;

    u = s->upstream;

    for ( ;; ) {
        if (s->req_aborted) {
            return LB_OK;
        }

        /* out holds the request head until it is sent; a new connection
         * to a PROXY group starts with the PROXY protocol header */
        head = s->req_head_sent ? 0 : (size_t) (s->out.last - s->out.pos);
        pp = s->pp_len - s->pp_pos;
        niov = 0;

        if (pp) {
            iov[niov].iov_base = s->pp + s->pp_pos;
            iov[niov++].iov_len = pp;
        }

        if (head) {
            iov[niov].iov_base = s->out.pos;
            iov[niov++].iov_len = head;
        }

        if (s->req_body.ready > s->cin.pos) {
            iov[niov].iov_base = s->cin.pos;
            iov[niov++].iov_len = (size_t) (s->req_body.ready - s->cin.pos);
        }

        if (niov && u->write->ready) {
            n = lb_http_send(u, iov, niov, &err);

            if (n == LB_ERROR) {
                if (!s->resp_head_done && s->uin.last == s->uin.start) {
                    lb_http_upstream_failed(s, err,
                                            "sending to the target failed");
                    return LB_DONE;
                }

                /* the target answered and stopped reading: its answer
                 * goes on */
                lb_http_log_error(s, LB_LOG_INFO, err,
                                  "the target stopped reading the request");
                s->req_aborted = 1;
                s->upstream_bad = 1;
                return LB_OK;
            }

            if (n > 0) {
                *progress = true;
                s->target_out += (uint64_t) n;
                s->up_write_at = lb_current_msec;

                m = lb_min((size_t) n, pp);
                s->pp_pos += (uint32_t) m;
                n -= (ssize_t) m;

                m = lb_min((size_t) n, head);
                s->out.pos += m;
                n -= (ssize_t) m;

                if (s->out.pos == s->out.last) {
                    s->req_head_sent = 1;
                }

                s->cin.pos += n;
                s->req_body.sent += (uint64_t) n;

                if (s->cin.pos == s->cin.last) {
                    /* everything went: start over at the front */
                    s->cin.pos = s->cin.start;
                    s->cin.last = s->cin.start;
                    s->req_body.ready = s->cin.start;
                }

                continue;
            }
        }

        rc = lb_http_read_body(s, progress);

        if (rc != LB_AGAIN) {
            return rc;
        }
    }
}


/* Read what the client sends of the request body into cin (made room
 * for, checked by the body parser) while the target side has room for
 * it: LB_AGAIN when bytes came (the caller sends them and calls again),
 * LB_OK when there is nothing more to read now, LB_DONE when the session
 * ended (the client went, or its body is malformed: 400, or a close
 * once the answer began). Shared by the HTTP/1.1 and HTTP/2 targets. */
lb_int_t
lb_http_read_body(lb_http_session_t *s, bool *progress)
{
    int               err;
    ssize_t           n;
    const char       *reason;
    lb_connection_t  *c;

    c = s->client;

    if (s->req_body.done || !c->read->ready || s->client_eof) {
        return LB_OK;
    }

    if (s->cin.last == s->cin.end) {
        lb_http_buf_compact(&s->cin, &s->req_body);

        if (s->cin.last == s->cin.end) {
            /* full: the target takes it slower than the client sends */
            return LB_OK;
        }
    }

    n = lb_http_recv(c, &s->cin, &err);

    if (n == LB_AGAIN) {
        return LB_OK;
    }

    if (n == 0 || n == LB_ERROR) {
        lb_http_log_error(s, n == 0 ? LB_LOG_INFO : lb_conn_error_level(err),
                          n == 0 ? 0 : err,
                          "the client closed the connection while sending "
                          "the request body");
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

    return LB_AGAIN;
}


/* the response head, then its body, from the target to the client */
lb_int_t
lb_http_proxy_down(lb_http_session_t *s, bool *progress)
{
    int               err, niov;
    size_t            head, m;
    ssize_t           n;
    lb_int_t          rc;
    const char       *reason;
    struct iovec      iov[2];
    lb_connection_t  *c, *u;

    c = s->client;
    u = s->upstream;

    if (!s->req_head_sent) {
        /* out is the request's until then */
        return LB_OK;
    }

    for ( ;; ) {
        head = (size_t) (s->out.last - s->out.pos);
        niov = 0;

        if (head) {
            iov[niov].iov_base = s->out.pos;
            iov[niov++].iov_len = head;
        }

        if (s->resp_head_done && s->resp_body.ready > s->uin.pos) {
            iov[niov].iov_base = s->uin.pos;
            iov[niov++].iov_len = (size_t) (s->resp_body.ready - s->uin.pos);
        }

        if (niov && c->write->ready) {
            n = lb_http_send(c, iov, niov, &err);

            if (n == LB_ERROR) {
                lb_http_log_error(s, lb_conn_error_level(err), err,
                                  "sending the response to the client "
                                  "failed");
                lb_http_close(s);
                return LB_DONE;
            }

            if (n > 0) {
                *progress = true;
                s->client_bytes += (uint64_t) n;
                s->client_write_at = lb_current_msec;

                m = lb_min((size_t) n, head);
                s->out.pos += m;
                n -= (ssize_t) m;

                if (s->out.pos == s->out.last) {
                    s->out.pos = s->out.start;
                    s->out.last = s->out.start;

                    if (s->resp_head_done) {
                        s->resp_head_sent = 1;
                    }
                }

                s->uin.pos += n;
                s->resp_body.sent += (uint64_t) n;

                if (s->resp_head_done && s->uin.pos == s->uin.last) {
                    s->uin.pos = s->uin.start;
                    s->uin.last = s->uin.start;
                    s->resp_body.ready = s->uin.start;
                }

                continue;
            }
        }

        if (s->phase == LB_HTTP_PH_TUNNEL) {
            return LB_OK;
        }

        /* a head written for the client goes before the next one is
         * looked at */
        if (!s->resp_head_done && s->out.last > s->out.pos) {
            return LB_OK;
        }

        if (s->resp_head_done && s->resp_body.done) {
            return LB_OK;
        }

        if (!s->resp_head_done && s->uin.last > s->uin.start) {
            /* bytes left after a 1xx: maybe a whole head already */
            rc = lb_http_parse_response(&s->resp, s->req.method,
                                        s->uin.start, s->uin.last);
            if (rc == LB_OK) {
                if (lb_http_response_head_done(s) == LB_DONE) {
                    return LB_DONE;
                }
                *progress = true;
                continue;
            }

            if (rc == LB_ERROR) {
                lb_http_log_error(s, LB_LOG_ERR, 0, s->resp.reason);
                s->upstream_bad = 1;
                lb_http_error(s, 502, false);
                return LB_DONE;
            }
        }

        if (s->h2 == NULL && !u->read->ready) {
            return LB_OK;
        }

        if (s->uin.last == s->uin.end) {
            if (!s->resp_head_done) {
                /* the parser's limit is the buffer: it said so first */
                lb_http_error(s, 502, false);
                return LB_DONE;
            }

            lb_http_buf_compact(&s->uin, &s->resp_body);

            if (s->uin.last == s->uin.end) {
                /* full: the client reads slower than the target sends */
                return LB_OK;
            }
        }

        n = (s->h2 != NULL) ? lb_http2_upstream_recv(s, &s->uin, &err)
                            : lb_http_recv(u, &s->uin, &err);

        if (n == LB_AGAIN) {
            return LB_OK;
        }

        if (n == 0 || n == LB_ERROR) {
            if (n == 0) {
                err = 0;
            }

            if (!s->resp_head_done && s->uin.last == s->uin.start
                && !s->got_interim)
            {
                lb_http_upstream_failed(s, n == 0 ? 0 : err,
                                        n == 0 ? "the target closed the "
                                                 "connection before "
                                                 "responding"
                                               : "reading from the target "
                                                 "failed before a response");
                return LB_DONE;
            }

            s->upstream_bad = 1;

            if (!s->resp_head_done) {
                lb_http_log_error(s, LB_LOG_ERR, err,
                                  "the target closed the connection in "
                                  "the response head");
                lb_http_error(s, 502, false);
                return LB_DONE;
            }

            if (n == 0 && s->resp_body.type == LB_HTTP_BODY_CLOSE) {
                s->resp_body.done = 1;
                *progress = true;
                continue;
            }

            lb_http_log_error(s, LB_LOG_ERR, err,
                              "the target closed the connection in the "
                              "response body");
            lb_http_close(s);
            return LB_DONE;
        }

        *progress = true;
        s->target_in += (uint64_t) n;
        s->up_read_at = lb_current_msec;

        if (s->resp_head_done) {
            if (lb_http_body_parse(&s->resp_body, &s->uin, &reason) != LB_OK)
            {
                lb_http_log_error(s, LB_LOG_ERR, 0, reason);
                lb_http_close(s);
                return LB_DONE;
            }

            if (s->resp_body.done && s->uin.last > s->resp_body.ready) {
                /* bytes after the response: not a target to reuse */
                s->upstream_bad = 1;
                s->uin.last = s->resp_body.ready;
            }

            continue;
        }

        rc = lb_http_parse_response(&s->resp, s->req.method, s->uin.start,
                                    s->uin.last);

        if (rc == LB_ERROR) {
            lb_http_log_error(s, LB_LOG_ERR, 0, s->resp.reason);
            s->upstream_bad = 1;
            lb_http_error(s, 502, false);
            return LB_DONE;
        }

        if (rc == LB_OK && lb_http_response_head_done(s) == LB_DONE) {
            return LB_DONE;
        }
    }
}


/* The whole response reached the client. */
static lb_int_t
lb_http_proxy_finish(lb_http_session_t *s)
{
    bool  keep;

    keep = !s->upstream_bad && s->req_body.done && !s->req_aborted
           && s->cin.pos == s->req_body.ready;

    if (!s->req_body.done) {
        s->keep_client = 0;
    }

    lb_http_upstream_finish(s, keep);
    lb_http_request_done(s);

    return LB_DONE;
}


/* which of the four directions wait, and for how long */
static void
lb_http_proxy_timers(lb_http_session_t *s)
{
    bool               to_client, to_target, from_client, from_target;
    lb_listener_t     *l;
    lb_connection_t   *c, *u;

    l = s->listener;
    c = s->client;
    u = s->upstream;

    to_client = (s->out.last > s->out.pos && s->req_head_sent)
                || (s->resp_head_done && s->resp_body.ready > s->uin.pos);

    to_target = (!s->req_head_sent && s->out.last > s->out.pos)
                || s->req_body.ready > s->cin.pos;

    from_client = !s->req_body.done && !to_target;

    /* the target's time runs once the request is all sent (a long
     * upload is the client's time), or once it started answering */
    from_target = !s->resp_body.done
                  && ((s->req_body.done && !to_target) || s->responded)
                  && s->uin.last < s->uin.end;

    lb_http_wait(c->write, to_client && !c->write->ready,
                 &s->client_write_at, l->timeout_client_data);
    lb_http_wait(c->read, from_client, &s->client_read_at,
                 l->timeout_client_data);
    lb_http_wait(u->write, to_target && !u->write->ready,
                 &s->up_write_at, l->timeout_member_data);
    lb_http_wait(u->read, from_target && !to_client, &s->up_read_at,
                 l->timeout_member_data);
}


/* ev waits (or not) for something that last moved at *since: its idle
 * timer runs out `timeout` after that. A wait that starts now counts from
 * now (*since is moved), so that later passes keep the same deadline;
 * progress, which moves *since, only pushes the deadline, lazily. */
void
lb_http_wait(lb_event_t *ev, bool waiting, lb_msec_t *since,
    lb_msec_t timeout)
{
    if (!waiting) {
        if (ev->timer_set) {
            lb_event_del_timer(ev);
        }
        return;
    }

    if (!ev->timer_set) {
        *since = lb_current_msec;
    }

    lb_event_idle_touch(ev, *since + timeout > lb_current_msec
                            ? *since + timeout - lb_current_msec : 1);
}
