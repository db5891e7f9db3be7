/* weir: the worker's hooks in the child skeleton (lb_worker.h), and the
 * worker's side of a change made through the admin API (lb_zone_gen.h):
 * a newer generation of the target groups taken up while it runs. */
#include "lb_balancer.h"
#include "lb_conf.h"
#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_log.h"
#include "lb_module.h"
#include "lb_palloc.h"
#include "lb_process.h"
#include "lb_time.h"
#include "lb_worker.h"
#include "lb_zone_gen.h"

static void lb_worker_apply(lb_cycle_t *cycle);
static lb_int_t lb_worker_switch(lb_cycle_t *cycle, lb_conf_t *conf,
    lb_pool_t *pool, uint64_t gen);
static void lb_worker_point(lb_conf_t *to, lb_conf_t *from,
    lb_target_group_t **saved);
static void lb_worker_release(void *data);

static bool        lb_worker_exiting;
static lb_msec_t   lb_worker_deadline;

/* the configuration this worker's groups come from: its cycle's, then
 * the last generation it took up */
static lb_conf_t  *lb_worker_conf;
static uint64_t    lb_worker_generation;


lb_int_t
lb_worker_init(lb_cycle_t *cycle, uint32_t slot)
{
    lb_unused(slot);

    lb_worker_conf = cycle->conf;
    lb_worker_generation = cycle->generation;

    /* every connection from now on counts in the cycle's epoch: the
     * cycle's groups are never freed, but those of a later generation
     * must know that no connection older than them is left */
    if (lb_connection_epoch_start(cycle->generation, NULL, NULL) != LB_OK) {
        return LB_ERROR;
    }

    /* before the listening sockets: their protocols take their groups */
    return lb_balancer_init_cycle(cycle, cycle->pool);
}


lb_int_t
lb_worker_quit(lb_cycle_t *cycle, bool fast)
{
    if (fast) {
        lb_event_close_all();
        return LB_DONE;
    }

    lb_worker_exiting = true;
    lb_worker_deadline = lb_current_msec + cycle->conf->shutdown_timeout;

    lb_log_error(LB_LOG_INFO, &lb_log, 0,
                 "gracefully shutting down, %lu connections left",
                 (unsigned long) lb_event_connections());

    lb_event_close_listening(cycle);

    return LB_AGAIN;
}


lb_int_t
lb_worker_loop(lb_cycle_t *cycle, lb_msec_t *wait)
{
    /* between two batches of events: no handler holds a group now */
    (void) lb_connection_epoch_collect();

    if (lb_apply) {
        lb_apply = 0;
        if (!lb_worker_exiting && cycle->zone != NULL) {
            lb_worker_apply(cycle);
        }
    }

    if (!lb_worker_exiting) {
        return LB_OK;
    }

    if (lb_event_connections() == 0) {
        return LB_DONE;
    }

    if (lb_current_msec >= lb_worker_deadline) {
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "shutdown timeout: closing %lu connections",
                     (unsigned long) lb_event_connections());
        lb_event_close_all();
        return LB_DONE;
    }

    if (lb_worker_deadline - lb_current_msec < *wait) {
        *wait = lb_worker_deadline - lb_current_msec;
    }

    return LB_OK;
}


/* SIGUSR2: the master published a newer generation in which only target
 * groups (and the listeners' choice of group) changed. Its groups are
 * built beside the running ones, then taken up between two batches of
 * events: new connections and new requests use them; what runs keeps
 * the groups it holds, which are freed once the last connection of
 * their epoch and of every older one is closed. The worker's pid, its
 * sockets and its connections stay. */
static void
lb_worker_apply(lb_cycle_t *cycle)
{
    uint64_t     gen;
    lb_pool_t   *pool;
    lb_conf_t   *conf;

    if (lb_zone_gen_published(cycle->zone) <= lb_worker_generation) {
        return;
    }

    conf = lb_zone_gen_parse(cycle->zone, cycle->conf_file, &pool, &gen);
    if (conf == NULL) {
        return;
    }

    if (!lb_conf_live_change(lb_worker_conf, conf)) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "configuration generation %llu changes more than "
                     "target groups: not taken up", (unsigned long long) gen);
        lb_destroy_pool(pool);
        return;
    }

    if (lb_worker_switch(cycle, conf, pool, gen) != LB_OK) {
        lb_destroy_pool(pool);
        return;
    }

    lb_worker_conf = conf;
    lb_worker_generation = gen;

    lb_zone_gen_running(cycle->zone, LB_PROC_WORKER, lb_worker_slot, gen);

    lb_log_error(LB_LOG_INFO, &lb_log, 0,
                 "configuration generation %llu taken up, %lu connections "
                 "carried over", (unsigned long long) gen,
                 (unsigned long) lb_event_connections());
}


/* Make conf's groups the ones new traffic uses: the balancer groups, the
 * listeners of the worker's cycle, then each module's state. LB_OK, or
 * LB_ERROR (logged) with everything as it was. */
static lb_int_t
lb_worker_switch(lb_cycle_t *cycle, lb_conf_t *conf, lb_pool_t *pool,
    uint64_t gen)
{
    uint32_t              b, n;
    lb_target_group_t   **saved;
    const lb_module_t    *m, *undo;
    lb_balancer_saved_t   bsaved;

    for (b = 0, n = 0; b < conf->nbalancers; b++) {
        n += conf->balancers[b].nlisteners;
    }

    saved = lb_palloc(pool, (n + 1) * sizeof(lb_target_group_t *));
    if (saved == NULL) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0, "out of memory");
        return LB_ERROR;
    }

    if (lb_balancer_install(conf, cycle->zone, pool, &bsaved) != LB_OK) {
        return LB_ERROR;
    }

    lb_worker_point(cycle->conf, conf, saved);

    for (m = lb_modules; m->name != NULL; m++) {
        if (m->init_groups == NULL
            || m->init_groups(conf, cycle->zone, pool) == LB_OK)
        {
            continue;
        }

        /* back to the running groups; the modules before m only point
         * at groups (lb_cycle.h), so they can point back */
        lb_worker_point(cycle->conf, NULL, saved);
        lb_balancer_restore(&bsaved);

        for (undo = lb_modules; undo != m; undo++) {
            if (undo->init_groups != NULL) {
                (void) undo->init_groups(lb_worker_conf, cycle->zone, NULL);
            }
        }

        return LB_ERROR;
    }

    if (lb_connection_epoch_start(gen, lb_worker_release, pool)
        != LB_OK)
    {
        /* taken up all the same: its memory stays for the worker's life */
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "the groups of this generation will not be freed");
    }

    return LB_OK;
}


/* Point the listeners of `to` (the worker's cycle) at the target groups
 * of the same listeners in `from`, keeping what they pointed at in
 * saved[]; from NULL: back to saved[]. Listeners are in the same order
 * in both (lb_conf_live_change() said so). */
static void
lb_worker_point(lb_conf_t *to, lb_conf_t *from, lb_target_group_t **saved)
{
    uint32_t        b, l, i;
    lb_listener_t  *lt;

    for (b = 0, i = 0; b < to->nbalancers; b++) {
        for (l = 0; l < to->balancers[b].nlisteners; l++, i++) {
            lt = &to->balancers[b].listeners[l];

            if (from == NULL) {
                lt->target_group = saved[i];
                continue;
            }

            saved[i] = lt->target_group;
            lt->target_group = from->balancers[b].listeners[l].target_group;
        }
    }
}


/* the last connection that could use a generation's groups is gone */
static void
lb_worker_release(void *data)
{
    lb_destroy_pool(data);
}
