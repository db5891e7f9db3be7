/* weir: Cookie and Set-Cookie reading, weir's own cookie taken out of a
 * Cookie value, and weir's own Set-Cookie. */
#include <string.h>

#include "lb_http_cookie.h"
#include "lb_http_parse.h"

static void lb_http_cookie_trim(const u_char **a, const u_char **b);
static bool lb_http_cookie_token(const u_char *a, const u_char *b);
static void lb_http_set_cookie_attr(const u_char *v, const u_char *a,
    const u_char *b, lb_http_set_cookie_t *sc);
static bool lb_http_cookie_put(u_char **p, u_char *end, const void *s,
    size_t n);

#define lb_http_cookie_span(v, a, b)                                         \
    ((lb_http_span_t) { (uint32_t) ((a) - (v)), (uint32_t) ((b) - (a)) })


bool
lb_http_cookie_name_valid(const u_char *name, size_t len)
{
    size_t  i;

    if (len == 0 || len > LB_HTTP_COOKIE_NAME_MAX) {
        return false;
    }

    for (i = 0; i < len; i++) {
        if (!(lb_http_char_class[name[i]] & LB_HTTP_C_CNAME)) {
            return false;
        }
    }

    return true;
}


lb_int_t
lb_http_cookie_next(const u_char *v, size_t len, size_t *pos,
    lb_http_cookie_t *c)
{
    const u_char  *p, *e, *q, *next, *a, *b, *eq, *na, *nb;

    e = v + len;

    for (p = v + lb_min(*pos, len); p < e; p = next) {
        q = memchr(p, ';', (size_t) (e - p));
        if (q == NULL) {
            q = e;
        }

        next = q < e ? q + 1 : e;

        a = p;
        b = q;
        lb_http_cookie_trim(&a, &b);

        eq = memchr(a, '=', (size_t) (b - a));
        if (eq == NULL) {
            continue;
        }

        na = a;
        nb = eq;
        lb_http_cookie_trim(&na, &nb);

        if (na == nb || !lb_http_cookie_token(na, nb)) {
            continue;
        }

        a = eq + 1;
        lb_http_cookie_trim(&a, &b);

        c->name = lb_http_cookie_span(v, na, nb);
        c->value = lb_http_cookie_span(v, a, b);
        *pos = (size_t) (next - v);

        return LB_OK;
    }

    *pos = len;

    return LB_DONE;
}


lb_int_t
lb_http_cookie_find(const u_char *v, size_t len, const u_char *name,
    size_t name_len, lb_http_span_t *value)
{
    size_t            pos;
    lb_http_cookie_t  c;

    pos = 0;

    while (lb_http_cookie_next(v, len, &pos, &c) == LB_OK) {
        if (c.name.len == name_len
            && memcmp(v + c.name.off, name, name_len) == 0)
        {
            *value = c.value;
            return LB_OK;
        }
    }

    return LB_DECLINED;
}


size_t
lb_http_cookie_strip(const u_char *v, size_t len, const u_char *name,
    size_t nlen, u_char *out, size_t size)
{
    size_t         n;
    const u_char  *p, *e, *a, *b, *q;

    n = 0;
    p = v;
    e = v + len;

    while (p < e) {
        q = memchr(p, ';', (size_t) (e - p));
        if (q == NULL) {
            q = e;
        }

        for (a = p; a < q && (*a == ' ' || *a == '\t'); a++) {
            /* void */
        }

        for (b = q; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--) {
            /* void */
        }

        p = (q < e) ? q + 1 : e;

        if (a == b) {
            continue;
        }

        /* "NAME=" or "NAME =" starts the pair: weir's cookie */
        if ((size_t) (b - a) > nlen && memcmp(a, name, nlen) == 0) {
            for (q = a + nlen; q < b && (*q == ' ' || *q == '\t'); q++) {
                /* void */
            }

            if (q < b && *q == '=') {
                continue;
            }
        }

        if (n + (n ? 2 : 0) + (size_t) (b - a) > size) {
            break;
        }

        if (n) {
            out[n++] = ';';
            out[n++] = ' ';
        }

        memcpy(out + n, a, (size_t) (b - a));
        n += (size_t) (b - a);
    }

    return n;
}


lb_int_t
lb_http_set_cookie_parse(const u_char *v, size_t len,
    lb_http_set_cookie_t *sc)
{
    const u_char  *e, *q, *eq, *a, *b;

    memset(sc, 0, sizeof(lb_http_set_cookie_t));

    e = v + len;

    q = memchr(v, ';', len);
    if (q == NULL) {
        q = e;
    }

    eq = memchr(v, '=', (size_t) (q - v));
    if (eq == NULL) {
        return LB_DECLINED;
    }

    a = v;
    b = eq;
    lb_http_cookie_trim(&a, &b);

    if (a == b || !lb_http_cookie_token(a, b)) {
        return LB_DECLINED;
    }

    sc->name = lb_http_cookie_span(v, a, b);

    a = eq + 1;
    b = q;
    lb_http_cookie_trim(&a, &b);
    sc->value = lb_http_cookie_span(v, a, b);

    while (q < e) {
        a = q + 1;

        q = memchr(a, ';', (size_t) (e - a));
        if (q == NULL) {
            q = e;
        }

        b = q;
        lb_http_cookie_trim(&a, &b);

        if (a < b) {
            lb_http_set_cookie_attr(v, a, b, sc);
        }
    }

    return LB_OK;
}


