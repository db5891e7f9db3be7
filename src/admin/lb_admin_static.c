/* weir: the web console's files, read once and served by exact name
 * (lb_admin_static.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "lb_admin_static.h"
#include "lb_cycle.h"
#include "lb_http_parse.h"
#include "lb_log.h"
#include "lb_palloc.h"

/* under LB_HTML_PATH (configure: html, or PREFIX/share/weir/html) */
#define LB_ADMIN_STATIC_DIR  LB_HTML_PATH "/console"

typedef struct {
    char                 name[LB_ADMIN_STATIC_NAME_MAX + 1];
    const char          *type;
    u_char              *data;
    size_t               len;
    char                 etag[32];      /* with its quotes */
} lb_admin_file_t;

typedef struct {
    const char          *ext;
    const char          *type;
} lb_admin_type_t;

static bool lb_admin_static_name_ok(const char *name);
static const char *lb_admin_static_type(const char *name);
static lb_int_t lb_admin_static_read(lb_pool_t *pool, const char *dir,
    const char *name, lb_admin_file_t *f);
static const lb_admin_file_t *lb_admin_static_find(const char *path,
    size_t len);
static bool lb_admin_static_fresh(const lb_http_msg_t *msg, const u_char *in,
    const lb_admin_file_t *f);

static const lb_admin_type_t  lb_admin_types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js",   "text/javascript; charset=utf-8" },
    { ".mjs",  "text/javascript; charset=utf-8" },
    { ".css",  "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg",  "image/svg+xml" },
    { ".png",  "image/png" },
    { ".ico",  "image/x-icon" },
    { ".txt",  "text/plain; charset=utf-8" },
    { ".woff2", "font/woff2" },
    { NULL, NULL }
};

/* what every console answer says besides its own fields */
static const char  lb_admin_static_fields[] =
    "Cache-Control: no-cache\r\n"
    "Content-Security-Policy: " LB_ADMIN_CSP "\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n";

static const char  lb_admin_static_405[] =
    "method not allowed; the console's files are read with GET or HEAD\n";

static struct {
    lb_admin_file_t     *files;
    uint32_t             nfiles;
} lb_admin_static;


lb_int_t
lb_admin_static_init(lb_cycle_t *cycle)
{
    DIR              *d;
    char             *dir;
    lb_int_t          rc;
    struct dirent    *de;
    lb_admin_file_t  *f;

    lb_admin_static.files = NULL;
    lb_admin_static.nfiles = 0;

    dir = lb_full_name(cycle->pool, cycle->prefix, LB_ADMIN_STATIC_DIR);
    if (dir == NULL) {
        return LB_ERROR;
    }

    d = opendir(dir);
    if (d == NULL) {
        lb_log_error(LB_LOG_NOTICE, &lb_log, errno, "admin: no console: "
                     "opendir() \"%s\" failed", dir);
        return LB_OK;
    }

    lb_admin_static.files = lb_pcalloc(cycle->pool, LB_ADMIN_STATIC_FILES
                                                    * sizeof(lb_admin_file_t));
    if (lb_admin_static.files == NULL) {
        (void) closedir(d);
        return LB_ERROR;
    }

    rc = LB_OK;

    for ( ;; ) {
        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0) {
                lb_log_error(LB_LOG_ERR, &lb_log, errno, "admin: readdir() "
                             "\"%s\" failed, the console may lack files",
                             dir);
            }
            break;
        }

        if (!lb_admin_static_name_ok(de->d_name)
            || lb_admin_static_type(de->d_name) == NULL)
        {
            if (de->d_name[0] != '.') {
                lb_log_error(LB_LOG_INFO, &lb_log, 0, "admin: console file "
                             "\"%s/%s\" not served: not a plain name with "
                             "a known type", dir, de->d_name);
            }
            continue;
        }

        if (lb_admin_static.nfiles == LB_ADMIN_STATIC_FILES) {
            lb_log_error(LB_LOG_WARN, &lb_log, 0, "admin: more than %d "
                         "files in \"%s\", \"%s\" and later ones not served",
                         LB_ADMIN_STATIC_FILES, dir, de->d_name);
            break;
        }

        f = &lb_admin_static.files[lb_admin_static.nfiles];

        rc = lb_admin_static_read(cycle->pool, dir, de->d_name, f);
        if (rc == LB_ERROR) {
            break;
        }

        if (rc == LB_OK) {
            lb_admin_static.nfiles++;
        }

        rc = LB_OK;
    }

    (void) closedir(d);

    if (rc == LB_OK) {
        lb_log_error(LB_LOG_INFO, &lb_log, 0, "admin: console: %u files "
                     "from \"%s\"", lb_admin_static.nfiles, dir);
    }

    return rc;
}


