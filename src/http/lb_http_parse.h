/* weir: strict, incremental, zero-copy HTTP/1.1 request and response head
 * parsers (RFC 9112, RFC 9110).
 *
 * A connection reads bytes into a fixed buffer and calls the parser with
 * the start of the message and the end of what it has read so far. The
 * parser either takes a complete head (LB_OK: m->head_len bytes, the body
 * starts there), asks for more (LB_AGAIN: call again with the same start
 * and a later end; it resumes at the line it stopped in), or rejects the
 * message (LB_ERROR: m->status, m->reason). Nothing is allocated: header
 * fields are offsets into the buffer, kept in an array the caller owns.
 *
 * Decisions where the RFCs leave a choice (each has its own reason):
 *  - Lines end in CRLF. A bare LF ends nothing: 400 "bare LF line ending";
 *    a CR not followed by LF anywhere in a line: 400 "bare CR".
 *  - Up to LB_HTTP_MAX_EMPTY_LINES empty lines (CRLF) before the start-line
 *    are skipped (RFC 9112 2.2); more is 400.
 *  - Limits: a start-line longer than limits->max_line is 414 (a request;
 *    a response's every error is 502); a header field line longer than
 *    max_field, a head longer than max_head, or more fields than the
 *    caller's array holds is 431. Limits count CRLFs; a limit is reported
 *    as soon as the bytes read exceed it, so feeding the same bytes in any
 *    split gives the same result.
 *  - Methods are tokens of at most LB_HTTP_MAX_METHOD bytes.
 *  - request-target: printable US-ASCII only (0x21-0x7e); controls, SP,
 *    DEL and bytes >= 0x80 are 400, so are '#' (fragment) and a '%' not
 *    followed by two hex digits. The characters browsers send unescaped
 *    though RFC 3986 excludes them (" < > \ ^ ` { | }) are accepted.
 *    absolute-form is accepted for http and https only, without userinfo.
 *  - HTTP-version: exactly HTTP/1.0 or HTTP/1.1. Another well-formed
 *    HTTP/d.d (HTTP/2.0, HTTP/1.2, HTTP/0.9) is 505, anything else 400.
 *  - Field values may hold obs-text (>= 0x80) and HT; NUL, other controls
 *    and DEL are 400. Lines starting with SP or HT (obs-fold) are 400.
 *  - Content-Length must be digits only, at most 2^63 - 1. It may appear
 *    once: a second Content-Length field is 400 even with the same value,
 *    and so is a list ("5, 5").
 *  - Transfer-Encoding in a request must name exactly one coding, chunked
 *    (any case; empty list elements are allowed, repeated field lines
 *    make one list): chunked not last is 400 (RFC 9112 6.1), chunked
 *    twice is 400, another coding before chunked ("gzip, chunked") is 501,
 *    a non-token element (parameters, quotes) or an empty value is 400.
 *    With Content-Length, or in an HTTP/1.0 message, it is 400. A response
 *    may carry codings before chunked (the body passes through as is);
 *    one whose last coding is not chunked is read until close (RFC 9112
 *    6.3); with Content-Length, in HTTP/1.0 or chunked twice it is 502.
 *  - Host: required once in HTTP/1.1, optional in 1.0; its value must be
 *    a non-empty reg-name of ALPHA DIGIT - . _ ~, an IPv4 address or a
 *    bracketed IPv6 address, with an optional port 1..65535.
 *  - Expect: 100-continue is flagged on HTTP/1.1 requests; any other
 *    expectation is left to the target.
 *  - A response's status-line may omit the SP after the code when the
 *    reason-phrase is empty (servers do); codes outside 100..599 are
 *    rejected.
 */
#ifndef LB_HTTP_PARSE_H
#define LB_HTTP_PARSE_H

#include "lb_core_types.h"
#include "lb_http_types.h"

