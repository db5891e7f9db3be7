/* weir: the write operations of the admin API (SPEC.md sections 8 and 10,
 * issue 11), with OpenStack Octavia's shapes.
 *
 * Every change is made to a copy. The admin keeps the text of the
 * configuration it last wrote (at first, the cycle's configuration as the
 * dump prints it, with the ids it derived); a change reads that text into
 * a fresh pool, changes the copy in the object model (the structs of
 * lb_conf_types.h), prints the copy and reads it back with every rule of
 * `weir -t` (lb_conf_edit_check()). Only when that passes is the file
 * rewritten (lb_conf_persist(): atomic, previous kept as .bak); when the
 * write fails the answer is 500 and nothing changed, the file included.
 * Then the copy is the admin's configuration, and the master is asked to
 * apply the file (lb_zone_gen_request() + SIGUSR2).
 *
 * A request body is checked in two steps: the syntax of the whole body
 * and the object's own rules by lb_conf_json_parse() (the schema of the
 * file; errors carry the field path and the message of `weir -t`), then
 * the rules between objects on the printed copy, whose error path is put
 * in the body's terms ("load_balancers[lb].target_groups[tg].name" ->
 * "target_group.name") when it is about the changed object.
 *
 * A PUT carries only the fields it changes: its pairs are laid over the
 * object's current fields (as JSON) and the result is read as a whole
 * object, so a partial body is judged by the same table as a full one.
 * Keys that are not fields of the file (load_balancer_id,
 * target_group_id, listener_id) are taken out of the body first.
 *
 * Statuses: create 201 with the object, update 200 with the object,
 * delete 204 without a body (Octavia's). The object is gone from the
 * file and from every GET at once; the master applies the deletion with
 * the next generation. provisioning_status: the balancer and its
 * children are PENDING_UPDATE (objects the change created:
 * PENDING_CREATE) until the zone says the request is ACTIVE, or ERROR
 * when the master could not apply it; meanwhile another change to the
 * balancer or a child answers 409, and a balancer in ERROR (or its
 * children) can only be deleted. The record of pending requests lives in
 * this process: a respawned admin process shows ACTIVE. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_admin.h"
#include "lb_admin_json.h"
#include "lb_admin_route.h"
#include "lb_admin_write.h"
#include "lb_balancer.h"
#include "lb_conf_edit.h"
#include "lb_conf_json.h"
#include "lb_conf_persist.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_http_parse.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_zone_gen.h"

#define LB_ADMIN_PAIRS     64       /* fields of one body's object */
#define LB_ADMIN_PENDING   64       /* balancers followed at once */
#define LB_ADMIN_CREATED   512      /* ids created by one change */

/* one "key": value of the body's object, spans into the body */
typedef struct {
    const u_char        *key;
    size_t               key_len;
    const u_char        *val;
    size_t               val_len;
} lb_admin_pair_t;

/* {"wrapper": {pairs}} */
typedef struct {
    const u_char        *wrapper;
    size_t               wrapper_len;
    lb_admin_pair_t      pairs[LB_ADMIN_PAIRS];
    uint32_t             n;
} lb_admin_body_t;

/* the last change made to one balancer */
typedef struct {
    char                 id[LB_CONF_UUID_LEN + 1];
    uint64_t             request;
    char               **created;   /* malloc()ed ids, NULL-terminated */
} lb_admin_pending_t;

/* one change in the making */
typedef struct {
    lb_admin_req_t      *r;
    lb_pool_t           *pool;      /* the copy, the body, the result */
    lb_conf_t           *conf;      /* the copy */
    const char          *wrapper;   /* "target_group": fields' prefix */
    const char          *lb_id;     /* the balancer changed */
    char                *path;      /* the changed object's path in the
                                       file, for errors */
    char                *created[LB_ADMIN_CREATED];
    uint32_t             ncreated;
    lb_conf_t           *result;    /* after commit */
} lb_admin_change_t;

typedef void (*lb_admin_show_pt)(lb_admin_change_t *ch, lb_json_t *j,
    const char *id);

static bool lb_admin_begin(lb_admin_req_t *r, lb_admin_change_t *ch,
    const char *wrapper);
static void lb_admin_end(lb_admin_change_t *ch);
static bool lb_admin_may_change(lb_admin_change_t *ch,
    const lb_load_balancer_t *b, bool deleting);
static bool lb_admin_commit(lb_admin_change_t *ch, const char *path);
static void lb_admin_answer(lb_admin_change_t *ch, unsigned status,
    const char *key, const char *id, lb_admin_show_pt show);
static bool lb_admin_parse(lb_admin_change_t *ch, const char *wrapper,
    const void *parent, const u_char *body, size_t len, void **out,
    uint32_t *n);
static bool lb_admin_body(lb_admin_change_t *ch, const char *wrapper,
    lb_admin_body_t *b);
static bool lb_admin_split(const u_char *p, size_t len, lb_admin_body_t *b);
static size_t lb_admin_skip_ws(const u_char *p, size_t len, size_t i);
static size_t lb_admin_skip_string(const u_char *p, size_t len, size_t i);
static size_t lb_admin_skip_value(const u_char *p, size_t len, size_t i);
static lb_admin_pair_t *lb_admin_pair(lb_admin_body_t *b, const char *key);
static bool lb_admin_take_id(lb_admin_change_t *ch, lb_admin_body_t *b,
    const char *key, bool required, char **id, bool *given);
static u_char *lb_admin_merge(lb_admin_change_t *ch, const char *wrapper,
    lb_admin_buf_t *base, lb_admin_body_t *b, size_t *len);
static bool lb_admin_refuse_keys(lb_admin_change_t *ch, lb_admin_body_t *b,
    const char *const *keys, const char *why);
