/* weir: the worker's hooks in the child skeleton (lb_worker.h). */
#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_log.h"
#include "lb_time.h"
#include "lb_worker.h"

static bool       lb_worker_exiting;
static lb_msec_t  lb_worker_deadline;


lb_int_t
lb_worker_init(lb_cycle_t *cycle, uint32_t slot)
{
    lb_unused(slot);

    /* before the listening sockets: their protocols take their groups */
    return lb_balancer_init_cycle(cycle, cycle->pool);
}


lb_int_t
lb_worker_quit(lb_cycle_t *cycle, bool fast)
{
    if (fast) {
        lb_event_close_all();
        return LB_DONE;
    }

    lb_worker_exiting = true;
    lb_worker_deadline = lb_current_msec + cycle->conf->shutdown_timeout;

    lb_log_error(LB_LOG_INFO, &lb_log, 0,
                 "gracefully shutting down, %lu connections left",
                 (unsigned long) lb_event_connections());

    lb_event_close_listening(cycle);

    return LB_AGAIN;
}


lb_int_t
lb_worker_loop(lb_cycle_t *cycle, lb_msec_t *wait)
{
    lb_unused(cycle);

    if (!lb_worker_exiting) {
        return LB_OK;
    }

    if (lb_event_connections() == 0) {
        return LB_DONE;
    }

    if (lb_current_msec >= lb_worker_deadline) {
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "shutdown timeout: closing %lu connections",
                     (unsigned long) lb_event_connections());
        lb_event_close_all();
        return LB_DONE;
    }

    if (lb_worker_deadline - lb_current_msec < *wait) {
        *wait = lb_worker_deadline - lb_current_msec;
    }

    return LB_OK;
}
