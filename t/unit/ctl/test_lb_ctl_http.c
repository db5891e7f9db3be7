/* weir: unit tests for src/ctl/lb_ctl_http.c, weirctl's HTTP client,
 * against a one-connection server in a child process: the request it
 * writes, the responses it takes (Content-Length, interim 1xx, split
 * anywhere) and refuses (chunked, truncated, none), its deadline, and
 * TLS that trusts exactly admin.certificate (a certificate made with the
 * openssl command for the test). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "lb_ctl_http.h"

#define TOKEN  "tok-123"

typedef struct {
    const char     *reply;       /* written after the request is read */
    size_t          split;       /* write the reply in pieces this big */
    bool            silent;      /* read, then wait for the client to go */
    bool            no_reply;    /* read, then close */
    SSL_CTX        *ssl;         /* TLS server */
} server_t;

static char  dir[64];
static char  cert[128], key[128], other[128];
static char  l1[128], l1key[128], l2[128], l2key[128], chain1[128];
static int   have_openssl;

/* what the server read, from its pipe */
static char  request[8192];


static int
group_setup(void **state)
{
    char  cmd[2048];

    signal(SIGPIPE, SIG_IGN);

    snprintf(dir, sizeof(dir), "/tmp/weir-ctl-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));

    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(other, sizeof(other), "%s/other.pem", dir);

    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -days 2 -subj /CN=weir-admin -keyout %s -out %s "
             ">/dev/null 2>&1 && "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -days 2 -subj /CN=weir-admin -keyout %s/other.key "
             "-out %s >/dev/null 2>&1", key, cert, dir, other);
    have_openssl = system(cmd) == 0;

    /* a CA and two leaves it signed; chain1.pem is leaf 1 and the CA, as
     * an admin.certificate with its chain would be */
    snprintf(l1, sizeof(l1), "%s/l1.pem", dir);
    snprintf(l1key, sizeof(l1key), "%s/l1.key", dir);
    snprintf(l2, sizeof(l2), "%s/l2.pem", dir);
    snprintf(l2key, sizeof(l2key), "%s/l2.key", dir);
    snprintf(chain1, sizeof(chain1), "%s/chain1.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "cd %s && "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -days 2 -subj /CN=weir-ca -keyout ca.key -out ca.pem "
             "&& for l in l1 l2; do "
             "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -subj /CN=$l -keyout $l.key -out $l.csr && "
             "openssl x509 -req -in $l.csr -CA ca.pem -CAkey ca.key "
             "-CAcreateserial -days 2 -out $l.pem || exit 1; done "
             "&& cat l1.pem ca.pem > chain1.pem) >/dev/null 2>&1", dir);
    memmove(cmd + 1, cmd, strlen(cmd) + 1);
    cmd[0] = '(';
    have_openssl = have_openssl && system(cmd) == 0;

    return 0;
}


static int
group_teardown(void **state)
{
    char  cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}


static ssize_t
srv_read(SSL *ssl, int fd, char *p, size_t n)
{
    return ssl ? SSL_read(ssl, p, (int) n) : read(fd, p, n);
}


static void
srv_write(SSL *ssl, int fd, const char *p, size_t n)
{
    if (ssl) {
        (void) SSL_write(ssl, p, (int) n);
    } else {
        (void) write(fd, p, n);
    }
}


/* The child: one connection on ls, as s says; what it read goes to out. */
static void
serve(int ls, int out, const server_t *s)
{
    int       c;
    SSL      *ssl;
    char      buf[8192], *end, *cl;
    size_t    len, want, off, n;
    ssize_t   r;

    c = accept(ls, NULL, NULL);
    if (c == -1) {
        _exit(1);
    }

    ssl = NULL;
    if (s->ssl) {
        ssl = SSL_new(s->ssl);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {
            _exit(0);
        }
    }

    len = 0;
    want = 0;

    for ( ;; ) {
        r = srv_read(ssl, c, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0) {
            break;
        }
        len += (size_t) r;
        buf[len] = '\0';

        end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            cl = strstr(buf, "Content-Length: ");
            want = (size_t) (end + 4 - buf)
                   + (cl ? strtoul(cl + 16, NULL, 10) : 0);
            if (len >= want) {
                break;
            }
        }
    }

    (void) write(out, buf, len);
    close(out);

    if (s->silent) {
        while (srv_read(ssl, c, buf, sizeof(buf)) > 0) { }
        _exit(0);
    }

    if (!s->no_reply && s->reply) {
        len = strlen(s->reply);
        for (off = 0; off < len; off += n) {
            n = s->split ? lb_min(s->split, len - off) : len - off;
            srv_write(ssl, c, s->reply + off, n);
        }
    }

    if (ssl) {
        SSL_shutdown(ssl);
    }
    close(c);
    _exit(0);
}


