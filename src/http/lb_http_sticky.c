/* weir: sticky sessions of HTTP target groups (SPEC.md section 5).
 *
 * HTTP_COOKIE: weir sets its own cookie, WEIRSTICKY, whose value names
 * the target: the first 12 bytes, in hex, of HMAC-SHA-256 over the
 * target group's id and the target's address, keyed by a secret that the
 * first worker draws at random and keeps in the shared zone (all workers
 * and reloads use the same one). The address cannot be read back from the
 * value, and a value cannot be made up for a target. With a peers block
 * the sync process may replace the secret with the first node's; it then
 * bumps the zone journal's secret_gen, and a worker that sees the change
 * (one atomic load per HTTP_COOKIE request) reads the secret again and
 * computes its groups' values anew, so a cookie of any node is honoured
 * without a reload. The binding lives in
 * the cookie: its Max-Age is persistence_timeout. weir's cookie is not
 * passed on to the target.
 *
 * APP_COOKIE: the target sets cookie_name; weir learns value -> target
 * (the target's zone record id, which survives reloads) from Set-Cookie
 * in responses, in a table of the shared zone per target group, and
 * routes later requests carrying that value to the target. A binding
 * expires persistence_timeout after its last use; a Set-Cookie with
 * Max-Age <= 0 removes it. Values the table has not learnt are balanced
 * normally (as Octavia's APP_COOKIE does).
 *
 * Either way, a binding to a target that is unusable (weight 0,
 * unhealthy, gone from the group, or failed for this request) gives a
 * fresh choice: HTTP_COOKIE sends a new cookie, APP_COOKIE rebinds the
 * value to the new target. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* qsort_r() */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lb_http_cookie.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_sticky.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_journal.h"

#define LB_HTTP_STICKY_BYTES     12       /* of the HMAC, in the cookie */
#define LB_HTTP_APP_CAPACITY     8192     /* bindings per target group */
#define LB_HTTP_SECRET_TABLE     "http:sticky-secret"

static lb_http_peer_t *lb_http_sticky_cookie_peer(lb_http_session_t *s,
    const lb_http_span_t *v);
static lb_http_peer_t *lb_http_sticky_app_peer(lb_http_session_t *s);
static bool lb_http_sticky_cookie(lb_http_session_t *s, const char *name,
    size_t nlen, lb_http_span_t *v);
static size_t lb_http_app_key(const u_char *v, size_t len, u_char *key);
static lb_http_peer_t *lb_http_peer_by_zone_id(lb_http_group_t *g,
    uint32_t id);
static int lb_http_zone_id_cmp(const void *a, const void *b, void *g);
static void lb_http_sticky_values(lb_http_group_t *g);
static void lb_http_sticky_fresh(lb_http_group_t *g);


size_t
lb_http_sticky_value(const u_char *secret, size_t secret_len,
    const char *group_id, const char *target_addr, u_char *out)
{
    size_t    i, glen, alen;
    u_char    md[EVP_MAX_MD_SIZE], msg[512];
    unsigned  mdlen;
    static const char  hex[] = "0123456789abcdef";

    /* group id, NUL, address: no two pairs give the same message */
    glen = strlen(group_id) + 1;
    alen = strlen(target_addr);

    if (glen + alen > sizeof(msg)) {
        glen = lb_min(glen, sizeof(msg) / 2);
        alen = lb_min(alen, sizeof(msg) - glen);
    }

    memcpy(msg, group_id, glen);
    memcpy(msg + glen, target_addr, alen);

    mdlen = 0;

    if (HMAC(EVP_sha256(), secret, (int) secret_len, msg, glen + alen, md,
             &mdlen)
        == NULL)
    {
        /* only out of memory gets here: a value that matches nothing */
        memset(md, 0, sizeof(md));
    }

    for (i = 0; i < LB_HTTP_STICKY_BYTES; i++) {
        out[2 * i] = (u_char) hex[md[i] >> 4];
        out[2 * i + 1] = (u_char) hex[md[i] & 0xf];
    }

    return 2 * LB_HTTP_STICKY_BYTES;
}


