/* weir: the shared zone's target records, generation and reaper. */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_shm.h"
#include "lb_slab.h"
#include "lb_zone.h"
#include "lb_zone_gen.h"
#include "lb_zone_ticket.h"
#include "lb_zone_table.h"

/* tries before lb_zone_target_health_get() gives up on a writer */
#define LB_ZONE_HEALTH_TRIES  100

static lb_int_t lb_zone_key(lb_shm_zone_t *z, const char *group_id,
    const lb_sockaddr_t *addr, lb_zone_addr_t *key, size_t *len,
    uint32_t *hash);
static lb_zone_target_t *lb_zone_find_locked(lb_shm_zone_t *z,
    const char *group_id, size_t len, const lb_zone_addr_t *key,
    uint32_t hash);
static lb_zone_target_t *lb_zone_new_locked(lb_shm_zone_t *z,
    const char *group_id, size_t len, const lb_zone_addr_t *key,
    uint32_t hash);
static void lb_zone_unlink_id_locked(lb_shm_zone_t *z, lb_zone_target_t *t);
static void lb_zone_sync_undo_locked(lb_shm_zone_t *z, uint64_t gen);
static uint32_t lb_zone_sync_commit_locked(lb_shm_zone_t *z, uint64_t gen);
static void lb_zone_check_locked(lb_shm_zone_t *z);
static bool lb_zone_record_ok(lb_shm_zone_t *z, lb_shm_off_t off);

#define LB_ZONE_HEALTH_NAME(n, s)  s,
const char *const  lb_zone_health_names[] = {
    LB_ZONE_HEALTH_STATES(LB_ZONE_HEALTH_NAME) NULL
};
#undef LB_ZONE_HEALTH_NAME

/* the record must fill whole cache lines for its 64-byte alignment to
 * come from the slab (see lb_slab_alloc()) */
_Static_assert(sizeof(lb_zone_target_t) % 64 == 0,
               "lb_zone_target_t is not a multiple of 64 bytes");


lb_shm_zone_t *
lb_zone_create(size_t size)
{
    size_t           pages, n, off, nbuckets;
    lb_shm_zone_t   *z;
    lb_zone_root_t  *root;
    lb_slab_pool_t  *pool;
    lb_shm_off_t    *buckets, *ids;

    if (size == 0) {
        size = LB_ZONE_DEFAULT_SIZE;
    }

    if (size < LB_ZONE_MIN_SIZE) {
        size = LB_ZONE_MIN_SIZE;
    }

    if (size > ((size_t) 1 << 40)) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone size %zu is too large", size);
        return NULL;
    }

    pages = (size + LB_SHM_PAGE_SIZE - 1) / LB_SHM_PAGE_SIZE;
    for (n = 1; n < pages; n <<= 1) {
        /* void */
    }
    size = n * LB_SHM_PAGE_SIZE;

    z = lb_shm_create(size);
    if (z == NULL) {
        return NULL;
    }

    off = lb_align(sizeof(lb_shm_zone_t), (size_t) 64);

    pool = lb_slab_init((char *) z + off, z->size - off);
    if (pool == NULL) {
        goto failed;
    }

    z->slab = off;

    /* about one bucket per 8 KiB: chains stay short even when the zone
     * is full of records */
    nbuckets = lb_max(lb_min(size / 8192, (size_t) 65536), (size_t) 64);

    root = lb_slab_calloc(pool, sizeof(lb_zone_root_t));
    buckets = lb_slab_calloc(pool, nbuckets * sizeof(lb_shm_off_t));
    ids = lb_slab_calloc(pool, nbuckets * sizeof(lb_shm_off_t));

    if (root == NULL || buckets == NULL || ids == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone of %zu bytes is too small", size);
        goto failed;
    }

    /* before any fork: every process of every generation keys its
     * lookups of the shared tables with this one key */
    if (lb_hash_key_init(&root->hash_key) != LB_OK) {
        goto failed;
    }

    root->nbuckets = (uint32_t) nbuckets;
    root->next_id = 1;
    root->buckets = lb_shm_off(z, buckets);
    root->ids = lb_shm_off(z, ids);

    z->root = lb_shm_off(z, root);

    if (lb_zone_gen_init(z) != LB_OK || lb_zone_ticket_init(z) != LB_OK) {
        goto failed;
    }

    return z;

