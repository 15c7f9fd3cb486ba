/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of tests/fuzz/fuzz_model.c: valid artifacts of each model kind
 * (z-score, autoencoder, isolation forest, random forest, int8 autoencoder, int16 isolation
 * and random forests) and a few invalid
 * ones, built byte by
 * byte with tests/unit/vg_test_artifact.c and checked against vg_model_parse().
 *
 *   gcc -std=c11 -Wall -Wextra -Icore/include -Itests/unit tests/fuzz/gen_model_corpus.c \
 *       tests/unit/vg_test_artifact.c core/src/vg_*.c -lm -o /tmp/gen_model_corpus &&
 *   /tmp/gen_model_corpus tests/fuzz/corpus/model
 *
 * Deterministic: the same files every run.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_test_artifact.h"
#include "vigil/vigil.h"

#define CAP (256u * 1024u)

static union {
    uint64_t align;
    uint8_t b[CAP];
} art;

static const char *out_dir;
static unsigned n_valid, n_invalid;
static uint32_t rng = 0x12345678u;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static float rndf(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rnd() >> 8) / 16777216.0f;
}

static void emit(const char *name, size_t n, int want_valid)
{
    if (n == 0 && want_valid) {
        fprintf(stderr, "%s: builder failed\n", name);
        exit(1);
    }
    vg_model_t m;
    vg_status_t s = vg_model_parse(&m, art.b, n);
    if ((s == VG_OK) != want_valid) {
        fprintf(stderr, "%s: parse returned %d (%s)\n", name, s, vg_status_str(s));
        exit(1);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.vgm", out_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(art.b, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write\n", path);
        exit(1);
    }
    if (want_valid)
        n_valid++;
    else
        n_invalid++;
    printf("%-28s %6zu bytes  %s\n", name, n, vg_status_str(s));
}

/* A pipe of nf features spread over nc channels, cycling feature ids from id0. */
static uint8_t g_ch[VG_MAX_FEATURES], g_id[VG_MAX_FEATURES];
static float g_norm[2 * VG_MAX_FEATURES];

static vgt_pipe_t pipe_of(float sr, uint16_t nc, uint16_t win, uint16_t hop, uint16_t nf,
                          unsigned id0, uint16_t norm_kind, float thr)
{
    for (unsigned k = 0; k < nf; k++) {
        g_ch[k] = (uint8_t)(k % nc);
        g_id[k] = (uint8_t)((id0 + k) % VG_FEAT_COUNT);
        g_norm[2 * k] = norm_kind ? rndf(-5.0f, 25.0f) : 0.0f;
        g_norm[2 * k + 1] = norm_kind ? rndf(0.05f, 2.0f) : 1.0f;
    }
    vgt_pipe_t p = {sr, nc, win, hop, nf, norm_kind, 200, g_ch, g_id, g_norm, thr, 2, 3, NULL};
    return p;
}

static void gen_zscore(void)
{
    vgt_pipe_t p = pipe_of(1.0f, 1, 1, 1, 1, 1, 0, 3.0f);
    emit("z01_minimal", vgt_build_zscore(art.b, CAP, &p, 0.0f), 1);
    p = pipe_of(10.0f, 2, 8, 4, 3, 1, 1, 3.0f);
    p.meta = "channels=temp,hum\ncreated_by=gen_model_corpus\n";
    emit("z02_two_channels_meta", vgt_build_zscore(art.b, CAP, &p, 0.05f), 1);
    p = pipe_of(0.5f, 3, 60, 10, 12, 0, 1, 4.0f);
    p.max_missing_pm = 100;
    emit("z03_all_features", vgt_build_zscore(art.b, CAP, &p, 0.2f), 1);
    p = pipe_of(100.0f, 16, 4, 2, 16, 3, 2, 2.5f);
    emit("z04_sixteen_channels", vgt_build_zscore(art.b, CAP, &p, 0.0f), 1);
    p = pipe_of(2.0f, 1, 200, 200, 2, 5, 1, 6.0f);
    p.open_after = 3;
    p.close_after = 5;
    p.max_missing_pm = 1000;
    emit("z05_long_window_alpha1", vgt_build_zscore(art.b, CAP, &p, 1.0f), 1);
    p = pipe_of(1.0f, 2, 5, 1, 64, 0, 1, 3.0f);
    emit("z06_max_features", vgt_build_zscore(art.b, CAP, &p, 0.01f), 1);
    /* an unknown section before the required ones, and META last */
    p = pipe_of(4.0f, 2, 6, 3, 2, 6, 1, 3.0f);
    vgt_writer_t w;
    vgt_begin(&w, art.b, CAP, 5);
    vgt_section_begin(&w, VGT_TAG('X', 'T', 'R', 'A'));
    vgt_w32(&w, 0xDEADBEEFu);
    vgt_w16(&w, 7);
    vgt_section_end(&w);
    vgt_put_modl_zscore(&w, 0.1f);
    vgt_put_deci(&w, &p);
    vgt_put_pipe(&w, &p);
    vgt_put_meta(&w, "train_rows=100");
    emit("z07_unknown_section", vgt_end(&w), 1);
}

