/* weir: the configuration schema of SPEC.md sections 1-7 and 9: one field
 * table per object, and next to each table the defaults computed from
 * other fields and the rule function for rules between the fields of that
 * object. The checks of single values are in lb_conf_value.c; rules
 * between objects (names, references, protocol pairs, DSR) in
 * lb_conf_check.c. */
#include <stdio.h>
#include <string.h>

#include "lb_conf_l7.h"
#include "lb_conf_schema.h"
#include "lb_conf_value.h"
#include "lb_log.h"
#include "lb_palloc.h"

/* the `only` column: the values of the field named by `depends` for
 * which a field may be written */
#define LB_CONF_ONLY_HTTP_LISTENER                                          \
    (LB_CONF_BIT(LB_LISTENER_HTTP) | LB_CONF_BIT(LB_LISTENER_HTTPS))
#define LB_CONF_ONLY_TLS_LISTENER                                           \
    (LB_CONF_BIT(LB_LISTENER_HTTPS) | LB_CONF_BIT(LB_LISTENER_TLS))
#define LB_CONF_ONLY_HTTP_CHECK                                             \
    (LB_CONF_BIT(LB_CHECK_HTTP) | LB_CONF_BIT(LB_CHECK_HTTPS))

#define LB_F(k, t, st, m)                                                   \
    .key = k, .type = t, .off = offsetof(st, m)

#define LB_F_ID(st)                                                         \
    { LB_F("id", LB_CONF_STRING, st, id), .min = 36, .max = 36,            \
      .allowed = LB_CONF_UUID_RULE, .check = lb_conf_check_uuid }

static void lb_conf_default_timeout(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
static void lb_conf_default_mask(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
static void lb_conf_default_monitor_port(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);

static void lb_conf_listener_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);
static void lb_conf_target_group_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);
static void lb_conf_health_monitor_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);
static void lb_conf_member_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);
static void lb_conf_check_ip_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);
static void lb_conf_admin_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);
static void lb_conf_peers_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);


/* SPEC.md section 1 */
const unsigned  lb_conf_balancer_listeners[] = {
    [LB_BALANCER_ALB] = LB_CONF_BIT(LB_LISTENER_HTTP)
                        | LB_CONF_BIT(LB_LISTENER_HTTPS),
    [LB_BALANCER_NLB] = LB_CONF_BIT(LB_LISTENER_TCP)
                        | LB_CONF_BIT(LB_LISTENER_TLS)
                        | LB_CONF_BIT(LB_LISTENER_UDP),
    [LB_BALANCER_NLB_L4_DSR] = LB_CONF_BIT(LB_LISTENER_TCP)
                               | LB_CONF_BIT(LB_LISTENER_UDP),
};

/* SPEC.md section 2 */
const unsigned  lb_conf_listener_groups[] = {
    [LB_LISTENER_HTTP] = LB_CONF_BIT(LB_TG_HTTP) | LB_CONF_BIT(LB_TG_PROXY),
    [LB_LISTENER_HTTPS] = LB_CONF_BIT(LB_TG_HTTP) | LB_CONF_BIT(LB_TG_HTTPS),
    [LB_LISTENER_TCP] = LB_CONF_BIT(LB_TG_TCP) | LB_CONF_BIT(LB_TG_HTTP)
                        | LB_CONF_BIT(LB_TG_HTTPS) | LB_CONF_BIT(LB_TG_PROXY),
    [LB_LISTENER_TLS] = LB_CONF_BIT(LB_TG_TCP),
    [LB_LISTENER_UDP] = LB_CONF_BIT(LB_TG_UDP),
};

/* SPEC.md sections 2 and 9: a DSR balancer forwards packets unchanged */
const unsigned  lb_conf_dsr_listener_groups[] = {
    [LB_LISTENER_HTTP] = 0,
    [LB_LISTENER_HTTPS] = 0,
    [LB_LISTENER_TCP] = LB_CONF_BIT(LB_TG_TCP),
    [LB_LISTENER_TLS] = 0,
    [LB_LISTENER_UDP] = LB_CONF_BIT(LB_TG_UDP),
};

/* SPEC.md section 5: [group protocol][listener protocol] */
const unsigned  lb_conf_sticky_types[][5] = {
    [LB_TG_HTTP] = {
        [LB_LISTENER_HTTP] = LB_CONF_BIT(LB_PERSIST_HTTP_COOKIE)
                             | LB_CONF_BIT(LB_PERSIST_APP_COOKIE),
    },
    [LB_TG_HTTPS] = { 0 },
    [LB_TG_TCP] = {
        [LB_LISTENER_TCP] = LB_CONF_BIT(LB_PERSIST_SOURCE_IP),
    },
    [LB_TG_UDP] = {
        [LB_LISTENER_UDP] = LB_CONF_BIT(LB_PERSIST_SOURCE_IP),
    },
    [LB_TG_PROXY] = { 0 },
};

/* SPEC.md section 6; HTTPS is our decision: HTTPS, TCP, PING */
const unsigned  lb_conf_group_checks[] = {
    [LB_TG_HTTP] = LB_CONF_BIT(LB_CHECK_HTTP) | LB_CONF_BIT(LB_CHECK_PING),
    [LB_TG_HTTPS] = LB_CONF_BIT(LB_CHECK_HTTPS) | LB_CONF_BIT(LB_CHECK_TCP)
                    | LB_CONF_BIT(LB_CHECK_PING),
    [LB_TG_TCP] = LB_CONF_BIT(LB_CHECK_PING) | LB_CONF_BIT(LB_CHECK_TCP),
    [LB_TG_UDP] = LB_CONF_BIT(LB_CHECK_TCP) | LB_CONF_BIT(LB_CHECK_HTTP),
    [LB_TG_PROXY] = LB_CONF_BIT(LB_CHECK_PING) | LB_CONF_BIT(LB_CHECK_TCP),
};

