/* weir: unit tests for src/event/lb_conn_io.c, the one way protocols read
 * and write a connection: the return convention (bytes, 0 at the end,
 * LB_AGAIN, LB_ERROR with errno) and the ready flags, over plain socket
 * pairs and over TLS between two connections of this process (a
 * self-signed key made here). SIGPIPE is left at its default: a write
 * that raised it would end the test. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lb_conn_io.h"
#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_log.h"

typedef struct {
    lb_connection_t  *c;      /* ours */
    int               peer;   /* the other end, a bare fd */
} plain_t;

typedef struct {
    lb_connection_t  *s;
    lb_connection_t  *c;
} tls_t;

static SSL_CTX  *server_ctx;
static SSL_CTX  *client_ctx;


static void
plain_open(plain_t *p)
{
    int  fds[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
                                fds), 0);
    p->c = lb_get_connection(fds[0]);
    assert_non_null(p->c);
    p->peer = fds[1];

    /* as after the first edges of a new connection */
    p->c->read->ready = 1;
    p->c->write->ready = 1;
}


static void
plain_close(plain_t *p)
{
    lb_close_connection(p->c);
    lb_connection_reclaim();

    if (p->peer != -1) {
        close(p->peer);
    }
}


static void
test_recv_data_again(void **state)
{
    plain_t  p;
    u_char   buf[64];

    plain_open(&p);

    /* a read shorter than the room drained the socket: ready cleared, no
     * second recv() needed to learn it */
    assert_int_equal(write(p.peer, "hello", 5), 5);
    assert_int_equal(lb_conn_recv(p.c, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_false(p.c->read->ready);
    assert_false(p.c->read->eof);

    /* called anyway: the socket says EAGAIN */
    errno = 0;
    assert_int_equal(lb_conn_recv(p.c, buf, sizeof(buf)), LB_AGAIN);
    assert_int_equal(errno, EAGAIN);
    assert_false(p.c->read->ready);

    /* a read that fills the room may leave more: ready stays */
    p.c->read->ready = 1;
    assert_int_equal(write(p.peer, "0123456789", 10), 10);
    assert_int_equal(lb_conn_recv(p.c, buf, 4), 4);
    assert_true(p.c->read->ready);
    assert_int_equal(lb_conn_recv(p.c, buf, 4), 4);
    assert_true(p.c->read->ready);
    assert_int_equal(lb_conn_recv(p.c, buf, 4), 2);
    assert_memory_equal(buf, "89", 2);
    assert_false(p.c->read->ready);

    plain_close(&p);
}


static void
test_recv_eof(void **state)
{
    plain_t  p;
    u_char   buf[64];

    plain_open(&p);

    /* the FIN came with the data (EPOLLRDHUP): the short read keeps
     * ready, so the caller comes back and finds the end at once */
    assert_int_equal(write(p.peer, "bye", 3), 3);
    assert_int_equal(shutdown(p.peer, SHUT_WR), 0);
    p.c->read->pending_eof = 1;

    assert_int_equal(lb_conn_recv(p.c, buf, sizeof(buf)), 3);
    assert_true(p.c->read->ready);
    assert_int_equal(lb_conn_recv(p.c, buf, sizeof(buf)), 0);
    assert_true(p.c->read->eof);
    assert_false(p.c->read->ready);

    plain_close(&p);
}


static void
test_recv_reset(void **state)
{
    plain_t  p;
    u_char   buf[64];

    plain_open(&p);

    /* the peer closes with our bytes unread: a reset */
    assert_int_equal(write(p.c->fd, "unread", 6), 6);
    close(p.peer);
    p.peer = -1;

    errno = 0;
    assert_int_equal(lb_conn_recv(p.c, buf, sizeof(buf)), LB_ERROR);
    assert_int_equal(errno, ECONNRESET);
    assert_false(p.c->read->ready);

    plain_close(&p);
}


static void
test_recv_iov(void **state)
{
    plain_t       p;
    char          a[4], b[16];
    struct iovec  iov[2];

    plain_open(&p);

    /* one readv() across a wrapped ring buffer's two parts */
    iov[0].iov_base = a;
    iov[0].iov_len = sizeof(a);
    iov[1].iov_base = b;
    iov[1].iov_len = sizeof(b);

    assert_int_equal(write(p.peer, "0123456789", 10), 10);
    assert_int_equal(lb_conn_recv_iov(p.c, iov, 2), 10);
    assert_memory_equal(a, "0123", 4);
    assert_memory_equal(b, "456789", 6);
    assert_false(p.c->read->ready);

    assert_int_equal(lb_conn_recv_iov(p.c, iov, 2), LB_AGAIN);

    /* exactly full: more may wait */
    p.c->read->ready = 1;
    assert_int_equal(write(p.peer, "01234567890123456789", 20), 20);
    assert_int_equal(lb_conn_recv_iov(p.c, iov, 2), 20);
    assert_true(p.c->read->ready);

    close(p.peer);
    p.peer = -1;
    assert_int_equal(lb_conn_recv_iov(p.c, iov, 2), 0);
    assert_true(p.c->read->eof);
    assert_false(p.c->read->ready);

    plain_close(&p);
}


static void
test_send(void **state)
{
    plain_t   p;
    u_char   *big;
    char      buf[32];
    ssize_t   n;
    size_t    size;

    plain_open(&p);

    assert_int_equal(lb_conn_send(p.c, (const u_char *) "ping", 4), 4);
    assert_true(p.c->write->ready);
    assert_int_equal(read(p.peer, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ping", 4);

    /* more than the socket holds: a short write clears ready */
    size = 8 * 1024 * 1024;
    big = calloc(1, size);
    assert_non_null(big);

    n = lb_conn_send(p.c, big, size);
    assert_true(n > 0 && (size_t) n < size);
    assert_false(p.c->write->ready);

    errno = 0;
    assert_int_equal(lb_conn_send(p.c, big, size), LB_AGAIN);
    assert_int_equal(errno, EAGAIN);

    /* the peer is gone: EPIPE, and no SIGPIPE */
    close(p.peer);
    p.peer = -1;
    p.c->write->ready = 1;
    errno = 0;
    assert_int_equal(lb_conn_send(p.c, big, 10), LB_ERROR);
    assert_true(errno == EPIPE || errno == ECONNRESET);
    assert_false(p.c->write->ready);

    free(big);
    plain_close(&p);
}


static void
test_send_iov(void **state)
{
    plain_t       p;
    char          buf[32];
    struct iovec  iov[3];

    plain_open(&p);

    iov[0].iov_base = "HTTP/1.1 200 OK\r\n\r\n";
    iov[0].iov_len = 19;
    iov[1].iov_base = "body";
    iov[1].iov_len = 4;
    iov[2].iov_base = "!";
    iov[2].iov_len = 1;

    assert_int_equal(lb_conn_send_iov(p.c, iov, 3), 24);
    assert_true(p.c->write->ready);
    assert_int_equal(read(p.peer, buf, sizeof(buf)), 24);
    assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n\r\nbody!", 24);

    close(p.peer);
    p.peer = -1;
    errno = 0;
    assert_int_equal(lb_conn_send_iov(p.c, iov, 3), LB_ERROR);
    assert_true(errno == EPIPE || errno == ECONNRESET);

    plain_close(&p);
}


static void
test_error_level(void **state)
{
    /* ordinary on the Internet, or logged by the TLS layer: info */
    assert_int_equal(lb_conn_error_level(ECONNRESET), LB_LOG_INFO);
    assert_int_equal(lb_conn_error_level(EPIPE), LB_LOG_INFO);
    assert_int_equal(lb_conn_error_level(ENOTCONN), LB_LOG_INFO);
    assert_int_equal(lb_conn_error_level(ETIMEDOUT), LB_LOG_INFO);
    assert_int_equal(lb_conn_error_level(EPROTO), LB_LOG_INFO);
    assert_int_equal(lb_conn_error_level(0), LB_LOG_INFO);

    /* weir's own trouble */
    assert_int_equal(lb_conn_error_level(EBADF), LB_LOG_ERR);
    assert_int_equal(lb_conn_error_level(ENOMEM), LB_LOG_ERR);
}


/* --- TLS --- */

static SSL_CTX *
make_server_ctx(void)
{
    X509      *x;
    SSL_CTX   *ctx;
    EVP_PKEY  *pkey;

    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(pkey);

    x = X509_new();
    assert_non_null(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    assert_int_equal(X509_set_pubkey(x, pkey), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
                     "CN", MBSTRING_ASC, (const unsigned char *) "io.test",
                     -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
    assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);

    ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pkey), 1);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);           /* as weir's contexts */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);

    X509_free(x);
    EVP_PKEY_free(pkey);

    return ctx;
}


/* Mark the events ready as poll() says, as an edge would. */
static void
poll_ready(lb_connection_t *a, lb_connection_t *b)
{
    int               i;
    struct pollfd     pfd[2];
    lb_connection_t  *c;

    pfd[0].fd = a->fd;
    pfd[1].fd = b->fd;
    pfd[0].events = pfd[1].events = POLLIN | POLLOUT;

    assert_true(poll(pfd, 2, 1000) > 0);

    for (i = 0; i < 2; i++) {
        c = i ? b : a;

        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            c->read->ready = 1;
        }
        if (pfd[i].revents & (POLLOUT | POLLERR)) {
            c->write->ready = 1;
        }
    }
}


