/* weir: basic types, statuses and forward declarations shared by all. */
#ifndef LB_CORE_TYPES_H
#define LB_CORE_TYPES_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lb_auto_config.h"

typedef intptr_t   lb_int_t;
typedef uintptr_t  lb_uint_t;
typedef uint64_t   lb_msec_t;      /* monotonic milliseconds */

/* statuses returned by functions that can fail or wait */
#define LB_OK         0
#define LB_ERROR     -1
#define LB_AGAIN     -2
#define LB_BUSY      -3
#define LB_DONE      -4
#define LB_DECLINED  -5

#define LB_INVALID_FD  -1

/* a counted string; not necessarily NUL-terminated */
typedef struct {
    size_t    len;
    char     *data;
} lb_str_t;

#define lb_string(s)      { sizeof(s) - 1, (char *) s }
#define lb_null_string    { 0, NULL }
#define lb_nelems(a)      (sizeof(a) / sizeof((a)[0]))
#define lb_min(a, b)      ((a) < (b) ? (a) : (b))
#define lb_max(a, b)      ((a) > (b) ? (a) : (b))
#define lb_align(d, a)    (((d) + ((a) - 1)) & ~((a) - 1))
#define lb_unused(x)      (void) (x)

#define LB_ALIGNMENT      sizeof(unsigned long)

typedef struct lb_pool_s            lb_pool_t;
typedef struct lb_log_s             lb_log_t;
typedef struct lb_array_s           lb_array_t;
typedef struct lb_cycle_s           lb_cycle_t;
typedef struct lb_listening_s       lb_listening_t;
typedef struct lb_connection_s      lb_connection_t;
typedef struct lb_event_s           lb_event_t;
typedef struct lb_shm_zone_s        lb_shm_zone_t;

typedef struct lb_conf_s            lb_conf_t;
typedef struct lb_load_balancer_s   lb_load_balancer_t;
typedef struct lb_listener_s        lb_listener_t;
typedef struct lb_target_group_s    lb_target_group_t;
typedef struct lb_target_s          lb_target_t;
typedef struct lb_health_monitor_s  lb_health_monitor_t;
typedef struct lb_persistence_s     lb_persistence_t;

#endif /* LB_CORE_TYPES_H */
