/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the random forest: host/vigil/train_forest.c (CART trainer), the kind-4
 * artifact writer in host/vigil/artifact.c, and core/src/vg_forest.c (parser and inference).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "artifact.h"
#include "rng.h"
#include "train_forest.h"
#include "vg_test_artifact.h"
#include "vigil/vg_decision.h"
#include "vigil/vg_forest.h"

#define SEED     20251123u
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * k Gaussian blobs: class c has mean mu_c (the first d_inf coordinates ~ N(0, spread^2), the
 * rest 0) and unit noise; labels uniform. The means come from seed_means, the rows from
 * seed_rows, so a train and a test set share the means. The sklearn reference below was
 * computed on exactly these floats (dumped by a copy of this generator).
 */
static void gen_blobs(float *X, uint16_t *y, size_t n, size_t d, unsigned k, size_t d_inf,
                      double spread, uint64_t seed_means, uint64_t seed_rows)
{
    static double mu[VG_MAX_CLASSES * VG_MAX_FEATURES];
    vgh_rng_t r;
    vgh_rng_seed(&r, seed_means);
    for (unsigned c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++)
            mu[c * d + j] = j < d_inf ? spread * vgh_rng_normal(&r) : 0.0;
    vgh_rng_seed(&r, seed_rows);
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned)vgh_rng_below(&r, k);
        y[i] = (uint16_t)c;
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = (float)(mu[c * d + j] + vgh_rng_normal(&r));
    }
}

typedef struct {
    float *X;
    uint16_t *y;
    size_t n, d;
} data_t;

static data_t blobs(size_t n, size_t d, unsigned k, size_t d_inf, double spread, uint64_t sm,
                    uint64_t sr)
{
    data_t t = {malloc(n * d * sizeof(float)), malloc(n * sizeof(uint16_t)), n, d};
    assert_non_null(t.X);
    assert_non_null(t.y);
    gen_blobs(t.X, t.y, n, d, k, d_inf, spread, sm, sr);
    return t;
}

static void data_free(data_t *t)
{
    free(t->X);
    free(t->y);
}

static double accuracy(const vgh_rf_t *f, const data_t *t)
{
    size_t ok = 0;
    for (size_t i = 0; i < t->n; i++)
        ok += vgh_rf_predict(f, t->X + i * t->d, NULL) == t->y[i];
    return (double)ok / (double)t->n;
}

static void train_ok(const data_t *t, uint16_t k, const vgh_rf_cfg_t *c, vgh_rf_t *f)
{
    char err[256] = "";
    int rc = vgh_rf_train(t->X, t->y, t->n, t->d, k, c, f, err, sizeof err);
    if (rc != 0)
        print_error("vgh_rf_train: %s\n", err);
    assert_int_equal(rc, 0);
}

/* ---- trainer ------------------------------------------------------------------------ */

