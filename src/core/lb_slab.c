/* weir: the shared zone's allocator: size classes in pages, page runs. */
#include <string.h>

#include "lb_log.h"
#include "lb_slab.h"

/* page descriptor types; 0 is never written, so a zeroed descriptor is
 * recognized as garbage by the repair */
#define LB_SLAB_PAGE_FREE       1   /* first (or only) page of a free run */
#define LB_SLAB_PAGE_FREE_TAIL  2   /* last page of a free run of 2+ */
#define LB_SLAB_PAGE_RUN        3   /* first page of a used run */
#define LB_SLAB_PAGE_BODY       4   /* other pages of a used run */
#define LB_SLAB_PAGE_CHUNK      5   /* a page of chunks of one class */

/* keeps the order of descriptor writes that the repair relies on */
#define lb_slab_barrier()  __atomic_thread_fence(__ATOMIC_RELEASE)

static lb_slab_page_t *lb_slab_descs(lb_slab_pool_t *pool);
static char *lb_slab_page(lb_slab_pool_t *pool, uint32_t i);
static unsigned lb_slab_bin(uint32_t npages);
static void lb_slab_push(lb_slab_pool_t *pool, uint32_t *head, uint32_t i);
static void lb_slab_remove(lb_slab_pool_t *pool, uint32_t *head, uint32_t i);
static void lb_slab_mark_free(lb_slab_pool_t *pool, uint32_t h, uint32_t n);
static uint32_t lb_slab_run_alloc(lb_slab_pool_t *pool, uint32_t n);
static void lb_slab_run_free(lb_slab_pool_t *pool, uint32_t h, uint32_t n);
static void *lb_slab_chunk_alloc(lb_slab_pool_t *pool, unsigned cls);
static void lb_slab_chunk_init(lb_slab_pool_t *pool, uint32_t i, unsigned cls);
static void lb_slab_chunk_free(lb_slab_pool_t *pool, uint32_t i, size_t off,
    void *p);
static void *lb_slab_large_alloc(lb_slab_pool_t *pool, size_t size);
static unsigned lb_slab_used_chunks(lb_slab_page_t *d, uint32_t nchunks);

static const uint32_t  lb_slab_sizes[LB_SLAB_NCLASSES] = {
    16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048
};


lb_slab_pool_t *
lb_slab_init(void *start, size_t size)
{
    size_t           hdr, n, pages;
    unsigned         k;
    uintptr_t        base;
    lb_slab_pool_t  *pool;

    base = (uintptr_t) start;
    hdr = lb_align(sizeof(lb_slab_pool_t), (size_t) 64);

    if ((base & 7) != 0 || size < hdr + sizeof(lb_slab_page_t)
                                  + 2 * LB_SLAB_PAGE_SIZE)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "slab: %zu bytes at %p cannot hold a page", size, start);
        return NULL;
    }

    n = (size - hdr) / (LB_SLAB_PAGE_SIZE + sizeof(lb_slab_page_t));
    n = lb_min(n, (size_t) UINT32_MAX - 1);

    for ( ;; ) {
        pages = lb_align(base + hdr + n * sizeof(lb_slab_page_t),
                         (uintptr_t) LB_SLAB_PAGE_SIZE) - base;
        if (pages + n * LB_SLAB_PAGE_SIZE <= size) {
            break;
        }
        n--;
    }

    if (n == 0) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "slab: %zu bytes at %p cannot hold a page", size, start);
        return NULL;
    }

    pool = start;
    memset(pool, 0, hdr);
    memset((char *) pool + hdr, 0, n * sizeof(lb_slab_page_t));

    pool->npages = (uint32_t) n;
    pool->descs = hdr;
    pool->pages = pages;

    for (k = 0; k < LB_SLAB_NBINS; k++) {
        pool->bins[k] = LB_SLAB_NONE;
    }

    for (k = 0; k < LB_SLAB_NCLASSES; k++) {
        pool->classes[k].size = lb_slab_sizes[k];
        pool->classes[k].nchunks = LB_SLAB_PAGE_SIZE / lb_slab_sizes[k];
        pool->classes[k].partial = LB_SLAB_NONE;
    }

    lb_slab_mark_free(pool, 0, pool->npages);
    pool->free_pages = pool->npages;

    if (lb_shmtx_init(&pool->mutex) != LB_OK) {
        return NULL;
    }

    return pool;
}


