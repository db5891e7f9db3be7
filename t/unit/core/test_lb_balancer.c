/* weir: unit tests for what every balancer shares (src/core/lb_balancer.c):
 * the weight conversion and ratio of SPEC section 4, the skip rule's
 * health part read from the shared zone, and the traffic counters kept
 * in the zone records by pick and release. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_zone.h"
#include "../lb_test.h"

#define MAXT  8

static lb_pool_t            *pool;
static lb_shm_zone_t        *z;
static lb_target_group_t     tg;
static lb_health_monitor_t   hm;
static lb_target_t           targets[MAXT];
static lb_balancer_group_t   g;


static int
setup(void **state)
{
    lb_test_group_setup(&pool, &z, LB_ZONE_MIN_SIZE * 4, &tg, targets,
                        MAXT);
    memset(&hm, 0, sizeof(hm));
    return 0;
}


static int
teardown(void **state)
{
    lb_test_group_teardown(pool, z);
    return 0;
}


/* a group of n targets with records in the zone (as lb_zone_sync() makes
 * them), attached like a worker does */
static void
make_group(const uint32_t *weights, uint32_t n, bool monitored)
{
    uint32_t  i;

    tg.id = "0b7e3f4c-0000-4000-8000-000000000001";
    tg.name = "tg-test";
    tg.load_balancer_algorithm = LB_ALGO_ROUND_ROBIN;
    tg.health_monitor = monitored ? &hm : NULL;
    tg.targets = targets;
    tg.ntargets = n;

    for (i = 0; i < n; i++) {
        lb_test_target(&tg, i, weights[i], "127.0.0.1", 9001 + i);
    }

    lb_test_group(&g, &tg, pool, z);
}


static void
set_state(uint32_t i, lb_zone_health_e state)
{
    lb_zone_health_t  h;

    memset(&h, 0, sizeof(h));
    h.state = (uint8_t) state;
    lb_zone_target_health_set(g.peers[i].zone, &h);
}


static int
pick(void)
{
    lb_balancer_peer_t  *p;

    p = lb_test_pick(&g, NULL, 0, NULL);

    return p == NULL ? -1 : (int) p->index;
}


/* SPEC section 4: converted = ceil(weight / 256 * 100) */
static void
test_conversion_table(void **state)
{
    uint32_t  w, want;

    assert_int_equal(lb_weight_converted(100), 40);
    assert_int_equal(lb_weight_converted(256), 100);
    assert_int_equal(lb_weight_converted(1), 1);
    assert_int_equal(lb_weight_converted(0), 0);
    assert_int_equal(lb_weight_converted(3), 2);
    assert_int_equal(lb_weight_converted(64), 25);
    assert_int_equal(lb_weight_converted(128), 50);
    assert_int_equal(lb_weight_converted(192), 75);
    assert_int_equal(lb_weight_converted(255), 100);

    /* every weight against the formula done in floating point */
    for (w = 0; w <= 256; w++) {
        want = (uint32_t) (w * 100 / 256) + ((w * 100) % 256 != 0);
        assert_int_equal(lb_weight_converted(w), want);
        assert_true(w == 0 || lb_weight_converted(w) >= 1);
    }
}


/* ratio = converted / sum of converted, percent with one decimal */
static void
test_ratio(void **state)
{
    uint32_t  total;

    /* 100, 256, 1, 0 convert to 40, 100, 1, 0: 141 in all */
    targets[0].weight = 100;
    targets[1].weight = 256;
    targets[2].weight = 1;
    targets[3].weight = 0;
    tg.targets = targets;
    tg.ntargets = 4;

    total = lb_weight_converted_total(&tg);
    assert_int_equal(total, 141);
    assert_int_equal(lb_weight_ratio(40, total), 284);     /* 28.4 % */
    assert_int_equal(lb_weight_ratio(100, total), 709);    /* 70.9 % */
    assert_int_equal(lb_weight_ratio(1, total), 7);        /* 0.7 % */
    assert_int_equal(lb_weight_ratio(0, total), 0);

    /* 1 and 3: 1 and 2 converted, 33.3 % and 66.7 % */
    assert_int_equal(lb_weight_ratio(1, 3), 333);
    assert_int_equal(lb_weight_ratio(2, 3), 667);
    /* one target alone: 100 % */
    assert_int_equal(lb_weight_ratio(40, 40), 1000);
    /* no weight at all */
    assert_int_equal(lb_weight_ratio(0, 0), 0);
    /* half up: 1 / 8 = 12.5 % exactly, 1 / 16 = 6.25 % -> 6.3 */
    assert_int_equal(lb_weight_ratio(1, 8), 125);
    assert_int_equal(lb_weight_ratio(1, 16), 63);
}


