/* SPDX-License-Identifier: MIT */
#include "vigil/vg_sos.h"

#include "vigil/vg_opts.h"

/* x86-64 always has SSE2; other targets, and VG_DISABLE_SPECIALIZATION builds, take the
 * portable kernels only. */
#if defined(__SSE2__) && !VG_DISABLE_SPECIALIZATION
#define SOS_SSE2 1
#include <emmintrin.h>
#else
#define SOS_SSE2 0
#endif

/* One transposed-direct-form-II tick. Both public paths evaluate exactly this expression, so
 * (IEEE float, no contraction across statements: the core builds in ISO C mode, where GCC
 * and Clang do not fuse a*b+c into an FMA unless asked) they give identical bits.
 * Written as (b1 x + z1) - a1 y rather than scipy's b1 x - a1 y + z1: the sum b1 x + z1
 * does not wait for y, so the loop-carried path y -> z0 -> next y is one multiply and one
 * subtraction instead of a multiply and two additions. */
static inline float sos__tick(float b0, float b1, float b2, float a1, float a2, float *z0,
                              float *z1, float x)
{
    const float y = b0 * x + *z0;
    *z0 = (b1 * x + *z1) - a1 * y;
    *z1 = b2 * x - a2 * y;
    return y;
}

void vg_sos_reset(float *state, size_t n_sections)
{
    for (size_t i = 0; i < VG_SOS_STATE_LEN(n_sections); i++)
        state[i] = 0.0f;
}

/* restrict: the sections and the state are both float storage, so without it the compiler
 * must assume a state store can change a coefficient and reload after every store; with it
 * the loads of a section issue ahead of the previous section's arithmetic. */
float vg_sos_step_f32(const vg_biquad_t *restrict s, size_t n_sections, float *restrict state,
                      float x)
{
    for (size_t i = 0; i < n_sections; i++, s++, state += 2) {
        float z0 = state[0], z1 = state[1];
        x = sos__tick(s->b0, s->b1, s->b2, s->a1, s->a2, &z0, &z1, x);
        state[0] = z0;
        state[1] = z1;
    }
    return x;
}

/* Block kernels over 1, 2 or 3 consecutive sections, sample-major inside the group, with
 * coefficients and state in registers for the whole block. A single section's recursion
 * (y -> z0 -> next y) is a chain of dependent operations, so running one section at a time
 * over the block waits on that latency every sample; interleaving 2-3 independent-in-time
 * sections fills the pipeline (about 2x on an out-of-order x86, and it lets an in-order
 * Cortex-M4 schedule around its 3-cycle FPU latency), while 3 sections (15 coefficients +
 * 6 state values) still fit the M4's 32 single-precision registers. Each output depends only
 * on its own section's input sequence, so the grouping and the order give the same bits as
 * vg_sos_step_f32(). */
static void sos__run1(const vg_biquad_t *restrict p, float *restrict q, const float *src,
                      float *out, size_t len)
{
    const float b0 = p->b0, b1 = p->b1, b2 = p->b2, a1 = p->a1, a2 = p->a2;
    float z0 = q[0], z1 = q[1];
    for (size_t k = 0; k < len; k++)
        out[k] = sos__tick(b0, b1, b2, a1, a2, &z0, &z1, src[k]);
    q[0] = z0;
    q[1] = z1;
}

static void sos__run2(const vg_biquad_t *restrict p, float *restrict q, const float *src,
                      float *out, size_t len)
{
    const float b00 = p[0].b0, b01 = p[0].b1, b02 = p[0].b2, a01 = p[0].a1, a02 = p[0].a2;
    const float b10 = p[1].b0, b11 = p[1].b1, b12 = p[1].b2, a11 = p[1].a1, a12 = p[1].a2;
    float z00 = q[0], z01 = q[1], z10 = q[2], z11 = q[3];
    for (size_t k = 0; k < len; k++) {
        const float y0 = sos__tick(b00, b01, b02, a01, a02, &z00, &z01, src[k]);
        out[k] = sos__tick(b10, b11, b12, a11, a12, &z10, &z11, y0);
    }
    q[0] = z00;
    q[1] = z01;
    q[2] = z10;
    q[3] = z11;
}

