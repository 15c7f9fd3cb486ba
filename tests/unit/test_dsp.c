/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DSP blocks: core/src/vg_sos.c (biquad cascades), core/src/vg_fft.c (real
 * FFT, Goertzel, THD) and host/vigil/butter.c (Butterworth design, sosfilt, sosfiltfilt),
 * against scipy/numpy golden vectors (tests/golden/dsp_golden.h, from
 * tools/gen_dsp_golden.py), plus seeded properties and error cases.
 *
 * Tolerances (u = 2^-24, the float32 unit roundoff; every golden input is a float32 value,
 * so only the kernels' own arithmetic is being bounded):
 *  - Butterworth design (double): coefficients within 1e-10 of the largest coefficient of
 *    their numerator or denominator row, same number and order of sections as scipy. The
 *    design is a few dozen well-conditioned double operations; over 1931 random designs
 *    (orders 1..20, all types) the worst difference seen was 2.4e-13. Frequency response
 *    |dH| <= 1e-6 |H| + 1e-12 (the brief's 1e-6 relative; the absolute floor covers the
 *    exact zeros at DC / Nyquist, where scipy itself returns rounding noise).
 *  - vgh_sosfilt: 1e-12 of max|y| (same operation order as scipy's Cython loop, so in
 *    practice bit-identical); vgh_sosfiltfilt: 1e-9 absolute (outputs are O(1)).
 *  - vg_sos_f32 (float32) vs float64: a first-order a-priori bound computed here per filter.
 *    Each rounding in section i (9 per sample, each at most u times the magnitude of its
 *    result, magnitudes taken from a float64 run) enters the signal ahead of 1/A_i(z) and the
 *    later sections, so |e| <= sum_i E_i ||g_i||_1 with g_i the impulse response of
 *    (1/A_i) prod_{j>i} H_j. Against scipy's float64 coefficients the float32 rounding of the
 *    coefficients adds sum_i ||g_i||_1 (sum|db_k| max|x_i| + sum|da_k| max|y_i|) (exact
 *    coefficient errors; same first-order argument).
 *  - Real FFT: Higham's bound for radix-2 FFTs (Accuracy and Stability of Numerical
 *    Algorithms, Thm 24.2), ||dX||_2 <= L eta / (1 - L eta) ||X||_2 with L = log2(n) passes
 *    (log2(n) - 1 complex passes plus the real split), eta = mu + gamma_4 (sqrt 2 + mu),
 *    mu = 3.2e-7 the documented twiddle error. Round trip and Parseval: twice that.
 *  - Goertzel: 2 u sum|x| on 2 X / n, the recursive-summation bound gamma_n sum|x| scaled by
 *    2 / n. THD: first-order propagation of that bound through sqrt(sum Y_h^2) / Y_1.
 * Each group prints the largest observed error / bound.
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

#include "butter.h"
#include "dsp_golden.h"
#include "rng.h"
#include "vigil/vg_fft.h"
#include "vigil/vg_sos.h"

#define NELEM(a)   (sizeof(a) / sizeof((a)[0]))
#define U32        5.9604644775390625e-08 /* 2^-24 */
#define TWIDDLE    3.2e-7                 /* documented in vg_fft.h */
#define GUARD      16u
#define GUARD_BITS 0x7FA5A5A5u /* a NaN no kernel produces */
#define L1_LEN     (1u << 16)

/* ---- guarded float buffers: GUARD floats of a NaN pattern on each side of n + slack ---- */

typedef struct {
    float *mem, *p;
    size_t n, slack;
} gbuf_t;

static gbuf_t gb_new(size_t n, size_t slack)
{
    gbuf_t g = {NULL, NULL, n, slack};
    const size_t total = n + slack + 2 * GUARD;
    g.mem = malloc(total * sizeof(float));
    assert_non_null(g.mem);
    const uint32_t bits = GUARD_BITS;
    for (size_t i = 0; i < total; i++)
        memcpy(&g.mem[i], &bits, sizeof bits);
    g.p = g.mem + GUARD;
    return g;
}

/* Everything outside p[0 .. n) (guards and slack) still holds the pattern. */
static void gb_check(const gbuf_t *g)
{
    const size_t total = g->n + g->slack + 2 * GUARD;
    for (size_t i = 0; i < total; i++) {
        if (i >= GUARD && i < GUARD + g->n)
            continue;
        uint32_t bits;
        memcpy(&bits, &g->mem[i], sizeof bits);
        if (bits != GUARD_BITS) {
            print_error("guard float %zd relative to the buffer was overwritten\n",
                        (ptrdiff_t)i - (ptrdiff_t)GUARD);
            fail();
        }
    }
}

static void gb_free(gbuf_t *g)
{
    free(g->mem);
    g->mem = g->p = NULL;
}

static void check_ratio(const char *what, double err, double bound, double *worst)
{
    if (bound > 0 && err / bound > *worst)
        *worst = err / bound;
    if (!(err <= bound)) {
        print_error("%s: |error| %.4g > bound %.4g\n", what, err, bound);
        fail();
    }
}

/* ================= Butterworth design ================= */

