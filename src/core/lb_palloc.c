/* weir: memory pools. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_palloc.h"

static void *lb_palloc_block(lb_pool_t *pool, size_t size);
static void *lb_palloc_large(lb_pool_t *pool, size_t size);


lb_pool_t *
lb_create_pool(size_t size)
{
    lb_pool_t  *p;

    if (size < 256) {
        size = 256;
    }

    p = malloc(size);
    if (p == NULL) {
        return NULL;
    }

    p->block.last = (char *) p + sizeof(lb_pool_t);
    p->block.end = (char *) p + size;
    p->block.next = NULL;
    p->block.failed = 0;
    p->max = size - sizeof(lb_pool_t);
    p->current = &p->block;
    p->large = NULL;
    p->cleanup = NULL;

    return p;
}


static void
lb_pool_run_cleanups(lb_pool_t *pool)
{
    lb_pool_cleanup_t  *c;

    for (c = pool->cleanup; c != NULL; c = c->next) {
        if (c->handler != NULL) {
            c->handler(c->data);
        }
    }
    pool->cleanup = NULL;
}


void
lb_destroy_pool(lb_pool_t *pool)
{
    lb_pool_block_t  *b, *next;
    lb_pool_large_t  *l;

    if (pool == NULL) {
        return;
    }

    lb_pool_run_cleanups(pool);

    for (l = pool->large; l != NULL; l = l->next) {
        free(l->alloc);
    }

    for (b = pool->block.next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    free(pool);
}


void
lb_reset_pool(lb_pool_t *pool)
{
    lb_pool_block_t  *b, *next;
    lb_pool_large_t  *l;

    lb_pool_run_cleanups(pool);

    for (l = pool->large; l != NULL; l = l->next) {
        free(l->alloc);
    }

    for (b = pool->block.next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    pool->block.last = (char *) pool + sizeof(lb_pool_t);
    pool->block.next = NULL;
    pool->block.failed = 0;
    pool->current = &pool->block;
    pool->large = NULL;
}


void *
lb_palloc(lb_pool_t *pool, size_t size)
{
    lb_pool_block_t  *b;
    char             *m;

    if (size > pool->max) {
        return lb_palloc_large(pool, size);
    }

    for (b = pool->current; b != NULL; b = b->next) {
        m = (char *) lb_align((uintptr_t) b->last, LB_ALIGNMENT);
        if (m <= b->end && (size_t) (b->end - m) >= size) {
            b->last = m + size;
            return m;
        }
    }

    return lb_palloc_block(pool, size);
}


/* A new block sized like the first; blocks that failed often are skipped
 * by later allocations so the search stays short. */
static void *
lb_palloc_block(lb_pool_t *pool, size_t size)
{
    size_t            psize;
    char             *m;
    lb_pool_block_t  *b, *nb;

    psize = (size_t) (pool->block.end - (char *) pool);

    nb = malloc(psize);
    if (nb == NULL) {
        return NULL;
    }

    m = (char *) nb + sizeof(lb_pool_block_t);
    m = (char *) lb_align((uintptr_t) m, LB_ALIGNMENT);
    nb->end = (char *) nb + psize;
    nb->next = NULL;
    nb->failed = 0;
    nb->last = m + size;

    for (b = pool->current; b->next != NULL; b = b->next) {
        if (b->failed++ > 4) {
            pool->current = b->next;
        }
    }
    b->next = nb;

    return m;
}


static void *
lb_palloc_large(lb_pool_t *pool, size_t size)
{
    void             *p;
    lb_pool_large_t  *l;

    p = malloc(size);
    if (p == NULL) {
        return NULL;
    }

    l = lb_palloc(pool, sizeof(lb_pool_large_t));
    if (l == NULL) {
        free(p);
        return NULL;
    }

    l->alloc = p;
    l->next = pool->large;
    pool->large = l;

    return p;
}


void *
lb_pcalloc(lb_pool_t *pool, size_t size)
{
    void  *p;

    p = lb_palloc(pool, size);
    if (p != NULL) {
        memset(p, 0, size);
    }

    return p;
}


char *
lb_pstrndup(lb_pool_t *pool, const char *s, size_t len)
{
    char  *d;

    d = lb_palloc(pool, len + 1);
    if (d == NULL) {
        return NULL;
    }

    memcpy(d, s, len);
    d[len] = '\0';

    return d;
}


char *
lb_pstrdup(lb_pool_t *pool, const char *s)
{
    return lb_pstrndup(pool, s, strlen(s));
}


char *
lb_psprintf(lb_pool_t *pool, const char *fmt, ...)
{
    va_list   ap;
    int       n;
    char     *d;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0) {
        return NULL;
    }

    d = lb_palloc(pool, (size_t) n + 1);
    if (d == NULL) {
        return NULL;
    }

    va_start(ap, fmt);
    vsnprintf(d, (size_t) n + 1, fmt, ap);
    va_end(ap);

    return d;
}


lb_pool_cleanup_t *
lb_pool_cleanup_add(lb_pool_t *pool)
{
    lb_pool_cleanup_t  *c;

    c = lb_palloc(pool, sizeof(lb_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    c->handler = NULL;
    c->data = NULL;
    c->next = pool->cleanup;
    pool->cleanup = c;

    return c;
}
