/* weir: per-worker set-up of HTTP and HTTPS listeners, the state their
 * connections share (weir's view of each target group, error pages,
 * sticky key, access log, the keep-alive pool of target connections), and
 * the proxy's buffers over the connection I/O of lb_conn_io.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_http.h"
#include "lb_http2.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_zone_journal.h"

static lb_int_t lb_http_worker_init(lb_cycle_t *cycle);
static lb_http_group_t **lb_http_groups_build(lb_conf_t *conf,
    lb_shm_zone_t *zone, lb_pool_t *pool);
static lb_http_l7_t **lb_http_l7_all(lb_conf_t *conf, lb_shm_zone_t *zone,
    lb_pool_t *pool);

lb_http_worker_t  lb_http_worker;


lb_int_t
lb_http_init_listening(lb_cycle_t *cycle, lb_listening_t *ls)
{
    int  one;

    if (!lb_http_worker.initialized) {
        if (lb_http_worker_init(cycle) != LB_OK) {
            return LB_ERROR;
        }
    }

    if (ls->listener->protocol == LB_LISTENER_HTTPS
        && lb_ssl_listener_ctx(ls->listener) == NULL)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "HTTPS listener %s on %s has no TLS context",
                     ls->listener->name, ls->addr.text);
        return LB_ERROR;
    }

    /* set once here instead of once per accepted connection: Linux copies
     * it to every socket accepted from ls */
    one = 1;
    if (setsockopt(ls->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))
        == -1)
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "setsockopt(TCP_NODELAY) on %s failed", ls->addr.text);
    }

    return lb_event_add_listening(ls, lb_http_init_connection,
                                  LB_HTTP_POOL_SIZE);
}


static lb_int_t
lb_http_worker_init(lb_cycle_t *cycle)
{
    const char  *html;

    memset(&lb_http_worker, 0, sizeof(lb_http_worker_t));

    lb_http_worker.cycle = cycle;
    lb_http_list_init(&lb_http_worker.idle_clients);
    lb_http_list_init(&lb_http_worker.idle_settled);
    lb_event_reclaim = lb_http_free_descriptor;

    if (cycle->zone != NULL) {
        /* read before the secret: a peer's secret applied in between
         * makes the first request read it again */
        if (lb_zone_journal != NULL) {
            lb_http_worker.secret_gen = __atomic_load_n(
                &lb_zone_journal->secret_gen, __ATOMIC_ACQUIRE);
        }

        if (lb_http_sticky_secret(cycle->zone, lb_http_worker.secret,
                                  sizeof(lb_http_worker.secret))
            != LB_OK)
        {
            lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                         "no sticky cookie key in the shared zone");
            return LB_ERROR;
        }

    } else if (RAND_bytes(lb_http_worker.secret,
                          sizeof(lb_http_worker.secret)) != 1)
    {
        return LB_ERROR;
    }

    lb_http_worker.groups = lb_http_groups_build(cycle->conf, cycle->zone,
                                                 cycle->pool);
    lb_http_worker.l7 = lb_http_l7_all(cycle->conf, cycle->zone,
                                       cycle->pool);

    if (lb_http_worker.groups == NULL || lb_http_worker.l7 == NULL
        || lb_http_upstream_init(cycle->pool) != LB_OK
        || (html = lb_full_name(cycle->pool, cycle->prefix, LB_HTML_PATH))
           == NULL
        || lb_http_pages_load(cycle->pool, html) != LB_OK)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for the HTTP state");
        return LB_ERROR;
    }

    if (lb_http_log_init(&cycle->access_log,
                         cycle->conf->access_log_compress) != LB_OK)
    {
        return LB_ERROR;
    }

    lb_http_worker.initialized = 1;

    return LB_OK;
}


lb_int_t
lb_http_init_groups(lb_conf_t *conf, lb_shm_zone_t *zone, lb_pool_t *pool)
{
    lb_http_l7_t     **l7;
    lb_http_group_t  **groups;

    if (!lb_http_worker.initialized) {
        /* this worker serves no HTTP listener */
        return LB_OK;
    }

    lb_http_worker.generation++;

    groups = lb_http_groups_build(conf, zone, pool);
    /* the policies point at groups of conf: they change together */
    l7 = (groups != NULL) ? lb_http_l7_all(conf, zone, pool) : NULL;

    if (groups == NULL || l7 == NULL) {
        lb_http_worker.generation--;
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "out of memory for the HTTP state of a new generation");
        return LB_ERROR;
    }

    lb_http_worker.groups = groups;
    lb_http_worker.l7 = l7;

    /* idle connections are kept per target of a group of the old
     * generation: they go, the new groups open their own */
    lb_http_upstream_close_idle();

    return LB_OK;
}


/* weir's view of every target group of conf: the peers of this worker's
 * balancer groups (lb_balancer_group() finds those of conf), their idle
 * connections and sticky values; NULL when out of memory */
