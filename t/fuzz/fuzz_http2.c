/* weir: fuzz target for the HTTP/2 client side (src/http/lb_http2*.c): what
 * an h2 client sends after the connection preface is peer-controlled
 * input, fed to a real connection (one end of a socket pair, plain: the
 * TLS layer is not what is fuzzed) through lb_http2.c's own handler, in
 * pieces, with nghttp2, weir's limits and the request translation all
 * running. Every stream that gets a request is then served as the HTTP/1.1
 * session would: its request is read back as HTTP/1.1 (head and body,
 * chunked or not) and answered with a response head and body of the
 * input's choosing, then ended.
 *
 * Input: byte 0 the read sizes seed, byte 1 the response's shape, the
 * rest the client's bytes (the preface is sent first).
 *
 * Checks: a request head handed to a session is whole and is one the
 * HTTP/1.1 parser takes or refuses with a status (it never waits for
 * more); a chunked body weir framed (the client's trailers as its chunked
 * trailers) decodes, refused at most for trailer fields HTTP/1.1 does not
 * take (a control character, too many or too large: a 400 then), and
 * ends once the stream's tail was read; a stream gives back no more bytes
 * than fit; nothing crashes, leaks or overflows (ASan/UBSan), and the
 * connection ends closed. */
#include "lb_fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_http_parse.h"
#include "lb_time.h"

/* the files under test, for their statics */
#include "lb_http2.c"
#include "lb_http2_stream.c"

static lb_listener_t   fuzz_listener;
static lb_listening_t  fuzz_listening;

static void fuzz_serve(lb_http2_conn_t *h2, unsigned shape);
static void fuzz_drain(int fd);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    lb_time_update();
    lb_event_timer_init();

    if (lb_connection_init(64) != LB_OK) {
        abort();
    }

    fuzz_listener.name = "fuzz";
    fuzz_listener.protocol = LB_LISTENER_HTTPS;
    fuzz_listener.timeout_client_data = 50000;
    fuzz_listener.timeout_client_header = 10000;
    fuzz_listener.timeout_member_data = 50000;
    fuzz_listener.timeout_member_connect = 5000;
    snprintf(fuzz_listener.addr.text, sizeof(fuzz_listener.addr.text),
             "127.0.0.1:443");
    fuzz_listening.listener = &fuzz_listener;
    fuzz_listening.fd = -1;

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               sp[2];
    size_t            off, n;
    unsigned          seed, shape;
    fuzz_in_t         in;
    lb_connection_t  *c;
    lb_http_conn_t   *hc;
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    in.p = data;
    in.left = size;
    seed = fuzz_u8(&in);
    shape = fuzz_u8(&in);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == -1) {
        return 0;
    }

    c = lb_get_connection(sp[0]);
    if (c == NULL || lb_connection_pool(c, 4096) == NULL) {
        close(sp[0]);
        close(sp[1]);
        return 0;
    }

    c->listening = &fuzz_listening;
    c->read->ready = 0;
    c->write->ready = 1;

    hc = lb_pcalloc(c->pool, sizeof(lb_http_conn_t));
    fuzz_assert(hc != NULL);
    hc->client = c;
    hc->listener = &fuzz_listener;
    hc->start = lb_current_msec;
    c->data = hc;

    lb_http2_init_connection(hc);

    if (write(sp[1], preface, sizeof(preface) - 1) == -1) {
        abort();
    }

    off = 0;

    while (c->fd != -1) {
        if (c->read->posted) {
            lb_event_delete_posted(c->read);
        }

        if (c->write->posted) {
            lb_event_delete_posted(c->write);
        }

        /* the client's next piece: 1..256 bytes, as the seed says */
        n = lb_min(in.left - off, (size_t) 1 + ((seed * 31 + off) % 256));

        if (n == 0 && off == in.left) {
            break;
        }

        if (n && write(sp[1], in.p + off, n) == -1) {
            break;
        }

        off += n;

        c->read->ready = 1;
        c->read->handler(c->read);

        if (c->fd != -1 && c->data != hc) {
            fuzz_serve(c->data, shape);
        }

        if (c->fd != -1) {
            c->write->ready = 1;
            c->write->handler(c->write);
        }

        fuzz_drain(sp[1]);
    }

    if (c->fd != -1) {
        if (c->data == hc) {
            lb_http_conn_close(hc);

        } else {
            lb_http2_close(c->data);
        }
    }

    close(sp[1]);
    lb_connection_reclaim();

    return 0;
}


