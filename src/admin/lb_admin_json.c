/* weir: the admin API's growing buffer and JSON writer (lb_admin_json.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_admin_json.h"

static bool lb_admin_buf_room(lb_admin_buf_t *b, size_t n);
static void lb_json_key(lb_json_t *j, const char *key);
static size_t lb_json_utf8_len(const u_char *p, size_t n);

static const char  lb_json_hex[] = "0123456789abcdef";


void
lb_admin_buf_append(lb_admin_buf_t *b, const void *p, size_t n)
{
    if (n == 0 || !lb_admin_buf_room(b, n)) {
        return;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;
}


void
lb_admin_buf_printf(lb_admin_buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (b->nomem) {
        return;
    }

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n <= 0 || !lb_admin_buf_room(b, (size_t) n + 1)) {
        return;
    }

    va_start(ap, fmt);
    (void) vsnprintf((char *) b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);

    b->len += (size_t) n;
}


void
lb_admin_buf_free(lb_admin_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->size = 0;
    b->nomem = 0;
}


/* make room for n more bytes: doubles, at least 4 KB */
static bool
lb_admin_buf_room(lb_admin_buf_t *b, size_t n)
{
    size_t   size;
    u_char  *p;

    if (b->nomem) {
        return false;
    }

    if (b->size - b->len >= n) {
        return true;
    }

    size = b->size ? b->size : 4096;

    while (size - b->len < n) {
        if (size > SIZE_MAX / 2) {
            b->nomem = 1;
            return false;
        }
        size *= 2;
    }

    p = realloc(b->data, size);
    if (p == NULL) {
        b->nomem = 1;
        return false;
    }

    b->data = p;
    b->size = size;

    return true;
}


void
lb_json_init(lb_json_t *j, lb_admin_buf_t *buf)
{
    j->buf = buf;
    j->depth = 0;
    j->items[0] = 0;
}


/* the comma before an item, and its key inside an object */
static void
lb_json_key(lb_json_t *j, const char *key)
{
    if (j->items[j->depth]) {
        lb_admin_buf_append(j->buf, ",", 1);
    }

    j->items[j->depth] = 1;

    if (key != NULL) {
        lb_json_escape(j->buf, key, strlen(key));
        lb_admin_buf_append(j->buf, ":", 1);
    }
}


void
lb_json_object(lb_json_t *j, const char *key)
{
    lb_json_key(j, key);
    lb_admin_buf_append(j->buf, "{", 1);

    if (j->depth + 1 >= LB_JSON_MAX_DEPTH) {
        /* a writer bug: every document of the API is a few levels deep */
        abort();
    }

    j->items[++j->depth] = 0;
}


void
lb_json_object_end(lb_json_t *j)
{
    lb_admin_buf_append(j->buf, "}", 1);
    j->depth--;
}


void
lb_json_array(lb_json_t *j, const char *key)
{
    lb_json_key(j, key);
    lb_admin_buf_append(j->buf, "[", 1);

    if (j->depth + 1 >= LB_JSON_MAX_DEPTH) {
        abort();
    }

    j->items[++j->depth] = 0;
}


void
lb_json_array_end(lb_json_t *j)
{
    lb_admin_buf_append(j->buf, "]", 1);
    j->depth--;
}


void
lb_json_names(lb_json_t *j, const char *key, const char *const *names,
    const uint8_t *idx, uint32_t n)
{
    uint32_t  i;

    lb_json_array(j, key);

    for (i = 0; i < n; i++) {
        lb_json_str(j, NULL, names[idx[i]]);
    }

    lb_json_array_end(j);
}


void
lb_json_str(lb_json_t *j, const char *key, const char *s)
{
    if (s == NULL) {
        lb_json_null(j, key);
        return;
    }

    lb_json_strn(j, key, s, strlen(s));
}


void
lb_json_str_set(lb_json_t *j, const char *key, const char *s)
{
    if (s != NULL) {
        lb_json_strn(j, key, s, strlen(s));
    }
}


void
lb_json_strn(lb_json_t *j, const char *key, const char *s, size_t n)
{
    lb_json_key(j, key);
    lb_json_escape(j->buf, s, n);
}


void
lb_json_uint(lb_json_t *j, const char *key, uint64_t v)
{
    lb_json_key(j, key);
    lb_admin_buf_printf(j->buf, "%llu", (unsigned long long) v);
}


void
lb_json_int(lb_json_t *j, const char *key, int64_t v)
{
    lb_json_key(j, key);
    lb_admin_buf_printf(j->buf, "%lld", (long long) v);
}


void
lb_json_bool(lb_json_t *j, const char *key, bool v)
{
    lb_json_key(j, key);
    lb_admin_buf_printf(j->buf, "%s", v ? "true" : "false");
}


void
lb_json_null(lb_json_t *j, const char *key)
{
    lb_json_key(j, key);
    lb_admin_buf_append(j->buf, "null", 4);
}


void
lb_json_tenths(lb_json_t *j, const char *key, uint32_t tenths)
{
    lb_json_key(j, key);
    lb_admin_buf_printf(j->buf, "%u.%u", tenths / 10, tenths % 10);
}


/* RFC 8259 section 7: '"', '\' and controls escaped (the short forms
 * where there is one), DEL too (harmless, and safer in a terminal); valid
 * UTF-8 passes as it is; any other byte is U+FFFD. */
void
lb_json_escape(lb_admin_buf_t *b, const char *s, size_t n)
{
    u_char        c;
    size_t        i, k, run;
    char          esc[6];
    const u_char  *p;

    p = (const u_char *) s;

    lb_admin_buf_append(b, "\"", 1);

    for (i = 0; i < n; /* void */) {

        /* a run of bytes that need nothing */
        for (run = i; run < n; run++) {
            c = p[run];
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
                break;
            }
        }

        lb_admin_buf_append(b, p + i, run - i);
        i = run;

        if (i == n) {
            break;
        }

        c = p[i];

        if (c >= 0x80) {
            k = lb_json_utf8_len(p + i, n - i);
            if (k == 0) {
                lb_admin_buf_append(b, "\\ufffd", 6);
                i++;
            } else {
                lb_admin_buf_append(b, p + i, k);
                i += k;
            }
            continue;
        }

        switch (c) {
        case '"':  lb_admin_buf_append(b, "\\\"", 2); break;
        case '\\': lb_admin_buf_append(b, "\\\\", 2); break;
        case '\b': lb_admin_buf_append(b, "\\b", 2); break;
        case '\f': lb_admin_buf_append(b, "\\f", 2); break;
        case '\n': lb_admin_buf_append(b, "\\n", 2); break;
        case '\r': lb_admin_buf_append(b, "\\r", 2); break;
        case '\t': lb_admin_buf_append(b, "\\t", 2); break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = lb_json_hex[c >> 4];
            esc[5] = lb_json_hex[c & 0xf];
            lb_admin_buf_append(b, esc, 6);
        }

        i++;
    }

    lb_admin_buf_append(b, "\"", 1);
}


/* The length of the well-formed UTF-8 sequence at p (Unicode table 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF), 0 if there
 * is none. */
static size_t
lb_json_utf8_len(const u_char *p, size_t n)
{
    size_t  len, i;
    u_char  lo, hi;

    lo = 0x80;
    hi = 0xbf;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        if (p[0] == 0xe0) {
            lo = 0xa0;
        } else if (p[0] == 0xed) {
            hi = 0x9f;
        }
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        if (p[0] == 0xf0) {
            lo = 0x90;
        } else if (p[0] == 0xf4) {
            hi = 0x8f;
        }
    } else {
        return 0;
    }

    if (n < len || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return len;
}
