/* SPDX-License-Identifier: MIT */
/* Unit tests for host/vigil/csv.c (cmocka). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "csv.h"

#define ERRLEN 256

/* Open a string literal (which may contain NUL bytes) as "f.csv". */
#define OPEN_LIT(lit, err) vgh_csv_open_mem((lit), sizeof(lit) - 1, "f.csv", (err), ERRLEN)

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* Write bytes to a fresh temporary file; returns its path in a static-free caller buffer. */
static void write_tmp(char *path, size_t pathlen, const char *data, size_t len)
{
    snprintf(path, pathlen, "/tmp/vgh_test_csv_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_normal(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("timestamp, value ,label\n1.5,22.25,0\n2.0,-3e2,1\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_ncols(c), 3);
    assert_string_equal(vgh_csv_colname(c, 1), "value");
    assert_null(vgh_csv_colname(c, 3));
    assert_int_equal(vgh_csv_find(c, "value"), 1);
    assert_int_equal(vgh_csv_find(c, "  label "), 2);
    assert_int_equal(vgh_csv_find(c, "Value"), -1);
    assert_int_equal(vgh_csv_find(c, "val"), -1);
    assert_string_equal(vgh_csv_name(c), "f.csv");
    assert_int_equal(vgh_csv_line(c), 1);
    assert_null(vgh_csv_cell(c, 0)); /* no row yet */

    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_line(c), 2);
    assert_string_equal(vgh_csv_cell(c, 0), "1.5");
    assert_null(vgh_csv_cell(c, 3));
    double v = 0;
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(v == 22.25);
    assert_int_equal(vgh_csv_number(c, 3, &v, err, ERRLEN), -1);
    assert_contains(err, "f.csv:2:");
    assert_contains(err, "out of range");

    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_line(c), 3);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(v == -300.0);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    assert_null(vgh_csv_cell(c, 0));
    assert_int_equal(vgh_csv_number(c, 0, &v, err, ERRLEN), -1);
    vgh_csv_close(c);
    vgh_csv_close(NULL);
}

static void test_crlf_and_no_trailing_newline(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("a,b\r\n1,2\r\n\r\n3,4", err);
    assert_non_null(c);
    assert_string_equal(vgh_csv_colname(c, 1), "b");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_string_equal(vgh_csv_cell(c, 1), "2");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_line(c), 4);
    assert_string_equal(vgh_csv_cell(c, 0), "3");
    assert_string_equal(vgh_csv_cell(c, 1), "4");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    vgh_csv_close(c);
}

static void test_bom(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("\xEF\xBB\xBFtimestamp,value\n1,2\n", err);
    assert_non_null(c);
    assert_string_equal(vgh_csv_colname(c, 0), "timestamp");
    assert_int_equal(vgh_csv_find(c, "timestamp"), 0);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    vgh_csv_close(c);
    /* A BOM later in the file is data, not skipped. */
    c = OPEN_LIT("a\n\xEF\xBB\xBFx\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_string_equal(vgh_csv_cell(c, 0), "\xEF\xBB\xBFx");
    vgh_csv_close(c);
}

static void test_blank_and_comment_lines(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("# header comment\n\na,b\n\n  \t\n# c\n  # indented\n1,2\n\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_line(c), 3);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_line(c), 8);
    assert_string_equal(vgh_csv_cell(c, 1), "2");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    vgh_csv_close(c);
}

static void test_quoted(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("\"id\",\"a, b\"\n1,\"x, \"\"y\"\"\"\n \"  sp  \" , \"\"\n"
                            "\"#not comment\",a\"b\n",
                            err);
    assert_non_null(c);
    assert_string_equal(vgh_csv_colname(c, 0), "id");
    assert_string_equal(vgh_csv_colname(c, 1), "a, b");
    assert_int_equal(vgh_csv_find(c, "a, b"), 1);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_string_equal(vgh_csv_cell(c, 1), "x, \"y\"");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_string_equal(vgh_csv_cell(c, 0), "  sp  ");
    assert_string_equal(vgh_csv_cell(c, 1), "");
    double v = 0;
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(isnan(v));
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_string_equal(vgh_csv_cell(c, 0), "#not comment");
    assert_string_equal(vgh_csv_cell(c, 1), "a\"b");
    vgh_csv_close(c);
}

static void test_bad_quotes(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("a,value\n1,\"abc\n\"x\"y,2\n3,4\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), -1);
    assert_string_equal(err, "f.csv:2: column 'value': unterminated quoted field (quoted "
                             "fields must not span lines)");
    assert_int_equal(vgh_csv_line(c), 2);
    assert_null(vgh_csv_cell(c, 0));
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), -1);
    assert_string_equal(err, "f.csv:3: column 'a': unexpected 'y' after closing quote");
    /* Reading continues after a bad row. */
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_string_equal(vgh_csv_cell(c, 1), "4");
    vgh_csv_close(c);
}

static void test_ragged(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("a,b,c,d\n1,2,3,4\n1,2,3\n1,2,3,4,5\n1,2,3,\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), -1);
    assert_string_equal(err, "f.csv:3: expected 4 fields, got 3 (column 'd' is missing)");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), -1);
    assert_string_equal(err,
                        "f.csv:4: expected 4 fields, got 5 (extra field after last column 'd')");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1); /* trailing comma = empty 4th cell */
    assert_string_equal(vgh_csv_cell(c, 3), "");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    vgh_csv_close(c);
}

