/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of firmware/ports/esp-idf/components/vigil/vge_util.c, the ESP-IDF port's logic
 * that needs no ESP-IDF: the offline queue over a key-value store (here a table standing in
 * for NVS, with resets injected between the writes of a push and of a pop), the Kconfig
 * string parsers, the META channel names, the model header check, the backoff and the gap.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vge_util.h"

/* ---- a key-value store: 64 entries, each a u32 or a blob of up to 256 bytes ---- */
#define KV_N 64
typedef struct {
    struct {
        char key[VGE_KEY_MAX];
        int used, is_blob;
        uint32_t u;
        uint8_t blob[256];
        size_t len;
    } e[KV_N];
    int writes_left; /* < 0: unlimited; counts set/erase calls, then "the power fails" */
    int commits;
} kv_t;

static int kv__find(kv_t *kv, const char *key)
{
    for (int i = 0; i < KV_N; i++)
        if (kv->e[i].used && strcmp(kv->e[i].key, key) == 0)
            return i;
    return -1;
}

static int kv__slot(kv_t *kv, const char *key)
{
    int i = kv__find(kv, key);
    for (int j = 0; i < 0 && j < KV_N; j++)
        if (!kv->e[j].used)
            i = j;
    if (i >= 0) {
        kv->e[i].used = 1;
        strcpy(kv->e[i].key, key);
    }
    return i;
}

static int kv__write(kv_t *kv)
{
    if (kv->writes_left == 0)
        return 0;
    if (kv->writes_left > 0)
        kv->writes_left--;
    return 1;
}

static int kv_get_u32(void *ctx, const char *key, uint32_t *v)
{
    kv_t *kv = ctx;
    int i = kv__find(kv, key);
    if (i < 0)
        return VGE_KV_NOT_FOUND;
    *v = kv->e[i].u;
    return VGE_KV_OK;
}

static int kv_set_u32(void *ctx, const char *key, uint32_t v)
{
    kv_t *kv = ctx;
    if (!kv__write(kv))
        return VGE_KV_ERR;
    int i = kv__slot(kv, key);
    assert_true(i >= 0);
    kv->e[i].is_blob = 0;
    kv->e[i].u = v;
    return VGE_KV_OK;
}

static int kv_get_blob(void *ctx, const char *key, void *buf, size_t cap, size_t *len)
{
    kv_t *kv = ctx;
    int i = kv__find(kv, key);
    if (i < 0)
        return VGE_KV_NOT_FOUND;
    *len = kv->e[i].len;
    if (!buf)
        return VGE_KV_OK;
    if (kv->e[i].len > cap)
        return VGE_KV_TOO_SMALL;
    memcpy(buf, kv->e[i].blob, kv->e[i].len);
    return VGE_KV_OK;
}

static int kv_set_blob(void *ctx, const char *key, const void *buf, size_t len)
{
    kv_t *kv = ctx;
    if (!kv__write(kv))
        return VGE_KV_ERR;
    int i = kv__slot(kv, key);
    assert_true(i >= 0 && len <= sizeof kv->e[i].blob);
    kv->e[i].is_blob = 1;
    memcpy(kv->e[i].blob, buf, len);
    kv->e[i].len = len;
    return VGE_KV_OK;
}

static int kv_erase(void *ctx, const char *key)
{
    kv_t *kv = ctx;
    if (!kv__write(kv))
        return VGE_KV_ERR;
    int i = kv__find(kv, key);
    if (i < 0)
        return VGE_KV_NOT_FOUND;
    kv->e[i].used = 0;
    return VGE_KV_OK;
}

static int kv_commit(void *ctx)
{
    kv_t *kv = ctx;
    kv->commits++;
    return VGE_KV_OK;
}

static const vge_kv_ops_t kv_ops = {kv_get_u32,  kv_set_u32, kv_get_blob,
                                    kv_set_blob, kv_erase,   kv_commit};

static int kv_blobs(kv_t *kv)
{
    int n = 0;
    for (int i = 0; i < KV_N; i++)
        n += kv->e[i].used && kv->e[i].is_blob;
    return n;
}

static void push_str(vge_queue_t *q, const char *s, vg_status_t want)
{
    assert_int_equal(vge_queue_push(q, s, strlen(s)), want);
}

static void expect_head(vge_queue_t *q, const char *s)
{
    char buf[64];
    size_t len = 0;
    assert_int_equal(vge_queue_peek(q, buf, sizeof buf, &len), VG_OK);
    assert_int_equal(len, strlen(s));
    assert_memory_equal(buf, s, len);
}

