/* weir: what the processes of weir share through the zone: one record per
 * target (health written by the health checker, traffic counters by the
 * workers), the configuration generation, and bounded key-value tables
 * (sticky bindings).
 *
 * A target record is keyed by (target group id, target address:port) and
 * outlives reloads: lb_zone_sync() keeps the records of targets that stay
 * configured, so health and counters carry over. Records are flat and
 * fixed-size; a process looks its records up once (under the zone lock)
 * and keeps the pointers: every mapping of the zone in weir's processes is
 * at the same address, since all are forked from the master. Counters
 * are updated with atomics and never take a lock; health is written by a
 * single writer under a sequence number (lb_zone_target_health_get()).
 *
 * Records of targets that a reload removed are retired, not freed: old
 * workers still draining may hold them. lb_zone_reap() frees them once no
 * process of an older generation is left. */
#ifndef LB_ZONE_H
#define LB_ZONE_H

#include <stddef.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_hash.h"
#include "lb_shm.h"
#include "lb_shmtx.h"
#include "lb_slab.h"

#define LB_ZONE_DEFAULT_SIZE   (32 * 1024 * 1024)
#define LB_ZONE_MIN_SIZE       (64 * 1024)
#define LB_ZONE_GROUP_ID_LEN   64     /* longest target group id */
#define LB_ZONE_TABLE_NAME_LEN 64     /* longest table name */
#define LB_ZONE_HTTP_CLASSES   5      /* response classes 1xx..5xx */
#define LB_ZONE_PROCS          64     /* processes counting connections at
                                         once, with crash repair */
#define LB_ZONE_PROC_NONE      UINT32_MAX
#define LB_ZONE_PROC_UNSET     (UINT32_MAX - 1)

#define LB_ZONE_HEALTH_STATES(X)     \
    X(UNKNOWN,    "UNKNOWN")         \
    X(HEALTHY,    "HEALTHY")         \
    X(UNHEALTHY,  "UNHEALTHY")

#define LB_ENUM_ZONE_HEALTH(n, s)  LB_ZONE_##n,
typedef enum { LB_ZONE_HEALTH_STATES(LB_ENUM_ZONE_HEALTH) } lb_zone_health_e;
#undef LB_ENUM_ZONE_HEALTH

/* NULL-terminated, indexed by lb_zone_health_e */
extern const char *const  lb_zone_health_names[];

/* lb_zone_target_t.flags */
#define LB_ZONE_TARGET_CONFIGURED  0x01   /* in the current configuration */
#define LB_ZONE_TARGET_RETIRED     0x02   /* removed; freed by the reaper */

/* a target address as a key: normalized, no padding bytes left unset */
typedef struct {
    uint16_t            family;       /* AF_INET | AF_INET6 */
    uint16_t            port;         /* network order */
    uint32_t            scope_id;     /* AF_INET6 only, else 0 */
    uint8_t             addr[16];     /* AF_INET: the first 4 bytes */
} lb_zone_addr_t;

/* a consistent copy of a target's health */
typedef struct {
    uint64_t            seq;          /* even; grows with every write */
    uint64_t            last_change;  /* wall clock ms of the last state
                                         change, 0: never */
    uint32_t            rise;         /* consecutive successful checks */
    uint32_t            fall;         /* consecutive failed checks */
    uint16_t            cause;        /* last failure cause (the checker's
                                         code), 0: none */
    uint8_t             state;        /* lb_zone_health_e */
} lb_zone_health_t;

typedef struct lb_zone_target_s  lb_zone_target_t;

struct lb_zone_target_s {
    /* key and bookkeeping: written by the master under the zone lock */
    uint32_t            id;           /* unique in the zone, never reused */
    uint32_t            flags;        /* LB_ZONE_TARGET_*, atomic */
    uint32_t            hash;
    uint8_t             group_len;
    char                group_id[LB_ZONE_GROUP_ID_LEN + 1];
    lb_zone_addr_t      addr;
    lb_shm_off_t        next;         /* key chain, then retired list */
    lb_shm_off_t        id_next;      /* id chain */
    uint64_t            created_gen;  /* generation that created it */
    uint64_t            seen_gen;     /* last sync that found it */
    uint64_t            retired_gen;  /* generation that dropped it */

