/* weir: configuration rules of SPEC.md section 5, sticky sessions: the
 * table of types per target group and listener protocol, and the fields
 * persistence_timeout, cookie_name and persistence_granularity. */
#include <arpa/inet.h>

#include "test_lb_conf_helpers.h"

#define LBT_COOKIE_RULE                                                     \
    "allowed: 1..255 characters of A-Z a-z 0-9 ! # $ % ^ & _ * + ~ -"

#define LBT_MASK_RULE                                                       \
    "allowed: an IPv4 or IPv6 netmask with contiguous ones, e.g. "          \
    "255.255.255.0 or ffff:ffff:ffff:ffff::"

/* a TCP group without listener, its session_persistence on line 7 */
#define LBT_SP(body)                                                        \
    LBT_NLB                                                                 \
    "    target_groups:\n"                                                  \
    "      - name: tcp-tg\n"                                                \
    "        protocol: TCP\n"                                               \
    "        session_persistence: " body "\n"

/* the same in an HTTP group */
#define LBT_HTTP_SP(body)                                                   \
    LBT_ALB                                                                 \
    "    target_groups:\n"                                                  \
    "      - name: web-tg\n"                                                \
    "        protocol: HTTP\n"                                              \
    "        session_persistence: " body "\n"

static const char *const  lbt_lp[] = { "HTTP", "HTTPS", "TCP", "TLS", "UDP" };
static const char *const  lbt_gp[] = { "HTTP", "HTTPS", "TCP", "UDP",
                                       "PROXY" };
static const char *const  lbt_st[] = { "HTTP_COOKIE", "APP_COOKIE",
                                       "SOURCE_IP" };

/* SPEC.md 2, to skip pairs that another rule rejects */
static const int  lbt_pair_ok[5][5] = {
    /*           HTTP HTTPS TCP UDP PROXY */
    /* HTTP  */ { 1,   0,    0,  0,  1 },
    /* HTTPS */ { 1,   1,    0,  0,  0 },
    /* TCP   */ { 1,   1,    1,  0,  1 },
    /* TLS   */ { 0,   0,    1,  0,  0 },
    /* UDP   */ { 0,   0,    0,  1,  0 },
};

/* SPEC.md 5: [group][listener] -> allowed types, as text */
static const char *const  lbt_sticky[5][5] = {
    /* HTTP  */ { "HTTP_COOKIE, APP_COOKIE", NULL, NULL, NULL, NULL },
    /* HTTPS */ { NULL, NULL, NULL, NULL, NULL },
    /* TCP   */ { NULL, NULL, "SOURCE_IP", NULL, NULL },
    /* UDP   */ { NULL, NULL, NULL, NULL, "SOURCE_IP" },
    /* PROXY */ { NULL, NULL, NULL, NULL, NULL },
};


