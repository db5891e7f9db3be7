/* weir: the table of process kinds and the one child skeleton
 * (lb_child.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lb_admin.h"
#include "lb_channel.h"
#include "lb_child.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_health.h"
#include "lb_log.h"
#include "lb_module.h"
#include "lb_peers.h"
#include "lb_process.h"
#include "lb_setproctitle.h"
#include "lb_spawn.h"
#include "lb_time.h"
#include "lb_worker.h"
#include "lb_zone_gen.h"

static void lb_child_init(lb_cycle_t *cycle, const lb_child_kind_t *k,
    uint32_t slot);
static lb_int_t lb_child_drop_privileges(const lb_conf_t *conf);
static void lb_child_parent_death(const lb_child_kind_t *k);
static void lb_child_reopen(lb_cycle_t *cycle);

/* The user children run as when the master is root and the file names
 * none: ./configure --user=NAME, else "weir"; when that user does not
 * exist, nobody:nogroup (as nginx). */
#ifndef LB_DEFAULT_USER
#define LB_DEFAULT_USER  "weir"
#endif
#define LB_FALLBACK_USER   "nobody"
#define LB_FALLBACK_GROUP  "nogroup"

/* Indexed by lb_proc_type_e. */
static const lb_child_kind_t  lb_child_kinds[] = {

    [LB_PROC_WORKER] = {
        .kind = LB_PROC_WORKER,
        .title = "weir: worker process",
        .name = "worker",
        .listening = 1,
        /* its init reads the error pages the file names: as the master
         * can (a directory only root enters) */
        .as_root = 1,
        .tick = LB_WORKER_TICK,
        .init = lb_worker_init,
        .loop = lb_worker_loop,
        .quit = lb_worker_quit,
    },

    [LB_PROC_HEALTH] = {
        .kind = LB_PROC_HEALTH,
        .title = "weir: health checker",
        .name = "health checker",
        /* the ICMP sockets need root (a raw socket) */
        .as_root = 1,
        /* a master killed outright must not leave the checker behind */
        .parent_death = SIGTERM,
        .tick = LB_HEALTH_TICK,
        .init = lb_health_init,
        .loop = lb_health_loop,
        .quit = lb_health_quit,
    },

    [LB_PROC_ADMIN] = {
        .kind = LB_PROC_ADMIN,
        .title = "weir: admin process",
        .name = "admin",
        /* the token file may be root's alone, the port a privileged one */
        .as_root = 1,
        .parent_death = SIGTERM,
        .tick = LB_ADMIN_TICK,
        .init = lb_admin_init,
        .loop = lb_admin_loop,
        .quit = lb_admin_quit,
    },

    [LB_PROC_SYNC] = {
        .kind = LB_PROC_SYNC,
        .title = "weir: sync process",
        .name = "sync",
        .parent_death = SIGTERM,
        .tick = LB_PEERS_TICK,
        .init = lb_peers_init,
        .loop = lb_peers_loop,
        .quit = lb_peers_quit,
    },
};


void
lb_child_run(lb_cycle_t *cycle, lb_proc_type_e type, uint32_t slot)
{
    bool                    quitting;
    lb_msec_t               wait;
    const lb_child_kind_t  *k;

    /* a kind without its row cannot run */
    if ((size_t) type >= lb_nelems(lb_child_kinds)
        || lb_child_kinds[type].kind != type
        || lb_child_kinds[type].init == NULL)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "no %s in this build",
                     lb_proc_type_names[type]);
        exit(LB_EXIT_FATAL);
    }

    k = &lb_child_kinds[type];

    lb_child_init(cycle, k, slot);

    quitting = false;

    for ( ;; ) {
        if (lb_terminate) {
            if (k->quit != NULL) {
                (void) k->quit(cycle, true);
            }
            exit(0);
        }

        if (lb_quit && !quitting) {
            quitting = true;
            if (k->quit == NULL || k->quit(cycle, false) == LB_DONE) {
                exit(0);
            }
        }

        wait = k->tick;

        if (k->loop != NULL && k->loop(cycle, &wait) == LB_DONE) {
            exit(0);
        }

        if (lb_reopen) {
            lb_reopen = 0;
            lb_child_reopen(cycle);
        }

        lb_event_process(wait);
    }
}