/* log_level: the levels SPEC.md offers, stored as lb_log_level_e */
static const char *const  lb_conf_log_level_names[] = {
    "debug", "info", "notice", "warn", "error", NULL
};

static const int  lb_conf_log_level_values[] = {
    LB_LOG_DEBUG, LB_LOG_INFO, LB_LOG_NOTICE, LB_LOG_WARN, LB_LOG_ERR
};


static const lb_conf_field_t  lb_conf_admin_fields[] = {
    { LB_F("listen", LB_CONF_STRING, lb_admin_conf_t, listen),
      .def_str = "127.0.0.1:9090", .max = 64,
      .allowed = LB_CONF_LISTEN_RULE,
      .check = lb_conf_check_listen },
    { LB_F("token_file", LB_CONF_STRING, lb_admin_conf_t, token_file),
      .required = 1, .max = 4095, .allowed = "a file path" },
    /* TLS on the admin listener: both or neither (lb_conf_admin_rule();
     * the files are loaded by lb_admin_init_conf(), weir -t included) */
    { LB_F("certificate", LB_CONF_STRING, lb_admin_conf_t, certificate),
      .max = 4095, .allowed = "a file path (PEM certificate chain)" },
    { LB_F("key", LB_CONF_STRING, lb_admin_conf_t, key),
      .max = 4095, .allowed = "a file path (PEM private key)" },
    /* GET /metrics without X-Auth-Token (a scraper without the token);
     * every other route still needs it */
    { LB_F("metrics_public", LB_CONF_BOOL, lb_admin_conf_t, metrics_public),
      .has_def = 1, .def = 0 },
    { NULL }
};

const lb_conf_object_t  lb_conf_admin_object = {
    "admin", sizeof(lb_admin_conf_t), lb_conf_admin_fields, NULL,
    lb_conf_admin_rule, offsetof(lb_admin_conf_t, pos)
};


/* SPEC.md section 12 */
static const lb_conf_field_t  lb_conf_peer_node_fields[] = {
    { LB_F("name", LB_CONF_STRING, lb_peer_node_t, name),
      .required = 1, .min = 1, .max = 63, .allowed = LB_CONF_NAME_RULE,
      .check = lb_conf_check_name },
    { LB_F("address", LB_CONF_STRING, lb_peer_node_t, address),
      .required = 1, .max = 64, .allowed = LB_CONF_LISTEN_RULE,
      .check = lb_conf_check_peer_address },
    { NULL }
};

const lb_conf_object_t  lb_conf_peer_node_object = {
    "peer node", sizeof(lb_peer_node_t), lb_conf_peer_node_fields, "name",
    NULL, offsetof(lb_peer_node_t, pos)
};


/* the files are loaded by lb_peers_init_conf(), weir -t included */
static const lb_conf_field_t  lb_conf_peers_tls_fields[] = {
    { LB_F("certificate", LB_CONF_STRING, lb_peers_tls_t, certificate),
      .required = 1, .max = 4095,
      .allowed = "a file path (PEM certificate chain of this node)" },
    { LB_F("key", LB_CONF_STRING, lb_peers_tls_t, key),
      .required = 1, .max = 4095, .allowed = "a file path (PEM private key)" },
    { LB_F("ca", LB_CONF_STRING, lb_peers_tls_t, ca),
      .required = 1, .max = 4095,
      .allowed = "a file path (PEM CA certificates the peers' chain to)" },
    { NULL }
};

const lb_conf_object_t  lb_conf_peers_tls_object = {
    "peers tls", sizeof(lb_peers_tls_t), lb_conf_peers_tls_fields, NULL,
    NULL, offsetof(lb_peers_tls_t, pos)
};


static const lb_conf_field_t  lb_conf_peers_fields[] = {
    { LB_F("local", LB_CONF_STRING, lb_peers_conf_t, local),
      .required = 1, .min = 1, .max = 63,
      .allowed = "the name of one of peers.nodes" },
    { LB_F("vip", LB_CONF_STRING, lb_peers_conf_t, vip),
      .max = 64, .allowed = "an IP address", .check = lb_conf_check_vip },
    /* written by the admin API (SPEC.md section 12), as the file is */
    { LB_F("config_version", LB_CONF_UINT, lb_peers_conf_t, config_version),
      .min = 0, .max = 4294967295LL, .has_def = 1, .def = 0 },
    { LB_F("nodes", LB_CONF_LIST, lb_peers_conf_t, nodes),
      .required = 1,
      .count_off = offsetof(lb_peers_conf_t, nnodes),
      .object = &lb_conf_peer_node_object },
    /* mutual TLS on the sync link; left out: plain TCP */
    { LB_F("tls", LB_CONF_OBJECT, lb_peers_conf_t, tls),
      .object = &lb_conf_peers_tls_object },
    { NULL }
};

const lb_conf_object_t  lb_conf_peers_object = {
    "peers", sizeof(lb_peers_conf_t), lb_conf_peers_fields, NULL,
    lb_conf_peers_rule, offsetof(lb_peers_conf_t, pos)
};


static const lb_conf_field_t  lb_conf_headers_fields[] = {
    { LB_F("X-Forwarded-For", LB_CONF_ENUM, lb_listener_t, x_forwarded_for),
      .names = lb_xff_mode_names, .has_def = 1, .def = LB_XFF_TRUE },
    { LB_F("X-Forwarded-Proto", LB_CONF_BOOL, lb_listener_t,
           x_forwarded_proto),
      .has_def = 1, .def = 0 },
    { LB_F("X-Forwarded-Port", LB_CONF_BOOL, lb_listener_t, x_forwarded_port),
      .has_def = 1, .def = 0 },
    { NULL }
};

