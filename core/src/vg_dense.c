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
#if VG_ENABLE_F32_SIGMOID_TANH
    case VG_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case VG_ACT_TANH: return tanhf(x);
#endif
    default: return x; /* linear; a build without sigmoid and tanh never parses them */
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

/* Requantize one accumulator: |acc| <= VG_ACC_S8_MAX (64 inputs at most, checked when the
 * artifact is parsed), so the short exact form of vg_fixmath.h applies to right shifts of 1
 * to 30. The other shifts (multipliers of 1/2 and more, or below 2^-31) take the general
 * form out of line; its product is clamped to +-256 before the zero point is added (that
 * cannot change the clamped int8 result, and keeps the sum from overflowing after a
 * saturating left shift). */
#if VG_MAX_UNITS > 64
#error "vg_dense_s8() needs n_in <= 64 for its accumulator bound (VG_ACC_S8_MAX)"
#endif
static VG_NOINLINE int32_t dense__requant_general(int32_t acc, int32_t mult, int shift)
{
    return vg_clamp32(vg_multiply_by_quantized_multiplier(acc, mult, shift), -256, 256);
}

static inline int8_t dense__requant(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo,
                                    int32_t hi)
{
    const int32_t v = shift < 0 && shift >= -30 ? vg_mbqm_acc_right(acc, mult, -shift)
                                                : dense__requant_general(acc, mult, shift);
    return (int8_t)vg_clamp32(v + zp, lo, hi);
}

/* One input (the first layer of a one-feature network): one multiply-add per channel, the
 * input in a register. Out of line: its own register allocation, no spills. */
static VG_NOINLINE void dense__s8_in1(const int8_t *w, const int32_t *bias, const int32_t *mult,
                                      const int8_t *shift, int32_t x0, int8_t *out, uint32_t n_out,
                                      const vg_dense_s8_q_t *q)
{
    const int32_t zp = q->out_zp, lo = q->act_min, hi = q->act_max;
    for (uint32_t o = 0; o < n_out; o++)
        out[o] = dense__requant(bias[o] + (int32_t)w[o] * x0, mult[o], shift[o], zp, lo, hi);
}

#if VG_DENSE_S8_DSP
/*
 * Cortex-M DSP extension. The inputs, offset by -in_zp, are widened once to int16 in the
 * order x0 x2 x1 x3 per group of four: SXTAB16 adds the sign-extended bytes 0 and 2 (then,
 * of the word shifted right by 8, bytes 1 and 3) to the packed -in_zp in one instruction.
 * One 32-bit load of four weights split by SXTB16 into (w0, w2) and (w1, w3) then meets its
 * partners in two 32-bit loads of the widened inputs: two SMLAD per four weights. Two output
 * channels share each load of the inputs. Every product and partial sum is an exact integer
 * below 2^31 in magnitude, so the order of summation cannot change the result: bit-identical
 * to the portable loop.
 */
static inline int32_t dense__ld32(const void *p)
{
    int32_t v;
    memcpy(&v, p, 4); /* one LDR; rows are 4-aligned when n_in is a multiple of 4 */
    return v;
}

/* Bytes 1 and 3 of @p x sign-extended into the two halfwords: SXTB16 of x rotated by 8,
 * which the instruction does itself (GCC's intrinsic takes no rotation). */
static inline int32_t dense__sxtb16_ror8(int32_t x)
{
#if defined(__arm__)
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
#else
    return __sxtb16((int32_t)((uint32_t)x >> 8)); /* the host test's stand-in */
#endif
}

static inline int32_t dense__mac4(int32_t acc, int32_t wq, int32_t x02, int32_t x13)
{
    acc = __smlad(__sxtb16(wq), x02, acc);
    return __smlad(dense__sxtb16_ror8(wq), x13, acc);
}