#define LB_HTTP_MAX_METHOD         32
#define LB_HTTP_MAX_EMPTY_LINES    4
#define LB_HTTP_MAX_HEADERS        100     /* a good array size to use */

/* character classes of lb_http_char_class[] */
#define LB_HTTP_C_TCHAR    0x01    /* token (RFC 9110 5.6.2) */
#define LB_HTTP_C_FVALUE   0x02    /* field-value, OWS included */
#define LB_HTTP_C_TARGET   0x04    /* printable US-ASCII */
#define LB_HTTP_C_HEX      0x08
#define LB_HTTP_C_COOKIE   0x10    /* cookie-octet (RFC 6265 4.1.1) */
#define LB_HTTP_C_CNAME    0x20    /* cookie_name of SPEC.md section 5 */
#define LB_HTTP_C_HOST     0x40    /* reg-name as weir accepts it */
#define LB_HTTP_C_QDTEXT   0x80    /* qdtext (RFC 9110 5.6.4) */

extern const uint8_t           lb_http_char_class[256];
extern const lb_http_limits_t  lb_http_default_limits;

/* Names indexed by lb_http_hdr_e, lb_http_method_e, lb_http_err_e; the
 * OTHER entries are NULL. lb_http_err_status[] is the status a server
 * answers for each error. */
extern const char *const  lb_http_header_names[LB_HTTP_HDR_N];
extern const char *const  lb_http_method_strs[LB_HTTP_METHOD_N];
extern const char *const  lb_http_err_reasons[LB_HTTP_ERR_N];
extern const uint16_t     lb_http_err_status[LB_HTTP_ERR_N];

/* Prepare `m` for a new message. `headers` (max_headers entries, owned by
 * the caller, must outlive m) receives the header fields; `limits` NULL
 * means lb_http_default_limits (8 KiB line and field, 32 KiB head), else
 * it must outlive m. */
void lb_http_msg_init(lb_http_msg_t *m, lb_http_header_t *headers,
    uint32_t max_headers, const lb_http_limits_t *limits);

/* Parse a request head in [start, end). Returns LB_OK (complete: results
 * in m, the head is m->head_len bytes), LB_AGAIN (incomplete: call again
 * with the same start, the same bytes, and end at or after this end), or
 * LB_ERROR (m->err, m->status: 400, 414, 431, 501 or 505, m->reason).
 * Calling again after LB_OK or LB_ERROR returns the same. */
lb_int_t lb_http_parse_request(lb_http_msg_t *m, const u_char *start,
    const u_char *end);

/* Parse a response head to a request with method `req_method`, as
 * lb_http_parse_request() does; on LB_OK m->code, m->reason_phrase and
 * m->body (the framing of RFC 9112 6.3) are set; on LB_ERROR m->status is
 * 502. A 1xx other than 101 is complete on its own: the final response
 * follows it; parse that with a fresh lb_http_msg_init(). */
lb_int_t lb_http_parse_response(lb_http_msg_t *m, lb_http_method_e req_method,
    const u_char *start, const u_char *end);

/* The id of header field name [name, name + len), LB_HTTP_HDR_OTHER when
 * it is not one weir acts on. Case-insensitive. */
lb_http_hdr_e lb_http_header_id(const u_char *name, size_t len);

/* true when [p, p + len) equals the first len bytes of `lit`, ignoring
 * ASCII case (no locale). */
bool lb_http_ieq(const u_char *p, const char *lit, size_t len);

/* The first header field with `id` (not OTHER) of a parsed message, or
 * NULL. */
static inline lb_http_header_t *
lb_http_header_first(const lb_http_msg_t *m, lb_http_hdr_e id)
{
    return m->first[id] ? &m->headers[m->first[id] - 1] : NULL;
}

static inline bool
lb_http_is_tchar(u_char c)
{
    return (lb_http_char_class[c] & LB_HTTP_C_TCHAR) != 0;
}

#endif /* LB_HTTP_PARSE_H */
