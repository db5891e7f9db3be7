/* weir: JSON request bodies through libyaml (JSON is YAML's flow style)
 * into the node tree, then the schema walker in strict mode.
 *
 * libyaml reads more than JSON, and some of it must not get through: a
 * lexical pass over the raw bytes first (lb_conf_json_scan) refuses what
 * YAML knows and JSON does not (comments, anchors, aliases, tags,
 * single-quoted and block strings, trailing commas, "key: value" inside
 * an array, a missing ',' or ':' (libyaml reads {"a" "b"} as a key
 * without a value), text after the object, a body cut short, raw control
 * bytes and YAML-only escapes in strings, \uD800-\uDFFF, which libyaml
 * cannot pair) and bounds the nesting before libyaml sees it, so a body
 * 10 000 levels deep costs one pass over its bytes and no recursion
 * anywhere; then a filter on libyaml's events
 * (lb_conf_json_event) wants keys and strings double-quoted, every bare
 * scalar a JSON number, true, false or null, and no empty value (libyaml
 * reads {"a"} and {"a":} as a null). What is left is JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "lb_conf_json.h"
#include "lb_conf_l7.h"
#include "lb_conf_schema.h"
#include "lb_palloc.h"

typedef struct {
    void                 *data;      /* OBJECT: the struct */
    void                 *items;     /* LIST: the array */
    uint32_t              n;
} lb_conf_json_box_t;

typedef struct {
    const char           *name;
    const lb_conf_object_t *object;  /* the wrapper: one required field */
    const lb_conf_object_t *parent;  /* the schema of the parent struct */
} lb_conf_json_wrapper_t;

/* the event filter's view of the nesting: is the next node a key? */
typedef struct {
    lb_pool_t            *pool;
    unsigned              depth;
    uint8_t               is_map[LB_CONF_JSON_DEPTH + 1];
    uint8_t               want_key[LB_CONF_JSON_DEPTH + 1];
} lb_conf_json_filter_t;

static lb_conf_obj_t *lb_conf_json_parent(lb_conf_cx_t *cx,
    const lb_conf_object_t *schema, const void *data);
static lb_int_t lb_conf_json_scan(const u_char *p, size_t len,
    size_t *at, const char **why);
static bool lb_conf_json_word(u_char c);
static lb_int_t lb_conf_json_event(void *ctx, const yaml_event_t *ev,
    lb_conf_read_error_t *err);
static bool lb_conf_json_number(const char *s, size_t len);
static lb_conf_pos_t lb_conf_json_pos(const u_char *p, size_t len,
    size_t at);
static size_t lb_conf_json_offset(const u_char *p, size_t len,
    lb_conf_pos_t pos);
static lb_int_t lb_conf_json_syntax(lb_pool_t *pool, const u_char *body,
    size_t len, lb_conf_pos_t pos, const char *what,
    lb_conf_json_error_t *err);

#define LB_CONF_JSON_WRAP(w, ty, o, list)                                    \
    static const lb_conf_field_t  lb_conf_json_##w##_fields[] = {           \
        { .key = #w, .type = ty,                                            \
          .off = list ? offsetof(lb_conf_json_box_t, items)                 \
                      : offsetof(lb_conf_json_box_t, data),                 \
          .count_off = offsetof(lb_conf_json_box_t, n),                     \
          .object = &o, .required = 1 },                                    \
        { NULL }                                                            \
    };                                                                      \
    static const lb_conf_object_t  lb_conf_json_##w##_object = {            \
        "request body", sizeof(lb_conf_json_box_t),                         \
        lb_conf_json_##w##_fields, NULL, NULL, LB_CONF_NO_POS, 1            \
    }

LB_CONF_JSON_WRAP(target_group, LB_CONF_OBJECT, lb_conf_target_group_object,
                  0);
