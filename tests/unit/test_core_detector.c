/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of core/src/vg_detector.c (zscore, autoencoder and isolation-forest detectors
 * built from artifacts written by tests/unit/vg_test_artifact.c), vg_decision.c, and the small
 * kernels: vg_crc32, vg_welford, vg_ewma, vg_dense_f32 / vg_act_f32, vg_iforest_c,
 * vg_status_str.
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

#include "vg_test_artifact.h"
#include "vigil/vigil.h"

#define NELEM(a)   (sizeof(a) / sizeof((a)[0]))
#define GUARD      64u
#define GUARD_BYTE 0x5Au

#define assert_near(a, b, eps) near__check((a), (b), (eps), #a, __FILE__, __LINE__)
static void near__check(double a, double b, double eps, const char *what, const char *file,
                        int line)
{
    if (fabs(a - b) <= eps)
        return;
    print_error("%s:%d: %s = %.9g, expected %.9g (eps %g)\n", file, line, what, a, b, eps);
    fail();
}

typedef union {
    uint64_t align;
    uint8_t b[64 * 1024];
} buf_t;
static buf_t g_art, g_art2, g_arena, g_arena2;

/* ---- fixtures ---------------------------------------------------------------------------- */

typedef struct {
    uint16_t win, hop, open, close, max_missing_pm;
    float thr, alpha, offset, scale;
} zcfg_t;

static const uint8_t CH1[] = {0}, MEAN1[] = {VG_FEAT_MEAN};

static void build_zscore(buf_t *art, const zcfg_t *c, vg_model_t *m)
{
    const float norm[2] = {c->offset, c->scale};
    vgt_pipe_t p = {1.0f, 1,     c->win, c->hop, 1,       VG_NORM_ZSCORE, c->max_missing_pm,
                    CH1,  MEAN1, norm,   c->thr, c->open, c->close,       NULL};
    size_t n = vgt_build_zscore(art->b, sizeof art->b, &p, c->alpha);
    assert_true(n > 0);
    assert_int_equal(vg_model_parse(m, art->b, n), VG_OK);
}

/* Bind @p d to @p m in @p arena with guard bytes before and after (exact size + slack). */
static uint8_t *bind(vg_detector_t *d, const vg_model_t *m, buf_t *arena, size_t slack)
{
    size_t need = vg_detector_arena_size(m);
    assert_true(need + slack + 2 * GUARD <= sizeof arena->b);
    memset(arena->b, GUARD_BYTE, need + slack + 2 * GUARD);
    uint8_t *a = arena->b + GUARD;
    assert_int_equal(vg_detector_init(d, m, a, need + slack), VG_OK);
    return a;
}

static void check_guards(const uint8_t *a, size_t need, size_t slack)
{
    for (size_t i = 0; i < GUARD; i++)
        assert_int_equal(a[-1 - (ptrdiff_t)i], GUARD_BYTE);
    for (size_t i = need; i < need + slack + GUARD; i++)
        assert_int_equal(a[i], GUARD_BYTE);
}

static vg_result_t push1(vg_detector_t *d, float x)
{
    vg_result_t r;
    memset(&r, 0xEE, sizeof r);
    vg_detector_push(d, &x, &r);
    return r;
}

/* 2 -> 1 -> 2 linear autoencoder of test_core_model.c: h = 0.5 x0 + 0.5 x1 + 1,
 * out = (h - 1, 2 h + 0.5). Features: LAST of channels 0 and 1; xn0 = (f0 - 1) * 2. */
static void build_ae(buf_t *art, vg_model_t *m, float thr, uint16_t win)
{
    static const uint8_t ch[] = {0, 1}, id[] = {VG_FEAT_LAST, VG_FEAT_LAST};
    static const float norm[] = {1.0f, 2.0f, 0.0f, 1.0f};
    static const vgt_layer_t layers[] = {{2, 1, VG_ACT_LINEAR}, {1, 2, VG_ACT_LINEAR}};
    static const float params[] = {0.5f, 0.5f, 1.0f, 1.0f, 2.0f, -1.0f, 0.5f};
    vgt_pipe_t p = {2.0f, 2, win, 1, 2, VG_NORM_ZSCORE, 0, ch, id, norm, thr, 1, 1, "k=v"};
    size_t n = vgt_build_ae(art->b, sizeof art->b, &p, 2, layers, params);
    assert_int_equal(vg_model_parse(m, art->b, n), VG_OK);
}

/* Two trees over 3 features (see test_core_model.c), features MEAN/MIN/MAX of one channel. */
static void build_iforest(buf_t *art, vg_model_t *m)
{
    static const uint8_t ch[] = {0, 0, 0}, id[] = {VG_FEAT_MEAN, VG_FEAT_MIN, VG_FEAT_MAX};
    static const uint32_t roots[] = {0, 3};
    static const vgt_node_t nodes[] = {
        {0.5f, 0, 2}, {1.0f, 0xFFFF, 0}, {2.0f, 0xFFFF, 0}, {0.0f, 1, 4},
        {1.0f, 2, 3}, {3.0f, 0xFFFF, 0}, {2.5f, 0xFFFF, 0}, {1.5f, 0xFFFF, 0},
    };
    vgt_pipe_t p = {1.0f, 1, 3, 1, 3, VG_NORM_NONE, 500, ch, id, NULL, 0.6f, 1, 1, NULL};
    size_t n = vgt_build_iforest(art->b, sizeof art->b, &p, 2, roots, 8, nodes, 2.0f);
    assert_int_equal(vg_model_parse(m, art->b, n), VG_OK);
}

/* ---- zscore stream ------------------------------------------------------------------------ */

