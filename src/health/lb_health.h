/* weir: the health checker process (DESIGN.md, processes). One process,
 * spawned and respawned by the master, runs the checks of every target
 * group that has a health_monitor on its own event loop and is the only
 * writer of target health in the shared zone: the state machine of
 * lb_health_state.h is applied to the zone's copy after every check, so a
 * new checker (after a reload or a crash) continues from where the last
 * one was. Checks go to each target's monitor_port; the first ones start
 * at once, spread over at most one second, then every `delay` seconds
 * less a small jitter, each bounded by `timeout`. */
#ifndef LB_HEALTH_H
#define LB_HEALTH_H

#include <sys/socket.h>

#include "lb_conf_types.h"
#include "lb_core_types.h"
#include "lb_health_types.h"

/* the checker wakes at least this often to look at its signal flags */
#define LB_HEALTH_TICK           500

/* The health checker's hooks in the child skeleton (src/proc/lb_child.c),
 * which runs them in the checker's process: init, with the event loop up
 * and still as root, builds one check per target of every monitored
 * group (and marks the targets of the others healthy), opens the ICMP
 * sockets and schedules the first checks; LB_OK, or LB_ERROR (logged)
 * when the checker cannot run. quit (fast or not) logs and returns
 * LB_DONE: the checker exits at once. */
lb_int_t lb_health_init(lb_cycle_t *cycle, uint32_t slot);

/* The address families conf has PING checks of: the checker opens their
 * ICMP sockets at its start, before it drops its privileges; a change
 * that needs a family the running checker has not opened takes a new
 * checker (lb_process_cycle.c). */
void lb_health_ping_families(const lb_conf_t *conf, bool *inet,
    bool *inet6);
lb_int_t lb_health_quit(lb_cycle_t *cycle, bool fast);

/* The checker's loop hook: on SIGUSR2 it takes up the generation the
 * master published (lb_zone_gen.h), rebuilding its checks in place. */
lb_int_t lb_health_loop(lb_cycle_t *cycle, lb_msec_t *wait);

/* A health-check source address of a balancer (SPEC.md section 6,
 * health_check_ips, listed per subnet): checks of its targets in subnet_id
 * leave from addr (port 0). subnet_id NULL: for targets of any subnet. */
typedef lb_health_check_ip_t  lb_health_source_t;

/* The address checks of target t leave from, chosen from its balancer's
 * sources[0..n): the first of t's address family for t's subnet_id, else
 * the first of that family for any subnet; NULL (the system's choice)
 * when none fits. */
const lb_sockaddr_t *lb_health_pick_source(const lb_health_source_t *sources,
    uint32_t n, const lb_target_t *t);

/* Start a non-blocking TCP connect to sa, from src when it is not NULL
 * (bound before connecting, port chosen at connect time), in a connection
 * slot added to the loop. The same contract as lb_event_connect(): LB_OK
 * (connected), LB_AGAIN (in progress), LB_DECLINED (*err: connect() or
 * bind() failed at once), LB_ERROR (logged: no socket or slot). */
lb_int_t lb_health_connect(const struct sockaddr *sa, socklen_t socklen,
    const struct sockaddr *src, socklen_t srclen, lb_connection_t **cp,
    int *err);

/* Whether HTTP status code (100..599) is in the bitmap of accepted codes
 * of hm (expected_codes, parsed by the configuration). */
bool lb_health_code_expected(const lb_health_monitor_t *hm, unsigned code);

/* Parse the status line at the start of a response, buf[0..len): LB_OK
 * with *code (100..599) once "HTTP/d.d ddd" and the character after it
 * (SP, CR or LF) are there; LB_AGAIN when more bytes are needed;
 * LB_ERROR when it cannot be a status line. */
lb_int_t lb_health_parse_status(const u_char *buf, size_t len,
    unsigned *code);

#endif /* LB_HEALTH_H */