lb_int_t
lb_http_sticky_secret(lb_shm_zone_t *zone, u_char *secret, size_t len)
{
    lb_int_t          rc;
    lb_zone_table_t  *t;

    t = lb_zone_table_get(zone, LB_HTTP_SECRET_TABLE, 8, len, 1, true);
    if (t == NULL) {
        return LB_ERROR;
    }

    /* the zone lock makes "look up, else draw and store" one step among
     * workers starting at the same time */
    if (lb_zone_lock(zone) != LB_OK) {
        return LB_ERROR;
    }

    rc = lb_zone_table_lookup(t, "secret", 6, lb_current_msec, 0, secret);

    if (rc == LB_DECLINED) {
        if (RAND_bytes(secret, (int) len) != 1) {
            lb_zone_unlock(zone);
            lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                         "RAND_bytes() failed for the sticky cookie key");
            return LB_ERROR;
        }

        rc = lb_zone_table_set(t, "secret", 6, secret, lb_current_msec,
                               (lb_msec_t) 1 << 60);
    }

    lb_zone_unlock(zone);

    return rc == LB_OK ? LB_OK : LB_ERROR;
}


lb_int_t
lb_http_sticky_init(lb_http_group_t *g, lb_shm_zone_t *zone, lb_pool_t *pool)
{
    char              name[LB_ZONE_TABLE_NAME_LEN + 1];
    uint32_t          i, n;
    lb_persistence_t *sp;

    sp = g->tg->session_persistence;

    if (sp == NULL || sp->type == LB_PERSIST_SOURCE_IP) {
        /* SOURCE_IP is the balancer's (lb_sticky.c) */
        return LB_OK;
    }

    g->sticky = sp;

    if (sp->type == LB_PERSIST_HTTP_COOKIE) {
        lb_http_sticky_values(g);
        return LB_OK;
    }

    /* APP_COOKIE */

    g->by_zone_id = lb_palloc(pool, (g->bg->npeers + 1) * sizeof(uint32_t));
    if (g->by_zone_id == NULL) {
        return LB_ERROR;
    }

    for (i = 0, n = 0; i < g->bg->npeers; i++) {
        if (g->peers[i].bp->zone != NULL) {
            g->by_zone_id[n++] = i;
        }
    }

    g->nzone_ids = n;
    qsort_r(g->by_zone_id, n, sizeof(uint32_t), lb_http_zone_id_cmp, g);

    if (zone == NULL) {
        return LB_OK;
    }

    /* the same name the master looks for when it retires the tables of
     * groups a reload removed */
    lb_sticky_table_name(g->tg, LB_STICKY_APP_PREFIX, name, sizeof(name));

    g->app_table = lb_zone_table_get(zone, name, LB_HTTP_APP_KEY,
                                     sizeof(uint32_t), LB_HTTP_APP_CAPACITY,
                                     true);
    if (g->app_table == NULL) {
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "target group \"%s\": no room in the shared zone for "
                     "APP_COOKIE bindings, session persistence is off in "
                     "this worker", g->tg->name);
    }

    return LB_OK;
}


/* The HTTP_COOKIE values of g's targets under the worker's secret. */
static void
lb_http_sticky_values(lb_http_group_t *g)
{
    uint32_t         i;
    const char      *id;
    lb_http_peer_t  *p;

    id = g->tg->id != NULL ? g->tg->id : g->tg->name;

    for (i = 0; i < g->bg->npeers; i++) {
        p = &g->peers[i];
        p->cookie_len = (uint32_t) lb_http_sticky_value(
                            lb_http_worker.secret,
                            sizeof(lb_http_worker.secret), id,
                            p->bp->target->addr.text, p->cookie);
    }

    g->secret_gen = lb_http_worker.secret_gen;
}


/* A peer's secret applied by the sync process since this worker read its
 * own: read it again (the zone lock, once per change), then g's values.
 * Otherwise one atomic load. */
static void
lb_http_sticky_fresh(lb_http_group_t *g)
{
    uint64_t        gen;
    lb_shm_zone_t  *zone;

    if (lb_zone_journal == NULL) {
        return;
    }

    gen = __atomic_load_n(&lb_zone_journal->secret_gen, __ATOMIC_ACQUIRE);

    if (gen != lb_http_worker.secret_gen) {
        zone = lb_http_worker.cycle != NULL ? lb_http_worker.cycle->zone
                                            : NULL;

        if (zone == NULL
            || lb_http_sticky_secret(zone, lb_http_worker.secret,
                                     sizeof(lb_http_worker.secret))
               != LB_OK)
        {
            /* the old secret stays; tried again at the next request */
            return;
        }

        lb_http_worker.secret_gen = gen;
        lb_log_error(LB_LOG_INFO, &lb_log, 0,
                     "the HTTP_COOKIE secret of the peers is taken");
    }

    if (g->secret_gen != lb_http_worker.secret_gen) {
        lb_http_sticky_values(g);
    }
}


