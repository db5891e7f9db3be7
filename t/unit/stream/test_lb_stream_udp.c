/* weir: unit tests for src/stream/lb_stream_udp.c. The session table on
 * its own (lb_stream_udp_table.c: keys, add/find/remove, use order,
 * against a model), sessions with the cached clock set by hand (idle
 * expiry with a lazily re-armed timer, eviction of the least recently
 * used when full), and the data path on real loopback sockets in this
 * process: a cycle parsed from a YAML file with a shared zone, driven by
 * lb_event_process(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* the file under test needs recvmmsg() */
#endif

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_sticky.h"

/* the file under test, for its statics */
#include "lb_stream_udp.c"
#include "../lb_test.h"


static void
quiet(void)
{
    lb_test_quiet(true);
    lb_log.level = LB_LOG_DEBUG;   /* run the debug paths too */
}


/* --- the table alone --- */

static void
test_key(void **state)
{
    lb_stream_udp_table_t   t;
    lb_stream_udp_key_t     k1, k2;
    lb_listening_t          ls1, ls2;
    struct sockaddr_in      a, b;
    struct sockaddr_in6     a6;
    struct sockaddr_un      un;
    uint32_t                h1, h2;

    assert_int_equal(lb_stream_udp_table_init(&t, 8, 0), LB_OK);

    a = lb_test_v4("127.0.0.2", 5000);
    b = a;
    memset(b.sin_zero, 0xff, sizeof(b.sin_zero));   /* padding is ignored */

    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &a,
                                             sizeof(a), &k1, &h1), LB_OK);
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &b,
                                             sizeof(b), &k2, &h2), LB_OK);
    assert_memory_equal(&k1, &k2, sizeof(k1));
    assert_int_equal(h1, h2);

    /* another port is another client */
    b = lb_test_v4("127.0.0.2", 5001);
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &b,
                                             sizeof(b), &k2, &h2), LB_OK);
    assert_memory_not_equal(&k1, &k2, sizeof(k1));

    /* the same client of another listening socket hashes apart too */
    assert_int_equal(lb_stream_udp_table_key(&t, &ls2, (void *) &a,
                                             sizeof(a), &k2, &h2), LB_OK);
    assert_memory_equal(&k1, &k2, sizeof(k1));
    assert_int_not_equal(h1, h2);

    memset(&a6, 0, sizeof(a6));
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(5000);
    a6.sin6_flowinfo = 1234;    /* not part of the key */
    a6.sin6_addr.s6_addr[15] = 1;
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &a6,
                                             sizeof(a6), &k2, &h2), LB_OK);
    assert_int_equal(k2.family, AF_INET6);
    assert_int_equal(k2.addr[15], 1);
    a6.sin6_flowinfo = 0;
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &a6,
                                             sizeof(a6), &k1, &h1), LB_OK);
    assert_int_equal(h1, h2);

    /* what cannot be a UDP client */
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &un,
                                             sizeof(un), &k1, &h1),
                     LB_DECLINED);
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &a,
                                             sizeof(a) - 1, &k1, &h1),
                     LB_DECLINED);
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &a6,
                                             sizeof(struct sockaddr_in),
                                             &k1, &h1), LB_DECLINED);
    assert_int_equal(lb_stream_udp_table_key(&t, &ls1, (void *) &a, 1,
                                             &k1, &h1), LB_DECLINED);

    lb_stream_udp_table_free(&t);
}


static lb_stream_udp_session_t *
add_client(lb_stream_udp_table_t *t, lb_listening_t *ls, unsigned port)
{
    struct sockaddr_in    a;
    lb_stream_udp_key_t   k;
    uint32_t              h;

    a = lb_test_v4("127.0.0.9", port);
    assert_int_equal(lb_stream_udp_table_key(t, ls, (void *) &a, sizeof(a),
                                             &k, &h), LB_OK);
    return lb_stream_udp_table_add(t, ls, &k, h);
}


static lb_stream_udp_session_t *
find_client(lb_stream_udp_table_t *t, lb_listening_t *ls, unsigned port)
{
    struct sockaddr_in    a;
    lb_stream_udp_key_t   k;
    uint32_t              h;

    a = lb_test_v4("127.0.0.9", port);
    assert_int_equal(lb_stream_udp_table_key(t, ls, (void *) &a, sizeof(a),
                                             &k, &h), LB_OK);
    return lb_stream_udp_table_find(t, ls, &k, h);
}