static void test_defaults_and_errors(void **state)
{
    (void)state;
    vgh_rf_cfg_t c;
    memset(&c, 0xAB, sizeof c);
    vgh_rf_defaults(&c);
    assert_int_equal(c.n_trees, 100);
    assert_int_equal(c.max_depth, 16);
    assert_int_equal(c.min_split, 5);
    assert_int_equal(c.min_leaf, 1);
    assert_int_equal(c.max_features, 0);
    assert_true(c.max_features_frac == 0.0f);
    assert_int_equal(c.bootstrap, 1);
    assert_int_equal(c.balanced, VGH_RF_BAL_NONE);
    assert_int_equal(c.threads, 0);
    assert_null(c.progress);

    float X[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    uint16_t y[4] = {0, 1, 0, 1};
    vgh_rf_t f;
    char err[128];
    assert_int_equal(vgh_rf_train(X, y, 4, 2, 2, &c, NULL, err, sizeof err), -1);
    struct {
        const float *X;
        const uint16_t *y;
        size_t n, d;
        uint16_t k;
    } args[] = {{NULL, y, 4, 2, 2},
                {X, NULL, 4, 2, 2},
                {X, y, 1, 2, 2},
                {X, y, 4, 0, 2},
                {X, y, 4, 2, 1},
                {X, y, 4, 2, VG_MAX_CLASSES + 1},
                {X, y, 2, VGH_RF_MAX_FEATURES + 1, 2}};
    for (size_t i = 0; i < NELEM(args); i++) {
        memset(&f, 0x5A, sizeof f);
        err[0] = '\0';
        assert_int_equal(vgh_rf_train(args[i].X, args[i].y, args[i].n, args[i].d, args[i].k, &c, &f,
                                      err, sizeof err),
                         -1);
        assert_true(err[0] != '\0');
        assert_null(f.nodes);
        assert_null(f.roots);
        assert_int_equal(f.n_trees, 0);
    }
    assert_int_equal(vgh_rf_train(X, y, 4, 2, 2, NULL, &f, err, sizeof err), -1);
    /* a label >= n_classes; a non-finite feature (named in the message) */
    uint16_t y_bad[4] = {0, 1, 2, 1};
    assert_int_equal(vgh_rf_train(X, y_bad, 4, 2, 2, &c, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "y[row 2]"));
    float X_bad[8] = {0, 1, 2, 3, 4, NAN, 6, 7};
    assert_int_equal(vgh_rf_train(X_bad, y, 4, 2, 2, &c, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "X[row 2][col 1]"));
    X_bad[5] = INFINITY;
    assert_int_equal(vgh_rf_train(X_bad, y, 4, 2, 2, &c, &f, err, sizeof err), -1);
    /* settings out of range */
    vgh_rf_cfg_t bad[8];
    for (size_t i = 0; i < NELEM(bad); i++)
        vgh_rf_defaults(&bad[i]);
    bad[0].n_trees = 0;
    bad[1].n_trees = VG_MAX_TREES + 1;
    bad[2].min_split = 1;
    bad[3].min_leaf = 0;
    bad[4].max_features_frac = 1.5f;
    bad[5].max_features_frac = NAN;
    bad[6].balanced = 3;
    bad[7].balanced = -1;
    for (size_t i = 0; i < NELEM(bad); i++) {
        err[0] = '\0';
        assert_int_equal(vgh_rf_train(X, y, 4, 2, 2, &bad[i], &f, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
    /* NULL err is fine; free is NULL-safe and idempotent */
    assert_int_equal(vgh_rf_train(X, y, 4, 2, 2, &bad[0], &f, NULL, 0), -1);
    vgh_rf_free(NULL);
    vgh_rf_free(&f);
    vgh_rf_free(&f);
}

/* Labels a function of distinct inputs: full-depth trees on all rows fit them exactly. */
static void test_separable(void **state)
{
    (void)state;
    const size_t n = 400, d = 5;
    data_t t = {malloc(n * d * sizeof(float)), malloc(n * sizeof(uint16_t)), n, d};
    assert_non_null(t.X);
    assert_non_null(t.y);
    vgh_rng_t r;
    vgh_rng_seed(&r, SEED);
    for (size_t i = 0; i < n; i++) {
        float *x = t.X + i * d;
        for (size_t j = 0; j < d; j++)
            x[j] = (float)vgh_rng_uniform(&r);
        t.y[i] = (uint16_t)((x[0] > 0.5f) + 2 * (x[1] + x[2] > 1.0f) + (x[3] * x[4] > 0.3f));
    }
    vgh_rf_cfg_t c;
    vgh_rf_defaults(&c);
    c.n_trees = 15;
    c.bootstrap = 0;
    c.max_depth = 0;
    c.min_split = 2;
    c.seed = SEED;
    vgh_rf_t f;
    train_ok(&t, 5, &c, &f);
    assert_true(accuracy(&f, &t) == 1.0);
    /* each tree alone is exact too: every leaf is pure */
    for (uint32_t i = 0; i < f.n_nodes; i++)
        if (f.nodes[i].feature == VG_TREE_LEAF)
            assert_true(f.nodes[i].value == 1.0f);
    vgh_rf_free(&f);
    /* the defaults (bootstrap, depth 16, min split 5) still fit the training set */
    vgh_rf_defaults(&c);
    c.seed = SEED;
    train_ok(&t, 5, &c, &f);
    const double acc = accuracy(&f, &t);
    print_message("separable, defaults: train accuracy %.4f\n", acc);
    assert_true(acc >= 0.99);
    vgh_rf_free(&f);
    data_free(&t);
}

/*
 * Reference: sklearn 1.2.1 RandomForestClassifier(n_estimators=100, max_features='sqrt',
 * max_depth=16, min_samples_split=5) on these 3000 training rows (30 features, 15 informative,
 * 29 classes), test accuracy on these 3000 test rows over random_state 0..9:
 * majority vote of the trees (our rule) mean 0.8061 (0.7993..0.8153), predict() (mean of
 * the leaves' class shares) mean 0.8102.
 */
#define SK_HARD_VOTE_ACC 0.8061
#define SK_SOFT_VOTE_ACC 0.8102

static void test_gaussian_vs_sklearn(void **state)
{
    (void)state;
    data_t tr = blobs(3000, 30, 29, 15, 1.0, 1, 2), te = blobs(3000, 30, 29, 15, 1.0, 1, 3);
    vgh_rf_cfg_t c;
    vgh_rf_defaults(&c);
    c.seed = SEED;
    vgh_rf_t f;
    train_ok(&tr, 29, &c, &f);
    const double acc = accuracy(&f, &te), acc_tr = accuracy(&f, &tr);
    print_message("29 classes: test accuracy %.4f (sklearn majority vote %.4f, predict %.4f), "
                  "train %.4f, %u nodes\n",
                  acc, SK_HARD_VOTE_ACC, SK_SOFT_VOTE_ACC, acc_tr, f.n_nodes);
    assert_true(fabs(acc - SK_HARD_VOTE_ACC) <= 0.02);
    assert_true(acc >= SK_SOFT_VOTE_ACC - 0.02);
    assert_true(acc_tr >= 0.99);
    vgh_rf_free(&f);
    data_free(&tr);
    data_free(&te);
}

static void assert_same_forest(const vgh_rf_t *a, const vgh_rf_t *b)
{
    assert_int_equal(a->n_trees, b->n_trees);
    assert_int_equal(a->n_classes, b->n_classes);
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_memory_equal(a->roots, b->roots, a->n_trees * sizeof *a->roots);
    assert_memory_equal(a->nodes, b->nodes, a->n_nodes * sizeof *a->nodes);
}

static void test_deterministic(void **state)
{
    (void)state;
    data_t t = blobs(1500, 20, 7, 10, 1.0, 5, 6);
    for (int bal = VGH_RF_BAL_NONE; bal <= VGH_RF_BAL_BOOTSTRAP; bal++) {
        vgh_rf_cfg_t c;
        vgh_rf_defaults(&c);
        c.n_trees = 24;
        c.balanced = bal;
        c.seed = SEED + (unsigned)bal;
        vgh_rf_t f1, f2, f3, g;
        c.threads = 1;
        train_ok(&t, 7, &c, &f1);
        c.threads = 2;
        train_ok(&t, 7, &c, &f2);
        c.threads = 5;
        train_ok(&t, 7, &c, &f3);
        assert_same_forest(&f1, &f2);
        assert_same_forest(&f1, &f3);
        c.seed++;
        train_ok(&t, 7, &c, &g);
        assert_true(g.n_nodes != f1.n_nodes ||
                    memcmp(g.nodes, f1.nodes, g.n_nodes * sizeof *g.nodes) != 0);
        vgh_rf_free(&f1);
        vgh_rf_free(&f2);
        vgh_rf_free(&f3);
        vgh_rf_free(&g);
    }
    data_free(&t);
}

/* Pre-order walk of one tree: layout invariants; with rows given (no bootstrap, so every row
 * is in every tree) routes them and checks each leaf against its rows. */
typedef struct {
    const vg_tree_node_t *t;
    uint32_t size;
    size_t d;
    unsigned k, max_depth, min_leaf;
    const data_t *rows;
    const double *cw; /* class weights, or NULL */
    unsigned depth_seen;
} walk_t;

static uint32_t walk(walk_t *w, uint32_t r, unsigned depth, const uint32_t *idx, size_t cnt)
{
    assert_true(r < w->size);
    const vg_tree_node_t *nd = &w->t[r];
    assert_true(isfinite(nd->value));
    w->depth_seen = depth > w->depth_seen ? depth : w->depth_seen;
    if (w->max_depth)
        assert_true(depth <= w->max_depth);
    if (nd->feature == VG_TREE_LEAF) {
        assert_true(nd->cls < w->k);
        assert_true(nd->value > 0.0f && nd->value <= 1.0f);
        assert_int_equal(nd->right, 0);
        if (w->rows) {
            assert_true(cnt >= w->min_leaf);
            double tot[VG_MAX_CLASSES] = {0}, sum = 0.0;
            for (size_t i = 0; i < cnt; i++) {
                const double wt = w->cw ? w->cw[w->rows->y[idx[i]]] : 1.0;
                tot[w->rows->y[idx[i]]] += wt;
                sum += wt;
            }
            unsigned top = 0;
            for (unsigned c = 1; c < w->k; c++)
                top = tot[c] > tot[top] ? c : top;
            assert_int_equal(nd->cls, top);
            assert_true(fabs((double)nd->value - tot[top] / sum) <= 1e-6);
        }
        return r + 1;
    }
    assert_true(nd->feature < w->d);
    assert_int_equal(nd->cls, 0);
    assert_true(nd->right > r + 1);
    uint32_t *li = NULL, *ri = NULL;
    size_t nl = 0, nr = 0;
    if (w->rows) {
        assert_true(cnt >= 2 * (size_t)w->min_leaf);
        li = malloc((cnt + 1) * sizeof *li);
        ri = malloc((cnt + 1) * sizeof *ri);
        assert_non_null(li);
        assert_non_null(ri);
        for (size_t i = 0; i < cnt; i++) {
            if (w->rows->X[idx[i] * w->d + nd->feature] < nd->value)
                li[nl++] = idx[i];
            else
                ri[nr++] = idx[i];
        }
        assert_true(nl >= w->min_leaf && nr >= w->min_leaf);
    }
    const uint32_t end_left = walk(w, r + 1, depth + 1, li, nl);
    assert_int_equal(end_left, nd->right); /* pre-order: the right subtree follows the left */
    const uint32_t end = walk(w, nd->right, depth + 1, ri, nr);
    free(li);
    free(ri);
    return end;
}

static void check_forest(const vgh_rf_t *f, const data_t *rows, size_t d, unsigned k,
                         const vgh_rf_cfg_t *c, const double *cw)
{
    assert_int_equal(f->n_trees, c->n_trees);
    assert_int_equal(f->n_classes, k);
    assert_int_equal(f->roots[0], 0);
    uint32_t *all = NULL;
    size_t n = rows ? rows->n : 0;
    if (rows) {
        all = malloc(n * sizeof *all);
        assert_non_null(all);
        for (size_t i = 0; i < n; i++)
            all[i] = (uint32_t)i;
    }
    unsigned deepest = 0;
    for (unsigned t = 0; t < f->n_trees; t++) {
        const uint32_t end = t + 1 < f->n_trees ? f->roots[t + 1] : f->n_nodes;
        assert_true(end > f->roots[t]);
        walk_t w = {f->nodes + f->roots[t],
                    end - f->roots[t],
                    d,
                    k,
                    c->max_depth,
                    c->min_leaf,
                    rows,
                    cw,
                    0};
        assert_int_equal(walk(&w, 0, 0, all, n), w.size);
        deepest = w.depth_seen > deepest ? w.depth_seen : deepest;
    }
    if (c->max_depth && rows)
        assert_int_equal(deepest, c->max_depth); /* the limit binds on noisy data */
    free(all);
}

static void test_invariants(void **state)
{
    (void)state;
    data_t t = blobs(1200, 12, 6, 8, 0.8, 11, 12);
    vgh_rf_cfg_t c;
    /* structure only, with bootstrap and the defaults */
    vgh_rf_defaults(&c);
    c.n_trees = 10;
    c.seed = SEED;
    vgh_rf_t f;
    train_ok(&t, 6, &c, &f);
    check_forest(&f, NULL, 12, 6, &c, NULL);
    vgh_rf_free(&f);
    /* without bootstrap every row is in every tree: leaves match their rows */
    const unsigned depths[] = {3, 8, 0}, leaves[] = {1, 4, 7};
    for (size_t i = 0; i < NELEM(depths); i++) {
        vgh_rf_defaults(&c);
        c.n_trees = 6;
        c.bootstrap = 0;
        c.max_depth = depths[i];
        c.min_leaf = leaves[i];
        c.min_split = 2 * leaves[i];
        c.max_features_frac = i == 1 ? 0.5f : 0.0f;
        c.seed = SEED + i;
        train_ok(&t, 6, &c, &f);
        check_forest(&f, &t, 12, 6, &c, NULL);
        vgh_rf_free(&f);
    }
    data_free(&t);
}

/* Class weights n / (k n_c): leaf classes and shares follow the weighted counts, and an
 * imbalanced problem's minority class gets predicted far more often. */
static void test_class_weights(void **state)
{
    (void)state;
    const size_t n = 3000, d = 4;
    data_t t = {malloc(n * d * sizeof(float)), malloc(n * sizeof(uint16_t)), n, d};
    data_t te = {malloc(n * d * sizeof(float)), malloc(n * sizeof(uint16_t)), n, d};
    assert_non_null(t.X);
    assert_non_null(te.X);
    vgh_rng_t r;
    vgh_rng_seed(&r, SEED);
    size_t n1 = 0;
    for (int s = 0; s < 2; s++) {
        data_t *p = s ? &te : &t;
        for (size_t i = 0; i < n; i++) {
            p->y[i] = vgh_rng_uniform(&r) < 0.08;
            n1 += !s && p->y[i];
            for (size_t j = 0; j < d; j++)
                p->X[i * d + j] = (float)(vgh_rng_normal(&r) + (p->y[i] ? 0.9 : 0.0));
        }
    }
    vgh_rf_cfg_t c;
    vgh_rf_defaults(&c);
    c.n_trees = 50;
    c.max_depth = 5;
    c.seed = SEED;
    double recall[3];
    for (int bal = VGH_RF_BAL_NONE; bal <= VGH_RF_BAL_BOOTSTRAP; bal++) {
        c.balanced = bal;
        vgh_rf_t f;
        train_ok(&t, 2, &c, &f);
        size_t hit = 0, pos = 0;
        for (size_t i = 0; i < n; i++) {
            pos += te.y[i];
            hit += te.y[i] && vgh_rf_predict(&f, te.X + i * d, NULL) == 1;
        }
        recall[bal] = (double)hit / (double)pos;
        vgh_rf_free(&f);
    }
    print_message("minority recall: none %.3f, class weights %.3f, balanced bootstrap %.3f\n",
                  recall[0], recall[1], recall[2]);
    assert_true(recall[1] >= recall[0] + 0.3);
    assert_true(recall[2] >= recall[0] + 0.3);
    /* leaves of unbootstrapped trees carry the weighted majority and share */
    const double cw[2] = {(double)n / (2.0 * (double)(n - n1)), (double)n / (2.0 * (double)n1)};
    c.balanced = VGH_RF_BAL_WEIGHTS;
    c.bootstrap = 0;
    c.n_trees = 4;
    c.min_leaf = 2;
    vgh_rf_t f;
    train_ok(&t, 2, &c, &f);
    check_forest(&f, &t, d, 2, &c, cw);
    vgh_rf_free(&f);
    data_free(&t);
    data_free(&te);
}

static void test_progress_and_threads(void **state)
{
    (void)state;
    data_t t = blobs(300, 6, 3, 6, 1.5, 21, 22);
    vgh_rf_cfg_t c;
    vgh_rf_defaults(&c);
    c.n_trees = 20;
    c.threads = 64; /* more threads than trees is fine */
    FILE *log = tmpfile();
    assert_non_null(log);
    c.progress = log;
    vgh_rf_t f;
    train_ok(&t, 3, &c, &f);
    rewind(log);
    char buf[1024];
    size_t got = fread(buf, 1, sizeof buf - 1, log);
    buf[got] = '\0';
    fclose(log);
    assert_non_null(strstr(buf, "tree 20/20"));
    /* max_features counts: 1 and more than d (clipped) */
    vgh_rf_free(&f);
    c.progress = NULL;
    c.max_features = 1;
    train_ok(&t, 3, &c, &f);
    check_forest(&f, NULL, 6, 3, &c, NULL);
    vgh_rf_free(&f);
    c.max_features = 100;
    train_ok(&t, 3, &c, &f);
    assert_true(accuracy(&f, &t) > 0.9);
    vgh_rf_free(&f);
    /* a constant feature set: one leaf per tree */
    memset(t.X, 0, t.n * t.d * sizeof(float));
    train_ok(&t, 3, &c, &f);
    assert_int_equal(f.n_nodes, f.n_trees);
    vgh_rf_free(&f);
    data_free(&t);
}

/* ---- artifact round trip ----------------------------------------------------------- */

static uint8_t *build_artifact_strict(const vgh_rf_t *f, size_t d, uint16_t normal,
                                      uint16_t strict_pm, uint16_t strict_class, size_t *len)
{
    vgh_artifact_spec_t s;
    memset(&s, 0, sizeof s);
    s.sample_rate = 1.0f;
    s.n_channels = 2;
    s.window = 8;
    s.hop = 4;
    s.n_features = (uint16_t)d;
    s.norm_kind = VG_NORM_NONE;
    s.max_missing_pm = 100;
    for (size_t j = 0; j < d; j++) {
        s.feats[j].channel = (uint8_t)(j % 2);
        s.feats[j].feature = (uint8_t)(j % VG_FEAT_COUNT);
        s.norm[2 * j] = 0.0f;
        s.norm[2 * j + 1] = 1.0f;
    }
    s.threshold = 0.5f;
    s.open_after = 1;
    s.close_after = 1;
    s.kind = VG_KIND_FOREST;
    s.rf_nodes = f->nodes;
    s.rf_n_nodes = f->n_nodes;
    s.rf_roots = f->roots;
    s.rf_n_trees = f->n_trees;
    s.n_classes = f->n_classes;
    s.normal_class = normal;
    s.strict_pm = strict_pm;
    s.strict_class = strict_class;
    s.meta = "created_by=test_forest\n";
    uint8_t *buf = NULL;
    char err[256] = "";
    if (vgh_artifact_build(&s, &buf, len, err, sizeof err) != 0) {
        print_message("vgh_artifact_build: %s\n", err);
        return NULL;
    }
    return buf;
}

static uint8_t *build_artifact(const vgh_rf_t *f, size_t d, uint16_t normal, size_t *len)
{
    return build_artifact_strict(f, d, normal, 0, 0, len);
}

/* 40 trees on 2,000 rows of 5 Gaussian blobs in d dimensions (8 informative). */
static void blob_forest(size_t d, data_t *t, vgh_rf_t *f)
{
    *t = blobs(2000, d, 5, 8, 1.0, 31, 32);
    vgh_rf_cfg_t c;
    vgh_rf_defaults(&c);
    c.n_trees = 40;
    c.seed = SEED;
    train_ok(t, 5, &c, f);
}

/* DECI's strict class: a window voted for it is over only when more than strict_pm per mille
 * of the trees vote disturbed; every other window, and every class, is decided as before. */
static void test_strict_class(void **state)
{
    (void)state;
    const size_t d = 12;
    data_t t;
    vgh_rf_t f;
    blob_forest(d, &t, &f);
    size_t len0 = 0, len1 = 0, len_bad = 0;
    uint8_t *b0 = build_artifact(&f, d, 2, &len0);
    assert_non_null(b0);
    vg_model_t m0, m1;
    assert_int_equal(vg_model_parse(&m0, b0, len0), VG_OK);
    size_t al = vg_detector_arena_size(&m0);
    void *a0 = malloc(al), *a1 = malloc(al);
    vg_detector_t d0, d1;
    /* The strict class: the disturbance with the most windows voted between 0.5 and 0.8. */
    size_t mid[5] = {0};
    assert_int_equal(vg_detector_init(&d0, &m0, a0, al), VG_OK);
    vgh_rng_t r;
    vgh_rng_seed(&r, SEED + 7);
    for (int i = 0; i < 40000; i++) {
        float x[2] = {(float)(3.0 * vgh_rng_normal(&r)), (float)(3.0 * vgh_rng_normal(&r))};
        vg_result_t r0;
        vg_detector_push(&d0, x, &r0);
        if (r0.window && r0.over && r0.raw <= 0.8f)
            mid[r0.cls]++;
    }
    uint16_t sc = 0;
    for (uint16_t k = 1; k < 5; k++)
        if (k != 2 && mid[k] > mid[sc])
            sc = k;
    uint8_t *b1 = build_artifact_strict(&f, d, 2, 800, sc, &len1);
    assert_non_null(b1);
    assert_int_equal(vg_model_parse(&m1, b1, len1), VG_OK);
    assert_int_equal(m0.strict_pm, 0);
    assert_int_equal(m0.version_minor, VG_MODEL_VERSION_MINOR);
    assert_int_equal(m1.strict_pm, 800);
    assert_int_equal(m1.strict_class, sc);
    assert_int_equal(m1.version_minor, 2);
    /* the normal class, a class out of range, a share over 1, a class without a share */
    const uint16_t bad[][2] = {{800, 2}, {800, 5}, {1001, 4}, {0, 4}};
    for (size_t i = 0; i < NELEM(bad); i++) {
        uint8_t *bb = build_artifact_strict(&f, d, 2, bad[i][0], bad[i][1], &len_bad);
        if (!bb)
            continue; /* the writer refused it: fine too */
        vg_model_t mb;
        assert_int_equal(vg_model_parse(&mb, bb, len_bad), VG_ERR_FORMAT);
        free(bb);
    }
    assert_int_equal(al, vg_detector_arena_size(&m1));
    assert_int_equal(vg_detector_init(&d0, &m0, a0, al), VG_OK);
    assert_int_equal(vg_detector_init(&d1, &m1, a1, al), VG_OK);
    vgh_rng_seed(&r, SEED + 7);
    size_t windows = 0, strict_windows = 0, dropped = 0;
    for (int i = 0; i < 40000; i++) {
        float x[2] = {(float)(3.0 * vgh_rng_normal(&r)), (float)(3.0 * vgh_rng_normal(&r))};
        vg_result_t r0, r1;
        vg_detector_push(&d0, x, &r0);
        vg_detector_push(&d1, x, &r1);
        assert_int_equal(r0.window, r1.window);
        if (!r0.window)
            continue;
        windows++;
        assert_true(r0.raw == r1.raw);
        assert_int_equal(r0.cls, r1.cls);
        if (r0.cls == sc) {
            strict_windows++;
            assert_int_equal(r1.over, r0.raw > 0.8f);
            assert_true(r1.score == vg_score_unit(r0.raw, 0.8f));
            dropped += r0.over && !r1.over;
        } else {
            assert_int_equal(r1.over, r0.over);
            assert_true(r1.score == r0.score);
        }
    }
    /* the data reach the strict class, and the rule turns some of its windows down */
    assert_true(windows > 5000);
    assert_true(strict_windows > 0);
    assert_int_equal(dropped, mid[sc]);
    assert_true(dropped > 0);
    free(a0);
    free(a1);
    free(b0);
    free(b1);
    vgh_rf_free(&f);
    data_free(&t);
}

static void test_artifact_round_trip(void **state)
{
    (void)state;
    const size_t d = 12;
    data_t t;
    vgh_rf_t f;
    blob_forest(d, &t, &f);
    size_t len = 0;
    uint8_t *buf = build_artifact(&f, d, 2, &len);
    assert_non_null(buf);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, buf, len), VG_OK);
    assert_int_equal(m.kind, VG_KIND_FOREST);
    assert_string_equal(vgh_kind_name(m.kind), "forest");
    assert_int_equal(m.u.forest.n_trees, f.n_trees);
    assert_int_equal(m.u.forest.n_classes, 5);
    assert_int_equal(m.u.forest.normal_class, 2);
    assert_int_equal(m.u.forest.n_nodes, f.n_nodes);
    assert_int_equal(vg_model_param_count(&m), f.n_nodes);
    assert_int_equal(vg_model_scratch_size(&m), 0);
    assert_memory_equal(m.u.forest.roots, f.roots, f.n_trees * sizeof *f.roots);
    assert_memory_equal(m.u.forest.nodes, f.nodes, f.n_nodes * sizeof *f.nodes);
    /* 1000 points around and beyond the training data, a few with NaN */
    vgh_rng_t r;
    vgh_rng_seed(&r, SEED);
    float x[12], contrib[12], recon[12];
    for (int i = 0; i < 1000; i++) {
        for (size_t j = 0; j < d; j++)
            x[j] = (float)(2.0 * vgh_rng_normal(&r));
        if (i % 97 == 0)
            x[i % d] = NAN;
        uint16_t vh[VG_MAX_CLASSES], vc[VG_MAX_CLASSES];
        const uint16_t ch = vgh_rf_predict(&f, x, vh);
        float p = -1.0f, raw = -1.0f;
        assert_int_equal(vg_forest_predict(&m, x, vc, &p), ch);
        assert_memory_equal(vh, vc, 5 * sizeof *vh);
        assert_int_equal(vg_forest_predict(&m, x, NULL, NULL), ch);
        assert_true(p == (float)(f.n_trees - vc[2]) / (float)f.n_trees);
        vg_model_score(&m, x, &raw, contrib, recon, NULL);
        assert_true(raw == p);
        for (unsigned k = 0; k < f.n_trees; k++) {
            const vg_tree_node_t *lh = f.nodes + f.roots[k];
            uint32_t i_h = 0;
            while (lh[i_h].feature != VG_TREE_LEAF)
                i_h = x[lh[i_h].feature] < lh[i_h].value ? i_h + 1 : lh[i_h].right;
            const vg_tree_node_t *lc = m.u.forest.nodes + m.u.forest.roots[k];
            assert_int_equal(vg_tree_leaf(lc, x) - lc, i_h);
        }
        /* vg_forest_predict() walks a forest of VG_FOREST_LANES_MIN_NODES nodes or more in
         * lanes of 8 trees, a smaller one a tree at a time; the node count, which decides,
         * is set to reach both walks. Forests of fewer trees than lanes, of a multiple and
         * of a non-multiple of 8 count the votes of their own trees. */
        static const uint16_t sizes[] = {1, 3, 8, 13, 40};
        static const uint32_t n_nodes[] = {0, VG_FOREST_LANES_MIN_NODES - 1u,
                                           VG_FOREST_LANES_MIN_NODES, UINT32_MAX};
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            uint16_t want[5] = {0};
            for (uint16_t k = 0; k < sizes[z]; k++) {
                const vg_tree_node_t *lc = m.u.forest.nodes + m.u.forest.roots[k];
                want[vg_tree_leaf(lc, x)->cls]++;
            }
            m.u.forest.n_trees = sizes[z];
            for (size_t q = 0; q < sizeof n_nodes / sizeof n_nodes[0]; q++) {
                m.u.forest.n_nodes = n_nodes[q];
                (void)vg_forest_predict(&m, x, vc, NULL);
                assert_memory_equal(vc, want, sizeof want);
            }
        }
        m.u.forest.n_trees = f.n_trees;
        m.u.forest.n_nodes = f.n_nodes;
    }
    free(buf);
    /* the writer validates: normal_class out of range is refused */
    assert_null(build_artifact(&f, d, 5, &len));
    vgh_rf_free(&f);
    data_free(&t);
}

/* ---- parser ------------------------------------------------------------------------ */

/* Two trees over 3 features and 3 classes: tree 0 = nodes 0..2, tree 1 = nodes 3..7. */
static const uint32_t RF_ROOTS[2] = {0, 3};
static const vgt_tnode_t RF_NODES[8] = {
    {0.5f, 0, 0, 2}, {1.0f, 0xFFFF, 0, 0}, {0.75f, 0xFFFF, 2, 0}, {0.0f, 1, 0, 4},
    {1.0f, 2, 0, 3}, {0.6f, 0xFFFF, 1, 0}, {0.9f, 0xFFFF, 2, 0},  {0.5f, 0xFFFF, 0, 0},
};

static union {
    uint64_t align;
    uint8_t b[4096];
} g_body;

/* Body bytes (after the MODL kind header) of @p f, written by the test writer. */
static uint32_t body_of(const vgt_forest_t *f)
{
    static union {
        uint64_t align;
        uint8_t b[8192];
    } tmp;
    vgt_writer_t w;
    vgt_begin(&w, tmp.b, sizeof tmp.b, 1);
    vgt_put_modl_forest(&w, f);
    uint32_t off = 0, size = 0;
    assert_true(vgt_end(&w) > 0);
    assert_true(vgt_find_section(tmp.b, sizeof tmp.b, VGT_MODL, &off, &size) >= 0);
    memcpy(g_body.b, tmp.b + off + 4, size - 4);
    return size - 4;
}

static vg_status_t parse_body(const vgt_forest_t *f, int size_delta)
{
    uint32_t size = body_of(f);
    vg_model_t m;
    memset(&m, 0, sizeof m);
    m.n_features = 3;
    return vg_forest_parse(&m, g_body.b, (uint32_t)((int)size + size_delta));
}

static vg_status_t parse_nodes(const vgt_tnode_t *nodes)
{
    const vgt_forest_t f = {2, 3, 0, 0, 8, RF_ROOTS, nodes};
    return parse_body(&f, 0);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    vgt_forest_t f = {2, 3, 0, 0, 8, RF_ROOTS, RF_NODES};
    vg_model_t m;
    memset(&m, 0, sizeof m);
    m.n_features = 3;
    uint32_t size = body_of(&f);
    assert_int_equal(size, 12u + 4u * 2u + 12u * 8u);
    assert_int_equal(vg_forest_parse(&m, g_body.b, size), VG_OK);
    assert_int_equal(m.u.forest.n_trees, 2);
    assert_int_equal(m.u.forest.n_classes, 3);
    assert_int_equal(m.u.forest.n_nodes, 8);
    assert_ptr_equal(m.u.forest.roots, (const void *)(g_body.b + 12));
    assert_ptr_equal(m.u.forest.nodes, (const void *)(g_body.b + 20));

    vgt_tnode_t nd[8];
    /* right child backwards, onto itself, onto the left child, out of its tree */
    const uint32_t bad_right0[] = {0, 1, 3, 4, 0xFFFFFFFFu};
    for (size_t i = 0; i < NELEM(bad_right0); i++) {
        memcpy(nd, RF_NODES, sizeof nd);
        nd[0].right = bad_right0[i];
        assert_int_equal(parse_nodes(nd), VG_ERR_FORMAT);
    }
    const uint32_t bad_right1[] = {0, 1, 2, 5, 6}; /* node 1 of tree 1: right in (2, 5) */
    for (size_t i = 0; i < NELEM(bad_right1); i++) {
        memcpy(nd, RF_NODES, sizeof nd);
        nd[4].right = bad_right1[i];
        assert_int_equal(parse_nodes(nd), VG_ERR_FORMAT);
    }
    memcpy(nd, RF_NODES, sizeof nd);
    nd[4].right = 4; /* the right child is the tree's last leaf: legal */
    assert_int_equal(parse_nodes(nd), VG_OK);
    /* an internal node as the last node of a tree */
    memcpy(nd, RF_NODES, sizeof nd);
    nd[2].feature = 0;
    nd[2].right = 0;
    assert_int_equal(parse_nodes(nd), VG_ERR_FORMAT);
    /* feature >= n_features; the largest valid one */
    const uint16_t feats[] = {3, 4, 0xFFFE};
    for (size_t i = 0; i < NELEM(feats); i++) {
        memcpy(nd, RF_NODES, sizeof nd);
        nd[3].feature = feats[i];
        assert_int_equal(parse_nodes(nd), VG_ERR_FORMAT);
    }
    memcpy(nd, RF_NODES, sizeof nd);
    nd[3].feature = 2;
    assert_int_equal(parse_nodes(nd), VG_OK);
    /* leaf class >= n_classes; the largest valid one; internal cls is ignored */
    const uint16_t cls[] = {3, 64, 0xFFFF};
    for (size_t i = 0; i < NELEM(cls); i++) {
        memcpy(nd, RF_NODES, sizeof nd);
        nd[6].cls = cls[i];
        assert_int_equal(parse_nodes(nd), VG_ERR_FORMAT);
    }
    memcpy(nd, RF_NODES, sizeof nd);
    nd[1].cls = 2;
    nd[0].cls = 0xFFFF;
    assert_int_equal(parse_nodes(nd), VG_OK);
    /* non-finite thresholds; leaf shares outside [0, 1] */
    const float nonfinite[] = {NAN, INFINITY, -INFINITY};
    const size_t internal[] = {0, 3, 4};
    for (size_t i = 0; i < NELEM(internal); i++)
        for (size_t j = 0; j < NELEM(nonfinite); j++) {
            memcpy(nd, RF_NODES, sizeof nd);
            nd[internal[i]].value = nonfinite[j];
            assert_int_equal(parse_nodes(nd), VG_ERR_FORMAT);
        }
    const float shares[] = {NAN, -0.5f, 1.5f, INFINITY};
    for (size_t j = 0; j < NELEM(shares); j++) {
        memcpy(nd, RF_NODES, sizeof nd);
        nd[5].value = shares[j];
        assert_int_equal(parse_nodes(nd), VG_ERR_FORMAT);
    }
    memcpy(nd, RF_NODES, sizeof nd);
    nd[0].value = -3.0e38f;
    nd[5].value = 0.0f;
    assert_int_equal(parse_nodes(nd), VG_OK);

    /* counts: n_trees 0 / over the limit, n_classes < 2 / over, normal_class, n_nodes 0 */
    f = (vgt_forest_t){0, 3, 0, 0, 8, RF_ROOTS, RF_NODES};
    assert_int_equal(parse_body(&f, 0), VG_ERR_FORMAT);
    f = (vgt_forest_t){2, 3, 0, 0, 8, RF_ROOTS, RF_NODES};
    const uint16_t bad_nc[] = {0, 1};
    for (size_t i = 0; i < NELEM(bad_nc); i++) {
        f.n_classes = bad_nc[i];
        assert_int_equal(parse_body(&f, 0), VG_ERR_FORMAT);
    }
    f.n_classes = VG_MAX_CLASSES + 1;
    assert_int_equal(parse_body(&f, 0), VG_ERR_UNSUPPORTED);
    f.n_classes = VG_MAX_CLASSES;
    assert_int_equal(parse_body(&f, 0), VG_OK);
    f.n_classes = 3;
    const uint16_t bad_normal[] = {3, 4, 0xFFFF};
    for (size_t i = 0; i < NELEM(bad_normal); i++) {
        f.normal_class = bad_normal[i];
        assert_int_equal(parse_body(&f, 0), VG_ERR_FORMAT);
    }
    f.normal_class = 2;
    assert_int_equal(parse_body(&f, 0), VG_OK);
    f.reserved = 1;
    assert_int_equal(parse_body(&f, 0), VG_ERR_FORMAT);
    f.reserved = 0;
    /* n_trees above VG_MAX_TREES is refused before its roots are read */
    uint32_t sz = body_of(&f);
    g_body.b[0] = (uint8_t)((VG_MAX_TREES + 1) & 0xFF);
    g_body.b[1] = (uint8_t)((VG_MAX_TREES + 1) >> 8);
    assert_int_equal(vg_forest_parse(&m, g_body.b, sz), VG_ERR_UNSUPPORTED);
    /* n_nodes 0, one too many / few, and large enough for 12 n_nodes to wrap 32 bits */
    const uint32_t bad_nn[] = {0, 7, 9, 0x15555556u, 0xFFFFFFFFu};
    for (size_t i = 0; i < NELEM(bad_nn); i++) {
        sz = body_of(&f);
        for (int b = 0; b < 4; b++)
            g_body.b[4 + b] = (uint8_t)(bad_nn[i] >> (8 * b));
        assert_int_equal(vg_forest_parse(&m, g_body.b, sz), VG_ERR_FORMAT);
    }
    /* size mismatch: short by one byte / one node, long by 4 / one node, below the header */
    const int deltas[] = {-1, -12, 4, 12};
    for (size_t i = 0; i < NELEM(deltas); i++)
        assert_int_equal(parse_body(&f, deltas[i]), VG_ERR_FORMAT);
    const uint32_t tiny[] = {0, 4, 11, 12, 19};
    for (size_t i = 0; i < NELEM(tiny); i++)
        assert_int_equal(vg_forest_parse(&m, g_body.b, tiny[i]), VG_ERR_FORMAT);
    /* roots: roots[0] != 0, not ascending, equal, past the node count */
    const uint32_t r_bad[][2] = {{1, 3}, {0, 0}, {0, 8}, {0, 9}, {3, 0}, {0, 0xFFFFFFFFu}};
    for (size_t i = 0; i < NELEM(r_bad); i++) {
        f.roots = r_bad[i];
        assert_int_equal(parse_body(&f, 0), VG_ERR_FORMAT);
    }
    /* a single tree: its first three nodes */
    const uint32_t r_one[] = {0};
    f = (vgt_forest_t){1, 3, 0, 0, 3, r_one, RF_NODES};
    assert_int_equal(parse_body(&f, 0), VG_OK);

    /* whole artifacts through vg_model_parse */
    static union {
        uint64_t align;
        uint8_t b[4096];
    } art;
    const uint8_t ch[3] = {0, 0, 0}, id[3] = {1, 2, 3};
    vgt_pipe_t p = {1.0f, 1, 8, 4, 3, 0, 0, ch, id, NULL, 0.5f, 1, 1, NULL};
    f = (vgt_forest_t){2, 3, 1, 0, 8, RF_ROOTS, RF_NODES};
    size_t n = vgt_build_forest(art.b, sizeof art.b, &p, &f);
    assert_true(n > 0);
    assert_int_equal(vg_model_parse(&m, art.b, n), VG_OK);
    assert_int_equal(m.kind, VG_KIND_FOREST);
    assert_int_equal(m.u.forest.normal_class, 1);
    p.n_features = 2; /* node 4 splits on feature 2 */
    n = vgt_build_forest(art.b, sizeof art.b, &p, &f);
    assert_int_equal(vg_model_parse(&m, art.b, n), VG_ERR_FORMAT);
    p.n_features = 3;
    memcpy(nd, RF_NODES, sizeof nd);
    nd[7].cls = 3;
    f.nodes = nd;
    n = vgt_build_forest(art.b, sizeof art.b, &p, &f);
    assert_int_equal(vg_model_parse(&m, art.b, n), VG_ERR_FORMAT);
}

/* Votes, ties and p_anomaly on a hand-made model. */
static void test_predict_votes(void **state)
{
    (void)state;
    /* tree 0: x0 < 0 ? class 2 : class 1; tree 1: leaf class 1; tree 2: x1 < 1 ? 0 : 2 */
    const uint32_t roots[3] = {0, 3, 4};
    const vgt_tnode_t nodes[7] = {
        {0.0f, 0, 0, 2}, {1.0f, 0xFFFF, 2, 0}, {1.0f, 0xFFFF, 1, 0}, {1.0f, 0xFFFF, 1, 0},
        {1.0f, 1, 0, 2}, {1.0f, 0xFFFF, 0, 0}, {1.0f, 0xFFFF, 2, 0},
    };
    const vgt_forest_t f = {3, 3, 1, 0, 7, roots, nodes};
    uint32_t size = body_of(&f);
    vg_model_t m;
    memset(&m, 0, sizeof m);
    m.n_features = 2;
    assert_int_equal(vg_forest_parse(&m, g_body.b, size), VG_OK);
    uint16_t v[3];
    float p;
    const float a[2] = {-1.0f, 0.0f}; /* votes 2, 1, 0: a three-way tie, lowest label wins */
    assert_int_equal(vg_forest_predict(&m, a, v, &p), 0);
    assert_int_equal(v[0], 1);
    assert_int_equal(v[1], 1);
    assert_int_equal(v[2], 1);
    assert_true(p == 2.0f / 3.0f);
    const float b[2] = {1.0f, 5.0f}; /* votes 1, 1, 2 */
    assert_int_equal(vg_forest_predict(&m, b, v, &p), 1);
    assert_int_equal(v[1], 2);
    assert_true(p == 1.0f / 3.0f);
    const float c[2] = {-1.0f, 5.0f}; /* votes 2, 1, 2 */
    assert_int_equal(vg_forest_predict(&m, c, NULL, NULL), 2);
    const float nan2[2] = {NAN, NAN}; /* NaN goes right everywhere: 1, 1, 2 */
    assert_int_equal(vg_forest_predict(&m, nan2, v, &p), 1);
    assert_ptr_equal(vg_tree_leaf(m.u.forest.nodes, nan2), m.u.forest.nodes + 2);
    assert_ptr_equal(vg_tree_leaf(m.u.forest.nodes + 4, nan2), m.u.forest.nodes + 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_errors),  cmocka_unit_test(test_separable),
        cmocka_unit_test(test_gaussian_vs_sklearn),  cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_invariants),           cmocka_unit_test(test_class_weights),
        cmocka_unit_test(test_progress_and_threads), cmocka_unit_test(test_artifact_round_trip),
        cmocka_unit_test(test_parse_rejects),        cmocka_unit_test(test_predict_votes),
        cmocka_unit_test(test_strict_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
