/* weir bench: TLS full handshakes per second.
 *
 *   hsload -p port [-t threads] [-d seconds] [-n max]
 *
 * Each of `threads` threads loops: connect to 127.0.0.1:port, a TLS 1.3
 * handshake with no session to resume (the client keeps no session cache
 * and never offers a ticket, so every handshake is a full one: key
 * exchange and a certificate signature), one HTTP/1.1 request with
 * "Connection: close", the whole response read to the server's close.
 * (wrk resumes TLS sessions on reconnect, which would measure resumption,
 * not full handshakes.) Stops after `seconds` or `max` handshakes.
 * Prints one line:
 *
 *   handshakes=N failed=N resumed=N seconds=S rate=R
 *
 * counting only exchanges that got a 200 response. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAXTHREADS  256

static const char  request[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: hsload\r\n"
    "Connection: close\r\n\r\n";

static void *worker(void *arg);
static int one_exchange(void);
static double now(void);


static SSL_CTX             *ctx;
static struct sockaddr_in   sin_;
static double               stop_at;
static unsigned long        limit = 100000000;
static unsigned long        nok, nfailed, nresumed, nstarted;
static pthread_mutex_t      mtx = PTHREAD_MUTEX_INITIALIZER;


int
main(int argc, char **argv)
{
    int        i, opt, port, nthreads;
    double     seconds, start, elapsed;
    pthread_t  tids[MAXTHREADS];

    port = 0;
    nthreads = 16;
    seconds = 2;
    while ((opt = getopt(argc, argv, "p:t:d:n:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 't': nthreads = atoi(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'n': limit = strtoul(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: hsload -p port [-t threads]"
                    " [-d seconds] [-n max]\n");
            return 2;
        }
    }
    if (port <= 0 || nthreads < 1 || nthreads > MAXTHREADS || seconds <= 0
        || seconds > 600)
    {
        fprintf(stderr, "hsload: bad arguments\n");
        return 2;
    }

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        fprintf(stderr, "SSL_CTX_new() failed\n");
        return 1;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)
                                "\x08http/1.1", 9) != 0)
    {
        fprintf(stderr, "SSL_CTX_set_alpn_protos() failed\n");
        return 1;
    }

    memset(&sin_, 0, sizeof(sin_));
    sin_.sin_family = AF_INET;
    sin_.sin_port = htons(port);
    sin_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    start = now();
    stop_at = start + seconds;
    for (i = 0; i < nthreads; i++) {
        if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
            fprintf(stderr, "pthread_create() failed\n");
            return 1;
        }
    }
    for (i = 0; i < nthreads; i++) {
        pthread_join(tids[i], NULL);
    }
    elapsed = now() - start;

    printf("handshakes=%lu failed=%lu resumed=%lu seconds=%.3f rate=%.1f\n",
           nok, nfailed, nresumed, elapsed, nok / elapsed);
    return 0;
}


static void *
worker(void *arg)
{
    int  r, go;

    (void) arg;
    for ( ;; ) {
        pthread_mutex_lock(&mtx);
        go = now() < stop_at && nstarted < limit;
        if (go) {
            nstarted++;
        }
        pthread_mutex_unlock(&mtx);
        if (!go) {
            return NULL;
        }

        r = one_exchange();

        pthread_mutex_lock(&mtx);
        if (r == 0) {
            nok++;
        } else if (r == 1) {
            nresumed++;
        } else {
            nfailed++;
        }
        pthread_mutex_unlock(&mtx);
    }
}


/* 0: a full handshake and a 200; 1: the session was resumed; -1: failed */
static int
one_exchange(void)
{
    int             fd, n, one, rc;
    size_t          len;
    SSL            *ssl;
    char            buf[4096];
    struct timeval  tv;

    rc = -1;
    ssl = NULL;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) {
        return -1;
    }
    one = 1;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *) &sin_, sizeof(sin_)) == -1) {
        goto done;
    }

    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1
        || SSL_set_tlsext_host_name(ssl, "127.0.0.1") != 1
        || SSL_connect(ssl) != 1)
    {
        goto done;
    }
    if (SSL_write(ssl, request, sizeof(request) - 1)
        != (int) sizeof(request) - 1)
    {
        goto done;
    }

    len = 0;
    for ( ;; ) {
        n = SSL_read(ssl, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0) {
            break;                      /* the server's close, or an error */
        }
        len += n;
        if (len >= sizeof(buf) - 1) {
            len = 12;                   /* keep the status line only */
        }
    }
    buf[len] = '\0';
    if (len >= 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0) {
        rc = SSL_session_reused(ssl) ? 1 : 0;
    }

done:
    if (ssl != NULL) {
        SSL_free(ssl);
    }
    close(fd);
    ERR_clear_error();
    return rc;
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
