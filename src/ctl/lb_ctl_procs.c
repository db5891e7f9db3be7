/* weir: weirctl ping's look at weir's processes (lb_ctl_procs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_ctl_procs.h"

#define LB_CTL_STAT_MAX   1024
#define LB_CTL_CMD_MAX    256

static ssize_t lb_ctl_read_small(const char *path, char *buf, size_t size);
static void lb_ctl_say(char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* titles, as lb_child.c and lb_process_cycle.c set them */
static const struct {
    const char     *title;
    lb_ctl_proc_e   kind;
} lb_ctl_titles[] = {
    { "weir: master process", LB_CTL_PROC_MASTER },
    { "weir: worker process", LB_CTL_PROC_WORKER },
    { "weir: health checker", LB_CTL_PROC_HEALTH },
    { "weir: admin process", LB_CTL_PROC_ADMIN },
};


lb_int_t
lb_ctl_stat_parse(const char *text, size_t len, char *state, pid_t *ppid)
{
    long         v;
    char        *end;
    const char  *p, *close;

    /* "PID (COMM) S PPID ..." */
    close = NULL;
    for (p = text; p < text + len; p++) {
        if (*p == ')') {
            close = p;
        }
    }

    if (close == NULL || memchr(text, '(', close - text) == NULL
        || close + 4 >= text + len || close[1] != ' ' || close[3] != ' ')
    {
        return LB_ERROR;
    }

    *state = close[2];

    errno = 0;
    v = strtol(close + 4, &end, 10);
    if (errno != 0 || end == close + 4 || v < 0 || end > text + len) {
        return LB_ERROR;
    }

    *ppid = (pid_t) v;

    return LB_OK;
}


bool
lb_ctl_state_running(char state)
{
    return state == 'R' || state == 'S' || state == 'D' || state == 'I';
}


lb_ctl_proc_e
lb_ctl_title_kind(const char *cmdline, size_t len)
{
    size_t  i, n;

    for (i = 0; i < sizeof(lb_ctl_titles) / sizeof(lb_ctl_titles[0]); i++) {
        n = strlen(lb_ctl_titles[i].title);

        /* the title ends there or goes on with arguments (the master's
         * "-c FILE") */
        if (len >= n && memcmp(cmdline, lb_ctl_titles[i].title, n) == 0
            && (len == n || cmdline[n] == ' ' || cmdline[n] == '\0'))
        {
            return lb_ctl_titles[i].kind;
        }
    }

    return LB_CTL_PROC_OTHER;
}


lb_int_t
lb_ctl_procs_check(const char *proc, const char *pid_file, lb_ctl_procs_t *p,
    char *msg, size_t size)
{
    DIR            *dir;
    char           *end;
    long            v;
    pid_t           ppid;
    char            state, path[4096], buf[LB_CTL_STAT_MAX];
    ssize_t         n;
    struct dirent  *de;

    msg[0] = '\0';
    p->master = 0;
    p->found_workers = 0;
    p->found_health = 0;
    p->found_admin = 0;

    n = lb_ctl_read_small(pid_file, buf, sizeof(buf));
    if (n == -1) {
        lb_ctl_say(msg, size, "no master: pid file \"%s\": %s", pid_file,
                   strerror(errno));
        return LB_ERROR;
    }

    errno = 0;
    v = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || v <= 0 || (*end != '\n' && *end != '\0'))
    {
        lb_ctl_say(msg, size, "no master: pid file \"%s\" holds no pid",
                   pid_file);
        return LB_ERROR;
    }

    p->master = (pid_t) v;

    snprintf(path, sizeof(path), "%s/%ld/stat", proc, v);
    n = lb_ctl_read_small(path, buf, sizeof(buf));
    if (n == -1
        || lb_ctl_stat_parse(buf, (size_t) n, &state, &ppid) != LB_OK)
    {
        lb_ctl_say(msg, size, "master process %ld (pid file \"%s\") is not "
                   "running", v, pid_file);
        return LB_ERROR;
    }

    if (!lb_ctl_state_running(state)) {
        lb_ctl_say(msg, size, "master process %ld is not running (state "
                   "%c)", v, state);
        return LB_ERROR;
    }

    /* a pid reused by something else after weir died without removing
     * its pid file */
    snprintf(path, sizeof(path), "%s/%ld/cmdline", proc, v);
    n = lb_ctl_read_small(path, buf, LB_CTL_CMD_MAX);
    if (n == -1 || lb_ctl_title_kind(buf, (size_t) n) != LB_CTL_PROC_MASTER)
    {
        lb_ctl_say(msg, size, "process %ld of pid file \"%s\" is not a weir "
                   "master process", v, pid_file);
        return LB_ERROR;
    }

    dir = opendir(proc);
    if (dir == NULL) {
        lb_ctl_say(msg, size, "opendir(\"%s\") failed: %s", proc,
                   strerror(errno));
        return LB_ERROR;
    }

    /* the master's children; one that died and is not reaped yet (a
     * zombie) or is stopped does not count */
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9') {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s/stat", proc, de->d_name);
        n = lb_ctl_read_small(path, buf, sizeof(buf));
        if (n == -1
            || lb_ctl_stat_parse(buf, (size_t) n, &state, &ppid) != LB_OK
            || ppid != p->master || !lb_ctl_state_running(state))
        {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s/cmdline", proc, de->d_name);
        n = lb_ctl_read_small(path, buf, LB_CTL_CMD_MAX);
        if (n == -1) {
            continue;
        }

        switch (lb_ctl_title_kind(buf, (size_t) n)) {
        case LB_CTL_PROC_WORKER:
            p->found_workers++;
            break;
        case LB_CTL_PROC_HEALTH:
            p->found_health++;
            break;
        case LB_CTL_PROC_ADMIN:
            p->found_admin++;
            break;
        default:
            break;
        }
    }

    closedir(dir);

    if (p->found_workers < p->workers) {
        lb_ctl_say(msg, size, "%u of %u worker processes running",
                   p->found_workers, p->workers);
    }

    if (p->found_health == 0) {
        lb_ctl_say(msg, size, "no health checker running");
    }

    if (p->admin && p->found_admin == 0) {
        lb_ctl_say(msg, size, "no admin process running");
    }

    return msg[0] == '\0' ? LB_OK : LB_ERROR;
}


/* Up to size - 1 bytes of a small file (a /proc entry, a pid file),
 * NUL-terminated; the length, or -1 with errno. */
static ssize_t
lb_ctl_read_small(const char *path, char *buf, size_t size)
{
    int      fd, e;
    ssize_t  n;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    do {
        n = read(fd, buf, size - 1);
    } while (n == -1 && errno == EINTR);

    e = errno;
    close(fd);
    errno = e;

    if (n == -1) {
        return -1;
    }

    buf[n] = '\0';

    return n;
}


/* Append one problem to msg ("; " between two). */
static void
lb_ctl_say(char *msg, size_t size, const char *fmt, ...)
{
    size_t   len;
    va_list  ap;

    len = strlen(msg);
    if (len > 0 && len + 2 < size) {
        memcpy(msg + len, "; ", 3);
        len += 2;
    }

    if (len + 1 >= size) {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(msg + len, size - len, fmt, ap);
    va_end(ap);
}
