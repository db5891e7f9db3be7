/* weir: what the sync process's two files share (lb_peers.c: the
 * process, its connections and roles; lb_peers_sync.c: what goes on the
 * wire about bindings and configuration, and what comes). Not for other
 * folders: lb_peers.h is the process's contract. */
#ifndef LB_PEERS_INT_H
#define LB_PEERS_INT_H

#include <openssl/ssl.h>

#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_peers_msg.h"
#include "lb_zone.h"
#include "lb_zone_table.h"

#define LB_PEERS_RETRY       1000      /* ms between connection attempts */
#define LB_PEERS_HEARTBEAT   1000      /* ms: an idle side sends an ACK */
#define LB_PEERS_DEAD        3000      /* ms without a byte: dropped */
#define LB_PEERS_BUF         (64 * 1024)
#define LB_PEERS_BATCH       64        /* journal records per read */
#define LB_PEERS_PENDING     8         /* accepted, not named yet */
#define LB_PEERS_MAX_TABLES  256       /* replicated tables per full copy */
#define LB_PEERS_FRAME       (LB_PEERS_MSG_MAX + 4)
#define LB_PEERS_ROLE_EVERY  1000      /* ms between looks for the VIP */
#define LB_PEERS_SHOW_EVERY  100       /* ms between status copies */

/* connection states */
#define LB_PEERS_S_CONNECTING  1    /* outgoing: connect() in progress */
#define LB_PEERS_S_HELLO       2    /* outgoing: waiting for WELCOME */
#define LB_PEERS_S_FULL        3    /* outgoing: sending a full copy */
#define LB_PEERS_S_STREAM      4    /* outgoing: sending the journal */
#define LB_PEERS_S_NEW         5    /* incoming: waiting for HELLO */
#define LB_PEERS_S_READY       6    /* incoming: named */

typedef struct lb_peer_s        lb_peer_t;
typedef struct lb_peers_conn_s  lb_peers_conn_t;

struct lb_peers_conn_s {
    lb_connection_t    *c;            /* NULL: unused */
    lb_peer_t          *peer;         /* NULL: accepted, not named yet */
    unsigned            state;
    unsigned            outgoing:1;
    unsigned            handshake:1;  /* peers.tls: not done yet */
    lb_msec_t           last_in;
    lb_msec_t           last_out;
    size_t              ilen;
    size_t              ostart;
    size_t              oend;
    uint8_t             ibuf[LB_PEERS_BUF];
    uint8_t             obuf[LB_PEERS_BUF];
};

struct lb_peer_s {
    const lb_peer_node_t  *node;
    uint32_t            index;
    lb_peers_conn_t    *out;          /* our changes to it */
    lb_peers_conn_t    *in;           /* its changes to us */
    lb_msec_t           retry_at;

    /* out */
    uint64_t            sent;         /* next journal id to send */
    uint64_t            acked;        /* it applied every id up to this */
    uint64_t            full_id;      /* of the copy being sent */
    uint32_t            full_table;
    uint32_t            full_entry;
    uint32_t            ntables;
    char              (*tables)[LB_ZONE_TABLE_NAME_LEN + 1];

    /* in */
    uint64_t            in_epoch;
    uint64_t            in_applied;   /* last id of in_epoch applied */
    uint64_t            in_full;      /* FULL-BEGIN id being received */
    uint64_t            in_acked;     /* last id we acknowledged */
    uint64_t            applied;      /* counts, for the log */
    uint64_t            skipped;
    uint64_t            full_copies;
    uint8_t             role;         /* its last STATE */
    uint64_t            conf_version; /* its last STATE */

    /* the configuration text going to it (lb_peers.conf_out) */
    uint64_t            conf_sending; /* version; 0: none */
    size_t              conf_off;     /* sent so far */
    uint64_t            conf_sent;    /* last version sent whole on out */
};

typedef struct {
    lb_cycle_t         *cycle;
    lb_shm_zone_t      *zone;
    const lb_peers_conf_t  *conf;
    lb_peer_t          *peers;        /* conf->nnodes; local's unused */
    lb_peers_conn_t    *conns;
    uint32_t            nconns;
    int                 listen_fd;
    lb_connection_t    *listen_c;
    lb_msec_t           bind_retry;
    uint8_t             role;         /* LB_ZONE_ROLE_* of this node */

    /* the configuration text: ours for the peers (a copy of the zone's
     * LB_ZONE_CONF_OUT), and one being received */
    char               *conf_out;
    size_t              conf_out_len;
    uint64_t            conf_out_version;
    char               *conf_in;
    size_t              conf_in_len;  /* announced */
    size_t              conf_in_off;  /* received */
    uint64_t            conf_in_version;
    lb_peer_t          *conf_in_from;
    lb_msec_t           role_at;      /* next look */
    lb_msec_t           show_at;      /* next status copy */
    SSL_CTX            *tls_server;   /* peers.tls; NULL: plain TCP */
    SSL_CTX            *tls_client;
} lb_peers_ctx_t;

extern lb_peers_ctx_t  lb_peers;

/* lb_peers.c */
void lb_peers_close(lb_peers_conn_t *pc, const char *why);
bool lb_peers_send(lb_peers_conn_t *pc, const lb_peers_msg_t *m);
const char *lb_peers_name(const lb_peers_conn_t *pc);

/* lb_peers_sync.c */
void lb_peers_fill(lb_peers_conn_t *pc);
void lb_peers_full_start(lb_peer_t *p);
bool lb_peers_fill_full(lb_peers_conn_t *pc);
void lb_peers_apply(lb_peer_t *p, const lb_peers_msg_t *m);
void lb_peers_fill_conf(lb_peers_conn_t *pc);
lb_int_t lb_peers_conf_msg(lb_peers_conn_t *pc,
    const lb_peers_msg_t *m);

#endif /* LB_PEERS_INT_H */
