/* weir: unit tests for src/core/lb_hash.c: SipHash-2-4 against the
 * reference vectors, keys that differ, and the stable hashes pinned to
 * the values that Maglev tables and derived ids depend on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_hash.h"

/* SipHash-2-4 of the messages 00, 00 01, ... 00..n-1 under the key
 * 00 01 .. 0f, as the bytes of the 64-bit result in little-endian order
 * (how the paper's appendix and its reference vectors print them) */
static const struct {
    size_t       len;
    uint8_t      out[8];
} vectors[] = {
    {  0, { 0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72 } },
    {  1, { 0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74 } },
    {  7, { 0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab } },
    {  8, { 0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93 } },
    { 15, { 0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1 } },
    { 16, { 0xdb, 0x9b, 0xc2, 0x57, 0x7f, 0xcc, 0x2a, 0x3f } },
    { 63, { 0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95 } },
};


static void
reference_key(lb_hash_key_t *key)
{
    unsigned  i;
    uint8_t   k[16];

    for (i = 0; i < 16; i++) {
        k[i] = (uint8_t) i;
    }

    lb_hash_key_set(key, k);
}


static uint64_t
le64(const uint8_t b[8])
{
    unsigned  i;
    uint64_t  v;

    for (v = 0, i = 0; i < 8; i++) {
        v |= (uint64_t) b[i] << (8 * i);
    }

    return v;
}


static void
test_siphash_vectors(void **state)
{
    size_t         i, j;
    uint8_t        msg[64];
    lb_hash_key_t  key;

    reference_key(&key);

    /* the paper's appendix: k0 and k1 as it writes them */
    assert_true(key.k0 == 0x0706050403020100ULL);
    assert_true(key.k1 == 0x0f0e0d0c0b0a0908ULL);

    for (j = 0; j < sizeof(msg); j++) {
        msg[j] = (uint8_t) j;
    }

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        assert_true(lb_hash_keyed(&key, msg, vectors[i].len)
                    == le64(vectors[i].out));
    }

    /* the worked example of the appendix, as a number */
    assert_true(lb_hash_keyed(&key, msg, 15) == 0xa129ca6149be45e5ULL);
}


/* the same bytes at any alignment give the same value: words are read
 * byte by byte, never through a cast */
static void
test_siphash_unaligned(void **state)
{
    size_t         off, len, i;
    uint8_t        ref[64], buf[80];
    lb_hash_key_t  key;

    reference_key(&key);

    for (i = 0; i < sizeof(ref); i++) {
        ref[i] = (uint8_t) (i * 7 + 1);
    }

    for (off = 1; off < 8; off++) {
        memset(buf, 0xee, sizeof(buf));
        memcpy(buf + off, ref, sizeof(ref));

        for (len = 0; len <= sizeof(ref); len++) {
            assert_true(lb_hash_keyed(&key, buf + off, len)
                        == lb_hash_keyed(&key, ref, len));
        }
    }
}


static void
test_keys_differ(void **state)
{
    unsigned       i, same;
    uint8_t        k[16];
    const char    *msg = "2001:db8::1";
    lb_hash_key_t  a, b, c;

    reference_key(&a);
    memset(k, 0, sizeof(k));
    k[15] = 1;
    lb_hash_key_set(&b, k);

    /* one bit of key changes the value, for every length tried */
    same = 0;
    for (i = 0; i <= strlen(msg); i++) {
        same += lb_hash_keyed(&a, msg, i) == lb_hash_keyed(&b, msg, i);
    }
    assert_int_equal(same, 0);

    /* random keys: two starts never share one */
    assert_int_equal(lb_hash_key_init(&b), LB_OK);
    assert_int_equal(lb_hash_key_init(&c), LB_OK);
    assert_false(b.k0 == c.k0 && b.k1 == c.k1);
    assert_true(lb_hash_keyed(&b, msg, strlen(msg))
                != lb_hash_keyed(&c, msg, strlen(msg)));

    /* the process key is made once */
    assert_ptr_equal(lb_hash_process_key(), lb_hash_process_key());
    assert_memory_equal(lb_hash_process_key(), lb_hash_process_key(),
                        sizeof(lb_hash_key_t));
}


/* The stable hashes are a contract with other machines and with ids
 * already written into files: these values must never change. FNV-1a 64
 * of "" is its offset basis, then the MurmurHash3 finalizer; the others
 * are what the Maglev code computed before this module existed (the two
 * hashes of a target's address that place it in the table). */
static void
test_stable64_pinned(void **state)
{
    assert_true(lb_hash_stable64(0, "", 0)
                == lb_hash_fmix64(14695981039346656037ULL));
    assert_true(lb_hash_stable64(0, "127.0.0.1:9001", 14)
                == 0x33ac4f5af5b06ee4ULL);
    assert_true(lb_hash_stable64(0x9e3779b97f4a7c15ULL, "127.0.0.1:9001",
                                 14)
                == 0xc750d038ab06a0f3ULL);
    assert_true(lb_hash_stable64(0, "a", 1) != lb_hash_stable64(1, "a", 1));
}


static void
test_stable128_pinned(void **state)
{
    lb_hash128_t  h, g;

    /* the parts of a derived id: kind, names, each with its NUL. These
     * are those of the listener of conf/weir.yaml, whose id has always
     * been 0fd1041e-7cd2-8f55-9b9f-775699266215: the same bits but for
     * the UUID's version (8) and variant (10b) */
    lb_hash_stable128_init(&h);
    lb_hash_stable128_add(&h, "listener", 9);
    lb_hash_stable128_add(&h, "demo-nlb", 9);
    lb_hash_stable128_add(&h, "tcp-8080", 9);
    lb_hash_stable128_final(&h);

    assert_true((h.hi & 0xffffffffffff0fffULL) == 0x0fd1041e7cd20f55ULL);
    assert_true((h.lo & 0x3fffffffffffffffULL) == 0x1b9f775699266215ULL);

    /* adding in pieces is adding at once */
    lb_hash_stable128_init(&g);
    lb_hash_stable128_add(&g, "listener\0demo", 13);
    lb_hash_stable128_add(&g, "-nlb\0tcp-8080", 14);
    lb_hash_stable128_final(&g);

    assert_true(g.hi == h.hi && g.lo == h.lo);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_siphash_unaligned),
        cmocka_unit_test(test_keys_differ),
        cmocka_unit_test(test_stable64_pinned),
        cmocka_unit_test(test_stable128_pinned),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
