/* weir: L7 policies on the data path (SPEC.md section 11). Each
 * generation compiles the policies of its HTTP and HTTPS listeners once
 * (lb_http_l7_build(), from lb_http.c): regular expressions with PCRE2,
 * JIT-compiled when the library can, freed with the generation's pool.
 * A request then goes through lb_http_l7_match(): the first policy, by
 * position, whose rules all match acts.
 *
 * What a rule looks at (decisions where SPEC.md is silent):
 *  - HOST_NAME: the request's host (absolute-form authority, else Host)
 *    without the port, compared ignoring ASCII case;
 *  - PATH: the path as received (not percent-decoded, as HAProxy's
 *    `path`), without the query; an absolute-form target without a path
 *    is "/";
 *  - FILE_TYPE: what follows the last '.' of the path's last segment,
 *    without the dot ("" when there is none);
 *  - HEADER: every field named `key` (any case); the rule matches when one
 *    of them does. COOKIE: the first cookie named `key` of the Cookie
 *    fields. A missing header or cookie does not match (so it matches an
 *    inverted rule);
 *  - a regular expression that runs into LB_HTTP_L7_MATCH_LIMIT fails its
 *    rule whether inverted or not: a client must not be able to pick the
 *    outcome of a rule by making it expensive.
 *
 * The match data and the match context are the worker's, made once: a
 * request allocates nothing here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* memmem() */
#endif

#include <stdio.h>
#include <string.h>

#include "lb_http_l7.h"
#include "lb_http_cookie.h"
#include "lb_http_parse.h"
#include "lb_log.h"
#include "lb_palloc.h"

/* what rules look at, found once per request: the path without its
 * query and its extension (computed when a rule first needs it) */
typedef struct {
    const lb_http_msg_t     *m;
    const u_char            *start;
    const u_char            *path;
    size_t                   path_len;
    const u_char            *ext;
    size_t                   ext_len;
    unsigned                 have_path:1;
    unsigned                 have_ext:1;
} lb_http_l7_view_t;

static lb_int_t lb_http_l7_worker_init(lb_shm_zone_t *zone);
static lb_zone_gauge_t *lb_http_l7_gauge(lb_shm_zone_t *zone,
    const char *name);
static void lb_http_l7_cleanup(void *data);
static lb_int_t lb_http_l7_rule_build(lb_http_l7_rule_t *hr,
    const lb_l7_rule_t *r, lb_pool_t *pool);
static bool lb_http_l7_rule_match(const lb_http_l7_rule_t *r,
    lb_http_l7_view_t *v);
static int lb_http_l7_compare(const lb_http_l7_rule_t *r, const u_char *s,
    size_t len, bool icase);
static inline u_char lb_http_l7_lower(u_char c);
static inline bool lb_http_l7_eq(const u_char *a, const u_char *b,
    size_t len, bool icase);
static void lb_http_l7_path(const lb_http_msg_t *m, const u_char *start,
    const u_char **path, size_t *len);

/* the worker's: one match at a time */
static pcre2_match_data     *lb_http_l7_md;
static pcre2_match_context  *lb_http_l7_mctx;
static uint64_t              lb_http_l7_limits;
static lb_zone_gauge_t      *lb_http_l7_limits_shared;


static lb_int_t
lb_http_l7_worker_init(lb_shm_zone_t *zone)
{
    if (lb_http_l7_limits_shared == NULL && zone != NULL) {
        lb_http_l7_limits_shared = lb_http_l7_gauge(zone,
                                                    LB_HTTP_L7_LIMIT_GAUGE);
    }

    if (lb_http_l7_md != NULL && lb_http_l7_mctx != NULL) {
        return LB_OK;
    }

    /* one pair: only "did it match" is asked; never a match without the
     * context, which holds the limits */
    if (lb_http_l7_md == NULL) {
        lb_http_l7_md = pcre2_match_data_create(1, NULL);
    }

    if (lb_http_l7_mctx == NULL) {
        lb_http_l7_mctx = pcre2_match_context_create(NULL);
    }

    if (lb_http_l7_md == NULL || lb_http_l7_mctx == NULL) {
        return LB_ERROR;
    }

    pcre2_set_match_limit(lb_http_l7_mctx, LB_HTTP_L7_MATCH_LIMIT);
    pcre2_set_depth_limit(lb_http_l7_mctx, LB_HTTP_L7_MATCH_LIMIT);

    return LB_OK;
}


