/* weir: process-shared robust locks. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_shmtx.h"

static lb_int_t lb_shmtx_acquired(lb_shmtx_t *mtx, int err, const char *fn);


lb_int_t
lb_shmtx_init(lb_shmtx_t *mtx)
{
    int                  err;
    pthread_mutexattr_t  attr;

    err = pthread_mutexattr_init(&attr);
    if (err != 0) {
        lb_log_error(LB_LOG_ALERT, &lb_log, err,
                     "%s() failed", "pthread_mutexattr_init");
        return LB_ERROR;
    }

    err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (err != 0) {
        lb_log_error(LB_LOG_ALERT, &lb_log, err,
                     "%s() failed", "pthread_mutexattr_setpshared");
        goto failed;
    }

#ifdef LB_HAVE_ROBUST_MUTEX
    err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (err != 0) {
        lb_log_error(LB_LOG_ALERT, &lb_log, err,
                     "%s() failed", "pthread_mutexattr_setrobust");
        goto failed;
    }
#endif

    err = pthread_mutex_init(&mtx->mutex, &attr);
    if (err != 0) {
        lb_log_error(LB_LOG_ALERT, &lb_log, err,
                     "%s() failed", "pthread_mutex_init");
        goto failed;
    }

    pthread_mutexattr_destroy(&attr);

    mtx->owner = 0;
    mtx->deaths = 0;

    return LB_OK;

failed:

    pthread_mutexattr_destroy(&attr);
    return LB_ERROR;
}


void
lb_shmtx_destroy(lb_shmtx_t *mtx)
{
    pthread_mutex_destroy(&mtx->mutex);
}


lb_int_t
lb_shmtx_lock(lb_shmtx_t *mtx)
{
    return lb_shmtx_acquired(mtx, pthread_mutex_lock(&mtx->mutex),
                             "pthread_mutex_lock");
}


lb_int_t
lb_shmtx_trylock(lb_shmtx_t *mtx)
{
    int  err;

    err = pthread_mutex_trylock(&mtx->mutex);
    if (err == EBUSY) {
        return LB_BUSY;
    }

    return lb_shmtx_acquired(mtx, err, "pthread_mutex_trylock");
}


/* The common tail of lock and trylock: err is what pthread returned. */
static lb_int_t
lb_shmtx_acquired(lb_shmtx_t *mtx, int err, const char *fn)
{
    pid_t  dead;

    if (err == 0) {
        mtx->owner = getpid();
        return LB_OK;
    }

#ifdef LB_HAVE_ROBUST_MUTEX
    if (err == EOWNERDEAD) {
        /* we hold it now; without consistent() the next unlock would
         * leave it unusable (ENOTRECOVERABLE) for everyone */
        dead = mtx->owner;
        mtx->owner = getpid();
        mtx->deaths++;

        err = pthread_mutex_consistent(&mtx->mutex);
        if (err != 0) {
            lb_log_error(LB_LOG_ALERT, &lb_log, err,
                         "%s() failed", "pthread_mutex_consistent");
            pthread_mutex_unlock(&mtx->mutex);
            return LB_ERROR;
        }

        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "process %d died holding a shared lock; the data it "
                     "guards may need repair", (int) dead);

        return LB_SHMTX_OWNER_DEAD;
    }
#else
    lb_unused(dead);
#endif

    lb_log_error(LB_LOG_ALERT, &lb_log, err, "%s() failed", fn);

    return LB_ERROR;
}


void
lb_shmtx_unlock(lb_shmtx_t *mtx)
{
    int  err;

    err = pthread_mutex_unlock(&mtx->mutex);
    if (err != 0) {
        lb_log_error(LB_LOG_ALERT, &lb_log, err,
                     "%s() failed", "pthread_mutex_unlock");
    }
}
