/* SPDX-License-Identifier: MIT */
#include "vigil/vg_pq.h"

/* A build without waveform pipelines (VG_ENABLE_WAVEFORM 0, vg_opts.h) compiles none of this. */
#if VG_ENABLE_WAVEFORM

#include <math.h>

#include "vigil/vg_fft.h"
#include "vigil/vg_frontend.h"
#include "vigil/vg_mathf.h"

/* x86-64 always has SSE2 (as in vg_sos.c); other targets, and VG_DISABLE_SPECIALIZATION
 * builds, take the portable residual rebuild only. */
#if defined(__SSE2__) && !VG_DISABLE_SPECIALIZATION
#define PQ_SSE2 1
#include <xmmintrin.h>
#else
#define PQ_SSE2 0
#endif

/* Lanes of the per-cycle loops written for vectorisation: harmonics 1..7 of the residual
 * and one padding lane, or 8 matched-filter positions. */
#define PQ_LANES 8u
#if VG_PQ_RESID_HARMONICS != 7 || PQ_LANES != 8 || VG_PQ_COH_H < VG_PQ_RESID_HARMONICS
#error                                                                                             \
    "pq__residual() is written for harmonics 1..7 in 8 lanes, pq__predict() for their phasors in the ring"
#endif

/* Cycles the fundamental band-pass (45-65 Hz: 20 Hz wide) takes to settle after a reset. */
#define VG_PQ_SETTLE_CYCLES 2u

/* The artifact reader validates WAVE features with vg_model.h's counts: keep them equal. */
typedef char
    vg_pq_counts_match[(VG_PQ_COUNT == VG_WAVE_QTY_COUNT && VG_AGG_COUNT == VG_WAVE_AGG_COUNT &&
                        VG_PQ_IRMS == VG_WAVE_QTY_FIRST_CURRENT &&
                        VG_PQ_PF == VG_WAVE_QTY_LAST_CURRENT)
                           ? 1
                           : -1];

static const char *const qty_names[VG_PQ_COUNT] = {
    "rms", "hrms_min", "hrms_max", "peak", "crest", "freq",    "h1",       "thd",        "h3", "h5",
    "h7",  "resid",    "dmax",     "skew", "kurt",  "hf",      "irms",     "p",          "q",  "s",
    "pf",  "trans",    "rpeak",    "odd",  "even",  "ot_band", "ot_share", "trans_prev",
};
static const char *const agg_names[VG_AGG_COUNT] = {
    "min",     "max",      "mean",  "sd",         "range",       "at_low",    "at_high",   "coh",
    "coh_low", "coh_high", "mdiff", "coh_in_low", "coh_in_high", "sd_in_low", "sd_in_high"};

const char *vg_pq_qty_name(unsigned q)
{
    return q < VG_PQ_COUNT ? qty_names[q] : 0;
}

const char *vg_pq_agg_name(unsigned a)
{
    return a < VG_AGG_COUNT ? agg_names[a] : 0;
}

static int pq__match(const char *s, size_t len, const char *name)
{
    size_t k = 0;
    while (k < len && name[k] && name[k] == s[k])
        k++;
    return k == len && name[k] == '\0';
}

vg_status_t vg_pq_feature_from_name(const char *name, size_t len, unsigned *qty, unsigned *agg)
{
    if (!name || !qty || !agg)
        return VG_ERR_ARG;
    size_t dot = 0;
    while (dot < len && name[dot] != '.')
        dot++;
    if (dot == len)
        return VG_ERR_ARG;
    for (unsigned q = 0; q < VG_PQ_COUNT; q++) {
        if (!pq__match(name, dot, qty_names[q]))
            continue;
        for (unsigned a = 0; a < VG_AGG_COUNT; a++)
            if (pq__match(name + dot + 1, len - dot - 1, agg_names[a])) {
                *qty = q;
                *agg = a;
                return VG_OK;
            }
    }
    return VG_ERR_ARG;
}

float vg_pq_ring_max(const vg_pq_t *p, unsigned q)
{
    const uint32_t w = p->n_cycles < p->cfg.window_cycles ? p->n_cycles : p->cfg.window_cycles;
    float mx = 0.0f;
    for (uint32_t c = 0; c < w && q < VG_PQ_COUNT; c++) {
        const float v = p->cycles[(size_t)c * VG_PQ_STRIDE + q];
        mx = v > mx ? v : mx;
    }
    return mx;
}

uint16_t vg_pq_frame_len(const vg_pq_cfg_t *cfg)
{
    float n = cfg->fs / cfg->f_nominal + 0.5f;
    return n >= 65535.0f ? (uint16_t)65535u : (uint16_t)n;
}

static int pq__pow2(size_t n)
{
    return n >= VG_FFT_MIN_N && n <= VG_FFT_MAX_N && (n & (n - 1u)) == 0;
}

/* A configured feature uses VG_PQ_TRANS_PREV. */
static int pq__wants_prev(const vg_pq_cfg_t *cfg)
{
    for (uint16_t k = 0; cfg->feats && k < cfg->n_features; k++)
        if (cfg->feats[k].channel == VG_PQ_TRANS_PREV)
            return 1;
    return 0;
}

size_t vg_pq_arena_size(const vg_pq_cfg_t *cfg)
{
    size_t n = vg_pq_frame_len(cfg);
    /* the second residual has the FFT buffer when there is one, else its own */
    size_t floats = n * (cfg->n_channels > 1 ? 2u : 1u) + (pq__pow2(n) ? n : 0u) +
                    (!pq__pow2(n) && pq__wants_prev(cfg) ? n : 0u) +
                    (size_t)cfg->window_cycles * VG_PQ_STRIDE + 2u * cfg->n_sos;
    return floats * sizeof(float);
}

static int pq__is_current(unsigned q)
{
    return q >= VG_PQ_IRMS && q <= VG_PQ_PF;
}

/* The standard impulsive transient (Igual et al.; IEEE 1159 "impulsive"): the double
 * exponential exp(-344 t) - exp(-750 t) over 1 ms, sampled at fs and scaled to unit norm,
 * so the matched filter's output is in units of the noise sd for white noise. */
static void pq__template(vg_pq_t *p)
{
    uint16_t m = (uint16_t)(0.001f * p->cfg.fs + 0.5f);
    if (m < 2)
        m = 2;
    if (m > VG_PQ_MAX_TEMPLATE)
        m = VG_PQ_MAX_TEMPLATE;
    float norm = 0.0f;
    for (uint16_t j = 0; j < m; j++) {
        float t = (float)j / p->cfg.fs;
        p->tmpl[j] = vg_exp_f32(-344.0f * t) - vg_exp_f32(-750.0f * t);
        norm += p->tmpl[j] * p->tmpl[j];
    }
    norm = sqrtf(norm);
    for (uint16_t j = 0; j < m; j++)
        p->tmpl[j] /= norm;
    p->n_tmpl = m;
}

