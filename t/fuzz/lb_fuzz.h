/* weir: what the fuzz targets of t/fuzz share: the contract check that
 * aborts (so libFuzzer keeps the input), a reader that takes typed values
 * from the front of the input, and the -DLB_FUZZ_MAIN driver that runs a
 * target once on each file named on the command line (any compiler, no
 * libFuzzer: replaying a corpus or a crash under gdb or valgrind).
 *
 * Each target is one file t/fuzz/fuzz_<name>.c linked with libweir.a of a
 * clang build (objs-fuzz, `make fuzz`); its seed corpus is
 * t/fuzz/corpus/fuzz_<name>/, its dictionary (optional)
 * t/fuzz/fuzz_<name>.dict and its libFuzzer options (optional, one per
 * line) t/fuzz/fuzz_<name>.options. */
#ifndef LB_FUZZ_H
#define LB_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* defined by targets that set something up once (LB_FUZZ_HAS_INIT) */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define fuzz_assert(e)                                                       \
    do {                                                                     \
        if (!(e)) {                                                          \
            fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__,        \
                    __LINE__, #e);                                           \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* The input read from the front; what is left is the rest. Reading past
 * the end gives zeros, so a short input is still a valid one. */
typedef struct {
    const uint8_t  *p;
    size_t          left;
} fuzz_in_t;

static inline uint8_t
fuzz_u8(fuzz_in_t *in)
{
    if (in->left == 0) {
        return 0;
    }

    in->left--;
    return *in->p++;
}

static inline uint16_t
fuzz_u16(fuzz_in_t *in)
{
    uint16_t  v;

    v = fuzz_u8(in);
    return (uint16_t) (v << 8 | fuzz_u8(in));
}

static inline uint32_t
fuzz_u32(fuzz_in_t *in)
{
    uint32_t  v;

    v = fuzz_u16(in);
    return v << 16 | fuzz_u16(in);
}

/* Copy n bytes (zeros past the end) into buf. */
static inline void
fuzz_bytes(fuzz_in_t *in, void *buf, size_t n)
{
    size_t  k;

    k = n < in->left ? n : in->left;
    memcpy(buf, in->p, k);
    memset((uint8_t *) buf + k, 0, n - k);
    in->p += k;
    in->left -= k;
}

/* A copy of exactly the next n bytes (at most what is left) on the heap:
 * a read past it is an ASan report. *len gets the length. NULL only when
 * out of memory. */
static inline uint8_t *
fuzz_dup(fuzz_in_t *in, size_t n, size_t *len)
{
    uint8_t  *b;

    n = n < in->left ? n : in->left;

    b = malloc(n ? n : 1);
    if (b == NULL) {
        return NULL;
    }

    memcpy(b, in->p, n);
    in->p += n;
    in->left -= n;
    *len = n;

    return b;
}


#ifdef LB_FUZZ_MAIN

int
main(int argc, char **argv)
{
    int      i;
    long     n;
    FILE    *f;
    uint8_t *buf;

#ifdef LB_FUZZ_HAS_INIT
    LLVMFuzzerInitialize(&argc, &argv);
#endif

    for (i = 1; i < argc; i++) {
        f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }

        if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) == -1
            || fseek(f, 0, SEEK_SET) == -1)
        {
            perror(argv[i]);
            fclose(f);
            return 1;
        }

        buf = malloc((size_t) n + 1);
        if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
            perror(argv[i]);
            free(buf);
            fclose(f);
            return 1;
        }

        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) n);
        free(buf);
    }

    return 0;
}

#endif /* LB_FUZZ_MAIN */

#endif /* LB_FUZZ_H */
