/* weir: reading the configuration file: libyaml -> node tree
 * (lb_conf_yaml.c) -> schema walker and per-object rules (lb_conf_walk.c,
 * lb_conf_schema.c) -> rules between objects (lb_conf_check.c) -> the
 * structs of lb_conf_types.h.
 *
 * Every problem is reported, not only the first, one line each, sorted by
 * position:
 *
 *     FILE:LINE:COL: PATH: MESSAGE
 *
 *   FILE     the name the caller gave (the path on the command line)
 *   LINE:COL 1-based; of the offending value, or of the key for an unknown
 *            or repeated field, or of the object's mapping for a missing
 *            field; for rules between fields, of the field named by PATH
 *   PATH     the field, items of lists named by their name where they have
 *            a readable one, else by their index:
 *            load_balancers[web-lb].target_groups[web-tg].health_monitor
 *            .timeout (one line in the output)
 *            load_balancers[0].listeners[2].protocol_port
 *   MESSAGE  what is wrong, naming the value, then "; allowed: ..." or
 *            what to do:
 *            timeout (30) must be less than delay (30)
 *            "FOO" is not a valid value; allowed: ALB, NLB, NLB_L4_DSR
 *
 * A YAML syntax error stops the reading (libyaml cannot go on) and is the
 * only message, without PATH:
 *
 *     conf/weir.yaml:7:3: syntax error: did not find expected key (while
 *     parsing a block mapping at 5:1)
 *
 * A file that cannot be read gives "FILE: cannot read: open() failed
 * (2: No such file or directory)".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lb_conf.h"
#include "lb_conf_schema.h"
#include "lb_palloc.h"

#define LB_CONF_MAX_SIZE  (64 * 1024 * 1024)

static lb_int_t lb_conf_report(lb_conf_cx_t *cx, lb_array_t *errors);
static int lb_conf_error_cmp(const void *a, const void *b);
static lb_int_t lb_conf_push(lb_array_t *errors, char *msg);


lb_conf_t *
lb_conf_parse_file(lb_pool_t *pool, const char *path, lb_array_t *errors)
{
    char    *text;
    size_t   len;

    text = lb_conf_read_file(pool, path, &len, errors);
    if (text == NULL) {
        return NULL;
    }

    return lb_conf_parse_string(pool, path, text, len, errors);
}


char *
lb_conf_read_file(lb_pool_t *pool, const char *path, size_t *lenp,
    lb_array_t *errors)
{
    int           fd, err;
    char         *buf;
    size_t        len;
    ssize_t       n;
    const char   *what;
    struct stat   st;

    what = "open";

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        goto failed;
    }

    what = "fstat";
    if (fstat(fd, &st) == -1) {
        goto failed;
    }

    if (!S_ISREG(st.st_mode) || st.st_size > LB_CONF_MAX_SIZE) {
        close(fd);
        lb_conf_push(errors, lb_psprintf(pool, "%s: cannot read: %s", path,
                                         S_ISREG(st.st_mode)
                                         ? "larger than 64 MB"
                                         : "not a regular file"));
        return NULL;
    }

    buf = lb_palloc(pool, (size_t) st.st_size + 1);
    if (buf == NULL) {
        what = "malloc";
        errno = ENOMEM;
        goto failed;
    }

    /* the size may change under us: read until EOF, within the buffer */
    len = 0;
    what = "read";

    for ( ;; ) {
        n = read(fd, buf + len, (size_t) st.st_size + 1 - len);
        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }
            goto failed;
        }

        if (n == 0) {
            break;
        }

        len += (size_t) n;

        if (len > (size_t) st.st_size) {
            errno = EAGAIN;
            what = "read (the file grew while being read)";
            goto failed;
        }
    }

    close(fd);

    buf[len] = '\0';
    *lenp = len;

    return buf;

failed:

    err = errno;

    if (fd != -1) {
        close(fd);
    }

    lb_conf_push(errors, lb_psprintf(pool, "%s: cannot read: %s() failed "
                                     "(%d: %s)", path, what, err,
                                     strerror(err)));
    return NULL;
}


