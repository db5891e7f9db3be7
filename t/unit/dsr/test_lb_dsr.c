/* weir: unit tests for the DSR packet path's pure parts: the flow table
 * (src/dsr/lb_dsr_flow.c: insert and lookup, LRU eviction in a full
 * bucket, the sweep), the ARP answer for the VIP (lb_dsr_arp(), a
 * static of src/dsr/lb_dsr.c, included here to reach it), and the
 * choice of a flow's target (lb_dsr_choose()) on two ECMP nodes: a flow
 * that moves to the other node mid-way finds the same target there
 * (issue 18 item 4). */
#include "../../../src/dsr/lb_dsr.c"

#include "lb_dsr_flow.h"
#include "../lb_test.h"


static void
test_flow_insert_lookup(void **state)
{
    uint32_t             i;
    lb_dsr_flow_t       *f, ev;
    lb_dsr_flow_table_t  t;

    (void) state;

    assert_int_equal(lb_dsr_flow_init(&t, 1000), LB_OK);
    assert_int_equal((t.mask + 1) * LB_DSR_FLOW_WAYS, 1024);

    for (i = 0; i < 500; i++) {
        f = lb_dsr_flow_insert(&t, 1, htonl(0x0a000000 + i), htons(1000),
                               i % 3, 100 + i, &ev);
        assert_non_null(f);
    }

    for (i = 0; i < 500; i++) {
        f = lb_dsr_flow_lookup(&t, 1, htonl(0x0a000000 + i), htons(1000));
        if (f == NULL) {
            continue;       /* evicted from a bucket that filled up */
        }
        assert_int_equal(f->peer, i % 3);
        assert_int_equal(f->last, 100 + i);
    }

    /* another listener, another port: other keys */
    assert_null(lb_dsr_flow_lookup(&t, 2, htonl(0x0a000000), htons(1000)));
    assert_null(lb_dsr_flow_lookup(&t, 1, htonl(0x0a000000), htons(1001)));

    f = lb_dsr_flow_lookup(&t, 1, htonl(0x0a000001), htons(1000));
    if (f != NULL) {
        i = t.count;
        lb_dsr_flow_remove(&t, f);
        assert_int_equal(t.count, i - 1);
        assert_null(lb_dsr_flow_lookup(&t, 1, htonl(0x0a000001),
                                       htons(1000)));
    }

    lb_dsr_flow_free(&t);
}


/* A table of one bucket: the ninth flow takes the place of the least
 * recently used one and says which it was. */
static void
test_flow_lru(void **state)
{
    uint32_t             i;
    lb_dsr_flow_t       *f, ev;
    lb_dsr_flow_table_t  t;

    (void) state;

    assert_int_equal(lb_dsr_flow_init(&t, 1), LB_OK);
    assert_int_equal(t.mask, 0);

    for (i = 0; i < LB_DSR_FLOW_WAYS; i++) {
        lb_dsr_flow_insert(&t, 1, htonl(i + 1), htons(7), i, 1000 + i, &ev);
        assert_int_equal(ev.port, 0);
    }
    assert_int_equal(t.count, LB_DSR_FLOW_WAYS);

    /* flow 1 (the oldest) is used again: flow 2 is now the LRU */
    f = lb_dsr_flow_lookup(&t, 1, htonl(1), htons(7));
    assert_non_null(f);
    f->last = 5000;

    lb_dsr_flow_insert(&t, 1, htonl(99), htons(7), 42, 6000, &ev);
    assert_int_equal(ev.port, 1);
    assert_int_equal(ev.saddr, htonl(2));
    assert_int_equal(ev.peer, 1);
    assert_int_equal(t.count, LB_DSR_FLOW_WAYS);

    assert_null(lb_dsr_flow_lookup(&t, 1, htonl(2), htons(7)));
    assert_non_null(lb_dsr_flow_lookup(&t, 1, htonl(1), htons(7)));
    f = lb_dsr_flow_lookup(&t, 1, htonl(99), htons(7));
    assert_non_null(f);
    assert_int_equal(f->peer, 42);

    lb_dsr_flow_free(&t);
}


static bool
older_than_3000(lb_dsr_flow_t *f, void *data)
{
    (*(uint32_t *) data)++;
    return f->last < 3000;
}


