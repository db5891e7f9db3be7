/* weir: API request bodies (lb_conf_json.c). A table of bad bodies, each
 * with its exact code, field and message; where the same value can be
 * written in the YAML file, the row carries that file too and the test
 * checks that `weir -t` (lb_conf_parse_string) says the same message for
 * the same field. Then good bodies, whose structs must hold what the YAML
 * file gives for the same objects, defaults included. */
#include <stdlib.h>

#include "test_lb_conf_helpers.h"
#include "lb_conf_json.h"

#define LBT_MAX  65536

/* a YAML file with one target group of an ALB: the row gives the item */
#define LBT_TG_YAML(item)                                                   \
    LBT_ALB                                                                 \
    "    target_groups:\n"                                                  \
    "      - " item "\n"

typedef struct {
    const char   *wrapper;
    const char   *body;       /* NULL: made by lbt_body() from the name */
    unsigned      code;
    const char   *field;
    const char   *message;
    const char   *yaml;       /* the same value in the file, or NULL */
} lbt_bad_t;

static const char  *lbt_body(const char *wrapper, const char *name,
    size_t *len);
static void lbt_same_as_yaml(const lbt_bad_t *b);

#define LBT_MEMBER(extra)                                                   \
    "{\"member\": {\"address\": \"10.0.0.1\", \"protocol_port\": 80" extra "}}"

