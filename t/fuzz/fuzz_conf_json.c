/* weir: fuzz target for the admin API's request bodies
 * (lb_conf_json_parse): JSON through libyaml after a lexical pass, then
 * the schema walker in strict mode, for every wrapper.
 *
 * Input: byte 0 the wrapper (bits 0-2), the parent (bits 3-4: none or one
 * of the running objects of a fixed configuration) and a size limit below
 * the body (bit 5: 413); byte 1 the mode: raw (bit 0 clear: the rest is
 * the body as sent) or built (the rest gives fields, each a key from the
 * schema's names and a value: a string escaped as the API client does, a
 * number, a literal, an object of more fields or a list), so that most
 * inputs reach the walker.
 *
 * Checks: LB_OK gives an object (an array of n for "members") whose
 * fields are within the ranges the schema states (ports, weights, retries,
 * timeout below delay, accepted codes 100..599, member addresses of one
 * body all different, back-pointers of a group's members); LB_ERROR gives
 * code 400, 413 (exactly when the body is over the limit) or 500, a
 * message, a field path and a position inside the body. A body that got
 * past the syntax (accepted, or refused for a field) must be one JSON
 * text as RFC 8259 defines it, by a strict reader written here: UTF-8,
 * no BOM, one object, numbers, strings and escapes of the grammar. And
 * a string goes in as sent: the first bytes of every input, when they
 * are UTF-8 without NUL, written as a member's instance_name (a field
 * without a character rule), must come back byte for byte. */
#define LB_FUZZ_HAS_INIT
#include "lb_fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "lb_admin_json.h"
#include "lb_conf.h"
#include "lb_conf_json.h"
#include "lb_log.h"
#include "lb_palloc.h"

static const char *const  fuzz_wrappers[] = {
    "target_group", "member", "members", "health_monitor", "load_balancer",
    "listener"
};

/* the schema's names, for built bodies */
static const char *const  fuzz_keys[] = {
    "name", "id", "address", "protocol_port", "weight", "monitor_port",
    "subnet_id", "instance_id", "instance_name", "protocol", "type",
    "load_balancer_algorithm", "session_persistence", "cookie_name",
    "persistence_timeout", "persistence_granularity", "health_monitor",
    "delay", "timeout", "max_retries", "max_retries_down", "http_method",
    "http_version", "url_path", "expected_codes", "members",
    "proxy_protocol_version", "target_group", "target_groups", "listeners",
    "connection_limit", "timeout_client_data", "timeout_client_header",
    "timeout_member_connect", "timeout_member_data", "insert_headers",
    "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port",
    "tls_certificate", "tls_key", "sni_certificates", "tls_min_version",
    "tls_ciphersuites", "tls_ocsp_response",
    "availability_zone", "vpc", "health_check_ips"
};

static const char *const  fuzz_words[] = {
    "HTTP", "HTTPS", "TCP", "UDP", "TLS", "PROXY", "PING", "ALB", "NLB",
    "NLB_L4_DSR", "ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP",
    "HTTP_COOKIE", "APP_COOKIE", "GET", "HEAD", "POST", "1.0", "1.1",
    "/", "/healthz", "200", "200-299, 404", "10.0.0.1", "::1",
    "::ffff:10.0.0.9", "ffff:ffff::", "255.255.255.0", "TLSv1.2", "remove",
    "web", "a.pem", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
};

static const char  fuzz_yaml[] =
    "load_balancers:\n"
    "  - name: alb-lb\n"
    "    type: ALB\n"
    "    address: 127.0.0.1\n"
    "    target_groups:\n"
    "      - { name: http-tg, protocol: HTTP,"
    " members: [ { address: 127.0.0.1, protocol_port: 81 } ] }\n"
    "  - name: nlb-lb\n"
    "    type: NLB\n"
    "    address: \"::1\"\n"
    "    target_groups:\n"
    "      - { name: tcp-tg, protocol: TCP }\n"
    "      - { name: udp-tg, protocol: UDP }\n";

