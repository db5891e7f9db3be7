/* weir: unit tests for src/admin/lb_admin_route.c: matching a method and
 * path against a route table (literal before pattern, {id} spans, 404
 * versus 405), percent-decoding, the JSON error shape, and the admin API's
 * own table: every route is reachable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb_admin_json.h"
#include "lb_admin_route.h"

static void h_list(lb_admin_req_t *r) { lb_unused(r); }
static void h_listeners(lb_admin_req_t *r) { lb_unused(r); }
static void h_show(lb_admin_req_t *r) { lb_unused(r); }
static void h_member(lb_admin_req_t *r) { lb_unused(r); }
static void h_delete(lb_admin_req_t *r) { lb_unused(r); }

static const lb_admin_route_t  routes[] = {
    { LB_HTTP_METHOD_GET, "/api/v1/lbs", h_list },
    { LB_HTTP_METHOD_GET, "/api/v1/lbs/listeners", h_listeners },
    { LB_HTTP_METHOD_GET, "/api/v1/lbs/{id}", h_show },
    { LB_HTTP_METHOD_DELETE, "/api/v1/lbs/{id}", h_delete },
    { LB_HTTP_METHOD_GET, "/api/v1/lbs/{id}/members/{member_id}", h_member },
    { 0, NULL, NULL }
};

/* find with path as a C string */
static const lb_admin_route_t *
find(lb_http_method_e m, const char *path, lb_http_span_t *params,
    uint32_t *np, unsigned *allowed)
{
    return lb_admin_route_find(routes, m, path, strlen(path), params, np,
                               allowed);
}


static void
test_literal_and_pattern(void **state)
{
    unsigned                 allowed;
    uint32_t                 np;
    lb_http_span_t           p[LB_ADMIN_MAX_PARAMS];
    const lb_admin_route_t  *r;

    r = find(LB_HTTP_METHOD_GET, "/api/v1/lbs", p, &np, &allowed);
    assert_ptr_equal(r, &routes[0]);
    assert_int_equal(np, 0);

    /* the literal row comes first and wins over {id} */
    r = find(LB_HTTP_METHOD_GET, "/api/v1/lbs/listeners", p, &np, &allowed);
    assert_ptr_equal(r, &routes[1]);

    r = find(LB_HTTP_METHOD_GET, "/api/v1/lbs/abc-123", p, &np, &allowed);
    assert_ptr_equal(r, &routes[2]);
    assert_int_equal(np, 1);
    assert_int_equal(p[0].off, strlen("/api/v1/lbs/"));
    assert_int_equal(p[0].len, 7);

    r = find(LB_HTTP_METHOD_GET, "/api/v1/lbs/a/members/bb", p, &np,
             &allowed);
    assert_ptr_equal(r, &routes[4]);
    assert_int_equal(np, 2);
    assert_int_equal(p[0].off, 12);
    assert_int_equal(p[0].len, 1);
    assert_int_equal(p[1].off, 22);
    assert_int_equal(p[1].len, 2);

    r = find(LB_HTTP_METHOD_DELETE, "/api/v1/lbs/x", p, &np, &allowed);
    assert_ptr_equal(r, &routes[3]);
}


static void
test_not_found(void **state)
{
    size_t                   i;
    unsigned                 allowed;
    uint32_t                 np;
    lb_http_span_t           p[LB_ADMIN_MAX_PARAMS];
    static const char       *paths[] = {
        "/", "", "/api", "/api/v1", "/api/v1/lbs/", "/api/v1/lbs//members/x",
        "/api/v1/lbs/a/members", "/api/v1/lbs/a/members/", "/api/v1/lbsx",
        "/api/v1/lbs/a/b", "//api/v1/lbs", "/API/v1/lbs",
        "/api/v1/lbs/a/members/b/c",
    };

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        assert_null(find(LB_HTTP_METHOD_GET, paths[i], p, &np, &allowed));
        assert_int_equal(allowed, 0);
        assert_int_equal(np, 0);
    }
}


static void
test_method_not_allowed(void **state)
{
    unsigned        allowed;
    uint32_t        np;
    lb_http_span_t  p[LB_ADMIN_MAX_PARAMS];

    assert_null(find(LB_HTTP_METHOD_POST, "/api/v1/lbs/x", p, &np,
                     &allowed));
    assert_int_equal(allowed, (1u << LB_HTTP_METHOD_GET)
                              | (1u << LB_HTTP_METHOD_DELETE));

    assert_null(find(LB_HTTP_METHOD_PUT, "/api/v1/lbs", p, &np, &allowed));
    assert_int_equal(allowed, 1u << LB_HTTP_METHOD_GET);

    /* "listeners" is also an {id}: DELETE of it is the {id} route */
    assert_ptr_equal(find(LB_HTTP_METHOD_DELETE, "/api/v1/lbs/listeners", p,
                          &np, &allowed), &routes[3]);

    assert_null(find(LB_HTTP_METHOD_OTHER, "/api/v1/lbs", p, &np,
                     &allowed));
    assert_int_equal(allowed, 1u << LB_HTTP_METHOD_GET);
}


