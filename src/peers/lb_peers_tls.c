/* weir: TLS on the peers' sync link (lb_peers_tls.h). */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lb_cycle.h"
#include "lb_event_openssl.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_peers_tls.h"

static void lb_peers_tls_cleanup(void *data);
static void lb_peers_tls_report(lb_cycle_t *cycle, const lb_peers_tls_t *tls,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));


SSL_CTX *
lb_peers_tls_ctx(lb_cycle_t *cycle, const lb_peers_tls_t *tls, bool server)
{
    char                *crt, *key, *ca;
    SSL_CTX             *ctx;
    char                 reason[512];
    lb_ssl_load_step_e   step;

    crt = lb_full_name(cycle->pool, cycle->prefix, tls->certificate);
    key = lb_full_name(cycle->pool, cycle->prefix, tls->key);
    ca = lb_full_name(cycle->pool, cycle->prefix, tls->ca);
    if (crt == NULL || key == NULL || ca == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for the peers' TLS context");
        return NULL;
    }

    if (server) {
        ctx = lb_ssl_server_ctx_load(crt, key, &step, reason,
                                     sizeof(reason));

    } else {
        /* the same files as a client: its certificate answers the
         * server's request for one */
        step = LB_SSL_LOAD_NEW;
        ERR_clear_error();
        ctx = SSL_CTX_new(TLS_client_method());

        if (ctx != NULL) {
            step = LB_SSL_LOAD_CERT;
            if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1) {
                goto load_failed;
            }
            step = LB_SSL_LOAD_KEY;
            if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM)
                != 1)
            {
                goto load_failed;
            }
            step = LB_SSL_LOAD_PAIR;
            if (SSL_CTX_check_private_key(ctx) != 1) {
                goto load_failed;
            }
        }

        if (0) {
        load_failed:
            lb_ssl_error_text(reason, sizeof(reason));
            SSL_CTX_free(ctx);
            ctx = NULL;

        } else if (ctx == NULL) {
            lb_ssl_error_text(reason, sizeof(reason));
        }
    }

    if (ctx == NULL) {
        switch (step) {
        case LB_SSL_LOAD_CERT:
            lb_peers_tls_report(cycle, tls, "certificate", "\"%s\" cannot "
                                "be loaded: %s", crt, reason);
            break;
        case LB_SSL_LOAD_KEY:
            lb_peers_tls_report(cycle, tls, "key", "\"%s\" cannot be "
                                "loaded: %s", key, reason);
            break;
        case LB_SSL_LOAD_PAIR:
            lb_peers_tls_report(cycle, tls, "key", "\"%s\" does not belong "
                                "to peers.tls.certificate \"%s\": %s", key,
                                crt, reason);
            break;
        default:
            lb_log_error(LB_LOG_EMERG, &lb_log, 0, "SSL_CTX_new() failed: "
                         "%s", reason);
        }
        return NULL;
    }

    ERR_clear_error();

    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_peers_tls_report(cycle, tls, "ca", "\"%s\" cannot be loaded: %s",
                            ca, reason);
        goto failed;
    }

    /* both ways: a side without a certificate of the CA is refused */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER
                            | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       NULL);

    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "peers: setting the TLS "
                     "version failed: %s", reason);
        goto failed;
    }

    /* a handful of long-lived connections: nothing to resume */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);

    return ctx;

failed:

    SSL_CTX_free(ctx);
    return NULL;
}


lb_int_t
lb_peers_init_conf(lb_cycle_t *cycle)
{
    lb_peers_tls_t     *tls;
    lb_pool_cleanup_t  *cln;

    if (cycle->conf->peers == NULL || cycle->conf->peers->tls == NULL) {
        return LB_OK;
    }

    tls = cycle->conf->peers->tls;

    cln = lb_pool_cleanup_add(cycle->pool);
    if (cln == NULL) {
        return LB_ERROR;
    }
    cln->handler = lb_peers_tls_cleanup;
    cln->data = tls;

    tls->server_ctx = lb_peers_tls_ctx(cycle, tls, true);
    if (tls->server_ctx == NULL) {
        return LB_ERROR;
    }

    tls->client_ctx = lb_peers_tls_ctx(cycle, tls, false);
    if (tls->client_ctx == NULL) {
        return LB_ERROR;
    }

    return LB_OK;
}


static void
lb_peers_tls_cleanup(void *data)
{
    lb_peers_tls_t  *tls;

    tls = data;

    SSL_CTX_free(tls->server_ctx);
    SSL_CTX_free(tls->client_ctx);
    tls->server_ctx = NULL;
    tls->client_ctx = NULL;
}


/* "FILE:LINE:COL: peers.tls.FIELD: what", as the configuration's errors */
static void
lb_peers_tls_report(lb_cycle_t *cycle, const lb_peers_tls_t *tls,
    const char *field, const char *fmt, ...)
{
    va_list  args;
    char     what[32];

    snprintf(what, sizeof(what), "peers.tls.%s", field);

    va_start(args, fmt);
    lb_cycle_vreport(cycle, &tls->pos, what, fmt, args);
    va_end(args);
}
