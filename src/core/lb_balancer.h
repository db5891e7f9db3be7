/* weir: choosing a target of a target group. Each worker keeps, per target
 * group, a balancer group: one peer per target and the algorithm's state.
 * Algorithms sit behind one ops table (one file each) and all skip targets
 * by the same rule, lb_balancer_usable(). Stream (L4) and http (L7) use the
 * same groups. (lb_balancer_t is the configured load balancer object; the
 * names here are about balancing.) */
#ifndef LB_BALANCER_H
#define LB_BALANCER_H

#include <sys/socket.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"

typedef struct lb_balancer_ops_s    lb_balancer_ops_t;
typedef struct lb_balancer_group_s  lb_balancer_group_t;
typedef struct lb_balancer_peer_s   lb_balancer_peer_t;

/* One target as this worker sees it. */
struct lb_balancer_peer_s {
    lb_target_t          *target;
    uint32_t              index;      /* in group->peers and target_group */
    uint32_t              weight;     /* 0: no new traffic (draining) */
    lb_uint_t             conns;      /* this worker's open connections */
};

struct lb_balancer_group_s {
    lb_target_group_t        *target_group;
    const lb_balancer_ops_t  *ops;
    lb_balancer_peer_t       *peers;
    uint32_t                  npeers;
    void                     *data;   /* the algorithm's state */
};

/* The targets one client has already been sent to (and failed). */
typedef struct {
    uintptr_t            *bits;
    uint32_t              ntried;
    uintptr_t             inline_bits[4];   /* up to 256 targets */
} lb_balancer_tried_t;

#define LB_BALANCER_BITS  (8 * sizeof(uintptr_t))

/* What a pick may depend on besides the group. */
typedef struct {
    lb_balancer_tried_t     *tried;
    const struct sockaddr   *client;       /* SOURCE_IP hashing */
    socklen_t                client_len;
} lb_balancer_request_t;

/* how a connection to a peer ended, for release() */
#define LB_BALANCER_DONE    0
#define LB_BALANCER_FAILED  1   /* connect failed or timed out */

struct lb_balancer_ops_s {
    const char  *name;

    /* Build the algorithm's state for g (peers are filled in) from pool.
     * LB_OK or LB_ERROR (out of memory). */
    lb_int_t (*init)(lb_balancer_group_t *g, lb_pool_t *pool);

    /* A usable peer (lb_balancer_usable()) or NULL when none is. */
    lb_balancer_peer_t *(*pick)(lb_balancer_group_t *g,
        lb_balancer_request_t *r);

    /* The connection to p ended (state LB_BALANCER_*); may be NULL. */
    void (*release)(lb_balancer_group_t *g, lb_balancer_peer_t *p,
        lb_uint_t state);

    /* Peers' weights or health changed: rebuild what depends on them. */
    void (*update)(lb_balancer_group_t *g);
};

extern const lb_balancer_ops_t  lb_balancer_round_robin_ops;

/* Health hook: the health module sets it to tell whether a target may get
 * traffic; NULL (the default, and for groups without checks) means every
 * target is healthy. */
typedef bool (*lb_balancer_healthy_pt)(const lb_target_t *target);

extern lb_balancer_healthy_pt  lb_balancer_healthy;

/* Mark the start of a request: nothing tried. Returns LB_OK, or LB_ERROR
 * when a group of more than 256 targets needs bits from pool and there is
 * no memory. */
lb_int_t lb_balancer_tried_init(lb_balancer_tried_t *tried, lb_pool_t *pool,
    uint32_t npeers);

static inline bool
lb_balancer_tried(const lb_balancer_tried_t *tried, uint32_t index)
{
    return (tried->bits[index / LB_BALANCER_BITS]
            >> (index % LB_BALANCER_BITS)) & 1;
}

static inline void
lb_balancer_tried_add(lb_balancer_tried_t *tried, uint32_t index)
{
    tried->bits[index / LB_BALANCER_BITS] |=
        (uintptr_t) 1 << (index % LB_BALANCER_BITS);
    tried->ntried++;
}

/* THE rule every algorithm follows: a peer may get a new connection when
 * its weight is not 0, it was not tried already for this request (tried
 * may be NULL), and it is healthy. */
static inline bool
lb_balancer_usable(const lb_balancer_peer_t *peer,
    const lb_balancer_tried_t *tried)
{
    if (peer->weight == 0) {
        return false;
    }

    if (tried != NULL && lb_balancer_tried(tried, peer->index)) {
        return false;
    }

    if (lb_balancer_healthy != NULL && !lb_balancer_healthy(peer->target)) {
        return false;
    }

    return true;
}

/* Build this worker's balancer group of every target group of
 * cycle->conf, from pool. LB_OK or LB_ERROR (logged). */
lb_int_t lb_balancer_init_cycle(lb_cycle_t *cycle, lb_pool_t *pool);

/* The group of tg built by lb_balancer_init_cycle(). */
lb_balancer_group_t *lb_balancer_group(const lb_target_group_t *tg);

/* Build the group of one target group (its algorithm chosen by
 * tg->load_balancer_algorithm) into g from pool. LB_OK or LB_ERROR. */
lb_int_t lb_balancer_group_init(lb_balancer_group_t *g,
    lb_target_group_t *tg, lb_pool_t *pool);

/* Pick a peer for r: the algorithm's choice, counted as open (conns) and
 * added to r->tried. NULL when no peer is usable. */
lb_balancer_peer_t *lb_balancer_pick(lb_balancer_group_t *g,
    lb_balancer_request_t *r);

/* The connection to p (from lb_balancer_pick()) ended with state. */
void lb_balancer_release(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    lb_uint_t state);

/* Set a peer's weight (0..256) and let the algorithm adapt. */
void lb_balancer_set_weight(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    uint32_t weight);

/* Peers' health changed: let the algorithm adapt. */
void lb_balancer_update(lb_balancer_group_t *g);

#endif /* LB_BALANCER_H */
