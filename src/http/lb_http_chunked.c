/* weir: incremental, zero-copy decoder of the chunked transfer coding.
 * A byte state machine for the framing (size lines, extensions, CRLFs,
 * trailers); chunk data is skipped in one step per input. */
#include <string.h>

#include "lb_http_chunked.h"
#include "lb_http_parse.h"

/* Order matters: the size-line states and the trailer states are ranges
 * (their bytes count against max_line and max_trailer). */
enum {
    LB_CH_SIZE_START = 0,       /* first HEXDIG of chunk-size */
    LB_CH_SIZE,
    LB_CH_SIZE_WS,              /* BWS after chunk-size, ";" must follow */
    LB_CH_EXT_NAME_START,       /* after ";" */
    LB_CH_EXT_NAME,
    LB_CH_EXT_NAME_WS,
    LB_CH_EXT_VAL_START,        /* after "=" */
    LB_CH_EXT_TOKEN,
    LB_CH_EXT_QUOTED,
    LB_CH_EXT_ESC,              /* after "\" in a quoted-string */
    LB_CH_EXT_AFTER_QUOTE,
    LB_CH_EXT_VAL_WS,
    LB_CH_SIZE_LF,              /* CR seen, LF must follow */
    LB_CH_DATA,
    LB_CH_DATA_CR,
    LB_CH_DATA_LF,
    LB_CH_TRAILER_START,        /* start of a trailer line */
    LB_CH_TRAILER_NAME,
    LB_CH_TRAILER_VALUE,
    LB_CH_TRAILER_LF,
    LB_CH_END_LF,               /* CR of the final empty line seen */
    LB_CH_DONE,
    LB_CH_ERROR
};

static lb_int_t lb_http_chunked_fail(lb_http_chunked_t *c,
    lb_http_err_e err);
static lb_http_err_e lb_http_chunked_byte(lb_http_chunked_t *c, u_char ch);
static unsigned lb_http_hexval(u_char ch);

#define lb_http_ch_ows(ch)  ((ch) == ' ' || (ch) == '\t')


void
lb_http_chunked_init(lb_http_chunked_t *c)
{
    memset(c, 0, sizeof(lb_http_chunked_t));

    c->max_chunk = LB_HTTP_CHUNK_MAX;
    c->max_line = LB_HTTP_CHUNK_MAX_LINE;
    c->max_trailer = LB_HTTP_CHUNK_MAX_TRAILER;
    c->max_trailers = LB_HTTP_CHUNK_MAX_TRAILERS;
    c->state = LB_CH_SIZE_START;
    c->err = LB_HTTP_ERR_NONE;
}


lb_int_t
lb_http_chunked_parse(lb_http_chunked_t *c, const u_char *p,
    const u_char *end, lb_http_chunked_out_t *out)
{
    size_t          n;
    bool            want;
    const u_char   *start, *tstart;
    lb_http_err_e   err;

    out->ndata = 0;
    out->consumed = 0;
    out->trailer.off = 0;
    out->trailer.len = 0;

    if (c->state == LB_CH_DONE) {
        return LB_DONE;
    }

    if (c->state == LB_CH_ERROR) {
        return LB_ERROR;
    }

    /* spans are 32-bit offsets: larger inputs are taken in parts */
    if ((size_t) (end - p) > UINT32_MAX) {
        end = p + UINT32_MAX;
    }

    start = p;
    tstart = NULL;
    want = out->data != NULL && out->max_data > 0;

    while (p < end) {

        if (c->state == LB_CH_DATA) {
            n = (size_t) (end - p);
            if (n > c->size) {
                n = (size_t) c->size;
            }

            if (want) {
                if (out->ndata == out->max_data) {
                    break;
                }

                out->data[out->ndata].off = (uint32_t) (p - start);
                out->data[out->ndata].len = (uint32_t) n;
                out->ndata++;
            }

            p += n;
            c->size -= n;
            c->data_len += n;

            if (c->size == 0) {
                c->state = LB_CH_DATA_CR;
            }

            continue;
        }

        if (c->state <= LB_CH_SIZE_LF) {
            if (++c->line_len > c->max_line) {
                lb_http_chunked_fail(c, LB_HTTP_ERR_CHUNK_LINE_TOO_LONG);
                break;
            }

        } else if (c->state >= LB_CH_TRAILER_START) {
            if (++c->trailer_len > c->max_trailer) {
                lb_http_chunked_fail(c, LB_HTTP_ERR_TRAILER_TOO_LARGE);
                break;
            }

            if (tstart == NULL) {
                tstart = p;
            }
        }

        err = lb_http_chunked_byte(c, *p);
        if (err != LB_HTTP_ERR_NONE) {
            lb_http_chunked_fail(c, err);
            break;
        }

        p++;

        if (c->state == LB_CH_DONE) {
            break;
        }
    }

    /* on an error: the bytes before the bad one */
    out->consumed = (size_t) (p - start);

    if (tstart != NULL) {
        out->trailer.off = (uint32_t) (tstart - start);
        out->trailer.len = (uint32_t) (p - tstart);
    }

    switch (c->state) {
    case LB_CH_DONE:
        return LB_DONE;
    case LB_CH_ERROR:
        return LB_ERROR;
    default:
        return LB_AGAIN;
    }
}


