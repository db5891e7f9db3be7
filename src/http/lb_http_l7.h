/* weir: L7 policies on the data path (SPEC.md section 11): the policies
 * of each HTTP and HTTPS listener compiled once per configuration
 * generation, and the matcher a request goes through before the
 * listener's default target group. */
#ifndef LB_HTTP_L7_H
#define LB_HTTP_L7_H

#include "lb_conf_l7.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_http_types.h"
#include "lb_zone_gauge.h"

/* The shared counters (gauges of lb_zone_gauge.h, their `entered`):
 * requests each policy acted on, by the policy's id, and regular
 * expression matches stopped by the match limit; the admin's /metrics
 * reads them. A gauge is never freed: policies created and deleted over
 * and over use up the registry (then they go uncounted, logged). */
#define LB_HTTP_L7_GAUGE        "l7:"
#define LB_HTTP_L7_LIMIT_GAUGE  "l7-match-limit"

/* The most steps PCRE2 may take for one rule of one request (its
 * match_limit; the depth limit is the same): a pattern with catastrophic
 * backtracking gives up there, the rule counts as not matching and
 * lb_http_l7_limit_hits() counts it, so no request can hang a worker. A
 * sane pattern over a head of at most 16 KiB stays far below it. */
#define LB_HTTP_L7_MATCH_LIMIT  100000

/* a Location: a prefix (at most 2048) and a request-target (at most a
 * request line, 8 KiB) */
#define LB_HTTP_L7_LOCATION     (2048 + 8192)

/* one rule, ready to compare */
typedef struct {
    lb_l7_rule_type_e        type;
    lb_l7_compare_e          cmp;
    bool                     inverted;
    const u_char            *key;         /* HEADER, COOKIE */
    size_t                   key_len;
    const u_char            *value;
    size_t                   value_len;
    pcre2_code              *re;          /* REGEX */
    bool                     jit;         /* re was JIT-compiled */
} lb_http_l7_rule_t;

typedef struct {
    const lb_l7_policy_t    *conf;
    lb_http_l7_rule_t       *rules;
    uint32_t                 nrules;
    uint64_t                 matched;     /* requests it acted on, in this
                                             worker and generation */
    lb_zone_gauge_t         *counter;     /* the same, shared; NULL: none */
} lb_http_l7_policy_t;

/* the policies of one listener that can act: enabled, with rules, in
 * position order (ties: the order of the file) */
typedef struct {
    lb_http_l7_policy_t     *policies;
    uint32_t                 n;
} lb_http_l7_t;

/* Compile the policies of listener l into pool (the generation's: the
 * compiled patterns are freed with it), with their shared counters in
 * zone (NULL: none). Returns the list (n 0 for a listener without
 * policies), or NULL (out of memory, or a pattern that does not compile:
 * logged). */
lb_http_l7_t *lb_http_l7_build(const lb_listener_t *l, lb_shm_zone_t *zone,
    lb_pool_t *pool);

/* The first policy of l7 whose rules all match request m (bytes at
 * start), counted in its `matched`; NULL: none, the default group
 * serves. No allocation: the match data is the worker's. */
lb_http_l7_policy_t *lb_http_l7_match(lb_http_l7_t *l7,
    const lb_http_msg_t *m, const u_char *start);

/* Regular expression matches that hit LB_HTTP_L7_MATCH_LIMIT in this
 * worker. */
uint64_t lb_http_l7_limit_hits(void);

/* Write the Location of a REDIRECT_TO_URL or REDIRECT_PREFIX policy for
 * request m into buf (size bytes): the URL, or the prefix followed by
 * the request's path and query. Returns its length, 0 when it does not
 * fit. */
size_t lb_http_l7_location(const lb_l7_policy_t *p, const lb_http_msg_t *m,
    const u_char *start, u_char *buf, size_t size);

#endif /* LB_HTTP_L7_H */
