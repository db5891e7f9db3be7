/* weir: the stable ids of configuration objects. An object without an
 * `id` gets one derived from what names it (the stable 128-bit hash of
 * lb_hash.h over the object kind, the balancer name and the object name;
 * for a member the group id and address:port), written as a version 8
 * UUID. It is the same on every parse of the same file, does not change
 * when other objects are added, and survives a rename once the API has
 * written it into the file. A derived id never takes an id written in the
 * file: it is then derived again with a counter. */
#include <stdio.h>
#include <string.h>

#include "lb_conf_id.h"
#include "lb_conf_schema.h"
#include "lb_hash.h"
#include "lb_palloc.h"

typedef struct {
    const char           *id;
    const lb_conf_obj_t  *obj;
} lb_conf_id_slot_t;

typedef struct {
    lb_conf_id_slot_t    *slots;
    uint32_t              size;      /* a power of 2 */
    uint32_t              n;
} lb_conf_ids_t;

static void lb_conf_ids_one(lb_conf_cx_t *cx, lb_conf_ids_t *ids,
    unsigned pass, lb_conf_obj_t *obj, const char *kind, const char *a,
    const char *b);
static lb_int_t lb_conf_ids_add(lb_conf_cx_t *cx, lb_conf_ids_t *ids,
    const char *id, const lb_conf_obj_t *obj, bool report);
static char *lb_conf_ids_make(lb_conf_cx_t *cx, lb_conf_ids_t *ids,
    const lb_conf_obj_t *obj, const char *kind, const char *a,
    const char *b);
static void lb_conf_uuid(char *out, const char *kind, const char *a,
    const char *b, unsigned salt);


/* written ids first (each must be unique), then the derived ones, which
 * step aside from written ones */
void
lb_conf_ids(lb_conf_cx_t *cx, lb_conf_obj_t *root)
{
    unsigned             pass;
    char                 nth[16];
    uint32_t             b, i, g, m, n, k, r;
    const char          *lname;
    lb_conf_ids_t        ids;
    lb_listener_t       *l;
    lb_l7_policy_t      *p;
    lb_conf_obj_t       *bobj, *lobj, *gobj, *hobj, *tobj, *pobj, *robj;
    lb_target_t         *t;
    lb_target_group_t   *tg;

    /* size the table for every object that can carry an id */
    n = 16;
    for (b = 0; (bobj = lb_conf_child(root, "load_balancers", b)); b++) {
        n += 1 + lb_conf_nchildren(bobj, "listeners");
        for (i = 0; (lobj = lb_conf_child(bobj, "listeners", i)); i++) {
            for (k = 0; (pobj = lb_conf_child(lobj, "l7_policies", k)); k++)
            {
                n += 1 + lb_conf_nchildren(pobj, "rules");
            }
        }
        for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g)); g++) {
            n += 2 + lb_conf_nchildren(gobj, "members");
        }
    }

    for (ids.size = 32; ids.size < 2 * n; ids.size *= 2) { /* void */ }

    ids.n = 0;
    ids.slots = lb_pcalloc(cx->tmp, ids.size * sizeof(lb_conf_id_slot_t));
    if (ids.slots == NULL) {
        cx->nomem = 1;
        return;
    }

    for (pass = 0; pass < 2; pass++) {
        for (b = 0; (bobj = lb_conf_child(root, "load_balancers", b)); b++) {
            lname = lb_conf_name_of(bobj);

            lb_conf_ids_one(cx, &ids, pass, bobj, "load_balancer", lname,
                            "");

            for (i = 0; (lobj = lb_conf_child(bobj, "listeners", i)); i++) {
                lb_conf_ids_one(cx, &ids, pass, lobj, "listener", lname,
                                lb_conf_name_of(lobj));

                /* policies by the listener's id and their name (else
                 * their place), rules by the policy's id and place: set
                 * in this pass */
                l = lobj->data;

                for (k = 0; (pobj = lb_conf_child(lobj, "l7_policies", k));
                     k++)
                {
                    p = pobj->data;
                    snprintf(nth, sizeof(nth), "#%u", k);
                    lb_conf_ids_one(cx, &ids, pass, pobj, "l7policy", l->id,
                                    lb_conf_name_of(pobj) != NULL
                                    ? lb_conf_name_of(pobj) : nth);

                    for (r = 0; (robj = lb_conf_child(pobj, "rules", r)); r++)
                    {
                        snprintf(nth, sizeof(nth), "#%u", r);
                        lb_conf_ids_one(cx, &ids, pass, robj, "l7rule", p->id,
                                        nth);
                    }
                }
            }

            for (g = 0; (gobj = lb_conf_child(bobj, "target_groups", g));
                 g++)
            {
                tg = gobj->data;

                lb_conf_ids_one(cx, &ids, pass, gobj, "target_group", lname,
                                lb_conf_name_of(gobj));

                hobj = lb_conf_child(gobj, "health_monitor", 0);
                if (hobj != NULL) {
                    lb_conf_ids_one(cx, &ids, pass, hobj, "health_monitor",
                                    lname, lb_conf_name_of(gobj));
                }

                /* a member is named by its group's id: set in this pass */
                for (m = 0; (tobj = lb_conf_child(gobj, "members", m)); m++) {
                    t = tobj->data;
                    lb_conf_ids_one(cx, &ids, pass, tobj, "member", tg->id,
                                    t->addr.text[0] ? t->addr.text : NULL);
                }
            }
        }
    }
}