static void lb_admin_field_error(lb_admin_change_t *ch, unsigned status,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static char *lb_admin_new_id(lb_admin_change_t *ch);
static bool lb_admin_ids_group(lb_admin_change_t *ch, lb_target_group_t *g);
static void *lb_admin_append(lb_pool_t *pool, void *items, uint32_t *n,
    size_t size, const void *item);
static void lb_admin_remove(void *items, uint32_t *n, size_t size,
    uint32_t i);
static lb_load_balancer_t *lb_admin_lb(lb_conf_t *c, const char *id);
static lb_listener_t *lb_admin_listener(lb_conf_t *c, const char *id);
static lb_target_group_t *lb_admin_group(lb_conf_t *c, const char *id);
static lb_target_group_t *lb_admin_monitor_group(lb_conf_t *c,
    const char *id);
static lb_target_t *lb_admin_member(lb_target_group_t *g, const char *id);
static char *lb_admin_path_group(lb_admin_change_t *ch,
    const lb_load_balancer_t *b, const lb_target_group_t *g);
static void lb_admin_base_group(lb_admin_buf_t *buf,
    const lb_target_group_t *g);
static void lb_admin_base_member(lb_admin_buf_t *buf, const lb_target_t *t);
static void lb_admin_base_monitor(lb_admin_buf_t *buf,
    const lb_health_monitor_t *hm);
static void lb_admin_base_listener(lb_admin_buf_t *buf,
    const lb_listener_t *l);
static void lb_admin_base_balancer(lb_admin_buf_t *buf,
    const lb_load_balancer_t *b);
static void lb_admin_show_balancer(lb_admin_change_t *ch, lb_json_t *j,
    const char *id);
static void lb_admin_show_listener(lb_admin_change_t *ch, lb_json_t *j,
    const char *id);
static void lb_admin_show_group(lb_admin_change_t *ch, lb_json_t *j,
    const char *id);
static void lb_admin_show_monitor(lb_admin_change_t *ch, lb_json_t *j,
    const char *id);
static lb_admin_pending_t *lb_admin_pending(const char *lb_id, bool make);
static void lb_admin_pending_free(lb_admin_pending_t *p);

static struct {
    lb_pool_t           *pool;      /* conf and text, after a change */
    lb_conf_t           *conf;      /* NULL: the cycle's */
    char                *text;
    size_t               len;
    lb_admin_pending_t   pending[LB_ADMIN_PENDING];
} lb_admin_w;

/* a PUT may not set these (they are not fields of the object, or the
 * file's own) */
static const char *const  lb_admin_ro_keys[] = {
    "id", "provisioning_status", "operating_status", NULL
};


/* --- the admin's configuration and statuses --- */

lb_conf_t *
lb_admin_current(lb_cycle_t *cycle)
{
    return lb_admin_w.conf != NULL ? lb_admin_w.conf : cycle->conf;
}


const char *
lb_admin_prov(lb_cycle_t *cycle, const lb_load_balancer_t *b, const char *id)
{
    char                **c;
    lb_apply_state_e      st;
    lb_admin_pending_t   *p;

    if (b == NULL || b->id == NULL) {
        return "ACTIVE";
    }

    p = lb_admin_pending(b->id, false);
    if (p == NULL) {
        return "ACTIVE";
    }

    st = lb_zone_gen_state(cycle->zone, p->request, NULL);

    if (st == LB_APPLY_ERROR) {
        return "ERROR";
    }

    if (st == LB_APPLY_ACTIVE) {
        /* settled: forget it */
        lb_admin_pending_free(p);
        return "ACTIVE";
    }

    for (c = p->created; c != NULL && *c != NULL; c++) {
        if (id != NULL && strcmp(*c, id) == 0) {
            return "PENDING_CREATE";
        }
    }

    return "PENDING_UPDATE";
}


/* --- load balancers --- */

void
lb_admin_balancer_create(lb_admin_req_t *r)
{
    uint32_t             i;
    lb_admin_body_t      body;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *nb;

    if (!lb_admin_begin(r, &ch, "load_balancer")) {
        return;
    }

    if (!lb_admin_body(&ch, "load_balancer", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_parse(&ch, "load_balancer", NULL, r->req_body,
                           r->req_len, (void **) &nb, NULL))
    {
        goto done;
    }

    if ((nb->id = lb_admin_new_id(&ch)) == NULL) {
        goto done;
    }

    for (i = 0; i < nb->nlisteners; i++) {
        if ((nb->listeners[i].id = lb_admin_new_id(&ch)) == NULL) {
            goto done;
        }
    }

    for (i = 0; i < nb->ntarget_groups; i++) {
        if (!lb_admin_ids_group(&ch, &nb->target_groups[i])) {
            goto done;
        }
    }

    ch.conf->balancers = lb_admin_append(ch.pool, ch.conf->balancers,
                                         &ch.conf->nbalancers,
                                         sizeof(lb_load_balancer_t), nb);
    if (ch.conf->balancers == NULL) {
        lb_admin_error(r, 500, "out of memory");
        goto done;
    }

    ch.lb_id = nb->id;
    ch.path = lb_psprintf(ch.pool, "load_balancers[%s]",
                          nb->name ? nb->name : "");

    if (lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 201, "load_balancer", nb->id,
                        lb_admin_show_balancer);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_balancer_update(lb_admin_req_t *r)
{
    u_char              *merged;
    size_t               len;
    lb_admin_buf_t       base;
    lb_admin_body_t      body;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b, *nb;

    static const char *const  fixed[] = {
        "listeners", "target_groups", NULL
    };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_begin(r, &ch, "load_balancer")) {
        return;
    }

    b = lb_admin_lb(ch.conf, r->params[0]);
    if (b == NULL) {
        lb_admin_error(r, 404, "load balancer %s not found", r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, b, false)
        || !lb_admin_body(&ch, "load_balancer", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_refuse_keys(&ch, &body, fixed, "is changed through "
                                 "its own resource (/listeners, "
                                 "/target-groups)"))
    {
        goto done;
    }

    lb_admin_base_balancer(&base, b);

    merged = lb_admin_merge(&ch, "load_balancer", &base, &body, &len);
    if (merged == NULL
        || !lb_admin_parse(&ch, "load_balancer", NULL, merged, len,
                           (void **) &nb, NULL))
    {
        goto done;
    }

    b->name = nb->name;
    b->type = nb->type;
    b->address = nb->address;
    b->availability_zone = nb->availability_zone;
    b->vpc = nb->vpc;
    b->health_check_ips = nb->health_check_ips;
    b->nhealth_check_ips = nb->nhealth_check_ips;

    ch.path = lb_psprintf(ch.pool, "load_balancers[%s]",
                          b->name ? b->name : "");

    if (lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 200, "load_balancer", b->id,
                        lb_admin_show_balancer);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_balancer_delete(lb_admin_req_t *r)
{
    uint32_t             i;
    bool                 cascade;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b;

    cascade = false;
    for (i = 0; i < r->nquery; i++) {
        if (strcmp(r->qkeys[i], "cascade") != 0
            || (strcmp(r->qvals[i], "true") != 0
                && strcmp(r->qvals[i], "false") != 0))
        {
            lb_admin_error(r, 400, "unknown query parameter \"%s\"; "
                           "allowed: cascade=true|false", r->qkeys[i]);
            return;
        }
        cascade = strcmp(r->qvals[i], "true") == 0;
    }

    if (!lb_admin_begin(r, &ch, "load_balancer")) {
        return;
    }

    b = lb_admin_lb(ch.conf, r->params[0]);
    if (b == NULL) {
        lb_admin_error(r, 404, "load balancer %s not found", r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, b, true)) {
        goto done;
    }

    if (!cascade && (b->nlisteners > 0 || b->ntarget_groups > 0)) {
        lb_admin_error(r, 400, "load balancer %s still has %u listeners and "
                       "%u target groups; delete them first, or delete "
                       "with ?cascade=true", b->id, b->nlisteners,
                       b->ntarget_groups);
        goto done;
    }

    lb_admin_remove(ch.conf->balancers, &ch.conf->nbalancers,
                    sizeof(lb_load_balancer_t), b->index);

    if (lb_admin_commit(&ch, "")) {
        lb_admin_answer(&ch, 204, NULL, NULL, NULL);
    }

done:

    lb_admin_end(&ch);
}


/* --- listeners --- */

void
lb_admin_listener_create(lb_admin_req_t *r)
{
    char                *lb_id, *tg_id;
    u_char              *rebuilt;
    size_t               len;
    bool                 given, tg_given;
    lb_admin_buf_t       none;
    lb_listener_t       *nl;
    lb_admin_body_t      body;
    lb_target_group_t   *g;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b;

    memset(&none, 0, sizeof(none));

    if (!lb_admin_begin(r, &ch, "listener")) {
        return;
    }

    if (!lb_admin_body(&ch, "listener", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_take_id(&ch, &body, "load_balancer_id",
                             ch.conf->nbalancers != 1, &lb_id, &given)
        || !lb_admin_take_id(&ch, &body, "target_group_id", false, &tg_id,
                             &tg_given))
    {
        goto done;
    }

    b = given ? lb_admin_lb(ch.conf, lb_id) : &ch.conf->balancers[0];
    if (b == NULL) {
        lb_admin_error(r, 404, "load balancer %s not found", lb_id);
        goto done;
    }

    g = NULL;
    if (tg_id != NULL) {
        g = lb_admin_group(ch.conf, tg_id);
        if (g == NULL) {
            lb_admin_error(r, 404, "target group %s not found", tg_id);
            goto done;
        }
    }

    if (!lb_admin_may_change(&ch, b, false)) {
        goto done;
    }

    rebuilt = lb_admin_merge(&ch, "listener", &none, &body, &len);
    if (rebuilt == NULL
        || !lb_admin_parse(&ch, "listener", b, rebuilt, len, (void **) &nl,
                           NULL))
    {
        goto done;
    }

    if (g != NULL && g->balancer != b) {
        lb_admin_field_error(&ch, 400, "listener.target_group_id", "target "
                             "group %s belongs to another load balancer; a "
                             "listener uses a target group of its own "
                             "balancer", g->id);
        goto done;
    }

    if ((nl->id = lb_admin_new_id(&ch)) == NULL) {
        goto done;
    }

    nl->target_group_name = g ? g->name : NULL;

    b->listeners = lb_admin_append(ch.pool, b->listeners, &b->nlisteners,
                                   sizeof(lb_listener_t), nl);
    if (b->listeners == NULL) {
        lb_admin_error(r, 500, "out of memory");
        goto done;
    }

    ch.lb_id = b->id;
    ch.path = lb_psprintf(ch.pool, "load_balancers[%s].listeners[%s]",
                          b->name, nl->name ? nl->name : "");

    if (lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 201, "listener", nl->id,
                        lb_admin_show_listener);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_listener_update(lb_admin_req_t *r)
{
    char               *tg_id, *id, *tg_name;
    u_char             *merged;
    size_t              len;
    bool                tg_given;
    uint32_t            index;
    lb_listener_t      *l, *nl;
    lb_admin_buf_t      base;
    lb_admin_body_t     body;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;
    lb_load_balancer_t *b;

    static const char *const  fixed[] = { "load_balancer_id", NULL };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_begin(r, &ch, "listener")) {
        return;
    }

    l = lb_admin_listener(ch.conf, r->params[0]);
    if (l == NULL) {
        lb_admin_error(r, 404, "listener %s not found", r->params[0]);
        goto done;
    }

    b = l->balancer;

    if (!lb_admin_may_change(&ch, b, false)
        || !lb_admin_body(&ch, "listener", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_refuse_keys(&ch, &body, fixed, "cannot be changed; "
                                 "a listener stays in its load balancer")
        || !lb_admin_take_id(&ch, &body, "target_group_id", false, &tg_id,
                             &tg_given))
    {
        goto done;
    }

    if (lb_admin_pair(&body, "target_group") != NULL) {
        lb_admin_field_error(&ch, 400, "listener.target_group", "the API "
                             "names the target group by its id: use "
                             "target_group_id");
        goto done;
    }

    tg_name = l->target_group_name;

    if (tg_given) {
        tg_name = NULL;

        if (tg_id != NULL) {
            g = lb_admin_group(ch.conf, tg_id);
            if (g == NULL) {
                lb_admin_error(r, 404, "target group %s not found", tg_id);
                goto done;
            }

            if (g->balancer != b) {
                lb_admin_field_error(&ch, 400, "listener.target_group_id",
                                     "target group %s belongs to another "
                                     "load balancer; a listener uses a "
                                     "target group of its own balancer",
                                     g->id);
                goto done;
            }

            tg_name = g->name;
        }
    }

    lb_admin_base_listener(&base, l);

    merged = lb_admin_merge(&ch, "listener", &base, &body, &len);
    if (merged == NULL
        || !lb_admin_parse(&ch, "listener", b, merged, len, (void **) &nl,
                           NULL))
    {
        goto done;
    }

    if (nl->protocol != l->protocol) {
        lb_admin_field_error(&ch, 400, "listener.protocol", "the protocol of "
                             "a listener cannot be changed (%s); delete the "
                             "listener and create another",
                             lb_listener_proto_names[l->protocol]);
        goto done;
    }

    id = l->id;
    index = l->index;
    *l = *nl;
    l->id = id;
    l->index = index;
    l->balancer = b;
    l->target_group_name = tg_name;

    ch.lb_id = b->id;
    ch.path = lb_psprintf(ch.pool, "load_balancers[%s].listeners[%s]",
                          b->name, l->name);

    if (lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 200, "listener", l->id, lb_admin_show_listener);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_listener_delete(lb_admin_req_t *r)
{
    lb_listener_t      *l;
    lb_admin_change_t   ch;
    lb_load_balancer_t *b;

    if (!lb_admin_begin(r, &ch, "listener")) {
        return;
    }

    l = lb_admin_listener(ch.conf, r->params[0]);
    if (l == NULL) {
        lb_admin_error(r, 404, "listener %s not found", r->params[0]);
        goto done;
    }

    b = l->balancer;

    if (!lb_admin_may_change(&ch, b, true)) {
        goto done;
    }

    ch.lb_id = b->id;
    lb_admin_remove(b->listeners, &b->nlisteners, sizeof(lb_listener_t),
                    l->index);

    if (lb_admin_commit(&ch, "")) {
        lb_admin_answer(&ch, 204, NULL, NULL, NULL);
    }

done:

    lb_admin_end(&ch);
}


/* --- target groups --- */

void
lb_admin_group_create(lb_admin_req_t *r)
{
    char                *lb_id, *l_id;
    u_char              *rebuilt;
    size_t               len;
    bool                 given, l_given;
    lb_listener_t       *l;
    lb_admin_buf_t       none;
    lb_admin_body_t      body;
    lb_target_group_t   *ng;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b;

    memset(&none, 0, sizeof(none));

    if (!lb_admin_begin(r, &ch, "target_group")) {
        return;
    }

    if (!lb_admin_body(&ch, "target_group", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_take_id(&ch, &body, "load_balancer_id",
                             ch.conf->nbalancers != 1, &lb_id, &given)
        || !lb_admin_take_id(&ch, &body, "listener_id", false, &l_id,
                             &l_given))
    {
        goto done;
    }

    b = given ? lb_admin_lb(ch.conf, lb_id) : &ch.conf->balancers[0];
    if (b == NULL) {
        lb_admin_error(r, 404, "load balancer %s not found", lb_id);
        goto done;
    }

    l = NULL;
    if (l_id != NULL) {
        l = lb_admin_listener(ch.conf, l_id);
        if (l == NULL) {
            lb_admin_error(r, 404, "listener %s not found", l_id);
            goto done;
        }

        if (l->balancer != b) {
            lb_admin_field_error(&ch, 400, "target_group.listener_id",
                                 "listener %s belongs to another load "
                                 "balancer", l_id);
            goto done;
        }
    }

    if (!lb_admin_may_change(&ch, b, false)) {
        goto done;
    }

    rebuilt = lb_admin_merge(&ch, "target_group", &none, &body, &len);
    if (rebuilt == NULL
        || !lb_admin_parse(&ch, "target_group", b, rebuilt, len,
                           (void **) &ng, NULL))
    {
        goto done;
    }

    if (!lb_admin_ids_group(&ch, ng)) {
        goto done;
    }

    if (l != NULL) {
        /* the listener connection of Octavia's pool create */
        l->target_group_name = ng->name;
    }

    ch.lb_id = b->id;
    ch.path = lb_admin_path_group(&ch, b, ng);

    b->target_groups = lb_admin_append(ch.pool, b->target_groups,
                                       &b->ntarget_groups,
                                       sizeof(lb_target_group_t), ng);
    if (b->target_groups == NULL || ch.path == NULL) {
        lb_admin_error(r, 500, "out of memory");
        goto done;
    }

    if (lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 201, "target_group", ng->id,
                        lb_admin_show_group);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_group_update(lb_admin_req_t *r)
{
    u_char              *merged;
    size_t               len;
    uint32_t             i;
    lb_load_balancer_t  *b;
    lb_admin_buf_t       base;
    lb_admin_body_t      body;
    lb_target_group_t   *g, *ng;
    lb_admin_change_t    ch;

    static const char *const  fixed[] = {
        "members", "health_monitor", "load_balancer_id", "listener_id", NULL
    };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_begin(r, &ch, "target_group")) {
        return;
    }

    g = lb_admin_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "target group %s not found", r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, g->balancer, false)
        || !lb_admin_body(&ch, "target_group", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_refuse_keys(&ch, &body, fixed, "cannot be changed by "
                                 "a PUT of the target group; use its "
                                 "/members, /health-monitors or the "
                                 "listener's target_group_id"))
    {
        goto done;
    }

    lb_admin_base_group(&base, g);

    merged = lb_admin_merge(&ch, "target_group", &base, &body, &len);
    if (merged == NULL
        || !lb_admin_parse(&ch, "target_group", g->balancer, merged, len,
                           (void **) &ng, NULL))
    {
        goto done;
    }

    if (ng->protocol != g->protocol) {
        lb_admin_field_error(&ch, 400, "target_group.protocol", "the "
                             "protocol of a target group cannot be changed "
                             "(%s); create another target group",
                             lb_tg_proto_names[g->protocol]);
        goto done;
    }

    /* listeners name their group: a rename renames the reference */
    b = g->balancer;

    for (i = 0; i < b->nlisteners; i++) {
        if (b->listeners[i].target_group_name != NULL
            && strcmp(b->listeners[i].target_group_name, g->name) == 0)
        {
            b->listeners[i].target_group_name = ng->name;
        }
    }

    g->name = ng->name;
    g->load_balancer_algorithm = ng->load_balancer_algorithm;
    g->proxy_protocol_version = ng->proxy_protocol_version;
    g->session_persistence = ng->session_persistence;

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_group(&ch, g->balancer, g);

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 200, "target_group", g->id, lb_admin_show_group);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_group_delete(lb_admin_req_t *r)
{
    uint32_t             i;
    lb_target_group_t   *g;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b;

    if (!lb_admin_begin(r, &ch, "target_group")) {
        return;
    }

    g = lb_admin_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "target group %s not found", r->params[0]);
        goto done;
    }

    b = g->balancer;

    if (!lb_admin_may_change(&ch, b, true)) {
        goto done;
    }

    for (i = 0; i < b->nlisteners; i++) {
        if (b->listeners[i].target_group == g) {
            lb_admin_error(r, 409, "target group %s is the target group of "
                           "listener %s; disconnect it first (PUT the "
                           "listener with \"target_group_id\": null)",
                           g->id, b->listeners[i].id);
            goto done;
        }
    }

    ch.lb_id = b->id;
    lb_admin_remove(b->target_groups, &b->ntarget_groups,
                    sizeof(lb_target_group_t), g->index);

    if (lb_admin_commit(&ch, "")) {
        lb_admin_answer(&ch, 204, NULL, NULL, NULL);
    }

done:

    lb_admin_end(&ch);
}


/* --- members --- */

void
lb_admin_member_create(lb_admin_req_t *r)
{
    lb_target_t        *nt;
    lb_admin_body_t     body;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    if (!lb_admin_begin(r, &ch, "member")) {
        return;
    }

    g = lb_admin_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "target group %s not found", r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, g->balancer, false)
        || !lb_admin_body(&ch, "member", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_parse(&ch, "member", g, r->req_body, r->req_len,
                           (void **) &nt, NULL))
    {
        goto done;
    }

    if ((nt->id = lb_admin_new_id(&ch)) == NULL) {
        goto done;
    }

    ch.lb_id = g->balancer->id;
    ch.path = lb_psprintf(ch.pool, "%s.members[%s]",
                          lb_admin_path_group(&ch, g->balancer, g),
                          nt->name ? nt->name : "");
    if (nt->name == NULL && ch.path != NULL) {
        ch.path = lb_psprintf(ch.pool, "%s.members[%u]",
                              lb_admin_path_group(&ch, g->balancer, g),
                              g->ntargets);
    }

    g->targets = lb_admin_append(ch.pool, g->targets, &g->ntargets,
                                 sizeof(lb_target_t), nt);
    if (g->targets == NULL || ch.path == NULL) {
        lb_admin_error(r, 500, "out of memory");
        goto done;
    }

    if (lb_admin_commit(&ch, ch.path)) {
        lb_json_t  j;

        /* the member's group in the new configuration */
        g = lb_admin_group(ch.result, r->params[0]);
        r->status = 201;
        lb_admin_buf_reset(r->body);
        lb_json_init(&j, r->body);
        lb_json_object(&j, NULL);
        lb_admin_json_member(&j, "member", r->cycle,
                             lb_admin_member(g, nt->id),
                             lb_weight_converted_total(g));
        lb_json_object_end(&j);
    }

done:

    lb_admin_end(&ch);
}


/* PUT .../members: the body is the whole new set; a member whose address
 * and port were there already keeps its id (and so its health, counters
 * and sticky bindings), the others are new, and those left out are
 * detached; all in one change */
void
lb_admin_members_replace(lb_admin_req_t *r)
{
    uint32_t            i, k, n;
    lb_json_t           j;
    lb_target_t        *nt;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    if (!lb_admin_begin(r, &ch, "members")) {
        return;
    }

    g = lb_admin_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "target group %s not found", r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, g->balancer, false)) {
        goto done;
    }

    /* the body is an array: the schema judges it whole */
    if (!lb_admin_parse(&ch, "members", g, r->req_body, r->req_len,
                        (void **) &nt, &n))
    {
        goto done;
    }

    for (i = 0; i < n; i++) {
        if (nt[i].id != NULL) {
            lb_admin_field_error(&ch, 400, "members.id", "id is given by "
                                 "weir; members are matched by address and "
                                 "protocol_port");
            goto done;
        }

        for (k = 0; k < g->ntargets; k++) {
            if (strcmp(g->targets[k].addr.text, nt[i].addr.text) == 0) {
                nt[i].id = g->targets[k].id;
                break;
            }
        }

        if (nt[i].id == NULL && (nt[i].id = lb_admin_new_id(&ch)) == NULL) {
            goto done;
        }
    }

    g->targets = nt;
    g->ntargets = n;

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_group(&ch, g->balancer, g);

    if (ch.path == NULL || !lb_admin_commit(&ch, ch.path)) {
        goto done;
    }

    g = lb_admin_group(ch.result, r->params[0]);

    r->status = 200;
    lb_admin_buf_reset(r->body);
    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_array(&j, "members");
    for (i = 0; i < g->ntargets; i++) {
        lb_admin_json_member(&j, NULL, r->cycle, &g->targets[i],
                             lb_weight_converted_total(g));
    }
    lb_json_array_end(&j);
    lb_json_object_end(&j);

done:

    lb_admin_end(&ch);
}


void
lb_admin_member_update(lb_admin_req_t *r)
{
    u_char             *merged;
    size_t              len;
    lb_json_t           j;
    lb_target_t        *t, *nt;
    lb_admin_buf_t      base;
    lb_admin_body_t     body;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    memset(&base, 0, sizeof(base));

    if (!lb_admin_begin(r, &ch, "member")) {
        return;
    }

    g = lb_admin_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "target group %s not found", r->params[0]);
        goto done;
    }

    t = lb_admin_member(g, r->params[1]);
    if (t == NULL) {
        lb_admin_error(r, 404, "member %s not found in target group %s",
                       r->params[1], r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, g->balancer, false)
        || !lb_admin_body(&ch, "member", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir"))
    {
        goto done;
    }

    lb_admin_base_member(&base, t);

    merged = lb_admin_merge(&ch, "member", &base, &body, &len);
    if (merged == NULL
        || !lb_admin_parse(&ch, "member", g, merged, len, (void **) &nt,
                           NULL))
    {
        goto done;
    }

    /* SPEC.md 7: a member is its address and port */
    if (nt->protocol_port != t->protocol_port) {
        lb_admin_field_error(&ch, 400, "member.protocol_port", "the "
                             "protocol_port of a member cannot be changed "
                             "(%u -> %u); remove the member and add it "
                             "again", t->protocol_port, nt->protocol_port);
        goto done;
    }

    if (strcmp(nt->addr.text, t->addr.text) != 0) {
        lb_admin_field_error(&ch, 400, "member.address", "the address of a "
                             "member cannot be changed (%s -> %s); remove "
                             "the member and add it again", t->address,
                             nt->address);
        goto done;
    }

    /* a monitor_port that followed protocol_port keeps following it */
    nt->id = t->id;
    nt->group = g;
    nt->index = t->index;
    *t = *nt;

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_group(&ch, g->balancer, g);
    if (ch.path != NULL) {
        ch.path = t->name
                  ? lb_psprintf(ch.pool, "%s.members[%s]", ch.path, t->name)
                  : lb_psprintf(ch.pool, "%s.members[%u]", ch.path,
                                t->index);
    }

    if (ch.path == NULL || !lb_admin_commit(&ch, ch.path)) {
        goto done;
    }

    g = lb_admin_group(ch.result, r->params[0]);

    r->status = 200;
    lb_admin_buf_reset(r->body);
    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_admin_json_member(&j, "member", r->cycle,
                         lb_admin_member(g, r->params[1]),
                         lb_weight_converted_total(g));
    lb_json_object_end(&j);

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


/* detach: the machine behind it is not touched (SPEC.md 7) */
void
lb_admin_member_delete(lb_admin_req_t *r)
{
    lb_target_t        *t;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    if (!lb_admin_begin(r, &ch, "member")) {
        return;
    }

    g = lb_admin_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "target group %s not found", r->params[0]);
        goto done;
    }

    t = lb_admin_member(g, r->params[1]);
    if (t == NULL) {
        lb_admin_error(r, 404, "member %s not found in target group %s",
                       r->params[1], r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, g->balancer, true)) {
        goto done;
    }

    ch.lb_id = g->balancer->id;
    lb_admin_remove(g->targets, &g->ntargets, sizeof(lb_target_t),
                    (uint32_t) (t - g->targets));

    if (lb_admin_commit(&ch, "")) {
        lb_admin_answer(&ch, 204, NULL, NULL, NULL);
    }

done:

    lb_admin_end(&ch);
}


/* --- health monitors --- */

void
lb_admin_monitor_create(lb_admin_req_t *r)
{
    char                 *tg_id;
    u_char               *rebuilt;
    size_t                len;
    bool                  given;
    lb_admin_buf_t        none;
    lb_admin_body_t       body;
    lb_target_group_t    *g;
    lb_admin_change_t     ch;
    lb_health_monitor_t  *hm;

    memset(&none, 0, sizeof(none));

    if (!lb_admin_begin(r, &ch, "health_monitor")) {
        return;
    }

    if (!lb_admin_body(&ch, "health_monitor", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_take_id(&ch, &body, "target_group_id", true, &tg_id,
                             &given))
    {
        goto done;
    }

    g = lb_admin_group(ch.conf, tg_id);
    if (g == NULL) {
        lb_admin_error(r, 404, "target group %s not found", tg_id);
        goto done;
    }

    if (!lb_admin_may_change(&ch, g->balancer, false)) {
        goto done;
    }

    if (g->health_monitor != NULL) {
        lb_admin_error(r, 409, "target group %s has a health monitor "
                       "already (%s); change it with PUT or delete it "
                       "first", g->id, g->health_monitor->id);
        goto done;
    }

    rebuilt = lb_admin_merge(&ch, "health_monitor", &none, &body, &len);
    if (rebuilt == NULL
        || !lb_admin_parse(&ch, "health_monitor", g, rebuilt, len,
                           (void **) &hm, NULL))
    {
        goto done;
    }

    if ((hm->id = lb_admin_new_id(&ch)) == NULL) {
        goto done;
    }

    g->health_monitor = hm;

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_group(&ch, g->balancer, g);
    if (ch.path != NULL) {
        ch.path = lb_psprintf(ch.pool, "%s.health_monitor", ch.path);
    }

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 201, "health_monitor", hm->id,
                        lb_admin_show_monitor);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_monitor_update(lb_admin_req_t *r)
{
    u_char               *merged;
    size_t                len;
    lb_admin_buf_t        base;
    lb_admin_pair_t      *type;
    lb_admin_body_t       body;
    lb_target_group_t    *g;
    lb_admin_change_t     ch;
    lb_health_monitor_t  *hm, *nhm;
    char                  want[16];

    static const char *const  fixed[] = { "target_group_id", NULL };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_begin(r, &ch, "health_monitor")) {
        return;
    }

    g = lb_admin_monitor_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "health monitor %s not found", r->params[0]);
        goto done;
    }

    hm = g->health_monitor;

    if (!lb_admin_may_change(&ch, g->balancer, false)
        || !lb_admin_body(&ch, "health_monitor", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_refuse_keys(&ch, &body, fixed, "cannot be changed; a "
                                 "health monitor stays with its target "
                                 "group"))
    {
        goto done;
    }

    /* Octavia's type is fixed; and the current http_* fields would not
     * fit another type */
    type = lb_admin_pair(&body, "type");
    if (type != NULL) {
        snprintf(want, sizeof(want), "\"%s\"", lb_check_type_names[hm->type]);
        if (type->val_len != strlen(want)
            || memcmp(type->val, want, type->val_len) != 0)
        {
            lb_admin_field_error(&ch, 400, "health_monitor.type", "the type "
                                 "of a health monitor cannot be changed "
                                 "(%s); delete it and create another",
                                 lb_check_type_names[hm->type]);
            goto done;
        }
    }

    lb_admin_base_monitor(&base, hm);

    merged = lb_admin_merge(&ch, "health_monitor", &base, &body, &len);
    if (merged == NULL
        || !lb_admin_parse(&ch, "health_monitor", g, merged, len,
                           (void **) &nhm, NULL))
    {
        goto done;
    }

    nhm->id = hm->id;
    g->health_monitor = nhm;

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_group(&ch, g->balancer, g);
    if (ch.path != NULL) {
        ch.path = lb_psprintf(ch.pool, "%s.health_monitor", ch.path);
    }

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 200, "health_monitor", nhm->id,
                        lb_admin_show_monitor);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_monitor_delete(lb_admin_req_t *r)
{
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    if (!lb_admin_begin(r, &ch, "health_monitor")) {
        return;
    }

    g = lb_admin_monitor_group(ch.conf, r->params[0]);
    if (g == NULL) {
        lb_admin_error(r, 404, "health monitor %s not found", r->params[0]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, g->balancer, true)) {
        goto done;
    }

    ch.lb_id = g->balancer->id;
    g->health_monitor = NULL;

    if (lb_admin_commit(&ch, "")) {
        lb_admin_answer(&ch, 204, NULL, NULL, NULL);
    }

done:

    lb_admin_end(&ch);
}


