/* weir: the DSR flow table (lb_dsr_flow.h). */
#include <stdlib.h>
#include <string.h>

#include "lb_dsr_flow.h"
#include "lb_log.h"


lb_int_t
lb_dsr_flow_init(lb_dsr_flow_table_t *t, uint32_t size)
{
    uint32_t  buckets;

    buckets = 1;
    while ((uint64_t) buckets * LB_DSR_FLOW_WAYS < size) {
        buckets <<= 1;
    }

    memset(t, 0, sizeof(lb_dsr_flow_table_t));

    t->entries = calloc((size_t) buckets * LB_DSR_FLOW_WAYS,
                        sizeof(lb_dsr_flow_t));
    if (t->entries == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "out of memory for a DSR flow table of %u entries",
                     buckets * LB_DSR_FLOW_WAYS);
        return LB_ERROR;
    }

    t->mask = buckets - 1;

    if (lb_hash_key_init(&t->key) != LB_OK) {
        free(t->entries);
        t->entries = NULL;
        return LB_ERROR;
    }

    return LB_OK;
}


void
lb_dsr_flow_free(lb_dsr_flow_table_t *t)
{
    free(t->entries);
    t->entries = NULL;
}


static lb_dsr_flow_t *
lb_dsr_flow_bucket(lb_dsr_flow_table_t *t, uint16_t port, uint32_t saddr,
    uint16_t sport)
{
    uint8_t   k[8];
    uint64_t  h;

    memcpy(k, &saddr, 4);
    memcpy(k + 4, &sport, 2);
    memcpy(k + 6, &port, 2);

    h = lb_hash_keyed(&t->key, k, sizeof(k));

    return &t->entries[(size_t) (h & t->mask) * LB_DSR_FLOW_WAYS];
}


lb_dsr_flow_t *
lb_dsr_flow_lookup(lb_dsr_flow_table_t *t, uint16_t port, uint32_t saddr,
    uint16_t sport)
{
    uint32_t        i;
    lb_dsr_flow_t  *b;

    b = lb_dsr_flow_bucket(t, port, saddr, sport);

    for (i = 0; i < LB_DSR_FLOW_WAYS; i++) {
        if (b[i].port == port && b[i].saddr == saddr && b[i].sport == sport)
        {
            return &b[i];
        }
    }

    return NULL;
}


lb_dsr_flow_t *
lb_dsr_flow_insert(lb_dsr_flow_table_t *t, uint16_t port, uint32_t saddr,
    uint16_t sport, uint32_t peer, lb_msec_t now, lb_dsr_flow_t *evicted)
{
    uint32_t        i;
    lb_dsr_flow_t  *b, *f;

    b = lb_dsr_flow_bucket(t, port, saddr, sport);
    f = NULL;

    for (i = 0; i < LB_DSR_FLOW_WAYS; i++) {
        if (b[i].port == 0) {
            f = &b[i];
            break;
        }

        if (f == NULL || b[i].last < f->last) {
            f = &b[i];
        }
    }

    if (f->port != 0) {
        *evicted = *f;
    } else {
        evicted->port = 0;
        t->count++;
    }

    f->saddr = saddr;
    f->sport = sport;
    f->port = port;
    f->peer = peer;
    f->flags = 0;
    f->last = now;

    return f;
}


void
lb_dsr_flow_remove(lb_dsr_flow_table_t *t, lb_dsr_flow_t *f)
{
    if (f->port != 0) {
        f->port = 0;
        t->count--;
    }
}


void
lb_dsr_flow_sweep(lb_dsr_flow_table_t *t, uint32_t buckets,
    bool (*expired)(lb_dsr_flow_t *f, void *data), void *data)
{
    uint32_t        n, i;
    lb_dsr_flow_t  *b;

    if (buckets > t->mask + 1) {
        buckets = t->mask + 1;
    }

    for (n = 0; n < buckets; n++) {
        b = &t->entries[(size_t) t->sweep * LB_DSR_FLOW_WAYS];
        t->sweep = (t->sweep + 1) & t->mask;

        for (i = 0; i < LB_DSR_FLOW_WAYS; i++) {
            if (b[i].port != 0 && expired(&b[i], data)) {
                lb_dsr_flow_remove(t, &b[i]);
            }
        }
    }
}
