/* weir: TLS on a connection, without blocking, on the edge-triggered
 * loop. The socket is in the epoll set for both directions once for its
 * life, so waiting only means clearing the `ready` flag of the side
 * OpenSSL waits for: the next edge on that side runs the event's handler,
 * which calls again. The one twist is a TLS operation that waits for the
 * other direction (SSL_write() needing input, SSL_read() needing output):
 * then the handler of that other side is wrapped for one event so that it
 * runs the waiting side's handler first. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_log.h"
#include "lb_palloc.h"

/* the pool a connection without one gets for its TLS state */
#define LB_SSL_POOL_SIZE  1024

static void lb_ssl_handshake_handler(lb_event_t *ev);
static void lb_ssl_handshake_step(lb_connection_t *c);
static void lb_ssl_handshake_done(lb_connection_t *c, lb_int_t rc);
static void lb_ssl_write_waits_read(lb_connection_t *c);
static void lb_ssl_read_for_write(lb_event_t *rev);
static void lb_ssl_read_waits_write(lb_connection_t *c);
static void lb_ssl_write_for_read(lb_event_t *wev);
static long lb_ssl_bio_read_watch(BIO *bio, int oper, const char *argp,
    size_t len, int argi, long argl, int ret, size_t *processed);
static void lb_ssl_failed(lb_connection_t *c, int sslerr, int err,
    const char *what);
static void lb_ssl_log(lb_connection_t *c, unsigned level, int err,
    const char *what);


lb_int_t
lb_ssl_create_connection(SSL_CTX *ctx, lb_connection_t *c, unsigned mode)
{
    char                  reason[256];
    lb_ssl_connection_t  *sc;

    if (c->pool == NULL && lb_connection_pool(c, LB_SSL_POOL_SIZE) == NULL) {
        return LB_ERROR;
    }

    sc = lb_pcalloc(c->pool, sizeof(lb_ssl_connection_t));
    if (sc == NULL) {
        lb_log_error(LB_LOG_CRIT, &lb_log, 0,
                     "*%lu out of memory for a TLS connection",
                     (unsigned long) c->number);
        return LB_ERROR;
    }

    ERR_clear_error();

    sc->ssl = SSL_new(ctx);
    if (sc->ssl == NULL) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_CRIT, &lb_log, 0, "*%lu SSL_new() failed: %s",
                     (unsigned long) c->number, reason);
        return LB_ERROR;
    }

    if (SSL_set_fd(sc->ssl, c->fd) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_CRIT, &lb_log, 0, "*%lu SSL_set_fd() failed: %s",
                     (unsigned long) c->number, reason);
        SSL_free(sc->ssl);
        return LB_ERROR;
    }

    /* tells lb_ssl_recv() when a read() drained the socket */
    BIO_set_callback_arg(SSL_get_rbio(sc->ssl), (char *) sc);
    BIO_set_callback_ex(SSL_get_rbio(sc->ssl), lb_ssl_bio_read_watch);

    if (mode == LB_SSL_CLIENT) {
        SSL_set_connect_state(sc->ssl);

    } else {
        SSL_set_accept_state(sc->ssl);
        sc->server = 1;
    }

    c->ssl = sc;

    return LB_OK;
}


lb_int_t
lb_ssl_set_server_name(lb_connection_t *c, const char *host)
{
    char             reason[256];
    struct in6_addr  a6;

    if (host == NULL || host[0] == '\0') {
        return LB_OK;
    }

    /* RFC 6066: no literal addresses in SNI */
    if (inet_pton(AF_INET, host, &a6) == 1
        || inet_pton(AF_INET6, host, &a6) == 1)
    {
        return LB_OK;
    }

    ERR_clear_error();

    if (SSL_set_tlsext_host_name(c->ssl->ssl, host) != 1) {
        lb_ssl_error_text(reason, sizeof(reason));
        lb_log_error(LB_LOG_ERR, &lb_log, 0,
                     "*%lu SSL_set_tlsext_host_name(\"%s\") failed: %s",
                     (unsigned long) c->number, host, reason);
        return LB_ERROR;
    }

    return LB_OK;
}


