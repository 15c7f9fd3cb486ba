/* SPDX-License-Identifier: MIT */
/**
 * @file vg_fixmath.h
 * @brief Saturating and rounding fixed-point helpers shared by every integer kernel.
 *
 * The requantization arithmetic is TensorFlow Lite's (gemmlowp's): a real multiplier
 * M = m * 2^shift with m a Q31 value in [0.5, 1) stored as an int32 in [2^30, 2^31 - 1]
 * (or 0), applied as SaturatingRoundingDoublingHighMul then RoundingDivideByPOT. The code is
 * written from the definitions (docs/quantization.md), not copied. All arithmetic is on
 * int32/int64 with no undefined behaviour for any int32 argument: right shifts of negative
 * values are written with bitwise complements, left shifts as multiplications.
 */
#ifndef VG_FIXMATH_H
#define VG_FIXMATH_H
#include <stdint.h>

/** Smallest and largest requantization shift an artifact may hold (left shift when > 0). */
#define VG_SHIFT_MIN (-31)
#define VG_SHIFT_MAX 30

/** @brief Arithmetic shift right of @p x by @p n (0..31), rounding toward minus infinity. */
static inline int32_t vg_asr32(int32_t x, int n)
{
    return x >= 0 ? x >> n : ~(~x >> n);
}

/** @brief Arithmetic shift right of a 64-bit @p x by @p n (0..63), rounding toward minus
 *         infinity. */
static inline int64_t vg_asr64(int64_t x, int n)
{
    return x >= 0 ? x >> n : ~(~x >> n);
}

/** @brief Clamp @p x to [lo, hi]. */
static inline int32_t vg_clamp32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/** @brief Saturate an int64 to int32. */
static inline int32_t vg_sat32(int64_t x)
{
    return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : (int32_t)x;
}

/**
 * @brief gemmlowp SaturatingRoundingDoublingHighMul: a b / 2^31 rounded to nearest, ties
 *        toward plus infinity (floor((a b + 2^30) / 2^31)); the one overflowing case
 *        (a = b = INT32_MIN) saturates to INT32_MAX.
 */
static inline int32_t vg_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C division truncates toward zero, as gemmlowp's does; the quotient fits int32. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/**
 * @brief gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from
 *        zero. @p exponent in 0..31.
 */
static inline int32_t vg_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return vg_asr32(x, exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * @brief TFLite MultiplyByQuantizedMultiplier: x * m * 2^shift with the rounding above.
 *        A positive @p shift is applied first as a left shift (saturated to int32, where
 *        TFLite's own int32 multiply would overflow), a negative one last as a rounding
 *        right shift. @p shift in VG_SHIFT_MIN..VG_SHIFT_MAX.
 */
static inline int32_t vg_multiply_by_quantized_multiplier(int32_t x, int32_t m, int shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    const int32_t xs = vg_sat32((int64_t)x * ((int64_t)1 << left));
    return vg_rounding_divide_by_pot(vg_sat_rounding_doubling_high_mul(xs, m), right);
}

/** Largest |accumulator| of an int8 dense layer of at most 64 inputs: |bias| <= 2^30 plus 64
 *  products of at most 128 * 255 (docs/quantization.md). */
#define VG_ACC_S8_MAX ((int32_t)((1L << 30) + (1L << 21)))

/**
 * @brief vg_multiply_by_quantized_multiplier() for what an int8 dense layer feeds it, with a
 *        right shift: an accumulator |x| <= VG_ACC_S8_MAX, a multiplier m >= 0 and shift = -e,
 *        1 <= e <= 30 (the usual case: a real multiplier below 1/2). Same result (proof
 *        below; tests/unit/test_quant.c compares both), in one 64-bit multiply-add and a
 *        shift.
 *
 * SaturatingRoundingDoublingHighMul(x, m) is exactly s = floor(u / 2^31), u = x m + 2^30
 * (its saturating case needs m = INT32_MIN). RoundingDivideByPOT(s, e) rounds s / 2^e half
 * away from zero: floor((s + c) / 2^e) with c = 2^(e-1) for s >= 0 and c = 2^(e-1) - 1 for
 * s < 0 (a tie -2^(e-1) + k 2^e goes down, away from zero). The sign of x may stand for the
 * sign of s: x >= 0 gives s >= 0, and x < 0 gives s <= 0, where s = 0 makes both choices of
 * c give 0 (0 <= c < 2^e). Floors of divisions by powers of two nest, so the result is
 * floor((u + c 2^31) / 2^(31+e)) = floor(floor(v / 2^32) / 2^(e-1)), v = u + c 2^31: the
 * high word of v shifted right by e - 1. |v| < 2^62: no overflow.
 */
static inline int32_t vg_mbqm_acc_right(int32_t x, int32_t m, int e)
{
    /* c 2^31 + 2^30 as one 64-bit addend (its low 31 bits are 2^30 alone): the multiply and
     * both additions are one SMLAL on Cortex-M. */
    const uint32_t c = (1u << (e - 1)) - (x < 0 ? 1u : 0u);
    const int64_t k = (int64_t)(((uint64_t)c << 31) | (1u << 30));
    const int64_t v = (int64_t)x * (int64_t)m + k;
    return vg_asr32((int32_t)vg_asr64(v, 32), e - 1);
}

/** @brief vg_multiply_by_quantized_multiplier() for an accumulator |x| <= VG_ACC_S8_MAX and
 *         m >= 0: vg_mbqm_acc_right() for shifts -30..-1, the general form otherwise. */
static inline int32_t vg_mbqm_acc(int32_t x, int32_t m, int shift)
{
    if (shift < 0 && shift >= -30)
        return vg_mbqm_acc_right(x, m, -shift);
    return vg_multiply_by_quantized_multiplier(x, m, shift);
}
#endif
