/* weir: the schema walker. Applies a table of lb_conf_field_t to a node
 * tree: finds unknown and repeated keys, converts and range-checks values,
 * admits a field only for the values of the field it depends on (the
 * `only` column), reports missing required fields, merges defaults (the
 * one place where they are filled in) and runs the object's rule function.
 * It knows nothing of YAML. Also here, for other readers of the tables:
 * whether a field applies to a struct, and the walk over the fields that
 * name a health check (lb_conf_identity). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_conf_schema.h"
#include "lb_palloc.h"

static void lb_conf_walk_field(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    uint32_t i);
static void lb_conf_walk_nested(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    uint32_t i);
static lb_int_t lb_conf_kid(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    uint32_t i, lb_conf_obj_t *child);
static lb_int_t lb_conf_walk_scalar(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    uint32_t i);
static lb_int_t lb_conf_walk_names(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    uint32_t i);
static lb_int_t lb_conf_walk_kind(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    uint32_t i);
static void lb_conf_walk_default(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    uint32_t i);
static const char *lb_conf_allowed(lb_conf_cx_t *cx, const lb_conf_field_t *f);
static const char *lb_conf_keys(lb_conf_cx_t *cx,
    const lb_conf_object_t *schema);
static const char *lb_conf_because(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
static lb_int_t lb_conf_number(const char *s, int64_t *out);
static void lb_conf_store_number(const lb_conf_field_t *f, char *p,
    int64_t num);
static const lb_conf_field_t *lb_conf_depends(const lb_conf_object_t *schema,
    const lb_conf_field_t *f);
static bool lb_conf_only_has(const lb_conf_field_t *f,
    const lb_conf_field_t *d, unsigned i);
static const char *lb_conf_item_name(lb_conf_cx_t *cx,
    const lb_conf_object_t *schema, const lb_conf_node_t *node);
static void lb_conf_verror(lb_conf_cx_t *cx, lb_conf_pos_t pos,
    const char *path, const char *fmt, va_list ap);


lb_conf_obj_t *
lb_conf_walk(lb_conf_cx_t *cx, const lb_conf_object_t *schema,
    const lb_conf_node_t *node, void *data, lb_conf_obj_t *parent,
    const char *key, uint32_t index)
{
    bool                    nested, bad;
    uint32_t                i, n, pass;
    const char             *name, *ppath;
    lb_conf_obj_t          *obj;
    lb_conf_node_t         *m;
    const lb_conf_field_t  *f;

    for (n = 0; schema->fields[n].key != NULL; n++) { /* void */ }

    obj = lb_pcalloc(cx->tmp, sizeof(lb_conf_obj_t));
    if (obj == NULL) {
        goto nomem;
    }

    obj->nodes = lb_pcalloc(cx->tmp, n * sizeof(lb_conf_node_t *));
    obj->states = lb_pcalloc(cx->tmp, n * sizeof(lb_conf_state_e));
    obj->kids = lb_pcalloc(cx->tmp, n * sizeof(lb_conf_kids_t));

    if (data == NULL) {
        data = lb_pcalloc(cx->pool, schema->size);
    }

    if (obj->nodes == NULL || obj->states == NULL || obj->kids == NULL
        || data == NULL)
    {
        goto nomem;
    }

    obj->schema = schema;
    obj->data = data;
    obj->node = node;
    obj->parent = parent;
    obj->index = index;

    if (node != NULL) {
        obj->pos = node->pos;
    } else if (parent != NULL) {
        obj->pos = parent->pos;
    } else {
        obj->pos.line = 1;
        obj->pos.col = 1;
    }

    /* the path: names of list items where known, else their index */
    ppath = parent ? parent->path : "";

    if (key == NULL) {
        obj->path = "";

    } else if (index == LB_CONF_NO_INDEX) {
        obj->path = *ppath ? lb_psprintf(cx->tmp, "%s.%s", ppath, key)
                           : key;
    } else {
        name = lb_conf_item_name(cx, schema, node);
        obj->path = lb_psprintf(cx->tmp, "%s%s%s[%s]", ppath,
                                *ppath ? "." : "", key,
                                name ? name
                                     : lb_psprintf(cx->tmp, "%u", index));
    }

    if (obj->path == NULL) {
        goto nomem;
    }

    if (schema->pos_off != LB_CONF_NO_POS) {
        memcpy((char *) data + schema->pos_off, &obj->pos,
               sizeof(lb_conf_pos_t));
    }

    bad = false;

    if (node != NULL && node->type != LB_CONF_NODE_MAP) {
        lb_conf_error_at(cx, node->pos, obj->path,
                         "expected a mapping of %s fields, found %s",
                         schema->what, lb_conf_node_kind(node));
        bad = true;
        obj->node = NULL;
    }

    if (!bad && node != NULL) {
        for (m = node->first; m != NULL; m = m->next) {

            for (i = 0; i < n; i++) {
                if (strcmp(schema->fields[i].key, m->key) == 0) {
                    break;
                }
            }

            if (i == n) {
                lb_conf_error_at(cx, m->key_pos,
                                 lb_conf_path(cx, obj, m->key),
                                 "unknown field %s; allowed: %s",
                                 lb_conf_quote(cx, m->key),
                                 lb_conf_keys(cx, schema));
                continue;
            }

            if (obj->nodes[i] != NULL) {
                lb_conf_error_at(cx, m->key_pos, lb_conf_path(cx, obj, m->key),
                                 "written twice (first at %u:%u); a field "
                                 "is written once",
                                 obj->nodes[i]->key_pos.line,
                                 obj->nodes[i]->key_pos.col);
                continue;
            }

            obj->nodes[i] = m;
        }
    }

    /* plain fields first, then those whose admission depends on them,
     * then nested objects, which may look at all of their parent */
    for (pass = 0; pass < 3; pass++) {
        for (i = 0; i < n; i++) {
            f = &schema->fields[i];
            nested = (f->type == LB_CONF_OBJECT || f->type == LB_CONF_INLINE
                      || f->type == LB_CONF_LIST);

            if ((pass == 0 && !nested && f->depends == NULL)
                || (pass == 1 && !nested && f->depends != NULL)
                || (pass == 2 && nested))
            {
                if (bad && f->required) {
                    /* the mapping was not one: no noise about its fields */
                    obj->states[i] = LB_CONF_BAD;
                    continue;
                }

                lb_conf_walk_field(cx, obj, i);
            }
        }
    }

    if (schema->rule != NULL && !bad) {
        schema->rule(cx, obj);
    }

    return obj;

