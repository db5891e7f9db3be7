/* weir: the configuration schema of SPEC.md section 11, L7 policies of
 * HTTP and HTTPS listeners: the field tables of a policy and of a rule,
 * the rules between their fields (FILE_TYPE compare types, a valid
 * regular expression, at most 50 rules), and the rule between objects
 * (a policy's group is of the listener's balancer and speaks a protocol
 * the listener allows). The listener's table has one row that points
 * here; the YAML file and the API's JSON both go through these tables.
 *
 * A regular expression is compiled here only to judge it (PCRE2's own
 * message and offset); the data path compiles it again once per
 * generation (lb_http_l7.c) with the same options, lb_conf_l7_regex(). */
#include <stdio.h>
#include <string.h>

#include "lb_conf_l7.h"
#include "lb_conf_id.h"
#include "lb_conf_schema.h"
#include "lb_conf_value.h"
#include "lb_palloc.h"

#define LB_CONF_L7_KEYED                                                    \
    (LB_CONF_BIT(LB_L7_RULE_HEADER) | LB_CONF_BIT(LB_L7_RULE_COOKIE))
#define LB_CONF_L7_REDIRECT                                                 \
    (LB_CONF_BIT(LB_L7_REDIRECT_TO_URL) | LB_CONF_BIT(LB_L7_REDIRECT_PREFIX))

#define LB_CONF_L7_URL_RULE                                                 \
    "an absolute http:// or https:// URL of printable ASCII without spaces"
#define LB_CONF_L7_KEY_RULE                                                 \
    "a header or cookie name: 1..255 of A-Z a-z 0-9 ! # $ % & ' * + - . ^ " \
    "_ ` | ~"

#define LB_F(k, t, st, m)                                                   \
    .key = k, .type = t, .off = offsetof(st, m)

static const char *lb_conf_l7_check_value(lb_conf_cx_t *cx,
    lb_conf_obj_t *obj, const lb_conf_field_t *f);
static const char *lb_conf_l7_check_key(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
static const char *lb_conf_l7_check_url(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
static const char *lb_conf_l7_check_code(lb_conf_cx_t *cx,
    lb_conf_obj_t *obj, const lb_conf_field_t *f);
static void lb_conf_l7_default_position(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
static void lb_conf_l7_rule_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);
static void lb_conf_l7_policy_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj);


static const lb_conf_field_t  lb_conf_l7_rule_fields[] = {
    { LB_F("id", LB_CONF_STRING, lb_l7_rule_t, id), .min = 36, .max = 36,
      .allowed = LB_CONF_UUID_RULE, .check = lb_conf_check_uuid },
    { LB_F("type", LB_CONF_ENUM, lb_l7_rule_t, type),
      .required = 1, .names = lb_l7_rule_type_names,
      .only_fmt = "only for %s rules" },
    { LB_F("compare_type", LB_CONF_ENUM, lb_l7_rule_t, compare_type),
      .required = 1, .names = lb_l7_compare_names },
    { LB_F("key", LB_CONF_STRING, lb_l7_rule_t, key),
      .required = 1, .min = 1, .max = 255, .allowed = LB_CONF_L7_KEY_RULE,
      .check = lb_conf_l7_check_key,
      .depends = "type", .only = LB_CONF_L7_KEYED },
    { LB_F("value", LB_CONF_STRING, lb_l7_rule_t, value),
      .required = 1, .min = 1, .max = 255,
      .allowed = "1..255 characters without CR or LF",
      .check = lb_conf_l7_check_value },
    { LB_F("is_inverted", LB_CONF_BOOL, lb_l7_rule_t, is_inverted),
      .has_def = 1, .def = 0 },
    { NULL }
};

const lb_conf_object_t  lb_conf_l7_rule_object = {
    "rule", sizeof(lb_l7_rule_t), lb_conf_l7_rule_fields, NULL,
    lb_conf_l7_rule_rule, offsetof(lb_l7_rule_t, pos)
};


static const lb_conf_field_t  lb_conf_l7_policy_fields[] = {
    { LB_F("id", LB_CONF_STRING, lb_l7_policy_t, id), .min = 36, .max = 36,
      .allowed = LB_CONF_UUID_RULE, .check = lb_conf_check_uuid },
    { LB_F("name", LB_CONF_STRING, lb_l7_policy_t, name),
      .max = 255, .allowed = LB_CONF_LABEL_RULE,
      .check = lb_conf_check_label },
    { LB_F("position", LB_CONF_UINT, lb_l7_policy_t, position),
      .min = 1, .max = 1000000,
      .def_fn = lb_conf_l7_default_position,
      .def_doc = "its place in the list (1 for the first)" },
    { LB_F("action", LB_CONF_ENUM, lb_l7_policy_t, action),
      .required = 1, .names = lb_l7_action_names,
      .only_fmt = "only with action %s" },
    { LB_F("redirect_target_group", LB_CONF_STRING, lb_l7_policy_t,
           redirect_target_group_name),
      .required = 1, .max = 250,
      .allowed = "the name of a target group of this load balancer",
      .depends = "action", .only = LB_CONF_BIT(LB_L7_REDIRECT_TO_POOL) },
    { LB_F("redirect_url", LB_CONF_STRING, lb_l7_policy_t, redirect_url),
      .required = 1, .max = 2048, .allowed = LB_CONF_L7_URL_RULE,
      .check = lb_conf_l7_check_url,
      .depends = "action", .only = LB_CONF_BIT(LB_L7_REDIRECT_TO_URL) },
    { LB_F("redirect_prefix", LB_CONF_STRING, lb_l7_policy_t,
           redirect_prefix),
      .required = 1, .max = 2048, .allowed = LB_CONF_L7_URL_RULE,
      .check = lb_conf_l7_check_url,
      .depends = "action", .only = LB_CONF_BIT(LB_L7_REDIRECT_PREFIX) },
    { LB_F("redirect_http_code", LB_CONF_UINT, lb_l7_policy_t,
           redirect_http_code),
      .min = 301, .max = 308, .has_def = 1, .def = 302,
      .allowed = "301, 302, 303, 307, 308",
      .check = lb_conf_l7_check_code,
      .depends = "action", .only = LB_CONF_L7_REDIRECT },
    { LB_F("is_enabled", LB_CONF_BOOL, lb_l7_policy_t, is_enabled),
      .has_def = 1, .def = 1 },
    { LB_F("rules", LB_CONF_LIST, lb_l7_policy_t, rules),
      .count_off = offsetof(lb_l7_policy_t, nrules),
      .object = &lb_conf_l7_rule_object },
    { NULL }
};

const lb_conf_object_t  lb_conf_l7_policy_object = {
    "L7 policy", sizeof(lb_l7_policy_t), lb_conf_l7_policy_fields, "name",
    lb_conf_l7_policy_rule, offsetof(lb_l7_policy_t, pos)
};


pcre2_code *
lb_conf_l7_regex(const char *value, bool caseless, char *err, size_t size)
{
    int                errcode;
    PCRE2_SIZE         off;
    pcre2_code        *re;
    PCRE2_UCHAR        msg[256];

    /* UTF-8 patterns; a subject that is not valid UTF-8 (a header may
     * carry any obs-text) simply does not match where it is invalid,
     * rather than failing the match */
    re = pcre2_compile((PCRE2_SPTR) value, PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF
                       | (caseless ? PCRE2_CASELESS : 0), &errcode, &off,
                       NULL);

    if (re == NULL && err != NULL) {
        if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0) {
            strcpy((char *) msg, "unknown error");
        }
        snprintf(err, size, "invalid regular expression at offset %zu: %s",
                 (size_t) off, (char *) msg);
    }

    return re;
}


