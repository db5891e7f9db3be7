/* weir: the health of one target as a pure state machine over the zone's
 * copy of it (lb_zone_health_t), so that whichever checker process runs
 * continues from what the zone says.
 *
 *   UNKNOWN    a new target: out of rotation until its first check passes,
 *              which makes it HEALTHY at once; max_retries_down failures
 *              in a row make it UNHEALTHY.
 *   HEALTHY    in rotation; max_retries_down failures in a row: UNHEALTHY.
 *   UNHEALTHY  out of rotation; max_retries successes in a row: HEALTHY.
 *
 * rise and fall count the successes and failures in a row; cause keeps the
 * code of the last failure (cleared when the target comes UP). */
#ifndef LB_HEALTH_STATE_H
#define LB_HEALTH_STATE_H

#include "lb_core_types.h"
#include "lb_health_types.h"
#include "lb_zone.h"

typedef enum {
    LB_HEALTH_SAME = 0,     /* no transition */
    LB_HEALTH_WENT_UP,      /* now HEALTHY */
    LB_HEALTH_WENT_DOWN     /* now UNHEALTHY */
} lb_health_change_e;

/* Apply one check result to h: ok, or a failure with its zone cause code
 * (lb_health_cause_code()). max_retries and max_retries_down are the
 * thresholds (0 is taken as 1); now (wall clock ms) becomes last_change on
 * a transition. Returns the transition. h->seq is left alone. */
lb_health_change_e lb_health_state_apply(lb_zone_health_t *h, bool ok,
    uint16_t cause, uint32_t max_retries, uint32_t max_retries_down,
    uint64_t now);

/* The check settings of h's target changed: judge it afresh without
 * taking it out of rotation. HEALTHY stays HEALTHY, an UNHEALTHY target
 * becomes UNKNOWN (its first passing check brings it back), and the counts
 * start again from 0. Returns true when h changed. */
bool lb_health_state_reevaluate(lb_zone_health_t *h);

/* h's group has no health check: its target is taken as HEALTHY (workers
 * route to all of it anyway; should a check be added later, the target is
 * not pulled out of rotation while the first checks run). Returns true
 * when h changed. */
bool lb_health_state_unmonitored(lb_zone_health_t *h);

/* The zone cause code of a failure: cause, or for LB_HEALTH_BAD_STATUS the
 * HTTP status (100..599) when there is one. 0 for LB_HEALTH_NONE. */
uint16_t lb_health_cause_code(lb_health_cause_e cause, unsigned status);

/* The text of a zone cause code into buf ("connect refused", "bad status
 * 500"), always terminated; returns buf. */
const char *lb_health_cause_text(uint16_t code, char *buf, size_t size);

#endif /* LB_HEALTH_STATE_H */
