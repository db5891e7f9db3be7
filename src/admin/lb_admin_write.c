/* weir: the write operations of the admin API (SPEC.md sections 8 and 10,
 * issue 11), with OpenStack Octavia's shapes; each handler makes one
 * change through lb_admin_change.h (see lb_admin_change.c for how a
 * change is judged, written and applied).
 *
 * Statuses: create 201 with the object, update 200 with the object,
 * delete 204 without a body. A PUT carries only the fields it changes:
 * its pairs are laid over the object's current fields and the whole
 * object is judged by the schema. Keys that are not fields of the file
 * (load_balancer_id, target_group_id, listener_id) name objects by id.
 * What a PUT may not change answers 400 naming the field and what to do
 * instead (a member's address or port: remove it and add it again; a
 * group's protocol or a monitor's type: create another). */
#include <stdio.h>
#include <string.h>

#include "lb_admin.h"
#include "lb_admin_body.h"
#include "lb_admin_change.h"
#include "lb_admin_json.h"
#include "lb_admin_l7.h"
#include "lb_admin_route.h"
#include "lb_admin_write.h"
#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_palloc.h"


/* what a route's path names: the objects lb_admin_open() finds */
typedef enum {
    LB_ADMIN_AT_LB = 0,         /* /load-balancers/{0} */
    LB_ADMIN_AT_LISTENER,       /* /listeners/{0} */
    LB_ADMIN_AT_GROUP,          /* /target-groups/{0} */
    LB_ADMIN_AT_MEMBER,         /* /target-groups/{0}/members/{1} */
    LB_ADMIN_AT_MONITOR         /* /health-monitors/{0} */
} lb_admin_at_e;

/* the objects of the copy a handler works on; b: the balancer of the
 * others */
typedef struct {
    lb_load_balancer_t  *b;
    lb_listener_t       *l;
    lb_target_group_t   *g;     /* a monitor's: its group */
    lb_target_t         *t;
} lb_admin_at_t;

static bool lb_admin_open(lb_admin_req_t *r, lb_admin_change_t *ch,
    const char *wrapper, lb_admin_at_e at, bool deleting, lb_admin_at_t *o);
static bool lb_admin_open_new(lb_admin_req_t *r, lb_admin_change_t *ch,
    const char *wrapper, lb_admin_body_t *body);
static bool lb_admin_read_body(lb_admin_change_t *ch, lb_admin_body_t *body,
    const char *const *fixed, const char *why);
static bool lb_admin_take_lb(lb_admin_change_t *ch, lb_admin_body_t *body,
    const char *key, char **id, lb_load_balancer_t **b);
static void *lb_admin_found(lb_admin_change_t *ch, void *o, const char *what,
    const char *id);
static bool lb_admin_rebuild(lb_admin_change_t *ch, const void *parent,
    lb_admin_buf_t *base, lb_admin_body_t *body, void **out);
static bool lb_admin_own_group(lb_admin_change_t *ch,
    const lb_target_group_t *g, const lb_load_balancer_t *b);
static char *lb_admin_path_member(lb_admin_change_t *ch,
    const lb_target_group_t *g, const char *name, uint32_t index);
static char *lb_admin_path_monitor(lb_admin_change_t *ch,
    const lb_target_group_t *g);
static void lb_admin_commit_delete(lb_admin_change_t *ch);


/* --- load balancers --- */

