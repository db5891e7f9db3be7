/* weir: the DSR network load balancer (SPEC.md section 9, NLB_L4_DSR):
 * packets forwarded by a MAC rewrite, replies straight from the targets.
 *
 * The master opens, per listener of a DSR balancer and per worker slot,
 * an AF_PACKET socket on the interface whose subnet holds the VIP (the
 * VIP itself is configured on no interface of this machine, so the
 * kernel neither answers for it nor resets its flows). A classic BPF
 * filter lets through only IPv4 frames for VIP:port of the listener's
 * protocol (and, on the balancer's first listener, ARP requests for the
 * VIP); PACKET_FANOUT_HASH spreads the flows over the workers. A worker
 * reads frames in batches (recvmmsg), chooses a target per flow with the
 * group's algorithm, writes the target's MAC as destination and the
 * interface's as source and sends the batch back out (sendmmsg) with the
 * IP packet untouched. Everything else is left to the kernel (the
 * packet socket only sees copies). */
#ifndef LB_DSR_H
#define LB_DSR_H

#include "lb_core_types.h"
#include "lb_cycle.h"

/* The module hook init_conf (lb_cycle.h), weir -t included: LB_OK, or
 * LB_ERROR with each problem reported as "FILE:LINE:COL: ..." (this
 * packet path forwards IPv4 only). */
lb_int_t lb_dsr_init_conf(lb_cycle_t *cycle);

/* The module hook open_listening, in the master: the packet socket of
 * one DSR listener for one worker slot (ls->fd, ls->type SOCK_RAW,
 * ls->data the interface and VIP, from cycle->pool). LB_OK, or
 * LB_ERROR (logged). */
lb_int_t lb_dsr_open_listening(lb_cycle_t *cycle, lb_listening_t *ls);

/* The module hook init_listening, in a worker: serve ls's packets. */
lb_int_t lb_dsr_init_listening(lb_cycle_t *cycle, lb_listening_t *ls);

/* The module hook init_groups: the DSR listeners take conf's groups;
 * flows stay on their targets (found by address), flows of targets that
 * are gone end. pool NULL: back to the groups of the previous call. */
lb_int_t lb_dsr_init_groups(lb_conf_t *conf, lb_shm_zone_t *zone,
    lb_pool_t *pool);

#endif /* LB_DSR_H */
