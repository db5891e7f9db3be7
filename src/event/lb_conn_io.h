/* weir: reading and writing a connection, plain or TLS. The one I/O path
 * of the HTTP proxy (both sides), the TCP/TLS proxy and the HTTP(S)
 * checks: they never call recv(), send() or lb_ssl_*() themselves.
 *
 * Every function returns the same way:
 *   > 0        bytes moved;
 *   0          (reading) the end of the stream: the peer's FIN, or its
 *              TLS close_notify; c->read->eof is set;
 *   LB_AGAIN   nothing can move now: the side's ready flag is cleared and
 *              the next edge on it runs its handler (TLS waiting for the
 *              other direction is arranged by the TLS layer);
 *   LB_ERROR   the connection failed; errno says why: the system call's,
 *              or under TLS the one behind the failure (ECONNRESET for a
 *              peer gone in a record, EPIPE after its close_notify), or
 *              EPROTO for a TLS protocol error, whose OpenSSL reason the
 *              TLS layer has logged once already (info, with the peer).
 *              The side's ready flag is cleared.
 *
 * Readiness for edge-triggered epoll is kept here and nowhere else:
 * c->read->ready stays set only while more may be waiting (a plain read
 * shorter than the room offered drained the socket, unless the peer's
 * FIN is pending: the next read returns 0 at once; TLS keeps it while
 * OpenSSL may hold more), and a write shorter than offered clears
 * c->write->ready. Callers call only while the flag is set, so no
 * system call is spent to learn EAGAIN where the flag already knew.
 * EINTR is retried; writes never raise SIGPIPE. */
#ifndef LB_CONN_IO_H
#define LB_CONN_IO_H

#include <sys/types.h>
#include <sys/uio.h>

#include "lb_connection.h"
#include "lb_core_types.h"

/* Read up to size (> 0) bytes into buf: one recv(), or under TLS as many
 * records as fit. */
ssize_t lb_conn_recv(lb_connection_t *c, u_char *buf, size_t size);

/* Read into iov[0..n) (n >= 1, every part non-empty) with one readv().
 * Under TLS only iov[0] is filled; c->read->ready stays set when it was
 * filled whole, so the caller comes back for the rest. */
ssize_t lb_conn_recv_iov(lb_connection_t *c, const struct iovec *iov,
    int n);

/* Write size (> 0) bytes of buf: one send(), or under TLS one record of
 * up to LB_SSL_RECORD_SIZE bytes per SSL_write(). After LB_AGAIN or a
 * short write, call again with the unsent bytes first. */
ssize_t lb_conn_send(lb_connection_t *c, const u_char *buf, size_t size);

/* Write iov[0..n) (n >= 1) in order with one sendmsg(). Under TLS small
 * parts are gathered into one record (a response head and the start of
 * its body go out in one SSL_write() and one write()). After LB_AGAIN or
 * a short write, call again with the unsent bytes first. */
ssize_t lb_conn_send_iov(lb_connection_t *c, const struct iovec *iov,
    int n);

/* The log level for errno err of a failed connection (LB_ERROR above):
 * LB_LOG_INFO for what is ordinary on the Internet, a peer that resets or
 * vanishes, a timeout, and for a TLS error (its reason is logged at info
 * already; 0 too); LB_LOG_ERR for anything else. */
unsigned lb_conn_error_level(int err);

#endif /* LB_CONN_IO_H */