vg_status_t vg_pq_init(vg_pq_t *p, const vg_pq_cfg_t *cfg, void *arena, size_t arena_len)
{
    if (!p || !cfg || !arena || !cfg->feats || (cfg->n_sos && !cfg->sos))
        return VG_ERR_ARG;
    if (!(cfg->fs > 0.0f && cfg->fs <= 1.0e7f) ||
        !(cfg->f_nominal >= 40.0f && cfg->f_nominal <= 100.0f) ||
        !(cfg->scale > 0.0f && cfg->scale <= 3.0e38f))
        return VG_ERR_ARG;
    if (cfg->n_channels < 1 || cfg->n_channels > 2 ||
        (cfg->n_channels == 2 && !(cfg->scale_i > 0.0f && cfg->scale_i <= 3.0e38f)))
        return VG_ERR_ARG;
    uint16_t n = vg_pq_frame_len(cfg);
    /* Fewer than 8 samples per cycle cannot resolve the fundamental's shape. */
    if (n < 8 || n > VG_PQ_MAX_CYCLE)
        return VG_ERR_ARG;
    if (cfg->window_cycles < 1 || cfg->window_cycles > VG_PQ_MAX_WINDOW || cfg->hop_cycles < 1 ||
        cfg->hop_cycles > cfg->window_cycles || cfg->max_harmonic < 1 || cfg->max_harmonic > 50 ||
        cfg->n_sos > VG_PQ_MAX_SOS)
        return VG_ERR_ARG;
    if (cfg->n_features < 1 || cfg->n_features > VG_MAX_FEATURES)
        return VG_ERR_ARG;
    for (uint16_t k = 0; k < cfg->n_features; k++) {
        unsigned q = cfg->feats[k].channel, a = cfg->feats[k].feature;
        if (q >= VG_PQ_COUNT || a >= VG_AGG_COUNT || (pq__is_current(q) && cfg->n_channels < 2))
            return VG_ERR_ARG;
    }
    if (((uintptr_t)arena & 3u) != 0)
        return VG_ERR_ALIGN;
    if (arena_len < vg_pq_arena_size(cfg))
        return VG_ERR_SIZE;
    float *a = (float *)arena;
    p->cfg = *cfg;
    p->n = n;
    /* Harmonic h lies below Nyquist when h < n / 2. */
    p->h_max = cfg->max_harmonic < (uint16_t)((n - 1u) / 2u) ? cfg->max_harmonic
                                                             : (uint16_t)((n - 1u) / 2u);
    p->frame_v = a;
    a += n;
    p->frame_i = cfg->n_channels > 1 ? a : 0;
    a += cfg->n_channels > 1 ? n : 0u;
    p->fft = pq__pow2(n) ? a : 0;
    a += pq__pow2(n) ? n : 0u;
    p->resid2 = 0;
    if (pq__wants_prev(cfg)) {
        p->resid2 = p->fft ? p->fft : a;
        a += p->fft ? 0u : n;
    }
    p->cycles = a;
    a += (size_t)cfg->window_cycles * VG_PQ_STRIDE;
    p->sos_state = a;
    pq__template(p);
    vg_pq_reset(p);
    return VG_OK;
}

void vg_pq_reset(vg_pq_t *p)
{
    for (uint16_t k = 0; k < p->n; k++) {
        p->frame_v[k] = 0.0f;
        if (p->frame_i)
            p->frame_i[k] = 0.0f;
    }
    for (size_t k = 0; k < (size_t)p->cfg.window_cycles * VG_PQ_STRIDE; k++)
        p->cycles[k] = 0.0f;
    vg_sos_reset(p->sos_state, p->cfg.n_sos);
    p->pos = 0;
    p->n_cycles = 0;
    p->ring_head = 0;
    p->since = 0;
    p->ss_half[0] = p->ss_half[1] = 0.0f;
    p->hrms_lo = p->hrms_hi = 0.0f;
    p->prev_f = 0.0f;
    p->last_cross = 0.0f;
    p->have_cross = 0;
    p->period_sum = 0.0;
    p->period_count = 0;
    p->miss = 0;
    p->freq = p->cfg.f_nominal;
    p->prev_v = 0.0f;
    p->hold_v = p->hold_i = p->hold_v2 = p->hold_i2 = 0.0f;
    p->gap_v = p->gap_i = 0;
    p->started = 0;
}

/* The largest |response| of the matched filter over v[0, n). Each position's sum runs over
 * the template in the same order, PQ_LANES positions at a time; the largest |response| does
 * not depend on the order the positions are visited (NaN never wins either way). */
static float pq__matched(const vg_pq_t *p, const float *v)
{
    const uint16_t n = p->n, m = p->n_tmpl;
    float best = 0.0f;
    uint16_t k = 0;
    if (n >= m) {
        float bl[PQ_LANES];
        for (unsigned i = 0; i < PQ_LANES; i++)
            bl[i] = 0.0f;
#if PQ_SSE2
        /* 16 positions (4 vectors) at a time first: each template value is broadcast once
         * for all of them. Every position's sum runs over the template in the same order
         * (acc + v tj), and bl[] takes the same maxima (_mm_max_ps(a, b) is a > b ? a : b). */
        {
            const __m128 sign = _mm_set1_ps(-0.0f);
            __m128 bla = _mm_setzero_ps(), blb = _mm_setzero_ps();
            for (; k + 4u * 4u + m <= n + 1u; k += 4u * 4u) {
                __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                const float *vk = v + k;
                for (uint16_t j = 0; j < m; j++) {
                    const __m128 tj = _mm_set1_ps(p->tmpl[j]);
                    a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(vk + j), tj));
                    a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_loadu_ps(vk + j + 4), tj));
                    a2 = _mm_add_ps(a2, _mm_mul_ps(_mm_loadu_ps(vk + j + 8), tj));
                    a3 = _mm_add_ps(a3, _mm_mul_ps(_mm_loadu_ps(vk + j + 12), tj));
                }
                bla = _mm_max_ps(_mm_andnot_ps(sign, a0), bla);
                blb = _mm_max_ps(_mm_andnot_ps(sign, a1), blb);
                bla = _mm_max_ps(_mm_andnot_ps(sign, a2), bla);
                blb = _mm_max_ps(_mm_andnot_ps(sign, a3), blb);
            }
            _mm_storeu_ps(bl, bla);
            _mm_storeu_ps(bl + 4, blb);
        }
#endif
        for (; k + PQ_LANES + m <= n + 1u; k += PQ_LANES) {
            float acc[PQ_LANES];
            for (unsigned i = 0; i < PQ_LANES; i++)
                acc[i] = 0.0f;
            for (uint16_t j = 0; j < m; j++) {
                const float tj = p->tmpl[j];
                for (unsigned i = 0; i < PQ_LANES; i++)
                    acc[i] += v[k + j + i] * tj;
            }
            for (unsigned i = 0; i < PQ_LANES; i++)
                bl[i] = fabsf(acc[i]) > bl[i] ? fabsf(acc[i]) : bl[i];
        }
        for (unsigned i = 0; i < PQ_LANES; i++)
            best = bl[i] > best ? bl[i] : best;
    }
    for (; k + m <= n; k++) {
        float acc = 0.0f;
        for (uint16_t j = 0; j < m; j++)
            acc += v[k + j] * p->tmpl[j];
        best = fabsf(acc) > best ? fabsf(acc) : best;
    }
    return best;
}

/* The largest matched-filter response of r[0, n) (the residual, its mean already removed)
 * over its RMS; ss: the sum of its squares in sample order (pq__rebuild() takes both). */
static float pq__trans(const vg_pq_t *p, const float *r, float ss)
{
    const float rms = sqrtf(ss / (float)p->n);
    return pq__matched(p, r) / (rms > 1e-9f ? rms : 1e-9f);
}

/* The rebuild loop of pq__residual() over samples [j0, n): v[j] = (v[j] - the harmonics
 * (re, im)) - mean, and with two, first r2[j] = (v[j] - the harmonics (re2, im2)) - mean.
 * The mean is the last subtraction, as when pq__trans() took it off in a second pass, which
 * also summed the squares (in sample order) and took v's largest |value|: these go on in
 * sp[0], sp[1] (v) and sp[2] (r2). Called with a constant two, so each call compiles
 * to its own loop and the one without r2 does no work for it. */
static inline void pq__rebuild(float *v, float *r2, uint16_t j0, uint16_t n, uint16_t hn, float *c,
                               float *sn, const float *cr, const float *sr, const float *re,
                               const float *im, const float *re2, const float *im2, float mean,
                               float *sp, const int two)
{
    float ss = sp[0], pk = sp[1], ss2 = sp[2];
    for (uint16_t j = j0; j < n; j++) {
        float t[PQ_LANES], t2[PQ_LANES];
        for (unsigned i = 0; i < PQ_LANES; i++) {
            t[i] = re[i] * c[i] - im[i] * sn[i];
            if (two)
                t2[i] = re2[i] * c[i] - im2[i] * sn[i];
            const float c2 = c[i] * cr[i] - sn[i] * sr[i];
            sn[i] = sn[i] * cr[i] + c[i] * sr[i];
            c[i] = c2;
        }
        float acc = 0.0f, acc2 = 0.0f;
        if (hn == VG_PQ_RESID_HARMONICS) {
            /* the usual case, unrolled: the same additions in the same order */
            acc = (((((((acc + t[0]) + t[1]) + t[2]) + t[3]) + t[4]) + t[5]) + t[6]);
            if (two)
                acc2 = (((((((acc2 + t2[0]) + t2[1]) + t2[2]) + t2[3]) + t2[4]) + t2[5]) + t2[6]);
        } else {
            for (uint16_t h = 0; h < hn; h++) {
                acc += t[h];
                if (two)
                    acc2 += t2[h];
            }
        }
        if (two) {
            const float y2 = (v[j] - acc2) - mean;
            r2[j] = y2;
            ss2 += y2 * y2;
        }
        const float y = (v[j] - acc) - mean;
        v[j] = y;
        ss += y * y;
        pk = fabsf(y) > pk ? fabsf(y) : pk;
    }
    sp[0] = ss;
    sp[1] = pk;
    sp[2] = ss2;
}

