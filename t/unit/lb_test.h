/* weir: what the unit tests share: a reproducible random generator, a
 * quiet log, child processes reaped, IPv4 addresses, and the fixture of a
 * balancer group (pool and zone, the targets of a target group and their
 * zone records, the group built and attached as a worker does, a pick
 * given straight back). Static inline only: each test binary takes what
 * it uses. Include it last, as "../lb_test.h". */
#ifndef LB_TEST_H
#define LB_TEST_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_zone.h"

/* --- the generator --- */

static uint64_t  lb_test_rand_state = 0x853c49e6748fea9bULL;

/* Start the sequence again from seed (not 0): the same values on every
 * run, and libc's rand() state left alone. */
static inline void
lb_test_srand(uint64_t seed)
{
    lb_test_rand_state = seed;
}

/* xorshift64* (Marsaglia's xorshift, then a multiply): 64 bits whose
 * high half is the better one. */
static inline uint64_t
lb_test_rand(void)
{
    lb_test_rand_state ^= lb_test_rand_state >> 12;
    lb_test_rand_state ^= lb_test_rand_state << 25;
    lb_test_rand_state ^= lb_test_rand_state >> 27;

    return lb_test_rand_state * 2685821657736338717ULL;
}

/* the high 32 bits of the next value */
static inline uint32_t
lb_test_rand32(void)
{
    return (uint32_t) (lb_test_rand() >> 32);
}

/* --- the log --- */

/* Send the error log to /dev/null (on) or back to stderr: for tests
 * that expect errors to be logged and do not want them in the output. */
static inline void
lb_test_quiet(bool on)
{
    static int  devnull = -1;

    if (devnull == -1) {
        devnull = open("/dev/null", O_WRONLY);
        assert_true(devnull != -1);
    }

    lb_log.fd = on ? devnull : 2;
}

/* --- child processes --- */

/* Reap pid, which must exit (not die of a signal); its exit status. */
static inline int
lb_test_wait_ok(pid_t pid)
{
    int  status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));

    return WEXITSTATUS(status);
}

/* --- addresses --- */

/* a client or listener address */
static inline struct sockaddr_in
lb_test_v4(const char *ip, unsigned port)
{
    struct sockaddr_in  sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);

    return sin;
}

/* a configured address, with its text "ip:port" as the parser writes it */
static inline void
lb_test_addr(lb_sockaddr_t *a, const char *ip, unsigned port)
{
    struct sockaddr_in  sin;

    sin = lb_test_v4(ip, port);

    memset(a, 0, sizeof(lb_sockaddr_t));
    memcpy(&a->sa, &sin, sizeof(sin));
    a->socklen = sizeof(struct sockaddr_in);
    snprintf(a->text, sizeof(a->text), "%s:%u", ip, port);
}

/* --- the balancer group fixture --- */

/* The start of a balancer group test: a new pool into *pool; when z is
 * not NULL, a new zone of zone_size bytes (0: the default) into *z; tg and
 * its ntargets targets cleared; no health filter. */
static inline void
lb_test_group_setup(lb_pool_t **pool, lb_shm_zone_t **z, size_t zone_size,
    lb_target_group_t *tg, lb_target_t *targets, size_t ntargets)
{
    *pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    assert_non_null(*pool);

    if (z != NULL) {
        *z = lb_zone_create(zone_size);
        assert_non_null(*z);
    }

    memset(tg, 0, sizeof(lb_target_group_t));
    memset(targets, 0, ntargets * sizeof(lb_target_t));
    lb_balancer_healthy = NULL;
}

/* The end of one: z (may be NULL) and pool freed. */
static inline void
lb_test_group_teardown(lb_pool_t *pool, lb_shm_zone_t *z)
{
    lb_zone_destroy(z);
    lb_destroy_pool(pool);
    lb_balancer_healthy = NULL;
}

/* Target i of tg (tg->targets must have room): weight, index, group and,
 * when ip is not NULL, the address ip:port (also its protocol_port). */
static inline void
lb_test_target(lb_target_group_t *tg, uint32_t i, uint32_t weight,
    const char *ip, unsigned port)
{
    lb_target_t  *t;

    t = &tg->targets[i];

    t->weight = weight;
    t->index = i;
    t->group = tg;

    if (ip != NULL) {
        lb_test_addr(&t->addr, ip, port);
        t->protocol_port = port;
    }
}

/* Build g over tg's targets from pool. With a zone z: first the targets'
 * records (as lb_zone_sync() makes them; tg->id must be set), then the
 * group attached as a worker does, every peer holding its record. */
static inline void
lb_test_group(lb_balancer_group_t *g, lb_target_group_t *tg,
    lb_pool_t *pool, lb_shm_zone_t *z)
{
    uint32_t  i;

    if (z != NULL) {
        for (i = 0; i < tg->ntargets; i++) {
            assert_non_null(lb_zone_target_get(z, tg->id,
                                               &tg->targets[i].addr, true));
        }
    }

    assert_int_equal(lb_balancer_group_init(g, tg, pool), LB_OK);
    assert_int_equal(g->npeers, tg->ntargets);

    if (z != NULL) {
        assert_int_equal(lb_balancer_group_attach(g, z, pool), LB_OK);

        for (i = 0; i < g->npeers; i++) {
            assert_non_null(g->peers[i].zone);
        }
    }
}

/* Pick for client (NULL: none) skipping tried (NULL: none), and give the
 * connection back at once: the peer, or NULL when none is usable. */
static inline lb_balancer_peer_t *
lb_test_pick(lb_balancer_group_t *g, const struct sockaddr *client,
    socklen_t client_len, lb_balancer_tried_t *tried)
{
    lb_balancer_request_t   r;
    lb_balancer_peer_t     *p;

    memset(&r, 0, sizeof(r));
    r.client = client;
    r.client_len = client_len;
    r.tried = tried;

    p = lb_balancer_pick(g, &r);
    if (p != NULL) {
        lb_balancer_release(g, p, LB_BALANCER_DONE);
    }

    return p;
}

#endif /* LB_TEST_H */
