/* weir: unit tests for weirctl ping's look at weir's processes
 * (src/ctl/lb_ctl_procs.c), against a /proc tree of the test's own: a
 * healthy node, a master gone or stopped or replaced by another program,
 * a worker missing or a zombie, no health checker, no admin process, a
 * draining old worker beside the new ones, the parsing of stat lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_ctl_procs.h"

static char  root[64];      /* the fake /proc */
static char  pidf[128];     /* the pid file */


static void
write_file(const char *path, const char *data, size_t len)
{
    FILE  *f;

    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}


/* /proc/PID with a stat line and a cmdline (a title, NULs after it as
 * lb_setproctitle() leaves them) */
static void
proc(int pid, char state, int ppid, const char *title)
{
    char    path[256], buf[512];
    size_t  len;

    snprintf(path, sizeof(path), "%s/%d", root, pid);
    assert_int_equal(mkdir(path, 0700), 0);

    /* a command name with a space and a parenthesis, as prctl allows */
    len = (size_t) snprintf(buf, sizeof(buf),
                            "%d (we ir) %c %d 1 1 0 -1 4194560 0 0\n", pid,
                            state, ppid);
    snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
    write_file(path, buf, len);

    memset(buf, 0, sizeof(buf));
    len = strlen(title);
    memcpy(buf, title, len);
    snprintf(path, sizeof(path), "%s/%d/cmdline", root, pid);
    write_file(path, buf, len + 40);
}


static void
pid_file(const char *text)
{
    write_file(pidf, text, strlen(text));
}


static int
setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/weir-procs-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(pidf, sizeof(pidf), "%s/weir.pid", root);

    /* a healthy node: master 100, two workers, checker, admin, and
     * processes of others */
    proc(100, 'S', 1, "weir: master process -c /etc/weir/weir.yaml");
    proc(101, 'S', 100, "weir: worker process");
    proc(102, 'R', 100, "weir: worker process");
    proc(103, 'S', 100, "weir: health checker");
    proc(104, 'S', 100, "weir: admin process");
    proc(200, 'S', 1, "weir: worker process");      /* another weir's */
    proc(300, 'S', 100, "sh -c something");
    pid_file("100\n");

    return 0;
}


static int
teardown(void **state)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
    return 0;
}


static lb_int_t
check(uint32_t workers, bool admin, lb_ctl_procs_t *p, char *msg,
    size_t size)
{
    memset(p, 0, sizeof(*p));
    p->workers = workers;
    p->admin = admin;

    return lb_ctl_procs_check(root, pidf, p, msg, size);
}


static void
test_healthy(void **state)
{
    char            msg[512];
    lb_ctl_procs_t  p;

    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_OK);
    assert_string_equal(msg, "");
    assert_int_equal(p.master, 100);
    assert_int_equal(p.found_workers, 2);
    assert_int_equal(p.found_health, 1);
    assert_int_equal(p.found_admin, 1);

    /* without admin the admin process is not looked for */
    assert_int_equal(check(2, false, &p, msg, sizeof(msg)), LB_OK);

    /* an old worker still draining after a reload counts as well */
    proc(105, 'S', 100, "weir: worker process");
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_OK);
    assert_int_equal(p.found_workers, 3);
}


static void
test_master(void **state)
{
    char            msg[512];
    lb_ctl_procs_t  p;
    char            path[256];

    /* no pid file: weir is not running */
    unlink(pidf);
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_non_null(strstr(msg, "no master: pid file \""));
    assert_non_null(strstr(msg, "No such file or directory"));

    pid_file("x1\n");
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_non_null(strstr(msg, "holds no pid"));

    /* the master died (kill -9): its pid is gone */
    pid_file("99\n");
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_non_null(strstr(msg, "master process 99 (pid file \""));
    assert_non_null(strstr(msg, "\") is not running"));

    /* a stopped master respawns nothing */
    proc(99, 'T', 1, "weir: master process");
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_string_equal(msg, "master process 99 is not running (state T)");

    /* the pid of a dead master taken by another program */
    snprintf(path, sizeof(path), "%s/99/stat", root);
    write_file(path, "99 (bash) S 1 1\n", 16);
    snprintf(path, sizeof(path), "%s/99/cmdline", root);
    write_file(path, "bash\0-i\0", 8);
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_non_null(strstr(msg, "process 99 of pid file"));
    assert_non_null(strstr(msg, "is not a weir master process"));

    /* a worker title is not a master's */
    pid_file("101\n");
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_non_null(strstr(msg, "is not a weir master process"));
}


