/* SPDX-License-Identifier: MIT */
/* The block push APIs (vg_pq_push_block, vg_detector_push_block) against the per-sample ones
 * (vg_pq_push, vg_detector_push): the same stream pushed both ways, in blocks of seeded random
 * sizes, must give the same outputs for every sample and the same state, bit for bit. The
 * stream holds disturbances, runs of missing samples (NaN, inf, out of range) and, for the
 * two-channel case, a current. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "artifact.h"
#include "butter.h"
#include "pq_host.h"
#include "vigil/vigil.h"

#define FS         6400.0f
#define F0         50.0f
#define N_SAMPLES  (128u * 60u + 77u) /* 60 cycles and a bit: windows, hops, a partial cycle */
#define BLOCK_SEED 0x5EEDu

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_gauss(uint64_t *s)
{
    double u1 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* n sample vectors of nc channels: a noisy 230 V-ish sine with a sag, a swell, harmonics and an
 * impulse; missing values (NaN, inf, 1e13) alone and in runs, some at cycle boundaries. */
static float *make_stream(size_t n, unsigned nc, uint64_t seed)
{
    float *x = malloc(n * nc * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++) {
        double t = (double)k / FS, w = 6.283185307179586 * F0 * t, amp = 325.0;
        if (t > 0.2 && t < 0.3)
            amp *= 0.5;
        if (t > 0.5 && t < 0.56)
            amp *= 1.3;
        double v = amp * sin(w);
        if (t > 0.7 && t < 0.9)
            v += 30.0 * sin(3.0 * w) + 20.0 * sin(5.0 * w);
        if (t >= 1.0 && t < 1.001)
            v += 200.0;
        x[k * nc] = (float)(v + 3.0 * rng_gauss(&seed));
        if (nc > 1)
            x[k * nc + 1] = (float)(10.0 * sin(w - 0.3) + 0.1 * rng_gauss(&seed));
    }
    const size_t gaps[][2] = {{301, 1}, {1000, 5}, {1279, 3}, {2047, 2}, {3200, 1}, {5000, 40}};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++)
        for (size_t j = 0; j < gaps[g][1] && gaps[g][0] + j < n; j++) {
            size_t k = gaps[g][0] + j;
            float bad = j % 3 == 0 ? NAN : j % 3 == 1 ? INFINITY : 1.0e13f;
            x[k * nc + (nc > 1 && (g & 1u) ? 1u : 0u)] = bad;
        }
    return x;
}

static size_t n_sos_design(vg_biquad_t *sos)
{
    double d[6 * 5];
    size_t n = 0;
    char err[128];
    assert_int_equal(
        vgh_butter(5, VGH_BANDPASS, 0.9 * F0, 1.3 * F0, FS, d, sos, 5, &n, err, sizeof err), 0);
    return n;
}

/* Every quantity with every aggregate that applies, up to VG_MAX_FEATURES. */
static uint16_t all_feats(vg_feat_desc_t *f, unsigned nc)
{
    /* trans_prev first: it has a code path of its own (a second residual), and the list is
     * cut at VG_MAX_FEATURES */
    f[0].channel = VG_PQ_TRANS_PREV;
    f[0].feature = VG_AGG_MAX;
    f[0].reserved = 0;
    uint16_t k = 1;
    for (unsigned q = 0; q < VG_PQ_COUNT; q++)
        for (unsigned a = 0; a < VG_AGG_COUNT; a++) {
            if (nc < 2 && q >= VG_PQ_IRMS && q <= VG_PQ_PF)
                continue;
            if (k == VG_MAX_FEATURES)
                return k;
            f[k].channel = (uint8_t)q;
            f[k].feature = (uint8_t)a;
            f[k].reserved = 0;
            k++;
        }
    return k;
}

/* A 50 Hz pipeline at FS with the document's band-pass (into sos[5]), harmonics to 40. */
static void pq_cfg(vg_pq_cfg_t *cfg, vg_biquad_t *sos, unsigned nc, float scale, uint16_t window,
                   uint16_t hop, const vg_feat_desc_t *feats, uint16_t n_feats)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->fs = FS;
    cfg->f_nominal = F0;
    cfg->scale = scale;
    cfg->scale_i = 0.1f;
    cfg->n_channels = (uint16_t)nc;
    cfg->window_cycles = window;
    cfg->hop_cycles = hop;
    cfg->max_harmonic = 40;
    cfg->n_features = n_feats;
    cfg->feats = feats;
    cfg->sos = sos;
    cfg->n_sos = (uint16_t)n_sos_design(sos);
}

