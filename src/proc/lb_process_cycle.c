/* weir: the master loop (signals, children, reload). */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lb_channel.h"
#include "lb_child.h"
#include "lb_conf.h"
#include "lb_conf_persist.h"
#include "lb_cycle.h"
#include "lb_health.h"
#include "lb_log.h"
#include "lb_module.h"
#include "lb_notify.h"
#include "lb_process.h"
#include "lb_process_cycle.h"
#include "lb_zone_journal.h"
#include "lb_setproctitle.h"
#include "lb_spawn.h"
#include "lb_sticky.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_gen.h"
#include "lb_zone_ticket.h"

/* how long TERM may take before the master sends KILL */
#define LB_TERMINATE_TIMEOUT  5000

static void lb_start_workers(lb_cycle_t *cycle);
static void lb_start_health(lb_cycle_t *cycle);
static void lb_start_admin(lb_cycle_t *cycle);
static void lb_start_sync(lb_cycle_t *cycle);
static bool lb_is_old_sync(lb_process_t *p, void *arg);
static void lb_master_reload(lb_cycle_t **cyclep, bool api);
static void lb_reap_children(lb_cycle_t *cycle, bool respawn);
static void lb_master_exit(lb_cycle_t *cycle) __attribute__((noreturn));
static void lb_set_alarm(lb_msec_t ms);
static bool lb_is_old_generation(lb_process_t *p, void *arg);
static bool lb_is_old_checker(lb_process_t *p, void *arg);
static bool lb_is_old_admin(lb_process_t *p, void *arg);
static bool lb_is_serving(lb_process_t *p, void *arg);
static void lb_adopt_generation(lb_cycle_t *cycle);
static void lb_master_switch(lb_cycle_t **cyclep, lb_cycle_t *cycle,
    uint64_t request, bool api);
static void lb_master_apply(lb_cycle_t **cyclep);
static void lb_zone_collect(lb_cycle_t *cycle);
static void lb_master_reopen(lb_cycle_t *cycle);
static bool lb_master_persist(lb_cycle_t *cycle);
static bool lb_master_ping_needs_root(const lb_conf_t *old,
    const lb_conf_t *conf);
static lb_int_t lb_master_persist_one(lb_cycle_t *cycle, int fd,
    size_t len, char *why, size_t size);
static void lb_master_tickets(lb_cycle_t *cycle);


void
lb_master_process_cycle(lb_cycle_t *cycle)
{
    bool       terminating, quitting;
    sigset_t   set, empty;
    lb_msec_t  term_start;
    char       title[256];

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGIO);

    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno, "sigprocmask() failed");
    }
    sigemptyset(&empty);

    snprintf(title, sizeof(title), "weir: master process -c %s",
             cycle->conf_file);
    lb_setproctitle(title);
    lb_log_process = "master";

    lb_start_workers(cycle);
    lb_start_health(cycle);
    lb_start_admin(cycle);
    lb_start_sync(cycle);

    /* the listening sockets are open and the workers forked: a client
     * connecting from now on is served */
    lb_notify(LB_NOTIFY_READY, "%u workers, configuration generation %llu",
              cycle->conf->worker_processes,
              (unsigned long long) cycle->generation);

    terminating = false;
    quitting = false;
    term_start = 0;

    lb_time_update();
    lb_master_tickets(cycle);

    for ( ;; ) {
        sigsuspend(&empty);
        lb_time_update();

        if (lb_reap) {
            lb_reap = 0;
            lb_reap_children(cycle, !lb_terminate && !lb_quit);
            lb_zone_collect(cycle);
        }

        if ((lb_terminate || lb_quit) && lb_live_children() == 0) {
            lb_master_exit(cycle);
        }

        if (lb_terminate) {
            if (!terminating) {
                terminating = true;
                term_start = lb_current_msec;
                lb_notify(LB_NOTIFY_STOPPING, "exiting (fast)");
                lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "exiting (fast)");
                lb_signal_children(SIGTERM, NULL, NULL);
                lb_set_alarm(100);
            } else if (lb_sigalrm) {
                lb_sigalrm = 0;
                if (lb_current_msec - term_start > LB_TERMINATE_TIMEOUT) {
                    lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                                 "children did not exit in %d ms: KILL",
                                 LB_TERMINATE_TIMEOUT);
                    lb_signal_children(SIGKILL, NULL, NULL);
                }
                lb_set_alarm(100);
            }
            continue;
        }

        if (lb_quit) {
            if (!quitting) {
                quitting = true;
                lb_notify(LB_NOTIFY_STOPPING, "shutting down gracefully");
                lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                             "gracefully shutting down");
                lb_signal_children(SIGQUIT, NULL, NULL);
                lb_cycle_close_listening(cycle, LB_CYCLE_NO_SLOT);
            }
            continue;
        }

        if (lb_reconfigure) {
            lb_reconfigure = 0;
            lb_master_reload(&cycle, false);
        }

        if (lb_sigio) {
            lb_sigio = 0;
            if (lb_master_persist(cycle)) {
                lb_master_apply(&cycle);
            }
        }

        if (lb_apply) {
            lb_apply = 0;
            lb_master_apply(&cycle);
        }

        if (lb_reopen) {
            lb_reopen = 0;
            lb_master_reopen(cycle);
        }

        /* after a reload: with the new cycle's period */
        lb_master_tickets(cycle);
    }
}


