/* weir: unit tests for the TLS layer (src/event/lb_event_openssl*.c).
 * Certificates are made here with the OpenSSL API into a temporary
 * directory; a config that names them is parsed and its TLS state built
 * as the master does. Then: SNI selection (exact, wildcard, CN, order),
 * the min-version mapping, bad files reported by listener and path,
 * handshakes and data over socket pairs, resumption, a refused old
 * version, and a whole exchange driven by the edge-triggered loop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lb_array.h"
#include "lb_conf.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"
#include "lb_zone.h"
#include "lb_zone_ticket.h"

#define DATA_SIZE  (1024 * 1024)

static char         dir[] = "/tmp/weir-ssl-XXXXXX";
static lb_cycle_t   cycle;
static long         serial = 1;

/* the listeners of the config below, by position */
#define L_MAIN   0
#define L_13     1
#define L_10     2
#define L_PLAIN  3

static const char  *conf_text =
    "load_balancers:\n"
    "  - name: unit-lb\n"
    "    type: NLB\n"
    "    address: 127.0.0.1\n"
    "    listeners:\n"
    "      - name: tls-main\n"
    "        protocol: TLS\n"
    "        protocol_port: 10443\n"
    "        target_group: tg-echo\n"
    "        tls_certificate: %1$s/default.pem\n"
    "        tls_key: %1$s/default.key\n"
    "        sni_certificates:\n"
    "          - { tls_certificate: %1$s/wcom.pem, tls_key: %1$s/wcom.key }\n"
    "          - { tls_certificate: %1$s/a.pem, tls_key: %1$s/a.key }\n"
    "          - { tls_certificate: %1$s/worg.pem, tls_key: %1$s/worg.key }\n"
    "          - { tls_certificate: cn.pem, tls_key: cn.key }\n"
    "      - name: tls-13\n"
    "        protocol: TLS\n"
    "        protocol_port: 10444\n"
    "        target_group: tg-echo\n"
    "        tls_certificate: default.pem\n"
    "        tls_key: default.key\n"
    "        tls_min_version: TLSv1.3\n"
    "      - name: tls-10\n"
    "        protocol: TLS\n"
    "        protocol_port: 10445\n"
    "        target_group: tg-echo\n"
    "        tls_certificate: default.pem\n"
    "        tls_key: default.key\n"
    "        tls_min_version: TLSv1\n"
    "      - name: plain\n"
    "        protocol: TCP\n"
    "        protocol_port: 10446\n"
    "        target_group: tg-echo\n"
    "    target_groups:\n"
    "      - name: tg-echo\n"
    "        protocol: TCP\n"
    "        members:\n"
    "          - { name: m1, address: 127.0.0.1, protocol_port: 10447 }\n";


/* --- certificates --- */

static void
write_cert(const char *base, const char *cn, const char *san)
{
    char            path[256];
    FILE           *f;
    X509           *x;
    EVP_PKEY       *pkey;
    X509_NAME      *name;
    X509V3_CTX      v3;
    X509_EXTENSION *ext;

    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(pkey);

    x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    assert_int_equal(X509_set_pubkey(x, pkey), 1);

    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                     (const unsigned char *) cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);

    if (san != NULL) {
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }

    assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);

    snprintf(path, sizeof(path), "%s/%s.pem", dir, base);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);

    snprintf(path, sizeof(path), "%s/%s.key", dir, base);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL,
                                          NULL), 1);
    fclose(f);

    X509_free(x);
    EVP_PKEY_free(pkey);
}


/* Parse text (a format with the directory as %1$s) into c. */
static lb_int_t
make_cycle(lb_cycle_t *c, const char *fmt, const char *conf_file)
{
    char        *yaml;
    size_t       i;
    lb_pool_t   *pool;
    lb_array_t   errors;
    char       **msg;

    memset(c, 0, sizeof(lb_cycle_t));

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    assert_non_null(pool);

    yaml = lb_psprintf(pool, fmt, dir);
    assert_non_null(yaml);
    assert_int_equal(lb_array_init(&errors, pool, 4, sizeof(char *)), LB_OK);
    assert_int_equal(lb_array_init(&c->listening, pool, 4,
                                   sizeof(lb_listening_t)), LB_OK);

    c->pool = pool;
    c->prefix = dir;
    c->conf_file = conf_file;
    c->conf = lb_conf_parse_string(pool, conf_file, yaml, strlen(yaml),
                                   &errors);

    msg = errors.elts;
    for (i = 0; i < errors.nelts; i++) {
        print_error("%s\n", msg[i]);
    }
    assert_non_null(c->conf);

    return lb_ssl_init_cycle(c);
}


static lb_listener_t *
listener(lb_cycle_t *c, unsigned i)
{
    return &c->conf->balancers[0].listeners[i];
}


/* the CN of the certificate of ctx, or "" */
static const char *
ctx_cn(SSL_CTX *ctx)
{
    static char   cn[128];
    X509         *x;

    cn[0] = '\0';
    if (ctx == NULL) {
        return cn;
    }

    x = SSL_CTX_get0_certificate(ctx);
    if (x != NULL) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
                                  cn, sizeof(cn));
    }
    return cn;
}