static void
test_table_capacity(void **state)
{
    lb_stream_udp_table_t     t;
    lb_listening_t            ls;
    lb_stream_udp_session_t  *s[5], *x;
    unsigned                  i;

    assert_int_equal(lb_stream_udp_table_init(&t, 4, 0), LB_OK);

    for (i = 0; i < 4; i++) {
        s[i] = add_client(&t, &ls, 1000 + i);
        assert_non_null(s[i]);
    }
    assert_int_equal(t.nsessions, 4);

    assert_null(add_client(&t, &ls, 2000));
    assert_int_equal(t.nsessions, 4);

    for (i = 0; i < 4; i++) {
        assert_ptr_equal(find_client(&t, &ls, 1000 + i), s[i]);
    }
    assert_null(find_client(&t, &ls, 2000));

    /* a freed slot is reused, and its old key is gone */
    lb_stream_udp_table_remove(&t, s[1]);
    assert_int_equal(t.nsessions, 3);
    assert_null(find_client(&t, &ls, 1001));

    x = add_client(&t, &ls, 2000);
    assert_ptr_equal(x, s[1]);
    assert_ptr_equal(find_client(&t, &ls, 2000), x);
    assert_int_equal(x->listening, &ls);
    assert_null(x->upstream);
    assert_null(x->peer);

    for (i = 0; i < 4; i++) {
        lb_stream_udp_table_remove(&t, i == 1 ? x : s[i]);
    }
    assert_int_equal(t.nsessions, 0);
    assert_null(t.newest);
    assert_null(t.oldest);

    lb_stream_udp_table_free(&t);
}


static void
test_table_order(void **state)
{
    lb_stream_udp_table_t     t;
    lb_listening_t            ls;
    lb_stream_udp_session_t  *a, *b, *c;

    assert_int_equal(lb_stream_udp_table_init(&t, 8, 0), LB_OK);

    a = add_client(&t, &ls, 1);
    b = add_client(&t, &ls, 2);
    c = add_client(&t, &ls, 3);

    assert_ptr_equal(t.oldest, a);
    assert_ptr_equal(t.newest, c);

    lb_stream_udp_table_touch(&t, a);
    assert_ptr_equal(t.oldest, b);
    assert_ptr_equal(t.newest, a);

    lb_stream_udp_table_touch(&t, a);    /* already newest */
    assert_ptr_equal(t.newest, a);

    lb_stream_udp_table_touch(&t, c);    /* from the middle */
    assert_ptr_equal(t.oldest, b);
    assert_ptr_equal(t.newest, c);
    assert_ptr_equal(c->older, a);
    assert_ptr_equal(a->older, b);
    assert_null(b->older);

    lb_stream_udp_table_remove(&t, b);
    assert_ptr_equal(t.oldest, a);
    lb_stream_udp_table_remove(&t, c);
    assert_ptr_equal(t.newest, a);
    assert_ptr_equal(t.oldest, a);

    lb_stream_udp_table_free(&t);
}


/* random operations against a model: which ports are in, in which use
 * order; the hash chains and the use list must agree with it */
#define MODEL_N  200
#define MODEL_C  64

static void
test_table_model(void **state)
{
    lb_stream_udp_table_t     t;
    lb_listening_t            ls;
    lb_stream_udp_session_t  *in[MODEL_N], *s;
    uint64_t                  used[MODEL_N], clock, prev;
    unsigned                  i, op, port, n, k;

    /* a capacity this small gives 128 buckets: chains of several */
    assert_int_equal(lb_stream_udp_table_init(&t, MODEL_C, 0), LB_OK);
    memset(in, 0, sizeof(in));
    memset(used, 0, sizeof(used));
    clock = 0;
    n = 0;

    for (op = 0; op < 100000; op++) {
        port = (unsigned) (lb_test_rand() % MODEL_N);
        clock++;

        switch (lb_test_rand() % 3) {

        case 0:
            if (in[port] != NULL) {
                break;
            }
            s = add_client(&t, &ls, port);
            if (n == MODEL_C) {
                assert_null(s);
                break;
            }
            assert_non_null(s);
            in[port] = s;
            used[port] = clock;
            n++;
            break;

        case 1:
            if (in[port] == NULL) {
                assert_null(find_client(&t, &ls, port));
                break;
            }
            lb_stream_udp_table_remove(&t, in[port]);
            in[port] = NULL;
            n--;
            break;

        default:
            s = find_client(&t, &ls, port);
            assert_ptr_equal(s, in[port]);
            if (s != NULL) {
                lb_stream_udp_table_touch(&t, s);
                used[port] = clock;
            }
            break;
        }

        assert_int_equal(t.nsessions, n);

        if (op % 997 != 0) {
            continue;
        }

        /* the use list, newest first, has every session once in
         * decreasing order of last use */
        k = 0;
        prev = clock + 1;
        for (s = t.newest; s != NULL; s = s->older) {
            port = ntohs(s->key.port);
            assert_ptr_equal(in[port], s);
            assert_true(used[port] < prev);
            prev = used[port];
            if (s->older == NULL) {
                assert_ptr_equal(t.oldest, s);
            } else {
                assert_ptr_equal(s->older->newer, s);
            }
            k++;
        }
        assert_int_equal(k, n);
        for (i = 0; i < MODEL_N; i++) {
            assert_ptr_equal(find_client(&t, &ls, i), in[i]);
        }
    }

    lb_stream_udp_table_free(&t);
}


/* --- sessions on a fake clock --- */

static lb_listening_t          fls;
static lb_listener_t           flst;
static lb_stream_udp_listen_t  flu;

static int
sessions_setup(void **state)
{
    quiet();
    lb_time_update();               /* the log's first line would do it */
    lb_current_msec = 5000000;
    lb_event_timer_init();

    assert_int_equal(lb_stream_udp_init_worker(3, 0), LB_OK);

    memset(&fls, 0, sizeof(fls));
    memset(&flst, 0, sizeof(flst));
    memset(&flu, 0, sizeof(flu));

    flst.name = "fake";
    flst.timeout_client_data = 1000;
    fls.fd = -1;
    fls.listener = &flst;
    flu.listening = &fls;
    flu.listener = &flst;
    flu.timeout = 1000;
    flu.fd = -1;

    return 0;
}


