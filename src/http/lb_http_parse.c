/* weir: strict, incremental HTTP/1.1 request and response head parsers.
 * The rules and the decisions taken where RFC 9112 leaves a choice are
 * listed in lb_http_parse.h.
 *
 * The unit of work is a line: memchr() finds the next LF from where the
 * last call stopped, then the complete line is checked at once. A byte is
 * looked at by memchr() once and by the line parser once, whatever the
 * split of the input. */
#include <arpa/inet.h>
#include <string.h>

#include "lb_http_parse.h"

enum {
    LB_HTTP_PH_START = 0,       /* before and in the start-line */
    LB_HTTP_PH_FIELDS,
    LB_HTTP_PH_DONE,
    LB_HTTP_PH_ERROR
};

static lb_int_t lb_http_parse_head(lb_http_msg_t *m, const u_char *start,
    const u_char *end, lb_http_method_e req_method);
static lb_http_err_e lb_http_check_limits(const lb_http_msg_t *m,
    size_t end);
static lb_int_t lb_http_fail(lb_http_msg_t *m, lb_http_err_e err);
static lb_int_t lb_http_parse_request_line(lb_http_msg_t *m,
    const u_char *start, const u_char *s, const u_char *e);
static lb_int_t lb_http_parse_version(lb_http_msg_t *m, const u_char *p,
    const u_char *e);
static lb_int_t lb_http_parse_target(lb_http_msg_t *m, const u_char *start,
    const u_char *s, const u_char *e);
static lb_int_t lb_http_parse_status_line(lb_http_msg_t *m,
    const u_char *start, const u_char *s, const u_char *e);
static lb_int_t lb_http_parse_field_line(lb_http_msg_t *m,
    const u_char *start, const u_char *s, const u_char *e);
static lb_int_t lb_http_field(lb_http_msg_t *m, const u_char *start,
    lb_http_hdr_e id, bool dup, const u_char *v, const u_char *e);
static lb_int_t lb_http_content_length(lb_http_msg_t *m, bool dup,
    const u_char *v, const u_char *e);
static lb_int_t lb_http_transfer_encoding(lb_http_msg_t *m, const u_char *v,
    const u_char *e);
static lb_int_t lb_http_connection(lb_http_msg_t *m, const u_char *v,
    const u_char *e);
static lb_int_t lb_http_finish_request(lb_http_msg_t *m);
static lb_int_t lb_http_finish_response(lb_http_msg_t *m,
    lb_http_method_e req_method);
static bool lb_http_list_next(const u_char **pp, const u_char *e,
    const u_char **a, const u_char **b);
static bool lb_http_host_parse(const u_char *p, size_t len, bool need_port,
    size_t *name_len, uint32_t *port);
static lb_http_method_e lb_http_method_id(const u_char *p, size_t len);

#define lb_http_span(m_start, p, n)                                          \
    ((lb_http_span_t) { (uint32_t) ((p) - (m_start)), (uint32_t) (n) })

#define lb_http_is_digit(c)  ((c) >= '0' && (c) <= '9')
#define lb_http_is_alpha(c)  (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z')
#define lb_http_is_ows(c)    ((c) == ' ' || (c) == '\t')


/* One byte per octet, bits LB_HTTP_C_*; generated from the ABNF sets. */
const uint8_t  lb_http_char_class[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 00 */
    0x00, 0x82, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 08 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 10 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 18 */
    0x82, 0xb7, 0x06, 0xb7, 0xb7, 0xb7, 0xb7, 0x97,   /* 20 */
    0x96, 0x96, 0xb7, 0xb7, 0x86, 0xf7, 0xd7, 0x96,   /* 28 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   /* 30 */
    0xff, 0xff, 0x96, 0x86, 0x96, 0x96, 0x96, 0x96,   /* 38 */
    0x96, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf7,   /* 40 */
    0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7,   /* 48 */
    0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7,   /* 50 */
    0xf7, 0xf7, 0xf7, 0x96, 0x06, 0x96, 0xb7, 0xf7,   /* 58 */
    0x97, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf7,   /* 60 */
    0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7,   /* 68 */
    0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7, 0xf7,   /* 70 */
    0xf7, 0xf7, 0xf7, 0x96, 0x97, 0x96, 0xf7, 0x00,   /* 78 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* 80 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* 88 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* 90 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* 98 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* a0 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* a8 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* b0 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* b8 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* c0 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* c8 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* d0 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* d8 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* e0 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* e8 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* f0 */
    0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82, 0x82,   /* f8 */
};

