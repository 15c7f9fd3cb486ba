/* SPDX-License-Identifier: MIT */
/* Unit tests of host/vigil/train_iforest.c: c(n), tree invariants, scores, errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rng.h"
#include "train_iforest.h"

#define SEED                   20240611u
#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static float *gauss(size_t n, size_t d, uint64_t seed)
{
    float *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    vgh_rng_t r;
    vgh_rng_seed(&r, seed);
    for (size_t k = 0; k < n * d; k++)
        x[k] = (float)vgh_rng_normal(&r);
    return x;
}

static void test_c_factor(void **state)
{
    (void)state;
    /* sklearn.ensemble._iforest._average_path_length, as float32 */
    assert_true(vgh_c_factor(0.0f) == 0.0f);
    assert_true(vgh_c_factor(1.0f) == 0.0f);
    assert_true(vgh_c_factor(-3.0f) == 0.0f);
    assert_true(vgh_c_factor(NAN) == 0.0f);
    assert_true(vgh_c_factor(2.0f) == 1.0f);
    assert_true(vgh_c_factor(3.0f) == 1.2073923349380493f);
    assert_true(vgh_c_factor(10.0f) == 3.748880386352539f);
    assert_true(vgh_c_factor(256.0f) == 10.244771003723145f);
    assert_true(vgh_c_factor(4096.0f) == 15.789963722229004f);
}

/* Pre-order walk of tree @p t (nodes [0, size)); checks the layout and, when X is given
 * (psi == n, so every row is in every tree), routes rows to check leaf values. Returns the
 * index one past the subtree of node r. */
typedef struct {
    const vg_itree_node_t *t;
    uint32_t size;
    size_t d;
    unsigned hlim;
    unsigned leaves;
} walk_t;

static uint32_t walk(walk_t *w, uint32_t r, unsigned depth)
{
    assert_true(r < w->size);
    const vg_itree_node_t *nd = &w->t[r];
    if (nd->feature == VG_ITREE_LEAF) {
        assert_true(depth <= w->hlim);
        assert_true(isfinite(nd->value));
        assert_true(nd->value >= (float)depth);
        assert_int_equal(nd->right, 0);
        w->leaves++;
        return r + 1;
    }
    assert_true(depth < w->hlim);
    assert_true(nd->feature < w->d);
    assert_true(isfinite(nd->value));
    assert_true(nd->right > r + 1); /* left child r + 1 comes first, right strictly after */
    const uint32_t end_left = walk(w, r + 1, depth + 1);
    assert_int_equal(end_left, nd->right); /* pre-order: right subtree follows the left */
    return walk(w, nd->right, depth + 1);
}

/* Every tree: layout invariants; with psi == n also leaf value == depth + c(rows there). */
static void check_forest(const vgh_iforest_t *f, const float *X, size_t n, size_t d,
                         unsigned n_trees, size_t psi)
{
    unsigned hlim = 0;
    while (((size_t)1 << hlim) < psi)
        hlim++;
    assert_int_equal(f->n_trees, n_trees);
    assert_true(f->c_norm == vgh_c_factor((float)psi));
    assert_int_equal(f->roots[0], 0);
    for (unsigned t = 0; t < n_trees; t++) {
        const uint32_t end = t + 1 < n_trees ? f->roots[t + 1] : f->n_nodes;
        assert_true(end > f->roots[t]);
        const uint32_t size = end - f->roots[t];
        assert_true(size < 65535u);
        assert_true(size <= 2 * psi - 1);
        walk_t w = {f->nodes + f->roots[t], size, d, hlim, 0};
        assert_int_equal(walk(&w, 0, 0), size); /* the walk covers the tree exactly */
        assert_true(w.leaves <= psi);
        assert_int_equal(2 * w.leaves - 1, size); /* full binary tree */
        if (X == NULL || psi != n)
            continue;
        /* Route every row; count rows and record depth per leaf. */
        unsigned *cnt = calloc(size, sizeof *cnt), *dep = calloc(size, sizeof *dep);
        assert_non_null(cnt);
        assert_non_null(dep);
        for (size_t r = 0; r < n; r++) {
            uint32_t i = 0;
            unsigned depth = 0;
            while (w.t[i].feature != VG_ITREE_LEAF) {
                i = X[r * d + w.t[i].feature] < w.t[i].value ? i + 1 : w.t[i].right;
                depth++;
            }
            cnt[i]++;
            dep[i] = depth;
        }
        for (uint32_t i = 0; i < size; i++) {
            if (w.t[i].feature != VG_ITREE_LEAF)
                continue;
            assert_true(cnt[i] >= 1); /* splits never leave an empty side */
            const float want = (float)((double)dep[i] + (double)vgh_c_factor((float)cnt[i]));
            assert_true(w.t[i].value == want);
        }
        free(cnt);
        free(dep);
    }
}

