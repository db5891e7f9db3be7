/* weir: fuzz target for the response head parser (lb_http_parse_response):
 * what a target sends back is peer-controlled input.
 *
 * Input: byte 0 the request method (mod LB_HTTP_METHOD_N), byte 1 the
 * limits and the split seed, the rest the bytes the target sent. The
 * parser is run on the whole input, on pieces of pseudo-random sizes
 * (1..16 bytes more per call) and one byte at a time; all three must
 * agree. On LB_OK the head must be consistent: spans inside the head, the
 * head ending in CRLF CRLF, names that are tokens and trimmed values
 * without CR, LF or NUL, first[] pointing at the first field of each id,
 * Content-Length equal to the field's digits, and the body framing the one
 * RFC 9112 6.3 gives for the method and code. A 1xx other than 101 is
 * complete on its own: what follows is parsed as the next response, as
 * the proxy does. On LB_ERROR the status is 502 and the reason the rule's.
 */
#include "lb_fuzz.h"

#include "lb_http_parse.h"

#define NH        32
#define INTERIM   4

static size_t fuzz_response(const uint8_t *p, size_t len,
    lb_http_method_e meth, unsigned flags);
static lb_int_t fuzz_split(lb_http_msg_t *m, const uint8_t *p, size_t len,
    lb_http_method_e meth, unsigned seed);
static void fuzz_check_ok(const lb_http_msg_t *m, const uint8_t *p,
    size_t len, lb_http_method_e meth);
static void fuzz_span(lb_http_span_t s, size_t len);

static const lb_http_limits_t  fuzz_small = { 64, 64, 256 };


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t             n, off, len;
    uint8_t           *p;
    unsigned           flags, i;
    fuzz_in_t          in;
    lb_http_method_e   meth;

    in.p = data;
    in.left = size;

    meth = (lb_http_method_e) (fuzz_u8(&in) % LB_HTTP_METHOD_N);
    flags = fuzz_u8(&in);

    p = fuzz_dup(&in, in.left, &len);
    if (p == NULL) {
        return 0;
    }

    /* interim responses (1xx but 101) are followed by more */
    off = 0;

    for (i = 0; i < INTERIM && off <= len; i++) {
        n = fuzz_response(p + off, len - off, meth, flags);
        if (n == 0) {
            break;
        }
        off += n;
    }

    free(p);

    return 0;
}


/* One response head at p; returns its length when it is a complete 1xx
 * other than 101 (the next head follows), else 0. */
static size_t
fuzz_response(const uint8_t *p, size_t len, lb_http_method_e meth,
    unsigned flags)
{
    lb_int_t                 rc, rc2, rc3;
    lb_http_msg_t            m, m2, m3;
    lb_http_header_t         h[NH], h2[NH], h3[NH];
    const lb_http_limits_t  *l;

    l = (flags & 1) ? &fuzz_small : NULL;

    lb_http_msg_init(&m, h, NH, l);
    rc = lb_http_parse_response(&m, meth, p, p + len);

    /* the same again: a finished parse keeps its answer */
    fuzz_assert(lb_http_parse_response(&m, meth, p, p + len) == rc);

    lb_http_msg_init(&m2, h2, NH, l);
    rc2 = fuzz_split(&m2, p, len, meth, flags >> 1);
    fuzz_assert(rc == rc2);

    if (len <= 2048) {
        lb_http_msg_init(&m3, h3, NH, l);
        rc3 = fuzz_split(&m3, p, len, meth, 0);
        fuzz_assert(rc == rc3);
        fuzz_assert(rc != LB_ERROR || m.err == m3.err);
        fuzz_assert(rc != LB_OK || m.head_len == m3.head_len);
    }

    if (rc == LB_AGAIN) {
        return 0;
    }

    if (rc == LB_ERROR) {
        fuzz_assert(m.err == m2.err);
        fuzz_assert(m.err > LB_HTTP_ERR_NONE && m.err < LB_HTTP_ERR_N);
        fuzz_assert(m.status == 502);
        fuzz_assert(m.reason != NULL);
        return 0;
    }

    fuzz_assert(rc == LB_OK);
    fuzz_assert(m.head_len == m2.head_len && m.code == m2.code
                && m.body == m2.body && m.nheaders == m2.nheaders
                && m.keep_alive == m2.keep_alive
                && m.content_length == m2.content_length);
    fuzz_assert(memcmp(h, h2, m.nheaders * sizeof(lb_http_header_t)) == 0);

    fuzz_check_ok(&m, p, len, meth);

    if (m.code < 200 && m.code != 101) {
        return m.head_len;
    }

    return 0;
}


/* Feed [p, p + len) in pieces: seed 0 one byte at a time, else
 * pseudo-random sizes of 1..16. */
