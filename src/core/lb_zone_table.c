/* weir: bounded key-value tables with LRU and expiry in the shared zone. */
#include <string.h>

#include "lb_hash.h"
#include "lb_log.h"
#include "lb_slab.h"
#include "lb_zone.h"
#include "lb_zone_journal.h"
#include "lb_zone_table.h"

/* an entry: this header, then key_size bytes of key, then the value;
 * entries are numbered from 1 so that 0 can end every list */
typedef struct {
    uint32_t            hnext;        /* bucket chain */
    uint32_t            prev;         /* toward the most recent */
    uint32_t            next;         /* toward the least recent; free list */
    uint32_t            hash;
    lb_msec_t           expire;
    uint32_t            key_len;      /* 0: unused */
    uint32_t            journaled;    /* s (monotonic) it was last sent to
                                         the peers' journal */
} lb_zone_entry_t;

static lb_zone_entry_t *lb_zone_entry(lb_zone_table_t *t, uint32_t n);
static uint32_t *lb_zone_table_buckets(lb_zone_table_t *t);
static void lb_zone_table_clear_locked(lb_zone_table_t *t);
static lb_int_t lb_zone_table_lock(lb_zone_table_t *t);
static uint32_t lb_zone_table_hash(lb_zone_table_t *t, const void *key,
    size_t len);
static uint32_t lb_zone_table_find(lb_zone_table_t *t, const void *key,
    size_t len, uint32_t hash);
static void lb_zone_lru_unlink(lb_zone_table_t *t, uint32_t n);
static void lb_zone_lru_push(lb_zone_table_t *t, uint32_t n);
static void lb_zone_table_remove(lb_zone_table_t *t, uint32_t n);


lb_zone_table_t *
lb_zone_table_get(lb_shm_zone_t *z, const char *name, size_t key_size,
    size_t value_size, uint32_t capacity, bool create)
{
    size_t            len, hdr, esize;
    uint32_t          nbuckets;
    uint64_t          total;
    lb_shm_off_t      off;
    lb_zone_root_t   *root;
    lb_zone_table_t  *t;

    len = strlen(name);

    if (len == 0 || len > LB_ZONE_TABLE_NAME_LEN || key_size == 0
        || key_size > LB_ZONE_TABLE_MAX_KEY
        || value_size > LB_ZONE_TABLE_MAX_VALUE
        || capacity == 0 || capacity > LB_ZONE_TABLE_MAX_ENTRIES)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "shared table \"%s\": bad name or sizes (key %zu, "
                     "value %zu, capacity %u)", name, key_size, value_size,
                     capacity);
        return NULL;
    }

    if (lb_zone_lock(z) != LB_OK) {
        return NULL;
    }

    root = lb_zone_root(z);

    for (off = root->tables; off != 0; off = t->next) {
        t = lb_shm_ptr(z, off);

        if (strcmp(t->name, name) != 0) {
            continue;
        }

        if (t->key_size != key_size || t->value_size != value_size
            || t->capacity != capacity)
        {
            lb_log_error(LB_LOG_ERR, &lb_log, 0,
                         "shared table \"%s\" exists with key %u, value %u, "
                         "capacity %u; asked for %zu, %zu, %u", name,
                         t->key_size, t->value_size, t->capacity, key_size,
                         value_size, capacity);
            t = NULL;
        }

        goto done;
    }

    t = NULL;

    if (!create) {
        goto done;
    }

    for (nbuckets = 1; nbuckets < capacity; nbuckets <<= 1) {
        /* void */
    }

    hdr = lb_align(sizeof(lb_zone_table_t), (size_t) 8);
    esize = lb_align(sizeof(lb_zone_entry_t) + key_size + value_size,
                     (size_t) 8);
    total = hdr + lb_align((uint64_t) nbuckets * sizeof(uint32_t),
                           (uint64_t) 8)
            + (uint64_t) capacity * esize;

    if (total > z->size) {
        goto full;
    }

    t = lb_slab_alloc_locked(lb_zone_slab(z), (size_t) total);
    if (t == NULL) {
        goto full;
    }

    memset(t, 0, hdr);
    memcpy(t->name, name, len + 1);
    t->key_size = (uint32_t) key_size;
    t->value_size = (uint32_t) value_size;
    t->capacity = capacity;
    t->nbuckets = nbuckets;
    t->hash_key = *lb_zone_hash_key(z);
    t->entry_size = (uint32_t) esize;
    t->buckets = hdr;
    t->entries = hdr + lb_align((uint64_t) nbuckets * sizeof(uint32_t),
                                (uint64_t) 8);
    t->journal = lb_zone_journal_wants(name);

    if (lb_shmtx_init(&t->mutex) != LB_OK) {
        lb_slab_free_locked(lb_zone_slab(z), t);
        t = NULL;
        goto done;
    }

    lb_zone_table_clear_locked(t);

    t->next = root->tables;
    root->tables = lb_shm_off(z, t);

    goto done;

