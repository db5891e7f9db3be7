/* weir: HTTP/1.1 message types shared by the parsers (lb_http_parse,
 * lb_http_chunked, lb_http_cookie) and, later, the L7 proxy. Everything a
 * parser finds is an offset into the caller's buffer, never a pointer, so
 * a connection may move its bytes between calls without fixing anything. */
#ifndef LB_HTTP_TYPES_H
#define LB_HTTP_TYPES_H

#include "lb_core_types.h"

/* Headers the proxy acts on; everything else is LB_HTTP_HDR_OTHER.
 * Matched case-insensitively. */
#define LB_HTTP_HEADER_IDS(X)                           \
    X(HOST,               "Host")                       \
    X(CONTENT_LENGTH,     "Content-Length")             \
    X(TRANSFER_ENCODING,  "Transfer-Encoding")          \
    X(CONNECTION,         "Connection")                 \
    X(UPGRADE,            "Upgrade")                    \
    X(EXPECT,             "Expect")                     \
    X(COOKIE,             "Cookie")                     \
    X(SET_COOKIE,         "Set-Cookie")                 \
    X(X_FORWARDED_FOR,    "X-Forwarded-For")            \
    X(X_FORWARDED_PROTO,  "X-Forwarded-Proto")          \
    X(X_FORWARDED_PORT,   "X-Forwarded-Port")           \
    X(KEEP_ALIVE,         "Keep-Alive")                 \
    X(PROXY_CONNECTION,   "Proxy-Connection")           \
    X(TE,                 "TE")                         \
    X(TRAILER,            "Trailer")

/* Methods with a meaning to the proxy; any other token is
 * LB_HTTP_METHOD_OTHER (an extension method, passed through). Matched
 * case-sensitively (RFC 9110 9.1). */
#define LB_HTTP_METHOD_IDS(X)         \
    X(GET,      "GET")                \
    X(HEAD,     "HEAD")               \
    X(POST,     "POST")               \
    X(PUT,      "PUT")                \
    X(DELETE,   "DELETE")             \
    X(CONNECT,  "CONNECT")            \
    X(OPTIONS,  "OPTIONS")            \
    X(TRACE,    "TRACE")              \
    X(PATCH,    "PATCH")

/* Every reason a parser rejects a message: X(name, status, reason). The
 * status is what a server answers a client with; for a response from a
 * target the proxy answers 502 whatever the rule (lb_http_parse_response()
 * sets status to 502). Reasons are short, fixed and name the rule. */
