/* weir: shared gauges, found by name through a registry table in the
 * zone. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_slab.h"
#include "lb_zone.h"
#include "lb_zone_gauge.h"
#include "lb_zone_table.h"

#define LB_ZONE_GAUGE_REGISTRY  "gauges"

/* registry entries never expire: their gauges are never freed */
#define LB_ZONE_GAUGE_FOREVER   ((lb_msec_t) 1 << 60)

static uint32_t lb_zone_gauge_slot(lb_zone_gauge_t *g, pid_t pid);


lb_zone_gauge_t *
lb_zone_gauge_get(lb_shm_zone_t *z, const char *name, uint32_t *slot)
{
    size_t            len;
    uint64_t          off;
    lb_zone_table_t  *reg;
    lb_zone_gauge_t  *g;
    char              key[LB_ZONE_GAUGE_NAME_LEN + 1];

    *slot = LB_ZONE_GAUGE_NO_SLOT;

    len = strlen(name);
    if (len == 0 || len > LB_ZONE_GAUGE_NAME_LEN) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "shared gauge \"%s\": the name must be 1 to %d bytes",
                     name, LB_ZONE_GAUGE_NAME_LEN);
        return NULL;
    }

    /* fixed-size keys: no two names share a prefix match */
    memset(key, 0, sizeof(key));
    memcpy(key, name, len);

    reg = lb_zone_table_get(z, LB_ZONE_GAUGE_REGISTRY, sizeof(key),
                            sizeof(uint64_t), LB_ZONE_GAUGE_MAX, true);
    if (reg == NULL) {
        return NULL;
    }

    /* the zone lock makes find-or-create one step for all processes (the
     * registry's own lock is another lock, taken inside) */
    if (lb_zone_lock(z) != LB_OK) {
        return NULL;
    }

    g = NULL;

    if (lb_zone_table_lookup(reg, key, sizeof(key), 0, 0, &off) == LB_OK) {
        g = lb_shm_ptr(z, off);

    } else {
        g = lb_slab_calloc_locked(lb_zone_slab(z), sizeof(lb_zone_gauge_t));

        if (g == NULL) {
            lb_log_error(LB_LOG_ERR, &lb_log, 0,
                         "shared zone is full: no room for gauge \"%s\"",
                         name);
            goto done;
        }

        off = lb_shm_off(z, g);

        if (lb_zone_table_set(reg, key, sizeof(key), &off, 0,
                              LB_ZONE_GAUGE_FOREVER)
            != LB_OK)
        {
            lb_slab_free_locked(lb_zone_slab(z), g);
            g = NULL;
            goto done;
        }
    }

    *slot = lb_zone_gauge_slot(g, getpid());

    if (*slot == LB_ZONE_GAUGE_NO_SLOT) {
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "shared gauge \"%s\": all %d slots are held by live "
                     "processes; this one counts without crash repair",
                     name, LB_ZONE_GAUGE_SLOTS);
    }

done:

    lb_zone_unlock(z);

    return g;
}


lb_zone_gauge_t *
lb_zone_gauge_find(lb_shm_zone_t *z, const char *name)
{
    size_t            len;
    uint64_t          off;
    lb_zone_table_t  *reg;
    lb_zone_gauge_t  *g;
    char              key[LB_ZONE_GAUGE_NAME_LEN + 1];

    len = strlen(name);
    if (len == 0 || len > LB_ZONE_GAUGE_NAME_LEN) {
        return NULL;
    }

    memset(key, 0, sizeof(key));
    memcpy(key, name, len);

    reg = lb_zone_table_get(z, LB_ZONE_GAUGE_REGISTRY, sizeof(key),
                            sizeof(uint64_t), LB_ZONE_GAUGE_MAX, false);
    if (reg == NULL) {
        return NULL;
    }

    if (lb_zone_lock(z) != LB_OK) {
        return NULL;
    }

    g = NULL;

    if (lb_zone_table_lookup(reg, key, sizeof(key), 0, 0, &off) == LB_OK) {
        g = lb_shm_ptr(z, off);
    }

    lb_zone_unlock(z);

    return g;
}


/* A slot for pid, under the zone lock. Every slot whose owner is dead
 * gives its share back (a worker killed with connections open never
 * counted them out) and becomes free; then pid takes its own old slot
 * (left by a dead process of the same pid), a free one, or a new one. */
static uint32_t
lb_zone_gauge_slot(lb_zone_gauge_t *g, pid_t pid)
{
    int64_t                n;
    uint32_t               i, mine, avail;
    lb_zone_gauge_slot_t  *s;

    mine = LB_ZONE_GAUGE_NO_SLOT;
    avail = LB_ZONE_GAUGE_NO_SLOT;

    for (i = 0; i < g->nslots; i++) {
        s = &g->slots[i];

        if (s->pid != 0 && s->pid != pid
            && !(kill(s->pid, 0) == -1 && errno == ESRCH))
        {
            continue;
        }

        /* free, dead, or this pid's from a dead process: drop its share */
        n = __atomic_exchange_n(&s->count, 0, __ATOMIC_ACQ_REL);
        if (n != 0) {
            __atomic_sub_fetch(&g->total, n, __ATOMIC_ACQ_REL);
            lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                         "shared gauge: %lld left by dead process %d "
                         "dropped", (long long) n, (int) s->pid);
        }

        if (s->pid == pid) {
            mine = i;
        }

        s->pid = 0;

        if (avail == LB_ZONE_GAUGE_NO_SLOT) {
            avail = i;
        }
    }

    if (mine == LB_ZONE_GAUGE_NO_SLOT) {
        mine = avail;
    }

    if (mine == LB_ZONE_GAUGE_NO_SLOT) {
        if (g->nslots == LB_ZONE_GAUGE_SLOTS) {
            return LB_ZONE_GAUGE_NO_SLOT;
        }

        mine = g->nslots++;
    }

    g->slots[mine].pid = pid;

    return mine;
}
