/* weir: fuzz target for the chunked transfer coding, both ways through
 * the proxy: lb_http_chunked_parse (request bodies from clients, response
 * bodies from targets) and lb_http_body_parse, which passes a chunked
 * body on as received or takes the framing out in place (a chunked
 * response to an HTTP/1.0 client).
 *
 * Input: byte 0 flags (bit 0: the mode, bit 1: small limits, bits 2-3:
 * spans per call, bit 4: dechunk), byte 1 the split seed, byte 2-3 the
 * buffer size, then the body.
 *
 * Mode 0, arbitrary bytes: the decoder on the whole input with a span
 * array of 1..4 entries (called again while it fills up), and on
 * pseudo-random pieces, must agree on the result, the error, the bytes
 * consumed and the data (the bytes of the spans); the proxy's body loop,
 * fed the same bytes in pieces through a buffer of 64..4159 bytes that is
 * drained and compacted as the proxy does, must forward exactly the
 * consumed bytes (pass-through) or exactly the data (dechunk).
 *
 * Mode 1, a round trip: the input is cut into chunks (sizes, extensions
 * in every form the ABNF allows, upper and lower case hex, leading zeros,
 * trailer fields) that are encoded, followed by what a next message would
 * start with; decoding it must end at exactly the last CRLF with the same
 * data and the trailer section as written. */
#include "lb_fuzz.h"

#include "lb_http_chunked.h"
#include "lb_http_session.h"

#define FUZZ_ENC_MAX  (64 * 1024)

typedef struct {
    lb_int_t   rc;
    lb_http_err_e  err;
    size_t     consumed;
    uint64_t   data_len;
    uint8_t   *data;           /* the data spans, joined */
    size_t     ndata;
    size_t     trailer;        /* bytes of trailer spans */
} fuzz_result_t;

static void fuzz_decode(const uint8_t *p, size_t len, unsigned flags,
    unsigned seed, fuzz_result_t *r);
static void fuzz_limits(lb_http_chunked_t *c, unsigned flags);
static void fuzz_proxy(const uint8_t *p, size_t len, unsigned flags,
    unsigned seed, size_t cap, const fuzz_result_t *ref);
static void fuzz_round_trip(fuzz_in_t *in, unsigned flags);
static uint32_t fuzz_next(uint32_t *x);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          len, cap;
    uint8_t        *p;
    unsigned        flags, seed;
    fuzz_in_t       in;
    fuzz_result_t   whole, split;

    in.p = data;
    in.left = size;

    flags = fuzz_u8(&in);
    seed = fuzz_u8(&in);
    cap = 64 + fuzz_u16(&in) % 4096;

    if (flags & 1) {
        fuzz_round_trip(&in, flags);
        return 0;
    }

    p = fuzz_dup(&in, in.left, &len);
    if (p == NULL) {
        return 0;
    }

    fuzz_decode(p, len, flags, 0, &whole);
    fuzz_decode(p, len, flags, seed | 1, &split);

    fuzz_assert(whole.rc == split.rc);
    fuzz_assert(whole.consumed == split.consumed);
    fuzz_assert(whole.data_len == split.data_len);
    fuzz_assert(whole.ndata == split.ndata && whole.ndata == whole.data_len);
    fuzz_assert(memcmp(whole.data, split.data, whole.ndata) == 0);
    fuzz_assert(whole.trailer == split.trailer);

    if (whole.rc == LB_ERROR) {
        fuzz_assert(whole.err == split.err);
    }

    if (whole.rc == LB_AGAIN) {
        fuzz_assert(whole.consumed == len);
    }

    fuzz_proxy(p, len, flags, seed, cap, &whole);

    free(whole.data);
    free(split.data);
    free(p);

    return 0;
}


/* Decode [p, p + len): seed 0 in one piece, else in pseudo-random pieces
 * of 1..32 bytes; the spans of each call are checked and joined. */
