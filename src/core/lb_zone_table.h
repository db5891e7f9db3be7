/* weir: bounded key-value tables in the shared zone, for state that every
 * worker shares and that survives a reload: sticky session bindings
 * (client address or cookie -> target id). A table holds at most
 * `capacity` entries of keys up to key_size bytes and values of exactly
 * value_size bytes; every entry expires `ttl` ms after its last use, and
 * when the table is full the least recently used entry makes room. All the
 * memory is taken when the table is made; no operation allocates. Each
 * table has its own lock, held only for one lookup or update. Keys are
 * hashed with the zone's secret key (lb_zone_hash_key()): clients choose
 * them and must not be able to fill one chain. */
#ifndef LB_ZONE_TABLE_H
#define LB_ZONE_TABLE_H

#include "lb_core_types.h"
#include "lb_hash.h"
#include "lb_shm.h"
#include "lb_shmtx.h"
#include "lb_zone.h"

#define LB_ZONE_TABLE_MAX_KEY     1024
#define LB_ZONE_TABLE_MAX_VALUE   1024
#define LB_ZONE_TABLE_MAX_ENTRIES (1u << 24)

typedef struct lb_zone_table_s  lb_zone_table_t;

struct lb_zone_table_s {
    char                name[LB_ZONE_TABLE_NAME_LEN + 1];
    uint32_t            key_size;     /* longest key */
    uint32_t            value_size;
    uint32_t            capacity;
    uint32_t            nentries;
    uint32_t            nbuckets;     /* a power of two */
    uint32_t            entry_size;
    uint32_t            lru_head;     /* most recent; entry number + 1 */
    uint32_t            lru_tail;     /* least recent; 0: empty */
    uint32_t            free_head;    /* unused entries */
    lb_shm_off_t        next;         /* zone's list: live, then retired */
    uint64_t            retired_gen;
    uint64_t            buckets;      /* offsets from the table */
    uint64_t            entries;
    uint64_t            hits;
    uint64_t            misses;
    uint64_t            inserts;
    uint64_t            evictions;    /* still valid, pushed out when full */
    uint64_t            expirations;
    uint32_t            clears;       /* emptied after a holder died */
    uint32_t            journal;      /* changes go to the peers'
                                         journal (lb_zone_journal.h) */
    lb_hash_key_t       hash_key;     /* the zone's, copied when made */
    lb_shmtx_t          mutex;
};

typedef struct {
    uint32_t            capacity;
    uint32_t            nentries;
    uint64_t            hits;
    uint64_t            misses;
    uint64_t            inserts;
    uint64_t            evictions;
    uint64_t            expirations;
    uint32_t            clears;
} lb_zone_table_stats_t;

/* The table called `name` in zone z. If there is none and create is true,
 * a new empty one for capacity entries (1..LB_ZONE_TABLE_MAX_ENTRIES) of
 * keys up to key_size bytes and value_size-byte values. An existing table
 * with other sizes or capacity is an error. Returns NULL (logged) on error
 * or a full zone, or when not found and create is false. The table stays
 * valid until lb_zone_table_retire() and the reaper. */
lb_zone_table_t *lb_zone_table_get(lb_shm_zone_t *z, const char *name,
    size_t key_size, size_t value_size, uint32_t capacity, bool create);

/* Drop t from the zone's list; its memory is freed by lb_zone_reap() once
 * no process of a generation before the current one is left. The master
 * calls it after lb_zone_sync() of the configuration that no longer uses
 * the table. */
void lb_zone_table_retire(lb_shm_zone_t *z, lb_zone_table_t *t);

/* Find key[0..len). LB_OK: found and not expired at `now`; the value is
 * copied to `value` (if not NULL) and, if ttl > 0, the entry is renewed
 * to expire at now + ttl and becomes the most recent. LB_DECLINED: not
 * there (an expired entry is removed). LB_ERROR: bad key length. */
lb_int_t lb_zone_table_lookup(lb_zone_table_t *t, const void *key,
    size_t len, lb_msec_t now, lb_msec_t ttl, void *value);

/* Bind key[0..len) to value (value_size bytes), expiring at now + ttl,
 * replacing an existing binding; when the table is full the least
 * recently used entry is dropped for it. LB_OK, or LB_ERROR for a key
 * length of 0 or over key_size. */
lb_int_t lb_zone_table_set(lb_zone_table_t *t, const void *key, size_t len,
    const void *value, lb_msec_t now, lb_msec_t ttl);

/* Remove key[0..len): LB_OK, or LB_DECLINED when it was not there. */
lb_int_t lb_zone_table_delete(lb_zone_table_t *t, const void *key,
    size_t len);

/* Remove up to max expired entries, oldest use first, and return how many
 * went. Entries with the same ttl expire in use order, so the walk stops
 * at the first one still valid. */
uint32_t lb_zone_table_expire(lb_zone_table_t *t, lb_msec_t now,
    uint32_t max);

/* The table called name in z, whatever its sizes; NULL when none. */
lb_zone_table_t *lb_zone_table_find_name(lb_shm_zone_t *z, const char *name);

/* The first entry numbered `from` or after (entries are numbered
 * 1..capacity) that holds a binding not expired at `now`: its key and
 * value are copied (key: key_size bytes room), *len and *left (ms before
 * it expires) set, and its number returned; 0 when there is none. For
 * walking a table a bit at a time (the sync process's full resync). */
uint32_t lb_zone_table_next(lb_zone_table_t *t, uint32_t from, lb_msec_t now,
    void *key, size_t *len, void *value, lb_msec_t *left);

/* A consistent copy of t's counts. */
void lb_zone_table_stats(lb_zone_table_t *t, lb_zone_table_stats_t *st);

#endif /* LB_ZONE_TABLE_H */