nomem:

    cx->nomem = 1;
    return NULL;
}


static void
lb_conf_walk_field(lb_conf_cx_t *cx, lb_conf_obj_t *obj, uint32_t i)
{
    const char             *reason;
    const lb_conf_node_t   *v;
    const lb_conf_field_t  *f;

    f = &obj->schema->fields[i];
    v = obj->nodes[i];

    if (f->depends != NULL && !lb_conf_ok(obj, f->depends)) {
        /* a field this one depends on is invalid and already reported */
        obj->states[i] = LB_CONF_UNKNOWN;
        return;
    }

    reason = lb_conf_only_reason(cx->tmp, obj->schema, f, obj->data);

    if (reason != NULL) {
        if (v != NULL) {
            lb_conf_error(cx, obj, f->key, "not allowed here: %s%s",
                          reason, lb_conf_because(cx, obj, f));
            obj->states[i] = LB_CONF_BAD;
        }
        return;
    }

    if (v == NULL) {
        if (f->required) {
            lb_conf_error(cx, obj, f->key, "missing; required%s",
                          lb_conf_because(cx, obj, f));
            obj->states[i] = LB_CONF_BAD;
            return;
        }

        lb_conf_walk_default(cx, obj, i);
        return;
    }

    if (v->type == LB_CONF_NODE_NULL) {
        lb_conf_error(cx, obj, f->key, "no value; allowed: %s",
                      lb_conf_allowed(cx, f));
        obj->states[i] = LB_CONF_BAD;
        return;
    }

    switch (f->type) {

    case LB_CONF_OBJECT:
    case LB_CONF_INLINE:
    case LB_CONF_LIST:
        lb_conf_walk_nested(cx, obj, i);
        return;

    case LB_CONF_NAMES:
        obj->states[i] = (lb_conf_walk_names(cx, obj, i) == LB_OK)
                         ? LB_CONF_SET : LB_CONF_BAD;
        return;

    default:
        if (v->type != LB_CONF_NODE_SCALAR) {
            lb_conf_error(cx, obj, f->key, "expected a single value, found "
                          "%s; allowed: %s", lb_conf_node_kind(v),
                          lb_conf_allowed(cx, f));
            obj->states[i] = LB_CONF_BAD;
            return;
        }

        obj->states[i] = (lb_conf_walk_scalar(cx, obj, i) == LB_OK)
                         ? LB_CONF_SET : LB_CONF_BAD;
        return;
    }
}


