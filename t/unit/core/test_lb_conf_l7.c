/* weir: configuration rules of SPEC.md section 11, L7 policies: where
 * they are allowed, every field of a policy and of a rule, FILE_TYPE's
 * compare types, regular expressions with PCRE2's message and offset, 50
 * rules at most, and the target group of REDIRECT_TO_POOL (same balancer,
 * a protocol the listener allows). */
#include "test_lb_conf_helpers.h"

/* an HTTP listener whose first policy starts on line 11 */
#define LBT_L7(policies)                                                    \
    LBT_ALB                                                                 \
    "    listeners:\n"                                                      \
    "      - name: http\n"                                                  \
    "        protocol: HTTP\n"                                              \
    "        protocol_port: 8080\n"                                         \
    "        target_group: web-tg\n"                                        \
    "        l7_policies:\n"                                                \
    policies                                                                \
    "    target_groups:\n"                                                  \
    "      - { name: web-tg, protocol: HTTP }\n"                            \
    "      - { name: proxy-tg, protocol: PROXY }\n"                         \
    "      - { name: tls-tg, protocol: HTTPS }\n"                           \
    "  - name: other-lb\n"                                                  \
    "    type: ALB\n"                                                       \
    "    address: 127.0.0.2\n"                                              \
    "    target_groups:\n"                                                  \
    "      - { name: other-tg, protocol: HTTP }\n"

/* a REJECT policy with one rule, the rule's mapping at 11:21 */
#define LBT_RULE(rule)                                                      \
    LBT_L7("          - name: p\n"                                          \
           "            action: REJECT\n"                                   \
           "            rules:\n"                                           \
           "              - " rule "\n")

#define LBT_P  "load_balancers[web-lb].listeners[http].l7_policies[p]"


static void
test_l7_ok(void **state)
{
    lb_conf_t       *conf;
    lb_listener_t   *l;
    lb_l7_policy_t  *p;

    conf = lbt_ok(LBT_L7(
        "          - name: to-proxy\n"
        "            action: REDIRECT_TO_POOL\n"
        "            redirect_target_group: proxy-tg\n"
        "            rules:\n"
        "              - { type: HOST_NAME, compare_type: REGEX,"
        " value: \"^a\\\\.example$\" }\n"
        "              - { type: HEADER, key: X-A, compare_type: CONTAINS,"
        " value: b, is_inverted: true }\n"
        "          - name: url\n"
        "            position: 1\n"
        "            action: REDIRECT_TO_URL\n"
        "            redirect_url: https://example.com/x\n"
        "            redirect_http_code: 308\n"
        "          - name: prefix\n"
        "            action: REDIRECT_PREFIX\n"
        "            redirect_prefix: http://example.com\n"
        "            is_enabled: false\n"
        "            rules:\n"
        "              - { type: FILE_TYPE, compare_type: EQUAL_TO,"
        " value: png }\n"
        "              - { type: COOKIE, key: s, compare_type: STARTS_WITH,"
        " value: x }\n"
        "              - { type: PATH, compare_type: ENDS_WITH,"
        " value: /x }\n"));

    l = &conf->balancers[0].listeners[0];
    assert_int_equal(l->nl7_policies, 3);

    p = &l->l7_policies[0];
    assert_int_equal(p->action, LB_L7_REDIRECT_TO_POOL);
    assert_ptr_equal(p->redirect_target_group,
                     &conf->balancers[0].target_groups[1]);
    assert_int_equal(p->position, 1);     /* its place: the default */
    assert_true(p->is_enabled);
    assert_int_equal(p->nrules, 2);
    assert_false(p->rules[0].is_inverted);
    assert_true(p->rules[1].is_inverted);
    assert_string_equal(p->rules[1].key, "X-A");
    assert_non_null(p->id);
    assert_non_null(p->rules[0].id);
    assert_string_not_equal(p->rules[0].id, p->rules[1].id);

    p = &l->l7_policies[1];
    assert_int_equal(p->redirect_http_code, 308);
    assert_int_equal(p->nrules, 0);

    p = &l->l7_policies[2];
    assert_int_equal(p->position, 3);
    assert_int_equal(p->redirect_http_code, 302);   /* the default */
    assert_false(p->is_enabled);
    assert_int_equal(p->rules[0].type, LB_L7_RULE_FILE_TYPE);
}


