/* weir: the DSR flow table: (listener, client address, client port) ->
 * target, one table per worker. PACKET_FANOUT_HASH gives every packet of
 * a flow to the same worker, so nothing here is shared. Set-associative:
 * a key hashes to a bucket of LB_DSR_FLOW_WAYS entries; a bucket that is
 * full gives up its least recently used entry (LRU per bucket, as
 * Katran's per-CPU LRU map), so a flood of new flows evicts old idle
 * flows first and never fails an insert. */
#ifndef LB_DSR_FLOW_H
#define LB_DSR_FLOW_H

#include "lb_core_types.h"
#include "lb_hash.h"

#define LB_DSR_FLOW_WAYS  8

typedef struct {
    uint32_t             saddr;       /* network order */
    uint16_t             sport;       /* network order */
    uint16_t             port;        /* the listener's number in this
                                         worker, 1..; 0: the entry is free */
    uint32_t             peer;        /* index in the group's peers */
    uint32_t             flags;       /* LB_DSR_FLOW_* */
    lb_msec_t            last;        /* last packet seen */
} lb_dsr_flow_t;

/* a TCP FIN or RST was seen: the flow ends soon */
#define LB_DSR_FLOW_CLOSING  0x01

typedef struct {
    lb_dsr_flow_t       *entries;
    uint32_t             mask;        /* buckets - 1 */
    uint32_t             sweep;       /* next bucket the sweep looks at */
    uint32_t             count;       /* entries in use */
    lb_hash_key_t        key;         /* clients choose saddr/sport */
} lb_dsr_flow_table_t;

/* Make a table of at least `size` entries (rounded up to a power of two
 * of buckets). LB_OK, or LB_ERROR (logged) when out of memory. The
 * entries are allocated once here, never on the packet path. */
lb_int_t lb_dsr_flow_init(lb_dsr_flow_table_t *t, uint32_t size);

void lb_dsr_flow_free(lb_dsr_flow_table_t *t);

/* The entry of the key, or NULL. Whether it has expired is the
 * caller's question (the idle timeout is the listener's). */
lb_dsr_flow_t *lb_dsr_flow_lookup(lb_dsr_flow_table_t *t, uint16_t port,
    uint32_t saddr, uint16_t sport);

/* A slot for a new key in its bucket: a free one, else the least
 * recently used (*evicted set to a copy of what it held, its port 0 when
 * nothing was evicted). The slot is filled with the key, peer and now
 * and counted. */
lb_dsr_flow_t *lb_dsr_flow_insert(lb_dsr_flow_table_t *t, uint16_t port,
    uint32_t saddr, uint16_t sport, uint32_t peer, lb_msec_t now,
    lb_dsr_flow_t *evicted);

/* Free an entry in use. */
void lb_dsr_flow_remove(lb_dsr_flow_table_t *t, lb_dsr_flow_t *f);

/* Visit the next `buckets` buckets (wrapping around) and call
 * expired(f, data) for each entry in use; it returns true to have the
 * entry freed. For the periodic sweep that ends idle flows. */
void lb_dsr_flow_sweep(lb_dsr_flow_table_t *t, uint32_t buckets,
    bool (*expired)(lb_dsr_flow_t *f, void *data), void *data);

#endif /* LB_DSR_FLOW_H */
