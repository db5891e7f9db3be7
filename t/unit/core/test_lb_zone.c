/* weir: unit tests for src/core/lb_zone.c: target records in the shared
 * zone, sync with a configuration, reaping, generation. The configuration
 * structures are filled by hand. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_conf_types.h"
#include "lb_log.h"
#include "lb_shm.h"
#include "lb_slab.h"
#include "lb_zone.h"
#include "../lb_test.h"

#define MAXB  2
#define MAXG  4
#define MAXT  2048
#define N     100000

static lb_conf_t          conf;
static lb_load_balancer_t bals[MAXB];
static lb_target_group_t  groups[MAXB][MAXG];
static lb_target_t        targets[MAXB][MAXG][MAXT];
static lb_shm_zone_t     *z;


static void
set_addr(lb_sockaddr_t *a, const char *ip, unsigned port)
{
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    memset(a, 0, sizeof(lb_sockaddr_t));

    if (strchr(ip, ':') != NULL) {
        sin6 = (struct sockaddr_in6 *) &a->sa;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
        a->socklen = sizeof(struct sockaddr_in6);
        snprintf(a->text, sizeof(a->text), "[%s]:%u", ip, port);

    } else {
        sin = (struct sockaddr_in *) &a->sa;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
        a->socklen = sizeof(struct sockaddr_in);
        snprintf(a->text, sizeof(a->text), "%s:%u", ip, port);
    }
}


static lb_sockaddr_t *
addr(const char *ip, unsigned port)
{
    static lb_sockaddr_t  a[4];
    static unsigned       i;

    i = (i + 1) % 4;
    set_addr(&a[i], ip, port);
    return &a[i];
}


static void
conf_reset(void)
{
    unsigned  i;

    memset(&conf, 0, sizeof(conf));
    memset(bals, 0, sizeof(bals));
    memset(groups, 0, sizeof(groups));

    conf.balancers = bals;

    for (i = 0; i < MAXB; i++) {
        bals[i].name = "lb";
        bals[i].target_groups = groups[i];
        bals[i].index = i;
    }
}


static lb_target_group_t *
conf_group(unsigned b, const char *id)
{
    lb_target_group_t  *g;

    if (conf.nbalancers <= b) {
        conf.nbalancers = b + 1;
    }

    g = &groups[b][bals[b].ntarget_groups];
    g->id = (char *) id;
    g->name = "tg";
    g->targets = targets[b][bals[b].ntarget_groups];
    g->balancer = &bals[b];
    g->index = bals[b].ntarget_groups++;

    return g;
}


static void
conf_target(lb_target_group_t *g, const char *ip, unsigned port)
{
    lb_target_t  *t;

    assert_true(g->ntargets < MAXT);

    t = &g->targets[g->ntargets];
    memset(t, 0, sizeof(lb_target_t));
    set_addr(&t->addr, ip, port);
    t->protocol_port = port;
    t->weight = 1;
    t->group = g;
    t->index = g->ntargets++;
}


static int
setup(void **state)
{
    conf_reset();
    z = lb_zone_create(0);
    assert_non_null(z);
    return 0;
}


static int
teardown(void **state)
{
    lb_zone_destroy(z);
    return 0;
}


static void
test_create(void **state)
{
    lb_shm_zone_t  *s;

    assert_int_equal(z->size, LB_ZONE_DEFAULT_SIZE);
    assert_int_equal(lb_shm_check(z, LB_ZONE_DEFAULT_SIZE), LB_OK);
    assert_non_null(lb_zone_slab(z));
    assert_non_null(lb_zone_root(z));
    assert_int_equal(lb_zone_generation(z), 0);
    assert_int_equal(lb_zone_target_count(z), 0);

    /* power-of-two pages, never below the minimum */
    s = lb_zone_create(100000);
    assert_non_null(s);
    assert_int_equal(s->size, 131072);
    lb_zone_destroy(s);

    s = lb_zone_create(1);
    assert_non_null(s);
    assert_int_equal(s->size, LB_ZONE_MIN_SIZE);
    lb_zone_destroy(s);

    lb_zone_destroy(NULL);
}


