/* SPDX-License-Identifier: MIT */
/* int8 autoencoder (MODL kind 5): validation in place and inference. Layout: vg_ae_s8.h,
 * docs/model-format.md; arithmetic: docs/quantization.md. */
#include "vigil/vg_ae_s8.h"
#include "vg_le.h"

/* Compiled only in a build that runs this model kind (vg_opts.h). */
#if VG_ENABLE_AE_S8

#include <math.h>

#include "vigil/vg_dense.h"
#include "vigil/vg_fixmath.h"

/* The descriptors are read in place: the struct must have the file's 20-byte layout. */
typedef char ae8__layer_size_check[sizeof(vg_layer_s8_t) == VG_LAYER_S8_SIZE ? 1 : -1];

static int ae8__scale_ok(float s)
{
    /* Scales of normalised features and activations; 1e-30..1e30 keeps every product of
     * two scales (and its reciprocal) finite and normal in float. */
    return s >= 1.0e-30f && s <= 1.0e30f;
}

static uint32_t ae8__pad4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

uint32_t vg_ae_s8_block_size(const vg_layer_s8_t *l)
{
    const uint32_t no = l->n_out;
    return ae8__pad4((uint32_t)l->n_in * no) + 8u * no + ae8__pad4(no) + (l->lut ? 256u : 0u);
}

static void ae8__arrays_at(const uint8_t *p, const vg_layer_s8_t *l, vg_ae_s8_arrays_t *a)
{
    const uint32_t no = l->n_out;
    a->w = (const int8_t *)(const void *)p;
    p += ae8__pad4((uint32_t)l->n_in * no);
    a->bias = (const int32_t *)(const void *)p;
    a->mult = (const int32_t *)(const void *)(p + 4u * no);
    a->shift = (const int8_t *)(const void *)(p + 8u * no);
    a->lut = l->lut ? (const int8_t *)(const void *)(p + 8u * no + ae8__pad4(no)) : 0;
}

static vg_status_t ae8__check_layer(const vg_layer_s8_t *l, const uint8_t *p)
{
    const int has_table = l->act == VG_ACT_SIGMOID || l->act == VG_ACT_TANH;
    if (l->act > VG_ACT_TANH || l->lut != (has_table ? 1u : 0u) || l->reserved != 0 ||
        l->act_min > l->act_max || !ae8__scale_ok(l->pre_scale) || !ae8__scale_ok(l->out_scale))
        return VG_ERR_FORMAT;
    if (!l->lut && (l->pre_zp != l->out_zp || l->pre_scale != l->out_scale))
        return VG_ERR_FORMAT;
    vg_ae_s8_arrays_t a;
    ae8__arrays_at(p, l, &a);
    for (uint16_t o = 0; o < l->n_out; o++) {
        if (a.bias[o] > VG_AE_S8_BIAS_MAX || a.bias[o] < -VG_AE_S8_BIAS_MAX || a.mult[o] < 0 ||
            a.shift[o] < VG_SHIFT_MIN || a.shift[o] > VG_SHIFT_MAX)
            return VG_ERR_FORMAT;
    }
    return VG_OK;
}

vg_status_t vg_ae_s8_parse(vg_model_t *m, const uint8_t *body, uint32_t size)
{
    if (size < VG_AE_S8_HEAD)
        return VG_ERR_FORMAT;
    const uint16_t nl = vg_le16(body);
    const float in_scale = vg_lef32(body + 4);
    const int32_t in_zp = (int32_t)vg_le32(body + 8);
    if (nl == 0 || vg_le16(body + 2) != 0 || !ae8__scale_ok(in_scale) || in_zp < -128 ||
        in_zp > 127)
        return VG_ERR_FORMAT;
    if (nl > VG_MAX_LAYERS)
        return VG_ERR_UNSUPPORTED;
    if (size - VG_AE_S8_HEAD < VG_LAYER_S8_SIZE * (uint32_t)nl)
        return VG_ERR_FORMAT;
    const vg_layer_s8_t *ld = (const vg_layer_s8_t *)(const void *)(body + VG_AE_S8_HEAD);
    uint32_t off = VG_AE_S8_HEAD + VG_LAYER_S8_SIZE * (uint32_t)nl;
    uint16_t prev = m->n_features, max_units = m->n_features;
    for (uint16_t l = 0; l < nl; l++) {
        if (ld[l].n_in != prev || ld[l].n_out == 0)
            return VG_ERR_FORMAT;
        if (ld[l].n_out > VG_MAX_UNITS || ld[l].n_in > VG_MAX_UNITS)
            return VG_ERR_UNSUPPORTED;
        /* widths <= 64 and at most 8 layers: no block size or offset can wrap */
        const uint32_t bs = vg_ae_s8_block_size(&ld[l]);
        if (bs > size - off)
            return VG_ERR_FORMAT;
        VG_TRY(ae8__check_layer(&ld[l], body + off));
        off += bs;
        if (ld[l].n_out > max_units)
            max_units = ld[l].n_out;
        prev = ld[l].n_out;
    }
    if (prev != m->n_features || off != size)
        return VG_ERR_FORMAT;
    m->u.ae8.n_layers = nl;
    m->u.ae8.max_units = max_units;
    m->u.ae8.in_scale = in_scale;
    m->u.ae8.in_zp = in_zp;
    m->u.ae8.layers = ld;
    m->u.ae8.data = body + VG_AE_S8_HEAD + VG_LAYER_S8_SIZE * (uint32_t)nl;
    return VG_OK;
}