static void
lb_start_workers(lb_cycle_t *cycle)
{
    uint32_t  slot;

    /* the workers forked from here on journal their binding changes
     * for the sync process (lb_zone_journal.h) */
    if (cycle->conf->peers != NULL && lb_zone_journal == NULL) {
        (void) lb_zone_journal_create(cycle->zone);
    }

    /* from now on a change is applied once these slots run it */
    lb_zone_gen_expect(cycle->zone, cycle->conf->worker_processes);

    for (slot = 0; slot < cycle->conf->worker_processes; slot++) {
        (void) lb_spawn_process(cycle, LB_PROC_WORKER, slot);
    }
}


/* The health checker of cycle (always one, also without health monitors:
 * it marks the targets of unchecked groups healthy, so that a check
 * added later does not pull them out of rotation). */
static void
lb_start_health(lb_cycle_t *cycle)
{
    (void) lb_spawn_process(cycle, LB_PROC_HEALTH, 0);
}


/* The admin process of cycle, when the configuration has an admin block.
 * It binds admin.listen itself, so a reload may change the address. */
static void
lb_start_admin(lb_cycle_t *cycle)
{
    if (cycle->conf->admin != NULL) {
        (void) lb_spawn_process(cycle, LB_PROC_ADMIN, 0);
    }
}


/* The sync process of cycle, when the configuration has a peers block
 * (lb_peers.h). A reload replaces it, as the admin process. */
static void
lb_start_sync(lb_cycle_t *cycle)
{
    if (cycle->conf->peers != NULL && lb_zone_journal != NULL) {
        (void) lb_spawn_process(cycle, LB_PROC_SYNC, 0);
    }
}


static bool
lb_is_old_sync(lb_process_t *p, void *arg)
{
    lb_cycle_t  *cycle;

    cycle = arg;

    return p->type == LB_PROC_SYNC && p->generation != cycle->generation;
}


/* the health checker of an older generation */
static bool
lb_is_old_checker(lb_process_t *p, void *arg)
{
    lb_cycle_t  *cycle = arg;

    return p->type == LB_PROC_HEALTH && p->generation != cycle->generation;
}


/* the admin process of an older generation */
static bool
lb_is_old_admin(lb_process_t *p, void *arg)
{
    lb_cycle_t  *cycle = arg;

    return p->type == LB_PROC_ADMIN && p->generation != cycle->generation;
}


/* SIGHUP (api false), or a change of the admin process that needs new
 * sockets or settings (api true): build the new cycle beside the old
 * one. On any error the old one keeps serving. */
