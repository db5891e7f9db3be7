/* weir: the DSR packet path (lb_dsr.h). */
#define _GNU_SOURCE  /* recvmmsg(), sendmmsg() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_dsr.h"
#include "lb_dsr_flow.h"
#include "lb_dsr_neigh.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_hash.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_process.h"
#include "lb_time.h"
#include "lb_zone.h"

/* frames per recvmmsg()/sendmmsg() */
#define LB_DSR_BATCH          64
/* batches taken per wakeup before other events get their turn */
#define LB_DSR_ROUNDS         16
/* a frame with its virtio-net header; GRO and GSO frames (PACKET_VNET_HDR
 * hands them over whole and the kernel segments them again on send) are
 * up to 64 KB */
#define LB_DSR_VNET           sizeof(struct virtio_net_hdr)
#define LB_DSR_FRAME          (65536 + LB_DSR_VNET)
/* flows per worker: 24 bytes each */
#define LB_DSR_FLOWS          65536
/* how long a TCP flow lives after a FIN or RST was seen */
#define LB_DSR_CLOSING        10000
/* the idle timeout of a listener without timeout_client_data */
#define LB_DSR_TIMEOUT        300000
/* the worker's periodic work: sweep a share of the flow table, refresh
 * the targets' MAC addresses */
#define LB_DSR_TICK           1000
#define LB_DSR_SWEEP_SHARE    8
/* neighbour table dumps while every target is resolved: every Nth tick */
#define LB_DSR_NEIGH_EVERY    5

#define LB_ETH_HLEN           14
#define LB_ETH_P_IP           0x0800
#define LB_ETH_P_ARP          0x0806
#define LB_ARP_LEN            28

/* what the master found for a DSR listener; ls->data */
typedef struct {
    int                  ifindex;
    char                 ifname[IF_NAMESIZE];
    uint8_t              mac[6];
    uint32_t             vip;         /* network order */
    uint16_t             port;        /* network order */
    uint8_t              proto;       /* IPPROTO_TCP | IPPROTO_UDP */
    uint16_t             fanout;      /* PACKET_FANOUT group id */
    unsigned             arp:1;       /* answers ARP for the VIP */
} lb_dsr_listen_t;

/* a target as this worker's packet path sees it */
typedef struct {
    uint8_t              mac[6];
    unsigned             resolved:1;
    unsigned             reachable:1;
    unsigned             touched:1;   /* counters pending */
    uint32_t             addr;        /* IPv4, network order; 0: not IPv4 */
    uint64_t             packets;     /* not yet added to the zone */
    uint64_t             bytes;
} lb_dsr_peer_t;

/* a listener's group as the packet path sees it */
typedef struct {
    lb_balancer_group_t   *group;     /* NULL: no target group */
    lb_dsr_peer_t         *peers;     /* group->npeers */
    uintptr_t             *unusable;  /* bits: peers without a MAC */
    uintptr_t             *scratch;   /* a pick's tried bits */
    uint32_t               nunusable;
    uint32_t               words;
} lb_dsr_state_t;

typedef struct lb_dsr_port_s  lb_dsr_port_t;

/* a DSR listener in this worker */
struct lb_dsr_port_s {
    lb_listening_t        *ls;
    lb_dsr_listen_t       *dl;
    lb_balancer_group_t   *group;     /* st.group */
    lb_dsr_peer_t         *peers;     /* st.peers */
    lb_dsr_state_t         st;
    lb_dsr_state_t         prev;      /* for init_groups' undo */
    lb_msec_t              timeout;
    uint16_t               index;     /* in lb_dsr_ports[], from 1 */
    uint32_t               drops;     /* no usable target */
    lb_dsr_port_t         *next;
};

static lb_int_t lb_dsr_find_interface(lb_cycle_t *cycle, lb_listening_t *ls,
    lb_dsr_listen_t *dl);
static int lb_dsr_socket(const lb_listening_t *ls, const lb_dsr_listen_t *dl);
static uint16_t lb_dsr_fanout_id(lb_cycle_t *cycle, lb_listening_t *ls,
    lb_dsr_listen_t *dl);
static lb_int_t lb_dsr_init_worker(void);
static lb_int_t lb_dsr_port_state(lb_dsr_port_t *port,
    lb_balancer_group_t *g, lb_pool_t *pool, lb_dsr_state_t *st);
static void lb_dsr_port_switch(lb_dsr_port_t *port,
    const lb_dsr_state_t *st);
static void lb_dsr_read(lb_event_t *ev);
static bool lb_dsr_frame(lb_dsr_port_t *port, uint8_t *buf, size_t len,
    unsigned pkttype, size_t *out);
static lb_balancer_peer_t *lb_dsr_choose(lb_dsr_port_t *port,
    uint32_t saddr, uint16_t sport, const uint8_t *l4, bool tcp);
static void lb_dsr_flow_end(lb_dsr_flow_t *f);
static void lb_dsr_flush_counters(lb_dsr_port_t *port);
static size_t lb_dsr_arp(const lb_dsr_listen_t *dl, uint8_t *buf,
    size_t len);
