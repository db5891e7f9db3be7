/* weir: unit tests for the session ticket keys of the zone
 * (src/core/lb_zone_ticket.c): one key at first, the current one moves to
 * second place at a rotation and the one before is dropped; a forked
 * process (a worker) reads what the master wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_log.h"
#include "lb_zone.h"
#include "lb_zone_ticket.h"

static lb_shm_zone_t  *z;


static int
setup(void **state)
{
    z = lb_zone_create(LB_ZONE_MIN_SIZE);
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
test_rotation(void **state)
{
    lb_zone_ticket_key_t  first[LB_ZONE_TICKET_KEYS];
    lb_zone_ticket_key_t  keys[LB_ZONE_TICKET_KEYS];
    lb_zone_ticket_key_t  zero;

    memset(&zero, 0, sizeof(zero));

    assert_int_equal(lb_zone_ticket_keys(z, first), 1);
    assert_int_equal(lb_zone_ticket_rotations(z), 0);
    /* random: not left at zero */
    assert_memory_not_equal(&first[0], &zero, sizeof(zero));

    assert_int_equal(lb_zone_ticket_rotate(z, 5000), LB_OK);
    assert_int_equal(lb_zone_ticket_keys(z, keys), 2);
    assert_memory_equal(&keys[1], &first[0], sizeof(zero));
    assert_memory_not_equal(&keys[0], &first[0], sizeof(zero));
    assert_memory_not_equal(keys[0].name, first[0].name,
                            LB_ZONE_TICKET_NAME_LEN);
    assert_int_equal(lb_zone_ticket_made(z), 5000);
    assert_int_equal(lb_zone_ticket_rotations(z), 1);

    first[1] = keys[0];

    assert_int_equal(lb_zone_ticket_rotate(z, 9000), LB_OK);
    assert_int_equal(lb_zone_ticket_keys(z, keys), 2);
    assert_memory_equal(&keys[1], &first[1], sizeof(zero));
    assert_memory_not_equal(&keys[0], &first[0], sizeof(zero));
    assert_memory_not_equal(&keys[0], &first[1], sizeof(zero));
    assert_int_equal(lb_zone_ticket_made(z), 9000);
    assert_int_equal(lb_zone_ticket_rotations(z), 2);
}


/* A worker (forked before the rotation) sees the master's rotation: the
 * key it had is second, a new one first. */
static void
test_forked_reader(void **state)
{
    int                    i, status;
    pid_t                  pid;
    lb_zone_ticket_key_t   before[LB_ZONE_TICKET_KEYS];

    assert_int_equal(lb_zone_ticket_keys(z, before), 1);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        lb_zone_ticket_key_t  keys[LB_ZONE_TICKET_KEYS];

        /* bounded: 5 s */
        for (i = 0; i < 5000 && lb_zone_ticket_rotations(z) == 0; i++) {
            usleep(1000);
        }

        _exit(lb_zone_ticket_keys(z, keys) == 2
              && memcmp(&keys[1], &before[0], sizeof(keys[1])) == 0
              && memcmp(&keys[0], &before[0], sizeof(keys[0])) != 0
              ? 0 : 1);
    }

    assert_int_equal(lb_zone_ticket_rotate(z, 1), LB_OK);

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forked_reader, setup, teardown),
    };

    lb_log.level = LB_LOG_WARN;

    return cmocka_run_group_tests_name("lb_zone_ticket", tests, NULL, NULL);
}