full:

    lb_log_error(LB_LOG_ERR, &lb_log, 0,
                 "shared zone is full: no room for table \"%s\" of %u "
                 "entries (%llu bytes)", name, capacity,
                 (unsigned long long) total);

done:

    lb_zone_unlock(z);

    return t;
}


lb_zone_table_t *
lb_zone_table_find_name(lb_shm_zone_t *z, const char *name)
{
    lb_shm_off_t      off;
    lb_zone_table_t  *t;

    if (lb_zone_lock(z) != LB_OK) {
        return NULL;
    }

    for (off = lb_zone_root(z)->tables; off != 0; off = t->next) {
        t = lb_shm_ptr(z, off);

        if (strcmp(t->name, name) == 0) {
            lb_zone_unlock(z);
            return t;
        }
    }

    lb_zone_unlock(z);

    return NULL;
}


uint32_t
lb_zone_table_next(lb_zone_table_t *t, uint32_t from, lb_msec_t now,
    void *key, size_t *len, void *value, lb_msec_t *left)
{
    uint32_t          n;
    lb_zone_entry_t  *e;

    if (from == 0 || lb_zone_table_lock(t) != LB_OK) {
        return 0;
    }

    for (n = from; n <= t->capacity; n++) {
        e = lb_zone_entry(t, n);

        if (e->key_len == 0 || e->expire <= now) {
            continue;
        }

        memcpy(key, e + 1, e->key_len);
        memcpy(value, (char *) (e + 1) + t->key_size, t->value_size);
        *len = e->key_len;
        *left = e->expire - now;

        lb_shmtx_unlock(&t->mutex);
        return n;
    }

    lb_shmtx_unlock(&t->mutex);

    return 0;
}


void
lb_zone_table_retire(lb_shm_zone_t *z, lb_zone_table_t *t)
{
    lb_shm_off_t      *link, off;
    lb_zone_root_t    *root;
    lb_zone_table_t   *p;

    if (lb_zone_lock(z) != LB_OK) {
        return;
    }

    root = lb_zone_root(z);
    off = lb_shm_off(z, t);

    for (link = &root->tables; *link != 0; link = &p->next) {
        if (*link == off) {
            *link = t->next;
            t->retired_gen = lb_zone_generation(z);
            t->next = root->retired_tables;
            root->retired_tables = off;
            break;
        }
        p = lb_shm_ptr(z, *link);
    }

    lb_zone_unlock(z);
}


static lb_zone_entry_t *
lb_zone_entry(lb_zone_table_t *t, uint32_t n)
{
    return (lb_zone_entry_t *) ((char *) t + t->entries
                                + (uint64_t) (n - 1) * t->entry_size);
}


static uint32_t *
lb_zone_table_buckets(lb_zone_table_t *t)
{
    return (uint32_t *) ((char *) t + t->buckets);
}


/* Empty the table: every entry unused and on the free list. */
static void
lb_zone_table_clear_locked(lb_zone_table_t *t)
{
    uint32_t          n;
    lb_zone_entry_t  *e;

    memset(lb_zone_table_buckets(t), 0, t->nbuckets * sizeof(uint32_t));

    for (n = 1; n <= t->capacity; n++) {
        e = lb_zone_entry(t, n);
        e->key_len = 0;
        e->hnext = 0;
        e->prev = 0;
        e->next = n < t->capacity ? n + 1 : 0;
    }

    t->free_head = 1;
    t->lru_head = 0;
    t->lru_tail = 0;
    t->nentries = 0;
}