static const lb_conf_object_t  lb_conf_headers_object = {
    "insert_headers", sizeof(lb_listener_t), lb_conf_headers_fields, NULL,
    NULL, LB_CONF_NO_POS
};


static const lb_conf_field_t  lb_conf_sni_fields[] = {
    { LB_F("tls_certificate", LB_CONF_STRING, lb_tls_cert_t, certificate),
      .required = 1, .max = 4095, .allowed = "a file path" },
    { LB_F("tls_key", LB_CONF_STRING, lb_tls_cert_t, key),
      .required = 1, .max = 4095, .allowed = "a file path" },
    { NULL }
};

static const lb_conf_object_t  lb_conf_sni_object = {
    "SNI certificate", sizeof(lb_tls_cert_t), lb_conf_sni_fields, NULL, NULL,
    LB_CONF_NO_POS
};


static const lb_conf_field_t  lb_conf_listener_fields[] = {
    LB_F_ID(lb_listener_t),
    { LB_F("name", LB_CONF_STRING, lb_listener_t, name),
      .required = 1, .max = 255, .allowed = LB_CONF_LABEL_RULE,
      .check = lb_conf_check_label },
    { LB_F("protocol", LB_CONF_ENUM, lb_listener_t, protocol),
      .required = 1, .names = lb_listener_proto_names,
      .only_fmt = "only on %s listeners" },
    { LB_F("protocol_port", LB_CONF_UINT, lb_listener_t, protocol_port),
      .required = 1, .min = 1, .max = 65535 },
    { LB_F("target_group", LB_CONF_STRING, lb_listener_t, target_group_name),
      .max = 250, .allowed = "the name of a target group of this load "
      "balancer", .live = 1 },
    { .key = "insert_headers", .type = LB_CONF_INLINE, .off = 0,
      .object = &lb_conf_headers_object,
      .depends = "protocol", .only = LB_CONF_ONLY_HTTP_LISTENER },
    { LB_F("timeout_client_data", LB_CONF_UINT, lb_listener_t,
           timeout_client_data),
      .min = 1000, .max = 4000000, .unit = "ms", .has_def = 1, .def = 50000 },
    /* weir's: the whole request head must arrive within it (slowloris) */
    { LB_F("timeout_client_header", LB_CONF_UINT, lb_listener_t,
           timeout_client_header),
      .min = 1000, .max = 4000000, .unit = "ms", .has_def = 1, .def = 10000,
      .depends = "protocol", .only = LB_CONF_ONLY_HTTP_LISTENER },
    /* weir's: a TLS listener's client must finish its handshake within
     * it; the client holds a connection_limit slot and an SSL object
     * meanwhile (HTTPS listeners count theirs in timeout_client_header) */
    { LB_F("timeout_client_handshake", LB_CONF_UINT, lb_listener_t,
           timeout_client_handshake),
      .min = 1000, .max = 4000000, .unit = "ms", .has_def = 1, .def = 10000,
      .depends = "protocol", .only = LB_CONF_BIT(LB_LISTENER_TLS) },
    /* Octavia's names and defaults */
    { LB_F("timeout_member_connect", LB_CONF_UINT, lb_listener_t,
           timeout_member_connect),
      .min = 1000, .max = 4000000, .unit = "ms", .has_def = 1, .def = 5000 },
    { LB_F("timeout_member_data", LB_CONF_UINT, lb_listener_t,
           timeout_member_data),
      .min = 1000, .max = 4000000, .unit = "ms", .has_def = 1, .def = 50000 },
    { LB_F("connection_limit", LB_CONF_INT, lb_listener_t, connection_limit),
      .min = -1, .max = 1000000, .has_def = 1, .def = -1,
      .allowed = "-1 (unlimited) or 1..1000000",
      .check = lb_conf_check_limit },
    /* weir's: the UDP sessions one client address may hold in a worker
     * (whatever its source ports): a client cycling ports replaces its
     * own oldest session instead of pushing others out of the table */
    { LB_F("sessions_per_client", LB_CONF_UINT, lb_listener_t,
           sessions_per_client),
      .min = 1, .max = 1024, .has_def = 1, .def = 64,
      .depends = "protocol", .only = LB_CONF_BIT(LB_LISTENER_UDP) },
    { LB_F("tls_certificate", LB_CONF_STRING, lb_listener_t, tls.certificate),
      .required = 1, .max = 4095, .allowed = "a file path",
      .depends = "protocol", .only = LB_CONF_ONLY_TLS_LISTENER },
    { LB_F("tls_key", LB_CONF_STRING, lb_listener_t, tls.key),
      .required = 1, .max = 4095, .allowed = "a file path",
      .depends = "protocol", .only = LB_CONF_ONLY_TLS_LISTENER },
    { LB_F("sni_certificates", LB_CONF_LIST, lb_listener_t, sni_certificates),
      .count_off = offsetof(lb_listener_t, nsni_certificates),
      .object = &lb_conf_sni_object,
      .depends = "protocol", .only = LB_CONF_ONLY_TLS_LISTENER },
    /* SPEC 13: the protocols offered by ALPN, weir's preference first;
     * not written: h2, then http/1.1 */
    { LB_F("alpn_protocols", LB_CONF_NAMES, lb_listener_t, alpn),
      .count_off = offsetof(lb_listener_t, nalpn), .min = 1,
      .max = LB_ALPN_MAX, .names = lb_alpn_names, .has_def = 1,
      .def = LB_CONF_BIT(LB_ALPN_H2) | LB_CONF_BIT(LB_ALPN_HTTP11),
      .depends = "protocol", .only = LB_CONF_BIT(LB_LISTENER_HTTPS) },
    { LB_F("tls_min_version", LB_CONF_ENUM, lb_listener_t, tls_min_version),
      .names = lb_tls_version_names, .has_def = 1, .def = LB_TLSv1_2,
      .depends = "protocol", .only = LB_CONF_ONLY_TLS_LISTENER },
    /* an OpenSSL cipher list for TLS 1.2 and older (TLS 1.3 suites are
     * OpenSSL's); unset: ECDHE with AEAD only (lb_event_openssl.c) */
    { LB_F("tls_ciphers", LB_CONF_STRING, lb_listener_t, tls_ciphers),
      .max = 1024, .allowed = "an OpenSSL cipher list",
      .depends = "protocol", .only = LB_CONF_ONLY_TLS_LISTENER },
    /* the TLS 1.3 suites, in the server's order of preference; unset:
     * OpenSSL's default (all but the CCM ones) */
    { LB_F("tls_ciphersuites", LB_CONF_STRING, lb_listener_t,
           tls_ciphersuites),
      .max = 1024, .allowed = LB_CONF_SUITES_RULE,
      .check = lb_conf_check_suites,
      .depends = "protocol", .only = LB_CONF_ONLY_TLS_LISTENER },
    /* a DER OCSP response for tls_certificate, stapled for clients that
     * ask (nginx's ssl_stapling_file); checked and loaded by the master
     * at start and reload (lb_event_openssl.c) */
    { LB_F("tls_ocsp_response", LB_CONF_STRING, lb_listener_t,
           tls_ocsp_response),
      .max = 4095, .allowed = "a file path",
      .depends = "protocol", .only = LB_CONF_ONLY_TLS_LISTENER },
    /* SPEC.md section 11 (lb_conf_l7.c); applied live like the groups */
    { LB_F("l7_policies", LB_CONF_LIST, lb_listener_t, l7_policies),
      .count_off = offsetof(lb_listener_t, nl7_policies),
      .object = &lb_conf_l7_policy_object, .live = 1,
      .depends = "protocol", .only = LB_CONF_ONLY_HTTP_LISTENER },
    { NULL }
};

