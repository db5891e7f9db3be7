/* weir: PING checks, an ICMP (or ICMPv6) echo request answered by an echo
 * reply within the timeout. One socket per address family serves every
 * PING check: an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP) when
 * net.ipv4.ping_group_range lets this process's group use one, otherwise
 * a raw socket, which needs root or CAP_NET_RAW and is opened before the
 * checker drops privileges. A reply is matched to its check by sequence
 * number, source address and a cookie in the payload (a raw socket sees
 * every echo reply of the machine; its echo id is ours too). Nothing a
 * host off the path could guess: the echo id, the first sequence number
 * and the key of the cookie are random per checker process, and the
 * cookie is a keyed hash of (sequence number, target address), so one
 * probe's cookie says nothing about the next. On a raw socket a
 * "destination unreachable" fails its check at once only when it quotes
 * our probe up to its cookie (RFC 1812 routers and Linux quote the whole
 * 32-byte echo); one that quotes less is ignored, and the check then
 * fails by its timeout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE        /* struct in6_pktinfo */
#endif

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_hash.h"
#include "lb_health.h"
#include "lb_health_check.h"
#include "lb_log.h"
#include "lb_time.h"

/* bytes after the 8-byte ICMP header: the 8-byte cookie, then a tag */
#define LB_PING_PAYLOAD   24
#define LB_PING_COOKIE    8
#define LB_PING_PACKET    (8 + LB_PING_PAYLOAD)
/* a reply, or an error quoting our echo, fits in this */
#define LB_PING_RECV_MAX  1024
#define LB_PING_NSEQ      65536
/* errors in a row on the socket before a read gives up until the next
 * edge */
#define LB_PING_ERRORS_MAX  16

/* ICMP_FILTER of <linux/icmp.h>, which clashes with <netinet/ip_icmp.h> */
#ifndef ICMP_FILTER
#define ICMP_FILTER       1
struct icmp_filter {
    uint32_t              data;
};
#endif

typedef struct {
    lb_connection_t      *c;
    int                   family;
    bool                  raw;
    bool                  failed;      /* could not be opened: logged */
} lb_ping_socket_t;

static lb_int_t lb_check_ping_open(lb_ping_socket_t *ps, int family);
static lb_int_t lb_check_ping_filter(int fd, int family);
static void lb_check_ping_start(lb_health_check_t *hc);
static lb_health_cause_e lb_check_ping_abort(lb_health_check_t *hc);
static void lb_check_ping_read(lb_event_t *ev);
static void lb_check_ping_write(lb_event_t *ev);
static void lb_check_ping_packet(lb_ping_socket_t *ps, const u_char *p,
    size_t len, const struct sockaddr_storage *from);
static void lb_check_ping_match(lb_ping_socket_t *ps, const u_char *icmp,
    size_t len, const void *addr, bool reply);
static uint64_t lb_check_ping_cookie(uint16_t seq,
    const struct sockaddr_storage *sa);
static uint16_t lb_check_ping_checksum(const u_char *p, size_t len);

const lb_health_ops_t  lb_check_ping_ops = {
    "PING",
    lb_check_ping_start,
    lb_check_ping_abort
};

static lb_ping_socket_t     lb_ping_inet = { NULL, AF_INET, false, false };
static lb_ping_socket_t     lb_ping_inet6 = { NULL, AF_INET6, false, false };
static lb_health_check_t  **lb_ping_inflight;    /* by sequence number */
static uint16_t             lb_ping_seq;
static uint16_t             lb_ping_id;          /* raw sockets */
static lb_hash_key_t        lb_ping_key;         /* of the cookies */


lb_int_t
lb_check_ping_init(bool inet, bool inet6)
{
    lb_int_t  rc;

    /* again for a newer generation: only the families not open yet */
    if (lb_ping_inflight == NULL) {
        lb_ping_inflight = calloc(LB_PING_NSEQ, sizeof(lb_health_check_t *));
        if (lb_ping_inflight == NULL) {
            lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                         "calloc() of the echo table failed");
            lb_ping_inet.failed = true;
            lb_ping_inet6.failed = true;
            return LB_ERROR;
        }

        /* the pid and the time are known to anyone: an off-path host
         * that could guess id and sequence could forge an unreachable */
        if (lb_hash_key_init(&lb_ping_key) != LB_OK) {
            lb_ping_inet.failed = true;
            lb_ping_inet6.failed = true;
            return LB_ERROR;
        }

        lb_ping_id = (uint16_t) lb_hash_keyed(&lb_ping_key, "id", 2);
        lb_ping_seq = (uint16_t) lb_hash_keyed(&lb_ping_key, "seq", 3);
    }

    rc = LB_OK;

    if (inet && lb_ping_inet.c == NULL
        && lb_check_ping_open(&lb_ping_inet, AF_INET) != LB_OK)
    {
        rc = LB_ERROR;
    }

    if (inet6 && lb_ping_inet6.c == NULL
        && lb_check_ping_open(&lb_ping_inet6, AF_INET6) != LB_OK)
    {
        rc = LB_ERROR;
    }

    return rc;
}


