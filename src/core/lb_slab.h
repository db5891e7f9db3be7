/* weir: an allocator for memory shared between processes (the zone).
 *
 * The managed memory is cut into pages of LB_SLAB_PAGE_SIZE. A request up
 * to LB_SLAB_MAX_CHUNK bytes is served from a page given to its size class
 * (16 .. 2048 bytes, powers of two and the halves between them): a page of
 * a class holds equal chunks, and a bitmap in the page's descriptor says
 * which are in use. Larger requests take a run of whole pages. Free runs
 * are kept in bins by log2 of their length and merge with free neighbours
 * when released (boundary tags: the first and last page of a free run both
 * know its length), so small and large allocations share all the memory.
 *
 * Descriptors live outside the pages, so an allocation that overruns its
 * chunk cannot break the allocator's lists. Every link is a page index or
 * an offset from the pool, never a pointer: the pool works at any address.
 * Writes are ordered so that a process that dies in the middle of an
 * operation leaves the page descriptors in a state lb_slab_repair() can
 * rebuild every list and count from. */
#ifndef LB_SLAB_H
#define LB_SLAB_H

#include "lb_core_types.h"
#include "lb_shmtx.h"

#define LB_SLAB_PAGE_SIZE   4096
#define LB_SLAB_MIN_CHUNK   16
#define LB_SLAB_MAX_CHUNK   (LB_SLAB_PAGE_SIZE / 2)
#define LB_SLAB_NCLASSES    14
#define LB_SLAB_NBINS       32
#define LB_SLAB_MAP_WORDS   (LB_SLAB_PAGE_SIZE / LB_SLAB_MIN_CHUNK / 64)
#define LB_SLAB_NONE        UINT32_MAX

/* one per page, in an array before the pages */
typedef struct {
    uint32_t            next;        /* list link (page index) */
    uint32_t            prev;
    uint32_t            npages;      /* run length: free run head and tail,
                                        used run head */
    uint8_t             type;        /* LB_SLAB_PAGE_* (lb_slab.c) */
    uint8_t             cls;         /* chunk page: its size class */
    uint16_t            nfree;       /* chunk page: free chunks */
    uint64_t            map[LB_SLAB_MAP_WORDS];  /* chunk page: 1 = used */
} lb_slab_page_t;

typedef struct {
    uint32_t            size;        /* chunk size */
    uint32_t            nchunks;     /* chunks per page */
    uint32_t            partial;     /* pages with a free chunk (list) */
    uint32_t            pages;       /* pages in this class */
    uint64_t            used;        /* chunks handed out */
    uint64_t            reqs;        /* allocation requests */
    uint64_t            fails;       /* of which failed */
} lb_slab_class_t;

typedef struct {
    lb_shmtx_t          mutex;
    uint32_t            npages;
    uint32_t            free_pages;
    uint64_t            pages;       /* offset of page 0 from the pool */
    uint64_t            descs;       /* offset of the descriptors */
    uint32_t            broken;      /* repair failed: allocate nothing */
    uint32_t            repairs;
    uint32_t            bins[LB_SLAB_NBINS];   /* free runs by log2 len */
    lb_slab_class_t     classes[LB_SLAB_NCLASSES];
    uint64_t            large_pages; /* pages in used runs */
    uint64_t            large_runs;
    uint64_t            large_reqs;
    uint64_t            large_fails;
} lb_slab_pool_t;

typedef struct {
    size_t              size;        /* chunk size */
    uint64_t            pages;
    uint64_t            chunks;      /* in those pages */
    uint64_t            used;
    uint64_t            reqs;
    uint64_t            fails;
} lb_slab_class_stats_t;

typedef struct {
    size_t                  page_size;
    uint64_t                pages;       /* managed pages */
    uint64_t                free_pages;
    uint64_t                largest_free_run;   /* pages */
    lb_slab_class_stats_t   classes[LB_SLAB_NCLASSES];
    uint64_t                large_pages;
    uint64_t                large_runs;
    uint64_t                large_reqs;
    uint64_t                large_fails;
    uint32_t                owner_deaths;
    uint32_t                repairs;
    bool                    broken;
} lb_slab_stats_t;

/* Make a pool over the `size` bytes at `start` (8-byte aligned; shared
 * memory for a shared pool). The pool header is put at `start`; pages are
 * aligned to LB_SLAB_PAGE_SIZE. Returns the pool, or NULL (logged) when
 * the space holds no page or the lock cannot be made. */
lb_slab_pool_t *lb_slab_init(void *start, size_t size);

/* Take the pool's lock. Returns LB_OK; LB_SHMTX_OWNER_DEAD when a process
 * died holding it (the allocator is already repaired; whatever else the
 * caller guards with this lock may need checking); LB_ERROR (logged, not
 * held). */
lb_int_t lb_slab_lock(lb_slab_pool_t *pool);

/* Release the pool's lock. */
void lb_slab_unlock(lb_slab_pool_t *pool);

/* Allocate `size` bytes. Chunks are aligned to the largest power of two
 * that divides their class size (at least 16, so a size that is a multiple
 * of 64 gets 64-byte alignment); page runs to the page. Returns NULL when
 * the pool is full (counted in the stats, not logged). The _locked forms
 * expect the caller to hold the lock. */
void *lb_slab_alloc(lb_slab_pool_t *pool, size_t size);
void *lb_slab_alloc_locked(lb_slab_pool_t *pool, size_t size);

/* lb_slab_alloc() and zero-fill. */
void *lb_slab_calloc(lb_slab_pool_t *pool, size_t size);
void *lb_slab_calloc_locked(lb_slab_pool_t *pool, size_t size);

/* Return memory from lb_slab_alloc(); NULL is accepted. A pointer this
 * pool did not hand out (or a second free) is logged and ignored. */
void lb_slab_free(lb_slab_pool_t *pool, void *p);
void lb_slab_free_locked(lb_slab_pool_t *pool, void *p);

/* Rebuild the free lists, bins and counts from the page descriptors, as
 * after the death of a process that held the lock. LB_OK, or LB_ERROR
 * (logged) when the descriptors make no sense; the pool then refuses
 * every allocation. The caller holds the lock. */
lb_int_t lb_slab_repair_locked(lb_slab_pool_t *pool);

/* A consistent copy of the pool's statistics (takes the lock). */
void lb_slab_stats(lb_slab_pool_t *pool, lb_slab_stats_t *st);

#endif /* LB_SLAB_H */
