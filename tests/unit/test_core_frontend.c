/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of core/src/vg_frontend.c: window/hop timing, ring wrap, multichannel feature
 * routing, missing samples (held, counted, per-mille report), finiteness of features under
 * garbage input, configuration errors, arena size/alignment, and guard bytes around the
 * caller's arena (exact, too small, too large).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/vigil.h"

#define NELEM(a)   (sizeof(a) / sizeof((a)[0]))
#define GUARD      64u
#define GUARD_BYTE 0xA5u

/* Arena storage: big enough for 16 channels x 4096 samples plus guards, 8-aligned. */
static union {
    uint64_t align;
    uint8_t b[VG_FRONTEND_ARENA_SIZE(VG_MAX_CHANNELS, VG_MAX_WINDOW) + 4 * GUARD];
} g_arena;

static vg_frontend_cfg_t make_cfg(float sr, uint16_t nc, uint16_t win, uint16_t hop, uint16_t nf,
                                  const vg_feat_desc_t *feats)
{
    vg_frontend_cfg_t c = {sr, nc, win, hop, nf, feats};
    return c;
}

/* Init in g_arena with GUARD bytes of GUARD_BYTE before it and after [size + slack). */
static uint8_t *guarded_init(vg_frontend_t *f, const vg_frontend_cfg_t *cfg, size_t slack)
{
    size_t need = vg_frontend_arena_size(cfg);
    memset(g_arena.b, GUARD_BYTE, need + slack + 2 * GUARD);
    uint8_t *arena = g_arena.b + GUARD;
    assert_int_equal(vg_frontend_init(f, cfg, arena, need + slack), VG_OK);
    return arena;
}

static void check_guards(const uint8_t *arena, size_t need, size_t slack)
{
    for (size_t i = 0; i < GUARD; i++)
        assert_int_equal(arena[-1 - (ptrdiff_t)i], GUARD_BYTE);
    /* Nothing past the bytes the arena size promises is written, even when more is given. */
    for (size_t i = need; i < need + slack + GUARD; i++) {
        if (arena[i] != GUARD_BYTE)
            print_error("arena byte %zu of %zu (+%zu slack) was written\n", i, need, slack);
        assert_int_equal(arena[i], GUARD_BYTE);
    }
}

/* ---- timing ------------------------------------------------------------------------------- */

static void test_window_hop_timing(void **state)
{
    (void)state;
    const uint16_t combos[][2] = {{1, 1}, {2, 1}, {5, 2}, {5, 5}, {7, 3}, {8, 8}, {16, 5}, {60, 7}};
    static float hist[2000];
    for (size_t c = 0; c < NELEM(combos); c++) {
        uint16_t win = combos[c][0], hop = combos[c][1];
        const vg_feat_desc_t feats[] = {{0, VG_FEAT_LAST, 0},  {0, VG_FEAT_MEAN, 0},
                                        {0, VG_FEAT_SLOPE, 0}, {0, VG_FEAT_MIN, 0},
                                        {0, VG_FEAT_STD, 0},   {0, VG_FEAT_MAXDIFF, 0}};
        vg_frontend_cfg_t cfg = make_cfg(4.0f, 1, win, hop, NELEM(feats), feats);
        vg_frontend_t f;
        uint8_t *arena = guarded_init(&f, &cfg, 0);
        unsigned windows = 0;
        for (uint32_t k = 1; k <= 25u * win + 11u; k++) {
            /* a wiggly ramp: every window has different statistics */
            float x = (float)k * 0.5f + (float)((k * 7u) % 5u);
            hist[k - 1] = x;
            float out[NELEM(feats)];
            for (size_t i = 0; i < NELEM(out); i++)
                out[i] = -12345.0f;
            uint8_t done = 9;
            uint16_t pm = 999;
            unsigned miss = vg_frontend_push(&f, &x, out, &done, &pm);
            assert_int_equal(miss, 0);
            int want = k >= win && (k - win) % hop == 0;
            if (done != want)
                print_error("window %u hop %u sample %u: done %u\n", win, hop, k, done);
            assert_int_equal(done, want);
            if (!done) {
                for (size_t i = 0; i < NELEM(out); i++)
                    assert_true(out[i] == -12345.0f); /* written only when done */
                continue;
            }
            windows++;
            assert_int_equal(pm, 0);
            /* The window is the last `win` samples, oldest first: same bits as computing the
             * statistics over them laid out flat. */
            vg_window_stats_t st;
            vg_window_stats(hist + k - win, win, 0, 0.25f, &st);
            for (size_t i = 0; i < NELEM(feats); i++)
                assert_true(out[i] == vg_feature_value(&st, feats[i].feature));
            assert_true(out[0] == x);
        }
        assert_int_equal(windows, 1 + (25u * win + 11u - win) / hop);
        check_guards(arena, vg_frontend_arena_size(&cfg), 0);
    }
}

