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

/* Where a log goes: a file, or syslog (SPEC: `error_log: syslog`,
 * `access_log: syslog:facility=local0,tag=weir,path=/dev/log`): RFC 3164
 * lines "<PRI>Mmm dd hh:mm:ss TAG[PID]: message", one datagram each, on
 * a unix datagram socket connected to `path`. The master opens both
 * kinds (as root, before any child drops its privileges) and its
 * children inherit the fd; on SIGUSR1 the master reopens and hands the
 * new fds down (src/proc/lb_spawn.c). */
#define LB_LOG_SYSLOG_PATH   "/dev/log"
#define LB_LOG_TAG_LEN       32

struct lb_log_s {
    int          fd;        /* 2 (stderr) until the error log is opened */
    unsigned     level;     /* messages above this level are dropped */
    const char  *path;      /* the setting as written (a file: absolute);
                               NULL: stderr */
    const char  *file;      /* the file or the syslog socket opened */
    unsigned     syslog:1;
    unsigned     facility;  /* syslog: facility code (LOG_LOCAL0 >> 3) */
    char         tag[LB_LOG_TAG_LEN + 1];
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

/* Is spec a syslog setting ("syslog" or "syslog:...")? */
bool lb_log_is_syslog(const char *spec);

/* Read a syslog setting: "syslog" or "syslog:" followed by
 * comma-separated facility=NAME (kern user mail daemon auth syslog lpr
 * news uucp cron authpriv ftp local0..local7; default user),
 * tag=NAME (1..32 of A-Z a-z 0-9 _ . -; default weir) and
 * path=/ABSOLUTE/SOCKET (default /dev/log; the last option: a path may
 * hold a comma). Fills the syslog fields of log (file points into
 * spec). NULL, or err (size bytes) saying what is wrong and the rule. */
const char *lb_log_parse_syslog(lb_log_t *log, const char *spec, char *err,
    size_t size);

/* Open spec (a file path, absolute, or a syslog setting) as the log:
 * a file with O_APPEND | O_NOFOLLOW, created 0640; a syslog setting as
 * a non-blocking unix datagram socket connected to its path. On success
 * the old fd is closed; on failure it is kept and LB_ERROR returned with
 * errno set. spec must outlive the log (it is log->path). */
lb_int_t lb_log_open(lb_log_t *log, const char *spec);

/* The RFC 3164 header of a syslog line of severity level
 * ("<PRI>Mmm dd hh:mm:ss TAG[PID]: ") into buf; its length (cut at
 * size - 1). */
size_t lb_log_syslog_header(const lb_log_t *log, unsigned level, char *buf,
    size_t size);

/* Reopen the current file (SIGUSR1): rotation by rename-and-reopen. */
lb_int_t lb_log_reopen(lb_log_t *log);

/* Level by name ("info"); -1 when unknown. */
int lb_log_level_by_name(const char *name);

#endif /* LB_LOG_H */
