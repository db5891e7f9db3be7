/* weir: route matching and the pieces every handler uses
 * (lb_admin_route.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lb_admin_json.h"
#include "lb_admin_route.h"

static bool lb_admin_route_match(const char *pattern, const char *path,
    size_t len, lb_http_span_t *params, uint32_t *nparams);
static int lb_admin_hex(char c);


const lb_admin_route_t *
lb_admin_route_find(const lb_admin_route_t *routes, lb_http_method_e method,
    const char *path, size_t len, lb_http_span_t *params, uint32_t *nparams,
    unsigned *allowed)
{
    const lb_admin_route_t  *r;

    *allowed = 0;
    *nparams = 0;

    for (r = routes; r->pattern != NULL; r++) {
        if (!lb_admin_route_match(r->pattern, path, len, params, nparams)) {
            continue;
        }

        if (r->method == method) {
            return r;
        }

        *allowed |= 1u << r->method;
    }

    *nparams = 0;

    return NULL;
}


/* segment by segment; "{...}" takes one non-empty segment */
static bool
lb_admin_route_match(const char *pattern, const char *path, size_t len,
    lb_http_span_t *params, uint32_t *nparams)
{
    size_t       i, seg;
    const char  *p, *end;

    *nparams = 0;
    p = pattern;
    i = 0;

    for ( ;; ) {
        if (*p == '\0' || i == len) {
            return *p == '\0' && i == len;
        }

        if (*p != '/' || path[i] != '/') {
            return false;
        }

        p++;
        i++;

        /* the path's segment [i, seg) */
        for (seg = i; seg < len && path[seg] != '/'; seg++) { /* void */ }

        if (*p == '{') {
            end = strchr(p, '}');
            if (end == NULL || seg == i || *nparams == LB_ADMIN_MAX_PARAMS) {
                return false;
            }

            params[*nparams].off = (uint32_t) i;
            params[*nparams].len = (uint32_t) (seg - i);
            (*nparams)++;
            p = end + 1;

        } else {
            end = strchr(p, '/');
            if (end == NULL) {
                end = p + strlen(p);
            }

            if ((size_t) (end - p) != seg - i
                || memcmp(p, path + i, seg - i) != 0)
            {
                return false;
            }

            p = end;
        }

        i = seg;
    }
}


ssize_t
lb_admin_decode(char *dst, const char *src, size_t len, bool plus)
{
    int     hi, lo;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (src[i] == '%') {
            if (i + 2 >= len) {
                return -1;
            }

            hi = lb_admin_hex(src[i + 1]);
            lo = lb_admin_hex(src[i + 2]);

            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return -1;
            }

            dst[n++] = (char) (hi << 4 | lo);
            i += 2;
            continue;
        }

        dst[n++] = (plus && src[i] == '+') ? ' ' : src[i];
    }

    dst[n] = '\0';

    return (ssize_t) n;
}


static int
lb_admin_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


void
lb_admin_error(lb_admin_req_t *r, unsigned status, const char *fmt, ...)
{
    char       msg[512];
    va_list    ap;
    lb_json_t  j;

    va_start(ap, fmt);
    (void) vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    r->status = status;
    r->content_type = "application/json";

    lb_admin_buf_reset(r->body);
    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "error");
    lb_json_uint(&j, "code", status);
    lb_json_str(&j, "message", msg);
    lb_json_object_end(&j);
    lb_json_object_end(&j);
    lb_admin_buf_append(r->body, "\n", 1);
}


void
lb_admin_conf_error(lb_admin_req_t *r, const lb_conf_json_error_t *e)
{
    lb_json_t  j;

    r->status = e->code;
    r->content_type = "application/json";

    lb_admin_buf_reset(r->body);
    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "error");
    lb_json_uint(&j, "code", e->code);
    lb_json_str(&j, "field", e->field[0] != '\0' ? e->field : NULL);
    lb_json_str(&j, "message", e->message);
    lb_json_object_end(&j);
    lb_json_object_end(&j);
    lb_admin_buf_append(r->body, "\n", 1);
}