void vg_dense_s8(const int8_t *w, const int32_t *bias, const int32_t *mult, const int8_t *shift,
                 const int8_t *in, int8_t *out, uint16_t n_in, uint16_t n_out,
                 const vg_dense_s8_q_t *q, int16_t *scratch)
{
    if (n_in == 1) {
        dense__s8_in1(w, bias, mult, shift, (int32_t)in[0] - q->in_zp, out, n_out, q);
        return;
    }
    const uint32_t ni = n_in, n4 = ni & ~3u;
    /* -in_zp in both halfwords (-127..128 fits int16; SXTAB16's lanes do not carry) */
    const int32_t nzp = (int32_t)(((uint32_t)-q->in_zp & 0xFFFFu) * 0x00010001u);
    for (uint32_t i = 0; i < n4; i += 4) {
        const int32_t v = dense__ld32(in + i);
        const int32_t x02 = __sxtab16(nzp, v);
        const int32_t x13 = __sxtab16(nzp, (int32_t)((uint32_t)v >> 8));
        memcpy(scratch + i, &x02, 4);
        memcpy(scratch + i + 2, &x13, 4);
    }
    for (uint32_t i = n4; i < ni; i++)
        scratch[i] = (int16_t)(in[i] - q->in_zp);
    const int32_t zp = q->out_zp, lo = q->act_min, hi = q->act_max;
    if (n4 == 0) {
        /* Fewer than 4 inputs (a first layer on 1-3 features): no SMLAD to share, one
         * channel at a time keeps every value in a register. */
        for (uint32_t o = 0; o < n_out; o++, w += ni) {
            int32_t a0 = bias[o];
            for (uint32_t i = 0; i < ni; i++)
                a0 += (int32_t)w[i] * scratch[i];
            out[o] = dense__requant(a0, mult[o], shift[o], zp, lo, hi);
        }
        return;
    }
    uint32_t o = 0;
    for (; o + 2u <= n_out; o += 2) {
        const int8_t *r0 = w + (size_t)o * ni, *r1 = r0 + ni;
        int32_t a0 = bias[o], a1 = bias[o + 1];
        for (uint32_t i = 0; i < n4; i += 4) {
            const int32_t x02 = dense__ld32(scratch + i), x13 = dense__ld32(scratch + i + 2);
            a0 = dense__mac4(a0, dense__ld32(r0 + i), x02, x13);
            a1 = dense__mac4(a1, dense__ld32(r1 + i), x02, x13);
        }
        for (uint32_t i = n4; i < ni; i++) {
            a0 += (int32_t)r0[i] * scratch[i];
            a1 += (int32_t)r1[i] * scratch[i];
        }
        out[o] = dense__requant(a0, mult[o], shift[o], zp, lo, hi);
        out[o + 1] = dense__requant(a1, mult[o + 1], shift[o + 1], zp, lo, hi);
    }
    if (o < n_out) {
        const int8_t *r0 = w + (size_t)o * ni;
        int32_t a0 = bias[o];
        for (uint32_t i = 0; i < n4; i += 4)
            a0 = dense__mac4(a0, dense__ld32(r0 + i), dense__ld32(scratch + i),
                             dense__ld32(scratch + i + 2));
        for (uint32_t i = n4; i < ni; i++)
            a0 += (int32_t)r0[i] * scratch[i];
        out[o] = dense__requant(a0, mult[o], shift[o], zp, lo, hi);
    }
}
#else
/*
 * Portable C (RV32IMC, x86-64, and Arm cores without the DSP extension). The inputs, offset
 * by -in_zp, are widened once per layer; four output channels per pass then share each load
 * of an input, and the inputs go four at a time with fixed offsets (RV32 has no indexed
 * loads: a loop over one index would pay an address add per load). Exact integer sums in
 * any order: bit-identical to a plain double loop (tests/unit/test_dense_dsp.c, test_quant.c).
 */
static VG_NOINLINE int32_t dense__dot1(const int8_t *r, const int16_t *x, uint32_t ni, int32_t acc)
{
    uint32_t i = 0;
    for (; i + 4u <= ni; i += 4)
        acc += r[i] * x[i] + r[i + 1] * x[i + 1] + r[i + 2] * x[i + 2] + r[i + 3] * x[i + 3];
    for (; i < ni; i++)
        acc += (int32_t)r[i] * x[i];
    return acc;
}

void vg_dense_s8(const int8_t *w, const int32_t *bias, const int32_t *mult, const int8_t *shift,
                 const int8_t *in, int8_t *out, uint16_t n_in, uint16_t n_out,
                 const vg_dense_s8_q_t *q, int16_t *scratch)
{
    if (n_in == 1) {
        dense__s8_in1(w, bias, mult, shift, (int32_t)in[0] - q->in_zp, out, n_out, q);
        return;
    }
    const uint32_t ni = n_in, n4 = ni & ~3u;
    const int32_t zp = q->out_zp, lo = q->act_min, hi = q->act_max;
    if (n_out < 4) {
        /* Too few channels to repay widening the inputs (an output layer): direct. */
        for (uint32_t o = 0; o < n_out; o++, w += ni) {
            int32_t a0 = bias[o];
            for (uint32_t i = 0; i < ni; i++)
                a0 += (int32_t)w[i] * ((int32_t)in[i] - q->in_zp);
            out[o] = dense__requant(a0, mult[o], shift[o], zp, lo, hi);
        }
        return;
    }
    for (uint32_t i = 0; i < ni; i++)
        scratch[i] = (int16_t)(in[i] - q->in_zp);
    uint32_t o = 0;
    for (; o + 4u <= n_out; o += 4) {
        const int8_t *r0 = w + (size_t)o * ni, *r1 = r0 + ni, *r2 = r1 + ni, *r3 = r2 + ni;
        int32_t a0 = bias[o], a1 = bias[o + 1], a2 = bias[o + 2], a3 = bias[o + 3];
        const int16_t *x = scratch;
        for (uint32_t i = 0; i < n4; i += 4, x += 4, r0 += 4, r1 += 4, r2 += 4, r3 += 4) {
            const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
            a0 += r0[0] * x0 + r0[1] * x1;
            a1 += r1[0] * x0 + r1[1] * x1;
            a2 += r2[0] * x0 + r2[1] * x1;
            a3 += r3[0] * x0 + r3[1] * x1;
            a0 += r0[2] * x2 + r0[3] * x3;
            a1 += r1[2] * x2 + r1[3] * x3;
            a2 += r2[2] * x2 + r2[3] * x3;
            a3 += r3[2] * x2 + r3[3] * x3;
        }
        if (n4 < ni) {
            a0 = dense__dot1(r0, x, ni - n4, a0);
            a1 = dense__dot1(r1, x, ni - n4, a1);
            a2 = dense__dot1(r2, x, ni - n4, a2);
            a3 = dense__dot1(r3, x, ni - n4, a3);
        }
        out[o] = dense__requant(a0, mult[o], shift[o], zp, lo, hi);
        out[o + 1] = dense__requant(a1, mult[o + 1], shift[o + 1], zp, lo, hi);
        out[o + 2] = dense__requant(a2, mult[o + 2], shift[o + 2], zp, lo, hi);
        out[o + 3] = dense__requant(a3, mult[o + 3], shift[o + 3], zp, lo, hi);
    }
    for (; o < n_out; o++)
        out[o] = dense__requant(dense__dot1(w + (size_t)o * ni, scratch, ni, bias[o]), mult[o],
                                shift[o], zp, lo, hi);
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
