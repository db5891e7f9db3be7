/* weir: keyed (SipHash-2-4) and stable (FNV-1a + MurmurHash3 mixer)
 * hashes. SipHash as described by Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF" (2012): four 64-bit words of state, c = 2 rounds per
 * 8-byte word of input, d = 4 rounds to finish. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "lb_hash.h"
#include "lb_log.h"

/* FNV offset bases and primes (64-bit; 128-bit is 2^88 + 0x13b) */
#define LB_FNV64_BASIS      14695981039346656037ULL
#define LB_FNV64_PRIME      1099511628211ULL
#define LB_FNV128_BASIS_HI  0x6c62272e07bb0142ULL
#define LB_FNV128_BASIS_LO  0x62b821756295c58dULL

#define LB_ROTL64(x, b)     (((x) << (b)) | ((x) >> (64 - (b))))

static inline void lb_sip_compress(uint64_t v[4], uint64_t m);
static inline void lb_sip_round(uint64_t v[4]);
static inline uint64_t lb_load64_le(const uint8_t *p);


lb_int_t
lb_hash_key_init(lb_hash_key_t *key)
{
    size_t   got;
    ssize_t  n;
    uint8_t  bytes[LB_HASH_KEY_SIZE];

    /* blocks only before the kernel's pool is first seeded, at boot */
    for (got = 0; got < sizeof(bytes); got += (size_t) n) {
        n = getrandom(bytes + got, sizeof(bytes) - got, 0);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }

            lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                         "%s() failed: no random key for the hash tables",
                         "getrandom");
            return LB_ERROR;
        }
    }

    lb_hash_key_set(key, bytes);

    return LB_OK;
}


void
lb_hash_key_set(lb_hash_key_t *key, const uint8_t bytes[16])
{
    key->k0 = lb_load64_le(bytes);
    key->k1 = lb_load64_le(bytes + 8);
}


const lb_hash_key_t *
lb_hash_process_key(void)
{
    static bool           made;
    static lb_hash_key_t  key;

    if (!made) {
        if (lb_hash_key_init(&key) != LB_OK) {
            /* no key is a broken system; an all-zero key still hashes
             * correctly, only predictably, and the error is logged */
            memset(&key, 0, sizeof(key));
        }
        made = true;
    }

    return &key;
}


uint64_t
lb_hash_keyed(const lb_hash_key_t *key, const void *data, size_t len)
{
    size_t          i, tail;
    uint64_t        v[4], m;
    const uint8_t  *p;

    /* the initial state: the key xored with "somepseudorandomlygenerated
     * bytes" in ASCII */
    v[0] = key->k0 ^ 0x736f6d6570736575ULL;
    v[1] = key->k1 ^ 0x646f72616e646f6dULL;
    v[2] = key->k0 ^ 0x6c7967656e657261ULL;
    v[3] = key->k1 ^ 0x7465646279746573ULL;

    p = data;

    for (i = 0; i + 8 <= len; i += 8) {
        lb_sip_compress(v, lb_load64_le(p + i));
    }

    /* the last word: the 0..7 bytes left, little-endian, with the length
     * modulo 256 in its top byte */
    m = (uint64_t) (len & 0xff) << 56;
    tail = len - i;

    while (tail != 0) {
        tail--;
        m |= (uint64_t) p[i + tail] << (8 * tail);
    }

    lb_sip_compress(v, m);

    v[2] ^= 0xff;
    lb_sip_round(v);
    lb_sip_round(v);
    lb_sip_round(v);
    lb_sip_round(v);

    return v[0] ^ v[1] ^ v[2] ^ v[3];
}


uint64_t
lb_hash_stable64(uint64_t seed, const void *data, size_t len)
{
    uint64_t        h;
    const uint8_t  *p;

    h = LB_FNV64_BASIS ^ seed;

    for (p = data; len != 0; len--, p++) {
        h = (h ^ *p) * LB_FNV64_PRIME;
    }

    /* FNV alone leaves the low bits, which a modulo uses, weak for short
     * inputs */
    return lb_hash_fmix64(h);
}


void
lb_hash_stable128_init(lb_hash128_t *h)
{
    h->hi = LB_FNV128_BASIS_HI;
    h->lo = LB_FNV128_BASIS_LO;
}


void
lb_hash_stable128_add(lb_hash128_t *h, const void *data, size_t len)
{
    uint64_t        hi, lo, nl, carry, x, y;
    const uint8_t  *p;

    hi = h->hi;
    lo = h->lo;

    for (p = data; len != 0; len--, p++) {
        lo ^= *p;

        /* (hi, lo) *= 2^88 + 0x13b, modulo 2^128 */
        x = (lo & 0xffffffffULL) * 0x13b;
        y = (lo >> 32) * 0x13b;
        carry = (y + (x >> 32)) >> 32;
        nl = lo * 0x13b;
        hi = hi * 0x13b + carry + (lo << 24);
        lo = nl;
    }

    h->hi = hi;
    h->lo = lo;
}


void
lb_hash_stable128_final(lb_hash128_t *h)
{
    /* FNV spreads the last bytes poorly: without this, two inputs that
     * differ in their last byte differ in a few output digits only */
    h->hi ^= lb_hash_fmix64(h->lo);
    h->lo ^= lb_hash_fmix64(h->hi);
    h->hi ^= lb_hash_fmix64(h->lo);
}


/* one word of input: c = 2 rounds */
static inline void
lb_sip_compress(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    lb_sip_round(v);
    lb_sip_round(v);
    v[0] ^= m;
}


static inline void
lb_sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = LB_ROTL64(v[1], 13);
    v[1] ^= v[0];
    v[0] = LB_ROTL64(v[0], 32);

    v[2] += v[3];
    v[3] = LB_ROTL64(v[3], 16);
    v[3] ^= v[2];

    v[0] += v[3];
    v[3] = LB_ROTL64(v[3], 21);
    v[3] ^= v[0];

    v[2] += v[1];
    v[1] = LB_ROTL64(v[1], 17);
    v[1] ^= v[2];
    v[2] = LB_ROTL64(v[2], 32);
}


static inline uint64_t
lb_load64_le(const uint8_t *p)
{
    return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
           | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
           | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
           | (uint64_t) p[7] << 56;
}
