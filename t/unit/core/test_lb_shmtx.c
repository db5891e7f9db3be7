/* weir: unit tests for src/core/lb_shmtx.c: a lock shared by processes
 * that survives the death of its holder. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_log.h"
#include "lb_shmtx.h"

#define N  200000

typedef struct {
    lb_shmtx_t         mtx;
    volatile uint64_t  counter;
} shared_t;

static shared_t  *sh;
static pid_t      blocked = -1;   /* a child that waits for the parent */


static int
setup(void **state)
{
    sh = mmap(NULL, sizeof(shared_t), PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(sh != MAP_FAILED);
    assert_int_equal(lb_shmtx_init(&sh->mtx), LB_OK);
    sh->counter = 0;
    return 0;
}


static int
teardown(void **state)
{
    /* a failed assertion may leave a child waiting forever */
    if (blocked != -1) {
        kill(blocked, SIGKILL);
        waitpid(blocked, NULL, 0);
        blocked = -1;
    }

    lb_shmtx_destroy(&sh->mtx);
    munmap(sh, sizeof(shared_t));
    return 0;
}


static int
wait_child(pid_t pid)
{
    int  status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}


/* Send the log to a temp file; return its fd for reading back. */
static int
capture_log(void)
{
    char  path[] = "/tmp/weir-test-shmtx-XXXXXX";
    int   fd;

    fd = mkstemp(path);
    assert_true(fd != -1);
    unlink(path);
    lb_log.fd = fd;
    return fd;
}


static void
read_log(int fd, char *buf, size_t size)
{
    ssize_t  n;

    n = pread(fd, buf, size - 1, 0);
    assert_true(n >= 0);
    buf[n] = '\0';
    lb_log.fd = 2;
    close(fd);
}


static void
test_lock_unlock(void **state)
{
    assert_int_equal(lb_shmtx_lock(&sh->mtx), LB_OK);
    assert_int_equal(sh->mtx.owner, getpid());
    lb_shmtx_unlock(&sh->mtx);

    assert_int_equal(lb_shmtx_trylock(&sh->mtx), LB_OK);
    lb_shmtx_unlock(&sh->mtx);
}


/* Held by another process: trylock says busy, lock waits for it. */
static void
test_trylock_busy(void **state)
{
    int    held[2], go[2];
    char   c;
    pid_t  pid;

    assert_int_equal(pipe(held), 0);
    assert_int_equal(pipe(go), 0);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        if (lb_shmtx_lock(&sh->mtx) != LB_OK) {
            _exit(1);
        }
        sh->counter = 42;
        if (write(held[1], "h", 1) != 1 || read(go[0], &c, 1) != 1) {
            _exit(2);
        }
        sh->counter = 43;
        lb_shmtx_unlock(&sh->mtx);
        _exit(0);
    }

    blocked = pid;
    assert_int_equal(read(held[0], &c, 1), 1);
    assert_int_equal(lb_shmtx_trylock(&sh->mtx), LB_BUSY);
    assert_int_equal(sh->mtx.owner, pid);

    assert_int_equal(write(go[1], "g", 1), 1);

    /* blocks until the child has written 43 and unlocked */
    assert_int_equal(lb_shmtx_lock(&sh->mtx), LB_OK);
    assert_int_equal(sh->counter, 43);
    lb_shmtx_unlock(&sh->mtx);

    blocked = -1;
    assert_int_equal(wait_child(pid), 0);

    close(held[0]);
    close(held[1]);
    close(go[0]);
    close(go[1]);
    sh->counter = 0;
}


static void
increment(unsigned n)
{
    unsigned  i;
    uint64_t  v;

    for (i = 0; i < n; i++) {
        if (lb_shmtx_lock(&sh->mtx) != LB_OK) {
            _exit(3);
        }
        /* a read-modify-write that loses updates without the lock */
        v = sh->counter;
        if ((i & 1023) == 0) {
            sched_yield();
        }
        sh->counter = v + 1;
        lb_shmtx_unlock(&sh->mtx);
    }
}


