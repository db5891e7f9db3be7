/* weir: the health checker process and its scheduler. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lb_array.h"
#include "lb_conf_schema.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_hash.h"
#include "lb_health.h"
#include "lb_health_check.h"
#include "lb_health_state.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_process.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_table.h"
#include "lb_zone_gen.h"

/* the first checks are spread over this many ms */
#define LB_HEALTH_SPREAD         1000
/* the next check comes up to delay/10, at most this many ms, early */
#define LB_HEALTH_JITTER_MAX     1000

/* the zone table that remembers, per target record, a hash of the check
 * settings it was last checked with (to re-evaluate a target whose
 * settings changed); losing an entry only means no re-evaluation */
#define LB_HEALTH_TABLE          "health-check-settings"
#define LB_HEALTH_TABLE_SIZE     16384
#define LB_HEALTH_TABLE_TTL      ((lb_msec_t) 1 << 50)
#define LB_HEALTH_SETTINGS_TAG   ((uint64_t) 1 << 32)

static lb_int_t lb_health_build(lb_conf_t *conf, lb_shm_zone_t *zone);
static void lb_health_apply(lb_cycle_t *cycle);
static void lb_health_carry_over(lb_health_check_t *old, uint32_t nold);
static lb_int_t lb_health_add_group(lb_shm_zone_t *z, lb_target_group_t *g,
    lb_zone_table_t *settings);
static void lb_health_unmonitored(lb_shm_zone_t *z, lb_target_group_t *g);
static lb_int_t lb_health_init_check(lb_health_check_t *hc,
    lb_health_group_t *hg, lb_target_t *t);
static void lb_health_settings(lb_health_check_t *hc,
    lb_zone_table_t *settings);
static uint32_t lb_health_settings_hash(const lb_health_check_t *hc);
static void lb_health_settings_bytes(void *ctx, const void *p, size_t len);
static void lb_health_schedule_first(void);
static void lb_health_timer_handler(lb_event_t *ev);
static void lb_health_run(lb_health_check_t *hc);
static void lb_health_log_change(lb_health_check_t *hc,
    lb_health_change_e change, const lb_zone_health_t *h);
static lb_msec_t lb_health_jitter(lb_msec_t delay);
static uint64_t lb_health_wall_msec(void);

static lb_pool_t          *lb_health_pool;     /* checks; the conf of
                                                  a generation taken up */
static uint64_t            lb_health_generation;
static lb_health_check_t  *lb_health_checks;
static uint32_t            lb_health_nchecks;
static uint32_t            lb_health_ngroups;
static uint64_t            lb_health_rand;
static bool                lb_health_inet;
static bool                lb_health_inet6;


lb_int_t
lb_health_init(lb_cycle_t *cycle, uint32_t slot)
{
    lb_unused(slot);

    lb_health_pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (lb_health_pool == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "out of memory for the health checks");
        return LB_ERROR;
    }

    lb_health_rand = ((uint64_t) getpid() << 32) ^ lb_health_wall_msec()
                     ^ 0x9e3779b97f4a7c15ull;

    lb_health_generation = cycle->generation;

    if (lb_health_build(cycle->conf, cycle->zone) != LB_OK) {
        return LB_ERROR;
    }

    /* the ICMP sockets may need root (a raw socket): the skeleton drops
     * privileges after this (lb_child.c, as_root) */
    if (lb_health_inet || lb_health_inet6) {
        (void) lb_check_ping_init(lb_health_inet, lb_health_inet6);
    }

    lb_health_schedule_first();

    lb_log_error(LB_LOG_INFO, &lb_log, 0,
                 "checking %u target%s of %u target group%s",
                 lb_health_nchecks, lb_health_nchecks == 1 ? "" : "s",
                 lb_health_ngroups, lb_health_ngroups == 1 ? "" : "s");

    return LB_OK;
}


lb_int_t
lb_health_quit(lb_cycle_t *cycle, bool fast)
{
    lb_unused(cycle);
    lb_unused(fast);

    /* no connection of a check is worth waiting for */
    lb_log_error(LB_LOG_INFO, &lb_log, 0, "exiting");

    return LB_DONE;
}


lb_int_t
lb_health_loop(lb_cycle_t *cycle, lb_msec_t *wait)
{
    lb_unused(wait);

    if (lb_apply) {
        lb_apply = 0;
        if (cycle->zone != NULL) {
            lb_health_apply(cycle);
        }
    }

    return LB_OK;
}


/* SIGUSR2: the master published a newer generation (target groups
 * changed, lb_zone_gen.h). The checks are built again from it in this
 * process: a target that stays keeps its next run (one whose check was
 * running is checked again at once), a new one is checked within
 * LB_HEALTH_SPREAD ms; its state is in the zone and stays. */
