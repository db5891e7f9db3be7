/* weir: the master's table of children, spawning and signalling them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_channel.h"
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
    int            s, i, pair[2];
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

    /* the child reopens its logs, and the admin process has the
     * configuration file written, through the master (lb_channel.h) */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "socketpair() failed while spawning \"%s\"",
                     lb_proc_type_names[type]);
        return -1;
    }


    /* the admin's messages wake the master (SIGIO): an unprivileged
     * process cannot signal it */
    if (type == LB_PROC_ADMIN
        && (fcntl(pair[0], F_SETOWN, getpid()) == -1
            || fcntl(pair[0], F_SETFL, O_ASYNC | O_NONBLOCK) == -1))
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "fcntl(O_ASYNC) of the admin's channel failed: changes "
                     "of the admin API cannot be written");
    }

    pid = fork();

    switch (pid) {
    case -1:
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "fork() failed while spawning \"%s\"",
                     lb_proc_type_names[type]);
        (void) close(pair[0]);
        (void) close(pair[1]);
        return -1;

    case 0:
        lb_is_master = false;
        lb_process_type = type;

        /* the other children's channels are the master's business */
        for (i = 0; i < lb_last_process; i++) {
            if (lb_processes[i].pid != -1 && lb_processes[i].channel != -1)
            {
                (void) close(lb_processes[i].channel);
            }
        }
        (void) close(pair[0]);
        lb_channel = pair[1];

        lb_child_run(cycle, type, slot);
    }

    (void) close(pair[1]);

    p = &lb_processes[s];
    p->pid = pid;
    p->type = type;
    p->slot = slot;
    p->generation = cycle->generation;
    p->spawned = cycle->generation;
    p->started = lb_current_msec;
    p->channel = pair[0];
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


void
lb_send_logs(lb_cycle_t *cycle)
{
    int               i, fds[LB_CHANNEL_MAX_FDS];
    unsigned          n;
    lb_int_t          rc;
    lb_process_t     *p;
    lb_channel_msg_t  m;

    for (i = 0; i < lb_last_process; i++) {
        p = &lb_processes[i];

        if (p->pid == -1 || p->exited || p->channel == -1) {
            continue;
        }

        memset(&m, 0, sizeof(m));
        m.command = LB_CHANNEL_LOGS;
        n = 0;

        if (lb_log.fd > 2) {
            m.flags |= LB_CHANNEL_ERROR_LOG;
            fds[n++] = lb_log.fd;
        }

        if (p->type == LB_PROC_WORKER && cycle->access_log.fd != -1) {
            m.flags |= LB_CHANNEL_ACCESS_LOG;
            fds[n++] = cycle->access_log.fd;
        }

        if (n == 0) {
            continue;
        }

        rc = lb_channel_send(p->channel, &m, fds, n);
        if (rc != LB_OK) {
            lb_log_error(LB_LOG_ALERT, &lb_log, rc == LB_AGAIN ? 0 : errno,
                         "passing the reopened logs to %s %d failed%s: it "
                         "keeps writing to the old files",
                         lb_proc_type_names[p->type], (int) p->pid,
                         rc == LB_AGAIN ? " (its channel is full)" : "");
        }
    }
}


void
lb_close_channel(lb_process_t *p)
{
    if (p->channel != -1) {
        (void) close(p->channel);
        p->channel = -1;
    }
}
