/* weir: the process table and spawning. The master keeps one slot per
 * child: workers (one per worker slot and generation), the health checker
 * and the admin process. */
#ifndef LB_PROCESS_H
#define LB_PROCESS_H

#include <signal.h>
#include <sys/types.h>

#include "lb_core_types.h"

#define LB_PROCESS_TYPES(X)      \
    X(WORKER,  "worker process") \
    X(HEALTH,  "health checker") \
    X(ADMIN,   "admin process")

#define LB_ENUM_PROC(n, s)  LB_PROC_##n,
typedef enum { LB_PROCESS_TYPES(LB_ENUM_PROC) } lb_proc_type_e;
#undef LB_ENUM_PROC

extern const char *const  lb_proc_type_names[];

/* The function a child runs; it never returns (it calls exit()). */
typedef void (*lb_spawn_proc_pt)(lb_cycle_t *cycle, void *data);

typedef struct {
    pid_t              pid;          /* -1: free slot */
    lb_proc_type_e     type;
    uint32_t           slot;         /* worker slot */
    uint64_t           generation;   /* cycle generation it runs */
    lb_spawn_proc_pt   proc;
    void              *data;
    lb_msec_t          started;
    unsigned           exiting:1;    /* told to quit or terminate */
    unsigned           exited:1;
} lb_process_t;

#define LB_MAX_PROCESSES  1024

extern lb_process_t  lb_processes[LB_MAX_PROCESSES];
extern int           lb_last_process;     /* one past the last used slot */
extern lb_proc_type_e  lb_process_type;   /* what this process is */
extern bool          lb_is_master;
extern uint32_t      lb_worker_slot;      /* in a worker: its slot */

/* Signal flags, set by handlers, read by the loops. */
extern volatile sig_atomic_t  lb_reap;
extern volatile sig_atomic_t  lb_reconfigure;
extern volatile sig_atomic_t  lb_quit;
extern volatile sig_atomic_t  lb_terminate;
extern volatile sig_atomic_t  lb_reopen;
extern volatile sig_atomic_t  lb_sigalrm;

/* Install the handlers for every signal weir uses; LB_OK or LB_ERROR. */
lb_int_t lb_init_signals(void);

/* Fork a child that runs proc(cycle, data). Returns its pid, or -1 (logged)
 * when the table is full or fork() failed. */
pid_t lb_spawn_process(lb_cycle_t *cycle, lb_spawn_proc_pt proc, void *data,
    lb_proc_type_e type, uint32_t slot);

/* Send sig to every live child for which pred(process, arg) is true
 * (NULL: all); marks them exiting for QUIT/TERM/KILL. */
void lb_signal_children(int sig, bool (*pred)(lb_process_t *p, void *arg),
    void *arg);

/* Number of children still alive. */
int lb_live_children(void);

/* The signal number for a -s argument ("reload" -> SIGHUP), or 0. */
int lb_signal_by_name(const char *name);

/* Send the -s signal to the master named in pid_file. Returns 0 or 1
 * (an exit status) after printing what went wrong. */
int lb_signal_process(const char *pid_file, const char *name);

/* Write our pid to path (atomically: temp file + rename). */
lb_int_t lb_create_pidfile(const char *path);
void lb_delete_pidfile(const char *path);

/* Detach from the terminal: fork, setsid, stdin/stdout to /dev/null.
 * Returns LB_OK in the daemon, exits in the parent. */
lb_int_t lb_daemon(void);

#endif /* LB_PROCESS_H */
