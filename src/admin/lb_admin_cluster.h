/* weir: the admin API of a node with a peers block (SPEC.md section 12,
 * lb_admin_cluster.c): GET /api/v1/cluster, and the refusal of writes
 * on a standby node. */
#ifndef LB_ADMIN_CLUSTER_H
#define LB_ADMIN_CLUSTER_H

#include "lb_admin_route.h"

/* GET /api/v1/cluster: {"cluster": {"local", "role", "active", "vip",
 * "journal_id", "peers": [{"name", "address", "role", "connected",
 * "sending", "receiving", "acked_id", "lag", "applied_id",
 * "full_copies"}]}}; 404 without a peers block. "lag": the updates of
 * this node the peer has not acknowledged yet. */
void lb_admin_cluster(lb_admin_req_t *r);

/* A write (not GET or HEAD) on a node that is not the active one: 409
 * naming the active node (or 503 while the sync process has not said
 * yet what this node is) and true; false: go on. */
bool lb_admin_cluster_refuse(lb_admin_req_t *r);

#endif /* LB_ADMIN_CLUSTER_H */
