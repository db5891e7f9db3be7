/* weir: unit tests for SOURCE_IP (src/core/lb_balancer_source_ip.c), the
 * Maglev table: one client keeps its target, removing one of 4 targets
 * moves about a quarter of 10000 clients, weights shape the split, the
 * member order does not matter, and unusable targets hand their clients
 * to the others (and get them back). For ECMP (issue 18 item 4): two
 * nodes that build their tables independently, from the same members
 * and weights written in another order, send every client to the same
 * target, also while some targets are down; and pinned answers catch a
 * change of the hash or of the table fill, which would make two nodes
 * of different versions disagree. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "../lb_test.h"

#define MAXT      8
#define CLIENTS   10000

static lb_pool_t            *pool;
static lb_target_group_t     tg;
static lb_target_t           targets[MAXT];
static lb_balancer_group_t   g;
static struct sockaddr_in6   clients[CLIENTS];   /* v4 in the first ones */


static int
setup(void **state)
{
    uint32_t             i;
    struct sockaddr_in  *sin;

    lb_test_group_setup(&pool, NULL, 0, &tg, targets, MAXT);

    /* 10000 distinct random IPv4 clients (half of the tests), and IPv6 */
    for (i = 0; i < CLIENTS; i++) {
        memset(&clients[i], 0, sizeof(clients[i]));

        if (i % 2 == 0) {
            sin = (struct sockaddr_in *) &clients[i];
            sin->sin_family = AF_INET;
            sin->sin_addr.s_addr = htonl((lb_test_rand32() & ~0xffu)
                                         | (i & 0xff));
            sin->sin_port = htons(1024 + (lb_test_rand32() & 0x7fff));

        } else {
            clients[i].sin6_family = AF_INET6;
            clients[i].sin6_addr.s6_addr[0] = 0x20;
            clients[i].sin6_addr.s6_addr[1] = 0x01;
            *(uint32_t *) &clients[i].sin6_addr.s6_addr[8] = lb_test_rand32();
            *(uint32_t *) &clients[i].sin6_addr.s6_addr[12] =
                lb_test_rand32() ^ i;
        }
    }

    return 0;
}


static int
teardown(void **state)
{
    lb_test_group_teardown(pool, NULL);
    return 0;
}


/* members named by their ports, in the order given */
static void
make_group(const unsigned *ports, const uint32_t *weights, uint32_t n)
{
    uint32_t  i;
    char      ip[16];

    memset(targets, 0, sizeof(targets));
    tg.name = "tg-sip";
    tg.load_balancer_algorithm = LB_ALGO_SOURCE_IP;
    tg.targets = targets;
    tg.ntargets = n;

    for (i = 0; i < n; i++) {
        snprintf(ip, sizeof(ip), "10.0.0.%u", 1 + ports[i] % 2);
        lb_test_target(&tg, i, weights != NULL ? weights[i] : 1, ip,
                       ports[i]);
    }

    lb_test_group(&g, &tg, pool, NULL);
    assert_ptr_equal(g.ops, &lb_balancer_source_ip_ops);
}


/* the port of the target client i goes to; 0: none */
static unsigned
target_of(uint32_t i, lb_balancer_tried_t *tried)
{
    lb_balancer_peer_t  *p;

    p = lb_test_pick(&g, (struct sockaddr *) &clients[i], sizeof(clients[i]),
                     tried);

    return p == NULL ? 0 : p->target->protocol_port;
}


static void
test_same_client_same_target(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003, 9004 };
    uint32_t               i, k;
    unsigned               t;

    make_group(ports, NULL, 4);

    for (i = 0; i < 500; i++) {
        t = target_of(i, NULL);
        assert_true(t != 0);

        /* another port of the same address: the same target */
        if (clients[i].sin6_family == AF_INET) {
            ((struct sockaddr_in *) &clients[i])->sin_port ^= 0x5555;
        }

        for (k = 0; k < 5; k++) {
            assert_int_equal(target_of(i, NULL), t);
        }
    }
}


/* removing one of 4 targets moves the clients it had (a quarter) and
 * few others: at most 35 %, and not far under 25 % */
