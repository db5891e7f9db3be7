/* weir: the admin process: its listening socket, connections, requests
 * and responses (lb_admin.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "lb_admin.h"
#include "lb_admin_cluster.h"
#include "lb_admin_auth.h"
#include "lb_admin_json.h"
#include "lb_admin_route.h"
#include "lb_admin_static.h"
#include "lb_admin_tls.h"
#include "lb_conf_types.h"
#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_http_parse.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_process.h"
#include "lb_time.h"

#define LB_ADMIN_TOKEN_HEADER  "X-Auth-Token"
#define LB_ADMIN_CONTINUE      "HTTP/1.1 100 Continue\r\n\r\n"

typedef enum {
    LB_ADMIN_READ = 0,
    LB_ADMIN_BODY,              /* reading a Content-Length body */
    LB_ADMIN_WRITE
} lb_admin_phase_e;

typedef struct {
    lb_connection_t     *c;
    lb_admin_phase_e     phase;
    lb_http_msg_t        msg;
    lb_http_header_t     headers[LB_ADMIN_HEADERS];
    size_t               in_len;
    u_char               in[LB_ADMIN_HEAD_MAX];

    /* the decoded path parameters and query of the current request */
    char                 scratch[LB_ADMIN_HEAD_MAX + 64];

    char                 head[1024];
    size_t               head_len;
    lb_admin_buf_t       body;
    lb_admin_buf_t       gz;
    lb_admin_buf_t       req;       /* the request body (write routes) */
    size_t               req_in;    /* of it, bytes that were in ac->in */
    const u_char        *out;       /* what goes after the head */
    size_t               out_len;
    size_t               sent;      /* of head + out */

    uint32_t             requests;
    char                 addr[64];
    unsigned             head_started:1;
    unsigned             keep:1;
} lb_admin_conn_t;

static void lb_admin_init_connection(lb_connection_t *c);
static void lb_admin_handshaked(lb_connection_t *c, lb_int_t rc);
static void lb_admin_read_handler(lb_event_t *ev);
static void lb_admin_write_handler(lb_event_t *ev);
static void lb_admin_read(lb_admin_conn_t *ac);
static void lb_admin_body_start(lb_admin_conn_t *ac);
static void lb_admin_read_body(lb_admin_conn_t *ac);
static void lb_admin_request(lb_admin_conn_t *ac);
static bool lb_admin_authorized(lb_admin_conn_t *ac, lb_admin_req_t *r);
static bool lb_admin_token_ok(lb_admin_conn_t *ac, uint32_t *n);
static bool lb_admin_public(lb_admin_conn_t *ac);
static lb_int_t lb_admin_parse_target(lb_admin_conn_t *ac, lb_admin_req_t *r,
    lb_admin_handler_pt *handler, unsigned *allowed);
static bool lb_admin_accepts_gzip(lb_admin_conn_t *ac);
static void lb_admin_respond(lb_admin_conn_t *ac, lb_admin_req_t *r,
    const char *extra);
static lb_int_t lb_admin_gzip(lb_admin_conn_t *ac);
static void lb_admin_send(lb_admin_conn_t *ac);
static void lb_admin_next(lb_admin_conn_t *ac);
static void lb_admin_close(lb_admin_conn_t *ac);
static const char *lb_admin_reason(unsigned status);

static const lb_http_limits_t  lb_admin_limits = {
    LB_ADMIN_LINE_MAX, LB_ADMIN_LINE_MAX, LB_ADMIN_HEAD_MAX
};

static struct {
    lb_cycle_t          *cycle;
    lb_listening_t       ls;
    u_char               token[LB_ADMIN_TOKEN_MAX];
    size_t               token_len;
    lb_admin_limiter_t   limiter;
    uint32_t             nconns;
    SSL_CTX             *ssl_ctx;     /* NULL: plain HTTP */
} lb_admin;


