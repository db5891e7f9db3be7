/* weir: TLS contexts. Each TLS/HTTPS listener gets one SSL_CTX per
 * certificate (the default one and each of sni_certificates), all with
 * the same settings; connections are made from the default context and
 * the SNI callback moves them to the context whose certificate names
 * match. The master builds them when it makes a cycle: workers inherit
 * the loaded keys. Session tickets are sealed with the keys of the
 * shared zone (lb_zone_ticket.h), which the master rotates: a ticket
 * issued by one worker resumes on any other, also after a reload. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lb_array.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_event_openssl.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"
#include "lb_zone_ticket.h"

/* TLS 1.2: ECDHE key exchange with AEAD ciphers only, Mozilla's
 * "intermediate" profile without DHE: no CBC (LUCKY13), no static RSA
 * (no forward secrecy) */
#define LB_SSL_CIPHERS                                                      \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"            \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"            \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* TLS 1.0 and 1.1 have no AEAD suite: what tls_min_version below TLSv1.2
 * adds to the default (still ECDHE) */
#define LB_SSL_CIPHERS_OLD                                                  \
    ":ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"                         \
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"

/* tls_ocsp_response: the largest file read (responses are a few KB),
 * and the clock skew allowed around its thisUpdate and nextUpdate */
#define LB_SSL_OCSP_MAX          (64 * 1024)
#define LB_SSL_OCSP_SKEW         300

#define LB_SSL_SESSION_CACHE     4096
#define LB_SSL_SESSION_TIMEOUT   300

/* a name a certificate answers for: "www.example.com", or the suffix
 * ".example.com" of the wildcard "*.example.com" */
typedef struct {
    char            *name;
    size_t           len;
    bool             wildcard;
    SSL_CTX         *ctx;
} lb_ssl_name_t;

/* the OCSP response stapled for a listener's default certificate */
typedef struct {
    unsigned char        *der;        /* in the cycle's pool */
    size_t                len;
    time_t                next_update;   /* 0: none given */
} lb_ssl_ocsp_t;

typedef struct {
    const lb_listener_t  *listener;
    SSL_CTX              *ctx;        /* the default certificate */
    lb_ssl_name_t        *names;
    uint32_t              nnames;
    lb_ssl_ocsp_t         ocsp;       /* der NULL: nothing to staple */
} lb_ssl_server_t;

/* the verifying client context of a target group with tls_verify */
typedef struct {
    const lb_target_group_t  *tg;
    SSL_CTX                  *ctx;
} lb_ssl_verify_t;

typedef struct lb_ssl_cycle_s  lb_ssl_cycle_t;

struct lb_ssl_cycle_s {
    const lb_cycle_t     *cycle;
    const lb_conf_t      *conf;
    lb_ssl_server_t    ***servers;    /* [balancer][listener], NULL: plain */
    lb_array_t            contexts;   /* SSL_CTX *, all of them, to free */
    SSL_CTX              *client;
    lb_ssl_verify_t      *verify;     /* target groups with tls_verify */
    uint32_t              nverify;
    lb_ssl_cycle_t       *next;
};

static lb_int_t lb_ssl_init_listener(lb_ssl_cycle_t *sc,
    const lb_listener_t *lsn, lb_ssl_server_t **out);
static SSL_CTX *lb_ssl_client_new(void);
static lb_int_t lb_ssl_init_verify(lb_ssl_cycle_t *sc);
static SSL_CTX *lb_ssl_server_ctx(lb_ssl_cycle_t *sc,
    const lb_listener_t *lsn, const lb_tls_cert_t *cert, const char *what);
static lb_int_t lb_ssl_ctx_names(lb_pool_t *pool, SSL_CTX *ctx,
    lb_array_t *names);
static lb_int_t lb_ssl_add_name(lb_pool_t *pool, lb_array_t *names,
    SSL_CTX *ctx, const unsigned char *s, int len);
static SSL_CTX *lb_ssl_find(const lb_ssl_server_t *srv, const char *name,
    size_t len);
static int lb_ssl_servername(SSL *ssl, int *alert, void *arg);
static void lb_ssl_common_ctx(SSL_CTX *ctx);
static int lb_ssl_ticket_key(SSL *ssl, unsigned char *name,
    unsigned char *iv, EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc);
static int lb_ssl_alpn_select(SSL *ssl, const unsigned char **out,
    unsigned char *outlen, const unsigned char *in, unsigned int inlen,
    void *arg);
static lb_ssl_server_t *lb_ssl_server(const lb_listener_t *lsn);
static lb_int_t lb_ssl_ocsp_load(lb_ssl_cycle_t *sc, lb_ssl_server_t *srv);
static lb_int_t lb_ssl_ocsp_check(lb_ssl_cycle_t *sc, lb_ssl_server_t *srv,
    const char *path, OCSP_RESPONSE *resp, time_t *next_update);
