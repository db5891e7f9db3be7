/* weir: unit tests for the balancer groups (src/core/lb_balancer.c) and
 * smooth weighted round robin (src/core/lb_balancer_round_robin.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_palloc.h"
#include "../lb_test.h"

#define MAXT  300

static lb_pool_t            *pool;
static lb_target_group_t     tg;
static lb_target_t           targets[MAXT];
static lb_balancer_group_t   g;


static int
setup(void **state)
{
    lb_test_group_setup(&pool, NULL, 0, &tg, targets, MAXT);
    return 0;
}


static int
teardown(void **state)
{
    lb_test_group_teardown(pool, NULL);
    return 0;
}


static void
make_group(const uint32_t *weights, uint32_t n)
{
    uint32_t  i;

    tg.name = "tg";
    tg.load_balancer_algorithm = LB_ALGO_ROUND_ROBIN;
    tg.targets = targets;
    tg.ntargets = n;

    for (i = 0; i < n; i++) {
        lb_test_target(&tg, i, weights[i], NULL, 0);
    }

    lb_test_group(&g, &tg, pool, NULL);
    assert_ptr_equal(g.ops, &lb_balancer_round_robin_ops);
}


/* pick without a tried set and give the connection back at once */
static int
pick(void)
{
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p;

    memset(&r, 0, sizeof(r));
    p = lb_balancer_pick(&g, &r);
    if (p == NULL) {
        return -1;
    }
    assert_int_equal(p->conns, 1);
    lb_balancer_release(&g, p, LB_BALANCER_DONE);
    assert_int_equal(p->conns, 0);

    return (int) p->index;
}


/* Effective weights 5,1,1 (configured 12,1,1: ceil(12 / 256 * 100) is 5)
 * repeat "a a b a c a a" every 7 picks. No schedule keeps a below 3 in a
 * row (5 a and 2 others per 7), and across a period boundary SWRR gives 4
 * (a a | a a); naive weighted round robin gives a burst of 5. */
static void
test_5_1_1_smooth(void **state)
{
    static const uint32_t  w[] = { 12, 1, 1 };
    static const int       want[] = { 0, 0, 1, 0, 2, 0, 0 };
    int                    i, k, t, run, maxrun, last, count[3] = { 0, 0, 0 };

    make_group(w, 3);
    assert_int_equal(g.peers[0].effective, 5);
    assert_int_equal(g.peers[1].effective, 1);

    for (i = 0; i < 7; i++) {
        t = pick();
        assert_int_equal(t, want[i]);
        count[t]++;
    }
    assert_int_equal(count[0], 5);
    assert_int_equal(count[1], 1);
    assert_int_equal(count[2], 1);

    /* many cycles: still exact; the light ones never meet, and the
     * heavy one's longest run stays at 4 */
    last = 0;
    run = 2;
    maxrun = 0;
    for (k = 0; k < 700; k++) {
        t = pick();
        count[t]++;
        if (t != 0) {
            assert_int_equal(last, 0);
        }
        run = (t == last) ? run + 1 : 1;
        last = t;
        maxrun = (t == 0 && run > maxrun) ? run : maxrun;
    }
    assert_int_equal(maxrun, 4);
    assert_int_equal(count[0], 505);
    assert_int_equal(count[1], 101);
    assert_int_equal(count[2], 101);
}


/* traffic follows the converted weights (SPEC section 4): 64 and 192
 * convert to 25 and 75 */
static void
test_64_192_proportion(void **state)
{
    static const uint32_t  w[] = { 64, 192 };
    int                    i, count[2] = { 0, 0 };

    make_group(w, 2);

    for (i = 0; i < 400; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[0], 100);
    assert_int_equal(count[1], 300);
}


/* 1 and 3 convert to 1 and 2 (ceil(300 / 256) is 2): the split the
 * console shows, 33.3 % and 66.7 %, is the split traffic gets */
static void
test_1_3_follows_converted(void **state)
{
    static const uint32_t  w[] = { 1, 3 };
    int                    i, count[2] = { 0, 0 };

    make_group(w, 2);

    for (i = 0; i < 300; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[0], 100);
    assert_int_equal(count[1], 200);
}


static void
test_equal_weights_alternate(void **state)
{
    static const uint32_t  w[] = { 1, 1 };
    int                    i;

    make_group(w, 2);

    for (i = 0; i < 100; i++) {
        assert_int_equal(pick(), i % 2);
    }
}


static void
test_weight_zero_never(void **state)
{
    static const uint32_t  w[] = { 0, 64, 128, 0 };
    static const uint32_t  z[] = { 0, 0 };
    int                    i, count[4] = { 0, 0, 0, 0 };

    make_group(w, 4);

    for (i = 0; i < 300; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[0], 0);
    assert_int_equal(count[3], 0);
    assert_int_equal(count[1], 100);
    assert_int_equal(count[2], 200);

    make_group(z, 2);
    assert_int_equal(pick(), -1);
}


