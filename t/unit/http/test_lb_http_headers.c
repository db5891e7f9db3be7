/* weir: unit tests for src/http/lb_http_headers.c: the request head as it
 * goes to a target (forwarded headers of SPEC.md section 2, hop-by-hop
 * fields of RFC 9110 7.6.1, origin-form, Host for HTTP/1.0) and the
 * response head as it goes to the client (Connection, Transfer-Encoding,
 * Set-Cookie, 101), with the exact text written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb_http_cookie.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"

typedef struct {
    lb_http_msg_t     m;
    lb_http_header_t  h[LB_HTTP_HEADERS];
    const char       *raw;
} lbt_msg_t;

static lbt_msg_t      lbt_m;
static u_char         lbt_out[LB_HTTP_OUT_SIZE];
static lb_http_buf_t  lbt_buf;


static lb_http_msg_t *
lbt_request(const char *raw)
{
    lbt_m.raw = raw;
    lb_http_msg_init(&lbt_m.m, lbt_m.h, LB_HTTP_HEADERS, NULL);
    assert_int_equal(lb_http_parse_request(&lbt_m.m, (const u_char *) raw,
                                           (const u_char *) raw
                                           + strlen(raw)),
                     LB_OK);
    return &lbt_m.m;
}


static lb_http_msg_t *
lbt_response(const char *raw, lb_http_method_e method)
{
    lbt_m.raw = raw;
    lb_http_msg_init(&lbt_m.m, lbt_m.h, LB_HTTP_HEADERS, NULL);
    assert_int_equal(lb_http_parse_response(&lbt_m.m, method,
                                            (const u_char *) raw,
                                            (const u_char *) raw
                                            + strlen(raw)),
                     LB_OK);
    return &lbt_m.m;
}


static lb_http_buf_t *
lbt_out_buf(size_t size)
{
    lbt_buf.start = lbt_buf.pos = lbt_buf.last = lbt_out;
    lbt_buf.end = lbt_out + size;
    return &lbt_buf;
}


static void
lbt_out_is(const char *want)
{
    size_t  n;

    n = (size_t) (lbt_buf.last - lbt_buf.start);

    if (n != strlen(want) || memcmp(lbt_buf.start, want, n) != 0) {
        print_error("got:\n%.*s\nwant:\n%s\n", (int) n, lbt_buf.start, want);
        fail();
    }
}


static lb_http_req_rewrite_t
lbt_rw(lb_xff_mode_e xff)
{
    lb_http_req_rewrite_t  rw;

    memset(&rw, 0, sizeof(rw));
    rw.xff = xff;
    rw.client_ip = "192.0.2.7";
    rw.port = 8080;

    return rw;
}


static void
lbt_req(const char *raw, const lb_http_req_rewrite_t *rw, const char *want)
{
    lb_http_msg_t  *m;

    m = lbt_request(raw);
    assert_int_equal(lb_http_request_head(m, (const u_char *) raw, rw,
                                          lbt_out_buf(sizeof(lbt_out))),
                     LB_OK);
    lbt_out_is(want);
}


/* SPEC.md 2: X-Forwarded-For true appends the client, in one field */
static void
test_xff_true(void **state)
{
    lb_http_req_rewrite_t  rw;

    (void) state;

    rw = lbt_rw(LB_XFF_TRUE);

    lbt_req("GET /a?b HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n", &rw,
            "GET /a?b HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n"
            "X-Forwarded-For: 192.0.2.7\r\n\r\n");

    lbt_req("GET / HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1\r\nHost: h\r\n"
            "x-forwarded-for: 10.0.0.2, 10.0.0.3\r\n"
            "X-Forwarded-For:\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\n"
            "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 10.0.0.3, 192.0.2.7\r\n"
            "\r\n");
}


