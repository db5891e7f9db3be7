/* weir: connection_limit admission (lb_event_limit.h). */
#include <stdio.h>
#include <string.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_event_limit.h"
#include "lb_hash.h"
#include "lb_log.h"
#include "lb_zone.h"
#include "lb_zone_gauge.h"

static lb_listening_limit_t *lb_event_limit_lookup(lb_listening_t *ls);


lb_listening_limit_t *
lb_event_limit_enter(lb_listening_t *ls, bool *refused)
{
    const lb_listener_t   *lst;
    lb_listening_limit_t  *l;

    *refused = false;
    lst = ls->listener;

    l = ls->limit.looked_up ? &ls->limit : lb_event_limit_lookup(ls);

    if (l == NULL || l->gauge == NULL) {
        return NULL;
    }

    /* every listener is counted (accepted, active, refused for /metrics);
     * only a positive connection_limit refuses */
    if (!lb_zone_gauge_enter(l->gauge, l->slot,
                             lst->connection_limit > 0
                             ? lst->connection_limit : -1))
    {
        *refused = true;
        return NULL;
    }

    return l;
}


/* The first client of ls in this worker: find (or create) the listener's
 * gauge; a missing one is remembered (gauge NULL) and logged once. */
static lb_listening_limit_t *
lb_event_limit_lookup(lb_listening_t *ls)
{
    lb_shm_zone_t         *zone;
    const lb_listener_t   *lst;
    lb_listening_limit_t  *l;
    char                   name[LB_ZONE_GAUGE_NAME_LEN + 1];

    lst = ls->listener;
    l = &ls->limit;
    l->looked_up = 1;
    l->gauge = NULL;

    zone = lb_balancer_zone();

    if (zone == NULL) {
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "no shared zone: listener %s runs without its "
                     "connection_limit", lst->addr.text);
        return NULL;
    }

    lb_event_limit_name(lst, name, sizeof(name));

    l->gauge = lb_zone_gauge_get(zone, name, &l->slot);

    if (l->gauge == NULL) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "listener %s runs without its connection_limit",
                     lst->addr.text);
        return NULL;
    }

    return l;
}


/* "conn:<listener id>"; a listener without an id (a configuration made
 * by hand in a test) is named by its address */
void
lb_event_limit_name(const lb_listener_t *lst, char *name, size_t size)
{
    lb_event_listener_gauge_name(lst, "conn", name, size);
}


void
lb_event_listener_gauge_name(const lb_listener_t *lst, const char *kind,
    char *name, size_t size)
{
    if (lst->id != NULL && strlen(lst->id) + strlen(kind) + 1 < size) {
        snprintf(name, size, "%s:%s", kind, lst->id);
        return;
    }

    /* stable: the workers of every generation share the gauge */
    snprintf(name, size, "%s:%08x:%.40s", kind,
             (uint32_t) lb_hash_stable64(0, lst->addr.text,
                                         strlen(lst->addr.text)),
             lst->addr.text);
}
