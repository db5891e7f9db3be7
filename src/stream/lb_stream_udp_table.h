/* weir: the UDP session table of a worker (lb_stream_udp_table.c), used
 * by the UDP data path (lb_stream_udp.c) and its tests. */
#ifndef LB_STREAM_UDP_TABLE_H
#define LB_STREAM_UDP_TABLE_H

#include <sys/socket.h>

#include "lb_core_types.h"
#include "lb_hash.h"
#include "lb_stream_udp.h"

/* The session table of a worker: fixed-size sessions in one array taken
 * at start (its pages are touched only as sessions are first used), a
 * free list, hash buckets and a use-ordered list for eviction. */
typedef struct {
    lb_stream_udp_session_t **buckets;
    uint32_t                  mask;      /* nbuckets - 1 */
    uint32_t                  capacity;
    uint32_t                  nsessions;
    uint32_t                  used;      /* array slots handed out so far */
    size_t                    stride;    /* session + its tried bits */
    char                     *mem;
    lb_stream_udp_session_t  *free;
    lb_stream_udp_session_t  *newest;
    lb_stream_udp_session_t  *oldest;
    lb_hash_key_t             key;       /* per process: hashes differ */
} lb_stream_udp_table_t;

/* Take memory for capacity sessions, each followed by extra bytes (tried
 * bits of groups of over 256 targets). LB_OK or LB_ERROR (logged). */
lb_int_t lb_stream_udp_table_init(lb_stream_udp_table_t *t,
    uint32_t capacity, size_t extra);

/* Give the table's memory back (tests; a worker keeps it for life). */
void lb_stream_udp_table_free(lb_stream_udp_table_t *t);

/* The normalized key of sa into key and its hash for ls into *hash.
 * LB_OK, or LB_DECLINED for a family other than AF_INET/AF_INET6 or a
 * length too short for it. */
lb_int_t lb_stream_udp_table_key(lb_stream_udp_table_t *t,
    const lb_listening_t *ls, const struct sockaddr *sa, socklen_t len,
    lb_stream_udp_key_t *key, uint32_t *hash);

/* The session of (ls, key), or NULL. */
lb_stream_udp_session_t *lb_stream_udp_table_find(lb_stream_udp_table_t *t,
    const lb_listening_t *ls, const lb_stream_udp_key_t *key, uint32_t hash);

/* How many sessions of ls the client address of key (any port) has;
 * *oldest is the one of them used longest ago (NULL: none). hash is
 * key's (lb_stream_udp_table_key()): the address's sessions share it. */
uint32_t lb_stream_udp_table_client(lb_stream_udp_table_t *t,
    const lb_listening_t *ls, const lb_stream_udp_key_t *key, uint32_t hash,
    lb_stream_udp_session_t **oldest);

/* The session to evict from a full table: the oldest that is not
 * established among the scan oldest, else the oldest. NULL: empty. */
lb_stream_udp_session_t *lb_stream_udp_table_victim(
    lb_stream_udp_table_t *t, uint32_t scan);

/* A new session for (ls, key), zeroed, the newest in use order; NULL when
 * the table is full. */
lb_stream_udp_session_t *lb_stream_udp_table_add(lb_stream_udp_table_t *t,
    const lb_listening_t *ls, const lb_stream_udp_key_t *key, uint32_t hash);

/* Make s the newest in use order. */
void lb_stream_udp_table_touch(lb_stream_udp_table_t *t,
    lb_stream_udp_session_t *s);

/* Unlink s and put it on the free list. */
void lb_stream_udp_table_remove(lb_stream_udp_table_t *t,
    lb_stream_udp_session_t *s);

#endif /* LB_STREAM_UDP_TABLE_H */
