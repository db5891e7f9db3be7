/* weir: configuration rules of SPEC.md sections 1 (objects, names), 2
 * (protocols, forwarded headers, PROXY), 3 (algorithms), 4 (weights) and 7
 * (targets), plus the listener fields of section 1's YAML. Each test holds
 * the valid and the invalid side of one rule with the exact message. */
#include <stdlib.h>

#include "test_lb_conf_helpers.h"

#define LBT_NAME_RULE                                                       \
    "allowed: 4..250 characters of A-Z a-z 0-9 _ -, starting with a "      \
    "letter, not ending with _ or -, no two of _ and - in a row"

#define LBT_LABEL_RULE                                                      \
    "allowed: 1..255 printable ASCII characters without spaces"

static const char *lbt_lb(const char *name);
static const char *lbt_tg(const char *name);
static char *lbt_repeat(char c, size_t n);


/* line 2, column 11: the name of the balancer */
static const char *
lbt_lb(const char *name)
{
    return lb_psprintf(lbt_pool, "load_balancers:\n"
                       "  - { name: %s, type: NLB, address: 127.0.0.1 }\n",
                       name);
}


/* line 6, column 17: the name of the target group */
static const char *
lbt_tg(const char *name)
{
    return lb_psprintf(lbt_pool, LBT_NLB
                       "    target_groups:\n"
                       "      - { name: %s, protocol: TCP }\n", name);
}


static char *
lbt_repeat(char c, size_t n)
{
    char  *s;

    s = lb_palloc(lbt_pool, n + 1);
    memset(s, c, n);
    s[n] = '\0';

    return s;
}


/* SPEC.md 1: balancer names */
static void
test_balancer_name(void **state)
{
    (void) state;

    lbt_ok(lbt_lb("abcd"));
    lbt_ok(lbt_lb("Web_lb-01"));
    lbt_ok(lbt_lb(lb_psprintf(lbt_pool, "a%s", lbt_repeat('b', 249))));

    lbt_error(lbt_lb("abc"),
              "2:13: load_balancers[abc].name: \"abc\" is too short "
              "(3 characters); " LBT_NAME_RULE);
    lbt_error(lbt_lb(lb_psprintf(lbt_pool, "a%s", lbt_repeat('b', 250))),
              lb_psprintf(lbt_pool, "2:13: load_balancers[a%s].name: "
                          "\"a%s...\" is too long (251 characters); "
                          LBT_NAME_RULE, lbt_repeat('b', 250),
                          lbt_repeat('b', 79)));
    lbt_error(lbt_lb("1web"),
              "2:13: load_balancers[1web].name: \"1web\" does not start with "
              "a letter; " LBT_NAME_RULE);
    lbt_error(lbt_lb("_web"),
              "2:13: load_balancers[_web].name: \"_web\" does not start with "
              "a letter; " LBT_NAME_RULE);
    lbt_error(lbt_lb("web.lb"),
              "2:13: load_balancers[web.lb].name: \"web.lb\" has '.' at "
              "position 4; " LBT_NAME_RULE);
    lbt_error(lbt_lb("\"web lb\""),
              "2:13: load_balancers[web lb].name: \"web lb\" has a space at "
              "position 4; " LBT_NAME_RULE);
    lbt_error(lbt_lb("web-"),
              "2:13: load_balancers[web-].name: \"web-\" ends with '-'; "
              LBT_NAME_RULE);
    lbt_error(lbt_lb("webb_"),
              "2:13: load_balancers[webb_].name: \"webb_\" ends with '_'; "
              LBT_NAME_RULE);
    lbt_error(lbt_lb("we--lb"),
              "2:13: load_balancers[we--lb].name: \"we--lb\" has \"--\" at "
              "position 3; " LBT_NAME_RULE);
    lbt_error(lbt_lb("we_-lb"),
              "2:13: load_balancers[we_-lb].name: \"we_-lb\" has \"_-\" at "
              "position 3; " LBT_NAME_RULE);
    lbt_error("load_balancers:\n"
              "  - { type: NLB, address: 127.0.0.1 }\n",
              "2:5: load_balancers[0].name: missing; required");
}


/* SPEC.md 1: target group names, the same rule */
static void
test_target_group_name(void **state)
{
    (void) state;

    lbt_ok(lbt_tg("tcp1"));
    lbt_ok(lbt_tg(lb_psprintf(lbt_pool, "Z%s", lbt_repeat('9', 249))));

    lbt_error(lbt_tg("tg"),
              "6:17: load_balancers[net-lb].target_groups[tg].name: \"tg\" "
              "is too short (2 characters); " LBT_NAME_RULE);
    lbt_error(lbt_tg("9tcp"),
              "6:17: load_balancers[net-lb].target_groups[9tcp].name: "
              "\"9tcp\" does not start with a letter; " LBT_NAME_RULE);
    lbt_error(lbt_tg("tcp/tg"),
              "6:17: load_balancers[net-lb].target_groups[tcp/tg].name: "
              "\"tcp/tg\" has '/' at position 4; " LBT_NAME_RULE);
    lbt_error(lbt_tg("tcp__tg"),
              "6:17: load_balancers[net-lb].target_groups[tcp__tg].name: "
              "\"tcp__tg\" has \"__\" at position 4; " LBT_NAME_RULE);
    lbt_error(lbt_tg("tcp-tg-"),
              "6:17: load_balancers[net-lb].target_groups[tcp-tg-].name: "
              "\"tcp-tg-\" ends with '-'; " LBT_NAME_RULE);
}


