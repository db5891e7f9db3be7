/* weir: unit tests for src/http/lb_http_sticky.c: the HTTP_COOKIE value
 * (a keyed hash that does not show the address), choosing by it, the
 * cookie weir sets; APP_COOKIE bindings learnt from Set-Cookie in a zone
 * table, used, renewed, expired, removed, rebound to a fresh choice; the
 * shared key drawn once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lb_conf_schema.h"
#include "lb_http_parse.h"
#include "lb_http_session.h"
#include "lb_palloc.h"
#include "lb_time.h"
#include "lb_zone.h"

#define LBT_PEERS  3

static lb_shm_zone_t        *z;
static lb_pool_t            *pool;
static lb_target_t           targets[LBT_PEERS];
static lb_target_group_t     tg;
static lb_persistence_t      sp;
static lb_balancer_peer_t    bpeers[LBT_PEERS];
static lb_balancer_group_t   bg;
static lb_http_peer_t        hpeers[LBT_PEERS];
static lb_http_group_t       g;
static lb_listener_t         lsn;
static lb_http_session_t     s;
static u_char                cin[4096], uin[4096];


static int
setup(void **state)
{
    uint32_t  i;

    (void) state;

    z = lb_zone_create(8 * 1024 * 1024);
    assert_non_null(z);
    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    assert_non_null(pool);

    memset(lb_http_worker.secret, 0x5a, sizeof(lb_http_worker.secret));

    memset(&tg, 0, sizeof(tg));
    tg.id = "11111111-2222-8333-8444-555555555555";
    tg.name = "tg";
    tg.session_persistence = &sp;
    tg.targets = targets;
    tg.ntargets = LBT_PEERS;

    memset(&bg, 0, sizeof(bg));
    bg.target_group = &tg;
    bg.peers = bpeers;
    bg.npeers = LBT_PEERS;

    for (i = 0; i < LBT_PEERS; i++) {
        memset(&targets[i], 0, sizeof(lb_target_t));
        assert_int_equal(lb_conf_parse_ip("127.0.0.1", &targets[i].addr),
                         LB_OK);
        lb_conf_sockaddr_set_port(&targets[i].addr, 9001 + i);
        targets[i].weight = 1;

        memset(&bpeers[i], 0, sizeof(lb_balancer_peer_t));
        bpeers[i].target = &targets[i];
        bpeers[i].index = i;
        bpeers[i].weight = 1;
        bpeers[i].effective = 1;
        bpeers[i].zone = lb_zone_target_get(z, tg.id, &targets[i].addr,
                                            true);
        assert_non_null(bpeers[i].zone);

        memset(&hpeers[i], 0, sizeof(lb_http_peer_t));
        hpeers[i].bp = &bpeers[i];
        hpeers[i].group = &g;
    }

    memset(&g, 0, sizeof(g));
    g.bg = &bg;
    g.tg = &tg;
    g.peers = hpeers;

    memset(&lsn, 0, sizeof(lsn));
    lsn.protocol = LB_LISTENER_HTTP;

    lb_current_msec = 1000000;

    return 0;
}


static int
teardown(void **state)
{
    (void) state;

    lb_destroy_pool(pool);
    lb_zone_destroy(z);
    return 0;
}


/* a session with request raw in cin */
static void
lbt_session(const char *raw)
{
    memset(&s, 0, sizeof(s));
    s.listener = &lsn;
    s.group = &g;
    s.tries = 1;

    memcpy(cin, raw, strlen(raw));
    s.cin.start = s.cin.pos = cin;
    s.cin.last = cin + strlen(raw);
    s.cin.end = cin + sizeof(cin);

    lb_http_msg_init(&s.req, s.req_headers, LB_HTTP_HEADERS, NULL);
    assert_int_equal(lb_http_parse_request(&s.req, s.cin.start, s.cin.last),
                     LB_OK);
    assert_int_equal(lb_balancer_tried_init(&s.tried, NULL, LBT_PEERS),
                     LB_OK);
}


/* the response raw in uin, from peer p */
static void
lbt_response(const char *raw, lb_http_peer_t *p)
{
    memcpy(uin, raw, strlen(raw));
    s.uin.start = s.uin.pos = uin;
    s.uin.last = uin + strlen(raw);
    s.uin.end = uin + sizeof(uin);
    s.peer = p;

    lb_http_msg_init(&s.resp, s.resp_headers, LB_HTTP_HEADERS, NULL);
    assert_int_equal(lb_http_parse_response(&s.resp, LB_HTTP_METHOD_GET,
                                            s.uin.start, s.uin.last),
                     LB_OK);
}


static void
lbt_release(lb_http_peer_t *p)
{
    p->bp->conns--;
    lb_zone_target_conn_end(p->bp->zone);
}


