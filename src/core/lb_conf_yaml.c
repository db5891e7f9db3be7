/* weir: libyaml events -> the generic node tree of lb_conf_node.h. Only the
 * syntax is judged here; what the keys and values mean is the schema
 * walker's business. Anchors and aliases work (an alias is a shallow copy of
 * the anchored node); "<<" merge keys are not supported and end up as
 * unknown fields. */
#include <string.h>

#include <yaml.h>

#include "lb_conf_node.h"
#include "lb_palloc.h"

#define LB_CONF_YAML_DEPTH  64

/* aliases let a few lines stand for a huge tree ("billion laughs"); the
 * walker visits every copy, so the expanded size is bounded */
#define LB_CONF_YAML_NODES  (1024 * 1024)

typedef struct lb_conf_anchor_s  lb_conf_anchor_t;

struct lb_conf_anchor_s {
    const char           *name;
    lb_conf_node_t       *node;
    lb_conf_anchor_t     *next;
};

typedef struct {
    lb_conf_node_t       *node;
    const char           *key;       /* MAP: the key waiting for a value */
    lb_conf_pos_t         key_pos;
} lb_conf_frame_t;

typedef struct {
    lb_pool_t            *pool;
    lb_conf_read_error_t *err;
    const char           *yaml;
    size_t                len;
    lb_conf_node_t       *root;
    lb_conf_anchor_t     *anchors;
    lb_conf_frame_t       stack[LB_CONF_YAML_DEPTH];
    unsigned              depth;
    unsigned              documents;
    uint64_t              total;     /* nodes, aliases expanded */
    lb_conf_yaml_filter_pt  filter;
    void                 *filter_ctx;
} lb_conf_reader_t;

static lb_int_t lb_conf_yaml_event(lb_conf_reader_t *rd, yaml_event_t *ev);
static lb_conf_node_t *lb_conf_yaml_node(lb_conf_reader_t *rd,
    lb_conf_node_type_e type, const yaml_mark_t *mark);
static lb_conf_node_t *lb_conf_yaml_scalar(lb_conf_reader_t *rd,
    yaml_event_t *ev);
static lb_int_t lb_conf_yaml_anchor(lb_conf_reader_t *rd,
    const yaml_char_t *name, lb_conf_node_t *node);
static lb_int_t lb_conf_yaml_alias(lb_conf_reader_t *rd, yaml_event_t *ev);
static lb_int_t lb_conf_yaml_add(lb_conf_reader_t *rd, lb_conf_node_t *node);
static lb_int_t lb_conf_yaml_count(lb_conf_reader_t *rd, lb_conf_node_t *node,
    uint32_t size);
static lb_int_t lb_conf_yaml_push(lb_conf_reader_t *rd, lb_conf_node_t *node,
    const yaml_mark_t *mark);
static void lb_conf_yaml_fail(lb_conf_reader_t *rd, unsigned line,
    unsigned col, const char *message);
static void lb_conf_yaml_syntax(lb_conf_reader_t *rd, yaml_parser_t *p);


lb_conf_node_t *
lb_conf_yaml_read(lb_pool_t *pool, const char *yaml, size_t len,
    lb_conf_read_error_t *err)
{
    return lb_conf_yaml_read_filtered(pool, yaml, len, NULL, NULL, err);
}


