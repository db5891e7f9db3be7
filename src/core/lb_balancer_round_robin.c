/* weir: ROUND_ROBIN, smooth weighted round robin. On each pick every
 * usable peer's current weight grows by its effective weight (the
 * converted weight of SPEC section 4); the peer with the largest current
 * weight wins and loses the sum of what was added. Over sum(weights) picks
 * each peer is chosen exactly weight times, and a heavy peer's turns are
 * spread out instead of coming in a burst (effective weights 5,1,1 give
 * a a b a c a a). */
#include "lb_balancer.h"
#include "lb_palloc.h"
#include "lb_process.h"

typedef struct {
    int64_t   current;
    int64_t   effective;
} lb_balancer_rr_peer_t;

static lb_int_t lb_balancer_rr_init(lb_balancer_group_t *g, lb_pool_t *pool);
static lb_balancer_peer_t *lb_balancer_rr_pick(lb_balancer_group_t *g,
    lb_balancer_request_t *r);
static void lb_balancer_rr_update(lb_balancer_group_t *g);
static void lb_balancer_rr_advance(lb_balancer_rr_peer_t *rr,
    uint32_t npeers, uint32_t n);

const lb_balancer_ops_t  lb_balancer_round_robin_ops = {
    "ROUND_ROBIN",
    lb_balancer_rr_init,
    lb_balancer_rr_pick,
    NULL,
    lb_balancer_rr_update,
};


static lb_int_t
lb_balancer_rr_init(lb_balancer_group_t *g, lb_pool_t *pool)
{
    g->data = lb_pcalloc(pool,
                         (g->npeers + 1) * sizeof(lb_balancer_rr_peer_t));
    if (g->data == NULL) {
        return LB_ERROR;
    }

    lb_balancer_rr_update(g);

    return LB_OK;
}


static lb_balancer_peer_t *
lb_balancer_rr_pick(lb_balancer_group_t *g, lb_balancer_request_t *r)
{
    uint32_t                i;
    int64_t                 total;
    lb_balancer_peer_t     *p;
    lb_balancer_rr_peer_t  *rr, *best;

    rr = g->data;
    best = NULL;
    p = NULL;
    total = 0;

    for (i = 0; i < g->npeers; i++) {
        if (!lb_balancer_usable(&g->peers[i], r->tried)) {
            continue;
        }

        rr[i].current += rr[i].effective;
        total += rr[i].effective;

        if (best == NULL || rr[i].current > best->current) {
            best = &rr[i];
            p = &g->peers[i];
        }
    }

    if (best == NULL) {
        return NULL;
    }

    best->current -= total;

    return p;
}


/* Start the sequence afresh from the peers' weights: a change in the set
 * of weights makes old current weights meaningless. */
static void
lb_balancer_rr_update(lb_balancer_group_t *g)
{
    uint32_t                i;
    lb_balancer_rr_peer_t  *rr;

    rr = g->data;

    for (i = 0; i < g->npeers; i++) {
        rr[i].current = 0;
        rr[i].effective = g->peers[i].effective;
    }

    /* each worker starts at a different point of the same sequence, so
     * that N workers with a few connections each do not all begin with
     * the first target */
    lb_balancer_rr_advance(rr, g->npeers,
                           lb_worker_slot % lb_max(g->npeers, 1));
}


/* Run the smooth weighted sequence n steps over all peers with a weight,
 * without choosing anything. */
static void
lb_balancer_rr_advance(lb_balancer_rr_peer_t *rr, uint32_t npeers,
    uint32_t n)
{
    uint32_t                i;
    int64_t                 total;
    lb_balancer_rr_peer_t  *best;

    while (n-- > 0) {
        best = NULL;
        total = 0;

        for (i = 0; i < npeers; i++) {
            if (rr[i].effective == 0) {
                continue;
            }
            rr[i].current += rr[i].effective;
            total += rr[i].effective;
            if (best == NULL || rr[i].current > best->current) {
                best = &rr[i];
            }
        }

        if (best == NULL) {
            return;
        }
        best->current -= total;
    }
}
