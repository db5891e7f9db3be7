/* weir: fuzz target for the heads the L7 proxy writes (lb_http_headers.c):
 * a client's request as it goes to a target and a target's response as it
 * goes to the client. Both are made of peer bytes, so what weir writes
 * must be HTTP the next hop reads as weir meant it.
 *
 * Input: byte 0 what the proxy adds to a request (X-Forwarded-For mode,
 * -Proto, -Port, the scheme, weir's sticky cookie to strip), byte 1 what
 * it adds to a response (client version, keep-alive, dechunk, a
 * Set-Cookie) and whether the message is a response, byte 2 the request
 * method of a response, byte 3 the room in the output buffer, then the
 * message.
 *
 * A message weir's parser takes is written into a buffer of exactly that
 * room (LB_DECLINED when it does not fit, and no byte past it), and what
 * is written must parse again, whole, as HTTP/1.1 with the same method
 * and origin-form path (a request) or code (a response), the same body
 * framing (chunked stays chunked unless taken out for an HTTP/1.0 client;
 * Content-Length the same), one Host equal to the one meant, no
 * hop-by-hop field but the Connection weir adds (upgrade, close,
 * keep-alive), X-Forwarded-Proto/-Port once and as configured, the
 * client's address last in X-Forwarded-For, weir's cookie gone, and its
 * Set-Cookie there when given. */
#include "lb_fuzz.h"

#include "lb_http_cookie.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"

#define NH    32
#define NH2   64

#define FUZZ_COOKIE  "WEIRID"

static void fuzz_request_out(const u_char *p, size_t len, unsigned rf,
    size_t room);
static void fuzz_response_out(const u_char *p, size_t len, unsigned sf,
    lb_http_method_e meth, size_t room);
static uint32_t fuzz_count(const lb_http_msg_t *m, lb_http_hdr_e id);
static bool fuzz_value_is(const lb_http_msg_t *m, const u_char *p,
    lb_http_hdr_e id, const char *v);
static bool fuzz_eq(const u_char *a, lb_http_span_t x, const u_char *b,
    lb_http_span_t y);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t            len, room;
    u_char           *p;
    unsigned          rf, sf;
    fuzz_in_t         in;
    lb_http_method_e  meth;

    in.p = data;
    in.left = size;

    rf = fuzz_u8(&in);
    sf = fuzz_u8(&in);
    meth = (lb_http_method_e) (fuzz_u8(&in) % LB_HTTP_METHOD_N);
    room = fuzz_u8(&in);

    p = fuzz_dup(&in, in.left, &len);
    if (p == NULL) {
        return 0;
    }

    /* room: mostly plenty, sometimes a few bytes either side of it */
    room = (room & 0x80) ? len + 512 : (room & 0x7f) * 16;

    if (sf & 0x80) {
        fuzz_response_out(p, len, sf, meth, room);
    } else {
        fuzz_request_out(p, len, rf, room);
    }

    free(p);

    return 0;
}


