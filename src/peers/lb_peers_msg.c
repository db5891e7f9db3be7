/* weir: the sync protocol's frames (lb_peers_msg.h). */
#include <string.h>

#include "lb_peers_msg.h"

typedef struct {
    const uint8_t      *p;
    const uint8_t      *end;
    bool                bad;
} lb_peers_rd_t;

typedef struct {
    uint8_t            *p;
    uint8_t            *end;
    bool                full;
} lb_peers_wr_t;

static uint64_t lb_peers_get(lb_peers_rd_t *r, size_t n);
static lb_peers_span_t lb_peers_get_span(lb_peers_rd_t *r, size_t n);
static void lb_peers_put(lb_peers_wr_t *w, uint64_t v, size_t n);
static void lb_peers_put_span(lb_peers_wr_t *w, const lb_peers_span_t *s,
    size_t n, size_t max);


const char *
lb_peers_msg_name(uint8_t type)
{
    switch (type) {
#define LB_PEERS_NAME(n, v, s)  case v: return s;
    LB_PEERS_MSG_TYPES(LB_PEERS_NAME)
#undef LB_PEERS_NAME
    }

    return "?";
}


lb_int_t
lb_peers_msg_parse(const uint8_t *buf, size_t len, lb_peers_msg_t *m,
    size_t *used, const char **why)
{
    size_t          body;
    lb_peers_rd_t   r;

    if (len < 4) {
        return LB_AGAIN;
    }

    body = ((size_t) buf[0] << 24) | ((size_t) buf[1] << 16)
           | ((size_t) buf[2] << 8) | buf[3];

    if (body < 2 || body > LB_PEERS_MSG_MAX) {
        *why = "frame length out of range";
        return LB_ERROR;
    }

    if (len < 4 + body) {
        return LB_AGAIN;
    }

    if (buf[4] != LB_PEERS_VERSION) {
        *why = "unknown protocol version";
        return LB_ERROR;
    }

    memset(m, 0, sizeof(lb_peers_msg_t));
    m->type = buf[5];

    r.p = buf + 6;
    r.end = buf + 4 + body;
    r.bad = false;

    switch (m->type) {

    case LB_PEERS_HELLO:
    case LB_PEERS_WELCOME:
        m->name = lb_peers_get_span(&r, 1);
        m->id = lb_peers_get(&r, 8);
        if (m->name.len == 0 || m->name.len > LB_PEERS_NAME_MAX) {
            r.bad = true;
        }
        break;

    case LB_PEERS_FULL_BEGIN:
    case LB_PEERS_FULL_END:
    case LB_PEERS_ACK:
        m->id = lb_peers_get(&r, 8);
        break;

    case LB_PEERS_STATE:
        m->role = (uint8_t) lb_peers_get(&r, 1);
        m->id = lb_peers_get(&r, 8);
        if (m->role != 1 && m->role != 2) {
            r.bad = true;
        }
        break;

    case LB_PEERS_CONF_BEGIN:
        m->id = lb_peers_get(&r, 8);
        m->length = (uint32_t) lb_peers_get(&r, 4);
        if (m->id == 0 || m->length > LB_PEERS_CONF_MAX) {
            r.bad = true;
        }
        break;

    case LB_PEERS_CONF_PART:
        m->value = lb_peers_get_span(&r, 2);
        if (m->value.len == 0 || m->value.len > LB_PEERS_PART_MAX) {
            r.bad = true;
        }
        break;

    case LB_PEERS_CONF_END:
        m->id = lb_peers_get(&r, 8);
        break;

    case LB_PEERS_ENTRY:
    case LB_PEERS_UPDATE:
        m->id = lb_peers_get(&r, 8);
        m->op = (uint8_t) lb_peers_get(&r, 1);
        m->table = lb_peers_get_span(&r, 1);
        m->key = lb_peers_get_span(&r, 2);
        m->ttl = (uint32_t) lb_peers_get(&r, 4);

        if (m->table.len == 0 || m->table.len > LB_ZONE_TABLE_NAME_LEN
            || m->key.len == 0
            || (m->op != 1 && m->op != 2)
            || (m->type == LB_PEERS_ENTRY && (m->id != 0 || m->op != 1))
            || (m->type == LB_PEERS_UPDATE && m->id == 0))
        {
            r.bad = true;
            break;
        }

        if (m->op == 2) {
            break;
        }

        m->value_kind = (uint8_t) lb_peers_get(&r, 1);

        if (m->value_kind == LB_PEERS_VALUE_BYTES) {
            m->value = lb_peers_get_span(&r, 1);

        } else if (m->value_kind == LB_PEERS_VALUE_TARGET) {
            m->group = lb_peers_get_span(&r, 1);
            m->addr.family = (uint16_t) lb_peers_get(&r, 2);
            /* the port stays in network order, as lb_zone_addr_t has it */
            m->addr.port = (uint16_t) lb_peers_get(&r, 2);
            m->addr.scope_id = (uint32_t) lb_peers_get(&r, 4);
            if (!r.bad && (size_t) (r.end - r.p) >= 16) {
                memcpy(m->addr.addr, r.p, 16);
                r.p += 16;
            } else {
                r.bad = true;
            }

            if (m->group.len == 0 || m->group.len > LB_ZONE_GROUP_ID_LEN) {
                r.bad = true;
            }

        } else {
            r.bad = true;
        }

        break;

    default:
        *why = "unknown message type";
        return LB_ERROR;
    }

    if (r.bad) {
        *why = "bad or truncated fields";
        return LB_ERROR;
    }

    if (r.p != r.end) {
        *why = "bytes left over after the fields";
        return LB_ERROR;
    }

    *used = 4 + body;

    return LB_OK;
}