static int lb_ssl_ocsp_staple(SSL *ssl, void *arg);
static void lb_ssl_warn(const lb_cycle_t *cycle, const lb_listener_t *lsn,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void lb_ssl_report(const lb_cycle_t *cycle, const lb_listener_t *lsn,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void lb_ssl_report_group(const lb_cycle_t *cycle,
    const lb_target_group_t *tg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void lb_ssl_cleanup(void *data);

/* the TLS state of every cycle alive in this process: the master has two
 * during a reload, a worker one */
static lb_ssl_cycle_t  *lb_ssl_cycles;


lb_int_t
lb_ssl_init_cycle(lb_cycle_t *cycle)
{
    uint32_t             b, l;
    lb_int_t             rc;
    lb_conf_t           *conf;
    lb_listener_t       *lsn;
    lb_ssl_cycle_t      *sc;
    lb_pool_cleanup_t   *cln;

    if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS
                         | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL) != 1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "OPENSSL_init_ssl() failed");
        return LB_ERROR;
    }

    conf = cycle->conf;

    sc = lb_pcalloc(cycle->pool, sizeof(lb_ssl_cycle_t));
    if (sc == NULL) {
        goto nomem;
    }

    sc->cycle = cycle;
    sc->conf = conf;

    if (lb_array_init(&sc->contexts, cycle->pool, 8, sizeof(SSL_CTX *))
        != LB_OK)
    {
        goto nomem;
    }

    sc->servers = lb_pcalloc(cycle->pool,
                             (conf->nbalancers + 1) * sizeof(void *));
    if (sc->servers == NULL) {
        goto nomem;
    }

    /* registered before anything is made, so that whatever was made is
     * freed with the pool even when a later listener fails */
    cln = lb_pool_cleanup_add(cycle->pool);
    if (cln == NULL) {
        goto nomem;
    }
    cln->handler = lb_ssl_cleanup;
    cln->data = sc;

    sc->next = lb_ssl_cycles;
    lb_ssl_cycles = sc;

    rc = LB_OK;

    for (b = 0; b < conf->nbalancers; b++) {
        sc->servers[b] = lb_pcalloc(cycle->pool,
            (conf->balancers[b].nlisteners + 1) * sizeof(lb_ssl_server_t *));
        if (sc->servers[b] == NULL) {
            goto nomem;
        }

        for (l = 0; l < conf->balancers[b].nlisteners; l++) {
            lsn = &conf->balancers[b].listeners[l];

            if (lsn->protocol != LB_LISTENER_TLS
                && lsn->protocol != LB_LISTENER_HTTPS)
            {
                continue;
            }

            /* go on after a failure: -t reports every bad file at once */
            if (lb_ssl_init_listener(sc, lsn, &sc->servers[b][l]) != LB_OK) {
                rc = LB_ERROR;
            }
        }
    }

    if (rc != LB_OK) {
        return rc;
    }

    sc->client = lb_ssl_client_new();
    if (sc->client == NULL) {
        return LB_ERROR;
    }

    /* targets sit behind the balancer, usually with self-made
     * certificates: encryption without authentication by default, as
     * nginx's proxy_ssl_verify off; target groups with tls_verify get a
     * context of their own */
    SSL_CTX_set_verify(sc->client, SSL_VERIFY_NONE, NULL);

    return lb_ssl_init_verify(sc);

nomem:

    lb_log_error(LB_LOG_EMERG, &lb_log, 0, "out of memory for TLS contexts");
    return LB_ERROR;
}


static SSL_CTX *
lb_ssl_client_new(void)
{
    SSL_CTX  *ctx;
    char      reason[512];

    ERR_clear_error();

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "SSL_CTX_new() failed: %s",
                     reason);
        return NULL;
    }

    lb_ssl_common_ctx(ctx);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);

    return ctx;
}


/* A verifying client context for every HTTPS target group with
 * tls_verify, its CAs loaded from tls_ca_certificate: a file that cannot
 * be loaded is reported like a listener's certificate (weir -t fails). */
static lb_int_t
lb_ssl_init_verify(lb_ssl_cycle_t *sc)
{
    char                     *ca;
    uint32_t                  b, g, n;
    lb_int_t                  rc;
    SSL_CTX                  *ctx, **slot;
    lb_load_balancer_t       *lb;
    const lb_target_group_t  *tg;
    char                      reason[512];

    n = 0;
    for (b = 0; b < sc->conf->nbalancers; b++) {
        lb = &sc->conf->balancers[b];
        for (g = 0; g < lb->ntarget_groups; g++) {
            n += lb->target_groups[g].tls_verify ? 1 : 0;
        }
    }

    if (n == 0) {
        return LB_OK;
    }

    sc->verify = lb_pcalloc(sc->cycle->pool, n * sizeof(lb_ssl_verify_t));
    if (sc->verify == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for TLS contexts");
        return LB_ERROR;
    }

    rc = LB_OK;

    for (b = 0; b < sc->conf->nbalancers; b++) {
        lb = &sc->conf->balancers[b];

        for (g = 0; g < lb->ntarget_groups; g++) {
            tg = &lb->target_groups[g];

            if (!tg->tls_verify || tg->tls_ca_certificate == NULL) {
                continue;
            }

            ca = lb_full_name(sc->cycle->pool, sc->cycle->prefix,
                              tg->tls_ca_certificate);
            ctx = lb_ssl_client_new();
            slot = lb_array_push(&sc->contexts);

            if (ca == NULL || ctx == NULL || slot == NULL) {
                SSL_CTX_free(ctx);
                lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                             "out of memory for TLS contexts");
                return LB_ERROR;
            }

            *slot = ctx;

            ERR_clear_error();

            if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
                lb_ssl_error_text(reason, sizeof(reason));
                lb_ssl_report_group(sc->cycle, tg, "tls_ca_certificate "
                                    "\"%s\" cannot be loaded: %s", ca,
                                    reason);
                rc = LB_ERROR;
                continue;
            }

            /* the name is set per connection (lb_ssl_client_start()) */
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

            sc->verify[sc->nverify].tg = tg;
            sc->verify[sc->nverify].ctx = ctx;
            sc->nverify++;
        }
    }

    return rc;
}


