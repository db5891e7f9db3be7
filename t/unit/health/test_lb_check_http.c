/* weir: unit tests for the HTTP check (src/health/lb_check_http.c):
 * expected_codes as the configuration parses them into the bitmap, the
 * status line parser, the request the check sends, and the connect from a
 * source address that every TCP-based check uses. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_array.h"
#include "lb_conf.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_health.h"
#include "lb_health_check.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_time.h"

static lb_pool_t  *pool;


static int
setup(void **state)
{
    (void) state;
    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    return pool == NULL ? -1 : 0;
}


static int
teardown(void **state)
{
    (void) state;
    lb_destroy_pool(pool);
    pool = NULL;
    return 0;
}


/* A configuration with one HTTP-checked group; `monitor` is the inside of
 * its health_monitor mapping, `member` the inside of its one member. */
static lb_conf_t *
parse(const char *monitor, const char *member)
{
    char         yaml[2048];
    lb_array_t   errors;
    lb_conf_t   *conf;

    snprintf(yaml, sizeof(yaml),
             "load_balancers:\n"
             "  - name: web-lb\n"
             "    type: ALB\n"
             "    address: 127.0.0.1\n"
             "    target_groups:\n"
             "      - name: web-tg\n"
             "        protocol: %s\n"
             "        health_monitor: { %s }\n"
             "        members:\n"
             "          - { name: web-1, %s }\n",
             strstr(monitor, "HTTPS") ? "HTTPS" : "HTTP", monitor, member);

    assert_int_equal(lb_array_init(&errors, pool, 4, sizeof(char *)), LB_OK);

    conf = lb_conf_parse_string(pool, "test.yaml", yaml, strlen(yaml),
                                &errors);
    if (conf == NULL) {
        fail_msg("%s", *lb_array_at(&errors, char *, 0));
    }

    return conf;
}


static lb_health_monitor_t *
monitor(const char *codes)
{
    char        m[256];
    lb_conf_t  *conf;

    snprintf(m, sizeof(m), "type: HTTP, expected_codes: \"%s\"", codes);
    conf = parse(m, "address: 127.0.0.1, protocol_port: 80");

    return conf->balancers[0].target_groups[0].health_monitor;
}


/* the codes of 100..599 accepted, as "a-b,c" ranges */
static const char *
accepted(const lb_health_monitor_t *hm)
{
    static char  out[256];
    unsigned     c, lo;
    size_t       n;

    n = 0;
    out[0] = '\0';

    for (c = 100; c <= 600; c++) {
        if (c < 600 && lb_health_code_expected(hm, c)) {
            for (lo = c; c + 1 < 600 && lb_health_code_expected(hm, c + 1);
                 c++)
            {
                /* void */
            }
            n += (size_t) snprintf(out + n, sizeof(out) - n, "%s%u",
                                   n ? "," : "", lo);
            if (c != lo) {
                n += (size_t) snprintf(out + n, sizeof(out) - n, "-%u", c);
            }
        }
    }

    return out;
}


static void
test_expected_codes(void **state)
{
    lb_health_monitor_t  *hm;

    (void) state;

    hm = monitor("200");
    assert_true(lb_health_code_expected(hm, 200));
    assert_false(lb_health_code_expected(hm, 201));
    assert_false(lb_health_code_expected(hm, 500));
    assert_string_equal(accepted(hm), "200");

    hm = monitor("200-299");
    assert_true(lb_health_code_expected(hm, 200));
    assert_true(lb_health_code_expected(hm, 250));
    assert_true(lb_health_code_expected(hm, 299));
    assert_false(lb_health_code_expected(hm, 300));
    assert_false(lb_health_code_expected(hm, 500));
    assert_false(lb_health_code_expected(hm, 199));
    assert_string_equal(accepted(hm), "200-299");

    hm = monitor("200,201-299");
    assert_string_equal(accepted(hm), "200-299");

    hm = monitor("201, 202, 401");
    assert_string_equal(accepted(hm), "201-202,401");
    assert_false(lb_health_code_expected(hm, 200));

    hm = monitor("200-500");
    assert_string_equal(accepted(hm), "200-500");

    hm = monitor("100,599");
    assert_string_equal(accepted(hm), "100,599");

    /* outside the bitmap: never accepted, never read past it */
    assert_false(lb_health_code_expected(hm, 1000));
    assert_false(lb_health_code_expected(hm, 65535));
}


