/* weir: unit tests for src/http/lb_http_chunked.c: valid bodies decoded
 * the same in any split (whole, byte by byte, random, with a one-span
 * array), every rule with its exact reason, limits, trailers. */
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

enum { ALL = 0, BYTES, RANDOM, ONESPAN, NOSPANS, NMODES };

typedef struct {
    lb_int_t           rc;
    size_t             consumed;     /* body bytes of the input */
    u_char             data[70000];  /* chunk data joined */
    size_t             data_len;
    u_char             trailer[10000];
    size_t             trailer_len;
    lb_http_chunked_t  c;
} dec_t;

static dec_t     dec[NMODES];


/* Decode raw in one of the modes. The input grows like a connection's
 * buffer: each call gets what is not consumed yet plus new bytes. */
static void
decode(dec_t *d, const char *raw, size_t len, const lb_http_chunked_t *lim,
    int mode)
{
    u_char                 *buf;
    size_t                  pos, avail, n, i;
    lb_http_span_t          spans[8];
    lb_http_chunked_out_t   out;

    buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, raw, len);

    lb_http_chunked_init(&d->c);
    if (lim != NULL) {
        d->c.max_chunk = lim->max_chunk;
        d->c.max_line = lim->max_line;
        d->c.max_trailer = lim->max_trailer;
        d->c.max_trailers = lim->max_trailers;
    }

    d->consumed = 0;
    d->data_len = 0;
    d->trailer_len = 0;
    pos = 0;
    avail = mode == BYTES ? 0 : mode == RANDOM ? 0 : len;

    for ( ;; ) {
        if (mode == BYTES) {
            avail = lb_min(avail + 1, len);
        } else if (mode == RANDOM) {
            n = 1 + lb_test_rand() % 23;     /* lb_min() evaluates twice */
            avail = lb_min(avail + n, len);
        }

        memset(&out, 0, sizeof(out));
        if (mode != NOSPANS) {
            out.data = spans;
            out.max_data = mode == ONESPAN ? 1 : lb_nelems(spans);
        }

        /* exactly the bytes given: ASan sees a read past them */
        d->rc = lb_http_chunked_parse(&d->c, buf + pos, buf + avail, &out);

        assert_true(out.consumed <= avail - pos);
        assert_true(out.ndata <= out.max_data);

        for (i = 0; i < out.ndata; i++) {
            assert_true(out.data[i].len > 0);
            assert_true(out.data[i].off + out.data[i].len <= out.consumed);
            assert_true(d->data_len + out.data[i].len <= sizeof(d->data));
            memcpy(d->data + d->data_len, buf + pos + out.data[i].off,
                   out.data[i].len);
            d->data_len += out.data[i].len;
        }

        if (out.trailer.len) {
            assert_true(out.trailer.off + out.trailer.len <= out.consumed);
            assert_true(d->trailer_len + out.trailer.len
                        <= sizeof(d->trailer));
            memcpy(d->trailer + d->trailer_len, buf + pos + out.trailer.off,
                   out.trailer.len);
            d->trailer_len += out.trailer.len;
        }

        pos += out.consumed;
        d->consumed = pos;

        if (d->rc != LB_AGAIN) {
            break;
        }

        n = avail - pos;

        /* with a free span slot LB_AGAIN means all was taken */
        if (out.data == NULL || out.ndata < out.max_data) {
            assert_int_equal(n, 0);
        }

        if (avail == len && out.consumed == 0) {
            break;
        }
    }

    free(buf);
}


static dec_t *
check(const char *raw, size_t len, const lb_http_chunked_t *lim,
    lb_int_t want_rc, const char *why, int line)
{
    int  mode;

    for (mode = 0; mode < NMODES; mode++) {
        decode(&dec[mode], raw, len, lim, mode);

        if (dec[mode].rc != want_rc
            || (want_rc == LB_ERROR && strcmp(dec[mode].c.reason, why) != 0))
        {
            print_error("line %d mode %d: rc %d \"%s\", want rc %d \"%s\"\n",
                        line, mode, (int) dec[mode].rc,
                        dec[mode].c.reason ? dec[mode].c.reason : "-",
                        (int) want_rc, why ? why : "-");
            fail();
        }

        if (mode == 0 || want_rc == LB_AGAIN) {
            continue;
        }

        /* without spans only the counter tells the data */
        if (dec[mode].consumed != dec[0].consumed
            || dec[mode].c.data_len != dec[0].c.data_len
            || (mode != NOSPANS
                && (dec[mode].data_len != dec[0].data_len
                    || memcmp(dec[mode].data, dec[0].data, dec[0].data_len)
                       != 0))
            || dec[mode].trailer_len != dec[0].trailer_len
            || memcmp(dec[mode].trailer, dec[0].trailer,
                      dec[0].trailer_len) != 0)
        {
            print_error("line %d mode %d: another result\n", line, mode);
            fail();
        }
    }

    return &dec[0];
}

