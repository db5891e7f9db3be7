/* weir: the records of HTTP/2 towards targets (lb_http2_upstream.c,
 * lb_http2_upstream_frame.c): a multiplexed connection to a target, and
 * a request's stream on it with the buffers its response passes
 * through. */
#ifndef LB_HTTP2_UPSTREAM_TYPES_H
#define LB_HTTP2_UPSTREAM_TYPES_H

#include <nghttp2/nghttp2.h>

#include "lb_core_types.h"
#include "lb_event.h"
#include "lb_http_session_types.h"

/* streams weir opens on one connection at most */
#define LB_HTTP2_UP_STREAMS     100
/* a stream's receive window: the size of its data buffer */
#define LB_HTTP2_UP_WINDOW      65535
/* the connection's: every stream's window at once */
#define LB_HTTP2_UP_CONN_WINDOW (LB_HTTP2_UP_STREAMS * LB_HTTP2_UP_WINDOW)
/* the response heads and trailers as HTTP/1.1 text */
#define LB_HTTP2_UP_TEXT        (LB_HTTP_BUFFER_SIZE                      \
                                 + LB_HTTP_CHUNK_MAX_TRAILER)
/* header fields the target may send (SETTINGS_MAX_HEADER_LIST_SIZE) */
#define LB_HTTP2_UP_HEADER_LIST (2 * LB_HTTP_BUFFER_SIZE)
#define LB_HTTP2_UP_NV          (2 * LB_HTTP_HEADERS + 8)
#define LB_HTTP2_UP_OBUF        16384
#define LB_HTTP2_UP_RBUF        16384
/* free stream records kept by a worker */
#define LB_HTTP2_UP_KEEP        32

/* how the response body goes into uin */
typedef enum {
    LB_HTTP2_BODY_NONE = 0,     /* HEAD, 204, 304 */
    LB_HTTP2_BODY_LENGTH,       /* the target's content-length */
    LB_HTTP2_BODY_CHUNKED       /* chunked, trailers as chunked trailers */
} lb_http2_body_e;

struct lb_http2_up_conn_s {
    lb_http_link_t          peer_link;    /* in peer->h2_conns */
    lb_http_link_t          all_link;     /* in the worker's list */
    lb_http_peer_t         *peer;
    lb_connection_t        *c;            /* NULL once failed */
    nghttp2_session        *ng;           /* NULL until ready */
    lb_http_link_t          streams;      /* attached */
    lb_http_link_t          notify;       /* streams with news */
    uint32_t                nstreams;
    int32_t                 last_stream_id;   /* of a GOAWAY */
    lb_msec_t               connect_timeout;
    lb_event_t              post;         /* tell the sessions, later */
    unsigned                busy;         /* in its own handler */
    char                    sni[256];     /* TLS server name; "": none */
    uint32_t                sni_len;

    /* output: nghttp2's frames gathered, then written */
    u_char                 *obuf;
    size_t                  opos;
    size_t                  olast;
    const uint8_t          *pend;         /* nghttp2's, valid until its
                                             next mem_send */
    size_t                  pend_len;

    unsigned                ready:1;      /* connected (TLS, ALPN done) */
    unsigned                goaway:1;
    unsigned                failed:1;
    unsigned                flush_pending:1;
    unsigned                idle_closing:1;
};

struct lb_http2_up_stream_s {
    lb_http_link_t          link;         /* conn->streams; free list */
    lb_http_link_t          notify_link;
    lb_http2_up_conn_t     *conn;
    lb_http_session_t      *s;
    int32_t                 id;           /* 0: not submitted */
    uint32_t                error_code;   /* of RST_STREAM / close */
    int                     conn_err;     /* errno of a failed conn */
    const char             *why;          /* what failed, for the log */
    lb_event_t              timer;        /* timeout_member_data */
    unsigned                status;       /* of the head being read */

    /* text: [text_pos, head_end) complete heads to copy, [head_end,
     * text_len) the head being read or, after the final head, the
     * trailers */
    size_t                  text_pos;
    size_t                  head_end;
    size_t                  text_len;
    size_t                  data_pos;
    size_t                  data_len;

    lb_http_chunked_t       req_chunked;  /* the request body's framing,
                                             taken off */
    size_t                  req_trailer_len;

    lb_http2_body_e         body;
    unsigned                final_head:1;
    unsigned                has_length:1;
    uint32_t                trailer_fields;   /* of the response, */
    size_t                  trailer_bytes;    /* as chunked trailers */
    unsigned                eos:1;        /* END_STREAM from the target */
    unsigned                closed:1;
    unsigned                refused:1;    /* never processed */
    unsigned                tail_done:1;  /* the body's end is in uin */
    unsigned                deferred:1;   /* the body waits for bytes */
    unsigned                req_eof:1;
    unsigned                notified:1;
    unsigned                bad_head:1;   /* cannot be put into h2 */

    nghttp2_nv              nv[LB_HTTP2_UP_NV];
    u_char                  req_trailer[LB_HTTP_CHUNK_MAX_TRAILER];
    u_char                  text[LB_HTTP2_UP_TEXT];
    u_char                  data[LB_HTTP2_UP_WINDOW];
};

#endif /* LB_HTTP2_UPSTREAM_TYPES_H */
