/* weir: fuzz target for the HTTP/1.1 parsers (lb_http_parse,
 * lb_http_chunked, lb_http_cookie). Not built by the default build.
 *
 * The first input byte picks what runs and how the input is split; the rest
 * is the message. Besides memory errors (ASan, UBSan) the target aborts
 * when a parser breaks its own contract: results that depend on how the
 * input was split, spans outside the input, consumed counts out of range.
 *
 * libFuzzer (clang):
 *   ./configure --builddir=objs-fuzz && make -f objs-fuzz/Makefile
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -Iobjs-fuzz -Isrc/core -Isrc/http t/fuzz/fuzz_http_parse.c \
 *       src/http/lb_http_parse.c src/http/lb_http_chunked.c \
 *       src/http/lb_http_cookie.c -o objs-fuzz/fuzz_http_parse
 *   mkdir -p objs-fuzz/corpus
 *   objs-fuzz/fuzz_http_parse -max_len=4096 -timeout=5 objs-fuzz/corpus
 *
 * Without libFuzzer, add -DLB_FUZZ_MAIN (any compiler) to get a program
 * that runs the target once on each file named on its command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_http_chunked.h"
#include "lb_http_cookie.h"
#include "lb_http_parse.h"

#define NH  32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_head(const u_char *p, size_t len, unsigned sel);
static lb_int_t fuzz_head_split(lb_http_msg_t *m, lb_http_header_t *h,
    const u_char *p, size_t len, unsigned sel, lb_http_method_e meth,
    unsigned step);
static void fuzz_chunked(const u_char *p, size_t len, unsigned sel);
static void fuzz_cookie(const u_char *p, size_t len);
static void fuzz_span(lb_http_span_t s, size_t len);

#define fuzz_assert(e)                                                       \
    do {                                                                     \
        if (!(e)) {                                                          \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #e);          \
            abort();                                                         \
        }                                                                    \
    } while (0)


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char    *p;
    unsigned   sel;

    if (size == 0) {
        return 0;
    }

    sel = data[0];

    /* a copy of exactly the message: a read past it is an ASan report */
    p = malloc(size - 1 ? size - 1 : 1);
    if (p == NULL) {
        return 0;
    }
    memcpy(p, data + 1, size - 1);

    switch (sel & 3) {
    case 0:
    case 1:
        fuzz_head(p, size - 1, sel);
        break;
    case 2:
        fuzz_chunked(p, size - 1, sel);
        break;
    default:
        fuzz_cookie(p, size - 1);
        break;
    }

    free(p);

    return 0;
}


/* A request (sel & 1 == 0) or a response: whole and split must agree; a
 * chunked body after the head goes on to the chunked decoder. */
static void
fuzz_head(const u_char *p, size_t len, unsigned sel)
{
    uint32_t                i;
    lb_int_t                rc, rc2;
    lb_http_msg_t           m, m2;
    lb_http_method_e        meth;
    lb_http_header_t        h[NH], h2[NH];
    static const lb_http_limits_t  lim = { 256, 128, 1024 };
    const lb_http_limits_t *l;

    meth = (lb_http_method_e) ((sel >> 2) % LB_HTTP_METHOD_N);
    l = (sel & 0x80) ? &lim : NULL;

    lb_http_msg_init(&m, h, NH, l);
    rc = (sel & 1) ? lb_http_parse_response(&m, meth, p, p + len)
                   : lb_http_parse_request(&m, p, p + len);

    lb_http_msg_init(&m2, h2, NH, l);
    rc2 = fuzz_head_split(&m2, h2, p, len, sel, meth, 1 + (sel >> 4) % 7);

    fuzz_assert(rc == rc2);

    if (rc == LB_ERROR) {
        fuzz_assert(m.err == m2.err && m.status == m2.status);
        fuzz_assert(m.status >= 400 && m.status <= 505);
        fuzz_assert(m.reason != NULL);
        return;
    }

    if (rc != LB_OK) {
        return;
    }

    fuzz_assert(m.head_len <= len && m.head_len == m2.head_len);
    fuzz_assert(m.nheaders == m2.nheaders && m.nheaders <= NH);
    fuzz_assert(memcmp(h, h2, m.nheaders * sizeof(lb_http_header_t)) == 0);
    fuzz_assert(m.body == m2.body && m.keep_alive == m2.keep_alive
                && m.content_length == m2.content_length);
    fuzz_assert(m.version == 10 || m.version == 11);
    fuzz_assert(!m.has_te || !m.has_content_length);

    for (i = 0; i < m.nheaders; i++) {
        fuzz_span(h[i].name, m.head_len);
        fuzz_span(h[i].value, m.head_len);
        fuzz_assert(h[i].name.len > 0);
        fuzz_assert(h[i].id == lb_http_header_id(p + h[i].name.off,
                                                 h[i].name.len));
    }

    fuzz_span(m.start_line, m.head_len);
    fuzz_span(m.target, m.head_len);
    fuzz_span(m.path, m.head_len);
    fuzz_span(m.host, m.head_len);

    if (m.body == LB_HTTP_BODY_CHUNKED) {
        fuzz_chunked(p + m.head_len, len - m.head_len, sel);
    }
}