static void test_reset_restarts_timing(void **state)
{
    (void)state;
    const vg_feat_desc_t feats[] = {{0, VG_FEAT_MEAN, 0}};
    vg_frontend_cfg_t cfg = make_cfg(1.0f, 1, 4, 2, 1, feats);
    vg_frontend_t f;
    guarded_init(&f, &cfg, 0);
    float out[1], x;
    uint8_t done;
    uint16_t pm;
    for (int k = 0; k < 9; k++) {
        x = NAN; /* 9 missing samples: the held value is the initial 0 */
        vg_frontend_push(&f, &x, out, &done, &pm);
    }
    assert_true(out[0] == 0.0f);
    assert_int_equal(pm, 1000);
    vg_frontend_reset(&f);
    for (int k = 1; k <= 4; k++) {
        x = (float)k;
        vg_frontend_push(&f, &x, out, &done, &pm);
        assert_int_equal(done, k == 4);
    }
    /* Nothing of the earlier stream survives: mean of 1..4 and no missing samples. */
    assert_true(out[0] == 2.5f);
    assert_int_equal(pm, 0);
    /* reset forgets the held value too */
    vg_frontend_reset(&f);
    x = NAN;
    for (int k = 0; k < 4; k++)
        vg_frontend_push(&f, &x, out, &done, &pm);
    assert_true(out[0] == 0.0f);
}

/* ---- routing ----------------------------------------------------------------------------- */

static void test_multichannel_routing(void **state)
{
    (void)state;
    /* 4 channels; channel 3 feeds no feature. Features in a mixed order. */
    const vg_feat_desc_t feats[] = {
        {2, VG_FEAT_MAX, 0},   {0, VG_FEAT_MEAN, 0},  {1, VG_FEAT_LAST, 0}, {0, VG_FEAT_MIN, 0},
        {2, VG_FEAT_SLOPE, 0}, {1, VG_FEAT_RANGE, 0}, {2, VG_FEAT_MAX, 0},  {0, VG_FEAT_DIFF, 0},
    };
    vg_frontend_cfg_t cfg = make_cfg(2.0f, 4, 6, 3, NELEM(feats), feats);
    vg_frontend_t f;
    uint8_t *arena = guarded_init(&f, &cfg, 13);
    float hist[4][64];
    float out[NELEM(feats)];
    unsigned windows = 0;
    for (int k = 0; k < 60; k++) {
        float x[4] = {100.0f + (float)k, -5.0f * (float)k, 1000.0f + (float)((k * k) % 11),
                      (float)k};
        for (int c = 0; c < 4; c++)
            hist[c][k] = x[c];
        uint8_t done;
        uint16_t pm;
        vg_frontend_push(&f, x, out, &done, &pm);
        if (!done)
            continue;
        windows++;
        for (size_t i = 0; i < NELEM(feats); i++) {
            vg_window_stats_t st;
            vg_window_stats(&hist[feats[i].channel][k - 5], 6, 0, 0.5f, &st);
            float want = vg_feature_value(&st, feats[i].feature);
            if (out[i] != want)
                print_error("k %d feature %zu (ch %u id %u): %g != %g\n", k, i, feats[i].channel,
                            feats[i].feature, out[i], want);
            assert_true(out[i] == want);
        }
        assert_true(out[2] == x[1]);
        assert_true(out[1] == 100.0f + (float)k - 2.5f);
    }
    assert_int_equal(windows, 19);
    check_guards(arena, vg_frontend_arena_size(&cfg), 13);
}