static void sos__run3(const vg_biquad_t *restrict p, float *restrict q, const float *src,
                      float *out, size_t len)
{
    const float b00 = p[0].b0, b01 = p[0].b1, b02 = p[0].b2, a01 = p[0].a1, a02 = p[0].a2;
    const float b10 = p[1].b0, b11 = p[1].b1, b12 = p[1].b2, a11 = p[1].a1, a12 = p[1].a2;
    const float b20 = p[2].b0, b21 = p[2].b1, b22 = p[2].b2, a21 = p[2].a1, a22 = p[2].a2;
    float z00 = q[0], z01 = q[1], z10 = q[2], z11 = q[3], z20 = q[4], z21 = q[5];
    for (size_t k = 0; k < len; k++) {
        const float y0 = sos__tick(b00, b01, b02, a01, a02, &z00, &z01, src[k]);
        const float y1 = sos__tick(b10, b11, b12, a11, a12, &z10, &z11, y0);
        out[k] = sos__tick(b20, b21, b22, a21, a22, &z20, &z21, y1);
    }
    q[0] = z00;
    q[1] = z01;
    q[2] = z10;
    q[3] = z11;
    q[4] = z20;
    q[5] = z21;
}

#if SOS_SSE2
/* Sections pipelined across the lanes of two 4-float vectors: at step t, lane i (section i)
 * filters sample t - i, which section i - 1 produced at step t - 1. The lanes are
 * independent within a step, so one vector operation does the work of up to 8 section ticks,
 * and each lane performs exactly sos__tick()'s operations in its order (IEEE single, no
 * contraction), so the outputs and the state are those of vg_sos_step_f32(), bit for bit.
 * Lanes at or past n (2 <= n <= 8) have zero coefficients and never feed a lane below them.
 * The first and last n - 1 steps, where the pipeline fills and drains, update only the lanes
 * holding a sample of the block (t - i in [0, len)). */
static void sos__pipe_sse2(const vg_biquad_t *restrict s, size_t n, float *restrict state,
                           const float *in, float *out, size_t len)
{
    float c[5][8], z[2][8];
    for (size_t i = 0; i < 8; i++) {
        const int on = i < n;
        c[0][i] = on ? s[i].b0 : 0.0f;
        c[1][i] = on ? s[i].b1 : 0.0f;
        c[2][i] = on ? s[i].b2 : 0.0f;
        c[3][i] = on ? s[i].a1 : 0.0f;
        c[4][i] = on ? s[i].a2 : 0.0f;
        z[0][i] = on ? state[2 * i] : 0.0f;
        z[1][i] = on ? state[2 * i + 1] : 0.0f;
    }
    const __m128 b0a = _mm_loadu_ps(c[0]), b0b = _mm_loadu_ps(c[0] + 4);
    const __m128 b1a = _mm_loadu_ps(c[1]), b1b = _mm_loadu_ps(c[1] + 4);
    const __m128 b2a = _mm_loadu_ps(c[2]), b2b = _mm_loadu_ps(c[2] + 4);
    const __m128 a1a = _mm_loadu_ps(c[3]), a1b = _mm_loadu_ps(c[3] + 4);
    const __m128 a2a = _mm_loadu_ps(c[4]), a2b = _mm_loadu_ps(c[4] + 4);
    __m128 z0a = _mm_loadu_ps(z[0]), z0b = _mm_loadu_ps(z[0] + 4);
    __m128 z1a = _mm_loadu_ps(z[1]), z1b = _mm_loadu_ps(z[1] + 4);
    __m128 ya = _mm_setzero_ps(), yb = _mm_setzero_ps(); /* outputs of the last step */
    const __m128i lane_a = _mm_set_epi32(3, 2, 1, 0), lane_b = _mm_set_epi32(7, 6, 5, 4);
    const size_t last = n - 1u, steps = len + last;
    float y[8];
    /* One step; `edge` for the filling and draining steps (t < last or t >= len), which
     * update only the live lanes. The three phases below call it with constant flags, so
     * the steady phase has no per-step test but the loop's. */
#define SOS__STEP(xval, edge)                                                                      \
    do {                                                                                           \
        const __m128 xin = _mm_set_ss(xval);                                                       \
        const __m128 top = _mm_shuffle_ps(ya, ya, _MM_SHUFFLE(3, 3, 3, 3));                        \
        const __m128 xa =                                                                          \
            _mm_move_ss(_mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(ya), 4)), xin);           \
        const __m128 xb =                                                                          \
            _mm_move_ss(_mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(yb), 4)), top);           \
        ya = _mm_add_ps(_mm_mul_ps(b0a, xa), z0a);                                                 \
        yb = _mm_add_ps(_mm_mul_ps(b0b, xb), z0b);                                                 \
        __m128 n0a = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(b1a, xa), z1a), _mm_mul_ps(a1a, ya));        \
        __m128 n0b = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(b1b, xb), z1b), _mm_mul_ps(a1b, yb));        \
        __m128 n1a = _mm_sub_ps(_mm_mul_ps(b2a, xa), _mm_mul_ps(a2a, ya));                         \
        __m128 n1b = _mm_sub_ps(_mm_mul_ps(b2b, xb), _mm_mul_ps(a2b, yb));                         \
        if (edge) {                                                                                \
            /* lane i is live when 0 <= t - i < len */                                             \
            const __m128i tv = _mm_set1_epi32((int)t), lo = _mm_set1_epi32((int)t - (int)len);     \
            const __m128 ma = _mm_castsi128_ps(                                                    \
                _mm_andnot_si128(_mm_cmpgt_epi32(lane_a, tv), _mm_cmpgt_epi32(lane_a, lo)));       \
            const __m128 mb = _mm_castsi128_ps(                                                    \
                _mm_andnot_si128(_mm_cmpgt_epi32(lane_b, tv), _mm_cmpgt_epi32(lane_b, lo)));       \
            n0a = _mm_or_ps(_mm_and_ps(ma, n0a), _mm_andnot_ps(ma, z0a));                          \
            n0b = _mm_or_ps(_mm_and_ps(mb, n0b), _mm_andnot_ps(mb, z0b));                          \
            n1a = _mm_or_ps(_mm_and_ps(ma, n1a), _mm_andnot_ps(ma, z1a));                          \
            n1b = _mm_or_ps(_mm_and_ps(mb, n1b), _mm_andnot_ps(mb, z1b));                          \
        }                                                                                          \
        z0a = n0a;                                                                                 \
        z0b = n0b;                                                                                 \
        z1a = n1a;                                                                                 \
        z1b = n1b;                                                                                 \
    } while (0)
    size_t t = 0;
    /* fill: the last section has no sample yet (with len < last, some steps read nothing) */
    for (; t < last; t++)
        SOS__STEP(t < len ? in[t] : 0.0f, 1);
    /* steady: every lane live */
    if (last == 4u) {
        /* 5 sections (the power-quality band-pass): the output is lane 0 of yb, stored
         * straight from the register */
        for (; t < len; t++) {
            SOS__STEP(in[t], 0);
            _mm_store_ss(out + (t - last), yb);
        }
    }
    for (; t < len; t++) {
        SOS__STEP(in[t], 0);
        _mm_storeu_ps(y, ya);
        _mm_storeu_ps(y + 4, yb);
        out[t - last] = y[last];
    }
    /* drain: no more input */
    for (; t < steps; t++) {
        SOS__STEP(0.0f, 1);
        _mm_storeu_ps(y, ya);
        _mm_storeu_ps(y + 4, yb);
        out[t - last] = y[last];
    }
