/* weir: one change made by the admin API (lb_admin_change.c): the copy
 * of the configuration it is made to, the checks, the commit (file, then
 * the master), the lookups in a copy; shared by the handlers of
 * lb_admin_write.c. Every function that takes a change and can fail
 * answers the request itself (r->status, a JSON error) and returns
 * false/NULL. */
#ifndef LB_ADMIN_CHANGE_H
#define LB_ADMIN_CHANGE_H

#include "lb_admin_body.h"
#include "lb_admin_json.h"
#include "lb_admin_route.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"

#define LB_ADMIN_CREATED   512      /* ids created by one change */

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

/* keys no body may set (the server's own) */
extern const char *const  lb_admin_ro_keys[];

/* lb_admin_begin(): the copy of the admin's configuration in ch->pool,
 *   and a body required unless DELETE. lb_admin_end(): frees what the
 *   change did not commit.
 * lb_admin_may_change(): 409 while b has a change pending, or is in
 *   ERROR (then only deleting is allowed).
 * lb_admin_commit(): judge the copy as weir -t (400, the field in the
 *   body's terms when the path of the problem starts with `path`), write
 *   the file (500: nothing changed), make the copy current, ask the
 *   master to apply it and mark ch->lb_id pending.
 * lb_admin_answer(): status, and {"key": the object with this id} from
 *   the new configuration (key "member": of the group r->params[0]; key
 *   NULL: no body).
 * lb_admin_parse(): lb_conf_json_parse() into ch->pool.
 * lb_admin_change_body(): the request body split (its syntax judged
 *   first). lb_admin_take_id(): a "key": "<id>" | null pair taken out of
 *   it. lb_admin_merge(): a PUT laid over base (lb_admin_body_merge()).
 *   lb_admin_refuse_keys(): 400 for the first of keys it has.
 * lb_admin_new_id(): a new v4 id, remembered as created by the change.
 *   lb_admin_ids_group(): ids for a new group, its members and monitor.
 * lb_admin_append() / lb_admin_remove(): a list of the copy grown (a new
 *   array from pool) or shrunk (in place).
 * lb_admin_find_*(): an object of a configuration by id, or NULL. */
bool lb_admin_begin(lb_admin_req_t *r, lb_admin_change_t *ch,
    const char *wrapper);
void lb_admin_end(lb_admin_change_t *ch);
bool lb_admin_may_change(lb_admin_change_t *ch,
    const lb_load_balancer_t *b, bool deleting);
bool lb_admin_commit(lb_admin_change_t *ch, const char *path);
void lb_admin_answer(lb_admin_change_t *ch, unsigned status,
    const char *key, const char *id);
bool lb_admin_parse(lb_admin_change_t *ch, const char *wrapper,
    const void *parent, const u_char *body, size_t len, void **out,
    uint32_t *n);
bool lb_admin_change_body(lb_admin_change_t *ch, const char *wrapper,
    lb_admin_body_t *b);
bool lb_admin_take_id(lb_admin_change_t *ch, lb_admin_body_t *b,
    const char *key, bool required, char **id, bool *given);
u_char *lb_admin_merge(lb_admin_change_t *ch, const char *wrapper,
    lb_admin_buf_t *base, lb_admin_body_t *b, size_t *len);
bool lb_admin_refuse_keys(lb_admin_change_t *ch, lb_admin_body_t *b,
    const char *const *keys, const char *why);
void lb_admin_field_error(lb_admin_change_t *ch, unsigned status,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
char *lb_admin_new_id(lb_admin_change_t *ch);
bool lb_admin_ids_group(lb_admin_change_t *ch, lb_target_group_t *g);
void *lb_admin_append(lb_pool_t *pool, void *items, uint32_t *n,
    size_t size, const void *item);
void lb_admin_remove(void *items, uint32_t *n, size_t size,
    uint32_t i);
lb_load_balancer_t *lb_admin_find_lb(lb_conf_t *c, const char *id);
lb_listener_t *lb_admin_find_listener(lb_conf_t *c, const char *id);
lb_target_group_t *lb_admin_find_group(lb_conf_t *c, const char *id);
lb_target_group_t *lb_admin_find_monitor(lb_conf_t *c,
    const char *id);
lb_target_t *lb_admin_find_member(lb_target_group_t *g, const char *id);
char *lb_admin_path_group(lb_admin_change_t *ch,
    const lb_load_balancer_t *b, const lb_target_group_t *g);

/* SPEC.md section 12, on a standby: take the load_balancers of the
 * active node's configuration text of `version` (as the sync process
 * got it) into this node's configuration, with peers.config_version set
 * to version, judged and written as an API change is (the master
 * persists and applies it). LB_OK, or LB_ERROR with why. */
lb_int_t lb_admin_peer_change(lb_cycle_t *cycle, uint64_t version,
    const char *text, size_t len, char *why, size_t size);

#endif /* LB_ADMIN_CHANGE_H */