/* --- one change: the copy, the checks, the commit --- */

/* The copy of the current configuration in a pool of its own. false when
 * the request is answered (500). */
static bool
lb_admin_begin(lb_admin_req_t *r, lb_admin_change_t *ch, const char *wrapper)
{
    lb_cycle_t            *cycle;
    lb_conf_edit_error_t   err;

    memset(ch, 0, sizeof(lb_admin_change_t));

    ch->r = r;
    ch->wrapper = wrapper;
    cycle = r->cycle;

    ch->pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (ch->pool == NULL) {
        lb_admin_error(r, 500, "out of memory");
        return false;
    }

    if (lb_admin_w.text == NULL) {
        /* the first change: the running configuration as the dump prints
         * it, ids included (derived ones for objects written by hand) */
        lb_admin_w.pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
        if (lb_admin_w.pool == NULL) {
            goto nomem;
        }

        lb_admin_w.text = lb_conf_edit_text(lb_admin_w.pool, cycle->conf,
                                            "", &lb_admin_w.len);
        if (lb_admin_w.text == NULL) {
            lb_destroy_pool(lb_admin_w.pool);
            lb_admin_w.pool = NULL;
            goto nomem;
        }
    }

    ch->conf = lb_conf_edit_read(ch->pool, cycle->conf_file,
                                 lb_admin_w.text, lb_admin_w.len, &err);
    if (ch->conf == NULL) {
        /* the text was read before: only memory can fail here */
        lb_log_error(LB_LOG_ALERT, &lb_log, 0, "admin: the running "
                     "configuration does not read back: %s: %s", err.path,
                     err.message);
        lb_admin_error(r, 500, "the running configuration does not read "
                       "back: %s", err.message);
        return false;
    }

    if (r->method != LB_HTTP_METHOD_DELETE
        && strcmp(wrapper, "members") != 0 && r->req_body == NULL)
    {
        lb_admin_error(r, 400, "a JSON body {\"%s\": {...}} is required",
                       wrapper);
        return false;
    }

    if (strcmp(wrapper, "members") == 0 && r->req_body == NULL) {
        lb_admin_error(r, 400, "a JSON body {\"members\": [...]} is "
                       "required");
        return false;
    }

    return true;

nomem:

    lb_admin_error(r, 500, "out of memory");
    return false;
}


