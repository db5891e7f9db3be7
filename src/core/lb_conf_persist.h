/* weir: writing the configuration file back (lb_conf_persist.c): what
 * the admin process does after every accepted change (SPEC.md 10). */
#ifndef LB_CONF_PERSIST_H
#define LB_CONF_PERSIST_H

#include <stddef.h>

#include "lb_conf_types.h"

/* The comment that heads the file the API writes. */
#define LB_CONF_PERSIST_COMMENT                                             \
    "# weir: this file is maintained by weir's management API; every\n"    \
    "# accepted change rewrites it (the previous version is kept as\n"      \
    "# <this file>.bak). Edit it only while weir is stopped, or reload\n"   \
    "# (weir -s reload) right after editing: the next API change writes\n"  \
    "# the running configuration over an edit weir has not read.\n"

/* Write conf as YAML (LB_CONF_PERSIST_COMMENT, then lb_conf_dump_with())
 * to the file at path, atomically: a temporary file "<path>.tmpXXXXXX" in
 * the same directory with the mode of the file it replaces (and its owner
 * when running as root), written whole, fsync()ed; the file it replaces
 * hard-linked as "<path>.bak"; renamed over path; the directory fsync()ed.
 * A symbolic link at path is followed: its target is replaced.
 *
 * Returns LB_ERROR when the file could not be replaced: path then has the
 * same bytes as before, no temporary file is left, and err (errlen >= 1 bytes,
 * always NUL-terminated) names the step, the file and errno, e.g.
 *   rename("conf/weir.yaml.tmpa1B2c3", "conf/weir.yaml") failed:
 *   Read-only file system
 * ("<path>.bak" may by then hold the bytes of path already.)
 * Returns LB_OK once the new file is in place; err is then "" or, when
 * only the final fsync() of the directory failed, a warning to log (the
 * new file is there, but a power loss could still bring back the old one).
 * Allocates nothing that outlives the call; conf is only read. */
lb_int_t lb_conf_persist(const lb_conf_t *conf, const char *path, char *err,
    size_t errlen);

/* The two halves of lb_conf_persist(), for a writer that is not the
 * process that made the text (the admin process runs as an unprivileged
 * user: it makes the text, the master writes the file).
 * lb_conf_persist_dump(): the text in a malloc()ed *buf (the caller frees
 * it), *len bytes; LB_ERROR with err set when it could not be made.
 * lb_conf_persist_file(): buf[0..len) written to path as lb_conf_persist()
 * writes, with the same results and messages. */
lb_int_t lb_conf_persist_dump(const lb_conf_t *conf, char **buf,
    size_t *len, char *err, size_t errlen);
lb_int_t lb_conf_persist_file(const char *buf, size_t len,
    const char *path, char *err, size_t errlen);

#endif /* LB_CONF_PERSIST_H */
