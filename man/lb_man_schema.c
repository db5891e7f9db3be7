/* weir: the field reference of weir.yaml(5), written from the schema
 * tables themselves (lb_conf_schema.c, lb_conf_l7.c), so that the manual
 * cannot disagree with `weir -t`: each field's type, what it accepts (the
 * very text of weir -t's "allowed: ..."), its default, whether it is
 * required, and for which values of another field it may be written.
 *
 *   lb_man_schema man   roff, the FIELDS section of weir.yaml(5)
 *   lb_man_schema md    Markdown tables, as SPEC.md writes them
 *
 * Built by `make man` with the objects of the tree (objs/libweir.a); not
 * part of weir. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_conf_schema.h"
#include "lb_palloc.h"

typedef enum {
    LB_MAN_ROFF,
    LB_MAN_MD
} lb_man_format_e;

typedef struct {
    const lb_conf_object_t  *schema;
    const char              *path;       /* "load_balancers[].listeners[]" */
} lb_man_todo_t;

#define LB_MAN_MAX_OBJECTS  64

static void lb_man_object(lb_pool_t *pool, lb_man_format_e fmt,
    const lb_man_todo_t *t, lb_man_todo_t *todo, size_t *ntodo);
static const char *lb_man_type(const lb_conf_field_t *f);
static const char *lb_man_default(lb_pool_t *pool, const lb_conf_field_t *f);
static void lb_man_roff(const char *s);
static void lb_man_md(const char *s);


int
main(int argc, char **argv)
{
    size_t            i, ntodo;
    lb_pool_t        *pool;
    lb_man_todo_t     todo[LB_MAN_MAX_OBJECTS];
    lb_man_format_e   fmt;

    if (argc != 2 || (strcmp(argv[1], "man") != 0
                      && strcmp(argv[1], "md") != 0))
    {
        fprintf(stderr, "usage: lb_man_schema man|md\n");
        return 2;
    }

    fmt = (strcmp(argv[1], "man") == 0) ? LB_MAN_ROFF : LB_MAN_MD;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (pool == NULL) {
        fprintf(stderr, "lb_man_schema: out of memory\n");
        return 1;
    }

    /* breadth first: the top level, then each object where it is first
     * named, in table order */
    todo[0].schema = &lb_conf_root_object;
    todo[0].path = "";
    ntodo = 1;

    /* no hyphens added: paths and values are copied from the page */
    if (fmt == LB_MAN_ROFF) {
        printf(".nh\n");
    }

    for (i = 0; i < ntodo; i++) {
        lb_man_object(pool, fmt, &todo[i], todo, &ntodo);
    }

    if (fmt == LB_MAN_ROFF) {
        printf(".hy\n");
    }

    lb_destroy_pool(pool);

    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("lb_man_schema: stdout");
        return 1;
    }

    return 0;
}


static void
lb_man_object(lb_pool_t *pool, lb_man_format_e fmt, const lb_man_todo_t *t,
    lb_man_todo_t *todo, size_t *ntodo)
{
    const char             *only, *def, *allowed, *title, *sub;
    const lb_conf_field_t  *f;

    title = (t->path[0] == '\0')
            ? "top level"
            : strcmp(t->path, t->schema->what) == 0 ? t->path
            : lb_psprintf(pool, "%s (%s)", t->path, t->schema->what);

    if (fmt == LB_MAN_ROFF) {
        printf(".SS \"");
        lb_man_roff(title);
        printf("\"\n");
    } else {
        printf("### %s\n\n| field | type | allowed | default | "
               "notes |\n|---|---|---|---|---|\n", title);
    }

    for (f = t->schema->fields; f->key != NULL; f++) {

        only = lb_conf_only_text(pool, t->schema, f);
        def = lb_man_default(pool, f);
        allowed = lb_conf_allowed_text(pool, f);
        sub = NULL;

        if (f->type == LB_CONF_OBJECT || f->type == LB_CONF_INLINE
            || f->type == LB_CONF_LIST)
        {
            sub = lb_psprintf(pool, "%s%s%s%s", t->path,
                              t->path[0] ? "." : "", f->key,
                              f->type == LB_CONF_LIST ? "[]" : "");

            if (*ntodo == LB_MAN_MAX_OBJECTS) {
                fprintf(stderr, "lb_man_schema: more than %d objects\n",
                        LB_MAN_MAX_OBJECTS);
                exit(1);
            }

            todo[*ntodo].schema = f->object;
            todo[*ntodo].path = sub;
            (*ntodo)++;
        }

        if (fmt == LB_MAN_MD) {
            printf("| `%s` | %s | ", f->key, lb_man_type(f));
            lb_man_md(allowed);
            printf(" | ");
            lb_man_md(def ? def : (f->required ? "required" : "unset"));
            printf(" | ");
            if (only != NULL) {
                lb_man_md(only);
                printf("%s", (f->live || sub) ? "; " : "");
            }
            if (f->live) {
                printf("changed without a reload%s", sub ? "; " : "");
            }
            if (sub != NULL) {
                printf("see `%s`", sub);
            }
            printf(" |\n");
            continue;
        }

        printf(".TP\n.B ");
        lb_man_roff(f->key);
        printf("\n\\fI%s\\fR: ", lb_man_type(f));
        lb_man_roff(allowed);
        printf(".\n");

        if (f->required) {
            printf("Required%s.\n", only != NULL ? " where allowed" : "");
        } else if (def != NULL) {
            printf("Default: ");
            lb_man_roff(def);
            printf(".\n");
        } else {
            printf("Default: unset.\n");
        }

        if (only != NULL) {
            /* "only on HTTP listeners" starts a sentence */
            printf("%c", only[0] >= 'a' && only[0] <= 'z'
                         ? only[0] - 'a' + 'A' : only[0]);
            lb_man_roff(only + 1);
            printf(".\n");
        }

        if (f->live) {
            printf("A change through the management API reaches the "
                   "running workers without a reload.\n");
        }

        if (sub != NULL) {
            printf("See\n.B ");
            lb_man_roff(sub);
            printf("\nbelow.\n");
        }
    }

    if (fmt == LB_MAN_MD) {
        printf("\n");
    }
}


