/* weir: weirctl's request bodies from key=value arguments, and the JSON
 * checker and pretty-printer (lb_ctl_body.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_admin_json.h"
#include "lb_ctl_body.h"

#define LB_CTL_SPEC_PARTS  64      /* key=value pairs in one member spec */

/* one key of the object being built: a value or an object of keys */
typedef struct lb_ctl_key_s  lb_ctl_key_t;

struct lb_ctl_key_s {
    char            name[LB_CTL_KEY_MAX + 1];
    const char     *value;          /* NULL: an object */
    unsigned        raw:1;          /* key:=json */
    lb_ctl_key_t   *first;
    lb_ctl_key_t   *last;
    lb_ctl_key_t   *next;
};

typedef struct {
    const u_char    *start;
    const u_char    *p;
    const u_char    *end;
    lb_admin_buf_t  *out;
} lb_ctl_json_t;

static lb_int_t lb_ctl_key_add(lb_ctl_key_t *root, const char *arg,
    char *err, size_t errlen);
static lb_ctl_key_t *lb_ctl_key_child(lb_ctl_key_t *obj, const char *name,
    size_t len);
static void lb_ctl_key_emit(lb_admin_buf_t *out, const lb_ctl_key_t *obj);
static void lb_ctl_key_free(lb_ctl_key_t *obj);
static size_t lb_ctl_number_len(const u_char *p, const u_char *end);
static lb_int_t lb_ctl_json_value(lb_ctl_json_t *js, unsigned level);
static lb_int_t lb_ctl_json_string(lb_ctl_json_t *js);
static void lb_ctl_json_ws(lb_ctl_json_t *js);
static void lb_ctl_json_emit(lb_ctl_json_t *js, const void *p, size_t n);
static void lb_ctl_json_indent(lb_ctl_json_t *js, unsigned level);


lb_ctl_value_e
lb_ctl_value_type(const char *value)
{
    size_t  len;

    if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0
        || strcmp(value, "null") == 0)
    {
        return LB_CTL_VALUE_LITERAL;
    }

    len = strlen(value);

    if (len > 0 && lb_ctl_number_len((const u_char *) value,
                                     (const u_char *) value + len) == len)
    {
        return LB_CTL_VALUE_NUMBER;
    }

    return LB_CTL_VALUE_STRING;
}


lb_int_t
lb_ctl_body_object(lb_admin_buf_t *out, const char *wrapper,
    char *const *args, int n, char *err, size_t errlen)
{
    int           i;
    lb_int_t      rc;
    lb_ctl_key_t  root;

    memset(&root, 0, sizeof(root));
    rc = LB_OK;

    for (i = 0; i < n; i++) {
        if (lb_ctl_key_add(&root, args[i], err, errlen) != LB_OK) {
            rc = LB_ERROR;
            goto done;
        }
    }

    if (wrapper != NULL) {
        lb_admin_buf_append(out, "{", 1);
        lb_json_escape(out, wrapper, strlen(wrapper));
        lb_admin_buf_append(out, ":", 1);
    }

    lb_ctl_key_emit(out, &root);

    if (wrapper != NULL) {
        lb_admin_buf_append(out, "}", 1);
    }

done:

    lb_ctl_key_free(&root);
    return rc;
}