/* our rule for listener and member names: 1..255 printable, no spaces */
static void
test_listener_and_member_names(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    listeners:\n"
               "      - { name: \"tcp:80/#1~\", protocol: TCP,"
               " protocol_port: 80 }\n"
               "      - { name: x, protocol: TCP, protocol_port: 81 }\n"
               "    target_groups:\n"
               "      - { name: tcp-tg, protocol: TCP, members: [\n"
               "          { name: \"web-1!\", address: 127.0.0.1,"
               " protocol_port: 1 },\n"
               "          { address: 127.0.0.1, protocol_port: 2 } ] }\n");
    assert_string_equal(c->balancers[0].listeners[0].name, "tcp:80/#1~");

    /* member names are labels, listener names must be usable in paths */
    lbt_errors(LBT_NLB
               "    listeners:\n"
               "      - { name: \"my tcp\", protocol: TCP,"
               " protocol_port: 80 }\n"
               "      - { name: \"\", protocol: TCP, protocol_port: 81 }\n"
               "      - { protocol: TCP, protocol_port: 82 }\n",
               "6:17: load_balancers[net-lb].listeners[my tcp].name: "
               "\"my tcp\" has a space at position 3; " LBT_LABEL_RULE,
               "7:17: load_balancers[net-lb].listeners[1].name: \"\" is too "
               "short (0 characters); " LBT_LABEL_RULE,
               "8:9: load_balancers[net-lb].listeners[2].name: missing; "
               "required", NULL);

    lbt_error(lb_psprintf(lbt_pool, LBT_NLB
                          "    listeners:\n"
                          "      - { name: %s, protocol: TCP,"
                          " protocol_port: 80 }\n", lbt_repeat('l', 256)),
              lb_psprintf(lbt_pool, "6:17: load_balancers[net-lb]"
                          ".listeners[0].name: \"%s...\" is too long "
                          "(256 characters); " LBT_LABEL_RULE,
                          lbt_repeat('l', 80)));

    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - { name: tcp-tg, protocol: TCP, members: [\n"
              "          { name: \"\\tweb\", address: 127.0.0.1,"
              " protocol_port: 1 } ] }\n",
              "7:19: load_balancers[net-lb].target_groups[tcp-tg]"
              ".members[0].name: \"\\x09web\" has \\x09 at position 1; "
              LBT_LABEL_RULE);
}


/* SPEC.md 1: names unique in the file (balancers) and per balancer
 * (listeners, target groups) */
static void
test_unique_names(void **state)
{
    (void) state;

    lbt_ok("load_balancers:\n"
           "  - name: lb-one\n"
           "    type: NLB\n"
           "    address: 127.0.0.1\n"
           "    listeners: [ { name: tcp, protocol: TCP,"
           " protocol_port: 80 } ]\n"
           "    target_groups: [ { name: tcp-tg, protocol: TCP } ]\n"
           "  - name: lb-two\n"
           "    type: NLB\n"
           "    address: 127.0.0.2\n"
           "    listeners: [ { name: tcp, protocol: TCP,"
           " protocol_port: 80 } ]\n"
           "    target_groups: [ { name: tcp-tg, protocol: TCP } ]\n");

    lbt_error("load_balancers:\n"
              "  - { name: web-lb, type: NLB, address: 127.0.0.1 }\n"
              "  - { name: web-lb, type: NLB, address: 127.0.0.2 }\n",
              "3:13: load_balancers[web-lb].name: duplicate load balancer "
              "name \"web-lb\" (first at 2:13); load balancer names are "
              "unique in the file");

    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - { name: tcp-tg, protocol: TCP }\n"
              "      - { name: tcp-tg, protocol: UDP }\n",
              "7:17: load_balancers[net-lb].target_groups[tcp-tg].name: "
              "duplicate target group name \"tcp-tg\" (first at 6:17); "
              "target group names are unique in a load balancer");

    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - { name: tcp, protocol: TCP, protocol_port: 80 }\n"
              "      - { name: tcp, protocol: TCP, protocol_port: 81 }\n",
              "7:17: load_balancers[net-lb].listeners[tcp].name: duplicate "
              "listener name \"tcp\" (first at 6:17); listener names are "
              "unique in a load balancer");
}


/* SPEC.md 1: type and address of a balancer */
static void
test_balancer_fields(void **state)
{
    (void) state;

    lbt_ok("load_balancers:\n"
           "  - { name: web-lb, type: NLB_L4_DSR, address: \"fe80::1\" }\n");

    lbt_errors("load_balancers:\n"
               "  - { name: web-lb }\n",
               "2:5: load_balancers[web-lb].type: missing; required",
               "2:5: load_balancers[web-lb].address: missing; required",
               NULL);
    lbt_error("load_balancers:\n"
              "  - { name: web-lb, type: GLB, address: 127.0.0.1 }\n",
              "2:27: load_balancers[web-lb].type: \"GLB\" is not a valid "
              "value; allowed: ALB, NLB, NLB_L4_DSR");
    lbt_error("load_balancers:\n"
              "  - { name: web-lb, type: alb, address: 127.0.0.1 }\n",
              "2:27: load_balancers[web-lb].type: \"alb\" is not a valid "
              "value; allowed: ALB, NLB, NLB_L4_DSR");
    lbt_error("load_balancers:\n"
              "  - { name: web-lb, type: ALB, address: lb.example.com }\n",
              "2:41: load_balancers[web-lb].address: \"lb.example.com\" is "
              "not an IPv4 or IPv6 address; allowed: an address such as "
              "127.0.0.1 or ::1 (not a host name)");
    lbt_error("load_balancers:\n"
              "  - { name: web-lb, type: ALB, address: 127.0.0.256 }\n",
              "2:41: load_balancers[web-lb].address: \"127.0.0.256\" is "
              "not an IPv4 or IPv6 address; allowed: an address such as "
              "127.0.0.1 or ::1 (not a host name)");
}