static void
test_get(void **state)
{
    lb_zone_target_t  *a, *b, *c, *d;

    assert_null(lb_zone_target_get(z, "g1", addr("127.0.0.1", 9001), false));

    a = lb_zone_target_get(z, "g1", addr("127.0.0.1", 9001), true);
    assert_non_null(a);
    assert_int_equal((uintptr_t) a % 64, 0);
    assert_int_not_equal(a->id, 0);
    assert_int_equal(lb_zone_target_state(a), LB_ZONE_UNKNOWN);
    assert_int_equal(lb_zone_target_active(a), 0);
    assert_false(lb_zone_target_configured(a));
    assert_string_equal(a->group_id, "g1");
    assert_int_equal(a->addr.family, AF_INET);
    assert_int_equal(a->addr.port, htons(9001));

    /* same key, same record, with or without create */
    assert_ptr_equal(lb_zone_target_get(z, "g1", addr("127.0.0.1", 9001),
                                        true), a);
    assert_ptr_equal(lb_zone_target_get(z, "g1", addr("127.0.0.1", 9001),
                                        false), a);

    /* another port, another address, another group: other records */
    b = lb_zone_target_get(z, "g1", addr("127.0.0.1", 9002), true);
    c = lb_zone_target_get(z, "g1", addr("127.0.0.2", 9001), true);
    d = lb_zone_target_get(z, "g2", addr("127.0.0.1", 9001), true);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    assert_true(a != b && a != c && a != d && b != c && b != d && c != d);
    assert_true(a->id != b->id && b->id != c->id && c->id != d->id);

    /* a group id that is a prefix of another */
    assert_null(lb_zone_target_get(z, "g", addr("127.0.0.1", 9001), false));

    assert_int_equal(lb_zone_target_count(z), 4);
    assert_ptr_equal(lb_zone_target_by_id(z, c->id), c);
    assert_null(lb_zone_target_by_id(z, 0));
    assert_null(lb_zone_target_by_id(z, 999999));
}


static void
test_ipv6_keys(void **state)
{
    lb_sockaddr_t         s;
    lb_zone_target_t     *v4, *v6, *t;
    struct sockaddr_in6  *sin6;
    struct sockaddr_in   *sin;

    v4 = lb_zone_target_get(z, "g", addr("127.0.0.1", 80), true);
    v6 = lb_zone_target_get(z, "g", addr("::1", 80), true);
    assert_non_null(v4);
    assert_non_null(v6);
    assert_true(v4 != v6);
    assert_int_equal(v6->addr.family, AF_INET6);

    assert_ptr_equal(lb_zone_target_get(z, "g", addr("::1", 80), false), v6);
    assert_null(lb_zone_target_get(z, "g", addr("::1", 81), false));
    assert_null(lb_zone_target_get(z, "g", addr("::2", 80), false));

    /* the IPv4-mapped form is another address */
    assert_null(lb_zone_target_get(z, "g", addr("::ffff:127.0.0.1", 80),
                                   false));

    t = lb_zone_target_get(z, "g", addr("2001:db8::1", 443), true);
    assert_non_null(t);
    assert_ptr_equal(lb_zone_target_get(z, "g", addr("2001:db8:0::1", 443),
                                        false), t);

    /* flow label and sin_zero bytes are not part of the key */
    set_addr(&s, "::1", 80);
    sin6 = (struct sockaddr_in6 *) &s.sa;
    sin6->sin6_flowinfo = htonl(12345);
    memset((char *) &s.sa + sizeof(struct sockaddr_in6), 0xee,
           sizeof(s.sa) - sizeof(struct sockaddr_in6));
    assert_ptr_equal(lb_zone_target_get(z, "g", &s, false), v6);

    set_addr(&s, "127.0.0.1", 80);
    sin = (struct sockaddr_in *) &s.sa;
    memset(sin->sin_zero, 0xff, sizeof(sin->sin_zero));
    assert_ptr_equal(lb_zone_target_get(z, "g", &s, false), v4);

    /* a link-local scope makes another target */
    set_addr(&s, "fe80::1", 80);
    t = lb_zone_target_get(z, "g", &s, true);
    ((struct sockaddr_in6 *) &s.sa)->sin6_scope_id = 2;
    assert_null(lb_zone_target_get(z, "g", &s, false));
    assert_true(lb_zone_target_get(z, "g", &s, true) != t);
}


