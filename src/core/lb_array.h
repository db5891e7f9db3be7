/* weir: growable arrays allocated from a pool. */
#ifndef LB_ARRAY_H
#define LB_ARRAY_H

#include "lb_core_types.h"

struct lb_array_s {
    void       *elts;
    size_t      nelts;
    size_t      size;
    size_t      nalloc;
    lb_pool_t  *pool;
};

/* Initialize `a` for n elements of `size` bytes from `pool`.
 * Returns LB_OK or LB_ERROR (out of memory). */
lb_int_t lb_array_init(lb_array_t *a, lb_pool_t *pool, size_t n, size_t size);

/* Create an array in the pool; NULL when out of memory. */
lb_array_t *lb_array_create(lb_pool_t *pool, size_t n, size_t size);

/* Append one element (uninitialized) and return it; the array doubles
 * when full (the old storage stays in the pool). NULL when out of memory. */
void *lb_array_push(lb_array_t *a);

#define lb_array_at(a, type, i)  (&((type *) (a)->elts)[i])

#endif /* LB_ARRAY_H */