/* SPEC.md 1: ALB: HTTP, HTTPS; NLB: TCP, TLS, UDP; NLB_L4_DSR: TCP, UDP */
static void
test_balancer_type_and_listener_protocol(void **state)
{
    unsigned     t, p;
    const char  *yaml, *want;

    static const char *const  types[] = { "ALB", "NLB", "NLB_L4_DSR" };
    static const char *const  protos[] = {
        "HTTP", "HTTPS", "TCP", "TLS", "UDP"
    };
    static const char *const  allowed[] = {
        "HTTP, HTTPS", "TCP, TLS, UDP", "TCP, UDP"
    };
    static const int  ok[3][5] = {
        { 1, 1, 0, 0, 0 },
        { 0, 0, 1, 1, 1 },
        { 0, 0, 1, 0, 1 },
    };

    (void) state;

    for (t = 0; t < 3; t++) {
        for (p = 0; p < 5; p++) {
            yaml = lb_psprintf(lbt_pool,
                               "load_balancers:\n"
                               "  - name: test-lb\n"
                               "    type: %s\n"
                               "    address: 127.0.0.1\n"
                               "    listeners:\n"
                               "      - protocol: %s\n"
                               "        name: l\n"
                               "        protocol_port: 80\n"
                               "%s", types[t], protos[p],
                               (p == 1 || p == 3)
                               ? "        tls_certificate: c.pem\n"
                                 "        tls_key: k.pem\n" : "");
            if (ok[t][p]) {
                lbt_ok(yaml);
                continue;
            }

            want = lb_psprintf(lbt_pool, "6:19: load_balancers[test-lb]"
                               ".listeners[l].protocol: %s listeners are "
                               "not allowed on %s load balancers; allowed: "
                               "%s", protos[p], types[t], allowed[t]);
            lbt_error(yaml, want);
        }
    }
}


/* SPEC.md 2: which target group protocols each listener may use */
static void
test_listener_target_group_protocols(void **state)
{
    unsigned     l, g;
    const char  *yaml, *want;

    static const char *const  lp[] = { "HTTP", "HTTPS", "TCP", "TLS", "UDP" };
    static const char *const  gp[] = {
        "HTTP", "HTTPS", "TCP", "UDP", "PROXY"
    };
    static const char *const  allowed[] = {
        "HTTP, PROXY", "HTTP, HTTPS", "HTTP, HTTPS, TCP, PROXY", "TCP", "UDP"
    };
    static const int  ok[5][5] = {
        /*           HTTP HTTPS TCP UDP PROXY */
        /* HTTP  */ { 1,   0,    0,  0,  1 },
        /* HTTPS */ { 1,   1,    0,  0,  0 },
        /* TCP   */ { 1,   1,    1,  0,  1 },
        /* TLS   */ { 0,   0,    1,  0,  0 },
        /* UDP   */ { 0,   0,    0,  1,  0 },
    };

    (void) state;

    for (l = 0; l < 5; l++) {
        for (g = 0; g < 5; g++) {
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
                               "        protocol: %s\n",
                               l < 2 ? "ALB" : "NLB", lp[l],
                               (l == 1 || l == 3)
                               ? "        tls_certificate: c.pem\n"
                                 "        tls_key: k.pem\n" : "",
                               gp[g]);
            if (ok[l][g]) {
                lbt_ok(yaml);
                continue;
            }

            want = lb_psprintf(lbt_pool, "9:23: load_balancers[test-lb]"
                               ".listeners[l].target_group: target group "
                               "\"the-tg\" is %s, which %s listeners cannot "
                               "use; allowed: %s target groups", gp[g], lp[l],
                               allowed[l]);
            lbt_error(yaml, want);
        }
    }
}