static void
lb_master_reload(lb_cycle_t **cyclep, bool api)
{
    uint64_t     request;
    lb_cycle_t  *old, *cycle;

    old = *cyclep;

    /* the file read below holds every change asked for until now */
    request = lb_zone_gen_requested(old->zone);

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "reconfiguring from \"%s\"",
                 old->conf_file);

    if (!api) {
        lb_notify(LB_NOTIFY_RELOADING, "reloading \"%s\"", old->conf_file);
    }

    cycle = lb_init_cycle(old, old->prefix, old->conf_file, LB_CYCLE_RUN,
                          lb_modules);
    if (cycle == NULL) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "reload failed: still running configuration "
                     "generation %llu", (unsigned long long) old->generation);
        lb_zone_gen_done(old->zone, request, 0, true,
                         "the configuration file was refused (the error log "
                         "says why); the previous configuration runs");
        lb_notify(LB_NOTIFY_READY, "reload failed (the error log says why): "
                  "still running configuration generation %llu",
                  (unsigned long long) old->generation);
        return;
    }

    lb_master_switch(cyclep, cycle, request, api);

    /* the new generation's workers run, or the old one still does */
    lb_notify(LB_NOTIFY_READY, "%u workers, configuration generation %llu",
              (*cyclep)->conf->worker_processes,
              (unsigned long long) (*cyclep)->generation);
}


/* Start the workers of cycle (parsed, its sockets taken over from the
 * old one) on the same sockets first, then tell the old ones to finish
 * what they have and exit. */
static void
lb_master_switch(lb_cycle_t **cyclep, lb_cycle_t *cycle, uint64_t request,
    bool api)
{
    int          i;
    lb_cycle_t  *old;

    old = *cyclep;

    if (lb_cycle_open_access_log(cycle) != LB_OK
        || lb_child_user_check(cycle->conf) != LB_OK)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "reload failed: still running generation %llu",
                     (unsigned long long) old->generation);
        lb_release_cycle_failed(cycle, old);
        lb_zone_gen_done(old->zone, request, 0, true,
                         "the access log or the user cannot be set up (the "
                         "error log says why); the previous configuration "
                         "runs");
        return;
    }

    if (lb_zone_sync(cycle->zone, cycle->conf) != LB_OK) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "reload failed: the shared zone cannot hold the new "
                     "targets; still running generation %llu",
                     (unsigned long long) old->generation);
        /* the new cycle never ran: give its sockets back */
        lb_release_cycle_failed(cycle, old);
        lb_zone_gen_done(old->zone, request, 0, true,
                         "the shared zone cannot hold the new targets");
        return;
    }

    cycle->generation = lb_zone_generation(cycle->zone);

    /* sticky tables of groups that are gone are freed by the zone reap */
    (void) lb_sticky_retire_unused(cycle->zone, cycle->conf);

    if (lb_cycle_open_log(cycle) != LB_OK) {
        /* keep logging where we did */
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "keeping the old error log \"%s\"", lb_log.path);
    }

    if (strcmp(cycle->pid_file, old->pid_file) != 0) {
        if (lb_create_pidfile(cycle->pid_file) == LB_OK) {
            lb_delete_pidfile(old->pid_file);
        }
    }

    /* the old cycle's sockets that this one did not take over are closed
     * before the fork: a new worker must not inherit a socket it does not
     * know about, or SO_REUSEPORT would keep queueing connections on it
     * that nobody accepts. Old workers keep their own copies. */
    lb_release_cycle(old, cycle);
    *cyclep = cycle;
    lb_cycle = cycle;

    lb_start_workers(cycle);
    lb_signal_children(SIGQUIT, lb_is_old_generation, cycle);

    /* the checker has no connections to drain: the old one goes at once,
     * so that two writers of the zone's health never run for long */
    lb_signal_children(SIGTERM, lb_is_old_checker, cycle);
    lb_start_health(cycle);

    /* the admin process answers from the configuration it was started
     * with: a reload replaces it; after a change it made itself it has
     * that configuration already, and keeps its clients */
    if (!api) {
        lb_signal_children(SIGTERM, lb_is_old_admin, cycle);
        lb_start_admin(cycle);

        /* the peers block may have changed (the API does not change
         * it): a new sync process reads it */
        lb_signal_children(SIGTERM, lb_is_old_sync, cycle);
        lb_start_sync(cycle);

    } else {
        /* the sync process goes on (the API changes no peers block), as
         * one of this generation: respawned with it if it dies */
        for (i = 0; i < lb_last_process; i++) {
            if (lb_processes[i].pid != -1
                && lb_processes[i].type == LB_PROC_SYNC
                && !lb_processes[i].exiting)
            {
                lb_processes[i].generation = cycle->generation;
            }
        }
    }

    lb_zone_gen_done(cycle->zone, request, cycle->generation, false, NULL);
    lb_zone_gen_count(cycle->zone, false);

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                 "configuration generation %llu is running",
                 (unsigned long long) cycle->generation);
}


