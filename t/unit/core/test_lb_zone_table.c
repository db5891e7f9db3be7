/* weir: unit tests for src/core/lb_zone_table.c: bounded shared tables
 * with LRU and expiry (sticky bindings). The file under test is included
 * to measure its hash chains. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_log.h"
#include "lb_shm.h"
#include "lb_slab.h"
#include "lb_zone.h"
#include "lb_zone_table.c"
#include "../lb_test.h"

static lb_shm_zone_t  *z;


static int
setup(void **state)
{
    z = lb_zone_create(4 * 1024 * 1024);
    assert_non_null(z);
    return 0;
}


static int
teardown(void **state)
{
    lb_zone_destroy(z);
    return 0;
}


/* key "k<n>", value n as uint32 */
static size_t
key(char *buf, unsigned n)
{
    return (size_t) sprintf(buf, "k%u", n);
}


static lb_int_t
set(lb_zone_table_t *t, unsigned n, lb_msec_t now, lb_msec_t ttl)
{
    char      k[32];
    uint32_t  v = n;

    return lb_zone_table_set(t, k, key(k, n), &v, now, ttl);
}


/* the value bound to key n, or -1 */
static int64_t
look(lb_zone_table_t *t, unsigned n, lb_msec_t now, lb_msec_t ttl)
{
    char      k[32];
    uint32_t  v;

    if (lb_zone_table_lookup(t, k, key(k, n), now, ttl, &v) != LB_OK) {
        return -1;
    }
    return v;
}


static void
test_get(void **state)
{
    lb_zone_table_t  *t;

    assert_null(lb_zone_table_get(z, "sticky:g1", 32, 4, 100, false));

    t = lb_zone_table_get(z, "sticky:g1", 32, 4, 100, true);
    assert_non_null(t);
    assert_string_equal(t->name, "sticky:g1");
    assert_int_equal(t->capacity, 100);

    assert_ptr_equal(lb_zone_table_get(z, "sticky:g1", 32, 4, 100, false),
                     t);
    assert_ptr_equal(lb_zone_table_get(z, "sticky:g1", 32, 4, 100, true), t);
    assert_true(lb_zone_table_get(z, "sticky:g2", 32, 4, 100, true) != t);

    lb_test_quiet(true);
    /* same name, other shape */
    assert_null(lb_zone_table_get(z, "sticky:g1", 16, 4, 100, true));
    assert_null(lb_zone_table_get(z, "sticky:g1", 32, 8, 100, true));
    assert_null(lb_zone_table_get(z, "sticky:g1", 32, 4, 101, true));
    /* bad arguments */
    assert_null(lb_zone_table_get(z, "", 32, 4, 100, true));
    assert_null(lb_zone_table_get(z, "x", 0, 4, 100, true));
    assert_null(lb_zone_table_get(z, "x", 32, 4, 0, true));
    assert_null(lb_zone_table_get(z, "x", LB_ZONE_TABLE_MAX_KEY + 1, 4, 1,
                                  true));
    /* bigger than the zone */
    assert_null(lb_zone_table_get(z, "huge", 1000, 1000,
                                  LB_ZONE_TABLE_MAX_ENTRIES, true));
    lb_test_quiet(false);
}


