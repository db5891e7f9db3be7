/* weir: the rules between configuration objects (SPEC.md sections 1, 2,
 * 5, 7 and 9) and the back-pointers; then the stable ids
 * (lb_conf_id.c). The rules within one object are next to its table in
 * lb_conf_schema.c. Every rule here skips values that were already
 * reported invalid, so one mistake gives one message. */
#include <string.h>

#include "lb_conf_id.h"
#include "lb_conf_l7.h"
#include "lb_conf_schema.h"
#include "lb_palloc.h"

static void lb_conf_check_names(lb_conf_cx_t *cx, lb_conf_obj_t *parent,
    const char *list, const char *what, const char *scope);
static void lb_conf_check_references(lb_conf_cx_t *cx, lb_conf_obj_t *bobj);
static void lb_conf_check_sticky(lb_conf_cx_t *cx, lb_conf_obj_t *bobj,
    lb_conf_obj_t *gobj);
static void lb_conf_check_dsr(lb_conf_cx_t *cx, lb_conf_obj_t *bobj);
static void lb_conf_check_listening(lb_conf_cx_t *cx, lb_conf_obj_t *root);
static void lb_conf_link(lb_conf_obj_t *root);


void
lb_conf_check(lb_conf_cx_t *cx, lb_conf_obj_t *root)
{
    uint32_t        b, g, i;
    lb_conf_obj_t  *bobj, *gobj, *lobj;

    lb_conf_check_names(cx, root, "load_balancers", "load balancer",
                        "in the file");

    for (b = 0; (bobj = lb_conf_child(root, "load_balancers", b)); b++) {
        lb_conf_check_names(cx, bobj, "listeners", "listener",
                            "in a load balancer");
        lb_conf_check_names(cx, bobj, "target_groups", "target group",
                            "in a load balancer");

        for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g)); g++) {
            lb_conf_check_members(cx, gobj);
        }

        lb_conf_check_references(cx, bobj);

        for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g)); g++) {
            lb_conf_check_sticky(cx, bobj, gobj);
        }

        lb_conf_check_dsr(cx, bobj);

        for (i = 0; (lobj = lb_conf_child(bobj, "listeners", i)); i++) {
            lb_conf_check_names(cx, lobj, "l7_policies", "L7 policy",
                                "in a listener");
            lb_conf_check_l7(cx, bobj, lobj);
        }
    }

    lb_conf_check_listening(cx, root);
    lb_conf_link(root);
    lb_conf_ids(cx, root);
}


/* names unique among the items of one list */
static void
lb_conf_check_names(lb_conf_cx_t *cx, lb_conf_obj_t *parent, const char *list,
    const char *what, const char *scope)
{
    uint32_t        i, j;
    const char     *a, *b;
    lb_conf_obj_t  *x, *y;
    lb_conf_pos_t   pos;

    for (i = 1; (x = lb_conf_child(parent, list, i)); i++) {
        a = lb_conf_name_of(x);
        if (a == NULL) {
            continue;
        }

        for (j = 0; j < i; j++) {
            y = lb_conf_child(parent, list, j);
            b = lb_conf_name_of(y);

            if (b != NULL && strcmp(a, b) == 0) {
                pos = lb_conf_pos(y, "name");
                lb_conf_error(cx, x, "name", "duplicate %s name \"%s\" "
                              "(first at %u:%u); %s names are unique %s",
                              what, a, pos.line, pos.col, what, scope);
                break;
            }
        }
    }
}


/* SPEC.md section 7: a target is its address and port */
void
lb_conf_check_members(lb_conf_cx_t *cx, lb_conf_obj_t *gobj)
{
    uint32_t        i, j;
    lb_target_t    *a, *b;
    lb_conf_obj_t  *x, *y;
    lb_conf_pos_t   pos;

    for (i = 1; (x = lb_conf_child(gobj, "members", i)); i++) {
        a = x->data;
        if (a->addr.text[0] == '\0') {
            continue;
        }

        for (j = 0; j < i; j++) {
            y = lb_conf_child(gobj, "members", j);
            b = y->data;

            if (strcmp(a->addr.text, b->addr.text) == 0) {
                pos = lb_conf_pos(y, "address");
                lb_conf_error(cx, x, "address", "duplicate member %s "
                              "(first at %u:%u); address and protocol_port "
                              "are unique in a target group", a->addr.text,
                              pos.line, pos.col);
                break;
            }
        }
    }
}


