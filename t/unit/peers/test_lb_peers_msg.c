/* weir: unit tests for the sync protocol's frames (src/peers/
 * lb_peers_msg.c): every type written and read back, a frame read a byte
 * at a time is incomplete until its last byte, and frames that are not
 * this protocol's are refused with a reason, never read past their end;
 * plus the zone journal the frames carry (src/core/lb_zone_journal.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lb_log.h"
#include "lb_peers_msg.h"
#include "lb_zone.h"
#include "lb_zone_journal.h"
#include "lb_zone_table.h"
#include "../lb_test.h"


static lb_peers_span_t
span(const char *s)
{
    lb_peers_span_t  sp;

    sp.data = (const uint8_t *) s;
    sp.len = strlen(s);

    return sp;
}


static void
roundtrip(const lb_peers_msg_t *in, lb_peers_msg_t *out)
{
    size_t       n, used, i;
    static uint8_t  buf[LB_PEERS_MSG_MAX + 4];   /* out points into it */
    const char  *why;

    n = lb_peers_msg_write(buf, sizeof(buf), in);
    assert_true(n > 6);

    /* every proper prefix is incomplete, never an error */
    for (i = 0; i < n; i++) {
        why = NULL;
        assert_int_equal(lb_peers_msg_parse(buf, i, out, &used, &why),
                         LB_AGAIN);
    }

    why = NULL;
    assert_int_equal(lb_peers_msg_parse(buf, n, out, &used, &why), LB_OK);
    assert_int_equal(used, n);
    assert_int_equal(out->type, in->type);
}


static void
test_hello_ack(void **state)
{
    lb_peers_msg_t  m, r;

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_HELLO;
    m.name = span("node-a");
    m.id = 0x0102030405060708ULL;
    roundtrip(&m, &r);
    assert_int_equal(r.name.len, 6);
    assert_memory_equal(r.name.data, "node-a", 6);
    assert_true(r.id == 0x0102030405060708ULL);

    m.type = LB_PEERS_ACK;
    m.id = 77;
    roundtrip(&m, &r);
    assert_true(r.id == 77);

    m.type = LB_PEERS_FULL_END;
    m.id = 1;
    roundtrip(&m, &r);
    assert_true(r.id == 1);
    assert_string_equal(lb_peers_msg_name(LB_PEERS_FULL_END), "FULL-END");

    m.type = LB_PEERS_STATE;
    m.role = 2;
    m.id = 42;
    roundtrip(&m, &r);
    assert_int_equal(r.role, 2);
    assert_true(r.id == 42);
}


static void
test_config(void **state)
{
    size_t          n, used;
    uint8_t         buf[64];
    const char     *why;
    lb_peers_msg_t  m, r;

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_CONF_BEGIN;
    m.id = 3;
    m.length = 5000;
    roundtrip(&m, &r);
    assert_true(r.id == 3);
    assert_int_equal(r.length, 5000);

    m.type = LB_PEERS_CONF_PART;
    m.value = span("load_balancers: []\n");
    roundtrip(&m, &r);
    assert_int_equal(r.value.len, 19);

    m.type = LB_PEERS_CONF_END;
    roundtrip(&m, &r);
    assert_true(r.id == 3);

    /* a version 0, a text longer than allowed, a role of 3: refused */
    m.type = LB_PEERS_CONF_BEGIN;
    m.id = 0;
    n = lb_peers_msg_write(buf, sizeof(buf), &m);
    assert_int_equal(lb_peers_msg_parse(buf, n, &r, &used, &why), LB_ERROR);
    m.id = 1;
    m.length = LB_PEERS_CONF_MAX + 1;
    n = lb_peers_msg_write(buf, sizeof(buf), &m);
    assert_int_equal(lb_peers_msg_parse(buf, n, &r, &used, &why), LB_ERROR);
    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_STATE;
    m.role = 3;
    n = lb_peers_msg_write(buf, sizeof(buf), &m);
    assert_int_equal(lb_peers_msg_parse(buf, n, &r, &used, &why), LB_ERROR);
}


