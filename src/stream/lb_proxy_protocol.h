/* weir: PROXY protocol headers (HAProxy's proxy-protocol.txt, versions 1
 * and 2), sent to PROXY target groups before the client's bytes so the
 * target learns the real client and the address it connected to. Only
 * the builder lives here: the TCP proxy (lb_stream_proxy.c) and the HTTP
 * proxy both put its output in front of what they forward. */
#ifndef LB_PROXY_PROTOCOL_H
#define LB_PROXY_PROTOCOL_H

#include <sys/socket.h>

#include "lb_core_types.h"

/* "PROXY TCP6 <39> <39> 65535 65535\r\n" is 104 bytes; the spec's bound
 * is 107 */
#define LB_PROXY_PROTOCOL_V1_MAX  107

/* 16-byte fixed part, then 36 bytes of IPv6 addresses and ports */
#define LB_PROXY_PROTOCOL_V2_MAX  52

/* room for a header of either version */
#define LB_PROXY_PROTOCOL_MAX     LB_PROXY_PROTOCOL_V1_MAX

/* Write the PROXY protocol header of `version` (1 or 2) for a connection
 * from client to local (the balancer address the client reached) into
 * buf, and return its length; 0 when size is too small for it or version
 * is neither 1 nor 2. sotype is SOCK_STREAM or SOCK_DGRAM (version 2
 * only: version 1 has no UDP and says UNKNOWN). IPv4-mapped IPv6
 * addresses are written as IPv4. When the two addresses are not of one
 * family (or not IP) the header says so: "PROXY UNKNOWN\r\n" (v1), or a
 * PROXY command with family UNSPEC and no addresses (v2); the target then
 * uses the connection's own addresses. Pure: no allocation, no I/O, buf
 * is not NUL-terminated. */
size_t lb_proxy_protocol_write(uint8_t *buf, size_t size, unsigned version,
    int sotype, const struct sockaddr *client, const struct sockaddr *local);

#endif /* LB_PROXY_PROTOCOL_H */