static void pq_check(unsigned nc, uint16_t hop, unsigned max_block)
{
    vg_biquad_t sos[5];
    vg_feat_desc_t feats[VG_MAX_FEATURES];
    vg_pq_cfg_t cfg;
    pq_cfg(&cfg, sos, nc, 1.0f / 325.0f, 10, hop, feats, all_feats(feats, nc));
    size_t alen = vg_pq_arena_size(&cfg);
    float *aa = calloc(1, alen), *ab = calloc(1, alen);
    assert_non_null(aa);
    assert_non_null(ab);
    vg_pq_t pa, pb;
    assert_int_equal(vg_pq_init(&pa, &cfg, aa, alen), VG_OK);
    assert_int_equal(vg_pq_init(&pb, &cfg, ab, alen), VG_OK);
    float *x = make_stream(N_SAMPLES, nc, 42u + nc);
    uint64_t seed = BLOCK_SEED + max_block;
    print_message("pq block check: %u channel(s), hop %u, blocks of 1..%u, seed %llu\n", nc, hop,
                  max_block, (unsigned long long)seed);
    float fa[VG_MAX_FEATURES], fb[VG_MAX_FEATURES], ca[VG_PQ_COUNT], cb[VG_PQ_COUNT];
    size_t windows = 0, k = 0;
    while (k < N_SAMPLES) {
        size_t want = 1u + (size_t)(rng_next(&seed) % max_block);
        if (want > N_SAMPLES - k)
            want = N_SAMPLES - k;
        uint8_t db = 7, cdb = 7;
        uint16_t mb = 0;
        size_t got = vg_pq_push_block(&pb, x + k * nc, want, fb, &db, &mb, cb, &cdb);
        assert_true(got >= 1 && got <= want);
        for (size_t j = 0; j < got; j++) {
            uint8_t da = 7, cda = 7;
            uint16_t ma = 0;
            vg_pq_push(&pa, x + (k + j) * nc, fa, &da, &ma, ca, &cda);
            if (j + 1 < got) {
                /* Only the last sample of a block may complete anything. */
                assert_int_equal(da, 0);
                assert_int_equal(cda, 0);
                continue;
            }
            assert_int_equal(da, db);
            assert_int_equal(cda, cdb);
            if (da) {
                windows++;
                assert_int_equal(ma, mb);
                assert_memory_equal(fa, fb, cfg.n_features * sizeof(float));
            }
            if (cda)
                assert_memory_equal(ca, cb, sizeof ca);
            /* A block ends early only at a completed cycle or a missing value. */
            if (got < want) {
                const float *s = x + (k + j) * nc;
                int missing = !(fabsf(s[0]) <= VG_SAMPLE_ABS_MAX) ||
                              (nc > 1 && !(fabsf(s[1]) <= VG_SAMPLE_ABS_MAX));
                assert_true(cda || missing);
            }
        }
        k += got;
        /* The whole state: frames, ring, filter state, and the scalars. */
        assert_memory_equal(aa, ab, alen);
        assert_int_equal(pa.pos, pb.pos);
        assert_int_equal(pa.n_cycles, pb.n_cycles);
        assert_memory_equal(&pa.ss_half, &pb.ss_half, sizeof pa.ss_half);
        assert_memory_equal(&pa.prev_f, &pb.prev_f, sizeof pa.prev_f);
        assert_memory_equal(&pa.last_cross, &pb.last_cross, sizeof pa.last_cross);
        assert_memory_equal(&pa.period_sum, &pb.period_sum, sizeof pa.period_sum);
        assert_int_equal(pa.period_count, pb.period_count);
        assert_int_equal(pa.miss, pb.miss);
        assert_memory_equal(&pa.hold_v, &pb.hold_v, sizeof pa.hold_v);
        assert_memory_equal(&pa.hold_v2, &pb.hold_v2, sizeof pa.hold_v2);
        assert_memory_equal(&pa.hold_i, &pb.hold_i, sizeof pa.hold_i);
        assert_memory_equal(&pa.hold_i2, &pb.hold_i2, sizeof pa.hold_i2);
        assert_int_equal(pa.gap_v, pb.gap_v);
        assert_int_equal(pa.gap_i, pb.gap_i);
        assert_memory_equal(&pa.freq, &pb.freq, sizeof pa.freq);
    }
    assert_true(windows > 10);
    /* n = 0 consumes nothing. */
    uint8_t d0 = 7;
    uint16_t m0 = 0;
    assert_int_equal(vg_pq_push_block(&pb, x, 0, fb, &d0, &m0, NULL, NULL), 0);
    free(x);
    free(aa);
    free(ab);
}

/* ot_band and ot_share of the last of 4 cycles of sin + a7 sin(7 w t) + a20 sin(20 w t). */
/* A frontend on cfg in a zeroed arena (free the returned arena). */
static float *pq_start(vg_pq_t *p, const vg_pq_cfg_t *cfg)
{
    size_t alen = vg_pq_arena_size(cfg);
    float *a = calloc(1, alen);
    assert_non_null(a);
    assert_int_equal(vg_pq_init(p, cfg, a, alen), VG_OK);
    return a;
}

static void ot_case(double a7, double a20, float *band, float *share)
{
    vg_biquad_t sos[5];
    vg_feat_desc_t feats[2] = {{VG_PQ_OT_BAND, VG_AGG_MAX, 0}, {VG_PQ_OT_SHARE, VG_AGG_MAX, 0}};
    vg_pq_cfg_t cfg;
    pq_cfg(&cfg, sos, 1, 1.0f, 1, 1, feats, 2);
    vg_pq_t p;
    float *a = pq_start(&p, &cfg);
    float f[2], cyc[VG_PQ_COUNT];
    int cycles = 0;
    for (size_t k = 0; k < 4u * 128u; k++) {
        double w = 6.283185307179586 * F0 * (double)k / FS;
        float x = (float)(sin(w) + a7 * sin(7.0 * w) + a20 * sin(20.0 * w));
        uint8_t done = 0, cdone = 0;
        uint16_t miss = 0;
        vg_pq_push(&p, &x, f, &done, &miss, cyc, &cdone);
        cycles += cdone;
        if (cdone) {
            *band = cyc[VG_PQ_OT_BAND];
            *share = cyc[VG_PQ_OT_SHARE];
        }
        if (done) /* a one-cycle window: its max is the cycle's value */
            assert_true(f[0] == cyc[VG_PQ_OT_BAND] && f[1] == cyc[VG_PQ_OT_SHARE]);
    }
    assert_int_equal(cycles, 4);
    free(a);
}

