/* weir: telling systemd how the master is doing (sd_notify(3) protocol,
 * written here in a few lines: no libsystemd). Under a Type=notify unit
 * systemd sets $NOTIFY_SOCKET; the master sends one datagram per state:
 * READY=1 once its children run, RELOADING=1 (with MONOTONIC_USEC=, as
 * systemd 253 wants) when a reload starts and READY=1 when the new
 * generation runs (or the reload failed), STOPPING=1 at exit; each with
 * a STATUS= line for `systemctl status`. Without $NOTIFY_SOCKET every
 * call does nothing. Not the data path: a few datagrams per reload. */
#ifndef LB_NOTIFY_H
#define LB_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lb_core_types.h"

typedef enum {
    LB_NOTIFY_READY = 0,
    LB_NOTIFY_RELOADING,
    LB_NOTIFY_STOPPING,
    LB_NOTIFY_STATUS            /* only the STATUS= line */
} lb_notify_e;

/* The longest message lb_notify_format() writes (status cut to fit). */
#define LB_NOTIFY_MAX  512

/* Write the message of `what` into buf (size bytes, >= 1): its state line
 * ("READY=1\n", "RELOADING=1\nMONOTONIC_USEC=<usec>\n", "STOPPING=1\n",
 * nothing for LB_NOTIFY_STATUS), then "STATUS=<status>\n" when status is
 * not NULL, with newlines in status turned into spaces and the status cut
 * so that the message fits. Returns its length (no NUL counted; buf is
 * NUL-terminated), 0 when not even the state line fits. */
size_t lb_notify_format(char *buf, size_t size, lb_notify_e what,
    uint64_t monotonic_usec, const char *status);

/* The address of $NOTIFY_SOCKET's value: a path ("/run/systemd/notify")
 * or an abstract name ("@name": a leading NUL). LB_OK with *len the
 * address length, or LB_ERROR for an empty, relative or too long value. */
lb_int_t lb_notify_addr(const char *value, struct sockaddr_un *sa,
    socklen_t *len);

/* Read $NOTIFY_SOCKET (and unset it: children must not talk for the
 * master) and open the datagram socket. LB_OK also when the variable is
 * not set (notifications are then off); LB_ERROR (logged) for a value
 * that is no usable address or a socket() failure. */
lb_int_t lb_notify_init(void);

/* Send the message of `what` (see lb_notify_format(); the status is a
 * printf format, NULL for none). A failure is logged, never fatal. */
void lb_notify(lb_notify_e what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* LB_NOTIFY_H */
