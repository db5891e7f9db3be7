/* weir: the sd_notify(3) datagrams of the master (lb_notify.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_notify.h"

static const char *const  lb_notify_lines[] = {
    [LB_NOTIFY_READY] = "READY=1\n",
    [LB_NOTIFY_RELOADING] = "RELOADING=1\n",
    [LB_NOTIFY_STOPPING] = "STOPPING=1\n",
    [LB_NOTIFY_STATUS] = "",
};

static struct {
    int                  fd;
    struct sockaddr_un   sa;
    socklen_t            len;
} lb_notify_sock = { .fd = -1 };


size_t
lb_notify_format(char *buf, size_t size, lb_notify_e what,
    uint64_t monotonic_usec, const char *status)
{
    int     n;
    size_t  len, i;

    n = snprintf(buf, size, "%s", lb_notify_lines[what]);
    if (n < 0 || (size_t) n >= size) {
        buf[0] = '\0';
        return 0;
    }
    len = n;

    if (what == LB_NOTIFY_RELOADING) {
        n = snprintf(buf + len, size - len, "MONOTONIC_USEC=%llu\n",
                     (unsigned long long) monotonic_usec);
        if (n < 0 || (size_t) n >= size - len) {
            buf[0] = '\0';
            return 0;
        }
        len += n;
    }

    /* "STATUS=" + at least one byte + "\n" + NUL */
    if (status == NULL || size - len < sizeof("STATUS=") + 2) {
        buf[len] = '\0';
        return len;
    }

    len += sprintf(buf + len, "STATUS=");

    for (i = 0; status[i] != '\0' && len < size - 2; i++) {
        buf[len++] = (status[i] == '\n' || status[i] == '\r')
                     ? ' ' : status[i];
    }

    buf[len++] = '\n';
    buf[len] = '\0';

    return len;
}


lb_int_t
lb_notify_addr(const char *value, struct sockaddr_un *sa, socklen_t *len)
{
    size_t  n;

    n = strlen(value);

    if (n < 2 || (value[0] != '/' && value[0] != '@')
        || n > sizeof(sa->sun_path) - (value[0] == '/'))
    {
        return LB_ERROR;
    }

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, value, n);

    if (value[0] == '@') {
        /* abstract: a leading NUL, and the length says where it ends */
        sa->sun_path[0] = '\0';
        *len = offsetof(struct sockaddr_un, sun_path) + n;
    } else {
        *len = offsetof(struct sockaddr_un, sun_path) + n + 1;
    }

    return LB_OK;
}


lb_int_t
lb_notify_init(void)
{
    int          fd;
    const char  *value;

    value = getenv("NOTIFY_SOCKET");
    if (value == NULL) {
        return LB_OK;
    }

    if (lb_notify_addr(value, &lb_notify_sock.sa, &lb_notify_sock.len)
        != LB_OK)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "NOTIFY_SOCKET \"%s\": not "
                     "an absolute socket path or an abstract name (@...) "
                     "of at most %zu bytes", value,
                     sizeof(lb_notify_sock.sa.sun_path) - 1);
        return LB_ERROR;
    }

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "socket(AF_UNIX) for NOTIFY_SOCKET failed");
        return LB_ERROR;
    }

    lb_notify_sock.fd = fd;

    /* the address is copied: the children (and programs they could run)
     * must not speak for the master */
    (void) unsetenv("NOTIFY_SOCKET");

    return LB_OK;
}


void
lb_notify(lb_notify_e what, const char *fmt, ...)
{
    char             status[LB_NOTIFY_MAX], msg[LB_NOTIFY_MAX];
    size_t           len;
    va_list          args;
    uint64_t         usec;
    struct timespec  ts;

    if (lb_notify_sock.fd == -1) {
        return;
    }

    if (fmt != NULL) {
        va_start(args, fmt);
        vsnprintf(status, sizeof(status), fmt, args);
        va_end(args);
    }

    usec = 0;
    if (what == LB_NOTIFY_RELOADING
        && clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
    {
        usec = (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }

    len = lb_notify_format(msg, sizeof(msg), what, usec,
                           fmt != NULL ? status : NULL);
    if (len == 0) {
        return;
    }

    if (sendto(lb_notify_sock.fd, msg, len, MSG_NOSIGNAL,
               (struct sockaddr *) &lb_notify_sock.sa, lb_notify_sock.len)
        == -1)
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "sendto(NOTIFY_SOCKET) failed");
    }
}
