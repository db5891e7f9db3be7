/* weir: the worker kind of lb_child.h: a process that accepts on the
 * listening sockets of its slot and proxies with the protocol modules. */
#ifndef LB_WORKER_H
#define LB_WORKER_H

#include "lb_core_types.h"

/* a worker wakes at least this often to look at its signal flags */
#define LB_WORKER_TICK        1000

/* The worker's hooks (lb_child_kind_t): init builds the balancer groups
 * its protocols pick targets from; quit closes everything (fast) or stops
 * accepting and gives the connections in flight until shutdown_timeout;
 * loop ends the worker once they are gone or the time is up. */
lb_int_t lb_worker_init(lb_cycle_t *cycle, uint32_t slot);
lb_int_t lb_worker_loop(lb_cycle_t *cycle, lb_msec_t *wait);
lb_int_t lb_worker_quit(lb_cycle_t *cycle, bool fast);

#endif /* LB_WORKER_H */
