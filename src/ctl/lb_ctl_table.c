/* weir: weirctl's text tables (lb_ctl_table.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_admin_json.h"
#include "lb_conf_node.h"
#include "lb_ctl_table.h"
#include "lb_palloc.h"

#define LB_CTL_CELL_MAX  1024

static void lb_ctl_table_list(lb_ctl_table_t *t, const lb_conf_node_t *list);
static void lb_ctl_table_object(lb_ctl_table_t *t,
    const lb_conf_node_t *map, const char *prefix);
static void lb_ctl_node_text(const lb_conf_node_t *n, char *buf,
    size_t size);


void
lb_ctl_table_init(lb_ctl_table_t *t, unsigned ncols)
{
    memset(t, 0, sizeof(lb_ctl_table_t));
    t->ncols = ncols;
}


void
lb_ctl_table_row(lb_ctl_table_t *t, const char *const *cells)
{
    unsigned   i;
    size_t     n;
    char     **p;

    if (t->nomem) {
        return;
    }

    if (t->nrows == t->nalloc) {
        n = t->nalloc ? t->nalloc * 2 : 16;
        p = realloc(t->cells, n * t->ncols * sizeof(char *));
        if (p == NULL) {
            t->nomem = 1;
            return;
        }
        t->cells = p;
        t->nalloc = n;
    }

    p = &t->cells[t->nrows * t->ncols];

    for (i = 0; i < t->ncols; i++) {
        p[i] = strdup(cells[i] != NULL && cells[i][0] != '\0' ? cells[i]
                                                                : "-");
        if (p[i] == NULL) {
            t->nomem = 1;
            while (i-- > 0) {
                free(p[i]);
            }
            return;
        }
    }

    t->nrows++;
}


void
lb_ctl_table_print(const lb_ctl_table_t *t, FILE *out)
{
    size_t     r, w[LB_CTL_TABLE_COLS], len;
    unsigned   c;
    char      *cell;

    memset(w, 0, sizeof(w));

    for (r = 0; r < t->nrows; r++) {
        for (c = 0; c < t->ncols; c++) {
            len = strlen(t->cells[r * t->ncols + c]);
            w[c] = lb_max(w[c], len);
        }
    }

    for (r = 0; r < t->nrows; r++) {
        for (c = 0; c < t->ncols; c++) {
            cell = t->cells[r * t->ncols + c];
            if (c + 1 < t->ncols) {
                fprintf(out, "%-*s   ", (int) w[c], cell);
            } else {
                fprintf(out, "%s\n", cell);
            }
        }
    }
}


void
lb_ctl_table_free(lb_ctl_table_t *t)
{
    size_t  i;

    for (i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i]);
    }

    free(t->cells);
    t->cells = NULL;
    t->nrows = t->nalloc = 0;
}


lb_conf_node_t *
lb_ctl_json_read(lb_pool_t *pool, const u_char *json, size_t len)
{
    char                  *text;
    lb_conf_read_error_t   err;

    /* libyaml wants the text NUL-terminated */
    text = lb_palloc(pool, len + 1);
    if (text == NULL) {
        return NULL;
    }

    memcpy(text, json, len);
    text[len] = '\0';

    return lb_conf_yaml_read(pool, text, len, &err);
}


const char *
lb_ctl_node_str(const lb_conf_node_t *map, const char *key)
{
    const lb_conf_node_t  *n;

    if (map == NULL || map->type != LB_CONF_NODE_MAP) {
        return NULL;
    }

    n = lb_conf_node_get(map, key);

    return n != NULL && n->type == LB_CONF_NODE_SCALAR ? n->value : NULL;
}


lb_int_t
lb_ctl_table_json(FILE *out, const lb_conf_node_t *root)
{
    lb_ctl_table_t         t;
    const lb_conf_node_t  *v;

    if (root == NULL || root->type != LB_CONF_NODE_MAP || root->n != 1) {
        return LB_ERROR;
    }

    v = root->first;

    if (v->type == LB_CONF_NODE_LIST) {
        if (v->n == 0) {
            fprintf(out, "no %s\n", v->key);
            return LB_OK;
        }
        if (v->first->type != LB_CONF_NODE_MAP) {
            return LB_ERROR;
        }
        lb_ctl_table_init(&t, lb_min(v->first->n, LB_CTL_TABLE_COLS));
        if (t.ncols == 0) {
            return LB_ERROR;
        }
        lb_ctl_table_list(&t, v);

    } else if (v->type == LB_CONF_NODE_MAP) {
        lb_ctl_table_init(&t, 2);
        lb_ctl_table_row(&t, (const char *const []) { "FIELD", "VALUE" });
        lb_ctl_table_object(&t, v, "");

    } else {
        return LB_ERROR;
    }

    if (!t.nomem) {
        lb_ctl_table_print(&t, out);
    }

    lb_ctl_table_free(&t);

    return LB_OK;
}