LB_CONF_JSON_WRAP(member, LB_CONF_OBJECT, lb_conf_member_object, 0);
LB_CONF_JSON_WRAP(members, LB_CONF_LIST, lb_conf_member_object, 1);
LB_CONF_JSON_WRAP(health_monitor, LB_CONF_OBJECT,
                  lb_conf_health_monitor_object, 0);
LB_CONF_JSON_WRAP(load_balancer, LB_CONF_OBJECT, lb_conf_balancer_object, 0);
LB_CONF_JSON_WRAP(listener, LB_CONF_OBJECT, lb_conf_listener_object, 0);
LB_CONF_JSON_WRAP(l7policy, LB_CONF_OBJECT, lb_conf_l7_policy_object, 0);
LB_CONF_JSON_WRAP(rule, LB_CONF_OBJECT, lb_conf_l7_rule_object, 0);

static const lb_conf_json_wrapper_t  lb_conf_json_wrappers[] = {
    { "target_group",   &lb_conf_json_target_group_object,
                        &lb_conf_balancer_object },
    { "member",         &lb_conf_json_member_object,
                        &lb_conf_target_group_object },
    { "members",        &lb_conf_json_members_object,
                        &lb_conf_target_group_object },
    { "health_monitor", &lb_conf_json_health_monitor_object,
                        &lb_conf_target_group_object },
    { "load_balancer",  &lb_conf_json_load_balancer_object, NULL },
    { "listener",       &lb_conf_json_listener_object,
                        &lb_conf_balancer_object },
    { "l7policy",       &lb_conf_json_l7policy_object,
                        &lb_conf_listener_object },
    { "rule",           &lb_conf_json_rule_object,
                        &lb_conf_l7_policy_object },
    { NULL, NULL, NULL }
};


