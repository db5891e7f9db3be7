/* weir: unit tests for src/ctl/lb_ctl_body.c: how weirctl's key=value
 * arguments become a request body (types, nesting, the wrapper, the
 * members of a whole set), the arguments it refuses and why, and the JSON
 * checker and pretty-printer of its output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb_admin_json.h"
#include "lb_ctl_body.h"

static char  err[512];

/* the body of args as a NUL-terminated string (static), or NULL with the
 * message in err */
static const char *
body(const char *wrapper, int n, char **args)
{
    static char     out[4096];
    lb_int_t        rc;
    lb_admin_buf_t  b;

    memset(&b, 0, sizeof(b));
    err[0] = '\0';
    rc = lb_ctl_body_object(&b, wrapper, args, n, err, sizeof(err));
    assert_false(b.nomem);

    if (rc != LB_OK) {
        lb_admin_buf_free(&b);
        return NULL;
    }

    assert_true(b.len < sizeof(out));
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    lb_admin_buf_free(&b);

    return out;
}

#define BODY(w, ...)                                                         \
    body(w, sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *),            \
         (char *[]) { __VA_ARGS__ })

static const char *
members(int n, char **specs)
{
    static char     out[4096];
    lb_int_t        rc;
    lb_admin_buf_t  b;

    memset(&b, 0, sizeof(b));
    err[0] = '\0';
    rc = lb_ctl_body_members(&b, specs, n, err, sizeof(err));

    if (rc != LB_OK) {
        lb_admin_buf_free(&b);
        return NULL;
    }

    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    lb_admin_buf_free(&b);

    return out;
}

#define MEMBERS(...)                                                         \
    members(sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *),            \
            (char *[]) { __VA_ARGS__ })

/* in pretty-printed (static), or NULL with the offset of the fault in
 * *at */
static const char *
pretty(const char *in, size_t *at)
{
    static char     out[4096];
    lb_int_t        rc;
    lb_admin_buf_t  b;
    size_t          a;

    memset(&b, 0, sizeof(b));
    rc = lb_ctl_json_pretty(&b, (const u_char *) in, strlen(in),
                            at ? at : &a);

    /* checking alone gives the same verdict */
    assert_int_equal(lb_ctl_json_pretty(NULL, (const u_char *) in,
                                        strlen(in), &a), rc);

    if (rc != LB_OK) {
        lb_admin_buf_free(&b);
        return NULL;
    }

    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    lb_admin_buf_free(&b);

    return out;
}