static lb_slab_page_t *
lb_slab_descs(lb_slab_pool_t *pool)
{
    return (lb_slab_page_t *) ((char *) pool + pool->descs);
}


static char *
lb_slab_page(lb_slab_pool_t *pool, uint32_t i)
{
    return (char *) pool + pool->pages + (uint64_t) i * LB_SLAB_PAGE_SIZE;
}


static unsigned
lb_slab_bin(uint32_t npages)
{
    return 31 - __builtin_clz(npages);
}


static void
lb_slab_push(lb_slab_pool_t *pool, uint32_t *head, uint32_t i)
{
    lb_slab_page_t  *d;

    d = lb_slab_descs(pool);

    d[i].prev = LB_SLAB_NONE;
    d[i].next = *head;
    if (*head != LB_SLAB_NONE) {
        d[*head].prev = i;
    }
    *head = i;
}


static void
lb_slab_remove(lb_slab_pool_t *pool, uint32_t *head, uint32_t i)
{
    lb_slab_page_t  *d;

    d = lb_slab_descs(pool);

    if (d[i].prev == LB_SLAB_NONE) {
        *head = d[i].next;
    } else {
        d[d[i].prev].next = d[i].next;
    }

    if (d[i].next != LB_SLAB_NONE) {
        d[d[i].next].prev = d[i].prev;
    }

    d[i].next = LB_SLAB_NONE;
    d[i].prev = LB_SLAB_NONE;
}


/* Describe pages [h, h + n) as one free run and bin it. The tail is
 * written before the head: the repair only trusts heads. */
static void
lb_slab_mark_free(lb_slab_pool_t *pool, uint32_t h, uint32_t n)
{
    lb_slab_page_t  *d;

    d = lb_slab_descs(pool);

    if (n > 1) {
        d[h + n - 1].npages = n;
        d[h + n - 1].type = LB_SLAB_PAGE_FREE_TAIL;
    }

    d[h].npages = n;
    lb_slab_barrier();
    d[h].type = LB_SLAB_PAGE_FREE;

    lb_slab_push(pool, &pool->bins[lb_slab_bin(n)], h);
}


/* Take n pages from the free runs: first fit in the bin of n, else the
 * first run of a higher bin (which always fits). Returns the first page,
 * still typed free: the caller describes it (length before type), or
 * LB_SLAB_NONE. */
static uint32_t
lb_slab_run_alloc(lb_slab_pool_t *pool, uint32_t n)
{
    uint32_t         i, m;
    unsigned         b;
    lb_slab_page_t  *d;

    d = lb_slab_descs(pool);

    for (b = lb_slab_bin(n); b < LB_SLAB_NBINS; b++) {
        for (i = pool->bins[b]; i != LB_SLAB_NONE; i = d[i].next) {
            if (d[i].npages >= n) {
                goto found;
            }
        }
    }

    return LB_SLAB_NONE;

found:

    m = d[i].npages;
    lb_slab_remove(pool, &pool->bins[lb_slab_bin(m)], i);

    if (m > n) {
        /* the rest first: until the head changes, the repair sees the
         * whole run free, and afterwards both parts */
        lb_slab_mark_free(pool, i + n, m - n);
        lb_slab_barrier();
    }

    pool->free_pages -= n;

    return i;
}


/* Return pages [h, h + n) and merge them with free neighbours. */
static void
lb_slab_run_free(lb_slab_pool_t *pool, uint32_t h, uint32_t n)
{
    uint32_t         start, len, l, r;
    lb_slab_page_t  *d;

    d = lb_slab_descs(pool);

    d[h].npages = n;
    lb_slab_barrier();
    d[h].type = LB_SLAB_PAGE_FREE;
    lb_slab_barrier();

    pool->free_pages += n;
    start = h;
    len = n;

    if (h > 0 && (d[h - 1].type == LB_SLAB_PAGE_FREE
                  || d[h - 1].type == LB_SLAB_PAGE_FREE_TAIL))
    {
        l = h - d[h - 1].npages;
        lb_slab_remove(pool, &pool->bins[lb_slab_bin(d[l].npages)], l);
        start = l;
        len += d[l].npages;
    }

    r = h + n;
    if (r < pool->npages && d[r].type == LB_SLAB_PAGE_FREE) {
        lb_slab_remove(pool, &pool->bins[lb_slab_bin(d[r].npages)], r);
        len += d[r].npages;
    }

    lb_slab_mark_free(pool, start, len);
}


