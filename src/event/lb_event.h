/* weir: the per-worker event loop (epoll, edge-triggered). Every fd is
 * added once for reading and writing; handlers run when an fd becomes
 * ready, when a timer expires, or when an event was posted to run on the
 * next iteration. */
#ifndef LB_EVENT_H
#define LB_EVENT_H

#include <sys/socket.h>

#include "lb_core_types.h"
#include "lb_rbtree.h"

typedef void (*lb_event_handler_pt)(lb_event_t *ev);

/* a link of a circular list with a sentinel (posted events) */
typedef struct lb_event_queue_s  lb_event_queue_t;

struct lb_event_queue_s {
    lb_event_queue_t     *prev;
    lb_event_queue_t     *next;
};

struct lb_event_s {
    void                 *data;        /* the lb_connection_t */
    lb_event_handler_pt   handler;

    unsigned              write:1;     /* the write event of its connection */
    unsigned              accept:1;    /* a listening socket's read event */
    unsigned              active:1;    /* its fd is in the epoll set */
    unsigned              ready:1;     /* I/O may proceed without EAGAIN */
    unsigned              pending_eof:1;  /* peer sent FIN (EPOLLRDHUP) */
    unsigned              eof:1;       /* read returned 0 */
    unsigned              error:1;     /* EPOLLERR seen */
    unsigned              timedout:1;  /* set when its timer fired */
    unsigned              timer_set:1;
    unsigned              posted:1;
    unsigned              instance:1;  /* tells stale epoll events apart */

    /* an idle timer (lb_event_idle_touch()): how far its deadline lies
     * beyond timer.key; when the timer comes due it moves there instead
     * of firing. 0: fire at timer.key. */
    uint32_t              idle_ahead;

    lb_rbtree_node_t      timer;       /* key: absolute expiry, ms */

    lb_event_queue_t      posted_link;
};

/* Slots in the per-worker connection table: accepted and upstream
 * connections both take one. */
#define LB_EVENT_CONNECTIONS    65536

/* Connections taken from one listening socket per wakeup before other
 * ready events get their turn (the rest is posted). */
#define LB_EVENT_ACCEPT_BATCH   64
/* accept batches taken from a listening socket's queue before it closes
 * (lb_event_close_listening): up to the listen backlog */
#define LB_EVENT_DRAIN_BATCHES  8

/* How long accepting pauses when the process is out of descriptors. */
#define LB_EVENT_ACCEPT_PAUSE   500

/* The most epoll events taken per epoll_wait(). */
#define LB_EVENT_BATCH          512

#define LB_EVENT_NO_WAIT_LIMIT  ((lb_msec_t) -1)

/* The protocol side of a listening socket: initializes a connection just
 * accepted (it owns it from then on, and must close it). */
typedef void (*lb_connection_handler_pt)(lb_connection_t *c);

/* Set by a protocol that keeps idle connections it may close (HTTP:
 * pooled target connections, keep-alive clients between requests):
 * called when socket() or accept4() finds no descriptor left, it closes
 * one or a few and returns true, so the call is tried again. */
typedef bool (*lb_event_reclaim_pt)(void);

extern lb_event_reclaim_pt  lb_event_reclaim;

/* `what` (a call) failed with EMFILE or ENFILE: log it (at most once a
 * second) and let lb_event_reclaim close an idle connection. true when
 * one was closed and the call may be tried again. */
bool lb_event_descriptors_short(int err, const char *what);

/* --- the worker-facing API --- */

/* In a freshly forked child: create the epoll instance, the connection
 * table and the timers. LB_OK, or LB_ERROR (logged) when the process
 * cannot run. */
lb_int_t lb_event_init(void);

/* In a worker, once lb_event_init() and what its protocols share (the
 * balancer groups) are ready: serve every listening socket of
 * cycle->listening whose slot is `slot` by calling its ls->init, set by
 * the module that serves it when the cycle was built (a socket no module
 * serves is left alone). LB_OK, or LB_ERROR (logged) when the worker
 * cannot run. */
lb_int_t lb_event_init_listening(lb_cycle_t *cycle, uint32_t slot);

/* One loop iteration: wait for events at most min(next timer, max_wait) ms
 * (max_wait LB_EVENT_NO_WAIT_LIMIT: no limit), update the cached time, run
 * the handlers of ready and posted events, then those of expired timers.
 * Returns early, without running anything, when a signal interrupted the
 * wait (the caller checks its flags). */
void lb_event_process(lb_msec_t max_wait);

/* Stop accepting: remove this worker's listening sockets from the loop
 * and close them (the master keeps its copies). Connections in flight
 * go on. */
void lb_event_close_listening(lb_cycle_t *cycle);

/* The number of accepted (client) connections still open. */
lb_uint_t lb_event_connections(void);

/* Close every connection now (fast stop, or the graceful shutdown timed
 * out): each is handed to its handler with c->close set, which closes it
 * and whatever belongs to it. Listening sockets are left alone. */
void lb_event_close_all(void);

/* --- for protocol modules --- */

/* Add a listening socket to the loop; each accepted connection gets a
 * pool of pool_size bytes (its slot keeps it for the next connection) and
 * is handed to `handler`. LB_OK or LB_ERROR (logged). */
lb_int_t lb_event_add_listening(lb_listening_t *ls,
    lb_connection_handler_pt handler, size_t pool_size);

/* Add c->fd to the epoll set for input, output and peer shutdown,
 * edge-triggered, once for its whole life. LB_OK or LB_ERROR (logged). */
lb_int_t lb_event_add_connection(lb_connection_t *c);

/* Remove c->fd from the epoll set (needed before close() only when
 * another process shares the file, e.g. listening sockets). */
lb_int_t lb_event_del_connection(lb_connection_t *c);

/* The read handler of listening sockets (lb_event_accept.c): accept up
 * to LB_EVENT_ACCEPT_BATCH connections, each put in a slot with a pool,
 * added to the loop and handed to the listening's handler. */
void lb_event_accept(lb_event_t *ev);

/* Start a non-blocking TCP connect (lb_event_connect.c) to sa from a new
 * socket with TCP_NODELAY, in a connection slot added to the loop.
 * Returns LB_OK (connected at once) or LB_AGAIN (in progress: the write
 * event tells, then ask lb_event_connect_result()) with *cp set;
 * LB_DECLINED when connect() failed at once (*err is its errno: another
 * target may do); LB_ERROR (logged) when no socket or slot is left. */
lb_int_t lb_event_connect(const struct sockaddr *sa, socklen_t socklen,
    lb_connection_t **cp, int *err);

/* lb_event_connect() from the source address src (port 0: chosen at
 * connect time) when src is not NULL; a failed bind() is LB_DECLINED
 * with its errno in *err. */
lb_int_t lb_event_connect_from(const struct sockaddr *sa, socklen_t socklen,
    const struct sockaddr *src, socklen_t srclen, lb_connection_t **cp,
    int *err);

/* For a connection that lb_event_connect() left in progress, once its
 * write event fired: 0 when connected, else the errno of the failure. */
int lb_event_connect_result(lb_connection_t *c);

/* Run ev->handler on the next loop iteration, which then does not wait.
 * Posting a posted event does nothing. */
void lb_event_post(lb_event_t *ev);

/* Cancel a post. */
void lb_event_delete_posted(lb_event_t *ev);

#endif /* LB_EVENT_H */
