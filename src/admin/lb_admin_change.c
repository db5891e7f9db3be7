/* weir: how one change of the admin API is made (lb_admin_change.h;
 * SPEC.md sections 8 and 10, issue 11).
 *
 * Every change is made to a copy. The admin keeps the text of the
 * configuration it last wrote (at first, the cycle's configuration as the
 * dump prints it, with the ids it derived); a change reads that text into
 * a fresh pool, changes the copy in the object model (the structs of
 * lb_conf_types.h), prints the copy and reads it back with every rule of
 * `weir -t` (lb_conf_edit_check()). Only when that passes is the file
 * rewritten (lb_conf_persist(): atomic, previous kept as .bak); when the
 * write fails the answer is 500 and nothing changed, the file included.
 * Then the copy is the admin's configuration, and the master is asked to
 * apply the file (lb_zone_gen_request() + SIGUSR2).
 *
 * The admin process runs as an unprivileged user (lb_child.c) and cannot
 * replace a file root owns in a directory root owns: the master writes
 * it. The admin prints the text into a memfd and passes it over its
 * channel (LB_CHANNEL_PERSIST, lb_channel.h; the message wakes the master
 * with SIGIO: the admin may not signal root's process) and waits
 * (at most LB_ADMIN_PERSIST_WAIT ms) for the answer: the master wrote the
 * file with lb_conf_persist_file(), took a request number and goes on
 * to apply it, or says why it could not write it (500, nothing changed).
 * The API answers "written" only after the master's answer said so.
 *
 * A request body is checked in two steps: the syntax of the whole body
 * and the object's own rules by lb_conf_json_parse() (the schema of the
 * file; errors carry the field path and the message of `weir -t`), then
 * the rules between objects on the printed copy, whose error path is put
 * in the body's terms ("load_balancers[lb].target_groups[tg].name" ->
 * "target_group.name") when it is about the changed object.
 *
 * A PUT carries only the fields it changes: its pairs are laid over the
 * object's current fields (as JSON) and the result is read as a whole
 * object, so a partial body is judged by the same table as a full one.
 * Keys that are not fields of the file (load_balancer_id,
 * target_group_id, listener_id) are taken out of the body first.
 *
 * Statuses: create 201 with the object, update 200 with the object,
 * delete 204 without a body (Octavia's). The object is gone from the
 * file and from every GET at once; the master applies the deletion with
 * the next generation. provisioning_status: the balancer and its
 * children are PENDING_UPDATE (objects the change created:
 * PENDING_CREATE) until the zone says the request is ACTIVE, or ERROR
 * when the master could not apply it; meanwhile another change to the
 * balancer or a child answers 409, and a balancer in ERROR (or its
 * children) can only be deleted. The record of pending requests lives in
 * this process: a respawned admin process shows ACTIVE. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lb_admin.h"
#include "lb_admin_body.h"
#include "lb_admin_change.h"
#include "lb_admin_json.h"
#include "lb_admin_route.h"
#include "lb_admin_write.h"
#include "lb_channel.h"
#include "lb_balancer.h"
#include "lb_conf_edit.h"
#include "lb_conf_json.h"
#include "lb_conf_persist.h"
#include "lb_conf_types.h"
#include "lb_cycle.h"
#include "lb_http_parse.h"
#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_zone_gen.h"
#include "lb_zone_journal.h"

#define LB_ADMIN_PENDING   64       /* balancers followed at once */
#define LB_ADMIN_PERSIST_WAIT  30000  /* ms for the master to write the
                                         file (a reload may be in the
                                         way) */

/* the last change made to one balancer */
typedef struct {
    char                 id[LB_CONF_UUID_LEN + 1];
    uint64_t             request;
    char               **created;   /* malloc()ed ids, NULL-terminated */
} lb_admin_pending_t;

static lb_admin_pending_t *lb_admin_pending(const char *lb_id, bool make);
static void lb_admin_pending_free(lb_admin_pending_t *p);
static lb_target_group_t *lb_admin_group_of(lb_conf_t *c, const char *id,
    bool monitor);
static bool lb_admin_is(const char *oid, const char *id);
static lb_int_t lb_admin_persist(lb_cycle_t *cycle, lb_conf_t *conf,
    uint64_t *req, char *why, size_t size);
