/* weir: unit tests for src/core/lb_slab.c: the shared zone's allocator. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_log.h"
#include "lb_slab.h"
#include "../lb_test.h"

#define AREA  (4 * 1024 * 1024)
#define MAXP  4096

typedef struct {
    unsigned char  *p;
    size_t          size;
    unsigned char   fill;
} alloc_t;

static void            *area;
static lb_slab_pool_t  *pool;
static alloc_t          allocs[MAXP];


static int
setup(void **state)
{
    area = mmap(NULL, AREA, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(area != MAP_FAILED);
    pool = lb_slab_init(area, AREA);
    assert_non_null(pool);
    return 0;
}


static int
teardown(void **state)
{
    munmap(area, AREA);
    return 0;
}


/* Every class empty, every page free, one run holding them all. */
static void
assert_empty(void)
{
    unsigned         k;
    lb_slab_stats_t  st;

    lb_slab_stats(pool, &st);

    assert_int_equal(st.free_pages, st.pages);
    assert_int_equal(st.largest_free_run, st.pages);
    assert_int_equal(st.large_pages, 0);
    assert_int_equal(st.large_runs, 0);

    for (k = 0; k < LB_SLAB_NCLASSES; k++) {
        assert_int_equal(st.classes[k].used, 0);
        assert_int_equal(st.classes[k].pages, 0);
    }
}


static size_t
alignment(const void *p)
{
    uintptr_t  a = (uintptr_t) p;

    return a & -a;
}


static void
fill(alloc_t *a, size_t size, unsigned char c)
{
    a->size = size;
    a->fill = c;
    memset(a->p, c, size);
}


static void
verify(const alloc_t *a)
{
    size_t  i;

    for (i = 0; i < a->size; i++) {
        if (a->p[i] != a->fill) {
            fail_msg("allocation %p of %zu bytes overwritten at %zu",
                     (void *) a->p, a->size, i);
        }
    }
}


static void
test_init(void **state)
{
    lb_slab_stats_t  st;

    lb_slab_stats(pool, &st);

    assert_int_equal(st.page_size, LB_SLAB_PAGE_SIZE);
    /* the header and descriptors cost under 2% of the pages */
    assert_true(st.pages > AREA / LB_SLAB_PAGE_SIZE * 98 / 100 - 2);
    assert_true(st.pages < AREA / LB_SLAB_PAGE_SIZE);
    assert_int_equal(st.classes[0].size, 16);
    assert_int_equal(st.classes[LB_SLAB_NCLASSES - 1].size,
                     LB_SLAB_MAX_CHUNK);
    assert_false(st.broken);
    assert_empty();

    /* too small for a page */
    lb_test_quiet(true);
    assert_null(lb_slab_init(area, 4096));
    lb_test_quiet(false);
}


static size_t
random_size(void)
{
    switch (lb_test_rand() % 4) {
    case 0:
        return 1 + lb_test_rand() % 64;
    case 1:
        return 1 + lb_test_rand() % 512;
    case 2:
        return 1 + lb_test_rand() % LB_SLAB_MAX_CHUNK;
    default:
        return 1 + lb_test_rand() % (5 * LB_SLAB_PAGE_SIZE);
    }
}


/* Many sizes: patterns never overlap, alignments hold, frees are reused
 * and freeing everything gives every page back. */
