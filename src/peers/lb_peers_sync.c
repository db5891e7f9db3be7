/* weir: the sync process's traffic (lb_peers_int.h): what goes to a peer
 * (the journal's updates, a full copy of the replicated tables, the
 * configuration text) and what comes from one (bindings written to the
 * local tables with the journal muted, a newer configuration for the
 * admin process). The process, its connections and roles are in
 * lb_peers.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_log.h"
#include "lb_peers_int.h"
#include "lb_time.h"
#include "lb_zone_journal.h"

static bool lb_peers_send_binding(lb_peers_conn_t *pc, uint8_t type,
    uint64_t id, uint8_t op, const char *table, const void *key,
    size_t klen, const void *value, size_t vlen, lb_msec_t ttl);
static lb_int_t lb_peers_find_target(lb_zone_target_t *t, void *data);


/* An outgoing connection: queue what the peer lacks while there is room. */
void
lb_peers_fill(lb_peers_conn_t *pc)
{
    int32_t                 n, i;
    uint64_t                next;
    lb_peer_t              *p;
    lb_zone_journal_rec_t   recs[LB_PEERS_BATCH];

    p = pc->peer;

    if (pc->state == LB_PEERS_S_FULL) {
        if (!lb_peers_fill_full(pc)) {
            return;
        }
        pc->state = LB_PEERS_S_STREAM;
        p->sent = p->full_id;
    }

    if (pc->state != LB_PEERS_S_STREAM) {
        return;
    }

    lb_peers_fill_conf(pc);

    for ( ;; ) {
        /* room for a whole batch, so that none is read twice */
        if (sizeof(pc->obuf) - (pc->oend - pc->ostart)
            < LB_PEERS_BATCH * LB_PEERS_FRAME / 4)
        {
            return;
        }

        n = lb_zone_journal_read(lb_zone_journal, p->sent, recs,
                                 LB_PEERS_BATCH, &next);

        if (n == -1) {
            lb_log_error(LB_LOG_WARN, &lb_log, 0, "peer \"%s\" fell behind "
                         "the journal (at %llu, oldest kept %llu): full "
                         "copy", p->node->name,
                         (unsigned long long) p->sent,
                         (unsigned long long) (next - LB_ZONE_JOURNAL_SLOTS));
            pc->state = LB_PEERS_S_FULL;
            lb_peers_full_start(p);
            return;
        }

        for (i = 0; i < n; i++) {
            if (!lb_peers_send_binding(pc, LB_PEERS_UPDATE, recs[i].id,
                                       recs[i].op, recs[i].table,
                                       recs[i].key, recs[i].key_len,
                                       recs[i].value, recs[i].value_len,
                                       recs[i].ttl))
            {
                /* no room after all: read again from here */
                p->sent = recs[i].id;
                return;
            }
        }

        p->sent = next;

        if (n < LB_PEERS_BATCH) {
            return;
        }
    }
}


void
lb_peers_full_start(lb_peer_t *p)
{
    lb_shm_off_t      off;
    lb_zone_table_t  *t;
    lb_peers_msg_t    m;

    p->full_id = lb_zone_journal_next(lb_zone_journal);
    p->full_copies++;
    p->full_table = 0;
    p->full_entry = 1;
    p->ntables = 0;

    /* the names now; each table is looked up again as it is copied */
    if (lb_zone_lock(lb_peers.zone) == LB_OK) {
        for (off = lb_zone_root(lb_peers.zone)->tables; off != 0;
             off = t->next)
        {
            t = lb_shm_ptr(lb_peers.zone, off);

            if (t->journal && p->ntables < LB_PEERS_MAX_TABLES) {
                memcpy(p->tables[p->ntables++], t->name,
                       LB_ZONE_TABLE_NAME_LEN + 1);
            }
        }

        lb_zone_unlock(lb_peers.zone);
    }

    lb_log_error(LB_LOG_INFO, &lb_log, 0, "peer \"%s\": sending a full copy "
                 "of %u table(s), then the updates from id %llu",
                 p->node->name, p->ntables,
                 (unsigned long long) p->full_id);

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_FULL_BEGIN;
    m.id = p->full_id;
    (void) lb_peers_send(p->out, &m);
}


/* Copy entries while there is room; true once FULL-END is queued. */
bool
lb_peers_fill_full(lb_peers_conn_t *pc)
{
    size_t            klen;
    uint32_t          n;
    lb_msec_t         left;
    lb_peer_t        *p;
    lb_zone_table_t  *t;
    lb_peers_msg_t    m;
    uint8_t           key[LB_ZONE_TABLE_MAX_KEY];
    uint8_t           value[LB_ZONE_TABLE_MAX_VALUE];

    p = pc->peer;

    while (p->full_table < p->ntables) {
        t = lb_zone_table_find_name(lb_peers.zone,
                                    p->tables[p->full_table]);

        for ( ;; ) {
            if (t == NULL) {
                break;
            }

            if (sizeof(pc->obuf) - (pc->oend - pc->ostart)
                < 2 * LB_PEERS_FRAME)
            {
                return false;
            }

            n = lb_zone_table_next(t, p->full_entry, lb_current_msec, key,
                                   &klen, value, &left);
            if (n == 0) {
                break;
            }

            p->full_entry = n + 1;

            if (t->value_size > LB_ZONE_JOURNAL_VALUE) {
                continue;
            }

            (void) lb_peers_send_binding(pc, LB_PEERS_ENTRY, 0,
                                         LB_ZONE_JOURNAL_SET, t->name, key,
                                         klen, value, t->value_size, left);
        }

        p->full_table++;
        p->full_entry = 1;
    }

    if (sizeof(pc->obuf) - (pc->oend - pc->ostart) < LB_PEERS_FRAME) {
        return false;
    }

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_FULL_END;
    m.id = p->full_id;

    return lb_peers_send(pc, &m);
}