static void design(const dsp_golden_butter_t *g, double *sos, vg_biquad_t *bq, size_t *ns)
{
    char err[160];
    int rc = vgh_butter(g->order, (vgh_btype_t)g->btype, g->f1, g->f2, g->fs, sos, bq,
                        VGH_BUTTER_MAX_SECTIONS, ns, err, sizeof err);
    if (rc != 0)
        print_error("%s: %s\n", g->name, err);
    assert_int_equal(rc, 0);
}

static void test_butter_golden(void **state)
{
    (void)state;
    double worst_c = 0, worst_h = 0;
    for (size_t d = 0; d < NELEM(DSP_BUTTER); d++) {
        const dsp_golden_butter_t *g = &DSP_BUTTER[d];
        double sos[6 * VGH_BUTTER_MAX_SECTIONS];
        vg_biquad_t bq[VGH_BUTTER_MAX_SECTIONS];
        size_t ns = 0;
        design(g, sos, bq, &ns);
        assert_int_equal(ns, g->n_sections);
        assert_int_equal(vgh_butter_sections(g->order, (vgh_btype_t)g->btype), ns);
        assert_int_equal(vgh_sosfiltfilt_padlen(sos, ns), g->padlen);
        for (size_t s = 0; s < ns; s++) {
            for (size_t half = 0; half < 2; half++) {
                const double *r = g->sos + 6 * s + 3 * half, *c = sos + 6 * s + 3 * half;
                const double scale = fmax(fabs(r[0]), fmax(fabs(r[1]), fabs(r[2])));
                for (size_t j = 0; j < 3; j++) {
                    char what[96];
                    snprintf(what, sizeof what, "%s sos[%zu][%zu]", g->name, s, 3 * half + j);
                    check_ratio(what, fabs(c[j] - r[j]), 1e-10 * scale, &worst_c);
                }
            }
            const double *r = sos + 6 * s;
            assert_true(bq[s].b0 == (float)r[0] && bq[s].b1 == (float)r[1] &&
                        bq[s].b2 == (float)r[2] && bq[s].a1 == (float)r[4] &&
                        bq[s].a2 == (float)r[5]);
        }
        for (size_t k = 0; k < g->n_freqs; k++) {
            double re, im;
            vgh_sosfreqz(sos, ns, g->freqs[k], g->fs, &re, &im);
            const double mag = hypot(g->h_re[k], g->h_im[k]);
            char what[96];
            snprintf(what, sizeof what, "%s H(%g Hz)", g->name, g->freqs[k]);
            check_ratio(what, hypot(re - g->h_re[k], im - g->h_im[k]), 1e-6 * mag + 1e-12,
                        &worst_h);
        }
    }
    print_message("butter: coefficients worst |error| / bound %.3g, response %.3g\n", worst_c,
                  worst_h);
}

static void expect_butter_error(unsigned order, vgh_btype_t t, double f1, double f2, double fs,
                                size_t cap, const char *needle1, const char *needle2)
{
    double sos[6 * VGH_BUTTER_MAX_SECTIONS];
    size_t ns = 99;
    char err[200];
    memset(err, 'x', sizeof err);
    assert_int_equal(vgh_butter(order, t, f1, f2, fs, sos, NULL, cap, &ns, err, sizeof err), -1);
    assert_non_null(memchr(err, '\0', sizeof err));
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2))) {
        print_error("message \"%s\" lacks \"%s\" / \"%s\"\n", err, needle1, needle2 ? needle2 : "");
        fail();
    }
    assert_int_equal(ns, 99); /* untouched */
}

static void test_butter_errors(void **state)
{
    (void)state;
    const size_t M = VGH_BUTTER_MAX_SECTIONS;
    expect_butter_error(0, VGH_LOWPASS, 100, 0, 1000, M, "order 0", NULL);
    expect_butter_error(21, VGH_LOWPASS, 100, 0, 1000, M, "order 21", "1..20");
    expect_butter_error(4, (vgh_btype_t)7, 100, 0, 1000, M, "type 7", NULL);
    expect_butter_error(4, VGH_LOWPASS, 3500, 0, 6400, M, "3500", "3200");
    expect_butter_error(4, VGH_LOWPASS, 3200, 0, 6400, M, "f1 = 3200", NULL);
    expect_butter_error(4, VGH_HIGHPASS, 0, 0, 6400, M, "f1 = 0", NULL);
    expect_butter_error(4, VGH_HIGHPASS, -5, 0, 6400, M, "-5", NULL);
    expect_butter_error(4, VGH_LOWPASS, NAN, 0, 6400, M, "nan", NULL);
    expect_butter_error(4, VGH_LOWPASS, 100, 0, 0, M, "fs = 0", NULL);
    expect_butter_error(4, VGH_LOWPASS, 100, 0, INFINITY, M, "fs = inf", NULL);
    expect_butter_error(5, VGH_BANDPASS, 65, 45, 6400, M, "f1 = 65", "f2 = 45");
    expect_butter_error(5, VGH_BANDPASS, 50, 50, 6400, M, "f1 = 50", "f2 = 50");
    expect_butter_error(5, VGH_BANDSTOP, 45, 3300, 6400, M, "f2 = 3300", "3200");
    expect_butter_error(5, VGH_BANDPASS, 0, 65, 6400, M, "lower band edge", NULL);
    expect_butter_error(5, VGH_BANDPASS, 45, 65, 6400, 4, "5 sections", "room for 4");
    expect_butter_error(5, VGH_LOWPASS, 45, 0, 6400, 2, "3 sections", "room for 2");
    /* the edges of the valid range design fine */
    double sos[6 * VGH_BUTTER_MAX_SECTIONS];
    size_t ns;
    char err[160];
    assert_int_equal(
        vgh_butter(20, VGH_BANDPASS, 1e-3, 3199.9, 6400, sos, NULL, 20, &ns, err, sizeof err), 0);
    assert_int_equal(ns, 20);
    assert_int_equal(
        vgh_butter(1, VGH_HIGHPASS, 499.9, 123, 1000, sos, NULL, 1, &ns, err, sizeof err), 0);
    assert_int_equal(vgh_butter_sections(0, VGH_LOWPASS), 0);
    assert_int_equal(vgh_butter_sections(3, (vgh_btype_t)9), 0);
    /* float conversion refuses a0 != 1 and out-of-range values */
    vg_biquad_t bq[1];
    const double bad_a0[6] = {1, 0, 0, 2, 0, 0}, huge[6] = {1e39, 0, 0, 1, 0, 0};
    assert_int_equal(vgh_sos_to_biquads(bad_a0, 1, bq, err, sizeof err), -1);
    assert_non_null(strstr(err, "a0 = 2"));
    assert_int_equal(vgh_sos_to_biquads(huge, 1, bq, err, sizeof err), -1);
    assert_non_null(strstr(err, "1e+39"));
}