/* letters, digits, '.', '_', '-'; not starting with '.' */
static bool
lb_admin_static_name_ok(const char *name)
{
    size_t  i;
    u_char  c;

    if (name[0] == '\0' || name[0] == '.') {
        return false;
    }

    for (i = 0; name[i] != '\0'; i++) {
        c = (u_char) name[i];

        if (i == LB_ADMIN_STATIC_NAME_MAX) {
            return false;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        {
            return false;
        }
    }

    return true;
}


static const char *
lb_admin_static_type(const char *name)
{
    size_t                  len, elen;
    const lb_admin_type_t  *t;

    len = strlen(name);

    for (t = lb_admin_types; t->ext != NULL; t++) {
        elen = strlen(t->ext);
        if (len > elen && strcmp(name + len - elen, t->ext) == 0) {
            return t->type;
        }
    }

    return NULL;
}


/* LB_OK: read into f; LB_DECLINED: not a regular file, too large or
 * unreadable (logged); LB_ERROR: out of memory */
static lb_int_t
lb_admin_static_read(lb_pool_t *pool, const char *dir, const char *name,
    lb_admin_file_t *f)
{
    int          fd;
    char         path[4096];
    size_t       got;
    ssize_t      n;
    struct stat  st;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name)
        >= (int) sizeof(path))
    {
        return LB_DECLINED;
    }

    /* a symbolic link in the directory may lead anywhere: not served */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd == -1) {
        lb_log_error(LB_LOG_WARN, &lb_log, errno, "admin: open() \"%s\" "
                     "failed, not served%s", path,
                     errno == ELOOP ? " (a symbolic link)" : "");
        return LB_DECLINED;
    }

    if (fstat(fd, &st) == -1) {
        lb_log_error(LB_LOG_ERR, &lb_log, errno, "admin: fstat() \"%s\" "
                     "failed, not served", path);
        goto declined;
    }

    if (!S_ISREG(st.st_mode)) {
        goto declined;
    }

    if (st.st_size > LB_ADMIN_STATIC_SIZE_MAX) {
        lb_log_error(LB_LOG_WARN, &lb_log, 0, "admin: \"%s\" is larger than "
                     "%d bytes, not served", path, LB_ADMIN_STATIC_SIZE_MAX);
        goto declined;
    }

    f->len = (size_t) st.st_size;
    f->data = lb_palloc(pool, f->len + 1);
    if (f->data == NULL) {
        (void) close(fd);
        return LB_ERROR;
    }

    for (got = 0; got < f->len; got += (size_t) n) {
        n = read(fd, f->data + got, f->len - got);
        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0) {
            lb_log_error(LB_LOG_ERR, &lb_log, n == 0 ? 0 : errno, "admin: "
                         "read() \"%s\" failed, not served", path);
            goto declined;
        }
    }

    (void) close(fd);

    (void) snprintf(f->name, sizeof(f->name), "%s", name);
    f->type = lb_admin_static_type(name);
    (void) snprintf(f->etag, sizeof(f->etag), "\"%08lx-%zx\"",
                    (unsigned long) crc32(0L, f->data, (uInt) f->len), f->len);

    return LB_OK;

declined:

    (void) close(fd);
    return LB_DECLINED;
}


