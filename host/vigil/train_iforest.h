/* SPDX-License-Identifier: MIT */
/**
 * @file train_iforest.h
 * @brief Host-side isolation forest trainer (Liu, Ting, Zhou 2008) producing the flat
 *        pre-order node arrays the device reads (vg_itree_node_t, see vg_model.h).
 *
 * Thread safety: no shared state; distinct calls on distinct objects may run concurrently.
 */
#ifndef VGH_TRAIN_IFOREST_H
#define VGH_TRAIN_IFOREST_H
#include <stddef.h>
#include <stdint.h>

#include "vigil/vg_model.h"

/** Largest subsample size accepted: keeps every tree below 65535 nodes (2 psi - 1). */
#define VGH_IF_MAX_SUBSAMPLE 4096u

/** Isolation forest settings. Start from vgh_if_defaults(). */
typedef struct {
    unsigned n_trees;   /**< trees, 1..VG_MAX_TREES (default 100) */
    unsigned subsample; /**< psi, 2..VGH_IF_MAX_SUBSAMPLE (default 256), clipped to n */
    uint64_t seed;      /**< seeds subsampling, features and split values */
} vgh_if_cfg_t;

/** A trained forest. Free with vgh_iforest_free(). */
typedef struct {
    /**
     * All trees concatenated, each in pre-order: the left child of node i is i + 1; an
     * internal node goes left when x[feature] < value, else to roots[t] + right (right is
     * relative to the tree's first node and > i's relative index); a leaf has
     * feature == VG_ITREE_LEAF and value = depth + c(size).
     */
    vg_itree_node_t *nodes;
    uint32_t n_nodes;
    uint32_t *roots; /**< roots[t] = index of tree t's first node; roots[0] = 0, ascending */
    uint16_t n_trees;
    float c_norm; /**< c(psi), psi the subsample size actually used */
} vgh_iforest_t;

/** @brief Defaults: 100 trees, subsample 256, seed 0. */
void vgh_if_defaults(vgh_if_cfg_t *cfg);

/**
 * @brief Grow an isolation forest on @p X.
 *
 * Per tree: psi = min(subsample, n) rows drawn without replacement; nodes split until the
 * height limit ceil(log2(psi)) or a single row; the split feature is uniform among the
 * features not constant in the node (a node where all are constant becomes a leaf); the
 * split value is uniform in (min, max) of that feature in the node, so both sides are
 * non-empty. Deterministic for a seed.
 *
 * @param[in]  X      n rows x d features, row-major; all finite
 * @param[in]  n      rows, >= 2 (c(psi) must be > 0)
 * @param[in]  d      features, 1..VG_MAX_FEATURES
 * @param[in]  cfg    settings
 * @param[out] f      the forest (zeroed first; free with vgh_iforest_free(), even on error)
 * @param[out] err    NULL or a buffer for a NUL-terminated message on error
 * @param[in]  errlen bytes in @p err
 * @retval 0  ok
 * @retval -1 bad argument (NULL, n < 2, d out of range, non-finite X[row][col], n_trees or
 *            subsample out of range) or out of memory; @p err says which
 */
int vgh_iforest_train(const float *X, size_t n, size_t d, const vgh_if_cfg_t *cfg, vgh_iforest_t *f,
                      char *err, size_t errlen);

/**
 * @brief Anomaly score 2^(-mean path length / c_norm), in (0, 1]; higher is more anomalous.
 * @param[in] f a trained forest (not checked: hot path)
 * @param[in] x d features (NaN goes right at every split)
 */
float vgh_iforest_score(const vgh_iforest_t *f, const float *x);

/** @brief Release the forest's arrays and zero @p f. NULL-safe; safe on a zeroed forest. */
void vgh_iforest_free(vgh_iforest_t *f);

/**
 * @brief c(n) = 2 H(n-1) - 2 (n-1) / n with H(i) = ln(i) + 0.5772156649: the average path
 *        length of an unsuccessful BST search among n points. c(2) = 1; c(n < 2) = 0.
 *        Evaluated in double, returned as float.
 */
float vgh_c_factor(float n);

#endif