static void
lb_admin_end(lb_admin_change_t *ch)
{
    if (ch->pool != NULL) {
        lb_destroy_pool(ch->pool);
        ch->pool = NULL;
    }
}


/* SPEC.md 8: no change while one is pending; in ERROR only deletes */
static bool
lb_admin_may_change(lb_admin_change_t *ch, const lb_load_balancer_t *b,
    bool deleting)
{
    const char          *why;
    lb_apply_state_e     st;
    lb_admin_pending_t  *p;

    p = lb_admin_pending(b->id, false);
    if (p == NULL) {
        return true;
    }

    why = NULL;
    st = lb_zone_gen_state(ch->r->cycle->zone, p->request, &why);

    if (st == LB_APPLY_PENDING) {
        lb_admin_error(ch->r, 409, "load balancer %s has a change pending "
                       "(request %llu); retry when its provisioning_status "
                       "is ACTIVE", b->id, (unsigned long long) p->request);
        return false;
    }

    if (st == LB_APPLY_ERROR && !deleting) {
        lb_admin_error(ch->r, 409, "load balancer %s is in ERROR (%s); an "
                       "object in ERROR can only be deleted", b->id,
                       why ? why : "the master could not apply the last "
                       "change");
        return false;
    }

    return true;
}


/* The copy judged as the file, written, made current, applied. false
 * when the request is answered (400 or 500). path: the changed object's
 * path in the file, whose errors are given in the body's terms. */
