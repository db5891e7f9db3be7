/* weir: unit tests for src/http/lb_http_l7.c, the L7 matcher: what each
 * rule type looks at (host without port and any case, path without
 * query, the extension, every field of a header, a cookie), every compare
 * type, is_inverted, position order, disabled policies and policies
 * without rules, regular expression edge cases (anchors, UTF-8, invalid
 * UTF-8 in a header, a catastrophic pattern stopped by the match limit
 * and counted), and the Location of redirects. Requests go through the
 * real parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb_http_l7.h"
#include "lb_http_parse.h"
#include "lb_palloc.h"

static lb_pool_t         *lbt_pool;
static lb_http_msg_t      lbt_msg;
static lb_http_header_t   lbt_headers[LB_HTTP_MAX_HEADERS];
static u_char             lbt_buf[16384];


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
    return 0;
}


/* parse a request head (LF written as "\n" is turned into CRLF) */
static void
lbt_request(const char *head)
{
    size_t  n;

    for (n = 0; *head; head++) {
        if (*head == '\n') {
            lbt_buf[n++] = '\r';
        }
        lbt_buf[n++] = (u_char) *head;
    }

    lb_http_msg_init(&lbt_msg, lbt_headers, LB_HTTP_MAX_HEADERS, NULL);
    assert_int_equal(lb_http_parse_request(&lbt_msg, lbt_buf, lbt_buf + n),
                     LB_OK);
}


/* a listener with one REJECT policy of one rule */
static lb_http_l7_t *
lbt_one(lb_l7_rule_type_e type, lb_l7_compare_e cmp, const char *key,
    const char *value, bool inverted)
{
    lb_listener_t   *l;
    lb_l7_policy_t  *p;
    lb_l7_rule_t    *r;

    l = lb_pcalloc(lbt_pool, sizeof(lb_listener_t));
    p = lb_pcalloc(lbt_pool, sizeof(lb_l7_policy_t));
    r = lb_pcalloc(lbt_pool, sizeof(lb_l7_rule_t));
    assert_true(l && p && r);

    r->type = type;
    r->compare_type = cmp;
    r->key = (char *) key;
    r->value = (char *) value;
    r->is_inverted = inverted;

    p->name = "p";
    p->position = 1;
    p->action = LB_L7_REJECT;
    p->is_enabled = true;
    p->rules = r;
    p->nrules = 1;

    l->name = "l";
    l->l7_policies = p;
    l->nl7_policies = 1;

    return lb_http_l7_build(l, NULL, lbt_pool);
}


/* does the one rule match request head? */
static bool
lbt_match(lb_l7_rule_type_e type, lb_l7_compare_e cmp, const char *key,
    const char *value, bool inverted, const char *head)
{
    lb_http_l7_t  *l7;

    l7 = lbt_one(type, cmp, key, value, inverted);
    assert_non_null(l7);
    lbt_request(head);

    return lb_http_l7_match(l7, &lbt_msg, lbt_buf) != NULL;
}

#define LBT_GET(path, more)                                                 \
    "GET " path " HTTP/1.1\nHost: www.example.com:8080\n" more "\n"


static void
test_host(void **state)
{
    const char  *h = LBT_GET("/", "");
    const char  *abs = "GET http://Abs.Example.org:81/x HTTP/1.1\n"
                       "Host: other\n\n";

    assert_true(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_EQUAL_TO, NULL,
                          "WWW.Example.com", false, h));
    assert_false(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_EQUAL_TO, NULL,
                           "www.example.com:8080", false, h));
    assert_true(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_STARTS_WITH, NULL,
                          "WWW.", false, h));
    assert_true(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_ENDS_WITH, NULL,
                          ".COM", false, h));
    assert_false(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_ENDS_WITH, NULL,
                           "8080", false, h));
    assert_true(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_CONTAINS, NULL,
                          "EXAMPLE", false, h));
    assert_true(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_REGEX, NULL,
                          "^www\\.EXAMPLE\\.com$", false, h));
    assert_false(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_REGEX, NULL,
                           ":8080$", false, h));
    /* the authority of an absolute-form target wins over Host */
    assert_true(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_EQUAL_TO, NULL,
                          "abs.example.org", false, abs));
    assert_true(lbt_match(LB_L7_RULE_HOST_NAME, LB_L7_CMP_EQUAL_TO, NULL,
                          "other", true, abs));
}