/* SPEC.md 1: the default target group is one of the same balancer */
static void
test_target_group_reference(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 80,"
               " target_group: tg-2 }\n"
               "    target_groups:\n"
               "      - { name: tg-1, protocol: TCP }\n"
               "      - { name: tg-2, protocol: TCP }\n");
    assert_ptr_equal(c->balancers[0].listeners[0].target_group,
                     &c->balancers[0].target_groups[1]);
    assert_string_equal(c->balancers[0].listeners[0].target_group_name,
                        "tg-2");

    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - { name: a, protocol: TCP, protocol_port: 80,"
              " target_group: tg-3 }\n"
              "    target_groups:\n"
              "      - { name: tg-1, protocol: TCP }\n"
              "      - { name: tg-2, protocol: TCP }\n",
              "6:68: load_balancers[net-lb].listeners[a].target_group: "
              "target group \"tg-3\" does not exist in this load balancer; "
              "allowed: the name of one of its target groups (tg-1, tg-2)");

    /* a group of another balancer does not count */
    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - { name: a, protocol: TCP, protocol_port: 80,"
              " target_group: other-tg }\n"
              "  - name: other-lb\n"
              "    type: NLB\n"
              "    address: 127.0.0.2\n"
              "    target_groups: [ { name: other-tg, protocol: TCP } ]\n",
              "6:68: load_balancers[net-lb].listeners[a].target_group: "
              "target group \"other-tg\" does not exist in this load "
              "balancer; allowed: the name of one of its target groups "
              "(none defined)");

    /* a reference to a group whose own name is wrong: one message */
    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - { name: a, protocol: TCP, protocol_port: 80,"
              " target_group: tg }\n"
              "    target_groups:\n"
              "      - { name: tg, protocol: TCP }\n",
              "8:17: load_balancers[net-lb].target_groups[tg].name: \"tg\" "
              "is too short (2 characters); " LBT_NAME_RULE);
}


static void
test_listener_port(void **state)
{
    (void) state;

    lbt_ok(LBT_NLB
           "    listeners:\n"
           "      - { name: a, protocol: TCP, protocol_port: 1 }\n"
           "      - { name: b, protocol: TCP, protocol_port: 65535 }\n");

    lbt_errors(LBT_NLB
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 0 }\n"
               "      - { name: b, protocol: TCP, protocol_port: 65536 }\n"
               "      - { name: c, protocol: TCP, protocol_port: http }\n"
               "      - { name: d, protocol: TCP }\n"
               "      - { name: e, protocol: SCTP, protocol_port: 1 }\n",
               "6:50: load_balancers[net-lb].listeners[a].protocol_port: 0 "
               "is out of range; allowed: 1..65535",
               "7:50: load_balancers[net-lb].listeners[b].protocol_port: "
               "65536 is out of range; allowed: 1..65535",
               "8:50: load_balancers[net-lb].listeners[c].protocol_port: "
               "\"http\" is not a number; allowed: 1..65535",
               "9:9: load_balancers[net-lb].listeners[d].protocol_port: "
               "missing; required",
               "10:30: load_balancers[net-lb].listeners[e].protocol: "
               "\"SCTP\" is not a valid value; allowed: HTTP, HTTPS, TCP, "
               "TLS, UDP", NULL);
}


/* a listening address, port and transport once in the whole file */
static void
test_listener_unique_address(void **state)
{
    (void) state;

    /* TCP and UDP on one port, and the same port on other addresses */
    lbt_ok("load_balancers:\n"
           "  - name: lb-one\n"
           "    type: NLB\n"
           "    address: 127.0.0.1\n"
           "    listeners:\n"
           "      - { name: t, protocol: TCP, protocol_port: 53 }\n"
           "      - { name: u, protocol: UDP, protocol_port: 53 }\n"
           "  - name: lb-two\n"
           "    type: NLB\n"
           "    address: 127.0.0.2\n"
           "    listeners:\n"
           "      - { name: t, protocol: TCP, protocol_port: 53 }\n");

    lbt_error("load_balancers:\n"
              "  - name: lb-one\n"
              "    type: ALB\n"
              "    address: 127.0.0.1\n"
              "    listeners:\n"
              "      - { name: h, protocol: HTTP, protocol_port: 80 }\n"
              "  - name: lb-two\n"
              "    type: NLB\n"
              "    address: 127.0.0.1\n"
              "    listeners:\n"
              "      - { name: t, protocol: TCP, protocol_port: 80 }\n",
              "11:50: load_balancers[lb-two].listeners[t].protocol_port: "
              "127.0.0.1:80/TCP is already used by "
              "load_balancers[lb-one].listeners[h] (at 6:51); an address, "
              "port and transport are used once");

    /* IPv6 addresses are compared in their canonical form */
    lbt_errors("load_balancers:\n"
              "  - name: lb-one\n"
              "    type: NLB\n"
              "    address: \"::1\"\n"
              "    listeners:\n"
              "      - { name: u, protocol: UDP, protocol_port: 53 }\n"
              "      - { name: v, protocol: UDP, protocol_port: 53 }\n"
              "  - name: lb-two\n"
              "    type: NLB\n"
              "    address: \"0:0::0:1\"\n"
              "    listeners:\n"
              "      - { name: u, protocol: UDP, protocol_port: 53 }\n",
               "7:50: load_balancers[lb-one].listeners[v].protocol_port: "
               "[::1]:53/UDP is already used by "
               "load_balancers[lb-one].listeners[u] (at 6:50); an address, "
               "port and transport are used once",
               "12:50: load_balancers[lb-two].listeners[u].protocol_port: "
               "[::1]:53/UDP is already used by "
               "load_balancers[lb-one].listeners[u] (at 6:50); an address, "
               "port and transport are used once", NULL);
}