static void
test_remove_one_of_four(void **state)
{
    static const unsigned  four[] = { 9001, 9002, 9003, 9004 };
    static const unsigned  three[] = { 9001, 9002, 9004 };
    static unsigned        before[CLIENTS];
    uint32_t               i, moved, on3, count[4] = { 0, 0, 0, 0 };
    double                 share;

    make_group(four, NULL, 4);

    for (i = 0; i < CLIENTS; i++) {
        before[i] = target_of(i, NULL);
        assert_true(before[i] >= 9001 && before[i] <= 9004);
        count[before[i] - 9001]++;
    }

    /* an even split to start with: each within 25 % +- 3 */
    for (i = 0; i < 4; i++) {
        assert_in_range(count[i], 2200, 2800);
    }

    make_group(three, NULL, 3);

    moved = 0;
    on3 = 0;
    for (i = 0; i < CLIENTS; i++) {
        if (target_of(i, NULL) != before[i]) {
            moved++;
        }
        if (before[i] == 9003) {
            on3++;
        }
    }

    share = 100.0 * moved / CLIENTS;
    print_message("  moved %u of %u clients (%.1f %%), %u were on the "
                  "removed target\n", moved, CLIENTS, share, on3);

    assert_true(moved >= on3);
    assert_true(share <= 35.0);
    assert_true(share >= 20.0);
}


/* adding a fifth moves about a fifth, all of them to the new one */
static void
test_add_one(void **state)
{
    static const unsigned  four[] = { 9001, 9002, 9003, 9004 };
    static const unsigned  five[] = { 9001, 9002, 9003, 9004, 9005 };
    static unsigned        before[CLIENTS];
    uint32_t               i, moved, to_new;
    unsigned               t;

    make_group(four, NULL, 4);
    for (i = 0; i < CLIENTS; i++) {
        before[i] = target_of(i, NULL);
    }

    make_group(five, NULL, 5);
    moved = 0;
    to_new = 0;
    for (i = 0; i < CLIENTS; i++) {
        t = target_of(i, NULL);
        if (t != before[i]) {
            moved++;
            to_new += (t == 9005);
        }
    }

    assert_in_range(moved, 1500, 2800);
    assert_true(to_new * 100 >= moved * 90);
}


/* the table depends on the member list, not its order */
static void
test_order_independent(void **state)
{
    static const unsigned  a[] = { 9001, 9002, 9003, 9004 };
    static const unsigned  b[] = { 9004, 9002, 9001, 9003 };
    static unsigned        first[CLIENTS];
    uint32_t               i;

    make_group(a, NULL, 4);
    for (i = 0; i < CLIENTS; i++) {
        first[i] = target_of(i, NULL);
    }

    make_group(b, NULL, 4);
    for (i = 0; i < CLIENTS; i++) {
        assert_int_equal(target_of(i, NULL), first[i]);
    }
}


/* converted weights 25:75 (64 and 192) give a 25/75 split of clients;
 * weight 0 gets none */
static void
test_weights(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003 };
    static const uint32_t  w[] = { 64, 192, 0 };
    uint32_t               i, count[3] = { 0, 0, 0 };

    make_group(ports, w, 3);

    for (i = 0; i < CLIENTS; i++) {
        count[target_of(i, NULL) - 9001]++;
    }

    assert_in_range(count[0], 2200, 2800);
    assert_in_range(count[1], 7200, 7800);
    assert_int_equal(count[2], 0);
}


static bool  down[MAXT];

static bool
not_down(const lb_target_t *t)
{
    return !down[t->index];
}


/* an unusable target's clients spread over the others; the rest stay;
 * when it is back they all return */