lb_conf_node_t *
lb_conf_yaml_read_filtered(lb_pool_t *pool, const char *yaml, size_t len,
    lb_conf_yaml_filter_pt filter, void *ctx, lb_conf_read_error_t *err)
{
    int                done;
    yaml_event_t       ev;
    yaml_parser_t      parser;
    lb_conf_reader_t   rd;
    lb_conf_node_t    *root;
    lb_int_t           rc;

    memset(&rd, 0, sizeof(lb_conf_reader_t));
    rd.pool = pool;
    rd.err = err;
    rd.yaml = yaml;
    rd.len = len;
    rd.filter = filter;
    rd.filter_ctx = ctx;
    err->message = NULL;

    if (!yaml_parser_initialize(&parser)) {
        lb_conf_yaml_fail(&rd, 1, 1, "out of memory");
        return NULL;
    }

    yaml_parser_set_input_string(&parser, (const unsigned char *) yaml, len);

    done = 0;
    rc = LB_OK;

    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            lb_conf_yaml_syntax(&rd, &parser);
            rc = LB_ERROR;
            break;
        }

        done = (ev.type == YAML_STREAM_END_EVENT);

        if (rd.filter != NULL
            && rd.filter(rd.filter_ctx, &ev, rd.err) != LB_OK)
        {
            yaml_event_delete(&ev);
            rc = LB_ERROR;
            break;
        }

        rc = lb_conf_yaml_event(&rd, &ev);
        yaml_event_delete(&ev);

        if (rc != LB_OK) {
            break;
        }
    }

    yaml_parser_delete(&parser);

    if (rc != LB_OK) {
        return NULL;
    }

    if (rd.root != NULL) {
        return rd.root;
    }

    /* an empty file: a document without a value */
    root = lb_pcalloc(pool, sizeof(lb_conf_node_t));
    if (root == NULL) {
        lb_conf_yaml_fail(&rd, 1, 1, "out of memory");
        return NULL;
    }

    root->type = LB_CONF_NODE_NULL;
    root->pos.line = 1;
    root->pos.col = 1;

    return root;
}


static lb_int_t
lb_conf_yaml_event(lb_conf_reader_t *rd, yaml_event_t *ev)
{
    lb_conf_node_t  *node, *child;

    switch (ev->type) {

    case YAML_DOCUMENT_START_EVENT:
        if (++rd->documents > 1) {
            lb_conf_yaml_fail(rd, ev->start_mark.line + 1,
                              ev->start_mark.column + 1,
                              "syntax error: a second YAML document; the "
                              "configuration is one document");
            return LB_ERROR;
        }
        return LB_OK;

    case YAML_SCALAR_EVENT:
        node = lb_conf_yaml_scalar(rd, ev);
        if (node == NULL
            || lb_conf_yaml_anchor(rd, ev->data.scalar.anchor, node) != LB_OK)
        {
            return LB_ERROR;
        }
        return lb_conf_yaml_add(rd, node);

    case YAML_ALIAS_EVENT:
        return lb_conf_yaml_alias(rd, ev);

    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        node = lb_conf_yaml_node(rd, ev->type == YAML_MAPPING_START_EVENT
                                     ? LB_CONF_NODE_MAP : LB_CONF_NODE_LIST,
                                 &ev->start_mark);
        if (node == NULL
            || lb_conf_yaml_anchor(rd, ev->type == YAML_MAPPING_START_EVENT
                                       ? ev->data.mapping_start.anchor
                                       : ev->data.sequence_start.anchor,
                                   node) != LB_OK)
        {
            return LB_ERROR;
        }
        return lb_conf_yaml_push(rd, node, &ev->start_mark);

    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        node = rd->stack[--rd->depth].node;
        node->size = 1;
        for (child = node->first; child != NULL; child = child->next) {
            node->size += child->size;
        }
        return lb_conf_yaml_add(rd, node);

    default:
        /* stream start/end, document end: nothing to build */
        return LB_OK;
    }
}


static lb_conf_node_t *
lb_conf_yaml_node(lb_conf_reader_t *rd, lb_conf_node_type_e type,
    const yaml_mark_t *mark)
{
    lb_conf_node_t  *node;

    node = lb_pcalloc(rd->pool, sizeof(lb_conf_node_t));
    if (node == NULL) {
        lb_conf_yaml_fail(rd, mark->line + 1, mark->column + 1,
                          "out of memory");
        return NULL;
    }

    node->type = type;
    node->pos.line = mark->line + 1;
    node->pos.col = mark->column + 1;
    node->size = 1;

    if (lb_conf_yaml_count(rd, node, 1) != LB_OK) {
        return NULL;
    }

    return node;
}