static lb_int_t
status(const char *s, unsigned *code)
{
    *code = 0;
    return lb_health_parse_status((const u_char *) s, strlen(s), code);
}


static void
test_parse_status(void **state)
{
    unsigned  code;
    size_t    i;
    static const char  full[] = "HTTP/1.1 503 Service Unavailable\r\n";

    (void) state;

    assert_int_equal(status("HTTP/1.1 200 OK\r\n", &code), LB_OK);
    assert_int_equal(code, 200);
    assert_int_equal(status("HTTP/1.0 404 Not Found\r\n", &code), LB_OK);
    assert_int_equal(code, 404);
    /* no reason phrase */
    assert_int_equal(status("HTTP/1.1 204\r\n", &code), LB_OK);
    assert_int_equal(code, 204);
    assert_int_equal(status("HTTP/1.1 204\n", &code), LB_OK);
    assert_int_equal(code, 204);

    /* every prefix of a good line asks for more */
    for (i = 0; i < 12; i++) {
        if (lb_health_parse_status((const u_char *) full, i, &code)
            != LB_AGAIN)
        {
            fail_msg("prefix of %zu bytes is not LB_AGAIN", i);
        }
    }
    assert_int_equal(lb_health_parse_status((const u_char *) full, 12,
                                            &code), LB_AGAIN);
    assert_int_equal(lb_health_parse_status((const u_char *) full, 13,
                                            &code), LB_OK);
    assert_int_equal(code, 503);

    /* not a status line */
    assert_int_equal(status("SSH-2.0-OpenSSH_9.6\r\n", &code), LB_ERROR);
    assert_int_equal(status("http/1.1 200 OK\r\n", &code), LB_ERROR);
    assert_int_equal(status("HTTP/1.1 20 OK\r\n", &code), LB_ERROR);
    assert_int_equal(status("HTTP/1.1 2000 OK\r\n", &code), LB_ERROR);
    assert_int_equal(status("HTTP/1.1 099 OK\r\n", &code), LB_ERROR);
    assert_int_equal(status("HTTP/1.1 600 OK\r\n", &code), LB_ERROR);
    assert_int_equal(status("HTTP/1.1  200 OK\r\n", &code), LB_ERROR);
    assert_int_equal(status("HTTP/11 200 OK\r\n", &code), LB_ERROR);
    assert_int_equal(status("<html>", &code), LB_ERROR);
    assert_int_equal(status("\r\nHTTP/1.1 200 OK\r\n", &code), LB_ERROR);
    assert_int_equal(code, 0);
}


static const char *
request(const char *mon, const char *member)
{
    lb_conf_t          *conf;
    lb_target_group_t  *g;
    lb_health_group_t   hg;
    lb_health_check_t   hc;

    conf = parse(mon, member);
    g = &conf->balancers[0].target_groups[0];

    memset(&hg, 0, sizeof(hg));
    hg.tg = g;
    hg.hm = g->health_monitor;

    memset(&hc, 0, sizeof(hc));
    hc.group = &hg;
    hc.target = &g->targets[0];
    hc.https = g->health_monitor->type == LB_CHECK_HTTPS;
    memcpy(&hc.sa, &hc.target->addr.sa, hc.target->addr.socklen);
    hc.socklen = hc.target->addr.socklen;

    assert_int_equal(lb_check_http_request(&hc, pool), LB_OK);
    assert_int_equal(hc.request_len, strlen(hc.request));

    return hc.request;
}