static void
test_set_lookup(void **state)
{
    char                    k[LB_ZONE_TABLE_MAX_KEY + 1];
    uint32_t                v;
    lb_zone_table_t        *t;
    lb_zone_table_stats_t   st;

    t = lb_zone_table_get(z, "t", 16, 4, 10, true);
    assert_non_null(t);

    assert_int_equal(look(t, 1, 1000, 0), -1);
    assert_int_equal(set(t, 1, 1000, 500), LB_OK);
    assert_int_equal(set(t, 2, 1000, 500), LB_OK);
    assert_int_equal(look(t, 1, 1001, 0), 1);
    assert_int_equal(look(t, 2, 1001, 0), 2);
    assert_int_equal(look(t, 3, 1001, 0), -1);

    /* overwrite */
    v = 77;
    assert_int_equal(lb_zone_table_set(t, "k1", 2, &v, 1002, 500), LB_OK);
    assert_int_equal(look(t, 1, 1003, 0), 77);

    /* keys are bytes, not strings: "k1" and "k1\0" differ */
    assert_int_equal(lb_zone_table_lookup(t, "k1", 3, 1003, 0, &v),
                     LB_DECLINED);

    /* existence only */
    assert_int_equal(lb_zone_table_lookup(t, "k2", 2, 1003, 0, NULL), LB_OK);

    /* key lengths */
    memset(k, 'a', sizeof(k));
    assert_int_equal(lb_zone_table_set(t, k, 16, &v, 1003, 500), LB_OK);
    assert_int_equal(lb_zone_table_lookup(t, k, 16, 1003, 0, NULL), LB_OK);
    assert_int_equal(lb_zone_table_lookup(t, k, 15, 1003, 0, NULL),
                     LB_DECLINED);
    assert_int_equal(lb_zone_table_set(t, k, 17, &v, 1003, 500), LB_ERROR);
    assert_int_equal(lb_zone_table_set(t, k, 0, &v, 1003, 500), LB_ERROR);
    assert_int_equal(lb_zone_table_lookup(t, k, 17, 1003, 0, NULL),
                     LB_ERROR);

    lb_zone_table_stats(t, &st);
    assert_int_equal(st.nentries, 3);
    assert_int_equal(st.capacity, 10);
    assert_int_equal(st.inserts, 3);
    assert_int_equal(st.hits, 5);
    assert_int_equal(st.misses, 4);

    assert_int_equal(lb_zone_table_delete(t, "k2", 2), LB_OK);
    assert_int_equal(lb_zone_table_delete(t, "k2", 2), LB_DECLINED);
    assert_int_equal(look(t, 2, 1004, 0), -1);
    lb_zone_table_stats(t, &st);
    assert_int_equal(st.nentries, 2);
}


/* An unused binding expires ttl after its last use; a use renews it. */
static void
test_expiry(void **state)
{
    lb_zone_table_t        *t;
    lb_zone_table_stats_t   st;

    t = lb_zone_table_get(z, "t", 16, 4, 10, true);
    assert_non_null(t);

    assert_int_equal(set(t, 1, 1000, 100), LB_OK);      /* until 1100 */
    assert_int_equal(set(t, 2, 1000, 100), LB_OK);

    assert_int_equal(look(t, 1, 1099, 100), 1);         /* until 1199 */
    assert_int_equal(look(t, 2, 1099, 0), 2);           /* peek: 1100 */

    assert_int_equal(look(t, 2, 1100, 0), -1);          /* expired */
    assert_int_equal(look(t, 1, 1198, 0), 1);
    assert_int_equal(look(t, 1, 1199, 0), -1);

    lb_zone_table_stats(t, &st);
    assert_int_equal(st.nentries, 0);
    assert_int_equal(st.expirations, 2);

    /* the sweep: oldest use first, bounded */
    assert_int_equal(set(t, 1, 2000, 100), LB_OK);
    assert_int_equal(set(t, 2, 2010, 100), LB_OK);
    assert_int_equal(set(t, 3, 2020, 100), LB_OK);
    assert_int_equal(set(t, 4, 2030, 100), LB_OK);

    assert_int_equal(lb_zone_table_expire(t, 2099, 10), 0);
    assert_int_equal(lb_zone_table_expire(t, 2115, 10), 2);
    assert_int_equal(look(t, 3, 2115, 0), 3);
    assert_int_equal(lb_zone_table_expire(t, 5000, 1), 1);
    assert_int_equal(lb_zone_table_expire(t, 5000, 10), 1);

    lb_zone_table_stats(t, &st);
    assert_int_equal(st.nentries, 0);
    assert_int_equal(st.expirations, 6);
}


/* Full: the least recently used entry makes room; expired ones count as
 * expired, live ones as evicted. */