static void lb_dsr_garp(const lb_dsr_port_t *port);
static void lb_dsr_tick(lb_event_t *ev);
static void lb_dsr_neigh_refresh(bool dump);
static void lb_dsr_neigh_found(uint32_t addr, const uint8_t *mac,
    bool reachable, void *data);
static bool lb_dsr_flow_expired(lb_dsr_flow_t *f, void *data);

static lb_dsr_port_t        *lb_dsr_ports;
static lb_dsr_port_t        *lb_dsr_by_index[UINT16_MAX + 1];
static uint16_t              lb_dsr_nports;
static bool                  lb_dsr_ready;
static lb_dsr_flow_table_t   lb_dsr_flows;
static lb_event_t            lb_dsr_timer;
static uint32_t              lb_dsr_ticks;
static uint8_t              *lb_dsr_bufs;
static struct mmsghdr        lb_dsr_rx[LB_DSR_BATCH];
static struct iovec          lb_dsr_rxiov[LB_DSR_BATCH];
static struct sockaddr_ll    lb_dsr_from[LB_DSR_BATCH];
static struct mmsghdr        lb_dsr_tx[LB_DSR_BATCH];
static struct iovec          lb_dsr_txiov[LB_DSR_BATCH];


/* --- the configuration and the master --- */

lb_int_t
lb_dsr_init_conf(lb_cycle_t *cycle)
{
    uint32_t             b, l;
    lb_int_t             rc;
    lb_listener_t       *lst;
    lb_load_balancer_t  *bal;

    rc = LB_OK;

    for (b = 0; b < cycle->conf->nbalancers; b++) {
        bal = &cycle->conf->balancers[b];

        if (bal->type != LB_BALANCER_NLB_L4_DSR) {
            continue;
        }

        for (l = 0; l < bal->nlisteners; l++) {
            lst = &bal->listeners[l];

            if (lst->addr.sa.ss_family != AF_INET) {
                lb_cycle_report(cycle, &bal->pos, "load_balancers[%s]."
                                "address: the NLB_L4_DSR packet path "
                                "forwards IPv4 only", bal->name);
                rc = LB_ERROR;
                break;
            }
        }
    }

    return rc;
}


lb_int_t
lb_dsr_open_listening(lb_cycle_t *cycle, lb_listening_t *ls)
{
    lb_dsr_listen_t  *dl;

    dl = lb_pcalloc(cycle->pool, sizeof(lb_dsr_listen_t));
    if (dl == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "out of memory");
        return LB_ERROR;
    }

    if (ls->addr.sa.ss_family != AF_INET) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "DSR listener \"%s\" on %s: "
                     "IPv4 only", ls->listener->name, ls->addr.text);
        return LB_ERROR;
    }

    dl->vip = ((struct sockaddr_in *) &ls->addr.sa)->sin_addr.s_addr;
    dl->port = ((struct sockaddr_in *) &ls->addr.sa)->sin_port;
    dl->proto = ls->listener->protocol == LB_LISTENER_UDP ? IPPROTO_UDP
                                                          : IPPROTO_TCP;
    /* one socket per balancer answers ARP: that of its first listener */
    dl->arp = ls->listener->index == 0;

    if (lb_dsr_find_interface(cycle, ls, dl) != LB_OK) {
        return LB_ERROR;
    }

    dl->fanout = lb_dsr_fanout_id(cycle, ls, dl);

    /* a socket taken over from the previous cycle stays: a second socket
     * of this slot in the fanout group would get a share of the flows
     * and nobody would read it while the master holds it */
    if (ls->fd == LB_INVALID_FD) {
        ls->fd = lb_dsr_socket(ls, dl);
        if (ls->fd == LB_INVALID_FD) {
            return LB_ERROR;
        }
    }

    ls->type = SOCK_RAW;
    ls->data = dl;

    if (ls->slot == 0) {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "DSR listener \"%s\" %s %s "
                     "on %s, fanout group %u", ls->listener->name,
                     dl->proto == IPPROTO_UDP ? "udp" : "tcp", ls->addr.text,
                     dl->ifname, (unsigned) dl->fanout);
    }

    return LB_OK;
}


/* The interface whose IPv4 subnet holds the VIP (the targets are on that
 * segment, SPEC 9), its index and MAC address. The VIP must not be an
 * address of this machine: the kernel would answer ARP and take the
 * flows itself. */
