/* weir: building a cycle from the config file, taking over the previous
 * cycle's listening sockets. */
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_array.h"
#include "lb_conf.h"
#include "lb_cycle.h"
#include "lb_log.h"
#include "lb_palloc.h"

/* the kernel clamps it to net.core.somaxconn (4096 since Linux 5.4);
 * 511 overflowed with thousands of clients connecting at once */
#define LB_LISTEN_BACKLOG  4096

static lb_int_t lb_cycle_open_listening(lb_cycle_t *cycle, lb_cycle_t *old,
    const lb_module_t *modules);
static bool lb_cycle_module_claims(const lb_module_t *modules,
    const lb_module_t *m, uint32_t btype);
static int lb_open_listening_socket(const lb_sockaddr_t *addr, int type,
    bool freebind);
static void lb_cycle_report_errors(lb_array_t *errors);
static void lb_cycle_give_back(lb_cycle_t *cycle);

lb_cycle_t  *lb_cycle;


char *
lb_full_name(lb_pool_t *pool, const char *prefix, const char *name)
{
    if (name[0] == '/') {
        return lb_pstrdup(pool, name);
    }

    return lb_psprintf(pool, "%s/%s", prefix, name);
}


lb_cycle_t *
lb_init_cycle(lb_cycle_t *old, const char *prefix, const char *conf_file,
    unsigned mode, const lb_module_t *modules)
{
    size_t              i;
    lb_pool_t          *pool;
    lb_cycle_t         *cycle;
    lb_array_t          errors;
    lb_listening_t     *ls;
    const lb_module_t  *m;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (pool == NULL) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "out of memory");
        return NULL;
    }

    cycle = lb_pcalloc(pool, sizeof(lb_cycle_t));
    if (cycle == NULL) {
        goto nomem;
    }
    cycle->pool = pool;

    if (lb_array_init(&errors, pool, 8, sizeof(char *)) != LB_OK
        || lb_array_init(&cycle->listening, pool, 16,
                         sizeof(lb_listening_t)) != LB_OK)
    {
        goto nomem;
    }

    cycle->prefix = lb_pstrdup(pool, prefix);
    cycle->conf_file = lb_full_name(pool, prefix, conf_file);
    if (cycle->prefix == NULL || cycle->conf_file == NULL) {
        goto nomem;
    }

    /* the text is kept: a live change hands the workers these bytes */
    cycle->conf_text = lb_conf_read_file(pool, cycle->conf_file,
                                         &cycle->conf_len, &errors);
    if (cycle->conf_text != NULL) {
        cycle->conf = lb_conf_parse_string(pool, cycle->conf_file,
                                           cycle->conf_text, cycle->conf_len,
                                           &errors);
    }

    if (cycle->conf == NULL) {
        lb_cycle_report_errors(&errors);
        goto failed;
    }

    for (m = modules; (mode & LB_CYCLE_CHECK) && m && m->name; m++) {
        if (m->init_conf != NULL && m->init_conf(cycle) != LB_OK) {
            goto failed;
        }
    }

    cycle->error_log = lb_log_is_syslog(cycle->conf->error_log)
                       ? cycle->conf->error_log
                       : lb_full_name(pool, prefix, cycle->conf->error_log);
    cycle->pid_file = lb_full_name(pool, prefix, cycle->conf->pid_file);
    if (cycle->error_log == NULL || cycle->pid_file == NULL) {
        goto nomem;
    }

    cycle->access_log.fd = -1;
    cycle->access_log.level = LB_LOG_INFO;

    if (cycle->conf->access_log != NULL) {
        cycle->access_log.path = lb_log_is_syslog(cycle->conf->access_log)
            ? cycle->conf->access_log
            : lb_full_name(pool, prefix, cycle->conf->access_log);
        if (cycle->access_log.path == NULL) {
            goto nomem;
        }
    }

    if (old != NULL) {
        cycle->zone = old->zone;
    }

    if (mode == LB_CYCLE_RUN) {
        if (lb_cycle_open_listening(cycle, old, modules) != LB_OK) {
            goto failed;
        }
    }

    ls = cycle->listening.elts;
    for (i = 0; i < cycle->listening.nelts; i++) {
        ls[i].from = NULL;
    }

    return cycle;

nomem:
    lb_log_error(LB_LOG_EMERG, &lb_log, 0, "out of memory");

failed:
    /* taken-over sockets go back to the old cycle, which keeps running;
     * the ones this cycle opened itself are closed */
    if (cycle != NULL) {
        lb_release_cycle_failed(cycle, old);
    } else {
        lb_destroy_pool(pool);
    }
    return NULL;
}


