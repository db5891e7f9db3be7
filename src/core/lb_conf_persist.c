/* weir: the configuration file written back after a change made through
 * the management API (issue 11, item 6; SPEC.md 10: "every change is ...
 * persisted so that a restart keeps it").
 *
 * How the admin process is to use it. A change is
 *   1. validated: the request body goes through the same schema tables as
 *      the file (a 400 leaves everything as it was);
 *   2. applied to a copy of the running lb_conf_t, in a pool of its own;
 *   3. persisted: lb_conf_persist(copy, the file weir was started with);
 *   4. only then applied live (the new generation in the shared zone, or
 *      a graceful reload for listener changes), and answered.
 * When step 3 fails (disk full, read-only file system, no permission), the
 * answer is 500 with lb_conf_persist()'s message, the copy is thrown away
 * and nothing is applied: the file on disk and the running state are both
 * what they were, so a HUP or a restart can never bring back something the
 * API refused, nor lose something it accepted.
 *
 * The file is written whole to a temporary file in the same directory and
 * renamed over the old one, so that a reader (weir -t, a HUP, a crash at
 * any point) sees the old file or the new one, never a mix. The text is
 * made in memory first: a dump that fails touches no disk. The text is the
 * dump of weir -T, every default and every id written out, so that a
 * renamed object keeps its id (lb_conf_id.c reads a written id back and
 * keeps it) and a restart reproduces exactly what the API shows. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lb_conf.h"
#include "lb_conf_persist.h"

typedef ssize_t (*lb_conf_persist_write_pt)(int fd, const void *buf,
    size_t n);
typedef int (*lb_conf_persist_fd_pt)(int fd);
typedef int (*lb_conf_persist_paths_pt)(const char *from, const char *to);

static lb_int_t lb_conf_persist_text(const lb_conf_t *conf, char **buf,
    size_t *len, char *err, size_t errlen);
static lb_int_t lb_conf_persist_write_all(int fd, const char *name,
    const char *buf, size_t len, char *err, size_t errlen);
static void lb_conf_persist_error(char *err, size_t errlen, int e,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* the system calls whose failure the unit tests inject: they include this
 * file and point these elsewhere */
static lb_conf_persist_write_pt  lb_conf_persist_sys_write = write;
static lb_conf_persist_fd_pt     lb_conf_persist_sys_fsync = fsync;
static lb_conf_persist_paths_pt  lb_conf_persist_sys_link = link;
static lb_conf_persist_paths_pt  lb_conf_persist_sys_rename = rename;


lb_int_t
lb_conf_persist(const lb_conf_t *conf, const char *path, char *err,
    size_t errlen)
{
    char      *buf;
    size_t     len;
    lb_int_t   rc;

    err[0] = '\0';

    if (lb_conf_persist_text(conf, &buf, &len, err, errlen) != LB_OK) {
        return LB_ERROR;
    }

    rc = lb_conf_persist_file(buf, len, path, err, errlen);

    free(buf);

    return rc;
}


lb_int_t
lb_conf_persist_dump(const lb_conf_t *conf, char **buf, size_t *len,
    char *err, size_t errlen)
{
    err[0] = '\0';

    return lb_conf_persist_text(conf, buf, len, err, errlen);
}


