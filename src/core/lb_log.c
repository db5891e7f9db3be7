/* weir: the error log. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_time.h"

#define LB_LOG_NAME(name, str)  str,
const char *const  lb_log_level_names[] = { LB_LOG_LEVELS(LB_LOG_NAME) NULL };
#undef LB_LOG_NAME

lb_log_t     lb_log = { 2, LB_LOG_INFO, NULL };
const char  *lb_log_process = "weir";


void
lb_log_error(unsigned level, lb_log_t *log, int err, const char *fmt, ...)
{
    char     buf[2048];
    int      n, m;
    va_list  ap;

    if (level > log->level) {
        return;
    }

    if (lb_log_time[0] == '\0') {
        lb_time_update();
    }

    n = snprintf(buf, sizeof(buf), "%s [%s] %d#%s: ", lb_log_time,
                 lb_log_level_names[level], (int) getpid(), lb_log_process);

    va_start(ap, fmt);
    m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);

    n = (m < 0 || (size_t) (n + m) >= sizeof(buf) - 64)
        ? (int) sizeof(buf) - 64 : n + m;

    if (err) {
        n += snprintf(buf + n, sizeof(buf) - n, " (%d: %s)", err,
                      strerror(err));
    }

    buf[n++] = '\n';

    /* one write() per line: lines from several processes never mix */
    if (write(log->fd, buf, n) == -1) {
        /* nothing better to do: the log itself is broken */
    }
}


lb_int_t
lb_log_open(lb_log_t *log, const char *path)
{
    int  fd;

    /* the master runs as root: a symlink planted where the log goes
     * must not make it append to another file (ELOOP instead); the log
     * names clients, so other users do not read it */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
              0640);
    if (fd == -1) {
        return LB_ERROR;
    }

    if (log->fd > 2) {
        close(log->fd);
    }

    log->fd = fd;
    log->path = path;

    return LB_OK;
}


lb_int_t
lb_log_reopen(lb_log_t *log)
{
    if (log->path == NULL) {
        return LB_OK;
    }

    return lb_log_open(log, log->path);
}


int
lb_log_level_by_name(const char *name)
{
    int  i;

    for (i = 0; lb_log_level_names[i] != NULL; i++) {
        if (strcmp(lb_log_level_names[i], name) == 0) {
            return i;
        }
    }

    return -1;
}