static lb_int_t
lb_dsr_find_interface(lb_cycle_t *cycle, lb_listening_t *ls,
    lb_dsr_listen_t *dl)
{
    int              fd;
    FILE            *fp;
    char             path[96], fwd[4];
    uint32_t         a, m;
    struct ifreq     ifr;
    struct ifaddrs  *ifs, *ifa;
    const char      *found;

    lb_unused(cycle);

    if (getifaddrs(&ifs) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "getifaddrs() failed");
        return LB_ERROR;
    }

    found = NULL;

    for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || ifa->ifa_netmask == NULL
            || ifa->ifa_addr->sa_family != AF_INET
            || (ifa->ifa_flags & IFF_LOOPBACK))
        {
            continue;
        }

        a = ((struct sockaddr_in *) ifa->ifa_addr)->sin_addr.s_addr;
        m = ((struct sockaddr_in *) ifa->ifa_netmask)->sin_addr.s_addr;

        if (a == dl->vip) {
            lb_log_error(LB_LOG_EMERG, &lb_log, 0, "DSR listener \"%s\": "
                         "%s is an address of %s; the VIP of an NLB_L4_DSR "
                         "balancer must be configured on no interface of "
                         "this machine", ls->listener->name, ls->addr.text,
                         ifa->ifa_name);
            freeifaddrs(ifs);
            return LB_ERROR;
        }

        if (found == NULL && (a & m) == (dl->vip & m)) {
            found = ifa->ifa_name;
            snprintf(dl->ifname, sizeof(dl->ifname), "%s", ifa->ifa_name);
        }
    }

    freeifaddrs(ifs);

    if (found == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "DSR listener \"%s\": no "
                     "interface has an IPv4 subnet holding %s (the targets "
                     "and the VIP of an NLB_L4_DSR balancer are on the "
                     "balancer's subnet)", ls->listener->name,
                     ls->addr.text);
        return LB_ERROR;
    }

    dl->ifindex = (int) if_nametoindex(dl->ifname);

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "socket() failed");
        return LB_ERROR;
    }

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dl->ifname);

    if (dl->ifindex == 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "DSR: the MAC address "
                     "of %s cannot be read", dl->ifname);
        close(fd);
        return LB_ERROR;
    }

    close(fd);
    memcpy(dl->mac, ifr.ifr_hwaddr.sa_data, 6);

    /* with forwarding on, the kernel would also route the VIP's frames
     * (to whoever answers ARP for it: weir) */
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
             dl->ifname);
    fp = fopen(path, "r");
    if (fp != NULL) {
        if (fgets(fwd, sizeof(fwd), fp) != NULL && fwd[0] == '1'
            && ls->slot == 0)
        {
            lb_log_error(LB_LOG_WARN, &lb_log, 0, "DSR listener \"%s\": "
                         "IP forwarding is on for %s, so the kernel routes "
                         "copies of the VIP's packets too; set "
                         "net.ipv4.conf.%s.forwarding=0", ls->listener->name,
                         dl->ifname, dl->ifname);
        }
        fclose(fp);
    }

    return LB_OK;
}


/* The same group id for every slot of a listener and every generation
 * (so a reload's new sockets share the old ones' group instead of
 * receiving copies of the same frames); distinct between listeners. */
static uint16_t
lb_dsr_fanout_id(lb_cycle_t *cycle, lb_listening_t *ls, lb_dsr_listen_t *dl)
{
    size_t            i;
    uint8_t           key[12];
    uint16_t          id;
    lb_listening_t   *o;
    lb_dsr_listen_t  *odl;

    memcpy(key, &dl->ifindex, 4);
    memcpy(key + 4, &dl->vip, 4);
    memcpy(key + 8, &dl->port, 2);
    key[10] = dl->proto;
    key[11] = 0;

    id = (uint16_t) lb_hash_stable64(0x647372, key, sizeof(key));

again:

    for (i = 0; i < cycle->listening.nelts; i++) {
        o = lb_array_at(&cycle->listening, lb_listening_t, i);
        if (o == ls || o->type != SOCK_RAW || o->data == NULL) {
            continue;
        }

        odl = o->data;
        if (odl->fanout == id && o->listener != ls->listener) {
            id++;
            goto again;
        }
    }

    return id;
}


/* The packet socket: the filter is attached before the socket is bound
 * (protocol 0 receives nothing), so no frame of another kind is ever
 * queued on it. */
static int
lb_dsr_socket(const lb_listening_t *ls, const lb_dsr_listen_t *dl)
{
    int                  fd, one, fanout, rcvbuf;
    uint32_t             vip;
    struct sockaddr_ll   sll;
    struct sock_fprog    prog;

    vip = ntohl(dl->vip);

    /* jumps are relative: see the indices in the comments; 16 accepts,
     * 17 drops */
    struct sock_filter  code[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LB_ETH_P_ARP,
                         dl->arp ? 0 : 15, 4),
        /* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),      /* ARP op */
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 13),
        /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 38),      /* ARP tpa */
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vip, 10, 11),
        /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LB_ETH_P_IP, 0, 10),
        /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),      /* IP dst */
        /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vip, 0, 8),
        /* 9 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),      /* protocol */
        /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, dl->proto, 0, 6),
        /* 11 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),     /* fragment */
        /* 12 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
        /* 13 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),    /* IP hlen */
        /* 14 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),     /* dst port */
        /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(dl->port), 0, 1),
        /* 16 */ BPF_STMT(BPF_RET | BPF_K, 0x40000),
        /* 17 */ BPF_STMT(BPF_RET | BPF_K, 0),
    };

    fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "socket(AF_PACKET) for "
                     "DSR listener \"%s\" failed (the master needs "
                     "CAP_NET_RAW)", ls->listener->name);
        return LB_INVALID_FD;
    }

    prog.len = lb_nelems(code);
    prog.filter = code;
    one = 1;

    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog))
        == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "setsockopt(SO_ATTACH_FILTER) failed");
        goto failed;
    }

    /* frames come with their checksum and segmentation state: a packet
     * whose checksum the sender left to offload (veth, a local sender)
     * or that GRO merged goes out with the same state, and the kernel
     * completes it; without this it would leave with a bad checksum */
    if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))
        == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "setsockopt(PACKET_VNET_HDR) failed");
        goto failed;
    }

    /* our own forwarded frames are not to be read back (Linux 4.20;
     * older kernels: lb_dsr_read() skips PACKET_OUTGOING) */
    (void) setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
                      sizeof(one));

    rcvbuf = 4 * 1024 * 1024;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf))
        == -1)
    {
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }

    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = dl->ifindex;

    if (bind(fd, (struct sockaddr *) &sll, sizeof(sll)) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "bind() of the DSR "
                     "socket to %s failed", dl->ifname);
        goto failed;
    }

    fanout = dl->fanout | (PACKET_FANOUT_HASH << 16);

    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout))
        == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "setsockopt(PACKET_FANOUT, %u) failed",
                     (unsigned) dl->fanout);
        goto failed;
    }

    return fd;