lb_int_t
lb_conf_json_parse(lb_pool_t *pool, const char *wrapper, const void *parent,
    const u_char *body, size_t len, size_t max, void **out, uint32_t *n,
    lb_conf_json_error_t *err)
{
    size_t                   at, i;
    uint32_t                 k;
    lb_int_t                 rc;
    const char              *why;
    lb_conf_cx_t             cx;
    lb_conf_obj_t           *root, *pobj;
    lb_conf_node_t          *node;
    lb_target_group_t       *tg;
    lb_conf_error_t         *e;
    lb_conf_json_box_t       box;
    lb_conf_read_error_t     rerr;
    lb_conf_json_filter_t    filter;
    const lb_conf_object_t  *schema, *pschema;

    schema = NULL;
    pschema = NULL;
    for (i = 0; lb_conf_json_wrappers[i].name != NULL; i++) {
        if (strcmp(lb_conf_json_wrappers[i].name, wrapper) == 0) {
            schema = lb_conf_json_wrappers[i].object;
            pschema = lb_conf_json_wrappers[i].parent;
            break;
        }
    }

    if (schema == NULL) {
        /* the caller named a resource this file does not know: a bug */
        fprintf(stderr, "weir: lb_conf_json_parse: no wrapper \"%s\"\n",
                wrapper);
        abort();
    }

    memset(err, 0, sizeof(lb_conf_json_error_t));
    err->field = "";
    err->pos.line = 1;
    err->pos.col = 1;
    *out = NULL;
    if (n != NULL) {
        *n = 0;
    }

    if (len > max) {
        err->code = 413;
        err->message = lb_psprintf(pool, "request body of %zu bytes; "
                                   "allowed: at most %zu", len, max);
        if (err->message == NULL) {
            err->code = 500;
            err->message = "out of memory";
        }
        return LB_ERROR;
    }

    if (lb_conf_json_scan(body, len, &at, &why) != LB_OK) {
        return lb_conf_json_syntax(pool, body, len,
                                   lb_conf_json_pos(body, len, at), why, err);
    }

    memset(&cx, 0, sizeof(lb_conf_cx_t));
    memset(&filter, 0, sizeof(lb_conf_json_filter_t));
    memset(&box, 0, sizeof(lb_conf_json_box_t));

    cx.pool = pool;
    cx.file = "request body";
    cx.strict = 1;
    cx.tmp = lb_create_pool(LB_POOL_DEFAULT_SIZE);

    if (cx.tmp == NULL
        || lb_array_init(&cx.errors, cx.tmp, 4, sizeof(lb_conf_error_t))
           != LB_OK)
    {
        lb_destroy_pool(cx.tmp);
        err->code = 500;
        err->message = "out of memory";
        return LB_ERROR;
    }

    filter.pool = cx.tmp;

    node = lb_conf_yaml_read_filtered(cx.tmp, (const char *) body, len,
                                      lb_conf_json_event, &filter, &rerr);
    if (node == NULL) {
        rc = lb_conf_json_syntax(pool, body, len, rerr.pos, rerr.message,
                                 err);
        lb_destroy_pool(cx.tmp);
        return rc;
    }

    pobj = NULL;
    if (parent != NULL && pschema != NULL) {
        pobj = lb_conf_json_parent(&cx, pschema, parent);
    }

    root = NULL;
    if (!cx.nomem) {
        root = lb_conf_walk(&cx, schema, node, &box, pobj, NULL,
                            LB_CONF_NO_INDEX);
    }

    if (root != NULL && lb_conf_ok(root, schema->fields[0].key)) {
        if (strcmp(wrapper, "members") == 0) {
            lb_conf_check_members(&cx, root);

        } else if (strcmp(wrapper, "target_group") == 0) {
            lb_conf_check_members(&cx, lb_conf_child(root, "target_group",
                                                     0));
        }
    }

    if (cx.nomem || root == NULL) {
        lb_destroy_pool(cx.tmp);
        err->code = 500;
        err->message = "out of memory";
        return LB_ERROR;
    }

    if (cx.errors.nelts > 0) {
        /* the first found (the walker's order, not the body's): the
         * wrong wrapper before the missing one, an object's fields
         * before the rules between them */
        e = cx.errors.elts;

        err->code = 400;
        err->pos = e[0].pos;
        err->field = lb_pstrdup(pool, e[0].path);
        err->message = lb_pstrdup(pool, e[0].message);

        lb_destroy_pool(cx.tmp);

        if (err->field == NULL || err->message == NULL) {
            err->field = "";
            err->code = 500;
            err->message = "out of memory";
        }

        return LB_ERROR;
    }

    lb_destroy_pool(cx.tmp);

    if (strcmp(wrapper, "members") == 0) {
        *out = box.items;
        if (n != NULL) {
            *n = box.n;
        }
        return LB_OK;
    }

    if (strcmp(wrapper, "target_group") == 0) {
        /* the back-pointers lb_conf_check() sets for the file */
        tg = box.data;
        for (k = 0; k < tg->ntargets; k++) {
            tg->targets[k].group = tg;
            tg->targets[k].index = k;
        }
    }

    *out = box.data;
    if (n != NULL) {
        *n = 1;
    }

    return LB_OK;
}


/* The running object the body goes into, as a record the rules can ask
 * (lb_conf_up, lb_conf_ok): every field valid, no children, no path (so
 * the body's paths start at the wrapper's key). */
static lb_conf_obj_t *
lb_conf_json_parent(lb_conf_cx_t *cx, const lb_conf_object_t *schema,
    const void *data)
{
    uint32_t        i, n;
    lb_conf_obj_t  *obj;

    for (n = 0; schema->fields[n].key != NULL; n++) { /* void */ }

    obj = lb_pcalloc(cx->tmp, sizeof(lb_conf_obj_t));
    if (obj == NULL) {
        cx->nomem = 1;
        return NULL;
    }

    obj->nodes = lb_pcalloc(cx->tmp, n * sizeof(lb_conf_node_t *));
    obj->states = lb_pcalloc(cx->tmp, n * sizeof(lb_conf_state_e));
    obj->kids = lb_pcalloc(cx->tmp, n * sizeof(lb_conf_kids_t));

    if (obj->nodes == NULL || obj->states == NULL || obj->kids == NULL) {
        cx->nomem = 1;
        return NULL;
    }

    for (i = 0; i < n; i++) {
        obj->states[i] = LB_CONF_SET;
    }

    obj->schema = schema;
    obj->data = (void *) data;    /* the rules only read a parent */
    obj->path = "";
    obj->pos.line = 1;
    obj->pos.col = 1;
    obj->index = LB_CONF_NO_INDEX;

    return obj;
}


