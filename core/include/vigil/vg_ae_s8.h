/* SPDX-License-Identifier: MIT */
/**
 * @file vg_ae_s8.h
 * @brief int8 autoencoder (MODL kind 5): validation of the body in place, and inference.
 *
 * MODL body (after the 4-byte kind header), little-endian, every array 4-aligned:
 *   u16 n_layers (1..VG_MAX_LAYERS), u16 reserved (0), f32 in_scale, i32 in_zp,
 *   vg_layer_s8_t layers[n_layers] (20 bytes each), then per layer:
 *   i8 W[n_out][n_in] (zero padded to 4), i32 bias[n_out], i32 mult[n_out],
 *   i8 shift[n_out] (zero padded to 4), and i8 lut[256] when layer.lut.
 * The arithmetic and the layout are specified in docs/quantization.md and
 * docs/model-format.md.
 */
#ifndef VG_AE_S8_H
#define VG_AE_S8_H
#include <stddef.h>
#include <stdint.h>
#include "vg_model.h"
#include "vg_status.h"

/** Fixed part of the kind-5 body, before the layer descriptors. */
#define VG_AE_S8_HEAD 12u
/** Size of one vg_layer_s8_t in the file. */
#define VG_LAYER_S8_SIZE 20u
/** Largest |bias| an artifact may hold: keeps the int32 accumulator from overflowing. */
#define VG_AE_S8_BIAS_MAX (1L << 30)

/** Pointers to one layer's arrays inside the artifact. */
typedef struct {
    const int8_t *w;     /**< n_out x n_in */
    const int32_t *bias; /**< n_out */
    const int32_t *mult; /**< n_out */
    const int8_t *shift; /**< n_out */
    const int8_t *lut;   /**< 256 entries, or NULL */
} vg_ae_s8_arrays_t;

/** @brief Bytes of one layer's arrays in the file. */
uint32_t vg_ae_s8_block_size(const vg_layer_s8_t *l);

/**
 * @brief Validate a kind-5 body and fill m->u.ae8 (m->n_features must be set).
 * Checks shapes (chaining, widths <= VG_MAX_UNITS, output width = n_features), the exact
 * body size, scales in [1e-30, 1e30], zero points and clamps in int8 range, |bias| <=
 * VG_AE_S8_BIAS_MAX, multipliers >= 0, shifts in VG_SHIFT_MIN..VG_SHIFT_MAX, and that a
 * layer has a table exactly when its activation is sigmoid or tanh.
 * @retval VG_OK, VG_ERR_FORMAT, VG_ERR_UNSUPPORTED (counts above VG_MAX_*)
 */
vg_status_t vg_ae_s8_parse(vg_model_t *m, const uint8_t *body, uint32_t size);

/** @brief Arrays of layer @p l (< n_layers) of a parsed kind-5 model. */
void vg_ae_s8_arrays(const vg_model_t *m, uint16_t l, vg_ae_s8_arrays_t *a);

/** @brief Scratch bytes vg_ae_s8_score() needs (a multiple of 4, the same on every target). */
size_t vg_ae_s8_scratch_size(const vg_model_t *m);

/**
 * @brief Root-mean-square reconstruction error of normalised features @p x: x is quantized
 *        (in_scale, in_zp), run through the int8 layers, and the output dequantized; the
 *        error is computed in float against the unquantized x, as the float autoencoder's.
 *        A NaN feature gives a NaN score, as in float.
 * @param[out] contrib NULL or n_features squared errors / n_features
 * @param[out] recon   NULL or n_features dequantized outputs
 * @param[in]  scratch vg_ae_s8_scratch_size() bytes, 4-aligned
 * Hot path: no checks.
 */
float vg_ae_s8_score(const vg_model_t *m, const float *x, float *contrib, float *recon,
                     void *scratch);

/**
 * @brief The quantized network alone: int8 inputs to int8 outputs (for tests and tools).
 * @param[in]  in      n_features int8 inputs
 * @param[out] out     n_features int8 outputs
 * @param[in]  scratch vg_ae_s8_scratch_size() bytes, 4-aligned
 */
void vg_ae_s8_forward(const vg_model_t *m, const int8_t *in, int8_t *out, void *scratch);
#endif