failed:

    close(fd);
    return LB_INVALID_FD;
}


/* --- the worker --- */

static lb_int_t
lb_dsr_init_worker(void)
{
    uint32_t  i;

    if (lb_dsr_ready) {
        return LB_OK;
    }

    if (lb_dsr_flow_init(&lb_dsr_flows, LB_DSR_FLOWS) != LB_OK
        || lb_dsr_neigh_open() != LB_OK)
    {
        return LB_ERROR;
    }

    /* the frames' memory, once: the packet path allocates nothing */
    lb_dsr_bufs = malloc((size_t) LB_DSR_BATCH * LB_DSR_FRAME);
    if (lb_dsr_bufs == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "out of memory");
        return LB_ERROR;
    }

    for (i = 0; i < LB_DSR_BATCH; i++) {
        lb_dsr_rxiov[i].iov_base = lb_dsr_bufs + (size_t) i * LB_DSR_FRAME;
        lb_dsr_rxiov[i].iov_len = LB_DSR_FRAME;
        lb_dsr_rx[i].msg_hdr.msg_iov = &lb_dsr_rxiov[i];
        lb_dsr_rx[i].msg_hdr.msg_iovlen = 1;
        lb_dsr_tx[i].msg_hdr.msg_iov = &lb_dsr_txiov[i];
        lb_dsr_tx[i].msg_hdr.msg_iovlen = 1;
    }

    lb_dsr_timer.handler = lb_dsr_tick;
    lb_dsr_timer.data = NULL;
    lb_event_add_timer(&lb_dsr_timer, LB_DSR_TICK);

    lb_dsr_ready = true;

    return LB_OK;
}


lb_int_t
lb_dsr_init_listening(lb_cycle_t *cycle, lb_listening_t *ls)
{
    lb_listener_t    *lst;
    lb_dsr_port_t    *port;
    lb_connection_t  *c;

    if (lb_dsr_init_worker() != LB_OK) {
        return LB_ERROR;
    }

    lst = ls->listener;

    port = lb_pcalloc(cycle->pool, sizeof(lb_dsr_port_t));
    if (port == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "out of memory");
        return LB_ERROR;
    }

    port->ls = ls;
    port->dl = ls->data;
    port->index = ++lb_dsr_nports;
    port->timeout = lst->timeout_client_data ? lst->timeout_client_data
                                             : LB_DSR_TIMEOUT;

    if (lst->target_group != NULL) {
        if (lb_dsr_port_state(port, lb_balancer_group(lst->target_group),
                              cycle->pool, &port->st)
            != LB_OK)
        {
            return LB_ERROR;
        }

        port->group = port->st.group;
        port->peers = port->st.peers;
    }

    lb_dsr_by_index[port->index] = port;
    port->next = lb_dsr_ports;
    lb_dsr_ports = port;

    if (lb_event_add_listening(ls, NULL, 0) != LB_OK) {
        return LB_ERROR;
    }

    c = ls->connection;
    c->data = port;
    c->read->accept = 0;
    c->read->handler = lb_dsr_read;

    /* the targets' MAC addresses before the first packet */
    lb_dsr_neigh_refresh(true);

    if (port->dl->arp && ls->slot == 0) {
        lb_dsr_garp(port);
    }

    return LB_OK;
}


/* The packet path's state of g for port, from pool; every peer starts
 * unusable until its MAC is known. */
static lb_int_t
lb_dsr_port_state(lb_dsr_port_t *port, lb_balancer_group_t *g,
    lb_pool_t *pool, lb_dsr_state_t *st)
{
    uint32_t            i;
    lb_balancer_peer_t *p;

    memset(st, 0, sizeof(lb_dsr_state_t));

    if (g == NULL) {
        return LB_OK;
    }

    st->group = g;
    st->words = (g->npeers + LB_BALANCER_BITS - 1) / LB_BALANCER_BITS + 1;
    st->peers = lb_pcalloc(pool, (g->npeers + 1) * sizeof(lb_dsr_peer_t));
    st->unusable = lb_pcalloc(pool, st->words * sizeof(uintptr_t));
    st->scratch = lb_pcalloc(pool, st->words * sizeof(uintptr_t));

    if (st->peers == NULL || st->unusable == NULL || st->scratch == NULL) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0, "out of memory");
        return LB_ERROR;
    }

    for (i = 0; i < g->npeers; i++) {
        p = &g->peers[i];

        if (p->target->addr.sa.ss_family == AF_INET) {
            st->peers[i].addr = ((struct sockaddr_in *) &p->target->addr.sa)
                                    ->sin_addr.s_addr;

        } else {
            lb_log_error(LB_LOG_WARN, &lb_log, 0, "DSR listener \"%s\": "
                         "target %s is not IPv4: it gets no packets",
                         port->ls->listener->name, p->target->addr.text);
        }

        st->unusable[i / LB_BALANCER_BITS] |=
            (uintptr_t) 1 << (i % LB_BALANCER_BITS);
        st->nunusable++;
    }

    return LB_OK;
}


