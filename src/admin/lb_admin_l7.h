/* weir: the L7 policy endpoints of the admin API (lb_admin_l7.c), and
 * what the other write handlers ask about policies. */
#ifndef LB_ADMIN_L7_H
#define LB_ADMIN_L7_H

#include "lb_admin_route.h"
#include "lb_conf_types.h"

/* GET .../l7policies (and .../{lb_id}/listeners/{id}/l7policies),
 * GET .../l7policies/{id}, .../{id}/rules, .../{id}/rules/{rule_id} */
void lb_admin_l7_list(lb_admin_req_t *r);
void lb_admin_l7_show(lb_admin_req_t *r);
void lb_admin_l7_rules(lb_admin_req_t *r);
void lb_admin_l7_rule_show(lb_admin_req_t *r);

/* GET .../listeners/{id}/l7policies/test?host=&path=&header=&cookie=:
 * the policy a request would meet, by the data path's matcher */
void lb_admin_l7_test(lb_admin_req_t *r);

/* POST, PUT, DELETE of policies and of their rules */
void lb_admin_l7_create(lb_admin_req_t *r);
void lb_admin_l7_update(lb_admin_req_t *r);
void lb_admin_l7_delete(lb_admin_req_t *r);
void lb_admin_l7_rule_create(lb_admin_req_t *r);
void lb_admin_l7_rule_update(lb_admin_req_t *r);
void lb_admin_l7_rule_delete(lb_admin_req_t *r);

/* A policy of g's balancer that redirects to g, or NULL: a group in use
 * cannot be deleted (409). */
const lb_l7_policy_t *lb_admin_l7_user(const lb_target_group_t *g);

/* The policies of b that name group `from` name `to` (a rename). */
void lb_admin_l7_rename(lb_load_balancer_t *b, const char *from,
    const char *to);

#endif /* LB_ADMIN_L7_H */