static void
test_path(void **state)
{
    const char  *h = LBT_GET("/a/b.html?x=/c&d", "");

    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_EQUAL_TO, NULL,
                          "/a/b.html", false, h));
    assert_false(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_EQUAL_TO, NULL,
                           "/A/b.html", false, h));
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_STARTS_WITH, NULL,
                          "/a/", false, h));
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_ENDS_WITH, NULL,
                          ".html", false, h));
    assert_false(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_ENDS_WITH, NULL,
                           "&d", false, h));
    assert_false(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_CONTAINS, NULL,
                           "/c", false, h));
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_CONTAINS, NULL,
                          "b.h", false, h));
    /* not decoded */
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_EQUAL_TO, NULL,
                          "/a%20b", false, LBT_GET("/a%20b", "")));
    /* absolute-form without a path is "/" */
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_EQUAL_TO, NULL, "/",
                          false, "GET http://x HTTP/1.1\nHost: x\n\n"));
    /* longer than the subject */
    assert_false(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_STARTS_WITH, NULL,
                           "/a/b.html/more", false, h));
}


static void
test_file_type(void **state)
{
    assert_true(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_EQUAL_TO, NULL,
                          "gz", false, LBT_GET("/a/b.tar.gz?x.png", "")));
    assert_false(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_EQUAL_TO, NULL,
                           "png", false, LBT_GET("/a/b.tar.gz?x.png", "")));
    assert_false(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_EQUAL_TO, NULL,
                           "b", false, LBT_GET("/a.b/c", "")));
    /* no extension: "" */
    assert_true(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_REGEX, NULL,
                          "^$", false, LBT_GET("/a.b/c", "")));
    assert_true(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_REGEX, NULL,
                          "^$", false, LBT_GET("/x.", "")));
    assert_true(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_REGEX, NULL,
                          "^(jpe?g|png)$", false, LBT_GET("/p.jpeg", "")));
    assert_false(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_REGEX, NULL,
                           "^(jpe?g|png)$", false, LBT_GET("/p.apng", "")));
    assert_true(lbt_match(LB_L7_RULE_FILE_TYPE, LB_L7_CMP_EQUAL_TO, NULL,
                          "css", true, LBT_GET("/p.CSS", "")));
}


static void
test_header(void **state)
{
    const char  *h = LBT_GET("/", "x-token: one\nX-Token: two\n");

    /* the name in any case; any of the fields */
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_EQUAL_TO, "X-TOKEN",
                          "two", false, h));
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_EQUAL_TO, "X-Token",
                          "one", false, h));
    assert_false(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_EQUAL_TO, "X-Token",
                           "TWO", false, h));
    assert_false(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_EQUAL_TO, "X-Tok",
                           "two", false, h));
    /* a missing field does not match; inverted, it does */
    assert_false(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_CONTAINS, "X-None",
                           "a", false, h));
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_CONTAINS, "X-None",
                          "a", true, h));
    /* the Host field is a header too */
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_ENDS_WITH, "host",
                          ":8080", false, h));
}


