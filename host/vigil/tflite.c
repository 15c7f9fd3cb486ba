/* SPDX-License-Identifier: MIT */
/*
 * A TensorFlow Lite flatbuffer written front to back. FlatBuffers' unsigned offsets must
 * point forward, so every table is written before the vectors, strings and tables it refers
 * to, and its reference fields are patched once those are placed. Each vtable sits just
 * before its table (the table's signed offset to it is positive). Only the tables and fields
 * a dense network needs are written; absent fields take the schema's defaults.
 */
#include "tflite.h"
#include "artifact.h"

#include "vigil/vg_ae_s8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TFL_FLOAT32 = 0, TFL_INT32 = 2, TFL_INT8 = 9 };                       /* TensorType */
enum { TFL_OP_FULLY_CONNECTED = 9, TFL_OP_LOGISTIC = 14, TFL_OP_TANH = 28 }; /* BuiltinOperator */
enum { TFL_ACT_NONE = 0, TFL_ACT_RELU = 1 };
enum { TFL_OPTS_FULLY_CONNECTED = 8 }; /* BuiltinOptions union member */
#define TFL_MAX_FIELDS 8

typedef struct {
    uint8_t *b;
    size_t n, cap;
    int oom;
} fb_t;

typedef struct {
    size_t at;
    size_t fld[TFL_MAX_FIELDS];
} fb_tab_t;

static size_t fb_zero(fb_t *f, size_t k)
{
    if (f->oom)
        return 0;
    if (f->n + k > f->cap) {
        size_t c = f->cap ? f->cap : 4096;
        while (c < f->n + k)
            c *= 2;
        uint8_t *p = realloc(f->b, c);
        if (!p) {
            f->oom = 1;
            return 0;
        }
        memset(p + f->cap, 0, c - f->cap);
        f->b = p;
        f->cap = c;
    }
    size_t at = f->n;
    f->n += k;
    return at;
}

static void fb_align(fb_t *f, size_t a, size_t extra)
{
    while (!f->oom && (f->n + extra) % a)
        fb_zero(f, 1);
}

static void fb_u16(fb_t *f, size_t at, unsigned v)
{
    if (f->oom)
        return;
    f->b[at] = (uint8_t)v;
    f->b[at + 1] = (uint8_t)(v >> 8);
}

static void fb_u32(fb_t *f, size_t at, uint32_t v)
{
    if (f->oom)
        return;
    for (unsigned i = 0; i < 4; i++)
        f->b[at + i] = (uint8_t)(v >> (8 * i));
}

/* A reference field at @p field to the object at @p target (always further on). */
static void fb_ref(fb_t *f, size_t field, size_t target)
{
    fb_u32(f, field, (uint32_t)(target - field));
}

/* A table with @p nf fields of sizes @p sz (0 absent, 1 or 4 bytes): vtable, then the table
 * (4-byte fields first, bytes last); t->fld[i] is where field i's value goes. */
static void fb_table(fb_t *f, fb_tab_t *t, unsigned nf, const uint8_t *sz)
{
    unsigned off[TFL_MAX_FIELDS] = {0}, len = 4;
    for (unsigned i = 0; i < nf; i++)
        if (sz[i] == 4) {
            off[i] = len;
            len += 4;
        }
    for (unsigned i = 0; i < nf; i++)
        if (sz[i] == 1)
            off[i] = len++;
    len = (len + 3u) & ~3u;
    fb_align(f, 2, 0);
    size_t vt = fb_zero(f, 4 + 2 * (size_t)nf);
    fb_u16(f, vt, 4 + 2 * nf);
    fb_u16(f, vt + 2, len);
    for (unsigned i = 0; i < nf; i++)
        fb_u16(f, vt + 4 + 2 * i, off[i]);
    fb_align(f, 4, 0);
    t->at = fb_zero(f, len);
    fb_u32(f, t->at, (uint32_t)(t->at - vt)); /* soffset: vtable = table - soffset */
    for (unsigned i = 0; i < nf; i++)
        t->fld[i] = off[i] ? t->at + off[i] : 0;
}

