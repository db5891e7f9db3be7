/* weir: the error answers of the L7 proxy and their pages. Every status
 * weir answers by itself has a page: errors/STATUS.html under the html
 * directory (LB_HTML_PATH, relative to the prefix) when that file exists (read once, when a worker starts), else a
 * built-in one, so weir answers properly from any prefix. Pages are small
 * (at most LB_HTTP_PAGE_MAX bytes): a page is written from memory with the
 * head, in one writev() (lb_http_error(), then lb_http_error_send() until
 * it is out). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lb_connection.h"
#include "lb_event_timer.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"

#define LB_HTTP_PAGE_MAX  (64 * 1024)

/* X(status, reason, text of the built-in page) */
#define LB_HTTP_PAGES(X)                                                     \
    X(400, "Bad Request",                                                    \
      "The request is malformed and was not forwarded.")                     \
    X(403, "Forbidden",                                                      \
      "The request was rejected by a rule of the load balancer.")            \
    X(404, "Not Found",                                                      \
      "No target group serves this listener.")                               \
    X(405, "Method Not Allowed",                                             \
      "This method is not allowed here.")                                    \
    X(408, "Request Timeout",                                                \
      "The request did not arrive in time.")                                 \
    X(414, "URI Too Long",                                                   \
      "The request-line is too long.")                                       \
    X(431, "Request Header Fields Too Large",                                \
      "The request header section is too large.")                            \
    X(500, "Internal Server Error",                                          \
      "The load balancer could not handle the request.")                     \
    X(501, "Not Implemented",                                                \
      "The request uses something the load balancer does not support.")     \
    X(502, "Bad Gateway",                                                    \
      "The target failed to answer the request.")                            \
    X(503, "Service Unavailable",                                            \
      "No target is available to serve the request.")                        \
    X(504, "Gateway Timeout",                                                \
      "The target did not answer in time.")                                  \
    X(505, "HTTP Version Not Supported",                                     \
      "The HTTP version of the request is not supported.")

#define LB_HTTP_PAGE_HTML(status, reason, text)                              \
    "<!DOCTYPE html>\n<html>\n<head><title>" #status " " reason              \
    "</title></head>\n<body>\n<h1>" #status " " reason "</h1>\n<p>" text     \
    "</p>\n<hr><p>weir</p>\n</body>\n</html>\n"

#define LB_HTTP_PAGE_ENTRY(status, reason, text)                             \
    { status, reason, (const u_char *) LB_HTTP_PAGE_HTML(status, reason,     \
                                                         text),              \
      sizeof(LB_HTTP_PAGE_HTML(status, reason, text)) - 1 },

static lb_int_t lb_http_page_read(lb_pool_t *pool, const char *path,
    lb_http_page_t *page);

/* the built-in pages, and the pages in use (built-in or from files) */
static const lb_http_page_t  lb_http_builtin_pages[] = {
    LB_HTTP_PAGES(LB_HTTP_PAGE_ENTRY)
};

static lb_http_page_t  lb_http_pages[lb_nelems(lb_http_builtin_pages)] = {
    LB_HTTP_PAGES(LB_HTTP_PAGE_ENTRY)
};


const lb_http_page_t *
lb_http_page(unsigned status)
{
    size_t  i;

    for (i = 0; i < lb_nelems(lb_http_pages); i++) {
        if (lb_http_pages[i].status == status) {
            return &lb_http_pages[i];
        }
    }

    return lb_http_page(500);
}


lb_int_t
lb_http_pages_load(lb_pool_t *pool, const char *html)
{
    char    path[4096];
    size_t  i;

    for (i = 0; i < lb_nelems(lb_http_pages); i++) {
        lb_http_pages[i] = lb_http_builtin_pages[i];

        if (snprintf(path, sizeof(path), "%s/errors/%u.html", html,
                     lb_http_pages[i].status)
            >= (int) sizeof(path))
        {
            continue;
        }

        if (lb_http_page_read(pool, path, &lb_http_pages[i]) == LB_ERROR) {
            return LB_ERROR;
        }
    }

    return LB_OK;
}


/* LB_OK: read into page; LB_DECLINED: the built-in page stays; LB_ERROR:
 * out of memory */
static lb_int_t
lb_http_page_read(lb_pool_t *pool, const char *path, lb_http_page_t *page)
{
    int           fd;
    u_char       *body;
    ssize_t       n;
    size_t        got;
    struct stat   st;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        if (errno != ENOENT) {
            lb_log_error(LB_LOG_ERR, &lb_log, errno,
                         "open() \"%s\" failed, the built-in page is used",
                         path);
        }
        return LB_DECLINED;
    }

    if (fstat(fd, &st) == -1) {
        lb_log_error(LB_LOG_ERR, &lb_log, errno, "fstat() \"%s\" failed",
                     path);
        close(fd);
        return LB_DECLINED;
    }

    if (!S_ISREG(st.st_mode) || st.st_size > LB_HTTP_PAGE_MAX) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "\"%s\" is not a file of at most %d bytes, the "
                     "built-in page is used", path, LB_HTTP_PAGE_MAX);
        close(fd);
        return LB_DECLINED;
    }

    body = lb_palloc(pool, (size_t) st.st_size + 1);
    if (body == NULL) {
        close(fd);
        return LB_ERROR;
    }

    for (got = 0; got < (size_t) st.st_size; got += (size_t) n) {
        n = read(fd, body + got, (size_t) st.st_size - got);

        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            lb_log_error(LB_LOG_ERR, &lb_log, n == 0 ? 0 : errno,
                         "read() \"%s\" failed, the built-in page is used",
                         path);
            close(fd);
            return LB_DECLINED;
        }
    }

    close(fd);

    page->body = body;
    page->len = got;

    return LB_OK;
}