failed:

    lb_shm_destroy(z);
    return NULL;
}


void
lb_zone_destroy(lb_shm_zone_t *z)
{
    if (z == NULL) {
        return;
    }

    lb_shmtx_destroy(&lb_zone_slab(z)->mutex);
    lb_shm_destroy(z);
}


lb_slab_pool_t *
lb_zone_slab(lb_shm_zone_t *z)
{
    return lb_shm_ptr(z, z->slab);
}


lb_int_t
lb_zone_lock(lb_shm_zone_t *z)
{
    lb_int_t  rc;

    rc = lb_slab_lock(lb_zone_slab(z));

    if (rc == LB_SHMTX_OWNER_DEAD) {
        /* the allocator is repaired; now the index */
        lb_zone_check_locked(z);
        rc = LB_OK;
    }

    return rc;
}


void
lb_zone_unlock(lb_shm_zone_t *z)
{
    lb_slab_unlock(lb_zone_slab(z));
}


uint64_t
lb_zone_generation(const lb_shm_zone_t *z)
{
    return __atomic_load_n(&z->generation, __ATOMIC_ACQUIRE);
}


uint64_t
lb_zone_generation_bump(lb_shm_zone_t *z)
{
    return __atomic_add_fetch(&z->generation, 1, __ATOMIC_ACQ_REL);
}


lb_int_t
lb_zone_addr_set(lb_zone_addr_t *key, const lb_sockaddr_t *addr)
{
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    memset(key, 0, sizeof(lb_zone_addr_t));

    switch (addr->sa.ss_family) {

    case AF_INET:
        sin = (const struct sockaddr_in *) &addr->sa;
        key->family = AF_INET;
        key->port = sin->sin_port;
        memcpy(key->addr, &sin->sin_addr, 4);
        return LB_OK;

    case AF_INET6:
        sin6 = (const struct sockaddr_in6 *) &addr->sa;
        key->family = AF_INET6;
        key->port = sin6->sin6_port;
        key->scope_id = sin6->sin6_scope_id;
        memcpy(key->addr, &sin6->sin6_addr, 16);
        return LB_OK;
    }

    return LB_ERROR;
}


/* Check and normalize a key; logs what is wrong with it. */
static lb_int_t
lb_zone_key(lb_shm_zone_t *z, const char *group_id,
    const lb_sockaddr_t *addr, lb_zone_addr_t *key, size_t *len,
    uint32_t *hash)
{
    uint8_t  k[sizeof(lb_zone_addr_t) + LB_ZONE_GROUP_ID_LEN];

    *len = strlen(group_id);

    if (*len == 0 || *len > LB_ZONE_GROUP_ID_LEN) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "shared zone: target group id \"%s\" must be 1 to %d "
                     "bytes long", group_id, LB_ZONE_GROUP_ID_LEN);
        return LB_ERROR;
    }

    if (lb_zone_addr_set(key, addr) != LB_OK) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "shared zone: target \"%s\" of group \"%s\" has "
                     "address family %d, not IPv4 or IPv6", addr->text,
                     group_id, (int) addr->sa.ss_family);
        return LB_ERROR;
    }

    /* keyed: ids and addresses may come from the management API */
    memcpy(k, key, sizeof(lb_zone_addr_t));
    memcpy(k + sizeof(lb_zone_addr_t), group_id, *len);
    *hash = (uint32_t) lb_hash_keyed(lb_zone_hash_key(z), k,
                                     sizeof(lb_zone_addr_t) + *len);

    return LB_OK;
}


