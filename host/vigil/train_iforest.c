/* SPDX-License-Identifier: MIT */
#include "train_iforest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* Every tree has at most 2 psi - 1 nodes, so relative indices fit the 16-bit right field. */
_Static_assert(2u * VGH_IF_MAX_SUBSAMPLE - 1u < 65535u, "tree node count must fit uint16");
_Static_assert(VG_MAX_TREES <= 65535, "n_trees is stored as uint16");
_Static_assert(VG_MAX_FEATURES < VG_ITREE_LEAF, "feature indices must not collide with LEAF");

static const double if__euler_gamma = 0.5772156649;

static void if__err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

float vgh_c_factor(float n)
{
    if (!(n >= 2.0f)) /* also NaN */
        return 0.0f;
    if (n == 2.0f)
        return 1.0f;
    const double x = (double)n;
    return (float)(2.0 * (log(x - 1.0) + if__euler_gamma) - 2.0 * (x - 1.0) / x);
}

void vgh_if_defaults(vgh_if_cfg_t *cfg)
{
    cfg->n_trees = 100;
    cfg->subsample = 256;
    cfg->seed = 0;
}

void vgh_iforest_free(vgh_iforest_t *f)
{
    if (f == NULL)
        return;
    free(f->nodes);
    free(f->roots);
    memset(f, 0, sizeof *f);
}

float vgh_iforest_score(const vgh_iforest_t *f, const float *x)
{
    float sum = 0.0f;
    for (unsigned t = 0; t < f->n_trees; t++) {
        const vg_itree_node_t *tree = f->nodes + f->roots[t];
        uint32_t i = 0;
        while (tree[i].feature != VG_ITREE_LEAF)
            i = x[tree[i].feature] < tree[i].value ? i + 1u : tree[i].right;
        sum += tree[i].value;
    }
    return exp2f(-(sum / (float)f->n_trees) / f->c_norm);
}

/* ---- training ---------------------------------------------------------------------- */

typedef struct {
    vgh_iforest_t *f;
    uint32_t cap;     /* allocated nodes */
    uint32_t base;    /* first node of the tree being grown */
    const float *sub; /* the tree's subsample, row-major: sub[r * d + j] */
    float *vals;      /* psi floats: the split feature's values of the node's rows */
    size_t psi, d;
    unsigned hlim;   /* height limit ceil(log2(psi)) */
    uint16_t *feats; /* a permutation of 0..d-1, reordered freely between nodes */
    vgh_rng_t *rng;
} if__build_t;

/* Append one node; returns its absolute index or UINT32_MAX when out of memory. */
static uint32_t if__push(if__build_t *b)
{
    vgh_iforest_t *f = b->f;
    if (f->n_nodes == b->cap) {
        const uint32_t cap = b->cap ? 2u * b->cap : 1024u;
        vg_itree_node_t *nodes = realloc(f->nodes, cap * sizeof *nodes);
        if (nodes == NULL)
            return UINT32_MAX;
        f->nodes = nodes;
        b->cap = cap;
    }
    vg_itree_node_t *nd = &f->nodes[f->n_nodes];
    nd->value = 0.0f;
    nd->feature = VG_ITREE_LEAF;
    nd->right = 0;
    return f->n_nodes++;
}

/*
 * Grow the subtree of the cnt subsample rows listed in rows[] at depth @p depth, in
 * pre-order. Returns 0, or -1 when out of memory. Recursion depth <= hlim <= 12.
 */
