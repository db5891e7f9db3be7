/* weir: choosing a target of a target group. Each worker keeps, per target
 * group, a balancer group: one peer per target and the algorithm's state.
 * Algorithms sit behind one ops table (one file each) and all skip targets
 * by the same rule, lb_balancer_usable(). Stream (L4) and http (L7) use the
 * same groups. (lb_load_balancer_t is the configured load balancer object;
 * the names here are about balancing.)
 *
 * Weights: a target's weight (0..256) is converted as SPEC section 4 says,
 * converted = ceil(weight / 256 * 100), and traffic follows the converted
 * weights (the ratio the API and console show): 1 and 3 give 1:2, 64 and
 * 192 give 25:75. Every peer is linked to its record in the shared zone,
 * which holds its health (written by the health checker) and its traffic
 * counters (active connections are counted there by lb_balancer_pick()
 * and lb_balancer_release(), so LEAST_CONNECTIONS sees every worker's
 * load). */
#ifndef LB_BALANCER_H
#define LB_BALANCER_H

#include <sys/socket.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_zone.h"

typedef struct lb_balancer_ops_s    lb_balancer_ops_t;
typedef struct lb_balancer_group_s  lb_balancer_group_t;
typedef struct lb_balancer_peer_s   lb_balancer_peer_t;

/* One target as this worker sees it. */
struct lb_balancer_peer_s {
    lb_target_t          *target;
    lb_zone_target_t     *zone;       /* its shared record (health and
                                         counters); NULL when there is no
                                         zone (unit tests) */
    uint32_t              index;      /* in group->peers and target_group */
    uint32_t              weight;     /* as configured, 0..256;
                                         0: no new traffic (draining) */
    uint32_t              effective;  /* lb_weight_converted(weight): what
                                         the algorithms balance by */
    lb_uint_t             conns;      /* this worker's open connections */
    unsigned              monitored:1;   /* its group has a health_monitor:
                                            only HEALTHY gets traffic */
};

