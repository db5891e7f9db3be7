/* weir: connections. Each worker has a fixed table of connection slots,
 * each with its read and write event; slots are handed out from a free
 * list, and a slot keeps its memory pool from one connection to the next,
 * so the data path does not call malloc per connection. */
#ifndef LB_CONNECTION_H
#define LB_CONNECTION_H

#include <sys/socket.h>

#include "lb_core_types.h"
#include "lb_event.h"

/* TLS state (lb_event_openssl.h) */
typedef struct lb_ssl_connection_s  lb_ssl_connection_t;

/* An epoch: the connections got while it was the newest. A worker that
 * takes up a new configuration generation while it runs starts an epoch
 * for it; a connection may use the objects of its own epoch's generation
 * and of any newer one, never an older one. So the objects of a
 * generation can go once no connection of its epoch or of an older one
 * is left, and a newer epoch has started: that is when release(data) is
 * called (from lb_connection_epoch_collect(), at a quiet point of the
 * loop, never from inside a handler). */
typedef struct lb_connection_epoch_s  lb_connection_epoch_t;

struct lb_connection_epoch_s {
    uint64_t                   id;        /* the generation, for logs */
    lb_uint_t                  conns;
    void                     (*release)(void *data);   /* NULL: none */
    void                      *data;
    lb_connection_epoch_t     *newer;
};

struct lb_connection_s {
    void                      *data;      /* the protocol's session */
    lb_event_t                *read;
    lb_event_t                *write;
    int                        fd;        /* -1: the slot is free */

    lb_listening_t            *listening; /* accepted from, or the listening
                                             socket itself; NULL: upstream */
    lb_pool_t                 *pool;      /* the slot's pool; NULL until
                                             lb_connection_pool() */

    struct sockaddr_storage    sockaddr;  /* the peer (accepted) */
    socklen_t                  socklen;

    lb_uint_t                  number;    /* serial per worker, for logs */

    lb_ssl_connection_t       *ssl;       /* TLS over fd; NULL: plain.
                                             Freed by lb_close_connection() */

    /* listening sockets only */
    lb_connection_handler_pt   accept_handler;
    size_t                     pool_size;

    lb_connection_t           *next;      /* free and reclaim lists */
    lb_connection_epoch_t     *epoch;     /* counted in; NULL: none */

    unsigned                   client:1;  /* accepted: counted */
    unsigned                   listen:1;  /* a listening socket */
    unsigned                   close:1;   /* stopping: handler must close */
    unsigned                   stream:1;  /* a stream of a multiplexed
                                             connection (HTTP/2): no fd,
                                             no slot; its protocol reads
                                             and writes it */
};

/* Allocate the table of n slots (memory is touched only as slots are
 * first used). LB_OK or LB_ERROR (logged). */
lb_int_t lb_connection_init(lb_uint_t n);

/* A free slot for fd, its fields zeroed except read/write (zeroed too,
 * their data pointing back at the slot) and pool (kept). NULL, logged,
 * when the table is full; the caller still owns fd then. */
lb_connection_t *lb_get_connection(int fd);

/* Give the slot back; the caller has closed fd and cancelled its timers.
 * The slot (and the memory of its pool, reset then) stays untouched until
 * the end of the current loop iteration, so events already returned by
 * epoll for it are recognised as stale and its session memory stays
 * readable by the code that is finishing with it. */
void lb_free_connection(lb_connection_t *c);

/* Cancel c's timers and posted events, free its TLS state (no
 * close_notify: see lb_ssl_shutdown()), close its fd and free the slot. */
void lb_close_connection(lb_connection_t *c);

/* The slot's pool, created (size bytes) at the first use of the slot, or
 * recreated when the kept one is smaller than size. NULL when out of
 * memory. It is reset, not freed, when the connection is freed. */
lb_pool_t *lb_connection_pool(lb_connection_t *c, size_t size);

/* Start a new epoch: connections got from now on count in it. release
 * (may be NULL) and data: see lb_connection_epoch_t. LB_OK, or LB_ERROR
 * (logged) when out of memory: nothing changed then. */
lb_int_t lb_connection_epoch_start(uint64_t id, void (*release)(void *data),
    void *data);

/* A connection that uses no generation's objects (a listening socket)
 * leaves its epoch, so that it does not keep one alive for ever. */
void lb_connection_epoch_leave(lb_connection_t *c);

/* Release the epochs, oldest first, that hold no connection and have a
 * newer one; returns how many. Called by the worker's tick. */
lb_uint_t lb_connection_epoch_collect(void);

/* Return the slots freed since the last call to the free list (called by
 * the loop once per iteration). */
void lb_connection_reclaim(void);

/* Hand every open non-listening connection to its read handler with
 * c->close set; a connection without a handler is closed directly. */
void lb_connection_close_all(void);

/* Open accepted connections. */
extern lb_uint_t  lb_connection_clients;

/* "127.0.0.1:5555" or "[::1]:80" for sa into buf (always terminated). */
void lb_connection_addr_text(const struct sockaddr *sa, char *buf,
    size_t size);

#endif /* LB_CONNECTION_H */