static int
sessions_teardown(void **state)
{
    lb_stream_udp_table_free(&lb_stream_udp_table);
    free(lb_stream_udp_buf);
    lb_stream_udp_buf = NULL;
    lb_stream_udp_ready = false;

    return 0;
}


static lb_stream_udp_session_t *
get(unsigned port)
{
    struct sockaddr_in  a;

    a = lb_test_v4("127.0.0.7", port);

    return lb_stream_udp_session_get(&flu, (lb_stream_udp_addr_t *) &a,
                                     sizeof(a));
}


static lb_stream_udp_session_t *
find(unsigned port)
{
    struct sockaddr_in    a;
    lb_stream_udp_key_t   k;
    uint32_t              h;

    a = lb_test_v4("127.0.0.7", port);
    assert_int_equal(lb_stream_udp_table_key(&lb_stream_udp_table, &fls,
                                             (void *) &a, sizeof(a), &k, &h),
                     LB_OK);

    return lb_stream_udp_table_find(&lb_stream_udp_table, &fls, &k, h);
}


static void
test_session_expire(void **state)
{
    lb_msec_t                 t0;
    lb_stream_udp_session_t  *s;

    t0 = lb_current_msec;

    s = get(100);
    assert_non_null(s);
    assert_int_equal(lb_event_timers_count(), 1);
    assert_int_equal(lb_stream_udp_stat.sessions, 1);

    /* a datagram at +600 only stamps the session */
    lb_current_msec = t0 + 600;
    assert_ptr_equal(get(100), s);
    assert_int_equal(s->active, t0 + 600);
    assert_int_equal(lb_stream_udp_stat.sessions, 1);

    /* the timer fires at +1000, finds 400 ms of silence, waits 600 more */
    lb_current_msec = t0 + 1000;
    lb_event_expire_timers();
    assert_ptr_equal(find(100), s);
    assert_int_equal(lb_stream_udp_stat.expired, 0);
    assert_int_equal(lb_event_timers_count(), 1);
    assert_int_equal(s->idle.timer.key, t0 + 1600);

    lb_current_msec = t0 + 1599;
    lb_event_expire_timers();
    assert_ptr_equal(find(100), s);

    lb_current_msec = t0 + 1600;
    lb_event_expire_timers();
    assert_null(find(100));
    assert_int_equal(lb_stream_udp_stat.expired, 1);
    assert_int_equal(lb_event_timers_count(), 0);
    assert_int_equal(lb_stream_udp_table.nsessions, 0);

    /* the same client later: a new session */
    s = get(100);
    assert_non_null(s);
    assert_int_equal(lb_stream_udp_stat.sessions, 2);
    assert_int_equal(s->active, t0 + 1600);
}


/* sessions_per_client: a client cycling ports replaces its own oldest
 * session; another client's stays. A full table evicts a session that is
 * not established before an established one. */
static void
test_session_per_client(void **state)
{
    lb_msec_t                 t0;
    lb_stream_udp_session_t  *o, *s;
    struct sockaddr_in        a;

    t0 = lb_current_msec;
    flst.sessions_per_client = 2;

    a = lb_test_v4("127.0.0.9", 50);
    o = lb_stream_udp_session_get(&flu, (lb_stream_udp_addr_t *) &a,
                                  sizeof(a));
    assert_non_null(o);

    lb_current_msec = t0 + 1;
    assert_non_null(get(1));
    lb_current_msec = t0 + 2;
    assert_non_null(get(2));
    lb_current_msec = t0 + 3;
    assert_non_null(get(3));          /* over 2: port 1 goes */
    assert_null(find(1));
    assert_non_null(find(2));
    assert_non_null(find(3));
    assert_int_equal(lb_stream_udp_table.nsessions, 3);
    assert_int_equal(lb_stream_udp_stat.evicted, 1);

    /* the other client, established (came back, answered), is the
     * oldest of a full table: the not established port 2 goes instead */
    lb_current_msec = t0 + 4;
    assert_ptr_equal(lb_stream_udp_session_get(&flu,
                         (lb_stream_udp_addr_t *) &a, sizeof(a)), o);
    o->replied = 1;
    o->active = t0;                   /* the oldest again */
    lb_stream_udp_table_touch(&lb_stream_udp_table, find(2));
    lb_stream_udp_table_touch(&lb_stream_udp_table, find(3));

    flst.sessions_per_client = 0;
    lb_current_msec = t0 + 5;
    s = get(4);
    assert_non_null(s);
    assert_null(find(2));
    assert_int_equal(lb_stream_udp_table.nsessions, 3);
    assert_int_equal(lb_stream_udp_stat.evicted, 2);
    assert_ptr_equal(lb_stream_udp_table_victim(&lb_stream_udp_table,
                         LB_STREAM_UDP_EVICT_SCAN), find(3));
}


