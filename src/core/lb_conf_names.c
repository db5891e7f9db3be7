/* weir: name tables of the configuration enumerations, generated from the
 * X-macros of lb_conf_types.h so that names and values cannot drift. */
#include "lb_conf_types.h"

#define LB_CONF_NAME(n, s)  s,

const char *const  lb_balancer_type_names[] = {
    LB_BALANCER_TYPES(LB_CONF_NAME) NULL
};

const char *const  lb_listener_proto_names[] = {
    LB_LISTENER_PROTOCOLS(LB_CONF_NAME) NULL
};

const char *const  lb_tg_proto_names[] = {
    LB_TG_PROTOCOLS(LB_CONF_NAME) NULL
};

const char *const  lb_algorithm_names[] = {
    LB_ALGORITHMS(LB_CONF_NAME) NULL
};

const char *const  lb_persistence_names[] = {
    LB_PERSISTENCE_TYPES(LB_CONF_NAME) NULL
};

const char *const  lb_check_type_names[] = {
    LB_CHECK_TYPES(LB_CONF_NAME) NULL
};

const char *const  lb_http_method_names[] = {
    LB_HTTP_METHODS(LB_CONF_NAME) NULL
};

const char *const  lb_tls_version_names[] = {
    LB_TLS_VERSIONS(LB_CONF_NAME) NULL
};

/* in lb_alpn_e order: the protocol ids of RFC 7301 */
const char *const  lb_alpn_names[] = {
    "h2", "http/1.1", NULL
};

const char *const  lb_xff_mode_names[] = {
    LB_XFF_MODES(LB_CONF_NAME) NULL
};

const char *const  lb_l7_action_names[] = {
    LB_L7_ACTIONS(LB_CONF_NAME) NULL
};

const char *const  lb_l7_rule_type_names[] = {
    LB_L7_RULE_TYPES(LB_CONF_NAME) NULL
};

const char *const  lb_l7_compare_names[] = {
    LB_L7_COMPARE_TYPES(LB_CONF_NAME) NULL
};
