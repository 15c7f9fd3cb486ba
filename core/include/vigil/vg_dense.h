/* SPDX-License-Identifier: MIT */
/** @file vg_dense.h @brief Dense (fully connected) layers, float32 reference kernels. */
#ifndef VG_DENSE_H
#define VG_DENSE_H
#include <stdint.h>
#include "vg_model.h"

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
#endif