static void
test_flow_sweep(void **state)
{
    uint32_t             i, seen;
    lb_dsr_flow_t        ev;
    lb_dsr_flow_table_t  t;

    (void) state;

    assert_int_equal(lb_dsr_flow_init(&t, 64), LB_OK);

    for (i = 0; i < 20; i++) {
        lb_dsr_flow_insert(&t, 1, htonl(i + 1), htons(9), 0,
                           i < 10 ? 1000 : 4000, &ev);
    }

    /* in two halves: every bucket once */
    seen = 0;
    lb_dsr_flow_sweep(&t, (t.mask + 1) / 2, older_than_3000, &seen);
    lb_dsr_flow_sweep(&t, (t.mask + 1) / 2, older_than_3000, &seen);

    assert_int_equal(seen, 20);
    assert_int_equal(t.count, 10);

    for (i = 0; i < 20; i++) {
        if (i < 10) {
            assert_null(lb_dsr_flow_lookup(&t, 1, htonl(i + 1), htons(9)));
        } else {
            assert_non_null(lb_dsr_flow_lookup(&t, 1, htonl(i + 1),
                                               htons(9)));
        }
    }

    lb_dsr_flow_free(&t);
}


static size_t
arp_request(uint8_t *eth, const char *sender, const char *target)
{
    uint8_t  *arp;
    uint32_t  a;

    memset(eth, 0, 64);
    memset(eth, 0xff, 6);
    memcpy(eth + 6, "\x02\x00\x00\x00\x00\x02", 6);
    eth[12] = 0x08;
    eth[13] = 0x06;

    arp = eth + 14;
    arp[1] = 1;
    arp[2] = 0x08;
    arp[4] = 6;
    arp[5] = 4;
    arp[7] = 1;
    memcpy(arp + 8, "\x02\x00\x00\x00\x00\x02", 6);
    a = inet_addr(sender);
    memcpy(arp + 14, &a, 4);
    a = inet_addr(target);
    memcpy(arp + 24, &a, 4);

    return 60;
}


static void
test_arp_answer(void **state)
{
    uint8_t           eth[64], *arp;
    uint32_t          a;
    lb_dsr_listen_t   dl;

    (void) state;

    memset(&dl, 0, sizeof(dl));
    dl.vip = inet_addr("10.251.0.100");
    memcpy(dl.mac, "\x02\x00\x00\x00\x00\x03", 6);
    dl.arp = 1;

    /* a request for the VIP: the reply from our MAC, to the asker */
    assert_int_equal(lb_dsr_arp(&dl, eth,
                                arp_request(eth, "10.251.0.2",
                                            "10.251.0.100")), 42);
    arp = eth + 14;
    assert_memory_equal(eth, "\x02\x00\x00\x00\x00\x02", 6);
    assert_memory_equal(eth + 6, dl.mac, 6);
    assert_int_equal(arp[7], 2);
    assert_memory_equal(arp + 8, dl.mac, 6);
    assert_memory_equal(arp + 14, &dl.vip, 4);
    assert_memory_equal(arp + 18, "\x02\x00\x00\x00\x00\x02", 6);
    a = inet_addr("10.251.0.2");
    assert_memory_equal(arp + 24, &a, 4);

    /* another address: not ours to answer */
    assert_int_equal(lb_dsr_arp(&dl, eth,
                                arp_request(eth, "10.251.0.2",
                                            "10.251.0.4")), 0);

    /* a gratuitous request for the VIP (another's claim): no answer */
    assert_int_equal(lb_dsr_arp(&dl, eth,
                                arp_request(eth, "10.251.0.100",
                                            "10.251.0.100")), 0);

    /* a short frame */
    arp_request(eth, "10.251.0.2", "10.251.0.100");
    assert_int_equal(lb_dsr_arp(&dl, eth, 30), 0);

    /* a reply, not a request */
    arp_request(eth, "10.251.0.2", "10.251.0.100");
    eth[14 + 7] = 2;
    assert_int_equal(lb_dsr_arp(&dl, eth, 60), 0);
}


/* One DSR node: its own pool, targets (in its own order), SOURCE_IP
 * group, packet-path state and flow table. */
typedef struct {
    lb_pool_t            *pool;
    lb_target_group_t     tg;
    lb_target_t           targets[4];
    lb_balancer_group_t   g;
    lb_listening_t        ls;
    lb_dsr_listen_t       dl;
    lb_dsr_port_t         port;
    lb_dsr_flow_table_t   flows;
} dsr_node_t;