static bool
lb_admin_commit(lb_admin_change_t *ch, const char *path)
{
    char                  *text, *field;
    size_t                 len, plen;
    uint64_t               req;
    uint32_t               i;
    lb_conf_t             *conf;
    lb_admin_req_t        *r;
    lb_admin_pending_t    *p;
    lb_conf_edit_error_t   err;
    char                   why[512];

    r = ch->r;

    conf = lb_conf_edit_check(ch->pool, r->cycle->conf_file, ch->conf,
                              &text, &len, &err);
    if (conf == NULL) {
        field = (char *) err.path;
        plen = strlen(path);

        if (plen > 0 && strncmp(err.path, path, plen) == 0
            && (err.path[plen] == '\0' || err.path[plen] == '.'))
        {
            field = lb_psprintf(ch->pool, "%s%s", ch->wrapper,
                                err.path + plen);
        }

        if (field != NULL && strcmp(ch->wrapper, "listener") == 0
            && strcmp(field, "listener.target_group") == 0)
        {
            field = "listener.target_group_id";
        }

        lb_admin_field_error(ch, 400, field ? field : "", "%s", err.message);
        return false;
    }

    if (lb_conf_persist(conf, r->cycle->conf_file, why, sizeof(why))
        != LB_OK)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, 0, "admin: the change was not "
                     "made: %s", why);
        lb_admin_error(r, 500, "the configuration file could not be "
                       "written, nothing was changed: %s", why);
        return false;
    }

    if (why[0] != '\0') {
        lb_log_error(LB_LOG_WARN, &lb_log, 0, "admin: %s", why);
    }

    /* the copy is the admin's configuration now */
    if (lb_admin_w.pool != NULL) {
        lb_destroy_pool(lb_admin_w.pool);
    }

    lb_admin_w.pool = ch->pool;
    lb_admin_w.conf = conf;
    lb_admin_w.text = text;
    lb_admin_w.len = len;
    ch->pool = NULL;
    ch->result = conf;

    req = lb_zone_gen_request(r->cycle->zone);

    if (kill(getppid(), SIGUSR2) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno, "admin: kill(master, "
                     "SIGUSR2) failed: the change waits for a reload");
    }

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "admin: %s %s: written, "
                 "request %llu", lb_http_method_strs[r->method],
                 ch->wrapper, (unsigned long long) req);

    if (ch->lb_id == NULL) {
        return true;
    }

    p = lb_admin_pending(ch->lb_id, true);
    if (p == NULL) {
        /* as many balancers pending as followed: this one shows ACTIVE */
        return true;
    }

    p->request = req;
    p->created = calloc(ch->ncreated + 1, sizeof(char *));

    for (i = 0; p->created != NULL && i < ch->ncreated; i++) {
        p->created[i] = strdup(ch->created[i]);
        if (p->created[i] == NULL) {
            break;
        }
    }

    return true;
}