static void
test_many_sizes(void **state)
{
    size_t           i, n, size, total;
    lb_slab_stats_t  st;
    static const size_t  edges[] = {
        0, 1, 15, 16, 17, 48, 64, 100, 384, 2047, 2048, 2049, 4095, 4096,
        4097, 8192, 12289, 65536
    };

    n = 0;
    total = 0;

    for (i = 0; i < lb_nelems(edges); i++, n++) {
        allocs[n].p = lb_slab_alloc(pool, edges[i]);
        assert_non_null(allocs[n].p);
        fill(&allocs[n], edges[i], (unsigned char) (n + 1));
    }

    while (n < MAXP && total < AREA / 2) {
        size = random_size();
        allocs[n].p = lb_slab_alloc(pool, size);
        assert_non_null(allocs[n].p);
        fill(&allocs[n], size, (unsigned char) (n + 1));
        total += size;
        n++;
    }

    for (i = 0; i < n; i++) {
        verify(&allocs[i]);

        size = allocs[i].size;
        if (size > LB_SLAB_MAX_CHUNK) {
            assert_true(alignment(allocs[i].p) >= LB_SLAB_PAGE_SIZE);
        } else {
            assert_true(alignment(allocs[i].p) >= 16);
        }
    }

    /* free every other one, check the rest, allocate again */
    for (i = 0; i < n; i += 2) {
        lb_slab_free(pool, allocs[i].p);
        allocs[i].p = NULL;
    }

    for (i = 1; i < n; i += 2) {
        verify(&allocs[i]);
    }

    for (i = 0; i < n; i += 2) {
        size = random_size();
        allocs[i].p = lb_slab_alloc(pool, size);
        if (allocs[i].p == NULL) {
            /* fragmentation may refuse a large one; not a small one */
            assert_true(size > LB_SLAB_MAX_CHUNK);
            allocs[i].size = 0;
            continue;
        }
        fill(&allocs[i], size, (unsigned char) (0x80 | i));
    }

    for (i = 0; i < n; i++) {
        if (allocs[i].p != NULL) {
            verify(&allocs[i]);
        }
    }

    lb_slab_stats(pool, &st);
    assert_true(st.free_pages < st.pages);

    for (i = 0; i < n; i++) {
        lb_slab_free(pool, allocs[i].p);
    }

    assert_empty();
}


/* Sizes that are multiples of 64 are 64-aligned (the zone's records
 * rely on it), 384 even 128. */
static void
test_alignment(void **state)
{
    int     i;
    void   *p[40];

    for (i = 0; i < 40; i++) {
        p[i] = lb_slab_alloc(pool, i % 2 ? 384 : 192);
        assert_non_null(p[i]);
        assert_true(alignment(p[i]) >= (i % 2 ? 128 : 64));
    }

    for (i = 0; i < 40; i++) {
        lb_slab_free(pool, p[i]);
    }

    assert_empty();
}


/* A freed chunk is handed out again; a freed run too. */
static void
test_reuse(void **state)
{
    void  *a, *b, *c, *d;

    a = lb_slab_alloc(pool, 100);
    b = lb_slab_alloc(pool, 100);
    assert_true(a != b);
    lb_slab_free(pool, a);
    c = lb_slab_alloc(pool, 120);      /* same class: 128 */
    assert_ptr_equal(a, c);

    a = lb_slab_alloc(pool, 3 * LB_SLAB_PAGE_SIZE);
    lb_slab_free(pool, a);
    d = lb_slab_alloc(pool, 3 * LB_SLAB_PAGE_SIZE);
    assert_ptr_equal(a, d);

    lb_slab_free(pool, b);
    lb_slab_free(pool, c);
    lb_slab_free(pool, d);
    lb_slab_free(pool, NULL);
    assert_empty();
}


/* Fill the pool with one size until it refuses; the count is exact, the
 * refusal is clean and counted; after freeing it all, one run can take
 * every page (the free pages merged back). */
static void
test_exhaustion(void **state)
{
    size_t            n, i;
    void            **p;
    lb_slab_stats_t   st;

    lb_slab_stats(pool, &st);

    p = malloc((st.pages * (LB_SLAB_PAGE_SIZE / 64) + 1) * sizeof(void *));
    assert_non_null(p);

    for (n = 0; ; n++) {
        p[n] = lb_slab_alloc(pool, 64);
        if (p[n] == NULL) {
            break;
        }
        memset(p[n], 0x5a, 64);
    }

    assert_int_equal(n, st.pages * (LB_SLAB_PAGE_SIZE / 64));

    lb_slab_stats(pool, &st);
    assert_int_equal(st.free_pages, 0);
    assert_int_equal(st.classes[3].size, 64);
    assert_int_equal(st.classes[3].used, n);
    assert_int_equal(st.classes[3].fails, 1);
    assert_int_equal(st.classes[3].reqs, n + 1);

    /* other sizes are refused too, cleanly */
    assert_null(lb_slab_alloc(pool, 16));
    assert_null(lb_slab_alloc(pool, LB_SLAB_PAGE_SIZE));
    lb_slab_stats(pool, &st);
    assert_int_equal(st.large_fails, 1);

    /* free in a scattered order so that runs merge from both sides */
    for (i = 0; i < n; i += 3) {
        lb_slab_free(pool, p[i]);
    }
    for (i = 2; i < n; i += 3) {
        lb_slab_free(pool, p[i]);
    }
    for (i = 1; i < n; i += 3) {
        lb_slab_free(pool, p[i]);
    }

    assert_empty();

    lb_slab_stats(pool, &st);
    p[0] = lb_slab_alloc(pool, st.pages * LB_SLAB_PAGE_SIZE);
    assert_non_null(p[0]);
    memset(p[0], 0xa5, st.pages * LB_SLAB_PAGE_SIZE);
    assert_null(lb_slab_alloc(pool, 1));
    lb_slab_free(pool, p[0]);

    assert_null(lb_slab_alloc(pool, (st.pages + 1) * LB_SLAB_PAGE_SIZE));
    assert_null(lb_slab_alloc(pool, SIZE_MAX / 2));

    assert_empty();
    free(p);
}