/* no CR or LF (they would split a header of a redirect or a log line);
 * a REGEX value is judged by the object's rule, once compare_type is
 * known */
static const char *
lb_conf_l7_check_value(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    const char  *s, *p;

    s = *(char **) ((char *) obj->data + f->off);
    p = strpbrk(s, "\r\n");

    if (p != NULL) {
        return lb_psprintf(cx->tmp, "%s has %s at position %zu; allowed: "
                           "1..255 characters without CR or LF",
                           lb_conf_quote(cx, s), *p == '\r' ? "CR" : "LF",
                           (size_t) (p - s) + 1);
    }

    return NULL;
}


/* an RFC 9110 token: what a header name (and a cookie name) is */
static const char *
lb_conf_l7_check_key(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    char         c;
    size_t       i;
    const char  *s;

    s = *(char **) ((char *) obj->data + f->off);

    for (i = 0; s[i] != '\0'; i++) {
        c = s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c))
        {
            continue;
        }

        return lb_psprintf(cx->tmp, "%s has a character not allowed at "
                           "position %zu; allowed: %s", lb_conf_quote(cx, s),
                           i + 1, LB_CONF_L7_KEY_RULE);
    }

    return NULL;
}


/* what goes into Location as it is: absolute, no byte that would break
 * the header */
static const char *
lb_conf_l7_check_url(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    size_t       i, start;
    const char  *s;

    s = *(char **) ((char *) obj->data + f->off);

    if (strncmp(s, "http://", 7) == 0) {
        start = 7;
    } else if (strncmp(s, "https://", 8) == 0) {
        start = 8;
    } else {
        return lb_psprintf(cx->tmp, "%s is not an http:// or https:// URL; "
                           "allowed: %s", lb_conf_quote(cx, s),
                           LB_CONF_L7_URL_RULE);
    }

    if (s[start] == '\0' || s[start] == '/') {
        return lb_psprintf(cx->tmp, "%s has no host; allowed: %s",
                           lb_conf_quote(cx, s), LB_CONF_L7_URL_RULE);
    }

    for (i = start; s[i] != '\0'; i++) {
        if ((u_char) s[i] <= 0x20 || (u_char) s[i] >= 0x7f) {
            return lb_psprintf(cx->tmp, "%s has a space or a control or "
                               "non-ASCII byte at position %zu; allowed: %s",
                               lb_conf_quote(cx, s), i + 1,
                               LB_CONF_L7_URL_RULE);
        }
    }

    return NULL;
}