#if PQ_SSE2
/* pq__rebuild() for harmonics 1..7, 4 samples a step, then the rest by pq__rebuild(). The
 * phasors rotate in two 4-float vectors (lanes = harmonics 1..8) with pq__rebuild()'s
 * operations; a 4 x 4 transpose of the 4 samples' terms puts each harmonic in a vector whose
 * lanes are the samples, so the sum over harmonics is 7 vertical additions in the order
 * h = 1, 2, ..., 7 instead of a sum across lanes for every sample. Every value gets the same
 * operations in the same order, so the bits are pq__rebuild()'s. c and sn are left as
 * pq__rebuild() leaves them. */
/* always_inline: each call passes a constant two, and only an inlined copy drops its tests */
static inline __attribute__((always_inline)) void
pq__rebuild7_sse2(float *v, float *r2, uint16_t n, float *c, float *sn, const float *cr,
                  const float *sr, const float *re, const float *im, const float *re2,
                  const float *im2, float mean, float *sp, const int two)
{
    __m128 ca = _mm_loadu_ps(c), cb = _mm_loadu_ps(c + 4);
    __m128 sa = _mm_loadu_ps(sn), sb = _mm_loadu_ps(sn + 4);
    const __m128 cra = _mm_loadu_ps(cr), crb = _mm_loadu_ps(cr + 4);
    const __m128 sra = _mm_loadu_ps(sr), srb = _mm_loadu_ps(sr + 4);
    const __m128 rea = _mm_loadu_ps(re), reb = _mm_loadu_ps(re + 4);
    const __m128 ima = _mm_loadu_ps(im), imb = _mm_loadu_ps(im + 4);
    const __m128 re2a = _mm_loadu_ps(re2), re2b = _mm_loadu_ps(re2 + 4);
    const __m128 im2a = _mm_loadu_ps(im2), im2b = _mm_loadu_ps(im2 + 4);
    const __m128 mv = _mm_set1_ps(mean);
    const __m128 sign = _mm_set1_ps(-0.0f);
    /* the sums of squares in lane 0, one sample after another; the largest |value| lane by
     * lane (_mm_max_ps(a, b) is a > b ? a : b, as pq__rebuild()'s test: NaN never wins) */
    __m128 ss = _mm_set_ss(sp[0]), ss2 = _mm_set_ss(sp[2]);
    __m128 pk = _mm_setzero_ps();
    uint16_t j = 0;
    /* Harmonics 1..4 (lanes a) and 5..8 (lanes b) rotate independently, so each half runs
     * its 4 samples on its own: fewer vectors live at once, fewer spills. PQ__TERMS(k):
     * sample k's terms of one half into t[k] (and u[k]), then that half's phasors turn;
     * written out 4 times so that the arrays stay in registers. */
#define PQ__TERMS(k, c_, s_, cr_, sr_, re_, im_, re2_, im2_)                                       \
    do {                                                                                           \
        t[k] = _mm_sub_ps(_mm_mul_ps(re_, c_), _mm_mul_ps(im_, s_));                               \
        if (two)                                                                                   \
            u[k] = _mm_sub_ps(_mm_mul_ps(re2_, c_), _mm_mul_ps(im2_, s_));                         \
        const __m128 c2 = _mm_sub_ps(_mm_mul_ps(c_, cr_), _mm_mul_ps(s_, sr_));                    \
        s_ = _mm_add_ps(_mm_mul_ps(s_, cr_), _mm_mul_ps(c_, sr_));                                 \
        c_ = c2;                                                                                   \
    } while (0)
#define PQ__HALF(c_, s_, cr_, sr_, re_, im_, re2_, im2_)                                           \
    do {                                                                                           \
        PQ__TERMS(0, c_, s_, cr_, sr_, re_, im_, re2_, im2_);                                      \
        PQ__TERMS(1, c_, s_, cr_, sr_, re_, im_, re2_, im2_);                                      \
        PQ__TERMS(2, c_, s_, cr_, sr_, re_, im_, re2_, im2_);                                      \
        PQ__TERMS(3, c_, s_, cr_, sr_, re_, im_, re2_, im2_);                                      \
        /* t[h]: one harmonic of this half for samples j..j+3 */                                   \
        _MM_TRANSPOSE4_PS(t[0], t[1], t[2], t[3]);                                                 \
        if (two)                                                                                   \
            _MM_TRANSPOSE4_PS(u[0], u[1], u[2], u[3]);                                             \
    } while (0)
    /* y's squares into ss (lane 0) in sample order */
#define PQ__SQUARES(y, ss)                                                                         \
    do {                                                                                           \
        const __m128 sq = _mm_mul_ps(y, y);                                                        \
        ss = _mm_add_ss(ss, sq);                                                                   \
        ss = _mm_add_ss(ss, _mm_shuffle_ps(sq, sq, _MM_SHUFFLE(1, 1, 1, 1)));                      \
        ss = _mm_add_ss(ss, _mm_shuffle_ps(sq, sq, _MM_SHUFFLE(2, 2, 2, 2)));                      \
        ss = _mm_add_ss(ss, _mm_shuffle_ps(sq, sq, _MM_SHUFFLE(3, 3, 3, 3)));                      \
    } while (0)
    for (; j + 4u <= n; j += 4u) {
        __m128 t[4], u[4];
        /* harmonics 1..4, then 5..7 (lane 8 is padding): the sum in the order h = 1, ..., 7 */
        PQ__HALF(ca, sa, cra, sra, rea, ima, re2a, im2a);
        __m128 acc = _mm_setzero_ps(), acc2 = _mm_setzero_ps();
        acc = _mm_add_ps(acc, t[0]);
        acc = _mm_add_ps(acc, t[1]);
        acc = _mm_add_ps(acc, t[2]);
        acc = _mm_add_ps(acc, t[3]);
        if (two) {
            acc2 = _mm_add_ps(acc2, u[0]);
            acc2 = _mm_add_ps(acc2, u[1]);
            acc2 = _mm_add_ps(acc2, u[2]);
            acc2 = _mm_add_ps(acc2, u[3]);
        }
        PQ__HALF(cb, sb, crb, srb, reb, imb, re2b, im2b);
        acc = _mm_add_ps(acc, t[0]);
        acc = _mm_add_ps(acc, t[1]);
        acc = _mm_add_ps(acc, t[2]);
        const __m128 x = _mm_loadu_ps(v + j);
        if (two) {
            acc2 = _mm_add_ps(acc2, u[0]);
            acc2 = _mm_add_ps(acc2, u[1]);
            acc2 = _mm_add_ps(acc2, u[2]);
            const __m128 y2 = _mm_sub_ps(_mm_sub_ps(x, acc2), mv);
            _mm_storeu_ps(r2 + j, y2);
            PQ__SQUARES(y2, ss2);
        }
        const __m128 y = _mm_sub_ps(_mm_sub_ps(x, acc), mv);
        _mm_storeu_ps(v + j, y);
        PQ__SQUARES(y, ss);
        pk = _mm_max_ps(_mm_andnot_ps(sign, y), pk);
    }
#undef PQ__SQUARES
#undef PQ__HALF
#undef PQ__TERMS
    _mm_storeu_ps(c, ca);
    _mm_storeu_ps(c + 4, cb);
    _mm_storeu_ps(sn, sa);
    _mm_storeu_ps(sn + 4, sb);
    float l[4];
    _mm_storeu_ps(l, pk);
    sp[0] = _mm_cvtss_f32(ss);
    sp[2] = _mm_cvtss_f32(ss2);
    for (unsigned i = 0; i < 4u; i++)
        sp[1] = l[i] > sp[1] ? l[i] : sp[1];
    pq__rebuild(v, r2, j, n, VG_PQ_RESID_HARMONICS, c, sn, cr, sr, re, im, re2, im2, mean, sp, two);
}
#endif

