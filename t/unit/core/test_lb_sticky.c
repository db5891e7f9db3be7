/* weir: unit tests for SOURCE_IP session persistence (src/core/lb_sticky.c)
 * with a fake clock: bind and lookup, expiry after persistence_timeout of
 * no use (use renews), the granularity mask, keys, replacement of a
 * binding to an unusable or removed target, bindings shared by two
 * workers' groups and kept by a "reload" (a new group over the same
 * zone), and the same through lb_balancer_pick(). */
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
#include "lb_sticky.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_table.h"
#include "../lb_test.h"

#define MAXT  8
#define TTL   2000      /* persistence_timeout 2 s */
#define T0    1000000   /* the fake clock's start */

static lb_pool_t            *pool;
static lb_shm_zone_t        *z;
static lb_target_group_t     tg;
static lb_persistence_t      sp;
static lb_health_monitor_t   hm;
static lb_target_t           targets[MAXT];
static lb_balancer_group_t   g, g2;


static int
setup(void **state)
{
    lb_test_group_setup(&pool, &z, 0, &tg, targets, MAXT);
    memset(&sp, 0, sizeof(sp));

    sp.type = LB_PERSIST_SOURCE_IP;
    sp.persistence_timeout = TTL;
    sp.persistence_granularity = "255.255.255.255";
    sp.mask_family = AF_INET;
    memset(sp.mask, 0xff, 4);

    return 0;
}


static int
teardown(void **state)
{
    lb_test_group_teardown(pool, z);
    return 0;
}


/* a TCP group of round robin over targets on the given ports, with
 * SOURCE_IP persistence, attached to the zone into *gp */
static void
make_group(lb_balancer_group_t *gp, const unsigned *ports, uint32_t n)
{
    uint32_t  i;

    tg.id = "a7c1d2e3-0000-4000-8000-000000000003";
    tg.name = "tg-sticky";
    tg.protocol = LB_TG_TCP;
    tg.load_balancer_algorithm = LB_ALGO_ROUND_ROBIN;
    tg.session_persistence = &sp;
    tg.targets = targets;
    tg.ntargets = n;

    for (i = 0; i < n; i++) {
        lb_test_target(&tg, i, 1, "127.0.0.1", ports[i]);
    }

    lb_test_group(gp, &tg, pool, z);
    assert_non_null(gp->sticky);
}


/* the target port a new connection of client gets through the balancer,
 * at fake time now; 0: none */
static unsigned
connect_at(lb_balancer_group_t *gp, struct sockaddr_in *client,
    lb_msec_t now)
{
    lb_balancer_peer_t  *p;

    lb_current_msec = now;

    p = lb_test_pick(gp, (struct sockaddr *) client, sizeof(*client), NULL);

    return p == NULL ? 0 : p->target->protocol_port;
}


static void
test_bind_lookup(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003 };
    struct sockaddr_in     a, b;

    make_group(&g, ports, 3);
    a = lb_test_v4("192.0.2.10", 40000);
    b = lb_test_v4("192.0.2.11", 40001);

    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, NULL, T0),
                     -1);

    assert_int_equal(lb_sticky_bind(&g, (struct sockaddr *) &a, &g.peers[2],
                                    T0), LB_OK);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, NULL, T0),
                     2);

    /* another port of the same address: the same client */
    a.sin_port = htons(50000);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, NULL,
                                      T0 + 1), 2);

    /* another address: not bound */
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &b, NULL,
                                      T0 + 1), -1);

    /* rebinding replaces */
    assert_int_equal(lb_sticky_bind(&g, (struct sockaddr *) &a, &g.peers[0],
                                    T0 + 2), LB_OK);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, NULL,
                                      T0 + 2), 0);
}


