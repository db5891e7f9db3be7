/* weir: what the master does for its whole life, and the set-up steps its
 * children share. */
#ifndef LB_PROCESS_CYCLE_H
#define LB_PROCESS_CYCLE_H

#include "lb_core_types.h"

/* The master: spawn children, act on signals, reload, never return. */
void lb_master_process_cycle(lb_cycle_t *cycle) __attribute__((noreturn));

/* In a child: switch to conf->user (when set and running as root).
 * LB_OK, or LB_ERROR (logged) when the user is unknown or the switch
 * failed; the child should then exit with LB_EXIT_FATAL. */
lb_int_t lb_drop_privileges(const lb_conf_t *conf);

/* Apply the cycle's log settings: level, and (re)open the error log file
 * when its path changed. LB_OK or LB_ERROR (logged). */
lb_int_t lb_cycle_open_log(lb_cycle_t *cycle);

#endif /* LB_PROCESS_CYCLE_H */
