/* SPDX-License-Identifier: MIT */
/* Post-training quantization of a float autoencoder to int8: calibration ranges, per-channel
 * symmetric weights, int32 biases, Q31 multipliers, activation tables (docs/quantization.md). */
#include "quantize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Little-endian writers (the host may not be little-endian; every target is). */
static void q_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void q_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void q_putf(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    q_put32(p, u);
}

static uint32_t q_pad4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

vgh_qparams_t vgh_choose_qparams(double min, double max)
{
    vgh_qparams_t q;
    min = fmin(min, 0.0);
    max = fmax(max, 0.0);
    double scale = (max - min) / 255.0;
    if (!(scale > 1e-30)) {
        q.scale = 1.0f / 255.0f;
        q.zp = 0;
        return q;
    }
    q.scale = (float)scale;
    /* TFLite picks the zero point from whichever end has the smaller rounding error; with the
     * range widened to hold 0 both give the same value up to rounding: use the minimum. */
    double zp = -128.0 - min / (double)q.scale;
    long z = lround(zp);
    q.zp = (int32_t)(z < -128 ? -128 : z > 127 ? 127 : z);
    return q;
}

void vgh_quantize_multiplier(double real, int32_t *mult, int *shift)
{
    if (!(real > 0.0)) {
        *mult = 0;
        *shift = 0;
        return;
    }
    int e;
    const double q = frexp(real, &e); /* real = q * 2^e, q in [0.5, 1) */
    long long qf = llround(q * 2147483648.0);
    if (qf == 2147483648LL) { /* q rounded up to 1.0 */
        qf /= 2;
        e++;
    }
    if (e < VG_SHIFT_MIN) { /* below 2^-32: the product rounds to 0 anyway */
        *mult = 0;
        *shift = 0;
        return;
    }
    if (e > VG_SHIFT_MAX) {
        *mult = INT32_MAX;
        *shift = VG_SHIFT_MAX;
        return;
    }
    *mult = (int32_t)qf;
    *shift = e;
}

/* Ranges seen in calibration: per layer, of the accumulator before the activation and of the
 * output after it. */
typedef struct {
    double in_min, in_max;
    double pre_min[VG_MAX_LAYERS], pre_max[VG_MAX_LAYERS];
    double out_min[VG_MAX_LAYERS], out_max[VG_MAX_LAYERS];
} q_ranges_t;

static void q_ranges_init(const vg_model_t *m, q_ranges_t *r)
{
    r->in_min = INFINITY;
    r->in_max = -INFINITY;
    for (uint16_t l = 0; l < m->u.ae.n_layers; l++) {
        r->pre_min[l] = r->out_min[l] = INFINITY;
        r->pre_max[l] = r->out_max[l] = -INFINITY;
    }
}

/* One row through the float network with the core's own kernel and activation (so the
 * values are those the float detector computes); widens @p r when not NULL. Returns the
 * root-mean-square reconstruction error, the float model's raw score. */
static double q_forward(const vg_model_t *m, const float *x, q_ranges_t *r)
{
    const uint16_t nl = m->u.ae.n_layers, nf = m->n_features;
    float a[VG_MAX_UNITS], b[VG_MAX_UNITS];
    for (uint16_t i = 0; i < nf; i++) {
        if (r) {
            r->in_min = fmin(r->in_min, x[i]);
            r->in_max = fmax(r->in_max, x[i]);
        }
        a[i] = x[i];
    }
    const float *w = m->u.ae.params;
    for (uint16_t l = 0; l < nl; l++) {
        const vg_layer_desc_t *ld = &m->u.ae.layers[l];
        const float *bias = w + (size_t)ld->n_in * ld->n_out;
        vg_dense_f32(w, bias, a, b, ld->n_in, ld->n_out, VG_ACT_LINEAR);
        for (uint16_t o = 0; o < ld->n_out; o++) {
            a[o] = vg_act_f32(b[o], ld->act);
            if (r) {
                r->pre_min[l] = fmin(r->pre_min[l], b[o]);
                r->pre_max[l] = fmax(r->pre_max[l], b[o]);
                r->out_min[l] = fmin(r->out_min[l], a[o]);
                r->out_max[l] = fmax(r->out_max[l], a[o]);
            }
        }
        w = bias + ld->n_out;
    }
    double e = 0.0;
    for (uint16_t i = 0; i < nf; i++)
        e += ((double)x[i] - a[i]) * ((double)x[i] - a[i]);
    return sqrt(e / nf);
}