/* Feed [p, p + len) `step` bytes more on each call. */
static lb_int_t
fuzz_head_split(lb_http_msg_t *m, lb_http_header_t *h, const u_char *p,
    size_t len, unsigned sel, lb_http_method_e meth, unsigned step)
{
    size_t    n;
    lb_int_t  rc;

    for (n = 0; ; n = n + step > len ? len : n + step) {
        rc = (sel & 1) ? lb_http_parse_response(m, meth, p, p + n)
                       : lb_http_parse_request(m, p, p + n);

        if (rc != LB_AGAIN || n == len) {
            return rc;
        }
    }
}


/* A chunked body, whole and one byte at a time, must agree. */
static void
fuzz_chunked(const u_char *p, size_t len, unsigned sel)
{
    size_t                  pos, avail, data1, data2, i;
    lb_int_t                rc1, rc2;
    lb_http_span_t          spans[4];
    lb_http_chunked_t       c1, c2;
    lb_http_chunked_out_t   out;

    lb_http_chunked_init(&c1);
    lb_http_chunked_init(&c2);

    if (sel & 0x40) {
        c1.max_chunk = c2.max_chunk = 4096;
        c1.max_line = c2.max_line = 64;
        c1.max_trailer = c2.max_trailer = 128;
        c1.max_trailers = c2.max_trailers = 4;
    }

    /* whole, with spans, called again while spans fill up */
    pos = 0;
    data1 = 0;

    do {
        memset(&out, 0, sizeof(out));
        out.data = spans;
        out.max_data = lb_nelems(spans);

        rc1 = lb_http_chunked_parse(&c1, p + pos, p + len, &out);

        fuzz_assert(out.consumed <= len - pos);
        fuzz_assert(out.ndata <= out.max_data);

        for (i = 0; i < out.ndata; i++) {
            fuzz_assert(out.data[i].len > 0);
            fuzz_span(out.data[i], out.consumed);
            data1 += out.data[i].len;
        }

        if (out.trailer.len) {
            fuzz_span(out.trailer, out.consumed);
        }

        pos += out.consumed;

    } while (rc1 == LB_AGAIN && out.ndata == out.max_data && pos < len);

    fuzz_assert(data1 == c1.data_len);

    /* byte by byte, without spans */
    data2 = 0;
    avail = 0;
    rc2 = LB_AGAIN;

    for (pos = 0; pos < len; pos += out.consumed) {
        avail = pos + 1;
        memset(&out, 0, sizeof(out));

        rc2 = lb_http_chunked_parse(&c2, p + pos, p + avail, &out);
        if (rc2 != LB_AGAIN) {
            pos += out.consumed;
            break;
        }
    }

    data2 = c2.data_len;

    fuzz_assert(rc1 == rc2);
    fuzz_assert(data1 == data2);

    if (rc1 == LB_ERROR) {
        fuzz_assert(c1.err == c2.err);
    }
}


/* Cookie and Set-Cookie reading never leave the value. */
static void
fuzz_cookie(const u_char *p, size_t len)
{
    size_t                 pos, n;
    lb_http_span_t         v;
    lb_http_cookie_t       c;
    lb_http_set_cookie_t   sc;
    u_char                 buf[512];
    lb_http_cookie_spec_t  spec;

    pos = 0;
    n = 0;

    while (lb_http_cookie_next(p, len, &pos, &c) == LB_OK) {
        fuzz_span(c.name, len);
        fuzz_span(c.value, len);
        fuzz_assert(c.name.len > 0);
        fuzz_assert(pos <= len);
        n++;
        fuzz_assert(n <= len);

        fuzz_assert(lb_http_cookie_find(p, len, p + c.name.off, c.name.len,
                                        &v) == LB_OK);
        fuzz_span(v, len);
    }

    if (lb_http_set_cookie_parse(p, len, &sc) == LB_OK) {
        fuzz_span(sc.name, len);
        fuzz_span(sc.value, len);
        fuzz_span(sc.path, len);
        fuzz_span(sc.domain, len);
        fuzz_span(sc.expires, len);
        fuzz_span(sc.samesite, len);

        /* what is accepted when built reads back the same */
        memset(&spec, 0, sizeof(spec));
        spec.name = p + sc.name.off;
        spec.name_len = sc.name.len;
        spec.value = p + sc.value.off;
        spec.value_len = sc.value.len;
        spec.max_age = 60;

        if (lb_http_set_cookie_build(buf, sizeof(buf), &n, &spec) == LB_OK) {
            fuzz_assert(n <= sizeof(buf));
            fuzz_assert(lb_http_set_cookie_parse(buf, n, &sc) == LB_OK);
            fuzz_assert(sc.name.len == spec.name_len);
            fuzz_assert(memcmp(buf + sc.name.off, spec.name, spec.name_len)
                        == 0);
            fuzz_assert(sc.value.len == spec.value_len);
            fuzz_assert(sc.max_age == 60 && sc.http_only);
        }
    }
}


static void
fuzz_span(lb_http_span_t s, size_t len)
{
    fuzz_assert(s.off <= len && s.len <= len - s.off);
}


#ifdef LB_FUZZ_MAIN

int
main(int argc, char **argv)
{
    int      i;
    long     n;
    FILE    *f;
    uint8_t *buf;

    for (i = 1; i < argc; i++) {
        f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }

        if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) == -1
            || fseek(f, 0, SEEK_SET) == -1)
        {
            perror(argv[i]);
            fclose(f);
            return 1;
        }

        buf = malloc((size_t) n + 1);
        if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
            perror(argv[i]);
            free(buf);
            fclose(f);
            return 1;
        }

        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) n);
        free(buf);
    }

    return 0;
}

#endif