/* Run one request of the client against a server made as s says. */
static lb_int_t
exchange(const server_t *s, const char *ca, unsigned timeout_ms,
    const char *method, const char *body, lb_ctl_resp_t *resp, char *err,
    size_t errlen)
{
    int                  ls, p[2], status;
    pid_t                pid;
    ssize_t              r;
    size_t               got;
    lb_int_t             rc;
    socklen_t            slen;
    lb_sockaddr_t        addr;
    lb_ctl_client_t      cl;
    struct sockaddr_in  *sin;

    memset(&addr, 0, sizeof(addr));
    sin = (struct sockaddr_in *) &addr.sa;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.socklen = sizeof(struct sockaddr_in);

    ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_not_equal(ls, -1);
    assert_int_equal(bind(ls, (struct sockaddr *) sin, addr.socklen), 0);
    assert_int_equal(listen(ls, 4), 0);
    slen = addr.socklen;
    assert_int_equal(getsockname(ls, (struct sockaddr *) sin, &slen), 0);
    snprintf(addr.text, sizeof(addr.text), "127.0.0.1:%u",
             ntohs(sin->sin_port));

    assert_int_equal(pipe(p), 0);

    pid = fork();
    assert_int_not_equal(pid, -1);
    if (pid == 0) {
        close(p[0]);
        serve(ls, p[1], s);
    }
    close(p[1]);
    close(ls);

    memset(&cl, 0, sizeof(cl));
    cl.addr = &addr;
    cl.token = (const u_char *) TOKEN;
    cl.token_len = sizeof(TOKEN) - 1;
    cl.timeout_ms = timeout_ms;
    cl.ssl = NULL;

    if (ca != NULL) {
        cl.ssl = lb_ctl_ssl_ctx(ca, err, errlen);
        assert_non_null(cl.ssl);
    }

    rc = lb_ctl_http_request(&cl, method, "/api/v1/load-balancers",
                             (const u_char *) body, body ? strlen(body) : 0,
                             resp, err, errlen);

    if (cl.ssl) {
        SSL_CTX_free(cl.ssl);
    }

    got = 0;
    while ((r = read(p[0], request + got, sizeof(request) - 1 - got)) > 0) {
        got += (size_t) r;
    }
    request[got] = '\0';
    close(p[0]);

    assert_int_equal(waitpid(pid, &status, 0), pid);

    return rc;
}


static void
test_request_and_response(void **state)
{
    char           err[512];
    lb_ctl_resp_t  resp;
    server_t       s = {
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        "Content-Length: 11\r\n\r\n{\"ok\":true}", 0, false, false, NULL
    };

    memset(&resp, 0, sizeof(resp));
    assert_int_equal(exchange(&s, NULL, 5000, "POST", "{\"a\":1}", &resp,
                              err, sizeof(err)), LB_OK);
    assert_int_equal(resp.code, 201);
    assert_string_equal(resp.reason, "Created");
    assert_int_equal(resp.body.len, 11);
    assert_memory_equal(resp.body.data, "{\"ok\":true}", 11);

    assert_non_null(strstr(request, "POST /api/v1/load-balancers HTTP/1.1\r\n"
                                    "Host: 127.0.0.1:"));
    assert_non_null(strstr(request, "\r\nX-Auth-Token: " TOKEN "\r\n"));
    assert_non_null(strstr(request, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(request, "\r\nContent-Type: application/json\r\n"
                                    "Content-Length: 7\r\n\r\n{\"a\":1}"));

    /* a GET sends no body and says nothing of one */
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_OK);
    assert_non_null(strstr(request, "GET /api/v1/load-balancers HTTP/1.1"));
    assert_null(strstr(request, "Content-Length"));

    /* a PUT without a body still says so */
    assert_int_equal(exchange(&s, NULL, 5000, "PUT", NULL, &resp, err,
                              sizeof(err)), LB_OK);
    assert_non_null(strstr(request, "\r\nContent-Length: 0\r\n\r\n"));

    lb_admin_buf_free(&resp.body);
}


static void
test_split_and_interim(void **state)
{
    char           err[512];
    lb_ctl_resp_t  resp;
    server_t       s = {
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!",
        1, false, false, NULL
    };

    memset(&resp, 0, sizeof(resp));
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_OK);
    assert_int_equal(resp.code, 404);
    assert_string_equal(resp.reason, "Not Found");
    assert_int_equal(resp.body.len, 5);
    assert_memory_equal(resp.body.data, "nope!", 5);

    /* no framing: the body runs to the close */
    s.reply = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it";
    s.split = 3;
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_OK);
    assert_int_equal(resp.body.len, 9);
    assert_memory_equal(resp.body.data, "all of it", 9);

    lb_admin_buf_free(&resp.body);
}


static void
test_refused_responses(void **state)
{
    char           err[512];
    lb_ctl_resp_t  resp;
    server_t       s = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        0, false, false, NULL
    };

    memset(&resp, 0, sizeof(resp));
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "not framed by Content-Length"));

    s.reply = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf!";
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "closed after 5 of 10 body bytes"));

    s.reply = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1"
              "\r\n\r\nx";
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "malformed response"));

    s.reply = "SSH-2.0-OpenSSH\r\n";
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "malformed response"));

    s.no_reply = true;
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "closed before a response"));

    lb_admin_buf_free(&resp.body);
}