/* SPEC.md 2: forwarded headers on HTTP and HTTPS listeners only */
static void
test_insert_headers(void **state)
{
    lb_conf_t      *c;
    lb_listener_t  *l;

    (void) state;

    c = lbt_ok(LBT_ALB
               "    listeners:\n"
               "      - name: a\n"
               "        protocol: HTTP\n"
               "        protocol_port: 80\n"
               "        insert_headers:\n"
               "          X-Forwarded-For: \"false\"\n"
               "          X-Forwarded-Proto: true\n"
               "      - name: b\n"
               "        protocol: HTTP\n"
               "        protocol_port: 81\n"
               "        insert_headers: { X-Forwarded-For: remove,"
               " X-Forwarded-Port: true }\n"
               "      - { name: c, protocol: HTTPS, protocol_port: 443,"
               " tls_certificate: c, tls_key: k,"
               " insert_headers: { X-Forwarded-For: true } }\n");

    l = c->balancers[0].listeners;
    assert_int_equal(l[0].x_forwarded_for, LB_XFF_FALSE);
    assert_true(l[0].x_forwarded_proto);
    assert_false(l[0].x_forwarded_port);
    assert_int_equal(l[1].x_forwarded_for, LB_XFF_REMOVE);
    assert_false(l[1].x_forwarded_proto);
    assert_true(l[1].x_forwarded_port);
    assert_int_equal(l[2].x_forwarded_for, LB_XFF_TRUE);

    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - name: t\n"
              "        protocol: TCP\n"
              "        protocol_port: 80\n"
              "        insert_headers: { X-Forwarded-For: true }\n",
              "9:25: load_balancers[net-lb].listeners[t].insert_headers: not "
              "allowed here: only on HTTP and HTTPS listeners (protocol is "
              "TCP)");

    lbt_errors(LBT_ALB
               "    listeners:\n"
               "      - name: a\n"
               "        protocol: HTTP\n"
               "        protocol_port: 80\n"
               "        insert_headers:\n"
               "          X-Forwarded-For: strip\n"
               "          X-Forwarded-Proto: remove\n"
               "          X-Forwarded-Host: true\n",
               "10:28: load_balancers[web-lb].listeners[a].insert_headers"
               ".X-Forwarded-For: \"strip\" is not a valid value; allowed: "
               "true, false, remove",
               "11:30: load_balancers[web-lb].listeners[a].insert_headers"
               ".X-Forwarded-Proto: \"remove\" is not a boolean; allowed: "
               "true, false",
               "12:11: load_balancers[web-lb].listeners[a].insert_headers"
               ".X-Forwarded-Host: unknown field \"X-Forwarded-Host\"; "
               "allowed: X-Forwarded-For, X-Forwarded-Proto, "
               "X-Forwarded-Port", NULL);
}


static void
test_timeout_client_data(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 1,"
               " timeout_client_data: 1000 }\n"
               "      - { name: b, protocol: TCP, protocol_port: 2,"
               " timeout_client_data: 4000000 }\n"
               "      - { name: c, protocol: TCP, protocol_port: 3 }\n");
    assert_int_equal(c->balancers[0].listeners[0].timeout_client_data, 1000);
    assert_int_equal(c->balancers[0].listeners[1].timeout_client_data,
                     4000000);
    assert_int_equal(c->balancers[0].listeners[2].timeout_client_data, 50000);

    lbt_errors(LBT_NLB
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 1,"
               " timeout_client_data: 999 }\n"
               "      - { name: b, protocol: TCP, protocol_port: 2,"
               " timeout_client_data: 4000001 }\n",
               "6:74: load_balancers[net-lb].listeners[a]"
               ".timeout_client_data: 999 is out of range; allowed: "
               "1000..4000000 ms",
               "7:74: load_balancers[net-lb].listeners[b]"
               ".timeout_client_data: 4000001 is out of range; allowed: "
               "1000..4000000 ms", NULL);
}


/* weir's timeout_client_header (HTTP and HTTPS listeners only) and
 * Octavia's timeout_member_connect / timeout_member_data (every
 * listener), all in ms */
static void
test_http_timeouts(void **state)
{
    lb_conf_t      *c;
    lb_listener_t  *l;

    (void) state;

    c = lbt_ok(LBT_ALB
               "    listeners:\n"
               "      - { name: a, protocol: HTTP, protocol_port: 1,"
               " timeout_client_header: 1000, timeout_member_connect: 1000,"
               " timeout_member_data: 1000 }\n"
               "      - { name: b, protocol: HTTP, protocol_port: 2,"
               " timeout_client_header: 4000000,"
               " timeout_member_connect: 4000000,"
               " timeout_member_data: 4000000 }\n"
               "      - { name: c, protocol: HTTP, protocol_port: 3 }\n");
    l = c->balancers[0].listeners;
    assert_int_equal(l[0].timeout_client_header, 1000);
    assert_int_equal(l[0].timeout_member_connect, 1000);
    assert_int_equal(l[0].timeout_member_data, 1000);
    assert_int_equal(l[1].timeout_client_header, 4000000);
    assert_int_equal(l[1].timeout_member_connect, 4000000);
    assert_int_equal(l[1].timeout_member_data, 4000000);
    assert_int_equal(l[2].timeout_client_header, 10000);
    assert_int_equal(l[2].timeout_member_connect, 5000);
    assert_int_equal(l[2].timeout_member_data, 50000);

    c = lbt_ok(LBT_NLB
               "    listeners:\n"
               "      - { name: t, protocol: TCP, protocol_port: 1,"
               " timeout_member_connect: 2000, timeout_member_data: 3000 }\n");
    l = c->balancers[0].listeners;
    assert_int_equal(l[0].timeout_member_connect, 2000);
    assert_int_equal(l[0].timeout_member_data, 3000);

    lbt_errors(LBT_ALB
               "    listeners:\n"
               "      - { name: a, protocol: HTTP, protocol_port: 1,"
               " timeout_client_header: 999 }\n"
               "      - { name: b, protocol: HTTP, protocol_port: 2,"
               " timeout_member_connect: 4000001 }\n"
               "      - { name: c, protocol: HTTP, protocol_port: 3,"
               " timeout_member_data: 0 }\n",
               "6:77: load_balancers[web-lb].listeners[a]"
               ".timeout_client_header: 999 is out of range; allowed: "
               "1000..4000000 ms",
               "7:78: load_balancers[web-lb].listeners[b]"
               ".timeout_member_connect: 4000001 is out of range; allowed: "
               "1000..4000000 ms",
               "8:75: load_balancers[web-lb].listeners[c]"
               ".timeout_member_data: 0 is out of range; allowed: "
               "1000..4000000 ms", NULL);

    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - { name: t, protocol: TCP, protocol_port: 1,"
              " timeout_client_header: 2000 }\n",
              "6:76: load_balancers[net-lb].listeners[t]"
              ".timeout_client_header: not allowed here: only on HTTP and "
              "HTTPS listeners (protocol is TCP)");
}