const lb_http_limits_t  lb_http_default_limits = {
    .max_line = 8192,
    .max_field = 8192,
    .max_head = 32768
};

#define LB_HTTP_NAME(n, s)    s,
#define LB_HTTP_LEN(n, s)     sizeof(s) - 1,
#define LB_HTTP_REASON(n, c, s)  s,
#define LB_HTTP_STATUS(n, c, s)  c,

const char *const  lb_http_header_names[LB_HTTP_HDR_N] = {
    NULL, LB_HTTP_HEADER_IDS(LB_HTTP_NAME)
};

static const uint8_t  lb_http_header_lens[LB_HTTP_HDR_N] = {
    0, LB_HTTP_HEADER_IDS(LB_HTTP_LEN)
};

const char *const  lb_http_method_strs[LB_HTTP_METHOD_N] = {
    NULL, LB_HTTP_METHOD_IDS(LB_HTTP_NAME)
};

static const uint8_t  lb_http_method_lens[LB_HTTP_METHOD_N] = {
    0, LB_HTTP_METHOD_IDS(LB_HTTP_LEN)
};

const char *const  lb_http_err_reasons[LB_HTTP_ERR_N] = {
    LB_HTTP_ERRORS(LB_HTTP_REASON)
};

const uint16_t  lb_http_err_status[LB_HTTP_ERR_N] = {
    LB_HTTP_ERRORS(LB_HTTP_STATUS)
};

#undef LB_HTTP_NAME
#undef LB_HTTP_LEN
#undef LB_HTTP_REASON
#undef LB_HTTP_STATUS


void
lb_http_msg_init(lb_http_msg_t *m, lb_http_header_t *headers,
    uint32_t max_headers, const lb_http_limits_t *limits)
{
    memset(m, 0, sizeof(lb_http_msg_t));

    m->limits = limits != NULL ? limits : &lb_http_default_limits;
    m->headers = headers;
    /* first[] holds index + 1 in 16 bits */
    m->max_headers = headers == NULL ? 0 : lb_min(max_headers, UINT16_MAX);
    m->err = LB_HTTP_ERR_NONE;
}


lb_int_t
lb_http_parse_request(lb_http_msg_t *m, const u_char *start,
    const u_char *end)
{
    m->response = 0;

    return lb_http_parse_head(m, start, end, LB_HTTP_METHOD_OTHER);
}


lb_int_t
lb_http_parse_response(lb_http_msg_t *m, lb_http_method_e req_method,
    const u_char *start, const u_char *end)
{
    m->response = 1;

    return lb_http_parse_head(m, start, end, req_method);
}


static lb_int_t
lb_http_parse_head(lb_http_msg_t *m, const u_char *start, const u_char *end,
    lb_http_method_e req_method)
{
    size_t         len, next;
    lb_int_t       rc;
    lb_http_err_e  err;
    const u_char  *s, *e, *lf;

    if (m->phase == LB_HTTP_PH_DONE) {
        return LB_OK;
    }

    if (m->phase == LB_HTTP_PH_ERROR) {
        return LB_ERROR;
    }

    len = (size_t) (end - start);

    if (len < m->pos) {
        return lb_http_fail(m, LB_HTTP_ERR_INTERNAL);
    }

    for ( ;; ) {
        lf = memchr(start + m->pos, '\n', len - m->pos);

        if (lf == NULL) {
            err = lb_http_check_limits(m, len);
            if (err != LB_HTTP_ERR_NONE) {
                return lb_http_fail(m, err);
            }

            /* below max_head, so it fits */
            m->pos = (uint32_t) len;
            return LB_AGAIN;
        }

        next = (size_t) (lf + 1 - start);

        err = lb_http_check_limits(m, next);
        if (err != LB_HTTP_ERR_NONE) {
            return lb_http_fail(m, err);
        }

        s = start + m->line;
        m->pos = (uint32_t) next;
        m->line = (uint32_t) next;

        if (lf == s || lf[-1] != '\r') {
            return lb_http_fail(m, LB_HTTP_ERR_BARE_LF);
        }

        e = lf - 1;

        if (memchr(s, '\r', (size_t) (e - s)) != NULL) {
            return lb_http_fail(m, LB_HTTP_ERR_BARE_CR);
        }

        if (m->phase == LB_HTTP_PH_START) {
            if (s == e) {
                if (++m->nempty > LB_HTTP_MAX_EMPTY_LINES) {
                    return lb_http_fail(m, LB_HTTP_ERR_EMPTY_LINES);
                }
                continue;
            }

            m->start_line = lb_http_span(start, s, e - s);

            rc = m->response ? lb_http_parse_status_line(m, start, s, e)
                             : lb_http_parse_request_line(m, start, s, e);
            if (rc != LB_OK) {
                return rc;
            }

            m->phase = LB_HTTP_PH_FIELDS;
            continue;
        }

        if (s == e) {
            m->head_len = (uint32_t) next;

            rc = m->response ? lb_http_finish_response(m, req_method)
                             : lb_http_finish_request(m);
            if (rc != LB_OK) {
                return rc;
            }

            m->phase = LB_HTTP_PH_DONE;
            return LB_OK;
        }

        rc = lb_http_parse_field_line(m, start, s, e);
        if (rc != LB_OK) {
            return rc;
        }
    }
}


