/* weir: a small generic document tree (mappings, lists, scalars, each with
 * its line:col) that the schema walker reads. The YAML reader builds it from
 * libyaml events; the admin API builds the same tree from JSON, so every
 * rule is checked by one walker whatever the input syntax. */
#ifndef LB_CONF_NODE_H
#define LB_CONF_NODE_H

#include "lb_conf_types.h"
#include "lb_core_types.h"

typedef enum {
    LB_CONF_NODE_NULL,      /* "key:", "~", "null": no value */
    LB_CONF_NODE_SCALAR,
    LB_CONF_NODE_MAP,
    LB_CONF_NODE_LIST
} lb_conf_node_type_e;

typedef struct lb_conf_node_s  lb_conf_node_t;

struct lb_conf_node_s {
    lb_conf_node_type_e   type;
    lb_conf_pos_t         pos;        /* of the value, 1-based */

    /* a member of a mapping: its key and where the key stood */
    const char           *key;
    lb_conf_pos_t         key_pos;

    /* SCALAR: the text as written, NUL-terminated */
    const char           *value;
    size_t                len;
    unsigned              quoted:1;   /* written in quotes (a string) */

    /* MAP members (each with key) and LIST items, in document order */
    lb_conf_node_t       *first;
    lb_conf_node_t       *last;
    uint32_t              n;
    uint32_t              size;       /* nodes in this subtree, aliases
                                         counted as often as they occur */

    lb_conf_node_t       *next;       /* sibling in the parent */
};

/* One problem found while reading, before any field is known. */
typedef struct {
    lb_conf_pos_t         pos;
    const char           *message;
} lb_conf_read_error_t;

/* Read one YAML document from yaml[0..len) into a node tree allocated from
 * pool. Returns the root node (a NULL node for an empty document), or NULL
 * after a syntax error, which is then stored in *err (message allocated
 * from pool). */
lb_conf_node_t *lb_conf_yaml_read(lb_pool_t *pool, const char *yaml,
    size_t len, lb_conf_read_error_t *err);

/* A judge of each libyaml event before it is added to the tree, for
 * readers of a stricter syntax (JSON, lb_conf_json.c): LB_OK to go on, or
 * LB_ERROR with err->pos and err->message set (static or from the pool
 * the filter keeps in ctx). */
struct yaml_event_s;

typedef lb_int_t (*lb_conf_yaml_filter_pt)(void *ctx,
    const struct yaml_event_s *ev, lb_conf_read_error_t *err);

/* lb_conf_yaml_read() with every event shown to filter(ctx, ...) first. */
lb_conf_node_t *lb_conf_yaml_read_filtered(lb_pool_t *pool,
    const char *yaml, size_t len, lb_conf_yaml_filter_pt filter, void *ctx,
    lb_conf_read_error_t *err);

/* The member `key` of the mapping `map`, or NULL. */
lb_conf_node_t *lb_conf_node_get(const lb_conf_node_t *map, const char *key);

/* A printable name of a node type for messages: "a mapping", "a list",
 * "a scalar", "no value". */
const char *lb_conf_node_kind(const lb_conf_node_t *node);

#endif /* LB_CONF_NODE_H */