/* The 300-900 Hz band (harmonics 6-18, the 7th included) and its share of everything above
 * the 5th: a 350 Hz ringing is all band, a 1 kHz component none of it. */
static void test_ot_quantities(void **state)
{
    (void)state;
    float band = -1.0f, share = -1.0f;
    ot_case(0.0, 0.0, &band, &share);
    assert_true(band < 1e-4f);
    ot_case(0.1, 0.0, &band, &share);
    assert_true(fabsf(band - 0.1f) < 1e-4f);
    assert_true(fabsf(share - 1.0f) < 1e-4f);
    ot_case(0.0, 0.1, &band, &share);
    assert_true(band < 1e-4f);
    assert_true(share < 1e-4f);
    ot_case(0.1, 0.1, &band, &share);
    assert_true(fabsf(band - 0.1f) < 1e-4f);
    assert_true(fabsf(share - 0.5f) < 1e-4f);
    assert_string_equal(vg_pq_qty_name(VG_PQ_OT_BAND), "ot_band");
    assert_string_equal(vg_pq_qty_name(VG_PQ_OT_SHARE), "ot_share");
}

/* The two features of the window that ends with cycle 10 of a 50 Hz sine (noise sd 0.001,
 * drawn from seed) whose amplitude changes by depth from cycle 3.4 to 7.6 (the edges inside
 * cycles), the change modulated by 1 + lambda sin(2 pi 10 t) (flicker on the gated part, the
 * generator's classes 20 and 21) and with a3 sin(3wt + 1) added to it (harmonics inside, the
 * generator's classes 15 and 16). */
static void gated_case(double depth, double a3, double lambda, uint64_t seed,
                       const vg_feat_desc_t feats[2], float out[2])
{
    vg_pq_cfg_t cfg;
    vg_biquad_t sos[5];
    pq_cfg(&cfg, sos, 1, 1.0f, 10, 1, feats, 2);
    const uint16_t n = vg_pq_frame_len(&cfg);
    vg_pq_t p;
    float *a = pq_start(&p, &cfg);
    const size_t g0 = (size_t)(3.4 * n), g1 = (size_t)(7.6 * n);
    int windows = 0;
    for (size_t k = 0; k < 10u * n; k++) {
        const double t = (double)k / FS, w = 6.283185307179586 * F0 * t;
        double v = sin(w + 0.3);
        if (k >= g0 && k < g1)
            v += depth * (sin(w + 0.3) * (1.0 + lambda * sin(6.283185307179586 * 10.0 * t)) +
                          a3 * sin(3.0 * w + 1.0));
        float x = (float)(v + 0.001 * rng_gauss(&seed)), f[2];
        uint8_t done = 0;
        uint16_t miss = 0;
        vg_pq_push(&p, &x, f, &done, &miss, NULL, NULL);
        if (done) {
            out[0] = f[0];
            out[1] = f[1];
            windows++;
        }
    }
    assert_int_equal(windows, 1);
    free(a);
}

/* h3.coh_low and h3.coh_in_low (or, swell, their _high twins) of gated_case() with
 * harmonics a3 inside. */
static void coh_in_case(double depth, double a3, float *coh, float *coh_in)
{
    const int swell = depth > 0.0;
    vg_feat_desc_t feats[2] = {{VG_PQ_H3, swell ? VG_AGG_COH_HIGH : VG_AGG_COH_LOW, 0},
                               {VG_PQ_H3, swell ? VG_AGG_COH_IN_HIGH : VG_AGG_COH_IN_LOW, 0}};
    float f[2];
    gated_case(depth, a3, 0.0, 9, feats, f);
    *coh = f[0];
    *coh_in = f[1];
}

/* coh_in_low / coh_in_high: the coherent harmonics of the cycles wholly inside a sag or swell.
 * The cycles holding its edges, which coh_low and coh_high take too, leak the step into the
 * 3rd harmonic; inside, only the generator's harmonics remain: depth a3 / (1 + depth) of the
 * fundamental. */
static void test_coh_in(void **state)
{
    (void)state;
    float coh, in;
    coh_in_case(-0.5, 0.0, &coh, &in); /* a plain sag */
    print_message("sag 0.5, no harmonics: h3.coh_low %.4f, h3.coh_in_low %.4f\n", coh, in);
    assert_true(coh > 0.01f);
    assert_true(in < 0.002f);
    coh_in_case(-0.5, 0.1, &coh, &in); /* h3 = 0.5 * 0.1 / 0.5 = 0.1 inside */
    print_message("sag 0.5, a3 0.1: h3.coh_low %.4f, h3.coh_in_low %.4f (0.1 expected)\n", coh, in);
    assert_true(fabsf(in - 0.1f) < 0.003f);
    coh_in_case(0.4, 0.0, &coh, &in); /* a plain swell */
    assert_true(coh > 0.005f);
    assert_true(in < 0.002f);
    coh_in_case(0.4, 0.1, &coh, &in); /* 0.4 * 0.1 / 1.4 */
    assert_true(fabsf(in - 0.4f * 0.1f / 1.4f) < 0.002f);
    assert_string_equal(vg_pq_agg_name(VG_AGG_COH_IN_LOW), "coh_in_low");
    assert_string_equal(vg_pq_agg_name(VG_AGG_COH_IN_HIGH), "coh_in_high");
}

