/* weir: the L7 policies of HTTP and HTTPS listeners in the configuration
 * (SPEC.md section 11): the schema tables, the rule between objects, and
 * the one way a rule's regular expression is compiled (lb_conf_l7.c). */
#ifndef LB_CONF_L7_H
#define LB_CONF_L7_H

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "lb_conf_schema.h"

#define LB_CONF_L7_MAX_RULES  50

extern const lb_conf_object_t  lb_conf_l7_policy_object;
extern const lb_conf_object_t  lb_conf_l7_rule_object;

/* Compile a rule's REGEX value with the options the data path uses
 * (UTF-8; caseless for HOST_NAME rules, as host names compare).
 * Returns the code (the caller frees it with pcre2_code_free()), or NULL
 * with "invalid regular expression at offset N: PCRE2's message" in err
 * (size bytes; err may be NULL). */
pcre2_code *lb_conf_l7_regex(const char *value, bool caseless, char *err,
    size_t size);

/* The policies of the listener lobj of balancer bobj: a REDIRECT_TO_POOL
 * group exists in the balancer and speaks a protocol the listener allows
 * (SPEC.md section 2); resolves redirect_target_group and sets index. */
void lb_conf_check_l7(lb_conf_cx_t *cx, lb_conf_obj_t *bobj,
    lb_conf_obj_t *lobj);

#endif /* LB_CONF_L7_H */
