/* weir: fuzz target for the cookie code of sticky sessions
 * (lb_http_cookie.c): Cookie values from clients, Set-Cookie values from
 * targets, and weir's own Set-Cookie.
 *
 * Input: byte 0 flags, byte 1 the length of a cookie name, byte 2 the
 * length of a path, 4 bytes of Max-Age, then the name, the path and the
 * field value.
 *
 * Checks: every pair lb_http_cookie_next() returns lies in the value, has
 * a non-empty token name, names and values trimmed and without ';', and
 * the walk moves forward; lb_http_cookie_find() returns the first pair of
 * that walk with the name; lb_http_cookie_strip() stays within its
 * buffer, leaves no cookie of the name (a valid one) and, given room,
 * keeps every other pair in order; lb_http_set_cookie_parse() spans lie in
 * the value and the name is a token; lb_http_set_cookie_build() accepts
 * exactly the names, values and paths its contract allows, says
 * LB_DECLINED when short of room, and what it writes reads back the same
 * (name, value, path, Max-Age, Secure, HttpOnly). */
#include "lb_fuzz.h"

#include "lb_http_cookie.h"
#include "lb_http_parse.h"

#define PAIRS  256

static void fuzz_pairs(const u_char *v, size_t len, const u_char *skip,
    size_t skip_len, lb_http_cookie_t *c, size_t *n);
static void fuzz_build(const u_char *name, size_t nlen, const u_char *path,
    size_t plen, uint32_t max_age, unsigned flags);
static bool fuzz_eq(const u_char *a, lb_http_span_t x, const u_char *b,
    lb_http_span_t y);
static void fuzz_span(lb_http_span_t s, size_t len);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                 nlen, plen, len, n, i, k, size2, olen, m;
    u_char                *name, *path, *v, *out;
    uint32_t               max_age;
    unsigned               flags;
    fuzz_in_t              in;
    lb_http_span_t         val;
    lb_http_cookie_t      *all, *kept, *left;
    lb_http_set_cookie_t   sc;

    in.p = data;
    in.left = size;

    flags = fuzz_u8(&in);
    nlen = fuzz_u8(&in);
    plen = fuzz_u8(&in);
    max_age = fuzz_u32(&in);

    name = fuzz_dup(&in, nlen, &nlen);
    path = fuzz_dup(&in, plen, &plen);
    v = fuzz_dup(&in, in.left, &len);
    all = calloc(3 * PAIRS, sizeof(lb_http_cookie_t));

    if (name == NULL || path == NULL || v == NULL || all == NULL) {
        goto done;
    }

    kept = all + PAIRS;
    left = all + 2 * PAIRS;

    /* the Cookie walk */
    fuzz_pairs(v, len, NULL, 0, all, &n);

    /* find: the first pair of the walk with that name */
    if (lb_http_cookie_find(v, len, name, nlen, &val) == LB_OK) {
        fuzz_span(val, len);

        for (i = 0; i < n; i++) {
            if (all[i].name.len == nlen
                && memcmp(v + all[i].name.off, name, nlen) == 0)
            {
                break;
            }
        }

        fuzz_assert(i < n || n == PAIRS);
        fuzz_assert(i == n || (all[i].value.off == val.off
                               && all[i].value.len == val.len));

    } else {
        for (i = 0; i < n; i++) {
            fuzz_assert(all[i].name.len != nlen
                        || memcmp(v + all[i].name.off, name, nlen) != 0);
        }
    }

    /* strip: into a buffer of every size from tight to roomy */
    size2 = (flags & 1) ? 2 * len + 2 : (size_t) (flags >> 1) % (len + 1);
    out = malloc(size2 ? size2 : 1);
    fuzz_assert(out != NULL);

    olen = lb_http_cookie_strip(v, len, name, nlen, out, size2);
    fuzz_assert(olen <= size2);

    if (lb_http_cookie_name_valid(name, nlen)) {
        fuzz_assert(lb_http_cookie_find(out, olen, name, nlen, &val)
                    == LB_DECLINED);

        if ((flags & 1) && n < PAIRS) {
            fuzz_pairs(v, len, name, nlen, kept, &k);
            fuzz_pairs(out, olen, NULL, 0, left, &m);

            fuzz_assert(k == m);

            for (i = 0; i < k; i++) {
                fuzz_assert(fuzz_eq(v, kept[i].name, out, left[i].name));
                fuzz_assert(fuzz_eq(v, kept[i].value, out, left[i].value));
            }
        }
    }

    free(out);

    /* Set-Cookie from a target */
    if (lb_http_set_cookie_parse(v, len, &sc) == LB_OK) {
        fuzz_span(sc.name, len);
        fuzz_span(sc.value, len);
        fuzz_span(sc.path, len);
        fuzz_span(sc.domain, len);
        fuzz_span(sc.expires, len);
        fuzz_span(sc.samesite, len);
        fuzz_assert(sc.name.len > 0);

        for (i = 0; i < sc.name.len; i++) {
            fuzz_assert(lb_http_is_tchar(v[sc.name.off + i]));
        }
    }

    /* weir's own Set-Cookie, from the name and path of the input */
    fuzz_build(name, nlen, (flags & 0x80) ? NULL : path, plen, max_age,
               flags);