/* A vector of @p count elements of @p esz bytes whose elements start @p align-aligned.
 * Returns the position of its length word (what references point at). */
static size_t fb_vec(fb_t *f, size_t count, size_t esz, size_t align)
{
    fb_align(f, align < 4 ? 4 : align, 4);
    size_t at = fb_zero(f, 4 + count * esz);
    fb_u32(f, at, (uint32_t)count);
    return at;
}

static size_t fb_i32vec(fb_t *f, const int32_t *v, size_t count)
{
    size_t at = fb_vec(f, count, 4, 4);
    for (size_t i = 0; i < count; i++)
        fb_u32(f, at + 4 + 4 * i, (uint32_t)v[i]);
    return at;
}

static size_t fb_string(fb_t *f, const char *s)
{
    size_t len = strlen(s), at = fb_vec(f, len, 1, 4);
    fb_zero(f, 1); /* the terminating NUL FlatBuffers strings carry */
    if (!f->oom)
        memcpy(f->b + at + 4, s, len);
    return at;
}

/* The graph, built by one front end per model kind and written by one serializer. */
typedef struct {
    int32_t shape[2];
    unsigned rank;
    uint32_t buffer; /* 0: no data (an activation) */
    uint8_t type;
    char name[32];
    unsigned nq;         /* quantization entries (0: none, 1: per tensor, n: per channel) */
    const float *scale;  /* nq scales */
    const int64_t *zero; /* nq zero points */
} tfl_tensor_t;

typedef struct {
    unsigned code; /* index into the operator codes (tfl_code) */
    int32_t in[3];
    unsigned n_in;
    int32_t out;
    unsigned act; /* fused activation of FULLY_CONNECTED */
} tfl_op_t;

typedef struct {
    const void *data;
    size_t bytes;
} tfl_buf_t;

/* Operator codes in the file: FULLY_CONNECTED first, then LOGISTIC and TANH when used. */
typedef struct {
    unsigned builtin[3], version[3], n;
} tfl_codes_t;

#define TFL_MAX_TENSORS (4 * VG_MAX_LAYERS + 1)
#define TFL_MAX_OPS     (2 * VG_MAX_LAYERS)
#define TFL_MAX_BUFS    (2 * VG_MAX_LAYERS + 1)
/* per-channel scales of weights and biases, and per-tensor ones of activations */
#define TFL_MAX_SCALES (2 * VG_MAX_LAYERS * VG_MAX_UNITS + 2 * VG_MAX_LAYERS + 1)

typedef struct {
    tfl_tensor_t t[TFL_MAX_TENSORS];
    tfl_op_t op[TFL_MAX_OPS];
    tfl_buf_t buf[TFL_MAX_BUFS];
    tfl_codes_t codes;
    unsigned nt, nop, nbuf, nscale;
    float scale[TFL_MAX_SCALES];
    int64_t zero[TFL_MAX_SCALES];
} tfl_graph_t;

static unsigned tfl_code(tfl_graph_t *g, unsigned builtin, unsigned version)
{
    tfl_codes_t *c = &g->codes;
    for (unsigned i = 0; i < c->n; i++)
        if (c->builtin[i] == builtin)
            return i;
    c->builtin[c->n] = builtin;
    c->version[c->n] = version;
    return c->n++;
}

static int32_t tfl_tensor(tfl_graph_t *g, int32_t d0, int32_t d1, uint8_t type, const void *data,
                          size_t bytes, const char *name, unsigned l)
{
    tfl_tensor_t *t = &g->t[g->nt];
    memset(t, 0, sizeof *t);
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->rank = d1 ? 2 : 1;
    t->type = type;
    if (data) {
        g->buf[g->nbuf] = (tfl_buf_t){data, bytes};
        t->buffer = g->nbuf++;
    }
    snprintf(t->name, sizeof t->name, name, l);
    return (int32_t)g->nt++;
}

