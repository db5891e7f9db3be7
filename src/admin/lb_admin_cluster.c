/* weir: the cluster view of the admin API (lb_admin_cluster.h). The
 * sync process keeps the view in the zone (lb_zone_cluster_t); this
 * process reads a copy per request. */
#include <stdlib.h>
#include <string.h>

#include "lb_admin.h"
#include "lb_admin_change.h"
#include "lb_admin_cluster.h"
#include "lb_admin_json.h"
#include "lb_admin_write.h"
#include "lb_log.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_zone_journal.h"

#define LB_ADMIN_PEER_CONF_EVERY  50     /* ms between looks */

static const char *lb_admin_role_name(uint8_t role);


lb_int_t
lb_admin_loop(lb_cycle_t *cycle, lb_msec_t *wait)
{
    size_t            len;
    uint64_t          v, mine;
    lb_peers_conf_t  *peers;
    char              why[512];
    static bool       told;
    static char      *buf;
    static uint64_t   refused;

    peers = lb_admin_current(cycle)->peers;

    if (peers == NULL || lb_zone_journal == NULL) {
        return LB_OK;
    }

    *wait = lb_min(*wait, (lb_msec_t) LB_ADMIN_PEER_CONF_EVERY);

    if (!told) {
        /* the version in the file: this node's */
        told = true;
        __atomic_store_n(&lb_zone_journal->conf_version,
                         (uint64_t) peers->config_version, __ATOMIC_RELEASE);
    }

    mine = __atomic_load_n(&lb_zone_journal->conf_version, __ATOMIC_ACQUIRE);
    v = lb_zone_conf_version(lb_zone_journal, LB_ZONE_CONF_IN);

    /* only a newer version; one refused is not tried again */
    if (v <= mine || v == refused) {
        return LB_OK;
    }

    if (buf == NULL) {
        buf = malloc(LB_ZONE_CONF_TEXT_MAX);
        if (buf == NULL) {
            return LB_OK;
        }
    }

    if (lb_zone_conf_get(lb_zone_journal, LB_ZONE_CONF_IN, &v, buf,
                         LB_ZONE_CONF_TEXT_MAX, &len)
        != LB_OK)
    {
        return LB_OK;
    }

    if (lb_admin_peer_change(cycle, v, buf, len, why, sizeof(why)) != LB_OK)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, 0, "admin: configuration version "
                     "%llu of the active node not taken: %s",
                     (unsigned long long) v, why);
        refused = v;
    }

    return LB_OK;
}


void
lb_admin_cluster(lb_admin_req_t *r)
{
    uint32_t                i, k;
    uint64_t                head;
    lb_json_t               j;
    lb_peers_conf_t        *peers;
    lb_zone_cluster_t       c;
    lb_zone_peer_status_t  *ps;

    peers = r->cycle->conf->peers;

    if (peers == NULL || lb_zone_journal == NULL) {
        lb_admin_error(r, 404, "this node has no peers block");
        return;
    }

    lb_zone_cluster_get(lb_zone_journal, &c);
    head = lb_zone_journal_next(lb_zone_journal) - 1;

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);
    lb_json_object(&j, "cluster");
    lb_json_str(&j, "local", peers->local);
    lb_json_str(&j, "role", lb_admin_role_name(c.role));

    if (c.active[0] != '\0') {
        lb_json_str(&j, "active", c.active);
    } else {
        lb_json_null(&j, "active");
    }

    if (peers->vip != NULL) {
        lb_json_str(&j, "vip", peers->vip);
    } else {
        lb_json_null(&j, "vip");
    }

    lb_json_uint(&j, "journal_id", head);
    lb_json_uint(&j, "config_version",
                 __atomic_load_n(&lb_zone_journal->conf_version,
                                 __ATOMIC_ACQUIRE));
    lb_json_array(&j, "peers");

    for (i = 0; i < c.npeers; i++) {
        ps = &c.peers[i];

        lb_json_object(&j, NULL);
        lb_json_str(&j, "name", ps->name);

        for (k = 0; k < peers->nnodes; k++) {
            if (strcmp(peers->nodes[k].name, ps->name) == 0) {
                lb_json_str(&j, "address", peers->nodes[k].address);
            }
        }

        lb_json_str(&j, "role", lb_admin_role_name(ps->role));
        lb_json_bool(&j, "connected", ps->out && ps->in);
        lb_json_bool(&j, "sending", ps->out);
        lb_json_bool(&j, "receiving", ps->in);
        lb_json_uint(&j, "acked_id", ps->acked);
        lb_json_uint(&j, "lag", head > ps->acked ? head - ps->acked : 0);
        lb_json_uint(&j, "applied_id", ps->applied);
        lb_json_uint(&j, "full_copies", ps->full_copies);
        lb_json_uint(&j, "config_version", ps->config_version);
        lb_json_object_end(&j);
    }

    lb_json_array_end(&j);
    lb_json_object_end(&j);
    lb_json_object_end(&j);
    lb_admin_buf_append(r->body, "\n", 1);
}


bool
lb_admin_cluster_refuse(lb_admin_req_t *r)
{
    lb_peers_conf_t    *peers;
    lb_zone_cluster_t   c;

    peers = r->cycle->conf->peers;

    if (peers == NULL || lb_zone_journal == NULL
        || r->method == LB_HTTP_METHOD_GET
        || r->method == LB_HTTP_METHOD_HEAD)
    {
        return false;
    }

    lb_zone_cluster_get(lb_zone_journal, &c);

    if (c.role == LB_ZONE_ROLE_ACTIVE) {
        return false;
    }

    if (c.role == LB_ZONE_ROLE_UNKNOWN) {
        lb_admin_error(r, 503, "this node (%s) does not know its role yet; "
                       "try again in a second", peers->local);
        return true;
    }

    if (c.active[0] != '\0') {
        lb_admin_error(r, 409, "this node (%s) is standby; writes go to "
                       "the active node %s", peers->local, c.active);
    } else {
        lb_admin_error(r, 409, "this node (%s) is standby; writes go to "
                       "the active node, which is not known now (no peer "
                       "connected says it is active)", peers->local);
    }

    return true;
}


static const char *
lb_admin_role_name(uint8_t role)
{
    switch (role) {
    case LB_ZONE_ROLE_ACTIVE:
        return "active";
    case LB_ZONE_ROLE_STANDBY:
        return "standby";
    default:
        return "unknown";
    }
}
