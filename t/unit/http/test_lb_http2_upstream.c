/* weir: unit tests for the request side of HTTP/2 towards targets
 * (src/http/lb_http2_upstream_frame.c): the HTTP/1.1 head weir writes
 * for a target put into HTTP/2 fields per RFC 9113 8.2 and 8.3, and the
 * TE rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lb_http2_upstream.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"

#define LBT_MAX  32

static nghttp2_nv  nv[LBT_MAX];
static u_char      head[4096];


/* fields of head text h; the count */
static size_t
lbt_fields(const char *h, bool https, bool te, size_t max)
{
    size_t  len;

    len = strlen(h);
    memcpy(head, h, len);

    return lb_http2_request_fields(head, len, https, te, nv, max);
}


/* "name: value" of field i */
static const char *
lbt_nv(size_t i)
{
    static char  buf[512];

    snprintf(buf, sizeof(buf), "%.*s: %.*s", (int) nv[i].namelen,
             (const char *) nv[i].name, (int) nv[i].valuelen,
             (const char *) nv[i].value);
    return buf;
}


static void
test_pseudo_first(void **state)
{
    size_t  n;

    n = lbt_fields("GET /a?b=1 HTTP/1.1\r\nHost: example.test:8080\r\n"
                   "Accept: */*\r\n\r\n", false, false, LBT_MAX);

    assert_int_equal(n, 5);
    assert_string_equal(lbt_nv(0), ":method: GET");
    assert_string_equal(lbt_nv(1), ":scheme: http");
    assert_string_equal(lbt_nv(2), ":authority: example.test:8080");
    assert_string_equal(lbt_nv(3), ":path: /a?b=1");
    assert_string_equal(lbt_nv(4), "accept: */*");
}


static void
test_https_scheme(void **state)
{
    assert_int_equal(lbt_fields("POST /x HTTP/1.1\r\nHost: h\r\n\r\n", true,
                                false, LBT_MAX), 4);
    assert_string_equal(lbt_nv(1), ":scheme: https");
    assert_string_equal(lbt_nv(0), ":method: POST");
}


static void
test_connection_specific_dropped(void **state)
{
    size_t  n, i;

    n = lbt_fields("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n"
                   "Keep-Alive: timeout=5\r\nProxy-Connection: x\r\n"
                   "Transfer-Encoding: chunked\r\nUpgrade: h2c\r\n"
                   "TE: trailers\r\nHTTP2-Settings: AAA\r\n"
                   "X-Forwarded-For: 127.0.0.1\r\n\r\n", false, false,
                   LBT_MAX);

    assert_int_equal(n, 5);
    assert_string_equal(lbt_nv(4), "x-forwarded-for: 127.0.0.1");

    for (i = 0; i < n; i++) {
        assert_true(nv[i].namelen != 2 || memcmp(nv[i].name, "te", 2) != 0);
    }
}


static void
test_te_trailers_only(void **state)
{
    size_t  n;

    n = lbt_fields("POST /svc/M HTTP/1.1\r\nHost: h\r\nTE: gzip\r\n"
                   "Content-Type: application/grpc\r\n\r\n", false, true,
                   LBT_MAX);

    assert_int_equal(n, 6);
    assert_string_equal(lbt_nv(4), "content-type: application/grpc");
    assert_string_equal(lbt_nv(5), "te: trailers");
}


static void
test_names_lowered_values_trimmed(void **state)
{
    assert_int_equal(lbt_fields("GET / HTTP/1.1\r\nHOST: H\r\n"
                                "X-Mixed-Case:   v a l  \r\n\r\n", false,
                                false, LBT_MAX), 5);
    assert_string_equal(lbt_nv(2), ":authority: H");
    assert_string_equal(lbt_nv(4), "x-mixed-case: v a l");
}


static void
test_cookie_crumbs(void **state)
{
    size_t  n;

    n = lbt_fields("GET / HTTP/1.1\r\nHost: h\r\n"
                   "Cookie: a=1; b=2;c=3;  ;d=4\r\n\r\n", false, false,
                   LBT_MAX);

    assert_int_equal(n, 8);
    assert_string_equal(lbt_nv(4), "cookie: a=1");
    assert_string_equal(lbt_nv(5), "cookie: b=2");
    assert_string_equal(lbt_nv(6), "cookie: c=3");
    assert_string_equal(lbt_nv(7), "cookie: d=4");
}


static void
test_no_host_or_bad_head(void **state)
{
    assert_int_equal(lbt_fields("GET / HTTP/1.1\r\nAccept: x\r\n\r\n", false,
                                false, LBT_MAX), 0);
    assert_int_equal(lbt_fields("GET/HTTP/1.1\r\nHost: h\r\n\r\n", false,
                                false, LBT_MAX), 0);
    assert_int_equal(lbt_fields("GET / HTTP/1.1", false, false, LBT_MAX), 0);
    assert_int_equal(lbt_fields("GET / HTTP/1.1\r\nHost h\r\n\r\n", false,
                                false, LBT_MAX), 0);
}


/* chunked trailers as HTTP/2 trailers: names lowered, values trimmed,
 * connection-specific ones dropped, up to the empty line */
static void
test_trailer_nv(void **state)
{
    size_t  n;
    char    text[] = "Grpc-Status: 0 \r\nConnection: x\r\nTE: trailers\r\n"
                     "grpc-message:\tgone\r\n\r\nX-After: 1\r\n";

    (void) state;

    n = lb_http2_trailer_nv((u_char *) text, strlen(text), nv, LBT_MAX);

    assert_int_equal(n, 2);
    assert_string_equal(lbt_nv(0), "grpc-status: 0");
    assert_string_equal(lbt_nv(1), "grpc-message: gone");

    /* no room: as many as fit */
    assert_int_equal(lb_http2_trailer_nv((u_char *) text, strlen(text), nv,
                                         1), 1);

    /* only the empty line: none */
    assert_int_equal(lb_http2_trailer_nv((u_char *) "\r\n", 2, nv,
                                         LBT_MAX), 0);
}


static void
test_too_many(void **state)
{
    /* 4 pseudo-headers and 2 fields fit in 6 plus room for te */
    assert_int_equal(lbt_fields("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n"
                                "\r\n", false, false, 7), 6);
    assert_int_equal(lbt_fields("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n"
                                "C: 3\r\n\r\n", false, false, 7), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_pseudo_first),
        cmocka_unit_test(test_https_scheme),
        cmocka_unit_test(test_connection_specific_dropped),
        cmocka_unit_test(test_te_trailers_only),
        cmocka_unit_test(test_names_lowered_values_trimmed),
        cmocka_unit_test(test_cookie_crumbs),
        cmocka_unit_test(test_no_host_or_bad_head),
        cmocka_unit_test(test_trailer_nv),
        cmocka_unit_test(test_too_many),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