lb_int_t
lb_ssl_handshake(lb_connection_t *c)
{
    int                   n, sslerr, err;
    lb_ssl_connection_t  *sc;

    sc = c->ssl;

    ERR_clear_error();

    n = SSL_do_handshake(sc->ssl);

    if (n == 1) {
        sc->handshaked = 1;
        sc->wait_read = 0;
        sc->wait_write = 0;

        /* the last record of the handshake may have come with data
         * behind it, now in OpenSSL's buffer or still in the socket with
         * no edge to come: let the protocol try both ways once */
        c->read->ready = 1;
        c->write->ready = 1;

        if (lb_log.level >= LB_LOG_DEBUG) {
            lb_log_debug(&lb_log, "*%lu SSL handshake done: %s, %s%s",
                         (unsigned long) c->number,
                         SSL_get_version(sc->ssl),
                         SSL_CIPHER_get_name(SSL_get_current_cipher(sc->ssl)),
                         SSL_session_reused(sc->ssl) ? ", reused" : "");
        }

        return LB_OK;
    }

    err = errno;
    sslerr = SSL_get_error(sc->ssl, n);

    switch (sslerr) {

    case SSL_ERROR_WANT_READ:
        c->read->ready = 0;
        sc->wait_read = 1;
        sc->wait_write = 0;
        return LB_AGAIN;

    case SSL_ERROR_WANT_WRITE:
        c->write->ready = 0;
        sc->wait_read = 0;
        sc->wait_write = 1;
        return LB_AGAIN;

    default:
        lb_ssl_failed(c, sslerr, err, "SSL handshake");
        return LB_ERROR;
    }
}


void
lb_ssl_handshake_run(lb_connection_t *c, lb_msec_t timeout,
    lb_ssl_handshake_handler_pt handler)
{
    lb_ssl_connection_t  *sc;

    sc = c->ssl;
    sc->handler = handler;

    c->read->handler = lb_ssl_handshake_handler;
    c->write->handler = lb_ssl_handshake_handler;

    if (timeout) {
        lb_event_add_timer(c->read, timeout);
    }

    if (sc->server && !c->read->ready) {
        /* just accepted: the ClientHello's arrival will tell, and trying
         * now would mostly cost a recv() that says EAGAIN */
        sc->wait_read = 1;
        return;
    }

    lb_ssl_handshake_step(c);
}


lb_int_t
lb_ssl_client_start(SSL_CTX *ctx, lb_connection_t *c, const char *host,
    const char *peer_name, lb_msec_t timeout,
    lb_ssl_handshake_handler_pt handler)
{
    if (lb_ssl_client_prepare(ctx, c, host, peer_name) != LB_OK) {
        return LB_ERROR;
    }

    lb_ssl_handshake_run(c, timeout, handler);

    return LB_OK;
}