static void
test_connection_limit(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 1,"
               " connection_limit: -1 }\n"
               "      - { name: b, protocol: TCP, protocol_port: 2,"
               " connection_limit: 1 }\n"
               "      - { name: c, protocol: TCP, protocol_port: 3,"
               " connection_limit: 1000000 }\n"
               "      - { name: d, protocol: TCP, protocol_port: 4 }\n");
    assert_int_equal(c->balancers[0].listeners[0].connection_limit, -1);
    assert_int_equal(c->balancers[0].listeners[1].connection_limit, 1);
    assert_int_equal(c->balancers[0].listeners[2].connection_limit, 1000000);
    assert_int_equal(c->balancers[0].listeners[3].connection_limit, -1);

    lbt_errors(LBT_NLB
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 1,"
               " connection_limit: 0 }\n"
               "      - { name: b, protocol: TCP, protocol_port: 2,"
               " connection_limit: -2 }\n"
               "      - { name: c, protocol: TCP, protocol_port: 3,"
               " connection_limit: 1000001 }\n",
               "6:71: load_balancers[net-lb].listeners[a].connection_limit: "
               "0 is out of range; allowed: -1 (unlimited) or 1..1000000",
               "7:71: load_balancers[net-lb].listeners[b].connection_limit: "
               "-2 is out of range; allowed: -1 (unlimited) or 1..1000000",
               "8:71: load_balancers[net-lb].listeners[c].connection_limit: "
               "1000001 is out of range; allowed: -1 (unlimited) or "
               "1..1000000", NULL);
}


/* certificate and key on HTTPS and TLS listeners, nowhere else */
static void
test_tls_certificate(void **state)
{
    (void) state;

    lbt_ok(LBT_NLB
           "    listeners:\n"
           "      - { name: t, protocol: TLS, protocol_port: 443,"
           " tls_certificate: c.pem, tls_key: k.pem }\n");

    lbt_errors(LBT_ALB
               "    listeners:\n"
               "      - { name: s, protocol: HTTPS, protocol_port: 443 }\n"
               "      - { name: t, protocol: HTTPS, protocol_port: 444,"
               " tls_certificate: c.pem }\n",
               "6:9: load_balancers[web-lb].listeners[s].tls_certificate: "
               "missing; required (protocol is HTTPS)",
               "6:9: load_balancers[web-lb].listeners[s].tls_key: missing; "
               "required (protocol is HTTPS)",
               "7:9: load_balancers[web-lb].listeners[t].tls_key: missing; "
               "required (protocol is HTTPS)", NULL);

    lbt_errors(LBT_ALB
               "    listeners:\n"
               "      - { name: h, protocol: HTTP, protocol_port: 80,"
               " tls_certificate: c.pem, tls_key: k.pem }\n",
               "6:72: load_balancers[web-lb].listeners[h].tls_certificate: "
               "not allowed here: only on HTTPS and TLS listeners (protocol "
               "is HTTP)",
               "6:88: load_balancers[web-lb].listeners[h].tls_key: not "
               "allowed here: only on HTTPS and TLS listeners (protocol is "
               "HTTP)", NULL);
}


