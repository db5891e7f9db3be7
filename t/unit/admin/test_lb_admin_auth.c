/* weir: unit tests for src/admin/lb_admin_auth.c: the token file's rules,
 * the token comparison, and the limit on failed attempts per address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>

#include <cmocka.h>

#include "lb_admin_auth.h"

static char  dir[] = "/tmp/weir-admin-auth-XXXXXX";


/* write text (n bytes) into dir/name with mode; returns the path */
static const char *
token_file(const char *name, const char *text, size_t n, mode_t mode)
{
    FILE         *f;
    static char   path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);

    return path;
}


static lb_int_t
load(const char *path, char *token, const char **why, int *err)
{
    size_t    len;
    lb_int_t  rc;
    u_char    buf[LB_ADMIN_TOKEN_MAX];

    rc = lb_admin_token_load(path, buf, &len, why, err);
    if (rc == LB_OK) {
        memcpy(token, buf, len);
        token[len] = '\0';
    }

    return rc;
}


static void
test_token_file(void **state)
{
    int          err;
    char         token[LB_ADMIN_TOKEN_MAX + 1], big[LB_ADMIN_TOKEN_MAX + 2];
    const char  *why, *path;

    assert_non_null(mkdtemp(dir));

    /* one line, its line end stripped (LF, CRLF, several) */
    path = token_file("a", "s3cret-token\n", 13, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_OK);
    assert_string_equal(token, "s3cret-token");

    path = token_file("b", "abc\r\n\n", 6, 0640);
    assert_int_equal(load(path, token, &why, &err), LB_OK);
    assert_string_equal(token, "abc");

    path = token_file("c", "no-newline", 10, 0400);
    assert_int_equal(load(path, token, &why, &err), LB_OK);
    assert_string_equal(token, "no-newline");

    /* readable or writable by others */
    path = token_file("d", "abc\n", 4, 0644);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);
    assert_non_null(strstr(why, "readable or writable by other users"));

    path = token_file("e", "abc\n", 4, 0602);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);
    assert_non_null(strstr(why, "by other users"));

    /* empty, only a line end */
    path = token_file("f", "", 0, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);
    assert_non_null(strstr(why, "is empty"));

    path = token_file("g", "\n", 1, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);
    assert_non_null(strstr(why, "is empty"));

    /* what a header value cannot carry: space, control, non-ASCII, two
     * lines */
    path = token_file("h", "ab cd\n", 6, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);
    assert_non_null(strstr(why, "a header cannot carry"));

    path = token_file("i", "ab\tcd", 5, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);

    path = token_file("j", "ab\xc3\xa9", 4, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);

    path = token_file("k", "one\ntwo\n", 8, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);

    /* 1024 bytes are fine, 1025 are not */
    memset(big, 'x', sizeof(big));
    path = token_file("l", big, LB_ADMIN_TOKEN_MAX, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_OK);
    assert_int_equal(strlen(token), LB_ADMIN_TOKEN_MAX);

    path = token_file("m", big, LB_ADMIN_TOKEN_MAX + 1, 0600);
    assert_int_equal(load(path, token, &why, &err), LB_ERROR);
    assert_non_null(strstr(why, "larger than"));

    /* missing, a directory */
    snprintf(big, sizeof(big), "%s/missing", dir);
    assert_int_equal(load(big, token, &why, &err), LB_ERROR);
    assert_string_equal(why, "cannot be opened");
    assert_int_equal(err, ENOENT);

    assert_int_equal(load(dir, token, &why, &err), LB_ERROR);
    assert_string_equal(why, "is not a regular file");

    assert_int_equal(system("rm -rf /tmp/weir-admin-auth-*"), 0);
}


static void
test_token_equal(void **state)
{
    const u_char  *want = (const u_char *) "s3cret-token";

    assert_true(lb_admin_token_equal(want, 12, want, 12));
    assert_true(lb_admin_token_equal((const u_char *) "s3cret-token", 12,
                                     want, 12));
    assert_false(lb_admin_token_equal((const u_char *) "s3cret-tokeN", 12,
                                      want, 12));
    /* a prefix, a longer string, nothing */
    assert_false(lb_admin_token_equal(want, 11, want, 12));
    assert_false(lb_admin_token_equal((const u_char *) "s3cret-token!", 13,
                                      want, 12));
    assert_false(lb_admin_token_equal((const u_char *) "", 0, want, 12));
    /* no token configured never matches, not even an empty one */
    assert_false(lb_admin_token_equal((const u_char *) "", 0,
                                      (const u_char *) "", 0));
}


static struct sockaddr_in
v4(const char *addr, uint16_t port)
{
    struct sockaddr_in  sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);

    return sin;
}


