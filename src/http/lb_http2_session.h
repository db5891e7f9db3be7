/* weir: what the files of the HTTP/2 client side (lb_http2.c: the
 * connection, its limits and metrics; lb_http2_stream.c: the streams, the
 * translation to and from HTTP/1.1 and nghttp2's callbacks) share; for
 * them only (the rest of the L7 proxy calls lb_http2.h). */
#ifndef LB_HTTP2_SESSION_H
#define LB_HTTP2_SESSION_H

#include <nghttp2/nghttp2.h>

#include "lb_connection.h"
#include "lb_core_types.h"
#include "lb_event.h"
#include "lb_http_session_types.h"
#include "lb_zone_gauge.h"

#define LB_HTTP2_MAX_STREAMS        128
/* a stream's receive window: the request body bytes it may hold. The
 * default of RFC 9113 (6.9.2): a client may send that much before it
 * read weir's SETTINGS, so a smaller one would not bound anything */
#define LB_HTTP2_WINDOW             65535
/* the connection's receive window */
#define LB_HTTP2_CONN_WINDOW        (1024 * 1024)
/* the request head as HTTP/1.1 (the limit of an HTTP/1.1 head), then the
 * window's bytes with their chunk framing */
#define LB_HTTP2_STREAM_IN          (LB_HTTP_BUFFER_SIZE + LB_HTTP2_WINDOW)
/* response body bytes waiting for DATA frames */
#define LB_HTTP2_STREAM_OUT         16384
/* what the connection reads and writes at a time */
#define LB_HTTP2_READ               16384
#define LB_HTTP2_OBUF               (64 * 1024)
#define LB_HTTP2_OBUF_FILL          16384
/* per connection and second */
#define LB_HTTP2_RESETS_PER_SEC     200
#define LB_HTTP2_CONTROL_PER_SEC    200
#define LB_HTTP2_MAX_CONTINUATIONS  8
/* nghttp2's memory of one connection (HPACK tables, frames queued) */
#define LB_HTTP2_MEM_MAX            (4 * 1024 * 1024)
/* reads of one handler call before the others get their turn */
#define LB_HTTP2_READS              8

typedef struct lb_http2_conn_s  lb_http2_conn_t;

/* A listener's counters in the shared zone (lb_zone_gauge.h, read by the
 * admin process for /metrics): h2 connections (entered: ever, total:
 * open), streams (the same), streams reset by the client, GOAWAYs sent.
 * Each worker finds them once per listening socket (ls->data). */
typedef enum {
    LB_HTTP2_M_CONNS = 0,
    LB_HTTP2_M_STREAMS,
    LB_HTTP2_M_RESETS,
    LB_HTTP2_M_GOAWAYS,
    LB_HTTP2_M_N
} lb_http2_metric_e;

typedef struct {
    lb_zone_gauge_t        *gauge[LB_HTTP2_M_N];   /* NULL: not counted */
    uint32_t                slot[LB_HTTP2_M_N];
} lb_http2_stats_t;

struct lb_http2_stream_s {
    lb_connection_t         c;            /* the stream connection */
    lb_event_t              rev;
    lb_event_t              wev;
    lb_http_conn_t          hc;           /* as a client connection's */
    lb_http2_conn_t        *h2;
    int32_t                 id;

    /* the request as HTTP/1.1: [in_pos, in_last) waits, the first
     * in_head bytes of it the head */
    u_char                 *in_pos;
    u_char                 *in_last;
    size_t                  in_head;

    /* response body bytes for DATA frames: [out_pos, out_last) */
    u_char                 *out_pos;
    u_char                 *out_last;

    lb_http_link_t          link;         /* in h2->streams */
    lb_http2_stream_t      *next_free;

    unsigned                head_req:1;   /* the method is HEAD */
    unsigned                started:1;    /* the session was started */
    unsigned                chunked:1;    /* the body goes chunked */
    unsigned                req_end:1;    /* END_STREAM came */
    unsigned                last_chunk:1; /* the tail was read */
    unsigned                too_large:1;  /* the head does not fit */
    unsigned                resp_head:1;  /* HEADERS submitted */
    unsigned                resp_end:1;   /* the session's response is
                                             whole */
    unsigned                no_body:1;    /* HEADERS ended the stream */
    unsigned                deferred:1;   /* the data provider waits */
    unsigned                rst_after:1;  /* RST_STREAM NO_ERROR after the
                                             response (the request did
                                             not end) */
    unsigned                ng_closed:1;  /* nghttp2 closed the stream */
    unsigned                gone:1;       /* the session is over */
    unsigned                tail_large:1; /* the client's trailers
                                             passed the limit: reset */
    unsigned                tail_framed:1;/* tail ends in its empty
                                             line */