/* rms.sd and rms.sd_in_low (swell: sd_in_high) of gated_case() with flicker lambda. */
static void sd_in_case(double depth, double lambda, float *sd, float *sd_in)
{
    vg_feat_desc_t feats[2] = {{VG_PQ_RMS, VG_AGG_SD, 0},
                               {VG_PQ_RMS, depth > 0.0 ? VG_AGG_SD_IN_HIGH : VG_AGG_SD_IN_LOW, 0}};
    float f[2];
    gated_case(depth, 0.0, lambda, 11, feats, f);
    *sd = f[0];
    *sd_in = f[1];
}

/* sd_in_low / sd_in_high: the spread of the RMS over the cycles wholly inside a sag or swell.
 * The window's rms.sd is mostly the sag's step, whether or not the sag flickers; inside, a
 * plain sag is flat to the noise and a flickering one varies by about depth * lambda. */
static void test_sd_in(void **state)
{
    (void)state;
    float sd, in, sd_f, in_f;
    sd_in_case(-0.5, 0.0, &sd, &in);
    sd_in_case(-0.5, 0.1, &sd_f, &in_f);
    print_message("sag 0.5: rms.sd %.4f / %.4f, rms.sd_in_low %.5f / %.5f (plain / flicker 0.1)\n",
                  sd, sd_f, in, in_f);
    assert_true(sd > 0.15f && sd_f > 0.15f);
    assert_true(in < 0.002f);
    assert_true(in_f > 0.01f && in_f < 0.04f);
    sd_in_case(0.4, 0.0, &sd, &in);
    sd_in_case(0.4, 0.1, &sd_f, &in_f);
    print_message("swell 0.4: rms.sd_in_high %.5f / %.5f (plain / flicker 0.1)\n", in, in_f);
    assert_true(in < 0.002f);
    assert_true(in_f > 0.008f && in_f < 0.03f);
    assert_string_equal(vg_pq_agg_name(VG_AGG_SD_IN_LOW), "sd_in_low");
    assert_string_equal(vg_pq_agg_name(VG_AGG_SD_IN_HIGH), "sd_in_high");
}

/* Per-cycle trans and trans_prev of 20 cycles of a 50.15 Hz sine with a 3rd harmonic and
 * noise of sd 0.01, fs = FS, nominal F0, and (impulse > 0) a 1 ms standard impulse of that
 * height (the template's shape) in the middle of cycle 15. With wanted = 0 the pipeline has
 * no trans_prev feature. */
static void trans_case(float fs, double impulse, int wanted, float *tr, float *tp)
{
    vg_feat_desc_t feats[2] = {{VG_PQ_TRANS, VG_AGG_MAX, 0}, {VG_PQ_TRANS_PREV, VG_AGG_MAX, 0}};
    vg_pq_cfg_t cfg;
    vg_biquad_t sos[5];
    pq_cfg(&cfg, sos, 1, 1.0f, 10, 1, feats, wanted ? 2 : 1);
    cfg.fs = fs; /* the band-pass is FS's: the frequency is not what is tested here */
    const uint16_t n = vg_pq_frame_len(&cfg);
    vg_pq_t p;
    float *a = pq_start(&p, &cfg);
    uint64_t seed = 7;
    const size_t start = 15u * n + n / 2u, gate = (size_t)(0.001f * fs + 0.5f);
    int c = 0;
    for (size_t k = 0; k < 20u * n; k++) {
        const double t = (double)k / fs, w = 6.283185307179586 * 50.15 * t;
        double v = sin(w + 0.4) + 0.05 * sin(3.0 * w + 1.0) + 0.01 * rng_gauss(&seed);
        if (impulse > 0.0 && k >= start && k < start + gate) {
            const double u = (double)(k - start) / fs;
            v += impulse * (exp(-344.0 * u) - exp(-750.0 * u)) / 0.2365;
        }
        float x = (float)v, f[2], cyc[VG_PQ_COUNT];
        uint8_t done = 0, cdone = 0;
        uint16_t miss = 0;
        vg_pq_push(&p, &x, f, &done, &miss, cyc, &cdone);
        if (cdone) {
            tr[c] = cyc[VG_PQ_TRANS];
            tp[c] = cyc[VG_PQ_TRANS_PREV];
            c++;
        }
    }
    assert_int_equal(c, 20);
    free(a);
}

/* trans_prev: equal to trans on the first cycle after a reset; on noise alone (the sine and
 * its harmonic predicted from the previous cycles, turned for a frequency 0.15 Hz off
 * nominal) at the level of a noise-only matched filter; on an impulse, larger than trans,
 * which loses part of the pulse to the cycle's own harmonic fit; 0 and no extra arena when
 * no feature uses it. At 6.4 kHz (an FFT frame) and 6 kHz (120 samples: Goertzel, its own
 * buffer). */