lb_http_l7_t *
lb_http_l7_build(const lb_listener_t *l, lb_shm_zone_t *zone,
    lb_pool_t *pool)
{
    char                  name[LB_ZONE_GAUGE_NAME_LEN + 1];
    uint32_t              i, j, n;
    lb_http_l7_t         *l7;
    lb_l7_policy_t       *p;
    lb_http_l7_policy_t  *hp, tmp;

    if (lb_http_l7_worker_init(zone) != LB_OK) {
        return NULL;
    }

    l7 = lb_pcalloc(pool, sizeof(lb_http_l7_t));
    if (l7 == NULL) {
        return NULL;
    }

    if (l->nl7_policies == 0) {
        return l7;
    }

    l7->policies = lb_pcalloc(pool, l->nl7_policies
                                    * sizeof(lb_http_l7_policy_t));
    if (l7->policies == NULL) {
        return NULL;
    }

    n = 0;

    for (i = 0; i < l->nl7_policies; i++) {
        p = &l->l7_policies[i];

        /* a disabled policy, or one without rules, never applies */
        if (!p->is_enabled || p->nrules == 0) {
            continue;
        }

        hp = &l7->policies[n++];
        hp->conf = p;
        hp->nrules = p->nrules;

        if (zone != NULL && p->id != NULL) {
            snprintf(name, sizeof(name), LB_HTTP_L7_GAUGE "%s", p->id);
            hp->counter = lb_http_l7_gauge(zone, name);
        }

        hp->rules = lb_pcalloc(pool, p->nrules * sizeof(lb_http_l7_rule_t));
        if (hp->rules == NULL) {
            return NULL;
        }

        for (j = 0; j < p->nrules; j++) {
            if (lb_http_l7_rule_build(&hp->rules[j], &p->rules[j], pool)
                != LB_OK)
            {
                lb_log_error(LB_LOG_ALERT, &lb_log, 0, "L7 policy \"%s\" "
                             "of listener %s: rule %u could not be "
                             "compiled", p->name ? p->name : "",
                             l->name, j + 1);
                return NULL;
            }
        }
    }

    /* stable insertion sort by position: a few policies, once per
     * generation */
    for (i = 1; i < n; i++) {
        tmp = l7->policies[i];

        for (j = i; j > 0
             && l7->policies[j - 1].conf->position > tmp.conf->position;
             j--)
        {
            l7->policies[j] = l7->policies[j - 1];
        }

        l7->policies[j] = tmp;
    }

    l7->n = n;

    return l7;
}


static lb_int_t
lb_http_l7_rule_build(lb_http_l7_rule_t *hr, const lb_l7_rule_t *r,
    lb_pool_t *pool)
{
    lb_pool_cleanup_t  *cln;

    hr->type = r->type;
    hr->cmp = r->compare_type;
    hr->inverted = r->is_inverted;
    hr->value = (const u_char *) r->value;
    hr->value_len = strlen(r->value);

    if (r->key != NULL) {
        hr->key = (const u_char *) r->key;
        hr->key_len = strlen(r->key);
    }

    if (r->compare_type != LB_L7_CMP_REGEX) {
        return LB_OK;
    }

    cln = lb_pool_cleanup_add(pool);
    if (cln == NULL) {
        return LB_ERROR;
    }

    hr->re = lb_conf_l7_regex(r->value, r->type == LB_L7_RULE_HOST_NAME,
                              NULL, 0);
    if (hr->re == NULL) {
        return LB_ERROR;
    }

    cln->handler = lb_http_l7_cleanup;
    cln->data = hr->re;

    /* without JIT (a library built without it, no executable memory)
     * the interpreter runs the same pattern under the same limits */
    hr->jit = (pcre2_jit_compile(hr->re, PCRE2_JIT_COMPLETE) == 0);

    return LB_OK;
}


/* an existing counter without a slot (only `entered` is used: a slot
 * per generation would use them up), else a new one */