static void
test_cookie(void **state)
{
    const char  *h = LBT_GET("/", "Cookie: a=1; sess=abc123\n"
                             "Cookie: sess=zzz; b=\"q\"\n");

    assert_true(lbt_match(LB_L7_RULE_COOKIE, LB_L7_CMP_EQUAL_TO, "sess",
                          "abc123", false, h));
    /* the first one counts */
    assert_false(lbt_match(LB_L7_RULE_COOKIE, LB_L7_CMP_EQUAL_TO, "sess",
                           "zzz", false, h));
    assert_true(lbt_match(LB_L7_RULE_COOKIE, LB_L7_CMP_EQUAL_TO, "b",
                          "\"q\"", false, h));
    assert_false(lbt_match(LB_L7_RULE_COOKIE, LB_L7_CMP_EQUAL_TO, "SESS",
                           "abc123", false, h));
    assert_true(lbt_match(LB_L7_RULE_COOKIE, LB_L7_CMP_REGEX, "sess",
                          "^abc\\d+$", false, h));
    assert_true(lbt_match(LB_L7_RULE_COOKIE, LB_L7_CMP_EQUAL_TO, "none",
                          "x", true, h));
    assert_false(lbt_match(LB_L7_RULE_COOKIE, LB_L7_CMP_EQUAL_TO, "none",
                           "x", false, LBT_GET("/", "")));
}


static void
test_regex_edges(void **state)
{
    uint64_t     before;
    const char  *bomb;

    /* anchors: ^ and $ hold the whole subject; without them, anywhere */
    assert_false(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_REGEX, NULL, "^/a$",
                           false, LBT_GET("/ab", "")));
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_REGEX, NULL, "^/a$",
                          false, LBT_GET("/a?b", "")));
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_REGEX, NULL, "b",
                          false, LBT_GET("/ab", "")));
    assert_false(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_REGEX, NULL, "\\Aab",
                           false, LBT_GET("/ab", "")));
    /* case matters outside HOST_NAME */
    assert_false(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_REGEX, NULL, "^/AB",
                           false, LBT_GET("/ab", "")));
    assert_true(lbt_match(LB_L7_RULE_PATH, LB_L7_CMP_REGEX, NULL, "(?i)^/AB",
                          false, LBT_GET("/ab", "")));

    /* UTF-8: a character is one '.', however many bytes */
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Name",
                          "^caf.$", false,
                          LBT_GET("/", "X-Name: caf\xc3\xa9\n")));
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Name",
                          "^caf\xc3\xa9$", false,
                          LBT_GET("/", "X-Name: caf\xc3\xa9\n")));
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Name",
                          "^\\x{e9}$", false,
                          LBT_GET("/", "X-Name: \xc3\xa9\n")));
    /* invalid UTF-8 in a field: no error, only that byte cannot match */
    assert_false(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Name",
                           "^.$", false, LBT_GET("/", "X-Name: \xff\n")));
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Name",
                          "ok$", false, LBT_GET("/", "X-Name: \xff ok\n")));

    /* catastrophic backtracking: stopped by the match limit, counted,
     * and no match even inverted */
    bomb = LBT_GET("/", "X-Bomb: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n");
    before = lb_http_l7_limit_hits();
    assert_false(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Bomb",
                           "^(a|aa)+$", false, bomb));
    assert_int_equal(lb_http_l7_limit_hits(), before + 1);
    assert_false(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Bomb",
                           "^(a|aa)+$", true, bomb));
    assert_int_equal(lb_http_l7_limit_hits(), before + 2);
    /* the same pattern on a short subject is fine */
    assert_true(lbt_match(LB_L7_RULE_HEADER, LB_L7_CMP_REGEX, "X-Bomb",
                          "^(a|aa)+$", false, LBT_GET("/", "X-Bomb: aaa\n")));
    assert_int_equal(lb_http_l7_limit_hits(), before + 2);
}


