/* weir: the checks of single configuration values, one function per kind
 * of value, named by the `check` column of the field rows in
 * lb_conf_schema.c. A check sees one stored value (written or default),
 * may derive from it (the codes bitmap, a netmask, a socket address) and
 * returns NULL or the message.
 *
 * Names: load balancers and target groups follow SPEC.md section 1 (4..250
 * characters of A-Z a-z 0-9 _ -, starting with a letter, not ending with _
 * or -, no two of _ and - in a row). Listener and member names, on which the
 * spec is silent, are 1..255 printable ASCII characters without spaces
 * (0x21..0x7e): they appear in paths, logs and URLs of the console. Listener
 * names are required (they name the listener in errors and in its id);
 * member names are optional labels. */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lb_conf_value.h"
#include "lb_log.h"
#include "lb_palloc.h"

static const char *lb_conf_visible(lb_conf_cx_t *cx, const char *s,
    size_t from, const char *rule);
static const char *lb_conf_char(lb_conf_cx_t *cx, char c);
static const char *lb_conf_check_authority(lb_conf_cx_t *cx, const char *s);
static const char *lb_conf_listen_addr(lb_conf_cx_t *cx, const char *s,
    lb_sockaddr_t *addr);
static const char *lb_conf_str(const lb_conf_obj_t *obj,
    const lb_conf_field_t *f);


/* "auto" (0) becomes the number of online CPUs, at least 1 and at most
 * LB_CONF_MAX_WORKERS, the same bound a written number has */
const char *
lb_conf_check_workers(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    long        n;
    lb_conf_t  *conf;

    conf = obj->data;

    if (conf->worker_processes != 0) {
        conf->worker_processes_auto = false;
        return NULL;
    }

    n = sysconf(_SC_NPROCESSORS_ONLN);

    conf->worker_processes_auto = true;
    conf->worker_processes = (n < 1) ? 1
                             : (n > LB_CONF_MAX_WORKERS) ? LB_CONF_MAX_WORKERS
                             : (uint32_t) n;
    return NULL;
}


const char *
lb_conf_check_user(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    char  *name;

    name = *(char **) ((char *) obj->data + f->off);

    if (name == NULL || getpwnam(name) != NULL) {
        return NULL;
    }

    return lb_psprintf(cx->tmp, "user \"%s\" does not exist on this "
                       "system; allowed: a user of this system (the worker, "
                       "checker and admin processes run as it)", name);
}


const char *
lb_conf_check_log(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    char       *spec, err[512];
    lb_log_t    log;

    spec = *(char **) ((char *) obj->data + f->off);

    if (spec == NULL) {
        return NULL;
    }

    if (lb_log_is_syslog(spec)) {
        memset(&log, 0, sizeof(log));
        return (lb_log_parse_syslog(&log, spec, err, sizeof(err)) == NULL)
               ? NULL : lb_pstrdup(cx->tmp, err);
    }

    if (spec[0] == '\0') {
        return "allowed: a file path or syslog[:OPTIONS], not empty";
    }

    return NULL;
}


const char *
lb_conf_check_log_compress(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_conf_t  *conf;

    conf = obj->data;

    if (!conf->access_log_compress) {
        return NULL;
    }

    if (conf->access_log == NULL) {
        return "true needs an access_log file";
    }

    if (lb_log_is_syslog(conf->access_log)) {
        return "true needs an access_log file, not syslog";
    }

    return NULL;
}


/* ids are compared as text, so store them in one case */
const char *
lb_conf_check_uuid(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    char    *s;
    size_t   i;

    s = *(char **) ((char *) obj->data + f->off);

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                break;
            }
            continue;
        }

        if (s[i] >= 'A' && s[i] <= 'F') {
            s[i] = (char) (s[i] - 'A' + 'a');
        }

        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            break;
        }
    }

    if (i < 36) {
        return lb_psprintf(cx->tmp, "%s is not a valid id (%s at position "
                           "%zu); allowed: " LB_CONF_UUID_RULE,
                           lb_conf_quote(cx, s), lb_conf_char(cx, s[i]),
                           i + 1);
    }

    return NULL;
}