static lb_http_group_t **
lb_http_groups_build(lb_conf_t *conf, lb_shm_zone_t *zone, lb_pool_t *pool)
{
    uint32_t             b, t, i;
    lb_load_balancer_t  *bal;
    lb_http_group_t     *g, **groups;
    lb_target_group_t   *tg;

    groups = lb_pcalloc(pool, (conf->nbalancers + 1)
                              * sizeof(lb_http_group_t *));
    if (groups == NULL) {
        return NULL;
    }

    for (b = 0; b < conf->nbalancers; b++) {
        bal = &conf->balancers[b];

        groups[b] = lb_pcalloc(pool, (bal->ntarget_groups + 1)
                                     * sizeof(lb_http_group_t));
        if (groups[b] == NULL) {
            return NULL;
        }

        for (t = 0; t < bal->ntarget_groups; t++) {
            tg = &bal->target_groups[t];
            g = &groups[b][t];

            g->tg = tg;
            g->bg = lb_balancer_group(tg);
            g->tls = (tg->protocol == LB_TG_HTTPS);
            g->h2 = (tg->protocol == LB_TG_HTTP
                     || tg->protocol == LB_TG_HTTPS)
                    && tg->nalpn && tg->alpn[0] == LB_ALPN_H2;

            if (tg->protocol == LB_TG_PROXY) {
                g->proxy_protocol = tg->proxy_protocol_version == 2 ? 2 : 1;
            }
            g->generation = lb_http_worker.generation;

            g->peers = lb_pcalloc(pool, (g->bg->npeers + 1)
                                        * sizeof(lb_http_peer_t));
            if (g->peers == NULL) {
                return NULL;
            }

            for (i = 0; i < g->bg->npeers; i++) {
                g->peers[i].bp = &g->bg->peers[i];
                g->peers[i].group = g;
                lb_http_list_init(&g->peers[i].idle);
                lb_http_list_init(&g->peers[i].h2_conns);
            }

            if (lb_http_sticky_init(g, zone, pool) != LB_OK) {
                return NULL;
            }
        }
    }

    return groups;
}


/* the compiled L7 policies of every listener of conf (those of other
 * protocols have none); NULL when out of memory or a pattern does not
 * compile (weir -t and the API refuse such patterns: cannot happen) */
static lb_http_l7_t **
lb_http_l7_all(lb_conf_t *conf, lb_shm_zone_t *zone, lb_pool_t *pool)
{
    uint32_t             b, i;
    lb_http_l7_t        *one, **all;
    lb_load_balancer_t  *bal;

    all = lb_pcalloc(pool, (conf->nbalancers + 1) * sizeof(lb_http_l7_t *));
    if (all == NULL) {
        return NULL;
    }

    for (b = 0; b < conf->nbalancers; b++) {
        bal = &conf->balancers[b];

        all[b] = lb_pcalloc(pool, (bal->nlisteners + 1)
                                  * sizeof(lb_http_l7_t));
        if (all[b] == NULL) {
            return NULL;
        }

        for (i = 0; i < bal->nlisteners; i++) {
            one = lb_http_l7_build(&bal->listeners[i], zone, pool);
            if (one == NULL) {
                return NULL;
            }
            all[b][i] = *one;
        }
    }

    return all;
}


lb_http_group_t *
lb_http_group(const lb_target_group_t *tg)
{
    return &lb_http_worker.groups[tg->balancer->index][tg->index];
}


ssize_t
lb_http_recv(lb_connection_t *c, lb_http_buf_t *b, int *err)
{
    ssize_t  n;

    if (c->stream) {
        n = lb_http2_stream_recv(c, b);
        *err = 0;
        return n;
    }

    n = lb_conn_recv(c, b->last, (size_t) (b->end - b->last));

    if (n > 0) {
        b->last += n;
    }

    *err = (n == LB_ERROR) ? errno : 0;

    return n;
}


ssize_t
lb_http_send(lb_connection_t *c, struct iovec *iov, int niov, int *err)
{
    ssize_t  n;

    n = c->stream ? lb_http2_stream_send(c, iov, niov)
                  : lb_conn_send_iov(c, iov, niov);

    *err = (n == LB_ERROR) ? errno : 0;

    return n;
}


size_t
lb_http_addr_ip(const struct sockaddr *sa, char *buf, size_t size)
{
    const void  *a;

    buf[0] = '\0';

    switch (sa->sa_family) {

    case AF_INET:
        a = &((const struct sockaddr_in *) sa)->sin_addr;
        break;

    case AF_INET6:
        a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
        break;

    default:
        snprintf(buf, size, "unknown");
        return strlen(buf);
    }

    if (inet_ntop(sa->sa_family, a, buf, (socklen_t) size) == NULL) {
        snprintf(buf, size, "unknown");
    }

    return strlen(buf);
}
