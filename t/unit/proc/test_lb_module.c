/* weir: unit tests for the module table (src/proc/lb_module.c) and how a
 * cycle hands each listening socket to the module of its protocol
 * (lb_init_cycle() in src/core/lb_cycle.c): the layers below never name
 * a protocol, so this is the one place where the choice is made. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_http.h"
#include "lb_log.h"
#include "lb_module.h"
#include "lb_stream.h"
#include "lb_stream_udp.h"

#define WORKERS  2

static char      dir[] = "/tmp/weir-module-XXXXXX";
static char      file[128];


static uint16_t
free_port(int type)
{
    int                 fd;
    socklen_t           len;
    struct sockaddr_in  sin;

    fd = socket(AF_INET, type, 0);
    assert_true(fd != -1);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sin);

    assert_int_equal(bind(fd, (struct sockaddr *) &sin, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);
    close(fd);

    return ntohs(sin.sin_port);
}


static int
setup(void **state)
{
    FILE  *f;

    (void) state;

    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/weir.yaml", dir);

    f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f,
        "worker_processes: %d\n"
        "load_balancers:\n"
        "  - name: lb-l4\n"
        "    type: NLB\n"
        "    address: 127.0.0.1\n"
        "    listeners:\n"
        "      - { name: tcp-in, protocol: TCP, protocol_port: %u,"
        " target_group: pool-tcp }\n"
        "      - { name: udp-in, protocol: UDP, protocol_port: %u,"
        " target_group: pool-udp }\n"
        "    target_groups:\n"
        "      - name: pool-tcp\n"
        "        protocol: TCP\n"
        "        members:\n"
        "          - { name: t1, address: 127.0.0.1, protocol_port: 9 }\n"
        "      - name: pool-udp\n"
        "        protocol: UDP\n"
        "        members:\n"
        "          - { name: t1, address: 127.0.0.1, protocol_port: 9 }\n"
        "  - name: lb-l7\n"
        "    type: ALB\n"
        "    address: 127.0.0.1\n"
        "    listeners:\n"
        "      - { name: http-in, protocol: HTTP, protocol_port: %u,"
        " target_group: pool-http }\n"
        "    target_groups:\n"
        "      - name: pool-http\n"
        "        protocol: HTTP\n"
        "        members:\n"
        "          - { name: t1, address: 127.0.0.1, protocol_port: 9 }\n",
        WORKERS, free_port(SOCK_STREAM), free_port(SOCK_DGRAM),
        free_port(SOCK_STREAM));
    assert_int_equal(fclose(f), 0);

    return 0;
}


static int
teardown(void **state)
{
    (void) state;

    unlink(file);
    rmdir(dir);

    return 0;
}


static lb_listening_init_pt
init_of(lb_cycle_t *cycle, lb_listener_proto_e proto, size_t *n)
{
    size_t                 i;
    lb_listening_t        *ls;
    lb_listening_init_pt   init;

    init = NULL;
    *n = 0;

    for (i = 0; i < cycle->listening.nelts; i++) {
        ls = lb_array_at(&cycle->listening, lb_listening_t, i);
        if (ls->listener->protocol != proto) {
            continue;
        }
        /* every slot's socket of a listener gets the same set-up */
        if (*n > 0) {
            assert_ptr_equal(ls->init, init);
        }
        init = ls->init;
        (*n)++;
    }

    return init;
}


static void
test_each_protocol_to_its_module(void **state)
{
    size_t       n;
    lb_cycle_t  *cycle;

    (void) state;

    cycle = lb_init_cycle(NULL, dir, file, LB_CYCLE_RUN, lb_modules);
    assert_non_null(cycle);
    assert_int_equal(cycle->listening.nelts, 3 * WORKERS);

    assert_ptr_equal(init_of(cycle, LB_LISTENER_TCP, &n),
                     lb_stream_init_listening);
    assert_int_equal(n, WORKERS);
    assert_ptr_equal(init_of(cycle, LB_LISTENER_UDP, &n),
                     lb_stream_udp_init_listening);
    assert_int_equal(n, WORKERS);
    assert_ptr_equal(init_of(cycle, LB_LISTENER_HTTP, &n),
                     lb_http_init_listening);
    assert_int_equal(n, WORKERS);

    lb_release_cycle(cycle, NULL);
}


static void
test_no_module_no_init(void **state)
{
    size_t              n;
    lb_cycle_t         *cycle;
    static const lb_module_t  none[] = { { .name = NULL } };

    (void) state;

    cycle = lb_init_cycle(NULL, dir, file, LB_CYCLE_RUN, none);
    assert_non_null(cycle);

    assert_null(init_of(cycle, LB_LISTENER_TCP, &n));
    assert_null(init_of(cycle, LB_LISTENER_UDP, &n));
    assert_null(init_of(cycle, LB_LISTENER_HTTP, &n));

    lb_release_cycle(cycle, NULL);
}


static lb_int_t
first_init(lb_cycle_t *cycle, lb_listening_t *ls)
{
    (void) cycle;
    (void) ls;
    return LB_OK;
}


static void
test_first_module_takes_it(void **state)
{
    size_t              n;
    lb_cycle_t         *cycle;
    static const lb_module_t  two[] = {
        { .name = "first", .protocols = LB_LISTENER_BIT(LB_LISTENER_TCP),
          .init_listening = first_init },
        { .name = "second", .protocols = LB_LISTENER_BIT(LB_LISTENER_TCP)
                                         | LB_LISTENER_BIT(LB_LISTENER_UDP),
          .init_listening = lb_stream_init_listening },
        { .name = NULL }
    };

    (void) state;

    cycle = lb_init_cycle(NULL, dir, file, LB_CYCLE_RUN, two);
    assert_non_null(cycle);

    assert_ptr_equal(init_of(cycle, LB_LISTENER_TCP, &n), first_init);
    assert_ptr_equal(init_of(cycle, LB_LISTENER_UDP, &n),
                     lb_stream_init_listening);
    assert_null(init_of(cycle, LB_LISTENER_HTTP, &n));

    lb_release_cycle(cycle, NULL);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_protocol_to_its_module),
        cmocka_unit_test(test_no_module_no_init),
        cmocka_unit_test(test_first_module_takes_it),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
