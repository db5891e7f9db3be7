/* weir: unit tests for src/event/lb_event_timer.c, with the cached clock
 * (lb_current_msec) set by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_time.h"
#include "../lb_test.h"

#define NEV  2000

static lb_event_t   evs[NEV];
static lb_event_t  *fired[NEV * 2];
static size_t       nfired;


static void
record(lb_event_t *ev)
{
    assert_true(ev->timedout);
    assert_false(ev->timer_set);
    ev->timedout = 0;
    fired[nfired++] = ev;
}


static int
setup(void **state)
{
    size_t  i;

    memset(evs, 0, sizeof(evs));
    for (i = 0; i < NEV; i++) {
        evs[i].handler = record;
        evs[i].data = (void *) (uintptr_t) i;
    }
    nfired = 0;
    lb_current_msec = 1000000;
    lb_event_timer_init();

    return 0;
}


static void
test_empty(void **state)
{
    assert_true(lb_event_find_timer() == LB_TIMER_INFINITE);
    lb_event_expire_timers();
    assert_int_equal(nfired, 0);
    assert_int_equal(lb_event_timers_count(), 0);
}


static void
test_order_and_find(void **state)
{
    lb_event_add_timer(&evs[0], 300);
    lb_event_add_timer(&evs[1], 100);
    lb_event_add_timer(&evs[2], 200);
    assert_int_equal(lb_event_timers_count(), 3);
    assert_true(lb_event_find_timer() == 100);

    lb_current_msec += 99;
    lb_event_expire_timers();
    assert_int_equal(nfired, 0);
    assert_true(lb_event_find_timer() == 1);

    lb_current_msec += 1;
    lb_event_expire_timers();
    assert_int_equal(nfired, 1);
    assert_ptr_equal(fired[0], &evs[1]);
    assert_true(lb_event_find_timer() == 100);

    /* far overdue: both fire, earliest first; find says 0 before */
    lb_current_msec += 1000;
    assert_true(lb_event_find_timer() == 0);
    lb_event_expire_timers();
    assert_int_equal(nfired, 3);
    assert_ptr_equal(fired[1], &evs[2]);
    assert_ptr_equal(fired[2], &evs[0]);
    assert_int_equal(lb_event_timers_count(), 0);
    assert_true(lb_event_find_timer() == LB_TIMER_INFINITE);
}


static void
test_delete(void **state)
{
    lb_event_add_timer(&evs[0], 10);
    lb_event_add_timer(&evs[1], 20);
    lb_event_del_timer(&evs[0]);
    assert_false(evs[0].timer_set);
    lb_event_del_timer(&evs[0]);             /* twice: nothing */
    assert_int_equal(lb_event_timers_count(), 1);

    lb_current_msec += 50;
    lb_event_expire_timers();
    assert_int_equal(nfired, 1);
    assert_ptr_equal(fired[0], &evs[1]);
}


static void
test_readd_moves(void **state)
{
    lb_event_add_timer(&evs[0], 100);
    lb_event_add_timer(&evs[1], 200);

    /* later: now after evs[1] */
    lb_event_add_timer(&evs[0], 500);
    assert_int_equal(lb_event_timers_count(), 2);
    assert_true(lb_event_find_timer() == 200);

    /* earlier again */
    lb_event_add_timer(&evs[0], 50);
    assert_true(lb_event_find_timer() == 50);
    assert_int_equal(lb_event_timers_count(), 2);

    lb_current_msec += 150;
    lb_event_expire_timers();
    assert_int_equal(nfired, 1);
    assert_ptr_equal(fired[0], &evs[0]);

    /* after it fired it can be set again */
    lb_event_add_timer(&evs[0], 100);
    lb_current_msec += 100;
    lb_event_expire_timers();
    assert_int_equal(nfired, 3);
    assert_ptr_equal(fired[1], &evs[1]);
    assert_ptr_equal(fired[2], &evs[0]);
}


