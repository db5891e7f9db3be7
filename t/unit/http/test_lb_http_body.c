/* weir: unit tests for the pure parts of the L7 data path: body framing
 * as bytes arrive in any split (src/http/lb_http_body.c: Content-Length,
 * chunked passed through, chunked stripped of its framing for HTTP/1.0
 * clients through a small buffer that is compacted as it goes), and the
 * access log line (src/http/lb_http_log.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lb_connection.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_time.h"

static lb_http_msg_t     m;
static lb_http_header_t  h[LB_HTTP_HEADERS];


static void
lbt_msg(const char *head)
{
    lb_http_msg_init(&m, h, LB_HTTP_HEADERS, NULL);
    assert_int_equal(lb_http_parse_request(&m, (const u_char *) head,
                                           (const u_char *) head
                                           + strlen(head)),
                     LB_OK);
}


static void
test_length(void **state)
{
    u_char          buf[64];
    const char     *why;
    lb_http_buf_t   b;
    lb_http_body_t  body;

    (void) state;

    lbt_msg("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n");

    b.start = b.pos = b.last = buf;
    b.end = buf + sizeof(buf);
    lb_http_body_init(&body, &m, &b);
    assert_false(body.done);

    memcpy(b.last, "0123", 4);
    b.last += 4;
    assert_int_equal(lb_http_body_parse(&body, &b, &why), LB_OK);
    assert_ptr_equal(body.ready, buf + 4);
    assert_false(body.done);

    /* the rest, then the next request: not body */
    memcpy(b.last, "456789GET", 9);
    b.last += 9;
    assert_int_equal(lb_http_body_parse(&body, &b, &why), LB_OK);
    assert_ptr_equal(body.ready, buf + 10);
    assert_true(body.done);

    /* done stays done */
    assert_int_equal(lb_http_body_parse(&body, &b, &why), LB_OK);
    assert_ptr_equal(body.ready, buf + 10);

    /* compacting moves ready with the bytes */
    b.pos = buf + 6;
    lb_http_buf_compact(&b, &body);
    assert_ptr_equal(b.pos, buf);
    assert_ptr_equal(b.last, buf + 7);
    assert_ptr_equal(body.ready, buf + 4);
    assert_memory_equal(buf, "6789GET", 7);

    lbt_msg("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    lb_http_body_init(&body, &m, &b);
    assert_true(body.done);

    lbt_msg("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    lb_http_body_init(&body, &m, &b);
    assert_true(body.done);
}


static const char  lbt_chunked[] =
    "5;ext=\"a b\"\r\nhello\r\n"
    "1\r\n \r\n"
    "10\r\n0123456789abcdef\r\n"
    "A\r\n-ten bytes\r\n"
    "0\r\nTrailer: t\r\n\r\n";

static const char  lbt_data[] = "hello 0123456789abcdef-ten bytes";

/* the trailer section a dechunked body kept (an HTTP/2 client's) */
static lb_http_trailer_t  lbt_trailer;
static const char         lbt_trailer_text[] = "Trailer: t\r\n\r\n";


/* Feed lbt_chunked then "NEXT" through a buffer of size bytes, in pieces
 * of at most step, sending (dropping) what is ready in pieces of at most
 * send; returns what was sent. */
static char *
lbt_stream(bool dechunk, size_t size, size_t step, size_t send,
    bool *extra)
{
    char           *got;
    size_t          in, n, k, glen;
    u_char         *buf;
    const char     *why, *input;
    lb_http_buf_t   b;
    lb_http_body_t  body;

    input = "5;ext=\"a b\"\r\nhello\r\n1\r\n \r\n10\r\n0123456789abcdef\r\n"
            "A\r\n-ten bytes\r\n0\r\nTrailer: t\r\n\r\nNEXT";

    lbt_msg("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");

    buf = malloc(size);
    got = calloc(1, 256);
    assert_non_null(buf);
    assert_non_null(got);
    glen = 0;

    b.start = b.pos = b.last = buf;
    b.end = buf + size;
    lb_http_body_init(&body, &m, &b);
    body.dechunk = dechunk;
    lbt_trailer.len = 0;
    body.trailer = dechunk ? &lbt_trailer : NULL;

    in = 0;

    while (!body.done || b.pos < body.ready) {
        /* room, as the proxy makes it */
        if (b.last == b.end) {
            lb_http_buf_compact(&b, &body);
        }

        n = lb_min(step, (size_t) (b.end - b.last));
        n = lb_min(n, strlen(input) - in);

        if (!body.done && n) {
            memcpy(b.last, input + in, n);
            b.last += n;
            in += n;
            assert_int_equal(lb_http_body_parse(&body, &b, &why), LB_OK);
        }

        k = lb_min(send, (size_t) (body.ready - b.pos));
        memcpy(got + glen, b.pos, k);
        glen += k;
        b.pos += k;

        if (b.pos == b.last) {
            b.pos = b.last = b.start;
            body.ready = b.start;
        }

        assert_true(in < strlen(input) || body.done);
    }

    /* what came after the body: kept for the next message (pass-through)
     * or dropped (dechunk) */
    *extra = (b.last > body.ready);

    free(buf);

    return got;
}


static void
test_chunked(void **state)
{
    bool     extra;
    char    *got;
    size_t   size, step, send;

    (void) state;

    for (size = 8; size <= 128; size *= 2) {
        for (step = 1; step <= 9; step += 4) {
            for (send = 1; send <= 64; send *= 4) {
                got = lbt_stream(false, size, step, send, &extra);
                if (strcmp(got, lbt_chunked) != 0) {
                    print_error("pass-through size %zu step %zu send %zu: "
                                "\"%s\"\n", size, step, send, got);
                    fail();
                }
                free(got);

                got = lbt_stream(true, size, step, send, &extra);
                if (strcmp(got, lbt_data) != 0) {
                    print_error("dechunk size %zu step %zu send %zu: "
                                "\"%s\"\n", size, step, send, got);
                    fail();
                }
                free(got);

                /* the trailers, whole, however they came */
                if (lbt_trailer.len != sizeof(lbt_trailer_text) - 1
                    || memcmp(lbt_trailer.buf, lbt_trailer_text,
                              lbt_trailer.len) != 0)
                {
                    print_error("trailers size %zu step %zu send %zu: "
                                "\"%.*s\"\n", size, step, send,
                                (int) lbt_trailer.len, lbt_trailer.buf);
                    fail();
                }
            }
        }
    }

    /* one piece: the next request stays behind a passed-through body */
    got = lbt_stream(false, 256, 256, 256, &extra);
    assert_string_equal(got, lbt_chunked);
    assert_true(extra);
    free(got);

    got = lbt_stream(true, 256, 256, 256, &extra);
    assert_string_equal(got, lbt_data);
    assert_false(extra);
    free(got);
}


static void
test_chunked_error(void **state)
{
    u_char          buf[64];
    const char     *why;
    lb_http_buf_t   b;
    lb_http_body_t  body;

    (void) state;

    lbt_msg("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");

    b.start = b.pos = b.last = buf;
    b.end = buf + sizeof(buf);
    lb_http_body_init(&body, &m, &b);

    memcpy(b.last, "3\r\nabc\r\nzz\r\n", 12);
    b.last += 12;

    why = NULL;
    assert_int_equal(lb_http_body_parse(&body, &b, &why), LB_ERROR);
    assert_string_equal(why, "invalid chunk-size");
    assert_false(body.done);
}


static void
test_log_format(void **state)
{
    char                  line[4096];
    size_t                n;
    lb_connection_t       c;
    lb_listener_t         l;
    lb_http_session_t     s;
    struct sockaddr_in   *sin;

    (void) state;

    memset(&c, 0, sizeof(c));
    memset(&l, 0, sizeof(l));
    memset(&s, 0, sizeof(s));

    sin = (struct sockaddr_in *) &c.sockaddr;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(5555);
    sin->sin_addr.s_addr = htonl(0x7f000001);

    l.name = "web";
    s.client = &c;
    s.listener = &l;

    memcpy(s.line, "GET /a\"b\\c\x01 HTTP/1.1", 20);
    s.line_len = 20;
    s.status = 200;
    s.client_bytes = 1234;
    s.target_text = "127.0.0.1:9001";

    lb_current_sec = 0;
    lb_current_msec = 5000;
    s.start = 1000;
    s.connected = 1010;
    s.responded = 1200;

    n = lb_http_log_format(&s, line, sizeof(line));
    line[n] = '\0';

    assert_non_null(strstr(line, "127.0.0.1:5555 ["));
    assert_non_null(strstr(line, "] web \"GET /a\\x22b\\x5cc\\x01 HTTP/1.1\" "
                                 "200 1234 127.0.0.1:9001 4000 10 200\n"));
    assert_int_equal(line[n - 1], '\n');

    /* no status, no target, no connection, no response */
    s.status = 0;
    s.target_text = NULL;
    s.connected = 0;
    s.responded = 0;
    n = lb_http_log_format(&s, line, sizeof(line));
    line[n] = '\0';
    assert_non_null(strstr(line, "\" - 1234 - 4000 - -\n"));

    /* cut to fit, still one line */
    n = lb_http_log_format(&s, line, 40);
    assert_true(n <= 40);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_chunked_error),
        cmocka_unit_test(test_log_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