static const char *
lb_conf_l7_check_code(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    uint32_t  code;

    code = *(uint32_t *) ((char *) obj->data + f->off);

    switch (code) {
    case 301: case 302: case 303: case 307: case 308:
        return NULL;
    }

    return lb_psprintf(cx->tmp, "%u is not a redirect code; allowed: "
                       "301, 302, 303, 307, 308", code);
}


/* unwritten: after the policies before it in the file */
static void
lb_conf_l7_default_position(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f)
{
    lb_conf_set_number(obj, f, obj->index == LB_CONF_NO_INDEX
                               ? 1 : (int64_t) obj->index + 1);
}


/* FILE_TYPE compares with REGEX or EQUAL_TO (an extension is short: a
 * substring of it means little); a REGEX value must compile */
static void
lb_conf_l7_rule_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    char           err[320];
    pcre2_code    *re;
    lb_l7_rule_t  *r;

    r = obj->data;

    if (lb_conf_ok(obj, "type") && lb_conf_ok(obj, "compare_type")
        && r->type == LB_L7_RULE_FILE_TYPE
        && r->compare_type != LB_L7_CMP_REGEX
        && r->compare_type != LB_L7_CMP_EQUAL_TO)
    {
        lb_conf_error(cx, obj, "compare_type", "%s is not allowed for "
                      "FILE_TYPE rules; allowed: REGEX, EQUAL_TO",
                      lb_l7_compare_names[r->compare_type]);
    }

    if (lb_conf_ok(obj, "compare_type") && lb_conf_ok(obj, "value")
        && r->compare_type == LB_L7_CMP_REGEX)
    {
        re = lb_conf_l7_regex(r->value, false, err, sizeof(err));

        if (re == NULL) {
            lb_conf_error(cx, obj, "value", "%s", err);
        } else {
            pcre2_code_free(re);
        }
    }
}


static void
lb_conf_l7_policy_rule(lb_conf_cx_t *cx, lb_conf_obj_t *obj)
{
    lb_l7_policy_t  *p;

    p = obj->data;

    if (lb_conf_ok(obj, "rules") && p->nrules > LB_CONF_L7_MAX_RULES) {
        lb_conf_error(cx, obj, "rules", "%u rules; allowed: at most %u "
                      "rules per policy", p->nrules, LB_CONF_L7_MAX_RULES);
    }
}


void
lb_conf_check_l7(lb_conf_cx_t *cx, lb_conf_obj_t *bobj, lb_conf_obj_t *lobj)
{
    uint32_t            k, g;
    unsigned            allowed;
    const char         *name;
    lb_listener_t      *l;
    lb_l7_policy_t     *p;
    lb_conf_obj_t      *pobj, *gobj;
    lb_target_group_t  *tg;

    l = lobj->data;

    for (k = 0; (pobj = lb_conf_child(lobj, "l7_policies", k)); k++) {
        p = pobj->data;
        p->index = k;

        if (!lb_conf_ok(pobj, "redirect_target_group")
            || !lb_conf_ok(pobj, "action")
            || p->action != LB_L7_REDIRECT_TO_POOL)
        {
            continue;
        }

        tg = NULL;

        for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g)); g++) {
            name = lb_conf_name_of(gobj);
            if (name != NULL
                && strcmp(name, p->redirect_target_group_name) == 0)
            {
                tg = gobj->data;
                break;
            }
        }

        if (tg == NULL) {
            lb_conf_error(cx, pobj, "redirect_target_group", "target group "
                          "\"%s\" does not exist in this load balancer; "
                          "allowed: the name of one of its target groups",
                          p->redirect_target_group_name);
            continue;
        }

        p->redirect_target_group = tg;

        if (!lb_conf_ok(lobj, "protocol") || !lb_conf_ok(gobj, "protocol")) {
            continue;
        }

        allowed = lb_conf_listener_groups[l->protocol];

        if (!(allowed & LB_CONF_BIT(tg->protocol))) {
            lb_conf_error(cx, pobj, "redirect_target_group", "target group "
                          "\"%s\" is %s, which %s listeners cannot use; "
                          "allowed: %s target groups", tg->name,
                          lb_tg_proto_names[tg->protocol],
                          lb_listener_proto_names[l->protocol],
                          lb_conf_mask_names(cx->tmp, allowed,
                                             lb_tg_proto_names));
        }
    }
}