/* ids are derived from what names a policy (its listener and name, else
 * its place) and a rule (its policy and place): the same on every parse */
static void
test_l7_ids(void **state)
{
    const char      *yaml;
    lb_conf_t       *a, *b;
    lb_l7_policy_t  *pa, *pb;

    yaml = LBT_L7("          - name: p\n"
                  "            action: REJECT\n"
                  "            rules:\n"
                  "              - { type: PATH, compare_type: EQUAL_TO,"
                  " value: /a }\n"
                  "          - action: REJECT\n");

    a = lbt_ok(yaml);
    b = lbt_ok(yaml);

    pa = a->balancers[0].listeners[0].l7_policies;
    pb = b->balancers[0].listeners[0].l7_policies;

    assert_string_equal(pa[0].id, pb[0].id);
    assert_string_equal(pa[1].id, pb[1].id);
    assert_string_equal(pa[0].rules[0].id, pb[0].rules[0].id);
    assert_string_not_equal(pa[0].id, pa[1].id);
}


static void
test_l7_not_on_tcp(void **state)
{
    lbt_error(LBT_NLB
              "    listeners:\n"
              "      - name: tcp\n"
              "        protocol: TCP\n"
              "        protocol_port: 8080\n"
              "        l7_policies: []\n",
              "9:22: load_balancers[net-lb].listeners[tcp].l7_policies: "
              "not allowed here: only on HTTP and HTTPS listeners (protocol "
              "is TCP)");
}


static void
test_l7_policy_fields(void **state)
{
    lbt_error(LBT_L7("          - name: p\n"
                     "            rules: []\n"),
              "11:13: " LBT_P ".action: missing; required");

    lbt_error(LBT_L7("          - { name: p, action: DROP }\n"),
              "11:32: " LBT_P ".action: \"DROP\" is not a valid value; "
              "allowed: REDIRECT_TO_POOL, REDIRECT_TO_URL, "
              "REDIRECT_PREFIX, REJECT");

    lbt_error(LBT_L7("          - { name: p, action: REJECT, position: 0 }\n"),
              "11:50: " LBT_P ".position: 0 is out of range; allowed: "
              "1..1000000");

    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_TO_URL }\n"),
              "11:13: " LBT_P ".redirect_url: missing; required (action is "
              "REDIRECT_TO_URL)");

    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_PREFIX,"
                     " redirect_prefix: \"/x\" }\n"),
              "11:66: " LBT_P ".redirect_prefix: \"/x\" is not an http:// "
              "or https:// URL; allowed: an absolute http:// or https:// "
              "URL of printable ASCII without spaces");

    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_TO_URL,"
                     " redirect_url: \"http://a b\" }\n"),
              "11:63: " LBT_P ".redirect_url: \"http://a b\" has a space or "
              "a control or non-ASCII byte at position 9; allowed: an "
              "absolute http:// or https:// URL of printable ASCII without "
              "spaces");

    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_TO_URL,"
                     " redirect_url: \"https:///x\" }\n"),
              "11:63: " LBT_P ".redirect_url: \"https:///x\" has no host; "
              "allowed: an absolute http:// or https:// URL of printable "
              "ASCII without spaces");

    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_TO_URL,"
                     " redirect_url: \"http://a\","
                     " redirect_http_code: 304 }\n"),
              "11:95: " LBT_P ".redirect_http_code: 304 is not a redirect "
              "code; allowed: 301, 302, 303, 307, 308");

    lbt_error(LBT_L7("          - { name: p, action: REJECT,"
                     " redirect_http_code: 301 }\n"),
              "11:60: " LBT_P ".redirect_http_code: not allowed here: only "
              "with action REDIRECT_TO_URL and REDIRECT_PREFIX (action is "
              "REJECT)");

    lbt_error(LBT_L7("          - { name: p, action: REJECT,"
                     " redirect_target_group: web-tg }\n"),
              "11:63: " LBT_P ".redirect_target_group: not allowed here: "
              "only with action REDIRECT_TO_POOL (action is REJECT)");

    lbt_error(LBT_L7("          - { name: p, action: REJECT }\n"
                     "          - { name: p, action: REJECT }\n"),
              "12:21: " LBT_P ".name: duplicate L7 policy name \"p\" (first "
              "at 11:21); L7 policy names are unique in a listener");
}