/* load balancer and target group names, SPEC.md section 1 */
const char *
lb_conf_check_name(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    char         c, prev;
    size_t       i, len;
    const char  *s;

    s = lb_conf_str(obj, f);
    len = strlen(s);

    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) {
        return lb_psprintf(cx->tmp, "%s does not start with a letter; "
                           "allowed: " LB_CONF_NAME_RULE,
                           lb_conf_quote(cx, s));
    }

    prev = '\0';

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        {
            return lb_psprintf(cx->tmp, "%s has %s at position %zu; "
                               "allowed: " LB_CONF_NAME_RULE,
                               lb_conf_quote(cx, s), lb_conf_char(cx, c),
                               i + 1);
        }

        if ((c == '_' || c == '-') && (prev == '_' || prev == '-')) {
            return lb_psprintf(cx->tmp, "%s has \"%c%c\" at position %zu; "
                               "allowed: " LB_CONF_NAME_RULE,
                               lb_conf_quote(cx, s), prev, c, i);
        }

        prev = c;
    }

    if (prev == '_' || prev == '-') {
        return lb_psprintf(cx->tmp, "%s ends with '%c'; allowed: "
                           LB_CONF_NAME_RULE, lb_conf_quote(cx, s), prev);
    }

    return NULL;
}


/* listener and member names: see the top of this file */
const char *
lb_conf_check_label(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    return lb_conf_visible(cx, lb_conf_str(obj, f), 0, LB_CONF_LABEL_RULE);
}


const char *
lb_conf_check_ip(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    const char     *s;
    lb_sockaddr_t   sa;

    s = lb_conf_str(obj, f);

    if (lb_conf_parse_ip(s, &sa) != LB_OK) {
        return lb_psprintf(cx->tmp, "%s is not an IPv4 or IPv6 address; "
                           "allowed: an address such as 127.0.0.1 or ::1 "
                           "(not a host name)", lb_conf_quote(cx, s));
    }

    return NULL;
}


/* admin.listen: "127.0.0.1:9090" or "[::1]:9090" */
const char *
lb_conf_check_listen(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_admin_conf_t  *admin;

    admin = obj->data;

    return lb_conf_listen_addr(cx, admin->listen, &admin->addr);
}


const char *
lb_conf_check_peer_address(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_peer_node_t  *node;

    node = obj->data;

    return lb_conf_listen_addr(cx, node->address, &node->addr);
}


const char *
lb_conf_check_vip(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_peers_conf_t  *peers;

    peers = obj->data;

    if (lb_conf_parse_ip(peers->vip, &peers->vip_addr) != LB_OK) {
        return lb_psprintf(cx->tmp, "%s is not an IP address; allowed: an "
                           "IPv4 or IPv6 address, e.g. 192.0.2.10",
                           lb_conf_quote(cx, peers->vip));
    }

    return NULL;
}


/* "host:port" or "[v6]:port" into *addr: NULL, or the message */
static const char *
lb_conf_listen_addr(lb_conf_cx_t *cx, const char *s, lb_sockaddr_t *addr)
{
    char              host[64];
    size_t            n;
    uint32_t          port;
    const char       *p, *colon;

    if (s[0] == '[') {
        p = strchr(s, ']');
        colon = (p != NULL && p[1] == ':') ? p + 1 : NULL;
        n = (p != NULL) ? (size_t) (p - s - 1) : 0;
        p = s + 1;
    } else {
        colon = strrchr(s, ':');
        n = (colon != NULL) ? (size_t) (colon - s) : 0;
        p = s;
    }

    if (colon == NULL || n == 0 || n >= sizeof(host)) {
        goto invalid;
    }

    memcpy(host, p, n);
    host[n] = '\0';

    if (lb_conf_parse_ip(host, addr) != LB_OK
        || (addr->sa.ss_family == AF_INET6) != (s[0] == '['))
    {
        goto invalid;
    }

    port = 0;
    for (p = colon + 1; *p >= '0' && *p <= '9' && port <= 65535; p++) {
        port = port * 10 + (uint32_t) (*p - '0');
    }

    if (p == colon + 1 || *p != '\0' || port < 1 || port > 65535) {
        goto invalid;
    }

    lb_conf_sockaddr_set_port(addr, port);

    return NULL;

invalid:

    return lb_psprintf(cx->tmp, "%s is not an address with a port; allowed: "
                       LB_CONF_LISTEN_RULE ", e.g. 127.0.0.1:9090 or "
                       "[::1]:9090",
                       lb_conf_quote(cx, s));
}


