/* weir: the object model of SPEC.md section 1, as the config parser fills
 * it. A running cycle's configuration is read-only. Enumerations are
 * X-macros so that names (YAML, JSON, logs) and values cannot drift.
 * Ranges, defaults and when a field is allowed are in the field tables of
 * lb_conf_schema.c, not here; a comment here says what a member means. */
#ifndef LB_CONF_TYPES_H
#define LB_CONF_TYPES_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "lb_core_types.h"

#define LB_BALANCER_TYPES(X)          \
    X(ALB,          "ALB")            \
    X(NLB,          "NLB")            \
    X(NLB_L4_DSR,   "NLB_L4_DSR")

#define LB_LISTENER_PROTOCOLS(X)      \
    X(HTTP,   "HTTP")                 \
    X(HTTPS,  "HTTPS")                \
    X(TCP,    "TCP")                  \
    X(TLS,    "TLS")                  \
    X(UDP,    "UDP")

#define LB_TG_PROTOCOLS(X)            \
    X(HTTP,   "HTTP")                 \
    X(HTTPS,  "HTTPS")                \
    X(TCP,    "TCP")                  \
    X(UDP,    "UDP")                  \
    X(PROXY,  "PROXY")

#define LB_ALGORITHMS(X)                          \
    X(ROUND_ROBIN,        "ROUND_ROBIN")          \
    X(LEAST_CONNECTIONS,  "LEAST_CONNECTIONS")    \
    X(SOURCE_IP,          "SOURCE_IP")

#define LB_PERSISTENCE_TYPES(X)       \
    X(HTTP_COOKIE,  "HTTP_COOKIE")    \
    X(APP_COOKIE,   "APP_COOKIE")     \
    X(SOURCE_IP,    "SOURCE_IP")

#define LB_CHECK_TYPES(X)             \
    X(PING,   "PING")                 \
    X(TCP,    "TCP")                  \
    X(HTTP,   "HTTP")                 \
    X(HTTPS,  "HTTPS")

#define LB_HTTP_METHODS(X)            \
    X(CONNECT,  "CONNECT")            \
    X(DELETE,   "DELETE")             \
    X(GET,      "GET")                \
    X(HEAD,     "HEAD")               \
    X(OPTIONS,  "OPTIONS")            \
    X(PATCH,    "PATCH")              \
    X(POST,     "POST")               \
    X(PUT,      "PUT")                \
    X(TRACE,    "TRACE")

#define LB_TLS_VERSIONS(X)            \
    X(TLSv1,    "TLSv1")              \
    X(TLSv1_1,  "TLSv1.1")            \
    X(TLSv1_2,  "TLSv1.2")            \
    X(TLSv1_3,  "TLSv1.3")

/* X-Forwarded-For: true appends, false leaves, remove strips */
#define LB_XFF_MODES(X)               \
    X(TRUE,    "true")                \
    X(FALSE,   "false")               \
    X(REMOVE,  "remove")

/* SPEC.md section 11: L7 policies of HTTP and HTTPS listeners */
#define LB_L7_ACTIONS(X)                          \
    X(REDIRECT_TO_POOL,   "REDIRECT_TO_POOL")     \
    X(REDIRECT_TO_URL,    "REDIRECT_TO_URL")      \
    X(REDIRECT_PREFIX,    "REDIRECT_PREFIX")      \
    X(REJECT,             "REJECT")

#define LB_L7_RULE_TYPES(X)           \
    X(HOST_NAME,  "HOST_NAME")        \
    X(PATH,       "PATH")             \
    X(FILE_TYPE,  "FILE_TYPE")        \
    X(HEADER,     "HEADER")           \
    X(COOKIE,     "COOKIE")

#define LB_L7_COMPARE_TYPES(X)            \
    X(REGEX,        "REGEX")              \
    X(STARTS_WITH,  "STARTS_WITH")        \
    X(ENDS_WITH,    "ENDS_WITH")          \
    X(CONTAINS,     "CONTAINS")           \
    X(EQUAL_TO,     "EQUAL_TO")