static void
test_bad_keys(void **state)
{
    char            id[LB_ZONE_GROUP_ID_LEN + 2];
    lb_sockaddr_t   s;

    memset(id, 'x', sizeof(id));
    id[LB_ZONE_GROUP_ID_LEN] = '\0';
    assert_non_null(lb_zone_target_get(z, id, addr("127.0.0.1", 1), true));

    id[LB_ZONE_GROUP_ID_LEN] = 'x';
    id[LB_ZONE_GROUP_ID_LEN + 1] = '\0';

    lb_test_quiet(true);
    assert_null(lb_zone_target_get(z, id, addr("127.0.0.1", 1), true));
    assert_null(lb_zone_target_get(z, "", addr("127.0.0.1", 1), true));

    memset(&s, 0, sizeof(s));
    s.sa.ss_family = AF_UNIX;
    strcpy(s.text, "unix:/tmp/x");
    assert_null(lb_zone_target_get(z, "g", &s, true));
    lb_test_quiet(false);

    assert_int_equal(lb_zone_target_count(z), 1);
}


/* The health checker's writes and a reader's consistent copy. */
static void
test_health(void **state)
{
    uint64_t           seq;
    lb_zone_health_t   h, r;
    lb_zone_target_t  *t;

    t = lb_zone_target_get(z, "g", addr("127.0.0.1", 9001), true);
    assert_non_null(t);

    assert_int_equal(lb_zone_target_health_get(t, &r), LB_OK);
    assert_int_equal(r.state, LB_ZONE_UNKNOWN);
    assert_int_equal(r.seq, 0);
    assert_string_equal(lb_zone_health_names[r.state], "UNKNOWN");

    memset(&h, 0, sizeof(h));
    h.state = LB_ZONE_HEALTHY;
    h.rise = 5;
    h.fall = 0;
    h.cause = 0;
    h.last_change = 1700000000123ULL;
    lb_zone_target_health_set(t, &h);

    assert_int_equal(lb_zone_target_health_get(t, &r), LB_OK);
    assert_int_equal(r.seq, 2);
    assert_int_equal(r.state, LB_ZONE_HEALTHY);
    assert_int_equal(r.rise, 5);
    assert_int_equal(r.last_change, 1700000000123ULL);
    assert_int_equal(lb_zone_target_state(t), LB_ZONE_HEALTHY);
    assert_string_equal(lb_zone_health_names[r.state], "HEALTHY");

    h.state = LB_ZONE_UNHEALTHY;
    h.rise = 0;
    h.fall = 2;
    h.cause = 7;
    lb_zone_target_health_set(t, &h);
    assert_int_equal(lb_zone_target_health_get(t, &r), LB_OK);
    assert_int_equal(r.seq, 4);
    assert_int_equal(r.fall, 2);
    assert_int_equal(r.cause, 7);

    /* a checker that died mid-write: readers give up, do not spin; the
     * next write makes the record readable again */
    seq = t->health_seq;
    t->health_seq = seq + 1;
    assert_int_equal(lb_zone_target_health_get(t, &r), LB_AGAIN);

    h.state = LB_ZONE_HEALTHY;
    lb_zone_target_health_set(t, &h);
    assert_int_equal(lb_zone_target_health_get(t, &r), LB_OK);
    assert_int_equal(r.seq, seq + 2);
    assert_int_equal(r.state, LB_ZONE_HEALTHY);
}


/* The counters /metrics reads that a process adds to with one atomic:
 * HTTP requests and responses by class, check results and transitions;
 * and they do not disturb the health copy beside them. */
