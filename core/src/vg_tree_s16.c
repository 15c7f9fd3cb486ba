/* SPDX-License-Identifier: MIT */
/* Tree ensembles with int16 thresholds (MODL kinds 6 and 7): validation in place and
 * inference. Layout: vg_tree_s16.h and docs/model-format.md. */
#include "vigil/vg_tree_s16.h"
#include "vg_le.h"

/* Compiled only in a build that runs these model kinds (vg_opts.h). */
#if VG_ENABLE_TREES_S16

#include <math.h>
#include <string.h>

#if VG_MAX_TREES > 65535 || VG_MAX_CLASSES > 65535 || VG_MAX_CLASSES < 2
#error "vote counts and class labels are 16-bit: VG_MAX_TREES, VG_MAX_CLASSES <= 65535"
#endif

int16_t vg_quantize_s16(float x, float offset, float scale)
{
    /* u is a correctly rounded IEEE quotient, so the host quantizer and every target get the
     * same bits. Comparisons before the conversion keep it defined for any input. */
    const float u = (x - offset) / scale;
    if (!(u == u))
        return INT16_MAX; /* NaN goes right at every node, as in float */
    if (u >= 32766.5f)
        return INT16_MAX;
    if (u <= -32767.5f)
        return INT16_MIN;
    /* Round half away from zero without libm: |u| < 2^15, so the truncation i is exact in
     * float and u - i is computed exactly (both lie in one binade's integer grid). */
    int32_t i = (int32_t)u;
    const float frac = u - (float)i;
    if (frac >= 0.5f)
        i++;
    else if (frac <= -0.5f)
        i--;
    return (int16_t)i;
}

void vg_quantize_features_s16(const float *quant, const float *x, int16_t *q, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++)
        q[i] = vg_quantize_s16(x[i], quant[2u * i], quant[2u * i + 1u]);
}

/* {offset, scale} per feature: offset finite, scale finite and > 0 (a division by it). */
static vg_status_t s16__check_quant(const uint8_t *p, uint16_t nf)
{
    for (uint16_t i = 0; i < nf; i++) {
        const float off = vg_lef32(p + 8u * i), sc = vg_lef32(p + 8u * i + 4u);
        if (!(fabsf(off) <= 3.0e38f) || !(sc > 0.0f && sc <= 3.0e38f))
            return VG_ERR_FORMAT;
    }
    return VG_OK;
}

/* Roots: roots[0] = 0, strictly ascending, < n_nodes; *end of tree t is the next root. */
static vg_status_t s16__tree_span(const uint32_t *roots, uint16_t nt, uint32_t nn, uint16_t t,
                                  uint32_t *n)
{
    const uint32_t end = t + 1u < nt ? roots[t + 1u] : nn;
    if ((t == 0 && roots[0] != 0) || end <= roots[t] || end > nn)
        return VG_ERR_FORMAT;
    *n = end - roots[t];
    return VG_OK;
}

/*
 * Termination: as for the float kinds, every internal node's children are strictly after it
 * and inside its tree (i + 1 < next < n), so a walk ends at a leaf in fewer than n steps.
 */
static vg_status_t s16__check_itree(const vg_itree_s16_node_t *t, uint32_t n, uint16_t nf,
                                    uint16_t n_leafvals)
{
    if (n > 0xFFFFu)
        return VG_ERR_FORMAT; /* next is 16-bit */
    for (uint32_t i = 0; i < n; i++) {
        if (t[i].feature == VG_ITREE_LEAF) {
            if (t[i].next >= n_leafvals || t[i].threshold != 0)
                return VG_ERR_FORMAT;
            continue;
        }
        if (t[i].feature >= nf || i + 1u >= n || t[i].next <= i + 1u || t[i].next >= n)
            return VG_ERR_FORMAT;
    }
    return VG_OK;
}