/* The lexical pass. Outside strings only JSON's structure, numbers and
 * literals; inside, no raw control byte and only JSON's escapes. Returns
 * LB_ERROR with the byte offset and the reason. */
static lb_int_t
lb_conf_json_scan(const u_char *p, size_t len, size_t *at, const char **why)
{
    size_t    i, k;
    u_char    c, last;
    unsigned  depth, code;
    bool      done;
    uint8_t   stack[LB_CONF_JSON_DEPTH];

    depth = 0;
    done = false;
    last = '\0';   /* the last significant byte: '"' after a string */

    for (i = 0; i < len; i++) {
        c = p[i];
        *at = i;

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        }

        if (done) {
            *why = "text after the JSON object; the body is one object";
            return LB_ERROR;
        }

        if (last == '\0' && c != '{') {
            *why = "the body is not a JSON object";
            return LB_ERROR;
        }

        /* a value starts: after a key it needs ':', after a value ','
         * (libyaml would read {"a" "b"} as {"a": null, "b": ...}) */
        if ((c == '{' || c == '[' || c == '"' || lb_conf_json_word(c))
            && (last == '"' || last == '}' || last == ']'
                || (last == 'v' && !lb_conf_json_word(p[i - 1]))))
        {
            *why = "a ',' or ':' is missing before this value";
            return LB_ERROR;
        }

        switch (c) {

        case '{':
        case '[':
            if (depth == LB_CONF_JSON_DEPTH) {
                *why = "nesting deeper than 32 levels";
                return LB_ERROR;
            }
            stack[depth++] = c;
            break;

        case '}':
        case ']':
            if (depth == 0 || stack[depth - 1] != (c == '}' ? '{' : '[')) {
                *why = (c == '}') ? "'}' where the open array needs ']'"
                                  : "']' where the open object needs '}'";
                return LB_ERROR;
            }
            if (last == ',') {
                *why = "a trailing comma is not JSON";
                return LB_ERROR;
            }
            done = (--depth == 0);
            break;

        case ',':
            if (last == '{' || last == '[' || last == ',' || last == ':') {
                *why = "a value is missing before ','";
                return LB_ERROR;
            }
            break;

        case ':':
            if (depth == 0 || stack[depth - 1] != '{' || last != '"') {
                *why = "':' is allowed only after a key in an object";
                return LB_ERROR;
            }
            break;

        case '"':
            for (i++; i < len && p[i] != '"'; i++) {
                *at = i;

                if (p[i] < 0x20) {
                    *why = "a control character in a string must be "
                           "escaped";
                    return LB_ERROR;
                }

                /* a raw U+0085 (NEL) is a line break to libyaml, which
                 * reads the body: it would be folded into a space (found
                 * by fuzz_conf_json); escaped it is kept */
                if (p[i] == 0xc2 && i + 1 < len && p[i + 1] == 0x85) {
                    *why = "a raw U+0085 in a string must be escaped "
                           "(\\u0085)";
                    return LB_ERROR;
                }

                if (p[i] != '\\') {
                    continue;
                }

                if (++i == len) {
                    break;
                }

                if (strchr("\"\\/bfnrt", p[i]) != NULL && p[i] != '\0') {
                    continue;
                }

                if (p[i] != 'u') {
                    *why = "an escape that JSON does not have; allowed: "
                           "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX";
                    return LB_ERROR;
                }

                code = 0;
                for (k = 1; k <= 4; k++) {
                    if (i + k >= len) {
                        break;
                    }
                    c = p[i + k];
                    if (c >= '0' && c <= '9') {
                        code = code * 16 + (c - '0');
                    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                        code = code * 16 + ((c | 0x20) - 'a' + 10);
                    } else {
                        break;
                    }
                }

                if (k <= 4) {
                    /* cut short by the end: libyaml says so below */
                    if (i + k >= len) {
                        i = len;
                        break;
                    }
                    *why = "\\u must be followed by 4 hexadecimal digits";
                    return LB_ERROR;
                }

                if (code >= 0xd800 && code <= 0xdfff) {
                    /* libyaml refuses each half of a pair */
                    *why = "\\uD800..\\uDFFF (UTF-16 surrogates) are not "
                           "accepted; write the character as UTF-8";
                    return LB_ERROR;
                }

                i += 4;
            }

            if (i >= len) {
                *at = len;
                *why = "the body ends inside a string";
                return LB_ERROR;
            }

            c = '"';
            break;

        case '#':
            *why = "a comment is not JSON";
            return LB_ERROR;

        case '&':
        case '*':
            *why = "YAML anchors and aliases are not JSON";
            return LB_ERROR;

        case '!':
            *why = "YAML tags are not JSON";
            return LB_ERROR;

        case '\'':
            *why = "strings are written in double quotes";
            return LB_ERROR;

        default:
            if (lb_conf_json_word(c)) {
                /* numbers and literals: the event filter judges them */
                c = 'v';
                break;
            }
            *why = "a character that is not JSON outside a string";
            return LB_ERROR;
        }

        last = c;
    }

    if (last == '\0') {
        *at = 0;
        *why = "the body is empty; expected a JSON object";
        return LB_ERROR;
    }

    if (!done) {
        *at = len;
        *why = "the body ends before the JSON object is closed";
        return LB_ERROR;
    }

    return LB_OK;
}