lb_int_t
lb_slab_lock(lb_slab_pool_t *pool)
{
    lb_int_t  rc;

    rc = lb_shmtx_lock(&pool->mutex);

    if (rc == LB_SHMTX_OWNER_DEAD) {
        pool->repairs++;
        (void) lb_slab_repair_locked(pool);
    }

    return rc;
}


void
lb_slab_unlock(lb_slab_pool_t *pool)
{
    lb_shmtx_unlock(&pool->mutex);
}


void *
lb_slab_alloc(lb_slab_pool_t *pool, size_t size)
{
    void  *p;

    if (lb_slab_lock(pool) == LB_ERROR) {
        return NULL;
    }

    p = lb_slab_alloc_locked(pool, size);

    lb_slab_unlock(pool);

    return p;
}


void *
lb_slab_calloc(lb_slab_pool_t *pool, size_t size)
{
    void  *p;

    p = lb_slab_alloc(pool, size);
    if (p != NULL) {
        memset(p, 0, size);
    }

    return p;
}


void *
lb_slab_calloc_locked(lb_slab_pool_t *pool, size_t size)
{
    void  *p;

    p = lb_slab_alloc_locked(pool, size);
    if (p != NULL) {
        memset(p, 0, size);
    }

    return p;
}


void *
lb_slab_alloc_locked(lb_slab_pool_t *pool, size_t size)
{
    unsigned  cls;

    if (size > LB_SLAB_MAX_CHUNK) {
        return lb_slab_large_alloc(pool, size);
    }

    for (cls = 0; lb_slab_sizes[cls] < size; cls++) {
        /* void */
    }

    return lb_slab_chunk_alloc(pool, cls);
}


static void *
lb_slab_large_alloc(lb_slab_pool_t *pool, size_t size)
{
    size_t           n;
    uint32_t         h, k;
    lb_slab_page_t  *d;

    pool->large_reqs++;

    n = size / LB_SLAB_PAGE_SIZE + (size % LB_SLAB_PAGE_SIZE != 0);

    if (pool->broken || n > pool->free_pages) {
        pool->large_fails++;
        return NULL;
    }

    h = lb_slab_run_alloc(pool, (uint32_t) n);
    if (h == LB_SLAB_NONE) {
        pool->large_fails++;
        return NULL;
    }

    d = lb_slab_descs(pool);

    for (k = 1; k < n; k++) {
        d[h + k].type = LB_SLAB_PAGE_BODY;
    }

    d[h].npages = (uint32_t) n;
    lb_slab_barrier();
    d[h].type = LB_SLAB_PAGE_RUN;

    pool->large_pages += n;
    pool->large_runs++;

    return lb_slab_page(pool, h);
}


static void *
lb_slab_chunk_alloc(lb_slab_pool_t *pool, unsigned cls)
{
    uint32_t          i;
    unsigned          w, bit;
    lb_slab_page_t   *d;
    lb_slab_class_t  *c;

    c = &pool->classes[cls];
    c->reqs++;

    if (pool->broken) {
        c->fails++;
        return NULL;
    }

    i = c->partial;

    if (i == LB_SLAB_NONE) {
        i = lb_slab_run_alloc(pool, 1);
        if (i == LB_SLAB_NONE) {
            c->fails++;
            return NULL;
        }

        lb_slab_chunk_init(pool, i, cls);
        c->pages++;
        lb_slab_push(pool, &c->partial, i);
    }

    d = &lb_slab_descs(pool)[i];

    for (w = 0; d->map[w] == UINT64_MAX; w++) {
        /* a partial page has a zero bit */
    }

    bit = __builtin_ctzll(~d->map[w]);
    d->map[w] |= (uint64_t) 1 << bit;
    d->nfree--;

    if (d->nfree == 0) {
        lb_slab_remove(pool, &c->partial, i);
    }

    c->used++;

    return lb_slab_page(pool, i) + (size_t) (w * 64 + bit) * c->size;
}


/* Make page i an empty page of class cls. The bits past the last chunk
 * stay set so that they are never handed out. */
