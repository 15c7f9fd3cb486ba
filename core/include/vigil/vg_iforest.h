/* SPDX-License-Identifier: MIT */
/** @file vg_iforest.h @brief Isolation forest inference over flat pre-order node arrays. */
#ifndef VG_IFOREST_H
#define VG_IFOREST_H
#include <stddef.h>
#include <stdint.h>
#include "vg_model.h"

/**
 * @brief c(n): average path length of an unsuccessful search in a binary search tree of
 *        n points (Liu, Ting, Zhou 2008): 2 H(n-1) - 2 (n-1) / n, c(2) = 1, c(n<2) = 0.
 */
float vg_iforest_c(float n);

/** @brief Path length of @p x through one validated tree whose first node is @p tree. */
float vg_itree_path(const vg_itree_node_t *tree, const float *x);

/** @brief Anomaly score 2^(-mean path / c_norm) in (0, 1] over all trees of a parsed model. */
float vg_iforest_score(const vg_model_t *m, const float *x);
#endif
