/* weir: the read-only endpoints of SPEC.md section 10, from the admin's
 * configuration (read-only here) and the live health in the shared zone.
 * Shapes follow OpenStack Octavia's API with SPEC.md's field names: a
 * list is {"target_groups": [...]}, one object {"target_group": {...}};
 * every object carries id, provisioning_status and operating_status.
 *
 * Statuses (SPEC.md section 8): operating from the checker's results and
 * the roll-up of lb_health_status.h; a listener has none of its own in
 * SPEC, so it shows its target group's (OFFLINE without one), as Octavia
 * does. Provisioning comes from the last change the API made to the
 * object's balancer (lb_admin_prov(), lb_admin_write.c), and what is
 * listed is the admin's current configuration (lb_admin_current()): the
 * file as the API last wrote it.
 *
 * The route table below is also read by t/admin_api.t, which walks it. */
#include <stdio.h>
#include <string.h>

#include "lb_admin.h"
#include "lb_admin_cluster.h"
#include "lb_admin_json.h"
#include "lb_admin_l7.h"
#include "lb_admin_route.h"
#include "lb_admin_write.h"
#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_health_status.h"
#include "lb_health_types.h"


/* t/admin_api.t reads the method and pattern of each row (LB_LBS
 * expanded): keep them on the row's first line */
#define LB_LBS                   "/api/v1/load-balancers"
#define LB_ADMIN_ROUTE(m, p, h)  { LB_HTTP_METHOD_##m, p, h }

typedef struct {
    lb_load_balancer_t  *balancer;
    lb_listener_t       *listener;
    lb_target_group_t   *group;
    lb_target_t         *target;
} lb_admin_found_t;

static void lb_admin_balancers(lb_admin_req_t *r);
static void lb_admin_balancer_show(lb_admin_req_t *r);
static void lb_admin_balancer_status(lb_admin_req_t *r);
static void lb_admin_listeners(lb_admin_req_t *r);
static void lb_admin_listener_show(lb_admin_req_t *r);
static void lb_admin_groups(lb_admin_req_t *r);
static void lb_admin_group_show(lb_admin_req_t *r);
static void lb_admin_members(lb_admin_req_t *r);
static void lb_admin_member_show(lb_admin_req_t *r);
static void lb_admin_subnets(lb_admin_req_t *r);
static void lb_admin_monitors(lb_admin_req_t *r);
static void lb_admin_monitor_show(lb_admin_req_t *r);

static bool lb_admin_list_open(lb_admin_req_t *r,
    const char *const *filters, const char *name, lb_json_t *j);
static bool lb_admin_show_open(lb_admin_req_t *r, const char *kind,
    lb_admin_found_t *f, lb_json_t *j);
static bool lb_admin_query(lb_admin_req_t *r, const char *const *keys);
static bool lb_admin_filter(lb_admin_req_t *r, const char *key,
    const char *value);
static bool lb_admin_find(lb_admin_req_t *r, const char *kind,
    const char *id, lb_admin_found_t *f);
static const char *lb_admin_listener_status(lb_shm_zone_t *z,
    const lb_listener_t *l);
static const char *lb_admin_monitor_status(const lb_target_group_t *g);
static void lb_admin_json_ids(lb_json_t *j, const char *key,
    const char *one_id);

