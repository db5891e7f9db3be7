/* weir: event timers, a red-black tree keyed by absolute expiry time in
 * ms of the cached monotonic clock (lb_current_msec). */
#ifndef LB_EVENT_TIMER_H
#define LB_EVENT_TIMER_H

#include "lb_core_types.h"
#include "lb_event.h"

#define LB_TIMER_INFINITE  ((lb_msec_t) -1)

/* Empty the timer tree (per process; call before any other timer call). */
void lb_event_timer_init(void);

/* Fire `ev` (timedout set, handler called) `ms` milliseconds after the
 * cached time. A timer already set on ev is moved. */
void lb_event_add_timer(lb_event_t *ev, lb_msec_t ms);

/* Cancel the timer of ev; nothing when none is set. */
void lb_event_del_timer(lb_event_t *ev);

/* Milliseconds until the earliest timer expires (0: already expired), or
 * LB_TIMER_INFINITE when no timer is set. */
lb_msec_t lb_event_find_timer(void);

/* Run the handlers of every timer whose time has come, earliest first;
 * each is removed before its handler runs, so a handler may set it again.
 * A timer set from inside a handler never fires in the same call: one due
 * at once is put 1 ms later. */
void lb_event_expire_timers(void);

/* The number of timers set (tests, shutdown). */
lb_uint_t lb_event_timers_count(void);

#endif /* LB_EVENT_TIMER_H */
