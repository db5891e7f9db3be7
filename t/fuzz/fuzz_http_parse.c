/* weir: fuzz target for the HTTP/1.1 parsers (lb_http_parse,
 * lb_http_chunked, lb_http_cookie). Not built by the default build.
 *
 * The first input byte picks what runs and how the input is split; the rest
 * is the message. Besides memory errors (ASan, UBSan) the target aborts
 * when a parser breaks its own contract: results that depend on how the
 * input was split, spans outside the input, consumed counts out of range.
 *
 * For requests, the head must also be consistent: the method id that of
 * its token, a request-target of visible ASCII without '#', the form the
 * method allows (asterisk: OPTIONS, authority: CONNECT), the path inside
 * the target, a Host for HTTP/1.1 and a port 0..65535, the framing of RFC
 * 9112 6.3 (chunked, else Content-Length, else none) and keep-alive as
 * the version and Connection say.
 *
 * Built and run by `make fuzz` (see t/fuzz/lb_fuzz.h and the root
 * Makefile); replay one input: objs-fuzz/fuzz_http_parse FILE.
 */
#include "lb_fuzz.h"

#include "lb_http_chunked.h"
#include "lb_http_cookie.h"
#include "lb_http_parse.h"

#define NH  32

static void fuzz_head(const u_char *p, size_t len, unsigned sel);
static lb_int_t fuzz_head_split(lb_http_msg_t *m, lb_http_header_t *h,
    const u_char *p, size_t len, unsigned sel, lb_http_method_e meth,
    unsigned step);
static void fuzz_chunked(const u_char *p, size_t len, unsigned sel);
static void fuzz_cookie(const u_char *p, size_t len);
static void fuzz_span(lb_http_span_t s, size_t len);
static void fuzz_request(const lb_http_msg_t *m, const u_char *p);


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

    if (!(sel & 1)) {
        fuzz_request(&m, p);
    }

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


/* what a complete request head promises the proxy */
static void
fuzz_request(const lb_http_msg_t *m, const u_char *p)
{
    uint32_t     i;
    const char  *name;

    fuzz_assert(m->method_text.len > 0
                && m->method_text.len <= LB_HTTP_MAX_METHOD);

    for (i = 0; i < m->method_text.len; i++) {
        fuzz_assert(lb_http_is_tchar(p[m->method_text.off + i]));
    }

    name = lb_http_method_strs[m->method];
    if (m->method == LB_HTTP_METHOD_OTHER) {
        for (i = 1; i < LB_HTTP_METHOD_N; i++) {
            fuzz_assert(strlen(lb_http_method_strs[i]) != m->method_text.len
                        || memcmp(lb_http_method_strs[i],
                                  p + m->method_text.off,
                                  m->method_text.len) != 0);
        }
    } else {
        fuzz_assert(strlen(name) == m->method_text.len
                    && memcmp(name, p + m->method_text.off,
                              m->method_text.len) == 0);
    }

    fuzz_assert(m->target.len > 0);

    for (i = 0; i < m->target.len; i++) {
        fuzz_assert(p[m->target.off + i] >= 0x21
                    && p[m->target.off + i] <= 0x7e
                    && p[m->target.off + i] != '#');
    }

    switch (m->target_form) {
    case LB_HTTP_TARGET_ORIGIN:
        fuzz_assert(p[m->target.off] == '/');
        fuzz_assert(m->path.off == m->target.off
                    && m->path.len == m->target.len);
        break;
    case LB_HTTP_TARGET_ASTERISK:
        fuzz_assert(m->method == LB_HTTP_METHOD_OPTIONS);
        fuzz_assert(m->target.len == 1 && p[m->target.off] == '*');
        break;
    case LB_HTTP_TARGET_AUTHORITY:
        fuzz_assert(m->method == LB_HTTP_METHOD_CONNECT);
        fuzz_assert(m->host.len > 0);
        break;
    default:
        fuzz_assert(m->target_form == LB_HTTP_TARGET_ABSOLUTE);
        fuzz_assert(m->path.off >= m->target.off
                    && m->path.off + m->path.len
                       == m->target.off + m->target.len);
        fuzz_assert(m->host.len > 0);
        break;
    }

    if (m->method == LB_HTTP_METHOD_CONNECT) {
        fuzz_assert(m->target_form == LB_HTTP_TARGET_AUTHORITY);
    }

    if (m->version == 11) {
        fuzz_assert(m->first[LB_HTTP_HDR_HOST] != 0);
        fuzz_assert(m->keep_alive == !m->conn_close);
    } else {
        fuzz_assert(m->keep_alive == (m->conn_keep_alive && !m->conn_close));
        fuzz_assert(!m->has_te && !m->upgrade);
    }

    fuzz_assert(m->port <= 65535);

    if (m->has_te) {
        fuzz_assert(m->body == LB_HTTP_BODY_CHUNKED && m->chunked);
    } else if (m->has_content_length) {
        fuzz_assert(m->body == LB_HTTP_BODY_LENGTH);
    } else {
        fuzz_assert(m->body == LB_HTTP_BODY_NONE);
    }
}
