/* weir: what the admin API needs to change a configuration the way an
 * operator edits the file (lb_conf_edit.c): a changed copy is printed as
 * YAML and read back by the same reader as `weir -t`, so every rule of
 * SPEC.md 1-9 (one object's and those between objects) judges it, and the
 * first problem comes back as a field path and the message of `weir -t`.
 * Fresh random ids for the objects the API creates. */
#ifndef LB_CONF_EDIT_H
#define LB_CONF_EDIT_H

#include "lb_conf_types.h"
#include "lb_core_types.h"

#define LB_CONF_UUID_LEN  36

/* The first problem of a configuration text, by position in the text:
 * path ("load_balancers[web-lb].target_groups[web-tg].name", "" for the
 * text as a whole) and message (as `weir -t` prints them, without the
 * "file:line:col: " in front), both from the caller's pool. */
typedef struct {
    const char      *path;
    const char      *message;
    lb_conf_pos_t    pos;
} lb_conf_edit_error_t;

/* Read text[0..len) as a configuration file called name, into pool, with
 * all the rules of lb_conf_parse_string(). Returns the configuration, or
 * NULL with the first problem in *err. */
lb_conf_t *lb_conf_edit_read(lb_pool_t *pool, const char *name,
    const char *text, size_t len, lb_conf_edit_error_t *err);

/* Print conf as YAML (lb_conf_dump_with() under comment) into a string
 * allocated from pool (NUL-terminated; its length in *len). NULL when out
 * of memory. */
char *lb_conf_edit_text(lb_pool_t *pool, const lb_conf_t *conf,
    const char *comment, size_t *len);

/* The changed copy conf judged as the file would be: printed, read back
 * (lb_conf_edit_read()) and returned, ids and back-pointers set, its text
 * in *text / *len (pool). NULL with the problem in *err. */
lb_conf_t *lb_conf_edit_check(lb_pool_t *pool, const char *name,
    const lb_conf_t *conf, char **text, size_t *len,
    lb_conf_edit_error_t *err);

/* A random (version 4) UUID, lower case, into out (LB_CONF_UUID_LEN + 1
 * bytes). LB_OK, or LB_ERROR when the system gives no random bytes. */
lb_int_t lb_conf_uuid(char *out);

#endif /* LB_CONF_EDIT_H */