static void
test_update(void **state)
{
    lb_peers_msg_t  m, r;

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_UPDATE;
    m.id = 9;
    m.op = LB_ZONE_JOURNAL_SET;
    m.table = span("app:grp");
    m.key = span("session-1");
    m.ttl = 360000;
    m.value_kind = LB_PEERS_VALUE_TARGET;
    m.group = span("grp");
    m.addr.family = 2;
    m.addr.port = 0x5000;
    m.addr.addr[0] = 127;
    m.addr.addr[3] = 1;
    roundtrip(&m, &r);
    assert_true(r.id == 9);
    assert_int_equal(r.ttl, 360000);
    assert_int_equal(r.key.len, 9);
    assert_memory_equal(r.table.data, "app:grp", 7);
    assert_memory_equal(&r.addr, &m.addr, sizeof(lb_zone_addr_t));

    m.value_kind = LB_PEERS_VALUE_BYTES;
    m.value = span("0123456789abcdef");
    roundtrip(&m, &r);
    assert_int_equal(r.value.len, 16);

    m.op = LB_ZONE_JOURNAL_DELETE;
    roundtrip(&m, &r);
    assert_int_equal(r.op, LB_ZONE_JOURNAL_DELETE);

    /* an update without an id, an entry with one: not written sensibly,
     * refused when read */
    m.op = LB_ZONE_JOURNAL_SET;
    m.type = LB_PEERS_ENTRY;
    m.id = 3;
    {
        size_t       n, used;
        uint8_t      buf[256];
        const char  *why;

        n = lb_peers_msg_write(buf, sizeof(buf), &m);
        assert_true(n > 0);
        why = NULL;
        assert_int_equal(lb_peers_msg_parse(buf, n, &r, &used, &why),
                         LB_ERROR);
        assert_non_null(why);
    }
}


static void
test_garbage(void **state)
{
    size_t          used, n;
    uint8_t         buf[64];
    const char     *why;
    lb_peers_msg_t  m, r;

    /* a length beyond the limit */
    memcpy(buf, "\xff\xff\xff\xff\x01\x07", 6);
    why = NULL;
    assert_int_equal(lb_peers_msg_parse(buf, 6, &r, &used, &why), LB_ERROR);
    assert_string_equal(why, "frame length out of range");

    /* HTTP where a frame should be */
    memcpy(buf, "GET / HTTP/1.1\r\n", 16);
    assert_int_equal(lb_peers_msg_parse(buf, 16, &r, &used, &why), LB_ERROR);

    /* another version */
    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_ACK;
    m.id = 5;
    n = lb_peers_msg_write(buf, sizeof(buf), &m);
    buf[4] = 2;
    assert_int_equal(lb_peers_msg_parse(buf, n, &r, &used, &why), LB_ERROR);
    assert_string_equal(why, "unknown protocol version");

    /* an unknown type */
    buf[4] = LB_PEERS_VERSION;
    buf[5] = 99;
    assert_int_equal(lb_peers_msg_parse(buf, n, &r, &used, &why), LB_ERROR);
    assert_string_equal(why, "unknown message type");

    /* a string whose length runs past the frame */
    m.type = LB_PEERS_HELLO;
    m.name = span("a");
    n = lb_peers_msg_write(buf, sizeof(buf), &m);
    buf[6] = 200;
    assert_int_equal(lb_peers_msg_parse(buf, n, &r, &used, &why), LB_ERROR);

    /* a byte too many */
    m.type = LB_PEERS_ACK;
    n = lb_peers_msg_write(buf, sizeof(buf), &m);
    buf[3]++;
    buf[n] = 0;
    assert_int_equal(lb_peers_msg_parse(buf, n + 1, &r, &used, &why),
                     LB_ERROR);
    assert_string_equal(why, "bytes left over after the fields");

    /* no room: nothing written */
    assert_int_equal(lb_peers_msg_write(buf, 8, &m), 0);
}


