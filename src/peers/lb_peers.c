/* weir: the sync process (lb_peers.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* accept4() */
#endif

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_log.h"
#include "lb_peers.h"
#include "lb_peers_msg.h"
#include "lb_peers_tls.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_journal.h"
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

static lb_peers_ctx_t  lb_peers;

static void lb_peers_noop(lb_event_t *ev);
static lb_int_t lb_peers_listen(void);
static void lb_peers_accept(void);
static void lb_peers_connect(lb_peer_t *p);
static lb_peers_conn_t *lb_peers_conn_get(lb_connection_t *c);
static void lb_peers_close(lb_peers_conn_t *pc, const char *why);
static void lb_peers_pump(lb_peers_conn_t *pc);
static lb_int_t lb_peers_read(lb_peers_conn_t *pc);
static lb_int_t lb_peers_write(lb_peers_conn_t *pc);
static bool lb_peers_send(lb_peers_conn_t *pc, const lb_peers_msg_t *m);
static lb_int_t lb_peers_handle(lb_peers_conn_t *pc, lb_peers_msg_t *m);
static void lb_peers_fill(lb_peers_conn_t *pc);
static void lb_peers_full_start(lb_peer_t *p);
static bool lb_peers_fill_full(lb_peers_conn_t *pc);
static bool lb_peers_send_binding(lb_peers_conn_t *pc, uint8_t type,
    uint64_t id, uint8_t op, const char *table, const void *key,
    size_t klen, const void *value, size_t vlen, lb_msec_t ttl);
static void lb_peers_apply(lb_peer_t *p, const lb_peers_msg_t *m);
static const char *lb_peers_name(const lb_peers_conn_t *pc);
static void lb_peers_role(void);
static bool lb_peers_holds_vip(const lb_sockaddr_t *vip);
static void lb_peers_show(void);
static void lb_peers_send_hello(lb_peers_conn_t *pc);
static void lb_peers_connected(lb_peers_conn_t *pc);
static lb_int_t lb_peers_handshake(lb_peers_conn_t *pc);
static void lb_peers_fill_conf(lb_peers_conn_t *pc);
static lb_int_t lb_peers_conf_msg(lb_peers_conn_t *pc,
    const lb_peers_msg_t *m);


lb_int_t
lb_peers_init(lb_cycle_t *cycle, uint32_t slot)
{
    uint32_t          i;
    lb_peers_conf_t  *conf;

    conf = cycle->conf->peers;

    if (conf == NULL || cycle->zone == NULL || lb_zone_journal == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "sync process without a peers block or its journal");
        return LB_ERROR;
    }

    memset(&lb_peers, 0, sizeof(lb_peers));
    lb_peers.cycle = cycle;
    lb_peers.zone = cycle->zone;
    lb_peers.conf = conf;
    lb_peers.listen_fd = -1;

    /* what this process writes to the tables came from a peer */
    lb_zone_journal_mute = true;

    lb_peers.conf_out = malloc(LB_PEERS_CONF_MAX);
    lb_peers.conf_in = malloc(LB_PEERS_CONF_MAX);
    lb_peers.peers = calloc(conf->nnodes, sizeof(lb_peer_t));
    lb_peers.nconns = 2 * conf->nnodes + LB_PEERS_PENDING;
    lb_peers.conns = calloc(lb_peers.nconns, sizeof(lb_peers_conn_t));

    if (lb_peers.peers == NULL || lb_peers.conns == NULL
        || lb_peers.conf_out == NULL || lb_peers.conf_in == NULL)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for the sync process");
        return LB_ERROR;
    }

    if (conf->tls != NULL) {
        /* built by the master (lb_peers_init_conf()) */
        lb_peers.tls_server = conf->tls->server_ctx;
        lb_peers.tls_client = conf->tls->client_ctx;
        if (lb_peers.tls_server == NULL || lb_peers.tls_client == NULL) {
            lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                         "sync process without its TLS contexts");
            return LB_ERROR;
        }
    }

    for (i = 0; i < conf->nnodes; i++) {
        lb_peers.peers[i].node = &conf->nodes[i];
        lb_peers.peers[i].index = i;
        lb_peers.peers[i].tables = calloc(LB_PEERS_MAX_TABLES,
                                          LB_ZONE_TABLE_NAME_LEN + 1);
        if (lb_peers.peers[i].tables == NULL) {
            lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                         "out of memory for the sync process");
            return LB_ERROR;
        }
    }

    /* the old sync process of a reload may hold the port a moment
     * longer: lb_peers_loop() tries again */
    (void) lb_peers_listen();

    lb_peers_role();
    lb_peers_show();

    lb_log_error(LB_LOG_INFO, &lb_log, 0, "sync process of node \"%s\" "
                 "started, %u peer(s)", conf->local, conf->nnodes - 1);

    return LB_OK;
}


lb_int_t
lb_peers_loop(lb_cycle_t *cycle, lb_msec_t *wait)
{
    uint32_t    i;
    lb_peer_t  *p;

    lb_time_update();

    if (lb_current_msec >= lb_peers.role_at) {
        lb_peers_role();
    }

    if (lb_peers.listen_fd == -1 && lb_current_msec >= lb_peers.bind_retry) {
        (void) lb_peers_listen();
    }

    if (lb_peers.listen_fd != -1) {
        lb_peers_accept();
    }

    for (i = 0; i < lb_peers.conf->nnodes; i++) {
        p = &lb_peers.peers[i];

        if (i != lb_peers.conf->local_index && p->out == NULL
            && lb_current_msec >= p->retry_at)
        {
            lb_peers_connect(p);
        }
    }

    for (i = 0; i < lb_peers.nconns; i++) {
        if (lb_peers.conns[i].c != NULL) {
            lb_peers_pump(&lb_peers.conns[i]);
        }
    }

    if (lb_current_msec >= lb_peers.show_at) {
        lb_peers.show_at = lb_current_msec + LB_PEERS_SHOW_EVERY;
        lb_peers_show();
    }

    *wait = lb_min(*wait, (lb_msec_t) LB_PEERS_TICK);

    return LB_OK;
}


