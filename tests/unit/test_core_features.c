/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of core/src/vg_features.c: vg_window_stats() against numpy golden vectors
 * (tests/golden/features_golden.h, from tools/gen_golden.py), a seeded property test against
 * a double two-pass reference, ring-rotation invariance, vg_feature_value() and the
 * vg_feature_name() / vg_feature_from_name() round trips.
 *
 * Tolerances. The references are exact (double) statistics of the same float32 samples, so
 * the only error is the core's float32 arithmetic. With eps = 2^-23 (twice the unit
 * roundoff, a 2x margin), recursive summation of n terms errs by at most n eps sum|terms|
 * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., sec. 4.2). The core
 * shifts every sample by the oldest one before summing, so every summed term is bounded by
 * the window range R (or, for the slope, by (n/2) R). Hence, per statistic:
 *   last, min, max       exact (copies of samples)
 *   diff, maxdiff, range one rounding: eps |value|
 *   mean, adiff          (n + 2) eps R + eps |value|
 *   std                  d(ss) <= (n + 2) eps n R^2, d(std) <= d(ss) / (2 n std)
 *   slope                6 (n + 2) eps R / (n dt) + 8 eps |slope|  (+ numpy's own
 *                        polyfit error, about 1e-14 max|x| / dt, for a flat window)
 * These are worst-case bounds; the test prints the largest observed error / bound ratio.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "features_golden.h"
#include "vigil/vigil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define EPS32    1.1920928955078125e-07 /* 2^-23 */

typedef struct {
    double last, mean, std, min, max, slope, diff, range, adiff, maxdiff;
} ref_stats_t;

static double g_worst_ratio;

static void check_close(const char *what, const char *field, double got, double want, double tol)
{
    double err = fabs(got - want);
    if (tol > 0 && err / tol > g_worst_ratio)
        g_worst_ratio = err / tol;
    if (err <= tol && !isnan(got))
        return;
    print_error("%s.%s = %.9g, expected %.17g (|err| %.3g > tol %.3g)\n", what, field, got, want,
                err, tol);
    fail();
}

/* Compare core statistics with a reference, using the bounds of the file comment. */
static void check_stats(const char *what, const vg_window_stats_t *st, const ref_stats_t *r,
                        size_t n, double dt)
{
    const double R = r->range, fn = (double)n;
    check_close(what, "last", st->last, r->last, 0);
    check_close(what, "min", st->min, r->min, 0);
    check_close(what, "max", st->max, r->max, 0);
    check_close(what, "diff", st->diff, r->diff, EPS32 * fabs(r->diff));
    check_close(what, "maxdiff", st->maxdiff, r->maxdiff, EPS32 * fabs(r->maxdiff));
    check_close(what, "range", vg_feature_value(st, VG_FEAT_RANGE), r->range,
                EPS32 * fabs(r->range));
    check_close(what, "mean", st->mean, r->mean, (fn + 2) * EPS32 * R + EPS32 * fabs(r->mean));
    check_close(what, "adiff", st->adiff, r->adiff, (fn + 2) * EPS32 * R + EPS32 * fabs(r->adiff));
    double dss = (fn + 2) * EPS32 * fn * R * R;
    double tol_std = r->std > 0 ? dss / (2 * fn * r->std) : sqrt(dss / fn);
    check_close(what, "std", st->std, r->std, tol_std + EPS32 * r->std);
    double xmax = fmax(fabs(r->min), fabs(r->max));
    double tol_slope = n > 1 ? 6 * (fn + 2) * EPS32 * R / (fn * dt) + 8 * EPS32 * fabs(r->slope) +
                                   1e-14 * xmax / dt
                             : 0;
    check_close(what, "slope", st->slope, r->slope, tol_slope);
}

static void test_golden_windows(void **state)
{
    (void)state;
    g_worst_ratio = 0;
    for (size_t c = 0; c < NELEM(VG_GOLDEN_WINDOWS); c++) {
        const vg_golden_window_t *g = &VG_GOLDEN_WINDOWS[c];
        vg_window_stats_t st;
        memset(&st, 0xA5, sizeof st);
        vg_window_stats(g->ring, g->n, g->head, g->dt, &st);
        ref_stats_t r = {g->last,  g->mean, g->std,   g->min,   g->max,
                         g->slope, g->diff, g->range, g->adiff, g->maxdiff};
        check_stats(g->name, &st, &r, g->n, g->dt);
        /* vg_feature_value() maps every id to the matching statistic */
        const float want[VG_FEAT_COUNT] = {st.last,  st.mean,   st.std,  st.min,
                                           st.max,   st.slope,  st.diff, st.max - st.min,
                                           st.adiff, st.maxdiff};
        for (unsigned id = 0; id < VG_FEAT_COUNT; id++)
            assert_true(vg_feature_value(&st, id) == want[id]);
    }
    print_message("golden: largest |error| / bound = %.3g\n", g_worst_ratio);
}