static void test_trans_prev(void **state)
{
    (void)state;
    const float rates[2] = {FS, 6000.0f};
    for (int r = 0; r < 2; r++) {
        float tr[20], tp[20];
        trans_case(rates[r], 0.0, 1, tr, tp);
        assert_true(tp[0] == tr[0]);
        for (int c = 2; c < 20; c++)
            assert_true(tp[c] > 1.0f && tp[c] < 4.5f); /* |N(0,1)| over ~120 positions */
        trans_case(rates[r], 0.15, 1, tr, tp);
        assert_true(tp[15] > 8.0f); /* noise alone stays below 4.5 */
        assert_true(tp[15] > 1.3f * tr[15]);
        trans_case(rates[r], 0.15, 0, tr, tp);
        for (int c = 0; c < 20; c++)
            assert_true(tp[c] == 0.0f);
    }
    /* the second residual's buffer: the FFT's at 6.4 kHz, its own at 6 kHz */
    vg_feat_desc_t with[1] = {{VG_PQ_TRANS_PREV, VG_AGG_MAX, 0}},
                   without[1] = {{VG_PQ_TRANS, VG_AGG_MAX, 0}};
    vg_pq_cfg_t cw, co;
    vg_biquad_t sos[5];
    pq_cfg(&cw, sos, 1, 1.0f, 10, 1, with, 1);
    pq_cfg(&co, sos, 1, 1.0f, 10, 1, without, 1);
    assert_int_equal(vg_pq_arena_size(&cw), vg_pq_arena_size(&co));
    cw.fs = co.fs = 6000.0f;
    assert_int_equal(vg_pq_arena_size(&cw), vg_pq_arena_size(&co) + 120u * sizeof(float));
    assert_string_equal(vg_pq_qty_name(VG_PQ_TRANS_PREV), "trans_prev");
}

static void test_pq_block_one_channel(void **state)
{
    (void)state;
    pq_check(1, 1, 1);
    pq_check(1, 1, 7);
    pq_check(1, 3, 100);
    pq_check(1, 1, 5000);
}

static void test_pq_block_two_channels(void **state)
{
    (void)state;
    pq_check(2, 1, 13);
    pq_check(2, 2, 700);
}

/* A small WAVE forest whose splits sit at the median of each split feature over the stream's
 * windows, so windows take varied paths, classes and scores. */
static uint8_t *make_model(unsigned nc, const float *x, size_t n, vg_model_t *m, size_t *len)
{
    static vg_biquad_t sos[5];
    vgh_artifact_spec_t s;
    memset(&s, 0, sizeof s);
    s.sample_rate = FS;
    s.n_channels = (uint16_t)nc;
    s.window = 10;
    s.hop = 1;
    s.n_features = all_feats(s.feats, nc);
    s.norm_kind = VG_NORM_ZSCORE;
    for (uint16_t k = 0; k < s.n_features; k++) {
        s.norm[2 * k] = 0.0f;
        s.norm[2 * k + 1] = 1.0f;
    }
    s.threshold = 0.5f;
    s.open_after = 1;
    s.close_after = 2;
    s.max_missing_pm = 5;
    s.kind = VG_KIND_FOREST;
    s.wave = 1;
    s.f_nominal = F0;
    s.wave_scale = 1.0f / 325.0f;
    s.wave_scale_i = 0.1f;
    s.max_harmonic = 40;
    s.n_sos = (uint16_t)n_sos_design(sos);
    s.sos = sos;

    /* Feature values of the stream's windows, for the split points. */
    vg_pq_cfg_t cfg;
    vgh_pq_cfg_from_spec(&s, &cfg);
    size_t alen = vg_pq_arena_size(&cfg);
    float *arena = calloc(1, alen);
    assert_non_null(arena);
    vg_pq_t p;
    assert_int_equal(vg_pq_init(&p, &cfg, arena, alen), VG_OK);
    enum { MAXW = 64 };
    static float fw[MAXW][VG_MAX_FEATURES];
    size_t nw = 0;
    for (size_t k = 0; k < n && nw < MAXW; k++) {
        uint8_t done;
        uint16_t miss;
        vg_pq_push(&p, x + k * nc, fw[nw], &done, &miss, NULL, NULL);
        nw += done;
    }
    free(arena);
    assert_true(nw > 10);

    enum { TREES = 12, NODES = 7 };
    static vg_tree_node_t nodes[TREES * NODES];
    static uint32_t roots[TREES];
    for (uint16_t t = 0; t < TREES; t++) {
        vg_tree_node_t *nd = nodes + t * NODES;
        roots[t] = (uint32_t)t * NODES;
        /* depth 2: root, left subtree (1: split, 2, 3 leaves), right (4: split, 5, 6 leaves) */
        const uint16_t f[3] = {(uint16_t)((t * 17u) % s.n_features),
                               (uint16_t)((t * 29u + 3u) % s.n_features),
                               (uint16_t)((t * 41u + 7u) % s.n_features)};
        const uint16_t at[3] = {0, 1, 4};
        for (unsigned j = 0; j < 3; j++) {
            float v[MAXW];
            for (size_t w = 0; w < nw; w++) {
                size_t i = w;
                float xv = fw[w][f[j]];
                for (; i > 0 && v[i - 1] > xv; i--)
                    v[i] = v[i - 1];
                v[i] = xv;
            }
            nd[at[j]].feature = f[j];
            nd[at[j]].value = v[nw / 2];
            nd[at[j]].cls = 0;
        }
        nd[0].right = 4;
        nd[1].right = 3;
        nd[4].right = 6;
        const uint16_t leaf[4] = {2, 3, 5, 6};
        for (unsigned j = 0; j < 4; j++) {
            nd[leaf[j]].feature = VG_TREE_LEAF;
            nd[leaf[j]].cls = j & 1u ? (uint16_t)(1u + (t + j) % 3u) : 0u;
            nd[leaf[j]].value = 1.0f;
            nd[leaf[j]].right = 0;
        }
    }
    s.rf_nodes = nodes;
    s.rf_n_nodes = TREES * NODES;
    s.rf_roots = roots;
    s.rf_n_trees = TREES;
    s.n_classes = 4;
    s.normal_class = 0;
    uint8_t *buf = NULL;
    char err[256];
    if (vgh_artifact_build(&s, &buf, len, err, sizeof err) != 0)
        fail_msg("artifact: %s", err);
    assert_int_equal(vg_model_parse(m, buf, *len), VG_OK);
    return buf;
}

