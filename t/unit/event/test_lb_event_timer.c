/* weir: unit tests for src/event/lb_event_timer.c and its idle timers
 * (lb_event_idle_touch()), with the cached clock (lb_current_msec) set by
 * hand. */
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


/* --- idle timers (lb_event_idle_touch) --- */

static void
test_idle_touch_defers(void **state)
{
    lb_msec_t  t0;

    t0 = lb_current_msec;

    lb_event_idle_touch(&evs[0], 1000);
    assert_true(evs[0].timer_set);
    assert_int_equal(evs[0].timer.key, t0 + 1000);
    assert_int_equal(lb_event_timers_count(), 1);

    /* activity at +600: the deadline moves, the tree does not */
    lb_current_msec = t0 + 600;
    lb_event_idle_touch(&evs[0], 1000);
    assert_int_equal(evs[0].timer.key, t0 + 1000);
    assert_int_equal(evs[0].idle_ahead, 600);
    assert_true(lb_event_find_timer() == 400);    /* one early wakeup */

    /* at the old place: moved to the deadline, not fired */
    lb_current_msec = t0 + 1000;
    lb_event_expire_timers();
    assert_int_equal(nfired, 0);
    assert_true(evs[0].timer_set);
    assert_int_equal(evs[0].timer.key, t0 + 1600);
    assert_int_equal(evs[0].idle_ahead, 0);
    assert_int_equal(lb_event_timers_count(), 1);

    lb_current_msec = t0 + 1599;
    lb_event_expire_timers();
    assert_int_equal(nfired, 0);

    /* exactly the timeout after the last touch */
    lb_current_msec = t0 + 1600;
    lb_event_expire_timers();
    assert_int_equal(nfired, 1);
    assert_ptr_equal(fired[0], &evs[0]);
    assert_int_equal(lb_event_timers_count(), 0);
}


static void
test_idle_busy_moves_once_per_timeout(void **state)
{
    unsigned   i, moves;
    lb_msec_t  key, t0;

    t0 = lb_current_msec;
    lb_event_idle_touch(&evs[0], 1000);
    key = evs[0].timer.key;
    moves = 0;

    /* a touch every ms for 10 s: the tree sees one move per timeout */
    for (i = 0; i < 10000; i++) {
        lb_current_msec++;
        lb_event_expire_timers();
        lb_event_idle_touch(&evs[0], 1000);

        if (evs[0].timer.key != key) {
            moves++;
            key = evs[0].timer.key;
        }
    }

    assert_int_equal(nfired, 0);
    assert_true(moves <= 10);

    /* then quiet: it fires 1000 ms after the last touch */
    while (nfired == 0) {
        lb_current_msec++;
        lb_event_expire_timers();
    }
    assert_int_equal(lb_current_msec, t0 + 10000 + 1000);
}


static void
test_idle_shorter_moves_at_once(void **state)
{
    lb_msec_t  t0;

    t0 = lb_current_msec;

    lb_event_idle_touch(&evs[0], 1000);
    lb_current_msec = t0 + 600;
    lb_event_idle_touch(&evs[0], 1000);
    assert_int_equal(evs[0].idle_ahead, 600);

    /* a shorter timeout brings the deadline before the timer's place */
    lb_event_idle_touch(&evs[0], 200);
    assert_int_equal(evs[0].timer.key, t0 + 800);
    assert_int_equal(evs[0].idle_ahead, 0);

    lb_current_msec = t0 + 799;
    lb_event_expire_timers();
    assert_int_equal(nfired, 0);
    lb_current_msec = t0 + 800;
    lb_event_expire_timers();
    assert_int_equal(nfired, 1);
}


static void
test_idle_plain_timer_ends_idle(void **state)
{
    lb_msec_t  t0;

    t0 = lb_current_msec;

    /* lb_event_add_timer() after touches: a plain timer again */
    lb_event_idle_touch(&evs[0], 1000);
    lb_current_msec = t0 + 600;
    lb_event_idle_touch(&evs[0], 1000);
    lb_event_add_timer(&evs[0], 400);
    assert_int_equal(evs[0].idle_ahead, 0);
    lb_current_msec = t0 + 1000;
    lb_event_expire_timers();
    assert_int_equal(nfired, 1);

    /* so is one set after lb_event_del_timer(), even at the same key */
    lb_event_idle_touch(&evs[1], 1000);
    lb_current_msec = t0 + 1500;
    lb_event_idle_touch(&evs[1], 1000);
    assert_int_equal(evs[1].idle_ahead, 500);
    lb_event_del_timer(&evs[1]);
    assert_int_equal(evs[1].idle_ahead, 0);
    lb_event_add_timer(&evs[1], 500);
    lb_current_msec = t0 + 2000;
    lb_event_expire_timers();
    assert_int_equal(nfired, 2);
    assert_ptr_equal(fired[1], &evs[1]);
}


static void
test_idle_overdue_fires_now(void **state)
{
    lb_msec_t  t0;

    t0 = lb_current_msec;

    lb_event_idle_touch(&evs[0], 1000);
    lb_current_msec = t0 + 600;
    lb_event_idle_touch(&evs[0], 1000);

    /* the loop was held up past the deadline: no second round */
    lb_current_msec = t0 + 5000;
    lb_event_expire_timers();
    assert_int_equal(nfired, 1);
    assert_int_equal(lb_event_timers_count(), 0);
}


static lb_msec_t  idle_last[NEV];
static lb_msec_t  idle_ms[NEV];


static void
idle_record(lb_event_t *ev)
{
    size_t  i;

    i = (uintptr_t) ev->data;

    /* never early, never late, with expiry run every ms */
    assert_int_equal(lb_current_msec, idle_last[i] + idle_ms[i]);
    record(ev);
}


static void
test_idle_many_random_exact(void **state)
{
    size_t  i, step;

    for (i = 0; i < NEV; i++) {
        evs[i].handler = idle_record;
        idle_ms[i] = 50 + lb_test_rand() % 500;
        idle_last[i] = lb_current_msec;
        lb_event_idle_touch(&evs[i], idle_ms[i]);
    }

    for (step = 0; step < 3000; step++) {
        lb_current_msec++;
        lb_event_expire_timers();

        /* about one in twenty of those still waiting sees activity */
        for (i = 0; i < NEV; i++) {
            if (evs[i].timer_set && lb_test_rand() % 20 == 0) {
                idle_last[i] = lb_current_msec;
                lb_event_idle_touch(&evs[i], idle_ms[i]);
            }
        }
    }

    /* each fired once, at last touch + its timeout (idle_record) */
    while (lb_event_timers_count() > 0) {
        lb_current_msec++;
        lb_event_expire_timers();
    }
    assert_int_equal(nfired, NEV);
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
        cmocka_unit_test_setup(test_idle_touch_defers, setup),
        cmocka_unit_test_setup(test_idle_busy_moves_once_per_timeout, setup),
        cmocka_unit_test_setup(test_idle_shorter_moves_at_once, setup),
        cmocka_unit_test_setup(test_idle_plain_timer_ends_idle, setup),
        cmocka_unit_test_setup(test_idle_overdue_fires_now, setup),
        cmocka_unit_test_setup(test_idle_many_random_exact, setup),
    };

    lb_test_srand(0x9e3779b97f4a7c15ULL);

    return cmocka_run_group_tests_name("lb_event_timer", tests, NULL, NULL);
}
