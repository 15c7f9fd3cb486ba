/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of host/vigil/metrics.c.
 *
 * Reference values below come from sklearn 1.2.1 (Debian /usr/bin/python3):
 *   auc       = roc_auc_score(y, s_nan_as_minus_1e30)
 *   prec/rec/f1 = precision_recall_fscore_support(y, p, average='binary', zero_division=0)
 *   fpr/tpr   = roc_curve(y, s, drop_intermediate=False)
 *   best F1   = max over t in unique(s) + [nextafter(min(s), -inf)] of f1_score(y, s > t),
 *               largest t among ties.
 * Inputs: case a hand-made with ties; case b numpy default_rng(7), n = 64,
 * y = rand < 0.3, s = round(normal + 1.2 y, 1) (includes -0 and +0), p = s > 0.8;
 * case c hand-made with NaN scores.
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

#include "metrics.h"
#include "rng.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Doubles equal within eps (NaN equals NaN); prints both values on failure. */
#define assert_near(a, b, eps) near__check((a), (b), (eps), #a, __FILE__, __LINE__)
static void near__check(double a, double b, double eps, const char *what, const char *file,
                        int line)
{
    if ((isnan(a) && isnan(b)) || fabs(a - b) <= eps)
        return;
    print_error("%s:%d: %s = %.17g, expected %.17g (eps %g)\n", file, line, what, a, b, eps);
    fail();
}

typedef struct {
    double auc, precision, recall, f1, best_f1;
    float best_t;
} ref_t;

/* case a: n = 12 */
static const float S_A[] = {0.100000001f, 0.400000006f, 0.349999994f,  0.800000012f,
                            0.400000006f, 0.899999976f, 0.0500000007f, 0.400000006f,
                            0.699999988f, 0.200000003f, 0.400000006f,  0.649999976f};
static const uint8_t Y_A[] = {0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 0};
static const uint8_t P_A[] = {0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1};
static const double FPR_A[] = {
    0, 0, 0, 0, 0.16666666666666666, 0.5, 0.5, 0.66666666666666663, 0.83333333333333337, 1};
static const double TPR_A[] = {
    0, 0.16666666666666666, 0.33333333333333331, 0.5, 0.5, 0.83333333333333337, 1, 1, 1, 1};
/* sklearn: auc 0.8055555555555556
 *         precision 0.6666666666666666 recall 0.6666666666666666 f1 0.6666666666666666
 *         best f1 0.8 at t 0.2 */
static const ref_t REF_A = {0.80555555555555558, 0.66666666666666663, 0.66666666666666663,
                            0.66666666666666663, 0.80000000000000004, 0.200000003f};
/* case b: n = 64 */
static const float S_B[] = {
    -1.20000005f,  -0.600000024f, -0.200000003f, 2.0999999f,    1.10000002f,   -1.29999995f,
    0.400000006f,  0.600000024f,  -2.0f,         -0.5f,         -0.100000001f, 2.5f,
    1.89999998f,   -0.300000012f, -0.400000006f, -0.300000012f, 1.5f,          -0.400000006f,
    -0.300000012f, 0.400000006f,  1.10000002f,   1.0f,          -1.10000002f,  1.20000005f,
    0.800000012f,  1.20000005f,   0.699999988f,  -0.0f,         0.699999988f,  -0.300000012f,
    1.10000002f,   1.20000005f,   1.79999995f,   -0.100000001f, 0.300000012f,  -0.5f,
    -2.0f,         0.899999976f,  -0.899999976f, 1.39999998f,   3.4000001f,    -0.800000012f,
    -0.600000024f, 0.200000003f,  0.5f,          -0.200000003f, 1.0f,          0.699999988f,
    0.5f,          -1.0f,         -0.100000001f, 0.0f,          0.100000001f,  0.300000012f,
    -0.899999976f, 2.20000005f,   0.200000003f,  0.100000001f,  -0.600000024f, -0.100000001f,
    -2.0f,         -1.10000002f,  0.400000006f,  -0.899999976f};
