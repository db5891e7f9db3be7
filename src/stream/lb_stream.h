/* weir: L4 (stream) listeners: TCP proxying. */
#ifndef LB_STREAM_H
#define LB_STREAM_H

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_cycle.h"

/* Bytes buffered per direction of a proxied connection. */
#define LB_STREAM_BUFFER_SIZE      (16 * 1024)


/* The pool of an accepted TCP connection: the session and both buffers
 * fit in its first block, which the slot keeps for the next connection. */
#define LB_STREAM_POOL_SIZE        (2 * LB_STREAM_BUFFER_SIZE + 4096)

/* In a worker: serve the TCP or TLS listening socket ls (set TCP_NODELAY,
 * which accepted sockets inherit, and add it to the loop with the TCP
 * proxy as its handler, after the handshake for TLS). LB_OK or LB_ERROR
 * (logged). */
lb_int_t lb_stream_init_listening(lb_cycle_t *cycle, lb_listening_t *ls);

/* The accept handler of TCP listeners: proxy c to a target of its
 * listener's target group (lb_stream_proxy.c). Owns c from then on. */
void lb_stream_proxy_init_connection(lb_connection_t *c);

/* Count c in its listener's connection_limit (lb_event_limit.h): LB_OK
 * with *limit the share to leave (NULL: not counted), or LB_DECLINED when
 * the limit is reached: logged, and c is closed. TLS listeners call it at
 * the accept, before the handshake, so that a client that never finishes
 * one still holds a slot. */
lb_int_t lb_stream_proxy_admit(lb_connection_t *c,
    lb_listening_limit_t **limit);

/* Proxy an admitted c (lb_stream_proxy_admit()); owns c and limit from
 * then on. */
void lb_stream_proxy_start(lb_connection_t *c, lb_listening_limit_t *limit);

#endif /* LB_STREAM_H */