static lb_zone_gauge_t *
lb_http_l7_gauge(lb_shm_zone_t *zone, const char *name)
{
    uint32_t          slot;
    lb_zone_gauge_t  *g;

    g = lb_zone_gauge_find(zone, name);

    return g != NULL ? g : lb_zone_gauge_get(zone, name, &slot);
}


static void
lb_http_l7_cleanup(void *data)
{
    pcre2_code_free(data);
}


lb_http_l7_policy_t *
lb_http_l7_match(lb_http_l7_t *l7, const lb_http_msg_t *m,
    const u_char *start)
{
    uint32_t              i, j;
    lb_http_l7_view_t     v;
    lb_http_l7_policy_t  *p;

    if (l7 == NULL || l7->n == 0) {
        return NULL;
    }

    v.m = m;
    v.start = start;
    v.path = NULL;
    v.path_len = 0;
    v.ext = NULL;
    v.ext_len = 0;
    v.have_path = 0;
    v.have_ext = 0;

    for (i = 0; i < l7->n; i++) {
        p = &l7->policies[i];

        for (j = 0; j < p->nrules; j++) {
            if (!lb_http_l7_rule_match(&p->rules[j], &v)) {
                break;
            }
        }

        if (j == p->nrules) {
            p->matched++;

            if (p->counter != NULL) {
                __atomic_add_fetch(&p->counter->entered, 1,
                                   __ATOMIC_RELAXED);
            }

            return p;
        }
    }

    return NULL;
}


uint64_t
lb_http_l7_limit_hits(void)
{
    return lb_http_l7_limits;
}


/* a match limit hit fails the rule, inverted or not */
static bool
lb_http_l7_rule_match(const lb_http_l7_rule_t *r, lb_http_l7_view_t *vw)
{
    int                      rc;
    bool                     found;
    size_t                   len, k;
    uint32_t                 i;
    const u_char            *s, *v, *start;
    lb_http_span_t           val;
    const lb_http_msg_t     *m;
    const lb_http_header_t  *h;

    m = vw->m;
    start = vw->start;

    if ((r->type == LB_L7_RULE_PATH || r->type == LB_L7_RULE_FILE_TYPE)
        && !vw->have_path)
    {
        lb_http_l7_path(m, start, &vw->path, &vw->path_len);
        vw->have_path = 1;
    }

    switch (r->type) {

    case LB_L7_RULE_HOST_NAME:
        rc = lb_http_l7_compare(r, start + m->host.off, m->host.len, true);
        break;

    case LB_L7_RULE_PATH:
        rc = lb_http_l7_compare(r, vw->path, vw->path_len, false);
        break;

    case LB_L7_RULE_FILE_TYPE:
        if (!vw->have_ext) {
            s = vw->path;
            len = vw->path_len;

            for (k = len; k > 0 && s[k - 1] != '/' && s[k - 1] != '.'; k--)
            {
                /* void */
            }

            if (k > 0 && s[k - 1] == '.') {
                vw->ext = s + k;
                vw->ext_len = len - k;
            } else {
                vw->ext = s + len;
                vw->ext_len = 0;
            }

            vw->have_ext = 1;
        }

        rc = lb_http_l7_compare(r, vw->ext, vw->ext_len, false);
        break;

    case LB_L7_RULE_HEADER:
        rc = 0;

        for (i = 0; i < m->nheaders; i++) {
            h = &m->headers[i];

            if (h->name.len != r->key_len
                || !lb_http_l7_eq(start + h->name.off, r->key, r->key_len,
                                  true))
            {
                continue;
            }

            rc = lb_http_l7_compare(r, start + h->value.off, h->value.len,
                                    false);
            if (rc != 0) {
                break;
            }
        }
        break;

    case LB_L7_RULE_COOKIE:
        rc = 0;
        found = false;

        for (i = 0; i < m->nheaders && !found; i++) {
            h = &m->headers[i];

            if (h->id != LB_HTTP_HDR_COOKIE) {
                continue;
            }

            v = start + h->value.off;

            if (lb_http_cookie_find(v, h->value.len, r->key, r->key_len,
                                    &val)
                == LB_OK)
            {
                found = true;
                rc = lb_http_l7_compare(r, v + val.off, val.len, false);
            }
        }
        break;

    default:
        rc = 0;
    }

    if (rc < 0) {
        return false;
    }

    return (rc == 1) != r->inverted;
}


