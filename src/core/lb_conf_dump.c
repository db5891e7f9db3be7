/* weir: the effective configuration as YAML (weir -T): every field the
 * schema allows for the object, defaults and ids included, in table order.
 * The output parses back to the same configuration; it is written from the
 * same tables that read it, so a new field appears here by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_conf.h"
#include "lb_conf_schema.h"

/* what a dump leaves out */
#define LB_CONF_DUMP_ALL     0
#define LB_CONF_DUMP_FROZEN  1   /* the fields marked live */

static void lb_conf_dump_object(FILE *out, const lb_conf_object_t *schema,
    const void *data, unsigned indent, bool item, unsigned skip);
static bool lb_conf_dump_field(FILE *out, const lb_conf_field_t *f,
    const void *data, unsigned indent, const char *prefix, unsigned skip);
static char *lb_conf_dump_frozen(const lb_conf_t *conf, size_t *len);
static bool lb_conf_live_tls(const lb_conf_t *old, const lb_conf_t *conf);
static bool lb_conf_same_str(const char *a, const char *b);
static void lb_conf_dump_scalar(FILE *out, const char *s);
static bool lb_conf_plain(const char *s);


lb_int_t
lb_conf_dump(FILE *out, const lb_conf_t *conf)
{
    /* no file name here: a dump of a dump must be the same text */
    return lb_conf_dump_with(out, conf,
        "# weir: the effective configuration, every default filled in\n");
}


lb_int_t
lb_conf_dump_with(FILE *out, const lb_conf_t *conf, const char *comment)
{
    fputs(comment, out);

    lb_conf_dump_object(out, &lb_conf_root_object, conf, 0, false,
                        LB_CONF_DUMP_ALL);

    if (fflush(out) == EOF || ferror(out)) {
        return LB_ERROR;
    }

    return LB_OK;
}


bool
lb_conf_live_change(const lb_conf_t *old, const lb_conf_t *conf)
{
    bool     same;
    char    *a, *b;
    size_t   alen, blen;

    a = lb_conf_dump_frozen(old, &alen);
    b = lb_conf_dump_frozen(conf, &blen);

    /* out of memory: say no, a reload is always right */
    same = (a != NULL && b != NULL && alen == blen
            && memcmp(a, b, alen) == 0);

    free(a);
    free(b);

    return same && lb_conf_live_tls(old, conf);
}


/* A target group that verifies its targets' certificates needs a TLS
 * context made from its CA file, which only a new cycle makes: such a
 * group may stay as it was, not appear or change its TLS settings
 * live. Groups that do not verify use the cycle's client context. */
static bool
lb_conf_live_tls(const lb_conf_t *old, const lb_conf_t *conf)
{
    uint32_t                  b, g, ob, og;
    const lb_target_group_t  *tg, *otg;

    for (b = 0; b < conf->nbalancers; b++) {
        for (g = 0; g < conf->balancers[b].ntarget_groups; g++) {
            tg = &conf->balancers[b].target_groups[g];

            if (!tg->tls_verify) {
                continue;
            }

            otg = NULL;

            for (ob = 0; otg == NULL && ob < old->nbalancers; ob++) {
                for (og = 0; og < old->balancers[ob].ntarget_groups; og++) {
                    if (lb_conf_same_str(old->balancers[ob].target_groups[og].id,
                                         tg->id))
                    {
                        otg = &old->balancers[ob].target_groups[og];
                        break;
                    }
                }
            }

            if (otg == NULL || !otg->tls_verify
                || !lb_conf_same_str(otg->tls_ca_certificate,
                                     tg->tls_ca_certificate)
                || !lb_conf_same_str(otg->tls_verify_name,
                                     tg->tls_verify_name))
            {
                return false;
            }
        }
    }

    return true;
}


static bool
lb_conf_same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }

    return strcmp(a, b) == 0;
}


/* conf without the fields marked live, as text (malloc()ed), or NULL */
static char *
lb_conf_dump_frozen(const lb_conf_t *conf, size_t *len)
{
    char  *text;
    FILE  *out;

    text = NULL;

    out = open_memstream(&text, len);
    if (out == NULL) {
        return NULL;
    }

    lb_conf_dump_object(out, &lb_conf_root_object, conf, 0, false,
                        LB_CONF_DUMP_FROZEN);

    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }

    return text;
}


/* item: the object is a list item, its first field goes after "- " */
static void
lb_conf_dump_object(FILE *out, const lb_conf_object_t *schema,
    const void *data, unsigned indent, bool item, unsigned skip)
{
    char                    prefix[128];
    bool                    first;
    const lb_conf_field_t  *f;

    first = item;

    for (f = schema->fields; f->key != NULL; f++) {

        if (!lb_conf_applies(schema, f, data)
            || (f->live && (skip & LB_CONF_DUMP_FROZEN)))
        {
            continue;
        }

        if (first) {
            snprintf(prefix, sizeof(prefix), "%*s- ",
                     (int) (indent >= 2 ? indent - 2 : 0), "");
        } else {
            snprintf(prefix, sizeof(prefix), "%*s", (int) indent, "");
        }

        if (lb_conf_dump_field(out, f, data, indent, prefix, skip)) {
            first = false;
        }
    }
}