lb_int_t
lb_ctl_body_members(lb_admin_buf_t *out, char *const *specs, int n,
    char *err, size_t errlen)
{
    int        i, nparts;
    char      *copy, *p, *parts[LB_CTL_SPEC_PARTS];
    unsigned   depth;
    bool       quoted;
    lb_int_t   rc;

    lb_admin_buf_append(out, "{\"members\":[", sizeof("{\"members\":[") - 1);

    for (i = 0; i < n; i++) {
        copy = strdup(specs[i]);
        if (copy == NULL) {
            out->nomem = 1;
            return LB_ERROR;
        }

        /* split at the commas outside strings, lists and objects, so that
         * a key:=json part may hold commas of its own */
        nparts = 0;
        parts[nparts++] = copy;
        depth = 0;
        quoted = false;

        for (p = copy; *p != '\0'; p++) {
            if (quoted) {
                if (*p == '\\' && p[1] != '\0') {
                    p++;
                } else if (*p == '"') {
                    quoted = false;
                }
                continue;
            }

            switch (*p) {
            case '"':
                quoted = true;
                break;
            case '[': case '{':
                depth++;
                break;
            case ']': case '}':
                depth -= depth > 0;
                break;
            case ',':
                if (depth > 0) {
                    break;
                }
                if (nparts == LB_CTL_SPEC_PARTS) {
                    snprintf(err, errlen, "member %d: more than %d fields",
                             i + 1, LB_CTL_SPEC_PARTS);
                    free(copy);
                    return LB_ERROR;
                }
                *p = '\0';
                parts[nparts++] = p + 1;
                break;
            }
        }

        if (i > 0) {
            lb_admin_buf_append(out, ",", 1);
        }

        rc = lb_ctl_body_object(out, NULL, parts, nparts, err, errlen);
        free(copy);

        if (rc != LB_OK) {
            return LB_ERROR;
        }
    }

    lb_admin_buf_append(out, "]}", 2);

    return LB_OK;
}


