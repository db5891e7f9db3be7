/* weir: a lock in shared memory that every process of weir can take and
 * that survives the death of its holder. With robust mutexes (Linux,
 * LB_HAVE_ROBUST_MUTEX) a holder that dies without unlocking hands the
 * lock to the next taker, who is told so and must check what it guards. */
#ifndef LB_SHMTX_H
#define LB_SHMTX_H

#include <pthread.h>

#include "lb_core_types.h"

/* lb_shmtx_lock() status: the lock is held now, but its previous holder
 * died while holding it; the data it guards may be half-updated. */
#define LB_SHMTX_OWNER_DEAD  1

typedef struct {
    pthread_mutex_t   mutex;
    volatile pid_t    owner;       /* advisory: last pid that locked it */
    uint32_t          deaths;      /* holders that died, for the stats */
} lb_shmtx_t;

/* Initialize a process-shared (and, where supported, robust) lock at mtx,
 * which must lie in memory shared by every process that will take it
 * (lb_shm). Call once, before fork. LB_OK or LB_ERROR (logged). */
lb_int_t lb_shmtx_init(lb_shmtx_t *mtx);

/* Destroy a lock nobody holds or will take again. */
void lb_shmtx_destroy(lb_shmtx_t *mtx);

/* Block until the lock is ours. Returns LB_OK; LB_SHMTX_OWNER_DEAD when
 * the previous holder died holding it (logged; the lock is held and made
 * consistent again, the caller should check or repair the guarded data);
 * LB_ERROR (logged) when it cannot be taken, and then it is not held. */
lb_int_t lb_shmtx_lock(lb_shmtx_t *mtx);

/* As lb_shmtx_lock() but never blocks: LB_BUSY when someone holds it. */
lb_int_t lb_shmtx_trylock(lb_shmtx_t *mtx);

/* Release a lock this process holds. */
void lb_shmtx_unlock(lb_shmtx_t *mtx);

#endif /* LB_SHMTX_H */