/* a list of distinct words of f->names, min..max of them */
static void
lb_conf_walk_nested(lb_conf_cx_t *cx, lb_conf_obj_t *obj, uint32_t i)
{
    char                   *arr;
    uint32_t                k;
    lb_conf_obj_t          *child, **items;
    const lb_conf_node_t   *v, *item;
    const lb_conf_field_t  *f;

    f = &obj->schema->fields[i];
    v = obj->nodes[i];

    if (f->type == LB_CONF_LIST) {

        if (v->type != LB_CONF_NODE_LIST) {
            lb_conf_error(cx, obj, f->key, "expected a list of %ss, found %s",
                          f->object->what, lb_conf_node_kind(v));
            obj->states[i] = LB_CONF_BAD;
            return;
        }

        arr = NULL;
        items = NULL;

        if (v->n > 0) {
            arr = lb_pcalloc(cx->pool, v->n * f->object->size);
            items = lb_pcalloc(cx->tmp, v->n * sizeof(lb_conf_obj_t *));
            if (arr == NULL || items == NULL) {
                cx->nomem = 1;
                return;
            }
        }

        memcpy((char *) obj->data + f->off, &arr, sizeof(char *));
        memcpy((char *) obj->data + f->count_off, &v->n, sizeof(uint32_t));

        obj->kids[i].items = items;
        obj->kids[i].n = v->n;
        obj->states[i] = LB_CONF_SET;

        for (item = v->first, k = 0; item != NULL; item = item->next, k++) {
            items[k] = lb_conf_walk(cx, f->object, item,
                                    arr + k * f->object->size, obj, f->key,
                                    k);
            if (items[k] == NULL) {
                return;
            }
        }

        return;
    }

    if (v->type != LB_CONF_NODE_MAP) {
        lb_conf_error(cx, obj, f->key, "expected a mapping of %s fields, "
                      "found %s", f->object->what, lb_conf_node_kind(v));
        obj->states[i] = LB_CONF_BAD;
        return;
    }

    child = lb_conf_walk(cx, f->object, v,
                         f->type == LB_CONF_INLINE
                         ? (char *) obj->data + f->off : NULL,
                         obj, f->key, LB_CONF_NO_INDEX);
    if (child == NULL) {
        return;
    }

    if (f->type == LB_CONF_OBJECT) {
        memcpy((char *) obj->data + f->off, &child->data, sizeof(void *));
    }

    if (lb_conf_kid(cx, obj, i, child) != LB_OK) {
        return;
    }

    obj->states[i] = LB_CONF_SET;
}


/* the single child of an OBJECT or INLINE field */
static lb_int_t
lb_conf_kid(lb_conf_cx_t *cx, lb_conf_obj_t *obj, uint32_t i,
    lb_conf_obj_t *child)
{
    obj->kids[i].items = lb_palloc(cx->tmp, sizeof(lb_conf_obj_t *));
    if (obj->kids[i].items == NULL) {
        cx->nomem = 1;
        return LB_ERROR;
    }

    obj->kids[i].items[0] = child;
    obj->kids[i].n = 1;

    return LB_OK;
}


static lb_int_t
lb_conf_walk_scalar(lb_conf_cx_t *cx, lb_conf_obj_t *obj, uint32_t i)
{
    int                     e;
    char                   *p, *s;
    int64_t                 num;
    size_t                  len, min;
    const char             *msg, *text;
    const lb_conf_node_t   *v;
    const lb_conf_field_t  *f;

    f = &obj->schema->fields[i];
    v = obj->nodes[i];
    p = (char *) obj->data + f->off;
    text = v->value;

    if (lb_conf_walk_kind(cx, obj, i) != LB_OK) {
        return LB_ERROR;
    }

    switch (f->type) {

    case LB_CONF_STRING:
        len = v->len;
        min = f->min > 0 ? (size_t) f->min : 1;

        if (len < min) {
            lb_conf_error(cx, obj, f->key, "%s is too short (%zu character%s);"
                          " allowed: %s", lb_conf_quote(cx, text), len,
                          len == 1 ? "" : "s", lb_conf_allowed(cx, f));
            return LB_ERROR;
        }

        if (f->max > 0 && len > (size_t) f->max) {
            lb_conf_error(cx, obj, f->key, "%s is too long (%zu characters);"
                          " allowed: %s", lb_conf_quote(cx, text), len,
                          lb_conf_allowed(cx, f));
            return LB_ERROR;
        }

        s = lb_pstrndup(cx->pool, text, len);
        if (s == NULL) {
            cx->nomem = 1;
            return LB_ERROR;
        }

        memcpy(p, &s, sizeof(char *));
        break;

    case LB_CONF_UINT:
    case LB_CONF_INT:
    case LB_CONF_SECONDS:
        if (f->auto_name != NULL && strcmp(text, f->auto_name) == 0) {
            num = 0;     /* the field's check hook resolves it */

        } else if (lb_conf_number(text, &num) != LB_OK)
        {
            lb_conf_error(cx, obj, f->key, "%s is not a number; allowed: %s",
                          lb_conf_quote(cx, text), lb_conf_allowed(cx, f));
            return LB_ERROR;

        } else if (num < f->min || num > f->max) {
            lb_conf_error(cx, obj, f->key, "%s is out of range; allowed: %s",
                          text, lb_conf_allowed(cx, f));
            return LB_ERROR;
        }

        lb_conf_store_number(f, p, num);
        break;

    case LB_CONF_BOOL:
        if (strcmp(text, "true") == 0) {
            *(bool *) p = true;
        } else if (strcmp(text, "false") == 0) {
            *(bool *) p = false;
        } else {
            lb_conf_error(cx, obj, f->key, "%s is not a boolean; allowed: "
                          "true, false", lb_conf_quote(cx, text));
            return LB_ERROR;
        }
        break;

    case LB_CONF_ENUM:
        for (e = 0; f->names[e] != NULL; e++) {
            if (strcmp(f->names[e], text) == 0) {
                break;
            }
        }

        if (f->names[e] == NULL) {
            lb_conf_error(cx, obj, f->key, "%s is not a valid value; "
                          "allowed: %s", lb_conf_quote(cx, text),
                          lb_conf_allowed(cx, f));
            return LB_ERROR;
        }

        if (f->values != NULL) {
            e = f->values[e];
        }

        memcpy(p, &e, sizeof(int));
        break;

    default:
        return LB_ERROR;
    }

    if (f->check != NULL) {
        msg = f->check(cx, obj, f);
        if (msg != NULL) {
            lb_conf_error(cx, obj, f->key, "%s", msg);
            return LB_ERROR;
        }
    }

    return LB_OK;
}