/* ================= double filtering (host) ================= */

static void test_sosfilt_golden(void **state)
{
    (void)state;
    double x[DSP_FILT_LEN], y[DSP_FILT_LEN];
    for (size_t i = 0; i < DSP_FILT_LEN; i++)
        x[i] = DSP_FILT_X[i];
    double worst_f = 0, worst_ff = 0;
    for (size_t d = 0; d < NELEM(DSP_BUTTER); d++) {
        const dsp_golden_butter_t *g = &DSP_BUTTER[d];
        if (!g->sosfilt)
            continue;
        const size_t ns = g->n_sections;
        double ymax = 0;
        for (size_t i = 0; i < DSP_FILT_LEN; i++)
            ymax = fmax(ymax, fabs(g->sosfilt[i]));
        vgh_sosfilt(g->sos, ns, NULL, x, y, DSP_FILT_LEN);
        for (size_t i = 0; i < DSP_FILT_LEN; i++)
            check_ratio(g->name, fabs(y[i] - g->sosfilt[i]), 1e-12 * ymax, &worst_f);
        /* in two pieces through the state == in one go */
        double zi[2 * VGH_BUTTER_MAX_SECTIONS] = {0}, y2[DSP_FILT_LEN];
        vgh_sosfilt(g->sos, ns, zi, x, y2, 123);
        vgh_sosfilt(g->sos, ns, zi, x + 123, y2 + 123, DSP_FILT_LEN - 123);
        assert_memory_equal(y, y2, sizeof y);

        char err[160];
        assert_int_equal(vgh_sosfiltfilt(g->sos, ns, x, y, DSP_FILT_LEN, err, sizeof err), 0);
        for (size_t i = 0; i < DSP_FILT_LEN; i++)
            check_ratio(g->name, fabs(y[i] - g->sosfiltfilt[i]), 1e-9, &worst_ff);
        /* in place */
        memcpy(y2, x, sizeof y2);
        assert_int_equal(vgh_sosfiltfilt(g->sos, ns, y2, y2, DSP_FILT_LEN, err, sizeof err), 0);
        assert_memory_equal(y, y2, sizeof y);
    }
    print_message("sosfilt worst |error| / bound %.3g, sosfiltfilt %.3g\n", worst_f, worst_ff);
}

static void test_sosfilt_zi_and_errors(void **state)
{
    (void)state;
    const dsp_golden_butter_t *g = &DSP_BUTTER[1]; /* lp4 1000 Hz at 6400 Hz, DC gain 1 */
    const size_t ns = g->n_sections;
    double zi[2 * VGH_BUTTER_MAX_SECTIONS], z[2 * VGH_BUTTER_MAX_SECTIONS];
    vgh_sosfilt_zi(g->sos, ns, zi);
    const double c = -3.25;
    for (size_t j = 0; j < 2 * ns; j++)
        z[j] = zi[j] * c;
    double x[64], y[64];
    for (size_t i = 0; i < 64; i++)
        x[i] = c;
    vgh_sosfilt(g->sos, ns, z, x, y, 64);
    for (size_t i = 0; i < 64; i++)
        assert_true(fabs(y[i] - c) <= 1e-12);

    /* sosfiltfilt needs n > padlen */
    char err[160];
    const size_t pad = vgh_sosfiltfilt_padlen(g->sos, ns);
    assert_int_equal(pad, 15);
    assert_int_equal(vgh_sosfiltfilt(g->sos, ns, x, y, pad, err, sizeof err), -1);
    assert_non_null(strstr(err, "padlen = 15"));
    assert_non_null(strstr(err, "15 samples"));
    assert_int_equal(vgh_sosfiltfilt(g->sos, ns, x, y, pad + 1, err, sizeof err), 0);
    for (size_t i = 0; i < pad + 1; i++)
        assert_true(fabs(y[i] - c) <= 1e-12);
    double bad[6];
    memcpy(bad, g->sos, sizeof bad);
    bad[3] = 0.5;
    assert_int_equal(vgh_sosfiltfilt(bad, 1, x, y, 64, err, sizeof err), -1);
    assert_non_null(strstr(err, "a0 = 0.5"));
}