static void
test_lru(void **state)
{
    unsigned                i;
    lb_zone_table_t        *t;
    lb_zone_table_stats_t   st;

    t = lb_zone_table_get(z, "t", 16, 4, 4, true);
    assert_non_null(t);

    for (i = 1; i <= 4; i++) {
        assert_int_equal(set(t, i, 1000 + i, 1000), LB_OK);
    }

    assert_int_equal(look(t, 1, 1010, 1000), 1);    /* 1 is recent now */

    assert_int_equal(set(t, 5, 1011, 1000), LB_OK); /* pushes 2 out */
    assert_int_equal(look(t, 2, 1012, 0), -1);
    assert_int_equal(look(t, 1, 1012, 0), 1);
    assert_int_equal(look(t, 3, 1012, 0), 3);

    /* peeks do not count as use: 3 was peeked, yet is the oldest use */
    assert_int_equal(set(t, 6, 1013, 1000), LB_OK);
    assert_int_equal(look(t, 3, 1014, 0), -1);
    assert_int_equal(look(t, 4, 1014, 0), 4);

    /* overwriting is a use: 1 stays, 4 goes */
    assert_int_equal(set(t, 1, 1015, 1000), LB_OK);
    assert_int_equal(set(t, 7, 1016, 1000), LB_OK);
    assert_int_equal(look(t, 4, 1017, 0), -1);
    assert_int_equal(look(t, 1, 1017, 0), 1);
    assert_int_equal(look(t, 5, 1017, 0), 5);
    assert_int_equal(look(t, 6, 1017, 0), 6);

    lb_zone_table_stats(t, &st);
    assert_int_equal(st.nentries, 4);
    assert_int_equal(st.evictions, 3);

    /* all expired: the next one replaces an expired entry */
    assert_int_equal(set(t, 8, 9000, 1000), LB_OK);
    lb_zone_table_stats(t, &st);
    assert_int_equal(st.evictions, 3);
    assert_int_equal(st.expirations, 1);
}


/* Many more keys than room: the table holds exactly the last capacity
 * keys, each with its own value. */
static void
test_many(void **state)
{
    unsigned                i;
    lb_zone_table_t        *t;
    lb_zone_table_stats_t   st;

    t = lb_zone_table_get(z, "many", 24, 4, 1000, true);
    assert_non_null(t);

    for (i = 0; i < 20000; i++) {
        assert_int_equal(set(t, i, 1000, 100000), LB_OK);
    }

    lb_zone_table_stats(t, &st);
    assert_int_equal(st.nentries, 1000);
    assert_int_equal(st.evictions, 19000);

    for (i = 0; i < 19000; i++) {
        assert_int_equal(look(t, i, 2000, 0), -1);
    }
    for (i = 19000; i < 20000; i++) {
        assert_int_equal(look(t, i, 2000, 0), i);
    }

    for (i = 19000; i < 20000; i += 2) {
        assert_int_equal(lb_zone_table_delete(t, "x", 1), LB_DECLINED);
        assert_int_equal(look(t, i, 2000, 0), i);
    }
}


/* Bindings made by one worker are seen by another. */
static void
test_fork(void **state)
{
    unsigned          i;
    pid_t             pid;
    lb_zone_table_t  *t;

    t = lb_zone_table_get(z, "shared", 16, 4, 100, true);
    assert_non_null(t);

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        /* the child finds the table by name, as a worker does */
        t = lb_zone_table_get(z, "shared", 16, 4, 100, false);
        if (t == NULL) {
            _exit(1);
        }
        for (i = 0; i < 50; i++) {
            if (set(t, i, 1000, 1000) != LB_OK) {
                _exit(2);
            }
        }
        _exit(0);
    }

    assert_int_equal(lb_test_wait_ok(pid), 0);

    for (i = 0; i < 50; i++) {
        assert_int_equal(look(t, i, 1500, 0), i);
    }
}


/* A retired table is not found any more and its memory goes back to the
 * zone when reaped. */
static void
test_retire(void **state)
{
    lb_zone_table_t  *t, *u;
    lb_slab_stats_t   a, b;

    lb_slab_stats(lb_zone_slab(z), &a);

    t = lb_zone_table_get(z, "old", 64, 4, 5000, true);
    assert_non_null(t);
    assert_int_equal(set(t, 1, 1000, 1000), LB_OK);

    lb_slab_stats(lb_zone_slab(z), &b);
    assert_true(b.free_pages < a.free_pages);

    lb_zone_generation_bump(z);
    lb_zone_table_retire(z, t);
    assert_null(lb_zone_table_get(z, "old", 64, 4, 5000, false));

    /* a process of the previous generation still uses it */
    assert_int_equal(look(t, 1, 1001, 0), 1);
    assert_int_equal(lb_zone_reap(z, 0), 0);

    assert_int_equal(lb_zone_reap(z, lb_zone_generation(z)), 1);
    lb_slab_stats(lb_zone_slab(z), &b);
    assert_int_equal(b.free_pages, a.free_pages);

    /* a new table by the same name starts empty */
    u = lb_zone_table_get(z, "old", 64, 4, 5000, true);
    assert_non_null(u);
    assert_int_equal(look(u, 1, 1002, 0), -1);
}


