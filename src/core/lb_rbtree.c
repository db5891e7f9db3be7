/* weir: intrusive red-black trees (the classic algorithm: every path from
 * a node to a leaf has the same number of black nodes and no red node has
 * a red child, so the height stays below 2 log2(n + 1)). */
#include <stddef.h>

#include "lb_rbtree.h"

static void lb_rbtree_rotate_left(lb_rbtree_t *tree, lb_rbtree_node_t *x);
static void lb_rbtree_rotate_right(lb_rbtree_t *tree, lb_rbtree_node_t *x);
static void lb_rbtree_insert_fixup(lb_rbtree_t *tree, lb_rbtree_node_t *z);
static void lb_rbtree_delete_fixup(lb_rbtree_t *tree, lb_rbtree_node_t *x);
static void lb_rbtree_transplant(lb_rbtree_t *tree, lb_rbtree_node_t *u,
    lb_rbtree_node_t *v);


void
lb_rbtree_init(lb_rbtree_t *tree, lb_rbtree_node_t *sentinel,
    lb_rbtree_insert_pt insert)
{
    sentinel->red = 0;
    sentinel->left = sentinel;
    sentinel->right = sentinel;
    sentinel->parent = sentinel;
    sentinel->key = 0;

    tree->root = sentinel;
    tree->sentinel = sentinel;
    tree->insert = insert;
}


void
lb_rbtree_insert(lb_rbtree_t *tree, lb_rbtree_node_t *node)
{
    lb_rbtree_node_t  *sentinel;

    sentinel = tree->sentinel;

    if (tree->root == sentinel) {
        node->parent = sentinel;
        node->left = sentinel;
        node->right = sentinel;
        node->red = 0;
        tree->root = node;
        return;
    }

    tree->insert(tree->root, node, sentinel);

    lb_rbtree_insert_fixup(tree, node);
}


void
lb_rbtree_insert_value(lb_rbtree_node_t *root, lb_rbtree_node_t *node,
    lb_rbtree_node_t *sentinel)
{
    lb_rbtree_node_t  *p, **link;

    p = root;

    for ( ;; ) {
        link = (node->key < p->key) ? &p->left : &p->right;

        if (*link == sentinel) {
            break;
        }

        p = *link;
    }

    *link = node;
    node->parent = p;
    node->left = sentinel;
    node->right = sentinel;
    node->red = 1;
}


/* z is red; walk up while its parent is red too. */
static void
lb_rbtree_insert_fixup(lb_rbtree_t *tree, lb_rbtree_node_t *z)
{
    lb_rbtree_node_t  *y, *g;

    while (z != tree->root && z->parent->red) {
        g = z->parent->parent;

        if (z->parent == g->left) {
            y = g->right;

            if (y->red) {
                z->parent->red = 0;
                y->red = 0;
                g->red = 1;
                z = g;
                continue;
            }

            if (z == z->parent->right) {
                z = z->parent;
                lb_rbtree_rotate_left(tree, z);
            }

            z->parent->red = 0;
            g->red = 1;
            lb_rbtree_rotate_right(tree, g);

        } else {
            y = g->left;

            if (y->red) {
                z->parent->red = 0;
                y->red = 0;
                g->red = 1;
                z = g;
                continue;
            }

            if (z == z->parent->left) {
                z = z->parent;
                lb_rbtree_rotate_right(tree, z);
            }

            z->parent->red = 0;
            g->red = 1;
            lb_rbtree_rotate_left(tree, g);
        }
    }

    tree->root->red = 0;
}


/* Put v where u was. v may be the sentinel: its parent is then set on
 * purpose, the delete fix-up starts from it. */
static void
lb_rbtree_transplant(lb_rbtree_t *tree, lb_rbtree_node_t *u,
    lb_rbtree_node_t *v)
{
    if (u->parent == tree->sentinel) {
        tree->root = v;

    } else if (u == u->parent->left) {
        u->parent->left = v;

    } else {
        u->parent->right = v;
    }

    v->parent = u->parent;
}


