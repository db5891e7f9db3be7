/* weir: per-worker set-up of stream (L4) listening sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_limit.h"
#include "lb_event_openssl.h"
#include "lb_log.h"
#include "lb_stream.h"

static void lb_stream_tls_init_connection(lb_connection_t *c);
static void lb_stream_tls_handshaked(lb_connection_t *c, lb_int_t rc);


lb_int_t
lb_stream_init_listening(lb_cycle_t *cycle, lb_listening_t *ls)
{
    int  one;

    lb_unused(cycle);

    /* set once here instead of once per accepted connection: Linux copies
     * it to every socket accepted from ls */
    one = 1;
    if (setsockopt(ls->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))
        == -1)
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "setsockopt(TCP_NODELAY) on %s failed", ls->addr.text);
    }

    return lb_event_add_listening(ls,
                                  ls->listener->protocol == LB_LISTENER_TLS
                                  ? lb_stream_tls_init_connection
                                  : lb_stream_proxy_init_connection,
                                  LB_STREAM_POOL_SIZE);
}


/* The accept handler of TLS listeners: counted in connection_limit at
 * once (a client that never finishes its handshake holds a slot and an
 * SSL object), then the handshake, bounded by timeout_client_handshake,
 * then the TCP proxy, whose reads and writes go through c->ssl. The
 * share of the limit waits in c->data meanwhile. */
static void
lb_stream_tls_init_connection(lb_connection_t *c)
{
    SSL_CTX               *ctx;
    lb_listening_limit_t  *limit;

    if (lb_stream_proxy_admit(c, &limit) != LB_OK) {
        return;
    }

    c->data = limit;

    ctx = lb_ssl_listener_ctx(c->listening->listener);

    if (ctx == NULL) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "*%lu listener on %s has no TLS context, client closed",
                     (unsigned long) c->number, c->listening->addr.text);
        lb_stream_tls_handshaked(c, LB_ERROR);
        return;
    }

    if (lb_ssl_create_connection(ctx, c, LB_SSL_SERVER) != LB_OK) {
        lb_stream_tls_handshaked(c, LB_ERROR);
        return;
    }

    lb_ssl_handshake_run(c, c->listening->listener->timeout_client_handshake,
                         lb_stream_tls_handshaked);
}


/* The handshake failed (logged) or timed out or the worker stops: close,
 * giving the slot back; else proxy. */
static void
lb_stream_tls_handshaked(lb_connection_t *c, lb_int_t rc)
{
    lb_listening_limit_t  *limit;

    limit = c->data;
    c->data = NULL;

    if (rc != LB_OK) {
        if (limit != NULL) {
            lb_event_limit_leave(limit);
        }

        lb_close_connection(c);
        return;
    }

    lb_stream_proxy_start(c, limit);
}