static void test_structure(void **state)
{
    (void)state;
    char err[128];
    const struct {
        size_t n, d;
        unsigned trees, sub;
    } cases[] = {{300, 3, 50, 256}, {200, 1, 20, 1000}, {1000, 5, 30, 64},
                 {2, 2, 5, 256},    {37, 4, 10, 37},    {5000, 2, 3, 4096}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float *X = gauss(cases[c].n, cases[c].d, SEED + c);
        vgh_if_cfg_t cfg;
        vgh_if_defaults(&cfg);
        cfg.n_trees = cases[c].trees;
        cfg.subsample = cases[c].sub;
        cfg.seed = SEED;
        vgh_iforest_t f;
        assert_int_equal(vgh_iforest_train(X, cases[c].n, cases[c].d, &cfg, &f, err, sizeof err),
                         0);
        const size_t psi = cases[c].sub < cases[c].n ? cases[c].sub : cases[c].n;
        check_forest(&f, X, cases[c].n, cases[c].d, cases[c].trees, psi);
        vgh_iforest_free(&f);
        free(X);
    }
}

static void test_duplicates_and_constants(void **state)
{
    (void)state;
    /* Feature 0 constant, feature 1 takes 3 values, feature 2 duplicates rows: splits must
     * use only varying features, and identical rows end in one leaf at depth < limit. */
    const size_t n = 60, d = 3;
    float X[60 * 3];
    for (size_t r = 0; r < n; r++) {
        X[r * d] = 7.0f;
        X[r * d + 1] = (float)(r % 3);
        X[r * d + 2] = (float)(r % 3) * 2.0f;
    }
    vgh_if_cfg_t cfg;
    vgh_if_defaults(&cfg);
    cfg.n_trees = 20;
    vgh_iforest_t f;
    assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, NULL, 0), 0);
    check_forest(&f, X, n, d, 20, n);
    for (uint32_t i = 0; i < f.n_nodes; i++)
        assert_true(f.nodes[i].feature != 0);
    vgh_iforest_free(&f);
    /* All rows identical: every tree is one leaf of value c(psi); score exactly 2^-1. */
    for (size_t k = 0; k < n * d; k++)
        X[k] = 1.5f;
    assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, NULL, 0), 0);
    assert_int_equal(f.n_nodes, 20);
    for (uint32_t t = 0; t < 20; t++) {
        assert_int_equal(f.roots[t], t);
        assert_int_equal(f.nodes[t].feature, VG_ITREE_LEAF);
        assert_true(f.nodes[t].value == vgh_c_factor(60.0f));
    }
    assert_near(vgh_iforest_score(&f, X), 0.5, 1e-6);
    vgh_iforest_free(&f);
}

static void test_deterministic(void **state)
{
    (void)state;
    const size_t n = 700, d = 4;
    float *X = gauss(n, d, SEED);
    vgh_if_cfg_t cfg;
    vgh_if_defaults(&cfg);
    cfg.seed = 5;
    vgh_iforest_t a, b, c;
    assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &a, NULL, 0), 0);
    assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &b, NULL, 0), 0);
    cfg.seed = 6;
    assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &c, NULL, 0), 0);
    assert_int_equal(a.n_nodes, b.n_nodes);
    assert_memory_equal(a.nodes, b.nodes, a.n_nodes * sizeof *a.nodes);
    assert_memory_equal(a.roots, b.roots, a.n_trees * sizeof *a.roots);
    assert_true(a.c_norm == b.c_norm);
    assert_true(a.n_nodes != c.n_nodes ||
                memcmp(a.nodes, c.nodes, a.n_nodes * sizeof *a.nodes) != 0);
    vgh_iforest_free(&a);
    vgh_iforest_free(&b);
    vgh_iforest_free(&c);
    free(X);
}

