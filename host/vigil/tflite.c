/* SPDX-License-Identifier: MIT */
/*
 * A TensorFlow Lite flatbuffer written front to back. FlatBuffers' unsigned offsets must
 * point forward, so every table is written before the vectors, strings and tables it refers
 * to, and its reference fields are patched once those are placed. Each vtable sits just
 * before its table (the table's signed offset to it is positive). Only the tables and fields
 * a dense network needs are written; absent fields take the schema's defaults.
 */
#include "tflite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TFL_FLOAT32 = 0 };                                                    /* TensorType */
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

typedef struct {
    int32_t shape[2];
    unsigned rank;
    uint32_t buffer;
    char name[32];
} tfl_tensor_t;

typedef struct {
    unsigned code; /* index into the operator codes (tfl_code) */
    int32_t in[3];
    unsigned n_in;
    int32_t out;
    unsigned act; /* fused activation of FULLY_CONNECTED */
} tfl_op_t;

/* Operator codes in the file: FULLY_CONNECTED first, then LOGISTIC and TANH when used. */
typedef struct {
    unsigned builtin[3], n;
} tfl_codes_t;

static unsigned tfl_code(tfl_codes_t *c, unsigned builtin)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->builtin[i] == builtin)
            return i;
    c->builtin[c->n] = builtin;
    return c->n++;
}

#define TFL_MAX_TENSORS (4 * VG_MAX_LAYERS + 1)
#define TFL_MAX_OPS     (2 * VG_MAX_LAYERS)