static void
test_sticky_table(void **state)
{
    unsigned     g, l, t;
    const char  *yaml, *want, *allowed;
    bool         tls;

    (void) state;

    for (g = 0; g < 5; g++) {
        for (l = 0; l < 5; l++) {
            if (!lbt_pair_ok[l][g]) {
                continue;
            }

            for (t = 0; t < 3; t++) {
                tls = (l == 1 || l == 3);
                yaml = lb_psprintf(lbt_pool,
                                   "load_balancers:\n"
                                   "  - name: test-lb\n"
                                   "    type: %s\n"
                                   "    address: 127.0.0.1\n"
                                   "    listeners:\n"
                                   "      - name: l\n"
                                   "        protocol: %s\n"
                                   "        protocol_port: 80\n"
                                   "        target_group: the-tg\n"
                                   "%s"
                                   "    target_groups:\n"
                                   "      - name: the-tg\n"
                                   "        protocol: %s\n"
                                   "        session_persistence:\n"
                                   "          type: %s\n"
                                   "%s",
                                   l < 2 ? "ALB" : "NLB", lbt_lp[l],
                                   tls ? "        tls_certificate: c\n"
                                         "        tls_key: k\n" : "",
                                   lbt_gp[g], lbt_st[t],
                                   t == 1 ? "          cookie_name: c\n"
                                          : "");

                allowed = lbt_sticky[g][l];

                if (allowed != NULL && strstr(allowed, lbt_st[t]) != NULL) {
                    lbt_ok(yaml);
                    continue;
                }

                if (allowed == NULL) {
                    want = lb_psprintf(lbt_pool, "%d:17: load_balancers"
                                       "[test-lb].target_groups[the-tg]"
                                       ".session_persistence.type: sticky "
                                       "sessions are not available for %s "
                                       "target groups behind %s listeners "
                                       "(listener \"l\" uses this group); "
                                       "remove session_persistence",
                                       tls ? 16 : 14, lbt_gp[g], lbt_lp[l]);
                } else {
                    want = lb_psprintf(lbt_pool, "%d:17: load_balancers"
                                       "[test-lb].target_groups[the-tg]"
                                       ".session_persistence.type: %s sticky "
                                       "sessions are not available for %s "
                                       "target groups behind %s listeners "
                                       "(listener \"l\" uses this group); "
                                       "allowed: %s", tls ? 16 : 14,
                                       lbt_st[t], lbt_gp[g], lbt_lp[l],
                                       allowed);
                }

                lbt_error(yaml, want);
            }
        }
    }
}


/* a group no listener uses yet: judged by what its protocol allows with
 * any listener */
static void
test_sticky_without_listener(void **state)
{
    (void) state;

    lbt_ok(LBT_HTTP_SP("{ type: HTTP_COOKIE }"));
    lbt_ok(LBT_HTTP_SP("{ type: APP_COOKIE, cookie_name: c }"));
    lbt_ok(LBT_SP("{ type: SOURCE_IP }"));

    lbt_error(LBT_HTTP_SP("{ type: SOURCE_IP }"),
              "8:38: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.type: SOURCE_IP sticky sessions are not "
              "available for HTTP target groups; allowed: HTTP_COOKIE, "
              "APP_COOKIE");
    lbt_error(LBT_SP("{ type: HTTP_COOKIE }"),
              "8:38: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.type: HTTP_COOKIE sticky sessions are "
              "not available for TCP target groups; allowed: SOURCE_IP");
    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - name: px-tg\n"
              "        protocol: PROXY\n"
              "        session_persistence: { type: SOURCE_IP }\n",
              "8:38: load_balancers[net-lb].target_groups[px-tg]"
              ".session_persistence.type: sticky sessions are not available "
              "for PROXY target groups; remove session_persistence");
}


/* every listener that uses the group must allow the type */
static void
test_sticky_several_listeners(void **state)
{
    (void) state;

    lbt_error(LBT_ALB
              "    listeners:\n"
              "      - { name: h1, protocol: HTTP, protocol_port: 80,"
              " target_group: web-tg }\n"
              "      - { name: h2, protocol: HTTPS, protocol_port: 443,"
              " target_group: web-tg, tls_certificate: c, tls_key: k }\n"
              "    target_groups:\n"
              "      - name: web-tg\n"
              "        protocol: HTTP\n"
              "        session_persistence: { type: HTTP_COOKIE }\n",
              "11:38: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.type: sticky sessions are not available "
              "for HTTP target groups behind HTTPS listeners (listener "
              "\"h2\" uses this group); remove session_persistence");
}


static void
test_persistence_type(void **state)
{
    (void) state;

    lbt_error(LBT_SP("{ persistence_timeout: 10 }"),
              "8:30: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.type: missing; required");
    lbt_error(LBT_SP("{ type: COOKIE }"),
              "8:38: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.type: \"COOKIE\" is not a valid value; "
              "allowed: HTTP_COOKIE, APP_COOKIE, SOURCE_IP");
    lbt_error(LBT_SP("SOURCE_IP"),
              "8:30: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence: expected a mapping of "
              "session_persistence fields, found a single value");
}