#define CHK(raw, lim, rc, why)                                               \
    check(raw, sizeof(raw) - 1, lim, rc, why, __LINE__)
#define OK(raw)                                                              \
    check(raw, sizeof(raw) - 1, NULL, LB_DONE, NULL, __LINE__)
#define BAD(raw, why)                                                        \
    check(raw, sizeof(raw) - 1, NULL, LB_ERROR, why, __LINE__)

static bool
data_is(const dec_t *d, const char *want)
{
    return d->data_len == strlen(want)
           && memcmp(d->data, want, d->data_len) == 0;
}


static bool
trailer_is(const dec_t *d, const char *want)
{
    return d->trailer_len == strlen(want)
           && memcmp(d->trailer, want, d->trailer_len) == 0;
}


static void
test_valid(void **state)
{
    dec_t  *d;

    d = OK("5\r\nhello\r\n0\r\n\r\n");
    assert_true(data_is(d, "hello"));
    assert_true(trailer_is(d, "\r\n"));
    assert_int_equal(d->consumed, 15);
    assert_int_equal(d->c.data_len, 5);

    d = OK("0\r\n\r\n");
    assert_int_equal(d->data_len, 0);

    d = OK("1\r\na\r\n2\r\nbc\r\nA\r\n0123456789\r\na\r\nABCDEFGHIJ\r\n"
           "0\r\n\r\n");
    assert_true(data_is(d, "abc0123456789ABCDEFGHIJ"));

    /* leading zeros; data may hold anything, CRLF included */
    d = OK("0000000000000000000000000005\r\n\r\n\0\r\n\r\n0000\r\n\r\n");
    assert_int_equal(d->data_len, 5);
    assert_memory_equal(d->data, "\r\n\0\r\n", 5);

    /* what follows the body is not consumed */
    d = OK("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
    assert_int_equal(d->consumed, 13);
}


static void
test_extensions(void **state)
{
    dec_t  *d;

    d = OK("5;a\r\nhello\r\n0;last=yes\r\n\r\n");
    assert_true(data_is(d, "hello"));
    OK("5 ; a = b ; c ;d=\"x y\\\"z\\\\\" ;e=\"\"\r\nhello\r\n0\r\n\r\n");
    OK("5\t;\ta\t=\t\"\t\x80\xff\"\r\nhello\r\n0\r\n\r\n");
    OK("5;a=\"q\"\t;b\r\nhello\r\n0\r\n\r\n");

    BAD("5 \r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;=a\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a =\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a \r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a b\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=b c\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=b=c\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=\"b\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a@\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a=b\x7f\r\nhello\r\n0\r\n\r\n", "invalid chunk-ext");
    BAD("5;a\nhello\r\n0\r\n\r\n", "bare LF line ending");
    BAD("5;a=b\nhello\r\n0\r\n\r\n", "bare LF line ending");
}


static void
test_size(void **state)
{
    lb_http_chunked_t  lim;
    static const char  at[] = "3e8\r\n";
    static const char  over[] = "3e9\r\n";

    BAD("\r\n", "invalid chunk-size");
    BAD(";a\r\n", "invalid chunk-size");
    BAD(" 5\r\nhello\r\n0\r\n\r\n", "invalid chunk-size");
    BAD("-1\r\n", "invalid chunk-size");
    BAD("+5\r\nhello\r\n0\r\n\r\n", "invalid chunk-size");
    BAD("0x5\r\nhello\r\n0\r\n\r\n", "invalid chunk-size");
    BAD("g\r\n", "invalid chunk-size");
    BAD("5g\r\n", "invalid chunk-size");
    BAD("5\nhello\r\n0\r\n\r\n", "bare LF line ending");
    BAD("5\rhello\r\n0\r\n\r\n", "bare CR");
    BAD("fffffffffffffffff\r\n", "chunk-size too large");
    BAD("ffffffffffffffff\r\n", "chunk-size too large");
    /* the default maximum is 2^40 */
    BAD("10000000001\r\n", "chunk-size too large");
    CHK("10000000000\r\n", NULL, LB_AGAIN, NULL);

    lb_http_chunked_init(&lim);
    lim.max_chunk = 1000;
    check(at, sizeof(at) - 1, &lim, LB_AGAIN, NULL, __LINE__);
    check(over, sizeof(over) - 1, &lim, LB_ERROR, "chunk-size too large",
          __LINE__);
}


static void
test_data_crlf(void **state)
{
    BAD("5\r\nhelloX\r\n0\r\n\r\n", "missing CRLF after chunk-data");
    BAD("5\r\nhello\rX0\r\n\r\n", "missing CRLF after chunk-data");
    BAD("5\r\nhello\n0\r\n\r\n", "missing CRLF after chunk-data");
    BAD("5\r\nhello world\r\n0\r\n\r\n", "missing CRLF after chunk-data");
    BAD("0\r\n@", "invalid character in field-name");
    BAD("0\r\n\rX", "bare CR");
    BAD("0\r\n\n", "bare LF line ending");
}


static void
test_line_limit(void **state)
{
    static char        raw[4200];
    lb_http_chunked_t  lim;

    /* 4094 zeros + CRLF = 4096: fits; one more does not */
    memset(raw, '0', 4094);
    memcpy(raw + 4094, "\r\n\r\n", 4);
    check(raw, 4098, NULL, LB_DONE, NULL, __LINE__);

    memset(raw, '0', 4095);
    memcpy(raw + 4095, "\r\n\r\n", 4);
    check(raw, 4099, NULL, LB_ERROR, "chunk-size line too long", __LINE__);

    /* extensions count, the limit is per line */
    lb_http_chunked_init(&lim);
    lim.max_line = 16;
    CHK("1;abcdefghijk\r\nx\r\n1;abcdefghijk\r\ny\r\n0\r\n\r\n", &lim, LB_DONE,
        NULL);
    CHK("1;abcdefghijklm\r\nx\r\n0\r\n\r\n", &lim, LB_ERROR,
        "chunk-size line too long");
    /* an endless line is stopped without its LF */
    CHK("1;abcdefghijklmnopqrstuvwxyz", &lim, LB_ERROR,
        "chunk-size line too long");
}


static void
test_trailers(void **state)
{
    dec_t              *d;
    lb_http_chunked_t   lim;

    d = OK("3\r\nabc\r\n0\r\nX-Sum: 1\r\nY:\t2 \x80\r\n\r\n");
    assert_true(data_is(d, "abc"));
    assert_true(trailer_is(d, "X-Sum: 1\r\nY:\t2 \x80\r\n\r\n"));
    assert_int_equal(d->consumed, 31);

    BAD("0\r\nX: a\r\n b\r\n\r\n", "obs-fold (line folding)");
    BAD("0\r\n X: a\r\n\r\n", "obs-fold (line folding)");
    BAD("0\r\nX : a\r\n\r\n", "whitespace between field-name and colon");
    BAD("0\r\nX\r\n\r\n", "missing colon in header field");
    BAD("0\r\n: a\r\n\r\n", "empty field-name");
    BAD("0\r\nX@: a\r\n\r\n", "invalid character in field-name");
    BAD("0\r\nX: a\0\r\n\r\n", "NUL in field-value");
    BAD("0\r\nX: a\x01\r\n\r\n", "control character in field-value");
    BAD("0\r\nX: a\rb\r\n\r\n", "bare CR");
    BAD("0\r\nX: a\n\r\n", "bare LF line ending");
    BAD("0\r\nX\n\r\n", "bare LF line ending");

    lb_http_chunked_init(&lim);
    lim.max_trailers = 2;
    CHK("0\r\nA: 1\r\nB: 2\r\n\r\n", &lim, LB_DONE, NULL);
    CHK("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &lim, LB_ERROR,
        "trailer section too large");

    lb_http_chunked_init(&lim);
    lim.max_trailer = 14;       /* the section with its final CRLF */
    CHK("0\r\nA: 1\r\nB: 2\r\n\r\n", &lim, LB_DONE, NULL);
    lim.max_trailer = 13;
    CHK("0\r\nA: 1\r\nB: 2\r\n\r\n", &lim, LB_ERROR,
        "trailer section too large");
}


/* After LB_DONE or LB_ERROR the decoder answers the same, taking nothing. */
static void
test_sticky(void **state)
{
    static const u_char     body[] = "0\r\n\r\nmore";
    static const u_char     bad[] = "x";
    lb_http_chunked_t       c;
    lb_http_chunked_out_t   out;

    lb_http_chunked_init(&c);
    memset(&out, 0, sizeof(out));
    assert_int_equal(lb_http_chunked_parse(&c, body, body + 9, &out),
                     LB_DONE);
    assert_int_equal(out.consumed, 5);
    assert_int_equal(lb_http_chunked_parse(&c, body + 5, body + 9, &out),
                     LB_DONE);
    assert_int_equal(out.consumed, 0);

    lb_http_chunked_init(&c);
    assert_int_equal(lb_http_chunked_parse(&c, bad, bad + 1, &out),
                     LB_ERROR);
    assert_int_equal(c.err, LB_HTTP_ERR_CHUNK_SIZE_INVALID);
    assert_int_equal(lb_http_chunked_parse(&c, body, body + 9, &out),
                     LB_ERROR);
    assert_int_equal(out.consumed, 0);

    /* empty input */
    lb_http_chunked_init(&c);
    assert_int_equal(lb_http_chunked_parse(&c, body, body, &out), LB_AGAIN);
    assert_int_equal(out.consumed, 0);
}


/* A span array of one stops the call at the second data span. */
static void
test_span_array(void **state)
{
    static const u_char     body[] = "1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
    lb_http_span_t          span;
    lb_http_chunked_t       c;
    lb_http_chunked_out_t   out;

    lb_http_chunked_init(&c);
    memset(&out, 0, sizeof(out));
    out.data = &span;
    out.max_data = 1;

    assert_int_equal(lb_http_chunked_parse(&c, body, body + 17, &out),
                     LB_AGAIN);
    assert_int_equal(out.ndata, 1);
    assert_int_equal(span.off, 3);
    assert_int_equal(span.len, 1);
    assert_int_equal(out.consumed, 9);

    assert_int_equal(lb_http_chunked_parse(&c, body + 9, body + 17, &out),
                     LB_DONE);
    assert_int_equal(out.ndata, 1);
    assert_int_equal(span.off, 0);
    assert_int_equal(out.consumed, 8);
    assert_int_equal(out.trailer.off, 6);
    assert_int_equal(out.trailer.len, 2);
}


/* Random bodies: random chunk sizes, extensions and trailers, decoded in
 * every mode, give back the data. */
static void
test_random(void **state)
{
    static char   raw[80000];
    static u_char want[65536];
    size_t        len, wlen, n, i;
    unsigned      round;
    dec_t        *d;

    for (round = 0; round < 200; round++) {
        len = 0;
        wlen = 0;

        while (wlen < 20000 && lb_test_rand() % 8 != 0) {
            n = 1 + lb_test_rand() % (lb_test_rand() % 2 ? 10 : 3000);

            len += (size_t) snprintf(raw + len, 64,
                                     lb_test_rand() % 2 ? "%zx" : "%zX", n);
            if (lb_test_rand() % 4 == 0) {
                len += (size_t) snprintf(raw + len, 64, " ;x=\"%u\";y",
                                         round);
            }
            memcpy(raw + len, "\r\n", 2);
            len += 2;

            for (i = 0; i < n; i++) {
                want[wlen + i] = (u_char) lb_test_rand();
            }
            memcpy(raw + len, want + wlen, n);
            len += n;
            wlen += n;
            memcpy(raw + len, "\r\n", 2);
            len += 2;
        }

        len += (size_t) snprintf(raw + len, 64, "0\r\n%s\r\n",
                                 lb_test_rand() % 2 ? "T: v\r\n" : "");

        d = check(raw, len, NULL, LB_DONE, NULL, __LINE__);
        assert_int_equal(d->consumed, len);
        assert_int_equal(d->data_len, wlen);
        assert_memory_equal(d->data, want, wlen);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_data_crlf),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_trailers),
        cmocka_unit_test(test_sticky),
        cmocka_unit_test(test_span_array),
        cmocka_unit_test(test_random),
    };

    lb_test_srand(0x2545f4914f6cdd1dULL);

    return cmocka_run_group_tests_name("lb_http_chunked", tests, NULL, NULL);
}