static void test_queue_order_bound_reopen(void **state)
{
    (void)state;
    static kv_t kv;
    memset(&kv, 0, sizeof kv);
    kv.writes_left = -1;
    vge_queue_t q;
    assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 0), VG_ERR_ARG);
    assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 3), VG_OK);
    assert_int_equal(vge_queue_count(&q), 0);
    char buf[8];
    size_t len;
    assert_int_equal(vge_queue_peek(&q, buf, sizeof buf, &len), VG_ERR_ARG);
    assert_int_equal(vge_queue_pop(&q), VG_ERR_ARG);
    assert_int_equal(vge_queue_push(&q, "x", 0), VG_ERR_ARG);
    push_str(&q, "one", VG_OK);
    push_str(&q, "two", VG_OK);
    push_str(&q, "three", VG_OK);
    push_str(&q, "four", VG_ERR_SIZE); /* full: refused, the others kept */
    assert_int_equal(vge_queue_count(&q), 3);
    /* a buffer one byte short */
    assert_int_equal(vge_queue_peek(&q, buf, 2, &len), VG_ERR_SIZE);
    expect_head(&q, "one");
    assert_int_equal(vge_queue_pop(&q), VG_OK);
    /* a restart: the same store, the same order */
    assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 3), VG_OK);
    assert_int_equal(vge_queue_count(&q), 2);
    expect_head(&q, "two");
    push_str(&q, "five", VG_OK);
    const char *want[] = {"two", "three", "five"};
    for (int i = 0; i < 3; i++) {
        expect_head(&q, want[i]);
        assert_int_equal(vge_queue_pop(&q), VG_OK);
    }
    assert_int_equal(vge_queue_count(&q), 0);
    assert_int_equal(kv_blobs(&kv), 0); /* popped records are erased: NVS space comes back */
}

/* The power fails after each possible number of writes of a push, then of a pop. */
static void test_queue_resets(void **state)
{
    (void)state;
    static kv_t kv;
    for (int cut = 0; cut < 3; cut++) {
        memset(&kv, 0, sizeof kv);
        kv.writes_left = -1;
        vge_queue_t q;
        assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 4), VG_OK);
        push_str(&q, "a", VG_OK);
        kv.writes_left = cut; /* a push writes the record, then the tail */
        push_str(&q, "b", cut < 2 ? VG_ERR_UNSUPPORTED : VG_OK);
        kv.writes_left = -1;
        assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 4), VG_OK);
        assert_int_equal(vge_queue_count(&q), cut < 2 ? 1u : 2u); /* never half a record */
        push_str(&q, "c", VG_OK);
        expect_head(&q, "a");
        assert_int_equal(vge_queue_pop(&q), VG_OK);
        expect_head(&q, cut < 2 ? "c" : "b");
    }
    for (int cut = 0; cut < 2; cut++) {
        memset(&kv, 0, sizeof kv);
        kv.writes_left = -1;
        vge_queue_t q;
        assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 4), VG_OK);
        push_str(&q, "a", VG_OK);
        push_str(&q, "b", VG_OK);
        kv.writes_left = cut; /* a pop erases the record, then writes the head */
        assert_int_equal(vge_queue_pop(&q), VG_ERR_UNSUPPORTED);
        kv.writes_left = -1;
        assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 4), VG_OK);
        /* cut 0: nothing happened, "a" is still there; cut 1: "a" is gone for good */
        assert_int_equal(q.skipped, (uint32_t)cut);
        expect_head(&q, cut == 0 ? "a" : "b");
    }
}

static void test_queue_wrap_and_foreign(void **state)
{
    (void)state;
    static kv_t kv;
    memset(&kv, 0, sizeof kv);
    kv.writes_left = -1;
    vge_queue_t q;
    /* indexes about to wrap around 2^32 */
    assert_int_equal(kv_set_u32(&kv, "head", 0xFFFFFFFEu), VGE_KV_OK);
    assert_int_equal(kv_set_u32(&kv, "tail", 0xFFFFFFFEu), VGE_KV_OK);
    assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 8), VG_OK);
    push_str(&q, "p", VG_OK);
    push_str(&q, "q", VG_OK);
    push_str(&q, "r", VG_OK);
    assert_int_equal(vge_queue_count(&q), 3);
    assert_int_equal(q.tail, 1u);
    expect_head(&q, "p");
    assert_int_equal(vge_queue_pop(&q), VG_OK);
    assert_int_equal(vge_queue_pop(&q), VG_OK);
    expect_head(&q, "r");
    /* a namespace this port did not write */
    assert_int_equal(kv_set_u32(&kv, "head", 5u), VGE_KV_OK);
    assert_int_equal(kv_set_u32(&kv, "tail", 500u), VGE_KV_OK);
    assert_int_equal(vge_queue_open(&q, &kv_ops, &kv, 8), VG_ERR_FORMAT);
    char key[VGE_KEY_MAX];
    vge_queue_key(0xDEADBEEFu, key);
    assert_string_equal(key, "rdeadbeef");
    assert_true(strlen(key) <= 15u); /* NVS keys */
}

