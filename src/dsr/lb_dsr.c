/* weir: the DSR module (lb_dsr.h). */
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_dsr.h"


lb_int_t
lb_dsr_init_conf(lb_cycle_t *cycle)
{
    uint32_t             b;
    lb_int_t             rc;
    lb_load_balancer_t  *bal;

    rc = LB_OK;

    for (b = 0; b < cycle->conf->nbalancers; b++) {
        bal = &cycle->conf->balancers[b];

        if (bal->type != LB_BALANCER_NLB_L4_DSR) {
            continue;
        }

        lb_cycle_report(cycle, &bal->pos, "load_balancers[%s].type: "
                        "NLB_L4_DSR is not served by this build yet (its "
                        "packet path is to come): it would run as a full "
                        "proxy, which hides the client's address from the "
                        "targets and sends the replies back through weir; "
                        "allowed here: ALB, NLB", bal->name);
        rc = LB_ERROR;
    }

    return rc;
}
