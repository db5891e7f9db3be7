/* weir: event timers, a red-black tree keyed by absolute expiry time in
 * ms of the cached monotonic clock (lb_current_msec). */
#ifndef LB_EVENT_TIMER_H
#define LB_EVENT_TIMER_H

#include "lb_core_types.h"
#include "lb_event.h"
#include "lb_time.h"

#define LB_TIMER_INFINITE  ((lb_msec_t) -1)

/* The furthest an idle deadline may lie beyond its timer's place in the
 * tree (lb_event_t.idle_ahead); a touch beyond it moves the timer. */
#define LB_EVENT_IDLE_AHEAD_MAX  ((lb_msec_t) UINT32_MAX)

/* Empty the timer tree (per process; call before any other timer call). */
void lb_event_timer_init(void);

/* Fire `ev` (timedout set, handler called) `ms` milliseconds after the
 * cached time. A timer already set on ev is moved. */
void lb_event_add_timer(lb_event_t *ev, lb_msec_t ms);

/* Cancel the timer of ev; nothing when none is set. */
void lb_event_del_timer(lb_event_t *ev);

/* The idle timer of a connection or session: fire ev when `ms` ms of the
 * cached clock have passed since the last touch, exactly as if every
 * touch had called lb_event_add_timer(ev, ms), but a touch that pushes
 * the deadline later only notes how far (no tree operation): the timer
 * stays where it is in the tree and, when it comes due, moves to the
 * deadline instead of firing. A busy connection touching at every read
 * thus pays one tree move per timeout period, not one per read. A touch
 * that brings the deadline earlier (a shorter ms) moves the timer at
 * once. lb_event_add_timer() and lb_event_del_timer() on ev end the
 * idle mode. Inline: called on the data path. */
static inline void
lb_event_idle_touch(lb_event_t *ev, lb_msec_t ms)
{
    lb_msec_t  deadline;

    deadline = lb_current_msec + ms;

    if (ev->timer_set && deadline >= ev->timer.key
        && deadline - ev->timer.key <= LB_EVENT_IDLE_AHEAD_MAX)
    {
        ev->idle_ahead = (uint32_t) (deadline - ev->timer.key);
        return;
    }

    lb_event_add_timer(ev, ms);
}

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
