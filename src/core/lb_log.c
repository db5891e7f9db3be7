/* weir: the error log. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_time.h"

#define LB_LOG_NAME(name, str)  str,
const char *const  lb_log_level_names[] = { LB_LOG_LEVELS(LB_LOG_NAME) NULL };
#undef LB_LOG_NAME

lb_log_t     lb_log = { .fd = 2, .level = LB_LOG_INFO };

/* RFC 3164 facility names, in code order (local0..7 are 16..23) */
static const char *const  lb_log_facilities[] = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
    "uucp", "cron", "authpriv", "ftp", NULL, NULL, NULL, NULL,
    "local0", "local1", "local2", "local3", "local4", "local5", "local6",
    "local7"
};

static const char *const  lb_log_months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
    "Nov", "Dec"
};
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

    if (log->syslog) {
        /* the header carries time, severity and pid: the level and the
         * process name stay in the text, as in the file */
        n = (int) lb_log_syslog_header(log, level, buf, sizeof(buf));
        n += snprintf(buf + n, sizeof(buf) - n, "[%s] %s: ",
                      lb_log_level_names[level], lb_log_process);
    } else {
        n = snprintf(buf, sizeof(buf), "%s [%s] %d#%s: ", lb_log_time,
                     lb_log_level_names[level], (int) getpid(),
                     lb_log_process);
    }

    va_start(ap, fmt);
    m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);

    n = (m < 0 || (size_t) (n + m) >= sizeof(buf) - 64)
        ? (int) sizeof(buf) - 64 : n + m;

    if (err) {
        n += snprintf(buf + n, sizeof(buf) - n, " (%d: %s)", err,
                      strerror(err));
    }

    if (!log->syslog) {
        buf[n++] = '\n';
    }

    /* one write() per line: lines from several processes never mix; a
     * syslog socket takes one datagram per line (lost when its reader
     * is too slow: the socket does not block) */
    if (write(log->fd, buf, n) == -1) {
        /* nothing better to do: the log itself is broken */
    }
}


bool
lb_log_is_syslog(const char *spec)
{
    return strncmp(spec, "syslog", 6) == 0
           && (spec[6] == '\0' || spec[6] == ':');
}


const char *
lb_log_parse_syslog(lb_log_t *log, const char *spec, char *err,
    size_t size)
{
    size_t       len, i, k;
    const char  *p, *end, *v;

    log->syslog = 1;
    log->facility = 1;              /* user */
    strcpy(log->tag, "weir");
    log->file = LB_LOG_SYSLOG_PATH;

    if (spec[6] == '\0') {
        return NULL;
    }

    for (p = spec + 7; ; p = end + 1) {
        end = strchr(p, ',');
        if (end == NULL) {
            end = p + strlen(p);
        }

        v = memchr(p, '=', end - p);
        if (v == NULL || v == p) {
            snprintf(err, size, "\"%.*s\" is not an option; allowed: "
                     "syslog, or syslog: followed by facility=NAME, "
                     "tag=NAME, path=/SOCKET separated by commas",
                     (int) (end - p), p);
            return err;
        }
        v++;
        len = end - v;

        if (v - p == sizeof("facility") && strncmp(p, "facility", 8) == 0) {
            for (k = 0; k < lb_nelems(lb_log_facilities); k++) {
                if (lb_log_facilities[k] != NULL
                    && strlen(lb_log_facilities[k]) == len
                    && strncmp(lb_log_facilities[k], v, len) == 0)
                {
                    break;
                }
            }
            if (k == lb_nelems(lb_log_facilities)) {
                snprintf(err, size, "\"%.*s\" is not a syslog facility; "
                         "allowed: kern, user, mail, daemon, auth, syslog, "
                         "lpr, news, uucp, cron, authpriv, ftp, "
                         "local0..local7", (int) len, v);
                return err;
            }
            log->facility = (unsigned) k;

        } else if (v - p == sizeof("tag") && strncmp(p, "tag", 3) == 0) {
            for (i = 0; i < len; i++) {
                if (!((v[i] >= 'a' && v[i] <= 'z')
                      || (v[i] >= 'A' && v[i] <= 'Z')
                      || (v[i] >= '0' && v[i] <= '9')
                      || v[i] == '_' || v[i] == '.' || v[i] == '-'))
                {
                    break;
                }
            }
            if (len == 0 || len > LB_LOG_TAG_LEN || i < len) {
                snprintf(err, size, "\"%.*s\" is not a syslog tag; "
                         "allowed: 1..32 characters of A-Z a-z 0-9 _ . -",
                         (int) len, v);
                return err;
            }
            memcpy(log->tag, v, len);
            log->tag[len] = '\0';

        } else if (v - p == sizeof("path") && strncmp(p, "path", 4) == 0) {
            /* the last option: a path may hold a comma */
            len = strlen(v);
            if (v[0] != '/'
                || len >= sizeof(((struct sockaddr_un *) 0)->sun_path))
            {
                snprintf(err, size, "\"%s\" is not a syslog socket path; "
                         "allowed: an absolute path of at most 107 bytes, "
                         "as the last option", v);
                return err;
            }
            log->file = v;
            return NULL;

        } else {
            snprintf(err, size, "\"%.*s\" is not an option; allowed: "
                     "syslog, or syslog: followed by facility=NAME, "
                     "tag=NAME, path=/SOCKET separated by commas",
                     (int) (v - 1 - p), p);
            return err;
        }

        if (*end == '\0') {
            return NULL;
        }
    }
}


lb_int_t
lb_log_open(lb_log_t *log, const char *spec)
{
    int                 fd, e;
    char                err[256];
    lb_log_t            l;
    struct sockaddr_un  sun;

    l = *log;
    l.syslog = 0;
    l.file = spec;

    if (lb_log_is_syslog(spec)) {
        if (lb_log_parse_syslog(&l, spec, err, sizeof(err)) != NULL) {
            errno = EINVAL;
            return LB_ERROR;
        }

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd == -1) {
            return LB_ERROR;
        }

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        strncpy(sun.sun_path, l.file, sizeof(sun.sun_path) - 1);

        if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == -1) {
            e = errno;
            close(fd);
            errno = e;
            return LB_ERROR;
        }

    } else {
        /* the master runs as root: a symlink planted where the log goes
         * must not make it append to another file (ELOOP instead); the
         * log names clients, so other users do not read it */
        fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC
                        | O_NOFOLLOW, 0640);
        if (fd == -1) {
            return LB_ERROR;
        }
    }

    if (log->fd > 2) {
        close(log->fd);
    }

    l.fd = fd;
    l.path = spec;
    *log = l;

    return LB_OK;
}


size_t
lb_log_syslog_header(const lb_log_t *log, unsigned level, char *buf,
    size_t size)
{
    int            n;
    time_t         now;
    struct tm      tm;
    static time_t  last = -1;
    static char    stamp[32];

    /* the access log calls this per line: the stamp once a second */
    now = time(NULL);
    if (now != last) {
        localtime_r(&now, &tm);
        /* RFC 3164: the day of the month is padded with a space */
        snprintf(stamp, sizeof(stamp), "%s %2d %02d:%02d:%02d",
                 lb_log_months[tm.tm_mon % 12], tm.tm_mday % 100,
                 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
        last = now;
    }

    n = snprintf(buf, size, "<%u>%s %s[%d]: ", log->facility * 8 + level,
                 stamp, log->tag, (int) getpid());

    return (n < 0) ? 0 : ((size_t) n >= size) ? size - 1 : (size_t) n;
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