static lb_conf_t  *fuzz_conf;
static bool        fuzz_verbose;     /* FUZZ_VERBOSE set: say what each
                                        body gave (replaying a corpus) */

static void fuzz_build(fuzz_in_t *in, lb_admin_buf_t *b, const char *wrapper);
static void fuzz_value(fuzz_in_t *in, lb_json_t *j, const char *key,
    unsigned depth);
static void fuzz_check_ok(const char *wrapper, void *out, uint32_t n);
static void fuzz_check_member(const lb_target_t *t);
static void fuzz_check_monitor(const lb_health_monitor_t *hm);
static bool fuzz_same_addr(const lb_target_t *a, const lb_target_t *b);
static bool fuzz_json_text(const uint8_t *p, size_t len);
static bool fuzz_json_value(const uint8_t *p, size_t len, size_t *i,
    unsigned depth);
static bool fuzz_json_string(const uint8_t *p, size_t len, size_t *i);
static size_t fuzz_utf8(const uint8_t *p, size_t len);
static void fuzz_json_ws(const uint8_t *p, size_t len, size_t *i);
static void fuzz_fidelity(const uint8_t *p, size_t len);


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    lb_pool_t   *pool;
    lb_array_t   errors;

    lb_log.level = LB_LOG_EMERG;
    fuzz_verbose = getenv("FUZZ_VERBOSE") != NULL;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (pool == NULL
        || lb_array_init(&errors, pool, 4, sizeof(char *)) != LB_OK)
    {
        abort();
    }

    fuzz_conf = lb_conf_parse_string(pool, "parent.yaml", fuzz_yaml,
                                     sizeof(fuzz_yaml) - 1, &errors);
    if (fuzz_conf == NULL) {
        fprintf(stderr, "fuzz_conf_json: %s\n", ((char **) errors.elts)[0]);
        abort();
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void                  *out;
    size_t                 len, max, at;
    uint8_t               *body;
    uint32_t               n;
    lb_int_t               rc;
    unsigned               sel, mode, par;
    fuzz_in_t              in;
    lb_pool_t             *pool;
    const char            *wrapper, *s;
    const void            *parent;
    lb_admin_buf_t         b;
    lb_conf_json_error_t   err;

    in.p = data;
    in.left = size;

    sel = fuzz_u8(&in);
    mode = fuzz_u8(&in);

    wrapper = fuzz_wrappers[(sel & 7) % lb_nelems(fuzz_wrappers)];
    par = (sel >> 3) & 3;

    parent = NULL;

    if (strcmp(wrapper, "target_group") == 0
        || strcmp(wrapper, "listener") == 0)
    {
        parent = par == 0 ? NULL : &fuzz_conf->balancers[par & 1];

    } else if (strcmp(wrapper, "load_balancer") != 0 && par != 0) {
        parent = par == 1 ? &fuzz_conf->balancers[0].target_groups[0]
                          : &fuzz_conf->balancers[1].target_groups[par - 2];
    }

    memset(&b, 0, sizeof(b));

    if (mode & 1) {
        fuzz_build(&in, &b, wrapper);
        if (b.nomem) {
            lb_admin_buf_free(&b);
            return 0;
        }
        body = malloc(b.len ? b.len : 1);
        fuzz_assert(body != NULL);
        memcpy(body, b.data, b.len);
        len = b.len;
        lb_admin_buf_free(&b);

    } else {
        body = fuzz_dup(&in, in.left, &len);
        if (body == NULL) {
            return 0;
        }
    }

    max = (sel & 0x20) && len > 0 ? len - 1 : 65536;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    fuzz_assert(pool != NULL);

    out = (void *) 1;
    n = 7;

    rc = lb_conf_json_parse(pool, wrapper, parent, body, len, max, &out, &n,
                            &err);

    if (fuzz_verbose) {
        fprintf(stderr, "%s: %s %u %s: %s\n", wrapper,
                rc == LB_OK ? "ok" : "error", rc == LB_OK ? 0 : err.code,
                rc == LB_OK ? "" : err.field,
                rc == LB_OK ? "" : err.message);
    }

    if (rc == LB_OK || (err.code == 400 && err.field[0] != '\0')) {
        if (!fuzz_json_text(body, len)) {
            fprintf(stderr, "not JSON, yet past the syntax: %.*s\n",
                    (int) len, body);
            fuzz_assert(fuzz_json_text(body, len));
        }
    }

    if (rc == LB_OK) {
        fuzz_assert(len <= max);
        fuzz_check_ok(wrapper, out, n);

    } else {
        fuzz_assert(rc == LB_ERROR);
        fuzz_assert(out == NULL && n == 0);
        fuzz_assert(err.code == 400 || err.code == 413 || err.code == 500);
        fuzz_assert((err.code == 413) == (len > max));
        fuzz_assert(err.message != NULL && err.message[0] != '\0');
        fuzz_assert(err.field != NULL);
        fuzz_assert(err.pos.line >= 1 && err.pos.col >= 1);
        fuzz_assert(err.pos.line <= len + 1 && err.pos.col <= len + 1);

        s = strstr(err.message, "(byte ");
        if (err.field[0] == '\0' && strncmp(err.message, "syntax error at ",
                                            16) == 0)
        {
            fuzz_assert(s != NULL);
            at = strtoul(s + 6, NULL, 10);
            fuzz_assert(at <= len);
        }
    }

    lb_destroy_pool(pool);
    free(body);

    fuzz_fidelity(data, lb_min(size, (size_t) 64));

    return 0;
}