/* ALPN of HTTPS listeners: the first of the listener's alpn_protocols
 * (weir's preference, default h2 then http/1.1) that the client offers,
 * else no ALPN at all (the handshake goes on: a client offering only
 * protocols the listener does not speak gets HTTP/1.1 without the
 * extension, as from a server without ALPN). arg: the listener. */
static int
lb_ssl_alpn_select(SSL *ssl, const unsigned char **out,
    unsigned char *outlen, const unsigned char *in, unsigned int inlen,
    void *arg)
{
    const char                 *name;
    const lb_listener_t        *lsn;
    uint32_t                    i, len;
    unsigned int                j;

    lb_unused(ssl);

    lsn = arg;

    for (i = 0; i < lsn->nalpn; i++) {
        name = lb_alpn_names[lsn->alpn[i]];
        len = (uint32_t) strlen(name);

        for (j = 0; j < inlen; j += 1 + in[j]) {
            if (in[j] == len && j + 1 + len <= inlen
                && memcmp(&in[j + 1], name, len) == 0)
            {
                *out = &in[j + 1];
                *outlen = (unsigned char) len;
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }

    return SSL_TLSEXT_ERR_NOACK;
}


bool
lb_ssl_alpn_h2(lb_connection_t *c)
{
    unsigned int          len;
    const unsigned char  *p;

    if (c->ssl == NULL) {
        return false;
    }

    SSL_get0_alpn_selected(c->ssl->ssl, &p, &len);

    return len == 2 && p[0] == 'h' && p[1] == '2';
}


/* tls_ocsp_response of srv's listener: read the file (DER, as nginx's
 * ssl_stapling_file), check that it is a successful OCSP response with a
 * status for the listener's certificate (tls_certificate must hold the
 * issuer after it, for the certificate's id), and keep its bytes. A file
 * that cannot be read, parsed or matched is a configuration error
 * (LB_ERROR, reported). One that is out of date (nextUpdate passed, or
 * thisUpdate ahead, beyond 5 minutes of clock skew) is warned about and
 * not stapled: a client that checks would refuse it, one that does not
 * learns nothing from it; LB_OK. A status other than good is warned
 * about and stapled: it is the truth about the certificate. */
static lb_int_t
lb_ssl_ocsp_load(lb_ssl_cycle_t *sc, lb_ssl_server_t *srv)
{
    long                  len;
    char                 *path;
    FILE                 *f;
    time_t                next_update;
    lb_int_t              rc;
    unsigned char        *buf;
    OCSP_RESPONSE        *resp;
    const lb_listener_t  *lsn;
    const unsigned char  *p;
    char                  reason[512];

    lsn = srv->listener;

    path = lb_full_name(sc->cycle->pool, sc->cycle->prefix,
                        lsn->tls_ocsp_response);
    if (path == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for TLS contexts");
        return LB_ERROR;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" cannot be "
                      "opened: %s", path, strerror(errno));
        return LB_ERROR;
    }

    len = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        len = ftell(f);
    }

    if (len <= 0 || len > LB_SSL_OCSP_MAX || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" is %s; "
                      "allowed: a DER OCSP response of up to %d bytes", path,
                      len == 0 ? "empty" : len < 0 ? "not a regular file"
                                                   : "too large",
                      LB_SSL_OCSP_MAX);
        return LB_ERROR;
    }

    buf = lb_palloc(sc->cycle->pool, (size_t) len);
    if (buf == NULL) {
        fclose(f);
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for TLS contexts");
        return LB_ERROR;
    }

    if (fread(buf, 1, (size_t) len, f) != (size_t) len) {
        fclose(f);
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" cannot be "
                      "read", path);
        return LB_ERROR;
    }

    fclose(f);

    ERR_clear_error();

    p = buf;
    resp = d2i_OCSP_RESPONSE(NULL, &p, len);
    if (resp == NULL || p != buf + len) {
        lb_ssl_error_text(reason, sizeof(reason));
        OCSP_RESPONSE_free(resp);
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" is not a "
                      "DER OCSP response: %s", path,
                      resp == NULL ? reason : "bytes after its end");
        return LB_ERROR;
    }

    next_update = 0;
    rc = lb_ssl_ocsp_check(sc, srv, path, resp, &next_update);
    OCSP_RESPONSE_free(resp);

    if (rc == LB_OK) {
        srv->ocsp.der = buf;
        srv->ocsp.len = (size_t) len;
        srv->ocsp.next_update = next_update;
    }

    return rc == LB_DECLINED ? LB_OK : rc;
}


/* The checks of lb_ssl_ocsp_load() on the parsed response: LB_OK (staple
 * it; *next_update set, 0 when it has none), LB_DECLINED (warned: do not
 * staple) or LB_ERROR (reported). */
