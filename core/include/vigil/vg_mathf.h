/* SPDX-License-Identifier: MIT */
/**
 * @file vg_mathf.h
 * @brief The core's own sine, cosine and exponential, from float additions and
 *        multiplications only.
 *
 * C libraries round sinf, cosf and expf differently in the last bit (glibc, newlib and
 * picolibc all do, and all are allowed to), and the power-quality frontend calls them for
 * every cycle: a twiddle one ulp off moves a feature by an ulp, which is enough to send a
 * sample down the other branch of a tree split. With these, the frontend's arithmetic is
 * basic IEEE-754 operations only, so a host, a Cortex-M4F and a soft-float RV32 compute the
 * same bits (given -ffp-contract=off, which -std=c99 implies). Accuracy: within 2 ulp of
 * the exact value over the documented ranges (tests/unit/test_core_mathf.c).
 */
#ifndef VG_MATHF_H
#define VG_MATHF_H

/**
 * @brief cos(2 pi t) and sin(2 pi t).
 * @param[in]  t turns, 0 <= t < 1 (other values: undefined result)
 * @param[out] c cosine
 * @param[out] s sine
 */
void vg_cis2pi_f32(float t, float *c, float *s);

/** @brief e^x for -87 <= x <= 88; 0 below -87, +inf above 88; NaN gives NaN. */
float vg_exp_f32(float x);
#endif
