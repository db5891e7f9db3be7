/* weir: session ticket keys in the shared zone (lb_zone_ticket.h).
 *
 * The keys are stored as 64-bit words, written and read with relaxed
 * atomics between the sequence number's changes (a seqlock): a reader
 * that saw the number move, or odd, copies again. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lb_log.h"
#include "lb_slab.h"
#include "lb_zone.h"
#include "lb_zone_ticket.h"

/* copies before lb_zone_ticket_keys() gives up on the writer */
#define LB_ZONE_TICKET_TRIES  100

#define LB_ZONE_TICKET_WORDS                                                \
    (sizeof(lb_zone_ticket_key_t) / sizeof(uint64_t))

_Static_assert(sizeof(lb_zone_ticket_key_t) % sizeof(uint64_t) == 0,
               "lb_zone_ticket_key_t is not whole 64-bit words");

typedef struct {
    uint64_t            seq;          /* odd while the master writes */
    uint64_t            made;         /* CLOCK_MONOTONIC ms */
    uint64_t            rotations;
    uint32_t            nkeys;        /* 1 or 2 */
    uint64_t            words[LB_ZONE_TICKET_KEYS][LB_ZONE_TICKET_WORDS];
} lb_zone_tickets_t;

static lb_int_t lb_zone_ticket_random(lb_zone_ticket_key_t *key);
static void lb_zone_ticket_store(uint64_t *dst, const lb_zone_ticket_key_t *k);


static lb_zone_tickets_t *
lb_zone_tickets(lb_shm_zone_t *z)
{
    return lb_shm_ptr(z, lb_zone_root(z)->tickets);
}


lb_int_t
lb_zone_ticket_init(lb_shm_zone_t *z)
{
    struct timespec        ts;
    lb_zone_tickets_t     *t;
    lb_zone_ticket_key_t   key;

    t = lb_slab_calloc(lb_zone_slab(z), sizeof(lb_zone_tickets_t));
    if (t == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone is too small for the session ticket keys");
        return LB_ERROR;
    }

    if (lb_zone_ticket_random(&key) != LB_OK) {
        return LB_ERROR;
    }

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    lb_zone_ticket_store(t->words[0], &key);
    explicit_bzero(&key, sizeof(key));
    t->nkeys = 1;
    t->made = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;

    lb_zone_root(z)->tickets = lb_shm_off(z, t);

    return LB_OK;
}


lb_int_t
lb_zone_ticket_rotate(lb_shm_zone_t *z, uint64_t now)
{
    size_t                 i;
    uint64_t               w;
    lb_zone_tickets_t     *t;
    lb_zone_ticket_key_t   key;

    t = lb_zone_tickets(z);

    /* made before the sequence turns odd: readers never wait on a
     * syscall */
    if (lb_zone_ticket_random(&key) != LB_OK) {
        return LB_ERROR;
    }

    __atomic_add_fetch(&t->seq, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);

    for (i = 0; i < LB_ZONE_TICKET_WORDS; i++) {
        w = __atomic_load_n(&t->words[0][i], __ATOMIC_RELAXED);
        __atomic_store_n(&t->words[1][i], w, __ATOMIC_RELAXED);
    }

    lb_zone_ticket_store(t->words[0], &key);
    explicit_bzero(&key, sizeof(key));

    __atomic_store_n(&t->nkeys, LB_ZONE_TICKET_KEYS, __ATOMIC_RELAXED);
    __atomic_store_n(&t->made, now, __ATOMIC_RELAXED);
    __atomic_add_fetch(&t->rotations, 1, __ATOMIC_RELAXED);

    __atomic_add_fetch(&t->seq, 1, __ATOMIC_RELEASE);

    return LB_OK;
}


uint64_t
lb_zone_ticket_made(lb_shm_zone_t *z)
{
    return __atomic_load_n(&lb_zone_tickets(z)->made, __ATOMIC_RELAXED);
}


uint64_t
lb_zone_ticket_rotations(lb_shm_zone_t *z)
{
    return __atomic_load_n(&lb_zone_tickets(z)->rotations, __ATOMIC_RELAXED);
}


uint32_t
lb_zone_ticket_keys(lb_shm_zone_t *z,
    lb_zone_ticket_key_t keys[LB_ZONE_TICKET_KEYS])
{
    size_t              i, k;
    uint32_t            n, tries;
    uint64_t            s1, s2;
    uint64_t            words[LB_ZONE_TICKET_KEYS][LB_ZONE_TICKET_WORDS];
    lb_zone_tickets_t  *t;

    t = lb_zone_tickets(z);

    for (tries = 0; tries < LB_ZONE_TICKET_TRIES; tries++) {
        s1 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            continue;
        }

        n = __atomic_load_n(&t->nkeys, __ATOMIC_RELAXED);
        if (n > LB_ZONE_TICKET_KEYS) {
            n = LB_ZONE_TICKET_KEYS;
        }

        for (k = 0; k < n; k++) {
            for (i = 0; i < LB_ZONE_TICKET_WORDS; i++) {
                words[k][i] = __atomic_load_n(&t->words[k][i],
                                              __ATOMIC_RELAXED);
            }
        }

        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        s2 = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);

        if (s1 == s2) {
            memcpy(keys, words, n * sizeof(lb_zone_ticket_key_t));
            explicit_bzero(words, sizeof(words));
            return n;
        }
    }

    explicit_bzero(words, sizeof(words));

    return 0;
}


static lb_int_t
lb_zone_ticket_random(lb_zone_ticket_key_t *key)
{
    size_t   got;
    ssize_t  n;

    for (got = 0; got < sizeof(*key); got += (size_t) n) {
        n = getrandom((uint8_t *) key + got, sizeof(*key) - got, 0);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }

            lb_log_error(LB_LOG_ALERT, &lb_log, errno, "%s() failed: no "
                         "session ticket key", "getrandom");
            return LB_ERROR;
        }
    }

    return LB_OK;
}


/* the key's bytes into the words of a slot, one relaxed store each */
static void
lb_zone_ticket_store(uint64_t *dst, const lb_zone_ticket_key_t *k)
{
    size_t    i;
    uint64_t  w[LB_ZONE_TICKET_WORDS];

    memcpy(w, k, sizeof(w));

    for (i = 0; i < LB_ZONE_TICKET_WORDS; i++) {
        __atomic_store_n(&dst[i], w[i], __ATOMIC_RELAXED);
    }

    explicit_bzero(w, sizeof(w));
}