/* a byte of a bare number or literal; the event filter judges the word */
static bool
lb_conf_json_word(u_char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.'
           || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


static lb_int_t
lb_conf_json_event(void *ctx, const yaml_event_t *ev,
    lb_conf_read_error_t *err)
{
    bool                    key;
    const char             *v, *why;
    size_t                  len;
    lb_conf_json_filter_t  *f;

    f = ctx;
    why = NULL;
    key = false;

    switch (ev->type) {

    case YAML_SCALAR_EVENT:
    case YAML_ALIAS_EVENT:
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (f->depth > 0 && f->is_map[f->depth - 1]) {
            key = f->want_key[f->depth - 1];
            f->want_key[f->depth - 1] = !key;
        }
        break;

    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        if (f->depth > 0) {
            f->depth--;
        }
        return LB_OK;

    default:
        return LB_OK;
    }

    switch (ev->type) {

    case YAML_ALIAS_EVENT:
        why = "YAML aliases are not JSON";
        break;

    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (key) {
            why = "an object key must be a string";

        } else if ((ev->type == YAML_MAPPING_START_EVENT
                    ? ev->data.mapping_start.style
                      != YAML_FLOW_MAPPING_STYLE
                    : ev->data.sequence_start.style
                      != YAML_FLOW_SEQUENCE_STYLE)
                   || (ev->type == YAML_MAPPING_START_EVENT
                       ? ev->data.mapping_start.anchor != NULL
                         || ev->data.mapping_start.tag != NULL
                       : ev->data.sequence_start.anchor != NULL
                         || ev->data.sequence_start.tag != NULL))
        {
            why = "only JSON's {...} and [...] are accepted";

        } else if (f->depth == LB_CONF_JSON_DEPTH) {
            why = "nesting deeper than 32 levels";

        } else {
            f->is_map[f->depth] = (ev->type == YAML_MAPPING_START_EVENT);
            f->want_key[f->depth] = 1;
            f->depth++;
        }
        break;

    default:
        v = (const char *) ev->data.scalar.value;
        len = ev->data.scalar.length;

        if (ev->data.scalar.anchor != NULL || ev->data.scalar.tag != NULL) {
            why = "YAML anchors and tags are not JSON";

        } else if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
        {
            if (key && strlen(v) != len) {
                why = "an object key contains a NUL character";
            }

        } else if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
            why = "strings are written in double quotes";

        } else if (key) {
            why = "an object key must be a string in double quotes";

        } else if (len == 0) {
            why = "a value is missing";

        } else if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0
                   && strcmp(v, "null") != 0
                   && !lb_conf_json_number(v, len))
        {
            why = lb_psprintf(f->pool, "%.40s%s is not a JSON value "
                              "(a string needs double quotes)", v,
                              len > 40 ? "..." : "");
            if (why == NULL) {
                why = "out of memory";
            }
        }
        break;
    }

    if (why == NULL) {
        return LB_OK;
    }

    err->pos.line = ev->start_mark.line + 1;
    err->pos.col = ev->start_mark.column + 1;
    err->message = why;

    return LB_ERROR;
}


