/* weir: the access log of HTTP and HTTPS listeners, and the worker's
 * one-second tick of the L7 proxy.
 *
 * One file for all listeners, the top-level `access_log` path (relative
 * to the prefix; none: no access log). One line per request:
 *
 *   CLIENT [TIME] LISTENER "REQUEST LINE" STATUS BYTES TARGET MS CMS RMS
 *
 * CLIENT is address:port, TIME local ISO 8601 with the offset, LISTENER
 * the listener's name, the request line as received (", \ and bytes
 * outside 0x20..0x7e escaped as \xHH, cut at LB_HTTP_LOG_LINE bytes),
 * STATUS the status sent to the client (- when none was: the connection
 * ended first), BYTES what was written to the client (heads included),
 * TARGET the target's address:port (- when none was chosen), MS the time
 * from the request's first byte to the end of its response, CMS the time
 * to the target's connection (- when none), RMS to the response head
 * (-), all in ms.
 *
 * Lines are gathered in a per-worker buffer and written whole, with one
 * write() per flush: when the buffer fills, every second, and when the
 * worker exits.
 *
 * The master opens the file (or the syslog socket) and the workers
 * inherit it; on SIGUSR1 the master reopens it and hands the new fd down
 * (lb_child.c): a worker running as an unprivileged user never opens it.
 * With `access_log: syslog:...` each line is one datagram (RFC 3164
 * header, severity info), the buffered lines sent by one sendmmsg() per
 * flush. With `access_log_compress: true` each flush is written as one
 * complete gzip member (zlib, RFC 1952): members written one after the
 * other form one valid gzip file, so `zcat` reads the file whole while
 * weir writes it, a file renamed for rotation is complete as soon as
 * weir reopened, and the members of several workers never interleave
 * (one write() each, O_APPEND). The tick also notices a graceful stop: idle target
 * connections are closed, and connections waiting between requests once
 * they have waited LB_HTTP_DRAIN_GRACE (lb_http_drain_idle_clients()),
 * so a stopping worker does not wait for keep-alive timeouts, and a
 * keep-alive client still gets its next request answered (with
 * Connection: close) instead of its connection closed under it. */
#define _GNU_SOURCE  1    /* sendmmsg() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "lb_cycle.h"

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_process.h"
#include "lb_time.h"

#define LB_HTTP_LOG_BUFFER   (64 * 1024)
#define LB_HTTP_LOG_LINES    512        /* syslog: datagrams per flush */
#define LB_HTTP_TICK         1000

static void lb_http_log_flush(void);
static void lb_http_log_flush_syslog(void);
static ssize_t lb_http_log_deflate(void);
static void lb_http_log_exit(void);
static void lb_http_tick(lb_event_t *ev);
static size_t lb_http_log_escape(char *p, size_t room, const u_char *s,
    size_t len);
static void lb_http_log_ms(char *buf, size_t size, lb_msec_t from,
    lb_msec_t to);

static const char  *lb_http_log_path;
static int          lb_http_log_fd = -1;
static char        *lb_http_log_buf;
static size_t       lb_http_log_len;
static lb_log_t    *lb_http_log_dest;
static z_stream     lb_http_log_zs;
static u_char      *lb_http_log_zbuf;    /* NULL: not compressed */
static size_t       lb_http_log_zsize;
static uint32_t     lb_http_log_ends[LB_HTTP_LOG_LINES];
static unsigned     lb_http_log_nlines;
static lb_event_t   lb_http_tick_event;
static time_t       lb_http_log_sec = -1;
static char         lb_http_log_time[40];


lb_int_t
lb_http_log_init(lb_log_t *dest, bool compress)
{
    int  rc;

    lb_http_log_dest = dest;
    lb_http_log_path = dest->path;

    if (dest->path != NULL && dest->fd != -1) {
        lb_http_log_fd = dest->fd;

        lb_http_log_buf = malloc(LB_HTTP_LOG_BUFFER);
        if (lb_http_log_buf == NULL) {
            lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                         "malloc() of the access log buffer failed");
            return LB_ERROR;
        }

        if (compress && !dest->syslog) {
            /* a gzip header and trailer (windowBits + 16) */
            memset(&lb_http_log_zs, 0, sizeof(z_stream));
            rc = deflateInit2(&lb_http_log_zs, Z_DEFAULT_COMPRESSION,
                              Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
            if (rc != Z_OK) {
                lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                             "deflateInit2() of the access log failed: %d",
                             rc);
                return LB_ERROR;
            }

            lb_http_log_zsize = deflateBound(&lb_http_log_zs,
                                             LB_HTTP_LOG_BUFFER);
            lb_http_log_zbuf = malloc(lb_http_log_zsize);
            if (lb_http_log_zbuf == NULL) {
                lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                             "malloc() of the access log buffer failed");
                return LB_ERROR;
            }
        }

        if (atexit(lb_http_log_exit) != 0) {
            lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                         "atexit() failed: the last access log lines of "
                         "this worker may be lost");
        }
    }

    memset(&lb_http_tick_event, 0, sizeof(lb_event_t));
    lb_http_tick_event.handler = lb_http_tick;
    lb_event_add_timer(&lb_http_tick_event, LB_HTTP_TICK);

    return LB_OK;
}


