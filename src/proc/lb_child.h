/* weir: one skeleton for every child of the master (as relayd's
 * proc_run): a table of process kinds says what differs, lb_child_run()
 * does the rest the same way for all of them. A kind is a row:
 *
 *   kind       the lb_proc_type_e it runs (LB_PROC_WORKER, ...)
 *   title      its process title ("weir: worker process")
 *   name       its name in log lines; a kind with listening sockets adds
 *              its slot ("worker 3")
 *   listening  it serves the listening sockets of its worker slot (the
 *              others are closed); without it, all are closed
 *   as_root    its init runs before privileges are dropped (the checker's
 *              ICMP sockets, the workers' error pages, the admin's
 *              certificate and token); else after. Privileges: every
 *              child runs as lb_child_user() (the default user when the
 *              master is root and the file names none)
 *   parent_death  the signal it gets when the master dies (0: none)
 *   tick       the longest it waits in the loop before looking at its
 *              signal flags again
 *   init       set-up once the event loop exists: LB_OK, or LB_ERROR
 *              (logged): the child exits LB_EXIT_FATAL, not respawned
 *   loop       each iteration, before waiting: LB_DONE to exit 0, else
 *              LB_OK; may lower *wait (NULL: nothing to do)
 *   quit       SIGTERM (fast) or the first SIGQUIT (graceful): LB_DONE to
 *              exit 0 now, LB_AGAIN to go on until loop says LB_DONE
 *              (NULL: exit at once)
 *
 * The skeleton, in order: name and title, signal flags reset, parent death
 * signal, listening sockets closed or kept, privileges dropped (unless
 * as_root), the event loop, init, the kept listening sockets served
 * (their protocol's ls->init), privileges dropped (as_root), signals
 * unblocked; then the loop: TERM, QUIT, loop, USR1 (the error log and
 * the access log the master reopened and sent down the channel taken,
 * every module's reopen), one lb_event_process(). */
#ifndef LB_CHILD_H
#define LB_CHILD_H

#include <sys/types.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_process.h"

typedef struct {
    lb_proc_type_e   kind;
    const char      *title;
    const char      *name;
    unsigned         listening:1;
    unsigned         as_root:1;
    int              parent_death;
    lb_msec_t        tick;
    lb_int_t       (*init)(lb_cycle_t *cycle, uint32_t slot);
    lb_int_t       (*loop)(lb_cycle_t *cycle, lb_msec_t *wait);
    lb_int_t       (*quit)(lb_cycle_t *cycle, bool fast);
} lb_child_kind_t;

/* The body of every child, run by lb_spawn_process() after fork(): the
 * kind `type` of the table, for worker slot `slot` (0 for kinds without
 * listening sockets). Never returns. */
void lb_child_run(lb_cycle_t *cycle, lb_proc_type_e type, uint32_t slot)
    __attribute__((noreturn));

/* The user and group the children run as: conf->user; else, when the
 * master runs as root, LB_DEFAULT_USER (./configure --user=NAME;
 * "weir") when it exists, else nobody with group nogroup. *name: NULL
 * when the children keep the master's user (it is not root). LB_OK, or
 * LB_ERROR (logged) when the user does not exist. */
lb_int_t lb_child_user(const lb_conf_t *conf, const char **name,
    uid_t *uid, gid_t *gid);

/* In the master: lb_child_user() checked and said at notice level. */
lb_int_t lb_child_user_check(const lb_conf_t *conf);

#endif /* LB_CHILD_H */
