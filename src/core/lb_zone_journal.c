/* weir: the zone's journal of binding changes, for the sync process. */
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_slab.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_journal.h"

lb_zone_journal_t  *lb_zone_journal;
bool                lb_zone_journal_mute;


lb_int_t
lb_zone_journal_create(lb_shm_zone_t *z)
{
    lb_zone_root_t     *root;
    lb_zone_journal_t  *j;

    if (lb_zone_lock(z) != LB_OK) {
        return LB_ERROR;
    }

    root = lb_zone_root(z);

    if (root->journal != 0) {
        lb_zone_journal = lb_shm_ptr(z, root->journal);
        lb_zone_unlock(z);
        return LB_OK;
    }

    j = lb_slab_alloc_locked(lb_zone_slab(z), sizeof(lb_zone_journal_t));
    if (j == NULL) {
        lb_zone_unlock(z);
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone is full: no room for the peers' journal "
                     "(%zu bytes)", sizeof(lb_zone_journal_t));
        return LB_ERROR;
    }

    memset(j, 0, sizeof(lb_zone_journal_t));
    j->next_id = 1;

    if (getrandom(&j->epoch, sizeof(j->epoch), 0) != sizeof(j->epoch)) {
        /* the time tells zones apart well enough then */
        j->epoch = (uint64_t) lb_current_msec ^ ((uint64_t) getpid() << 40);
    }

    if (lb_shmtx_init(&j->mutex) != LB_OK) {
        lb_slab_free_locked(lb_zone_slab(z), j);
        lb_zone_unlock(z);
        return LB_ERROR;
    }

    root->journal = lb_shm_off(z, j);
    lb_zone_journal = j;

    lb_zone_unlock(z);

    return LB_OK;
}


bool
lb_zone_journal_wants(const char *name)
{
    /* "sticky:" and "app:" are lb_sticky.h's prefixes; the secret table
     * is lb_http_sticky.c's LB_HTTP_SECRET_TABLE */
    return strncmp(name, "sticky:", 7) == 0 || strncmp(name, "app:", 4) == 0
           || strcmp(name, "http:sticky-secret") == 0;
}


void
lb_zone_journal_add(const char *table, uint8_t op, const void *key,
    size_t key_len, const void *value, size_t value_len, lb_msec_t ttl)
{
    lb_zone_journal_t      *j;
    lb_zone_journal_rec_t  *r;

    j = lb_zone_journal;

    if (j == NULL || lb_zone_journal_mute) {
        return;
    }

    if (key_len > LB_ZONE_JOURNAL_KEY || value_len > LB_ZONE_JOURNAL_VALUE) {
        __atomic_add_fetch(&j->too_long, 1, __ATOMIC_RELAXED);
        return;
    }

    if (lb_shmtx_lock(&j->mutex) == LB_ERROR) {
        return;
    }

    /* (a holder that died left at most one record half-written: its id
     * is written last, so a reader skips it as not yet there) */

    r = &j->recs[j->next_id % LB_ZONE_JOURNAL_SLOTS];
    r->id = 0;
    strncpy(r->table, table, LB_ZONE_TABLE_NAME_LEN);
    r->table[LB_ZONE_TABLE_NAME_LEN] = '\0';
    r->op = op;
    r->key_len = (uint16_t) key_len;
    r->value_len = (uint8_t) value_len;
    r->ttl = ttl > UINT32_MAX ? UINT32_MAX : (uint32_t) ttl;
    memcpy(r->key, key, key_len);
    if (value_len != 0) {
        memcpy(r->value, value, value_len);
    }
    r->id = j->next_id++;

    lb_shmtx_unlock(&j->mutex);
}


int32_t
lb_zone_journal_read(lb_zone_journal_t *j, uint64_t from,
    lb_zone_journal_rec_t *recs, uint32_t max, uint64_t *next)
{
    uint32_t                n;
    uint64_t                id, oldest;
    lb_zone_journal_rec_t  *r;

    if (lb_shmtx_lock(&j->mutex) == LB_ERROR) {
        *next = from;
        return 0;
    }

    oldest = j->next_id > LB_ZONE_JOURNAL_SLOTS
             ? j->next_id - LB_ZONE_JOURNAL_SLOTS : 1;

    if (from < oldest) {
        *next = j->next_id;
        lb_shmtx_unlock(&j->mutex);
        return -1;
    }

    n = 0;

    for (id = from; id < j->next_id && n < max; id++) {
        r = &j->recs[id % LB_ZONE_JOURNAL_SLOTS];

        if (r->id != id) {
            /* half-written by a holder that died: skipped */
            continue;
        }

        recs[n++] = *r;
    }

    *next = id;

    lb_shmtx_unlock(&j->mutex);

    return (int32_t) n;
}


uint64_t
lb_zone_journal_next(lb_zone_journal_t *j)
{
    uint64_t  next;

    if (lb_shmtx_lock(&j->mutex) == LB_ERROR) {
        return 1;
    }

    next = j->next_id;

    lb_shmtx_unlock(&j->mutex);

    return next;
}


void
lb_zone_cluster_set(lb_zone_journal_t *j, const lb_zone_cluster_t *c)
{
    if (lb_shmtx_lock(&j->mutex) == LB_ERROR) {
        return;
    }

    j->cluster = *c;

    lb_shmtx_unlock(&j->mutex);
}


void
lb_zone_cluster_get(lb_zone_journal_t *j, lb_zone_cluster_t *c)
{
    if (lb_shmtx_lock(&j->mutex) == LB_ERROR) {
        memset(c, 0, sizeof(lb_zone_cluster_t));
        return;
    }

    *c = j->cluster;

    lb_shmtx_unlock(&j->mutex);
}


uint64_t
lb_zone_conf_version(lb_zone_journal_t *j, unsigned which)
{
    return __atomic_load_n(&j->conf[which].version, __ATOMIC_ACQUIRE);
}


lb_int_t
lb_zone_conf_put(lb_zone_journal_t *j, unsigned which, uint64_t version,
    const char *text, size_t len)
{
    if (len > LB_ZONE_CONF_TEXT_MAX) {
        return LB_ERROR;
    }

    if (lb_shmtx_lock(&j->mutex) == LB_ERROR) {
        return LB_ERROR;
    }

    memcpy(j->conf[which].text, text, len);
    j->conf[which].len = len;
    __atomic_store_n(&j->conf[which].version, version, __ATOMIC_RELEASE);

    lb_shmtx_unlock(&j->mutex);

    return LB_OK;
}


lb_int_t
lb_zone_conf_get(lb_zone_journal_t *j, unsigned which, uint64_t *version,
    char *buf, size_t size, size_t *len)
{
    lb_int_t  rc;

    if (lb_shmtx_lock(&j->mutex) == LB_ERROR) {
        return LB_ERROR;
    }

    rc = LB_ERROR;

    if (j->conf[which].len <= size) {
        memcpy(buf, j->conf[which].text, j->conf[which].len);
        *len = j->conf[which].len;
        *version = j->conf[which].version;
        rc = LB_OK;
    }

    lb_shmtx_unlock(&j->mutex);

    return rc;
}