const lb_conf_object_t  lb_conf_listener_object = {
    "listener", sizeof(lb_listener_t), lb_conf_listener_fields, "name",
    lb_conf_listener_rule, offsetof(lb_listener_t, pos)
};


static const lb_conf_field_t  lb_conf_persistence_fields[] = {
    { LB_F("type", LB_CONF_ENUM, lb_persistence_t, type),
      .required = 1, .names = lb_persistence_names,
      .only_fmt = "only with type %s" },
    { LB_F("persistence_timeout", LB_CONF_SECONDS, lb_persistence_t,
           persistence_timeout),
      .min = 1, .max = 604800,
      .def_fn = lb_conf_default_timeout,
      .def_doc = "3600 with type HTTP_COOKIE, else 360" },
    { LB_F("cookie_name", LB_CONF_STRING, lb_persistence_t, cookie_name),
      .required = 1, .max = 255, .allowed = LB_CONF_COOKIE_RULE,
      .check = lb_conf_check_cookie,
      .depends = "type", .only = LB_CONF_BIT(LB_PERSIST_APP_COOKIE) },
    { LB_F("persistence_granularity", LB_CONF_STRING, lb_persistence_t,
           persistence_granularity),
      .max = 64, .allowed = LB_CONF_MASK_RULE,
      .def_fn = lb_conf_default_mask, .check = lb_conf_check_mask,
      .def_doc = "the host mask of the load balancer's address family "
      "(255.255.255.255 or ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff)",
      .depends = "type", .only = LB_CONF_BIT(LB_PERSIST_SOURCE_IP) },
    { NULL }
};

const lb_conf_object_t  lb_conf_persistence_object = {
    "session_persistence", sizeof(lb_persistence_t),
    lb_conf_persistence_fields, NULL, NULL, offsetof(lb_persistence_t, pos)
};


static const lb_conf_field_t  lb_conf_health_monitor_fields[] = {
    LB_F_ID(lb_health_monitor_t),
    { LB_F("type", LB_CONF_ENUM, lb_health_monitor_t, type),
      .required = 1, .names = lb_check_type_names,
      .only_fmt = "only for %s health checks", .check_identity = 1 },
    /* delay and the thresholds change when and how often a target is
     * checked, not what its check is: no check_identity */
    { LB_F("delay", LB_CONF_SECONDS, lb_health_monitor_t, delay),
      .min = 1, .max = 3600, .has_def = 1, .def = 30 },
    { LB_F("timeout", LB_CONF_SECONDS, lb_health_monitor_t, timeout),
      .min = 1, .max = 900, .has_def = 1, .def = 5, .check_identity = 1 },
    { LB_F("max_retries", LB_CONF_UINT, lb_health_monitor_t, max_retries),
      .min = 1, .max = 10, .has_def = 1, .def = 5 },
    { LB_F("max_retries_down", LB_CONF_UINT, lb_health_monitor_t,
           max_retries_down),
      .min = 1, .max = 10, .has_def = 1, .def = 2 },
    { LB_F("http_method", LB_CONF_ENUM, lb_health_monitor_t, http_method),
      .names = lb_http_method_names, .has_def = 1, .def = LB_METHOD_GET,
      .depends = "type", .only = LB_CONF_ONLY_HTTP_CHECK,
      .check_identity = 1 },
    { LB_F("http_version", LB_CONF_STRING, lb_health_monitor_t, http_version),
      .def_str = "1.1", .allowed = "1.0, 1.1",
      .check = lb_conf_check_version,
      .depends = "type", .only = LB_CONF_ONLY_HTTP_CHECK,
      .check_identity = 1 },
    { LB_F("url_path", LB_CONF_STRING, lb_health_monitor_t, url_path),
      .max = 121, .def_str = "/", .allowed = LB_CONF_URL_RULE,
      .check = lb_conf_check_url,
      .depends = "type", .only = LB_CONF_ONLY_HTTP_CHECK,
      .check_identity = 1 },
    { LB_F("expected_codes", LB_CONF_STRING, lb_health_monitor_t,
           expected_codes),
      .max = 4095, .def_str = "200", .allowed = LB_CONF_CODES_RULE,
      .check = lb_conf_check_codes,
      .depends = "type", .only = LB_CONF_ONLY_HTTP_CHECK,
      .check_identity = 1 },
    { NULL }
};