static void test_zscore_stream_fields(void **state)
{
    (void)state;
    const zcfg_t c = {4, 2, 2, 2, 1000, 3.0f, 0.0f, 10.0f, 1.0f};
    vg_model_t m;
    build_zscore(&g_art, &c, &m);
    vg_detector_t d;
    uint8_t *a = bind(&d, &m, &g_arena, 0);
    /* samples and, at each completed window (every 2nd sample from the 4th), expectations */
    const float xs[] = {10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 10, 10, 10, 10, 10, 10};
    struct {
        float raw;
        uint8_t over, anomaly, event;
    } want[] = {
        {0.0f, 0, 0, VG_EVENT_NONE},  /* k=4:  mean 10 */
        {2.5f, 0, 0, VG_EVENT_NONE},  /* k=6:  10 10 10 20 */
        {7.5f, 1, 0, VG_EVENT_NONE},  /* k=8:  10 20 20 20, first over */
        {10.0f, 1, 1, VG_EVENT_OPEN}, /* k=10: second over opens */
        {5.0f, 1, 1, VG_EVENT_NONE},  /* k=12: 20 20 10 10 */
        {0.0f, 0, 1, VG_EVENT_NONE},  /* k=14: first under */
        {0.0f, 0, 0, VG_EVENT_CLOSE}, /* k=16: second under closes */
    };
    vg_result_t prev = {0};
    for (unsigned k = 1; k <= NELEM(xs); k++) {
        vg_result_t r = push1(&d, xs[k - 1]);
        assert_int_equal(r.n_missing, 0);
        assert_int_equal(r.dropout, 0);
        assert_int_equal(r.top_feature, 0);
        if (k < 4 || k % 2) {
            /* no window: latest-window fields carried over, no transition */
            assert_int_equal(r.window, 0);
            assert_int_equal(r.event, VG_EVENT_NONE);
            assert_int_equal(r.ready, k >= 4);
            assert_true(r.raw == prev.raw && r.score == prev.score);
            assert_int_equal(r.over, prev.over);
            assert_int_equal(r.anomaly, prev.anomaly);
        } else {
            unsigned w = (k - 4) / 2;
            assert_int_equal(r.window, 1);
            assert_int_equal(r.ready, 1);
            assert_true(r.raw == want[w].raw);
            /* raw / (raw + thr), to float rounding (the core may evaluate 1 / (1 + thr / raw)) */
            assert_near(r.score, want[w].raw / (want[w].raw + 3.0), 4e-7);
            assert_int_equal(r.over, want[w].over);
            assert_int_equal(r.anomaly, want[w].anomaly);
            assert_int_equal(r.event, want[w].event);
            const float mean = want[w].raw + 10.0f; /* every window mean here is >= 10 */
            assert_true(vg_detector_features(&d)[0] == mean);
            assert_true(vg_detector_normalised(&d)[0] == want[w].raw);
            assert_true(vg_detector_contrib(&d)[0] == want[w].raw);
            assert_true(vg_detector_recon(&d)[0] == want[w].raw);
        }
        prev = r;
    }
    check_guards(a, vg_detector_arena_size(&m), 0);
}

/* ---- hysteresis --------------------------------------------------------------------------- */

static void test_decision_hysteresis(void **state)
{
    (void)state;
    vg_decision_t dec;
    vg_decision_init(&dec, 3, 2);
    const int over[] = {1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0};
    const vg_event_t ev[] = {0, 0, 0, 0, 0, VG_EVENT_OPEN, 0, 0, 0, 0, VG_EVENT_CLOSE, 0, 0};
    const uint8_t open[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0};
    for (size_t i = 0; i < NELEM(over); i++) {
        assert_int_equal(vg_decision_step(&dec, over[i]), ev[i]);
        assert_int_equal(dec.open, open[i]);
    }
    /* nonzero means over, whatever its value */
    vg_decision_init(&dec, 1, 1);
    assert_int_equal(vg_decision_step(&dec, -7), VG_EVENT_OPEN);
    assert_int_equal(vg_decision_step(&dec, 0), VG_EVENT_CLOSE);
    /* counts of 0 are treated as 1 */
    vg_decision_init(&dec, 0, 0);
    assert_int_equal(dec.open_after, 1);
    assert_int_equal(dec.close_after, 1);
    assert_int_equal(vg_decision_step(&dec, 1), VG_EVENT_OPEN);
    assert_int_equal(vg_decision_step(&dec, 0), VG_EVENT_CLOSE);
    /* long runs saturate without re-opening or wrapping */
    vg_decision_init(&dec, 2, 0xFFFF);
    unsigned opens = 0, closes = 0;
    for (unsigned i = 0; i < 70000; i++)
        opens += vg_decision_step(&dec, 1) == VG_EVENT_OPEN;
    assert_int_equal(opens, 1);
    assert_int_equal(dec.over_run, 0xFFFF);
    for (unsigned i = 0; i < 140000; i++)
        closes += vg_decision_step(&dec, 0) == VG_EVENT_CLOSE;
    assert_int_equal(closes, 1);
    assert_int_equal(dec.under_run, 0xFFFF);
}

