/* weir: unit tests for src/http/lb_http_cookie.c: cookie names of SPEC.md
 * section 5, Cookie and Set-Cookie reading, Set-Cookie writing with its
 * bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_http_cookie.h"

#define U(s)  ((const u_char *) (s))

static bool
span_is(const char *v, lb_http_span_t s, const char *want)
{
    return s.len == strlen(want) && memcmp(v + s.off, want, s.len) == 0;
}


static void
test_name_valid(void **state)
{
    char      name[257];
    unsigned  c;

    assert_true(lb_http_cookie_name_valid(U("JSESSIONID"), 10));
    assert_true(lb_http_cookie_name_valid(U("aZ09!#$%^&_*+~-"), 15));
    assert_true(lb_http_cookie_name_valid(U("x"), 1));

    memset(name, 'a', sizeof(name));
    assert_true(lb_http_cookie_name_valid(U(name), 255));
    assert_false(lb_http_cookie_name_valid(U(name), 256));
    assert_false(lb_http_cookie_name_valid(U(name), 0));

    /* every byte outside the set, alone, is refused */
    for (c = 0; c < 256; c++) {
        name[0] = (char) c;
        if (strchr("!#$%^&_*+~-", (int) c) != NULL && c != 0) {
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9'))
        {
            continue;
        }
        if (lb_http_cookie_name_valid(U(name), 1)) {
            print_error("byte 0x%02x accepted\n", c);
            fail();
        }
    }

    /* tchars outside SPEC's set */
    assert_false(lb_http_cookie_name_valid(U("a.b"), 3));
    assert_false(lb_http_cookie_name_valid(U("a'b"), 3));
    assert_false(lb_http_cookie_name_valid(U("a|b"), 3));
    assert_false(lb_http_cookie_name_valid(U("a b"), 3));
    assert_false(lb_http_cookie_name_valid(U("a=b"), 3));
}


static void
test_cookie_next(void **state)
{
    static const char  v[] = " a=1; b = 2 ;c=\"q v\";noeq; =x; d@=5;e=;;f=6";
    size_t             pos;
    lb_http_cookie_t   c;

    pos = 0;
    assert_int_equal(lb_http_cookie_next(U(v), sizeof(v) - 1, &pos, &c),
                     LB_OK);
    assert_true(span_is(v, c.name, "a"));
    assert_true(span_is(v, c.value, "1"));
    assert_int_equal(lb_http_cookie_next(U(v), sizeof(v) - 1, &pos, &c),
                     LB_OK);
    assert_true(span_is(v, c.name, "b"));
    assert_true(span_is(v, c.value, "2"));
    assert_int_equal(lb_http_cookie_next(U(v), sizeof(v) - 1, &pos, &c),
                     LB_OK);
    assert_true(span_is(v, c.name, "c"));
    assert_true(span_is(v, c.value, "\"q v\""));
    /* "noeq", "=x" and "d@=5" are skipped */
    assert_int_equal(lb_http_cookie_next(U(v), sizeof(v) - 1, &pos, &c),
                     LB_OK);
    assert_true(span_is(v, c.name, "e"));
    assert_int_equal(c.value.len, 0);
    assert_int_equal(lb_http_cookie_next(U(v), sizeof(v) - 1, &pos, &c),
                     LB_OK);
    assert_true(span_is(v, c.name, "f"));
    assert_true(span_is(v, c.value, "6"));
    assert_int_equal(lb_http_cookie_next(U(v), sizeof(v) - 1, &pos, &c),
                     LB_DONE);
    assert_int_equal(lb_http_cookie_next(U(v), sizeof(v) - 1, &pos, &c),
                     LB_DONE);

    pos = 0;
    assert_int_equal(lb_http_cookie_next(U(""), 0, &pos, &c), LB_DONE);
    pos = 0;
    assert_int_equal(lb_http_cookie_next(U(" ; ;"), 4, &pos, &c), LB_DONE);
}