static lb_msec_t lb_admin_now(void);
static void lb_admin_publish(const lb_conf_t *conf, const char *text,
    size_t len);

static struct {
    lb_pool_t           *pool;      /* conf and text, after a change */
    lb_conf_t           *conf;      /* NULL: the cycle's */
    char                *text;
    size_t               len;
    lb_admin_pending_t   pending[LB_ADMIN_PENDING];
} lb_admin_w;

/* a PUT may not set these (they are not fields of the object, or the
 * file's own) */
const char *const  lb_admin_ro_keys[] = {
    "id", "provisioning_status", "operating_status", NULL
};


/* --- the admin's configuration and statuses --- */

lb_conf_t *
lb_admin_current(lb_cycle_t *cycle)
{
    return lb_admin_w.conf != NULL ? lb_admin_w.conf : cycle->conf;
}


const char *
lb_admin_prov(lb_cycle_t *cycle, const lb_load_balancer_t *b, const char *id)
{
    char                **c;
    lb_apply_state_e      st;
    lb_admin_pending_t   *p;

    if (b == NULL || b->id == NULL) {
        return "ACTIVE";
    }

    p = lb_admin_pending(b->id, false);
    if (p == NULL) {
        return "ACTIVE";
    }

    st = lb_zone_gen_state(cycle->zone, p->request, NULL);

    if (st == LB_APPLY_ERROR) {
        return "ERROR";
    }

    if (st == LB_APPLY_ACTIVE) {
        /* settled: forget it */
        lb_admin_pending_free(p);
        return "ACTIVE";
    }

    for (c = p->created; c != NULL && *c != NULL; c++) {
        if (id != NULL && strcmp(*c, id) == 0) {
            return "PENDING_CREATE";
        }
    }

    return "PENDING_UPDATE";
}


/* --- one change: the copy, the checks, the commit --- */

/* The copy of the current configuration in a pool of its own. false when
 * the request is answered (500). */
bool
lb_admin_begin(lb_admin_req_t *r, lb_admin_change_t *ch, const char *wrapper)
{
    lb_cycle_t            *cycle;
    lb_conf_edit_error_t   err;

    memset(ch, 0, sizeof(lb_admin_change_t));

    ch->r = r;
    ch->wrapper = wrapper;
    cycle = r->cycle;

    ch->pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (ch->pool == NULL) {
        lb_admin_error(r, 500, "out of memory");
        return false;
    }

    if (lb_admin_w.text == NULL) {
        /* the first change: the running configuration as the dump prints
         * it, ids included (derived ones for objects written by hand) */
        lb_admin_w.pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
        if (lb_admin_w.pool == NULL) {
            goto nomem;
        }

        lb_admin_w.text = lb_conf_edit_text(lb_admin_w.pool, cycle->conf,
                                            "", &lb_admin_w.len);
        if (lb_admin_w.text == NULL) {
            lb_destroy_pool(lb_admin_w.pool);
            lb_admin_w.pool = NULL;
            goto nomem;
        }
    }

    ch->conf = lb_conf_edit_read(ch->pool, cycle->conf_file,
                                 lb_admin_w.text, lb_admin_w.len, &err);
    if (ch->conf == NULL) {
        /* the text was read before: only memory can fail here */
        lb_log_error(LB_LOG_ALERT, &lb_log, 0, "admin: the running "
                     "configuration does not read back: %s: %s", err.path,
                     err.message);
        lb_admin_error(r, 500, "the running configuration does not read "
                       "back: %s", err.message);
        return false;
    }

    if (r->method != LB_HTTP_METHOD_DELETE
        && strcmp(wrapper, "members") != 0 && r->req_body == NULL)
    {
        lb_admin_error(r, 400, "a JSON body {\"%s\": {...}} is required",
                       wrapper);
        return false;
    }

    if (strcmp(wrapper, "members") == 0 && r->req_body == NULL) {
        lb_admin_error(r, 400, "a JSON body {\"members\": [...]} is "
                       "required");
        return false;
    }

    return true;

nomem:

    lb_admin_error(r, 500, "out of memory");
    return false;
}


void
lb_admin_end(lb_admin_change_t *ch)
{
    if (ch->pool != NULL) {
        lb_destroy_pool(ch->pool);
        ch->pool = NULL;
    }
}


