/* weir: unit tests for src/core/lb_rbtree.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lb_rbtree.h"
#include "../lb_test.h"

#define N  20000

typedef struct {
    lb_rbtree_node_t  node;     /* first: the node is the item */
    int               in;
} item_t;

static item_t     items[N];
static uint64_t   sorted[N];


static int
cmp_u64(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return (x > y) - (x < y);
}


/* Check every invariant below `n`; return the black height, count nodes. */
static int
check_subtree(lb_rbtree_t *t, lb_rbtree_node_t *n, size_t *count)
{
    int  lh, rh;

    if (n == t->sentinel) {
        assert_false(n->red);
        return 1;
    }

    (*count)++;

    if (n->red) {
        assert_false(n->left->red);
        assert_false(n->right->red);
    }

    if (n->left != t->sentinel) {
        assert_ptr_equal(n->left->parent, n);
        assert_true(n->left->key <= n->key);
    }

    if (n->right != t->sentinel) {
        assert_ptr_equal(n->right->parent, n);
        assert_true(n->right->key >= n->key);
    }

    lh = check_subtree(t, n->left, count);
    rh = check_subtree(t, n->right, count);
    assert_int_equal(lh, rh);

    return lh + (n->red ? 0 : 1);
}


static void
check_tree(lb_rbtree_t *t, size_t want)
{
    size_t  count = 0;

    assert_false(t->root->red);
    if (t->root != t->sentinel) {
        assert_ptr_equal(t->root->parent, t->sentinel);
    }
    check_subtree(t, t->root, &count);
    assert_int_equal(count, want);
}


/* In-order walk with lb_rbtree_next() equals the sorted keys in use. */
static void
check_order(lb_rbtree_t *t)
{
    size_t             i, n;
    lb_rbtree_node_t  *node;

    n = 0;
    for (i = 0; i < N; i++) {
        if (items[i].in) {
            sorted[n++] = items[i].node.key;
        }
    }
    qsort(sorted, n, sizeof(uint64_t), cmp_u64);

    i = 0;
    if (!lb_rbtree_empty(t)) {
        for (node = lb_rbtree_min(t->root, t->sentinel); node != NULL;
             node = lb_rbtree_next(t, node))
        {
            assert_true(i < n);
            assert_true(node->key == sorted[i]);
            i++;
        }
    }
    assert_int_equal(i, n);
}


static void
test_empty(void **state)
{
    lb_rbtree_t       t;
    lb_rbtree_node_t  sentinel, a;

    lb_rbtree_init(&t, &sentinel, lb_rbtree_insert_value);
    assert_true(lb_rbtree_empty(&t));

    a.key = 7;
    lb_rbtree_insert(&t, &a);
    assert_false(lb_rbtree_empty(&t));
    assert_ptr_equal(lb_rbtree_min(t.root, t.sentinel), &a);
    assert_null(lb_rbtree_next(&t, &a));

    lb_rbtree_delete(&t, &a);
    assert_true(lb_rbtree_empty(&t));
}


static void
test_random_insert_delete(void **state)
{
    lb_rbtree_t        t;
    lb_rbtree_node_t   sentinel, *min;
    size_t             i, n, k;

    lb_rbtree_init(&t, &sentinel, lb_rbtree_insert_value);

    /* small key range: many duplicates */
    for (i = 0; i < N; i++) {
        items[i].node.key = lb_test_rand() % (N / 4);
        items[i].in = 1;
        lb_rbtree_insert(&t, &items[i].node);
        if (i % 997 == 0) {
            check_tree(&t, i + 1);
        }
    }
    n = N;
    check_tree(&t, n);
    check_order(&t);

    /* delete about half, at random positions (root, leaves, inner) */
    for (k = 0; k < N / 2; k++) {
        i = lb_test_rand() % N;
        if (!items[i].in) {
            continue;
        }
        lb_rbtree_delete(&t, &items[i].node);
        items[i].in = 0;
        n--;
        if (k % 499 == 0) {
            check_tree(&t, n);
        }
    }
    check_tree(&t, n);
    check_order(&t);

    /* reinsert the deleted ones with big keys, then drain by minimum */
    for (i = 0; i < N; i++) {
        if (!items[i].in) {
            items[i].node.key = lb_test_rand();
            items[i].in = 1;
            lb_rbtree_insert(&t, &items[i].node);
            n++;
        }
    }
    check_tree(&t, n);
    check_order(&t);

    k = 0;
    while (!lb_rbtree_empty(&t)) {
        min = lb_rbtree_min(t.root, t.sentinel);
        assert_true(min->key == sorted[k]);
        lb_rbtree_delete(&t, min);
        ((item_t *) min)->in = 0;
        k++;
        n--;
        if (k % 1009 == 0) {
            check_tree(&t, n);
        }
    }
    assert_int_equal(k, N);
    check_tree(&t, 0);
}


static void
test_ascending_descending(void **state)
{
    lb_rbtree_t       t;
    lb_rbtree_node_t  sentinel;
    size_t            i;

    /* sorted input is the worst case for an unbalanced tree */
    lb_rbtree_init(&t, &sentinel, lb_rbtree_insert_value);
    for (i = 0; i < N; i++) {
        items[i].node.key = (i % 2) ? i : (uint64_t) (N * 2 - i);
        items[i].in = 1;
        lb_rbtree_insert(&t, &items[i].node);
    }
    check_tree(&t, N);
    check_order(&t);

    for (i = 0; i < N; i += 2) {
        lb_rbtree_delete(&t, &items[i].node);
        items[i].in = 0;
    }
    check_tree(&t, N / 2);
    check_order(&t);

    for (i = 1; i < N; i += 2) {
        lb_rbtree_delete(&t, &items[i].node);
        items[i].in = 0;
    }
    check_tree(&t, 0);
}


static void
test_equal_keys_in_insertion_order(void **state)
{
    lb_rbtree_t       t;
    lb_rbtree_node_t  sentinel, *n;
    size_t            i;

    lb_rbtree_init(&t, &sentinel, lb_rbtree_insert_value);
    for (i = 0; i < 100; i++) {
        items[i].node.key = 5;
        lb_rbtree_insert(&t, &items[i].node);
    }

    for (i = 0; i < 100; i++) {
        n = lb_rbtree_min(t.root, t.sentinel);
        assert_ptr_equal(n, &items[i].node);
        lb_rbtree_delete(&t, n);
    }
    assert_true(lb_rbtree_empty(&t));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_random_insert_delete),
        cmocka_unit_test(test_ascending_descending),
        cmocka_unit_test(test_equal_keys_in_insertion_order),
    };

    lb_test_srand(88172645463325252ULL);

    return cmocka_run_group_tests_name("lb_rbtree", tests, NULL, NULL);
}
