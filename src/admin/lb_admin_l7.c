/* weir: the L7 policy endpoints of the admin API (SPEC.md sections 10 and
 * 11), with the provider's paths and Octavia's shapes:
 *
 *   POST/GET   /api/v1/load-balancers/l7policies
 *   GET/PUT/DELETE .../l7policies/{id}
 *   GET        /api/v1/load-balancers/{lb_id}/listeners/{id}/l7policies
 *   POST/GET   .../l7policies/{id}/rules
 *   GET/PUT/DELETE .../l7policies/{id}/rules/{rule_id}
 *
 * A policy is {"l7policy": {...}} with the file's fields, but its group
 * by id (redirect_target_group_id) and its listener by listener_id; a
 * rule is {"rule": {...}}. Writes go through lb_admin_change.h like every
 * other change: a copy judged by the rules of `weir -t` (so a bad policy
 * gets the same message), persisted, then applied live (l7_policies is a
 * live field: the workers switch without a reload).
 *
 * Positions (Octavia's): the policies of a listener are numbered 1..n in
 * their order; a policy created or moved to position p goes before the
 * one that had it (past the end: last), and the others are renumbered.
 * A hand-written file may have gaps and ties; the first change through
 * the API numbers them 1..n in the order they act. */
#include <stdio.h>
#include <string.h>

#include "lb_admin.h"
#include "lb_admin_body.h"
#include "lb_admin_change.h"
#include "lb_admin_json.h"
#include "lb_admin_l7.h"
#include "lb_admin_route.h"
#include "lb_admin_write.h"
#include "lb_conf_schema.h"
#include "lb_conf_types.h"
#include "lb_http_l7.h"
#include "lb_http_parse.h"
#include "lb_palloc.h"

typedef struct {
    lb_listener_t       *l;
    lb_l7_policy_t      *p;
    uint32_t             k;       /* index of p in l */
} lb_admin_l7_at_t;

static bool lb_admin_l7_find(lb_conf_t *c, const char *id,
    lb_admin_l7_at_t *at);
static lb_l7_rule_t *lb_admin_l7_find_rule(lb_l7_policy_t *p,
    const char *id);
static bool lb_admin_l7_open(lb_admin_req_t *r, lb_admin_change_t *ch,
    const char *wrapper, bool deleting, lb_admin_l7_at_t *at);
static bool lb_admin_l7_group(lb_admin_change_t *ch, lb_admin_body_t *body,
    lb_listener_t *l, char **name, bool *given);
static bool lb_admin_l7_needs_group(lb_admin_change_t *ch,
    lb_admin_body_t *body, bool given, const lb_l7_policy_t *p);
static bool lb_admin_l7_place(lb_admin_change_t *ch, lb_listener_t *l,
    uint32_t from, uint32_t position);
static void lb_admin_l7_normalize(lb_listener_t *l);
static char *lb_admin_l7_path(lb_admin_change_t *ch, lb_listener_t *l,
    lb_l7_policy_t *p);
static void lb_admin_l7_body(lb_admin_buf_t *buf, const lb_l7_policy_t *p,
    bool action);
static void lb_admin_l7_rule_body(lb_admin_buf_t *buf, const lb_l7_rule_t *r,
    bool type);
static void lb_admin_l7_answer(lb_admin_change_t *ch, unsigned status,
    const char *pid, const char *rid);
static void lb_admin_json_l7policy(lb_json_t *j, const char *key,
    lb_cycle_t *cycle, lb_listener_t *l, lb_l7_policy_t *p);
static void lb_admin_json_l7rule(lb_json_t *j, const char *key,
    lb_cycle_t *cycle, lb_listener_t *l, lb_l7_rule_t *r);


/* --- reading --- */

void
lb_admin_l7_list(lb_admin_req_t *r)
{
    uint32_t             b, i, k;
    lb_conf_t           *conf;
    lb_json_t            j;
    lb_listener_t       *l;
    lb_load_balancer_t  *lb;

    conf = lb_admin_current(r->cycle);

    if (r->nparams == 2) {
        l = lb_admin_find_listener(conf, r->params[1]);

        if (l == NULL || strcmp(l->balancer->id, r->params[0]) != 0) {
            lb_admin_error(r, 404, "listener %s not found in load balancer "
                           "%s", r->params[1], r->params[0]);
            return;
        }
    }

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_array(&j, "l7policies");

    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];

        /* a listener given by the path: only its own */
        if (r->nparams == 2 && strcmp(lb->id, r->params[0]) != 0) {
            continue;
        }

        for (i = 0; i < lb->nlisteners; i++) {
            l = &lb->listeners[i];

            if (r->nparams == 2 && strcmp(l->id, r->params[1]) != 0) {
                continue;
            }

            for (k = 0; k < l->nl7_policies; k++) {
                lb_admin_json_l7policy(&j, NULL, r->cycle, l,
                                       &l->l7_policies[k]);
            }
        }
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


