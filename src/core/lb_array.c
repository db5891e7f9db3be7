/* weir: growable arrays allocated from a pool. */
#include <string.h>

#include "lb_array.h"
#include "lb_palloc.h"


lb_int_t
lb_array_init(lb_array_t *a, lb_pool_t *pool, size_t n, size_t size)
{
    a->nelts = 0;
    a->size = size;
    a->nalloc = n ? n : 1;
    a->pool = pool;
    a->elts = lb_palloc(pool, a->nalloc * size);

    return a->elts == NULL ? LB_ERROR : LB_OK;
}


lb_array_t *
lb_array_create(lb_pool_t *pool, size_t n, size_t size)
{
    lb_array_t  *a;

    a = lb_palloc(pool, sizeof(lb_array_t));
    if (a == NULL || lb_array_init(a, pool, n, size) != LB_OK) {
        return NULL;
    }

    return a;
}


void *
lb_array_push(lb_array_t *a)
{
    void  *n;

    if (a->nelts == a->nalloc) {
        n = lb_palloc(a->pool, 2 * a->nalloc * a->size);
        if (n == NULL) {
            return NULL;
        }
        memcpy(n, a->elts, a->nelts * a->size);
        a->elts = n;
        a->nalloc *= 2;
    }

    return (char *) a->elts + a->size * a->nelts++;
}