/*
 * Calibration ranges. The rows themselves, and (boundary > 1) each row scaled away from the
 * origin of the normalised space until the float model's score reaches the threshold, by at
 * most @p boundary times: the decision is made on windows around the threshold, which normal
 * calibration data never reach, and an int8 network whose ranges stop short of them clamps
 * exactly the inputs whose decision matters. The cap keeps rows the network reconstructs
 * well (whose boundary lies far out) from stretching the ranges and coarsening every step
 * (docs/quantization.md has the measurements behind the default of 3).
 */
static void q_calibrate(const vg_model_t *m, const float *X, size_t n, double boundary,
                        q_ranges_t *r)
{
    const uint16_t nf = m->n_features;
    q_ranges_init(m, r);
    float y[VG_MAX_UNITS];
    for (size_t row = 0; row < n; row++) {
        const float *x = X + row * nf;
        if (q_forward(m, x, r) >= m->threshold || !(boundary > 1.0))
            continue;
        double lo = 1.0, hi = boundary;
        for (uint16_t i = 0; i < nf; i++)
            y[i] = (float)(x[i] * hi);
        if (q_forward(m, y, NULL) >= m->threshold) {
            for (int it = 0; it < 30; it++) {
                const double mid = 0.5 * (lo + hi);
                for (uint16_t i = 0; i < nf; i++)
                    y[i] = (float)(x[i] * mid);
                if (q_forward(m, y, NULL) >= m->threshold)
                    hi = mid;
                else
                    lo = mid;
            }
        }
        for (uint16_t i = 0; i < nf; i++)
            y[i] = (float)(x[i] * hi);
        (void)q_forward(m, y, r);
    }
}

