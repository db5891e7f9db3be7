/* weir: nghttp2's memory in a worker. libnghttp2 allocates per stream
 * (its stream record, the frames it queues, copies of header fields);
 * through the system allocator that would be several malloc() and
 * free() per request. Here blocks of 64 bytes to 16 KiB come in size
 * classes and go back to a free list per class (up to
 * LB_HTTP2_MEM_CLASS_BYTES of each class are kept), so that a worker in
 * steady state reuses what earlier requests freed; larger blocks go to
 * malloc(). A header before each block says its class and size. Under
 * AddressSanitizer nothing is kept, so that a use after free is still
 * seen. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "lb_http2_upstream.h"

#define LB_HTTP2_MEM_MIN_SHIFT    6       /* 64 bytes */
#define LB_HTTP2_MEM_CLASSES      9       /* up to 16 KiB */
#define LB_HTTP2_MEM_BIG          LB_HTTP2_MEM_CLASSES
#define LB_HTTP2_MEM_CLASS_BYTES  (256 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define LB_HTTP2_MEM_KEEP         0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LB_HTTP2_MEM_KEEP         0
#endif
#endif

#ifndef LB_HTTP2_MEM_KEEP
#define LB_HTTP2_MEM_KEEP         1
#endif

/* before each block: keeps the block max-aligned */
typedef union lb_http2_mem_head_u  lb_http2_mem_head_t;

union lb_http2_mem_head_u {
    struct {
        size_t                 size;    /* usable bytes */
        uint32_t               cls;     /* LB_HTTP2_MEM_BIG: malloc() */
    } h;
    lb_http2_mem_head_t       *next;    /* in a free list */
    max_align_t                align;
};

static void *lb_http2_mem_malloc(size_t size, void *user);
static void lb_http2_mem_free(void *p, void *user);
static void *lb_http2_mem_calloc(size_t n, size_t size, void *user);
static void *lb_http2_mem_realloc(void *p, size_t size, void *user);

static lb_http2_mem_head_t  *lb_http2_mem_free_list[LB_HTTP2_MEM_CLASSES];
static uint32_t              lb_http2_mem_nfree[LB_HTTP2_MEM_CLASSES];

static nghttp2_mem  lb_http2_mem_ops = {
    NULL, lb_http2_mem_malloc, lb_http2_mem_free, lb_http2_mem_calloc,
    lb_http2_mem_realloc
};


nghttp2_mem *
lb_http2_mem(void)
{
    return &lb_http2_mem_ops;
}


static void *
lb_http2_mem_malloc(size_t size, void *user)
{
    uint32_t              cls;
    size_t                csize;
    lb_http2_mem_head_t  *h;

    for (cls = 0; cls < LB_HTTP2_MEM_CLASSES; cls++) {
        if (size <= ((size_t) 1 << (LB_HTTP2_MEM_MIN_SHIFT + cls))) {
            break;
        }
    }

    if (cls == LB_HTTP2_MEM_BIG) {
        if (size > SIZE_MAX - sizeof(lb_http2_mem_head_t)) {
            return NULL;
        }

        h = malloc(sizeof(lb_http2_mem_head_t) + size);
        if (h == NULL) {
            return NULL;
        }

        h->h.size = size;
        h->h.cls = LB_HTTP2_MEM_BIG;
        return h + 1;
    }

    csize = (size_t) 1 << (LB_HTTP2_MEM_MIN_SHIFT + cls);
    h = lb_http2_mem_free_list[cls];

    if (h != NULL) {
        lb_http2_mem_free_list[cls] = h->next;
        lb_http2_mem_nfree[cls]--;

    } else {
        h = malloc(sizeof(lb_http2_mem_head_t) + csize);
        if (h == NULL) {
            return NULL;
        }
    }

    h->h.size = csize;
    h->h.cls = cls;

    return h + 1;
}


static void
lb_http2_mem_free(void *p, void *user)
{
    uint32_t              cls;
    lb_http2_mem_head_t  *h;

    if (p == NULL) {
        return;
    }

    h = (lb_http2_mem_head_t *) p - 1;
    cls = h->h.cls;

    if (!LB_HTTP2_MEM_KEEP || cls == LB_HTTP2_MEM_BIG
        || (size_t) (lb_http2_mem_nfree[cls] + 1)
           << (LB_HTTP2_MEM_MIN_SHIFT + cls) > LB_HTTP2_MEM_CLASS_BYTES)
    {
        free(h);
        return;
    }

    h->next = lb_http2_mem_free_list[cls];
    lb_http2_mem_free_list[cls] = h;
    lb_http2_mem_nfree[cls]++;
}


static void *
lb_http2_mem_calloc(size_t n, size_t size, void *user)
{
    void  *p;

    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }

    p = lb_http2_mem_malloc(n * size, user);
    if (p != NULL) {
        memset(p, 0, n * size);
    }

    return p;
}


static void *
lb_http2_mem_realloc(void *p, size_t size, void *user)
{
    void                 *np;
    lb_http2_mem_head_t  *h;

    if (p == NULL) {
        return lb_http2_mem_malloc(size, user);
    }

    if (size == 0) {
        lb_http2_mem_free(p, user);
        return NULL;
    }

    h = (lb_http2_mem_head_t *) p - 1;

    if (h->h.cls != LB_HTTP2_MEM_BIG && size <= h->h.size) {
        return p;
    }

    np = lb_http2_mem_malloc(size, user);
    if (np == NULL) {
        return NULL;
    }

    memcpy(np, p, lb_min(size, h->h.size));
    lb_http2_mem_free(p, user);

    return np;
}