/* Which limit, if any, the current line breaks when it extends to offset
 * `end`. When both do, the one the bytes crossed first is reported, so
 * that any split of the input gives the same answer. */
static lb_http_err_e
lb_http_check_limits(const lb_http_msg_t *m, size_t end)
{
    size_t  max, line_at, head_at;

    max = m->phase == LB_HTTP_PH_START ? m->limits->max_line
                                       : m->limits->max_field;

    line_at = end - m->line > max ? m->line + max + 1 : SIZE_MAX;
    head_at = end > m->limits->max_head ? m->limits->max_head + 1 : SIZE_MAX;

    if (line_at == SIZE_MAX && head_at == SIZE_MAX) {
        return LB_HTTP_ERR_NONE;
    }

    if (line_at <= head_at) {
        return m->phase == LB_HTTP_PH_START ? LB_HTTP_ERR_LINE_TOO_LONG
                                            : LB_HTTP_ERR_FIELD_TOO_LONG;
    }

    return LB_HTTP_ERR_HEAD_TOO_LARGE;
}


static lb_int_t
lb_http_fail(lb_http_msg_t *m, lb_http_err_e err)
{
    m->phase = LB_HTTP_PH_ERROR;
    m->err = err;
    m->status = m->response ? 502 : lb_http_err_status[err];
    m->reason = lb_http_err_reasons[err];

    return LB_ERROR;
}


/* request-line = method SP request-target SP HTTP-version, in [s, e)
 * (CRLF excluded, known to hold no CR or LF). */
static lb_int_t
lb_http_parse_request_line(lb_http_msg_t *m, const u_char *start,
    const u_char *s, const u_char *e)
{
    lb_int_t       rc;
    const u_char  *p, *q;

    for (p = s; p < e && lb_http_is_tchar(*p); p++) {
        /* void */
    }

    if (p == e) {
        return lb_http_fail(m, LB_HTTP_ERR_REQ_LINE_INVALID);
    }

    if (p == s) {
        return lb_http_fail(m, LB_HTTP_ERR_METHOD_INVALID);
    }

    if (*p != ' ') {
        return lb_http_fail(m, *p == '\t' ? LB_HTTP_ERR_SEPARATOR
                                          : LB_HTTP_ERR_METHOD_INVALID);
    }

    if (p - s > LB_HTTP_MAX_METHOD) {
        return lb_http_fail(m, LB_HTTP_ERR_METHOD_TOO_LONG);
    }

    m->method_text = lb_http_span(start, s, p - s);
    m->method = lb_http_method_id(s, (size_t) (p - s));

    /* the version follows the last SP; p is an SP, so q stops at p */
    for (q = e - 1; *q != ' '; q--) {
        /* void */
    }

    if (q == p) {
        return lb_http_fail(m, LB_HTTP_ERR_NO_VERSION);
    }

    rc = lb_http_parse_version(m, q + 1, e);
    if (rc != LB_OK) {
        return rc;
    }

    if (q == p + 1 || p[1] == ' ' || q[-1] == ' ') {
        return lb_http_fail(m, LB_HTTP_ERR_SEPARATOR);
    }

    if (memchr(p + 1, ' ', (size_t) (q - p - 1)) != NULL) {
        return lb_http_fail(m, LB_HTTP_ERR_SP_IN_TARGET);
    }

    return lb_http_parse_target(m, start, p + 1, q);
}


