/* SPDX-License-Identifier: MIT */
#include "vigil/vg_sos.h"

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