/* {"member": {"address": "10.0.0.1", "protocol_port": 80,
 *  "instance_name": S}}: S stored as sent */
static void
fuzz_fidelity(const uint8_t *p, size_t len)
{
    void                  *out;
    size_t                 i, k;
    uint32_t               n;
    lb_int_t               rc;
    lb_json_t              j;
    lb_pool_t             *pool;
    lb_target_t           *t;
    lb_admin_buf_t         b;
    lb_conf_json_error_t   err;

    for (i = 0; i < len; i += k) {
        k = p[i] == '\0' ? 0 : fuzz_utf8(p + i, len - i);
        if (k == 0) {
            return;
        }
    }

    memset(&b, 0, sizeof(b));
    lb_json_init(&j, &b);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "member");
    lb_json_str(&j, "address", "10.0.0.1");
    lb_json_uint(&j, "protocol_port", 80);
    lb_json_strn(&j, "instance_name", (const char *) p, len);
    lb_json_object_end(&j);
    lb_json_object_end(&j);

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);

    if (b.nomem || pool == NULL) {
        lb_admin_buf_free(&b);
        lb_destroy_pool(pool);
        return;
    }

    rc = lb_conf_json_parse(pool, "member", NULL, b.data, b.len, 65536,
                            &out, &n, &err);

    if (rc == LB_OK) {
        t = out;

        /* a raw U+0085, which libyaml folded into a space, is refused
         * now (lb_conf_json_scan); the seed known-nel-in-string checks
         * it stays so */
        if (t->instance_name == NULL
                   || strlen(t->instance_name) != len
                   || memcmp(t->instance_name, p, len) != 0)
        {
            fprintf(stderr, "sent %.*s, stored %s\n", (int) b.len, b.data,
                    t->instance_name ? t->instance_name : "(null)");
            fuzz_assert(!"a string is stored as sent");
        }
    }

    lb_admin_buf_free(&b);
    lb_destroy_pool(pool);
}


/* {"<wrapper>": VALUE} with VALUE an object (an array for members) of
 * fields taken from the input */
static void
fuzz_build(fuzz_in_t *in, lb_admin_buf_t *b, const char *wrapper)
{
    lb_json_t  j;

    lb_json_init(&j, b);
    lb_json_object(&j, NULL);

    if (strcmp(wrapper, "members") == 0) {
        lb_json_array(&j, wrapper);
        while (in->left > 0 && (fuzz_u8(in) & 3) != 0) {
            fuzz_value(in, &j, NULL, 1);
        }
        lb_json_array_end(&j);

    } else {
        lb_json_object(&j, wrapper);
        while (in->left > 0) {
            fuzz_value(in, &j,
                       fuzz_keys[fuzz_u8(in) % lb_nelems(fuzz_keys)], 2);
        }
        lb_json_object_end(&j);
    }

    lb_json_object_end(&j);
}


