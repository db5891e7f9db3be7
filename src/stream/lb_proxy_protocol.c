/* weir: building PROXY protocol v1 and v2 headers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_proxy_protocol.h"

/* an address reduced to what the header carries */
typedef struct {
    int          family;      /* AF_INET | AF_INET6 | AF_UNSPEC */
    uint8_t      addr[16];    /* network order; AF_INET: 4 bytes */
    uint16_t     port;        /* host order */
} lb_proxy_addr_t;

static void lb_proxy_addr(const struct sockaddr *sa, lb_proxy_addr_t *a);
static size_t lb_proxy_v1(uint8_t *buf, size_t size, int sotype,
    const lb_proxy_addr_t *src, const lb_proxy_addr_t *dst);
static size_t lb_proxy_v2(uint8_t *buf, size_t size, int sotype,
    const lb_proxy_addr_t *src, const lb_proxy_addr_t *dst);

static const uint8_t  lb_proxy_v2_sig[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};


size_t
lb_proxy_protocol_write(uint8_t *buf, size_t size, unsigned version,
    int sotype, const struct sockaddr *client, const struct sockaddr *local)
{
    lb_proxy_addr_t  src, dst;

    lb_proxy_addr(client, &src);
    lb_proxy_addr(local, &dst);

    if (src.family != dst.family) {
        src.family = AF_UNSPEC;
        dst.family = AF_UNSPEC;
    }

    switch (version) {
    case 1:
        return lb_proxy_v1(buf, size, sotype, &src, &dst);
    case 2:
        return lb_proxy_v2(buf, size, sotype, &src, &dst);
    default:
        return 0;
    }
}


static void
lb_proxy_addr(const struct sockaddr *sa, lb_proxy_addr_t *a)
{
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    memset(a, 0, sizeof(lb_proxy_addr_t));
    a->family = AF_UNSPEC;

    if (sa == NULL) {
        return;
    }

    if (sa->sa_family == AF_INET) {
        sin = (const struct sockaddr_in *) sa;
        a->family = AF_INET;
        memcpy(a->addr, &sin->sin_addr, 4);
        a->port = ntohs(sin->sin_port);

    } else if (sa->sa_family == AF_INET6) {
        sin6 = (const struct sockaddr_in6 *) sa;
        a->port = ntohs(sin6->sin6_port);

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            a->family = AF_INET;
            memcpy(a->addr, &sin6->sin6_addr.s6_addr[12], 4);

        } else {
            a->family = AF_INET6;
            memcpy(a->addr, &sin6->sin6_addr, 16);
        }
    }
}


/* "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" */
static size_t
lb_proxy_v1(uint8_t *buf, size_t size, int sotype,
    const lb_proxy_addr_t *src, const lb_proxy_addr_t *dst)
{
    int   n;
    char  s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    char  line[LB_PROXY_PROTOCOL_V1_MAX + 1];

    if (src->family == AF_UNSPEC || sotype != SOCK_STREAM
        || inet_ntop(src->family, src->addr, s, sizeof(s)) == NULL
        || inet_ntop(dst->family, dst->addr, d, sizeof(d)) == NULL)
    {
        n = snprintf(line, sizeof(line), "PROXY UNKNOWN\r\n");

    } else {
        n = snprintf(line, sizeof(line), "PROXY %s %s %s %u %u\r\n",
                     src->family == AF_INET ? "TCP4" : "TCP6", s, d,
                     (unsigned) src->port, (unsigned) dst->port);
    }

    if (n < 0 || (size_t) n >= sizeof(line) || (size_t) n > size) {
        return 0;
    }

    memcpy(buf, line, n);

    return (size_t) n;
}


/* the signature; version 2 with command PROXY (0x21); the address family
 * and transport; the length of what follows; then source address,
 * destination address, source port, destination port, all in network
 * order */
static size_t
lb_proxy_v2(uint8_t *buf, size_t size, int sotype,
    const lb_proxy_addr_t *src, const lb_proxy_addr_t *dst)
{
    size_t    alen, len;
    uint8_t  *p;

    switch (src->family) {
    case AF_INET:
        alen = 4;
        break;
    case AF_INET6:
        alen = 16;
        break;
    default:
        alen = 0;
        break;
    }

    len = alen ? 2 * alen + 4 : 0;

    if (size < 16 + len) {
        return 0;
    }

    p = buf;
    memcpy(p, lb_proxy_v2_sig, sizeof(lb_proxy_v2_sig));
    p += sizeof(lb_proxy_v2_sig);

    *p++ = 0x21;

    if (alen == 0) {
        *p++ = 0x00;                                     /* UNSPEC */

    } else {
        *p++ = (uint8_t) (((alen == 4) ? 0x10 : 0x20)
                          | ((sotype == SOCK_DGRAM) ? 0x02 : 0x01));
    }

    *p++ = (uint8_t) (len >> 8);
    *p++ = (uint8_t) len;

    if (alen != 0) {
        memcpy(p, src->addr, alen);
        p += alen;
        memcpy(p, dst->addr, alen);
        p += alen;
        *p++ = (uint8_t) (src->port >> 8);
        *p++ = (uint8_t) src->port;
        *p++ = (uint8_t) (dst->port >> 8);
        *p++ = (uint8_t) dst->port;
    }

    return (size_t) (p - buf);
}