static void
test_limiter(void **state)
{
    int                  i;
    lb_msec_t            retry, now;
    struct sockaddr_in   a, a2, b;
    struct sockaddr_in6  six;
    static lb_admin_limiter_t  l;

    memset(&l, 0, sizeof(l));
    a = v4("127.0.0.1", 40000);
    a2 = v4("127.0.0.1", 40001);     /* same address, another port */
    b = v4("127.0.0.2", 40000);

    now = 1000000;

    /* ten failures within the window are allowed, then refused */
    for (i = 0; i < LB_ADMIN_FAIL_MAX; i++) {
        assert_true(lb_admin_limiter_allow(&l, (struct sockaddr *) &a,
                                           now + i * 100, &retry));
        lb_admin_limiter_fail(&l, (struct sockaddr *) &a, now + i * 100);
    }

    assert_false(lb_admin_limiter_allow(&l, (struct sockaddr *) &a,
                                        now + 1000, &retry));
    assert_int_equal(retry, LB_ADMIN_FAIL_WINDOW - 1000);

    /* the port does not matter; another address is not affected */
    assert_false(lb_admin_limiter_allow(&l, (struct sockaddr *) &a2,
                                        now + 1000, &retry));
    assert_true(lb_admin_limiter_allow(&l, (struct sockaddr *) &b,
                                       now + 1000, &retry));
    assert_int_equal(retry, 0);

    /* refused until the window that began with the first failure ends */
    assert_false(lb_admin_limiter_allow(&l, (struct sockaddr *) &a,
                                        now + LB_ADMIN_FAIL_WINDOW - 1,
                                        &retry));
    assert_int_equal(retry, 1);
    assert_true(lb_admin_limiter_allow(&l, (struct sockaddr *) &a,
                                       now + LB_ADMIN_FAIL_WINDOW, &retry));

    /* a failure after the window starts a new count */
    now += LB_ADMIN_FAIL_WINDOW;
    lb_admin_limiter_fail(&l, (struct sockaddr *) &a, now);
    assert_true(lb_admin_limiter_allow(&l, (struct sockaddr *) &a, now + 1,
                                       &retry));

    /* IPv6 counts per address too */
    memset(&six, 0, sizeof(six));
    six.sin6_family = AF_INET6;
    six.sin6_addr = in6addr_loopback;
    for (i = 0; i < LB_ADMIN_FAIL_MAX; i++) {
        lb_admin_limiter_fail(&l, (struct sockaddr *) &six, now);
    }
    assert_false(lb_admin_limiter_allow(&l, (struct sockaddr *) &six, now,
                                        &retry));
    assert_true(lb_admin_limiter_allow(&l, (struct sockaddr *) &b, now,
                                       &retry));
}


/* a flood of addresses fills the table: new ones take the oldest
 * windows, and a blocked address whose window is newer stays blocked
 * until the table has turned over */
static void
test_limiter_full(void **state)
{
    int                  i;
    char                 text[32];
    lb_msec_t            retry, now;
    struct sockaddr_in   a, x;
    static lb_admin_limiter_t  l;

    memset(&l, 0, sizeof(l));
    now = 5000;

    /* the other slots first, all with older windows */
    for (i = 0; i < LB_ADMIN_FAIL_SLOTS - 1; i++) {
        snprintf(text, sizeof(text), "10.1.0.%d", i + 1);
        x = v4(text, 1);
        lb_admin_limiter_fail(&l, (struct sockaddr *) &x, now);
    }

    a = v4("10.0.0.1", 1);
    for (i = 0; i < LB_ADMIN_FAIL_MAX; i++) {
        lb_admin_limiter_fail(&l, (struct sockaddr *) &a, now + 10);
    }

    assert_false(lb_admin_limiter_allow(&l, (struct sockaddr *) &a,
                                        now + 20, &retry));

    /* one more address evicts one of the older windows, not a's */
    x = v4("10.2.0.1", 1);
    lb_admin_limiter_fail(&l, (struct sockaddr *) &x, now + 20);
    assert_false(lb_admin_limiter_allow(&l, (struct sockaddr *) &a,
                                        now + 20, &retry));

    /* once a's window is over, the next new address may take its slot */
    now += 10 + LB_ADMIN_FAIL_WINDOW;
    x = v4("10.2.0.2", 1);
    lb_admin_limiter_fail(&l, (struct sockaddr *) &x, now);
    assert_true(lb_admin_limiter_allow(&l, (struct sockaddr *) &a, now,
                                       &retry));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_token_file),
        cmocka_unit_test(test_token_equal),
        cmocka_unit_test(test_limiter),
        cmocka_unit_test(test_limiter_full),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