static void
lb_child_init(lb_cycle_t *cycle, const lb_child_kind_t *k, uint32_t slot)
{
    static char  name[48];
    sigset_t     set;

    lb_cycle = cycle;
    lb_worker_slot = slot;

    if (k->listening) {
        snprintf(name, sizeof(name), "%s %u", k->name, slot);
        lb_log_process = name;
    } else {
        lb_log_process = k->name;
    }

    /* flags copied from the master at fork mean nothing here */
    lb_reap = lb_reconfigure = lb_quit = lb_terminate = 0;
    lb_reopen = lb_sigalrm = lb_apply = 0;

    lb_setproctitle(k->title);

    lb_child_parent_death(k);

    /* a socket a later reload removes must not be held open (and fed
     * connections nobody accepts) by a process that does not serve it */
    lb_cycle_close_listening(cycle, k->listening ? slot : LB_CYCLE_NO_SLOT);

    if (!k->as_root) {
        if (lb_child_drop_privileges(cycle->conf) != LB_OK) {
            exit(LB_EXIT_FATAL);
        }
        lb_child_parent_death(k);
    }

    lb_time_update();

    if (lb_event_init() != LB_OK || k->init(cycle, slot) != LB_OK) {
        exit(LB_EXIT_FATAL);
    }

    if (k->listening && lb_event_init_listening(cycle, slot) != LB_OK) {
        exit(LB_EXIT_FATAL);
    }

    if (k->as_root) {
        if (lb_child_drop_privileges(cycle->conf) != LB_OK) {
            exit(LB_EXIT_FATAL);
        }
        lb_child_parent_death(k);
    }

    /* a change of the admin API is applied once every worker slot and
     * the checker say they run it */
    if (cycle->zone != NULL) {
        lb_zone_gen_running(cycle->zone, k->kind, slot, cycle->generation);
    }

    sigemptyset(&set);
    if (sigprocmask(SIG_SETMASK, &set, NULL) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno, "sigprocmask() failed");
    }

    if (k->parent_death != 0 && getppid() == 1) {
        /* the master died before PR_SET_PDEATHSIG was in place */
        exit(0);
    }
}


/* The signal this kind gets when the master dies. Set again after the
 * switch to the children's user: the kernel clears it when the
 * credentials change (a checker that ran as the user outlived a master
 * killed outright). */
static void
lb_child_parent_death(const lb_child_kind_t *k)
{
    if (k->parent_death != 0
        && prctl(PR_SET_PDEATHSIG, k->parent_death) == -1)
    {
        lb_log_error(LB_LOG_WARN, &lb_log, errno,
                     "prctl(PR_SET_PDEATHSIG) failed");
    }
}


/* SIGUSR1: the master reopened the logs and sent them down the channel
 * first (lb_send_logs()): take every set that came, in order. The old
 * access log is closed only after the modules flushed what they hold. */
static void
lb_child_reopen(lb_cycle_t *cycle)
{
    int               fds[LB_CHANNEL_MAX_FDS], old;
    unsigned          n, i;
    lb_int_t          rc;
    lb_channel_msg_t  m;

    for ( ;; ) {
        rc = lb_channel_recv(lb_channel, &m, fds, &n, 0);

        if (rc != LB_OK) {
            if (rc == LB_ERROR) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "reading the channel failed");
            }
            return;
        }

        i = 0;

        if (m.command != LB_CHANNEL_LOGS) {
            lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                         "unexpected message %u on the channel",
                         m.command);
            goto close;
        }

        if ((m.flags & LB_CHANNEL_ERROR_LOG) && i < n) {
            old = lb_log.fd;
            lb_log.fd = fds[i++];
            if (old > 2) {
                (void) close(old);
            }
        }

        if ((m.flags & LB_CHANNEL_ACCESS_LOG) && i < n) {
            old = cycle->access_log.fd;
            cycle->access_log.fd = fds[i++];
            lb_modules_reopen();
            if (old > 2) {
                (void) close(old);
            }
        }

    close:

        for ( ; i < n; i++) {
            (void) close(fds[i]);
        }
    }
}


