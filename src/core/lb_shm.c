/* weir: mapping the shared memory zone. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lb_log.h"
#include "lb_shm.h"


lb_shm_zone_t *
lb_shm_create(size_t size)
{
    lb_shm_zone_t  *z;

    if (size < LB_SHM_PAGE_SIZE) {
        size = LB_SHM_PAGE_SIZE;
    }

    if (size > SIZE_MAX - LB_SHM_PAGE_SIZE) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone size %zu is too large", size);
        return NULL;
    }

    size = lb_align(size, (size_t) LB_SHM_PAGE_SIZE);

    z = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
             -1, 0);
    if (z == MAP_FAILED) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "%s() failed: %zu bytes of shared zone", "mmap", size);
        return NULL;
    }

    /* an anonymous mapping is zero-filled: only the header needs values */
    z->magic = LB_SHM_MAGIC;
    z->version = LB_SHM_VERSION;
    z->size = size;
    z->header_size = sizeof(lb_shm_zone_t);
    z->creator = (int32_t) getpid();
    z->generation = 0;
    z->slab = 0;
    z->root = 0;

    return z;
}


void
lb_shm_destroy(lb_shm_zone_t *z)
{
    if (z == NULL) {
        return;
    }

    if (munmap(z, z->size) == -1) {
        lb_log_error(LB_LOG_ALERT, &lb_log, errno,
                     "%s() failed: shared zone", "munmap");
    }
}


lb_int_t
lb_shm_check(const lb_shm_zone_t *z, size_t size)
{
    if (size < sizeof(lb_shm_zone_t) || z->magic != LB_SHM_MAGIC) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone: bad magic, not a weir zone");
        return LB_ERROR;
    }

    if (z->version != LB_SHM_VERSION
        || z->header_size != sizeof(lb_shm_zone_t))
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone: layout version %u (header %u bytes), "
                     "this binary needs %u (%zu bytes)",
                     z->version, z->header_size, LB_SHM_VERSION,
                     sizeof(lb_shm_zone_t));
        return LB_ERROR;
    }

    if (z->size != size) {
        lb_log_error(LB_LOG_EMERG, &lb_log, 0,
                     "shared zone: header says %llu bytes, mapped %zu",
                     (unsigned long long) z->size, size);
        return LB_ERROR;
    }

    return LB_OK;
}