/* SIGUSR2 from the admin process: the file holds changes made through
 * the API. When only target groups changed (and which group a listener
 * serves: the fields the schema marks live), the running workers take
 * the new generation up themselves (lb_worker_apply()), keeping their
 * connections and their pids; anything else (a listener's socket or
 * settings, a balancer's address, global settings) takes a graceful
 * reload. */
static void
lb_master_apply(lb_cycle_t **cyclep)
{
    uint64_t     request;
    lb_cycle_t  *old, *cycle;

    old = *cyclep;

    request = lb_zone_gen_requested(old->zone);

    cycle = lb_init_cycle(old, old->prefix, old->conf_file, LB_CYCLE_RUN,
                          lb_modules);
    if (cycle == NULL) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "applying the changes of the admin API failed: still "
                     "running configuration generation %llu",
                     (unsigned long long) old->generation);
        lb_zone_gen_done(old->zone, request, 0, true,
                         "the configuration file was refused (the error log "
                         "says why); the previous configuration runs");
        return;
    }

    if (lb_cycle_open_access_log(cycle) != LB_OK) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "applying the changes of the admin API failed: still "
                     "running configuration generation %llu",
                     (unsigned long long) old->generation);
        lb_release_cycle_failed(cycle, old);
        lb_zone_gen_done(old->zone, request, 0, true,
                         "the access log cannot be opened (the error log "
                         "says why); the previous configuration runs");
        return;
    }

    if (!lb_conf_live_change(old->conf, cycle->conf)
        || lb_master_ping_needs_root(old->conf, cycle->conf))
    {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                     "the changes of the admin API need new sockets or "
                     "settings: reloading");
        lb_master_switch(cyclep, cycle, request, true);
        return;
    }

    if (lb_zone_sync(cycle->zone, cycle->conf) != LB_OK) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "applying the changes of the admin API failed: the "
                     "shared zone cannot hold the new targets");
        lb_release_cycle_failed(cycle, old);
        lb_zone_gen_done(old->zone, request, 0, true,
                         "the shared zone cannot hold the new targets");
        return;
    }

    cycle->generation = lb_zone_generation(cycle->zone);

    if (lb_zone_gen_publish(cycle->zone, cycle->generation,
                            cycle->conf_text, cycle->conf_len)
        != LB_OK)
    {
        /* the workers cannot read it: new ones can */
        lb_master_switch(cyclep, cycle, request, true);
        return;
    }

    (void) lb_sticky_retire_unused(cycle->zone, cycle->conf);

    /* the same file (error_log is not live): the path moves to the new
     * cycle's memory before the old one goes */
    (void) lb_cycle_open_log(cycle);

    /* every socket was taken over: nothing is closed */
    lb_release_cycle(old, cycle);
    *cyclep = cycle;
    lb_cycle = cycle;

    lb_zone_gen_done(cycle->zone, request, cycle->generation, false, NULL);
    lb_zone_gen_count(cycle->zone, true);

    /* children spawned from now on start with it; the workers and the
     * checker running are told and take it up themselves; every serving
     * child counts as one of this generation (respawned with it if it
     * dies, told to go by the next reload) */
    lb_adopt_generation(cycle);
    lb_signal_children(SIGUSR2, lb_is_serving, NULL);

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                 "configuration generation %llu (changes of the admin API) "
                 "goes to the running workers",
                 (unsigned long long) cycle->generation);
    lb_notify(LB_NOTIFY_STATUS, "%u workers, configuration generation %llu",
              cycle->conf->worker_processes,
              (unsigned long long) cycle->generation);
}


