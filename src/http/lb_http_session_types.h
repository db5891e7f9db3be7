/* weir: the types of the L7 proxy, shared by its files only (what they
 * call of each other is in lb_http_session.h): the session of a client
 * connection with its buffers and bodies, what a connection keeps between
 * requests, weir's view of target groups and targets with the keep-alive
 * pool of target connections, the worker's shared state, and what the
 * head rewriting and the error pages take. */
#ifndef LB_HTTP_SESSION_TYPES_H
#define LB_HTTP_SESSION_TYPES_H

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_cycle.h"
#include "lb_http.h"
#include "lb_http_chunked.h"
#include "lb_http_l7.h"
#include "lb_http_types.h"
#include "lb_proxy_protocol.h"
#include "lb_zone_table.h"

/* request and response head limits: a head fills at most one buffer */
#define LB_HTTP_MAX_LINE           8192
#define LB_HTTP_MAX_FIELD          8192
#define LB_HTTP_HEADERS            100

/* room for what weir adds to a head (forwarded headers, Set-Cookie) */
#define LB_HTTP_OUT_SIZE           (LB_HTTP_BUFFER_SIZE + 2048)

/* targets tried for one request (connect failures, resets) */
#define LB_HTTP_MAX_TRIES          3

/* idle connections to targets kept per worker, in all and per target:
 * as many as many clients need at once, so that a thousand keep-alive
 * clients do not cost a connect() and a close() per request (HAProxy's
 * http-reuse keeps them likewise). The worker's tick closes those idle
 * for LB_HTTP_IDLE_TIMEOUT ms, oldest first, at most LB_HTTP_TRIM_MAX a
 * tick (no timer per connection); one is closed at once when the target
 * closes it or sends anything. */
#define LB_HTTP_IDLE_MAX           8192
#define LB_HTTP_IDLE_PER_TARGET    4096
#define LB_HTTP_IDLE_TIMEOUT       60000
/* A stopping worker (reload, SIGQUIT) closes a connection waiting
 * between requests only once it has waited this long since the stop
 * began (or since its last response, if later): a keep-alive client
 * sends its next request well within it and gets it answered with
 * Connection: close, rather than having its connection closed under a
 * request it is sending */
#define LB_HTTP_DRAIN_GRACE        1000
/* idle clients closed at once when descriptors run out */
#define LB_HTTP_REUSE_CLIENTS      8

/* how long a closing connection is read (and the bytes dropped) after
 * an error response, so that the client gets it rather than a reset */
#define LB_HTTP_LINGER_TIMEOUT     2000

/* the longest APP_COOKIE table key: "v" + a value, or "h" + SHA-256 */
#define LB_HTTP_APP_KEY            128

/* sessions (each with its buffers) a worker keeps free in any case;
 * beyond this, no more are kept free than are in use, so the memory of a
 * burst of requests goes back to the system when the burst is over */
#define LB_HTTP_SESSIONS_KEEP      32
/* the most free sessions unmapped by one tick (lb_http_sessions_trim()) */
#define LB_HTTP_TRIM_MAX           256
/* ms a connection waits before its TLS buffers are freed (by the tick) */
#define LB_HTTP_SETTLE             1000

/* the request line kept for the access log (longer ones are cut) */
#define LB_HTTP_LOG_LINE           1024

/* a linear buffer: bytes [pos, last) are waiting; [last, end) is free */
typedef struct {
    u_char                 *start;
    u_char                 *pos;
    u_char                 *last;
    u_char                 *end;
} lb_http_buf_t;

typedef struct lb_http_idle_s     lb_http_idle_t;
typedef struct lb_http_peer_s     lb_http_peer_t;
typedef struct lb_http_group_s    lb_http_group_t;
typedef struct lb_http_session_s  lb_http_session_t;
typedef struct lb_http_conn_s     lb_http_conn_t;
typedef struct lb_http2_stream_s  lb_http2_stream_t;

/* HTTP/2 to targets (lb_http2_upstream.c): a multiplexed connection,
 * and one request's stream on it */
typedef struct lb_http2_up_conn_s    lb_http2_up_conn_t;
typedef struct lb_http2_up_stream_s  lb_http2_up_stream_t;

/* a link of a circular list with a sentinel */
typedef struct lb_http_link_s  lb_http_link_t;