/* SPEC.md 8: no change while one is pending; in ERROR only deletes */
bool
lb_admin_may_change(lb_admin_change_t *ch, const lb_load_balancer_t *b,
    bool deleting)
{
    const char          *why;
    lb_apply_state_e     st;
    lb_admin_pending_t  *p;

    p = lb_admin_pending(b->id, false);
    if (p == NULL) {
        return true;
    }

    why = NULL;
    st = lb_zone_gen_state(ch->r->cycle->zone, p->request, &why);

    if (st == LB_APPLY_PENDING) {
        lb_admin_error(ch->r, 409, "load balancer %s has a change pending "
                       "(request %llu); retry when its provisioning_status "
                       "is ACTIVE", b->id, (unsigned long long) p->request);
        return false;
    }

    if (st == LB_APPLY_ERROR && !deleting) {
        lb_admin_error(ch->r, 409, "load balancer %s is in ERROR (%s); an "
                       "object in ERROR can only be deleted", b->id,
                       why ? why : "the master could not apply the last "
                       "change");
        return false;
    }

    return true;
}


/* The copy judged as the file, written, made current, applied. false
 * when the request is answered (400 or 500). path: the changed object's
 * path in the file, whose errors are given in the body's terms. */
bool
lb_admin_commit(lb_admin_change_t *ch, const char *path)
{
    char                  *text, *field;
    size_t                 len, plen;
    uint64_t               req;
    uint32_t               i;
    lb_conf_t             *conf;
    lb_admin_req_t        *r;
    lb_admin_pending_t    *p;
    lb_conf_edit_error_t   err;
    char                   why[512];

    r = ch->r;

    /* SPEC.md section 12: every change the active node takes is a new
     * version of the configuration, written in the file with it */
    if (ch->conf->peers != NULL) {
        ch->conf->peers->config_version++;
    }

    conf = lb_conf_edit_check(ch->pool, r->cycle->conf_file, ch->conf,
                              &text, &len, &err);
    if (conf == NULL) {
        field = (char *) err.path;
        plen = strlen(path);

        if (plen > 0 && strncmp(err.path, path, plen) == 0
            && (err.path[plen] == '\0' || err.path[plen] == '.'))
        {
            field = lb_psprintf(ch->pool, "%s%s", ch->wrapper,
                                err.path + plen);
        }

        if (field != NULL && strcmp(ch->wrapper, "listener") == 0
            && strcmp(field, "listener.target_group") == 0)
        {
            field = "listener.target_group_id";
        }

        /* a group created for a listener (listener_id) that cannot use
         * it: the listener's reference is the body's listener_id */
        if (field != NULL && strcmp(ch->wrapper, "target_group") == 0
            && strncmp(field, "load_balancers[", 15) == 0
            && strstr(field, "].listeners[") != NULL
            && strlen(field) > sizeof("].target_group") - 1
            && strcmp(field + strlen(field) - (sizeof("].target_group") - 1),
                      "].target_group") == 0)
        {
            field = "target_group.listener_id";
        }

        lb_admin_field_error(ch, 400, field ? field : "", "%s", err.message);
        return false;
    }

    if (lb_admin_persist(r->cycle, conf, &req, why, sizeof(why)) != LB_OK)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, 0, "admin: the change was not "
                     "made: %s", why);
        lb_admin_error(r, 500, "the configuration file could not be "
                       "written, nothing was changed: %s", why);
        return false;
    }

    if (why[0] != '\0') {
        lb_log_error(LB_LOG_WARN, &lb_log, 0, "admin: %s", why);
    }

    /* the copy is the admin's configuration now */
    if (lb_admin_w.pool != NULL) {
        lb_destroy_pool(lb_admin_w.pool);
    }

    lb_admin_w.pool = ch->pool;
    lb_admin_w.conf = conf;
    lb_admin_w.text = text;
    lb_admin_w.len = len;
    ch->pool = NULL;
    ch->result = conf;

    lb_admin_publish(conf, text, len);

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "admin: %s %s: written, "
                 "request %llu", lb_http_method_strs[r->method],
                 ch->wrapper, (unsigned long long) req);

    if (ch->lb_id == NULL) {
        return true;
    }

    p = lb_admin_pending(ch->lb_id, true);
    if (p == NULL) {
        /* as many balancers pending as followed: this one shows ACTIVE */
        return true;
    }

    p->request = req;
    p->created = calloc(ch->ncreated + 1, sizeof(char *));

    for (i = 0; p->created != NULL && i < ch->ncreated; i++) {
        p->created[i] = strdup(ch->created[i]);
        if (p->created[i] == NULL) {
            break;
        }
    }

    return true;
}