/* Residual of the frame (in place: the frame is not needed afterwards) after removing the
 * mean and harmonics 1..7, then its peak and the largest matched-filter response relative
 * to its RMS. The harmonics are rebuilt with phasor recurrences, not per-sample sin/cos.
 * With a prediction (pre, pim: the harmonics 1..7 expected from the previous cycles), the
 * same for the residual after removing the mean and the prediction, into p->resid2, for
 * VG_PQ_TRANS_PREV. */
static void pq__residual(vg_pq_t *p, float mean, const float *hre, const float *him,
                         const float *pre, const float *pim, float *q)
{
    const uint16_t n = p->n;
    float *v = p->frame_v;
    float *r2 = pre ? p->resid2 : 0;
    uint16_t hn = p->h_max < VG_PQ_RESID_HARMONICS ? p->h_max : VG_PQ_RESID_HARMONICS;
    const float turn = p->cfg.f_nominal / p->cfg.fs; /* turns per sample of the fundamental */
    /* One rotating phasor per harmonic, all advanced together. Lane i holds harmonic i + 1;
     * the lanes past hn (at least the eighth) rotate a zero phasor and are never summed. The
     * lane loops have a constant trip count and no dependence between lanes, so a compiler
     * runs them as vector operations (two 4-float vectors); each lane does exactly the
     * operations of a scalar recurrence, and the sum over harmonics below keeps the order
     * h = 1, 2, ..., so the residual has the same bits either way. */
    float c[PQ_LANES], sn[PQ_LANES], cr[PQ_LANES], sr[PQ_LANES], re[PQ_LANES], im[PQ_LANES];
    float re2[PQ_LANES], im2[PQ_LANES];
    for (unsigned i = 0; i < PQ_LANES; i++) {
        cr[i] = 1.0f;
        sr[i] = 0.0f;
        re[i] = im[i] = re2[i] = im2[i] = 0.0f;
        c[i] = 1.0f;
        sn[i] = 0.0f;
    }
    for (uint16_t h = 1; h <= hn; h++) {
        vg_cis2pi_f32(turn * (float)h, &cr[h - 1], &sr[h - 1]);
        re[h - 1] = hre[h];
        im[h - 1] = him[h];
        if (r2) {
            re2[h - 1] = pre[h];
            im2[h - 1] = pim[h];
        }
    }
    float sp[3] = {0.0f, 0.0f, 0.0f}; /* v's sum of squares and largest |value|; r2's sum */
    int rebuilt = 0;
#if PQ_SSE2
    if (hn == VG_PQ_RESID_HARMONICS) {
        if (r2)
            pq__rebuild7_sse2(v, r2, n, c, sn, cr, sr, re, im, re2, im2, mean, sp, 1);
        else
            pq__rebuild7_sse2(v, r2, n, c, sn, cr, sr, re, im, re2, im2, mean, sp, 0);
        rebuilt = 1;
    }
#endif
    if (!rebuilt && r2)
        pq__rebuild(v, r2, 0, n, hn, c, sn, cr, sr, re, im, re2, im2, mean, sp, 1);
    else if (!rebuilt)
        pq__rebuild(v, r2, 0, n, hn, c, sn, cr, sr, re, im, re2, im2, mean, sp, 0);
    q[VG_PQ_RPEAK] = sp[1];
    q[VG_PQ_TRANS] = pq__trans(p, v, sp[0]);
    q[VG_PQ_TRANS_PREV] = r2 ? pq__trans(p, r2, sp[2]) : 0.0f;
}

/* The harmonics 1..7 this cycle should hold if the waveform went on as in the previous
 * cycles (up to VG_PQ_PREV_CYCLES of the ring, at most window_cycles - 1): each one's phasor
 * (stored at its frame's start) turned to this frame's start, then averaged. A frame is n
 * samples, so away from the nominal frequency every harmonic h turns by h times the
 * fundamental's turn per frame. That turn is measured on the fundamental phasors themselves
 * (the mean of P1(c) conj P1(c - 1) over the cycles used, this one included): the
 * zero-crossing frequency of one noisy cycle is tenths of a hertz off, which leaves a
 * residual sine as large as 20 dB noise. (h1re, h1im): this cycle's fundamental. Returns 0
 * when there is no previous cycle. */
static int pq__predict(const vg_pq_t *p, float h1re, float h1im, float *pre, float *pim)
{
    const uint32_t w = p->cfg.window_cycles;
    uint32_t kmax = VG_PQ_PREV_CYCLES < w - 1u ? VG_PQ_PREV_CYCLES : w - 1u;
    kmax = p->n_cycles < kmax ? p->n_cycles : kmax;
    if (kmax == 0)
        return 0;
    const float *ph[VG_PQ_PREV_CYCLES + 1];
    for (uint32_t k = 1; k <= kmax; k++)
        ph[k] = p->cycles + ((p->ring_head + w - k) % w) * VG_PQ_STRIDE + VG_PQ_PHASORS;
    /* the fundamental's turn per frame, as a unit complex number (1 when unmeasurable) */
    float zr = 0.0f, zi = 0.0f, ar = h1re, ai = h1im;
    for (uint32_t k = 1; k <= kmax; k++) {
        const float br = ph[k][0], bi = ph[k][1];
        zr += ar * br + ai * bi; /* a conj(b) */
        zi += ai * br - ar * bi;
        ar = br;
        ai = bi;
    }
    const float zn = sqrtf(zr * zr + zi * zi);
    if (zn > 1e-12f && zn <= 3.0e38f) {
        zr /= zn;
        zi /= zn;
    } else {
        zr = 1.0f;
        zi = 0.0f;
    }
    const uint16_t hn = p->h_max < VG_PQ_RESID_HARMONICS ? p->h_max : VG_PQ_RESID_HARMONICS;
    float hr = 1.0f, hi = 0.0f; /* z^h */
    for (uint16_t h = 1; h <= hn; h++) {
        float t = hr * zr - hi * zi;
        hi = hr * zi + hi * zr;
        hr = t;
        float rr = 1.0f, ri = 0.0f, sr = 0.0f, si = 0.0f; /* z^(h k), the sum */
        for (uint32_t k = 1; k <= kmax; k++) {
            t = rr * hr - ri * hi;
            ri = rr * hi + ri * hr;
            rr = t;
            const float xr = ph[k][2 * (h - 1)], xi = ph[k][2 * (h - 1) + 1];
            sr += xr * rr - xi * ri;
            si += xr * ri + xi * rr;
        }
        pre[h] = sr / (float)kmax;
        pim[h] = si / (float)kmax;
    }
    return 1;
}