int vgh_tflite_build(const vg_model_t *m, const char *desc, uint8_t **out, size_t *len, char *err,
                     size_t errlen)
{
    if (m->kind != VG_KIND_AUTOENCODER) {
        snprintf(err, errlen,
                 "only autoencoders can be written as .tflite (this model is kind %u): trees "
                 "have no TFLite operator that computes them",
                 m->kind);
        return -1;
    }
    tfl_tensor_t t[TFL_MAX_TENSORS];
    tfl_op_t op[TFL_MAX_OPS];
    unsigned nt = 0, nop = 0, nbuf = 1;
    tfl_codes_t codes_used = {{TFL_OP_FULLY_CONNECTED}, 1};
    const vg_layer_desc_t *L = m->u.ae.layers;
    t[nt++] = (tfl_tensor_t){{1, (int32_t)L[0].n_in}, 2, 0, "features"};
    for (unsigned l = 0; l < m->u.ae.n_layers; l++) {
        int32_t x = (int32_t)nt - 1, w = (int32_t)nt, b = (int32_t)nt + 1;
        t[nt] = (tfl_tensor_t){{(int32_t)L[l].n_out, (int32_t)L[l].n_in}, 2, nbuf++, ""};
        snprintf(t[nt++].name, sizeof t[0].name, "dense%u/weights", l);
        t[nt] = (tfl_tensor_t){{(int32_t)L[l].n_out, 0}, 1, nbuf++, ""};
        snprintf(t[nt++].name, sizeof t[0].name, "dense%u/bias", l);
        /* ReLU is fused; TFLite's float FULLY_CONNECTED does not fuse tanh, so sigmoid and
         * tanh are operators of their own after a linear FULLY_CONNECTED. */
        unsigned act = L[l].act == VG_ACT_RELU ? TFL_ACT_RELU : TFL_ACT_NONE;
        int sep = L[l].act == VG_ACT_SIGMOID || L[l].act == VG_ACT_TANH;
        int last = l + 1 == m->u.ae.n_layers;
        t[nt] = (tfl_tensor_t){{1, (int32_t)L[l].n_out}, 2, 0, ""};
        snprintf(t[nt].name, sizeof t[0].name, "%s%u",
                 sep    ? "dense_pre"
                 : last ? "reconstruction"
                        : "dense",
                 l);
        op[nop++] = (tfl_op_t){0, {x, w, b}, 3, (int32_t)nt++, act};
        if (sep) {
            int sig = L[l].act == VG_ACT_SIGMOID;
            t[nt] = (tfl_tensor_t){{1, (int32_t)L[l].n_out}, 2, 0, ""};
            snprintf(t[nt].name, sizeof t[0].name, "%s%u",
                     last  ? "reconstruction"
                     : sig ? "sigmoid"
                           : "tanh",
                     l);
            unsigned code = tfl_code(&codes_used, sig ? TFL_OP_LOGISTIC : TFL_OP_TANH);
            op[nop++] = (tfl_op_t){code, {(int32_t)nt - 1, 0, 0}, 1, (int32_t)nt, 0};
            nt++;
        }
    }

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

    unsigned ncode = codes_used.n;
    size_t codes = fb_vec(&f, ncode, 4, 4);
    fb_ref(&f, model.fld[1], codes);
    static const uint8_t code_sz[] = {1, 0, 4, 4};
    for (unsigned c = 0; c < ncode; c++) {
        unsigned builtin = codes_used.builtin[c];
        fb_tab_t oc;
        fb_table(&f, &oc, 4, code_sz);
        fb_ref(&f, codes + 4 + 4 * c, oc.at);
        if (!f.oom)
            f.b[oc.fld[0]] = (uint8_t)builtin; /* deprecated_builtin_code */
        fb_u32(&f, oc.fld[2], 1);              /* version */
        fb_u32(&f, oc.fld[3], builtin);        /* builtin_code */
    }

    /* one subgraph */
    size_t subs = fb_vec(&f, 1, 4, 4);
    fb_ref(&f, model.fld[2], subs);
    static const uint8_t sub_sz[] = {4, 4, 4, 4, 4};
    fb_tab_t sg;
    fb_table(&f, &sg, 5, sub_sz);
    fb_ref(&f, subs + 4, sg.at);
    size_t tv = fb_vec(&f, nt, 4, 4);
    fb_ref(&f, sg.fld[0], tv);
    static const uint8_t tensor_sz[] = {4, 1, 4, 4};
    for (unsigned i = 0; i < nt; i++) {
        fb_tab_t tt;
        fb_table(&f, &tt, 4, tensor_sz);
        fb_ref(&f, tv + 4 + 4 * i, tt.at);
        if (!f.oom)
            f.b[tt.fld[1]] = TFL_FLOAT32;
        fb_u32(&f, tt.fld[2], t[i].buffer);
        fb_ref(&f, tt.fld[0], fb_i32vec(&f, t[i].shape, t[i].rank));
        fb_ref(&f, tt.fld[3], fb_string(&f, t[i].name));
    }
    int32_t in0 = 0, outn = op[nop - 1].out;
    fb_ref(&f, sg.fld[1], fb_i32vec(&f, &in0, 1));
    fb_ref(&f, sg.fld[2], fb_i32vec(&f, &outn, 1));
    size_t ov = fb_vec(&f, nop, 4, 4);
    fb_ref(&f, sg.fld[3], ov);
    static const uint8_t fc_sz[] = {4, 4, 4, 1, 4}, lg_sz[] = {4, 4, 4, 0, 0}, fco_sz[] = {1};
    for (unsigned i = 0; i < nop; i++) {
        fb_tab_t ot;
        fb_table(&f, &ot, 5, op[i].code == 0 ? fc_sz : lg_sz);
        fb_ref(&f, ov + 4 + 4 * i, ot.at);
        fb_u32(&f, ot.fld[0], op[i].code);
        fb_ref(&f, ot.fld[1], fb_i32vec(&f, op[i].in, op[i].n_in));
        fb_ref(&f, ot.fld[2], fb_i32vec(&f, &op[i].out, 1));
        if (op[i].code == 0) {
            if (!f.oom)
                f.b[ot.fld[3]] = TFL_OPTS_FULLY_CONNECTED;
            fb_tab_t fo;
            fb_table(&f, &fo, 1, fco_sz);
            fb_ref(&f, ot.fld[4], fo.at);
            if (!f.oom)
                f.b[fo.fld[0]] = (uint8_t)op[i].act;
        }
    }
    fb_ref(&f, sg.fld[4], fb_string(&f, "main"));

    /* buffers: 0 is the empty sentinel; then each layer's weights and bias */
    size_t bv = fb_vec(&f, nbuf, 4, 4);
    fb_ref(&f, model.fld[4], bv);
    fb_tab_t bt;
    fb_table(&f, &bt, 0, NULL);
    fb_ref(&f, bv + 4, bt.at);
    const float *p = m->u.ae.params;
    static const uint8_t buf_sz[] = {4};
    for (unsigned l = 0, k = 1; l < m->u.ae.n_layers; l++) {
        size_t n[2] = {(size_t)L[l].n_in * L[l].n_out, L[l].n_out};
        for (unsigned j = 0; j < 2; j++, k++) {
            fb_table(&f, &bt, 1, buf_sz);
            fb_ref(&f, bv + 4 + 4 * k, bt.at);
            size_t dv = fb_vec(&f, n[j] * 4, 1, 16);
            fb_ref(&f, bt.fld[0], dv);
            for (size_t e = 0; e < n[j]; e++) {
                uint32_t bits;
                memcpy(&bits, &p[e], 4);
                fb_u32(&f, dv + 4 + 4 * e, bits);
            }
            p += n[j];
        }
    }
    fb_align(&f, 16, 0);
    if (f.oom) {
        free(f.b);
        snprintf(err, errlen, "out of memory writing the .tflite flatbuffer");
        return -1;
    }
    *out = f.b;
    *len = f.n;
    return 0;
}