/* 1: matches, 0: does not, -1: the match limit was hit */
static int
lb_http_l7_compare(const lb_http_l7_rule_t *r, const u_char *s, size_t len,
    bool icase)
{
    int      rc;
    size_t   vl, i;

    vl = r->value_len;

    switch (r->cmp) {

    case LB_L7_CMP_EQUAL_TO:
        return len == vl && lb_http_l7_eq(s, r->value, vl, icase);

    case LB_L7_CMP_STARTS_WITH:
        return len >= vl && lb_http_l7_eq(s, r->value, vl, icase);

    case LB_L7_CMP_ENDS_WITH:
        return len >= vl && lb_http_l7_eq(s + len - vl, r->value, vl, icase);

    case LB_L7_CMP_CONTAINS:
        if (len < vl) {
            return 0;
        }

        if (!icase) {
            return memmem(s, len, r->value, vl) != NULL;
        }

        /* the first byte weeds out most places cheaply */
        for (i = 0; i + vl <= len; i++) {
            if (lb_http_l7_lower(s[i]) == lb_http_l7_lower(r->value[0])
                && lb_http_l7_eq(s + i, r->value, vl, true))
            {
                return 1;
            }
        }
        return 0;

    case LB_L7_CMP_REGEX:
        /* straight to the JIT code when there is some: pcre2_match()
         * would only check again what the build checked */
        rc = r->jit ? pcre2_jit_match(r->re, (PCRE2_SPTR) s, len, 0, 0,
                                      lb_http_l7_md, lb_http_l7_mctx)
                    : pcre2_match(r->re, (PCRE2_SPTR) s, len, 0, 0,
                                  lb_http_l7_md, lb_http_l7_mctx);

        if (rc >= 0) {
            return 1;
        }

        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
            || rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        {
            lb_http_l7_limits++;

            if (lb_http_l7_limits_shared != NULL) {
                __atomic_add_fetch(&lb_http_l7_limits_shared->entered, 1,
                                   __ATOMIC_RELAXED);
            }

            return -1;
        }

        return 0;
    }

    return 0;
}


static inline u_char
lb_http_l7_lower(u_char c)
{
    return (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
}


static inline bool
lb_http_l7_eq(const u_char *a, const u_char *b, size_t len, bool icase)
{
    size_t  i;

    if (!icase) {
        return memcmp(a, b, len) == 0;
    }

    for (i = 0; i < len; i++) {
        if (lb_http_l7_lower(a[i]) != lb_http_l7_lower(b[i])) {
            return false;
        }
    }

    return true;
}


/* the request's path without the query */
static void
lb_http_l7_path(const lb_http_msg_t *m, const u_char *start,
    const u_char **path, size_t *len)
{
    const u_char  *s, *q;

    if (m->path.len == 0) {
        *path = (const u_char *) "/";
        *len = 1;
        return;
    }

    s = start + m->path.off;
    q = memchr(s, '?', m->path.len);

    *path = s;
    *len = q != NULL ? (size_t) (q - s) : m->path.len;
}


size_t
lb_http_l7_location(const lb_l7_policy_t *p, const lb_http_msg_t *m,
    const u_char *start, u_char *buf, size_t size)
{
    size_t         n, plen;
    const char    *base;
    const u_char  *path;

    base = (p->action == LB_L7_REDIRECT_TO_URL) ? p->redirect_url
                                                : p->redirect_prefix;
    n = strlen(base);

    if (p->action == LB_L7_REDIRECT_TO_URL) {
        path = NULL;
        plen = 0;

    } else if (m->path.len == 0 || start[m->path.off] != '/') {
        /* absolute-form without a path; asterisk-form has none to keep */
        path = (const u_char *) "/";
        plen = 1;

    } else {
        path = start + m->path.off;
        plen = m->path.len;
    }

    /* "https://example.com/" + "/a" is one slash too many */
    if (plen && base[n - 1] == '/') {
        n--;
    }

    if (n + plen > size) {
        return 0;
    }

    memcpy(buf, base, n);

    if (plen) {
        memcpy(buf + n, path, plen);
    }

    return n + plen;
}