static void
test_order(void **state)
{
    lb_listener_t         l;
    lb_l7_policy_t        p[4];
    lb_l7_rule_t          r[4];
    lb_http_l7_t         *l7;
    lb_http_l7_policy_t  *hp;
    unsigned              i;

    memset(&l, 0, sizeof(l));
    memset(p, 0, sizeof(p));
    memset(r, 0, sizeof(r));

    for (i = 0; i < 4; i++) {
        r[i].type = LB_L7_RULE_PATH;
        r[i].compare_type = LB_L7_CMP_STARTS_WITH;
        r[i].value = "/";
        p[i].action = LB_L7_REJECT;
        p[i].is_enabled = true;
        p[i].rules = &r[i];
        p[i].nrules = 1;
    }

    p[0].name = "third";  p[0].position = 5;
    p[1].name = "off";    p[1].position = 1;  p[1].is_enabled = false;
    p[2].name = "empty";  p[2].position = 1;  p[2].nrules = 0;
    p[3].name = "first";  p[3].position = 2;

    l.name = "l";
    l.l7_policies = p;
    l.nl7_policies = 4;

    l7 = lb_http_l7_build(&l, NULL, lbt_pool);
    assert_non_null(l7);
    assert_int_equal(l7->n, 2);
    assert_string_equal(l7->policies[0].conf->name, "first");
    assert_string_equal(l7->policies[1].conf->name, "third");

    lbt_request(LBT_GET("/x", ""));
    hp = lb_http_l7_match(l7, &lbt_msg, lbt_buf);
    assert_non_null(hp);
    assert_string_equal(hp->conf->name, "first");
    assert_int_equal(hp->matched, 1);

    /* all rules must match */
    r[3].value = "/y";
    p[3].nrules = 1;
    l7 = lb_http_l7_build(&l, NULL, lbt_pool);
    hp = lb_http_l7_match(l7, &lbt_msg, lbt_buf);
    assert_string_equal(hp->conf->name, "third");

    /* nothing matches: NULL (the default group) */
    r[0].value = "/z";
    l7 = lb_http_l7_build(&l, NULL, lbt_pool);
    assert_null(lb_http_l7_match(l7, &lbt_msg, lbt_buf));
    assert_null(lb_http_l7_match(NULL, &lbt_msg, lbt_buf));
}


static void
test_location(void **state)
{
    u_char          buf[256];
    size_t          n;
    lb_l7_policy_t  p;

    memset(&p, 0, sizeof(p));

    lbt_request(LBT_GET("/a/b?c=d", ""));

    p.action = LB_L7_REDIRECT_TO_URL;
    p.redirect_url = "https://x.example/new";
    n = lb_http_l7_location(&p, &lbt_msg, lbt_buf, buf, sizeof(buf));
    assert_int_equal(n, strlen("https://x.example/new"));
    assert_memory_equal(buf, "https://x.example/new", n);

    p.action = LB_L7_REDIRECT_PREFIX;
    p.redirect_prefix = "https://x.example";
    n = lb_http_l7_location(&p, &lbt_msg, lbt_buf, buf, sizeof(buf));
    assert_int_equal(n, strlen("https://x.example/a/b?c=d"));
    assert_memory_equal(buf, "https://x.example/a/b?c=d", n);

    p.redirect_prefix = "https://x.example/";
    n = lb_http_l7_location(&p, &lbt_msg, lbt_buf, buf, sizeof(buf));
    assert_memory_equal(buf, "https://x.example/a/b?c=d", n);

    /* too long for buf */
    assert_int_equal(lb_http_l7_location(&p, &lbt_msg, lbt_buf, buf, 10), 0);

    lbt_request("GET http://h HTTP/1.1\nHost: h\n\n");
    n = lb_http_l7_location(&p, &lbt_msg, lbt_buf, buf, sizeof(buf));
    assert_int_equal(n, strlen("https://x.example/"));
    assert_memory_equal(buf, "https://x.example/", n);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_host, lbt_setup, lbt_teardown),
        cmocka_unit_test_setup_teardown(test_path, lbt_setup, lbt_teardown),
        cmocka_unit_test_setup_teardown(test_file_type, lbt_setup,
                                        lbt_teardown),
        cmocka_unit_test_setup_teardown(test_header, lbt_setup,
                                        lbt_teardown),
        cmocka_unit_test_setup_teardown(test_cookie, lbt_setup,
                                        lbt_teardown),
        cmocka_unit_test_setup_teardown(test_regex_edges, lbt_setup,
                                        lbt_teardown),
        cmocka_unit_test_setup_teardown(test_order, lbt_setup, lbt_teardown),
        cmocka_unit_test_setup_teardown(test_location, lbt_setup,
                                        lbt_teardown),
    };

    return cmocka_run_group_tests_name("lb_http_l7", tests, NULL, NULL);
}