/* SPEC.md section 12: with peers.vip, the node that holds the VIP (as
 * keepalived gives it) is the active one; without, the first node of
 * peers.nodes is (a fixed primary). */
static void
lb_peers_role(void)
{
    uint8_t  role;

    lb_peers.role_at = lb_current_msec + LB_PEERS_ROLE_EVERY;

    if (lb_peers.conf->vip != NULL) {
        role = lb_peers_holds_vip(&lb_peers.conf->vip_addr)
               ? LB_ZONE_ROLE_ACTIVE : LB_ZONE_ROLE_STANDBY;
    } else {
        role = lb_peers.conf->local_index == 0
               ? LB_ZONE_ROLE_ACTIVE : LB_ZONE_ROLE_STANDBY;
    }

    if (role != lb_peers.role) {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "node \"%s\" is %s%s%s",
                     lb_peers.conf->local,
                     role == LB_ZONE_ROLE_ACTIVE ? "active" : "standby",
                     lb_peers.conf->vip != NULL ? ": VIP " : "",
                     lb_peers.conf->vip != NULL
                     ? (role == LB_ZONE_ROLE_ACTIVE ? "held" : "not held")
                     : "");
        lb_peers.role = role;
        lb_peers.show_at = 0;
    }
}


static bool
lb_peers_holds_vip(const lb_sockaddr_t *vip)
{
    bool             held;
    struct ifaddrs  *ifa, *i;

    if (getifaddrs(&ifa) == -1) {
        lb_log_error(LB_LOG_ERR, &lb_log, errno, "getifaddrs() failed");
        /* keep the role we had */
        return lb_peers.role == LB_ZONE_ROLE_ACTIVE;
    }

    held = false;

    for (i = ifa; i != NULL && !held; i = i->ifa_next) {
        if (i->ifa_addr == NULL
            || i->ifa_addr->sa_family != vip->sa.ss_family)
        {
            continue;
        }

        if (vip->sa.ss_family == AF_INET) {
            held = memcmp(&((struct sockaddr_in *) i->ifa_addr)->sin_addr,
                          &((const struct sockaddr_in *) &vip->sa)->sin_addr,
                          sizeof(struct in_addr)) == 0;
        } else {
            held = memcmp(&((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr,
                          &((const struct sockaddr_in6 *) &vip->sa)
                          ->sin6_addr, sizeof(struct in6_addr)) == 0;
        }
    }

    freeifaddrs(ifa);

    return held;
}


/* the status the admin process shows (lb_zone_cluster_t) */
static void
lb_peers_show(void)
{
    uint32_t            i, n;
    lb_peer_t          *p;
    const char         *active;
    lb_zone_cluster_t   c;

    memset(&c, 0, sizeof(c));
    c.role = lb_peers.role;
    active = (lb_peers.role == LB_ZONE_ROLE_ACTIVE) ? lb_peers.conf->local
                                                    : NULL;
    n = 0;

    for (i = 0; i < lb_peers.conf->nnodes && n < LB_ZONE_PEERS_MAX; i++) {
        if (i == lb_peers.conf->local_index) {
            continue;
        }

        p = &lb_peers.peers[i];

        snprintf(c.peers[n].name, LB_ZONE_PEER_NAME, "%s", p->node->name);
        c.peers[n].role = p->role;
        c.peers[n].out = p->out != NULL
                         && (p->out->state == LB_PEERS_S_STREAM
                             || p->out->state == LB_PEERS_S_FULL);
        c.peers[n].in = p->in != NULL;
        c.peers[n].acked = p->acked;
        c.peers[n].applied = p->in_applied;
        c.peers[n].full_copies = p->full_copies;
        c.peers[n].config_version = p->conf_version;
        n++;

        if (active == NULL && p->in != NULL && p->role == LB_ZONE_ROLE_ACTIVE)
        {
            active = p->node->name;
        }
    }

    c.npeers = n;
    snprintf(c.active, LB_ZONE_PEER_NAME, "%s", active != NULL ? active : "");

    lb_zone_cluster_set(lb_zone_journal, &c);
}


/* HELLO and this node's STATE, the start of an outgoing connection */
static void
lb_peers_send_hello(lb_peers_conn_t *pc)
{
    lb_peers_msg_t  m;

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_HELLO;
    m.name.data = (const uint8_t *) lb_peers.conf->local;
    m.name.len = strlen(lb_peers.conf->local);
    m.id = lb_zone_journal->epoch;
    (void) lb_peers_send(pc, &m);

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_STATE;
    m.role = lb_peers.role;
    m.id = __atomic_load_n(&lb_zone_journal->conf_version, __ATOMIC_ACQUIRE);
    (void) lb_peers_send(pc, &m);

    pc->peer->conf_sending = 0;
    pc->peer->conf_sent = 0;
}


lb_int_t
lb_peers_quit(lb_cycle_t *cycle, bool fast)
{
    return LB_DONE;
}


static void
lb_peers_noop(lb_event_t *ev)
{
    /* the loop looks at every connection each time it wakes */
}


static lb_int_t
lb_peers_listen(void)
{
    int                    fd, one;
    const lb_peer_node_t  *local;

    local = &lb_peers.conf->nodes[lb_peers.conf->local_index];
    lb_peers.bind_retry = lb_current_msec + LB_PEERS_RETRY;

    fd = socket(local->addr.sa.ss_family,
                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno, "socket() failed for "
                     "the peers' address %s", local->addr.text);
        return LB_ERROR;
    }

    one = 1;
    (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    if (bind(fd, (const struct sockaddr *) &local->addr.sa,
             local->addr.socklen) == -1
        || listen(fd, 16) == -1)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, errno, "listening on the peers' "
                     "address %s of node \"%s\" failed; trying again in "
                     "%d ms", local->addr.text, local->name, LB_PEERS_RETRY);
        (void) close(fd);
        return LB_ERROR;
    }

    lb_peers.listen_fd = fd;

    return LB_OK;
}


