/* weir: fuzz target for the UDP session table of a worker
 * (lb_stream_udp_table.c). UDP has no framing to parse: a datagram is
 * taken whole, and what a client controls is its source address (any
 * family and length recvmmsg() hands over, any port, scope and flow
 * label). That address keys the session table, so this target drives the
 * table as the data path does (lb_stream_udp_session_get: key, find or
 * add, evict the oldest when full; sessions ending by timeout) with
 * addresses made of input bytes, against a simple model.
 *
 * Input: byte 0 the capacity (1..64), byte 1 the extra bytes per session,
 * then operations: a datagram (listening socket, family, length and the
 * bytes of the address), the end of a session, or a touch.
 *
 * Checks: lb_stream_udp_table_key() declines exactly what is not a full
 * AF_INET or AF_INET6 address, and its key holds exactly the family,
 * port, address and (IPv6) scope, so addresses that differ only in
 * padding or flow label are one client and one hash; a key hashes the
 * same every time; after every operation the table holds the model's
 * sessions (each found under its key, the use order newest to oldest the
 * model's, counts equal), a full table adds nothing and the data path's
 * eviction takes the session idle for longest. */
#include "lb_fuzz.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "lb_stream_udp.h"
#include "lb_stream_udp_table.h"

#define CAP_MAX  64

typedef struct {
    const lb_listening_t     *ls;
    lb_stream_udp_key_t       key;
    uint32_t                  hash;
    lb_stream_udp_session_t  *s;
} fuzz_model_t;

/* two listening sockets: the table only keys on their addresses */
static uint64_t  fuzz_ls[2];

static bool fuzz_key(lb_stream_udp_table_t *t, fuzz_in_t *in,
    const lb_listening_t *ls, lb_stream_udp_key_t *key, uint32_t *hash);
static void fuzz_check(lb_stream_udp_table_t *t, fuzz_model_t *m,
    uint32_t n);
static void fuzz_model_remove(fuzz_model_t *m, uint32_t *n, uint32_t i);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t                   op;
    uint32_t                  cap, n, i, hash;
    fuzz_in_t                 in;
    fuzz_model_t              m[CAP_MAX], e;
    lb_stream_udp_key_t       key;
    lb_stream_udp_table_t     t;
    const lb_listening_t     *ls;
    lb_stream_udp_session_t  *s;

    in.p = data;
    in.left = size;

    cap = 1 + fuzz_u8(&in) % CAP_MAX;

    if (lb_stream_udp_table_init(&t, cap, fuzz_u8(&in) % 65) != LB_OK) {
        return 0;
    }

    /* m[0] is the oldest, m[n - 1] the newest */
    n = 0;

    while (in.left > 0) {
        op = fuzz_u8(&in);
        ls = (const lb_listening_t *) &fuzz_ls[op & 1];

        switch ((op >> 1) % 4) {

        case 0:
        case 1:
            /* a datagram: lb_stream_udp_session_get() */
            if (!fuzz_key(&t, &in, ls, &key, &hash)) {
                break;
            }

            s = lb_stream_udp_table_find(&t, ls, &key, hash);

            for (i = 0; i < n; i++) {
                if (m[i].ls == ls
                    && memcmp(&m[i].key, &key, sizeof(key)) == 0)
                {
                    break;
                }
            }

            if (i < n) {
                fuzz_assert(s == m[i].s);
                fuzz_assert(m[i].hash == hash);
                lb_stream_udp_table_touch(&t, s);
                e = m[i];
                fuzz_model_remove(m, &n, i);
                m[n++] = e;
                break;
            }

            fuzz_assert(s == NULL);

            s = lb_stream_udp_table_add(&t, ls, &key, hash);

            if (s == NULL) {
                fuzz_assert(n == cap);
                /* full: the oldest goes */
                fuzz_assert(t.oldest == m[0].s);
                lb_stream_udp_table_remove(&t, t.oldest);
                fuzz_model_remove(m, &n, 0);

                s = lb_stream_udp_table_add(&t, ls, &key, hash);
                fuzz_assert(s != NULL);

            } else {
                fuzz_assert(n < cap);
            }

            fuzz_assert(s->listening == ls && s->hash == hash
                        && memcmp(&s->key, &key, sizeof(key)) == 0);

            m[n].ls = ls;
            m[n].key = key;
            m[n].hash = hash;
            m[n].s = s;
            n++;
            break;

        case 2:
            /* a session ends (idle timeout, target failure) */
            if (n > 0) {
                i = fuzz_u8(&in) % n;
                lb_stream_udp_table_remove(&t, m[i].s);
                fuzz_model_remove(m, &n, i);
            }
            break;

        default:
            /* a reply from the target: the session is used */
            if (n > 0) {
                i = fuzz_u8(&in) % n;
                lb_stream_udp_table_touch(&t, m[i].s);
                e = m[i];
                fuzz_model_remove(m, &n, i);
                m[n++] = e;
            }
            break;
        }

        fuzz_check(&t, m, n);
    }

    lb_stream_udp_table_free(&t);

    return 0;
}