lb_int_t
lb_admin_static_answer(const lb_http_msg_t *msg, const u_char *in, bool keep,
    char *head, size_t size, size_t *head_len, const u_char **body,
    size_t *body_len)
{
    int                     n;
    size_t                  len;
    const char             *path, *q;
    const lb_admin_file_t  *f;

    path = (const char *) in + msg->path.off;
    len = msg->path.len;

    if (len == 0) {
        path = "/";
        len = 1;
    }

    q = memchr(path, '?', len);
    if (q != NULL) {
        len = (size_t) (q - path);
    }

    f = lb_admin_static_find(path, len);
    if (f == NULL) {
        return LB_DECLINED;
    }

    if (msg->method != LB_HTTP_METHOD_GET
        && msg->method != LB_HTTP_METHOD_HEAD)
    {
        n = snprintf(head, size,
                     "HTTP/1.1 405 Method Not Allowed\r\n"
                     "Server: weir\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "Allow: GET, HEAD\r\n"
                     "%s"
                     "%s\r\n",
                     sizeof(lb_admin_static_405) - 1, lb_admin_static_fields,
                     keep ? "" : "Connection: close\r\n");

        *body = (const u_char *) lb_admin_static_405;
        *body_len = sizeof(lb_admin_static_405) - 1;
        goto done;
    }

    if (lb_admin_static_fresh(msg, in, f)) {
        /* no body and no length: the browser keeps what it has */
        n = snprintf(head, size,
                     "HTTP/1.1 304 Not Modified\r\n"
                     "Server: weir\r\n"
                     "ETag: %s\r\n"
                     "%s"
                     "%s\r\n",
                     f->etag, lb_admin_static_fields,
                     keep ? "" : "Connection: close\r\n");

        *body = NULL;
        *body_len = 0;
        goto done;
    }

    n = snprintf(head, size,
                 "HTTP/1.1 200 OK\r\n"
                 "Server: weir\r\n"
                 "Content-Type: %s\r\n"
                 "Content-Length: %zu\r\n"
                 "ETag: %s\r\n"
                 "%s"
                 "%s\r\n",
                 f->type, f->len, f->etag, lb_admin_static_fields,
                 keep ? "" : "Connection: close\r\n");

    /* HEAD: the same head, no body */
    *body = f->data;
    *body_len = msg->method == LB_HTTP_METHOD_HEAD ? 0 : f->len;

done:

    if (n <= 0 || (size_t) n >= size) {
        return LB_ERROR;
    }

    *head_len = (size_t) n;

    return LB_OK;
}


/* "/" is index.html; "/name" a file by its exact name */
static const lb_admin_file_t *
lb_admin_static_find(const char *path, size_t len)
{
    uint32_t  i;

    if (len == 0 || path[0] != '/') {
        return NULL;
    }

    if (len == 1) {
        path = "/index.html";
        len = sizeof("/index.html") - 1;
    }

    path++;
    len--;

    for (i = 0; i < lb_admin_static.nfiles; i++) {
        if (strlen(lb_admin_static.files[i].name) == len
            && memcmp(lb_admin_static.files[i].name, path, len) == 0)
        {
            return &lb_admin_static.files[i];
        }
    }

    return NULL;
}


/* If-None-Match lists the file's ETag (weak comparison, RFC 9110 13.1.2)
 * or is "*" */
static bool
lb_admin_static_fresh(const lb_http_msg_t *msg, const u_char *in,
    const lb_admin_file_t *f)
{
    size_t                   k, e, len, tlen;
    uint32_t                 i;
    const u_char            *v;
    const lb_http_header_t  *h;

    tlen = strlen(f->etag);

    for (i = 0; i < msg->nheaders; i++) {
        h = &msg->headers[i];

        if (h->name.len != sizeof("If-None-Match") - 1
            || !lb_http_ieq(in + h->name.off, "If-None-Match", h->name.len))
        {
            continue;
        }

        v = in + h->value.off;
        len = h->value.len;

        for (k = 0; k < len; k = e + 1) {
            while (k < len && (v[k] == ' ' || v[k] == '\t')) {
                k++;
            }

            for (e = k; e < len && v[e] != ','; e++) { /* void */ }

            if (e - k == 1 && v[k] == '*') {
                return true;
            }

            if (e - k >= 2 && v[k] == 'W' && v[k + 1] == '/') {
                k += 2;
            }

            while (e > k && (v[e - 1] == ' ' || v[e - 1] == '\t')) {
                e--;
            }

            if (e - k == tlen && memcmp(v + k, f->etag, tlen) == 0) {
                return true;
            }

            /* e stopped before the trailing blanks: find the comma */
            while (e < len && v[e] != ',') {
                e++;
            }
        }
    }

    return false;
}
