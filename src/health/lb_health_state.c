/* weir: the rise/fall state machine of a target's health. */
#include <stdio.h>

#include "lb_health_state.h"
#include "lb_health_types.h"
#include "lb_zone.h"

/* counts stop growing here: a target up for years must not wrap */
#define LB_HEALTH_COUNT_MAX  1000000000u

static uint32_t lb_health_count_inc(uint32_t n);

#define LB_HEALTH_CAUSE_NAME(n, s)  s,
const char *const  lb_health_cause_names[] = {
    LB_HEALTH_CAUSES(LB_HEALTH_CAUSE_NAME) NULL
};
#undef LB_HEALTH_CAUSE_NAME

_Static_assert(LB_HEALTH_NCAUSES < LB_HEALTH_CAUSE_STATUS_MIN,
               "cause codes must stay below the first HTTP status");


lb_health_change_e
lb_health_state_apply(lb_zone_health_t *h, bool ok, uint16_t cause,
    uint32_t max_retries, uint32_t max_retries_down, uint64_t now)
{
    max_retries = lb_max(max_retries, 1u);
    max_retries_down = lb_max(max_retries_down, 1u);

    if (ok) {
        h->rise = lb_health_count_inc(h->rise);
        h->fall = 0;

        switch (h->state) {

        case LB_ZONE_HEALTHY:
            return LB_HEALTH_SAME;

        case LB_ZONE_UNHEALTHY:
            if (h->rise < max_retries) {
                return LB_HEALTH_SAME;
            }
            break;

        default:
            /* UNKNOWN (or garbage): the first success is enough */
            break;
        }

        h->state = LB_ZONE_HEALTHY;
        h->cause = 0;
        h->last_change = now;
        return LB_HEALTH_WENT_UP;
    }

    h->fall = lb_health_count_inc(h->fall);
    h->rise = 0;
    h->cause = cause;

    if (h->state == LB_ZONE_UNHEALTHY || h->fall < max_retries_down) {
        if (h->state != LB_ZONE_HEALTHY && h->state != LB_ZONE_UNHEALTHY) {
            h->state = LB_ZONE_UNKNOWN;
        }
        return LB_HEALTH_SAME;
    }

    h->state = LB_ZONE_UNHEALTHY;
    h->last_change = now;
    return LB_HEALTH_WENT_DOWN;
}


bool
lb_health_state_reevaluate(lb_zone_health_t *h)
{
    bool  changed;

    changed = h->rise != 0 || h->fall != 0;

    h->rise = 0;
    h->fall = 0;

    if (h->state != LB_ZONE_HEALTHY && h->state != LB_ZONE_UNKNOWN) {
        h->state = LB_ZONE_UNKNOWN;
        changed = true;
    }

    return changed;
}


bool
lb_health_state_unmonitored(lb_zone_health_t *h)
{
    if (h->state == LB_ZONE_HEALTHY && h->rise == 0 && h->fall == 0
        && h->cause == 0)
    {
        return false;
    }

    h->state = LB_ZONE_HEALTHY;
    h->rise = 0;
    h->fall = 0;
    h->cause = 0;

    return true;
}


uint16_t
lb_health_cause_code(lb_health_cause_e cause, unsigned status)
{
    if (cause == LB_HEALTH_BAD_STATUS && status >= LB_HEALTH_CAUSE_STATUS_MIN
        && status <= LB_HEALTH_CAUSE_STATUS_MAX)
    {
        return (uint16_t) status;
    }

    if ((unsigned) cause >= LB_HEALTH_NCAUSES) {
        return LB_HEALTH_LOCAL_ERROR;
    }

    return (uint16_t) cause;
}


const char *
lb_health_cause_text(uint16_t code, char *buf, size_t size)
{
    if (size == 0) {
        return buf;
    }

    if (code >= LB_HEALTH_CAUSE_STATUS_MIN
        && code <= LB_HEALTH_CAUSE_STATUS_MAX)
    {
        snprintf(buf, size, "%s %u",
                 lb_health_cause_names[LB_HEALTH_BAD_STATUS],
                 (unsigned) code);

    } else if (code < LB_HEALTH_NCAUSES) {
        snprintf(buf, size, "%s", lb_health_cause_names[code]);

    } else {
        snprintf(buf, size, "cause %u", (unsigned) code);
    }

    return buf;
}


static uint32_t
lb_health_count_inc(uint32_t n)
{
    return n < LB_HEALTH_COUNT_MAX ? n + 1 : n;
}