/* ================= float32 cascades (core) ================= */

/* ||impulse response||_1 of (1/A_i) prod_{j>i} H_j, over L1_LEN samples */
static double l1_tail(const double *sos, size_t ns, size_t i)
{
    double rows[6 * VGH_BUTTER_MAX_SECTIONS];
    memcpy(rows, sos + 6 * i, 6 * (ns - i) * sizeof(double));
    rows[0] = 1.0, rows[1] = 0.0, rows[2] = 0.0;
    double *h = calloc(L1_LEN, sizeof *h);
    assert_non_null(h);
    h[0] = 1.0;
    vgh_sosfilt(rows, ns - i, NULL, h, h, L1_LEN);
    double s = 0;
    for (size_t k = 0; k < L1_LEN; k++)
        s += fabs(h[k]);
    assert_true(fabs(h[L1_LEN - 1]) < 1e-12 * s); /* decayed: the norm is complete */
    free(h);
    return s;
}

static void test_sos_f32_vs_double(void **state)
{
    (void)state;
    double worst_a = 0, worst_g = 0;
    for (size_t d = 0; d < NELEM(DSP_BUTTER); d++) {
        const dsp_golden_butter_t *g = &DSP_BUTTER[d];
        if (!g->sosfilt)
            continue;
        const size_t ns = g->n_sections, n = DSP_FILT_LEN;
        vg_biquad_t bq[VGH_BUTTER_MAX_SECTIONS];
        char err[160];
        assert_int_equal(vgh_sos_to_biquads(g->sos, ns, bq, err, sizeof err), 0);
        /* float32 kernel */
        gbuf_t st = gb_new(VG_SOS_STATE_LEN(ns), 3), out = gb_new(n, 0);
        vg_sos_reset(st.p, ns);
        vg_sos_f32(bq, ns, st.p, DSP_FILT_X, out.p, n);
        gb_check(&st);
        gb_check(&out);
        /* float64 run of the float coefficients, the core's operation order, recording the
         * largest magnitude of each rounded quantity per section */
        double sq[6 * VGH_BUTTER_MAX_SECTIONS];
        double E = 0, Q = 0;
        double *sig = malloc(n * sizeof *sig);
        assert_non_null(sig);
        for (size_t k = 0; k < n; k++)
            sig[k] = DSP_FILT_X[k];
        for (size_t i = 0; i < ns; i++) {
            const double b0 = bq[i].b0, b1 = bq[i].b1, b2 = bq[i].b2, a1 = bq[i].a1, a2 = bq[i].a2;
            double *r = sq + 6 * i;
            r[0] = b0, r[1] = b1, r[2] = b2, r[3] = 1.0, r[4] = a1, r[5] = a2;
            double z0 = 0, z1 = 0, X = 0, Y = 0, Z0 = 0, Z1 = 0, S1 = 0;
            for (size_t k = 0; k < n; k++) {
                const double xv = sig[k], y = b0 * xv + z0;
                const double s1 = b1 * xv + z1;
                z0 = s1 - a1 * y;
                z1 = b2 * xv - a2 * y;
                X = fmax(X, fabs(xv)), Y = fmax(Y, fabs(y)), S1 = fmax(S1, fabs(s1));
                Z0 = fmax(Z0, fabs(z0)), Z1 = fmax(Z1, fabs(z1));
                sig[k] = y;
            }
            const double ab0 = fabs(b0), ab1 = fabs(b1), ab2 = fabs(b2);
            const double Ei = U32 * ((ab0 * X + Y) + (ab1 * X + S1 + fabs(a1) * Y + Z0) +
                                     (ab2 * X + fabs(a2) * Y + Z1));
            const double *c = g->sos + 6 * i;
            const double Qi = (fabs(c[0] - b0) + fabs(c[1] - b1) + fabs(c[2] - b2)) * X +
                              (fabs(c[4] - a1) + fabs(c[5] - a2)) * Y;
            const double l1 = l1_tail(g->sos, ns, i);
            E += Ei * l1;
            Q += Qi * l1;
        }
        E *= 1.01, Q *= 1.01; /* magnitudes from the float64 run, not the float32 one */
        double ea = 0, eg = 0;
        for (size_t k = 0; k < n; k++) {
            ea = fmax(ea, fabs((double)out.p[k] - sig[k]));
            eg = fmax(eg, fabs((double)out.p[k] - g->sosfilt[k]));
        }
        char what[96];
        snprintf(what, sizeof what, "%s float32 vs float64 (same coefficients)", g->name);
        check_ratio(what, ea, E, &worst_a);
        snprintf(what, sizeof what, "%s float32 vs scipy", g->name);
        check_ratio(what, eg, E + Q, &worst_g);
        print_message("%-20s float32 max|err| %.3g (arithmetic bound %.3g), vs scipy %.3g "
                      "(bound %.3g)\n",
                      g->name, ea, E, eg, E + Q);
        free(sig);
        gb_free(&st);
        gb_free(&out);
    }
    print_message("sos f32: worst |error| / bound %.3g (arithmetic), %.3g (vs scipy)\n", worst_a,
                  worst_g);
}