static float g_params[8 * (64 * 64 + 64)];

static void ae(const char *name, vgt_pipe_t *p, uint16_t nl, const vgt_layer_t *layers)
{
    uint32_t np = vgt_ae_param_count(nl, layers);
    for (uint32_t i = 0; i < np; i++)
        g_params[i] = rndf(-0.5f, 0.5f);
    emit(name, vgt_build_ae(art.b, CAP, p, nl, layers, g_params), 1);
}

static void gen_ae(void)
{
    vgt_pipe_t p = pipe_of(2.0f, 2, 1, 1, 2, 0, 1, 1.0f);
    const vgt_layer_t l1[] = {{2, 1, 0}, {1, 2, 0}};
    ae("a01_2_1_2_linear", &p, 2, l1);
    p = pipe_of(1.0f, 2, 8, 4, 3, 1, 1, 0.8f);
    const vgt_layer_t l2[] = {{3, 2, 1}, {2, 3, 0}};
    ae("a02_3_2_3_relu", &p, 2, l2);
    p = pipe_of(1.0f, 4, 16, 4, 4, 1, 1, 0.5f);
    const vgt_layer_t l3[] = {{4, 8, 3}, {8, 2, 1}, {2, 8, 2}, {8, 4, 0}};
    ae("a03_mixed_activations", &p, 4, l3);
    p = pipe_of(1.0f, 3, 10, 5, 6, 2, 1, 0.7f);
    vgt_layer_t l4[8];
    for (unsigned l = 0; l < 8; l++) {
        l4[l].n_in = l == 0 ? 6 : (uint16_t)(3 + l);
        l4[l].n_out = l == 7 ? 6 : (uint16_t)(4 + l);
        l4[l].act = (uint8_t)(l % 4);
    }
    ae("a04_eight_layers", &p, 8, l4);
    p = pipe_of(5.0f, 5, 12, 3, 5, 4, 2, 0.3f);
    const vgt_layer_t l5[] = {{5, 64, 1}, {64, 5, 0}};
    ae("a05_wide_hidden", &p, 2, l5);
    p = pipe_of(1.0f, 1, 1, 1, 1, 0, 0, 2.0f);
    const vgt_layer_t l6[] = {{1, 1, 2}};
    ae("a06_single_unit", &p, 1, l6);
    p = pipe_of(0.1f, 2, 30, 15, 4, 7, 1, 1.5f);
    p.meta = "threshold_rule=p99\n";
    const vgt_layer_t l7[] = {{4, 3, 3}, {3, 4, 0}};
    ae("a07_meta_window30", &p, 2, l7);
}

/* Pre-order random tree: returns nodes written at nodes[*cur...]. */
static vgt_node_t g_nodes[70000];
static uint32_t g_roots[1024];

static void tree(uint32_t root, uint32_t *cur, unsigned depth, unsigned max_depth, uint16_t nf)
{
    uint32_t i = (*cur)++;
    if (depth >= max_depth || (depth > 0 && rnd() % 4 == 0)) {
        g_nodes[i].value = (float)depth + vg_iforest_c((float)(1 + rnd() % 8));
        g_nodes[i].feature = 0xFFFF;
        g_nodes[i].right = 0;
        return;
    }
    g_nodes[i].value = rndf(-2.0f, 2.0f);
    g_nodes[i].feature = (uint16_t)(rnd() % nf);
    tree(root, cur, depth + 1, max_depth, nf);
    g_nodes[i].right = (uint16_t)(*cur - root);
    tree(root, cur, depth + 1, max_depth, nf);
}