/* prints "key: value" (or a nested block) and returns true, or false when
 * the field has nothing to show */
static bool
lb_conf_dump_field(FILE *out, const lb_conf_field_t *f, const void *data,
    unsigned indent, const char *prefix, unsigned skip)
{
    int            e;
    bool           b;
    int64_t        i;
    uint32_t       u, n, k;
    lb_msec_t      ms;
    const char    *p, *s;
    const void    *obj;

    p = (const char *) data + f->off;

    switch (f->type) {

    case LB_CONF_STRING:
        memcpy(&s, p, sizeof(char *));
        if (s == NULL) {
            return false;
        }
        fprintf(out, "%s%s: ", prefix, f->key);
        lb_conf_dump_scalar(out, s);
        fputc('\n', out);
        return true;

    case LB_CONF_UINT:
        memcpy(&u, p, sizeof(uint32_t));
        if (f->auto_name != NULL && f->auto_off != 0
            && *(const bool *) ((const char *) data + f->auto_off))
        {
            fprintf(out, "%s%s: %s\n", prefix, f->key, f->auto_name);
        } else {
            fprintf(out, "%s%s: %u\n", prefix, f->key, u);
        }
        return true;

    case LB_CONF_INT:
        memcpy(&i, p, sizeof(int64_t));
        fprintf(out, "%s%s: %lld\n", prefix, f->key, (long long) i);
        return true;

    case LB_CONF_SECONDS:
        memcpy(&ms, p, sizeof(lb_msec_t));
        fprintf(out, "%s%s: %llu\n", prefix, f->key,
                (unsigned long long) (ms / 1000));
        return true;

    case LB_CONF_BOOL:
        b = *(const bool *) p;
        fprintf(out, "%s%s: %s\n", prefix, f->key, b ? "true" : "false");
        return true;

    case LB_CONF_ENUM:
        memcpy(&e, p, sizeof(int));
        fprintf(out, "%s%s: ", prefix, f->key);
        lb_conf_dump_scalar(out, lb_conf_enum_name(f, e));
        fputc('\n', out);
        return true;

    case LB_CONF_NAMES:
        memcpy(&n, (const char *) data + f->count_off, sizeof(uint32_t));
        if (n == 0) {
            return false;
        }
        fprintf(out, "%s%s: [", prefix, f->key);
        for (k = 0; k < n; k++) {
            fputs(k ? ", " : "", out);
            lb_conf_dump_scalar(out, f->names[((const uint8_t *) p)[k]]);
        }
        fputs("]\n", out);
        return true;

    case LB_CONF_OBJECT:
        memcpy(&obj, p, sizeof(void *));
        if (obj == NULL) {
            return false;
        }
        fprintf(out, "%s%s:\n", prefix, f->key);
        lb_conf_dump_object(out, f->object, obj, indent + 2, false, skip);
        return true;

    case LB_CONF_INLINE:
        fprintf(out, "%s%s:\n", prefix, f->key);
        lb_conf_dump_object(out, f->object, p, indent + 2, false, skip);
        return true;

    case LB_CONF_LIST:
        memcpy(&obj, p, sizeof(void *));
        memcpy(&n, (const char *) data + f->count_off, sizeof(uint32_t));
        if (n == 0) {
            return false;
        }
        fprintf(out, "%s%s:\n", prefix, f->key);
        for (k = 0; k < n; k++) {
            lb_conf_dump_object(out, f->object,
                                (const char *) obj + k * f->object->size,
                                indent + 4, true, skip);
        }
        return true;
    }

    return false;
}


static void
lb_conf_dump_scalar(FILE *out, const char *s)
{
    if (lb_conf_plain(s)) {
        fputs(s, out);
        return;
    }

    fputc('"', out);

    for ( /* void */ ; *s != '\0'; s++) {
        switch (*s) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if ((unsigned char) *s < 0x20 || *s == 0x7f) {
                fprintf(out, "\\x%02x", (unsigned char) *s);
            } else {
                fputc(*s, out);
            }
        }
    }

    fputc('"', out);
}


/* may s be written without quotes and read back as the same text by any
 * YAML reader? Words YAML gives a meaning to (true, null, 1.1, 200) are
 * quoted, as is anything with characters outside a conservative set (':'
 * included: "ffff::" would end a key). */
static bool
lb_conf_plain(const char *s)
{
    size_t        i, dots;
    bool          digits;
    const char   *const *w;

    static const char *const  words[] = {
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", NULL
    };

    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')
          || (s[0] >= '0' && s[0] <= '9') || s[0] == '/' || s[0] == '.'
          || s[0] == '_'))
    {
        return false;
    }

    for (w = words; *w != NULL; w++) {
        if (strcasecmp(s, *w) == 0) {
            return false;
        }
    }

    digits = true;
    dots = 0;

    for (i = 0; s[i] != '\0'; i++) {
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')
              || (s[i] >= '0' && s[i] <= '9')
              || strchr("._/@+=-", s[i]) != NULL))
        {
            return false;
        }

        if (s[i] == '.') {
            dots++;
        } else if (s[i] < '0' || s[i] > '9') {
            digits = false;
        }
    }

    /* "200", "1.1", "10.5" are numbers to YAML; "127.0.0.1" is not */
    return !(digits && dots <= 1);
}
