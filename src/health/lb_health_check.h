/* weir: what the scheduler (lb_health.c) and the check types
 * (lb_check_*.c) share inside the health checker process. */
#ifndef LB_HEALTH_CHECK_H
#define LB_HEALTH_CHECK_H

#include <sys/socket.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_event.h"
#include "lb_health_types.h"
#include "lb_zone.h"

/* bytes of a response kept: enough for "HTTP/1.1 200 " with room */
#define LB_HEALTH_RECV_MAX   64

typedef struct lb_health_check_s  lb_health_check_t;

/* what a running check is doing, to name a timeout */
typedef enum {
    LB_HEALTH_PHASE_IDLE = 0,
    LB_HEALTH_PHASE_CONNECT,
    LB_HEALTH_PHASE_HANDSHAKE,
    LB_HEALTH_PHASE_SEND,
    LB_HEALTH_PHASE_RECV,
    LB_HEALTH_PHASE_ECHO
} lb_health_phase_e;

typedef struct {
    const char               *name;

    /* Begin a check of hc (hc->running and its timeout are set). Ends,
     * possibly before returning, with lb_health_check_done() once it
     * holds nothing (socket closed, echo forgotten). */
    void (*start)(lb_health_check_t *hc);

    /* The timeout fired while the check was running: release what it
     * holds and return the cause to report. */
    lb_health_cause_e (*abort)(lb_health_check_t *hc);
} lb_health_ops_t;

/* a target group with a health check */
typedef struct {
    lb_target_group_t        *tg;
    lb_health_monitor_t      *hm;
    const char               *id;         /* zone key: id, else name */
    lb_msec_t                 delay;      /* ms */
    lb_msec_t                 timeout;    /* ms */
} lb_health_group_t;

struct lb_health_check_s {
    lb_event_t                ev;         /* next run; while running, the
                                             timeout */
    lb_health_group_t        *group;
    lb_target_t              *target;
    lb_zone_target_t         *zt;
    const lb_health_ops_t    *ops;

    struct sockaddr_storage   sa;         /* target address, monitor port */
    socklen_t                 socklen;
    const lb_sockaddr_t      *source;     /* NULL: the system's choice */

    /* TCP, HTTP, HTTPS */
    lb_connection_t          *c;
    void                     *tls;        /* HTTPS: the session */
    const char               *request;    /* HTTP: the whole request */
    size_t                    request_len;
    size_t                    sent;
    u_char                    buf[LB_HEALTH_RECV_MAX];
    size_t                    nbuf;
    unsigned                  status;     /* last HTTP status read */

    /* PING */
    uint16_t                  seq;        /* of the echo in flight */

    lb_msec_t                 started;
    int                       err;        /* errno behind a failure */
    lb_health_phase_e         phase;
    unsigned                  running:1;
    unsigned                  https:1;
};

extern const lb_health_ops_t  lb_check_ping_ops;
extern const lb_health_ops_t  lb_check_tcp_ops;
extern const lb_health_ops_t  lb_check_http_ops;

/* A check has ended: ok, or failed with cause (status: the HTTP status
 * behind LB_HEALTH_BAD_STATUS, else 0). Applies the result to the zone,
 * logs a transition and schedules the next run. The check must hold
 * nothing any more. */
void lb_health_check_done(lb_health_check_t *hc, bool ok,
    lb_health_cause_e cause, unsigned status);

/* The cause behind a connect()/socket errno. */
lb_health_cause_e lb_health_connect_cause(int err);

/* Close hc's connection (if any) and forget it. */
void lb_health_check_close(lb_health_check_t *hc);

/* Connect hc to its monitor address; on LB_OK or LB_AGAIN hc->c is set
 * and both its events call handler with c->data = hc. On anything else
 * the check is already done (failed). */
lb_int_t lb_health_check_connect(lb_health_check_t *hc,
    lb_event_handler_pt handler);

/* HTTP, HTTPS: build hc's request (method, url_path, version and a Host
 * header naming the target's address and monitor port) from pool. LB_OK
 * or LB_ERROR (logged). */
lb_int_t lb_check_http_request(lb_health_check_t *hc, lb_pool_t *pool);

/* ICMP: open the sockets PING checks need (before privileges are
 * dropped). LB_OK, or LB_ERROR (logged): PING checks then fail with
 * LB_HEALTH_NO_ICMP_SOCKET. Called again for a newer generation, it
 * opens only the families not open yet. */
lb_int_t lb_check_ping_init(bool inet, bool inet6);

#endif /* LB_HEALTH_CHECK_H */
