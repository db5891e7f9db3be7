/* weir: unit tests for src/admin/lb_admin_json.c: the growing buffer,
 * commas and nesting, and string escaping (RFC 8259; bytes that are not
 * UTF-8 become U+FFFD). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_admin_json.h"

/* the escaped form of s[0..n) as a NUL-terminated string (static) */
static const char *
escaped(const char *s, size_t n)
{
    static char     out[256];
    lb_admin_buf_t  b;

    memset(&b, 0, sizeof(b));
    lb_json_escape(&b, s, n);
    assert_false(b.nomem);
    assert_true(b.len < sizeof(out));
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    lb_admin_buf_free(&b);

    return out;
}

#define ESC(lit)  escaped(lit, sizeof(lit) - 1)


static void
test_escape_ascii(void **state)
{
    assert_string_equal(ESC(""), "\"\"");
    assert_string_equal(ESC("web-tg"), "\"web-tg\"");
    assert_string_equal(ESC("a\"b"), "\"a\\\"b\"");
    assert_string_equal(ESC("a\\b"), "\"a\\\\b\"");
    assert_string_equal(ESC("/x/"), "\"/x/\"");     /* '/' needs nothing */
    assert_string_equal(ESC("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
    assert_string_equal(ESC("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
    /* a NUL inside the given length is escaped, not an end */
    assert_string_equal(escaped("a\0b", 3), "\"a\\u0000b\"");
}


static void
test_escape_utf8(void **state)
{
    /* well-formed: passed through (2, 3 and 4 bytes, the table's edges) */
    assert_string_equal(ESC("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    assert_string_equal(ESC("\xe2\x82\xac"), "\"\xe2\x82\xac\"");
    assert_string_equal(ESC("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
    assert_string_equal(ESC("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");
    assert_string_equal(ESC("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");

    /* not UTF-8: each bad byte is U+FFFD, what follows goes on */
    assert_string_equal(ESC("\xff"), "\"\\ufffd\"");
    assert_string_equal(ESC("\x80x"), "\"\\ufffdx\"");
    /* overlong '/' */
    assert_string_equal(ESC("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
    /* overlong 3-byte form, surrogate, above U+10FFFF */
    assert_string_equal(ESC("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
    assert_string_equal(ESC("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
    assert_string_equal(ESC("\xf4\x90\x80\x80"),
                        "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    /* cut short at the end of the string */
    assert_string_equal(ESC("a\xe2\x82"), "\"a\\ufffd\\ufffd\"");
}


static void
test_document(void **state)
{
    lb_json_t       j;
    lb_admin_buf_t  b;

    memset(&b, 0, sizeof(b));
    lb_json_init(&j, &b);

    lb_json_object(&j, NULL);
    lb_json_array(&j, "members");
    lb_json_object(&j, NULL);
    lb_json_str(&j, "id", "x");
    lb_json_uint(&j, "weight", 256);
    lb_json_tenths(&j, "weight_ratio", 333);
    lb_json_tenths(&j, "zero", 0);
    lb_json_tenths(&j, "all", 1000);
    lb_json_object_end(&j);
    lb_json_object(&j, NULL);
    lb_json_str(&j, "name", NULL);
    lb_json_str_set(&j, "unset", NULL);     /* left out */
    lb_json_str_set(&j, "set", "s");
    lb_json_int(&j, "limit", -1);
    lb_json_bool(&j, "up", true);
    lb_json_bool(&j, "down", false);
    lb_json_object_end(&j);
    lb_json_array_end(&j);
    lb_json_array(&j, "empty");
    lb_json_array_end(&j);
    lb_json_object(&j, "nothing");
    lb_json_object_end(&j);
    lb_json_array(&j, "strings");
    lb_json_str(&j, NULL, "a");
    lb_json_strn(&j, NULL, "bcd", 2);
    lb_json_null(&j, NULL);
    lb_json_array_end(&j);
    lb_json_object_end(&j);

    assert_false(b.nomem);
    assert_int_equal(j.depth, 0);
    lb_admin_buf_append(&b, "", 1);

    assert_string_equal((char *) b.data,
        "{\"members\":[{\"id\":\"x\",\"weight\":256,\"weight_ratio\":33.3,"
        "\"zero\":0.0,\"all\":100.0},{\"name\":null,\"set\":\"s\","
        "\"limit\":-1,"
        "\"up\":true,\"down\":false}],\"empty\":[],\"nothing\":{},"
        "\"strings\":[\"a\",\"bc\",null]}");

    lb_admin_buf_free(&b);
}


/* growing past the first 4 KB block and past several doublings keeps
 * every byte */
static void
test_buffer_growth(void **state)
{
    size_t          i;
    char            chunk[1000];
    lb_admin_buf_t  b;

    memset(&b, 0, sizeof(b));

    for (i = 0; i < 100; i++) {
        memset(chunk, 'a' + (int) (i % 26), sizeof(chunk));
        lb_admin_buf_append(&b, chunk, sizeof(chunk));
    }

    lb_admin_buf_printf(&b, "%s-%d", "end", 42);

    assert_false(b.nomem);
    assert_int_equal(b.len, 100 * 1000 + 6);
    assert_true(b.size >= b.len);

    for (i = 0; i < 100; i++) {
        assert_int_equal(b.data[i * 1000], 'a' + (int) (i % 26));
        assert_int_equal(b.data[i * 1000 + 999], 'a' + (int) (i % 26));
    }

    assert_memory_equal(b.data + 100000, "end-42", 6);

    lb_admin_buf_reset(&b);
    assert_int_equal(b.len, 0);
    lb_admin_buf_free(&b);
    assert_null(b.data);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_escape_ascii),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_buffer_growth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