static void
lb_peers_accept(void)
{
    int               fd, one;
    lb_connection_t  *c;
    lb_peers_conn_t  *pc;

    for ( ;; ) {
        fd = accept4(lb_peers.listen_fd, NULL, NULL,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno != EAGAIN && errno != EINTR) {
                lb_log_error(LB_LOG_ERR, &lb_log, errno,
                             "accept() on the peers' address failed");
            }
            return;
        }

        one = 1;
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

        c = lb_get_connection(fd);
        if (c == NULL) {
            (void) close(fd);
            return;
        }

        pc = lb_peers_conn_get(c);
        if (pc == NULL) {
            lb_log_error(LB_LOG_WARN, &lb_log, 0, "too many unnamed "
                         "connections on the peers' address: one closed");
            lb_close_connection(c);
            continue;
        }

        pc->state = LB_PEERS_S_NEW;
        pc->outgoing = 0;
        pc->handshake = 0;

        if (lb_peers.tls_server != NULL) {
            if (lb_ssl_create_connection(lb_peers.tls_server, c,
                                         LB_SSL_SERVER)
                != LB_OK)
            {
                lb_peers_close(pc, "no TLS state");
                continue;
            }
            pc->handshake = 1;
        }
    }
}


static void
lb_peers_connect(lb_peer_t *p)
{
    int               err;
    lb_int_t          rc;
    lb_connection_t  *c;
    lb_peers_conn_t  *pc;

    p->retry_at = lb_current_msec + LB_PEERS_RETRY;

    rc = lb_event_connect((const struct sockaddr *) &p->node->addr.sa,
                          p->node->addr.socklen, &c, &err);

    if (rc == LB_DECLINED || rc == LB_ERROR) {
        lb_log_error(LB_LOG_INFO, &lb_log, err, "connecting to peer \"%s\" "
                     "at %s failed", p->node->name, p->node->addr.text);
        return;
    }

    pc = lb_peers_conn_get(c);
    if (pc == NULL) {
        lb_close_connection(c);
        return;
    }

    pc->peer = p;
    pc->outgoing = 1;
    pc->handshake = 0;
    pc->state = (rc == LB_OK) ? LB_PEERS_S_HELLO : LB_PEERS_S_CONNECTING;
    p->out = pc;

    if (rc == LB_OK) {
        lb_peers_connected(pc);
    }
}


/* An outgoing connection is up: HELLO, or first the TLS handshake */
static void
lb_peers_connected(lb_peers_conn_t *pc)
{
    if (lb_peers.tls_client == NULL) {
        lb_peers_send_hello(pc);
        return;
    }

    if (lb_ssl_create_connection(lb_peers.tls_client, pc->c, LB_SSL_CLIENT)
        != LB_OK)
    {
        lb_peers_close(pc, "no TLS state");
        return;
    }

    pc->handshake = 1;
}


/* One step of pc's TLS handshake (the loop calls it every tick until it
 * ends): LB_OK when done (an outgoing side then sends HELLO), LB_AGAIN,
 * or LB_ERROR when pc was closed, saying why. */
static lb_int_t
lb_peers_handshake(lb_peers_conn_t *pc)
{
    long        v;
    char        why[256];
    lb_int_t    rc;

    rc = lb_ssl_handshake(pc->c);

    if (rc == LB_AGAIN) {
        if (lb_current_msec - pc->last_in > LB_PEERS_DEAD) {
            lb_peers_close(pc, "TLS handshake timed out");
            return LB_ERROR;
        }
        return LB_AGAIN;
    }

    if (rc != LB_OK) {
        v = SSL_get_verify_result(pc->c->ssl->ssl);

        if (v != X509_V_OK) {
            snprintf(why, sizeof(why), "TLS handshake failed: the peer's "
                     "certificate is refused: %s (peers.tls.ca)",
                     X509_verify_cert_error_string(v));
        } else {
            snprintf(why, sizeof(why), "TLS handshake failed (the reason "
                     "is in the line before: e.g. the peer refused this "
                     "node's certificate)");
        }

        lb_peers_close(pc, why);
        return LB_ERROR;
    }

    pc->handshake = 0;
    pc->last_in = lb_current_msec;

    if (pc->outgoing) {
        lb_peers_send_hello(pc);
    }

    return LB_OK;
}


/* a free slot for c, its handlers set; NULL when none (the caller closes
 * c) */
static lb_peers_conn_t *
lb_peers_conn_get(lb_connection_t *c)
{
    uint32_t          i, unnamed;
    lb_peers_conn_t  *pc, *free_pc;

    free_pc = NULL;
    unnamed = 0;

    for (i = 0; i < lb_peers.nconns; i++) {
        pc = &lb_peers.conns[i];

        if (pc->c == NULL) {
            if (free_pc == NULL) {
                free_pc = pc;
            }
        } else if (pc->peer == NULL) {
            unnamed++;
        }
    }

    if (free_pc == NULL || unnamed >= LB_PEERS_PENDING) {
        return NULL;
    }

    pc = free_pc;
    pc->c = c;
    pc->peer = NULL;
    pc->ilen = 0;
    pc->ostart = 0;
    pc->oend = 0;
    pc->last_in = lb_current_msec;
    pc->last_out = lb_current_msec;

    c->data = pc;
    c->read->handler = lb_peers_noop;
    c->write->handler = lb_peers_noop;

    if (c->read->active == 0 && lb_event_add_connection(c) != LB_OK) {
        pc->c = NULL;
        return NULL;
    }

    return pc;
}