/* The statistics depend on the chronological order only: rotating the ring and moving the
 * head with it gives bit-identical results (the core always walks oldest first). */
static void test_ring_rotation_invariance(void **state)
{
    (void)state;
    static float rot[4096];
    for (size_t c = 0; c < NELEM(VG_GOLDEN_WINDOWS); c++) {
        const vg_golden_window_t *g = &VG_GOLDEN_WINDOWS[c];
        vg_window_stats_t a, b;
        vg_window_stats(g->ring, g->n, g->head, g->dt, &a);
        const size_t shifts[] = {1, g->n / 2, g->n - 1};
        for (size_t s = 0; s < NELEM(shifts); s++) {
            size_t k = shifts[s] % g->n;
            for (size_t i = 0; i < g->n; i++)
                rot[(i + k) % g->n] = g->ring[i];
            vg_window_stats(rot, g->n, (g->head + k) % g->n, g->dt, &b);
            assert_memory_equal(&a, &b, sizeof a);
        }
    }
}

static void ref_stats(const float *x, size_t n, double dt, ref_stats_t *r)
{
    double sum = 0, mn = x[0], mx = x[0], asum = 0, maxd = 0;
    for (size_t j = 0; j < n; j++) {
        sum += x[j];
        mn = fmin(mn, x[j]);
        mx = fmax(mx, x[j]);
        if (j) {
            double d = fabs((double)x[j] - x[j - 1]);
            asum += d;
            maxd = fmax(maxd, d);
        }
    }
    double mean = sum / (double)n, ss = 0, stx = 0, stt = 0, tbar = 0.5 * (double)(n - 1) * dt;
    for (size_t j = 0; j < n; j++) {
        double c = x[j] - mean, t = (double)j * dt - tbar;
        ss += c * c;
        stx += t * c;
        stt += t * t;
    }
    r->last = x[n - 1];
    r->mean = mean;
    r->std = sqrt(ss / (double)n);
    r->min = mn;
    r->max = mx;
    r->range = mx - mn;
    r->slope = n > 1 ? stx / stt : 0;
    r->diff = n > 1 ? (double)x[n - 1] - x[n - 2] : 0;
    r->adiff = n > 1 ? asum / (double)(n - 1) : 0;
    r->maxdiff = maxd;
}

static uint64_t g_rng;
static double rng_unit(void)
{
    /* splitmix64 -> [0, 1) */
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static void test_random_windows_vs_double(void **state)
{
    (void)state;
    const uint64_t seed = 0x5EED0F00D5ull;
    print_message("seed 0x%llx\n", (unsigned long long)seed);
    g_rng = seed;
    g_worst_ratio = 0;
    static float x[VG_MAX_WINDOW], ring[VG_MAX_WINDOW];
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 1 + (size_t)(rng_unit() * (trial < 200 ? 64 : VG_MAX_WINDOW));
        size_t head = (size_t)(rng_unit() * (double)n);
        double level = rng_unit() < 0.5 ? 20.0 : 1e4, noise = pow(10, 2 * rng_unit() - 1.5);
        double trend = (rng_unit() - 0.5) * 0.1, dt = pow(10, 3 * rng_unit() - 1);
        float dt32 = (float)dt;
        for (size_t j = 0; j < n; j++)
            x[j] = (float)(level + trend * (double)j + noise * (rng_unit() - 0.5));
        for (size_t j = 0; j < n; j++)
            ring[(head + j) % n] = x[j];
        ref_stats_t r;
        ref_stats(x, n, dt32, &r);
        vg_window_stats_t st;
        vg_window_stats(ring, n, head, dt32, &st);
        char what[64];
        snprintf(what, sizeof what, "trial %d (n %zu head %zu)", trial, n, head);
        check_stats(what, &st, &r, n, dt32);
    }
    print_message("random: largest |error| / bound = %.3g\n", g_worst_ratio);
}

