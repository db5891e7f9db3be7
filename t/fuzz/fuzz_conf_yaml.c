/* weir: fuzz target for the YAML configuration (lb_conf_parse_string:
 * libyaml -> node tree, anchors and aliases included -> schema walker ->
 * rules between objects), what `weir -t` and a reload read.
 *
 * The whole input is the file. Checks: a configuration comes back exactly
 * when no error line does; every error line reads "NAME:LINE:COL: ..."
 * with LINE:COL inside the file (or one past its last line) and the lines
 * are sorted by position; an accepted configuration dumps (weir -T) to
 * YAML that is accepted again and dumps to the same text, and the two
 * differ in nothing (lb_conf_live_change() says so). Aliases are
 * expanded by the walker, so the alias bombs of the seed corpus must end
 * in the reader's bound, not in time or memory. The node tree the reader
 * builds (lb_conf_yaml_read) is checked on its own: every mapping and
 * list holds n children on its chain (the open-alias defect of issue 13
 * broke this), its size is one more than its children's, mapping members
 * have keys and list items none, scalars are NUL-terminated at len, and
 * nesting stays within 64. */
#define LB_FUZZ_HAS_INIT
#include "lb_fuzz.h"

#include "lb_conf.h"
#include "lb_conf_node.h"
#include "lb_log.h"
#include "lb_palloc.h"

#define NAME  "f.yaml"

static char *fuzz_dump(const lb_conf_t *conf, size_t *len);
static void fuzz_errors(const lb_array_t *errors, const uint8_t *p,
    size_t len);
static void fuzz_tree(const uint8_t *p, size_t len);
static uint32_t fuzz_node(const lb_conf_node_t *node, unsigned depth);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* the parser logs nothing; anything else that would is not wanted */
    lb_log.level = LB_LOG_EMERG;
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        *copy, *d1, *d2;
    size_t       len1, len2;
    lb_pool_t   *pool;
    lb_conf_t   *conf, *conf2;
    lb_array_t   errors;

    fuzz_tree(data, size);

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    fuzz_assert(pool != NULL);
    fuzz_assert(lb_array_init(&errors, pool, 8, sizeof(char *)) == LB_OK);

    /* exactly the file, no NUL after it: a read past it is a report */
    copy = malloc(size ? size : 1);
    fuzz_assert(copy != NULL);
    memcpy(copy, data, size);

    conf = lb_conf_parse_string(pool, NAME, copy, size, &errors);

    fuzz_assert((conf == NULL) == (errors.nelts > 0));
    fuzz_errors(&errors, data, size);

    free(copy);

    if (conf == NULL) {
        lb_destroy_pool(pool);
        return 0;
    }

    /* weir -T, read again, the same */
    d1 = fuzz_dump(conf, &len1);

    conf2 = lb_conf_parse_string(pool, NAME, d1, len1, &errors);

    if (conf2 == NULL) {
        fprintf(stderr, "the dump of an accepted file is refused:\n%.*s\n",
                (int) len1, d1);
        fuzz_errors(&errors, (const uint8_t *) d1, len1);
        fprintf(stderr, "%s\n", ((char **) errors.elts)[0]);
        fuzz_assert(conf2 != NULL);
    }

    d2 = fuzz_dump(conf2, &len2);

    if (len1 != len2 || memcmp(d1, d2, len1) != 0) {
        fprintf(stderr, "dump 1:\n%.*s\ndump 2:\n%.*s\n", (int) len1, d1,
                (int) len2, d2);
        fuzz_assert(len1 == len2 && memcmp(d1, d2, len1) == 0);
    }

    fuzz_assert(lb_conf_live_change(conf, conf2));

    free(d1);
    free(d2);
    lb_destroy_pool(pool);

    return 0;
}


static char *
fuzz_dump(const lb_conf_t *conf, size_t *len)
{
    FILE   *f;
    char   *buf;

    buf = NULL;
    *len = 0;

    f = open_memstream(&buf, len);
    fuzz_assert(f != NULL);
    fuzz_assert(lb_conf_dump(f, conf) == LB_OK);
    fuzz_assert(fclose(f) == 0);

    return buf;
}


