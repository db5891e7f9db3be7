/* weir: the columns of the field tables that other code reads: `depends`
 * and `only` (a field allowed for some values of another, with the message
 * made from the table), LB_CONF_SECONDS (written in seconds, stored in
 * milliseconds) and check_identity (the fields whose change makes another
 * health check, walked by lb_conf_identity). */
#include <stdlib.h>

#include "test_lb_conf_helpers.h"
#include "lb_conf_schema.h"

#define LBT_HTTP_CHECK(hm, port)                                            \
    LBT_ALB                                                                 \
    "    target_groups:\n"                                                  \
    "      - name: web-tg\n"                                                \
    "        protocol: HTTP\n"                                              \
    "        health_monitor: " hm "\n"                                      \
    "        members:\n"                                                    \
    "          - { address: 127.0.0.1, protocol_port: 9001" port " }\n"

static void lbt_tables(const lb_conf_object_t *schema, unsigned depth);
static uint64_t lbt_identity(const lb_conf_t *c);
static void lbt_fnv(void *ctx, const void *p, size_t len);


/* Every row that names a field it depends on names an ENUM of the same
 * object with a message format, and says for which of its values it is
 * allowed; check_identity is on scalars only; a SECONDS field's range in
 * milliseconds fits its storage. lb_conf_only_reason aborts on a bad row,
 * so asking it for every such row checks the tables. */
static void
lbt_tables(const lb_conf_object_t *schema, unsigned depth)
{
    void                   *zero;
    unsigned                n;
    const lb_conf_field_t  *f;

    assert_true(depth < 8);

    zero = lb_pcalloc(lbt_pool, schema->size);
    assert_non_null(zero);

    for (f = schema->fields; f->key != NULL; f++) {

        if (f->depends != NULL) {
            assert_int_not_equal(f->only, 0);
            (void) lb_conf_only_reason(lbt_pool, schema, f, zero);
        }

        if (f->check_identity) {
            assert_true(f->type != LB_CONF_OBJECT
                        && f->type != LB_CONF_INLINE
                        && f->type != LB_CONF_LIST);
        }

        if (f->type == LB_CONF_NAMES) {
            /* indexes in written order and their count; the default: a
             * mask of the names' indexes */
            assert_non_null(f->names);
            for (n = 0; f->names[n] != NULL; n++) {
                /* void */
            }
            assert_true(n >= 1 && n <= 32 && f->max >= 1 && f->max <= n);
            assert_true(n <= 256 && f->count_off != 0);
            assert_true(!f->has_def
                        || (f->def > 0 && ((uint64_t) f->def >> n) == 0));
        }

        if (f->type == LB_CONF_SECONDS) {
            assert_null(f->unit);
            assert_true(f->min >= 0 && f->max <= INT64_MAX / 1000);
        }

        if (f->object != NULL) {
            lbt_tables(f->object, depth + 1);
        }
    }
}


static void
test_tables_consistent(void **state)
{
    (void) state;

    lbt_tables(&lb_conf_root_object, 0);
}


/* the message lists the allowed values in table order: "A", "A and B",
 * "A, B and C"; a value outside `only` gets it, one inside gets NULL */
