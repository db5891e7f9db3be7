/* weir: configuration generations in the shared zone (lb_zone_gen.h).
 *
 * One block in the zone: counters written with atomics by one writer
 * each (requested: the admin process; done, the history and the text:
 * the master; running[]: each worker for its own slot, checker: the
 * checker), so no lock is taken except to copy the text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_array.h"
#include "lb_conf.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_slab.h"
#include "lb_zone.h"
#include "lb_zone_gen.h"

/* requests read together, carried by one generation */
typedef struct {
    uint64_t            request;      /* the last request of the batch */
    uint64_t            gen;
} lb_zone_gen_batch_t;

typedef struct {
    uint64_t            requested;    /* admin: the last request number */
    uint64_t            done;         /* master: requests read so far */
    uint64_t            failed_from;  /* master: requests failed_from + 1 */
    uint64_t            failed_to;    /*   .. failed_to failed */
    char                why[LB_ZONE_GEN_WHY_LEN];

    uint32_t            nworkers;     /* master: slots that count */
    uint32_t            nbatches;     /* in history, the newest last */
    lb_zone_gen_batch_t history[LB_ZONE_GEN_HISTORY];

    uint64_t            reloads;      /* master: graceful reloads done */
    uint64_t            live;         /* master: generations applied live */

    uint64_t            checker;      /* the checker's generation */
    uint64_t            running[LB_ZONE_GEN_SLOTS];

    uint64_t            text_gen;     /* under the zone lock */
    lb_shm_off_t        text;
    size_t              text_len;
} lb_zone_gen_t;


static lb_zone_gen_t *
lb_zone_gen(lb_shm_zone_t *z)
{
    return lb_shm_ptr(z, lb_zone_root(z)->gen);
}


lb_int_t
lb_zone_gen_init(lb_shm_zone_t *z)
{
    lb_zone_gen_t  *g;

    g = lb_slab_calloc(lb_zone_slab(z), sizeof(lb_zone_gen_t));
    if (g == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone is too small for its generation block");
        return LB_ERROR;
    }

    lb_zone_root(z)->gen = lb_shm_off(z, g);

    return LB_OK;
}


uint64_t
lb_zone_gen_request(lb_shm_zone_t *z)
{
    return __atomic_add_fetch(&lb_zone_gen(z)->requested, 1,
                              __ATOMIC_ACQ_REL);
}


uint64_t
lb_zone_gen_requested(lb_shm_zone_t *z)
{
    return __atomic_load_n(&lb_zone_gen(z)->requested, __ATOMIC_ACQUIRE);
}


lb_int_t
lb_zone_gen_publish(lb_shm_zone_t *z, uint64_t gen, const char *text,
    size_t len)
{
    char           *copy, *old;
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    if (lb_zone_lock(z) != LB_OK) {
        return LB_ERROR;
    }

    copy = lb_slab_alloc_locked(lb_zone_slab(z), len + 1);

    if (copy == NULL) {
        lb_zone_unlock(z);
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "the shared zone has no room for the %zu bytes of "
                     "configuration generation %llu", len,
                     (unsigned long long) gen);
        return LB_ERROR;
    }

    memcpy(copy, text, len);
    copy[len] = '\0';

    old = g->text != 0 ? lb_shm_ptr(z, g->text) : NULL;

    g->text = lb_shm_off(z, copy);
    g->text_len = len;
    __atomic_store_n(&g->text_gen, gen, __ATOMIC_RELEASE);

    lb_slab_free_locked(lb_zone_slab(z), old);

    lb_zone_unlock(z);

    return LB_OK;
}


uint64_t
lb_zone_gen_published(lb_shm_zone_t *z)
{
    return __atomic_load_n(&lb_zone_gen(z)->text_gen, __ATOMIC_ACQUIRE);
}


char *
lb_zone_gen_text(lb_shm_zone_t *z, uint64_t *gen, size_t *len)
{
    char           *copy;
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    if (lb_zone_lock(z) != LB_OK) {
        return NULL;
    }

    if (g->text == 0) {
        lb_zone_unlock(z);
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "no configuration text in the shared zone");
        return NULL;
    }

    /* a worker's own heap: the lock is held only for the copy */
    copy = malloc(g->text_len + 1);

    if (copy != NULL) {
        memcpy(copy, lb_shm_ptr(z, g->text), g->text_len + 1);
        *len = g->text_len;
        *gen = g->text_gen;
    }

    lb_zone_unlock(z);

    if (copy == NULL) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "out of memory for the configuration text");
    }

    return copy;
}


lb_conf_t *
lb_zone_gen_parse(lb_shm_zone_t *z, const char *name, lb_pool_t **poolp,
    uint64_t *gen)
{
    char        *text, **err;
    size_t       len, i;
    lb_pool_t   *pool;
    lb_conf_t   *conf;
    lb_array_t   errors;

    text = lb_zone_gen_text(z, gen, &len);
    if (text == NULL) {
        return NULL;
    }

    conf = NULL;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);

    if (pool == NULL
        || lb_array_init(&errors, pool, 4, sizeof(char *)) != LB_OK)
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "out of memory for configuration generation %llu",
                     (unsigned long long) *gen);
        goto done;
    }

    conf = lb_conf_parse_string(pool, name, text, len, &errors);

    if (conf == NULL) {
        /* the master read the same bytes without an error */
        err = errors.elts;
        for (i = 0; i < errors.nelts; i++) {
            lb_log_error(LB_LOG_ALERT, &lb_log, 0, "%s", err[i]);
        }
    }

