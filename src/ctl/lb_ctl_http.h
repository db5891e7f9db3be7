/* weir: weirctl's HTTP/1.1 client for the admin API: one request per
 * connection (Connection: close), plain TCP or TLS, a Content-Length
 * body, the response head read by weir's own strict parser
 * (lb_http_parse_response()), and one deadline for the whole exchange. */
#ifndef LB_CTL_HTTP_H
#define LB_CTL_HTTP_H

#include <openssl/ssl.h>

#include "lb_admin_json.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"

#define LB_CTL_BODY_MAX  (64 * 1024 * 1024)  /* a response body we take */

typedef struct {
    const lb_sockaddr_t  *addr;         /* the admin listener */
    SSL_CTX              *ssl;          /* NULL: plain HTTP */
    const u_char         *token;        /* X-Auth-Token */
    size_t                token_len;
    unsigned              timeout_ms;   /* connect to last byte */
} lb_ctl_client_t;

typedef struct {
    unsigned              code;         /* 100..599 */
    char                  reason[64];
    lb_admin_buf_t        body;         /* the caller frees it */
} lb_ctl_resp_t;

/* A TLS context that trusts exactly the certificates in the PEM file
 * ca_file (the admin listener's own certificate: a self-signed leaf is
 * accepted as its own anchor) and requires TLS 1.2 or later. The server's
 * certificate must be one of the file's (pinned: another one signed by
 * the same CA is refused); its name is not checked. NULL with a
 * message in err[0..errlen) on failure. The caller frees it with
 * SSL_CTX_free(). */
SSL_CTX *lb_ctl_ssl_ctx(const char *ca_file, char *err, size_t errlen);

/* Send `method path` with body[0..len) (NULL, 0: none; else
 * Content-Type: application/json) and read the response into *resp.
 * LB_OK when a response came (whatever its code); LB_ERROR when none did
 * (connect, TLS, timeout, a malformed or oversized response), with a
 * message in err[0..errlen). resp->body is reset first and may hold
 * memory either way. */
lb_int_t lb_ctl_http_request(const lb_ctl_client_t *cl, const char *method,
    const char *path, const u_char *body, size_t len, lb_ctl_resp_t *resp,
    char *err, size_t errlen);

#endif /* LB_CTL_HTTP_H */
