/* weir: the cost of L7 policies on the data path, without sockets: one
 * listener with 5 policies of 10 rules each (2 of them REGEX, every type
 * and compare type), built as a worker builds them (lb_http_l7_build(),
 * PCRE2 JIT), and a typical request head that meets every rule but the
 * last of each policy, so all 50 are evaluated; then the same request
 * against a listener without policies. Prints ns per request.
 *
 *   make build && cc -O2 -Iobjs -Isrc/core -Isrc/event -Isrc/http \
 *       -Isrc/proc -o objs/l7match bench/l7match.c objs/libweir.a \
 *       -lssl -lcrypto -lpcre2-8 -lz -lyaml -lrt -pthread
 *   objs/l7match [requests]
 *
 * Not part of bench.pl: issue 15's comparison with HAProxy ACLs and
 * nginx map/location blocks is still to be written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lb_conf.h"
#include "lb_http_l7.h"
#include "lb_http_parse.h"
#include "lb_palloc.h"

static const char  *lbb_rules[] = {
    "{ type: PATH, compare_type: STARTS_WITH, value: \"/\" }",
    "{ type: HOST_NAME, compare_type: CONTAINS, value: \"example\" }",
    "{ type: PATH, compare_type: REGEX, value: \"^/[a-z]*$\" }",
    "{ type: HEADER, key: Accept, compare_type: ENDS_WITH, value: \"*\" }",
    "{ type: FILE_TYPE, compare_type: EQUAL_TO, value: png,"
    " is_inverted: true }",
    "{ type: COOKIE, key: beta, compare_type: EQUAL_TO, value: \"1\","
    " is_inverted: true }",
    "{ type: HOST_NAME, compare_type: REGEX,"
    " value: \"^www\\\\.example\\\\.(com|org)$\" }",
    "{ type: PATH, compare_type: CONTAINS, value: x, is_inverted: true }",
    "{ type: HEADER, key: User-Agent, compare_type: STARTS_WITH,"
    " value: nobody, is_inverted: true }",
    "{ type: PATH, compare_type: EQUAL_TO, value: /never }",
};

static const char  lbb_head[] =
    "GET /abc HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: wrk\r\n"
    "Accept: */*\r\nCookie: session=0123456789abcdef\r\n\r\n";


static double
lbb_run(const char *yaml, long n, unsigned *npolicies)
{
    long               i;
    lb_pool_t         *pool;
    lb_conf_t         *conf;
    lb_array_t         errors;
    lb_http_l7_t      *l7;
    lb_http_msg_t      m;
    struct timespec    a, b;
    lb_http_header_t   headers[LB_HTTP_MAX_HEADERS];
    void *volatile     hit;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (pool == NULL
        || lb_array_init(&errors, pool, 8, sizeof(char *)) != LB_OK)
    {
        exit(1);
    }

    conf = lb_conf_parse_string(pool, "l7match.yaml", yaml, strlen(yaml),
                                &errors);
    if (conf == NULL) {
        for (i = 0; i < (long) errors.nelts; i++) {
            fprintf(stderr, "%s\n", ((char **) errors.elts)[i]);
        }
        exit(1);
    }

    l7 = lb_http_l7_build(&conf->balancers[0].listeners[0], NULL, pool);

    lb_http_msg_init(&m, headers, LB_HTTP_MAX_HEADERS, NULL);
    if (l7 == NULL
        || lb_http_parse_request(&m, (const u_char *) lbb_head,
                                 (const u_char *) lbb_head
                                 + sizeof(lbb_head) - 1)
           != LB_OK)
    {
        exit(1);
    }

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (i = 0; i < n; i++) {
        hit = lb_http_l7_match(l7, &m, (const u_char *) lbb_head);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);

    if (hit != NULL) {
        fprintf(stderr, "a policy matched: the request should meet none\n");
        exit(1);
    }

    *npolicies = l7->n;
    lb_destroy_pool(pool);

    return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}


int
main(int argc, char **argv)
{
    long       n;
    size_t     len;
    unsigned   p, r, np;
    double     with, without;
    char       yaml[16384];

    static const char  head[] =
        "load_balancers:\n"
        "  - name: web-lb\n"
        "    type: ALB\n"
        "    address: 127.0.0.1\n"
        "    listeners:\n"
        "      - name: http\n"
        "        protocol: HTTP\n"
        "        protocol_port: 8080\n";

    n = argc > 1 ? atol(argv[1]) : 2000000;

    len = (size_t) snprintf(yaml, sizeof(yaml), "%s        l7_policies:\n",
                            head);

    for (p = 0; p < 5; p++) {
        len += (size_t) snprintf(yaml + len, sizeof(yaml) - len,
                                 "          - name: p%u\n"
                                 "            action: REJECT\n"
                                 "            rules:\n", p);
        for (r = 0; r < 10; r++) {
            len += (size_t) snprintf(yaml + len, sizeof(yaml) - len,
                                     "              - %s\n", lbb_rules[r]);
        }
    }

    with = lbb_run(yaml, n, &np);
    printf("%u policies, 50 rules (10 REGEX), all evaluated: %.1f ns a "
           "request\n", np, with);

    without = lbb_run(head, n, &np);
    printf("no policies: %.1f ns a request\n", without);

    return 0;
}
