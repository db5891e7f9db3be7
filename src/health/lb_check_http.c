/* weir: HTTP and HTTPS checks. A request with the configured method,
 * url_path and version and a Host header goes to the monitor port (over
 * TLS for HTTPS, the certificate not verified; CONNECT asks for a tunnel
 * to the host:port its url_path names); only the status line of
 * the answer is read, at most LB_HEALTH_RECV_MAX bytes of it, and the
 * check passes when its code is one of expected_codes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_health.h"
#include "lb_health_check.h"
#include "lb_log.h"
#include "lb_palloc.h"

static void lb_check_http_start(lb_health_check_t *hc);
static lb_health_cause_e lb_check_http_abort(lb_health_check_t *hc);
static void lb_check_http_handler(lb_event_t *ev);
static void lb_check_http_connected(lb_health_check_t *hc);
static void lb_check_http_handshaked(lb_connection_t *c, lb_int_t rc);
static void lb_check_http_process(lb_health_check_t *hc);
static lb_int_t lb_check_http_send(lb_health_check_t *hc);
static lb_int_t lb_check_http_recv(lb_health_check_t *hc);
static void lb_check_http_fail(lb_health_check_t *hc,
    lb_health_cause_e cause, unsigned status);
static lb_health_cause_e lb_check_http_io_cause(lb_health_check_t *hc,
    int err, lb_health_cause_e other);

const lb_health_ops_t  lb_check_http_ops = {
    "HTTP",
    lb_check_http_start,
    lb_check_http_abort
};


lb_int_t
lb_check_http_request(lb_health_check_t *hc, lb_pool_t *pool)
{
    unsigned              port, def;
    const char           *body;
    lb_target_t          *t;
    lb_health_monitor_t  *hm;
    char                  ip[INET6_ADDRSTRLEN], host[128];

    t = hc->target;
    hm = hc->group->hm;

    if (hc->sa.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &hc->sa)->sin6_addr,
                  ip, sizeof(ip));
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *) &hc->sa)->sin_addr, ip,
                  sizeof(ip));
    }

    /* the port is left out where it is the scheme's own */
    port = t->monitor_port;
    def = hc->https ? 443 : 80;

    if (hc->sa.ss_family == AF_INET6) {
        if (port == def) {
            snprintf(host, sizeof(host), "[%s]", ip);
        } else {
            snprintf(host, sizeof(host), "[%s]:%u", ip, port);
        }
    } else if (port == def) {
        snprintf(host, sizeof(host), "%s", ip);
    } else {
        snprintf(host, sizeof(host), "%s:%u", ip, port);
    }

    /* a body-carrying method says it has none, so the server does not
     * wait for one */
    switch (hm->http_method) {
    case LB_METHOD_POST:
    case LB_METHOD_PUT:
    case LB_METHOD_PATCH:
        body = "Content-Length: 0\r\n";
        break;
    default:
        body = "";
        break;
    }

    /* CONNECT asks for a tunnel to the authority it names (the config
     * made url_path one), which is its Host too (RFC 9112 3.2.3) */
    if (hm->http_method == LB_METHOD_CONNECT) {
        snprintf(host, sizeof(host), "%s", hm->url_path);
    }

    hc->request = lb_psprintf(pool,
                              "%s %s HTTP/%s\r\n"
                              "Host: %s\r\n"
                              "User-Agent: weir-health-check\r\n"
                              "Accept: */*\r\n"
                              "%s"
                              "Connection: close\r\n"
                              "\r\n",
                              lb_http_method_names[hm->http_method],
                              hm->url_path, hm->http_version, host, body);
    if (hc->request == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for the check of target %s",
                     t->addr.text);
        return LB_ERROR;
    }

    hc->request_len = strlen(hc->request);

    return LB_OK;
}


bool
lb_health_code_expected(const lb_health_monitor_t *hm, unsigned code)
{
    if (code >= 8 * sizeof(hm->codes)) {
        return false;
    }

    return (hm->codes[code / 8] >> (code % 8)) & 1;
}


