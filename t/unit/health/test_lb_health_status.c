/* weir: unit tests for src/health/lb_health_status.c: the operating
 * statuses of SPEC.md section 8 as tables over the pure rules, then the
 * same rules over a parsed configuration and a real zone. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_array.h"
#include "lb_conf.h"
#include "lb_health_status.h"
#include "lb_health_types.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_zone.h"

#define ON   LB_OPER_ONLINE
#define DEG  LB_OPER_DEGRADED
#define ERR  LB_OPER_ERROR
#define DRN  LB_OPER_DRAINING
#define OFF  LB_OPER_OFFLINE
#define NOM  LB_OPER_NO_MONITOR

#define UNK  LB_ZONE_UNKNOWN
#define UP   LB_ZONE_HEALTHY
#define DOWN LB_ZONE_UNHEALTHY


static void
test_target_table(void **state)
{
    size_t  i;
    static const struct {
        bool              in_use;
        bool              monitored;
        uint32_t          weight;
        lb_zone_health_e  health;
        lb_oper_status_e  want;
    } rows[] = {
        /* in use, checked */
        { true,  true,  1,   UP,   ON  },
        { true,  true,  256, UP,   ON  },
        { true,  true,  1,   DOWN, ERR },
        { true,  true,  1,   UNK,  ERR },   /* new, not yet passed */
        { true,  true,  0,   UP,   DRN },
        { true,  true,  0,   DOWN, ERR },   /* failing wins over drain */
        /* in use, unchecked: health is not looked at */
        { true,  false, 1,   UNK,  NOM },
        { true,  false, 1,   DOWN, NOM },
        { true,  false, 1,   UP,   NOM },
        { true,  false, 0,   UNK,  DRN },
        /* no listener uses the group */
        { false, true,  1,   UP,   OFF },
        { false, true,  1,   DOWN, OFF },
        { false, false, 0,   UNK,  OFF },
    };

    (void) state;

    for (i = 0; i < lb_nelems(rows); i++) {
        lb_oper_status_e  got;

        got = lb_health_target_status_of(rows[i].in_use, rows[i].monitored,
                                         rows[i].weight, rows[i].health);
        if (got != rows[i].want) {
            fail_msg("target row %zu: got %s, want %s", i,
                     lb_oper_status_names[got],
                     lb_oper_status_names[rows[i].want]);
        }
    }
}


static void
test_group_table(void **state)
{
    size_t  i, k;
    static const struct {
        bool              in_use;
        bool              monitored;
        uint32_t          online, error, draining;
        lb_oper_status_e  want;
    } rows[] = {
        { true,  true,  3, 0, 0, ON  },     /* all online */
        { true,  true,  2, 1, 0, DEG },     /* some */
        { true,  true,  1, 5, 0, DEG },
        { true,  true,  0, 3, 0, ERR },     /* none */
        { true,  true,  2, 0, 1, ON  },     /* draining is not a fault */
        { true,  true,  1, 1, 1, DEG },
        { true,  true,  0, 0, 2, ERR },     /* nothing can take traffic */
        { true,  true,  0, 0, 0, ERR },     /* no targets at all */
        { true,  false, 0, 0, 0, NOM },     /* no checks */
        { true,  false, 3, 0, 0, NOM },
        { false, true,  3, 0, 0, OFF },     /* not in use */
        { false, false, 0, 0, 0, OFF },
    };

    (void) state;

    for (i = 0; i < lb_nelems(rows); i++) {
        uint32_t          counts[LB_OPER_N];
        lb_oper_status_e  got;

        for (k = 0; k < LB_OPER_N; k++) {
            counts[k] = 0;
        }
        counts[ON] = rows[i].online;
        counts[ERR] = rows[i].error;
        counts[DRN] = rows[i].draining;

        got = lb_health_group_status_of(rows[i].in_use, rows[i].monitored,
                                        counts);
        if (got != rows[i].want) {
            fail_msg("group row %zu: got %s, want %s", i,
                     lb_oper_status_names[got],
                     lb_oper_status_names[rows[i].want]);
        }
    }
}