static void test_parse_channels(void **state)
{
    (void)state;
    int ch[4];
    assert_int_equal(vge_parse_channels("6", ch, 4, 9), 1);
    assert_int_equal(ch[0], 6);
    assert_int_equal(vge_parse_channels(" 0, 3 ,7", ch, 4, 9), 3);
    assert_int_equal(ch[1], 3);
    assert_int_equal(ch[2], 7);
    assert_int_equal(vge_parse_channels("", ch, 4, 9), -1);
    assert_int_equal(vge_parse_channels("1,", ch, 4, 9), -1);
    assert_int_equal(vge_parse_channels("10", ch, 4, 9), -1);
    assert_int_equal(vge_parse_channels("1,1", ch, 4, 9), -1);
    assert_int_equal(vge_parse_channels("1;2", ch, 4, 9), -1);
    assert_int_equal(vge_parse_channels("-1", ch, 4, 9), -1);
    assert_int_equal(vge_parse_channels("0,1,2,3,4", ch, 4, 9), -1);
    assert_int_equal(vge_parse_channels("99999999999999999999", ch, 4, 9), -1);
}

static void test_parse_float(void **state)
{
    (void)state;
    float v = 0;
    assert_int_equal(vge_parse_float("0.1", &v), 0);
    assert_true(fabsf(v - 0.1f) == 0.0f);
    assert_int_equal(vge_parse_float(" -50 ", &v), 0);
    assert_true(v == -50.0f);
    assert_int_equal(vge_parse_float("1e-3", &v), 0);
    assert_int_equal(vge_parse_float("", &v), -1);
    assert_int_equal(vge_parse_float("1.5x", &v), -1);
    assert_int_equal(vge_parse_float("nan", &v), -1);
    assert_int_equal(vge_parse_float("1e99", &v), -1);
}

static void test_meta_channels(void **state)
{
    (void)state;
    static const char meta[] = "created_by=vigil 0.1\nchannels=temp,hum\ntrain_rows=10\n";
    char buf[32];
    const char *names[2];
    assert_int_equal(vge_meta_channels(meta, sizeof meta - 1, buf, sizeof buf, names, 2), 2);
    assert_string_equal(names[0], "temp");
    assert_string_equal(names[1], "hum");
    /* the count must match the model's */
    assert_int_equal(vge_meta_channels(meta, sizeof meta - 1, buf, sizeof buf, names, 1), 0);
    /* the last line without a newline */
    static const char last[] = "channels=v";
    assert_int_equal(vge_meta_channels(last, sizeof last - 1, buf, sizeof buf, names, 1), 1);
    assert_string_equal(names[0], "v");
    /* too little storage, an empty name, no META */
    assert_int_equal(vge_meta_channels(meta, sizeof meta - 1, buf, 6, names, 2), 0);
    static const char empty[] = "channels=a,,b\n";
    assert_int_equal(vge_meta_channels(empty, sizeof empty - 1, buf, sizeof buf, names, 2), 0);
    assert_int_equal(vge_meta_channels(NULL, 0, buf, sizeof buf, names, 1), 0);
}

static void test_model_total(void **state)
{
    (void)state;
    uint8_t h[32];
    memset(h, 0xFF, sizeof h); /* erased flash */
    assert_int_equal(vge_model_total(h, 65536), 0);
    memset(h, 0, sizeof h);
    memcpy(h, "VGMA", 4);
    h[8] = 0x00;
    h[9] = 0x04; /* 1024 bytes */
    assert_int_equal(vge_model_total(h, 65536), 1024);
    assert_int_equal(vge_model_total(h, 1000), 0); /* larger than the partition */
    h[9] = 0;
    h[8] = 31;
    assert_int_equal(vge_model_total(h, 65536), 0);
}

static void test_backoff_gap(void **state)
{
    (void)state;
    assert_int_equal(vge_backoff_ms(0, 0), 750);
    assert_int_equal(vge_backoff_ms(0, 0x80000000u), 1000);
    assert_true(vge_backoff_ms(0, 0xFFFFFFFFu) <= 1250 && vge_backoff_ms(0, 0xFFFFFFFFu) >= 1249);
    assert_int_equal(vge_backoff_ms(1, 0x80000000u), 2000);
    assert_int_equal(vge_backoff_ms(2, 0x80000000u), 4000);
    assert_int_equal(vge_backoff_ms(3, 0x80000000u), 8000);
    assert_int_equal(vge_backoff_ms(50, 0x80000000u), 8000);
    assert_int_equal(vge_gap(10, 10, 100), 0);
    assert_int_equal(vge_gap(10, 13, 100), 3);
    assert_int_equal(vge_gap(10, 9, 100), 0);
    assert_int_equal(vge_gap(10, 5000, 100), 100);
    assert_int_equal(vge_gap(0xFFFFFFFFu, 2u, 100), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_order_bound_reopen),
        cmocka_unit_test(test_queue_resets),
        cmocka_unit_test(test_queue_wrap_and_foreign),
        cmocka_unit_test(test_parse_channels),
        cmocka_unit_test(test_parse_float),
        cmocka_unit_test(test_meta_channels),
        cmocka_unit_test(test_model_total),
        cmocka_unit_test(test_backoff_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