static int
lb_http_zone_id_cmp(const void *a, const void *b, void *data)
{
    uint32_t          x, y;
    lb_http_group_t  *g;

    g = data;
    x = g->peers[*(const uint32_t *) a].bp->zone->id;
    y = g->peers[*(const uint32_t *) b].bp->zone->id;

    return x < y ? -1 : x > y;
}


lb_http_peer_t *
lb_http_sticky_pick(lb_http_session_t *s)
{
    lb_http_span_t     v;
    lb_http_group_t   *g;
    lb_http_peer_t    *p;
    lb_persistence_t  *sp;

    g = s->group;
    sp = g->sticky;

    if (sp != NULL && sp->type == LB_PERSIST_HTTP_COOKIE) {
        lb_http_sticky_fresh(g);
    }

    /* only the first try: a stuck target that failed is tried already,
     * and the request head in cin may be gone by a retry */
    if (sp == NULL || s->tries > 1) {
        return NULL;
    }

    if (sp->type == LB_PERSIST_HTTP_COOKIE) {
        if (!lb_http_sticky_cookie(s, LB_HTTP_STICKY_COOKIE,
                                   sizeof(LB_HTTP_STICKY_COOKIE) - 1, &v))
        {
            return NULL;
        }

        p = lb_http_sticky_cookie_peer(s, &v);

    } else {
        s->app_key_len = 0;

        if (g->app_table == NULL
            || !lb_http_sticky_cookie(s, sp->cookie_name,
                                      strlen(sp->cookie_name), &v))
        {
            return NULL;
        }

        s->app_key_len = (uint32_t) lb_http_app_key(s->cin.start + v.off,
                                                    v.len, s->app_key);
        p = lb_http_sticky_app_peer(s);
    }

    if (p == NULL || !lb_balancer_usable(p->bp, &s->tried)) {
        return NULL;
    }

    /* counted as lb_balancer_pick() counts its own choices, so that
     * lb_balancer_release() undoes it */
    s->breq.tried = &s->tried;
    lb_balancer_take(g->bg, p->bp, &s->breq);

    return p;
}


void
lb_http_sticky_chosen(lb_http_session_t *s, lb_http_peer_t *p)
{
    size_t                 n;
    uint32_t               id;
    lb_persistence_t      *sp;
    lb_http_cookie_spec_t  spec;

    sp = s->group->sticky;
    s->set_cookie_len = 0;

    if (sp == NULL) {
        return;
    }

    if (sp->type == LB_PERSIST_HTTP_COOKIE) {
        lb_http_sticky_fresh(s->group);

        spec.name = (const u_char *) LB_HTTP_STICKY_COOKIE;
        spec.name_len = sizeof(LB_HTTP_STICKY_COOKIE) - 1;
        spec.value = p->cookie;
        spec.value_len = p->cookie_len;
        spec.path = NULL;
        spec.path_len = 0;
        spec.max_age = (uint32_t) (sp->persistence_timeout / 1000);
        spec.secure = (s->listener->protocol == LB_LISTENER_HTTPS);

        if (lb_http_set_cookie_build(s->set_cookie, sizeof(s->set_cookie),
                                     &n, &spec)
            == LB_OK)
        {
            s->set_cookie_len = (uint32_t) n;
        }
        return;
    }

    /* APP_COOKIE: a value bound to a target that cannot take it now
     * follows the fresh choice */
    if (s->group->app_table == NULL || p->bp->zone == NULL
        || s->app_key_len == 0)
    {
        return;
    }

    if (lb_zone_table_lookup(s->group->app_table, s->app_key,
                             s->app_key_len, lb_current_msec, 0, &id)
        == LB_OK && id != p->bp->zone->id)
    {
        id = p->bp->zone->id;
        (void) lb_zone_table_set(s->group->app_table, s->app_key,
                                 s->app_key_len, &id, lb_current_msec,
                                 sp->persistence_timeout);
    }
}