/* SIGIO: the admin process (an unprivileged user) hands over the text
 * of a change it validated (LB_CHANNEL_PERSIST, a memfd): the master
 * writes the configuration file (lb_conf_persist_file(): atomic, .bak),
 * takes the request number the change is followed by and answers
 * (LB_CHANNEL_PERSISTED); lb_master_apply() then reads the file. true
 * when something was written. (An unprivileged process cannot signal
 * root's master: the message itself wakes it, the master's end of the
 * admin's channel being O_ASYNC.) */
static bool
lb_master_persist(lb_cycle_t *cycle)
{
    int               i, fds[LB_CHANNEL_MAX_FDS];
    bool              written;
    size_t            len;
    unsigned          n, k;
    lb_int_t          rc;
    lb_process_t     *p;
    lb_channel_msg_t  m;

    written = false;

    for (i = 0; i < lb_last_process; i++) {
        p = &lb_processes[i];

        if (p->pid == -1 || p->type != LB_PROC_ADMIN || p->channel == -1) {
            continue;
        }

        for ( ;; ) {
            rc = lb_channel_recv(p->channel, &m, fds, &n, 0);
            if (rc != LB_OK) {
                if (rc == LB_ERROR) {
                    lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                                 "reading the channel of admin %d failed",
                                 (int) p->pid);
                }
                break;
            }

            if (m.command != LB_CHANNEL_PERSIST || n != 1) {
                lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                             "unexpected message %u from admin %d",
                             m.command, (int) p->pid);
                for (k = 0; k < n; k++) {
                    (void) close(fds[k]);
                }
                continue;
            }

            len = (size_t) m.value;

            memset(&m, 0, sizeof(m));
            m.command = LB_CHANNEL_PERSISTED;

            if (lb_master_persist_one(cycle, fds[0], len, m.text,
                                      sizeof(m.text))
                == LB_OK)
            {
                written = true;
                m.value = lb_zone_gen_request(cycle->zone);
            }

            (void) close(fds[0]);

            if (lb_channel_send(p->channel, &m, NULL, 0) != LB_OK) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "answering admin %d failed", (int) p->pid);
            }
        }
    }

    return written;
}


/* The text in the memfd fd written as the configuration file. LB_OK
 * (why: "" or a warning) or LB_ERROR (why says why). */
static lb_int_t
lb_master_persist_one(lb_cycle_t *cycle, int fd, size_t len, char *why,
    size_t size)
{
    char         *buf;
    size_t        done;
    ssize_t       n;
    lb_int_t      rc;
    struct stat   st;

    if (fstat(fd, &st) == -1) {
        snprintf(why, size, "fstat() of the admin's text failed: %s",
                 strerror(errno));
        return LB_ERROR;
    }

    if ((size_t) st.st_size != len) {
        snprintf(why, size, "the admin's text has %lld bytes, not %zu",
                 (long long) st.st_size, len);
        return LB_ERROR;
    }

    buf = malloc(len + 1);
    if (buf == NULL) {
        snprintf(why, size, "out of memory for %zu bytes", len);
        return LB_ERROR;
    }

    for (done = 0; done < len; done += (size_t) n) {
        n = pread(fd, buf + done, len - done, (off_t) done);
        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0) {
            snprintf(why, size, "reading the admin's text failed: %s",
                     n == -1 ? strerror(errno) : "it is shorter than said");
            free(buf);
            return LB_ERROR;
        }
    }

    rc = lb_conf_persist_file(buf, len, cycle->conf_file, why, size);

    free(buf);

    if (rc != LB_OK) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0, "writing the change of the "
                     "admin API failed: %s", why);
    } else if (why[0] != '\0') {
        lb_log_error(LB_LOG_WARN, &lb_log, 0, "%s", why);
    }

    return rc;
}


