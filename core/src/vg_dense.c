/* SPDX-License-Identifier: MIT */
#include "vigil/vg_dense.h"

#include <math.h>
#include <string.h>

#include "vigil/vg_fixmath.h"

#if VG_DENSE_S8_DSP
#include <arm_acle.h>
#endif

float vg_act_f32(float x, unsigned act)
{
    switch (act) {
    case VG_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case VG_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case VG_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

void vg_dense_f32(const float *w, const float *b, const float *in, float *out, uint16_t n_in,
                  uint16_t n_out, unsigned act)
{
    for (uint16_t o = 0; o < n_out; o++) {
        const float *row = w + (size_t)o * n_in;
        float acc = b[o];
        for (uint16_t i = 0; i < n_in; i++)
            acc += row[i] * in[i];
        out[o] = vg_act_f32(acc, act);
    }
}

/* Requantize one accumulator. The product is clamped to +-256 before the zero point is
 * added (that cannot change the clamped int8 result, and keeps the sum from overflowing). */
static int8_t dense__requant(int32_t acc, int32_t mult, int shift, const vg_dense_s8_q_t *q)
{
    int32_t v = vg_multiply_by_quantized_multiplier(acc, mult, shift);
    v = vg_clamp32(v, -256, 256) + q->out_zp;
    return (int8_t)vg_clamp32(v, q->act_min, q->act_max);
}

#if VG_DENSE_S8_DSP
/*
 * Cortex-M DSP extension. The inputs, offset by -in_zp, are widened once to int16 in the
 * order x0 x2 x1 x3 per group of four, so that one 32-bit load of four weights split by
 * SXTB16 into (w0, w2) and (w1, w3) meets its partners in two 32-bit loads of the inputs:
 * two SMLAD per four weights. Every product and partial sum is an exact integer below 2^31
 * in magnitude, so the order of summation cannot change the result: bit-identical to the
 * portable loop.
 */
void vg_dense_s8(const int8_t *w, const int32_t *bias, const int32_t *mult, const int8_t *shift,
                 const int8_t *in, int8_t *out, uint16_t n_in, uint16_t n_out,
                 const vg_dense_s8_q_t *q, int16_t *scratch)
{
    const uint16_t n4 = (uint16_t)(n_in & ~3u);
    for (uint16_t i = 0; i < n4; i += 4) {
        scratch[i] = (int16_t)(in[i] - q->in_zp);
        scratch[i + 1] = (int16_t)(in[i + 2] - q->in_zp);
        scratch[i + 2] = (int16_t)(in[i + 1] - q->in_zp);
        scratch[i + 3] = (int16_t)(in[i + 3] - q->in_zp);
    }
    for (uint16_t i = n4; i < n_in; i++)
        scratch[i] = (int16_t)(in[i] - q->in_zp);
    for (uint16_t o = 0; o < n_out; o++) {
        const int8_t *row = w + (size_t)o * n_in;
        int32_t acc = bias[o];
        for (uint16_t i = 0; i < n4; i += 4) {
            uint32_t wq;
            int32_t x02, x13;
            memcpy(&wq, row + i, 4);
            memcpy(&x02, scratch + i, 4);
            memcpy(&x13, scratch + i + 2, 4);
            const int32_t w02 = __sxtb16((int32_t)wq);
            const int32_t w13 = __sxtb16((int32_t)((wq >> 8) | (wq << 24)));
            acc = __smlad(w02, x02, acc);
            acc = __smlad(w13, x13, acc);
        }
        for (uint16_t i = n4; i < n_in; i++)
            acc += (int32_t)row[i] * scratch[i];
        out[o] = dense__requant(acc, mult[o], shift[o], q);
    }
}
#else
void vg_dense_s8(const int8_t *w, const int32_t *bias, const int32_t *mult, const int8_t *shift,
                 const int8_t *in, int8_t *out, uint16_t n_in, uint16_t n_out,
                 const vg_dense_s8_q_t *q, int16_t *scratch)
{
    (void)scratch;
    for (uint16_t o = 0; o < n_out; o++) {
        const int8_t *row = w + (size_t)o * n_in;
        int32_t acc = bias[o];
        for (uint16_t i = 0; i < n_in; i++)
            acc += (int32_t)row[i] * ((int32_t)in[i] - q->in_zp);
        out[o] = dense__requant(acc, mult[o], shift[o], q);
    }
}
#endif

void vg_lut_s8(const int8_t *lut, int8_t *x, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++)
        x[i] = lut[(int32_t)x[i] + 128];
}

int8_t vg_quantize_s8(float x, float scale, int32_t zp)
{
    float v = x / scale;
    if (!(v == v))
        return (int8_t)zp;
    /* Anything beyond +-512 clamps anyway; inside, v - trunc(v) is exact in float, so the
     * half-way test is exact (round half away from zero, as TFLite's std::round). */
    v = v > 512.0f ? 512.0f : v < -512.0f ? -512.0f : v;
    int32_t t = (int32_t)v;
    const float frac = v - (float)t;
    if (frac >= 0.5f)
        t++;
    else if (frac <= -0.5f)
        t--;
    return (int8_t)vg_clamp32(t + zp, -128, 127);
}

float vg_dequantize_s8(int8_t q, float scale, int32_t zp)
{
    return scale * (float)((int32_t)q - zp);
}