const lb_conf_object_t  lb_conf_health_monitor_object = {
    "health_monitor", sizeof(lb_health_monitor_t),
    lb_conf_health_monitor_fields, NULL, lb_conf_health_monitor_rule,
    offsetof(lb_health_monitor_t, pos)
};


static const lb_conf_field_t  lb_conf_member_fields[] = {
    LB_F_ID(lb_target_t),
    { LB_F("name", LB_CONF_STRING, lb_target_t, name),
      .max = 255, .allowed = LB_CONF_LABEL_RULE,
      .check = lb_conf_check_label },
    { LB_F("address", LB_CONF_STRING, lb_target_t, address),
      .required = 1, .max = 64, .check = lb_conf_check_ip,
      .allowed = "an IPv4 or IPv6 address" },
    { LB_F("protocol_port", LB_CONF_UINT, lb_target_t, protocol_port),
      .required = 1, .min = 1, .max = 65535 },
    { LB_F("weight", LB_CONF_UINT, lb_target_t, weight),
      .min = 0, .max = 256, .has_def = 1, .def = 1 },
    { LB_F("monitor_port", LB_CONF_UINT, lb_target_t, monitor_port),
      .min = 1, .max = 65535, .def_fn = lb_conf_default_monitor_port,
      .def_doc = "the member's protocol_port",
      .check_identity = 1 },
    { LB_F("subnet_id", LB_CONF_STRING, lb_target_t, subnet_id), .max = 255 },
    { LB_F("instance_id", LB_CONF_STRING, lb_target_t, instance_id),
      .max = 255 },
    { LB_F("instance_name", LB_CONF_STRING, lb_target_t, instance_name),
      .max = 255 },
    { NULL }
};

const lb_conf_object_t  lb_conf_member_object = {
    "member", sizeof(lb_target_t), lb_conf_member_fields, "name",
    lb_conf_member_rule, offsetof(lb_target_t, pos)
};


static const lb_conf_field_t  lb_conf_target_group_fields[] = {
    LB_F_ID(lb_target_group_t),
    { LB_F("name", LB_CONF_STRING, lb_target_group_t, name),
      .required = 1, .min = 4, .max = 250, .allowed = LB_CONF_NAME_RULE,
      .check = lb_conf_check_name },
    { LB_F("protocol", LB_CONF_ENUM, lb_target_group_t, protocol),
      .required = 1, .names = lb_tg_proto_names,
      .only_fmt = "only in %s target groups" },
    { LB_F("load_balancer_algorithm", LB_CONF_ENUM, lb_target_group_t,
           load_balancer_algorithm),
      .names = lb_algorithm_names, .has_def = 1,
      .def = LB_ALGO_ROUND_ROBIN },
    { LB_F("proxy_protocol_version", LB_CONF_UINT, lb_target_group_t,
           proxy_protocol_version),
      .min = 1, .max = 2, .has_def = 1, .def = 1,
      .depends = "protocol", .only = LB_CONF_BIT(LB_TG_PROXY) },
    /* SPEC 13: h2 to the targets (ALPN over TLS, prior-knowledge h2c
     * over TCP); one value, fixed after creation (lb_admin_write.c) */
    { LB_F("alpn_protocols", LB_CONF_NAMES, lb_target_group_t, alpn),
      .count_off = offsetof(lb_target_group_t, nalpn),
      .names = lb_alpn_names, .min = 1, .max = 1, .has_def = 1,
      .def = LB_CONF_BIT(LB_ALPN_HTTP11),
      .depends = "protocol",
      .only = LB_CONF_BIT(LB_TG_HTTP) | LB_CONF_BIT(LB_TG_HTTPS) },
    { LB_F("session_persistence", LB_CONF_OBJECT, lb_target_group_t,
           session_persistence),
      .object = &lb_conf_persistence_object },
    { LB_F("health_monitor", LB_CONF_OBJECT, lb_target_group_t,
           health_monitor),
      .object = &lb_conf_health_monitor_object },
    /* weir's (nginx's proxy_ssl_verify, proxy_ssl_trusted_certificate,
     * proxy_ssl_name): off by default, so that targets with self-made
     * certificates keep working; when on, a target whose certificate
     * does not chain to tls_ca_certificate or does not name
     * tls_verify_name (default: the target's address, which must then be
     * an IP SAN) fails its connection and its HTTPS health check */
    { LB_F("tls_verify", LB_CONF_BOOL, lb_target_group_t, tls_verify),
      .has_def = 1, .def = 0,
      .depends = "protocol", .only = LB_CONF_BIT(LB_TG_HTTPS) },
    { LB_F("tls_ca_certificate", LB_CONF_STRING, lb_target_group_t,
           tls_ca_certificate),
      .max = 4095, .allowed = "a file path (PEM CA certificates)",
      .depends = "protocol", .only = LB_CONF_BIT(LB_TG_HTTPS) },
    { LB_F("tls_verify_name", LB_CONF_STRING, lb_target_group_t,
           tls_verify_name),
      .max = 253, .allowed = "a DNS name: 1..253 printable ASCII "
      "characters without spaces", .check = lb_conf_check_label,
      .depends = "protocol", .only = LB_CONF_BIT(LB_TG_HTTPS) },
    { LB_F("members", LB_CONF_LIST, lb_target_group_t, targets),
      .count_off = offsetof(lb_target_group_t, ntargets),
      .object = &lb_conf_member_object },
    { NULL }
};