static void
lb_cycle_give_back(lb_cycle_t *cycle)
{
    size_t           i;
    lb_listening_t  *ls;

    ls = cycle->listening.elts;
    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].from != NULL) {
            ls[i].from->fd = ls[i].fd;
            ls[i].fd = LB_INVALID_FD;
            ls[i].from = NULL;
        }
    }
}


/* Before the error log is open (start, -t) errors go to stderr as plain
 * lines; later (reload) into the log. */
static void
lb_cycle_report_errors(lb_array_t *errors)
{
    size_t   i;
    char   **msg;

    msg = errors->elts;
    for (i = 0; i < errors->nelts; i++) {
        if (lb_log.path == NULL) {
            fprintf(stderr, "%s\n", msg[i]);
        } else {
            lb_log_error(LB_LOG_EMERG, &lb_log, 0, "%s", msg[i]);
        }
    }
}


void
lb_cycle_report(const lb_cycle_t *cycle, const lb_conf_pos_t *pos,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    lb_cycle_vreport(cycle, pos, NULL, fmt, args);
    va_end(args);
}


void
lb_cycle_vreport(const lb_cycle_t *cycle, const lb_conf_pos_t *pos,
    const char *what, const char *fmt, va_list args)
{
    char  msg[2048];

    vsnprintf(msg, sizeof(msg), fmt, args);

    if (lb_log.path == NULL) {
        fprintf(stderr, "%s:%u:%u: %s%s%s\n", cycle->conf_file, pos->line,
                pos->col, what ? what : "", what ? ": " : "", msg);
        return;
    }

    lb_log_error(LB_LOG_EMERG, &lb_log, 0, "%s:%u:%u: %s%s%s",
                 cycle->conf_file, pos->line, pos->col, what ? what : "",
                 what ? ": " : "", msg);
}


static bool
lb_sockaddr_equal(const lb_sockaddr_t *a, const lb_sockaddr_t *b)
{
    return a->socklen == b->socklen
           && memcmp(&a->sa, &b->sa, a->socklen) == 0;
}


/* One socket per listener per worker slot. A socket of the old cycle with
 * the same address, type and slot is taken over (its fd moves here and
 * the old entry is marked -1), so reload never closes a listening socket
 * that is still wanted and never loses a queued connection. The first
 * module that serves a socket's protocol gives it its init. */
static lb_int_t
lb_cycle_open_listening(lb_cycle_t *cycle, lb_cycle_t *old,
    const lb_module_t *modules)
{
    uint32_t            b, l, slot;
    size_t              i;
    int                 type;
    uint32_t            btype;
    lb_conf_t          *conf;
    lb_int_t          (*open)(lb_cycle_t *, lb_listening_t *);
    lb_listener_t      *lsn;
    lb_listening_t     *ls, *ols;
    const lb_module_t  *m;

    conf = cycle->conf;

    for (b = 0; b < conf->nbalancers; b++) {
        for (l = 0; l < conf->balancers[b].nlisteners; l++) {
            lsn = &conf->balancers[b].listeners[l];
            type = lsn->protocol == LB_LISTENER_UDP ? SOCK_DGRAM
                                                     : SOCK_STREAM;

            for (slot = 0; slot < conf->worker_processes; slot++) {
                ls = lb_array_push(&cycle->listening);
                if (ls == NULL) {
                    lb_log_error(LB_LOG_EMERG, &lb_log, 0, "out of memory");
                    return LB_ERROR;
                }

                memset(ls, 0, sizeof(lb_listening_t));
                ls->fd = LB_INVALID_FD;
                ls->type = type;
                ls->slot = slot;
                ls->addr = lsn->addr;
                ls->listener = lsn;

                btype = LB_BALANCER_BIT(conf->balancers[b].type);
                open = NULL;

                for (m = modules; m && m->name && ls->init == NULL; m++) {
                    if ((m->protocols & LB_LISTENER_BIT(lsn->protocol))
                        && lb_cycle_module_claims(modules, m, btype))
                    {
                        ls->init = m->init_listening;
                        open = m->open_listening;
                    }
                }

                /* a module's own socket (a packet socket) is taken over
                 * as the others are, but only by a listener of the same
                 * protocol: a TCP and a UDP listener may share a port */
                if (open != NULL) {
                    type = SOCK_RAW;
                    ls->type = type;
                }

                ols = NULL;
                if (old != NULL) {
                    ols = old->listening.elts;
                    for (i = 0; i < old->listening.nelts; i++, ols++) {
                        if (ols->fd != LB_INVALID_FD && ols->type == type
                            && ols->slot == slot
                            && lb_sockaddr_equal(&ols->addr, &ls->addr)
                            && (type != SOCK_RAW
                                || ols->listener->protocol == lsn->protocol))
                        {
                            break;
                        }
                    }
                    if (i == old->listening.nelts) {
                        ols = NULL;
                    }
                }

                if (ols != NULL) {
                    ls->fd = ols->fd;
                    ls->from = ols;
                    ols->fd = LB_INVALID_FD;
                }

                if (open != NULL) {
                    /* with ls->fd taken over it only describes it */
                    if (open(cycle, ls) != LB_OK) {
                        return LB_ERROR;
                    }
                    continue;
                }

                if (ols != NULL) {
                    continue;
                }

                ls->fd = lb_open_listening_socket(&ls->addr, type,
                                                  conf->balancers[b].freebind);
                if (ls->fd == LB_INVALID_FD) {
                    return LB_ERROR;
                }
            }
        }
    }

    return LB_OK;
}


