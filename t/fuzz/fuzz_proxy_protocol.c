/* weir: fuzz target for the PROXY protocol header writer
 * (lb_proxy_protocol_write), which turns addresses a client controls (its
 * source address and port) into bytes a target parses.
 *
 * Input: byte 0 the version (any byte: only 1 and 2 write), byte 1 the
 * socket type and the families of both addresses (IPv4, IPv6, IPv4-mapped
 * IPv6, AF_UNIX, any number, or no address at all), bytes 2-3 the size of
 * the caller's buffer, then the bytes of both sockaddr_storage.
 *
 * Checks: the header is written into a buffer of exactly the size given
 * (ASan sees a byte past it); nothing for another version; a buffer too
 * small gives 0, one large enough the same header as the largest; the
 * header is at most LB_PROXY_PROTOCOL_V1_MAX / _V2_MAX bytes and parses
 * back, with a strict reader of HAProxy's proxy-protocol.txt written
 * here, to the addresses and ports given (IPv4-mapped ones as IPv4), or
 * to UNKNOWN / UNSPEC exactly when the families differ, are not IP, or
 * (v1) the socket is not a stream. */
#include "lb_fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "lb_proxy_protocol.h"

/* what the header should say */
typedef struct {
    int       family;          /* AF_INET, AF_INET6, AF_UNSPEC */
    uint8_t   addr[16];
    uint16_t  port;
} fuzz_addr_t;

static const struct sockaddr *fuzz_sockaddr(fuzz_in_t *in, unsigned kind,
    struct sockaddr_storage *ss);
static void fuzz_expect(const struct sockaddr *sa, fuzz_addr_t *a);
static void fuzz_check_v1(const uint8_t *h, size_t n, int sotype,
    const fuzz_addr_t *src, const fuzz_addr_t *dst);
static void fuzz_check_v2(const uint8_t *h, size_t n, int sotype,
    const fuzz_addr_t *src, const fuzz_addr_t *dst);
static const char *fuzz_field(const char *p, const char *end, char *buf,
    size_t size);

static const uint8_t  fuzz_sig[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                       sotype;
    size_t                    n, full, bsize;
    uint8_t                  *buf, big[LB_PROXY_PROTOCOL_MAX + 16];
    unsigned                  version, kinds;
    fuzz_in_t                 in;
    fuzz_addr_t               src, dst;
    struct sockaddr_storage   css, lss;
    const struct sockaddr    *client, *local;

    in.p = data;
    in.left = size;

    version = fuzz_u8(&in);
    kinds = fuzz_u8(&in);
    bsize = fuzz_u16(&in) % 256;

    sotype = (kinds & 0x80) ? SOCK_DGRAM : SOCK_STREAM;
    client = fuzz_sockaddr(&in, kinds & 7, &css);
    local = fuzz_sockaddr(&in, (kinds >> 3) & 7, &lss);

    /* the largest header, with room to spare that must stay untouched */
    memset(big, 0xa5, sizeof(big));
    full = lb_proxy_protocol_write(big, LB_PROXY_PROTOCOL_MAX, version,
                                   sotype, client, local);

    for (n = LB_PROXY_PROTOCOL_MAX; n < sizeof(big); n++) {
        fuzz_assert(big[n] == 0xa5);
    }

    if (version != 1 && version != 2) {
        fuzz_assert(full == 0);
        return 0;
    }

    fuzz_assert(full > 0);

    fuzz_expect(client, &src);
    fuzz_expect(local, &dst);

    if (src.family != dst.family) {
        src.family = AF_UNSPEC;
        dst.family = AF_UNSPEC;
    }

    if (version == 1) {
        fuzz_assert(full <= LB_PROXY_PROTOCOL_V1_MAX);
        fuzz_check_v1(big, full, sotype, &src, &dst);

    } else {
        fuzz_assert(full <= LB_PROXY_PROTOCOL_V2_MAX);
        fuzz_check_v2(big, full, sotype, &src, &dst);
    }

    /* a buffer of exactly bsize bytes */
    buf = malloc(bsize ? bsize : 1);
    fuzz_assert(buf != NULL);

    n = lb_proxy_protocol_write(buf, bsize, version, sotype, client, local);

    if (bsize < full) {
        fuzz_assert(n == 0);
    } else {
        fuzz_assert(n == full && memcmp(buf, big, n) == 0);
    }

    free(buf);

    return 0;
}


/* kind: 0 IPv4, 1 IPv6, 2 IPv4-mapped IPv6, 3 AF_UNIX, 4 any family
 * number, 5 IPv6 with any scope and flow, 6 IPv4 again, 7 no address */
static const struct sockaddr *
fuzz_sockaddr(fuzz_in_t *in, unsigned kind, struct sockaddr_storage *ss)
{
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    /* whatever the family, the rest of the storage is input too */
    fuzz_bytes(in, ss, sizeof(struct sockaddr_storage));

    sin = (struct sockaddr_in *) ss;
    sin6 = (struct sockaddr_in6 *) ss;

    switch (kind) {
    case 0:
    case 6:
        sin->sin_family = AF_INET;
        break;
    case 1:
    case 5:
        sin6->sin6_family = AF_INET6;
        if (kind == 1) {
            sin6->sin6_scope_id = 0;
            sin6->sin6_flowinfo = 0;
        }
        break;
    case 2:
        sin6->sin6_family = AF_INET6;
        memset(&sin6->sin6_addr, 0, 10);
        sin6->sin6_addr.s6_addr[10] = 0xff;
        sin6->sin6_addr.s6_addr[11] = 0xff;
        break;
    case 3:
        ss->ss_family = AF_UNIX;
        break;
    case 4:
        /* the family bytes as they came */
        break;
    default:
        return NULL;
    }

    return (const struct sockaddr *) ss;
}