const lb_conf_object_t  lb_conf_target_group_object = {
    "target group", sizeof(lb_target_group_t), lb_conf_target_group_fields,
    "name", lb_conf_target_group_rule, offsetof(lb_target_group_t, pos)
};


static const lb_conf_field_t  lb_conf_check_ip_fields[] = {
    { LB_F("subnet_id", LB_CONF_STRING, lb_health_check_ip_t, subnet_id),
      .max = 255 },
    { LB_F("address", LB_CONF_STRING, lb_health_check_ip_t, address),
      .required = 1, .max = 64, .check = lb_conf_check_ip,
      .allowed = "an IPv4 or IPv6 address" },
    { NULL }
};

static const lb_conf_object_t  lb_conf_check_ip_object = {
    "health check address", sizeof(lb_health_check_ip_t),
    lb_conf_check_ip_fields, NULL, lb_conf_check_ip_rule, LB_CONF_NO_POS
};


static const lb_conf_field_t  lb_conf_balancer_fields[] = {
    LB_F_ID(lb_load_balancer_t),
    { LB_F("name", LB_CONF_STRING, lb_load_balancer_t, name),
      .required = 1, .min = 4, .max = 250, .allowed = LB_CONF_NAME_RULE,
      .check = lb_conf_check_name },
    { LB_F("type", LB_CONF_ENUM, lb_load_balancer_t, type),
      .required = 1, .names = lb_balancer_type_names,
      .only_fmt = "only on %s load balancers" },
    { LB_F("address", LB_CONF_STRING, lb_load_balancer_t, address),
      .required = 1, .max = 64, .check = lb_conf_check_ip,
      .allowed = "an IPv4 or IPv6 address" },
    /* weir's: the listeners bind to the address also while no interface
     * has it (IP_FREEBIND), so that the standby of a keepalived pair
     * listens on the VIP before it arrives (contrib/keepalived/); as
     * HAProxy's "bind ... freebind". Off by default: a mistyped address
     * stays an error at start. Not for NLB_L4_DSR (no socket is bound to
     * its address) */
    { LB_F("freebind", LB_CONF_BOOL, lb_load_balancer_t, freebind),
      .has_def = 1, .def = 0, .depends = "type",
      .only = LB_CONF_BIT(LB_BALANCER_ALB) | LB_CONF_BIT(LB_BALANCER_NLB) },
    { LB_F("availability_zone", LB_CONF_STRING, lb_load_balancer_t,
           availability_zone),
      .max = 255 },
    { LB_F("vpc", LB_CONF_STRING, lb_load_balancer_t, vpc), .max = 255 },
    { LB_F("listeners", LB_CONF_LIST, lb_load_balancer_t, listeners),
      .count_off = offsetof(lb_load_balancer_t, nlisteners),
      .object = &lb_conf_listener_object },
    { LB_F("target_groups", LB_CONF_LIST, lb_load_balancer_t, target_groups),
      .count_off = offsetof(lb_load_balancer_t, ntarget_groups),
      .object = &lb_conf_target_group_object, .live = 1 },
    { LB_F("health_check_ips", LB_CONF_LIST, lb_load_balancer_t,
           health_check_ips),
      .count_off = offsetof(lb_load_balancer_t, nhealth_check_ips),
      .object = &lb_conf_check_ip_object },
    { NULL }
};

const lb_conf_object_t  lb_conf_balancer_object = {
    "load balancer", sizeof(lb_load_balancer_t), lb_conf_balancer_fields,
    "name", NULL, offsetof(lb_load_balancer_t, pos)
};


static const lb_conf_field_t  lb_conf_root_fields[] = {
    { LB_F("worker_processes", LB_CONF_UINT, lb_conf_t, worker_processes),
      .min = 1, .max = LB_CONF_MAX_WORKERS, .auto_name = "auto",
      .auto_off = offsetof(lb_conf_t, worker_processes_auto),
      .has_def = 1, .def = 0, .check = lb_conf_check_workers },
    { LB_F("daemon", LB_CONF_BOOL, lb_conf_t, daemon),
      .has_def = 1, .def = 1 },
    { LB_F("user", LB_CONF_STRING, lb_conf_t, user), .max = 255,
      .check = lb_conf_check_user },
    { LB_F("error_log", LB_CONF_STRING, lb_conf_t, error_log),
      .max = 4095, .allowed = "a file path or syslog[:OPTIONS]",
      .def_str = LB_ERROR_LOG_PATH, .check = lb_conf_check_log },
    { LB_F("log_level", LB_CONF_ENUM, lb_conf_t, log_level),
      .names = lb_conf_log_level_names, .values = lb_conf_log_level_values,
      .has_def = 1, .def = 1 /* info */ },
    { LB_F("pid_file", LB_CONF_STRING, lb_conf_t, pid_file),
      .max = 4095, .allowed = "a file path", .def_str = LB_PID_PATH },
    { LB_F("access_log", LB_CONF_STRING, lb_conf_t, access_log),
      .max = 4095, .allowed = "a file path or syslog[:OPTIONS]",
      .check = lb_conf_check_log },
    { LB_F("access_log_compress", LB_CONF_BOOL, lb_conf_t,
           access_log_compress),
      .has_def = 1, .def = 0, .check = lb_conf_check_log_compress },
    { LB_F("shutdown_timeout", LB_CONF_UINT, lb_conf_t, shutdown_timeout),
      .min = 0, .max = 3600000, .unit = "ms", .has_def = 1, .def = 30000 },
    /* weir's: every so often the master makes a new session ticket key
     * for all workers; tickets of the one before still resume (and get a
     * new ticket) for one more period, older ones do not */
    { LB_F("tls_ticket_key_rotation", LB_CONF_SECONDS, lb_conf_t,
           tls_ticket_key_rotation),
      .min = 1, .max = 86400, .has_def = 1, .def = 3600 },
    { LB_F("admin", LB_CONF_OBJECT, lb_conf_t, admin),
      .object = &lb_conf_admin_object },
    { LB_F("peers", LB_CONF_OBJECT, lb_conf_t, peers),
      .object = &lb_conf_peers_object },
    { LB_F("load_balancers", LB_CONF_LIST, lb_conf_t, balancers),
      .count_off = offsetof(lb_conf_t, nbalancers),
      .object = &lb_conf_balancer_object },
    { NULL }
};