#define LB_ENUM_BALANCER(n, s)   LB_BALANCER_##n,
#define LB_ENUM_LPROTO(n, s)     LB_LISTENER_##n,
#define LB_ENUM_TGPROTO(n, s)    LB_TG_##n,
#define LB_ENUM_ALGO(n, s)       LB_ALGO_##n,
#define LB_ENUM_PERSIST(n, s)    LB_PERSIST_##n,
#define LB_ENUM_CHECK(n, s)      LB_CHECK_##n,
#define LB_ENUM_METHOD(n, s)     LB_METHOD_##n,
#define LB_ENUM_TLS(n, s)        LB_##n,
#define LB_ENUM_XFF(n, s)        LB_XFF_##n,
#define LB_ENUM_L7ACTION(n, s)   LB_L7_##n,
#define LB_ENUM_L7RULE(n, s)     LB_L7_RULE_##n,
#define LB_ENUM_L7CMP(n, s)      LB_L7_CMP_##n,

typedef enum { LB_BALANCER_TYPES(LB_ENUM_BALANCER) } lb_balancer_type_e;
typedef enum { LB_LISTENER_PROTOCOLS(LB_ENUM_LPROTO) } lb_listener_proto_e;
typedef enum { LB_TG_PROTOCOLS(LB_ENUM_TGPROTO) } lb_tg_proto_e;
typedef enum { LB_ALGORITHMS(LB_ENUM_ALGO) } lb_algorithm_e;
typedef enum { LB_PERSISTENCE_TYPES(LB_ENUM_PERSIST) } lb_persistence_e;
typedef enum { LB_CHECK_TYPES(LB_ENUM_CHECK) } lb_check_type_e;
/* health check methods; not lb_http_method_e, which is the HTTP parser's
 * (lb_http_types.h): a file may need both */
typedef enum { LB_HTTP_METHODS(LB_ENUM_METHOD) } lb_check_method_e;
typedef enum { LB_TLS_VERSIONS(LB_ENUM_TLS) } lb_tls_version_e;

/* the ALPN protocols (SPEC 13), as sent: those an HTTPS listener offers
 * its clients, and the one a target group speaks to its targets (TLS ALPN
 * for HTTPS groups, prior-knowledge h2c for HTTP groups) */
typedef enum {
    LB_ALPN_H2 = 0,
    LB_ALPN_HTTP11
} lb_alpn_e;

extern const char *const  lb_alpn_names[];

#define LB_ALPN_MAX  2
typedef enum { LB_XFF_MODES(LB_ENUM_XFF) } lb_xff_mode_e;
typedef enum { LB_L7_ACTIONS(LB_ENUM_L7ACTION) } lb_l7_action_e;
typedef enum { LB_L7_RULE_TYPES(LB_ENUM_L7RULE) } lb_l7_rule_type_e;
typedef enum { LB_L7_COMPARE_TYPES(LB_ENUM_L7CMP) } lb_l7_compare_e;

/* NULL-terminated name tables, indexed by the enums above
 * (defined in lb_conf_names.c) */
extern const char *const  lb_balancer_type_names[];
extern const char *const  lb_listener_proto_names[];
extern const char *const  lb_tg_proto_names[];
extern const char *const  lb_algorithm_names[];
extern const char *const  lb_persistence_names[];
extern const char *const  lb_check_type_names[];
extern const char *const  lb_http_method_names[];
extern const char *const  lb_tls_version_names[];
extern const char *const  lb_xff_mode_names[];
extern const char *const  lb_l7_action_names[];
extern const char *const  lb_l7_rule_type_names[];
extern const char *const  lb_l7_compare_names[];

/* where a value stood in the YAML file, for error messages */
typedef struct {
    unsigned  line;
    unsigned  col;
} lb_conf_pos_t;

/* an address with its text form; port in network order inside sa */
typedef struct {
    struct sockaddr_storage  sa;
    socklen_t                socklen;
    char                     text[64];   /* "127.0.0.1:9001", "[::1]:80" */
} lb_sockaddr_t;

struct lb_target_s {
    char                  *id;
    char                  *name;
    char                  *address;        /* as written */
    uint32_t               protocol_port;
    uint32_t               weight;
    uint32_t               monitor_port;   /* where the check connects */
    char                  *subnet_id;
    char                  *instance_id;
    char                  *instance_name;

    lb_sockaddr_t          addr;           /* address:protocol_port */
    lb_target_group_t     *group;
    uint32_t               index;          /* in group->targets */
    lb_conf_pos_t          pos;
};