static lb_zone_target_t *
lb_zone_find_locked(lb_shm_zone_t *z, const char *group_id, size_t len,
    const lb_zone_addr_t *key, uint32_t hash)
{
    lb_shm_off_t      *buckets, off;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t;

    root = lb_zone_root(z);
    buckets = lb_shm_ptr(z, root->buckets);

    for (off = buckets[hash & (root->nbuckets - 1)]; off != 0; off = t->next)
    {
        t = lb_shm_ptr(z, off);

        if (t->hash == hash && t->group_len == len
            && memcmp(t->group_id, group_id, len) == 0
            && memcmp(&t->addr, key, sizeof(lb_zone_addr_t)) == 0)
        {
            return t;
        }
    }

    return NULL;
}


static lb_zone_target_t *
lb_zone_new_locked(lb_shm_zone_t *z, const char *group_id, size_t len,
    const lb_zone_addr_t *key, uint32_t hash)
{
    lb_shm_off_t      *buckets, *ids;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t;

    root = lb_zone_root(z);

    t = lb_slab_calloc_locked(lb_zone_slab(z), sizeof(lb_zone_target_t));
    if (t == NULL) {
        return NULL;
    }

    t->id = root->next_id++;
    if (root->next_id == 0) {
        /* 4 billion records later: 0 stays "no id" */
        root->next_id = 1;
    }

    t->hash = hash;
    t->group_len = (uint8_t) len;
    memcpy(t->group_id, group_id, len);
    t->addr = *key;
    t->created_gen = lb_zone_generation(z);
    t->seen_gen = t->created_gen;
    t->state = LB_ZONE_UNKNOWN;

    /* the record is complete before a chain points at it, so that a
     * holder dying here leaves at worst an unreachable record */
    buckets = lb_shm_ptr(z, root->buckets);
    ids = lb_shm_ptr(z, root->ids);

    t->next = buckets[hash & (root->nbuckets - 1)];
    t->id_next = ids[t->id & (root->nbuckets - 1)];
    __atomic_thread_fence(__ATOMIC_RELEASE);
    buckets[hash & (root->nbuckets - 1)] = lb_shm_off(z, t);
    ids[t->id & (root->nbuckets - 1)] = lb_shm_off(z, t);

    root->ntargets++;

    return t;
}


lb_zone_target_t *
lb_zone_target_get(lb_shm_zone_t *z, const char *group_id,
    const lb_sockaddr_t *addr, bool create)
{
    size_t             len;
    uint32_t           hash;
    lb_zone_addr_t     key;
    lb_zone_target_t  *t;

    if (lb_zone_key(z, group_id, addr, &key, &len, &hash) != LB_OK) {
        return NULL;
    }

    if (lb_zone_lock(z) != LB_OK) {
        return NULL;
    }

    t = lb_zone_find_locked(z, group_id, len, &key, hash);

    if (t == NULL && create) {
        t = lb_zone_new_locked(z, group_id, len, &key, hash);
        if (t == NULL) {
            lb_log_error(LB_LOG_ERR, &lb_log, 0,
                         "shared zone is full: no record for target %s of "
                         "group \"%s\"", addr->text, group_id);
        }
    }

    lb_zone_unlock(z);

    return t;
}


lb_zone_target_t *
lb_zone_target_by_id(lb_shm_zone_t *z, uint32_t id)
{
    lb_shm_off_t      *ids, off;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t;

    if (lb_zone_lock(z) != LB_OK) {
        return NULL;
    }

    t = NULL;
    root = lb_zone_root(z);
    ids = lb_shm_ptr(z, root->ids);

    for (off = ids[id & (root->nbuckets - 1)]; off != 0; off = t->id_next) {
        t = lb_shm_ptr(z, off);
        if (t->id == id) {
            break;
        }
    }

    lb_zone_unlock(z);

    return off == 0 ? NULL : t;
}


