/* weir: fuzz target for the response side of HTTP/2 towards targets
 * (lb_http2_upstream_frame.c): the frames an h2 target sends back on a
 * request's stream are peer-controlled input; nghttp2 takes them apart,
 * weir's callbacks turn them into the HTTP/1.1 text the rest of the proxy
 * reads (lb_http2_upstream_recv()).
 *
 * Input: byte 0 flags (bit 0: the request is a HEAD; bits 1-3: how many
 * bytes lb_http2_upstream_recv() gets per call, 1 << (4 + n)), then the
 * target's bytes after its (empty) SETTINGS frame, fed to nghttp2 in one
 * go as a connection would.
 *
 * Checks: lb_http2_upstream_recv() writes only into the room it is given
 * (ASan) and moves forward; what it gives, read by the HTTP/1.1 response
 * parser (interim heads skipped as the proxy does), is a valid response
 * head unless a field or the head passes the parser's limits (a 502 in
 * the proxy, by design), and its body passes the body code without error;
 * when the stream ended and its end was given, the body is complete. */
#define LB_FUZZ_HAS_INIT 1

#include "lb_fuzz.h"

#include "lb_http2_upstream.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_log.h"

#define OUT_MAX  (256 * 1024)

static nghttp2_session_callbacks  *fuzz_cb;
static nghttp2_option             *fuzz_opt;
static lb_http2_up_conn_t          fuzz_hc;
static lb_http2_up_stream_t        fuzz_st;
static lb_http_session_t           fuzz_s;
static u_char                      fuzz_out[OUT_MAX];
static u_char                      fuzz_room[4096];

static void fuzz_check(const u_char *p, size_t len, lb_http_method_e meth,
    bool ended);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* no session here has a client to log about */
    lb_log.level = LB_LOG_EMERG;

    if (nghttp2_session_callbacks_new(&fuzz_cb) != 0
        || nghttp2_option_new(&fuzz_opt) != 0)
    {
        abort();
    }

    lb_http2_up_callbacks_set(fuzz_cb);
    nghttp2_option_set_no_auto_window_update(fuzz_opt, 1);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                err;
    size_t             len, step;
    ssize_t            n;
    int32_t            id;
    uint8_t           *in;
    unsigned           flags;
    fuzz_in_t          fin;
    lb_http_buf_t      b;
    const uint8_t     *frame;
    nghttp2_session   *ng;

    static const uint8_t  settings[9] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };

    nghttp2_nv  nv[] = {
        { (uint8_t *) ":method", (uint8_t *) "GET", 7, 3, 0 },
        { (uint8_t *) ":scheme", (uint8_t *) "http", 7, 4, 0 },
        { (uint8_t *) ":authority", (uint8_t *) "t", 10, 1, 0 },
        { (uint8_t *) ":path", (uint8_t *) "/", 5, 1, 0 },
    };

    fin.p = data;
    fin.left = size;
    flags = fuzz_u8(&fin);
    step = (size_t) 1 << (4 + ((flags >> 1) & 7));

    if (flags & 1) {
        nv[0].value = (uint8_t *) "HEAD";
        nv[0].valuelen = 4;
    }

    memset(&fuzz_hc, 0, sizeof(fuzz_hc));
    memset(&fuzz_s, 0, sizeof(fuzz_s));
    memset(&fuzz_st, 0, offsetof(lb_http2_up_stream_t, nv));
    lb_http_list_init(&fuzz_hc.streams);
    lb_http_list_init(&fuzz_hc.notify);

    fuzz_s.h2 = &fuzz_st;
    fuzz_s.req.method = (flags & 1) ? LB_HTTP_METHOD_HEAD
                                    : LB_HTTP_METHOD_GET;
    fuzz_st.conn = &fuzz_hc;
    fuzz_st.s = &fuzz_s;
    lb_http_list_push(&fuzz_hc.streams, &fuzz_st.link);
    fuzz_hc.nstreams = 1;
    fuzz_hc.ready = 1;

    if (nghttp2_session_client_new3(&ng, fuzz_cb, &fuzz_hc, fuzz_opt,
                                    lb_http2_mem()) != 0)
    {
        abort();
    }

    fuzz_hc.ng = ng;

    id = nghttp2_submit_request(ng, NULL, nv, 4, NULL, &fuzz_st);
    fuzz_assert(id == 1);
    fuzz_st.id = id;

    /* the preface and the request: the stream is open */
    while (nghttp2_session_mem_send(ng, &frame) > 0) {
        /* void */
    }

    len = fin.left + sizeof(settings);
    in = malloc(len);
    if (in == NULL) {
        nghttp2_session_del(ng);
        return 0;
    }

    memcpy(in, settings, sizeof(settings));
    memcpy(in + sizeof(settings), fin.p, fin.left);

    (void) nghttp2_session_mem_recv(ng, in, len);
    free(in);

    /* what weir makes of it, a piece at a time */
    len = 0;

    for ( ;; ) {
        b.start = b.pos = b.last = fuzz_room;
        b.end = fuzz_room + lb_min(step, sizeof(fuzz_room));

        n = lb_http2_upstream_recv(&fuzz_s, &b, &err);

        if (n == LB_AGAIN || n == LB_ERROR) {
            fuzz_assert(b.last == fuzz_room);
            break;
        }

        fuzz_assert(n > 0 && b.last == fuzz_room + n
                    && b.last <= b.end);

        if (len + (size_t) n > sizeof(fuzz_out)) {
            break;
        }

        memcpy(fuzz_out + len, fuzz_room, (size_t) n);
        len += (size_t) n;
    }

    fuzz_check(fuzz_out, len, fuzz_s.req.method,
               fuzz_st.eos && fuzz_st.tail_done);

    nghttp2_session_del(ng);

    return 0;
}


/* the HTTP/1.1 text: heads that parse (interim ones skipped), a body
 * whose framing holds */
static void
fuzz_check(const u_char *p, size_t len, lb_http_method_e meth, bool ended)
{
    lb_int_t           rc;
    const char        *reason;
    lb_http_msg_t      m;
    lb_http_buf_t      b;
    lb_http_body_t     body;
    lb_http_header_t   h[LB_HTTP_HEADERS];

    for ( ;; ) {
        if (len == 0) {
            return;
        }

        lb_http_msg_init(&m, h, LB_HTTP_HEADERS, NULL);
        rc = lb_http_parse_response(&m, meth, p, p + len);

        if (rc == LB_AGAIN) {
            /* a head cut short: only when the stream did not end well */
            fuzz_assert(!ended);
            return;
        }

        if (rc == LB_ERROR) {
            /* the parser's limits, which a target may pass: a 502 */
            fuzz_assert(m.err == LB_HTTP_ERR_HEAD_TOO_LARGE
                        || m.err == LB_HTTP_ERR_FIELD_TOO_LONG
                        || m.err == LB_HTTP_ERR_TOO_MANY_HEADERS
                        || m.err == LB_HTTP_ERR_CL_DUPLICATE);
            return;
        }

        if (m.code >= 200 || m.code == 101) {
            break;
        }

        p += m.head_len;
        len -= m.head_len;
    }

    b.start = (u_char *) p;
    b.pos = (u_char *) p + m.head_len;
    b.last = (u_char *) p + len;
    b.end = b.last;

    lb_http_body_init(&body, &m, &b);
    fuzz_assert(lb_http_body_parse(&body, &b, &reason) == LB_OK);

    if (ended) {
        fuzz_assert(body.done);
        fuzz_assert(body.ready == b.last);
    }
}