static lb_int_t
lb_check_ping_open(lb_ping_socket_t *ps, int family)
{
    int               fd, proto, err;
    const char       *name;
    lb_connection_t  *c;

    proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    name = family == AF_INET ? "ICMP" : "ICMPv6";

    ps->raw = false;

    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

    if (fd == -1) {
        err = errno;

        fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
        if (fd == -1) {
            lb_log_error(LB_LOG_ERR, &lb_log, errno,
                         "PING checks of %s targets will fail: neither a "
                         "ping socket (%s; allowed by "
                         "net.ipv4.ping_group_range) nor a raw socket "
                         "(needs root or CAP_NET_RAW) can be opened",
                         family == AF_INET ? "IPv4" : "IPv6",
                         strerror(err));
            ps->failed = true;
            return LB_ERROR;
        }

        ps->raw = true;

        if (lb_check_ping_filter(fd, family) != LB_OK) {
            close(fd);
            ps->failed = true;
            return LB_ERROR;
        }
    }

    c = lb_get_connection(fd);
    if (c == NULL) {
        close(fd);
        ps->failed = true;
        return LB_ERROR;
    }

    c->data = ps;
    c->read->handler = lb_check_ping_read;
    c->write->handler = lb_check_ping_write;

    if (lb_event_add_connection(c) != LB_OK) {
        lb_close_connection(c);
        ps->failed = true;
        return LB_ERROR;
    }

    ps->c = c;

    lb_log_error(LB_LOG_INFO, &lb_log, 0, "PING checks use a %s %s socket",
                 ps->raw ? "raw" : "ping (unprivileged)", name);

    return LB_OK;
}


/* A raw socket gets every ICMP message of the machine: let only the
 * kinds we read through. */
static lb_int_t
lb_check_ping_filter(int fd, int family)
{
    struct icmp_filter   f4;
    struct icmp6_filter  f6;

    if (family == AF_INET) {
        /* the bits set are the types blocked */
        f4.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH));

        if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f4, sizeof(f4)) == -1) {
            lb_log_error(LB_LOG_ERR, &lb_log, errno,
                         "setsockopt(ICMP_FILTER) failed");
            return LB_ERROR;
        }

        return LB_OK;
    }

    ICMP6_FILTER_SETBLOCKALL(&f6);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f6);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f6);

    if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f6, sizeof(f6)) == -1)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, errno,
                     "setsockopt(ICMP6_FILTER) failed");
        return LB_ERROR;
    }

    return LB_OK;
}