/* The per-cycle quantities of the frame just completed, into q[VG_PQ_COUNT]. */
static void pq__cycle(vg_pq_t *p, float *q)
{
    const uint16_t n = p->n;
    const float *v = p->frame_v;
    const float fn = (float)n;
    /* After a reset there is no previous sample: the first step is not a step. */
    const float prev = p->n_cycles ? p->prev_v : v[0];
    float sum = 0.0f;
    /* The FFT's copy of the frame is made in the same pass (its own buffer, which is also
     * resid2: that is written only by pq__residual(), after the spectrum is read). */
    uint16_t k0 = 0;
#if PQ_SSE2
    /* 4 samples per load, added to the sum one after another (lane 0) */
    {
        __m128 s4 = _mm_setzero_ps();
        for (; k0 + 4u <= n; k0 += 4u) {
            const __m128 x = _mm_loadu_ps(v + k0);
            if (p->fft)
                _mm_storeu_ps(p->fft + k0, x);
            s4 = _mm_add_ss(s4, x);
            s4 = _mm_add_ss(s4, _mm_shuffle_ps(x, x, _MM_SHUFFLE(1, 1, 1, 1)));
            s4 = _mm_add_ss(s4, _mm_shuffle_ps(x, x, _MM_SHUFFLE(2, 2, 2, 2)));
            s4 = _mm_add_ss(s4, _mm_shuffle_ps(x, x, _MM_SHUFFLE(3, 3, 3, 3)));
        }
        sum = _mm_cvtss_f32(s4);
    }
#endif
    if (p->fft) {
        float *f = p->fft;
        for (uint16_t k = k0; k < n; k++) {
            sum += v[k];
            f[k] = v[k];
        }
    } else {
        for (uint16_t k = k0; k < n; k++)
            sum += v[k];
    }
    /* Largest |v| and |step|: maxima (NaN never wins), the same whatever the order, so 8
     * lanes at a time. */
    float peak = fabsf(v[0]) > 0.0f ? fabsf(v[0]) : 0.0f;
    float dmax = fabsf(v[0] - prev) > 0.0f ? fabsf(v[0] - prev) : 0.0f;
    uint16_t j = 1;
    {
        float pl[PQ_LANES], dl[PQ_LANES];
        for (unsigned i = 0; i < PQ_LANES; i++)
            pl[i] = dl[i] = 0.0f;
        for (; j + PQ_LANES <= n; j += PQ_LANES)
            for (unsigned i = 0; i < PQ_LANES; i++) {
                const float a = fabsf(v[j + i]), d = fabsf(v[j + i] - v[j + i - 1u]);
                pl[i] = a > pl[i] ? a : pl[i];
                dl[i] = d > dl[i] ? d : dl[i];
            }
        for (unsigned i = 0; i < PQ_LANES; i++) {
            peak = pl[i] > peak ? pl[i] : peak;
            dmax = dl[i] > dmax ? dl[i] : dmax;
        }
    }
    for (; j < n; j++) {
        const float a = fabsf(v[j]), d = fabsf(v[j] - v[j - 1u]);
        peak = a > peak ? a : peak;
        dmax = d > dmax ? d : dmax;
    }
    p->prev_v = v[n - 1u];
    const float mean = sum / fn;
    /* Skewness and kurtosis are scale-free: take the moments of v / peak so that fourth
     * powers cannot overflow for samples near VG_SAMPLE_ABS_MAX. */
    const float inv = peak > 1.0f ? 1.0f / peak : 1.0f;
    float m2 = 0.0f, m3 = 0.0f, m4 = 0.0f, var = 0.0f;
    k0 = 0;
#if PQ_SSE2
    /* 4 samples' terms at a time, transposed so that one vector holds a sample's four terms
     * (d^2, c^2, c^3, c^4): one addition then adds each to its own sum, lane by lane, in
     * sample order, as the scalar loop below does. */
    {
        const __m128 mv = _mm_set1_ps(mean), iv = _mm_set1_ps(inv);
        __m128 acc = _mm_setzero_ps(); /* var, m2, m3, m4 */
        for (; k0 + 4u <= n; k0 += 4u) {
            const __m128 d = _mm_sub_ps(_mm_loadu_ps(v + k0), mv), c = _mm_mul_ps(d, iv);
            __m128 t0 = _mm_mul_ps(d, d), t1 = _mm_mul_ps(c, c);
            __m128 t2 = _mm_mul_ps(t1, c), t3 = _mm_mul_ps(t1, t1);
            _MM_TRANSPOSE4_PS(t0, t1, t2, t3);
            acc = _mm_add_ps(acc, t0);
            acc = _mm_add_ps(acc, t1);
            acc = _mm_add_ps(acc, t2);
            acc = _mm_add_ps(acc, t3);
        }
        float a4[4];
        _mm_storeu_ps(a4, acc);
        var = a4[0];
        m2 = a4[1];
        m3 = a4[2];
        m4 = a4[3];
    }
#endif
    for (uint16_t k = k0; k < n; k++) {
        float d = v[k] - mean, c = d * inv, c2 = c * c;
        var += d * d;
        m2 += c2;
        m3 += c2 * c;
        m4 += c2 * c2;
    }
    var /= fn;
    m2 /= fn;
    m3 /= fn;
    m4 /= fn;
    const float ms = var + mean * mean;
    const float rms = sqrtf(ms);

    /* Harmonic amplitudes at h x f_nominal (the frame is one nominal cycle). */
    const float step = p->cfg.f_nominal / p->cfg.fs;
    float y1 = 0.0f, harm2 = 0.0f, hf2 = 0.0f, y3 = 0.0f, y5 = 0.0f, y7 = 0.0f, all2 = 0.0f;
    if (p->fft)
        (void)vg_rfft_f32(p->fft, n); /* n is a power of two in range: cannot fail */
    float hre[VG_PQ_RESID_HARMONICS + 1], him[VG_PQ_RESID_HARMONICS + 1];
    float odd2 = 0.0f, even2 = 0.0f, band2 = 0.0f, high2 = 0.0f;
    for (uint16_t h = 1; h <= p->h_max; h++) {
        float re, im, y;
        if (p->fft) {
            /* Bin h of the one-cycle FFT is harmonic h; 2 X / n is its complex amplitude. */
            re = p->fft[2u * h] * (2.0f / fn);
            im = p->fft[2u * h + 1u] * (2.0f / fn);
            y = sqrtf(re * re + im * im);
        } else {
            y = vg_goertzel_f32(v, n, step * (float)h, &re, &im);
        }
        if (h <= VG_PQ_RESID_HARMONICS) {
            hre[h] = re;
            him[h] = im;
        }
        if (h <= VG_PQ_COH_H) {
            q[VG_PQ_PHASORS + 2 * (h - 1)] = re;
            q[VG_PQ_PHASORS + 2 * (h - 1) + 1] = im;
        }
        float y2 = y * y;
        all2 += y2;
        if (h == 1)
            y1 = y;
        else
            harm2 += y2;
        if (h == 6 || (h >= 8 && h <= 18))
            hf2 += y2;
        if (h >= 6) {
            high2 += y2;
            if (h <= 18)
                band2 += y2;
        }
        if (h >= 2 && h <= 9) {
            if (h & 1u)
                odd2 += y2;
            else
                even2 += y2;
        }
        if (h == 3)
            y3 = y;
        else if (h == 5)
            y5 = y;
        else if (h == 7)
            y7 = y;
    }
    const float y1s = y1 > 1e-9f ? y1 : 1e-9f;
    const float resid2 = var - 0.5f * all2;

    q[VG_PQ_RMS] = rms;
    q[VG_PQ_HRMS_MIN] = p->hrms_lo;
    q[VG_PQ_HRMS_MAX] = p->hrms_hi;
    q[VG_PQ_PEAK] = peak;
    q[VG_PQ_CREST] = peak / (rms > 1e-9f ? rms : 1e-9f);
    if (p->period_count) {
        float period = (float)(p->period_sum / (double)p->period_count);
        if (period > 0.0f)
            p->freq = p->cfg.fs / period;
        p->period_sum = 0.0;
        p->period_count = 0;
    }
    q[VG_PQ_FREQ] = p->freq;
    q[VG_PQ_H1] = y1;
    q[VG_PQ_THD] = sqrtf(harm2) / y1s;
    q[VG_PQ_H3] = y3 / y1s;
    q[VG_PQ_H5] = y5 / y1s;
    q[VG_PQ_H7] = y7 / y1s;
    q[VG_PQ_RESID] = sqrtf(resid2 > 0.0f ? resid2 : 0.0f) / (y1s * 0.70710678f);
    q[VG_PQ_DMAX] = dmax;
    q[VG_PQ_SKEW] = m2 > 1e-12f ? m3 / (m2 * sqrtf(m2)) : 0.0f;
    q[VG_PQ_KURT] = m2 > 1e-12f ? m4 / (m2 * m2) : 0.0f;
    q[VG_PQ_HF] = sqrtf(hf2) / y1s;
    q[VG_PQ_OT_BAND] = sqrtf(band2) / y1s;
    q[VG_PQ_OT_SHARE] = high2 > 0.0f ? band2 / high2 : 0.0f;
    q[VG_PQ_ODD] = sqrtf(odd2) / y1s;
    q[VG_PQ_EVEN] = sqrtf(even2) / y1s;
    if (p->frame_i) {
        float ssi = 0.0f, pv = 0.0f;
        for (uint16_t k = 0; k < n; k++) {
            ssi += p->frame_i[k] * p->frame_i[k];
            pv += v[k] * p->frame_i[k];
        }
        float irms = sqrtf(ssi / fn), pw = pv / fn, s = rms * irms;
        /* Q = sqrt(S^2 - P^2) without squaring S, which overflows for huge samples. */
        float pf = s > 1e-9f ? pw / s : 0.0f;
        q[VG_PQ_IRMS] = irms;
        q[VG_PQ_P] = pw;
        q[VG_PQ_S] = s;
        float r = 1.0f - pf * pf;
        q[VG_PQ_Q] = s * sqrtf(r > 0.0f ? r : 0.0f);
        q[VG_PQ_PF] = pf;
    } else {
        for (unsigned k = VG_PQ_IRMS; k <= VG_PQ_PF; k++)
            q[k] = 0.0f;
    }
    /* Last: the residual overwrites the frame. Without a previous cycle, the prediction is
     * this cycle's own harmonics (VG_PQ_TRANS_PREV = VG_PQ_TRANS). */
    float pre[VG_PQ_RESID_HARMONICS + 1], pim[VG_PQ_RESID_HARMONICS + 1];
    const int predicted = p->resid2 && pq__predict(p, hre[1], him[1], pre, pim);
    pq__residual(p, mean, hre, him, predicted ? pre : 0, predicted ? pim : 0, q);
    if (p->resid2 && !predicted)
        q[VG_PQ_TRANS_PREV] = q[VG_PQ_TRANS];
}