static lb_conf_node_t *
lb_conf_yaml_scalar(lb_conf_reader_t *rd, yaml_event_t *ev)
{
    const char      *v, *tag;
    size_t           len;
    lb_conf_node_t  *node;

    node = lb_conf_yaml_node(rd, LB_CONF_NODE_SCALAR, &ev->start_mark);
    if (node == NULL) {
        return NULL;
    }

    v = (const char *) ev->data.scalar.value;
    len = ev->data.scalar.length;
    tag = (const char *) ev->data.scalar.tag;

    node->quoted = (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE
                    || (tag != NULL
                        && strcmp(tag, "tag:yaml.org,2002:str") == 0));

    if (!node->quoted
        && (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0
            || strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0))
    {
        node->type = LB_CONF_NODE_NULL;
    }

    node->value = lb_pstrndup(rd->pool, v, len);
    if (node->value == NULL) {
        lb_conf_yaml_fail(rd, node->pos.line, node->pos.col, "out of memory");
        return NULL;
    }

    node->len = len;

    return node;
}


static lb_int_t
lb_conf_yaml_anchor(lb_conf_reader_t *rd, const yaml_char_t *name,
    lb_conf_node_t *node)
{
    lb_conf_anchor_t  *a;

    if (name == NULL) {
        return LB_OK;
    }

    a = lb_palloc(rd->pool, sizeof(lb_conf_anchor_t));
    if (a == NULL) {
        lb_conf_yaml_fail(rd, node->pos.line, node->pos.col, "out of memory");
        return LB_ERROR;
    }

    a->name = lb_pstrdup(rd->pool, (const char *) name);
    if (a->name == NULL) {
        lb_conf_yaml_fail(rd, node->pos.line, node->pos.col, "out of memory");
        return LB_ERROR;
    }

    /* the newest definition of a name wins, as YAML says */
    a->node = node;
    a->next = rd->anchors;
    rd->anchors = a;

    return LB_OK;
}


static lb_int_t
lb_conf_yaml_alias(lb_conf_reader_t *rd, yaml_event_t *ev)
{
    unsigned           i;
    const char        *name, *msg;
    lb_conf_node_t    *node;
    lb_conf_anchor_t  *a;

    name = (const char *) ev->data.alias.anchor;

    for (a = rd->anchors; a != NULL; a = a->next) {
        if (strcmp(a->name, name) == 0) {
            break;
        }
    }

    if (a == NULL) {
        /* libyaml's event parser leaves this to its loader */
        lb_conf_yaml_fail(rd, ev->start_mark.line + 1,
                          ev->start_mark.column + 1,
                          "syntax error: alias to an undefined anchor");
        return LB_ERROR;
    }

    /* an anchored mapping or list that is still open contains the alias:
     * the copy would share a chain of children that is still growing (and
     * hold itself) */
    for (i = 0; i < rd->depth; i++) {
        if (rd->stack[i].node == a->node) {
            msg = lb_psprintf(rd->pool, "syntax error: alias *%s is inside "
                              "what its anchor &%s (line %u) names: an "
                              "alias must come after the end of what it "
                              "repeats", name, name, a->node->pos.line);
            lb_conf_yaml_fail(rd, ev->start_mark.line + 1,
                              ev->start_mark.column + 1,
                              msg != NULL ? msg : "out of memory");
            return LB_ERROR;
        }
    }

    node = lb_palloc(rd->pool, sizeof(lb_conf_node_t));
    if (node == NULL) {
        lb_conf_yaml_fail(rd, ev->start_mark.line + 1,
                          ev->start_mark.column + 1, "out of memory");
        return LB_ERROR;
    }

    /* a shallow copy: the children stay shared with the anchored node, the
     * copy only gets its own sibling link and position */
    *node = *a->node;
    node->key = NULL;
    node->next = NULL;
    node->pos.line = ev->start_mark.line + 1;
    node->pos.col = ev->start_mark.column + 1;

    if (lb_conf_yaml_count(rd, node, node->size) != LB_OK) {
        return LB_ERROR;
    }

    return lb_conf_yaml_add(rd, node);
}


