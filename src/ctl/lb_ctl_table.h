/* weir: weirctl's aligned text tables (like `kubectl get`): a header row
 * and rows of cells, each column as wide as its widest cell, three spaces
 * between columns. */
#ifndef LB_CTL_TABLE_H
#define LB_CTL_TABLE_H

#include <stdio.h>

#include "lb_conf_node.h"
#include "lb_core_types.h"

#define LB_CTL_TABLE_COLS  32

typedef struct {
    unsigned    ncols;
    size_t      nrows;
    size_t      nalloc;
    char      **cells;      /* nrows * ncols, malloc'd copies */
    unsigned    nomem:1;
} lb_ctl_table_t;

/* An empty table of ncols (1..LB_CTL_TABLE_COLS) columns. */
void lb_ctl_table_init(lb_ctl_table_t *t, unsigned ncols);

/* Append a row of t->ncols cells (NULL cells print as "-"), copied. Out
 * of memory shows in t->nomem. */
void lb_ctl_table_row(lb_ctl_table_t *t, const char *const *cells);

/* Print the rows, the first one being the header; trailing blanks are not
 * written. */
void lb_ctl_table_print(const lb_ctl_table_t *t, FILE *out);

void lb_ctl_table_free(lb_ctl_table_t *t);

/* A JSON document of the API, json[0..len), read into a node tree from
 * pool (libyaml reads JSON), or NULL when it is not one. */
lb_conf_node_t *lb_ctl_json_read(lb_pool_t *pool, const u_char *json,
    size_t len);

/* The text of a scalar member `key` of the map node, or NULL when it is
 * missing, null or not a scalar. */
const char *lb_ctl_node_str(const lb_conf_node_t *map, const char *key);

/* Print a response of the API as a table: {"things": [{...}, ...]} as a
 * row per item with a column per scalar member (upper-case names, in the
 * order of the first item); {"thing": {...}} as FIELD VALUE rows, nested
 * objects with dotted names and lists of {"id": ...} as their ids.
 * LB_ERROR (nothing printed) when the document has neither shape. */
lb_int_t lb_ctl_table_json(FILE *out, const lb_conf_node_t *root);

#endif /* LB_CTL_TABLE_H */