static void
tls_open(tls_t *t)
{
    int       i, fds[2];
    lb_int_t  src, crc;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
                                fds), 0);

    t->s = lb_get_connection(fds[0]);
    t->c = lb_get_connection(fds[1]);
    assert_non_null(t->s);
    assert_non_null(t->c);

    assert_int_equal(lb_ssl_create_connection(server_ctx, t->s,
                                              LB_SSL_SERVER), LB_OK);
    assert_int_equal(lb_ssl_create_connection(client_ctx, t->c,
                                              LB_SSL_CLIENT), LB_OK);

    src = LB_AGAIN;
    crc = LB_AGAIN;

    for (i = 0; i < 100 && (src == LB_AGAIN || crc == LB_AGAIN); i++) {
        if (crc == LB_AGAIN) {
            crc = lb_ssl_handshake(t->c);
        }
        if (src == LB_AGAIN) {
            src = lb_ssl_handshake(t->s);
        }
        if (src == LB_AGAIN || crc == LB_AGAIN) {
            poll_ready(t->s, t->c);
        }
    }

    assert_int_equal(src, LB_OK);
    assert_int_equal(crc, LB_OK);
}


static void
tls_close(tls_t *t)
{
    lb_close_connection(t->s);
    lb_close_connection(t->c);
    lb_connection_reclaim();
}


