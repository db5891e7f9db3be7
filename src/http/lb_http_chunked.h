/* weir: incremental decoder of the chunked transfer coding (RFC 9112
 * section 7.1), zero-copy.
 *
 * The decoder is fed the body bytes as they arrive, in any split. Each call
 * says how many input bytes belong to the body (consumed) and where the
 * chunk data lies in the input (data spans), so that the proxy can forward
 * the bytes as they are, or only the data, without copying. It keeps only
 * a few counters between calls.
 *
 * Strict rules: chunk-size is 1*HEXDIG, at most max_chunk; chunk-ext
 * follows the ABNF exactly (BWS ";" BWS token [ BWS "=" BWS ( token /
 * quoted-string ) ]), so whitespace not followed by ";" is rejected; the
 * chunk-size line with its extensions is at most max_line bytes; lines end
 * in CRLF (bare LF, bare CR: rejected); chunk-data is followed by CRLF;
 * trailer fields follow the header field rules of lb_http_parse.h and are
 * bounded in count and bytes. Trailers are not interpreted: the call
 * reports their span so that the caller forwards or drops them. */
#ifndef LB_HTTP_CHUNKED_H
#define LB_HTTP_CHUNKED_H

#include "lb_core_types.h"
#include "lb_http_types.h"

typedef struct {
    /* limits, set by lb_http_chunked_init(), may be changed before use */
    uint64_t       max_chunk;       /* largest chunk-size */
    uint32_t       max_line;        /* chunk-size line, CRLF included */
    uint32_t       max_trailer;     /* trailer section, final CRLF incl. */
    uint32_t       max_trailers;    /* trailer fields */

    /* private */
    uint8_t        state;
    uint64_t       size;            /* data bytes left in this chunk */
    uint32_t       line_len;        /* of the current chunk-size line */
    uint32_t       trailer_len;
    uint32_t       ntrailers;

    /* results */
    uint64_t       data_len;        /* chunk data so far, all calls */
    lb_http_err_e  err;             /* on LB_ERROR */
    const char    *reason;
} lb_http_chunked_t;

/* What one call found; data and max_data are set by the caller. Spans
 * are offsets into the input of that call. */
typedef struct {
    lb_http_span_t  *data;          /* caller's array; NULL: not wanted */
    uint32_t         max_data;
    uint32_t         ndata;         /* data spans filled */
    size_t           consumed;      /* input bytes of the body */
    lb_http_span_t   trailer;       /* this input's part of the trailer
                                     * section (after the last-chunk line,
                                     * final CRLF included); len 0: none */
} lb_http_chunked_out_t;

#define LB_HTTP_CHUNK_MAX          (1ULL << 40)
#define LB_HTTP_CHUNK_MAX_LINE     4096
#define LB_HTTP_CHUNK_MAX_TRAILER  8192
#define LB_HTTP_CHUNK_MAX_TRAILERS 32

/* Prepare `c` for a new chunked body with the default limits (chunk-size
 * up to 2^40, 4 KiB size line, 8 KiB and 32 trailer fields). */
void lb_http_chunked_init(lb_http_chunked_t *c);

/* Decode the body bytes in [p, end). Returns
 *   LB_AGAIN  the body goes on: out->consumed == end - p, or, when
 *             out->data filled up, less: call again with the rest;
 *   LB_DONE   the body ended: out->consumed bytes belong to it, what
 *             follows is the next message;
 *   LB_ERROR  c->err, c->reason (a request: answer 400; a response: 502);
 *             out->consumed counts the bytes before the bad one.
 * out->ndata spans of chunk data (never empty) and out->trailer are set
 * for this input. Calling again after LB_DONE or LB_ERROR returns the
 * same, consuming nothing. */
lb_int_t lb_http_chunked_parse(lb_http_chunked_t *c, const u_char *p,
    const u_char *end, lb_http_chunked_out_t *out);

#endif /* LB_HTTP_CHUNKED_H */
