/* weir: unit tests for the scheduler (src/health/lb_health.c, included
 * to reach its statics) running real PING checks (lb_check_ping.c) on
 * loopback through the event loop, with and without a source address,
 * and the result landing in a zone record. Skipped when this process can
 * open neither a ping socket nor a raw socket. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb_health.c"

static lb_cycle_t           cycle;
static lb_conf_t            conf;
static lb_shm_zone_t       *zone;
static lb_load_balancer_t   lb;
static lb_target_group_t    tg;
static lb_health_monitor_t  hm;
static lb_health_group_t    hg;
static bool                 have_icmp;


static void
set_addr(lb_sockaddr_t *a, const char *ip)
{
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    memset(a, 0, sizeof(lb_sockaddr_t));

    if (strchr(ip, ':') != NULL) {
        sin6 = (struct sockaddr_in6 *) &a->sa;
        sin6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
        a->socklen = sizeof(struct sockaddr_in6);
    } else {
        sin = (struct sockaddr_in *) &a->sa;
        sin->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
        a->socklen = sizeof(struct sockaddr_in);
    }

    snprintf(a->text, sizeof(a->text), "%s", ip);
}


/* Check target `ip` once (from `source` unless NULL) and return the
 * zone's copy of its health afterwards. */
static lb_zone_health_t
check(const char *ip, const char *source)
{
    lb_msec_t           deadline;
    lb_target_t         t;
    lb_sockaddr_t       src;
    lb_zone_health_t    h;
    lb_health_check_t   hc;

    memset(&t, 0, sizeof(t));
    set_addr(&t.addr, ip);
    t.group = &tg;
    t.monitor_port = 7;

    memset(&hc, 0, sizeof(hc));
    hc.zt = lb_zone_target_get(zone, "ping-group", &t.addr, true);
    assert_non_null(hc.zt);
    assert_int_equal(lb_health_init_check(&hc, &hg, &t), LB_OK);
    assert_ptr_equal(hc.ops, &lb_check_ping_ops);

    if (source != NULL) {
        set_addr(&src, source);
        hc.source = &src;
    }

    lb_health_run(&hc);

    deadline = lb_current_msec + 3000;
    while (hc.running && lb_current_msec < deadline) {
        lb_event_process(100);
    }

    assert_false(hc.running);
    lb_event_del_timer(&hc.ev);

    assert_int_equal(lb_zone_target_health_get(hc.zt, &h), LB_OK);

    return h;
}


static void
test_ping_loopback(void **state)
{
    lb_zone_health_t  h;

    (void) state;

    if (!have_icmp) {
        skip();
    }

    h = check("127.0.0.1", NULL);
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_int_equal(h.rise, 1);

    h = check("127.0.0.1", NULL);
    assert_int_equal(h.rise, 2);

    h = check("::1", NULL);
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
}


static void
test_ping_source(void **state)
{
    lb_zone_health_t  h;
    char              text[64];

    (void) state;

    if (!have_icmp) {
        skip();
    }

    /* from another loopback address: still answered */
    h = check("127.0.0.3", "127.0.0.2");
    assert_int_equal(h.state, LB_ZONE_HEALTHY);

    /* ::1 passed once in the test before */
    h = check("::1", "::1");
    assert_int_equal(h.state, LB_ZONE_HEALTHY);
    assert_int_equal(h.rise, 2);

    /* from an address that is not ours: the source is really used, and
     * the kernel refuses it (one failure, threshold 2: still UNKNOWN) */
    h = check("127.0.0.4", "198.51.100.77");
    assert_int_equal(h.state, LB_ZONE_UNKNOWN);
    assert_int_equal(h.fall, 1);
    assert_true(h.cause == LB_HEALTH_SEND_FAILED
                || h.cause == LB_HEALTH_UNREACHABLE);
    lb_health_cause_text(h.cause, text, sizeof(text));
    print_message("# a foreign source address fails with: %s\n", text);

    h = check("127.0.0.4", "198.51.100.77");
    assert_int_equal(h.state, LB_ZONE_UNHEALTHY);
    assert_int_equal(h.fall, 2);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ping_loopback),
        cmocka_unit_test(test_ping_source),
    };
    int                       rc;

    lb_time_update();

    cycle.pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    cycle.conf = &conf;
    lb_health_pool = cycle.pool;
    if (cycle.pool == NULL
        || lb_array_init(&cycle.listening, cycle.pool, 1,
                         sizeof(lb_listening_t)) != LB_OK
        || lb_event_init() != LB_OK)
    {
        return 1;
    }

    zone = lb_zone_create(0);
    if (zone == NULL) {
        return 1;
    }

    lb.name = "ping-lb";
    tg.balancer = &lb;
    tg.name = "ping-group";
    tg.health_monitor = &hm;
    hm.type = LB_CHECK_PING;
    hm.delay = 2000;
    hm.timeout = 1000;
    hm.max_retries = 1;
    hm.max_retries_down = 2;
    hg.tg = &tg;
    hg.hm = &hm;
    hg.id = "ping-group";
    hg.delay = 2000;
    hg.timeout = 1000;

    have_icmp = lb_check_ping_init(true, true) == LB_OK;
    if (!have_icmp) {
        print_message("# no ICMP socket can be opened here: PING tests "
                      "skipped\n");
    }

    rc = cmocka_run_group_tests(tests, NULL, NULL);

    lb_zone_destroy(zone);

    return rc;
}