/* The file written with conf and the master asked to apply it: LB_OK
 * with the request number in *req (why: "" or a warning), or LB_ERROR
 * with why saying what failed (the file is as it was). */
static lb_int_t
lb_admin_persist(lb_cycle_t *cycle, lb_conf_t *conf, uint64_t *req,
    char *why, size_t size)
{
    int               fd, fds[LB_CHANNEL_MAX_FDS];
    char             *buf;
    size_t            len;
    unsigned          nfds, i;
    lb_int_t          rc;
    lb_msec_t         start, now;
    lb_channel_msg_t  m;

    *req = 0;

    if (lb_channel == -1) {
        /* no master to write for us (cannot happen in a child of it):
         * the file as this process can */
        if (lb_conf_persist(conf, cycle->conf_file, why, size) != LB_OK) {
            return LB_ERROR;
        }
        *req = lb_zone_gen_request(cycle->zone);
        if (kill(getppid(), SIGUSR2) == -1) {
            lb_log_error(LB_LOG_ALERT, &lb_log, errno, "admin: kill(master, "
                         "SIGUSR2) failed: the change waits for a reload");
        }
        return LB_OK;
    }

    if (lb_conf_persist_dump(conf, &buf, &len, why, size) != LB_OK) {
        return LB_ERROR;
    }

    fd = lb_channel_memfd(buf, len);
    if (fd == -1) {
        snprintf(why, size, "handing the configuration to the master "
                 "failed: a memfd of %zu bytes: %s", len, strerror(errno));
        free(buf);
        return LB_ERROR;
    }

    free(buf);

    memset(&m, 0, sizeof(m));
    m.command = LB_CHANNEL_PERSIST;
    m.value = len;

    rc = lb_channel_send(lb_channel, &m, &fd, 1);
    (void) close(fd);

    if (rc != LB_OK) {
        snprintf(why, size, "handing the configuration to the master "
                 "failed: %s", rc == LB_AGAIN ? "its channel is full"
                                             : strerror(errno));
        return LB_ERROR;
    }

    /* the master answers between two of its signals: at once, unless a
     * reload is being built */
    start = lb_admin_now();

    for ( ;; ) {
        now = lb_admin_now();
        if (now - start >= LB_ADMIN_PERSIST_WAIT) {
            snprintf(why, size, "the master did not say in %d ms whether "
                     "it wrote the file", LB_ADMIN_PERSIST_WAIT);
            return LB_ERROR;
        }

        rc = lb_channel_recv(lb_channel, &m, fds, &nfds,
                             (int) (LB_ADMIN_PERSIST_WAIT - (now - start)));

        if (rc == LB_AGAIN) {
            continue;
        }

        if (rc != LB_OK) {
            snprintf(why, size, "reading the master's answer failed: %s",
                     rc == LB_DONE ? "the master is gone" : strerror(errno));
            return LB_ERROR;
        }

        if (m.command == LB_CHANNEL_LOGS) {
            /* a SIGUSR1 meanwhile: this process writes the error log
             * only */
            i = 0;
            if ((m.flags & LB_CHANNEL_ERROR_LOG) && nfds > 0) {
                fd = lb_log.fd;
                lb_log.fd = fds[i++];
                if (fd > 2) {
                    (void) close(fd);
                }
            }
            for ( ; i < nfds; i++) {
                (void) close(fds[i]);
            }
            continue;
        }

        for (i = 0; i < nfds; i++) {
            (void) close(fds[i]);
        }

        if (m.command != LB_CHANNEL_PERSISTED) {
            continue;
        }

        snprintf(why, size, "%s", m.text);

        if (m.value == 0) {
            return LB_ERROR;
        }

        *req = m.value;
        return LB_OK;
    }
}


/* CLOCK_MONOTONIC in ms, read now (the cached time stands still while
 * this process waits for the master) */
