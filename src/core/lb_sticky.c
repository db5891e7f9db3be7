/* weir: SOURCE_IP session persistence over the zone's shared tables. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_balancer.h"
#include "lb_conf_types.h"
#include "lb_hash.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_sticky.h"
#include "lb_zone.h"
#include "lb_zone_table.h"


/* tables retired per pass of lb_sticky_retire_unused() */
#define LB_STICKY_RETIRE_BATCH  64

static bool lb_sticky_table_unwanted(const lb_conf_t *conf,
    const char *name);


lb_int_t
lb_sticky_init(lb_sticky_t *st, lb_balancer_group_t *g, lb_shm_zone_t *z,
    lb_pool_t *pool)
{
    uint32_t            i;
    lb_persistence_t   *sp;
    lb_target_group_t  *tg;
    char                name[LB_ZONE_TABLE_NAME_LEN + 1];

    tg = g->target_group;
    sp = tg->session_persistence;

    memset(st, 0, sizeof(lb_sticky_t));

    st->ttl = sp->persistence_timeout;
    st->mask_family = sp->mask_family;
    memcpy(st->mask, sp->mask, sizeof(st->mask));

    st->values = lb_pcalloc(pool, (g->npeers + 1) * sizeof(lb_zone_addr_t));
    if (st->values == NULL) {
        lb_log_error(LB_LOG_CRIT, &lb_log, 0,
                     "out of memory for the sticky state of target group "
                     "\"%s\"", tg->name);
        return LB_ERROR;
    }

    for (i = 0; i < g->npeers; i++) {
        /* a family that is neither leaves the value zeroed: it names no
         * binding's target, so nothing is ever bound to it */
        (void) lb_zone_addr_set(&st->values[i], &g->peers[i].target->addr);
    }

    lb_sticky_table_name(tg, LB_STICKY_PREFIX, name, sizeof(name));

    /* every worker asks; the first one (under the zone lock) creates */
    st->table = lb_zone_table_get(z, name, LB_STICKY_KEY_SIZE,
                                  sizeof(lb_zone_addr_t), LB_STICKY_CAPACITY,
                                  true);
    if (st->table == NULL) {
        return LB_ERROR;
    }

    return LB_OK;
}


void
lb_sticky_table_name(const lb_target_group_t *tg, const char *prefix,
    char *name, size_t size)
{
    size_t       len;
    const char  *id;

    id = tg->id != NULL ? tg->id : tg->name;
    len = strlen(id);

    if (strlen(prefix) + len < size) {
        snprintf(name, size, "%s%s", prefix, id);
        return;
    }

    /* stable: every process and every reload must find the same table */
    snprintf(name, size, "%s#%08x-%zu", prefix,
             (uint32_t) lb_hash_stable64(0, id, len), len);
}


size_t
lb_sticky_key(const lb_sticky_t *st, const struct sockaddr *client,
    uint8_t *key)
{
    size_t                      i, n;
    const uint8_t              *addr;
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    switch (client->sa_family) {

    case AF_INET:
        sin = (const struct sockaddr_in *) client;
        addr = (const uint8_t *) &sin->sin_addr;
        n = 4;
        break;

    case AF_INET6:
        sin6 = (const struct sockaddr_in6 *) client;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            addr = &sin6->sin6_addr.s6_addr[12];
            n = 4;

        } else {
            addr = sin6->sin6_addr.s6_addr;
            n = 16;
        }

        break;

    default:
        return 0;
    }

    key[0] = (n == 4) ? 4 : 6;

    if (st->mask_family == (n == 4 ? AF_INET : AF_INET6)) {
        for (i = 0; i < n; i++) {
            key[1 + i] = addr[i] & st->mask[i];
        }

    } else {
        memcpy(&key[1], addr, n);
    }

    return 1 + n;
}


