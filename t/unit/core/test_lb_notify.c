/* weir: unit tests for src/core/lb_notify.c: the sd_notify messages as
 * systemd reads them (one KEY=VALUE per line), a status cut to fit and
 * kept on one line, and the $NOTIFY_SOCKET address forms (a path, an
 * abstract "@name", and the values that are neither). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_notify.h"


static void
test_ready(void **state)
{
    char    buf[LB_NOTIFY_MAX];
    size_t  n;

    n = lb_notify_format(buf, sizeof(buf), LB_NOTIFY_READY, 0, NULL);
    assert_string_equal(buf, "READY=1\n");
    assert_int_equal(n, strlen(buf));

    n = lb_notify_format(buf, sizeof(buf), LB_NOTIFY_READY, 0,
                         "2 workers, configuration generation 1");
    assert_string_equal(buf, "READY=1\nSTATUS=2 workers, configuration "
                        "generation 1\n");
    assert_int_equal(n, strlen(buf));
}


static void
test_reloading(void **state)
{
    char    buf[LB_NOTIFY_MAX];
    size_t  n;

    /* systemd 253 wants the CLOCK_MONOTONIC time of the reload request */
    n = lb_notify_format(buf, sizeof(buf), LB_NOTIFY_RELOADING,
                         18446744073709551615ull, "reloading");
    assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC="
                        "18446744073709551615\nSTATUS=reloading\n");
    assert_int_equal(n, strlen(buf));
}


static void
test_stopping_and_status(void **state)
{
    char  buf[LB_NOTIFY_MAX];

    lb_notify_format(buf, sizeof(buf), LB_NOTIFY_STOPPING, 0, NULL);
    assert_string_equal(buf, "STOPPING=1\n");

    lb_notify_format(buf, sizeof(buf), LB_NOTIFY_STATUS, 0, "x");
    assert_string_equal(buf, "STATUS=x\n");

    /* a status alone with no status: nothing to send */
    assert_int_equal(lb_notify_format(buf, sizeof(buf), LB_NOTIFY_STATUS,
                                      0, NULL), 0);
}


/* a newline in the status would start another KEY=VALUE line */
static void
test_status_one_line(void **state)
{
    char  buf[LB_NOTIFY_MAX];

    lb_notify_format(buf, sizeof(buf), LB_NOTIFY_READY, 0,
                     "bad\nREADY=0\r\nx");
    assert_string_equal(buf, "READY=1\nSTATUS=bad READY=0  x\n");
}


static void
test_status_cut(void **state)
{
    char    buf[32], big[200];
    size_t  n;

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';

    n = lb_notify_format(buf, sizeof(buf), LB_NOTIFY_READY, 0, big);
    assert_int_equal(n, sizeof(buf) - 1);
    assert_int_equal(strlen(buf), n);
    assert_memory_equal(buf, "READY=1\nSTATUS=aaaa", 19);
    assert_int_equal(buf[n - 1], '\n');

    /* room for the state line only: the status is left out */
    n = lb_notify_format(buf, 12, LB_NOTIFY_READY, 0, big);
    assert_string_equal(buf, "READY=1\n");
    assert_int_equal(n, 8);

    /* not even that: nothing */
    assert_int_equal(lb_notify_format(buf, 5, LB_NOTIFY_READY, 0, big), 0);
    assert_string_equal(buf, "");
    assert_int_equal(lb_notify_format(buf, 20, LB_NOTIFY_RELOADING, 1, big),
                     0);
}


static void
test_addr(void **state)
{
    char                long_path[sizeof(((struct sockaddr_un *) 0)
                                         ->sun_path) + 2];
    socklen_t           len;
    struct sockaddr_un  sa;

    assert_int_equal(lb_notify_addr("/run/systemd/notify", &sa, &len),
                     LB_OK);
    assert_int_equal(sa.sun_family, AF_UNIX);
    assert_string_equal(sa.sun_path, "/run/systemd/notify");
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path)
                          + sizeof("/run/systemd/notify"));

    /* abstract: a leading NUL, no trailing one counted */
    assert_int_equal(lb_notify_addr("@weir/notify", &sa, &len), LB_OK);
    assert_int_equal(sa.sun_path[0], '\0');
    assert_memory_equal(sa.sun_path + 1, "weir/notify", 11);
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 12);

    assert_int_equal(lb_notify_addr("", &sa, &len), LB_ERROR);
    assert_int_equal(lb_notify_addr("@", &sa, &len), LB_ERROR);
    assert_int_equal(lb_notify_addr("relative/sock", &sa, &len), LB_ERROR);

    /* a path fills sun_path with its NUL; an abstract name may use all */
    memset(long_path, 'p', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(sa.sun_path)] = '\0';           /* 108 bytes */
    assert_int_equal(lb_notify_addr(long_path, &sa, &len), LB_ERROR);
    long_path[sizeof(sa.sun_path) - 1] = '\0';       /* 107 */
    assert_int_equal(lb_notify_addr(long_path, &sa, &len), LB_OK);
    long_path[sizeof(sa.sun_path) - 1] = 'p';
    long_path[0] = '@';                              /* 108 */
    assert_int_equal(lb_notify_addr(long_path, &sa, &len), LB_OK);
    assert_int_equal(len, sizeof(sa));
    long_path[sizeof(sa.sun_path)] = 'p';            /* 109 */
    long_path[sizeof(sa.sun_path) + 1] = '\0';
    assert_int_equal(lb_notify_addr(long_path, &sa, &len), LB_ERROR);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ready),
        cmocka_unit_test(test_reloading),
        cmocka_unit_test(test_stopping_and_status),
        cmocka_unit_test(test_status_one_line),
        cmocka_unit_test(test_status_cut),
        cmocka_unit_test(test_addr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
