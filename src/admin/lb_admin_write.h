/* weir: the write operations of the admin API (lb_admin_write.c) and what
 * the read side (lb_admin_api.c) takes from them: the admin's current
 * configuration and each object's provisioning_status. */
#ifndef LB_ADMIN_WRITE_H
#define LB_ADMIN_WRITE_H

#include "lb_admin_json.h"
#include "lb_admin_route.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"

/* The configuration the API shows and changes: the cycle's until the
 * first accepted change, then the last one written to the file. Owned
 * by lb_admin_write.c; read only. */
lb_conf_t *lb_admin_current(lb_cycle_t *cycle);

/* provisioning_status (SPEC.md 8) of the object with this id in balancer
 * b (the balancer's own id for the balancer): ACTIVE, PENDING_CREATE,
 * PENDING_UPDATE or ERROR, from the last change made to b and the state
 * of its request in the zone (lb_zone_gen_state()). A static string. */
const char *lb_admin_prov(lb_cycle_t *cycle, const lb_load_balancer_t *b,
    const char *id);

/* the handlers of the write routes */
void lb_admin_balancer_create(lb_admin_req_t *r);
void lb_admin_balancer_update(lb_admin_req_t *r);
void lb_admin_balancer_delete(lb_admin_req_t *r);
void lb_admin_listener_create(lb_admin_req_t *r);
void lb_admin_listener_update(lb_admin_req_t *r);
void lb_admin_listener_delete(lb_admin_req_t *r);
void lb_admin_group_create(lb_admin_req_t *r);
void lb_admin_group_update(lb_admin_req_t *r);
void lb_admin_group_delete(lb_admin_req_t *r);
void lb_admin_member_create(lb_admin_req_t *r);
void lb_admin_members_replace(lb_admin_req_t *r);
void lb_admin_member_update(lb_admin_req_t *r);
void lb_admin_member_delete(lb_admin_req_t *r);
void lb_admin_monitor_create(lb_admin_req_t *r);
void lb_admin_monitor_update(lb_admin_req_t *r);
void lb_admin_monitor_delete(lb_admin_req_t *r);

/* the objects as the GETs show them (lb_admin_api.c); key: the member
 * name in the enclosing object, NULL in an array */
void lb_admin_json_balancer(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_load_balancer_t *b);
void lb_admin_json_listener(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_listener_t *l);
void lb_admin_json_group(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_target_group_t *g);
void lb_admin_json_member(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_target_t *t, uint32_t total);
void lb_admin_json_monitor(lb_json_t *j, const char *key, lb_cycle_t *cycle,
    lb_target_group_t *g);

#endif /* LB_ADMIN_WRITE_H */