size_t
lb_peers_msg_write(uint8_t *buf, size_t room, const lb_peers_msg_t *m)
{
    size_t          body;
    lb_peers_wr_t   w;

    if (room < 6) {
        return 0;
    }

    w.p = buf + 4;
    w.end = buf + lb_min(room, (size_t) 4 + LB_PEERS_MSG_MAX);
    w.full = false;

    lb_peers_put(&w, LB_PEERS_VERSION, 1);
    lb_peers_put(&w, m->type, 1);

    switch (m->type) {

    case LB_PEERS_HELLO:
    case LB_PEERS_WELCOME:
        lb_peers_put_span(&w, &m->name, 1, LB_PEERS_NAME_MAX);
        lb_peers_put(&w, m->id, 8);
        break;

    case LB_PEERS_FULL_BEGIN:
    case LB_PEERS_FULL_END:
    case LB_PEERS_ACK:
        lb_peers_put(&w, m->id, 8);
        break;

    case LB_PEERS_STATE:
        lb_peers_put(&w, m->role, 1);
        lb_peers_put(&w, m->id, 8);
        break;

    case LB_PEERS_CONF_BEGIN:
        lb_peers_put(&w, m->id, 8);
        lb_peers_put(&w, m->length, 4);
        break;

    case LB_PEERS_CONF_PART:
        lb_peers_put_span(&w, &m->value, 2, LB_PEERS_PART_MAX);
        break;

    case LB_PEERS_CONF_END:
        lb_peers_put(&w, m->id, 8);
        break;

    case LB_PEERS_ENTRY:
    case LB_PEERS_UPDATE:
        lb_peers_put(&w, m->id, 8);
        lb_peers_put(&w, m->op, 1);
        lb_peers_put_span(&w, &m->table, 1, LB_ZONE_TABLE_NAME_LEN);
        lb_peers_put_span(&w, &m->key, 2, 0xffff);
        lb_peers_put(&w, m->ttl, 4);

        if (m->op == 2) {
            break;
        }

        lb_peers_put(&w, m->value_kind, 1);

        if (m->value_kind == LB_PEERS_VALUE_BYTES) {
            lb_peers_put_span(&w, &m->value, 1, 255);

        } else {
            lb_peers_put_span(&w, &m->group, 1, LB_ZONE_GROUP_ID_LEN);
            lb_peers_put(&w, m->addr.family, 2);
            lb_peers_put(&w, m->addr.port, 2);
            lb_peers_put(&w, m->addr.scope_id, 4);
            if ((size_t) (w.end - w.p) >= 16) {
                memcpy(w.p, m->addr.addr, 16);
                w.p += 16;
            } else {
                w.full = true;
            }
        }

        break;

    default:
        return 0;
    }

    if (w.full) {
        return 0;
    }

    body = (size_t) (w.p - buf) - 4;
    buf[0] = (uint8_t) (body >> 24);
    buf[1] = (uint8_t) (body >> 16);
    buf[2] = (uint8_t) (body >> 8);
    buf[3] = (uint8_t) body;

    return 4 + body;
}


static uint64_t
lb_peers_get(lb_peers_rd_t *r, size_t n)
{
    size_t    i;
    uint64_t  v;

    if (r->bad || (size_t) (r->end - r->p) < n) {
        r->bad = true;
        return 0;
    }

    v = 0;
    for (i = 0; i < n; i++) {
        v = (v << 8) | r->p[i];
    }

    r->p += n;

    return v;
}


static lb_peers_span_t
lb_peers_get_span(lb_peers_rd_t *r, size_t n)
{
    size_t           len;
    lb_peers_span_t  s;

    s.data = NULL;
    s.len = 0;

    len = (size_t) lb_peers_get(r, n);

    if (r->bad || (size_t) (r->end - r->p) < len) {
        r->bad = true;
        return s;
    }

    s.data = r->p;
    s.len = len;
    r->p += len;

    return s;
}


static void
lb_peers_put(lb_peers_wr_t *w, uint64_t v, size_t n)
{
    size_t  i;

    if (w->full || (size_t) (w->end - w->p) < n) {
        w->full = true;
        return;
    }

    for (i = n; i > 0; i--) {
        w->p[i - 1] = (uint8_t) v;
        v >>= 8;
    }

    w->p += n;
}


static void
lb_peers_put_span(lb_peers_wr_t *w, const lb_peers_span_t *s, size_t n,
    size_t max)
{
    if (s->len > max) {
        w->full = true;
        return;
    }

    lb_peers_put(w, s->len, n);

    if (w->full || (size_t) (w->end - w->p) < s->len) {
        w->full = true;
        return;
    }

    if (s->len != 0) {
        memcpy(w->p, s->data, s->len);
    }
    w->p += s->len;
}
