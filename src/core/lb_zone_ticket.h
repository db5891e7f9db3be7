/* weir: the session ticket keys of TLS listeners in the shared zone, so
 * that a ticket one worker issued resumes on every other, and across
 * reloads (the zone outlives them).
 *
 * The master makes the first key with the zone and a new one every
 * tls_ticket_key_rotation seconds (lb_zone_ticket_rotate()); the key
 * before stays for decryption for one more period, so a ticket lives at
 * least one period and at most two. Workers copy the keys at every
 * ticket they issue or open (lb_zone_ticket_keys()): the master is the
 * one writer, under a sequence number, so readers take no lock and make
 * no syscall. */
#ifndef LB_ZONE_TICKET_H
#define LB_ZONE_TICKET_H

#include "lb_core_types.h"
#include "lb_shm.h"

#define LB_ZONE_TICKET_NAME_LEN  16   /* the key name in every ticket */
#define LB_ZONE_TICKET_HMAC_LEN  32   /* HMAC-SHA256 secret */
#define LB_ZONE_TICKET_AES_LEN   32   /* AES-256-CBC key */
#define LB_ZONE_TICKET_KEYS      2    /* the current one and the one
                                         before */

typedef struct {
    uint8_t             name[LB_ZONE_TICKET_NAME_LEN];
    uint8_t             hmac[LB_ZONE_TICKET_HMAC_LEN];
    uint8_t             aes[LB_ZONE_TICKET_AES_LEN];
} lb_zone_ticket_key_t;

/* Make the ticket key block of zone z with a first key (the master, once,
 * from lb_zone_create()). LB_OK or LB_ERROR (logged). */
lb_int_t lb_zone_ticket_init(lb_shm_zone_t *z);

/* A new current key; the current one becomes the previous, the previous
 * is dropped. now: CLOCK_MONOTONIC ms (lb_current_msec). Master only.
 * LB_OK, or LB_ERROR (logged) when no random key could be had: the keys
 * stay as they were. */
lb_int_t lb_zone_ticket_rotate(lb_shm_zone_t *z, uint64_t now);

/* When the current key was made (CLOCK_MONOTONIC ms), and how many
 * rotations the zone has seen. */
uint64_t lb_zone_ticket_made(lb_shm_zone_t *z);
uint64_t lb_zone_ticket_rotations(lb_shm_zone_t *z);

/* A consistent copy of the keys: keys[0] the current one, keys[1] the one
 * before (when there was a rotation). Returns how many were copied (1 or
 * 2), or 0 when the writer kept them changing for too long (or died
 * mid-write): the caller issues no ticket and opens none. */
uint32_t lb_zone_ticket_keys(lb_shm_zone_t *z,
    lb_zone_ticket_key_t keys[LB_ZONE_TICKET_KEYS]);

#endif /* LB_ZONE_TICKET_H */