static void
fuzz_request_out(const u_char *p, size_t len, unsigned rf, size_t room)
{
    size_t                  n;
    u_char                 *buf;
    lb_int_t                rc;
    lb_http_buf_t           out;
    lb_http_msg_t           m, m2;
    lb_http_span_t          v;
    lb_http_header_t        h[NH], h2[NH2], *x;
    const lb_http_header_t  *hh;
    lb_http_req_rewrite_t   rw;

    lb_http_msg_init(&m, h, NH, NULL);

    /* CONNECT is answered 405 (lb_http_request.c): never forwarded */
    if (lb_http_parse_request(&m, p, p + len) != LB_OK
        || m.method == LB_HTTP_METHOD_CONNECT)
    {
        return;
    }

    /* issue 13 defect 10 (absolute-form with a query and no path went on
     * as "GET ?x=1") is fixed: the seed known-absolute-query-no-path
     * checks that it stays so */

    memset(&rw, 0, sizeof(rw));
    rw.xff = (lb_xff_mode_e) (rf % 3);
    rw.xfp = (rf >> 2) & 1;
    rw.xfport = (rf >> 3) & 1;
    rw.https = (rf >> 4) & 1;
    rw.port = 8443;
    rw.client_ip = (rf & 0x20) ? "2001:db8::1" : "192.0.2.1";

    /* as lb_http_request_head_out() does */
    if (m.first[LB_HTTP_HDR_HOST] == 0) {
        rw.host = (rf & 0x20) ? "[::1]:8443" : "127.0.0.1:8443";
    }

    if (rf & 0x40) {
        rw.strip_cookie = (const u_char *) FUZZ_COOKIE;
        rw.strip_cookie_len = sizeof(FUZZ_COOKIE) - 1;
    }

    buf = malloc(room ? room : 1);
    fuzz_assert(buf != NULL);

    out.start = buf;
    out.pos = buf;
    out.last = buf;
    out.end = buf + room;

    rc = lb_http_request_head(&m, p, &rw, &out);

    fuzz_assert(out.last >= buf && out.last <= out.end);

    if (rc == LB_DECLINED) {
        free(buf);
        return;
    }

    fuzz_assert(rc == LB_OK);

    n = (size_t) (out.last - buf);

    lb_http_msg_init(&m2, h2, NH2, NULL);
    rc = lb_http_parse_request(&m2, buf, buf + n);

    if (rc != LB_OK) {
        fprintf(stderr, "weir forwards a request it would refuse "
                "(%s):\n%.*s\n", rc == LB_ERROR ? m2.reason : "incomplete",
                (int) n, buf);
        fuzz_assert(rc == LB_OK);
    }

    fuzz_assert(m2.head_len == n);
    fuzz_assert(m2.version == 11);
    fuzz_assert(fuzz_eq(p, m.method_text, buf, m2.method_text));
    fuzz_assert(m2.target_form == m.target_form
                || (m.target_form == LB_HTTP_TARGET_ABSOLUTE
                    && m2.target_form == LB_HTTP_TARGET_ORIGIN));

    if (m.target_form == LB_HTTP_TARGET_ORIGIN
        || m.target_form == LB_HTTP_TARGET_ASTERISK)
    {
        fuzz_assert(fuzz_eq(p, m.target, buf, m2.target));
    }

    /* framing: what the target reads is what weir checks */
    fuzz_assert(m2.body == m.body);
    fuzz_assert(m2.body != LB_HTTP_BODY_LENGTH
                || m2.content_length == m.content_length);

    /* the host meant */
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_HOST) == 1);

    if (m.target_form != LB_HTTP_TARGET_ABSOLUTE
        && m.first[LB_HTTP_HDR_HOST] != 0)
    {
        hh = lb_http_header_first(&m, LB_HTTP_HDR_HOST);
        x = lb_http_header_first(&m2, LB_HTTP_HDR_HOST);
        fuzz_assert(fuzz_eq(p, hh->value, buf, x->value));
    }

    if (m.host.len) {
        fuzz_assert(fuzz_eq(p, m.host, buf, m2.host));
    }

    /* hop-by-hop fields: only weir's own Connection: upgrade */
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_KEEP_ALIVE) == 0);
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_PROXY_CONNECTION) == 0);
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_TE) == 0);
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_CONNECTION) == m.upgrade);
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_UPGRADE)
                == (m.upgrade ? fuzz_count(&m, LB_HTTP_HDR_UPGRADE) : 0));
    fuzz_assert(m2.upgrade == m.upgrade);
    fuzz_assert(m2.keep_alive);

    if (rw.xfp) {
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_X_FORWARDED_PROTO) == 1);
        fuzz_assert(fuzz_value_is(&m2, buf, LB_HTTP_HDR_X_FORWARDED_PROTO,
                                  rw.https ? "https" : "http"));
    }

    if (rw.xfport) {
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_X_FORWARDED_PORT) == 1);
        fuzz_assert(fuzz_value_is(&m2, buf, LB_HTTP_HDR_X_FORWARDED_PORT,
                                  "8443"));
    }

    if (rw.xff == LB_XFF_TRUE) {
        /* one field, the client last */
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_X_FORWARDED_FOR) == 1);
        x = lb_http_header_first(&m2, LB_HTTP_HDR_X_FORWARDED_FOR);
        n = strlen(rw.client_ip);
        fuzz_assert(x->value.len >= n
                    && memcmp(buf + x->value.off + x->value.len - n,
                              rw.client_ip, n) == 0);

    } else if (rw.xff == LB_XFF_REMOVE) {
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_X_FORWARDED_FOR) == 0);
    }

    if (rw.strip_cookie != NULL) {
        for (x = h2; x < h2 + m2.nheaders; x++) {
            if (x->id == LB_HTTP_HDR_COOKIE) {
                fuzz_assert(lb_http_cookie_find(buf + x->value.off,
                                                x->value.len,
                                                rw.strip_cookie,
                                                rw.strip_cookie_len, &v)
                            == LB_DECLINED);
            }
        }
    }

    free(buf);
}