/* 1..604800 s; 3600 for HTTP_COOKIE, else 360 */
static void
test_persistence_timeout(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_HTTP_SP("{ type: HTTP_COOKIE }"));
    assert_int_equal(c->balancers[0].target_groups[0].session_persistence
                     ->persistence_timeout, 3600 * 1000);
    c = lbt_ok(LBT_HTTP_SP("{ type: APP_COOKIE, cookie_name: c }"));
    assert_int_equal(c->balancers[0].target_groups[0].session_persistence
                     ->persistence_timeout, 360 * 1000);
    c = lbt_ok(LBT_SP("{ type: SOURCE_IP }"));
    assert_int_equal(c->balancers[0].target_groups[0].session_persistence
                     ->persistence_timeout, 360 * 1000);
    c = lbt_ok(LBT_SP("{ type: SOURCE_IP, persistence_timeout: 1 }"));
    assert_int_equal(c->balancers[0].target_groups[0].session_persistence
                     ->persistence_timeout, 1 * 1000);
    c = lbt_ok(LBT_SP("{ type: SOURCE_IP, persistence_timeout: 604800 }"));
    assert_int_equal(c->balancers[0].target_groups[0].session_persistence
                     ->persistence_timeout, 604800 * 1000);

    lbt_error(LBT_SP("{ type: SOURCE_IP, persistence_timeout: 0 }"),
              "8:70: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.persistence_timeout: 0 is out of range; "
              "allowed: 1..604800 seconds");
    lbt_error(LBT_SP("{ type: SOURCE_IP, persistence_timeout: 604801 }"),
              "8:70: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.persistence_timeout: 604801 is out of "
              "range; allowed: 1..604800 seconds");
}


/* APP_COOKIE only, required there, 1..255 of a fixed set */
static void
test_cookie_name(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_HTTP_SP("{ type: APP_COOKIE,"
                           " cookie_name: \"aZ09!#$%^&_*+~-\" }"));
    assert_string_equal(c->balancers[0].target_groups[0].session_persistence
                        ->cookie_name, "aZ09!#$%^&_*+~-");

    lbt_error(LBT_HTTP_SP("{ type: APP_COOKIE }"),
              "8:30: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.cookie_name: missing; required (type is "
              "APP_COOKIE)");
    lbt_error(LBT_HTTP_SP("{ type: HTTP_COOKIE, cookie_name: SID }"),
              "8:64: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.cookie_name: not allowed here: only with "
              "type APP_COOKIE (type is HTTP_COOKIE)");
    lbt_error(LBT_SP("{ type: SOURCE_IP, cookie_name: SID }"),
              "8:62: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.cookie_name: not allowed here: only with "
              "type APP_COOKIE (type is SOURCE_IP)");
    lbt_error(LBT_HTTP_SP("{ type: APP_COOKIE, cookie_name: \"a=b\" }"),
              "8:63: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.cookie_name: \"a=b\" has '=' at "
              "position 2; " LBT_COOKIE_RULE);
    lbt_error(LBT_HTTP_SP("{ type: APP_COOKIE, cookie_name: \"a;b\" }"),
              "8:63: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.cookie_name: \"a;b\" has ';' at "
              "position 2; " LBT_COOKIE_RULE);
    lbt_error(LBT_HTTP_SP("{ type: APP_COOKIE, cookie_name: \"\" }"),
              "8:63: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.cookie_name: \"\" is too short "
              "(0 characters); " LBT_COOKIE_RULE);

    c = lbt_ok(lb_psprintf(lbt_pool, LBT_HTTP_SP("{ type: APP_COOKIE,"
                                                 " cookie_name: %0255d }"),
                           0));
    lbt_error(lb_psprintf(lbt_pool, LBT_HTTP_SP("{ type: APP_COOKIE,"
                                                " cookie_name: %0256d }"), 0),
              lb_psprintf(lbt_pool, "8:63: load_balancers[web-lb]"
                          ".target_groups[web-tg].session_persistence"
                          ".cookie_name: \"%080d...\" is too long "
                          "(256 characters); %s", 0, LBT_COOKIE_RULE));
}