static lb_msec_t
lb_admin_now(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (lb_msec_t) ts.tv_sec * 1000 + (lb_msec_t) ts.tv_nsec / 1000000;
}


/* After a commit: {"key": {...}}, the object with this id in the new
 * configuration (a member: in the group the path names), or no body (key
 * NULL). It was just written: not finding it would be a bug, answered as
 * null rather than with a crash. */
void
lb_admin_answer(lb_admin_change_t *ch, unsigned status, const char *key,
    const char *id)
{
    lb_json_t            j;
    lb_conf_t           *c;
    lb_cycle_t          *cycle;
    lb_target_t         *t;
    lb_listener_t       *l;
    lb_admin_req_t      *r;
    lb_target_group_t   *g;
    lb_load_balancer_t  *b;

    r = ch->r;
    r->status = status;
    lb_admin_buf_reset(r->body);

    if (key == NULL) {
        return;
    }

    c = ch->result;
    cycle = r->cycle;

    lb_json_init(&j, r->body);
    lb_json_object(&j, NULL);

    if (strcmp(key, "load_balancer") == 0
        && (b = lb_admin_find_lb(c, id)) != NULL)
    {
        lb_admin_json_balancer(&j, key, cycle, b);

    } else if (strcmp(key, "listener") == 0
               && (l = lb_admin_find_listener(c, id)) != NULL)
    {
        lb_admin_json_listener(&j, key, cycle, l);

    } else if (strcmp(key, "target_group") == 0
               && (g = lb_admin_find_group(c, id)) != NULL)
    {
        lb_admin_json_group(&j, key, cycle, g);

    } else if (strcmp(key, "health_monitor") == 0
               && (g = lb_admin_find_monitor(c, id)) != NULL)
    {
        lb_admin_json_monitor(&j, key, cycle, g);

    } else if (strcmp(key, "member") == 0
               && (g = lb_admin_find_group(c, r->params[0])) != NULL
               && (t = lb_admin_find_member(g, id)) != NULL)
    {
        lb_admin_json_member(&j, key, cycle, t,
                             lb_weight_converted_total(g));

    } else {
        lb_json_null(&j, key);
    }

    lb_json_object_end(&j);
}


/* --- request bodies --- */

/* lb_conf_json_parse() of body[0..len) into the change's pool; false
 * when the request is answered with its error */
bool
lb_admin_parse(lb_admin_change_t *ch, const char *wrapper,
    const void *parent, const u_char *body, size_t len, void **out,
    uint32_t *n)
{
    lb_conf_json_error_t  err;

    if (lb_conf_json_parse(ch->pool, wrapper, parent, body, len,
                           LB_ADMIN_BODY_MAX, out, n, &err)
        != LB_OK)
    {
        lb_admin_conf_error(ch->r, &err);
        return false;
    }

    return true;
}


/* The request body as {"wrapper": {pairs}}. Its syntax is judged first
 * by lb_conf_json_parse() (the whole of JSON's rules, the nesting, NUL in
 * strings): a syntax error, or a body without the wrapper, is answered
 * with that function's error. false when the request is answered. */
bool
lb_admin_change_body(lb_admin_change_t *ch, const char *wrapper,
    lb_admin_body_t *b)
{
    void                  *out;
    uint32_t               n;
    lb_conf_json_error_t   err;

    memset(b, 0, sizeof(lb_admin_body_t));

    if (lb_conf_json_parse(ch->pool, wrapper, NULL, ch->r->req_body,
                           ch->r->req_len, LB_ADMIN_BODY_MAX, &out, &n, &err)
        != LB_OK && (err.code != 400 || err.field[0] == '\0'))
    {
        lb_admin_conf_error(ch->r, &err);
        return false;
    }

    if (!lb_admin_body_split(ch->r->req_body, ch->r->req_len, b)
        || b->wrapper_len != strlen(wrapper)
        || memcmp(b->wrapper, wrapper, b->wrapper_len) != 0)
    {
        if (err.code == 400) {
            lb_admin_conf_error(ch->r, &err);
        } else {
            lb_admin_error(ch->r, 400, "the body must be one JSON object "
                           "{\"%s\": {...}} with at most %d fields",
                           wrapper, LB_ADMIN_PAIRS);
        }
        return false;
    }

    return true;
}