static void
test_sni_and_tls_version(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    listeners:\n"
               "      - name: t\n"
               "        protocol: TLS\n"
               "        protocol_port: 443\n"
               "        tls_certificate: c.pem\n"
               "        tls_key: k.pem\n"
               "        tls_min_version: TLSv1\n"
               "        sni_certificates:\n"
               "          - { tls_certificate: a.pem, tls_key: a.key }\n"
               "          - { tls_certificate: b.pem, tls_key: b.key }\n"
               "      - { name: u, protocol: TLS, protocol_port: 444,"
               " tls_certificate: c.pem, tls_key: k.pem }\n");
    assert_int_equal(c->balancers[0].listeners[0].tls_min_version, LB_TLSv1);
    assert_int_equal(c->balancers[0].listeners[0].nsni_certificates, 2);
    assert_string_equal(c->balancers[0].listeners[0].sni_certificates[1].key,
                        "b.key");
    assert_int_equal(c->balancers[0].listeners[1].tls_min_version,
                     LB_TLSv1_2);

    lbt_errors(LBT_NLB
               "    listeners:\n"
               "      - name: t\n"
               "        protocol: TLS\n"
               "        protocol_port: 443\n"
               "        tls_certificate: c.pem\n"
               "        tls_key: k.pem\n"
               "        tls_min_version: SSLv3\n"
               "        sni_certificates:\n"
               "          - { tls_certificate: a.pem }\n"
               "      - { name: u, protocol: TCP, protocol_port: 80,"
               " tls_min_version: TLSv1.3, sni_certificates: [] }\n",
               "11:26: load_balancers[net-lb].listeners[t].tls_min_version: "
               "\"SSLv3\" is not a valid value; allowed: TLSv1, TLSv1.1, "
               "TLSv1.2, TLSv1.3",
               "13:13: load_balancers[net-lb].listeners[t]"
               ".sni_certificates[0].tls_key: missing; required",
               "14:71: load_balancers[net-lb].listeners[u].tls_min_version: "
               "not allowed here: only on HTTPS and TLS listeners (protocol "
               "is TCP)",
               "14:98: load_balancers[net-lb].listeners[u].sni_certificates: "
               "not allowed here: only on HTTPS and TLS listeners (protocol "
               "is TCP)", NULL);
}


/* SPEC.md 2: PROXY protocol version, PROXY groups only */
static void
test_proxy_protocol_version(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    target_groups:\n"
               "      - { name: px-one, protocol: PROXY }\n"
               "      - { name: px-two, protocol: PROXY,"
               " proxy_protocol_version: 2 }\n"
               "      - { name: px-three, protocol: PROXY,"
               " proxy_protocol_version: 1 }\n");
    assert_int_equal(c->balancers[0].target_groups[0].proxy_protocol_version,
                     1);
    assert_int_equal(c->balancers[0].target_groups[1].proxy_protocol_version,
                     2);

    lbt_errors(LBT_NLB
               "    target_groups:\n"
               "      - { name: px-one, protocol: PROXY,"
               " proxy_protocol_version: 3 }\n"
               "      - { name: tcp-tg, protocol: TCP,"
               " proxy_protocol_version: 1 }\n",
               "6:66: load_balancers[net-lb].target_groups[px-one]"
               ".proxy_protocol_version: 3 is out of range; allowed: 1..2",
               "7:64: load_balancers[net-lb].target_groups[tcp-tg]"
               ".proxy_protocol_version: not allowed here: only in PROXY "
               "target groups (protocol is TCP)", NULL);
}


/* SPEC.md 3 */
static void
test_algorithm(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    target_groups:\n"
               "      - { name: tg-1, protocol: TCP }\n"
               "      - { name: tg-2, protocol: TCP,"
               " load_balancer_algorithm: LEAST_CONNECTIONS }\n"
               "      - { name: tg-3, protocol: TCP,"
               " load_balancer_algorithm: SOURCE_IP }\n");
    assert_int_equal(c->balancers[0].target_groups[0].load_balancer_algorithm,
                     LB_ALGO_ROUND_ROBIN);
    assert_int_equal(c->balancers[0].target_groups[1].load_balancer_algorithm,
                     LB_ALGO_LEAST_CONNECTIONS);
    assert_int_equal(c->balancers[0].target_groups[2].load_balancer_algorithm,
                     LB_ALGO_SOURCE_IP);

    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - { name: tg-1, protocol: TCP,"
              " load_balancer_algorithm: RANDOM }\n",
              "6:63: load_balancers[net-lb].target_groups[tg-1]"
              ".load_balancer_algorithm: \"RANDOM\" is not a valid value; "
              "allowed: ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP");
}


/* SPEC.md 3: SOURCE_IP with sticky sessions is an error */
static void
test_source_ip_algorithm_and_sticky(void **state)
{
    (void) state;

    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - { name: t, protocol: TCP, protocol_port: 80,"
              " target_group: tg-1 }\n"
              "    target_groups:\n"
              "      - name: tg-1\n"
              "        protocol: TCP\n"
              "        load_balancer_algorithm: SOURCE_IP\n"
              "        session_persistence: { type: SOURCE_IP }\n",
              "11:30: load_balancers[net-lb].target_groups[tg-1]"
              ".session_persistence: sticky sessions cannot be enabled with "
              "load_balancer_algorithm SOURCE_IP, which already keeps each "
              "client on one target; remove session_persistence or choose "
              "ROUND_ROBIN or LEAST_CONNECTIONS");
}


/* SPEC.md 4 */
static void
test_weight(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    target_groups:\n"
               "      - name: tg-1\n"
               "        protocol: TCP\n"
               "        members:\n"
               "          - { address: 127.0.0.1, protocol_port: 1 }\n"
               "          - { address: 127.0.0.1, protocol_port: 2,"
               " weight: 0 }\n"
               "          - { address: 127.0.0.1, protocol_port: 3,"
               " weight: 256 }\n");
    assert_int_equal(c->balancers[0].target_groups[0].targets[0].weight, 1);
    assert_int_equal(c->balancers[0].target_groups[0].targets[1].weight, 0);
    assert_int_equal(c->balancers[0].target_groups[0].targets[2].weight, 256);

    lbt_errors(LBT_NLB
               "    target_groups:\n"
               "      - name: tg-1\n"
               "        protocol: TCP\n"
               "        members:\n"
               "          - { address: 127.0.0.1, protocol_port: 1,"
               " weight: 257 }\n"
               "          - { address: 127.0.0.1, protocol_port: 2,"
               " weight: -1 }\n"
               "          - { address: 127.0.0.1, protocol_port: 3,"
               " weight: 1.5 }\n",
               "9:61: load_balancers[net-lb].target_groups[tg-1].members[0]"
               ".weight: 257 is out of range; allowed: 0..256",
               "10:61: load_balancers[net-lb].target_groups[tg-1].members[1]"
               ".weight: -1 is out of range; allowed: 0..256",
               "11:61: load_balancers[net-lb].target_groups[tg-1].members[2]"
               ".weight: \"1.5\" is not a number; allowed: 0..256", NULL);
}


