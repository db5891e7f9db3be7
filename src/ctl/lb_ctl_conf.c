/* weir: weirctl reads weir's configuration file (lb_ctl_conf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_array.h"
#include "lb_conf.h"
#include "lb_conf_node.h"
#include "lb_ctl_conf.h"
#include "lb_cycle.h"
#include "lb_palloc.h"

static const char *lb_ctl_conf_certificate(lb_pool_t *pool,
    const char *conf_file, FILE *errs);


lb_int_t
lb_ctl_conf_load(lb_pool_t *pool, const char *prefix, const char *conf_file,
    bool need_admin, lb_ctl_conf_t *cc, FILE *errs)
{
    size_t       i;
    char       **msg;
    lb_conf_t   *conf;
    lb_array_t   errors;
    const char  *cert;

    memset(cc, 0, sizeof(lb_ctl_conf_t));

    if (lb_array_init(&errors, pool, 8, sizeof(char *)) != LB_OK) {
        fprintf(errs, "weirctl: out of memory\n");
        return LB_ERROR;
    }

    conf = lb_conf_parse_file(pool, conf_file, &errors);

    if (conf == NULL) {
        msg = errors.elts;
        for (i = 0; i < errors.nelts; i++) {
            fprintf(errs, "%s\n", msg[i]);
        }
        fprintf(errs, "weirctl: configuration file %s is not valid\n",
                conf_file);
        return LB_ERROR;
    }

    cc->workers = conf->worker_processes;
    cc->pid_file = lb_full_name(pool, prefix, conf->pid_file);
    if (cc->pid_file == NULL) {
        goto nomem;
    }

    if (conf->admin == NULL) {
        if (!need_admin) {
            return LB_OK;
        }

        fprintf(errs, "weirctl: %s has no admin block: weir runs without "
                "the admin API\n", conf_file);
        return LB_ERROR;
    }

    cc->admin = true;
    cc->addr = conf->admin->addr;
    cc->token_file = lb_full_name(pool, prefix, conf->admin->token_file);

    cert = lb_ctl_conf_certificate(pool, conf_file, errs);
    if (cert == (const char *) -1) {
        return LB_ERROR;
    }

    if (cert != NULL) {
        cc->certificate = lb_full_name(pool, prefix, cert);
        if (cc->certificate == NULL) {
            goto nomem;
        }
    }

    if (cc->token_file == NULL) {
        goto nomem;
    }

    return LB_OK;

nomem:

    fprintf(errs, "weirctl: out of memory\n");
    return LB_ERROR;
}


/* admin.certificate as written in the file (the file is valid: weir's
 * parser took it), NULL when it is not there, (char *) -1 after an error
 * printed on errs. */
static const char *
lb_ctl_conf_certificate(lb_pool_t *pool, const char *conf_file, FILE *errs)
{
    FILE                  *f;
    char                  *text;
    size_t                 len;
    const char            *cert;
    lb_conf_node_t        *root, *admin, *node;
    lb_conf_read_error_t   err;

    f = fopen(conf_file, "re");
    if (f == NULL) {
        fprintf(errs, "weirctl: %s: %s\n", conf_file, strerror(errno));
        return (const char *) -1;
    }

    text = NULL;
    len = 0;
    cert = (const char *) -1;

    /* the parser read it a moment ago: it is a regular file of sane size */
    if (fseek(f, 0, SEEK_END) == -1 || (len = (size_t) ftell(f)) == 0
        || fseek(f, 0, SEEK_SET) == -1)
    {
        cert = NULL;
        goto done;
    }

    text = malloc(len + 1);
    if (text == NULL || fread(text, 1, len, f) != len) {
        fprintf(errs, "weirctl: %s: cannot read it again\n", conf_file);
        goto done;
    }
    text[len] = '\0';

    root = lb_conf_yaml_read(pool, text, len, &err);
    if (root == NULL) {
        fprintf(errs, "weirctl: %s:%u:%u: %s\n", conf_file, err.pos.line,
                err.pos.col, err.message);
        goto done;
    }

    cert = NULL;

    admin = root->type == LB_CONF_NODE_MAP
            ? lb_conf_node_get(root, "admin") : NULL;
    node = admin != NULL && admin->type == LB_CONF_NODE_MAP
           ? lb_conf_node_get(admin, "certificate") : NULL;

    if (node != NULL && node->type == LB_CONF_NODE_SCALAR && node->len > 0) {
        cert = lb_pstrdup(pool, node->value);
        if (cert == NULL) {
            fprintf(errs, "weirctl: out of memory\n");
            cert = (const char *) -1;
        }
    }

done:

    free(text);
    fclose(f);
    return cert;
}
