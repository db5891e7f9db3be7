/* weir: the one place hashes are computed. Two kinds, named for what they
 * promise:
 *
 * - keyed (SipHash-2-4 under a secret 128-bit key): for every table whose
 *   keys a client chooses (client addresses, cookies, server names). The
 *   key is random per start, so nobody outside can aim many keys at one
 *   bucket. Tables that several processes share take the key kept in the
 *   shared zone (lb_zone_hash_key()); a table of one process makes its own
 *   with lb_hash_key_init() or uses lb_hash_process_key().
 * - stable (FNV-1a finished with the MurmurHash3 mixer): the same value on
 *   every machine and every start, where agreement matters: Maglev
 *   positions (two nodes with the same targets pick alike), derived ids and
 *   names of shared records. Never for keys a client chooses. */
#ifndef LB_HASH_H
#define LB_HASH_H

#include "lb_core_types.h"

#define LB_HASH_KEY_SIZE  16

typedef struct {
    uint64_t            k0;           /* key bytes 0..7, little-endian */
    uint64_t            k1;           /* key bytes 8..15 */
} lb_hash_key_t;

/* the running state of lb_hash_stable128_*() */
typedef struct {
    uint64_t            hi;
    uint64_t            lo;
} lb_hash128_t;

/* Fill key with LB_HASH_KEY_SIZE random bytes from getrandom(). LB_OK, or
 * LB_ERROR (logged) when the kernel gives none. */
lb_int_t lb_hash_key_init(lb_hash_key_t *key);

/* Set key from 16 bytes (k0 from bytes 0..7, k1 from 8..15, as SipHash
 * reads its key); for tests and for a key received from elsewhere. */
void lb_hash_key_set(lb_hash_key_t *key, const uint8_t bytes[16]);

/* This process's own key, made on first use. A child forked after that
 * first use shares it (it stays secret all the same). For per-process
 * tables that have nowhere better to keep a key. */
const lb_hash_key_t *lb_hash_process_key(void);

/* SipHash-2-4 of data[0..len) under key. */
uint64_t lb_hash_keyed(const lb_hash_key_t *key, const void *data,
    size_t len);

/* FNV-1a (64-bit) of data[0..len) started from the offset basis xor seed,
 * then lb_hash_fmix64(): a fixed function of (seed, bytes), so equal on
 * every machine, start and version. Two seeds give two independent
 * hashes of the same bytes. */
uint64_t lb_hash_stable64(uint64_t seed, const void *data, size_t len);

/* FNV-1a with the 128-bit parameters over everything added, then the
 * halves mixed into each other with lb_hash_fmix64() (each step
 * invertible, so no two states become one). A fixed function of the
 * bytes: for derived ids that must never change. */
void lb_hash_stable128_init(lb_hash128_t *h);
void lb_hash_stable128_add(lb_hash128_t *h, const void *data, size_t len);
void lb_hash_stable128_final(lb_hash128_t *h);

/* The 64-bit finalizer of MurmurHash3: every input bit flips about half
 * of the output bits; a bijection. For integers that are not chosen by a
 * client (pointers, ids). */
static inline uint64_t
lb_hash_fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;

    return k;
}

#endif /* LB_HASH_H */