lb_int_t
lb_dsr_init_groups(lb_conf_t *conf, lb_shm_zone_t *zone, lb_pool_t *pool)
{
    lb_dsr_port_t       *port;
    lb_target_group_t   *tg;
    lb_dsr_state_t      *st;

    lb_unused(conf);
    lb_unused(zone);

    if (pool == NULL) {
        /* a later module failed: back to what the last call replaced */
        for (port = lb_dsr_ports; port != NULL; port = port->next) {
            if (port->prev.group != port->st.group) {
                lb_dsr_port_switch(port, &port->prev);
            }
        }
        return LB_OK;
    }

    /* everything that can fail first, into prev (unused until then):
     * the listeners were just pointed at conf's groups
     * (lb_worker_switch()) */
    for (port = lb_dsr_ports; port != NULL; port = port->next) {
        tg = port->ls->listener->target_group;

        if (lb_dsr_port_state(port, tg != NULL ? lb_balancer_group(tg)
                                               : NULL,
                              pool, &port->prev)
            != LB_OK)
        {
            return LB_ERROR;
        }
    }

    for (port = lb_dsr_ports; port != NULL; port = port->next) {
        st = &port->prev;
        lb_dsr_port_switch(port, st);
    }

    lb_dsr_neigh_refresh(true);

    return LB_OK;
}


/* Make st the state of port (what it replaces goes to port->prev): each
 * flow stays on its target when st's group has the same target (address
 * and port), else it ends. */
static void
lb_dsr_port_switch(lb_dsr_port_t *port, const lb_dsr_state_t *st)
{
    size_t               i, n;
    uint32_t             k;
    lb_dsr_flow_t       *f;
    lb_dsr_state_t       old;
    lb_balancer_peer_t  *op, *np;
    lb_balancer_group_t *og, *g;

    old = port->st;
    og = old.group;
    g = st->group;

    /* what the old peers counted goes to the zone now */
    lb_dsr_flush_counters(port);

    n = (size_t) (lb_dsr_flows.mask + 1) * LB_DSR_FLOW_WAYS;

    for (i = 0; og != NULL && i < n; i++) {
        f = &lb_dsr_flows.entries[i];
        if (f->port != port->index) {
            continue;
        }

        op = &og->peers[f->peer];
        np = NULL;

        for (k = 0; g != NULL && k < g->npeers; k++) {
            if (g->peers[k].target->addr.socklen
                    == op->target->addr.socklen
                && memcmp(&g->peers[k].target->addr.sa,
                          &op->target->addr.sa,
                          op->target->addr.socklen) == 0)
            {
                np = &g->peers[k];
                break;
            }
        }

        if (np == NULL) {
            lb_balancer_release(og, op, LB_BALANCER_DONE);
            lb_dsr_flow_remove(&lb_dsr_flows, f);
            continue;
        }

        /* the zone record is the same (group id + address): only this
         * worker's per-group counts move */
        op->conns--;
        np->conns++;
        f->peer = np->index;
    }

    port->st = *st;
    port->prev = old;
    port->group = port->st.group;
    port->peers = port->st.peers;
}


/* The read handler of a DSR socket: batches of frames in, the forwarded
 * ones out in one sendmmsg() per batch. */