static void
test_unusable_fallback(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003, 9004 };
    static unsigned        before[CLIENTS];
    uint32_t               i, moved, count[4] = { 0, 0, 0, 0 };
    unsigned               t;
    lb_balancer_tried_t    tried;

    make_group(ports, NULL, 4);
    for (i = 0; i < CLIENTS; i++) {
        before[i] = target_of(i, NULL);
    }

    memset(down, 0, sizeof(down));
    down[1] = true;
    lb_balancer_healthy = not_down;

    moved = 0;
    for (i = 0; i < CLIENTS; i++) {
        t = target_of(i, NULL);
        assert_true(t != 9002);
        count[t - 9001]++;
        if (before[i] != 9002) {
            assert_int_equal(t, before[i]);
        } else {
            moved++;
        }
    }
    assert_in_range(moved, 2200, 2800);
    /* the moved ones are spread: each other target got some 800 */
    for (i = 0; i < 4; i++) {
        if (i != 1) {
            assert_in_range(count[i], 2500 + 500, 2500 + 1100);
        }
    }

    lb_balancer_healthy = NULL;
    for (i = 0; i < CLIENTS; i++) {
        assert_int_equal(target_of(i, NULL), before[i]);
    }

    /* a retry after a failed connect goes elsewhere, and never twice to
     * one target */
    for (i = 0; i < 100; i++) {
        assert_int_equal(lb_balancer_tried_init(&tried, pool, 4), LB_OK);
        t = target_of(i, &tried);
        assert_int_equal(t, before[i]);
        assert_true(target_of(i, &tried) != t);
        assert_true(target_of(i, &tried) != 0);
        assert_true(target_of(i, &tried) != 0);
        assert_int_equal(target_of(i, &tried), 0);
    }

    /* all down: none */
    memset(down, 1, sizeof(down));
    lb_balancer_healthy = not_down;
    assert_int_equal(target_of(0, NULL), 0);
    lb_balancer_healthy = NULL;

    /* all weight 0: none */
    for (i = 0; i < 4; i++) {
        lb_balancer_set_weight(&g, &g.peers[i], 0);
    }
    assert_int_equal(target_of(0, NULL), 0);
    lb_balancer_set_weight(&g, &g.peers[2], 5);
    assert_int_equal(target_of(0, NULL), 9003);
}


/* the other node: its own pool, targets and group */
static lb_pool_t            *pool_b;
static lb_target_group_t     tg_b;
static lb_target_t           targets_b[MAXT];
static lb_balancer_group_t   g_b;

static unsigned  down_port[2];

static bool
port_not_down(const lb_target_t *t)
{
    return t->protocol_port != down_port[0]
           && t->protocol_port != down_port[1];
}


/* node A's group in g (make_group()), node B's in g_b: the same members
 * (address, port, weight) in the reverse order, under other names */
static void
make_two_nodes(const unsigned *ports, const uint32_t *weights, uint32_t n)
{
    uint32_t  i, k;
    char      ip[16];

    make_group(ports, weights, n);

    if (pool_b != NULL) {
        lb_destroy_pool(pool_b);
    }
    pool_b = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    assert_non_null(pool_b);

    memset(&tg_b, 0, sizeof(tg_b));
    memset(targets_b, 0, sizeof(targets_b));
    tg_b.name = "other-node-tg";
    tg_b.load_balancer_algorithm = LB_ALGO_SOURCE_IP;
    tg_b.targets = targets_b;
    tg_b.ntargets = n;

    for (i = 0; i < n; i++) {
        k = n - 1 - i;
        snprintf(ip, sizeof(ip), "10.0.0.%u", 1 + ports[k] % 2);
        lb_test_target(&tg_b, i, weights[k], ip, ports[k]);
    }

    lb_test_group(&g_b, &tg_b, pool_b, NULL);
}


static void
set_weight_of(lb_balancer_group_t *grp, unsigned port, uint32_t weight)
{
    uint32_t  i;

    for (i = 0; i < grp->npeers; i++) {
        if (grp->peers[i].target->protocol_port == port) {
            lb_balancer_set_weight(grp, &grp->peers[i], weight);
            return;
        }
    }

    fail_msg("no target on port %u", port);
}


static unsigned
target_on(lb_balancer_group_t *grp, uint32_t i)
{
    lb_balancer_peer_t  *p;

    p = lb_test_pick(grp, (struct sockaddr *) &clients[i],
                     sizeof(clients[i]), NULL);

    return p == NULL ? 0 : p->target->protocol_port;
}


/* every client, both nodes: the same target; returns how many went to
 * port (0: not counted) */
static uint32_t
nodes_agree(unsigned port)
{
    uint32_t  i, count;
    unsigned  a;

    count = 0;

    for (i = 0; i < CLIENTS; i++) {
        a = target_on(&g, i);
        assert_true(a != 0);
        assert_int_equal(target_on(&g_b, i), a);
        count += (a == port);
    }

    return count;
}