/* a binding expires persistence_timeout after its last use */
static void
test_expiry(void **state)
{
    static const unsigned  ports[] = { 9001, 9002 };
    struct sockaddr_in     a;

    make_group(&g, ports, 2);
    a = lb_test_v4("192.0.2.20", 40000);

    assert_int_equal(lb_sticky_bind(&g, (struct sockaddr *) &a, &g.peers[1],
                                    T0), LB_OK);

    /* used at 1.5 s: renewed until 3.5 s */
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, NULL,
                                      T0 + 1500), 1);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, NULL,
                                      T0 + 1500 + TTL - 1), 1);

    /* then unused for the whole timeout: gone */
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, NULL,
                                      T0 + 1500 + TTL - 1 + TTL), -1);
}


/* persistence_granularity 255.255.255.0: a /24 is one client */
static void
test_granularity_mask(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003 };
    struct sockaddr_in     a1, a2, b1;
    uint8_t                k1[LB_STICKY_KEY_SIZE], k2[LB_STICKY_KEY_SIZE];
    size_t                 n1, n2;

    sp.persistence_granularity = "255.255.255.0";
    memset(sp.mask, 0, sizeof(sp.mask));
    memset(sp.mask, 0xff, 3);

    make_group(&g, ports, 3);
    a1 = lb_test_v4("127.0.1.5", 1);
    a2 = lb_test_v4("127.0.1.250", 2);
    b1 = lb_test_v4("127.0.2.5", 3);

    n1 = lb_sticky_key(g.sticky, (struct sockaddr *) &a1, k1);
    n2 = lb_sticky_key(g.sticky, (struct sockaddr *) &a2, k2);
    assert_int_equal(n1, 5);
    assert_int_equal(n2, 5);
    assert_memory_equal(k1, "\x04\x7f\x00\x01\x00", 5);
    assert_memory_equal(k1, k2, 5);
    n2 = lb_sticky_key(g.sticky, (struct sockaddr *) &b1, k2);
    assert_memory_equal(k2, "\x04\x7f\x00\x02\x00", 5);

    assert_int_equal(lb_sticky_bind(&g, (struct sockaddr *) &a1, &g.peers[1],
                                    T0), LB_OK);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a2, NULL,
                                      T0), 1);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &b1, NULL,
                                      T0), -1);
}


/* keys: host mask keeps the address; IPv6 with a /64 mask; an
 * IPv4-mapped address is its IPv4 one; an IPv4 mask leaves an IPv6
 * client whole; other families have no key */
static void
test_keys(void **state)
{
    static const unsigned  ports[] = { 9001 };
    struct sockaddr_in     a;
    struct sockaddr_in6    s6;
    struct sockaddr        un;
    uint8_t                k[LB_STICKY_KEY_SIZE], want[LB_STICKY_KEY_SIZE];

    make_group(&g, ports, 1);

    a = lb_test_v4("10.1.2.3", 5);
    assert_int_equal(lb_sticky_key(g.sticky, (struct sockaddr *) &a, k), 5);
    assert_memory_equal(k, "\x04\x0a\x01\x02\x03", 5);

    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, "::ffff:10.1.2.3", &s6.sin6_addr),
                     1);
    assert_int_equal(lb_sticky_key(g.sticky, (struct sockaddr *) &s6, k), 5);
    assert_memory_equal(k, "\x04\x0a\x01\x02\x03", 5);

    assert_int_equal(inet_pton(AF_INET6, "2001:db8::1:2", &s6.sin6_addr), 1);
    assert_int_equal(lb_sticky_key(g.sticky, (struct sockaddr *) &s6, k),
                     17);
    want[0] = 6;
    memcpy(&want[1], &s6.sin6_addr, 16);
    assert_memory_equal(k, want, 17);

    /* an IPv6 /64 granularity */
    g.sticky->mask_family = AF_INET6;
    memset(g.sticky->mask, 0, 16);
    memset(g.sticky->mask, 0xff, 8);
    assert_int_equal(lb_sticky_key(g.sticky, (struct sockaddr *) &s6, k),
                     17);
    memset(&want[9], 0, 8);
    assert_memory_equal(k, want, 17);

    memset(&un, 0, sizeof(un));
    un.sa_family = AF_UNIX;
    assert_int_equal(lb_sticky_key(g.sticky, &un, k), 0);
    assert_int_equal(lb_sticky_bind(&g, &un, &g.peers[0], T0), LB_ERROR);
    assert_int_equal(lb_sticky_lookup(&g, &un, NULL, T0), -1);
}


