/* weir: the configuration file written back by the API (lb_conf_persist.c,
 * included to reach the system calls it makes through pointers): the round
 * trip of every object kind and of conf/weir.yaml, ids kept over a rename,
 * the .bak, the mode and owner kept, a symbolic link followed; and every
 * failing step (injected, and for real inside a private mount namespace:
 * a full tmpfs, a read-only one, a directory the user cannot write) leaves
 * the old file byte for byte and no temporary file behind. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* unshare() */
#endif

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_lb_conf_helpers.h"
#include "lb_conf_persist.c"

/* every object kind and every optional object: balancers of the three
 * types, listeners of every protocol, groups with members, health monitors
 * of every type, the three kinds of session persistence, the admin block */
#define LBT_EVERY                                                           \
    "worker_processes: 2\n"                                                 \
    "daemon: true\n"                                                        \
    "user: nobody\n"                                                        \
    "access_log: logs/access.log\n"                                         \
    "admin:\n"                                                              \
    "  listen: 127.0.0.1:9090\n"                                            \
    "  token_file: conf/admin.token\n"                                      \
    "load_balancers:\n"                                                     \
    "  - name: web-lb\n"                                                    \
    "    type: ALB\n"                                                       \
    "    address: 127.0.0.1\n"                                              \
    "    availability_zone: zone-a\n"                                       \
    "    vpc: vpc-main\n"                                                   \
    "    listeners:\n"                                                      \
    "      - { name: http, protocol: HTTP, protocol_port: 8080,"            \
    " target_group: web-tg, insert_headers: { X-Forwarded-For: remove } }\n"\
    "      - name: https\n"                                                 \
    "        protocol: HTTPS\n"                                             \
    "        protocol_port: 8443\n"                                         \
    "        target_group: tls-tg\n"                                        \
    "        tls_certificate: conf/cert.pem\n"                              \
    "        tls_key: conf/key.pem\n"                                       \
    "        sni_certificates:\n"                                           \
    "          - { tls_certificate: conf/a.pem, tls_key: conf/a.key }\n"    \
    "    target_groups:\n"                                                  \
    "      - name: web-tg\n"                                                \
    "        protocol: HTTP\n"                                              \
    "        load_balancer_algorithm: LEAST_CONNECTIONS\n"                  \
    "        session_persistence: { type: APP_COOKIE, cookie_name: SID }\n" \
    "        health_monitor:\n"                                             \
    "          type: HTTP\n"                                                \
    "          http_method: HEAD\n"                                         \
    "          url_path: /healthz?full=1\n"                                 \
    "          expected_codes: \"200, 301-302\"\n"                          \
    "        members:\n"                                                    \
    "          - { name: web-1, address: 127.0.0.1, protocol_port: 9001,"   \
    " weight: 0, monitor_port: 9101, subnet_id: subnet-a,"                  \
    " instance_id: i-1, instance_name: \"web one: \\\"quoted\\\"\" }\n"     \
    "          - { address: \"::1\", protocol_port: 9002, weight: 256 }\n"  \
    "      - name: cookie-tg\n"                                             \
    "        protocol: HTTP\n"                                              \
    "        session_persistence: { type: HTTP_COOKIE,"                     \
    " persistence_timeout: 60 }\n"                                          \
    "      - name: tls-tg\n"                                                \
    "        protocol: HTTPS\n"                                             \
    "        health_monitor: { type: HTTPS }\n"                             \
    "        members: [ { address: 127.0.0.1, protocol_port: 9443 } ]\n"   \
    "  - name: l4-lb\n"                                                     \
    "    type: NLB\n"                                                       \
    "    address: \"::1\"\n"                                                \
    "    listeners:\n"                                                      \
    "      - { name: tcp, protocol: TCP, protocol_port: 7000,"              \
    " target_group: src-tg, connection_limit: 100 }\n"                      \
    "      - { name: udp, protocol: UDP, protocol_port: 7053,"              \
    " target_group: udp-tg }\n"                                             \
    "      - { name: px, protocol: TCP, protocol_port: 7001,"               \
    " target_group: proxy-tg }\n"                                           \
    "    target_groups:\n"                                                  \
    "      - name: src-tg\n"                                                \
    "        protocol: TCP\n"                                               \
    "        session_persistence: { type: SOURCE_IP,"                       \
    " persistence_granularity: \"ffff:ffff:ffff::\" }\n"                    \
    "        health_monitor: { type: TCP, delay: 10, timeout: 2 }\n"        \
    "        members: [ { address: \"::1\", protocol_port: 7100 } ]\n"     \
    "      - name: udp-tg\n"                                                \
    "        protocol: UDP\n"                                               \
    "        load_balancer_algorithm: SOURCE_IP\n"                          \
    "        health_monitor: { type: TCP, delay: 5, timeout: 1,"           \
    " max_retries: 2 }\n"                                                   \
    "        members: [ { address: 127.0.0.1, protocol_port: 5353 } ]\n"   \
    "      - name: proxy-tg\n"                                              \
    "        protocol: PROXY\n"                                             \
    "        proxy_protocol_version: 2\n"                                   \
    "  - name: dsr-lb\n"                                                    \
    "    type: NLB_L4_DSR\n"                                                \
    "    address: 127.0.0.2\n"

