/* weir: the per-worker connection table. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "lb_connection.h"
#include "lb_event.h"
#include "lb_event_openssl.h"
#include "lb_event_timer.h"
#include "lb_log.h"
#include "lb_palloc.h"

/* a connection and its two events in one piece of memory */
typedef struct {
    lb_connection_t   c;
    lb_event_t        read;
    lb_event_t        write;
} lb_connection_slot_t;

static lb_connection_slot_t  *lb_connection_slots;
static lb_uint_t              lb_connection_n;       /* table size */
static lb_uint_t              lb_connection_used;    /* high-water mark */
static lb_connection_t       *lb_connection_free;
static lb_connection_t       *lb_connection_reclaimed;

/* the oldest epoch still held and the newest (NULL: none started) */
static lb_connection_epoch_t *lb_connection_epoch_oldest;
static lb_connection_epoch_t *lb_connection_epoch_current;
static lb_uint_t              lb_connection_number;
static bool                   lb_connection_full_logged;

lb_uint_t  lb_connection_clients;


lb_int_t
lb_connection_init(lb_uint_t n)
{
    /* calloc() of this size maps fresh zero pages: untouched slots cost
     * no memory */
    lb_connection_slots = calloc(n, sizeof(lb_connection_slot_t));
    if (lb_connection_slots == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "calloc() of %lu connections failed", (unsigned long) n);
        return LB_ERROR;
    }

    lb_connection_n = n;
    lb_connection_used = 0;
    lb_connection_free = NULL;
    lb_connection_reclaimed = NULL;
    lb_connection_clients = 0;

    return LB_OK;
}


lb_connection_t *
lb_get_connection(int fd)
{
    lb_connection_t       *c;
    lb_connection_slot_t  *slot;
    lb_pool_t             *pool;

    c = lb_connection_free;

    if (c != NULL) {
        lb_connection_free = c->next;
        slot = (lb_connection_slot_t *) c;

    } else if (lb_connection_used < lb_connection_n) {
        slot = &lb_connection_slots[lb_connection_used++];
        c = &slot->c;

    } else {
        if (!lb_connection_full_logged) {
            /* once per burst: a flood must not flood the log as well */
            lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                         "all %lu connection slots are in use",
                         (unsigned long) lb_connection_n);
            lb_connection_full_logged = true;
        }
        return NULL;
    }

    pool = c->pool;

    memset(slot, 0, sizeof(lb_connection_slot_t));

    c->pool = pool;
    c->fd = fd;
    c->read = &slot->read;
    c->write = &slot->write;
    c->number = ++lb_connection_number;

    slot->read.data = c;
    slot->write.data = c;
    slot->write.write = 1;

    c->epoch = lb_connection_epoch_current;
    if (c->epoch != NULL) {
        c->epoch->conns++;
    }

    return c;
}


void
lb_free_connection(lb_connection_t *c)
{
    if (c->client) {
        lb_connection_clients--;
        c->client = 0;
    }

    lb_connection_epoch_leave(c);

    c->fd = -1;
    c->next = lb_connection_reclaimed;
    lb_connection_reclaimed = c;
}


lb_int_t
lb_connection_epoch_start(uint64_t id, void (*release)(void *data),
    void *data)
{
    lb_connection_epoch_t  *e;

    e = calloc(1, sizeof(lb_connection_epoch_t));
    if (e == NULL) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "out of memory for a connection epoch");
        return LB_ERROR;
    }

    e->id = id;
    e->release = release;
    e->data = data;

    if (lb_connection_epoch_current != NULL) {
        lb_connection_epoch_current->newer = e;
    } else {
        lb_connection_epoch_oldest = e;
    }

    lb_connection_epoch_current = e;

    return LB_OK;
}


void
lb_connection_epoch_leave(lb_connection_t *c)
{
    if (c->epoch != NULL) {
        c->epoch->conns--;
        c->epoch = NULL;
    }
}