/* after a commit: the object with this id from the new configuration,
 * {"key": {...}}, or no body (204) */
static void
lb_admin_answer(lb_admin_change_t *ch, unsigned status, const char *key,
    const char *id, lb_admin_show_pt show)
{
    lb_json_t        j;
    lb_admin_req_t  *r;

    r = ch->r;
    r->status = status;
    lb_admin_buf_reset(r->body);

    if (show == NULL) {
        return;
    }

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    show(ch, &j, id);
    lb_json_object_end(&j);
}


static void
lb_admin_show_balancer(lb_admin_change_t *ch, lb_json_t *j, const char *id)
{
    lb_admin_json_balancer(j, "load_balancer", ch->r->cycle,
                           lb_admin_lb(ch->result, id));
}


static void
lb_admin_show_listener(lb_admin_change_t *ch, lb_json_t *j, const char *id)
{
    lb_admin_json_listener(j, "listener", ch->r->cycle,
                           lb_admin_listener(ch->result, id));
}


static void
lb_admin_show_group(lb_admin_change_t *ch, lb_json_t *j, const char *id)
{
    lb_admin_json_group(j, "target_group", ch->r->cycle,
                        lb_admin_group(ch->result, id));
}


static void
lb_admin_show_monitor(lb_admin_change_t *ch, lb_json_t *j, const char *id)
{
    lb_admin_json_monitor(j, "health_monitor", ch->r->cycle,
                          lb_admin_monitor_group(ch->result, id));
}


/* --- request bodies --- */

/* lb_conf_json_parse() of body[0..len) into the change's pool; false
 * when the request is answered with its error */
static bool
lb_admin_parse(lb_admin_change_t *ch, const char *wrapper,
    const void *parent, const u_char *body, size_t len, void **out,
    uint32_t *n)
{
    lb_conf_json_error_t  err;

    if (lb_conf_json_parse(ch->pool, wrapper, parent, body, len,
                           LB_ADMIN_BODY_MAX, out, n, &err)
        != LB_OK)
    {
        lb_admin_conf_error(ch->r, &err);
        return false;
    }

    return true;
}


/* The request body as {"wrapper": {pairs}}. Its syntax is judged first
 * by lb_conf_json_parse() (the whole of JSON's rules, the nesting, NUL in
 * strings): a syntax error, or a body without the wrapper, is answered
 * with that function's error. false when the request is answered. */
static bool
lb_admin_body(lb_admin_change_t *ch, const char *wrapper, lb_admin_body_t *b)
{
    void                  *out;
    uint32_t               n;
    lb_conf_json_error_t   err;

    memset(b, 0, sizeof(lb_admin_body_t));

    if (lb_conf_json_parse(ch->pool, wrapper, NULL, ch->r->req_body,
                           ch->r->req_len, LB_ADMIN_BODY_MAX, &out, &n, &err)
        != LB_OK && (err.code != 400 || err.field[0] == '\0'))
    {
        lb_admin_conf_error(ch->r, &err);
        return false;
    }

    if (!lb_admin_split(ch->r->req_body, ch->r->req_len, b)
        || b->wrapper_len != strlen(wrapper)
        || memcmp(b->wrapper, wrapper, b->wrapper_len) != 0)
    {
        if (err.code == 400) {
            lb_admin_conf_error(ch->r, &err);
        } else {
            lb_admin_error(ch->r, 400, "the body must be one JSON object "
                           "{\"%s\": {...}} with at most %d fields",
                           wrapper, LB_ADMIN_PAIRS);
        }
        return false;
    }

    return true;
}


/* Split p[0..len), JSON already judged valid, as {"w": {"k": v, ...}}.
 * false when it has another shape. No recursion: a value is skipped by
 * counting brackets. */
static bool
lb_admin_split(const u_char *p, size_t len, lb_admin_body_t *b)
{
    size_t  i, e;

    memset(b, 0, sizeof(lb_admin_body_t));

    i = lb_admin_skip_ws(p, len, 0);
    if (i >= len || p[i] != '{') {
        return false;
    }

    i = lb_admin_skip_ws(p, len, i + 1);
    e = lb_admin_skip_string(p, len, i);
    if (e == 0) {
        return false;
    }

    b->wrapper = p + i + 1;
    b->wrapper_len = e - i - 2;

    i = lb_admin_skip_ws(p, len, e);
    if (i >= len || p[i] != ':') {
        return false;
    }

    i = lb_admin_skip_ws(p, len, i + 1);
    if (i >= len || p[i] != '{') {
        return false;
    }

    i = lb_admin_skip_ws(p, len, i + 1);

    if (i < len && p[i] == '}') {
        i++;

    } else {
        for ( ;; ) {
            if (b->n == LB_ADMIN_PAIRS) {
                return false;
            }

            e = lb_admin_skip_string(p, len, i);
            if (e == 0) {
                return false;
            }

            b->pairs[b->n].key = p + i + 1;
            b->pairs[b->n].key_len = e - i - 2;

            i = lb_admin_skip_ws(p, len, e);
            if (i >= len || p[i] != ':') {
                return false;
            }

            i = lb_admin_skip_ws(p, len, i + 1);
            e = lb_admin_skip_value(p, len, i);
            if (e == 0) {
                return false;
            }

            b->pairs[b->n].val = p + i;
            b->pairs[b->n].val_len = e - i;
            b->n++;

            i = lb_admin_skip_ws(p, len, e);
            if (i >= len) {
                return false;
            }

            if (p[i] == '}') {
                i++;
                break;
            }

            if (p[i] != ',') {
                return false;
            }

            i = lb_admin_skip_ws(p, len, i + 1);
        }
    }

    i = lb_admin_skip_ws(p, len, i);
    if (i >= len || p[i] != '}') {
        return false;
    }

    return lb_admin_skip_ws(p, len, i + 1) == len;
}


