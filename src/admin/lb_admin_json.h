/* weir: the admin API's output: a growing byte buffer and a small JSON
 * writer over it. The writer keeps the commas and the nesting itself, so
 * a handler says what it writes (an object, a key and a string) and the
 * text is always well formed; strings are escaped per RFC 8259 and bytes
 * that are not UTF-8 become U+FFFD. Out of memory is sticky: every call
 * after it does nothing and the caller looks at buf->nomem once at the
 * end. Memory is malloc'd (the admin process is not the data path) and
 * owned by the buffer: lb_admin_buf_free(). */
#ifndef LB_ADMIN_JSON_H
#define LB_ADMIN_JSON_H

#include "lb_core_types.h"

#define LB_JSON_MAX_DEPTH  32

typedef struct {
    u_char     *data;
    size_t      len;
    size_t      size;
    unsigned    nomem:1;
} lb_admin_buf_t;

typedef struct {
    lb_admin_buf_t  *buf;
    uint32_t         depth;
    /* per level: something was written there (the next item needs a
     * comma) */
    uint8_t          items[LB_JSON_MAX_DEPTH];
} lb_json_t;

/* Append n bytes of p (or the formatted text) to b, growing it. */
void lb_admin_buf_append(lb_admin_buf_t *b, const void *p, size_t n);
void lb_admin_buf_printf(lb_admin_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget the contents, keep the memory. */
static inline void
lb_admin_buf_reset(lb_admin_buf_t *b)
{
    b->len = 0;
    b->nomem = 0;
}

/* Free the memory; b is empty and usable again. */
void lb_admin_buf_free(lb_admin_buf_t *b);

/* Start a document written into buf (appended to what is there). */
void lb_json_init(lb_json_t *j, lb_admin_buf_t *buf);

/* Open or close an object or an array. key: the member name when the
 * enclosing value is an object, NULL inside an array or at the top. */
void lb_json_object(lb_json_t *j, const char *key);
void lb_json_object_end(lb_json_t *j);
void lb_json_array(lb_json_t *j, const char *key);
void lb_json_array_end(lb_json_t *j);

/* Values; key as above. lb_json_str() with s NULL writes null. */
void lb_json_str(lb_json_t *j, const char *key, const char *s);
void lb_json_strn(lb_json_t *j, const char *key, const char *s, size_t n);

/* lb_json_str() of a field that may be unset: nothing for s NULL. */
void lb_json_str_set(lb_json_t *j, const char *key, const char *s);
void lb_json_uint(lb_json_t *j, const char *key, uint64_t v);
void lb_json_int(lb_json_t *j, const char *key, int64_t v);
void lb_json_bool(lb_json_t *j, const char *key, bool v);
void lb_json_null(lb_json_t *j, const char *key);

/* An array of the names of a table at the n indexes idx, in their order:
 * a schema list of names (LB_CONF_NAMES). */
void lb_json_names(lb_json_t *j, const char *key, const char *const *names,
    const uint8_t *idx, uint32_t n);

/* A number given in tenths (333 -> 33.3): the weight ratio. */
void lb_json_tenths(lb_json_t *j, const char *key, uint32_t tenths);

/* Append s[0..n) to b as a JSON string, quotes included. */
void lb_json_escape(lb_admin_buf_t *b, const char *s, size_t n);

#endif /* LB_ADMIN_JSON_H */
