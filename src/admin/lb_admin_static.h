/* weir: the web console's files (SPEC.md section 10, issue 12), served by
 * the admin process at "/" of admin.listen from html/console/ under the
 * prefix. The set of files is fixed when the admin process starts: every
 * regular file directly in that directory (not a symbolic link) with a
 * known type and a plain name is read into memory then, and a request
 * names one of them exactly (or "/" for index.html), so no request can
 * reach another file. They
 * need no token (the page must load so that one can sign in); everything
 * else the admin process answers still does. Every answer carries a
 * strict Content-Security-Policy (no inline script or style, nothing from
 * another origin, no framing), X-Content-Type-Options: nosniff and
 * X-Frame-Options: DENY, an ETag, and Cache-Control: no-cache, so a
 * browser revalidates (304) instead of running a stale console. */
#ifndef LB_ADMIN_STATIC_H
#define LB_ADMIN_STATIC_H

#include "lb_core_types.h"
#include "lb_http_types.h"

#define LB_ADMIN_STATIC_FILES     64        /* at most, more are ignored */
#define LB_ADMIN_STATIC_SIZE_MAX  1048576   /* bytes per file */
#define LB_ADMIN_STATIC_NAME_MAX  64

/* The Content-Security-Policy of every console answer. */
#define LB_ADMIN_CSP                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; "             \
    "img-src 'self'; connect-src 'self'; object-src 'none'; "               \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* Read the console's files from prefix/html/console into memory of
 * cycle->pool; run by the admin process's init, before it drops root. A
 * missing directory is not an error (the API is served without a
 * console, said in the log). LB_OK, or LB_ERROR when out of memory. */
lb_int_t lb_admin_static_init(lb_cycle_t *cycle);

/* The answer to the request msg (its bytes in in) when its path names a
 * console file: LB_OK with the response head written to head (of size
 * bytes; *head_len its length, with "Connection: close" unless keep) and
 * *body, *body_len the bytes after it (the file's, owned by this module,
 * or a short text); GET and HEAD are served (200, or 304 for a matching
 * If-None-Match), other methods answered 405. LB_DECLINED when the path
 * is not a console file: the request is the API's. */
lb_int_t lb_admin_static_answer(const lb_http_msg_t *msg, const u_char *in,
    bool keep, char *head, size_t size, size_t *head_len,
    const u_char **body, size_t *body_len);

#endif /* LB_ADMIN_STATIC_H */