/* Runs merge with the free neighbours on both sides. */
static void
test_run_merge(void **state)
{
    void             *a, *b, *c, *d;
    lb_slab_stats_t   st;

    a = lb_slab_alloc(pool, 1 * LB_SLAB_PAGE_SIZE);
    b = lb_slab_alloc(pool, 2 * LB_SLAB_PAGE_SIZE);
    c = lb_slab_alloc(pool, 3 * LB_SLAB_PAGE_SIZE);
    d = lb_slab_alloc(pool, 1 * LB_SLAB_PAGE_SIZE);

    lb_slab_stats(pool, &st);
    assert_int_equal(st.large_pages, 7);
    assert_int_equal(st.large_runs, 4);

    lb_slab_free(pool, a);
    lb_slab_free(pool, c);
    lb_slab_stats(pool, &st);
    assert_int_equal(st.free_pages, st.pages - 3);

    /* b between two free runs: all three become one of 6 pages */
    lb_slab_free(pool, b);
    a = lb_slab_alloc(pool, 6 * LB_SLAB_PAGE_SIZE);
    assert_ptr_equal(a, (char *) d - 6 * LB_SLAB_PAGE_SIZE);

    lb_slab_free(pool, a);
    lb_slab_free(pool, d);
    assert_empty();
}


/* Pointers the pool did not hand out, and second frees, are refused with
 * a log line and change nothing. */
static void
test_bad_free(void **state)
{
    char             *p, *q, local;
    lb_slab_stats_t   a, b;

    p = lb_slab_alloc(pool, 32);
    q = lb_slab_alloc(pool, 2 * LB_SLAB_PAGE_SIZE);
    lb_slab_stats(pool, &a);

    lb_test_quiet(true);
    lb_slab_free(pool, p + 8);
    lb_slab_free(pool, q + LB_SLAB_PAGE_SIZE);
    lb_slab_free(pool, &local);
    lb_slab_free(pool, (char *) pool + 8);
    lb_test_quiet(false);

    lb_slab_stats(pool, &b);
    assert_memory_equal(&a, &b, sizeof(a));

    lb_slab_free(pool, p);
    lb_test_quiet(true);
    lb_slab_free(pool, p);
    lb_test_quiet(false);
    lb_slab_free(pool, q);

    assert_empty();
}


/* The pool is shared: a child allocates and writes, the parent reads and
 * frees. */
static void
test_fork(void **state)
{
    int               i, status;
    pid_t             pid;
    uint64_t         *offs;
    char             *s;
    lb_slab_stats_t   st;

    offs = lb_slab_calloc(pool, 64 * sizeof(uint64_t));
    assert_non_null(offs);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        for (i = 0; i < 64; i++) {
            s = lb_slab_alloc(pool, 40 + i * 100);
            if (s == NULL) {
                _exit(1);
            }
            memset(s, 'a' + i % 26, 40 + i * 100);
            offs[i] = (uint64_t) (s - (char *) pool);
        }
        _exit(0);
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    for (i = 0; i < 64; i++) {
        allocs[i].p = (unsigned char *) pool + offs[i];
        allocs[i].size = 40 + i * 100;
        allocs[i].fill = 'a' + i % 26;
        verify(&allocs[i]);
    }

    lb_slab_stats(pool, &st);
    assert_true(st.free_pages < st.pages);

    for (i = 0; i < 64; i++) {
        lb_slab_free(pool, allocs[i].p);
    }

    lb_slab_free(pool, offs);
    assert_empty();
}


static void
same_counts(const lb_slab_stats_t *a, const lb_slab_stats_t *b)
{
    unsigned  k;

    assert_int_equal(a->free_pages, b->free_pages);
    assert_int_equal(a->large_pages, b->large_pages);
    assert_int_equal(a->large_runs, b->large_runs);

    for (k = 0; k < LB_SLAB_NCLASSES; k++) {
        assert_int_equal(a->classes[k].used, b->classes[k].used);
        assert_int_equal(a->classes[k].pages, b->classes[k].pages);
    }
}


