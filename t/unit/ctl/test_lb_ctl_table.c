/* weir: unit tests for src/ctl/lb_ctl_table.c and src/ctl/lb_ctl_conf.c:
 * aligned columns, API answers as tables (a list, one object, nothing
 * else), and what weirctl takes from weir's configuration file (paths
 * from the prefix, admin.certificate from the document, the messages of
 * weir -t for a file weir would refuse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_conf_node.h"
#include "lb_ctl_conf.h"
#include "lb_ctl_table.h"
#include "lb_palloc.h"

static char   text[8192];

/* what f printed (static) */
#define CAPTURE(call)                                                       \
    do {                                                                    \
        FILE  *f_;                                                          \
        memset(text, 0, sizeof(text));                                      \
        f_ = fmemopen(text, sizeof(text) - 1, "w");                         \
        assert_non_null(f_);                                                \
        call;                                                               \
        fclose(f_);                                                         \
    } while (0)

#define OUT  f_


static void
test_table_aligned(void **state)
{
    lb_ctl_table_t  t;

    lb_ctl_table_init(&t, 3);
    lb_ctl_table_row(&t, (const char *const []) { "NAME", "KIND", "X" });
    lb_ctl_table_row(&t, (const char *const []) { "net-lb", NULL, "1" });
    lb_ctl_table_row(&t, (const char *const []) { "  m", "member", "" });
    assert_false(t.nomem);

    CAPTURE(lb_ctl_table_print(&t, OUT));
    assert_string_equal(text,
                        "NAME     KIND     X\n"
                        "net-lb   -        1\n"
                        "  m      member   -\n");
    lb_ctl_table_free(&t);
}


static void
test_json_list(void **state)
{
    lb_pool_t       *pool;
    lb_conf_node_t  *root;
    static const char  json[] =
        "{\"members\":[{\"id\":\"a1\",\"name\":\"m-1\",\"weight\":100,"
        "\"weight_ratio\":95.2,\"subnet_id\":null,\"tags\":[1,2]},"
        "{\"id\":\"b22\",\"name\":\"m-2\",\"weight\":5,"
        "\"weight_ratio\":4.8,\"subnet_id\":\"s\"}]}";

    pool = lb_create_pool(4096);
    root = lb_ctl_json_read(pool, (const u_char *) json, sizeof(json) - 1);
    assert_non_null(root);

    CAPTURE(assert_int_equal(lb_ctl_table_json(OUT, root), LB_OK));
    assert_string_equal(text,
                        "ID    NAME   WEIGHT   WEIGHT_RATIO   SUBNET_ID\n"
                        "a1    m-1    100      95.2           -\n"
                        "b22   m-2    5        4.8            s\n");

    root = lb_ctl_json_read(pool, (const u_char *) "{\"members\":[]}", 14);
    CAPTURE(assert_int_equal(lb_ctl_table_json(OUT, root), LB_OK));
    assert_string_equal(text, "no members\n");

    lb_destroy_pool(pool);
}


static void
test_json_object(void **state)
{
    lb_pool_t       *pool;
    lb_conf_node_t  *root;
    static const char  json[] =
        "{\"target_group\":{\"id\":\"t1\",\"session_persistence\":"
        "{\"type\":\"HTTP_COOKIE\",\"persistence_timeout\":3600},"
        "\"listeners\":[{\"id\":\"l1\"},{\"id\":\"l2\"}],\"empty\":{},"
        "\"health_monitor_id\":null,\"codes\":[\"200\",\"201\"]}}";

    pool = lb_create_pool(4096);
    root = lb_ctl_json_read(pool, (const u_char *) json, sizeof(json) - 1);
    assert_non_null(root);

    CAPTURE(assert_int_equal(lb_ctl_table_json(OUT, root), LB_OK));
    assert_string_equal(text,
        "FIELD                                     VALUE\n"
        "id                                        t1\n"
        "session_persistence.type                  HTTP_COOKIE\n"
        "session_persistence.persistence_timeout   3600\n"
        "listeners                                 l1,l2\n"
        "empty                                     {}\n"
        "health_monitor_id                         -\n"
        "codes                                     200,201\n");

    lb_destroy_pool(pool);
}


