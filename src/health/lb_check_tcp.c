/* weir: TCP checks (a connect to the monitor port) and the connect that
 * HTTP and HTTPS checks share, optionally from a source address. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_health.h"
#include "lb_health_check.h"
#include "lb_log.h"

static void lb_check_tcp_start(lb_health_check_t *hc);
static void lb_check_tcp_handler(lb_event_t *ev);
static lb_health_cause_e lb_check_tcp_abort(lb_health_check_t *hc);

const lb_health_ops_t  lb_check_tcp_ops = {
    "TCP",
    lb_check_tcp_start,
    lb_check_tcp_abort
};


lb_int_t
lb_health_connect(const struct sockaddr *sa, socklen_t socklen,
    const struct sockaddr *src, socklen_t srclen, lb_connection_t **cp,
    int *err)
{
    return lb_event_connect_from(sa, socklen, src, srclen, cp, err);
}


lb_health_cause_e
lb_health_connect_cause(int err)
{
    switch (err) {

    case ECONNREFUSED:
        return LB_HEALTH_CONNECT_REFUSED;

    case ETIMEDOUT:
        return LB_HEALTH_CONNECT_TIMEOUT;

    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case EADDRNOTAVAIL:
        return LB_HEALTH_UNREACHABLE;

    case ECONNRESET:
        return LB_HEALTH_RESET;

    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
        return LB_HEALTH_LOCAL_ERROR;
    }

    return LB_HEALTH_CONNECT_FAILED;
}


lb_int_t
lb_health_check_connect(lb_health_check_t *hc, lb_event_handler_pt handler)
{
    int               err;
    lb_int_t          rc;
    lb_connection_t  *c;

    hc->phase = LB_HEALTH_PHASE_CONNECT;

    rc = lb_health_connect((struct sockaddr *) &hc->sa, hc->socklen,
                           hc->source ? (struct sockaddr *) &hc->source->sa
                                      : NULL,
                           hc->source ? hc->source->socklen : 0, &c, &err);

    switch (rc) {

    case LB_OK:
    case LB_AGAIN:
        hc->c = c;
        c->data = hc;
        c->read->handler = handler;
        c->write->handler = handler;
        if (rc == LB_OK) {
            c->write->ready = 1;
        }
        return rc;

    case LB_DECLINED:
        hc->err = err;
        lb_health_check_done(hc, false, lb_health_connect_cause(err), 0);
        return rc;

    default:
        hc->err = err;
        lb_health_check_done(hc, false, LB_HEALTH_LOCAL_ERROR, 0);
        return LB_ERROR;
    }
}


void
lb_health_check_close(lb_health_check_t *hc)
{
    if (hc->c != NULL) {
        lb_close_connection(hc->c);
        hc->c = NULL;
    }
}


static void
lb_check_tcp_start(lb_health_check_t *hc)
{
    if (lb_health_check_connect(hc, lb_check_tcp_handler) == LB_OK) {
        lb_health_check_close(hc);
        lb_health_check_done(hc, true, LB_HEALTH_NONE, 0);
    }
}


/* The connect ended: the write event says so, or an error on either. */
static void
lb_check_tcp_handler(lb_event_t *ev)
{
    int                 err;
    lb_connection_t    *c;
    lb_health_check_t  *hc;

    c = ev->data;
    hc = c->data;

    if (!ev->write && !ev->error) {
        return;
    }

    err = lb_event_connect_result(c);

    lb_health_check_close(hc);

    if (err != 0) {
        hc->err = err;
        lb_health_check_done(hc, false, lb_health_connect_cause(err), 0);
        return;
    }

    lb_health_check_done(hc, true, LB_HEALTH_NONE, 0);
}


static lb_health_cause_e
lb_check_tcp_abort(lb_health_check_t *hc)
{
    lb_health_check_close(hc);

    return LB_HEALTH_CONNECT_TIMEOUT;
}