/* Cycle selections of the window aggregates, one bit each in pq__aggregate()'s sel[]: all
 * cycles; below and above mid-range RMS (a dip, a rise); wholly in the bottom or top quarter
 * of the range (inside a dip or rise, no edge). */
enum { PQ_S_ALL, PQ_S_DIP, PQ_S_RISE, PQ_S_IN_DIP, PQ_S_IN_RISE, PQ_SELECTIONS };

/* Per-window scratch of pq__aggregate: every statistic is computed once, however many
 * features use it (a default model asks for rms.min, rms.max, rms.mean, ...). Each kind is
 * computed for all its members in one pass over the ring the first time a feature needs it:
 * one pass costs less than the loop and call overheads of one member at a time, and every
 * member's sum still runs over the cycles in ring order from 0, so the values keep their
 * bits. */
typedef struct {
    const uint8_t *sel; /* per cycle, bit s set when selection s holds it: all
                           cycles, in a dip, in a rise, wholly in a dip, wholly in a
                           rise (PQ_SELECTIONS) */
    float coh[PQ_SELECTIONS][VG_PQ_COH_H + 1]; /* window harmonic amplitudes */
    uint8_t have_coh[PQ_SELECTIONS];
    uint8_t have_stats;
    float mn[VG_PQ_COUNT], mx[VG_PQ_COUNT], mean[VG_PQ_COUNT];
} pq_win_t;

/* Window-level harmonic amplitudes of orders 1..VG_PQ_COH_H from the mean phasors over the
 * cycles of selection s. Frames are one nominal cycle long, so every frame starts at the same
 * phase of each harmonic. */
static void pq__coh_all(const vg_pq_t *p, pq_win_t *wv, unsigned s)
{
    const uint32_t w = p->cfg.window_cycles;
    const uint8_t *sel = wv->sel, bit = (uint8_t)(1u << s);
    float acc[2 * VG_PQ_COH_H]; /* re, im of harmonics 1..VG_PQ_COH_H */
    for (unsigned i = 0; i < 2 * VG_PQ_COH_H; i++)
        acc[i] = 0.0f;
    uint32_t k = 0;
    for (uint32_t c = 0; c < w; c++) {
        if (!(sel[c] & bit))
            continue;
        const float *ph = p->cycles + c * VG_PQ_STRIDE + VG_PQ_PHASORS;
        /* groups of 4 (one vector each) and the rest: lane-wise, the order is the same */
        unsigned i = 0;
        for (; i + 4u <= 2 * VG_PQ_COH_H; i += 4u)
            for (unsigned l = 0; l < 4u; l++)
                acc[i + l] += ph[i + l];
        for (; i < 2 * VG_PQ_COH_H; i++)
            acc[i] += ph[i];
        k++;
    }
    wv->coh[s][0] = 0.0f;
    for (unsigned h = 1; h <= VG_PQ_COH_H; h++) {
        const float re = acc[2 * (h - 1)], im = acc[2 * (h - 1) + 1];
        wv->coh[s][h] = k ? sqrtf(re * re + im * im) / (float)k : 0.0f;
    }
    wv->have_coh[s] = 1;
}

static float pq__coh_qty(const vg_pq_t *p, pq_win_t *wv, unsigned q, float mean, unsigned s)
{
    /* The amplitude of order h is coh[h] for h <= h_max and 0 past it, as a lookup with a
     * range test and a lazy pass per order used to give; the selection's pass is made once
     * here (the fundamental was always asked for first, so it always ran). */
    if (!wv->have_coh[s])
        pq__coh_all(p, wv, s);
    const float *coh = wv->coh[s];
    const unsigned hm = p->h_max < VG_PQ_COH_H ? p->h_max : VG_PQ_COH_H;
    float y1 = coh[1];
    float y1s = y1 > 1e-9f ? y1 : 1e-9f;
    float acc = 0.0f;
    switch (q) {
    case VG_PQ_H1: return y1;
    case VG_PQ_H3: return (3u <= hm ? coh[3] : 0.0f) / y1s;
    case VG_PQ_H5: return (5u <= hm ? coh[5] : 0.0f) / y1s;
    case VG_PQ_H7: return (7u <= hm ? coh[7] : 0.0f) / y1s;
    case VG_PQ_THD:
    case VG_PQ_ODD:
    case VG_PQ_EVEN: {
        /* the same additions in the same order, 0 for an order past h_max as before */
        const unsigned h0 = q == VG_PQ_EVEN ? 2u : q == VG_PQ_ODD ? 3u : 2u;
        const unsigned dh = q == VG_PQ_THD ? 1u : 2u;
        for (unsigned h = h0; h <= VG_PQ_COH_H; h += dh) {
            const float y = h <= hm ? coh[h] : 0.0f;
            acc += y * y;
        }
        return sqrtf(acc) / y1s;
    }
    default: return mean;
    }
}

/* Median of the absolute differences between consecutive cycles of quantity qi, in time
 * order (the ring's oldest slot is ring_head). Insertion sort: windows are short. */
static float pq__mdiff(const vg_pq_t *p, unsigned qi)
{
    const uint32_t w = p->cfg.window_cycles;
    float d[VG_PQ_MAX_WINDOW];
    uint32_t k = 0;
    /* slots a = (ring_head + c - 1) % w and b = (ring_head + c) % w, stepped without a
     * division */
    uint32_t a = p->ring_head, b = a + 1u == w ? 0u : a + 1u;
    for (uint32_t c = 1; c < w; c++, a = b, b = b + 1u == w ? 0u : b + 1u) {
        float x = fabsf(p->cycles[b * VG_PQ_STRIDE + qi] - p->cycles[a * VG_PQ_STRIDE + qi]);
        uint32_t j = k++;
        for (; j > 0 && d[j - 1] > x; j--)
            d[j] = d[j - 1];
        d[j] = x;
    }
    if (k == 0)
        return 0.0f;
    return k & 1u ? d[k / 2] : 0.5f * (d[k / 2 - 1] + d[k / 2]);
}

/* Population standard deviation of quantity qi over the cycles of selection s (two passes:
 * mean, then squares); 0 when fewer than two cycles are selected. */
static float pq__sd_sel(const vg_pq_t *p, const uint8_t *sel, unsigned s, unsigned qi)
{
    const uint32_t w = p->cfg.window_cycles;
    const uint8_t bit = (uint8_t)(1u << s);
    float sum = 0.0f;
    uint32_t k = 0;
    for (uint32_t c = 0; c < w; c++)
        if (sel[c] & bit) {
            sum += p->cycles[c * VG_PQ_STRIDE + qi];
            k++;
        }
    if (k < 2u)
        return 0.0f;
    const float mean = sum / (float)k;
    float ss = 0.0f;
    for (uint32_t c = 0; c < w; c++)
        if (sel[c] & bit) {
            const float d = p->cycles[c * VG_PQ_STRIDE + qi] - mean;
            ss += d * d;
        }
    return sqrtf(ss / (float)k);
}