static const uint8_t Y_B[] = {0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                              0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0,
                              0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t P_B[] = {0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1,
                              0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0,
                              0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
static const double FPR_B[] = {0,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0.022222222222222223,
                               0.022222222222222223,
                               0.044444444444444446,
                               0.088888888888888892,
                               0.088888888888888892,
                               0.088888888888888892,
                               0.088888888888888892,
                               0.15555555555555556,
                               0.17777777777777778,
                               0.22222222222222221,
                               0.26666666666666666,
                               0.31111111111111112,
                               0.35555555555555557,
                               0.37777777777777777,
                               0.42222222222222222,
                               0.48888888888888887,
                               0.53333333333333333,
                               0.62222222222222223,
                               0.66666666666666663,
                               0.68888888888888888,
                               0.75555555555555554,
                               0.77777777777777779,
                               0.82222222222222219,
                               0.84444444444444444,
                               0.88888888888888884,
                               0.91111111111111109,
                               0.93333333333333335,
                               1};
static const double TPR_B[] = {0,
                               0.052631578947368418,
                               0.10526315789473684,
                               0.15789473684210525,
                               0.21052631578947367,
                               0.26315789473684209,
                               0.31578947368421051,
                               0.31578947368421051,
                               0.36842105263157893,
                               0.47368421052631576,
                               0.52631578947368418,
                               0.63157894736842102,
                               0.68421052631578949,
                               0.73684210526315785,
                               0.73684210526315785,
                               0.73684210526315785,
                               0.73684210526315785,
                               0.78947368421052633,
                               0.78947368421052633,
                               0.78947368421052633,
                               0.84210526315789469,
                               0.84210526315789469,
                               0.89473684210526316,
                               0.89473684210526316,
                               0.89473684210526316,
                               0.89473684210526316,
                               0.94736842105263153,
                               0.94736842105263153,
                               0.94736842105263153,
                               1,
                               1,
                               1,
                               1,
                               1,
                               1};
/* sklearn: auc 0.8391812865497076
 *         precision 0.7647058823529411 recall 0.6842105263157895 f1 0.7222222222222222
 *         best f1 0.7567567567567567 at t 0.7 */
static const ref_t REF_B = {0.83918128654970758, 0.76470588235294112, 0.68421052631578949,
                            0.72222222222222221, 0.75675675675675669, 0.699999988f};
/* case c: n = 10 */
static const float S_C[] = {NAN,  NAN, 0.300000012f, -0.200000003f, 0.300000012f,
                            1.5f, NAN, 0.899999976f, -1.0f,         0.300000012f};
static const uint8_t Y_C[] = {1, 0, 0, 0, 1, 1, 0, 1, 0, 0};
static const uint8_t P_C[] = {0, 0, 0, 0, 1, 1, 0, 0, 0, 1};
static const double FPR_C[] = {0, 0, 0, 0.33333333333333331, 0.5, 0.66666666666666663, 1};
static const double TPR_C[] = {0, 0.25, 0.5, 0.75, 0.75, 0.75, 1};
/* sklearn: auc 0.75
 *         precision 0.6666666666666666 recall 0.5 f1 0.5714285714285715
 *         best f1 0.6666666666666666 at t 0.3 */
static const ref_t REF_C = {
    0.75, 0.66666666666666663, 0.5, 0.57142857142857151, 0.66666666666666663, 0.300000012f};

static void check_case(const float *s, const uint8_t *y, const uint8_t *p, size_t n,
                       const double *fpr_ref, const double *tpr_ref, size_t nroc, const ref_t *ref)
{
    double t[64];
    assert_true(n <= NELEM(t));
    for (size_t i = 0; i < n; i++)
        t[i] = (double)i;
    vgh_metrics_t m;
    char err[128] = "";
    assert_int_equal(vgh_metrics_compute(t, s, p, y, NULL, n, 0.0, &m, NULL, NULL, err, sizeof err),
                     0);
    assert_near(m.auc, ref->auc, 1e-12);
    assert_near(vgh_roc_auc(s, y, n), ref->auc, 1e-12);
    assert_near(m.precision, ref->precision, 1e-12);
    assert_near(m.recall, ref->recall, 1e-12);
    assert_near(m.f1, ref->f1, 1e-12);
    assert_int_equal(m.tp + m.fp + m.fn + m.tn, n);

    double *fpr, *tpr;
    size_t np;
    assert_int_equal(vgh_roc_curve(s, y, n, &fpr, &tpr, &np), 0);
    assert_int_equal(np, nroc);
    for (size_t i = 0; i < np; i++) {
        assert_near(fpr[i], fpr_ref[i], 1e-12);
        assert_near(tpr[i], tpr_ref[i], 1e-12);
    }
    free(fpr);
    free(tpr);

    float th;
    double f1;
    assert_int_equal(vgh_best_f1(s, y, n, &th, &f1), 0);
    assert_near(f1, ref->best_f1, 1e-12);
    assert_true(th == ref->best_t);
}

static void test_sklearn_a(void **state)
{
    (void)state;
    check_case(S_A, Y_A, P_A, NELEM(S_A), FPR_A, TPR_A, NELEM(FPR_A), &REF_A);
}

static void test_sklearn_b(void **state)
{
    (void)state;
    check_case(S_B, Y_B, P_B, NELEM(S_B), FPR_B, TPR_B, NELEM(FPR_B), &REF_B);
}

static void test_sklearn_c_nan(void **state)
{
    (void)state;
    check_case(S_C, Y_C, P_C, NELEM(S_C), FPR_C, TPR_C, NELEM(FPR_C), &REF_C);
}

/* NaN ranks below -INFINITY; -INFINITY rows can never be flagged by (s > t). */
static void test_nan_below_neg_inf(void **state)
{
    (void)state;
    const float s[] = {NAN, -INFINITY, -INFINITY, 1.0f};
    const uint8_t y[] = {0, 1, 0, 1};
    /* pos {-inf, 1} vs neg {NaN, -inf}: (1 + 1) + (1 + 0.5) = 3.5 of 4 */
    assert_near(vgh_roc_auc(s, y, 4), 3.5 / 4.0, 1e-15);
    float th;
    double f1;
    assert_int_equal(vgh_best_f1(s, y, 4, &th, &f1), 0);
    /* t = -inf flags {1}: F1 = 2/3; no float t flags the -inf rows */
    assert_true(th == -INFINITY);
    assert_near(f1, 2.0 / 3.0, 1e-15);
}

/* Seeded property test: AUC equals the O(P*N) pair count on tie-heavy random data. */
static void test_auc_bruteforce(void **state)
{
    (void)state;
    const uint64_t seed = 20240607u;
    print_message("test_auc_bruteforce: seed %llu\n", (unsigned long long)seed);
    vgh_rng_t r;
    vgh_rng_seed(&r, seed);
    enum { N = 3000 };
    float *s = malloc(N * sizeof *s);
    uint8_t *y = malloc(N);
    assert_non_null(s);
    assert_non_null(y);
    for (size_t i = 0; i < N; i++) {
        y[i] = vgh_rng_uniform(&r) < 0.2 ? 1u : 0u;
        double v = vgh_rng_normal(&r) + (y[i] ? 1.0 : 0.0);
        s[i] = vgh_rng_below(&r, 50) == 0 ? NAN : (float)(round(v * 4.0) / 4.0);
    }
    double num = 0.0, pairs = 0.0;
    for (size_t i = 0; i < N; i++) {
        if (!y[i])
            continue;
        for (size_t j = 0; j < N; j++) {
            if (y[j])
                continue;
            float a = isnan(s[i]) ? -HUGE_VALF : s[i];
            float b = isnan(s[j]) ? -HUGE_VALF : s[j];
            int an = isnan(s[i]), bn = isnan(s[j]);
            if (an && bn)
                num += 0.5;
            else if (bn || (!an && a > b))
                num += 1.0;
            else if (!an && a == b)
                num += 0.5;
            pairs += 1.0;
        }
    }
    assert_near(vgh_roc_auc(s, y, N), num / pairs, 1e-12);
    free(s);
    free(y);
}

/* Many distinct scores: the curve is thinned, monotone, and keeps its area. */
static void test_roc_thinning(void **state)
{
    (void)state;
    const uint64_t seed = 99u;
    print_message("test_roc_thinning: seed %llu\n", (unsigned long long)seed);
    vgh_rng_t r;
    vgh_rng_seed(&r, seed);
    enum { N = 200000 };
    float *s = malloc(N * sizeof *s);
    uint8_t *y = malloc(N);
    assert_non_null(s);
    assert_non_null(y);
    for (size_t i = 0; i < N; i++) {
        y[i] = vgh_rng_uniform(&r) < 0.1 ? 1u : 0u;
        s[i] = (float)(vgh_rng_normal(&r) + (y[i] ? 1.5 : 0.0));
    }
    double *fpr, *tpr;
    size_t np;
    assert_int_equal(vgh_roc_curve(s, y, N, &fpr, &tpr, &np), 0);
    assert_true(np >= 1000 && np <= VGH_ROC_MAX_POINTS);
    assert_true(fpr[0] == 0.0 && tpr[0] == 0.0);
    assert_true(fpr[np - 1] == 1.0 && tpr[np - 1] == 1.0);
    double area = 0.0;
    for (size_t i = 1; i < np; i++) {
        assert_true(fpr[i] >= fpr[i - 1] && tpr[i] >= tpr[i - 1]);
        area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) * 0.5;
    }
    assert_near(area, vgh_roc_auc(s, y, N), 1e-5);
    free(fpr);
    free(tpr);
    free(s);
    free(y);
}

static void test_one_class(void **state)
{
    (void)state;
    const float s[] = {0.1f, 0.5f, 0.2f};
    const uint8_t y0[] = {0, 0, 0}, y1[] = {1, 1, 1};
    const uint8_t p[] = {0, 1, 0};
    const double t[] = {0.0, 1.0, 2.0};
    assert_true(isnan(vgh_roc_auc(s, y0, 3)));
    assert_true(isnan(vgh_roc_auc(s, y1, 3)));
    assert_true(isnan(vgh_roc_auc(s, y1, 0)));
    assert_true(isnan(vgh_roc_auc(NULL, y1, 3)));
    double *fpr = (double *)1, *tpr = (double *)1;
    size_t np = 7;
    assert_int_equal(vgh_roc_curve(s, y0, 3, &fpr, &tpr, &np), -1);
    assert_null(fpr);
    assert_null(tpr);
    assert_int_equal(np, 0);

    vgh_metrics_t m;
    char err[128];
    assert_int_equal(
        vgh_metrics_compute(t, s, p, y0, NULL, 3, 1.0, &m, NULL, NULL, err, sizeof err), 0);
    assert_true(isnan(m.auc));
    assert_near(m.precision, 0.0, 0.0); /* 0 / 1 */
    assert_near(m.recall, 0.0, 0.0);    /* 0 / 0 */
    assert_near(m.f1, 0.0, 0.0);
    assert_int_equal(m.n_events, 0);
    assert_true(isnan(m.event_recall));
    assert_true(isnan(m.mean_delay_s));
    assert_int_equal(m.n_false_alarms, 1);
    assert_near(m.duration_s, 3.0, 0.0);
    assert_near(m.false_alarms_per_day, 86400.0 / 3.0, 1e-9);

    /* no positive label: F1 is 0 everywhere, so the largest candidate (max score) wins */
    float th;
    double f1;
    assert_int_equal(vgh_best_f1(s, y0, 3, &th, &f1), 0);
    assert_true(th == 0.5f);
    assert_near(f1, 0.0, 0.0);
    /* all positive: best is flagging every row, just below the minimum */
    assert_int_equal(vgh_best_f1(s, y1, 3, &th, &f1), 0);
    assert_true(th == nextafterf(0.1f, -INFINITY));
    assert_near(f1, 1.0, 0.0);
}

static void test_best_f1_ties_largest(void **state)
{
    (void)state;
    float th;
    double f1;
    /* t = 0.5 flags {0.9, 0.8}: F1 = 1 */
    const float s[] = {0.9f, 0.5f, 0.2f, 0.8f};
    const uint8_t y[] = {1, 0, 0, 1};
    assert_int_equal(vgh_best_f1(s, y, 4, &th, &f1), 0);
    assert_true(th == 0.5f);
    assert_near(f1, 1.0, 0.0);
    /* t = 0.7: 2/3; t = 0.5: 2/4; t = 0.3: 4/5 (best); below 0.3: 4/6 */
    const float s2[] = {0.9f, 0.7f, 0.5f, 0.3f};
    const uint8_t y2[] = {1, 0, 1, 0};
    assert_int_equal(vgh_best_f1(s2, y2, 4, &th, &f1), 0);
    assert_true(th == 0.3f);
    assert_near(f1, 0.8, 1e-15);
    /* t = 0.7: 2/3; 0.5: 2/4; 0.3: 2/5; below 0.3: 4/6 = 2/3 ties: the larger t wins */
    const float s3[] = {0.9f, 0.7f, 0.5f, 0.3f};
    const uint8_t y3[] = {1, 0, 0, 1};
    assert_int_equal(vgh_best_f1(s3, y3, 4, &th, &f1), 0);
    assert_true(th == 0.7f);
    assert_near(f1, 2.0 / 3.0, 1e-15);
    const float sn[] = {NAN, NAN};
    assert_int_equal(vgh_best_f1(sn, y3, 2, &th, &f1), -1);
    assert_int_equal(vgh_best_f1(NULL, y3, 2, &th, &f1), -1);
    assert_int_equal(vgh_best_f1(s3, y3, 0, &th, &f1), -1);
}

/*
 * Hand-built events, t = row index seconds, slack 2 s:
 *   e0 rows 3-5 kind 1: pred row 5 -> delay 2
 *   e1 rows 6-8 kind 2: pred row 10 (t 10 <= 8 + 2) -> delay 4, not a false alarm
 *   pred rows 13-14: false alarm (13 > 10)
 *   e2 rows 17-18 kind 1: next pred row 21 > 20 -> missed; pred row 21 is a false alarm
 *   e3 rows 25-27 kind 1: pred rows 24-26 start before it and overlap -> delay 0
 *   pred row 29: t 29 <= 27 + 2, inside the slack -> not a false alarm
 */
enum { EV_N = 30 };
static void events_fixture(double *t, uint8_t *p, uint8_t *y, int *k)
{
    static const size_t prow[] = {5, 10, 13, 14, 21, 24, 25, 26, 29};
    memset(p, 0, EV_N);
    memset(y, 0, EV_N);
    for (size_t i = 0; i < EV_N; i++) {
        t[i] = (double)i;
        k[i] = 0;
    }
    for (size_t i = 0; i < NELEM(prow); i++)
        p[prow[i]] = 1;
    for (size_t i = 3; i <= 5; i++)
        y[i] = 1, k[i] = 1;
    for (size_t i = 6; i <= 8; i++)
        y[i] = 1, k[i] = 2;
    for (size_t i = 17; i <= 18; i++)
        y[i] = 1, k[i] = 1;
    for (size_t i = 25; i <= 27; i++)
        y[i] = 1, k[i] = 1;
}

static void test_events(void **state)
{
    (void)state;
    double t[EV_N];
    uint8_t p[EV_N], y[EV_N];
    int k[EV_N];
    events_fixture(t, p, y, k);
    vgh_metrics_t m;
    vgh_event_t *ev;
    size_t ne;
    char err[128] = "";
    assert_int_equal(
        vgh_metrics_compute(t, NULL, p, y, k, EV_N, 2.0, &m, &ev, &ne, err, sizeof err), 0);
    assert_int_equal(m.n, EV_N);
    assert_int_equal(m.tp, 3);
    assert_int_equal(m.fp, 6);
    assert_int_equal(m.fn, 8);
    assert_int_equal(m.tn, 13);
    assert_true(isnan(m.auc));
    assert_int_equal(ne, 4);
    assert_int_equal(m.n_events, 4);
    assert_int_equal(m.n_detected, 3);
    assert_int_equal(m.n_pred_events, 6);
    assert_int_equal(m.n_false_alarms, 2);
    assert_near(m.event_recall, 0.75, 0.0);
    assert_near(m.mean_delay_s, 2.0, 1e-15);
    assert_near(m.duration_s, 30.0, 0.0);
    assert_near(m.false_alarms_per_day, 2.0 * 86400.0 / 30.0, 1e-9);

    const size_t st[] = {3, 6, 17, 25}, en[] = {5, 8, 18, 27}, row[] = {5, 10, SIZE_MAX, 25};
    const int kind[] = {1, 2, 1, 1}, det[] = {1, 1, 0, 1};
    const double delay[] = {2.0, 4.0, NAN, 0.0};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ev[i].start, st[i]);
        assert_int_equal(ev[i].end, en[i]);
        assert_int_equal(ev[i].kind, kind[i]);
        assert_int_equal(ev[i].detected, det[i]);
        assert_int_equal(ev[i].detect_row, row[i]);
        assert_near(ev[i].delay_s, delay[i], 0.0);
    }
    free(ev);

    /* Without kinds e0 and e1 merge into rows 3-8 (detected at row 5, delay 2). */
    assert_int_equal(
        vgh_metrics_compute(t, NULL, p, y, NULL, EV_N, 2.0, &m, &ev, &ne, err, sizeof err), 0);
    assert_int_equal(ne, 3);
    assert_int_equal(ev[0].start, 3);
    assert_int_equal(ev[0].end, 8);
    assert_int_equal(ev[0].kind, 0);
    assert_int_equal(m.n_detected, 2);
    assert_near(m.mean_delay_s, 1.0, 1e-15);
    assert_int_equal(m.n_false_alarms, 2);
    free(ev);

    /* No slack: e1 is missed, and pred rows 10 and 29 become false alarms. */
    assert_int_equal(
        vgh_metrics_compute(t, NULL, p, y, k, EV_N, 0.0, &m, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(m.n_detected, 2);
    assert_int_equal(m.n_false_alarms, 4);
    assert_near(m.mean_delay_s, 1.0, 1e-15);
}

/* Irregular time: delay and slack are in seconds, not rows. */
static void test_events_irregular_time(void **state)
{
    (void)state;
    const double t[] = {0.0, 0.5, 1.0, 1.5, 10.0, 10.5, 11.0, 30.0, 30.2, 30.4};
    const uint8_t y[] = {0, 1, 1, 0, 0, 0, 0, 1, 0, 0};
    const uint8_t p[] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    const float s[] = {0.f, 1.f, 1.f, 0.f, 2.f, 0.f, 0.f, 3.f, 0.f, 1.f};
    vgh_metrics_t m;
    vgh_event_t *ev;
    size_t ne;
    char err[128] = "";
    /* slack 8.9 s: e0 ends at 1.0 -> 9.9 < 10.0: row 4 misses it and is a false alarm */
    assert_int_equal(vgh_metrics_compute(t, s, p, y, NULL, 10, 8.9, &m, &ev, &ne, err, sizeof err),
                     0);
    assert_int_equal(ne, 2);
    assert_int_equal(ev[0].detected, 0);
    assert_int_equal(ev[1].detected, 1);
    assert_int_equal(ev[1].detect_row, 9);
    assert_near(ev[1].delay_s, 0.4, 1e-12);
    assert_int_equal(m.n_false_alarms, 1);
    /* median period of {0.5,0.5,0.5,8.5,0.5,0.5,19,0.2,0.2} = 0.5 */
    assert_near(m.duration_s, 30.9, 1e-12);
    free(ev);
    /* slack 9 s: row 4 (t 10) is inside e0's slack: detected with delay 9.5 */
    assert_int_equal(vgh_metrics_compute(t, s, p, y, NULL, 10, 9.0, &m, &ev, &ne, err, sizeof err),
                     0);
    assert_int_equal(ev[0].detected, 1);
    assert_near(ev[0].delay_s, 9.5, 1e-12);
    assert_int_equal(m.n_false_alarms, 0);
    assert_near(m.mean_delay_s, (9.5 + 0.4) / 2.0, 1e-12);
    free(ev);
}

static void test_errors(void **state)
{
    (void)state;
    const double t[] = {0.0, 1.0, 0.5};
    const double tn[] = {0.0, NAN, 2.0};
    const double tok[] = {0.0, 1.0, 2.0};
    const uint8_t y[] = {0, 1, 0}, p[] = {0, 1, 0}, bad[] = {0, 2, 0};
    vgh_metrics_t m;
    vgh_event_t *ev = (vgh_event_t *)1;
    size_t ne = 5;
    char err[128];

    err[0] = 0;
    assert_int_equal(
        vgh_metrics_compute(t, NULL, p, y, NULL, 3, 0.0, &m, &ev, &ne, err, sizeof err), -1);
    assert_non_null(strstr(err, "row 2"));
    assert_null(ev);
    assert_int_equal(ne, 0);
    err[0] = 0;
    assert_int_equal(
        vgh_metrics_compute(tn, NULL, p, y, NULL, 3, 0.0, &m, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "not finite"));
    err[0] = 0;
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, bad, y, NULL, 3, 0.0, &m, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "flag p"));
    err[0] = 0;
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, p, bad, NULL, 3, 0.0, &m, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "flag y"));
    err[0] = 0;
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, p, y, NULL, 3, -1.0, &m, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "slack"));
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, p, y, NULL, 3, NAN, &m, NULL, NULL, err, sizeof err), -1);
    err[0] = 0;
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, p, y, NULL, 0, 0.0, &m, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "no rows"));
    assert_int_equal(
        vgh_metrics_compute(NULL, NULL, p, y, NULL, 3, 0.0, &m, NULL, NULL, err, sizeof err), -1);
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, p, y, NULL, 3, 0.0, NULL, NULL, NULL, err, sizeof err), -1);
    /* events without n_events */
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, p, y, NULL, 3, 0.0, &m, &ev, NULL, err, sizeof err), -1);
    /* err may be NULL; truncation is safe */
    assert_int_equal(vgh_metrics_compute(t, NULL, p, y, NULL, 3, 0.0, &m, NULL, NULL, NULL, 0), -1);
    char tiny[4] = "xyz";
    assert_int_equal(
        vgh_metrics_compute(t, NULL, p, y, NULL, 3, 0.0, &m, NULL, NULL, tiny, sizeof tiny), -1);
    assert_int_equal(tiny[3], 0);

    /* single row: duration 0, rate undefined */
    assert_int_equal(
        vgh_metrics_compute(tok, NULL, p, y, NULL, 1, 0.0, &m, NULL, NULL, err, sizeof err), 0);
    assert_near(m.duration_s, 0.0, 0.0);
    assert_true(isnan(m.false_alarms_per_day));
}

