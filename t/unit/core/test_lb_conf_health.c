/* weir: configuration rules of SPEC.md section 6, health checks: the type
 * per target group protocol, the timing fields and their relation, and the
 * HTTP fields (method, version, expected codes, URL path). */
#include "test_lb_conf_helpers.h"

#define LBT_CODES_RULE                                                      \
    "allowed: 3-digit status codes 100..599: a code, a comma list, a "     \
    "range a-b with a <= b, or a mix, e.g. 200 | 201, 202 | 200-299 | "    \
    "200,201-299"

#define LBT_URL_RULE                                                        \
    "allowed: '/' followed by up to 120 visible ASCII characters (no "     \
    "spaces, no '#', '%' only before two hex digits)"

/* an HTTP group whose health_monitor mapping starts on line 8, column 25;
 * the text after "type: HTTP" continues the flow mapping */
#define LBT_HM(more)                                                        \
    LBT_ALB                                                                 \
    "    target_groups:\n"                                                  \
    "      - name: web-tg\n"                                                \
    "        protocol: HTTP\n"                                              \
    "        health_monitor: { type: HTTP" more " }\n"

/* the same with a TCP check in a TCP group */
#define LBT_TCP_HM(more)                                                    \
    LBT_NLB                                                                 \
    "    target_groups:\n"                                                  \
    "      - name: tcp-tg\n"                                                \
    "        protocol: TCP\n"                                               \
    "        health_monitor: { type: TCP" more " }\n"

#define LBT_PATH  "8:"
#define LBT_WEB   "load_balancers[web-lb].target_groups[web-tg]"          \
                  ".health_monitor."
#define LBT_TCP   "load_balancers[net-lb].target_groups[tcp-tg]"          \
                  ".health_monitor."

static const lb_health_monitor_t *lbt_hm(const char *yaml);
static bool lbt_code(const lb_health_monitor_t *hm, unsigned code);


static const lb_health_monitor_t *
lbt_hm(const char *yaml)
{
    return lbt_ok(yaml)->balancers[0].target_groups[0].health_monitor;
}


static bool
lbt_code(const lb_health_monitor_t *hm, unsigned code)
{
    return (hm->codes[code / 8] >> (code % 8)) & 1;
}


/* HTTP: HTTP, PING; TCP: PING, TCP; UDP: TCP, HTTP; PROXY: PING, TCP;
 * HTTPS (our decision): HTTPS, TCP, PING */
static void
test_check_type_per_protocol(void **state)
{
    unsigned     g, t;
    const char  *yaml;

    static const char *const  gp[] = {
        "HTTP", "HTTPS", "TCP", "UDP", "PROXY"
    };
    static const char *const  ct[] = { "PING", "TCP", "HTTP", "HTTPS" };
    static const char *const  allowed[] = {
        "PING, HTTP", "PING, TCP, HTTPS", "PING, TCP", "TCP, HTTP",
        "PING, TCP"
    };
    static const int  ok[5][4] = {
        /*          PING TCP HTTP HTTPS */
        /* HTTP  */ { 1,  0,  1,   0 },
        /* HTTPS */ { 1,  1,  0,   1 },
        /* TCP   */ { 1,  1,  0,   0 },
        /* UDP   */ { 0,  1,  1,   0 },
        /* PROXY */ { 1,  1,  0,   0 },
    };

    (void) state;

    for (g = 0; g < 5; g++) {
        for (t = 0; t < 4; t++) {
            yaml = lb_psprintf(lbt_pool, LBT_NLB
                               "    target_groups:\n"
                               "      - name: the-tg\n"
                               "        protocol: %s\n"
                               "        health_monitor:\n"
                               "          type: %s\n", gp[g], ct[t]);
            if (ok[g][t]) {
                assert_int_equal(lbt_hm(yaml)->type, t);
                continue;
            }

            lbt_error(yaml, lb_psprintf(lbt_pool, "9:17: load_balancers"
                                        "[net-lb].target_groups[the-tg]"
                                        ".health_monitor.type: %s health "
                                        "checks are not available for %s "
                                        "target groups; allowed: %s", ct[t],
                                        gp[g], allowed[g]));
        }
    }

    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - name: tcp-tg\n"
              "        protocol: TCP\n"
              "        health_monitor: { delay: 10 }\n",
              "8:25: " LBT_TCP "type: missing; required");
    lbt_error(LBT_TCP_HM(", type: UDP"),
              "8:38: " LBT_TCP "type: written twice (first at 8:27); a "
              "field is written once");
    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - name: tcp-tg\n"
              "        protocol: TCP\n"
              "        health_monitor: { type: ICMP }\n",
              "8:33: " LBT_TCP "type: \"ICMP\" is not a valid value; "
              "allowed: PING, TCP, HTTP, HTTPS");
}


