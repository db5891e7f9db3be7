/* weir: the admin listener's TLS context (lb_admin_tls.h). */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lb_admin_tls.h"
#include "lb_cycle.h"
#include "lb_event_openssl.h"
#include "lb_log.h"
#include "lb_palloc.h"

static void lb_admin_tls_report(lb_cycle_t *cycle,
    const lb_admin_conf_t *admin, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));


SSL_CTX *
lb_admin_tls_ctx(lb_cycle_t *cycle, const lb_admin_conf_t *admin)
{
    char     *crt, *key;
    SSL_CTX  *ctx;
    char      reason[512];

    crt = lb_full_name(cycle->pool, cycle->prefix, admin->certificate);
    key = lb_full_name(cycle->pool, cycle->prefix, admin->key);
    if (crt == NULL || key == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for the admin TLS context");
        return NULL;
    }

    ERR_clear_error();

    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "SSL_CTX_new() failed: %s",
                     reason);
        return NULL;
    }

    if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_admin_tls_report(cycle, admin, "certificate", "\"%s\" cannot be "
                            "loaded: %s", crt, reason);
        goto failed;
    }

    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_admin_tls_report(cycle, admin, "key", "\"%s\" cannot be loaded: "
                            "%s", key, reason);
        goto failed;
    }

    if (SSL_CTX_check_private_key(ctx) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_admin_tls_report(cycle, admin, "key", "\"%s\" does not belong to "
                            "admin.certificate \"%s\": %s", key, crt, reason);
        goto failed;
    }

    /* as the HTTPS listeners' contexts (lb_event_openssl.c): the glue
     * writes one record at a time from buffers that may move */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION
                             | SSL_OP_IGNORE_UNEXPECTED_EOF
                             | SSL_OP_NO_COMPRESSION
                             | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);

    /* an operator's tool, not the Internet's browsers: no old versions,
     * and no session cache to keep for a handful of clients */
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_EMERG, &lb_log, 0, "admin: setting the TLS "
                     "version failed: %s", reason);
        goto failed;
    }

    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);

    return ctx;

failed:

    SSL_CTX_free(ctx);
    return NULL;
}


/* "FILE:LINE:COL: admin.FIELD: what", as the configuration's errors */
static void
lb_admin_tls_report(lb_cycle_t *cycle, const lb_admin_conf_t *admin,
    const char *field, const char *fmt, ...)
{
    va_list  args;
    char     what[32];

    snprintf(what, sizeof(what), "admin.%s", field);

    va_start(args, fmt);
    lb_cycle_vreport(cycle, &admin->pos, what, fmt, args);
    va_end(args);
}
