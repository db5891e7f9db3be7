/* weir: non-blocking TCP connects to targets. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_log.h"


lb_int_t
lb_event_connect(const struct sockaddr *sa, socklen_t socklen,
    lb_connection_t **cp, int *err)
{
    return lb_event_connect_from(sa, socklen, NULL, 0, cp, err);
}


lb_int_t
lb_event_connect_from(const struct sockaddr *sa, socklen_t socklen,
    const struct sockaddr *src, socklen_t srclen, lb_connection_t **cp,
    int *err)
{
    int               fd, rc, one;
    lb_connection_t  *c;

    *cp = NULL;
    *err = 0;

    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd == -1 && (errno == EMFILE || errno == ENFILE)
        && lb_event_descriptors_short(errno, "socket()"))
    {
        fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    }

    if (fd == -1) {
        *err = errno;

        if (*err != EMFILE && *err != ENFILE) {
            lb_log_error(LB_LOG_ALERT, &lb_log, *err, "socket() failed");
        }

        return LB_ERROR;
    }

    one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1) {
        /* slower, not broken: go on */
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "setsockopt(TCP_NODELAY) failed");
    }

    if (src != NULL) {
        /* the port is picked by connect(), per destination: a source
         * address does not use up a port of its own for every connect */
        if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                       sizeof(one)) == -1)
        {
            lb_log_error(LB_LOG_WARN, &lb_log, errno,
                         "setsockopt(IP_BIND_ADDRESS_NO_PORT) failed");
        }

        if (bind(fd, src, srclen) == -1) {
            *err = errno;
            close(fd);
            return LB_DECLINED;
        }
    }

    c = lb_get_connection(fd);
    if (c == NULL) {
        close(fd);
        return LB_ERROR;
    }

    rc = connect(fd, sa, socklen);

    if (rc == -1 && errno != EINPROGRESS) {
        *err = errno;
        lb_close_connection(c);
        return LB_DECLINED;
    }

    if (lb_event_add_connection(c) != LB_OK) {
        lb_close_connection(c);
        return LB_ERROR;
    }

    *cp = c;

    return (rc == 0) ? LB_OK : LB_AGAIN;
}


int
lb_event_connect_result(lb_connection_t *c)
{
    int        err;
    socklen_t  len;

    /* a failed connect raises EPOLLERR; without it the connect is done
     * and the syscall is saved */
    if (!c->write->error && !c->read->error) {
        return 0;
    }

    err = 0;
    len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
        return errno;
    }

    /* EPOLLERR without a pending error: the connection broke at once */
    return err ? err : ECONNRESET;
}
