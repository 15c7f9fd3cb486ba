/* SPDX-License-Identifier: MIT */
#include "vigil/vg_fft.h"
#include "vigil/vg_mathf.h"
#include "vigil/vg_opts.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#define FFT_TWO_PI 6.28318530717958647692f

/* x86-64 always has SSE2 (as in vg_sos.c); other targets, and VG_DISABLE_SPECIALIZATION
 * builds, take the portable butterflies only. */
#if defined(__SSE2__) && !VG_DISABLE_SPECIALIZATION
#define FFT_SSE2 1
#include <xmmintrin.h>
#else
#define FFT_SSE2 0
#endif

/* cos and sin of 2 pi t for t in [0, 1): the core's own (vg_mathf.h), so every target
 * computes the same twiddles. */
static void fft__cis(float t, float *c, float *s)
{
    vg_cis2pi_f32(t, c, s);
}

/* Twiddles w_j = exp(sign 2 pi i j / m), j = 0, 1, 2, ... in order. Between exact reseeds
 * (every VG_FFT_RESEED steps) w advances by w += w (alpha + i beta), alpha = cos d - 1 =
 * -2 sin^2(d/2), beta = sin d: the increment is O(d) small, so each step's rounding is
 * relative to the increment rather than to w (Singleton 1967). */
typedef struct {
    float c, s, alpha, beta, inv_m, sign;
    size_t j;
} fft_tw_t;

static void fft__tw_init(fft_tw_t *t, size_t m, float sign)
{
    const float inv_m = 1.0f / (float)m; /* exact: m is a power of two */
    float c, s, hc, h;
    vg_cis2pi_f32(0.5f * inv_m, &hc, &h); /* h = sin(pi / m) */
    fft__cis(inv_m, &c, &s);
    t->alpha = -2.0f * h * h;
    t->beta = sign * s;
    t->inv_m = inv_m;
    t->sign = sign;
    t->c = 1.0f;
    t->s = 0.0f;
    t->j = 0;
}

/* Advance to w_{j+1}; call after using w_j. Inline: it runs once per butterfly group. */
static inline void fft__tw_next(fft_tw_t *t)
{
    t->j++;
    if (t->j % VG_FFT_RESEED == 0) {
        float c, s;
        fft__cis((float)t->j * t->inv_m, &c, &s);
        t->c = c;
        t->s = t->sign * s;
    } else {
        const float c = t->c, s = t->s;
        t->c = c + (t->alpha * c - t->beta * s);
        t->s = s + (t->alpha * s + t->beta * c);
    }
}

static int fft__size_ok(size_t n)
{
    return n >= VG_FFT_MIN_N && n <= VG_FFT_MAX_N && (n & (n - 1u)) == 0;
}

/* In-place radix-2 decimation-in-time complex FFT of nc points stored as (re, im) pairs;
 * sign -1 forward, +1 inverse (unscaled). */