static void
test_request(void **state)
{
    (void) state;

    assert_string_equal(
        request("type: HTTP, url_path: /healthz",
                "address: 127.0.0.1, protocol_port: 9001, "
                "monitor_port: 9101"),
        "GET /healthz HTTP/1.1\r\n"
        "Host: 127.0.0.1:9101\r\n"
        "User-Agent: weir-health-check\r\n"
        "Accept: */*\r\n"
        "Connection: close\r\n"
        "\r\n");

    /* the scheme's own port is left out of Host; 1.0 as configured */
    assert_string_equal(
        request("type: HTTP, http_method: HEAD, http_version: \"1.0\", "
                "url_path: /a/b?c=d",
                "address: 127.0.0.1, protocol_port: 80"),
        "HEAD /a/b?c=d HTTP/1.0\r\n"
        "Host: 127.0.0.1\r\n"
        "User-Agent: weir-health-check\r\n"
        "Accept: */*\r\n"
        "Connection: close\r\n"
        "\r\n");

    /* a method that carries a body says it has none */
    assert_string_equal(
        request("type: HTTP, http_method: POST",
                "address: 127.0.0.1, protocol_port: 8080"),
        "POST / HTTP/1.1\r\n"
        "Host: 127.0.0.1:8080\r\n"
        "User-Agent: weir-health-check\r\n"
        "Accept: */*\r\n"
        "Content-Length: 0\r\n"
        "Connection: close\r\n"
        "\r\n");

    /* IPv6 in brackets; HTTPS leaves 443 out */
    assert_string_equal(
        request("type: HTTPS, url_path: /s",
                "address: \"::1\", protocol_port: 8443, monitor_port: 443"),
        "GET /s HTTP/1.1\r\n"
        "Host: [::1]\r\n"
        "User-Agent: weir-health-check\r\n"
        "Accept: */*\r\n"
        "Connection: close\r\n"
        "\r\n");

    assert_string_equal(
        request("type: HTTPS",
                "address: \"::1\", protocol_port: 8443"),
        "GET / HTTP/1.1\r\n"
        "Host: [::1]:8443\r\n"
        "User-Agent: weir-health-check\r\n"
        "Accept: */*\r\n"
        "Connection: close\r\n"
        "\r\n");
}


static void
inet(struct sockaddr_in *sin, const char *ip, unsigned port)
{
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t) port);
    assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}


static void
test_connect_source(void **state)
{
    int                  ls, fd, err;
    lb_int_t             rc;
    socklen_t            len;
    lb_cycle_t           cycle;
    lb_conf_t            conf;
    lb_connection_t     *c;
    struct sockaddr_in   dst, src, peer;
    char                 ip[INET_ADDRSTRLEN];

    (void) state;

    memset(&conf, 0, sizeof(conf));
    memset(&cycle, 0, sizeof(cycle));
    cycle.pool = pool;
    cycle.conf = &conf;
    assert_int_equal(lb_array_init(&cycle.listening, pool, 1,
                                   sizeof(lb_listening_t)), LB_OK);
    assert_int_equal(lb_event_init(), LB_OK);

    ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls != -1);
    inet(&dst, "127.0.0.1", 0);
    assert_int_equal(bind(ls, (struct sockaddr *) &dst, sizeof(dst)), 0);
    assert_int_equal(listen(ls, 8), 0);
    len = sizeof(dst);
    assert_int_equal(getsockname(ls, (struct sockaddr *) &dst, &len), 0);

    /* from 127.0.0.2: the target sees that address */
    inet(&src, "127.0.0.2", 0);
    rc = lb_health_connect((struct sockaddr *) &dst, sizeof(dst),
                           (struct sockaddr *) &src, sizeof(src), &c, &err);
    assert_true(rc == LB_OK || rc == LB_AGAIN);
    assert_non_null(c);

    len = sizeof(peer);
    fd = accept(ls, (struct sockaddr *) &peer, &len);
    assert_true(fd != -1);
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
    assert_string_equal(ip, "127.0.0.2");
    close(fd);
    lb_close_connection(c);

    /* no source: the system's choice */
    rc = lb_health_connect((struct sockaddr *) &dst, sizeof(dst), NULL, 0,
                           &c, &err);
    assert_true(rc == LB_OK || rc == LB_AGAIN);
    len = sizeof(peer);
    fd = accept(ls, (struct sockaddr *) &peer, &len);
    assert_true(fd != -1);
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
    assert_string_equal(ip, "127.0.0.1");
    close(fd);
    lb_close_connection(c);

    /* a source that is not ours: declined with the errno, no packet */
    inet(&src, "198.51.100.77", 0);
    rc = lb_health_connect((struct sockaddr *) &dst, sizeof(dst),
                           (struct sockaddr *) &src, sizeof(src), &c, &err);
    assert_int_equal(rc, LB_DECLINED);
    assert_int_equal(err, EADDRNOTAVAIL);
    assert_int_equal(lb_health_connect_cause(err), LB_HEALTH_UNREACHABLE);

    close(ls);
    lb_connection_reclaim();
}


