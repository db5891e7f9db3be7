/* weir: a cycle is one generation of configuration: the parsed config,
 * the listening sockets it needs and the pool that holds both. The master
 * builds a new cycle on reload and keeps the old one's sockets that are
 * still wanted, so no listening socket is ever closed and reopened. */
#ifndef LB_CYCLE_H
#define LB_CYCLE_H

#include "lb_array.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"

/* One SO_REUSEPORT socket of one listener for one worker slot. Worker i of
 * every generation uses the sockets whose slot is i. */
struct lb_listening_s {
    int                  fd;
    int                  type;        /* SOCK_STREAM | SOCK_DGRAM */
    uint32_t             slot;
    lb_sockaddr_t        addr;
    lb_listener_t       *listener;    /* config of this cycle */
    lb_connection_t     *connection;  /* in a worker, once added */
    void                *data;        /* for the protocol module */
    lb_listening_t      *from;        /* taken over from the old cycle;
                                         only valid during lb_init_cycle */
};

struct lb_cycle_s {
    lb_pool_t           *pool;
    lb_conf_t           *conf;
    lb_array_t           listening;   /* lb_listening_t, every slot */
    lb_shm_zone_t       *zone;        /* shared by all generations */
    const char          *prefix;      /* absolute, ends without '/' */
    const char          *conf_file;   /* absolute */
    const char          *error_log;   /* absolute */
    const char          *pid_file;    /* absolute */
    uint64_t             generation;  /* the zone's generation once
                                         lb_zone_sync() accepted it */
};

/* The cycle this process runs. */
extern lb_cycle_t  *lb_cycle;

/* Parse conf_file into a new cycle and open (or take over from `old`) the
 * listening sockets. On error: log each problem and return NULL; `old`
 * keeps running untouched. mode: LB_CYCLE_PARSE, _CHECK or _RUN. */
#define LB_CYCLE_PARSE   0x0   /* the file only (-s: find the pid file) */
#define LB_CYCLE_CHECK   0x1   /* + load certificates and keys (-t) */
#define LB_CYCLE_RUN     0x3   /* + open the listening sockets */

lb_cycle_t *lb_init_cycle(lb_cycle_t *old, const char *prefix,
    const char *conf_file, unsigned mode);

/* Close the listening sockets of `old` that `cycle` did not take over,
 * then free `old`. */
void lb_release_cycle(lb_cycle_t *old, lb_cycle_t *cycle);

/* Undo a cycle that never ran: sockets it took over go back to `old`
 * (which keeps serving), the rest are closed, the cycle is freed. */
void lb_release_cycle_failed(lb_cycle_t *cycle, lb_cycle_t *old);

/* An absolute path for name: itself when it starts with '/', else
 * prefix/name. Allocated from pool. */
char *lb_full_name(lb_pool_t *pool, const char *prefix, const char *name);

#endif /* LB_CYCLE_H */