/* The block kernel against the per-sample one for 1..10 sections (the SSE2 pipeline covers
 * 2..8 with a partly empty second vector, the portable groups the rest), in pieces shorter
 * than the pipeline's depth as well as long ones, on a signal with a step and an impulse. */
static void test_sos_block_section_counts(void **state)
{
    (void)state;
    vg_biquad_t bq[VGH_BUTTER_MAX_SECTIONS];
    double sos[6 * VGH_BUTTER_MAX_SECTIONS];
    size_t nd = 0;
    char err[160];
    assert_int_equal(vgh_butter(10, VGH_BANDPASS, 40.0, 900.0, 6400.0, sos, bq,
                                VGH_BUTTER_MAX_SECTIONS, &nd, err, sizeof err),
                     0);
    assert_int_equal(nd, 10);
    enum { LEN = 700 };
    float x[LEN], oa[LEN], ob[LEN];
    for (size_t k = 0; k < LEN; k++)
        x[k] = (float)(sin(0.05 * (double)k) + (k > 300 ? 0.5 : 0.0) + (k == 450 ? 8.0 : 0.0));
    const size_t pieces[] = {1, 2, 3, 0, 5, 9, 1, 64, 1, 300, LEN - 386};
    for (size_t ns = 1; ns <= nd; ns++) {
        float sa[VG_SOS_STATE_LEN(VGH_BUTTER_MAX_SECTIONS)],
            sb[VG_SOS_STATE_LEN(VGH_BUTTER_MAX_SECTIONS)];
        vg_sos_reset(sa, ns);
        vg_sos_reset(sb, ns);
        for (size_t k = 0; k < LEN; k++)
            oa[k] = vg_sos_step_f32(bq, ns, sa, x[k]);
        size_t at = 0;
        for (size_t p = 0; p < NELEM(pieces); p++) {
            vg_sos_f32(bq, ns, sb, x + at, ob + at, pieces[p]);
            at += pieces[p];
        }
        assert_int_equal(at, LEN);
        assert_memory_equal(oa, ob, sizeof oa);
        assert_memory_equal(sa, sb, VG_SOS_STATE_LEN(ns) * sizeof(float));
    }
}

static void test_sos_step_equals_block(void **state)
{
    (void)state;
    const dsp_golden_butter_t *g = &DSP_BUTTER[0]; /* bp5 45-65 Hz */
    const size_t ns = g->n_sections, n = DSP_FILT_LEN;
    vg_biquad_t bq[VGH_BUTTER_MAX_SECTIONS];
    char err[160];
    assert_int_equal(vgh_sos_to_biquads(g->sos, ns, bq, err, sizeof err), 0);

    gbuf_t sa = gb_new(VG_SOS_STATE_LEN(ns), 0), sb = gb_new(VG_SOS_STATE_LEN(ns), 5);
    gbuf_t oa = gb_new(n, 0), ob = gb_new(n, 0);
    vg_sos_reset(sa.p, ns);
    vg_sos_reset(sb.p, ns);
    for (size_t k = 0; k < n; k++)
        oa.p[k] = vg_sos_step_f32(bq, ns, sa.p, DSP_FILT_X[k]);
    /* block path in uneven pieces (including an empty one) continues the same stream */
    const size_t pieces[] = {1, 2, 7, 0, 64, 300, n - 374};
    size_t at = 0;
    for (size_t p = 0; p < NELEM(pieces); p++) {
        vg_sos_f32(bq, ns, sb.p, DSP_FILT_X + at, ob.p + at, pieces[p]);
        at += pieces[p];
    }
    assert_int_equal(at, n);
    assert_memory_equal(oa.p, ob.p, n * sizeof(float));
    assert_memory_equal(sa.p, sb.p, VG_SOS_STATE_LEN(ns) * sizeof(float));
    /* in place */
    vg_sos_reset(sb.p, ns);
    memcpy(ob.p, DSP_FILT_X, n * sizeof(float));
    vg_sos_f32(bq, ns, sb.p, ob.p, ob.p, n);
    assert_memory_equal(oa.p, ob.p, n * sizeof(float));
    assert_memory_equal(sa.p, sb.p, VG_SOS_STATE_LEN(ns) * sizeof(float));
    gb_check(&sa);
    gb_check(&sb);
    gb_check(&oa);
    gb_check(&ob);

    /* zero sections: identity, state not touched */
    gbuf_t s0 = gb_new(0, 2);
    assert_true(vg_sos_step_f32(bq, 0, s0.p, 1.25f) == 1.25f);
    vg_sos_f32(bq, 0, s0.p, DSP_FILT_X, ob.p, n);
    assert_memory_equal(ob.p, DSP_FILT_X, n * sizeof(float));
    vg_sos_reset(s0.p, 0);
    gb_check(&s0);
    /* reset writes exactly 2 n floats */
    vg_sos_reset(sb.p, ns);
    for (size_t i = 0; i < VG_SOS_STATE_LEN(ns); i++)
        assert_true(sb.p[i] == 0.0f);
    gb_check(&sb);
    gb_free(&s0);
    gb_free(&sa);
    gb_free(&sb);
    gb_free(&oa);
    gb_free(&ob);
}

/* ================= FFT ================= */

static unsigned log2z(size_t n)
{
    unsigned l = 0;
    while ((size_t)1 << l < n)
        l++;
    return l;
}