const lb_admin_route_t  lb_admin_routes[] = {
    LB_ADMIN_ROUTE(GET, LB_LBS "",
                   lb_admin_balancers),
    LB_ADMIN_ROUTE(GET, LB_LBS "/listeners",
                   lb_admin_listeners),
    LB_ADMIN_ROUTE(GET, LB_LBS "/listeners/{id}",
                   lb_admin_listener_show),
    LB_ADMIN_ROUTE(GET, LB_LBS "/target-groups",
                   lb_admin_groups),
    LB_ADMIN_ROUTE(GET, LB_LBS "/target-groups/{id}",
                   lb_admin_group_show),
    LB_ADMIN_ROUTE(GET, LB_LBS "/target-groups/{id}/members",
                   lb_admin_members),
    LB_ADMIN_ROUTE(GET, LB_LBS "/target-groups/{id}/members/{member_id}",
                   lb_admin_member_show),
    LB_ADMIN_ROUTE(GET, LB_LBS "/target-groups/{id}/health-check-subnets",
                   lb_admin_subnets),
    LB_ADMIN_ROUTE(GET, LB_LBS "/health-monitors",
                   lb_admin_monitors),
    LB_ADMIN_ROUTE(GET, LB_LBS "/health-monitors/{id}",
                   lb_admin_monitor_show),
    /* L7 policies (lb_admin_l7.c); before "/{id}", which would take
     * "l7policies" for a balancer id */
    LB_ADMIN_ROUTE(GET, LB_LBS "/l7policies",
                   lb_admin_l7_list),
    LB_ADMIN_ROUTE(POST, LB_LBS "/l7policies",
                   lb_admin_l7_create),
    LB_ADMIN_ROUTE(GET, LB_LBS "/l7policies/{id}",
                   lb_admin_l7_show),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/l7policies/{id}",
                   lb_admin_l7_update),
    LB_ADMIN_ROUTE(DELETE, LB_LBS "/l7policies/{id}",
                   lb_admin_l7_delete),
    LB_ADMIN_ROUTE(GET, LB_LBS "/l7policies/{id}/rules",
                   lb_admin_l7_rules),
    LB_ADMIN_ROUTE(POST, LB_LBS "/l7policies/{id}/rules",
                   lb_admin_l7_rule_create),
    LB_ADMIN_ROUTE(GET, LB_LBS "/l7policies/{id}/rules/{rule_id}",
                   lb_admin_l7_rule_show),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/l7policies/{id}/rules/{rule_id}",
                   lb_admin_l7_rule_update),
    LB_ADMIN_ROUTE(DELETE, LB_LBS "/l7policies/{id}/rules/{rule_id}",
                   lb_admin_l7_rule_delete),
    LB_ADMIN_ROUTE(GET, LB_LBS "/{id}/listeners/{listener_id}/l7policies",
                   lb_admin_l7_list),
    LB_ADMIN_ROUTE(GET, LB_LBS "/listeners/{id}/l7policies/test",
                   lb_admin_l7_test),
    LB_ADMIN_ROUTE(GET, LB_LBS "/{id}",
                   lb_admin_balancer_show),
    LB_ADMIN_ROUTE(GET, LB_LBS "/{id}/status",
                   lb_admin_balancer_status),
    LB_ADMIN_ROUTE(GET, "/metrics",
                   lb_admin_metrics),
    LB_ADMIN_ROUTE(GET, "/api/v1/cluster",
                   lb_admin_cluster),

    /* the write routes (lb_admin_write.c) */
    LB_ADMIN_ROUTE(POST, LB_LBS "",
                   lb_admin_balancer_create),
    LB_ADMIN_ROUTE(POST, LB_LBS "/listeners",
                   lb_admin_listener_create),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/listeners/{id}",
                   lb_admin_listener_update),
    LB_ADMIN_ROUTE(DELETE, LB_LBS "/listeners/{id}",
                   lb_admin_listener_delete),
    LB_ADMIN_ROUTE(POST, LB_LBS "/target-groups",
                   lb_admin_group_create),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/target-groups/{id}",
                   lb_admin_group_update),
    LB_ADMIN_ROUTE(DELETE, LB_LBS "/target-groups/{id}",
                   lb_admin_group_delete),
    LB_ADMIN_ROUTE(POST, LB_LBS "/target-groups/{id}/members",
                   lb_admin_member_create),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/target-groups/{id}/members",
                   lb_admin_members_replace),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/target-groups/{id}/members/{member_id}",
                   lb_admin_member_update),
    LB_ADMIN_ROUTE(DELETE, LB_LBS "/target-groups/{id}/members/{member_id}",
                   lb_admin_member_delete),
    LB_ADMIN_ROUTE(POST, LB_LBS "/health-monitors",
                   lb_admin_monitor_create),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/health-monitors/{id}",
                   lb_admin_monitor_update),
    LB_ADMIN_ROUTE(DELETE, LB_LBS "/health-monitors/{id}",
                   lb_admin_monitor_delete),
    LB_ADMIN_ROUTE(PUT, LB_LBS "/{id}",
                   lb_admin_balancer_update),
    LB_ADMIN_ROUTE(DELETE, LB_LBS "/{id}",
                   lb_admin_balancer_delete),
    { 0, NULL, NULL }
};

static const char *const  lb_admin_no_filters[] = { NULL };

static const char *const  lb_admin_group_filters[] = {
    "name", "protocol", "provisioning_status", "operating_status",
    "load_balancer_id", NULL
};