static void
test_session_evict(void **state)
{
    lb_msec_t                 t0;
    lb_stream_udp_session_t  *a, *c, *d;
    lb_stream_udp_stats_t     st;

    t0 = lb_current_msec;

    a = get(1);
    lb_current_msec = t0 + 1;
    assert_non_null(get(2));
    lb_current_msec = t0 + 2;
    c = get(3);
    lb_current_msec = t0 + 3;
    assert_ptr_equal(get(1), a);      /* now 2 is the least recent */

    lb_current_msec = t0 + 4;
    d = get(4);                       /* full: 2 makes room */
    assert_non_null(d);
    assert_null(find(2));
    assert_ptr_equal(find(1), a);
    assert_ptr_equal(find(3), c);
    assert_ptr_equal(find(4), d);
    assert_int_equal(lb_event_timers_count(), 3);

    lb_stream_udp_stats(&st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.active, 3);
    assert_int_equal(st.sessions, 4);

    lb_current_msec = t0 + 5;
    assert_non_null(get(5));          /* then 3 */
    assert_null(find(3));
    assert_ptr_equal(find(1), a);
    assert_int_equal(lb_stream_udp_stat.evicted, 2);

    /* the evicted sessions' timers are gone: only the rest expire */
    lb_current_msec = t0 + 5000;
    lb_event_expire_timers();
    assert_int_equal(lb_stream_udp_stat.expired, 3);
    assert_int_equal(lb_event_timers_count(), 0);
}


static void
test_session_address(void **state)
{
    struct sockaddr_un  un;

    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;

    assert_null(lb_stream_udp_session_get(&flu, (lb_stream_udp_addr_t *) &un,
                                          sizeof(un)));
    assert_null(lb_stream_udp_session_get(&flu, NULL, 0));
    assert_int_equal(lb_stream_udp_stat.drops[LB_STREAM_UDP_DROP_ADDRESS], 2);
    assert_int_equal(lb_stream_udp_table.nsessions, 0);
}


static void
test_from_target(void **state)
{
    lb_sockaddr_t          t;
    struct sockaddr_in     a;
    struct sockaddr_in6    a6;

    memset(&t, 0, sizeof(t));
    a = lb_test_v4("127.0.0.1", 53);
    memcpy(&t.sa, &a, sizeof(a));
    t.socklen = sizeof(a);

    assert_true(lb_stream_udp_from_target((void *) &a, sizeof(a), &t));

    a = lb_test_v4("127.0.0.1", 54);
    assert_false(lb_stream_udp_from_target((void *) &a, sizeof(a), &t));
    a = lb_test_v4("127.0.0.2", 53);
    assert_false(lb_stream_udp_from_target((void *) &a, sizeof(a), &t));
    a = lb_test_v4("127.0.0.1", 53);
    assert_false(lb_stream_udp_from_target((void *) &a, 2, &t));
    assert_false(lb_stream_udp_from_target(NULL, 0, &t));

    memset(&a6, 0, sizeof(a6));
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(53);
    assert_false(lb_stream_udp_from_target((void *) &a6, sizeof(a6), &t));

    memcpy(&t.sa, &a6, sizeof(a6));
    t.socklen = sizeof(a6);
    assert_true(lb_stream_udp_from_target((void *) &a6, sizeof(a6), &t));
    a6.sin6_addr.s6_addr[15] = 1;
    assert_false(lb_stream_udp_from_target((void *) &a6, sizeof(a6), &t));
}


/* --- the data path on loopback sockets --- */

static char         dir[] = "/tmp/weir-udp-XXXXXX";
static lb_cycle_t  *cycle;
static int          tgt1 = -1, tgt2 = -1;
static uint16_t     tgt1_port, tgt2_port, dead_port;
static uint16_t     port_rr, port_fo, port_st, port_v6;


static int
udp_bound(int family, const char *ip, uint16_t *port)
{
    int                   fd;
    socklen_t             len;
    struct sockaddr_in    sin;
    struct sockaddr_in6   sin6;
    struct sockaddr      *sa;

    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd != -1);

    if (family == AF_INET) {
        sin = lb_test_v4(ip, 0);
        sa = (struct sockaddr *) &sin;
        len = sizeof(sin);
    } else {
        memset(&sin6, 0, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
        sa = (struct sockaddr *) &sin6;
        len = sizeof(sin6);
    }

    assert_int_equal(bind(fd, sa, len), 0);
    assert_int_equal(getsockname(fd, sa, &len), 0);

    if (port != NULL) {
        *port = ntohs(family == AF_INET ? sin.sin_port : sin6.sin6_port);
    }

    return fd;
}


static uint16_t
free_port(int family, const char *ip)
{
    int       fd;
    uint16_t  port;

    fd = udp_bound(family, ip, &port);
    close(fd);

    return port;
}


static lb_msec_t
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (lb_msec_t) ts.tv_sec * 1000 + (lb_msec_t) ts.tv_nsec / 1000000;
}


static bool
readable(int fd)
{
    struct pollfd  p;

    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;

    return poll(&p, 1, 0) == 1;
}


/* Run the loop until fd has a datagram or 3 s pass. */
static bool
pump(int fd)
{
    lb_msec_t  deadline;

    deadline = now_ms() + 3000;

    while (!readable(fd)) {
        if (now_ms() > deadline) {
            return false;
        }
        lb_event_process(5);
    }

    return true;
}


