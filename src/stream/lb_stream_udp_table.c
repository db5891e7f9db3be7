/* weir: the UDP session table of a worker: sessions keyed by (listening
 * socket, client address and port) under a keyed hash the client cannot
 * aim at one chain, fixed-size records from one array taken at start, a
 * free list, and a use order (newest first) for eviction when full. The
 * data path that fills it is lb_stream_udp.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_hash.h"
#include "lb_log.h"
#include "lb_stream_udp.h"
#include "lb_stream_udp_table.h"

static uint32_t lb_stream_udp_hash(const lb_hash_key_t *hk,
    const lb_listening_t *ls, const lb_stream_udp_key_t *key);


lb_int_t
lb_stream_udp_table_init(lb_stream_udp_table_t *t, uint32_t capacity,
    size_t extra)
{
    uint32_t  nbuckets;

    memset(t, 0, sizeof(lb_stream_udp_table_t));

    if (capacity == 0) {
        capacity = 1;
    }

    /* chains stay short at a load of 1/2 at most */
    nbuckets = 1;
    while (nbuckets < 2 * capacity) {
        nbuckets <<= 1;
    }

    t->stride = lb_align(sizeof(lb_stream_udp_session_t) + extra,
                         LB_ALIGNMENT);

    t->buckets = calloc(nbuckets, sizeof(lb_stream_udp_session_t *));
    /* calloc() of this size maps fresh zero pages: sessions never used
     * cost no memory */
    t->mem = calloc(capacity, t->stride);

    if (t->buckets == NULL || t->mem == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "calloc() of %lu udp sessions failed",
                     (unsigned long) capacity);
        lb_stream_udp_table_free(t);
        return LB_ERROR;
    }

    t->mask = nbuckets - 1;
    t->capacity = capacity;

    /* a client picks its source address and port: a key it cannot know
     * keeps it from aiming many of them at one chain */
    if (lb_hash_key_init(&t->key) != LB_OK) {
        lb_stream_udp_table_free(t);
        return LB_ERROR;
    }

    return LB_OK;
}


void
lb_stream_udp_table_free(lb_stream_udp_table_t *t)
{
    free(t->buckets);
    free(t->mem);
    memset(t, 0, sizeof(lb_stream_udp_table_t));
}


lb_int_t
lb_stream_udp_table_key(lb_stream_udp_table_t *t, const lb_listening_t *ls,
    const struct sockaddr *sa, socklen_t len, lb_stream_udp_key_t *key,
    uint32_t *hash)
{
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    memset(key, 0, sizeof(lb_stream_udp_key_t));

    if (len < (socklen_t) sizeof(sa->sa_family)) {
        return LB_DECLINED;
    }

    switch (sa->sa_family) {

    case AF_INET:
        if (len < (socklen_t) sizeof(struct sockaddr_in)) {
            return LB_DECLINED;
        }
        sin = (const struct sockaddr_in *) sa;
        key->family = AF_INET;
        key->port = sin->sin_port;
        memcpy(key->addr, &sin->sin_addr, 4);
        break;

    case AF_INET6:
        if (len < (socklen_t) sizeof(struct sockaddr_in6)) {
            return LB_DECLINED;
        }
        sin6 = (const struct sockaddr_in6 *) sa;
        key->family = AF_INET6;
        key->port = sin6->sin6_port;
        key->scope_id = sin6->sin6_scope_id;
        memcpy(key->addr, &sin6->sin6_addr, 16);
        break;

    default:
        return LB_DECLINED;
    }

    *hash = lb_stream_udp_hash(&t->key, ls, key);

    return LB_OK;
}


/* SipHash of (listening socket, client address) under the table's own
 * key. The port is left out: every session of one client address is on
 * one chain, where lb_stream_udp_table_client() counts them (their number
 * is capped, so the chain stays short). */
static uint32_t
lb_stream_udp_hash(const lb_hash_key_t *hk, const lb_listening_t *ls,
    const lb_stream_udp_key_t *key)
{
    lb_stream_udp_key_t  a;
    uint8_t              k[sizeof(ls) + sizeof(lb_stream_udp_key_t)];

    a = *key;
    a.port = 0;

    memcpy(k, &ls, sizeof(ls));
    memcpy(k + sizeof(ls), &a, sizeof(lb_stream_udp_key_t));

    return (uint32_t) lb_hash_keyed(hk, k, sizeof(k));
}


