/* weir: the sync process (SPEC.md section 12; the process table's SYNC
 * kind), run when the configuration has a peers block. It keeps the
 * replicated shared tables (SOURCE_IP and APP_COOKIE bindings, the
 * HTTP_COOKIE secret) equal on every node of the block.
 *
 * Each node listens on its own nodes[].address and connects to every
 * other node (with peers.tls, each connection starts with a mutually
 * authenticated TLS handshake, lb_peers_tls.h, stepped by the loop like
 * the rest); a connection carries the changes of the node that opened
 * it, one way, and acknowledgements back:
 *
 *   A -> B  HELLO(A, epoch of A's journal)
 *   B -> A  WELCOME(B, last update id of that epoch B applied, or 0)
 *   A -> B  when B's id is still in A's journal: the updates after it;
 *           else FULL-BEGIN(id), ENTRY..., FULL-END(id), then the
 *           updates from id on
 *   B -> A  ACK(id) after every batch it applied
 *
 * The updates come from the zone journal (lb_zone_journal.h) that the
 * workers append to; this process reads it every LB_PEERS_TICK ms. What
 * it applies from a peer it writes to the local tables with the journal
 * muted, so nothing goes back. A binding names its target by address
 * (and an APP_COOKIE one also by target group id): each node turns it
 * into its own record and hashes keys with its own key. Queues are
 * bounded: the journal's ring and one output buffer per connection; a
 * peer too slow for the ring gets a full copy again. A connection that
 * sends a frame this protocol does not have, or nothing (not even the
 * once-a-second ACK) for LB_PEERS_DEAD ms, is closed; an outgoing one is
 * opened again after LB_PEERS_RETRY ms and resumes from the last id the
 * peer acknowledged. The HTTP_COOKIE secret of the first node listed
 * wins: the others take it (each secret applied bumps the journal's
 * secret_gen, and the workers read the secret again at their next
 * HTTP_COOKIE request).
 *
 * Roles: with peers.vip, this node is active while it holds the VIP on an
 * interface (getifaddrs(), every LB_PEERS_ROLE_EVERY ms); without, the
 * first node listed is. Each connecting side sends STATE (its role and
 * configuration version) at the start and once a second; the view of
 * the cluster (lb_zone_cluster_t) goes to the zone every 100 ms for the
 * admin process. Configuration: when a peer says an older version than
 * this node's last API change (LB_ZONE_CONF_OUT, put there by the admin
 * process), the text goes to it in CONFIG-BEGIN, -PART..., -END; a newer
 * version received goes to LB_ZONE_CONF_IN, where this node's admin
 * process takes it (lb_admin_peer_change()). */
#ifndef LB_PEERS_H
#define LB_PEERS_H

#include "lb_core_types.h"

#define LB_PEERS_TICK   10        /* ms */

lb_int_t lb_peers_init(lb_cycle_t *cycle, uint32_t slot);
lb_int_t lb_peers_loop(lb_cycle_t *cycle, lb_msec_t *wait);
lb_int_t lb_peers_quit(lb_cycle_t *cycle, bool fast);

#endif /* LB_PEERS_H */
