/* weir: main, placeholder until process control lands. */
#include <stdio.h>

#include "lb_core_types.h"

int
main(int argc, char *const *argv)
{
    printf("weir version 0.1.0\n");
    return 0;
}
