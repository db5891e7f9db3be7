/* weir: unit tests for the DSR packet path's pure parts: the flow table
 * (src/dsr/lb_dsr_flow.c: insert and lookup, LRU eviction in a full
 * bucket, the sweep) and the ARP answer for the VIP (lb_dsr_arp(), a
 * static of src/dsr/lb_dsr.c, included here to reach it). */
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


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_flow_insert_lookup),
        cmocka_unit_test(test_flow_lru),
        cmocka_unit_test(test_flow_sweep),
        cmocka_unit_test(test_arp_answer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