static void
lb_check_ping_start(lb_health_check_t *hc)
{
    int                       err;
    uint16_t                  seq, sum;
    uint32_t                  i;
    uint64_t                  cookie;
    ssize_t                   n;
    struct msghdr             msg;
    struct iovec              iov;
    struct cmsghdr           *cm;
    struct in_pktinfo        *pi;
    struct in6_pktinfo       *pi6;
    struct sockaddr_storage   to;
    lb_ping_socket_t         *ps;
    u_char                    pkt[LB_PING_PACKET];
    union {
        struct cmsghdr        align;
        char                  buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } ctl;

    ps = hc->sa.ss_family == AF_INET6 ? &lb_ping_inet6 : &lb_ping_inet;

    if (ps->c == NULL) {
        lb_health_check_done(hc, false, LB_HEALTH_NO_ICMP_SOCKET, 0);
        return;
    }

    for (i = 0; i < LB_PING_NSEQ; i++) {
        seq = ++lb_ping_seq;
        if (lb_ping_inflight[seq] == NULL) {
            break;
        }
    }

    if (i == LB_PING_NSEQ) {
        lb_health_check_done(hc, false, LB_HEALTH_LOCAL_ERROR, 0);
        return;
    }

    memset(pkt, 0, sizeof(pkt));
    pkt[0] = ps->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
    pkt[1] = 0;
    /* the identifier of a ping socket is set by the kernel */
    pkt[4] = (u_char) (lb_ping_id >> 8);
    pkt[5] = (u_char) lb_ping_id;
    pkt[6] = (u_char) (seq >> 8);
    pkt[7] = (u_char) seq;
    cookie = lb_check_ping_cookie(seq, &hc->sa);
    memcpy(&pkt[8], &cookie, LB_PING_COOKIE);
    memcpy(&pkt[8 + LB_PING_COOKIE], "weir-health", 11);

    if (ps->family == AF_INET) {
        /* ICMPv6 checksums are the kernel's (they cover the addresses) */
        sum = lb_check_ping_checksum(pkt, sizeof(pkt));
        memcpy(&pkt[2], &sum, sizeof(sum));
    }

    /* a raw ICMPv6 socket takes the port as the protocol: 0 */
    memcpy(&to, &hc->sa, hc->socklen);
    if (ps->family == AF_INET) {
        ((struct sockaddr_in *) &to)->sin_port = 0;
    } else {
        ((struct sockaddr_in6 *) &to)->sin6_port = 0;
    }

    iov.iov_base = pkt;
    iov.iov_len = sizeof(pkt);

    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &to;
    msg.msg_namelen = hc->socklen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;

    /* a source address, per packet, for a socket shared by all */
    if (hc->source != NULL) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;

        if (ps->family == AF_INET) {
            msg.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
            cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = IPPROTO_IP;
            cm->cmsg_type = IP_PKTINFO;
            cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
            pi = (struct in_pktinfo *) CMSG_DATA(cm);
            pi->ipi_spec_dst =
                ((const struct sockaddr_in *) &hc->source->sa)->sin_addr;
        } else {
            msg.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
            cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = IPPROTO_IPV6;
            cm->cmsg_type = IPV6_PKTINFO;
            cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
            pi6 = (struct in6_pktinfo *) CMSG_DATA(cm);
            pi6->ipi6_addr =
                ((const struct sockaddr_in6 *) &hc->source->sa)->sin6_addr;
        }
    }

    hc->phase = LB_HEALTH_PHASE_ECHO;

    do {
        n = sendmsg(ps->c->fd, &msg, 0);
    } while (n == -1 && errno == EINTR);

    if (n == -1) {
        err = errno;
        hc->err = err;

        lb_log_debug(&lb_log, "PING of %s: sendmsg() failed: %s",
                     hc->target->addr.text, strerror(err));

        switch (err) {
        case EHOSTUNREACH:
        case ENETUNREACH:
        case EHOSTDOWN:
        case ENETDOWN:
        case EADDRNOTAVAIL:
            lb_health_check_done(hc, false, LB_HEALTH_UNREACHABLE, 0);
            return;
        case EAGAIN:
        case ENOBUFS:
        case ENOMEM:
            lb_health_check_done(hc, false, LB_HEALTH_LOCAL_ERROR, 0);
            return;
        default:
            lb_health_check_done(hc, false, LB_HEALTH_SEND_FAILED, 0);
            return;
        }
    }

    hc->seq = seq;
    lb_ping_inflight[seq] = hc;
}


static lb_health_cause_e
lb_check_ping_abort(lb_health_check_t *hc)
{
    if (lb_ping_inflight != NULL && lb_ping_inflight[hc->seq] == hc) {
        lb_ping_inflight[hc->seq] = NULL;
    }

    return LB_HEALTH_NO_ECHO_REPLY;
}


/* Every datagram waiting on the socket (edge-triggered: until EAGAIN). */
static void
lb_check_ping_read(lb_event_t *ev)
{
    ssize_t                   n;
    unsigned                  errors;
    socklen_t                 len;
    lb_connection_t          *c;
    lb_ping_socket_t         *ps;
    struct sockaddr_storage   from;
    u_char                    buf[LB_PING_RECV_MAX];

    c = ev->data;
    ps = c->data;
    errors = 0;

    for ( ;; ) {
        len = sizeof(from);
        n = recvfrom(c->fd, buf, sizeof(buf), 0, (struct sockaddr *) &from,
                     &len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                ev->ready = 0;
                return;
            }
            /* a queued error of the socket is consumed by this call;
             * anything else must not keep us here */
            lb_log_debug(&lb_log, "recvfrom() on the %s socket: %s",
                         ps->family == AF_INET ? "ICMP" : "ICMPv6",
                         strerror(errno));
            if (++errors == LB_PING_ERRORS_MAX) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "recvfrom() on the %s socket failed",
                             ps->family == AF_INET ? "ICMP" : "ICMPv6");
                ev->ready = 0;
                return;
            }
            continue;
        }

        lb_check_ping_packet(ps, buf, (size_t) n, &from);
    }
}


static void
lb_check_ping_write(lb_event_t *ev)
{
    /* sends never wait: a full socket fails the check instead */
    lb_unused(ev);
}