/* A list of names ([h2, http/1.1]): each one of the table's, none twice,
 * min..max of them; stored as their indexes in the order written (an
 * order of preference where it matters) and their count. Errors point at
 * the offending item. */
static lb_int_t
lb_conf_walk_names(lb_conf_cx_t *cx, lb_conf_obj_t *obj, uint32_t i)
{
    int                     e;
    uint8_t                *idx;
    uint32_t                min, max, k, j;
    const char             *msg, *path;
    const lb_conf_node_t   *v, *item;
    const lb_conf_field_t  *f;

    f = &obj->schema->fields[i];
    v = obj->nodes[i];
    path = lb_conf_path(cx, obj, f->key);
    min = f->min > 0 ? (uint32_t) f->min : 1;
    max = (uint32_t) f->max;
    idx = (uint8_t *) obj->data + f->off;

    if (v->type != LB_CONF_NODE_LIST) {
        lb_conf_error(cx, obj, f->key, "expected a list, found %s; "
                      "allowed: %s", lb_conf_node_kind(v),
                      lb_conf_allowed(cx, f));
        return LB_ERROR;
    }

    if (v->n < min || v->n > max) {
        lb_conf_error(cx, obj, f->key, "%u value%s given; allowed: %s",
                      (unsigned) v->n, v->n == 1 ? "" : "s",
                      lb_conf_allowed(cx, f));
        return LB_ERROR;
    }

    for (item = v->first, k = 0; item != NULL; item = item->next, k++) {
        if (item->type != LB_CONF_NODE_SCALAR
            || strlen(item->value) != item->len
            || (cx->strict && !item->quoted))
        {
            lb_conf_error_at(cx, item->pos, path, "expected a name, found "
                             "%s; allowed: %s",
                             item->type != LB_CONF_NODE_SCALAR
                             ? lb_conf_node_kind(item)
                             : item->quoted ? lb_conf_quote(cx, item->value)
                                            : item->value,
                             lb_conf_allowed(cx, f));
            return LB_ERROR;
        }

        for (e = 0; f->names[e] != NULL; e++) {
            if (strcmp(f->names[e], item->value) == 0) {
                break;
            }
        }

        if (f->names[e] == NULL) {
            lb_conf_error_at(cx, item->pos, path, "%s is not a valid value; "
                             "allowed: %s", lb_conf_quote(cx, item->value),
                             lb_conf_allowed(cx, f));
            return LB_ERROR;
        }

        for (j = 0; j < k; j++) {
            if (idx[j] == e) {
                lb_conf_error_at(cx, item->pos, path, "%s is given twice; "
                                 "a value is given once",
                                 lb_conf_quote(cx, item->value));
                return LB_ERROR;
            }
        }

        idx[k] = (uint8_t) e;
    }

    memcpy((char *) obj->data + f->count_off, &k, sizeof(uint32_t));

    if (f->check != NULL) {
        msg = f->check(cx, obj, f);
        if (msg != NULL) {
            lb_conf_error(cx, obj, f->key, "%s", msg);
            return LB_ERROR;
        }
    }

    return LB_OK;
}


/* A NUL inside a value ("\0" in YAML, "\u0000" in JSON) would cut it
 * short in every C string it is copied to: never valid. In strict mode
 * (JSON) the scalar's kind must fit the field: a string for strings and
 * names, a bare number or true/false otherwise. */
static lb_int_t
lb_conf_walk_kind(lb_conf_cx_t *cx, lb_conf_obj_t *obj, uint32_t i)
{
    const lb_conf_node_t   *v;
    const lb_conf_field_t  *f;

    f = &obj->schema->fields[i];
    v = obj->nodes[i];

    if (strlen(v->value) != v->len) {
        lb_conf_error(cx, obj, f->key, "%s contains a NUL character at "
                      "byte %zu; allowed: %s", lb_conf_quote(cx, v->value),
                      strlen(v->value), lb_conf_allowed(cx, f));
        return LB_ERROR;
    }

    if (!cx->strict) {
        return LB_OK;
    }

    switch (f->type) {

    case LB_CONF_STRING:
    case LB_CONF_ENUM:
        if (!v->quoted) {
            lb_conf_error(cx, obj, f->key, "expected a string, found %s; "
                          "allowed: %s", v->value, lb_conf_allowed(cx, f));
            return LB_ERROR;
        }
        return LB_OK;

    case LB_CONF_BOOL:
        if (v->quoted) {
            lb_conf_error(cx, obj, f->key, "expected true or false, found "
                          "the string %s", lb_conf_quote(cx, v->value));
            return LB_ERROR;
        }
        return LB_OK;

    default:
        if (v->quoted
            && (f->auto_name == NULL || strcmp(v->value, f->auto_name) != 0))
        {
            lb_conf_error(cx, obj, f->key, "expected a number, found the "
                          "string %s; allowed: %s",
                          lb_conf_quote(cx, v->value),
                          lb_conf_allowed(cx, f));
            return LB_ERROR;
        }
        return LB_OK;
    }
}


