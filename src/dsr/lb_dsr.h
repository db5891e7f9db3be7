/* weir: the DSR network load balancer (SPEC.md section 9, NLB_L4_DSR):
 * packets forwarded by a MAC rewrite, replies straight from the targets.
 * The packet path is issue 14's; until it exists, this module only
 * keeps an NLB_L4_DSR balancer from running as an ordinary proxy. */
#ifndef LB_DSR_H
#define LB_DSR_H

#include "lb_core_types.h"

/* The module hook init_conf (lb_cycle.h), weir -t included: LB_OK when no
 * balancer is NLB_L4_DSR; else LB_ERROR, each such balancer logged as
 * "FILE:LINE:COL: load_balancers[NAME].type: ..." (issue 13 defect 14:
 * without the packet path it would silently proxy, which is not what
 * DSR promises: replies from the targets, the client's address kept). */
lb_int_t lb_dsr_init_conf(lb_cycle_t *cycle);

#endif /* LB_DSR_H */