lb_int_t
lb_admin_init_conf(lb_cycle_t *cycle)
{
    int          err;
    char        *path;
    size_t       len;
    SSL_CTX     *ctx;
    const char  *why;
    u_char       token[LB_ADMIN_TOKEN_MAX];

    if (cycle->conf->admin == NULL) {
        return LB_OK;
    }

    path = lb_full_name(cycle->pool, cycle->prefix,
                        cycle->conf->admin->token_file);
    if (path == NULL) {
        return LB_ERROR;
    }

    if (lb_admin_token_load(path, token, &len, &why, &err) != LB_OK) {
        lb_log_error(LB_LOG_EMERG, &lb_log, err,
                     "admin.token_file \"%s\" %s", path, why);
        return LB_ERROR;
    }

    /* the master has no use for it */
    explicit_bzero(token, sizeof(token));

    if (cycle->conf->admin->certificate != NULL) {
        /* only to refuse files that cannot be used: the admin process
         * loads its own */
        ctx = lb_admin_tls_ctx(cycle, cycle->conf->admin);
        if (ctx == NULL) {
            return LB_ERROR;
        }
        SSL_CTX_free(ctx);
    }

    return LB_OK;
}


lb_int_t
lb_admin_init(lb_cycle_t *cycle, uint32_t slot)
{
    int               fd, one, err;
    char             *path;
    const char       *why;
    lb_admin_conf_t  *admin;

    lb_unused(slot);

    admin = cycle->conf->admin;
    if (admin == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "no admin block in the configuration");
        return LB_ERROR;
    }

    lb_admin.cycle = cycle;
    lb_admin_start_time = time(NULL);

    path = lb_full_name(cycle->pool, cycle->prefix, admin->token_file);
    if (path == NULL) {
        return LB_ERROR;
    }

    if (lb_admin_token_load(path, lb_admin.token, &lb_admin.token_len, &why,
                            &err)
        != LB_OK)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, err, "admin.token_file \"%s\" "
                     "%s: the admin API does not start", path, why);
        return LB_ERROR;
    }

    if (lb_admin_static_init(cycle) != LB_OK) {
        return LB_ERROR;
    }

    if (admin->certificate != NULL) {
        lb_admin.ssl_ctx = lb_admin_tls_ctx(cycle, admin);
        if (lb_admin.ssl_ctx == NULL) {
            return LB_ERROR;
        }
    }

    fd = socket(admin->addr.sa.ss_family,
                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "socket() failed for "
                     "admin.listen %s", admin->addr.text);
        return LB_ERROR;
    }

    /* a reload's new admin process binds while the old one exits */
    one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1
        || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "setsockopt() failed for "
                     "admin.listen %s", admin->addr.text);
        goto failed;
    }

    if (bind(fd, (struct sockaddr *) &admin->addr.sa, admin->addr.socklen)
        == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "bind() to admin.listen "
                     "%s failed", admin->addr.text);
        goto failed;
    }

    if (listen(fd, 128) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "listen() on admin.listen "
                     "%s failed", admin->addr.text);
        goto failed;
    }

    lb_admin.ls.fd = fd;
    lb_admin.ls.type = SOCK_STREAM;
    lb_admin.ls.addr = admin->addr;

    if (lb_event_add_listening(&lb_admin.ls, lb_admin_init_connection,
                               lb_align(sizeof(lb_admin_conn_t), 4096)
                               + 4096)
        != LB_OK)
    {
        goto failed;
    }

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "admin API on %s%s",
                 admin->addr.text, lb_admin.ssl_ctx ? " (TLS)" : "");

    return LB_OK;

failed:

    (void) close(fd);
    return LB_ERROR;
}


lb_int_t
lb_admin_quit(lb_cycle_t *cycle, bool fast)
{
    lb_unused(cycle);
    lb_unused(fast);

    return LB_DONE;
}


static void
lb_admin_init_connection(lb_connection_t *c)
{
    lb_admin_conn_t  *ac;

    if (lb_admin.nconns >= LB_ADMIN_CONNECTIONS) {
        lb_log_error(LB_LOG_WARN, &lb_log, 0, "admin: %d connections are "
                     "open, client closed", LB_ADMIN_CONNECTIONS);
        lb_close_connection(c);
        return;
    }

    ac = lb_pcalloc(c->pool, sizeof(lb_admin_conn_t));
    if (ac == NULL) {
        lb_close_connection(c);
        return;
    }

    lb_admin.nconns++;

    ac->c = c;
    c->data = ac;
    c->read->handler = lb_admin_read_handler;
    c->write->handler = lb_admin_write_handler;

    lb_connection_addr_text((struct sockaddr *) &c->sockaddr, ac->addr,
                            sizeof(ac->addr));

    lb_http_msg_init(&ac->msg, ac->headers, LB_ADMIN_HEADERS,
                     &lb_admin_limits);

    if (lb_admin.ssl_ctx != NULL) {
        if (lb_ssl_create_connection(lb_admin.ssl_ctx, c, LB_SSL_SERVER)
            != LB_OK)
        {
            lb_admin_close(ac);
            return;
        }

        /* a client that sends nothing, or plain HTTP, ends here: the
         * glue logs why at info and the connection is closed */
        lb_ssl_handshake_run(c, LB_ADMIN_HANDSHAKE_TIMEOUT,
                             lb_admin_handshaked);
        return;
    }

    lb_event_add_timer(c->read, LB_ADMIN_HEADER_TIMEOUT);

    lb_admin_read(ac);
}