struct lb_health_monitor_s {
    char                  *id;
    lb_check_type_e        type;
    lb_msec_t              delay;          /* between checks */
    lb_msec_t              timeout;        /* of one check */
    uint32_t               max_retries;    /* passes to come UP */
    uint32_t               max_retries_down;  /* failures to go DOWN */
    lb_check_method_e      http_method;
    char                  *http_version;
    char                  *url_path;
    char                  *expected_codes; /* as written */
    uint8_t                codes[1000 / 8];   /* bitmap of accepted codes */
    lb_conf_pos_t          pos;
};

struct lb_persistence_s {
    lb_persistence_e       type;
    lb_msec_t              persistence_timeout;  /* a binding's life */
    char                  *cookie_name;
    char                  *persistence_granularity;  /* as written */
    int                    mask_family;          /* AF_INET | AF_INET6 */
    uint8_t                mask[16];             /* network order */
    lb_conf_pos_t          pos;
};

struct lb_target_group_s {
    char                  *id;
    char                  *name;
    lb_tg_proto_e          protocol;
    lb_algorithm_e         load_balancer_algorithm;
    uint32_t               proxy_protocol_version;
    /* HTTP and HTTPS groups: the protocol spoken to targets
     * (lb_alpn_e; one: SPEC 13), fixed at creation */
    uint8_t                alpn[1];
    uint32_t               nalpn;
    lb_persistence_t      *session_persistence;  /* NULL: disabled */
    lb_health_monitor_t   *health_monitor;       /* NULL: no checks */
    lb_target_t           *targets;              /* "members" */
    uint32_t               ntargets;

    /* HTTPS targets: verify their certificates (off by default, as
     * nginx's proxy_ssl_verify) against the CAs of tls_ca_certificate,
     * for the name tls_verify_name (NULL: the target's address) */
    bool                   tls_verify;
    char                  *tls_ca_certificate;
    char                  *tls_verify_name;

    lb_load_balancer_t    *balancer;
    uint32_t               index;                /* in balancer */
    lb_conf_pos_t          pos;
};

typedef struct {
    char                  *certificate;
    char                  *key;
} lb_tls_cert_t;

/* SPEC.md section 11: one condition of an L7 policy */
typedef struct {
    char                  *id;
    lb_l7_rule_type_e      type;
    lb_l7_compare_e        compare_type;
    char                  *key;            /* HEADER, COOKIE: the name */
    char                  *value;
    bool                   is_inverted;
    lb_conf_pos_t          pos;
} lb_l7_rule_t;

/* SPEC.md section 11: what a request whose rules all match gets */
typedef struct {
    char                  *id;
    char                  *name;
    uint32_t               position;       /* 1-based; ties: file order */
    lb_l7_action_e         action;
    char                  *redirect_target_group_name;
    lb_target_group_t     *redirect_target_group;   /* resolved */
    char                  *redirect_url;
    char                  *redirect_prefix;
    uint32_t               redirect_http_code;
    bool                   is_enabled;
    lb_l7_rule_t          *rules;
    uint32_t               nrules;
    uint32_t               index;          /* in listener->l7_policies */
    lb_conf_pos_t          pos;
} lb_l7_policy_t;

struct lb_listener_s {
    char                  *id;
    char                  *name;
    lb_listener_proto_e    protocol;
    uint32_t               protocol_port;
    char                  *target_group_name;    /* NULL: none */
    lb_target_group_t     *target_group;         /* resolved */

    lb_xff_mode_e          x_forwarded_for;
    bool                   x_forwarded_proto;
    bool                   x_forwarded_port;
    uint32_t               timeout_client_data;  /* ms, client idle */
    uint32_t               timeout_client_header;   /* ms, the whole
                                                   request head */
    uint32_t               timeout_client_handshake;   /* ms, TLS
                                                   listeners */
    uint32_t               timeout_member_connect;  /* ms */
    uint32_t               timeout_member_data;     /* ms, target idle */
    int64_t                connection_limit;     /* -1: unlimited */
    uint32_t               sessions_per_client;  /* UDP, per worker */

    lb_tls_cert_t          tls;
    lb_tls_cert_t         *sni_certificates;
    uint32_t               nsni_certificates;
    lb_tls_version_e       tls_min_version;
    char                  *tls_ciphers;          /* TLS 1.2 and older;
                                                    NULL: weir's default */
    char                  *tls_ciphersuites;     /* TLS 1.3; NULL:
                                                    OpenSSL's default */
    char                  *tls_ocsp_response;    /* DER file; NULL: no
                                                    stapling */

