/* weir: configuration rules of SPEC.md section 9, NLB_L4_DSR balancers:
 * TCP -> TCP and UDP -> UDP only, the listener's port is every target's
 * port, all targets of a group share one port, a group serves one
 * listener. ("Targets are on the balancer's subnet" needs the subnets,
 * which the file does not hold: not checked, see lb_conf_check.c.) */
#include "test_lb_conf_helpers.h"

#define LBT_DSR_PATH  "load_balancers[dsr-lb]"


static void
test_dsr_valid(void **state)
{
    lb_conf_t  *c;

    (void) state;

    c = lbt_ok(LBT_DSR
               "    listeners:\n"
               "      - { name: t, protocol: TCP, protocol_port: 80,"
               " target_group: tcp-tg }\n"
               "      - { name: u, protocol: UDP, protocol_port: 53,"
               " target_group: udp-tg }\n"
               "    target_groups:\n"
               "      - name: tcp-tg\n"
               "        protocol: TCP\n"
               "        members:\n"
               "          - { address: 127.0.0.5, protocol_port: 80 }\n"
               "          - { address: 127.0.0.6, protocol_port: 80 }\n"
               "      - name: udp-tg\n"
               "        protocol: UDP\n"
               "        members:\n"
               "          - { address: 127.0.0.5, protocol_port: 53 }\n");
    assert_int_equal(c->balancers[0].type, LB_BALANCER_NLB_L4_DSR);
    assert_ptr_equal(c->balancers[0].listeners[1].target_group,
                     &c->balancers[0].target_groups[1]);
}


/* only TCP -> TCP and UDP -> UDP: no PROXY header or HTTP can be added
 * to packets that are forwarded unchanged */
static void
test_dsr_protocol_pairs(void **state)
{
    (void) state;

    lbt_errors(LBT_DSR
               "    listeners:\n"
               "      - { name: a, protocol: TCP, protocol_port: 80,"
               " target_group: px-tg }\n"
               "      - { name: b, protocol: TCP, protocol_port: 81,"
               " target_group: http-tg }\n"
               "      - { name: c, protocol: UDP, protocol_port: 82,"
               " target_group: tcp-tg }\n"
               "    target_groups:\n"
               "      - { name: px-tg, protocol: PROXY }\n"
               "      - { name: http-tg, protocol: HTTP }\n"
               "      - { name: tcp-tg, protocol: TCP }\n",
               "6:68: " LBT_DSR_PATH ".listeners[a].target_group: target "
               "group \"px-tg\" is PROXY, which TCP listeners of NLB_L4_DSR "
               "load balancers cannot use; allowed: TCP target groups",
               "7:68: " LBT_DSR_PATH ".listeners[b].target_group: target "
               "group \"http-tg\" is HTTP, which TCP listeners of NLB_L4_DSR "
               "load balancers cannot use; allowed: TCP target groups",
               "8:68: " LBT_DSR_PATH ".listeners[c].target_group: target "
               "group \"tcp-tg\" is TCP, which UDP listeners of NLB_L4_DSR "
               "load balancers cannot use; allowed: UDP target groups",
               NULL);

    lbt_error(LBT_DSR
              "    listeners:\n"
              "      - { name: a, protocol: TLS, protocol_port: 443,"
              " tls_certificate: c, tls_key: k }\n",
              "6:30: " LBT_DSR_PATH ".listeners[a].protocol: TLS listeners "
              "are not allowed on NLB_L4_DSR load balancers; allowed: TCP, "
              "UDP");
}


/* packets keep their destination port */
static void
test_dsr_listener_port_is_target_port(void **state)
{
    (void) state;

    lbt_error(LBT_DSR
              "    listeners:\n"
              "      - { name: t, protocol: TCP, protocol_port: 80,"
              " target_group: tcp-tg }\n"
              "    target_groups:\n"
              "      - name: tcp-tg\n"
              "        protocol: TCP\n"
              "        members:\n"
              "          - { address: 127.0.0.5, protocol_port: 80 }\n"
              "          - { address: 127.0.0.6, protocol_port: 8080 }\n",
              "12:50: " LBT_DSR_PATH ".target_groups[tcp-tg].members[1]"
              ".protocol_port: 8080 differs from port 80 of listener \"t\"; "
              "on an NLB_L4_DSR load balancer targets listen on the "
              "listener's port");

    /* the same group behind an NLB may use any ports */
    lbt_ok(LBT_NLB
           "    listeners:\n"
           "      - { name: t, protocol: TCP, protocol_port: 80,"
           " target_group: tcp-tg }\n"
           "    target_groups:\n"
           "      - name: tcp-tg\n"
           "        protocol: TCP\n"
           "        members:\n"
           "          - { address: 127.0.0.5, protocol_port: 81 }\n"
           "          - { address: 127.0.0.6, protocol_port: 8080 }\n");
}


/* a group no listener uses yet: its targets still share one port */
static void
test_dsr_targets_share_port(void **state)
{
    (void) state;

    lbt_ok(LBT_DSR
           "    target_groups:\n"
           "      - name: udp-tg\n"
           "        protocol: UDP\n"
           "        members:\n"
           "          - { address: 127.0.0.5, protocol_port: 53 }\n"
           "          - { address: 127.0.0.6, protocol_port: 53 }\n");

    lbt_error(LBT_DSR
              "    target_groups:\n"
              "      - name: udp-tg\n"
              "        protocol: UDP\n"
              "        members:\n"
              "          - { address: 127.0.0.5, protocol_port: 53 }\n"
              "          - { address: 127.0.0.6, protocol_port: 5353 }\n",
              "10:50: " LBT_DSR_PATH ".target_groups[udp-tg].members[1]"
              ".protocol_port: 5353 differs from port 53 of the first "
              "member; on an NLB_L4_DSR load balancer all targets of a group "
              "share one port");
}


/* a group serves one listener only */
static void
test_dsr_one_listener_per_group(void **state)
{
    (void) state;

    lbt_error(LBT_DSR
              "    listeners:\n"
              "      - { name: a, protocol: TCP, protocol_port: 80,"
              " target_group: tcp-tg }\n"
              "      - { name: b, protocol: TCP, protocol_port: 81,"
              " target_group: tcp-tg }\n"
              "    target_groups:\n"
              "      - { name: tcp-tg, protocol: TCP }\n",
              "7:68: " LBT_DSR_PATH ".listeners[b].target_group: target group "
              "\"tcp-tg\" already serves listener \"a\" (at 6:68); on an "
              "NLB_L4_DSR load balancer a target group serves one listener "
              "only");

    /* an NLB group may serve several listeners */
    lbt_ok(LBT_NLB
           "    listeners:\n"
           "      - { name: a, protocol: TCP, protocol_port: 80,"
           " target_group: tcp-tg }\n"
           "      - { name: b, protocol: TCP, protocol_port: 81,"
           " target_group: tcp-tg }\n"
           "    target_groups:\n"
           "      - { name: tcp-tg, protocol: TCP }\n");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_dsr_valid),
        lbt_test(test_dsr_protocol_pairs),
        lbt_test(test_dsr_listener_port_is_target_port),
        lbt_test(test_dsr_targets_share_port),
        lbt_test(test_dsr_one_listener_per_group),
    };

    return cmocka_run_group_tests_name("lb_conf DSR", tests, NULL, NULL);
}