lb_int_t
lb_http_set_cookie_build(u_char *buf, size_t size, size_t *len,
    const lb_http_cookie_spec_t *spec)
{
    u_char         digits[10], *p, *end, *d;
    size_t         i;
    uint32_t       n;
    const u_char  *path;
    size_t         path_len;

    if (!lb_http_cookie_name_valid(spec->name, spec->name_len)) {
        return LB_ERROR;
    }

    for (i = 0; i < spec->value_len; i++) {
        if (!(lb_http_char_class[spec->value[i]] & LB_HTTP_C_COOKIE)) {
            return LB_ERROR;
        }
    }

    if (spec->path != NULL) {
        path = spec->path;
        path_len = spec->path_len;

    } else {
        path = (const u_char *) "/";
        path_len = 1;
    }

    if (path_len == 0 || path[0] != '/') {
        return LB_ERROR;
    }

    for (i = 0; i < path_len; i++) {
        if (path[i] < 0x21 || path[i] > 0x7e || path[i] == ';') {
            return LB_ERROR;
        }
    }

    d = digits + sizeof(digits);
    n = spec->max_age;

    do {
        *--d = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n != 0);

    p = buf;
    end = buf + size;

    if (!lb_http_cookie_put(&p, end, spec->name, spec->name_len)
        || !lb_http_cookie_put(&p, end, "=", 1)
        || !lb_http_cookie_put(&p, end, spec->value, spec->value_len)
        || !lb_http_cookie_put(&p, end, "; Max-Age=", 10)
        || !lb_http_cookie_put(&p, end, d,
                               (size_t) (digits + sizeof(digits) - d))
        || !lb_http_cookie_put(&p, end, "; Path=", 7)
        || !lb_http_cookie_put(&p, end, path, path_len)
        || !lb_http_cookie_put(&p, end, "; HttpOnly", 10)
        || (spec->secure && !lb_http_cookie_put(&p, end, "; Secure", 8)))
    {
        return LB_DECLINED;
    }

    *len = (size_t) (p - buf);

    return LB_OK;
}


static void
lb_http_cookie_trim(const u_char **a, const u_char **b)
{
    while (*a < *b && (**a == ' ' || **a == '\t')) {
        (*a)++;
    }

    while (*b > *a && ((*b)[-1] == ' ' || (*b)[-1] == '\t')) {
        (*b)--;
    }
}


static bool
lb_http_cookie_token(const u_char *a, const u_char *b)
{
    for ( /* void */ ; a < b; a++) {
        if (!lb_http_is_tchar(*a)) {
            return false;
        }
    }

    return true;
}


/* One cookie-av in [a, b) (trimmed, not empty) of Set-Cookie value v. */
static void
lb_http_set_cookie_attr(const u_char *v, const u_char *a, const u_char *b,
    lb_http_set_cookie_t *sc)
{
    bool           neg;
    size_t         n;
    int64_t        age;
    const u_char  *eq, *na, *nb, *va, *vb, *p;

    eq = memchr(a, '=', (size_t) (b - a));

    na = a;
    nb = eq != NULL ? eq : b;
    lb_http_cookie_trim(&na, &nb);

    va = eq != NULL ? eq + 1 : b;
    vb = b;
    lb_http_cookie_trim(&va, &vb);

    n = (size_t) (nb - na);

    if (n == 7 && lb_http_ieq(na, "max-age", 7)) {
        /* RFC 6265 5.2.2: [ "-" ] 1*DIGIT, else the attribute is ignored */
        p = va;
        neg = p < vb && *p == '-';
        if (neg) {
            p++;
        }

        if (p == vb) {
            return;
        }

        for (age = 0; p < vb; p++) {
            if (*p < '0' || *p > '9') {
                return;
            }

            if (age <= (INT64_MAX - 9) / 10) {
                age = age * 10 + (*p - '0');
            } else {
                age = INT64_MAX;
            }
        }

        sc->max_age = neg ? -age : age;
        sc->has_max_age = 1;

    } else if (n == 4 && lb_http_ieq(na, "path", 4)) {
        sc->path = lb_http_cookie_span(v, va, vb);

    } else if (n == 6 && lb_http_ieq(na, "domain", 6)) {
        sc->domain = lb_http_cookie_span(v, va, vb);

    } else if (n == 7 && lb_http_ieq(na, "expires", 7)) {
        sc->expires = lb_http_cookie_span(v, va, vb);

    } else if (n == 8 && lb_http_ieq(na, "samesite", 8)) {
        sc->samesite = lb_http_cookie_span(v, va, vb);

    } else if (n == 6 && lb_http_ieq(na, "secure", 6)) {
        sc->secure = 1;

    } else if (n == 8 && lb_http_ieq(na, "httponly", 8)) {
        sc->http_only = 1;
    }
}


static bool
lb_http_cookie_put(u_char **p, u_char *end, const void *s, size_t n)
{
    if ((size_t) (end - *p) < n) {
        return false;
    }

    if (n == 0) {
        return true;
    }

    memcpy(*p, s, n);
    *p += n;

    return true;
}