static lb_int_t
lb_ssl_ocsp_check(lb_ssl_cycle_t *sc, lb_ssl_server_t *srv,
    const char *path, OCSP_RESPONSE *resp, time_t *next_update)
{
    int                    i, n, status, reason, rc;
    bool                   stale;
    time_t                 earliest;
    X509                  *leaf, *issuer, *x;
    struct tm              tm;
    const EVP_MD          *md;
    OCSP_CERTID           *id;
    STACK_OF(X509)        *chain;
    ASN1_OBJECT           *md_oid;
    OCSP_BASICRESP        *basic;
    OCSP_SINGLERESP       *single;
    const lb_listener_t   *lsn;
    const OCSP_CERTID     *rid;
    ASN1_GENERALIZEDTIME  *rev, *this_update, *next;

    lsn = srv->listener;
    status = OCSP_response_status(resp);

    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" is an "
                      "unsuccessful OCSP response (%s); allowed: a "
                      "successful one", path, OCSP_response_status_str(status));
        return LB_ERROR;
    }

    leaf = SSL_CTX_get0_certificate(srv->ctx);
    issuer = NULL;

    if (SSL_CTX_get0_chain_certs(srv->ctx, &chain) == 1 && chain != NULL) {
        for (i = 0; i < sk_X509_num(chain); i++) {
            x = sk_X509_value(chain, i);
            if (X509_check_issued(x, leaf) == X509_V_OK) {
                issuer = x;
                break;
            }
        }
    }

    if (leaf == NULL || issuer == NULL) {
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" cannot be "
                      "checked: tls_certificate \"%s\" has no issuer "
                      "certificate after the server's; allowed: the chain "
                      "with the issuer, which OCSP names the certificate "
                      "by", path, lsn->tls.certificate);
        return LB_ERROR;
    }

    basic = OCSP_response_get1_basic(resp);
    if (basic == NULL) {
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" is not a "
                      "basic OCSP response", path);
        return LB_ERROR;
    }

    /* the responder chose the hash of the certificate ids: the same one
     * names ours */
    n = OCSP_resp_count(basic);
    single = NULL;

    for (i = 0; i < n; i++) {
        single = OCSP_resp_get0(basic, i);
        rid = OCSP_SINGLERESP_get0_id(single);
        md_oid = NULL;

        if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, (OCSP_CERTID *) rid)
            != 1)
        {
            continue;
        }

        md = EVP_get_digestbyobj(md_oid);
        if (md == NULL) {
            continue;
        }

        id = OCSP_cert_to_id(md, leaf, issuer);
        rc = (id != NULL) ? OCSP_id_cmp(id, rid) : -1;
        OCSP_CERTID_free(id);

        if (rc == 0) {
            break;
        }
    }

    if (i == n) {
        OCSP_BASICRESP_free(basic);
        lb_ssl_report(sc->cycle, lsn, "tls_ocsp_response \"%s\" is not "
                      "for tls_certificate \"%s\": it has no status for "
                      "that certificate (serial number and issuer)", path,
                      lsn->tls.certificate);
        return LB_ERROR;
    }

    status = OCSP_single_get0_status(single, &reason, &rev, &this_update,
                                     &next);

    ERR_clear_error();

    if (OCSP_check_validity(this_update, next, LB_SSL_OCSP_SKEW, -1) != 1) {
        ERR_clear_error();
        earliest = time(NULL) - LB_SSL_OCSP_SKEW;
        stale = (next != NULL && X509_cmp_time(next, &earliest) < 0);
        OCSP_BASICRESP_free(basic);
        lb_ssl_warn(sc->cycle, lsn, "tls_ocsp_response \"%s\" is out of "
                    "date (%s): not stapled; the file is read again at "
                    "the next reload", path,
                    stale ? "its nextUpdate has passed"
                          : "its thisUpdate is ahead of the clock");
        return LB_DECLINED;
    }

    if (status != V_OCSP_CERTSTATUS_GOOD) {
        lb_ssl_warn(sc->cycle, lsn, "tls_ocsp_response \"%s\" says "
                    "tls_certificate \"%s\" is %s: stapled all the same "
                    "(clients that check will refuse it)", path,
                    lsn->tls.certificate, OCSP_cert_status_str(status));
    }

    *next_update = 0;

    if (next != NULL && ASN1_TIME_to_tm(next, &tm) == 1) {
        *next_update = timegm(&tm);
    }

    OCSP_BASICRESP_free(basic);

    return LB_OK;
}


/* The status callback of a listener's default context, when the client
 * asked for the certificate's status: staple the response while it is in
 * date (the master read it at start or the last reload). OpenSSL frees
 * what it is given: one copy per handshake that asks. */
static int
lb_ssl_ocsp_staple(SSL *ssl, void *arg)
{
    unsigned char          *p;
    const lb_ssl_server_t  *srv;

    srv = arg;

    if (srv->ocsp.der == NULL
        || (srv->ocsp.next_update != 0
            && lb_current_sec > srv->ocsp.next_update))
    {
        return SSL_TLSEXT_ERR_NOACK;
    }

    p = OPENSSL_memdup(srv->ocsp.der, srv->ocsp.len);
    if (p == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    if (SSL_set_tlsext_status_ocsp_resp(ssl, p, (long) srv->ocsp.len) != 1) {
        OPENSSL_free(p);
        return SSL_TLSEXT_ERR_NOACK;
    }

    return SSL_TLSEXT_ERR_OK;
}


/* The contexts of one listener and the table of names SNI picks from. */
static lb_int_t
lb_ssl_init_listener(lb_ssl_cycle_t *sc, const lb_listener_t *lsn,
    lb_ssl_server_t **out)
{
    uint32_t          i;
    lb_int_t          rc;
    lb_pool_t        *pool;
    lb_array_t        names;
    SSL_CTX         **ctxs;
    lb_ssl_server_t  *srv;
    char              what[64];

    pool = sc->cycle->pool;

    srv = lb_pcalloc(pool, sizeof(lb_ssl_server_t));
    ctxs = lb_pcalloc(pool, (lsn->nsni_certificates + 1) * sizeof(SSL_CTX *));
    if (srv == NULL || ctxs == NULL
        || lb_array_init(&names, pool, 4, sizeof(lb_ssl_name_t)) != LB_OK)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for TLS contexts");
        return LB_ERROR;
    }

    srv->listener = lsn;
    rc = LB_OK;

    ctxs[0] = lb_ssl_server_ctx(sc, lsn, &lsn->tls, "");
    if (ctxs[0] == NULL) {
        rc = LB_ERROR;
    }

    for (i = 0; i < lsn->nsni_certificates; i++) {
        snprintf(what, sizeof(what), "sni_certificates[%u].", i);
        ctxs[i + 1] = lb_ssl_server_ctx(sc, lsn, &lsn->sni_certificates[i],
                                        what);
        if (ctxs[i + 1] == NULL) {
            rc = LB_ERROR;
        }
    }

    if (rc != LB_OK) {
        return LB_ERROR;
    }

    for (i = 0; i <= lsn->nsni_certificates; i++) {
        if (lb_ssl_ctx_names(pool, ctxs[i], &names) != LB_OK) {
            lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                         "out of memory for TLS contexts");
            return LB_ERROR;
        }
    }

    srv->ctx = ctxs[0];
    srv->names = names.elts;
    srv->nnames = names.nelts;

    /* SNI is looked at on the context a connection was made from */
    SSL_CTX_set_tlsext_servername_callback(srv->ctx, lb_ssl_servername);
    SSL_CTX_set_tlsext_servername_arg(srv->ctx, srv);

    if (lsn->tls_ocsp_response != NULL) {
        if (lb_ssl_ocsp_load(sc, srv) != LB_OK) {
            return LB_ERROR;
        }

        /* asked on the context the connection ends with: a certificate
         * SNI chose instead has no response, and gets no staple */
        if (srv->ocsp.der != NULL) {
            SSL_CTX_set_tlsext_status_cb(srv->ctx, lb_ssl_ocsp_staple);
            SSL_CTX_set_tlsext_status_arg(srv->ctx, srv);
        }
    }

    *out = srv;

    return LB_OK;
}