static void
test_http_and_check_counters(void **state)
{
    unsigned           i;
    lb_zone_health_t   h, r;
    lb_zone_target_t  *t;

    t = lb_zone_target_get(z, "g", addr("127.0.0.1", 9002), true);
    assert_non_null(t);

    for (i = 0; i < 7; i++) {
        lb_zone_target_request(t);
    }
    lb_zone_target_response(t, 101);
    lb_zone_target_response(t, 200);
    lb_zone_target_response(t, 204);
    lb_zone_target_response(t, 302);
    lb_zone_target_response(t, 404);
    lb_zone_target_response(t, 503);
    lb_zone_target_response(t, 599);
    lb_zone_target_response(t, 99);      /* not a status: not counted */
    lb_zone_target_response(t, 600);
    lb_zone_target_response(t, 0);

    assert_int_equal(lb_zone_counter_get(&t->requests), 7);
    assert_int_equal(lb_zone_counter_get(&t->responses[0]), 1);
    assert_int_equal(lb_zone_counter_get(&t->responses[1]), 2);
    assert_int_equal(lb_zone_counter_get(&t->responses[2]), 1);
    assert_int_equal(lb_zone_counter_get(&t->responses[3]), 1);
    assert_int_equal(lb_zone_counter_get(&t->responses[4]), 2);

    memset(&h, 0, sizeof(h));
    h.state = LB_ZONE_HEALTHY;
    h.rise = 3;
    lb_zone_target_health_set(t, &h);

    lb_zone_target_checked(t, true, 1);
    lb_zone_target_checked(t, true, 0);
    lb_zone_target_checked(t, false, 0);
    lb_zone_target_checked(t, false, -1);
    lb_zone_target_checked(t, true, 1);

    assert_int_equal(lb_zone_counter_get(&t->checks_ok), 3);
    assert_int_equal(lb_zone_counter_get(&t->checks_failed), 2);
    assert_int_equal(lb_zone_counter_get(&t->went_up), 2);
    assert_int_equal(lb_zone_counter_get(&t->went_down), 1);

    assert_int_equal(lb_zone_target_health_get(t, &r), LB_OK);
    assert_int_equal(r.state, LB_ZONE_HEALTHY);
    assert_int_equal(r.rise, 3);

    /* the health line and the traffic lines stay apart */
    assert_int_equal(offsetof(lb_zone_target_t, health_seq) % 64, 0);
    assert_int_equal(offsetof(lb_zone_target_t, active) % 64, 0);
    assert_int_equal(sizeof(lb_zone_target_t) % 64, 0);
}


/* Health written by one process (the checker) is read by another while
 * it changes: every copy read is one that was written. */
static void
test_health_across_fork(void **state)
{
    int                i;
    pid_t              pid;
    lb_zone_health_t   h, r;
    lb_zone_target_t  *t;

    t = lb_zone_target_get(z, "g", addr("127.0.0.1", 9001), true);
    assert_non_null(t);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        for (i = 1; i <= N; i++) {
            h.state = i % 2 ? LB_ZONE_HEALTHY : LB_ZONE_UNHEALTHY;
            h.rise = i;
            h.fall = i * 3;
            h.cause = (uint16_t) i;
            h.last_change = (uint64_t) i * 1000;
            lb_zone_target_health_set(t, &h);
        }
        _exit(0);
    }

    for (i = 0; i < N / 10; i++) {
        if (lb_zone_target_health_get(t, &r) != LB_OK) {
            continue;
        }
        if (r.seq == 0) {
            continue;
        }
        assert_int_equal(r.fall, r.rise * 3);
        assert_int_equal(r.last_change, (uint64_t) r.rise * 1000);
        assert_int_equal(r.cause, (uint16_t) r.rise);
        assert_int_equal(r.seq, (uint64_t) r.rise * 2);
        assert_int_equal(r.state,
                         r.rise % 2 ? LB_ZONE_HEALTHY : LB_ZONE_UNHEALTHY);
    }

    assert_int_equal(lb_test_wait_ok(pid), 0);

    assert_int_equal(lb_zone_target_health_get(t, &r), LB_OK);
    assert_int_equal(r.rise, N);
    assert_int_equal(r.seq, 2 * (uint64_t) N);
}