static void
lb_dsr_read(lb_event_t *ev)
{
    int               n, i, ntx, sent;
    size_t            out;
    uint32_t          round;
    lb_dsr_port_t    *port;
    lb_connection_t  *c;
    struct msghdr    *mh;

    c = ev->data;
    port = c->data;

    for (round = 0; round < LB_DSR_ROUNDS; round++) {

        for (i = 0; i < LB_DSR_BATCH; i++) {
            mh = &lb_dsr_rx[i].msg_hdr;
            mh->msg_name = &lb_dsr_from[i];
            mh->msg_namelen = sizeof(struct sockaddr_ll);
            mh->msg_flags = 0;
        }

        n = recvmmsg(c->fd, lb_dsr_rx, LB_DSR_BATCH, MSG_DONTWAIT, NULL);

        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                ev->ready = 0;
                return;
            }

            if (errno == EINTR) {
                continue;
            }

            lb_log_error(LB_LOG_ALERT, &lb_log, errno, "recvmmsg() on the "
                         "DSR socket of \"%s\" failed",
                         port->ls->listener->name);
            return;
        }

        ntx = 0;

        for (i = 0; i < n; i++) {
            if (lb_dsr_rx[i].msg_hdr.msg_flags & MSG_TRUNC) {
                continue;
            }

            if (lb_dsr_frame(port, lb_dsr_rxiov[i].iov_base,
                             lb_dsr_rx[i].msg_len,
                             lb_dsr_from[i].sll_pkttype, &out))
            {
                lb_dsr_txiov[ntx].iov_base = lb_dsr_rxiov[i].iov_base;
                lb_dsr_txiov[ntx].iov_len = out;
                ntx++;
            }
        }

        /* the socket is bound to the interface: no address needed */
        for (sent = 0; sent < ntx; ) {
            i = sendmmsg(c->fd, &lb_dsr_tx[sent], ntx - sent, 0);
            if (i == -1) {
                if (errno == EINTR) {
                    continue;
                }

                /* a full queue or a frame the device refuses: drop the
                 * frame (its sender retransmits) and go on */
                if (errno != EAGAIN && errno != ENOBUFS) {
                    lb_log_error(LB_LOG_ERR, &lb_log, errno, "sendmmsg() "
                                 "on %s failed", port->dl->ifname);
                }
                sent++;
                continue;
            }
            sent += i;
        }

        lb_dsr_flush_counters(port);

        if (n < LB_DSR_BATCH) {
            ev->ready = 0;
            return;
        }
    }

    /* more is queued: after the other ready events */
    lb_event_post(ev);
}


/* One frame (after its virtio-net header) of buf[0..len): true when it
 * is to be sent back out as buf[0..*out) (forwarded to a target, or an
 * ARP reply written in its place). */
static bool
lb_dsr_frame(lb_dsr_port_t *port, uint8_t *buf, size_t len,
    unsigned pkttype, size_t *out)
{
    size_t               ihl, iplen;
    uint8_t             *eth, *ip, *l4;
    uint16_t             type, sport, frag;
    uint32_t             saddr, daddr;
    lb_dsr_peer_t       *dp;
    lb_dsr_listen_t     *dl;
    lb_balancer_peer_t  *p;

    dl = port->dl;

    if (pkttype == PACKET_OUTGOING || len < LB_DSR_VNET + LB_ETH_HLEN) {
        return false;
    }

    eth = buf + LB_DSR_VNET;
    len -= LB_DSR_VNET;
    type = (uint16_t) (eth[12] << 8 | eth[13]);

    if (type == LB_ETH_P_ARP) {
        if (!dl->arp) {
            return false;
        }

        len = lb_dsr_arp(dl, eth, len);
        if (len == 0) {
            return false;
        }

        memset(buf, 0, LB_DSR_VNET);
        *out = LB_DSR_VNET + len;
        return true;
    }

    /* only frames sent to this machine's MAC (to the VIP as resolved by
     * our ARP answers); the filter already checked address, protocol,
     * port and that it is no fragment */
    if (type != LB_ETH_P_IP || pkttype != PACKET_HOST
        || port->group == NULL || len < LB_ETH_HLEN + 20)
    {
        return false;
    }

    ip = eth + LB_ETH_HLEN;
    ihl = (size_t) (ip[0] & 0x0f) * 4;
    iplen = (size_t) (ip[2] << 8 | ip[3]);
    frag = (uint16_t) (ip[6] << 8 | ip[7]);

    if ((ip[0] >> 4) != 4 || ihl < 20 || (frag & 0x1fff) != 0
        || ip[9] != dl->proto || len < LB_ETH_HLEN + ihl + 4)
    {
        return false;
    }

    memcpy(&daddr, ip + 16, 4);
    l4 = ip + ihl;

    if (daddr != dl->vip || memcmp(l4 + 2, &dl->port, 2) != 0) {
        return false;
    }

    memcpy(&saddr, ip + 12, 4);
    memcpy(&sport, l4, 2);

    p = lb_dsr_choose(port, saddr, sport, l4,
                      dl->proto == IPPROTO_TCP
                      && len >= LB_ETH_HLEN + ihl + 14);
    if (p == NULL) {
        port->drops++;
        return false;
    }

    dp = &port->peers[p->index];

    memcpy(eth, dp->mac, 6);
    memcpy(eth + 6, dl->mac, 6);

    dp->packets++;
    dp->bytes += iplen;
    dp->touched = 1;

    *out = LB_DSR_VNET + LB_ETH_HLEN + lb_min(iplen, len - LB_ETH_HLEN);
    if (iplen > len - LB_ETH_HLEN || iplen == 0) {
        /* GSO frames carry 0 or the first segment's length: send it all */
        *out = LB_DSR_VNET + len;
    }

    return true;
}


/* The target of a flow: the one it has (still healthy and resolved),
 * else a fresh choice by the group's algorithm (SOURCE_IP persistence
 * included, as on the proxy path) remembered in the flow table. */
