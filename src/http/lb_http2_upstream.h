/* weir: HTTP/2 towards targets (SPEC 13): target groups with
 * alpn_protocols: [h2] get their requests as streams on a per-worker
 * pool of multiplexed connections per target (TLS with ALPN "h2" for
 * HTTPS groups, prior-knowledge h2c for HTTP groups), with libnghttp2
 * for framing, HPACK and flow control.
 *
 * The interface to the rest of the L7 proxy is the session's: a request
 * whose group speaks h2 has s->h2 (its stream) instead of s->upstream.
 * The request head is the one lb_http_request_head() wrote into s->out
 * (forwarded headers and all), put into HTTP/2 fields (RFC 9113 8.2 and
 * 8.3: pseudo-headers first, Host as :authority, connection-specific
 * fields dropped, TE only as "trailers", Cookie split into crumbs); the
 * body is taken from s->cin as it is checked (chunked framing taken off,
 * its trailers sent as HTTP/2 trailers). The response comes back into
 * s->uin as the HTTP/1.1 bytes the HTTP/1.1 path would have read: status
 * line and fields, then the body with Content-Length when the target gave
 * one, else chunked with the target's trailers as chunked trailers; so
 * everything after (the response head's rewriting, stickiness, logs,
 * error pages, the client-side writer) is the HTTP/1.1 path's. */
#ifndef LB_HTTP2_UPSTREAM_H
#define LB_HTTP2_UPSTREAM_H

#include <sys/types.h>

#include <nghttp2/nghttp2.h>

#include "lb_core_types.h"
#include "lb_http2_upstream_types.h"
#include "lb_http_session_types.h"

/* The chosen target s->peer is in an h2 group: put the request on a
 * stream of a pooled connection to it with room (or of a new one), then
 * go on as lb_http_proxy() would. On failure the request is answered (or
 * retried) as lb_http_upstream_start() does. */
void lb_http2_upstream_attach(lb_http_session_t *s);

/* The request is over on the target's side (or failed): its stream is
 * reset when still open, and leaves its connection; s->h2 is NULL after.
 * The peer is not released here (lb_http_upstream_finish() does it). */
void lb_http2_upstream_detach(lb_http_session_t *s);

/* lb_http_proxy() for a session with s->h2. LB_OK or LB_DONE, as it. */
lb_int_t lb_http2_upstream_proxy(lb_http_session_t *s);

/* What lb_http_recv() is for an HTTP/1.1 target: the next bytes of the
 * response, as HTTP/1.1, into [b->last, b->end) (not full). Returns the
 * bytes added, LB_AGAIN (nothing now), or LB_ERROR with *err (the stream
 * was reset or its connection failed before the response's end; a stream
 * the target never processed is left retryable on another connection:
 * RFC 9113 8.7). */
ssize_t lb_http2_upstream_recv(lb_http_session_t *s, lb_http_buf_t *b,
    int *err);

/* true when the TE fields of the request at the start of s->cin name
 * "trailers" (then "te: trailers" goes to h2 targets). Pure. */
bool lb_http2_upstream_te_trailers(const lb_http_session_t *s);

/* Close the pooled connections without streams (reload, graceful stop);
 * those with streams close when their last stream ends. */
void lb_http2_upstream_close_idle(void);

/* The HTTP/2 fields of an HTTP/1.1 request head [head, head + len) as
 * lb_http_request_head() writes it (a request-line in origin-form, field
 * lines, an empty line), per RFC 9113 8.2 and 8.3: :method, :scheme
 * (https or http), :authority (from Host, which goes), :path first;
 * connection-specific fields (Connection, Keep-Alive, Proxy-Connection,
 * Transfer-Encoding, Upgrade, TE, HTTP2-Settings) dropped; Cookie split
 * into one field per crumb; "te: trailers" last when te_trailers. Names
 * are lowered in place; nv points into head (nghttp2 copies). Returns
 * the number of fields, 0 when the head is not such a head or they are
 * more than max. Pure. */
size_t lb_http2_request_fields(u_char *head, size_t len, bool https,
    bool te_trailers, nghttp2_nv *nv, size_t max);

/* nghttp2's allocator for this worker: size classes with free lists, so
 * that requests in steady state allocate nothing from the system
 * (lb_http2_upstream_mem.c). */
nghttp2_mem *lb_http2_mem(void);

/* A chunked trailer section (HTTP/1.1 "Name: value" lines up to an empty
 * one, as the chunked decoder checked it) as at most max HTTP/2 fields
 * into nv, pointing into text (names lowered in place); the
 * connection-specific ones dropped (RFC 9113 8.2.2). Returns how many. */
size_t lb_http2_trailer_nv(u_char *text, size_t len, nghttp2_nv *nv,
    size_t max);

/* --- between lb_http2_upstream.c and lb_http2_upstream_frame.c --- */

/* Queue st's session to run after its connection's work. */
void lb_http2_up_notify(lb_http2_up_stream_t *st);

/* nghttp2's callbacks of the target side (frame.c) into cb. */
void lb_http2_up_callbacks_set(nghttp2_session_callbacks *cb);

/* nghttp2's data source of a request body: the bytes checked in s->cin,
 * the chunked framing taken off, its trailers sent as HTTP/2 trailers;
 * NGHTTP2_ERR_DEFERRED (st->deferred) while none are there. */
ssize_t lb_http2_up_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf,
    size_t length, uint32_t *flags, nghttp2_data_source *source,
    void *user_data);

#endif /* LB_HTTP2_UPSTREAM_H */