/* An address from the input, keyed; false when the table declines it
 * (checked against what it must decline). */
static bool
fuzz_key(lb_stream_udp_table_t *t, fuzz_in_t *in, const lb_listening_t *ls,
    lb_stream_udp_key_t *key, uint32_t *hash)
{
    uint8_t                   fam;
    uint32_t                  hash2;
    socklen_t                 len;
    lb_int_t                  rc;
    lb_stream_udp_key_t       key2;
    struct sockaddr_in       *sin;
    struct sockaddr_in6      *sin6;
    struct sockaddr_storage   ss, ss2;

    fam = fuzz_u8(in);
    len = fuzz_u8(in) % (sizeof(ss) + 1);

    /* short addresses: mostly IPv4 and IPv6 of full length */
    memset(&ss, 0, sizeof(ss));
    fuzz_bytes(in, &ss, (fam & 0x80) ? sizeof(ss)
                        : sizeof(struct sockaddr_in6) + 2);

    switch (fam % 4) {
    case 0:
        ss.ss_family = AF_INET;
        if (fam & 0x40) {
            len = sizeof(struct sockaddr_in);
        }
        break;
    case 1:
        ss.ss_family = AF_INET6;
        if (fam & 0x40) {
            len = sizeof(struct sockaddr_in6);
        }
        break;
    case 2:
        ss.ss_family = AF_UNIX;
        break;
    default:
        /* the family bytes as they came */
        break;
    }

    rc = lb_stream_udp_table_key(t, ls, (struct sockaddr *) &ss, len, key,
                                 hash);

    sin = (struct sockaddr_in *) &ss;
    sin6 = (struct sockaddr_in6 *) &ss;

    if (len < sizeof(sa_family_t)
        || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
        || (ss.ss_family == AF_INET && len < sizeof(struct sockaddr_in))
        || (ss.ss_family == AF_INET6 && len < sizeof(struct sockaddr_in6)))
    {
        fuzz_assert(rc == LB_DECLINED);
        return false;
    }

    fuzz_assert(rc == LB_OK);

    /* the key is exactly family, port, address and scope */
    memset(&key2, 0, sizeof(key2));
    key2.family = ss.ss_family;

    if (ss.ss_family == AF_INET) {
        key2.port = sin->sin_port;
        memcpy(key2.addr, &sin->sin_addr, 4);
    } else {
        key2.port = sin6->sin6_port;
        key2.scope_id = sin6->sin6_scope_id;
        memcpy(key2.addr, &sin6->sin6_addr, 16);
    }

    fuzz_assert(memcmp(key, &key2, sizeof(key2)) == 0);

    /* the same client with other padding and flow label: the same key
     * and hash */
    memcpy(&ss2, &ss, sizeof(ss));

    if (ss.ss_family == AF_INET) {
        memset(((struct sockaddr_in *) &ss2)->sin_zero, 0x5a,
               sizeof(sin->sin_zero));
        memset((char *) &ss2 + sizeof(struct sockaddr_in), 0x33,
               sizeof(ss2) - sizeof(struct sockaddr_in));
    } else {
        ((struct sockaddr_in6 *) &ss2)->sin6_flowinfo ^= 0xdeadbeef;
        memset((char *) &ss2 + sizeof(struct sockaddr_in6), 0x33,
               sizeof(ss2) - sizeof(struct sockaddr_in6));
    }

    fuzz_assert(lb_stream_udp_table_key(t, ls, (struct sockaddr *) &ss2,
                                        len, &key2, &hash2) == LB_OK);
    fuzz_assert(memcmp(key, &key2, sizeof(key2)) == 0 && hash2 == *hash);

    return true;
}


static void
fuzz_check(lb_stream_udp_table_t *t, fuzz_model_t *m, uint32_t n)
{
    uint32_t                  i;
    lb_stream_udp_session_t  *s;

    fuzz_assert(t->nsessions == n);
    fuzz_assert(n <= t->capacity);

    /* the use order, newest first */
    s = t->newest;
    for (i = n; i > 0; i--) {
        fuzz_assert(s == m[i - 1].s);
        fuzz_assert(s->newer == (i == n ? NULL : m[i].s));
        s = s->older;
    }
    fuzz_assert(s == NULL);
    fuzz_assert(t->oldest == (n ? m[0].s : NULL));

    for (i = 0; i < n; i++) {
        fuzz_assert(lb_stream_udp_table_find(t, m[i].ls, &m[i].key,
                                             m[i].hash) == m[i].s);
    }
}


static void
fuzz_model_remove(fuzz_model_t *m, uint32_t *n, uint32_t i)
{
    memmove(&m[i], &m[i + 1], (*n - i - 1) * sizeof(fuzz_model_t));
    (*n)--;
}