void
lb_http_sticky_learn(lb_http_session_t *s)
{
    size_t                  n, nlen;
    u_char                  key[LB_HTTP_APP_KEY];
    uint32_t                i, id;
    const char             *name;
    lb_http_header_t       *h;
    lb_persistence_t       *sp;
    lb_http_set_cookie_t    sc;

    sp = s->group != NULL ? s->group->sticky : NULL;

    if (sp == NULL || sp->type != LB_PERSIST_APP_COOKIE
        || s->group->app_table == NULL || s->peer == NULL
        || s->peer->bp->zone == NULL
        || s->resp.first[LB_HTTP_HDR_SET_COOKIE] == 0)
    {
        return;
    }

    name = sp->cookie_name;
    nlen = strlen(name);
    id = s->peer->bp->zone->id;

    for (i = 0; i < s->resp.nheaders; i++) {
        h = &s->resp.headers[i];

        if (h->id != LB_HTTP_HDR_SET_COOKIE
            || lb_http_set_cookie_parse(s->uin.start + h->value.off,
                                        h->value.len, &sc) != LB_OK
            || sc.name.len != nlen
            || memcmp(s->uin.start + h->value.off + sc.name.off, name, nlen)
               != 0)
        {
            continue;
        }

        n = lb_http_app_key(s->uin.start + h->value.off + sc.value.off,
                            sc.value.len, key);

        if (sc.has_max_age && sc.max_age <= 0) {
            (void) lb_zone_table_delete(s->group->app_table, key, n);
            continue;
        }

        (void) lb_zone_table_set(s->group->app_table, key, n, &id,
                                 lb_current_msec,
                                 sp->persistence_timeout);
    }
}


/* the value of the first cookie `name` in the request's Cookie fields,
 * an offset into cin */
static bool
lb_http_sticky_cookie(lb_http_session_t *s, const char *name, size_t nlen,
    lb_http_span_t *v)
{
    uint32_t           i;
    lb_http_span_t     found;
    lb_http_header_t  *h;

    if (s->req.first[LB_HTTP_HDR_COOKIE] == 0) {
        return false;
    }

    for (i = 0; i < s->req.nheaders; i++) {
        h = &s->req.headers[i];

        if (h->id != LB_HTTP_HDR_COOKIE) {
            continue;
        }

        if (lb_http_cookie_find(s->cin.start + h->value.off, h->value.len,
                                (const u_char *) name, nlen, &found)
            == LB_OK)
        {
            v->off = h->value.off + found.off;
            v->len = found.len;
            return true;
        }
    }

    return false;
}


static lb_http_peer_t *
lb_http_sticky_cookie_peer(lb_http_session_t *s, const lb_http_span_t *v)
{
    uint32_t          i;
    lb_http_group_t  *g;

    g = s->group;

    if (v->len != 2 * LB_HTTP_STICKY_BYTES) {
        return NULL;
    }

    for (i = 0; i < g->bg->npeers; i++) {
        if (memcmp(g->peers[i].cookie, s->cin.start + v->off, v->len) == 0) {
            return &g->peers[i];
        }
    }

    return NULL;
}


static lb_http_peer_t *
lb_http_sticky_app_peer(lb_http_session_t *s)
{
    uint32_t           id;
    lb_persistence_t  *sp;

    sp = s->group->sticky;

    /* a hit renews the binding: it expires after a timeout of no use */
    if (lb_zone_table_lookup(s->group->app_table, s->app_key, s->app_key_len,
                             lb_current_msec,
                             sp->persistence_timeout, &id)
        != LB_OK)
    {
        return NULL;
    }

    return lb_http_peer_by_zone_id(s->group, id);
}


/* values up to LB_HTTP_APP_KEY - 1 bytes are their own key ("v" + value);
 * longer ones are known by their SHA-256 ("h" + digest) */
static size_t
lb_http_app_key(const u_char *v, size_t len, u_char *key)
{
    unsigned  mdlen;

    if (len < LB_HTTP_APP_KEY) {
        key[0] = 'v';
        memcpy(key + 1, v, len);
        return len + 1;
    }

    key[0] = 'h';
    mdlen = 0;

    if (!EVP_Digest(v, len, key + 1, &mdlen, EVP_sha256(), NULL)) {
        mdlen = 0;
    }

    return 1 + mdlen;
}


static lb_http_peer_t *
lb_http_peer_by_zone_id(lb_http_group_t *g, uint32_t id)
{
    uint32_t  lo, hi, mid, x;

    lo = 0;
    hi = g->nzone_ids;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        x = g->peers[g->by_zone_id[mid]].bp->zone->id;

        if (x == id) {
            return &g->peers[g->by_zone_id[mid]];
        }

        if (x < id) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}