/* A worker that dies holding a table's lock: the table is emptied (its
 * lists may be half-linked) and works again. */
static void
test_owner_died(void **state)
{
    pid_t                   pid;
    lb_zone_table_t        *t;
    lb_zone_table_stats_t   st;

#ifndef LB_HAVE_ROBUST_MUTEX
    skip();
#endif

    t = lb_zone_table_get(z, "t", 16, 4, 10, true);
    assert_non_null(t);
    assert_int_equal(set(t, 1, 1000, 1000), LB_OK);
    assert_int_equal(set(t, 2, 1000, 1000), LB_OK);

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        if (lb_shmtx_lock(&t->mutex) != LB_OK) {
            _exit(1);
        }
        t->lru_tail = 12345;     /* as if killed mid-update */
        _exit(0);
    }

    assert_int_equal(lb_test_wait_ok(pid), 0);

    lb_test_quiet(true);
    assert_int_equal(look(t, 1, 1001, 0), -1);
    lb_test_quiet(false);

    lb_zone_table_stats(t, &st);
    assert_int_equal(st.clears, 1);
    assert_int_equal(st.nentries, 0);

    assert_int_equal(set(t, 1, 1002, 1000), LB_OK);
    assert_int_equal(look(t, 1, 1003, 0), 1);
}


/* --- keys a client chooses: they must spread over the buckets --- */

#define SPREAD_KEYS      10000
#define SPREAD_CAPACITY  16384       /* a SOURCE_IP sticky table's */
#define SPREAD_KEY_SIZE  17          /* family byte + IPv6 address */
#define SPREAD_MAX_LOAD  12          /* 10000 keys in 16384 buckets at
                                        random: 7 or 8 at the most */

/* The hash the zone's tables used before they were keyed (FNV-1a 32):
 * here only to show that the keys below were a real attack on it. */
static uint32_t
fnv1a32(const uint8_t *p, size_t len)
{
    uint32_t  h;

    for (h = 2166136261u; len != 0; len--, p++) {
        h = (h ^ *p) * 16777619u;
    }

    return h;
}


/* A SOURCE_IP key (lb_sticky_key()) for 2001:db8:1:2::/64 with the last
 * eight bytes of the address from iid. */
static void
spread_key(uint8_t *k, uint64_t iid)
{
    static const uint8_t  prefix[8] = { 0x20, 0x01, 0x0d, 0xb8,
                                        0x00, 0x01, 0x00, 0x02 };
    unsigned              i;

    k[0] = 6;
    memcpy(&k[1], prefix, 8);

    for (i = 0; i < 8; i++) {
        k[9 + i] = (uint8_t) (iid >> (56 - 8 * i));
    }
}


/* SPREAD_KEYS addresses of one /64 that all fall in one bucket of a
 * 16384-bucket table under unkeyed FNV-1a: the low 14 bits of FNV-1a
 * depend only on the low 14 bits of its state, and the last byte sets
 * the low 8 of them; so every choice of the three bytes before it that
 * leaves bits 8..13 of the state as they were for the first, completed
 * by the right last byte, lands in the same bucket. The kind of flood
 * that took a lookup from 3 us to 168 us (issue 13). */
static void
spread_crafted(uint8_t (*keys)[SPREAD_KEY_SIZE])
{
    uint8_t   k[SPREAD_KEY_SIZE];
    uint32_t  abc, s, want, n;
    bool      first;

    first = true;
    want = 0;
    n = 0;

    for (abc = 0; n < SPREAD_KEYS && abc < (1u << 24); abc++) {
        spread_key(k, (uint64_t) abc << 8);
        s = fnv1a32(k, SPREAD_KEY_SIZE - 1);

        if (first) {
            want = s & 0x3fff;
            first = false;
        }

        if ((s & 0x3f00) != (want & 0x3f00)) {
            continue;
        }

        k[SPREAD_KEY_SIZE - 1] = (uint8_t) ((s ^ want) & 0xff);
        memcpy(keys[n++], k, SPREAD_KEY_SIZE);
    }

    assert_int_equal(n, SPREAD_KEYS);
}


