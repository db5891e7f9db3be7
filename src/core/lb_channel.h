/* weir: the channel between the master and one child: a SOCK_SEQPACKET
 * socketpair made at spawn (src/proc/lb_spawn.c), one message per
 * datagram, file descriptors passed with SCM_RIGHTS.
 *
 * Children run as an unprivileged user (lb_child.c), so what needs root
 * goes through the master:
 *   LB_CHANNEL_LOGS       master -> child, before the SIGUSR1 that tells
 *                         the child to reopen its logs: the error log
 *                         (flag LB_CHANNEL_ERROR_LOG) and the access log
 *                         (LB_CHANNEL_ACCESS_LOG) the master reopened, in
 *                         that order;
 *   LB_CHANNEL_PERSIST    admin -> master (it gets SIGIO): write the
 *                         configuration text held by the memfd passed
 *                         along (value: its length) to the file weir runs
 *                         and apply it;
 *   LB_CHANNEL_PERSISTED  master -> admin: the answer; value: the request
 *                         number (lb_zone_gen_request()) that follows the
 *                         change, 0 when the file was not written; text:
 *                         why, or a warning (empty: none). */
#ifndef LB_CHANNEL_H
#define LB_CHANNEL_H

#include "lb_core_types.h"

#define LB_CHANNEL_MAX_FDS  2

typedef enum {
    LB_CHANNEL_LOGS = 1,
    LB_CHANNEL_PERSIST,
    LB_CHANNEL_PERSISTED
} lb_channel_cmd_e;

#define LB_CHANNEL_ERROR_LOG   0x1
#define LB_CHANNEL_ACCESS_LOG  0x2

typedef struct {
    uint32_t   command;     /* lb_channel_cmd_e */
    uint32_t   flags;
    uint64_t   value;
    char       text[512];   /* NUL-terminated */
} lb_channel_msg_t;

/* In a child: its end of the channel (-1: none, e.g. a single process). */
extern int  lb_channel;

/* Send m with nfds descriptors (may be 0) over channel fd. LB_OK; LB_AGAIN
 * when the peer's queue is full (non-blocking fd); LB_ERROR with errno. */
lb_int_t lb_channel_send(int fd, const lb_channel_msg_t *m, const int *fds,
    unsigned nfds);

/* Receive one message into m and its descriptors into fds[0..*nfds)
 * (LB_CHANNEL_MAX_FDS room; the caller owns them). wait: block for at
 * most wait ms (0: not at all). LB_OK; LB_AGAIN: nothing came; LB_DONE:
 * the peer closed its end; LB_ERROR with errno (a malformed message:
 * EBADMSG, its descriptors closed). */
lb_int_t lb_channel_recv(int fd, lb_channel_msg_t *m, int *fds,
    unsigned *nfds, int wait);

/* A memfd holding buf[0..len) (a text too big for one message is passed
 * as one): its fd (the caller closes it), or -1 with errno set. */
int lb_channel_memfd(const char *buf, size_t len);

#endif /* LB_CHANNEL_H */