void
lb_rbtree_delete(lb_rbtree_t *tree, lb_rbtree_node_t *z)
{
    lb_rbtree_node_t  *sentinel, *x, *y;
    unsigned char      y_red;

    sentinel = tree->sentinel;
    y = z;
    y_red = y->red;

    if (z->left == sentinel) {
        x = z->right;
        lb_rbtree_transplant(tree, z, z->right);

    } else if (z->right == sentinel) {
        x = z->left;
        lb_rbtree_transplant(tree, z, z->left);

    } else {
        y = lb_rbtree_min(z->right, sentinel);
        y_red = y->red;
        x = y->right;

        if (y->parent == z) {
            x->parent = y;

        } else {
            lb_rbtree_transplant(tree, y, y->right);
            y->right = z->right;
            y->right->parent = y;
        }

        lb_rbtree_transplant(tree, z, y);
        y->left = z->left;
        y->left->parent = y;
        y->red = z->red;
    }

    z->left = NULL;
    z->right = NULL;
    z->parent = NULL;

    if (!y_red) {
        lb_rbtree_delete_fixup(tree, x);
    }

    /* the sentinel's links may have been used as scratch */
    sentinel->parent = sentinel;
    sentinel->left = sentinel;
    sentinel->right = sentinel;
    sentinel->red = 0;
}


/* x carries an extra black; push it up or resolve it by rotations. */
static void
lb_rbtree_delete_fixup(lb_rbtree_t *tree, lb_rbtree_node_t *x)
{
    lb_rbtree_node_t  *w;

    while (x != tree->root && !x->red) {

        if (x == x->parent->left) {
            w = x->parent->right;

            if (w->red) {
                w->red = 0;
                x->parent->red = 1;
                lb_rbtree_rotate_left(tree, x->parent);
                w = x->parent->right;
            }

            if (!w->left->red && !w->right->red) {
                w->red = 1;
                x = x->parent;
                continue;
            }

            if (!w->right->red) {
                w->left->red = 0;
                w->red = 1;
                lb_rbtree_rotate_right(tree, w);
                w = x->parent->right;
            }

            w->red = x->parent->red;
            x->parent->red = 0;
            w->right->red = 0;
            lb_rbtree_rotate_left(tree, x->parent);
            x = tree->root;

        } else {
            w = x->parent->left;

            if (w->red) {
                w->red = 0;
                x->parent->red = 1;
                lb_rbtree_rotate_right(tree, x->parent);
                w = x->parent->left;
            }

            if (!w->left->red && !w->right->red) {
                w->red = 1;
                x = x->parent;
                continue;
            }

            if (!w->left->red) {
                w->right->red = 0;
                w->red = 1;
                lb_rbtree_rotate_left(tree, w);
                w = x->parent->left;
            }

            w->red = x->parent->red;
            x->parent->red = 0;
            w->left->red = 0;
            lb_rbtree_rotate_right(tree, x->parent);
            x = tree->root;
        }
    }

    x->red = 0;
}


static void
lb_rbtree_rotate_left(lb_rbtree_t *tree, lb_rbtree_node_t *x)
{
    lb_rbtree_node_t  *y;

    y = x->right;
    x->right = y->left;

    if (y->left != tree->sentinel) {
        y->left->parent = x;
    }

    y->parent = x->parent;

    if (x->parent == tree->sentinel) {
        tree->root = y;

    } else if (x == x->parent->left) {
        x->parent->left = y;

    } else {
        x->parent->right = y;
    }

    y->left = x;
    x->parent = y;
}


static void
lb_rbtree_rotate_right(lb_rbtree_t *tree, lb_rbtree_node_t *x)
{
    lb_rbtree_node_t  *y;

    y = x->left;
    x->left = y->right;

    if (y->right != tree->sentinel) {
        y->right->parent = x;
    }

    y->parent = x->parent;

    if (x->parent == tree->sentinel) {
        tree->root = y;

    } else if (x == x->parent->right) {
        x->parent->right = y;

    } else {
        x->parent->left = y;
    }

    y->right = x;
    x->parent = y;
}


lb_rbtree_node_t *
lb_rbtree_next(lb_rbtree_t *tree, lb_rbtree_node_t *node)
{
    lb_rbtree_node_t  *sentinel, *parent;

    sentinel = tree->sentinel;

    if (node->right != sentinel) {
        return lb_rbtree_min(node->right, sentinel);
    }

    for ( ;; ) {
        parent = node->parent;

        if (parent == sentinel) {
            return NULL;
        }

        if (node == parent->left) {
            return parent;
        }

        node = parent;
    }
}