/* Higham Thm 24.2 relative norm-wise bound for L radix-2 passes */
static double fft_bound(size_t n)
{
    const double g4 = 4 * U32 / (1 - 4 * U32);
    const double eta = TWIDDLE + g4 * (sqrt(2.0) + TWIDDLE);
    const double L = log2z(n);
    return L * eta / (1 - L * eta);
}

/* Full-spectrum squared norm of a packed float spectrum minus a reference (ref may be NULL) */
static double spec_norm2(const float *b, const double *ref, size_t n)
{
    double s = 0;
    for (size_t k = 0; k <= n / 2; k++) {
        double re, im;
        if (k == 0)
            re = b[0], im = 0;
        else if (k == n / 2)
            re = b[1], im = 0;
        else
            re = b[2 * k], im = b[2 * k + 1];
        if (ref)
            re -= ref[2 * k], im -= ref[2 * k + 1];
        const double w = (k == 0 || k == n / 2) ? 1.0 : 2.0;
        s += w * (re * re + im * im);
    }
    return s;
}

static void test_rfft_golden(void **state)
{
    (void)state;
    double worst = 0;
    for (size_t t = 0; t < NELEM(DSP_RFFT); t++) {
        const dsp_golden_rfft_t *g = &DSP_RFFT[t];
        const size_t n = g->n;
        gbuf_t b = gb_new(n, 0);
        memcpy(b.p, g->x, n * sizeof(float));
        assert_int_equal(vg_rfft_f32(b.p, n), VG_OK);
        gb_check(&b);
        /* the reference's DC and Nyquist bins are real */
        assert_true(g->X[1] == 0.0 && g->X[n + 1] == 0.0);
        double ref2 = 0;
        for (size_t k = 0; k <= n / 2; k++)
            ref2 += ((k == 0 || k == n / 2) ? 1.0 : 2.0) *
                    (g->X[2 * k] * g->X[2 * k] + g->X[2 * k + 1] * g->X[2 * k + 1]);
        const double err = sqrt(spec_norm2(b.p, g->X, n)), bound = fft_bound(n) * sqrt(ref2);
        char what[64];
        snprintf(what, sizeof what, "rfft n=%zu", n);
        check_ratio(what, err, bound, &worst);
        print_message("rfft n=%-5zu ||err|| / ||X|| = %.3g (bound %.3g)\n", n, err / sqrt(ref2),
                      fft_bound(n));
        /* and back */
        assert_int_equal(vg_irfft_f32(b.p, n), VG_OK);
        double e2 = 0, x2 = 0;
        for (size_t j = 0; j < n; j++) {
            e2 += ((double)b.p[j] - g->x[j]) * ((double)b.p[j] - g->x[j]);
            x2 += (double)g->x[j] * g->x[j];
        }
        check_ratio("irfft(rfft(x))", sqrt(e2), 2.01 * fft_bound(n) * sqrt(x2), &worst);
        gb_check(&b);
        gb_free(&b);
    }
    print_message("rfft golden: worst |error| / bound %.3g\n", worst);
}

static void test_rfft_roundtrip_parseval(void **state)
{
    (void)state;
    const uint64_t seed = 0xD5F0F7ull;
    print_message("seed 0x%llx\n", (unsigned long long)seed);
    vgh_rng_t rng;
    vgh_rng_seed(&rng, seed);
    double worst_rt = 0, worst_p = 0;
    for (size_t n = VG_FFT_MIN_N; n <= VG_FFT_MAX_N; n *= 2) {
        for (int rep = 0; rep < (n <= 1024 ? 4 : 1); rep++) {
            gbuf_t b = gb_new(n, 0);
            float *x = malloc(n * sizeof *x);
            assert_non_null(x);
            const double dc = vgh_rng_uniform(&rng) * 4 - 2;
            double x2 = 0;
            for (size_t j = 0; j < n; j++) {
                x[j] = (float)(dc + vgh_rng_normal(&rng));
                x2 += (double)x[j] * x[j];
            }
            memcpy(b.p, x, n * sizeof(float));
            assert_int_equal(vg_rfft_f32(b.p, n), VG_OK);
            const double bnd = fft_bound(n);
            /* Parseval: sum x^2 = (1/n) sum_k |X_k|^2 over the full spectrum */
            const double X2 = spec_norm2(b.p, NULL, n) / (double)n;
            check_ratio("Parseval", fabs(X2 - x2), (2 * bnd + bnd * bnd) * x2, &worst_p);
            assert_int_equal(vg_irfft_f32(b.p, n), VG_OK);
            double e2 = 0;
            for (size_t j = 0; j < n; j++)
                e2 += ((double)b.p[j] - x[j]) * ((double)b.p[j] - x[j]);
            check_ratio("round trip", sqrt(e2), (2 * bnd + bnd * bnd) * sqrt(x2), &worst_rt);
            gb_check(&b);
            gb_free(&b);
            free(x);
        }
    }
    print_message("random: worst |error| / bound %.3g (round trip), %.3g (Parseval)\n", worst_rt,
                  worst_p);
}