/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static bool
lb_conf_json_number(const char *s, size_t len)
{
    size_t  i, d;

    i = 0;

    if (i < len && s[i] == '-') {
        i++;
    }

    if (i < len && s[i] == '0') {
        i++;
    } else {
        for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++) { }
        if (i == d) {
            return false;
        }
    }

    if (i < len && s[i] == '.') {
        for (d = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++) { }
        if (i == d) {
            return false;
        }
    }

    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++) { }
        if (i == d) {
            return false;
        }
    }

    return i == len;
}


/* line:col of byte offset at, counted as libyaml counts (characters) */
static lb_conf_pos_t
lb_conf_json_pos(const u_char *p, size_t len, size_t at)
{
    size_t         i;
    lb_conf_pos_t  pos;

    pos.line = 1;
    pos.col = 1;

    for (i = 0; i < at && i < len; i++) {
        if (p[i] == '\n') {
            pos.line++;
            pos.col = 1;
        } else if ((p[i] & 0xc0) != 0x80) {
            pos.col++;
        }
    }

    return pos;
}


/* the byte offset of line:col (the inverse of lb_conf_json_pos) */
static size_t
lb_conf_json_offset(const u_char *p, size_t len, lb_conf_pos_t pos)
{
    size_t         i;
    lb_conf_pos_t  cur;

    cur.line = 1;
    cur.col = 1;

    for (i = 0; i < len; i++) {
        if ((p[i] & 0xc0) == 0x80) {
            continue;
        }

        if (cur.line == pos.line && cur.col == pos.col) {
            return i;
        }

        if (p[i] == '\n') {
            cur.line++;
            cur.col = 1;
        } else {
            cur.col++;
        }
    }

    return len;
}


/* "syntax error at 1:9 (byte 8): what"; what may start with the YAML
 * reader's own "syntax error: " */
static lb_int_t
lb_conf_json_syntax(lb_pool_t *pool, const u_char *body, size_t len,
    lb_conf_pos_t pos, const char *what, lb_conf_json_error_t *err)
{
    static const char  prefix[] = "syntax error: ";

    if (what == NULL || strcmp(what, "out of memory") == 0) {
        err->code = 500;
        err->message = "out of memory";
        return LB_ERROR;
    }

    if (strncmp(what, prefix, sizeof(prefix) - 1) == 0) {
        what += sizeof(prefix) - 1;
    }

    err->code = 400;
    err->pos = pos;
    err->message = lb_psprintf(pool, "syntax error at %u:%u (byte %zu): %s",
                               pos.line, pos.col,
                               lb_conf_json_offset(body, len, pos), what);
    if (err->message == NULL) {
        err->code = 500;
        err->message = "out of memory";
    }

    return LB_ERROR;
}