static size_t forest(vgt_pipe_t *p, uint16_t nt, unsigned max_depth)
{
    uint32_t cur = 0;
    for (uint16_t t = 0; t < nt; t++) {
        g_roots[t] = cur;
        tree(cur, &cur, 0, max_depth, p->n_features);
    }
    return vgt_build_iforest(art.b, CAP, p, nt, g_roots, cur, g_nodes, vg_iforest_c(256.0f));
}

static void gen_iforest(void)
{
    vgt_pipe_t p = pipe_of(1.0f, 1, 4, 2, 1, 1, 0, 0.6f);
    const uint32_t r0[] = {0};
    const vgt_node_t leaf[] = {{1.0f, 0xFFFF, 0}};
    emit("f01_single_leaf", vgt_build_iforest(art.b, CAP, &p, 1, r0, 1, leaf, 1.0f), 1);
    p = pipe_of(1.0f, 1, 3, 1, 3, 1, 0, 0.6f);
    const uint32_t r1[] = {0, 3};
    const vgt_node_t n1[] = {
        {0.5f, 0, 2}, {1.0f, 0xFFFF, 0}, {2.0f, 0xFFFF, 0}, {0.0f, 1, 4},
        {1.0f, 2, 3}, {3.0f, 0xFFFF, 0}, {2.5f, 0xFFFF, 0}, {1.5f, 0xFFFF, 0},
    };
    emit("f02_two_trees", vgt_build_iforest(art.b, CAP, &p, 2, r1, 8, n1, 2.0f), 1);
    p = pipe_of(1.0f, 2, 10, 5, 4, 1, 1, 0.55f);
    emit("f03_ten_trees_depth4", forest(&p, 10, 4), 1);
    p = pipe_of(0.2f, 3, 20, 4, 6, 0, 1, 0.62f);
    emit("f04_fifty_trees", forest(&p, 50, 6), 1);
    p = pipe_of(1.0f, 1, 8, 8, 2, 3, 0, 0.5f);
    emit("f05_deep_tree", forest(&p, 1, 12), 1);
    p = pipe_of(1.0f, 2, 30, 10, 5, 2, 1, 0.58f);
    p.meta = "created_by=gen_model_corpus\ntrain_windows=500\n";
    emit("f06_meta", forest(&p, 25, 5), 1);
    p = pipe_of(1.0f, 4, 16, 16, 8, 0, 1, 0.6f);
    emit("f07_sixty_trees", forest(&p, 60, 5), 1);
}

static vgt_tnode_t g_tnodes[16384];

/* Random pre-order classifier tree rooted at g_tnodes[root], leaves voting < nc. */
static void ctree(uint32_t root, uint32_t *cur, unsigned depth, unsigned max_depth, uint16_t nf,
                  uint16_t nc)
{
    uint32_t i = (*cur)++;
    if (depth >= max_depth || (depth > 0 && rnd() % 4 == 0)) {
        g_tnodes[i].value = rndf(0.2f, 1.0f);
        g_tnodes[i].feature = 0xFFFF;
        g_tnodes[i].cls = (uint16_t)(rnd() % nc);
        g_tnodes[i].right = 0;
        return;
    }
    g_tnodes[i].value = rndf(-2.0f, 2.0f);
    g_tnodes[i].feature = (uint16_t)(rnd() % nf);
    g_tnodes[i].cls = 0;
    ctree(root, cur, depth + 1, max_depth, nf, nc);
    g_tnodes[i].right = *cur - root;
    ctree(root, cur, depth + 1, max_depth, nf, nc);
}

static size_t rforest(vgt_pipe_t *p, uint16_t nt, unsigned max_depth, uint16_t nc, uint16_t normal)
{
    uint32_t cur = 0;
    for (uint16_t t = 0; t < nt; t++) {
        g_roots[t] = cur;
        ctree(cur, &cur, 0, max_depth, p->n_features, nc);
    }
    const vgt_forest_t f = {nt, nc, normal, 0, cur, g_roots, g_tnodes};
    return vgt_build_forest(art.b, CAP, p, &f);
}