static void
fuzz_value(fuzz_in_t *in, lb_json_t *j, const char *key, unsigned depth)
{
    size_t    n;
    uint8_t   op;
    char      s[64];

    op = fuzz_u8(in);

    switch (depth < 4 ? op % 10 : op % 7) {
    case 0:
    case 1:
        lb_json_str(j, key, fuzz_words[fuzz_u8(in) % lb_nelems(fuzz_words)]);
        break;
    case 2:
        /* a string of raw bytes, escaped as the client does */
        n = fuzz_u8(in) % sizeof(s);
        fuzz_bytes(in, s, n);
        lb_json_strn(j, key, s, n);
        break;
    case 3:
        lb_json_uint(j, key, fuzz_u16(in));
        break;
    case 4:
        lb_json_int(j, key, (int32_t) fuzz_u32(in));
        break;
    case 5:
        lb_json_bool(j, key, op & 0x80);
        break;
    case 6:
        lb_json_null(j, key);
        break;
    case 7:
    case 8:
        lb_json_object(j, key);
        n = fuzz_u8(in) % 8;
        while (n-- && in->left > 0) {
            fuzz_value(in, j, fuzz_keys[fuzz_u8(in) % lb_nelems(fuzz_keys)],
                       depth + 1);
        }
        lb_json_object_end(j);
        break;
    default:
        lb_json_array(j, key);
        n = fuzz_u8(in) % 4;
        while (n-- && in->left > 0) {
            fuzz_value(in, j, NULL, depth + 1);
        }
        lb_json_array_end(j);
        break;
    }
}


static void
fuzz_check_ok(const char *wrapper, void *out, uint32_t n)
{
    uint32_t              i, k;
    lb_target_t          *t;
    lb_listener_t        *l;
    lb_target_group_t    *tg;
    lb_load_balancer_t   *lb;

    if (strcmp(wrapper, "members") == 0) {
        fuzz_assert((n == 0) == (out == NULL));
        t = out;
        for (i = 0; i < n; i++) {
            fuzz_check_member(&t[i]);
            for (k = 0; k < i; k++) {
                fuzz_assert(!fuzz_same_addr(&t[i], &t[k]));
            }
        }
        return;
    }

    fuzz_assert(out != NULL && n == 1);

    if (strcmp(wrapper, "member") == 0) {
        fuzz_check_member(out);

    } else if (strcmp(wrapper, "health_monitor") == 0) {
        fuzz_check_monitor(out);

    } else if (strcmp(wrapper, "target_group") == 0) {
        tg = out;
        fuzz_assert(tg->name != NULL);
        fuzz_assert((tg->ntargets == 0) || tg->targets != NULL);

        for (i = 0; i < tg->ntargets; i++) {
            fuzz_check_member(&tg->targets[i]);
            fuzz_assert(tg->targets[i].group == tg);
            fuzz_assert(tg->targets[i].index == i);
            for (k = 0; k < i; k++) {
                fuzz_assert(!fuzz_same_addr(&tg->targets[i],
                                            &tg->targets[k]));
            }
        }

        if (tg->health_monitor != NULL) {
            fuzz_check_monitor(tg->health_monitor);
        }

        fuzz_assert(tg->proxy_protocol_version <= 2);

    } else if (strcmp(wrapper, "listener") == 0) {
        l = out;
        fuzz_assert(l->protocol_port >= 1 && l->protocol_port <= 65535);
        fuzz_assert(l->connection_limit >= -1);

    } else {
        lb = out;
        fuzz_assert(lb->name != NULL && lb->address != NULL);

        for (i = 0; i < lb->nlisteners; i++) {
            l = &lb->listeners[i];
            fuzz_assert(l->protocol_port >= 1 && l->protocol_port <= 65535);
            fuzz_assert(l->balancer == NULL || l->balancer == lb);
        }

        for (i = 0; i < lb->ntarget_groups; i++) {
            tg = &lb->target_groups[i];
            for (k = 0; k < tg->ntargets; k++) {
                fuzz_check_member(&tg->targets[k]);
            }
            if (tg->health_monitor != NULL) {
                fuzz_check_monitor(tg->health_monitor);
            }
        }
    }
}


