/* weir: unit tests for src/admin/lb_admin_change.c, lb_admin_body.c and
 * src/core/lb_conf_edit.c: splitting a body {"w": {pairs}} without
 * recursion, laying a PUT's pairs over the object's current fields, random
 * v4 ids, and a changed copy judged as the file (the first problem with
 * its path and the message of weir -t; ids kept through a rename). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb_admin_change.c"

#define S(s)  (const u_char *) (s), strlen(s)

static const char  conf_text[] =
    "daemon: false\n"
    "load_balancers:\n"
    "  - name: web-lb\n"
    "    type: ALB\n"
    "    address: 127.0.0.1\n"
    "    listeners:\n"
    "      - { name: http-in, protocol: HTTP, protocol_port: 8080,"
    " target_group: web-tg }\n"
    "    target_groups:\n"
    "      - name: web-tg\n"
    "        protocol: HTTP\n"
    "        members:\n"
    "          - { address: 127.0.0.1, protocol_port: 9001 }\n"
    "      - name: other-tg\n"
    "        protocol: HTTPS\n";


static void
test_split(void **state)
{
    lb_admin_body_t  b;

    lb_unused(state);

    assert_true(lb_admin_body_split(S(" {\"member\" : {\"weight\": 5, "
                                 "\"name\": \"a,}\\\"b\", \"x\": "
                                 "{\"y\": [1, {\"z\": \"]\"}]}} } "), &b));
    assert_int_equal(b.wrapper_len, 6);
    assert_memory_equal(b.wrapper, "member", 6);
    assert_int_equal(b.n, 3);
    assert_memory_equal(b.pairs[0].key, "weight", 6);
    assert_int_equal(b.pairs[0].val_len, 1);
    assert_int_equal(b.pairs[1].val_len, strlen("\"a,}\\\"b\""));
    assert_int_equal(b.pairs[2].val_len,
                     strlen("{\"y\": [1, {\"z\": \"]\"}]}"));

    assert_true(lb_admin_body_split(S("{\"member\": {}}"), &b));
    assert_int_equal(b.n, 0);

    /* other shapes */
    memset(&b, 0, sizeof(b));
    assert_false(lb_admin_body_split(S("{\"members\": []}"), &b));
    memset(&b, 0, sizeof(b));
    assert_false(lb_admin_body_split(S("{\"a\": {}, \"b\": {}}"), &b));
    memset(&b, 0, sizeof(b));
    assert_false(lb_admin_body_split(S("{\"a\": {\"k\": 1}"), &b));
    memset(&b, 0, sizeof(b));
    assert_false(lb_admin_body_split(S("[]"), &b));
}


static void
test_merge(void **state)
{
    size_t              len;
    u_char             *m;
    lb_admin_buf_t      base, out;
    lb_admin_req_t      r;
    lb_admin_body_t     b;
    lb_admin_change_t   ch;

    lb_unused(state);

    memset(&base, 0, sizeof(base));
    memset(&out, 0, sizeof(out));
    memset(&r, 0, sizeof(r));
    memset(&ch, 0, sizeof(ch));
    r.body = &out;
    ch.r = &r;
    ch.wrapper = "member";
    ch.pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    assert_non_null(ch.pool);

    lb_admin_buf_printf(&base, "{\"member\": {\"address\": \"127.0.0.1\", "
                        "\"protocol_port\": 9001, \"weight\": 1}}");

    assert_true(lb_admin_body_split(S("{\"member\": {\"weight\": 7, "
                                 "\"target_group_id\": \"x\", "
                                 "\"name\": \"n\"}}"), &b));

    {
        char  *id;
        bool   given;

        assert_true(lb_admin_take_id(&ch, &b, "target_group_id", false,
                                     &id, &given));
        assert_true(given);
        assert_string_equal(id, "x");
    }

    m = lb_admin_merge(&ch, "member", &base, &b, &len);
    assert_non_null(m);
    assert_string_equal((char *) m,
        "{\"member\": {\"address\": \"127.0.0.1\", \"protocol_port\": 9001, "
        "\"weight\": 7, \"name\": \"n\"}}");

    lb_admin_buf_free(&base);
    lb_admin_buf_free(&out);
    lb_destroy_pool(ch.pool);
}


static void
test_uuid(void **state)
{
    int   i;
    char  a[LB_CONF_UUID_LEN + 1], b[LB_CONF_UUID_LEN + 1];

    lb_unused(state);

    assert_int_equal(lb_conf_uuid(a), LB_OK);
    assert_int_equal(lb_conf_uuid(b), LB_OK);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(a[i], '-');
        } else {
            assert_non_null(strchr("0123456789abcdef", a[i]));
        }
    }

    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
}


static void
test_edit_check(void **state)
{
    char                  *text, *id;
    size_t                 len;
    lb_pool_t             *pool;
    lb_conf_t             *conf, *again;
    lb_conf_edit_error_t   err;

    lb_unused(state);

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    assert_non_null(pool);

    conf = lb_conf_edit_read(pool, "t.yaml", conf_text, strlen(conf_text),
                             &err);
    assert_non_null(conf);

    /* a rename: the id stays, the listener's reference follows */
    id = conf->balancers[0].target_groups[0].id;
    assert_non_null(id);
    conf->balancers[0].target_groups[0].name = "new-tg";
    conf->balancers[0].listeners[0].target_group_name = "new-tg";

    again = lb_conf_edit_check(pool, "t.yaml", conf, &text, &len, &err);
    assert_non_null(again);
    assert_string_equal(again->balancers[0].target_groups[0].name, "new-tg");
    assert_string_equal(again->balancers[0].target_groups[0].id, id);
    assert_ptr_equal(again->balancers[0].listeners[0].target_group,
                     &again->balancers[0].target_groups[0]);
    assert_non_null(strstr(text, id));

    /* a duplicate name: the first problem, as weir -t words it */
    again->balancers[0].target_groups[1].name = "new-tg";
    assert_null(lb_conf_edit_check(pool, "t.yaml", again, &text, &len,
                                   &err));
    assert_string_equal(err.path,
                        "load_balancers[web-lb].target_groups[new-tg].name");
    assert_non_null(strstr(err.message, "duplicate target group name "
                                        "\"new-tg\""));

    /* an HTTPS group on an HTTP listener */
    conf->balancers[0].listeners[0].target_group_name = "other-tg";
    assert_null(lb_conf_edit_check(pool, "t.yaml", conf, &text, &len, &err));
    assert_string_equal(err.path,
                        "load_balancers[web-lb].listeners[http-in]"
                        ".target_group");
    assert_non_null(strstr(err.message, "HTTP listeners cannot use"));

    lb_destroy_pool(pool);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_edit_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
