/* weir: unit tests for shared gauges (src/core/lb_zone_gauge.c): found by
 * name, a limit tested atomically, shared with forked processes, and the
 * share of a process that died is dropped by the next one to come. */
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
#include "lb_zone.h"
#include "lb_zone_gauge.h"

static lb_shm_zone_t  *z;


static int
setup(void **state)
{
    z = lb_zone_create(LB_ZONE_MIN_SIZE * 16);
    assert_non_null(z);
    return 0;
}


static int
teardown(void **state)
{
    lb_zone_destroy(z);
    return 0;
}


static void
test_by_name(void **state)
{
    uint32_t          s1, s2;
    lb_zone_gauge_t  *a, *b, *c;

    a = lb_zone_gauge_get(z, "conn:listener-a", &s1);
    assert_non_null(a);
    assert_int_equal(s1, 0);
    assert_int_equal(lb_zone_gauge_value(a), 0);

    c = lb_zone_gauge_get(z, "conn:listener-b", &s2);
    assert_non_null(c);
    assert_ptr_not_equal(a, c);

    /* the same name: the same gauge (a prefix is another name) */
    b = lb_zone_gauge_get(z, "conn:listener-a", &s2);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(lb_zone_gauge_get(z, "conn:listener-", &s2), a);

    assert_null(lb_zone_gauge_get(z, "", &s1));
    assert_int_equal(s1, LB_ZONE_GAUGE_NO_SLOT);
}


static void
test_limit(void **state)
{
    int               i;
    uint32_t          s;
    lb_zone_gauge_t  *g;

    g = lb_zone_gauge_get(z, "conn:limited", &s);
    assert_non_null(g);

    for (i = 0; i < 3; i++) {
        assert_true(lb_zone_gauge_enter(g, s, 3));
    }
    assert_false(lb_zone_gauge_enter(g, s, 3));
    assert_false(lb_zone_gauge_enter(g, s, 3));
    assert_int_equal(lb_zone_gauge_value(g), 3);
    assert_int_equal(g->slots[s].count, 3);

    lb_zone_gauge_leave(g, s);
    assert_true(lb_zone_gauge_enter(g, s, 3));
    assert_false(lb_zone_gauge_enter(g, s, 3));

    /* no limit */
    for (i = 0; i < 100; i++) {
        assert_true(lb_zone_gauge_enter(g, s, -1));
    }
    assert_int_equal(lb_zone_gauge_value(g), 103);

    /* without a slot the total is still kept */
    assert_true(lb_zone_gauge_enter(g, LB_ZONE_GAUGE_NO_SLOT, -1));
    assert_int_equal(lb_zone_gauge_value(g), 104);
    lb_zone_gauge_leave(g, LB_ZONE_GAUGE_NO_SLOT);
    assert_int_equal(lb_zone_gauge_value(g), 103);
}


/* what /metrics reads: clients counted in and refused, ever, and a
 * lookup by name that neither creates a gauge nor takes a slot */
static void
test_counters_and_find(void **state)
{
    int               i;
    uint32_t          s;
    lb_zone_gauge_t  *g;

    assert_null(lb_zone_gauge_find(z, "conn:counted"));

    g = lb_zone_gauge_get(z, "conn:counted", &s);
    assert_non_null(g);
    assert_ptr_equal(lb_zone_gauge_find(z, "conn:counted"), g);
    assert_int_equal(g->nslots, 1);
    assert_null(lb_zone_gauge_find(z, "conn:count"));
    assert_null(lb_zone_gauge_find(z, ""));

    for (i = 0; i < 2; i++) {
        assert_true(lb_zone_gauge_enter(g, s, 2));
    }
    assert_false(lb_zone_gauge_enter(g, s, 2));
    lb_zone_gauge_leave(g, s);
    assert_true(lb_zone_gauge_enter(g, s, 2));
    assert_false(lb_zone_gauge_enter(g, s, 2));
    assert_false(lb_zone_gauge_enter(g, s, 2));

    assert_int_equal(lb_zone_gauge_entered(g), 3);
    assert_int_equal(lb_zone_gauge_refused(g), 3);
    assert_int_equal(lb_zone_gauge_value(g), 2);

    /* unlimited: counted, never refused */
    for (i = 0; i < 10; i++) {
        assert_true(lb_zone_gauge_enter(g, s, -1));
    }
    assert_int_equal(lb_zone_gauge_entered(g), 13);
    assert_int_equal(lb_zone_gauge_refused(g), 3);

    /* the reader took no slot */
    assert_int_equal(g->nslots, 1);
}


