/* weir: the configuration schema. One table per object says everything
 * about each field (key, type, range, default, when it is allowed, how it
 * is stored); one generic walker applies the tables to a node tree
 * (lb_conf_node.h) and fills the structs of lb_conf_types.h. The YAML file,
 * the admin API's JSON and the YAML dump all go through these tables, so no
 * field's rule is written twice. */
#ifndef LB_CONF_SCHEMA_H
#define LB_CONF_SCHEMA_H

#include "lb_array.h"
#include "lb_conf_node.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"

typedef enum {
    LB_CONF_STRING,      /* char *, pool copy */
    LB_CONF_UINT,        /* uint32_t in min..max */
    LB_CONF_INT,         /* int64_t in min..max */
    LB_CONF_SECONDS,     /* lb_msec_t: written in seconds (min..max,
                            def), stored in milliseconds */
    LB_CONF_BOOL,        /* bool: true | false */
    LB_CONF_ENUM,        /* int-sized enum or unsigned, by name */
    LB_CONF_OBJECT,      /* pointer to a struct allocated from the pool */
    LB_CONF_INLINE,      /* a mapping whose fields live in the parent */
    LB_CONF_LIST,        /* pointer to an array of structs + uint32_t n */
    LB_CONF_NAMES        /* a list of distinct names of `names`, min..max
                            of them (min 0: 1): their uint8_t indexes at
                            off (room for max), in the order written,
                            and their uint32_t count at count_off (0: not
                            written, no default); def: the mask of
                            LB_CONF_BIT(index) of the default names, in
                            table order */
} lb_conf_type_e;

/* what the walker knows about one field of one object */
typedef enum {
    LB_CONF_ABSENT = 0,  /* not written, no default applied (yet) */
    LB_CONF_SET,         /* written and valid */
    LB_CONF_DEFAULT,     /* not written, default applied */
    LB_CONF_BAD,         /* written but invalid (an error was reported) */
    LB_CONF_UNKNOWN      /* not judged: a field it depends on is bad */
} lb_conf_state_e;

typedef struct lb_conf_field_s   lb_conf_field_t;
typedef struct lb_conf_object_s  lb_conf_object_t;
typedef struct lb_conf_obj_s     lb_conf_obj_t;
typedef struct lb_conf_cx_s      lb_conf_cx_t;

/* Validate (and derive from) a value already stored in obj->data; called
 * for written values and for defaults. NULL: fine; else the message
 * (allocated from cx->tmp or static). */
typedef const char *(*lb_conf_check_pt)(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);

/* Store a default that depends on other fields. */
typedef void (*lb_conf_default_pt)(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);

/* The rules between the fields of one object, run after its fields and
 * children are read. Reports with lb_conf_error(). */
typedef void (*lb_conf_rule_pt)(lb_conf_cx_t *cx, lb_conf_obj_t *obj);

struct lb_conf_field_s {
    const char               *key;
    lb_conf_type_e            type;
    size_t                    off;        /* of the value in the struct */
    size_t                    count_off;  /* LIST, NAMES: of the uint32_t
                                             count */

    int64_t                   min;        /* UINT, INT, SECONDS: value as
                                             written; STRING: length */
    int64_t                   max;        /*   (0: no limit)            */
    const char               *unit;       /* "ms": for messages (SECONDS
                                             says "seconds" itself) */
    const char               *allowed;    /* overrides the generated
                                             "allowed: ..." text */

    unsigned                  required:1; /* when allowed */
    unsigned                  has_def:1;
    int64_t                   def;        /* UINT, INT, SECONDS (as
                                             written), BOOL, ENUM index */
    const char               *def_str;    /* STRING */
    lb_conf_default_pt        def_fn;     /* default from other fields */
    const char               *def_doc;    /* def_fn's default in words,
                                             for weir.yaml(5) */

    const char *const        *names;      /* ENUM: NULL-terminated */
    const int                *values;     /* ENUM: stored values (NULL:
                                             the index in names) */
    const char               *auto_name;  /* UINT: this word means 0 */
    size_t                    auto_off;   /* UINT: of a bool set when the
                                             word was used (0: none) */

    const lb_conf_object_t   *object;     /* OBJECT, INLINE, LIST */

    /* Allowed only for some values of an ENUM field of the same object:
     * `depends` names it, `only` is the mask of its stored values
     * (LB_CONF_BIT) for which this field may be written. The message
     * comes from the ENUM field's `only_fmt`. */
    const char               *depends;
    unsigned                  only;
    const char               *only_fmt;   /* ENUM a field depends on:
                                             "only on %s listeners" */

    lb_conf_check_pt          check;

    unsigned                  check_identity:1;  /* a health check with
                                             another value is another check
                                             (lb_conf_identity) */

    unsigned                  live:1;     /* a change of it alone goes to
                                             the running workers without a
                                             reload (lb_conf_live_change) */
};