/* Random forests (kind 4). Written after the others so their bytes do not change. */
static void gen_rforest(void)
{
    vgt_pipe_t p = pipe_of(1.0f, 1, 4, 2, 1, 1, 0, 0.5f);
    const uint32_t r0[] = {0};
    const vgt_tnode_t leaf[] = {{1.0f, 0xFFFF, 1, 0}};
    vgt_forest_t f = {1, 2, 0, 0, 1, r0, leaf};
    emit("r01_single_leaf", vgt_build_forest(art.b, CAP, &p, &f), 1);
    p = pipe_of(1.0f, 1, 3, 1, 3, 1, 0, 0.5f);
    const uint32_t r1[] = {0, 3};
    const vgt_tnode_t n1[] = {
        {0.5f, 0, 0, 2}, {1.0f, 0xFFFF, 0, 0}, {0.75f, 0xFFFF, 2, 0}, {0.0f, 1, 0, 4},
        {1.0f, 2, 0, 3}, {0.6f, 0xFFFF, 1, 0}, {0.9f, 0xFFFF, 2, 0},  {0.5f, 0xFFFF, 0, 0},
    };
    f = (vgt_forest_t){2, 3, 0, 0, 8, r1, n1};
    emit("r02_two_trees", vgt_build_forest(art.b, CAP, &p, &f), 1);
    p = pipe_of(1.0f, 2, 10, 5, 4, 1, 1, 0.5f);
    emit("r03_ten_trees_5_classes", rforest(&p, 10, 5, 5, 0), 1);
    p = pipe_of(0.2f, 3, 20, 4, 12, 0, 1, 0.6f);
    emit("r04_fifty_trees_29_classes", rforest(&p, 50, 6, 29, 3), 1);
    p = pipe_of(1.0f, 1, 8, 8, 2, 3, 0, 0.5f);
    emit("r05_deep_tree", rforest(&p, 1, 14, 2, 1), 1);
    p = pipe_of(1.0f, 4, 16, 16, 8, 0, 1, 0.4f);
    p.meta = "created_by=gen_model_corpus\nclasses=64\n";
    emit("r06_meta_64_classes", rforest(&p, 20, 5, VG_MAX_CLASSES, 63), 1);
    /* invalid behind a valid CRC: a leaf class >= n_classes, a right child backwards */
    p = pipe_of(1.0f, 1, 3, 1, 3, 1, 0, 0.5f);
    vgt_tnode_t bad[8];
    memcpy(bad, n1, sizeof bad);
    bad[6].cls = 3;
    f = (vgt_forest_t){2, 3, 0, 0, 8, r1, bad};
    emit("x12_forest_leaf_class", vgt_build_forest(art.b, CAP, &p, &f), 0);
    memcpy(bad, n1, sizeof bad);
    bad[4].right = 1;
    emit("x13_forest_right_backwards", vgt_build_forest(art.b, CAP, &p, &f), 0);
}

/* int8 autoencoders (kind 5), written after the others so their bytes do not change. */
static int8_t g_qw[8][64 * 64], g_qshift[8][64], g_qtable[256];
static int32_t g_qbias[8][64], g_qmult[8][64];

