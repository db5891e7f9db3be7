/* weir: the heads the proxy writes: a request as it goes to a target and
 * a response as it goes to the client (RFC 9110 7.6.1 hop-by-hop fields,
 * RFC 9112 framing, the forwarded headers of SPEC.md section 2). Pure:
 * parsed message and its bytes in, text appended to a buffer out.
 *
 * Fields are copied as received (name spelling and value), one line each;
 * weir's own fields go last. A field a Connection token names is dropped
 * with the Connection field itself, whatever its name, except Upgrade in
 * an upgrade request or a 101. An upgrade request is one the proxy
 * tunnels: websocket only (lb_http_upgrade_allowed()). */
#include <stdio.h>
#include <string.h>

#include "lb_http_cookie.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"

static bool lb_http_hop_by_hop(const lb_http_msg_t *m, const u_char *start,
    const lb_http_header_t *h, bool keep_upgrade);
static lb_int_t lb_http_put(lb_http_buf_t *out, const void *p, size_t len);
static lb_int_t lb_http_put_str(lb_http_buf_t *out, const char *s);
static lb_int_t lb_http_put_field(lb_http_buf_t *out, const u_char *start,
    const lb_http_header_t *h);
static lb_int_t lb_http_put_xff(const lb_http_msg_t *m, const u_char *start,
    const lb_http_req_rewrite_t *rw, lb_http_buf_t *out);
static lb_int_t lb_http_put_cookie(const u_char *start,
    const lb_http_header_t *h, const lb_http_req_rewrite_t *rw,
    lb_http_buf_t *out);


lb_int_t
lb_http_request_head(const lb_http_msg_t *m, const u_char *start,
    const lb_http_req_rewrite_t *rw, lb_http_buf_t *out)
{
    char                     num[16];
    uint32_t                 i;
    const lb_http_header_t  *h;

    /* request-line: origin-form towards the target; an absolute-form
     * target's authority becomes Host (RFC 9112 3.2.2) */
    if (lb_http_put(out, start + m->method_text.off, m->method_text.len)
        != LB_OK
        || lb_http_put(out, " ", 1) != LB_OK)
    {
        return LB_DECLINED;
    }

    /* an absolute-form's path may be empty, with or without a query:
     * origin-form needs the "/" (RFC 9112 3.2.1), and an OPTIONS for the
     * whole server becomes asterisk-form (RFC 9112 3.2.4) */
    if (m->target_form == LB_HTTP_TARGET_ABSOLUTE
        && (m->path.len == 0 || start[m->path.off] == '?'))
    {
        if (m->path.len == 0 && m->method == LB_HTTP_METHOD_OPTIONS) {
            if (lb_http_put(out, "*", 1) != LB_OK) {
                return LB_DECLINED;
            }

        } else if (lb_http_put(out, "/", 1) != LB_OK
                   || lb_http_put(out, start + m->path.off, m->path.len)
                      != LB_OK)
        {
            return LB_DECLINED;
        }

    } else if (lb_http_put(out, start + m->path.off, m->path.len) != LB_OK) {
        return LB_DECLINED;
    }

    if (lb_http_put_str(out, " HTTP/1.1\r\n") != LB_OK) {
        return LB_DECLINED;
    }

    if (m->target_form == LB_HTTP_TARGET_ABSOLUTE) {
        if (lb_http_put_str(out, "Host: ") != LB_OK
            || lb_http_put(out, start + m->host.off, m->host.len) != LB_OK)
        {
            return LB_DECLINED;
        }

        if (m->port != 0) {
            snprintf(num, sizeof(num), ":%u", m->port);
            if (lb_http_put_str(out, num) != LB_OK) {
                return LB_DECLINED;
            }
        }

        if (lb_http_put(out, "\r\n", 2) != LB_OK) {
            return LB_DECLINED;
        }

    } else if (m->first[LB_HTTP_HDR_HOST] == 0 && rw->host != NULL) {
        /* an HTTP/1.0 request without Host goes on as HTTP/1.1, which
         * needs one */
        if (lb_http_put_str(out, "Host: ") != LB_OK
            || lb_http_put_str(out, rw->host) != LB_OK
            || lb_http_put(out, "\r\n", 2) != LB_OK)
        {
            return LB_DECLINED;
        }
    }

    for (i = 0; i < m->nheaders; i++) {
        h = &m->headers[i];

        if (lb_http_hop_by_hop(m, start, h, m->upgrade)) {
            continue;
        }

        switch (h->id) {

        case LB_HTTP_HDR_HOST:
            if (m->target_form == LB_HTTP_TARGET_ABSOLUTE) {
                continue;
            }
            break;

        case LB_HTTP_HDR_X_FORWARDED_FOR:
            if (rw->xff != LB_XFF_FALSE) {
                /* TRUE: all of them go in one field, below */
                continue;
            }
            break;

        case LB_HTTP_HDR_X_FORWARDED_PROTO:
            if (rw->xfp) {
                continue;
            }
            break;

        case LB_HTTP_HDR_X_FORWARDED_PORT:
            if (rw->xfport) {
                continue;
            }
            break;

        case LB_HTTP_HDR_COOKIE:
            if (rw->strip_cookie != NULL) {
                if (lb_http_put_cookie(start, h, rw, out) != LB_OK) {
                    return LB_DECLINED;
                }
                continue;
            }
            break;

        default:
            break;
        }

        if (lb_http_put_field(out, start, h) != LB_OK) {
            return LB_DECLINED;
        }
    }

    if (m->chunked
        && lb_http_put_str(out, "Transfer-Encoding: chunked\r\n") != LB_OK)
    {
        return LB_DECLINED;
    }

    if (m->upgrade
        && lb_http_put_str(out, "Connection: upgrade\r\n") != LB_OK)
    {
        return LB_DECLINED;
    }

    if (rw->xff == LB_XFF_TRUE && lb_http_put_xff(m, start, rw, out) != LB_OK)
    {
        return LB_DECLINED;
    }

    if (rw->xfp
        && lb_http_put_str(out, rw->https ? "X-Forwarded-Proto: https\r\n"
                                          : "X-Forwarded-Proto: http\r\n")
           != LB_OK)
    {
        return LB_DECLINED;
    }

    if (rw->xfport) {
        snprintf(num, sizeof(num), "%u", rw->port);

        if (lb_http_put_str(out, "X-Forwarded-Port: ") != LB_OK
            || lb_http_put_str(out, num) != LB_OK
            || lb_http_put(out, "\r\n", 2) != LB_OK)
        {
            return LB_DECLINED;
        }
    }

    return lb_http_put(out, "\r\n", 2);
}