/* through lb_balancer_pick(): the first choice sticks over many
 * connections although round robin would alternate; the binding expires
 * after the timeout of no use, then a fresh choice is bound */
static void
test_pick_sticks(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003 };
    struct sockaddr_in     a, b;
    unsigned               ta, tb;
    int                    i;

    make_group(&g, ports, 3);
    a = lb_test_v4("198.51.100.1", 1000);
    b = lb_test_v4("198.51.100.2", 1000);

    ta = connect_at(&g, &a, T0);
    tb = connect_at(&g, &b, T0);
    assert_true(ta != 0 && tb != 0 && ta != tb);

    for (i = 0; i < 50; i++) {
        a.sin_port = htons(1000 + i);
        assert_int_equal(connect_at(&g, &a, T0 + i * 10), ta);
        assert_int_equal(connect_at(&g, &b, T0 + i * 10), tb);
    }

    /* a's binding runs out; round robin (3 targets) then gives a new
     * client two others in a row, so after expiry a lands elsewhere at
     * least once in three tries */
    for (i = 0; i < 3; i++) {
        if (connect_at(&g, &a, T0 + 10000 + i * (TTL + 1)) != ta) {
            break;
        }
    }
    assert_true(i < 3);
}


/* a binding to an unhealthy, weight-0 or removed target is replaced by
 * a fresh choice, which then sticks */
static void
test_unusable_replaced(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003 };
    static const unsigned  fewer[] = { 9001, 9003 };
    struct sockaddr_in     a;
    lb_zone_health_t       h;
    unsigned               t, t2;
    int                    i;
    lb_balancer_peer_t    *p;

    hm.type = LB_CHECK_TCP;
    tg.health_monitor = &hm;
    make_group(&g, ports, 3);

    memset(&h, 0, sizeof(h));
    h.state = LB_ZONE_HEALTHY;
    for (i = 0; i < 3; i++) {
        lb_zone_target_health_set(g.peers[i].zone, &h);
    }

    a = lb_test_v4("203.0.113.7", 1);
    t = connect_at(&g, &a, T0);
    assert_true(t != 0);
    p = &g.peers[t - 9001];

    /* unhealthy */
    h.state = LB_ZONE_UNHEALTHY;
    lb_zone_target_health_set(p->zone, &h);
    t2 = connect_at(&g, &a, T0 + 1);
    assert_true(t2 != 0 && t2 != t);
    for (i = 0; i < 10; i++) {
        assert_int_equal(connect_at(&g, &a, T0 + 2 + i), t2);
    }

    /* back: the client stays on its new target (the binding moved) */
    h.state = LB_ZONE_HEALTHY;
    lb_zone_target_health_set(p->zone, &h);
    assert_int_equal(connect_at(&g, &a, T0 + 20), t2);

    /* weight 0 */
    lb_balancer_set_weight(&g, &g.peers[t2 - 9001], 0);
    t = connect_at(&g, &a, T0 + 30);
    assert_true(t != 0 && t != t2);
    assert_int_equal(connect_at(&g, &a, T0 + 31), t);

    /* gone: bound to 9002, then a new configuration without it over the
     * same zone */
    assert_int_equal(lb_sticky_bind(&g, (struct sockaddr *) &a, &g.peers[1],
                                    T0 + 32), LB_OK);
    tg.health_monitor = NULL;
    make_group(&g2, fewer, 2);
    assert_int_equal(lb_sticky_lookup(&g2, (struct sockaddr *) &a, NULL,
                                      T0 + 33), -1);
    t = connect_at(&g2, &a, T0 + 34);
    assert_true(t == 9001 || t == 9003);
    assert_int_equal(connect_at(&g2, &a, T0 + 35), t);
}