const char *
lb_conf_check_limit(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_listener_t  *l;

    l = obj->data;

    if (l->connection_limit == 0) {
        return "0 is out of range; allowed: -1 (unlimited) or 1..1000000";
    }

    return NULL;
}


const char *
lb_conf_check_cookie(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    char         c;
    size_t       i;
    const char  *s;

    s = lb_conf_str(obj, f);

    for (i = 0; s[i] != '\0'; i++) {
        c = s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || strchr("!#$%^&_*+~-", c) != NULL)
        {
            continue;
        }

        return lb_psprintf(cx->tmp, "%s has %s at position %zu; allowed: %s",
                           lb_conf_quote(cx, s), lb_conf_char(cx, c), i + 1,
                           LB_CONF_COOKIE_RULE);
    }

    return NULL;
}


/* persistence_granularity: a netmask of the balancer's address family;
 * fills mask_family and mask */
const char *
lb_conf_check_mask(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    int                    family, bfamily;
    bool                   zero;
    size_t                 i, n;
    uint8_t               *m, b;
    lb_sockaddr_t          sa, bsa;
    lb_conf_obj_t         *bobj;
    lb_load_balancer_t    *lb;
    lb_persistence_t      *sp;

    sp = obj->data;

    if (lb_conf_parse_ip(sp->persistence_granularity, &sa) != LB_OK) {
        return lb_psprintf(cx->tmp, "%s is not a netmask; allowed: %s",
                           lb_conf_quote(cx, sp->persistence_granularity),
                           LB_CONF_MASK_RULE);
    }

    family = sa.sa.ss_family;

    if (family == AF_INET) {
        m = (uint8_t *) &((struct sockaddr_in *) &sa.sa)->sin_addr;
        n = 4;
    } else {
        m = (uint8_t *) &((struct sockaddr_in6 *) &sa.sa)->sin6_addr;
        n = 16;
    }

    /* ones, then zeros: once a zero bit is seen no one may follow */
    zero = false;

    for (i = 0; i < n; i++) {
        for (b = 0x80; b != 0; b >>= 1) {
            if (m[i] & b) {
                if (zero) {
                    return lb_psprintf(cx->tmp, "%s is not a contiguous "
                                       "netmask (a one bit follows a zero "
                                       "bit); allowed: %s",
                                       lb_conf_quote(cx,
                                           sp->persistence_granularity),
                                       LB_CONF_MASK_RULE);
                }
            } else {
                zero = true;
            }
        }
    }

    /* clients come to the balancer's address, so they share its family */
    bobj = lb_conf_up(obj, 2);

    if (bobj != NULL && bobj->schema == &lb_conf_balancer_object
        && lb_conf_ok(bobj, "address"))
    {
        lb = bobj->data;
        if (lb_conf_parse_ip(lb->address, &bsa) == LB_OK) {
            bfamily = bsa.sa.ss_family;
            if (bfamily != family) {
                return lb_psprintf(cx->tmp, "%s is an IPv%c netmask but the "
                                   "load balancer address %s is IPv%c; "
                                   "allowed: an IPv%c netmask",
                                   lb_conf_quote(cx,
                                       sp->persistence_granularity),
                                   family == AF_INET ? '4' : '6',
                                   lb->address,
                                   bfamily == AF_INET ? '4' : '6',
                                   bfamily == AF_INET ? '4' : '6');
            }
        }
    }

    sp->mask_family = family;
    memset(sp->mask, 0, sizeof(sp->mask));
    memcpy(sp->mask, m, n);

    return NULL;
}


const char *
lb_conf_check_version(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    const char  *s;

    s = lb_conf_str(obj, f);

    /* "1.0" and "1.1" also arrive this way when written as YAML numbers */
    if (strcmp(s, "1.0") != 0 && strcmp(s, "1.1") != 0) {
        return lb_psprintf(cx->tmp, "%s is not a valid value; allowed: "
                           "1.0, 1.1", lb_conf_quote(cx, s));
    }

    return NULL;
}