static void
lb_admin_handshaked(lb_connection_t *c, lb_int_t rc)
{
    lb_admin_conn_t  *ac;

    ac = c->data;

    if (rc != LB_OK) {
        lb_admin_close(ac);
        return;
    }

    c->read->handler = lb_admin_read_handler;
    c->write->handler = lb_admin_write_handler;

    lb_event_add_timer(c->read, LB_ADMIN_HEADER_TIMEOUT);

    /* bytes may already wait in OpenSSL's buffers: no edge will tell */
    lb_event_post(c->read);
}


static void
lb_admin_read_handler(lb_event_t *ev)
{
    lb_connection_t  *c;
    lb_admin_conn_t  *ac;

    c = ev->data;
    ac = c->data;

    if (c->close) {
        lb_admin_close(ac);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        if (ac->head_started) {
            lb_log_error(LB_LOG_INFO, &lb_log, ETIMEDOUT, "admin: %s did "
                         "not send a whole request head in time", ac->addr);
        }
        lb_admin_close(ac);
        return;
    }

    if (ac->phase == LB_ADMIN_READ) {
        lb_admin_read(ac);

    } else if (ac->phase == LB_ADMIN_BODY) {
        lb_admin_read_body(ac);
    }
}


static void
lb_admin_write_handler(lb_event_t *ev)
{
    lb_connection_t  *c;
    lb_admin_conn_t  *ac;

    c = ev->data;
    ac = c->data;

    if (c->close) {
        lb_admin_close(ac);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        lb_log_error(LB_LOG_INFO, &lb_log, ETIMEDOUT, "admin: %s did not "
                     "read the response in time", ac->addr);
        lb_admin_close(ac);
        return;
    }

    if (ac->phase == LB_ADMIN_WRITE) {
        lb_admin_send(ac);
    }
}


static void
lb_admin_read(lb_admin_conn_t *ac)
{
    ssize_t           n;
    lb_int_t          rc;
    lb_admin_req_t    r;
    lb_connection_t  *c;

    c = ac->c;

    for ( ;; ) {
        if (ac->in_len > 0) {
            rc = lb_http_parse_request(&ac->msg, ac->in, ac->in + ac->in_len);

            if (rc == LB_OK) {
                lb_admin_body_start(ac);
                return;
            }

            if (rc == LB_ERROR || ac->in_len == sizeof(ac->in)) {
                memset(&r, 0, sizeof(r));
                r.body = &ac->body;
                lb_admin_buf_reset(&ac->body);
                ac->keep = 0;

                if (rc == LB_ERROR) {
                    lb_admin_error(&r, ac->msg.status, "%s",
                                   ac->msg.reason);
                } else {
                    lb_admin_error(&r, 431, "request head larger than %d "
                                   "bytes", LB_ADMIN_HEAD_MAX);
                }

                lb_log_error(LB_LOG_INFO, &lb_log, 0, "admin: %s: %u %s",
                             ac->addr, r.status, rc == LB_ERROR
                             ? ac->msg.reason : "head too large");
                lb_admin_respond(ac, &r, NULL);
                return;
            }
        }

        if (!c->read->ready) {
            return;
        }

        n = lb_conn_recv(c, ac->in + ac->in_len,
                         sizeof(ac->in) - ac->in_len);

        if (n > 0) {
            if (!ac->head_started) {
                /* the head's time runs from its first byte */
                ac->head_started = 1;
                lb_event_add_timer(c->read, LB_ADMIN_HEADER_TIMEOUT);
            }

            ac->in_len += (size_t) n;
            continue;
        }

        if (n == 0) {
            lb_admin_close(ac);
            return;
        }

        if (n == LB_AGAIN) {
            return;
        }

        lb_log_error(LB_LOG_INFO, &lb_log, errno, "admin: recv() from %s "
                     "failed", ac->addr);
        lb_admin_close(ac);
        return;
    }
}