static void
lb_health_apply(lb_cycle_t *cycle)
{
    uint32_t            nold;
    uint64_t            gen;
    lb_pool_t          *pool, *old_pool;
    lb_conf_t          *conf;
    lb_health_check_t  *old;

    if (lb_zone_gen_published(cycle->zone) <= lb_health_generation) {
        return;
    }

    conf = lb_zone_gen_parse(cycle->zone, cycle->conf_file, &pool, &gen);
    if (conf == NULL) {
        return;
    }

    old = lb_health_checks;
    nold = lb_health_nchecks;
    old_pool = lb_health_pool;

    lb_health_pool = pool;
    lb_health_checks = NULL;
    lb_health_nchecks = 0;
    lb_health_ngroups = 0;

    if (lb_health_build(conf, cycle->zone) != LB_OK) {
        /* out of memory: the old checks go on */
        lb_health_pool = old_pool;
        lb_health_checks = old;
        lb_health_nchecks = nold;
        lb_destroy_pool(pool);
        return;
    }

    if ((lb_health_inet || lb_health_inet6)
        && lb_check_ping_init(lb_health_inet, lb_health_inet6) != LB_OK)
    {
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "PING checks of the new generation cannot open their "
                     "sockets here: a reload (weir -s reload) starts a "
                     "checker that can");
    }

    lb_health_carry_over(old, nold);

    /* the old checks and the conf they pointed into (none the first
     * time: that one is the cycle's) */
    lb_destroy_pool(old_pool);

    lb_health_generation = gen;
    lb_zone_gen_running(cycle->zone, LB_PROC_HEALTH, 0, gen);

    lb_log_error(LB_LOG_INFO, &lb_log, 0,
                 "configuration generation %llu taken up: checking %u "
                 "target%s of %u target group%s", (unsigned long long) gen,
                 lb_health_nchecks, lb_health_nchecks == 1 ? "" : "s",
                 lb_health_ngroups, lb_health_ngroups == 1 ? "" : "s");
}


/* Stop the old checks and schedule the new ones: a target checked before
 * (the same zone record) keeps the time of its next check, unless its
 * check was running (then at once); the others are spread as at start. */
static void
lb_health_carry_over(lb_health_check_t *old, uint32_t nold)
{
    uint32_t            i, j, n, maxid;
    lb_msec_t          *next;
    lb_health_check_t  *hc;

    maxid = 0;
    for (i = 0; i < lb_health_nchecks; i++) {
        maxid = lb_max(maxid, lb_health_checks[i].zt->id);
    }

    /* next[id]: when the old check of record id runs next, + 1 (0: none) */
    next = calloc((size_t) maxid + 1, sizeof(lb_msec_t));

    for (j = 0; j < nold; j++) {
        hc = &old[j];

        if (hc->running) {
            (void) hc->ops->abort(hc);
            hc->running = 0;

        } else if (next != NULL && hc->ev.timer_set
                   && hc->zt->id <= maxid)
        {
            next[hc->zt->id] = hc->ev.timer.key + 1;
        }

        if (hc->ev.timer_set) {
            lb_event_del_timer(&hc->ev);
        }
    }

    for (i = 0, n = 0; i < lb_health_nchecks; i++) {
        hc = &lb_health_checks[i];

        if (next != NULL && next[hc->zt->id] != 0) {
            lb_event_add_timer(&hc->ev,
                               next[hc->zt->id] - 1 > lb_current_msec
                               ? next[hc->zt->id] - 1 - lb_current_msec : 0);
            continue;
        }

        lb_event_add_timer(&hc->ev, (lb_msec_t) n++ * LB_HEALTH_SPREAD
                                    / lb_health_nchecks);
    }

    free(next);
}


/* One check per target of every group with a health monitor; the targets
 * of groups without one are marked healthy in the zone. */
