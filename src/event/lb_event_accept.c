/* weir: accepting connections on a listening socket. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* accept4() */
#endif

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_log.h"

static void lb_event_accept_pause(lb_event_t *ev);


void
lb_event_accept(lb_event_t *ev)
{
    int                      fd, err, i;
    socklen_t                socklen;
    lb_listening_t          *ls;
    lb_connection_t         *lc, *c;
    struct sockaddr_storage  sa;

    lc = ev->data;
    ls = lc->listening;

    if (ev->timedout) {
        /* the pause is over: try again */
        ev->timedout = 0;

    } else if (ev->timer_set) {
        /* paused: the timer will come back here */
        return;
    }

    for (i = 0; i < LB_EVENT_ACCEPT_BATCH; i++) {
        socklen = sizeof(sa);

        fd = accept4(lc->fd, (struct sockaddr *) &sa, &socklen,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            err = errno;

            switch (err) {

            case EAGAIN:
                ev->ready = 0;
                return;

            case EINTR:
            case ECONNABORTED:
                /* this one is gone; the next may be fine */
                continue;

            case EMFILE:
            case ENFILE:
                if (lb_event_descriptors_short(err, "accept4()")) {
                    /* an idle connection made room: this one again */
                    continue;
                }
                /* fall through */

            case ENOBUFS:
            case ENOMEM:
                lb_log_error(LB_LOG_CRIT, &lb_log, err,
                             "accept4() on %s failed, accepting paused for "
                             "%d ms", ls->addr.text, LB_EVENT_ACCEPT_PAUSE);
                lb_event_accept_pause(ev);
                return;

            case ENETDOWN:
            case EPROTO:
            case ENOPROTOOPT:
            case EHOSTDOWN:
            case ENONET:
            case EHOSTUNREACH:
            case EOPNOTSUPP:
            case ENETUNREACH:
            case EPERM:
                /* accept(2): network errors of the pending connection */
                lb_log_error(LB_LOG_INFO, &lb_log, err,
                             "accept4() on %s failed", ls->addr.text);
                continue;

            default:
                lb_log_error(LB_LOG_ALERT, &lb_log, err,
                             "accept4() on %s failed", ls->addr.text);
                lb_event_accept_pause(ev);
                return;
            }
        }

        c = lb_get_connection(fd);
        if (c == NULL) {
            /* every slot taken: refuse this one and give the others time */
            if (close(fd) == -1) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "close() socket %d failed", fd);
            }
            lb_event_accept_pause(ev);
            return;
        }

        c->listening = ls;
        c->client = 1;
        lb_connection_clients++;

        memcpy(&c->sockaddr, &sa, socklen);
        c->socklen = socklen;

        if (lb_connection_pool(c, lc->pool_size) == NULL
            || lb_event_add_connection(c) != LB_OK)
        {
            lb_close_connection(c);
            continue;
        }

        lb_log_debug(&lb_log, "*%lu accepted on %s, fd %d",
                     (unsigned long) c->number, ls->addr.text, fd);

        lc->accept_handler(c);
    }

    /* more may be queued, and with edge triggering no new event would
     * tell: come back after the other ready events had their turn */
    lb_event_post(ev);
}


static void
lb_event_accept_pause(lb_event_t *ev)
{
    lb_event_delete_posted(ev);
    lb_event_add_timer(ev, LB_EVENT_ACCEPT_PAUSE);
}