    /* health: written only by the health checker, see
     * lb_zone_target_health_set(); own cache line */
    uint64_t            health_seq __attribute__((aligned(64)));
    uint64_t            last_change;
    uint32_t            rise;
    uint32_t            fall;
    uint16_t            cause;
    uint8_t             state;
    /* check results and transitions: the checker only, read by the admin
     * process with relaxed loads (they fill this cache line) */
    uint64_t            checks_ok;
    uint64_t            checks_failed;
    uint64_t            went_up;      /* transitions to HEALTHY */
    uint64_t            went_down;    /* transitions to UNHEALTHY */

    /* counters: every worker, atomics only, never a lock */
    uint64_t            active __attribute__((aligned(64)));
    uint64_t            total;        /* connections (or sessions) */
    uint64_t            bytes_in;     /* from the target */
    uint64_t            bytes_out;    /* to the target */
    uint64_t            failures;     /* connects or requests that failed */
    uint64_t            requests;     /* HTTP requests given to it */
    uint64_t            responses[LB_ZONE_HTTP_CLASSES];  /* by class,
                                         [0] 1xx .. [4] 5xx */
    uint64_t            packets;      /* forwarded by the DSR packet
                                         path (its bytes: bytes_out) */

    /* each process's share of active, by process slot (lb_zone_proc):
     * what a process that died with connections open leaves is taken
     * out of active by the master (lb_zone_proc_gone()); atomics */
    int32_t             share[LB_ZONE_PROCS];
} __attribute__((aligned(64)));

/* the health and its check counters share one cache line, the traffic
 * counters start the next */
_Static_assert(offsetof(lb_zone_target_t, active)
               - offsetof(lb_zone_target_t, health_seq) == 64,
               "lb_zone_target_t: the health fields pass one cache line");

/* the index at z->root; internal to lb_zone*.c */
typedef struct {
    uint32_t            nbuckets;     /* a power of two */
    uint32_t            ntargets;     /* live records */
    uint32_t            next_id;
    uint32_t            nretired;
    lb_shm_off_t        buckets;      /* nbuckets key chains */
    lb_shm_off_t        ids;          /* nbuckets id chains */
    lb_shm_off_t        retired;      /* retired records, via next */
    lb_shm_off_t        tables;       /* lb_zone_table_t list */
    lb_shm_off_t        retired_tables;
    lb_shm_off_t        gen;          /* lb_zone_gen_t (lb_zone_gen.c) */
    lb_shm_off_t        tickets;      /* session ticket keys
                                         (lb_zone_ticket.c) */
    lb_shm_off_t        journal;      /* lb_zone_journal_t; 0: no peers */
    lb_hash_key_t       hash_key;     /* see lb_zone_hash_key() */
    int32_t             procs[LB_ZONE_PROCS];  /* the pid holding each
                                         process slot, 0: free; under the
                                         lock */
} lb_zone_root_t;

/* This process's slot in the zone's process table (its column of
 * lb_zone_target_t.share), LB_ZONE_PROC_UNSET until
 * lb_zone_proc_attach(), LB_ZONE_PROC_NONE when none was free. */
extern uint32_t  lb_zone_proc;

/* Take a process slot for this process (at its first connection to a
 * target; a slot of a dead process found on the way is repaired first).
 * Sets and returns lb_zone_proc. Takes the lock. */
uint32_t lb_zone_proc_attach(lb_shm_zone_t *z);

/* For the master, once process pid has been reaped: take its shares out
 * of every target's active count (a process killed with connections open
 * never counted them out) and free its slot. Returns the connections
 * taken out. Takes the lock. */
int64_t lb_zone_proc_gone(lb_shm_zone_t *z, pid_t pid);

/* Map a new zone of `size` bytes (0: LB_ZONE_DEFAULT_SIZE; rounded up to a
 * power of two of pages, at least LB_ZONE_MIN_SIZE) with its allocator,
 * lock and record index, for the master to call before forking. Returns
 * the zone or NULL (logged). Freed with lb_zone_destroy(). */