static void test_rfft_errors(void **state)
{
    (void)state;
    const size_t bad[] = {0, 1, 2, 4, 12, 48, 1000, 2 * VG_FFT_MAX_N, SIZE_MAX};
    gbuf_t b = gb_new(64, 0);
    for (size_t i = 0; i < 64; i++)
        b.p[i] = (float)i;
    for (size_t i = 0; i < NELEM(bad); i++) {
        assert_int_equal(vg_rfft_f32(b.p, bad[i]), VG_ERR_SIZE);
        assert_int_equal(vg_irfft_f32(b.p, bad[i]), VG_ERR_SIZE);
    }
    for (size_t i = 0; i < 64; i++)
        assert_true(b.p[i] == (float)i); /* untouched */
    assert_int_equal(vg_rfft_f32(NULL, 64), VG_ERR_ARG);
    assert_int_equal(vg_irfft_f32(NULL, 64), VG_ERR_ARG);
    /* n = 8 (smallest) on a 64-float buffer touches only 8 floats */
    assert_int_equal(vg_rfft_f32(b.p, 8), VG_OK);
    for (size_t i = 8; i < 64; i++)
        assert_true(b.p[i] == (float)i);
    gb_check(&b);
    gb_free(&b);
}

/* ================= Goertzel and THD ================= */

static double l1f(const float *x, size_t n)
{
    double s = 0;
    for (size_t j = 0; j < n; j++)
        s += fabs((double)x[j]);
    return s;
}

static void test_goertzel(void **state)
{
    (void)state;
    const dsp_golden_rfft_t *g = &DSP_RFFT[2];
    const size_t n = g->n;
    assert_int_equal(n, 1024);
    const double tau = 2 * U32 * l1f(g->x, n);
    double worst = 0;
    for (size_t i = 0; i < NELEM(DSP_GOERTZEL_1024); i++) {
        const dsp_golden_goertzel_t *r = &DSP_GOERTZEL_1024[i];
        float re = 9, im = 9;
        const float amp = vg_goertzel_f32(g->x, n, r->f, &re, &im);
        char what[64];
        snprintf(what, sizeof what, "goertzel f=%g", (double)r->f);
        check_ratio(what, hypot(re - r->re, im - r->im), tau, &worst);
        check_ratio(what, fabs(amp - r->amp), tau, &worst);
        assert_true(vg_goertzel_f32(g->x, n, r->f, NULL, NULL) == amp);
    }
    /* against the FFT's bins: 2 X_k / n */
    float *b = malloc(n * sizeof *b);
    assert_non_null(b);
    memcpy(b, g->x, n * sizeof(float));
    assert_int_equal(vg_rfft_f32(b, n), VG_OK);
    const double fft_abs = fft_bound(n) * sqrt(spec_norm2(b, NULL, n)) * 2.0 / (double)n;
    for (size_t k = 0; k <= n / 2; k += (k < 8 || k > n / 2 - 8) ? 1 : 37) {
        const double xr = k == 0 ? b[0] : k == n / 2 ? b[1] : b[2 * k];
        const double xi = (k == 0 || k == n / 2) ? 0.0 : b[2 * k + 1];
        float re, im;
        vg_goertzel_f32(g->x, n, (float)k / (float)n, &re, &im);
        char what[64];
        snprintf(what, sizeof what, "goertzel vs fft bin %zu", k);
        check_ratio(what, hypot(re - 2 * xr / (double)n, im - 2 * xi / (double)n), tau + fft_abs,
                    &worst);
    }
    free(b);
    /* a pure cosine on a bin: amplitude and phase */
    float x[256];
    for (size_t j = 0; j < 256; j++)
        x[j] = (float)(0.75 * cos(2 * 3.14159265358979323846 * 5.0 * (double)j / 256.0 + 0.6));
    float re, im;
    const float a = vg_goertzel_f32(x, 256, 5.0f / 256.0f, &re, &im);
    const double t2 = 2 * U32 * l1f(x, 256) + 1e-7;
    check_ratio("cosine amplitude", fabs(a - 0.75), t2, &worst);
    check_ratio("cosine re", fabs(re - 0.75 * cos(0.6)), t2, &worst);
    check_ratio("cosine im", fabs(im - 0.75 * sin(0.6)), t2, &worst);
    /* n = 0 */
    re = im = 5;
    assert_true(vg_goertzel_f32(x, 0, 0.1f, &re, &im) == 0.0f && re == 0.0f && im == 0.0f);
    print_message("goertzel: worst |error| / bound %.3g\n", worst);
}