/* false leaves them as they came, remove strips every one */
static void
test_xff_false_remove(void **state)
{
    lb_http_req_rewrite_t  rw;

    (void) state;

    rw = lbt_rw(LB_XFF_FALSE);
    lbt_req("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
            &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n");
    lbt_req("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n");

    rw = lbt_rw(LB_XFF_REMOVE);
    lbt_req("GET / HTTP/1.1\r\nX-FORWARDED-FOR: 1.1.1.1\r\nHost: h\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
}


/* Proto and Port: on, weir's value replaces the client's; off, the
 * client's passes */
static void
test_proto_port(void **state)
{
    lb_http_req_rewrite_t  rw;

    (void) state;

    rw = lbt_rw(LB_XFF_FALSE);
    rw.xfp = true;
    rw.xfport = true;

    lbt_req("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n"
            "X-Forwarded-Port: 1\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: http\r\n"
            "X-Forwarded-Port: 8080\r\n\r\n");

    rw.https = true;
    rw.port = 443;
    lbt_req("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n"
            "X-Forwarded-Port: 443\r\n\r\n");

    rw = lbt_rw(LB_XFF_FALSE);
    lbt_req("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n"
            "X-Forwarded-Port: 1\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n"
            "X-Forwarded-Port: 1\r\n\r\n");
}


/* RFC 9110 7.6.1 */
static void
test_request_hop_by_hop(void **state)
{
    lb_http_req_rewrite_t  rw;

    (void) state;

    rw = lbt_rw(LB_XFF_FALSE);

    lbt_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: close, X-Private\r\n"
            "X-Private: p\r\nKeep-Alive: timeout=5\r\n"
            "Proxy-Connection: keep-alive\r\nTE: trailers\r\n"
            "Upgrade: h2c\r\nx-private: q\r\nX-Public: 1\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nX-Public: 1\r\n\r\n");

    /* Connection cannot take away what framing and routing need */
    lbt_req("POST / HTTP/1.1\r\nHost: h\r\nConnection: Host, "
            "Content-Length\r\nContent-Length: 3\r\n\r\nabc", &rw,
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");

    /* an upgrade keeps Upgrade and says so */
    lbt_req("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
            "Upgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n", &rw,
            "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
            "Sec-WebSocket-Key: k\r\nConnection: upgrade\r\n\r\n");

    /* chunked is written again by weir, last */
    lbt_req("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nHost: h\r\n"
            "\r\n", &rw,
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            "\r\n");
}


/* absolute-form becomes origin-form, its authority the Host; HTTP/1.0
 * without Host gets one; the version is always HTTP/1.1 */
static void
test_request_line(void **state)
{
    lb_http_req_rewrite_t  rw;

    (void) state;

    rw = lbt_rw(LB_XFF_FALSE);

    lbt_req("GET http://Example.com:81/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
            &rw, "GET /p?q HTTP/1.1\r\nHost: Example.com:81\r\n\r\n");
    lbt_req("GET https://example.com HTTP/1.1\r\nHost: other\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    lbt_req("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &rw,
            "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");

    /* an empty path with a query: "/" goes before it (RFC 9112 3.2.1);
     * OPTIONS with an empty path and no query is for the whole server:
     * asterisk-form (RFC 9112 3.2.4) */
    lbt_req("GET http://a?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", &rw,
            "GET /?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    lbt_req("GET http://a:8080?x=1&y HTTP/1.1\r\nHost: a\r\n\r\n", &rw,
            "GET /?x=1&y HTTP/1.1\r\nHost: a:8080\r\n\r\n");
    lbt_req("OPTIONS http://a HTTP/1.1\r\nHost: a\r\n\r\n", &rw,
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    lbt_req("OPTIONS http://a:81 HTTP/1.1\r\nHost: a\r\n\r\n", &rw,
            "OPTIONS * HTTP/1.1\r\nHost: a:81\r\n\r\n");
    lbt_req("OPTIONS http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", &rw,
            "OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n");
    lbt_req("OPTIONS http://a?q HTTP/1.1\r\nHost: a\r\n\r\n", &rw,
            "OPTIONS /?q HTTP/1.1\r\nHost: a\r\n\r\n");

    rw.host = "127.0.0.1:8080";
    lbt_req("GET / HTTP/1.0\r\nUser-Agent: u\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: u\r\n\r\n");
    lbt_req("GET / HTTP/1.0\r\nHost: given\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: given\r\n\r\n");
}


/* only websocket is tunnelled: every protocol named must be it; an
 * upgrade request for anything else goes on without Upgrade */
static void
test_upgrade_allowed(void **state)
{
    size_t                  i;
    lb_http_msg_t          *m;
    lb_http_req_rewrite_t   rw;
    static const struct {
        const char  *upgrade;
        bool         allowed;
    } cases[] = {
        { "websocket", true },
        { "WebSocket", true },
        { "websocket, , websocket", true },
        { "h2c", false },
        { "websocket, h2c", false },
        { "h2c, websocket", false },
        { "websocket/13", false },
        { "websocketx", false },
        { "TLS/1.2", false },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char  raw[256];

        snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: h\r\n"
                 "Connection: Upgrade\r\nUpgrade: %s\r\n\r\n",
                 cases[i].upgrade);
        m = lbt_request(raw);
        assert_true(m->upgrade);

        if (lb_http_upgrade_allowed(m, (const u_char *) raw)
            != cases[i].allowed)
        {
            print_error("Upgrade: %s\n", cases[i].upgrade);
            fail();
        }
    }

    /* two fields: both count */
    m = lbt_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n"
                    "Upgrade: websocket\r\nUpgrade: h2c\r\n\r\n");
    assert_false(lb_http_upgrade_allowed(m, (const u_char *) lbt_m.raw));

    /* refused: the head goes on without Upgrade and Connection */
    rw = lbt_rw(LB_XFF_FALSE);
    m = lbt_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, "
                    "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: "
                    "AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n");
    m->upgrade = 0;
    lbt_out_buf(sizeof(lbt_out));
    assert_int_equal(lb_http_request_head(m, (const u_char *) lbt_m.raw, &rw,
                                          &lbt_buf), LB_OK);
    lbt_out_is("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
}


/* weir's own cookie is not passed on; nothing is left: no field */
static void
test_request_cookie(void **state)
{
    lb_http_req_rewrite_t  rw;

    (void) state;

    rw = lbt_rw(LB_XFF_FALSE);
    rw.strip_cookie = (const u_char *) "WEIRSTICKY";
    rw.strip_cookie_len = 10;

    lbt_req("GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; WEIRSTICKY=abc; "
            "b=2\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\n\r\n");
    lbt_req("GET / HTTP/1.1\r\nHost: h\r\nCookie: WEIRSTICKY=abc\r\n"
            "Cookie: c=3\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: c=3\r\n\r\n");
    lbt_req("GET / HTTP/1.1\r\nHost: h\r\nCookie: WEIRSTICKYX=1;"
            "WEIRSTICKY =2\r\n\r\n", &rw,
            "GET / HTTP/1.1\r\nHost: h\r\nCookie: WEIRSTICKYX=1\r\n\r\n");
}


static void
test_request_no_room(void **state)
{
    lb_http_msg_t          *m;
    lb_http_req_rewrite_t   rw;
    const char             *raw;
    size_t                  i;

    (void) state;

    rw = lbt_rw(LB_XFF_TRUE);
    raw = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    m = lbt_request(raw);

    /* "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n" */
    for (i = 0; i < 55; i++) {
        assert_int_equal(lb_http_request_head(m, (const u_char *) raw, &rw,
                                              lbt_out_buf(i)),
                         LB_DECLINED);
    }

    assert_int_equal(lb_http_request_head(m, (const u_char *) raw, &rw,
                                          lbt_out_buf(55)),
                     LB_OK);
}


static void
lbt_resp(const char *raw, lb_http_method_e method,
    const lb_http_resp_rewrite_t *rw, const char *want)
{
    lb_http_msg_t  *m;

    m = lbt_response(raw, method);
    assert_int_equal(lb_http_response_head(m, (const u_char *) raw, rw,
                                           lbt_out_buf(sizeof(lbt_out))),
                     LB_OK);
    lbt_out_is(want);
}


static void
test_response(void **state)
{
    lb_http_resp_rewrite_t  rw;

    (void) state;

    memset(&rw, 0, sizeof(rw));
    rw.client_version = 11;
    rw.keep_alive = true;

    /* keep-alive with an HTTP/1.1 client: no Connection at all */
    lbt_resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: "
             "keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: "
             "timeout=5\r\nProxy-Connection: x\r\nUpgrade: h2c\r\n"
             "Server: t\r\n\r\n", LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: t\r\n\r\n");

    /* an HTTP/1.0 target: the client still gets HTTP/1.1 */
    lbt_resp("HTTP/1.0 404 Not Here\r\nContent-Length: 0\r\n\r\n",
             LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 404 Not Here\r\nContent-Length: 0\r\n\r\n");

    /* an empty reason-phrase */
    lbt_resp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", LB_HTTP_METHOD_GET,
             &rw, "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");

    rw.keep_alive = false;
    lbt_resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
             LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
             "\r\n");

    rw.client_version = 10;
    rw.keep_alive = true;
    lbt_resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
             LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: "
             "keep-alive\r\n\r\n");
}