lb_int_t
lb_http_response_head(const lb_http_msg_t *m, const u_char *start,
    const lb_http_resp_rewrite_t *rw, lb_http_buf_t *out)
{
    char                     line[16];
    bool                     tunnel;
    uint32_t                 i;
    const lb_http_header_t  *h;

    snprintf(line, sizeof(line), "HTTP/1.1 %03u ", m->code);

    if (lb_http_put_str(out, line) != LB_OK
        || lb_http_put(out, start + m->reason_phrase.off,
                       m->reason_phrase.len) != LB_OK
        || lb_http_put(out, "\r\n", 2) != LB_OK)
    {
        return LB_DECLINED;
    }

    tunnel = (m->code == 101);

    for (i = 0; i < m->nheaders; i++) {
        h = &m->headers[i];

        /* a response's Transfer-Encoding may list codings before
         * chunked: the body passes through as is, so the field does too
         * (unless the body loses its framing for an HTTP/1.0 client) */
        if (h->id == LB_HTTP_HDR_TRANSFER_ENCODING) {
            if (rw->dechunk || m->code < 200) {
                continue;
            }

            if (lb_http_put_field(out, start, h) != LB_OK) {
                return LB_DECLINED;
            }
            continue;
        }

        if (lb_http_hop_by_hop(m, start, h, tunnel)) {
            continue;
        }

        if (lb_http_put_field(out, start, h) != LB_OK) {
            return LB_DECLINED;
        }
    }

    if (m->code >= 200 && rw->set_cookie != NULL) {
        if (lb_http_put_str(out, "Set-Cookie: ") != LB_OK
            || lb_http_put(out, rw->set_cookie, rw->set_cookie_len) != LB_OK
            || lb_http_put(out, "\r\n", 2) != LB_OK)
        {
            return LB_DECLINED;
        }
    }

    if (tunnel) {
        if (lb_http_put_str(out, "Connection: upgrade\r\n") != LB_OK) {
            return LB_DECLINED;
        }

    } else if (m->code >= 200) {
        if (!rw->keep_alive) {
            if (lb_http_put_str(out, "Connection: close\r\n") != LB_OK) {
                return LB_DECLINED;
            }

        } else if (rw->client_version == 10
                   && lb_http_put_str(out, "Connection: keep-alive\r\n")
                      != LB_OK)
        {
            return LB_DECLINED;
        }
    }

    return lb_http_put(out, "\r\n", 2);
}


bool
lb_http_connection_names(const lb_http_msg_t *m, const u_char *start,
    const u_char *name, size_t len)
{
    uint32_t                 i;
    const u_char            *p, *e, *a, *b;
    const lb_http_header_t  *h;

    for (i = 0; i < m->nheaders; i++) {
        h = &m->headers[i];

        if (h->id != LB_HTTP_HDR_CONNECTION) {
            continue;
        }

        p = start + h->value.off;
        e = p + h->value.len;

        while (p < e) {
            for (a = p; a < e && (*a == ',' || *a == ' ' || *a == '\t');
                 a++)
            {
                /* void */
            }

            for (b = a; b < e && *b != ',' && *b != ' ' && *b != '\t'; b++)
            {
                /* void */
            }

            if ((size_t) (b - a) == len && len != 0
                && lb_http_ieq(a, (const char *) name, len))
            {
                return true;
            }

            p = b;
        }
    }

    return false;
}