/* A holder that died may have left the lists half-linked; the table is a
 * cache of choices that can be made again, so empty it. */
static lb_int_t
lb_zone_table_lock(lb_zone_table_t *t)
{
    lb_int_t  rc;

    rc = lb_shmtx_lock(&t->mutex);

    if (rc == LB_SHMTX_OWNER_DEAD) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "shared table \"%s\": emptied (%u entries) after a "
                     "process died holding its lock", t->name, t->nentries);
        lb_zone_table_clear_locked(t);
        t->clears++;
        rc = LB_OK;
    }

    return rc;
}


static uint32_t
lb_zone_table_hash(lb_zone_table_t *t, const void *key, size_t len)
{
    return (uint32_t) lb_hash_keyed(&t->hash_key, key, len);
}


static uint32_t
lb_zone_table_find(lb_zone_table_t *t, const void *key, size_t len,
    uint32_t hash)
{
    uint32_t          n;
    lb_zone_entry_t  *e;

    for (n = lb_zone_table_buckets(t)[hash & (t->nbuckets - 1)]; n != 0;
         n = e->hnext)
    {
        e = lb_zone_entry(t, n);

        if (e->hash == hash && e->key_len == len
            && memcmp(e + 1, key, len) == 0)
        {
            return n;
        }
    }

    return 0;
}


static void
lb_zone_lru_unlink(lb_zone_table_t *t, uint32_t n)
{
    lb_zone_entry_t  *e;

    e = lb_zone_entry(t, n);

    if (e->prev != 0) {
        lb_zone_entry(t, e->prev)->next = e->next;
    } else {
        t->lru_head = e->next;
    }

    if (e->next != 0) {
        lb_zone_entry(t, e->next)->prev = e->prev;
    } else {
        t->lru_tail = e->prev;
    }

    e->prev = 0;
    e->next = 0;
}


static void
lb_zone_lru_push(lb_zone_table_t *t, uint32_t n)
{
    lb_zone_entry_t  *e;

    e = lb_zone_entry(t, n);

    e->prev = 0;
    e->next = t->lru_head;

    if (t->lru_head != 0) {
        lb_zone_entry(t, t->lru_head)->prev = n;
    } else {
        t->lru_tail = n;
    }

    t->lru_head = n;
}


static void
lb_zone_table_remove(lb_zone_table_t *t, uint32_t n)
{
    uint32_t         *link;
    lb_zone_entry_t  *e;

    e = lb_zone_entry(t, n);

    for (link = &lb_zone_table_buckets(t)[e->hash & (t->nbuckets - 1)];
         *link != 0; link = &lb_zone_entry(t, *link)->hnext)
    {
        if (*link == n) {
            *link = e->hnext;
            break;
        }
    }

    lb_zone_lru_unlink(t, n);

    e->key_len = 0;
    e->hnext = 0;
    e->next = t->free_head;
    t->free_head = n;
    t->nentries--;
}


lb_int_t
lb_zone_table_lookup(lb_zone_table_t *t, const void *key, size_t len,
    lb_msec_t now, lb_msec_t ttl, void *value)
{
    uint32_t          n, hash;
    lb_int_t          rc;
    lb_zone_entry_t  *e;

    if (len == 0 || len > t->key_size) {
        return LB_ERROR;
    }

    hash = lb_zone_table_hash(t, key, len);

    if (lb_zone_table_lock(t) != LB_OK) {
        return LB_ERROR;
    }

    n = lb_zone_table_find(t, key, len, hash);

    if (n == 0) {
        t->misses++;
        rc = LB_DECLINED;
        goto done;
    }

    e = lb_zone_entry(t, n);

    if (e->expire <= now) {
        lb_zone_table_remove(t, n);
        t->expirations++;
        t->misses++;
        rc = LB_DECLINED;
        goto done;
    }

    if (value != NULL) {
        memcpy(value, (char *) (e + 1) + t->key_size, t->value_size);
    }

    if (ttl != 0) {
        e->expire = now + ttl;
        lb_zone_lru_unlink(t, n);
        lb_zone_lru_push(t, n);

        /* the peers' copy expires ttl after it was sent: renewed there
         * once half of it has passed, not at every use */
        if (t->journal && lb_zone_journal != NULL
            && (uint64_t) (now / 1000 - e->journaled) * 2000 >= ttl)
        {
            e->journaled = (uint32_t) (now / 1000);
            lb_zone_journal_add(t->name, LB_ZONE_JOURNAL_SET, e + 1,
                                e->key_len,
                                (char *) (e + 1) + t->key_size,
                                t->value_size, ttl);
        }
    }

    t->hits++;
    rc = LB_OK;

done:

    lb_shmtx_unlock(&t->mutex);

    return rc;
}