static void
lb_peers_close(lb_peers_conn_t *pc, const char *why)
{
    lb_peer_t  *p;

    p = pc->peer;

    lb_log_error(LB_LOG_WARN, &lb_log, 0, "%s connection %s peer \"%s\" "
                 "closed: %s", pc->outgoing ? "outgoing" : "incoming",
                 pc->outgoing ? "to" : "from", lb_peers_name(pc), why);

    if (p != NULL) {
        if (p->out == pc) {
            p->out = NULL;
            p->retry_at = lb_current_msec + LB_PEERS_RETRY;
        }
        if (p->in == pc) {
            p->in = NULL;
            /* a full copy cut short: resync when it comes back */
            if (p->in_full != 0) {
                p->in_full = 0;
                p->in_applied = 0;
            }
        }
    }

    lb_close_connection(pc->c);
    pc->c = NULL;
    pc->peer = NULL;
}


static const char *
lb_peers_name(const lb_peers_conn_t *pc)
{
    return pc->peer != NULL ? pc->peer->node->name : "(not named yet)";
}


static void
lb_peers_pump(lb_peers_conn_t *pc)
{
    int              err;
    lb_peers_msg_t   m;

    if (pc->state == LB_PEERS_S_CONNECTING) {
        if (!pc->c->write->ready && !pc->c->write->error) {
            if (lb_current_msec - pc->last_in > LB_PEERS_DEAD) {
                lb_peers_close(pc, "connect() timed out");
            }
            return;
        }

        err = lb_event_connect_result(pc->c);
        if (err != 0) {
            lb_log_error(LB_LOG_INFO, &lb_log, err, "connecting to peer "
                         "\"%s\" at %s failed", pc->peer->node->name,
                         pc->peer->node->addr.text);
            lb_peers_close(pc, "connect() failed");
            return;
        }

        pc->state = LB_PEERS_S_HELLO;
        pc->last_in = lb_current_msec;

        lb_peers_connected(pc);

        if (pc->c == NULL) {
            return;
        }
    }

    if (pc->handshake && lb_peers_handshake(pc) != LB_OK) {
        return;
    }

    if (lb_peers_read(pc) != LB_OK) {
        return;
    }

    if (pc->outgoing) {
        lb_peers_fill(pc);
    }

    if (pc->peer != NULL
        && lb_current_msec - pc->last_out >= LB_PEERS_HEARTBEAT
        && (pc->state == LB_PEERS_S_READY || pc->state == LB_PEERS_S_STREAM))
    {
        /* alive: say so (the receiver's heartbeat is its ACK, the
         * sender's its STATE) */
        memset(&m, 0, sizeof(m));
        if (pc->outgoing) {
            m.type = LB_PEERS_STATE;
            m.role = lb_peers.role;
            m.id = __atomic_load_n(&lb_zone_journal->conf_version,
                                   __ATOMIC_ACQUIRE);
        } else {
            m.type = LB_PEERS_ACK;
            m.id = pc->peer->in_applied;
        }
        (void) lb_peers_send(pc, &m);
    }

    if (lb_peers_write(pc) != LB_OK) {
        return;
    }

    if (lb_current_msec - pc->last_in > LB_PEERS_DEAD) {
        lb_peers_close(pc, "nothing received for 3 s");
    }
}


/* Read what there is and handle every whole frame; LB_OK, or LB_ERROR
 * when pc was closed. */
static lb_int_t
lb_peers_read(lb_peers_conn_t *pc)
{
    size_t           off, used;
    ssize_t          n;
    const char      *why;
    lb_peers_msg_t   m;

    for ( ;; ) {
        if (pc->ilen < sizeof(pc->ibuf)) {
            if (pc->c->ssl != NULL) {
                n = lb_ssl_recv(pc->c, (char *) pc->ibuf + pc->ilen,
                                sizeof(pc->ibuf) - pc->ilen);

                if (n == LB_AGAIN) {
                    break;
                }

                if (n == LB_ERROR) {
                    lb_peers_close(pc, pc->c->ssl->err != 0
                                       ? strerror(pc->c->ssl->err)
                                       : "TLS error");
                    return LB_ERROR;
                }

            } else {
                n = recv(pc->c->fd, pc->ibuf + pc->ilen,
                         sizeof(pc->ibuf) - pc->ilen, 0);
            }

            if (n == 0) {
                lb_peers_close(pc, pc->ilen != 0 ? "closed in the middle "
                               "of a message" : "closed by the peer");
                return LB_ERROR;
            }

            if (n == -1) {
                if (errno == EAGAIN || errno == EINTR) {
                    break;
                }
                lb_peers_close(pc, strerror(errno));
                return LB_ERROR;
            }

            pc->ilen += (size_t) n;
            pc->last_in = lb_current_msec;
        }

        off = 0;

        for ( ;; ) {
            /* an answer waits for room in the output buffer */
            if (sizeof(pc->obuf) - pc->oend < LB_PEERS_FRAME
                && pc->ostart == 0)
            {
                break;
            }

            why = "?";
            switch (lb_peers_msg_parse(pc->ibuf + off, pc->ilen - off, &m,
                                       &used, &why))
            {
            case LB_OK:
                break;

            case LB_AGAIN:
                goto consumed;

            default:
                lb_peers_close(pc, why);
                return LB_ERROR;
            }

            if (lb_peers_handle(pc, &m) != LB_OK) {
                return LB_ERROR;
            }

            off += used;
        }

    consumed:

        if (off != 0) {
            memmove(pc->ibuf, pc->ibuf + off, pc->ilen - off);
            pc->ilen -= off;

        } else if (pc->ilen == sizeof(pc->ibuf)) {
            /* full, and no frame taken: wait for the output to drain */
            break;
        }
    }

    /* everything read so far is applied: acknowledge it */
    if (!pc->outgoing && pc->peer != NULL && pc->peer->in_full == 0
        && pc->peer->in_applied != pc->peer->in_acked)
    {
        lb_peers_msg_t  a;

        memset(&a, 0, sizeof(a));
        a.type = LB_PEERS_ACK;
        a.id = pc->peer->in_applied;
        if (lb_peers_send(pc, &a)) {
            pc->peer->in_acked = a.id;
        }
    }

    return LB_OK;
}