/* ---- missing samples ----------------------------------------------------------------------- */

static void test_missing_samples_held_and_counted(void **state)
{
    (void)state;
    const vg_feat_desc_t feats[] = {
        {0, VG_FEAT_MEAN, 0}, {0, VG_FEAT_MAX, 0}, {0, VG_FEAT_LAST, 0}, {1, VG_FEAT_LAST, 0}};
    vg_frontend_cfg_t cfg = make_cfg(1.0f, 2, 10, 10, NELEM(feats), feats);
    vg_frontend_t f;
    uint8_t *arena = guarded_init(&f, &cfg, 0);
    const float bad[] = {NAN, -NAN, INFINITY, -INFINITY, 1e13f, -1e13f, 1.0000001e12f, 3e38f};
    float out[4];
    uint8_t done;
    uint16_t pm;
    /* window 1: channel 0 = 1, 2, then 8 kinds of missing; channel 1 all valid */
    for (int k = 0; k < 10; k++) {
        float x[2] = {k < 2 ? (float)(k + 1) : bad[k - 2], 7.0f};
        unsigned m = vg_frontend_push(&f, x, out, &done, &pm);
        assert_int_equal(m, k < 2 ? 0 : 1);
    }
    assert_int_equal(done, 1);
    assert_int_equal(pm, 800);   /* 8 of 10 missing on channel 0 */
    assert_true(out[2] == 2.0f); /* last valid value held */
    assert_true(out[1] == 2.0f); /* the huge values never reached the ring */
    assert_true(out[0] == (1.0f + 9 * 2.0f) / 10.0f);
    /* window 2: boundary values are valid; one missing sample on each channel */
    const float edge[] = {1e12f, -1e12f, 0.0f, -0.0f, 1e-45f, 5.0f, 5.0f, 5.0f, NAN, 5.0f};
    for (int k = 0; k < 10; k++) {
        float x[2] = {edge[k], k == 3 ? NAN : 7.0f};
        unsigned m = vg_frontend_push(&f, x, out, &done, &pm);
        assert_int_equal(m, (k == 8) + (k == 3));
    }
    assert_int_equal(done, 1);
    assert_int_equal(pm, 100);
    assert_true(out[1] == 1e12f);
    assert_true(out[2] == 5.0f);
    assert_true(out[3] == 7.0f);
    /* window 3: all valid again, the missing flags have left the ring */
    for (int k = 0; k < 10; k++) {
        float x[2] = {1.0f, 2.0f};
        vg_frontend_push(&f, x, out, &done, &pm);
    }
    assert_int_equal(pm, 0);
    /* per mille rounds up: 1 missing in a window of 4096 reports 1, not 0 */
    const vg_feat_desc_t f1[] = {{0, VG_FEAT_MEAN, 0}};
    vg_frontend_cfg_t big = make_cfg(1.0f, 1, 4096, 4096, 1, f1);
    arena = guarded_init(&f, &big, 0);
    for (int k = 0; k < 4096; k++) {
        float x = k == 100 ? NAN : 1.0f;
        vg_frontend_push(&f, &x, out, &done, &pm);
    }
    assert_int_equal(done, 1);
    assert_int_equal(pm, 1);
    check_guards(arena, vg_frontend_arena_size(&big), 0);
}

/* The worst channel counts, including one no feature reads (the dropout policy is about the
 * sensor, per the header). */
static void test_missing_pm_worst_channel(void **state)
{
    (void)state;
    const vg_feat_desc_t feats[] = {{0, VG_FEAT_MEAN, 0}};
    vg_frontend_cfg_t cfg = make_cfg(1.0f, 3, 8, 4, 1, feats);
    vg_frontend_t f;
    guarded_init(&f, &cfg, 0);
    float out[1];
    uint8_t done = 0;
    uint16_t pm = 0;
    for (int k = 0; k < 8; k++) {
        float x[3] = {1.0f, k < 2 ? NAN : 1.0f, k < 3 ? INFINITY : 1.0f};
        assert_int_equal(vg_frontend_push(&f, x, out, &done, &pm), (k < 2) + (k < 3));
    }
    assert_int_equal(done, 1);
    assert_int_equal(pm, 375); /* channel 2: 3 of 8 */
    /* one hop later every missing sample has left the ring */
    for (int k = 0; k < 4; k++) {
        float x[3] = {1.0f, 1.0f, 1.0f};
        vg_frontend_push(&f, x, out, &done, &pm);
    }
    assert_int_equal(done, 1);
    assert_int_equal(pm, 0);
}

