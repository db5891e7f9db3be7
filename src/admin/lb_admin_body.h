/* weir: the admin API's request bodies as JSON text (lb_admin_body.c):
 * a body {"wrapper": {"key": value, ...}} split into its pairs without
 * recursion, and a PUT's pairs laid over the current fields of an object
 * (written here as a body would give them), so that the schema judges
 * the whole object (lb_conf_json_parse()). The syntax of a body is
 * judged before by lb_conf_json_parse(): these functions expect valid
 * JSON and only look at its shape. */
#ifndef LB_ADMIN_BODY_H
#define LB_ADMIN_BODY_H

#include "lb_admin_json.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"

#define LB_ADMIN_PAIRS  64      /* fields of one body's object */

/* one "key": value of the body's object, spans into the body */
typedef struct {
    const u_char        *key;
    size_t               key_len;     /* 0: taken out */
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

/* Split p[0..len) (valid JSON) into *b, spans into p. false when it is
 * not one object holding one object of at most LB_ADMIN_PAIRS fields. */
bool lb_admin_body_split(const u_char *p, size_t len, lb_admin_body_t *b);

/* The pair of key, or NULL. */
lb_admin_pair_t *lb_admin_body_pair(const lb_admin_body_t *b,
    const char *key);

/* {"wrapper": {pairs of base not in b, then b's pairs (those not taken
 * out)}} from pool, NUL-terminated, its length in *len. A pair of b whose
 * value is null leaves the field out: it takes its default, as when left
 * out of the file ("session_persistence": null turns sticky sessions
 * off). base: a document
 * {"wrapper": {...}} written by the functions below, or empty. NULL when
 * out of memory. */
u_char *lb_admin_body_merge(lb_pool_t *pool, const char *wrapper,
    const lb_admin_buf_t *base, const lb_admin_body_t *b, size_t *len);

/* The fields of an object a PUT may keep, as {"wrapper": {...}} in buf
 * (buf->nomem on failure). */
void lb_admin_body_group(lb_admin_buf_t *buf, const lb_target_group_t *g);
void lb_admin_body_member(lb_admin_buf_t *buf, const lb_target_t *t);
void lb_admin_body_monitor(lb_admin_buf_t *buf,
    const lb_health_monitor_t *hm);
void lb_admin_body_listener(lb_admin_buf_t *buf, const lb_listener_t *l);
void lb_admin_body_balancer(lb_admin_buf_t *buf,
    const lb_load_balancer_t *b);

#endif /* LB_ADMIN_BODY_H */
