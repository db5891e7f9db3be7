/* weir: the master's table of children and spawning. One slot per child:
 * workers (one per worker slot and generation), the health checker and
 * the admin process. What a child runs is lb_child.h's. */
#ifndef LB_SPAWN_H
#define LB_SPAWN_H

#include <sys/types.h>

#include "lb_core_types.h"
#include "lb_process.h"

/* exit status of a child that must not be respawned (broken setup) */
#define LB_EXIT_FATAL  2

typedef struct {
    pid_t              pid;          /* -1: free slot */
    lb_proc_type_e     type;
    uint32_t           slot;         /* worker slot */
    uint64_t           generation;   /* cycle generation it runs (a
                                        change taken up live moves it) */
    uint64_t           spawned;      /* the generation it started with:
                                        it may use shared records retired
                                        since, until it exits */
    lb_msec_t          started;
    int                channel;      /* the master's end of the channel
                                        (lb_channel.h); -1: none */
    unsigned           exiting:1;    /* told to quit or terminate */
    unsigned           exited:1;
} lb_process_t;

#define LB_MAX_PROCESSES  1024

extern lb_process_t  lb_processes[LB_MAX_PROCESSES];
extern int           lb_last_process;     /* one past the last used slot */

/* Fork a child of kind `type` (for a worker: of worker slot `slot`) that
 * runs lb_child_run() for cycle, and enter it in the table with the
 * cycle's generation. Returns its pid, or -1 (logged) when the table is
 * full or fork() failed. */
pid_t lb_spawn_process(lb_cycle_t *cycle, lb_proc_type_e type,
    uint32_t slot);

/* Send sig to every live child for which pred(process, arg) is true
 * (NULL: all); marks them exiting for QUIT/TERM/KILL. */
void lb_signal_children(int sig, bool (*pred)(lb_process_t *p, void *arg),
    void *arg);

/* Send every live child the master's error log and, to workers, the
 * cycle's access log (reopened by the master on SIGUSR1) over its
 * channel, before the SIGUSR1 that makes them take them. */
void lb_send_logs(lb_cycle_t *cycle);

/* The master's end of the channel of the child that exited: closed. */
void lb_close_channel(lb_process_t *p);

/* Number of children still alive. */
int lb_live_children(void);

#endif /* LB_SPAWN_H */