/* Minimum, maximum and mean over the window of every quantity. The minimum and maximum start
 * at the first slot's value (a NaN there stays), as they always have. */
static void pq__stats(const vg_pq_t *p, pq_win_t *wv)
{
    const uint32_t w = p->cfg.window_cycles;
    float sum[VG_PQ_COUNT];
    for (unsigned q = 0; q < VG_PQ_COUNT; q++) {
        wv->mn[q] = wv->mx[q] = p->cycles[q];
        sum[q] = 0.0f;
    }
    for (uint32_t c = 0; c < w; c++) {
        const float *row = p->cycles + c * VG_PQ_STRIDE;
        /* groups of 4 (one vector each) and the rest, as in pq__coh_all() */
        unsigned q = 0;
        for (; q + 4u <= VG_PQ_COUNT; q += 4u)
            for (unsigned l = 0; l < 4u; l++) {
                const float x = row[q + l];
                wv->mn[q + l] = x < wv->mn[q + l] ? x : wv->mn[q + l];
                wv->mx[q + l] = x > wv->mx[q + l] ? x : wv->mx[q + l];
                sum[q + l] += x;
            }
        for (; q < VG_PQ_COUNT; q++) {
            const float x = row[q];
            wv->mn[q] = x < wv->mn[q] ? x : wv->mn[q];
            wv->mx[q] = x > wv->mx[q] ? x : wv->mx[q];
            sum[q] += x;
        }
    }
    for (unsigned q = 0; q < VG_PQ_COUNT; q++)
        wv->mean[q] = sum[q] / (float)w;
    wv->have_stats = 1;
}

static void pq__aggregate(const vg_pq_t *p, float *feats)
{
    const uint32_t w = p->cfg.window_cycles;
    /* Cycle selections for the coherent aggregates (one bit each): all; below and above
     * mid-range RMS; wholly in the bottom or top quarter of the range (both half-cycle RMS
     * there: no edge of a sag or swell inside, whose step would leak into every harmonic);
     * and the cycles where the RMS dips and rises most (at_low, at_high). */
    uint8_t sel[VG_PQ_MAX_WINDOW];
    float lo = p->cycles[VG_PQ_HRMS_MIN], hi = p->cycles[VG_PQ_HRMS_MAX];
    uint32_t at_lo = 0, at_hi = 0;
    for (uint32_t c = 0; c < w; c++) {
        float a = p->cycles[c * VG_PQ_STRIDE + VG_PQ_HRMS_MIN];
        float b = p->cycles[c * VG_PQ_STRIDE + VG_PQ_HRMS_MAX];
        if (a < lo) {
            lo = a;
            at_lo = c;
        }
        if (b > hi) {
            hi = b;
            at_hi = c;
        }
    }
    const float mid = 0.5f * (lo + hi), q_lo = lo + 0.25f * (hi - lo),
                q_hi = hi - 0.25f * (hi - lo);
    for (uint32_t c = 0; c < w; c++) {
        const float a = p->cycles[c * VG_PQ_STRIDE + VG_PQ_HRMS_MIN];
        const float b = p->cycles[c * VG_PQ_STRIDE + VG_PQ_HRMS_MAX];
        sel[c] = (uint8_t)(1u << PQ_S_ALL | (a < mid ? 1u << PQ_S_DIP : 0u) |
                           (b > mid ? 1u << PQ_S_RISE : 0u) | (b <= q_lo ? 1u << PQ_S_IN_DIP : 0u) |
                           (a >= q_hi ? 1u << PQ_S_IN_RISE : 0u));
    }
    pq_win_t wv;
    wv.sel = sel;
    for (unsigned s = 0; s < PQ_SELECTIONS; s++)
        wv.have_coh[s] = 0;
    wv.have_stats = 0;
    for (uint16_t k = 0; k < p->cfg.n_features; k++) {
        unsigned qi = p->cfg.feats[k].channel, agg = p->cfg.feats[k].feature;
        if (agg == VG_AGG_AT_LOW || agg == VG_AGG_AT_HIGH) {
            feats[k] = p->cycles[(agg == VG_AGG_AT_LOW ? at_lo : at_hi) * VG_PQ_STRIDE + qi];
            continue;
        }
        if (agg == VG_AGG_MDIFF) {
            feats[k] = pq__mdiff(p, qi);
            continue;
        }
        if (agg == VG_AGG_SD_IN_LOW || agg == VG_AGG_SD_IN_HIGH) {
            feats[k] = pq__sd_sel(p, sel, agg == VG_AGG_SD_IN_LOW ? PQ_S_IN_DIP : PQ_S_IN_RISE, qi);
            continue;
        }
        if (!wv.have_stats)
            pq__stats(p, &wv);
        const float mean = wv.mean[qi];
        float out;
        switch (agg) {
        case VG_AGG_MIN: out = wv.mn[qi]; break;
        case VG_AGG_MAX: out = wv.mx[qi]; break;
        case VG_AGG_MEAN: out = mean; break;
        case VG_AGG_RANGE: out = wv.mx[qi] - wv.mn[qi]; break;
        case VG_AGG_COH: out = pq__coh_qty(p, &wv, qi, mean, PQ_S_ALL); break;
        case VG_AGG_COH_LOW: out = pq__coh_qty(p, &wv, qi, mean, PQ_S_DIP); break;
        case VG_AGG_COH_HIGH: out = pq__coh_qty(p, &wv, qi, mean, PQ_S_RISE); break;
        case VG_AGG_COH_IN_LOW: out = pq__coh_qty(p, &wv, qi, mean, PQ_S_IN_DIP); break;
        case VG_AGG_COH_IN_HIGH: out = pq__coh_qty(p, &wv, qi, mean, PQ_S_IN_RISE); break;
        default: out = pq__sd_sel(p, sel, PQ_S_ALL, qi); break;
        }
        feats[k] = out;
    }
}

/* One sample vector into the frame and the half-cycle sum of squares; pos advances. The
 * band-pass and the zero crossings run over the whole half frame at its end
 * (pq__boundary). */
static void pq__one(vg_pq_t *p, const float *x)
{
    /* The negated comparisons are also true for NaN. */
    float v = x[0];
    if (!(fabsf(v) <= VG_SAMPLE_ABS_MAX)) {
        v = p->gap_v ? p->hold_v : 2.0f * p->hold_v - p->hold_v2;
        p->gap_v = 1;
        p->miss++;
    } else {
        p->gap_v = 0;
    }
    p->hold_v2 = p->hold_v;
    p->hold_v = v;
    v *= p->cfg.scale;
    p->frame_v[p->pos] = v;
    if (p->frame_i) {
        float i = x[1];
        if (!(fabsf(i) <= VG_SAMPLE_ABS_MAX)) {
            i = p->gap_i ? p->hold_i : 2.0f * p->hold_i - p->hold_i2;
            p->gap_i = 1;
            p->miss++;
        } else {
            p->gap_i = 0;
        }
        p->hold_i2 = p->hold_i;
        p->hold_i = i;
        p->frame_i[p->pos] = i * p->cfg.scale_i;
    }
    p->ss_half[1] += v * v; /* at most half a cycle of squares: float is enough */
    p->pos++;
}

/* Positive zero crossings of m band-passed samples, each interpolated between samples: it
 * happened (1 - frac) samples before the sample that is not negative. */
static void pq__crossings(vg_pq_t *p, const float *f, size_t m)
{
    float prev = p->prev_f, last = p->last_cross;
    for (size_t k = 0; k < m; k++) {
        last += 1.0f;
        if (prev < 0.0f && f[k] >= 0.0f) {
            float frac = prev / (prev - f[k]);
            float back = 1.0f - frac;
            /* The band-pass needs about VG_PQ_SETTLE_CYCLES after a reset before its
             * crossings mark the fundamental's period; until then the frequency stays
             * nominal. */
            if (p->have_cross && p->n_cycles >= VG_PQ_SETTLE_CYCLES) {
                p->period_sum += (double)(last - back);
                p->period_count++;
            }
            p->have_cross = 1;
            last = back;
        }
        prev = f[k];
    }
    p->prev_f = prev;
    p->last_cross = last;
}

