/* weir: the admin API's request bodies (SPEC.md section 10): JSON read
 * with libyaml into the node tree the YAML file gives (lb_conf_node.h)
 * and validated by the same schema tables and walker, so a rule and its
 * message exist once. */
#ifndef LB_CONF_JSON_H
#define LB_CONF_JSON_H

#include "lb_conf_types.h"
#include "lb_core_types.h"

/* nesting of objects and arrays, the wrapper included */
#define LB_CONF_JSON_DEPTH  32

/* Why a body was refused. code: 400 (invalid), 413 (larger than the
 * limit) or 500 (out of memory). field: the path of the field
 * ("target_group.health_monitor.timeout", "members[1].weight"), or ""
 * when the body as a whole is at fault (syntax, size). message: for a
 * field, the text `weir -t` prints for the same value in the YAML file;
 * for syntax, "syntax error at LINE:COL (byte N): what". pos: where in
 * the body (1-based). Strings are allocated from the caller's pool. */
typedef struct {
    unsigned         code;
    const char      *field;
    const char      *message;
    lb_conf_pos_t    pos;
} lb_conf_json_error_t;

/* Read body[0..len) as one JSON object {"<wrapper>": value} and validate
 * the value as the wrapper says:
 *
 *   wrapper          value    *out                            parent
 *   target_group     object   lb_target_group_t * (members,   balancer
 *                             monitor)
 *   member           object   lb_target_t *                   group
 *   members          array    lb_target_t * array of *n       group
 *                             (NULL when 0)
 *   health_monitor   object   lb_health_monitor_t *           group
 *   load_balancer    object   lb_load_balancer_t *            -
 *   listener         object   lb_listener_t *                 balancer
 *
 * parent (may be NULL): the running lb_load_balancer_t or
 * lb_target_group_t the object goes into, read only; with it the rules
 * that look at the parent apply as in the file (a listener's protocol for
 * the balancer type and its address, a health check type for the group
 * protocol, the default persistence_granularity for the balancer's
 * address family). It must be valid (it was read from the file).
 *
 * with the same defaults as the YAML file. Only JSON is accepted (no
 * YAML syntax: comments, anchors, aliases, tags, plain or single-quoted
 * strings, trailing commas, several documents), strings must not contain
 * U+0000, nesting is at most LB_CONF_JSON_DEPTH, and len at most max (else
 * 413). The rules of one object are checked (SPEC.md 1-7) and the members
 * of one body must differ in address and port; the rules between the
 * object and its siblings or the listeners (unique names and addresses,
 * listener -> group protocols, sticky types per listener, DSR) are the
 * caller's.
 *
 * Returns LB_OK with *out (and *n: the array's length, 1 otherwise),
 * allocated from pool; or LB_ERROR with the first problem found in *err.
 * n may be NULL for wrappers other than members. An unknown wrapper name
 * is a bug: it aborts. */
lb_int_t lb_conf_json_parse(lb_pool_t *pool, const char *wrapper,
    const void *parent, const u_char *body, size_t len, size_t max,
    void **out, uint32_t *n, lb_conf_json_error_t *err);

#endif /* LB_CONF_JSON_H */
