/* weir: reading, validating and printing the YAML configuration
 * (SPEC.md sections 1-7 and 9). */
#ifndef LB_CONF_H
#define LB_CONF_H

#include <stdio.h>

#include "lb_array.h"
#include "lb_conf_types.h"

/* Parse and validate the YAML file at `path` into a new lb_conf_t
 * allocated from `pool`, with every default filled in and every
 * reference resolved. Every problem found is appended to `errors`
 * (an lb_array_t of char *, allocated from pool) as
 *   "path:line:col: field.path: what is wrong and what is allowed"
 * and parsing goes on to find the rest. Returns NULL when there was
 * at least one error. */
lb_conf_t *lb_conf_parse_file(lb_pool_t *pool, const char *path,
    lb_array_t *errors);

/* The bytes of the file at path, NUL-terminated, allocated from pool,
 * their count in *len; NULL after appending the reason to errors (as
 * lb_conf_parse_file() does). */
char *lb_conf_read_file(lb_pool_t *pool, const char *path, size_t *len,
    lb_array_t *errors);

/* The same from a string (unit tests, the admin API); `name` stands for
 * the file name in messages. */
lb_conf_t *lb_conf_parse_string(lb_pool_t *pool, const char *name,
    const char *yaml, size_t len, lb_array_t *errors);

/* Print the effective configuration (defaults filled in) as YAML that
 * lb_conf_parse_file() accepts again. Returns LB_OK or LB_ERROR. */
lb_int_t lb_conf_dump(FILE *out, const lb_conf_t *conf);

/* The same under another leading comment: `comment` is written as it is
 * (whole lines, each starting with '#' and ending with '\n'), then the
 * configuration. lb_conf_persist() writes the file of the API this way. */
lb_int_t lb_conf_dump_with(FILE *out, const lb_conf_t *conf,
    const char *comment);

/* Whether conf differs from old only in fields the schema marks live
 * (target groups and which group a listener serves), so that running
 * workers can take it up without new sockets: every other field, ids
 * included, must print the same; and a group with tls_verify must be
 * there before with the same TLS settings (its context is made from
 * files when a cycle is built). */
bool lb_conf_live_change(const lb_conf_t *old, const lb_conf_t *conf);

#endif /* LB_CONF_H */