struct lb_conf_object_s {
    const char               *what;       /* "target group" */
    size_t                    size;       /* of the struct */
    const lb_conf_field_t    *fields;     /* ends with a NULL key */
    const char               *name_key;   /* LIST items: field naming the
                                             item in paths ("name") */
    lb_conf_rule_pt           rule;
    size_t                    pos_off;    /* of an lb_conf_pos_t, or
                                             (size_t) -1 */
    unsigned                  wrapper:1;  /* an API body's {"x": ...}:
                                             not an ancestor for rules
                                             (lb_conf_up) */
};

#define LB_CONF_NO_POS    ((size_t) -1)
#define LB_CONF_NO_INDEX  ((uint32_t) -1)   /* not a list item */

/* the obj records of one OBJECT, INLINE (n = 1) or LIST field */
typedef struct {
    lb_conf_obj_t           **items;
    uint32_t                  n;
} lb_conf_kids_t;

/* One object as read: the struct, where it stood, and per field the value
 * node and its state. Parents and children are linked so that rules can
 * find positions and paths of any field. */
struct lb_conf_obj_s {
    const lb_conf_object_t   *schema;
    void                     *data;
    const lb_conf_node_t     *node;       /* NULL: absent INLINE object */
    lb_conf_pos_t             pos;        /* of the mapping; of the parent's
                                             for an absent INLINE object */
    const char               *path;       /* "load_balancers[web-lb]" */
    lb_conf_obj_t            *parent;
    uint32_t                  index;      /* in the parent's list */

    const lb_conf_node_t    **nodes;      /* per field */
    lb_conf_state_e          *states;     /* per field */
    lb_conf_kids_t           *kids;       /* per field */
};

typedef struct {
    lb_conf_pos_t             pos;
    const char               *path;       /* field path, "" for none */
    const char               *message;
    uint32_t                  seq;        /* order found, for stable sort */
} lb_conf_error_t;

/* A walk: where to allocate, what to call the input, where problems go. */
struct lb_conf_cx_s {
    lb_pool_t                *pool;       /* the structs and strings */
    lb_pool_t                *tmp;        /* nodes, obj records, paths */
    const char               *file;       /* for messages */
    lb_array_t                errors;     /* lb_conf_error_t, in tmp */
    unsigned                  nomem:1;
    unsigned                  strict:1;   /* JSON: a string field takes a
                                             quoted scalar, a number or a
                                             boolean a plain one */
};

/* the rule tables of SPEC.md as bit masks over the enums (LB_CONF_BIT) */
#define LB_CONF_BIT(n)  (1u << (n))

/* section 1: listener protocols per balancer type */
extern const unsigned  lb_conf_balancer_listeners[];
/* section 2: target group protocols per listener protocol; DSR apart */
extern const unsigned  lb_conf_listener_groups[];
extern const unsigned  lb_conf_dsr_listener_groups[];
/* section 5: persistence types per [group protocol][listener protocol] */
extern const unsigned  lb_conf_sticky_types[][5];
/* section 6: health check types per group protocol */
extern const unsigned  lb_conf_group_checks[];

/* May f be written in data (a struct of schema)? Asks the `depends`
 * field's value; true for fields without one. */
bool lb_conf_applies(const lb_conf_object_t *schema, const lb_conf_field_t *f,
    const void *data);

/* Why f may not be written in data: "only on HTTPS and TLS listeners"
 * (pool); NULL when it may. */
const char *lb_conf_only_reason(lb_pool_t *pool,
    const lb_conf_object_t *schema, const lb_conf_field_t *f,
    const void *data);

/* The values of f's `depends` field for which f may be written, in its
 * only_fmt: "only on HTTP and HTTPS listeners" (pool); NULL for a field
 * without `depends` (the manual pages print it). */
const char *lb_conf_only_text(lb_pool_t *pool,
    const lb_conf_object_t *schema, const lb_conf_field_t *f);

/* What f accepts, as the "allowed: ..." of weir -t's messages says it:
 * "1..3600 seconds", "auto or 1..64", "ALB, NLB, NLB_L4_DSR" or the
 * field's own text (pool; "" when out of memory). */
const char *lb_conf_allowed_text(lb_pool_t *pool, const lb_conf_field_t *f);

/* Hand the stored value of every check_identity field of schema that
 * applies to data to fn, in table order: a string with its NUL, a number
 * as stored. Hashing them names the check (lb_health.c). */
typedef void (*lb_conf_bytes_pt)(void *ctx, const void *p, size_t len);

void lb_conf_identity(const lb_conf_object_t *schema, const void *data,
    lb_conf_bytes_pt fn, void *ctx);

/* "HTTP, PROXY" for a mask over names; "none" for 0 (pool). */
const char *lb_conf_mask_names(lb_pool_t *pool, unsigned mask,
    const char *const *names);

/* the tables (lb_conf_schema.c) */
extern const lb_conf_object_t  lb_conf_root_object;
extern const lb_conf_object_t  lb_conf_admin_object;
extern const lb_conf_object_t  lb_conf_peers_object;
extern const lb_conf_object_t  lb_conf_peer_node_object;
extern const lb_conf_object_t  lb_conf_peers_tls_object;
extern const lb_conf_object_t  lb_conf_balancer_object;
extern const lb_conf_object_t  lb_conf_listener_object;
extern const lb_conf_object_t  lb_conf_target_group_object;
extern const lb_conf_object_t  lb_conf_persistence_object;
extern const lb_conf_object_t  lb_conf_health_monitor_object;
extern const lb_conf_object_t  lb_conf_member_object;