#define LBT_OLD  "# the old file, by hand\nlog_level: info\n"

static char  lbt_dir[64];
static char  lbt_path[128];


static int
lbt_persist_setup(void **state)
{
    lb_conf_persist_sys_write = write;
    lb_conf_persist_sys_fsync = fsync;
    lb_conf_persist_sys_link = link;
    lb_conf_persist_sys_rename = rename;

    strcpy(lbt_dir, "/tmp/weir-persist-XXXXXX");
    if (mkdtemp(lbt_dir) == NULL) {
        return -1;
    }
    snprintf(lbt_path, sizeof(lbt_path), "%s/weir.yaml", lbt_dir);

    return lbt_setup(state);
}


static int
lbt_persist_teardown(void **state)
{
    DIR            *d;
    char            p[512];
    struct dirent  *e;

    d = opendir(lbt_dir);
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            {
                snprintf(p, sizeof(p), "%s/%s", lbt_dir, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
    rmdir(lbt_dir);

    return lbt_teardown(state);
}

#define lbt_ptest(f)                                                        \
    cmocka_unit_test_setup_teardown(f, lbt_persist_setup,                   \
                                    lbt_persist_teardown)


/* the whole file, NUL-terminated, from the pool; NULL when it is missing */
static char *
lbt_read(const char *path)
{
    int           fd;
    char         *buf;
    ssize_t       n;
    struct stat   st;

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        return NULL;
    }
    assert_int_equal(fstat(fd, &st), 0);
    buf = lb_palloc(lbt_pool, st.st_size + 1);
    assert_non_null(buf);
    n = read(fd, buf, st.st_size);
    assert_int_equal(n, st.st_size);
    buf[n] = '\0';
    close(fd);

    return buf;
}


static void
lbt_write(const char *path, const char *text, mode_t mode)
{
    int  fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd != -1);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}


/* how many files of dir have ".tmp" in their name */
static unsigned
lbt_ntmp(const char *dir)
{
    DIR            *d;
    unsigned        n;
    struct dirent  *e;

    n = 0;
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".tmp") != NULL) {
            n++;
        }
    }
    closedir(d);

    return n;
}


static lb_conf_t *
lbt_parse_path(const char *path)
{
    lb_conf_t   *c;
    lb_array_t   errors;

    assert_int_equal(lb_array_init(&errors, lbt_pool, 4, sizeof(char *)),
                     LB_OK);
    c = lb_conf_parse_file(lbt_pool, path, &errors);
    if (c == NULL) {
        lbt_print(&errors);
    }
    assert_non_null(c);

    return c;
}


static void
lbt_persist_ok(const lb_conf_t *c, const char *path)
{
    char  err[512];

    err[0] = 'x';
    assert_int_equal(lb_conf_persist(c, path, err, sizeof(err)), LB_OK);
    assert_string_equal(err, "");
}