static int
group_setup(void **state)
{
    if (mkdtemp(dir) == NULL) {
        return -1;
    }

    signal(SIGPIPE, SIG_IGN);

    lb_log.level = LB_LOG_NOTICE;

    write_cert("default", "default.test", "DNS:default.test");
    write_cert("wcom", "wild.example.com", "DNS:*.example.com");
    write_cert("a", "a.example.com", "DNS:a.example.com,DNS:b.example.com,"
               "IP:127.0.0.1");
    write_cert("worg", "wild.example.org", "DNS:*.example.org");
    write_cert("cn", "cn-only.test", NULL);

    if (make_cycle(&cycle, conf_text, "unit.yaml") != LB_OK) {
        return -1;
    }

    /* session tickets are sealed with the zone's keys, found through the
     * process's cycle as in a worker */
    cycle.zone = lb_zone_create(LB_ZONE_MIN_SIZE);
    if (cycle.zone == NULL) {
        return -1;
    }
    lb_cycle = &cycle;

    /* the loop (epoll, timers) and the connection table */
    return lb_event_init() == LB_OK ? 0 : -1;
}


static int
group_teardown(void **state)
{
    char  cmd[300];

    lb_destroy_pool(cycle.pool);
    lb_zone_destroy(cycle.zone);
    lb_cycle = NULL;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}


/* --- contexts --- */

static void
test_version_mapping(void **state)
{
    SSL_CTX  *ctx;

    assert_int_equal(lb_ssl_protocol_version(LB_TLSv1), TLS1_VERSION);
    assert_int_equal(lb_ssl_protocol_version(LB_TLSv1_1), TLS1_1_VERSION);
    assert_int_equal(lb_ssl_protocol_version(LB_TLSv1_2), TLS1_2_VERSION);
    assert_int_equal(lb_ssl_protocol_version(LB_TLSv1_3), TLS1_3_VERSION);

    /* the default of tls_min_version is TLSv1.2 */
    ctx = lb_ssl_listener_ctx(listener(&cycle, L_MAIN));
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    assert_int_equal(SSL_CTX_get_max_proto_version(ctx), 0);

    ctx = lb_ssl_listener_ctx(listener(&cycle, L_13));
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);

    /* TLS 1.0 needs security level 0 with OpenSSL 3 */
    ctx = lb_ssl_listener_ctx(listener(&cycle, L_10));
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_VERSION);
    assert_int_equal(SSL_CTX_get_security_level(ctx), 0);

    assert_null(lb_ssl_listener_ctx(listener(&cycle, L_PLAIN)));
    assert_non_null(lb_ssl_client_ctx(&cycle));
}


static void
test_relative_paths(void **state)
{
    /* "default.pem" resolved against the prefix */
    assert_string_equal(ctx_cn(lb_ssl_listener_ctx(listener(&cycle, L_13))),
                        "default.test");
}


#define SELECT(name)                                                      \
    ctx_cn(lb_ssl_select_ctx(listener(&cycle, L_MAIN), name, strlen(name)))

static void
test_sni_select(void **state)
{
    /* exact names from subjectAltName, any case, trailing dot */
    assert_string_equal(SELECT("a.example.com"), "a.example.com");
    assert_string_equal(SELECT("b.example.com"), "a.example.com");
    assert_string_equal(SELECT("A.Example.COM."), "a.example.com");

    /* an exact name beats a wildcard listed before it */
    assert_string_equal(SELECT("c.example.com"), "wild.example.com");

    /* a wildcard is one label */
    assert_string_equal(SELECT("x.example.org"), "wild.example.org");
    assert_string_equal(SELECT("X-1.EXAMPLE.org"), "wild.example.org");
    assert_string_equal(SELECT("example.org"), "");
    assert_string_equal(SELECT("a.b.example.org"), "");
    assert_string_equal(SELECT(".example.org"), "");

    /* the CN counts too (certificate without subjectAltName, and the
     * CN of a wildcard certificate) */
    assert_string_equal(SELECT("cn-only.test"), "cn-only.test");
    assert_string_equal(SELECT("wild.example.org"), "wild.example.org");

    /* the default certificate's names select it */
    assert_string_equal(SELECT("default.test"), "default.test");

    /* nothing: the caller keeps the default */
    assert_string_equal(SELECT("unknown.test"), "");
    assert_string_equal(SELECT("127.0.0.1"), "");
    assert_string_equal(SELECT(""), "");
    assert_string_equal(SELECT("*.example.org"), "");
}


/* Run make_cycle() on a config whose first listener has the given files,
 * with stderr captured; returns what was printed. */