static lb_int_t
lb_health_build(lb_conf_t *conf, lb_shm_zone_t *zone)
{
    uint32_t            i, j, n;
    lb_load_balancer_t *b;
    lb_target_group_t  *g;
    lb_zone_table_t    *settings;

    n = 0;

    for (i = 0; i < conf->nbalancers; i++) {
        b = &conf->balancers[i];
        for (j = 0; j < b->ntarget_groups; j++) {
            g = &b->target_groups[j];
            if (g->health_monitor != NULL) {
                n += g->ntargets;
            }
        }
    }

    lb_health_checks = lb_pcalloc(lb_health_pool,
                                  (n ? n : 1) * sizeof(lb_health_check_t));
    if (lb_health_checks == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for %u health checks", n);
        return LB_ERROR;
    }

    settings = NULL;

    if (n != 0) {
        settings = lb_zone_table_get(zone, LB_HEALTH_TABLE,
                                     sizeof(uint32_t), sizeof(uint64_t),
                                     LB_HEALTH_TABLE_SIZE, true);
        if (settings == NULL) {
            lb_log_error(LB_LOG_WARN, &lb_log, 0,
                         "targets whose check settings change will not be "
                         "re-evaluated at once");
        }
    }

    for (i = 0; i < conf->nbalancers; i++) {
        b = &conf->balancers[i];

        for (j = 0; j < b->ntarget_groups; j++) {
            g = &b->target_groups[j];

            if (g->health_monitor == NULL) {
                lb_health_unmonitored(zone, g);
                continue;
            }

            if (lb_health_add_group(zone, g, settings) != LB_OK) {
                return LB_ERROR;
            }
        }
    }

    return LB_OK;
}


static lb_int_t
lb_health_add_group(lb_shm_zone_t *z, lb_target_group_t *g,
    lb_zone_table_t *settings)
{
    uint32_t            i;
    lb_health_group_t  *hg;
    lb_health_check_t  *hc;
    lb_target_t        *t;

    hg = lb_pcalloc(lb_health_pool, sizeof(lb_health_group_t));
    if (hg == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for the checks of group \"%s\"",
                     g->name);
        return LB_ERROR;
    }

    hg->tg = g;
    hg->hm = g->health_monitor;
    hg->id = g->id != NULL ? g->id : g->name;
    hg->delay = hg->hm->delay;
    hg->timeout = hg->hm->timeout;

    lb_health_ngroups++;

    for (i = 0; i < g->ntargets; i++) {
        t = &g->targets[i];
        hc = &lb_health_checks[lb_health_nchecks];

        hc->zt = lb_zone_target_get(z, hg->id, &t->addr, false);
        if (hc->zt == NULL) {
            /* the master syncs the zone before it spawns us */
            lb_log_error(LB_LOG_ERR, &lb_log, 0,
                         "target %s of group %s has no shared record: not "
                         "checked", t->addr.text, g->name);
            continue;
        }

        if (lb_health_init_check(hc, hg, t) != LB_OK) {
            return LB_ERROR;
        }

        lb_health_settings(hc, settings);

        lb_health_nchecks++;
    }

    return LB_OK;
}


static void
lb_health_unmonitored(lb_shm_zone_t *z, lb_target_group_t *g)
{
    uint32_t           i;
    const char        *id;
    lb_zone_health_t   h;
    lb_zone_target_t  *zt;

    id = g->id != NULL ? g->id : g->name;

    for (i = 0; i < g->ntargets; i++) {
        zt = lb_zone_target_get(z, id, &g->targets[i].addr, false);
        if (zt == NULL) {
            continue;
        }

        (void) lb_zone_target_health_get(zt, &h);

        if (lb_health_state_unmonitored(&h)) {
            lb_zone_target_health_set(zt, &h);
        }
    }
}


static lb_int_t
lb_health_init_check(lb_health_check_t *hc, lb_health_group_t *hg,
    lb_target_t *t)
{
    uint16_t              port;
    lb_health_monitor_t  *hm;

    hm = hg->hm;

    hc->group = hg;
    hc->target = t;
    hc->ev.data = hc;
    hc->ev.handler = lb_health_timer_handler;

    memcpy(&hc->sa, &t->addr.sa, t->addr.socklen);
    hc->socklen = t->addr.socklen;

    port = htons((uint16_t) t->monitor_port);

    if (hc->sa.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *) &hc->sa)->sin6_port = port;
        lb_health_inet6 |= hm->type == LB_CHECK_PING;
    } else {
        ((struct sockaddr_in *) &hc->sa)->sin_port = port;
        lb_health_inet |= hm->type == LB_CHECK_PING;
    }

    hc->source = lb_health_pick_source(t->group->balancer->health_check_ips,
                                       t->group->balancer->nhealth_check_ips,
                                       t);

    switch (hm->type) {

    case LB_CHECK_PING:
        hc->ops = &lb_check_ping_ops;
        break;

    case LB_CHECK_TCP:
        hc->ops = &lb_check_tcp_ops;
        break;

    case LB_CHECK_HTTPS:
        hc->https = 1;
        /* fall through */

    case LB_CHECK_HTTP:
        hc->ops = &lb_check_http_ops;
        if (lb_check_http_request(hc, lb_health_pool) != LB_OK) {
            return LB_ERROR;
        }
        break;
    }

    return LB_OK;
}


