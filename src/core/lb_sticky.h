/* weir: SOURCE_IP session persistence ("sticky sessions" of SPEC section
 * 5) for TCP and UDP target groups. A client address, masked by the
 * group's persistence_granularity, is bound to a target; later
 * connections (or datagram sessions) from the same masked address go to
 * that target while it stays usable and the binding is used at least once
 * every persistence_timeout seconds.
 *
 * Bindings live in one table per target group in the shared zone
 * (lb_zone_table.h, named "sticky:<group id>"), so every worker sees the
 * same bindings and they survive a reload. The value names the target by
 * its normalized address:port (lb_zone_addr_t), which stays the same
 * across reloads however the member list is reordered. A binding whose
 * target is unusable (unhealthy, weight 0, gone from the group, or tried
 * already by this request) is not returned by lb_sticky_lookup(); the
 * caller chooses afresh and lb_sticky_bind() replaces it.
 *
 * lb_balancer_pick() does all of this for a group whose
 * session_persistence is SOURCE_IP; the functions here are for callers
 * that need the steps apart. */
#ifndef LB_STICKY_H
#define LB_STICKY_H

#include <sys/socket.h>

#include "lb_balancer.h"
#include "lb_core_types.h"
#include "lb_zone.h"
#include "lb_zone_table.h"

/* bindings per target group; the least recently used makes room when
 * full. About 90 bytes each in the zone. */
#define LB_STICKY_CAPACITY   16384

/* a key: the family (4 or 6), then the masked address (4 or 16 bytes) */
#define LB_STICKY_KEY_SIZE   17

typedef struct lb_sticky_s  lb_sticky_t;

/* per worker, per target group */
struct lb_sticky_s {
    lb_zone_table_t      *table;
    lb_msec_t             ttl;          /* persistence_timeout, ms */
    int                   mask_family;  /* AF_INET | AF_INET6 | 0 */
    uint8_t               mask[16];     /* persistence_granularity */
    lb_zone_addr_t       *values;       /* per peer: what names it */
};

/* Set st up for group g (whose target group has SOURCE_IP persistence):
 * find or create the group's table in zone z and derive the per-peer
 * values from pool. LB_OK, or LB_ERROR (logged) when the table cannot be
 * had (zone full, sizes of an older binary) or out of memory. Does not
 * link st into g: the caller sets g->sticky. */
lb_int_t lb_sticky_init(lb_sticky_t *st, lb_balancer_group_t *g,
    lb_shm_zone_t *z, lb_pool_t *pool);

/* The key of client in st: its address masked by the granularity (an
 * IPv4-mapped IPv6 address counts as IPv4; a mask of the other family
 * leaves the address whole). Writes up to LB_STICKY_KEY_SIZE bytes to
 * key and returns how many; 0 for a family that is neither IPv4 nor
 * IPv6. */
size_t lb_sticky_key(const lb_sticky_t *st, const struct sockaddr *client,
    uint8_t *key);

/* The index (in g->peers) of the target client is bound to, when the
 * binding exists, has not expired at `now` (monotonic ms, normally
 * lb_current_msec), and its target is usable (lb_balancer_usable() with
 * tried, which may be NULL); the binding is renewed then. -1 otherwise.
 * g->sticky must be set. */
int32_t lb_sticky_lookup(lb_balancer_group_t *g,
    const struct sockaddr *client, const lb_balancer_tried_t *tried,
    lb_msec_t now);

/* Bind client to peer p of g (replacing any binding), expiring
 * persistence_timeout after `now` unless used again. LB_OK, or LB_ERROR
 * for an address family that cannot be a key. */
lb_int_t lb_sticky_bind(lb_balancer_group_t *g,
    const struct sockaddr *client, const lb_balancer_peer_t *p,
    lb_msec_t now);

/* For the master, after lb_zone_sync(z, conf) accepted a configuration:
 * retire the sticky tables (lb_zone_table_retire()) of target groups that
 * conf no longer has with SOURCE_IP persistence, so the reaper frees them
 * once the workers that used them are gone. Returns how many were
 * retired. */
uint32_t lb_sticky_retire_unused(lb_shm_zone_t *z, const lb_conf_t *conf);

/* The shared binding table of a target group: SOURCE_IP bindings live in
 * "sticky:<group id>", APP_COOKIE ones in "app:<group id>"; an id that
 * does not fit is replaced by its hash. */
#define LB_STICKY_PREFIX      "sticky:"
#define LB_STICKY_APP_PREFIX  "app:"

void lb_sticky_table_name(const lb_target_group_t *tg, const char *prefix,
    char *name, size_t size);

#endif /* LB_STICKY_H */
