/* weir: the table of modules, as nginx's ngx_modules: every part that
 * plugs into a cycle (the TLS layer, the protocols) in one list, so that
 * the layers below never name the parts above them. Process control hands
 * it to lb_init_cycle() and walks it in each child. */
#ifndef LB_MODULE_H
#define LB_MODULE_H

#include "lb_cycle.h"

/* Ends with a NULL name. The first module that serves a listening socket
 * takes it, so the order is the order of precedence. */
extern const lb_module_t  lb_modules[];

/* On SIGUSR1 in a child: every module's reopen. */
void lb_modules_reopen(void);

#endif /* LB_MODULE_H */