static void
fuzz_check_member(const lb_target_t *t)
{
    fuzz_assert(t->address != NULL);
    fuzz_assert(t->protocol_port >= 1 && t->protocol_port <= 65535);
    fuzz_assert(t->monitor_port >= 1 && t->monitor_port <= 65535);
    fuzz_assert(t->weight <= 256);
    fuzz_assert(t->addr.sa.ss_family == AF_INET
                || t->addr.sa.ss_family == AF_INET6);
    fuzz_assert(t->addr.socklen > 0
                && t->addr.socklen <= sizeof(t->addr.sa));
    fuzz_assert(memchr(t->addr.text, '\0', sizeof(t->addr.text)) != NULL);
}


static void
fuzz_check_monitor(const lb_health_monitor_t *hm)
{
    unsigned  c;

    fuzz_assert(hm->delay >= 1000 && hm->delay <= 3600 * 1000);
    fuzz_assert(hm->timeout >= 1000 && hm->timeout <= 900 * 1000);
    fuzz_assert(hm->timeout < hm->delay);
    fuzz_assert(hm->max_retries >= 1 && hm->max_retries <= 10);
    fuzz_assert(hm->max_retries_down >= 1 && hm->max_retries_down <= 10);

    for (c = 0; c < 8 * sizeof(hm->codes); c++) {
        if ((hm->codes[c / 8] >> (c % 8)) & 1) {
            fuzz_assert(c >= 100 && c <= 599);
        }
    }
}


/* two members at one address and port (as the rule compares them) */
static bool
fuzz_same_addr(const lb_target_t *a, const lb_target_t *b)
{
    const struct sockaddr_in   *a4, *b4;
    const struct sockaddr_in6  *a6, *b6;

    if (a->addr.sa.ss_family != b->addr.sa.ss_family
        || a->protocol_port != b->protocol_port)
    {
        return false;
    }

    if (a->addr.sa.ss_family == AF_INET) {
        a4 = (const struct sockaddr_in *) &a->addr.sa;
        b4 = (const struct sockaddr_in *) &b->addr.sa;
        return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
    }

    a6 = (const struct sockaddr_in6 *) &a->addr.sa;
    b6 = (const struct sockaddr_in6 *) &b->addr.sa;

    return memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}


/* RFC 8259, strictly: ws value ws, the value an object */
static bool
fuzz_json_text(const uint8_t *p, size_t len)
{
    size_t  i;

    i = 0;
    fuzz_json_ws(p, len, &i);

    if (i == len || p[i] != '{') {
        return false;
    }

    if (!fuzz_json_value(p, len, &i, 0)) {
        return false;
    }

    fuzz_json_ws(p, len, &i);

    return i == len;
}