static void
test_balancer_table(void **state)
{
    size_t  i, k;
    static const struct {
        uint32_t          on, deg, err, nom, off;
        lb_oper_status_e  want;
    } rows[] = {
        { 2, 0, 0, 0, 0, ON  },
        { 2, 0, 0, 1, 0, ON  },     /* unchecked groups do not count */
        { 2, 0, 0, 0, 3, ON  },     /* nor groups not in use */
        { 1, 1, 0, 0, 0, DEG },
        { 1, 0, 1, 0, 0, DEG },
        { 0, 1, 0, 0, 0, DEG },
        { 0, 0, 2, 0, 0, ERR },
        { 0, 0, 1, 2, 1, ERR },
        { 0, 0, 0, 2, 0, NOM },
        { 0, 0, 0, 1, 1, NOM },
        { 0, 0, 0, 0, 2, OFF },
        { 0, 0, 0, 0, 0, OFF },     /* no target groups */
    };

    (void) state;

    for (i = 0; i < lb_nelems(rows); i++) {
        uint32_t          counts[LB_OPER_N];
        lb_oper_status_e  got;

        for (k = 0; k < LB_OPER_N; k++) {
            counts[k] = 0;
        }
        counts[ON] = rows[i].on;
        counts[DEG] = rows[i].deg;
        counts[ERR] = rows[i].err;
        counts[NOM] = rows[i].nom;
        counts[OFF] = rows[i].off;

        got = lb_health_balancer_status_of(counts);
        if (got != rows[i].want) {
            fail_msg("balancer row %zu: got %s, want %s", i,
                     lb_oper_status_names[got],
                     lb_oper_status_names[rows[i].want]);
        }
    }
}


static void
test_names(void **state)
{
    (void) state;

    assert_string_equal(lb_oper_status_names[LB_OPER_ONLINE], "ONLINE");
    assert_string_equal(lb_oper_status_names[LB_OPER_NO_MONITOR],
                        "NO_MONITOR");
    assert_string_equal(lb_oper_status_names[LB_OPER_DEGRADED], "DEGRADED");
    assert_null(lb_oper_status_names[LB_OPER_N]);
}


/* --- over a configuration and a zone --- */

static const char  yaml[] =
    "load_balancers:\n"
    "  - name: web-lb\n"
    "    type: NLB\n"
    "    address: 127.0.0.1\n"
    "    listeners:\n"
    "      - { name: one, protocol: TCP, protocol_port: 18001,"
    " target_group: checked }\n"
    "      - { name: two, protocol: TCP, protocol_port: 18002,"
    " target_group: unchecked }\n"
    "    target_groups:\n"
    "      - name: checked\n"
    "        protocol: TCP\n"
    "        health_monitor: { type: TCP, delay: 5, timeout: 2 }\n"
    "        members:\n"
    "          - { name: m1, address: 127.0.0.1, protocol_port: 9001 }\n"
    "          - { name: m2, address: 127.0.0.1, protocol_port: 9002 }\n"
    "          - { name: m3, address: 127.0.0.1, protocol_port: 9003,"
    " weight: 0 }\n"
    "      - name: unchecked\n"
    "        protocol: TCP\n"
    "        members:\n"
    "          - { name: m1, address: 127.0.0.1, protocol_port: 9001 }\n"
    "      - name: spare\n"
    "        protocol: TCP\n"
    "        health_monitor: { type: TCP }\n"
    "        members:\n"
    "          - { name: m1, address: 127.0.0.1, protocol_port: 9001 }\n"
    "  - name: idle-lb\n"
    "    type: NLB\n"
    "    address: 127.0.0.2\n"
    "    target_groups:\n"
    "      - name: lonely\n"
    "        protocol: TCP\n"
    "        members:\n"
    "          - { name: m1, address: 127.0.0.2, protocol_port: 9001 }\n";