lb_int_t
lb_zone_target_walk(lb_shm_zone_t *z,
    lb_int_t (*handler)(lb_zone_target_t *t, void *data), void *data)
{
    uint32_t           i;
    lb_int_t           rc;
    lb_shm_off_t      *buckets, off;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t;

    if (lb_zone_lock(z) != LB_OK) {
        return LB_ERROR;
    }

    root = lb_zone_root(z);
    buckets = lb_shm_ptr(z, root->buckets);
    rc = LB_OK;

    for (i = 0; i < root->nbuckets && rc == LB_OK; i++) {
        for (off = buckets[i]; off != 0 && rc == LB_OK; off = t->next) {
            t = lb_shm_ptr(z, off);
            rc = handler(t, data);
        }
    }

    lb_zone_unlock(z);

    return rc;
}


uint32_t
lb_zone_target_count(lb_shm_zone_t *z)
{
    uint32_t  n;

    if (lb_zone_lock(z) != LB_OK) {
        return 0;
    }

    n = lb_zone_root(z)->ntargets;

    lb_zone_unlock(z);

    return n;
}


lb_int_t
lb_zone_sync(lb_shm_zone_t *z, const lb_conf_t *conf)
{
    size_t              len;
    uint32_t            i, j, k, hash, created, retired;
    uint64_t            gen;
    const char         *id;
    lb_zone_addr_t      key;
    lb_load_balancer_t *b;
    lb_target_group_t  *g;
    lb_target_t        *tg;
    lb_zone_target_t   *t;

    if (lb_zone_lock(z) != LB_OK) {
        return LB_ERROR;
    }

    gen = lb_zone_generation(z) + 1;
    created = 0;

    for (i = 0; i < conf->nbalancers; i++) {
        b = &conf->balancers[i];

        for (j = 0; j < b->ntarget_groups; j++) {
            g = &b->target_groups[j];
            id = g->id != NULL ? g->id : g->name;

            if (id == NULL) {
                lb_log_error(LB_LOG_ERR, &lb_log, 0,
                             "shared zone: target group %u of balancer "
                             "\"%s\" has neither id nor name", j,
                             b->name != NULL ? b->name : "");
                goto failed;
            }

            for (k = 0; k < g->ntargets; k++) {
                tg = &g->targets[k];

                if (lb_zone_key(z, id, &tg->addr, &key, &len, &hash)
                    != LB_OK)
                {
                    goto failed;
                }

                t = lb_zone_find_locked(z, id, len, &key, hash);

                if (t == NULL) {
                    t = lb_zone_new_locked(z, id, len, &key, hash);
                    if (t == NULL) {
                        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                                     "shared zone is full: no room for "
                                     "target %s of group \"%s\" (%u new "
                                     "targets fitted)", tg->addr.text, id,
                                     created);
                        goto failed;
                    }

                    t->created_gen = gen;
                    created++;
                }

                t->seen_gen = gen;
            }
        }
    }

    retired = lb_zone_sync_commit_locked(z, gen);

    lb_log_debug(&lb_log, "shared zone generation %llu: %u targets, %u new, "
                 "%u retired", (unsigned long long) gen,
                 lb_zone_root(z)->ntargets, created, retired);

    lb_zone_unlock(z);

    return LB_OK;

failed:

    lb_zone_sync_undo_locked(z, gen);

    lb_zone_unlock(z);

    return LB_ERROR;
}


/* A sync failed: free the records it made and forget which it saw, so
 * that the next attempt (same generation number) starts clean. */
static void
lb_zone_sync_undo_locked(lb_shm_zone_t *z, uint64_t gen)
{
    uint32_t           i;
    lb_shm_off_t      *buckets, *link;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t;

    root = lb_zone_root(z);
    buckets = lb_shm_ptr(z, root->buckets);

    for (i = 0; i < root->nbuckets; i++) {
        link = &buckets[i];

        while (*link != 0) {
            t = lb_shm_ptr(z, *link);

            if (t->created_gen != gen) {
                if (t->seen_gen == gen) {
                    t->seen_gen = gen - 1;
                }
                link = &t->next;
                continue;
            }

            lb_zone_unlink_id_locked(z, t);
            *link = t->next;
            root->ntargets--;
            lb_slab_free_locked(lb_zone_slab(z), t);
        }
    }
}


