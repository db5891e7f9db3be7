/* weir: target MAC addresses for the DSR packet path, from the kernel's
 * neighbour table over rtnetlink. weir never keeps its own ARP cache:
 * the kernel resolves, ages and refreshes entries, and the health checks
 * (which go to the target's own address) keep them warm. A target with
 * no usable entry is asked for with RTM_NEWNEIGH + NTF_USE, which makes
 * the kernel send its ARP request as if it had a packet to send there
 * (neigh_event_send()), without a datagram reaching the target. */
#ifndef LB_DSR_NEIGH_H
#define LB_DSR_NEIGH_H

#include "lb_core_types.h"

/* found(addr, mac, reachable, data) per IPv4 neighbour of ifindex with
 * a link-layer address the kernel would use; reachable: REACHABLE or
 * PERMANENT (no refresh needed). */
typedef void (*lb_dsr_neigh_found_pt)(uint32_t addr, const uint8_t *mac,
    bool reachable, void *data);

/* Open this process's rtnetlink socket (once). LB_OK, or LB_ERROR
 * (logged). */
lb_int_t lb_dsr_neigh_open(void);

/* Dump the IPv4 neighbour table and report the entries of ifindex.
 * Blocking but bounded (a receive timeout): a local kernel answers in
 * microseconds. LB_OK, or LB_ERROR (logged). */
lb_int_t lb_dsr_neigh_dump(int ifindex, lb_dsr_neigh_found_pt found,
    void *data);

/* Have the kernel resolve (or re-confirm) addr (network order) on
 * ifindex. LB_OK, or LB_ERROR (logged once per process: without
 * CAP_NET_ADMIN the health checks' own traffic still resolves). */
lb_int_t lb_dsr_neigh_probe(int ifindex, uint32_t addr);

#endif /* LB_DSR_NEIGH_H */