/* delay 1..3600 (30), timeout 1..900 (5), max_retries 1..10 (5),
 * max_retries_down 1..10 (2) */
static void
test_check_timing_ranges(void **state)
{
    const lb_health_monitor_t  *hm;

    (void) state;

    hm = lbt_hm(LBT_TCP_HM(""));
    assert_int_equal(hm->delay, 30 * 1000);
    assert_int_equal(hm->timeout, 5 * 1000);
    assert_int_equal(hm->max_retries, 5);
    assert_int_equal(hm->max_retries_down, 2);

    hm = lbt_hm(LBT_TCP_HM(", delay: 3600, timeout: 900, max_retries: 10,"
                           " max_retries_down: 10"));
    assert_int_equal(hm->delay, 3600 * 1000);
    assert_int_equal(hm->timeout, 900 * 1000);
    assert_int_equal(hm->max_retries, 10);
    assert_int_equal(hm->max_retries_down, 10);

    hm = lbt_hm(LBT_TCP_HM(", delay: 2, timeout: 1, max_retries: 1,"
                           " max_retries_down: 1"));
    assert_int_equal(hm->delay, 2 * 1000);
    assert_int_equal(hm->timeout, 1 * 1000);
    assert_int_equal(hm->max_retries, 1);
    assert_int_equal(hm->max_retries_down, 1);

    lbt_errors(LBT_TCP_HM(", delay: 0, timeout: 0, max_retries: 0,"
                          " max_retries_down: 0"),
               "8:45: " LBT_TCP "delay: 0 is out of range; allowed: 1..3600 "
               "seconds",
               "8:57: " LBT_TCP "timeout: 0 is out of range; allowed: 1..900 "
               "seconds",
               "8:73: " LBT_TCP "max_retries: 0 is out of range; allowed: "
               "1..10",
               "8:94: " LBT_TCP "max_retries_down: 0 is out of range; "
               "allowed: 1..10", NULL);

    lbt_errors(LBT_TCP_HM(", delay: 3601, timeout: 901, max_retries: 11,"
                          " max_retries_down: 11"),
               "8:45: " LBT_TCP "delay: 3601 is out of range; allowed: "
               "1..3600 seconds",
               "8:60: " LBT_TCP "timeout: 901 is out of range; allowed: "
               "1..900 seconds",
               "8:78: " LBT_TCP "max_retries: 11 is out of range; allowed: "
               "1..10",
               "8:100: " LBT_TCP "max_retries_down: 11 is out of range; "
               "allowed: 1..10", NULL);
}


/* the delay must be greater than the timeout */
static void
test_check_delay_greater_than_timeout(void **state)
{
    (void) state;

    lbt_hm(LBT_TCP_HM(", delay: 6"));
    lbt_hm(LBT_TCP_HM(", timeout: 29"));

    lbt_error(LBT_TCP_HM(", delay: 10, timeout: 10"),
              "8:58: " LBT_TCP "timeout: timeout (10) must be less than "
              "delay (10)");
    lbt_error(LBT_TCP_HM(", timeout: 30"),
              "8:47: " LBT_TCP "timeout: timeout (30) must be less than "
              "delay (30, the default)");
    lbt_error(LBT_TCP_HM(", delay: 5"),
              "8:45: " LBT_TCP "delay: delay (5) must be greater than "
              "timeout (5, the default)");
}


/* http_method, http_version, url_path, expected_codes: HTTP and HTTPS
 * checks only */
static void
test_check_http_fields_only_for_http(void **state)
{
    const lb_health_monitor_t  *hm;

    (void) state;

    hm = lbt_hm(LBT_TCP_HM(""));
    assert_null(hm->http_version);
    assert_null(hm->url_path);
    assert_null(hm->expected_codes);

    lbt_errors(LBT_TCP_HM(", http_method: GET, http_version: \"1.1\","
                          " url_path: /, expected_codes: \"200\""),
               "8:51: " LBT_TCP "http_method: not allowed here: only for "
               "HTTP and HTTPS health checks (type is TCP)",
               "8:70: " LBT_TCP "http_version: not allowed here: only for "
               "HTTP and HTTPS health checks (type is TCP)",
               "8:87: " LBT_TCP "url_path: not allowed here: only for HTTP "
               "and HTTPS health checks (type is TCP)",
               "8:106: " LBT_TCP "expected_codes: not allowed here: only for "
               "HTTP and HTTPS health checks (type is TCP)", NULL);

    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - name: tcp-tg\n"
              "        protocol: TCP\n"
              "        health_monitor: { type: PING, url_path: /x }\n",
              "8:49: " LBT_TCP "url_path: not allowed here: only for HTTP "
              "and HTTPS health checks (type is PING)");
}