static void
bump_counters(unsigned n)
{
    unsigned           i;
    lb_zone_target_t  *t;

    /* a worker looks its record up once, then only uses atomics */
    t = lb_zone_target_get(z, "g", addr("127.0.0.1", 9001), false);
    if (t == NULL) {
        _exit(1);
    }

    for (i = 0; i < n; i++) {
        lb_zone_target_conn_start(t);
        lb_zone_target_bytes(t, 3, 5);
        if (i % 10 == 0) {
            lb_zone_target_failure(t);
        }
        lb_zone_target_conn_end(t);
    }

    _exit(0);
}


/* Counters from two processes at once add up exactly. */
static void
test_counters_across_fork(void **state)
{
    pid_t              a, b;
    lb_zone_target_t  *t;

    t = lb_zone_target_get(z, "g", addr("127.0.0.1", 9001), true);
    assert_non_null(t);
    assert_int_equal((uintptr_t) &t->active % 64, 0);
    assert_int_equal((uintptr_t) &t->health_seq % 64, 0);

    lb_zone_target_conn_start(t);

    a = fork();
    assert_true(a != -1);
    if (a == 0) {
        bump_counters(N);
    }

    b = fork();
    assert_true(b != -1);
    if (b == 0) {
        bump_counters(N);
    }

    assert_int_equal(lb_test_wait_ok(a), 0);
    assert_int_equal(lb_test_wait_ok(b), 0);

    assert_int_equal(lb_zone_target_active(t), 1);
    assert_int_equal(lb_zone_counter_get(&t->total), 2 * N + 1);
    assert_int_equal(lb_zone_counter_get(&t->bytes_in), 2 * 3 * N);
    assert_int_equal(lb_zone_counter_get(&t->bytes_out), 2 * 5 * N);
    assert_int_equal(lb_zone_counter_get(&t->failures), 2 * N / 10);

    lb_zone_counter_add(&t->failures, 5);
    assert_int_equal(lb_zone_counter_get(&t->failures), 2 * N / 10 + 5);
}


/* conf A: g1 {9001, 9002} on balancer 0, g2 {[::1]:9001} on balancer 1 */
static void
conf_a(void)
{
    lb_target_group_t  *g;

    conf_reset();
    g = conf_group(0, "g1");
    conf_target(g, "127.0.0.1", 9001);
    conf_target(g, "127.0.0.1", 9002);
    g = conf_group(1, "g2");
    conf_target(g, "::1", 9001);
}


/* conf B: g1 {9001, 9003}; g2 is gone */
static void
conf_b(void)
{
    lb_target_group_t  *g;

    conf_reset();
    g = conf_group(0, "g1");
    conf_target(g, "127.0.0.1", 9001);
    conf_target(g, "127.0.0.1", 9003);
}


static lb_zone_target_t *
get(const char *group, const char *ip, unsigned port)
{
    return lb_zone_target_get(z, group, addr(ip, port), false);
}


static uint64_t
records_used(void)
{
    unsigned         k;
    uint64_t         n;
    lb_slab_stats_t  st;

    lb_slab_stats(lb_zone_slab(z), &st);

    for (k = 0; st.classes[k].size < sizeof(lb_zone_target_t); k++) {
        /* void */
    }

    n = st.classes[k].used;
    return n;
}


/* A reload keeps the records (health, counters) of kept targets, makes
 * new ones UNKNOWN, retires removed ones; the reaper frees those once no
 * older process is left, and their memory is used again. */
