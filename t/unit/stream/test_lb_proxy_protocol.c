/* weir: unit tests for the PROXY protocol header builder
 * (src/stream/lb_proxy_protocol.c): the exact bytes of v1 and v2 for IPv4
 * and IPv6, IPv4-mapped addresses, mixed families, UDP in v2, and buffers
 * that are too small. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lb_proxy_protocol.h"

static const uint8_t  sig[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};


static struct sockaddr_storage
addr(const char *ip, unsigned port)
{
    struct sockaddr_storage   ss;
    struct sockaddr_in       *sin;
    struct sockaddr_in6      *sin6;

    memset(&ss, 0, sizeof(ss));

    if (strchr(ip, ':') != NULL) {
        sin6 = (struct sockaddr_in6 *) &ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);

    } else {
        sin = (struct sockaddr_in *) &ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
    }

    return ss;
}


static size_t
build(uint8_t *buf, size_t size, unsigned version, int sotype,
    const char *cip, unsigned cport, const char *lip, unsigned lport)
{
    struct sockaddr_storage  c, l;

    c = addr(cip, cport);
    l = addr(lip, lport);

    return lb_proxy_protocol_write(buf, size, version, sotype,
                                   (struct sockaddr *) &c,
                                   (struct sockaddr *) &l);
}


static void
test_v1_ipv4(void **state)
{
    static const char  want[] =
        "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
    uint8_t            buf[LB_PROXY_PROTOCOL_MAX];
    size_t             n;

    n = build(buf, sizeof(buf), 1, SOCK_STREAM, "192.0.2.1", 56324,
              "198.51.100.7", 443);
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(buf, want, n);
}


static void
test_v1_ipv6(void **state)
{
    static const char  want[] =
        "PROXY TCP6 2001:db8::1 ::1 65535 8080\r\n";
    static const char  longest[] =
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 65535 65535\r\n";
    uint8_t            buf[LB_PROXY_PROTOCOL_MAX];
    size_t             n;

    n = build(buf, sizeof(buf), 1, SOCK_STREAM, "2001:db8::1", 65535,
              "::1", 8080);
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(buf, want, n);

    /* the longest line fits the spec's 107 bytes */
    n = build(buf, sizeof(buf), 1, SOCK_STREAM,
              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
    assert_int_equal(n, sizeof(longest) - 1);
    assert_true(n <= 107);
    assert_memory_equal(buf, longest, n);
}


static void
test_v1_mapped_and_unknown(void **state)
{
    static const char  mapped[] =
        "PROXY TCP4 10.0.0.5 10.0.0.1 1234 80\r\n";
    static const char  unknown[] = "PROXY UNKNOWN\r\n";
    uint8_t            buf[LB_PROXY_PROTOCOL_MAX];
    size_t             n;

    /* an IPv4 client on an IPv6 socket */
    n = build(buf, sizeof(buf), 1, SOCK_STREAM, "::ffff:10.0.0.5", 1234,
              "::ffff:10.0.0.1", 80);
    assert_int_equal(n, sizeof(mapped) - 1);
    assert_memory_equal(buf, mapped, n);

    /* families that differ */
    n = build(buf, sizeof(buf), 1, SOCK_STREAM, "10.0.0.5", 1234,
              "2001:db8::1", 80);
    assert_int_equal(n, sizeof(unknown) - 1);
    assert_memory_equal(buf, unknown, n);

    /* v1 has no UDP */
    n = build(buf, sizeof(buf), 1, SOCK_DGRAM, "10.0.0.5", 1234,
              "10.0.0.1", 53);
    assert_memory_equal(buf, unknown, n);

    /* no client address at all */
    n = lb_proxy_protocol_write(buf, sizeof(buf), 1, SOCK_STREAM, NULL,
                                NULL);
    assert_int_equal(n, sizeof(unknown) - 1);
}


