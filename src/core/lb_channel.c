/* weir: the master's channel with each child (lb_channel.h). */
#define _GNU_SOURCE  1    /* memfd_create() */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_channel.h"

int  lb_channel = -1;


lb_int_t
lb_channel_send(int fd, const lb_channel_msg_t *m, const int *fds,
    unsigned nfds)
{
    struct iovec     iov;
    struct msghdr    msg;
    struct cmsghdr  *cm;
    union {
        struct cmsghdr  align;
        char            buf[CMSG_SPACE(sizeof(int) * LB_CHANNEL_MAX_FDS)];
    } ctl;

    if (nfds > LB_CHANNEL_MAX_FDS) {
        errno = EINVAL;
        return LB_ERROR;
    }

    memset(&msg, 0, sizeof(msg));
    iov.iov_base = (void *) m;
    iov.iov_len = sizeof(*m);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;

    if (nfds > 0) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }

    for ( ;; ) {
        if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) != -1) {
            return LB_OK;
        }
        if (errno == EINTR) {
            continue;
        }
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? LB_AGAIN
                                                        : LB_ERROR;
    }
}


lb_int_t
lb_channel_recv(int fd, lb_channel_msg_t *m, int *fds, unsigned *nfds,
    int wait)
{
    ssize_t          n;
    unsigned         i, got;
    struct iovec     iov;
    struct pollfd    pfd;
    struct msghdr    msg;
    struct cmsghdr  *cm;
    union {
        struct cmsghdr  align;
        char            buf[CMSG_SPACE(sizeof(int) * LB_CHANNEL_MAX_FDS)];
    } ctl;

    *nfds = 0;

    if (wait > 0) {
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;

        for ( ;; ) {
            n = poll(&pfd, 1, wait);
            if (n == -1 && errno == EINTR) {
                continue;
            }
            if (n == -1) {
                return LB_ERROR;
            }
            if (n == 0) {
                return LB_AGAIN;
            }
            break;
        }
    }

    memset(&msg, 0, sizeof(msg));
    iov.iov_base = m;
    iov.iov_len = sizeof(*m);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof(ctl.buf);

    do {
        n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n == -1 && errno == EINTR);

    if (n == -1) {
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? LB_AGAIN
                                                        : LB_ERROR;
    }

    if (n == 0) {
        return LB_DONE;
    }

    got = 0;

    for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
            continue;
        }

        for (i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
            if (got < LB_CHANNEL_MAX_FDS) {
                memcpy(&fds[got++], CMSG_DATA(cm) + i * sizeof(int),
                       sizeof(int));
            }
        }
    }

    *nfds = got;

    if ((size_t) n != sizeof(*m) || (msg.msg_flags & MSG_CTRUNC)) {
        for (i = 0; i < got; i++) {
            (void) close(fds[i]);
        }
        *nfds = 0;
        errno = EBADMSG;
        return LB_ERROR;
    }

    m->text[sizeof(m->text) - 1] = '\0';

    return LB_OK;
}


int
lb_channel_memfd(const char *buf, size_t len)
{
    int      fd, e;
    size_t   done;
    ssize_t  n;

    fd = memfd_create("weir-conf", MFD_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    for (done = 0; done < len; done += (size_t) n) {
        n = write(fd, buf + done, len - done);
        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0) {
            e = (n == -1) ? errno : ENOSPC;
            (void) close(fd);
            errno = e;
            return -1;
        }
    }

    return fd;
}
