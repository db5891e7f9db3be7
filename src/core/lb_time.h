/* weir: cached time, read once per event loop iteration. */
#ifndef LB_TIME_H
#define LB_TIME_H

#include <time.h>

#include "lb_core_types.h"

extern volatile lb_msec_t  lb_current_msec;   /* CLOCK_MONOTONIC, ms */
extern volatile time_t     lb_current_sec;    /* wall clock, s */
extern char                lb_log_time[32];

/* Refresh the cached times; cheap enough to call once per loop. */
void lb_time_update(void);

#endif /* LB_TIME_H */