static void
test_v2_ipv4(void **state)
{
    static const uint8_t  tail[] = {
        0x21, 0x11, 0x00, 0x0c,
        192, 0, 2, 1,                 /* source */
        198, 51, 100, 7,              /* destination */
        0xdc, 0x04,                   /* 56324 */
        0x01, 0xbb                    /* 443 */
    };
    uint8_t               buf[LB_PROXY_PROTOCOL_MAX];
    size_t                n;

    n = build(buf, sizeof(buf), 2, SOCK_STREAM, "192.0.2.1", 56324,
              "198.51.100.7", 443);
    assert_int_equal(n, 28);
    assert_memory_equal(buf, sig, 12);
    assert_memory_equal(buf + 12, tail, sizeof(tail));

    /* UDP: transport 2 */
    n = build(buf, sizeof(buf), 2, SOCK_DGRAM, "192.0.2.1", 56324,
              "198.51.100.7", 443);
    assert_int_equal(n, 28);
    assert_int_equal(buf[13], 0x12);
}


static void
test_v2_ipv6(void **state)
{
    static const uint8_t  tail[] = {
        0x21, 0x21, 0x00, 0x24,
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
        0xff, 0xff,                   /* 65535 */
        0x1f, 0x90                    /* 8080 */
    };
    uint8_t               buf[LB_PROXY_PROTOCOL_MAX];
    size_t                n;

    n = build(buf, sizeof(buf), 2, SOCK_STREAM, "2001:db8::1", 65535,
              "::1", 8080);
    assert_int_equal(n, 52);
    assert_int_equal(n, LB_PROXY_PROTOCOL_V2_MAX);
    assert_memory_equal(buf, sig, 12);
    assert_memory_equal(buf + 12, tail, sizeof(tail));
}


static void
test_v2_mapped_and_unspec(void **state)
{
    static const uint8_t  unspec[] = { 0x21, 0x00, 0x00, 0x00 };
    uint8_t               buf[LB_PROXY_PROTOCOL_MAX];
    size_t                n;

    n = build(buf, sizeof(buf), 2, SOCK_STREAM, "::ffff:10.0.0.5", 1234,
              "::ffff:10.0.0.1", 80);
    assert_int_equal(n, 28);
    assert_int_equal(buf[13], 0x11);
    assert_memory_equal(buf + 16, "\x0a\x00\x00\x05\x0a\x00\x00\x01", 8);

    n = build(buf, sizeof(buf), 2, SOCK_STREAM, "10.0.0.5", 1234,
              "2001:db8::1", 80);
    assert_int_equal(n, 16);
    assert_memory_equal(buf, sig, 12);
    assert_memory_equal(buf + 12, unspec, 4);
}


static void
test_small_buffer_and_version(void **state)
{
    uint8_t  buf[LB_PROXY_PROTOCOL_MAX];

    memset(buf, 0xaa, sizeof(buf));

    assert_int_equal(build(buf, 27, 2, SOCK_STREAM, "192.0.2.1", 1,
                           "192.0.2.2", 2), 0);
    assert_int_equal(build(buf, 51, 2, SOCK_STREAM, "2001:db8::1", 1,
                           "::1", 2), 0);
    /* "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n" is 36 bytes */
    assert_int_equal(build(buf, 35, 1, SOCK_STREAM, "192.0.2.1", 1,
                           "192.0.2.2", 2), 0);
    assert_int_equal(buf[0], 0xaa);
    assert_int_equal(build(buf, 36, 1, SOCK_STREAM, "192.0.2.1", 1,
                           "192.0.2.2", 2), 36);

    assert_int_equal(build(buf, sizeof(buf), 0, SOCK_STREAM, "192.0.2.1", 1,
                           "192.0.2.2", 2), 0);
    assert_int_equal(build(buf, sizeof(buf), 3, SOCK_STREAM, "192.0.2.1", 1,
                           "192.0.2.2", 2), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_v1_ipv4),
        cmocka_unit_test(test_v1_ipv6),
        cmocka_unit_test(test_v1_mapped_and_unknown),
        cmocka_unit_test(test_v2_ipv4),
        cmocka_unit_test(test_v2_ipv6),
        cmocka_unit_test(test_v2_mapped_and_unspec),
        cmocka_unit_test(test_small_buffer_and_version),
    };

    return cmocka_run_group_tests_name("lb_proxy_protocol", tests, NULL,
                                       NULL);
}
