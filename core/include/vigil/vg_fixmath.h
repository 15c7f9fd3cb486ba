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
#endif