/* A whole head is at the start of ac->in. A body with Content-Length
 * within LB_ADMIN_BODY_MAX is read whole into ac->req before the request
 * is handled (the write routes parse it as one JSON document); a larger
 * one is refused (413) and a chunked one too (411) by lb_admin_request()
 * without reading it, and the connection is closed after the answer. */
static void
lb_admin_body_start(lb_admin_conn_t *ac)
{
    size_t          avail, n;
    uint32_t        ntokens;
    lb_http_msg_t  *msg;

    msg = &ac->msg;

    lb_admin_buf_reset(&ac->req);
    ac->req_in = 0;

    /* without the token the body is not read: the answer is 401 and
     * the connection closes after it */
    if (msg->body != LB_HTTP_BODY_LENGTH || msg->content_length == 0
        || msg->content_length > LB_ADMIN_BODY_MAX
        || !lb_admin_token_ok(ac, &ntokens))
    {
        lb_admin_request(ac);
        return;
    }

    avail = ac->in_len - msg->head_len;
    n = avail < msg->content_length ? avail : (size_t) msg->content_length;

    /* the whole body's room at once: it is at most LB_ADMIN_BODY_MAX */
    lb_admin_buf_append(&ac->req, ac->in + msg->head_len, n);
    ac->req_in = n;

    if (ac->req.nomem) {
        lb_log_error(LB_LOG_CRIT, &lb_log, 0, "admin: out of memory for the "
                     "request body of %s", ac->addr);
        lb_admin_close(ac);
        return;
    }

    if (ac->req.len == msg->content_length) {
        lb_admin_request(ac);
        return;
    }

    if (msg->expect_continue && ac->req.len == 0) {
        /* curl waits a second for it before it sends a body; a write
         * this small goes whole on a fresh connection, and one that does
         * not (or a TLS record to finish) is not worth resuming */
        if (lb_conn_send(ac->c, (const u_char *) LB_ADMIN_CONTINUE,
                         sizeof(LB_ADMIN_CONTINUE) - 1)
            != (ssize_t) sizeof(LB_ADMIN_CONTINUE) - 1)
        {
            lb_log_error(LB_LOG_INFO, &lb_log, errno, "admin: a 100 "
                         "Continue to %s did not go out whole", ac->addr);
            lb_admin_close(ac);
            return;
        }
    }

    ac->phase = LB_ADMIN_BODY;
    lb_event_add_timer(ac->c->read, LB_ADMIN_HEADER_TIMEOUT);

    lb_admin_read_body(ac);
}


static void
lb_admin_read_body(lb_admin_conn_t *ac)
{
    u_char            buf[4096];
    size_t            want;
    ssize_t           n;
    lb_connection_t  *c;

    c = ac->c;

    while (ac->req.len < ac->msg.content_length) {
        if (!c->read->ready) {
            return;
        }

        want = (size_t) ac->msg.content_length - ac->req.len;
        n = lb_conn_recv(c, buf, want < sizeof(buf) ? want : sizeof(buf));

        if (n > 0) {
            lb_admin_buf_append(&ac->req, buf, (size_t) n);
            if (ac->req.nomem) {
                lb_log_error(LB_LOG_CRIT, &lb_log, 0, "admin: out of memory "
                             "for the request body of %s", ac->addr);
                lb_admin_close(ac);
                return;
            }
            continue;
        }

        if (n == LB_AGAIN) {
            return;
        }

        if (n != 0) {
            lb_log_error(LB_LOG_INFO, &lb_log, errno, "admin: recv() of a "
                         "request body from %s failed", ac->addr);
        }

        lb_admin_close(ac);
        return;
    }

    ac->phase = LB_ADMIN_READ;
    lb_admin_request(ac);
}