/* Queue one binding; an APP_COOKIE value (this node's record id) goes as
 * the target's group id and address. false: no room. A binding whose
 * target is gone is left out (true). */
static bool
lb_peers_send_binding(lb_peers_conn_t *pc, uint8_t type, uint64_t id,
    uint8_t op, const char *table, const void *key, size_t klen,
    const void *value, size_t vlen, lb_msec_t ttl)
{
    uint32_t           rid;
    lb_peers_msg_t     m;
    lb_zone_target_t  *t;

    memset(&m, 0, sizeof(m));
    m.type = type;
    m.id = id;
    m.op = op;
    m.table.data = (const uint8_t *) table;
    m.table.len = strlen(table);
    m.key.data = key;
    m.key.len = klen;
    m.ttl = ttl > UINT32_MAX ? UINT32_MAX : (uint32_t) ttl;

    if (op == LB_ZONE_JOURNAL_SET) {
        if (strncmp(table, "app:", 4) == 0 && vlen == sizeof(uint32_t)) {
            memcpy(&rid, value, sizeof(uint32_t));
            t = lb_zone_target_by_id(lb_peers.zone, rid);

            if (t == NULL) {
                if (type == LB_PEERS_ENTRY) {
                    return true;
                }
                /* keep the id sequence whole: the peer gets a delete */
                m.op = LB_ZONE_JOURNAL_DELETE;

            } else {
                m.value_kind = LB_PEERS_VALUE_TARGET;
                m.group.data = (const uint8_t *) t->group_id;
                m.group.len = strlen(t->group_id);
                m.addr = t->addr;
            }

        } else {
            m.value_kind = LB_PEERS_VALUE_BYTES;
            m.value.data = value;
            m.value.len = vlen;
        }
    }

    return lb_peers_send(pc, &m);
}


typedef struct {
    const lb_peers_msg_t  *m;
    uint32_t               id;
} lb_peers_find_t;


static lb_int_t
lb_peers_find_target(lb_zone_target_t *t, void *data)
{
    lb_peers_find_t  *f;

    f = data;

    if (strlen(t->group_id) == f->m->group.len
        && memcmp(t->group_id, f->m->group.data, f->m->group.len) == 0
        && memcmp(&t->addr, &f->m->addr, sizeof(lb_zone_addr_t)) == 0)
    {
        f->id = t->id;
        return LB_DONE;
    }

    return LB_OK;
}


/* Write a binding of peer p into the local table of the same name (if
 * this node has it: its configuration has that target group). */
void
lb_peers_apply(lb_peer_t *p, const lb_peers_msg_t *m)
{
    char              name[LB_ZONE_TABLE_NAME_LEN + 1];
    lb_zone_table_t  *t;
    lb_peers_find_t   f;
    const void       *value;

    memcpy(name, m->table.data, m->table.len);
    name[m->table.len] = '\0';

    t = lb_zone_table_find_name(lb_peers.zone, name);

    if (t == NULL || !t->journal || m->key.len > t->key_size) {
        p->skipped++;
        return;
    }

    if (m->op == LB_ZONE_JOURNAL_DELETE) {
        (void) lb_zone_table_delete(t, m->key.data, m->key.len);
        p->applied++;
        return;
    }

    if (m->value_kind == LB_PEERS_VALUE_TARGET) {
        f.m = m;
        f.id = 0;
        (void) lb_zone_target_walk(lb_peers.zone, lb_peers_find_target, &f);

        if (f.id == 0 || t->value_size != sizeof(uint32_t)) {
            p->skipped++;
            return;
        }

        value = &f.id;

    } else {
        if (m->value.len != t->value_size) {
            p->skipped++;
            return;
        }

        /* the HTTP_COOKIE secret: the first node listed keeps its own */
        if (strncmp(name, "http:", 5) == 0
            && p->index > lb_peers.conf->local_index)
        {
            p->skipped++;
            return;
        }

        value = m->value.data;
    }

    if (lb_zone_table_set(t, m->key.data, m->key.len, value,
                          lb_current_msec, m->ttl)
            == LB_OK
        && strncmp(name, "http:", 5) == 0)
    {
        /* the workers take the new secret at their next HTTP_COOKIE
         * request (lb_http_sticky.c) */
        __atomic_add_fetch(&lb_zone_journal->secret_gen, 1,
                           __ATOMIC_RELEASE);
    }

    p->applied++;
}