/* SPEC.md 7: target fields */
static void
test_member_fields(void **state)
{
    lb_conf_t    *c;
    lb_target_t  *t;

    (void) state;

    c = lbt_ok(LBT_NLB
               "    target_groups:\n"
               "      - name: tg-1\n"
               "        protocol: TCP\n"
               "        members:\n"
               "          - { address: 127.0.0.1, protocol_port: 65535 }\n"
               "          - { address: \"2001:db8::1\", protocol_port: 1,"
               " monitor_port: 65535, subnet_id: s-1, instance_id: i-1,"
               " instance_name: web }\n");
    t = c->balancers[0].target_groups[0].targets;
    assert_int_equal(t[0].monitor_port, 65535);
    assert_string_equal(t[1].addr.text, "[2001:db8::1]:1");
    assert_string_equal(t[1].address, "2001:db8::1");
    assert_int_equal(t[1].monitor_port, 65535);
    assert_string_equal(t[1].subnet_id, "s-1");
    assert_string_equal(t[1].instance_id, "i-1");
    assert_string_equal(t[1].instance_name, "web");

    lbt_errors(LBT_NLB
               "    target_groups:\n"
               "      - name: tg-1\n"
               "        protocol: TCP\n"
               "        members:\n"
               "          - { protocol_port: 1 }\n"
               "          - { address: web1, protocol_port: 0 }\n"
               "          - { address: 127.0.0.1, protocol_port: 2,"
               " monitor_port: 0 }\n"
               "          - { address: 127.0.0.1, protocol_port: 3,"
               " monitor_port: 65536 }\n",
               "9:13: load_balancers[net-lb].target_groups[tg-1].members[0]"
               ".address: missing; required",
               "10:24: load_balancers[net-lb].target_groups[tg-1].members[1]"
               ".address: \"web1\" is not an IPv4 or IPv6 address; allowed: "
               "an address such as 127.0.0.1 or ::1 (not a host name)",
               "10:45: load_balancers[net-lb].target_groups[tg-1].members[1]"
               ".protocol_port: 0 is out of range; allowed: 1..65535",
               "11:67: load_balancers[net-lb].target_groups[tg-1].members[2]"
               ".monitor_port: 0 is out of range; allowed: 1..65535",
               "12:67: load_balancers[net-lb].target_groups[tg-1].members[3]"
               ".monitor_port: 65536 is out of range; allowed: 1..65535",
               NULL);
}


/* SPEC.md 7: a target is its address and port, once per group */
static void
test_member_unique(void **state)
{
    (void) state;

    lbt_ok(LBT_NLB
           "    target_groups:\n"
           "      - name: tg-1\n"
           "        protocol: TCP\n"
           "        members:\n"
           "          - { address: 127.0.0.1, protocol_port: 1 }\n"
           "          - { address: 127.0.0.1, protocol_port: 2 }\n"
           "          - { address: 127.0.0.2, protocol_port: 1 }\n"
           "      - name: tg-2\n"
           "        protocol: TCP\n"
           "        members:\n"
           "          - { address: 127.0.0.1, protocol_port: 1 }\n");

    lbt_error(LBT_NLB
              "    target_groups:\n"
              "      - name: tg-1\n"
              "        protocol: TCP\n"
              "        members:\n"
              "          - { address: \"::1\", protocol_port: 1 }\n"
              "          - { address: 127.0.0.1, protocol_port: 1 }\n"
              "          - { address: \"0::1\", protocol_port: 1 }\n",
              "11:24: load_balancers[net-lb].target_groups[tg-1].members[2]"
              ".address: duplicate member [::1]:1 (first at 9:24); address "
              "and protocol_port are unique in a target group");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_balancer_name),
        lbt_test(test_target_group_name),
        lbt_test(test_listener_and_member_names),
        lbt_test(test_unique_names),
        lbt_test(test_balancer_fields),
        lbt_test(test_balancer_type_and_listener_protocol),
        lbt_test(test_listener_target_group_protocols),
        lbt_test(test_target_group_reference),
        lbt_test(test_listener_port),
        lbt_test(test_listener_unique_address),
        lbt_test(test_insert_headers),
        lbt_test(test_timeout_client_data),
        lbt_test(test_http_timeouts),
        lbt_test(test_connection_limit),
        lbt_test(test_tls_certificate),
        lbt_test(test_sni_and_tls_version),
        lbt_test(test_proxy_protocol_version),
        lbt_test(test_algorithm),
        lbt_test(test_source_ip_algorithm_and_sticky),
        lbt_test(test_weight),
        lbt_test(test_member_fields),
        lbt_test(test_member_unique),
    };

    return cmocka_run_group_tests_name("lb_conf objects", tests, NULL, NULL);
}