static lb_int_t
lb_peers_write(lb_peers_conn_t *pc)
{
    ssize_t  n;

    while (pc->ostart < pc->oend) {
        if (pc->c->ssl != NULL) {
            /* unsent bytes stay first in obuf, as lb_ssl_send() wants */
            n = lb_ssl_send(pc->c, (const char *) pc->obuf + pc->ostart,
                            pc->oend - pc->ostart);

            if (n == LB_AGAIN) {
                break;
            }

            if (n == LB_ERROR) {
                lb_peers_close(pc, pc->c->ssl->err != 0
                                   ? strerror(pc->c->ssl->err)
                                   : "TLS error");
                return LB_ERROR;
            }

            pc->ostart += (size_t) n;
            continue;
        }

        n = send(pc->c->fd, pc->obuf + pc->ostart, pc->oend - pc->ostart,
                 MSG_NOSIGNAL);

        if (n == -1) {
            if (errno == EAGAIN || errno == EINTR) {
                break;
            }
            lb_peers_close(pc, strerror(errno));
            return LB_ERROR;
        }

        pc->ostart += (size_t) n;
    }

    if (pc->ostart == pc->oend) {
        pc->ostart = 0;
        pc->oend = 0;

    } else if (pc->ostart > sizeof(pc->obuf) / 2) {
        memmove(pc->obuf, pc->obuf + pc->ostart, pc->oend - pc->ostart);
        pc->oend -= pc->ostart;
        pc->ostart = 0;
    }

    return LB_OK;
}


/* Queue m; false when the buffer has no room for it now. */
static bool
lb_peers_send(lb_peers_conn_t *pc, const lb_peers_msg_t *m)
{
    size_t  n;

    if (sizeof(pc->obuf) - pc->oend < LB_PEERS_FRAME && pc->ostart != 0) {
        memmove(pc->obuf, pc->obuf + pc->ostart, pc->oend - pc->ostart);
        pc->oend -= pc->ostart;
        pc->ostart = 0;
    }

    n = lb_peers_msg_write(pc->obuf + pc->oend, sizeof(pc->obuf) - pc->oend,
                           m);
    if (n == 0) {
        return false;
    }

    pc->oend += n;
    pc->last_out = lb_current_msec;

    return true;
}