static void
test_cookie_find(void **state)
{
    static const char  v[] =
        "JSESSIONIDX=no; jsessionid=no; JSESSIONID=abc123; WEIR=t7; "
        "JSESSIONID=second";
    lb_http_span_t     val;

    assert_int_equal(lb_http_cookie_find(U(v), sizeof(v) - 1,
                                         U("JSESSIONID"), 10, &val), LB_OK);
    assert_true(span_is(v, val, "abc123"));
    assert_int_equal(lb_http_cookie_find(U(v), sizeof(v) - 1, U("WEIR"), 4,
                                         &val), LB_OK);
    assert_true(span_is(v, val, "t7"));
    assert_int_equal(lb_http_cookie_find(U(v), sizeof(v) - 1, U("JSESSION"),
                                         8, &val), LB_DECLINED);
    assert_int_equal(lb_http_cookie_find(U(v), sizeof(v) - 1, U("Weir"), 4,
                                         &val), LB_DECLINED);
    assert_int_equal(lb_http_cookie_find(U("WEIR"), 4, U("WEIR"), 4, &val),
                     LB_DECLINED);
}


static void
test_set_cookie_parse(void **state)
{
    static const char      v1[] =
        " JSESSIONID = abc123 ; Path=/app; Max-Age=3600; HttpOnly; "
        "secure; Domain=.example.com; SameSite=Lax; "
        "Expires=Wed, 21 Oct 2035 07:28:00 GMT; Unknown=1";
    static const char      v2[] = "a=b; max-age=10; MAX-AGE=-5; max-age=x";
    static const char      v3[] = "a=b;Max-Age=99999999999999999999999";
    static const char      v4[] = "a=\"q\";Max-Age=-;Max-Age=+1;Max-Age=";
    lb_http_set_cookie_t   sc;

    assert_int_equal(lb_http_set_cookie_parse(U(v1), sizeof(v1) - 1, &sc),
                     LB_OK);
    assert_true(span_is(v1, sc.name, "JSESSIONID"));
    assert_true(span_is(v1, sc.value, "abc123"));
    assert_true(span_is(v1, sc.path, "/app"));
    assert_true(span_is(v1, sc.domain, ".example.com"));
    assert_true(span_is(v1, sc.samesite, "Lax"));
    assert_true(span_is(v1, sc.expires, "Wed, 21 Oct 2035 07:28:00 GMT"));
    assert_true(sc.has_max_age);
    assert_int_equal(sc.max_age, 3600);
    assert_true(sc.http_only);
    assert_true(sc.secure);

    /* the last valid Max-Age wins; an invalid one is ignored */
    assert_int_equal(lb_http_set_cookie_parse(U(v2), sizeof(v2) - 1, &sc),
                     LB_OK);
    assert_true(sc.has_max_age);
    assert_int_equal(sc.max_age, -5);
    assert_false(sc.http_only);
    assert_false(sc.secure);
    assert_int_equal(sc.path.len, 0);

    assert_int_equal(lb_http_set_cookie_parse(U(v3), sizeof(v3) - 1, &sc),
                     LB_OK);
    assert_true(sc.max_age == INT64_MAX);

    assert_int_equal(lb_http_set_cookie_parse(U(v4), sizeof(v4) - 1, &sc),
                     LB_OK);
    assert_true(span_is(v4, sc.value, "\"q\""));
    assert_false(sc.has_max_age);

    assert_int_equal(lb_http_set_cookie_parse(U("a="), 2, &sc), LB_OK);
    assert_int_equal(sc.value.len, 0);

    assert_int_equal(lb_http_set_cookie_parse(U("noeq"), 4, &sc),
                     LB_DECLINED);
    assert_int_equal(lb_http_set_cookie_parse(U("noeq; a=b"), 9, &sc),
                     LB_DECLINED);
    assert_int_equal(lb_http_set_cookie_parse(U(" =v"), 3, &sc),
                     LB_DECLINED);
    assert_int_equal(lb_http_set_cookie_parse(U("a b=v"), 5, &sc),
                     LB_DECLINED);
    assert_int_equal(lb_http_set_cookie_parse(U(""), 0, &sc), LB_DECLINED);
}