/* Read from c until n bytes came or it says something else than
 * LB_AGAIN; the last result. */
static ssize_t
tls_read(tls_t *t, lb_connection_t *c, u_char *buf, size_t size, size_t n)
{
    int      i;
    size_t   got;
    ssize_t  rc;

    got = 0;
    rc = LB_AGAIN;

    for (i = 0; i < 100 && got < n; i++) {
        c->read->ready = 1;
        rc = lb_conn_recv(c, buf + got, size - got);

        if (rc > 0) {
            got += (size_t) rc;
            continue;
        }

        if (rc != LB_AGAIN) {
            return rc;
        }

        poll_ready(t->s, t->c);
    }

    return got ? (ssize_t) got : rc;
}


static void
test_tls_data_again_eof(void **state)
{
    tls_t   t;
    u_char  buf[64];

    tls_open(&t);

    assert_int_equal(lb_conn_send(t.c, (const u_char *) "hello", 5), 5);
    assert_int_equal(tls_read(&t, t.s, buf, sizeof(buf), 5), 5);
    assert_memory_equal(buf, "hello", 5);

    /* drained: LB_AGAIN with ready cleared */
    t.s->read->ready = 1;
    assert_int_equal(lb_conn_recv(t.s, buf, sizeof(buf)), LB_AGAIN);
    assert_false(t.s->read->ready);

    /* close_notify is the end of the stream */
    assert_int_equal(lb_ssl_shutdown(t.c), LB_OK);
    assert_int_equal(tls_read(&t, t.s, buf, sizeof(buf), 1), 0);
    assert_true(t.s->read->eof);
    assert_false(t.s->read->ready);

    tls_close(&t);
}


/* counts the read()s under a TLS connection, then calls the TLS layer's
 * own BIO callback */
static BIO_callback_fn_ex  saved_cb;
static unsigned            nreads;


static long
count_reads(BIO *bio, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
    if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
        nreads++;
    }

    return saved_cb(bio, oper, argp, len, argi, argl, ret, processed);
}


static void
test_tls_drained(void **state)
{
    tls_t   t;
    BIO    *bio;
    u_char  buf[64];
    ssize_t n;

    tls_open(&t);

    bio = SSL_get_rbio(t.s->ssl->ssl);
    saved_cb = BIO_get_callback_ex(bio);
    assert_non_null(saved_cb);
    BIO_set_callback_ex(bio, count_reads);

    /* one record, read whole by one read(): the socket is dry, and no
     * second read() is spent to hear EAGAIN */
    assert_int_equal(lb_conn_send(t.c, (const u_char *) "hello", 5), 5);
    nreads = 0;
    t.s->read->ready = 1;
    assert_int_equal(lb_conn_recv(t.s, buf, sizeof(buf)), 5);
    assert_int_equal(nreads, 1);
    assert_false(t.s->read->ready);

    /* more than the room: OpenSSL holds the rest, ready stays */
    assert_int_equal(lb_conn_send(t.c, (const u_char *) "0123456789", 10),
                     10);
    nreads = 0;
    t.s->read->ready = 1;
    assert_int_equal(lb_conn_recv(t.s, buf, 4), 4);
    assert_true(t.s->read->ready);
    assert_int_equal(lb_conn_recv(t.s, buf, 4), 4);
    assert_int_equal(lb_conn_recv(t.s, buf, 4), 2);
    assert_false(t.s->read->ready);

    /* the dry read() was in an earlier call: bytes may have come since
     * (their edge already taken), so the last call asked the socket */
    assert_int_equal(nreads, 2);

    /* the peer's FIN is pending: ready stays for the end to be read */
    assert_int_equal(lb_conn_send(t.c, (const u_char *) "bye", 3), 3);
    assert_int_equal(shutdown(t.c->fd, SHUT_WR), 0);
    t.s->read->ready = 1;
    t.s->read->pending_eof = 1;
    assert_int_equal(lb_conn_recv(t.s, buf, sizeof(buf)), 3);
    assert_true(t.s->read->ready);
    n = lb_conn_recv(t.s, buf, sizeof(buf));
    assert_int_equal(n, 0);
    assert_true(t.s->read->eof);

    tls_close(&t);
}