lb_int_t
lb_health_parse_status(const u_char *buf, size_t len, unsigned *code)
{
    size_t         i;
    unsigned       c;
    static const char  proto[] = "HTTP/d.d ddd";

    /* "HTTP/" DIGIT "." DIGIT SP 3DIGIT, then SP (reason) or the end of
     * the line */
    for (i = 0; i < sizeof(proto) - 1; i++) {
        if (i == len) {
            return LB_AGAIN;
        }

        if (proto[i] == 'd') {
            if (buf[i] < '0' || buf[i] > '9') {
                return LB_ERROR;
            }
        } else if (buf[i] != (u_char) proto[i]) {
            return LB_ERROR;
        }
    }

    if (i == len) {
        return LB_AGAIN;
    }

    if (buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n') {
        return LB_ERROR;
    }

    c = (unsigned) (buf[9] - '0') * 100 + (unsigned) (buf[10] - '0') * 10
        + (unsigned) (buf[11] - '0');

    if (c < 100 || c > 599) {
        return LB_ERROR;
    }

    *code = c;

    return LB_OK;
}


static void
lb_check_http_start(lb_health_check_t *hc)
{
    if (lb_health_check_connect(hc, lb_check_http_handler) == LB_OK) {
        lb_check_http_connected(hc);
    }
}


static lb_health_cause_e
lb_check_http_abort(lb_health_check_t *hc)
{
    lb_health_phase_e  phase;

    phase = hc->phase;

    lb_health_check_close(hc);

    switch (phase) {
    case LB_HEALTH_PHASE_CONNECT:
        return LB_HEALTH_CONNECT_TIMEOUT;
    case LB_HEALTH_PHASE_HANDSHAKE:
        return LB_HEALTH_TLS_TIMEOUT;
    default:
        return LB_HEALTH_TIMEOUT;
    }
}


static void
lb_check_http_handler(lb_event_t *ev)
{
    int                 err;
    lb_connection_t    *c;
    lb_health_check_t  *hc;

    c = ev->data;
    hc = c->data;

    if (hc->phase != LB_HEALTH_PHASE_CONNECT) {
        lb_check_http_process(hc);
        return;
    }

    if (!ev->write && !ev->error) {
        return;
    }

    err = lb_event_connect_result(c);

    if (err != 0) {
        hc->err = err;
        lb_health_check_close(hc);
        lb_health_check_done(hc, false, lb_health_connect_cause(err), 0);
        return;
    }

    lb_check_http_connected(hc);
}


static void
lb_check_http_connected(lb_health_check_t *hc)
{
    SSL_CTX            *ctx;
    lb_connection_t    *c;
    lb_target_group_t  *tg;

    if (!hc->https) {
        hc->phase = LB_HEALTH_PHASE_SEND;
        lb_check_http_process(hc);
        return;
    }

    c = hc->c;
    tg = hc->group->tg;
    ctx = lb_ssl_group_ctx(lb_cycle, tg);

    if (ctx == NULL) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "no TLS client context for the HTTPS check of %s",
                     hc->target->addr.text);
        lb_check_http_fail(hc, LB_HEALTH_TLS_ERROR, 0);
        return;
    }

    hc->phase = LB_HEALTH_PHASE_HANDSHAKE;

    /* the check's own timeout bounds the handshake; tls_verify checks
     * the certificate as the workers do (tls_verify_name is the SNI
     * then too) */
    if (lb_ssl_client_start(ctx, c, tg->tls_verify_name,
                            tg->tls_verify_name != NULL
                            ? tg->tls_verify_name : hc->target->address,
                            0, lb_check_http_handshaked)
        != LB_OK)
    {
        lb_check_http_fail(hc, LB_HEALTH_TLS_ERROR, 0);
    }
}


static void
lb_check_http_handshaked(lb_connection_t *c, lb_int_t rc)
{
    lb_health_check_t  *hc;

    hc = c->data;

    c->read->handler = lb_check_http_handler;
    c->write->handler = lb_check_http_handler;

    if (rc != LB_OK) {
        lb_check_http_fail(hc, LB_HEALTH_TLS_ERROR, 0);
        return;
    }

    hc->phase = LB_HEALTH_PHASE_SEND;
    lb_check_http_process(hc);
}


/* Send what is left of the request, then read until the status line is
 * there; stops when the socket would block. */
