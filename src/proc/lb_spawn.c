/* weir: the master's table of children, spawning and signalling them. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "lb_child.h"
#include "lb_cycle.h"
#include "lb_log.h"
#include "lb_spawn.h"
#include "lb_time.h"

lb_process_t    lb_processes[LB_MAX_PROCESSES];
int             lb_last_process;


pid_t
lb_spawn_process(lb_cycle_t *cycle, lb_proc_type_e type, uint32_t slot)
{
    int            s;
    pid_t          pid;
    lb_process_t  *p;

    for (s = 0; s < lb_last_process; s++) {
        if (lb_processes[s].pid == -1) {
            break;
        }
    }

    if (s == LB_MAX_PROCESSES) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "no more than %d processes can be spawned",
                     LB_MAX_PROCESSES);
        return -1;
    }

    pid = fork();

    switch (pid) {
    case -1:
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "fork() failed while spawning \"%s\"",
                     lb_proc_type_names[type]);
        return -1;

    case 0:
        lb_is_master = false;
        lb_process_type = type;
        lb_child_run(cycle, type, slot);
    }

    p = &lb_processes[s];
    p->pid = pid;
    p->type = type;
    p->slot = slot;
    p->generation = cycle->generation;
    p->spawned = cycle->generation;
    p->started = lb_current_msec;
    p->exiting = 0;
    p->exited = 0;
    if (s == lb_last_process) {
        lb_last_process++;
    }

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "start %s %d (slot %u)",
                 lb_proc_type_names[type], (int) pid, slot);

    return pid;
}


void
lb_signal_children(int sig, bool (*pred)(lb_process_t *p, void *arg),
    void *arg)
{
    int            i;
    lb_process_t  *p;

    for (i = 0; i < lb_last_process; i++) {
        p = &lb_processes[i];

        if (p->pid == -1 || p->exited) {
            continue;
        }
        if (pred != NULL && !pred(p, arg)) {
            continue;
        }

        if (kill(p->pid, sig) == -1) {
            if (errno != ESRCH) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "kill(%d, %d) failed", (int) p->pid, sig);
            }
            continue;
        }

        if (sig == SIGQUIT || sig == SIGTERM || sig == SIGKILL) {
            p->exiting = 1;
        }
    }
}


int
lb_live_children(void)
{
    int  i, n;

    n = 0;
    for (i = 0; i < lb_last_process; i++) {
        if (lb_processes[i].pid != -1 && !lb_processes[i].exited) {
            n++;
        }
    }

    return n;
}