#define LB_HTTP_ERRORS(X)                                                    \
    X(NONE,               0,   "no error")                                   \
    X(INTERNAL,           500, "parser called with a shorter buffer")        \
    X(LINE_TOO_LONG,      414, "start-line too long")                        \
    X(HEAD_TOO_LARGE,     431, "header section too large")                   \
    X(FIELD_TOO_LONG,     431, "header field line too long")                 \
    X(TOO_MANY_HEADERS,   431, "too many header fields")                     \
    X(BARE_LF,            400, "bare LF line ending")                        \
    X(BARE_CR,            400, "bare CR")                                    \
    X(EMPTY_LINES,        400, "too many empty lines before start-line")     \
    X(REQ_LINE_INVALID,   400, "invalid request-line")                       \
    X(METHOD_INVALID,     400, "invalid method token")                       \
    X(METHOD_TOO_LONG,    400, "method too long")                            \
    X(SEPARATOR,          400, "request-line separator must be a single SP") \
    X(SP_IN_TARGET,       400, "whitespace in request-target")               \
    X(NO_VERSION,         400, "missing HTTP-version")                       \
    X(VERSION_INVALID,    400, "invalid HTTP-version")                       \
    X(VERSION_UNSUPPORTED, 505, "unsupported HTTP version")                  \
    X(TARGET_CHAR,        400, "invalid character in request-target")       \
    X(TARGET_PCT,         400, "invalid percent-encoding in request-target") \
    X(TARGET_FRAGMENT,    400, "fragment in request-target")                 \
    X(TARGET_INVALID,     400, "invalid request-target")                     \
    X(TARGET_SCHEME,      400, "unsupported scheme in absolute-form")        \
    X(TARGET_USERINFO,    400, "userinfo in request-target")                 \
    X(TARGET_HOST,        400, "invalid host in request-target")             \
    X(ASTERISK_FORM,      400, "asterisk-form only with OPTIONS")            \
    X(AUTHORITY_FORM,     400, "authority-form only with CONNECT")           \
    X(CONNECT_FORM,       400, "CONNECT requires authority-form")            \
    X(WS_AFTER_START,     400, "whitespace before the first header field")   \
    X(OBS_FOLD,           400, "obs-fold (line folding)")                    \
    X(NAME_EMPTY,         400, "empty field-name")                           \
    X(NAME_CHAR,          400, "invalid character in field-name")            \
    X(WS_BEFORE_COLON,    400, "whitespace between field-name and colon")    \
    X(NO_COLON,           400, "missing colon in header field")              \
    X(VALUE_NUL,          400, "NUL in field-value")                         \
    X(VALUE_CTL,          400, "control character in field-value")           \
    X(CL_INVALID,         400, "invalid Content-Length")                     \
    X(CL_LIST,            400, "Content-Length is a list")                   \
    X(CL_OVERFLOW,        400, "Content-Length too large")                   \
    X(CL_DUPLICATE,       400, "duplicate Content-Length")                   \
    X(CL_TE,              400, "Content-Length with Transfer-Encoding")      \
    X(TE_INVALID,         400, "invalid Transfer-Encoding")                  \
    X(TE_HTTP10,          400, "Transfer-Encoding in HTTP/1.0")              \
    X(TE_NOT_FINAL,       400, "chunked is not the final transfer coding")   \
    X(TE_TWICE,           400, "chunked applied more than once")             \
    X(TE_UNSUPPORTED,     501, "unsupported transfer coding")                \
    X(HOST_MISSING,       400, "missing Host")                               \
    X(HOST_DUPLICATE,     400, "duplicate Host")                             \
    X(HOST_INVALID,       400, "invalid Host")                               \
    X(CONNECTION_INVALID, 400, "invalid Connection")                         \
    X(STATUS_LINE_INVALID, 502, "invalid status-line")                       \
    X(STATUS_INVALID,     502, "invalid status code")                        \
    X(REASON_INVALID,     502, "invalid reason-phrase")                      \
    X(CHUNK_SIZE_INVALID, 400, "invalid chunk-size")                         \
    X(CHUNK_TOO_LARGE,    400, "chunk-size too large")                       \
    X(CHUNK_EXT_INVALID,  400, "invalid chunk-ext")                          \
    X(CHUNK_LINE_TOO_LONG, 400, "chunk-size line too long")                  \
    X(CHUNK_DATA_CRLF,    400, "missing CRLF after chunk-data")              \
    X(TRAILER_TOO_LARGE,  400, "trailer section too large")

#define LB_HTTP_HDR_ENUM(n, s)     LB_HTTP_HDR_##n,
#define LB_HTTP_METHOD_ENUM(n, s)  LB_HTTP_METHOD_##n,
#define LB_HTTP_ERR_ENUM(n, c, s)  LB_HTTP_ERR_##n,

typedef enum {
    LB_HTTP_HDR_OTHER = 0,
    LB_HTTP_HEADER_IDS(LB_HTTP_HDR_ENUM)
    LB_HTTP_HDR_N
} lb_http_hdr_e;

typedef enum {
    LB_HTTP_METHOD_OTHER = 0,
    LB_HTTP_METHOD_IDS(LB_HTTP_METHOD_ENUM)
    LB_HTTP_METHOD_N
} lb_http_method_e;

typedef enum {
    LB_HTTP_ERRORS(LB_HTTP_ERR_ENUM)
    LB_HTTP_ERR_N
} lb_http_err_e;

#undef LB_HTTP_HDR_ENUM
#undef LB_HTTP_METHOD_ENUM
#undef LB_HTTP_ERR_ENUM

/* How the message body is delimited (RFC 9112 section 6.3). */
typedef enum {
    LB_HTTP_BODY_NONE = 0,      /* no body: the next message follows */
    LB_HTTP_BODY_LENGTH,        /* content_length bytes */
    LB_HTTP_BODY_CHUNKED,       /* lb_http_chunked decides where it ends */
    LB_HTTP_BODY_CLOSE,         /* response only: until the target closes */
    LB_HTTP_BODY_TUNNEL         /* 101, or 2xx to CONNECT: raw bytes both
                                 * ways from the end of the head on */
} lb_http_body_e;

