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
 * worker exits. The tick also notices a graceful stop: idle target
 * connections are closed, and connections waiting between requests once
 * they have waited LB_HTTP_DRAIN_GRACE (lb_http_drain_idle_clients()),
 * so a stopping worker does not wait for keep-alive timeouts, and a
 * keep-alive client still gets its next request answered (with
 * Connection: close) instead of its connection closed under it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_process.h"
#include "lb_time.h"

#define LB_HTTP_LOG_BUFFER   (64 * 1024)
#define LB_HTTP_TICK         1000

static lb_int_t lb_http_log_open(void);
static void lb_http_log_flush(void);
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
static lb_event_t   lb_http_tick_event;
static time_t       lb_http_log_sec = -1;
static char         lb_http_log_time[40];


lb_int_t
lb_http_log_init(const char *path)
{
    lb_http_log_path = path;

    if (path != NULL) {
        lb_http_log_buf = malloc(LB_HTTP_LOG_BUFFER);
        if (lb_http_log_buf == NULL) {
            lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                         "malloc() of the access log buffer failed");
            return LB_ERROR;
        }

        if (lb_http_log_open() != LB_OK) {
            lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                         "open() \"%s\" failed", path);
            return LB_ERROR;
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


static lb_int_t
lb_http_log_open(void)
{
    int  fd;

    fd = open(lb_http_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
              0644);
    if (fd == -1) {
        return LB_ERROR;
    }

    if (lb_http_log_fd != -1) {
        close(lb_http_log_fd);
    }

    lb_http_log_fd = fd;

    return LB_OK;
}


void
lb_http_log_reopen(void)
{
    if (lb_http_log_path == NULL) {
        return;
    }

    lb_http_log_flush();

    if (lb_http_log_open() != LB_OK) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "reopening \"%s\" failed", lb_http_log_path);
    }
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
    ssize_t  n;

    if (lb_http_log_len == 0 || lb_http_log_fd == -1) {
        return;
    }

    /* whole lines in one write(): lines of several workers never mix */
    n = write(lb_http_log_fd, lb_http_log_buf, lb_http_log_len);

    if (n == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "write() to \"%s\" failed", lb_http_log_path);
    }

    lb_http_log_len = 0;
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
