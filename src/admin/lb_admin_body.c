/* weir: request bodies as JSON text (lb_admin_body.h). */
#include <stdio.h>
#include <string.h>

#include "lb_admin_body.h"
#include "lb_admin_json.h"
#include "lb_conf_types.h"
#include "lb_palloc.h"

static size_t lb_admin_skip_ws(const u_char *p, size_t len, size_t i);
static size_t lb_admin_skip_string(const u_char *p, size_t len, size_t i);
static size_t lb_admin_skip_value(const u_char *p, size_t len, size_t i);
static void lb_admin_body_open(lb_json_t *j, lb_admin_buf_t *buf,
    const char *wrapper);


/* Split p[0..len), JSON already judged valid, as {"w": {"k": v, ...}}.
 * false when it has another shape. No recursion: a value is skipped by
 * counting brackets. */
bool
lb_admin_body_split(const u_char *p, size_t len, lb_admin_body_t *b)
{
    size_t  i, e;

    memset(b, 0, sizeof(lb_admin_body_t));

    i = lb_admin_skip_ws(p, len, 0);
    if (i >= len || p[i] != '{') {
        return false;
    }

    i = lb_admin_skip_ws(p, len, i + 1);
    e = lb_admin_skip_string(p, len, i);
    if (e == 0) {
        return false;
    }

    b->wrapper = p + i + 1;
    b->wrapper_len = e - i - 2;

    i = lb_admin_skip_ws(p, len, e);
    if (i >= len || p[i] != ':') {
        return false;
    }

    i = lb_admin_skip_ws(p, len, i + 1);
    if (i >= len || p[i] != '{') {
        return false;
    }

    i = lb_admin_skip_ws(p, len, i + 1);

    if (i < len && p[i] == '}') {
        i++;

    } else {
        for ( ;; ) {
            if (b->n == LB_ADMIN_PAIRS) {
                return false;
            }

            e = lb_admin_skip_string(p, len, i);
            if (e == 0) {
                return false;
            }

            b->pairs[b->n].key = p + i + 1;
            b->pairs[b->n].key_len = e - i - 2;

            i = lb_admin_skip_ws(p, len, e);
            if (i >= len || p[i] != ':') {
                return false;
            }

            i = lb_admin_skip_ws(p, len, i + 1);
            e = lb_admin_skip_value(p, len, i);
            if (e == 0) {
                return false;
            }

            b->pairs[b->n].val = p + i;
            b->pairs[b->n].val_len = e - i;
            b->n++;

            i = lb_admin_skip_ws(p, len, e);
            if (i >= len) {
                return false;
            }

            if (p[i] == '}') {
                i++;
                break;
            }

            if (p[i] != ',') {
                return false;
            }

            i = lb_admin_skip_ws(p, len, i + 1);
        }
    }

    i = lb_admin_skip_ws(p, len, i);
    if (i >= len || p[i] != '}') {
        return false;
    }

    return lb_admin_skip_ws(p, len, i + 1) == len;
}


