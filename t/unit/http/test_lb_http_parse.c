/* weir: unit tests for src/http/lb_http_parse.c: every rule with a valid
 * and an invalid case (exact status and reason), the same result for any
 * split of the input, and a table of request-smuggling classics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lb_http_chunked.h"
#include "lb_http_parse.h"
#include "../lb_test.h"

#define NH  64

enum { ALL = 0, BYTES, RANDOM, NMODES };

typedef struct {
    u_char            *buf;         /* exactly len bytes: ASan sees overreads */
    size_t             len;
    lb_int_t           rc;
    lb_http_msg_t      m;
    lb_http_header_t   h[NH];
} res_t;

static res_t     res[NMODES];


/* Feed raw to a parser in one of the modes; rsp: parse a response to
 * `meth`. Every call before the last must return LB_AGAIN. */
static void
run(res_t *r, const char *raw, size_t len, bool rsp, lb_http_method_e meth,
    const lb_http_limits_t *lim, uint32_t nh, int mode)
{
    size_t  n;

    free(r->buf);
    r->buf = malloc(len ? len : 1);
    assert_non_null(r->buf);
    memcpy(r->buf, raw, len);
    r->len = len;

    lb_http_msg_init(&r->m, r->h, nh, lim);

    n = mode == ALL ? len : 0;

    for ( ;; ) {
        r->rc = rsp ? lb_http_parse_response(&r->m, meth, r->buf, r->buf + n)
                    : lb_http_parse_request(&r->m, r->buf, r->buf + n);

        if (r->rc != LB_AGAIN || n == len) {
            break;
        }

        n += mode == BYTES ? 1 : 1 + lb_test_rand() % 17;
        if (n > len) {
            n = len;
        }
    }
}


static bool
span_eq(const res_t *r, lb_http_span_t s, const char *want)
{
    return s.len == strlen(want) && memcmp(r->buf + s.off, want, s.len) == 0;
}


/* The results of two runs agree. */
static void
same(const res_t *a, const res_t *b, int line)
{
    const lb_http_msg_t  *x = &a->m, *y = &b->m;
    bool                  ok;

    ok = a->rc == b->rc;

    if (ok && a->rc == LB_ERROR) {
        ok = x->err == y->err && x->status == y->status;
    }

    if (ok && a->rc == LB_OK) {
        ok = x->head_len == y->head_len && x->nheaders == y->nheaders
             && memcmp(a->h, b->h, x->nheaders * sizeof(lb_http_header_t))
                == 0
             && memcmp(x->first, y->first, sizeof(x->first)) == 0
             && x->version == y->version && x->body == y->body
             && x->content_length == y->content_length
             && x->keep_alive == y->keep_alive && x->chunked == y->chunked
             && x->has_content_length == y->has_content_length
             && x->upgrade == y->upgrade
             && x->expect_continue == y->expect_continue
             && x->method == y->method
             && memcmp(&x->method_text, &y->method_text,
                       sizeof(lb_http_span_t)) == 0
             && memcmp(&x->target, &y->target, sizeof(lb_http_span_t)) == 0
             && memcmp(&x->path, &y->path, sizeof(lb_http_span_t)) == 0
             && memcmp(&x->host, &y->host, sizeof(lb_http_span_t)) == 0
             && x->target_form == y->target_form && x->port == y->port
             && x->code == y->code
             && memcmp(&x->reason_phrase, &y->reason_phrase,
                       sizeof(lb_http_span_t)) == 0;
    }

    if (!ok) {
        print_error("line %d: split input gives another result "
                    "(rc %d/%d, %s/%s)\n", line, (int) a->rc, (int) b->rc,
                    x->reason ? x->reason : "-", y->reason ? y->reason : "-");
        fail();
    }
}


static res_t *
check(const char *raw, size_t len, bool rsp, lb_http_method_e meth,
    const lb_http_limits_t *lim, uint32_t nh, lb_int_t want_rc,
    unsigned status, const char *why, int line)
{
    int  mode;

    for (mode = 0; mode < NMODES; mode++) {
        run(&res[mode], raw, len, rsp, meth, lim, nh, mode);

        if (res[mode].rc != want_rc
            || (want_rc == LB_ERROR
                && (res[mode].m.status != status
                    || strcmp(res[mode].m.reason, why) != 0)))
        {
            print_error("line %d mode %d: rc %d status %u \"%s\", want "
                        "rc %d status %u \"%s\"\n", line, mode,
                        (int) res[mode].rc, res[mode].m.status,
                        res[mode].m.reason ? res[mode].m.reason : "-",
                        (int) want_rc, status, why ? why : "-");
            fail();
        }

        if (mode > 0) {
            same(&res[0], &res[mode], line);
        }
    }

    return &res[0];
}

#define OKQ(raw)                                                             \
    check(raw, sizeof(raw) - 1, false, 0, NULL, NH, LB_OK, 0, NULL, __LINE__)
#define BADQ(raw, st, why)                                                   \
    check(raw, sizeof(raw) - 1, false, 0, NULL, NH, LB_ERROR, st, why,       \
          __LINE__)
#define OKR(meth, raw)                                                       \
    check(raw, sizeof(raw) - 1, true, LB_HTTP_METHOD_##meth, NULL, NH,       \
          LB_OK, 0, NULL, __LINE__)
#define BADR(meth, raw, why)                                                 \
    check(raw, sizeof(raw) - 1, true, LB_HTTP_METHOD_##meth, NULL, NH,       \
          LB_ERROR, 502, why, __LINE__)

#define H11  " HTTP/1.1\r\nHost: a\r\n"
#define END  "\r\n"