lb_uint_t
lb_connection_epoch_collect(void)
{
    lb_uint_t               n;
    lb_connection_epoch_t  *e;

    n = 0;

    for ( ;; ) {
        e = lb_connection_epoch_oldest;

        if (e == NULL || e->newer == NULL || e->conns != 0) {
            return n;
        }

        lb_connection_epoch_oldest = e->newer;

        if (e->release != NULL) {
            lb_log_error(LB_LOG_INFO, &lb_log, 0,
                         "generation %llu: no connection that could use it "
                         "is left, its memory is freed",
                         (unsigned long long) e->id);
        }

        if (e->release != NULL) {
            e->release(e->data);
        }

        free(e);
        n++;
    }
}


void
lb_close_connection(lb_connection_t *c)
{
    int  fd;

    if (c->fd == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                     "*%lu connection already closed",
                     (unsigned long) c->number);
        return;
    }

    lb_event_del_timer(c->read);
    lb_event_del_timer(c->write);
    lb_event_delete_posted(c->read);
    lb_event_delete_posted(c->write);
    c->read->active = 0;
    c->write->active = 0;

    if (c->ssl != NULL) {
        lb_ssl_free_connection(c);
    }

    fd = c->fd;
    lb_free_connection(c);

    /* close() removes the fd from the epoll set: nobody else holds it */
    if (close(fd) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno, "close() socket %d failed",
                     fd);
    }
}


lb_pool_t *
lb_connection_pool(lb_connection_t *c, size_t size)
{
    size_t  have;

    if (c->pool != NULL) {
        have = (size_t) (c->pool->block.end - (char *) c->pool);
        if (have >= size) {
            return c->pool;
        }
        lb_destroy_pool(c->pool);
        c->pool = NULL;
    }

    c->pool = lb_create_pool(size);
    if (c->pool == NULL) {
        lb_log_error(LB_LOG_CRIT, &lb_log, errno,
                     "*%lu out of memory for a connection pool of %lu bytes",
                     (unsigned long) c->number, (unsigned long) size);
    }

    return c->pool;
}


void
lb_connection_reclaim(void)
{
    lb_connection_t  *c, *next;

    for (c = lb_connection_reclaimed; c != NULL; c = next) {
        next = c->next;

        if (c->pool != NULL) {
            lb_reset_pool(c->pool);
        }

        c->next = lb_connection_free;
        lb_connection_free = c;
        lb_connection_full_logged = false;
    }

    lb_connection_reclaimed = NULL;
}


void
lb_connection_close_all(void)
{
    lb_uint_t         i;
    lb_connection_t  *c;

    for (i = 0; i < lb_connection_used; i++) {
        c = &lb_connection_slots[i].c;

        /* a handler closes its peer connection too: check every time */
        if (c->fd == -1 || c->listen) {
            continue;
        }

        c->close = 1;

        if (c->read->handler != NULL) {
            c->read->handler(c->read);

        } else {
            lb_close_connection(c);
        }

        if (c->fd != -1) {
            lb_log_error(LB_LOG_ALERT, &lb_log, 0,
                         "*%lu connection not closed by its handler",
                         (unsigned long) c->number);
            lb_close_connection(c);
        }
    }

    lb_connection_reclaim();
}


void
lb_connection_addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;
    char                        ip[INET6_ADDRSTRLEN];

    switch (sa->sa_family) {

    case AF_INET:
        sin = (const struct sockaddr_in *) sa;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
        snprintf(buf, size, "%s:%u", ip, (unsigned) ntohs(sin->sin_port));
        break;

    case AF_INET6:
        sin6 = (const struct sockaddr_in6 *) sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
        snprintf(buf, size, "[%s]:%u", ip, (unsigned) ntohs(sin6->sin6_port));
        break;

    case AF_UNIX:
        snprintf(buf, size, "unix:%.*s",
                 (int) sizeof(((const struct sockaddr_un *) sa)->sun_path),
                 ((const struct sockaddr_un *) sa)->sun_path);
        break;

    default:
        snprintf(buf, size, "(family %d)", (int) sa->sa_family);
        break;
    }
}