struct lb_http_link_s {
    lb_http_link_t         *prev;
    lb_http_link_t         *next;
};

/* an idle connection to a target, kept for the next request */
struct lb_http_idle_s {
    lb_http_link_t          peer_link;    /* in its peer's list */
    lb_http_link_t          lru_link;     /* in the worker's list */
    lb_connection_t        *c;
    lb_http_peer_t         *peer;
    lb_http_conn_t         *owner;        /* PROXY target groups: the one
                                             client connection it may
                                             serve; NULL: any */
    lb_msec_t               since;        /* put in the pool */
    /* TLS: the server name it was opened with, in the connection's
     * pool (len 0: none); the keyed hash only rejects most others fast,
     * the name decides: a client chooses it */
    const u_char           *sni;
    uint32_t                sni_len;
    uint32_t                sni_hash;
    unsigned                settled:1;    /* TLS buffers freed */
};

/* weir's view of one target of a group, beside the balancer's peer */
struct lb_http_peer_s {
    lb_balancer_peer_t     *bp;
    lb_http_group_t        *group;
    lb_http_link_t          idle;         /* lb_http_idle_t, newest first */
    uint32_t                nidle;
    lb_http_link_t          h2_conns;     /* lb_http2_up_conn_t (h2
                                             groups), newest first */
    u_char                  cookie[32];   /* HTTP_COOKIE value */
    uint32_t                cookie_len;
};

/* weir's view of one target group */
struct lb_http_group_s {
    lb_balancer_group_t    *bg;
    lb_target_group_t      *tg;
    lb_http_peer_t         *peers;        /* bg->npeers */
    lb_persistence_t       *sticky;       /* NULL: none (or SOURCE_IP,
                                             which the balancer does) */
    lb_zone_table_t        *app_table;    /* APP_COOKIE bindings */
    uint32_t               *by_zone_id;   /* peer indexes sorted by their
                                             zone record id (APP_COOKIE) */
    uint32_t                nzone_ids;
    uint64_t                generation;   /* lb_http_worker.generation
                                             when it was built */
    uint64_t                secret_gen;   /* lb_http_worker.secret_gen
                                             its cookie values are of */
    unsigned                tls:1;        /* HTTPS target group */
    unsigned                h2:1;         /* alpn_protocols: [h2] */
    unsigned                proxy_protocol:2; /* PROXY target group: the
                                             header's version, 1 or 2;
                                             0: none */
};

/* the phases of a session */
typedef enum {
    LB_HTTP_PH_IDLE = 0,      /* not used by a session: an idle
                                 connection has none (lb_http_conn_t) */
    LB_HTTP_PH_HEAD,          /* reading a request head */
    LB_HTTP_PH_CONNECT,       /* connecting to a target */
    LB_HTTP_PH_PROXY,         /* request and response under way */
    LB_HTTP_PH_TUNNEL,        /* after a 101: raw bytes both ways */
    LB_HTTP_PH_ERROR,         /* writing an error page */
    LB_HTTP_PH_LINGER         /* response sent, reading until EOF */
} lb_http_phase_e;

/* the trailer section of a chunked body, as the decoder checked it
 * (HTTP/1.1 field lines and the empty line; its limit is the decoder's) */
typedef struct {
    uint32_t                len;
    u_char                  buf[LB_HTTP_CHUNK_MAX_TRAILER];
} lb_http_trailer_t;

/* how a body is read: its framing and how far it went */
typedef struct {
    lb_http_body_e          type;
    uint64_t                left;         /* LENGTH: bytes still to come */
    lb_http_chunked_t       chunked;
    u_char                 *ready;        /* [buf.pos, ready): body bytes
                                             checked, to be sent */
    uint64_t                sent;         /* body bytes sent on */
    lb_http_trailer_t      *trailer;      /* dechunk: where the trailer
                                             section goes (an HTTP/2
                                             client's stream); NULL:
                                             dropped */
    unsigned                done:1;       /* every byte of it was read */
    unsigned                dechunk:1;    /* send the data only (a chunked
                                             response to HTTP/1.0) */
} lb_http_body_t;

struct lb_http_session_s {
    lb_connection_t        *client;
    lb_connection_t        *upstream;     /* HTTP/1.1 targets */
    lb_http2_up_stream_t   *h2;           /* h2 targets: the request's
                                             stream (upstream is NULL) */
    lb_listener_t          *listener;
    lb_http_phase_e         phase;