static void test_flat_and_tiny_windows(void **state)
{
    (void)state;
    /* A flat window: std, slope, diff, range, adiff, maxdiff are exactly 0. */
    float flat[5] = {1e4f, 1e4f, 1e4f, 1e4f, 1e4f};
    vg_window_stats_t st;
    vg_window_stats(flat, 5, 2, 0.1f, &st);
    assert_true(st.mean == 1e4f && st.std == 0.0f && st.slope == 0.0f && st.diff == 0.0f);
    assert_true(st.adiff == 0.0f && st.maxdiff == 0.0f && st.min == st.max);
    /* One sample: every difference-based feature is 0. */
    float one = -3.5f;
    vg_window_stats(&one, 1, 0, 1.0f, &st);
    assert_true(st.last == -3.5f && st.mean == -3.5f && st.std == 0.0f && st.slope == 0.0f);
    assert_true(st.diff == 0.0f && st.adiff == 0.0f && st.maxdiff == 0.0f);
    /* Two samples, head 1: oldest is ring[1] = 2, newest ring[0] = 5; dt 0.5 s. */
    float two[2] = {5.0f, 2.0f};
    vg_window_stats(two, 2, 1, 0.5f, &st);
    assert_true(st.last == 5.0f && st.diff == 3.0f && st.mean == 3.5f && st.std == 1.5f);
    assert_true(st.slope == 6.0f && st.adiff == 3.0f && st.maxdiff == 3.0f);
    /* A perfect line: slope exact, adiff = maxdiff = |step|. */
    float line[6];
    for (int j = 0; j < 6; j++)
        line[(j + 4) % 6] = 100.0f - 2.0f * (float)j;
    vg_window_stats(line, 6, 4, 2.0f, &st);
    assert_true(st.slope == -1.0f && st.diff == -2.0f && st.adiff == 2.0f);
    assert_true(st.maxdiff == 2.0f && st.last == 90.0f && st.min == 90.0f && st.max == 100.0f);
}

static void test_feature_names(void **state)
{
    (void)state;
    static const char *const names[VG_FEAT_COUNT] = {"last",  "mean", "std",   "min",   "max",
                                                     "slope", "diff", "range", "adiff", "maxdiff"};
    for (unsigned id = 0; id < VG_FEAT_COUNT; id++) {
        const char *n = vg_feature_name(id);
        assert_non_null(n);
        assert_string_equal(n, names[id]); /* ids are stored in artifacts: never renumbered */
        unsigned back = 999;
        assert_int_equal(vg_feature_from_name(n, strlen(n), &back), VG_OK);
        assert_int_equal(back, id);
        /* not NUL-terminated: the name followed by more text, length-bounded */
        char buf[32];
        snprintf(buf, sizeof buf, "%s,xyz", n);
        back = 999;
        assert_int_equal(vg_feature_from_name(buf, strlen(n), &back), VG_OK);
        assert_int_equal(back, id);
        /* a strict prefix and an extension are not names */
        assert_int_equal(vg_feature_from_name(n, strlen(n) - 1, &back), VG_ERR_ARG);
        assert_int_equal(vg_feature_from_name(buf, strlen(n) + 1, &back), VG_ERR_ARG);
    }
    assert_null(vg_feature_name(VG_FEAT_COUNT));
    assert_null(vg_feature_name(0xFFFFFFFFu));
    unsigned id = 77;
    assert_int_equal(vg_feature_from_name("max", 3, &id), VG_OK);
    assert_int_equal(id, VG_FEAT_MAX);
    assert_int_equal(vg_feature_from_name("maxdiff", 7, &id), VG_OK);
    assert_int_equal(id, VG_FEAT_MAXDIFF);
    id = 77;
    const char *bad[] = {"", "MEAN", "Mean", "mea", "meanx", " mean", "std ", "slopes", "x"};
    for (size_t i = 0; i < NELEM(bad); i++)
        assert_int_equal(vg_feature_from_name(bad[i], strlen(bad[i]), &id), VG_ERR_ARG);
    assert_int_equal(vg_feature_from_name("mean\0", 5, &id), VG_ERR_ARG);
    assert_int_equal(id, 77); /* untouched on failure */
    assert_int_equal(vg_feature_from_name(NULL, 4, &id), VG_ERR_ARG);
    assert_int_equal(vg_feature_from_name("mean", 4, NULL), VG_ERR_ARG);
    vg_window_stats_t st = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assert_true(vg_feature_value(&st, VG_FEAT_COUNT) == 0.0f);
    assert_true(vg_feature_value(&st, 1000) == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_windows),
        cmocka_unit_test(test_ring_rotation_invariance),
        cmocka_unit_test(test_random_windows_vs_double),
        cmocka_unit_test(test_flat_and_tiny_windows),
        cmocka_unit_test(test_feature_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