/* A row per item; the columns: the scalar and null members of the first
 * item, in order. */
static void
lb_ctl_table_list(lb_ctl_table_t *t, const lb_conf_node_t *list)
{
    char                   *p, *cells[LB_CTL_TABLE_COLS];
    const char             *keys[LB_CTL_TABLE_COLS];
    unsigned                i, ncols;
    const lb_conf_node_t   *item, *m;
    char                    text[LB_CTL_TABLE_COLS][LB_CTL_CELL_MAX];

    ncols = 0;

    for (m = list->first->first; m != NULL && ncols < LB_CTL_TABLE_COLS;
         m = m->next)
    {
        if (m->type == LB_CONF_NODE_SCALAR || m->type == LB_CONF_NODE_NULL) {
            keys[ncols] = m->key;
            snprintf(text[ncols], LB_CTL_CELL_MAX, "%s", m->key);
            for (p = text[ncols]; *p != '\0'; p++) {
                *p = (char) toupper((u_char) *p);
            }
            cells[ncols] = text[ncols];
            ncols++;
        }
    }

    if (ncols == 0) {
        return;
    }

    t->ncols = ncols;
    lb_ctl_table_row(t, (const char *const *) cells);

    for (item = list->first; item != NULL; item = item->next) {
        for (i = 0; i < ncols; i++) {
            m = item->type == LB_CONF_NODE_MAP
                ? lb_conf_node_get(item, keys[i]) : NULL;
            lb_ctl_node_text(m, text[i], LB_CTL_CELL_MAX);
        }
        lb_ctl_table_row(t, (const char *const *) cells);
    }
}


/* FIELD VALUE rows of map, nested maps with their names joined by '.' */
static void
lb_ctl_table_object(lb_ctl_table_t *t, const lb_conf_node_t *map,
    const char *prefix)
{
    char                   name[LB_CTL_CELL_MAX], value[LB_CTL_CELL_MAX];
    const char             *cells[2];
    const lb_conf_node_t   *m;

    for (m = map->first; m != NULL; m = m->next) {
        snprintf(name, sizeof(name), "%s%s", prefix, m->key);

        if (m->type == LB_CONF_NODE_MAP && m->n > 0) {
            strncat(name, ".", sizeof(name) - strlen(name) - 1);
            lb_ctl_table_object(t, m, name);
            continue;
        }

        lb_ctl_node_text(m, value, sizeof(value));
        cells[0] = name;
        cells[1] = value;
        lb_ctl_table_row(t, cells);
    }
}


/* A cell: a scalar as it is, null as "-", a list of scalars or of
 * {"id": ...} as the values joined by ',', anything else by its size
 * ("[3 items]", "{2 fields}", "{}"). */
static void
lb_ctl_node_text(const lb_conf_node_t *n, char *buf, size_t size)
{
    size_t                  len;
    const char             *s;
    const lb_conf_node_t   *i;

    buf[0] = '\0';

    if (n == NULL || n->type == LB_CONF_NODE_NULL) {
        return;
    }

    if (n->type == LB_CONF_NODE_SCALAR) {
        snprintf(buf, size, "%s", n->value);
        return;
    }

    if (n->type == LB_CONF_NODE_LIST) {
        len = 0;
        for (i = n->first; i != NULL; i = i->next) {
            s = i->type == LB_CONF_NODE_SCALAR ? i->value
                : lb_ctl_node_str(i, "id");
            if (s == NULL) {
                snprintf(buf, size, "[%u items]", n->n);
                return;
            }
            len += (size_t) snprintf(buf + len, size - len, "%s%s",
                                     len ? "," : "", s);
            if (len >= size) {
                return;
            }
        }
        return;
    }

    if (n->n == 0) {
        snprintf(buf, size, "{}");
    } else {
        snprintf(buf, size, "{%u fields}", n->n);
    }
}