static void detector_check(unsigned nc, unsigned max_block)
{
    float *x = make_stream(N_SAMPLES, nc, 7u + nc);
    vg_model_t m;
    size_t mlen;
    uint8_t *mb = make_model(nc, x, N_SAMPLES, &m, &mlen);
    size_t alen = vg_detector_arena_size(&m);
    void *aa = calloc(1, alen), *ab = calloc(1, alen);
    assert_non_null(aa);
    assert_non_null(ab);
    vg_detector_t da, db;
    assert_int_equal(vg_detector_init(&da, &m, aa, alen), VG_OK);
    assert_int_equal(vg_detector_init(&db, &m, ab, alen), VG_OK);
    uint64_t seed = BLOCK_SEED + 3u * max_block;
    print_message("detector block check: %u channel(s), blocks of 1..%u, seed %llu\n", nc,
                  max_block, (unsigned long long)seed);
    size_t k = 0, windows = 0, events = 0, over = 0, cycles = 0, missing = 0;
    unsigned cls_seen = 0;
    while (k < N_SAMPLES) {
        size_t want = 1u + (size_t)(rng_next(&seed) % max_block);
        if (want > N_SAMPLES - k)
            want = N_SAMPLES - k;
        vg_result_t rb, quiet;
        memset(&rb, 0xAB, sizeof rb);
        size_t got = vg_detector_push_block(&db, x + k * nc, want, &rb, &quiet);
        assert_true(got >= 1 && got <= want);
        for (size_t j = 0; j < got; j++) {
            vg_result_t ra;
            vg_detector_push(&da, x + (k + j) * nc, &ra);
            assert_memory_equal(&ra, j + 1 < got ? &quiet : &rb, sizeof ra);
            windows += ra.window;
            events += ra.event != VG_EVENT_NONE;
            over += ra.window && ra.over;
            cycles += ra.cycle;
            missing += ra.n_missing;
            if (ra.window)
                cls_seen |= 1u << ra.cls;
        }
        k += got;
        assert_memory_equal(aa, ab, alen);
        assert_memory_equal(vg_detector_cycle(&da), vg_detector_cycle(&db),
                            VG_PQ_COUNT * sizeof(float));
    }
    print_message("%zu windows, %zu over, %zu events, %zu missing values, classes 0x%x\n", windows,
                  over, events, missing, cls_seen);
    /* The stream exercised what it should: windows of several classes, events, gaps. */
    assert_true(windows > 40);
    assert_true(cycles >= 60);
    assert_true(events > 0);
    assert_true(over > 0 && over < windows);
    assert_true(missing > 0);
    assert_true(cls_seen & (cls_seen - 1u)); /* at least two classes */
    vg_result_t r0, q0;
    memset(&r0, 0xCD, sizeof r0);
    assert_int_equal(vg_detector_push_block(&db, x, 0, &r0, &q0), 0);
    assert_int_equal(q0.window, 0);
    free(aa);
    free(ab);
    free(mb);
    free(x);
}

static void test_detector_block_one_channel(void **state)
{
    (void)state;
    detector_check(1, 1);
    detector_check(1, 50);
    detector_check(1, 5000);
}

static void test_detector_block_two_channels(void **state)
{
    (void)state;
    detector_check(2, 300);
}

/* A dead line: once every cycle of a window has its RMS below 0.1 pu, the window is over
 * the threshold whatever the forest says (vg_detector.c); a low voltage above it is left to
 * the model. The scale is 1/325, so 325 is 1 pu of peak. */