static void
test_two_nodes_agree(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003, 9004, 9005 };
    static const uint32_t  w[] = { 64, 192, 100, 0, 256 };
    static const unsigned  lports[] = { 9001, 9002, 9003, 9004, 9005 };
    static const uint32_t  lw[] = { 1, 1, 256, 256, 256 };
    uint32_t               on1;

    make_two_nodes(ports, w, 5);

    /* all up: the same, and weight 0 gets none on either */
    assert_int_equal(nodes_agree(9004), 0);

    /* one down on both (as both checkers see it): the same again */
    down_port[0] = 9005;
    down_port[1] = 0;
    lb_balancer_healthy = port_not_down;
    assert_int_equal(nodes_agree(9005), 0);

    /* two light targets left of five (weights 1 and 1 against 256 and
     * 256 down and one at weight 0): most clients find no usable entry
     * within their probes and take the scan in address order; both nodes
     * still agree, and the two share the clients */
    make_two_nodes(lports, lw, 5);
    set_weight_of(&g, 9005, 0);
    set_weight_of(&g_b, 9005, 0);
    down_port[0] = 9003;
    down_port[1] = 9004;
    lb_balancer_healthy = port_not_down;

    on1 = nodes_agree(9001);
    print_message("  9001 and 9002 left: %u and %u clients\n", on1,
                  CLIENTS - on1);
    assert_in_range(on1, CLIENTS / 4, CLIENTS * 3 / 4);

    lb_balancer_healthy = NULL;
    lb_destroy_pool(pool_b);
    pool_b = NULL;
}


/* Pinned answers: the same clients, members and weights must give these
 * targets in every version and on every machine (the hash is FNV-1a with
 * a fixed finaliser, not keyed, and the table fill depends on nothing
 * else). A change here breaks ECMP between a node upgraded and one not
 * yet: make it only on purpose, and say so in the release notes. */
static void
test_pinned(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003, 9004 };
    static const uint32_t  w[] = { 256, 128, 64, 256 };
    static const struct {
        const char  *client;
        unsigned     port;
    } pins[] = {
        { "192.0.2.1", 9004 }, { "192.0.2.2", 9003 },
        { "198.51.100.7", 9001 }, { "203.0.113.200", 9003 },
        { "10.1.2.3", 9004 }, { "172.16.0.1", 9002 },
        { "2001:db8::1", 9004 }, { "2001:db8::2", 9002 },
        { "2001:db8:ffff::abcd", 9001 },
        /* the same client as 192.0.2.1 */
        { "::ffff:192.0.2.1", 9004 },
    };
    uint32_t               i;
    unsigned               got[16];
    struct sockaddr_in6    sa;
    struct sockaddr_in    *sin;
    lb_balancer_peer_t    *p;

    make_group(ports, w, 4);

    for (i = 0; i < lb_nelems(pins); i++) {
        memset(&sa, 0, sizeof(sa));
        sin = (struct sockaddr_in *) &sa;

        if (inet_pton(AF_INET, pins[i].client, &sin->sin_addr) == 1) {
            sin->sin_family = AF_INET;
        } else {
            assert_int_equal(inet_pton(AF_INET6, pins[i].client,
                                       &sa.sin6_addr), 1);
            sa.sin6_family = AF_INET6;
        }

        p = lb_test_pick(&g, (struct sockaddr *) &sa, sizeof(sa), NULL);
        assert_non_null(p);
        got[i] = p->target->protocol_port;
        print_message("  %s -> %u\n", pins[i].client, got[i]);
    }

    for (i = 0; i < lb_nelems(pins); i++) {
        assert_int_equal(got[i], pins[i].port);
    }
}


/* an IPv4-mapped IPv6 client is the same client as its IPv4 address */
static void
test_v4_mapped(void **state)
{
    static const unsigned  ports[] = { 9001, 9002, 9003, 9004 };
    struct sockaddr_in    *sin;
    uint32_t               i;
    unsigned               t;

    make_group(ports, NULL, 4);

    for (i = 0; i < 200; i += 2) {
        sin = (struct sockaddr_in *) &clients[i];
        t = target_of(i, NULL);

        memset(&clients[i + 1], 0, sizeof(clients[i + 1]));
        clients[i + 1].sin6_family = AF_INET6;
        clients[i + 1].sin6_addr.s6_addr[10] = 0xff;
        clients[i + 1].sin6_addr.s6_addr[11] = 0xff;
        memcpy(&clients[i + 1].sin6_addr.s6_addr[12], &sin->sin_addr, 4);

        assert_int_equal(target_of(i + 1, NULL), t);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_same_client_same_target, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_remove_one_of_four, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_add_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_independent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_weights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_fallback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_v4_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_nodes_agree, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pinned, setup, teardown),
    };

    lb_test_srand(0x853c49e6748fea9bull);

    lb_log.level = LB_LOG_ERR;

    return cmocka_run_group_tests_name("lb_balancer_source_ip", tests,
                                       NULL, NULL);
}