static size_t
lb_admin_skip_ws(const u_char *p, size_t len, size_t i)
{
    while (i < len
           && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
    {
        i++;
    }

    return i;
}


/* the end (after the closing quote) of the string at p[i], 0 if none */
static size_t
lb_admin_skip_string(const u_char *p, size_t len, size_t i)
{
    if (i >= len || p[i] != '"') {
        return 0;
    }

    for (i++; i < len; i++) {
        if (p[i] == '\\') {
            i++;
            continue;
        }

        if (p[i] == '"') {
            return i + 1;
        }
    }

    return 0;
}


/* the end of the value at p[i], 0 if none */
static size_t
lb_admin_skip_value(const u_char *p, size_t len, size_t i)
{
    size_t  depth, e;

    if (i >= len) {
        return 0;
    }

    if (p[i] == '"') {
        return lb_admin_skip_string(p, len, i);
    }

    if (p[i] != '{' && p[i] != '[') {
        while (i < len && p[i] != ',' && p[i] != '}' && p[i] != ']'
               && p[i] != ' ' && p[i] != '\t' && p[i] != '\r'
               && p[i] != '\n')
        {
            i++;
        }
        return i;
    }

    depth = 0;

    while (i < len) {
        if (p[i] == '"') {
            e = lb_admin_skip_string(p, len, i);
            if (e == 0) {
                return 0;
            }
            i = e;
            continue;
        }

        if (p[i] == '{' || p[i] == '[') {
            depth++;

        } else if (p[i] == '}' || p[i] == ']') {
            if (--depth == 0) {
                return i + 1;
            }
        }

        i++;
    }

    return 0;
}


static lb_admin_pair_t *
lb_admin_pair(lb_admin_body_t *b, const char *key)
{
    uint32_t  i;
    size_t    n;

    n = strlen(key);

    for (i = 0; i < b->n; i++) {
        if (b->pairs[i].key_len == n && memcmp(b->pairs[i].key, key, n) == 0)
        {
            return &b->pairs[i];
        }
    }

    return NULL;
}


/* Take "key": "<id>" | null out of the body. *given: the key was there;
 * *id: its value (NULL for null or absent). false when answered (400). */
static bool
lb_admin_take_id(lb_admin_change_t *ch, lb_admin_body_t *b, const char *key,
    bool required, char **id, bool *given)
{
    char             *field;
    lb_admin_pair_t  *pr;

    *id = NULL;
    *given = false;

    field = lb_psprintf(ch->pool, "%s.%s", ch->wrapper, key);
    if (field == NULL) {
        lb_admin_error(ch->r, 500, "out of memory");
        return false;
    }

    pr = lb_admin_pair(b, key);
    if (pr == NULL) {
        if (required) {
            lb_admin_field_error(ch, 400, field, "missing required field "
                                 "\"%s\"", key);
            return false;
        }
        return true;
    }

    *given = true;

    if (pr->val_len == 4 && memcmp(pr->val, "null", 4) == 0) {
        if (required) {
            lb_admin_field_error(ch, 400, field, "must be an id, not null");
            return false;
        }

    } else if (pr->val_len >= 2 && pr->val[0] == '"'
               && memchr(pr->val, '\\', pr->val_len) == NULL)
    {
        *id = lb_pstrndup(ch->pool, (const char *) pr->val + 1,
                          pr->val_len - 2);
        if (*id == NULL) {
            lb_admin_error(ch->r, 500, "out of memory");
            return false;
        }

    } else {
        lb_admin_field_error(ch, 400, field, "must be the id of an object "
                             "(a string)");
        return false;
    }

    /* not a field of the file: out of the body the schema reads */
    pr->key_len = 0;

    return true;
}


/* {"wrapper": {base pairs not in b, then b's pairs}}: the current object
 * with the body's fields laid over it. base is a JSON document
 * {"wrapper": {...}} or empty. */
static u_char *
lb_admin_merge(lb_admin_change_t *ch, const char *wrapper,
    lb_admin_buf_t *base, lb_admin_body_t *b, size_t *len)
{
    u_char           *text;
    uint32_t          i, k;
    bool              comma;
    lb_admin_buf_t    out;
    lb_admin_body_t  *cur;

    memset(&out, 0, sizeof(out));

    cur = lb_pcalloc(ch->pool, sizeof(lb_admin_body_t));
    if (cur == NULL) {
        lb_admin_error(ch->r, 500, "out of memory");
        return NULL;
    }

    if (base->nomem
        || (base->len > 0 && !lb_admin_split(base->data, base->len, cur)))
    {
        lb_admin_error(ch->r, 500, "out of memory");
        return NULL;
    }

    lb_admin_buf_printf(&out, "{\"%s\": {", wrapper);
    comma = false;

    for (i = 0; i < cur->n; i++) {
        for (k = 0; k < b->n; k++) {
            if (b->pairs[k].key_len == cur->pairs[i].key_len
                && memcmp(b->pairs[k].key, cur->pairs[i].key,
                          b->pairs[k].key_len) == 0)
            {
                break;
            }
        }

        if (k < b->n) {
            continue;
        }

        lb_admin_buf_printf(&out, "%s\"%.*s\": %.*s", comma ? ", " : "",
                            (int) cur->pairs[i].key_len, cur->pairs[i].key,
                            (int) cur->pairs[i].val_len, cur->pairs[i].val);
        comma = true;
    }

    for (k = 0; k < b->n; k++) {
        if (b->pairs[k].key_len == 0) {
            continue;       /* taken out */
        }

        lb_admin_buf_printf(&out, "%s\"%.*s\": %.*s", comma ? ", " : "",
                            (int) b->pairs[k].key_len, b->pairs[k].key,
                            (int) b->pairs[k].val_len, b->pairs[k].val);
        comma = true;
    }

    lb_admin_buf_append(&out, "}}", 2);

    text = NULL;

    if (!out.nomem) {
        text = lb_palloc(ch->pool, out.len + 1);
        if (text != NULL) {
            memcpy(text, out.data, out.len);
            text[out.len] = '\0';
            *len = out.len;
        }
    }

    lb_admin_buf_free(&out);

    if (text == NULL) {
        lb_admin_error(ch->r, 500, "out of memory");
    }

    return text;
}


/* 400 for the first of keys the body has */
static bool
lb_admin_refuse_keys(lb_admin_change_t *ch, lb_admin_body_t *b,
    const char *const *keys, const char *why)
{
    char  field[128];

    for ( /* void */ ; *keys != NULL; keys++) {
        if (lb_admin_pair(b, *keys) != NULL) {
            snprintf(field, sizeof(field), "%s.%s", ch->wrapper, *keys);
            lb_admin_field_error(ch, 400, field, "%s %s", *keys, why);
            return false;
        }
    }

    return true;
}


static void
lb_admin_field_error(lb_admin_change_t *ch, unsigned status,
    const char *field, const char *fmt, ...)
{
    va_list                ap;
    lb_conf_json_error_t   e;
    char                   msg[1024];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    memset(&e, 0, sizeof(e));
    e.code = status;
    e.field = field;
    e.message = msg;

    lb_admin_conf_error(ch->r, &e);
}


/* --- ids and lists --- */

static char *
lb_admin_new_id(lb_admin_change_t *ch)
{
    char  *id;

    id = lb_palloc(ch->pool, LB_CONF_UUID_LEN + 1);

    if (id == NULL || lb_conf_uuid(id) != LB_OK) {
        lb_admin_error(ch->r, 500, "no random bytes for a new id");
        return NULL;
    }

    if (ch->ncreated < LB_ADMIN_CREATED) {
        ch->created[ch->ncreated++] = id;
    }

    return id;
}


static bool
lb_admin_ids_group(lb_admin_change_t *ch, lb_target_group_t *g)
{
    uint32_t  i;

    if (g->id != NULL) {
        lb_admin_field_error(ch, 400, "target_group.id", "id is given by "
                             "weir");
        return false;
    }

    if ((g->id = lb_admin_new_id(ch)) == NULL) {
        return false;
    }

    if (g->health_monitor != NULL
        && (g->health_monitor->id = lb_admin_new_id(ch)) == NULL)
    {
        return false;
    }

    for (i = 0; i < g->ntargets; i++) {
        if ((g->targets[i].id = lb_admin_new_id(ch)) == NULL) {
            return false;
        }
    }

    return true;
}


/* a new array of *n + 1 items from pool: the old ones, then item */
static void *
lb_admin_append(lb_pool_t *pool, void *items, uint32_t *n, size_t size,
    const void *item)
{
    u_char  *a;

    a = lb_palloc(pool, (*n + 1) * size);
    if (a == NULL) {
        return NULL;
    }

    if (*n > 0) {
        memcpy(a, items, *n * size);
    }

    memcpy(a + *n * size, item, size);
    (*n)++;

    return a;
}


/* the copy's own array: item i out, the rest moved down */
static void
lb_admin_remove(void *items, uint32_t *n, size_t size, uint32_t i)
{
    u_char  *a;

    a = items;
    memmove(a + i * size, a + (i + 1) * size, (*n - i - 1) * size);
    (*n)--;
}


static lb_load_balancer_t *
lb_admin_lb(lb_conf_t *c, const char *id)
{
    uint32_t  b;

    for (b = 0; c != NULL && b < c->nbalancers; b++) {
        if (c->balancers[b].id != NULL
            && strcmp(c->balancers[b].id, id) == 0)
        {
            return &c->balancers[b];
        }
    }

    return NULL;
}


static lb_listener_t *
lb_admin_listener(lb_conf_t *c, const char *id)
{
    uint32_t             b, i;
    lb_load_balancer_t  *lb;

    for (b = 0; c != NULL && b < c->nbalancers; b++) {
        lb = &c->balancers[b];
        for (i = 0; i < lb->nlisteners; i++) {
            if (lb->listeners[i].id != NULL
                && strcmp(lb->listeners[i].id, id) == 0)
            {
                return &lb->listeners[i];
            }
        }
    }

    return NULL;
}


static lb_target_group_t *
lb_admin_group(lb_conf_t *c, const char *id)
{
    uint32_t             b, i;
    lb_load_balancer_t  *lb;

    for (b = 0; c != NULL && b < c->nbalancers; b++) {
        lb = &c->balancers[b];
        for (i = 0; i < lb->ntarget_groups; i++) {
            if (lb->target_groups[i].id != NULL
                && strcmp(lb->target_groups[i].id, id) == 0)
            {
                return &lb->target_groups[i];
            }
        }
    }

    return NULL;
}


static lb_target_group_t *
lb_admin_monitor_group(lb_conf_t *c, const char *id)
{
    uint32_t             b, i;
    lb_target_group_t   *g;
    lb_load_balancer_t  *lb;

    for (b = 0; c != NULL && b < c->nbalancers; b++) {
        lb = &c->balancers[b];
        for (i = 0; i < lb->ntarget_groups; i++) {
            g = &lb->target_groups[i];
            if (g->health_monitor != NULL && g->health_monitor->id != NULL
                && strcmp(g->health_monitor->id, id) == 0)
            {
                return g;
            }
        }
    }

    return NULL;
}


static lb_target_t *
lb_admin_member(lb_target_group_t *g, const char *id)
{
    uint32_t  i;

    for (i = 0; g != NULL && i < g->ntargets; i++) {
        if (g->targets[i].id != NULL && strcmp(g->targets[i].id, id) == 0) {
            return &g->targets[i];
        }
    }

    return NULL;
}


/* the group's path in the file as the reader names it */
static char *
lb_admin_path_group(lb_admin_change_t *ch, const lb_load_balancer_t *b,
    const lb_target_group_t *g)
{
    return lb_psprintf(ch->pool, "load_balancers[%s].target_groups[%s]",
                       b->name, g->name);
}


/* --- the current fields of an object, as a body would give them --- */

static void
lb_admin_base_group(lb_admin_buf_t *buf, const lb_target_group_t *g)
{
    lb_json_t          j;
    lb_persistence_t  *sp;

    sp = g->session_persistence;

    lb_json_init(&j, buf);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "target_group");
    lb_json_str(&j, "name", g->name);
    lb_json_str(&j, "protocol", lb_tg_proto_names[g->protocol]);
    lb_json_str(&j, "load_balancer_algorithm",
                lb_algorithm_names[g->load_balancer_algorithm]);

    if (g->protocol == LB_TG_PROXY) {
        lb_json_uint(&j, "proxy_protocol_version",
                     g->proxy_protocol_version);
    }

    if (sp != NULL) {
        lb_json_object(&j, "session_persistence");
        lb_json_str(&j, "type", lb_persistence_names[sp->type]);
        lb_json_uint(&j, "persistence_timeout",
                     sp->persistence_timeout / 1000);
        if (sp->cookie_name != NULL) {
            lb_json_str(&j, "cookie_name", sp->cookie_name);
        }
        if (sp->type == LB_PERSIST_SOURCE_IP
            && sp->persistence_granularity != NULL)
        {
            lb_json_str(&j, "persistence_granularity",
                        sp->persistence_granularity);
        }
        lb_json_object_end(&j);
    }

    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_base_member(lb_admin_buf_t *buf, const lb_target_t *t)
{
    lb_json_t  j;

    lb_json_init(&j, buf);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "member");
    if (t->name != NULL) {
        lb_json_str(&j, "name", t->name);
    }
    lb_json_str(&j, "address", t->address);
    lb_json_uint(&j, "protocol_port", t->protocol_port);
    lb_json_uint(&j, "weight", t->weight);
    if (t->monitor_port != t->protocol_port) {
        lb_json_uint(&j, "monitor_port", t->monitor_port);
    }
    if (t->subnet_id != NULL) {
        lb_json_str(&j, "subnet_id", t->subnet_id);
    }
    if (t->instance_id != NULL) {
        lb_json_str(&j, "instance_id", t->instance_id);
    }
    if (t->instance_name != NULL) {
        lb_json_str(&j, "instance_name", t->instance_name);
    }
    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_base_monitor(lb_admin_buf_t *buf, const lb_health_monitor_t *hm)
{
    lb_json_t  j;

    lb_json_init(&j, buf);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "health_monitor");
    lb_json_str(&j, "type", lb_check_type_names[hm->type]);
    lb_json_uint(&j, "delay", hm->delay / 1000);
    lb_json_uint(&j, "timeout", hm->timeout / 1000);
    lb_json_uint(&j, "max_retries", hm->max_retries);
    lb_json_uint(&j, "max_retries_down", hm->max_retries_down);

    if (hm->type == LB_CHECK_HTTP || hm->type == LB_CHECK_HTTPS) {
        lb_json_str(&j, "http_method", lb_http_method_names[hm->http_method]);
        lb_json_str(&j, "http_version", hm->http_version);
        lb_json_str(&j, "url_path", hm->url_path);
        lb_json_str(&j, "expected_codes", hm->expected_codes);
    }

    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_base_listener(lb_admin_buf_t *buf, const lb_listener_t *l)
{
    uint32_t   i;
    bool       tls, http;
    lb_json_t  j;

    tls = l->protocol == LB_LISTENER_HTTPS || l->protocol == LB_LISTENER_TLS;
    http = l->protocol == LB_LISTENER_HTTP || l->protocol == LB_LISTENER_HTTPS;

    lb_json_init(&j, buf);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "listener");
    lb_json_str(&j, "name", l->name);
    lb_json_str(&j, "protocol", lb_listener_proto_names[l->protocol]);
    lb_json_uint(&j, "protocol_port", l->protocol_port);
    lb_json_uint(&j, "timeout_client_data", l->timeout_client_data);
    lb_json_uint(&j, "timeout_member_connect", l->timeout_member_connect);
    lb_json_uint(&j, "timeout_member_data", l->timeout_member_data);
    lb_json_int(&j, "connection_limit", l->connection_limit);

    if (http) {
        lb_json_uint(&j, "timeout_client_header", l->timeout_client_header);
        lb_json_object(&j, "insert_headers");
        lb_json_str(&j, "X-Forwarded-For",
                    lb_xff_mode_names[l->x_forwarded_for]);
        lb_json_bool(&j, "X-Forwarded-Proto", l->x_forwarded_proto);
        lb_json_bool(&j, "X-Forwarded-Port", l->x_forwarded_port);
        lb_json_object_end(&j);
    }

    if (tls) {
        lb_json_str(&j, "tls_certificate", l->tls.certificate);
        lb_json_str(&j, "tls_key", l->tls.key);
        lb_json_str(&j, "tls_min_version",
                    lb_tls_version_names[l->tls_min_version]);
        if (l->nsni_certificates > 0) {
            lb_json_array(&j, "sni_certificates");
            for (i = 0; i < l->nsni_certificates; i++) {
                lb_json_object(&j, NULL);
                lb_json_str(&j, "tls_certificate",
                            l->sni_certificates[i].certificate);
                lb_json_str(&j, "tls_key", l->sni_certificates[i].key);
                lb_json_object_end(&j);
            }
            lb_json_array_end(&j);
        }
    }

    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_base_balancer(lb_admin_buf_t *buf, const lb_load_balancer_t *b)
{
    uint32_t   i;
    lb_json_t  j;

    lb_json_init(&j, buf);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "load_balancer");
    lb_json_str(&j, "name", b->name);
    lb_json_str(&j, "type", lb_balancer_type_names[b->type]);
    lb_json_str(&j, "address", b->address);
    if (b->availability_zone != NULL) {
        lb_json_str(&j, "availability_zone", b->availability_zone);
    }
    if (b->vpc != NULL) {
        lb_json_str(&j, "vpc", b->vpc);
    }
    if (b->nhealth_check_ips > 0) {
        lb_json_array(&j, "health_check_ips");
        for (i = 0; i < b->nhealth_check_ips; i++) {
            lb_json_object(&j, NULL);
            if (b->health_check_ips[i].subnet_id != NULL) {
                lb_json_str(&j, "subnet_id",
                            b->health_check_ips[i].subnet_id);
            }
            lb_json_str(&j, "address", b->health_check_ips[i].address);
            lb_json_object_end(&j);
        }
        lb_json_array_end(&j);
    }
    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


/* --- pending requests per balancer --- */

static lb_admin_pending_t *
lb_admin_pending(const char *lb_id, bool make)
{
    uint32_t             i;
    lb_admin_pending_t  *p, *free_slot;

    free_slot = NULL;

    for (i = 0; i < LB_ADMIN_PENDING; i++) {
        p = &lb_admin_w.pending[i];

        if (p->id[0] == '\0') {
            if (free_slot == NULL) {
                free_slot = p;
            }
            continue;
        }

        if (strcmp(p->id, lb_id) == 0) {
            if (make) {
                lb_admin_pending_free(p);
                free_slot = p;
                break;
            }
            return p;
        }
    }

    if (!make || free_slot == NULL) {
        return NULL;
    }

    snprintf(free_slot->id, sizeof(free_slot->id), "%s", lb_id);

    return free_slot;
}


static void
lb_admin_pending_free(lb_admin_pending_t *p)
{
    char  **c;

    for (c = p->created; c != NULL && *c != NULL; c++) {
        free(*c);
    }

    free(p->created);
    memset(p, 0, sizeof(lb_admin_pending_t));
}
