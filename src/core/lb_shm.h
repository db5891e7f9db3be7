/* weir: the shared memory zone. The master maps it once, before the first
 * fork, and keeps it for its whole life; every child (workers of every
 * generation, the health checker, the admin process) inherits it. Nothing
 * in it is a pointer: structures refer to each other by offsets from the
 * zone base (lb_shm_off_t), so the layout stays valid wherever the zone is
 * mapped (a binary upgrade may map it elsewhere). */
#ifndef LB_SHM_H
#define LB_SHM_H

#include "lb_core_types.h"

#define LB_SHM_MAGIC       0x52494557u   /* "WEIR" little-endian */
#define LB_SHM_VERSION     2             /* bump on any layout change */

/* the unit the zone is sized in */
#define LB_SHM_PAGE_SIZE   4096

/* offset of something inside the zone from the zone base; 0 means none
 * (the header is at offset 0, so nothing else lives there) */
typedef uint64_t  lb_shm_off_t;

/* the zone header, at offset 0 of the mapping */
struct lb_shm_zone_s {
    uint32_t        magic;        /* LB_SHM_MAGIC */
    uint32_t        version;      /* LB_SHM_VERSION */
    uint64_t        size;         /* bytes mapped, header included */
    uint32_t        header_size;  /* sizeof(lb_shm_zone_t) */
    int32_t         creator;      /* pid of the master that mapped it */

    /* the configuration generation: bumped (atomically) by the master on
     * every reload, read by anyone with lb_zone_generation() */
    uint64_t        generation;

    lb_shm_off_t    slab;         /* lb_slab_pool_t over the rest */
    lb_shm_off_t    root;         /* lb_zone_root_t: keyed records */
};

/* Map a new zone of `size` bytes (rounded up to whole pages; at least
 * LB_SHM_PAGE_SIZE), shared with every future child, and fill its header;
 * the rest is zero. Returns the zone, or NULL (logged). The caller owns it
 * and unmaps it with lb_shm_destroy(). */
lb_shm_zone_t *lb_shm_create(size_t size);

/* Unmap a zone made by lb_shm_create(). NULL is accepted. */
void lb_shm_destroy(lb_shm_zone_t *z);

/* Check that the `size` bytes at z hold a zone of this binary's layout:
 * magic, version, header and size. LB_OK, or LB_ERROR (logged). */
lb_int_t lb_shm_check(const lb_shm_zone_t *z, size_t size);

/* The address of offset off in zone z; NULL for offset 0. */
static inline void *
lb_shm_ptr(const lb_shm_zone_t *z, lb_shm_off_t off)
{
    return off == 0 ? NULL : (char *) z + off;
}

/* The offset of p inside zone z; 0 for NULL. */
static inline lb_shm_off_t
lb_shm_off(const lb_shm_zone_t *z, const void *p)
{
    return p == NULL ? 0 : (lb_shm_off_t) ((const char *) p - (const char *) z);
}

/* Whether [off, off + len) lies inside zone z (for repair checks). */
static inline bool
lb_shm_in(const lb_shm_zone_t *z, lb_shm_off_t off, size_t len)
{
    return off >= z->header_size && off <= z->size && len <= z->size - off;
}

#endif /* LB_SHM_H */