bool
lb_http_upgrade_allowed(const lb_http_msg_t *m, const u_char *start)
{
    bool                     any;
    uint32_t                 i;
    const u_char            *p, *e, *a, *b;
    const lb_http_header_t  *h;

    any = false;

    for (i = 0; i < m->nheaders; i++) {
        h = &m->headers[i];

        if (h->id != LB_HTTP_HDR_UPGRADE) {
            continue;
        }

        p = start + h->value.off;
        e = p + h->value.len;

        /* Upgrade = #protocol (RFC 9110 7.8): empty elements are allowed,
         * a protocol-version is not for websocket */
        while (p < e) {
            for (a = p; a < e && (*a == ',' || *a == ' ' || *a == '\t');
                 a++)
            {
                /* void */
            }

            for (b = a; b < e && *b != ',' && *b != ' ' && *b != '\t'; b++)
            {
                /* void */
            }

            if (b > a) {
                if (b - a != 9 || !lb_http_ieq(a, "websocket", 9)) {
                    return false;
                }

                any = true;
            }

            p = b;
        }
    }

    return any;
}


/* RFC 9110 7.6.1: the fields that describe this connection only */
static bool
lb_http_hop_by_hop(const lb_http_msg_t *m, const u_char *start,
    const lb_http_header_t *h, bool keep_upgrade)
{
    switch (h->id) {

    case LB_HTTP_HDR_CONNECTION:
    case LB_HTTP_HDR_KEEP_ALIVE:
    case LB_HTTP_HDR_PROXY_CONNECTION:
    case LB_HTTP_HDR_TE:
    case LB_HTTP_HDR_TRANSFER_ENCODING:
        return true;

    case LB_HTTP_HDR_UPGRADE:
        return !keep_upgrade;

    default:
        break;
    }

    /* Connection: close, keep-alive, upgrade name options, but a field
     * called so goes too; "Connection: Host" cannot remove what the
     * framing and routing need */
    if (h->id == LB_HTTP_HDR_HOST || h->id == LB_HTTP_HDR_CONTENT_LENGTH) {
        return false;
    }

    return m->first[LB_HTTP_HDR_CONNECTION] != 0
           && lb_http_connection_names(m, start, start + h->name.off,
                                       h->name.len);
}


/* X-Forwarded-For: every value received, in order, then the client */
static lb_int_t
lb_http_put_xff(const lb_http_msg_t *m, const u_char *start,
    const lb_http_req_rewrite_t *rw, lb_http_buf_t *out)
{
    uint32_t                 i;
    const lb_http_header_t  *h;

    if (lb_http_put_str(out, "X-Forwarded-For: ") != LB_OK) {
        return LB_DECLINED;
    }

    for (i = 0; i < m->nheaders; i++) {
        h = &m->headers[i];

        if (h->id != LB_HTTP_HDR_X_FORWARDED_FOR || h->value.len == 0) {
            continue;
        }

        if (lb_http_put(out, start + h->value.off, h->value.len) != LB_OK
            || lb_http_put(out, ", ", 2) != LB_OK)
        {
            return LB_DECLINED;
        }
    }

    if (lb_http_put_str(out, rw->client_ip) != LB_OK) {
        return LB_DECLINED;
    }

    return lb_http_put(out, "\r\n", 2);
}


/* Cookie without weir's own cookie; nothing when no other is left */
static lb_int_t
lb_http_put_cookie(const u_char *start, const lb_http_header_t *h,
    const lb_http_req_rewrite_t *rw, lb_http_buf_t *out)
{
    size_t   n, room;
    u_char  *p;

    /* name, ": ", the value at most as long as it was, CRLF */
    room = h->name.len + 2 + h->value.len + 2;

    if ((size_t) (out->end - out->last) < room) {
        return LB_DECLINED;
    }

    p = out->last + h->name.len + 2;

    n = lb_http_cookie_strip(start + h->value.off, h->value.len,
                             rw->strip_cookie, rw->strip_cookie_len, p,
                             h->value.len);
    if (n == 0) {
        return LB_OK;
    }

    memcpy(out->last, start + h->name.off, h->name.len);
    out->last[h->name.len] = ':';
    out->last[h->name.len + 1] = ' ';
    out->last = p + n;
    *out->last++ = '\r';
    *out->last++ = '\n';

    return LB_OK;
}


static lb_int_t
lb_http_put(lb_http_buf_t *out, const void *p, size_t len)
{
    if ((size_t) (out->end - out->last) < len) {
        return LB_DECLINED;
    }

    memcpy(out->last, p, len);
    out->last += len;

    return LB_OK;
}


static lb_int_t
lb_http_put_str(lb_http_buf_t *out, const char *s)
{
    return lb_http_put(out, s, strlen(s));
}


static lb_int_t
lb_http_put_field(lb_http_buf_t *out, const u_char *start,
    const lb_http_header_t *h)
{
    size_t  need;

    need = h->name.len + 2 + h->value.len + 2;

    if ((size_t) (out->end - out->last) < need) {
        return LB_DECLINED;
    }

    memcpy(out->last, start + h->name.off, h->name.len);
    out->last += h->name.len;
    *out->last++ = ':';
    *out->last++ = ' ';
    memcpy(out->last, start + h->value.off, h->value.len);
    out->last += h->value.len;
    *out->last++ = '\r';
    *out->last++ = '\n';

    return LB_OK;
}
