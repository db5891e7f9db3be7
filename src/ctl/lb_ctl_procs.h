/* weir: `weirctl ping` looks at weir's processes (issue 18 item 1): the
 * master named in the pid file, and its children by their process
 * titles, read from /proc. This works without the admin API, and it
 * answers also when the admin process is the one that is gone, which a
 * keepalived track_script needs: keepalived must learn that the node can
 * no longer serve, whatever part of it failed. */
#ifndef LB_CTL_PROCS_H
#define LB_CTL_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lb_core_types.h"

/* the kinds of weir process, by the titles lb_child.c and
 * lb_process_cycle.c give them */
typedef enum {
    LB_CTL_PROC_OTHER = 0,
    LB_CTL_PROC_MASTER,
    LB_CTL_PROC_WORKER,
    LB_CTL_PROC_HEALTH,
    LB_CTL_PROC_ADMIN
} lb_ctl_proc_e;

/* What ping expects and what it found. */
typedef struct {
    uint32_t         workers;        /* expected: worker_processes */
    bool             admin;          /* an admin process is expected */

    pid_t            master;         /* from the pid file; 0: none */
    uint32_t         found_workers;  /* running children of the master */
    uint32_t         found_health;
    uint32_t         found_admin;
} lb_ctl_procs_t;

/* From the text of /proc/PID/stat: the state letter and the parent pid.
 * The command name in parentheses may hold spaces and ')' (the last ')'
 * ends it). LB_OK, or LB_ERROR when the text is not of that shape. */
lb_int_t lb_ctl_stat_parse(const char *text, size_t len, char *state,
    pid_t *ppid);

/* Whether a process in state (a /proc/PID/stat letter) runs: R, S, D, I
 * do; Z (zombie), X (dead), T and t (stopped) do not. */
bool lb_ctl_state_running(char state);

/* The kind a /proc/PID/cmdline names (len bytes, NULs included). */
lb_ctl_proc_e lb_ctl_title_kind(const char *cmdline, size_t len);

/* Look at the processes under proc (normally "/proc"; a unit test passes
 * a tree of its own): the master whose pid pid_file holds must run and be
 * titled as weir's master, and it must have p->workers running worker
 * processes (or more, while old ones drain after a reload), one running
 * health checker and, when p->admin, one admin process. LB_OK, or
 * LB_ERROR with what is wrong written into msg (one line, no newline;
 * every problem found, separated by "; "). p's found_* are filled. */
lb_int_t lb_ctl_procs_check(const char *proc, const char *pid_file,
    lb_ctl_procs_t *p, char *msg, size_t size);

#endif /* LB_CTL_PROCS_H */