/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive; 1.0 and 1.1
 * only. */
static lb_int_t
lb_http_parse_version(lb_http_msg_t *m, const u_char *p, const u_char *e)
{
    if (e - p != 8 || memcmp(p, "HTTP/", 5) != 0 || !lb_http_is_digit(p[5])
        || p[6] != '.' || !lb_http_is_digit(p[7]))
    {
        return lb_http_fail(m, LB_HTTP_ERR_VERSION_INVALID);
    }

    if (p[5] != '1' || (p[7] != '0' && p[7] != '1')) {
        return lb_http_fail(m, LB_HTTP_ERR_VERSION_UNSUPPORTED);
    }

    m->version = p[7] == '1' ? 11 : 10;

    return LB_OK;
}


/* request-target in [s, e): one of the four forms of RFC 9112 3.2, the
 * form allowed by the method. */
static lb_int_t
lb_http_parse_target(lb_http_msg_t *m, const u_char *start, const u_char *s,
    const u_char *e)
{
    size_t         len, name_len;
    uint32_t       port;
    const u_char  *p, *a;

    len = (size_t) (e - s);

    for (p = s; p < e; p++) {
        if (!(lb_http_char_class[*p] & LB_HTTP_C_TARGET)) {
            return lb_http_fail(m, LB_HTTP_ERR_TARGET_CHAR);
        }

        if (*p == '#') {
            return lb_http_fail(m, LB_HTTP_ERR_TARGET_FRAGMENT);
        }

        if (*p == '%') {
            if (e - p < 3 || !(lb_http_char_class[p[1]] & LB_HTTP_C_HEX)
                || !(lb_http_char_class[p[2]] & LB_HTTP_C_HEX))
            {
                return lb_http_fail(m, LB_HTTP_ERR_TARGET_PCT);
            }
            p += 2;
        }
    }

    m->target = lb_http_span(start, s, len);

    if (*s == '/') {
        if (m->method == LB_HTTP_METHOD_CONNECT) {
            return lb_http_fail(m, LB_HTTP_ERR_CONNECT_FORM);
        }

        m->target_form = LB_HTTP_TARGET_ORIGIN;
        m->path = m->target;
        return LB_OK;
    }

    if (len == 1 && *s == '*') {
        if (m->method != LB_HTTP_METHOD_OPTIONS) {
            return lb_http_fail(m, LB_HTTP_ERR_ASTERISK_FORM);
        }

        m->target_form = LB_HTTP_TARGET_ASTERISK;
        m->path = m->target;
        return LB_OK;
    }

    if (m->method == LB_HTTP_METHOD_CONNECT) {
        if (memchr(s, '/', len) != NULL) {
            return lb_http_fail(m, LB_HTTP_ERR_CONNECT_FORM);
        }

        if (!lb_http_host_parse(s, len, true, &name_len, &port)) {
            return lb_http_fail(m, LB_HTTP_ERR_TARGET_HOST);
        }

        m->target_form = LB_HTTP_TARGET_AUTHORITY;
        m->host = lb_http_span(start, s, name_len);
        m->port = port;
        m->path = lb_http_span(start, e, 0);
        return LB_OK;
    }

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    p = s;

    if (lb_http_is_alpha(*p)) {
        for (p++; p < e; p++) {
            if (!lb_http_is_alpha(*p) && !lb_http_is_digit(*p)
                && *p != '+' && *p != '-' && *p != '.')
            {
                break;
            }
        }
    }

    if (p > s && e - p >= 3 && p[0] == ':' && p[1] == '/' && p[2] == '/') {
        if (!(p - s == 4 && lb_http_ieq(s, "http", 4))
            && !(p - s == 5 && lb_http_ieq(s, "https", 5)))
        {
            return lb_http_fail(m, LB_HTTP_ERR_TARGET_SCHEME);
        }

        a = p + 3;

        for (p = a; p < e && *p != '/' && *p != '?'; p++) {
            /* void */
        }

        if (memchr(a, '@', (size_t) (p - a)) != NULL) {
            return lb_http_fail(m, LB_HTTP_ERR_TARGET_USERINFO);
        }

        if (!lb_http_host_parse(a, (size_t) (p - a), false, &name_len, &port))
        {
            return lb_http_fail(m, LB_HTTP_ERR_TARGET_HOST);
        }

        m->target_form = LB_HTTP_TARGET_ABSOLUTE;
        m->host = lb_http_span(start, a, name_len);
        m->port = port;
        m->path = lb_http_span(start, p, e - p);
        return LB_OK;
    }

    if (lb_http_host_parse(s, len, true, &name_len, &port)) {
        return lb_http_fail(m, LB_HTTP_ERR_AUTHORITY_FORM);
    }

    return lb_http_fail(m, LB_HTTP_ERR_TARGET_INVALID);
}