static void
fuzz_decode(const uint8_t *p, size_t len, unsigned flags, unsigned seed,
    fuzz_result_t *r)
{
    size_t                  pos, avail, i;
    uint32_t                x;
    lb_int_t                rc;
    lb_http_span_t          spans[4];
    lb_http_chunked_t       c;
    lb_http_chunked_out_t   out;

    lb_http_chunked_init(&c);
    fuzz_limits(&c, flags);

    memset(r, 0, sizeof(fuzz_result_t));
    r->data = malloc(len ? len : 1);
    fuzz_assert(r->data != NULL);

    x = seed;
    pos = 0;
    avail = seed ? 0 : len;
    rc = LB_AGAIN;

    for ( ;; ) {
        if (seed && avail < len) {
            avail += 1 + fuzz_next(&x) % 32;
            avail = avail > len ? len : avail;
        }

        memset(&out, 0, sizeof(out));
        out.data = spans;
        out.max_data = 1 + (flags >> 2) % 4;

        rc = lb_http_chunked_parse(&c, p + pos, p + avail, &out);

        fuzz_assert(out.consumed <= avail - pos);
        fuzz_assert(out.ndata <= out.max_data);

        for (i = 0; i < out.ndata; i++) {
            fuzz_assert(spans[i].len > 0);
            fuzz_assert(spans[i].off <= out.consumed
                        && spans[i].len <= out.consumed - spans[i].off);
            memcpy(r->data + r->ndata, p + pos + spans[i].off,
                   spans[i].len);
            r->ndata += spans[i].len;
        }

        if (out.trailer.len) {
            fuzz_assert(out.trailer.off <= out.consumed
                        && out.trailer.len
                           <= out.consumed - out.trailer.off);
            r->trailer += out.trailer.len;
        }

        /* LB_AGAIN consumes all unless the spans filled up */
        if (rc == LB_AGAIN && out.ndata < out.max_data) {
            fuzz_assert(out.consumed == avail - pos);
        }

        pos += out.consumed;

        if (rc != LB_AGAIN || (pos == len && avail == len)) {
            break;
        }
    }

    /* a finished decoder keeps its answer and takes nothing more */
    if (rc != LB_AGAIN) {
        memset(&out, 0, sizeof(out));
        fuzz_assert(lb_http_chunked_parse(&c, p + pos, p + len, &out) == rc);
        fuzz_assert(out.consumed == 0 && out.ndata == 0);
    }

    r->rc = rc;
    r->err = c.err;
    r->consumed = pos;
    r->data_len = c.data_len;

    if (rc == LB_ERROR) {
        fuzz_assert(c.err != LB_HTTP_ERR_NONE && c.reason != NULL);
    }
}


static void
fuzz_limits(lb_http_chunked_t *c, unsigned flags)
{
    if (flags & 2) {
        c->max_chunk = 4096;
        c->max_line = 32;
        c->max_trailer = 64;
        c->max_trailers = 2;
    }
}


/* The proxy's loop: bytes arrive in pieces at the end of a buffer of cap
 * bytes; lb_http_body_parse() checks them; [pos, ready) is sent (here:
 * kept) and the buffer compacted when full. */
static void
fuzz_proxy(const uint8_t *p, size_t len, unsigned flags, unsigned seed,
    size_t cap, const fuzz_result_t *ref)
{
    size_t           in, n, nsent;
    uint32_t         x;
    lb_int_t         rc;
    u_char          *buf, *sent;
    const char      *reason;
    lb_http_buf_t    b;
    lb_http_msg_t    m;
    lb_http_body_t   body;

    buf = malloc(cap);
    sent = malloc(len ? len : 1);
    fuzz_assert(buf != NULL && sent != NULL);

    b.start = buf;
    b.pos = buf;
    b.last = buf;
    b.end = buf + cap;

    memset(&m, 0, sizeof(m));
    m.body = LB_HTTP_BODY_CHUNKED;

    lb_http_body_init(&body, &m, &b);
    fuzz_limits(&body.chunked, flags);
    body.dechunk = (flags & 0x10) != 0;

    x = seed;
    in = 0;
    nsent = 0;
    rc = LB_OK;

    while (!body.done && in < len) {
        if (b.last == b.end) {
            /* send what is ready, then make room */
            n = (size_t) (body.ready - b.pos);
            memcpy(sent + nsent, b.pos, n);
            nsent += n;
            b.pos = body.ready;
            lb_http_buf_compact(&b, &body);
            fuzz_assert(b.last < b.end);
        }

        n = 1 + fuzz_next(&x) % 64;
        n = lb_min(n, len - in);
        n = lb_min(n, (size_t) (b.end - b.last));
        memcpy(b.last, p + in, n);
        b.last += n;
        in += n;

        reason = NULL;
        rc = lb_http_body_parse(&body, &b, &reason);

        fuzz_assert(body.ready >= b.pos && body.ready <= b.last);

        if (rc == LB_ERROR) {
            fuzz_assert(reason != NULL);
            break;
        }

        fuzz_assert(rc == LB_OK);

        /* nothing waits unchecked, but what follows the body */
        fuzz_assert(body.ready == b.last || body.done);
    }

    n = (size_t) (body.ready - b.pos);
    memcpy(sent + nsent, b.pos, n);
    nsent += n;

    fuzz_assert((rc == LB_ERROR) == (ref->rc == LB_ERROR));
    fuzz_assert(body.done == (ref->rc == LB_DONE));

    if (body.dechunk) {
        /* the data only, as the decoder found it */
        fuzz_assert(nsent == ref->ndata);
        fuzz_assert(memcmp(sent, ref->data, nsent) == 0);

    } else {
        /* the body as received, up to where it ends or breaks */
        fuzz_assert(nsent == ref->consumed);
        fuzz_assert(memcmp(sent, p, nsent) == 0);
    }

    free(sent);
    free(buf);
}


