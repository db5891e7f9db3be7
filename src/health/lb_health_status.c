/* weir: operating statuses of targets, target groups and balancers. */
#include <string.h>

#include "lb_conf_types.h"
#include "lb_health_status.h"
#include "lb_health_types.h"
#include "lb_zone.h"

#define LB_OPER_NAME(n, s)  s,
const char *const  lb_oper_status_names[] = {
    LB_OPER_STATUSES(LB_OPER_NAME) NULL
};
#undef LB_OPER_NAME


lb_oper_status_e
lb_health_target_status_of(bool in_use, bool monitored, uint32_t weight,
    lb_zone_health_e state)
{
    if (!in_use) {
        return LB_OPER_OFFLINE;
    }

    if (monitored && state != LB_ZONE_HEALTHY) {
        return LB_OPER_ERROR;
    }

    if (weight == 0) {
        return LB_OPER_DRAINING;
    }

    return monitored ? LB_OPER_ONLINE : LB_OPER_NO_MONITOR;
}


lb_oper_status_e
lb_health_group_status_of(bool in_use, bool monitored,
    const uint32_t counts[LB_OPER_N])
{
    if (!in_use) {
        return LB_OPER_OFFLINE;
    }

    if (!monitored) {
        return LB_OPER_NO_MONITOR;
    }

    if (counts[LB_OPER_ONLINE] == 0) {
        return LB_OPER_ERROR;
    }

    return counts[LB_OPER_ERROR] == 0 ? LB_OPER_ONLINE : LB_OPER_DEGRADED;
}


lb_oper_status_e
lb_health_balancer_status_of(const uint32_t counts[LB_OPER_N])
{
    uint32_t  checked;

    checked = counts[LB_OPER_ONLINE] + counts[LB_OPER_DEGRADED]
              + counts[LB_OPER_ERROR];

    if (checked == 0) {
        return counts[LB_OPER_NO_MONITOR] != 0 ? LB_OPER_NO_MONITOR
                                               : LB_OPER_OFFLINE;
    }

    if (counts[LB_OPER_ONLINE] == checked) {
        return LB_OPER_ONLINE;
    }

    if (counts[LB_OPER_ERROR] == checked) {
        return LB_OPER_ERROR;
    }

    return LB_OPER_DEGRADED;
}


bool
lb_health_group_in_use(const lb_target_group_t *g)
{
    uint32_t        i;
    lb_load_balancer_t  *b;

    b = g->balancer;
    if (b == NULL) {
        return false;
    }

    for (i = 0; i < b->nlisteners; i++) {
        if (b->listeners[i].target_group == g) {
            return true;
        }
    }

    return false;
}


lb_zone_health_e
lb_health_target_state(lb_shm_zone_t *z, const lb_target_t *t)
{
    const char         *id;
    lb_zone_target_t   *zt;
    lb_target_group_t  *g;

    g = t->group;
    id = g->id != NULL ? g->id : g->name;

    if (z == NULL || id == NULL) {
        return LB_ZONE_UNKNOWN;
    }

    zt = lb_zone_target_get(z, id, &t->addr, false);
    if (zt == NULL) {
        return LB_ZONE_UNKNOWN;
    }

    return lb_zone_target_state(zt);
}


lb_oper_status_e
lb_health_target_status(lb_shm_zone_t *z, const lb_target_t *t)
{
    bool  in_use, monitored;

    in_use = lb_health_group_in_use(t->group);
    monitored = t->group->health_monitor != NULL;

    return lb_health_target_status_of(in_use, monitored, t->weight,
                                      (in_use && monitored)
                                      ? lb_health_target_state(z, t)
                                      : LB_ZONE_UNKNOWN);
}


lb_oper_status_e
lb_health_group_status(lb_shm_zone_t *z, const lb_target_group_t *g)
{
    bool      in_use, monitored;
    uint32_t  i, counts[LB_OPER_N];

    in_use = lb_health_group_in_use(g);
    monitored = g->health_monitor != NULL;

    memset(counts, 0, sizeof(counts));

    if (in_use && monitored) {
        for (i = 0; i < g->ntargets; i++) {
            counts[lb_health_target_status(z, &g->targets[i])]++;
        }
    }

    return lb_health_group_status_of(in_use, monitored, counts);
}


lb_oper_status_e
lb_health_balancer_status(lb_shm_zone_t *z, const lb_load_balancer_t *b)
{
    uint32_t  i, counts[LB_OPER_N];

    memset(counts, 0, sizeof(counts));

    for (i = 0; i < b->ntarget_groups; i++) {
        counts[lb_health_group_status(z, &b->target_groups[i])]++;
    }

    return lb_health_balancer_status_of(counts);
}