/* status-line = HTTP-version SP status-code SP [ reason-phrase ], in
 * [s, e); the SP after the code may be missing when the reason is. */
static lb_int_t
lb_http_parse_status_line(lb_http_msg_t *m, const u_char *start,
    const u_char *s, const u_char *e)
{
    unsigned       code;
    const u_char  *p;

    if (e - s < 8 || memcmp(s, "HTTP/", 5) != 0 || !lb_http_is_digit(s[5])
        || s[6] != '.' || !lb_http_is_digit(s[7]))
    {
        return lb_http_fail(m, LB_HTTP_ERR_STATUS_LINE_INVALID);
    }

    if (s[5] != '1' || (s[7] != '0' && s[7] != '1')) {
        return lb_http_fail(m, LB_HTTP_ERR_VERSION_UNSUPPORTED);
    }

    m->version = s[7] == '1' ? 11 : 10;

    if (e - s < 9 || s[8] != ' ') {
        return lb_http_fail(m, LB_HTTP_ERR_STATUS_LINE_INVALID);
    }

    if (e - s < 12 || !lb_http_is_digit(s[9]) || !lb_http_is_digit(s[10])
        || !lb_http_is_digit(s[11]) || (e - s > 12 && s[12] != ' '))
    {
        return lb_http_fail(m, LB_HTTP_ERR_STATUS_INVALID);
    }

    code = (unsigned) (s[9] - '0') * 100 + (unsigned) (s[10] - '0') * 10
           + (unsigned) (s[11] - '0');

    if (code < 100 || code > 599) {
        return lb_http_fail(m, LB_HTTP_ERR_STATUS_INVALID);
    }

    m->code = code;

    p = e - s > 12 ? s + 13 : e;
    m->reason_phrase = lb_http_span(start, p, e - p);

    for ( /* void */ ; p < e; p++) {
        if (!(lb_http_char_class[*p] & LB_HTTP_C_FVALUE)) {
            return lb_http_fail(m, LB_HTTP_ERR_REASON_INVALID);
        }
    }

    return LB_OK;
}


/* field-line = field-name ":" OWS field-value OWS, in [s, e). */
static lb_int_t
lb_http_parse_field_line(lb_http_msg_t *m, const u_char *start,
    const u_char *s, const u_char *e)
{
    bool               dup;
    const u_char      *p, *v, *ve;
    lb_http_hdr_e      id;
    lb_http_header_t  *h;

    if (lb_http_is_ows(*s)) {
        return lb_http_fail(m, m->nheaders == 0 ? LB_HTTP_ERR_WS_AFTER_START
                                                : LB_HTTP_ERR_OBS_FOLD);
    }

    for (p = s; p < e && lb_http_is_tchar(*p); p++) {
        /* void */
    }

    if (p == e) {
        return lb_http_fail(m, LB_HTTP_ERR_NO_COLON);
    }

    if (*p != ':') {
        if (lb_http_is_ows(*p)) {
            return lb_http_fail(m, memchr(p, ':', (size_t) (e - p)) != NULL
                                   ? LB_HTTP_ERR_WS_BEFORE_COLON
                                   : LB_HTTP_ERR_NO_COLON);
        }

        return lb_http_fail(m, LB_HTTP_ERR_NAME_CHAR);
    }

    if (p == s) {
        return lb_http_fail(m, LB_HTTP_ERR_NAME_EMPTY);
    }

    for (v = p + 1; v < e; v++) {
        if (!(lb_http_char_class[*v] & LB_HTTP_C_FVALUE)) {
            return lb_http_fail(m, *v == '\0' ? LB_HTTP_ERR_VALUE_NUL
                                              : LB_HTTP_ERR_VALUE_CTL);
        }
    }

    for (v = p + 1; v < e && lb_http_is_ows(*v); v++) {
        /* void */
    }

    for (ve = e; ve > v && lb_http_is_ows(ve[-1]); ve--) {
        /* void */
    }

    if (m->nheaders >= m->max_headers) {
        return lb_http_fail(m, LB_HTTP_ERR_TOO_MANY_HEADERS);
    }

    id = lb_http_header_id(s, (size_t) (p - s));

    h = &m->headers[m->nheaders++];
    h->name = lb_http_span(start, s, p - s);
    h->value = lb_http_span(start, v, ve - v);
    h->id = id;

    if (id == LB_HTTP_HDR_OTHER) {
        return LB_OK;
    }

    dup = m->first[id] != 0;

    if (!dup) {
        m->first[id] = (uint16_t) m->nheaders;
    }

    return lb_http_field(m, start, id, dup, v, ve);
}