/* One spike sample raises exactly one event, however many windows contain it. */
static void test_one_spike_one_event(void **state)
{
    (void)state;
    for (uint16_t open_after = 1; open_after <= 5; open_after++) {
        const zcfg_t c = {4, 1, open_after, 1, 1000, 3.0f, 0.0f, 0.0f, 1.0f};
        vg_model_t m;
        build_zscore(&g_art, &c, &m);
        vg_detector_t d;
        bind(&d, &m, &g_arena, 0);
        unsigned opens = 0, closes = 0, overs = 0;
        for (int k = 0; k < 40; k++) {
            vg_result_t r = push1(&d, k == 20 ? 100.0f : 0.0f);
            opens += r.event == VG_EVENT_OPEN;
            closes += r.event == VG_EVENT_CLOSE;
            overs += r.window && r.over;
        }
        assert_int_equal(overs, 4); /* the spike sits in 4 windows (window 4, hop 1) */
        assert_int_equal(opens, open_after <= 4 ? 1 : 0);
        assert_int_equal(closes, opens);
    }
}

/* ---- score -------------------------------------------------------------------------------- */

static void test_score_unit(void **state)
{
    (void)state;
    const float thr[] = {1e-30f, 1e-6f, 0.01f, 0.5f, 1.0f, 3.0f, 1234.5f, 1e20f, 1e37f};
    for (size_t i = 0; i < NELEM(thr); i++) {
        assert_true(vg_score_unit(thr[i], thr[i]) == 0.5f);
        assert_true(vg_score_unit(0.0f, thr[i]) == 0.0f);
        assert_true(vg_score_unit(INFINITY, thr[i]) == 1.0f);
        assert_true(vg_score_unit(NAN, thr[i]) == 1.0f); /* faults read as alarms */
        assert_true(vg_score_unit(-1.0f, thr[i]) == 0.0f);
        float prev = 0.0f;
        for (float raw = thr[i] * 1e-3f; raw < thr[i] * 1e3f; raw *= 1.7f) {
            float s = vg_score_unit(raw, thr[i]);
            assert_true(s >= prev && s >= 0.0f && s <= 1.0f);
            assert_int_equal(s > 0.5f, raw > thr[i]);
            assert_near(s, (double)raw / ((double)raw + thr[i]), 1e-6);
            prev = s;
        }
    }
}

/* Regression: vg_score_unit() computed raw / (raw + threshold), which overflows to +inf when
 * both are large (>= ~1.7e38), giving 0 instead of 0.5 at the threshold and 0 for anything
 * above it. DECI and vg_detector_set_threshold() accept thresholds up to 3e38. */
static void test_score_unit_large_threshold(void **state)
{
    (void)state;
    const float thr[] = {1.8e38f, 2e38f, 3e38f};
    for (size_t i = 0; i < NELEM(thr); i++) {
        float s = vg_score_unit(thr[i], thr[i]);
        if (s != 0.5f)
            print_error("vg_score_unit(%g, %g) = %g, expected 0.5\n", (double)thr[i],
                        (double)thr[i], (double)s);
        assert_true(s == 0.5f);
        assert_true(vg_score_unit(thr[i] * 1.1f, thr[i]) > 0.5f);
    }
}

/* ---- dropout policy ----------------------------------------------------------------------- */

static void test_dropout_policy(void **state)
{
    (void)state;
    const zcfg_t c = {10, 10, 1, 1, 100, 3.0f, 0.0f, 10.0f, 1.0f};
    vg_model_t m;
    build_zscore(&g_art, &c, &m);
    vg_detector_t d;
    uint8_t *a = bind(&d, &m, &g_arena, 8);
    vg_result_t r;
    /* window 1: a single NaN is 100 per mille, not more than max_missing_pm = 100 */
    for (int k = 0; k < 10; k++) {
        r = push1(&d, k == 4 ? NAN : 10.0f);
        assert_int_equal(r.n_missing, k == 4);
    }
    assert_int_equal(r.window, 1);
    assert_int_equal(r.dropout, 0);
    assert_true(r.raw == 0.0f); /* the held 10 stood in for the NaN */
    assert_int_equal(r.over, 0);
    /* window 2: a run of 5 NaN is a dropout: raw +inf, score 1, over, event opens */
    for (int k = 0; k < 10; k++)
        r = push1(&d, k >= 3 && k < 8 ? NAN : 10.0f);
    assert_int_equal(r.window, 1);
    assert_int_equal(r.dropout, 1);
    assert_true(isinf(r.raw) && r.raw > 0);
    assert_true(r.score == 1.0f);
    assert_int_equal(r.over, 1);
    assert_int_equal(r.event, VG_EVENT_OPEN);
    assert_int_equal(r.anomaly, 1);
    /* the flag stays with the latest window until the next one completes */
    r = push1(&d, 10.0f);
    assert_int_equal(r.dropout, 1);
    assert_int_equal(r.window, 0);
    /* window 3 (9 more clean samples): clean again, closes */
    for (int k = 0; k < 9; k++)
        r = push1(&d, 10.0f);
    assert_int_equal(r.window, 1);
    assert_int_equal(r.dropout, 0);
    assert_true(r.raw == 0.0f);
    assert_int_equal(r.event, VG_EVENT_CLOSE);
    /* a dead sensor (NaN for 3 whole windows) keeps the event open */
    unsigned drop_windows = 0, opens = 0;
    for (int k = 0; k < 30; k++) {
        r = push1(&d, NAN);
        assert_int_equal(r.n_missing, 1);
        drop_windows += r.window && r.dropout;
        opens += r.event == VG_EVENT_OPEN;
        assert_true(r.window == 0 || r.anomaly == 1);
    }
    assert_int_equal(drop_windows, 3);
    assert_int_equal(opens, 1);
    check_guards(a, vg_detector_arena_size(&m), 8);

    /* max_missing_pm = 0: a single NaN is already a dropout */
    const zcfg_t strict = {10, 10, 1, 1, 0, 3.0f, 0.0f, 10.0f, 1.0f};
    build_zscore(&g_art, &strict, &m);
    bind(&d, &m, &g_arena, 0);
    for (int k = 0; k < 10; k++)
        r = push1(&d, k == 9 ? INFINITY : 10.0f);
    assert_int_equal(r.dropout, 1);
    assert_int_equal(r.n_missing, 1);
    /* max_missing_pm = 1000: never a dropout, even all missing */
    const zcfg_t lax = {10, 10, 1, 1, 1000, 3.0f, 0.0f, 10.0f, 1.0f};
    build_zscore(&g_art, &lax, &m);
    bind(&d, &m, &g_arena, 0);
    for (int k = 0; k < 10; k++)
        r = push1(&d, NAN);
    assert_int_equal(r.dropout, 0);
    assert_true(isfinite(r.raw));
}