static void
lb_conf_walk_default(lb_conf_cx_t *cx, lb_conf_obj_t *obj, uint32_t i)
{
    int                     e;
    uint32_t                k;
    char                   *p, *s;
    const char             *msg;
    lb_conf_obj_t          *child;
    const lb_conf_field_t  *f;

    f = &obj->schema->fields[i];
    p = (char *) obj->data + f->off;

    if (f->type == LB_CONF_INLINE) {
        child = lb_conf_walk(cx, f->object, NULL, p, obj, f->key,
                             LB_CONF_NO_INDEX);
        if (child != NULL && lb_conf_kid(cx, obj, i, child) == LB_OK) {
            obj->states[i] = LB_CONF_DEFAULT;
        }
        return;
    }

    if (f->def_fn != NULL) {
        f->def_fn(cx, obj, f);

    } else if (f->type == LB_CONF_STRING && f->def_str != NULL) {
        s = lb_pstrdup(cx->pool, f->def_str);
        if (s == NULL) {
            cx->nomem = 1;
            return;
        }
        memcpy(p, &s, sizeof(char *));

    } else if (!f->has_def) {
        return;

    } else {
        switch (f->type) {
        case LB_CONF_UINT:
        case LB_CONF_INT:
        case LB_CONF_SECONDS:
            lb_conf_store_number(f, p, f->def);
            break;
        case LB_CONF_BOOL:
            *(bool *) p = (f->def != 0);
            break;
        case LB_CONF_ENUM:
            e = f->values ? f->values[f->def] : (int) f->def;
            memcpy(p, &e, sizeof(int));
            break;
        case LB_CONF_NAMES:
            /* the default's names in table order */
            for (e = 0, k = 0; f->names[e] != NULL; e++) {
                if ((uint64_t) f->def & LB_CONF_BIT(e)) {
                    ((uint8_t *) p)[k++] = (uint8_t) e;
                }
            }
            memcpy((char *) obj->data + f->count_off, &k, sizeof(uint32_t));
            break;
        default:
            return;
        }
    }

    obj->states[i] = LB_CONF_DEFAULT;

    if (f->check != NULL) {
        msg = f->check(cx, obj, f);
        if (msg != NULL) {
            lb_conf_error(cx, obj, f->key, "%s", msg);
            obj->states[i] = LB_CONF_BAD;
        }
    }
}


/* "1..3600 seconds", "auto or 1..64", "ALB, NLB, NLB_L4_DSR", or the
 * field's own text */
static const char *
lb_conf_allowed(lb_conf_cx_t *cx, const lb_conf_field_t *f)
{
    return lb_conf_allowed_text(cx->tmp, f);
}


const char *
lb_conf_allowed_text(lb_pool_t *pool, const lb_conf_field_t *f)
{
    char         last;
    size_t       n;
    const char  *unit;

    if (f->allowed != NULL) {
        return f->allowed;
    }

    switch (f->type) {

    case LB_CONF_UINT:
    case LB_CONF_INT:
    case LB_CONF_SECONDS:
        unit = (f->type == LB_CONF_SECONDS) ? "seconds" : f->unit;
        return lb_psprintf(pool, "%s%s%lld..%lld%s%s",
                           f->auto_name ? f->auto_name : "",
                           f->auto_name ? " or " : "",
                           (long long) f->min, (long long) f->max,
                           unit ? " " : "", unit ? unit : "");

    case LB_CONF_BOOL:
        return "true, false";

    case LB_CONF_ENUM:
        return lb_conf_names_list(pool, f->names);

    case LB_CONF_STRING:
        if (f->max > 0) {
            return lb_psprintf(pool, "%lld..%lld characters",
                               (long long) (f->min > 0 ? f->min : 1),
                               (long long) f->max);
        }
        return "a non-empty string";

    case LB_CONF_LIST:
        /* "a list of members", "... addresses", "... L7 policies" */
        n = strlen(f->object->what);
        last = n ? f->object->what[n - 1] : '\0';
        return lb_psprintf(pool, "a list of %.*s%s", (int) n
                           - (last == 'y'), f->object->what,
                           last == 's' ? "es" : last == 'y' ? "ies" : "s");

    case LB_CONF_NAMES:
        if (f->max == 1) {
            return lb_psprintf(pool, "a list of one of %s",
                               lb_conf_names_list(pool, f->names));
        }
        return lb_psprintf(pool, "a list of %lld..%lld distinct values "
                           "of %s",
                           (long long) (f->min > 0 ? f->min : 1),
                           (long long) f->max,
                           lb_conf_names_list(pool, f->names));

    default:
        return lb_psprintf(pool, "a mapping of %s fields",
                           f->object->what);
    }
}


