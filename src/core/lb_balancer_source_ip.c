/* weir: SOURCE_IP, consistent hashing with a Maglev lookup table
 * (Eisenbud et al., NSDI 2016). The table has M entries, M a prime well
 * above 100 times the number of targets; each target owns entries in
 * proportion to its effective weight, and a client address hashes to one
 * entry. The table is filled in turns: each target walks its own
 * permutation of the entries (offset + j * skip mod M, both from a hash of
 * the target's address) and takes the next entry still free. Because the
 * permutations depend only on the targets themselves, removing one of N
 * targets hands its entries to the others and moves few other entries:
 * about 1/N of the clients move, not all of them.
 *
 * The table depends on the targets' addresses, ports and weights only
 * (targets are taken in address order, not config order), so two
 * machines with the same target list send a client to the same target.
 * Health and the request's tried set are not in the table: a client
 * whose entry names an unusable target probes further entries along a
 * step of its own, which spreads the clients of a failed target over the
 * others by weight and brings them back when it recovers. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_balancer.h"
#include "lb_hash.h"
#include "lb_palloc.h"

#define LB_SIP_NONE    UINT32_MAX

/* probes along the client's step before a plain scan for any usable
 * peer */
#define LB_SIP_PROBES  64

typedef struct {
    uint32_t              size;        /* M */
    uint32_t             *table;       /* M peer indexes */
    uint32_t             *order;       /* peers by address text */
    uint32_t              nordered;    /* in order: weight not 0 */
    uint32_t             *pos;         /* build: each peer's position */
    uint32_t             *skip;
    uint32_t             *credit;
    uint32_t              filled;      /* entries that name a peer */
} lb_balancer_sip_t;

static lb_int_t lb_balancer_sip_init(lb_balancer_group_t *g,
    lb_pool_t *pool);
static lb_balancer_peer_t *lb_balancer_sip_pick(lb_balancer_group_t *g,
    lb_balancer_request_t *r);
static void lb_balancer_sip_update(lb_balancer_group_t *g);
static uint32_t lb_balancer_sip_size(uint32_t npeers);

const lb_balancer_ops_t  lb_balancer_source_ip_ops = {
    "SOURCE_IP",
    lb_balancer_sip_init,
    lb_balancer_sip_pick,
    NULL,
    lb_balancer_sip_update,
};

/* table sizes: primes, each at least 100 entries per target it serves */
static const uint32_t  lb_balancer_sip_primes[] = {
    5003, 10007, 20011, 40009, 80021, 160001, 320009, 640007, 1280023
};

/* for qsort() of peer indexes; set around the call (workers are single
 * threaded) */
static lb_balancer_group_t  *lb_balancer_sip_sorting;


static lb_int_t
lb_balancer_sip_init(lb_balancer_group_t *g, lb_pool_t *pool)
{
    size_t              n;
    lb_balancer_sip_t  *s;

    s = lb_pcalloc(pool, sizeof(lb_balancer_sip_t));
    if (s == NULL) {
        return LB_ERROR;
    }

    n = g->npeers + 1;

    s->size = lb_balancer_sip_size(g->npeers);
    s->table = lb_palloc(pool, s->size * sizeof(uint32_t));
    s->order = lb_palloc(pool, n * sizeof(uint32_t));
    s->pos = lb_palloc(pool, n * sizeof(uint32_t));
    s->skip = lb_palloc(pool, n * sizeof(uint32_t));
    s->credit = lb_palloc(pool, n * sizeof(uint32_t));

    if (s->table == NULL || s->order == NULL || s->pos == NULL
        || s->skip == NULL || s->credit == NULL)
    {
        return LB_ERROR;
    }

    g->data = s;

    lb_balancer_sip_update(g);

    return LB_OK;
}


static uint32_t
lb_balancer_sip_size(uint32_t npeers)
{
    size_t  i;

    for (i = 0; i < lb_nelems(lb_balancer_sip_primes) - 1; i++) {
        if (lb_balancer_sip_primes[i] >= (uint64_t) npeers * 100) {
            break;
        }
    }

    return lb_balancer_sip_primes[i];
}


static int
lb_balancer_sip_cmp(const void *a, const void *b)
{
    const lb_balancer_peer_t  *pa, *pb;

    pa = &lb_balancer_sip_sorting->peers[*(const uint32_t *) a];
    pb = &lb_balancer_sip_sorting->peers[*(const uint32_t *) b];

    return strcmp(pa->target->addr.text, pb->target->addr.text);
}