static bool
fuzz_json_value(const uint8_t *p, size_t len, size_t *i, unsigned depth)
{
    size_t  k, d;

    if (depth > 64 || *i >= len) {
        return false;
    }

    k = *i;

    switch (p[k]) {

    case '{':
    case '[':
        *i = k + 1;
        fuzz_json_ws(p, len, i);

        if (*i < len && p[*i] == (p[k] == '{' ? '}' : ']')) {
            (*i)++;
            return true;
        }

        for ( ;; ) {
            if (p[k] == '{') {
                if (!fuzz_json_string(p, len, i)) {
                    return false;
                }
                fuzz_json_ws(p, len, i);
                if (*i >= len || p[*i] != ':') {
                    return false;
                }
                (*i)++;
                fuzz_json_ws(p, len, i);
            }

            if (!fuzz_json_value(p, len, i, depth + 1)) {
                return false;
            }

            fuzz_json_ws(p, len, i);

            if (*i >= len) {
                return false;
            }

            if (p[*i] == ',') {
                (*i)++;
                fuzz_json_ws(p, len, i);
                continue;
            }

            if (p[*i] == (p[k] == '{' ? '}' : ']')) {
                (*i)++;
                return true;
            }

            return false;
        }

    case '"':
        return fuzz_json_string(p, len, i);

    case 't':
        if (len - k >= 4 && memcmp(p + k, "true", 4) == 0) {
            *i = k + 4;
            return true;
        }
        return false;

    case 'f':
        if (len - k >= 5 && memcmp(p + k, "false", 5) == 0) {
            *i = k + 5;
            return true;
        }
        return false;

    case 'n':
        if (len - k >= 4 && memcmp(p + k, "null", 4) == 0) {
            *i = k + 4;
            return true;
        }
        return false;

    default:
        break;
    }

    /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
    if (k < len && p[k] == '-') {
        k++;
    }

    if (k < len && p[k] == '0') {
        k++;
    } else {
        for (d = k; k < len && p[k] >= '0' && p[k] <= '9'; k++) { }
        if (k == d) {
            return false;
        }
    }

    if (k < len && p[k] == '.') {
        for (d = ++k; k < len && p[k] >= '0' && p[k] <= '9'; k++) { }
        if (k == d) {
            return false;
        }
    }

    if (k < len && (p[k] == 'e' || p[k] == 'E')) {
        k++;
        if (k < len && (p[k] == '+' || p[k] == '-')) {
            k++;
        }
        for (d = k; k < len && p[k] >= '0' && p[k] <= '9'; k++) { }
        if (k == d) {
            return false;
        }
    }

    *i = k;

    return true;
}


static bool
fuzz_json_string(const uint8_t *p, size_t len, size_t *i)
{
    size_t  k, n, j;

    k = *i;

    if (k >= len || p[k] != '"') {
        return false;
    }

    for (k++; k < len; ) {
        if (p[k] == '"') {
            *i = k + 1;
            return true;
        }

        if (p[k] < 0x20) {
            return false;
        }

        if (p[k] == '\\') {
            if (k + 1 >= len) {
                return false;
            }

            if (p[k + 1] == 'u') {
                if (len - k < 6) {
                    return false;
                }
                for (j = 2; j < 6; j++) {
                    if (!((p[k + j] >= '0' && p[k + j] <= '9')
                          || (p[k + j] >= 'a' && p[k + j] <= 'f')
                          || (p[k + j] >= 'A' && p[k + j] <= 'F')))
                    {
                        return false;
                    }
                }
                k += 6;
                continue;
            }

            if (strchr("\"\\/bfnrt", p[k + 1]) == NULL || p[k + 1] == '\0') {
                return false;
            }

            k += 2;
            continue;
        }

        n = fuzz_utf8(p + k, len - k);
        if (n == 0) {
            return false;
        }

        k += n;
    }

    return false;
}


/* the length of the UTF-8 sequence at p (RFC 3629), 0 when invalid */
static size_t
fuzz_utf8(const uint8_t *p, size_t len)
{
    size_t    n, j;
    uint32_t  c;

    if (p[0] < 0x80) {
        return 1;
    }

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        c = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        c = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        c = p[0] & 0x07;
    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (j = 1; j < n; j++) {
        if ((p[j] & 0xc0) != 0x80) {
            return 0;
        }
        c = c << 6 | (p[j] & 0x3f);
    }

    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff))
        || (c >= 0xd800 && c <= 0xdfff))
    {
        return 0;
    }

    return n;
}


static void
fuzz_json_ws(const uint8_t *p, size_t len, size_t *i)
{
    while (*i < len && (p[*i] == ' ' || p[*i] == '\t' || p[*i] == '\n'
                        || p[*i] == '\r'))
    {
        (*i)++;
    }
}


