/* weir: the admin API's token and its limit on failed attempts
 * (lb_admin_auth.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "lb_admin_auth.h"

static void lb_admin_limiter_key(const struct sockaddr *sa, uint8_t *key);
static lb_admin_fail_slot_t *lb_admin_limiter_find(lb_admin_limiter_t *l,
    const uint8_t *key);


lb_int_t
lb_admin_token_load(const char *path, u_char *token, size_t *len,
    const char **why, int *err)
{
    int          fd;
    u_char       extra;
    size_t       n, i;
    ssize_t      r;
    struct stat  st;

    *err = 0;
    *len = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd == -1) {
        *err = errno;
        *why = "cannot be opened";
        return LB_ERROR;
    }

    if (fstat(fd, &st) == -1) {
        *err = errno;
        *why = "cannot be examined";
        goto failed;
    }

    if (!S_ISREG(st.st_mode)) {
        *why = "is not a regular file";
        goto failed;
    }

    if (st.st_mode & (S_IROTH | S_IWOTH)) {
        *why = "is readable or writable by other users; allowed: a file "
               "only its owner (and group) can read, e.g. chmod 600";
        goto failed;
    }

    n = 0;

    for ( ;; ) {
        /* one byte more than fits tells a file that is too large */
        r = read(fd, n < LB_ADMIN_TOKEN_MAX ? token + n : &extra,
                 n < LB_ADMIN_TOKEN_MAX ? LB_ADMIN_TOKEN_MAX - n : 1);

        if (r == -1) {
            if (errno == EINTR) {
                continue;
            }
            *err = errno;
            *why = "cannot be read";
            goto failed;
        }

        if (r == 0) {
            break;
        }

        if (n == LB_ADMIN_TOKEN_MAX) {
            *why = "is larger than 1024 bytes";
            goto failed;
        }

        n += (size_t) r;
    }

    (void) close(fd);

    while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r')) {
        n--;
    }

    if (n == 0) {
        *why = "is empty; allowed: one line with the token";
        return LB_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (token[i] < 0x21 || token[i] > 0x7e) {
            *why = "holds a byte a header cannot carry; allowed: one line of "
                   "printable ASCII without spaces";
            return LB_ERROR;
        }
    }

    *len = n;

    return LB_OK;

failed:

    (void) close(fd);
    return LB_ERROR;
}


bool
lb_admin_token_equal(const u_char *got, size_t glen, const u_char *want,
    size_t wlen)
{
    u_char  a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];

    (void) SHA256(got, glen, a);
    (void) SHA256(want, wlen, b);

    return CRYPTO_memcmp(a, b, sizeof(a)) == 0 && wlen != 0;
}


bool
lb_admin_limiter_allow(lb_admin_limiter_t *l, const struct sockaddr *sa,
    lb_msec_t now, lb_msec_t *retry_ms)
{
    uint8_t                key[17];
    lb_admin_fail_slot_t  *s;

    *retry_ms = 0;

    lb_admin_limiter_key(sa, key);

    s = lb_admin_limiter_find(l, key);

    if (s == NULL || s->failures < LB_ADMIN_FAIL_MAX
        || now - s->start >= LB_ADMIN_FAIL_WINDOW)
    {
        return true;
    }

    *retry_ms = LB_ADMIN_FAIL_WINDOW - (now - s->start);

    return false;
}


void
lb_admin_limiter_fail(lb_admin_limiter_t *l, const struct sockaddr *sa,
    lb_msec_t now)
{
    uint32_t               i;
    uint8_t                key[17];
    lb_admin_fail_slot_t  *s, *victim;

    lb_admin_limiter_key(sa, key);

    s = lb_admin_limiter_find(l, key);

    if (s == NULL) {
        victim = NULL;

        for (i = 0; i < LB_ADMIN_FAIL_SLOTS; i++) {
            s = &l->slots[i];

            if (!s->used || now - s->start >= LB_ADMIN_FAIL_WINDOW) {
                victim = s;
                break;
            }

            if (victim == NULL || s->start < victim->start) {
                victim = s;
            }
        }

        s = victim;
        memcpy(s->key, key, sizeof(s->key));
        s->used = 1;
        s->failures = 0;
        s->start = now;
    }

    if (now - s->start >= LB_ADMIN_FAIL_WINDOW) {
        /* the window has passed: this failure starts a new one */
        s->failures = 0;
        s->start = now;
    }

    if (s->failures < UINT32_MAX) {
        s->failures++;
    }
}


/* family and address; the port changes with every connection */
static void
lb_admin_limiter_key(const struct sockaddr *sa, uint8_t *key)
{
    memset(key, 0, 17);
    key[0] = (uint8_t) sa->sa_family;

    if (sa->sa_family == AF_INET) {
        memcpy(key + 1, &((const struct sockaddr_in *) sa)->sin_addr, 4);

    } else if (sa->sa_family == AF_INET6) {
        memcpy(key + 1, &((const struct sockaddr_in6 *) sa)->sin6_addr, 16);
    }
}


static lb_admin_fail_slot_t *
lb_admin_limiter_find(lb_admin_limiter_t *l, const uint8_t *key)
{
    uint32_t  i;

    for (i = 0; i < LB_ADMIN_FAIL_SLOTS; i++) {
        if (l->slots[i].used && memcmp(l->slots[i].key, key, 17) == 0) {
            return &l->slots[i];
        }
    }

    return NULL;
}