/* What the fields weir acts on mean, value in [v, e) trimmed. */
static lb_int_t
lb_http_field(lb_http_msg_t *m, const u_char *start, lb_http_hdr_e id,
    bool dup, const u_char *v, const u_char *e)
{
    size_t    name_len;
    uint32_t  port;

    switch (id) {

    case LB_HTTP_HDR_CONTENT_LENGTH:
        return lb_http_content_length(m, dup, v, e);

    case LB_HTTP_HDR_TRANSFER_ENCODING:
        return lb_http_transfer_encoding(m, v, e);

    case LB_HTTP_HDR_CONNECTION:
        return lb_http_connection(m, v, e);

    case LB_HTTP_HDR_UPGRADE:
        m->has_upgrade_hdr = 1;
        return LB_OK;

    case LB_HTTP_HDR_HOST:
        if (m->response) {
            return LB_OK;
        }

        if (dup) {
            return lb_http_fail(m, LB_HTTP_ERR_HOST_DUPLICATE);
        }

        if (!lb_http_host_parse(v, (size_t) (e - v), false, &name_len, &port))
        {
            return lb_http_fail(m, LB_HTTP_ERR_HOST_INVALID);
        }

        /* the authority of the target wins over Host (RFC 9112 3.2.2) */
        if (m->target_form != LB_HTTP_TARGET_ABSOLUTE
            && m->target_form != LB_HTTP_TARGET_AUTHORITY)
        {
            m->host = lb_http_span(start, v, name_len);
            m->port = port;
        }

        return LB_OK;

    case LB_HTTP_HDR_EXPECT:
        /* an HTTP/1.0 server must ignore it (RFC 9110 10.1.1) */
        if (!m->response && m->version == 11 && e - v == 12
            && lb_http_ieq(v, "100-continue", 12))
        {
            m->expect_continue = 1;
        }
        return LB_OK;

    default:
        return LB_OK;
    }
}


/* Content-Length = 1*DIGIT, once. */
static lb_int_t
lb_http_content_length(lb_http_msg_t *m, bool dup, const u_char *v,
    const u_char *e)
{
    uint64_t       n, d;
    const u_char  *p;

    if (dup) {
        return lb_http_fail(m, LB_HTTP_ERR_CL_DUPLICATE);
    }

    if (v == e) {
        return lb_http_fail(m, LB_HTTP_ERR_CL_INVALID);
    }

    if (memchr(v, ',', (size_t) (e - v)) != NULL) {
        return lb_http_fail(m, LB_HTTP_ERR_CL_LIST);
    }

    n = 0;

    for (p = v; p < e; p++) {
        if (!lb_http_is_digit(*p)) {
            return lb_http_fail(m, LB_HTTP_ERR_CL_INVALID);
        }

        d = (uint64_t) (*p - '0');

        if (n > (INT64_MAX - d) / 10) {
            return lb_http_fail(m, LB_HTTP_ERR_CL_OVERFLOW);
        }

        n = n * 10 + d;
    }

    m->has_content_length = 1;
    m->content_length = n;

    return LB_OK;
}


/* Transfer-Encoding = #transfer-coding; the list goes on over repeated
 * field lines. Whether the codings are acceptable is decided at the end of
 * the head, when the whole list is known. */