/* m >= 1 valid sample vectors (every value finite and within VG_SAMPLE_ABS_MAX) that stay
 * inside the current half frame: the same state pq__one() leaves after m calls, bit for bit,
 * with the per-sample branches and state loads out of the loops. */
static void pq__run(vg_pq_t *p, const float *x, size_t m)
{
    const size_t nc = p->frame_i ? 2u : 1u;
    float *fv = p->frame_v + p->pos;
    const float sc = p->cfg.scale;
    float ss = p->ss_half[1];
    for (size_t k = 0; k < m; k++) {
        const float v = x[k * nc] * sc;
        fv[k] = v;
        ss += v * v;
    }
    p->ss_half[1] = ss;
    p->hold_v2 = m > 1 ? x[(m - 2) * nc] : p->hold_v;
    p->hold_v = x[(m - 1) * nc];
    p->gap_v = 0;
    if (p->frame_i) {
        float *fi = p->frame_i + p->pos;
        const float si = p->cfg.scale_i;
        for (size_t k = 0; k < m; k++)
            fi[k] = x[k * 2u + 1u] * si;
        p->hold_i2 = m > 1 ? x[(m - 2) * 2u + 1u] : p->hold_i;
        p->hold_i = x[(m - 1) * 2u + 1u];
        p->gap_i = 0;
    }
    p->pos += (uint32_t)m;
}

/* The frequency tracker over the half frame that just ended, frame_v[from, to): band-pass
 * (the block kernel, equal to vg_sos_step_f32() per sample, vg_sos.h) and zero crossings.
 * Only the frame end reads what it finds (period_sum, period_count), so running it once per
 * half frame instead of once per sample changes nothing but the cost, for both push APIs. */
static void pq__track(vg_pq_t *p, uint32_t from, uint32_t to)
{
    const float *fv = p->frame_v;
    if (!p->cfg.n_sos) {
        pq__crossings(p, fv + from, to - from);
        return;
    }
    float f[VG_PQ_BLOCK];
    for (uint32_t k = from; k < to; k += VG_PQ_BLOCK) {
        const size_t len = to - k < VG_PQ_BLOCK ? to - k : VG_PQ_BLOCK;
        vg_sos_f32(p->cfg.sos, p->cfg.n_sos, p->sos_state, fv + k, f, len);
        pq__crossings(p, f, len);
    }
}

/* Work at a half-frame boundary (refresh Urms(1/2)) and at a frame end (the cycle's
 * quantities, and every hop a window). Returns 1 when a cycle completed. */
static int pq__boundary(vg_pq_t *p, float *feats, uint8_t *done, uint16_t *missing_pm, float *cyc,
                        uint8_t *cycle_done)
{
    const uint32_t half = p->n / 2u;
    if (p->pos != half && p->pos != p->n)
        return 0;
    pq__track(p, p->pos == half ? 0u : half, p->pos);
    /* IEC 61000-4-30 Urms(1/2): the RMS of the last full cycle, refreshed every half cycle. */
    float hr = sqrtf((p->ss_half[0] + p->ss_half[1]) / (float)p->n);
    if (p->pos == half && p->n_cycles == 0) {
        /* Half a cycle after a reset there is no full cycle to take the RMS of yet: the
         * first refresh comes at the end of the first cycle. */
        p->hrms_lo = INFINITY;
        p->hrms_hi = 0.0f;
    } else if (p->pos == half) {
        p->hrms_lo = p->hrms_hi = hr;
    } else {
        p->hrms_lo = hr < p->hrms_lo ? hr : p->hrms_lo;
        p->hrms_hi = hr > p->hrms_hi ? hr : p->hrms_hi;
    }
    p->ss_half[0] = p->ss_half[1];
    p->ss_half[1] = 0.0f;
    if (p->pos != p->n)
        return 0;

    p->pos = 0;
    float *slot = p->cycles + (size_t)p->ring_head * VG_PQ_STRIDE;
    pq__cycle(p, slot);
    slot[VG_PQ_COUNT] = (float)p->miss;
    p->miss = 0;
    if (cyc) {
        for (unsigned k = 0; k < VG_PQ_COUNT; k++)
            cyc[k] = slot[k];
    }
    if (cycle_done)
        *cycle_done = 1;
    p->ring_head = p->ring_head + 1u == p->cfg.window_cycles ? 0u : p->ring_head + 1u;
    if (p->n_cycles < 0xFFFFFFFFu)
        p->n_cycles++;
    p->since++;
    if (p->n_cycles < p->cfg.window_cycles || (p->started && p->since < p->cfg.hop_cycles))
        return 1;
    p->since = 0;
    p->started = 1;
    pq__aggregate(p, feats);
    float miss = 0.0f;
    for (uint32_t c = 0; c < p->cfg.window_cycles; c++)
        miss += p->cycles[c * VG_PQ_STRIDE + VG_PQ_COUNT];
    float total = (float)p->cfg.window_cycles * (float)p->n * (float)p->cfg.n_channels;
    *missing_pm = (uint16_t)(1000.0f * miss / total + 0.999f);
    *done = 1;
    return 1;
}

void vg_pq_push(vg_pq_t *p, const float *x, float *feats, uint8_t *done, uint16_t *missing_pm,
                float *cyc, uint8_t *cycle_done)
{
    *done = 0;
    if (cycle_done)
        *cycle_done = 0;
    pq__one(p, x);
    /* The test is pq__boundary()'s own, here so that most samples make no call. */
    if (p->pos == p->n / 2u || p->pos == p->n)
        (void)pq__boundary(p, feats, done, missing_pm, cyc, cycle_done);
}

static int pq__valid(const float *x, size_t nc)
{
    /* The negated comparison of pq__one(): NaN is not valid either. */
    return fabsf(x[0]) <= VG_SAMPLE_ABS_MAX && (nc < 2 || fabsf(x[1]) <= VG_SAMPLE_ABS_MAX);
}

size_t vg_pq_push_block(vg_pq_t *p, const float *x, size_t n, float *feats, uint8_t *done,
                        uint16_t *missing_pm, float *cyc, uint8_t *cycle_done)
{
    const size_t nc = p->frame_i ? 2u : 1u;
    const uint32_t half = p->n / 2u;
    size_t k = 0;
    *done = 0;
    if (cycle_done)
        *cycle_done = 0;
    while (k < n) {
        /* Up to the next half-frame boundary: no boundary work inside a run. */
        const size_t room = (p->pos < half ? half : p->n) - p->pos;
        const size_t m = n - k < room ? n - k : room;
        size_t ok = 0;
        if (nc == 1) {
            /* Voltage only: 8 samples per test (lane-wise, vectorised), then one at a time
             * to find a missing one. */
            const float *xv = x + k;
            for (; ok + 8u <= m; ok += 8u) {
                int bad = 0;
                for (unsigned l = 0; l < 8u; l++)
                    bad |= !(fabsf(xv[ok + l]) <= VG_SAMPLE_ABS_MAX);
                if (bad)
                    break;
            }
        }
        while (ok < m && pq__valid(x + (k + ok) * nc, nc))
            ok++;
        if (ok) {
            pq__run(p, x + k * nc, ok);
            k += ok;
        }
        if (ok < m) {
            /* A missing value: filled by vg_pq_push() itself, and the block ends here. */
            vg_pq_push(p, x + k * nc, feats, done, missing_pm, cyc, cycle_done);
            return k + 1u;
        }
        if (pq__boundary(p, feats, done, missing_pm, cyc, cycle_done))
            return k;
    }
    return k;
}

vg_pq_cfg_t vg_pq_cfg_from_model(const vg_model_t *m)
{
    vg_pq_cfg_t c;
    c.fs = m->sample_rate;
    c.f_nominal = m->wave.f_nominal;
    c.scale = m->wave.scale;
    c.scale_i = m->wave.scale_i;
    c.n_channels = m->n_channels;
    c.window_cycles = m->window;
    c.hop_cycles = m->hop;
    c.max_harmonic = m->wave.max_harmonic;
    c.n_features = m->n_features;
    c.feats = m->feats;
    c.sos = (const vg_biquad_t *)(const void *)m->wave.sos;
    c.n_sos = m->wave.n_sos;
    return c;
}
#else
typedef int vg_pq_disabled_t; /* ISO C wants a translation unit to declare something */
#endif
