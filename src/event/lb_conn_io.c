/* weir: reading and writing a connection, plain or TLS (the contract is
 * in lb_conn_io.h). Plain sockets are read and written here; TLS goes
 * through lb_ssl_recv() and lb_ssl_send(), which keep the ready flags
 * the same way, and only its error is mapped to the one convention. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_log.h"

static ssize_t lb_conn_recv_done(lb_connection_t *c, ssize_t n,
    size_t size);
static ssize_t lb_conn_send_done(lb_connection_t *c, ssize_t n,
    size_t size);
static ssize_t lb_conn_ssl_done(lb_connection_t *c, ssize_t n);


ssize_t
lb_conn_recv(lb_connection_t *c, u_char *buf, size_t size)
{
    ssize_t  n;

    if (c->ssl != NULL) {
        return lb_conn_ssl_done(c, lb_ssl_recv(c, (char *) buf, size));
    }

    do {
        n = recv(c->fd, buf, size, 0);
    } while (n == -1 && errno == EINTR);

    return lb_conn_recv_done(c, n, size);
}


ssize_t
lb_conn_recv_iov(lb_connection_t *c, const struct iovec *iov, int n)
{
    int      i;
    size_t   size;
    ssize_t  rc;

    if (c->ssl != NULL) {
        return lb_conn_ssl_done(c, lb_ssl_recv(c, iov[0].iov_base,
                                               iov[0].iov_len));
    }

    size = 0;
    for (i = 0; i < n; i++) {
        size += iov[i].iov_len;
    }

    do {
        rc = readv(c->fd, iov, n);
    } while (rc == -1 && errno == EINTR);

    return lb_conn_recv_done(c, rc, size);
}


ssize_t
lb_conn_send(lb_connection_t *c, const u_char *buf, size_t size)
{
    ssize_t  n;

    if (c->ssl != NULL) {
        return lb_conn_ssl_done(c, lb_ssl_send(c, (const char *) buf, size));
    }

    do {
        n = send(c->fd, buf, size, MSG_NOSIGNAL);
    } while (n == -1 && errno == EINTR);

    return lb_conn_send_done(c, n, size);
}


ssize_t
lb_conn_send_iov(lb_connection_t *c, const struct iovec *iov, int n)
{
    int            i;
    size_t         size;
    ssize_t        rc;
    struct msghdr  msg;

    if (c->ssl != NULL) {
        return lb_conn_ssl_done(c, lb_ssl_writev(c, iov, n));
    }

    size = 0;
    for (i = 0; i < n; i++) {
        size += iov[i].iov_len;
    }

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = (struct iovec *) iov;
    msg.msg_iovlen = (size_t) n;

    do {
        rc = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    } while (rc == -1 && errno == EINTR);

    return lb_conn_send_done(c, rc, size);
}


unsigned
lb_conn_error_level(int err)
{
    switch (err) {
    case 0:
    case ECONNRESET:
    case EPIPE:
    case ENOTCONN:
    case ETIMEDOUT:
    case EPROTO:
        return LB_LOG_INFO;
    default:
        return LB_LOG_ERR;
    }
}


/* a plain read returned n of the size offered (-1: errno) */
static ssize_t
lb_conn_recv_done(lb_connection_t *c, ssize_t n, size_t size)
{
    if (n > 0) {
        /* a short read drained the socket: the next arrival raises a new
         * edge; with the FIN pending the next read finds it at once */
        if ((size_t) n < size && !c->read->pending_eof) {
            c->read->ready = 0;
        }
        return n;
    }

    c->read->ready = 0;

    if (n == 0) {
        c->read->eof = 1;
        return 0;
    }

    return (errno == EAGAIN) ? LB_AGAIN : LB_ERROR;
}


/* a plain write returned n of the size offered (-1: errno) */
static ssize_t
lb_conn_send_done(lb_connection_t *c, ssize_t n, size_t size)
{
    if (n >= 0) {
        /* short: the socket buffer is full, the next edge tells */
        if ((size_t) n < size) {
            c->write->ready = 0;
        }
        return n;
    }

    c->write->ready = 0;

    return (errno == EAGAIN) ? LB_AGAIN : LB_ERROR;
}


/* The TLS layer kept the ready flags and logged a TLS error's reason;
 * its LB_ERROR gets errno: the system's cause, or EPROTO for a TLS
 * protocol error (c->ssl->err 0). */
static ssize_t
lb_conn_ssl_done(lb_connection_t *c, ssize_t n)
{
    if (n == LB_ERROR) {
        errno = c->ssl->err ? c->ssl->err : EPROTO;
    }

    return n;
}
