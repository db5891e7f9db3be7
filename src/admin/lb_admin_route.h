/* weir: the admin API's requests and routes. A route is a method and a
 * path pattern whose "{...}" segments match any one non-empty segment
 * (an id); the first route of the table whose pattern and method match
 * takes the request, so literal routes come before the patterns that
 * would swallow them ("/load-balancers/listeners" before
 * "/load-balancers/{id}"). */
#ifndef LB_ADMIN_ROUTE_H
#define LB_ADMIN_ROUTE_H

#include "lb_admin_json.h"
#include "lb_conf_json.h"
#include "lb_core_types.h"
#include "lb_http_types.h"

#define LB_ADMIN_MAX_PARAMS  4
#define LB_ADMIN_MAX_QUERY   16

/* One request as a handler sees it: strings decoded and NUL-terminated,
 * owned by the connection until the response is out. */
typedef struct {
    lb_cycle_t          *cycle;
    lb_http_method_e     method;
    char                *params[LB_ADMIN_MAX_PARAMS];   /* the {...} */
    uint32_t             nparams;
    char                *qkeys[LB_ADMIN_MAX_QUERY];     /* query string */
    char                *qvals[LB_ADMIN_MAX_QUERY];
    uint32_t             nquery;

    /* the request body (Content-Length), NULL when there was none */
    const u_char        *req_body;
    size_t               req_len;

    /* the answer: status (200 unless set), body, its media type */
    unsigned             status;
    const char          *content_type;
    lb_admin_buf_t      *body;
} lb_admin_req_t;

typedef void (*lb_admin_handler_pt)(lb_admin_req_t *r);

typedef struct {
    lb_http_method_e     method;
    const char          *pattern;
    lb_admin_handler_pt  handler;
} lb_admin_route_t;

/* The routes of the API (lb_admin_api.c), ending with a NULL pattern. */
extern const lb_admin_route_t  lb_admin_routes[];

/* The route of routes (ending with a NULL pattern) for method and the
 * path path[0..len) (no query), with the spans of its "{...}" segments
 * in params[] (offsets into path) and their count in *nparams; NULL when
 * none matches. *allowed is then the set of methods (bit 1 << method)
 * of the routes whose pattern matches the path: 0 means unknown path
 * (404), else the method is wrong (405). */
const lb_admin_route_t *lb_admin_route_find(const lb_admin_route_t *routes,
    lb_http_method_e method, const char *path, size_t len,
    lb_http_span_t *params, uint32_t *nparams, unsigned *allowed);

/* Percent-decode src[0..len) into dst (room for len + 1 bytes), '+' as a
 * space when plus is true (query strings), and NUL-terminate it. Returns
 * the decoded length, or -1 for a bad escape or a decoded NUL. */
ssize_t lb_admin_decode(char *dst, const char *src, size_t len, bool plus);

/* Write the JSON error {"error": {"code": status, "message": msg}} as the
 * body of r and set its status. */
void lb_admin_error(lb_admin_req_t *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same for a refused request body (lb_conf_json_parse()):
 * {"error": {"code": e->code, "field": "...", "message": "..."}}, the
 * field null when the body as a whole is at fault. */
void lb_admin_conf_error(lb_admin_req_t *r, const lb_conf_json_error_t *e);

#endif /* LB_ADMIN_ROUTE_H */