const lb_conf_object_t  lb_conf_root_object = {
    "top-level", sizeof(lb_conf_t), lb_conf_root_fields, NULL, NULL,
    LB_CONF_NO_POS
};


static void
lb_conf_default_timeout(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_persistence_t  *sp;

    sp = obj->data;
    lb_conf_set_number(obj, f,
                       (sp->type == LB_PERSIST_HTTP_COOKIE) ? 3600 : 360);
}


/* the host mask of the balancer's address family */
static void
lb_conf_default_mask(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_sockaddr_t      sa;
    lb_conf_obj_t     *bobj;
    lb_load_balancer_t     *lb;
    lb_persistence_t  *sp;

    sp = obj->data;
    bobj = lb_conf_up(obj, 2);
    lb = (bobj != NULL && bobj->schema == &lb_conf_balancer_object)
         ? bobj->data : NULL;

    if (lb != NULL && lb->address != NULL
        && lb_conf_parse_ip(lb->address, &sa) == LB_OK
        && sa.sa.ss_family == AF_INET6)
    {
        sp->persistence_granularity = lb_pstrdup(cx->pool,
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    } else {
        sp->persistence_granularity = lb_pstrdup(cx->pool, "255.255.255.255");
    }

    if (sp->persistence_granularity == NULL) {
        cx->nomem = 1;
        sp->persistence_granularity = "255.255.255.255";
    }
}


static void
lb_conf_default_monitor_port(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_target_t  *t;

    t = obj->data;
    t->monitor_port = t->protocol_port;
}


/* the protocol fits the balancer type (SPEC.md section 1); the listening
 * address is the balancer's address with the listener's port */
static void
lb_conf_listener_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    unsigned        allowed;
    lb_listener_t  *l;
    lb_load_balancer_t  *lb;
    lb_conf_obj_t  *bobj;

    l = obj->data;
    bobj = lb_conf_up(obj, 1);

    if (bobj == NULL || bobj->schema != &lb_conf_balancer_object) {
        return;
    }

    lb = bobj->data;

    if (lb_conf_ok(bobj, "type") && lb_conf_ok(obj, "protocol")) {
        allowed = lb_conf_balancer_listeners[lb->type];

        if (!(allowed & LB_CONF_BIT(l->protocol))) {
            lb_conf_error(cx, obj, "protocol", "%s listeners are not "
                          "allowed on %s load balancers; allowed: %s",
                          lb_listener_proto_names[l->protocol],
                          lb_balancer_type_names[lb->type],
                          lb_conf_mask_names(cx->tmp, allowed,
                                             lb_listener_proto_names));
        }
    }

    if (lb_conf_ok(bobj, "address") && lb_conf_ok(obj, "protocol_port")
        && lb_conf_parse_ip(lb->address, &l->addr) == LB_OK)
    {
        lb_conf_sockaddr_set_port(&l->addr, l->protocol_port);
    }
}


/* SPEC.md section 3: no sticky sessions with SOURCE_IP */
static void
lb_conf_target_group_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    lb_target_group_t    *tg;

    tg = obj->data;

    if (lb_conf_ok(obj, "load_balancer_algorithm")
        && tg->load_balancer_algorithm == LB_ALGO_SOURCE_IP
        && lb_conf_written(obj, "session_persistence"))
    {
        lb_conf_error(cx, obj, "session_persistence", "sticky sessions "
                      "cannot be enabled with load_balancer_algorithm "
                      "SOURCE_IP, which already keeps each client on one "
                      "target; remove session_persistence or choose "
                      "ROUND_ROBIN or LEAST_CONNECTIONS");
    }

    /* the file itself is loaded with the TLS contexts (weir -t too) */
    if (lb_conf_ok(obj, "tls_verify") && tg->tls_verify
        && !lb_conf_written(obj, "tls_ca_certificate"))
    {
        lb_conf_error(cx, obj, "tls_verify", "tls_verify needs "
                      "tls_ca_certificate, the PEM file of the CAs that "
                      "sign the targets' certificates");
    }
}


/* SPEC.md section 6: the type fits the group protocol (the group is the
 * parent in the file, or the running group an API body is for); the
 * check must end before the next one starts */
static void
lb_conf_health_monitor_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    unsigned              allowed;
    lb_conf_obj_t        *gobj;
    lb_target_group_t    *tg;
    lb_health_monitor_t  *hm;

    hm = obj->data;
    gobj = lb_conf_up(obj, 1);

    if (gobj != NULL && gobj->schema == &lb_conf_target_group_object
        && lb_conf_ok(gobj, "protocol") && lb_conf_ok(obj, "type"))
    {
        tg = gobj->data;
        allowed = lb_conf_group_checks[tg->protocol];

        if (!(allowed & LB_CONF_BIT(hm->type))) {
            lb_conf_error(cx, obj, "type", "%s health checks are not "
                          "available for %s target groups; allowed: %s",
                          lb_check_type_names[hm->type],
                          lb_tg_proto_names[tg->protocol],
                          lb_conf_mask_names(cx->tmp, allowed,
                                             lb_check_type_names));
        }
    }

    if (!lb_conf_ok(obj, "delay") || !lb_conf_ok(obj, "timeout")
        || hm->delay > hm->timeout)
    {
        return;
    }

    /* in seconds, as written */
    if (lb_conf_written(obj, "timeout")) {
        lb_conf_error(cx, obj, "timeout", "timeout (%u) must be less than "
                      "delay (%u%s)", (unsigned) (hm->timeout / 1000),
                      (unsigned) (hm->delay / 1000),
                      lb_conf_written(obj, "delay") ? "" : ", the default");
    } else {
        lb_conf_error(cx, obj, "delay", "delay (%u) must be greater than "
                      "timeout (%u, the default)",
                      (unsigned) (hm->delay / 1000),
                      (unsigned) (hm->timeout / 1000));
    }
}


