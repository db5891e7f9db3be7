/* weir: the tunnel of the L7 proxy after a 101 (Upgrade, WebSocket):
 * raw bytes both ways through cin and uin, each FIN passed on as a
 * half-close (shutdown(), or close_notify for TLS), and one idle timer
 * for both ways. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_time.h"

static void lb_http_tunnel_idle(lb_http_session_t *s);
static lb_int_t lb_http_tunnel_pump(lb_http_session_t *s, lb_http_buf_t *b,
    lb_connection_t *src, lb_connection_t *dst, unsigned *eof,
    unsigned *shut, bool *progress);


lb_int_t
lb_http_tunnel(lb_http_session_t *s)
{
    bool              progress;
    lb_connection_t  *c, *u;

    c = s->client;
    u = s->upstream;

    /* the 101 head goes first */
    if (s->out.last > s->out.pos) {
        progress = false;

        if (lb_http_proxy_down(s, &progress) == LB_DONE) {
            return LB_DONE;
        }

        if (s->out.last > s->out.pos) {
            lb_http_wait(c->write, !c->write->ready, &s->client_write_at,
                         s->listener->timeout_client_data);
            lb_http_tunnel_idle(s);
            return LB_OK;
        }
    }

    do {
        progress = false;

        if (lb_http_tunnel_pump(s, &s->cin, c, u, &s->up_eof_f,
                                &s->up_shut_f, &progress) != LB_OK
            || lb_http_tunnel_pump(s, &s->uin, u, c, &s->down_eof_f,
                                   &s->down_shut_f, &progress) != LB_OK)
        {
            lb_http_close(s);
            return LB_DONE;
        }

        if (progress) {
            s->tunnel_at = lb_current_msec;
        }

    } while (progress);

    if (s->up_shut_f && s->down_shut_f) {
        lb_http_close(s);
        return LB_DONE;
    }

    if (c->write->timer_set) {
        lb_event_del_timer(c->write);
    }

    lb_http_tunnel_idle(s);

    if (u->read->timer_set) {
        lb_event_del_timer(u->read);
    }

    if (u->write->timer_set) {
        lb_event_del_timer(u->write);
    }

    return LB_OK;
}


/* One idle timer for both ways of the tunnel, on the client's read
 * event: it fires once neither way moved a byte for timeout_client_data
 * since s->tunnel_at. */
static void
lb_http_tunnel_idle(lb_http_session_t *s)
{
    lb_msec_t  idle;

    idle = lb_current_msec - s->tunnel_at;

    lb_event_idle_touch(s->client->read,
                        idle < s->listener->timeout_client_data
                        ? s->listener->timeout_client_data - idle : 1);
}


/* Copy raw bytes from src to dst through b until neither can move; a
 * FIN is passed on once b is empty. LB_OK or LB_ERROR (logged). */
static lb_int_t
lb_http_tunnel_pump(lb_http_session_t *s, lb_http_buf_t *b,
    lb_connection_t *src, lb_connection_t *dst, unsigned *eof,
    unsigned *shut, bool *progress)
{
    int           err;
    ssize_t       n;
    struct iovec  iov[1];

    for ( ;; ) {
        if (b->last > b->pos && dst->write->ready) {
            iov[0].iov_base = b->pos;
            iov[0].iov_len = (size_t) (b->last - b->pos);

            n = lb_http_send(dst, iov, 1, &err);

            if (n == LB_ERROR) {
                lb_http_log_error(s, lb_conn_error_level(err), err,
                                  "sending in the tunnel failed");
                return LB_ERROR;
            }

            if (n > 0) {
                *progress = true;
                b->pos += n;

                if (dst == s->client) {
                    s->client_bytes += (uint64_t) n;

                } else {
                    s->target_out += (uint64_t) n;
                }

                if (b->pos == b->last) {
                    b->pos = b->start;
                    b->last = b->start;
                }

                continue;
            }
        }

        if (*eof || !src->read->ready) {
            break;
        }

        if (b->last == b->end) {
            lb_http_buf_compact(b, NULL);

            if (b->last == b->end) {
                break;
            }
        }

        n = lb_http_recv(src, b, &err);

        if (n == LB_AGAIN) {
            break;
        }

        if (n == LB_ERROR) {
            lb_http_log_error(s, lb_conn_error_level(err), err,
                              "reading in the tunnel failed");
            return LB_ERROR;
        }

        if (n == 0) {
            *eof = 1;
            break;
        }

        *progress = true;

        if (src == s->upstream) {
            s->target_in += (uint64_t) n;
        }
    }

    if (*eof && !*shut && b->last == b->pos) {
        if (dst->ssl != NULL) {
            /* close_notify is TLS's half-close */
            if (lb_ssl_shutdown(dst) == LB_AGAIN) {
                return LB_OK;
            }

        } else if (shutdown(dst->fd, SHUT_WR) == -1) {
            err = errno;
            lb_http_log_error(s, lb_conn_error_level(err), err,
                              "shutdown() in the tunnel failed");
            return LB_ERROR;
        }

        *shut = 1;
    }

    return LB_OK;
}