/* "id, name, type, ...": the keys of an object, in table order */
static const char *
lb_conf_keys(lb_conf_cx_t *cx, const lb_conf_object_t *schema)
{
    char    *buf, *p;
    size_t   len, i;

    len = 1;
    for (i = 0; schema->fields[i].key != NULL; i++) {
        len += strlen(schema->fields[i].key) + 2;
    }

    buf = lb_palloc(cx->tmp, len);
    if (buf == NULL) {
        return "";
    }

    p = buf;
    *p = '\0';

    for (i = 0; schema->fields[i].key != NULL; i++) {
        p = stpcpy(p, i ? ", " : "");
        p = stpcpy(p, schema->fields[i].key);
    }

    return buf;
}


/* " (protocol is HTTP)": the value of the field f depends on */
static const char *
lb_conf_because(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    int                     v;
    const lb_conf_field_t  *d;

    if (f->depends == NULL) {
        return "";
    }

    d = &obj->schema->fields[lb_conf_field_index(obj->schema, f->depends)];
    if (d->type != LB_CONF_ENUM) {
        return "";
    }

    memcpy(&v, (char *) obj->data + d->off, sizeof(int));

    return lb_psprintf(cx->tmp, " (%s is %s)", d->key,
                       lb_conf_enum_name(d, v));
}


/* a message never carries terminal control sequences from the input */
const char *
lb_conf_quote(lb_conf_cx_t *cx, const char *s)
{
    char        *buf, *d;
    size_t       n;

    buf = lb_palloc(cx->tmp, 80 * 4 + 8);
    if (buf == NULL) {
        return "\"...\"";
    }

    d = buf;
    *d++ = '"';

    for (n = 0; s[n] != '\0' && n < 80; n++) {
        if ((unsigned char) s[n] < 0x20 || s[n] == 0x7f) {
            d += sprintf(d, "\\x%02x", (unsigned char) s[n]);
        } else if (s[n] == '"' || s[n] == '\\') {
            *d++ = '\\';
            *d++ = s[n];
        } else {
            *d++ = s[n];
        }
    }

    if (s[n] != '\0') {
        d = stpcpy(d, "...");
    }

    *d++ = '"';
    *d = '\0';

    return buf;
}


/* decimal only: "010" is 10 and "0x10", "1e3", "1_000" are not numbers,
 * whatever YAML 1.1 thinks of them */
static lb_int_t
lb_conf_number(const char *s, int64_t *out)
{
    const char  *p;
    int64_t      v;
    bool         neg;

    p = s;
    neg = false;

    if (*p == '-') {
        neg = true;
        p++;
    }

    if (*p < '0' || *p > '9') {
        return LB_ERROR;
    }

    v = 0;

    for ( /* void */ ; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - 9) / 10) {
            /* too big for any range: clamp, the range check says so */
            v = INT64_MAX / 2;
            continue;
        }
        v = v * 10 + (*p - '0');
    }

    if (*p != '\0') {
        return LB_ERROR;
    }

    *out = neg ? -v : v;

    return LB_OK;
}


/* a number already in min..max, as the field stores it */
static void
lb_conf_store_number(const lb_conf_field_t *f, char *p, int64_t num)
{
    uint32_t   u;
    lb_msec_t  ms;

    switch (f->type) {

    case LB_CONF_UINT:
        u = (uint32_t) num;
        memcpy(p, &u, sizeof(uint32_t));
        return;

    case LB_CONF_SECONDS:
        ms = (lb_msec_t) num * 1000;
        memcpy(p, &ms, sizeof(lb_msec_t));
        return;

    default:
        memcpy(p, &num, sizeof(int64_t));
        return;
    }
}


void
lb_conf_set_number(lb_conf_obj_t *obj, const lb_conf_field_t *f, int64_t v)
{
    lb_conf_store_number(f, (char *) obj->data + f->off, v);
}


/* the ENUM field f depends on, NULL for none */
static const lb_conf_field_t *
lb_conf_depends(const lb_conf_object_t *schema, const lb_conf_field_t *f)
{
    const lb_conf_field_t  *d;

    if (f->depends == NULL) {
        return NULL;
    }

    d = &schema->fields[lb_conf_field_index(schema, f->depends)];

    if (d->type != LB_CONF_ENUM || d->only_fmt == NULL) {
        /* the table names a field that cannot gate another: a bug */
        fprintf(stderr, "weir: %s.%s depends on %s, not an ENUM with "
                "only_fmt\n", schema->what, f->key, d->key);
        abort();
    }

    return d;
}


bool
lb_conf_applies(const lb_conf_object_t *schema, const lb_conf_field_t *f,
    const void *data)
{
    int                     v;
    const lb_conf_field_t  *d;

    d = lb_conf_depends(schema, f);
    if (d == NULL) {
        return true;
    }

    memcpy(&v, (const char *) data + d->off, sizeof(int));

    return v >= 0 && v < 32 && (f->only & LB_CONF_BIT(v)) != 0;
}


