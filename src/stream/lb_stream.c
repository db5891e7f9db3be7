/* weir: per-worker set-up of stream (L4) listening sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_event.h"
#include "lb_log.h"
#include "lb_stream.h"


lb_int_t
lb_stream_init_listening(lb_listening_t *ls)
{
    int  one;

    /* set once here instead of once per accepted connection: Linux copies
     * it to every socket accepted from ls */
    one = 1;
    if (setsockopt(ls->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))
        == -1)
    {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "setsockopt(TCP_NODELAY) on %s failed", ls->addr.text);
    }

    return lb_event_add_listening(ls, lb_stream_proxy_init_connection,
                                  LB_STREAM_POOL_SIZE);
}
