/* weir: unit tests for src/core/lb_shm.c: mapping the shared zone. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_log.h"
#include "lb_shm.h"


static void
test_create(void **state)
{
    lb_shm_zone_t  *z;

    z = lb_shm_create(100000);
    assert_non_null(z);

    assert_int_equal(z->magic, LB_SHM_MAGIC);
    assert_int_equal(z->version, LB_SHM_VERSION);
    assert_int_equal(z->size, 102400);          /* whole pages */
    assert_int_equal(z->header_size, sizeof(lb_shm_zone_t));
    assert_int_equal(z->creator, getpid());
    assert_int_equal(z->generation, 0);
    assert_int_equal(z->slab, 0);
    assert_int_equal(z->root, 0);
    assert_int_equal((uintptr_t) z % LB_SHM_PAGE_SIZE, 0);

    assert_int_equal(lb_shm_check(z, 102400), LB_OK);

    /* the rest is zero and writable to the last byte */
    assert_int_equal(((char *) z)[102399], 0);
    ((char *) z)[102399] = 1;

    lb_shm_destroy(z);
    lb_shm_destroy(NULL);

    z = lb_shm_create(0);
    assert_non_null(z);
    assert_int_equal(z->size, LB_SHM_PAGE_SIZE);
    lb_shm_destroy(z);
}


static void
test_check(void **state)
{
    lb_shm_zone_t  *z;

    z = lb_shm_create(2 * LB_SHM_PAGE_SIZE);
    assert_non_null(z);

    /* errors expected: keep them out of the test output */
    lb_log.fd = open("/dev/null", O_WRONLY);
    assert_true(lb_log.fd != -1);

    assert_int_equal(lb_shm_check(z, 3 * LB_SHM_PAGE_SIZE), LB_ERROR);
    assert_int_equal(lb_shm_check(z, 16), LB_ERROR);

    z->version++;
    assert_int_equal(lb_shm_check(z, 2 * LB_SHM_PAGE_SIZE), LB_ERROR);
    z->version--;

    z->magic = 0;
    assert_int_equal(lb_shm_check(z, 2 * LB_SHM_PAGE_SIZE), LB_ERROR);
    z->magic = LB_SHM_MAGIC;

    close(lb_log.fd);
    lb_log.fd = 2;

    assert_int_equal(lb_shm_check(z, 2 * LB_SHM_PAGE_SIZE), LB_OK);

    lb_shm_destroy(z);
}


static void
test_offsets(void **state)
{
    char           *p;
    lb_shm_zone_t  *z;

    z = lb_shm_create(LB_SHM_PAGE_SIZE);
    assert_non_null(z);

    assert_null(lb_shm_ptr(z, 0));
    assert_int_equal(lb_shm_off(z, NULL), 0);

    p = (char *) z + 1000;
    assert_int_equal(lb_shm_off(z, p), 1000);
    assert_ptr_equal(lb_shm_ptr(z, 1000), p);

    assert_true(lb_shm_in(z, sizeof(lb_shm_zone_t), 8));
    assert_true(lb_shm_in(z, LB_SHM_PAGE_SIZE - 8, 8));
    assert_false(lb_shm_in(z, LB_SHM_PAGE_SIZE - 8, 9));
    assert_false(lb_shm_in(z, LB_SHM_PAGE_SIZE + 8, 0));
    assert_false(lb_shm_in(z, 8, 8));               /* inside the header */
    assert_false(lb_shm_in(z, UINT64_MAX - 4, 8));

    lb_shm_destroy(z);
}


/* The mapping is shared with children: what a child writes the parent
 * reads, at the same address. */
static void
test_fork(void **state)
{
    int             status;
    char           *p;
    pid_t           pid;
    lb_shm_zone_t  *z;

    z = lb_shm_create(4 * LB_SHM_PAGE_SIZE);
    assert_non_null(z);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        p = lb_shm_ptr(z, 2 * LB_SHM_PAGE_SIZE);
        strcpy(p, "written by the child");
        z->root = 2 * LB_SHM_PAGE_SIZE;
        _exit(lb_shm_check(z, 4 * LB_SHM_PAGE_SIZE) == LB_OK ? 0 : 1);
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    assert_int_equal(z->root, 2 * LB_SHM_PAGE_SIZE);
    assert_string_equal(lb_shm_ptr(z, z->root), "written by the child");

    lb_shm_destroy(z);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_fork),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
