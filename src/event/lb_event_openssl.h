/* weir: TLS with OpenSSL. Server contexts (one per certificate of every
 * TLS/HTTPS listener, SNI picks among them) and the client context for
 * HTTPS targets and checks are built by the master when a cycle is made,
 * so a bad certificate fails start, reload and -t, and workers inherit
 * the keys before they drop root. Connections do TLS without blocking
 * on the edge-triggered loop: readiness lives in c->read->ready and
 * c->write->ready as for plain sockets. */
#ifndef LB_EVENT_OPENSSL_H
#define LB_EVENT_OPENSSL_H

#include <sys/uio.h>

#include <openssl/ssl.h>

#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_core_types.h"
#include "lb_event.h"

/* The most plaintext given to one SSL_write(): one TLS record. */
#define LB_SSL_RECORD_SIZE  16384

/* lb_ssl_create_connection() modes */
#define LB_SSL_SERVER  0
#define LB_SSL_CLIENT  1

/* Called once when a handshake started by lb_ssl_handshake_run() ends:
 * rc LB_OK (done: c->read->ready and c->write->ready are set so that the
 * protocol tries both directions once), or LB_ERROR (failed and logged,
 * timed out and logged, or c->close was set). The handler owns c and
 * must set its own event handlers or close c. */
typedef void (*lb_ssl_handshake_handler_pt)(lb_connection_t *c,
    lb_int_t rc);

/* The TLS state of one connection (c->ssl), allocated from c->pool. */
struct lb_ssl_connection_s {
    SSL                          *ssl;
    lb_ssl_handshake_handler_pt   handler;     /* lb_ssl_handshake_run() */
    lb_event_handler_pt           saved_read_handler;
    lb_event_handler_pt           saved_write_handler;
    int                           err;         /* errno of the last
                                                  LB_ERROR, 0: a TLS
                                                  protocol error */
    unsigned                      server:1;
    unsigned                      handshaked:1;
    unsigned                      wait_read:1;   /* handshake: what it */
    unsigned                      wait_write:1;  /* waits for */
    unsigned                      no_shutdown:1; /* fatal error: never
                                                    SSL_shutdown() */
    unsigned                      shutdown_sent:1;
    unsigned                      drained:1;     /* lb_ssl_recv(): a read()
                                                    found the socket dry */
};

/* --- contexts (master, at cycle creation) --- */

/* Build the TLS contexts of every TLS/HTTPS listener of cycle->conf
 * (default certificate plus sni_certificates, paths relative to
 * cycle->prefix; tls_min_version, tls_ciphers, tls_ciphersuites; the
 * OCSP response of tls_ocsp_response; a session cache, and tickets
 * sealed with the shared zone's keys of lb_cycle, see lb_zone_ticket.h)
 * and the client context. Freed with
 * cycle->pool (a cleanup is registered). On a certificate or key that
 * cannot be loaded: each problem reported as "file:line:col: listener
 * ...: file: reason" (stderr before the error log is open, the log
 * after) and LB_ERROR. */
lb_int_t lb_ssl_init_cycle(lb_cycle_t *cycle);

/* The context new server connections of listener lsn are made from
 * (its default certificate; SNI switches to another one during the
 * handshake), or NULL when lsn is not TLS/HTTPS or its cycle has no TLS
 * state. O(number of live cycles). */
SSL_CTX *lb_ssl_listener_ctx(const lb_listener_t *lsn);

/* A server context with weir's common settings (the glue's modes and
 * options) and the certificate chain of file crt with its key from file
 * key (full paths). NULL when a step failed: *step says which, reason
 * (size bytes) OpenSSL's why; the caller reports it in its own terms. */
typedef enum {
    LB_SSL_LOAD_NEW,        /* SSL_CTX_new() */
    LB_SSL_LOAD_CERT,       /* the certificate chain file */
    LB_SSL_LOAD_KEY,        /* the key file */
    LB_SSL_LOAD_PAIR        /* the key is not the certificate's */
} lb_ssl_load_step_e;

SSL_CTX *lb_ssl_server_ctx_load(const char *crt, const char *key,
    lb_ssl_load_step_e *step, char *reason, size_t size);

/* The client context of cycle (HTTPS targets and HTTPS checks): peer
 * certificates are not verified. NULL when the cycle has no TLS state. */
SSL_CTX *lb_ssl_client_ctx(const lb_cycle_t *cycle);

/* The client context for the targets of tg in cycle: the one of
 * lb_ssl_client_ctx(), or with tls_verify the group's own, which verifies
 * the chain against tls_ca_certificate (the name is given to
 * lb_ssl_client_start()). NULL (logged) when it cannot be had: the
 * caller fails the connection. */
SSL_CTX *lb_ssl_group_ctx(const lb_cycle_t *cycle,
    const lb_target_group_t *tg);

/* The context whose certificate names match the server name `name`
 * (len bytes; case-insensitive, a trailing dot ignored): an exact name
 * first (default certificate, then sni_certificates in order), then a
 * wildcard "*.example.com" that matches exactly one more label; NULL when
 * nothing matches (the default certificate is used then). */
SSL_CTX *lb_ssl_select_ctx(const lb_listener_t *lsn, const char *name,
    size_t len);