done:

    free(text);

    if (conf == NULL) {
        if (pool != NULL) {
            lb_destroy_pool(pool);
        }
        return NULL;
    }

    *poolp = pool;

    return conf;
}


void
lb_zone_gen_done(lb_shm_zone_t *z, uint64_t request, uint64_t gen,
    bool failed, const char *why)
{
    uint64_t        done;
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    done = __atomic_load_n(&g->done, __ATOMIC_ACQUIRE);

    if (request <= done) {
        return;
    }

    if (failed) {
        /* the reason first: a reader that sees the range sees it */
        snprintf(g->why, sizeof(g->why), "%s", why != NULL ? why : "");
        __atomic_store_n(&g->failed_from, done, __ATOMIC_RELEASE);
        __atomic_store_n(&g->failed_to, request, __ATOMIC_RELEASE);

    } else {
        if (g->nbatches == LB_ZONE_GEN_HISTORY) {
            memmove(&g->history[0], &g->history[1],
                    (LB_ZONE_GEN_HISTORY - 1) * sizeof(lb_zone_gen_batch_t));
            g->nbatches--;
        }

        g->history[g->nbatches].request = request;
        g->history[g->nbatches].gen = gen;
        __atomic_store_n(&g->nbatches, g->nbatches + 1, __ATOMIC_RELEASE);
    }

    __atomic_store_n(&g->done, request, __ATOMIC_RELEASE);
}


void
lb_zone_gen_expect(lb_shm_zone_t *z, uint32_t nworkers)
{
    __atomic_store_n(&lb_zone_gen(z)->nworkers,
                     lb_min(nworkers, (uint32_t) LB_ZONE_GEN_SLOTS),
                     __ATOMIC_RELEASE);
}


void
lb_zone_gen_running(lb_shm_zone_t *z, lb_proc_type_e kind, uint32_t slot,
    uint64_t gen)
{
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    if (kind == LB_PROC_HEALTH) {
        __atomic_store_n(&g->checker, gen, __ATOMIC_RELEASE);

    } else if (kind == LB_PROC_WORKER && slot < LB_ZONE_GEN_SLOTS) {
        __atomic_store_n(&g->running[slot], gen, __ATOMIC_RELEASE);
    }
}


uint64_t
lb_zone_gen_oldest_running(lb_shm_zone_t *z)
{
    uint32_t        i, n;
    uint64_t        oldest, gen;
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    oldest = __atomic_load_n(&g->checker, __ATOMIC_ACQUIRE);
    n = __atomic_load_n(&g->nworkers, __ATOMIC_ACQUIRE);

    for (i = 0; i < n; i++) {
        gen = __atomic_load_n(&g->running[i], __ATOMIC_ACQUIRE);
        oldest = lb_min(oldest, gen);
    }

    return oldest;
}


lb_apply_state_e
lb_zone_gen_state(lb_shm_zone_t *z, uint64_t request, const char **why)
{
    uint32_t        i, n;
    uint64_t        done, need, oldest;
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    oldest = lb_zone_gen_oldest_running(z);

    if (request == 0) {
        return oldest > 0 ? LB_APPLY_ACTIVE : LB_APPLY_PENDING;
    }

    done = __atomic_load_n(&g->done, __ATOMIC_ACQUIRE);

    if (request > done) {
        return LB_APPLY_PENDING;
    }

    if (request > __atomic_load_n(&g->failed_from, __ATOMIC_ACQUIRE)
        && request <= __atomic_load_n(&g->failed_to, __ATOMIC_ACQUIRE))
    {
        if (why != NULL) {
            *why = g->why;
        }
        return LB_APPLY_ERROR;
    }

    /* the generation of the first batch that holds the request; older
     * than the history: its oldest batch (a later generation carries
     * every earlier change too) */
    n = __atomic_load_n(&g->nbatches, __ATOMIC_ACQUIRE);
    need = 0;

    for (i = 0; i < n; i++) {
        need = g->history[i].gen;
        if (g->history[i].request >= request) {
            break;
        }
    }

    return oldest >= need ? LB_APPLY_ACTIVE : LB_APPLY_PENDING;
}


void
lb_zone_gen_count(lb_shm_zone_t *z, bool live)
{
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    __atomic_add_fetch(live ? &g->live : &g->reloads, 1, __ATOMIC_RELAXED);
}


uint64_t
lb_zone_gen_counted(lb_shm_zone_t *z, bool live)
{
    lb_zone_gen_t  *g;

    g = lb_zone_gen(z);

    return __atomic_load_n(live ? &g->live : &g->reloads, __ATOMIC_RELAXED);
}