void
lb_http_log_reopen(void)
{
    if (lb_http_log_fd == -1) {
        return;
    }

    /* what was written before the rename goes to the old file (the
     * caller closes it after this) */
    lb_http_log_flush();

    lb_http_log_fd = lb_cycle->access_log.fd;
}


void
lb_http_log_request(lb_http_session_t *s)
{
    char  line[LB_HTTP_LOG_LINE * 4 + 512];
    size_t  n;

    if (lb_http_log_fd == -1) {
        return;
    }

    n = lb_http_log_format(s, line, sizeof(line));
    if (n == 0) {
        return;
    }

    if (lb_http_log_dest->syslog) {
        if (lb_http_log_len + n + 64 > LB_HTTP_LOG_BUFFER
            || lb_http_log_nlines == LB_HTTP_LOG_LINES)
        {
            lb_http_log_flush();
        }

        /* one datagram per line: its header, the line without '\n' */
        lb_http_log_len += lb_log_syslog_header(lb_http_log_dest,
                                                LB_LOG_INFO,
                                                lb_http_log_buf
                                                + lb_http_log_len, 64);
        memcpy(lb_http_log_buf + lb_http_log_len, line, n - 1);
        lb_http_log_len += n - 1;
        lb_http_log_ends[lb_http_log_nlines++] = (uint32_t) lb_http_log_len;
        return;
    }

    if (lb_http_log_len + n > LB_HTTP_LOG_BUFFER) {
        lb_http_log_flush();
    }

    memcpy(lb_http_log_buf + lb_http_log_len, line, n);
    lb_http_log_len += n;
}


size_t
lb_http_log_format(lb_http_session_t *s, char *buf, size_t size)
{
    int        n;
    char       client[80], status[16], ms[24], cms[24], rms[24];
    size_t     len;
    struct tm  tm;

    if (lb_current_sec != lb_http_log_sec) {
        lb_http_log_sec = lb_current_sec;
        localtime_r(&lb_http_log_sec, &tm);
        strftime(lb_http_log_time, sizeof(lb_http_log_time),
                 "%Y-%m-%dT%H:%M:%S%z", &tm);
    }

    lb_connection_addr_text((struct sockaddr *) &s->client->sockaddr,
                            client, sizeof(client));

    if (s->status) {
        snprintf(status, sizeof(status), "%u", s->status);

    } else {
        snprintf(status, sizeof(status), "-");
    }

    lb_http_log_ms(ms, sizeof(ms), s->start, lb_current_msec);
    lb_http_log_ms(cms, sizeof(cms), s->start, s->connected);
    lb_http_log_ms(rms, sizeof(rms), s->start, s->responded);

    n = snprintf(buf, size, "%s [%s] %s \"", client, lb_http_log_time,
                 s->listener->name);
    if (n < 0 || (size_t) n >= size) {
        return 0;
    }

    len = (size_t) n;
    len += lb_http_log_escape(buf + len, size - len, s->line, s->line_len);

    n = snprintf(buf + len, size - len, "\" %s %llu %s %s %s %s\n",
                 status, (unsigned long long) s->client_bytes,
                 s->target_text != NULL ? s->target_text : "-", ms, cms,
                 rms);

    if (n < 0 || (size_t) n >= size - len) {
        /* cut, but still a line */
        buf[size - 1] = '\n';
        return size;
    }

    return len + (size_t) n;
}