/* A sync succeeded: flag the records it saw, retire the others, and
 * publish the new generation. Returns how many were retired. */
static uint32_t
lb_zone_sync_commit_locked(lb_shm_zone_t *z, uint64_t gen)
{
    uint32_t           i, n;
    lb_shm_off_t      *buckets, *link;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t;

    root = lb_zone_root(z);
    buckets = lb_shm_ptr(z, root->buckets);
    n = 0;

    for (i = 0; i < root->nbuckets; i++) {
        link = &buckets[i];

        while (*link != 0) {
            t = lb_shm_ptr(z, *link);

            if (t->seen_gen == gen) {
                __atomic_or_fetch(&t->flags, LB_ZONE_TARGET_CONFIGURED,
                                  __ATOMIC_RELEASE);
                link = &t->next;
                continue;
            }

            /* out of both chains; kept for processes that still hold it */
            lb_zone_unlink_id_locked(z, t);
            *link = t->next;
            root->ntargets--;

            t->retired_gen = gen;
            __atomic_store_n(&t->flags, LB_ZONE_TARGET_RETIRED,
                             __ATOMIC_RELEASE);
            t->next = root->retired;
            root->retired = lb_shm_off(z, t);
            root->nretired++;
            n++;
        }
    }

    __atomic_store_n(&z->generation, gen, __ATOMIC_RELEASE);

    return n;
}


static void
lb_zone_unlink_id_locked(lb_shm_zone_t *z, lb_zone_target_t *t)
{
    lb_shm_off_t      *ids, *link, off;
    lb_zone_root_t    *root;
    lb_zone_target_t  *p;

    root = lb_zone_root(z);
    ids = lb_shm_ptr(z, root->ids);
    off = lb_shm_off(z, t);

    for (link = &ids[t->id & (root->nbuckets - 1)]; *link != 0;
         link = &p->id_next)
    {
        if (*link == off) {
            *link = t->id_next;
            return;
        }
        p = lb_shm_ptr(z, *link);
    }
}


uint32_t
lb_zone_reap(lb_shm_zone_t *z, uint64_t oldest)
{
    uint32_t           n;
    lb_shm_off_t      *link;
    lb_zone_root_t    *root;
    lb_slab_pool_t    *pool;
    lb_zone_table_t   *tb;
    lb_zone_target_t  *t;

    if (lb_zone_lock(z) != LB_OK) {
        return 0;
    }

    root = lb_zone_root(z);
    pool = lb_zone_slab(z);
    n = 0;

    link = &root->retired;

    while (*link != 0) {
        t = lb_shm_ptr(z, *link);

        if (t->retired_gen > oldest) {
            link = &t->next;
            continue;
        }

        *link = t->next;
        root->nretired--;
        lb_slab_free_locked(pool, t);
        n++;
    }

    link = &root->retired_tables;

    while (*link != 0) {
        tb = lb_shm_ptr(z, *link);

        if (tb->retired_gen > oldest) {
            link = &tb->next;
            continue;
        }

        *link = tb->next;
        lb_shmtx_destroy(&tb->mutex);
        lb_slab_free_locked(pool, tb);
        n++;
    }

    lb_zone_unlock(z);

    return n;
}