static void test_numbers(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("t,value\n1,\n2,nan\n3,NaN\n4,NA\n5,inf\n6,-inf\n7,\" 1.25 \"\n"
                            "8,-nan\n9,1e-400\n",
                            err);
    assert_non_null(c);
    double v;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
        v = 0;
        assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
        assert_true(isnan(v));
    }
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(v == 1.25);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(isnan(v) && !signbit(v));
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
    assert_true(v >= 0.0 && v < 1e-300);
    vgh_csv_close(c);
}

static void test_not_a_number(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    static const char doc[] = "timestamp,value\n1,abc\n2,12x\n3,1e999\n"
                              "4,0123456789012345678901234567890123456789EXTRA\n"
                              "5,a\tb\n";
    vgh_csv_t *c = vgh_csv_open_mem(doc, sizeof doc - 1, "data.csv", err, ERRLEN);
    assert_non_null(c);
    double v = 42.0;
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), -1);
    assert_string_equal(err, "data.csv:2: column 'value': 'abc' is not a number");
    assert_true(v == 42.0);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), -1);
    assert_string_equal(err, "data.csv:3: column 'value': '12x' is not a number");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), -1);
    assert_string_equal(err, "data.csv:4: column 'value': '1e999' is out of range for a double");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), -1);
    assert_string_equal(err, "data.csv:5: column 'value': "
                             "'0123456789012345678901234567890123456789...' is not a number");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), -1);
    assert_string_equal(err, "data.csv:6: column 'value': 'a?b' is not a number");
    vgh_csv_close(c);
}

