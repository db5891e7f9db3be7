/* weir: who may use the admin API. Every request carries X-Auth-Token,
 * compared in constant time with the contents of admin.token_file; failed
 * attempts are counted per client address in a small fixed table, and an
 * address with too many of them is refused (429) until its window ends.
 * Pure functions over caller-owned memory, tested without sockets. */
#ifndef LB_ADMIN_AUTH_H
#define LB_ADMIN_AUTH_H

#include <sys/socket.h>

#include "lb_core_types.h"

#define LB_ADMIN_TOKEN_MAX      1024    /* bytes in the token file */

/* failed attempts: at most LB_ADMIN_FAIL_MAX per address within a window
 * of LB_ADMIN_FAIL_WINDOW ms, counted from the window's first failure */
#define LB_ADMIN_FAIL_MAX       10
#define LB_ADMIN_FAIL_WINDOW    10000
#define LB_ADMIN_FAIL_SLOTS     64

typedef struct {
    uint8_t     key[17];       /* family byte + address (port ignored) */
    uint8_t     used;
    uint32_t    failures;
    lb_msec_t   start;         /* first failure of the window */
} lb_admin_fail_slot_t;

typedef struct {
    lb_admin_fail_slot_t  slots[LB_ADMIN_FAIL_SLOTS];
} lb_admin_limiter_t;

/* Read the token from the file at path into token[LB_ADMIN_TOKEN_MAX]
 * with its length in *len: the whole file but its trailing CR and LF
 * bytes. LB_OK, or LB_ERROR with *why set to a static text saying what
 * is wrong: the file cannot be opened or read, is not a regular file, is
 * readable or writable by others (mode & 007), is empty, is too large, or
 * holds a byte a header value cannot carry (controls, space, non-ASCII).
 * On LB_ERROR with an errno, *err holds it (else 0). */
lb_int_t lb_admin_token_load(const char *path, u_char *token, size_t *len,
    const char **why, int *err);

/* Whether got[0..glen) equals want[0..wlen), in time that depends on
 * neither content nor the length of got (both are hashed with SHA-256,
 * the digests compared with CRYPTO_memcmp). wlen 0 never matches. */
bool lb_admin_token_equal(const u_char *got, size_t glen,
    const u_char *want, size_t wlen);

/* Whether the address sa may try now: false while it has
 * LB_ADMIN_FAIL_MAX failures in a window that has not ended at now
 * (milliseconds of any monotonic clock); *retry_ms is then the time left. */
bool lb_admin_limiter_allow(lb_admin_limiter_t *l, const struct sockaddr *sa,
    lb_msec_t now, lb_msec_t *retry_ms);

/* Count a failed attempt of sa at now. A new address takes a free slot,
 * else one whose window has ended, else the one whose window started
 * first (a flood of addresses can only shorten others' windows). */
void lb_admin_limiter_fail(lb_admin_limiter_t *l, const struct sockaddr *sa,
    lb_msec_t now);

#endif /* LB_ADMIN_AUTH_H */