#undef SOS__STEP
    _mm_storeu_ps(z[0], z0a);
    _mm_storeu_ps(z[0] + 4, z0b);
    _mm_storeu_ps(z[1], z1a);
    _mm_storeu_ps(z[1] + 4, z1b);
    for (size_t i = 0; i < n; i++) {
        state[2 * i] = z[0][i];
        state[2 * i + 1] = z[1][i];
    }
}
#endif

/* The first group reads in[], later ones work in place in out[], so in == out is fine
 * (each kernel reads src[k] before writing out[k]). Groups of 3, except that 4 remaining
 * sections run as 2 + 2 and 2 as one pair: only a 1-section filter runs a lone section,
 * whose recursion is latency-bound. */
void vg_sos_f32(const vg_biquad_t *restrict s, size_t n_sections, float *restrict state,
                const float *in, float *out, size_t len)
{
    if (n_sections == 0) {
        for (size_t k = 0; k < len; k++)
            out[k] = in[k];
        return;
    }
#if SOS_SSE2
    if (n_sections >= 2 && n_sections <= 8) {
        sos__pipe_sse2(s, n_sections, state, in, out, len);
        return;
    }
#endif
    const float *src = in;
    size_t i = 0;
    while (i < n_sections) {
        const size_t left = n_sections - i;
        const size_t g = left == 1 ? 1u : (left == 2 || left == 4) ? 2u : 3u;
        if (g == 3)
            sos__run3(s + i, state + 2 * i, src, out, len);
        else if (g == 2)
            sos__run2(s + i, state + 2 * i, src, out, len);
        else
            sos__run1(s + i, state + 2 * i, src, out, len);
        i += g;
        src = out;
    }
}