static char *
lbt_dump(const lb_conf_t *c)
{
    FILE           *f;
    /* static: gcc cannot see that fclose() sets them, and warns */
    static char    *buf;
    static size_t   len;

    buf = NULL;
    len = 0;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(lb_conf_dump(f, c), LB_OK);
    fclose(f);

    return buf;
}


/* every id of a and b is the same, object by object */
static void
lbt_same_ids(const lb_conf_t *a, const lb_conf_t *b)
{
    uint32_t                   i, j, k;
    const lb_load_balancer_t  *la, *lb;
    const lb_target_group_t   *ga, *gb;

    assert_int_equal(a->nbalancers, b->nbalancers);

    for (i = 0; i < a->nbalancers; i++) {
        la = &a->balancers[i];
        lb = &b->balancers[i];
        assert_string_equal(la->id, lb->id);
        assert_int_equal(la->nlisteners, lb->nlisteners);
        for (j = 0; j < la->nlisteners; j++) {
            assert_string_equal(la->listeners[j].id, lb->listeners[j].id);
        }
        assert_int_equal(la->ntarget_groups, lb->ntarget_groups);
        for (j = 0; j < la->ntarget_groups; j++) {
            ga = &la->target_groups[j];
            gb = &lb->target_groups[j];
            assert_string_equal(ga->id, gb->id);
            assert_int_equal(ga->health_monitor == NULL,
                             gb->health_monitor == NULL);
            if (ga->health_monitor != NULL) {
                assert_string_equal(ga->health_monitor->id,
                                    gb->health_monitor->id);
            }
            assert_int_equal(ga->ntargets, gb->ntargets);
            for (k = 0; k < ga->ntargets; k++) {
                assert_string_equal(ga->targets[k].id, gb->targets[k].id);
            }
        }
    }
}


/* write c, read it back, write that: the same bytes, the same ids; the
 * text is the dump of weir -T under the API's comment */