static lb_int_t
lb_conf_yaml_add(lb_conf_reader_t *rd, lb_conf_node_t *node)
{
    lb_conf_frame_t  *f;
    lb_conf_node_t   *parent;

    if (rd->depth == 0) {
        rd->root = node;
        return LB_OK;
    }

    f = &rd->stack[rd->depth - 1];
    parent = f->node;

    if (parent->type == LB_CONF_NODE_MAP) {

        if (f->key == NULL) {
            if (node->type == LB_CONF_NODE_MAP
                || node->type == LB_CONF_NODE_LIST)
            {
                lb_conf_yaml_fail(rd, node->pos.line, node->pos.col,
                                  "syntax error: a mapping key must be a "
                                  "plain word, not a mapping or a list");
                return LB_ERROR;
            }

            f->key = node->value;
            f->key_pos = node->pos;
            return LB_OK;
        }

        node->key = f->key;
        node->key_pos = f->key_pos;
        f->key = NULL;
    }

    if (parent->last == NULL) {
        parent->first = node;
    } else {
        parent->last->next = node;
    }

    parent->last = node;
    parent->n++;

    return LB_OK;
}


static lb_int_t
lb_conf_yaml_count(lb_conf_reader_t *rd, lb_conf_node_t *node, uint32_t size)
{
    rd->total += size;

    if (rd->total > LB_CONF_YAML_NODES) {
        lb_conf_yaml_fail(rd, node->pos.line, node->pos.col,
                          "the document is too large: more than 1048576 "
                          "values once aliases are expanded");
        return LB_ERROR;
    }

    return LB_OK;
}


static lb_int_t
lb_conf_yaml_push(lb_conf_reader_t *rd, lb_conf_node_t *node,
    const yaml_mark_t *mark)
{
    lb_conf_frame_t  *f;

    if (rd->depth == LB_CONF_YAML_DEPTH) {
        lb_conf_yaml_fail(rd, mark->line + 1, mark->column + 1,
                          "syntax error: nesting deeper than 64 levels");
        return LB_ERROR;
    }

    f = &rd->stack[rd->depth++];
    f->node = node;
    f->key = NULL;

    return LB_OK;
}


static void
lb_conf_yaml_fail(lb_conf_reader_t *rd, unsigned line, unsigned col,
    const char *message)
{
    if (rd->err->message != NULL) {
        return;
    }

    rd->err->pos.line = line;
    rd->err->pos.col = col;
    rd->err->message = message;
}


static void
lb_conf_yaml_syntax(lb_conf_reader_t *rd, yaml_parser_t *p)
{
    size_t        i;
    unsigned      line, col;
    const char   *problem, *msg;

    problem = p->problem ? p->problem : "unknown error";

    if (p->error == YAML_READER_ERROR) {
        /* bad encoding: libyaml gives a byte offset, not a mark */
        line = 1;
        col = 1;
        for (i = 0; i < p->problem_offset && i < rd->len; i++) {
            if (rd->yaml[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char) rd->yaml[i] & 0xc0) != 0x80) {
                col++;
            }
        }

        msg = lb_psprintf(rd->pool, "syntax error: %s", problem);

    } else {
        line = p->problem_mark.line + 1;
        col = p->problem_mark.column + 1;

        if (p->context != NULL) {
            msg = lb_psprintf(rd->pool, "syntax error: %s (%s at %u:%u)",
                              problem, p->context,
                              (unsigned) p->context_mark.line + 1,
                              (unsigned) p->context_mark.column + 1);
        } else {
            msg = lb_psprintf(rd->pool, "syntax error: %s", problem);
        }
    }

    lb_conf_yaml_fail(rd, line, col, msg ? msg : "out of memory");
}


lb_conf_node_t *
lb_conf_node_get(const lb_conf_node_t *map, const char *key)
{
    lb_conf_node_t  *n;

    if (map == NULL || map->type != LB_CONF_NODE_MAP) {
        return NULL;
    }

    for (n = map->first; n != NULL; n = n->next) {
        if (strcmp(n->key, key) == 0) {
            return n;
        }
    }

    return NULL;
}


const char *
lb_conf_node_kind(const lb_conf_node_t *node)
{
    switch (node->type) {
    case LB_CONF_NODE_NULL:
        return "no value";
    case LB_CONF_NODE_SCALAR:
        return "a single value";
    case LB_CONF_NODE_MAP:
        return "a mapping";
    default:
        return "a list";
    }
}
