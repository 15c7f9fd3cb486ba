/* SPDX-License-Identifier: MIT */
/**
 * @file vg_dense.h
 * @brief Dense (fully connected) layers: the float32 reference kernel and the int8 kernel
 *        (TFLite-compatible arithmetic, docs/quantization.md).
 */
#ifndef VG_DENSE_H
#define VG_DENSE_H
#include <stdint.h>
#include "vg_model.h"
#include "vg_opts.h"

/** 1 when vg_dense_s8() uses the Cortex-M DSP extension (SMLAD), else 0 (portable C). */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !VG_DISABLE_SPECIALIZATION
#define VG_DENSE_S8_DSP 1
#else
#define VG_DENSE_S8_DSP 0
#endif

/** int16 scratch entries vg_dense_s8() needs for @p n_in inputs (the same on every target). */
#define VG_DENSE_S8_SCRATCH(n_in) ((n_in) + 3u)

/** @brief Apply activation @p act (a vg_act_t) to one value. */
float vg_act_f32(float x, unsigned act);

/**
 * @brief out = act(W x + b).
 * @param[in]  w    n_out x n_in weights, row-major (W[o][i] at w[o * n_in + i])
 * @param[in]  b    n_out biases
 * @param[in]  in   n_in inputs
 * @param[out] out  n_out outputs; must not alias @p in
 * Hot path: no checks.
 */
void vg_dense_f32(const float *w, const float *b, const float *in, float *out, uint16_t n_in,
                  uint16_t n_out, unsigned act);

/** Quantization of one int8 dense layer's input and output tensors. */
typedef struct {
    int32_t in_zp;   /**< zero point of the input tensor, -128..127 */
    int32_t out_zp;  /**< zero point of the output tensor, -128..127 */
    int32_t act_min; /**< output clamp (fused ReLU: max(-128, out_zp)), -128..act_max */
    int32_t act_max; /**< output clamp, act_min..127 */
} vg_dense_s8_q_t;

/**
 * @brief int8 dense layer, per output channel o:
 *        acc = bias[o] + sum_i W[o][i] * (in[i] - in_zp)          (int32)
 *        out[o] = clamp(MultiplyByQuantizedMultiplier(acc, mult[o], shift[o]) + out_zp,
 *                       act_min, act_max)
 *
 * Weights are symmetric (zero point 0). The caller guarantees the accumulator cannot
 * overflow: |bias| <= 2^30 and n_in <= VG_MAX_UNITS (checked when an artifact is parsed),
 * so |acc| < 2^30 + 64 * 128 * 255 < 2^31. The DSP path (VG_DENSE_S8_DSP) sums the same
 * exact integer products two at a time with SMLAD, so its results are bit-identical.
 *
 * @param[in]  w       n_out x n_in int8 weights, row-major; any alignment
 * @param[in]  bias    n_out int32 biases (scale in_scale * w_scale[o], zero point 0)
 * @param[in]  mult    n_out Q31 multipliers (>= 0)
 * @param[in]  shift   n_out shifts, VG_SHIFT_MIN..VG_SHIFT_MAX
 * @param[in]  in      n_in int8 inputs
 * @param[out] out     n_out int8 outputs; must not alias @p in
 * @param[in]  q       zero points and clamp
 * @param[out] scratch VG_DENSE_S8_SCRATCH(n_in) int16 entries, 4-aligned
 * Hot path: no checks.
 */
void vg_dense_s8(const int8_t *w, const int32_t *bias, const int32_t *mult, const int8_t *shift,
                 const int8_t *in, int8_t *out, uint16_t n_in, uint16_t n_out,
                 const vg_dense_s8_q_t *q, int16_t *scratch);

/** @brief x[i] = lut[x[i] + 128] for i < n: a 256-entry int8 activation table, in place. */
void vg_lut_s8(const int8_t *lut, int8_t *x, uint16_t n);

/**
 * @brief TFLite's affine quantization of one value: clamp(round(x / scale) + zp, -128, 127),
 *        rounding half away from zero. NaN gives @p zp (callers check for NaN themselves).
 * @param[in] scale > 0
 */
int8_t vg_quantize_s8(float x, float scale, int32_t zp);

/** @brief Dequantize: scale * (q - zp). */
float vg_dequantize_s8(int8_t q, float scale, int32_t zp);
#endif
