/* weir: UDP listeners. A worker reads datagrams from its own SO_REUSEPORT
 * socket of each UDP listener and keeps one session per client address
 * (and listening socket): the session owns one connected UDP socket to the
 * target its balancer chose, so the kernel drops datagrams from anyone but
 * that target; replies are sent back to the client from the listening
 * socket, so their source is the listener's address. Datagram boundaries
 * are kept both ways.
 *
 * A session ends after timeout_client_data ms without a datagram either
 * way (the listener's idle timeout). A listener's connection_limit counts
 * its sessions across every worker (the listener's gauge in the zone, as
 * for TCP): a datagram that would start a session over it is dropped, and
 * sessions in place go on. One client address holds at most the
 * listener's sessions_per_client sessions in a worker: a new source port
 * over that replaces the client's own oldest session. The per-worker
 * session table is bounded (LB_STREAM_UDP_MAX_SESSIONS): when it is full,
 * the oldest session that is not established (lb_stream_udp_established())
 * among the oldest LB_STREAM_UDP_EVICT_SCAN, or else the oldest of all, is
 * evicted to make room for a new client, since UDP clients never say they
 * are gone and a table full of dead sessions must not lock new clients
 * out. An ICMP error from the target (ECONNREFUSED,
 * unreachable) counts as a target failure; the session then picks another
 * target for the client's next datagram.
 *
 * A session with a target counts as a client connection
 * (lb_event_connections()), so a worker told to stop gracefully keeps
 * passing replies to its clients until its sessions are idle (or the
 * shutdown timeout ends them); their next datagrams already reach the
 * next generation's worker, which shares the listening socket. */
#ifndef LB_STREAM_UDP_H
#define LB_STREAM_UDP_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "lb_balancer.h"
#include "lb_core_types.h"
#include "lb_cycle.h"
#include "lb_event.h"

/* The largest payload forwarded (the IPv4 limit); a longer datagram (IPv6
 * allows 65527) is dropped and counted, never truncated. */
#define LB_STREAM_UDP_MAX_DATAGRAM   65507

/* Datagrams per recvmmsg()/sendmmsg(), and batches read from one socket
 * per wakeup before other ready sockets get their turn (the rest is read
 * on the next loop iteration). */
#define LB_STREAM_UDP_BATCH          16
#define LB_STREAM_UDP_READ_BATCHES   4

/* Sessions per worker (each holds one socket and one connection slot). */
#define LB_STREAM_UDP_MAX_SESSIONS   16384

/* The largest target group a UDP listener can be given while a worker
 * runs (a change of the admin API): sessions have room for the tried
 * bits of this many targets (or of the largest group at start). */
#define LB_STREAM_UDP_LIVE_TARGETS   1024

/* Why a datagram was dropped, counted per worker, and the level its log
 * line (at most one a second per reason) has: what a peer can cause is
 * info, what weir failed to do is a warning. */
#define LB_STREAM_UDP_DROPS(X)                                            \
    X(OVERSIZED,  "oversized datagram", INFO)                             \
    X(ADDRESS,    "datagram from an unsupported address family", INFO)    \
    X(FOREIGN,    "datagram from an unexpected source", INFO)             \
    X(NO_TARGET,  "no usable target", WARN)                               \
    X(RESOURCES,  "no socket or connection slot for a session", WARN)     \
    X(LIMIT,      "a new session over connection_limit", INFO)            \
    X(SEND,       "datagram not sent", WARN)

#define LB_ENUM_UDP_DROP(n, s, l)  LB_STREAM_UDP_DROP_##n,
typedef enum {
    LB_STREAM_UDP_DROPS(LB_ENUM_UDP_DROP)
    LB_STREAM_UDP_DROP_N
} lb_stream_udp_drop_e;
#undef LB_ENUM_UDP_DROP

/* NULL-terminated, indexed by lb_stream_udp_drop_e */
extern const char *const  lb_stream_udp_drop_names[];

