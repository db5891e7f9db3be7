/* weir: weirctl's HTTP/1.1 client (lb_ctl_http.h). Blocking is not an
 * option for a health check that must answer in time: the socket is
 * non-blocking and every wait is a poll() bounded by the one deadline. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "lb_admin_auth.h"
#include "lb_ctl_http.h"
#include "lb_http_parse.h"

#define LB_CTL_HEAD_MAX  (32 * 1024 + 1024)  /* the parser's head limit */

typedef struct {
    int              fd;
    SSL             *ssl;
    lb_msec_t        deadline;
    const char      *peer;
} lb_ctl_io_t;

static lb_msec_t lb_ctl_now(void);
static lb_int_t lb_ctl_wait(lb_ctl_io_t *io, short events, const char *what,
    char *err, size_t errlen);
static lb_int_t lb_ctl_connect(lb_ctl_io_t *io, const lb_sockaddr_t *addr,
    char *err, size_t errlen);
static lb_int_t lb_ctl_handshake(lb_ctl_io_t *io, SSL_CTX *ctx, char *err,
    size_t errlen);
static lb_int_t lb_ctl_write(lb_ctl_io_t *io, const void *p, size_t n,
    char *err, size_t errlen);
static ssize_t lb_ctl_read(lb_ctl_io_t *io, void *p, size_t n, char *err,
    size_t errlen);
static lb_int_t lb_ctl_read_response(lb_ctl_io_t *io, lb_http_method_e m,
    lb_ctl_resp_t *resp, char *err, size_t errlen);
static int lb_ctl_ssl_verify(int ok, X509_STORE_CTX *x);
static void lb_ctl_ssl_error(char *err, size_t errlen, const char *what);


SSL_CTX *
lb_ctl_ssl_ctx(const char *ca_file, char *err, size_t errlen)
{
    SSL_CTX  *ctx;

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        lb_ctl_ssl_error(err, errlen, "SSL_CTX_new() failed");
        return NULL;
    }

    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        lb_ctl_ssl_error(err, errlen, "SSL_CTX_set_min_proto_version() "
                         "failed");
        goto failed;
    }

    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        lb_ctl_ssl_error(err, errlen, "admin.certificate cannot be loaded "
                         "as the certificate to trust");
        goto failed;
    }

    /* the admin listener's own certificate is the anchor: a self-signed
     * leaf (no CA) is trusted as it is */
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx),
                                X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, lb_ctl_ssl_verify);

    return ctx;

failed:

    SSL_CTX_free(ctx);
    return NULL;
}


lb_int_t
lb_ctl_http_request(const lb_ctl_client_t *cl, const char *method,
    const char *path, const u_char *body, size_t len, lb_ctl_resp_t *resp,
    char *err, size_t errlen)
{
    int               n;
    lb_int_t          rc;
    lb_ctl_io_t       io;
    lb_http_method_e  m;
    char              head[4096 + LB_ADMIN_TOKEN_MAX];

    resp->code = 0;
    resp->reason[0] = '\0';
    lb_admin_buf_reset(&resp->body);

    io.fd = -1;
    io.ssl = NULL;
    io.deadline = lb_ctl_now() + cl->timeout_ms;
    io.peer = cl->addr->text;

    if (strcmp(method, "GET") == 0) {
        m = LB_HTTP_METHOD_GET;
    } else if (strcmp(method, "POST") == 0) {
        m = LB_HTTP_METHOD_POST;
    } else if (strcmp(method, "PUT") == 0) {
        m = LB_HTTP_METHOD_PUT;
    } else {
        m = LB_HTTP_METHOD_DELETE;
    }

    if (strlen(path) > 2048 || cl->token_len > LB_ADMIN_TOKEN_MAX) {
        snprintf(err, errlen, "the path or the token is too long");
        return LB_ERROR;
    }

    n = snprintf(head, sizeof(head),
                 "%s %s HTTP/1.1\r\n"
                 "Host: %s\r\n"
                 "X-Auth-Token: %.*s\r\n"
                 "Accept: application/json\r\n"
                 "User-Agent: weirctl\r\n"
                 "Connection: close\r\n",
                 method, path, cl->addr->text, (int) cl->token_len,
                 (const char *) cl->token);

    if (body != NULL || m == LB_HTTP_METHOD_POST || m == LB_HTTP_METHOD_PUT) {
        n += snprintf(head + n, sizeof(head) - (size_t) n,
                      "Content-Type: application/json\r\n"
                      "Content-Length: %zu\r\n", len);
    }

    n += snprintf(head + n, sizeof(head) - (size_t) n, "\r\n");

    rc = LB_ERROR;

    if (lb_ctl_connect(&io, cl->addr, err, errlen) != LB_OK) {
        goto done;
    }

    if (cl->ssl != NULL && lb_ctl_handshake(&io, cl->ssl, err, errlen)
                           != LB_OK)
    {
        goto done;
    }

    if (lb_ctl_write(&io, head, (size_t) n, err, errlen) != LB_OK
        || (len > 0 && lb_ctl_write(&io, body, len, err, errlen) != LB_OK))
    {
        goto done;
    }

    rc = lb_ctl_read_response(&io, m, resp, err, errlen);

done:

    if (io.ssl != NULL) {
        if (rc == LB_OK) {
            (void) SSL_shutdown(io.ssl);
        }
        SSL_free(io.ssl);
    }

    if (io.fd != -1) {
        close(io.fd);
    }

    return rc;
}


