/* weir: unit tests for src/http/lb_http_error.c: every status weir answers
 * by itself has a page, heads are exact, pages come from errors/ under
 * the html directory (html/ of the prefix unless configured elsewhere)
 * when the file is there and usable, built in otherwise. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb_log.h"
#include "lb_palloc.h"
#include "lb_http_session.h"

static const unsigned  lbt_statuses[] = {
    400, 404, 405, 408, 414, 431, 500, 501, 502, 503, 504, 505
};


static void
test_table(void **state)
{
    size_t                 i;
    char                   title[64];
    const lb_http_page_t  *p;

    (void) state;

    for (i = 0; i < lb_nelems(lbt_statuses); i++) {
        p = lb_http_page(lbt_statuses[i]);
        assert_int_equal(p->status, lbt_statuses[i]);
        assert_non_null(p->reason);
        assert_true(p->len > 0 && p->len < 1024);
        assert_int_equal(strlen((const char *) p->body), p->len);

        snprintf(title, sizeof(title), "<title>%u %s</title>", p->status,
                 p->reason);
        assert_non_null(strstr((const char *) p->body, title));
    }

    assert_string_equal(lb_http_page(502)->reason, "Bad Gateway");
    assert_string_equal(lb_http_page(503)->reason, "Service Unavailable");
    assert_string_equal(lb_http_page(504)->reason, "Gateway Timeout");
    assert_string_equal(lb_http_page(431)->reason,
                        "Request Header Fields Too Large");

    /* a status without a page of its own gets 500's */
    assert_int_equal(lb_http_page(418)->status, 500);
}


static void
lbt_head(unsigned status, unsigned version, bool keep, const char *want)
{
    u_char                 buf[512];
    lb_http_buf_t          out;
    const lb_http_page_t  *p;
    char                   full[512];

    p = lb_http_page(status);
    out.start = out.pos = out.last = buf;
    out.end = buf + sizeof(buf);

    assert_int_equal(lb_http_page_head(p, version, keep, &out), LB_OK);

    snprintf(full, sizeof(full), want, p->len);
    assert_int_equal(out.last - out.start, strlen(full));
    assert_memory_equal(out.start, full, strlen(full));
}


static void
test_head(void **state)
{
    u_char         buf[64];
    lb_http_buf_t  out;

    (void) state;

    lbt_head(503, 11, true,
             "HTTP/1.1 503 Service Unavailable\r\n"
             "Content-Type: text/html\r\nContent-Length: %zu\r\n"
             "Cache-Control: no-store\r\n\r\n");
    lbt_head(400, 11, false,
             "HTTP/1.1 400 Bad Request\r\n"
             "Content-Type: text/html\r\nContent-Length: %zu\r\n"
             "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
    lbt_head(404, 10, true,
             "HTTP/1.1 404 Not Found\r\n"
             "Content-Type: text/html\r\nContent-Length: %zu\r\n"
             "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n");

    out.start = out.pos = out.last = buf;
    out.end = buf + sizeof(buf);
    assert_int_equal(lb_http_page_head(lb_http_page(502), 11, false, &out),
                     LB_DECLINED);
    assert_ptr_equal(out.last, buf);
}


static void
lbt_write(const char *path, const char *text, size_t len)
{
    FILE  *f;

    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}


static void
test_load(void **state)
{
    int         fd;
    char        dir[] = "/tmp/weir-pages-XXXXXX";
    char        path[256];
    char       *big;
    lb_pool_t  *pool;

    (void) state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/html", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/html/errors", dir);
    assert_int_equal(mkdir(path, 0755), 0);

    snprintf(path, sizeof(path), "%s/html/errors/503.html", dir);
    lbt_write(path, "<p>busy</p>\n", 12);

    /* too large for a page: the built-in one stays */
    big = malloc(65 * 1024);
    assert_non_null(big);
    memset(big, 'x', 65 * 1024);
    snprintf(path, sizeof(path), "%s/html/errors/502.html", dir);
    lbt_write(path, big, 65 * 1024);
    free(big);

    /* not a file */
    snprintf(path, sizeof(path), "%s/html/errors/504.html", dir);
    assert_int_equal(mkdir(path, 0755), 0);

    pool = lb_create_pool(4096);
    assert_non_null(pool);

    fd = lb_log.fd;
    lb_log.fd = open("/dev/null", 1);

    snprintf(path, sizeof(path), "%s/html", dir);
    assert_int_equal(lb_http_pages_load(pool, path), LB_OK);

    close(lb_log.fd);
    lb_log.fd = fd;

    assert_int_equal(lb_http_page(503)->len, 12);
    assert_memory_equal(lb_http_page(503)->body, "<p>busy</p>\n", 12);
    assert_string_equal(lb_http_page(503)->reason, "Service Unavailable");
    assert_non_null(strstr((const char *) lb_http_page(502)->body,
                           "502 Bad Gateway"));
    assert_non_null(strstr((const char *) lb_http_page(504)->body,
                           "504 Gateway Timeout"));
    assert_non_null(strstr((const char *) lb_http_page(404)->body,
                           "404 Not Found"));

    /* loading again from a prefix without pages: all built in */
    assert_int_equal(lb_http_pages_load(pool, "/nonexistent"), LB_OK);
    assert_non_null(strstr((const char *) lb_http_page(503)->body,
                           "503 Service Unavailable"));

    lb_destroy_pool(pool);

    snprintf(path, sizeof(path), "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}


/* the pages shipped in html/errors/ say what the built-in ones say */
static void
test_shipped(void **state)
{
    size_t       i;
    char           prefix[256], *p, *builtin[lb_nelems(lbt_statuses)];
    lb_pool_t     *pool;
    const u_char  *static_body[lb_nelems(lbt_statuses)];

    (void) state;

    /* __FILE__ is t/unit/http/test_lb_http_error.c from the tree's top */
    snprintf(prefix, sizeof(prefix), "%s", __FILE__);
    p = strstr(prefix, "t/unit/http/");
    assert_non_null(p);
    if (p == prefix) {
        snprintf(prefix, sizeof(prefix), ".");
    } else {
        p[-1] = '\0';
    }

    pool = lb_create_pool(4096);
    assert_non_null(pool);

    assert_int_equal(lb_http_pages_load(pool, "/nonexistent"), LB_OK);
    for (i = 0; i < lb_nelems(lbt_statuses); i++) {
        static_body[i] = lb_http_page(lbt_statuses[i])->body;
        builtin[i] = lb_pstrndup(pool,
                                 (const char *) lb_http_page(lbt_statuses[i])
                                 ->body,
                                 lb_http_page(lbt_statuses[i])->len);
    }

    /* the directory of the pages: html/ of the tree */
    assert_true(strlen(prefix) + sizeof("/html") <= sizeof(prefix));
    strcat(prefix, "/html");
    assert_int_equal(lb_http_pages_load(pool, prefix), LB_OK);
    for (i = 0; i < lb_nelems(lbt_statuses); i++) {
        /* read from the file, not left built in */
        if (lb_http_page(lbt_statuses[i])->body == static_body[i]
            || lb_http_page(lbt_statuses[i])->len != strlen(builtin[i])
            || memcmp(lb_http_page(lbt_statuses[i])->body, builtin[i],
                      strlen(builtin[i])) != 0)
        {
            print_error("%s/html/errors/%u.html differs from the built-in "
                        "page\n", prefix, lbt_statuses[i]);
            fail();
        }
    }

    lb_destroy_pool(pool);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_shipped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
