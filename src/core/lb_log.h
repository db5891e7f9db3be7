/* weir: the error log. Levels as in SPEC.md: debug info notice warn error;
 * plus crit/alert/emerg for the process itself. */
#ifndef LB_LOG_H
#define LB_LOG_H

#include "lb_core_types.h"

#define LB_LOG_LEVELS(X)  \
    X(EMERG,  "emerg")    \
    X(ALERT,  "alert")    \
    X(CRIT,   "crit")     \
    X(ERR,    "error")    \
    X(WARN,   "warn")     \
    X(NOTICE, "notice")   \
    X(INFO,   "info")     \
    X(DEBUG,  "debug")

#define LB_LOG_ENUM(name, str)  LB_LOG_##name,
typedef enum { LB_LOG_LEVELS(LB_LOG_ENUM) LB_LOG_NLEVELS } lb_log_level_e;
#undef LB_LOG_ENUM

extern const char *const  lb_log_level_names[];

struct lb_log_s {
    int          fd;        /* 2 (stderr) until the error log is opened */
    unsigned     level;     /* messages above this level are dropped */
    const char  *path;      /* NULL: stderr */
};

/* The process-wide log every part writes to. */
extern lb_log_t  lb_log;

/* Process name put in each line ("master", "worker 0", ...). */
extern const char  *lb_log_process;

/* Write "time [level] pid#: message[ (errno: text)]\n" when level is
 * enabled. err is an errno value or 0. */
void lb_log_error(unsigned level, lb_log_t *log, int err, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

#define lb_log_debug(log, ...)                                            \
    do {                                                                  \
        if ((log)->level >= LB_LOG_DEBUG) {                               \
            lb_log_error(LB_LOG_DEBUG, log, 0, __VA_ARGS__);              \
        }                                                                 \
    } while (0)

/* Open (append) path as the log file; on failure keep the old fd and
 * return LB_ERROR with errno set. */
lb_int_t lb_log_open(lb_log_t *log, const char *path);

/* Reopen the current file (SIGUSR1): rotation by rename-and-reopen. */
lb_int_t lb_log_reopen(lb_log_t *log);

/* Level by name ("info"); -1 when unknown. */
int lb_log_level_by_name(const char *name);

#endif /* LB_LOG_H */