static lb_balancer_peer_t *
lb_dsr_choose(lb_dsr_port_t *port, uint32_t saddr, uint16_t sport,
    const uint8_t *l4, bool tcp)
{
    uint8_t                 flags;
    lb_msec_t               idle;
    lb_dsr_flow_t          *f, evicted;
    lb_dsr_port_t          *eport;
    lb_balancer_peer_t     *p;
    lb_balancer_group_t    *g;
    lb_balancer_tried_t     tried;
    lb_balancer_request_t   r;
    struct sockaddr_in      sin;

    g = port->group;
    flags = tcp ? l4[13] : 0;

    f = lb_dsr_flow_lookup(&lb_dsr_flows, port->index, saddr, sport);

    if (f != NULL) {
        p = &g->peers[f->peer];
        idle = (f->flags & LB_DSR_FLOW_CLOSING)
               ? lb_min((lb_msec_t) LB_DSR_CLOSING, port->timeout)
               : port->timeout;

        /* a target that went down loses its flows (as IPVS: they reset
         * on the next target); weight 0 keeps them (draining) */
        if (lb_current_msec - f->last <= idle
            && lb_balancer_peer_healthy(p)
            && port->peers[f->peer].resolved)
        {
            f->last = lb_current_msec;
            if (flags & 0x05) {             /* FIN, RST */
                f->flags |= LB_DSR_FLOW_CLOSING;
            }
            return p;
        }

        lb_dsr_flow_end(f);
    }

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = saddr;

    /* peers whose MAC is not known yet count as tried already */
    memcpy(port->st.scratch, port->st.unusable,
           port->st.words * sizeof(uintptr_t));
    tried.bits = port->st.scratch;
    tried.ntried = port->st.nunusable;

    r.tried = &tried;
    r.client = (struct sockaddr *) &sin;
    r.client_len = sizeof(sin);

    p = lb_balancer_pick(g, &r);
    if (p == NULL) {
        return NULL;
    }

    f = lb_dsr_flow_insert(&lb_dsr_flows, port->index, saddr, sport,
                           p->index, lb_current_msec, &evicted);

    if (flags & 0x05) {
        f->flags |= LB_DSR_FLOW_CLOSING;
    }

    if (evicted.port != 0) {
        /* the table is full here: the least recently used flow of the
         * bucket gave its place */
        eport = lb_dsr_by_index[evicted.port];
        if (eport != NULL && eport->group != NULL) {
            lb_balancer_release(eport->group,
                                &eport->group->peers[evicted.peer],
                                LB_BALANCER_DONE);
        }
    }

    return p;
}


/* A flow ends: its target's active count goes down. */
static void
lb_dsr_flow_end(lb_dsr_flow_t *f)
{
    lb_dsr_port_t  *port;

    port = lb_dsr_by_index[f->port];

    if (port != NULL && port->group != NULL) {
        lb_balancer_release(port->group, &port->group->peers[f->peer],
                            LB_BALANCER_DONE);
    }

    lb_dsr_flow_remove(&lb_dsr_flows, f);
}


/* Per-batch counters into the zone: one atomic add per target and
 * batch, not per packet. Packets go to the record's "requests" (a DSR
 * group has no requests of its own), bytes to bytes_out, flows to
 * total/active (lb_balancer_pick()). */
static void
lb_dsr_flush_counters(lb_dsr_port_t *port)
{
    uint32_t             i;
    lb_dsr_peer_t       *dp;
    lb_balancer_peer_t  *p;

    if (port->group == NULL) {
        return;
    }

    for (i = 0; i < port->group->npeers; i++) {
        dp = &port->peers[i];
        if (!dp->touched) {
            continue;
        }

        p = &port->group->peers[i];
        if (p->zone != NULL) {
            lb_zone_counter_add(&p->zone->requests, dp->packets);
            lb_zone_target_bytes(p->zone, 0, dp->bytes);
        }

        dp->packets = 0;
        dp->bytes = 0;
        dp->touched = 0;
    }
}


/* An ARP request for the VIP in eth[0..len): rewritten in place into
 * the reply (the VIP is at this interface's MAC). Returns the reply's
 * length, 0 when it is not such a request. */
static size_t
lb_dsr_arp(const lb_dsr_listen_t *dl, uint8_t *eth, size_t len)
{
    uint8_t   *arp;
    uint8_t    sha[6], spa[4];

    if (len < LB_ETH_HLEN + LB_ARP_LEN) {
        return 0;
    }

    arp = eth + LB_ETH_HLEN;

    /* Ethernet, IPv4, 6 and 4 bytes, a request for the VIP */
    if (arp[0] != 0 || arp[1] != 1 || arp[2] != 0x08 || arp[3] != 0
        || arp[4] != 6 || arp[5] != 4 || arp[6] != 0 || arp[7] != 1
        || memcmp(arp + 24, &dl->vip, 4) != 0)
    {
        return 0;
    }

    memcpy(sha, arp + 8, 6);
    memcpy(spa, arp + 14, 4);

    /* a gratuitous request (sender = VIP) is another's claim: no answer */
    if (memcmp(spa, &dl->vip, 4) == 0) {
        return 0;
    }

    memcpy(eth, sha, 6);
    memcpy(eth + 6, dl->mac, 6);

    arp[7] = 2;
    memcpy(arp + 8, dl->mac, 6);
    memcpy(arp + 14, &dl->vip, 4);
    memcpy(arp + 18, sha, 6);
    memcpy(arp + 24, spa, 4);

    return LB_ETH_HLEN + LB_ARP_LEN;
}


/* Gratuitous ARP at start and reload: the segment's caches point the
 * VIP at this machine now (after a failover or a change of interface). */
