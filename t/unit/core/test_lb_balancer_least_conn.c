/* weir: unit tests for LEAST_CONNECTIONS
 * (src/core/lb_balancer_least_conn.c): the choice for given active counts
 * and weights, counts read from the shared zone (what other workers
 * opened), ties in turn, and the skip rule. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
static lb_target_t           targets[MAXT];
static lb_balancer_group_t   g;


static int
setup(void **state)
{
    lb_test_group_setup(&pool, &z, LB_ZONE_MIN_SIZE * 4, &tg, targets,
                        MAXT);
    return 0;
}


static int
teardown(void **state)
{
    lb_test_group_teardown(pool, z);
    return 0;
}


/* weights are configured weights (0..256); counts are active connections
 * already open, set in the zone as other workers would have */
static void
make_group(const uint32_t *weights, const uint64_t *active, uint32_t n)
{
    uint32_t  i;

    tg.id = "5d1e0c1a-0000-4000-8000-000000000002";
    tg.name = "tg-lc";
    tg.load_balancer_algorithm = LB_ALGO_LEAST_CONNECTIONS;
    tg.targets = targets;
    tg.ntargets = n;

    for (i = 0; i < n; i++) {
        lb_test_target(&tg, i, weights[i], "127.0.0.1", 9100 + i);
    }

    lb_test_group(&g, &tg, pool, z);
    assert_ptr_equal(g.ops, &lb_balancer_least_conn_ops);

    for (i = 0; i < n; i++) {
        lb_zone_counter_add(&g.peers[i].zone->active, active[i]);
    }
}


/* pick and keep the connection open */
static int
open_one(void)
{
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p;

    memset(&r, 0, sizeof(r));
    p = lb_balancer_pick(&g, &r);

    return p == NULL ? -1 : (int) p->index;
}


/* pick and close at once */
static int
pick(void)
{
    int  i;

    i = open_one();
    if (i >= 0) {
        lb_balancer_release(&g, &g.peers[i], LB_BALANCER_DONE);
    }

    return i;
}


static void
test_fewest_active(void **state)
{
    static const uint32_t  w[] = { 1, 1, 1 };
    static const uint64_t  a[] = { 5, 2, 7 };

    make_group(w, a, 3);

    /* 2 is the fewest; picking and closing keeps it so */
    assert_int_equal(pick(), 1);
    assert_int_equal(pick(), 1);

    /* open ones count: 1 fills up to 5, then 0 and 1 take turns */
    assert_int_equal(open_one(), 1);    /* 3 */
    assert_int_equal(open_one(), 1);    /* 4 */
    assert_int_equal(open_one(), 1);    /* 5: ties with 0 now */
    assert_int_equal(lb_zone_target_active(g.peers[1].zone), 5);
    assert_int_equal(open_one(), 0);    /* tie 5/5: 0 comes after 1 */
    assert_int_equal(open_one(), 1);    /* 5 < 6 */
    assert_int_equal(lb_zone_target_active(g.peers[0].zone), 6);
    assert_int_equal(lb_zone_target_active(g.peers[1].zone), 6);
    assert_int_equal(lb_zone_target_active(g.peers[2].zone), 7);
}


/* relative to weight: active / converted weight. 192 converts to 75 and
 * 64 to 25: 30 / 75 = 0.4 beats 12 / 25 = 0.48 */
static void
test_relative_to_weight(void **state)
{
    static const uint32_t  w[] = { 64, 192 };
    static const uint64_t  a[] = { 12, 30 };
    static const uint32_t  w2[] = { 64, 192 };
    static const uint64_t  a2[] = { 10, 31 };

    make_group(w, a, 2);
    assert_int_equal(pick(), 1);

    /* 10 / 25 = 0.4 vs 31 / 75 = 0.413: the light one */
    teardown(state);
    setup(state);
    make_group(w2, a2, 2);
    assert_int_equal(pick(), 0);
}


/* over many new connections the open counts grow in proportion to the
 * weights: the loads per weight stay level */
static void
test_fills_by_weight(void **state)
{
    static const uint32_t  w[] = { 64, 192, 128 };   /* 25, 75, 50 */
    static const uint64_t  a[] = { 0, 0, 0 };
    int                    i;

    make_group(w, a, 3);

    for (i = 0; i < 1500; i++) {
        assert_true(open_one() >= 0);
    }

    assert_int_equal(lb_zone_target_active(g.peers[0].zone), 250);
    assert_int_equal(lb_zone_target_active(g.peers[1].zone), 750);
    assert_int_equal(lb_zone_target_active(g.peers[2].zone), 500);
}


/* equal loads: round robin among the tied, not always the first */
static void
test_ties_round_robin(void **state)
{
    static const uint32_t  w[] = { 1, 1, 1, 1 };
    static const uint64_t  a[] = { 3, 3, 9, 3 };
    int                    i, count[4] = { 0, 0, 0, 0 };

    make_group(w, a, 4);

    for (i = 0; i < 300; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[0], 100);
    assert_int_equal(count[1], 100);
    assert_int_equal(count[2], 0);
    assert_int_equal(count[3], 100);

    /* and in order: 0 1 3 0 1 3 ... from where it stands */
    i = pick();
    assert_int_equal(pick(), i == 0 ? 1 : i == 1 ? 3 : 0);
}


/* the shared rule: weight 0, tried and unhealthy ones are skipped even
 * when they are the least loaded */
static void
test_skip_rule(void **state)
{
    static const uint32_t   w[] = { 0, 1, 1 };
    static const uint64_t   a[] = { 0, 0, 4 };
    lb_balancer_tried_t     tried;
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p;

    make_group(w, a, 3);

    assert_int_equal(pick(), 1);

    assert_int_equal(lb_balancer_tried_init(&tried, pool, 3), LB_OK);
    memset(&r, 0, sizeof(r));
    r.tried = &tried;

    p = lb_balancer_pick(&g, &r);
    assert_non_null(p);
    assert_int_equal(p->index, 1);
    p = lb_balancer_pick(&g, &r);
    assert_non_null(p);
    assert_int_equal(p->index, 2);      /* 1 was tried */
    assert_null(lb_balancer_pick(&g, &r));
}


/* without a zone the worker's own counts are used */
static void
test_without_zone(void **state)
{
    static const uint32_t  w[] = { 1, 1 };
    static const uint64_t  a[] = { 0, 0 };

    make_group(w, a, 2);
    g.peers[0].zone = NULL;
    g.peers[1].zone = NULL;
    g.peers[0].conns = 4;

    assert_int_equal(pick(), 1);
    assert_int_equal(open_one(), 1);
    assert_int_equal(open_one(), 1);
    assert_int_equal(open_one(), 1);
    assert_int_equal(g.peers[1].conns, 3);
    assert_int_equal(open_one(), 1);    /* 3 < 4 */
    assert_int_equal(open_one(), 0);    /* 4 = 4: 0, after 1 */
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_fewest_active, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_relative_to_weight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fills_by_weight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ties_round_robin, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_skip_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_zone, setup,
                                        teardown),
    };

    lb_log.level = LB_LOG_ERR;

    return cmocka_run_group_tests_name("lb_balancer_least_conn", tests,
                                       NULL, NULL);
}