static void
test_sync(void **state)
{
    uint64_t           used;
    lb_zone_health_t   h, r;
    lb_zone_target_t  *a1, *a2, *a6, *b1, *b3, *stray, *n;

    /* a record nobody configures (made by a lookup with create) */
    stray = lb_zone_target_get(z, "old", addr("127.0.0.1", 1), true);
    assert_non_null(stray);

    conf_a();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    assert_int_equal(lb_zone_generation(z), 1);
    assert_int_equal(lb_zone_target_count(z), 3);
    assert_true(stray->flags & LB_ZONE_TARGET_RETIRED);

    a1 = get("g1", "127.0.0.1", 9001);
    a2 = get("g1", "127.0.0.1", 9002);
    a6 = get("g2", "::1", 9001);
    assert_non_null(a1);
    assert_non_null(a2);
    assert_non_null(a6);
    assert_true(lb_zone_target_configured(a1));
    assert_true(lb_zone_target_configured(a6));
    assert_int_equal(a1->created_gen, 1);

    /* the checker and a worker at work */
    memset(&h, 0, sizeof(h));
    h.state = LB_ZONE_HEALTHY;
    h.rise = 5;
    lb_zone_target_health_set(a1, &h);
    lb_zone_target_conn_start(a1);
    lb_zone_target_bytes(a1, 100, 200);

    /* syncing the same configuration again changes nothing */
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    assert_int_equal(lb_zone_generation(z), 2);
    assert_ptr_equal(get("g1", "127.0.0.1", 9001), a1);
    assert_int_equal(lb_zone_target_count(z), 3);

    used = records_used();

    conf_b();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    assert_int_equal(lb_zone_generation(z), 3);
    assert_int_equal(lb_zone_target_count(z), 2);

    /* kept: the same record, health and counters intact */
    b1 = get("g1", "127.0.0.1", 9001);
    assert_ptr_equal(b1, a1);
    assert_int_equal(lb_zone_target_health_get(b1, &r), LB_OK);
    assert_int_equal(r.state, LB_ZONE_HEALTHY);
    assert_int_equal(r.rise, 5);
    assert_int_equal(lb_zone_target_active(b1), 1);
    assert_int_equal(lb_zone_counter_get(&b1->bytes_out), 200);
    assert_true(lb_zone_target_configured(b1));

    /* new: UNKNOWN */
    b3 = get("g1", "127.0.0.1", 9003);
    assert_non_null(b3);
    assert_int_equal(lb_zone_target_state(b3), LB_ZONE_UNKNOWN);
    assert_int_equal(b3->created_gen, 3);

    /* removed: gone from lookups, still readable by old workers */
    assert_null(get("g1", "127.0.0.1", 9002));
    assert_null(get("g2", "::1", 9001));
    assert_null(lb_zone_target_by_id(z, a2->id));
    assert_true(a2->flags & LB_ZONE_TARGET_RETIRED);
    assert_false(lb_zone_target_configured(a2));
    assert_int_equal(a2->retired_gen, 3);
    lb_zone_target_conn_end(a2);     /* an old worker finishing */
    assert_int_equal(records_used(), used + 1);

    /* workers of generation 2 still run: nothing from generation 3 goes;
     * the stray (retired by generation 1) does */
    assert_int_equal(lb_zone_reap(z, 2), 1);
    assert_int_equal(lb_zone_reap(z, 2), 0);
    assert_int_equal(records_used(), used);

    /* the old workers are gone */
    assert_int_equal(lb_zone_reap(z, lb_zone_generation(z)), 2);
    assert_int_equal(records_used(), used - 2);

    /* their memory is handed out again */
    n = lb_zone_target_get(z, "g9", addr("127.0.0.1", 1), true);
    assert_true(n == stray || n == a2 || n == a6);
    assert_int_equal(lb_zone_target_state(n), LB_ZONE_UNKNOWN);
    assert_int_equal(lb_zone_target_active(n), 0);
    assert_int_equal(n->health_seq, 0);
    assert_true(n->id > b3->id);
}


/* Fill a small zone, then show that a failed sync leaves it as it was
 * and that reaped memory holds a whole new set of targets. */
