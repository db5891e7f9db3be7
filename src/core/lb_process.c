/* weir: this process's kind and slot, its signal flags and handlers, -s,
 * the pid file and the daemon. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_process.h"

#define LB_PROC_NAME(n, s)  s,
const char *const  lb_proc_type_names[] = { LB_PROCESS_TYPES(LB_PROC_NAME) };
#undef LB_PROC_NAME

lb_proc_type_e  lb_process_type;
bool            lb_is_master;
uint32_t        lb_worker_slot;

volatile sig_atomic_t  lb_reap;
volatile sig_atomic_t  lb_reconfigure;
volatile sig_atomic_t  lb_quit;
volatile sig_atomic_t  lb_terminate;
volatile sig_atomic_t  lb_reopen;
volatile sig_atomic_t  lb_sigalrm;
volatile sig_atomic_t  lb_apply;
volatile sig_atomic_t  lb_sigio;

static void lb_signal_handler(int signo);

static const struct {
    int          signo;
    const char  *name;       /* for -s */
} lb_signals[] = {
    { SIGHUP,  "reload" },
    { SIGQUIT, "quit" },
    { SIGTERM, "stop" },
    { SIGINT,  NULL },
    { SIGUSR1, "reopen" },
    { SIGUSR2, NULL },
    { SIGCHLD, NULL },
    { SIGALRM, NULL },
    { SIGIO,   NULL },
};


lb_int_t
lb_init_signals(void)
{
    size_t            i;
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = lb_signal_handler;
    sigemptyset(&sa.sa_mask);

    for (i = 0; i < lb_nelems(lb_signals); i++) {
        if (sigaction(lb_signals[i].signo, &sa, NULL) == -1) {
            lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                         "sigaction(%d) failed", lb_signals[i].signo);
            return LB_ERROR;
        }
    }

    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "sigaction(SIGPIPE) failed");
        return LB_ERROR;
    }

    return LB_OK;
}


/* Handlers only set flags; the loops act on them. */
static void
lb_signal_handler(int signo)
{
    int  err = errno;

    switch (signo) {
    case SIGHUP:
        /* workers ignore HUP: only the master reloads */
        if (lb_is_master) {
            lb_reconfigure = 1;
        }
        break;
    case SIGQUIT:
        lb_quit = 1;
        break;
    case SIGTERM:
    case SIGINT:
        lb_terminate = 1;
        break;
    case SIGUSR1:
        lb_reopen = 1;
        break;
    case SIGCHLD:
        lb_reap = 1;
        break;
    case SIGALRM:
        lb_sigalrm = 1;
        break;
    case SIGUSR2:
        /* the master: the admin process changed the file; a worker or
         * the checker: the master published a new generation */
        lb_apply = 1;
        break;
    case SIGIO:
        /* the master: a message on the admin process's channel (only
         * that channel is O_ASYNC) */
        if (lb_is_master) {
            lb_sigio = 1;
        }
        break;
    }

    errno = err;
}


int
lb_signal_by_name(const char *name)
{
    size_t  i;

    for (i = 0; i < lb_nelems(lb_signals); i++) {
        if (lb_signals[i].name && strcmp(lb_signals[i].name, name) == 0) {
            return lb_signals[i].signo;
        }
    }

    return 0;
}


int
lb_signal_process(const char *pid_file, const char *name)
{
    int      signo, fd;
    char     buf[32], *end;
    ssize_t  n;
    long     pid;

    signo = lb_signal_by_name(name);
    if (signo == 0) {
        fprintf(stderr, "weir: invalid signal \"%s\": use reload, quit, "
                "stop or reopen\n", name);
        return 1;
    }

    fd = open(pid_file, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        fprintf(stderr, "weir: open(\"%s\") failed (%s): is weir "
                "running?\n", pid_file, strerror(errno));
        return 1;
    }

    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);

    if (n <= 0) {
        fprintf(stderr, "weir: invalid PID in \"%s\"\n", pid_file);
        return 1;
    }

    buf[n] = '\0';
    errno = 0;
    pid = strtol(buf, &end, 10);
    if (errno || pid <= 0 || (*end != '\n' && *end != '\0')) {
        fprintf(stderr, "weir: invalid PID \"%.*s\" in \"%s\"\n",
                (int) strcspn(buf, "\n"), buf, pid_file);
        return 1;
    }

    if (kill((pid_t) pid, signo) == -1) {
        fprintf(stderr, "weir: kill(%ld, %s) failed (%s)\n", pid, name,
                strerror(errno));
        return 1;
    }

    return 0;
}


lb_int_t
lb_create_pidfile(const char *path)
{
    int     fd, n;
    char    tmp[4096], buf[32];

    n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t) n >= sizeof(tmp)) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "pid file path too long");
        return LB_ERROR;
    }

    /* a fresh file, never one found there: a symlink (or a file) left
     * at the temporary name must not make root truncate and write
     * another file */
    if (unlink(tmp) == -1 && errno != ENOENT) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "unlink(\"%s\") failed",
                     tmp);
        return LB_ERROR;
    }

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0644);
    if (fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "open(\"%s\") failed",
                     tmp);
        return LB_ERROR;
    }

    n = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
    if (write(fd, buf, n) != n) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "write(\"%s\") failed",
                     tmp);
        close(fd);
        unlink(tmp);
        return LB_ERROR;
    }
    close(fd);

    if (rename(tmp, path) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "rename(\"%s\", \"%s\") failed", tmp, path);
        unlink(tmp);
        return LB_ERROR;
    }

    return LB_OK;
}


void
lb_delete_pidfile(const char *path)
{
    if (path != NULL && unlink(path) == -1 && errno != ENOENT) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno, "unlink(\"%s\") failed",
                     path);
    }
}


lb_int_t
lb_daemon(void)
{
    int  fd;

    switch (fork()) {
    case -1:
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "fork() failed");
        return LB_ERROR;
    case 0:
        break;
    default:
        exit(0);
    }

    if (setsid() == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "setsid() failed");
        return LB_ERROR;
    }

    umask(0);

    fd = open("/dev/null", O_RDWR);
    if (fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "open(\"/dev/null\") failed");
        return LB_ERROR;
    }

    if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "dup2() failed");
        return LB_ERROR;
    }

    if (fd > STDERR_FILENO) {
        close(fd);
    }

    return LB_OK;
}