/* A PING check of an address family the old configuration had none of
 * needs an ICMP socket, which an unprivileged checker cannot open (a raw
 * one): a new checker opens it before it drops its privileges. */
static bool
lb_master_ping_needs_root(const lb_conf_t *old, const lb_conf_t *conf)
{
    bool         inet, inet6, old_inet, old_inet6;
    uid_t        uid;
    gid_t        gid;
    const char  *name;

    lb_health_ping_families(conf, &inet, &inet6);
    lb_health_ping_families(old, &old_inet, &old_inet6);

    if ((!inet || old_inet) && (!inet6 || old_inet6)) {
        return false;
    }

    /* a checker that stays root opens it itself */
    return lb_child_user(conf, &name, &uid, &gid) == LB_OK && name != NULL
           && uid != 0;
}


/* Every child not told to exit runs cycle's generation from now on (the
 * workers and the checker once they took it up; the admin process made
 * it): respawned with it if it dies, told to go by the next reload. What
 * it may still use of older generations is kept by p->spawned. */
static void
lb_adopt_generation(lb_cycle_t *cycle)
{
    int            i;
    lb_process_t  *p;

    for (i = 0; i < lb_last_process; i++) {
        p = &lb_processes[i];

        if (p->pid != -1 && !p->exited && !p->exiting) {
            p->generation = cycle->generation;
        }
    }
}


/* a worker or the checker not told to exit (the admin process made the
 * change: it is not told) */
static bool
lb_is_serving(lb_process_t *p, void *arg)
{
    return p->type != LB_PROC_ADMIN && !p->exiting;
}


static bool
lb_is_old_generation(lb_process_t *p, void *arg)
{
    lb_cycle_t  *cycle = arg;

    return p->type == LB_PROC_WORKER && p->generation != cycle->generation;
}


static void
lb_reap_children(lb_cycle_t *cycle, bool respawn)
{
    int            i, status;
    pid_t          pid;
    lb_process_t  *p;

    for ( ;; ) {
        pid = waitpid(-1, &status, WNOHANG);

        if (pid == 0) {
            return;
        }

        if (pid == -1) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != ECHILD) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "waitpid() failed");
            }
            return;
        }

        for (i = 0; i < lb_last_process; i++) {
            if (lb_processes[i].pid == pid) {
                break;
            }
        }

        if (i == lb_last_process) {
            continue;
        }

        p = &lb_processes[i];
        p->exited = 1;

        if (WIFSIGNALED(status)) {
            lb_log_error(p->exiting ? LB_LOG_NOTICE : LB_LOG_ALERT, &lb_log,
                         0, "%s %d (slot %u) exited on signal %d%s",
                         lb_proc_type_names[p->type], (int) pid, p->slot,
                         WTERMSIG(status),
                         WCOREDUMP(status) ? " (core dumped)" : "");
        } else {
            lb_log_error(p->exiting ? LB_LOG_NOTICE : LB_LOG_ALERT, &lb_log,
                         0, "%s %d (slot %u) exited with code %d",
                         lb_proc_type_names[p->type], (int) pid, p->slot,
                         WEXITSTATUS(status));
        }

        p->pid = -1;
        lb_close_channel(p);

        /* its target connections are gone with it: LEAST_CONNECTIONS
         * must not count them forever (before a replacement starts) */
        (void) lb_zone_proc_gone(cycle->zone, pid);

        if (!respawn || p->exiting || p->generation != cycle->generation) {
            continue;
        }

        if (WIFEXITED(status) && WEXITSTATUS(status) == LB_EXIT_FATAL) {
            lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                         "%s (slot %u) failed to start: not respawning",
                         lb_proc_type_names[p->type], p->slot);
            continue;
        }

        (void) lb_spawn_process(cycle, p->type, p->slot);
    }
}


/* Records of targets a reload removed stay until no worker of an older
 * generation is alive: those workers still count connections in them. */