static void
test_set_cookie_build(void **state)
{
    static const char       want[] = "WEIRSTICKY=t1-a; Max-Age=3600; Path=/; "
                                     "HttpOnly";
    static const char       want_s[] = "WEIRSTICKY=t1-a; Max-Age=3600; "
                                       "Path=/shop; HttpOnly; Secure";
    char                    name[256];
    u_char                  buf[512];
    size_t                  len, n;
    lb_http_cookie_spec_t   spec;

    memset(&spec, 0, sizeof(spec));
    spec.name = U("WEIRSTICKY");
    spec.name_len = 10;
    spec.value = U("t1-a");
    spec.value_len = 4;
    spec.max_age = 3600;

    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_OK);
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(buf, want, len);

    /* every buffer one byte too short or shorter is refused, never
     * overrun (the byte after the size stays untouched) */
    for (n = 0; n < sizeof(want) - 1; n++) {
        memset(buf, 0xaa, sizeof(buf));
        assert_int_equal(lb_http_set_cookie_build(buf, n, &len, &spec),
                         LB_DECLINED);
        assert_int_equal(buf[n], 0xaa);
    }

    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(want) - 1, &len,
                                              &spec), LB_OK);

    spec.path = U("/shop");
    spec.path_len = 5;
    spec.secure = 1;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_OK);
    assert_int_equal(len, sizeof(want_s) - 1);
    assert_memory_equal(buf, want_s, len);
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(want_s) - 2, &len,
                                              &spec), LB_DECLINED);

    spec.path = NULL;
    spec.secure = 0;
    spec.max_age = 0;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_OK);
    assert_memory_equal(buf, "WEIRSTICKY=t1-a; Max-Age=0; Path=/; HttpOnly",
                        len);
    spec.max_age = UINT32_MAX;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_OK);
    assert_memory_equal(buf, "WEIRSTICKY=t1-a; Max-Age=4294967295; Path=/; "
                        "HttpOnly", len);

    /* the name follows SPEC.md section 5 */
    spec.name = U("a.b");
    spec.name_len = 3;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.name_len = 0;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    memset(name, 'n', sizeof(name));
    spec.name = U(name);
    spec.name_len = 256;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.name_len = 255;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_OK);

    /* the value holds cookie-octets only */
    spec.value = U("a;b");
    spec.value_len = 3;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.value = U("a b");
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.value = U("a,b");
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.value = U("a\"b");
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.value = U("a\\b");
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.value = NULL;
    spec.value_len = 0;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_OK);

    /* the path starts with "/" and holds no ";", SP or control */
    spec.path = U("shop");
    spec.path_len = 4;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.path = U("/a;b");
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.path = U("/a b");
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.path = U("/a\r\n");
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
    spec.path_len = 0;
    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_ERROR);
}


/* What weir writes, it reads back the same. */
static void
test_round_trip(void **state)
{
    u_char                  buf[256];
    size_t                  len;
    lb_http_cookie_spec_t   spec;
    lb_http_set_cookie_t    sc;

    memset(&spec, 0, sizeof(spec));
    spec.name = U("W#$%^&_*+~-1");
    spec.name_len = 12;
    spec.value = U("!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~");
    spec.value_len = 34;
    spec.max_age = 604800;
    spec.secure = 1;

    assert_int_equal(lb_http_set_cookie_build(buf, sizeof(buf), &len, &spec),
                     LB_OK);
    assert_int_equal(lb_http_set_cookie_parse(buf, len, &sc), LB_OK);
    assert_int_equal(sc.name.len, 12);
    assert_memory_equal(buf + sc.name.off, spec.name, 12);
    assert_int_equal(sc.value.len, 34);
    assert_memory_equal(buf + sc.value.off, spec.value, 34);
    assert_int_equal(sc.max_age, 604800);
    assert_true(sc.http_only);
    assert_true(sc.secure);
    assert_int_equal(sc.path.len, 1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_cookie_next),
        cmocka_unit_test(test_cookie_find),
        cmocka_unit_test(test_set_cookie_parse),
        cmocka_unit_test(test_set_cookie_build),
        cmocka_unit_test(test_round_trip),
    };

    return cmocka_run_group_tests_name("lb_http_cookie", tests, NULL, NULL);
}
