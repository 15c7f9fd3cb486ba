/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of firmware/app/vg_json.c: the JSON writer of the device's messages. Numbers
 * (significant digits, plain and exponent notation, rounding carries, non-finite as null),
 * string escapes, nesting and commas, and the buffer: exact fit, one byte short, guard bytes
 * untouched, never a cut document.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vg_json.h"

static void num_is(double v, unsigned sig, const char *want)
{
    char b[40];
    size_t n = vg_json_fmt_num(b, sizeof b, v, sig);
    assert_string_equal(b, want);
    assert_int_equal(n, strlen(want));
    /* and it reads back within the precision */
    if (isfinite(v) && v != 0.0)
        assert_true(fabs(strtod(b, NULL) - v) <= fabs(v) * 0.6 * pow(10.0, 1.0 - sig));
}

static void test_numbers(void **state)
{
    (void)state;
    num_is(0.0, 6, "0");
    num_is(-0.0, 6, "0");
    num_is(1.0, 6, "1");
    num_is(20.5, 6, "20.5");
    num_is(-21.37, 6, "-21.37");
    num_is(0.0123, 6, "0.0123");
    num_is(0.93, 6, "0.93");
    num_is(1.0 / 3.0, 6, "0.333333");
    num_is(2.0 / 3.0, 3, "0.667");
    num_is(9.9999999, 6, "10"); /* rounding carries into a new digit */
    num_is(999999.5, 6, "1000000");
    num_is(0.00001234, 6, "0.00001234");
    num_is(0.000001234, 6, "1.234e-6");
    num_is(1767225600.5, 15, "1767225600.5");
    num_is(123456789012345.0, 15, "123456789012345");
    num_is(1.5e15, 6, "1.5e15");
    num_is(3.4028234663852886e38, 7, "3.402823e38");
    num_is(1e-45, 3, "1e-45");
    num_is(5e-324, 3, "4.94e-324");
    num_is(12345.678, 1, "10000");
    char b[40];
    assert_int_equal(vg_json_fmt_num(b, sizeof b, NAN, 6), 4);
    assert_string_equal(b, "null");
    vg_json_fmt_num(b, sizeof b, INFINITY, 6);
    assert_string_equal(b, "null");
    vg_json_fmt_num(b, sizeof b, -INFINITY, 6);
    assert_string_equal(b, "null");
    assert_int_equal(vg_json_fmt_num(b, 4, 20.5, 6), 0); /* "20.5" needs 5 with the NUL */
    assert_int_equal(vg_json_fmt_num(b, 5, 20.5, 6), 4);
}

static void test_document(void **state)
{
    (void)state;
    char b[512];
    vg_jw_t w;
    vg_jw_init(&w, b, sizeof b);
    vg_jw_obj(&w);
    vg_jw_key(&w, "v");
    vg_jw_int(&w, 1);
    vg_jw_key(&w, "neg");
    vg_jw_int(&w, INT64_MIN);
    vg_jw_key(&w, "ts");
    vg_jw_uint(&w, 1763900000123ull);
    vg_jw_key(&w, "s");
    vg_jw_str(&w, "a\"b\\c\n\r\t\x01\x7f/é");
    vg_jw_key(&w, "nul");
    vg_jw_strn(&w, "x\0y", 3);
    vg_jw_key(&w, "none");
    vg_jw_str(&w, NULL);
    vg_jw_key(&w, "arr");
    vg_jw_arr(&w);
    vg_jw_bool(&w, 1);
    vg_jw_bool(&w, 0);
    vg_jw_null(&w);
    vg_jw_obj(&w);
    vg_jw_end(&w);
    vg_jw_arr(&w);
    vg_jw_end(&w);
    vg_jw_num(&w, 0.5, 6);
    vg_jw_end(&w);
    vg_jw_key(&w, "raw");
    vg_jw_raw(&w, "{\"k\":2}");
    vg_jw_end(&w);
    size_t len;
    assert_int_equal(vg_jw_finish(&w, &len), VG_OK);
    assert_string_equal(b, "{\"v\":1,\"neg\":-9223372036854775808,\"ts\":1763900000123,"
                           "\"s\":\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u007f/é\",\"nul\":\"x\\u0000y\","
                           "\"none\":null,\"arr\":[true,false,null,{},[],0.5],\"raw\":{\"k\":2}}");
    assert_int_equal(len, strlen(b));
}

/* The same document into every buffer size: complete with the exact size, refused below it,
 * and the bytes after the buffer untouched. */
static void test_buffer_sizes(void **state)
{
    (void)state;
    char full[256];
    size_t need = 0;
    for (size_t cap = 0; cap < 120; cap++) {
        char b[256];
        memset(b, 0x5A, sizeof b);
        vg_jw_t w;
        vg_jw_init(&w, b, cap);
        vg_jw_obj(&w);
        vg_jw_key(&w, "id");
        vg_jw_str(&w, "c-42 \"quoted\"");
        vg_jw_key(&w, "x");
        vg_jw_num(&w, 3.25, 6);
        vg_jw_end(&w);
        size_t len;
        vg_status_t st = vg_jw_finish(&w, &len);
        for (size_t i = cap; i < sizeof b; i++)
            assert_int_equal((unsigned char)b[i], 0x5A);
        if (st == VG_OK) {
            if (!need) {
                need = cap;
                memcpy(full, b, len + 1);
            }
            assert_int_equal(len + 1, need);
        } else {
            assert_int_equal(st, VG_ERR_SIZE);
            assert_int_equal(need, 0);
        }
    }
    assert_string_equal(full, "{\"id\":\"c-42 \\\"quoted\\\"\",\"x\":3.25}");
}

static void test_misuse(void **state)
{
    (void)state;
    char b[64];
    vg_jw_t w;
    vg_jw_init(&w, b, sizeof b);
    vg_jw_obj(&w);
    vg_jw_key(&w, "a");
    assert_int_equal(vg_jw_finish(&w, NULL), VG_ERR_ARG); /* key without value, unclosed */
    vg_jw_init(&w, b, sizeof b);
    vg_jw_end(&w);
    assert_int_equal(vg_jw_finish(&w, NULL), VG_ERR_ARG);
    vg_jw_init(&w, b, sizeof b);
    vg_jw_key(&w, "top"); /* a key outside an object */
    assert_int_equal(vg_jw_finish(&w, NULL), VG_ERR_ARG);
    vg_jw_init(&w, b, sizeof b);
    for (int i = 0; i < VG_JW_MAX_DEPTH + 2; i++)
        vg_jw_arr(&w);
    for (int i = 0; i < VG_JW_MAX_DEPTH + 2; i++)
        vg_jw_end(&w);
    assert_int_equal(vg_jw_finish(&w, NULL), VG_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_buffer_sizes),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