static char *
bad_cycle(const char *cert, const char *key, lb_int_t *rc)
{
    int          saved, fd;
    char         path[256], *fmt;
    static char  out[4096];
    ssize_t      n;
    lb_cycle_t   c;

    fmt = malloc(4096);
    assert_non_null(fmt);
    snprintf(fmt, 4096,
             "load_balancers:\n"
             "  - name: bad-lb\n"
             "    type: NLB\n"
             "    address: 127.0.0.1\n"
             "    listeners:\n"
             "      - name: good\n"
             "        protocol: TLS\n"
             "        protocol_port: 10443\n"
             "        tls_certificate: default.pem\n"
             "        tls_key: default.key\n"
             "      - name: broken\n"
             "        protocol: TLS\n"
             "        protocol_port: 10444\n"
             "        tls_certificate: %s\n"
             "        tls_key: %s\n", cert, key);

    snprintf(path, sizeof(path), "%s/stderr", dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd != -1);
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);

    *rc = make_cycle(&c, fmt, "/etc/weir/bad.yaml");

    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    lseek(fd, 0, SEEK_SET);
    n = read(fd, out, sizeof(out) - 1);
    close(fd);
    out[n > 0 ? n : 0] = '\0';

    /* everything made before the failure goes with the pool */
    lb_destroy_pool(c.pool);
    assert_null(lb_ssl_client_ctx(&c));
    free(fmt);

    return out;
}


static void
test_bad_files(void **state)
{
    char      *out, want[512];
    lb_int_t   rc;

    out = bad_cycle("missing.pem", "default.key", &rc);
    assert_int_equal(rc, LB_ERROR);
    snprintf(want, sizeof(want), "/etc/weir/bad.yaml:11:9: listener "
             "\"broken\" of load balancer \"bad-lb\": tls_certificate "
             "\"%s/missing.pem\" cannot be loaded: ", dir);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "No such file or directory"));
    assert_null(strstr(out, "\"good\""));

    out = bad_cycle("default.key", "default.key", &rc);
    assert_int_equal(rc, LB_ERROR);
    snprintf(want, sizeof(want), "listener \"broken\" of load balancer "
             "\"bad-lb\": tls_certificate \"%s/default.key\" cannot be "
             "loaded: ", dir);
    assert_non_null(strstr(out, want));

    out = bad_cycle("default.pem", "nokey.key", &rc);
    assert_int_equal(rc, LB_ERROR);
    snprintf(want, sizeof(want), "tls_key \"%s/nokey.key\" cannot be "
             "loaded: ", dir);
    assert_non_null(strstr(out, want));

    out = bad_cycle("default.pem", "a.key", &rc);
    assert_int_equal(rc, LB_ERROR);
    snprintf(want, sizeof(want), "tls_key \"%s/a.key\" cannot be loaded: "
             "key values mismatch", dir);
    assert_non_null(strstr(out, want));

    out = bad_cycle("a.pem", "a.key", &rc);
    assert_int_equal(rc, LB_OK);
    assert_string_equal(out, "");
}


/* --- connections --- */

typedef struct {
    lb_connection_t  *s;      /* server side */
    lb_connection_t  *c;      /* client side */
} pair_t;


static void
pair_open(pair_t *p, SSL_CTX *sctx, SSL_CTX *cctx, const char *sni)
{
    int  fds[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
                                fds), 0);

    p->s = lb_get_connection(fds[0]);
    p->c = lb_get_connection(fds[1]);
    assert_non_null(p->s);
    assert_non_null(p->c);

    assert_int_equal(lb_ssl_create_connection(sctx, p->s, LB_SSL_SERVER),
                     LB_OK);
    assert_int_equal(lb_ssl_create_connection(cctx, p->c, LB_SSL_CLIENT),
                     LB_OK);
    assert_int_equal(lb_ssl_set_server_name(p->c, sni), LB_OK);
}


static void
pair_close(pair_t *p)
{
    lb_close_connection(p->s);
    lb_close_connection(p->c);
    lb_connection_reclaim();
}


/* Mark the events of c ready as poll() says, as an edge would. */
static void
poll_ready(lb_connection_t *a, lb_connection_t *b)
{
    int            i;
    struct pollfd  pfd[2];

    pfd[0].fd = a->fd;
    pfd[1].fd = b->fd;
    pfd[0].events = pfd[1].events = POLLIN | POLLOUT;

    assert_true(poll(pfd, 2, 1000) > 0);

    for (i = 0; i < 2; i++) {
        lb_connection_t  *c = i ? b : a;

        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            c->read->ready = 1;
        }
        if (pfd[i].revents & (POLLOUT | POLLERR)) {
            c->write->ready = 1;
        }
    }
}


/* Step both handshakes until neither waits; returns the server's
 * result (the client's in *crc). */
static lb_int_t
pair_handshake(pair_t *p, lb_int_t *crc)
{
    int       i;
    lb_int_t  src, rc;

    src = LB_AGAIN;
    rc = LB_AGAIN;

    for (i = 0; i < 100 && (src == LB_AGAIN || rc == LB_AGAIN); i++) {
        if (rc == LB_AGAIN) {
            rc = lb_ssl_handshake(p->c);
        }
        if (src == LB_AGAIN) {
            src = lb_ssl_handshake(p->s);
        }
        if (src == LB_ERROR || rc == LB_ERROR) {
            break;
        }
        if (src == LB_AGAIN || rc == LB_AGAIN) {
            poll_ready(p->s, p->c);
        }
    }

    *crc = rc;
    return src;
}