lb_shm_zone_t *lb_zone_create(size_t size);

/* Unmap the zone; NULL is accepted. Only the master, at exit. */
void lb_zone_destroy(lb_shm_zone_t *z);

/* The allocator of the zone (its lock is the zone lock). */
lb_slab_pool_t *lb_zone_slab(lb_shm_zone_t *z);

/* The record of (group_id, addr), found under the zone lock. When there is
 * none: create is false, NULL; else a new record (state UNKNOWN, counters
 * 0, not flagged configured), or NULL (logged) when the zone is full or
 * the key cannot be stored (id longer than LB_ZONE_GROUP_ID_LEN, family
 * neither AF_INET nor AF_INET6). The record stays valid until the reaper
 * frees it after it is retired. */
lb_zone_target_t *lb_zone_target_get(lb_shm_zone_t *z, const char *group_id,
    const lb_sockaddr_t *addr, bool create);

/* The live (not retired) record with this id, or NULL. Takes the lock. */
lb_zone_target_t *lb_zone_target_by_id(lb_shm_zone_t *z, uint32_t id);

/* Call handler(record, data) for every live record, under the zone lock
 * (the handler must not call back into the zone). Stops at and returns
 * the first status other than LB_OK; else LB_OK. */
lb_int_t lb_zone_target_walk(lb_shm_zone_t *z,
    lb_int_t (*handler)(lb_zone_target_t *t, void *data), void *data);

/* Live records in the zone. */
uint32_t lb_zone_target_count(lb_shm_zone_t *z);

/* Make the zone match conf, for the master after a configuration has been
 * parsed (at start and on every reload), before its workers start. Every
 * (target group id, member address) gets a record (new ones start
 * UNKNOWN) flagged configured; records that exist already are kept as
 * they are; records no longer configured are retired (see lb_zone_reap()).
 * On success the zone generation is bumped and LB_OK returned. LB_ERROR
 * (logged) when the zone cannot hold the new records: the zone is then as
 * before the call (records made by this call are freed, nothing retired,
 * the generation unchanged), and the old configuration can keep running.
 * A group without an id is keyed by its name. */
lb_int_t lb_zone_sync(lb_shm_zone_t *z, const lb_conf_t *conf);

/* Free the retired records and tables that no process can still use:
 * those retired by a generation <= oldest, where oldest is the lowest
 * zone generation (lb_zone_generation() when it was spawned) of any live
 * child. lb_zone_reap(z, lb_zone_generation(z)) when no child of an older
 * generation remains. Returns how many were freed. Master only. */
uint32_t lb_zone_reap(lb_shm_zone_t *z, uint64_t oldest);

/* The configuration generation: 0 before the first lb_zone_sync(). */
uint64_t lb_zone_generation(const lb_shm_zone_t *z);

/* Bump the generation and return the new value (lb_zone_sync() does it;
 * for changes made outside a reload). */
uint64_t lb_zone_generation_bump(lb_shm_zone_t *z);

/* Normalize a socket address into a key; LB_ERROR for a family that is
 * neither AF_INET nor AF_INET6. */
lb_int_t lb_zone_addr_set(lb_zone_addr_t *key, const lb_sockaddr_t *addr);

/* Health, for the health checker only (the single writer): store h's
 * state, rise, fall, cause and last_change; bumps the record's sequence
 * (h->seq is ignored). Readers never see a half-written copy. */
void lb_zone_target_health_set(lb_zone_target_t *t,
    const lb_zone_health_t *h);

/* A consistent copy of t's health into h. LB_OK, or LB_AGAIN when a
 * writer kept it changing (or died mid-write) for too long; h then holds
 * the last, possibly torn, copy. */
lb_int_t lb_zone_target_health_get(const lb_zone_target_t *t,
    lb_zone_health_t *h);

/* The state alone, for the hot path: one atomic byte. */
static inline lb_zone_health_e
lb_zone_target_state(const lb_zone_target_t *t)
{
    return (lb_zone_health_e) __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
}

