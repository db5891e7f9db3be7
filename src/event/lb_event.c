/* weir: the per-worker event loop on epoll, edge-triggered. A connection's
 * fd enters the epoll set once, for input, output and peer shutdown; the
 * set is never modified afterwards, so readiness is tracked in the events'
 * `ready` flags: set here when epoll reports an edge, cleared by the code
 * that reads or writes when the kernel says EAGAIN (or a short transfer
 * shows the socket was drained). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lb_array.h"
#include "lb_conf_types.h"
#include "lb_connection.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_log.h"
#include "lb_time.h"

#define lb_event_queue_empty(q)  ((q)->next == (q))

#define lb_posted_event(link)                                             \
    ((lb_event_t *) ((char *) (link) - offsetof(lb_event_t, posted_link)))

static void lb_event_process_posted(void);

lb_event_reclaim_pt  lb_event_reclaim;
static lb_msec_t     lb_event_short_logged;

static int                  lb_event_ep = -1;
static struct epoll_event   lb_event_list[LB_EVENT_BATCH];
static lb_event_queue_t     lb_event_posted = {
    &lb_event_posted, &lb_event_posted
};


lb_int_t
lb_event_init(void)
{
    lb_time_update();
    lb_event_timer_init();

    lb_event_posted.next = &lb_event_posted;
    lb_event_posted.prev = &lb_event_posted;

    lb_event_ep = epoll_create1(EPOLL_CLOEXEC);
    if (lb_event_ep == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "epoll_create1() failed");
        return LB_ERROR;
    }

    return lb_connection_init(LB_EVENT_CONNECTIONS);
}


lb_int_t
lb_event_init_listening(lb_cycle_t *cycle, uint32_t slot)
{
    size_t           i;
    lb_listening_t  *ls;

    for (i = 0; i < cycle->listening.nelts; i++) {
        ls = lb_array_at(&cycle->listening, lb_listening_t, i);

        if (ls->slot != slot || ls->fd == -1) {
            continue;
        }

        if (ls->init == NULL) {
            lb_log_debug(&lb_log, "listener %s on %s: %s is not served yet",
                         ls->listener->name, ls->addr.text,
                         lb_listener_proto_names[ls->listener->protocol]);
            continue;
        }

        if (ls->init(cycle, ls) != LB_OK) {
            return LB_ERROR;
        }
    }

    return LB_OK;
}


lb_int_t
lb_event_add_listening(lb_listening_t *ls, lb_connection_handler_pt handler,
    size_t pool_size)
{
    struct epoll_event   ee;
    lb_connection_t     *c;

    c = lb_get_connection(ls->fd);
    if (c == NULL) {
        return LB_ERROR;
    }

    /* it serves every generation: it must not hold one */
    lb_connection_epoch_leave(c);

    c->listening = ls;
    c->listen = 1;
    c->accept_handler = handler;
    c->pool_size = pool_size;

    c->read->accept = 1;
    c->read->handler = lb_event_accept;

    /* the write side of a listening socket means nothing: no EPOLLOUT */
    ee.events = EPOLLIN | EPOLLET;
    ee.data.ptr = c;

    if (epoll_ctl(lb_event_ep, EPOLL_CTL_ADD, ls->fd, &ee) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "epoll_ctl(ADD, %d) failed for listening on %s",
                     ls->fd, ls->addr.text);
        lb_free_connection(c);
        return LB_ERROR;
    }

    c->read->active = 1;
    ls->connection = c;

    return LB_OK;
}


lb_int_t
lb_event_add_connection(lb_connection_t *c)
{
    struct epoll_event  ee;

    ee.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ee.data.ptr = c;

    if (epoll_ctl(lb_event_ep, EPOLL_CTL_ADD, c->fd, &ee) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "*%lu epoll_ctl(ADD, %d) failed",
                     (unsigned long) c->number, c->fd);
        return LB_ERROR;
    }

    c->read->active = 1;
    c->write->active = 1;

    return LB_OK;
}


lb_int_t
lb_event_del_connection(lb_connection_t *c)
{
    struct epoll_event  ee;

    ee.events = 0;
    ee.data.ptr = NULL;

    c->read->active = 0;
    c->write->active = 0;

    if (epoll_ctl(lb_event_ep, EPOLL_CTL_DEL, c->fd, &ee) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "*%lu epoll_ctl(DEL, %d) failed",
                     (unsigned long) c->number, c->fd);
        return LB_ERROR;
    }

    return LB_OK;
}