static void
lb_slab_chunk_init(lb_slab_pool_t *pool, uint32_t i, unsigned cls)
{
    uint32_t         n, k;
    lb_slab_page_t  *d;

    d = &lb_slab_descs(pool)[i];
    n = pool->classes[cls].nchunks;

    d->cls = (uint8_t) cls;
    d->nfree = (uint16_t) n;

    for (k = 0; k < LB_SLAB_MAP_WORDS; k++) {
        if (n >= (k + 1) * 64) {
            d->map[k] = 0;
        } else if (n <= k * 64) {
            d->map[k] = UINT64_MAX;
        } else {
            d->map[k] = UINT64_MAX << (n - k * 64);
        }
    }

    d->npages = 1;
    lb_slab_barrier();
    d->type = LB_SLAB_PAGE_CHUNK;
}


void
lb_slab_free(lb_slab_pool_t *pool, void *p)
{
    if (p == NULL) {
        return;
    }

    if (lb_slab_lock(pool) == LB_ERROR) {
        return;
    }

    lb_slab_free_locked(pool, p);

    lb_slab_unlock(pool);
}


void
lb_slab_free_locked(lb_slab_pool_t *pool, void *p)
{
    size_t           off;
    uint32_t         i;
    lb_slab_page_t  *d;

    if (p == NULL || pool->broken) {
        return;
    }

    if ((char *) p < lb_slab_page(pool, 0)
        || (char *) p >= lb_slab_page(pool, pool->npages))
    {
        goto bad;
    }

    off = (char *) p - lb_slab_page(pool, 0);
    i = (uint32_t) (off / LB_SLAB_PAGE_SIZE);
    off %= LB_SLAB_PAGE_SIZE;
    d = &lb_slab_descs(pool)[i];

    if (d->type == LB_SLAB_PAGE_CHUNK) {
        lb_slab_chunk_free(pool, i, off, p);
        return;
    }

    if (d->type == LB_SLAB_PAGE_RUN && off == 0) {
        pool->large_pages -= d->npages;
        pool->large_runs--;
        lb_slab_run_free(pool, i, d->npages);
        return;
    }

bad:

    lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                 "slab: free of %p, which is not allocated", p);
}


static void
lb_slab_chunk_free(lb_slab_pool_t *pool, uint32_t i, size_t off, void *p)
{
    size_t            k;
    uint64_t          bit;
    lb_slab_page_t   *d;
    lb_slab_class_t  *c;

    d = &lb_slab_descs(pool)[i];
    c = &pool->classes[d->cls];

    k = off / c->size;
    bit = (uint64_t) 1 << (k % 64);

    if (off % c->size != 0 || k >= c->nchunks
        || (d->map[k / 64] & bit) == 0)
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "slab: free of %p, which is not allocated", p);
        return;
    }

    d->map[k / 64] &= ~bit;
    d->nfree++;
    c->used--;

    if (d->nfree == 1) {
        lb_slab_push(pool, &c->partial, i);
    }

    if (d->nfree == c->nchunks) {
        /* an empty page goes back to the runs, so that a class never
         * keeps memory another size could use */
        lb_slab_remove(pool, &c->partial, i);
        c->pages--;
        lb_slab_run_free(pool, i, 1);
    }
}


/* Chunks in use on chunk page d, from its bitmap; fixes the bits past
 * the last chunk. */
static unsigned
lb_slab_used_chunks(lb_slab_page_t *d, uint32_t nchunks)
{
    unsigned  k, used;

    used = 0;

    for (k = 0; k < LB_SLAB_MAP_WORDS; k++) {
        if (nchunks <= k * 64) {
            d->map[k] = UINT64_MAX;
            continue;
        }

        if (nchunks < (k + 1) * 64) {
            d->map[k] |= UINT64_MAX << (nchunks - k * 64);
            used += __builtin_popcountll(d->map[k])
                    - ((k + 1) * 64 - nchunks);
            continue;
        }

        used += __builtin_popcountll(d->map[k]);
    }

    return used;
}