static void
lb_zone_collect(lb_cycle_t *cycle)
{
    int       i;
    uint32_t  n;

    for (i = 0; i < lb_last_process; i++) {
        if (lb_processes[i].pid != -1 && !lb_processes[i].exited
            && lb_processes[i].spawned < cycle->generation)
        {
            return;
        }
    }

    n = lb_zone_reap(cycle->zone, cycle->generation);
    if (n > 0) {
        lb_log_error(LB_LOG_INFO, &lb_log, 0,
                     "freed %u shared records of removed targets", n);
    }
}


/* Rotate the session ticket keys of the zone once their period
 * (tls_ticket_key_rotation) is up, and have SIGALRM wake the loop when
 * the next rotation is due. Called at every wake-up of the loop while
 * serving (any signal): the alarm is set again each time, so a reload
 * that changes the period takes effect at once; the schedule is the
 * zone's, so a reload does not restart it. */
static void
lb_master_tickets(lb_cycle_t *cycle)
{
    lb_msec_t  period, made, due;

    lb_sigalrm = 0;

    period = cycle->conf->tls_ticket_key_rotation;
    made = lb_zone_ticket_made(cycle->zone);
    due = made + period;

    if (lb_current_msec >= due) {
        if (lb_zone_ticket_rotate(cycle->zone, lb_current_msec) == LB_OK) {
            lb_log_error(LB_LOG_INFO, &lb_log, 0, "session ticket keys "
                         "rotated (rotation %llu)", (unsigned long long)
                         lb_zone_ticket_rotations(cycle->zone));
        }

        /* a failure (logged) is tried again at the next wake-up, a
         * period later at the latest */
        due = lb_current_msec + period;
    }

    lb_set_alarm(due - lb_current_msec);
}


static void
lb_master_exit(lb_cycle_t *cycle)
{
    lb_delete_pidfile(cycle->pid_file);
    lb_zone_destroy(cycle->zone);
    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "exit");
    exit(0);
}


/* SIGUSR1: rotation by rename and reopen. The children run as an
 * unprivileged user and may not be able to open the files (a directory
 * only root enters, a file root made): the master reopens them and hands
 * the new descriptors down (lb_send_logs()) before it tells them. */
static void
lb_master_reopen(lb_cycle_t *cycle)
{
    if (lb_log_reopen(&lb_log) != LB_OK) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "reopening \"%s\" failed", lb_log.path);
    }

    if (cycle->access_log.path != NULL
        && lb_log_open(&cycle->access_log, cycle->access_log.path) != LB_OK)
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "reopening the access log \"%s\" failed: the workers "
                     "keep writing to the old one", cycle->access_log.path);
    }

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "reopened logs");

    lb_send_logs(cycle);
    lb_signal_children(SIGUSR1, NULL, NULL);
}


static void
lb_set_alarm(lb_msec_t ms)
{
    struct itimerval  itv;

    memset(&itv, 0, sizeof(itv));
    itv.it_value.tv_sec = ms / 1000;
    itv.it_value.tv_usec = (ms % 1000) * 1000;

    if (setitimer(ITIMER_REAL, &itv, NULL) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno, "setitimer() failed");
    }
}


lb_int_t
lb_cycle_open_log(lb_cycle_t *cycle)
{
    lb_log.level = cycle->conf->log_level;

    if (lb_log.path != NULL && strcmp(lb_log.path, cycle->error_log) == 0) {
        /* same file: keep the fd; the path string moves to the new pool */
        lb_log.path = cycle->error_log;
        return LB_OK;
    }

    if (lb_log_open(&lb_log, cycle->error_log) != LB_OK) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "open(\"%s\") failed",
                     cycle->error_log);
        return LB_ERROR;
    }

    return LB_OK;
}


lb_int_t
lb_cycle_open_access_log(lb_cycle_t *cycle)
{
    if (cycle->access_log.path == NULL || cycle->access_log.fd != -1) {
        return LB_OK;
    }

    /* the workers write it; they may not be able to open it themselves */
    if (lb_log_open(&cycle->access_log, cycle->access_log.path) != LB_OK) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "open() of the access log \"%s\" failed",
                     cycle->access_log.path);
        return LB_ERROR;
    }

    return LB_OK;
}