/* ---- running baseline --------------------------------------------------------------------- */

static void test_running_baseline(void **state)
{
    (void)state;
    /* window 1, hop 1: each sample is one window; feature = sample; normalisation identity */
    const zcfg_t run = {1, 1, 1, 1, 0, 3.0f, 0.1f, 0.0f, 1.0f};
    const zcfg_t fixed = {1, 1, 1, 1, 0, 3.0f, 0.0f, 0.0f, 1.0f};
    vg_model_t mr, mf;
    build_zscore(&g_art, &run, &mr);
    build_zscore(&g_art2, &fixed, &mf);
    vg_detector_t dr, df;
    uint8_t *a = bind(&dr, &mr, &g_arena, 0);
    bind(&df, &mf, &g_arena2, 0);
    /* phase 1: a slow drift from 0 to 20 (0.01 per window) */
    unsigned over_r = 0, over_f = 0;
    int k = 0;
    for (; k < 2000; k++) {
        over_r += push1(&dr, 0.01f * (float)k).over;
        over_f += push1(&df, 0.01f * (float)k).over;
    }
    assert_int_equal(over_r, 0); /* the running baseline follows the drift */
    assert_true(over_f > 1500);  /* the training baseline does not */
    /* phase 2: a step of +20 for 10 windows: over every time, and the baseline does not
     * move (recon shows the running mean each window was scored against) */
    float base = 0.0f;
    for (int j = 0; j < 10; j++) {
        vg_result_t r = push1(&dr, 0.01f * (float)(k + j) + 20.0f);
        assert_int_equal(r.over, 1);
        assert_true(r.raw > 50.0f);
        if (j == 0)
            base = vg_detector_recon(&dr)[0];
        assert_true(vg_detector_recon(&dr)[0] == base);
        assert_true(vg_detector_contrib(&dr)[0] == r.raw);
    }
    assert_int_equal(dr.dec.open, 1);
    /* EWMA lag behind a ramp of 0.01 per window with alpha 0.1: (1 - a) / a * 0.01 = 0.09 */
    assert_near(base, 0.01 * 1999 - 0.09, 0.02);
    /* phase 3: back on the drift: under again; scored against the same baseline (the 10
     * windows over the threshold did not update it), which then resumes moving */
    k += 10;
    vg_result_t r = push1(&dr, 0.01f * (float)k);
    assert_int_equal(r.over, 0);
    assert_int_equal(r.event, VG_EVENT_CLOSE);
    assert_true(vg_detector_recon(&dr)[0] == base);
    r = push1(&dr, 0.01f * (float)(k + 1));
    assert_int_equal(r.over, 0);
    assert_true(vg_detector_recon(&dr)[0] > base);
    check_guards(a, vg_detector_arena_size(&mr), 0);
    /* the fixed baseline's score is |x| against the training statistics */
    r = push1(&df, 7.0f);
    assert_true(r.raw == 7.0f);
}

/* BUG (core/src/vg_detector.c:77 with :84): the running variance has no useful floor (1e-12 in
 * normalised units, where the training variance is 1). On a steady signal (a slow, quantised
 * sensor) it decays as (1 - alpha)^k to ~0; a step of 0.05 training sd then scores
 * z ~ 5e4, and since windows over the threshold never update the baseline, the event never
 * closes: a tiny shift becomes a permanent alarm, the opposite of "adapts to slow shifts".
 * Expected: the step stays under the threshold (or the baseline re-adapts and the event
 * closes). Fails on the current core. */
static void test_running_baseline_steady_then_tiny_step(void **state)
{
    (void)state;
    /* training mean 20, sd 2 (scale 0.5); alpha 0.1; threshold 3 */
    const zcfg_t c = {1, 1, 1, 1, 0, 3.0f, 0.1f, 20.0f, 0.5f};
    vg_model_t m;
    build_zscore(&g_art, &c, &m);
    vg_detector_t d;
    bind(&d, &m, &g_arena, 0);
    vg_result_t r;
    for (int k = 0; k < 3000; k++)
        r = push1(&d, 20.0f); /* a steady reading, e.g. a 0.1-degree-resolution sensor */
    assert_int_equal(r.over, 0);
    unsigned over = 0;
    for (int k = 0; k < 1000; k++) {
        r = push1(&d, 20.1f); /* +0.1 = 0.05 training sd */
        over += r.over;
    }
    print_message("step of 0.05 sd after a steady period: raw %g, %u of 1000 windows over, "
                  "anomaly %u\n",
                  (double)r.raw, over, r.anomaly);
    assert_int_equal(r.anomaly, 0);
    assert_true(over < 1000);
}

/* ---- threshold, reset ---------------------------------------------------------------------- */

