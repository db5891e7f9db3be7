/* weir: what the master does for its whole life. */
#ifndef LB_PROCESS_CYCLE_H
#define LB_PROCESS_CYCLE_H

#include "lb_core_types.h"

/* The master: spawn children, act on signals, reload, never return. */
void lb_master_process_cycle(lb_cycle_t *cycle) __attribute__((noreturn));

/* Apply the cycle's log settings: level, and (re)open the error log file
 * when its path changed. LB_OK or LB_ERROR (logged). */
lb_int_t lb_cycle_open_log(lb_cycle_t *cycle);

/* Open the cycle's access log (in the master, before its workers are
 * forked: they inherit it). LB_OK (also when there is none) or LB_ERROR
 * (logged). */
lb_int_t lb_cycle_open_access_log(lb_cycle_t *cycle);

#endif /* LB_PROCESS_CYCLE_H */