/* Run the loop until *counter reaches want or 3 s pass. */
static bool
pump_count(const uint64_t *counter, uint64_t want)
{
    lb_msec_t  deadline;

    deadline = now_ms() + 3000;

    while (*counter < want) {
        if (now_ms() > deadline) {
            return false;
        }
        lb_event_process(5);
    }

    return true;
}


static void
drain(int fd)
{
    char  buf[16];

    while (recv(fd, buf, sizeof(buf), 0) >= 0) {
        /* void */
    }
}


static void
send_to(int fd, const char *ip, uint16_t port, const void *data, size_t len)
{
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;

    if (strchr(ip, ':') == NULL) {
        sin = lb_test_v4(ip, port);
        assert_int_equal(sendto(fd, data, len, 0, (struct sockaddr *) &sin,
                                sizeof(sin)), (ssize_t) len);
        return;
    }

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
    assert_int_equal(sendto(fd, data, len, 0, (struct sockaddr *) &sin6,
                            sizeof(sin6)), (ssize_t) len);
}


static lb_balancer_group_t *
group_of(uint32_t b, uint32_t t)
{
    return lb_balancer_group(&cycle->conf->balancers[b].target_groups[t]);
}


static lb_balancer_peer_t *
peer_of(lb_balancer_group_t *g, uint16_t port)
{
    uint32_t  i;

    for (i = 0; i < g->npeers; i++) {
        if (g->peers[i].target->protocol_port == port) {
            return &g->peers[i];
        }
    }

    fail();
    return NULL;
}


static int
path_setup(void **state)
{
    /* the UDP module alone claims the listening sockets */
    static const lb_module_t  modules[] = {
        { "udp", NULL, LB_LISTENER_BIT(LB_LISTENER_UDP),
          lb_stream_udp_init_listening, NULL },
        { NULL, NULL, 0, NULL, NULL }
    };
    FILE  *f;
    char   file[128];

    quiet();

    assert_non_null(mkdtemp(dir));

    tgt1 = udp_bound(AF_INET, "127.0.0.1", &tgt1_port);
    tgt2 = udp_bound(AF_INET, "127.0.0.1", &tgt2_port);
    dead_port = free_port(AF_INET, "127.0.0.1");
    port_rr = free_port(AF_INET, "127.0.0.1");
    port_fo = free_port(AF_INET, "127.0.0.1");
    port_st = free_port(AF_INET, "127.0.0.1");
    port_v6 = free_port(AF_INET6, "::1");

    snprintf(file, sizeof(file), "%s/weir.yaml", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f,
        "worker_processes: 1\n"
        "load_balancers:\n"
        "  - name: udp-lb\n"
        "    type: NLB\n"
        "    address: 127.0.0.1\n"
        "    listeners:\n"
        "      - { name: udp-rr, protocol: UDP, protocol_port: %u,"
        " target_group: pool-rr }\n"
        "      - { name: udp-fo, protocol: UDP, protocol_port: %u,"
        " target_group: pool-fo }\n"
        "      - { name: udp-st, protocol: UDP, protocol_port: %u,"
        " target_group: pool-st }\n"
        "    target_groups:\n"
        "      - name: pool-rr\n"
        "        protocol: UDP\n"
        "        members:\n"
        "          - { name: tgt1, address: 127.0.0.1, protocol_port: %u }\n"
        "          - { name: tgt2, address: 127.0.0.1, protocol_port: %u }\n"
        "      - name: pool-fo\n"
        "        protocol: UDP\n"
        "        members:\n"
        "          - { name: dead, address: 127.0.0.1, protocol_port: %u }\n"
        "          - { name: tgt2, address: 127.0.0.1, protocol_port: %u }\n"
        "      - name: pool-st\n"
        "        protocol: UDP\n"
        "        session_persistence: { type: SOURCE_IP }\n"
        "        members:\n"
        "          - { name: tgt1, address: 127.0.0.1, protocol_port: %u }\n"
        "          - { name: tgt2, address: 127.0.0.1, protocol_port: %u }\n"
        "  - name: udp-lb6\n"
        "    type: NLB\n"
        "    address: \"::1\"\n"
        "    listeners:\n"
        "      - { name: udp-v6, protocol: UDP, protocol_port: %u,"
        " target_group: pool-v6 }\n"
        "    target_groups:\n"
        "      - name: pool-v6\n"
        "        protocol: UDP\n"
        "        members:\n"
        "          - { name: tgt1, address: 127.0.0.1, protocol_port: %u }\n",
        port_rr, port_fo, port_st, tgt1_port, tgt2_port, dead_port,
        tgt2_port, tgt1_port, tgt2_port, port_v6, tgt1_port);
    assert_int_equal(fclose(f), 0);

    cycle = lb_init_cycle(NULL, dir, "weir.yaml", LB_CYCLE_RUN, modules);
    assert_non_null(cycle);

    cycle->zone = lb_zone_create(4 * 1024 * 1024);
    assert_non_null(cycle->zone);
    assert_int_equal(lb_zone_sync(cycle->zone, cycle->conf), LB_OK);

    /* what a worker does (src/proc/lb_worker.c, lb_child.c) */
    assert_int_equal(lb_event_init(), LB_OK);
    assert_int_equal(lb_balancer_init_cycle(cycle, cycle->pool), LB_OK);
    assert_int_equal(lb_event_init_listening(cycle, 0), LB_OK);
    assert_true(lb_stream_udp_ready);
    assert_int_equal(lb_stream_udp_table.capacity,
                     LB_STREAM_UDP_MAX_SESSIONS);

    unlink(file);

    return 0;
}