lb_stream_udp_session_t *
lb_stream_udp_table_find(lb_stream_udp_table_t *t, const lb_listening_t *ls,
    const lb_stream_udp_key_t *key, uint32_t hash)
{
    lb_stream_udp_session_t  *s;

    for (s = t->buckets[hash & t->mask]; s != NULL; s = s->hnext) {
        if (s->hash == hash && s->listening == ls
            && memcmp(&s->key, key, sizeof(lb_stream_udp_key_t)) == 0)
        {
            return s;
        }
    }

    return NULL;
}


uint32_t
lb_stream_udp_table_client(lb_stream_udp_table_t *t,
    const lb_listening_t *ls, const lb_stream_udp_key_t *key, uint32_t hash,
    lb_stream_udp_session_t **oldest)
{
    uint32_t                  n;
    lb_stream_udp_session_t  *s;

    n = 0;
    *oldest = NULL;

    for (s = t->buckets[hash & t->mask]; s != NULL; s = s->hnext) {
        if (s->hash != hash || s->listening != ls
            || s->key.family != key->family
            || s->key.scope_id != key->scope_id
            || memcmp(s->key.addr, key->addr, sizeof(key->addr)) != 0)
        {
            continue;
        }

        n++;

        if (*oldest == NULL || s->active < (*oldest)->active) {
            *oldest = s;
        }
    }

    return n;
}


lb_stream_udp_session_t *
lb_stream_udp_table_victim(lb_stream_udp_table_t *t, uint32_t scan)
{
    uint32_t                  i;
    lb_stream_udp_session_t  *s;

    for (s = t->oldest, i = 0; s != NULL && i < scan; s = s->newer, i++) {
        if (!lb_stream_udp_established(s)) {
            return s;
        }
    }

    return t->oldest;
}


lb_stream_udp_session_t *
lb_stream_udp_table_add(lb_stream_udp_table_t *t, const lb_listening_t *ls,
    const lb_stream_udp_key_t *key, uint32_t hash)
{
    lb_stream_udp_session_t  *s, **bucket;

    if (t->free != NULL) {
        s = t->free;
        t->free = s->hnext;

    } else if (t->used < t->capacity) {
        s = (lb_stream_udp_session_t *) (t->mem + t->used * t->stride);
        t->used++;

    } else {
        return NULL;
    }

    memset(s, 0, t->stride);

    s->listening = (lb_listening_t *) ls;
    s->key = *key;
    s->hash = hash;

    bucket = &t->buckets[hash & t->mask];
    s->hnext = *bucket;
    *bucket = s;

    s->older = t->newest;
    if (t->newest != NULL) {
        t->newest->newer = s;
    } else {
        t->oldest = s;
    }
    t->newest = s;

    t->nsessions++;

    return s;
}


void
lb_stream_udp_table_touch(lb_stream_udp_table_t *t,
    lb_stream_udp_session_t *s)
{
    if (t->newest == s) {
        return;
    }

    /* s has a newer one, so s->newer is set; unlink, then put first */
    s->newer->older = s->older;
    if (s->older != NULL) {
        s->older->newer = s->newer;
    } else {
        t->oldest = s->newer;
    }

    s->newer = NULL;
    s->older = t->newest;
    t->newest->newer = s;
    t->newest = s;
}


void
lb_stream_udp_table_remove(lb_stream_udp_table_t *t,
    lb_stream_udp_session_t *s)
{
    lb_stream_udp_session_t  **pp;

    for (pp = &t->buckets[s->hash & t->mask]; *pp != NULL;
         pp = &(*pp)->hnext)
    {
        if (*pp == s) {
            *pp = s->hnext;
            break;
        }
    }

    if (s->newer != NULL) {
        s->newer->older = s->older;
    } else {
        t->newest = s->older;
    }

    if (s->older != NULL) {
        s->older->newer = s->newer;
    } else {
        t->oldest = s->newer;
    }

    s->newer = NULL;
    s->older = NULL;
    s->listening = NULL;

    s->hnext = t->free;
    t->free = s;

    t->nsessions--;
}