static const char *
lb_man_type(const lb_conf_field_t *f)
{
    switch (f->type) {
    case LB_CONF_STRING:
        return "string";
    case LB_CONF_UINT:
    case LB_CONF_INT:
        return "integer";
    case LB_CONF_SECONDS:
        return "seconds";
    case LB_CONF_BOOL:
        return "boolean";
    case LB_CONF_ENUM:
        return "keyword";
    case LB_CONF_LIST:
        return "list";
    case LB_CONF_NAMES:
        return "list of keywords";
    default:
        return "mapping";
    }
}


/* "[a, b]": the names of a default (LB_CONF_NAMES: a mask), in table
 * order */
static const char *
lb_man_names_mask(lb_pool_t *pool, const lb_conf_field_t *f)
{
    unsigned     i;
    const char  *s;

    s = "[";
    for (i = 0; f->names[i] != NULL; i++) {
        if ((unsigned) f->def & (1u << i)) {
            s = lb_psprintf(pool, "%s%s%s", s, s[1] ? ", " : "",
                            f->names[i]);
        }
    }

    return lb_psprintf(pool, "%s]", s);
}


/* the default as the file would write it; NULL when there is none */
static const char *
lb_man_default(lb_pool_t *pool, const lb_conf_field_t *f)
{
    if (f->def_doc != NULL) {
        return f->def_doc;
    }

    if (f->def_str != NULL) {
        return f->def_str;
    }

    if (!f->has_def) {
        return NULL;
    }

    switch (f->type) {
    case LB_CONF_UINT:
    case LB_CONF_INT:
    case LB_CONF_SECONDS:
        if (f->auto_name != NULL && f->def == 0) {
            return f->auto_name;
        }
        return lb_psprintf(pool, "%lld%s%s", (long long) f->def,
                           f->type == LB_CONF_SECONDS ? " seconds"
                           : f->unit ? " " : "",
                           f->unit && f->type != LB_CONF_SECONDS
                           ? f->unit : "");
    case LB_CONF_BOOL:
        return f->def ? "true" : "false";
    case LB_CONF_ENUM:
        return f->names[f->def];
    case LB_CONF_NAMES:
        return lb_man_names_mask(pool, f);
    default:
        return NULL;
    }
}


/* text for roff: backslashes escaped, hyphens as \- (the names and
 * values a reader types), no line starting with a control character */
static void
lb_man_roff(const char *s)
{
    for ( ; *s != '\0'; s++) {
        switch (*s) {
        case '\\':
            fputs("\\e", stdout);
            break;
        case '-':
            fputs("\\-", stdout);
            break;
        case '\'':
            fputs("\\(aq", stdout);
            break;
        case '.':
            fputs("\\&.", stdout);
            break;
        case '\n':
            putchar(' ');
            break;
        default:
            putchar(*s);
        }
    }
}


/* text for a Markdown table cell */
static void
lb_man_md(const char *s)
{
    for ( ; *s != '\0'; s++) {
        if (*s == '|') {
            fputs("\\|", stdout);
        } else if (*s == '\n') {
            putchar(' ');
        } else {
            putchar(*s);
        }
    }
}
