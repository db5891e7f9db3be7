/* weir: memory pools. One pool per cycle, per connection, per parse;
 * everything allocated from a pool is freed with it at once. */
#ifndef LB_PALLOC_H
#define LB_PALLOC_H

#include "lb_core_types.h"

typedef void (*lb_pool_cleanup_pt)(void *data);

typedef struct lb_pool_cleanup_s  lb_pool_cleanup_t;

struct lb_pool_cleanup_s {
    lb_pool_cleanup_pt   handler;
    void                *data;
    lb_pool_cleanup_t   *next;
};

typedef struct lb_pool_large_s  lb_pool_large_t;

struct lb_pool_large_s {
    lb_pool_large_t     *next;
    void                *alloc;
};

typedef struct lb_pool_block_s  lb_pool_block_t;

struct lb_pool_block_s {
    char                *last;
    char                *end;
    lb_pool_block_t     *next;
    unsigned             failed;
};

struct lb_pool_s {
    lb_pool_block_t      block;     /* first block, inline */
    size_t               max;       /* larger requests go to the large list */
    lb_pool_block_t     *current;
    lb_pool_large_t     *large;
    lb_pool_cleanup_t   *cleanup;
};

#define LB_POOL_DEFAULT_SIZE  (16 * 1024)

/* Create a pool whose blocks are `size` bytes (>= 256). Returns NULL when
 * out of memory. The caller owns the pool and frees it with
 * lb_destroy_pool(). */
lb_pool_t *lb_create_pool(size_t size);

/* Run the cleanup handlers (last added first), then free every block and
 * large allocation. NULL is accepted. */
void lb_destroy_pool(lb_pool_t *pool);

/* Free all allocations but keep the first block for reuse; cleanups run. */
void lb_reset_pool(lb_pool_t *pool);

/* Aligned allocation from the pool; NULL when out of memory. */
void *lb_palloc(lb_pool_t *pool, size_t size);

/* lb_palloc() then zero-fill. */
void *lb_pcalloc(lb_pool_t *pool, size_t size);

/* A NUL-terminated copy of s[0..len) in the pool. */
char *lb_pstrndup(lb_pool_t *pool, const char *s, size_t len);

/* A NUL-terminated copy of the C string s in the pool. */
char *lb_pstrdup(lb_pool_t *pool, const char *s);

/* printf into a new pool string. */
char *lb_psprintf(lb_pool_t *pool, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Register a handler run when the pool is destroyed or reset; NULL on
 * out of memory. The caller fills handler and data. */
lb_pool_cleanup_t *lb_pool_cleanup_add(lb_pool_t *pool);

#endif /* LB_PALLOC_H */