/* The user and group the children run as: conf->user, else (when the
 * master is root) LB_DEFAULT_USER, else nobody:nogroup. *name is NULL
 * when they stay who they are (not root). LB_OK, or LB_ERROR (logged)
 * when a user the file names does not exist. */
lb_int_t
lb_child_user(const lb_conf_t *conf, const char **name, uid_t *uid,
    gid_t *gid)
{
    struct group   *gr;
    struct passwd  *pw;

    *name = NULL;

    if (geteuid() != 0) {
        return LB_OK;
    }

    if (conf->user != NULL) {
        errno = 0;
        pw = getpwnam(conf->user);
        if (pw == NULL) {
            lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                         "user \"%s\" (\"user\" in the configuration) "
                         "does not exist", conf->user);
            return LB_ERROR;
        }
        *name = conf->user;
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
        return LB_OK;
    }

    pw = getpwnam(LB_DEFAULT_USER);
    if (pw != NULL) {
        *name = LB_DEFAULT_USER;
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
        return LB_OK;
    }

    pw = getpwnam(LB_FALLBACK_USER);
    if (pw == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "neither user \"%s\" nor \"%s\" exists: set "
                     "\"user\" in the configuration", LB_DEFAULT_USER,
                     LB_FALLBACK_USER);
        return LB_ERROR;
    }

    *name = LB_FALLBACK_USER;
    *uid = pw->pw_uid;
    gr = getgrnam(LB_FALLBACK_GROUP);
    *gid = (gr != NULL) ? gr->gr_gid : pw->pw_gid;

    return LB_OK;
}


/* Switch to the user of lb_child_user() (when running as root). LB_OK,
 * or LB_ERROR (logged) when the user is unknown or the switch failed. */
static lb_int_t
lb_child_drop_privileges(const lb_conf_t *conf)
{
    uid_t        uid;
    gid_t        gid;
    const char  *name;

    if (conf->user != NULL && geteuid() != 0) {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                     "\"user\" needs the master to run as root: ignored");
        return LB_OK;
    }

    if (lb_child_user(conf, &name, &uid, &gid) != LB_OK) {
        return LB_ERROR;
    }

    if (name == NULL || uid == 0) {
        /* not root, or `user: root` asked for (the master said so) */
        return LB_OK;
    }

    if (setgid(gid) == -1
        || initgroups(name, gid) == -1
        || setuid(uid) == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "dropping privileges to \"%s\" failed", name);
        return LB_ERROR;
    }

    /* no way back */
    if (setuid(0) != -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "dropping privileges to \"%s\" did not stick", name);
        return LB_ERROR;
    }

    return LB_OK;
}


lb_int_t
lb_child_user_check(const lb_conf_t *conf)
{
    uid_t        uid;
    gid_t        gid;
    const char  *name;

    if (lb_child_user(conf, &name, &uid, &gid) != LB_OK) {
        return LB_ERROR;
    }

    if (name == NULL) {
        return LB_OK;
    }

    if (uid == 0) {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                     "the worker, checker and admin processes run as root "
                     "(\"user: %s\")", name);
    } else {
        lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                     "the worker, checker and admin processes run as "
                     "\"%s\" (uid %lu, gid %lu)%s", name,
                     (unsigned long) uid, (unsigned long) gid,
                     conf->user == NULL ? ": no \"user\" in the "
                     "configuration" : "");
    }

    return LB_OK;
}