static void test_detector_dead_line(void **state)
{
    (void)state;
    float *x = make_stream(N_SAMPLES, 1, 11u);
    vg_model_t m;
    size_t mlen;
    uint8_t *mb = make_model(1, x, N_SAMPLES, &m, &mlen);
    size_t alen = vg_detector_arena_size(&m);
    void *a = calloc(1, alen);
    assert_non_null(a);
    vg_detector_t d;
    assert_int_equal(vg_detector_init(&d, &m, a, alen), VG_OK);
    const size_t frame = 128;
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: 0 V; pass 1: 0.2 pu, a deep sag but not an interruption */
        const float amp = pass == 0 ? 0.0f : 0.2f * 325.0f;
        vg_detector_reset(&d);
        size_t dead_windows = 0, forced = 0, windows = 0;
        for (size_t k = 0; k < 30 * frame; k++) {
            vg_result_t r;
            float v = amp * sinf(2.0f * 3.14159265f * F0 * (float)k / FS);
            vg_detector_push(&d, &v, &r);
            if (!r.window)
                continue;
            windows++;
            const float top = vg_pq_ring_max(&d.fe.pq, VG_PQ_HRMS_MAX);
            if (top < VG_PQ_INTERRUPTION_PU * 0.70710678f) {
                dead_windows++;
                forced += r.over;
            }
        }
        print_message("amplitude %.1f: %zu windows, %zu dead, %zu of them over\n", (double)amp,
                      windows, dead_windows, forced);
        assert_true(windows >= 20);
        if (pass == 0) {
            assert_int_equal(dead_windows, windows); /* the ring holds only dead cycles */
            assert_int_equal(forced, dead_windows);
        } else {
            assert_int_equal(dead_windows, 0);
        }
    }
    free(a);
    free(mb);
    free(x);
}

/* Rows of make_stream() as a labelled recording: class 2 in the sag, 3 in the swell, 7 in
 * the harmonics, 5 at the impulse, 1 elsewhere; with seg_len, segments of seg_len rows. The
 * samples are x's (not freed by ds_free). */
static void ds_make(vgh_dataset_t *ds, float *x, size_t n, size_t seg_len)
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->n_ch = 1;
    ds->x = x;
    ds->t = malloc(n * sizeof *ds->t);
    ds->cls = malloc(n * sizeof *ds->cls);
    ds->label = malloc(n);
    ds->segment = malloc(n * sizeof *ds->segment);
    assert_true(ds->t && ds->cls && ds->label && ds->segment);
    ds->has_class = ds->has_time = ds->has_label = 1;
    ds->has_segment = seg_len > 0;
    ds->rate = FS;
    for (size_t k = 0; k < n; k++) {
        const double t = (double)k / FS;
        ds->t[k] = t;
        ds->cls[k] = t > 0.2 && t < 0.3      ? 2
                     : t > 0.5 && t < 0.56   ? 3
                     : t > 0.7 && t < 0.9    ? 7
                     : t >= 1.0 && t < 1.001 ? 5
                                             : 1;
        ds->label[k] = ds->cls[k] != 1;
        ds->segment[k] = seg_len ? (long)(k / seg_len) : -1;
    }
}

static void ds_free(vgh_dataset_t *ds)
{
    free(ds->t);
    free(ds->cls);
    free(ds->label);
    free(ds->segment);
}

/* Rows [i, i + len) of ds, sharing its arrays: the chunk a reader would hand over. */
static vgh_dataset_t ds_view(const vgh_dataset_t *ds, size_t i, size_t len)
{
    vgh_dataset_t v = *ds;
    v.n = len;
    v.x = ds->x + i * ds->n_ch;
    v.t = ds->t + i;
    v.cls = ds->cls + i;
    v.label = ds->label + i;
    v.segment = ds->segment + i;
    return v;
}

/* Training windows collected a chunk at a time (vgh_pq_win_*, chunks of seeded random sizes in
 * 1..max_chunk) must be the windows and labels of the whole recording in one call, bit for bit:
 * a chunk may end inside a cycle, a window, a labelled disturbance or a segment. */
static void win_chunks_check(size_t seg_len, unsigned max_chunk)
{
    float *x = make_stream(N_SAMPLES, 1, 11u);
    vgh_dataset_t ds;
    ds_make(&ds, x, N_SAMPLES, seg_len);
    if (seg_len)
        ds.n = (N_SAMPLES / seg_len) * seg_len; /* whole segments only */
    vg_biquad_t sos[5];
    vg_feat_desc_t feats[VG_MAX_FEATURES];
    vg_pq_cfg_t cfg;
    pq_cfg(&cfg, sos, 1, 1.0f / 325.0f, 10, 1, feats, all_feats(feats, 1));
    char err[256];
    float *X1 = NULL, *X2 = NULL;
    uint16_t *y1 = NULL, *y2 = NULL;
    size_t n1 = 0, n2 = 0, sk1 = 0, sk2 = 0;
    if (vgh_pq_windows_policy(&cfg, &ds, 5, &X1, &y1, &n1, &sk1, err, sizeof err) != 0)
        fail_msg("one call: %s", err);
    uint64_t seed = BLOCK_SEED + max_chunk + seg_len;
    vgh_pq_win_t w;
    assert_int_equal(vgh_pq_win_begin(&w, &cfg, 5, ds.has_segment, err, sizeof err), 0);
    size_t chunks = 0;
    for (size_t i = 0; i < ds.n; chunks++) {
        size_t len = 1u + (size_t)(rng_next(&seed) % max_chunk);
        len = len > ds.n - i ? ds.n - i : len;
        vgh_dataset_t v = ds_view(&ds, i, len);
        if (vgh_pq_win_push(&w, &v, err, sizeof err) != 0)
            fail_msg("chunk at row %zu: %s", i, err);
        i += len;
    }
    if (vgh_pq_win_end(&w, &X2, &y2, NULL, &n2, &sk2, err, sizeof err) != 0)
        fail_msg("end: %s", err);
    print_message("windows in %zu chunks of 1..%u rows (segments of %zu): %zu windows, %zu left "
                  "out\n",
                  chunks, max_chunk, seg_len, n1, sk1);
    assert_int_equal(n1, n2);
    assert_int_equal(sk1, sk2);
    assert_memory_equal(X1, X2, n1 * cfg.n_features * sizeof(float));
    assert_memory_equal(y1, y2, n1 * sizeof(uint16_t));
    /* the recording exercised the labelling: disturbed windows (and normal ones in the
     * stream), and windows left out for missing samples */
    size_t disturbed = 0;
    for (size_t k = 0; k < n1; k++)
        disturbed += y1[k] != 1;
    if (seg_len)
        assert_int_equal(n1 + sk1, ds.n / seg_len);
    else
        assert_true(n1 > 3 && disturbed < n1 && sk1 > 0);
    assert_true(disturbed > 0);
    free(X1);
    free(X2);
    free(y1);
    free(y2);
    ds_free(&ds);
    free(x);
}

