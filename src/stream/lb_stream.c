/* weir: per-worker set-up of stream (L4) listening sockets, and the
 * per-worker handles of listeners' shared connection counts. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_hash.h"
#include "lb_log.h"
#include "lb_stream.h"
#include "lb_zone.h"
#include "lb_zone_gauge.h"

static void lb_stream_tls_init_connection(lb_connection_t *c);
static void lb_stream_tls_handshaked(lb_connection_t *c, lb_int_t rc);
static size_t lb_stream_limit_hash(const lb_listener_t *lst);
static void lb_stream_limit_name(const lb_listener_t *lst, char *name,
    size_t size);


lb_int_t
lb_stream_init_listening(lb_listening_t *ls)
{
    int  one;

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


/* The accept handler of TLS listeners: the handshake first (bounded by
 * timeout_client_data), then the TCP proxy, whose reads and writes go
 * through c->ssl. */
static void
lb_stream_tls_init_connection(lb_connection_t *c)
{
    SSL_CTX  *ctx;

    ctx = lb_ssl_listener_ctx(c->listening->listener);

    if (ctx == NULL) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "*%lu listener on %s has no TLS context, client closed",
                     (unsigned long) c->number, c->listening->addr.text);
        lb_close_connection(c);
        return;
    }

    if (lb_ssl_create_connection(ctx, c, LB_SSL_SERVER) != LB_OK) {
        lb_close_connection(c);
        return;
    }

    lb_ssl_handshake_run(c, c->listening->listener->timeout_client_data,
                         lb_stream_tls_handshaked);
}


/* The handshake failed (logged) or timed out or the worker stops: close;
 * else proxy. */
static void
lb_stream_tls_handshaked(lb_connection_t *c, lb_int_t rc)
{
    if (rc != LB_OK) {
        lb_close_connection(c);
        return;
    }

    lb_stream_proxy_init_connection(c);
}


/* lb_stream_limit(): an open-addressing table by listener address, per
 * worker; it grows (rarely: once per new listener) outside the data
 * path's steady state */
static lb_stream_limit_t  *lb_stream_limits;
static size_t              lb_stream_limits_size;    /* a power of two */
static size_t              lb_stream_limits_used;


lb_stream_limit_t *
lb_stream_limit_enter(const lb_listener_t *lst, bool *refused)
{
    lb_stream_limit_t  *l;

    *refused = false;

    if (lst->connection_limit <= 0) {
        return NULL;
    }

    l = lb_stream_limit(lst);

    if (l != NULL
        && !lb_zone_gauge_enter(l->gauge, l->slot, lst->connection_limit))
    {
        *refused = true;
        return NULL;
    }

    return l;
}


lb_stream_limit_t *
lb_stream_limit(const lb_listener_t *lst)
{
    size_t              i, k, size;
    lb_shm_zone_t      *zone;
    lb_stream_limit_t  *l, *old;
    char                name[LB_ZONE_GAUGE_NAME_LEN + 1];

    if (lb_stream_limits_size != 0) {
        for (i = lb_stream_limit_hash(lst) & (lb_stream_limits_size - 1);
             lb_stream_limits[i].listener != NULL;
             i = (i + 1) & (lb_stream_limits_size - 1))
        {
            if (lb_stream_limits[i].listener == lst) {
                l = &lb_stream_limits[i];
                return l->gauge != NULL ? l : NULL;
            }
        }
    }

    /* first use: keep the table at most half full */
    if (2 * (lb_stream_limits_used + 1) > lb_stream_limits_size) {
        size = lb_stream_limits_size ? 2 * lb_stream_limits_size : 16;

        l = calloc(size, sizeof(lb_stream_limit_t));
        if (l == NULL) {
            lb_log_error(LB_LOG_CRIT, &lb_log, errno,
                         "calloc() failed: listener %s runs without its "
                         "connection_limit", lst->addr.text);
            return NULL;
        }

        old = lb_stream_limits;

        for (k = 0; k < lb_stream_limits_size; k++) {
            if (old[k].listener == NULL) {
                continue;
            }

            for (i = lb_stream_limit_hash(old[k].listener) & (size - 1);
                 l[i].listener != NULL;
                 i = (i + 1) & (size - 1))
            {
                /* void */
            }

            l[i] = old[k];
        }

        free(old);
        lb_stream_limits = l;
        lb_stream_limits_size = size;
    }

    for (i = lb_stream_limit_hash(lst) & (lb_stream_limits_size - 1);
         lb_stream_limits[i].listener != NULL;
         i = (i + 1) & (lb_stream_limits_size - 1))
    {
        /* void */
    }

    l = &lb_stream_limits[i];
    l->listener = lst;
    lb_stream_limits_used++;

    zone = lb_balancer_zone();

    if (zone == NULL) {
        /* remembered as missing (gauge NULL): logged once */
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "no shared zone: listener %s runs without its "
                     "connection_limit", lst->addr.text);
        return NULL;
    }

    lb_stream_limit_name(lst, name, sizeof(name));

    l->gauge = lb_zone_gauge_get(zone, name, &l->slot);

    if (l->gauge == NULL) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "listener %s runs without its connection_limit",
                     lst->addr.text);
        return NULL;
    }

    return l;
}


static size_t
lb_stream_limit_hash(const lb_listener_t *lst)
{
    /* the listener's address in memory, which no client chooses: a mixer
     * is enough, no key needed */
    return (size_t) lb_hash_fmix64((uint64_t) (uintptr_t) lst);
}


/* "conn:<listener id>"; a listener without an id (a configuration made
 * by hand in a test) is named by its address */
static void
lb_stream_limit_name(const lb_listener_t *lst, char *name, size_t size)
{
    if (lst->id != NULL && strlen(lst->id) + 5 < size) {
        snprintf(name, size, "conn:%s", lst->id);
        return;
    }

    /* stable: the workers of every generation share the gauge */
    snprintf(name, size, "conn:%08x:%.40s",
             (uint32_t) lb_hash_stable64(0, lst->addr.text,
                                         strlen(lst->addr.text)),
             lst->addr.text);
}