static void test_set_threshold(void **state)
{
    (void)state;
    const zcfg_t c = {1, 1, 1, 1, 0, 3.0f, 0.0f, 0.0f, 1.0f};
    vg_model_t m;
    build_zscore(&g_art, &c, &m);
    vg_detector_t d;
    bind(&d, &m, &g_arena, 0);
    vg_result_t r = push1(&d, 5.0f);
    assert_int_equal(r.over, 1);
    assert_near(r.score, 5.0 / 8.0, 4e-7);
    const float bad[] = {0.0f, -0.0f, -1.0f, NAN, INFINITY, -INFINITY, 3.1e38f};
    for (size_t i = 0; i < NELEM(bad); i++)
        assert_int_equal(vg_detector_set_threshold(&d, bad[i]), VG_ERR_ARG);
    assert_int_equal(vg_detector_set_threshold(NULL, 1.0f), VG_ERR_ARG);
    assert_true(d.threshold == 3.0f); /* refused values change nothing */
    assert_int_equal(vg_detector_set_threshold(&d, 10.0f), VG_OK);
    r = push1(&d, 5.0f);
    assert_int_equal(r.over, 0);
    assert_near(r.score, 5.0 / 15.0, 4e-7);
    /* exactly at the threshold is not over; score 0.5 */
    r = push1(&d, 10.0f);
    assert_int_equal(r.over, 0);
    assert_true(r.score == 0.5f);
    /* reset keeps the threshold */
    vg_detector_reset(&d);
    r = push1(&d, 5.0f);
    assert_int_equal(r.over, 0);
    assert_int_equal(vg_detector_set_threshold(&d, 1e-30f), VG_OK);
    assert_int_equal(vg_detector_set_threshold(&d, 3e38f), VG_OK);
}

static uint64_t g_rng;
static float rng_f(void)
{
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(z >> 40) / 16777216.0f;
}

/* After reset a detector reproduces a fresh one bit for bit, for every kind. */
static void test_reset_equals_fresh(void **state)
{
    (void)state;
    const uint64_t seed = 0xDE7EC7ull;
    print_message("seed 0x%llx\n", (unsigned long long)seed);
    for (int kind = 0; kind < 4; kind++) {
        vg_model_t m;
        const zcfg_t zs = {5, 2, 2, 2, 300, 1.5f, kind == 1 ? 0.2f : 0.0f, 0.5f, 4.0f};
        if (kind <= 1)
            build_zscore(&g_art, &zs, &m);
        else if (kind == 2)
            build_ae(&g_art, &m, 2.0f, 3);
        else
            build_iforest(&g_art, &m);
        vg_detector_t a, b;
        bind(&a, &m, &g_arena, 0);
        bind(&b, &m, &g_arena2, 0);
        g_rng = seed;
        for (int k = 0; k < 57; k++) {
            float x[2] = {rng_f() * 3.0f, k % 7 == 0 ? NAN : rng_f()};
            vg_result_t r;
            vg_detector_push(&b, x, &r);
        }
        vg_detector_reset(&b);
        for (unsigned i = 0; i < m.n_features; i++) {
            assert_true(vg_detector_features(&b)[i] == 0.0f);
            assert_true(vg_detector_contrib(&b)[i] == 0.0f);
        }
        g_rng = seed + 1;
        for (int k = 0; k < 80; k++) {
            float x[2] = {rng_f() * 4.0f - 1.0f, k % 11 < 3 ? NAN : rng_f() * 2.0f};
            vg_result_t ra, rb;
            vg_detector_push(&a, x, &ra);
            vg_detector_push(&b, x, &rb);
            assert_memory_equal(&ra, &rb, sizeof ra);
        }
    }
}

/* ---- arena -------------------------------------------------------------------------------- */

static void check_arena(const vg_model_t *m, size_t want)
{
    vg_detector_t d;
    size_t need = vg_detector_arena_size(m);
    assert_int_equal(need, want);
    assert_int_equal(need % 4, 0);
    uint8_t *a = g_arena.b + 8;
    assert_int_equal(vg_detector_init(&d, m, a, need - 1), VG_ERR_SIZE);
    assert_int_equal(vg_detector_init(&d, m, a, 0), VG_ERR_SIZE);
    assert_int_equal(vg_detector_init(&d, m, a + 2, need + 4), VG_ERR_ALIGN);
    assert_int_equal(vg_detector_init(&d, m, a + 1, need + 4), VG_ERR_ALIGN);
    assert_int_equal(vg_detector_init(NULL, m, a, need), VG_ERR_ARG);
    assert_int_equal(vg_detector_init(&d, NULL, a, need), VG_ERR_ARG);
    assert_int_equal(vg_detector_init(&d, m, NULL, need), VG_ERR_ARG);
    assert_int_equal(vg_detector_init(&d, m, a, need), VG_OK);
    /* guard bytes around exact and oversized arenas survive a stream with missing values */
    const size_t slacks[] = {0, 1, 4, 100};
    for (size_t s = 0; s < NELEM(slacks); s++) {
        uint8_t *g = bind(&d, m, &g_arena, slacks[s]);
        g_rng = 7;
        for (int k = 0; k < 50; k++) {
            float x[2] = {k % 5 == 0 ? NAN : rng_f() * 10.0f, k % 3 ? 1e13f : rng_f()};
            vg_result_t r;
            vg_detector_push(&d, x, &r);
            if (k == 25)
                vg_detector_reset(&d);
        }
        check_guards(g, need, slacks[s]);
    }
}