static void
test_tls_gather(void **state)
{
    tls_t          t;
    u_char         rec[256], buf[64];
    ssize_t        n;
    struct iovec   iov[3];

    tls_open(&t);

    iov[0].iov_base = "HTTP/1.1 200 OK\r\n\r\n";
    iov[0].iov_len = 19;
    iov[1].iov_base = "body";
    iov[1].iov_len = 4;
    iov[2].iov_base = "!";
    iov[2].iov_len = 1;

    t.c->write->ready = 1;
    assert_int_equal(lb_conn_send_iov(t.c, iov, 3), 24);
    assert_true(t.c->write->ready);

    /* the three parts went out as one record: a 5-byte header and a
     * length that covers everything there is on the wire */
    n = recv(t.s->fd, rec, sizeof(rec), MSG_PEEK);
    assert_true(n > 5);
    assert_int_equal(rec[0], 0x17);
    assert_int_equal(5 + (rec[3] << 8 | rec[4]), n);

    assert_int_equal(tls_read(&t, t.s, buf, sizeof(buf), 24), 24);
    assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n\r\nbody!", 24);

    tls_close(&t);
}


static void
test_tls_error_errno(void **state)
{
    tls_t   t;
    u_char  buf[64];

    tls_open(&t);

    /* garbage instead of a record: one convention, EPROTO; the OpenSSL
     * reason was logged by the TLS layer */
    assert_int_equal(write(t.s->fd, "\x17\x03\x03\x00\x05hello", 10), 10);

    errno = 0;
    assert_int_equal(tls_read(&t, t.c, buf, sizeof(buf), 1), LB_ERROR);
    assert_int_equal(errno, EPROTO);
    assert_false(t.c->read->ready);

    /* no more I/O after it, with the same errno */
    t.c->write->ready = 1;
    errno = 0;
    assert_int_equal(lb_conn_send(t.c, (const u_char *) "x", 1), LB_ERROR);
    assert_int_equal(errno, EPROTO);
    assert_false(t.c->write->ready);

    tls_close(&t);
}


static void
test_tls_peer_reset(void **state)
{
    tls_t   t;
    u_char  buf[64];

    tls_open(&t);

    /* the peer vanishes with our bytes unread: a system error, whose
     * errno comes through the TLS layer */
    assert_int_equal(lb_conn_send(t.c, (const u_char *) "lost", 4), 4);
    lb_close_connection(t.s);

    errno = 0;
    assert_int_equal(tls_read(&t, t.c, buf, sizeof(buf), 1), LB_ERROR);
    assert_int_equal(errno, ECONNRESET);
    assert_false(t.c->read->ready);

    lb_close_connection(t.c);
    lb_connection_reclaim();
}


static int
group_setup(void **state)
{
    lb_log.level = LB_LOG_CRIT;

    if (lb_connection_init(16) != LB_OK) {
        return -1;
    }

    lb_event_timer_init();

    server_ctx = make_server_ctx();
    client_ctx = SSL_CTX_new(TLS_client_method());
    if (client_ctx == NULL) {
        return -1;
    }
    SSL_CTX_set_mode(client_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(client_ctx, 1);
    SSL_CTX_set_options(client_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);

    return 0;
}


static int
group_teardown(void **state)
{
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
    return 0;
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recv_data_again),
        cmocka_unit_test(test_recv_eof),
        cmocka_unit_test(test_recv_reset),
        cmocka_unit_test(test_recv_iov),
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_send_iov),
        cmocka_unit_test(test_error_level),
        cmocka_unit_test(test_tls_data_again_eof),
        cmocka_unit_test(test_tls_drained),
        cmocka_unit_test(test_tls_gather),
        cmocka_unit_test(test_tls_error_errno),
        cmocka_unit_test(test_tls_peer_reset),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