static void test_thd_golden(void **state)
{
    (void)state;
    double worst = 0;
    for (size_t i = 0; i < NELEM(DSP_THD); i++) {
        const dsp_golden_thd_t *g = &DSP_THD[i];
        const unsigned H = vg_thd_orders(g->fs, g->f0, 0);
        assert_int_equal(H, g->n_mags);
        gbuf_t mags = gb_new(H, 0);
        float thd = -1;
        assert_int_equal(vg_thd_f32(g->x, g->n, g->fs, g->f0, 0, &thd, mags.p), VG_OK);
        gb_check(&mags);
        const double tau = 2 * U32 * l1f(g->x, g->n);
        for (unsigned h = 0; h < H; h++) {
            char what[64];
            snprintf(what, sizeof what, "%s Y_%u", g->name, h + 1);
            check_ratio(what, fabs(mags.p[h] - g->mags[h]), tau, &worst);
        }
        const double y1 = g->mags[0];
        const double bound =
            (sqrt((double)(H - 1)) * tau + g->thd * tau) / (y1 - tau) + 4 * H * U32 * g->thd;
        check_ratio(g->name, fabs(thd - g->thd), bound, &worst);
        /* against the synthesis: the definition's value on float32 samples (and, off
         * frequency, leakage) is within |thd_def - exact| of it */
        check_ratio("thd vs exact", fabs(thd - g->exact), bound + fabs(g->thd - g->exact), &worst);
        print_message("%-12s THD %.9f (scipy def %.9f, exact %.9f, bound %.3g)\n", g->name,
                      (double)thd, g->thd, g->exact, bound);
        /* mags optional; same THD */
        float thd2 = -1;
        assert_int_equal(vg_thd_f32(g->x, g->n, g->fs, g->f0, 0, &thd2, NULL), VG_OK);
        assert_true(thd2 == thd);
        /* max_h = 7 keeps the 3rd/5th/7th: the same value up to the missing tiny orders */
        gbuf_t m7 = gb_new(7, 0);
        assert_int_equal(vg_thd_f32(g->x, g->n, g->fs, g->f0, 7, &thd2, m7.p), VG_OK);
        assert_memory_equal(m7.p, mags.p, 7 * sizeof(float));
        assert_true(fabs(thd2 - thd) < 1e-4);
        gb_check(&m7);
        gb_free(&m7);
        gb_free(&mags);
    }
    print_message("thd: worst |error| / bound %.3g\n", worst);
}

static void test_thd_errors_and_orders(void **state)
{
    (void)state;
    const dsp_golden_thd_t *g = &DSP_THD[0]; /* 50 Hz at 6400 Hz, 1280 samples */
    assert_int_equal(vg_thd_orders(6400, 50, 0), 40);
    assert_int_equal(vg_thd_orders(6400, 50, 100), 64);
    assert_int_equal(vg_thd_orders(6400, 50, 3), 3);
    assert_int_equal(vg_thd_orders(6400, 1000, 0), 3);
    assert_int_equal(vg_thd_orders(6400, 3000, 0), 1);
    assert_int_equal(vg_thd_orders(6400, 3200, 0), 0);
    assert_int_equal(vg_thd_orders(6400, 0, 0), 0);
    assert_int_equal(vg_thd_orders(6400, NAN, 0), 0);
    assert_int_equal(vg_thd_orders(-1, 50, 0), 0);
    assert_int_equal(vg_thd_orders(INFINITY, 50, 0), 0);
    assert_int_equal(vg_thd_orders(6400, 1e-30f, 0), 40);

    gbuf_t mags = gb_new(0, VG_THD_DEFAULT_MAX_H);
    float thd = -7.0f;
    const struct {
        const float *x;
        size_t n;
        float fs, f0;
    } bad[] = {
        {NULL, 1280, 6400, 50},   {g->x, 1280, 6400, 0},    {g->x, 1280, 6400, -50},
        {g->x, 1280, 6400, 3200}, {g->x, 1280, 6400, 4000}, {g->x, 1280, 6400, NAN},
        {g->x, 1280, 0, 50},      {g->x, 1280, NAN, 50},    {g->x, 1280, INFINITY, 50},
        {g->x, 127, 6400, 50},    {g->x, 0, 6400, 50},
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        assert_int_equal(vg_thd_f32(bad[i].x, bad[i].n, bad[i].fs, bad[i].f0, 0, &thd, mags.p),
                         VG_ERR_ARG);
        assert_true(thd == -7.0f);
    }
    assert_int_equal(vg_thd_f32(g->x, 1280, 6400, 50, 0, NULL, mags.p), VG_ERR_ARG);
    gb_check(&mags); /* nothing written on error */
    /* all-zero input: no fundamental to divide by */
    float zero[256] = {0};
    assert_int_equal(vg_thd_f32(zero, 256, 6400, 50, 0, &thd, NULL), VG_ERR_ARG);
    assert_true(thd == -7.0f);
    /* exactly one cycle is enough */
    assert_int_equal(vg_thd_f32(g->x, 128, 6400, 50, 0, &thd, NULL), VG_OK);
    assert_true(thd >= 0.0f);
    /* a fundamental above fs/4: no harmonic below Nyquist, THD 0, mags[0] only */
    gbuf_t m1 = gb_new(1, 0);
    assert_int_equal(vg_thd_f32(g->x, 1280, 6400, 2000, 0, &thd, m1.p), VG_OK);
    assert_true(thd == 0.0f && m1.p[0] >= 0.0f);
    gb_check(&m1);
    gb_free(&m1);
    gb_free(&mags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_butter_golden),
        cmocka_unit_test(test_butter_errors),
        cmocka_unit_test(test_sosfilt_golden),
        cmocka_unit_test(test_sosfilt_zi_and_errors),
        cmocka_unit_test(test_sos_f32_vs_double),
        cmocka_unit_test(test_sos_step_equals_block),
        cmocka_unit_test(test_sos_block_section_counts),
        cmocka_unit_test(test_rfft_golden),
        cmocka_unit_test(test_rfft_roundtrip_parseval),
        cmocka_unit_test(test_rfft_errors),
        cmocka_unit_test(test_goertzel),
        cmocka_unit_test(test_thd_golden),
        cmocka_unit_test(test_thd_errors_and_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