/* chunked passes as it came (codings before it included), or goes
 * without its framing to HTTP/1.0 */
static void
test_response_chunked(void **state)
{
    lb_http_resp_rewrite_t  rw;

    (void) state;

    memset(&rw, 0, sizeof(rw));
    rw.client_version = 11;
    rw.keep_alive = true;

    lbt_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
             LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");

    rw.client_version = 10;
    rw.keep_alive = false;
    rw.dechunk = true;
    lbt_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n",
             LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 200 OK\r\nX: y\r\nConnection: close\r\n\r\n");
}


static void
test_response_upgrade_interim_cookie(void **state)
{
    lb_http_resp_rewrite_t  rw;

    (void) state;

    memset(&rw, 0, sizeof(rw));
    rw.client_version = 11;

    lbt_resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: a\r\n\r\n",
             LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Sec-WebSocket-Accept: a\r\nConnection: upgrade\r\n\r\n");

    /* interim responses: no Connection, no cookie */
    rw.set_cookie = (const u_char *) "WEIRSTICKY=x; Max-Age=1";
    rw.set_cookie_len = strlen((const char *) rw.set_cookie);
    lbt_resp("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
             LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");

    rw.keep_alive = true;
    lbt_resp("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n"
             "\r\n", LB_HTTP_METHOD_GET, &rw,
             "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\n"
             "Set-Cookie: WEIRSTICKY=x; Max-Age=1\r\n\r\n");
}


static void
lbt_strip(const char *v, const char *want)
{
    u_char  out[256];
    size_t  n;

    n = lb_http_cookie_strip((const u_char *) v, strlen(v),
                             (const u_char *) "S", 1, out, sizeof(out));

    if (n != strlen(want) || memcmp(out, want, n) != 0) {
        print_error("\"%s\": got \"%.*s\", want \"%s\"\n", v, (int) n, out,
                    want);
        fail();
    }
}


static void
test_cookie_strip(void **state)
{
    (void) state;

    lbt_strip("S=1", "");
    lbt_strip("a=1; S=2; b=3", "a=1; b=3");
    lbt_strip("a=1;S=2;b=3", "a=1; b=3");
    lbt_strip("  S = 2 ;; a=1 ", "a=1");
    lbt_strip("SS=1; s=2; S", "SS=1; s=2; S");
    lbt_strip("a=\"x;y\"", "a=\"x; y\"");
    lbt_strip("", "");
}


static void
test_connection_names(void **state)
{
    lb_http_msg_t  *m;
    const char     *raw;

    (void) state;

    raw = "GET / HTTP/1.1\r\nHost: h\r\nConnection: a, B-c\r\n"
          "Connection: ,d\r\n\r\n";
    m = lbt_request(raw);

    assert_true(lb_http_connection_names(m, (const u_char *) raw,
                                         (const u_char *) "A", 1));
    assert_true(lb_http_connection_names(m, (const u_char *) raw,
                                         (const u_char *) "b-C", 3));
    assert_true(lb_http_connection_names(m, (const u_char *) raw,
                                         (const u_char *) "d", 1));
    assert_false(lb_http_connection_names(m, (const u_char *) raw,
                                          (const u_char *) "b", 1));
    assert_false(lb_http_connection_names(m, (const u_char *) raw,
                                          (const u_char *) "", 0));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_xff_true),
        cmocka_unit_test(test_xff_false_remove),
        cmocka_unit_test(test_proto_port),
        cmocka_unit_test(test_request_hop_by_hop),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_request_cookie),
        cmocka_unit_test(test_upgrade_allowed),
        cmocka_unit_test(test_request_no_room),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_response_chunked),
        cmocka_unit_test(test_response_upgrade_interim_cookie),
        cmocka_unit_test(test_cookie_strip),
        cmocka_unit_test(test_connection_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