/* a whole head (and its body, if any) has arrived */
static void
lb_admin_request(lb_admin_conn_t *ac)
{
    unsigned             allowed, m;
    lb_msec_t            retry;
    lb_http_msg_t       *msg;
    lb_admin_req_t       r;
    lb_connection_t     *c;
    lb_admin_handler_pt  handler;
    char                 extra[128];

    c = ac->c;
    msg = &ac->msg;

    if (c->read->timer_set) {
        lb_event_del_timer(c->read);
    }

    memset(&r, 0, sizeof(r));
    r.cycle = lb_admin.cycle;
    r.method = msg->method;
    r.status = 200;
    r.content_type = "application/json";
    r.body = &ac->body;
    lb_admin_buf_reset(&ac->body);

    ac->requests++;
    extra[0] = '\0';

    /* a body that was not read (chunked, too large) leaves the
     * connection unable to carry another request */
    ac->keep = msg->keep_alive
               && (msg->body == LB_HTTP_BODY_NONE
                   || (msg->body == LB_HTTP_BODY_LENGTH
                       && ac->req.len == msg->content_length))
               && ac->requests < LB_ADMIN_REQUESTS && !lb_quit
               && !lb_terminate;

    /* the console's files need no token: the page signs in */
    if (lb_admin_static_answer(msg, ac->in, ac->keep, ac->head,
                               sizeof(ac->head), &ac->head_len, &ac->out,
                               &ac->out_len)
        == LB_OK)
    {
        ac->sent = 0;
        ac->phase = LB_ADMIN_WRITE;
        lb_admin_send(ac);
        return;
    }

    if (msg->body == LB_HTTP_BODY_LENGTH && ac->req.len > 0) {
        r.req_body = ac->req.data;
        r.req_len = ac->req.len;
    }

    if (!lb_admin_limiter_allow(&lb_admin.limiter,
                                (struct sockaddr *) &c->sockaddr,
                                lb_current_msec, &retry))
    {
        snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
                 (unsigned) ((retry + 999) / 1000));
        lb_admin_error(&r, 429, "too many failed authentications from this "
                       "address; retry after %u s",
                       (unsigned) ((retry + 999) / 1000));
        goto respond;
    }

    if (!lb_admin_public(ac) && !lb_admin_authorized(ac, &r)) {
        lb_admin_limiter_fail(&lb_admin.limiter,
                              (struct sockaddr *) &c->sockaddr,
                              lb_current_msec);
        goto respond;
    }

    if (msg->body == LB_HTTP_BODY_CHUNKED) {
        lb_admin_error(&r, 411, "chunked request bodies are not accepted; "
                       "send the body with Content-Length (at most %d "
                       "bytes)", LB_ADMIN_BODY_MAX);
        goto respond;
    }

    if (msg->body == LB_HTTP_BODY_LENGTH
        && msg->content_length > LB_ADMIN_BODY_MAX)
    {
        lb_admin_error(&r, 413, "request body of %llu bytes; allowed: at "
                       "most %d", (unsigned long long) msg->content_length,
                       LB_ADMIN_BODY_MAX);
        goto respond;
    }

    if (lb_admin_parse_target(ac, &r, &handler, &allowed) != LB_OK) {
        goto respond;
    }

    if (handler == NULL) {
        if (allowed == 0) {
            lb_admin_error(&r, 404, "no such resource");

        } else {
            strcpy(extra, "Allow: ");
            for (m = 0; m < LB_HTTP_METHOD_N; m++) {
                if (allowed & (1u << m)) {
                    if (extra[7] != '\0') {
                        strcat(extra, ", ");
                    }
                    strcat(extra, lb_http_method_strs[m]);
                }
            }
            strcat(extra, "\r\n");

            lb_admin_error(&r, 405, "method not allowed; allowed: %.*s",
                           (int) (strlen(extra) - 9), extra + 7);
        }

        goto respond;
    }

    /* SPEC.md section 12: writes go to the active node */
    if (lb_admin_cluster_refuse(&r)) {
        goto respond;
    }

    handler(&r);

    if (ac->body.nomem) {
        lb_log_error(LB_LOG_CRIT, &lb_log, 0, "admin: out of memory for a "
                     "response to %s", ac->addr);
        lb_admin_buf_free(&ac->body);
        lb_admin_error(&r, 500, "out of memory");
        ac->keep = 0;
    }

respond:

    lb_admin_respond(ac, &r, extra);
}


/* exactly one X-Auth-Token, equal to the token: else 401 */
static bool
lb_admin_authorized(lb_admin_conn_t *ac, lb_admin_req_t *r)
{
    uint32_t     n;
    const char  *why;

    if (lb_admin_token_ok(ac, &n)) {
        return true;
    }

    why = (n == 0) ? "no X-Auth-Token" : (n > 1) ? "X-Auth-Token given twice"
                                                 : "wrong X-Auth-Token";

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "admin: %s: 401, %s", ac->addr,
                 why);

    lb_admin_error(r, 401, "%s; every request needs the token of "
                   "admin.token_file in X-Auth-Token", why);

    return false;
}