/* An outgoing connection: the configuration text of this node, when the
 * peer says an older version, in parts while there is room. */
void
lb_peers_fill_conf(lb_peers_conn_t *pc)
{
    size_t           n;
    uint64_t         v;
    lb_peer_t       *p;
    lb_peers_msg_t   m;

    p = pc->peer;

    v = lb_zone_conf_version(lb_zone_journal, LB_ZONE_CONF_OUT);

    if (v != lb_peers.conf_out_version && v != 0) {
        if (lb_zone_conf_get(lb_zone_journal, LB_ZONE_CONF_OUT,
                             &lb_peers.conf_out_version, lb_peers.conf_out,
                             LB_PEERS_CONF_MAX, &lb_peers.conf_out_len)
            != LB_OK)
        {
            return;
        }
    }

    v = lb_peers.conf_out_version;

    if (p->conf_sending != 0 && p->conf_sending != v) {
        /* a newer one came meanwhile: the peer drops the part it has
         * when a new CONFIG-BEGIN comes */
        p->conf_sending = 0;
    }

    if (p->conf_sending == 0) {
        if (v == 0 || v <= p->conf_version || v == p->conf_sent) {
            return;
        }

        memset(&m, 0, sizeof(m));
        m.type = LB_PEERS_CONF_BEGIN;
        m.id = v;
        m.length = (uint32_t) lb_peers.conf_out_len;

        if (!lb_peers_send(pc, &m)) {
            return;
        }

        p->conf_sending = v;
        p->conf_off = 0;

        lb_log_error(LB_LOG_INFO, &lb_log, 0, "peer \"%s\" has configuration "
                     "version %llu: sending version %llu (%zu bytes)",
                     p->node->name, (unsigned long long) p->conf_version,
                     (unsigned long long) v, lb_peers.conf_out_len);
    }

    while (p->conf_off < lb_peers.conf_out_len) {
        if (sizeof(pc->obuf) - (pc->oend - pc->ostart) < 2 * LB_PEERS_FRAME) {
            return;
        }

        n = lb_min(lb_peers.conf_out_len - p->conf_off,
                   (size_t) LB_PEERS_PART_MAX);

        memset(&m, 0, sizeof(m));
        m.type = LB_PEERS_CONF_PART;
        m.value.data = (const uint8_t *) lb_peers.conf_out + p->conf_off;
        m.value.len = n;

        if (!lb_peers_send(pc, &m)) {
            return;
        }

        p->conf_off += n;
    }

    memset(&m, 0, sizeof(m));
    m.type = LB_PEERS_CONF_END;
    m.id = v;

    if (lb_peers_send(pc, &m)) {
        p->conf_sent = v;
        p->conf_sending = 0;
    }
}


/* CONFIG-BEGIN, -PART, -END on an incoming connection: a newer version
 * than this node's goes to the admin process (LB_ZONE_CONF_IN), which
 * has the master write and apply it. */
lb_int_t
lb_peers_conf_msg(lb_peers_conn_t *pc, const lb_peers_msg_t *m)
{
    uint64_t    mine;
    lb_peer_t  *p;

    p = pc->peer;

    switch (m->type) {

    case LB_PEERS_CONF_BEGIN:
        lb_peers.conf_in_from = p;
        lb_peers.conf_in_version = m->id;
        lb_peers.conf_in_len = m->length;
        lb_peers.conf_in_off = 0;
        return LB_OK;

    case LB_PEERS_CONF_PART:
        if (lb_peers.conf_in_from != p) {
            /* another peer began one since: this one is dropped */
            return LB_OK;
        }

        if (m->value.len > lb_peers.conf_in_len - lb_peers.conf_in_off) {
            lb_peers.conf_in_from = NULL;
            lb_peers_close(pc, "a configuration longer than announced");
            return LB_ERROR;
        }

        memcpy(lb_peers.conf_in + lb_peers.conf_in_off, m->value.data,
               m->value.len);
        lb_peers.conf_in_off += m->value.len;
        return LB_OK;

    default: /* LB_PEERS_CONF_END */
        if (lb_peers.conf_in_from != p) {
            return LB_OK;
        }

        lb_peers.conf_in_from = NULL;

        if (m->id != lb_peers.conf_in_version
            || lb_peers.conf_in_off != lb_peers.conf_in_len)
        {
            lb_peers_close(pc, "a configuration cut short");
            return LB_ERROR;
        }

        mine = __atomic_load_n(&lb_zone_journal->conf_version,
                               __ATOMIC_ACQUIRE);

        if (m->id <= mine
            || m->id <= lb_zone_conf_version(lb_zone_journal,
                                             LB_ZONE_CONF_IN))
        {
            return LB_OK;
        }

        lb_log_error(LB_LOG_INFO, &lb_log, 0, "configuration version %llu "
                     "from peer \"%s\" (this node has %llu): to the admin "
                     "process", (unsigned long long) m->id, p->node->name,
                     (unsigned long long) mine);

        (void) lb_zone_conf_put(lb_zone_journal, LB_ZONE_CONF_IN, m->id,
                                lb_peers.conf_in, lb_peers.conf_in_len);
        return LB_OK;
    }
}
