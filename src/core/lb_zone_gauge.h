/* weir: gauges in the shared zone: a count that goes up and down (open
 * connections of a listener, for connection_limit) shared by every
 * process, that survives a reload, and that forgets what a crashed
 * process had counted.
 *
 * A gauge is found by name (a registry table in the zone maps names to
 * gauges; a gauge is never freed, so its memory, about 1 KB, stays for
 * the master's lifetime even after its listener is gone). It keeps the
 * total, tested against a limit with one atomic add, and per process a
 * slot with that process's share. A process takes a slot when it first
 * gets the gauge; a slot whose owner has died is taken over and its share
 * is subtracted from the total, so connections a crashed worker never
 * closed do not count against the limit forever. */
#ifndef LB_ZONE_GAUGE_H
#define LB_ZONE_GAUGE_H

#include "lb_core_types.h"
#include "lb_shm.h"

#define LB_ZONE_GAUGE_SLOTS     64       /* processes sharing one gauge */
#define LB_ZONE_GAUGE_NAME_LEN  63
#define LB_ZONE_GAUGE_MAX       4096     /* gauges in a zone */
#define LB_ZONE_GAUGE_NO_SLOT   UINT32_MAX

typedef struct {
    int32_t             pid;          /* owner; 0: free */
    uint32_t            pad;
    int64_t             count;        /* owner's share, atomic */
} lb_zone_gauge_slot_t;

typedef struct {
    int64_t             total;        /* sum of the shares, atomic */
    uint32_t            nslots;       /* slots ever used, under the zone
                                         lock */
    uint32_t            pad;
    uint64_t            entered;      /* ever counted in, atomic */
    uint64_t            refused;      /* refused at the limit, atomic */
    lb_zone_gauge_slot_t  slots[LB_ZONE_GAUGE_SLOTS];
} lb_zone_gauge_t;

/* The gauge `name` (1..LB_ZONE_GAUGE_NAME_LEN bytes) of zone z, created
 * at 0 when missing, with a slot for the calling process in *slot (a
 * slot of a dead process, or one of this pid left by a dead process of
 * the same pid, is taken over and its share dropped). Call it once per
 * process per gauge. When every slot is held by a live process *slot is
 * LB_ZONE_GAUGE_NO_SLOT: the total is still kept, without the crash
 * repair for this process. NULL (logged) when the zone is full or the
 * name is bad. */
lb_zone_gauge_t *lb_zone_gauge_get(lb_shm_zone_t *z, const char *name,
    uint32_t *slot);

/* The gauge `name` of zone z when it exists, else NULL; for readers (it
 * takes no slot and creates nothing). Takes the zone lock. */
lb_zone_gauge_t *lb_zone_gauge_find(lb_shm_zone_t *z, const char *name);

/* Count one more unless that would pass limit (a negative limit is no
 * limit): true when counted, false (nothing changed) when the total is
 * at the limit already. */
static inline bool
lb_zone_gauge_enter(lb_zone_gauge_t *g, uint32_t slot, int64_t limit)
{
    int64_t  n;

    /* the share first: a crash between the two steps then makes the
     * repair drop one too many (the limit is one lower for a while),
     * never leaves a phantom that blocks the listener */
    if (slot != LB_ZONE_GAUGE_NO_SLOT) {
        __atomic_add_fetch(&g->slots[slot].count, 1, __ATOMIC_RELAXED);
    }

    n = __atomic_add_fetch(&g->total, 1, __ATOMIC_ACQ_REL);

    if (limit >= 0 && n > limit) {
        __atomic_sub_fetch(&g->total, 1, __ATOMIC_RELAXED);

        if (slot != LB_ZONE_GAUGE_NO_SLOT) {
            __atomic_sub_fetch(&g->slots[slot].count, 1, __ATOMIC_RELAXED);
        }

        __atomic_add_fetch(&g->refused, 1, __ATOMIC_RELAXED);
        return false;
    }

    __atomic_add_fetch(&g->entered, 1, __ATOMIC_RELAXED);
    return true;
}

/* Count one less (one that lb_zone_gauge_enter() counted). */
static inline void
lb_zone_gauge_leave(lb_zone_gauge_t *g, uint32_t slot)
{
    __atomic_sub_fetch(&g->total, 1, __ATOMIC_ACQ_REL);

    if (slot != LB_ZONE_GAUGE_NO_SLOT) {
        __atomic_sub_fetch(&g->slots[slot].count, 1, __ATOMIC_RELAXED);
    }
}

static inline int64_t
lb_zone_gauge_value(const lb_zone_gauge_t *g)
{
    return __atomic_load_n(&g->total, __ATOMIC_RELAXED);
}

/* how many lb_zone_gauge_enter() counted in, and refused, ever */
static inline uint64_t
lb_zone_gauge_entered(const lb_zone_gauge_t *g)
{
    return __atomic_load_n(&g->entered, __ATOMIC_RELAXED);
}

static inline uint64_t
lb_zone_gauge_refused(const lb_zone_gauge_t *g)
{
    return __atomic_load_n(&g->refused, __ATOMIC_RELAXED);
}

#endif /* LB_ZONE_GAUGE_H */