/* the request carries exactly one X-Auth-Token (*n: how many), equal to
 * the token */
static bool
lb_admin_token_ok(lb_admin_conn_t *ac, uint32_t *n)
{
    uint32_t           i;
    lb_http_header_t  *h, *token;

    *n = 0;
    token = NULL;

    for (i = 0; i < ac->msg.nheaders; i++) {
        h = &ac->headers[i];

        if (h->name.len == sizeof(LB_ADMIN_TOKEN_HEADER) - 1
            && lb_http_ieq(ac->in + h->name.off, LB_ADMIN_TOKEN_HEADER,
                           h->name.len))
        {
            token = h;
            (*n)++;
        }
    }

    return *n == 1
           && lb_admin_token_equal(ac->in + token->value.off,
                                   token->value.len, lb_admin.token,
                                   lb_admin.token_len);
}


/* admin.metrics_public: GET /metrics (query or not) needs no token;
 * the path is compared as sent, so an encoded spelling still needs it */
static bool
lb_admin_public(lb_admin_conn_t *ac)
{
    size_t       len;
    const char  *path;

    if (!lb_admin.cycle->conf->admin->metrics_public
        || ac->msg.method != LB_HTTP_METHOD_GET)
    {
        return false;
    }

    path = (const char *) ac->in + ac->msg.path.off;
    len = ac->msg.path.len;

    return len >= sizeof("/metrics") - 1
           && memcmp(path, "/metrics", sizeof("/metrics") - 1) == 0
           && (len == sizeof("/metrics") - 1
               || path[sizeof("/metrics") - 1] == '?');
}


/* The route, its decoded parameters and query: LB_OK (the handler may be
 * NULL: *allowed says 404 or 405), or LB_ERROR with a 400 written. */
static lb_int_t
lb_admin_parse_target(lb_admin_conn_t *ac, lb_admin_req_t *r,
    lb_admin_handler_pt *handler, unsigned *allowed)
{
    char                    *s, *end;
    size_t                   plen, qlen, i, k, eq;
    ssize_t                  n;
    uint32_t                 np;
    const char              *path, *q;
    lb_http_span_t           spans[LB_ADMIN_MAX_PARAMS];
    const lb_admin_route_t  *route;

    *handler = NULL;
    *allowed = 0;

    path = (const char *) ac->in + ac->msg.path.off;
    plen = ac->msg.path.len;

    if (plen == 0) {
        path = "/";
        plen = 1;
    }

    q = memchr(path, '?', plen);
    qlen = 0;

    if (q != NULL) {
        qlen = plen - (size_t) (q - path) - 1;
        plen = (size_t) (q - path);
        q++;
    }

    route = lb_admin_route_find(lb_admin_routes, r->method, path, plen,
                                spans, &np, allowed);
    if (route == NULL) {
        return LB_OK;
    }

    s = ac->scratch;
    end = ac->scratch + sizeof(ac->scratch);

    for (i = 0; i < np; i++) {
        n = lb_admin_decode(s, path + spans[i].off, spans[i].len, false);
        if (n < 0) {
            lb_admin_error(r, 400, "invalid percent-encoding in the path");
            return LB_ERROR;
        }
        r->params[i] = s;
        s += n + 1;
    }

    r->nparams = np;

    /* key=value pairs separated by '&'; empty pairs are skipped */
    for (i = 0; q != NULL && i < qlen; i = k + 1) {
        for (k = i; k < qlen && q[k] != '&'; k++) { /* void */ }

        if (k == i) {
            continue;
        }

        if (r->nquery == LB_ADMIN_MAX_QUERY) {
            lb_admin_error(r, 400, "more than %d query parameters",
                           LB_ADMIN_MAX_QUERY);
            return LB_ERROR;
        }

        for (eq = i; eq < k && q[eq] != '='; eq++) { /* void */ }

        if ((size_t) (end - s) < (k - i) + 2) {
            lb_admin_error(r, 400, "query string too long");
            return LB_ERROR;
        }

        n = lb_admin_decode(s, q + i, eq - i, true);
        if (n <= 0) {
            lb_admin_error(r, 400, "invalid query parameter name");
            return LB_ERROR;
        }
        r->qkeys[r->nquery] = s;
        s += n + 1;

        n = lb_admin_decode(s, q + eq + (eq < k), k - eq - (eq < k), true);
        if (n < 0) {
            lb_admin_error(r, 400, "invalid percent-encoding in the query");
            return LB_ERROR;
        }
        r->qvals[r->nquery++] = s;
        s += n + 1;
    }

    *handler = route->handler;

    return LB_OK;
}