void
lb_event_process(lb_msec_t max_wait)
{
    int                  n, i, timeout, err;
    uint32_t             revents;
    lb_msec_t            timer;
    lb_event_t          *rev, *wev;
    lb_connection_t     *c;

    timer = lb_event_find_timer();

    if (!lb_event_queue_empty(&lb_event_posted)) {
        timer = 0;
    }

    /* LB_TIMER_INFINITE and LB_EVENT_NO_WAIT_LIMIT are both the largest
     * value, so the smaller of the two is the wait */
    timer = lb_min(timer, max_wait);
    timeout = (timer == LB_TIMER_INFINITE) ? -1 : (int) lb_min(timer, INT_MAX);

    n = epoll_wait(lb_event_ep, lb_event_list, LB_EVENT_BATCH, timeout);
    err = errno;

    lb_time_update();

    if (n == -1) {
        if (err != EINTR) {
            lb_log_error(LB_LOG_ALERT, &lb_log, err, "epoll_wait() failed");
        }
        return;
    }

    for (i = 0; i < n; i++) {
        c = lb_event_list[i].data.ptr;
        revents = lb_event_list[i].events;

        /* closed by an earlier handler of this batch; its slot is not
         * reused before the batch is over, see lb_free_connection() */
        if (c->fd == -1) {
            continue;
        }

        rev = c->read;
        wev = c->write;

        if (revents & (EPOLLERR | EPOLLHUP)) {
            /* let both sides find the error by doing I/O */
            revents |= EPOLLIN | EPOLLOUT;
            if (revents & EPOLLERR) {
                rev->error = 1;
                wev->error = 1;
            }
            if (revents & EPOLLHUP) {
                rev->pending_eof = 1;
            }
        }

        if (revents & EPOLLRDHUP) {
            revents |= EPOLLIN;
            rev->pending_eof = 1;
        }

        if ((revents & EPOLLIN) && rev->active) {
            rev->ready = 1;
            rev->handler(rev);
        }

        if ((revents & EPOLLOUT) && wev->active && c->fd != -1) {
            wev->ready = 1;
            wev->handler(wev);
        }
    }

    lb_event_process_posted();

    lb_event_expire_timers();

    lb_connection_reclaim();
}


/* Run the events posted until now; those posted by these handlers wait
 * for the next iteration, so a handler that re-posts itself cannot keep
 * the loop here. */
static void
lb_event_process_posted(void)
{
    lb_event_queue_t   now, *q;
    lb_event_t        *ev;

    if (lb_event_queue_empty(&lb_event_posted)) {
        return;
    }

    now.next = lb_event_posted.next;
    now.prev = lb_event_posted.prev;
    now.next->prev = &now;
    now.prev->next = &now;
    lb_event_posted.next = &lb_event_posted;
    lb_event_posted.prev = &lb_event_posted;

    while (!lb_event_queue_empty(&now)) {
        q = now.next;
        ev = lb_posted_event(q);
        lb_event_delete_posted(ev);
        ev->handler(ev);
    }
}


void
lb_event_post(lb_event_t *ev)
{
    lb_event_queue_t  *q;

    if (ev->posted) {
        return;
    }

    q = &ev->posted_link;
    q->prev = lb_event_posted.prev;
    q->next = &lb_event_posted;
    q->prev->next = q;
    lb_event_posted.prev = q;
    ev->posted = 1;
}


void
lb_event_delete_posted(lb_event_t *ev)
{
    lb_event_queue_t  *q;

    if (!ev->posted) {
        return;
    }

    q = &ev->posted_link;
    q->prev->next = q->next;
    q->next->prev = q->prev;
    q->prev = NULL;
    q->next = NULL;
    ev->posted = 0;
}


void
lb_event_close_listening(lb_cycle_t *cycle)
{
    size_t            i, k;
    lb_listening_t   *ls;
    lb_connection_t  *c;

    for (i = 0; i < cycle->listening.nelts; i++) {
        ls = lb_array_at(&cycle->listening, lb_listening_t, i);
        c = ls->connection;

        if (c == NULL) {
            continue;
        }

        /* connections the kernel has already queued on this socket are
         * taken now and served before we exit: when the next generation
         * has no worker for this slot (fewer workers after a reload), the
         * socket closes with us and would reset them */
        if (c->accept_handler != NULL) {
            for (k = 0; k < LB_EVENT_DRAIN_BATCHES && !c->read->timer_set;
                 k++)
            {
                c->read->ready = 1;
                lb_event_accept(c->read);
                if (!c->read->ready) {
                    break;
                }
            }
            lb_event_delete_posted(c->read);
        }

        /* the master and the next generation's worker hold the same
         * socket: close() alone would leave it in our epoll set */
        lb_event_del_connection(c);
        lb_close_connection(c);

        ls->connection = NULL;
        ls->fd = -1;
    }
}


lb_uint_t
lb_event_connections(void)
{
    return lb_connection_clients;
}


void
lb_event_close_all(void)
{
    lb_connection_close_all();
}


bool
lb_event_descriptors_short(int err, const char *what)
{
    /* a flood must not flood the log as well */
    if (lb_event_short_logged == 0
        || lb_current_msec - lb_event_short_logged >= 1000)
    {
        lb_log_error(LB_LOG_WARN, &lb_log, err,
                     "%s failed: descriptors are short%s", what,
                     lb_event_reclaim != NULL
                     ? ", closing idle connections" : "");
        lb_event_short_logged = lb_current_msec;
    }

    return lb_event_reclaim != NULL && lb_event_reclaim();
}
