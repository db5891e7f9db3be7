/* weir: unit tests for src/health/lb_health_state.c: the rise/fall state
 * machine of a target's health, re-evaluation after a settings change,
 * unchecked groups, and the cause codes kept in the zone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_health_state.h"
#include "lb_health_types.h"
#include "lb_zone.h"

#define OK    true
#define FAIL  false

static uint16_t  refused;


static lb_zone_health_t
fresh(void)
{
    lb_zone_health_t  h;

    memset(&h, 0, sizeof(h));
    h.state = LB_ZONE_UNKNOWN;

    return h;
}


/* apply results (a string of '+' and '-') with rise 3, fall 2; returns
 * the transitions as a string of 'U', 'D' and '.' */
static const char *
run(lb_zone_health_t *h, const char *results)
{
    static char         out[64];
    size_t              i;
    lb_health_change_e  c;

    for (i = 0; results[i] != '\0'; i++) {
        c = lb_health_state_apply(h, results[i] == '+', refused, 3, 2,
                                  1000 + i);
        out[i] = c == LB_HEALTH_WENT_UP ? 'U'
                 : c == LB_HEALTH_WENT_DOWN ? 'D' : '.';
    }

    out[i] = '\0';

    return out;
}


static void
test_new_target_up_on_first_success(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    h = fresh();
    assert_int_equal(lb_health_state_apply(&h, OK, 0, 5, 2, 77),
                     LB_HEALTH_WENT_UP);
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_int_equal(h.rise, 1);
    assert_int_equal(h.fall, 0);
    assert_int_equal(h.last_change, 77);

    /* then the thresholds apply */
    assert_string_equal(run(&h, "-"), ".");
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_string_equal(run(&h, "-"), "D");
    assert_int_equal(h.state, LB_ZONE_UNHEALTHY);
    assert_string_equal(run(&h, "++"), "..");
    assert_int_equal(h.state, LB_ZONE_UNHEALTHY);
    assert_string_equal(run(&h, "+"), "U");
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
}


static void
test_new_target_failing(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    /* a new target stays UNKNOWN (out of rotation) until the unhealthy
     * threshold, then is DOWN */
    h = fresh();
    assert_string_equal(run(&h, "-"), ".");
    assert_int_equal(h.state, LB_ZONE_UNKNOWN);
    assert_int_equal(h.fall, 1);
    assert_int_equal(h.cause, refused);
    assert_string_equal(run(&h, "-"), "D");
    assert_int_equal(h.state, LB_ZONE_UNHEALTHY);
    assert_int_equal(h.last_change, 1000);

    /* a success between failures of a new target brings it in at once */
    h = fresh();
    assert_string_equal(run(&h, "-+"), ".U");
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_int_equal(h.cause, 0);
}


static void
test_thresholds(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    h = fresh();
    h.state = LB_ZONE_HEALTHY;

    /* failures must be in a row */
    assert_string_equal(run(&h, "-+-+-+"), "......");
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_string_equal(run(&h, "--"), ".D");
    assert_int_equal(h.fall, 2);
    assert_int_equal(h.rise, 0);

    /* further failures: counted, no transition */
    assert_string_equal(run(&h, "---"), "...");
    assert_int_equal(h.fall, 5);

    /* successes must be in a row too */
    assert_string_equal(run(&h, "++-++-"), "......");
    assert_int_equal(h.state, LB_ZONE_UNHEALTHY);
    assert_string_equal(run(&h, "+++"), "..U");
    assert_int_equal(h.rise, 3);
    assert_int_equal(h.fall, 0);
    assert_int_equal(h.cause, 0);

    assert_string_equal(run(&h, "+++++"), ".....");
    assert_int_equal(h.rise, 8);
}


static void
test_threshold_one_and_zero(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    h = fresh();
    h.state = LB_ZONE_HEALTHY;
    assert_int_equal(lb_health_state_apply(&h, FAIL, 5, 1, 1, 0),
                     LB_HEALTH_WENT_DOWN);
    assert_int_equal(lb_health_state_apply(&h, OK, 0, 1, 1, 0),
                     LB_HEALTH_WENT_UP);

    /* 0 is taken as 1, never as "at once without a check" */
    assert_int_equal(lb_health_state_apply(&h, FAIL, 5, 0, 0, 0),
                     LB_HEALTH_WENT_DOWN);
    assert_int_equal(lb_health_state_apply(&h, OK, 0, 0, 0, 0),
                     LB_HEALTH_WENT_UP);
}


static void
test_cause_kept_while_down(void **state)
{
    lb_zone_health_t  h;
    uint16_t          bad500;

    (void) state;

    bad500 = lb_health_cause_code(LB_HEALTH_BAD_STATUS, 500);

    h = fresh();
    h.state = LB_ZONE_HEALTHY;
    lb_health_state_apply(&h, FAIL, refused, 3, 2, 0);
    lb_health_state_apply(&h, FAIL, bad500, 3, 2, 0);
    assert_int_equal(h.state, LB_ZONE_UNHEALTHY);
    assert_int_equal(h.cause, 500);

    /* still down after a success: the reason stays visible */
    lb_health_state_apply(&h, OK, 0, 3, 2, 0);
    assert_int_equal(h.cause, 500);
}