static size_t
lb_admin_skip_ws(const u_char *p, size_t len, size_t i)
{
    while (i < len
           && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
    {
        i++;
    }

    return i;
}


/* the end (after the closing quote) of the string at p[i], 0 if none */
static size_t
lb_admin_skip_string(const u_char *p, size_t len, size_t i)
{
    if (i >= len || p[i] != '"') {
        return 0;
    }

    for (i++; i < len; i++) {
        if (p[i] == '\\') {
            i++;
            continue;
        }

        if (p[i] == '"') {
            return i + 1;
        }
    }

    return 0;
}


/* the end of the value at p[i], 0 if none */
static size_t
lb_admin_skip_value(const u_char *p, size_t len, size_t i)
{
    size_t  depth, e;

    if (i >= len) {
        return 0;
    }

    if (p[i] == '"') {
        return lb_admin_skip_string(p, len, i);
    }

    if (p[i] != '{' && p[i] != '[') {
        while (i < len && p[i] != ',' && p[i] != '}' && p[i] != ']'
               && p[i] != ' ' && p[i] != '\t' && p[i] != '\r'
               && p[i] != '\n')
        {
            i++;
        }
        return i;
    }

    depth = 0;

    while (i < len) {
        if (p[i] == '"') {
            e = lb_admin_skip_string(p, len, i);
            if (e == 0) {
                return 0;
            }
            i = e;
            continue;
        }

        if (p[i] == '{' || p[i] == '[') {
            depth++;

        } else if (p[i] == '}' || p[i] == ']') {
            if (--depth == 0) {
                return i + 1;
            }
        }

        i++;
    }

    return 0;
}


lb_admin_pair_t *
lb_admin_body_pair(const lb_admin_body_t *b, const char *key)
{
    uint32_t  i;
    size_t    n;

    n = strlen(key);

    for (i = 0; i < b->n; i++) {
        if (b->pairs[i].key_len == n && memcmp(b->pairs[i].key, key, n) == 0)
        {
            return (lb_admin_pair_t *) &b->pairs[i];
        }
    }

    return NULL;
}


u_char *
lb_admin_body_merge(lb_pool_t *pool, const char *wrapper,
    const lb_admin_buf_t *base, const lb_admin_body_t *b, size_t *len)
{
    u_char           *text;
    uint32_t          i, k;
    bool              comma;
    lb_admin_buf_t    out;
    lb_admin_body_t  *cur;

    memset(&out, 0, sizeof(out));

    cur = lb_pcalloc(pool, sizeof(lb_admin_body_t));
    if (cur == NULL) {
        return NULL;
    }

    /* base is ours: it splits unless its writer ran out of memory */
    if (base->nomem
        || (base->len > 0
            && !lb_admin_body_split(base->data, base->len, cur)))
    {
        return NULL;
    }

    lb_admin_buf_printf(&out, "{\"%s\": {", wrapper);
    comma = false;

    for (i = 0; i < cur->n; i++) {
        for (k = 0; k < b->n; k++) {
            if (b->pairs[k].key_len == cur->pairs[i].key_len
                && memcmp(b->pairs[k].key, cur->pairs[i].key,
                          b->pairs[k].key_len) == 0)
            {
                break;
            }
        }

        if (k < b->n) {
            continue;
        }

        lb_admin_buf_printf(&out, "%s\"%.*s\": %.*s", comma ? ", " : "",
                            (int) cur->pairs[i].key_len, cur->pairs[i].key,
                            (int) cur->pairs[i].val_len, cur->pairs[i].val);
        comma = true;
    }

    for (k = 0; k < b->n; k++) {
        if (b->pairs[k].key_len == 0) {
            continue;       /* taken out */
        }

        /* null: the field as if left out of the file (its default; for
         * session_persistence or monitor_port, none or the traffic
         * port) */
        if (b->pairs[k].val_len == 4
            && memcmp(b->pairs[k].val, "null", 4) == 0)
        {
            continue;
        }

        lb_admin_buf_printf(&out, "%s\"%.*s\": %.*s", comma ? ", " : "",
                            (int) b->pairs[k].key_len, b->pairs[k].key,
                            (int) b->pairs[k].val_len, b->pairs[k].val);
        comma = true;
    }

    lb_admin_buf_append(&out, "}}", 2);

    text = NULL;

    if (!out.nomem) {
        text = lb_palloc(pool, out.len + 1);
        if (text != NULL) {
            memcpy(text, out.data, out.len);
            text[out.len] = '\0';
            *len = out.len;
        }
    }

    lb_admin_buf_free(&out);

    return text;
}


/* --- the current fields of an object, as a body would give them --- */

void
lb_admin_body_group(lb_admin_buf_t *buf, const lb_target_group_t *g)
{
    lb_json_t          j;
    lb_persistence_t  *sp;

    sp = g->session_persistence;

    lb_admin_body_open(&j, buf, "target_group");
    lb_json_str(&j, "name", g->name);
    lb_json_str(&j, "protocol", lb_tg_proto_names[g->protocol]);
    lb_json_str(&j, "load_balancer_algorithm",
                lb_algorithm_names[g->load_balancer_algorithm]);

    if (g->protocol == LB_TG_PROXY) {
        lb_json_uint(&j, "proxy_protocol_version",
                     g->proxy_protocol_version);
    }

    /* only when not the default: a PUT of another protocol then meets
     * the rule that the protocol is fixed, not this field's admission */
    if ((g->protocol == LB_TG_HTTP || g->protocol == LB_TG_HTTPS)
        && g->nalpn && g->alpn[0] != LB_ALPN_HTTP11)
    {
        lb_json_names(&j, "alpn_protocols", lb_alpn_names, g->alpn,
                      g->nalpn);
    }

    if (sp != NULL) {
        lb_json_object(&j, "session_persistence");
        lb_json_str(&j, "type", lb_persistence_names[sp->type]);
        lb_json_uint(&j, "persistence_timeout",
                     sp->persistence_timeout / 1000);
        lb_json_str_set(&j, "cookie_name", sp->cookie_name);
        if (sp->type == LB_PERSIST_SOURCE_IP
            && sp->persistence_granularity != NULL)
        {
            lb_json_str(&j, "persistence_granularity",
                        sp->persistence_granularity);
        }
        lb_json_object_end(&j);
    }

    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


void
lb_admin_body_member(lb_admin_buf_t *buf, const lb_target_t *t)
{
    lb_json_t  j;

    lb_admin_body_open(&j, buf, "member");
    lb_json_str_set(&j, "name", t->name);
    lb_json_str(&j, "address", t->address);
    lb_json_uint(&j, "protocol_port", t->protocol_port);
    lb_json_uint(&j, "weight", t->weight);
    if (t->monitor_port != t->protocol_port) {
        lb_json_uint(&j, "monitor_port", t->monitor_port);
    }
    lb_json_str_set(&j, "subnet_id", t->subnet_id);
    lb_json_str_set(&j, "instance_id", t->instance_id);
    lb_json_str_set(&j, "instance_name", t->instance_name);
    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


void
lb_admin_body_monitor(lb_admin_buf_t *buf, const lb_health_monitor_t *hm)
{
    lb_json_t  j;

    lb_admin_body_open(&j, buf, "health_monitor");
    lb_json_str(&j, "type", lb_check_type_names[hm->type]);
    lb_json_uint(&j, "delay", hm->delay / 1000);
    lb_json_uint(&j, "timeout", hm->timeout / 1000);
    lb_json_uint(&j, "max_retries", hm->max_retries);
    lb_json_uint(&j, "max_retries_down", hm->max_retries_down);

    if (hm->type == LB_CHECK_HTTP || hm->type == LB_CHECK_HTTPS) {
        lb_json_str(&j, "http_method", lb_http_method_names[hm->http_method]);
        lb_json_str(&j, "http_version", hm->http_version);
        lb_json_str(&j, "url_path", hm->url_path);
        lb_json_str(&j, "expected_codes", hm->expected_codes);
    }

    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


void
lb_admin_body_listener(lb_admin_buf_t *buf, const lb_listener_t *l)
{
    uint32_t   i;
    bool       tls, http;
    lb_json_t  j;

    tls = l->protocol == LB_LISTENER_HTTPS || l->protocol == LB_LISTENER_TLS;
    http = l->protocol == LB_LISTENER_HTTP || l->protocol == LB_LISTENER_HTTPS;

    lb_admin_body_open(&j, buf, "listener");
    lb_json_str(&j, "name", l->name);
    lb_json_str(&j, "protocol", lb_listener_proto_names[l->protocol]);
    lb_json_uint(&j, "protocol_port", l->protocol_port);
    lb_json_uint(&j, "timeout_client_data", l->timeout_client_data);
    lb_json_uint(&j, "timeout_member_connect", l->timeout_member_connect);
    lb_json_uint(&j, "timeout_member_data", l->timeout_member_data);
    lb_json_int(&j, "connection_limit", l->connection_limit);

    if (http) {
        lb_json_uint(&j, "timeout_client_header", l->timeout_client_header);
        lb_json_object(&j, "insert_headers");
        lb_json_str(&j, "X-Forwarded-For",
                    lb_xff_mode_names[l->x_forwarded_for]);
        lb_json_bool(&j, "X-Forwarded-Proto", l->x_forwarded_proto);
        lb_json_bool(&j, "X-Forwarded-Port", l->x_forwarded_port);
        lb_json_object_end(&j);
    }

    if (tls) {
        lb_json_str(&j, "tls_certificate", l->tls.certificate);
        lb_json_str(&j, "tls_key", l->tls.key);
        lb_json_str(&j, "tls_min_version",
                    lb_tls_version_names[l->tls_min_version]);
        /* only when not the default (h2, then http/1.1), as the file
         * was written */
        if (l->protocol == LB_LISTENER_HTTPS
            && !(l->nalpn == 2 && l->alpn[0] == LB_ALPN_H2
                 && l->alpn[1] == LB_ALPN_HTTP11))
        {
            lb_json_names(&j, "alpn_protocols", lb_alpn_names, l->alpn,
                          l->nalpn);
        }
        if (l->nsni_certificates > 0) {
            lb_json_array(&j, "sni_certificates");
            for (i = 0; i < l->nsni_certificates; i++) {
                lb_json_object(&j, NULL);
                lb_json_str(&j, "tls_certificate",
                            l->sni_certificates[i].certificate);
                lb_json_str(&j, "tls_key", l->sni_certificates[i].key);
                lb_json_object_end(&j);
            }
            lb_json_array_end(&j);
        }
    }

    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


void
lb_admin_body_balancer(lb_admin_buf_t *buf, const lb_load_balancer_t *b)
{
    uint32_t   i;
    lb_json_t  j;

    lb_admin_body_open(&j, buf, "load_balancer");
    lb_json_str(&j, "name", b->name);
    lb_json_str(&j, "type", lb_balancer_type_names[b->type]);
    lb_json_str(&j, "address", b->address);
    lb_json_str_set(&j, "availability_zone", b->availability_zone);
    lb_json_str_set(&j, "vpc", b->vpc);
    if (b->nhealth_check_ips > 0) {
        lb_json_array(&j, "health_check_ips");
        for (i = 0; i < b->nhealth_check_ips; i++) {
            lb_json_object(&j, NULL);
            lb_json_str_set(&j, "subnet_id",
                            b->health_check_ips[i].subnet_id);
            lb_json_str(&j, "address", b->health_check_ips[i].address);
            lb_json_object_end(&j);
        }
        lb_json_array_end(&j);
    }
    lb_json_object_end(&j);
    lb_json_object_end(&j);
}


/* {"wrapper": { opened in buf: the start of every lb_admin_body_*() */
static void
lb_admin_body_open(lb_json_t *j, lb_admin_buf_t *buf, const char *wrapper)
{
    lb_json_init(j, buf);
    lb_json_object(j, NULL);
    lb_json_object(j, wrapper);
}