static void
test_handshake_sni(void **state)
{
    size_t       i;
    pair_t       p;
    lb_int_t     rc;
    X509        *x;
    char         cn[128];
    SSL_CTX     *sctx, *cctx;

    static const struct {
        const char  *sni;
        const char  *cn;
    } cases[] = {
        { "a.example.com", "a.example.com" },
        { "zz.example.org", "wild.example.org" },
        { "c.example.com", "wild.example.com" },
        { "unknown.test", "default.test" },
        { NULL, "default.test" },
        { "127.0.0.1", "default.test" },     /* never sent as SNI */
    };

    sctx = lb_ssl_listener_ctx(listener(&cycle, L_MAIN));
    cctx = lb_ssl_client_ctx(&cycle);

    for (i = 0; i < lb_nelems(cases); i++) {
        pair_open(&p, sctx, cctx, cases[i].sni);

        assert_int_equal(pair_handshake(&p, &rc), LB_OK);
        assert_int_equal(rc, LB_OK);

        x = SSL_get1_peer_certificate(p.c->ssl->ssl);
        assert_non_null(x);
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
                                  cn, sizeof(cn));
        X509_free(x);
        assert_string_equal(cn, cases[i].cn);

        /* TLS 1.3 by default on both sides */
        assert_int_equal(SSL_version(p.s->ssl->ssl), TLS1_3_VERSION);

        pair_close(&p);
    }
}


static void
test_min_version_refused(void **state)
{
    pair_t     p;
    lb_int_t   rc;
    SSL_CTX   *old;

    /* a client that stops at TLS 1.2 against a TLSv1.3 listener */
    old = SSL_CTX_new(TLS_client_method());
    assert_non_null(old);
    SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION);

    pair_open(&p, lb_ssl_listener_ctx(listener(&cycle, L_13)), old, NULL);
    assert_int_equal(pair_handshake(&p, &rc), LB_ERROR);
    assert_true(p.s->ssl->no_shutdown);
    pair_close(&p);

    /* the same client is welcome on the default (TLSv1.2) listener */
    pair_open(&p, lb_ssl_listener_ctx(listener(&cycle, L_MAIN)), old, NULL);
    assert_int_equal(pair_handshake(&p, &rc), LB_OK);
    assert_int_equal(rc, LB_OK);
    assert_int_equal(SSL_version(p.s->ssl->ssl), TLS1_2_VERSION);
    pair_close(&p);

    SSL_CTX_free(old);
}


/* Move a few bytes c -> s so that TLS 1.3 tickets reach the client. */
static void
pair_ping(pair_t *p)
{
    int      i;
    char     buf[16];
    ssize_t  n;

    p->c->write->ready = 1;
    assert_int_equal(lb_ssl_send(p->c, "ping", 4), 4);
    p->s->write->ready = 1;
    assert_int_equal(lb_ssl_send(p->s, "pong", 4), 4);

    for (i = 0; i < 50; i++) {
        p->c->read->ready = 1;
        n = lb_ssl_recv(p->c, buf, sizeof(buf));
        if (n != LB_AGAIN) {
            break;
        }
        poll_ready(p->s, p->c);
    }
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "pong", 4);
}


static void
test_resumption(void **state)
{
    int                   v;
    pair_t                p;
    lb_int_t              rc;
    SSL_CTX              *cctx, *sctx;
    SSL_SESSION          *sess;

    static const int  versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

    sctx = lb_ssl_listener_ctx(listener(&cycle, L_MAIN));

    for (v = 0; v < 2; v++) {
        cctx = SSL_CTX_new(TLS_client_method());
        assert_non_null(cctx);
        SSL_CTX_set_max_proto_version(cctx, versions[v]);
        SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);

        pair_open(&p, sctx, cctx, "a.example.com");
        assert_int_equal(pair_handshake(&p, &rc), LB_OK);
        assert_false(SSL_session_reused(p.c->ssl->ssl));
        pair_ping(&p);
        sess = SSL_get1_session(p.c->ssl->ssl);
        assert_non_null(sess);
        assert_true(SSL_SESSION_is_resumable(sess));
        assert_int_equal(lb_ssl_shutdown(p.c), LB_OK);
        pair_close(&p);

        pair_open(&p, sctx, cctx, "a.example.com");
        assert_int_equal(SSL_set_session(p.c->ssl->ssl, sess), 1);
        assert_int_equal(pair_handshake(&p, &rc), LB_OK);
        assert_int_equal(rc, LB_OK);
        assert_true(SSL_session_reused(p.c->ssl->ssl));
        assert_true(SSL_session_reused(p.s->ssl->ssl));
        assert_int_equal(SSL_version(p.s->ssl->ssl), versions[v]);
        pair_close(&p);

        /* a session of another listener is not resumed there */
        pair_open(&p, lb_ssl_listener_ctx(listener(&cycle, L_10)), cctx,
                  NULL);
        assert_int_equal(SSL_set_session(p.c->ssl->ssl, sess), 1);
        assert_int_equal(pair_handshake(&p, &rc), LB_OK);
        assert_false(SSL_session_reused(p.s->ssl->ssl));
        pair_close(&p);

        SSL_SESSION_free(sess);
        SSL_CTX_free(cctx);
    }
}


