/* weir: balancer groups (per worker, per target group) and the parts every
 * algorithm shares. */
#include <string.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_sticky.h"
#include "lb_time.h"
#include "lb_zone.h"

/* indexed by lb_algorithm_e; NULL: not written yet */
static const lb_balancer_ops_t  *lb_balancer_algorithms[] = {
    [LB_ALGO_ROUND_ROBIN] = &lb_balancer_round_robin_ops,
    [LB_ALGO_LEAST_CONNECTIONS] = &lb_balancer_least_conn_ops,
    [LB_ALGO_SOURCE_IP] = &lb_balancer_source_ip_ops,
};

lb_balancer_healthy_pt  lb_balancer_healthy;

/* this worker's groups: lb_balancer_groups[b][t] is the group of
 * conf->balancers[b].target_groups[t] */
static lb_balancer_group_t   **lb_balancer_groups;
static lb_conf_t              *lb_balancer_conf;
static lb_shm_zone_t          *lb_balancer_shm;


lb_int_t
lb_balancer_init_cycle(lb_cycle_t *cycle, lb_pool_t *pool)
{
    lb_balancer_saved_t  saved;

    return lb_balancer_install(cycle->conf, cycle->zone, pool, &saved);
}


lb_int_t
lb_balancer_install(lb_conf_t *conf, lb_shm_zone_t *zone, lb_pool_t *pool,
    lb_balancer_saved_t *saved)
{
    uint32_t              b, t;
    lb_load_balancer_t   *bal;
    lb_target_group_t    *tg;
    lb_balancer_group_t **groups;

    groups = lb_pcalloc(pool, (conf->nbalancers + 1)
                              * sizeof(lb_balancer_group_t *));
    if (groups == NULL) {
        goto nomem;
    }

    for (b = 0; b < conf->nbalancers; b++) {
        bal = &conf->balancers[b];

        groups[b] = lb_pcalloc(pool, (bal->ntarget_groups + 1)
                                     * sizeof(lb_balancer_group_t));
        if (groups[b] == NULL) {
            goto nomem;
        }

        for (t = 0; t < bal->ntarget_groups; t++) {
            tg = &bal->target_groups[t];

            if (tg->balancer != bal) {
                /* lb_balancer_group() finds groups through this link */
                lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                             "target group \"%s\" does not point back to "
                             "its load balancer \"%s\"", tg->name, bal->name);
                return LB_ERROR;
            }

            if (lb_balancer_group_init(&groups[b][t], tg, pool) != LB_OK) {
                goto nomem;
            }

            if (zone != NULL
                && lb_balancer_group_attach(&groups[b][t], zone, pool)
                   != LB_OK)
            {
                goto nomem;
            }
        }
    }

    saved->groups = lb_balancer_groups;
    saved->conf = lb_balancer_conf;
    saved->zone = lb_balancer_shm;

    lb_balancer_groups = groups;
    lb_balancer_conf = conf;
    lb_balancer_shm = zone;

    return LB_OK;

nomem:

    lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                 "out of memory for the balancer state");
    return LB_ERROR;
}


void
lb_balancer_restore(const lb_balancer_saved_t *saved)
{
    lb_balancer_groups = saved->groups;
    lb_balancer_conf = saved->conf;
    lb_balancer_shm = saved->zone;
}


lb_shm_zone_t *
lb_balancer_zone(void)
{
    return lb_balancer_shm;
}


lb_balancer_group_t *
lb_balancer_group(const lb_target_group_t *tg)
{
    size_t  b, t;

    b = (size_t) (tg->balancer - lb_balancer_conf->balancers);
    t = (size_t) (tg - tg->balancer->target_groups);

    return &lb_balancer_groups[b][t];
}


lb_int_t
lb_balancer_group_init(lb_balancer_group_t *g, lb_target_group_t *tg,
    lb_pool_t *pool)
{
    uint32_t             i;
    lb_algorithm_e       algo;
    lb_balancer_peer_t  *p;

    memset(g, 0, sizeof(lb_balancer_group_t));

    algo = tg->load_balancer_algorithm;

    if ((size_t) algo < lb_nelems(lb_balancer_algorithms)
        && lb_balancer_algorithms[algo] != NULL)
    {
        g->ops = lb_balancer_algorithms[algo];

    } else {
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "target group \"%s\": %s is not implemented yet, "
                     "ROUND_ROBIN is used", tg->name,
                     lb_algorithm_names[algo]);
        g->ops = &lb_balancer_round_robin_ops;
    }

    g->target_group = tg;
    g->npeers = tg->ntargets;

    g->peers = lb_pcalloc(pool, (g->npeers + 1) * sizeof(lb_balancer_peer_t));
    if (g->peers == NULL) {
        return LB_ERROR;
    }

    for (i = 0; i < g->npeers; i++) {
        p = &g->peers[i];
        p->target = &tg->targets[i];
        p->index = i;
        p->weight = tg->targets[i].weight;
        p->effective = lb_weight_converted(p->weight);
        p->monitored = (tg->health_monitor != NULL);
    }

    return g->ops->init(g, pool);
}