/* One server context for cert of lsn, with everything the listener asks
 * for; NULL (reported) when the files cannot be used. */
static SSL_CTX *
lb_ssl_server_ctx(lb_ssl_cycle_t *sc, const lb_listener_t *lsn,
    const lb_tls_cert_t *cert, const char *what)
{
    int                  version;
    char                *crt, *key;
    const char          *ciphers;
    SSL_CTX             *ctx, **slot;
    unsigned int         sid_len;
    unsigned char        sid[SSL_MAX_SID_CTX_LENGTH];
    char                 reason[512];
    lb_ssl_load_step_e   step;

    crt = lb_full_name(sc->cycle->pool, sc->cycle->prefix, cert->certificate);
    key = lb_full_name(sc->cycle->pool, sc->cycle->prefix, cert->key);
    if (crt == NULL || key == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for TLS contexts");
        return NULL;
    }

    ctx = lb_ssl_server_ctx_load(crt, key, &step, reason, sizeof(reason));
    if (ctx == NULL) {
        switch (step) {
        case LB_SSL_LOAD_CERT:
            lb_ssl_report(sc->cycle, lsn, "%stls_certificate \"%s\" cannot "
                          "be loaded: %s", what, crt, reason);
            break;
        case LB_SSL_LOAD_KEY:
            lb_ssl_report(sc->cycle, lsn, "%stls_key \"%s\" cannot be "
                          "loaded: %s", what, key, reason);
            break;
        case LB_SSL_LOAD_PAIR:
            lb_ssl_report(sc->cycle, lsn, "%stls_key \"%s\" does not belong "
                          "to %stls_certificate \"%s\": %s", what, key, what,
                          crt, reason);
            break;
        default:
            lb_log_error(LB_LOG_EMERG, &lb_log, 0, "SSL_CTX_new() failed: "
                         "%s", reason);
        }
        return NULL;
    }

    slot = lb_array_push(&sc->contexts);
    if (slot == NULL) {
        SSL_CTX_free(ctx);
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for TLS contexts");
        return NULL;
    }
    *slot = ctx;

    version = lb_ssl_protocol_version(lsn->tls_min_version);

    if (version < TLS1_2_VERSION) {
        /* OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) above
         * security level 0: asking for them means accepting that */
        SSL_CTX_set_security_level(ctx, 0);
    }

    if (SSL_CTX_set_min_proto_version(ctx, version) != 1
        || SSL_CTX_set_max_proto_version(ctx, 0) != 1)
    {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_ssl_report(sc->cycle, lsn, "tls_min_version %s cannot be set: %s",
                      lb_tls_version_names[lsn->tls_min_version], reason);
        return NULL;
    }

    ciphers = lsn->tls_ciphers;

    if (ciphers == NULL) {
        ciphers = LB_SSL_CIPHERS;

        if (version < TLS1_2_VERSION) {
            ciphers = LB_SSL_CIPHERS LB_SSL_CIPHERS_OLD;

            if (what[0] == '\0') {
                lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "listener \"%s\": "
                             "tls_min_version %s enables TLS 1.0/1.1 with "
                             "SHA-1 signatures (security level 0) and the "
                             "ECDHE CBC suites %s", lsn->name,
                             lb_tls_version_names[lsn->tls_min_version],
                             &LB_SSL_CIPHERS_OLD[1]);
            }
        }
    }

    if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_ssl_report(sc->cycle, lsn, "tls_ciphers \"%s\" cannot be used: %s",
                      ciphers, reason);
        return NULL;
    }

    if (lsn->tls_ciphersuites != NULL
        && SSL_CTX_set_ciphersuites(ctx, lsn->tls_ciphersuites) != 1)
    {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_ssl_report(sc->cycle, lsn, "tls_ciphersuites \"%s\" cannot be "
                      "used: %s", lsn->tls_ciphersuites, reason);
        return NULL;
    }

    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);

    if (lsn->protocol == LB_LISTENER_HTTPS) {
        /* h2 or http/1.1, as the listener's alpn_protocols say */
        SSL_CTX_set_alpn_select_cb(ctx, lb_ssl_alpn_select, (void *) lsn);
    }

    /* resumption: a per-worker cache for session ids, and tickets that
     * every worker can open; a session belongs to its listener only */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, LB_SSL_SESSION_CACHE);
    SSL_CTX_set_timeout(ctx, LB_SSL_SESSION_TIMEOUT);

    sid_len = (unsigned int) snprintf((char *) sid, sizeof(sid), "%u/%u",
                                      lsn->balancer->index, lsn->index);
    if (SSL_CTX_set_session_id_context(ctx, sid, sid_len) != 1
        || SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, lb_ssl_ticket_key) != 1)
    {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "setting the TLS session context failed: %s", reason);
        return NULL;
    }

    return ctx;
}