static inline bool
lb_zone_target_configured(const lb_zone_target_t *t)
{
    return (__atomic_load_n(&t->flags, __ATOMIC_ACQUIRE)
            & LB_ZONE_TARGET_CONFIGURED) != 0;
}

/* Take the zone lock: LB_OK (repairing the allocator and the index
 * first if a holder had died), or LB_ERROR (logged, not held). */
lb_int_t lb_zone_lock(lb_shm_zone_t *z);

void lb_zone_unlock(lb_shm_zone_t *z);

static inline lb_zone_root_t *
lb_zone_root(lb_shm_zone_t *z)
{
    return (lb_zone_root_t *) lb_shm_ptr(z, z->root);
}

/* The key of every keyed hash over the zone's shared tables: random,
 * made once with the zone, so it is the same in every process and lasts
 * as long as the tables it keys (across reloads). Read-only after
 * lb_zone_create(). */
static inline const lb_hash_key_t *
lb_zone_hash_key(lb_shm_zone_t *z)
{
    return &lb_zone_root(z)->hash_key;
}

/* counters: lock-free, from any process */

static inline void
lb_zone_counter_add(uint64_t *c, uint64_t n)
{
    __atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t
lb_zone_counter_get(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* a connection to t starts: active + 1, total + 1, and this process's
 * share + 1 (the share first: a crash between the two makes the repair
 * take one too many out, which lb_zone_target_active() reads as 0, never
 * leaves a phantom connection) */
static inline void
lb_zone_target_conn_start(lb_zone_target_t *t)
{
    if (lb_zone_proc < LB_ZONE_PROCS) {
        __atomic_add_fetch(&t->share[lb_zone_proc], 1, __ATOMIC_RELAXED);
    }

    __atomic_add_fetch(&t->active, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&t->total, 1, __ATOMIC_RELAXED);
}

/* a connection to t ends: active - 1 */
static inline void
lb_zone_target_conn_end(lb_zone_target_t *t)
{
    __atomic_sub_fetch(&t->active, 1, __ATOMIC_RELAXED);

    if (lb_zone_proc < LB_ZONE_PROCS) {
        __atomic_sub_fetch(&t->share[lb_zone_proc], 1, __ATOMIC_RELAXED);
    }
}

static inline uint64_t
lb_zone_target_active(const lb_zone_target_t *t)
{
    uint64_t  n;

    n = __atomic_load_n(&t->active, __ATOMIC_RELAXED);

    /* below 0 for a moment after a repair raced a connection's start */
    return (int64_t) n < 0 ? 0 : n;
}

static inline void
lb_zone_target_bytes(lb_zone_target_t *t, uint64_t in, uint64_t out)
{
    __atomic_add_fetch(&t->bytes_in, in, __ATOMIC_RELAXED);
    __atomic_add_fetch(&t->bytes_out, out, __ATOMIC_RELAXED);
}

static inline void
lb_zone_target_failure(lb_zone_target_t *t)
{
    __atomic_add_fetch(&t->failures, 1, __ATOMIC_RELAXED);
}

/* an HTTP request is given to t */
static inline void
lb_zone_target_request(lb_zone_target_t *t)
{
    __atomic_add_fetch(&t->requests, 1, __ATOMIC_RELAXED);
}

/* t answered with a final (or 101) status 100..599; others not counted */
static inline void
lb_zone_target_response(lb_zone_target_t *t, unsigned status)
{
    if (status >= 100 && status < 600) {
        __atomic_add_fetch(&t->responses[status / 100 - 1], 1,
                           __ATOMIC_RELAXED);
    }
}

/* The checker (the single writer) after one check of t: ok or failed,
 * and went (1: up, -1: down, 0: no transition). */
static inline void
lb_zone_target_checked(lb_zone_target_t *t, bool ok, int went)
{
    __atomic_add_fetch(ok ? &t->checks_ok : &t->checks_failed, 1,
                       __ATOMIC_RELAXED);

    if (went != 0) {
        __atomic_add_fetch(went > 0 ? &t->went_up : &t->went_down, 1,
                           __ATOMIC_RELAXED);
    }
}

#endif /* LB_ZONE_H */
