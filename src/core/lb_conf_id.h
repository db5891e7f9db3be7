/* weir: the stable ids of configuration objects (lb_conf_id.c), given
 * by the rules between objects (lb_conf_check.c) once every object was
 * read. */
#ifndef LB_CONF_ID_H
#define LB_CONF_ID_H

#include "lb_conf_schema.h"

/* Give every object of the tree under root that can carry an id one:
 * ids written in the file are checked unique first (a duplicate is an
 * error in cx), then an object without one gets a derived UUID, copied
 * into cx->pool. Out of memory sets cx->nomem. */
void lb_conf_ids(lb_conf_cx_t *cx, lb_conf_obj_t *root);

/* The name of an item when it was read without error, else NULL: what a
 * derived id is made from, and what the rules between objects compare.
 * The string belongs to the object. */
const char *lb_conf_name_of(const lb_conf_obj_t *obj);

#endif /* LB_CONF_ID_H */