/* The request target of a CONNECT check: host ':' port, the host a name
 * of letters, digits, '-' and '.', an IPv4 address or a bracketed IPv6
 * address, the port 1..65535 */
static const char *
lb_conf_check_authority(lb_conf_cx_t *cx, const char *s)
{
    size_t       n;
    const char  *colon, *p, *h;
    unsigned     port;

    colon = strrchr(s, ':');

    if (s[0] == '[') {
        p = strchr(s, ']');
        if (p == NULL || p + 1 != colon || p == s + 1) {
            goto invalid;
        }
        for (h = s + 1; h < p; h++) {
            if (!isxdigit((unsigned char) *h) && *h != ':' && *h != '.') {
                goto invalid;
            }
        }
    } else {
        if (colon == NULL || colon == s) {
            goto invalid;
        }
        for (p = s; p < colon; p++) {
            if (!isalnum((unsigned char) *p) && *p != '-' && *p != '.') {
                goto invalid;
            }
        }
    }

    port = 0;
    n = 0;
    for (p = colon + 1; *p != '\0'; p++, n++) {
        if (!isdigit((unsigned char) *p) || n == 5) {
            goto invalid;
        }
        port = port * 10 + (unsigned) (*p - '0');
    }

    if (n > 0 && port >= 1 && port <= 65535) {
        return NULL;
    }

invalid:

    return lb_psprintf(cx->tmp, "%s is not an authority host:port, which "
                       "http_method CONNECT needs as its url_path (RFC 9110 "
                       "9.3.6); allowed: %s", lb_conf_quote(cx, s),
                       LB_CONF_AUTHORITY_RULE);
}


const char *
lb_conf_check_url(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    size_t                      i;
    const char                 *s, *msg;
    const lb_health_monitor_t  *hm;

    s = lb_conf_str(obj, f);
    hm = obj->data;

    /* a CONNECT request names the authority to tunnel to, never a path
     * (RFC 9110 9.3.6): the check asks a proxying target for a tunnel
     * and passes on the codes expected, as HAProxy's "http-check send
     * meth CONNECT uri host:port" does */
    if (lb_conf_ok(obj, "http_method")
        && hm->http_method == LB_METHOD_CONNECT)
    {
        return lb_conf_check_authority(cx, s);
    }

    if (s[0] != '/') {
        return lb_psprintf(cx->tmp, "%s does not start with '/'; allowed: "
                           "%s", lb_conf_quote(cx, s), LB_CONF_URL_RULE);
    }

    msg = lb_conf_visible(cx, s, 1, LB_CONF_URL_RULE);
    if (msg != NULL) {
        return msg;
    }

    /* it goes into the request line as it is: a fragment or a broken
     * escape would make the check's request one a target (and weir's own
     * parser, RFC 9112 3.2) refuses */
    for (i = 1; s[i] != '\0'; i++) {
        if (s[i] == '#'
            || (s[i] == '%' && !(isxdigit((unsigned char) s[i + 1])
                                 && isxdigit((unsigned char) s[i + 2]))))
        {
            return lb_psprintf(cx->tmp, "%s has %s at position %zu; "
                               "allowed: %s", lb_conf_quote(cx, s),
                               s[i] == '#' ? "a fragment ('#')"
                                           : "'%' without two hex digits",
                               i + 1, LB_CONF_URL_RULE);
        }
    }

    return NULL;
}


/* expected_codes: item (',' item)*, spaces allowed around commas, an item
 * a code or a range "a-b"; fills the bitmap of accepted codes */