/* this worker's counters since it started */
typedef struct {
    uint64_t            sessions;        /* created */
    uint64_t            active;          /* in the table now */
    uint64_t            expired;         /* ended by the idle timeout */
    uint64_t            evicted;         /* pushed out of a full table */
    uint64_t            failures;        /* target failures (ICMP, send) */
    uint64_t            datagrams_in;    /* from clients, forwarded */
    uint64_t            datagrams_out;   /* from targets, sent to clients */
    uint64_t            bytes_in;
    uint64_t            bytes_out;
    uint64_t            drops[LB_STREAM_UDP_DROP_N];
} lb_stream_udp_stats_t;

/* a client or target address as received */
typedef union {
    struct sockaddr      sa;
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;
} lb_stream_udp_addr_t;

/* the normalized key of a client address: no padding, no unset bytes */
typedef struct {
    uint16_t            family;
    uint16_t            port;           /* network order */
    uint32_t            scope_id;       /* AF_INET6 only */
    uint8_t             addr[16];       /* AF_INET: the first 4 bytes */
} lb_stream_udp_key_t;

typedef struct lb_stream_udp_listen_s   lb_stream_udp_listen_t;
typedef struct lb_stream_udp_session_s  lb_stream_udp_session_t;

/* What a worker keeps for one UDP listening socket (ls->data). */
struct lb_stream_udp_listen_s {
    lb_listening_t           *listening;
    lb_listener_t            *listener;
    lb_balancer_group_t      *group;     /* NULL: no target group */
    int                       fd;        /* a dup of the listening socket
                                            for replies: they still go out
                                            after lb_event_close_listening()
                                            while the sessions drain */
    lb_msec_t                 timeout;   /* idle limit, ms */
    lb_stream_udp_listen_t   *next;      /* every one of this worker */
};

struct lb_stream_udp_session_s {
    lb_stream_udp_session_t  *hnext;     /* hash chain */
    lb_stream_udp_session_t  *newer;     /* use order (LRU) */
    lb_stream_udp_session_t  *older;
    uint32_t                  hash;
    lb_listening_t           *listening; /* with key: the table's key */

    lb_stream_udp_listen_t   *listen;
    lb_stream_udp_key_t       key;
    lb_stream_udp_addr_t      client;
    socklen_t                 client_len;

    lb_connection_t          *upstream;  /* NULL: pick a target first */
    lb_balancer_group_t      *group;     /* peer and tried are of it: the
                                            listener's may be newer (a
                                            change taken up live) */
    lb_balancer_peer_t       *peer;
    lb_balancer_tried_t       tried;     /* failed targets: skipped */
    lb_balancer_request_t     request;   /* client set: SOURCE_IP
                                            stickiness in the pick */

    lb_event_t                idle;      /* the idle timer */
    lb_msec_t                 active;    /* last datagram either way */
    lb_listening_limit_t     *limit;     /* counted in connection_limit;
                                            NULL: not */
    unsigned                  again:1;   /* the client sent more than one
                                            datagram */
    unsigned                  replied:1; /* the target answered */
};

/* Established, as conntrack's "assured": traffic both ways and the client
 * came back. Evicted last from a full table: one-datagram sessions (a
 * scan, spoofed sources) go first. */
#define lb_stream_udp_established(s)  ((s)->again && (s)->replied)

/* How many of the oldest sessions a full table looks at for one that is
 * not established before it evicts the oldest of all. */
#define LB_STREAM_UDP_EVICT_SCAN     64

/* In a worker: serve the UDP listening socket ls of cycle (add it to the
 * loop with the datagram reader as its read handler; the first call also
 * sets up this worker's session table and buffers). Memory is taken from
 * cycle->pool and, for the table, from the heap once. LB_OK or LB_ERROR
 * (logged): the worker cannot run. */
lb_int_t lb_stream_udp_init_listening(lb_cycle_t *cycle, lb_listening_t *ls);

/* The module hook init_groups (lb_cycle.h): point every UDP listening
 * socket of this worker at the balancer group of its listener's target
 * group. LB_ERROR (logged, nothing changed) when a group is larger than
 * the sessions have room for (LB_STREAM_UDP_LIVE_TARGETS). It only
 * points, so it may be called again to point back. */
lb_int_t lb_stream_udp_init_groups(lb_conf_t *conf, lb_shm_zone_t *zone,
    lb_pool_t *pool);

/* A copy of this worker's counters. */
void lb_stream_udp_stats(lb_stream_udp_stats_t *st);

#endif /* LB_STREAM_UDP_H */