static void
test_journal(void **state)
{
    int32_t                 n;
    uint32_t                v;
    uint64_t                next, i;
    lb_shm_zone_t          *z;
    lb_zone_table_t        *t, *plain;
    lb_zone_journal_rec_t   recs[8];

    z = lb_zone_create(LB_ZONE_MIN_SIZE * 64);
    assert_non_null(z);
    assert_int_equal(lb_zone_journal_create(z), LB_OK);

    t = lb_zone_table_get(z, "app:g", 16, sizeof(uint32_t), 64, true);
    plain = lb_zone_table_get(z, "health:x", 16, sizeof(uint32_t), 64, true);
    assert_non_null(t);
    assert_non_null(plain);
    assert_ptr_equal(lb_zone_table_find_name(z, "app:g"), t);

    v = 7;
    assert_int_equal(lb_zone_table_set(t, "k1", 2, &v, 1000, 60000), LB_OK);
    assert_int_equal(lb_zone_table_set(plain, "k1", 2, &v, 1000, 60000),
                     LB_OK);
    assert_int_equal(lb_zone_table_delete(t, "k1", 2), LB_OK);

    n = lb_zone_journal_read(lb_zone_journal, 1, recs, 8, &next);
    assert_int_equal(n, 2);                  /* the plain table: none */
    assert_true(recs[0].id == 1 && recs[1].id == 2);
    assert_int_equal(recs[0].op, LB_ZONE_JOURNAL_SET);
    assert_string_equal(recs[0].table, "app:g");
    assert_int_equal(recs[0].ttl, 60000);
    assert_int_equal(recs[1].op, LB_ZONE_JOURNAL_DELETE);
    assert_true(next == 3);

    /* muted: what the sync process applies is not journaled again */
    lb_zone_journal_mute = true;
    assert_int_equal(lb_zone_table_set(t, "k2", 2, &v, 1000, 60000), LB_OK);
    lb_zone_journal_mute = false;
    assert_int_equal(lb_zone_journal_read(lb_zone_journal, 3, recs, 8,
                                          &next), 0);

    /* a renewal is journaled once half the ttl has passed */
    assert_int_equal(lb_zone_table_lookup(t, "k2", 2, 2000, 60000, &v),
                     LB_OK);
    assert_int_equal(lb_zone_journal_read(lb_zone_journal, 3, recs, 8,
                                          &next), 0);
    assert_int_equal(lb_zone_table_lookup(t, "k2", 2, 31000, 60000, &v),
                     LB_OK);
    assert_int_equal(lb_zone_journal_read(lb_zone_journal, 3, recs, 8,
                                          &next), 1);

    /* the ring is bounded: a reader left behind is told to resync */
    for (i = 0; i < LB_ZONE_JOURNAL_SLOTS + 10; i++) {
        assert_int_equal(lb_zone_table_set(t, &i, sizeof(i), &v, 1000, 1000),
                         LB_OK);
    }
    assert_int_equal(lb_zone_journal_read(lb_zone_journal, 3, recs, 8,
                                          &next), -1);
    assert_true(next == LB_ZONE_JOURNAL_SLOTS + 14);
    assert_int_equal(lb_zone_journal_read(lb_zone_journal, next - 2, recs, 8,
                                          &next), 2);

    /* the configuration texts between the admin and sync processes */
    {
        char      out[32];
        size_t    len;
        uint64_t  ver;

        assert_true(lb_zone_conf_version(lb_zone_journal, LB_ZONE_CONF_IN)
                    == 0);
        assert_int_equal(lb_zone_conf_put(lb_zone_journal, LB_ZONE_CONF_IN,
                                          7, "abc", 3), LB_OK);
        assert_true(lb_zone_conf_version(lb_zone_journal, LB_ZONE_CONF_IN)
                    == 7);
        assert_int_equal(lb_zone_conf_get(lb_zone_journal, LB_ZONE_CONF_IN,
                                          &ver, out, sizeof(out), &len),
                         LB_OK);
        assert_true(ver == 7 && len == 3);
        assert_memory_equal(out, "abc", 3);
        assert_int_equal(lb_zone_conf_get(lb_zone_journal, LB_ZONE_CONF_IN,
                                          &ver, out, 2, &len), LB_ERROR);
        assert_int_equal(lb_zone_conf_put(lb_zone_journal, LB_ZONE_CONF_OUT,
                                          1, out, LB_ZONE_CONF_TEXT_MAX + 1),
                         LB_ERROR);
    }

    lb_zone_journal = NULL;
    lb_zone_destroy(z);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_ack),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_journal),
    };

    lb_test_quiet(true);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