static void
dsr_node(dsr_node_t *n, bool reverse)
{
    static const char     *ips[] = { "10.251.0.4", "10.251.0.5",
                                     "10.251.0.6", "10.251.0.7" };
    static const uint32_t  w[] = { 256, 128, 64, 0 };
    uint32_t               i, k;

    memset(n, 0, sizeof(*n));
    lb_test_group_setup(&n->pool, NULL, 0, &n->tg, n->targets, 4);

    n->tg.name = reverse ? "node-b-tg" : "node-a-tg";
    n->tg.load_balancer_algorithm = LB_ALGO_SOURCE_IP;
    n->tg.targets = n->targets;
    n->tg.ntargets = 4;

    for (i = 0; i < 4; i++) {
        k = reverse ? 3 - i : i;
        lb_test_target(&n->tg, i, w[k], ips[k], 8080);
    }

    lb_test_group(&n->g, &n->tg, n->pool, NULL);

    n->ls.slot = 1;
    n->dl.vip = inet_addr("10.251.0.100");
    n->dl.mask = inet_addr("255.255.255.0");
    n->port.ls = &n->ls;
    n->port.dl = &n->dl;
    n->port.index = 1;
    n->port.timeout = 60000;

    assert_int_equal(lb_dsr_port_state(&n->port, &n->g, n->pool,
                                       &n->port.st), LB_OK);
    n->port.group = n->port.st.group;
    n->port.peers = n->port.st.peers;

    /* every MAC known */
    for (i = 0; i < 4; i++) {
        n->port.peers[i].resolved = 1;
    }
    memset(n->port.st.unusable, 0, n->port.st.words * sizeof(uintptr_t));
    n->port.st.nunusable = 0;

    assert_int_equal(lb_dsr_flow_init(&n->flows, 4096), LB_OK);
}


/* the target address node n gives the flow, as its frames would carry */
static uint32_t
dsr_target(dsr_node_t *n, uint32_t saddr, uint16_t sport, uint8_t flags)
{
    uint8_t              l4[20];
    lb_balancer_peer_t  *p;

    memset(l4, 0, sizeof(l4));
    l4[13] = flags;

    lb_dsr_flows = &n->flows;
    lb_dsr_by_index[1] = &n->port;

    p = lb_dsr_choose(&n->port, saddr, sport, l4, true);
    assert_non_null(p);

    return n->port.peers[p->index].addr;
}


#define DSR_FLOWS  2000

static void
test_choose_two_nodes(void **state)
{
    uint32_t     i, count[4] = { 0, 0, 0, 0 };
    uint32_t    *saddr, *want;
    uint16_t    *sport;
    dsr_node_t  *a, *b, *n[2];

    (void) state;

    a = calloc(1, sizeof(dsr_node_t));
    b = calloc(1, sizeof(dsr_node_t));
    saddr = calloc(DSR_FLOWS, sizeof(uint32_t));
    want = calloc(DSR_FLOWS, sizeof(uint32_t));
    sport = calloc(DSR_FLOWS, sizeof(uint16_t));
    assert_true(a != NULL && b != NULL && saddr != NULL && want != NULL
                && sport != NULL);

    lb_dsr_pid = 1;
    lb_current_msec = 1000;
    lb_test_srand(0x6a09e667f3bcc908ull);

    dsr_node(a, false);
    dsr_node(b, true);
    n[0] = a;
    n[1] = b;

    /* each node starts its own flows (the router spreads them): even
     * ones on A, odd ones on B */
    for (i = 0; i < DSR_FLOWS; i++) {
        saddr[i] = htonl(0xc6120000u | (lb_test_rand32() & 0xffff));
        sport[i] = htons((uint16_t) (1024 + (lb_test_rand32() & 0x7fff)));
        want[i] = dsr_target(n[i % 2], saddr[i], sport[i], 0x02);
        count[(ntohl(want[i]) & 0xff) - 4]++;
    }

    /* the ECMP set changes: every flow goes on at the other node, which
     * has no entry for it and chooses afresh, in another order (a
     * choice that depended on a node's own history, as round robin's,
     * would differ here) */
    for (i = DSR_FLOWS; i-- > 0; ) {
        assert_int_equal(dsr_target(n[(i + 1) % 2], saddr[i], sport[i],
                                    0x10),
                         want[i]);
        /* and that node keeps it for the next segment */
        assert_int_equal(dsr_target(n[(i + 1) % 2], saddr[i], sport[i],
                                    0x10),
                         want[i]);
    }

    print_message("  %u flows moved to the other node kept their targets "
                  "(%u %u %u %u)\n", DSR_FLOWS, count[0], count[1],
                  count[2], count[3]);

    /* weights 256:128:64:0 are converted to 100:50:25:0 */
    assert_in_range(count[0], 1000, 1290);
    assert_in_range(count[1], 450, 690);
    assert_in_range(count[2], 200, 380);
    assert_int_equal(count[3], 0);

    lb_dsr_flows = NULL;
    lb_dsr_by_index[1] = NULL;
    lb_dsr_flow_free(&a->flows);
    lb_dsr_flow_free(&b->flows);
    lb_test_group_teardown(a->pool, NULL);
    lb_test_group_teardown(b->pool, NULL);
    free(a);
    free(b);
    free(saddr);
    free(want);
    free(sport);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_flow_insert_lookup),
        cmocka_unit_test(test_flow_lru),
        cmocka_unit_test(test_flow_sweep),
        cmocka_unit_test(test_arp_answer),
        cmocka_unit_test(test_choose_two_nodes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