/* Accept-Encoding lists gzip, and not with a q of 0 (RFC 9110 12.5.3) */
static bool
lb_admin_accepts_gzip(lb_admin_conn_t *ac)
{
    uint32_t           i;
    size_t             k, e, len;
    const u_char      *v;
    lb_http_header_t  *h;

    for (i = 0; i < ac->msg.nheaders; i++) {
        h = &ac->headers[i];

        if (h->name.len != sizeof("Accept-Encoding") - 1
            || !lb_http_ieq(ac->in + h->name.off, "Accept-Encoding",
                            h->name.len))
        {
            continue;
        }

        v = ac->in + h->value.off;
        len = h->value.len;

        /* each list element [k, e) */
        for (k = 0; k < len; k = e + 1) {
            while (k < len && (v[k] == ' ' || v[k] == '\t')) {
                k++;
            }

            for (e = k; e < len && v[e] != ','; e++) { /* void */ }

            if (e - k < 4 || !lb_http_ieq(v + k, "gzip", 4)) {
                continue;
            }

            k += 4;
            while (k < e && v[k] == ' ') {
                k++;
            }

            if (k == e) {
                return true;
            }

            if (v[k] != ';') {
                continue;
            }

            for (k++; k < e && v[k] == ' '; k++) { /* void */ }

            if (e - k < 3 || !lb_http_ieq(v + k, "q=", 2)) {
                return true;
            }

            /* q=0, 0., 0.0, ... refuses it */
            for (k += 2; k < e && (v[k] == '0' || v[k] == '.'); k++) {
                /* void */
            }

            return k < e && v[k] != ' ';
        }
    }

    return false;
}


static void
lb_admin_respond(lb_admin_conn_t *ac, lb_admin_req_t *r, const char *extra)
{
    int          n;
    const char  *encoding;
    char         length[48];

    ac->out = ac->body.data;
    ac->out_len = ac->body.len;
    encoding = "";

    if (ac->body.len >= LB_ADMIN_GZIP_MIN && ac->msg.err == LB_HTTP_ERR_NONE
        && lb_admin_accepts_gzip(ac) && lb_admin_gzip(ac) == LB_OK)
    {
        ac->out = ac->gz.data;
        ac->out_len = ac->gz.len;
        encoding = "Content-Encoding: gzip\r\n";
    }

    if (r->status >= 400 && r->status != 401 && r->status != 404
        && r->status != 405 && r->status != 429)
    {
        ac->keep = 0;
    }

    /* RFC 9110 8.6: a 204 has no Content-Length */
    length[0] = '\0';
    if (r->status != 204) {
        snprintf(length, sizeof(length), "Content-Length: %zu\r\n",
                 ac->out_len);
    }

    n = snprintf(ac->head, sizeof(ac->head),
                 "HTTP/1.1 %u %s\r\n"
                 "Server: weir\r\n"
                 "Content-Type: %s\r\n"
                 "%s"
                 "Cache-Control: no-store\r\n"
                 "X-Content-Type-Options: nosniff\r\n"
                 "Vary: Accept-Encoding\r\n"
                 "%s%s%s\r\n",
                 r->status, lb_admin_reason(r->status),
                 r->content_type ? r->content_type : "application/json",
                 length, encoding, extra ? extra : "",
                 ac->keep ? "" : "Connection: close\r\n");

    ac->head_len = (n > 0 && (size_t) n < sizeof(ac->head)) ? (size_t) n : 0;
    ac->sent = 0;
    ac->phase = LB_ADMIN_WRITE;

    if (ac->head_len == 0) {
        lb_admin_close(ac);
        return;
    }

    lb_log_debug(&lb_log, "admin: %s: %.*s: %u", ac->addr,
                 (int) ac->msg.start_line.len,
                 ac->in + ac->msg.start_line.off, r->status);

    lb_admin_send(ac);
}