static void
test_decode(void **state)
{
    char  out[64];

    assert_int_equal(lb_admin_decode(out, "web-tg", 6, false), 6);
    assert_string_equal(out, "web-tg");

    assert_int_equal(lb_admin_decode(out, "a%20b%2Fc", 9, false), 5);
    assert_string_equal(out, "a b/c");

    assert_int_equal(lb_admin_decode(out, "a+b%2b", 6, true), 4);
    assert_string_equal(out, "a b+");

    assert_int_equal(lb_admin_decode(out, "a+b", 3, false), 3);
    assert_string_equal(out, "a+b");

    assert_int_equal(lb_admin_decode(out, "%e2%82%AC", 9, false), 3);
    assert_string_equal(out, "\xe2\x82\xac");

    assert_int_equal(lb_admin_decode(out, "", 0, true), 0);
    assert_string_equal(out, "");

    /* bad escapes and a decoded NUL */
    assert_int_equal(lb_admin_decode(out, "%", 1, false), -1);
    assert_int_equal(lb_admin_decode(out, "a%2", 3, false), -1);
    assert_int_equal(lb_admin_decode(out, "%zz", 3, false), -1);
    assert_int_equal(lb_admin_decode(out, "a%00b", 5, false), -1);
    /* the length given is the end, not a NUL */
    assert_int_equal(lb_admin_decode(out, "ab%41", 4, false), -1);
}


static void
test_error_shape(void **state)
{
    lb_admin_req_t  r;
    lb_admin_buf_t  b;

    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    r.body = &b;

    lb_admin_buf_append(&b, "partial", 7);
    lb_admin_error(&r, 404, "target group %s not found", "x\"y");
    lb_admin_buf_append(&b, "", 1);

    assert_int_equal(r.status, 404);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal((char *) b.data,
        "{\"error\":{\"code\":404,\"message\":\"target group x\\\"y not "
        "found\"}}\n");

    lb_admin_buf_free(&b);
}


static void
test_conf_error_shape(void **state)
{
    lb_admin_req_t        r;
    lb_admin_buf_t        b;
    lb_conf_json_error_t  e;

    memset(&r, 0, sizeof(r));
    memset(&b, 0, sizeof(b));
    memset(&e, 0, sizeof(e));
    r.body = &b;

    e.code = 400;
    e.field = "target_group.health_monitor.timeout";
    e.message = "timeout (30) must be less than delay (30)";
    lb_admin_conf_error(&r, &e);
    lb_admin_buf_append(&b, "", 1);

    assert_int_equal(r.status, 400);
    assert_string_equal((char *) b.data,
        "{\"error\":{\"code\":400,\"field\":\"target_group.health_monitor."
        "timeout\",\"message\":\"timeout (30) must be less than delay "
        "(30)\"}}\n");

    e.code = 413;
    e.field = "";
    e.message = "request body of 70000 bytes; allowed: at most 65536";
    lb_admin_conf_error(&r, &e);
    lb_admin_buf_append(&b, "", 1);

    assert_int_equal(r.status, 413);
    assert_string_equal((char *) b.data,
        "{\"error\":{\"code\":413,\"field\":null,\"message\":\"request "
        "body of 70000 bytes; allowed: at most 65536\"}}\n");

    lb_admin_buf_free(&b);
}


/* every route of the API's table is what its own pattern reaches, with
 * "{...}" filled in: none is shadowed by an earlier one */
static void
test_api_table(void **state)
{
    char                     path[256], *d;
    const char              *s;
    unsigned                 allowed;
    uint32_t                 np, n, want;
    lb_http_span_t           p[LB_ADMIN_MAX_PARAMS];
    const lb_admin_route_t  *r, *got;

    n = 0;

    for (r = lb_admin_routes; r->pattern != NULL; r++) {
        d = path;
        want = 0;

        for (s = r->pattern; *s != '\0'; s++) {
            if (*s == '{') {
                d += sprintf(d, "0a1b2c3d-%u", want++);
                s = strchr(s, '}');
                continue;
            }
            *d++ = *s;
        }
        *d = '\0';

        got = lb_admin_route_find(lb_admin_routes, r->method, path,
                                  strlen(path), p, &np, &allowed);
        assert_ptr_equal(got, r);
        assert_int_equal(np, want);
        assert_non_null(r->handler);
        n++;
    }

    assert_true(n >= 12);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_literal_and_pattern),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_error_shape),
        cmocka_unit_test(test_conf_error_shape),
        cmocka_unit_test(test_api_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
