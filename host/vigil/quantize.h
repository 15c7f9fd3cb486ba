/* SPDX-License-Identifier: MIT */
/**
 * @file quantize.h
 * @brief Post-training quantization: a float autoencoder to int8 (MODL kind 5), from
 *        calibration data. The arithmetic is docs/quantization.md's; the core runs the result.
 */
#ifndef VGH_QUANTIZE_H
#define VGH_QUANTIZE_H
#include <stddef.h>
#include <stdint.h>

#include "artifact.h"
#include "vigil/vigil.h"

/** An asymmetric per-tensor int8 quantization: real = scale * (q - zp). */
typedef struct {
    float scale;
    int32_t zp;
} vgh_qparams_t;

/**
 * @brief TFLite's choice of (scale, zero point) for a real range: the range is widened to
 *        hold 0, scale = (max - min) / 255, zp = round(-128 - min / scale) clamped to int8
 *        (so 0 is exactly representable). An empty range (max = min = 0) gives scale 1/255.
 */
vgh_qparams_t vgh_choose_qparams(double min, double max);

/**
 * @brief TFLite's QuantizeMultiplier: M = mult * 2^(shift - 31) with mult a Q31 in
 *        [2^30, 2^31 - 1]. M = 0 or M < 2^-32 gives mult = 0, shift = 0; M too large for
 *        VG_SHIFT_MAX saturates to mult = 2^31 - 1, shift = VG_SHIFT_MAX.
 * @param[in] real_multiplier >= 0
 */
void vgh_quantize_multiplier(double real_multiplier, int32_t *mult, int *shift);

/**
 * @brief Quantize the float autoencoder @p m (kind 2) with calibration rows @p X.
 * @param[in]  m      parsed float autoencoder
 * @param[in]  X      n x n_features normalised feature rows, all finite
 * @param[in]  n      rows, >= 1
 * @param[in]  boundary > 1: the ranges also cover each row scaled away from the origin until
 *                    the float score reaches the threshold, by at most this factor
 *                    (docs/quantization.md; default 3); 1: the rows' own min/max only
 * @param[out] body   malloc'd kind-5 MODL body (after the 4-byte kind header); free()
 * @param[out] len    its bytes
 * @return 0, or -1 with a message in @p err
 */
int vgh_quantize_ae(const vg_model_t *m, const float *X, size_t n, double boundary, uint8_t **body,
                    uint32_t *len, char *err, size_t errlen);

/**
 * @brief Fill @p s with everything of @p m but the model (pipeline, normalisation, decision,
 *        WAVE); s->meta is left NULL, s->kind 0.
 */
void vgh_spec_from_model(const vg_model_t *m, vgh_artifact_spec_t *s, vg_biquad_t *sos_buf);
#endif