/* One handshake on the main listener offering sess (NULL: none); the
 * client's session afterwards (a new ticket when the server gave one) is
 * returned in *out when out is not NULL. Returns whether it resumed. */
static bool
ticket_handshake(SSL_CTX *cctx, SSL_SESSION *sess, SSL_SESSION **out)
{
    bool      reused;
    pair_t    p;
    lb_int_t  rc;

    pair_open(&p, lb_ssl_listener_ctx(listener(&cycle, L_MAIN)), cctx,
              NULL);
    if (sess != NULL) {
        assert_int_equal(SSL_set_session(p.c->ssl->ssl, sess), 1);
    }
    assert_int_equal(pair_handshake(&p, &rc), LB_OK);
    assert_int_equal(rc, LB_OK);
    pair_ping(&p);

    reused = SSL_session_reused(p.s->ssl->ssl);
    if (out != NULL) {
        *out = SSL_get1_session(p.c->ssl->ssl);
        assert_non_null(*out);
    }

    assert_int_equal(lb_ssl_shutdown(p.c), LB_OK);
    pair_close(&p);

    return reused;
}


/* The zone's ticket keys: a ticket opens with the current key and with
 * the one before (and is then replaced by a ticket of the current key);
 * two rotations later it is refused. Both versions, without the session
 * id cache (TLS 1.2 would resume from it otherwise). */
static void
test_ticket_rotation(void **state)
{
    int           v;
    uint64_t      now;
    SSL_CTX      *cctx, *sctx;
    SSL_SESSION  *sess, *renewed, *again;

    static const int  versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

    sctx = lb_ssl_listener_ctx(listener(&cycle, L_MAIN));
    SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
    now = 1000;

    for (v = 0; v < 2; v++) {
        cctx = SSL_CTX_new(TLS_client_method());
        assert_non_null(cctx);
        SSL_CTX_set_max_proto_version(cctx, versions[v]);

        assert_false(ticket_handshake(cctx, NULL, &sess));
        assert_true(ticket_handshake(cctx, sess, NULL));

        assert_int_equal(lb_zone_ticket_rotate(cycle.zone, now++), LB_OK);

        /* the key before: resumed, and a ticket of the current key */
        assert_true(ticket_handshake(cctx, sess, &renewed));
        assert_true(renewed != sess);

        assert_int_equal(lb_zone_ticket_rotate(cycle.zone, now++), LB_OK);

        assert_false(ticket_handshake(cctx, sess, NULL));
        assert_true(ticket_handshake(cctx, renewed, &again));

        SSL_SESSION_free(again);
        SSL_SESSION_free(renewed);
        SSL_SESSION_free(sess);
        SSL_CTX_free(cctx);
    }

    assert_int_equal(lb_zone_ticket_rotations(cycle.zone), 4);
    assert_int_equal(lb_zone_ticket_made(cycle.zone), now - 1);

    SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER);
}


static const char  *ocsp_conf =
    "load_balancers:\n"
    "  - name: unit-lb\n"
    "    type: NLB\n"
    "    address: 127.0.0.1\n"
    "    listeners:\n"
    "      - name: ocsp\n"
    "        protocol: TLS\n"
    "        protocol_port: 10443\n"
    "        target_group: tg-echo\n"
    "        tls_certificate: ocsp-chain.pem\n"
    "        tls_key: default.key\n"
    "        tls_ocsp_response: ocsp.der\n"
    "    target_groups:\n"
    "      - name: tg-echo\n"
    "        protocol: TCP\n"
    "        members:\n"
    "          - { name: m1, address: 127.0.0.1, protocol_port: 10447 }\n";


/* ocsp.der: a response signed by default.pem (self-signed, so its own
 * issuer: ocsp-chain.pem holds it twice) saying it is good, valid from
 * this_adj to next_adj seconds from now */
static void
write_ocsp(long this_adj, long next_adj)
{
    int              len;
    char             path[256];
    FILE            *f;
    X509            *x;
    EVP_PKEY        *pkey;
    OCSP_CERTID     *id;
    ASN1_TIME       *thisupd, *nextupd;
    OCSP_RESPONSE   *resp;
    OCSP_BASICRESP  *bs;
    unsigned char   *der;

    snprintf(path, sizeof(path), "%s/default.pem", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);

    snprintf(path, sizeof(path), "%s/default.key", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(pkey);

    snprintf(path, sizeof(path), "%s/ocsp-chain.pem", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);

    bs = OCSP_BASICRESP_new();
    id = OCSP_cert_to_id(NULL, x, x);
    thisupd = X509_gmtime_adj(NULL, this_adj);
    nextupd = X509_gmtime_adj(NULL, next_adj);
    assert_non_null(bs);
    assert_non_null(id);
    assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD,
                                           0, NULL, thisupd, nextupd));
    assert_int_equal(OCSP_basic_sign(bs, x, pkey, EVP_sha256(), NULL, 0),
                     1);
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    assert_non_null(resp);

    der = NULL;
    len = i2d_OCSP_RESPONSE(resp, &der);
    assert_true(len > 0);

    snprintf(path, sizeof(path), "%s/ocsp.der", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(der, 1, len, f), (size_t) len);
    fclose(f);

    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    OCSP_CERTID_free(id);
    ASN1_TIME_free(thisupd);
    ASN1_TIME_free(nextupd);
    EVP_PKEY_free(pkey);
    X509_free(x);
}