static void
test_value_types(void **state)
{
    assert_int_equal(lb_ctl_value_type("64"), LB_CTL_VALUE_NUMBER);
    assert_int_equal(lb_ctl_value_type("-1"), LB_CTL_VALUE_NUMBER);
    assert_int_equal(lb_ctl_value_type("0"), LB_CTL_VALUE_NUMBER);
    assert_int_equal(lb_ctl_value_type("1.1"), LB_CTL_VALUE_NUMBER);
    assert_int_equal(lb_ctl_value_type("2e3"), LB_CTL_VALUE_NUMBER);
    assert_int_equal(lb_ctl_value_type("-0.5E-2"), LB_CTL_VALUE_NUMBER);
    assert_int_equal(lb_ctl_value_type("true"), LB_CTL_VALUE_LITERAL);
    assert_int_equal(lb_ctl_value_type("false"), LB_CTL_VALUE_LITERAL);
    assert_int_equal(lb_ctl_value_type("null"), LB_CTL_VALUE_LITERAL);

    /* what JSON would not take as a number stays a string */
    assert_int_equal(lb_ctl_value_type("007"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("+1"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("1."), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type(".5"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("1e"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("0x10"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("200-299"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("127.0.0.1"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("True"), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type(""), LB_CTL_VALUE_STRING);
    assert_int_equal(lb_ctl_value_type("web"), LB_CTL_VALUE_STRING);
}


static void
test_object(void **state)
{
    assert_string_equal(BODY("target_group", "name=web", "protocol=HTTP"),
                        "{\"target_group\":{\"name\":\"web\","
                        "\"protocol\":\"HTTP\"}}");
    assert_string_equal(BODY("member", "weight=64"),
                        "{\"member\":{\"weight\":64}}");
    assert_string_equal(BODY("member", "weight=-1", "backup=false",
                             "monitor_port=null", "address=::1"),
                        "{\"member\":{\"weight\":-1,\"backup\":false,"
                        "\"monitor_port\":null,\"address\":\"::1\"}}");
    assert_string_equal(BODY(NULL, "a=1"), "{\"a\":1}");
    assert_string_equal(BODY("member", "name="),
                        "{\"member\":{\"name\":\"\"}}");

    /* the value is everything after the first '=' */
    assert_string_equal(BODY("m", "url_path=/a?b=c"),
                        "{\"m\":{\"url_path\":\"/a?b=c\"}}");

    /* strings are escaped */
    assert_string_equal(BODY("m", "name=a\"b\\c"),
                        "{\"m\":{\"name\":\"a\\\"b\\\\c\"}}");
}


static void
test_no_args(void **state)
{
    assert_string_equal(body("member", 0, NULL), "{\"member\":{}}");
}


static void
test_raw(void **state)
{
    assert_string_equal(BODY("member", "name:=\"64\""),
                        "{\"member\":{\"name\":\"64\"}}");
    assert_string_equal(BODY("tg", "members:=[{\"address\":\"a\"}, 1]"),
                        "{\"tg\":{\"members\":[{\"address\":\"a\"}, 1]}}");
    assert_string_equal(BODY("l", "insert_headers:={}"),
                        "{\"l\":{\"insert_headers\":{}}}");
    assert_string_equal(BODY("l", "x:= 5 "), "{\"l\":{\"x\": 5 }}");

    assert_null(BODY("l", "x:=[1,"));
    assert_non_null(strstr(err, "is not JSON"));
    assert_null(BODY("l", "name:=web"));
    assert_non_null(strstr(err, "name:='\"64\"'"));
    assert_null(BODY("l", "x:="));
}


static void
test_nested(void **state)
{
    assert_string_equal(BODY("target_group", "name=web",
                             "health_monitor.type=HTTP",
                             "health_monitor.delay=5", "protocol=HTTP",
                             "health_monitor.url_path=/healthz"),
                        "{\"target_group\":{\"name\":\"web\","
                        "\"health_monitor\":{\"type\":\"HTTP\","
                        "\"delay\":5,\"url_path\":\"/healthz\"},"
                        "\"protocol\":\"HTTP\"}}");
    assert_string_equal(BODY(NULL, "a.b.c=1", "a.d=x", "a.b.e:=[]"),
                        "{\"a\":{\"b\":{\"c\":1,\"e\":[]},\"d\":\"x\"}}");
    assert_string_equal(BODY(NULL, "a.b.c.d.e.f.g.h=1"),
                        "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":"
                        "{\"h\":1}}}}}}}}");
    assert_null(BODY(NULL, "a.b.c.d.e.f.g.h.i=1"));
    assert_non_null(strstr(err, "more than 8 nested keys"));
}


static void
test_refused(void **state)
{
    assert_null(BODY("m", "weight"));
    assert_string_equal(err, "\"weight\": expected key=value or key:=json");

    assert_null(BODY("m", "=5"));
    assert_string_equal(err, "\"=5\": the key is empty");

    assert_null(BODY("m", ":=5"));
    assert_string_equal(err, "\":=5\": the key is empty");

    assert_null(BODY("m", "weight=1", "weight=2"));
    assert_string_equal(err, "\"weight=2\": weight is given twice");

    assert_null(BODY("m", "hm.delay=1", "hm=2"));
    assert_string_equal(err, "\"hm=2\": hm is given twice");

    assert_null(BODY("m", "hm=2", "hm.delay=1"));
    assert_string_equal(err, "\"hm.delay=1\": hm is given both as a value "
                        "and as an object");

    assert_null(BODY("m", "a..b=1"));
    assert_non_null(strstr(err, "a key is 1..64 characters"));
    assert_null(BODY("m", "a.=1"));
    assert_null(BODY("m", ".a=1"));
    assert_null(BODY("m", "we ight=1"));
    assert_null(BODY("m", "we\"ight=1"));
    assert_null(BODY("m",
        "k12345678901234567890123456789012345678901234567890123456789012345"
        "=1"));
    assert_non_null(BODY("m",
        "k123456789012345678901234567890123456789012345678901234567890123"
        "=1"));
}


static void
test_members(void **state)
{
    assert_string_equal(MEMBERS("address=10.0.0.1,protocol_port=80",
                                "address=10.0.0.2,protocol_port=80,"
                                "weight=0"),
                        "{\"members\":[{\"address\":\"10.0.0.1\","
                        "\"protocol_port\":80},{\"address\":\"10.0.0.2\","
                        "\"protocol_port\":80,\"weight\":0}]}");

    /* commas inside JSON values do not split */
    assert_string_equal(MEMBERS("a=1,tags:=[1,2],o:={\"x\":\"p,q\"},b=2"),
                        "{\"members\":[{\"a\":1,\"tags\":[1,2],"
                        "\"o\":{\"x\":\"p,q\"},\"b\":2}]}");

    assert_string_equal(members(0, NULL), "{\"members\":[]}");

    assert_null(MEMBERS("address=10.0.0.1", "3c2a-member-id"));
    assert_string_equal(err, "\"3c2a-member-id\": expected key=value or "
                        "key:=json");
    assert_null(MEMBERS("a=1,a=2"));
}


static void
test_pretty(void **state)
{
    assert_string_equal(pretty("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{}}",
                               NULL),
                        "{\n"
                        "  \"a\": 1,\n"
                        "  \"b\": [\n"
                        "    true,\n"
                        "    null,\n"
                        "    \"x\"\n"
                        "  ],\n"
                        "  \"c\": {}\n"
                        "}\n");
    assert_string_equal(pretty(" [ ] ", NULL), "[]\n");
    assert_string_equal(pretty("\"s\"", NULL), "\"s\"\n");
    assert_string_equal(pretty("-1.5e+3", NULL), "-1.5e+3\n");

    /* strings and numbers byte for byte, escapes kept */
    assert_string_equal(pretty("{\"k\\u00e9\":\"a\\\"\\n\\/\"}", NULL),
                        "{\n  \"k\\u00e9\": \"a\\\"\\n\\/\"\n}\n");
    assert_string_equal(pretty("{\"w\":95.20}", NULL),
                        "{\n  \"w\": 95.20\n}\n");
    assert_string_equal(pretty("{\"u\":\"\xc3\xa9\"}", NULL),
                        "{\n  \"u\": \"\xc3\xa9\"\n}\n");
}


static void
test_pretty_refused(void **state)
{
    size_t  at;

    assert_null(pretty("", &at));
    assert_int_equal(at, 0);
    assert_null(pretty("{\"a\":1,}", &at));
    assert_int_equal(at, 7);
    assert_null(pretty("[1 2]", &at));
    assert_int_equal(at, 3);
    assert_null(pretty("{\"a\" 1}", &at));
    assert_null(pretty("{a:1}", &at));
    assert_int_equal(at, 1);
    assert_null(pretty("[01]", &at));
    assert_null(pretty("[1.]", &at));
    assert_null(pretty("[tru]", &at));
    assert_null(pretty("\"a\tb\"", &at));
    assert_null(pretty("\"\\x\"", &at));
    assert_null(pretty("\"\\u12g4\"", &at));
    assert_null(pretty("\"open", &at));
    assert_null(pretty("{} {}", &at));
    assert_int_equal(at, 3);
    assert_null(pretty("# HELP weir_x\n", &at));
    assert_int_equal(at, 0);
}


static void
test_pretty_depth(void **state)
{
    int     i;
    char    deep[2 * (LB_CTL_JSON_DEPTH + 1) + 1];
    size_t  at;

    for (i = 0; i < LB_CTL_JSON_DEPTH; i++) {
        deep[i] = '[';
        deep[LB_CTL_JSON_DEPTH + i] = ']';
    }
    deep[2 * LB_CTL_JSON_DEPTH] = '\0';
    assert_int_equal(lb_ctl_json_pretty(NULL, (u_char *) deep, strlen(deep),
                                        &at), LB_OK);

    for (i = 0; i <= LB_CTL_JSON_DEPTH; i++) {
        deep[i] = '[';
        deep[LB_CTL_JSON_DEPTH + 1 + i] = ']';
    }
    deep[2 * (LB_CTL_JSON_DEPTH + 1)] = '\0';
    assert_int_equal(lb_ctl_json_pretty(NULL, (u_char *) deep, strlen(deep),
                                        &at), LB_ERROR);
    assert_int_equal(at, LB_CTL_JSON_DEPTH);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_object),
        cmocka_unit_test(test_no_args),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_pretty),
        cmocka_unit_test(test_pretty_refused),
        cmocka_unit_test(test_pretty_depth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