    lb_l7_policy_t        *l7_policies;          /* in the file's order */
    uint32_t               nl7_policies;

    /* HTTPS listeners: the ALPN protocols offered, weir's preference
     * first (lb_alpn_e; default h2, then http/1.1) */
    uint8_t                alpn[LB_ALPN_MAX];
    uint32_t               nalpn;

    lb_sockaddr_t          addr;                 /* balancer address:port */
    lb_load_balancer_t    *balancer;
    uint32_t               index;
    lb_conf_pos_t          pos;
};

/* a health-check source address (SPEC 6, health_check_ips, per subnet) */
typedef struct {
    char                  *subnet_id;      /* NULL: targets of any subnet */
    char                  *address;        /* as written */
    lb_sockaddr_t          addr;           /* port 0 */
} lb_health_check_ip_t;

struct lb_load_balancer_s {
    char                  *id;
    char                  *name;
    lb_balancer_type_e     type;
    char                  *address;
    bool                   freebind;     /* listeners bind the address
                                            while it is absent */
    char                  *availability_zone;
    char                  *vpc;
    lb_listener_t         *listeners;
    uint32_t               nlisteners;
    lb_target_group_t     *target_groups;
    uint32_t               ntarget_groups;
    lb_health_check_ip_t  *health_check_ips;  /* checks leave from these */
    uint32_t               nhealth_check_ips;

    uint32_t               index;
    lb_conf_pos_t          pos;
};

typedef struct {
    char                  *listen;           /* "127.0.0.1:9090" */
    char                  *token_file;
    char                  *certificate;      /* NULL: no TLS; with key */
    char                  *key;
    bool                   metrics_public;   /* GET /metrics without the
                                                token */
    lb_sockaddr_t          addr;
    lb_conf_pos_t          pos;
} lb_admin_conf_t;

/* SPEC.md section 12: a node of the peers block */
typedef struct {
    char                  *name;
    char                  *address;          /* its sync listener,
                                                "10.0.0.1:7070" */
    lb_sockaddr_t          addr;
    lb_conf_pos_t          pos;
} lb_peer_node_t;

/* peers.tls: the sync link mutually authenticated (lb_peers_tls.h) */
typedef struct {
    char                  *certificate;      /* this node's chain, PEM */
    char                  *key;
    char                  *ca;               /* the peers' certificates
                                                must chain to it */
    void                  *server_ctx;       /* SSL_CTX *: built by the
                                                master with the cycle
                                                (root may read the key),
                                                the sync process inherits
                                                them */
    void                  *client_ctx;
    lb_conf_pos_t          pos;
} lb_peers_tls_t;

typedef struct {
    char                  *local;            /* the name of this node */
    char                  *vip;              /* NULL: no VIP rule */
    lb_sockaddr_t          vip_addr;
    lb_peer_node_t        *nodes;
    uint32_t               nnodes;
    lb_peers_tls_t        *tls;              /* NULL: plain TCP */
    uint32_t               local_index;      /* of local in nodes */
    uint32_t               config_version;   /* of load_balancers: the
                                                active node's API raises
                                                it, the others take it
                                                with the change */
    lb_conf_pos_t          pos;
} lb_peers_conf_t;

struct lb_conf_s {
    const char            *file;             /* as given on the command line */
    uint32_t               worker_processes; /* 0 in the file means auto;
                                                resolved to >= 1 */
    bool                   worker_processes_auto;  /* written as "auto" (or
                                                left out): the dump says
                                                "auto" again */
    bool                   daemon;
    char                  *user;             /* NULL: as root, the default
                                                user (lb_child.c) */
    char                  *error_log;
    unsigned               log_level;        /* lb_log_level_e */
    char                  *pid_file;
    char                  *access_log;       /* HTTP(S) requests; NULL:
                                                none */
    bool                   access_log_compress;  /* gzip members */
    uint32_t               shutdown_timeout; /* ms a draining worker may
                                                take */
    lb_msec_t              tls_ticket_key_rotation;  /* ms between new
                                                session ticket keys
                                                (written in seconds) */
    lb_admin_conf_t       *admin;            /* NULL: no admin listener */
    lb_peers_conf_t       *peers;            /* NULL: a single node */
    lb_load_balancer_t    *balancers;
    uint32_t               nbalancers;
};

#endif /* LB_CONF_TYPES_H */