void
lb_zone_target_health_set(lb_zone_target_t *t, const lb_zone_health_t *h)
{
    uint64_t  seq;

    /* odd while writing; still odd if the last writer died mid-way */
    seq = __atomic_load_n(&t->health_seq, __ATOMIC_RELAXED) | 1;
    __atomic_store_n(&t->health_seq, seq, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);

    __atomic_store_n(&t->last_change, h->last_change, __ATOMIC_RELAXED);
    __atomic_store_n(&t->rise, h->rise, __ATOMIC_RELAXED);
    __atomic_store_n(&t->fall, h->fall, __ATOMIC_RELAXED);
    __atomic_store_n(&t->cause, h->cause, __ATOMIC_RELAXED);
    __atomic_store_n(&t->state, h->state, __ATOMIC_RELAXED);

    __atomic_store_n(&t->health_seq, seq + 1, __ATOMIC_RELEASE);
}


lb_int_t
lb_zone_target_health_get(const lb_zone_target_t *t, lb_zone_health_t *h)
{
    unsigned  tries;
    uint64_t  s1, s2;

    for (tries = 0; tries < LB_ZONE_HEALTH_TRIES; tries++) {
        s1 = __atomic_load_n(&t->health_seq, __ATOMIC_ACQUIRE);

        h->seq = s1;
        h->last_change = __atomic_load_n(&t->last_change, __ATOMIC_RELAXED);
        h->rise = __atomic_load_n(&t->rise, __ATOMIC_RELAXED);
        h->fall = __atomic_load_n(&t->fall, __ATOMIC_RELAXED);
        h->cause = __atomic_load_n(&t->cause, __ATOMIC_RELAXED);
        h->state = __atomic_load_n(&t->state, __ATOMIC_RELAXED);

        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        s2 = __atomic_load_n(&t->health_seq, __ATOMIC_RELAXED);

        if (s1 == s2 && (s1 & 1) == 0) {
            return LB_OK;
        }

        sched_yield();
    }

    return LB_AGAIN;
}


/* Whether off can be a record: inside the zone and aligned like one. */
static bool
lb_zone_record_ok(lb_shm_zone_t *z, lb_shm_off_t off)
{
    return (off & 63) == 0 && lb_shm_in(z, off, sizeof(lb_zone_target_t));
}


/* After a process died holding the zone lock: a chain may end in a
 * record that was being freed, or loop. Cut every chain at its first bad
 * link, rebuild the id chains from the key chains and recount. Records
 * cut off are lost (the next sync makes them again). */
static void
lb_zone_check_locked(lb_shm_zone_t *z)
{
    uint32_t           i, n, live, cut, limit;
    lb_shm_off_t      *buckets, *ids, *link;
    lb_zone_root_t    *root;
    lb_zone_table_t   *tb;
    lb_zone_target_t  *t;

    root = lb_zone_root(z);
    buckets = lb_shm_ptr(z, root->buckets);
    ids = lb_shm_ptr(z, root->ids);

    /* no chain can be longer than the zone has records */
    limit = (uint32_t) lb_min(z->size / sizeof(lb_zone_target_t),
                              (uint64_t) UINT32_MAX);
    live = 0;
    cut = 0;

    memset(ids, 0, root->nbuckets * sizeof(lb_shm_off_t));

    for (i = 0; i < root->nbuckets; i++) {
        n = 0;

        for (link = &buckets[i]; *link != 0; link = &t->next) {
            if (!lb_zone_record_ok(z, *link) || ++n > limit) {
                *link = 0;
                cut++;
                break;
            }

            t = lb_shm_ptr(z, *link);
            t->id_next = ids[t->id & (root->nbuckets - 1)];
            ids[t->id & (root->nbuckets - 1)] = *link;
            live++;
        }
    }

    root->ntargets = live;

    n = 0;
    for (link = &root->retired; *link != 0; link = &t->next) {
        if (!lb_zone_record_ok(z, *link) || n == limit) {
            *link = 0;
            cut++;
            break;
        }
        t = lb_shm_ptr(z, *link);
        n++;
    }

    root->nretired = n;

    n = 0;
    for (link = &root->tables; *link != 0; link = &tb->next) {
        if (!lb_shm_in(z, *link, sizeof(lb_zone_table_t)) || ++n > limit) {
            *link = 0;
            cut++;
            break;
        }
        tb = lb_shm_ptr(z, *link);
    }

    n = 0;
    for (link = &root->retired_tables; *link != 0; link = &tb->next) {
        if (!lb_shm_in(z, *link, sizeof(lb_zone_table_t)) || ++n > limit) {
            *link = 0;
            cut++;
            break;
        }
        tb = lb_shm_ptr(z, *link);
    }

    lb_log_error(cut ? LB_LOG_CRIT : LB_LOG_NOTICE, &lb_log, 0,
                 "shared zone checked after a lock holder died: %u targets, "
                 "%u broken chains cut", live, cut);
}