static const char *const  lb_admin_member_filters[] = {
    "address", "protocol_port", "name", "instance_id", "operating_status",
    NULL
};


/* --- load balancers --- */

static void
lb_admin_balancers(lb_admin_req_t *r)
{
    uint32_t    b;
    lb_conf_t  *conf;
    lb_json_t   j;

    if (!lb_admin_list_open(r, lb_admin_no_filters, "load_balancers", &j)) {
        return;
    }

    conf = lb_admin_current(r->cycle);

    for (b = 0; b < conf->nbalancers; b++) {
        lb_admin_json_balancer(&j, NULL, r->cycle, &conf->balancers[b]);
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_balancer_show(lb_admin_req_t *r)
{
    lb_json_t         j;
    lb_admin_found_t  f;

    if (!lb_admin_show_open(r, "load balancer", &f, &j)) {
        return;
    }

    lb_admin_json_balancer(&j, "load_balancer", r->cycle, f.balancer);
    lb_json_object_end(&j);
}


/* the status tree: the balancer, its listeners, its target groups with
 * their health monitor and members, each with both statuses */
static void
lb_admin_balancer_status(lb_admin_req_t *r)
{
    uint32_t            i, k;
    lb_json_t           j;
    lb_load_balancer_t *b;
    lb_listener_t      *l;
    lb_target_t        *t;
    lb_shm_zone_t      *z;
    lb_admin_found_t    f;
    lb_target_group_t  *g;

    if (!lb_admin_query(r, lb_admin_no_filters)
        || !lb_admin_find(r, "load balancer", r->params[0], &f))
    {
        return;
    }

    b = f.balancer;
    z = r->cycle->zone;

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "statuses");
    lb_json_object(&j, "load_balancer");
    lb_json_str(&j, "id", b->id);
    lb_json_str(&j, "name", b->name);
    lb_json_str(&j, "provisioning_status", lb_admin_prov(r->cycle, b, b->id));
    lb_json_str(&j, "operating_status",
                lb_oper_status_names[lb_health_balancer_status(z, b)]);

    lb_json_array(&j, "listeners");
    for (i = 0; i < b->nlisteners; i++) {
        l = &b->listeners[i];
        lb_json_object(&j, NULL);
        lb_json_str(&j, "id", l->id);
        lb_json_str(&j, "name", l->name);
        lb_json_str(&j, "target_group_id",
                    l->target_group ? l->target_group->id : NULL);
        lb_json_str(&j, "provisioning_status",
                    lb_admin_prov(r->cycle, b, l->id));
        lb_json_str(&j, "operating_status", lb_admin_listener_status(z, l));
        lb_json_object_end(&j);
    }
    lb_json_array_end(&j);

    lb_json_array(&j, "target_groups");
    for (i = 0; i < b->ntarget_groups; i++) {
        g = &b->target_groups[i];
        lb_json_object(&j, NULL);
        lb_json_str(&j, "id", g->id);
        lb_json_str(&j, "name", g->name);
        lb_json_str(&j, "provisioning_status",
                    lb_admin_prov(r->cycle, b, g->id));
        lb_json_str(&j, "operating_status",
                    lb_oper_status_names[lb_health_group_status(z, g)]);

        if (g->health_monitor != NULL) {
            lb_json_object(&j, "health_monitor");
            lb_json_str(&j, "id", g->health_monitor->id);
            lb_json_str(&j, "type",
                        lb_check_type_names[g->health_monitor->type]);
            lb_json_str(&j, "provisioning_status",
                        lb_admin_prov(r->cycle, b, g->health_monitor->id));
            lb_json_str(&j, "operating_status", lb_admin_monitor_status(g));
            lb_json_object_end(&j);
        } else {
            lb_json_null(&j, "health_monitor");
        }

        lb_json_array(&j, "members");
        for (k = 0; k < g->ntargets; k++) {
            t = &g->targets[k];
            lb_json_object(&j, NULL);
            lb_json_str(&j, "id", t->id);
            lb_json_str(&j, "name", t->name);
            lb_json_str(&j, "address", t->address);
            lb_json_uint(&j, "protocol_port", t->protocol_port);
            lb_json_str(&j, "provisioning_status",
                        lb_admin_prov(r->cycle, b, t->id));
            lb_json_str(&j, "operating_status",
                        lb_oper_status_names[lb_health_target_status(z, t)]);
            lb_json_object_end(&j);
        }
        lb_json_array_end(&j);

        lb_json_object_end(&j);
    }
    lb_json_array_end(&j);

    lb_json_object_end(&j);
    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


/* --- listeners --- */

static void
lb_admin_listeners(lb_admin_req_t *r)
{
    uint32_t        b, i;
    lb_conf_t      *conf;
    lb_json_t       j;
    lb_load_balancer_t  *lb;

    if (!lb_admin_list_open(r, lb_admin_no_filters, "listeners", &j)) {
        return;
    }

    conf = lb_admin_current(r->cycle);

    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];
        for (i = 0; i < lb->nlisteners; i++) {
            lb_admin_json_listener(&j, NULL, r->cycle,
                                   &lb->listeners[i]);
        }
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_listener_show(lb_admin_req_t *r)
{
    lb_json_t         j;
    lb_admin_found_t  f;

    if (!lb_admin_show_open(r, "listener", &f, &j)) {
        return;
    }

    lb_admin_json_listener(&j, "listener", r->cycle, f.listener);
    lb_json_object_end(&j);
}


/* --- target groups --- */

static void
lb_admin_groups(lb_admin_req_t *r)
{
    uint32_t            b, i;
    lb_conf_t          *conf;
    lb_json_t           j;
    lb_load_balancer_t *lb;
    lb_shm_zone_t      *z;
    lb_target_group_t  *g;

    if (!lb_admin_query(r, lb_admin_group_filters)) {
        return;
    }

    conf = lb_admin_current(r->cycle);
    z = r->cycle->zone;

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_array(&j, "target_groups");

    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];

        for (i = 0; i < lb->ntarget_groups; i++) {
            g = &lb->target_groups[i];

            if (!lb_admin_filter(r, "name", g->name)
                || !lb_admin_filter(r, "protocol",
                                    lb_tg_proto_names[g->protocol])
                || !lb_admin_filter(r, "provisioning_status",
                                    lb_admin_prov(r->cycle, lb, g->id))
                || !lb_admin_filter(r, "load_balancer_id", lb->id)
                || !lb_admin_filter(r, "operating_status",
                        lb_oper_status_names[lb_health_group_status(z, g)]))
            {
                continue;
            }

            lb_admin_json_group(&j, NULL, r->cycle, g);
        }
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_group_show(lb_admin_req_t *r)
{
    lb_json_t         j;
    lb_admin_found_t  f;

    if (!lb_admin_show_open(r, "target group", &f, &j)) {
        return;
    }

    lb_admin_json_group(&j, "target_group", r->cycle, f.group);
    lb_json_object_end(&j);
}


/* --- members --- */

static void
lb_admin_members(lb_admin_req_t *r)
{
    char                port[16];
    uint32_t            i, total;
    lb_json_t           j;
    lb_target_t        *t;
    lb_shm_zone_t      *z;
    lb_admin_found_t    f;
    lb_target_group_t  *g;

    if (!lb_admin_query(r, lb_admin_member_filters)
        || !lb_admin_find(r, "target group", r->params[0], &f))
    {
        return;
    }

    g = f.group;
    z = r->cycle->zone;
    total = lb_weight_converted_total(g);

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_array(&j, "members");

    for (i = 0; i < g->ntargets; i++) {
        t = &g->targets[i];

        snprintf(port, sizeof(port), "%u", t->protocol_port);

        if (!lb_admin_filter(r, "address", t->address)
            || !lb_admin_filter(r, "protocol_port", port)
            || !lb_admin_filter(r, "name", t->name)
            || !lb_admin_filter(r, "instance_id", t->instance_id)
            || !lb_admin_filter(r, "operating_status",
                        lb_oper_status_names[lb_health_target_status(z, t)]))
        {
            continue;
        }

        lb_admin_json_member(&j, NULL, r->cycle, t, total);
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_member_show(lb_admin_req_t *r)
{
    uint32_t          i;
    lb_json_t         j;
    lb_admin_found_t  f;
    lb_target_t      *t;

    if (!lb_admin_query(r, lb_admin_no_filters)
        || !lb_admin_find(r, "target group", r->params[0], &f))
    {
        return;
    }

    t = NULL;
    for (i = 0; i < f.group->ntargets; i++) {
        if (f.group->targets[i].id != NULL
            && strcmp(f.group->targets[i].id, r->params[1]) == 0)
        {
            t = &f.group->targets[i];
            break;
        }
    }

    if (t == NULL) {
        lb_admin_error(r, 404, "member %s not found in target group %s",
                       r->params[1], r->params[0]);
        return;
    }

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_admin_json_member(&j, "member", r->cycle, t,
                         lb_weight_converted_total(f.group));
    lb_json_object_end(&j);
}


/* the balancer's health_check_ips, one entry per subnet in the order of
 * the file; a null subnet_id is for targets of any subnet */
static void
lb_admin_subnets(lb_admin_req_t *r)
{
    uint32_t               i, k;
    lb_json_t              j;
    lb_load_balancer_t    *b;
    lb_admin_found_t       f;
    lb_health_check_ip_t  *ip, *o;

    if (!lb_admin_query(r, lb_admin_no_filters)
        || !lb_admin_find(r, "target group", r->params[0], &f))
    {
        return;
    }

    b = f.group->balancer;

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_array(&j, "health_check_subnets");

    for (i = 0; i < b->nhealth_check_ips; i++) {
        ip = &b->health_check_ips[i];

        /* listed with the first of its subnet */
        for (k = 0; k < i; k++) {
            o = &b->health_check_ips[k];
            if ((o->subnet_id == NULL) == (ip->subnet_id == NULL)
                && (o->subnet_id == NULL
                    || strcmp(o->subnet_id, ip->subnet_id) == 0))
            {
                break;
            }
        }

        if (k < i) {
            continue;
        }

        lb_json_object(&j, NULL);
        lb_json_str(&j, "subnet_id", ip->subnet_id);
        lb_json_array(&j, "addresses");

        for (k = i; k < b->nhealth_check_ips; k++) {
            o = &b->health_check_ips[k];
            if ((o->subnet_id == NULL) == (ip->subnet_id == NULL)
                && (o->subnet_id == NULL
                    || strcmp(o->subnet_id, ip->subnet_id) == 0))
            {
                lb_json_str(&j, NULL, o->address);
            }
        }

        lb_json_array_end(&j);
        lb_json_object_end(&j);
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


/* --- health monitors --- */

static void
lb_admin_monitors(lb_admin_req_t *r)
{
    uint32_t        b, i;
    lb_conf_t      *conf;
    lb_json_t       j;
    lb_load_balancer_t  *lb;

    if (!lb_admin_list_open(r, lb_admin_no_filters, "health_monitors", &j)) {
        return;
    }

    conf = lb_admin_current(r->cycle);

    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];
        for (i = 0; i < lb->ntarget_groups; i++) {
            if (lb->target_groups[i].health_monitor != NULL) {
                lb_admin_json_monitor(&j, NULL, r->cycle,
                                      &lb->target_groups[i]);
            }
        }
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
}


static void
lb_admin_monitor_show(lb_admin_req_t *r)
{
    lb_json_t         j;
    lb_admin_found_t  f;

    if (!lb_admin_show_open(r, "health monitor", &f, &j)) {
        return;
    }

    lb_admin_json_monitor(&j, "health_monitor", r->cycle, f.group);
    lb_json_object_end(&j);
}


/* --- helpers --- */

/* GET of a list: the query parameters among filters (400 otherwise),
 * and j opened as {"<name>": [ ... for the caller to fill. false when the
 * request is answered already. */
static bool
lb_admin_list_open(lb_admin_req_t *r, const char *const *filters,
    const char *name, lb_json_t *j)
{
    if (!lb_admin_query(r, filters)) {
        return false;
    }

    lb_json_init(j, r->body);
    lb_json_object(j, NULL);
    lb_json_array(j, name);

    return true;
}


/* GET of one object by its id (r->params[0]): no query parameters, the
 * object found (404 otherwise) into f, and j opened as the response's
 * outer object. false when the request is answered already. */
static bool
lb_admin_show_open(lb_admin_req_t *r, const char *kind, lb_admin_found_t *f,
    lb_json_t *j)
{
    if (!lb_admin_query(r, lb_admin_no_filters)
        || !lb_admin_find(r, kind, r->params[0], f))
    {
        return false;
    }

    lb_json_init(j, r->body);
    lb_json_object(j, NULL);

    return true;
}

/* Every query parameter must be one of keys, once: else 400. */
static bool
lb_admin_query(lb_admin_req_t *r, const char *const *keys)
{
    uint32_t            i, k;
    const char *const  *key;

    for (i = 0; i < r->nquery; i++) {
        for (key = keys; *key != NULL; key++) {
            if (strcmp(*key, r->qkeys[i]) == 0) {
                break;
            }
        }

        if (*key == NULL) {
            if (keys[0] == NULL) {
                lb_admin_error(r, 400, "unknown query parameter \"%s\"; "
                               "this resource takes none", r->qkeys[i]);
            } else {
                lb_admin_error(r, 400, "unknown filter \"%s\"",
                               r->qkeys[i]);
            }
            return false;
        }

        for (k = 0; k < i; k++) {
            if (strcmp(r->qkeys[k], r->qkeys[i]) == 0) {
                lb_admin_error(r, 400, "filter \"%s\" given twice",
                               r->qkeys[i]);
                return false;
            }
        }
    }

    return true;
}


/* whether value passes the filter on key (none: it does) */
static bool
lb_admin_filter(lb_admin_req_t *r, const char *key, const char *value)
{
    uint32_t  i;

    for (i = 0; i < r->nquery; i++) {
        if (strcmp(r->qkeys[i], key) == 0) {
            return value != NULL && strcmp(r->qvals[i], value) == 0;
        }
    }

    return true;
}


/* The object of `kind` with this id, or 404 */
static bool
lb_admin_find(lb_admin_req_t *r, const char *kind, const char *id,
    lb_admin_found_t *f)
{
    uint32_t            b, i;
    lb_conf_t          *conf;
    lb_load_balancer_t *lb;
    lb_target_group_t  *g;

    conf = lb_admin_current(r->cycle);
    memset(f, 0, sizeof(lb_admin_found_t));

    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];

        if (strcmp(kind, "load balancer") == 0) {
            if (lb->id != NULL && strcmp(lb->id, id) == 0) {
                f->balancer = lb;
                return true;
            }
            continue;
        }

        if (strcmp(kind, "listener") == 0) {
            for (i = 0; i < lb->nlisteners; i++) {
                if (lb->listeners[i].id != NULL
                    && strcmp(lb->listeners[i].id, id) == 0)
                {
                    f->listener = &lb->listeners[i];
                    return true;
                }
            }
            continue;
        }

        for (i = 0; i < lb->ntarget_groups; i++) {
            g = &lb->target_groups[i];

            if (strcmp(kind, "health monitor") == 0) {
                if (g->health_monitor != NULL && g->health_monitor->id != NULL
                    && strcmp(g->health_monitor->id, id) == 0)
                {
                    f->group = g;
                    return true;
                }

            } else if (g->id != NULL && strcmp(g->id, id) == 0) {
                f->group = g;
                return true;
            }
        }
    }

    lb_admin_error(r, 404, "%s %s not found", kind, id);

    return false;
}


void
lb_admin_json_balancer(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_load_balancer_t *b)
{
    uint32_t        i;
    lb_shm_zone_t  *z;

    z = cycle->zone;

    lb_json_object(j, key);
    lb_json_str(j, "id", b->id);
    lb_json_str(j, "name", b->name);
    lb_json_str(j, "type", lb_balancer_type_names[b->type]);
    lb_json_str(j, "address", b->address);
    lb_json_str(j, "availability_zone", b->availability_zone);
    lb_json_str(j, "vpc", b->vpc);
    lb_json_str(j, "provisioning_status", lb_admin_prov(cycle, b, b->id));
    lb_json_str(j, "operating_status",
                lb_oper_status_names[lb_health_balancer_status(z, b)]);

    lb_json_array(j, "listeners");
    for (i = 0; i < b->nlisteners; i++) {
        lb_admin_json_ids(j, NULL, b->listeners[i].id);
    }
    lb_json_array_end(j);

    lb_json_array(j, "target_groups");
    for (i = 0; i < b->ntarget_groups; i++) {
        lb_admin_json_ids(j, NULL, b->target_groups[i].id);
    }
    lb_json_array_end(j);

    lb_json_array(j, "health_check_ips");
    for (i = 0; i < b->nhealth_check_ips; i++) {
        lb_json_object(j, NULL);
        lb_json_str(j, "subnet_id", b->health_check_ips[i].subnet_id);
        lb_json_str(j, "address", b->health_check_ips[i].address);
        lb_json_object_end(j);
    }
    lb_json_array_end(j);

    lb_json_object_end(j);
}


void
lb_admin_json_listener(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_listener_t *l)
{
    uint32_t        i;
    bool            tls, http;
    lb_shm_zone_t  *z;

    z = cycle->zone;

    tls = l->protocol == LB_LISTENER_HTTPS || l->protocol == LB_LISTENER_TLS;
    http = l->protocol == LB_LISTENER_HTTP || l->protocol == LB_LISTENER_HTTPS;

    lb_json_object(j, key);
    lb_json_str(j, "id", l->id);
    lb_json_str(j, "name", l->name);
    lb_json_str(j, "load_balancer_id", l->balancer->id);
    lb_json_str(j, "protocol", lb_listener_proto_names[l->protocol]);
    lb_json_uint(j, "protocol_port", l->protocol_port);
    lb_json_str(j, "target_group_id",
                l->target_group ? l->target_group->id : NULL);
    lb_json_int(j, "connection_limit", l->connection_limit);
    lb_json_uint(j, "timeout_client_data", l->timeout_client_data);
    lb_json_uint(j, "timeout_member_connect", l->timeout_member_connect);
    lb_json_uint(j, "timeout_member_data", l->timeout_member_data);

    if (http) {
        /* Octavia's: the ids of its L7 policies (lb_admin_l7.c) */
        lb_json_array(j, "l7policies");
        for (i = 0; i < l->nl7_policies; i++) {
            lb_admin_json_ids(j, NULL, l->l7_policies[i].id);
        }
        lb_json_array_end(j);

        lb_json_uint(j, "timeout_client_header", l->timeout_client_header);
        lb_json_object(j, "insert_headers");
        lb_json_str(j, "X-Forwarded-For",
                    lb_xff_mode_names[l->x_forwarded_for]);
        lb_json_str(j, "X-Forwarded-Proto",
                    l->x_forwarded_proto ? "true" : "false");
        lb_json_str(j, "X-Forwarded-Port",
                    l->x_forwarded_port ? "true" : "false");
        lb_json_object_end(j);
    }

    if (tls) {
        /* the files' names, never their contents */
        lb_json_str(j, "tls_certificate", l->tls.certificate);
        lb_json_str(j, "tls_min_version",
                    lb_tls_version_names[l->tls_min_version]);
        if (l->protocol == LB_LISTENER_HTTPS) {
            lb_json_names(j, "alpn_protocols", lb_alpn_names, l->alpn,
                          l->nalpn);
        }
        lb_json_array(j, "sni_certificates");
        for (i = 0; i < l->nsni_certificates; i++) {
            lb_json_str(j, NULL, l->sni_certificates[i].certificate);
        }
        lb_json_array_end(j);
    }

    lb_json_str(j, "provisioning_status",
                lb_admin_prov(cycle, l->balancer, l->id));
    lb_json_str(j, "operating_status", lb_admin_listener_status(z, l));
    lb_json_object_end(j);
}


void
lb_admin_json_group(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_target_group_t *g)
{
    uint32_t             i;
    lb_shm_zone_t       *z;
    lb_persistence_t    *sp;
    lb_load_balancer_t  *b;

    z = cycle->zone;

    b = g->balancer;
    sp = g->session_persistence;

    lb_json_object(j, key);
    lb_json_str(j, "id", g->id);
    lb_json_str(j, "name", g->name);
    lb_json_str(j, "load_balancer_id", b->id);
    lb_json_str(j, "protocol", lb_tg_proto_names[g->protocol]);
    lb_json_str(j, "load_balancer_algorithm",
                lb_algorithm_names[g->load_balancer_algorithm]);

    if (g->protocol == LB_TG_PROXY) {
        lb_json_uint(j, "proxy_protocol_version", g->proxy_protocol_version);
    }

    if (g->protocol == LB_TG_HTTP || g->protocol == LB_TG_HTTPS) {
        lb_json_names(j, "alpn_protocols", lb_alpn_names, g->alpn,
                      g->nalpn);
    }

    if (sp != NULL) {
        lb_json_object(j, "session_persistence");
        lb_json_str(j, "type", lb_persistence_names[sp->type]);
        lb_json_uint(j, "persistence_timeout",
                     sp->persistence_timeout / 1000);
        if (sp->type == LB_PERSIST_APP_COOKIE) {
            lb_json_str(j, "cookie_name", sp->cookie_name);
        }
        if (sp->type == LB_PERSIST_SOURCE_IP) {
            lb_json_str(j, "persistence_granularity",
                        sp->persistence_granularity);
        }
        lb_json_object_end(j);

    } else {
        lb_json_null(j, "session_persistence");
    }

    lb_json_str(j, "health_monitor_id",
                g->health_monitor ? g->health_monitor->id : NULL);

    lb_json_array(j, "listeners");
    for (i = 0; i < b->nlisteners; i++) {
        if (b->listeners[i].target_group == g) {
            lb_admin_json_ids(j, NULL, b->listeners[i].id);
        }
    }
    lb_json_array_end(j);

    lb_json_uint(j, "member_count", g->ntargets);
    lb_json_array(j, "members");
    for (i = 0; i < g->ntargets; i++) {
        lb_admin_json_ids(j, NULL, g->targets[i].id);
    }
    lb_json_array_end(j);

    lb_json_str(j, "provisioning_status", lb_admin_prov(cycle, b, g->id));
    lb_json_str(j, "operating_status",
                lb_oper_status_names[lb_health_group_status(z, g)]);
    lb_json_object_end(j);
}


void
lb_admin_json_member(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_target_t *t, uint32_t total)
{
    lb_shm_zone_t  *z;

    z = cycle->zone;

    lb_json_object(j, key);
    lb_json_str(j, "id", t->id);
    lb_json_str(j, "name", t->name);
    lb_json_str(j, "target_group_id", t->group->id);
    lb_json_str(j, "address", t->address);
    lb_json_uint(j, "protocol_port", t->protocol_port);
    lb_json_uint(j, "weight", t->weight);
    lb_json_tenths(j, "weight_ratio",
                   lb_weight_ratio(lb_weight_converted(t->weight), total));
    lb_json_uint(j, "monitor_port", t->monitor_port);
    lb_json_str(j, "subnet_id", t->subnet_id);
    lb_json_str(j, "instance_id", t->instance_id);
    lb_json_str(j, "instance_name", t->instance_name);
    lb_json_str(j, "provisioning_status",
                lb_admin_prov(cycle, t->group->balancer, t->id));
    lb_json_str(j, "operating_status",
                lb_oper_status_names[lb_health_target_status(z, t)]);
    lb_json_object_end(j);
}


void
lb_admin_json_monitor(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_target_group_t *g)
{
    lb_health_monitor_t  *hm;

    hm = g->health_monitor;

    lb_json_object(j, key);
    lb_json_str(j, "id", hm->id);
    lb_json_str(j, "target_group_id", g->id);
    lb_json_str(j, "type", lb_check_type_names[hm->type]);
    /* LB_CONF_SECONDS fields are kept in ms, shown in seconds */
    lb_json_uint(j, "delay", hm->delay / 1000);
    lb_json_uint(j, "timeout", hm->timeout / 1000);
    lb_json_uint(j, "max_retries", hm->max_retries);
    lb_json_uint(j, "max_retries_down", hm->max_retries_down);

    if (hm->type == LB_CHECK_HTTP || hm->type == LB_CHECK_HTTPS) {
        lb_json_str(j, "http_method", lb_http_method_names[hm->http_method]);
        lb_json_str(j, "http_version", hm->http_version);
        lb_json_str(j, "url_path", hm->url_path);
        lb_json_str(j, "expected_codes", hm->expected_codes);
    }

    lb_json_str(j, "provisioning_status",
                lb_admin_prov(cycle, g->balancer, hm->id));
    lb_json_str(j, "operating_status", lb_admin_monitor_status(g));
    lb_json_object_end(j);
}


static const char *
lb_admin_listener_status(lb_shm_zone_t *z, const lb_listener_t *l)
{
    if (l->target_group == NULL) {
        return lb_oper_status_names[LB_OPER_OFFLINE];
    }

    return lb_oper_status_names[lb_health_group_status(z, l->target_group)];
}


/* a health monitor checks (ONLINE) while its group is in use, as
 * Octavia's; else it is OFFLINE with the group */
static const char *
lb_admin_monitor_status(const lb_target_group_t *g)
{
    return lb_oper_status_names[lb_health_group_in_use(g) ? LB_OPER_ONLINE
                                                          : LB_OPER_OFFLINE];
}


/* {"id": "..."}, as Octavia lists the children of an object */
static void
lb_admin_json_ids(lb_json_t *j, const char *key, const char *one_id)
{
    lb_json_object(j, key);
    lb_json_str(j, "id", one_id);
    lb_json_object_end(j);
}