static uint64_t g_rng;
static uint32_t rng_u32(void)
{
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static float garbage_sample(void)
{
    static const float special[] = {NAN,   INFINITY, -INFINITY, 1e13f,    -1e13f,
                                    1e12f, -1e12f,   3.4e38f,   -3.4e38f, 1e-45f,
                                    0.0f,  -0.0f,    9.99e11f,  -9.99e11f};
    uint32_t r = rng_u32();
    if (r % 4 == 0)
        return special[(r >> 8) % NELEM(special)];
    return ((float)(rng_u32() >> 8) / 16777216.0f - 0.5f) * 2e12f;
}

/* Whatever is pushed, every feature of every window stays finite. */
static void test_features_never_nonfinite(void **state)
{
    (void)state;
    const uint64_t seed = 0xF1A17E5EEDull;
    print_message("seed 0x%llx\n", (unsigned long long)seed);
    g_rng = seed;
    vg_feat_desc_t feats[2 * VG_FEAT_COUNT];
    for (unsigned i = 0; i < 2 * VG_FEAT_COUNT; i++) {
        feats[i].channel = (uint8_t)(i / VG_FEAT_COUNT);
        feats[i].feature = (uint8_t)(i % VG_FEAT_COUNT);
        feats[i].reserved = 0;
    }
    const float rates[] = {1e-30f, 1e-3f, 1.0f, 1e9f, 1.4e-45f};
    const uint16_t wins[] = {1, 2, 3, 17, 600, 4096};
    for (size_t r = 0; r < NELEM(rates); r++) {
        for (size_t w = 0; w < NELEM(wins); w++) {
            uint16_t hop = (uint16_t)(wins[w] / 3 + 1);
            vg_frontend_cfg_t cfg = make_cfg(rates[r], 2, wins[w], hop, NELEM(feats), feats);
            vg_frontend_t f;
            uint8_t *arena = guarded_init(&f, &cfg, 0);
            unsigned windows = 0;
            for (uint32_t k = 0; k < 3u * wins[w] + 5u; k++) {
                float x[2] = {garbage_sample(), garbage_sample()};
                if (k % 97 < 40)
                    x[1] = NAN; /* long dropout bursts */
                float out[2 * VG_FEAT_COUNT];
                uint8_t done;
                uint16_t pm;
                unsigned m = vg_frontend_push(&f, x, out, &done, &pm);
                assert_true(m <= 2);
                if (!done)
                    continue;
                windows++;
                assert_true(pm <= 1000);
                for (unsigned i = 0; i < NELEM(feats); i++) {
                    if (!isfinite(out[i]))
                        print_error("rate %g window %u k %u feature %u (%s): %g\n",
                                    (double)rates[r], wins[w], k, i,
                                    vg_feature_name(feats[i].feature), (double)out[i]);
                    assert_true(isfinite(out[i]));
                    assert_true(fabsf(out[i]) <= 1e30f || feats[i].feature == VG_FEAT_SLOPE);
                }
            }
            assert_true(windows > 0);
            check_guards(arena, vg_frontend_arena_size(&cfg), 0);
        }
    }
}

/* ---- configuration and arena -------------------------------------------------------------- */

static void test_config_errors(void **state)
{
    (void)state;
    const vg_feat_desc_t feats[] = {{0, VG_FEAT_MEAN, 0}, {1, VG_FEAT_STD, 0}};
    vg_frontend_t f;
    uint8_t *arena = g_arena.b;
    const size_t cap = sizeof g_arena.b;
    vg_frontend_cfg_t ok = make_cfg(10.0f, 2, 8, 4, 2, feats);
    assert_int_equal(vg_frontend_init(&f, &ok, arena, cap), VG_OK);
    assert_int_equal(vg_frontend_init(NULL, &ok, arena, cap), VG_ERR_ARG);
    assert_int_equal(vg_frontend_init(&f, NULL, arena, cap), VG_ERR_ARG);
    assert_int_equal(vg_frontend_init(&f, &ok, NULL, cap), VG_ERR_ARG);

    struct {
        const char *what;
        vg_frontend_cfg_t cfg;
    } bad[] = {
        {"feats NULL", make_cfg(10.0f, 2, 8, 4, 2, NULL)},
        {"rate 0", make_cfg(0.0f, 2, 8, 4, 2, feats)},
        {"rate -0", make_cfg(-0.0f, 2, 8, 4, 2, feats)},
        {"rate < 0", make_cfg(-1.0f, 2, 8, 4, 2, feats)},
        {"rate NaN", make_cfg(NAN, 2, 8, 4, 2, feats)},
        {"rate inf", make_cfg(INFINITY, 2, 8, 4, 2, feats)},
        {"rate > 1e9", make_cfg(2e9f, 2, 8, 4, 2, feats)},
        {"channels 0", make_cfg(10.0f, 0, 8, 4, 2, feats)},
        {"channels > max", make_cfg(10.0f, VG_MAX_CHANNELS + 1, 8, 4, 2, feats)},
        {"window 0", make_cfg(10.0f, 2, 0, 4, 2, feats)},
        {"window > max", make_cfg(10.0f, 2, VG_MAX_WINDOW + 1, 4, 2, feats)},
        {"hop 0", make_cfg(10.0f, 2, 8, 0, 2, feats)},
        {"hop > window", make_cfg(10.0f, 2, 8, 9, 2, feats)},
        {"features 0", make_cfg(10.0f, 2, 8, 4, 0, feats)},
        {"features > max", make_cfg(10.0f, 2, 8, 4, VG_MAX_FEATURES + 1, feats)},
        {"feature channel", make_cfg(10.0f, 1, 8, 4, 2, feats)},
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        vg_status_t s = vg_frontend_init(&f, &bad[i].cfg, arena, cap);
        if (s != VG_ERR_ARG)
            print_error("%s: %d\n", bad[i].what, s);
        assert_int_equal(s, VG_ERR_ARG);
    }
    const vg_feat_desc_t bad_id[] = {{0, VG_FEAT_MEAN, 0}, {1, VG_FEAT_COUNT, 0}};
    vg_frontend_cfg_t c = make_cfg(10.0f, 2, 8, 4, 2, bad_id);
    assert_int_equal(vg_frontend_init(&f, &c, arena, cap), VG_ERR_ARG);
    const vg_feat_desc_t bad_id2[] = {{0, 0xFF, 0}, {1, VG_FEAT_STD, 0}};
    c = make_cfg(10.0f, 2, 8, 4, 2, bad_id2);
    assert_int_equal(vg_frontend_init(&f, &c, arena, cap), VG_ERR_ARG);

    /* boundaries that are valid */
    static vg_feat_desc_t many[VG_MAX_FEATURES];
    for (unsigned i = 0; i < VG_MAX_FEATURES; i++) {
        many[i].channel = (uint8_t)(i % VG_MAX_CHANNELS);
        many[i].feature = (uint8_t)(i % VG_FEAT_COUNT);
    }
    c = make_cfg(1e9f, VG_MAX_CHANNELS, VG_MAX_WINDOW, VG_MAX_WINDOW, VG_MAX_FEATURES, many);
    assert_int_equal(vg_frontend_init(&f, &c, arena, cap), VG_OK);
    c = make_cfg(1e-30f, 1, 1, 1, 1, feats);
    assert_int_equal(vg_frontend_init(&f, &c, arena, cap), VG_OK);
}

static void test_arena_size_and_alignment(void **state)
{
    (void)state;
    const vg_feat_desc_t feats[] = {{0, VG_FEAT_MEAN, 0}};
    vg_frontend_t f;
    for (uint16_t nc = 1; nc <= 4; nc++) {
        for (uint16_t win = 1; win <= 9; win++) {
            vg_frontend_cfg_t cfg = make_cfg(1.0f, nc, win, 1, 1, feats);
            size_t need = vg_frontend_arena_size(&cfg);
            assert_int_equal(need, VG_FRONTEND_ARENA_SIZE(nc, win));
            assert_int_equal(need % 4, 0);
            /* ring + held value (floats), a u16 count and a u8 flag per slot and channel */
            size_t payload = (size_t)nc * win * 5u + (size_t)nc * 6u;
            assert_true(need >= payload && need < payload + 4);
            assert_int_equal(vg_frontend_init(&f, &cfg, g_arena.b, need), VG_OK);
            assert_int_equal(vg_frontend_init(&f, &cfg, g_arena.b, need - 1), VG_ERR_SIZE);
            assert_int_equal(vg_frontend_init(&f, &cfg, g_arena.b, 0), VG_ERR_SIZE);
            for (unsigned off = 1; off < 4; off++)
                assert_int_equal(vg_frontend_init(&f, &cfg, g_arena.b + off, need + 8),
                                 VG_ERR_ALIGN);
            assert_int_equal(vg_frontend_init(&f, &cfg, g_arena.b + 4, need), VG_OK);
        }
    }
    /* The largest configuration fits the macro as a static array size. */
    static uint32_t big[VG_FRONTEND_ARENA_SIZE(VG_MAX_CHANNELS, VG_MAX_WINDOW) / 4];
    vg_frontend_cfg_t cfg = make_cfg(1.0f, VG_MAX_CHANNELS, VG_MAX_WINDOW, 1, 1, feats);
    assert_int_equal(vg_frontend_init(&f, &cfg, big, sizeof big), VG_OK);
}

/* Guard bytes stay intact for exact and oversized arenas over many shapes and a stream with
 * missing samples, wrap-around and resets. */
static void test_guard_bytes(void **state)
{
    (void)state;
    const vg_feat_desc_t feats[] = {
        {0, VG_FEAT_MAXDIFF, 0}, {2, VG_FEAT_SLOPE, 0}, {1, VG_FEAT_STD, 0}};
    const size_t slacks[] = {0, 1, 3, 4, 37};
    g_rng = 42;
    for (uint16_t nc = 3; nc <= 5; nc++) {
        for (uint16_t win = 1; win <= 13; win += 3) {
            for (size_t s = 0; s < NELEM(slacks); s++) {
                vg_frontend_cfg_t cfg = make_cfg(3.0f, nc, win, (uint16_t)(win / 2 + 1), 3, feats);
                vg_frontend_t f;
                uint8_t *arena = guarded_init(&f, &cfg, slacks[s]);
                for (int k = 0; k < 5 * win + 3; k++) {
                    float x[5], out[3];
                    for (int c = 0; c < 5; c++)
                        x[c] = garbage_sample();
                    uint8_t done;
                    uint16_t pm;
                    vg_frontend_push(&f, x, out, &done, &pm);
                    if (k == 2 * win)
                        vg_frontend_reset(&f);
                }
                check_guards(arena, vg_frontend_arena_size(&cfg), slacks[s]);
            }
        }
    }
}

static void test_normalise(void **state)
{
    (void)state;
    const float pairs[] = {10.0f, 0.5f, -2.0f, 4.0f, 0.0f, 1.0f};
    const float in[] = {14.0f, -1.0f, 3.25f};
    float out[4] = {0, 0, 0, 99.0f};
    vg_normalise(pairs, in, out, 3);
    assert_true(out[0] == 2.0f && out[1] == 4.0f && out[2] == 3.25f && out[3] == 99.0f);
    vg_normalise(pairs, in, out, 0);
    /* in place is fine: each output depends on its own input only */
    float io[3] = {14.0f, -1.0f, 3.25f};
    vg_normalise(pairs, io, io, 3);
    assert_true(io[0] == 2.0f && io[1] == 4.0f && io[2] == 3.25f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_hop_timing),
        cmocka_unit_test(test_reset_restarts_timing),
        cmocka_unit_test(test_multichannel_routing),
        cmocka_unit_test(test_missing_samples_held_and_counted),
        cmocka_unit_test(test_missing_pm_worst_channel),
        cmocka_unit_test(test_features_never_nonfinite),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_arena_size_and_alignment),
        cmocka_unit_test(test_guard_bytes),
        cmocka_unit_test(test_normalise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