/* Add "a.b.c=value" or "a.b.c:=json" under root. */
static lb_int_t
lb_ctl_key_add(lb_ctl_key_t *root, const char *arg, char *err,
    size_t errlen)
{
    bool           raw;
    size_t         klen, len, at;
    unsigned       depth;
    const char    *eq, *k, *dot, *value;
    lb_ctl_key_t  *obj, *key;

    eq = strchr(arg, '=');
    if (eq == NULL) {
        snprintf(err, errlen, "\"%s\": expected key=value or key:=json",
                 arg);
        return LB_ERROR;
    }

    raw = eq > arg && eq[-1] == ':';
    klen = (size_t) (eq - arg) - raw;
    value = eq + 1;

    if (klen == 0) {
        snprintf(err, errlen, "\"%s\": the key is empty", arg);
        return LB_ERROR;
    }

    if (raw && lb_ctl_json_pretty(NULL, (const u_char *) value,
                                  strlen(value), &at) != LB_OK)
    {
        snprintf(err, errlen, "\"%s\": the value after := is not JSON "
                 "(at byte %zu); a string there needs quotes, e.g. "
                 "name:='\"64\"'", arg, at + 1);
        return LB_ERROR;
    }

    obj = root;
    k = arg;
    depth = 0;

    for ( ;; ) {
        dot = memchr(k, '.', klen - (size_t) (k - arg));
        len = dot ? (size_t) (dot - k) : klen - (size_t) (k - arg);

        if (len == 0 || len > LB_CTL_KEY_MAX
            || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789_-") < len)
        {
            snprintf(err, errlen, "\"%s\": a key is 1..%d characters of "
                     "A-Z a-z 0-9 _ -, nested keys joined by '.'", arg,
                     LB_CTL_KEY_MAX);
            return LB_ERROR;
        }

        if (++depth > LB_CTL_KEY_DEPTH) {
            snprintf(err, errlen, "\"%s\": more than %d nested keys", arg,
                     LB_CTL_KEY_DEPTH);
            return LB_ERROR;
        }

        key = lb_ctl_key_child(obj, k, len);
        if (key == NULL) {
            snprintf(err, errlen, "out of memory");
            return LB_ERROR;
        }

        if (dot == NULL) {
            if (key->value != NULL || key->first != NULL) {
                snprintf(err, errlen, "\"%s\": %.*s is given twice", arg,
                         (int) klen, arg);
                return LB_ERROR;
            }
            key->value = value;
            key->raw = raw;
            return LB_OK;
        }

        if (key->value != NULL) {
            snprintf(err, errlen, "\"%s\": %.*s is given both as a value "
                     "and as an object", arg, (int) (dot - arg), arg);
            return LB_ERROR;
        }

        obj = key;
        k = dot + 1;
    }
}


/* The member name[0..len) of obj, made (last) when it is not there yet. */
static lb_ctl_key_t *
lb_ctl_key_child(lb_ctl_key_t *obj, const char *name, size_t len)
{
    lb_ctl_key_t  *key;

    for (key = obj->first; key != NULL; key = key->next) {
        if (strlen(key->name) == len && memcmp(key->name, name, len) == 0) {
            return key;
        }
    }

    key = calloc(1, sizeof(lb_ctl_key_t));
    if (key == NULL) {
        return NULL;
    }

    memcpy(key->name, name, len);

    if (obj->last != NULL) {
        obj->last->next = key;
    } else {
        obj->first = key;
    }
    obj->last = key;

    return key;
}


static void
lb_ctl_key_emit(lb_admin_buf_t *out, const lb_ctl_key_t *obj)
{
    const lb_ctl_key_t  *key;

    lb_admin_buf_append(out, "{", 1);

    for (key = obj->first; key != NULL; key = key->next) {
        if (key != obj->first) {
            lb_admin_buf_append(out, ",", 1);
        }

        lb_json_escape(out, key->name, strlen(key->name));
        lb_admin_buf_append(out, ":", 1);

        if (key->value == NULL) {
            lb_ctl_key_emit(out, key);

        } else if (key->raw
                   || lb_ctl_value_type(key->value) != LB_CTL_VALUE_STRING)
        {
            lb_admin_buf_append(out, key->value, strlen(key->value));

        } else {
            lb_json_escape(out, key->value, strlen(key->value));
        }
    }

    lb_admin_buf_append(out, "}", 1);
}


/* Free the keys under obj (not obj itself). */
static void
lb_ctl_key_free(lb_ctl_key_t *obj)
{
    lb_ctl_key_t  *key, *next;

    for (key = obj->first; key != NULL; key = next) {
        next = key->next;
        lb_ctl_key_free(key);
        free(key);
    }

    obj->first = obj->last = NULL;
}


/* The length of the JSON number at p (RFC 8259 section 6), 0 if none. */
static size_t
lb_ctl_number_len(const u_char *p, const u_char *end)
{
    const u_char  *s;

#define LB_DIGIT(q)  ((q) < end && *(q) >= '0' && *(q) <= '9')

    s = p;

    if (p < end && *p == '-') {
        p++;
    }

    if (!LB_DIGIT(p)) {
        return 0;
    }

    if (*p == '0') {
        p++;
    } else {
        while (LB_DIGIT(p)) {
            p++;
        }
    }

    if (p < end && *p == '.') {
        if (!LB_DIGIT(p + 1)) {
            return 0;
        }
        p++;
        while (LB_DIGIT(p)) {
            p++;
        }
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (!LB_DIGIT(p)) {
            return 0;
        }
        while (LB_DIGIT(p)) {
            p++;
        }
    }

#undef LB_DIGIT

    return (size_t) (p - s);
}


lb_int_t
lb_ctl_json_pretty(lb_admin_buf_t *out, const u_char *in, size_t len,
    size_t *at)
{
    lb_ctl_json_t  js;

    js.start = in;
    js.p = in;
    js.end = in + len;
    js.out = out;

    if (lb_ctl_json_value(&js, 0) != LB_OK) {
        goto failed;
    }

    lb_ctl_json_ws(&js);

    if (js.p != js.end) {
        goto failed;
    }

    lb_ctl_json_emit(&js, "\n", 1);
    *at = 0;

    return LB_OK;

failed:

    *at = (size_t) (js.p - js.start);
    return LB_ERROR;
}


static lb_int_t
lb_ctl_json_value(lb_ctl_json_t *js, unsigned level)
{
    u_char       close;
    size_t       n;
    bool         object;
    const char  *lit;

    lb_ctl_json_ws(js);

    if (js->p == js->end) {
        return LB_ERROR;
    }

    switch (*js->p) {

    case '{':
    case '[':
        if (level + 1 > LB_CTL_JSON_DEPTH) {
            return LB_ERROR;
        }

        object = *js->p == '{';
        close = object ? '}' : ']';
        lb_ctl_json_emit(js, js->p++, 1);
        lb_ctl_json_ws(js);

        if (js->p < js->end && *js->p == close) {
            lb_ctl_json_emit(js, js->p++, 1);
            return LB_OK;
        }

        for ( ;; ) {
            lb_ctl_json_emit(js, "\n", 1);
            lb_ctl_json_indent(js, level + 1);

            if (object) {
                lb_ctl_json_ws(js);
                if (js->p == js->end || *js->p != '"'
                    || lb_ctl_json_string(js) != LB_OK)
                {
                    return LB_ERROR;
                }
                lb_ctl_json_ws(js);
                if (js->p == js->end || *js->p != ':') {
                    return LB_ERROR;
                }
                js->p++;
                lb_ctl_json_emit(js, ": ", 2);
            }

            if (lb_ctl_json_value(js, level + 1) != LB_OK) {
                return LB_ERROR;
            }

            lb_ctl_json_ws(js);

            if (js->p == js->end) {
                return LB_ERROR;
            }

            if (*js->p == ',') {
                lb_ctl_json_emit(js, js->p++, 1);
                continue;
            }

            if (*js->p == close) {
                js->p++;
                lb_ctl_json_emit(js, "\n", 1);
                lb_ctl_json_indent(js, level);
                lb_ctl_json_emit(js, &close, 1);
                return LB_OK;
            }

            return LB_ERROR;
        }

    case '"':
        return lb_ctl_json_string(js);

    case 't':
    case 'f':
    case 'n':
        lit = *js->p == 't' ? "true" : *js->p == 'f' ? "false" : "null";
        n = strlen(lit);
        if ((size_t) (js->end - js->p) < n || memcmp(js->p, lit, n) != 0) {
            return LB_ERROR;
        }
        lb_ctl_json_emit(js, js->p, n);
        js->p += n;
        return LB_OK;

    default:
        n = lb_ctl_number_len(js->p, js->end);
        if (n == 0) {
            return LB_ERROR;
        }
        lb_ctl_json_emit(js, js->p, n);
        js->p += n;
        return LB_OK;
    }
}


/* A string at js->p (on its '"'), copied as it is. Escapes must be those
 * of RFC 8259; raw control characters are refused. UTF-8 is not checked:
 * the bytes pass through. */
static lb_int_t
lb_ctl_json_string(lb_ctl_json_t *js)
{
    int            i;
    const u_char  *s;

    s = js->p++;

    while (js->p < js->end) {
        if (*js->p == '"') {
            js->p++;
            lb_ctl_json_emit(js, s, (size_t) (js->p - s));
            return LB_OK;
        }

        if (*js->p < 0x20) {
            return LB_ERROR;
        }

        if (*js->p == '\\') {
            js->p++;
            if (js->p == js->end
                || strchr("\"\\/bfnrtu", *js->p) == NULL || *js->p == '\0')
            {
                return LB_ERROR;
            }
            if (*js->p == 'u') {
                for (i = 1; i <= 4; i++) {
                    if (js->p + i >= js->end
                        || strchr("0123456789abcdefABCDEF", js->p[i]) == NULL
                        || js->p[i] == '\0')
                    {
                        return LB_ERROR;
                    }
                }
                js->p += 4;
            }
        }

        js->p++;
    }

    return LB_ERROR;
}


static void
lb_ctl_json_ws(lb_ctl_json_t *js)
{
    while (js->p < js->end && (*js->p == ' ' || *js->p == '\t'
                               || *js->p == '\n' || *js->p == '\r'))
    {
        js->p++;
    }
}


static void
lb_ctl_json_emit(lb_ctl_json_t *js, const void *p, size_t n)
{
    if (js->out != NULL) {
        lb_admin_buf_append(js->out, p, n);
    }
}


static void
lb_ctl_json_indent(lb_ctl_json_t *js, unsigned level)
{
    unsigned  i;

    for (i = 0; i < level; i++) {
        lb_ctl_json_emit(js, "  ", 2);
    }
}