/* Insert every key, check each is found, and return the longest chain. */
static uint32_t
spread_load(lb_zone_table_t *t, uint8_t (*keys)[SPREAD_KEY_SIZE])
{
    uint32_t          i, n, len, max, v;
    lb_zone_entry_t  *e;

    for (i = 0; i < SPREAD_KEYS; i++) {
        assert_int_equal(lb_zone_table_set(t, keys[i], SPREAD_KEY_SIZE, &i,
                                           1, 1000), LB_OK);
    }

    for (i = 0; i < SPREAD_KEYS; i++) {
        assert_int_equal(lb_zone_table_lookup(t, keys[i], SPREAD_KEY_SIZE, 2,
                                              0, &v), LB_OK);
        assert_int_equal(v, i);
    }

    max = 0;

    for (i = 0; i < t->nbuckets; i++) {
        len = 0;
        for (n = lb_zone_table_buckets(t)[i]; n != 0; n = e->hnext) {
            e = lb_zone_entry(t, n);
            len++;
        }
        max = lb_max(max, len);
    }

    return max;
}


static void
test_spread_crafted(void **state)
{
    uint8_t           (*keys)[SPREAD_KEY_SIZE];
    uint32_t           i, max, same;
    lb_zone_table_t   *t;
    lb_shm_zone_t     *z2;

    keys = calloc(SPREAD_KEYS, SPREAD_KEY_SIZE);
    assert_non_null(keys);

    spread_crafted(keys);

    /* unkeyed, every key went to one bucket */
    for (i = 1; i < SPREAD_KEYS; i++) {
        assert_int_equal(fnv1a32(keys[i], SPREAD_KEY_SIZE) & 0x3fff,
                         fnv1a32(keys[0], SPREAD_KEY_SIZE) & 0x3fff);
    }

    t = lb_zone_table_get(z, "sticky:flood", SPREAD_KEY_SIZE, 4,
                          SPREAD_CAPACITY, true);
    assert_non_null(t);
    assert_int_equal(t->nbuckets, 16384);

    max = spread_load(t, keys);
    print_message("crafted /64 keys: longest chain %u of %u keys\n", max,
                  SPREAD_KEYS);
    assert_true(max <= SPREAD_MAX_LOAD);

    /* the key is the zone's, made with it: a table made later in the same
     * zone (after a reload) hashes alike, another start does not */
    assert_memory_equal(&t->hash_key, lb_zone_hash_key(z),
                        sizeof(lb_hash_key_t));

    z2 = lb_zone_create(4 * 1024 * 1024);
    assert_non_null(z2);
    assert_memory_not_equal(lb_zone_hash_key(z), lb_zone_hash_key(z2),
                            sizeof(lb_hash_key_t));

    for (same = 0, i = 0; i < SPREAD_KEYS; i++) {
        same += (lb_hash_keyed(lb_zone_hash_key(z), keys[i], SPREAD_KEY_SIZE)
                 & 0x3fff)
                == (lb_hash_keyed(lb_zone_hash_key(z2), keys[i],
                                  SPREAD_KEY_SIZE) & 0x3fff);
    }
    assert_true(same < SPREAD_KEYS / 100);

    lb_zone_destroy(z2);
    free(keys);
}


/* addresses that differ only in their low bits, as one client's /64
 * hands them out */
static void
test_spread_sequential(void **state)
{
    uint8_t           (*keys)[SPREAD_KEY_SIZE];
    uint32_t           i, max;
    lb_zone_table_t   *t;

    keys = calloc(SPREAD_KEYS, SPREAD_KEY_SIZE);
    assert_non_null(keys);

    for (i = 0; i < SPREAD_KEYS; i++) {
        spread_key(keys[i], i);
    }

    t = lb_zone_table_get(z, "sticky:seq", SPREAD_KEY_SIZE, 4,
                          SPREAD_CAPACITY, true);
    assert_non_null(t);

    max = spread_load(t, keys);
    print_message("sequential /64 keys: longest chain %u of %u keys\n", max,
                  SPREAD_KEYS);
    assert_true(max <= SPREAD_MAX_LOAD);

    free(keys);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lru, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_died, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spread_crafted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spread_sequential, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