vg_status_t vg_iforest_s16_parse(vg_model_t *m, const uint8_t *body, uint32_t size)
{
    if (size < VG_IFOREST_S16_HEAD)
        return VG_ERR_FORMAT;
    const uint16_t nt = vg_le16(body), nl = vg_le16(body + 2);
    const uint32_t nn = vg_le32(body + 4);
    const float c = vg_lef32(body + 8);
    if (nt == 0 || nl == 0 || nn == 0 || !(c > 0.0f && c <= 3.0e38f))
        return VG_ERR_FORMAT;
    if (nt > VG_MAX_TREES)
        return VG_ERR_UNSUPPORTED;
    /* Fixed arrays first (bounded: n_features <= 96, nt <= 1024, nl < 65536), then the nodes;
     * the division keeps 6 nn from wrapping. */
    const uint32_t fixed =
        VG_IFOREST_S16_HEAD + 8u * (uint32_t)m->n_features + 4u * (uint32_t)nt + 4u * nl;
    if (size < fixed || nn > (size - fixed) / 6u)
        return VG_ERR_FORMAT;
    const uint32_t used = fixed + 6u * nn, padded = (used + 3u) & ~3u;
    if (size != padded)
        return VG_ERR_FORMAT;
    for (uint32_t i = used; i < padded; i++)
        if (body[i] != 0)
            return VG_ERR_FORMAT;
    const uint8_t *p = body + VG_IFOREST_S16_HEAD;
    VG_TRY(s16__check_quant(p, m->n_features));
    const float *quant = (const float *)(const void *)p;
    p += 8u * (uint32_t)m->n_features;
    const uint32_t *roots = (const uint32_t *)(const void *)p;
    p += 4u * (uint32_t)nt;
    const float *leafvals = (const float *)(const void *)p;
    for (uint16_t i = 0; i < nl; i++)
        if (!(leafvals[i] >= 0.0f && leafvals[i] <= 3.0e38f)) /* path lengths: >= 0, finite */
            return VG_ERR_FORMAT;
    p += 4u * (uint32_t)nl;
    const vg_itree_s16_node_t *nodes = (const vg_itree_s16_node_t *)(const void *)p;
    for (uint16_t t = 0; t < nt; t++) {
        uint32_t n;
        VG_TRY(s16__tree_span(roots, nt, nn, t, &n));
        VG_TRY(s16__check_itree(nodes + roots[t], n, m->n_features, nl));
    }
    m->u.iforest.n_trees = nt;
    m->u.iforest.n_nodes = nn;
    m->u.iforest.c_norm = c;
    m->u.iforest.roots = roots;
    m->u.iforest.nodes = 0;
    m->u.iforest.quant = quant;
    m->u.iforest.leafvals = leafvals;
    m->u.iforest.qnodes = nodes;
    return VG_OK;
}

static vg_status_t s16__check_tree(const vg_tree_s16_node_t *t, uint32_t n, uint16_t nf,
                                   uint16_t nc)
{
    for (uint32_t i = 0; i < n; i++) {
        if (t[i].feature == VG_TREE_LEAF) {
            if (t[i].next >= nc || t[i].threshold != 0)
                return VG_ERR_FORMAT;
            continue;
        }
        if (t[i].feature >= nf || i + 1u >= n || t[i].next <= i + 1u || t[i].next >= n)
            return VG_ERR_FORMAT;
    }
    return VG_OK;
}