/* SPEC.md section 2: a listener's target group exists in its balancer and
 * speaks a protocol the listener can forward to */
static void
lb_conf_check_references(lb_conf_cx_t *cx, lb_conf_obj_t *bobj)
{
    bool                    dsr;
    uint32_t                i, g;
    unsigned                allowed;
    const char             *defined, *name;
    lb_listener_t          *l;
    lb_load_balancer_t     *lb;
    lb_conf_obj_t          *lobj, *gobj;
    lb_target_group_t      *tg;
    const lb_conf_node_t   *v;

    lb = bobj->data;
    dsr = lb_conf_ok(bobj, "type") && lb->type == LB_BALANCER_NLB_L4_DSR;

    for (i = 0; (lobj = lb_conf_child(bobj, "listeners", i)); i++) {
        l = lobj->data;

        if (!lb_conf_ok(lobj, "target_group")) {
            continue;
        }

        tg = NULL;
        gobj = NULL;

        for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g)); g++) {
            name = lb_conf_name_of(gobj);
            if (name != NULL && strcmp(name, l->target_group_name) == 0) {
                tg = gobj->data;
                break;
            }
        }

        if (tg == NULL) {
            for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g));
                 g++)
            {
                v = gobj->nodes[lb_conf_field_index(gobj->schema, "name")];
                if (v != NULL && v->type == LB_CONF_NODE_SCALAR
                    && strcmp(v->value, l->target_group_name) == 0)
                {
                    break;
                }
            }

            if (gobj != NULL) {
                /* it names a group whose name is invalid: said already */
                continue;
            }

            defined = "";
            for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g));
                 g++)
            {
                name = lb_conf_name_of(gobj);
                if (name != NULL) {
                    defined = lb_psprintf(cx->tmp, "%s%s%s", defined,
                                          *defined ? ", " : "", name);
                }
            }

            lb_conf_error(cx, lobj, "target_group", "target group \"%s\" "
                          "does not exist in this load balancer; allowed: "
                          "the name of one of its target groups (%s)",
                          l->target_group_name,
                          (defined && *defined) ? defined : "none defined");
            continue;
        }

        l->target_group = tg;

        if (!lb_conf_ok(lobj, "protocol") || !lb_conf_ok(gobj, "protocol")) {
            continue;
        }

        allowed = dsr ? lb_conf_dsr_listener_groups[l->protocol]
                      : lb_conf_listener_groups[l->protocol];

        if (!(allowed & LB_CONF_BIT(tg->protocol))) {
            lb_conf_error(cx, lobj, "target_group", "target group \"%s\" is "
                          "%s, which %s listeners%s cannot use; allowed: "
                          "%s target groups", tg->name,
                          lb_tg_proto_names[tg->protocol],
                          lb_listener_proto_names[l->protocol],
                          dsr ? " of NLB_L4_DSR load balancers" : "",
                          lb_conf_mask_names(cx->tmp, allowed,
                                             lb_tg_proto_names));
        }
    }
}


/* SPEC.md section 5: the sticky session type must fit every listener that
 * uses the group; a group no listener uses is judged by its protocol */