/* Each stream with a request, as its session would: read the request as
 * HTTP/1.1, answer it, end. */
static void
fuzz_serve(lb_http2_conn_t *h2, unsigned shape)
{
    int                 niov;
    ssize_t             n;
    uint32_t            i, k;
    lb_int_t            rc;
    const char         *why;
    lb_http_buf_t       b;
    lb_http_msg_t       m;
    lb_http_body_t      body;
    lb_http_trailer_t  *t;
    lb_http_link_t     *l;
    lb_http2_stream_t  *st, *todo[LB_HTTP2_MAX_STREAMS];
    lb_http_header_t    h[LB_HTTP_HEADERS];
    lb_http_limits_t    limits = { LB_HTTP_MAX_LINE, LB_HTTP_MAX_FIELD,
                                   LB_HTTP_BUFFER_SIZE };
    struct iovec        iov[2];
    static u_char       buf[LB_HTTP_BUFFER_SIZE * 2];
    static const char  *heads[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n",
        "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 502 Bad Gateway\r\nSet-Cookie: a=b\r\nKeep-Alive: 5\r\n\r\n",
        /* dechunked by the session, its trailers given to the stream */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    };
    static const char   trailers[] = "grpc-status: 0\r\nX-B: c\r\n\r\n";

    k = 0;

    for (l = h2->streams.next; l != &h2->streams; l = l->next) {
        st = lb_http_list_data(l, lb_http2_stream_t, link);

        if (st->started && !st->gone && k < lb_nelems(todo)) {
            todo[k++] = st;
        }
    }

    for (i = 0; i < k; i++) {
        st = todo[i];

        b.start = b.pos = b.last = buf;
        b.end = buf + sizeof(buf);

        while (b.last < b.end) {
            n = lb_http2_stream_recv(&st->c, &b);
            if (n == LB_AGAIN) {
                break;
            }
            fuzz_assert(n > 0 && b.last <= b.end);
        }

        lb_http_msg_init(&m, h, LB_HTTP_HEADERS, &limits);
        rc = lb_http_parse_request(&m, b.start, b.last);
        fuzz_assert(rc == LB_OK || rc == LB_ERROR);

        if (rc == LB_OK && m.body == LB_HTTP_BODY_CHUNKED) {
            b.pos = b.start + m.head_len;
            lb_http_body_init(&body, &m, &b);
            why = NULL;

            if (lb_http_body_parse(&body, &b, &why) != LB_OK) {
                fuzz_assert(body.chunked.err == LB_HTTP_ERR_TRAILER_TOO_LARGE
                            || body.chunked.err == LB_HTTP_ERR_VALUE_CTL);

            } else if (st->last_chunk && b.last < b.end) {
                fuzz_assert(body.done);
            }
        }

        if (shape % lb_nelems(heads) == 4) {
            t = lb_http2_stream_trailer(&st->c);
            t->len = sizeof(trailers) - 1;
            memcpy(t->buf, trailers, t->len);
        }

        niov = 0;
        iov[niov].iov_base = (void *) heads[shape % lb_nelems(heads)];
        iov[niov++].iov_len = strlen(heads[shape % lb_nelems(heads)]);
        iov[niov].iov_base = (void *) "hello";
        iov[niov++].iov_len = 5;

        if (st->ng_closed) {
            /* reset meanwhile: the session sees the close */
            fuzz_assert(lb_http2_stream_send(&st->c, iov, niov) == LB_ERROR);

        } else {
            n = lb_http2_stream_send(&st->c, iov, niov);
            fuzz_assert(n == LB_AGAIN || n == LB_ERROR || n > 0);
            lb_http2_stream_end(&st->c);
        }

        lb_http2_stream_close(&st->hc);
    }
}


static void
fuzz_drain(int fd)
{
    char  b[65536];

    while (read(fd, b, sizeof(b)) > 0) {
        /* what weir sent is not checked here: t/http2_conformance.t */
    }
}
