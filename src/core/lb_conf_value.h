/* weir: the checks of single configuration values (lb_conf_value.c), each
 * named in the `check` column of a field row of lb_conf_schema.c, and the
 * "allowed: ..." texts that the rows and the checks' messages share. */
#ifndef LB_CONF_VALUE_H
#define LB_CONF_VALUE_H

#include "lb_conf_schema.h"

#define LB_CONF_NAME_RULE                                                   \
    "4..250 characters of A-Z a-z 0-9 _ -, starting with a letter, not "    \
    "ending with _ or -, no two of _ and - in a row"

#define LB_CONF_LABEL_RULE                                                  \
    "1..255 printable ASCII characters without spaces"

#define LB_CONF_COOKIE_RULE                                                 \
    "1..255 characters of A-Z a-z 0-9 ! # $ % ^ & _ * + ~ -"

#define LB_CONF_URL_RULE                                                    \
    "'/' followed by up to 120 visible ASCII characters (no spaces, no "  \
    "'#', '%' only before two hex digits)"

#define LB_CONF_AUTHORITY_RULE                                              \
    "with http_method CONNECT: host:port, the host a name of letters, "   \
    "digits, '-' and '.', an IPv4 address or an [IPv6] address, the port " \
    "1..65535, e.g. backend.example:443"

#define LB_CONF_CODES_RULE                                                  \
    "3-digit status codes 100..599: a code, a comma list, a range a-b "    \
    "with a <= b, or a mix, e.g. 200 | 201, 202 | 200-299 | 200,201-299"

#define LB_CONF_MASK_RULE                                                   \
    "an IPv4 or IPv6 netmask with contiguous ones, e.g. 255.255.255.0 or "  \
    "ffff:ffff:ffff:ffff::"

#define LB_CONF_UUID_RULE                                                   \
    "a UUID, 8-4-4-4-12 hexadecimal digits"

#define LB_CONF_LISTEN_RULE                                                 \
    "IPv4:port or [IPv6]:port with a port 1..65535"

#define LB_CONF_SUITES_RULE                                                 \
    "TLS 1.3 suites separated by ':', of TLS_AES_128_GCM_SHA256, "         \
    "TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, "               \
    "TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256"

#define LB_CONF_MAX_WORKERS  64
#define LB_CONF_MAX_PEERS    16

/* lb_conf_check_pt: NULL when the value is fine, else the message */

/* worker_processes: "auto" (0) becomes the online CPU count */
const char *lb_conf_check_workers(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* user: a user of this system (as nginx, checked when the file is read) */
const char *lb_conf_check_user(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* error_log, access_log: a file path, or a syslog setting
 * (lb_log_parse_syslog()) */
const char *lb_conf_check_log(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* access_log_compress: true needs an access_log that is a file */
const char *lb_conf_check_log_compress(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* ids: a UUID, stored in lower case */
const char *lb_conf_check_uuid(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* load balancer and target group names (LB_CONF_NAME_RULE) */
const char *lb_conf_check_name(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* listener and member names (LB_CONF_LABEL_RULE) */
const char *lb_conf_check_label(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* an IPv4 or IPv6 address, not a host name */
const char *lb_conf_check_ip(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* admin.listen: address and port; fills admin->addr */
const char *lb_conf_check_listen(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* peers.nodes[].address: the same rule; fills node->addr */
const char *lb_conf_check_peer_address(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* peers.vip: an IP address; fills peers->vip_addr */
const char *lb_conf_check_vip(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* connection_limit: -1 or 1..1000000, not 0 */
const char *lb_conf_check_limit(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* cookie_name (LB_CONF_COOKIE_RULE) */
const char *lb_conf_check_cookie(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* persistence_granularity: a netmask of the balancer's family; fills
 * mask_family and mask */
const char *lb_conf_check_mask(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* http_version: 1.0 or 1.1 */
const char *lb_conf_check_version(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* url_path (LB_CONF_URL_RULE) */
const char *lb_conf_check_url(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);
/* expected_codes (LB_CONF_CODES_RULE); fills the codes bitmap */
const char *lb_conf_check_codes(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);

/* tls_ciphersuites (LB_CONF_SUITES_RULE): known names, none twice */
const char *lb_conf_check_suites(lb_conf_cx_t *cx, lb_conf_obj_t *obj,
    const lb_conf_field_t *f);

#endif /* LB_CONF_VALUE_H */