static void
test_result(void **state)
{
    res_t             *r;
    lb_http_header_t  *h;

    r = OKQ("POST /up?x=1 HTTP/1.1\r\n"
            "Host: example.com:8080\r\n"
            "content-length: 5\r\n"
            "X-Custom:   v a l  \r\n"
            "Empty:\r\n"
            "\r\nhello");

    assert_int_equal(r->m.method, LB_HTTP_METHOD_POST);
    assert_true(span_eq(r, r->m.method_text, "POST"));
    assert_true(span_eq(r, r->m.target, "/up?x=1"));
    assert_true(span_eq(r, r->m.path, "/up?x=1"));
    assert_int_equal(r->m.target_form, LB_HTTP_TARGET_ORIGIN);
    assert_true(span_eq(r, r->m.host, "example.com"));
    assert_int_equal(r->m.port, 8080);
    assert_int_equal(r->m.version, 11);
    assert_true(span_eq(r, r->m.start_line, "POST /up?x=1 HTTP/1.1"));
    assert_int_equal(r->m.head_len, r->len - 5);
    assert_int_equal(r->m.body, LB_HTTP_BODY_LENGTH);
    assert_true(r->m.has_content_length);
    assert_int_equal(r->m.content_length, 5);
    assert_false(r->m.chunked);
    assert_true(r->m.keep_alive);
    assert_false(r->m.upgrade);
    assert_false(r->m.expect_continue);

    assert_int_equal(r->m.nheaders, 4);
    assert_true(span_eq(r, r->h[1].name, "content-length"));
    assert_int_equal(r->h[1].id, LB_HTTP_HDR_CONTENT_LENGTH);
    assert_true(span_eq(r, r->h[2].value, "v a l"));
    assert_int_equal(r->h[2].id, LB_HTTP_HDR_OTHER);
    assert_true(span_eq(r, r->h[3].name, "Empty"));
    assert_int_equal(r->h[3].value.len, 0);

    h = lb_http_header_first(&r->m, LB_HTTP_HDR_HOST);
    assert_ptr_equal(h, &r->h[0]);
    assert_null(lb_http_header_first(&r->m, LB_HTTP_HDR_COOKIE));

    /* LB_OK again, whatever follows */
    assert_int_equal(lb_http_parse_request(&r->m, r->buf, r->buf + r->len),
                     LB_OK);

    /* no body */
    r = OKQ("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_NONE);
    assert_int_equal(r->m.head_len, r->len);
}


static void
test_incomplete(void **state)
{
    static const char  req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t             n;
    lb_http_msg_t      m;
    lb_http_header_t   h[4];

    /* every proper prefix asks for more; AGAIN leaves no error behind */
    for (n = 0; n < sizeof(req) - 1; n++) {
        lb_http_msg_init(&m, h, 4, NULL);
        assert_int_equal(lb_http_parse_request(&m, (const u_char *) req,
                                               (const u_char *) req + n),
                         LB_AGAIN);
        assert_int_equal(m.err, LB_HTTP_ERR_NONE);
    }

    /* resuming: the second call must not start over */
    lb_http_msg_init(&m, h, 4, NULL);
    assert_int_equal(lb_http_parse_request(&m, (const u_char *) req,
                                           (const u_char *) req + 20),
                     LB_AGAIN);
    assert_int_equal(m.pos, 20);
    assert_int_equal(m.line, 16);
    assert_int_equal(lb_http_parse_request(&m, (const u_char *) req,
                                           (const u_char *) req + 27),
                     LB_OK);

    /* a buffer shorter than what was seen is misuse */
    lb_http_msg_init(&m, h, 4, NULL);
    assert_int_equal(lb_http_parse_request(&m, (const u_char *) req,
                                           (const u_char *) req + 20),
                     LB_AGAIN);
    assert_int_equal(lb_http_parse_request(&m, (const u_char *) req,
                                           (const u_char *) req + 10),
                     LB_ERROR);
    assert_int_equal(m.status, 500);
    assert_string_equal(m.reason, "parser called with a shorter buffer");
    /* and the error sticks */
    assert_int_equal(lb_http_parse_request(&m, (const u_char *) req,
                                           (const u_char *) req + 27),
                     LB_ERROR);
}


static void
test_method(void **state)
{
    res_t  *r;

    r = OKQ("GET /" H11 END);
    assert_int_equal(r->m.method, LB_HTTP_METHOD_GET);
    r = OKQ("PATCH /" H11 END);
    assert_int_equal(r->m.method, LB_HTTP_METHOD_PATCH);
    /* extension methods are tokens, methods are case-sensitive */
    r = OKQ("M-SEARCH!#$%&'*+.^_`|~09 /" H11 END);
    assert_int_equal(r->m.method, LB_HTTP_METHOD_OTHER);
    assert_true(span_eq(r, r->m.method_text, "M-SEARCH!#$%&'*+.^_`|~09"));
    r = OKQ("get /" H11 END);
    assert_int_equal(r->m.method, LB_HTTP_METHOD_OTHER);
    /* 32 bytes */
    OKQ("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF /" H11 END);

    BADQ("G(T /" H11 END, 400, "invalid method token");
    BADQ("G\0T /" H11 END, 400, "invalid method token");
    BADQ("GET\x7f /" H11 END, 400, "invalid method token");
    BADQ(" GET /" H11 END, 400, "invalid method token");
    BADQ("GET" END END, 400, "invalid request-line");
    BADQ("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG /" H11 END, 400,
         "method too long");
}


static void
test_separators(void **state)
{
    OKQ("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");

    BADQ("GET  /a HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "request-line separator must be a single SP");
    BADQ("GET /a  HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "request-line separator must be a single SP");
    BADQ("GET  HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "request-line separator must be a single SP");
    BADQ("GET\t/a HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "request-line separator must be a single SP");
    BADQ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "whitespace in request-target");
    BADQ("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid character in request-target");
    BADQ("GET /a HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "invalid HTTP-version");
    BADQ("GET /a\r\nHost: a\r\n\r\n", 400, "missing HTTP-version");
}


static void
test_target(void **state)
{
    res_t  *r;

    r = OKQ("GET /a/b%41%2f?q=\"<>\\^`{|}&x HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(span_eq(r, r->m.target, "/a/b%41%2f?q=\"<>\\^`{|}&x"));

    r = OKQ("GET http://Example.COM:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n");
    assert_int_equal(r->m.target_form, LB_HTTP_TARGET_ABSOLUTE);
    assert_true(span_eq(r, r->m.host, "Example.COM"));
    assert_int_equal(r->m.port, 8080);
    assert_true(span_eq(r, r->m.path, "/p?q"));

    r = OKQ("GET HTTPS://[::1] HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(r->m.target_form, LB_HTTP_TARGET_ABSOLUTE);
    assert_true(span_eq(r, r->m.host, "[::1]"));
    assert_int_equal(r->m.port, 0);
    assert_int_equal(r->m.path.len, 0);

    r = OKQ("GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_true(span_eq(r, r->m.path, "?q"));

    r = OKQ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(r->m.target_form, LB_HTTP_TARGET_ASTERISK);

    r = OKQ("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
            "\r\n");
    assert_int_equal(r->m.target_form, LB_HTTP_TARGET_AUTHORITY);
    assert_true(span_eq(r, r->m.host, "example.com"));
    assert_int_equal(r->m.port, 443);

    BADQ("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid character in request-target");
    BADQ("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid character in request-target");
    BADQ("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid character in request-target");
    BADQ("GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "fragment in request-target");
    BADQ("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid percent-encoding in request-target");
    BADQ("GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid percent-encoding in request-target");
    BADQ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "asterisk-form only with OPTIONS");
    BADQ("GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "authority-form only with CONNECT");
    BADQ("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "CONNECT requires authority-form");
    BADQ("CONNECT http://a:1/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "CONNECT requires authority-form");
    BADQ("CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid host in request-target");
    BADQ("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "unsupported scheme in absolute-form");
    BADQ("GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "userinfo in request-target");
    BADQ("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid host in request-target");
    BADQ("GET http://a:99999/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "invalid host in request-target");
    BADQ("GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid request-target");
}


static void
test_version(void **state)
{
    res_t  *r;

    r = OKQ("GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(r->m.version, 10);
    r = OKQ("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(r->m.version, 11);

    BADQ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version");
    BADQ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "unsupported HTTP version");
    BADQ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version");
    BADQ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version");
    BADQ("GET / http/1.1\r\nHost: a\r\n\r\n", 400, "invalid HTTP-version");
    BADQ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, "invalid HTTP-version");
    BADQ("GET / HTTP/1\r\nHost: a\r\n\r\n", 400, "invalid HTTP-version");
    BADQ("GET / HTTP/2\r\nHost: a\r\n\r\n", 400, "invalid HTTP-version");
}


static void
test_line_endings(void **state)
{
    res_t  *r;

    /* up to 4 empty lines before the request-line are skipped */
    r = OKQ("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(span_eq(r, r->m.start_line, "GET / HTTP/1.1"));
    assert_int_equal(r->m.method_text.off, 8);
    BADQ("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         "too many empty lines before start-line");

    BADQ("GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "bare LF line ending");
    BADQ("GET / HTTP/1.1\r\nHost: a\n\r\n", 400, "bare LF line ending");
    BADQ("GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "bare LF line ending");
    BADQ("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bare LF line ending");
    BADQ("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400, "bare CR");
    BADQ("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bare CR");
    BADQ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, "bare CR");
    BADQ("GET / HTTP/1.1\r\nHost: a\r\nX\r: ab\r\n\r\n", 400, "bare CR");
}


static void
test_field_name(void **state)
{
    res_t  *r;

    r = OKQ("GET /" H11 "X-a_b.c!#$%&'*+^`|~09: v\r\n" END);
    assert_true(span_eq(r, r->h[1].name, "X-a_b.c!#$%&'*+^`|~09"));

    BADQ("GET /" H11 "Fo@o: x\r\n" END, 400,
         "invalid character in field-name");
    BADQ("GET /" H11 "Fo\x80o: x\r\n" END, 400,
         "invalid character in field-name");
    BADQ("GET /" H11 "Fo\0o: x\r\n" END, 400,
         "invalid character in field-name");
    BADQ("GET /" H11 ": x\r\n" END, 400, "empty field-name");
    BADQ("GET /" H11 "Foo : x\r\n" END, 400,
         "whitespace between field-name and colon");
    BADQ("GET /" H11 "Foo\t: x\r\n" END, 400,
         "whitespace between field-name and colon");
    BADQ("GET /" H11 "Foo\r\n" END, 400, "missing colon in header field");
    BADQ("GET /" H11 "Foo bar\r\n" END, 400, "missing colon in header field");
}


static void
test_obs_fold(void **state)
{
    OKQ("GET /" H11 "X: a\tb\r\n" END);

    BADQ("GET /" H11 "X: a\r\n b\r\n" END, 400, "obs-fold (line folding)");
    BADQ("GET /" H11 "X: a\r\n\tb\r\n" END, 400, "obs-fold (line folding)");
    BADQ("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400,
         "whitespace before the first header field");
}


static void
test_field_value(void **state)
{
    res_t  *r;

    r = OKQ("GET /" H11 "X: \t a \t b \t \r\n" END);
    assert_true(span_eq(r, r->h[1].value, "a \t b"));
    r = OKQ("GET /" H11 "X: caf\xc3\xa9 \xff\r\n" END);
    assert_true(span_eq(r, r->h[1].value, "caf\xc3\xa9 \xff"));
    r = OKQ("GET /" H11 "X:   \r\n" END);
    assert_int_equal(r->h[1].value.len, 0);

    BADQ("GET /" H11 "X: a\0b\r\n" END, 400, "NUL in field-value");
    BADQ("GET /" H11 "X: \0\r\n" END, 400, "NUL in field-value");
    BADQ("GET /" H11 "X: a\x01" "b\r\n" END, 400,
         "control character in field-value");
    BADQ("GET /" H11 "X: a\x7f\r\n" END, 400,
         "control character in field-value");
    BADQ("GET /" H11 "X: a\x1b[0m\r\n" END, 400,
         "control character in field-value");
    BADQ("GET /" H11 "X: a\x0b\r\n" END, 400,
         "control character in field-value");
}


static void
test_limits(void **state)
{
    static const lb_http_limits_t  lim = { 20, 16, 64 };
    static const char              line20[] =
        "GET /aaaaa HTTP/1.1\r\nHost: a\r\n\r\n";       /* 21 with CRLF */
    static const char              line19[] =
        "GET /aaaa HTTP/1.1\r\nHost: a\r\n\r\n";        /* 20 with CRLF */
    static const char              field16[] =
        "GET / HTTP/1.1\r\nHost: a\r\nX: 01234567890\r\n\r\n";
    static const char              field17[] =
        "GET / HTTP/1.1\r\nHost: a\r\nX: 012345678901\r\n\r\n";
    static const char              head64[] =
        "GET / HTTP/1.1\r\nHost: a\r\nA: 0123456789\r\nB: 012345678\r\n"
        "C: 012\r\n\r\n";
    static const char              head65[] =
        "GET / HTTP/1.1\r\nHost: a\r\nA: 0123456789\r\nB: 012345678\r\n"
        "C: 0123\r\n\r\n";
    static const char              longline[] =
        "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static const char              three[] =
        "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
    static const char              four[] =
        "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";

    assert_int_equal(sizeof(head64) - 1, 64);
    assert_int_equal(sizeof(head65) - 1, 65);

    check(line19, sizeof(line19) - 1, false, 0, &lim, NH, LB_OK, 0, NULL,
          __LINE__);
    check(line20, sizeof(line20) - 1, false, 0, &lim, NH, LB_ERROR, 414,
          "start-line too long", __LINE__);
    /* no LF yet: reported as soon as the limit is passed */
    check(longline, sizeof(longline) - 1, false, 0, &lim, NH, LB_ERROR, 414,
          "start-line too long", __LINE__);

    check(field16, sizeof(field16) - 1, false, 0, &lim, NH, LB_OK, 0, NULL,
          __LINE__);
    check(field17, sizeof(field17) - 1, false, 0, &lim, NH, LB_ERROR, 431,
          "header field line too long", __LINE__);

    check(head64, sizeof(head64) - 1, false, 0, &lim, NH, LB_OK, 0, NULL,
          __LINE__);
    check(head65, sizeof(head65) - 1, false, 0, &lim, NH, LB_ERROR, 431,
          "header section too large", __LINE__);

    check(three, sizeof(three) - 1, false, 0, NULL, 3, LB_OK, 0, NULL,
          __LINE__);
    check(four, sizeof(four) - 1, false, 0, NULL, 3, LB_ERROR, 431,
          "too many header fields", __LINE__);
    check(three, sizeof(three) - 1, false, 0, NULL, 0, LB_ERROR, 431,
          "too many header fields", __LINE__);
}


/* Whichever limit the bytes cross first is the one reported, for any
 * split: a field line growing past both limits at once. */
static void
test_limits_order(void **state)
{
    static const lb_http_limits_t  lim = { 100, 30, 40 };
    static const lb_http_limits_t  lim2 = { 100, 10, 40 };
    static const lb_http_limits_t  lim3 = { 100, 15, 40 };
    static const char              raw[] =
        "GET / HTTP/1.1\r\nHost: a\r\nX: 012345678901234567890123456789\r\n"
        "\r\n";

    /* the line starts at 25: head passes 40 at byte 41, line 30 at 56 */
    check(raw, sizeof(raw) - 1, false, 0, &lim, NH, LB_ERROR, 431,
          "header section too large", __LINE__);
    /* line passes 10 at byte 36, before the head passes 40 */
    check(raw, sizeof(raw) - 1, false, 0, &lim2, NH, LB_ERROR, 431,
          "header field line too long", __LINE__);
    /* both at byte 41: the line's limit is named */
    check(raw, sizeof(raw) - 1, false, 0, &lim3, NH, LB_ERROR, 431,
          "header field line too long", __LINE__);
}


static void
test_content_length(void **state)
{
    res_t  *r;

    r = OKQ("POST /" H11 "Content-Length: 0\r\n" END);
    assert_int_equal(r->m.body, LB_HTTP_BODY_LENGTH);
    assert_int_equal(r->m.content_length, 0);
    r = OKQ("POST /" H11 "Content-Length: 007\r\n" END);
    assert_int_equal(r->m.content_length, 7);
    r = OKQ("POST /" H11 "Content-Length:\t 42 \t\r\n" END);
    assert_int_equal(r->m.content_length, 42);
    r = OKQ("POST /" H11 "Content-Length: 9223372036854775807\r\n" END);
    assert_true(r->m.content_length == INT64_MAX);

    BADQ("POST /" H11 "Content-Length: 9223372036854775808\r\n" END, 400,
         "Content-Length too large");
    BADQ("POST /" H11 "Content-Length: 99999999999999999999999\r\n" END, 400,
         "Content-Length too large");
    BADQ("POST /" H11 "Content-Length: +5\r\n" END, 400,
         "invalid Content-Length");
    BADQ("POST /" H11 "Content-Length: -5\r\n" END, 400,
         "invalid Content-Length");
    BADQ("POST /" H11 "Content-Length: 1e3\r\n" END, 400,
         "invalid Content-Length");
    BADQ("POST /" H11 "Content-Length: 0x10\r\n" END, 400,
         "invalid Content-Length");
    BADQ("POST /" H11 "Content-Length: 5 5\r\n" END, 400,
         "invalid Content-Length");
    BADQ("POST /" H11 "Content-Length:\r\n" END, 400,
         "invalid Content-Length");
    BADQ("POST /" H11 "Content-Length: 5, 5\r\n" END, 400,
         "Content-Length is a list");
    BADQ("POST /" H11 "Content-Length: 5,6\r\n" END, 400,
         "Content-Length is a list");
    BADQ("POST /" H11 "Content-Length: 5\r\nContent-Length: 5\r\n" END, 400,
         "duplicate Content-Length");
    BADQ("POST /" H11 "Content-Length: 5\r\ncontent-length: 6\r\n" END, 400,
         "duplicate Content-Length");
}


static void
test_transfer_encoding(void **state)
{
    res_t  *r;

    r = OKQ("POST /" H11 "Transfer-Encoding: chunked\r\n" END);
    assert_int_equal(r->m.body, LB_HTTP_BODY_CHUNKED);
    assert_true(r->m.chunked);
    assert_false(r->m.has_content_length);
    r = OKQ("POST /" H11 "transfer-encoding: ChUnKeD\r\n" END);
    assert_true(r->m.chunked);
    r = OKQ("POST /" H11 "Transfer-Encoding: , chunked ,\r\n" END);
    assert_true(r->m.chunked);

    BADQ("POST /" H11 "Transfer-Encoding: gzip, chunked\r\n" END, 501,
         "unsupported transfer coding");
    BADQ("POST /" H11 "Transfer-Encoding: gzip\r\n"
         "Transfer-Encoding: chunked\r\n" END, 501,
         "unsupported transfer coding");
    BADQ("POST /" H11 "Transfer-Encoding: chunked, gzip\r\n" END, 400,
         "chunked is not the final transfer coding");
    BADQ("POST /" H11 "Transfer-Encoding: identity\r\n" END, 400,
         "chunked is not the final transfer coding");
    BADQ("POST /" H11 "Transfer-Encoding: chunked, chunked\r\n" END, 400,
         "chunked applied more than once");
    BADQ("POST /" H11 "Transfer-Encoding: chunked\r\n"
         "Transfer-Encoding: chunked\r\n" END, 400,
         "chunked applied more than once");
    BADQ("POST /" H11 "Transfer-Encoding: chunked;q=1\r\n" END, 400,
         "invalid Transfer-Encoding");
    BADQ("POST /" H11 "Transfer-Encoding: \"chunked\"\r\n" END, 400,
         "invalid Transfer-Encoding");
    BADQ("POST /" H11 "Transfer-Encoding:\r\n" END, 400,
         "invalid Transfer-Encoding");
    BADQ("POST /" H11 "Transfer-Encoding: ,\r\n" END, 400,
         "invalid Transfer-Encoding");
    BADQ("POST /" H11 "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"
         END, 400, "Content-Length with Transfer-Encoding");
    BADQ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n" END, 400,
         "Transfer-Encoding in HTTP/1.0");
}


static void
test_host(void **state)
{
    res_t  *r;

    r = OKQ("GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
    assert_true(span_eq(r, r->m.host, "www.example.com"));
    assert_int_equal(r->m.port, 0);
    r = OKQ("GET / HTTP/1.1\r\nHOST: 127.0.0.1:65535\r\n\r\n");
    assert_true(span_eq(r, r->m.host, "127.0.0.1"));
    assert_int_equal(r->m.port, 65535);
    r = OKQ("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n");
    assert_true(span_eq(r, r->m.host, "[2001:db8::1]"));
    assert_int_equal(r->m.port, 8443);
    r = OKQ("GET / HTTP/1.1\r\nHost: a-b_c~d.\r\n\r\n");
    r = OKQ("GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(r->m.host.len, 0);

    BADQ("GET / HTTP/1.1\r\n\r\n", 400, "missing Host");
    BADQ("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400,
         "duplicate Host");
    BADQ("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400,
         "duplicate Host");
    BADQ("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: a:\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: a:0\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: [zz::1]\r\n\r\n", 400, "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", 400,
         "invalid Host");
    BADQ("GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", 400, "invalid Host");
}


static void
test_connection(void **state)
{
    res_t  *r;

    r = OKQ("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(r->m.keep_alive);
    r = OKQ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n");
    assert_false(r->m.keep_alive);
    assert_true(r->m.conn_close);
    r = OKQ("GET / HTTP/1.0\r\n\r\n");
    assert_false(r->m.keep_alive);
    r = OKQ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    assert_true(r->m.keep_alive);
    r = OKQ("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n");
    assert_false(r->m.keep_alive);
    r = OKQ("GET / HTTP/1.1\r\nHost: a\r\nConnection: , x-foo,,close ,\r\n"
            "\r\n");
    assert_false(r->m.keep_alive);

    r = OKQ("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade"
            "\r\nUpgrade: websocket\r\n\r\n");
    assert_true(r->m.upgrade);
    assert_true(r->m.keep_alive);
    r = OKQ("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n");
    assert_false(r->m.upgrade);
    r = OKQ("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
    assert_false(r->m.upgrade);
    r = OKQ("GET /ws HTTP/1.0\r\nConnection: upgrade\r\n"
            "Upgrade: websocket\r\n\r\n");
    assert_false(r->m.upgrade);

    BADQ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close;x\r\n\r\n", 400,
         "invalid Connection");
    BADQ("GET / HTTP/1.1\r\nHost: a\r\nConnection: \"close\"\r\n\r\n", 400,
         "invalid Connection");
}


static void
test_expect(void **state)
{
    res_t  *r;

    r = OKQ("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
            "Content-Length: 3\r\n\r\n");
    assert_true(r->m.expect_continue);
    r = OKQ("PUT / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n");
    assert_false(r->m.expect_continue);
    r = OKQ("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
    assert_false(r->m.expect_continue);
}


static void
test_header_ids(void **state)
{
    static const char  raw[] =
        "GET / HTTP/1.1\r\nhost: a\r\nCONTENT-length: 1\r\n"
        "Connection: keep-alive\r\nupgrade: x\r\nexpect: x\r\ncookie: a=b\r\n"
        "Set-Cookie: a=b\r\nx-forwarded-for: 1.2.3.4\r\n"
        "X-Forwarded-Proto: http\r\nX-FORWARDED-PORT: 80\r\n"
        "Keep-Alive: timeout=5\r\nProxy-Connection: close\r\nte: trailers\r\n"
        "Trailer: X\r\nX-Forwarded-Fo: no\r\nHostx: no\r\n\r\n";
    static const lb_http_hdr_e  want[] = {
        LB_HTTP_HDR_HOST, LB_HTTP_HDR_CONTENT_LENGTH, LB_HTTP_HDR_CONNECTION,
        LB_HTTP_HDR_UPGRADE, LB_HTTP_HDR_EXPECT, LB_HTTP_HDR_COOKIE,
        LB_HTTP_HDR_SET_COOKIE, LB_HTTP_HDR_X_FORWARDED_FOR,
        LB_HTTP_HDR_X_FORWARDED_PROTO, LB_HTTP_HDR_X_FORWARDED_PORT,
        LB_HTTP_HDR_KEEP_ALIVE, LB_HTTP_HDR_PROXY_CONNECTION, LB_HTTP_HDR_TE,
        LB_HTTP_HDR_TRAILER, LB_HTTP_HDR_OTHER, LB_HTTP_HDR_OTHER
    };
    res_t     *r;
    unsigned   i;

    r = check(raw, sizeof(raw) - 1, false, 0, NULL, NH, LB_OK, 0, NULL,
              __LINE__);
    assert_int_equal(r->m.nheaders, lb_nelems(want));

    for (i = 0; i < lb_nelems(want); i++) {
        assert_int_equal(r->h[i].id, want[i]);
        if (want[i] != LB_HTTP_HDR_OTHER) {
            assert_ptr_equal(lb_http_header_first(&r->m, want[i]), &r->h[i]);
        }
    }

    /* every name of the table maps to its own id */
    for (i = 1; i < LB_HTTP_HDR_N; i++) {
        assert_int_equal(lb_http_header_id(
                             (const u_char *) lb_http_header_names[i],
                             strlen(lb_http_header_names[i])), i);
    }

    assert_int_equal(lb_http_header_id((const u_char *) "X", 1),
                     LB_HTTP_HDR_OTHER);
}


static void
test_response(void **state)
{
    res_t  *r;

    r = OKR(GET, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                 "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello");
    assert_int_equal(r->m.code, 200);
    assert_true(span_eq(r, r->m.reason_phrase, "OK"));
    assert_int_equal(r->m.version, 11);
    assert_int_equal(r->m.body, LB_HTTP_BODY_LENGTH);
    assert_int_equal(r->m.content_length, 5);
    assert_true(r->m.keep_alive);
    assert_int_equal(r->m.nheaders, 3);
    assert_int_equal(r->h[2].id, LB_HTTP_HDR_SET_COOKIE);
    assert_int_equal(r->m.head_len, r->len - 5);

    r = OKR(GET, "HTTP/1.1 404 Not \t Found \xe9\r\nContent-Length: 0\r\n"
                 "\r\n");
    assert_true(span_eq(r, r->m.reason_phrase, "Not \t Found \xe9"));
    r = OKR(GET, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r->m.reason_phrase.len, 0);
    r = OKR(GET, "HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r->m.code, 599);
    /* no Host needed in a response */
    r = OKR(GET, "HTTP/1.0 200 OK\r\n\r\n");
    assert_int_equal(r->m.version, 10);

    BADR(GET, "HTTP/1.1 20 OK\r\n\r\n", "invalid status code");
    BADR(GET, "HTTP/1.1 2000 OK\r\n\r\n", "invalid status code");
    BADR(GET, "HTTP/1.1 20x OK\r\n\r\n", "invalid status code");
    BADR(GET, "HTTP/1.1  200 OK\r\n\r\n", "invalid status code");
    BADR(GET, "HTTP/1.1 099 OK\r\n\r\n", "invalid status code");
    BADR(GET, "HTTP/1.1 600 OK\r\n\r\n", "invalid status code");
    BADR(GET, "HTTP/1.1\r\n\r\n", "invalid status-line");
    BADR(GET, "HTTP/1.1\t200 OK\r\n\r\n", "invalid status-line");
    BADR(GET, "ICY 200 OK\r\n\r\n", "invalid status-line");
    BADR(GET, "http/1.1 200 OK\r\n\r\n", "invalid status-line");
    BADR(GET, "HTTP/2.0 200 OK\r\n\r\n", "unsupported HTTP version");
    BADR(GET, "HTTP/1.1 200 O\x01K\r\n\r\n", "invalid reason-phrase");
    BADR(GET, "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
         "bare LF line ending");
    BADR(GET, "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
         "obs-fold (line folding)");
    BADR(GET, "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n", "NUL in field-value");
    BADR(GET, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
              "Content-Length: 1\r\n\r\n", "duplicate Content-Length");
    BADR(GET, "HTTP/1.1 200 OK\r\nContent-Length: 01x\r\n\r\n",
         "invalid Content-Length");
    BADR(GET, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
              "Transfer-Encoding: chunked\r\n\r\n",
         "Content-Length with Transfer-Encoding");
    BADR(GET, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
         "Transfer-Encoding in HTTP/1.0");
    BADR(GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n"
              "\r\n", "chunked applied more than once");
}


static void
test_response_framing(void **state)
{
    res_t  *r;

    /* RFC 9112 6.3 in order */
    r = OKR(HEAD, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_NONE);
    assert_int_equal(r->m.content_length, 100);
    assert_true(r->m.keep_alive);
    r = OKR(HEAD, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_NONE);
    r = OKR(GET, "HTTP/1.1 204 No Content\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_NONE);
    assert_true(r->m.keep_alive);
    r = OKR(GET, "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_NONE);
    r = OKR(POST, "HTTP/1.1 100 Continue\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_NONE);
    r = OKR(GET, "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
                 "Upgrade: websocket\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_TUNNEL);
    assert_true(r->m.upgrade);
    assert_false(r->m.keep_alive);
    r = OKR(CONNECT, "HTTP/1.1 200 Connection established\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_TUNNEL);
    r = OKR(CONNECT, "HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_LENGTH);
    r = OKR(GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_CHUNKED);
    assert_true(r->m.chunked);
    assert_true(r->m.keep_alive);
    r = OKR(GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
                 "\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_CHUNKED);
    r = OKR(GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n"
                 "\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_CLOSE);
    assert_false(r->m.keep_alive);
    r = OKR(GET, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_LENGTH);
    r = OKR(GET, "HTTP/1.1 200 OK\r\n\r\n");
    assert_int_equal(r->m.body, LB_HTTP_BODY_CLOSE);
    assert_false(r->m.keep_alive);
    r = OKR(GET, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                 "Content-Length: 3\r\n\r\n");
    assert_false(r->m.keep_alive);
    r = OKR(GET, "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n");
    assert_false(r->m.keep_alive);
    r = OKR(GET, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
                 "Content-Length: 3\r\n\r\n");
    assert_true(r->m.keep_alive);
}


/* Valid requests give the same result whole, byte by byte and in random
 * splits (check() compares every mode to the first), over many seeds. */
static void
test_splits(void **state)
{
    static const char *const  reqs[] = {
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "\r\n\r\nGET /x?y=1 HTTP/1.0\r\n\r\n",
        "POST /form HTTP/1.1\r\nHost: example.com:80\r\nContent-Length: 11\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Cookie: JSESSIONID=abc; WEIR=t1\r\n\r\nhello world",
        "PUT http://example.com/a HTTP/1.1\r\nHost: example.com\r\n"
        "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: [::1]:8080\r\nX-Empty:\r\n"
        "X-Tabs:\t\tv\t\r\n\r\n",
        "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n"
        "Proxy-Connection: keep-alive\r\n\r\n",
        "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    };
    unsigned  i, k;

    for (k = 0; k < 50; k++) {
        for (i = 0; i < lb_nelems(reqs); i++) {
            check(reqs[i], strlen(reqs[i]), false, 0, NULL, NH, LB_OK, 0,
                  NULL, __LINE__);
        }
    }
}


/* The request-smuggling and ambiguity classics. A request whose head is
 * fine but whose chunked body is not is fed on to lb_http_chunked. */
typedef struct {
    const char  *raw;
    size_t       len;
    unsigned     status;
    const char  *reason;
} smuggle_t;

#define SM(raw, st, why)  { raw, sizeof(raw) - 1, st, why }
#define POST_CH                                                              \
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

static const smuggle_t  smuggles[] = {
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "Content-Length with Transfer-Encoding"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Content-Length: 4\r\n\r\n0\r\n\r\n", 400,
       "Content-Length with Transfer-Encoding"),
    /* the empty first line is already wrong before the fold is seen */
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n"
       "\r\n", 400, "invalid Transfer-Encoding"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n chunked"
       "\r\n\r\n", 400, "obs-fold (line folding)"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tTransfer-Encoding: chunked"
       "\r\n\r\n", 400, "obs-fold (line folding)"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
       400, "chunked is not the final transfer coding"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity"
       "\r\n\r\n", 400, "chunked is not the final transfer coding"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
       400, "whitespace between field-name and colon"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n"
       "\r\n", 400, "control character in field-value"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n"
       "\r\n", 400, "invalid Transfer-Encoding"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: identity\r\n\r\n", 400,
       "chunked is not the final transfer coding"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n", 400,
       "chunked applied more than once"),
    SM("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400, "Transfer-Encoding in HTTP/1.0"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400,
       "invalid Content-Length"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n", 400,
       "invalid Content-Length"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x1\r\n\r\n", 400,
       "invalid Content-Length"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
       "Content-Length: 5\r\n\r\n", 400, "duplicate Content-Length"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
       "Content-Length: 50\r\n\r\n", 400, "duplicate Content-Length"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 50\r\n\r\n", 400,
       "Content-Length is a list"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n", 400,
       "whitespace between field-name and colon"),
    SM("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551621"
       "\r\n\r\n", 400, "Content-Length too large"),
    SM("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400,
       "NUL in field-value"),
    SM("GET / HTTP/1.1\r\nHost: a\r\nX: a\rContent-Length: 5\r\n\r\n", 400,
       "bare CR"),
    SM("GET / HTTP/1.1\r\nHost: a\nContent-Length: 5\r\n\r\n", 400,
       "bare LF line ending"),
    SM("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
       "duplicate Host"),
    SM("GET / HTTP/1.1\r\n\r\n", 400, "missing Host"),
    SM("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 400,
       "obs-fold (line folding)"),
    SM("GET /a HTTP/1.1 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "whitespace in request-target"),
    SM("GET / HTTP/1.1\r\nHost: a\r\nX-\x80: 1\r\n\r\n", 400,
       "invalid character in field-name"),
    SM("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version"),
    SM("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "invalid character in request-target"),
    SM("GET http://a@evil/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
       "userinfo in request-target"),
    SM(POST_CH "fffffffffffffffffff\r\n", 400, "chunk-size too large"),
    SM(POST_CH "10000000001\r\n", 400, "chunk-size too large"),
    SM(POST_CH "-1\r\n", 400, "invalid chunk-size"),
    SM(POST_CH "0x5\r\nhello\r\n0\r\n\r\n", 400, "invalid chunk-size"),
    SM(POST_CH "5 \r\nhello\r\n0\r\n\r\n", 400, "invalid chunk-ext"),
    SM(POST_CH "5\nhello\r\n0\r\n\r\n", 400, "bare LF line ending"),
    SM(POST_CH "5\r\nhello\n0\r\n\r\n", 400, "missing CRLF after chunk-data"),
    SM(POST_CH "5\r\nhelloXX0\r\n\r\n", 400, "missing CRLF after chunk-data"),
    SM(POST_CH "5;a=\"b\r\nhello\r\n0\r\n\r\n", 400, "invalid chunk-ext"),
    SM(POST_CH "0\r\nX: a\r\n b\r\n\r\n", 400, "obs-fold (line folding)"),
    SM(POST_CH "0\r\n\n", 400, "bare LF line ending"),
};


static void
test_smuggling(void **state)
{
    unsigned                i, mode;
    lb_int_t                rc;
    lb_http_chunked_t       c;
    lb_http_chunked_out_t   out;
    const smuggle_t        *s;
    res_t                  *r;

    assert_true(lb_nelems(smuggles) >= 30);

    for (i = 0; i < lb_nelems(smuggles); i++) {
        s = &smuggles[i];

        for (mode = 0; mode < NMODES; mode++) {
            run(&res[mode], s->raw, s->len, false, 0, NULL, NH, mode);
            if (mode > 0) {
                same(&res[0], &res[mode], (int) i);
            }
        }

        r = &res[0];

        if (r->rc == LB_OK) {
            /* the head passed: the body must not */
            if (!r->m.chunked) {
                print_error("smuggle %u: accepted\n", i);
                fail();
            }

            lb_http_chunked_init(&c);
            memset(&out, 0, sizeof(out));
            rc = lb_http_chunked_parse(&c, r->buf + r->m.head_len,
                                       r->buf + r->len, &out);
            if (rc != LB_ERROR || strcmp(c.reason, s->reason) != 0
                || lb_http_err_status[c.err] != s->status)
            {
                print_error("smuggle %u: body rc %d \"%s\", want \"%s\"\n",
                            i, (int) rc, c.reason ? c.reason : "-",
                            s->reason);
                fail();
            }

            continue;
        }

        if (r->rc != LB_ERROR || r->m.status != s->status
            || strcmp(r->m.reason, s->reason) != 0)
        {
            print_error("smuggle %u: rc %d %u \"%s\", want %u \"%s\"\n", i,
                        (int) r->rc, r->m.status,
                        r->m.reason ? r->m.reason : "-", s->status,
                        s->reason);
            fail();
        }
    }
}


static void
test_tables(void **state)
{
    unsigned  i;

    /* every error has a reason and a status of its class */
    for (i = 1; i < LB_HTTP_ERR_N; i++) {
        assert_non_null(lb_http_err_reasons[i]);
        assert_true(lb_http_err_status[i] >= 400);
    }

    assert_string_equal(lb_http_method_strs[LB_HTTP_METHOD_CONNECT],
                        "CONNECT");
    assert_string_equal(lb_http_header_names[LB_HTTP_HDR_TE], "TE");
}


static int
teardown(void **state)
{
    unsigned  i;

    for (i = 0; i < NMODES; i++) {
        free(res[i].buf);
        res[i].buf = NULL;
    }

    return 0;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_result),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_method),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_field_name),
        cmocka_unit_test(test_obs_fold),
        cmocka_unit_test(test_field_value),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_limits_order),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_connection),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_header_ids),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_response_framing),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_smuggling),
        cmocka_unit_test(test_tables),
    };

    lb_test_srand(0x9e3779b97f4a7c15ULL);

    return cmocka_run_group_tests_name("lb_http_parse", tests, NULL,
                                       teardown);
}