static void
test_tried_skipped(void **state)
{
    static const uint32_t   w[] = { 12, 1, 1 };
    lb_balancer_tried_t     tried;
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p1, *p2, *p3;
    int                     i;

    make_group(w, 3);

    /* a request's retries never return to a target it tried */
    for (i = 0; i < 50; i++) {
        assert_int_equal(lb_balancer_tried_init(&tried, pool, 3), LB_OK);
        memset(&r, 0, sizeof(r));
        r.tried = &tried;

        p1 = lb_balancer_pick(&g, &r);
        p2 = lb_balancer_pick(&g, &r);
        p3 = lb_balancer_pick(&g, &r);
        assert_non_null(p1);
        assert_non_null(p2);
        assert_non_null(p3);
        assert_true(p1 != p2 && p2 != p3 && p1 != p3);
        assert_int_equal(tried.ntried, 3);
        assert_null(lb_balancer_pick(&g, &r));

        lb_balancer_release(&g, p1, LB_BALANCER_FAILED);
        lb_balancer_release(&g, p2, LB_BALANCER_FAILED);
        lb_balancer_release(&g, p3, LB_BALANCER_DONE);
    }

    /* the heavy one tried: the others share the picks 1:1 */
    assert_int_equal(lb_balancer_tried_init(&tried, pool, 3), LB_OK);
    lb_balancer_tried_add(&tried, 0);
    memset(&r, 0, sizeof(r));
    r.tried = &tried;
    {
        int  count[3] = { 0, 0, 0 };

        for (i = 0; i < 100; i++) {
            p1 = lb_balancer_pick(&g, &r);
            assert_non_null(p1);
            count[p1->index]++;
            /* undo the mark the pick added, keep target 0 marked */
            tried.bits[0] &= ~((uintptr_t) 1 << p1->index);
            tried.ntried--;
            lb_balancer_release(&g, p1, LB_BALANCER_DONE);
        }
        assert_int_equal(count[0], 0);
        assert_int_equal(count[1], 50);
        assert_int_equal(count[2], 50);
    }
}


static void
test_tried_many_targets(void **state)
{
    static uint32_t         w[MAXT];
    lb_balancer_tried_t     tried;
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p;
    uint32_t                i;
    char                    seen[MAXT];

    for (i = 0; i < MAXT; i++) {
        w[i] = 1 + i % 3;
    }
    make_group(w, MAXT);

    assert_int_equal(lb_balancer_tried_init(&tried, pool, MAXT), LB_OK);
    assert_ptr_not_equal(tried.bits, tried.inline_bits);

    memset(&r, 0, sizeof(r));
    memset(seen, 0, sizeof(seen));
    r.tried = &tried;

    for (i = 0; i < MAXT; i++) {
        p = lb_balancer_pick(&g, &r);
        assert_non_null(p);
        assert_false(seen[p->index]);
        seen[p->index] = 1;
    }
    assert_null(lb_balancer_pick(&g, &r));
}


static bool
not_target_1(const lb_target_t *t)
{
    return t->index != 1;
}


static void
test_unhealthy_skipped(void **state)
{
    static const uint32_t  w[] = { 1, 1, 1 };
    int                    i, count[3] = { 0, 0, 0 };

    make_group(w, 3);
    lb_balancer_healthy = not_target_1;

    for (i = 0; i < 100; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[1], 0);
    assert_int_equal(count[0], 50);
    assert_int_equal(count[2], 50);
}


static void
test_set_weight(void **state)
{
    static const uint32_t  w[] = { 1, 1 };
    int                    i, count[2] = { 0, 0 };

    make_group(w, 2);

    /* 7 converts to 3 (700 / 256 is 2.7): 3:1 */
    lb_balancer_set_weight(&g, &g.peers[0], 7);
    assert_int_equal(g.peers[0].effective, 3);
    for (i = 0; i < 400; i++) {
        count[pick()]++;
    }
    assert_int_equal(count[0], 300);
    assert_int_equal(count[1], 100);

    /* draining: weight 0 takes it out of rotation */
    lb_balancer_set_weight(&g, &g.peers[0], 0);
    for (i = 0; i < 10; i++) {
        assert_int_equal(pick(), 1);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_5_1_1_smooth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_64_192_proportion, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_1_3_follows_converted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_equal_weights_alternate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_weight_zero_never, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tried_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tried_many_targets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unhealthy_skipped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_weight, setup, teardown),
    };

    return cmocka_run_group_tests_name("lb_balancer_round_robin", tests,
                                       NULL, NULL);
}