/* Encode chunks taken from the input, decode them whole and in pieces. */
static void
fuzz_round_trip(fuzz_in_t *in, unsigned flags)
{
    size_t                  n, len, dlen, tlen, k, pos, avail, got;
    uint8_t                 op, *enc, *data;
    uint32_t                x, i;
    lb_int_t                rc;
    unsigned                pass, ntrailers;
    lb_http_span_t          spans[8];
    lb_http_chunked_t       c;
    lb_http_chunked_out_t   out;
    static const char      *exts[] = {
        "", ";a", ";a=b", " ; a = b", ";a=\"q\\\"x\"", ";a=\"\"",
        "\t;x-y=1;z", ";name=\"v a l\""
    };

    enc = malloc(FUZZ_ENC_MAX + 256);
    data = malloc(FUZZ_ENC_MAX);
    fuzz_assert(enc != NULL && data != NULL);

    len = 0;
    dlen = 0;

    for ( ;; ) {
        op = fuzz_u8(in);
        n = fuzz_u8(in);

        if (n == 0 || in->left == 0 || dlen + n > FUZZ_ENC_MAX - 1024) {
            break;
        }

        /* size: hex, its case and leading zeros by op */
        len += (size_t) sprintf((char *) enc + len,
                                (op & 1) ? "%0*zX%s\r\n" : "%0*zx%s\r\n",
                                (op >> 1) & 3, n,
                                exts[(op >> 3) % lb_nelems(exts)]);

        fuzz_bytes(in, data + dlen, n);
        memcpy(enc + len, data + dlen, n);
        len += n;
        dlen += n;
        memcpy(enc + len, "\r\n", 2);
        len += 2;
    }

    len += (size_t) sprintf((char *) enc + len, "0%s\r\n",
                            exts[(flags >> 2) % lb_nelems(exts)]);

    tlen = len;
    ntrailers = (flags >> 5) & 3;

    for (i = 0; i < ntrailers; i++) {
        len += (size_t) sprintf((char *) enc + len, "X-T%u: v%u\r\n", i, i);
    }

    memcpy(enc + len, "\r\n", 2);
    len += 2;
    tlen = len - tlen;

    /* what follows: the next message */
    k = lb_min(in->left, (size_t) 64);
    fuzz_bytes(in, enc + len, k);

    for (pass = 0; pass < 2; pass++) {
        lb_http_chunked_init(&c);

        x = flags;
        pos = 0;
        avail = pass ? 0 : len + k;
        got = 0;
        rc = LB_AGAIN;
        n = 0;

        while (rc == LB_AGAIN) {
            if (pass) {
                avail = lb_min(avail + 1 + fuzz_next(&x) % 16, len + k);
            }

            memset(&out, 0, sizeof(out));
            out.data = spans;
            out.max_data = lb_nelems(spans);

            rc = lb_http_chunked_parse(&c, enc + pos, enc + avail, &out);

            for (i = 0; i < out.ndata; i++) {
                fuzz_assert(got + spans[i].len <= dlen);
                fuzz_assert(memcmp(data + got, enc + pos + spans[i].off,
                                   spans[i].len) == 0);
                got += spans[i].len;
            }

            n += out.trailer.len;
            pos += out.consumed;

            fuzz_assert(rc != LB_AGAIN || pos < len);
        }

        fuzz_assert(rc == LB_DONE);
        fuzz_assert(pos == len);
        fuzz_assert(got == dlen && c.data_len == dlen);
        fuzz_assert(n == tlen);
    }

    free(data);
    free(enc);
}


static uint32_t
fuzz_next(uint32_t *x)
{
    *x = *x * 1103515245u + 12345;
    return *x >> 16;
}