static void
fuzz_expect(const struct sockaddr *sa, fuzz_addr_t *a)
{
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    memset(a, 0, sizeof(fuzz_addr_t));
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

        if (memcmp(sin6->sin6_addr.s6_addr,
                   "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
        {
            a->family = AF_INET;
            memcpy(a->addr, &sin6->sin6_addr.s6_addr[12], 4);
        } else {
            a->family = AF_INET6;
            memcpy(a->addr, &sin6->sin6_addr, 16);
        }
    }
}


/* "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n" or
 * "PROXY UNKNOWN\r\n" */
static void
fuzz_check_v1(const uint8_t *h, size_t n, int sotype,
    const fuzz_addr_t *src, const fuzz_addr_t *dst)
{
    int            fam;
    char           line[LB_PROXY_PROTOCOL_V1_MAX + 1], f[5][64], *end;
    size_t         i;
    uint8_t        a[16];
    unsigned long  port;
    const char    *p, *e;

    fuzz_assert(n >= 8 && h[n - 2] == '\r' && h[n - 1] == '\n');

    for (i = 0; i < n - 2; i++) {
        fuzz_assert(h[i] >= 0x20 && h[i] < 0x7f);
    }

    memcpy(line, h, n);
    line[n] = '\0';

    if (src->family == AF_UNSPEC || sotype != SOCK_STREAM) {
        fuzz_assert(strcmp(line, "PROXY UNKNOWN\r\n") == 0);
        return;
    }

    fuzz_assert(strncmp(line, "PROXY ", 6) == 0);

    p = line + 6;
    e = line + n - 2;

    p = fuzz_field(p, e, f[0], sizeof(f[0]));
    fuzz_assert(p != NULL);

    if (src->family == AF_INET) {
        fuzz_assert(strcmp(f[0], "TCP4") == 0);
        fam = AF_INET;
    } else {
        fuzz_assert(strcmp(f[0], "TCP6") == 0);
        fam = AF_INET6;
    }

    for (i = 1; i < 5; i++) {
        p = fuzz_field(p, e, f[i], sizeof(f[i]));
        fuzz_assert(p != NULL);
    }

    fuzz_assert(p == e);

    fuzz_assert(inet_pton(fam, f[1], a) == 1);
    fuzz_assert(memcmp(a, src->addr, fam == AF_INET ? 4 : 16) == 0);
    fuzz_assert(inet_pton(fam, f[2], a) == 1);
    fuzz_assert(memcmp(a, dst->addr, fam == AF_INET ? 4 : 16) == 0);

    for (i = 3; i < 5; i++) {
        /* 0..65535 in decimal, no leading zero */
        fuzz_assert(f[i][0] >= '0' && f[i][0] <= '9');
        fuzz_assert(f[i][0] != '0' || f[i][1] == '\0');
        port = strtoul(f[i], &end, 10);
        fuzz_assert(*end == '\0' && port <= 65535);
        fuzz_assert(port == (i == 3 ? src->port : dst->port));
    }
}


/* the next SP-separated field of [p, e) into buf; p after it and its SP */
static const char *
fuzz_field(const char *p, const char *e, char *buf, size_t size)
{
    size_t  k;

    for (k = 0; p + k < e && p[k] != ' '; k++) {
        /* void */
    }

    if (k == 0 || k >= size) {
        return NULL;
    }

    memcpy(buf, p, k);
    buf[k] = '\0';
    p += k;

    if (p < e) {
        p++;                       /* the SP */
        if (p == e) {
            return NULL;           /* a trailing SP */
        }
    }

    return p;
}


static void
fuzz_check_v2(const uint8_t *h, size_t n, int sotype,
    const fuzz_addr_t *src, const fuzz_addr_t *dst)
{
    size_t  alen, len;

    fuzz_assert(n >= 16);
    fuzz_assert(memcmp(h, fuzz_sig, sizeof(fuzz_sig)) == 0);
    fuzz_assert(h[12] == 0x21);                  /* version 2, PROXY */

    len = (size_t) h[14] << 8 | h[15];
    fuzz_assert(len == n - 16);

    if (src->family == AF_UNSPEC) {
        fuzz_assert(h[13] == 0x00 && len == 0);
        return;
    }

    alen = src->family == AF_INET ? 4 : 16;

    fuzz_assert(h[13] == (((alen == 4) ? 0x10 : 0x20)
                          | (sotype == SOCK_DGRAM ? 0x02 : 0x01)));
    fuzz_assert(len == 2 * alen + 4);
    fuzz_assert(memcmp(h + 16, src->addr, alen) == 0);
    fuzz_assert(memcmp(h + 16 + alen, dst->addr, alen) == 0);
    fuzz_assert(((unsigned) h[16 + 2 * alen] << 8 | h[17 + 2 * alen])
                == src->port);
    fuzz_assert(((unsigned) h[18 + 2 * alen] << 8 | h[19 + 2 * alen])
                == dst->port);
}