static void test_nul_byte(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("timestamp,value\n1,2\n3,4\0005\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), -1);
    assert_string_equal(err, "f.csv:3: column 'value': NUL byte in line (binary data?)");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    vgh_csv_close(c);
    c = OPEN_LIT("a,\"b\0\"\n", err);
    assert_null(c);
    assert_string_equal(err, "f.csv:1: header field 2: NUL byte in line (binary data?)");
    c = OPEN_LIT("a,b\n\"x\"\0,1\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), -1);
    assert_string_equal(err, "f.csv:2: column 'a': NUL byte in line (binary data?)");
    vgh_csv_close(c);
}

static void test_header_errors(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    assert_null(vgh_csv_open_mem("", 0, "f.csv", err, ERRLEN));
    assert_string_equal(err, "f.csv: empty file (no header row)");
    assert_null(vgh_csv_open_mem(NULL, 0, "f.csv", err, ERRLEN));
    assert_string_equal(err, "f.csv: empty file (no header row)");
    assert_null(OPEN_LIT("\n# only a comment\n\n", err));
    assert_string_equal(err, "f.csv: no header row (only blank or comment lines)");
    assert_null(OPEN_LIT("# c\ntime,value,x, value\n1,2,3,4\n", err));
    assert_string_equal(err,
                        "f.csv:2: column 'value': duplicate column name (header fields 2 and 4)");
    assert_null(OPEN_LIT("a,,c\n", err));
    assert_string_equal(err, "f.csv:1: header field 2: empty column name");
    assert_null(OPEN_LIT("a,b,\n", err));
    assert_string_equal(err, "f.csv:1: header field 3: empty column name");
    assert_null(OPEN_LIT("a,\"b\n", err));
    assert_contains(err, "f.csv:1: header field 2: unterminated quoted field");
    assert_null(vgh_csv_open("/nonexistent/dir/x.csv", err, ERRLEN));
    assert_contains(err, "/nonexistent/dir/x.csv: cannot open: ");
    assert_null(vgh_csv_open(NULL, err, ERRLEN));
    /* NULL err buffer and a missing name are fine. */
    assert_null(vgh_csv_open_mem("", 0, NULL, NULL, 0));
    vgh_csv_t *c = vgh_csv_open_mem("x", 1, NULL, err, ERRLEN);
    assert_non_null(c);
    assert_string_equal(vgh_csv_name(c), "<memory>");
    vgh_csv_close(c);
}

static void test_header_only(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    vgh_csv_t *c = OPEN_LIT("timestamp,value,label\n", err);
    assert_non_null(c);
    assert_int_equal(vgh_csv_ncols(c), 3);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    vgh_csv_close(c);
}

/* Guard bytes around the error buffer: too small, exact and large buffers. */
static void test_err_buffer_sizes(void **state)
{
    (void)state;
    const char *want = "f.csv: empty file (no header row)";
    size_t wl = strlen(want);
    size_t sizes[] = {1, 8, wl, wl + 1, wl + 50};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char buf[128];
        memset(buf, 0x5A, sizeof buf);
        assert_null(vgh_csv_open_mem("", 0, "f.csv", buf + 8, sizes[k]));
        for (size_t i = 0; i < 8; i++)
            assert_int_equal((unsigned char)buf[i], 0x5A);
        for (size_t i = 8 + sizes[k]; i < sizeof buf; i++)
            assert_int_equal((unsigned char)buf[i], 0x5A);
        size_t got = strlen(buf + 8);
        assert_true(got < sizes[k]);
        assert_memory_equal(buf + 8, want, got);
    }
}

/* A file with a line much longer than the read chunk, and a CRLF split across chunks. */
static void test_file_long_line(void **state)
{
    (void)state;
    const size_t big = 300000;
    char *data = malloc(big + 64);
    assert_non_null(data);
    size_t n = 0;
    memcpy(data + n, "a,b\r\n", 5);
    n += 5;
    data[n++] = '1';
    data[n++] = ',';
    while (n < 65535)
        data[n++] = '7';
    data[n++] = '\r'; /* byte 65535: the CR ends the first chunk, the LF starts the next */
    data[n++] = '\n';
    data[n++] = '2';
    data[n++] = ',';
    size_t long_start = n;
    while (n < big)
        data[n++] = '9';
    size_t long_len = n - long_start;
    char path[64], err[ERRLEN] = "";
    write_tmp(path, sizeof path, data, n);
    vgh_csv_t *c = vgh_csv_open(path, err, ERRLEN);
    assert_non_null(c);
    assert_string_equal(vgh_csv_name(c), path);
    assert_string_equal(vgh_csv_colname(c, 1), "b");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(strlen(vgh_csv_cell(c, 1)), 65535 - 7);
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_int_equal(vgh_csv_line(c), 3);
    assert_int_equal(strlen(vgh_csv_cell(c, 1)), long_len);
    double v = 0;
    assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), -1);
    assert_contains(err, ":3: column 'b': '9999999999999999999999999999999999999999...' is out "
                         "of range");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    vgh_csv_close(c);
    unlink(path);

    write_tmp(path, sizeof path, "", 0);
    assert_null(vgh_csv_open(path, err, ERRLEN));
    char want[128];
    snprintf(want, sizeof want, "%s: empty file (no header row)", path);
    assert_string_equal(err, want);
    unlink(path);
    free(data);
}

static void test_stdin(void **state)
{
    (void)state;
    char path[64], err[ERRLEN] = "";
    write_tmp(path, sizeof path, "x,y\n5,6\n", 8);
    assert_non_null(freopen(path, "rb", stdin));
    vgh_csv_t *c = vgh_csv_open("-", err, ERRLEN);
    assert_non_null(c);
    assert_string_equal(vgh_csv_name(c), "<stdin>");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 1);
    assert_string_equal(vgh_csv_cell(c, 1), "6");
    assert_int_equal(vgh_csv_next(c, err, ERRLEN), 0);
    vgh_csv_close(c); /* must not close stdin */
    assert_int_equal(fileno(stdin) >= 0, 1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_crlf_and_no_trailing_newline),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_blank_and_comment_lines),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_bad_quotes),
        cmocka_unit_test(test_ragged),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_not_a_number),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_err_buffer_sizes),
        cmocka_unit_test(test_file_long_line),
        cmocka_unit_test(test_stdin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