static size_t
lb_http_log_escape(char *p, size_t room, const u_char *s, size_t len)
{
    size_t  i, n;
    static const char  hex[] = "0123456789abcdef";

    n = 0;

    for (i = 0; i < len && n + 4 < room; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\') {
            p[n++] = '\\';
            p[n++] = 'x';
            p[n++] = hex[s[i] >> 4];
            p[n++] = hex[s[i] & 0xf];

        } else {
            p[n++] = (char) s[i];
        }
    }

    return n;
}


static void
lb_http_log_ms(char *buf, size_t size, lb_msec_t from, lb_msec_t to)
{
    if (to == 0 || from == 0 || to < from) {
        snprintf(buf, size, "-");
        return;
    }

    snprintf(buf, size, "%llu", (unsigned long long) (to - from));
}


static void
lb_http_log_flush(void)
{
    ssize_t      n;
    const char  *what;

    if (lb_http_log_len == 0 || lb_http_log_fd == -1) {
        return;
    }

    if (lb_http_log_dest->syslog) {
        lb_http_log_flush_syslog();
        return;
    }

    what = "write()";

    if (lb_http_log_zbuf != NULL) {
        n = lb_http_log_deflate();
        if (n == -1) {
            what = "deflate()";
        } else {
            /* one member in one write(): members of several workers
             * never mix */
            n = write(lb_http_log_fd, lb_http_log_zbuf, (size_t) n);
        }

    } else {
        /* whole lines in one write(): lines of several workers never
         * mix */
        n = write(lb_http_log_fd, lb_http_log_buf, lb_http_log_len);
    }

    if (n == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "%s to \"%s\" failed", what, lb_http_log_path);
    }

    lb_http_log_len = 0;
}


/* The buffer as one complete gzip member in lb_http_log_zbuf: its
 * length, or -1 (errno 0). deflateBound() sized the output for a full
 * buffer, so one Z_FINISH always ends the member. */
static ssize_t
lb_http_log_deflate(void)
{
    int  rc;

    if (deflateReset(&lb_http_log_zs) != Z_OK) {
        errno = 0;
        return -1;
    }

    lb_http_log_zs.next_in = (u_char *) lb_http_log_buf;
    lb_http_log_zs.avail_in = (uInt) lb_http_log_len;
    lb_http_log_zs.next_out = lb_http_log_zbuf;
    lb_http_log_zs.avail_out = (uInt) lb_http_log_zsize;

    rc = deflate(&lb_http_log_zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
        errno = 0;
        return -1;
    }

    return (ssize_t) (lb_http_log_zsize - lb_http_log_zs.avail_out);
}


/* Every buffered line as its own datagram, in one sendmmsg(). A syslog
 * reader that is too slow loses lines (the socket does not block), as
 * with any syslog client that must not stall its caller. */
static void
lb_http_log_flush_syslog(void)
{
    int                    n;
    size_t                 from;
    unsigned               i, sent;
    static struct iovec    iov[LB_HTTP_LOG_LINES];
    static struct mmsghdr  msgs[LB_HTTP_LOG_LINES];

    from = 0;

    for (i = 0; i < lb_http_log_nlines; i++) {
        iov[i].iov_base = lb_http_log_buf + from;
        iov[i].iov_len = lb_http_log_ends[i] - from;
        memset(&msgs[i], 0, sizeof(struct mmsghdr));
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        from = lb_http_log_ends[i];
    }

    for (sent = 0; sent < lb_http_log_nlines; sent += (unsigned) n) {
        n = sendmmsg(lb_http_log_fd, msgs + sent, lb_http_log_nlines - sent,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0) {
            if (n == -1 && errno != EAGAIN) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "sendmmsg() to \"%s\" failed: %u access log "
                             "lines lost", lb_http_log_dest->file,
                             lb_http_log_nlines - sent);
            }
            break;
        }
    }

    lb_http_log_len = 0;
    lb_http_log_nlines = 0;
}


static void
lb_http_log_exit(void)
{
    lb_http_log_flush();
}


static void
lb_http_tick(lb_event_t *ev)
{
    ev->timedout = 0;

    lb_http_log_flush();
    lb_http_sessions_trim();
    lb_http_idle_clients_settle();
    lb_http_upstream_settle();

    if (lb_quit && !lb_http_worker.quitting) {
        lb_http_worker.quitting = 1;
        lb_http_worker.quit_at = lb_current_msec;
        lb_http_upstream_close_idle();
    }

    if (lb_http_worker.quitting) {
        lb_http_drain_idle_clients();
    }

    lb_event_add_timer(ev, LB_HTTP_TICK);
}