static void
lb_conf_member_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    lb_target_t  *t;

    t = obj->data;

    if (lb_conf_ok(obj, "address") && lb_conf_ok(obj, "protocol_port")
        && lb_conf_parse_ip(t->address, &t->addr) == LB_OK)
    {
        lb_conf_sockaddr_set_port(&t->addr, t->protocol_port);
    }
}


static void
lb_conf_check_ip_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    lb_health_check_ip_t  *ip;

    ip = obj->data;

    if (lb_conf_ok(obj, "address")
        && lb_conf_parse_ip(ip->address, &ip->addr) == LB_OK)
    {
        lb_conf_sockaddr_set_port(&ip->addr, 0);
    }
}


/* DESIGN.md, safety: certificate and key go together; the token would
 * cross the network in clear without TLS, so an admin.listen that is not
 * loopback needs both (token_file is always required) */
static void
lb_conf_admin_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    bool                        loopback, crt, key;
    const uint8_t              *a6;
    lb_admin_conf_t            *admin;
    const struct sockaddr_in   *sin;

    admin = obj->data;

    crt = lb_conf_written(obj, "certificate");
    key = lb_conf_written(obj, "key");

    if (crt && !key) {
        lb_conf_error(cx, obj, "key", "missing; required with "
                      "admin.certificate (both or neither)");

    } else if (key && !crt) {
        lb_conf_error(cx, obj, "certificate", "missing; required with "
                      "admin.key (both or neither)");
    }

    if (!lb_conf_ok(obj, "listen")) {
        return;
    }

    if (admin->addr.sa.ss_family == AF_INET) {
        sin = (const struct sockaddr_in *) &admin->addr.sa;
        loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;

    } else {
        a6 = ((const struct sockaddr_in6 *) &admin->addr.sa)
             ->sin6_addr.s6_addr;
        loopback = IN6_IS_ADDR_LOOPBACK((const struct in6_addr *) a6)
                   || (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *) a6)
                       && a6[12] == 127);
    }

    if (!loopback && !(crt && key)) {
        lb_conf_error(cx, obj, "listen", "%s is not a loopback address and "
                      "the admin listener has no TLS: its token would "
                      "cross the network in clear; allowed: an address of "
                      "127.0.0.0/8 or [::1], or admin.certificate and "
                      "admin.key with admin.token_file",
                      lb_conf_quote(cx, admin->listen));
    }
}


/* SPEC.md section 12: local names one of the nodes; names and addresses
 * differ; at most LB_CONF_MAX_PEERS nodes */
static void
lb_conf_peers_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    uint32_t          i, j;
    lb_peers_conf_t  *peers;

    peers = obj->data;

    if (!lb_conf_ok(obj, "nodes") || !lb_conf_ok(obj, "local")) {
        return;
    }

    if (peers->nnodes > LB_CONF_MAX_PEERS) {
        lb_conf_error(cx, obj, "nodes", "has %u nodes; allowed: at most %u",
                      peers->nnodes, LB_CONF_MAX_PEERS);
        return;
    }

    peers->local_index = UINT32_MAX;

    for (i = 0; i < peers->nnodes; i++) {
        if (peers->nodes[i].name == NULL || peers->nodes[i].address == NULL) {
            return;
        }

        if (strcmp(peers->nodes[i].name, peers->local) == 0) {
            peers->local_index = i;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(peers->nodes[i].name, peers->nodes[j].name) == 0) {
                lb_conf_error(cx, obj, "nodes", "node %u has the name %s "
                              "of node %u; allowed: a name per node",
                              i + 1, lb_conf_quote(cx, peers->nodes[i].name),
                              j + 1);
            }

            if (peers->nodes[i].addr.text[0] != '\0'
                && strcmp(peers->nodes[i].addr.text,
                          peers->nodes[j].addr.text) == 0)
            {
                lb_conf_error(cx, obj, "nodes", "node %u has the address %s "
                              "of node %u; allowed: an address per node",
                              i + 1,
                              lb_conf_quote(cx, peers->nodes[i].address),
                              j + 1);
            }
        }
    }

    if (peers->local_index == UINT32_MAX) {
        lb_conf_error(cx, obj, "local", "%s is not the name of a node of "
                      "peers.nodes", lb_conf_quote(cx, peers->local));
    }
}


const char *
lb_conf_mask_names(lb_pool_t *pool, unsigned mask, const char *const *names)
{
    char      *buf, *p;
    size_t     len;
    unsigned   i;

    len = 8;
    for (i = 0; names[i] != NULL; i++) {
        len += strlen(names[i]) + 2;
    }

    buf = lb_palloc(pool, len);
    if (buf == NULL) {
        return "";
    }

    p = buf;
    *p = '\0';

    for (i = 0; names[i] != NULL; i++) {
        if (mask & LB_CONF_BIT(i)) {
            p = stpcpy(p, p == buf ? "" : ", ");
            p = stpcpy(p, names[i]);
        }
    }

    if (p == buf) {
        strcpy(buf, "none");
    }

    return buf;
}