static lb_int_t
fuzz_split(lb_http_msg_t *m, const uint8_t *p, size_t len,
    lb_http_method_e meth, unsigned seed)
{
    size_t    n;
    uint32_t  x;
    lb_int_t  rc;

    x = seed * 2654435761u + 1;
    n = 0;

    for ( ;; ) {
        rc = lb_http_parse_response(m, meth, p, p + n);

        if (rc != LB_AGAIN || n == len) {
            return rc;
        }

        x = x * 1103515245u + 12345;
        n += seed ? 1 + (x >> 16) % 16 : 1;
        n = n > len ? len : n;
    }
}


static void
fuzz_check_ok(const lb_http_msg_t *m, const uint8_t *p, size_t len,
    lb_http_method_e meth)
{
    uint32_t                 i, k;
    uint64_t                 cl;
    lb_http_body_e           want;
    const uint8_t           *v;
    const lb_http_header_t  *h;

    fuzz_assert(m->head_len >= 16 && m->head_len <= len);
    fuzz_assert(memcmp(p + m->head_len - 4, "\r\n\r\n", 4) == 0);
    fuzz_assert(m->code >= 100 && m->code <= 599);
    fuzz_assert(m->version == 10 || m->version == 11);
    fuzz_assert(m->nheaders <= NH);
    fuzz_assert(!m->has_te || !m->has_content_length);

    fuzz_span(m->start_line, m->head_len);
    fuzz_span(m->reason_phrase, m->head_len);
    fuzz_assert(m->start_line.len >= 12);
    fuzz_assert(memcmp(p + m->start_line.off, "HTTP/1.", 7) == 0);
    fuzz_assert((unsigned) (p[m->start_line.off + 9] - '0') * 100
                + (unsigned) (p[m->start_line.off + 10] - '0') * 10
                + (unsigned) (p[m->start_line.off + 11] - '0') == m->code);

    for (i = 0; i < m->nheaders; i++) {
        h = &m->headers[i];

        fuzz_span(h->name, m->head_len);
        fuzz_span(h->value, m->head_len);
        fuzz_assert(h->name.len > 0);
        fuzz_assert(h->id == lb_http_header_id(p + h->name.off,
                                               h->name.len));

        for (k = 0; k < h->name.len; k++) {
            fuzz_assert(lb_http_is_tchar(p[h->name.off + k]));
        }

        v = p + h->value.off;

        for (k = 0; k < h->value.len; k++) {
            fuzz_assert(v[k] != '\r' && v[k] != '\n' && v[k] != '\0');
        }

        if (h->value.len) {
            fuzz_assert(v[0] != ' ' && v[0] != '\t');
            fuzz_assert(v[h->value.len - 1] != ' '
                        && v[h->value.len - 1] != '\t');
        }
    }

    /* first[id]: the first field line with that id */
    for (k = 1; k < LB_HTTP_HDR_N; k++) {
        h = lb_http_header_first(m, (lb_http_hdr_e) k);

        for (i = 0; i < m->nheaders; i++) {
            if (m->headers[i].id == k) {
                break;
            }
        }

        if (i == m->nheaders) {
            fuzz_assert(h == NULL);
        } else {
            fuzz_assert(h == &m->headers[i]);
        }
    }

    h = lb_http_header_first(m, LB_HTTP_HDR_CONTENT_LENGTH);
    fuzz_assert(m->has_content_length == (h != NULL));

    if (h != NULL) {
        cl = 0;
        for (k = 0; k < h->value.len; k++) {
            fuzz_assert(p[h->value.off + k] >= '0'
                        && p[h->value.off + k] <= '9');
            cl = cl * 10 + (uint64_t) (p[h->value.off + k] - '0');
        }
        fuzz_assert(h->value.len > 0 && cl == m->content_length);
    }

    fuzz_assert(m->has_te
                == (lb_http_header_first(m, LB_HTTP_HDR_TRANSFER_ENCODING)
                    != NULL));

    /* RFC 9112 6.3, in its order */
    if (m->code < 200) {
        want = m->code == 101 ? LB_HTTP_BODY_TUNNEL : LB_HTTP_BODY_NONE;
    } else if (meth == LB_HTTP_METHOD_HEAD || m->code == 204
               || m->code == 304)
    {
        want = LB_HTTP_BODY_NONE;
    } else if (meth == LB_HTTP_METHOD_CONNECT && m->code < 300) {
        want = LB_HTTP_BODY_TUNNEL;
    } else if (m->has_te) {
        want = m->te_last_chunked ? LB_HTTP_BODY_CHUNKED : LB_HTTP_BODY_CLOSE;
    } else if (m->has_content_length) {
        want = LB_HTTP_BODY_LENGTH;
    } else {
        want = LB_HTTP_BODY_CLOSE;
    }

    fuzz_assert(m->body == want);

    if (m->has_te) {
        fuzz_assert(m->version == 11);
    }

    if (m->body == LB_HTTP_BODY_CLOSE || m->body == LB_HTTP_BODY_TUNNEL) {
        fuzz_assert(!m->keep_alive);
    }

    if (m->conn_close) {
        fuzz_assert(!m->keep_alive);
    }
}


static void
fuzz_span(lb_http_span_t s, size_t len)
{
    fuzz_assert(s.off <= len && s.len <= len - s.off);
}