/* Take "key": "<id>" | null out of the body. *given: the key was there;
 * *id: its value (NULL for null or absent). false when answered (400). */
bool
lb_admin_take_id(lb_admin_change_t *ch, lb_admin_body_t *b, const char *key,
    bool required, char **id, bool *given)
{
    char             *field;
    lb_admin_pair_t  *pr;

    *id = NULL;
    *given = false;

    field = lb_psprintf(ch->pool, "%s.%s", ch->wrapper, key);
    if (field == NULL) {
        lb_admin_error(ch->r, 500, "out of memory");
        return false;
    }

    pr = lb_admin_body_pair(b, key);
    if (pr == NULL) {
        if (required) {
            lb_admin_field_error(ch, 400, field, "missing required field "
                                 "\"%s\"", key);
            return false;
        }
        return true;
    }

    *given = true;

    if (pr->val_len == 4 && memcmp(pr->val, "null", 4) == 0) {
        if (required) {
            lb_admin_field_error(ch, 400, field, "must be an id, not null");
            return false;
        }

    } else if (pr->val_len >= 2 && pr->val[0] == '"'
               && memchr(pr->val, '\\', pr->val_len) == NULL)
    {
        *id = lb_pstrndup(ch->pool, (const char *) pr->val + 1,
                          pr->val_len - 2);
        if (*id == NULL) {
            lb_admin_error(ch->r, 500, "out of memory");
            return false;
        }

    } else {
        lb_admin_field_error(ch, 400, field, "must be the id of an object "
                             "(a string)");
        return false;
    }

    /* not a field of the file: out of the body the schema reads */
    pr->key_len = 0;

    return true;
}


/* the merged body (lb_admin_body_merge()); NULL when answered (500) */
u_char *
lb_admin_merge(lb_admin_change_t *ch, const char *wrapper,
    lb_admin_buf_t *base, lb_admin_body_t *b, size_t *len)
{
    u_char  *text;

    text = lb_admin_body_merge(ch->pool, wrapper, base, b, len);
    if (text == NULL) {
        lb_admin_error(ch->r, 500, "out of memory");
    }

    return text;
}


/* 400 for the first of keys the body has */
bool
lb_admin_refuse_keys(lb_admin_change_t *ch, lb_admin_body_t *b,
    const char *const *keys, const char *why)
{
    char  field[128];

    for ( /* void */ ; *keys != NULL; keys++) {
        if (lb_admin_body_pair(b, *keys) != NULL) {
            snprintf(field, sizeof(field), "%s.%s", ch->wrapper, *keys);
            lb_admin_field_error(ch, 400, field, "%s %s", *keys, why);
            return false;
        }
    }

    return true;
}


void
lb_admin_field_error(lb_admin_change_t *ch, unsigned status,
    const char *field, const char *fmt, ...)
{
    va_list                ap;
    lb_conf_json_error_t   e;
    char                   msg[1024];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    memset(&e, 0, sizeof(e));
    e.code = status;
    e.field = field;
    e.message = msg;

    lb_admin_conf_error(ch->r, &e);
}


/* --- ids and lists --- */

char *
lb_admin_new_id(lb_admin_change_t *ch)
{
    char  *id;

    id = lb_palloc(ch->pool, LB_CONF_UUID_LEN + 1);

    if (id == NULL || lb_conf_uuid(id) != LB_OK) {
        lb_admin_error(ch->r, 500, "no random bytes for a new id");
        return NULL;
    }

    if (ch->ncreated < LB_ADMIN_CREATED) {
        ch->created[ch->ncreated++] = id;
    }

    return id;
}


bool
lb_admin_ids_group(lb_admin_change_t *ch, lb_target_group_t *g)
{
    uint32_t  i;

    if (g->id != NULL) {
        lb_admin_field_error(ch, 400, "target_group.id", "id is given by "
                             "weir");
        return false;
    }

    if ((g->id = lb_admin_new_id(ch)) == NULL) {
        return false;
    }

    if (g->health_monitor != NULL
        && (g->health_monitor->id = lb_admin_new_id(ch)) == NULL)
    {
        return false;
    }

    for (i = 0; i < g->ntargets; i++) {
        if ((g->targets[i].id = lb_admin_new_id(ch)) == NULL) {
            return false;
        }
    }

    return true;
}