static lb_int_t
lb_peers_handle(lb_peers_conn_t *pc, lb_peers_msg_t *m)
{
    uint32_t         i;
    lb_peer_t       *p;
    lb_peers_msg_t   a;

    p = pc->peer;

    switch (pc->state) {

    case LB_PEERS_S_NEW:
        if (m->type != LB_PEERS_HELLO) {
            lb_peers_close(pc, "the first message is not HELLO");
            return LB_ERROR;
        }

        for (i = 0; i < lb_peers.conf->nnodes; i++) {
            if (i != lb_peers.conf->local_index
                && strlen(lb_peers.conf->nodes[i].name) == m->name.len
                && memcmp(lb_peers.conf->nodes[i].name, m->name.data,
                          m->name.len) == 0)
            {
                break;
            }
        }

        if (i == lb_peers.conf->nnodes) {
            lb_peers_close(pc, "HELLO from a node the peers block does not "
                           "name");
            return LB_ERROR;
        }

        p = &lb_peers.peers[i];

        if (p->in != NULL) {
            lb_peers_close(p->in, "replaced by a new connection");
        }

        pc->peer = p;
        pc->state = LB_PEERS_S_READY;
        p->in = pc;

        if (p->in_epoch != m->id) {
            /* another journal (the peer restarted): nothing of it here */
            p->in_epoch = m->id;
            p->in_applied = 0;
        }

        p->in_full = 0;
        p->in_acked = p->in_applied;

        memset(&a, 0, sizeof(a));
        a.type = LB_PEERS_WELCOME;
        a.name.data = (const uint8_t *) lb_peers.conf->local;
        a.name.len = strlen(lb_peers.conf->local);
        a.id = p->in_applied;
        (void) lb_peers_send(pc, &a);

        lb_log_error(LB_LOG_INFO, &lb_log, 0, "peer \"%s\" connected: its "
                     "updates after id %llu are wanted", p->node->name,
                     (unsigned long long) p->in_applied);
        return LB_OK;

    case LB_PEERS_S_READY:
        switch (m->type) {

        case LB_PEERS_STATE:
            if (m->role != p->role) {
                lb_log_error(LB_LOG_INFO, &lb_log, 0, "peer \"%s\" says "
                             "it is %s", p->node->name,
                             m->role == LB_ZONE_ROLE_ACTIVE ? "active"
                                                            : "standby");
                p->role = m->role;
            }
            p->conf_version = m->id;
            return LB_OK;

        case LB_PEERS_CONF_BEGIN:
        case LB_PEERS_CONF_PART:
        case LB_PEERS_CONF_END:
            return lb_peers_conf_msg(pc, m);

        case LB_PEERS_FULL_BEGIN:
            p->in_full = m->id;
            return LB_OK;

        case LB_PEERS_FULL_END:
            if (p->in_full == 0 || m->id != p->in_full) {
                break;
            }
            p->in_full = 0;
            p->in_applied = m->id - 1;
            lb_log_error(LB_LOG_INFO, &lb_log, 0, "full copy from peer "
                         "\"%s\" applied (%llu bindings so far)",
                         p->node->name, (unsigned long long) p->applied);
            return LB_OK;

        case LB_PEERS_ENTRY:
            if (p->in_full == 0) {
                break;
            }
            lb_peers_apply(p, m);
            return LB_OK;

        case LB_PEERS_UPDATE:
            if (p->in_full != 0) {
                break;
            }
            /* an id already applied comes again after a full copy: the
             * same binding, harmless. A gap is a record the sender's
             * journal lost (a writer died in the middle of it). */
            lb_peers_apply(p, m);
            if (m->id > p->in_applied) {
                p->in_applied = m->id;
            }
            return LB_OK;

        default:
            break;
        }

        break;

    case LB_PEERS_S_HELLO:
        if (m->type != LB_PEERS_WELCOME
            || strlen(p->node->name) != m->name.len
            || memcmp(p->node->name, m->name.data, m->name.len) != 0)
        {
            lb_peers_close(pc, "no WELCOME from the node expected");
            return LB_ERROR;
        }

        p->acked = m->id;

        {
            int32_t                 n;
            uint64_t                next;
            lb_zone_journal_rec_t   r;

            /* resume when what it lacks is still in the journal */
            n = (m->id == 0) ? -1
                : lb_zone_journal_read(lb_zone_journal, m->id + 1, &r, 0,
                                       &next);

            if (n >= 0 && m->id < lb_zone_journal_next(lb_zone_journal)) {
                p->sent = m->id + 1;
                pc->state = LB_PEERS_S_STREAM;
                lb_log_error(LB_LOG_INFO, &lb_log, 0, "peer \"%s\": "
                             "resuming after update id %llu",
                             p->node->name, (unsigned long long) m->id);
            } else {
                pc->state = LB_PEERS_S_FULL;
                lb_peers_full_start(p);
            }
        }

        return LB_OK;

    case LB_PEERS_S_FULL:
    case LB_PEERS_S_STREAM:
        if (m->type == LB_PEERS_ACK) {
            if (m->id > p->acked && m->id < p->sent) {
                p->acked = m->id;
                lb_log_error(LB_LOG_DEBUG, &lb_log, 0, "peer \"%s\" "
                             "acknowledged update id %llu", p->node->name,
                             (unsigned long long) m->id);
            }
            return LB_OK;
        }
        break;
    }

    lb_peers_close(pc, "a message out of turn");

    return LB_ERROR;
}


/* An outgoing connection: queue what the peer lacks while there is room. */
static void
lb_peers_fill(lb_peers_conn_t *pc)
{
    int32_t                 n, i;
    uint64_t                next;
    lb_peer_t              *p;
    lb_zone_journal_rec_t   recs[LB_PEERS_BATCH];

    p = pc->peer;

    if (pc->state == LB_PEERS_S_FULL) {
        if (!lb_peers_fill_full(pc)) {
            return;
        }
        pc->state = LB_PEERS_S_STREAM;
        p->sent = p->full_id;
    }

    if (pc->state != LB_PEERS_S_STREAM) {
        return;
    }

    lb_peers_fill_conf(pc);

    for ( ;; ) {
        /* room for a whole batch, so that none is read twice */
        if (sizeof(pc->obuf) - (pc->oend - pc->ostart)
            < LB_PEERS_BATCH * LB_PEERS_FRAME / 4)
        {
            return;
        }

        n = lb_zone_journal_read(lb_zone_journal, p->sent, recs,
                                 LB_PEERS_BATCH, &next);

        if (n == -1) {
            lb_log_error(LB_LOG_WARN, &lb_log, 0, "peer \"%s\" fell behind "
                         "the journal (at %llu, oldest kept %llu): full "
                         "copy", p->node->name,
                         (unsigned long long) p->sent,
                         (unsigned long long) (next - LB_ZONE_JOURNAL_SLOTS));
            pc->state = LB_PEERS_S_FULL;
            lb_peers_full_start(p);
            return;
        }

        for (i = 0; i < n; i++) {
            if (!lb_peers_send_binding(pc, LB_PEERS_UPDATE, recs[i].id,
                                       recs[i].op, recs[i].table,
                                       recs[i].key, recs[i].key_len,
                                       recs[i].value, recs[i].value_len,
                                       recs[i].ttl))
            {
                /* no room after all: read again from here */
                p->sent = recs[i].id;
                return;
            }
        }

        p->sent = next;

        if (n < LB_PEERS_BATCH) {
            return;
        }
    }
}


static void
lb_peers_full_start(lb_peer_t *p)
{
    lb_shm_off_t      off;
    lb_zone_table_t  *t;
    lb_peers_msg_t    m;

    p->full_id = lb_zone_journal_next(lb_zone_journal);
    p->full_copies++;
    p->full_table = 0;
    p->full_entry = 1;
    p->ntables = 0;

    /* the names now; each table is looked up again as it is copied */
    if (lb_zone_lock(lb_peers.zone) == LB_OK) {
        for (off = lb_zone_root(lb_peers.zone)->tables; off != 0;
             off = t->next)
        {
            t = lb_shm_ptr(lb_peers.zone, off);

            if (t->journal && p->ntables < LB_PEERS_MAX_TABLES) {
                memcpy(p->tables[p->ntables++], t->name,
                       LB_ZONE_TABLE_NAME_LEN + 1);
            }
        }

        lb_zone_unlock(lb_peers.zone);
    }

    lb_log_error(LB_LOG_INFO, &lb_log, 0, "peer \"%s\": sending a full copy "
                 "of %u table(s), then the updates from id %llu",
                 p->node->name, p->ntables,
                 (unsigned long long) p->full_id);

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_FULL_BEGIN;
    m.id = p->full_id;
    (void) lb_peers_send(p->out, &m);
}