static int
path_teardown(void **state)
{
    lb_event_close_all();
    lb_event_close_listening(cycle);
    close(tgt1);
    close(tgt2);
    lb_zone_destroy(cycle->zone);
    rmdir(dir);

    return 0;
}


static void
test_path_round_trip(void **state)
{
    int                       c1, c2, first, other;
    char                      buf[2048];
    ssize_t                   n;
    socklen_t                 len;
    struct sockaddr_in        from, up;
    lb_balancer_peer_t       *p;
    lb_stream_udp_stats_t     st0, st;
    uint64_t                  out0, in0;

    lb_stream_udp_stats(&st0);
    drain(tgt1);
    drain(tgt2);

    c1 = udp_bound(AF_INET, "127.0.0.2", NULL);
    c2 = udp_bound(AF_INET, "127.0.0.3", NULL);

    send_to(c1, "127.0.0.1", port_rr, "one", 3);
    assert_true(pump_count(&lb_stream_udp_stat.datagrams_in,
                           st0.datagrams_in + 1));
    first = readable(tgt1) ? tgt1 : tgt2;
    other = first == tgt1 ? tgt2 : tgt1;
    p = peer_of(group_of(0, 0), first == tgt1 ? tgt1_port : tgt2_port);
    out0 = lb_zone_counter_get(&p->zone->bytes_out) - 3;
    in0 = lb_zone_counter_get(&p->zone->bytes_in);

    /* the target sees it from the session's own socket */
    len = sizeof(up);
    n = recvfrom(first, buf, sizeof(buf), 0, (struct sockaddr *) &up, &len);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "one", 3);
    assert_int_not_equal(ntohs(up.sin_port), port_rr);

    /* its reply reaches the client from the listener's address */
    assert_int_equal(sendto(first, "reply-one", 9, 0,
                            (struct sockaddr *) &up, len), 9);
    assert_true(pump(c1));
    len = sizeof(from);
    n = recvfrom(c1, buf, sizeof(buf), 0, (struct sockaddr *) &from, &len);
    assert_int_equal(n, 9);
    assert_memory_equal(buf, "reply-one", 9);
    assert_int_equal(ntohs(from.sin_port), port_rr);
    assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));

    assert_int_equal(lb_zone_counter_get(&p->zone->bytes_in) - in0, 9);
    assert_int_equal(lb_zone_counter_get(&p->zone->bytes_out) - out0, 3);

    /* a second client is a second session: round robin, the other one */
    send_to(c2, "127.0.0.1", port_rr, "two", 3);
    assert_true(pump(other));
    n = recv(other, buf, sizeof(buf), 0);
    assert_int_equal(n, 3);
    assert_false(readable(first));

    /* boundaries: three datagrams are three datagrams, in order */
    send_to(c1, "127.0.0.1", port_rr, "aaaaaaaaaa", 10);
    send_to(c1, "127.0.0.1", port_rr, "", 0);
    memset(buf, 'b', 1000);
    send_to(c1, "127.0.0.1", port_rr, buf, 1000);
    assert_true(pump_count(&lb_stream_udp_stat.datagrams_in,
                           st0.datagrams_in + 5));
    assert_int_equal(recv(first, buf, sizeof(buf), 0), 10);
    assert_int_equal(recv(first, buf, sizeof(buf), 0), 0);
    assert_int_equal(recv(first, buf, sizeof(buf), 0), 1000);
    assert_false(readable(first));
    assert_false(readable(other));

    /* a batch of replies goes back whole */
    assert_int_equal(sendto(first, "r1", 2, 0, (struct sockaddr *) &up,
                            sizeof(up)), 2);
    assert_int_equal(sendto(first, "", 0, 0, (struct sockaddr *) &up,
                            sizeof(up)), 0);
    assert_int_equal(sendto(first, "r333", 4, 0, (struct sockaddr *) &up,
                            sizeof(up)), 4);
    assert_true(pump_count(&lb_stream_udp_stat.datagrams_out,
                           st0.datagrams_out + 4));
    assert_int_equal(recv(c1, buf, sizeof(buf), 0), 2);
    assert_int_equal(recv(c1, buf, sizeof(buf), 0), 0);
    assert_int_equal(recv(c1, buf, sizeof(buf), 0), 4);
    assert_false(readable(c2));

    lb_stream_udp_stats(&st);
    assert_int_equal(st.sessions - st0.sessions, 2);
    assert_int_equal(st.datagrams_in - st0.datagrams_in, 5);
    assert_int_equal(st.bytes_in - st0.bytes_in, 3 + 3 + 10 + 0 + 1000);
    assert_int_equal(st.datagrams_out - st0.datagrams_out, 4);
    assert_int_equal(st.bytes_out - st0.bytes_out, 9 + 2 + 0 + 4);
    assert_int_equal(st.failures, st0.failures);

    close(c1);
    close(c2);
}