static void
lb_check_http_process(lb_health_check_t *hc)
{
    lb_int_t  rc;

    if (hc->phase == LB_HEALTH_PHASE_SEND) {
        rc = lb_check_http_send(hc);
        if (rc != LB_OK) {
            return;
        }
        hc->phase = LB_HEALTH_PHASE_RECV;
    }

    if (hc->phase == LB_HEALTH_PHASE_RECV) {
        (void) lb_check_http_recv(hc);
    }
}


/* LB_OK: all sent; LB_AGAIN: wait; LB_ERROR: the check is done. */
static lb_int_t
lb_check_http_send(lb_health_check_t *hc)
{
    ssize_t           n;
    lb_connection_t  *c;

    c = hc->c;

    while (hc->sent < hc->request_len) {
        if (!c->write->ready) {
            return LB_AGAIN;
        }

        n = lb_conn_send(c, (const u_char *) hc->request + hc->sent,
                         hc->request_len - hc->sent);

        if (n == LB_AGAIN) {
            return LB_AGAIN;
        }

        if (n == LB_ERROR) {
            hc->err = errno;
            lb_check_http_fail(hc, lb_check_http_io_cause(hc, hc->err,
                                                   LB_HEALTH_SEND_FAILED), 0);
            return LB_ERROR;
        }

        hc->sent += (size_t) n;
    }

    return LB_OK;
}


/* Read the status line and judge it. LB_AGAIN: wait; else the check is
 * done. */
static lb_int_t
lb_check_http_recv(lb_health_check_t *hc)
{
    ssize_t           n;
    unsigned          code;
    lb_int_t          rc;
    lb_connection_t  *c;

    c = hc->c;

    for ( ;; ) {
        if (!c->read->ready) {
            return LB_AGAIN;
        }

        n = lb_conn_recv(c, hc->buf + hc->nbuf,
                         LB_HEALTH_RECV_MAX - hc->nbuf);

        if (n == LB_AGAIN) {
            return LB_AGAIN;
        }

        if (n == LB_ERROR) {
            hc->err = errno;
            lb_check_http_fail(hc, lb_check_http_io_cause(hc, hc->err,
                                                   LB_HEALTH_RECV_FAILED), 0);
            return LB_ERROR;
        }

        hc->nbuf += (size_t) n;

        rc = lb_health_parse_status(hc->buf, hc->nbuf, &code);

        if (rc == LB_OK) {
            hc->status = code;
            if (!lb_health_code_expected(hc->group->hm, code)) {
                lb_check_http_fail(hc, LB_HEALTH_BAD_STATUS, code);
                return LB_ERROR;
            }
            lb_health_check_close(hc);
            lb_health_check_done(hc, true, LB_HEALTH_NONE, 0);
            return LB_OK;
        }

        if (rc == LB_ERROR || hc->nbuf == LB_HEALTH_RECV_MAX) {
            lb_check_http_fail(hc, LB_HEALTH_INVALID_RESPONSE, 0);
            return LB_ERROR;
        }

        if (n == 0) {
            lb_check_http_fail(hc, hc->nbuf ? LB_HEALTH_INVALID_RESPONSE
                                            : LB_HEALTH_CLOSED, 0);
            return LB_ERROR;
        }
    }
}


static void
lb_check_http_fail(lb_health_check_t *hc, lb_health_cause_e cause,
    unsigned status)
{
    lb_health_check_close(hc);
    lb_health_check_done(hc, false, cause, status);
}


/* the cause behind errno err of lb_conn_send() or lb_conn_recv() */
static lb_health_cause_e
lb_check_http_io_cause(lb_health_check_t *hc, int err,
    lb_health_cause_e other)
{
    switch (err) {
    case EPROTO:
        /* a TLS error (its reason is logged by the TLS layer) */
        return hc->https ? LB_HEALTH_TLS_ERROR : other;
    case ECONNRESET:
    case EPIPE:
        return LB_HEALTH_RESET;
    case EHOSTUNREACH:
    case ENETUNREACH:
        return LB_HEALTH_UNREACHABLE;
    case ETIMEDOUT:
        return LB_HEALTH_TIMEOUT;
    }

    return other;
}