/* Copy entries while there is room; true once FULL-END is queued. */
static bool
lb_peers_fill_full(lb_peers_conn_t *pc)
{
    size_t            klen;
    uint32_t          n;
    lb_msec_t         left;
    lb_peer_t        *p;
    lb_zone_table_t  *t;
    lb_peers_msg_t    m;
    uint8_t           key[LB_ZONE_TABLE_MAX_KEY];
    uint8_t           value[LB_ZONE_TABLE_MAX_VALUE];

    p = pc->peer;

    while (p->full_table < p->ntables) {
        t = lb_zone_table_find_name(lb_peers.zone,
                                    p->tables[p->full_table]);

        for ( ;; ) {
            if (t == NULL) {
                break;
            }

            if (sizeof(pc->obuf) - (pc->oend - pc->ostart)
                < 2 * LB_PEERS_FRAME)
            {
                return false;
            }

            n = lb_zone_table_next(t, p->full_entry, lb_current_msec, key,
                                   &klen, value, &left);
            if (n == 0) {
                break;
            }

            p->full_entry = n + 1;

            if (t->value_size > LB_ZONE_JOURNAL_VALUE) {
                continue;
            }

            (void) lb_peers_send_binding(pc, LB_PEERS_ENTRY, 0,
                                         LB_ZONE_JOURNAL_SET, t->name, key,
                                         klen, value, t->value_size, left);
        }

        p->full_table++;
        p->full_entry = 1;
    }

    if (sizeof(pc->obuf) - (pc->oend - pc->ostart) < LB_PEERS_FRAME) {
        return false;
    }

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_FULL_END;
    m.id = p->full_id;

    return lb_peers_send(pc, &m);
}


/* Queue one binding; an APP_COOKIE value (this node's record id) goes as
 * the target's group id and address. false: no room. A binding whose
 * target is gone is left out (true). */
static bool
lb_peers_send_binding(lb_peers_conn_t *pc, uint8_t type, uint64_t id,
    uint8_t op, const char *table, const void *key, size_t klen,
    const void *value, size_t vlen, lb_msec_t ttl)
{
    uint32_t           rid;
    lb_peers_msg_t     m;
    lb_zone_target_t  *t;

    memset(&m, 0, sizeof(m));
    m.type = type;
    m.id = id;
    m.op = op;
    m.table.data = (const uint8_t *) table;
    m.table.len = strlen(table);
    m.key.data = key;
    m.key.len = klen;
    m.ttl = ttl > UINT32_MAX ? UINT32_MAX : (uint32_t) ttl;

    if (op == LB_ZONE_JOURNAL_SET) {
        if (strncmp(table, "app:", 4) == 0 && vlen == sizeof(uint32_t)) {
            memcpy(&rid, value, sizeof(uint32_t));
            t = lb_zone_target_by_id(lb_peers.zone, rid);

            if (t == NULL) {
                if (type == LB_PEERS_ENTRY) {
                    return true;
                }
                /* keep the id sequence whole: the peer gets a delete */
                m.op = LB_ZONE_JOURNAL_DELETE;

            } else {
                m.value_kind = LB_PEERS_VALUE_TARGET;
                m.group.data = (const uint8_t *) t->group_id;
                m.group.len = strlen(t->group_id);
                m.addr = t->addr;
            }

        } else {
            m.value_kind = LB_PEERS_VALUE_BYTES;
            m.value.data = value;
            m.value.len = vlen;
        }
    }

    return lb_peers_send(pc, &m);
}


typedef struct {
    const lb_peers_msg_t  *m;
    uint32_t               id;
} lb_peers_find_t;


static lb_int_t
lb_peers_find_target(lb_zone_target_t *t, void *data)
{
    lb_peers_find_t  *f;

    f = data;

    if (strlen(t->group_id) == f->m->group.len
        && memcmp(t->group_id, f->m->group.data, f->m->group.len) == 0
        && memcmp(&t->addr, &f->m->addr, sizeof(lb_zone_addr_t)) == 0)
    {
        f->id = t->id;
        return LB_DONE;
    }

    return LB_OK;
}


/* Write a binding of peer p into the local table of the same name (if
 * this node has it: its configuration has that target group). */
static void
lb_peers_apply(lb_peer_t *p, const lb_peers_msg_t *m)
{
    char              name[LB_ZONE_TABLE_NAME_LEN + 1];
    lb_zone_table_t  *t;
    lb_peers_find_t   f;
    const void       *value;

    memcpy(name, m->table.data, m->table.len);
    name[m->table.len] = '\0';

    t = lb_zone_table_find_name(lb_peers.zone, name);

    if (t == NULL || !t->journal || m->key.len > t->key_size) {
        p->skipped++;
        return;
    }

    if (m->op == LB_ZONE_JOURNAL_DELETE) {
        (void) lb_zone_table_delete(t, m->key.data, m->key.len);
        p->applied++;
        return;
    }

    if (m->value_kind == LB_PEERS_VALUE_TARGET) {
        f.m = m;
        f.id = 0;
        (void) lb_zone_target_walk(lb_peers.zone, lb_peers_find_target, &f);

        if (f.id == 0 || t->value_size != sizeof(uint32_t)) {
            p->skipped++;
            return;
        }

        value = &f.id;

    } else {
        if (m->value.len != t->value_size) {
            p->skipped++;
            return;
        }

        /* the HTTP_COOKIE secret: the first node listed keeps its own */
        if (strncmp(name, "http:", 5) == 0
            && p->index > lb_peers.conf->local_index)
        {
            p->skipped++;
            return;
        }

        value = m->value.data;
    }

    if (lb_zone_table_set(t, m->key.data, m->key.len, value,
                          lb_current_msec, m->ttl)
            == LB_OK
        && strncmp(name, "http:", 5) == 0)
    {
        /* the workers take the new secret at their next HTTP_COOKIE
         * request (lb_http_sticky.c) */
        __atomic_add_fetch(&lb_zone_journal->secret_gen, 1,
                           __ATOMIC_RELEASE);
    }

    p->applied++;
}


