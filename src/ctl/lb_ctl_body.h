/* weir: weirctl's request bodies and JSON output, pure functions over
 * caller-owned buffers (tested in t/unit/ctl without sockets).
 *
 * Arguments become a JSON object by one rule:
 *   key=value    true, false and null are those literals; a JSON number
 *                (-12, 3, 0.5, 1e3) is a number; anything else, the empty
 *                value included, is a string
 *   key:=json    the JSON text as it is (checked): lists, objects, a
 *                number or word that must stay a string ('"64"')
 *   a.b.c=value  nested objects: health_monitor.delay=5 and
 *                health_monitor.type=TCP make one "health_monitor" object
 * Keys are 1..64 characters of A-Z a-z 0-9 _ - (the API's field names);
 * a key given twice, or both as a value and as an object, is an error. */
#ifndef LB_CTL_BODY_H
#define LB_CTL_BODY_H

#include "lb_admin_json.h"
#include "lb_core_types.h"

#define LB_CTL_KEY_MAX     64
#define LB_CTL_KEY_DEPTH   8       /* a.b.c... */
#define LB_CTL_JSON_DEPTH  64      /* nesting the JSON checker accepts */

typedef enum {
    LB_CTL_VALUE_STRING = 0,
    LB_CTL_VALUE_NUMBER,
    LB_CTL_VALUE_LITERAL            /* true, false, null */
} lb_ctl_value_e;

/* How key=value types value (the rule above). */
lb_ctl_value_e lb_ctl_value_type(const char *value);

/* Append to out the object built from args[0..n) ("key=value" or
 * "key:=json"), wrapped as {"<wrapper>": {...}} unless wrapper is NULL.
 * Returns LB_OK, or LB_ERROR with a message in err[0..errlen) naming the
 * argument at fault (out is then incomplete). Out of memory shows in
 * out->nomem. */
lb_int_t lb_ctl_body_object(lb_admin_buf_t *out, const char *wrapper,
    char *const *args, int n, char *err, size_t errlen);

/* Append {"members": [...]} to out: one object per spec in specs[0..n),
 * each a comma-separated list of key=value / key:=json as above
 * ("address=10.0.0.1,protocol_port=80,weight=5"). Returns as
 * lb_ctl_body_object(). */
lb_int_t lb_ctl_body_members(lb_admin_buf_t *out, char *const *specs,
    int n, char *err, size_t errlen);

/* Check that in[0..len) is one JSON value (RFC 8259, surrounding white
 * space allowed, nesting at most LB_CTL_JSON_DEPTH) and, when out is not
 * NULL, append it to out pretty-printed: two spaces per level, one member
 * or item per line, "key": value, strings and numbers byte for byte as
 * they came, members in their order, a final newline. Returns LB_OK, or
 * LB_ERROR with the byte offset of the first fault in *at (out may then
 * hold part of it). */
lb_int_t lb_ctl_json_pretty(lb_admin_buf_t *out, const u_char *in,
    size_t len, size_t *at);

#endif /* LB_CTL_BODY_H */