/* A handshake with c's listener by a client asking for the status:
 * whether a response was stapled. */
static bool
ocsp_stapled(lb_cycle_t *c)
{
    long                  len;
    pair_t                p;
    SSL_CTX              *cctx;
    lb_int_t              rc;
    const unsigned char  *resp;

    cctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(cctx);

    pair_open(&p, lb_ssl_listener_ctx(listener(c, 0)), cctx, NULL);
    assert_int_equal(SSL_set_tlsext_status_type(p.c->ssl->ssl,
                                                TLSEXT_STATUSTYPE_ocsp), 1);
    assert_int_equal(pair_handshake(&p, &rc), LB_OK);
    assert_int_equal(rc, LB_OK);

    resp = NULL;
    len = SSL_get_tlsext_status_ocsp_resp(p.c->ssl->ssl, &resp);

    pair_close(&p);
    SSL_CTX_free(cctx);

    return len > 0 && resp != NULL;
}


/* An OCSP response in date is stapled, and not once its nextUpdate has
 * passed while weir runs; one already out of date when it is read is
 * loaded with a warning (the cycle is made) and never stapled. */
static void
test_ocsp_staple(void **state)
{
    time_t      saved;
    lb_cycle_t  c;

    saved = lb_current_sec;

    write_ocsp(-3600, 3600);
    assert_int_equal(make_cycle(&c, ocsp_conf, "ocsp.yaml"), LB_OK);
    lb_current_sec = time(NULL);
    assert_true(ocsp_stapled(&c));

    /* two hours later, without a reload */
    lb_current_sec = time(NULL) + 7200;
    assert_false(ocsp_stapled(&c));
    lb_current_sec = saved;
    lb_destroy_pool(c.pool);

    /* out of date when read (5 minutes of skew are allowed) */
    write_ocsp(-2 * 86400, -600);
    assert_int_equal(make_cycle(&c, ocsp_conf, "ocsp.yaml"), LB_OK);
    lb_current_sec = time(NULL);
    assert_false(ocsp_stapled(&c));
    lb_current_sec = saved;
    lb_destroy_pool(c.pool);

    /* issued for later (thisUpdate an hour ahead): the same */
    write_ocsp(3600, 7200);
    assert_int_equal(make_cycle(&c, ocsp_conf, "ocsp.yaml"), LB_OK);
    lb_current_sec = time(NULL);
    assert_false(ocsp_stapled(&c));
    lb_current_sec = saved;
    lb_destroy_pool(c.pool);
}


/* Data both ways with the ready flags kept as the loop would: a side is
 * only used when its flag is set, and only poll() sets flags again. A
 * flag cleared when it should not be stalls, one left set when it should
 * not be spins: both fail the bounds. */
