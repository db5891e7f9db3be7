/* weir: the sync process (lb_peers.h): the process, its listening socket
 * and connections (TLS: lb_peers_tls.c), the frames in and out, roles and
 * the cluster view; what the frames carry is in lb_peers_sync.c. */
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
#include "lb_peers_int.h"
#include "lb_peers_msg.h"
#include "lb_peers_tls.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_journal.h"
#include "lb_zone_table.h"

lb_peers_ctx_t  lb_peers;

static void lb_peers_noop(lb_event_t *ev);
static lb_int_t lb_peers_listen(void);
static void lb_peers_accept(void);
static void lb_peers_connect(lb_peer_t *p);
static lb_peers_conn_t *lb_peers_conn_get(lb_connection_t *c);
static void lb_peers_pump(lb_peers_conn_t *pc);
static lb_int_t lb_peers_read(lb_peers_conn_t *pc);
static lb_int_t lb_peers_write(lb_peers_conn_t *pc);
static lb_int_t lb_peers_handle(lb_peers_conn_t *pc, lb_peers_msg_t *m);
static void lb_peers_role(void);
static bool lb_peers_holds_vip(const lb_sockaddr_t *vip);
static void lb_peers_show(void);
static void lb_peers_send_hello(lb_peers_conn_t *pc);
static void lb_peers_connected(lb_peers_conn_t *pc);
static lb_int_t lb_peers_handshake(lb_peers_conn_t *pc);


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


void
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


const char *
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
bool
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
