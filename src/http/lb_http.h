/* weir: L7 (HTTP/1.1) listeners: the reverse proxy of HTTP and HTTPS
 * listeners. What other parts of weir call; the proxy's own types are in
 * lb_http_session_types.h, what its files call of each other in
 * lb_http_session.h.
 *
 * Decisions where SPEC.md is silent (each is explained where it is made):
 *  - a listener without a target group answers 404, a target group
 *    without a usable target 503, a target that fails 502, one that does
 *    not answer or connect in time 504, CONNECT 405 (lb_http_request.c,
 *    lb_http_upstream.c);
 *  - a failed connect is retried on another target, a failure before any
 *    response byte too when the request is idempotent and none of its
 *    body was sent; at most 3 targets per request (lb_http_upstream.c);
 *  - request and response heads fit in LB_HTTP_BUFFER_SIZE (16 KiB) with
 *    lines of at most 8 KiB and 100 fields (431 or 414 beyond);
 *  - listener timeouts: timeout_client_header (weir's, 10 s: the whole
 *    request head, slowloris-proof), timeout_client_data (request bodies,
 *    clients that do not read, keep-alive idle), Octavia's
 *    timeout_member_connect (5 s) and timeout_member_data (50 s);
 *  - targets get HTTP/1.1 whatever the client speaks; an HTTP/1.0 client
 *    gets chunked responses without their framing, then a close;
 *  - weir's sticky cookie is called WEIRSTICKY; its value is a keyed hash,
 *    not the address (lb_http_sticky.c);
 *  - the access log is one file for every HTTP(S) listener, the top-level
 *    `access_log` path (lb_http_log.c has the line format);
 *  - error pages are html/errors/CODE.html under the prefix, with a
 *    built-in page for each missing file (lb_http_error.c);
 *  - a listener's L7 policies act before its default group: another
 *    group, a redirect (Location, empty body) or 403; what each rule
 *    looks at is decided in lb_http_l7.c. */
#ifndef LB_HTTP_H
#define LB_HTTP_H

#include "lb_core_types.h"

/* Bytes of each of the three buffers of a client connection: requests
 * from the client, responses from the target, and the heads weir writes.
 * A request or response head must fit in one (else 431, or 502 for a
 * response); bodies stream through them. */
#define LB_HTTP_BUFFER_SIZE        (16 * 1024)

/* The pool of an accepted HTTP connection: only what the connection
 * keeps while it waits for a request (and its TLS state). The session and
 * its three buffers come from a per-worker free list while a request is
 * under way and go back to it when the connection is idle, as nginx
 * does, so an idle keep-alive connection costs its slot and this. */
#define LB_HTTP_POOL_SIZE          256

/* In a worker: serve the HTTP or HTTPS listening socket ls of cycle. The
 * first call of a worker also sets up what every HTTP listener shares
 * (error pages, access log, sticky state, the keep-alive pool of target
 * connections). LB_OK or LB_ERROR (logged). */
lb_int_t lb_http_init_listening(lb_cycle_t *cycle, lb_listening_t *ls);

/* The module hook init_groups (lb_cycle.h): a worker taking up a newer
 * generation builds the HTTP state of conf's target groups and switches
 * to it; idle target connections of the old groups are closed, and a
 * request still running on an old group keeps it (the connection epochs
 * of lb_connection.h free it). LB_OK, or LB_ERROR (logged): nothing
 * changed. */
lb_int_t lb_http_init_groups(lb_conf_t *conf, lb_shm_zone_t *zone,
    lb_pool_t *pool);

/* SIGUSR1 in a worker: flush what is buffered to the access log, then
 * write to lb_cycle->access_log.fd (the master reopened it and sent it
 * down; the caller closes the old one). Does nothing when there is no
 * access log. */
void lb_http_log_reopen(void);

#endif /* LB_HTTP_H */
