/* weir: cached time. */
#include <stdio.h>
#include <time.h>

#include "lb_time.h"

volatile lb_msec_t  lb_current_msec;
volatile time_t     lb_current_sec;
char                lb_log_time[32];

static time_t  lb_log_time_sec = -1;


void
lb_time_update(void)
{
    struct timespec  ts;
    struct tm        tm;
    time_t           now;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    lb_current_msec = (lb_msec_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    now = time(NULL);
    lb_current_sec = now;

    if (now != lb_log_time_sec) {
        localtime_r(&now, &tm);
        snprintf(lb_log_time, sizeof(lb_log_time), 
                 "%04d/%02d/%02d %02d:%02d:%02d",
                 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                 tm.tm_mday % 100,
                 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
        lb_log_time_sec = now;
    }
}