static void
test_check_http_method(void **state)
{
    const lb_health_monitor_t  *hm;

    (void) state;

    assert_int_equal(lbt_hm(LBT_HM(""))->http_method, LB_METHOD_GET);

    hm = lbt_hm(LBT_HM(", http_method: OPTIONS"));
    assert_int_equal(hm->http_method, LB_METHOD_OPTIONS);
    hm = lbt_hm(LBT_HM(", http_method: CONNECT, url_path: \"[::1]:8443\""));
    assert_int_equal(hm->http_method, LB_METHOD_CONNECT);
    assert_string_equal(hm->url_path, "[::1]:8443");
    hm = lbt_hm(LBT_HM(", http_method: CONNECT, url_path: proxy.example:3128"));
    assert_string_equal(hm->url_path, "proxy.example:3128");

    lbt_error(LBT_HM(", http_method: get"),
              "8:52: " LBT_WEB "http_method: \"get\" is not a valid value; "
              "allowed: CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, "
              "PUT, TRACE");
}


/* "1.0" | "1.1", also written as YAML numbers */
static void
test_check_http_version(void **state)
{
    (void) state;

    assert_string_equal(lbt_hm(LBT_HM(""))->http_version, "1.1");
    assert_string_equal(lbt_hm(LBT_HM(", http_version: 1.0"))->http_version,
                        "1.0");
    assert_string_equal(lbt_hm(LBT_HM(", http_version: 1.1"))->http_version,
                        "1.1");
    assert_string_equal(lbt_hm(LBT_HM(", http_version: \"1.0\""))
                        ->http_version, "1.0");

    lbt_error(LBT_HM(", http_version: 2"),
              "8:53: " LBT_WEB "http_version: \"2\" is not a valid value; "
              "allowed: 1.0, 1.1");
    lbt_error(LBT_HM(", http_version: \"HTTP/1.1\""),
              "8:53: " LBT_WEB "http_version: \"HTTP/1.1\" is not a valid "
              "value; allowed: 1.0, 1.1");
}


static void
test_check_expected_codes(void **state)
{
    const lb_health_monitor_t  *hm;

    (void) state;

    hm = lbt_hm(LBT_HM(""));
    assert_string_equal(hm->expected_codes, "200");
    assert_true(lbt_code(hm, 200));
    assert_false(lbt_code(hm, 201));

    hm = lbt_hm(LBT_HM(", expected_codes: 204"));
    assert_true(lbt_code(hm, 204));
    assert_false(lbt_code(hm, 200));

    hm = lbt_hm(LBT_HM(", expected_codes: \"201, 202 ,401\""));
    assert_true(lbt_code(hm, 201));
    assert_true(lbt_code(hm, 202));
    assert_true(lbt_code(hm, 401));
    assert_false(lbt_code(hm, 200));
    assert_false(lbt_code(hm, 400));

    hm = lbt_hm(LBT_HM(", expected_codes: 200-500"));
    assert_false(lbt_code(hm, 199));
    assert_true(lbt_code(hm, 200));
    assert_true(lbt_code(hm, 350));
    assert_true(lbt_code(hm, 500));
    assert_false(lbt_code(hm, 501));

    hm = lbt_hm(LBT_HM(", expected_codes: \"200,201-299\""));
    assert_true(lbt_code(hm, 200));
    assert_true(lbt_code(hm, 299));
    assert_false(lbt_code(hm, 300));

    hm = lbt_hm(LBT_HM(", expected_codes: \"100-599\""));
    assert_true(lbt_code(hm, 100));
    assert_true(lbt_code(hm, 599));
    assert_false(lbt_code(hm, 99));
    assert_false(lbt_code(hm, 600));

    hm = lbt_hm(LBT_HM(", expected_codes: \"302-302\""));
    assert_true(lbt_code(hm, 302));
    assert_false(lbt_code(hm, 301));

#define LBT_CODES_ERR(v, why)                                               \
    lbt_error(LBT_HM(", expected_codes: \"" v "\""),                        \
              "8:55: " LBT_WEB "expected_codes: \"" v "\": " why "; "       \
              LBT_CODES_RULE)

    LBT_CODES_ERR("20", "expected a 3-digit status code at position 1");
    LBT_CODES_ERR("2000", "expected a 3-digit status code at position 1");
    LBT_CODES_ERR("abc", "expected a 3-digit status code at position 1");
    LBT_CODES_ERR("600", "600 is not a status code 100..599");
    LBT_CODES_ERR("099", "099 is not a status code 100..599");
    LBT_CODES_ERR("200-100", "the range 200-100 is reversed");
    LBT_CODES_ERR("200,", "expected a 3-digit status code at position 5");
    LBT_CODES_ERR(",200", "expected a 3-digit status code at position 1");
    LBT_CODES_ERR("200,,201", "expected a 3-digit status code at position 5");
    LBT_CODES_ERR("200 201", "unexpected '2' at position 5");
    LBT_CODES_ERR("200-", "expected a 3-digit status code at position 5");
    LBT_CODES_ERR("200-300-400", "unexpected '-' at position 8");
    LBT_CODES_ERR("200;201", "unexpected ';' at position 4");
    LBT_CODES_ERR("200 - 300", "unexpected '-' at position 5");

#undef LBT_CODES_ERR
}