static void
test_l7_group(void **state)
{
    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_TO_POOL,"
                     " redirect_target_group: other-tg }\n"),
              "11:73: " LBT_P ".redirect_target_group: target group "
              "\"other-tg\" does not exist in this load balancer; allowed: "
              "the name of one of its target groups");

    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_TO_POOL,"
                     " redirect_target_group: tls-tg }\n"),
              "11:73: " LBT_P ".redirect_target_group: target group "
              "\"tls-tg\" is HTTPS, which HTTP listeners cannot use; "
              "allowed: HTTP, PROXY target groups");

    lbt_error(LBT_L7("          - { name: p, action: REDIRECT_TO_POOL }\n"),
              "11:13: " LBT_P ".redirect_target_group: missing; required "
              "(action is REDIRECT_TO_POOL)");
}


static void
test_l7_rule_fields(void **state)
{
    lbt_error(LBT_RULE("{ type: QUERY, compare_type: EQUAL_TO, value: a }"),
              "14:25: " LBT_P ".rules[0].type: \"QUERY\" is not a valid value; "
              "allowed: HOST_NAME, PATH, FILE_TYPE, HEADER, "
              "COOKIE");

    lbt_error(LBT_RULE("{ type: PATH, compare_type: LIKE, value: a }"),
              "14:45: " LBT_P ".rules[0].compare_type: \"LIKE\" is not a valid "
              "value; allowed: REGEX, STARTS_WITH, "
              "ENDS_WITH, CONTAINS, EQUAL_TO");

    lbt_error(LBT_RULE("{ type: FILE_TYPE, compare_type: CONTAINS,"
                       " value: a }"),
              "14:50: " LBT_P ".rules[0].compare_type: CONTAINS is not "
              "allowed for FILE_TYPE rules; allowed: REGEX, EQUAL_TO");

    lbt_error(LBT_RULE("{ type: FILE_TYPE, compare_type: STARTS_WITH,"
                       " value: a }"),
              "14:50: " LBT_P ".rules[0].compare_type: STARTS_WITH is not "
              "allowed for FILE_TYPE rules; allowed: REGEX, EQUAL_TO");

    lbt_error(LBT_RULE("{ type: HEADER, compare_type: EQUAL_TO, value: a }"),
              "14:17: " LBT_P ".rules[0].key: missing; required (type is "
              "HEADER)");

    lbt_error(LBT_RULE("{ type: COOKIE, compare_type: EQUAL_TO, value: a }"),
              "14:17: " LBT_P ".rules[0].key: missing; required (type is "
              "COOKIE)");

    lbt_error(LBT_RULE("{ type: PATH, key: X, compare_type: EQUAL_TO,"
                       " value: a }"),
              "14:36: " LBT_P ".rules[0].key: not allowed here: only for "
              "HEADER and COOKIE rules (type is PATH)");

    lbt_error(LBT_RULE("{ type: HEADER, key: \"X A\", compare_type: EQUAL_TO,"
                       " value: a }"),
              "14:38: " LBT_P ".rules[0].key: \"X A\" has a character not "
              "allowed at position 2; allowed: a header or cookie name: "
              "1..255 of A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~");

    lbt_error(LBT_RULE("{ type: PATH, compare_type: EQUAL_TO }"),
              "14:17: " LBT_P ".rules[0].value: missing; required");

    lbt_error(LBT_RULE("{ type: PATH, compare_type: EQUAL_TO, value: \"\" }"),
              "14:62: " LBT_P ".rules[0].value: \"\" is too short (0 "
              "characters); allowed: 1..255 characters without CR or LF");

    lbt_error(LBT_RULE("{ type: PATH, compare_type: EQUAL_TO,"
                       " value: \"a\\rb\" }"),
              "14:62: " LBT_P ".rules[0].value: \"a\\x0db\" has CR at "
              "position 2; allowed: 1..255 characters without CR or LF");

    lbt_error(LBT_RULE("{ type: PATH, compare_type: EQUAL_TO,"
                       " value: \"ab\\n\" }"),
              "14:62: " LBT_P ".rules[0].value: \"ab\\x0a\" has LF at "
              "position 3; allowed: 1..255 characters without CR or LF");

    lbt_error(LBT_RULE("{ type: PATH, compare_type: EQUAL_TO,"
                       " is_inverted: maybe, value: a }"),
              "14:68: " LBT_P ".rules[0].is_inverted: \"maybe\" is not a "
              "boolean; allowed: true, false");
}


