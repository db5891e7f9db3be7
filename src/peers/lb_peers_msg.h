/* weir: the messages of the sync protocol between peers (SPEC.md section
 * 12). A message is a frame: a 4-byte length (big-endian, of what
 * follows, at most LB_PEERS_MSG_MAX), the protocol version byte
 * (LB_PEERS_VERSION), the type byte, then the type's fields. Numbers are
 * big-endian; a string or byte run is its length (1 byte; 2 for a key)
 * then its bytes. A frame's fields must fill it exactly.
 *
 *   HELLO       node name, epoch (8): the connecting side, whose changes
 *               the connection carries; epoch names its journal
 *   WELCOME     node name, last id (8): the accepting side: the last
 *               update id of that epoch it applied (0: none, resync)
 *   FULL_BEGIN  id (8): a full copy follows; after it, updates from id
 *   ENTRY       a binding of the full copy (as UPDATE with id 0)
 *   FULL_END    id (8)
 *   UPDATE      id (8), op (1: set, 2: delete), table, key, ttl ms (4),
 *               value kind (0: bytes, 1: a target), then for bytes the
 *               value, for a target its group id and address (family 2,
 *               port 2, scope id 4, address 16: lb_zone_addr_t)
 *   ACK         id (8): every update up to id is applied
 *   STATE       role (1: active, 2: standby), configuration version
 *               (8): the connecting side's, at the start and once a
 *               second (its heartbeat)
 *   CONFIG-BEGIN  version (8), length (4, at most LB_PEERS_CONF_MAX):
 *               the configuration text of that version follows in
 *   CONFIG-PART bytes (2-byte length), in order, then
 *   CONFIG-END  version (8)
 *
 * lb_peers_msg_parse() reads one frame; it never reads past len and
 * accepts no frame whose fields do not fit it. */
#ifndef LB_PEERS_MSG_H
#define LB_PEERS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "lb_core_types.h"
#include "lb_zone.h"

#define LB_PEERS_VERSION       1
#define LB_PEERS_MSG_MAX       1024    /* frame body, bytes */
#define LB_PEERS_NAME_MAX      63
#define LB_PEERS_CONF_MAX      (1024 * 1024)
#define LB_PEERS_PART_MAX      960

#define LB_PEERS_MSG_TYPES(X)          \
    X(HELLO,       1, "HELLO")        \
    X(WELCOME,     2, "WELCOME")      \
    X(FULL_BEGIN,  3, "FULL-BEGIN")   \
    X(ENTRY,       4, "ENTRY")        \
    X(FULL_END,    5, "FULL-END")     \
    X(UPDATE,      6, "UPDATE")       \
    X(ACK,         7, "ACK")          \
    X(STATE,       8, "STATE")        \
    X(CONF_BEGIN,  9, "CONFIG-BEGIN") \
    X(CONF_PART,  10, "CONFIG-PART")  \
    X(CONF_END,   11, "CONFIG-END")

#define LB_PEERS_ENUM(n, v, s)  LB_PEERS_##n = v,
typedef enum { LB_PEERS_MSG_TYPES(LB_PEERS_ENUM) } lb_peers_msg_e;
#undef LB_PEERS_ENUM

#define LB_PEERS_VALUE_BYTES   0
#define LB_PEERS_VALUE_TARGET  1

typedef struct {
    const uint8_t      *data;
    size_t              len;
} lb_peers_span_t;

typedef struct {
    uint8_t             type;         /* lb_peers_msg_e */
    lb_peers_span_t     name;         /* HELLO, WELCOME */
    uint64_t            id;           /* epoch of HELLO; every other id */
    uint8_t             op;           /* ENTRY, UPDATE */
    uint8_t             role;         /* STATE */
    uint32_t            length;       /* CONFIG-BEGIN */
    uint8_t             value_kind;
    uint32_t            ttl;
    lb_peers_span_t     table;
    lb_peers_span_t     key;
    lb_peers_span_t     value;        /* BYTES; CONFIG-PART */
    lb_peers_span_t     group;        /* TARGET */
    lb_zone_addr_t      addr;         /* TARGET */
} lb_peers_msg_t;

/* The name of a type, "?" for none. */
const char *lb_peers_msg_name(uint8_t type);

/* Read the frame at buf[0..len). LB_OK: *m filled (its spans point into
 * buf), *used its size. LB_AGAIN: the frame is not whole yet. LB_ERROR:
 * not a frame of this protocol; *why says what (a static string). */
lb_int_t lb_peers_msg_parse(const uint8_t *buf, size_t len,
    lb_peers_msg_t *m, size_t *used, const char **why);

/* Write m as a frame at buf (room bytes). Returns its size, or 0 when it
 * does not fit or a field is too long. */
size_t lb_peers_msg_write(uint8_t *buf, size_t room, const lb_peers_msg_t *m);

#endif /* LB_PEERS_MSG_H */
