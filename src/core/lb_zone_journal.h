/* weir: the journal of binding changes that the sync process sends to the
 * peers (SPEC.md section 12). When the configuration has a peers block,
 * the master makes a ring of LB_ZONE_JOURNAL_SLOTS records in the zone
 * before it forks; every set or delete of a replicated table (SOURCE_IP
 * "sticky:", APP_COOKIE "app:", the HTTP_COOKIE secret) and every renewal
 * of a binding that was last journaled more than half its ttl ago appends
 * a record with the next update id. The ring is bounded: the oldest
 * record makes room, and a reader that asks for an id no longer held is
 * told so (LB_DECLINED) and resyncs in full. The sync process sets
 * lb_zone_journal_mute, so that what it applies from a peer is not sent
 * back. Ids start at 1 and never go back while the zone lives; `epoch`,
 * random, tells a new zone (a restarted master) from the old one. */
#ifndef LB_ZONE_JOURNAL_H
#define LB_ZONE_JOURNAL_H

#include "lb_core_types.h"
#include "lb_shm.h"
#include "lb_shmtx.h"
#include "lb_zone.h"

#define LB_ZONE_JOURNAL_SLOTS   4096
#define LB_ZONE_JOURNAL_KEY     128      /* longest key journaled */
#define LB_ZONE_JOURNAL_VALUE   32       /* longest value journaled */

#define LB_ZONE_JOURNAL_SET     1
#define LB_ZONE_JOURNAL_DELETE  2

typedef struct {
    uint64_t            id;
    char                table[LB_ZONE_TABLE_NAME_LEN + 1];
    uint8_t             op;               /* LB_ZONE_JOURNAL_SET | DELETE */
    uint8_t             value_len;
    uint16_t            key_len;
    uint32_t            ttl;              /* ms from when it was made */
    uint8_t             key[LB_ZONE_JOURNAL_KEY];
    uint8_t             value[LB_ZONE_JOURNAL_VALUE];
} lb_zone_journal_rec_t;

/* what the sync process says about the cluster, for the admin process
 * (GET /api/v1/cluster, and the 409 of a standby) */
#define LB_ZONE_ROLE_UNKNOWN  0
#define LB_ZONE_ROLE_ACTIVE   1
#define LB_ZONE_ROLE_STANDBY  2
#define LB_ZONE_PEERS_MAX     16
#define LB_ZONE_PEER_NAME     64

typedef struct {
    char                name[LB_ZONE_PEER_NAME];
    uint8_t             role;             /* as it last said */
    uint8_t             out;              /* our updates flow to it */
    uint8_t             in;               /* its updates flow to us */
    uint64_t            acked;            /* our last id it applied */
    uint64_t            applied;          /* its last id we applied */
    uint64_t            full_copies;      /* sent to it */
    uint64_t            config_version;   /* as it last said */
} lb_zone_peer_status_t;

typedef struct {
    uint8_t             role;             /* of this node */
    char                active[LB_ZONE_PEER_NAME];  /* "": none known */
    uint32_t            npeers;
    lb_zone_peer_status_t  peers[LB_ZONE_PEERS_MAX];
} lb_zone_cluster_t;

/* a configuration text between the admin and sync processes */
#define LB_ZONE_CONF_TEXT_MAX  (1024 * 1024)

typedef struct {
    uint64_t            version;          /* 0: none */
    uint64_t            len;
    char                text[LB_ZONE_CONF_TEXT_MAX];
} lb_zone_conf_text_t;

#define LB_ZONE_CONF_OUT  0               /* made here, for the peers */
#define LB_ZONE_CONF_IN   1               /* from a peer, for the admin */

typedef struct {
    lb_shmtx_t          mutex;
    lb_zone_cluster_t   cluster;          /* under mutex */
    uint64_t            conf_version;     /* this node's (the admin's) */
    lb_zone_conf_text_t conf[2];          /* under mutex */
    uint64_t            epoch;
    uint64_t            next_id;          /* of the next record */
    uint64_t            too_long;         /* changes not journaled */
    uint64_t            secret_gen;       /* bumped (atomically) by the
                                             sync process each time it
                                             applies a peer's HTTP_COOKIE
                                             secret: workers take the new
                                             one when this changes */
    lb_zone_journal_rec_t  recs[LB_ZONE_JOURNAL_SLOTS];
} lb_zone_journal_t;

/* this process's view: NULL until lb_zone_journal_create() (inherited by
 * the children forked after it) */
extern lb_zone_journal_t  *lb_zone_journal;
extern bool                lb_zone_journal_mute;

/* For the master before forking, when the configuration has peers: find
 * or make the zone's journal and set lb_zone_journal. LB_OK or LB_ERROR
 * (logged: zone full). */
lb_int_t lb_zone_journal_create(lb_shm_zone_t *z);

/* Whether changes of the table called name are journaled. */
bool lb_zone_journal_wants(const char *name);

/* Append a change (the caller may hold the table's lock; the journal's
 * own lock is taken after it, never before). Nothing when there is no
 * journal or lb_zone_journal_mute is set. */
void lb_zone_journal_add(const char *table, uint8_t op, const void *key,
    size_t key_len, const void *value, size_t value_len, lb_msec_t ttl);

/* Copy up to max records from id `from` on into recs. Returns how many
 * (0: nothing newer), or -1 when `from` is older than the oldest record
 * held (the reader missed changes and must resync in full). *next: where
 * the next read starts (after the records copied); with -1, the id of the
 * next record to be written. */
int32_t lb_zone_journal_read(lb_zone_journal_t *j, uint64_t from,
    lb_zone_journal_rec_t *recs, uint32_t max, uint64_t *next);

/* The sync process's view written (*c copied in), or read (copied into
 * *c), under the journal's lock. */
void lb_zone_cluster_set(lb_zone_journal_t *j, const lb_zone_cluster_t *c);
void lb_zone_cluster_get(lb_zone_journal_t *j, lb_zone_cluster_t *c);

/* The configuration text `which` (LB_ZONE_CONF_OUT | _IN): its version
 * (0: none); put a new one (LB_ERROR: longer than LB_ZONE_CONF_TEXT_MAX);
 * take a copy into buf (size bytes; LB_ERROR when it does not fit). */
uint64_t lb_zone_conf_version(lb_zone_journal_t *j, unsigned which);
lb_int_t lb_zone_conf_put(lb_zone_journal_t *j, unsigned which,
    uint64_t version, const char *text, size_t len);
lb_int_t lb_zone_conf_get(lb_zone_journal_t *j, unsigned which,
    uint64_t *version, char *buf, size_t size, size_t *len);

/* The id the next record will get. */
uint64_t lb_zone_journal_next(lb_zone_journal_t *j);

#endif /* LB_ZONE_JOURNAL_H */