static void
lbt_round_trip(const lb_conf_t *c)
{
    char         *one, *two, *dump, *again;
    lb_conf_t    *d;
    struct stat   st;

    lbt_persist_ok(c, lbt_path);

    one = lbt_read(lbt_path);
    assert_non_null(one);
    assert_int_equal(strncmp(one, LB_CONF_PERSIST_COMMENT,
                             sizeof(LB_CONF_PERSIST_COMMENT) - 1), 0);

    dump = lbt_dump(c);
    assert_string_equal(one + sizeof(LB_CONF_PERSIST_COMMENT) - 1,
                        strchr(dump, '\n') + 1);
    free(dump);

    /* a new file: no .bak, mode 0644, no temporary file */
    assert_int_equal(stat(lbt_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_null(lbt_read(lb_psprintf(lbt_pool, "%s.bak", lbt_path)));
    assert_int_equal(lbt_ntmp(lbt_dir), 0);

    d = lbt_parse_path(lbt_path);
    lbt_same_ids(c, d);

    again = lb_psprintf(lbt_pool, "%s/again.yaml", lbt_dir);
    lbt_persist_ok(d, again);
    two = lbt_read(again);
    assert_string_equal(one, two);
}


static void
test_round_trip_every_kind(void **state)
{
    lb_conf_t  *c;
    char       *one;

    (void) state;

    c = lbt_ok(LBT_EVERY);
    lbt_round_trip(c);

    /* the file holds every id and the fields a person would look for */
    one = lbt_read(lbt_path);
    assert_non_null(strstr(one, lb_psprintf(lbt_pool, "\n  - id: %s\n"
                                            "    name: web-lb\n",
                                            c->balancers[0].id)));
    assert_non_null(strstr(one, lb_psprintf(lbt_pool, "id: %s\n",
                           c->balancers[1].target_groups[1].targets[0].id)));
    assert_non_null(strstr(one, lb_psprintf(lbt_pool, "id: %s\n",
                           c->balancers[0].target_groups[0]
                           .health_monitor->id)));
    assert_non_null(strstr(one, "type: NLB_L4_DSR\n"));
    assert_non_null(strstr(one, "cookie_name: SID\n"));
    assert_non_null(strstr(one, "instance_name: \"web one: \\\"quoted\\\"\""));
}


static void
test_round_trip_demo_config(void **state)
{
    (void) state;

    /* run from the top of the tree, as t/unit/run.sh does */
    lbt_round_trip(lbt_parse_path("conf/weir.yaml"));
}


/* ids derived from names are written, so a rename keeps them */
static void
test_rename_keeps_ids(void **state)
{
    lb_conf_t           *c, *d, *fresh;
    lb_target_group_t   *tg;

    (void) state;

    c = lbt_parse_path("conf/weir.yaml");
    lbt_persist_ok(c, lbt_path);

    d = lbt_parse_path(lbt_path);
    tg = &d->balancers[0].target_groups[0];
    d->balancers[0].name = "renamed-nlb";
    d->balancers[0].listeners[0].name = "renamed-listener";
    d->balancers[0].listeners[0].target_group_name = "renamed-tg";
    tg->name = "renamed-tg";
    tg->targets[0].name = "renamed-member";
    lbt_persist_ok(d, lbt_path);

    d = lbt_parse_path(lbt_path);
    assert_string_equal(d->balancers[0].name, "renamed-nlb");
    assert_string_equal(d->balancers[0].target_groups[0].name, "renamed-tg");
    assert_ptr_equal(d->balancers[0].listeners[0].target_group,
                     &d->balancers[0].target_groups[0]);
    lbt_same_ids(c, d);

    /* without the written ids, the new names would give new ids */
    fresh = lbt_ok("load_balancers:\n"
                   "  - name: renamed-nlb\n"
                   "    type: NLB\n"
                   "    address: 127.0.0.1\n"
                   "    target_groups:\n"
                   "      - { name: renamed-tg, protocol: TCP }\n");
    assert_string_not_equal(fresh->balancers[0].id, c->balancers[0].id);
    assert_string_not_equal(fresh->balancers[0].target_groups[0].id,
                            c->balancers[0].target_groups[0].id);
}


/* the old file becomes the .bak (the same inode: a link, not a copy); the
 * new file has its mode, and its owner when running as root */
static void
test_bak_mode_owner(void **state)
{
    char         *bak, *one;
    lb_conf_t    *c;
    struct stat   old, st;

    (void) state;

    bak = lb_psprintf(lbt_pool, "%s.bak", lbt_path);
    lbt_write(lbt_path, LBT_OLD, 0640);
    lbt_write(bak, "an older .bak\n", 0600);
    if (geteuid() == 0) {
        assert_int_equal(chown(lbt_path, 1234, 5678), 0);
    }
    assert_int_equal(stat(lbt_path, &old), 0);

    c = lbt_ok(LBT_EVERY);
    lbt_persist_ok(c, lbt_path);

    assert_string_equal(lbt_read(bak), LBT_OLD);
    assert_int_equal(stat(bak, &st), 0);
    assert_int_equal(st.st_ino, old.st_ino);

    assert_int_equal(stat(lbt_path, &st), 0);
    assert_int_not_equal(st.st_ino, old.st_ino);
    assert_int_equal(st.st_mode & 07777, 0640);
    if (geteuid() == 0) {
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 5678);
    } else {
        print_message("  not root: the owner is not checked\n");
    }
    assert_int_equal(lbt_ntmp(lbt_dir), 0);

    /* the next write keeps this one as the .bak */
    one = lbt_read(lbt_path);
    c = lbt_parse_path("conf/weir.yaml");
    lbt_persist_ok(c, lbt_path);
    assert_string_equal(lbt_read(bak), one);
    assert_string_not_equal(lbt_read(lbt_path), one);
}


/* a symbolic link stays a link; the file it points to is replaced */
static void
test_symlink_followed(void **state)
{
    char         *real, *one;
    lb_conf_t    *c;
    struct stat   st;

    (void) state;

    real = lb_psprintf(lbt_pool, "%s/real.yaml", lbt_dir);
    lbt_write(real, LBT_OLD, 0600);
    assert_int_equal(symlink("real.yaml", lbt_path), 0);

    c = lbt_ok(LBT_EVERY);
    lbt_persist_ok(c, lbt_path);

    assert_int_equal(lstat(lbt_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    one = lbt_read(real);
    assert_int_equal(strncmp(one, LB_CONF_PERSIST_COMMENT,
                             sizeof(LB_CONF_PERSIST_COMMENT) - 1), 0);
    assert_string_equal(lbt_read(lbt_path), one);
    assert_string_equal(lbt_read(lb_psprintf(lbt_pool, "%s.bak", real)),
                        LBT_OLD);
    assert_int_equal(stat(real, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}


/* --- failures injected at each step --- */

static unsigned  lbt_calls;


/* 100 bytes, then the disk is full */
static ssize_t
lbt_write_enospc(int fd, const void *buf, size_t n)
{
    if (lbt_calls++ == 0) {
        return write(fd, buf, n < 100 ? n : 100);
    }
    errno = ENOSPC;
    return -1;
}


static ssize_t
lbt_write_nothing(int fd, const void *buf, size_t n)
{
    return 0;
}


/* a signal every third call, 7 bytes at most */
static ssize_t
lbt_write_trickle(int fd, const void *buf, size_t n)
{
    if (lbt_calls++ % 3 == 0) {
        errno = EINTR;
        return -1;
    }
    return write(fd, buf, n < 7 ? n : 7);
}


static int
lbt_fsync_eio(int fd)
{
    errno = EIO;
    return -1;
}


static int
lbt_link_eperm(const char *from, const char *to)
{
    errno = EPERM;
    return -1;
}


static int
lbt_rename_erofs(const char *from, const char *to)
{
    errno = EROFS;
    return -1;
}


/* the directory fsync() alone fails: after the rename */
static int
lbt_fsync_dir_eio(int fd)
{
    struct stat  st;

    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}


/* c must fail with err = head + 6 characters of mkstemp() + tail; the old
 * file is left byte for byte, with its mode, and no temporary file */
static void
lbt_fails(const lb_conf_t *c, const char *head, const char *tail)
{
    char          err[512];
    struct stat   st;

    lbt_write(lbt_path, LBT_OLD, 0640);

    lbt_calls = 0;
    assert_int_equal(lb_conf_persist(c, lbt_path, err, sizeof(err)),
                     LB_ERROR);

    print_message("  %s\n", err);
    assert_int_equal(strncmp(err, head, strlen(head)), 0);
    if (tail != NULL) {
        assert_int_equal(strlen(err), strlen(head) + 6 + strlen(tail));
        assert_string_equal(err + strlen(head) + 6, tail);
    }

    assert_string_equal(lbt_read(lbt_path), LBT_OLD);
    assert_int_equal(stat(lbt_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(lbt_ntmp(lbt_dir), 0);
}


static void
test_injected_failures(void **state)
{
    char        *tmp, *bak;
    size_t       len;
    lb_conf_t   *c;

    (void) state;

    c = lbt_ok(LBT_EVERY);
    tmp = lb_psprintf(lbt_pool, "%s.tmp", lbt_path);
    bak = lb_psprintf(lbt_pool, "%s.bak", lbt_path);

    /* the size of the text, for the messages */
    lbt_persist_ok(c, lbt_path);
    len = strlen(lbt_read(lbt_path));
    assert_null(lbt_read(bak));

    lb_conf_persist_sys_write = lbt_write_enospc;
    lbt_fails(c, lb_psprintf(lbt_pool, "write(\"%s", tmp),
              lb_psprintf(lbt_pool, "\") after 100 of %zu bytes failed: "
                          "No space left on device", len));

    lb_conf_persist_sys_write = lbt_write_nothing;
    lbt_fails(c, lb_psprintf(lbt_pool, "write(\"%s", tmp),
              lb_psprintf(lbt_pool, "\") wrote nothing after 0 of %zu bytes",
                          len));
    lb_conf_persist_sys_write = write;

    lb_conf_persist_sys_fsync = lbt_fsync_eio;
    lbt_fails(c, lb_psprintf(lbt_pool, "fsync(\"%s", tmp),
              "\") failed: Input/output error");
    lb_conf_persist_sys_fsync = fsync;

    /* nothing was linked before these steps: no .bak */
    assert_null(lbt_read(bak));

    lb_conf_persist_sys_link = lbt_link_eperm;
    lbt_fails(c, lb_psprintf(lbt_pool, "link(\"%s\", \"%s\") failed: "
                             "Operation not permitted", lbt_path, bak),
              NULL);
    lb_conf_persist_sys_link = link;

    lb_conf_persist_sys_rename = lbt_rename_erofs;
    lbt_fails(c, lb_psprintf(lbt_pool, "rename(\"%s", tmp),
              lb_psprintf(lbt_pool, "\", \"%s\") failed: Read-only file "
                          "system", lbt_path));
    lb_conf_persist_sys_rename = rename;
    /* the .bak is a link to the old file, which is still there */
    assert_string_equal(lbt_read(bak), LBT_OLD);
}


/* short writes and EINTR are continued, not failures */
static void
test_short_writes(void **state)
{
    char        *one;
    lb_conf_t   *c;

    (void) state;

    c = lbt_ok(LBT_EVERY);
    lbt_persist_ok(c, lbt_path);
    one = lbt_read(lbt_path);
    assert_int_equal(unlink(lbt_path), 0);

    lbt_calls = 0;
    lb_conf_persist_sys_write = lbt_write_trickle;
    lbt_persist_ok(c, lbt_path);
    assert_true(lbt_calls > strlen(one) / 7);
    assert_string_equal(lbt_read(lbt_path), one);
}


/* after the rename only a warning: the new file is in place */
static void
test_directory_fsync_fails(void **state)
{
    char        err[512];
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_EVERY);
    lbt_write(lbt_path, LBT_OLD, 0640);

    lb_conf_persist_sys_fsync = lbt_fsync_dir_eio;
    assert_int_equal(lb_conf_persist(c, lbt_path, err, sizeof(err)), LB_OK);
    assert_string_equal(err, lb_psprintf(lbt_pool, "fsync(\"%s\") failed: "
                        "Input/output error; \"%s\" is written but may not "
                        "survive a power loss", lbt_dir, lbt_path));
    assert_string_not_equal(lbt_read(lbt_path), LBT_OLD);
    assert_int_equal(lbt_ntmp(lbt_dir), 0);
}


static void
test_not_a_file(void **state)
{
    char        err[512];
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_EVERY);
    assert_int_equal(mkdir(lbt_path, 0755), 0);
    assert_int_equal(lb_conf_persist(c, lbt_path, err, sizeof(err)),
                     LB_ERROR);
    assert_string_equal(err, lb_psprintf(lbt_pool, "\"%s\" is not a regular "
                                         "file", lbt_path));
    assert_int_equal(rmdir(lbt_path), 0);

    assert_int_equal(lb_conf_persist(c, "/nonexistent/weir.yaml", err,
                                     sizeof(err)), LB_ERROR);
    assert_string_equal(err, "open(\"/nonexistent\") failed: No such file "
                        "or directory");
}


/* --- failures for real: a tmpfs on the test directory in a private mount
 * namespace of a child (root, or a user namespace, needed) --- */

#define LBT_SKIP  77

typedef int (*lbt_child_pt)(const lb_conf_t *c);


static int
lbt_child_fails(const lb_conf_t *c, const char *head, const char *tail)
{
    char          err[512];
    const char   *now;

    if (lb_conf_persist(c, lbt_path, err, sizeof(err)) != LB_ERROR) {
        fprintf(stderr, "persist did not fail\n");
        return 1;
    }
    fprintf(stderr, "  %s\n", err);

    if (strncmp(err, head, strlen(head)) != 0
        || strcmp(err + strlen(err) - strlen(tail), tail) != 0)
    {
        fprintf(stderr, "want: %s...%s\n", head, tail);
        return 2;
    }

    now = lbt_read(lbt_path);
    if (now == NULL || strcmp(now, LBT_OLD) != 0) {
        fprintf(stderr, "the old file changed\n");
        return 3;
    }

    if (lbt_ntmp(lbt_dir) != 0) {
        fprintf(stderr, "a temporary file was left\n");
        return 4;
    }

    return 0;
}


/* the tmpfs full: write() fails */
static int
lbt_child_enospc(const lb_conf_t *c)
{
    int          fd;
    char         page[4096], *filler;

    filler = lb_psprintf(lbt_pool, "%s/filler", lbt_dir);
    fd = open(filler, O_WRONLY | O_CREAT, 0600);
    memset(page, 'x', sizeof(page));
    while (write(fd, page, sizeof(page)) > 0) { /* void */ }
    if (errno != ENOSPC) {
        return 10;
    }
    close(fd);

    return lbt_child_fails(c, lb_psprintf(lbt_pool, "write(\"%s.tmp",
                                          lbt_path),
                           "bytes failed: No space left on device");
}


/* remounted read-only: the temporary file cannot be made */
static int
lbt_child_erofs(const lb_conf_t *c)
{
    if (mount("none", lbt_dir, "none", MS_REMOUNT | MS_RDONLY, NULL) == -1) {
        perror("remount");
        return 10;
    }

    return lbt_child_fails(c, lb_psprintf(lbt_pool, "mkstemp(\"%s.tmpXXXXXX"
                                          "\") failed: Read-only file system",
                                          lbt_path), "");
}


/* a directory its user cannot write (root's 0755, the process nobody) */
static int
lbt_child_eacces(const lb_conf_t *c)
{
    if (setgid(65534) == -1 || setuid(65534) == -1) {
        perror("setuid");
        return 10;
    }

    return lbt_child_fails(c, lb_psprintf(lbt_pool, "mkstemp(\"%s.tmpXXXXXX"
                                          "\") failed: Permission denied",
                                          lbt_path), "");
}


static void
lbt_in_namespace(const lb_conf_t *c, lbt_child_pt fn, const char *what)
{
    int    fd, status;
    pid_t  pid;

    fflush(stdout);
    fflush(stderr);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        if (unshare(CLONE_NEWNS) == -1
            || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1
            || mount("tmpfs", lbt_dir, "tmpfs", 0, "size=64k,mode=0755")
               == -1)
        {
            perror("  no private mount namespace");
            _exit(LBT_SKIP);
        }

        /* no cmocka assertion in the child: a failure would go on with
         * the rest of the tests in this process */
        fd = open(lbt_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd == -1 || write(fd, LBT_OLD, strlen(LBT_OLD))
                        != (ssize_t) strlen(LBT_OLD))
        {
            perror("  writing the old file");
            _exit(20);
        }
        close(fd);

        _exit(fn(c));
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));

    if (WEXITSTATUS(status) == LBT_SKIP) {
        print_message("  %s: skipped\n", what);
        skip();
    }

    assert_int_equal(WEXITSTATUS(status), 0);
}


static void
test_real_enospc(void **state)
{
    (void) state;
    lbt_in_namespace(lbt_ok(LBT_EVERY), lbt_child_enospc, "a full tmpfs");
}


static void
test_real_erofs(void **state)
{
    (void) state;
    lbt_in_namespace(lbt_ok(LBT_EVERY), lbt_child_erofs,
                     "a read-only tmpfs");
}


static void
test_real_eacces(void **state)
{
    (void) state;
    lbt_in_namespace(lbt_ok(LBT_EVERY), lbt_child_eacces,
                     "a directory nobody cannot write");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_ptest(test_round_trip_every_kind),
        lbt_ptest(test_round_trip_demo_config),
        lbt_ptest(test_rename_keeps_ids),
        lbt_ptest(test_bak_mode_owner),
        lbt_ptest(test_symlink_followed),
        lbt_ptest(test_injected_failures),
        lbt_ptest(test_short_writes),
        lbt_ptest(test_directory_fsync_fails),
        lbt_ptest(test_not_a_file),
        lbt_ptest(test_real_enospc),
        lbt_ptest(test_real_erofs),
        lbt_ptest(test_real_eacces),
    };

    (void) lbt_errors;    /* the helpers' check of errors: not used here */

    return cmocka_run_group_tests_name("lb_conf_persist", tests, NULL, NULL);
}