void vg_ae_s8_arrays(const vg_model_t *m, uint16_t l, vg_ae_s8_arrays_t *a)
{
    const uint8_t *p = m->u.ae8.data;
    for (uint16_t k = 0; k < l; k++)
        p += vg_ae_s8_block_size(&m->u.ae8.layers[k]);
    ae8__arrays_at(p, &m->u.ae8.layers[l], a);
}

/* Scratch: two int8 activation buffers of max_units (each padded to 4), the int16 widening
 * buffer of vg_dense_s8(), then (for vg_ae_s8_score()) the quantized input and output. */
static uint32_t ae8__wide_bytes(uint32_t mu)
{
    return 2u * ae8__pad4(VG_DENSE_S8_SCRATCH(mu));
}

size_t vg_ae_s8_scratch_size(const vg_model_t *m)
{
    const uint32_t mu = ae8__pad4(m->u.ae8.max_units);
    return 4u * mu + ae8__wide_bytes(mu);
}

void vg_ae_s8_forward(const vg_model_t *m, const int8_t *in, int8_t *out, void *scratch)
{
    /* Uses only the first 2 buffers and the widening buffer of the scratch, so @p in and
     * @p out may be the last two (as vg_ae_s8_score() passes them). */
    const uint32_t mu = ae8__pad4(m->u.ae8.max_units);
    int8_t *bufs[2] = {(int8_t *)scratch, (int8_t *)scratch + mu};
    int16_t *wide = (int16_t *)(void *)((uint8_t *)scratch + 2u * mu);
    const int8_t *cur = in;
    int32_t in_zp = m->u.ae8.in_zp;
    const uint8_t *p = m->u.ae8.data;
    int8_t *dst = bufs[0];
    for (uint16_t l = 0; l < m->u.ae8.n_layers; l++) {
        const vg_layer_s8_t *ld = &m->u.ae8.layers[l];
        vg_ae_s8_arrays_t a;
        ae8__arrays_at(p, ld, &a);
        p += vg_ae_s8_block_size(ld);
        const vg_dense_s8_q_t q = {in_zp, ld->pre_zp, ld->act_min, ld->act_max};
        dst = bufs[l & 1u];
        vg_dense_s8(a.w, a.bias, a.mult, a.shift, cur, dst, ld->n_in, ld->n_out, &q, wide);
        if (a.lut)
            vg_lut_s8(a.lut, dst, ld->n_out);
        in_zp = ld->out_zp;
        cur = dst;
    }
    for (uint16_t i = 0; i < m->n_features; i++)
        out[i] = cur[i];
}

float vg_ae_s8_score(const vg_model_t *m, const float *x, float *contrib, float *recon,
                     void *scratch)
{
    const uint32_t mu = ae8__pad4(m->u.ae8.max_units);
    int8_t *xq = (int8_t *)scratch + 2u * mu + ae8__wide_bytes(mu);
    int8_t *yq = xq + mu;
    int nan = 0;
    for (uint16_t i = 0; i < m->n_features; i++) {
        nan |= !(x[i] == x[i]);
        xq[i] = vg_quantize_s8(x[i], m->u.ae8.in_scale, m->u.ae8.in_zp);
    }
    vg_ae_s8_forward(m, xq, yq, scratch);
    const vg_layer_s8_t *last = &m->u.ae8.layers[m->u.ae8.n_layers - 1u];
    /* Root-mean-square error in the normalised feature space, like the float model's. */
    float sum = 0.0f;
    const float inv = 1.0f / (float)m->n_features;
    for (uint16_t i = 0; i < m->n_features; i++) {
        const float y = vg_dequantize_s8(yq[i], last->out_scale, last->out_zp);
        const float d = x[i] - y;
        const float e = d * d * inv;
        sum += e;
        if (contrib)
            contrib[i] = e;
        if (recon)
            recon[i] = y;
    }
    return nan ? NAN : sqrtf(sum);
}
#else
typedef int vg_ae_s8_disabled_t; /* ISO C wants a translation unit to declare something */
#endif