/* "/" followed by up to 120 visible ASCII characters */
static void
test_check_url_path(void **state)
{
    char        long_ok[122], long_bad[123];
    const char  *yaml;

    (void) state;

    assert_string_equal(lbt_hm(LBT_HM(""))->url_path, "/");
    assert_string_equal(lbt_hm(LBT_HM(", url_path: \"/a/b?c=d&e=%20%7e\""))
                        ->url_path, "/a/b?c=d&e=%20%7e");

    /* they would go into the request line as they are: a fragment and a
     * broken escape make a request targets refuse (found by fuzzing) */
    lbt_error(LBT_HM(", url_path: \"/a#f\""),
              "8:49: " LBT_WEB "url_path: \"/a#f\" has a fragment ('#') at "
              "position 3; " LBT_URL_RULE);
    lbt_error(LBT_HM(", url_path: \"/cmax%\""),
              "8:49: " LBT_WEB "url_path: \"/cmax%\" has '%' without two "
              "hex digits at position 6; " LBT_URL_RULE);
    lbt_error(LBT_HM(", url_path: \"/a%2g\""),
              "8:49: " LBT_WEB "url_path: \"/a%2g\" has '%' without two "
              "hex digits at position 3; " LBT_URL_RULE);

    long_ok[0] = '/';
    memset(long_ok + 1, 'x', 120);
    long_ok[121] = '\0';
    yaml = lb_psprintf(lbt_pool, LBT_HM(", url_path: %s"), long_ok);
    assert_string_equal(lbt_hm(yaml)->url_path, long_ok);

    long_bad[0] = '/';
    memset(long_bad + 1, 'x', 121);
    long_bad[122] = '\0';
    yaml = lb_psprintf(lbt_pool, LBT_HM(", url_path: %s"), long_bad);
    lbt_error(yaml, lb_psprintf(lbt_pool, "8:49: " LBT_WEB "url_path: "
                                "\"%.80s...\" is too long (122 characters); "
                                "%s", long_bad, LBT_URL_RULE));

    lbt_error(LBT_HM(", url_path: healthz"),
              "8:49: " LBT_WEB "url_path: \"healthz\" does not start with "
              "'/'; " LBT_URL_RULE);
    lbt_error(LBT_HM(", url_path: \"/a b\""),
              "8:49: " LBT_WEB "url_path: \"/a b\" has a space at position "
              "3; " LBT_URL_RULE);
    lbt_error(LBT_HM(", url_path: \"/a\\x7f\""),
              "8:49: " LBT_WEB "url_path: \"/a\\x7f\" has \\x7f at position "
              "3; " LBT_URL_RULE);
    lbt_error(LBT_HM(", url_path: \"/\\u00e9\""),
              "8:49: " LBT_WEB "url_path: \"/\xc3\xa9\" has \\xc3 at "
              "position 2; " LBT_URL_RULE);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_check_type_per_protocol),
        lbt_test(test_check_timing_ranges),
        lbt_test(test_check_delay_greater_than_timeout),
        lbt_test(test_check_http_fields_only_for_http),
        lbt_test(test_check_http_method),
        lbt_test(test_check_http_version),
        lbt_test(test_check_expected_codes),
        lbt_test(test_check_url_path),
    };

    return cmocka_run_group_tests_name("lb_conf health checks", tests,
                                       NULL, NULL);
}