static int if__grow(if__build_t *b, uint16_t *rows, size_t cnt, unsigned depth)
{
    const uint32_t me = if__push(b);
    if (me == UINT32_MAX)
        return -1;
    const float leaf = (float)((double)depth + (double)vgh_c_factor((float)cnt));
    if (depth >= b->hlim || cnt <= 1) {
        b->f->nodes[me].value = leaf;
        return 0;
    }
    /* Draw features uniformly without replacement until one varies in this node: the
     * first varying one drawn is uniform among the varying ones. */
    size_t left_n = b->d;
    uint16_t feat = 0;
    float lo = 0.0f, hi = 0.0f;
    for (;;) {
        if (left_n == 0) { /* every feature constant: the rows cannot be separated */
            b->f->nodes[me].value = leaf;
            return 0;
        }
        const size_t j = (size_t)vgh_rng_below(b->rng, left_n);
        feat = b->feats[j];
        /* gather once: the partition below then reads vals[] contiguously */
        const float *col = b->sub + feat;
        lo = hi = b->vals[0] = col[(size_t)rows[0] * b->d];
        for (size_t k = 1; k < cnt; k++) {
            const float v = b->vals[k] = col[(size_t)rows[k] * b->d];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (hi > lo)
            break;
        b->feats[j] = b->feats[left_n - 1];
        b->feats[left_n - 1] = feat;
        left_n--;
    }
    /* Split value uniform in (lo, hi]: v > lo keeps the minimum on the left (x < v) and
     * v <= hi keeps the maximum on the right, so neither side is empty. */
    float split = (float)((double)lo + vgh_rng_uniform(b->rng) * ((double)hi - (double)lo));
    if (!(split > lo))
        split = nextafterf(lo, INFINITY);
    if (split > hi)
        split = hi;
    float *vals = b->vals;
    size_t nl = 0;
    for (size_t k = 0; k < cnt; k++) {
        if (vals[k] < split) {
            const uint16_t t = rows[nl];
            const float tv = vals[nl];
            rows[nl] = rows[k];
            vals[nl++] = vals[k];
            rows[k] = t;
            vals[k] = tv;
        }
    }
    b->f->nodes[me].feature = feat;
    b->f->nodes[me].value = split;
    if (if__grow(b, rows, nl, depth + 1u) != 0)
        return -1;
    /* The right child is the next node; relative index < 2 psi - 1 < 65535. */
    b->f->nodes[me].right = (uint16_t)(b->f->n_nodes - b->base);
    return if__grow(b, rows + nl, cnt - nl, depth + 1u);
}

static int if__check(const float *X, size_t n, size_t d, const vgh_if_cfg_t *cfg, char *err,
                     size_t errlen)
{
    if (X == NULL || cfg == NULL) {
        if__err(err, errlen, "X and cfg must not be NULL");
        return -1;
    }
    if (n < 2) {
        if__err(err, errlen, "n = %zu rows; an isolation forest needs at least 2", n);
        return -1;
    }
    if (d == 0 || d > VG_MAX_FEATURES) {
        if__err(err, errlen, "d = %zu features; must be 1..%d", d, VG_MAX_FEATURES);
        return -1;
    }
    if (cfg->n_trees == 0 || cfg->n_trees > VG_MAX_TREES) {
        if__err(err, errlen, "n_trees = %u; must be 1..%d", cfg->n_trees, VG_MAX_TREES);
        return -1;
    }
    if (cfg->subsample < 2 || cfg->subsample > VGH_IF_MAX_SUBSAMPLE) {
        if__err(err, errlen, "subsample = %u; must be 2..%u", cfg->subsample, VGH_IF_MAX_SUBSAMPLE);
        return -1;
    }
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            if (!isfinite(X[r * d + j])) {
                if__err(err, errlen, "X[row %zu][col %zu] is not finite", r, j);
                return -1;
            }
    return 0;
}

int vgh_iforest_train(const float *X, size_t n, size_t d, const vgh_if_cfg_t *cfg, vgh_iforest_t *f,
                      char *err, size_t errlen)
{
    if (f == NULL) {
        if__err(err, errlen, "f must not be NULL");
        return -1;
    }
    memset(f, 0, sizeof *f);
    if (if__check(X, n, d, cfg, err, errlen) != 0)
        return -1;
    const size_t psi = cfg->subsample < n ? cfg->subsample : n;
    unsigned hlim = 0;
    while (((size_t)1 << hlim) < psi)
        hlim++;

    f->roots = malloc(cfg->n_trees * sizeof *f->roots);
    size_t *perm = malloc(n * sizeof *perm);
    float *sub = malloc(psi * d * sizeof *sub);
    uint16_t *rows = malloc(psi * sizeof *rows);
    float *vals = malloc(psi * sizeof *vals);
    uint16_t *feats = malloc(d * sizeof *feats);
    vgh_rng_t rng;
    vgh_rng_seed(&rng, cfg->seed);
    if__build_t b = {.f = f,
                     .sub = sub,
                     .vals = vals,
                     .psi = psi,
                     .d = d,
                     .hlim = hlim,
                     .feats = feats,
                     .rng = &rng};
    int rc = -1;
    if (f->roots == NULL || perm == NULL || sub == NULL || rows == NULL || vals == NULL ||
        feats == NULL)
        goto out;
    for (size_t r = 0; r < n; r++)
        perm[r] = r;
    for (size_t j = 0; j < d; j++)
        feats[j] = (uint16_t)j;

    for (unsigned t = 0; t < cfg->n_trees; t++) {
        /* Partial Fisher-Yates: perm[0..psi) becomes a uniform sample without replacement
         * (perm stays a permutation, so restarting from it each tree is fine). With
         * psi == n every tree sees all rows and the order does not matter. */
        if (psi < n) {
            for (size_t k = 0; k < psi; k++) {
                const size_t j = k + (size_t)vgh_rng_below(&rng, (uint64_t)(n - k));
                const size_t tmp = perm[k];
                perm[k] = perm[j];
                perm[j] = tmp;
            }
        }
        /* Row-major copy: a few hundred contiguous row copies are far cheaper than a
         * transposing copy, and the subsample (<= 1 MiB) stays in cache while growing. */
        for (size_t r = 0; r < psi; r++) {
            memcpy(sub + r * d, X + perm[r] * d, d * sizeof *sub);
            rows[r] = (uint16_t)r;
        }
        b.base = f->n_nodes;
        f->roots[t] = f->n_nodes;
        if (if__grow(&b, rows, psi, 0) != 0)
            goto out;
    }
    f->n_trees = (uint16_t)cfg->n_trees;
    f->c_norm = vgh_c_factor((float)psi);
    vg_itree_node_t *shrunk = realloc(f->nodes, f->n_nodes * sizeof *shrunk);
    if (shrunk != NULL)
        f->nodes = shrunk;
    rc = 0;
out:
    if (rc != 0) {
        vgh_iforest_free(f);
        if__err(err, errlen, "out of memory (%zu rows, %u trees)", n, cfg->n_trees);
    }
    free(perm);
    free(sub);
    free(rows);
    free(vals);
    free(feats);
    return rc;
}
