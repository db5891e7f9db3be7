/* weir: TLS on the admin listener (admin.certificate, admin.key). The
 * context is loaded twice: by the master when a cycle is built (weir -t
 * included), only to refuse a configuration whose files cannot be used,
 * and by the admin process itself before it drops privileges, to serve
 * with. Connections then go through weir's TLS glue (lb_event_openssl.h)
 * like those of HTTPS listeners. */
#ifndef LB_ADMIN_TLS_H
#define LB_ADMIN_TLS_H

#include <openssl/ssl.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"

/* the most a client may take to finish its handshake, ms */
#define LB_ADMIN_HANDSHAKE_TIMEOUT  10000

/* A server context from admin->certificate and admin->key (paths relative
 * to cycle->prefix): TLS 1.2 or later, no renegotiation, no compression.
 * The caller frees it with SSL_CTX_free(). NULL when the files cannot be
 * used: reported as "FILE:LINE:COL: admin.certificate: ..." (or
 * admin.key), on stderr before the error log is open, else in the log. */
SSL_CTX *lb_admin_tls_ctx(lb_cycle_t *cycle, const lb_admin_conf_t *admin);

#endif /* LB_ADMIN_TLS_H */