/* The OpenSSL protocol version (TLS1_2_VERSION, ...) for v. */
int lb_ssl_protocol_version(lb_tls_version_e v);

/* --- connections (workers, checker) --- */

/* Give c a TLS state over its fd from ctx, as server or client
 * (LB_SSL_SERVER, LB_SSL_CLIENT); its memory comes from c->pool (made
 * when c has none). LB_OK or LB_ERROR (logged). Freed by
 * lb_close_connection(). */
lb_int_t lb_ssl_create_connection(SSL_CTX *ctx, lb_connection_t *c,
    unsigned mode);

/* true when the handshake of server connection c chose ALPN "h2". */
bool lb_ssl_alpn_h2(lb_connection_t *c);

/* Send host as SNI on client connection c (nothing for an IP literal
 * or NULL). LB_OK or LB_ERROR (logged). */
lb_int_t lb_ssl_set_server_name(lb_connection_t *c, const char *host);

/* One step of the handshake of c. LB_OK: done. LB_AGAIN: waits for the
 * socket; c->read->ready (WANT_READ) or c->write->ready (WANT_WRITE) was
 * cleared, and the next edge on that side calls the event's handler, so
 * call again from there. LB_ERROR: failed; logged at info with the peer
 * address and the OpenSSL reason. */
lb_int_t lb_ssl_handshake(lb_connection_t *c);

/* Drive the handshake of c to its end: both event handlers of c are set
 * to the driver, a timer of `timeout` ms (0: none) runs on c->read, and
 * handler(c, rc) is called once at the end (perhaps before this returns),
 * the timer removed. A server connection whose first bytes have not
 * arrived yet waits for them without a syscall. */
void lb_ssl_handshake_run(lb_connection_t *c, lb_msec_t timeout,
    lb_ssl_handshake_handler_pt handler);

/* Start TLS as a client on connected c: create the state from ctx, send
 * host as SNI when given, and drive the handshake as
 * lb_ssl_handshake_run(). When ctx verifies peers (lb_ssl_group_ctx()),
 * the certificate must name peer_name (a DNS name, or an IP address
 * matched against its IP SANs); the handshake fails otherwise. LB_ERROR
 * (logged, handler not called) when the state cannot be made; else LB_OK
 * and handler is called at the end. */
lb_int_t lb_ssl_client_start(SSL_CTX *ctx, lb_connection_t *c,
    const char *host, const char *peer_name, lb_msec_t timeout,
    lb_ssl_handshake_handler_pt handler);

/* lb_ssl_client_start() without the handshake: the state, the name to
 * verify, SNI. The caller may set more on c->ssl->ssl (ALPN), then calls
 * lb_ssl_handshake_run(). LB_OK or LB_ERROR (logged). */
lb_int_t lb_ssl_client_prepare(SSL_CTX *ctx, lb_connection_t *c,
    const char *host, const char *peer_name);

/* Read up to size (> 0) plaintext bytes into buf, as many records as
 * there are. Returns bytes read (> 0), 0 at the end of the stream
 * (close_notify, or the peer's FIN: c->read->eof set), LB_AGAIN (nothing
 * now: c->read->ready cleared), or LB_ERROR (c->ssl->err: errno, 0 for a
 * TLS error, which is logged at info). c->read->ready stays set while
 * more may be buffered, and is cleared with the data when a read() of
 * this call found the socket dry and OpenSSL holds nothing more.
 * Protocols call lb_conn_recv() (lb_conn_io.h), not this. */
ssize_t lb_ssl_recv(lb_connection_t *c, char *buf, size_t size);

/* Write size (> 0) bytes of buf, one SSL_write() of up to
 * LB_SSL_RECORD_SIZE at a time. Returns bytes written (> 0, fewer than
 * size when the socket filled up: c->write->ready cleared), LB_AGAIN, or
 * LB_ERROR (as for lb_ssl_recv()). After LB_AGAIN or a short write, call
 * again with the same unsent bytes first (more may follow them). */
ssize_t lb_ssl_send(lb_connection_t *c, const char *buf, size_t size);

/* lb_ssl_send() over iov[0..n): bytes written in order, LB_AGAIN or
 * LB_ERROR. */
ssize_t lb_ssl_writev(lb_connection_t *c, const struct iovec *iov, int n);

/* Send close_notify once, without waiting for the peer's. LB_OK (sent,
 * or nothing to do), LB_AGAIN (the socket is full: call again when
 * writable, or just close), LB_ERROR. Never blocks. */
lb_int_t lb_ssl_shutdown(lb_connection_t *c);

/* Give back c's record buffers (up to 34 KB) while it waits: the next
 * record allocates them again. For a connection idle a while, from a tick,
 * never per record. Nothing when bytes are still buffered. */
void lb_ssl_free_buffers(lb_connection_t *c);

/* Free the TLS state of c (from lb_close_connection()). A session that
 * ended without an error stays resumable. */
void lb_ssl_free_connection(lb_connection_t *c);

/* The OpenSSL reasons queued in this thread, "; "-joined into buf (always
 * terminated); the queue is emptied. */
void lb_ssl_error_text(char *buf, size_t size);

#endif /* LB_EVENT_OPENSSL_H */