vg_status_t vg_forest_s16_parse(vg_model_t *m, const uint8_t *body, uint32_t size)
{
    if (size < VG_FOREST_S16_HEAD)
        return VG_ERR_FORMAT;
    const uint16_t nt = vg_le16(body), nc = vg_le16(body + 2);
    const uint32_t nn = vg_le32(body + 4);
    const uint16_t normal = vg_le16(body + 8);
    if (nt == 0 || nc < 2 || nn == 0 || vg_le16(body + 10) != 0)
        return VG_ERR_FORMAT;
    if (nt > VG_MAX_TREES || nc > VG_MAX_CLASSES)
        return VG_ERR_UNSUPPORTED;
    if (normal >= nc)
        return VG_ERR_FORMAT;
    const uint32_t fixed = VG_FOREST_S16_HEAD + 8u * (uint32_t)m->n_features + 4u * (uint32_t)nt;
    if (size < fixed || nn > (size - fixed) / 8u || size != fixed + 8u * nn)
        return VG_ERR_FORMAT;
    const uint8_t *p = body + VG_FOREST_S16_HEAD;
    VG_TRY(s16__check_quant(p, m->n_features));
    const float *quant = (const float *)(const void *)p;
    p += 8u * (uint32_t)m->n_features;
    const uint32_t *roots = (const uint32_t *)(const void *)p;
    const vg_tree_s16_node_t *nodes = (const vg_tree_s16_node_t *)(const void *)(p + 4u * nt);
    for (uint16_t t = 0; t < nt; t++) {
        uint32_t n;
        VG_TRY(s16__tree_span(roots, nt, nn, t, &n));
        VG_TRY(s16__check_tree(nodes + roots[t], n, m->n_features, nc));
    }
    m->u.forest.n_trees = nt;
    m->u.forest.n_classes = nc;
    m->u.forest.normal_class = normal;
    m->u.forest.n_nodes = nn;
    m->u.forest.roots = roots;
    m->u.forest.nodes = 0;
    m->u.forest.quant = quant;
    m->u.forest.qnodes = nodes;
    return VG_OK;
}

uint32_t vg_itree_s16_leaf(const vg_itree_s16_node_t *tree, const int16_t *q)
{
    uint32_t i = 0;
    while (tree[i].feature != VG_ITREE_LEAF)
        i = q[tree[i].feature] < tree[i].threshold ? i + 1u : tree[i].next;
    return i;
}

uint32_t vg_tree_s16_leaf(const vg_tree_s16_node_t *tree, const int16_t *q)
{
    uint32_t i = 0;
    while (tree[i].feature != VG_TREE_LEAF)
        i = q[tree[i].feature] < tree[i].threshold ? i + 1u : tree[i].next;
    return i;
}

float vg_iforest_s16_score(const vg_model_t *m, const float *x, int16_t *q)
{
    vg_quantize_features_s16(m->u.iforest.quant, x, q, m->n_features);
    /* The float model's sum, in the same order and with the same leaf values: a window that
     * reaches the same leaves scores the same bits. */
    float sum = 0.0f;
    const uint16_t nt = m->u.iforest.n_trees;
    for (uint16_t t = 0; t < nt; t++) {
        const vg_itree_s16_node_t *tree = m->u.iforest.qnodes + m->u.iforest.roots[t];
        sum += m->u.iforest.leafvals[tree[vg_itree_s16_leaf(tree, q)].next];
    }
    const float mean = sum / (float)nt;
    return exp2f(-mean / m->u.iforest.c_norm);
}

uint16_t vg_forest_s16_predict(const vg_model_t *m, const float *x, int16_t *q, uint16_t *votes,
                               float *p_anomaly)
{
    uint16_t local[VG_MAX_CLASSES];
    uint16_t *v = votes ? votes : local;
    const uint16_t nc = m->u.forest.n_classes, nt = m->u.forest.n_trees;
    vg_quantize_features_s16(m->u.forest.quant, x, q, m->n_features);
    for (uint16_t c = 0; c < nc; c++)
        v[c] = 0;
    for (uint16_t t = 0; t < nt; t++) {
        const vg_tree_s16_node_t *tree = m->u.forest.qnodes + m->u.forest.roots[t];
        v[tree[vg_tree_s16_leaf(tree, q)].next]++;
    }
    uint16_t best = 0;
    for (uint16_t c = 1; c < nc; c++)
        if (v[c] > v[best])
            best = c;
    if (p_anomaly)
        *p_anomaly = (float)(nt - v[m->u.forest.normal_class]) / (float)nt;
    return best;
}
#else
typedef int vg_tree_s16_disabled_t; /* ISO C wants a translation unit to declare something */
#endif
