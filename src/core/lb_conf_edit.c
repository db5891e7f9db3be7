/* weir: changing a configuration through the admin API (lb_conf_edit.h).
 *
 * The API changes a copy of the object model (the structs of
 * lb_conf_types.h, read from the running text into a fresh pool); then
 * the copy is printed by the dump (the same text lb_conf_persist()
 * writes) and that text is read back by the reader of `weir -t`. Reading
 * the printed text, rather than checking the structs in place, keeps one
 * judge for the file and the API: whatever the API accepts, a restart
 * reads back the same. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lb_conf.h"
#include "lb_conf_edit.h"
#include "lb_conf_schema.h"
#include "lb_palloc.h"


lb_conf_t *
lb_conf_edit_read(lb_pool_t *pool, const char *name, const char *text,
    size_t len, lb_conf_edit_error_t *err)
{
    lb_conf_t        *conf;
    lb_conf_cx_t      cx;
    lb_conf_error_t  *e;

    err->path = "";
    err->message = "out of memory while reading the configuration";
    err->pos.line = 1;
    err->pos.col = 1;

    if (lb_conf_read_text(&cx, pool, name, text, len,
                          "the configuration is empty", &conf)
        != LB_OK)
    {
        return NULL;
    }

    if (cx.nomem) {
        lb_destroy_pool(cx.tmp);
        return NULL;
    }

    if (cx.errors.nelts > 0) {
        /* the first in the text, as `weir -t` lists them */
        lb_conf_sort_errors(&cx);
        e = cx.errors.elts;

        err->pos = e[0].pos;
        err->path = lb_pstrdup(pool, e[0].path);
        err->message = lb_pstrdup(pool, e[0].message);

        if (err->path == NULL || err->message == NULL) {
            err->path = "";
            err->message = "out of memory while reading the configuration";
        }

        conf = NULL;
    }

    lb_destroy_pool(cx.tmp);

    return conf;
}


char *
lb_conf_edit_text(lb_pool_t *pool, const lb_conf_t *conf,
    const char *comment, size_t *len)
{
    char      *mem, *text;
    size_t     size;
    FILE      *out;
    lb_int_t   rc;

    mem = NULL;
    size = 0;

    out = open_memstream(&mem, &size);
    if (out == NULL) {
        return NULL;
    }

    rc = lb_conf_dump_with(out, conf, comment);

    if (fclose(out) == EOF || rc != LB_OK || mem == NULL) {
        free(mem);
        return NULL;
    }

    text = lb_palloc(pool, size + 1);
    if (text != NULL) {
        memcpy(text, mem, size);
        text[size] = '\0';
        *len = size;
    }

    free(mem);

    return text;
}


lb_conf_t *
lb_conf_edit_check(lb_pool_t *pool, const char *name, const lb_conf_t *conf,
    char **text, size_t *len, lb_conf_edit_error_t *err)
{
    char  *t;

    t = lb_conf_edit_text(pool, conf, "", len);
    if (t == NULL) {
        err->path = "";
        err->message = "out of memory while printing the configuration";
        err->pos.line = 1;
        err->pos.col = 1;
        return NULL;
    }

    *text = t;

    return lb_conf_edit_read(pool, name, t, *len, err);
}


lb_int_t
lb_conf_uuid(char *out)
{
    size_t    i, got;
    ssize_t   n;
    uint8_t   b[16];

    static const char  hex[] = "0123456789abcdef";

    for (got = 0; got < sizeof(b); got += (size_t) n) {
        n = getrandom(b + got, sizeof(b) - got, 0);
        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            return LB_ERROR;
        }
    }

    /* RFC 9562 4.4: version 4, variant 10 */
    b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *out++ = '-';
        }
        *out++ = hex[b[i] >> 4];
        *out++ = hex[b[i] & 0x0f];
    }

    *out = '\0';

    return LB_OK;
}
