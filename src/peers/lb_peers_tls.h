/* weir: TLS on the peers' sync link (peers.tls: certificate, key, ca).
 * Both sides are authenticated: each node presents its certificate, and
 * a peer's chain must verify against peers.tls.ca (the node's name is not
 * checked: every holder of a certificate of that CA is taken as a node,
 * so the CA should be the cluster's own; the HELLO still has to name a
 * node of the block). TLS 1.2 or later, no session cache, no tickets.
 * The contexts are built by the master when a cycle is made (weir -t
 * included: a file that cannot be used is refused), while it may still
 * read the key, and kept in peers.tls (server_ctx, client_ctx) until the
 * cycle's pool goes; the sync process, forked with the cycle, uses
 * them. */
#ifndef LB_PEERS_TLS_H
#define LB_PEERS_TLS_H

#include <openssl/ssl.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"

/* The server (server true) or client context of tls, its paths relative
 * to cycle->prefix. NULL when the files cannot be used: reported as
 * "FILE:LINE:COL: peers.tls.FIELD: ..." on stderr before the error log
 * is open, else in the log. The caller frees it with SSL_CTX_free(). */
SSL_CTX *lb_peers_tls_ctx(lb_cycle_t *cycle, const lb_peers_tls_t *tls,
    bool server);

/* The module hook (init_conf): both contexts of a peers.tls block built
 * into it, freed with cycle->pool. LB_OK, or LB_ERROR (reported). */
lb_int_t lb_peers_init_conf(lb_cycle_t *cycle);

#endif /* LB_PEERS_TLS_H */
