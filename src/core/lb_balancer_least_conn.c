/* weir: LEAST_CONNECTIONS. The usable peer with the fewest active
 * connections relative to its effective weight wins: the smallest
 * active / weight, compared as active_a * weight_b < active_b * weight_a so
 * no division is needed. Active connections are the counts in the shared
 * zone, kept by every worker (lb_balancer_pick() and _release()), so each
 * worker sees the load the others put on a target; a connection being
 * set up counts already, so a burst of new clients does not all land on
 * the same idle target. Ties go round robin: the scan starts after the
 * previous winner, and only a strictly better peer replaces the first
 * one found. */
#include "lb_balancer.h"
#include "lb_palloc.h"

typedef struct {
    uint32_t   next;        /* where the next scan starts */
} lb_balancer_lc_t;

static lb_int_t lb_balancer_lc_init(lb_balancer_group_t *g, lb_pool_t *pool);
static lb_balancer_peer_t *lb_balancer_lc_pick(lb_balancer_group_t *g,
    lb_balancer_request_t *r);
static void lb_balancer_lc_update(lb_balancer_group_t *g);

const lb_balancer_ops_t  lb_balancer_least_conn_ops = {
    "LEAST_CONNECTIONS",
    lb_balancer_lc_init,
    lb_balancer_lc_pick,
    NULL,
    lb_balancer_lc_update,
};


static lb_int_t
lb_balancer_lc_init(lb_balancer_group_t *g, lb_pool_t *pool)
{
    g->data = lb_pcalloc(pool, sizeof(lb_balancer_lc_t));
    if (g->data == NULL) {
        return LB_ERROR;
    }

    return LB_OK;
}


static lb_balancer_peer_t *
lb_balancer_lc_pick(lb_balancer_group_t *g, lb_balancer_request_t *r)
{
    uint32_t             i, k;
    uint64_t             active, best_active;
    lb_balancer_lc_t    *lc;
    lb_balancer_peer_t  *p, *best;

    lc = g->data;
    best = NULL;
    best_active = 0;

    if (g->npeers == 0) {
        return NULL;
    }

    i = lc->next < g->npeers ? lc->next : 0;

    for (k = 0; k < g->npeers; k++, i = (i + 1 == g->npeers) ? 0 : i + 1) {
        p = &g->peers[i];

        if (!lb_balancer_usable(p, r->tried)) {
            continue;
        }

        active = lb_balancer_peer_active(p);

        /* active / effective < best_active / best->effective; both
         * products fit: counts stay far below 2^56, weights <= 100 */
        if (best == NULL
            || active * best->effective < best_active * p->effective)
        {
            best = p;
            best_active = active;
        }
    }

    if (best == NULL) {
        return NULL;
    }

    lc->next = best->index + 1;

    return best;
}


static void
lb_balancer_lc_update(lb_balancer_group_t *g)
{
    /* nothing is derived from the weights: every pick reads them */
}