/* Quantization of tensor @p ti: @p n scales (and zero points) from the graph's pool. */
static void tfl_quant(tfl_graph_t *g, int32_t ti, unsigned n, const float *scale,
                      const int64_t *zero)
{
    tfl_tensor_t *t = &g->t[ti];
    t->nq = n;
    t->scale = g->scale + g->nscale;
    t->zero = g->zero + g->nscale;
    memcpy(g->scale + g->nscale, scale, n * sizeof *scale);
    for (unsigned i = 0; i < n; i++)
        g->zero[g->nscale + i] = zero ? zero[i] : 0;
    g->nscale += n;
}

static void tfl_op(tfl_graph_t *g, unsigned code, int32_t a, int32_t b, int32_t c, unsigned n_in,
                   int32_t out, unsigned act)
{
    g->op[g->nop++] = (tfl_op_t){code, {a, b, c}, n_in, out, act};
}

/* Float networks: FULLY_CONNECTED with ReLU fused; TFLite's float FULLY_CONNECTED does not
 * fuse tanh, so sigmoid and tanh are operators of their own after a linear one. */
static void tfl_graph_f32(tfl_graph_t *g, const vg_model_t *m)
{
    const vg_layer_desc_t *L = m->u.ae.layers;
    const float *p = m->u.ae.params;
    tfl_code(g, TFL_OP_FULLY_CONNECTED, 1);
    int32_t x = tfl_tensor(g, 1, (int32_t)L[0].n_in, TFL_FLOAT32, NULL, 0, "features", 0);
    for (unsigned l = 0; l < m->u.ae.n_layers; l++) {
        const size_t nw = (size_t)L[l].n_in * L[l].n_out;
        int32_t w = tfl_tensor(g, (int32_t)L[l].n_out, (int32_t)L[l].n_in, TFL_FLOAT32, p, 4 * nw,
                               "dense%u/weights", l);
        int32_t b = tfl_tensor(g, (int32_t)L[l].n_out, 0, TFL_FLOAT32, p + nw, 4u * L[l].n_out,
                               "dense%u/bias", l);
        p += nw + L[l].n_out;
        int sep = L[l].act == VG_ACT_SIGMOID || L[l].act == VG_ACT_TANH;
        int last = l + 1 == m->u.ae.n_layers;
        int32_t y = tfl_tensor(g, 1, (int32_t)L[l].n_out, TFL_FLOAT32, NULL, 0,
                               sep    ? "dense_pre%u"
                               : last ? "reconstruction%u"
                                      : "dense%u",
                               l);
        tfl_op(g, 0, x, w, b, 3, y, L[l].act == VG_ACT_RELU ? TFL_ACT_RELU : TFL_ACT_NONE);
        if (sep) {
            int sig = L[l].act == VG_ACT_SIGMOID;
            int32_t z = tfl_tensor(g, 1, (int32_t)L[l].n_out, TFL_FLOAT32, NULL, 0,
                                   last  ? "reconstruction%u"
                                   : sig ? "sigmoid%u"
                                         : "tanh%u",
                                   l);
            tfl_op(g, tfl_code(g, sig ? TFL_OP_LOGISTIC : TFL_OP_TANH, 1), y, 0, 0, 1, z, 0);
            y = z;
        }
        x = y;
    }
}

/* TFLite's QuantizeMultiplier: M = q_fixed 2^(shift - 31), q_fixed in [2^30, 2^31). */
static void tfl_quantize_multiplier(double m, int32_t *q, int *shift)
{
    if (m == 0.0) {
        *q = 0;
        *shift = 0;
        return;
    }
    double frac = frexp(m, shift);
    int64_t qf = (int64_t)round(frac * 2147483648.0);
    if (qf == (int64_t)1 << 31) {
        qf /= 2;
        ++*shift;
    }
    if (*shift < -31) {
        *shift = 0;
        qf = 0;
    }
    *q = (int32_t)qf;
}