static void ae_s8(const char *name, vgt_pipe_t *p, uint16_t nl, const vgt_layer_t *shape,
                  int want_valid, int breakage)
{
    vgt_layer_s8_t L[8];
    for (int i = 0; i < 256; i++)
        g_qtable[i] = (int8_t)(rnd() % 256u);
    for (unsigned l = 0; l < nl; l++) {
        memset(&L[l], 0, sizeof L[l]);
        L[l].n_in = shape[l].n_in;
        L[l].n_out = shape[l].n_out;
        L[l].act = shape[l].act;
        L[l].lut = shape[l].act == 2 || shape[l].act == 3;
        for (unsigned i = 0; i < (unsigned)shape[l].n_in * shape[l].n_out; i++)
            g_qw[l][i] = (int8_t)(rnd() % 256u);
        for (unsigned o = 0; o < shape[l].n_out; o++) {
            g_qbias[l][o] = (int32_t)(rnd() % 200001u) - 100000;
            g_qmult[l][o] = (int32_t)((1u << 30) + rnd() % (1u << 30));
            g_qshift[l][o] = (int8_t) - (int)(4 + rnd() % 14u);
        }
        L[l].w = g_qw[l];
        L[l].bias = g_qbias[l];
        L[l].mult = g_qmult[l];
        L[l].shift = g_qshift[l];
        L[l].table = g_qtable;
        L[l].pre_zp = (int8_t)(rnd() % 256u);
        L[l].out_zp = L[l].lut ? (int8_t)(rnd() % 256u) : L[l].pre_zp;
        L[l].act_min = shape[l].act == 1 ? L[l].pre_zp : -128;
        L[l].act_max = 127;
        L[l].pre_scale = rndf(0.01f, 0.2f);
        L[l].out_scale = L[l].lut ? rndf(0.004f, 0.01f) : L[l].pre_scale;
    }
    if (breakage == 1)
        g_qbias[0][0] = (1 << 30) + 1;
    if (breakage == 2)
        g_qshift[nl - 1][0] = 31;
    emit(name,
         vgt_build_ae_s8(art.b, CAP, p, nl, rndf(0.01f, 0.1f), (int32_t)(rnd() % 256u) - 128, L),
         want_valid);
}

static void gen_ae_s8(void)
{
    vgt_pipe_t p = pipe_of(2.0f, 1, 60, 2, 3, 2, 1, 2.8f);
    const vgt_layer_t l1[] = {{3, 8, 1}, {8, 1, 1}, {1, 8, 1}, {8, 3, 0}};
    ae_s8("q01_temperature_shape", &p, 4, l1, 1, 0);
    p = pipe_of(1.0f, 2, 8, 4, 4, 1, 1, 0.8f);
    const vgt_layer_t l2[] = {{4, 7, 3}, {7, 2, 2}, {2, 4, 0}};
    ae_s8("q02_tanh_sigmoid_tables", &p, 3, l2, 1, 0);
    p = pipe_of(5.0f, 5, 12, 3, 5, 4, 2, 0.3f);
    const vgt_layer_t l3[] = {{5, 64, 1}, {64, 5, 0}};
    ae_s8("q03_wide_hidden", &p, 2, l3, 1, 0);
    p = pipe_of(1.0f, 1, 1, 1, 1, 0, 0, 2.0f);
    const vgt_layer_t l4[] = {{1, 1, 0}};
    ae_s8("q04_single_unit", &p, 1, l4, 1, 0);
    p = pipe_of(1.0f, 3, 10, 5, 6, 2, 1, 0.7f);
    vgt_layer_t l5[8];
    for (unsigned l = 0; l < 8; l++) {
        l5[l].n_in = l == 0 ? 6 : (uint16_t)(3 + l);
        l5[l].n_out = l == 7 ? 6 : (uint16_t)(4 + l);
        l5[l].act = (uint8_t)(l % 4);
    }
    ae_s8("q05_eight_layers", &p, 8, l5, 1, 0);
    p = pipe_of(2.0f, 1, 60, 2, 3, 2, 1, 2.8f);
    ae_s8("x14_ae_s8_bias_too_large", &p, 4, l1, 0, 1);
    ae_s8("x15_ae_s8_shift_31", &p, 4, l1, 0, 2);
}

/* int16 forests (kinds 6 and 7), written last so the earlier files keep their bytes. The body
 * is written here byte by byte from docs/model-format.md: random full trees in pre-order. */
static uint8_t g_body[16384];

static size_t build_modl_raw(const vgt_pipe_t *p, uint16_t kind, size_t body_len)
{
    vgt_writer_t w;
    vgt_begin(&w, art.b, CAP, 3);
    vgt_put_pipe(&w, p);
    vgt_put_deci(&w, p);
    vgt_section_begin(&w, VG_SECT_MODL);
    vgt_w16(&w, kind);
    vgt_w16(&w, 0);
    vgt_wbytes(&w, g_body, body_len);
    vgt_section_end(&w);
    return vgt_end(&w);
}