static void
test_children(void **state)
{
    char            msg[512], path[256];
    lb_ctl_procs_t  p;

    /* a worker killed and not reaped yet: a zombie does not count */
    snprintf(path, sizeof(path), "%s/102/stat", root);
    write_file(path, "102 (weir) Z 100 1\n", 19);
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_string_equal(msg, "1 of 2 worker processes running");

    /* and the checker gone too: both said, on one line */
    snprintf(path, sizeof(path), "rm -rf %s/103", root);
    assert_int_equal(system(path), 0);
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_string_equal(msg, "1 of 2 worker processes running; "
                        "no health checker running");

    /* and the admin process stopped */
    snprintf(path, sizeof(path), "%s/104/stat", root);
    write_file(path, "104 (weir) T 100 1\n", 19);
    assert_int_equal(check(2, true, &p, msg, sizeof(msg)), LB_ERROR);
    assert_string_equal(msg, "1 of 2 worker processes running; "
                        "no health checker running; "
                        "no admin process running");

    /* a short buffer holds what fits, NUL-terminated */
    assert_int_equal(check(2, true, &p, msg, 20), LB_ERROR);
    assert_int_equal(strlen(msg), 19);
}


static void
test_parse(void **state)
{
    char   s;
    pid_t  pp;

    assert_int_equal(lb_ctl_stat_parse("7 (a) (b)) S 42 7 7", 19, &s, &pp),
                     LB_OK);
    assert_int_equal(s, 'S');
    assert_int_equal(pp, 42);

    assert_int_equal(lb_ctl_stat_parse("7 (x) R", 7, &s, &pp), LB_ERROR);
    assert_int_equal(lb_ctl_stat_parse("7 x R 1", 7, &s, &pp), LB_ERROR);
    assert_int_equal(lb_ctl_stat_parse("7 (x) R -1", 10, &s, &pp),
                     LB_ERROR);
    assert_int_equal(lb_ctl_stat_parse("", 0, &s, &pp), LB_ERROR);

    assert_true(lb_ctl_state_running('R'));
    assert_true(lb_ctl_state_running('S'));
    assert_true(lb_ctl_state_running('D'));
    assert_false(lb_ctl_state_running('Z'));
    assert_false(lb_ctl_state_running('T'));
    assert_false(lb_ctl_state_running('t'));
    assert_false(lb_ctl_state_running('X'));

    assert_int_equal(lb_ctl_title_kind("weir: worker process", 20),
                     LB_CTL_PROC_WORKER);
    assert_int_equal(lb_ctl_title_kind("weir: master process -c x", 25),
                     LB_CTL_PROC_MASTER);
    /* a longer word is another title */
    assert_int_equal(lb_ctl_title_kind("weir: worker processes", 22),
                     LB_CTL_PROC_OTHER);
    /* cut short (a small argv area) */
    assert_int_equal(lb_ctl_title_kind("weir: worker proc", 17),
                     LB_CTL_PROC_OTHER);
    assert_int_equal(lb_ctl_title_kind("objs/weir\0-f", 12),
                     LB_CTL_PROC_OTHER);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_healthy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children, setup, teardown),
        cmocka_unit_test(test_parse),
    };

    return cmocka_run_group_tests_name("lb_ctl_procs", tests, NULL, NULL);
}
