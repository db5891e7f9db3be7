/* weir: operating statuses (SPEC.md section 8) computed from the
 * configuration and the health in the zone, for the admin API and the
 * console. Pure functions: nothing here writes anywhere.
 *
 * Target, in this order:
 *   OFFLINE     no listener uses its target group
 *   ERROR       its group has a health check and the target is not
 *               HEALTHY (failing, or new and not yet passed a check)
 *   DRAINING    weight 0 (healthy or unchecked)
 *   NO_MONITOR  its group has no health check
 *   ONLINE      healthy
 *
 * Target group:
 *   OFFLINE     no listener uses it
 *   NO_MONITOR  no health check
 *   else, over its targets that are not DRAINING: all ONLINE -> ONLINE,
 *   some -> DEGRADED, none (or no such target) -> ERROR
 *
 * Balancer, over its target groups:
 *   OFFLINE     no listener uses any of them
 *   NO_MONITOR  none of those in use has a health check
 *   else, over those in use with a check: all ONLINE -> ONLINE, all
 *   ERROR -> ERROR, anything else -> DEGRADED */
#ifndef LB_HEALTH_STATUS_H
#define LB_HEALTH_STATUS_H

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_health_types.h"
#include "lb_zone.h"

/* The rules above on plain values. counts[] is indexed by
 * lb_oper_status_e: how many targets (for a group) or target groups (for a
 * balancer) have each status. */
lb_oper_status_e lb_health_target_status_of(bool in_use, bool monitored,
    uint32_t weight, lb_zone_health_e state);

lb_oper_status_e lb_health_group_status_of(bool in_use, bool monitored,
    const uint32_t counts[LB_OPER_N]);

lb_oper_status_e lb_health_balancer_status_of(
    const uint32_t counts[LB_OPER_N]);

/* Whether a listener of g's balancer has g as its target group. */
bool lb_health_group_in_use(const lb_target_group_t *g);

/* The zone state of target t (found by its group id, else name, and its
 * address, under the zone lock); UNKNOWN when the zone has no record. */
lb_zone_health_e lb_health_target_state(lb_shm_zone_t *z,
    const lb_target_t *t);

/* The statuses of a configured target, target group and balancer, from
 * the configuration and zone z. */
lb_oper_status_e lb_health_target_status(lb_shm_zone_t *z,
    const lb_target_t *t);

lb_oper_status_e lb_health_group_status(lb_shm_zone_t *z,
    const lb_target_group_t *g);

lb_oper_status_e lb_health_balancer_status(lb_shm_zone_t *z,
    const lb_load_balancer_t *b);

#endif /* LB_HEALTH_STATUS_H */
