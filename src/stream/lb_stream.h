/* weir: L4 (stream) listeners: TCP proxying. */
#ifndef LB_STREAM_H
#define LB_STREAM_H

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_zone_gauge.h"

/* Bytes buffered per direction of a proxied connection. */
#define LB_STREAM_BUFFER_SIZE      (16 * 1024)


/* The pool of an accepted TCP connection: the session and both buffers
 * fit in its first block, which the slot keeps for the next connection. */
#define LB_STREAM_POOL_SIZE        (2 * LB_STREAM_BUFFER_SIZE + 4096)

/* In a worker: serve the TCP or TLS listening socket ls (set TCP_NODELAY,
 * which accepted sockets inherit, and add it to the loop with the TCP
 * proxy as its handler, after the handshake for TLS). LB_OK or LB_ERROR
 * (logged). */
lb_int_t lb_stream_init_listening(lb_listening_t *ls);

/* A listener's open connections, counted across every worker and
 * generation in the shared zone (gauge "conn:<listener id>"), for
 * connection_limit. */
typedef struct {
    const lb_listener_t  *listener;
    lb_zone_gauge_t      *gauge;
    uint32_t              slot;      /* this worker's share */
} lb_stream_limit_t;

/* The connection count of lst in this worker, set up at its first use
 * (which takes the zone lock once). NULL (logged once) when the zone has
 * no room for it or there is no zone: the limit is then not enforced. */
lb_stream_limit_t *lb_stream_limit(const lb_listener_t *lst);

/* Admit one more client of lst under its connection_limit. Returns the
 * count to leave (lb_zone_gauge_leave()) when the client goes, or NULL
 * when lst has no limit (or it cannot be enforced); *refused is set when
 * the limit is reached: the caller closes the client. */
lb_stream_limit_t *lb_stream_limit_enter(const lb_listener_t *lst,
    bool *refused);

/* The accept handler of TCP listeners: proxy c to a target of its
 * listener's target group (lb_stream_proxy.c). Owns c from then on. */
void lb_stream_proxy_init_connection(lb_connection_t *c);

#endif /* LB_STREAM_H */
