/* weir: a cycle is one generation of configuration: the parsed config,
 * the listening sockets it needs and the pool that holds both. The master
 * builds a new cycle on reload and keeps the old one's sockets that are
 * still wanted, so no listening socket is ever closed and reopened. */
#ifndef LB_CYCLE_H
#define LB_CYCLE_H

#include <stdarg.h>

#include "lb_array.h"
#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_log.h"
#include "lb_zone_gauge.h"

/* In a worker: serve the listening socket ls (add it to the loop with the
 * handler of its protocol). LB_OK, or LB_ERROR (logged): the worker cannot
 * run. */
typedef lb_int_t (*lb_listening_init_pt)(lb_cycle_t *cycle,
    lb_listening_t *ls);

/* A worker's share of its listener's connection_limit gauge in the zone
 * (src/event/lb_event_limit.c), looked up at the first client. */
typedef struct {
    lb_zone_gauge_t     *gauge;       /* NULL: the limit is not enforced */
    uint32_t             slot;        /* this worker's slot in it */
    unsigned             looked_up:1;
} lb_listening_limit_t;

/* One SO_REUSEPORT socket of one listener for one worker slot. Worker i of
 * every generation uses the sockets whose slot is i. */
struct lb_listening_s {
    int                  fd;
    int                  type;        /* SOCK_STREAM | SOCK_DGRAM */
    uint32_t             slot;
    lb_sockaddr_t        addr;
    lb_listener_t       *listener;    /* config of this cycle */
    lb_listening_init_pt init;        /* set by the module that serves
                                         it as the cycle is built; NULL:
                                         none does */
    lb_connection_t     *connection;  /* in a worker, once added */
    void                *data;        /* for the protocol module */
    lb_listening_limit_t limit;       /* in a worker: connection_limit */
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
    char                *conf_text;   /* the bytes conf was read from */
    size_t               conf_len;
    const char          *error_log;   /* absolute, or a syslog setting */
    lb_log_t             access_log;  /* path: absolute, or a syslog
                                         setting (NULL: none); fd: opened
                                         by the master (lb_cycle_open_log())
                                         for the workers, -1 until then */
    const char          *pid_file;    /* absolute */
    uint64_t             generation;  /* the zone's generation once
                                         lb_zone_sync() accepted it */
};

/* What a module (a protocol, the TLS layer) plugs into the cycle. The
 * table of modules belongs to process control (src/proc/lb_module.c),
 * the only layer that knows every part; a cycle walks the table it is
 * given and names no module. A table ends with a NULL name. */
typedef struct {
    const char            *name;

    /* LB_CYCLE_CHECK and up, once the file is parsed: load what the
     * configuration names (certificates, keys). LB_OK, or LB_ERROR
     * (logged): the cycle fails. NULL: nothing to load. */
    lb_int_t             (*init_conf)(lb_cycle_t *cycle);

    /* The listener protocols it serves (LB_LISTENER_BIT(LB_LISTENER_TCP)
     * | ...) and, in a worker, the set-up of each of their listening
     * sockets: LB_CYCLE_RUN sets ls->init of a socket of one of them
     * (the first module that serves it takes it). 0, NULL: none. */
    uint32_t               protocols;
    lb_listening_init_pt   init_listening;

    /* In a worker taking up a newer generation of the configuration
     * (only its target groups and the listeners' choice of group
     * differ, lb_conf_live_change()): the balancer groups of conf are
     * built and lb_balancer_group() finds them, the listeners of the
     * worker's cycle point at conf's groups; build this module's state
     * of them from pool and switch to it. LB_OK, or LB_ERROR (logged):
     * nothing of this module changed. NULL: nothing to do. Modules that
     * cannot fail come after those that can. */
    lb_int_t             (*init_groups)(lb_conf_t *conf,
                                        lb_shm_zone_t *zone,
                                        lb_pool_t *pool);

    /* In a child, on SIGUSR1, once lb_cycle->access_log.fd is the one
     * the master reopened (the old one is closed after this returns):
     * flush what is buffered for the old one and write to the new one.
     * NULL: none. */
    void                 (*reopen)(void);

    /* (these last, so tables written in order stay valid) The load
     * balancer types it serves (LB_BALANCER_BIT(...)); 0: any but those
     * some module names (a DSR listener is no TCP socket). */
    uint32_t               balancer_types;

    /* In the master (root), LB_CYCLE_RUN: open the socket of ls in place
     * of the cycle's TCP/UDP socket on the listener's address (the DSR
     * packet socket: the VIP is not an address of this machine) and set
     * ls->fd, and ls->data for the workers; ls->type is SOCK_RAW. When
     * ls->fd is set already (taken over from the previous cycle: same
     * slot, address and listener protocol) only ls->data. LB_OK, or
     * LB_ERROR (logged). NULL: the cycle's own TCP/UDP socket. */
    lb_int_t             (*open_listening)(lb_cycle_t *cycle,
                                           lb_listening_t *ls);
} lb_module_t;

#define LB_LISTENER_BIT(proto)  (1u << (proto))
#define LB_BALANCER_BIT(type)   (1u << (type))

/* The cycle this process runs. */
extern lb_cycle_t  *lb_cycle;

/* Parse conf_file into a new cycle and open (or take over from `old`) the
 * listening sockets; modules (a table, may be NULL) load what the file
 * names and claim the sockets they serve. On error: log each problem and
 * return NULL; `old` keeps running untouched. mode: LB_CYCLE_PARSE,
 * _CHECK or _RUN. */
#define LB_CYCLE_PARSE   0x0   /* the file only (-s: find the pid file) */
#define LB_CYCLE_CHECK   0x1   /* + load certificates and keys (-t) */
#define LB_CYCLE_RUN     0x3   /* + open the listening sockets */

lb_cycle_t *lb_init_cycle(lb_cycle_t *old, const char *prefix,
    const char *conf_file, unsigned mode, const lb_module_t *modules);

/* Close the listening sockets of `old` that `cycle` did not take over,
 * then free `old`. */
void lb_release_cycle(lb_cycle_t *old, lb_cycle_t *cycle);

/* Undo a cycle that never ran: sockets it took over go back to `old`
 * (which keeps serving), the rest are closed, the cycle is freed. */
void lb_release_cycle_failed(lb_cycle_t *cycle, lb_cycle_t *old);

/* Close this process's copies of cycle's listening sockets: all of them
 * (keep_slot LB_CYCLE_NO_SLOT), or all but those of worker slot
 * keep_slot. */
#define LB_CYCLE_NO_SLOT  UINT32_MAX

void lb_cycle_close_listening(lb_cycle_t *cycle, uint32_t keep_slot);

/* A problem of the configuration found after it was parsed (a module's
 * init_conf: a file that cannot be loaded, a type this build does not
 * serve), reported as the parser reports its own: "FILE:LINE:COL: " and
 * the message, on stderr before the log is open (weir -t), else in the
 * log. */
void lb_cycle_report(const lb_cycle_t *cycle, const lb_conf_pos_t *pos,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The same with what the problem is about ("admin.key", may be NULL)
 * before the message: "FILE:LINE:COL: WHAT: message". */
void lb_cycle_vreport(const lb_cycle_t *cycle, const lb_conf_pos_t *pos,
    const char *what, const char *fmt, va_list args)
    __attribute__((format(printf, 4, 0)));

/* An absolute path for name: itself when it starts with '/', else
 * prefix/name. Allocated from pool. */
char *lb_full_name(lb_pool_t *pool, const char *prefix, const char *name);

#endif /* LB_CYCLE_H */
