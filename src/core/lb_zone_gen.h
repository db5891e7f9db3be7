/* weir: configuration generations in the shared zone, for changes made by
 * the management API while weir runs (SPEC.md 8 and 10, DESIGN.md
 * "admin").
 *
 * The admin process validates a change and rewrites the configuration
 * file; then it asks for the file to be applied (lb_zone_gen_request():
 * a request number) and tells the master (SIGUSR2). The master reads the
 * file once, keeps its text in the zone as the text of a new generation
 * (lb_zone_gen_publish()) and either lets its workers take it up live
 * (only target groups and the listeners' target group changed) or runs
 * a graceful reload; then it records which generation carries the
 * requests it read (lb_zone_gen_done()), or that they failed. Each worker
 * and the health checker say which generation they run
 * (lb_zone_gen_running()). A request is ACTIVE once every worker slot of
 * the master's current set and the checker run a generation that
 * carries it (lb_zone_gen_state()): that is provisioning_status.
 *
 * Request numbers and generations only grow. Requests read together
 * share one generation. Nothing here takes a lock on the hot path: the
 * counters are atomics; the text is copied under the zone lock. */
#ifndef LB_ZONE_GEN_H
#define LB_ZONE_GEN_H

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_process.h"
#include "lb_shm.h"

#define LB_ZONE_GEN_SLOTS     256   /* worker slots followed (the most
                                       worker_processes weir starts) */
#define LB_ZONE_GEN_HISTORY   64    /* request batches remembered */
#define LB_ZONE_GEN_WHY_LEN   240   /* a failure's reason */

typedef enum {
    LB_APPLY_PENDING = 0,   /* not yet run by every process */
    LB_APPLY_ACTIVE,        /* run by every worker and the checker */
    LB_APPLY_ERROR          /* the master could not apply it */
} lb_apply_state_e;

/* Make the generation block of zone z (the master, once, before the
 * first fork). LB_OK or LB_ERROR (logged: zone too small). */
lb_int_t lb_zone_gen_init(lb_shm_zone_t *z);

/* The admin process, after the file holds the change: a new request
 * number (> every earlier one). The caller then signals the master. */
uint64_t lb_zone_gen_request(lb_shm_zone_t *z);

/* The master: the highest request number asked so far. */
uint64_t lb_zone_gen_requested(lb_shm_zone_t *z);

/* The master: keep text[0..len) as the configuration text of
 * generation gen (replacing the one kept before). LB_OK, or LB_ERROR
 * (logged) when the zone has no room: workers then cannot take it up
 * live. */
lb_int_t lb_zone_gen_publish(lb_shm_zone_t *z, uint64_t gen,
    const char *text, size_t len);

/* The generation of the text kept by lb_zone_gen_publish() (0: none). */
uint64_t lb_zone_gen_published(lb_shm_zone_t *z);

/* A worker: a copy of the text kept by lb_zone_gen_publish(), malloc()ed
 * (the caller frees it), NUL-terminated, its length in *len and its
 * generation in *gen; NULL (logged) when there is none or no memory. */
char *lb_zone_gen_text(lb_shm_zone_t *z, uint64_t *gen, size_t *len);

/* A worker or the checker: the text kept by lb_zone_gen_publish() read
 * as a configuration (name stands for the file in messages) into a new
 * pool (*pool, the caller's to destroy), its generation in *gen; NULL
 * (logged) when there is none, no memory, or the text is refused. */
lb_conf_t *lb_zone_gen_parse(lb_shm_zone_t *z, const char *name,
    lb_pool_t **pool, uint64_t *gen);

/* The master, after it read the file for every request up to `request`:
 * they are carried by generation gen (failed false), or they failed
 * (failed true, why says why; gen is ignored). */
void lb_zone_gen_done(lb_shm_zone_t *z, uint64_t request, uint64_t gen,
    bool failed, const char *why);

/* The master, when it starts a set of workers: slots 0..nworkers-1
 * count from now on. */
void lb_zone_gen_expect(lb_shm_zone_t *z, uint32_t nworkers);

/* A worker (kind LB_PROC_WORKER, its slot) or the checker (LB_PROC_HEALTH,
 * slot 0): it runs generation gen from now on. */
void lb_zone_gen_running(lb_shm_zone_t *z, lb_proc_type_e kind,
    uint32_t slot, uint64_t gen);

/* The admin process: the state of request number `request` (0: the
 * configuration weir started with, ACTIVE once every process runs some
 * generation). With LB_APPLY_ERROR, *why (may be NULL) points at the
 * reason, in the zone, valid until the next failure. */
lb_apply_state_e lb_zone_gen_state(lb_shm_zone_t *z, uint64_t request,
    const char **why);

/* The lowest generation run by the counted workers and the checker. */
uint64_t lb_zone_gen_oldest_running(lb_shm_zone_t *z);

/* The master: one more graceful reload (live false) or generation
 * applied live (live true) done; lb_zone_gen_counted() reads the count
 * (/metrics). */
void lb_zone_gen_count(lb_shm_zone_t *z, bool live);
uint64_t lb_zone_gen_counted(lb_shm_zone_t *z, bool live);

#endif /* LB_ZONE_GEN_H */