/* "NAME:LINE:COL: message", inside the file, sorted by position */
static void
fuzz_errors(const lb_array_t *errors, const uint8_t *p, size_t len)
{
    char         *e, *end;
    size_t        i;
    unsigned      lines, line, col, pline, pcol;
    unsigned long v;

    lines = 1;
    for (i = 0; i < len; i++) {
        lines += (p[i] == '\n');
    }

    pline = 0;
    pcol = 0;

    for (i = 0; i < errors->nelts; i++) {
        e = ((char **) errors->elts)[i];

        fuzz_assert(e != NULL);
        fuzz_assert(strncmp(e, NAME ":", sizeof(NAME)) == 0);

        e += sizeof(NAME);
        v = strtoul(e, &end, 10);
        fuzz_assert(end != e && *end == ':');
        line = (unsigned) v;

        e = end + 1;
        v = strtoul(e, &end, 10);
        fuzz_assert(end != e && *end == ':' && end[1] == ' ');
        col = (unsigned) v;

        fuzz_assert(end[2] != '\0');

        /* libyaml counts a lone CR and some Unicode breaks as line
         * ends too: the bound is loose, but a line must exist */
        fuzz_assert(line >= 1 && col >= 1);
        fuzz_assert(line <= lines + 1 || line <= len + 1);

        fuzz_assert(line > pline || (line == pline && col >= pcol));
        pline = line;
        pcol = col;
    }
}


/* the reader's tree, walked (aliases as often as they occur) when it is
 * small enough to walk */
static void
fuzz_tree(const uint8_t *p, size_t len)
{
    char                  *copy;
    lb_pool_t             *pool;
    lb_conf_node_t        *root;
    lb_conf_read_error_t   err;

    pool = lb_create_pool(LB_POOL_DEFAULT_SIZE);
    copy = malloc(len ? len : 1);
    fuzz_assert(pool != NULL && copy != NULL);
    memcpy(copy, p, len);

    root = lb_conf_yaml_read(pool, copy, len, &err);

    if (root == NULL) {
        fuzz_assert(err.message != NULL && err.pos.line >= 1
                    && err.pos.col >= 1);

    } else if (root->type == LB_CONF_NODE_NULL && root->size == 0) {
        /* an empty file: a root made for it, outside the count */
        fuzz_assert(root->first == NULL);

    } else if (root->size <= 50000) {
        fuzz_assert(fuzz_node(root, 0) == root->size);
    }

    free(copy);
    lb_destroy_pool(pool);
}


/* checks node and its subtree; returns the nodes in it */
static uint32_t
fuzz_node(const lb_conf_node_t *node, unsigned depth)
{
    uint32_t               n, size;
    const lb_conf_node_t  *c;

    fuzz_assert(depth <= 64);
    fuzz_assert(node->pos.line >= 1 && node->pos.col >= 1);

    switch (node->type) {

    case LB_CONF_NODE_NULL:
    case LB_CONF_NODE_SCALAR:
        fuzz_assert(node->value != NULL || node->type == LB_CONF_NODE_NULL);
        if (node->value != NULL) {
            fuzz_assert(node->value[node->len] == '\0');
        }
        fuzz_assert(node->first == NULL && node->n == 0);
        fuzz_assert(node->size == 1);
        return 1;

    default:
        break;
    }

    fuzz_assert(node->type == LB_CONF_NODE_MAP
                || node->type == LB_CONF_NODE_LIST);

    n = 0;
    size = 1;

    for (c = node->first; c != NULL; c = c->next) {
        n++;
        fuzz_assert(n <= node->n);

        if (node->type == LB_CONF_NODE_MAP) {
            fuzz_assert(c->key != NULL);
        } else {
            fuzz_assert(c->key == NULL);
        }

        if (c->next == NULL) {
            fuzz_assert(c == node->last);
        }

        size += fuzz_node(c, depth + 1);
    }

    fuzz_assert(n == node->n);
    fuzz_assert(size == node->size);

    return size;
}