const char *
lb_conf_check_codes(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    unsigned              lo, hi, c, k;
    const char           *s, *p, *item;
    lb_health_monitor_t  *hm;

    hm = obj->data;
    s = hm->expected_codes;
    p = s;

    memset(hm->codes, 0, sizeof(hm->codes));

    for ( ;; ) {
        while (*p == ' ') {
            p++;
        }

        item = p;
        lo = 0;
        hi = 0;

        for (k = 0; k < 2; k++) {
            if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9'
                  && p[2] >= '0' && p[2] <= '9'
                  && !(p[3] >= '0' && p[3] <= '9')))
            {
                return lb_psprintf(cx->tmp, "%s: expected a 3-digit status "
                                   "code at position %zu; allowed: %s",
                                   lb_conf_quote(cx, s),
                                   (size_t) (p - s + 1), LB_CONF_CODES_RULE);
            }

            c = (unsigned) (p[0] - '0') * 100 + (unsigned) (p[1] - '0') * 10
                + (unsigned) (p[2] - '0');

            if (c < 100 || c > 599) {
                return lb_psprintf(cx->tmp, "%s: %.3s is not a status code "
                                   "100..599; allowed: %s",
                                   lb_conf_quote(cx, s), p,
                                   LB_CONF_CODES_RULE);
            }

            p += 3;

            if (k == 0) {
                lo = c;
                hi = c;
                if (*p != '-') {
                    break;
                }
                p++;
            } else {
                hi = c;
            }
        }

        if (lo > hi) {
            return lb_psprintf(cx->tmp, "%s: the range %.*s is reversed; "
                               "allowed: %s", lb_conf_quote(cx, s),
                               (int) (p - item), item, LB_CONF_CODES_RULE);
        }

        for (c = lo; c <= hi; c++) {
            hm->codes[c / 8] |= (uint8_t) (1u << (c % 8));
        }

        while (*p == ' ') {
            p++;
        }

        if (*p == '\0') {
            return NULL;
        }

        if (*p != ',') {
            return lb_psprintf(cx->tmp, "%s: unexpected %s at position %zu; "
                               "allowed: %s", lb_conf_quote(cx, s),
                               lb_conf_char(cx, *p), (size_t) (p - s + 1),
                               LB_CONF_CODES_RULE);
        }

        p++;
    }
}


/* s from position `from` on is visible ASCII (0x21..0x7e) */
static const char *
lb_conf_visible(lb_conf_cx_t *cx, const char *s, size_t from,
    const char *rule)
{
    size_t  i;

    for (i = from; s[i] != '\0'; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return lb_psprintf(cx->tmp, "%s has %s at position %zu; "
                               "allowed: %s", lb_conf_quote(cx, s),
                               lb_conf_char(cx, s[i]), i + 1, rule);
        }
    }

    return NULL;
}


/* a character for a message: '.' or \x09 */
static const char *
lb_conf_char(lb_conf_cx_t *cx, char c)
{
    if (c > 0x20 && c < 0x7f && c != '\'') {
        return lb_psprintf(cx->tmp, "'%c'", c);
    }

    if (c == ' ') {
        return "a space";
    }

    return lb_psprintf(cx->tmp, "\\x%02x", (unsigned char) c);
}


static const char *
lb_conf_str(const lb_conf_obj_t *obj, const lb_conf_field_t *f)
{
    return *(char **) ((char *) obj->data + f->off);
}


/* tls_ciphersuites: the TLS 1.3 suites of RFC 8446, by their names there
 * (OpenSSL's too). OpenSSL would skip a name it does not know: a typo
 * would quietly take a suite away. */
const char *
lb_conf_check_suites(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    static const char *const  suites[] = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
        "TLS_AES_128_CCM_8_SHA256", NULL
    };

    size_t       i, len, n;
    unsigned     seen;
    const char  *s, *p, *end;

    s = lb_conf_str(obj, f);
    seen = 0;
    n = 0;

    for (p = s; ; p = end + 1) {
        end = strchr(p, ':');
        len = end ? (size_t) (end - p) : strlen(p);
        n++;

        for (i = 0; suites[i] != NULL; i++) {
            if (strlen(suites[i]) == len && strncmp(suites[i], p, len) == 0) {
                break;
            }
        }

        if (suites[i] == NULL) {
            return lb_psprintf(cx->tmp, "%s: %s%.*s%s (item %zu) is not a "
                               "TLS 1.3 suite; allowed: %s",
                               lb_conf_quote(cx, s), len ? "\"" : "",
                               (int) len, p, len ? "\"" : "an empty name",
                               n, LB_CONF_SUITES_RULE);
        }

        if (seen & (1u << i)) {
            return lb_psprintf(cx->tmp, "%s: \"%s\" is named twice; "
                               "allowed: %s", lb_conf_quote(cx, s),
                               suites[i], LB_CONF_SUITES_RULE);
        }
        seen |= 1u << i;

        if (end == NULL) {
            break;
        }
    }

    return NULL;
}
