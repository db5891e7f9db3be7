/* weir: HTTP/2 clients of HTTPS listeners (lb_http2.c), what the other
 * files of the L7 proxy call of it. Each stream of an h2 connection is
 * served by a session of its own, as a client connection of its own
 * would be: its "connection" is a stream connection (c->stream set, no
 * descriptor) whose bytes are the request translated into HTTP/1.1 on
 * the way in and the HTTP/1.1 response weir writes, translated into h2
 * frames on the way out (RFC 9113 section 8). So routing, L7 policies,
 * stickiness, forwarded headers, error pages and the access log are the
 * very code of HTTP/1.1 clients. */
#ifndef LB_HTTP2_H
#define LB_HTTP2_H

#include <sys/types.h>
#include <sys/uio.h>

#include "lb_connection.h"
#include "lb_core_types.h"
#include "lb_http_session_types.h"

/* The TLS handshake of client connection hc chose "h2": serve it as an
 * HTTP/2 connection from now on (hc and its connection are owned by
 * lb_http2.c then, and closed by it with lb_http_conn_close()). */
void lb_http2_init_connection(lb_http_conn_t *hc);

/* lb_http_recv() of a stream connection: the request as HTTP/1.1 bytes,
 * into [b->last, b->end). Returns > 0, or LB_AGAIN (nothing waits:
 * c->read->ready cleared; a post of c->read tells when more came). */
ssize_t lb_http2_stream_recv(lb_connection_t *c, lb_http_buf_t *b);

/* lb_http_send() of a stream connection: the HTTP/1.1 response head
 * (whole, first) and body bytes weir writes, taken as the stream's
 * response as far as there is room. Returns the bytes taken (fewer than
 * offered, or LB_AGAIN, clear c->write->ready; a post of c->write tells
 * when there is room), or LB_ERROR with errno set (the stream is gone). */
ssize_t lb_http2_stream_send(lb_connection_t *c, const struct iovec *iov,
    int niov);

/* Where the trailer section of the response of stream connection c goes
 * (emptied now): it is sent as a trailing HEADERS frame after the last
 * DATA. */
lb_http_trailer_t *lb_http2_stream_trailer(lb_connection_t *c);

/* The response of stream connection c is complete: end the stream once
 * its bytes are out. */
void lb_http2_stream_end(lb_connection_t *c);

/* The session of the stream of hc is over (lb_http_conn_close() of a
 * stream's hc): a stream whose response did not end is reset; its
 * memory goes back to its connection once nghttp2 is done with it. */
void lb_http2_stream_close(lb_http_conn_t *hc);

/* Graceful stop (the worker's tick, while quitting): each h2 connection
 * is told GOAWAY NO_ERROR once and closes when its streams are done. */
void lb_http2_drain(void);

#endif /* LB_HTTP2_H */