/* no health_monitor: NO_MONITOR targets all get traffic, whatever their
 * zone state says */
static void
test_no_monitor_all_usable(void **state)
{
    static const uint32_t  w[] = { 1, 1 };
    int                    i, count[2] = { 0, 0 };

    make_group(w, 2, false);
    set_state(0, LB_ZONE_UNHEALTHY);

    for (i = 0; i < 10; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[0], 5);
    assert_int_equal(count[1], 5);
}


/* with a health_monitor: only HEALTHY targets; a new (UNKNOWN) one waits
 * for its first successful checks */
static void
test_monitor_zone_state(void **state)
{
    static const uint32_t  w[] = { 1, 1, 1 };
    int                    i, count[3] = { 0, 0, 0 };

    make_group(w, 3, true);

    /* all UNKNOWN: nobody */
    assert_int_equal(pick(), -1);

    set_state(0, LB_ZONE_HEALTHY);
    set_state(2, LB_ZONE_HEALTHY);

    for (i = 0; i < 100; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[0], 50);
    assert_int_equal(count[1], 0);
    assert_int_equal(count[2], 50);

    /* the checker marks 2 down and 1 up: the picks follow at once */
    set_state(2, LB_ZONE_UNHEALTHY);
    set_state(1, LB_ZONE_HEALTHY);
    memset(count, 0, sizeof(count));

    for (i = 0; i < 100; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[2], 0);
    assert_int_equal(count[0] + count[1], 100);
    assert_true(count[0] >= 49 && count[0] <= 51);

    /* all down: nothing */
    set_state(0, LB_ZONE_UNHEALTHY);
    set_state(1, LB_ZONE_UNHEALTHY);
    assert_int_equal(pick(), -1);
}


/* a monitored target without a zone record gets no traffic */
static void
test_monitor_without_record(void **state)
{
    static const uint32_t  w[] = { 1, 1 };

    make_group(w, 2, true);
    set_state(1, LB_ZONE_HEALTHY);
    g.peers[0].zone = NULL;

    assert_int_equal(pick(), 1);
    assert_int_equal(pick(), 1);
}


/* pick and release keep the zone record's counters */
static void
test_zone_counters(void **state)
{
    static const uint32_t   w[] = { 1 };
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p1, *p2;
    lb_zone_target_t       *t;

    make_group(w, 1, false);
    t = g.peers[0].zone;

    memset(&r, 0, sizeof(r));
    p1 = lb_balancer_pick(&g, &r);
    p2 = lb_balancer_pick(&g, &r);
    assert_non_null(p1);
    assert_ptr_equal(p1, p2);
    assert_int_equal(lb_zone_target_active(t), 2);
    assert_int_equal(lb_balancer_peer_active(p1), 2);
    assert_int_equal(lb_zone_counter_get(&t->total), 2);

    lb_balancer_release(&g, p1, LB_BALANCER_FAILED);
    assert_int_equal(lb_zone_target_active(t), 1);
    assert_int_equal(lb_zone_counter_get(&t->failures), 1);

    lb_balancer_release(&g, p2, LB_BALANCER_DONE);
    assert_int_equal(lb_zone_target_active(t), 0);
    assert_int_equal(lb_zone_counter_get(&t->failures), 1);
    assert_int_equal(lb_zone_counter_get(&t->total), 2);
    assert_int_equal(p1->conns, 0);
}


/* the weight 0 of a draining target: no new connections, but the count
 * of the ones it has still goes down */
static void
test_weight_zero_draining(void **state)
{
    static const uint32_t   w[] = { 1, 1 };
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p;
    int                     i;

    make_group(w, 2, false);

    memset(&r, 0, sizeof(r));
    p = lb_balancer_pick(&g, &r);
    assert_non_null(p);

    lb_balancer_set_weight(&g, p, 0);
    assert_int_equal(p->effective, 0);

    for (i = 0; i < 10; i++) {
        assert_int_equal(pick(), (int) (1 - p->index));
    }

    lb_balancer_release(&g, p, LB_BALANCER_DONE);
    assert_int_equal(lb_zone_target_active(p->zone), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_conversion_table, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ratio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_monitor_all_usable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_monitor_zone_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_monitor_without_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_zone_counters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_weight_zero_draining, setup,
                                        teardown),
    };

    lb_log.level = LB_LOG_ERR;

    return cmocka_run_group_tests_name("lb_balancer", tests, NULL, NULL);
}