static void test_arena_sizes(void **state)
{
    (void)state;
    vg_model_t m;
    const zcfg_t z0 = {7, 3, 1, 1, 0, 3.0f, 0.0f, 0.0f, 1.0f};
    build_zscore(&g_art, &z0, &m);
    /* frontend (1 channel x 7) + 4 floats per feature */
    check_arena(&m, VG_FRONTEND_ARENA_SIZE(1, 7) + 4 * sizeof(float));
    const zcfg_t z1 = {7, 3, 1, 1, 0, 3.0f, 0.5f, 0.0f, 1.0f};
    build_zscore(&g_art, &z1, &m);
    /* + a {mean, var} pair per feature for the running baseline */
    check_arena(&m, VG_FRONTEND_ARENA_SIZE(1, 7) + 6 * sizeof(float));
    build_ae(&g_art, &m, 2.0f, 5);
    /* + scratch of 2 x max_units (2) */
    check_arena(&m, VG_FRONTEND_ARENA_SIZE(2, 5) + 8 * sizeof(float) + 4 * sizeof(float));
    build_iforest(&g_art, &m);
    check_arena(&m, VG_FRONTEND_ARENA_SIZE(1, 3) + 12 * sizeof(float));
}

/* ---- autoencoder and isolation forest detectors ------------------------------------------ */

static void test_ae_detector(void **state)
{
    (void)state;
    vg_model_t m;
    build_ae(&g_art, &m, 3.0f, 1);
    vg_detector_t d;
    uint8_t *a = bind(&d, &m, &g_arena, 0);
    /* f = (2.5, 1) -> xn = (3, 1) -> out = (2, 6.5), e = (0.5, 15.125), raw = rms = sqrt(15.625)
     * ~ 3.95 > 3 */
    float x[2] = {2.5f, 1.0f};
    vg_result_t r;
    vg_detector_push(&d, x, &r);
    assert_int_equal(r.window, 1);
    assert_true(r.raw == sqrtf(15.625f));
    assert_near(r.score, r.raw / (r.raw + 3.0), 4e-7);
    assert_int_equal(r.over, 1);
    assert_int_equal(r.event, VG_EVENT_OPEN);
    assert_int_equal(r.top_feature, 1);
    assert_true(vg_detector_normalised(&d)[0] == 3.0f && vg_detector_normalised(&d)[1] == 1.0f);
    assert_true(vg_detector_recon(&d)[0] == 2.0f && vg_detector_recon(&d)[1] == 6.5f);
    assert_true(vg_detector_contrib(&d)[0] == 0.5f && vg_detector_contrib(&d)[1] == 15.125f);
    /* same numbers as the model's own scoring */
    float scratch[4], raw;
    vg_model_score(&m, vg_detector_normalised(&d), &raw, NULL, NULL, scratch);
    assert_true(raw == r.raw);
    /* f = (1, 2) -> xn = (0, 2) -> h = 2, out = (1, 4.5), e = (0.5, 3.125), raw ~ 1.90 */
    x[0] = 1.0f;
    x[1] = 2.0f;
    vg_detector_push(&d, x, &r);
    assert_true(r.raw == sqrtf(3.625f));
    assert_int_equal(r.over, 0);
    assert_int_equal(r.event, VG_EVENT_CLOSE);
    check_guards(a, vg_detector_arena_size(&m), 0);
}

static void test_iforest_detector(void **state)
{
    (void)state;
    vg_model_t m;
    build_iforest(&g_art, &m);
    vg_detector_t d;
    uint8_t *a = bind(&d, &m, &g_arena, 0);
    /* window 3 of one channel; features (mean, min, max); no normalisation */
    const float xs[] = {0.0f, -1.0f, 1.0f, 3.0f, 3.0f, 3.0f};
    for (unsigned k = 0; k < NELEM(xs); k++) {
        vg_result_t r = push1(&d, xs[k]);
        if (k < 2) {
            assert_int_equal(r.window, 0);
            continue;
        }
        const float *f = vg_detector_normalised(&d);
        float want = vg_iforest_score(&m, f);
        assert_true(r.raw == want);
        assert_true(r.raw > 0.0f && r.raw <= 1.0f);
        assert_int_equal(r.over, r.raw > 0.6f);
        for (unsigned i = 0; i < 3; i++)
            assert_true(vg_detector_contrib(&d)[i] == fabsf(f[i]));
    }
    /* window (0.2, 0.2, 0.2): tree 0 -> 1 (mean < 0.5), tree 1 -> 1.5 (min >= 0):
     * 2^(-1.25 / 2) ~ 0.648, over 0.6 */
    vg_detector_reset(&d);
    push1(&d, 0.2f);
    push1(&d, 0.2f);
    vg_result_t r = push1(&d, 0.2f);
    assert_near(r.raw, pow(2.0, -1.25 / 2.0), 1e-6);
    assert_int_equal(r.over, 1);
    assert_int_equal(r.event, VG_EVENT_OPEN);
    /* (-1, -1, -1): tree 0 -> 1, tree 1 -> min < 0, max < 1 -> 3: 2^-1 */
    push1(&d, -1.0f);
    push1(&d, -1.0f);
    r = push1(&d, -1.0f);
    assert_true(r.raw == 0.5f);
    assert_int_equal(r.over, 0);
    assert_int_equal(r.top_feature, 0); /* |xn| ties: the first feature */
    check_guards(a, vg_detector_arena_size(&m), 0);
}

/* Regression: a NaN raw score got score 1 (vg_score_unit maps NaN to 1 "so faults read as
 * alarms") but over = 0 (raw > threshold is false for NaN), so no event ever opened.
 * Reachable with a valid artifact: a large normalisation scale (e.g. 1 / sd of a feature
 * constant in training) overflows the normalised feature to inf, and inf - inf in the dense
 * layers gives NaN. */