void
lb_admin_l7_show(lb_admin_req_t *r)
{
    lb_json_t         j;
    lb_admin_l7_at_t  at;

    if (!lb_admin_l7_find(lb_admin_current(r->cycle), r->params[0], &at)) {
        lb_admin_error(r, 404, "L7 policy %s not found", r->params[0]);
        return;
    }

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_admin_json_l7policy(&j, "l7policy", r->cycle, at.l, at.p);
    lb_json_object_end(&j);
}


void
lb_admin_l7_rules(lb_admin_req_t *r)
{
    uint32_t          i;
    lb_json_t         j;
    lb_admin_l7_at_t  at;

    if (!lb_admin_l7_find(lb_admin_current(r->cycle), r->params[0], &at)) {
        lb_admin_error(r, 404, "L7 policy %s not found", r->params[0]);
        return;
    }

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_array(&j, "rules");

    for (i = 0; i < at.p->nrules; i++) {
        lb_admin_json_l7rule(&j, NULL, r->cycle, at.l, &at.p->rules[i]);
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


void
lb_admin_l7_rule_show(lb_admin_req_t *r)
{
    lb_json_t         j;
    lb_l7_rule_t     *rule;
    lb_admin_l7_at_t  at;

    if (!lb_admin_l7_find(lb_admin_current(r->cycle), r->params[0], &at)) {
        lb_admin_error(r, 404, "L7 policy %s not found", r->params[0]);
        return;
    }

    rule = lb_admin_l7_find_rule(at.p, r->params[1]);
    if (rule == NULL) {
        lb_admin_error(r, 404, "rule %s not found in L7 policy %s",
                       r->params[1], r->params[0]);
        return;
    }

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_admin_json_l7rule(&j, "rule", r->cycle, at.l, rule);
    lb_json_object_end(&j);
}


/* --- policies --- */

void
lb_admin_l7_create(lb_admin_req_t *r)
{
    bool                given, placed;
    char               *l_id, *name;
    size_t              len;
    u_char             *text;
    uint32_t            i;
    lb_admin_buf_t      none;
    lb_listener_t      *l;
    lb_l7_policy_t     *np;
    lb_admin_body_t     body;
    lb_admin_change_t   ch;

    if (!lb_admin_begin(r, &ch, "l7policy")) {
        return;
    }

    if (!lb_admin_change_body(&ch, "l7policy", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_take_id(&ch, &body, "listener_id", true, &l_id, &given))
    {
        goto done;
    }

    l = lb_admin_find_listener(ch.conf, l_id);
    if (l == NULL) {
        lb_admin_error(r, 404, "listener %s not found", l_id);
        goto done;
    }

    if (l->protocol != LB_LISTENER_HTTP && l->protocol != LB_LISTENER_HTTPS)
    {
        lb_admin_field_error(&ch, 400, "l7policy.listener_id", "listener "
                             "%s is %s; L7 policies are only on HTTP and "
                             "HTTPS listeners", l->id,
                             lb_listener_proto_names[l->protocol]);
        goto done;
    }

    if (!lb_admin_may_change(&ch, l->balancer, false)
        || !lb_admin_l7_group(&ch, &body, l, &name, &given))
    {
        goto done;
    }

    if (!lb_admin_l7_needs_group(&ch, &body, given, NULL)) {
        goto done;
    }

    placed = lb_admin_body_pair(&body, "position") != NULL;

    memset(&none, 0, sizeof(none));
    text = lb_admin_merge(&ch, "l7policy", &none, &body, &len);

    if (text == NULL
        || !lb_admin_parse(&ch, "l7policy", l, text, len, (void **) &np,
                           NULL))
    {
        goto done;
    }

    if ((np->id = lb_admin_new_id(&ch)) == NULL) {
        goto done;
    }

    for (i = 0; i < np->nrules; i++) {
        if ((np->rules[i].id = lb_admin_new_id(&ch)) == NULL) {
            goto done;
        }
    }

    if (given) {
        np->redirect_target_group_name = name;
    }

    lb_admin_l7_normalize(l);

    l->l7_policies = lb_admin_append(ch.pool, l->l7_policies,
                                     &l->nl7_policies,
                                     sizeof(lb_l7_policy_t), np);
    if (l->l7_policies == NULL) {
        lb_admin_error(r, 500, "out of memory");
        goto done;
    }

    if (!lb_admin_l7_place(&ch, l, l->nl7_policies - 1,
                           placed ? np->position : l->nl7_policies))
    {
        goto done;
    }

    ch.lb_id = l->balancer->id;
    ch.path = NULL;

    for (i = 0; i < l->nl7_policies; i++) {
        if (strcmp(l->l7_policies[i].id, np->id) == 0) {
            ch.path = lb_admin_l7_path(&ch, l, &l->l7_policies[i]);
            break;
        }
    }

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_l7_answer(&ch, 201, np->id, NULL);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_l7_update(lb_admin_req_t *r)
{
    bool                given, action;
    char               *name, *id;
    size_t              len;
    u_char             *text;
    lb_admin_buf_t      base;
    lb_l7_policy_t     *p, *np;
    lb_admin_body_t     body;
    lb_admin_change_t   ch;
    lb_admin_l7_at_t    at;

    static const char *const  fixed[] = { "listener_id", "rules", NULL };

    memset(&base, 0, sizeof(base));

    if (!lb_admin_l7_open(r, &ch, "l7policy", false, &at)) {
        return;
    }

    p = at.p;

    if (!lb_admin_change_body(&ch, "l7policy", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir")
        || !lb_admin_refuse_keys(&ch, &body, fixed, "cannot be changed "
                                 "here; a policy stays on its listener and "
                                 "its rules have their own endpoints")
        || !lb_admin_l7_group(&ch, &body, at.l, &name, &given))
    {
        goto done;
    }

    if (!lb_admin_l7_needs_group(&ch, &body, given, p)) {
        goto done;
    }

    /* another action: the redirect fields of the old one go */
    action = lb_admin_body_pair(&body, "action") != NULL;

    lb_admin_l7_body(&base, p, !action);

    text = lb_admin_merge(&ch, "l7policy", &base, &body, &len);

    if (text == NULL
        || !lb_admin_parse(&ch, "l7policy", at.l, text, len, (void **) &np,
                           NULL))
    {
        goto done;
    }

    if (given) {
        np->redirect_target_group_name = name;
    }

    id = p->id;
    np->rules = p->rules;
    np->nrules = p->nrules;
    *p = *np;
    p->id = id;

    if (!lb_admin_l7_place(&ch, at.l, at.k, p->position)) {
        goto done;
    }

    ch.lb_id = at.l->balancer->id;
    lb_admin_l7_find(ch.conf, id, &at);
    ch.path = lb_admin_l7_path(&ch, at.l, at.p);

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_l7_answer(&ch, 200, id, NULL);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_l7_delete(lb_admin_req_t *r)
{
    lb_admin_change_t   ch;
    lb_admin_l7_at_t    at;

    if (!lb_admin_l7_open(r, &ch, "l7policy", true, &at)) {
        return;
    }

    ch.lb_id = at.l->balancer->id;
    lb_admin_remove(at.l->l7_policies, &at.l->nl7_policies,
                    sizeof(lb_l7_policy_t), at.k);

    /* the others close ranks */
    if (lb_admin_l7_place(&ch, at.l, LB_CONF_NO_INDEX, 0)
        && lb_admin_commit(&ch, ""))
    {
        lb_admin_l7_answer(&ch, 204, NULL, NULL);
    }

    lb_admin_end(&ch);
}


/* --- rules --- */

void
lb_admin_l7_rule_create(lb_admin_req_t *r)
{
    size_t              len;
    u_char             *text;
    lb_admin_buf_t      none;
    lb_l7_rule_t       *nr;
    lb_l7_policy_t     *p;
    lb_admin_body_t     body;
    lb_admin_change_t   ch;
    lb_admin_l7_at_t    at;

    if (!lb_admin_l7_open(r, &ch, "rule", false, &at)) {
        return;
    }

    p = at.p;

    if (!lb_admin_change_body(&ch, "rule", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir"))
    {
        goto done;
    }

    memset(&none, 0, sizeof(none));
    text = lb_admin_merge(&ch, "rule", &none, &body, &len);

    if (text == NULL
        || !lb_admin_parse(&ch, "rule", p, text, len, (void **) &nr, NULL)
        || (nr->id = lb_admin_new_id(&ch)) == NULL)
    {
        goto done;
    }

    p->rules = lb_admin_append(ch.pool, p->rules, &p->nrules,
                               sizeof(lb_l7_rule_t), nr);
    if (p->rules == NULL) {
        lb_admin_error(r, 500, "out of memory");
        goto done;
    }

    ch.lb_id = at.l->balancer->id;
    ch.path = lb_admin_l7_path(&ch, at.l, p);
    if (ch.path == NULL) {
        goto done;
    }

    /* 51 rules is the policy's problem: "rule: 51 rules; ..." */
    ch.path = lb_psprintf(ch.pool, "%s.rules", ch.path);

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_l7_answer(&ch, 201, p->id, nr->id);
    }

done:

    lb_admin_end(&ch);
}


void
lb_admin_l7_rule_update(lb_admin_req_t *r)
{
    char               *id;
    size_t              len;
    u_char             *text;
    lb_admin_buf_t      base;
    lb_l7_rule_t       *rule, *nr;
    lb_admin_body_t     body;
    lb_admin_change_t   ch;
    lb_admin_l7_at_t    at;

    memset(&base, 0, sizeof(base));

    if (!lb_admin_l7_open(r, &ch, "rule", false, &at)) {
        return;
    }

    rule = lb_admin_l7_find_rule(at.p, r->params[1]);
    if (rule == NULL) {
        lb_admin_error(r, 404, "rule %s not found in L7 policy %s",
                       r->params[1], r->params[0]);
        goto done;
    }

    if (!lb_admin_change_body(&ch, "rule", &body)
        || !lb_admin_refuse_keys(&ch, &body, lb_admin_ro_keys,
                                 "is given by weir"))
    {
        goto done;
    }

    /* another type: the old key may not fit it */
    lb_admin_l7_rule_body(&base, rule,
                          lb_admin_body_pair(&body, "type") == NULL);

    text = lb_admin_merge(&ch, "rule", &base, &body, &len);

    if (text == NULL
        || !lb_admin_parse(&ch, "rule", at.p, text, len, (void **) &nr,
                           NULL))
    {
        goto done;
    }

    id = rule->id;
    *rule = *nr;
    rule->id = id;

    ch.lb_id = at.l->balancer->id;
    ch.path = lb_admin_l7_path(&ch, at.l, at.p);
    if (ch.path != NULL) {
        ch.path = lb_psprintf(ch.pool, "%s.rules[%u]", ch.path,
                              (unsigned) (rule - at.p->rules));
    }

    if (ch.path != NULL && lb_admin_commit(&ch, ch.path)) {
        lb_admin_l7_answer(&ch, 200, at.p->id, id);
    }

done:

    lb_admin_buf_free(&base);
    lb_admin_end(&ch);
}


void
lb_admin_l7_rule_delete(lb_admin_req_t *r)
{
    lb_l7_rule_t       *rule;
    lb_admin_change_t   ch;
    lb_admin_l7_at_t    at;

    if (!lb_admin_l7_open(r, &ch, "rule", true, &at)) {
        return;
    }

    rule = lb_admin_l7_find_rule(at.p, r->params[1]);
    if (rule == NULL) {
        lb_admin_error(r, 404, "rule %s not found in L7 policy %s",
                       r->params[1], r->params[0]);
        goto done;
    }

    ch.lb_id = at.l->balancer->id;
    lb_admin_remove(at.p->rules, &at.p->nrules, sizeof(lb_l7_rule_t),
                    (uint32_t) (rule - at.p->rules));

    if (lb_admin_commit(&ch, "")) {
        lb_admin_l7_answer(&ch, 204, NULL, NULL);
    }

done:

    lb_admin_end(&ch);
}


/* --- a request tried against the policies --- */

/* GET .../listeners/{id}/l7policies/test?host=..&path=..&header=Name:value
 * &cookie=name=value: which policy a request would meet and what it would
 * get, by the data path's own parser and matcher (lb_http_l7.c) over the
 * policies of the admin's configuration (the console's "test a request"
 * box). Nothing is sent anywhere. */
void
lb_admin_l7_test(lb_admin_req_t *r)
{
    size_t                 n, len, cookies;
    uint32_t               i;
    lb_int_t               rc;
    lb_pool_t             *pool;
    lb_json_t              j;
    const char            *host, *path, *v, *what;
    lb_http_l7_t          *l7;
    lb_listener_t         *l;
    lb_http_msg_t          m;
    lb_l7_policy_t        *p;
    lb_http_l7_policy_t   *hp;
    lb_target_group_t     *tg;
    u_char                 head[8192], loc[LB_HTTP_L7_LOCATION];
    lb_http_header_t       headers[LB_HTTP_MAX_HEADERS];

    l = lb_admin_find_listener(lb_admin_current(r->cycle), r->params[0]);
    if (l == NULL) {
        lb_admin_error(r, 404, "listener %s not found", r->params[0]);
        return;
    }

    if (l->protocol != LB_LISTENER_HTTP && l->protocol != LB_LISTENER_HTTPS) {
        lb_admin_error(r, 400, "listener %s is %s: L7 policies are only on "
                       "HTTP and HTTPS listeners", l->id,
                       lb_listener_proto_names[l->protocol]);
        return;
    }

    host = "localhost";
    path = "/";

    for (i = 0; i < r->nquery; i++) {
        what = r->qkeys[i];
        if (strcmp(what, "host") == 0) {
            host = r->qvals[i];
        } else if (strcmp(what, "path") == 0) {
            path = r->qvals[i];
        } else if (strcmp(what, "header") != 0 && strcmp(what, "cookie") != 0)
        {
            lb_admin_error(r, 400, "unknown query parameter \"%s\"; "
                           "allowed: host, path, header (Name:value), "
                           "cookie (name=value)", what);
            return;
        }
    }

    /* the head a client would send: the parser judges it */
    n = (size_t) snprintf((char *) head, sizeof(head),
                          "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host);
    cookies = 0;

    for (i = 0; i < r->nquery && n < sizeof(head); i++) {
        v = r->qvals[i];

        if (strcmp(r->qkeys[i], "header") == 0) {
            if (strchr(v, ':') == NULL) {
                lb_admin_error(r, 400, "header \"%s\" is not Name:value",
                               v);
                return;
            }
            n += (size_t) snprintf((char *) head + n, sizeof(head) - n,
                                   "%s\r\n", v);

        } else if (strcmp(r->qkeys[i], "cookie") == 0) {
            n += (size_t) snprintf((char *) head + n, sizeof(head) - n,
                                   "%s%s", cookies++ ? "; " : "Cookie: ",
                                   v);
        }
    }

    if (n < sizeof(head) && cookies) {
        n += (size_t) snprintf((char *) head + n, sizeof(head) - n,
                               "\r\n");
    }

    if (n < sizeof(head)) {
        n += (size_t) snprintf((char *) head + n, sizeof(head) - n,
                               "\r\n");
    }

    if (n >= sizeof(head)) {
        lb_admin_error(r, 400, "the request is longer than %zu bytes",
                       sizeof(head));
        return;
    }

    lb_http_msg_init(&m, headers, LB_HTTP_MAX_HEADERS, NULL);
    rc = lb_http_parse_request(&m, head, head + n);

    if (rc != LB_OK) {
        lb_admin_error(r, 400, "the request is not one weir would accept: "
                       "%s", rc == LB_ERROR ? m.reason : "incomplete");
        return;
    }

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (pool == NULL) {
        lb_admin_error(r, 500, "out of memory");
        return;
    }

    l7 = lb_http_l7_build(l, NULL, pool);
    if (l7 == NULL) {
        lb_destroy_pool(pool);
        lb_admin_error(r, 500, "the policies could not be compiled");
        return;
    }

    hp = lb_http_l7_match(l7, &m, head);
    p = hp != NULL ? (lb_l7_policy_t *) hp->conf : NULL;

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "result");

    if (p == NULL) {
        lb_json_null(&j, "l7policy");
        lb_json_str(&j, "action", "DEFAULT");
        lb_json_str(&j, "target_group_id",
                    l->target_group ? l->target_group->id : NULL);

    } else {
        lb_json_object(&j, "l7policy");
        lb_json_str(&j, "id", p->id);
        lb_json_str(&j, "name", p->name);
        lb_json_uint(&j, "position", p->position);
        lb_json_object_end(&j);
        lb_json_str(&j, "action", lb_l7_action_names[p->action]);

        tg = NULL;
        for (i = 0; p->action == LB_L7_REDIRECT_TO_POOL
                    && i < l->balancer->ntarget_groups; i++)
        {
            if (strcmp(l->balancer->target_groups[i].name,
                       p->redirect_target_group_name) == 0)
            {
                tg = &l->balancer->target_groups[i];
            }
        }

        lb_json_str(&j, "target_group_id", tg ? tg->id : NULL);

        if (p->action == LB_L7_REJECT) {
            lb_json_uint(&j, "status", 403);

        } else if (p->action != LB_L7_REDIRECT_TO_POOL) {
            len = lb_http_l7_location(p, &m, head, loc, sizeof(loc) - 1);
            loc[len] = '\0';
            lb_json_uint(&j, "status", p->redirect_http_code);
            lb_json_str(&j, "location", (char *) loc);
        }
    }

    lb_json_object_end(&j);
    lb_json_object_end(&j);

    lb_destroy_pool(pool);
}


/* --- what the group delete asks --- */

const lb_l7_policy_t *
lb_admin_l7_user(const lb_target_group_t *g)
{
    uint32_t              i, k;
    const lb_listener_t  *l;

    for (i = 0; i < g->balancer->nlisteners; i++) {
        l = &g->balancer->listeners[i];

        for (k = 0; k < l->nl7_policies; k++) {
            if (l->l7_policies[k].action == LB_L7_REDIRECT_TO_POOL
                && l->l7_policies[k].redirect_target_group_name != NULL
                && strcmp(l->l7_policies[k].redirect_target_group_name,
                          g->name) == 0)
            {
                return &l->l7_policies[k];
            }
        }
    }

    return NULL;
}


void
lb_admin_l7_rename(lb_load_balancer_t *b, const char *from, const char *to)
{
    uint32_t         i, k;
    lb_l7_policy_t  *p;

    for (i = 0; i < b->nlisteners; i++) {
        for (k = 0; k < b->listeners[i].nl7_policies; k++) {
            p = &b->listeners[i].l7_policies[k];

            if (p->redirect_target_group_name != NULL
                && strcmp(p->redirect_target_group_name, from) == 0)
            {
                p->redirect_target_group_name = (char *) to;
            }
        }
    }
}


/* --- what the handlers share --- */

/* the policy with this id in c (at may be NULL) */
static bool
lb_admin_l7_find(lb_conf_t *c, const char *id, lb_admin_l7_at_t *at)
{
    uint32_t             b, i, k;
    lb_listener_t       *l;
    lb_load_balancer_t  *lb;

    for (b = 0; id != NULL && b < c->nbalancers; b++) {
        lb = &c->balancers[b];

        for (i = 0; i < lb->nlisteners; i++) {
            l = &lb->listeners[i];

            for (k = 0; k < l->nl7_policies; k++) {
                if (l->l7_policies[k].id != NULL
                    && strcmp(l->l7_policies[k].id, id) == 0)
                {
                    if (at != NULL) {
                        at->l = l;
                        at->p = &l->l7_policies[k];
                        at->k = k;
                    }
                    return true;
                }
            }
        }
    }

    return false;
}


static lb_l7_rule_t *
lb_admin_l7_find_rule(lb_l7_policy_t *p, const char *id)
{
    uint32_t  i;

    for (i = 0; id != NULL && i < p->nrules; i++) {
        if (p->rules[i].id != NULL && strcmp(p->rules[i].id, id) == 0) {
            return &p->rules[i];
        }
    }

    return NULL;
}


/* the change begun and the policy of the path found in its copy (404),
 * its balancer free to change; false when the request is answered */
static bool
lb_admin_l7_open(lb_admin_req_t *r, lb_admin_change_t *ch,
    const char *wrapper, bool deleting, lb_admin_l7_at_t *at)
{
    if (!lb_admin_begin(r, ch, wrapper)) {
        goto failed;
    }

    if (!lb_admin_l7_find(ch->conf, r->params[0], at)) {
        lb_admin_error(r, 404, "L7 policy %s not found", r->params[0]);
        goto failed;
    }

    /* in the order they act, numbered 1..n: where at.k is found again */
    lb_admin_l7_normalize(at->l);
    (void) lb_admin_l7_find(ch->conf, r->params[0], at);

    if (lb_admin_may_change(ch, at->l->balancer, deleting)) {
        return true;
    }

failed:

    lb_admin_end(ch);
    return false;
}


/* redirect_target_group_id taken out of the body: the group's name for
 * the file (*given: the body said something, null included); the API
 * names groups by id. false when the request is answered. */
static bool
lb_admin_l7_group(lb_admin_change_t *ch, lb_admin_body_t *body,
    lb_listener_t *l, char **name, bool *given)
{
    char               *id;
    lb_target_group_t  *g;

    *name = NULL;

    if (lb_admin_body_pair(body, "redirect_target_group") != NULL) {
        lb_admin_field_error(ch, 400, "l7policy.redirect_target_group",
                             "the API names the target group by its id: "
                             "use redirect_target_group_id");
        return false;
    }

    if (!lb_admin_take_id(ch, body, "redirect_target_group_id", false, &id,
                          given))
    {
        return false;
    }

    if (id == NULL) {
        return true;
    }

    g = lb_admin_find_group(ch->conf, id);
    if (g == NULL) {
        lb_admin_error(ch->r, 404, "target group %s not found", id);
        return false;
    }

    if (g->balancer != l->balancer) {
        lb_admin_field_error(ch, 400, "l7policy.redirect_target_group_id",
                             "target group %s belongs to another load "
                             "balancer; a policy redirects to a target "
                             "group of its listener's balancer", g->id);
        return false;
    }

    *name = g->name;

    /* the file's field, for the schema to judge with the others */
    if (body->n == LB_ADMIN_PAIRS) {
        lb_admin_error(ch->r, 400, "too many fields in the body");
        return false;
    }

    body->pairs[body->n].key = (const u_char *) "redirect_target_group";
    body->pairs[body->n].key_len = sizeof("redirect_target_group") - 1;
    body->pairs[body->n].val = (const u_char *) lb_psprintf(ch->pool,
                                                            "\"%s\"",
                                                            g->name);
    if (body->pairs[body->n].val == NULL) {
        lb_admin_error(ch->r, 500, "out of memory");
        return false;
    }
    body->pairs[body->n].val_len = strlen(g->name) + 2;
    body->n++;

    return true;
}


/* A body that makes a policy REDIRECT_TO_POOL (a new one, or p with
 * another action) names its group: the schema would say so of the file's
 * redirect_target_group, the API's field is redirect_target_group_id.
 * false when the request is answered. */
static bool
lb_admin_l7_needs_group(lb_admin_change_t *ch, lb_admin_body_t *body,
    bool given, const lb_l7_policy_t *p)
{
    lb_admin_pair_t  *a;

    static const char  pool[] = "\"REDIRECT_TO_POOL\"";

    a = lb_admin_body_pair(body, "action");

    if (given || a == NULL || a->val_len != sizeof(pool) - 1
        || memcmp(a->val, pool, sizeof(pool) - 1) != 0
        || (p != NULL && p->action == LB_L7_REDIRECT_TO_POOL))
    {
        return true;
    }

    lb_admin_field_error(ch, 400, "l7policy.redirect_target_group_id",
                         "missing; required (action is REDIRECT_TO_POOL)");
    return false;
}


/* Octavia's numbering: the policy at index `from` (NO_INDEX: none) moves
 * to `position` (1-based, past the end: last), the others keep their
 * order, all are numbered 1..n. The list is in position order before. */
static bool
lb_admin_l7_place(lb_admin_change_t *ch, lb_listener_t *l, uint32_t from,
    uint32_t position)
{
    uint32_t         i, to;
    lb_l7_policy_t   moving;

    if (from != LB_CONF_NO_INDEX && l->nl7_policies > 0) {
        to = position == 0 ? 0 : position - 1;
        if (to >= l->nl7_policies) {
            to = l->nl7_policies - 1;
        }

        moving = l->l7_policies[from];

        if (to < from) {
            memmove(&l->l7_policies[to + 1], &l->l7_policies[to],
                    (from - to) * sizeof(lb_l7_policy_t));
        } else if (to > from) {
            memmove(&l->l7_policies[from], &l->l7_policies[from + 1],
                    (to - from) * sizeof(lb_l7_policy_t));
        }

        l->l7_policies[to] = moving;
    }

    for (i = 0; i < l->nl7_policies; i++) {
        l->l7_policies[i].position = i + 1;
    }

    return true;
}


/* the policies in the order they act (stable by position, as the data
 * path orders them: lb_http_l7_build()), numbered 1..n */
static void
lb_admin_l7_normalize(lb_listener_t *l)
{
    uint32_t        i, j;
    lb_l7_policy_t  tmp;

    for (i = 1; i < l->nl7_policies; i++) {
        tmp = l->l7_policies[i];

        for (j = i; j > 0 && l->l7_policies[j - 1].position > tmp.position;
             j--)
        {
            l->l7_policies[j] = l->l7_policies[j - 1];
        }

        l->l7_policies[j] = tmp;
    }

    for (i = 0; i < l->nl7_policies; i++) {
        l->l7_policies[i].position = i + 1;
    }
}


/* a policy's path in the file: by name, or by index; NULL when out of
 * memory */
static char *
lb_admin_l7_path(lb_admin_change_t *ch, lb_listener_t *l, lb_l7_policy_t *p)
{
    if (p == NULL) {
        return NULL;
    }

    return p->name != NULL
           ? lb_psprintf(ch->pool, "load_balancers[%s].listeners[%s]"
                         ".l7_policies[%s]", l->balancer->name, l->name,
                         p->name)
           : lb_psprintf(ch->pool, "load_balancers[%s].listeners[%s]"
                         ".l7_policies[%u]", l->balancer->name, l->name,
                         (unsigned) (p - l->l7_policies));
}


/* the fields a PUT keeps (not the rules: they stay as they are); the
 * redirect fields only when the action stays */
static void
lb_admin_l7_body(lb_admin_buf_t *buf, const lb_l7_policy_t *p, bool action)
{
    lb_json_t  j;

    lb_json_init(&j, buf);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "l7policy");
    lb_json_str_set(&j, "name", p->name);
    lb_json_uint(&j, "position", p->position);
    lb_json_str(&j, "action", lb_l7_action_names[p->action]);

    if (action) {
        lb_json_str_set(&j, "redirect_target_group",
                        p->redirect_target_group_name);
        lb_json_str_set(&j, "redirect_url", p->redirect_url);
        lb_json_str_set(&j, "redirect_prefix", p->redirect_prefix);

        if (p->action == LB_L7_REDIRECT_TO_URL
            || p->action == LB_L7_REDIRECT_PREFIX)
        {
            lb_json_uint(&j, "redirect_http_code", p->redirect_http_code);
        }
    }

    lb_json_bool(&j, "is_enabled", p->is_enabled);
    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_l7_rule_body(lb_admin_buf_t *buf, const lb_l7_rule_t *r,
    bool type)
{
    lb_json_t  j;

    lb_json_init(&j, buf);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "rule");
    lb_json_str(&j, "type", lb_l7_rule_type_names[r->type]);
    lb_json_str(&j, "compare_type", lb_l7_compare_names[r->compare_type]);
    if (type) {
        lb_json_str_set(&j, "key", r->key);
    }
    lb_json_str(&j, "value", r->value);
    lb_json_bool(&j, "is_inverted", r->is_inverted);
    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


/* status and {"l7policy": ...} or {"rule": ...} (rid) from the new
 * configuration; pid NULL: no body */
static void
lb_admin_l7_answer(lb_admin_change_t *ch, unsigned status, const char *pid,
    const char *rid)
{
    lb_json_t          j;
    lb_l7_rule_t      *rule;
    lb_admin_req_t    *r;
    lb_admin_l7_at_t   at;

    r = ch->r;
    r->status = status;
    lb_admin_buf_reset(r->body);

    if (pid == NULL) {
        return;
    }

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);

    if (!lb_admin_l7_find(ch->result, pid, &at)) {
        lb_json_null(&j, rid ? "rule" : "l7policy");

    } else if (rid == NULL) {
        lb_admin_json_l7policy(&j, "l7policy", r->cycle, at.l, at.p);

    } else if ((rule = lb_admin_l7_find_rule(at.p, rid)) != NULL) {
        lb_admin_json_l7rule(&j, "rule", r->cycle, at.l, rule);

    } else {
        lb_json_null(&j, "rule");
    }

    lb_json_object_end(&j);
}


static void
lb_admin_json_l7policy(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_listener_t *l, lb_l7_policy_t *p)
{
    uint32_t            i, g;
    lb_target_group_t  *tg;

    tg = NULL;

    if (p->action == LB_L7_REDIRECT_TO_POOL) {
        for (g = 0; g < l->balancer->ntarget_groups; g++) {
            if (strcmp(l->balancer->target_groups[g].name,
                       p->redirect_target_group_name) == 0)
            {
                tg = &l->balancer->target_groups[g];
                break;
            }
        }
    }

    lb_json_object(j, key);
    lb_json_str(j, "id", p->id);
    lb_json_str(j, "name", p->name);
    lb_json_str(j, "listener_id", l->id);
    lb_json_str(j, "action", lb_l7_action_names[p->action]);
    lb_json_uint(j, "position", p->position);
    lb_json_str(j, "redirect_target_group_id", tg ? tg->id : NULL);
    lb_json_str(j, "redirect_url", p->redirect_url);
    lb_json_str(j, "redirect_prefix", p->redirect_prefix);

    if (p->action == LB_L7_REDIRECT_TO_URL
        || p->action == LB_L7_REDIRECT_PREFIX)
    {
        lb_json_uint(j, "redirect_http_code", p->redirect_http_code);
    } else {
        lb_json_null(j, "redirect_http_code");
    }

    lb_json_bool(j, "is_enabled", p->is_enabled);

    lb_json_array(j, "rules");
    for (i = 0; i < p->nrules; i++) {
        lb_json_object(j, NULL);
        lb_json_str(j, "id", p->rules[i].id);
        lb_json_object_end(j);
    }
    lb_json_array_end(j);

    lb_json_str(j, "provisioning_status",
                lb_admin_prov(cycle, l->balancer, p->id));
    /* a policy is ONLINE when it can act, as Octavia's */
    lb_json_str(j, "operating_status",
                (p->is_enabled && p->nrules > 0) ? "ONLINE" : "OFFLINE");
    lb_json_object_end(j);
}


static void
lb_admin_json_l7rule(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_listener_t *l, lb_l7_rule_t *r)
{
    lb_json_object(j, key);
    lb_json_str(j, "id", r->id);
    lb_json_str(j, "type", lb_l7_rule_type_names[r->type]);
    lb_json_str(j, "compare_type", lb_l7_compare_names[r->compare_type]);
    lb_json_str(j, "key", r->key);
    lb_json_str(j, "value", r->value);
    lb_json_bool(j, "is_inverted", r->is_inverted);
    lb_json_str(j, "provisioning_status",
                lb_admin_prov(cycle, l->balancer, r->id));
    lb_json_str(j, "operating_status", "ONLINE");
    lb_json_object_end(j);
}