static void
test_sync_full(void **state)
{
    unsigned            i, cap;
    uint64_t            used;
    lb_target_group_t  *g;

    lb_zone_destroy(z);
    z = lb_zone_create(LB_ZONE_MIN_SIZE);
    assert_non_null(z);

    /* the capacity of this zone in records */
    lb_test_quiet(true);
    for (cap = 0; lb_zone_target_get(z, "fill", addr("10.0.0.1", cap + 1),
                                     true) != NULL; cap++)
    {
        /* void */
    }
    lb_test_quiet(false);

    assert_true(cap > 50);
    assert_int_equal(lb_zone_target_count(z), cap);

    /* a sync of an empty configuration retires them all */
    conf_reset();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    assert_int_equal(lb_zone_target_count(z), 0);
    assert_int_equal(lb_zone_generation(z), 1);

    /* not reaped yet: no room */
    conf_reset();
    g = conf_group(0, "g1");
    for (i = 0; i < cap; i++) {
        conf_target(g, "127.0.0.1", 1000 + i);
    }
    lb_test_quiet(true);
    assert_int_equal(lb_zone_sync(z, &conf), LB_ERROR);
    lb_test_quiet(false);
    assert_int_equal(lb_zone_generation(z), 1);
    assert_int_equal(lb_zone_target_count(z), 0);

    assert_int_equal(lb_zone_reap(z, 1), cap);

    /* every record fits again */
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    assert_int_equal(lb_zone_target_count(z), cap);
    assert_int_equal(lb_zone_generation(z), 2);
    used = records_used();
    assert_int_equal(used, cap);

    /* one more target than fits: refused, and the zone is as before */
    conf_target(g, "127.0.0.1", 999);
    lb_test_quiet(true);
    assert_int_equal(lb_zone_sync(z, &conf), LB_ERROR);
    lb_test_quiet(false);
    assert_int_equal(lb_zone_generation(z), 2);
    assert_int_equal(lb_zone_target_count(z), cap);
    assert_int_equal(records_used(), used);
    assert_null(get("g1", "127.0.0.1", 999));
    assert_true(lb_zone_target_configured(get("g1", "127.0.0.1", 1000)));

    /* a set half old, half new does not fit while the old is kept... */
    conf_reset();
    g = conf_group(0, "g1");
    for (i = 0; i < cap; i++) {
        conf_target(g, "127.0.0.1", 1000 + cap / 2 + i);
    }
    lb_test_quiet(true);
    assert_int_equal(lb_zone_sync(z, &conf), LB_ERROR);
    lb_test_quiet(false);
    assert_int_equal(lb_zone_target_count(z), cap);

    /* ...and a later sync after a failed one still retires correctly */
    conf_reset();
    g = conf_group(0, "g1");
    conf_target(g, "127.0.0.1", 1000);
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    assert_int_equal(lb_zone_target_count(z), 1);
    assert_int_equal(lb_zone_reap(z, lb_zone_generation(z)), cap - 1);
    assert_int_equal(records_used(), 1);
}


static void
test_sync_bad_conf(void **state)
{
    char                id[LB_ZONE_GROUP_ID_LEN + 2];
    lb_target_group_t  *g;
    lb_zone_target_t   *t;

    conf_a();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);

    /* a group without an id is keyed by its name */
    conf_a();
    g = conf_group(0, NULL);
    g->name = "named";
    conf_target(g, "127.0.0.1", 7000);
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    t = get("named", "127.0.0.1", 7000);
    assert_non_null(t);
    assert_int_equal(lb_zone_target_count(z), 4);

    /* neither: refused, nothing changes */
    g->name = NULL;
    lb_test_quiet(true);
    assert_int_equal(lb_zone_sync(z, &conf), LB_ERROR);
    lb_test_quiet(false);
    assert_int_equal(lb_zone_generation(z), 2);
    assert_ptr_equal(get("named", "127.0.0.1", 7000), t);

    /* an id too long to key: refused */
    memset(id, 'x', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    g->id = id;
    lb_test_quiet(true);
    assert_int_equal(lb_zone_sync(z, &conf), LB_ERROR);
    lb_test_quiet(false);
    assert_int_equal(lb_zone_generation(z), 2);
    assert_int_equal(lb_zone_target_count(z), 4);
}


static lb_int_t
count_handler(lb_zone_target_t *t, void *data)
{
    unsigned  *n = data;

    (*n)++;
    return *n == 3 ? LB_DONE : LB_OK;
}


static lb_int_t
sum_ports(lb_zone_target_t *t, void *data)
{
    unsigned  *sum = data;

    *sum += ntohs(t->addr.port);
    return LB_OK;
}