static lb_msec_t
lb_ctl_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (lb_msec_t) ts.tv_sec * 1000 + (lb_msec_t) ts.tv_nsec / 1000000;
}


/* Wait until fd is ready for events or the deadline passes. */
static lb_int_t
lb_ctl_wait(lb_ctl_io_t *io, short events, const char *what, char *err,
    size_t errlen)
{
    int            rc;
    lb_msec_t      now;
    struct pollfd  pfd;

    for ( ;; ) {
        now = lb_ctl_now();

        if (now >= io->deadline) {
            snprintf(err, errlen, "%s: timed out %s", io->peer, what);
            return LB_ERROR;
        }

        pfd.fd = io->fd;
        pfd.events = events;
        pfd.revents = 0;

        rc = poll(&pfd, 1, (int) (io->deadline - now));

        if (rc > 0) {
            return LB_OK;
        }

        if (rc == -1 && errno != EINTR) {
            snprintf(err, errlen, "%s: poll() failed (%s)", io->peer,
                     strerror(errno));
            return LB_ERROR;
        }
    }
}


static lb_int_t
lb_ctl_connect(lb_ctl_io_t *io, const lb_sockaddr_t *addr, char *err,
    size_t errlen)
{
    int        e;
    socklen_t  elen;

    io->fd = socket(addr->sa.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (io->fd == -1) {
        snprintf(err, errlen, "socket() failed (%s)", strerror(errno));
        return LB_ERROR;
    }

    if (connect(io->fd, (const struct sockaddr *) &addr->sa, addr->socklen)
        == 0)
    {
        return LB_OK;
    }

    if (errno != EINPROGRESS) {
        e = errno;
        goto failed;
    }

    if (lb_ctl_wait(io, POLLOUT, "connecting", err, errlen) != LB_OK) {
        return LB_ERROR;
    }

    elen = sizeof(e);
    if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1) {
        e = errno;
    }

    if (e == 0) {
        return LB_OK;
    }

failed:

    snprintf(err, errlen, "connect() to the admin API at %s failed (%s)",
             addr->text, strerror(e));
    return LB_ERROR;
}


static lb_int_t
lb_ctl_handshake(lb_ctl_io_t *io, SSL_CTX *ctx, char *err, size_t errlen)
{
    int   rc, e;
    long  v;

    io->ssl = SSL_new(ctx);
    if (io->ssl == NULL || SSL_set_fd(io->ssl, io->fd) != 1) {
        lb_ctl_ssl_error(err, errlen, "SSL_new() failed");
        return LB_ERROR;
    }

    for ( ;; ) {
        ERR_clear_error();
        rc = SSL_connect(io->ssl);
        if (rc == 1) {
            return LB_OK;
        }

        e = SSL_get_error(io->ssl, rc);

        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (lb_ctl_wait(io, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                            "in the TLS handshake", err, errlen)
                != LB_OK)
            {
                return LB_ERROR;
            }
            continue;
        }

        v = SSL_get_verify_result(io->ssl);
        if (v != X509_V_OK) {
            snprintf(err, errlen, "%s: TLS handshake failed: the server's "
                     "certificate is not admin.certificate (%s)", io->peer,
                     X509_verify_cert_error_string(v));
        } else {
            lb_ctl_ssl_error(err, errlen, "TLS handshake failed");
        }

        return LB_ERROR;
    }
}