/* One full tree of @p depth at node index *n (relative indices from @p base). */
static void s16_tree(uint8_t *nodes, unsigned ns, uint32_t base, uint32_t *n, int depth,
                     uint16_t nf, uint16_t n_leaf)
{
    const uint32_t i = (*n)++;
    uint8_t *q = nodes + ns * i;
    if (depth == 0) {
        vgt_put16(q, 0);
        vgt_put16(q + 2, 0xFFFF);
        if (ns == 6)
            vgt_put16(q + 4, (uint16_t)(rnd() % n_leaf));
        else
            vgt_put32(q + 4, rnd() % n_leaf);
        return;
    }
    s16_tree(nodes, ns, base, n, depth - 1, nf, n_leaf);
    const uint32_t right = *n - base;
    s16_tree(nodes, ns, base, n, depth - 1, nf, n_leaf);
    vgt_put16(q, (uint16_t)(int16_t)((int)(rnd() % 60001u) - 30000));
    vgt_put16(q + 2, (uint16_t)(rnd() % nf));
    if (ns == 6)
        vgt_put16(q + 4, (uint16_t)right);
    else
        vgt_put32(q + 4, right);
}

/* breakage: 1 scale 0, 2 leaf index/class out of range, 3 right child backwards,
 * 4 non-zero padding (kind 6) / reserved (kind 7), 5 leaf threshold not 0, 6 NaN offset */
static void s16_forest(const char *name, const vgt_pipe_t *p, int iso, uint16_t nt, int depth,
                       uint16_t nc, int breakage)
{
    const uint16_t nf = p->n_features, nl = iso ? (uint16_t)(3 + rnd() % 6u) : nc;
    const unsigned ns = iso ? 6u : 8u;
    const uint32_t per = (1u << (depth + 1)) - 1u, nn = per * nt;
    memset(g_body, 0, sizeof g_body);
    vgt_put16(g_body, nt);
    vgt_put16(g_body + 2, nl);
    vgt_put32(g_body + 4, nn);
    if (iso)
        vgt_putf(g_body + 8, rndf(1.0f, 8.0f));
    else
        vgt_put16(g_body + 8, (uint16_t)(rnd() % nc));
    uint8_t *q = g_body + 12;
    for (unsigned k = 0; k < nf; k++) {
        vgt_putf(q + 8 * k, rndf(-1.0f, 1.0f));
        vgt_putf(q + 8 * k + 4, rndf(1e-5f, 1e-3f));
    }
    q += 8u * nf;
    for (unsigned t = 0; t < nt; t++)
        vgt_put32(q + 4 * t, per * t);
    q += 4u * nt;
    if (iso) {
        for (unsigned i = 0; i < nl; i++)
            vgt_putf(q + 4 * i, (float)i + rndf(0.0f, 1.0f));
        q += 4u * nl;
    }
    uint32_t n = 0;
    for (unsigned t = 0; t < nt; t++)
        s16_tree(q, ns, n, &n, depth, nf, nl);
    size_t len = (size_t)(q - g_body) + ns * nn;
    len = (len + 3u) & ~(size_t)3u;
    if (breakage == 1)
        vgt_putf(g_body + 12 + 4, 0.0f);
    if (breakage == 2)
        vgt_put16(q + ns * depth + 4, nl);
    if (breakage == 3)
        vgt_put16(q + 4, 1);
    if (breakage == 4) {
        if (iso)
            len += 4, g_body[len - 1] = 1;
        else
            vgt_put16(g_body + 10, 1);
    }
    if (breakage == 5)
        vgt_put16(q + ns * depth, 7);
    if (breakage == 6)
        vgt_putf(g_body + 12, NAN);
    emit(name, build_modl_raw(p, iso ? VG_KIND_IFOREST_S16 : VG_KIND_FOREST_S16, len),
         breakage == 0);
}