static lb_int_t
lb_http_transfer_encoding(lb_http_msg_t *m, const u_char *v, const u_char *e)
{
    unsigned       n;
    const u_char  *a, *b, *p;

    m->has_te = 1;
    n = 0;

    while (lb_http_list_next(&v, e, &a, &b)) {
        for (p = a; p < b; p++) {
            if (!lb_http_is_tchar(*p)) {
                /* parameters (";") included: chunked takes none */
                return lb_http_fail(m, LB_HTTP_ERR_TE_INVALID);
            }
        }

        if (b - a == 7 && lb_http_ieq(a, "chunked", 7)) {
            if (m->te_chunked < UINT8_MAX) {
                m->te_chunked++;
            }
            m->te_last_chunked = 1;

        } else {
            m->te_other = 1;
            m->te_last_chunked = 0;
        }

        n++;
    }

    if (n == 0) {
        return lb_http_fail(m, LB_HTTP_ERR_TE_INVALID);
    }

    return LB_OK;
}


/* Connection = #connection-option; the options weir acts on are noted. */
static lb_int_t
lb_http_connection(lb_http_msg_t *m, const u_char *v, const u_char *e)
{
    const u_char  *a, *b, *p;

    while (lb_http_list_next(&v, e, &a, &b)) {
        for (p = a; p < b; p++) {
            if (!lb_http_is_tchar(*p)) {
                return lb_http_fail(m, LB_HTTP_ERR_CONNECTION_INVALID);
            }
        }

        if (b - a == 5 && lb_http_ieq(a, "close", 5)) {
            m->conn_close = 1;

        } else if (b - a == 10 && lb_http_ieq(a, "keep-alive", 10)) {
            m->conn_keep_alive = 1;

        } else if (b - a == 7 && lb_http_ieq(a, "upgrade", 7)) {
            m->conn_upgrade = 1;
        }
    }

    return LB_OK;
}


/* The rules that need the whole head, and the body framing of a request
 * (RFC 9112 6.3: chunked, else Content-Length, else no body). */
static lb_int_t
lb_http_finish_request(lb_http_msg_t *m)
{
    if (m->has_te) {
        if (m->version == 10) {
            return lb_http_fail(m, LB_HTTP_ERR_TE_HTTP10);
        }

        if (m->has_content_length) {
            return lb_http_fail(m, LB_HTTP_ERR_CL_TE);
        }

        if (m->te_chunked > 1) {
            return lb_http_fail(m, LB_HTTP_ERR_TE_TWICE);
        }

        if (!m->te_last_chunked) {
            return lb_http_fail(m, LB_HTTP_ERR_TE_NOT_FINAL);
        }

        if (m->te_other) {
            return lb_http_fail(m, LB_HTTP_ERR_TE_UNSUPPORTED);
        }

        m->chunked = 1;
        m->body = LB_HTTP_BODY_CHUNKED;

    } else if (m->has_content_length) {
        m->body = LB_HTTP_BODY_LENGTH;

    } else {
        m->body = LB_HTTP_BODY_NONE;
    }

    if (m->version == 11 && m->first[LB_HTTP_HDR_HOST] == 0) {
        return lb_http_fail(m, LB_HTTP_ERR_HOST_MISSING);
    }

    if (m->version == 11) {
        m->keep_alive = !m->conn_close;
        m->upgrade = m->conn_upgrade && m->has_upgrade_hdr;

    } else {
        /* RFC 9110 7.8: an HTTP/1.0 Upgrade is ignored */
        m->keep_alive = m->conn_keep_alive && !m->conn_close;
    }

    return LB_OK;
}


/* The body framing of a response to `req_method`, RFC 9112 6.3 in its
 * order. */
static lb_int_t
lb_http_finish_response(lb_http_msg_t *m, lb_http_method_e req_method)
{
    if (m->has_te) {
        if (m->version == 10) {
            return lb_http_fail(m, LB_HTTP_ERR_TE_HTTP10);
        }

        if (m->has_content_length) {
            return lb_http_fail(m, LB_HTTP_ERR_CL_TE);
        }

        if (m->te_chunked > 1) {
            return lb_http_fail(m, LB_HTTP_ERR_TE_TWICE);
        }
    }

    if (m->version == 11) {
        m->keep_alive = !m->conn_close;

    } else {
        m->keep_alive = m->conn_keep_alive && !m->conn_close;
    }

    if (m->code < 200) {
        m->body = m->code == 101 ? LB_HTTP_BODY_TUNNEL : LB_HTTP_BODY_NONE;
        m->upgrade = m->code == 101;

    } else if (req_method == LB_HTTP_METHOD_HEAD || m->code == 204
               || m->code == 304)
    {
        m->body = LB_HTTP_BODY_NONE;

    } else if (req_method == LB_HTTP_METHOD_CONNECT && m->code < 300) {
        m->body = LB_HTTP_BODY_TUNNEL;

    } else if (m->has_te) {
        if (m->te_last_chunked) {
            m->chunked = 1;
            m->body = LB_HTTP_BODY_CHUNKED;

        } else {
            m->body = LB_HTTP_BODY_CLOSE;
        }

    } else if (m->has_content_length) {
        m->body = LB_HTTP_BODY_LENGTH;

    } else {
        m->body = LB_HTTP_BODY_CLOSE;
    }

    if (m->body == LB_HTTP_BODY_CLOSE || m->body == LB_HTTP_BODY_TUNNEL) {
        m->keep_alive = 0;
    }

    return LB_OK;
}