/* Seal and open session tickets with the keys of the shared zone: new
 * tickets with the current key, tickets of the key before still open
 * (and are replaced by a ticket of the current one), any other is
 * refused (a full handshake). No zone (weir -t) or no consistent copy of
 * the keys: no ticket at all, which is only slower. */
static int
lb_ssl_ticket_key(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
    int                    rc;
    uint32_t               i, n;
    OSSL_PARAM             params[3];
    lb_zone_ticket_key_t   keys[LB_ZONE_TICKET_KEYS];
    static EVP_CIPHER     *aes;

    if (lb_cycle == NULL || lb_cycle->zone == NULL) {
        return 0;
    }

    /* fetched once per process, not at every ticket */
    if (aes == NULL) {
        aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
        if (aes == NULL) {
            return -1;
        }
    }

    n = lb_zone_ticket_keys(lb_cycle->zone, keys);
    if (n == 0) {
        return 0;
    }

    rc = -1;

    if (enc) {
        i = 0;
        memcpy(name, keys[0].name, LB_ZONE_TICKET_NAME_LEN);

        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(aes)) != 1
            || EVP_EncryptInit_ex2(ectx, aes, keys[0].aes, iv, NULL) != 1)
        {
            goto done;
        }

    } else {
        for (i = 0; i < n; i++) {
            if (memcmp(name, keys[i].name, LB_ZONE_TICKET_NAME_LEN) == 0) {
                break;
            }
        }

        if (i == n) {
            rc = 0;
            goto done;
        }

        if (EVP_DecryptInit_ex2(ectx, aes, keys[i].aes, iv, NULL) != 1) {
            goto done;
        }
    }

    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
                                                  keys[i].hmac,
                                                  LB_ZONE_TICKET_HMAC_LEN);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();

    if (EVP_MAC_CTX_set_params(hctx, params) != 1) {
        goto done;
    }

    /* 2: a new ticket at the end of this handshake. Always for TLS 1.3,
     * as with OpenSSL's own keys: its tickets are meant to be used once,
     * and a client that resumed would be left without one */
    rc = (i == 0 && SSL_version(ssl) < TLS1_3_VERSION) ? 1 : 2;

done:

    OPENSSL_cleanse(keys, sizeof(keys));
    return rc;
}


/* What both sides share: no renegotiation (TLS 1.2), partial writes of
 * one record at a time from a buffer that may move between retries,
 * reading ahead to need one recv() per burst instead of two per record,
 * and a FIN without close_notify read as the end of the stream.
 *
 * The record buffers are kept while a connection is busy:
 * SSL_MODE_RELEASE_BUFFERS would free and allocate them around every
 * record, a malloc() per request. Connections idle a while give them
 * back from a tick instead (lb_ssl_free_buffers(): HTTP clients between
 * requests, pooled target connections). */
static void
lb_ssl_common_ctx(SSL_CTX *ctx)
{
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION
                             | SSL_OP_IGNORE_UNEXPECTED_EOF
                             | SSL_OP_NO_COMPRESSION);

    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    SSL_CTX_set_read_ahead(ctx, 1);
}


SSL_CTX *
lb_ssl_server_ctx_load(const char *crt, const char *key,
    lb_ssl_load_step_e *step, char *reason, size_t size)
{
    SSL_CTX  *ctx;

    ERR_clear_error();

    *step = LB_SSL_LOAD_NEW;

    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        goto failed;
    }

    lb_ssl_common_ctx(ctx);

    *step = LB_SSL_LOAD_CERT;
    if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1) {
        goto failed;
    }

    *step = LB_SSL_LOAD_KEY;
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        goto failed;
    }

    *step = LB_SSL_LOAD_PAIR;
    if (SSL_CTX_check_private_key(ctx) != 1) {
        goto failed;
    }

    return ctx;

failed:

    lb_ssl_error_text(reason, size);
    SSL_CTX_free(ctx);
    return NULL;
}


/* Append the DNS names of ctx's certificate (subjectAltName dNSNames,
 * then the subject CN) to names. */