/* a new array of *n + 1 items from pool: the old ones, then item */
void *
lb_admin_append(lb_pool_t *pool, void *items, uint32_t *n, size_t size,
    const void *item)
{
    u_char  *a;

    a = lb_palloc(pool, (*n + 1) * size);
    if (a == NULL) {
        return NULL;
    }

    if (*n > 0) {
        memcpy(a, items, *n * size);
    }

    memcpy(a + *n * size, item, size);
    (*n)++;

    return a;
}


/* the copy's own array: item i out, the rest moved down */
void
lb_admin_remove(void *items, uint32_t *n, size_t size, uint32_t i)
{
    u_char  *a;

    a = items;
    memmove(a + i * size, a + (i + 1) * size, (*n - i - 1) * size);
    (*n)--;
}


lb_load_balancer_t *
lb_admin_find_lb(lb_conf_t *c, const char *id)
{
    uint32_t  b;

    for (b = 0; id != NULL && c != NULL && b < c->nbalancers; b++) {
        if (lb_admin_is(c->balancers[b].id, id)) {
            return &c->balancers[b];
        }
    }

    return NULL;
}


lb_listener_t *
lb_admin_find_listener(lb_conf_t *c, const char *id)
{
    uint32_t             b, i;
    lb_load_balancer_t  *lb;

    for (b = 0; id != NULL && c != NULL && b < c->nbalancers; b++) {
        lb = &c->balancers[b];
        for (i = 0; i < lb->nlisteners; i++) {
            if (lb_admin_is(lb->listeners[i].id, id)) {
                return &lb->listeners[i];
            }
        }
    }

    return NULL;
}


lb_target_group_t *
lb_admin_find_group(lb_conf_t *c, const char *id)
{
    return lb_admin_group_of(c, id, false);
}


lb_target_group_t *
lb_admin_find_monitor(lb_conf_t *c, const char *id)
{
    return lb_admin_group_of(c, id, true);
}


lb_target_t *
lb_admin_find_member(lb_target_group_t *g, const char *id)
{
    uint32_t  i;

    for (i = 0; id != NULL && g != NULL && i < g->ntargets; i++) {
        if (lb_admin_is(g->targets[i].id, id)) {
            return &g->targets[i];
        }
    }

    return NULL;
}


/* the group's path in the file as the reader names it */
char *
lb_admin_path_group(lb_admin_change_t *ch, const lb_load_balancer_t *b,
    const lb_target_group_t *g)
{
    return lb_psprintf(ch->pool, "load_balancers[%s].target_groups[%s]",
                       b->name, g->name);
}


/* --- lookups --- */

/* the group with this id, or (monitor) whose health monitor has it */
static lb_target_group_t *
lb_admin_group_of(lb_conf_t *c, const char *id, bool monitor)
{
    uint32_t             b, i;
    const char          *gid;
    lb_target_group_t   *g;
    lb_load_balancer_t  *lb;

    for (b = 0; id != NULL && c != NULL && b < c->nbalancers; b++) {
        lb = &c->balancers[b];
        for (i = 0; i < lb->ntarget_groups; i++) {
            g = &lb->target_groups[i];
            gid = !monitor ? g->id
                  : g->health_monitor != NULL ? g->health_monitor->id
                  : NULL;
            if (lb_admin_is(gid, id)) {
                return g;
            }
        }
    }

    return NULL;
}


/* an object's id (NULL: none yet) is the one asked for */
static bool
lb_admin_is(const char *oid, const char *id)
{
    return oid != NULL && strcmp(oid, id) == 0;
}


/* --- pending requests per balancer --- */

static lb_admin_pending_t *
lb_admin_pending(const char *lb_id, bool make)
{
    uint32_t             i;
    lb_admin_pending_t  *p, *free_slot;

    free_slot = NULL;

    for (i = 0; i < LB_ADMIN_PENDING; i++) {
        p = &lb_admin_w.pending[i];

        if (p->id[0] == '\0') {
            if (free_slot == NULL) {
                free_slot = p;
            }
            continue;
        }

        if (strcmp(p->id, lb_id) == 0) {
            if (make) {
                lb_admin_pending_free(p);
                free_slot = p;
                break;
            }
            return p;
        }
    }

    if (!make || free_slot == NULL) {
        return NULL;
    }

    snprintf(free_slot->id, sizeof(free_slot->id), "%s", lb_id);

    return free_slot;
}