static void
test_deadline(void **state)
{
    char             err[512];
    lb_ctl_resp_t    resp;
    struct timespec  t0, t1;
    long             ms;
    server_t         s = { NULL, 0, true, false, NULL };

    memset(&resp, 0, sizeof(resp));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(exchange(&s, NULL, 300, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;

    assert_non_null(strstr(err, "timed out waiting for the response"));
    assert_true(ms >= 290 && ms < 3000);

    lb_admin_buf_free(&resp.body);
}


static void
test_connect_refused(void **state)
{
    int                  fd;
    char                 err[512];
    socklen_t            slen;
    lb_sockaddr_t        addr;
    lb_ctl_resp_t        resp;
    lb_ctl_client_t      cl;
    struct sockaddr_in  *sin;

    /* a port that was free a moment ago */
    memset(&addr, 0, sizeof(addr));
    sin = (struct sockaddr_in *) &addr.sa;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.socklen = sizeof(struct sockaddr_in);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *) sin, addr.socklen), 0);
    slen = addr.socklen;
    assert_int_equal(getsockname(fd, (struct sockaddr *) sin, &slen), 0);
    close(fd);
    snprintf(addr.text, sizeof(addr.text), "127.0.0.1:%u",
             ntohs(sin->sin_port));

    memset(&cl, 0, sizeof(cl));
    cl.addr = &addr;
    cl.token = (const u_char *) TOKEN;
    cl.token_len = sizeof(TOKEN) - 1;
    cl.timeout_ms = 2000;

    memset(&resp, 0, sizeof(resp));
    assert_int_equal(lb_ctl_http_request(&cl, "GET", "/", NULL, 0, &resp,
                                         err, sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "failed (Connection refused)"));
    lb_admin_buf_free(&resp.body);
}


static SSL_CTX *
server_ctx(const char *crt, const char *k)
{
    SSL_CTX  *ctx;

    ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate_file(ctx, crt,
                                                  SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM),
                     1);
    return ctx;
}


static void
test_tls(void **state)
{
    char           err[512];
    lb_ctl_resp_t  resp;
    server_t       s = {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0, false, false,
        NULL
    };

    if (!have_openssl) {
        skip();
    }

    s.ssl = server_ctx(cert, key);

    memset(&resp, 0, sizeof(resp));
    assert_int_equal(exchange(&s, cert, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_OK);
    assert_int_equal(resp.code, 200);
    assert_memory_equal(resp.body.data, "{}", 2);
    assert_non_null(strstr(request, "\r\nX-Auth-Token: " TOKEN "\r\n"));

    /* another certificate: no handshake, and the token never leaves */
    assert_int_equal(exchange(&s, other, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "TLS handshake failed: the server's "
                                "certificate is not admin.certificate"));
    assert_null(strstr(request, TOKEN));

    /* plain HTTP to a TLS server: an answer that is not HTTP */
    assert_int_equal(exchange(&s, NULL, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);

    SSL_CTX_free(s.ssl);
    lb_admin_buf_free(&resp.body);
}


static void
test_tls_pinned(void **state)
{
    char           err[512];
    lb_ctl_resp_t  resp;
    server_t       s = {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0, false, false,
        NULL
    };

    if (!have_openssl) {
        skip();
    }

    memset(&resp, 0, sizeof(resp));

    /* the leaf of the file, found through its CA */
    s.ssl = server_ctx(l1, l1key);
    assert_int_equal(exchange(&s, chain1, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_OK);
    assert_int_equal(resp.code, 200);
    SSL_CTX_free(s.ssl);

    /* another leaf of the same CA: the chain is fine, the pin is not */
    s.ssl = server_ctx(l2, l2key);
    assert_int_equal(exchange(&s, chain1, 5000, "GET", NULL, &resp, err,
                              sizeof(err)), LB_ERROR);
    assert_non_null(strstr(err, "is not admin.certificate (certificate not "
                                "trusted)"));
    assert_null(strstr(request, TOKEN));
    SSL_CTX_free(s.ssl);

    lb_admin_buf_free(&resp.body);
}


static void
test_tls_ctx_errors(void **state)
{
    char      err[512];
    char      path[192];
    SSL_CTX  *ctx;

    snprintf(path, sizeof(path), "%s/missing.pem", dir);
    ctx = lb_ctl_ssl_ctx(path, err, sizeof(err));
    assert_null(ctx);
    assert_non_null(strstr(err, "admin.certificate cannot be loaded"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_request_and_response),
        cmocka_unit_test(test_split_and_interim),
        cmocka_unit_test(test_refused_responses),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_tls_pinned),
        cmocka_unit_test(test_tls_ctx_errors),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