static lb_int_t
lb_ssl_ctx_names(lb_pool_t *pool, SSL_CTX *ctx, lb_array_t *names)
{
    int                  i, n, idx;
    X509                *x;
    X509_NAME           *subject;
    ASN1_STRING         *s;
    GENERAL_NAME        *gn;
    GENERAL_NAMES       *alt;
    X509_NAME_ENTRY     *e;

    x = SSL_CTX_get0_certificate(ctx);
    if (x == NULL) {
        return LB_OK;
    }

    alt = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (alt != NULL) {
        n = sk_GENERAL_NAME_num(alt);

        for (i = 0; i < n; i++) {
            gn = sk_GENERAL_NAME_value(alt, i);
            if (gn->type != GEN_DNS) {
                continue;
            }

            s = gn->d.dNSName;
            if (lb_ssl_add_name(pool, names, ctx, ASN1_STRING_get0_data(s),
                                ASN1_STRING_length(s)) != LB_OK)
            {
                GENERAL_NAMES_free(alt);
                return LB_ERROR;
            }
        }

        GENERAL_NAMES_free(alt);
    }

    subject = X509_get_subject_name(x);
    idx = -1;

    while (subject != NULL) {
        idx = X509_NAME_get_index_by_NID(subject, NID_commonName, idx);
        if (idx < 0) {
            break;
        }

        e = X509_NAME_get_entry(subject, idx);
        s = X509_NAME_ENTRY_get_data(e);
        if (lb_ssl_add_name(pool, names, ctx, ASN1_STRING_get0_data(s),
                            ASN1_STRING_length(s)) != LB_OK)
        {
            return LB_ERROR;
        }
    }

    return LB_OK;
}


/* Keep a name that can be a host name (a CN may be any text), lowercase,
 * wildcards as their suffix. */
static lb_int_t
lb_ssl_add_name(lb_pool_t *pool, lb_array_t *names, SSL_CTX *ctx,
    const unsigned char *s, int len)
{
    int             i;
    bool            wildcard;
    lb_ssl_name_t  *n;

    if (len <= 0) {
        return LB_OK;
    }

    wildcard = false;

    if (len > 2 && s[0] == '*' && s[1] == '.') {
        wildcard = true;
        s++;
        len--;
    }

    for (i = 0; i < len; i++) {
        if (s[i] == '*' || s[i] == ' ' || s[i] == '/' || s[i] < 0x21
            || s[i] > 0x7e)
        {
            return LB_OK;
        }
    }

    if (s[len - 1] == '.') {
        len--;
    }

    n = lb_array_push(names);
    if (n == NULL) {
        return LB_ERROR;
    }

    n->name = lb_pstrndup(pool, (const char *) s, len);
    if (n->name == NULL) {
        return LB_ERROR;
    }

    for (i = 0; i < len; i++) {
        if (n->name[i] >= 'A' && n->name[i] <= 'Z') {
            n->name[i] |= 0x20;
        }
    }

    n->len = len;
    n->wildcard = wildcard;
    n->ctx = ctx;

    return LB_OK;
}


SSL_CTX *
lb_ssl_select_ctx(const lb_listener_t *lsn, const char *name, size_t len)
{
    lb_ssl_server_t  *srv;

    srv = lb_ssl_server(lsn);
    if (srv == NULL) {
        return NULL;
    }

    return lb_ssl_find(srv, name, len);
}


/* Exact names first, then wildcards; in the order of the certificates. A
 * wildcard stands for one whole label: "*.example.com" matches
 * "a.example.com", not "example.com" nor "a.b.example.com". */
static SSL_CTX *
lb_ssl_find(const lb_ssl_server_t *srv, const char *name, size_t len)
{
    uint32_t              i;
    const char           *dot;
    const lb_ssl_name_t  *n;

    if (len > 0 && name[len - 1] == '.') {
        len--;
    }

    if (len == 0) {
        return NULL;
    }

    for (i = 0; i < srv->nnames; i++) {
        n = &srv->names[i];
        if (!n->wildcard && n->len == len
            && strncasecmp(n->name, name, len) == 0)
        {
            return n->ctx;
        }
    }

    dot = memchr(name, '.', len);
    if (dot == NULL || dot == name || memchr(name, '*', dot - name) != NULL) {
        return NULL;
    }

    len -= dot - name;

    for (i = 0; i < srv->nnames; i++) {
        n = &srv->names[i];
        if (n->wildcard && n->len == len
            && strncasecmp(n->name, dot, len) == 0)
        {
            return n->ctx;
        }
    }

    return NULL;
}


/* The SNI callback of a listener's default context: move the connection
 * to the context of the certificate that matches; no match keeps the
 * default one. Settings of the connection (versions, options) stay those
 * of the default context, which is the same listener's anyway. */