/* SOURCE_IP only; a contiguous netmask of the balancer's family, default
 * the host mask */
static void
test_persistence_granularity(void **state)
{
    lb_conf_t         *c;
    lb_persistence_t  *sp;

    static const uint8_t  v4_24[16] = { 255, 255, 255, 0 };
    static const uint8_t  v4_host[16] = { 255, 255, 255, 255 };
    static const uint8_t  v6_host[16] = {
        255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255
    };
    static const uint8_t  zero[16] = { 0 };

    (void) state;

    c = lbt_ok(LBT_SP("{ type: SOURCE_IP }"));
    sp = c->balancers[0].target_groups[0].session_persistence;
    assert_string_equal(sp->persistence_granularity, "255.255.255.255");
    assert_int_equal(sp->mask_family, AF_INET);
    assert_memory_equal(sp->mask, v4_host, 16);

    c = lbt_ok(LBT_SP("{ type: SOURCE_IP,"
                      " persistence_granularity: 255.255.255.0 }"));
    sp = c->balancers[0].target_groups[0].session_persistence;
    assert_memory_equal(sp->mask, v4_24, 16);

    c = lbt_ok(LBT_SP("{ type: SOURCE_IP,"
                      " persistence_granularity: 0.0.0.0 }"));
    sp = c->balancers[0].target_groups[0].session_persistence;
    assert_memory_equal(sp->mask, zero, 16);

    c = lbt_ok("load_balancers:\n"
               "  - name: six-lb\n"
               "    type: NLB\n"
               "    address: \"::1\"\n"
               "    target_groups:\n"
               "      - name: tcp-tg\n"
               "        protocol: TCP\n"
               "        session_persistence: { type: SOURCE_IP }\n");
    sp = c->balancers[0].target_groups[0].session_persistence;
    assert_string_equal(sp->persistence_granularity,
                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_int_equal(sp->mask_family, AF_INET6);
    assert_memory_equal(sp->mask, v6_host, 16);

    lbt_error(LBT_HTTP_SP("{ type: HTTP_COOKIE,"
                          " persistence_granularity: 255.255.255.0 }"),
              "8:76: load_balancers[web-lb].target_groups[web-tg]"
              ".session_persistence.persistence_granularity: not allowed "
              "here: only with type SOURCE_IP (type is HTTP_COOKIE)");
    lbt_error(LBT_SP("{ type: SOURCE_IP,"
                     " persistence_granularity: 255.0.255.0 }"),
              "8:74: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.persistence_granularity: \"255.0.255.0\" "
              "is not a contiguous netmask (a one bit follows a zero bit); "
              LBT_MASK_RULE);
    lbt_error(LBT_SP("{ type: SOURCE_IP, persistence_granularity: 24 }"),
              "8:74: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.persistence_granularity: \"24\" is not a "
              "netmask; " LBT_MASK_RULE);
    lbt_error(LBT_SP("{ type: SOURCE_IP,"
                     " persistence_granularity: \"ffff::\" }"),
              "8:74: load_balancers[net-lb].target_groups[tcp-tg]"
              ".session_persistence.persistence_granularity: \"ffff::\" is "
              "an IPv6 netmask but the load balancer address 127.0.0.1 is "
              "IPv4; allowed: an IPv4 netmask");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_sticky_table),
        lbt_test(test_sticky_without_listener),
        lbt_test(test_sticky_several_listeners),
        lbt_test(test_persistence_type),
        lbt_test(test_persistence_timeout),
        lbt_test(test_cookie_name),
        lbt_test(test_persistence_granularity),
    };

    return cmocka_run_group_tests_name("lb_conf sticky sessions", tests,
                                       NULL, NULL);
}