lb_int_t
lb_ssl_client_prepare(SSL_CTX *ctx, lb_connection_t *c, const char *host,
    const char *peer_name)
{
    int                  ok;
    struct in6_addr      a6;
    X509_VERIFY_PARAM   *param;

    if (lb_ssl_create_connection(ctx, c, LB_SSL_CLIENT) != LB_OK) {
        return LB_ERROR;
    }

    if (SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE) {
        if (peer_name == NULL || peer_name[0] == '\0') {
            lb_log_error(LB_LOG_ERR, &lb_log, 0, "*%lu no name to verify "
                         "the target's certificate for",
                         (unsigned long) c->number);
            return LB_ERROR;
        }

        param = SSL_get0_param(c->ssl->ssl);

        if (inet_pton(AF_INET, peer_name, &a6) == 1
            || inet_pton(AF_INET6, peer_name, &a6) == 1)
        {
            ok = X509_VERIFY_PARAM_set1_ip_asc(param, peer_name);

        } else {
            X509_VERIFY_PARAM_set_hostflags(param,
                X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = X509_VERIFY_PARAM_set1_host(param, peer_name, 0);
        }

        if (ok != 1) {
            lb_log_error(LB_LOG_ERR, &lb_log, 0, "*%lu the name \"%s\" to "
                         "verify the target's certificate for cannot be "
                         "set", (unsigned long) c->number, peer_name);
            return LB_ERROR;
        }
    }

    if (lb_ssl_set_server_name(c, host) != LB_OK) {
        /* the state is freed with c */
        return LB_ERROR;
    }

    return LB_OK;
}


/* Both event handlers of c while lb_ssl_handshake_run() drives it. */
static void
lb_ssl_handshake_handler(lb_event_t *ev)
{
    lb_connection_t      *c;
    lb_ssl_connection_t  *sc;

    c = ev->data;
    sc = c->ssl;

    if (c->close) {
        lb_ssl_handshake_done(c, LB_ERROR);
        return;
    }

    if (ev->timedout) {
        ev->timedout = 0;
        lb_ssl_log(c, LB_LOG_INFO, ETIMEDOUT, "SSL handshake timed out");
        lb_ssl_handshake_done(c, LB_ERROR);
        return;
    }

    /* an edge of the side OpenSSL does not wait for changes nothing */
    if (ev->write ? sc->wait_read : sc->wait_write) {
        return;
    }

    lb_ssl_handshake_step(c);
}


static void
lb_ssl_handshake_step(lb_connection_t *c)
{
    lb_int_t  rc;

    rc = lb_ssl_handshake(c);

    if (rc != LB_AGAIN) {
        lb_ssl_handshake_done(c, rc);
    }
}


static void
lb_ssl_handshake_done(lb_connection_t *c, lb_int_t rc)
{
    lb_ssl_handshake_handler_pt   handler;

    lb_event_del_timer(c->read);
    c->read->timedout = 0;

    handler = c->ssl->handler;
    c->ssl->handler = NULL;

    handler(c, rc);
}


ssize_t
lb_ssl_recv(lb_connection_t *c, char *buf, size_t size)
{
    int                   n, sslerr, err;
    size_t                got;
    lb_ssl_connection_t  *sc;

    sc = c->ssl;

    if (sc->no_shutdown) {
        /* failed earlier, after handing out what had come before */
        c->read->ready = 0;
        return LB_ERROR;
    }

    got = 0;
    sc->drained = 0;

    /* SSL_read() hands out one record at a time: go on until the buffer
     * is full or the socket is drained, as edge triggering needs */
    while (got < size) {
        ERR_clear_error();

        n = SSL_read(sc->ssl, buf + got, (int) lb_min(size - got, INT_MAX));

        if (n > 0) {
            got += n;

            if (sc->drained && !SSL_has_pending(sc->ssl)
                && !c->read->pending_eof)
            {
                /* a read() in this call found the socket dry and OpenSSL
                 * holds nothing more: as after a short plain read, the
                 * next arrival raises a new edge, and the read() that
                 * would only say EAGAIN is saved */
                c->read->ready = 0;
                return (ssize_t) got;
            }

            continue;
        }

        err = errno;
        sslerr = SSL_get_error(sc->ssl, n);

        switch (sslerr) {

        case SSL_ERROR_WANT_READ:
            c->read->ready = 0;
            return got ? (ssize_t) got : LB_AGAIN;

        case SSL_ERROR_WANT_WRITE:
            c->read->ready = 0;
            lb_ssl_read_waits_write(c);
            return got ? (ssize_t) got : LB_AGAIN;

        case SSL_ERROR_ZERO_RETURN:
            goto eof;

        case SSL_ERROR_SYSCALL:
            if (err == 0 && ERR_peek_error() == 0) {
                goto eof;
            }
            /* fall through */

        default:
            lb_ssl_failed(c, sslerr, err, "SSL_read()");
            c->read->ready = got ? 1 : 0;
            return got ? (ssize_t) got : LB_ERROR;
        }
    }

    return (ssize_t) got;

eof:

    if (got) {
        /* the next call finds the end again */
        return (ssize_t) got;
    }

    c->read->ready = 0;
    c->read->eof = 1;

    return 0;
}


ssize_t
lb_ssl_send(lb_connection_t *c, const char *buf, size_t size)
{
    int                   n, sslerr, err;
    size_t                sent;
    lb_ssl_connection_t  *sc;

    sc = c->ssl;

    if (sc->no_shutdown) {
        c->write->ready = 0;
        return LB_ERROR;
    }

    sent = 0;

    while (sent < size) {
        ERR_clear_error();

        n = SSL_write(sc->ssl, buf + sent,
                      (int) lb_min(size - sent, LB_SSL_RECORD_SIZE));

        if (n > 0) {
            sent += n;
            continue;
        }

        err = errno;
        sslerr = SSL_get_error(sc->ssl, n);

        switch (sslerr) {

        case SSL_ERROR_WANT_WRITE:
            c->write->ready = 0;
            return sent ? (ssize_t) sent : LB_AGAIN;

        case SSL_ERROR_WANT_READ:
            c->write->ready = 0;
            lb_ssl_write_waits_read(c);
            return sent ? (ssize_t) sent : LB_AGAIN;

        case SSL_ERROR_ZERO_RETURN:
            err = EPIPE;
            /* fall through */

        default:
            lb_ssl_failed(c, sslerr, err, "SSL_write()");
            c->write->ready = 0;
            return sent ? (ssize_t) sent : LB_ERROR;
        }
    }

    return (ssize_t) sent;
}


ssize_t
lb_ssl_writev(lb_connection_t *c, const struct iovec *iov, int n)
{
    /* Small pieces (a response head, then its body) are gathered into one
     * record: one SSL_write() and one write() instead of one per piece.
     * A retry after LB_AGAIN gathers the same bytes again (the caller has
     * consumed nothing), which SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows;
     * OpenSSL has already sealed the pending record by then. */
    static char  gather[LB_SSL_RECORD_SIZE];

    int          i, j;
    size_t       total, len, off, joff, take;
    ssize_t      rc;
    const char  *buf;

    total = 0;
    i = 0;
    off = 0;

    while (i < n) {
        if (iov[i].iov_len - off >= LB_SSL_RECORD_SIZE || i == n - 1) {
            /* a full record's worth, or the last piece: no copy */
            buf = (const char *) iov[i].iov_base + off;
            len = iov[i].iov_len - off;
            j = i + 1;
            joff = 0;

        } else {
            len = 0;
            j = i;
            joff = off;

            while (j < n && len < LB_SSL_RECORD_SIZE) {
                take = lb_min(iov[j].iov_len - joff,
                              LB_SSL_RECORD_SIZE - len);
                memcpy(gather + len, (const char *) iov[j].iov_base + joff,
                       take);
                len += take;
                joff += take;
                if (joff == iov[j].iov_len) {
                    j++;
                    joff = 0;
                }
            }
            buf = gather;
        }

        if (len == 0) {
            i = j;
            off = joff;
            continue;
        }

        rc = lb_ssl_send(c, buf, len);

        if (rc < 0) {
            return total ? (ssize_t) total : rc;
        }

        total += (size_t) rc;

        if ((size_t) rc < len) {
            break;
        }

        i = j;
        off = joff;
    }

    return (ssize_t) total;
}


void
lb_ssl_free_buffers(lb_connection_t *c)
{
    if (c->ssl != NULL && c->ssl->ssl != NULL) {
        /* 0: data pending, the buffers stay */
        (void) SSL_free_buffers(c->ssl->ssl);
    }
}


lb_int_t
lb_ssl_shutdown(lb_connection_t *c)
{
    int                   n, sslerr;
    lb_ssl_connection_t  *sc;

    sc = c->ssl;

    if (sc == NULL || !sc->handshaked || sc->no_shutdown
        || sc->shutdown_sent)
    {
        return LB_OK;
    }

    ERR_clear_error();

    /* 0 or 1: our close_notify is out; the peer's is not waited for */
    n = SSL_shutdown(sc->ssl);

    if (n >= 0) {
        sc->shutdown_sent = 1;
        return LB_OK;
    }

    sslerr = SSL_get_error(sc->ssl, n);

    if (sslerr == SSL_ERROR_WANT_WRITE) {
        c->write->ready = 0;
        return LB_AGAIN;
    }

    if (sslerr == SSL_ERROR_WANT_READ) {
        return LB_AGAIN;
    }

    sc->no_shutdown = 1;
    ERR_clear_error();

    return LB_ERROR;
}


void
lb_ssl_free_connection(lb_connection_t *c)
{
    lb_ssl_connection_t  *sc;

    sc = c->ssl;
    c->ssl = NULL;

    if (sc == NULL || sc->ssl == NULL) {
        return;
    }

    /* OpenSSL drops a session from the cache when the connection ends
     * without close_notify; one that ended without an error (idle
     * timeout, half-closed by TCP) is still good to resume */
    if (sc->handshaked && !sc->no_shutdown) {
        SSL_set_shutdown(sc->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }

    SSL_free(sc->ssl);
    sc->ssl = NULL;
}


/* The callback of the socket BIO under each TLS connection: a read()
 * that returned less than OpenSSL asked for (with read-ahead, the room in
 * its buffer) drained the socket, which lb_ssl_recv() notes. */
static long
lb_ssl_bio_read_watch(BIO *bio, int oper, const char *argp, size_t len,
    int argi, long argl, int ret, size_t *processed)
{
    lb_ssl_connection_t  *sc;

    if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0
        && processed != NULL && *processed < len)
    {
        sc = (lb_ssl_connection_t *) BIO_get_callback_arg(bio);
        sc->drained = 1;
    }

    return ret;
}


/* SSL_write() needs input first (TLS 1.2 renegotiation is refused, so
 * this is rare): the next read edge runs the write handler first. */
static void
lb_ssl_write_waits_read(lb_connection_t *c)
{
    if (c->read->handler != lb_ssl_read_for_write) {
        c->ssl->saved_read_handler = c->read->handler;
        c->read->handler = lb_ssl_read_for_write;
    }
}


static void
lb_ssl_read_for_write(lb_event_t *rev)
{
    lb_connection_t      *c;
    lb_event_handler_pt   handler;

    c = rev->data;

    handler = c->ssl->saved_read_handler;
    c->ssl->saved_read_handler = NULL;
    rev->handler = handler;

    c->write->ready = 1;
    c->write->handler(c->write);

    /* closed by it: the slot is not reused before the loop iteration
     * ends, so its fd tells */
    if (c->fd != -1 && handler != NULL) {
        handler(rev);
    }
}


/* SSL_read() needs to send first: the next write edge runs the read
 * handler first. */
static void
lb_ssl_read_waits_write(lb_connection_t *c)
{
    if (c->write->handler != lb_ssl_write_for_read) {
        c->ssl->saved_write_handler = c->write->handler;
        c->write->handler = lb_ssl_write_for_read;
    }
}


static void
lb_ssl_write_for_read(lb_event_t *wev)
{
    lb_connection_t      *c;
    lb_event_handler_pt   handler;

    c = wev->data;

    handler = c->ssl->saved_write_handler;
    c->ssl->saved_write_handler = NULL;
    wev->handler = handler;

    c->read->ready = 1;
    c->read->handler(c->read);

    if (c->fd != -1 && handler != NULL) {
        handler(wev);
    }
}


/* A fatal error: no more I/O, no close_notify, the session is not kept.
 * A peer that vanishes is routine (debug: the caller logs errno); a TLS
 * error is logged here at info with OpenSSL's reason. */
static void
lb_ssl_failed(lb_connection_t *c, int sslerr, int err, const char *what)
{
    char                  msg[64];
    lb_ssl_connection_t  *sc;

    sc = c->ssl;
    sc->no_shutdown = 1;

    if (sslerr == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        sc->err = err ? err : ECONNRESET;

        snprintf(msg, sizeof(msg), "%s failed%s", what,
                 err ? "" : ": peer closed connection");
        lb_ssl_log(c, sc->handshaked ? LB_LOG_DEBUG : LB_LOG_INFO, err, msg);

        ERR_clear_error();
        return;
    }

    if (sslerr == SSL_ERROR_ZERO_RETURN) {
        sc->err = err;
        snprintf(msg, sizeof(msg), "%s failed: peer sent close_notify",
                 what);
        lb_ssl_log(c, LB_LOG_INFO, 0, msg);
        ERR_clear_error();
        return;
    }

    sc->err = 0;
    snprintf(msg, sizeof(msg), "%s failed", what);
    lb_ssl_log(c, LB_LOG_INFO, 0, msg);
}


/* "*N what (reasons), client: addr, listener: addr" for accepted
 * connections, "..., target: addr" for ours; the OpenSSL error queue is
 * emptied. */
static void
lb_ssl_log(lb_connection_t *c, unsigned level, int err, const char *what)
{
    socklen_t                len;
    struct sockaddr_storage  sa;
    char                     reason[512], peer[80];

    if (level > lb_log.level) {
        ERR_clear_error();
        return;
    }

    reason[0] = '\0';
    if (ERR_peek_error() != 0) {
        reason[0] = ' ';
        reason[1] = '(';
        lb_ssl_error_text(reason + 2, sizeof(reason) - 3);
        strcat(reason, ")");
    }

    if (c->listening != NULL) {
        lb_connection_addr_text((struct sockaddr *) &c->sockaddr, peer,
                                sizeof(peer));
        lb_log_error(level, &lb_log, err, "*%lu %s%s, client: %s, "
                     "listener: %s", (unsigned long) c->number, what, reason,
                     peer, c->listening->addr.text);
        return;
    }

    len = sizeof(sa);
    if (getpeername(c->fd, (struct sockaddr *) &sa, &len) == -1) {
        snprintf(peer, sizeof(peer), "-");
    } else {
        lb_connection_addr_text((struct sockaddr *) &sa, peer, sizeof(peer));
    }

    lb_log_error(level, &lb_log, err, "*%lu %s%s, target: %s",
                 (unsigned long) c->number, what, reason, peer);
}