/* Fill the table from the peers' addresses and effective weights. Each
 * turn, a peer earns credit by its weight and takes one entry each time
 * its credit reaches the largest weight: the heaviest peer takes an entry
 * every turn, one of half its weight every other turn. */
static void
lb_balancer_sip_update(lb_balancer_group_t *g)
{
    size_t               len;
    uint32_t             i, k, n, e, maxw, m;
    uint64_t             h1, h2;
    const char          *text;
    lb_balancer_sip_t   *s;
    lb_balancer_peer_t  *p;

    s = g->data;
    m = s->size;

    for (e = 0; e < m; e++) {
        s->table[e] = LB_SIP_NONE;
    }

    s->filled = 0;
    s->nordered = 0;
    n = 0;
    maxw = 0;

    for (i = 0; i < g->npeers; i++) {
        p = &g->peers[i];

        if (p->effective == 0) {
            continue;
        }

        text = p->target->addr.text;
        len = strlen(text);
        /* stable, not keyed: two nodes with the same targets must build
         * the same table */
        h1 = lb_hash_stable64(0, text, len);
        h2 = lb_hash_stable64(0x9e3779b97f4a7c15ull, text, len);

        s->pos[i] = (uint32_t) (h1 % m);
        s->skip[i] = (uint32_t) (h2 % (m - 1)) + 1;
        s->credit[i] = 0;
        s->order[n++] = i;

        maxw = lb_max(maxw, p->effective);
    }

    if (n == 0) {
        return;
    }

    lb_balancer_sip_sorting = g;
    qsort(s->order, n, sizeof(uint32_t), lb_balancer_sip_cmp);
    lb_balancer_sip_sorting = NULL;

    s->nordered = n;

    for ( ;; ) {
        for (k = 0; k < n; k++) {
            i = s->order[k];

            s->credit[i] += g->peers[i].effective;
            if (s->credit[i] < maxw) {
                continue;
            }
            s->credit[i] -= maxw;

            /* the next free entry of i's permutation; there is one, since
             * the table is not full yet, and the permutation visits every
             * entry (skip < m, m prime) */
            while (s->table[s->pos[i]] != LB_SIP_NONE) {
                s->pos[i] += s->skip[i];
                if (s->pos[i] >= m) {
                    s->pos[i] -= m;
                }
            }

            s->table[s->pos[i]] = i;

            if (++s->filled == m) {
                return;
            }
        }
    }
}


static lb_balancer_peer_t *
lb_balancer_sip_pick(lb_balancer_group_t *g, lb_balancer_request_t *r)
{
    size_t                      len;
    uint8_t                     key[17];
    uint32_t                    e, k, step, m;
    uint64_t                    h;
    lb_balancer_sip_t          *s;
    lb_balancer_peer_t         *p;
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    s = g->data;
    m = s->size;

    if (s->filled == 0) {
        return NULL;
    }

    /* the client's address without the port; an IPv4-mapped IPv6
     * address counts as the IPv4 one */
    len = 0;

    if (r->client != NULL && r->client->sa_family == AF_INET) {
        sin = (const struct sockaddr_in *) r->client;
        key[0] = 4;
        memcpy(&key[1], &sin->sin_addr, 4);
        len = 5;

    } else if (r->client != NULL && r->client->sa_family == AF_INET6) {
        sin6 = (const struct sockaddr_in6 *) r->client;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            key[0] = 4;
            memcpy(&key[1], &sin6->sin6_addr.s6_addr[12], 4);
            len = 5;

        } else {
            key[0] = 6;
            memcpy(&key[1], &sin6->sin6_addr, 16);
            len = 17;
        }
    }

    if (len == 0) {
        /* no address to hash (a unix socket, a test): the first entry */
        key[0] = 0;
        len = 1;
    }

    /* stable, not keyed, although the client chooses its address: every
     * node must send it to the same target; it fills no chained table */
    h = lb_hash_stable64(0, key, len);
    e = (uint32_t) (h % m);
    step = (uint32_t) ((h >> 32) % (m - 1)) + 1;

    for (k = 0; k < LB_SIP_PROBES; k++) {
        p = &g->peers[s->table[e]];

        if (lb_balancer_usable(p, r->tried)) {
            return p;
        }

        e += step;
        if (e >= m) {
            e -= m;
        }
    }

    /* most of the weight is unusable: any usable peer, from a place that
     * still depends on the client, in address order (not the config's,
     * which two nodes may write differently) */
    for (k = 0; k < s->nordered; k++) {
        p = &g->peers[s->order[(h + k) % s->nordered]];

        if (lb_balancer_usable(p, r->tried)) {
            return p;
        }
    }

    return NULL;
}