/* The next non-empty element of a comma list in [*pp, e), trimmed of
 * OWS, in [*a, *b); false at the end. Empty elements are skipped (RFC
 * 9110 5.6.1). */
static bool
lb_http_list_next(const u_char **pp, const u_char *e, const u_char **a,
    const u_char **b)
{
    const u_char  *p, *q;

    for (p = *pp; p < e; p = q + 1) {
        for (q = p; q < e && *q != ','; q++) {
            /* void */
        }

        *pp = q < e ? q + 1 : e;

        while (p < q && lb_http_is_ows(*p)) {
            p++;
        }

        *b = q;

        while (*b > p && lb_http_is_ows((*b)[-1])) {
            (*b)--;
        }

        if (*b > p) {
            *a = p;
            return true;
        }

        if (q == e) {
            break;
        }
    }

    *pp = e;

    return false;
}


/* host [ ":" port ] as weir accepts it in Host and in targets: a reg-name
 * of ALPHA DIGIT - . _ ~ (IPv4 included), or an IPv6 address in brackets;
 * port 1..65535. *name_len: the host part, brackets included. */
static bool
lb_http_host_parse(const u_char *p, size_t len, bool need_port,
    size_t *name_len, uint32_t *port)
{
    char             buf[INET6_ADDRSTRLEN];
    size_t           n;
    uint32_t         v;
    const u_char    *e, *q;
    struct in6_addr  a6;

    if (len == 0) {
        return false;
    }

    e = p + len;

    if (*p == '[') {
        q = memchr(p, ']', len);
        if (q == NULL) {
            return false;
        }

        n = (size_t) (q - p - 1);
        if (n == 0 || n >= sizeof(buf)) {
            return false;
        }

        memcpy(buf, p + 1, n);
        buf[n] = '\0';

        if (inet_pton(AF_INET6, buf, &a6) != 1) {
            return false;
        }

        q++;

    } else {
        for (q = p; q < e && (lb_http_char_class[*q] & LB_HTTP_C_HOST); q++) {
            /* void */
        }

        if (q == p) {
            return false;
        }
    }

    *name_len = (size_t) (q - p);
    *port = 0;

    if (q == e) {
        return !need_port;
    }

    if (*q++ != ':' || q == e || e - q > 5) {
        return false;
    }

    for (v = 0; q < e; q++) {
        if (!lb_http_is_digit(*q)) {
            return false;
        }
        v = v * 10 + (uint32_t) (*q - '0');
    }

    if (v == 0 || v > 65535) {
        return false;
    }

    *port = v;

    return true;
}


lb_http_hdr_e
lb_http_header_id(const u_char *name, size_t len)
{
    unsigned  i;

    for (i = 1; i < LB_HTTP_HDR_N; i++) {
        if (lb_http_header_lens[i] == len
            && lb_http_ieq(name, lb_http_header_names[i], len))
        {
            return (lb_http_hdr_e) i;
        }
    }

    return LB_HTTP_HDR_OTHER;
}


static lb_http_method_e
lb_http_method_id(const u_char *p, size_t len)
{
    unsigned  i;

    for (i = 1; i < LB_HTTP_METHOD_N; i++) {
        if (lb_http_method_lens[i] == len
            && memcmp(p, lb_http_method_strs[i], len) == 0)
        {
            return (lb_http_method_e) i;
        }
    }

    return LB_HTTP_METHOD_OTHER;
}


bool
lb_http_ieq(const u_char *p, const char *lit, size_t len)
{
    size_t  i;
    u_char  c, l;

    for (i = 0; i < len; i++) {
        c = p[i];
        l = (u_char) lit[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (l >= 'A' && l <= 'Z') {
            l |= 0x20;
        }

        if (c != l) {
            return false;
        }
    }

    return true;
}
