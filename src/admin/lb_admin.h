/* weir: the admin process (DESIGN.md, processes): the management API of
 * SPEC.md section 10 on admin.listen, on its own event loop. HTTP/1.1
 * with keep-alive, heads read by weir's strict parser (lb_http_parse.h)
 * within bounded sizes and times; every request carries X-Auth-Token
 * (lb_admin_auth.h), else 401, and an address with too many failures is
 * answered 429 for a while. Answers are JSON (lb_admin_json.h), routed by
 * the table of lb_admin_api.c; gzip when the client accepts it and the
 * body is large.
 *
 * The process binds admin.listen itself (SO_REUSEPORT, so that the one a
 * reload starts can bind while the old one exits) as root when weir runs
 * as root, reads the token file and the TLS files (admin.certificate,
 * admin.key: lb_admin_tls.h; the handshake has LB_ADMIN_HANDSHAKE_TIMEOUT),
 * then drops privileges (lb_child.c). With admin.metrics_public, GET
 * /metrics needs no token. Request bodies (the write operations,
 * lb_admin_write.c) come with Content-Length, at most LB_ADMIN_BODY_MAX
 * bytes (else 413), and are read only with the right token; a chunked
 * body is refused with 411. The web console's files (lb_admin_static.h)
 * are served at "/" without a token. */
#ifndef LB_ADMIN_H
#define LB_ADMIN_H

#include <time.h>

#include "lb_admin_route.h"
#include "lb_core_types.h"

/* the admin process wakes at least this often to look at its flags */
#define LB_ADMIN_TICK              1000

/* limits of one request and one connection */
#define LB_ADMIN_HEAD_MAX          8192     /* request head, bytes */
#define LB_ADMIN_LINE_MAX          4096     /* request-line, one field */
#define LB_ADMIN_HEADERS           32       /* header fields */
#define LB_ADMIN_BODY_MAX          65536    /* larger bodies: 413 */
#define LB_ADMIN_HEADER_TIMEOUT    10000    /* ms for a whole head */
#define LB_ADMIN_IDLE_TIMEOUT      30000    /* ms between requests */
#define LB_ADMIN_SEND_TIMEOUT      30000    /* ms a client may stall */
#define LB_ADMIN_CONNECTIONS       64       /* open at once */
#define LB_ADMIN_REQUESTS          1000     /* per connection */
#define LB_ADMIN_GZIP_MIN          1024     /* smaller bodies go as is */

/* The admin process's hooks in the child skeleton (src/proc/lb_child.c).
 * init, with the event loop up (as root when weir runs as root): reads
 * admin.token_file, binds and listens on admin.listen; LB_OK, or LB_ERROR
 * (logged: the process exits and is not respawned). quit: LB_DONE, the
 * process exits at once (requests are short and clients retry). */
lb_int_t lb_admin_init(lb_cycle_t *cycle, uint32_t slot);
lb_int_t lb_admin_quit(lb_cycle_t *cycle, bool fast);
/* each turn of the loop: a configuration of the active node that the
 * sync process got is taken (lb_admin_cluster.c) */
lb_int_t lb_admin_loop(lb_cycle_t *cycle, lb_msec_t *wait);

/* The module hook (init_conf) run in the master when a cycle is built,
 * weir -t included: the token file of admin.token_file must be there,
 * readable, not readable by others and hold a token. LB_OK (also without
 * an admin block), or LB_ERROR (logged): the configuration is refused. */
lb_int_t lb_admin_init_conf(lb_cycle_t *cycle);

/* GET /metrics (lb_admin_metrics.c): Prometheus text format. */
extern time_t  lb_admin_start_time;     /* wall clock, set by init */
void lb_admin_metrics(lb_admin_req_t *r);

#endif /* LB_ADMIN_H */
