/* SPDX-License-Identifier: MIT */
/* Tree ensembles to int16 thresholds (MODL kinds 6 and 7): per-feature ranges, threshold
 * rounding, the body, and the leaf agreement (docs/quantization.md, "Tree ensembles"). */
#include "quantize_tree.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void qt_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void qt_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void qt_putf(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    qt_put32(p, u);
}

int vgh_tree_qparams(double lo, double hi, double margin, float *offset, float *scale)
{
    double w = hi - lo;
    if (!(w > 0.0)) {
        w = fmax(fabs(lo), 1.0) / 1000.0;
        margin = 0.5;
    }
    const double a = lo - margin * w, b = hi + margin * w;
    const double off = 0.5 * (a + b), sc = (b - a) / 65534.0;
    if (!(fabs(off) <= 3.0e38) || !(sc > 1e-37 && sc <= 3.0e38))
        return -1;
    *offset = (float)off;
    *scale = (float)sc;
    return 0;
}

int16_t vgh_threshold_s16(float t, float offset, float scale)
{
    /* The device's expression, in float32: monotone in t, so x >= t gives u(x) >= u(t). */
    const float u = (t - offset) / scale;
    const double c = ceil((double)u);
    return (int16_t)(c < -32768.0 ? -32768 : c > 32767.0 ? 32767 : c);
}

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The index of v in the sorted, distinct table t[0..n). */
static uint16_t leaf_index(const float *t, uint32_t n, float v)
{
    uint32_t lo = 0, hi = n;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (t[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return (uint16_t)lo;
}

void vgh_tree_ranges_init(vgh_tree_ranges_t *r, uint16_t n_features)
{
    r->n_features = n_features;
    for (uint16_t k = 0; k < n_features; k++) {
        r->lo[k] = INFINITY;
        r->hi[k] = -INFINITY;
    }
}

void vgh_tree_ranges_add(vgh_tree_ranges_t *r, const float *x)
{
    /* min and max do not depend on the order: windows may come a chunk at a time */
    for (uint16_t k = 0; k < r->n_features; k++) {
        const double v = x[k];
        if (isfinite(v)) {
            r->lo[k] = fmin(r->lo[k], v);
            r->hi[k] = fmax(r->hi[k], v);
        }
    }
}

int vgh_quantize_trees(const vg_model_t *m, const float *X, size_t n, double margin, uint8_t **body,
                       uint32_t *len, vgh_tree_qstats_t *st, char *err, size_t errlen)
{
    vgh_tree_ranges_t r;
    vgh_tree_ranges_init(&r, m->n_features);
    for (size_t i = 0; i < n; i++)
        vgh_tree_ranges_add(&r, X + i * m->n_features);
    return vgh_quantize_trees_ranges(m, &r, margin, body, len, st, err, errlen);
}

int vgh_quantize_trees_ranges(const vg_model_t *m, const vgh_tree_ranges_t *r, double margin,
                              uint8_t **body, uint32_t *len, vgh_tree_qstats_t *st, char *err,
                              size_t errlen)
{
    const int iso = m->kind == VG_KIND_IFOREST;
    if (!iso && m->kind != VG_KIND_FOREST) {
        snprintf(err, errlen, "not a tree ensemble (kind %u)", m->kind);
        return -1;
    }
    const uint16_t nf = m->n_features;
    const uint16_t nt = iso ? m->u.iforest.n_trees : m->u.forest.n_trees;
    const uint32_t nn = iso ? m->u.iforest.n_nodes : m->u.forest.n_nodes;
    const uint32_t *roots = iso ? m->u.iforest.roots : m->u.forest.roots;
    vgh_tree_qstats_t s;
    memset(&s, 0, sizeof s);

    /* Ranges: calibration values and every threshold on the feature, so that every threshold
     * lies strictly inside the widened range and values beyond it route as in float. */
    if (r->n_features != nf) {
        snprintf(err, errlen, "calibration ranges of %u features for a model of %u", r->n_features,
                 nf);
        return -1;
    }
    double lo[VG_MAX_FEATURES], hi[VG_MAX_FEATURES];
    memcpy(lo, r->lo, nf * sizeof *lo);
    memcpy(hi, r->hi, nf * sizeof *hi);
    uint32_t n_leaf = 0;
    for (uint32_t i = 0; i < nn; i++) {
        const uint16_t f = iso ? m->u.iforest.nodes[i].feature : m->u.forest.nodes[i].feature;
        const double v = iso ? m->u.iforest.nodes[i].value : m->u.forest.nodes[i].value;
        if (f == VG_TREE_LEAF) {
            n_leaf++;
            continue;
        }
        s.thresholds++;
        lo[f] = fmin(lo[f], v);
        hi[f] = fmax(hi[f], v);
    }
    float quant[2 * VG_MAX_FEATURES];
    for (uint16_t k = 0; k < nf; k++) {
        if (!(lo[k] <= hi[k])) {
            s.empty_features++;
            lo[k] = hi[k] = 0.0;
        }
        if (vgh_tree_qparams(lo[k], hi[k], margin, &quant[2 * k], &quant[2 * k + 1]) != 0) {
            snprintf(err, errlen, "feature %u: range [%g, %g] too wide for float32", k, lo[k],
                     hi[k]);
            return -1;
        }
    }

    /* Isolation forest: the distinct leaf path lengths, sorted. */
    float *leafvals = NULL;
    uint32_t n_lv = 0;
    if (iso) {
        leafvals = malloc(((size_t)n_leaf + 1) * sizeof(float));
        if (!leafvals) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (uint32_t i = 0; i < nn; i++)
            if (m->u.iforest.nodes[i].feature == VG_ITREE_LEAF)
                leafvals[n_lv++] = m->u.iforest.nodes[i].value;
        qsort(leafvals, n_lv, sizeof(float), cmp_float);
        uint32_t u = 0;
        for (uint32_t i = 0; i < n_lv; i++)
            if (u == 0 || leafvals[i] != leafvals[u - 1])
                leafvals[u++] = leafvals[i];
        n_lv = u;
        if (n_lv > 0xFFFFu) {
            free(leafvals);
            snprintf(err, errlen,
                     "%u distinct leaf values: more than the 65535 an int16 "
                     "isolation forest can index",
                     n_lv);
            return -1;
        }
        s.leafvals = n_lv;
    }

    const uint32_t head = iso ? VG_IFOREST_S16_HEAD : VG_FOREST_S16_HEAD;
    const uint32_t node_size = iso ? 6u : 8u;
    uint64_t size = (uint64_t)head + 8u * nf + 4u * (uint64_t)nt + 4u * (uint64_t)n_lv +
                    (uint64_t)node_size * nn;
    size = (size + 3u) & ~(uint64_t)3u;
    if (size > 0x7FFFFFF0u) {
        free(leafvals);
        snprintf(err, errlen, "forest of %u nodes is too large for one artifact", nn);
        return -1;
    }
    uint8_t *b = calloc(1, (size_t)size);
    if (!b) {
        free(leafvals);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    qt_put16(b, nt);
    qt_put32(b + 4, nn);
    if (iso) {
        qt_put16(b + 2, (uint16_t)n_lv);
        qt_putf(b + 8, m->u.iforest.c_norm);
    } else {
        qt_put16(b + 2, m->u.forest.n_classes);
        qt_put16(b + 8, m->u.forest.normal_class);
    }
    uint8_t *p = b + head;
    for (uint32_t k = 0; k < 2u * nf; k++)
        qt_putf(p + 4u * k, quant[k]);
    p += 8u * nf;
    for (uint16_t t = 0; t < nt; t++)
        qt_put32(p + 4u * t, roots[t]);
    p += 4u * nt;
    for (uint32_t i = 0; i < n_lv; i++)
        qt_putf(p + 4u * i, leafvals[i]);
    p += 4u * n_lv;
    /* Node indices and child offsets are kept: node i of the float forest is node i here. */
    for (uint32_t i = 0; i < nn; i++, p += node_size) {
        const uint16_t f = iso ? m->u.iforest.nodes[i].feature : m->u.forest.nodes[i].feature;
        const float v = iso ? m->u.iforest.nodes[i].value : m->u.forest.nodes[i].value;
        int16_t thr = 0;
        uint32_t next;
        if (f == VG_TREE_LEAF) {
            next = iso ? leaf_index(leafvals, n_lv, v) : m->u.forest.nodes[i].cls;
        } else {
            thr = vgh_threshold_s16(v, quant[2 * f], quant[2 * f + 1]);
            const float u = (v - quant[2 * f]) / quant[2 * f + 1];
            s.clamped += !(u > -32768.0f && u <= 32767.0f);
            next = iso ? m->u.iforest.nodes[i].right : m->u.forest.nodes[i].right;
        }
        qt_put16(p, (uint16_t)thr);
        qt_put16(p + 2, f);
        if (iso)
            qt_put16(p + 4, (uint16_t)next);
        else
            qt_put32(p + 4, next);
    }
    free(leafvals);
    *body = b;
    *len = (uint32_t)size;
    if (st)
        *st = s;
    return 0;
}

void vgh_tree_leaf_agreement(const vg_model_t *mf, const vg_model_t *mq, const float *X, size_t n,
                             size_t *pairs_same, size_t *rows_same)
{
    const int iso = mf->kind == VG_KIND_IFOREST;
    const uint16_t nf = mf->n_features;
    const uint16_t nt = iso ? mf->u.iforest.n_trees : mf->u.forest.n_trees;
    const uint32_t *roots = iso ? mf->u.iforest.roots : mf->u.forest.roots;
    const float *quant = iso ? mq->u.iforest.quant : mq->u.forest.quant;
    int16_t q[VG_MAX_FEATURES];
    *pairs_same = *rows_same = 0;
    for (size_t r = 0; r < n; r++) {
        const float *x = X + r * nf;
        vg_quantize_features_s16(quant, x, q, nf);
        size_t same = 0;
        for (uint16_t t = 0; t < nt; t++) {
            uint32_t i = 0, j;
            if (iso) {
                const vg_itree_node_t *tr = mf->u.iforest.nodes + roots[t];
                while (tr[i].feature != VG_ITREE_LEAF)
                    i = x[tr[i].feature] < tr[i].value ? i + 1u : tr[i].right;
                j = vg_itree_s16_leaf(mq->u.iforest.qnodes + roots[t], q);
            } else {
                i = (uint32_t)(vg_tree_leaf(mf->u.forest.nodes + roots[t], x) -
                               (mf->u.forest.nodes + roots[t]));
                j = vg_tree_s16_leaf(mq->u.forest.qnodes + roots[t], q);
            }
            same += i == j;
        }
        *pairs_same += same;
        *rows_same += same == nt;
    }
}