static void
test_data_both_ways(void **state)
{
    int          i;
    pair_t       p;
    char        *out, *in_s, *in_c, buf[5000];
    size_t       sent_c, sent_s, got_s, got_c;
    ssize_t      n;
    lb_int_t     rc;
    int          sndbuf;

    out = malloc(DATA_SIZE);
    in_s = malloc(DATA_SIZE);
    in_c = malloc(DATA_SIZE);
    assert_non_null(out);
    assert_non_null(in_s);
    assert_non_null(in_c);

    for (i = 0; i < DATA_SIZE; i++) {
        out[i] = (char) (i * 7 + i / 251);
    }

    pair_open(&p, lb_ssl_listener_ctx(listener(&cycle, L_MAIN)),
              lb_ssl_client_ctx(&cycle), "b.example.com");

    /* small buffers: many short writes and WANT_WRITEs */
    sndbuf = 8192;
    setsockopt(p.s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    setsockopt(p.c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

    assert_int_equal(pair_handshake(&p, &rc), LB_OK);
    assert_int_equal(rc, LB_OK);

    sent_c = sent_s = got_s = got_c = 0;

    for (i = 0; i < 100000; i++) {
        if (got_s == DATA_SIZE && got_c == DATA_SIZE) {
            break;
        }

        while (sent_c < DATA_SIZE && p.c->write->ready) {
            n = lb_ssl_send(p.c, out + sent_c,
                            lb_min(DATA_SIZE - sent_c, 40000));
            if (n == LB_AGAIN) {
                assert_false(p.c->write->ready);
                break;
            }
            assert_true(n > 0);
            sent_c += n;
        }

        while (sent_s < DATA_SIZE && p.s->write->ready) {
            n = lb_ssl_send(p.s, out + sent_s, DATA_SIZE - sent_s);
            if (n == LB_AGAIN) {
                break;
            }
            assert_true(n > 0);
            sent_s += n;
        }

        while (got_s < DATA_SIZE && p.s->read->ready) {
            n = lb_ssl_recv(p.s, in_s + got_s,
                            lb_min(DATA_SIZE - got_s, 3000));
            if (n == LB_AGAIN) {
                assert_false(p.s->read->ready);
                break;
            }
            assert_true(n > 0);
            got_s += n;
        }

        while (got_c < DATA_SIZE && p.c->read->ready) {
            n = lb_ssl_recv(p.c, in_c + got_c, DATA_SIZE - got_c);
            if (n == LB_AGAIN) {
                break;
            }
            assert_true(n > 0);
            got_c += n;
        }

        if (got_s < DATA_SIZE || got_c < DATA_SIZE) {
            poll_ready(p.s, p.c);
        }
    }

    assert_int_equal(got_s, DATA_SIZE);
    assert_int_equal(got_c, DATA_SIZE);
    assert_memory_equal(in_s, out, DATA_SIZE);
    assert_memory_equal(in_c, out, DATA_SIZE);

    /* close_notify from the client: the server reads the end */
    assert_int_equal(lb_ssl_shutdown(p.c), LB_OK);
    assert_true(p.c->ssl->shutdown_sent);
    assert_int_equal(lb_ssl_shutdown(p.c), LB_OK);

    for (i = 0; i < 50; i++) {
        p.s->read->ready = 1;
        n = lb_ssl_recv(p.s, buf, sizeof(buf));
        if (n != LB_AGAIN) {
            break;
        }
        poll_ready(p.s, p.c);
    }
    assert_int_equal(n, 0);
    assert_true(p.s->read->eof);

    /* the server may still answer after the client's close_notify */
    p.s->write->ready = 1;
    assert_int_equal(lb_ssl_send(p.s, "bye", 3), 3);
    for (i = 0; i < 50; i++) {
        p.c->read->ready = 1;
        n = lb_ssl_recv(p.c, buf, sizeof(buf));
        if (n != LB_AGAIN) {
            break;
        }
        poll_ready(p.s, p.c);
    }
    assert_int_equal(n, 3);

    pair_close(&p);

    free(out);
    free(in_s);
    free(in_c);
}


static void
test_peer_gone(void **state)
{
    int       i;
    pair_t    p;
    char      buf[64];
    ssize_t   n;
    lb_int_t  rc;

    pair_open(&p, lb_ssl_listener_ctx(listener(&cycle, L_MAIN)),
              lb_ssl_client_ctx(&cycle), NULL);
    assert_int_equal(pair_handshake(&p, &rc), LB_OK);

    /* a FIN without close_notify reads as the end of the stream */
    shutdown(p.c->fd, SHUT_WR);
    for (i = 0; i < 50; i++) {
        p.s->read->ready = 1;
        n = lb_ssl_recv(p.s, buf, sizeof(buf));
        if (n != LB_AGAIN) {
            break;
        }
        poll_ready(p.s, p.c);
    }
    assert_int_equal(n, 0);

    /* garbage instead of a record: a TLS error, then no more I/O */
    assert_int_equal(write(p.s->fd, "\x17\x03\x03\x00\x05hello", 10), 10);
    for (i = 0; i < 50; i++) {
        p.c->read->ready = 1;
        n = lb_ssl_recv(p.c, buf, sizeof(buf));
        if (n != LB_AGAIN) {
            break;
        }
        poll_ready(p.s, p.c);
    }
    assert_int_equal(n, LB_ERROR);
    assert_int_equal(p.c->ssl->err, 0);
    assert_true(p.c->ssl->no_shutdown);
    p.c->write->ready = 1;
    assert_int_equal(lb_ssl_send(p.c, "x", 1), LB_ERROR);
    assert_int_equal(lb_ssl_shutdown(p.c), LB_OK);

    pair_close(&p);

    /* a peer that hangs up during the handshake */
    pair_open(&p, lb_ssl_listener_ctx(listener(&cycle, L_MAIN)),
              lb_ssl_client_ctx(&cycle), NULL);
    assert_int_equal(lb_ssl_handshake(p.c), LB_AGAIN);
    assert_false(p.c->read->ready);
    shutdown(p.c->fd, SHUT_RDWR);
    p.s->read->ready = 1;
    rc = LB_AGAIN;
    for (i = 0; i < 50 && rc == LB_AGAIN; i++) {
        rc = lb_ssl_handshake(p.s);
        if (rc == LB_AGAIN) {
            poll_ready(p.s, p.c);
        }
    }
    assert_int_equal(rc, LB_ERROR);
    pair_close(&p);
}


/* --- the whole thing on the edge-triggered loop --- */

typedef struct {
    lb_connection_t  *c;
    const char       *out;
    char             *in;
    size_t            sent;
    size_t            got;
    lb_int_t          handshake;     /* LB_AGAIN until done */
    unsigned          events;
} side_t;

static side_t  loop_sides[2];


static side_t *
side_of(lb_connection_t *c)
{
    return loop_sides[0].c == c ? &loop_sides[0] : &loop_sides[1];
}


static void
loop_io(lb_event_t *ev)
{
    ssize_t           n;
    side_t           *sd;
    lb_connection_t  *c;

    c = ev->data;
    sd = side_of(c);
    sd->events++;

    while (sd->sent < DATA_SIZE && c->write->ready) {
        n = lb_ssl_send(c, sd->out + sd->sent, DATA_SIZE - sd->sent);
        if (n < 0) {
            assert_int_equal(n, LB_AGAIN);
            break;
        }
        sd->sent += n;
    }

    while (sd->got < DATA_SIZE && c->read->ready) {
        n = lb_ssl_recv(c, sd->in + sd->got,
                        lb_min(DATA_SIZE - sd->got, 10000));
        if (n < 0) {
            assert_int_equal(n, LB_AGAIN);
            break;
        }
        assert_true(n > 0);
        sd->got += n;
    }
}


static void
loop_handshaked(lb_connection_t *c, lb_int_t rc)
{
    side_t  *sd;

    sd = side_of(c);
    sd->handshake = rc;

    c->read->handler = loop_io;
    c->write->handler = loop_io;

    /* the protocol starts at once: both flags were set */
    assert_true(c->read->ready);
    assert_true(c->write->ready);
    loop_io(c->read);
}


static void
test_event_loop(void **state)
{
    int        i, fds[2], sndbuf;
    char      *out;
    lb_msec_t  deadline;

    out = malloc(DATA_SIZE);
    assert_non_null(out);
    for (i = 0; i < DATA_SIZE; i++) {
        out[i] = (char) (i ^ (i >> 9));
    }

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
                                fds), 0);
    sndbuf = 16384;
    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

    memset(loop_sides, 0, sizeof(loop_sides));

    for (i = 0; i < 2; i++) {
        loop_sides[i].c = lb_get_connection(fds[i]);
        assert_non_null(loop_sides[i].c);
        assert_non_null(lb_connection_pool(loop_sides[i].c, 4096));
        assert_int_equal(lb_event_add_connection(loop_sides[i].c), LB_OK);
        loop_sides[i].out = out;
        loop_sides[i].in = malloc(DATA_SIZE);
        assert_non_null(loop_sides[i].in);
        loop_sides[i].handshake = LB_AGAIN;
    }

    /* the server waits for the ClientHello without trying */
    assert_int_equal(lb_ssl_create_connection(
                         lb_ssl_listener_ctx(listener(&cycle, L_MAIN)),
                         loop_sides[0].c, LB_SSL_SERVER), LB_OK);
    lb_ssl_handshake_run(loop_sides[0].c, 5000, loop_handshaked);
    assert_true(loop_sides[0].c->ssl->wait_read);

    assert_int_equal(lb_ssl_client_start(lb_ssl_client_ctx(&cycle),
                                         loop_sides[1].c, "x.example.org",
                                         NULL, 5000, loop_handshaked),
                     LB_OK);

    deadline = lb_current_msec + 10000;

    while (lb_current_msec < deadline
           && (loop_sides[0].got < DATA_SIZE
               || loop_sides[1].got < DATA_SIZE))
    {
        lb_event_process(1000);
    }

    assert_int_equal(loop_sides[0].handshake, LB_OK);
    assert_int_equal(loop_sides[1].handshake, LB_OK);
    assert_int_equal(loop_sides[0].got, DATA_SIZE);
    assert_int_equal(loop_sides[1].got, DATA_SIZE);
    assert_memory_equal(loop_sides[0].in, out, DATA_SIZE);
    assert_memory_equal(loop_sides[1].in, out, DATA_SIZE);
    assert_string_equal(ctx_cn(SSL_get_SSL_CTX(loop_sides[0].c->ssl->ssl)),
                        "wild.example.org");

    for (i = 0; i < 2; i++) {
        lb_close_connection(loop_sides[i].c);
        free(loop_sides[i].in);
    }
    lb_connection_reclaim();
    free(out);
}