static lb_int_t
lb_admin_gzip(lb_admin_conn_t *ac)
{
    int        rc;
    uLong      bound;
    z_stream   zs;

    memset(&zs, 0, sizeof(zs));

    /* 15 + 16: a gzip wrapper, not zlib's */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
    {
        return LB_ERROR;
    }

    bound = deflateBound(&zs, (uLong) ac->body.len);

    lb_admin_buf_reset(&ac->gz);

    if (ac->gz.size < bound) {
        /* grow it in one step */
        lb_admin_buf_free(&ac->gz);
        ac->gz.data = malloc(bound);
        if (ac->gz.data == NULL) {
            (void) deflateEnd(&zs);
            return LB_ERROR;
        }
        ac->gz.size = bound;
    }

    zs.next_in = ac->body.data;
    zs.avail_in = (uInt) ac->body.len;
    zs.next_out = ac->gz.data;
    zs.avail_out = (uInt) ac->gz.size;

    rc = deflate(&zs, Z_FINISH);
    ac->gz.len = zs.total_out;

    (void) deflateEnd(&zs);

    return rc == Z_STREAM_END ? LB_OK : LB_ERROR;
}


static void
lb_admin_send(lb_admin_conn_t *ac)
{
    int               niov;
    size_t            total, off;
    ssize_t           n;
    struct iovec      iov[2];
    lb_connection_t  *c;

    c = ac->c;
    total = ac->head_len + ac->out_len;

    while (ac->sent < total) {
        niov = 0;

        if (ac->sent < ac->head_len) {
            iov[niov].iov_base = ac->head + ac->sent;
            iov[niov++].iov_len = ac->head_len - ac->sent;
            off = 0;
        } else {
            off = ac->sent - ac->head_len;
        }

        if (off < ac->out_len) {
            iov[niov].iov_base = (void *) (ac->out + off);
            iov[niov++].iov_len = ac->out_len - off;
        }

        n = lb_conn_send_iov(c, iov, niov);

        if (n < 0) {
            if (n == LB_AGAIN) {
                lb_event_add_timer(c->write, LB_ADMIN_SEND_TIMEOUT);
                return;
            }

            lb_log_error(LB_LOG_INFO, &lb_log, errno, "admin: writev() to "
                         "%s failed", ac->addr);
            lb_admin_close(ac);
            return;
        }

        ac->sent += (size_t) n;
    }

    if (c->write->timer_set) {
        lb_event_del_timer(c->write);
    }

    if (!ac->keep) {
        /* what the client may still send is not read: say so first */
        if (c->ssl != NULL) {
            (void) lb_ssl_shutdown(c);
        }
        (void) shutdown(c->fd, SHUT_WR);
        lb_admin_close(ac);
        return;
    }

    lb_admin_next(ac);
}


/* keep-alive: the bytes after the head start the next request */
static void
lb_admin_next(lb_admin_conn_t *ac)
{
    size_t            rest;
    lb_connection_t  *c;

    c = ac->c;

    rest = ac->in_len - ac->msg.head_len - ac->req_in;
    if (rest > 0) {
        memmove(ac->in, ac->in + ac->msg.head_len + ac->req_in, rest);
    }

    ac->req_in = 0;
    if (ac->req.size > 4096) {
        lb_admin_buf_free(&ac->req);
    }
    lb_admin_buf_reset(&ac->req);

    ac->in_len = rest;
    ac->phase = LB_ADMIN_READ;
    ac->head_started = rest > 0;

    /* a big answer's memory is not kept for an idle connection */
    if (ac->body.size > 65536) {
        lb_admin_buf_free(&ac->body);
    }
    lb_admin_buf_free(&ac->gz);

    lb_http_msg_init(&ac->msg, ac->headers, LB_ADMIN_HEADERS,
                     &lb_admin_limits);

    lb_event_add_timer(c->read, rest ? LB_ADMIN_HEADER_TIMEOUT
                                     : LB_ADMIN_IDLE_TIMEOUT);

    if (rest > 0 || c->read->ready) {
        /* on the next iteration: a pipelining client must not recurse */
        lb_event_post(c->read);
    }
}


static void
lb_admin_close(lb_admin_conn_t *ac)
{
    lb_admin_buf_free(&ac->body);
    lb_admin_buf_free(&ac->gz);
    lb_admin_buf_free(&ac->req);
    lb_admin.nconns--;
    lb_close_connection(ac->c);
}


static const char *
lb_admin_reason(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default:  return "Error";
    }
}
