/* SPDX-License-Identifier: MIT */
#include "vigil/vg_dense.h"

#include <math.h>

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
