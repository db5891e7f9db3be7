/* weir: cookies for sticky sessions (RFC 6265): read a Cookie request
 * header (and write it again without weir's own cookie), read a
 * Set-Cookie response header, write weir's own Set-Cookie.
 *
 * Reading is lenient, as user agents and servers are: a malformed pair is
 * skipped, never a reason to reject the message (framing does not depend
 * on cookies). Values are returned as received, DQUOTEs included, so that
 * a value learnt from Set-Cookie compares equal to the one the client
 * sends back. Writing is strict: the cookie name must follow SPEC.md
 * section 5 (1..255 of A-Z a-z 0-9 ! # $ % ^ & _ * + ~ -), the value
 * RFC 6265 cookie-octets. Nothing is allocated; results are offsets into
 * the value given. */
#ifndef LB_HTTP_COOKIE_H
#define LB_HTTP_COOKIE_H

#include "lb_core_types.h"
#include "lb_http_types.h"

#define LB_HTTP_COOKIE_NAME_MAX  255

typedef struct {
    lb_http_span_t  name;
    lb_http_span_t  value;
} lb_http_cookie_t;

/* A Set-Cookie field value, read as RFC 6265 section 5.2 says. */
typedef struct {
    lb_http_span_t  name;
    lb_http_span_t  value;
    lb_http_span_t  path;           /* len 0: not given */
    lb_http_span_t  domain;
    lb_http_span_t  expires;        /* as received, not interpreted */
    lb_http_span_t  samesite;
    int64_t         max_age;        /* seconds, when has_max_age; <= 0:
                                     * expire now */
    unsigned        has_max_age:1;
    unsigned        secure:1;
    unsigned        http_only:1;
} lb_http_set_cookie_t;

/* What lb_http_set_cookie_build() writes. */
typedef struct {
    const u_char   *name;
    size_t          name_len;
    const u_char   *value;
    size_t          value_len;
    const u_char   *path;           /* NULL: "/" */
    size_t          path_len;
    uint32_t        max_age;        /* seconds */
    unsigned        secure:1;       /* add "; Secure" (HTTPS listeners) */
} lb_http_cookie_spec_t;

/* true when [name, name + len) is a cookie name SPEC.md section 5 allows
 * (the config validator and the API use it too). */
bool lb_http_cookie_name_valid(const u_char *name, size_t len);

/* The next cookie-pair of a Cookie field value [v, v + len), from offset
 * *pos (0 to start). Returns LB_OK (c set, *pos advanced) or LB_DONE.
 * Pairs without "=" or whose name is not a token are skipped; names and
 * values are trimmed of SP and HT. */
lb_int_t lb_http_cookie_next(const u_char *v, size_t len, size_t *pos,
    lb_http_cookie_t *c);

/* The value of the first cookie named exactly [name, name + name_len)
 * (case-sensitive) in a Cookie field value: LB_OK with *value set, or
 * LB_DECLINED when there is none. */
lb_int_t lb_http_cookie_find(const u_char *v, size_t len, const u_char *name,
    size_t name_len, lb_http_span_t *value);

/* Write the value of Cookie field [v, v + len) without the cookies
 * named [name, name + nlen) into out (size bytes). Returns the new
 * length (0: nothing left). Pairs are kept as received, joined by "; ". */
size_t lb_http_cookie_strip(const u_char *v, size_t len, const u_char *name,
    size_t nlen, u_char *out, size_t size);

/* Read a Set-Cookie field value [v, v + len) into sc. Returns LB_OK, or
 * LB_DECLINED when a user agent would ignore it (no "=" in the first
 * pair, or a name that is empty or not a token). Unknown attributes and
 * an invalid Max-Age are ignored; when an attribute repeats, the last
 * wins. */
lb_int_t lb_http_set_cookie_parse(const u_char *v, size_t len,
    lb_http_set_cookie_t *sc);

/* Write the Set-Cookie field value
 *   NAME=VALUE; Max-Age=N; Path=/; HttpOnly[; Secure]
 * into buf (size bytes, not NUL-terminated), *len set to its length.
 * Returns LB_OK; LB_ERROR when the name, value or path is invalid (path:
 * "/" then bytes 0x21..0x7e but ";"); LB_DECLINED when it does not fit
 * (buf is then left partly written). */
lb_int_t lb_http_set_cookie_build(u_char *buf, size_t size, size_t *len,
    const lb_http_cookie_spec_t *spec);

#endif /* LB_HTTP_COOKIE_H */