/* Compare the target's check settings with those it was checked with
 * last (by whichever checker process); when they changed, judge it
 * afresh without taking it out of rotation. */
static void
lb_health_settings(lb_health_check_t *hc, lb_zone_table_t *settings)
{
    uint32_t          key;
    uint64_t          old, now;
    lb_int_t          rc;
    lb_zone_health_t  h;

    if (settings == NULL) {
        return;
    }

    key = hc->zt->id;
    now = LB_HEALTH_SETTINGS_TAG | lb_health_settings_hash(hc);

    rc = lb_zone_table_lookup(settings, &key, sizeof(key), lb_current_msec,
                              LB_HEALTH_TABLE_TTL, &old);

    if (rc == LB_OK && old != now) {
        (void) lb_zone_target_health_get(hc->zt, &h);

        if (lb_health_state_reevaluate(&h)) {
            lb_zone_target_health_set(hc->zt, &h);
        }

        lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                     "target %s of group %s: check settings changed, "
                     "re-evaluating (%s)", hc->target->addr.text,
                     hc->group->tg->name, lb_zone_health_names[h.state]);
    }

    if (rc != LB_OK || old != now) {
        (void) lb_zone_table_set(settings, &key, sizeof(key), &now,
                                 lb_current_msec, LB_HEALTH_TABLE_TTL);
    }
}


/* What a check does and accepts: the check_identity fields of the
 * health_monitor and member tables (lb_conf_schema.c), so that a new field
 * flagged there re-evaluates targets here by itself. */
static uint32_t
lb_health_settings_hash(const lb_health_check_t *hc)
{
    uint64_t  h;

    /* stable: a checker started after a reload compares with what its
     * predecessor stored; each field's hash seeds the next */
    h = 0;

    lb_conf_identity(&lb_conf_health_monitor_object, hc->group->hm,
                     lb_health_settings_bytes, &h);
    lb_conf_identity(&lb_conf_member_object, hc->target,
                     lb_health_settings_bytes, &h);

    return (uint32_t) h;
}


static void
lb_health_settings_bytes(void *ctx, const void *p, size_t len)
{
    uint64_t  *h = ctx;

    *h = lb_hash_stable64(*h, p, len);
}


/* The first checks: all at once, but spread over LB_HEALTH_SPREAD ms so
 * that a thousand targets are not hit in the same millisecond. */
static void
lb_health_schedule_first(void)
{
    uint32_t  i;

    for (i = 0; i < lb_health_nchecks; i++) {
        lb_event_add_timer(&lb_health_checks[i].ev,
                           (lb_msec_t) i * LB_HEALTH_SPREAD
                           / lb_health_nchecks);
    }
}


static void
lb_health_timer_handler(lb_event_t *ev)
{
    lb_health_cause_e   cause;
    lb_health_check_t  *hc;

    hc = ev->data;

    if (!hc->running) {
        lb_health_run(hc);
        return;
    }

    cause = hc->ops->abort(hc);

    lb_health_check_done(hc, false, cause, 0);
}


static void
lb_health_run(lb_health_check_t *hc)
{
    hc->running = 1;
    hc->started = lb_current_msec;
    hc->phase = LB_HEALTH_PHASE_IDLE;
    hc->err = 0;
    hc->status = 0;
    hc->sent = 0;
    hc->nbuf = 0;

    lb_event_add_timer(&hc->ev, hc->group->timeout);

    hc->ops->start(hc);
}