/* --- process shares of the active counts --- */

uint32_t  lb_zone_proc = LB_ZONE_PROC_UNSET;


uint32_t
lb_zone_proc_attach(lb_shm_zone_t *z)
{
    pid_t            pid, dead;
    uint32_t         i, mine;
    lb_zone_root_t  *root;

    lb_zone_proc = LB_ZONE_PROC_NONE;
    pid = getpid();

    for ( ;; ) {
        if (lb_zone_lock(z) != LB_OK) {
            return lb_zone_proc;
        }

        root = lb_zone_root(z);
        mine = LB_ZONE_PROC_NONE;
        dead = 0;

        for (i = 0; i < LB_ZONE_PROCS; i++) {
            if (root->procs[i] == pid || root->procs[i] == 0) {
                /* free, or left by a dead process of the same pid (the
                 * master repairs before a pid can come back, normally) */
                mine = i;
                break;
            }

            if (dead == 0 && kill(root->procs[i], 0) == -1
                && errno == ESRCH)
            {
                /* the master did not reap it (yet): repair it here */
                dead = root->procs[i];
            }
        }

        if (mine != LB_ZONE_PROC_NONE) {
            root->procs[mine] = pid;
            lb_zone_unlock(z);
            lb_zone_proc = mine;
            return mine;
        }

        lb_zone_unlock(z);

        if (dead == 0) {
            lb_log_error(LB_LOG_WARN, &lb_log, 0,
                         "all %d process slots of the shared zone are held "
                         "by live processes: this one counts its target "
                         "connections without crash repair", LB_ZONE_PROCS);
            return lb_zone_proc;
        }

        (void) lb_zone_proc_gone(z, dead);
    }
}


int64_t
lb_zone_proc_gone(lb_shm_zone_t *z, pid_t pid)
{
    int32_t            n;
    int64_t            total;
    uint32_t           i, slot;
    lb_shm_off_t      *buckets, off;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t;

    if (z == NULL || pid <= 0 || lb_zone_lock(z) != LB_OK) {
        return 0;
    }

    root = lb_zone_root(z);

    for (slot = 0; slot < LB_ZONE_PROCS; slot++) {
        if (root->procs[slot] == pid) {
            break;
        }
    }

    if (slot == LB_ZONE_PROCS) {
        /* it never counted a connection (the checker, the admin) */
        lb_zone_unlock(z);
        return 0;
    }

    total = 0;
    buckets = lb_shm_ptr(z, root->buckets);

    /* live records, then retired ones: a worker of an older generation
     * still counts in those */
    for (i = 0; i <= root->nbuckets; i++) {
        off = i < root->nbuckets ? buckets[i] : root->retired;

        for ( /* void */ ; off != 0; off = t->next) {
            t = lb_shm_ptr(z, off);

            n = __atomic_exchange_n(&t->share[slot], 0, __ATOMIC_ACQ_REL);
            if (n != 0) {
                __atomic_sub_fetch(&t->active, (uint64_t) (int64_t) n,
                                   __ATOMIC_RELAXED);
                total += n;
            }
        }
    }

    root->procs[slot] = 0;

    lb_zone_unlock(z);

    if (total != 0) {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                     "%lld target connections left counted by process %d "
                     "taken out of the shared counts", (long long) total,
                     (int) pid);
    }

    return total;
}