/* is the i-th value of d (the ENUM f depends on) in f->only? */
static bool
lb_conf_only_has(const lb_conf_field_t *f, const lb_conf_field_t *d,
    unsigned i)
{
    unsigned  v;

    v = d->values ? (unsigned) d->values[i] : i;

    return v < 32 && (f->only & LB_CONF_BIT(v)) != 0;
}


/* "only on HTTP and HTTPS listeners": the names of the values in f->only
 * put into the depended-on field's only_fmt */
const char *
lb_conf_only_reason(lb_pool_t *pool, const lb_conf_object_t *schema,
    const lb_conf_field_t *f, const void *data)
{
    if (lb_conf_applies(schema, f, data)) {
        return NULL;
    }

    return lb_conf_only_text(pool, schema, f);
}


const char *
lb_conf_only_text(lb_pool_t *pool, const lb_conf_object_t *schema,
    const lb_conf_field_t *f)
{
    char                   *buf, *p;
    size_t                  len;
    unsigned                i, n, k;
    const lb_conf_field_t  *d;

    if (f->depends == NULL) {
        return NULL;
    }

    d = lb_conf_depends(schema, f);

    len = 1;
    n = 0;
    for (i = 0; d->names[i] != NULL; i++) {
        len += strlen(d->names[i]) + 5;
        n += lb_conf_only_has(f, d, i);
    }

    buf = lb_palloc(pool, len);
    if (buf == NULL) {
        return "not allowed";
    }

    p = buf;
    *p = '\0';
    k = 0;

    /* "A", "A and B", "A, B and C" */
    for (i = 0; d->names[i] != NULL; i++) {
        if (!lb_conf_only_has(f, d, i)) {
            continue;
        }

        p = stpcpy(p, k == 0 ? "" : (k + 1 == n) ? " and " : ", ");
        p = stpcpy(p, d->names[i]);
        k++;
    }

    return lb_psprintf(pool, d->only_fmt, buf);
}


void
lb_conf_identity(const lb_conf_object_t *schema, const void *data,
    lb_conf_bytes_pt fn, void *ctx)
{
    size_t                  len;
    uint32_t                n;
    const char             *p, *s;
    const lb_conf_field_t  *f;

    for (f = schema->fields; f->key != NULL; f++) {

        if (!f->check_identity || !lb_conf_applies(schema, f, data)) {
            continue;
        }

        p = (const char *) data + f->off;

        switch (f->type) {
        case LB_CONF_STRING:
            memcpy(&s, p, sizeof(char *));
            p = (s != NULL) ? s : "";
            len = strlen(p) + 1;
            break;
        case LB_CONF_UINT:
            len = sizeof(uint32_t);
            break;
        case LB_CONF_INT:
            len = sizeof(int64_t);
            break;
        case LB_CONF_SECONDS:
            len = sizeof(lb_msec_t);
            break;
        case LB_CONF_BOOL:
            len = sizeof(bool);
            break;
        case LB_CONF_ENUM:
            len = sizeof(int);
            break;
        case LB_CONF_NAMES:
            /* the count, then the indexes in their order */
            memcpy(&n, (const char *) data + f->count_off, sizeof(uint32_t));
            fn(ctx, (const char *) data + f->count_off, sizeof(uint32_t));
            len = n;
            break;
        default:
            /* nested objects name no check: a bug in the table */
            fprintf(stderr, "weir: %s.%s: check_identity on a nested "
                    "field\n", schema->what, f->key);
            abort();
        }

        fn(ctx, p, len);
    }
}


static const char *
lb_conf_item_name(lb_conf_cx_t *cx, const lb_conf_object_t *schema,
    const lb_conf_node_t *node)
{
    size_t                 i;
    const lb_conf_node_t  *v;

    if (schema->name_key == NULL) {
        return NULL;
    }

    v = lb_conf_node_get(node, schema->name_key);

    if (v == NULL || v->type != LB_CONF_NODE_SCALAR || v->len == 0
        || v->len > 255)
    {
        return NULL;
    }

    for (i = 0; i < v->len; i++) {
        if (v->value[i] < 0x20 || v->value[i] > 0x7e) {
            return NULL;
        }
    }

    return v->value;
}


void
lb_conf_error(lb_conf_cx_t *cx, const lb_conf_obj_t *obj, const char *field,
    const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    lb_conf_verror(cx, field ? lb_conf_pos(obj, field) : obj->pos,
                   lb_conf_path(cx, obj, field), fmt, ap);
    va_end(ap);
}


void
lb_conf_error_at(lb_conf_cx_t *cx, lb_conf_pos_t pos, const char *path,
    const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    lb_conf_verror(cx, pos, path, fmt, ap);
    va_end(ap);
}