/* The repair rebuilds the same lists and counts from the descriptors. */
static void
test_repair_same(void **state)
{
    int              i, n;
    lb_slab_stats_t  a, b;

    for (n = 0; n < 300; n++) {
        allocs[n].p = lb_slab_alloc(pool, random_size());
        assert_non_null(allocs[n].p);
    }
    for (i = 0; i < n; i += 3) {
        lb_slab_free(pool, allocs[i].p);
        allocs[i].p = NULL;
    }

    lb_slab_stats(pool, &a);

    lb_test_quiet(true);
    assert_int_equal(lb_slab_lock(pool), LB_OK);
    assert_int_equal(lb_slab_repair_locked(pool), LB_OK);
    lb_slab_unlock(pool);
    lb_test_quiet(false);

    lb_slab_stats(pool, &b);
    same_counts(&a, &b);
    assert_int_equal(a.largest_free_run, b.largest_free_run);

    for (i = 0; i < n; i++) {
        lb_slab_free(pool, allocs[i].p);
    }
    assert_empty();
}


/* A child dies holding the lock with the lists half-rewritten (here: all
 * list heads lost and counts garbled). The next process to lock repairs
 * the pool from the descriptors: nothing allocated is handed out twice,
 * and freeing everything gives every page back. */
static void
test_owner_died_repair(void **state)
{
    int               i, status;
    unsigned          k;
    pid_t             pid;
    lb_slab_stats_t   a, b;

#ifndef LB_HAVE_ROBUST_MUTEX
    skip();
#endif

    for (i = 0; i < 100; i++) {
        allocs[i].p = lb_slab_alloc(pool, random_size());
        assert_non_null(allocs[i].p);
        fill(&allocs[i], 1, (unsigned char) i);
    }

    lb_slab_stats(pool, &a);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        if (lb_slab_lock(pool) != LB_OK) {
            _exit(1);
        }
        for (k = 0; k < LB_SLAB_NBINS; k++) {
            pool->bins[k] = LB_SLAB_NONE;
        }
        for (k = 0; k < LB_SLAB_NCLASSES; k++) {
            pool->classes[k].partial = LB_SLAB_NONE;
            pool->classes[k].used = 12345;
        }
        pool->free_pages = 1;
        _exit(0);
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);

    lb_test_quiet(true);
    assert_int_equal(lb_slab_lock(pool), LB_SHMTX_OWNER_DEAD);
    lb_test_quiet(false);
    lb_slab_unlock(pool);

    lb_slab_stats(pool, &b);
    same_counts(&a, &b);
    assert_int_equal(b.owner_deaths, 1);
    assert_int_equal(b.repairs, 1);
    assert_false(b.broken);

    /* new allocations do not land on live ones */
    for (i = 100; i < 200; i++) {
        allocs[i].p = lb_slab_alloc(pool, random_size());
        assert_non_null(allocs[i].p);
        fill(&allocs[i], 1, (unsigned char) i);
    }
    for (i = 0; i < 200; i++) {
        verify(&allocs[i]);
    }
    for (i = 0; i < 200; i++) {
        lb_slab_free(pool, allocs[i].p);
    }

    assert_empty();
}


/* Descriptors that make no sense: the pool refuses to allocate rather
 * than hand out memory twice. */
static void
test_repair_broken(void **state)
{
    lb_slab_page_t   *d;
    lb_slab_stats_t   st;

    d = (lb_slab_page_t *) ((char *) pool + pool->descs);
    d[0].npages = pool->npages + 5;

    lb_test_quiet(true);
    assert_int_equal(lb_slab_lock(pool), LB_OK);
    assert_int_equal(lb_slab_repair_locked(pool), LB_ERROR);
    lb_slab_unlock(pool);
    assert_null(lb_slab_alloc(pool, 10));
    assert_null(lb_slab_alloc(pool, 10000));
    lb_test_quiet(false);

    lb_slab_stats(pool, &st);
    assert_true(st.broken);
    assert_int_equal(st.classes[0].fails, 1);
    assert_int_equal(st.large_fails, 1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repair_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_died_repair, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_repair_broken, setup,
                                        teardown),
    };

    lb_test_srand(88172645463325252ULL);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