void
lb_admin_balancer_create(lb_admin_req_t *r)
{
    uint32_t             i;
    lb_admin_body_t      body;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *nb;

    if (!lb_admin_open_new(r, &ch, "load_balancer", &body)) {
        return;
    }

    if (!lb_admin_rebuild(&ch, NULL, NULL, &body, (void **) &nb)
        || (nb->id = lb_admin_new_id(&ch)) == NULL)
    {
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
        lb_admin_answer(&ch, 201, "load_balancer", nb->id);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_balancer_update(lb_admin_req_t *r)
{
    lb_admin_at_t        at;
    lb_admin_buf_t       base;
    lb_admin_body_t      body;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b, *nb;

    static const char *const  fixed[] = {
        "listeners", "target_groups", NULL
    };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_open(r, &ch, "load_balancer", LB_ADMIN_AT_LB, false, &at)) {
        return;
    }

    b = at.b;

    if (!lb_admin_read_body(&ch, &body, fixed, "is changed through its "
                            "own resource (/listeners, /target-groups)"))
    {
        goto done;
    }

    lb_admin_body_balancer(&base, b);

    if (!lb_admin_rebuild(&ch, NULL, &base, &body, (void **) &nb)) {
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
        lb_admin_answer(&ch, 200, "load_balancer", b->id);
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
    lb_admin_at_t        at;
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

    if (!lb_admin_open(r, &ch, "load_balancer", LB_ADMIN_AT_LB, true, &at)) {
        return;
    }

    b = at.b;

    if (!cascade && (b->nlisteners > 0 || b->ntarget_groups > 0)) {
        lb_admin_error(r, 400, "load balancer %s still has %u listeners and "
                       "%u target groups; delete them first, or delete "
                       "with ?cascade=true", b->id, b->nlisteners,
                       b->ntarget_groups);
        goto done;
    }

    lb_admin_remove(ch.conf->balancers, &ch.conf->nbalancers,
                    sizeof(lb_load_balancer_t), b->index);

    lb_admin_commit_delete(&ch);

done:

    lb_admin_end(&ch);
}


/* --- listeners --- */

void
lb_admin_listener_create(lb_admin_req_t *r)
{
    char                *tg_id;
    lb_listener_t       *nl;
    lb_admin_body_t      body;
    lb_target_group_t   *g;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b;

    if (!lb_admin_open_new(r, &ch, "listener", &body)) {
        return;
    }

    if (!lb_admin_take_lb(&ch, &body, "target_group_id", &tg_id, &b)) {
        goto done;
    }

    g = NULL;
    if (tg_id != NULL) {
        g = lb_admin_found(&ch, lb_admin_find_group(ch.conf, tg_id),
                           "target group", tg_id);
        if (g == NULL) {
            goto done;
        }
    }

    if (!lb_admin_may_change(&ch, b, false)
        || !lb_admin_rebuild(&ch, b, NULL, &body, (void **) &nl)
        || !lb_admin_own_group(&ch, g, b)
        || (nl->id = lb_admin_new_id(&ch)) == NULL)
    {
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
        lb_admin_answer(&ch, 201, "listener", nl->id);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_listener_update(lb_admin_req_t *r)
{
    char               *tg_id, *id, *tg_name;
    bool                tg_given;
    uint32_t            index;
    lb_admin_at_t       at;
    lb_listener_t      *l, *nl;
    lb_admin_buf_t      base;
    lb_admin_body_t     body;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;
    lb_load_balancer_t *b;

    static const char *const  fixed[] = { "load_balancer_id", NULL };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_open(r, &ch, "listener", LB_ADMIN_AT_LISTENER, false,
                       &at))
    {
        return;
    }

    l = at.l;
    b = at.b;

    if (!lb_admin_read_body(&ch, &body, fixed, "cannot be changed; "
                            "a listener stays in its load balancer")
        || !lb_admin_take_id(&ch, &body, "target_group_id", false, &tg_id,
                             &tg_given))
    {
        goto done;
    }

    if (lb_admin_body_pair(&body, "target_group") != NULL) {
        lb_admin_field_error(&ch, 400, "listener.target_group", "the API "
                             "names the target group by its id: use "
                             "target_group_id");
        goto done;
    }

    tg_name = l->target_group_name;

    if (tg_given) {
        tg_name = NULL;

        if (tg_id != NULL) {
            g = lb_admin_found(&ch, lb_admin_find_group(ch.conf, tg_id),
                               "target group", tg_id);
            if (g == NULL || !lb_admin_own_group(&ch, g, b)) {
                goto done;
            }

            tg_name = g->name;
        }
    }

    lb_admin_body_listener(&base, l);

    if (!lb_admin_rebuild(&ch, b, &base, &body, (void **) &nl)) {
        goto done;
    }

    if (nl->protocol != l->protocol) {
        lb_admin_field_error(&ch, 400, "listener.protocol", "the protocol of "
                             "a listener cannot be changed (%s); delete the "
                             "listener and create another",
                             lb_listener_proto_names[l->protocol]);
        goto done;
    }

    /* the policies have their own endpoints: a PUT without them keeps
     * them */
    if (lb_admin_body_pair(&body, "l7_policies") == NULL) {
        nl->l7_policies = l->l7_policies;
        nl->nl7_policies = l->nl7_policies;
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
        lb_admin_answer(&ch, 200, "listener", l->id);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_listener_delete(lb_admin_req_t *r)
{
    lb_admin_at_t       at;
    lb_admin_change_t   ch;

    if (!lb_admin_open(r, &ch, "listener", LB_ADMIN_AT_LISTENER, true, &at)) {
        return;
    }

    ch.lb_id = at.b->id;
    lb_admin_remove(at.b->listeners, &at.b->nlisteners, sizeof(lb_listener_t),
                    at.l->index);

    lb_admin_commit_delete(&ch);
    lb_admin_end(&ch);
}


/* --- target groups --- */

void
lb_admin_group_create(lb_admin_req_t *r)
{
    char                *l_id;
    lb_listener_t       *l;
    lb_admin_body_t      body;
    lb_target_group_t   *ng;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b;

    if (!lb_admin_open_new(r, &ch, "target_group", &body)) {
        return;
    }

    if (!lb_admin_take_lb(&ch, &body, "listener_id", &l_id, &b)) {
        goto done;
    }

    l = NULL;
    if (l_id != NULL) {
        l = lb_admin_found(&ch, lb_admin_find_listener(ch.conf, l_id),
                           "listener", l_id);
        if (l == NULL) {
            goto done;
        }

        if (l->balancer != b) {
            lb_admin_field_error(&ch, 400, "target_group.listener_id",
                                 "listener %s belongs to another load "
                                 "balancer", l_id);
            goto done;
        }
    }

    if (!lb_admin_may_change(&ch, b, false)
        || !lb_admin_rebuild(&ch, b, NULL, &body, (void **) &ng)
        || !lb_admin_ids_group(&ch, ng))
    {
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
        lb_admin_answer(&ch, 201, "target_group", ng->id);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_group_update(lb_admin_req_t *r)
{
    uint32_t             i;
    lb_admin_at_t        at;
    lb_load_balancer_t  *b;
    lb_admin_buf_t       base;
    lb_admin_body_t      body;
    lb_target_group_t   *g, *ng;
    lb_admin_change_t    ch;

    static const char *const  fixed[] = {
        "members", "health_monitor", "load_balancer_id", "listener_id", NULL
    };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_open(r, &ch, "target_group", LB_ADMIN_AT_GROUP, false,
                       &at))
    {
        return;
    }

    g = at.g;
    b = at.b;

    if (!lb_admin_read_body(&ch, &body, fixed, "cannot be changed by "
                            "a PUT of the target group; use its "
                            "/members, /health-monitors or the "
                            "listener's target_group_id"))
    {
        goto done;
    }

    lb_admin_body_group(&base, g);

    if (!lb_admin_rebuild(&ch, b, &base, &body, (void **) &ng)) {
        goto done;
    }

    if (ng->protocol != g->protocol) {
        lb_admin_field_error(&ch, 400, "target_group.protocol", "the "
                             "protocol of a target group cannot be changed "
                             "(%s); create another target group",
                             lb_tg_proto_names[g->protocol]);
        goto done;
    }

    /* SPEC 13: the targets' protocol is fixed, as the group's protocol:
     * pooled connections and their streams speak it */
    if (ng->nalpn != g->nalpn
        || memcmp(ng->alpn, g->alpn, g->nalpn) != 0)
    {
        lb_admin_field_error(&ch, 400, "target_group.alpn_protocols", "the "
                             "alpn_protocols of a target group cannot be "
                             "changed ([%s]); create another target group",
                             lb_alpn_names[g->alpn[0]]);
        goto done;
    }

    /* listeners name their group: a rename renames the reference */
    for (i = 0; i < b->nlisteners; i++) {
        if (b->listeners[i].target_group_name != NULL
            && strcmp(b->listeners[i].target_group_name, g->name) == 0)
        {
            b->listeners[i].target_group_name = ng->name;
        }
    }

    /* and so do L7 policies */
    lb_admin_l7_rename(b, g->name, ng->name);

    g->name = ng->name;
    g->load_balancer_algorithm = ng->load_balancer_algorithm;
    g->proxy_protocol_version = ng->proxy_protocol_version;
    g->session_persistence = ng->session_persistence;

    ch.lb_id = b->id;
    ch.path = lb_admin_path_group(&ch, b, g);

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 200, "target_group", g->id);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_group_delete(lb_admin_req_t *r)
{
    uint32_t             i;
    const lb_l7_policy_t *p;
    lb_admin_at_t        at;
    lb_target_group_t   *g;
    lb_admin_change_t    ch;
    lb_load_balancer_t  *b;

    if (!lb_admin_open(r, &ch, "target_group", LB_ADMIN_AT_GROUP, true, &at)) {
        return;
    }

    g = at.g;
    b = at.b;

    for (i = 0; i < b->nlisteners; i++) {
        if (b->listeners[i].target_group == g) {
            lb_admin_error(r, 409, "target group %s is the target group of "
                           "listener %s; disconnect it first (PUT the "
                           "listener with \"target_group_id\": null)",
                           g->id, b->listeners[i].id);
            goto done;
        }
    }

    if ((p = lb_admin_l7_user(g)) != NULL) {
        lb_admin_error(r, 409, "target group %s is the target of L7 policy "
                       "%s; delete the policy or change its action first",
                       g->id, p->id);
        goto done;
    }

    ch.lb_id = b->id;
    lb_admin_remove(b->target_groups, &b->ntarget_groups,
                    sizeof(lb_target_group_t), g->index);

    lb_admin_commit_delete(&ch);

done:

    lb_admin_end(&ch);
}


/* --- members --- */

void
lb_admin_member_create(lb_admin_req_t *r)
{
    lb_admin_at_t       at;
    lb_target_t        *nt;
    lb_admin_body_t     body;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    if (!lb_admin_open(r, &ch, "member", LB_ADMIN_AT_GROUP, false, &at)) {
        return;
    }

    g = at.g;

    if (!lb_admin_read_body(&ch, &body, NULL, NULL)
        || !lb_admin_rebuild(&ch, g, NULL, &body, (void **) &nt)
        || (nt->id = lb_admin_new_id(&ch)) == NULL)
    {
        goto done;
    }

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_member(&ch, g, nt->name, g->ntargets);

    g->targets = lb_admin_append(ch.pool, g->targets, &g->ntargets,
                                 sizeof(lb_target_t), nt);
    if (g->targets == NULL || ch.path == NULL) {
        lb_admin_error(r, 500, "out of memory");
        goto done;
    }

    if (lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 201, "member", nt->id);
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
    lb_admin_at_t       at;
    lb_target_t        *nt;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    if (!lb_admin_open(r, &ch, "members", LB_ADMIN_AT_GROUP, false, &at)) {
        return;
    }

    g = at.g;

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

    g = lb_admin_find_group(ch.result, r->params[0]);

    r->status = 200;
    lb_admin_buf_reset(r->body);
    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_array(&j, "members");
    for (i = 0; g != NULL && i < g->ntargets; i++) {
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
    lb_admin_at_t       at;
    lb_target_t        *t, *nt;
    lb_admin_buf_t      base;
    lb_admin_body_t     body;
    lb_target_group_t  *g;
    lb_admin_change_t   ch;

    memset(&base, 0, sizeof(base));

    if (!lb_admin_open(r, &ch, "member", LB_ADMIN_AT_MEMBER, false, &at)) {
        return;
    }

    g = at.g;
    t = at.t;

    if (!lb_admin_read_body(&ch, &body, NULL, NULL)) {
        goto done;
    }

    lb_admin_body_member(&base, t);

    if (!lb_admin_rebuild(&ch, g, &base, &body, (void **) &nt)) {
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
    ch.path = lb_admin_path_member(&ch, g, t->name, t->index);

    if (ch.path == NULL || !lb_admin_commit(&ch, ch.path)) {
        goto done;
    }

    lb_admin_answer(&ch, 200, "member", r->params[1]);

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


/* detach: the machine behind it is not touched (SPEC.md 7) */
void
lb_admin_member_delete(lb_admin_req_t *r)
{
    lb_admin_at_t       at;
    lb_admin_change_t   ch;

    if (!lb_admin_open(r, &ch, "member", LB_ADMIN_AT_MEMBER, true, &at)) {
        return;
    }

    ch.lb_id = at.b->id;
    lb_admin_remove(at.g->targets, &at.g->ntargets, sizeof(lb_target_t),
                    (uint32_t) (at.t - at.g->targets));

    lb_admin_commit_delete(&ch);
    lb_admin_end(&ch);
}


/* --- health monitors --- */

void
lb_admin_monitor_create(lb_admin_req_t *r)
{
    char                 *tg_id;
    bool                  given;
    lb_admin_body_t       body;
    lb_target_group_t    *g;
    lb_admin_change_t     ch;
    lb_health_monitor_t  *hm;

    if (!lb_admin_open_new(r, &ch, "health_monitor", &body)) {
        return;
    }

    if (!lb_admin_take_id(&ch, &body, "target_group_id", true, &tg_id,
                          &given)
        || (g = lb_admin_found(&ch, lb_admin_find_group(ch.conf, tg_id),
                               "target group", tg_id)) == NULL
        || !lb_admin_may_change(&ch, g->balancer, false))
    {
        goto done;
    }

    if (g->health_monitor != NULL) {
        lb_admin_error(r, 409, "target group %s has a health monitor "
                       "already (%s); change it with PUT or delete it "
                       "first", g->id, g->health_monitor->id);
        goto done;
    }

    if (!lb_admin_rebuild(&ch, g, NULL, &body, (void **) &hm)
        || (hm->id = lb_admin_new_id(&ch)) == NULL)
    {
        goto done;
    }

    g->health_monitor = hm;

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_monitor(&ch, g);

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 201, "health_monitor", hm->id);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_monitor_update(lb_admin_req_t *r)
{
    lb_admin_at_t         at;
    lb_admin_buf_t        base;
    lb_admin_pair_t      *type;
    lb_admin_body_t       body;
    lb_target_group_t    *g;
    lb_admin_change_t     ch;
    lb_health_monitor_t  *hm, *nhm;
    char                  want[16];

    static const char *const  fixed[] = { "target_group_id", NULL };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_open(r, &ch, "health_monitor", LB_ADMIN_AT_MONITOR, false,
                       &at))
    {
        return;
    }

    g = at.g;
    hm = g->health_monitor;

    if (!lb_admin_read_body(&ch, &body, fixed, "cannot be changed; a "
                            "health monitor stays with its target group"))
    {
        goto done;
    }

    /* Octavia's type is fixed; and the current http_* fields would not
     * fit another type */
    type = lb_admin_body_pair(&body, "type");
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

    lb_admin_body_monitor(&base, hm);

    if (!lb_admin_rebuild(&ch, g, &base, &body, (void **) &nhm)) {
        goto done;
    }

    nhm->id = hm->id;
    g->health_monitor = nhm;

    ch.lb_id = g->balancer->id;
    ch.path = lb_admin_path_monitor(&ch, g);

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_answer(&ch, 200, "health_monitor", nhm->id);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_monitor_delete(lb_admin_req_t *r)
{
    lb_admin_at_t       at;
    lb_admin_change_t   ch;

    if (!lb_admin_open(r, &ch, "health_monitor", LB_ADMIN_AT_MONITOR, true,
                       &at))
    {
        return;
    }

    ch.lb_id = at.b->id;
    at.g->health_monitor = NULL;

    lb_admin_commit_delete(&ch);
    lb_admin_end(&ch);
}


/* --- what the handlers share --- */

/* The change begun, the objects the route's path names found in its copy
 * (404 naming the first one missing), and lb_admin_may_change() of their
 * balancer. false when the request is answered; the change is ended
 * then. */
static bool
lb_admin_open(lb_admin_req_t *r, lb_admin_change_t *ch, const char *wrapper,
    lb_admin_at_e at, bool deleting, lb_admin_at_t *o)
{
    memset(o, 0, sizeof(lb_admin_at_t));

    if (!lb_admin_begin(r, ch, wrapper)) {
        goto failed;
    }

    switch (at) {

    case LB_ADMIN_AT_LB:
        o->b = lb_admin_found(ch, lb_admin_find_lb(ch->conf, r->params[0]),
                              "load balancer", r->params[0]);
        break;

    case LB_ADMIN_AT_LISTENER:
        o->l = lb_admin_found(ch,
                              lb_admin_find_listener(ch->conf, r->params[0]),
                              "listener", r->params[0]);
        o->b = o->l != NULL ? o->l->balancer : NULL;
        break;

    case LB_ADMIN_AT_GROUP:
    case LB_ADMIN_AT_MEMBER:
        o->g = lb_admin_found(ch, lb_admin_find_group(ch->conf, r->params[0]),
                              "target group", r->params[0]);
        o->b = o->g != NULL ? o->g->balancer : NULL;

        if (at == LB_ADMIN_AT_MEMBER && o->g != NULL) {
            o->t = lb_admin_find_member(o->g, r->params[1]);
            if (o->t == NULL) {
                lb_admin_error(r, 404, "member %s not found in target "
                               "group %s", r->params[1], r->params[0]);
                o->b = NULL;
            }
        }
        break;

    case LB_ADMIN_AT_MONITOR:
        o->g = lb_admin_found(ch,
                              lb_admin_find_monitor(ch->conf, r->params[0]),
                              "health monitor", r->params[0]);
        o->b = o->g != NULL ? o->g->balancer : NULL;
        break;
    }

    if (o->b != NULL && lb_admin_may_change(ch, o->b, deleting)) {
        return true;
    }

failed:

    lb_admin_end(ch);
    return false;
}


/* A POST of a new object: the change begun and the body read
 * (lb_admin_read_body()). false when the request is answered; the change
 * is ended then. */
static bool
lb_admin_open_new(lb_admin_req_t *r, lb_admin_change_t *ch,
    const char *wrapper, lb_admin_body_t *body)
{
    if (lb_admin_begin(r, ch, wrapper)
        && lb_admin_read_body(ch, body, NULL, NULL))
    {
        return true;
    }

    lb_admin_end(ch);
    return false;
}


/* The request body {"<wrapper>": {...}} split, with none of the keys weir
 * gives, nor of fixed (NULL: none; refused with why). false when the
 * request is answered (400). */
static bool
lb_admin_read_body(lb_admin_change_t *ch, lb_admin_body_t *body,
    const char *const *fixed, const char *why)
{
    return lb_admin_change_body(ch, ch->wrapper, body)
           && lb_admin_refuse_keys(ch, body, lb_admin_ro_keys,
                                   "is given by weir")
           && (fixed == NULL || lb_admin_refuse_keys(ch, body, fixed, why));
}


/* A POST's balancer: load_balancer_id and the optional id of another
 * object (key) taken out of the body, both before either is looked up;
 * the balancer (404), and with one balancer, none or null names that one.
 * false when the request is answered. */
static bool
lb_admin_take_lb(lb_admin_change_t *ch, lb_admin_body_t *body,
    const char *key, char **id, lb_load_balancer_t **b)
{
    char  *lb_id;
    bool   given;

    *b = NULL;

    if (!lb_admin_take_id(ch, body, "load_balancer_id",
                          ch->conf->nbalancers != 1, &lb_id, &given)
        || !lb_admin_take_id(ch, body, key, false, id, &given))
    {
        return false;
    }

    *b = lb_id != NULL
         ? lb_admin_found(ch, lb_admin_find_lb(ch->conf, lb_id),
                          "load balancer", lb_id)
         : &ch->conf->balancers[0];

    return *b != NULL;
}


/* o, the object named id, or NULL after a 404 "<what> <id> not found" */
static void *
lb_admin_found(lb_admin_change_t *ch, void *o, const char *what,
    const char *id)
{
    if (o == NULL) {
        lb_admin_error(ch->r, 404, "%s %s not found", what, id);
    }

    return o;
}


/* The object the schema reads from base (its current fields as a body
 * gives them; NULL for a new object) with the body's pairs laid over,
 * into the change's pool. false when the request is answered. */
static bool
lb_admin_rebuild(lb_admin_change_t *ch, const void *parent,
    lb_admin_buf_t *base, lb_admin_body_t *body, void **out)
{
    u_char          *text;
    size_t           len;
    lb_admin_buf_t   none;

    if (base == NULL) {
        memset(&none, 0, sizeof(none));
        base = &none;
    }

    text = lb_admin_merge(ch, ch->wrapper, base, body, &len);

    return text != NULL
           && lb_admin_parse(ch, ch->wrapper, parent, text, len, out, NULL);
}


/* a listener's target group (NULL: none) is one of its own balancer's;
 * false when the request is answered (400) */
static bool
lb_admin_own_group(lb_admin_change_t *ch, const lb_target_group_t *g,
    const lb_load_balancer_t *b)
{
    if (g == NULL || g->balancer == b) {
        return true;
    }

    lb_admin_field_error(ch, 400, "listener.target_group_id", "target group "
                         "%s belongs to another load balancer; a listener "
                         "uses a target group of its own balancer", g->id);
    return false;
}


/* a member's path in the file: by name, or by index when it has none;
 * NULL when out of memory */
static char *
lb_admin_path_member(lb_admin_change_t *ch, const lb_target_group_t *g,
    const char *name, uint32_t index)
{
    char  *path;

    path = lb_admin_path_group(ch, g->balancer, g);
    if (path == NULL) {
        return NULL;
    }

    return name != NULL
           ? lb_psprintf(ch->pool, "%s.members[%s]", path, name)
           : lb_psprintf(ch->pool, "%s.members[%u]", path, index);
}


/* a monitor's path in the file; NULL when out of memory */
static char *
lb_admin_path_monitor(lb_admin_change_t *ch, const lb_target_group_t *g)
{
    char  *path;

    path = lb_admin_path_group(ch, g->balancer, g);
    if (path == NULL) {
        return NULL;
    }

    return lb_psprintf(ch->pool, "%s.health_monitor", path);
}


/* a DELETE's end: the copy without the object committed, 204 */
static void
lb_admin_commit_delete(lb_admin_change_t *ch)
{
    if (lb_admin_commit(ch, "")) {
        lb_admin_answer(ch, 204, NULL, NULL);
    }
}