static void
lb_dsr_garp(const lb_dsr_port_t *port)
{
    uint8_t                  frame[LB_DSR_VNET + 60];
    uint8_t                 *eth, *arp;
    const lb_dsr_listen_t   *dl;

    dl = port->dl;

    memset(frame, 0, sizeof(frame));
    eth = frame + LB_DSR_VNET;
    arp = eth + LB_ETH_HLEN;

    memset(eth, 0xff, 6);
    memcpy(eth + 6, dl->mac, 6);
    eth[12] = 0x08;
    eth[13] = 0x06;

    arp[1] = 1;
    arp[2] = 0x08;
    arp[4] = 6;
    arp[5] = 4;
    arp[7] = 1;                          /* request, as Linux sends them */
    memcpy(arp + 8, dl->mac, 6);
    memcpy(arp + 14, &dl->vip, 4);
    memcpy(arp + 24, &dl->vip, 4);

    if (send(port->ls->fd, frame, sizeof(frame), 0) == -1) {
        lb_log_error(LB_LOG_WARN, &lb_log, errno, "sending the gratuitous "
                     "ARP for %s on %s failed", port->ls->addr.text,
                     dl->ifname);
    }
}


/* --- periodic work --- */

static void
lb_dsr_tick(lb_event_t *ev)
{
    lb_dsr_ticks++;

    lb_dsr_flow_sweep(&lb_dsr_flows,
                      (lb_dsr_flows.mask + 1) / LB_DSR_SWEEP_SHARE
                      + (lb_dsr_flows.mask < LB_DSR_SWEEP_SHARE),
                      lb_dsr_flow_expired, NULL);

    lb_dsr_neigh_refresh(false);

    lb_event_add_timer(ev, LB_DSR_TICK);
}


static bool
lb_dsr_flow_expired(lb_dsr_flow_t *f, void *data)
{
    lb_msec_t       idle;
    lb_dsr_port_t  *port;

    lb_unused(data);

    port = lb_dsr_by_index[f->port];
    if (port == NULL || port->group == NULL) {
        return true;
    }

    idle = (f->flags & LB_DSR_FLOW_CLOSING)
           ? lb_min((lb_msec_t) LB_DSR_CLOSING, port->timeout)
           : port->timeout;

    if (lb_current_msec - f->last <= idle) {
        return false;
    }

    lb_balancer_release(port->group, &port->group->peers[f->peer],
                        LB_BALANCER_DONE);
    return true;
}


/* Read the targets' MACs from the kernel (always when dump, else when a
 * target is unresolved or every LB_DSR_NEIGH_EVERY ticks) and ask the
 * kernel to resolve those without a reachable entry. */
static void
lb_dsr_neigh_refresh(bool dump)
{
    int              ifindex;
    bool             missing;
    uint32_t         i;
    lb_dsr_port_t   *port;

    missing = false;

    for (port = lb_dsr_ports; port != NULL; port = port->next) {
        for (i = 0; port->group != NULL && i < port->group->npeers; i++) {
            if (!port->peers[i].resolved) {
                missing = true;
            }
        }
    }

    if (!dump && !missing && lb_dsr_ticks % LB_DSR_NEIGH_EVERY != 0) {
        return;
    }

    for (port = lb_dsr_ports; port != NULL; port = port->next) {
        for (i = 0; port->group != NULL && i < port->group->npeers; i++) {
            port->peers[i].reachable = 0;
        }
    }

    /* one dump per interface would do; DSR balancers are few */
    for (port = lb_dsr_ports; port != NULL; port = port->next) {
        ifindex = port->dl->ifindex;
        (void) lb_dsr_neigh_dump(ifindex, lb_dsr_neigh_found, port);
    }

    for (port = lb_dsr_ports; port != NULL; port = port->next) {
        for (i = 0; port->group != NULL && i < port->group->npeers; i++) {
            if (!port->peers[i].reachable && port->peers[i].addr != 0) {
                (void) lb_dsr_neigh_probe(port->dl->ifindex,
                                          port->peers[i].addr);
            }
        }
    }
}


static void
lb_dsr_neigh_found(uint32_t addr, const uint8_t *mac, bool reachable,
    void *data)
{
    uint32_t         i;
    lb_dsr_port_t   *port;
    lb_dsr_peer_t   *dp;

    port = data;

    for (i = 0; port->group != NULL && i < port->group->npeers; i++) {
        dp = &port->peers[i];
        if (dp->addr != addr) {
            continue;
        }

        if (!dp->resolved || memcmp(dp->mac, mac, 6) != 0) {
            lb_log_error(LB_LOG_INFO, &lb_log, 0, "DSR target %s is at "
                         "%02x:%02x:%02x:%02x:%02x:%02x",
                         port->group->peers[i].target->addr.text, mac[0],
                         mac[1], mac[2], mac[3], mac[4], mac[5]);
        }

        memcpy(dp->mac, mac, 6);
        dp->reachable = reachable;

        if (!dp->resolved) {
            dp->resolved = 1;
            port->st.unusable[i / LB_BALANCER_BITS] &=
                ~((uintptr_t) 1 << (i % LB_BALANCER_BITS));
            port->st.nunusable--;
        }
    }
}
