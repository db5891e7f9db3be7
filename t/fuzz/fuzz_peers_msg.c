/* weir: fuzz target for the sync protocol's frame reader
 * (lb_peers_msg_parse), which reads what a peer, or anyone who reaches
 * the peers' port, sends.
 *
 * Input: a stream of bytes as a connection would deliver it, read frame
 * after frame from a heap copy of exactly its size (ASan sees a byte
 * past it) until the reader asks for more or refuses.
 *
 * Checks: a frame taken is 4 bytes of length plus that length, at most
 * LB_PEERS_MSG_MAX + 4, and within the input; a refusal says why; every
 * span of the message lies inside the frame; the frame written back from
 * the message (lb_peers_msg_write) is byte for byte the frame read (the
 * format has one way to write each message); each proper prefix of an
 * accepted frame is "not whole yet", never an error. */
#include "lb_fuzz.h"

#include "lb_peers_msg.h"


static void
fuzz_span_in(const lb_peers_span_t *s, const uint8_t *f, size_t n)
{
    if (s->len == 0) {
        return;
    }

    fuzz_assert(s->data >= f && s->data + s->len <= f + n);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           len, off, used, n, k, used2;
    uint8_t         *buf, out[LB_PEERS_MSG_MAX + 4];
    lb_int_t         rc;
    fuzz_in_t        in;
    const char      *why;
    lb_peers_msg_t   m, m2;

    in.p = data;
    in.left = size;

    buf = fuzz_dup(&in, size, &len);
    if (buf == NULL) {
        return 0;
    }

    off = 0;

    for ( ;; ) {
        why = NULL;
        rc = lb_peers_msg_parse(buf + off, len - off, &m, &used, &why);

        if (rc == LB_AGAIN) {
            break;
        }

        if (rc == LB_ERROR) {
            fuzz_assert(why != NULL && why[0] != '\0');
            break;
        }

        fuzz_assert(rc == LB_OK);
        fuzz_assert(used >= 6 && used <= LB_PEERS_MSG_MAX + 4);
        fuzz_assert(used <= len - off);
        fuzz_assert(used == 4 + ((size_t) buf[off] << 24
                                 | (size_t) buf[off + 1] << 16
                                 | (size_t) buf[off + 2] << 8
                                 | buf[off + 3]));

        fuzz_span_in(&m.name, buf + off, used);
        fuzz_span_in(&m.table, buf + off, used);
        fuzz_span_in(&m.key, buf + off, used);
        fuzz_span_in(&m.value, buf + off, used);
        fuzz_span_in(&m.group, buf + off, used);

        n = lb_peers_msg_write(out, sizeof(out), &m);
        fuzz_assert(n == used);
        fuzz_assert(memcmp(out, buf + off, n) == 0);

        for (k = 0; k < used; k++) {
            fuzz_assert(lb_peers_msg_parse(buf + off, k, &m2, &used2, &why)
                        == LB_AGAIN);
        }

        off += used;
    }

    free(buf);

    return 0;
}