lb_int_t
lb_zone_table_set(lb_zone_table_t *t, const void *key, size_t len,
    const void *value, lb_msec_t now, lb_msec_t ttl)
{
    uint32_t          n, hash, *bucket;
    lb_zone_entry_t  *e;

    if (len == 0 || len > t->key_size) {
        return LB_ERROR;
    }

    hash = lb_zone_table_hash(t, key, len);

    if (lb_zone_table_lock(t) != LB_OK) {
        return LB_ERROR;
    }

    n = lb_zone_table_find(t, key, len, hash);

    if (n != 0) {
        lb_zone_lru_unlink(t, n);

    } else {
        if (t->free_head == 0) {
            /* full: the least recently used entry makes room */
            if (lb_zone_entry(t, t->lru_tail)->expire <= now) {
                t->expirations++;
            } else {
                t->evictions++;
            }
            lb_zone_table_remove(t, t->lru_tail);
        }

        n = t->free_head;
        e = lb_zone_entry(t, n);
        t->free_head = e->next;

        e->hash = hash;
        e->key_len = (uint32_t) len;
        memcpy(e + 1, key, len);

        bucket = &lb_zone_table_buckets(t)[hash & (t->nbuckets - 1)];
        e->hnext = *bucket;
        *bucket = n;

        t->nentries++;
        t->inserts++;
    }

    e = lb_zone_entry(t, n);
    memcpy((char *) (e + 1) + t->key_size, value, t->value_size);
    e->expire = now + ttl;
    lb_zone_lru_push(t, n);

    if (t->journal) {
        e->journaled = (uint32_t) (now / 1000);
        lb_zone_journal_add(t->name, LB_ZONE_JOURNAL_SET, key, len, value,
                            t->value_size, ttl);
    }

    lb_shmtx_unlock(&t->mutex);

    return LB_OK;
}


lb_int_t
lb_zone_table_delete(lb_zone_table_t *t, const void *key, size_t len)
{
    uint32_t  n;

    if (len == 0 || len > t->key_size) {
        return LB_DECLINED;
    }

    if (lb_zone_table_lock(t) != LB_OK) {
        return LB_ERROR;
    }

    n = lb_zone_table_find(t, key, len, lb_zone_table_hash(t, key, len));
    if (n != 0) {
        lb_zone_table_remove(t, n);

        if (t->journal) {
            lb_zone_journal_add(t->name, LB_ZONE_JOURNAL_DELETE, key, len,
                                NULL, 0, 0);
        }
    }

    lb_shmtx_unlock(&t->mutex);

    return n != 0 ? LB_OK : LB_DECLINED;
}


uint32_t
lb_zone_table_expire(lb_zone_table_t *t, lb_msec_t now, uint32_t max)
{
    uint32_t  n;

    if (lb_zone_table_lock(t) != LB_OK) {
        return 0;
    }

    for (n = 0; n < max && t->lru_tail != 0
                && lb_zone_entry(t, t->lru_tail)->expire <= now; n++)
    {
        lb_zone_table_remove(t, t->lru_tail);
    }

    t->expirations += n;

    lb_shmtx_unlock(&t->mutex);

    return n;
}


void
lb_zone_table_stats(lb_zone_table_t *t, lb_zone_table_stats_t *st)
{
    memset(st, 0, sizeof(lb_zone_table_stats_t));

    if (lb_zone_table_lock(t) != LB_OK) {
        return;
    }

    st->capacity = t->capacity;
    st->nentries = t->nentries;
    st->hits = t->hits;
    st->misses = t->misses;
    st->inserts = t->inserts;
    st->evictions = t->evictions;
    st->expirations = t->expirations;
    st->clears = t->clears;

    lb_shmtx_unlock(&t->mutex);
}