static void
fuzz_response_out(const u_char *p, size_t len, unsigned sf,
    lb_http_method_e meth, size_t room)
{
    size_t                   n, clen;
    u_char                  *buf, cookie[128];
    lb_int_t                 rc;
    lb_http_buf_t            out;
    lb_http_msg_t            m, m2;
    lb_http_header_t         h[NH], h2[NH2], *x;
    lb_http_cookie_spec_t    spec;
    lb_http_resp_rewrite_t   rw;

    lb_http_msg_init(&m, h, NH, NULL);

    if (lb_http_parse_response(&m, meth, p, p + len) != LB_OK) {
        return;
    }

    memset(&rw, 0, sizeof(rw));
    rw.client_version = (sf & 1) ? 10 : 11;
    rw.keep_alive = (sf >> 1) & 1;
    /* as lb_http_response_head_done() does: only a chunked body to an
     * HTTP/1.0 client loses its framing */
    rw.dechunk = (sf & 4) && m.chunked && rw.client_version == 10;

    if (sf & 8) {
        memset(&spec, 0, sizeof(spec));
        spec.name = (const u_char *) FUZZ_COOKIE;
        spec.name_len = sizeof(FUZZ_COOKIE) - 1;
        spec.value = (const u_char *) "t0.abcdef";
        spec.value_len = 9;
        spec.max_age = 3600;
        fuzz_assert(lb_http_set_cookie_build(cookie, sizeof(cookie), &clen,
                                             &spec) == LB_OK);
        rw.set_cookie = cookie;
        rw.set_cookie_len = clen;
    }

    buf = malloc(room ? room : 1);
    fuzz_assert(buf != NULL);

    out.start = buf;
    out.pos = buf;
    out.last = buf;
    out.end = buf + room;

    rc = lb_http_response_head(&m, p, &rw, &out);

    fuzz_assert(out.last >= buf && out.last <= out.end);

    if (rc == LB_DECLINED) {
        free(buf);
        return;
    }

    fuzz_assert(rc == LB_OK);

    n = (size_t) (out.last - buf);

    lb_http_msg_init(&m2, h2, NH2, NULL);
    rc = lb_http_parse_response(&m2, meth, buf, buf + n);

    if (rc != LB_OK) {
        fprintf(stderr, "weir sends a response it would refuse "
                "(%s):\n%.*s\n", rc == LB_ERROR ? m2.reason : "incomplete",
                (int) n, buf);
        fuzz_assert(rc == LB_OK);
    }

    fuzz_assert(m2.head_len == n);
    fuzz_assert(m2.version == 11);
    fuzz_assert(m2.code == m.code);
    fuzz_assert(fuzz_eq(p, m.reason_phrase, buf, m2.reason_phrase));

    if (rw.dechunk) {
        fuzz_assert(m2.body == LB_HTTP_BODY_CLOSE);
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_TRANSFER_ENCODING) == 0);

    } else {
        fuzz_assert(m2.body == m.body);
        fuzz_assert(m2.body != LB_HTTP_BODY_LENGTH
                    || m2.content_length == m.content_length);
    }

    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_KEEP_ALIVE) == 0);
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_PROXY_CONNECTION) == 0);
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_TE) == 0);
    fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_CONNECTION) <= 1);

    if (m.code == 101) {
        fuzz_assert(fuzz_value_is(&m2, buf, LB_HTTP_HDR_CONNECTION,
                                  "upgrade"));
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_UPGRADE)
                    == fuzz_count(&m, LB_HTTP_HDR_UPGRADE));

    } else if (m.code >= 200) {
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_UPGRADE) == 0);

        if (!rw.keep_alive) {
            fuzz_assert(fuzz_value_is(&m2, buf, LB_HTTP_HDR_CONNECTION,
                                      "close"));
            fuzz_assert(!m2.keep_alive);

        } else if (rw.client_version == 10) {
            fuzz_assert(fuzz_value_is(&m2, buf, LB_HTTP_HDR_CONNECTION,
                                      "keep-alive"));

        } else {
            fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_CONNECTION) == 0);
        }
    }

    if (rw.set_cookie != NULL && m.code >= 200) {
        fuzz_assert(fuzz_count(&m2, LB_HTTP_HDR_SET_COOKIE)
                    == fuzz_count(&m, LB_HTTP_HDR_SET_COOKIE) + 1);

        for (x = h2; x < h2 + m2.nheaders; x++) {
            if (x->id == LB_HTTP_HDR_SET_COOKIE
                && x->value.len == rw.set_cookie_len
                && memcmp(buf + x->value.off, cookie, clen) == 0)
            {
                break;
            }
        }

        fuzz_assert(x < h2 + m2.nheaders);
    }

    free(buf);
}


static uint32_t
fuzz_count(const lb_http_msg_t *m, lb_http_hdr_e id)
{
    uint32_t  i, n;

    n = 0;

    for (i = 0; i < m->nheaders; i++) {
        n += (m->headers[i].id == id);
    }

    return n;
}


/* one field with id, its value v (ASCII case ignored) */
static bool
fuzz_value_is(const lb_http_msg_t *m, const u_char *p, lb_http_hdr_e id,
    const char *v)
{
    const lb_http_header_t  *h;

    h = lb_http_header_first(m, id);

    return h != NULL && h->value.len == strlen(v)
           && lb_http_ieq(p + h->value.off, v, h->value.len);
}


static bool
fuzz_eq(const u_char *a, lb_http_span_t x, const u_char *b,
    lb_http_span_t y)
{
    return x.len == y.len && memcmp(a + x.off, b + y.off, x.len) == 0;
}