static void test_nonfinite_raw_counts_as_over(void **state)
{
    (void)state;
    static const uint8_t ch[] = {0}, id[] = {VG_FEAT_LAST};
    static const float norm[] = {0.0f, 1e30f};
    static const vgt_layer_t layers[] = {{1, 2, VG_ACT_LINEAR}, {2, 1, VG_ACT_LINEAR}};
    static const float params[] = {1.0f, -1.0f, 0.0f, 0.0f, 0.5f, 0.5f, 0.0f};
    vgt_pipe_t p = {1.0f, 1, 1, 1, 1, VG_NORM_ZSCORE, 0, ch, id, norm, 1.0f, 1, 1, NULL};
    size_t n = vgt_build_ae(g_art.b, sizeof g_art.b, &p, 2, layers, params);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    vg_detector_t d;
    bind(&d, &m, &g_arena, 0);
    vg_result_t r = push1(&d, 1e9f); /* a valid sample: 1e9 * 1e30 = inf */
    assert_int_equal(r.window, 1);
    assert_int_equal(r.dropout, 0);
    print_message("raw %g score %g over %u\n", (double)r.raw, (double)r.score, r.over);
    assert_true(r.score == 1.0f);
    assert_int_equal(r.over, 1);
    assert_int_equal(r.event, VG_EVENT_OPEN);
}

/* ---- kernels ------------------------------------------------------------------------------ */

static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(vg_crc32(0, "123456789", 9), 0xCBF43926u); /* zlib's check value */
    assert_int_equal(vg_crc32(0, NULL, 0), 0u);
    assert_int_equal(vg_crc32(0, "a", 1), 0xE8B7BE43u);
    assert_int_equal(vg_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    /* continuation: any split gives the one-shot value */
    const char *s = "123456789";
    for (size_t cut = 0; cut <= 9; cut++)
        assert_int_equal(vg_crc32(vg_crc32(0, s, cut), s + cut, 9 - cut), 0xCBF43926u);
    /* and matches the independent implementation on random buffers */
    static uint8_t buf[4099];
    g_rng = 99;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(rng_f() * 256.0f);
    for (size_t len = 0; len < sizeof buf; len += 1 + len / 3)
        assert_int_equal(vg_crc32(0, buf, len), vgt_crc32(buf, len));
}

static void test_welford(void **state)
{
    (void)state;
    vg_welford_t w;
    vg_welford_init(&w);
    assert_true(vg_welford_var(&w) == 0.0);
    vg_welford_add(&w, 5.0);
    assert_true(w.mean == 5.0 && vg_welford_var(&w) == 0.0);
    vg_welford_add(&w, 7.0);
    assert_true(w.mean == 6.0 && vg_welford_var(&w) == 1.0); /* population variance */
    /* against a two-pass double reference; large offset, small spread */
    const uint64_t seed = 0x3E1F0Dull;
    print_message("seed 0x%llx\n", (unsigned long long)seed);
    g_rng = seed;
    static double x[10000];
    const double offsets[] = {0.0, 20.0, 1e4, 1e9};
    for (size_t o = 0; o < NELEM(offsets); o++) {
        vg_welford_init(&w);
        double sum = 0;
        for (int i = 0; i < 10000; i++) {
            x[i] = offsets[o] + (rng_f() - 0.5) * 3.0;
            sum += x[i];
            vg_welford_add(&w, x[i]);
        }
        double mean = sum / 10000, ss = 0;
        for (int i = 0; i < 10000; i++)
            ss += (x[i] - mean) * (x[i] - mean);
        assert_int_equal(w.n, 10000);
        assert_near(w.mean, mean, 1e-12 * (1 + fabs(mean)));
        /* both sides lose about DBL_EPSILON * offset / spread of relative precision */
        assert_near(vg_welford_var(&w), ss / 10000, (1e-9 + 1e-14 * offsets[o]) * (ss / 10000));
    }
}

static void test_ewma(void **state)
{
    (void)state;
    vg_ewma_t e;
    vg_ewma_init(&e, 0.25f);
    vg_ewma_add(&e, 8.0f); /* the first sample primes the mean */
    assert_true(e.mean == 8.0f && e.var == 0.0f);
    vg_ewma_add(&e, 12.0f); /* d = 4, inc = 1: mean 9, var 0.75 (0 + 4) = 3 */
    assert_true(e.mean == 9.0f && e.var == 3.0f);
    vg_ewma_seed(&e, 100.0f, 4.0f);
    assert_true(e.mean == 100.0f && e.var == 4.0f && e.primed);
    vg_ewma_add(&e, 100.0f);
    assert_true(e.mean == 100.0f && e.var == 3.0f);
    /* against the same recurrence in double, over a noisy drifting signal */
    const uint64_t seed = 0xE3A4ull;
    print_message("seed 0x%llx\n", (unsigned long long)seed);
    const float alphas[] = {1.0f, 0.5f, 0.1f, 0.01f};
    for (size_t i = 0; i < NELEM(alphas); i++) {
        g_rng = seed;
        double a = alphas[i], m = 0, v = 0;
        vg_ewma_init(&e, alphas[i]);
        for (int k = 0; k < 5000; k++) {
            float x = 20.0f + 0.001f * (float)k + (rng_f() - 0.5f);
            if (k == 0) {
                m = x;
                v = 0;
            } else {
                double d = x - m;
                m += a * d;
                v = (1 - a) * (v + a * d * d);
            }
            vg_ewma_add(&e, x);
            assert_true(e.var >= 0.0f);
            /* float32 state with a contracting recurrence: error stays near eps * |x| */
            assert_near(e.mean, m, 1e-5 * fabs(m));
            assert_near(e.var, v, 1e-5 * fabs(m) + 1e-3 * v);
        }
    }
}