static void
lb_conf_check_sticky(lb_conf_cx_t *cx, lb_conf_obj_t *bobj,
    lb_conf_obj_t *gobj)
{
    uint32_t            i, users;
    unsigned            allowed, p;
    lb_listener_t      *l;
    lb_conf_obj_t      *sobj, *lobj;
    lb_persistence_t   *sp;
    lb_target_group_t  *tg;

    tg = gobj->data;
    sobj = lb_conf_child(gobj, "session_persistence", 0);

    if (sobj == NULL || !lb_conf_ok(gobj, "protocol")
        || !lb_conf_ok(sobj, "type"))
    {
        return;
    }

    sp = sobj->data;
    users = 0;

    for (i = 0; (lobj = lb_conf_child(bobj, "listeners", i)); i++) {
        l = lobj->data;

        if (l->target_group != tg || !lb_conf_ok(lobj, "protocol")) {
            continue;
        }

        users++;
        allowed = lb_conf_sticky_types[tg->protocol][l->protocol];

        if (allowed & LB_CONF_BIT(sp->type)) {
            continue;
        }

        if (allowed == 0) {
            lb_conf_error(cx, sobj, "type", "sticky sessions are not "
                          "available for %s target groups behind %s "
                          "listeners (listener \"%s\" uses this group); "
                          "remove session_persistence",
                          lb_tg_proto_names[tg->protocol],
                          lb_listener_proto_names[l->protocol], l->name);
        } else {
            lb_conf_error(cx, sobj, "type", "%s sticky sessions are not "
                          "available for %s target groups behind %s "
                          "listeners (listener \"%s\" uses this group); "
                          "allowed: %s",
                          lb_persistence_names[sp->type],
                          lb_tg_proto_names[tg->protocol],
                          lb_listener_proto_names[l->protocol], l->name,
                          lb_conf_mask_names(cx->tmp, allowed,
                                             lb_persistence_names));
        }
    }

    if (users > 0) {
        return;
    }

    allowed = 0;
    for (p = 0; lb_listener_proto_names[p] != NULL; p++) {
        allowed |= lb_conf_sticky_types[tg->protocol][p];
    }

    if (allowed & LB_CONF_BIT(sp->type)) {
        return;
    }

    if (allowed == 0) {
        lb_conf_error(cx, sobj, "type", "sticky sessions are not available "
                      "for %s target groups; remove session_persistence",
                      lb_tg_proto_names[tg->protocol]);
    } else {
        lb_conf_error(cx, sobj, "type", "%s sticky sessions are not "
                      "available for %s target groups; allowed: %s",
                      lb_persistence_names[sp->type],
                      lb_tg_proto_names[tg->protocol],
                      lb_conf_mask_names(cx->tmp, allowed,
                                         lb_persistence_names));
    }
}


/* SPEC.md section 9. Packets keep their destination address and port, so
 * a target listens on the listener's port, all targets of a group on the
 * same one, and a group serves one listener. The protocol pairs (TCP->TCP,
 * UDP->UDP) are checked with the other pairs in lb_conf_check_references().
 * "Targets are on the balancer's subnet" is not checked: the config holds
 * subnet_id labels, not the subnets themselves, so only the running system
 * can tell (by its routes and neighbours). */
static void
lb_conf_check_dsr(lb_conf_cx_t *cx, lb_conf_obj_t *bobj)
{
    uint32_t            g, i, m;
    lb_target_t        *t, *first;
    lb_listener_t      *l, *user;
    lb_load_balancer_t *lb;
    lb_conf_obj_t      *gobj, *lobj, *uobj, *tobj;
    lb_conf_pos_t       pos;
    lb_target_group_t  *tg;

    lb = bobj->data;

    if (!lb_conf_ok(bobj, "type") || lb->type != LB_BALANCER_NLB_L4_DSR) {
        return;
    }

    for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g)); g++) {
        tg = gobj->data;
        user = NULL;
        uobj = NULL;

        for (i = 0; (lobj = lb_conf_child(bobj, "listeners", i)); i++) {
            l = lobj->data;

            if (l->target_group != tg) {
                continue;
            }

            if (user == NULL) {
                user = l;
                uobj = lobj;
                continue;
            }

            pos = lb_conf_pos(uobj, "target_group");
            lb_conf_error(cx, lobj, "target_group", "target group \"%s\" "
                          "already serves listener \"%s\" (at %u:%u); on an "
                          "NLB_L4_DSR load balancer a target group serves "
                          "one listener only", tg->name, user->name,
                          pos.line, pos.col);
        }

        first = NULL;

        for (m = 0; (tobj = lb_conf_child(gobj, "members", m)); m++) {
            t = tobj->data;

            if (!lb_conf_ok(tobj, "protocol_port")) {
                continue;
            }

            if (user != NULL && lb_conf_ok(uobj, "protocol_port")) {
                if (t->protocol_port != user->protocol_port) {
                    lb_conf_error(cx, tobj, "protocol_port", "%u differs "
                                  "from port %u of listener \"%s\"; on an "
                                  "NLB_L4_DSR load balancer targets listen "
                                  "on the listener's port",
                                  t->protocol_port, user->protocol_port,
                                  user->name);
                }
                continue;
            }

            if (first == NULL) {
                first = t;
                continue;
            }

            if (t->protocol_port != first->protocol_port) {
                lb_conf_error(cx, tobj, "protocol_port", "%u differs from "
                              "port %u of the first member; on an "
                              "NLB_L4_DSR load balancer all targets of a "
                              "group share one port", t->protocol_port,
                              first->protocol_port);
            }
        }
    }
}