static void
lb_conf_verror(lb_conf_cx_t *cx, lb_conf_pos_t pos, const char *path,
    const char *fmt, va_list ap)
{
    int               n;
    char             *msg;
    va_list           aq;
    lb_conf_error_t  *e;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);

    msg = (n >= 0) ? lb_palloc(cx->tmp, n + 1) : NULL;
    e = lb_array_push(&cx->errors);

    if (msg == NULL || e == NULL || path == NULL) {
        cx->nomem = 1;
        return;
    }

    vsnprintf(msg, n + 1, fmt, ap);

    e->pos = pos;
    e->path = path;
    e->message = msg;
    e->seq = cx->errors.nelts;
}


uint32_t
lb_conf_field_index(const lb_conf_object_t *schema, const char *key)
{
    uint32_t  i;

    for (i = 0; schema->fields[i].key != NULL; i++) {
        if (strcmp(schema->fields[i].key, key) == 0) {
            return i;
        }
    }

    /* a rule asked for a field its own table lacks: a bug */
    fprintf(stderr, "weir: %s has no field \"%s\"\n", schema->what, key);
    abort();
}


lb_conf_state_e
lb_conf_state(const lb_conf_obj_t *obj, const char *key)
{
    return obj->states[lb_conf_field_index(obj->schema, key)];
}


bool
lb_conf_ok(const lb_conf_obj_t *obj, const char *key)
{
    lb_conf_state_e  s;

    s = lb_conf_state(obj, key);

    return s == LB_CONF_SET || s == LB_CONF_DEFAULT;
}


bool
lb_conf_written(const lb_conf_obj_t *obj, const char *key)
{
    return obj->nodes[lb_conf_field_index(obj->schema, key)] != NULL;
}


lb_conf_pos_t
lb_conf_pos(const lb_conf_obj_t *obj, const char *key)
{
    const lb_conf_node_t  *v;

    v = obj->nodes[lb_conf_field_index(obj->schema, key)];

    if (v == NULL) {
        return obj->pos;
    }

    /* "key:" with nothing after it: point at the key */
    return v->type == LB_CONF_NODE_NULL ? v->key_pos : v->pos;
}


const char *
lb_conf_path(lb_conf_cx_t *cx, const lb_conf_obj_t *obj, const char *key)
{
    if (key == NULL) {
        return obj->path;
    }

    if (*obj->path == '\0') {
        return key;
    }

    return lb_psprintf(cx->tmp, "%s.%s", obj->path, key);
}


lb_conf_obj_t *
lb_conf_child(const lb_conf_obj_t *obj, const char *key, uint32_t i)
{
    uint32_t  k;

    k = lb_conf_field_index(obj->schema, key);

    return (i < obj->kids[k].n) ? obj->kids[k].items[i] : NULL;
}


uint32_t
lb_conf_nchildren(const lb_conf_obj_t *obj, const char *key)
{
    return obj->kids[lb_conf_field_index(obj->schema, key)].n;
}


lb_conf_obj_t *
lb_conf_up(const lb_conf_obj_t *obj, unsigned levels)
{
    while (levels-- && obj != NULL) {
        do {
            obj = obj->parent;
        } while (obj != NULL && obj->schema->wrapper);
    }

    return (lb_conf_obj_t *) obj;
}


const char *
lb_conf_names_list(lb_pool_t *pool, const char *const *names)
{
    char    *buf, *p;
    size_t   len, i;

    len = 1;
    for (i = 0; names != NULL && names[i] != NULL; i++) {
        len += strlen(names[i]) + 2;
    }

    buf = lb_palloc(pool, len);
    if (buf == NULL) {
        return "";
    }

    p = buf;
    *p = '\0';

    for (i = 0; names != NULL && names[i] != NULL; i++) {
        if (i > 0) {
            p = stpcpy(p, ", ");
        }
        p = stpcpy(p, names[i]);
    }

    return buf;
}


const char *
lb_conf_enum_name(const lb_conf_field_t *f, int v)
{
    int  i;

    for (i = 0; f->names[i] != NULL; i++) {
        if ((f->values ? f->values[i] : i) == v) {
            return f->names[i];
        }
    }

    return "?";
}


lb_int_t
lb_conf_parse_ip(const char *text, lb_sockaddr_t *sa)
{
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    memset(sa, 0, sizeof(lb_sockaddr_t));

    sin = (struct sockaddr_in *) &sa->sa;
    if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sa->socklen = sizeof(struct sockaddr_in);
        return LB_OK;
    }

    sin6 = (struct sockaddr_in6 *) &sa->sa;
    if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sa->socklen = sizeof(struct sockaddr_in6);
        return LB_OK;
    }

    return LB_ERROR;
}


void
lb_conf_sockaddr_set_port(lb_sockaddr_t *sa, uint32_t port)
{
    char                  ip[INET6_ADDRSTRLEN];
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    if (sa->sa.ss_family == AF_INET) {
        sin = (struct sockaddr_in *) &sa->sa;
        sin->sin_port = htons((uint16_t) port);
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
        snprintf(sa->text, sizeof(sa->text), "%s:%u", ip, port);

    } else {
        sin6 = (struct sockaddr_in6 *) &sa->sa;
        sin6->sin6_port = htons((uint16_t) port);
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
        snprintf(sa->text, sizeof(sa->text), "[%s]:%u", ip, port);
    }
}
