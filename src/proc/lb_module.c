/* weir: the table of modules (lb_module.h). A new protocol is one row:
 * the listener protocols it serves, the worker-side set-up of their
 * listening sockets and, when it keeps files open, their reopen. */
#include <stddef.h>

#include "lb_admin.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_dsr.h"
#include "lb_event_openssl.h"
#include "lb_http.h"
#include "lb_module.h"
#include "lb_peers_tls.h"
#include "lb_stream.h"
#include "lb_stream_udp.h"

#define LB_BIT  LB_LISTENER_BIT

const lb_module_t  lb_modules[] = {

    { .name = "tls",
      .init_conf = lb_ssl_init_cycle },

    { .name = "stream",
      .protocols = LB_BIT(LB_LISTENER_TCP) | LB_BIT(LB_LISTENER_TLS),
      .init_listening = lb_stream_init_listening },

    /* init_groups: udp's only points, so it can point back when http's
     * fails (lb_worker_apply()); http's is the last */
    { .name = "udp",
      .protocols = LB_BIT(LB_LISTENER_UDP),
      .init_listening = lb_stream_udp_init_listening,
      .init_groups = lb_stream_udp_init_groups },

    /* NLB_L4_DSR balancers' TCP and UDP listeners: packet sockets, no
     * TCP/UDP socket on the VIP; its init_groups can fail, so before
     * http's */
    { .name = "dsr",
      .init_conf = lb_dsr_init_conf,
      .protocols = LB_BIT(LB_LISTENER_TCP) | LB_BIT(LB_LISTENER_UDP),
      .balancer_types = LB_BALANCER_BIT(LB_BALANCER_NLB_L4_DSR),
      .open_listening = lb_dsr_open_listening,
      .init_listening = lb_dsr_init_listening,
      .init_groups = lb_dsr_init_groups },

    { .name = "http",
      .protocols = LB_BIT(LB_LISTENER_HTTP) | LB_BIT(LB_LISTENER_HTTPS),
      .init_listening = lb_http_init_listening,
      .init_groups = lb_http_init_groups,
      .reopen = lb_http_log_reopen },

    /* the admin API's token file, checked when a cycle is built */
    { .name = "admin",
      .init_conf = lb_admin_init_conf },

    /* peers.tls: its files, checked when a cycle is built */
    { .name = "peers",
      .init_conf = lb_peers_init_conf },

    { .name = NULL }
};


void
lb_modules_reopen(void)
{
    const lb_module_t  *m;

    for (m = lb_modules; m->name != NULL; m++) {
        if (m->reopen != NULL) {
            m->reopen();
        }
    }
}