static void
set_health(lb_shm_zone_t *z, const lb_target_t *t, lb_zone_health_e st)
{
    lb_zone_health_t   h;
    lb_zone_target_t  *zt;

    zt = lb_zone_target_get(z, t->group->id ? t->group->id : t->group->name,
                            &t->addr, false);
    assert_non_null(zt);

    memset(&h, 0, sizeof(h));
    h.state = (uint8_t) st;
    lb_zone_target_health_set(zt, &h);
}


static void
test_conf_and_zone(void **state)
{
    lb_pool_t          *pool;
    lb_array_t          errors;
    lb_conf_t          *conf;
    lb_shm_zone_t      *z;
    lb_load_balancer_t *web, *idle;
    lb_target_group_t  *checked, *unchecked, *spare;

    (void) state;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    assert_non_null(pool);
    assert_int_equal(lb_array_init(&errors, pool, 4, sizeof(char *)), LB_OK);

    conf = lb_conf_parse_string(pool, "test.yaml", yaml, sizeof(yaml) - 1,
                                &errors);
    if (conf == NULL) {
        fail_msg("config: %s", *(char **) lb_array_at(&errors, char *, 0));
    }

    z = lb_zone_create(0);
    assert_non_null(z);
    assert_int_equal(lb_zone_sync(z, conf), LB_OK);

    web = &conf->balancers[0];
    idle = &conf->balancers[1];
    checked = &web->target_groups[0];
    unchecked = &web->target_groups[1];
    spare = &web->target_groups[2];

    assert_true(lb_health_group_in_use(checked));
    assert_true(lb_health_group_in_use(unchecked));
    assert_false(lb_health_group_in_use(spare));

    /* new records: UNKNOWN, so the checked targets are not ONLINE yet */
    assert_int_equal(lb_health_target_status(z, &checked->targets[0]), ERR);
    assert_int_equal(lb_health_target_status(z, &checked->targets[2]), ERR);
    assert_int_equal(lb_health_group_status(z, checked), ERR);
    assert_int_equal(lb_health_target_status(z, &unchecked->targets[0]),
                     NOM);
    assert_int_equal(lb_health_group_status(z, unchecked), NOM);
    assert_int_equal(lb_health_target_status(z, &spare->targets[0]), OFF);
    assert_int_equal(lb_health_group_status(z, spare), OFF);
    assert_int_equal(lb_health_balancer_status(z, web), ERR);
    assert_int_equal(lb_health_balancer_status(z, idle), OFF);

    /* all healthy; the weight-0 one drains */
    set_health(z, &checked->targets[0], UP);
    set_health(z, &checked->targets[1], UP);
    set_health(z, &checked->targets[2], UP);
    assert_int_equal(lb_health_target_status(z, &checked->targets[0]), ON);
    assert_int_equal(lb_health_target_status(z, &checked->targets[2]), DRN);
    assert_int_equal(lb_health_group_status(z, checked), ON);
    assert_int_equal(lb_health_balancer_status(z, web), ON);

    /* one down */
    set_health(z, &checked->targets[1], DOWN);
    assert_int_equal(lb_health_target_status(z, &checked->targets[1]), ERR);
    assert_int_equal(lb_health_group_status(z, checked), DEG);
    assert_int_equal(lb_health_balancer_status(z, web), DEG);

    /* the same address in another group is another record */
    assert_int_equal(lb_health_target_state(z, &unchecked->targets[0]),
                     UNK);
    assert_int_equal(lb_health_target_state(z, &checked->targets[0]), UP);

    /* all down */
    set_health(z, &checked->targets[0], DOWN);
    assert_int_equal(lb_health_group_status(z, checked), ERR);
    assert_int_equal(lb_health_balancer_status(z, web), ERR);

    /* no zone (not running): checked targets are not known to be up */
    assert_int_equal(lb_health_target_status(NULL, &checked->targets[0]),
                     ERR);

    lb_zone_destroy(z);
    lb_destroy_pool(pool);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_target_table),
        cmocka_unit_test(test_group_table),
        cmocka_unit_test(test_balancer_table),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_conf_and_zone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