static void
test_path_failover(void **state)
{
    int                       c[2], i;
    char                      buf[64];
    lb_balancer_group_t      *g;
    lb_balancer_peer_t       *dead, *live;
    lb_stream_udp_stats_t     st0;
    uint64_t                  fail0;

    lb_stream_udp_stats(&st0);
    drain(tgt2);

    g = group_of(0, 1);
    dead = peer_of(g, dead_port);
    live = peer_of(g, tgt2_port);
    fail0 = lb_zone_counter_get(&dead->zone->failures);

    /* two new sessions: round robin gives one of them the dead port */
    c[0] = udp_bound(AF_INET, "127.0.0.4", NULL);
    c[1] = udp_bound(AF_INET, "127.0.0.5", NULL);
    send_to(c[0], "127.0.0.1", port_fo, "a", 1);
    send_to(c[1], "127.0.0.1", port_fo, "a", 1);

    /* the port unreachable comes back as ECONNREFUSED: a failure */
    assert_true(pump_count(&lb_stream_udp_stat.failures, st0.failures + 1));
    assert_true(pump(tgt2));
    assert_int_equal(recv(tgt2, buf, sizeof(buf), 0), 1);
    assert_false(readable(tgt2));
    assert_int_equal(lb_zone_counter_get(&dead->zone->failures) - fail0, 1);
    assert_int_equal(lb_zone_target_active(dead->zone), 0);
    assert_int_equal(dead->conns, 0);

    /* both clients' next datagrams reach the live target */
    for (i = 0; i < 2; i++) {
        send_to(c[i], "127.0.0.1", port_fo, "b", 1);
        assert_true(pump(tgt2));
        assert_int_equal(recv(tgt2, buf, sizeof(buf), 0), 1);
        assert_int_equal(buf[0], 'b');
    }
    assert_int_equal(lb_stream_udp_stat.failures, st0.failures + 1);
    assert_int_equal(live->conns, 2);
    assert_int_equal(lb_zone_target_active(live->zone), 2);

    close(c[0]);
    close(c[1]);
}


static void
test_path_oversized(void **state)
{
    int                       c;
    char                     *big;
    lb_stream_udp_stats_t     st0;

    lb_stream_udp_stats(&st0);
    drain(tgt1);

    big = malloc(65527);
    assert_non_null(big);
    memset(big, 'z', 65527);

    c = udp_bound(AF_INET6, "::1", NULL);

    /* fits the buffer but is over the IPv4 limit; then over the buffer */
    send_to(c, "::1", port_v6, big, LB_STREAM_UDP_MAX_DATAGRAM + 1);
    send_to(c, "::1", port_v6, big, 65527);
    assert_true(pump_count(
        &lb_stream_udp_stat.drops[LB_STREAM_UDP_DROP_OVERSIZED],
        st0.drops[LB_STREAM_UDP_DROP_OVERSIZED] + 2));

    /* the largest forwarded datagram goes whole, then a small one */
    send_to(c, "::1", port_v6, big, LB_STREAM_UDP_MAX_DATAGRAM);
    send_to(c, "::1", port_v6, "ok", 2);
    assert_true(pump_count(&lb_stream_udp_stat.datagrams_in,
                           st0.datagrams_in + 2));
    assert_int_equal(recv(tgt1, big, 65527, 0), LB_STREAM_UDP_MAX_DATAGRAM);
    assert_int_equal(recv(tgt1, big, 65527, 0), 2);
    assert_memory_equal(big, "ok", 2);
    assert_false(readable(tgt1));

    free(big);
    close(c);
}


/* the session of client fd (bound to ip) on listener port */
static lb_stream_udp_session_t *
session_of(int fd, uint16_t port)
{
    size_t                    i;
    socklen_t                 len;
    uint32_t                  h;
    lb_listening_t           *ls;
    lb_stream_udp_key_t       k;
    struct sockaddr_in        a;

    len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);

    for (i = 0; i < cycle->listening.nelts; i++) {
        ls = lb_array_at(&cycle->listening, lb_listening_t, i);
        if (ls->listener->protocol_port != port) {
            continue;
        }
        assert_int_equal(lb_stream_udp_table_key(&lb_stream_udp_table, ls,
                                                 (void *) &a, len, &k, &h),
                         LB_OK);
        return lb_stream_udp_table_find(&lb_stream_udp_table, ls, &k, h);
    }

    return NULL;
}