static void gen_trees_s16(void)
{
    vgt_pipe_t p = pipe_of(2.0f, 1, 60, 2, 3, 2, 1, 0.6f);
    s16_forest("q11_iforest_s16_one_tree", &p, 1, 1, 1, 0, 0);
    s16_forest("q12_iforest_s16_temperature", &p, 1, 6, 4, 0, 0);
    p = pipe_of(1.0f, 2, 8, 4, 5, 1, 1, 0.5f);
    s16_forest("q13_forest_s16_three_classes", &p, 0, 3, 3, 3, 0);
    s16_forest("q14_forest_s16_wide", &p, 0, 8, 5, 29, 0);
    s16_forest("q15_iforest_s16_odd_nodes", &p, 1, 1, 2, 0, 0); /* 7 nodes: 2 bytes padding */
    p = pipe_of(2.0f, 1, 60, 2, 3, 2, 1, 0.6f);
    s16_forest("x16_iforest_s16_scale_zero", &p, 1, 2, 3, 0, 1);
    s16_forest("x17_iforest_s16_leaf_index", &p, 1, 2, 3, 0, 2);
    s16_forest("x18_forest_s16_leaf_class", &p, 0, 2, 3, 4, 2);
    s16_forest("x19_forest_s16_right_backwards", &p, 0, 2, 3, 4, 3);
    s16_forest("x20_iforest_s16_padding", &p, 1, 1, 2, 0, 4);
    s16_forest("x21_forest_s16_reserved", &p, 0, 2, 2, 3, 4);
    s16_forest("x22_forest_s16_leaf_threshold", &p, 0, 2, 3, 3, 5);
    s16_forest("x23_forest_s16_nan_offset", &p, 0, 2, 3, 3, 6);
}

static void gen_invalid(void)
{
    vgt_pipe_t p = pipe_of(10.0f, 2, 8, 4, 3, 1, 1, 3.0f);
    size_t n = vgt_build_zscore(art.b, CAP, &p, 0.05f);
    emit("x01_truncated", n - 5, 0);
    n = vgt_build_zscore(art.b, CAP, &p, 0.05f);
    art.b[n - 1] ^= 0x10;
    emit("x02_bad_crc", n, 0);
    n = vgt_build_zscore(art.b, CAP, &p, 0.05f);
    art.b[0] = 'X';
    emit("x03_bad_magic", n, 0);
    n = vgt_build_zscore(art.b, CAP, &p, 0.05f);
    vgt_put16(art.b + 4, 2);
    emit("x04_version2", n, 0);
    /* structural errors behind a valid CRC */
    n = vgt_build_zscore(art.b, CAP, &p, 0.05f);
    vgt_put32(art.b + VGT_HEADER_SIZE + 4, (uint32_t)n + 4u);
    vgt_fix_crc(art.b, n);
    emit("x05_section_out_of_range", n, 0);
    vgt_writer_t w;
    vgt_begin(&w, art.b, CAP, 4);
    vgt_put_pipe(&w, &p);
    vgt_put_deci(&w, &p);
    vgt_put_pipe(&w, &p);
    vgt_put_modl_zscore(&w, 0.0f);
    emit("x06_duplicate_pipe", vgt_end(&w), 0);
    p = pipe_of(1.0f, 1, 3, 1, 3, 1, 0, 0.6f);
    const uint32_t r1[] = {0};
    const vgt_node_t back[] = {{0.5f, 0, 2}, {1.0f, 2, 1}, {2.0f, 0xFFFF, 0}, {1.0f, 0xFFFF, 0}};
    emit("x07_tree_right_backwards", vgt_build_iforest(art.b, CAP, &p, 1, r1, 4, back, 2.0f), 0);
    p = pipe_of(1.0f, 2, 8, 4, 3, 1, 1, 0.8f);
    const vgt_layer_t chain[] = {{3, 2, 1}, {4, 3, 0}};
    for (unsigned i = 0; i < 64; i++)
        g_params[i] = 0.1f;
    emit("x08_layers_do_not_chain", vgt_build_ae(art.b, CAP, &p, 2, chain, g_params), 0);
    const vgt_layer_t ok[] = {{3, 2, 1}, {2, 3, 0}};
    g_params[5] = NAN;
    emit("x09_nan_weight", vgt_build_ae(art.b, CAP, &p, 2, ok, g_params), 0);
    memset(art.b, 0, 32);
    emit("x10_header_only_zeros", 32, 0);
    emit("x11_empty", 0, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    gen_zscore();
    gen_ae();
    gen_iforest();
    gen_invalid();
    gen_rforest();
    gen_ae_s8();
    gen_trees_s16();
    printf("%u valid, %u invalid artifacts in %s\n", n_valid, n_invalid, out_dir);
    return 0;
}
