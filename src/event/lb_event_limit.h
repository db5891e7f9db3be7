/* weir: connection_limit admission, for every protocol that accepts
 * connections. A listener's open connections are counted across every
 * worker and generation in a gauge of the shared zone ("conn:<listener
 * id>"); each worker keeps its share on the listening socket of its slot,
 * so the count of a listener is found from the connection's listening
 * socket without a lookup. */
#ifndef LB_EVENT_LIMIT_H
#define LB_EVENT_LIMIT_H

#include "lb_core_types.h"
#include "lb_cycle.h"
#include "lb_zone_gauge.h"

/* Admit one more client accepted on ls under its listener's
 * connection_limit (every listener is counted: accepted, open and
 * refused clients, for /metrics). Returns the share to leave
 * (lb_event_limit_leave()) when the client goes, or NULL when it cannot
 * be counted (no zone, no room in it: logged once); *refused is
 * set when the limit is reached: the caller closes the client. The first
 * call for ls looks its gauge up (taking the zone lock once). */
lb_listening_limit_t *lb_event_limit_enter(lb_listening_t *ls,
    bool *refused);

/* The name of lst's gauge in the zone (lb_zone_gauge_get()), into name
 * of size bytes (LB_ZONE_GAUGE_NAME_LEN + 1 is enough): how the admin
 * process finds a listener's counters. */
void lb_event_limit_name(const lb_listener_t *lst, char *name, size_t size);

/* The name of lst's gauge of `kind` (a word of up to 8 letters): "conn"
 * for lb_event_limit_name(), others for a protocol's own counters of the
 * listener (HTTP/2: "h2c", "h2s", "h2r", "h2g"), read by the admin
 * process. */
void lb_event_listener_gauge_name(const lb_listener_t *lst,
    const char *kind, char *name, size_t size);

/* One client counted by lb_event_limit_enter() has gone. */
static inline void
lb_event_limit_leave(lb_listening_limit_t *l)
{
    lb_zone_gauge_leave(l->gauge, l->slot);
}

#endif /* LB_EVENT_LIMIT_H */