lb_int_t
lb_conf_persist_file(const char *buf, size_t len, const char *path,
    char *err, size_t errlen)
{
    int           fd, dfd;
    bool          exists;
    char         *slash;
    mode_t        mode;
    struct stat   st;
    const char   *target;
    char          real[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX],
                  bak[PATH_MAX], tmpl[PATH_MAX];

    err[0] = '\0';
    fd = -1;
    dfd = -1;
    tmp[0] = '\0';

    /* the file it replaces: its mode and owner are kept; a symbolic link
     * is followed, or the rename would replace the link by a file */
    target = path;
    exists = true;

    if (lstat(path, &st) == -1) {
        if (errno != ENOENT) {
            lb_conf_persist_error(err, errlen, errno, "lstat(\"%s\")", path);
            goto failed;
        }
        exists = false;

    } else if (S_ISLNK(st.st_mode)) {
        if (realpath(path, real) == NULL) {
            lb_conf_persist_error(err, errlen, errno, "realpath(\"%s\")",
                                  path);
            goto failed;
        }
        target = real;

        if (stat(target, &st) == -1) {
            lb_conf_persist_error(err, errlen, errno, "stat(\"%s\")",
                                  target);
            goto failed;
        }
    }

    if (exists && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "\"%s\" is not a regular file", target);
        goto failed;
    }

    /* a new file: readable by all, as a person's editor would make it */
    mode = exists ? (st.st_mode & 07777) : 0644;

    if (snprintf(tmpl, sizeof(tmpl), "%s.tmpXXXXXX", target)
            >= (int) sizeof(tmpl)
        || snprintf(bak, sizeof(bak), "%s.bak", target) >= (int) sizeof(bak))
    {
        snprintf(err, errlen, "\"%s\": the path is too long", target);
        goto failed;
    }

    /* the directory is opened before anything is changed: once the rename
     * is done, only its fsync() can still fail */
    strcpy(dir, target);
    slash = strrchr(dir, '/');
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }

    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd == -1) {
        lb_conf_persist_error(err, errlen, errno, "open(\"%s\")", dir);
        goto failed;
    }

    strcpy(tmp, tmpl);
    fd = mkstemp(tmp);
    if (fd == -1) {
        lb_conf_persist_error(err, errlen, errno, "mkstemp(\"%s\")", tmpl);
        tmp[0] = '\0';
        goto failed;
    }

    if (fchmod(fd, mode) == -1) {
        lb_conf_persist_error(err, errlen, errno, "fchmod(\"%s\", %04o)",
                              tmp, (unsigned) mode);
        goto failed;
    }

    if (exists && geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) == -1)
    {
        lb_conf_persist_error(err, errlen, errno, "fchown(\"%s\", %lu, %lu)",
                              tmp, (unsigned long) st.st_uid,
                              (unsigned long) st.st_gid);
        goto failed;
    }

    if (lb_conf_persist_write_all(fd, tmp, buf, len, err, errlen) != LB_OK) {
        goto failed;
    }

    if (lb_conf_persist_sys_fsync(fd) == -1) {
        lb_conf_persist_error(err, errlen, errno, "fsync(\"%s\")", tmp);
        goto failed;
    }

    if (close(fd) == -1) {
        fd = -1;
        lb_conf_persist_error(err, errlen, errno, "close(\"%s\")", tmp);
        goto failed;
    }
    fd = -1;

    /* the old file keeps its inode under the .bak name: no copy, and path
     * is never missing */
    if (exists) {
        if (unlink(bak) == -1 && errno != ENOENT) {
            lb_conf_persist_error(err, errlen, errno, "unlink(\"%s\")", bak);
            goto failed;
        }

        if (lb_conf_persist_sys_link(target, bak) == -1) {
            lb_conf_persist_error(err, errlen, errno,
                                  "link(\"%s\", \"%s\")", target, bak);
            goto failed;
        }
    }

    if (lb_conf_persist_sys_rename(tmp, target) == -1) {
        lb_conf_persist_error(err, errlen, errno, "rename(\"%s\", \"%s\")",
                              tmp, target);
        goto failed;
    }

    /* done: the new file is in place */
    tmp[0] = '\0';

    if (lb_conf_persist_sys_fsync(dfd) == -1) {
        lb_conf_persist_error(err, errlen, errno, "fsync(\"%s\")", dir);
        snprintf(err + strlen(err), errlen - strlen(err), "; \"%s\" is "
                 "written but may not survive a power loss", target);
    }

    (void) close(dfd);

    return LB_OK;

failed:

    if (fd != -1) {
        (void) close(fd);
    }

    if (tmp[0] != '\0') {
        (void) unlink(tmp);
    }

    if (dfd != -1) {
        (void) close(dfd);
    }

    return LB_ERROR;
}


/* the whole file in memory, in a malloc()ed buffer the caller frees */
static lb_int_t
lb_conf_persist_text(const lb_conf_t *conf, char **buf, size_t *len,
    char *err, size_t errlen)
{
    FILE      *mem;
    lb_int_t   rc;

    *buf = NULL;
    *len = 0;

    mem = open_memstream(buf, len);
    if (mem == NULL) {
        lb_conf_persist_error(err, errlen, errno, "open_memstream()");
        return LB_ERROR;
    }

    rc = lb_conf_dump_with(mem, conf, LB_CONF_PERSIST_COMMENT);

    if (fclose(mem) == EOF || rc != LB_OK) {
        snprintf(err, errlen, "writing the configuration in memory failed");
        free(*buf);
        *buf = NULL;
        return LB_ERROR;
    }

    return LB_OK;
}


/* write(2) may write less than asked (a signal, a full disk): go on from
 * where it stopped; a write of nothing is an error, not a loop */
static lb_int_t
lb_conf_persist_write_all(int fd, const char *name, const char *buf,
    size_t len, char *err, size_t errlen)
{
    size_t    done;
    ssize_t   n;

    for (done = 0; done < len; done += (size_t) n) {
        n = lb_conf_persist_sys_write(fd, buf + done, len - done);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }

            lb_conf_persist_error(err, errlen, errno,
                                  "write(\"%s\") after %zu of %zu bytes",
                                  name, done, len);
            return LB_ERROR;
        }

        if (n == 0) {
            snprintf(err, errlen, "write(\"%s\") wrote nothing after %zu of "
                     "%zu bytes", name, done, len);
            return LB_ERROR;
        }
    }

    return LB_OK;
}


/* "<what> failed: <strerror(e)>" */
static void
lb_conf_persist_error(char *err, size_t errlen, int e, const char *fmt, ...)
{
    int       n;
    va_list   ap;

    va_start(ap, fmt);
    n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);

    if (n >= 0 && (size_t) n < errlen) {
        snprintf(err + n, errlen - (size_t) n, " failed: %s", strerror(e));
    }
}