/* A module with balancer_types 0 serves listeners of every type no
 * module names; one with types serves only those. */
static bool
lb_cycle_module_claims(const lb_module_t *modules, const lb_module_t *m,
    uint32_t btype)
{
    const lb_module_t  *o;

    if (m->balancer_types != 0) {
        return (m->balancer_types & btype) != 0;
    }

    for (o = modules; o->name != NULL; o++) {
        if (o->balancer_types & btype) {
            return false;
        }
    }

    return true;
}


static int
lb_open_listening_socket(const lb_sockaddr_t *addr, int type, bool freebind)
{
    int  fd, one;

    one = 1;

    fd = socket(addr->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "socket() for %s failed",
                     addr->text);
        return LB_INVALID_FD;
    }

    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1
        || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1
        || (addr->sa.ss_family == AF_INET6
            && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
                          sizeof(one)) == -1))
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "setsockopt() for %s failed", addr->text);
        close(fd);
        return LB_INVALID_FD;
    }

    /* the VIP of a keepalived standby: bind now, serve once it arrives
     * (IPV6_FREEBIND is Linux 4.15's name for the IPv6 socket) */
    if (freebind
        && (addr->sa.ss_family == AF_INET6
            ? setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one))
            : setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)))
           == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "setsockopt(%s) for %s failed",
                     addr->sa.ss_family == AF_INET6 ? "IPV6_FREEBIND"
                                                    : "IP_FREEBIND",
                     addr->text);
        close(fd);
        return LB_INVALID_FD;
    }

    if (bind(fd, (const struct sockaddr *) &addr->sa, addr->socklen) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "bind() to %s%s failed",
                     type == SOCK_DGRAM ? "udp " : "", addr->text);
        close(fd);
        return LB_INVALID_FD;
    }

    if (type == SOCK_STREAM && listen(fd, LB_LISTEN_BACKLOG) == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno, "listen() on %s failed",
                     addr->text);
        close(fd);
        return LB_INVALID_FD;
    }

    return fd;
}


void
lb_cycle_close_listening(lb_cycle_t *cycle, uint32_t keep_slot)
{
    size_t           i;
    lb_listening_t  *ls;

    ls = cycle->listening.elts;
    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == LB_INVALID_FD || ls[i].slot == keep_slot) {
            continue;
        }

        if (close(ls[i].fd) == -1) {
            lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                         "close() of listening socket %s failed",
                         ls[i].addr.text);
        }

        ls[i].fd = LB_INVALID_FD;
    }
}


void
lb_release_cycle_failed(lb_cycle_t *cycle, lb_cycle_t *old)
{
    lb_cycle_give_back(cycle);
    lb_release_cycle(cycle, old);
}


void
lb_release_cycle(lb_cycle_t *old, lb_cycle_t *cycle)
{
    size_t           i;
    lb_listening_t  *ls;

    lb_unused(cycle);

    if (old == NULL) {
        return;
    }

    /* its workers have their own copy */
    if (old->access_log.fd > 2) {
        (void) close(old->access_log.fd);
        old->access_log.fd = -1;
    }

    ls = old->listening.elts;
    for (i = 0; i < old->listening.nelts; i++) {
        if (ls[i].fd != LB_INVALID_FD) {
            if (close(ls[i].fd) == -1) {
                lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                             "close() of listening socket %s failed",
                             ls[i].addr.text);
            }
            ls[i].fd = LB_INVALID_FD;
        }
    }

    lb_destroy_pool(old->pool);
}