/* Walk node (a mapping) with schema into a struct: a new one from cx->pool
 * when data is NULL. parent/key/index place the object in paths. Reports
 * every problem into cx->errors, fills defaults, runs the object's rule and
 * returns the obj record (NULL only when out of memory). */
lb_conf_obj_t *lb_conf_walk(lb_conf_cx_t *cx, const lb_conf_object_t *schema,
    const lb_conf_node_t *node, void *data, lb_conf_obj_t *parent,
    const char *key, uint32_t index);

/* The rules between objects (lb_conf_check.c): unique names, ids and
 * listening addresses, listener -> target group references and protocol
 * pairs, sticky sessions per listener, DSR; then ids and back-pointers. */
void lb_conf_check(lb_conf_cx_t *cx, lb_conf_obj_t *root);

/* SPEC.md section 7: no two members of the "members" list of obj (a
 * target group, or the admin API's members wrapper) with the same
 * address and port. */
void lb_conf_check_members(lb_conf_cx_t *cx, lb_conf_obj_t *obj);

/* Record a problem with `field` of obj (NULL: the object itself) at the
 * field's value, or at the object when the field was not written. */
void lb_conf_error(lb_conf_cx_t *cx, const lb_conf_obj_t *obj,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The same at an explicit position and path. */
void lb_conf_error_at(lb_conf_cx_t *cx, lb_conf_pos_t pos, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Read text[0..len), the file name, with every rule of `weir -t`, into
 * pool: *conf, or NULL with the problems in cx->errors (cx->nomem when
 * memory ran out). empty: the problem of a text that is no mapping.
 * cx->tmp, the walk's own pool, is the caller's to destroy. LB_ERROR:
 * out of memory before reading, nothing to destroy. */
lb_int_t lb_conf_read_text(lb_conf_cx_t *cx, lb_pool_t *pool,
    const char *name, const char *text, size_t len, const char *empty,
    lb_conf_t **conf);

/* Sort cx's problems as `weir -t` lists them: by line, then column, then
 * in the order they were found (lb_conf_parse.c). */
void lb_conf_sort_errors(lb_conf_cx_t *cx);

/* Store v in f of obj as a written value would be (a default function's
 * way to fill UINT, INT and SECONDS: v in seconds for SECONDS). */
void lb_conf_set_number(lb_conf_obj_t *obj, const lb_conf_field_t *f,
    int64_t v);

/* Index of key in schema->fields; aborts on a key the table lacks (a bug). */
uint32_t lb_conf_field_index(const lb_conf_object_t *schema, const char *key);

/* State of a field; true when it holds a usable value (set or default). */
lb_conf_state_e lb_conf_state(const lb_conf_obj_t *obj, const char *key);
bool lb_conf_ok(const lb_conf_obj_t *obj, const char *key);
bool lb_conf_written(const lb_conf_obj_t *obj, const char *key);

/* Where the field's value stood (the object's position when absent). */
lb_conf_pos_t lb_conf_pos(const lb_conf_obj_t *obj, const char *key);

/* "load_balancers[web-lb].listeners[http].protocol_port" (tmp pool). */
const char *lb_conf_path(lb_conf_cx_t *cx, const lb_conf_obj_t *obj,
    const char *key);

/* The child obj records of an OBJECT/INLINE (i = 0) or LIST field; NULL
 * when absent or past the end. */
lb_conf_obj_t *lb_conf_child(const lb_conf_obj_t *obj, const char *key,
    uint32_t i);

/* How many child records a field has (list length; 0 or 1 otherwise). */
uint32_t lb_conf_nchildren(const lb_conf_obj_t *obj, const char *key);

/* The ancestor `levels` up (1: parent), wrappers not counted. */
lb_conf_obj_t *lb_conf_up(const lb_conf_obj_t *obj, unsigned levels);

/* A value for a message: quoted, control bytes escaped, long ones cut. */
const char *lb_conf_quote(lb_conf_cx_t *cx, const char *s);

/* Comma-separated names of a NULL-terminated table ("ALB, NLB"). */
const char *lb_conf_names_list(lb_pool_t *pool, const char *const *names);

/* The name of value v of an ENUM field (handles `values`). */
const char *lb_conf_enum_name(const lb_conf_field_t *f, int v);

/* Parse "1.2.3.4" or "::1" into sa (port 0); LB_OK or LB_ERROR. */
lb_int_t lb_conf_parse_ip(const char *text, lb_sockaddr_t *sa);

/* Set the port of sa and write its text form ("1.2.3.4:80",
 * "[::1]:80"). */
void lb_conf_sockaddr_set_port(lb_sockaddr_t *sa, uint32_t port);

#endif /* LB_CONF_SCHEMA_H */