static void
test_counts_saturate(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    h = fresh();
    h.state = LB_ZONE_HEALTHY;
    h.rise = UINT32_MAX - 1;
    lb_health_state_apply(&h, OK, 0, 3, 2, 0);
    lb_health_state_apply(&h, OK, 0, 3, 2, 0);
    assert_true(h.rise >= 3);
    assert_true(h.rise < UINT32_MAX);
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
}


static void
test_garbage_state(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    /* a torn or unknown value behaves as UNKNOWN */
    h = fresh();
    h.state = 77;
    assert_string_equal(run(&h, "-"), ".");
    assert_int_equal(h.state, LB_ZONE_UNKNOWN);

    h.state = 77;
    assert_string_equal(run(&h, "+"), "U");
}


static void
test_reevaluate(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    /* healthy: stays in rotation, counts restart */
    h = fresh();
    h.state = LB_ZONE_HEALTHY;
    h.rise = 9;
    assert_true(lb_health_state_reevaluate(&h));
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_int_equal(h.rise, 0);
    assert_string_equal(run(&h, "-"), ".");
    assert_string_equal(run(&h, "-"), "D");

    /* unhealthy: back on its first passing check, like a new target */
    h = fresh();
    h.state = LB_ZONE_UNHEALTHY;
    h.fall = 4;
    h.cause = refused;
    assert_true(lb_health_state_reevaluate(&h));
    assert_int_equal(h.state, LB_ZONE_UNKNOWN);
    assert_int_equal(h.fall, 0);
    assert_string_equal(run(&h, "+"), "U");

    /* and if it keeps failing it is down again after the threshold */
    h.state = LB_ZONE_UNHEALTHY;
    lb_health_state_reevaluate(&h);
    assert_string_equal(run(&h, "--"), ".D");

    /* nothing to do */
    h = fresh();
    assert_false(lb_health_state_reevaluate(&h));
}


static void
test_unmonitored(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    h = fresh();
    assert_true(lb_health_state_unmonitored(&h));
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_false(lb_health_state_unmonitored(&h));

    h.state = LB_ZONE_UNHEALTHY;
    h.fall = 3;
    h.cause = refused;
    assert_true(lb_health_state_unmonitored(&h));
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_int_equal(h.fall, 0);
    assert_int_equal(h.cause, 0);
}


static void
test_cause_codes(void **state)
{
    char  buf[64];

    (void) state;

    assert_int_equal(lb_health_cause_code(LB_HEALTH_NONE, 0), 0);
    assert_int_equal(lb_health_cause_code(LB_HEALTH_CONNECT_REFUSED, 0),
                     LB_HEALTH_CONNECT_REFUSED);
    assert_int_equal(lb_health_cause_code(LB_HEALTH_BAD_STATUS, 503), 503);
    /* a status outside 100..599 cannot be stored as one */
    assert_int_equal(lb_health_cause_code(LB_HEALTH_BAD_STATUS, 99),
                     LB_HEALTH_BAD_STATUS);
    assert_int_equal(lb_health_cause_code(LB_HEALTH_NCAUSES + 3, 0),
                     LB_HEALTH_LOCAL_ERROR);

    assert_string_equal(lb_health_cause_text(refused, buf, sizeof(buf)),
                        "connect refused");
    assert_string_equal(lb_health_cause_text(500, buf, sizeof(buf)),
                        "bad status 500");
    assert_string_equal(lb_health_cause_text(LB_HEALTH_BAD_STATUS, buf,
                                             sizeof(buf)),
                        "bad status");
    assert_string_equal(lb_health_cause_text(LB_HEALTH_CONNECT_TIMEOUT, buf,
                                             sizeof(buf)),
                        "connect timeout");
    assert_string_equal(lb_health_cause_text(LB_HEALTH_TLS_ERROR, buf,
                                             sizeof(buf)),
                        "TLS error");
    assert_string_equal(lb_health_cause_text(0, buf, sizeof(buf)), "none");
    assert_string_equal(lb_health_cause_text(77, buf, sizeof(buf)),
                        "cause 77");
    assert_string_equal(lb_health_cause_text(700, buf, sizeof(buf)),
                        "cause 700");

    /* truncated, still terminated */
    assert_string_equal(lb_health_cause_text(500, buf, 4), "bad");

    /* every cause has a name */
    assert_non_null(lb_health_cause_names[LB_HEALTH_NCAUSES - 1]);
    assert_null(lb_health_cause_names[LB_HEALTH_NCAUSES]);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_new_target_up_on_first_success),
        cmocka_unit_test(test_new_target_failing),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_threshold_one_and_zero),
        cmocka_unit_test(test_cause_kept_while_down),
        cmocka_unit_test(test_counts_saturate),
        cmocka_unit_test(test_garbage_state),
        cmocka_unit_test(test_reevaluate),
        cmocka_unit_test(test_unmonitored),
        cmocka_unit_test(test_cause_codes),
    };

    refused = lb_health_cause_code(LB_HEALTH_CONNECT_REFUSED, 0);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