void
lb_health_check_done(lb_health_check_t *hc, bool ok, lb_health_cause_e cause,
    unsigned status)
{
    uint16_t             code;
    lb_msec_t            next, wait;
    lb_zone_health_t     h;
    lb_health_change_e   change;
    lb_health_monitor_t *hm;
    char                 text[64];

    if (!hc->running) {
        return;
    }

    hc->running = 0;
    hc->phase = LB_HEALTH_PHASE_IDLE;
    hm = hc->group->hm;

    if (!ok && cause == LB_HEALTH_LOCAL_ERROR) {
        /* out of sockets or memory here says nothing about the target:
         * no verdict, try again next time */
        lb_log_error(LB_LOG_WARN, &lb_log, hc->err,
                     "%s check of target %s of group %s could not run",
                     hc->ops->name, hc->target->addr.text,
                     hc->group->tg->name);
        goto next;
    }

    code = ok ? 0 : lb_health_cause_code(cause, status);

    /* the zone is the truth: a checker that was replaced may have written
     * last, and this one goes on from there */
    if (lb_zone_target_health_get(hc->zt, &h) != LB_OK) {
        lb_log_error(LB_LOG_WARN, &lb_log, 0,
                     "target %s of group %s: health record was being "
                     "written for too long", hc->target->addr.text,
                     hc->group->tg->name);
    }

    change = lb_health_state_apply(&h, ok, code, hm->max_retries,
                                   hm->max_retries_down,
                                   lb_health_wall_msec());

    lb_zone_target_health_set(hc->zt, &h);
    lb_zone_target_checked(hc->zt, ok, change == LB_HEALTH_WENT_UP ? 1
                                       : change == LB_HEALTH_WENT_DOWN ? -1
                                       : 0);

    if (lb_log.level >= LB_LOG_DEBUG) {
        lb_log_debug(&lb_log, "%s check of target %s (port %u) of group %s: "
                     "%s in %llu ms, %s, %u up, %u down",
                     hc->ops->name, hc->target->addr.text,
                     hc->target->monitor_port, hc->group->tg->name,
                     ok ? "ok" : lb_health_cause_text(code, text,
                                                      sizeof(text)),
                     (unsigned long long) (lb_current_msec - hc->started),
                     lb_zone_health_names[h.state], h.rise, h.fall);
    }

    if (change != LB_HEALTH_SAME) {
        lb_health_log_change(hc, change, &h);
    }

next:

    next = hc->started + hc->group->delay - lb_health_jitter(hc->group->delay);
    wait = next > lb_current_msec ? next - lb_current_msec : 0;

    lb_event_add_timer(&hc->ev, wait);
}


static void
lb_health_log_change(lb_health_check_t *hc, lb_health_change_e change,
    const lb_zone_health_t *h)
{
    char  text[64];

    if (change == LB_HEALTH_WENT_UP) {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                     "target %s of group %s is UP (%u success%s in a row)",
                     hc->target->addr.text, hc->group->tg->name, h->rise,
                     h->rise == 1 ? "" : "es");
        return;
    }

    lb_log_error(LB_LOG_WARN, &lb_log, 0,
                 "target %s of group %s is DOWN: %s (%u failure%s in a row)",
                 hc->target->addr.text, hc->group->tg->name,
                 lb_health_cause_text(h->cause, text, sizeof(text)), h->fall,
                 h->fall == 1 ? "" : "s");
}


const lb_sockaddr_t *
lb_health_pick_source(const lb_health_source_t *sources, uint32_t n,
    const lb_target_t *t)
{
    uint32_t                   i;
    const lb_health_source_t  *any;

    any = NULL;

    for (i = 0; i < n; i++) {
        if (sources[i].addr.sa.ss_family != t->addr.sa.ss_family) {
            continue;
        }

        if (sources[i].subnet_id == NULL) {
            if (any == NULL) {
                any = &sources[i];
            }
            continue;
        }

        if (t->subnet_id != NULL
            && strcmp(sources[i].subnet_id, t->subnet_id) == 0)
        {
            return &sources[i].addr;
        }
    }

    return any != NULL ? &any->addr : NULL;
}


/* How much earlier than `delay` after the last start the next check
 * runs: never later, so the bounds of SPEC.md section 6 hold. */
static lb_msec_t
lb_health_jitter(lb_msec_t delay)
{
    lb_msec_t  max;

    max = lb_min(delay / 10, (lb_msec_t) LB_HEALTH_JITTER_MAX);
    if (max == 0) {
        return 0;
    }

    /* xorshift64 */
    lb_health_rand ^= lb_health_rand << 13;
    lb_health_rand ^= lb_health_rand >> 7;
    lb_health_rand ^= lb_health_rand << 17;

    return lb_health_rand % (max + 1);
}


static uint64_t
lb_health_wall_msec(void)
{
    struct timespec  ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
        return (uint64_t) lb_current_sec * 1000;
    }

    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}


void
lb_health_ping_families(const lb_conf_t *conf, bool *inet, bool *inet6)
{
    uint32_t                  b, g, t;
    const lb_target_group_t  *tg;

    *inet = false;
    *inet6 = false;

    for (b = 0; b < conf->nbalancers; b++) {
        for (g = 0; g < conf->balancers[b].ntarget_groups; g++) {
            tg = &conf->balancers[b].target_groups[g];

            if (tg->health_monitor == NULL
                || tg->health_monitor->type != LB_CHECK_PING)
            {
                continue;
            }

            for (t = 0; t < tg->ntargets; t++) {
                if (tg->targets[t].addr.sa.ss_family == AF_INET6) {
                    *inet6 = true;
                } else {
                    *inet = true;
                }
            }
        }
    }
}