static void
test_pick_source(void **state)
{
    lb_target_t          t;
    lb_health_source_t   src[4];

    (void) state;

    memset(&t, 0, sizeof(t));
    memset(src, 0, sizeof(src));
    t.addr.sa.ss_family = AF_INET;
    t.subnet_id = "subnet-b";

    src[0].subnet_id = "subnet-b";
    src[0].addr.sa.ss_family = AF_INET6;     /* wrong family */
    src[1].subnet_id = NULL;                 /* any subnet */
    src[1].addr.sa.ss_family = AF_INET;
    src[2].subnet_id = "subnet-a";           /* another subnet */
    src[2].addr.sa.ss_family = AF_INET;
    src[3].subnet_id = "subnet-b";           /* the one */
    src[3].addr.sa.ss_family = AF_INET;

    assert_ptr_equal(lb_health_pick_source(src, 4, &t), &src[3].addr);
    /* no source for its subnet: one for any subnet */
    assert_ptr_equal(lb_health_pick_source(src, 3, &t), &src[1].addr);
    /* only other subnets or families: the system's choice */
    assert_null(lb_health_pick_source(&src[2], 1, &t));
    assert_null(lb_health_pick_source(src, 1, &t));
    assert_null(lb_health_pick_source(NULL, 0, &t));

    /* a target without a subnet takes a source for any subnet */
    t.subnet_id = NULL;
    assert_ptr_equal(lb_health_pick_source(src, 4, &t), &src[1].addr);
    t.addr.sa.ss_family = AF_INET6;
    assert_null(lb_health_pick_source(src, 4, &t));
}


static void
test_connect_causes(void **state)
{
    (void) state;

    assert_int_equal(lb_health_connect_cause(ECONNREFUSED),
                     LB_HEALTH_CONNECT_REFUSED);
    assert_int_equal(lb_health_connect_cause(ETIMEDOUT),
                     LB_HEALTH_CONNECT_TIMEOUT);
    assert_int_equal(lb_health_connect_cause(ENETUNREACH),
                     LB_HEALTH_UNREACHABLE);
    assert_int_equal(lb_health_connect_cause(EHOSTUNREACH),
                     LB_HEALTH_UNREACHABLE);
    assert_int_equal(lb_health_connect_cause(ECONNRESET), LB_HEALTH_RESET);
    assert_int_equal(lb_health_connect_cause(EMFILE),
                     LB_HEALTH_LOCAL_ERROR);
    assert_int_equal(lb_health_connect_cause(EPROTO),
                     LB_HEALTH_CONNECT_FAILED);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_expected_codes, setup,
                                        teardown),
        cmocka_unit_test(test_parse_status),
        cmocka_unit_test_setup_teardown(test_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_source, setup,
                                        teardown),
        cmocka_unit_test(test_pick_source),
        cmocka_unit_test(test_connect_causes),
    };

    lb_time_update();

    return cmocka_run_group_tests(tests, NULL, NULL);
}