/* The float32 weight scale s_w for which TFLite, computing M = s_in s_w / s_pre in double and
 * quantizing it, gets exactly the artifact's (mult, shift): found among the floats next to
 * M s_pre / s_in. Without one (not seen), the nearest, which moves a rounding by at most
 * one step of the output. M = 0 (weights that quantized to nothing) takes a tiny scale. */
static float tfl_weight_scale(int32_t mult, int8_t shift, float s_in, float s_pre)
{
    double want = mult ? ldexp((double)mult, shift - 31) : ldexp(1.0, -40);
    float s0 = (float)(want * (double)s_pre / (double)s_in);
    if (!mult)
        return s0;
    float up = s0, down = s0;
    for (int k = 0; k < 256; k++) {
        float c[2] = {up, down};
        for (int j = 0; j < 2; j++) {
            int32_t q;
            int sh;
            tfl_quantize_multiplier((double)s_in * (double)c[j] / (double)s_pre, &q, &sh);
            if (q == mult && sh == shift)
                return c[j];
        }
        up = nextafterf(up, INFINITY);
        down = nextafterf(down, 0.0f);
    }
    return s0;
}

/* int8 networks (kind 5), as TFLite quantizes them: int8 activations with a zero point,
 * int8 weights symmetric per output channel, int32 biases with scale s_in s_w[o].
 * The artifact keeps each channel's multiplier M = s_in s_w[o] / s_pre as TFLite's
 * (mult, shift); the weight scale TFLite needs is recovered from it so that TFLite's own
 * recomputation of (mult, shift) gives the same integers (tfl_weight_scale). Sigmoid and tanh
 * layers are LOGISTIC and TANH operators with TFLite's fixed output quantizations, which the
 * artifact's tables also use. */
static void tfl_graph_s8(tfl_graph_t *g, const vg_model_t *m)
{
    const vg_layer_s8_t *L = m->u.ae8.layers;
    float s_in = m->u.ae8.in_scale;
    int64_t z_in = m->u.ae8.in_zp;
    tfl_code(g, TFL_OP_FULLY_CONNECTED, 4); /* int8 FULLY_CONNECTED: operator version 4 */
    int32_t x = tfl_tensor(g, 1, (int32_t)L[0].n_in, TFL_INT8, NULL, 0, "features", 0);
    tfl_quant(g, x, 1, &s_in, &z_in);
    for (uint16_t l = 0; l < m->u.ae8.n_layers; l++) {
        vg_ae_s8_arrays_t a;
        vg_ae_s8_arrays(m, l, &a);
        const unsigned no = L[l].n_out;
        float sw[VG_MAX_UNITS], sb[VG_MAX_UNITS];
        for (unsigned o = 0; o < no; o++) {
            sw[o] = tfl_weight_scale(a.mult[o], a.shift[o], s_in, L[l].pre_scale);
            sb[o] = s_in * sw[o];
        }
        int32_t w = tfl_tensor(g, (int32_t)no, (int32_t)L[l].n_in, TFL_INT8, a.w,
                               (size_t)no * L[l].n_in, "dense%u/weights", l);
        tfl_quant(g, w, no, sw, NULL);
        int32_t b = tfl_tensor(g, (int32_t)no, 0, TFL_INT32, a.bias, 4u * no, "dense%u/bias", l);
        tfl_quant(g, b, no, sb, NULL);
        int last = l + 1 == m->u.ae8.n_layers;
        int32_t y = tfl_tensor(g, 1, (int32_t)no, TFL_INT8, NULL, 0,
                               a.lut  ? "dense_pre%u"
                               : last ? "reconstruction%u"
                                      : "dense%u",
                               l);
        int64_t zp = L[l].pre_zp;
        tfl_quant(g, y, 1, &L[l].pre_scale, &zp);
        tfl_op(g, 0, x, w, b, 3, y, L[l].act == VG_ACT_RELU ? TFL_ACT_RELU : TFL_ACT_NONE);
        if (a.lut) {
            int sig = L[l].act == VG_ACT_SIGMOID;
            int32_t z = tfl_tensor(g, 1, (int32_t)no, TFL_INT8, NULL, 0,
                                   last  ? "reconstruction%u"
                                   : sig ? "sigmoid%u"
                                         : "tanh%u",
                                   l);
            int64_t zo = L[l].out_zp;
            tfl_quant(g, z, 1, &L[l].out_scale, &zo);
            tfl_op(g, tfl_code(g, sig ? TFL_OP_LOGISTIC : TFL_OP_TANH, 2), y, 0, 0, 1, z, 0);
            y = z;
        }
        s_in = L[l].out_scale;
        z_in = L[l].out_zp;
        x = y;
    }
}