static void
test_walk(void **state)
{
    unsigned  n, sum;

    conf_a();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);

    sum = 0;
    assert_int_equal(lb_zone_target_walk(z, sum_ports, &sum), LB_OK);
    assert_int_equal(sum, 9001 + 9002 + 9001);

    n = 0;
    assert_int_equal(lb_zone_target_walk(z, count_handler, &n), LB_DONE);
    assert_int_equal(n, 3);

    conf_b();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    sum = 0;
    assert_int_equal(lb_zone_target_walk(z, sum_ports, &sum), LB_OK);
    assert_int_equal(sum, 9001 + 9003);
}


/* The generation the master bumps is seen by every process. */
static void
test_generation(void **state)
{
    pid_t  pid;

    assert_int_equal(lb_zone_generation(z), 0);
    assert_int_equal(lb_zone_generation_bump(z), 1);

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        if (lb_zone_generation(z) != 1) {
            _exit(1);
        }
        lb_zone_generation_bump(z);
        _exit(0);
    }

    assert_int_equal(lb_test_wait_ok(pid), 0);
    assert_int_equal(lb_zone_generation(z), 2);

    conf_a();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);
    assert_int_equal(lb_zone_generation(z), 3);
}


/* Records made by one process are found by another. */
static void
test_records_across_fork(void **state)
{
    pid_t              pid;
    lb_zone_target_t  *t;

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        t = lb_zone_target_get(z, "child", addr("::1", 8080), true);
        if (t == NULL) {
            _exit(1);
        }
        lb_zone_target_conn_start(t);
        _exit(0);
    }

    assert_int_equal(lb_test_wait_ok(pid), 0);

    t = get("child", "::1", 8080);
    assert_non_null(t);
    assert_int_equal(lb_zone_target_active(t), 1);
    assert_ptr_equal(lb_zone_target_by_id(z, t->id), t);
}


/* A process that dies holding the zone lock: the next one gets it, the
 * allocator and the index are checked, and everything keeps working. A
 * broken chain is cut rather than followed. */
static void
test_owner_died(void **state)
{
    uint32_t           i, bucket;
    pid_t              pid;
    lb_shm_off_t      *buckets;
    lb_zone_root_t    *root;
    lb_zone_target_t  *t, *u;
    lb_slab_stats_t    st;

#ifndef LB_HAVE_ROBUST_MUTEX
    skip();
#endif

    conf_a();
    assert_int_equal(lb_zone_sync(z, &conf), LB_OK);

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        _exit(lb_zone_lock(z) == LB_OK ? 0 : 1);
    }
    assert_int_equal(lb_test_wait_ok(pid), 0);

    lb_test_quiet(true);
    t = get("g1", "127.0.0.1", 9001);
    lb_test_quiet(false);
    assert_non_null(t);
    assert_int_equal(lb_zone_target_count(z), 3);
    lb_slab_stats(lb_zone_slab(z), &st);
    assert_int_equal(st.owner_deaths, 1);

    /* now a child that dies with a chain pointing outside the zone */
    root = lb_zone_root(z);
    buckets = lb_shm_ptr(z, root->buckets);
    bucket = t->hash & (root->nbuckets - 1);

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        if (lb_zone_lock(z) != LB_OK) {
            _exit(1);
        }
        t->next = z->size + 4096;
        t->id_next = 0;
        _exit(0);
    }
    assert_int_equal(lb_test_wait_ok(pid), 0);

    lb_test_quiet(true);
    assert_int_equal(lb_zone_target_count(z), 3);
    lb_test_quiet(false);
    assert_int_equal(t->next, 0);
    assert_ptr_equal(lb_shm_ptr(z, buckets[bucket]), t);

    /* the rebuilt id index finds every record */
    for (i = 0; i < conf.nbalancers; i++) {
        u = lb_zone_target_get(z, groups[i][0].id,
                               &groups[i][0].targets[0].addr, false);
        assert_non_null(u);
        assert_ptr_equal(lb_zone_target_by_id(z, u->id), u);
    }

    assert_non_null(lb_zone_target_get(z, "new", addr("::1", 1), true));
    assert_int_equal(lb_zone_target_count(z), 4);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_and_check_counters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_health_across_fork, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_counters_across_fork, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_bad_conf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_across_fork, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_owner_died, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
