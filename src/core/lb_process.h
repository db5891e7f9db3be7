/* weir: what this process is (its kind and worker slot), the flags its
 * signal handlers set, and the process-level helpers below the protocols
 * (signals, -s, pid file, daemon). The loops of every layer read the
 * flags; the table of children and spawning are process control's
 * (src/proc/lb_spawn.h). */
#ifndef LB_PROCESS_H
#define LB_PROCESS_H

#include <signal.h>
#include <sys/types.h>

#include "lb_core_types.h"

#define LB_PROCESS_TYPES(X)      \
    X(WORKER,  "worker process") \
    X(HEALTH,  "health checker") \
    X(ADMIN,   "admin process")  \
    X(SYNC,    "sync process")

#define LB_ENUM_PROC(n, s)  LB_PROC_##n,
typedef enum { LB_PROCESS_TYPES(LB_ENUM_PROC) } lb_proc_type_e;
#undef LB_ENUM_PROC

extern const char *const  lb_proc_type_names[];

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
extern volatile sig_atomic_t  lb_apply;     /* SIGUSR2: lb_zone_gen.h */
extern volatile sig_atomic_t  lb_sigio;    /* SIGIO: the admin's channel */

/* Install the handlers for every signal weir uses; LB_OK or LB_ERROR. */
lb_int_t lb_init_signals(void);

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