/* Two processes incrementing under the lock N times each give 2N. */
static void
test_two_processes_count(void **state)
{
    pid_t  a, b;

    sh->counter = 0;

    a = fork();
    assert_true(a != -1);
    if (a == 0) {
        increment(N);
        _exit(0);
    }

    b = fork();
    assert_true(b != -1);
    if (b == 0) {
        increment(N);
        _exit(0);
    }

    assert_int_equal(wait_child(a), 0);
    assert_int_equal(wait_child(b), 0);

    assert_int_equal(sh->counter, 2 * (uint64_t) N);
}


/* A holder that exits without unlocking: the next taker gets the lock,
 * is told the owner died, and the lock works normally afterwards. */
static void
test_owner_died(void **state)
{
    int       fd;
    char      buf[4096], expect[64];
    pid_t     pid;
    uint32_t  deaths;

#ifndef LB_HAVE_ROBUST_MUTEX
    skip();
#endif

    deaths = sh->mtx.deaths;

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        if (lb_shmtx_lock(&sh->mtx) != LB_OK) {
            _exit(1);
        }
        sh->counter = 7;
        _exit(0);           /* still holding the lock */
    }

    assert_int_equal(wait_child(pid), 0);
    assert_int_equal(sh->mtx.owner, pid);

    fd = capture_log();
    assert_int_equal(lb_shmtx_lock(&sh->mtx), LB_SHMTX_OWNER_DEAD);
    read_log(fd, buf, sizeof(buf));

    snprintf(expect, sizeof(expect), "process %d died holding a shared lock",
             (int) pid);
    assert_non_null(strstr(buf, expect));
    assert_non_null(strstr(buf, "[alert]"));

    assert_int_equal(sh->counter, 7);
    assert_int_equal(sh->mtx.owner, getpid());
    assert_int_equal(sh->mtx.deaths, deaths + 1);
    lb_shmtx_unlock(&sh->mtx);

    /* made consistent: plain lock and trylock again */
    assert_int_equal(lb_shmtx_lock(&sh->mtx), LB_OK);
    lb_shmtx_unlock(&sh->mtx);
    assert_int_equal(lb_shmtx_trylock(&sh->mtx), LB_OK);
    lb_shmtx_unlock(&sh->mtx);
}


/* trylock reports the dead owner too. */
static void
test_owner_died_trylock(void **state)
{
    pid_t  pid;

#ifndef LB_HAVE_ROBUST_MUTEX
    skip();
#endif

    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        _exit(lb_shmtx_lock(&sh->mtx) == LB_OK ? 0 : 1);
    }

    assert_int_equal(wait_child(pid), 0);

    lb_log.level = LB_LOG_EMERG;
    assert_int_equal(lb_shmtx_trylock(&sh->mtx), LB_SHMTX_OWNER_DEAD);
    lb_log.level = LB_LOG_INFO;
    lb_shmtx_unlock(&sh->mtx);
}


/* A process blocked in lock() while the holder is killed gets the lock
 * with the owner-died status. */
static void
test_waiter_gets_dead_lock(void **state)
{
    int    held[2], status;
    char   c;
    pid_t  holder, waiter;

#ifndef LB_HAVE_ROBUST_MUTEX
    skip();
#endif

    assert_int_equal(pipe(held), 0);

    holder = fork();
    assert_true(holder != -1);
    if (holder == 0) {
        if (lb_shmtx_lock(&sh->mtx) != LB_OK
            || write(held[1], "h", 1) != 1)
        {
            _exit(1);
        }
        for ( ;; ) {
            pause();
        }
    }

    blocked = holder;
    assert_int_equal(read(held[0], &c, 1), 1);

    waiter = fork();
    assert_true(waiter != -1);
    if (waiter == 0) {
        lb_log.level = LB_LOG_EMERG;
        switch (lb_shmtx_lock(&sh->mtx)) {
        case LB_SHMTX_OWNER_DEAD:
            lb_shmtx_unlock(&sh->mtx);
            _exit(0);
        case LB_OK:
            _exit(4);
        default:
            _exit(5);
        }
    }

    assert_int_equal(kill(holder, SIGKILL), 0);
    blocked = -1;
    status = wait_child(holder);
    assert_true(WIFSIGNALED(status));

    status = wait_child(waiter);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    assert_int_equal(lb_shmtx_lock(&sh->mtx), LB_OK);
    lb_shmtx_unlock(&sh->mtx);

    close(held[0]);
    close(held[1]);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_lock_unlock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trylock_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_processes_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_owner_died, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_died_trylock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_waiter_gets_dead_lock, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