/* Request-target forms (RFC 9112 section 3.2). */
typedef enum {
    LB_HTTP_TARGET_ORIGIN = 0,  /* /path?query */
    LB_HTTP_TARGET_ABSOLUTE,    /* http://authority/path?query */
    LB_HTTP_TARGET_AUTHORITY,   /* host:port, CONNECT only */
    LB_HTTP_TARGET_ASTERISK     /* *, OPTIONS only */
} lb_http_target_e;

/* Bytes [off, off + len) of the buffer the parser was given. */
typedef struct {
    uint32_t  off;
    uint32_t  len;
} lb_http_span_t;

/* One header field line: name as received (not folded to lower case),
 * value with leading and trailing whitespace trimmed. */
typedef struct {
    lb_http_span_t  name;
    lb_http_span_t  value;
    lb_http_hdr_e   id;
} lb_http_header_t;

/* Size limits of a message head. A line's length counts its CRLF; the
 * head's length counts everything from the first byte to the empty line's
 * LF, leading empty lines included. */
typedef struct {
    uint32_t  max_line;         /* request-line or status-line */
    uint32_t  max_field;        /* one header field line */
    uint32_t  max_head;         /* the whole head */
} lb_http_limits_t;

/* Parse state and result of one request or response head; see
 * lb_http_parse.h for the calls. Fields marked "private" belong to the
 * parser; the rest are results, valid when the parser returns LB_OK (and
 * status/reason when it returns LB_ERROR). */
typedef struct {
    /* input, set by lb_http_msg_init() */
    const lb_http_limits_t  *limits;
    lb_http_header_t        *headers;
    uint32_t                 max_headers;

    /* private: where the next call resumes */
    uint32_t                 pos;           /* next byte to look at */
    uint32_t                 line;          /* start of the current line */
    uint8_t                  phase;
    uint8_t                  nempty;        /* empty lines before start */
    uint8_t                  te_chunked;    /* "chunked" codings seen */
    unsigned                 response:1;
    unsigned                 te_last_chunked:1;
    unsigned                 te_other:1;
    unsigned                 has_upgrade_hdr:1;

    /* result: the head */
    uint32_t                 nheaders;
    uint32_t                 head_len;      /* the body starts here */
    lb_http_span_t           start_line;    /* without CRLF */
    unsigned                 version;       /* 10 or 11 */
    lb_http_body_e           body;
    uint64_t                 content_length;
    /* index + 1 in headers[] of the first field with each id; 0: none */
    uint16_t                 first[LB_HTTP_HDR_N];

    unsigned                 keep_alive:1;  /* after this exchange */
    unsigned                 chunked:1;
    unsigned                 has_content_length:1;
    unsigned                 has_te:1;
    unsigned                 upgrade:1;     /* request: Connection: upgrade
                                             * and Upgrade, HTTP/1.1 */
    unsigned                 expect_continue:1;
    unsigned                 conn_close:1;  /* Connection tokens */
    unsigned                 conn_keep_alive:1;
    unsigned                 conn_upgrade:1;

    /* result: request-line (left zero by the response parser) */
    lb_http_method_e         method;
    lb_http_span_t           method_text;
    lb_http_span_t           target;
    lb_http_target_e         target_form;
    /* origin-form: the target; absolute-form: what follows the authority
     * (may be empty, meaning "/"); asterisk-form: "*"; authority: empty */
    lb_http_span_t           path;
    /* host name (no port, IPv6 with its brackets) from the authority of
     * an absolute- or authority-form target, else from Host; len 0 when
     * neither (HTTP/1.0 without Host) */
    lb_http_span_t           host;
    uint32_t                 port;          /* 0: none given */

    /* result: status-line (left zero by the request parser) */
    unsigned                 code;
    lb_http_span_t           reason_phrase;

    /* result on LB_ERROR */
    lb_http_err_e            err;
    unsigned                 status;        /* HTTP status to answer */
    const char              *reason;        /* the rule, for logs */
} lb_http_msg_t;

#endif /* LB_HTTP_TYPES_H */
