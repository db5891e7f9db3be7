/* weir: the admin listener's TLS context (lb_admin_tls.h). */
#include <stdarg.h>
#include <stdio.h>

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
    char                *crt, *key;
    SSL_CTX             *ctx;
    char                 reason[512];
    lb_ssl_load_step_e   step;

    crt = lb_full_name(cycle->pool, cycle->prefix, admin->certificate);
    key = lb_full_name(cycle->pool, cycle->prefix, admin->key);
    if (crt == NULL || key == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for the admin TLS context");
        return NULL;
    }

    ctx = lb_ssl_server_ctx_load(crt, key, &step, reason, sizeof(reason));
    if (ctx == NULL) {
        switch (step) {
        case LB_SSL_LOAD_CERT:
            lb_admin_tls_report(cycle, admin, "certificate", "\"%s\" cannot "
                                "be loaded: %s", crt, reason);
            break;
        case LB_SSL_LOAD_KEY:
            lb_admin_tls_report(cycle, admin, "key", "\"%s\" cannot be "
                                "loaded: %s", key, reason);
            break;
        case LB_SSL_LOAD_PAIR:
            lb_admin_tls_report(cycle, admin, "key", "\"%s\" does not belong "
                                "to admin.certificate \"%s\": %s", key, crt,
                                reason);
            break;
        default:
            lb_log_error(LB_LOG_EMERG, &lb_log, 0, "SSL_CTX_new() failed: "
                         "%s", reason);
        }
        return NULL;
    }

    /* the listeners' settings (lb_ssl_server_ctx_load()), and the
     * server's cipher order */
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);

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