static void test_outliers(void **state)
{
    (void)state;
    /* 2-D standard normal blob, default forest. Expected values: mean over 20 seeds of
     * sklearn 1.2.1 IsolationForest(n_estimators=100, max_samples=256).score_samples
     * (negated) on exactly this data (dumped from the same vgh_rng stream); seed sd <= .015.
     */
    const size_t n = 1000, d = 2;
    float *X = gauss(n, d, SEED);
    const float q[][2] = {{0, 0}, {1, 0}, {2, 0}, {6, 0}, {0, -6}, {6, 6}, {-6, 6}};
    const double sk[] = {0.4112, 0.4367, 0.5493, 0.6491, 0.6541, 0.7527, 0.7558};
    double mean[7] = {0};
    for (unsigned s = 0; s < 5; s++) {
        vgh_if_cfg_t cfg;
        vgh_if_defaults(&cfg);
        cfg.seed = SEED + s;
        vgh_iforest_t f;
        assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, NULL, 0), 0);
        assert_true(vgh_iforest_score(&f, q[0]) < 0.5f);
        for (unsigned k = 3; k < 7; k++)
            assert_true(vgh_iforest_score(&f, q[k]) > 0.6f);
        for (unsigned k = 0; k < 7; k++)
            mean[k] += vgh_iforest_score(&f, q[k]) / 5.0;
        /* scores lie in (0, 1]; NaN features go right and still give a score */
        const float nanx[2] = {NAN, 0.0f};
        const float sn = vgh_iforest_score(&f, nanx);
        assert_true(sn > 0.0f && sn <= 1.0f);
        vgh_iforest_free(&f);
    }
    for (unsigned k = 0; k < 7; k++) {
        print_message("q(%g, %g): score %.4f, sklearn %.4f\n", (double)q[k][0], (double)q[k][1],
                      mean[k], sk[k]);
        assert_near(mean[k], sk[k], 0.03);
        if (k > 0 && k < 4)
            assert_true(mean[k] > mean[k - 1]); /* further out, higher score */
    }
    free(X);
}

static void test_bad_input(void **state)
{
    (void)state;
    const size_t n = 10, d = 3;
    float *X = gauss(n, d, SEED);
    vgh_if_cfg_t cfg;
    vgh_iforest_t f;
    char err[160];
    uint32_t sentinel = 0;
#define BAD(expr)                                                                                  \
    do {                                                                                           \
        vgh_if_defaults(&cfg);                                                                     \
        memset(err, 0, sizeof err);                                                                \
        f.roots = &sentinel;                                                                       \
        expr;                                                                                      \
        assert_null(f.roots);                                                                      \
        assert_null(f.nodes);                                                                      \
        assert_true(err[0] != '\0');                                                               \
    } while (0)
    BAD(assert_int_equal(vgh_iforest_train(NULL, n, d, &cfg, &f, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_iforest_train(X, n, d, NULL, &f, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_iforest_train(X, 0, d, &cfg, &f, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_iforest_train(X, 1, d, &cfg, &f, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_iforest_train(X, n, 0, &cfg, &f, err, sizeof err), -1));
    BAD(assert_int_equal(vgh_iforest_train(X, 1, VG_MAX_FEATURES + 1, &cfg, &f, err, 160), -1));
    BAD(cfg.n_trees = 0; assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, err, 160), -1));
    BAD(cfg.n_trees = VG_MAX_TREES + 1;
        assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, err, 160), -1));
    BAD(cfg.subsample = 0; assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, err, 160), -1));
    BAD(cfg.subsample = 1; assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, err, 160), -1));
    BAD(cfg.subsample = VGH_IF_MAX_SUBSAMPLE + 1;
        assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, err, 160), -1));
    X[4 * d + 1] = -INFINITY;
    BAD(assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, err, sizeof err), -1));
    assert_non_null(strstr(err, "row 4"));
    assert_non_null(strstr(err, "col 1"));
    X[4 * d + 1] = NAN;
    BAD(assert_int_equal(vgh_iforest_train(X, n, d, &cfg, &f, err, sizeof err), -1));
    assert_non_null(strstr(err, "row 4"));
    X[4 * d + 1] = 0.0f;
#undef BAD
    assert_int_equal(vgh_iforest_train(X, n, d, &cfg, NULL, err, sizeof err), -1);
    assert_int_equal(vgh_iforest_train(X, 0, d, &cfg, &f, NULL, 0), -1);
    /* Limits accepted: VG_MAX_TREES trees, VG_MAX_FEATURES features, subsample clipped. */
    float *Y = gauss(50, VG_MAX_FEATURES, SEED + 1);
    vgh_if_defaults(&cfg);
    cfg.n_trees = VG_MAX_TREES;
    cfg.subsample = VGH_IF_MAX_SUBSAMPLE;
    assert_int_equal(vgh_iforest_train(Y, 50, VG_MAX_FEATURES, &cfg, &f, err, sizeof err), 0);
    check_forest(&f, Y, 50, VG_MAX_FEATURES, VG_MAX_TREES, 50);
    vgh_iforest_free(&f);
    vgh_iforest_free(&f); /* idempotent */
    vgh_iforest_free(NULL);
    free(Y);
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_factor),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_duplicates_and_constants),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_outliers),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
