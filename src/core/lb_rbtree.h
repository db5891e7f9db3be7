/* weir: intrusive red-black trees with a sentinel. Used for timers (keyed
 * by absolute ms) and anything else that needs ordered lookup. */
#ifndef LB_RBTREE_H
#define LB_RBTREE_H

#include "lb_core_types.h"

typedef struct lb_rbtree_node_s  lb_rbtree_node_t;

struct lb_rbtree_node_s {
    uint64_t            key;
    lb_rbtree_node_t   *left;
    lb_rbtree_node_t   *right;
    lb_rbtree_node_t   *parent;
    unsigned char       red;
};

typedef struct lb_rbtree_s  lb_rbtree_t;

/* Place `node` below `root` as a plain binary search tree would (the
 * caller has already handled the empty tree); it must set node's parent,
 * left and right (to the sentinel) and colour it red. */
typedef void (*lb_rbtree_insert_pt)(lb_rbtree_node_t *root,
    lb_rbtree_node_t *node, lb_rbtree_node_t *sentinel);

struct lb_rbtree_s {
    lb_rbtree_node_t     *root;
    lb_rbtree_node_t     *sentinel;
    lb_rbtree_insert_pt   insert;
};

/* Initialize an empty tree. `sentinel` is owned by the caller, outlives
 * the tree and is shared by every node of it. */
void lb_rbtree_init(lb_rbtree_t *tree, lb_rbtree_node_t *sentinel,
    lb_rbtree_insert_pt insert);

/* Insert `node` (its key set by the caller); the tree keeps a pointer to
 * it until lb_rbtree_delete(). Equal keys are allowed. */
void lb_rbtree_insert(lb_rbtree_t *tree, lb_rbtree_node_t *node);

/* Remove `node`, which must be in `tree`. Its links are left dangling. */
void lb_rbtree_delete(lb_rbtree_t *tree, lb_rbtree_node_t *node);

/* Insert by key; a node equal to others goes after them (to the right),
 * so equal keys come out in insertion order. */
void lb_rbtree_insert_value(lb_rbtree_node_t *root, lb_rbtree_node_t *node,
    lb_rbtree_node_t *sentinel);

/* The next node in key order after `node`, or NULL. */
lb_rbtree_node_t *lb_rbtree_next(lb_rbtree_t *tree, lb_rbtree_node_t *node);

static inline bool
lb_rbtree_empty(const lb_rbtree_t *tree)
{
    return tree->root == tree->sentinel;
}

/* The smallest node of the subtree at `node` (not the sentinel). */
static inline lb_rbtree_node_t *
lb_rbtree_min(lb_rbtree_node_t *node, lb_rbtree_node_t *sentinel)
{
    while (node->left != sentinel) {
        node = node->left;
    }

    return node;
}

#endif /* LB_RBTREE_H */