static void
test_many_random_fire_in_order(void **state)
{
    size_t     i;
    lb_msec_t  start, key, prev;

    start = lb_current_msec;

    for (i = 0; i < NEV; i++) {
        lb_event_add_timer(&evs[i], lb_test_rand() % 500);
    }
    /* move a third of them, delete a tenth */
    for (i = 0; i < NEV; i += 3) {
        lb_event_add_timer(&evs[i], lb_test_rand() % 500);
    }
    for (i = 0; i < NEV; i += 10) {
        lb_event_del_timer(&evs[i]);
    }
    assert_int_equal(lb_event_timers_count(), NEV - NEV / 10);

    /* advance in steps; every step fires exactly what is due, in order */
    prev = 0;
    while (lb_event_timers_count() > 0) {
        size_t  before = nfired;

        lb_current_msec += 7;
        lb_event_expire_timers();

        for (i = before; i < nfired; i++) {
            key = fired[i]->timer.key;
            assert_true(key <= lb_current_msec);
            assert_true(key >= prev);
            prev = key;
        }
        assert_true(lb_event_find_timer() == LB_TIMER_INFINITE
                    || lb_event_find_timer() > 0);
        assert_true(lb_current_msec < start + 1000);
    }

    assert_int_equal(nfired, NEV - NEV / 10);
    for (i = 0; i < nfired; i++) {
        assert_true((uintptr_t) fired[i]->data % 10 != 0);
    }
}


static void
test_equal_expiry_in_order_set(void **state)
{
    size_t  i;

    for (i = 0; i < 50; i++) {
        lb_event_add_timer(&evs[i], 10);
    }
    lb_current_msec += 10;
    lb_event_expire_timers();
    assert_int_equal(nfired, 50);
    for (i = 0; i < 50; i++) {
        assert_ptr_equal(fired[i], &evs[i]);
    }
}


static void
readd_zero(lb_event_t *ev)
{
    record(ev);
    lb_event_add_timer(ev, 0);
}


static void
test_readd_from_handler_waits(void **state)
{
    evs[0].handler = readd_zero;
    lb_event_add_timer(&evs[0], 0);

    lb_event_expire_timers();
    assert_int_equal(nfired, 1);            /* not a busy loop */
    assert_true(evs[0].timer_set);
    assert_true(lb_event_find_timer() == 1);

    lb_event_expire_timers();               /* same ms: not due yet */
    assert_int_equal(nfired, 1);

    lb_current_msec += 1;
    lb_event_expire_timers();
    assert_int_equal(nfired, 2);

    lb_event_del_timer(&evs[0]);
}


static void
delete_next(lb_event_t *ev)
{
    record(ev);
    lb_event_del_timer(&evs[1]);
}


static void
test_handler_deletes_due_timer(void **state)
{
    evs[0].handler = delete_next;
    lb_event_add_timer(&evs[0], 5);
    lb_event_add_timer(&evs[1], 6);
    lb_event_add_timer(&evs[2], 7);

    lb_current_msec += 10;
    lb_event_expire_timers();
    assert_int_equal(nfired, 2);
    assert_ptr_equal(fired[0], &evs[0]);
    assert_ptr_equal(fired[1], &evs[2]);
    assert_int_equal(lb_event_timers_count(), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup(test_empty, setup),
        cmocka_unit_test_setup(test_order_and_find, setup),
        cmocka_unit_test_setup(test_delete, setup),
        cmocka_unit_test_setup(test_readd_moves, setup),
        cmocka_unit_test_setup(test_many_random_fire_in_order, setup),
        cmocka_unit_test_setup(test_equal_expiry_in_order_set, setup),
        cmocka_unit_test_setup(test_readd_from_handler_waits, setup),
        cmocka_unit_test_setup(test_handler_deletes_due_timer, setup),
    };

    lb_test_srand(0x9e3779b97f4a7c15ULL);

    return cmocka_run_group_tests_name("lb_event_timer", tests, NULL, NULL);
}