static void test_win_chunks(void **state)
{
    (void)state;
    win_chunks_check(0, 1);
    win_chunks_check(0, 97);
    win_chunks_check(0, 4000);
    win_chunks_check(1280, 7);
    win_chunks_check(1280 + 300, 2000); /* segments that do not end on a cycle */
}

/* Segments classified a chunk at a time (vgh_pq_segs_*) against vgh_pq_classify_segments() on
 * the whole recording: the same results; and a segment too short for a window, cut across
 * chunks, is named with its full length. */
static void test_segs_chunks(void **state)
{
    (void)state;
    float *x = make_stream(N_SAMPLES, 1, 13u);
    vg_model_t m;
    size_t mlen;
    uint8_t *mb = make_model(1, x, N_SAMPLES, &m, &mlen);
    vgh_dataset_t ds;
    ds_make(&ds, x, N_SAMPLES, 1280 + 211);
    ds.n = (N_SAMPLES / (1280 + 211)) * (1280 + 211); /* whole segments only */
    char err[256];
    vgh_pq_seg_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (vgh_pq_classify_segments(&m, &ds, &a, &na, err, sizeof err) != 0)
        fail_msg("one call: %s", err);
    for (unsigned max_chunk = 1; max_chunk <= 3001; max_chunk += 1500) {
        uint64_t seed = BLOCK_SEED + max_chunk;
        vgh_pq_segs_t c;
        assert_int_equal(vgh_pq_segs_begin(&c, &m, err, sizeof err), 0);
        for (size_t i = 0; i < ds.n;) {
            size_t len = 1u + (size_t)(rng_next(&seed) % max_chunk);
            len = len > ds.n - i ? ds.n - i : len;
            vgh_dataset_t v = ds_view(&ds, i, len);
            assert_int_equal(vgh_pq_segs_push(&c, &v, err, sizeof err), 0);
            i += len;
        }
        assert_int_equal(vgh_pq_segs_end(&c, &b, &nb, err, sizeof err), 0);
        assert_int_equal(na, nb);
        for (size_t k = 0; k < na; k++) {
            assert_int_equal(a[k].segment, b[k].segment);
            assert_int_equal(a[k].truth, b[k].truth);
            assert_int_equal(a[k].pred, b[k].pred);
            assert_memory_equal(&a[k].score, &b[k].score, sizeof a[k].score);
            assert_int_equal(a[k].dropout, b[k].dropout);
            assert_int_equal(a[k].anomaly, b[k].anomaly);
        }
        free(b);
    }
    print_message("%zu segments, the same in chunks of 1..1 and 1..1501 rows\n", na);
    assert_true(na >= 4);
    /* a last segment of 1,000 rows (under a window), pushed in two chunks */
    ds_free(&ds);
    ds_make(&ds, x, 2 * 1491 + 1000, 1491);
    vgh_pq_segs_t c;
    assert_int_equal(vgh_pq_segs_begin(&c, &m, err, sizeof err), 0);
    vgh_dataset_t v1 = ds_view(&ds, 0, 2 * 1491 + 400), v2 = ds_view(&ds, 2 * 1491 + 400, 600);
    assert_int_equal(vgh_pq_segs_push(&c, &v1, err, sizeof err), 0);
    assert_int_equal(vgh_pq_segs_push(&c, &v2, err, sizeof err), 0);
    assert_int_equal(vgh_pq_segs_end(&c, &b, &nb, err, sizeof err), -1);
    assert_string_equal(err, "segment 2 has 1000 samples, fewer than the model's window of 10 "
                             "cycles");
    free(a);
    ds_free(&ds);
    free(mb);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ot_quantities),
        cmocka_unit_test(test_trans_prev),
        cmocka_unit_test(test_coh_in),
        cmocka_unit_test(test_sd_in),
        cmocka_unit_test(test_pq_block_one_channel),
        cmocka_unit_test(test_win_chunks),
        cmocka_unit_test(test_segs_chunks),
        cmocka_unit_test(test_pq_block_two_channels),
        cmocka_unit_test(test_detector_block_one_channel),
        cmocka_unit_test(test_detector_block_two_channels),
        cmocka_unit_test(test_detector_dead_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