static lb_int_t
lb_ctl_write(lb_ctl_io_t *io, const void *p, size_t n, char *err,
    size_t errlen)
{
    int            e;
    ssize_t        w;
    const u_char  *b;

    b = p;

    while (n > 0) {
        if (io->ssl != NULL) {
            ERR_clear_error();
            w = SSL_write(io->ssl, b, (int) lb_min(n, 65536));
            if (w <= 0) {
                e = SSL_get_error(io->ssl, (int) w);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                    if (lb_ctl_wait(io, e == SSL_ERROR_WANT_READ ? POLLIN
                                    : POLLOUT, "sending", err, errlen)
                        != LB_OK)
                    {
                        return LB_ERROR;
                    }
                    continue;
                }
                lb_ctl_ssl_error(err, errlen, "SSL_write() failed");
                return LB_ERROR;
            }

        } else {
            w = send(io->fd, b, n, MSG_NOSIGNAL);
            if (w == -1) {
                if (errno == EAGAIN || errno == EINTR) {
                    if (lb_ctl_wait(io, POLLOUT, "sending", err, errlen)
                        != LB_OK)
                    {
                        return LB_ERROR;
                    }
                    continue;
                }
                snprintf(err, errlen, "%s: send() failed (%s)", io->peer,
                         strerror(errno));
                return LB_ERROR;
            }
        }

        b += w;
        n -= (size_t) w;
    }

    return LB_OK;
}


