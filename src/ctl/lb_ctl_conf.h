/* weir: what weirctl takes from weir's configuration file: where the
 * admin API listens, its token file, and its certificate when it speaks
 * TLS. The file is read by weir's own parser, so weirctl refuses exactly
 * the files weir refuses, with the same messages. */
#ifndef LB_CTL_CONF_H
#define LB_CTL_CONF_H

#include <stdio.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"

typedef struct {
    lb_sockaddr_t   addr;           /* admin.listen */
    const char     *token_file;     /* absolute */
    const char     *certificate;    /* absolute; NULL: plain HTTP */
    bool            admin;          /* the file has an admin block (the
                                       three above are set) */
    const char     *pid_file;       /* absolute */
    uint32_t        workers;        /* worker_processes, resolved */
} lb_ctl_conf_t;

/* Parse the file conf_file (absolute) with lb_conf_parse_file() and fill
 * *cc, relative paths taken from prefix as weir does. Without an admin
 * block that is an error when need_admin (printed), else cc->admin is
 * false (weirctl ping needs only pid_file and worker_processes). admin.certificate
 * is read from the file's document tree rather than from lb_conf_t, so
 * weirctl needs no change when the schema gains it (until then weir's
 * parser refuses a file that has it, and so does weirctl). Returns LB_OK,
 * or LB_ERROR after printing every problem on errs, one per line as
 * `weir -t` prints them. Strings are allocated from pool. */
lb_int_t lb_ctl_conf_load(lb_pool_t *pool, const char *prefix,
    const char *conf_file, bool need_admin, lb_ctl_conf_t *cc, FILE *errs);

#endif /* LB_CTL_CONF_H */