int vgh_quantize_ae(const vg_model_t *m, const float *X, size_t n, double boundary, uint8_t **body,
                    uint32_t *len, char *err, size_t errlen)
{
    *body = NULL;
    *len = 0;
    if (m->kind != VG_KIND_AUTOENCODER || n == 0) {
        vgh_errf(err, errlen, "internal error: vgh_quantize_ae needs a float autoencoder and data");
        return -1;
    }
    const uint16_t nl = m->u.ae.n_layers;
    q_ranges_t r;
    q_calibrate(m, X, n, boundary, &r);

    /* Sizes first: the head, the descriptors, then each layer's arrays. */
    vg_layer_s8_t ld[VG_MAX_LAYERS];
    memset(ld, 0, sizeof ld);
    uint32_t total = VG_AE_S8_HEAD + VG_LAYER_S8_SIZE * nl;
    vgh_qparams_t in_q = vgh_choose_qparams(r.in_min, r.in_max), prev = in_q;
    vgh_qparams_t pre_q[VG_MAX_LAYERS], out_q[VG_MAX_LAYERS];
    for (uint16_t l = 0; l < nl; l++) {
        const vg_layer_desc_t *fl = &m->u.ae.layers[l];
        ld[l].n_in = fl->n_in;
        ld[l].n_out = fl->n_out;
        ld[l].act = fl->act;
        ld[l].lut = fl->act == VG_ACT_SIGMOID || fl->act == VG_ACT_TANH;
        if (fl->act == VG_ACT_RELU) {
            /* the fused ReLU clamps at the zero point: quantize the output range [0, max] */
            pre_q[l] = out_q[l] = vgh_choose_qparams(0.0, r.out_max[l]);
        } else if (ld[l].lut) {
            pre_q[l] = vgh_choose_qparams(r.pre_min[l], r.pre_max[l]);
            /* TFLite's fixed output quantizations of the logistic and tanh functions */
            out_q[l].scale = fl->act == VG_ACT_SIGMOID ? 1.0f / 256.0f : 1.0f / 128.0f;
            out_q[l].zp = fl->act == VG_ACT_SIGMOID ? -128 : 0;
        } else {
            pre_q[l] = out_q[l] = vgh_choose_qparams(r.out_min[l], r.out_max[l]);
        }
        ld[l].pre_scale = pre_q[l].scale;
        ld[l].pre_zp = (int8_t)pre_q[l].zp;
        ld[l].out_scale = out_q[l].scale;
        ld[l].out_zp = (int8_t)out_q[l].zp;
        ld[l].act_min = (int8_t)(fl->act == VG_ACT_RELU ? pre_q[l].zp : -128);
        ld[l].act_max = 127;
        total += vg_ae_s8_block_size(&ld[l]);
    }
    uint8_t *b = calloc(1, total);
    if (!b) {
        vgh_errf(err, errlen, "out of memory");
        return -1;
    }
    q_put16(b, nl);
    q_putf(b + 4, in_q.scale);
    q_put32(b + 8, (uint32_t)in_q.zp);
    uint8_t *p = b + VG_AE_S8_HEAD + VG_LAYER_S8_SIZE * nl;
    const float *w = m->u.ae.params;
    for (uint16_t l = 0; l < nl; l++) {
        uint8_t *d = b + VG_AE_S8_HEAD + VG_LAYER_S8_SIZE * l;
        q_put16(d, ld[l].n_in);
        q_put16(d + 2, ld[l].n_out);
        d[4] = ld[l].act;
        d[5] = ld[l].lut;
        d[6] = (uint8_t)ld[l].pre_zp;
        d[7] = (uint8_t)ld[l].out_zp;
        d[8] = (uint8_t)ld[l].act_min;
        d[9] = (uint8_t)ld[l].act_max;
        q_putf(d + 12, ld[l].pre_scale);
        q_putf(d + 16, ld[l].out_scale);

        const uint32_t ni = ld[l].n_in, no = ld[l].n_out;
        const float *bias = w + (size_t)ni * no;
        uint8_t *pw = p, *pb = p + q_pad4(ni * no);
        uint8_t *pm = pb + 4u * no, *psh = pm + 4u * no;
        for (uint32_t o = 0; o < no; o++) {
            /* symmetric per output channel: the largest |w| maps to 127 */
            double amax = 0.0;
            for (uint32_t i = 0; i < ni; i++)
                amax = fmax(amax, fabs((double)w[o * ni + i]));
            const float ws = amax > 0.0 ? (float)(amax / 127.0) : 1.0f;
            for (uint32_t i = 0; i < ni; i++) {
                long v = lround((double)w[o * ni + i] / (double)ws);
                pw[o * ni + i] = (uint8_t)(int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
            }
            /* bias at the accumulator's scale in_scale * w_scale, zero point 0 */
            const double bs = (double)prev.scale * (double)ws;
            double bq = round((double)bias[o] / bs);
            const double bmax = (double)VG_AE_S8_BIAS_MAX;
            bq = bq > bmax ? bmax : bq < -bmax ? -bmax : bq;
            q_put32(pb + 4u * o, (uint32_t)(int32_t)bq);
            int32_t mult;
            int shift;
            vgh_quantize_multiplier(bs / (double)pre_q[l].scale, &mult, &shift);
            q_put32(pm + 4u * o, (uint32_t)mult);
            psh[o] = (uint8_t)(int8_t)shift;
        }
        if (ld[l].lut) {
            int8_t *lut = (int8_t *)(psh + q_pad4(no));
            for (int q = -128; q <= 127; q++) {
                const float x = pre_q[l].scale * (float)(q - pre_q[l].zp);
                lut[q + 128] =
                    vg_quantize_s8(vg_act_f32(x, ld[l].act), out_q[l].scale, out_q[l].zp);
            }
        }
        p += vg_ae_s8_block_size(&ld[l]);
        w = bias + no;
        prev = out_q[l];
    }
    *body = b;
    *len = total;
    return 0;
}

void vgh_spec_from_model(const vg_model_t *m, vgh_artifact_spec_t *s, vg_biquad_t *sos_buf)
{
    memset(s, 0, sizeof *s);
    s->sample_rate = m->sample_rate;
    s->n_channels = m->n_channels;
    s->window = m->window;
    s->hop = m->hop;
    s->n_features = m->n_features;
    s->norm_kind = m->norm_kind;
    s->max_missing_pm = m->max_missing_pm;
    memcpy(s->feats, m->feats, sizeof(vg_feat_desc_t) * m->n_features);
    memcpy(s->norm, m->norm, sizeof(float) * 2u * m->n_features);
    s->threshold = m->threshold;
    s->open_after = m->open_after;
    s->close_after = m->close_after;
    s->strict_pm = m->strict_pm;
    s->strict_class = m->strict_class;
    if (m->wave.present) {
        s->wave = 1;
        s->f_nominal = m->wave.f_nominal;
        s->wave_scale = m->wave.scale;
        s->wave_scale_i = m->wave.scale_i;
        s->max_harmonic = m->wave.max_harmonic;
        s->n_sos = m->wave.n_sos;
        for (uint16_t k = 0; k < m->wave.n_sos; k++) {
            const float *c = m->wave.sos + 5u * k;
            sos_buf[k].b0 = c[0];
            sos_buf[k].b1 = c[1];
            sos_buf[k].b2 = c[2];
            sos_buf[k].a1 = c[3];
            sos_buf[k].a2 = c[4];
        }
        s->sos = sos_buf;
    }
}