lb_int_t
lb_http_page_head(const lb_http_page_t *page, unsigned version,
    bool keep_alive, lb_http_buf_t *out)
{
    int         n;
    size_t      room;
    const char  *conn;

    if (!keep_alive) {
        conn = "Connection: close\r\n";

    } else {
        conn = version == 10 ? "Connection: keep-alive\r\n" : "";
    }

    room = (size_t) (out->end - out->last);

    n = snprintf((char *) out->last, room,
                 "HTTP/1.1 %u %s\r\n"
                 "Content-Type: text/html\r\n"
                 "Content-Length: %zu\r\n"
                 "Cache-Control: no-store\r\n"
                 "%s\r\n",
                 page->status, page->reason, page->len, conn);

    if (n < 0 || (size_t) n >= room) {
        return LB_DECLINED;
    }

    out->last += n;

    return LB_OK;
}


void
lb_http_error(lb_http_session_t *s, unsigned status, bool close_client)
{
    const lb_http_page_t  *page;

    if (s->upstream != NULL || s->peer != NULL) {
        s->upstream_bad = 1;
        lb_http_upstream_finish(s, false);
        s->peer = NULL;
    }

    if (s->resp_head_sent || (s->out.last > s->out.pos && s->req_head_sent))
    {
        /* part of a response went out already: only a close can tell */
        lb_http_close(s);
        return;
    }

    page = lb_http_page(status);

    s->status = page->status;
    s->phase = LB_HTTP_PH_ERROR;

    /* another request may follow when this one was read to its end */
    s->keep_client = !close_client && s->req.keep_alive && s->req_body.done
                     && !s->client_eof && !lb_http_worker.quitting
                     && s->req.err == LB_HTTP_ERR_NONE;

    s->out.pos = s->out.last = s->out.start;

    if (lb_http_page_head(page, s->req.version ? s->req.version : 11,
                          s->keep_client, &s->out)
        != LB_OK)
    {
        lb_http_close(s);
        return;
    }

    if (s->req.method == LB_HTTP_METHOD_HEAD) {
        s->page = NULL;
        s->page_len = 0;

    } else {
        s->page = page->body;
        s->page_len = page->len;
    }

    if (s->client->read->timer_set) {
        lb_event_del_timer(s->client->read);
    }

    s->client_write_at = lb_current_msec;

    lb_http_error_send(s);
}


void
lb_http_redirect(lb_http_session_t *s, unsigned code, const u_char *loc,
    size_t len)
{
    int          n;
    size_t       room;
    const char  *reason, *conn;

    switch (code) {
    case 301: reason = "Moved Permanently"; break;
    case 303: reason = "See Other"; break;
    case 307: reason = "Temporary Redirect"; break;
    case 308: reason = "Permanent Redirect"; break;
    default: code = 302; reason = "Found"; break;
    }

    s->status = code;
    s->phase = LB_HTTP_PH_ERROR;

    /* as lb_http_error(): another request may follow this one */
    s->keep_client = s->req.keep_alive && s->req_body.done && !s->client_eof
                     && !lb_http_worker.quitting;

    if (!s->keep_client) {
        conn = "Connection: close\r\n";
    } else {
        conn = s->req.version == 10 ? "Connection: keep-alive\r\n" : "";
    }

    s->out.pos = s->out.last = s->out.start;
    room = (size_t) (s->out.end - s->out.last);

    n = snprintf((char *) s->out.last, room,
                 "HTTP/1.1 %u %s\r\n"
                 "Location: %.*s\r\n"
                 "Content-Length: 0\r\n"
                 "%s\r\n",
                 code, reason, (int) len, (const char *) loc, conn);

    if (n < 0 || (size_t) n >= room) {
        lb_http_close(s);
        return;
    }

    s->out.last += n;
    s->page = NULL;
    s->page_len = 0;

    if (s->client->read->timer_set) {
        lb_event_del_timer(s->client->read);
    }

    s->client_write_at = lb_current_msec;

    lb_http_error_send(s);
}


void
lb_http_error_send(lb_http_session_t *s)
{
    int               err, niov;
    size_t            m;
    ssize_t           n;
    struct iovec      iov[2];
    lb_connection_t  *c;

    c = s->client;

    while (s->out.last > s->out.pos || s->page_len) {
        if (!c->write->ready) {
            lb_event_idle_touch(c->write, s->listener->timeout_client_data);
            return;
        }

        niov = 0;

        if (s->out.last > s->out.pos) {
            iov[niov].iov_base = s->out.pos;
            iov[niov++].iov_len = (size_t) (s->out.last - s->out.pos);
        }

        if (s->page_len) {
            iov[niov].iov_base = (void *) s->page;
            iov[niov++].iov_len = s->page_len;
        }

        n = lb_http_send(c, iov, niov, &err);

        if (n == LB_ERROR) {
            lb_http_log_error(s, LB_LOG_INFO, err,
                              "sending an error response failed");
            lb_http_close(s);
            return;
        }

        if (n == LB_AGAIN) {
            continue;
        }

        s->client_bytes += (uint64_t) n;

        m = lb_min((size_t) n, (size_t) (s->out.last - s->out.pos));
        s->out.pos += m;
        n -= (ssize_t) m;
        s->page += n;
        s->page_len -= (size_t) n;
    }

    if (c->write->timer_set) {
        lb_event_del_timer(c->write);
    }

    s->out.pos = s->out.last = s->out.start;

    lb_http_request_done(s);
}