static void fft__complex(float *b, size_t nc, float sign)
{
    /* bit-reversal permutation */
    for (size_t i = 0, j = 0; i < nc; i++) {
        if (i < j) {
            const float tr = b[2 * i], ti = b[2 * i + 1];
            b[2 * i] = b[2 * j];
            b[2 * i + 1] = b[2 * j + 1];
            b[2 * j] = tr;
            b[2 * j + 1] = ti;
        }
        size_t bit = nc >> 1;
        while (bit && (j & bit)) {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
    }
    /* first pass, m = 2: twiddle 1 */
    for (size_t k = 0; k < nc; k += 2) {
        const float ar = b[2 * k], ai = b[2 * k + 1], br = b[2 * k + 2], bi = b[2 * k + 3];
        b[2 * k] = ar + br;
        b[2 * k + 1] = ai + bi;
        b[2 * k + 2] = ar - br;
        b[2 * k + 3] = ai - bi;
    }
    for (size_t m = 4; m <= nc; m <<= 1) {
        const size_t h = m >> 1;
        fft_tw_t tw;
        fft__tw_init(&tw, m, sign);
#if FFT_SSE2
        /* Two butterflies at once, j and j + 1 (h >= 2 is even), each complex number a pair of
         * lanes: with x0 = (q0 wr, q0 wi) and x1 = (q1 wi, q1 wr), tr = q0 wr - q1 wi is lane 0
         * of x0 - x1 and ti = q0 wi + q1 wr lane 1 of x0 + x1; then p - t and p + t. These are
         * the scalar loop's operations on every value, so the bits are the same (a + (-b)
         * instead of a - b would be too, except for the sign of a NaN). */
        for (size_t j = 0; j < h; j += 2) {
            const float c0 = tw.c, s0 = tw.s;
            fft__tw_next(&tw);
            const float c1 = tw.c, s1 = tw.s;
            fft__tw_next(&tw);
            const __m128 w1 = _mm_setr_ps(c0, s0, c1, s1), w2 = _mm_setr_ps(s0, c0, s1, c1);
            for (size_t k = j; k < nc; k += m) {
                float *p = b + 2 * k, *q = b + 2 * (k + h);
                const __m128 pv = _mm_loadu_ps(p), qv = _mm_loadu_ps(q);
                const __m128 x0 = _mm_mul_ps(_mm_shuffle_ps(qv, qv, _MM_SHUFFLE(2, 2, 0, 0)), w1);
                const __m128 x1 = _mm_mul_ps(_mm_shuffle_ps(qv, qv, _MM_SHUFFLE(3, 3, 1, 1)), w2);
                const __m128 d = _mm_sub_ps(x0, x1), e = _mm_add_ps(x0, x1);
                const __m128 de = _mm_shuffle_ps(d, e, _MM_SHUFFLE(3, 1, 2, 0));  /* d0 d2 e1 e3 */
                const __m128 t = _mm_shuffle_ps(de, de, _MM_SHUFFLE(3, 1, 2, 0)); /* d0 e1 d2 e3 */
                _mm_storeu_ps(q, _mm_sub_ps(pv, t));
                _mm_storeu_ps(p, _mm_add_ps(pv, t));
            }
        }
#else
        for (size_t j = 0; j < h; j++) {
            const float wr = tw.c, wi = tw.s;
            for (size_t k = j; k < nc; k += m) {
                float *p = b + 2 * k, *q = b + 2 * (k + h);
                const float tr = q[0] * wr - q[1] * wi;
                const float ti = q[0] * wi + q[1] * wr;
                q[0] = p[0] - tr;
                q[1] = p[1] - ti;
                p[0] += tr;
                p[1] += ti;
            }
            fft__tw_next(&tw);
        }
#endif
    }
}

vg_status_t vg_rfft_f32(float *buf, size_t n)
{
    if (!buf)
        return VG_ERR_ARG;
    if (!fft__size_ok(n))
        return VG_ERR_SIZE;
    /* n reals as nc = n/2 complex points z[j] = x[2j] + i x[2j+1]; Z = FFT(z); then
     * X[k] = E[k] + W^k O[k], X[nc-k] = conj(E[k] - W^k O[k]) with W = exp(-2 pi i / n),
     * E[k] = (Z[k] + conj Z[nc-k]) / 2 and O[k] = (Z[k] - conj Z[nc-k]) / 2i. */
    const size_t nc = n / 2;
    fft__complex(buf, nc, -1.0f);
    const float z0r = buf[0], z0i = buf[1];
    buf[0] = z0r + z0i;         /* X[0] */
    buf[1] = z0r - z0i;         /* X[n/2] */
    buf[nc + 1] = -buf[nc + 1]; /* X[n/4] = conj Z[n/4] */
    fft_tw_t tw;
    fft__tw_init(&tw, n, -1.0f);
    fft__tw_next(&tw);
    for (size_t k = 1; k < nc / 2; k++) {
        float *a = buf + 2 * k, *b = buf + 2 * (nc - k);
        const float er = 0.5f * (a[0] + b[0]), ei = 0.5f * (a[1] - b[1]);
        const float or_ = 0.5f * (a[1] + b[1]), oi = -0.5f * (a[0] - b[0]);
        const float tr = tw.c * or_ - tw.s * oi, ti = tw.c * oi + tw.s * or_;
        a[0] = er + tr;
        a[1] = ei + ti;
        b[0] = er - tr;
        b[1] = ti - ei;
        fft__tw_next(&tw);
    }
    return VG_OK;
}

vg_status_t vg_irfft_f32(float *buf, size_t n)
{
    if (!buf)
        return VG_ERR_ARG;
    if (!fft__size_ok(n))
        return VG_ERR_SIZE;
    /* Undo the split: 2E[k] = X[k] + conj X[nc-k], 2O[k] = (X[k] - conj X[nc-k]) conj W^k,
     * 2Z[k] = 2E[k] + i 2O[k], 2Z[nc-k] = conj 2E[k] + i conj 2O[k]; the factor 2 and the
     * inverse FFT's 1/nc are removed together by one exact scaling by 1/n at the end. */
    const size_t nc = n / 2;
    const float x0 = buf[0], xn = buf[1];
    buf[0] = x0 + xn;
    buf[1] = x0 - xn;
    buf[nc] = 2.0f * buf[nc];
    buf[nc + 1] = -2.0f * buf[nc + 1];
    fft_tw_t tw;
    fft__tw_init(&tw, n, 1.0f);
    fft__tw_next(&tw);
    for (size_t k = 1; k < nc / 2; k++) {
        float *a = buf + 2 * k, *b = buf + 2 * (nc - k);
        const float er = a[0] + b[0], ei = a[1] - b[1];
        const float dr = a[0] - b[0], di = a[1] + b[1];
        const float or_ = dr * tw.c - di * tw.s, oi = dr * tw.s + di * tw.c;
        a[0] = er - oi;
        a[1] = ei + or_;
        b[0] = er + oi;
        b[1] = or_ - ei;
        fft__tw_next(&tw);
    }
    fft__complex(buf, nc, 1.0f);
    const float scale = 1.0f / (float)n;
    for (size_t k = 0; k < n; k++)
        buf[k] *= scale;
    return VG_OK;
}

float vg_goertzel_f32(const float *x, size_t n, float cycles_per_sample, float *re, float *im)
{
    if (n == 0) {
        if (re)
            *re = 0.0f;
        if (im)
            *im = 0.0f;
        return 0.0f;
    }
    /* Reinsch's form of u[k] = x[k] + 2 cos w u[k-1] - u[k-2]. The plain form stores u and
     * multiplies by 2 cos w, which near w = 0 (or pi) is 2 - O(w^2): the information sits in
     * the lost low bits and the error grows like 1/sin w. Reinsch carries the difference
     * d = u[k] - u[k-1] (sum, when cos w < 0) and the small coefficient lambda = 2 cos w -+ 2
     * instead, so rounding stays relative to the signal. At the end
     *   y = u[n-1] - exp(-i w) u[n-2] = sum x[j] exp(i w (n-1-j)),
     *   Re y = d - (lambda/2) u[n-2], Im y = sin w u[n-2],
     * and X = exp(-i w (n-1)) y. */
    const float f = cycles_per_sample;
    float hs, hc;
    vg_cis2pi_f32(0.5f * f, &hc, &hs); /* sin and cos of pi f */
    float u = 0.0f, d = 0.0f, lambda, u2;
    if (f <= 0.25f) {
        lambda = -4.0f * hs * hs;
        for (size_t k = 0; k < n; k++) {
            d = x[k] + lambda * u + d;
            u = u + d;
        }
        u2 = u - d;
    } else {
        lambda = 4.0f * hc * hc;
        for (size_t k = 0; k < n; k++) {
            d = x[k] + lambda * u - d;
            u = d - u;
        }
        u2 = d - u;
    }
    const float yr = d - 0.5f * lambda * u2;
    const float yi = 2.0f * hs * hc * u2; /* sin w */
    const float scale = 2.0f / (float)n;
    if (re || im) {
        /* phase w (n-1) as a fraction of a turn, exact in double for n < 2^29 (a 24-bit
         * mantissa times a 29-bit count), so long windows keep their phase */
        const double turns = (double)f * (double)(n - 1u);
        double fr = turns - (double)(int64_t)turns; /* in (-1, 1): f < 0 is not excluded */
        if (fr < 0.0)
            fr += 1.0;
        const float frac = (float)fr;
        float c, s;
        fft__cis(frac, &c, &s);
        /* X = (c - i s) y */
        if (re)
            *re = scale * (c * yr + s * yi);
        if (im)
            *im = scale * (c * yi - s * yr);
    }
    return scale * sqrtf(yr * yr + yi * yi);
}

unsigned vg_thd_orders(float fs, float f0, unsigned max_h)
{
    if (!(fs > 0.0f && fs <= FLT_MAX) || !(f0 > 0.0f && f0 < 0.5f * fs))
        return 0;
    const unsigned cap = max_h ? max_h : VG_THD_DEFAULT_MAX_H;
    const float q = (0.5f * fs) / f0; /* >= 1 */
    return q >= (float)cap ? cap : (unsigned)q;
}

vg_status_t vg_thd_f32(const float *x, size_t n, float fs, float f0, unsigned max_h, float *thd,
                       float *mags)
{
    if (!x || !thd)
        return VG_ERR_ARG;
    const unsigned H = vg_thd_orders(fs, f0, max_h);
    if (H == 0 || (float)n * f0 < fs)
        return VG_ERR_ARG;
    const float f1 = f0 / fs;
    const float y1 = vg_goertzel_f32(x, n, f1, 0, 0);
    if (!(y1 > 0.0f && y1 <= FLT_MAX))
        return VG_ERR_ARG;
    if (mags)
        mags[0] = y1;
    float sum = 0.0f;
    for (unsigned h = 2; h <= H; h++) {
        const float yh = vg_goertzel_f32(x, n, (float)h * f1, 0, 0);
        if (mags)
            mags[h - 1] = yh;
        sum += yh * yh;
    }
    *thd = sqrtf(sum) / y1;
    return VG_OK;
}