    lb_http_buf_t           cin;          /* from the client */
    lb_http_buf_t           uin;          /* from the target */
    lb_http_buf_t           out;          /* heads weir writes */

    /* the error page being written after out */
    const u_char           *page;
    size_t                  page_len;

    /* the request */
    lb_http_msg_t           req;
    lb_http_header_t        req_headers[LB_HTTP_HEADERS];
    lb_http_body_t          req_body;
    lb_http_limits_t        limits;
    unsigned                requests;     /* served on this connection
                                             (kept in conn when idle) */

    /* the target */
    lb_http_group_t        *group;
    lb_http_peer_t         *peer;         /* picked, counted open */
    lb_balancer_tried_t     tried;
    uintptr_t              *tried_bits;   /* groups over 256 targets */
    uint32_t                tried_cap;    /* words in tried_bits */
    lb_balancer_request_t   breq;
    unsigned                tries;
    int                     last_err;     /* errno of the last failure */
    char                    sni[256];     /* HTTPS target groups: the
                                             request's host; "": none */
    uint32_t                sni_len;
    uint32_t                sni_hash;
    /* the server name upstream was opened with (lb_http_idle_t.sni):
     * NULL with up_sni_len != 0 when no copy could be kept, and then the
     * connection is not pooled */
    const u_char           *up_sni;
    uint32_t                up_sni_len;

    /* PROXY target groups: the PROXY protocol header that goes before
     * anything else on a new target connection; [pp_pos, pp_len) is
     * still to be sent */
    u_char                  pp[LB_PROXY_PROTOCOL_MAX];
    uint32_t                pp_pos;
    uint32_t                pp_len;

    /* the response */
    lb_http_msg_t           resp;
    lb_http_header_t        resp_headers[LB_HTTP_HEADERS];
    lb_http_body_t          resp_body;
    unsigned                status;       /* sent to the client, for logs */

    /* sticky session: the cookie to set; the request's APP_COOKIE value
     * as a table key (kept: cin may be reused by then) */
    u_char                  set_cookie[96];
    uint32_t                set_cookie_len;
    u_char                  app_key[LB_HTTP_APP_KEY];
    uint32_t                app_key_len;

    /* accounting for the access log and the zone */
    lb_msec_t               start;        /* first byte of the request */
    lb_msec_t               connected;    /* 0: not yet */
    lb_msec_t               responded;    /* response head, 0: none */
    uint64_t                client_bytes; /* written to the client */
    uint64_t                target_in;    /* read from targets */
    uint64_t                target_out;   /* written to targets */
    u_char                  line[LB_HTTP_LOG_LINE];
    uint32_t                line_len;
    const char             *target_text;  /* "-" until a target is chosen */

    /* when each direction last moved, for its timeout */
    lb_msec_t               client_read_at;
    lb_msec_t               client_write_at;
    lb_msec_t               up_read_at;
    lb_msec_t               up_write_at;
    lb_msec_t               tunnel_at;

    /* the tunnel's half-closes (not bit-fields: passed by address) */
    unsigned                up_eof_f;     /* client sent FIN */
    unsigned                up_shut_f;    /* passed on to the target */
    unsigned                down_eof_f;   /* target sent FIN */
    unsigned                down_shut_f;

    unsigned                head_started:1;   /* a byte of a head came */
    unsigned                req_head_sent:1;  /* out was written to the
                                                 target */
    unsigned                resp_head_done:1; /* final head parsed */
    unsigned                resp_head_sent:1; /* and written to client */
    unsigned                reused:1;         /* upstream from the pool */
    unsigned                keep_client:1;    /* after this response */
    unsigned                client_eof:1;     /* client half-closed */
    unsigned                upstream_bad:1;   /* not for the pool */
    unsigned                req_aborted:1;    /* target stopped reading */
    unsigned                close_after:1;    /* error page: then close */
    unsigned                got_interim:1;    /* a 1xx came */
    unsigned                te_trailers:1;    /* TE names "trailers"
                                                 (for h2 targets) */
    unsigned                h2_fresh:1;       /* h2: the next stream on a
                                                 new connection */
    unsigned                client_h2:1;      /* the client is an HTTP/2
                                                 stream (lb_http2.c) */

