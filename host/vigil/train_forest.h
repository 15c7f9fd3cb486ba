/* SPDX-License-Identifier: MIT */
/**
 * @file train_forest.h
 * @brief Host-side random forest classifier trainer (Breiman 2001; CART trees with Gini
 *        impurity) producing the flat pre-order node arrays the device reads
 *        (vg_tree_node_t, MODL kind 4, see vg_forest.h).
 *
 * The trees follow scikit-learn's RandomForestClassifier: a bootstrap sample is used as
 * integer sample weights on the distinct rows drawn; at each node up to max_features features
 * are drawn without replacement (more while every one drawn is constant in the node) and each
 * is searched exhaustively for the Gini-best threshold, placed half way between two
 * consecutive distinct values; min_split and min_leaf count distinct rows.
 *
 * Thread safety: no shared state; distinct calls on distinct objects may run concurrently.
 * vgh_rf_train() itself runs cfg->threads POSIX threads over the trees.
 */
#ifndef VGH_TRAIN_FOREST_H
#define VGH_TRAIN_FOREST_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/vg_model.h"

/** vgh_rf_cfg_t.balanced */
enum {
    VGH_RF_BAL_NONE = 0,     /**< every row weighs 1 */
    VGH_RF_BAL_WEIGHTS = 1,  /**< class c weighs n / (k n_c), k = classes present (sklearn
                                  class_weight='balanced'), in the Gini and the leaf votes */
    VGH_RF_BAL_BOOTSTRAP = 2 /**< each tree draws ceil(n / k) rows with replacement from every
                                  present class (weights 1; cfg.bootstrap is ignored) */
};

/** Largest training set accepted (row indices and per-tree node counts stay in 32 bits). */
#define VGH_RF_MAX_ROWS 0x3FFFFFFFu
/** Most features a host-trained forest takes: the core's VG_MAX_FEATURES for window models,
 *  more for the event classifier of power-quality streams (host only, pq_host.h). */
#define VGH_RF_MAX_FEATURES 512u

/** Random forest settings. Start from vgh_rf_defaults(); the second source document's forest
 *  is the defaults with n_trees = 300 (depth 16, min split 5). */
typedef struct {
    unsigned n_trees;        /**< 1..VG_MAX_TREES (default 100) */
    unsigned max_depth;      /**< root has depth 0; 0 = unlimited (default 16) */
    unsigned min_split;      /**< a node of fewer distinct rows is a leaf, >= 2 (default 5) */
    unsigned min_leaf;       /**< distinct rows each child keeps, >= 1 (default 1) */
    unsigned max_features;   /**< features searched per split; 0 = floor(sqrt(d)) (default 0);
                                  clipped to d */
    float max_features_frac; /**< in (0, 1]: max(1, floor(frac d)) features instead; 0 = off */
    int bootstrap;           /**< 1: n rows drawn with replacement per tree (default 1) */
    int balanced;            /**< VGH_RF_BAL_* (default VGH_RF_BAL_NONE) */
    unsigned threads;        /**< worker threads; 0 = online CPUs (default 0). The forest is
                                  the same for a seed whatever the thread count */
    uint64_t seed;           /**< seeds bootstraps and feature draws (default 0) */
    FILE *progress;          /**< NULL or a stream for "tree i/n" lines (default NULL) */
} vgh_rf_cfg_t;

/** A trained forest. Free with vgh_rf_free(). */
typedef struct {
    /**
     * All trees concatenated, each in pre-order: the left child of node i is i + 1; an
     * internal node goes left when x[feature] < value, else to roots[t] + right (right is
     * relative to the tree's first node and > i's relative index + 1); a leaf has
     * feature == VG_TREE_LEAF, cls its (weighted) majority class and value that class's
     * (weighted) share of the leaf's training rows.
     */
    vg_tree_node_t *nodes;
    uint32_t n_nodes;
    uint32_t *roots; /**< roots[t] = index of tree t's first node; roots[0] = 0, ascending */
    uint16_t n_trees;
    uint16_t n_classes;
} vgh_rf_t;

/** @brief Defaults: 100 trees, depth 16, min split 5, min leaf 1, sqrt(d) features,
 *         bootstrap, no class balancing, all CPUs, seed 0, no progress. */
void vgh_rf_defaults(vgh_rf_cfg_t *cfg);

/**
 * @brief Grow a random forest classifier on @p X, @p y. Deterministic for a seed (any
 *        thread count).
 *
 * @param[in]  X         n rows x d features, row-major; all finite
 * @param[in]  y         n class labels, each < n_classes
 * @param[in]  n         rows, 2..VGH_RF_MAX_ROWS
 * @param[in]  d         features, 1..VG_MAX_FEATURES
 * @param[in]  n_classes 2..VG_MAX_CLASSES (labels absent from y are allowed)
 * @param[in]  cfg       settings
 * @param[out] f         the forest (zeroed first; free with vgh_rf_free(), even on error)
 * @param[out] err       NULL or a buffer for a NUL-terminated message on error
 * @param[in]  errlen    bytes in @p err
 * @retval 0  ok
 * @retval -1 bad argument (NULL, a count out of range, non-finite X[row][col], y[row] >=
 *            n_classes, a setting out of range), out of memory or a thread failed to start;
 *            @p err says which
 */
int vgh_rf_train(const float *X, const uint16_t *y, size_t n, size_t d, uint16_t n_classes,
                 const vgh_rf_cfg_t *cfg, vgh_rf_t *f, char *err, size_t errlen);

/**
 * @brief Majority vote of the trees (ties: the lowest label), as vg_forest_predict().
 * @param[in]  f     a trained forest (not checked: hot path)
 * @param[in]  x     d features (NaN goes right at every split)
 * @param[out] votes NULL, or n_classes vote counts
 * @return the winning class
 */
uint16_t vgh_rf_predict(const vgh_rf_t *f, const float *x, uint16_t *votes);

/** @brief Release the forest's arrays and zero @p f. NULL-safe; safe on a zeroed forest. */
void vgh_rf_free(vgh_rf_t *f);

#endif