    /* the end of a chunked request body: the last chunk, the client's
     * trailers as HTTP/1.1 field lines, the empty line; [0, tail_pos)
     * went to the session */
    uint32_t                tail_len;
    uint32_t                tail_pos;

    u_char                  in[LB_HTTP2_STREAM_IN];
    u_char                  out[LB_HTTP2_STREAM_OUT];

    /* "0" CRLF, then a trailer section of the decoder's limit */
    u_char                  tail[3 + LB_HTTP_CHUNK_MAX_TRAILER];

    /* the response's trailer section (lb_http_body_parse() fills it) */
    lb_http_trailer_t       resp_trailer;
};

struct lb_http2_conn_s {
    lb_http_link_t          link;         /* in lb_http2_conns */
    lb_http_conn_t         *hc;           /* the client connection's */
    lb_http2_stats_t       *stats;        /* NULL: none */
    lb_connection_t        *c;
    lb_listener_t          *listener;
    nghttp2_session        *ng;
    size_t                  mem;          /* nghttp2's, in bytes */

    lb_http_link_t          streams;      /* lb_http2_stream_t, open */
    lb_http2_stream_t      *free;
    uint32_t                nstreams;

    /* the header block being read (one at a time on a connection):
     * pseudo-header values and the fields as HTTP/1.1 lines */
    lb_http2_stream_t      *hb;
    lb_msec_t               hb_start;
    u_char                  hb_method[32];
    uint32_t                hb_method_len;
    u_char                  hb_authority[256];
    uint32_t                hb_authority_len;
    uint32_t                hb_path_off;  /* in hb_buf */
    uint32_t                hb_path_len;
    uint32_t                hb_cookie_len;
    uint32_t                hb_len;
    unsigned                hb_has_path:1;
    unsigned                hb_has_cl:1;
    unsigned                hb_has_cookie:1;
    u_char                  hb_buf[LB_HTTP_BUFFER_SIZE];
    u_char                  hb_cookie[LB_HTTP_MAX_FIELD];

    /* output: [opos, olen) of obuf, and a chunk of nghttp2's not taken */
    u_char                 *obuf;
    size_t                  opos;
    size_t                  olen;

    /* per-second accounting */
    time_t                  sec;
    uint32_t                resets;
    uint32_t                control;
    uint32_t                continuations;  /* of the header block */

    lb_msec_t               idle_since;   /* no stream open since */
    unsigned                served:1;     /* a request came */
    unsigned                closing:1;
    unsigned                goaway:1;     /* GOAWAY sent */
};

/* --- lb_http2.c --- */

/* GOAWAY ENHANCE_YOUR_CALM (once), logged with `what`: the client abuses
 * the protocol; the connection closes once the frame is out. */
void lb_http2_calm(lb_http2_conn_t *h2, const char *what);

/* Count one event of this second in *counter (reset each second with the
 * others); true when it passed max. */
bool lb_http2_count(lb_http2_conn_t *h2, uint32_t *counter, uint32_t max);

/* Log `what` about the connection at level, with the client and the
 * listener. */
void lb_http2_log(lb_http2_conn_t *h2, unsigned level, const char *what);

/* Let the connection write what the streams gave nghttp2, on the next
 * loop iteration (one flush for all of them). */
void lb_http2_post(lb_http2_conn_t *h2);

/* The listener's counter m: one more (count_in), one less (count_out). */
void lb_http2_count_in(lb_http2_conn_t *h2, lb_http2_metric_e m);
void lb_http2_count_out(lb_http2_conn_t *h2, lb_http2_metric_e m);

/* --- lb_http2_stream.c: nghttp2's callbacks (user data: the
 * lb_http2_conn_t); they change state and post events, never call into a
 * session --- */

int lb_http2_on_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd,
    void *data);
int lb_http2_on_begin_headers(nghttp2_session *ng,
    const nghttp2_frame *frame, void *data);
int lb_http2_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *data);
int lb_http2_on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame,
    void *data);
int lb_http2_on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *p, size_t len, void *data);
int lb_http2_on_stream_close(nghttp2_session *ng, int32_t id,
    uint32_t code, void *data);
int lb_http2_on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame,
    void *data);

#endif /* LB_HTTP2_SESSION_H */