/* a child counts in and dies without counting out; the next process to
 * take the gauge drops what the dead one held */
static void
test_dead_share_dropped(void **state)
{
    int               st;
    pid_t             pid;
    uint32_t          s, cs;
    lb_zone_gauge_t  *g, *cg;

    g = lb_zone_gauge_get(z, "conn:crash", &s);
    assert_non_null(g);
    assert_true(lb_zone_gauge_enter(g, s, 10));

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        cg = lb_zone_gauge_get(z, "conn:crash", &cs);
        if (cg != g || cs == s) {
            _exit(1);
        }
        lb_zone_gauge_enter(cg, cs, 10);
        lb_zone_gauge_enter(cg, cs, 10);
        lb_zone_gauge_enter(cg, cs, 10);
        _exit(0);       /* "crashes" with 3 open */
    }

    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(lb_zone_gauge_value(g), 4);

    /* the next worker takes the dead one's slot and drops its 3 */
    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        cg = lb_zone_gauge_get(z, "conn:crash", &cs);
        if (cg != g || cs == s || lb_zone_gauge_value(cg) != 1) {
            _exit(1);
        }
        if (!lb_zone_gauge_enter(cg, cs, 2)
            || lb_zone_gauge_enter(cg, cs, 2))
        {
            _exit(2);
        }
        lb_zone_gauge_leave(cg, cs);
        _exit(0);
    }

    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(lb_zone_gauge_value(g), 1);
    assert_int_equal(g->nslots, 2);

    lb_zone_gauge_leave(g, s);
    assert_int_equal(lb_zone_gauge_value(g), 0);
}


/* a child that takes the gauge, counts in n times, tells the parent
 * through ready (a pipe) and exits once the parent closes hold_w, the
 * write end of the hold pipe */
static pid_t
child_counts(lb_zone_gauge_t *g, int n, int ready, int hold, int hold_w)
{
    int       i;
    char      c;
    pid_t     pid;
    uint32_t  cs;

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        alarm(10);      /* never hang the suite */
        if (hold_w != -1) {
            close(hold_w);
        }
        if (lb_zone_gauge_get(z, "conn:many", &cs) != g) {
            _exit(1);
        }
        for (i = 0; i < n; i++) {
            lb_zone_gauge_enter(g, cs, -1);
        }
        if (write(ready, "x", 1) != 1 || read(hold, &c, 1) != 0) {
            _exit(2);
        }
        _exit(0);
    }

    return pid;
}


/* several processes killed at once (a whole generation): the next one to
 * come drops all their shares and reuses a slot */
static void
test_all_dead_dropped(void **state)
{
    int               st, ready[2], hold[2];
    char              c;
    pid_t             a, b;
    uint32_t          s;
    lb_zone_gauge_t  *g;

    g = lb_zone_gauge_get(z, "conn:many", &s);
    assert_non_null(g);
    assert_true(lb_zone_gauge_enter(g, s, -1));

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(hold), 0);

    a = child_counts(g, 2, ready[1], hold[0], hold[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    b = child_counts(g, 5, ready[1], hold[0], hold[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(lb_zone_gauge_value(g), 8);

    close(hold[1]);
    assert_int_equal(waitpid(a, &st, 0), a);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(waitpid(b, &st, 0), b);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(lb_zone_gauge_value(g), 8);
    assert_int_equal(g->nslots, 3);

    close(hold[0]);
    assert_int_equal(pipe(hold), 0);
    close(hold[1]);
    b = child_counts(g, 0, ready[1], hold[0], -1);
    assert_int_equal(waitpid(b, &st, 0), b);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    assert_int_equal(lb_zone_gauge_value(g), 1);
    assert_int_equal(g->nslots, 3);
    assert_int_equal(g->slots[s].count, 1);

    close(ready[0]);
    close(ready[1]);
    close(hold[0]);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_and_find, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dead_share_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_all_dead_dropped, setup,
                                        teardown),
    };

    lb_log.level = LB_LOG_WARN;

    return cmocka_run_group_tests_name("lb_zone_gauge", tests, NULL, NULL);
}