/* one socket per (address, port, transport) in the whole file, the admin
 * listener included. Only equal addresses are compared: 0.0.0.0:80 and
 * 127.0.0.1:80 can both be bound (with SO_REUSEPORT the more specific one
 * wins), so they are not a conflict. */
static void
lb_conf_check_listening(lb_conf_cx_t *cx, lb_conf_obj_t *root)
{
    bool              udp;
    uint32_t          b, i, c, k;
    lb_listener_t    *l, *o;
    lb_conf_obj_t    *bobj, *lobj, *aobj, *oobj;
    lb_conf_pos_t     pos;
    lb_admin_conf_t  *admin;
    lb_array_t        seen;
    lb_conf_obj_t   **prev;

    if (lb_array_init(&seen, cx->tmp, 16, sizeof(lb_conf_obj_t *)) != LB_OK) {
        cx->nomem = 1;
        return;
    }

    aobj = lb_conf_child(root, "admin", 0);
    admin = (aobj != NULL && lb_conf_ok(aobj, "listen")) ? aobj->data : NULL;

    for (b = 0; (bobj = lb_conf_child(root, "load_balancers", b)); b++) {
        for (i = 0; (lobj = lb_conf_child(bobj, "listeners", i)); i++) {
            l = lobj->data;

            if (l->addr.text[0] == '\0' || !lb_conf_ok(lobj, "protocol")) {
                continue;
            }

            udp = (l->protocol == LB_LISTENER_UDP);

            if (admin != NULL && !udp
                && strcmp(admin->addr.text, l->addr.text) == 0)
            {
                pos = lb_conf_pos(aobj, "listen");
                lb_conf_error(cx, lobj, "protocol_port", "%s/TCP is already "
                              "used by admin.listen (at %u:%u); an address, "
                              "port and transport are used once",
                              l->addr.text, pos.line, pos.col);
                continue;
            }

            prev = seen.elts;
            c = (uint32_t) seen.nelts;

            for (k = 0; k < c; k++) {
                oobj = prev[k];
                o = oobj->data;

                if ((o->protocol == LB_LISTENER_UDP) == udp
                    && strcmp(o->addr.text, l->addr.text) == 0)
                {
                    pos = lb_conf_pos(oobj, "protocol_port");
                    lb_conf_error(cx, lobj, "protocol_port", "%s/%s is "
                                  "already used by %s (at %u:%u); an "
                                  "address, port and transport are used "
                                  "once", l->addr.text, udp ? "UDP" : "TCP",
                                  oobj->path, pos.line, pos.col);
                    break;
                }
            }

            if (k < c) {
                continue;
            }

            prev = lb_array_push(&seen);
            if (prev == NULL) {
                cx->nomem = 1;
                return;
            }
            *prev = lobj;
        }
    }
}


static void
lb_conf_link(lb_conf_obj_t *root)
{
    uint32_t            b, i, g, m;
    lb_conf_t          *conf;
    lb_load_balancer_t *lb;
    lb_listener_t      *l;
    lb_target_group_t  *tg;

    conf = root->data;

    for (b = 0; b < conf->nbalancers; b++) {
        lb = &conf->balancers[b];
        lb->index = b;

        for (i = 0; i < lb->nlisteners; i++) {
            l = &lb->listeners[i];
            l->balancer = lb;
            l->index = i;
        }

        for (g = 0; g < lb->ntarget_groups; g++) {
            tg = &lb->target_groups[g];
            tg->balancer = lb;
            tg->index = g;

            for (m = 0; m < tg->ntargets; m++) {
                tg->targets[m].group = tg;
                tg->targets[m].index = m;
            }
        }
    }
}