static int
lb_ssl_servername(SSL *ssl, int *alert, void *arg)
{
    const char       *name;
    SSL_CTX          *ctx;
    lb_ssl_server_t  *srv;

    srv = arg;

    name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    ctx = lb_ssl_find(srv, name, strlen(name));

    if (ctx != NULL && ctx != SSL_get_SSL_CTX(ssl)) {
        if (SSL_set_SSL_CTX(ssl, ctx) == NULL) {
            *alert = SSL_AD_INTERNAL_ERROR;
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }

    return SSL_TLSEXT_ERR_OK;
}


SSL_CTX *
lb_ssl_listener_ctx(const lb_listener_t *lsn)
{
    lb_ssl_server_t  *srv;

    srv = lb_ssl_server(lsn);

    return srv ? srv->ctx : NULL;
}


/* The TLS state of listener lsn: found through the cycle whose balancer
 * array holds lsn's balancer. */
static lb_ssl_server_t *
lb_ssl_server(const lb_listener_t *lsn)
{
    const lb_ssl_cycle_t     *sc;
    const lb_load_balancer_t *lb;
    const lb_ssl_server_t    *srv;

    lb = lsn->balancer;

    for (sc = lb_ssl_cycles; sc != NULL; sc = sc->next) {
        if (lb < sc->conf->balancers
            || lb >= sc->conf->balancers + sc->conf->nbalancers
            || lsn->index >= lb->nlisteners)
        {
            continue;
        }

        srv = sc->servers[lb->index][lsn->index];
        if (srv != NULL && srv->listener == lsn) {
            return (lb_ssl_server_t *) srv;
        }

        return NULL;
    }

    return NULL;
}


SSL_CTX *
lb_ssl_group_ctx(const lb_cycle_t *cycle, const lb_target_group_t *tg)
{
    uint32_t               i;
    const lb_ssl_cycle_t  *sc;

    if (!tg->tls_verify) {
        return lb_ssl_client_ctx(cycle);
    }

    for (sc = lb_ssl_cycles; sc != NULL; sc = sc->next) {
        if (sc->cycle != cycle) {
            continue;
        }

        /* by id: a worker that took a live change up has groups of a
         * newer generation than its cycle's, with the same TLS settings
         * (lb_conf_live_change() sees to it) */
        for (i = 0; i < sc->nverify; i++) {
            if (sc->verify[i].tg == tg
                || (tg->id != NULL && sc->verify[i].tg->id != NULL
                    && strcmp(sc->verify[i].tg->id, tg->id) == 0))
            {
                return sc->verify[i].ctx;
            }
        }
    }

    /* not expected (a change of these settings takes a reload): fail
     * closed, never talk unverified */
    lb_log_error(LB_LOG_ERR, &lb_log, 0, "target group \"%s\" has "
                 "tls_verify but no verifying TLS context in this "
                 "process (a reload loads its tls_ca_certificate)", tg->name);
    return NULL;
}


SSL_CTX *
lb_ssl_client_ctx(const lb_cycle_t *cycle)
{
    const lb_ssl_cycle_t  *sc;

    for (sc = lb_ssl_cycles; sc != NULL; sc = sc->next) {
        if (sc->cycle == cycle) {
            return sc->client;
        }
    }

    return NULL;
}


int
lb_ssl_protocol_version(lb_tls_version_e v)
{
    switch (v) {
    case LB_TLSv1:
        return TLS1_VERSION;
    case LB_TLSv1_1:
        return TLS1_1_VERSION;
    case LB_TLSv1_3:
        return TLS1_3_VERSION;
    case LB_TLSv1_2:
    default:
        return TLS1_2_VERSION;
    }
}


void
lb_ssl_error_text(char *buf, size_t size)
{
    int             n;
    size_t          len;
    unsigned long   e;
    const char     *reason;
    char            code[64];

    len = 0;
    buf[0] = '\0';

    while ((e = ERR_get_error()) != 0) {
        if (ERR_SYSTEM_ERROR(e)) {
            reason = strerror(ERR_GET_REASON(e));

        } else if (ERR_COMMON_ERROR(e)
                   && (ERR_GET_REASON(e) & ~ERR_RFLAG_COMMON) < ERR_LIB_USER)
        {
            /* "system lib", "PEM lib": only that another layer failed,
             * which says why itself */
            continue;

        } else {
            reason = ERR_reason_error_string(e);
        }

        if (reason == NULL) {
            snprintf(code, sizeof(code), "error %lx", e);
            reason = code;
        }

        /* the same reason from several layers says nothing more */
        if (strstr(buf, reason) != NULL || len + 1 >= size) {
            continue;
        }

        n = snprintf(buf + len, size - len, "%s%s", len ? "; " : "",
                     reason);
        if (n < 0) {
            break;
        }
        len += (size_t) n;
        if (len >= size) {
            len = size - 1;
        }
    }

    if (len == 0) {
        snprintf(buf, size, "unknown reason");
    }
}


/* Like the config parser's errors: "file:line:col: listener ...: what"
 * (lb_cycle_vreport()). */
static void
lb_ssl_report(const lb_cycle_t *cycle, const lb_listener_t *lsn,
    const char *fmt, ...)
{
    va_list  args;
    char     what[600];

    snprintf(what, sizeof(what), "listener \"%s\" of load balancer \"%s\"",
             lsn->name, lsn->balancer->name);

    va_start(args, fmt);
    lb_cycle_vreport(cycle, &lsn->pos, what, fmt, args);
    va_end(args);
}


/* A warning about lsn in the same shape, at warn level: the cycle goes
 * on. */
static void
lb_ssl_warn(const lb_cycle_t *cycle, const lb_listener_t *lsn,
    const char *fmt, ...)
{
    va_list  args;
    char     msg[1024];

    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    lb_log_error(LB_LOG_WARN, &lb_log, 0, "%s:%u:%u: listener \"%s\" of "
                 "load balancer \"%s\": %s", cycle->conf_file,
                 lsn->pos.line, lsn->pos.col, lsn->name, lsn->balancer->name,
                 msg);
}


static void
lb_ssl_report_group(const lb_cycle_t *cycle, const lb_target_group_t *tg,
    const char *fmt, ...)
{
    va_list  args;
    char     what[600];

    snprintf(what, sizeof(what), "target group \"%s\" of load balancer "
             "\"%s\"", tg->name, tg->balancer->name);

    va_start(args, fmt);
    lb_cycle_vreport(cycle, &tg->pos, what, fmt, args);
    va_end(args);
}


static void
lb_ssl_cleanup(void *data)
{
    size_t             i;
    SSL_CTX          **ctxs;
    lb_ssl_cycle_t    *sc, **pp;

    sc = data;

    for (pp = &lb_ssl_cycles; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == sc) {
            *pp = sc->next;
            break;
        }
    }

    ctxs = sc->contexts.elts;
    for (i = 0; i < sc->contexts.nelts; i++) {
        SSL_CTX_free(ctxs[i]);
    }
    sc->contexts.nelts = 0;

    SSL_CTX_free(sc->client);
    sc->client = NULL;

}