/* QuantizationParameters: scale (field 2), zero_point (3), quantized_dimension (6) = 0. */
static void tfl_write_quant(fb_t *f, size_t field, const tfl_tensor_t *t)
{
    static const uint8_t q_sz[] = {0, 0, 4, 4, 0, 0, 4};
    fb_tab_t q;
    fb_table(f, &q, 7, q_sz);
    fb_ref(f, field, q.at);
    size_t sv = fb_vec(f, t->nq, 4, 4);
    fb_ref(f, q.fld[2], sv);
    for (unsigned i = 0; i < t->nq; i++) {
        uint32_t bits;
        memcpy(&bits, &t->scale[i], 4);
        fb_u32(f, sv + 4 + 4 * i, bits);
    }
    size_t zv = fb_vec(f, t->nq, 8, 8);
    fb_ref(f, q.fld[3], zv);
    for (unsigned i = 0; i < t->nq; i++) {
        uint64_t z = (uint64_t)t->zero[i];
        fb_u32(f, zv + 4 + 8 * i, (uint32_t)z);
        fb_u32(f, zv + 8 + 8 * i, (uint32_t)(z >> 32));
    }
}

int vgh_tflite_build(const vg_model_t *m, const char *desc, uint8_t **out, size_t *len, char *err,
                     size_t errlen)
{
    if (m->kind != VG_KIND_AUTOENCODER && m->kind != VG_KIND_AE_S8) {
        snprintf(err, errlen,
                 "only autoencoders can be written as .tflite (this model's kind is %s): trees "
                 "have no TFLite operator that computes them",
                 vgh_kind_name(m->kind));
        return -1;
    }
    tfl_graph_t *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory writing the .tflite flatbuffer");
        return -1;
    }
    g->nbuf = 1; /* buffer 0 is the empty sentinel */
    if (m->kind == VG_KIND_AUTOENCODER)
        tfl_graph_f32(g, m);
    else
        tfl_graph_s8(g, m);

    fb_t f = {0};
    fb_zero(&f, 8);
    if (!f.oom)
        memcpy(f.b + 4, "TFL3", 4);
    static const uint8_t model_sz[] = {4, 4, 4, 4, 4};
    fb_tab_t model;
    fb_table(&f, &model, 5, model_sz);
    fb_u32(&f, 0, (uint32_t)model.at); /* root: offset from byte 0 */
    fb_u32(&f, model.fld[0], 3);       /* schema version */
    fb_ref(&f, model.fld[3], fb_string(&f, desc));

    size_t codes = fb_vec(&f, g->codes.n, 4, 4);
    fb_ref(&f, model.fld[1], codes);
    static const uint8_t code_sz[] = {1, 0, 4, 4};
    for (unsigned c = 0; c < g->codes.n; c++) {
        fb_tab_t oc;
        fb_table(&f, &oc, 4, code_sz);
        fb_ref(&f, codes + 4 + 4 * c, oc.at);
        if (!f.oom)
            f.b[oc.fld[0]] = (uint8_t)g->codes.builtin[c]; /* deprecated_builtin_code */
        fb_u32(&f, oc.fld[2], g->codes.version[c]);
        fb_u32(&f, oc.fld[3], g->codes.builtin[c]);
    }

    /* one subgraph */
    size_t subs = fb_vec(&f, 1, 4, 4);
    fb_ref(&f, model.fld[2], subs);
    static const uint8_t sub_sz[] = {4, 4, 4, 4, 4};
    fb_tab_t sg;
    fb_table(&f, &sg, 5, sub_sz);
    fb_ref(&f, subs + 4, sg.at);
    size_t tv = fb_vec(&f, g->nt, 4, 4);
    fb_ref(&f, sg.fld[0], tv);
    static const uint8_t tensor_sz[] = {4, 1, 4, 4, 4}, tensor_nq_sz[] = {4, 1, 4, 4};
    for (unsigned i = 0; i < g->nt; i++) {
        const tfl_tensor_t *t = &g->t[i];
        fb_tab_t tt;
        fb_table(&f, &tt, t->nq ? 5 : 4, t->nq ? tensor_sz : tensor_nq_sz);
        fb_ref(&f, tv + 4 + 4 * i, tt.at);
        if (!f.oom)
            f.b[tt.fld[1]] = t->type;
        fb_u32(&f, tt.fld[2], t->buffer);
        fb_ref(&f, tt.fld[0], fb_i32vec(&f, t->shape, t->rank));
        fb_ref(&f, tt.fld[3], fb_string(&f, t->name));
        if (t->nq)
            tfl_write_quant(&f, tt.fld[4], t);
    }
    int32_t in0 = 0, outn = g->op[g->nop - 1].out;
    fb_ref(&f, sg.fld[1], fb_i32vec(&f, &in0, 1));
    fb_ref(&f, sg.fld[2], fb_i32vec(&f, &outn, 1));
    size_t ov = fb_vec(&f, g->nop, 4, 4);
    fb_ref(&f, sg.fld[3], ov);
    static const uint8_t fc_sz[] = {4, 4, 4, 1, 4}, act_sz[] = {4, 4, 4, 0, 0}, fco_sz[] = {1};
    for (unsigned i = 0; i < g->nop; i++) {
        const tfl_op_t *op = &g->op[i];
        fb_tab_t ot;
        fb_table(&f, &ot, 5, op->code == 0 ? fc_sz : act_sz);
        fb_ref(&f, ov + 4 + 4 * i, ot.at);
        fb_u32(&f, ot.fld[0], op->code);
        fb_ref(&f, ot.fld[1], fb_i32vec(&f, op->in, op->n_in));
        fb_ref(&f, ot.fld[2], fb_i32vec(&f, &op->out, 1));
        if (op->code == 0) {
            if (!f.oom)
                f.b[ot.fld[3]] = TFL_OPTS_FULLY_CONNECTED;
            fb_tab_t fo;
            fb_table(&f, &fo, 1, fco_sz);
            fb_ref(&f, ot.fld[4], fo.at);
            if (!f.oom)
                f.b[fo.fld[0]] = (uint8_t)op->act;
        }
    }
    fb_ref(&f, sg.fld[4], fb_string(&f, "main"));

    /* buffers: 0 is the empty sentinel; then the constant tensors' data, 16-byte aligned */
    size_t bv = fb_vec(&f, g->nbuf, 4, 4);
    fb_ref(&f, model.fld[4], bv);
    fb_tab_t bt;
    fb_table(&f, &bt, 0, NULL);
    fb_ref(&f, bv + 4, bt.at);
    static const uint8_t buf_sz[] = {4};
    for (unsigned k = 1; k < g->nbuf; k++) {
        fb_table(&f, &bt, 1, buf_sz);
        fb_ref(&f, bv + 4 + 4 * k, bt.at);
        size_t dv = fb_vec(&f, g->buf[k].bytes, 1, 16);
        fb_ref(&f, bt.fld[0], dv);
        /* the data are little-endian in the artifact, as TFLite wants them */
        if (!f.oom)
            memcpy(f.b + dv + 4, g->buf[k].data, g->buf[k].bytes);
    }
    fb_align(&f, 16, 0);
    free(g);
    if (f.oom) {
        free(f.b);
        snprintf(err, errlen, "out of memory writing the .tflite flatbuffer");
        return -1;
    }
    *out = f.b;
    *len = f.n;
    return 0;
}