/* 24 hex digits of HMAC-SHA-256(secret, group id NUL address) */
static void
test_value(void **state)
{
    size_t    n, i;
    u_char    v[32], w[32], md[EVP_MAX_MD_SIZE], msg[128];
    u_char    secret[32], other[32];
    char      hex[3];
    unsigned  mdlen;

    (void) state;

    memset(secret, 1, sizeof(secret));
    memset(other, 2, sizeof(other));

    n = lb_http_sticky_value(secret, sizeof(secret), "group",
                             "127.0.0.1:9001", v);
    assert_int_equal(n, 24);

    for (i = 0; i < n; i++) {
        assert_non_null(strchr("0123456789abcdef", v[i]));
    }

    memcpy(msg, "group\0" "127.0.0.1:9001", 20);
    assert_non_null(HMAC(EVP_sha256(), secret, sizeof(secret), msg, 20, md,
                         &mdlen));
    for (i = 0; i < 12; i++) {
        snprintf(hex, sizeof(hex), "%02x", md[i]);
        assert_memory_equal(v + 2 * i, hex, 2);
    }

    /* the same inputs, the same value; any other input, another */
    assert_int_equal(lb_http_sticky_value(secret, sizeof(secret), "group",
                                          "127.0.0.1:9001", w), 24);
    assert_memory_equal(v, w, 24);

    lb_http_sticky_value(other, sizeof(other), "group", "127.0.0.1:9001", w);
    assert_memory_not_equal(v, w, 24);
    lb_http_sticky_value(secret, sizeof(secret), "group2", "127.0.0.1:9001",
                         w);
    assert_memory_not_equal(v, w, 24);
    lb_http_sticky_value(secret, sizeof(secret), "group", "127.0.0.1:9002",
                         w);
    assert_memory_not_equal(v, w, 24);
    lb_http_sticky_value(secret, sizeof(secret), "group1", "27.0.0.1:9001",
                         w);
    assert_memory_not_equal(v, w, 24);

    /* the address is not in it, in any usual spelling */
    v[24] = '\0';
    assert_null(strstr((char *) v, "7f000001"));
    assert_null(strstr((char *) v, "2329"));
}


static void
test_http_cookie(void **state)
{
    char             req[256];
    lb_http_peer_t  *p;

    (void) state;

    memset(&sp, 0, sizeof(sp));
    sp.type = LB_PERSIST_HTTP_COOKIE;
    sp.persistence_timeout = 3600 * 1000;
    assert_int_equal(lb_http_sticky_init(&g, z, pool), LB_OK);
    assert_ptr_equal(g.sticky, &sp);
    assert_int_equal(hpeers[1].cookie_len, 24);
    assert_memory_not_equal(hpeers[0].cookie, hpeers[1].cookie, 24);

    /* no cookie: a fresh choice, which sets one */
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));
    lb_http_sticky_chosen(&s, &hpeers[2]);
    assert_int_equal(s.set_cookie_len, 11 + 24 + 32);
    assert_memory_equal(s.set_cookie, "WEIRSTICKY=", 11);
    assert_memory_equal(s.set_cookie + 11, hpeers[2].cookie, 24);
    assert_memory_equal(s.set_cookie + 35,
                        "; Max-Age=3600; Path=/; HttpOnly", 32);

    /* HTTPS: Secure */
    lsn.protocol = LB_LISTENER_HTTPS;
    lb_http_sticky_chosen(&s, &hpeers[2]);
    assert_memory_equal(s.set_cookie + 35,
                        "; Max-Age=3600; Path=/; HttpOnly; Secure", 40);
    lsn.protocol = LB_LISTENER_HTTP;

    /* the cookie of peer 1 chooses it, counted as a pick */
    snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\nCookie: x=1; "
             "WEIRSTICKY=%.24s; y=2\r\n\r\n", hpeers[1].cookie);
    lbt_session(req);
    p = lb_http_sticky_pick(&s);
    assert_ptr_equal(p, &hpeers[1]);
    assert_int_equal(bpeers[1].conns, 1);
    assert_int_equal(lb_zone_target_active(bpeers[1].zone), 1);
    assert_true(lb_balancer_tried(&s.tried, 1));
    lbt_release(p);

    /* weight 0: a fresh choice */
    bpeers[1].effective = 0;
    lbt_session(req);
    assert_null(lb_http_sticky_pick(&s));
    bpeers[1].effective = 1;

    /* tried (and failed) already: a fresh choice */
    lbt_session(req);
    lb_balancer_tried_add(&s.tried, 1);
    assert_null(lb_http_sticky_pick(&s));

    /* a retry does not look again */
    lbt_session(req);
    s.tries = 2;
    assert_null(lb_http_sticky_pick(&s));

    /* a value naming nothing */
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: "
                "WEIRSTICKY=000000000000000000000000\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: WEIRSTICKY=short\r\n"
                "\r\n");
    assert_null(lb_http_sticky_pick(&s));
}