struct lb_balancer_group_s {
    lb_target_group_t        *target_group;
    const lb_balancer_ops_t  *ops;
    lb_balancer_peer_t       *peers;
    uint32_t                  npeers;
    void                     *data;   /* the algorithm's state */
    struct lb_sticky_s       *sticky; /* SOURCE_IP session persistence
                                         (lb_sticky.h); NULL: none */
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
    const struct sockaddr   *client;       /* SOURCE_IP hashing and
                                              persistence; may be NULL */
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
extern const lb_balancer_ops_t  lb_balancer_least_conn_ops;
extern const lb_balancer_ops_t  lb_balancer_source_ip_ops;

/* SPEC section 4: ceil(weight / 256 * 100) for a weight of 0..256
 * (100 -> 40, 256 -> 100, 1 -> 1, 0 -> 0); larger weights are taken
 * as 256. */
static inline uint32_t
lb_weight_converted(uint32_t weight)
{
    if (weight > 256) {
        weight = 256;
    }

    return (weight * 100 + 255) / 256;
}

/* The weight ratio of SPEC section 4 in tenths of a percent (333 is
 * 33.3 %): converted / total * 100, rounded half up; 0 when total is 0.
 * total is the sum of lb_weight_converted() over the group. */
uint32_t lb_weight_ratio(uint32_t converted, uint32_t total);

/* The sum of the converted weights of tg's targets. */
uint32_t lb_weight_converted_total(const lb_target_group_t *tg);

/* Extra health veto, for tests and special builds: NULL (the default)
 * adds nothing to the zone rule of lb_balancer_usable(). */
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

/* Whether the health checker lets p have traffic: always when its group
 * has no health_monitor (NO_MONITOR); otherwise only when its zone record
 * says HEALTHY, so a new target stays out of rotation until its first
 * successful checks, and a target without a record never gets any. */
static inline bool
lb_balancer_peer_healthy(const lb_balancer_peer_t *peer)
{
    if (!peer->monitored) {
        return true;
    }

    return peer->zone != NULL
           && lb_zone_target_state(peer->zone) == LB_ZONE_HEALTHY;
}

/* THE rule every algorithm follows: a peer may get a new connection when
 * its (converted) weight is not 0, it was not tried already for this
 * request (tried may be NULL), and it is healthy. */
static inline bool
lb_balancer_usable(const lb_balancer_peer_t *peer,
    const lb_balancer_tried_t *tried)
{
    if (peer->effective == 0) {
        return false;
    }

    if (tried != NULL && lb_balancer_tried(tried, peer->index)) {
        return false;
    }

    if (!lb_balancer_peer_healthy(peer)) {
        return false;
    }

    if (lb_balancer_healthy != NULL && !lb_balancer_healthy(peer->target)) {
        return false;
    }

    return true;
}

/* Active connections to p counted by every worker (the zone record), or
 * this worker's own count when p has no record. */
static inline uint64_t
lb_balancer_peer_active(const lb_balancer_peer_t *peer)
{
    return peer->zone != NULL ? lb_zone_target_active(peer->zone)
                              : (uint64_t) peer->conns;
}

/* Build this worker's balancer group of every target group of
 * cycle->conf, from pool, and attach each to cycle->zone
 * (lb_balancer_group_attach()). LB_OK or LB_ERROR (logged). */
lb_int_t lb_balancer_init_cycle(lb_cycle_t *cycle, lb_pool_t *pool);

/* What lb_balancer_install() replaced. */
typedef struct {
    lb_balancer_group_t **groups;
    lb_conf_t            *conf;
    lb_shm_zone_t        *zone;
} lb_balancer_saved_t;

/* A worker taking up a newer generation of the configuration while it
 * runs: build the groups of conf from pool, attached to zone (may be
 * NULL), and make them the ones lb_balancer_group() finds; what they
 * replace goes to *saved (lb_balancer_restore() puts it back). LB_OK, or
 * LB_ERROR (logged): nothing changed. */
lb_int_t lb_balancer_install(lb_conf_t *conf, lb_shm_zone_t *zone,
    lb_pool_t *pool, lb_balancer_saved_t *saved);

void lb_balancer_restore(const lb_balancer_saved_t *saved);

/* The shared zone lb_balancer_init_cycle() attached this worker's groups
 * to (the same for every generation), NULL before. For per-worker code
 * that needs the zone without a cycle at hand: after a reload the global
 * lb_cycle of a new worker still names the previous cycle. */
lb_shm_zone_t *lb_balancer_zone(void);

/* The group of tg built by lb_balancer_init_cycle(). */
lb_balancer_group_t *lb_balancer_group(const lb_target_group_t *tg);

/* Build the group of one target group (its algorithm chosen by
 * tg->load_balancer_algorithm) into g from pool. LB_OK or LB_ERROR. */
lb_int_t lb_balancer_group_init(lb_balancer_group_t *g,
    lb_target_group_t *tg, lb_pool_t *pool);

/* Link g to the shared zone z: look up each peer's record once (records
 * are made by the master's lb_zone_sync(); a missing one is logged, and a
 * monitored peer without one gets no traffic) and, for SOURCE_IP session
 * persistence, attach the group's shared sticky table (lb_sticky_init();
 * when the zone has no room for it the group works without stickiness,
 * logged). LB_OK, or LB_ERROR when out of memory. */
lb_int_t lb_balancer_group_attach(lb_balancer_group_t *g, lb_shm_zone_t *z,
    lb_pool_t *pool);

/* Pick a peer for r and count it as open (conns, and active + total in
 * its zone record) and tried (r->tried). With SOURCE_IP persistence and
 * r->client set, the client's binding wins when its target is usable;
 * otherwise the algorithm chooses and the client is (re)bound to that
 * choice. NULL when no peer is usable. */
lb_balancer_peer_t *lb_balancer_pick(lb_balancer_group_t *g,
    lb_balancer_request_t *r);

/* Count p, chosen for r by other means than lb_balancer_pick() (a cookie
 * naming it), exactly as lb_balancer_pick() counts its choices, so that
 * lb_balancer_release() undoes it. */
void lb_balancer_take(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    lb_balancer_request_t *r);

/* The connection to p (from lb_balancer_pick()) ended with state:
 * conns and the zone's active count go down; LB_BALANCER_FAILED also
 * counts a failure in the zone record. */
void lb_balancer_release(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    lb_uint_t state);

/* Set a peer's weight (0..256; its effective weight is converted) and let
 * the algorithm adapt. */
void lb_balancer_set_weight(lb_balancer_group_t *g, lb_balancer_peer_t *p,
    uint32_t weight);

/* Peers' health changed: let the algorithm adapt. */
void lb_balancer_update(lb_balancer_group_t *g);

#endif /* LB_BALANCER_H */