lb_int_t
lb_balancer_group_attach(lb_balancer_group_t *g, lb_shm_zone_t *z,
    lb_pool_t *pool)
{
    uint32_t             i;
    const char          *id;
    lb_target_group_t   *tg;
    lb_balancer_peer_t  *p;
    lb_persistence_t    *sp;

    tg = g->target_group;

    /* the key lb_zone_sync() files the records under */
    id = tg->id != NULL ? tg->id : tg->name;

    for (i = 0; i < g->npeers; i++) {
        p = &g->peers[i];
        p->zone = lb_zone_target_get(z, id, &p->target->addr, false);

        if (p->zone == NULL) {
            lb_log_error(LB_LOG_WARN, &lb_log, 0,
                         "target group \"%s\": target %s has no record in "
                         "the shared zone: no shared counters%s", tg->name,
                         p->target->addr.text,
                         p->monitored ? ", and no traffic without health"
                                      : "");
        }
    }

    sp = tg->session_persistence;

    if (sp != NULL && sp->type == LB_PERSIST_SOURCE_IP) {
        g->sticky = lb_pcalloc(pool, sizeof(lb_sticky_t));
        if (g->sticky == NULL) {
            return LB_ERROR;
        }

        if (lb_sticky_init(g->sticky, g, z, pool) != LB_OK) {
            lb_log_error(LB_LOG_ERR, &lb_log, 0,
                         "target group \"%s\": source IP session "
                         "persistence is off in this worker", tg->name);
            g->sticky = NULL;
        }
    }

    return LB_OK;
}


uint32_t
lb_weight_ratio(uint32_t converted, uint32_t total)
{
    if (total == 0) {
        return 0;
    }

    /* tenths of a percent, rounded half up */
    return (uint32_t) (((uint64_t) converted * 2000 + total) / (2 * total));
}


uint32_t
lb_weight_converted_total(const lb_target_group_t *tg)
{
    uint32_t  i, total;

    total = 0;

    for (i = 0; i < tg->ntargets; i++) {
        total += lb_weight_converted(tg->targets[i].weight);
    }

    return total;
}


lb_int_t
lb_balancer_tried_init(lb_balancer_tried_t *tried, lb_pool_t *pool,
    uint32_t npeers)
{
    size_t  n;

    n = (npeers + LB_BALANCER_BITS - 1) / LB_BALANCER_BITS;

    if (n <= lb_nelems(tried->inline_bits)) {
        tried->bits = tried->inline_bits;
        n = lb_nelems(tried->inline_bits);

    } else {
        tried->bits = lb_palloc(pool, n * sizeof(uintptr_t));
        if (tried->bits == NULL) {
            return LB_ERROR;
        }
    }

    memset(tried->bits, 0, n * sizeof(uintptr_t));
    tried->ntried = 0;

    return LB_OK;
}


lb_balancer_peer_t *
lb_balancer_pick(lb_balancer_group_t *g, lb_balancer_request_t *r)
{
    int32_t              bound;
    bool                 sticky;
    lb_balancer_peer_t  *p;

    sticky = (g->sticky != NULL && r->client != NULL);
    p = NULL;

    if (sticky) {
        bound = lb_sticky_lookup(g, r->client, r->tried, lb_current_msec);
        if (bound >= 0) {
            p = &g->peers[bound];
        }
    }

    if (p == NULL) {
        p = g->ops->pick(g, r);
        if (p == NULL) {
            return NULL;
        }

        if (sticky) {
            /* a new client, or its target is unusable (unhealthy, weight
             * 0, gone, or failed this very request): the fresh choice
             * replaces the binding */
            (void) lb_sticky_bind(g, r->client, p, lb_current_msec);
        }
    }

    lb_balancer_take(g, p, r);

    return p;
}


void
lb_balancer_take(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    lb_balancer_request_t *r)
{
    p->conns++;

    if (p->zone != NULL) {
        if (lb_zone_proc == LB_ZONE_PROC_UNSET && lb_balancer_zone() != NULL)
        {
            /* once per process, at its first target connection */
            (void) lb_zone_proc_attach(lb_balancer_zone());
        }

        lb_zone_target_conn_start(p->zone);
    }

    if (r != NULL && r->tried != NULL) {
        lb_balancer_tried_add(r->tried, p->index);
    }
}


void
lb_balancer_release(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    lb_uint_t state)
{
    p->conns--;

    if (p->zone != NULL) {
        lb_zone_target_conn_end(p->zone);

        if (state == LB_BALANCER_FAILED) {
            lb_zone_target_failure(p->zone);
        }
    }

    if (g->ops->release != NULL) {
        g->ops->release(g, p, state);
    }
}


void
lb_balancer_set_weight(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    uint32_t weight)
{
    p->weight = weight;
    p->effective = lb_weight_converted(weight);
    g->ops->update(g);
}


void
lb_balancer_update(lb_balancer_group_t *g)
{
    g->ops->update(g);
}