static void
test_l7_regex(void **state)
{
    lbt_error(LBT_RULE("{ type: PATH, compare_type: REGEX, value: \"^/a(\" }"),
              "14:59: " LBT_P ".rules[0].value: invalid regular expression "
              "at offset 4: missing closing parenthesis");

    lbt_error(LBT_RULE("{ type: HOST_NAME, compare_type: REGEX,"
                       " value: \"*a\" }"),
              "14:64: " LBT_P ".rules[0].value: invalid regular expression "
              "at offset 0: quantifier does not follow a repeatable item");

    lbt_error(LBT_RULE("{ type: PATH, compare_type: REGEX, value: \"[z-a]\" }"),
              "14:59: " LBT_P ".rules[0].value: invalid regular expression "
              "at offset 3: range out of order in character class");

    /* a regular expression is only judged as one for REGEX */
    (void) lbt_ok(LBT_RULE("{ type: PATH, compare_type: CONTAINS,"
                           " value: \"(\" }"));
}


static void
test_l7_rule_count(void **state)
{
    char     yaml[8192], *p;
    size_t   i;

    p = yaml;
    p += sprintf(p, "%s", LBT_ALB
                 "    listeners:\n"
                 "      - name: http\n"
                 "        protocol: HTTP\n"
                 "        protocol_port: 8080\n"
                 "        l7_policies:\n"
                 "          - name: p\n"
                 "            action: REJECT\n"
                 "            rules:\n");

    for (i = 0; i < 50; i++) {
        p += sprintf(p, "              - { type: PATH, compare_type: "
                     "EQUAL_TO, value: /%zu }\n", i);
    }

    (void) lbt_ok(yaml);

    sprintf(p, "              - { type: PATH, compare_type: EQUAL_TO,"
            " value: /x }\n");

    lbt_error(yaml, "13:15: load_balancers[web-lb].listeners[http]"
              ".l7_policies[p].rules: 51 rules; allowed: at most 50 rules "
              "per policy");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_l7_ok),
        lbt_test(test_l7_ids),
        lbt_test(test_l7_not_on_tcp),
        lbt_test(test_l7_policy_fields),
        lbt_test(test_l7_group),
        lbt_test(test_l7_rule_fields),
        lbt_test(test_l7_regex),
        lbt_test(test_l7_rule_count),
    };

    return cmocka_run_group_tests_name("lb_conf L7 policies", tests,
                                       NULL, NULL);
}
