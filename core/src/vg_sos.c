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

float vg_sos_step_f32(const vg_biquad_t *s, size_t n_sections, float *state, float x)
{
    for (size_t i = 0; i < n_sections; i++, s++, state += 2) {
        float z0 = state[0], z1 = state[1];
        x = sos__tick(s->b0, s->b1, s->b2, s->a1, s->a2, &z0, &z1, x);
        state[0] = z0;
        state[1] = z1;
    }
    return x;
}

/* Section-major: a section is a function of its own input sequence only, so running section
 * 0 over the whole block, then section 1 over section 0's output, and so on, gives the same
 * numbers as sample-major order while coefficients and state live in registers. The first
 * section reads in[], later ones work in place in out[], so in == out is fine. */
void vg_sos_f32(const vg_biquad_t *s, size_t n_sections, float *state, const float *in, float *out,
                size_t len)
{
    if (n_sections == 0) {
        for (size_t k = 0; k < len; k++)
            out[k] = in[k];
        return;
    }
    const float *src = in;
    for (size_t i = 0; i < n_sections; i++, s++, state += 2) {
        const float b0 = s->b0, b1 = s->b1, b2 = s->b2, a1 = s->a1, a2 = s->a2;
        float z0 = state[0], z1 = state[1];
        for (size_t k = 0; k < len; k++)
            out[k] = sos__tick(b0, b1, b2, a1, a2, &z0, &z1, src[k]);
        state[0] = z0;
        state[1] = z1;
        src = out;
    }
}