done:

    free(all);
    free(v);
    free(path);
    free(name);

    return 0;
}


/* The walk of a Cookie value (at most PAIRS pairs), checked, without the
 * pairs named skip (when given). */
static void
fuzz_pairs(const u_char *v, size_t len, const u_char *skip, size_t skip_len,
    lb_http_cookie_t *all, size_t *n)
{
    size_t            pos, last, i;
    u_char            ch;
    lb_http_cookie_t  c;

    pos = 0;
    last = 0;
    *n = 0;

    while (*n < PAIRS && lb_http_cookie_next(v, len, &pos, &c) == LB_OK) {
        fuzz_assert(pos > last && pos <= len);
        last = pos;

        fuzz_span(c.name, len);
        fuzz_span(c.value, len);
        fuzz_assert(c.name.len > 0);
        fuzz_assert(c.name.off + c.name.len <= c.value.off);

        for (i = 0; i < c.name.len; i++) {
            fuzz_assert(lb_http_is_tchar(v[c.name.off + i]));
        }

        for (i = 0; i < c.value.len; i++) {
            fuzz_assert(v[c.value.off + i] != ';');
        }

        if (c.value.len) {
            ch = v[c.value.off];
            fuzz_assert(ch != ' ' && ch != '\t');
            ch = v[c.value.off + c.value.len - 1];
            fuzz_assert(ch != ' ' && ch != '\t');
        }

        if (skip != NULL && c.name.len == skip_len
            && memcmp(v + c.name.off, skip, skip_len) == 0)
        {
            continue;
        }

        all[(*n)++] = c;
    }
}


static void
fuzz_build(const u_char *name, size_t nlen, const u_char *path,
    size_t plen, uint32_t max_age, unsigned flags)
{
    size_t                 i, len, need, size;
    u_char                *buf;
    bool                   valid;
    lb_int_t               rc;
    lb_http_set_cookie_t   sc;
    lb_http_cookie_spec_t  spec;
    char                   digits[16];

    memset(&spec, 0, sizeof(spec));
    spec.name = name;
    spec.name_len = nlen;
    /* the value: the name's bytes again, so that some are valid */
    spec.value = name + nlen / 2;
    spec.value_len = nlen - nlen / 2;
    spec.path = path;
    spec.path_len = plen;
    spec.max_age = max_age;
    spec.secure = (flags >> 6) & 1;

    /* what the contract allows */
    valid = lb_http_cookie_name_valid(name, nlen);

    for (i = 0; i < spec.value_len; i++) {
        valid = valid && (lb_http_char_class[spec.value[i]]
                          & LB_HTTP_C_COOKIE);
    }

    if (path != NULL) {
        valid = valid && plen > 0 && path[0] == '/';
        for (i = 0; i < plen; i++) {
            valid = valid && path[i] >= 0x21 && path[i] <= 0x7e
                    && path[i] != ';';
        }
    }

    need = nlen + 1 + spec.value_len
           + 10 + (size_t) snprintf(digits, sizeof(digits), "%u", max_age)
           + 7 + (path ? plen : 1) + 10 + (spec.secure ? 8 : 0);

    /* room for it, or one byte less */
    size = need - ((flags >> 5) & 1);
    buf = malloc(size ? size : 1);
    fuzz_assert(buf != NULL);

    len = 0;
    rc = lb_http_set_cookie_build(buf, size, &len, &spec);

    if (!valid) {
        fuzz_assert(rc == LB_ERROR);

    } else if (size < need) {
        fuzz_assert(rc == LB_DECLINED);

    } else {
        fuzz_assert(rc == LB_OK);
        fuzz_assert(len == need);

        fuzz_assert(lb_http_set_cookie_parse(buf, len, &sc) == LB_OK);
        fuzz_assert(sc.name.len == nlen
                    && memcmp(buf + sc.name.off, name, nlen) == 0);
        fuzz_assert(sc.value.len == spec.value_len
                    && memcmp(buf + sc.value.off, spec.value,
                              spec.value_len) == 0);
        fuzz_assert(sc.has_max_age && sc.max_age == (int64_t) max_age);
        fuzz_assert(sc.http_only && sc.secure == spec.secure);

        if (path != NULL) {
            fuzz_assert(sc.path.len == plen
                        && memcmp(buf + sc.path.off, path, plen) == 0);
        } else {
            fuzz_assert(sc.path.len == 1 && buf[sc.path.off] == '/');
        }
    }

    free(buf);
}


static bool
fuzz_eq(const u_char *a, lb_http_span_t x, const u_char *b,
    lb_http_span_t y)
{
    return x.len == y.len && memcmp(a + x.off, b + y.off, x.len) == 0;
}


static void
fuzz_span(lb_http_span_t s, size_t len)
{
    fuzz_assert(s.off <= len && s.len <= len - s.off);
}