static void
test_only_message(void **state)
{
    typedef struct {
        int       kind;
        uint32_t  n;
    } lbt_obj_t;

    static const char *const  kinds[] = { "A", "B", "C", "D", NULL };

    static const lb_conf_field_t  fields[] = {
        { .key = "kind", .type = LB_CONF_ENUM,
          .off = offsetof(lbt_obj_t, kind), .names = kinds,
          .only_fmt = "only for kinds %s" },
        { .key = "one", .type = LB_CONF_UINT, .off = offsetof(lbt_obj_t, n),
          .depends = "kind", .only = LB_CONF_BIT(3) },
        { .key = "two", .type = LB_CONF_UINT, .off = offsetof(lbt_obj_t, n),
          .depends = "kind", .only = LB_CONF_BIT(0) | LB_CONF_BIT(2) },
        { .key = "three", .type = LB_CONF_UINT,
          .off = offsetof(lbt_obj_t, n), .depends = "kind",
          .only = LB_CONF_BIT(0) | LB_CONF_BIT(1) | LB_CONF_BIT(3) },
        { NULL }
    };

    static const lb_conf_object_t  schema = {
        "test object", sizeof(lbt_obj_t), fields, NULL, NULL,
        LB_CONF_NO_POS
    };

    lbt_obj_t  o;

    (void) state;

    memset(&o, 0, sizeof(o));
    o.kind = 1;

    assert_string_equal(lb_conf_only_reason(lbt_pool, &schema, &fields[1],
                                            &o), "only for kinds D");
    assert_string_equal(lb_conf_only_reason(lbt_pool, &schema, &fields[2],
                                            &o), "only for kinds A and C");
    assert_null(lb_conf_only_reason(lbt_pool, &schema, &fields[3], &o));
    assert_false(lb_conf_applies(&schema, &fields[2], &o));
    assert_true(lb_conf_applies(&schema, &fields[0], &o));

    o.kind = 2;
    assert_null(lb_conf_only_reason(lbt_pool, &schema, &fields[2], &o));
    assert_string_equal(lb_conf_only_reason(lbt_pool, &schema, &fields[3],
                                            &o), "only for kinds A, B and D");

    /* as weir -t says it, with the value the field depends on */
    lbt_error(LBT_HTTP_CHECK("{ type: PING, url_path: /x }", ""),
              "8:49: load_balancers[web-lb].target_groups[web-tg]"
              ".health_monitor.url_path: not allowed here: only for HTTP and "
              "HTTPS health checks (type is PING)");
}


/* written in seconds, stored in milliseconds, dumped in seconds */
static void
test_seconds(void **state)
{
    char        *buf;
    FILE        *f;
    size_t       len;
    lb_conf_t   *c;

    static const char  yaml[] =
        LBT_HTTP_CHECK("{ type: HTTP, delay: 7, timeout: 2 }", "");

    (void) state;

    c = lbt_ok(yaml);
    assert_int_equal(c->balancers[0].target_groups[0].health_monitor->delay,
                     7000);
    assert_int_equal(c->balancers[0].target_groups[0].health_monitor
                     ->timeout, 2000);

    buf = NULL;
    len = 0;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(lb_conf_dump(f, c), LB_OK);
    fclose(f);

    assert_non_null(strstr(buf, "\n          delay: 7\n"));
    assert_non_null(strstr(buf, "\n          timeout: 2\n"));
    free(buf);
}


static void
lbt_fnv(void *ctx, const void *p, size_t len)
{
    size_t          i;
    uint64_t       *h = ctx;
    const uint8_t  *b = p;

    for (i = 0; i < len; i++) {
        *h = (*h ^ b[i]) * 0x100000001b3ULL;
    }
}


/* what lb_health.c hashes for the first target of the first group */
static uint64_t
lbt_identity(const lb_conf_t *c)
{
    uint64_t             h;
    lb_target_group_t   *tg;

    tg = &c->balancers[0].target_groups[0];
    h = 0xcbf29ce484222325ULL;

    lb_conf_identity(&lb_conf_health_monitor_object, tg->health_monitor,
                     lbt_fnv, &h);
    lb_conf_identity(&lb_conf_member_object, &tg->targets[0], lbt_fnv, &h);

    return h;
}


/* the check's type, timeout, HTTP fields and the member's monitor_port
 * name the check; delay and the retry counts do not */
static void
test_check_identity(void **state)
{
    uint64_t  base;

    (void) state;

    base = lbt_identity(lbt_ok(LBT_HTTP_CHECK("{ type: HTTP }", "")));

    /* the defaults written out are the same check */
    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP, timeout: 5, http_method: GET, http_version: \"1.1\","
        " url_path: /, expected_codes: \"200\" }", ", monitor_port: 9001")))
        == base);

    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP, delay: 9, max_retries: 3, max_retries_down: 1 }",
        ""))) == base);

    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: PING }", ""))) != base);
    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP, timeout: 4 }", ""))) != base);
    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP, http_method: HEAD }", ""))) != base);
    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP, http_version: \"1.0\" }", ""))) != base);
    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP, url_path: /health }", ""))) != base);
    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP, expected_codes: \"200-299\" }", ""))) != base);
    assert_true(lbt_identity(lbt_ok(LBT_HTTP_CHECK(
        "{ type: HTTP }", ", monitor_port: 9002"))) != base);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_tables_consistent),
        lbt_test(test_only_message),
        lbt_test(test_seconds),
        lbt_test(test_check_identity),
    };

    return cmocka_run_group_tests_name("lb_conf table columns", tests,
                                       NULL, NULL);
}