/* two workers' groups over one zone see one binding; a reload (new
 * group, members in another order) keeps it */
static void
test_shared_and_reload(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003 };
    static const unsigned  reordered[] = { 9003, 9001, 9002 };
    struct sockaddr_in     a;
    unsigned               t;
    lb_zone_table_t       *table;
    int                    i;

    make_group(&g, ports, 3);
    make_group(&g2, ports, 3);
    assert_ptr_equal(g.sticky->table, g2.sticky->table);
    table = g.sticky->table;

    a = lb_test_v4("192.0.2.99", 7);
    t = connect_at(&g, &a, T0);
    for (i = 0; i < 20; i++) {
        assert_int_equal(connect_at(i % 2 ? &g : &g2, &a, T0 + i), t);
    }

    make_group(&g2, reordered, 3);
    assert_ptr_equal(g2.sticky->table, table);
    assert_int_equal(connect_at(&g2, &a, T0 + 100), t);
}


/* a bound target that failed this request (tried) is not returned */
static void
test_tried_not_returned(void **state)
{
    static const unsigned   ports[] = { 9001, 9002 };
    struct sockaddr_in      a;
    lb_balancer_tried_t     tried;

    make_group(&g, ports, 2);
    a = lb_test_v4("192.0.2.1", 7);

    assert_int_equal(lb_sticky_bind(&g, (struct sockaddr *) &a, &g.peers[0],
                                    T0), LB_OK);
    assert_int_equal(lb_balancer_tried_init(&tried, pool, 2), LB_OK);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, &tried,
                                      T0), 0);
    lb_balancer_tried_add(&tried, 0);
    assert_int_equal(lb_sticky_lookup(&g, (struct sockaddr *) &a, &tried,
                                      T0), -1);
}


/* the master retires the tables of groups a new configuration dropped
 * (or whose persistence it turned off), and only those */
static void
test_retire_unused(void **state)
{
    static const unsigned  ports[] = { 9001 };
    lb_conf_t              conf;
    lb_load_balancer_t     bal;
    lb_zone_table_t       *other;
    char                   name[LB_ZONE_TABLE_NAME_LEN + 1];

    make_group(&g, ports, 1);
    snprintf(name, sizeof(name), "sticky:%s", tg.id);
    assert_ptr_equal(lb_zone_table_get(z, name, LB_STICKY_KEY_SIZE,
                                       sizeof(lb_zone_addr_t),
                                       LB_STICKY_CAPACITY, false),
                     g.sticky->table);

    /* a table that is not a sticky one is never touched */
    other = lb_zone_table_get(z, "cookies:x", 8, 8, 16, true);
    assert_non_null(other);

    memset(&conf, 0, sizeof(conf));
    memset(&bal, 0, sizeof(bal));
    conf.balancers = &bal;
    conf.nbalancers = 1;
    bal.target_groups = &tg;
    bal.ntarget_groups = 1;

    /* still configured with SOURCE_IP persistence: kept */
    assert_int_equal(lb_sticky_retire_unused(z, &conf), 0);

    /* persistence turned off: retired */
    tg.session_persistence = NULL;
    assert_int_equal(lb_sticky_retire_unused(z, &conf), 1);
    assert_null(lb_zone_table_get(z, name, LB_STICKY_KEY_SIZE,
                                  sizeof(lb_zone_addr_t), LB_STICKY_CAPACITY,
                                  false));
    assert_ptr_equal(lb_zone_table_get(z, "cookies:x", 8, 8, 16, false),
                     other);

    /* the group gone altogether: nothing left to retire */
    bal.ntarget_groups = 0;
    assert_int_equal(lb_sticky_retire_unused(z, &conf), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_bind_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_granularity_mask, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick_sticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shared_and_reload, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tried_not_returned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retire_unused, setup,
                                        teardown),
    };

    lb_log.level = LB_LOG_ERR;

    return cmocka_run_group_tests_name("lb_sticky", tests, NULL, NULL);
}
