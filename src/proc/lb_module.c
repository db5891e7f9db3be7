/* weir: the table of modules (lb_module.h). A new protocol is one row:
 * its claim of the listening sockets it serves and, when it keeps files
 * open, their reopen. */
#include <stddef.h>

#include "lb_cycle.h"
#include "lb_event_openssl.h"
#include "lb_http.h"
#include "lb_module.h"
#include "lb_stream.h"
#include "lb_stream_udp.h"

const lb_module_t  lb_modules[] = {
    /* name       init_conf           init_listening           reopen */
    { "tls",      lb_ssl_init_cycle,  NULL,                    NULL },
    { "stream",   NULL,  lb_stream_module_listening,           NULL },
    { "udp",      NULL,  lb_stream_udp_module_listening,       NULL },
    { "http",     NULL,  lb_http_module_listening,  lb_http_log_reopen },
    { NULL,       NULL,               NULL,                    NULL }
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