static void
lb_admin_pending_free(lb_admin_pending_t *p)
{
    char  **c;

    for (c = p->created; c != NULL && *c != NULL; c++) {
        free(*c);
    }

    free(p->created);
    memset(p, 0, sizeof(lb_admin_pending_t));
}


/* --- the peers (SPEC.md section 12) --- */

/* A change written on this node: its version is this node's now, and
 * the sync process sends the text to the peers. */
static void
lb_admin_publish(const lb_conf_t *conf, const char *text, size_t len)
{
    if (conf->peers == NULL || lb_zone_journal == NULL) {
        return;
    }

    __atomic_store_n(&lb_zone_journal->conf_version,
                     (uint64_t) conf->peers->config_version,
                     __ATOMIC_RELEASE);

    if (lb_zone_conf_put(lb_zone_journal, LB_ZONE_CONF_OUT,
                         conf->peers->config_version, text, len)
        != LB_OK)
    {
        lb_log_error(LB_LOG_ERR, &lb_log, 0, "admin: the configuration of "
                     "version %u (%zu bytes) is too long to go to the "
                     "peers", conf->peers->config_version, len);
    }
}


lb_int_t
lb_admin_peer_change(lb_cycle_t *cycle, uint64_t version, const char *text,
    size_t len, char *why, size_t size)
{
    char                  *out;
    size_t                 olen;
    uint64_t               req;
    lb_pool_t             *pool;
    lb_conf_t             *remote, *copy, *conf;
    lb_conf_edit_error_t   err;

    why[0] = '\0';

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    if (pool == NULL) {
        snprintf(why, size, "out of memory");
        return LB_ERROR;
    }

    /* the peer's file, judged as a file: its load_balancers are taken,
     * this node's own settings (peers, admin, logs, ...) stay */
    remote = lb_conf_edit_read(pool, cycle->conf_file, text, len, &err);
    if (remote == NULL) {
        snprintf(why, size, "the peer's configuration of version %llu does "
                 "not read: %s: %s", (unsigned long long) version, err.path,
                 err.message);
        goto failed;
    }

    if (lb_admin_w.text == NULL) {
        lb_admin_w.pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
        if (lb_admin_w.pool == NULL) {
            snprintf(why, size, "out of memory");
            goto failed;
        }
        lb_admin_w.text = lb_conf_edit_text(lb_admin_w.pool, cycle->conf,
                                            "", &lb_admin_w.len);
        if (lb_admin_w.text == NULL) {
            lb_destroy_pool(lb_admin_w.pool);
            lb_admin_w.pool = NULL;
            snprintf(why, size, "out of memory");
            goto failed;
        }
    }

    copy = lb_conf_edit_read(pool, cycle->conf_file, lb_admin_w.text,
                             lb_admin_w.len, &err);
    if (copy == NULL || copy->peers == NULL) {
        snprintf(why, size, "this node's configuration does not read back");
        goto failed;
    }

    copy->balancers = remote->balancers;
    copy->nbalancers = remote->nbalancers;
    copy->peers->config_version = (uint32_t) version;

    conf = lb_conf_edit_check(pool, cycle->conf_file, copy, &out, &olen,
                              &err);
    if (conf == NULL) {
        snprintf(why, size, "the peer's load_balancers of version %llu do "
                 "not fit this node: %s: %s", (unsigned long long) version,
                 err.path, err.message);
        goto failed;
    }

    if (lb_admin_persist(cycle, conf, &req, why, size) != LB_OK) {
        goto failed;
    }

    if (lb_admin_w.pool != NULL) {
        lb_destroy_pool(lb_admin_w.pool);
    }

    lb_admin_w.pool = pool;
    lb_admin_w.conf = conf;
    lb_admin_w.text = out;
    lb_admin_w.len = olen;

    __atomic_store_n(&lb_zone_journal->conf_version, version,
                     __ATOMIC_RELEASE);

    lb_log_error(LB_LOG_NOTICE, &lb_log, 0, "admin: configuration version "
                 "%llu of the active node written, request %llu",
                 (unsigned long long) version, (unsigned long long) req);

    return LB_OK;

failed:

    lb_destroy_pool(pool);

    return LB_ERROR;
}