static const lbt_bad_t  lbt_bad[] = {

    /* the rules of SPEC.md, with weir -t's words */
    { "target_group",
      "{\"target_group\": {\"name\": \"web-tg\", \"protocol\": \"HTTP\",\n"
      "  \"health_monitor\": {\"type\": \"HTTP\", \"delay\": 30,"
      " \"timeout\": 30}}}",
      400, "target_group.health_monitor.timeout",
      "timeout (30) must be less than delay (30)",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, health_monitor: "
                  "{type: HTTP, delay: 30, timeout: 30}}") },

    { "target_group",
      "{\"target_group\": {\"name\": \"web-tg\", \"protocol\": \"HTTP\","
      " \"session_persistence\": {\"type\": \"APP_COOKIE\","
      " \"cookie_name\": \"sess@id\"}}}",
      400, "target_group.session_persistence.cookie_name",
      "\"sess@id\" has '@' at position 5; allowed: 1..255 characters of "
      "A-Z a-z 0-9 ! # $ % ^ & _ * + ~ -",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, session_persistence: "
                  "{type: APP_COOKIE, cookie_name: \"sess@id\"}}") },

    { "member", LBT_MEMBER(", \"weight\": 257"),
      400, "member.weight", "257 is out of range; allowed: 0..256",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, members: [{address: "
                  "10.0.0.1, protocol_port: 80, weight: 257}]}") },

    { "target_group",
      "{\"target_group\": {\"name\": \"tcp-tg\", \"protocol\": \"TCP\","
      " \"load_balancer_algorithm\": \"SOURCE_IP\","
      " \"session_persistence\": {\"type\": \"SOURCE_IP\"}}}",
      400, "target_group.session_persistence",
      "sticky sessions cannot be enabled with load_balancer_algorithm "
      "SOURCE_IP, which already keeps each client on one target; remove "
      "session_persistence or choose ROUND_ROBIN or LEAST_CONNECTIONS",
      LBT_TG_YAML("{name: tcp-tg, protocol: TCP, load_balancer_algorithm: "
                  "SOURCE_IP, session_persistence: {type: SOURCE_IP}}") },

    { "target_group",
      "{\"target_group\": {\"name\": \"tcp-tg\", \"protocol\": \"TCP\","
      " \"health_monitor\": {\"type\": \"HTTP\"}}}",
      400, "target_group.health_monitor.type",
      "HTTP health checks are not available for TCP target groups; "
      "allowed: PING, TCP",
      LBT_TG_YAML("{name: tcp-tg, protocol: TCP, health_monitor: "
                  "{type: HTTP}}") },

    { "health_monitor",
      "{\"health_monitor\": {\"type\": \"TCP\", \"url_path\": \"/h\"}}",
      400, "health_monitor.url_path",
      "not allowed here: only for HTTP and HTTPS health checks "
      "(type is TCP)",
      LBT_TG_YAML("{name: tcp-tg, protocol: TCP, health_monitor: "
                  "{type: TCP, url_path: /h}}") },

    { "health_monitor",
      "{\"health_monitor\": {\"type\": \"PING\", \"max_retries\": 11}}",
      400, "health_monitor.max_retries",
      "11 is out of range; allowed: 1..10",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, health_monitor: "
                  "{type: PING, max_retries: 11}}") },

    { "member", LBT_MEMBER(", \"colour\": \"red\""),
      400, "member.colour",
      "unknown field \"colour\"; allowed: id, name, address, protocol_port, "
      "weight, monitor_port, subnet_id, instance_id, instance_name",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, members: [{address: "
                  "10.0.0.1, protocol_port: 80, colour: red}]}") },

    { "member",
      "{\"member\": {\"address\": \"10.0.0.1\", \"protocol_port\": -1}}",
      400, "member.protocol_port", "-1 is out of range; allowed: 1..65535",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, members: [{address: "
                  "10.0.0.1, protocol_port: -1}]}") },

    { "member", "{\"member\": {\"address\": \"10.0.0.1\"}}",
      400, "member.protocol_port", "missing; required",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, members: [{address: "
                  "10.0.0.1}]}") },

    { "member", LBT_MEMBER(", \"weight\": null"),
      400, "member.weight", "no value; allowed: 0..256",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, members: [{address: "
                  "10.0.0.1, protocol_port: 80, weight: null}]}") },

    { "member", LBT_MEMBER(", \"weight\": 1.5"),
      400, "member.weight", "\"1.5\" is not a number; allowed: 0..256",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP, members: [{address: "
                  "10.0.0.1, protocol_port: 80, weight: 1.5}]}") },

    { "member",
      "{\"member\": {\"address\": \"10.0.0.1\", \"address\": \"10.0.0.2\","
      " \"protocol_port\": 80}}",
      400, "member.address",
      "written twice (first at 1:13); a field is written once", NULL },

    { "members",
      "{\"members\": [{\"address\": \"10.0.0.1\", \"protocol_port\": 80},\n"
      "              {\"address\": \"10.0.0.1\", \"protocol_port\": 80}]}",
      400, "members[1].address",
      "duplicate member 10.0.0.1:80 (first at 1:26); address and "
      "protocol_port are unique in a target group", NULL },

    { "target_group",
      "{\"target_group\": {\"name\": \"web tg\", \"protocol\": \"HTTP\"}}",
      400, "target_group.name",
      "\"web tg\" has a space at position 4; allowed: 4..250 characters of "
      "A-Z a-z 0-9 _ -, starting with a letter, not ending with _ or -, no "
      "two of _ and - in a row",
      LBT_TG_YAML("{name: \"web tg\", protocol: HTTP}") },

    { "target_group",
      "{\"target_group\": {\"name\": \"web-tg\", \"protocol\": \"HTTP2\"}}",
      400, "target_group.protocol",
      "\"HTTP2\" is not a valid value; allowed: HTTP, HTTPS, TCP, UDP, "
      "PROXY",
      LBT_TG_YAML("{name: web-tg, protocol: HTTP2}") },

    { "load_balancer",
      "{\"load_balancer\": {\"name\": \"web-lb\", \"type\": \"GLB\","
      " \"address\": \"127.0.0.1\"}}",
      400, "load_balancer.type",
      "\"GLB\" is not a valid value; allowed: ALB, NLB, NLB_L4_DSR",
      "load_balancers:\n  - {name: web-lb, type: GLB, address: "
      "127.0.0.1}\n" },

    /* the wrapper */
    { "target_group", LBT_MEMBER(""),
      400, "member",
      "unknown field \"member\"; allowed: target_group", NULL },

    { "target_group", "{}",
      400, "target_group", "missing; required", NULL },

    { "target_group",
      "{\"name\": \"web-tg\", \"protocol\": \"HTTP\"}",
      400, "name", "unknown field \"name\"; allowed: target_group", NULL },

    { "member", "{\"member\": [{\"address\": \"10.0.0.1\"}]}",
      400, "member",
      "expected a mapping of member fields, found a list", NULL },

    { "members", "{\"members\": {\"address\": \"10.0.0.1\"}}",
      400, "members",
      "expected a list of members, found a mapping", NULL },

    /* JSON kinds where YAML does not care */
    { "member", LBT_MEMBER(", \"name\": 123"),
      400, "member.name",
      "expected a string, found 123; allowed: 1..255 printable ASCII "
      "characters without spaces", NULL },

    { "member",
      "{\"member\": {\"address\": \"10.0.0.1\", \"protocol_port\": \"80\"}}",
      400, "member.protocol_port",
      "expected a number, found the string \"80\"; allowed: 1..65535",
      NULL },

    { "listener",
      "{\"listener\": {\"name\": \"http\", \"protocol\": \"HTTP\","
      " \"protocol_port\": 80, \"insert_headers\":"
      " {\"X-Forwarded-Port\": \"true\"}}}",
      400, "listener.insert_headers.X-Forwarded-Port",
      "expected true or false, found the string \"true\"", NULL },

    { "member", NULL /* "name": "a\u0000b" */,
      400, "member.name",
      "\"web\" contains a NUL character at byte 3; allowed: 1..255 "
      "printable ASCII characters without spaces", NULL },

    { "target_group",
      "{\"target_group\": {\"name\": \"web-tg\", \"protocol\": 1}}",
      400, "target_group.protocol",
      "expected a string, found 1; allowed: HTTP, HTTPS, TCP, UDP, PROXY",
      NULL },

    { "members", "{\"members\": [{\"address\": \"10.0.0.1\","
      " \"protocol_port\": 80}, 7]}",
      400, "members[1]",
      "expected a mapping of member fields, found a single value", NULL },

    /* not JSON */
    { "member", "{\"member\": {\"address\" \"10.0.0.1\"}}",
      400, "", "syntax error at 1:23 (byte 22): a ',' or ':' is missing "
      "before this value", NULL },

    { "member", "{\"member\": {\"address\": \"10.0.0.1\", \"protocol_port\"",
      400, "", "syntax error at 1:51 (byte 50): the body ends before the "
      "JSON object is closed", NULL },

    { "member", "{\"member\": {\"address\": \"10.0.0.1",
      400, "", "syntax error at 1:33 (byte 32): the body ends inside a "
      "string", NULL },

    { "member", "{\"member\": {\"address\": \"10.0.0.1\",}}",
      400, "", "syntax error at 1:35 (byte 34): a trailing comma is not "
      "JSON", NULL },

    { "member", NULL /* 10 000 levels */,
      400, "", "syntax error at 1:71 (byte 70): nesting deeper than 32 "
      "levels", NULL },

    { "member", NULL /* over the limit */,
      413, "", "request body of 65537 bytes; allowed: at most 65536", NULL },

    { "member",
      "{\"member\": &m {\"address\": \"10.0.0.1\", \"protocol_port\": 80}}",
      400, "", "syntax error at 1:12 (byte 11): YAML anchors and aliases "
      "are not JSON", NULL },

    { "member",
      "{\"member\": {\"address\": \"10.0.0.1\", # the web server\n"
      "  \"protocol_port\": 80}}",
      400, "", "syntax error at 1:36 (byte 35): a comment is not JSON",
      NULL },

    { "member",
      "{\"member\": !!map {\"address\": \"10.0.0.1\"}}",
      400, "", "syntax error at 1:12 (byte 11): YAML tags are not JSON",
      NULL },

    { "member",
      "{\"member\": {\"address\": '10.0.0.1', \"protocol_port\": 80}}",
      400, "", "syntax error at 1:24 (byte 23): strings are written in "
      "double quotes", NULL },

    { "member",
      "{\"member\": {\"address\": 10.0.0.1, \"protocol_port\": 80}}",
      400, "", "syntax error at 1:24 (byte 23): 10.0.0.1 is not a JSON "
      "value (a string needs double quotes)", NULL },

    { "member", "{member: {\"address\": \"10.0.0.1\"}}",
      400, "", "syntax error at 1:8 (byte 7): ':' is allowed only after a "
      "key in an object", NULL },

    { "member", "{\"member\": {\"address\"}}",
      400, "", "syntax error at 1:22 (byte 21): a value is missing", NULL },

    { "members", "{\"members\": [\"address\": \"10.0.0.1\"]}",
      400, "", "syntax error at 1:23 (byte 22): ':' is allowed only after "
      "a key in an object", NULL },

    { "member", LBT_MEMBER(", \"weight\": 010"),
      400, "", "syntax error at 1:67 (byte 66): 010 is not a JSON value "
      "(a string needs double quotes)", NULL },

    { "member",
      "{\"member\": {\"address\": \"10.0.0.1\" \"protocol_port\": 80}}",
      400, "", "syntax error at 1:35 (byte 34): a ',' or ':' is missing "
      "before this value", NULL },

    { "member", "{\"member\": {\"address\": [\"10.0.0.1\"}}",
      400, "", "syntax error at 1:35 (byte 34): '}' where the open array "
      "needs ']'", NULL },

    { "member", "{\"member\": {\"name\\u0000x\": \"web\"}}",
      400, "", "syntax error at 1:13 (byte 12): an object key contains a "
      "NUL character", NULL },

    { "member", "\"member\"",
      400, "", "syntax error at 1:1 (byte 0): the body is not a JSON "
      "object", NULL },

    { "member", "[{\"member\": {}}]",
      400, "", "syntax error at 1:1 (byte 0): the body is not a JSON "
      "object", NULL },

    { "member", "",
      400, "", "syntax error at 1:1 (byte 0): the body is empty; expected "
      "a JSON object", NULL },

    { "member", LBT_MEMBER("") "\n---\n" LBT_MEMBER(""),
      400, "", "syntax error at 2:1 (byte 57): text after the JSON object; "
      "the body is one object", NULL },

    { "member", LBT_MEMBER(", \"name\": \"web\\ud83d\\ude00\""),
      400, "", "syntax error at 1:69 (byte 68): \\uD800..\\uDFFF (UTF-16 "
      "surrogates) are not accepted; write the character as UTF-8", NULL },

    { "member", LBT_MEMBER(", \"name\": \"web\\x41\""),
      400, "", "syntax error at 1:69 (byte 68): an escape that JSON does "
      "not have; allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", NULL },

    { "member", LBT_MEMBER(", \"name\": \"web\n1\""),
      400, "", "syntax error at 1:69 (byte 68): a control character in a "
      "string must be escaped", NULL },

    /* libyaml would fold a raw NEL into a space (found by fuzzing) */
    { "member", LBT_MEMBER(", \"name\": \"web\xc2\x85" "1\""),
      400, "", "syntax error at 1:69 (byte 68): a raw U+0085 in a string "
      "must be escaped (\\u0085)", NULL },

    { "member", LBT_MEMBER(", \"name\": \"web\xff\""),
      400, "", "syntax error at 1:69 (byte 68): invalid leading UTF-8 "
      "octet", NULL },
};


static const char *
lbt_body(const char *wrapper, const char *message, size_t *len)
{
    char    *p;
    size_t   i, n;

    if (strstr(message, "NUL") != NULL) {
        static const char  nul[] =
            "{\"member\": {\"address\": \"10.0.0.1\", \"protocol_port\": 80,"
            " \"name\": \"web\\u0000evil\"}}";
        *len = sizeof(nul) - 1;
        return nul;
    }

    if (strstr(message, "nesting") != NULL) {
        /* {"member": {"address": "10.0.0.1", "x": [[[[...]]]]}} */
        n = 10000;
        p = lb_palloc(lbt_pool, 64 + 2 * n);
        assert_non_null(p);
        i = (size_t) sprintf(p, "{\"member\": {\"address\": \"10.0.0.1\", "
                             "\"x\": ");
        memset(p + i, '[', n);
        memset(p + i + n, ']', n);
        i += 2 * n;
        i += (size_t) sprintf(p + i, "}}");
        *len = i;
        return p;
    }

    /* over the limit by one byte: spaces are valid JSON */
    p = lb_palloc(lbt_pool, LBT_MAX + 2);
    assert_non_null(p);
    memset(p, ' ', LBT_MAX + 1);
    memcpy(p, "{\"member\": {}}", 14);
    *len = LBT_MAX + 1;
    return p;
}


/* the file with the same value gives the same message for the same field:
 * the YAML error line ends with the field (below the wrapper) and the
 * message */
static void
lbt_same_as_yaml(const lbt_bad_t *b)
{
    char         tail[1024];
    size_t       wl, gl, tl;
    const char  *sub, *got;
    lb_array_t   errors;

    wl = strlen(b->wrapper);
    sub = (strncmp(b->field, b->wrapper, wl) == 0 && b->field[wl] == '.')
          ? b->field + wl : b->field;

    snprintf(tail, sizeof(tail), "%s%s: %s", sub[0] == '.' ? "" : ".", sub,
             b->message);

    assert_null(lbt_parse(b->yaml, &errors));

    if (errors.nelts != 1) {
        lbt_print(&errors);
    }
    assert_int_equal(errors.nelts, 1);

    got = ((char **) errors.elts)[0];
    gl = strlen(got);
    tl = strlen(tail);

    if (gl < tl || strcmp(got + gl - tl, tail) != 0) {
        print_message("  yaml: %s\n  want: ...%s\n", got, tail);
        fail();
    }
}


static void
test_bad_bodies(void **state)
{
    void                  *out;
    size_t                 i, len, nyaml, bad;
    uint32_t               n;
    const char            *body;
    lb_conf_json_error_t   err;

    (void) state;

    nyaml = 0;
    bad = 0;

    for (i = 0; i < sizeof(lbt_bad) / sizeof(lbt_bad[0]); i++) {
        body = lbt_bad[i].body;
        len = body ? strlen(body) : 0;
        if (body == NULL) {
            body = lbt_body(lbt_bad[i].wrapper, lbt_bad[i].message, &len);
        }

        out = (void *) 1;
        n = 7;

        if (lb_conf_json_parse(lbt_pool, lbt_bad[i].wrapper, NULL,
                               (const u_char *) body, len, LBT_MAX, &out, &n,
                               &err) != LB_ERROR
            || err.code != lbt_bad[i].code
            || strcmp(err.field, lbt_bad[i].field) != 0
            || strcmp(err.message, lbt_bad[i].message) != 0)
        {
            print_message("row %zu: %.60s\n  got: %u \"%s\" \"%s\"\n"
                          " want: %u \"%s\" \"%s\"\n", i, body, err.code,
                          err.field ? err.field : "(null)",
                          err.message ? err.message : "(null)",
                          lbt_bad[i].code, lbt_bad[i].field,
                          lbt_bad[i].message);
            bad++;
            continue;
        }

        assert_null(out);
        assert_int_equal(n, 0);

        if (lbt_bad[i].yaml != NULL) {
            lbt_same_as_yaml(&lbt_bad[i]);
            nyaml++;
        }
    }

    print_message("%zu bad bodies, %zu compared with the YAML file\n", i,
                  nyaml);
    assert_int_equal(bad, 0);
    assert_true(i >= 25);
}


static void *
lbt_json_ok(const char *wrapper, const char *body, uint32_t *n)
{
    void                  *out;
    lb_conf_json_error_t   err;

    out = NULL;

    if (lb_conf_json_parse(lbt_pool, wrapper, NULL, (const u_char *) body,
                           strlen(body), LBT_MAX, &out, n, &err) != LB_OK)
    {
        print_message("  got: %u \"%s\" \"%s\"\n", err.code, err.field,
                      err.message);
        fail();
    }

    return out;
}


/* one request: a group, two members and an HTTP check; every value and
 * default as the same group written in the file */
static void
test_target_group(void **state)
{
    uint32_t              n, k;
    lb_conf_t            *conf;
    lb_target_t          *t, *y;
    lb_target_group_t    *tg, *yg;
    lb_health_monitor_t  *hm, *yh;

    (void) state;

    tg = lbt_json_ok("target_group",
        "{\n"
        "  \"target_group\": {\n"
        "    \"name\": \"web-tg\",\n"
        "    \"protocol\": \"HTTP\",\n"
        "    \"session_persistence\": {\"type\": \"HTTP_COOKIE\"},\n"
        "    \"health_monitor\": {\"type\": \"HTTP\", \"delay\": 10,\n"
        "                       \"url_path\": \"/healthz\"},\n"
        "    \"members\": [\n"
        "      {\"name\": \"web-1\", \"address\": \"127.0.0.1\",\n"
        "       \"protocol_port\": 9001, \"subnet_id\": \"subnet-\\u00e9\"},\n"
        "      {\"name\": \"web-2\", \"address\": \"::1\",\n"
        "       \"protocol_port\": 9002, \"weight\": 128,\n"
        "       \"monitor_port\": 9102}\n"
        "    ]\n"
        "  }\n"
        "}\n", &n);

    assert_int_equal(n, 1);
    assert_string_equal(tg->name, "web-tg");
    assert_int_equal(tg->protocol, LB_TG_HTTP);
    assert_int_equal(tg->load_balancer_algorithm, LB_ALGO_ROUND_ROBIN);
    assert_non_null(tg->session_persistence);
    assert_int_equal(tg->session_persistence->persistence_timeout, 3600000);

    hm = tg->health_monitor;
    assert_non_null(hm);
    assert_int_equal(hm->type, LB_CHECK_HTTP);
    assert_int_equal(hm->delay, 10000);
    assert_int_equal(hm->timeout, 5000);
    assert_int_equal(hm->max_retries, 5);
    assert_int_equal(hm->max_retries_down, 2);
    assert_int_equal(hm->http_method, LB_METHOD_GET);
    assert_string_equal(hm->http_version, "1.1");
    assert_string_equal(hm->url_path, "/healthz");
    assert_string_equal(hm->expected_codes, "200");

    assert_int_equal(tg->ntargets, 2);
    t = tg->targets;
    assert_string_equal(t[0].name, "web-1");
    assert_int_equal(t[0].weight, 1);
    assert_int_equal(t[0].monitor_port, 9001);
    assert_string_equal(t[0].addr.text, "127.0.0.1:9001");
    assert_string_equal(t[0].subnet_id, "subnet-\xc3\xa9");
    assert_int_equal(t[1].weight, 128);
    assert_int_equal(t[1].monitor_port, 9102);
    assert_string_equal(t[1].addr.text, "[::1]:9002");
    assert_null(t[1].id);

    for (k = 0; k < 2; k++) {
        assert_ptr_equal(t[k].group, tg);
        assert_int_equal(t[k].index, k);
    }

    /* the same group in the file */
    conf = lbt_ok(LBT_TG_YAML(
        "name: web-tg\n"
        "        protocol: HTTP\n"
        "        session_persistence: {type: HTTP_COOKIE}\n"
        "        health_monitor: {type: HTTP, delay: 10, url_path: /healthz}\n"
        "        members:\n"
        "          - {name: web-1, address: 127.0.0.1, protocol_port: 9001}\n"
        "          - {name: web-2, address: \"::1\", protocol_port: 9002,\n"
        "             weight: 128, monitor_port: 9102}"));

    yg = &conf->balancers[0].target_groups[0];
    yh = yg->health_monitor;

    assert_int_equal(yg->load_balancer_algorithm,
                     tg->load_balancer_algorithm);
    assert_int_equal(yg->proxy_protocol_version, tg->proxy_protocol_version);
    assert_int_equal(yg->session_persistence->persistence_timeout,
                     tg->session_persistence->persistence_timeout);
    assert_string_equal(yg->session_persistence->persistence_granularity
                        ? yg->session_persistence->persistence_granularity
                        : "", tg->session_persistence->persistence_granularity
                        ? tg->session_persistence->persistence_granularity
                        : "");
    assert_int_equal(yh->delay, hm->delay);
    assert_int_equal(yh->timeout, hm->timeout);
    assert_int_equal(yh->max_retries, hm->max_retries);
    assert_int_equal(yh->max_retries_down, hm->max_retries_down);
    assert_int_equal(yh->http_method, hm->http_method);
    assert_string_equal(yh->http_version, hm->http_version);
    assert_string_equal(yh->expected_codes, hm->expected_codes);
    assert_memory_equal(yh->codes, hm->codes, sizeof(hm->codes));

    for (k = 0; k < 2; k++) {
        y = &yg->targets[k];
        assert_int_equal(y->weight, t[k].weight);
        assert_int_equal(y->monitor_port, t[k].monitor_port);
        assert_string_equal(y->addr.text, t[k].addr.text);
    }
}


static void
test_member(void **state)
{
    uint32_t      n;
    lb_target_t  *t;

    (void) state;

    t = lbt_json_ok("member",
                    "{\"member\":{\"address\":\"10.0.0.7\","
                    "\"protocol_port\":8080,\"name\":\"app-7\","
                    "\"instance_id\":\"i-07\"}}", &n);

    assert_int_equal(n, 1);
    assert_string_equal(t->address, "10.0.0.7");
    assert_int_equal(t->protocol_port, 8080);
    assert_int_equal(t->weight, 1);
    assert_int_equal(t->monitor_port, 8080);
    assert_string_equal(t->name, "app-7");
    assert_string_equal(t->instance_id, "i-07");
    assert_null(t->subnet_id);
    assert_string_equal(t->addr.text, "10.0.0.7:8080");

    /* weight 0 (drain) and 256 are the ends of the range */
    t = lbt_json_ok("member",
                    "{\"member\": {\"address\": \"10.0.0.7\","
                    " \"protocol_port\": 1, \"weight\": 0}}", NULL);
    assert_int_equal(t->weight, 0);

    t = lbt_json_ok("member",
                    "{\"member\": {\"address\": \"10.0.0.7\","
                    " \"protocol_port\": 65535, \"weight\": 256}}", NULL);
    assert_int_equal(t->weight, 256);
}


static void
test_members(void **state)
{
    uint32_t      n;
    lb_target_t  *t;

    (void) state;

    t = lbt_json_ok("members",
                    "{\"members\": [\n"
                    "  {\"address\": \"10.0.0.1\", \"protocol_port\": 80},\n"
                    "  {\"address\": \"10.0.0.2\", \"protocol_port\": 80,"
                    " \"weight\": 64},\n"
                    "  {\"address\": \"10.0.0.1\", \"protocol_port\": 81,"
                    " \"monitor_port\": 9000}\n"
                    "]}", &n);

    assert_int_equal(n, 3);
    assert_int_equal(t[0].weight, 1);
    assert_int_equal(t[1].weight, 64);
    assert_int_equal(t[2].monitor_port, 9000);
    assert_int_equal(t[0].monitor_port, 80);
    assert_string_equal(t[2].addr.text, "10.0.0.1:81");

    /* the empty set: replace the members by none */
    n = 7;
    t = lbt_json_ok("members", "{\"members\": []}", &n);
    assert_null(t);
    assert_int_equal(n, 0);
}


static void
test_health_monitor(void **state)
{
    lb_health_monitor_t  *hm;

    (void) state;

    hm = lbt_json_ok("health_monitor",
                     "{\"health_monitor\": {\"type\": \"TCP\","
                     " \"timeout\": 3, \"max_retries_down\": 3}}", NULL);

    assert_int_equal(hm->type, LB_CHECK_TCP);
    assert_int_equal(hm->delay, 30000);
    assert_int_equal(hm->timeout, 3000);
    assert_int_equal(hm->max_retries, 5);
    assert_int_equal(hm->max_retries_down, 3);
    assert_null(hm->url_path);
}


/* a body at the limit is read; JSON's escapes are decoded */
static void
test_limits(void **state)
{
    char          *p;
    size_t         len;
    void          *out;
    lb_target_t   *t;
    lb_conf_json_error_t  err;

    (void) state;

    p = lb_palloc(lbt_pool, LBT_MAX);
    assert_non_null(p);
    len = (size_t) sprintf(p, "{\"member\": {\"address\": \"10.0.0.1\","
                           " \"protocol_port\": 80, \"name\": "
                           "\"a\\/b\\u0041\"}}");
    memset(p + len, '\n', LBT_MAX - len);

    assert_int_equal(lb_conf_json_parse(lbt_pool, "member", NULL,
                                        (const u_char *) p, LBT_MAX, LBT_MAX,
                                        &out, NULL, &err), LB_OK);
    t = out;
    assert_string_equal(t->name, "a/bA");

    /* 32 levels are allowed: the wrapper, the member, 30 arrays in an
     * unknown field (refused for being unknown, not for depth) */
    len = (size_t) sprintf(p, "{\"member\": {\"x\": ");
    memset(p + len, '[', 30);
    memset(p + len + 30, ']', 30);
    len += 60;
    len += (size_t) sprintf(p + len, "}}");

    assert_int_equal(lb_conf_json_parse(lbt_pool, "member", NULL,
                                        (const u_char *) p, len, LBT_MAX,
                                        &out, NULL, &err), LB_ERROR);
    assert_string_equal(err.field, "member.x");
}


/* a body checked against the running object it goes into: the rules
 * that look at the parent say what they say in the file */
static void
test_parent(void **state)
{
    void                  *out;
    size_t                 i;
    const char            *b;
    lb_conf_t             *conf, *conf6;
    lb_listener_t         *l;
    lb_target_group_t     *tg;
    lb_conf_json_error_t   err;

    static const lbt_bad_t  bad[] = {
        { "health_monitor", "{\"health_monitor\": {\"type\": \"HTTP\"}}",
          400, "health_monitor.type",
          "HTTP health checks are not available for TCP target groups; "
          "allowed: PING, TCP",
          LBT_TG_YAML("{name: tcp-tg, protocol: TCP, health_monitor: "
                      "{type: HTTP}}") },
        { "listener",
          "{\"listener\": {\"name\": \"tcp\", \"protocol\": \"TCP\","
          " \"protocol_port\": 9000}}",
          400, "listener.protocol",
          "TCP listeners are not allowed on ALB load balancers; allowed: "
          "HTTP, HTTPS",
          LBT_ALB "    listeners: [{name: tcp, protocol: TCP, "
          "protocol_port: 9000}]\n" },
    };

    (void) state;

    conf = lbt_ok(LBT_TG_YAML("{name: tcp-tg, protocol: TCP}"));

    for (i = 0; i < 2; i++) {
        assert_int_equal(lb_conf_json_parse(lbt_pool, bad[i].wrapper,
                             i == 0
                             ? (void *) &conf->balancers[0].target_groups[0]
                             : (void *) &conf->balancers[0],
                             (const u_char *) bad[i].body,
                             strlen(bad[i].body), LBT_MAX, &out, NULL, &err),
                         LB_ERROR);
        assert_int_equal(err.code, bad[i].code);
        assert_string_equal(err.field, bad[i].field);
        assert_string_equal(err.message, bad[i].message);
        lbt_same_as_yaml(&bad[i]);
    }

    /* the listening address is the balancer's */
    b = "{\"listener\": {\"name\": \"web\", \"protocol\": \"HTTP\","
        " \"protocol_port\": 8080}}";
    assert_int_equal(lb_conf_json_parse(lbt_pool, "listener",
                                        &conf->balancers[0],
                                        (const u_char *) b, strlen(b),
                                        LBT_MAX, &out, NULL, &err), LB_OK);
    l = out;
    assert_string_equal(l->addr.text, "127.0.0.1:8080");
    assert_int_equal(l->timeout_client_data, 50000);
    assert_int_equal(l->x_forwarded_for, LB_XFF_TRUE);
    assert_int_equal(l->connection_limit, -1);

    /* SOURCE_IP stickiness masks with the balancer's address family */
    conf6 = lbt_ok("load_balancers:\n  - {name: net-lb, type: NLB, "
                   "address: \"::1\"}\n");

    b = "{\"target_group\": {\"name\": \"tcp-tg\", \"protocol\": \"TCP\","
        " \"session_persistence\": {\"type\": \"SOURCE_IP\"}}}";
    assert_int_equal(lb_conf_json_parse(lbt_pool, "target_group",
                                        &conf6->balancers[0],
                                        (const u_char *) b, strlen(b),
                                        LBT_MAX, &out, NULL, &err), LB_OK);
    tg = out;
    assert_string_equal(tg->session_persistence->persistence_granularity,
                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_int_equal(tg->session_persistence->persistence_timeout, 360000);
}


/* every prefix of a good body, and the body with any one byte replaced
 * by a character that matters to JSON or YAML, gives a clean answer: the
 * object, or a 400 with a message (and no crash under ASan) */
static void
test_mutations(void **state)
{
    char                   buf[512];
    void                  *out;
    size_t                 len, i, k;
    lb_int_t               rc;
    lb_conf_json_error_t   err;

    static const char  good[] =
        "{\"target_group\": {\"name\": \"web-tg\", \"protocol\": \"HTTP\","
        " \"health_monitor\": {\"type\": \"HTTP\", \"url_path\": \"/h\"},"
        " \"members\": [{\"address\": \"::1\", \"protocol_port\": 80,"
        " \"weight\": 2}, {\"address\": \"10.0.0.1\","
        " \"protocol_port\": 81}]}}";
    static const char  bytes[] = "\"\\{}[]:,#&*!'-0 \n\x01\x80\xff";

    (void) state;

    len = sizeof(good) - 1;

    for (i = 0; i <= len; i++) {
        rc = lb_conf_json_parse(lbt_pool, "target_group", NULL,
                                (const u_char *) good, i, LBT_MAX, &out,
                                NULL, &err);
        assert_int_equal(rc, i == len ? LB_OK : LB_ERROR);
        if (rc == LB_ERROR) {
            assert_int_equal(err.code, 400);
            assert_true(err.message[0] != '\0');
        }
    }

    for (i = 0; i < len; i++) {
        for (k = 0; k < sizeof(bytes); k++) {
            memcpy(buf, good, len);
            buf[i] = bytes[k];       /* the last one is '\0' */

            rc = lb_conf_json_parse(lbt_pool, "target_group", NULL,
                                    (const u_char *) buf, len, LBT_MAX,
                                    &out, NULL, &err);
            if (rc == LB_ERROR) {
                assert_int_equal(err.code, 400);
                assert_non_null(err.field);
                assert_true(err.message[0] != '\0');
            } else {
                assert_non_null(out);
            }
        }
    }
}


/* a NUL inside a value is refused in the file too ("\0" in YAML) */
static void
test_yaml_nul(void **state)
{
    (void) state;

    lbt_error(LBT_TG_YAML("{name: web-tg, protocol: HTTP, members: "
                          "[{address: 10.0.0.1, protocol_port: 80, "
                          "instance_id: \"i-1\\0x\"}]}"),
              "6:102: load_balancers[web-lb].target_groups[web-tg]"
              ".members[0].instance_id: \"i-1\" contains a NUL character at "
              "byte 3; allowed: 1..255 characters");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        lbt_test(test_bad_bodies),
        lbt_test(test_target_group),
        lbt_test(test_member),
        lbt_test(test_members),
        lbt_test(test_health_monitor),
        lbt_test(test_limits),
        lbt_test(test_parent),
        lbt_test(test_mutations),
        lbt_test(test_yaml_nul),
    };

    return cmocka_run_group_tests_name("lb_conf API bodies", tests, NULL,
                                       NULL);
}
