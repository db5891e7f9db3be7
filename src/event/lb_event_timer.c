/* weir: event timers. The tree is per process; timers of equal expiry
 * fire in the order they were set. Idle timers (lb_event_idle_touch(),
 * inline in the header) are moved here, lazily, when they come due. */
#include <stddef.h>

#include "lb_event.h"
#include "lb_event_timer.h"
#include "lb_rbtree.h"
#include "lb_time.h"

#define lb_timer_event(node)                                              \
    ((lb_event_t *) ((char *) (node) - offsetof(lb_event_t, timer)))

static lb_rbtree_t       lb_event_timer_rbtree;
static lb_rbtree_node_t  lb_event_timer_sentinel;
static lb_uint_t         lb_event_timer_n;

/* while expiring: timers due at or before this wait for the next call */
static bool              lb_event_timer_expiring;
static lb_msec_t         lb_event_timer_limit;


void
lb_event_timer_init(void)
{
    lb_rbtree_init(&lb_event_timer_rbtree, &lb_event_timer_sentinel,
                   lb_rbtree_insert_value);
    lb_event_timer_n = 0;
    lb_event_timer_expiring = false;
}


void
lb_event_add_timer(lb_event_t *ev, lb_msec_t ms)
{
    lb_msec_t  key;

    key = lb_current_msec + ms;
    ev->idle_ahead = 0;

    if (lb_event_timer_expiring && key <= lb_event_timer_limit) {
        key = lb_event_timer_limit + 1;
    }

    if (ev->timer_set) {
        if (ev->timer.key == key) {
            return;
        }
        lb_event_del_timer(ev);
    }

    ev->timer.key = key;
    lb_rbtree_insert(&lb_event_timer_rbtree, &ev->timer);
    ev->timer_set = 1;
    lb_event_timer_n++;
}


void
lb_event_del_timer(lb_event_t *ev)
{
    ev->idle_ahead = 0;

    if (!ev->timer_set) {
        return;
    }

    lb_rbtree_delete(&lb_event_timer_rbtree, &ev->timer);
    ev->timer_set = 0;
    lb_event_timer_n--;
}


lb_msec_t
lb_event_find_timer(void)
{
    lb_rbtree_node_t  *node;

    if (lb_rbtree_empty(&lb_event_timer_rbtree)) {
        return LB_TIMER_INFINITE;
    }

    node = lb_rbtree_min(lb_event_timer_rbtree.root,
                         &lb_event_timer_sentinel);

    return node->key > lb_current_msec ? node->key - lb_current_msec : 0;
}


void
lb_event_expire_timers(void)
{
    lb_rbtree_node_t  *node;
    lb_event_t        *ev;

    lb_event_timer_expiring = true;
    lb_event_timer_limit = lb_current_msec;

    while (!lb_rbtree_empty(&lb_event_timer_rbtree)) {
        node = lb_rbtree_min(lb_event_timer_rbtree.root,
                             &lb_event_timer_sentinel);

        if (node->key > lb_event_timer_limit) {
            break;
        }

        ev = lb_timer_event(node);

        lb_rbtree_delete(&lb_event_timer_rbtree, node);

        if (ev->idle_ahead != 0) {
            /* an idle timer touched since it was placed: on to its
             * deadline, unless that has passed too */
            node->key += ev->idle_ahead;
            ev->idle_ahead = 0;

            if (node->key > lb_event_timer_limit) {
                lb_rbtree_insert(&lb_event_timer_rbtree, node);
                continue;
            }
        }

        ev->timer_set = 0;
        lb_event_timer_n--;

        ev->timedout = 1;
        ev->handler(ev);
    }

    lb_event_timer_expiring = false;
}


lb_uint_t
lb_event_timers_count(void)
{
    return lb_event_timer_n;
}