/* A few million rows: exercises the O(n) paths (and the memory use under ASan). */
static void test_large(void **state)
{
    (void)state;
    const uint64_t seed = 5u;
    print_message("test_large: seed %llu\n", (unsigned long long)seed);
    enum { N = 2000000 };
    vgh_rng_t r;
    vgh_rng_seed(&r, seed);
    double *t = malloc(N * sizeof *t);
    float *s = malloc(N * sizeof *s);
    uint8_t *p = malloc(N), *y = malloc(N);
    assert_true(t && s && p && y);
    uint8_t lab = 0;
    for (size_t i = 0; i < N; i++) {
        t[i] = (double)i * 0.1;
        if (vgh_rng_below(&r, 2000) == 0)
            lab = (uint8_t)!lab;
        y[i] = lab;
        s[i] = (float)(vgh_rng_normal(&r) + 2.0 * lab);
        p[i] = s[i] > 2.5f ? 1u : 0u;
    }
    vgh_metrics_t m;
    vgh_event_t *ev;
    size_t ne;
    char err[128] = "";
    assert_int_equal(vgh_metrics_compute(t, s, p, y, NULL, N, 5.0, &m, &ev, &ne, err, sizeof err),
                     0);
    assert_true(m.auc > 0.85 && m.auc < 0.95);
    assert_true(ne > 100);
    assert_true(m.event_recall > 0.9);
    assert_near(m.duration_s, N * 0.1, 1e-6);
    float th;
    double f1;
    assert_int_equal(vgh_best_f1(s, y, N, &th, &f1), 0);
    assert_true(f1 >= m.f1);
    free(ev);
    free(t);
    free(s);
    free(p);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sklearn_a),      cmocka_unit_test(test_sklearn_b),
        cmocka_unit_test(test_sklearn_c_nan),  cmocka_unit_test(test_nan_below_neg_inf),
        cmocka_unit_test(test_auc_bruteforce), cmocka_unit_test(test_roc_thinning),
        cmocka_unit_test(test_one_class),      cmocka_unit_test(test_best_f1_ties_largest),
        cmocka_unit_test(test_events),         cmocka_unit_test(test_events_irregular_time),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
