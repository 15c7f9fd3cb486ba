/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of firmware/ports/posix/vg_fqueue.c, the device's persistent queue: order, the
 * bound, peek into exact / short buffers, survival across close and reopen, a torn last record
 * cut at open, compaction past 1 MiB, and refusal of a file that is not a queue.
 */
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

#include "vg_fqueue.h"

static char g_dir[256], g_path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/vigil-fqueue-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    snprintf(g_path, sizeof g_path, "%s/q", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char tmp[320];
    unlink(g_path);
    snprintf(tmp, sizeof tmp, "%s.tmp", g_path);
    unlink(tmp);
    rmdir(g_dir);
    return 0;
}

static void push_str(vgp_fqueue_t *q, const char *s, int want)
{
    assert_int_equal(vgp_fqueue_push(q, s, strlen(s)), want);
}

static void pop_is(vgp_fqueue_t *q, const char *s)
{
    char b[64];
    size_t n = 0;
    memset(b, 0x5A, sizeof b);
    assert_int_equal(vgp_fqueue_peek(q, b, strlen(s), &n), 0); /* exact size */
    assert_int_equal(n, strlen(s));
    assert_memory_equal(b, s, n);
    assert_int_equal((unsigned char)b[n], 0x5A);
    if (n > 0)
        assert_int_equal(vgp_fqueue_peek(q, b, n - 1, &n), -1); /* one short */
    assert_int_equal(vgp_fqueue_pop(q), 0);
}

static void test_order_bound_reopen(void **state)
{
    (void)state;
    char err[256];
    vgp_fqueue_t q;
    assert_int_equal(vgp_fqueue_open(&q, g_path, 3, err, sizeof err), 0);
    assert_int_equal(vgp_fqueue_count(&q), 0);
    char b[8];
    size_t n;
    assert_int_equal(vgp_fqueue_peek(&q, b, sizeof b, &n), 1);
    assert_int_equal(vgp_fqueue_pop(&q), 1);
    push_str(&q, "ea", 0);
    push_str(&q, "eb", 0);
    push_str(&q, "acc", 0);
    push_str(&q, "ed", 1); /* full */
    assert_int_equal(vgp_fqueue_push(&q, "", 0), -1);
    assert_int_equal(vgp_fqueue_count(&q), 3);
    pop_is(&q, "ea");
    vgp_fqueue_close(&q);
    /* a restart: the same records, in order */
    assert_int_equal(vgp_fqueue_open(&q, g_path, 3, err, sizeof err), 0);
    assert_int_equal(vgp_fqueue_count(&q), 2);
    push_str(&q, "ee", 0);
    pop_is(&q, "eb");
    pop_is(&q, "acc");
    pop_is(&q, "ee");
    assert_int_equal(vgp_fqueue_count(&q), 0);
    vgp_fqueue_close(&q);
    struct stat st;
    assert_int_equal(stat(g_path, &st), 0);
    assert_int_equal(st.st_size, 16); /* cut back to the header when empty */
}

static void test_torn_tail(void **state)
{
    (void)state;
    char err[256];
    vgp_fqueue_t q;
    assert_int_equal(vgp_fqueue_open(&q, g_path, 10, err, sizeof err), 0);
    push_str(&q, "e-one", 0);
    push_str(&q, "e-two", 0);
    vgp_fqueue_close(&q);
    /* a push cut short by a crash: length written, bytes missing */
    int fd = open(g_path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    const uint8_t torn[] = {50, 0, 0, 0, 'e', 'x'};
    assert_int_equal(write(fd, torn, sizeof torn), (ssize_t)sizeof torn);
    close(fd);
    assert_int_equal(vgp_fqueue_open(&q, g_path, 10, err, sizeof err), 0);
    assert_int_equal(q.discarded, 1);
    assert_int_equal(vgp_fqueue_count(&q), 2);
    push_str(&q, "e-three", 0);
    pop_is(&q, "e-one");
    pop_is(&q, "e-two");
    pop_is(&q, "e-three");
    vgp_fqueue_close(&q);
    /* a flipped byte inside a record: it and what follows are dropped */
    assert_int_equal(vgp_fqueue_open(&q, g_path, 10, err, sizeof err), 0);
    push_str(&q, "e-four", 0);
    push_str(&q, "e-five", 0);
    vgp_fqueue_close(&q);
    fd = open(g_path, O_RDWR);
    assert_int_equal(pwrite(fd, "X", 1, 16 + 4 + 1), 1);
    close(fd);
    assert_int_equal(vgp_fqueue_open(&q, g_path, 10, err, sizeof err), 0);
    assert_int_equal(vgp_fqueue_count(&q), 0);
    vgp_fqueue_close(&q);
}

static void test_compaction(void **state)
{
    (void)state;
    char err[256];
    vgp_fqueue_t q;
    static char rec[4000];
    assert_int_equal(vgp_fqueue_open(&q, g_path, 1000, err, sizeof err), 0);
    /* keep one record ahead so the file never empties; the head walks past 1 MiB */
    for (int i = 0; i < 400; i++) {
        memset(rec, 'a' + i % 26, sizeof rec);
        assert_int_equal(vgp_fqueue_push(&q, rec, sizeof rec), 0);
        if (i > 0)
            assert_int_equal(vgp_fqueue_pop(&q), 0);
    }
    assert_int_equal(vgp_fqueue_count(&q), 1);
    struct stat st;
    assert_int_equal(fstat(q.fd, &st), 0);
    assert_true(st.st_size < 1100000);
    size_t n;
    static char b[4000];
    assert_int_equal(vgp_fqueue_peek(&q, b, sizeof b, &n), 0);
    assert_int_equal(b[0], 'a' + 399 % 26);
    vgp_fqueue_close(&q);
    assert_int_equal(vgp_fqueue_open(&q, g_path, 1000, err, sizeof err), 0);
    assert_int_equal(vgp_fqueue_count(&q), 1);
    vgp_fqueue_close(&q);
}

static void test_not_a_queue(void **state)
{
    (void)state;
    FILE *f = fopen(g_path, "w");
    fputs("hello, this is not a queue file", f);
    fclose(f);
    char err[256];
    vgp_fqueue_t q;
    assert_int_equal(vgp_fqueue_open(&q, g_path, 10, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a Vigil queue file"));
    assert_non_null(strstr(err, g_path));
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/q", g_dir);
    assert_int_equal(vgp_fqueue_open(&q, bad, 10, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open the queue file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_bound_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_queue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