int32_t
lb_sticky_lookup(lb_balancer_group_t *g, const struct sockaddr *client,
    const lb_balancer_tried_t *tried, lb_msec_t now)
{
    size_t           len;
    uint32_t         i;
    lb_sticky_t     *st;
    lb_zone_addr_t   value;
    uint8_t          key[LB_STICKY_KEY_SIZE];

    st = g->sticky;

    len = lb_sticky_key(st, client, key);
    if (len == 0) {
        return -1;
    }

    if (lb_zone_table_lookup(st->table, key, len, now, st->ttl, &value)
        != LB_OK)
    {
        return -1;
    }

    /* targets per group are few; the table is what costs (a lock) */
    for (i = 0; i < g->npeers; i++) {
        if (memcmp(&st->values[i], &value, sizeof(lb_zone_addr_t)) != 0) {
            continue;
        }

        return lb_balancer_usable(&g->peers[i], tried) ? (int32_t) i : -1;
    }

    /* its target is gone from the group */
    return -1;
}


lb_int_t
lb_sticky_bind(lb_balancer_group_t *g, const struct sockaddr *client,
    const lb_balancer_peer_t *p, lb_msec_t now)
{
    size_t        len;
    lb_sticky_t  *st;
    uint8_t       key[LB_STICKY_KEY_SIZE];

    st = g->sticky;

    len = lb_sticky_key(st, client, key);
    if (len == 0) {
        return LB_ERROR;
    }

    return lb_zone_table_set(st->table, key, len, &st->values[p->index],
                             now, st->ttl);
}


uint32_t
lb_sticky_retire_unused(lb_shm_zone_t *z, const lb_conf_t *conf)
{
    uint32_t          i, n, total;
    lb_shm_off_t      off;
    lb_zone_root_t   *root;
    lb_zone_table_t  *t, *unused[LB_STICKY_RETIRE_BATCH];

    total = 0;

    /* collect under the zone lock, retire after it (retiring takes the
     * lock itself); a batch at a time */
    do {
        if (lb_zone_lock(z) != LB_OK) {
            break;
        }

        root = lb_zone_root(z);
        n = 0;

        for (off = root->tables; off != 0 && n < LB_STICKY_RETIRE_BATCH;
             off = t->next)
        {
            t = lb_shm_ptr(z, off);

            if (lb_sticky_table_unwanted(conf, t->name))
            {
                unused[n++] = t;
            }
        }

        lb_zone_unlock(z);

        for (i = 0; i < n; i++) {
            lb_log_error(LB_LOG_INFO, &lb_log, 0,
                         "shared table \"%s\" is no longer used: retired",
                         unused[i]->name);
            lb_zone_table_retire(z, unused[i]);
        }

        total += n;

    } while (n == LB_STICKY_RETIRE_BATCH);

    return total;
}


/* Whether name is a binding table (SOURCE_IP "sticky:", APP_COOKIE
 * "app:") that no target group of conf with that persistence type has. */
static bool
lb_sticky_table_unwanted(const lb_conf_t *conf, const char *name)
{
    uint32_t            b, t;
    const char         *prefix;
    lb_persistence_e    type;
    lb_target_group_t  *tg;
    char                want[LB_ZONE_TABLE_NAME_LEN + 1];

    if (strncmp(name, LB_STICKY_PREFIX, sizeof(LB_STICKY_PREFIX) - 1) == 0) {
        prefix = LB_STICKY_PREFIX;
        type = LB_PERSIST_SOURCE_IP;

    } else if (strncmp(name, LB_STICKY_APP_PREFIX,
                       sizeof(LB_STICKY_APP_PREFIX) - 1) == 0)
    {
        prefix = LB_STICKY_APP_PREFIX;
        type = LB_PERSIST_APP_COOKIE;

    } else {
        return false;
    }

    for (b = 0; b < conf->nbalancers; b++) {
        for (t = 0; t < conf->balancers[b].ntarget_groups; t++) {
            tg = &conf->balancers[b].target_groups[t];

            if (tg->session_persistence == NULL
                || tg->session_persistence->type != type)
            {
                continue;
            }

            lb_sticky_table_name(tg, prefix, want, sizeof(want));

            if (strcmp(want, name) == 0) {
                return false;
            }
        }
    }

    return true;
}