static void test_dense_and_activations(void **state)
{
    (void)state;
    assert_true(vg_act_f32(-2.0f, VG_ACT_LINEAR) == -2.0f);
    assert_true(vg_act_f32(-2.0f, VG_ACT_RELU) == 0.0f);
    assert_true(vg_act_f32(2.5f, VG_ACT_RELU) == 2.5f);
    assert_true(vg_act_f32(0.0f, VG_ACT_SIGMOID) == 0.5f);
    assert_true(vg_act_f32(0.0f, VG_ACT_TANH) == 0.0f);
    assert_true(vg_act_f32(3.0f, 99) == 3.0f); /* unknown: linear */
    for (float x = -30.0f; x <= 30.0f; x += 0.37f) {
        assert_near(vg_act_f32(x, VG_ACT_SIGMOID), 1.0 / (1.0 + exp(-(double)x)), 1e-6);
        assert_near(vg_act_f32(x, VG_ACT_TANH), tanh((double)x), 1e-6);
    }
    assert_true(vg_act_f32(-200.0f, VG_ACT_SIGMOID) == 0.0f);
    assert_true(vg_act_f32(200.0f, VG_ACT_SIGMOID) == 1.0f);
    assert_true(vg_act_f32(100.0f, VG_ACT_TANH) == 1.0f);
    /* W = [[1 2 3] [-1 0 0.5]], b = [0.5 -1], x = [1 1 2]: Wx + b = [9.5, -1] */
    const float w[] = {1, 2, 3, -1, 0, 0.5f}, b[] = {0.5f, -1.0f}, x[] = {1, 1, 2};
    float out[3] = {0, 0, 77.0f};
    vg_dense_f32(w, b, x, out, 3, 2, VG_ACT_LINEAR);
    assert_true(out[0] == 9.5f && out[1] == -1.0f && out[2] == 77.0f);
    vg_dense_f32(w, b, x, out, 3, 2, VG_ACT_RELU);
    assert_true(out[0] == 9.5f && out[1] == 0.0f);
    vg_dense_f32(w, b, x, out, 3, 2, VG_ACT_TANH);
    assert_near(out[1], tanh(-1.0), 1e-7);
    vg_dense_f32(w, b, x, out, 0, 2, VG_ACT_LINEAR); /* no inputs: the bias */
    assert_true(out[0] == 0.5f && out[1] == -1.0f);
}

static void test_iforest_c(void **state)
{
    (void)state;
    assert_true(vg_iforest_c(0.0f) == 0.0f);
    assert_true(vg_iforest_c(1.0f) == 0.0f);
    assert_true(vg_iforest_c(2.0f) == 1.0f);
    /* c(n) = 2 (ln(n - 1) + Euler-Mascheroni) - 2 (n - 1) / n for n > 2 (as scikit-learn) */
    const double ns[] = {3, 4, 10, 64, 256, 1000, 4096, 1e6};
    for (size_t i = 0; i < NELEM(ns); i++) {
        double n = ns[i];
        double want = 2.0 * (log(n - 1.0) + 0.57721566490153286) - 2.0 * (n - 1.0) / n;
        assert_near(vg_iforest_c((float)n), want, 2e-6 * want);
    }
    assert_near(vg_iforest_c(256.0f), 10.244770920116851, 1e-5);
    /* increasing in n */
    float prev = 0.0f;
    for (float n = 3.0f; n < 5000.0f; n *= 1.3f) {
        assert_true(vg_iforest_c(n) >= prev);
        prev = vg_iforest_c(n);
    }
}

static void test_status_str(void **state)
{
    (void)state;
    const vg_status_t all[] = {VG_OK,         VG_ERR_ARG, VG_ERR_SIZE,    VG_ERR_UNSUPPORTED,
                               VG_ERR_FORMAT, VG_ERR_CRC, VG_ERR_VERSION, VG_ERR_ALIGN};
    /* values are on the wire: never renumbered */
    for (size_t i = 0; i < NELEM(all); i++)
        assert_int_equal(all[i], -(int)i);
    const char *unknown = vg_status_str((vg_status_t)1);
    assert_non_null(unknown);
    assert_string_equal(vg_status_str((vg_status_t)-8), unknown);
    assert_string_equal(vg_status_str((vg_status_t)-1000), unknown);
    for (size_t i = 0; i < NELEM(all); i++) {
        const char *s = vg_status_str(all[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, unknown);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, vg_status_str(all[j]));
    }
    assert_string_equal(vg_status_str(VG_OK), "ok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zscore_stream_fields),
        cmocka_unit_test(test_decision_hysteresis),
        cmocka_unit_test(test_one_spike_one_event),
        cmocka_unit_test(test_score_unit),
        cmocka_unit_test(test_score_unit_large_threshold),
        cmocka_unit_test(test_dropout_policy),
        cmocka_unit_test(test_running_baseline),
        cmocka_unit_test(test_running_baseline_steady_then_tiny_step),
        cmocka_unit_test(test_set_threshold),
        cmocka_unit_test(test_reset_equals_fresh),
        cmocka_unit_test(test_arena_sizes),
        cmocka_unit_test(test_ae_detector),
        cmocka_unit_test(test_iforest_detector),
        cmocka_unit_test(test_nonfinite_raw_counts_as_over),
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_welford),
        cmocka_unit_test(test_ewma),
        cmocka_unit_test(test_dense_and_activations),
        cmocka_unit_test(test_iforest_c),
        cmocka_unit_test(test_status_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