static void
test_path_sticky(void **state)
{
    int                       c, i, got, want;
    char                      buf[64];
    lb_balancer_group_t      *g;
    lb_stream_udp_session_t  *s;
    struct sockaddr_in        a;

    drain(tgt1);
    drain(tgt2);

    g = group_of(0, 2);
    assert_non_null(g->sticky);

    want = -1;

    /* one address from five ports in turn, each session ended before the
     * next (as the idle timeout would): round robin would alternate */
    for (i = 0; i < 5; i++) {
        c = udp_bound(AF_INET, "127.0.0.6", NULL);
        send_to(c, "127.0.0.1", port_st, "s", 1);
        assert_true(pump_count(&lb_stream_udp_stat.datagrams_in,
                               lb_stream_udp_stat.datagrams_in + 1));
        got = readable(tgt1) ? tgt1 : tgt2;
        assert_int_equal(recv(got, buf, sizeof(buf), 0), 1);
        if (want == -1) {
            want = got;
        }
        assert_int_equal(got, want);

        /* and another address in between takes the other target */
        if (i == 0) {
            close(c);
            c = udp_bound(AF_INET, "127.0.0.7", NULL);
            send_to(c, "127.0.0.1", port_st, "o", 1);
            assert_true(pump(want == tgt1 ? tgt2 : tgt1));
            drain(tgt1);
            drain(tgt2);
        }

        s = session_of(c, port_st);
        assert_non_null(s);
        lb_stream_udp_session_close(s);
        assert_null(session_of(c, port_st));
        close(c);
    }

    /* the binding is in the shared table, for every worker */
    a = lb_test_v4("127.0.0.6", 9);
    assert_int_equal(lb_sticky_lookup(g, (struct sockaddr *) &a, NULL,
                                      lb_current_msec),
                     (int32_t) peer_of(g, want == tgt1 ? tgt1_port
                                                       : tgt2_port)->index);
}


static void
test_path_no_fd(void **state)
{
    int                       c, fd;
    char                      buf[16];
    struct rlimit             old, low;
    lb_stream_udp_stats_t     st0;

    lb_stream_udp_stats(&st0);
    drain(tgt1);
    drain(tgt2);

    c = udp_bound(AF_INET, "127.0.0.8", NULL);

    /* no descriptor left for the session's socket */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    fd = dup(0);
    assert_true(fd != -1);
    close(fd);
    low = old;
    low.rlim_cur = (rlim_t) fd;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

    send_to(c, "127.0.0.1", port_rr, "x", 1);
    assert_true(pump_count(
        &lb_stream_udp_stat.drops[LB_STREAM_UDP_DROP_RESOURCES],
        st0.drops[LB_STREAM_UDP_DROP_RESOURCES] + 1));

    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);

    /* no session is left behind, nothing was counted against a target,
     * and the next datagram is served */
    assert_null(session_of(c, port_rr));
    assert_int_equal(lb_stream_udp_stat.failures, st0.failures);
    assert_int_equal(lb_stream_udp_stat.datagrams_in, st0.datagrams_in);

    send_to(c, "127.0.0.1", port_rr, "y", 1);
    assert_true(pump_count(&lb_stream_udp_stat.datagrams_in,
                           st0.datagrams_in + 1));
    fd = readable(tgt1) ? tgt1 : tgt2;
    assert_int_equal(recv(fd, buf, sizeof(buf), 0), 1);
    assert_int_equal(buf[0], 'y');

    close(c);
}


static void
test_path_close_all(void **state)
{
    uint32_t                  b, t, i;
    lb_balancer_group_t      *g;
    lb_conf_t                *conf;

    assert_true(lb_stream_udp_table.nsessions > 0);
    assert_int_equal(lb_event_connections(), lb_stream_udp_table.nsessions);

    lb_event_close_all();

    assert_int_equal(lb_stream_udp_table.nsessions, 0);
    assert_int_equal(lb_event_connections(), 0);
    assert_int_equal(lb_event_timers_count(), 0);

    /* every session gave its target back */
    conf = cycle->conf;
    for (b = 0; b < conf->nbalancers; b++) {
        for (t = 0; t < conf->balancers[b].ntarget_groups; t++) {
            g = group_of(b, t);
            for (i = 0; i < g->npeers; i++) {
                assert_int_equal(g->peers[i].conns, 0);
                assert_int_equal(lb_zone_target_active(g->peers[i].zone), 0);
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  table[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_table_capacity),
        cmocka_unit_test(test_table_order),
        cmocka_unit_test(test_table_model),
        cmocka_unit_test(test_from_target),
    };
    const struct CMUnitTest  sessions[] = {
        cmocka_unit_test_setup_teardown(test_session_expire,
                                        sessions_setup, sessions_teardown),
        cmocka_unit_test_setup_teardown(test_session_per_client,
                                        sessions_setup, sessions_teardown),
        cmocka_unit_test_setup_teardown(test_session_evict,
                                        sessions_setup, sessions_teardown),
        cmocka_unit_test_setup_teardown(test_session_address,
                                        sessions_setup, sessions_teardown),
    };
    const struct CMUnitTest  path[] = {
        cmocka_unit_test(test_path_round_trip),
        cmocka_unit_test(test_path_failover),
        cmocka_unit_test(test_path_oversized),
        cmocka_unit_test(test_path_sticky),
        cmocka_unit_test(test_path_no_fd),
        cmocka_unit_test(test_path_close_all),
    };
    int  rc;

    lb_test_srand(0x2545f4914f6cdd1dULL);

    rc = cmocka_run_group_tests_name("udp session table", table, NULL, NULL);
    rc += cmocka_run_group_tests_name("udp sessions, fake clock", sessions,
                                      NULL, NULL);
    rc += cmocka_run_group_tests_name("udp data path", path, path_setup,
                                      path_teardown);

    return rc != 0;
}