/* An outgoing connection: the configuration text of this node, when the
 * peer says an older version, in parts while there is room. */
static void
lb_peers_fill_conf(lb_peers_conn_t *pc)
{
    size_t           n;
    uint64_t         v;
    lb_peer_t       *p;
    lb_peers_msg_t   m;

    p = pc->peer;

    v = lb_zone_conf_version(lb_zone_journal, LB_ZONE_CONF_OUT);

    if (v != lb_peers.conf_out_version && v != 0) {
        if (lb_zone_conf_get(lb_zone_journal, LB_ZONE_CONF_OUT,
                             &lb_peers.conf_out_version, lb_peers.conf_out,
                             LB_PEERS_CONF_MAX, &lb_peers.conf_out_len)
            != LB_OK)
        {
            return;
        }
    }

    v = lb_peers.conf_out_version;

    if (p->conf_sending != 0 && p->conf_sending != v) {
        /* a newer one came meanwhile: the peer drops the part it has
         * when a new CONFIG-BEGIN comes */
        p->conf_sending = 0;
    }

    if (p->conf_sending == 0) {
        if (v == 0 || v <= p->conf_version || v == p->conf_sent) {
            return;
        }

        memset(&m, 0, sizeof(m));
        m.type = LB_PEERS_CONF_BEGIN;
        m.id = v;
        m.length = (uint32_t) lb_peers.conf_out_len;

        if (!lb_peers_send(pc, &m)) {
            return;
        }

        p->conf_sending = v;
        p->conf_off = 0;

        lb_log_error(LB_LOG_INFO, &lb_log, 0, "peer \"%s\" has configuration "
                     "version %llu: sending version %llu (%zu bytes)",
                     p->node->name, (unsigned long long) p->conf_version,
                     (unsigned long long) v, lb_peers.conf_out_len);
    }

    while (p->conf_off < lb_peers.conf_out_len) {
        if (sizeof(pc->obuf) - (pc->oend - pc->ostart) < 2 * LB_PEERS_FRAME) {
            return;
        }

        n = lb_min(lb_peers.conf_out_len - p->conf_off,
                   (size_t) LB_PEERS_PART_MAX);

        memset(&m, 0, sizeof(m));
        m.type = LB_PEERS_CONF_PART;
        m.value.data = (const uint8_t *) lb_peers.conf_out + p->conf_off;
        m.value.len = n;

        if (!lb_peers_send(pc, &m)) {
            return;
        }

        p->conf_off += n;
    }

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_CONF_END;
    m.id = v;

    if (lb_peers_send(pc, &m)) {
        p->conf_sent = v;
        p->conf_sending = 0;
    }
}


/* CONFIG-BEGIN, -PART, -END on an incoming connection: a newer version
 * than this node's goes to the admin process (LB_ZONE_CONF_IN), which
 * has the master write and apply it. */
static lb_int_t
lb_peers_conf_msg(lb_peers_conn_t *pc, const lb_peers_msg_t *m)
{
    uint64_t    mine;
    lb_peer_t  *p;

    p = pc->peer;

    switch (m->type) {

    case LB_PEERS_CONF_BEGIN:
        lb_peers.conf_in_from = p;
        lb_peers.conf_in_version = m->id;
        lb_peers.conf_in_len = m->length;
        lb_peers.conf_in_off = 0;
        return LB_OK;

    case LB_PEERS_CONF_PART:
        if (lb_peers.conf_in_from != p) {
            /* another peer began one since: this one is dropped */
            return LB_OK;
        }

        if (m->value.len > lb_peers.conf_in_len - lb_peers.conf_in_off) {
            lb_peers.conf_in_from = NULL;
            lb_peers_close(pc, "a configuration longer than announced");
            return LB_ERROR;
        }

        memcpy(lb_peers.conf_in + lb_peers.conf_in_off, m->value.data,
               m->value.len);
        lb_peers.conf_in_off += m->value.len;
        return LB_OK;

    default: /* LB_PEERS_CONF_END */
        if (lb_peers.conf_in_from != p) {
            return LB_OK;
        }

        lb_peers.conf_in_from = NULL;

        if (m->id != lb_peers.conf_in_version
            || lb_peers.conf_in_off != lb_peers.conf_in_len)
        {
            lb_peers_close(pc, "a configuration cut short");
            return LB_ERROR;
        }

        mine = __atomic_load_n(&lb_zone_journal->conf_version,
                               __ATOMIC_ACQUIRE);

        if (m->id <= mine
            || m->id <= lb_zone_conf_version(lb_zone_journal,
                                             LB_ZONE_CONF_IN))
        {
            return LB_OK;
        }

        lb_log_error(LB_LOG_INFO, &lb_log, 0, "configuration version %llu "
                     "from peer \"%s\" (this node has %llu): to the admin "
                     "process", (unsigned long long) m->id, p->node->name,
                     (unsigned long long) mine);

        (void) lb_zone_conf_put(lb_zone_journal, LB_ZONE_CONF_IN, m->id,
                                lb_peers.conf_in, lb_peers.conf_in_len);
        return LB_OK;
    }
}