    lb_http_conn_t         *conn;         /* what outlives the session */
    lb_http_session_t      *next_free;    /* in the worker's free list */
};

/* What a client connection keeps while it waits for a request (between
 * requests, and before the first byte): a few bytes in its pool and no
 * buffers. The session, with its buffers, comes from the worker's free
 * list when bytes arrive and goes back to it when the connection is idle
 * again (lb_http_request.c); c->data is the session while there is one,
 * else this. */
struct lb_http_conn_s {
    lb_connection_t        *client;
    lb_listener_t          *listener;
    lb_listening_limit_t   *limit;        /* connection_limit counted */
    lb_http_session_t      *session;      /* NULL: idle */
    uintptr_t              *tried_bits;   /* from the pool: see s */
    uint32_t                tried_cap;
    unsigned                requests;     /* served on this connection */
    lb_msec_t               start;        /* the connection came */
    lb_msec_t               idle_since;   /* in idle_clients since */
    lb_http_link_t          idle_link;    /* keep-alive clients */
    lb_http_idle_t         *private_idle; /* the pooled connection to a
                                             PROXY target group that
                                             only this one may use */
    lb_http2_stream_t      *stream;       /* an HTTP/2 stream's: its
                                             stream; NULL: a connection */
    unsigned                in_idle_list:1;
    unsigned                served:1;     /* a request came before */
    unsigned                shut:1;       /* TLS close_notify sent */
};

/* the worker's shared state (lb_http.c) */
typedef struct {
    lb_cycle_t             *cycle;
    lb_http_group_t       **groups;       /* [balancer][target group] */
    lb_http_l7_t          **l7;           /* [balancer][listener]: L7
                                             policies, same generation */
    lb_http_link_t          idle_clients; /* lb_http_conn_t without a
                                             session, newest first */
    lb_http_link_t          idle_settled; /* the same, idle for a tick
                                             or more: TLS buffers freed */
    lb_http_session_t      *free_sessions;  /* each with its buffers */
    uint32_t                nsessions;    /* mapped, in use or free */
    uint32_t                nfree;        /* in free_sessions */
    uint32_t                nfree_low;    /* least nfree since the last
                                             trim */
    uint32_t                nfree_low_prev;  /* the same for the tick
                                             before, less what it
                                             trimmed */
    lb_http_link_t          idle_lru;     /* lb_http_idle_t, newest
                                             first */
    lb_http_link_t          idle_free;
    lb_http_idle_t         *idle;         /* LB_HTTP_IDLE_MAX records */
    uint32_t                nidle;
    uint64_t                generation;   /* of the groups in use: bumped
                                             by lb_http_init_groups() */
    lb_msec_t               quit_at;      /* when quitting was noticed */
    u_char                  secret[32];   /* sticky cookie key */
    uint64_t                secret_gen;   /* the zone journal's secret_gen
                                             when secret was read */
    unsigned                initialized:1;
    unsigned                quitting:1;
} lb_http_worker_t;

/* What the head written to the target depends on besides the request. */
typedef struct {
    lb_xff_mode_e           xff;
    bool                    xfp;          /* add X-Forwarded-Proto */
    bool                    xfport;       /* add X-Forwarded-Port */
    bool                    https;        /* the listener's scheme */
    uint32_t                port;         /* the listener's port */
    const char             *client_ip;
    const char             *host;         /* Host when the request has
                                             none (HTTP/1.0); NULL: none */
    const u_char           *strip_cookie; /* drop this cookie from Cookie
                                             (weir's own); NULL: none */
    size_t                  strip_cookie_len;
} lb_http_req_rewrite_t;

/* What the head written to the client depends on besides the response. */
typedef struct {
    unsigned                client_version;  /* 10 | 11 */
    bool                    keep_alive;   /* the client may send another
                                             request */
    bool                    dechunk;      /* the body goes without its
                                             chunked framing (1.0) */
    const u_char           *set_cookie;   /* a Set-Cookie value to add */
    size_t                  set_cookie_len;
} lb_http_resp_rewrite_t;

/* an error page (lb_http_error.c) */
typedef struct {
    unsigned                status;
    const char             *reason;       /* "Bad Gateway" */
    const u_char           *body;
    size_t                  len;
} lb_http_page_t;

#endif /* LB_HTTP_SESSION_TYPES_H */