static void
lb_check_ping_packet(lb_ping_socket_t *ps, const u_char *p, size_t len,
    const struct sockaddr_storage *from)
{
    size_t  hl;

    if (ps->family == AF_INET) {
        /* a raw IPv4 socket hands over the IP header too */
        if (ps->raw) {
            if (len < 20 || (p[0] >> 4) != 4) {
                return;
            }
            hl = (size_t) (p[0] & 0x0f) * 4;
            if (hl < 20 || len < hl + 8) {
                return;
            }
            p += hl;
            len -= hl;
        }

        if (len < 8) {
            return;
        }

        if (p[0] == ICMP_ECHOREPLY && p[1] == 0) {
            lb_check_ping_match(ps, p, len,
                &((const struct sockaddr_in *) from)->sin_addr, true);
            return;
        }

        /* unreachable: our echo's IP header (dst at 16) and its first 8
         * bytes are quoted after the 8-byte ICMP header */
        if (ps->raw && p[0] == ICMP_DEST_UNREACH && len >= 8 + 20 + 8) {
            hl = (size_t) (p[8] & 0x0f) * 4;
            if ((p[8] >> 4) != 4 || hl < 20 || len < 8 + hl + 8
                || p[8 + 9] != IPPROTO_ICMP)
            {
                return;
            }
            lb_check_ping_match(ps, p + 8 + hl, len - 8 - hl, p + 8 + 16,
                                false);
        }

        return;
    }

    if (len < 8) {
        return;
    }

    if (p[0] == ICMP6_ECHO_REPLY && p[1] == 0) {
        lb_check_ping_match(ps, p, len,
            &((const struct sockaddr_in6 *) from)->sin6_addr, true);
        return;
    }

    /* unreachable: the IPv6 header of our echo (dst at 24) and the echo
     * header follow the 8-byte ICMPv6 header */
    if (ps->raw && p[0] == ICMP6_DST_UNREACH && len >= 8 + 40 + 8
        && p[8 + 6] == IPPROTO_ICMPV6)
    {
        lb_check_ping_match(ps, p + 8 + 40, len - 8 - 40, p + 8 + 24, false);
    }
}


/* icmp: an echo reply (reply true, addr its source) or the echo request
 * quoted by an unreachable error (addr the request's destination). */
static void
lb_check_ping_match(lb_ping_socket_t *ps, const u_char *icmp, size_t len,
    const void *addr, bool reply)
{
    uint16_t            id, seq;
    uint64_t            cookie;
    lb_health_check_t  *hc;

    if (!reply
        && icmp[0] != (ps->family == AF_INET ? ICMP_ECHO
                                             : ICMP6_ECHO_REQUEST))
    {
        return;
    }

    id = (uint16_t) (icmp[4] << 8 | icmp[5]);
    seq = (uint16_t) (icmp[6] << 8 | icmp[7]);

    if (ps->raw && id != lb_ping_id) {
        return;
    }

    hc = lb_ping_inflight[seq];

    if (hc == NULL || !hc->running || hc->phase != LB_HEALTH_PHASE_ECHO
        || hc->sa.ss_family != ps->family)
    {
        return;
    }

    /* a reply echoes the cookie, an error must quote it: an error that
     * quotes only the 8-byte header could come from anyone who guessed
     * id and sequence */
    if (len < 8 + LB_PING_COOKIE) {
        return;
    }

    memcpy(&cookie, &icmp[8], LB_PING_COOKIE);

    if (cookie != lb_check_ping_cookie(seq, &hc->sa)) {
        return;
    }

    if (ps->family == AF_INET) {
        if (memcmp(addr, &((struct sockaddr_in *) &hc->sa)->sin_addr, 4)
            != 0)
        {
            return;
        }
    } else if (memcmp(addr, &((struct sockaddr_in6 *) &hc->sa)->sin6_addr,
                      16) != 0)
    {
        return;
    }

    lb_ping_inflight[seq] = NULL;

    if (reply) {
        lb_health_check_done(hc, true, LB_HEALTH_NONE, 0);
    } else {
        lb_health_check_done(hc, false, LB_HEALTH_UNREACHABLE, 0);
    }
}


/* The cookie of the probe with sequence number seq to sa's address: a
 * keyed hash, so that it cannot be told from the cookies of earlier
 * probes. */
static uint64_t
lb_check_ping_cookie(uint16_t seq, const struct sockaddr_storage *sa)
{
    size_t   alen;
    u_char   k[2 + 16];

    k[0] = (u_char) (seq >> 8);
    k[1] = (u_char) seq;

    if (sa->ss_family == AF_INET6) {
        alen = 16;
        memcpy(&k[2], &((const struct sockaddr_in6 *) sa)->sin6_addr, 16);
    } else {
        alen = 4;
        memcpy(&k[2], &((const struct sockaddr_in *) sa)->sin_addr, 4);
    }

    return lb_hash_keyed(&lb_ping_key, k, 2 + alen);
}


/* The Internet checksum (RFC 1071) over len bytes, in network order. */
static uint16_t
lb_check_ping_checksum(const u_char *p, size_t len)
{
    uint32_t  sum;
    uint16_t  w;

    sum = 0;

    while (len > 1) {
        memcpy(&w, p, 2);
        sum += w;
        p += 2;
        len -= 2;
    }

    if (len == 1) {
        w = 0;
        memcpy(&w, p, 1);
        sum += w;
    }

    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }

    return (uint16_t) ~sum;
}
