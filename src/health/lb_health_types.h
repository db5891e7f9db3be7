/* weir: the names the health checker shares with the rest of weir: why a
 * check failed (stored in the zone as a 16-bit code, see
 * lb_health_cause_code()) and the operating statuses of SPEC.md section 8.
 * Both are X-macros so that names and values cannot drift. */
#ifndef LB_HEALTH_TYPES_H
#define LB_HEALTH_TYPES_H

#include "lb_core_types.h"

/* why a check failed; NONE is a success */
#define LB_HEALTH_CAUSES(X)                                               \
    X(NONE,              "none")                                          \
    X(CONNECT_REFUSED,   "connect refused")                               \
    X(CONNECT_TIMEOUT,   "connect timeout")                               \
    X(CONNECT_FAILED,    "connect failed")                                \
    X(UNREACHABLE,       "unreachable")                                   \
    X(TIMEOUT,           "timeout")                                       \
    X(RESET,             "connection reset")                              \
    X(CLOSED,            "closed before a response")                      \
    X(SEND_FAILED,       "send failed")                                   \
    X(RECV_FAILED,       "receive failed")                                \
    X(INVALID_RESPONSE,  "invalid response")                              \
    X(BAD_STATUS,        "bad status")                                    \
    X(TLS_ERROR,         "TLS error")                                     \
    X(TLS_TIMEOUT,       "TLS handshake timeout")                         \
    X(NO_ECHO_REPLY,     "no echo reply")                                 \
    X(NO_ICMP_SOCKET,    "no ICMP socket")                                \
    X(LOCAL_ERROR,       "local error")

#define LB_ENUM_HEALTH_CAUSE(n, s)  LB_HEALTH_##n,
typedef enum {
    LB_HEALTH_CAUSES(LB_ENUM_HEALTH_CAUSE)
    LB_HEALTH_NCAUSES
} lb_health_cause_e;
#undef LB_ENUM_HEALTH_CAUSE

/* NULL-terminated, indexed by lb_health_cause_e (lb_health_state.c) */
extern const char *const  lb_health_cause_names[];

/* A zone cause code (lb_zone_health_t.cause) is 0 for none, a
 * lb_health_cause_e below 100, or for LB_HEALTH_BAD_STATUS the HTTP status
 * itself (100..599), so that "bad status 500" survives in the zone. */
#define LB_HEALTH_CAUSE_STATUS_MIN  100
#define LB_HEALTH_CAUSE_STATUS_MAX  599

/* operating statuses (SPEC.md section 8): a target is ONLINE, ERROR,
 * DRAINING, OFFLINE or NO_MONITOR; a target group or a balancer ONLINE,
 * DEGRADED, ERROR, NO_MONITOR or OFFLINE */
#define LB_OPER_STATUSES(X)           \
    X(ONLINE,      "ONLINE")          \
    X(DEGRADED,    "DEGRADED")        \
    X(ERROR,       "ERROR")           \
    X(DRAINING,    "DRAINING")        \
    X(OFFLINE,     "OFFLINE")         \
    X(NO_MONITOR,  "NO_MONITOR")

#define LB_ENUM_OPER(n, s)  LB_OPER_##n,
typedef enum { LB_OPER_STATUSES(LB_ENUM_OPER) LB_OPER_N } lb_oper_status_e;
#undef LB_ENUM_OPER

/* NULL-terminated, indexed by lb_oper_status_e (lb_health_status.c) */
extern const char *const  lb_oper_status_names[];

#endif /* LB_HEALTH_TYPES_H */