lb_int_t
lb_slab_repair_locked(lb_slab_pool_t *pool)
{
    uint32_t          i, n, fs, fl;
    unsigned          k, used;
    lb_slab_page_t   *d;
    lb_slab_class_t  *c;

    d = lb_slab_descs(pool);

    for (k = 0; k < LB_SLAB_NBINS; k++) {
        pool->bins[k] = LB_SLAB_NONE;
    }

    for (k = 0; k < LB_SLAB_NCLASSES; k++) {
        pool->classes[k].partial = LB_SLAB_NONE;
        pool->classes[k].pages = 0;
        pool->classes[k].used = 0;
    }

    pool->free_pages = 0;
    pool->large_pages = 0;
    pool->large_runs = 0;

    /* walk the heads: every page belongs to exactly one run or is a chunk
     * page; adjacent free pages are merged into one run */
    fs = LB_SLAB_NONE;
    fl = 0;
    i = 0;

    while (i < pool->npages) {
        n = 1;

        switch (d[i].type) {

        case LB_SLAB_PAGE_FREE:
        case LB_SLAB_PAGE_RUN:
            n = d[i].npages;
            if (n == 0 || n > pool->npages - i) {
                goto broken;
            }
            break;

        case LB_SLAB_PAGE_CHUNK:
            if (d[i].cls >= LB_SLAB_NCLASSES) {
                goto broken;
            }
            break;

        default:
            goto broken;
        }

        if (d[i].type == LB_SLAB_PAGE_CHUNK) {
            c = &pool->classes[d[i].cls];
            used = lb_slab_used_chunks(&d[i], c->nchunks);

            if (used != 0) {
                d[i].nfree = (uint16_t) (c->nchunks - used);
                c->pages++;
                c->used += used;
                if (d[i].nfree != 0) {
                    lb_slab_push(pool, &c->partial, i);
                }
                goto used;
            }

            /* an empty chunk page is free memory */
        }

        if (d[i].type != LB_SLAB_PAGE_RUN) {
            if (fs == LB_SLAB_NONE) {
                fs = i;
                fl = 0;
            }
            fl += n;
            i += n;
            continue;
        }

        for (k = 1; k < n; k++) {
            d[i + k].type = LB_SLAB_PAGE_BODY;
        }

        pool->large_pages += n;
        pool->large_runs++;

    used:

        if (fs != LB_SLAB_NONE) {
            lb_slab_mark_free(pool, fs, fl);
            pool->free_pages += fl;
            fs = LB_SLAB_NONE;
        }

        i += n;
    }

    if (fs != LB_SLAB_NONE) {
        lb_slab_mark_free(pool, fs, fl);
        pool->free_pages += fl;
    }

    pool->broken = 0;

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0,
                 "slab: repaired: %u of %u pages free", pool->free_pages,
                 pool->npages);

    return LB_OK;

broken:

    pool->broken = 1;

    lb_log_error(LB_LOG_CRIT, &lb_log, 0,
                 "slab: page %u has a bad descriptor (type %u, %u pages); "
                 "the zone allocates nothing more", i, d[i].type,
                 d[i].npages);

    return LB_ERROR;
}


void
lb_slab_stats(lb_slab_pool_t *pool, lb_slab_stats_t *st)
{
    int               b;
    uint32_t          i;
    unsigned          k;
    lb_int_t          rc;
    lb_slab_page_t   *d;
    lb_slab_class_t  *c;

    memset(st, 0, sizeof(lb_slab_stats_t));

    rc = lb_slab_lock(pool);

    st->page_size = LB_SLAB_PAGE_SIZE;
    st->pages = pool->npages;
    st->free_pages = pool->free_pages;

    for (k = 0; k < LB_SLAB_NCLASSES; k++) {
        c = &pool->classes[k];
        st->classes[k].size = c->size;
        st->classes[k].pages = c->pages;
        st->classes[k].chunks = (uint64_t) c->pages * c->nchunks;
        st->classes[k].used = c->used;
        st->classes[k].reqs = c->reqs;
        st->classes[k].fails = c->fails;
    }

    st->large_pages = pool->large_pages;
    st->large_runs = pool->large_runs;
    st->large_reqs = pool->large_reqs;
    st->large_fails = pool->large_fails;
    st->owner_deaths = pool->mutex.deaths;
    st->repairs = pool->repairs;
    st->broken = pool->broken != 0;

    /* the longest free run is in the highest bin that has one */
    d = lb_slab_descs(pool);

    for (b = LB_SLAB_NBINS - 1; b >= 0; b--) {
        for (i = pool->bins[b]; i != LB_SLAB_NONE; i = d[i].next) {
            st->largest_free_run = lb_max(st->largest_free_run,
                                          (uint64_t) d[i].npages);
        }

        if (st->largest_free_run != 0) {
            break;
        }
    }

    if (rc != LB_ERROR) {
        lb_slab_unlock(pool);
    }
}
