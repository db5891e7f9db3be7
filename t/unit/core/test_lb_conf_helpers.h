/* weir: helpers shared by the configuration unit tests: parse a YAML
 * string and compare the whole list of error lines with the expected one.
 * Every test runs with its own pool. */
#ifndef TEST_LB_CONF_HELPERS_H
#define TEST_LB_CONF_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb_conf.h"
#include "lb_log.h"
#include "lb_palloc.h"

/* a balancer head of 4 lines; what follows starts on line 5 */
#define LBT_ALB                                                             \
    "load_balancers:\n"                                                     \
    "  - name: web-lb\n"                                                    \
    "    type: ALB\n"                                                       \
    "    address: 127.0.0.1\n"

#define LBT_NLB                                                             \
    "load_balancers:\n"                                                     \
    "  - name: net-lb\n"                                                    \
    "    type: NLB\n"                                                       \
    "    address: 127.0.0.1\n"

#define LBT_DSR                                                             \
    "load_balancers:\n"                                                     \
    "  - name: dsr-lb\n"                                                    \
    "    type: NLB_L4_DSR\n"                                                \
    "    address: 127.0.0.1\n"

static lb_pool_t  *lbt_pool;


static int
lbt_setup(void **state)
{
    (void) state;
    lbt_pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    return lbt_pool == NULL ? -1 : 0;
}


static int
lbt_teardown(void **state)
{
    (void) state;
    lb_destroy_pool(lbt_pool);
    lbt_pool = NULL;
    return 0;
}


static lb_conf_t *
lbt_parse(const char *yaml, lb_array_t *errors)
{
    assert_int_equal(lb_array_init(errors, lbt_pool, 8, sizeof(char *)),
                     LB_OK);

    return lb_conf_parse_string(lbt_pool, "t.yaml", yaml, strlen(yaml),
                                errors);
}


static void
lbt_print(const lb_array_t *errors)
{
    size_t  i;

    for (i = 0; i < errors->nelts; i++) {
        print_message("  got: %s\n", ((char **) errors->elts)[i]);
    }
}


/* the config must parse without any error */
static lb_conf_t *
lbt_ok(const char *yaml)
{
    lb_conf_t   *conf;
    lb_array_t   errors;

    conf = lbt_parse(yaml, &errors);

    if (errors.nelts != 0 || conf == NULL) {
        lbt_print(&errors);
    }

    assert_int_equal(errors.nelts, 0);
    assert_non_null(conf);

    return conf;
}


/* the config must fail with exactly these lines (NULL-terminated),
 * without the "t.yaml:" prefix */
static void
lbt_errors(const char *yaml, ...)
{
    size_t        n, i;
    va_list       ap;
    lb_conf_t    *conf;
    lb_array_t    errors;
    const char   *want[64];
    char          full[4096];

    va_start(ap, yaml);
    for (n = 0; n < 64 && (want[n] = va_arg(ap, const char *)) != NULL; n++) {
        /* void */
    }
    va_end(ap);

    conf = lbt_parse(yaml, &errors);

    if (errors.nelts != n) {
        lbt_print(&errors);
    }

    assert_null(conf);
    assert_int_equal(errors.nelts, n);

    for (i = 0; i < n; i++) {
        snprintf(full, sizeof(full), "t.yaml:%s", want[i]);
        if (strcmp(full, ((char **) errors.elts)[i]) != 0) {
            lbt_print(&errors);
        }
        assert_string_equal(((char **) errors.elts)[i], full);
    }
}

#define lbt_error(yaml, line)  lbt_errors(yaml, line, NULL)

#define lbt_test(f)  cmocka_unit_test_setup_teardown(f, lbt_setup, lbt_teardown)

#endif /* TEST_LB_CONF_HELPERS_H */