/* A handshake that never gets an answer ends by its timer. */
static lb_int_t  timeout_rc;
static int       timeout_calls;

static void
timeout_done(lb_connection_t *c, lb_int_t rc)
{
    timeout_rc = rc;
    timeout_calls++;
    lb_close_connection(c);
}


static void
test_handshake_timeout(void **state)
{
    int               fds[2];
    lb_msec_t         start;
    lb_connection_t  *c;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
                                fds), 0);

    c = lb_get_connection(fds[0]);
    assert_non_null(c);
    assert_int_equal(lb_event_add_connection(c), LB_OK);

    timeout_calls = 0;
    lb_time_update();
    start = lb_current_msec;

    assert_int_equal(lb_ssl_client_start(lb_ssl_client_ctx(&cycle), c, NULL, NULL,
                                         200, timeout_done), LB_OK);

    while (timeout_calls == 0 && lb_current_msec - start < 3000) {
        lb_event_process(500);
    }

    assert_int_equal(timeout_calls, 1);
    assert_int_equal(timeout_rc, LB_ERROR);
    assert_true(lb_current_msec - start >= 200);

    close(fds[1]);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_mapping),
        cmocka_unit_test(test_relative_paths),
        cmocka_unit_test(test_sni_select),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_handshake_sni),
        cmocka_unit_test(test_min_version_refused),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_ticket_rotation),
        cmocka_unit_test(test_ocsp_staple),
        cmocka_unit_test(test_data_both_ways),
        cmocka_unit_test(test_peer_gone),
        cmocka_unit_test(test_event_loop),
        cmocka_unit_test(test_handshake_timeout),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