static lb_int_t
lb_http_chunked_fail(lb_http_chunked_t *c, lb_http_err_e err)
{
    c->state = LB_CH_ERROR;
    c->err = err;
    c->reason = lb_http_err_reasons[err];

    return LB_ERROR;
}


/* One framing byte: move c->state on, or say which rule `ch` breaks. */
static lb_http_err_e
lb_http_chunked_byte(lb_http_chunked_t *c, u_char ch)
{
    unsigned  d;
    uint8_t   cls;

    cls = lb_http_char_class[ch];

    switch (c->state) {

    case LB_CH_SIZE_START:
        if (!(cls & LB_HTTP_C_HEX)) {
            return LB_HTTP_ERR_CHUNK_SIZE_INVALID;
        }
        c->size = 0;
        c->state = LB_CH_SIZE;
        /* fall through */

    case LB_CH_SIZE:
        if (cls & LB_HTTP_C_HEX) {
            d = lb_http_hexval(ch);
            if (d > c->max_chunk || c->size > (c->max_chunk - d) / 16) {
                return LB_HTTP_ERR_CHUNK_TOO_LARGE;
            }
            c->size = c->size * 16 + d;
            return LB_HTTP_ERR_NONE;
        }

        switch (ch) {
        case ';':
            c->state = LB_CH_EXT_NAME_START;
            return LB_HTTP_ERR_NONE;
        case ' ':
        case '\t':
            c->state = LB_CH_SIZE_WS;
            return LB_HTTP_ERR_NONE;
        case '\r':
            c->state = LB_CH_SIZE_LF;
            return LB_HTTP_ERR_NONE;
        case '\n':
            return LB_HTTP_ERR_BARE_LF;
        default:
            return LB_HTTP_ERR_CHUNK_SIZE_INVALID;
        }

    case LB_CH_SIZE_WS:
    case LB_CH_EXT_VAL_WS:
        if (lb_http_ch_ows(ch)) {
            return LB_HTTP_ERR_NONE;
        }
        if (ch == ';') {
            c->state = LB_CH_EXT_NAME_START;
            return LB_HTTP_ERR_NONE;
        }
        return LB_HTTP_ERR_CHUNK_EXT_INVALID;

    case LB_CH_EXT_NAME_START:
        if (lb_http_ch_ows(ch)) {
            return LB_HTTP_ERR_NONE;
        }
        if (cls & LB_HTTP_C_TCHAR) {
            c->state = LB_CH_EXT_NAME;
            return LB_HTTP_ERR_NONE;
        }
        return LB_HTTP_ERR_CHUNK_EXT_INVALID;

    case LB_CH_EXT_NAME:
    case LB_CH_EXT_TOKEN:
    case LB_CH_EXT_AFTER_QUOTE:
        if ((cls & LB_HTTP_C_TCHAR) && c->state != LB_CH_EXT_AFTER_QUOTE) {
            return LB_HTTP_ERR_NONE;
        }

        switch (ch) {
        case ' ':
        case '\t':
            c->state = c->state == LB_CH_EXT_NAME ? LB_CH_EXT_NAME_WS
                                                  : LB_CH_EXT_VAL_WS;
            return LB_HTTP_ERR_NONE;
        case '=':
            if (c->state != LB_CH_EXT_NAME) {
                return LB_HTTP_ERR_CHUNK_EXT_INVALID;
            }
            c->state = LB_CH_EXT_VAL_START;
            return LB_HTTP_ERR_NONE;
        case ';':
            c->state = LB_CH_EXT_NAME_START;
            return LB_HTTP_ERR_NONE;
        case '\r':
            c->state = LB_CH_SIZE_LF;
            return LB_HTTP_ERR_NONE;
        case '\n':
            return LB_HTTP_ERR_BARE_LF;
        default:
            return LB_HTTP_ERR_CHUNK_EXT_INVALID;
        }

    case LB_CH_EXT_NAME_WS:
        if (lb_http_ch_ows(ch)) {
            return LB_HTTP_ERR_NONE;
        }
        if (ch == '=') {
            c->state = LB_CH_EXT_VAL_START;
            return LB_HTTP_ERR_NONE;
        }
        if (ch == ';') {
            c->state = LB_CH_EXT_NAME_START;
            return LB_HTTP_ERR_NONE;
        }
        return LB_HTTP_ERR_CHUNK_EXT_INVALID;

    case LB_CH_EXT_VAL_START:
        if (lb_http_ch_ows(ch)) {
            return LB_HTTP_ERR_NONE;
        }
        if (cls & LB_HTTP_C_TCHAR) {
            c->state = LB_CH_EXT_TOKEN;
            return LB_HTTP_ERR_NONE;
        }
        if (ch == '"') {
            c->state = LB_CH_EXT_QUOTED;
            return LB_HTTP_ERR_NONE;
        }
        return LB_HTTP_ERR_CHUNK_EXT_INVALID;

    case LB_CH_EXT_QUOTED:
        if (ch == '"') {
            c->state = LB_CH_EXT_AFTER_QUOTE;
            return LB_HTTP_ERR_NONE;
        }
        if (ch == '\\') {
            c->state = LB_CH_EXT_ESC;
            return LB_HTTP_ERR_NONE;
        }
        return (cls & LB_HTTP_C_QDTEXT) ? LB_HTTP_ERR_NONE
                                        : LB_HTTP_ERR_CHUNK_EXT_INVALID;

    case LB_CH_EXT_ESC:
        /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
        if (cls & LB_HTTP_C_FVALUE) {
            c->state = LB_CH_EXT_QUOTED;
            return LB_HTTP_ERR_NONE;
        }
        return LB_HTTP_ERR_CHUNK_EXT_INVALID;

    case LB_CH_SIZE_LF:
        if (ch != '\n') {
            return LB_HTTP_ERR_BARE_CR;
        }
        if (c->size == 0) {
            c->state = LB_CH_TRAILER_START;
            c->trailer_len = 0;
        } else {
            c->state = LB_CH_DATA;
        }
        return LB_HTTP_ERR_NONE;

    case LB_CH_DATA_CR:
        if (ch != '\r') {
            return LB_HTTP_ERR_CHUNK_DATA_CRLF;
        }
        c->state = LB_CH_DATA_LF;
        return LB_HTTP_ERR_NONE;

    case LB_CH_DATA_LF:
        if (ch != '\n') {
            return LB_HTTP_ERR_CHUNK_DATA_CRLF;
        }
        c->state = LB_CH_SIZE_START;
        c->line_len = 0;
        return LB_HTTP_ERR_NONE;

    case LB_CH_TRAILER_START:
        if (cls & LB_HTTP_C_TCHAR) {
            c->state = LB_CH_TRAILER_NAME;
            return LB_HTTP_ERR_NONE;
        }

        switch (ch) {
        case '\r':
            c->state = LB_CH_END_LF;
            return LB_HTTP_ERR_NONE;
        case '\n':
            return LB_HTTP_ERR_BARE_LF;
        case ' ':
        case '\t':
            return LB_HTTP_ERR_OBS_FOLD;
        case ':':
            return LB_HTTP_ERR_NAME_EMPTY;
        default:
            return LB_HTTP_ERR_NAME_CHAR;
        }

    case LB_CH_TRAILER_NAME:
        if (cls & LB_HTTP_C_TCHAR) {
            return LB_HTTP_ERR_NONE;
        }

        switch (ch) {
        case ':':
            c->state = LB_CH_TRAILER_VALUE;
            return LB_HTTP_ERR_NONE;
        case ' ':
        case '\t':
            return LB_HTTP_ERR_WS_BEFORE_COLON;
        case '\r':
            return LB_HTTP_ERR_NO_COLON;
        case '\n':
            return LB_HTTP_ERR_BARE_LF;
        default:
            return LB_HTTP_ERR_NAME_CHAR;
        }

    case LB_CH_TRAILER_VALUE:
        if (cls & LB_HTTP_C_FVALUE) {
            return LB_HTTP_ERR_NONE;
        }

        switch (ch) {
        case '\r':
            c->state = LB_CH_TRAILER_LF;
            return LB_HTTP_ERR_NONE;
        case '\n':
            return LB_HTTP_ERR_BARE_LF;
        case '\0':
            return LB_HTTP_ERR_VALUE_NUL;
        default:
            return LB_HTTP_ERR_VALUE_CTL;
        }

    case LB_CH_TRAILER_LF:
        if (ch != '\n') {
            return LB_HTTP_ERR_BARE_CR;
        }
        if (++c->ntrailers > c->max_trailers) {
            return LB_HTTP_ERR_TRAILER_TOO_LARGE;
        }
        c->state = LB_CH_TRAILER_START;
        return LB_HTTP_ERR_NONE;

    case LB_CH_END_LF:
        if (ch != '\n') {
            return LB_HTTP_ERR_BARE_CR;
        }
        c->state = LB_CH_DONE;
        return LB_HTTP_ERR_NONE;

    default:
        /* DATA is handled by the caller, DONE and ERROR never get here */
        return LB_HTTP_ERR_INTERNAL;
    }
}


static unsigned
lb_http_hexval(u_char ch)
{
    if (ch >= '0' && ch <= '9') {
        return (unsigned) (ch - '0');
    }

    return (unsigned) ((ch | 0x20) - 'a' + 10);
}