/* > 0: bytes read; 0: the peer closed; -1: error (in err). */
static ssize_t
lb_ctl_read(lb_ctl_io_t *io, void *p, size_t n, char *err, size_t errlen)
{
    int      e;
    ssize_t  r;

    for ( ;; ) {
        if (io->ssl != NULL) {
            ERR_clear_error();
            r = SSL_read(io->ssl, p, (int) lb_min(n, 65536));
            if (r > 0) {
                return r;
            }
            e = SSL_get_error(io->ssl, (int) r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (lb_ctl_wait(io, e == SSL_ERROR_WANT_READ ? POLLIN
                                : POLLOUT, "waiting for the response", err,
                                errlen)
                    != LB_OK)
                {
                    return -1;
                }
                continue;
            }
            if (e == SSL_ERROR_ZERO_RETURN
                || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
            {
                /* close_notify, or a close without it: the framing of
                 * the response tells whether anything is missing */
                return 0;
            }
            lb_ctl_ssl_error(err, errlen, "SSL_read() failed");
            return -1;
        }

        r = recv(io->fd, p, n, 0);
        if (r >= 0) {
            return r;
        }

        if (errno == EAGAIN || errno == EINTR) {
            if (lb_ctl_wait(io, POLLIN, "waiting for the response", err,
                            errlen)
                != LB_OK)
            {
                return -1;
            }
            continue;
        }

        snprintf(err, errlen, "%s: recv() failed (%s)", io->peer,
                 strerror(errno));
        return -1;
    }
}


static lb_int_t
lb_ctl_read_response(lb_ctl_io_t *io, lb_http_method_e method,
    lb_ctl_resp_t *resp, char *err, size_t errlen)
{
    size_t            have, want;
    ssize_t           r;
    lb_int_t          rc;
    lb_http_msg_t     m;
    lb_http_header_t  headers[LB_HTTP_MAX_HEADERS];
    u_char            head[LB_CTL_HEAD_MAX], buf[16384];

    have = 0;

again:

    lb_http_msg_init(&m, headers, LB_HTTP_MAX_HEADERS, NULL);

    for ( ;; ) {
        rc = lb_http_parse_response(&m, method, head, head + have);

        if (rc == LB_OK) {
            break;
        }

        if (rc == LB_ERROR) {
            snprintf(err, errlen, "%s: malformed response (%s)", io->peer,
                     m.reason ? m.reason : "invalid");
            return LB_ERROR;
        }

        if (have == sizeof(head)) {
            snprintf(err, errlen, "%s: response head too large", io->peer);
            return LB_ERROR;
        }

        r = lb_ctl_read(io, head + have, sizeof(head) - have, err, errlen);
        if (r < 0) {
            return LB_ERROR;
        }
        if (r == 0) {
            snprintf(err, errlen, "%s: the connection closed before a "
                     "response came", io->peer);
            return LB_ERROR;
        }
        have += (size_t) r;
    }

    if (m.code < 200) {
        /* an interim response: the final one follows it */
        memmove(head, head + m.head_len, have - m.head_len);
        have -= m.head_len;
        goto again;
    }

    resp->code = m.code;
    snprintf(resp->reason, sizeof(resp->reason), "%.*s",
             (int) m.reason_phrase.len, (char *) head + m.reason_phrase.off);

    if (m.body == LB_HTTP_BODY_CHUNKED || m.body == LB_HTTP_BODY_TUNNEL) {
        snprintf(err, errlen, "%s: the response is not framed by "
                 "Content-Length", io->peer);
        return LB_ERROR;
    }

    if (m.body == LB_HTTP_BODY_LENGTH && m.content_length > LB_CTL_BODY_MAX) {
        snprintf(err, errlen, "%s: response body of %llu bytes is over the "
                 "limit", io->peer, (unsigned long long) m.content_length);
        return LB_ERROR;
    }

    want = m.body == LB_HTTP_BODY_LENGTH ? (size_t) m.content_length
           : m.body == LB_HTTP_BODY_NONE ? 0 : LB_CTL_BODY_MAX;

    lb_admin_buf_append(&resp->body, head + m.head_len,
                        lb_min(have - m.head_len, want));

    while (resp->body.len < want) {
        r = lb_ctl_read(io, buf, sizeof(buf), err, errlen);
        if (r < 0) {
            return LB_ERROR;
        }

        if (r == 0) {
            if (m.body == LB_HTTP_BODY_CLOSE) {
                break;
            }
            snprintf(err, errlen, "%s: the connection closed after %zu of "
                     "%zu body bytes", io->peer, resp->body.len, want);
            return LB_ERROR;
        }

        lb_admin_buf_append(&resp->body, buf,
                            lb_min((size_t) r, want - resp->body.len));
    }

    if (resp->body.nomem) {
        snprintf(err, errlen, "out of memory");
        return LB_ERROR;
    }

    return LB_OK;
}


/* The server must present one of the certificates of the file itself,
 * not merely one its CA signed: the file is the listener's own
 * certificate (with its chain, if any), and the address in admin.listen
 * is often one no certificate names, so the name is not what is checked.
 * The trust store holds exactly the file's certificates. */
static int
lb_ctl_ssl_verify(int ok, X509_STORE_CTX *x)
{
    int                     i;
    X509                   *cert;
    STACK_OF(X509_OBJECT)  *objs;

    if (!ok || X509_STORE_CTX_get_error_depth(x) != 0) {
        return ok;
    }

    cert = X509_STORE_CTX_get_current_cert(x);
    objs = X509_STORE_get0_objects(X509_STORE_CTX_get0_store(x));

    for (i = 0; cert != NULL && i < sk_X509_OBJECT_num(objs); i++) {
        if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i))
            == X509_LU_X509
            && X509_cmp(X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i)),
                        cert) == 0)
        {
            return 1;
        }
    }

    X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_UNTRUSTED);

    return 0;
}


static void
lb_ctl_ssl_error(char *err, size_t errlen, const char *what)
{
    unsigned long  e;
    char           text[256];

    e = ERR_get_error();

    if (e == 0) {
        snprintf(err, errlen, "%s", what);
        return;
    }

    ERR_error_string_n(e, text, sizeof(text));
    snprintf(err, errlen, "%s (%s)", what, text);
    ERR_clear_error();
}