lb_conf_t *
lb_conf_parse_string(lb_pool_t *pool, const char *name, const char *yaml,
    size_t len, lb_array_t *errors)
{
    lb_int_t       rc;
    lb_conf_t     *conf;
    lb_conf_cx_t   cx;

    if (lb_conf_read_text(&cx, pool, name, yaml, len, "the configuration is "
                          "empty; expected a mapping of top-level fields "
                          "such as load_balancers", &conf)
        != LB_OK)
    {
        lb_conf_push(errors, lb_psprintf(pool, "%s: out of memory", name));
        return NULL;
    }

    rc = lb_conf_report(&cx, errors);

    lb_destroy_pool(cx.tmp);

    if (rc != LB_OK || cx.errors.nelts > 0) {
        return NULL;
    }

    return conf;
}


lb_int_t
lb_conf_read_text(lb_conf_cx_t *cx, lb_pool_t *pool, const char *name,
    const char *text, size_t len, const char *empty, lb_conf_t **conf)
{
    lb_conf_obj_t         *root;
    lb_conf_node_t        *node;
    lb_conf_read_error_t   rerr;

    memset(cx, 0, sizeof(lb_conf_cx_t));
    memset(&rerr, 0, sizeof(lb_conf_read_error_t));
    *conf = NULL;

    cx->pool = pool;
    cx->file = name;
    cx->tmp = lb_create_pool(LB_POOL_DEFAULT_SIZE);

    if (cx->tmp == NULL) {
        return LB_ERROR;
    }

    if (lb_array_init(&cx->errors, cx->tmp, 16, sizeof(lb_conf_error_t))
        != LB_OK)
    {
        lb_destroy_pool(cx->tmp);
        cx->tmp = NULL;
        return LB_ERROR;
    }

    node = lb_conf_yaml_read(cx->tmp, text, len, &rerr);

    if (node == NULL) {
        lb_conf_error_at(cx, rerr.pos, "", "%s", rerr.message);

    } else if (node->type == LB_CONF_NODE_NULL) {
        lb_conf_error_at(cx, node->pos, "", "%s", empty);

    } else {
        root = lb_conf_walk(cx, &lb_conf_root_object, node, NULL, NULL,
                            NULL, LB_CONF_NO_INDEX);
        if (root != NULL) {
            lb_conf_check(cx, root);
            *conf = root->data;
            (*conf)->file = name;
        }
    }

    if (cx->nomem) {
        lb_conf_error_at(cx, node ? node->pos : rerr.pos, "",
                         "out of memory while reading the configuration");
        *conf = NULL;
    }

    return LB_OK;
}


/* the collected problems, sorted by position, as lines in the caller's
 * array */
static lb_int_t
lb_conf_report(lb_conf_cx_t *cx, lb_array_t *errors)
{
    char             *msg;
    size_t            i;
    lb_conf_error_t  *e;

    lb_conf_sort_errors(cx);

    e = cx->errors.elts;

    for (i = 0; i < cx->errors.nelts; i++) {
        if (e[i].path[0] != '\0') {
            msg = lb_psprintf(errors->pool, "%s:%u:%u: %s: %s", cx->file,
                              e[i].pos.line, e[i].pos.col, e[i].path,
                              e[i].message);
        } else {
            msg = lb_psprintf(errors->pool, "%s:%u:%u: %s", cx->file,
                              e[i].pos.line, e[i].pos.col, e[i].message);
        }

        if (lb_conf_push(errors, msg) != LB_OK) {
            return LB_ERROR;
        }
    }

    return LB_OK;
}


void
lb_conf_sort_errors(lb_conf_cx_t *cx)
{
    qsort(cx->errors.elts, cx->errors.nelts, sizeof(lb_conf_error_t),
          lb_conf_error_cmp);
}


static int
lb_conf_error_cmp(const void *a, const void *b)
{
    const lb_conf_error_t  *x = a, *y = b;

    if (x->pos.line != y->pos.line) {
        return x->pos.line < y->pos.line ? -1 : 1;
    }

    if (x->pos.col != y->pos.col) {
        return x->pos.col < y->pos.col ? -1 : 1;
    }

    return (x->seq > y->seq) - (x->seq < y->seq);
}


static lb_int_t
lb_conf_push(lb_array_t *errors, char *msg)
{
    char  **p;

    if (msg == NULL) {
        return LB_ERROR;
    }

    p = lb_array_push(errors);
    if (p == NULL) {
        return LB_ERROR;
    }

    *p = msg;

    return LB_OK;
}