static void
test_app_cookie(void **state)
{
    lb_http_peer_t  *p;

    (void) state;

    memset(&sp, 0, sizeof(sp));
    sp.type = LB_PERSIST_APP_COOKIE;
    sp.cookie_name = "JSESSIONID";
    sp.persistence_timeout = 10 * 1000;
    g.sticky = NULL;
    assert_int_equal(lb_http_sticky_init(&g, z, pool), LB_OK);
    assert_non_null(g.app_table);
    assert_int_equal(g.nzone_ids, LBT_PEERS);

    /* unknown value: balanced as usual, not bound by the choice */
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abc\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));
    lb_http_sticky_chosen(&s, &hpeers[0]);
    assert_int_equal(s.set_cookie_len, 0);
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abc\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));

    /* peer 2 sets it (other cookies and attributes around) */
    lbt_response("HTTP/1.1 200 OK\r\nSet-Cookie: other=1\r\n"
                 "Set-Cookie: JSESSIONID=abc; Path=/; HttpOnly\r\n"
                 "Content-Length: 0\r\n\r\n", &hpeers[2]);
    lb_http_sticky_learn(&s);

    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: a=b; JSESSIONID=abc"
                "\r\n\r\n");
    p = lb_http_sticky_pick(&s);
    assert_ptr_equal(p, &hpeers[2]);
    lbt_release(p);

    /* case matters, other values do not match */
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: jsessionid=abc\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abd\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));

    /* each use renews it for persistence_timeout */
    lb_current_msec += 9000;
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abc\r\n\r\n");
    p = lb_http_sticky_pick(&s);
    assert_ptr_equal(p, &hpeers[2]);
    lbt_release(p);

    lb_current_msec += 9000;
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abc\r\n\r\n");
    p = lb_http_sticky_pick(&s);
    assert_ptr_equal(p, &hpeers[2]);
    lbt_release(p);

    /* its target drained: the fresh choice takes the binding over */
    bpeers[2].effective = 0;
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abc\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));
    lb_http_sticky_chosen(&s, &hpeers[1]);
    bpeers[2].effective = 1;

    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abc\r\n\r\n");
    p = lb_http_sticky_pick(&s);
    assert_ptr_equal(p, &hpeers[1]);
    lbt_release(p);

    /* unused for persistence_timeout: gone */
    lb_current_msec += 10001;
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=abc\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));

    /* Max-Age=0 removes a binding */
    lbt_response("HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=xyz\r\n"
                 "Content-Length: 0\r\n\r\n", &hpeers[0]);
    lb_http_sticky_learn(&s);
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=xyz\r\n\r\n");
    p = lb_http_sticky_pick(&s);
    assert_ptr_equal(p, &hpeers[0]);
    lbt_release(p);

    lbt_response("HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=xyz; Max-Age=0\r\n"
                 "Content-Length: 0\r\n\r\n", &hpeers[0]);
    lb_http_sticky_learn(&s);
    lbt_session("GET / HTTP/1.1\r\nHost: a\r\nCookie: JSESSIONID=xyz\r\n\r\n");
    assert_null(lb_http_sticky_pick(&s));
}


/* values longer than a table key are known by their digest */
static void
test_app_cookie_long(void **state)
{
    char             raw[1024], value[301];
    lb_http_peer_t  *p;

    (void) state;

    memset(value, 'v', 300);
    value[300] = '\0';

    snprintf(raw, sizeof(raw), "HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=%s"
             "\r\nContent-Length: 0\r\n\r\n", value);
    lbt_response(raw, &hpeers[1]);
    lb_http_sticky_learn(&s);

    snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: a\r\nCookie: "
             "JSESSIONID=%s\r\n\r\n", value);
    lbt_session(raw);
    p = lb_http_sticky_pick(&s);
    assert_ptr_equal(p, &hpeers[1]);
    assert_int_equal(s.app_key_len, 33);
    lbt_release(p);

    value[299] = 'w';
    snprintf(raw, sizeof(raw), "GET / HTTP/1.1\r\nHost: a\r\nCookie: "
             "JSESSIONID=%s\r\n\r\n", value);
    lbt_session(raw);
    assert_null(lb_http_sticky_pick(&s));
}


/* the first caller draws the key, every later one reads the same */
static void
test_secret(void **state)
{
    u_char  a[32], b[32], zero[32];

    (void) state;

    memset(zero, 0, sizeof(zero));

    assert_int_equal(lb_http_sticky_secret(z, a, sizeof(a)), LB_OK);
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_int_equal(lb_http_sticky_secret(z, b, sizeof(b)), LB_OK);
    assert_memory_equal(a, b, sizeof(a));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_http_cookie),
        cmocka_unit_test(test_app_cookie),
        cmocka_unit_test(test_app_cookie_long),
        cmocka_unit_test(test_secret),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