/* pass 0: register a written id; pass 1: derive a missing one from kind,
 * a and b (NULL when a name is invalid: nothing to derive from) */
static void
lb_conf_ids_one(lb_conf_cx_t *cx, lb_conf_ids_t *ids, unsigned pass,
    lb_conf_obj_t *obj, const char *kind, const char *a, const char *b)
{
    char  **id;

    id = (char **) ((char *) obj->data
                    + obj->schema->fields[lb_conf_field_index(obj->schema,
                                                              "id")].off);

    if (pass == 0) {
        if (lb_conf_state(obj, "id") == LB_CONF_SET) {
            lb_conf_ids_add(cx, ids, *id, obj, true);
        }
        return;
    }

    if (*id == NULL && !lb_conf_written(obj, "id") && a != NULL && b != NULL)
    {
        *id = lb_conf_ids_make(cx, ids, obj, kind, a, b);
    }
}


static lb_int_t
lb_conf_ids_add(lb_conf_cx_t *cx, lb_conf_ids_t *ids, const char *id,
    const lb_conf_obj_t *obj, bool report)
{
    uint32_t              k;
    lb_conf_pos_t         pos;
    lb_conf_id_slot_t    *s;

    if (ids->n + 1 >= ids->size) {
        /* sized for every object up front: cannot happen */
        cx->nomem = 1;
        return LB_ERROR;
    }

    k = (uint32_t) lb_hash_stable64(0, id, strlen(id));

    for (k &= ids->size - 1; ids->slots[k].id != NULL;
         k = (k + 1) & (ids->size - 1))
    {
        s = &ids->slots[k];

        if (strcmp(s->id, id) == 0) {
            if (report) {
                pos = lb_conf_pos(s->obj, "id");
                lb_conf_error(cx, obj, "id", "duplicate id \"%s\" (also the "
                              "id of %s at %u:%u); ids are unique in the "
                              "file", id, s->obj->path, pos.line, pos.col);
            }
            return LB_DECLINED;
        }
    }

    ids->slots[k].id = id;
    ids->slots[k].obj = obj;
    ids->n++;

    return LB_OK;
}


static char *
lb_conf_ids_make(lb_conf_cx_t *cx, lb_conf_ids_t *ids,
    const lb_conf_obj_t *obj, const char *kind, const char *a, const char *b)
{
    char      *id;
    unsigned   salt;

    id = lb_palloc(cx->pool, 37);
    if (id == NULL) {
        cx->nomem = 1;
        return NULL;
    }

    for (salt = 0; salt < 1000; salt++) {
        lb_conf_uuid(id, kind, a, b, salt);
        if (lb_conf_ids_add(cx, ids, id, obj, false) != LB_DECLINED) {
            return id;
        }
    }

    return id;
}


/* lb_hash_stable128() over the parts, each with its NUL byte so that
 * ("ab", "c") and ("a", "bc") differ; formatted as a version 8 (custom)
 * RFC 9562 UUID */
static void
lb_conf_uuid(char *out, const char *kind, const char *a, const char *b,
    unsigned salt)
{
    char           sbuf[16];
    uint8_t        u[16];
    unsigned       i;
    lb_hash128_t   h;

    lb_hash_stable128_init(&h);
    lb_hash_stable128_add(&h, kind, strlen(kind) + 1);
    lb_hash_stable128_add(&h, a, strlen(a) + 1);
    lb_hash_stable128_add(&h, b, strlen(b) + 1);

    if (salt != 0) {
        snprintf(sbuf, sizeof(sbuf), "%u", salt);
        lb_hash_stable128_add(&h, sbuf, strlen(sbuf) + 1);
    }

    lb_hash_stable128_final(&h);

    for (i = 0; i < 8; i++) {
        u[i] = (uint8_t) (h.hi >> (56 - 8 * i));
        u[8 + i] = (uint8_t) (h.lo >> (56 - 8 * i));
    }

    u[6] = (uint8_t) ((u[6] & 0x0f) | 0x80);
    u[8] = (uint8_t) ((u[8] & 0x3f) | 0x80);

    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
             u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}


/* an item's name when it was read without error, else NULL */
const char *
lb_conf_name_of(const lb_conf_obj_t *obj)
{
    if (obj == NULL || !lb_conf_ok(obj, "name")) {
        return NULL;
    }

    return *(char **) ((char *) obj->data
                       + obj->schema->fields[lb_conf_field_index(obj->schema,
                                                                 "name")].off);
}