static void
test_json_other(void **state)
{
    lb_pool_t       *pool;
    lb_conf_node_t  *root;

    pool = lb_create_pool(4096);

    /* not one wrapper: printed some other way by the caller */
    root = lb_ctl_json_read(pool, (const u_char *) "{\"a\":1,\"b\":2}", 13);
    assert_int_equal(lb_ctl_table_json(stderr, root), LB_ERROR);
    root = lb_ctl_json_read(pool, (const u_char *) "{\"a\":1}", 7);
    assert_int_equal(lb_ctl_table_json(stderr, root), LB_ERROR);
    root = lb_ctl_json_read(pool, (const u_char *) "{\"a\":[1,2]}", 11);
    assert_int_equal(lb_ctl_table_json(stderr, root), LB_ERROR);
    assert_int_equal(lb_ctl_table_json(stderr, NULL), LB_ERROR);

    assert_null(lb_ctl_json_read(pool, (const u_char *) "{\"a\":", 5));
    assert_string_equal(lb_ctl_node_str(
        lb_ctl_json_read(pool, (const u_char *) "{\"a\":\"x\\u00e9\"}", 15),
        "a"), "x\xc3\xa9");

    lb_destroy_pool(pool);
}


/* write a config into dir/name */
static void
write_conf(const char *dir, const char *name, const char *yaml)
{
    char   path[256];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
}


static void
test_conf(void **state)
{
    char            dir[64], path[256], cmd[128];
    lb_pool_t      *pool;
    lb_ctl_conf_t   cc;

    snprintf(dir, sizeof(dir), "/tmp/weir-ctl-conf-XXXXXX");
    assert_non_null(mkdtemp(dir));
    pool = lb_create_pool(4096);

    write_conf(dir, "a.yaml",
               "admin:\n  listen: 127.0.0.1:9191\n  token_file: t.token\n"
               "load_balancers: []\n");
    snprintf(path, sizeof(path), "%s/a.yaml", dir);
    CAPTURE(assert_int_equal(lb_ctl_conf_load(pool, "/srv/weir", path, true,
                                              &cc, OUT), LB_OK));
    assert_string_equal(text, "");
    assert_string_equal(cc.addr.text, "127.0.0.1:9191");
    assert_string_equal(cc.token_file, "/srv/weir/t.token");
    assert_null(cc.certificate);

    write_conf(dir, "b.yaml",
               "admin:\n  listen: \"[::1]:9191\"\n  token_file: /etc/t\n");
    snprintf(path, sizeof(path), "%s/b.yaml", dir);
    CAPTURE(assert_int_equal(lb_ctl_conf_load(pool, "/srv/weir", path, true,
                                              &cc, OUT), LB_OK));
    assert_string_equal(cc.addr.text, "[::1]:9191");
    assert_string_equal(cc.token_file, "/etc/t");

    /* no admin block: weir runs without the API */
    write_conf(dir, "c.yaml", "worker_processes: 1\n");
    snprintf(path, sizeof(path), "%s/c.yaml", dir);
    CAPTURE(assert_int_equal(lb_ctl_conf_load(pool, "/srv", path, true, &cc,
                                              OUT), LB_ERROR));
    assert_non_null(strstr(text, "has no admin block"));

    /* ... which is fine for ping: the pid file and the workers */
    CAPTURE(assert_int_equal(lb_ctl_conf_load(pool, "/srv", path, false,
                                              &cc, OUT), LB_OK));
    assert_string_equal(text, "");
    assert_false(cc.admin);
    assert_int_equal(cc.workers, 1);
    assert_non_null(cc.pid_file);
    assert_true(strncmp(cc.pid_file, "/srv/", 5) == 0);

    /* a file weir refuses: its messages, then ours */
    write_conf(dir, "d.yaml",
               "admin:\n  listen: 127.0.0.1:99999\n  token_file: t\n");
    snprintf(path, sizeof(path), "%s/d.yaml", dir);
    CAPTURE(assert_int_equal(lb_ctl_conf_load(pool, "/srv", path, true, &cc,
                                              OUT), LB_ERROR));
    assert_non_null(strstr(text, "d.yaml:2:11: admin.listen: "));
    assert_non_null(strstr(text, "weirctl: configuration file "));

    snprintf(path, sizeof(path), "%s/missing.yaml", dir);
    CAPTURE(assert_int_equal(lb_ctl_conf_load(pool, "/srv", path, true, &cc,
                                              OUT), LB_ERROR));
    assert_non_null(strstr(text, "missing.yaml: cannot read"));

    lb_destroy_pool(pool);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_table_aligned),
        cmocka_unit_test(test_json_list),
        cmocka_unit_test(test_json_object),
        cmocka_unit_test(test_json_other),
        cmocka_unit_test(test_conf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
